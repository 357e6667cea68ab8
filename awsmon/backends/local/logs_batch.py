"""Chunked scans of log events for patterns with a batch matcher (space-delimited: awsmon.engines.filterbatch).

SQLite concatenates a chunk of messages in C (``group_concat(message, char(0))``, ~1 MB) and one Hyperscan pass over
the chunk selects the matches, so a row that does not match never becomes a Python object; the per-row SQL function
(the other patterns' path) cost ~1 µs a row. Chunks are time windows on the primary key (group_id, ts, seq), sized
from the bytes the previous chunk held; ``SQLITE_LIMIT_LENGTH`` caps a chunk, so a window that is much denser than
estimated (a burst of events on one millisecond, e.g. an import without timestamps) fails fast in memory and is
retried smaller, down to seq-ordered slices of one millisecond. Messages holding a NUL (esc bit 2) enter the
buffer as empty strings and are judged one by one with the pattern's own matcher.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

from awsmon.backends.local.store import memory_mapped

CHUNK_BYTES = 1 << 20  # ~1 MB: the buffer is still in the CPU cache when Hyperscan scans it (8 MB chunks were slower)
CHUNK_LIMIT = 64 << 20  # SQLITE_LIMIT_LENGTH while a chunk is built: a denser window fails instead of growing
BIG = (1 << 63) - 1
ESC_NUL = 2
_FLAGGED = f"group_concat(CASE WHEN esc >= {ESC_NUL} THEN seq END)"
_MESSAGES = f"CAST(group_concat(CASE WHEN esc < {ESC_NUL} THEN message ELSE '' END, char(0)) AS BLOB)"


class _Chunk:
    __slots__ = ("buf", "flagged", "seqs")

    def __init__(self, buf: bytes, seqs: list[str] | None, flagged: list[int]) -> None:
        self.buf, self.seqs, self.flagged = buf, seqs, flagged


def _ints(text: Any) -> list[int]:
    return [int(x) for x in text.split(",")] if text else []


class _Scope:
    """Which rows: one group, optionally some streams, between inclusive time bounds."""

    def __init__(self, gid: int, start: int | None, end: int | None, stream_ids: Any) -> None:
        self.gid, self.start, self.end = gid, start, end
        self.streams = list(stream_ids) if stream_ids is not None else None

    def where(self) -> tuple[str, list[Any]]:
        sql, params = "group_id = ?", [self.gid]
        if self.streams is not None:
            sql += f" AND stream_id IN ({','.join('?' * len(self.streams))})"
            params += self.streams
        return sql, params


def _chunks(conn: sqlite3.Connection, scope: _Scope, cursor: tuple[int, int] | None, forward: bool,
            keys: bool) -> Iterator[_Chunk]:  # fmt: skip
    """The scope's rows after (forward) or before ``cursor``, chunk by chunk, in key order between chunks."""
    # Read through a memory map of the database file: ~20 % of the chunk building was copying pages out of the OS
    # cache with read calls.
    with memory_mapped(conn):
        yield from _chunks_mapped(conn, scope, cursor, forward, keys)


