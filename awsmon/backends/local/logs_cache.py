"""A flat copy of a big log group's messages beside the database, for counting matches (``logs filter --count``).

Reading the messages out of SQLite costs ~0.4 CPU s per 382 MB (walking the pages and concatenating them), more
than grep needs to read the same bytes from a file. For a group of at least ``MIN_BYTES``, a space-delimited count
(the pattern kind with a batch matcher) therefore scans a memory map of ``<account>/logs-cache/<group id>/``:

* ``msg``: every message followed by a NUL (a message holding a NUL is stored empty and judged from SQLite);
* ``off``, ``ts``, ``sid``: int64 arrays, per message, of its offset in ``msg``, its timestamp and its stream id,
  so hits are checked against the time window and the streams (skipped when the count covers the whole group);
* ``meta.json``: what the files cover (the database's identity, the group, the highest ingestion ``seq`` copied,
  how many events that is, the file lengths, the seqs of the NUL-holding messages).

It is a cache of the database, never the reference. Every statement that deletes log events (DeleteLogStream,
DeleteLogGroup, retention) calls :func:`note_deletion` in its transaction, which bumps the group's counter in the
``meta`` table (a test checks that no statement deleting from log_events goes without it); a copy made under another
counter value is rebuilt. Events ingested since the copy are appended in ``seq`` order (seqs are never reused and
only grow; the check and the copy run in one read transaction). Counting the events up to the copied seq instead
(an index range) was as sure without the bookkeeping but cost ~0.08 s per million events on every count. Appends go beyond the lengths ``meta.json`` records and ``meta.json`` is replaced
atomically afterwards, so a crash in between leaves bytes that the next update truncates (idempotent); a rebuild
writes a fresh folder and renames it into place. Writers take an exclusive ``flock``; readers map the lengths
recorded and see a consistent copy. The copy costs the group's size again on disk (documented in docs/logs.md).
"""

from __future__ import annotations

import json
import mmap
import os
import shutil
import threading
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import Any

MIN_BYTES = 32 << 20  # smaller groups are counted from SQLite chunks (fast enough; no second copy on disk)
ESC_NUL = 2
_FETCH = 20_000  # rows per fetch while appending
_SLICE = 5_000  # rows per slice of a first copy (~2 MB of messages at CloudTrail's sizes)
_INT = array("q").itemsize


def applies(g: Any, batch: Any) -> bool:
    """Whether a count of this group with this batch matcher goes through the copy."""
    return batch is not None and int(g["stored_bytes"] or 0) >= MIN_BYTES


def folder(store: Any, gid: int) -> Path:
    return store.home.account_dir(store.account_id) / "logs-cache" / str(int(gid))


def drop(store: Any, gid: int) -> None:
    """Forget a deleted group's copy."""
    path = folder(store, gid)
    shutil.rmtree(path, ignore_errors=True)
    path.with_name(f"{int(gid)}.lock").unlink(missing_ok=True)


def _deletions_key(gid: int) -> str:
    return f"logs_deletions:{int(gid)}"


def note_deletion(conn: Any, gid: int) -> None:
    """Say that some of the group's events were deleted (inside the deleting transaction): its copy is stale."""
    conn.execute("INSERT INTO meta (key, value) VALUES (?, '1') ON CONFLICT (key) DO UPDATE SET "
                 "value = CAST(value AS INTEGER) + 1", (_deletions_key(gid),))  # fmt: skip


def _deletions(conn: Any, gid: int) -> str:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (_deletions_key(gid),)).fetchone()
    return str(row[0]) if row is not None else "0"


def _db_identity(conn: Any) -> str:
    # `account reset` replaces the database (and removes the folder); its creation time and key tell databases apart
    rows = dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('created', 'access_key_id')").fetchall())
    return f"{rows.get('created')}/{rows.get('access_key_id')}"


