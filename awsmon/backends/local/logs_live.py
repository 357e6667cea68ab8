"""CloudWatch Logs Live Tail (a mixin of the local logs service): StartLiveTail.

The response holds ``responseStream``, an iterable as boto3's event stream is: one ``sessionStart`` object, then a
``sessionUpdate`` every second with the events *ingested* after the session started (whatever their timestamps), in
ingestion order, at most 500 per update (beyond that a random sample of 500 and ``sessionMetadata.sampled: true``,
as AWS samples above 500 events/s). Each poll is one indexed read of the store by ingestion sequence (``(group_id,
seq)``), so events put by other processes appear within a second. After three hours of wall time the stream ends
with ``SessionTimeoutException`` (AWS's session limit). Limits and refusals: 1..10 log groups; ``logStreamNames``
and ``logStreamNamePrefixes`` exclusive, each only with a single group; an INFREQUENT_ACCESS group refuses the
session. The texts AWS does not document are moto's (the only public implementation) [inferred].
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

from awsmon.backends.local.base import api
from awsmon.errors import ServiceError

MAX_GROUPS = 10
MAX_RESULTS = 500  # per sessionUpdate
UPDATE_SECONDS = 1.0
SESSION_SECONDS = 3 * 3600.0


class LiveTailMixin:
    conn: Any

    @api("StartLiveTail", read_only=True)
    def start_live_tail(
        self,
        *,
        logGroupIdentifiers: list[str],
        logStreamNames: list[str] | None = None,
        logStreamNamePrefixes: list[str] | None = None,
        logEventFilterPattern: str | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        from awsmon.backends.local.logs_common import constraint_error, invalid, scan_pattern

        idents = list(logGroupIdentifiers or [])
        if not idents:
            raise constraint_error(idents, "logGroupIdentifiers", "Member must have length greater than or equal to 1")
        if len(idents) > MAX_GROUPS:
            raise constraint_error(idents, "logGroupIdentifiers",
                                   f"Member must have length less than or equal to {MAX_GROUPS}")  # fmt: skip
        if logStreamNames is not None and logStreamNamePrefixes is not None:
            raise invalid("Only one of logStreamNames or logStreamNamePrefixes can be provided.")
        selected = logStreamNames if logStreamNames is not None else logStreamNamePrefixes
        if selected is not None:
            if len(idents) != 1:
                raise invalid("logStreamNames and logStreamNamePrefixes can only be used with a single log group.")
            param = "logStreamNames" if logStreamNames is not None else "logStreamNamePrefixes"
            if not 1 <= len(selected) <= 100:
                raise constraint_error(selected, param, "Member must have length between 1 and 100")
        if logEventFilterPattern is not None and len(logEventFilterPattern) > 1024:
            raise constraint_error(logEventFilterPattern[:64] + "...", "logEventFilterPattern",
                                   "Member must have length less than or equal to 1024")  # fmt: skip
        fp = scan_pattern(logEventFilterPattern)
        groups: list[tuple[int, str]] = []
        for ident in idents:
            if not isinstance(ident, str) or ident.endswith("*"):
                raise invalid("LogGroup ARN cannot end with a wildcard: " + str(ident))
            name = self._name_from_identifier(ident)  # type: ignore[attr-defined]
            g = self._group(name)  # type: ignore[attr-defined]
            self.check_class(name, "StartLiveTail")  # type: ignore[attr-defined]
            groups.append((int(g["id"]), self.group_arn(name)))  # type: ignore[attr-defined]
        start = {
            "requestId": str(uuid.uuid4()),
            "sessionId": str(uuid.uuid4()),
            "logGroupIdentifiers": [arn for _, arn in groups],
            "logStreamNames": list(logStreamNames or []),
            "logStreamNamePrefixes": list(logStreamNamePrefixes or []),
            "logEventFilterPattern": logEventFilterPattern or "",
        }
        return {"responseStream": LiveTailStream(self, start, groups, fp, logStreamNames, logStreamNamePrefixes)}


class LiveTailStream:
    """The session's event stream (iterate it; ``close()`` ends it, as boto3's EventStream)."""

    def __init__(self, service: Any, start: dict[str, Any], groups: list[tuple[int, str]], fp: Any,
                 names: list[str] | None, prefixes: list[str] | None) -> None:  # fmt: skip
        self.service = service
        self.start = start
        self.groups = groups
        self.fp = fp
        self.names = names
        self.prefixes = prefixes
        self.cursor = _next_seq(service.conn) - 1  # only events ingested from now on
        self.closed = False

    def close(self) -> None:
        self.closed = True

    def __iter__(self) -> Iterator[dict[str, Any]]:
        yield {"sessionStart": self.start}
        opened = time.monotonic()
        due = opened
        while not self.closed:
            due += UPDATE_SECONDS
            time.sleep(max(0.0, due - time.monotonic()))
            if self.closed:
                return
            if time.monotonic() - opened >= SESSION_SECONDS:
                raise ServiceError("SessionTimeoutException", "Session timed out after 3 hours.")
            results = self._new_events()
            sampled = len(results) > MAX_RESULTS
            if sampled:
                import random

                keep = sorted(random.sample(range(len(results)), MAX_RESULTS))
                results = [results[i] for i in keep]
            yield {"sessionUpdate": {"sessionMetadata": {"sampled": sampled},
                                     "sessionResults": [r for _, r in results]}}  # fmt: skip

    def _new_events(self) -> list[tuple[int, dict[str, Any]]]:
        conn = self.service.conn
        last = _next_seq(conn) - 1
        if last <= self.cursor:  # one primary-key read when nothing arrived
            return []
        out: list[tuple[int, dict[str, Any]]] = []
        for gid, arn in self.groups:
            sql = ("SELECT e.seq, e.ts, e.ingest, e.message, s.name FROM log_events e "
                   "JOIN log_streams s ON s.id = e.stream_id WHERE e.group_id = ? AND e.seq > ? AND e.seq <= ?")  # fmt: skip
            params: list[Any] = [gid, self.cursor, last]
            if self.names is not None:
                sql += f" AND s.name IN ({','.join('?' * len(self.names))})"
                params += self.names
            elif self.prefixes is not None:
                sql += " AND (" + " OR ".join("substr(s.name, 1, ?) = ?" for _ in self.prefixes) + ")"
                for p in self.prefixes:
                    params += [len(p), p]
            rows = [r for r in conn.execute(sql, params) if self.fp.kind == "all" or self.fp.matches(r[3])]
            events = [{"logStreamName": r[4], "logGroupIdentifier": arn, "message": r[3], "timestamp": r[1],
                       "ingestionTime": r[2]} for r in rows]  # fmt: skip
            self.service._masked(gid, events, [r[0] for r in rows], False)
            out += [(r[0], ev) for r, ev in zip(rows, events, strict=True)]
        self.cursor = last
        out.sort(key=lambda x: x[0])
        return out


def _next_seq(conn: Any) -> int:
    row = conn.execute("SELECT next_seq FROM log_seq WHERE id = 1").fetchone()
    return 1 if row is None else int(row[0])