def _chunks_mapped(conn: sqlite3.Connection, scope: _Scope, cursor: tuple[int, int] | None, forward: bool,
                   keys: bool) -> Iterator[_Chunk]:  # fmt: skip
    where, wparams = scope.where()
    cols = f"{_MESSAGES}, count(*), {_FLAGGED}" + (", group_concat(seq)" if keys else "")
    if forward:
        key = cursor if cursor is not None else ((scope.start, -BIG) if scope.start is not None else (-BIG, -BIG))
    else:
        key = cursor if cursor is not None else ((scope.end, BIG) if scope.end is not None else (BIG, BIG))
    span = _first_span(conn, scope)
    while True:
        # Skip gaps: the next existing timestamp (a primary-key seek).
        if forward:
            row = conn.execute("SELECT min(ts) FROM log_events WHERE group_id = ? AND (ts, seq) > (?, ?)",
                               (scope.gid, *key)).fetchone()  # fmt: skip
            edge = row[0]
            if edge is None or (scope.end is not None and edge > scope.end):
                return
            stop = edge + span  # exclusive
            if scope.end is not None:
                stop = min(stop, scope.end + 1)
            sql = f"SELECT {cols} FROM log_events WHERE {where} AND (ts, seq) > (?, ?) AND ts < ?"
            params = [*wparams, *key, stop]
        else:
            row = conn.execute("SELECT max(ts) FROM log_events WHERE group_id = ? AND (ts, seq) < (?, ?)",
                               (scope.gid, *key)).fetchone()  # fmt: skip
            edge = row[0]
            if edge is None or (scope.start is not None and edge < scope.start):
                return
            stop = edge - span + 1  # inclusive lower bound
            if scope.start is not None:
                stop = max(stop, scope.start)
            sql = f"SELECT {cols} FROM log_events WHERE {where} AND (ts, seq) < (?, ?) AND ts >= ?"
            params = [*wparams, *key, stop]
        try:
            res = _limited(conn, sql, params)
        except sqlite3.DataError:  # denser than estimated: retry one millisecond, then slice that millisecond
            if span > 1:
                span = 1
                continue
            yield from _burst(conn, scope, edge, key, forward, keys)
            key = (edge, BIG) if forward else (edge, -BIG)
            continue
        buf, n = res[0] or b"", res[1]
        if n:
            yield _Chunk(buf, res[3].split(",") if keys else None, _ints(res[2]))
        key = (stop - 1, BIG) if forward else (stop, -BIG)
        span = max(1, min(span * 8, span * CHUNK_BYTES // max(len(buf), 1)))


def _burst(conn: sqlite3.Connection, scope: _Scope, ts: int, key: tuple[int, int], forward: bool,
           keys: bool) -> Iterator[_Chunk]:  # fmt: skip
    """The rows of one millisecond too many for one chunk, in slices of ``n`` rows ordered by seq."""
    where, wparams = scope.where()
    seq = key[1] if key[0] == ts else (-BIG if forward else BIG)
    n = 1024
    while True:
        cmp, order, edge = (">", "ASC", "max") if forward else ("<", "DESC", "min")
        sql = (f"SELECT {_MESSAGES}, count(*), {_FLAGGED}, group_concat(seq), {edge}(seq) FROM "
               f"(SELECT seq, esc, message FROM log_events WHERE {where} AND ts = ? AND seq {cmp} ? "
               f"ORDER BY seq {order} LIMIT ?)")  # fmt: skip
        try:
            res = _limited(conn, sql, [*wparams, ts, seq, n], capped=n > 1)
        except sqlite3.DataError:
            n = max(1, n // 4)
            continue
        if not res[1]:
            return
        buf = res[0] or b""
        yield _Chunk(buf, res[3].split(",") if keys else None, _ints(res[2]))
        seq = res[4]
        n = max(1, min(n * 8, n * CHUNK_BYTES // max(len(buf), 1)))


def _limited(conn: sqlite3.Connection, sql: str, params: list[Any], capped: bool = True) -> Any:
    if not capped:  # one row: it fits the connection's own limit (it was stored)
        return conn.execute(sql, params).fetchone()
    old = conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, CHUNK_LIMIT)
    try:
        return conn.execute(sql, params).fetchone()
    finally:
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, old)


def _first_span(conn: sqlite3.Connection, scope: _Scope) -> int:
    """Milliseconds that hold ~CHUNK_BYTES at the group's average density."""
    g = conn.execute("SELECT stored_bytes FROM log_groups WHERE id = ?", (scope.gid,)).fetchone()
    lo = conn.execute("SELECT min(ts) FROM log_events WHERE group_id = ?", (scope.gid,)).fetchone()[0]
    hi = conn.execute("SELECT max(ts) FROM log_events WHERE group_id = ?", (scope.gid,)).fetchone()[0]
    stored = int(g[0]) if g and g[0] else 0
    if lo is None or stored <= 0:
        return 1 << 40
    return max(1, (hi - lo + 1) * CHUNK_BYTES // stored)


def messages_by_seq(conn: sqlite3.Connection, gid: int, seqs: list[int], cols: str) -> list[Any]:
    out: list[Any] = []
    for i in range(0, len(seqs), 500):
        part = seqs[i : i + 500]
        # INDEXED BY: one (group_id, seq) index seek per row; the planner otherwise scans the whole group
        out += conn.execute(f"SELECT {cols} FROM log_events INDEXED BY log_events_ingested WHERE group_id = ? AND "
                            f"seq IN ({','.join('?' * len(part))})", (gid, *part)).fetchall()  # fmt: skip
    return out


def batch_count(conn: sqlite3.Connection, batch: Any, matches: Callable[[str], bool], gid: int, start: int | None,
                end: int | None, stream_ids: Any) -> int:  # fmt: skip
    """How many events of the scope match (FilterLogEvents over all its pages)."""
    scope = _Scope(gid, start, end, stream_ids)
    total = 0
    for chunk in _chunks(conn, scope, None, True, keys=False):
        total += batch.count(chunk.buf)
        if chunk.flagged:
            total += sum(1 for (m,) in messages_by_seq(conn, gid, chunk.flagged, "message") if matches(m))
    return total


def batch_scan(conn: sqlite3.Connection, batch: Any, matches: Callable[[str], bool], gid: int, start: int | None,
               end: int | None, stream_ids: Any, cursor: tuple[int, int] | None, forward: bool,
               take: Callable[[tuple[Any, ...]], bool]) -> tuple[int, int] | None:  # fmt: skip
    """Hands the matching rows ``(ts, seq, ingest, stream_id, message)`` to ``take`` in (ts, seq) order (reversed
    when not ``forward``) until it returns False; returns that row's key (the resume point), or None at the end."""
    scope = _Scope(gid, start, end, stream_ids)
    for chunk in _chunks(conn, scope, cursor, forward, keys=True):
        assert chunk.seqs is not None
        hit = [int(chunk.seqs[i]) for i in batch.select(chunk.buf)]
        if chunk.flagged:
            hit += [s for s, m in messages_by_seq(conn, gid, chunk.flagged, "seq, message") if matches(m)]
        if not hit:
            continue
        rows = messages_by_seq(conn, gid, hit, "ts, seq, ingest, stream_id, message")
        rows.sort(key=lambda r: (r[0], r[1]), reverse=not forward)
        for r in rows:
            if not take(r):
                return (r[0], r[1])
    return None