def _read_meta(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((path / "meta.json").read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_meta(path: Path, meta: dict[str, Any]) -> None:
    tmp = path / "meta.json.tmp"
    with _open_rw(tmp) as fh:
        fh.truncate(0)
        fh.write(json.dumps(meta).encode())
    os.replace(tmp, path / "meta.json")


def _valid(path: Path, meta: dict[str, Any] | None, ident: str, gid: int, deletions: str) -> bool:
    if meta is None or meta.get("db") != ident or meta.get("gid") != gid or meta.get("deletions") != deletions:
        return False
    lens = meta.get("lens") or {}
    try:
        if any((path / name).stat().st_size < int(lens.get(name, 0)) for name in ("msg", "off", "ts", "sid")):
            return False
    except OSError:
        return False
    return True


def _append(conn: Any, path: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """Copy the group's events with seq > meta["covered"] and return the new meta (a first copy reads the group in
    primary-key order, a walk of its pages; later ones the few new events by their seq)."""
    from itertools import accumulate

    lens = meta["lens"]
    files = {name: _open_rw(path / name) for name in ("msg", "off", "ts", "sid")}
    try:
        for name, fh in files.items():  # drop what a crashed update left beyond the recorded lengths
            fh.truncate(int(lens.get(name, 0)))
            fh.seek(0, os.SEEK_END)
        offset = int(lens.get("msg", 0))
        covered, events, flagged = int(meta["covered"]), int(meta["events"]), list(meta["flagged"])
        if covered == 0:  # a whole group: SQLite concatenates slices of it in C (~5x faster than row by row)
            for buf, seqs, tss, sids, lens_, nul in _slices(conn, int(meta["gid"])):
                offs = array("q", accumulate((n + 1 for n in lens_), initial=offset))
                offset = offs.pop()
                files["msg"].write(buf + b"\0")
                files["off"].write(offs.tobytes())
                files["ts"].write(tss.tobytes())
                files["sid"].write(sids.tobytes())
                flagged += nul
                covered = max(covered, max(seqs))
                events += len(seqs)
        # what came since (few rows), in seq order: the UTF-8 bytes as stored, a NUL-holding message as b""
        cols = f"seq, ts, stream_id, esc, CAST(CASE WHEN esc < {ESC_NUL} THEN message ELSE '' END AS BLOB)"
        cur = conn.execute(f"SELECT {cols} FROM log_events INDEXED BY log_events_ingested WHERE group_id = ? "
                           "AND seq > ?", (meta["gid"], covered))  # fmt: skip
        while rows := cur.fetchmany(_FETCH):
            seqs, tss, sids, escs, blobs = zip(*rows, strict=True)
            data = list(blobs)
            if max(escs) >= ESC_NUL:
                flagged += [seq for seq, esc in zip(seqs, escs, strict=True) if esc >= ESC_NUL]
            offs = array("q", accumulate((len(d) + 1 for d in data), initial=offset))
            offset = offs.pop()
            data.append(b"")
            files["msg"].write(b"\0".join(data))
            files["off"].write(offs.tobytes())
            files["ts"].write(array("q", tss).tobytes())
            files["sid"].write(array("q", sids).tobytes())
            covered = max(covered, max(seqs))
            events += len(rows)
        for fh in files.values():
            fh.flush()
        new_lens = {name: fh.tell() for name, fh in files.items()}
    finally:
        for fh in files.values():
            fh.close()
    return {**meta, "covered": covered, "events": events, "flagged": flagged, "lens": new_lens}


def _open_rw(file: Path) -> Any:
    """Open for reading and writing, created 0600 (like the account's other files), not truncated."""
    return os.fdopen(os.open(file, os.O_RDWR | os.O_CREAT, 0o600), "r+b")


def _ints(text: Any) -> array[int]:
    return array("q", map(int, text.split(","))) if text else array("q")


def _slices(conn: Any, gid: int) -> Any:
    """The group's events in primary-key order, ``_SLICE`` at a time: (messages joined by NUL, seqs, timestamps,
    stream ids, byte lengths, seqs of the NUL-holding messages, which are empty in the buffer)."""
    key = (-(1 << 63), -(1 << 63))
    empty = f"CASE WHEN esc < {ESC_NUL} THEN message ELSE '' END"
    sql = (f"SELECT CAST(group_concat({empty}, char(0)) AS BLOB), group_concat(seq), group_concat(ts), "
           f"group_concat(stream_id), group_concat(length(CAST({empty} AS BLOB))), "
           f"group_concat(CASE WHEN esc >= {ESC_NUL} THEN seq END), count(*) FROM (SELECT ts, seq, stream_id, esc, "
           f"message FROM log_events WHERE group_id = ? AND (ts, seq) > (?, ?) ORDER BY ts, seq LIMIT {_SLICE})")  # fmt: skip
    while True:
        buf, seqs, tss, sids, lens, nul, n = conn.execute(sql, (gid, *key)).fetchone()
        if not n:
            return
        seq_a, ts_a = _ints(seqs), _ints(tss)
        yield buf or b"", seq_a, ts_a, _ints(sids), _ints(lens), list(_ints(nul))
        key = (ts_a[-1], seq_a[-1])


def update(conn: Any, store: Any, gid: int) -> tuple[_Mapped, dict[str, Any]]:
    """The group's copy brought up to date with the database (built the first time), mapped, and its meta. It is
    mapped under the lock: a rebuild by another process replaces the folder, and the maps keep the files they hold
    (a reader never mixes two copies); appends by others go past the lengths mapped here."""
    import fcntl

    path = folder(store, gid)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    lock = _open_rw(path.parent / f"{int(gid)}.lock")
    snapshot = not conn.in_transaction
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if snapshot:  # one read transaction: the check and the copy see the same database
            conn.execute("BEGIN")
        ident, deletions = _db_identity(conn), _deletions(conn, gid)
        meta = _read_meta(path)
        if not _valid(path, meta, ident, gid, deletions):
            fresh = path.with_name(f"{int(gid)}.new")
            shutil.rmtree(fresh, ignore_errors=True)
            fresh.mkdir(mode=0o700)
            empty = {"db": ident, "gid": gid, "deletions": deletions, "covered": 0, "events": 0, "flagged": [],
                     "lens": {}}  # fmt: skip
            _write_meta(fresh, _append(conn, fresh, empty))
            shutil.rmtree(path, ignore_errors=True)
            os.replace(fresh, path)
            meta = _read_meta(path)
            assert meta is not None
        else:
            assert meta is not None
            grown = _append(conn, path, meta)
            if grown["covered"] != meta["covered"]:
                _write_meta(path, grown)
            meta = grown
        mapped = _Mapped(path, meta)
    finally:
        if snapshot and conn.in_transaction:
            conn.execute("COMMIT")
        lock.close()  # releases the lock
    return mapped, meta


class _Mapped:
    """The copy's files mapped read-only, up to the lengths in meta."""

    def __init__(self, path: Path, meta: dict[str, Any]) -> None:
        self.maps: list[mmap.mmap] = []
        lens = meta["lens"]
        self.msg = self._map(path / "msg", int(lens["msg"]))
        self.off = self._ints(path / "off", int(lens["off"]))
        self.ts = self._ints(path / "ts", int(lens["ts"]))
        self.sid = self._ints(path / "sid", int(lens["sid"]))

    def _map(self, file: Path, size: int) -> Any:
        if size == 0:
            return b""
        with open(file, "rb") as fh:
            m = mmap.mmap(fh.fileno(), size, access=mmap.ACCESS_READ)
        self.maps.append(m)
        return m

    def _ints(self, file: Path, size: int) -> Any:
        raw = self._map(file, size)
        return memoryview(raw).cast("q") if size else memoryview(array("q"))

    def close(self) -> None:
        for v in (self.off, self.ts, self.sid):
            v.release()
        for m in self.maps:
            m.close()


def count(conn: Any, store: Any, g: Any, batch: Any, matches: Callable[[str], bool], start: int | None,
          end: int | None, stream_ids: Any, by_seq: Callable[[list[int], str], list[Any]]) -> int:  # fmt: skip
    """How many of the group's events between ``start`` and ``end`` (inclusive, None: open) in ``stream_ids`` (None:
    all) match: the batch matcher scans the mapped copy, hits are checked against the window and the streams; the
    NUL-holding messages are read back by seq (``by_seq(seqs, columns)``)."""
    gid = int(g["id"])
    mapped, meta = update(conn, store, gid)
    streams = set(stream_ids) if stream_ids is not None else None
    try:
        # two statements: SQLite answers a lone min() or max() with one primary-key seek, both at once by a scan
        lo = conn.execute("SELECT min(ts) FROM log_events WHERE group_id = ?", (gid,)).fetchone()[0]
        hi = conn.execute("SELECT max(ts) FROM log_events WHERE group_id = ?", (gid,)).fetchone()[0]
        if lo is None:
            return 0
        whole = streams is None and (start is None or start <= lo) and (end is None or end >= hi)
        lo_ts, hi_ts = (start if start is not None else lo), (end if end is not None else hi)
        off, ts, sid = mapped.off, mapped.ts, mapped.sid

        def within(k: int) -> bool:
            return lo_ts <= ts[k] <= hi_ts and (streams is None or sid[k] in streams)

        # One thread: Hyperscan runs without the GIL, but each hit's callback takes it, and two scanning threads
        # passed it back and forth ~7,000 times per 90,000 hits (0.23 s wall, 0.32 CPU s; one thread: 0.15 s).
        total = batch.count_messages(mapped.msg, off, 0, None, None if whole else within)
    finally:
        mapped.close()
    if meta["flagged"]:
        for t, s, m in by_seq(list(meta["flagged"]), "ts, stream_id, message"):
            if lo_ts <= t <= hi_ts and (streams is None or s in streams) and matches(m):
                total += 1
    return total


class CompiledPatterns:
    """``filterbatch.DatabaseCache`` in files: ``$AWSMON_HOME/cache/hyperscan/<key>`` (the key names the Hyperscan
    version and the regexes, so an entry never goes stale; written atomically, 0600)."""

    def __init__(self, store: Any) -> None:
        self.path = store.home.root / "cache" / "hyperscan"

    def get(self, key: str) -> bytes | None:
        try:
            return (self.path / key).read_bytes()
        except OSError:
            return None

    def put(self, key: str, data: bytes) -> None:
        try:
            self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
            tmp = self.path / f".{key}.{os.getpid()}.{threading.get_ident()}"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, self.path / key)
        except OSError:  # a read-only home: compile again next time
            pass
