"""The local CloudWatch Logs service (``logs.amazonaws.com``): groups, streams, events, retention, metric filters.

Rules and texts: shared/specs/logs.md §3 (names, retention, PutLogEvents limits, FilterLogEvents/GetLogEvents paging)
and §2 (metric filters). Filter patterns run on the shared engine (:mod:`awsmon.engines.filterpattern`); the literals
every match must contain are pushed into SQL (``message GLOB '*lit*'``, SQLite's fastest case-sensitive substring
test) so only candidates reach Python, and JSON is decoded only for those.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from itertools import repeat
from typing import Any

from awsmon.backends.local import logs_batch, logs_cache, scheduler
from awsmon.backends.local.base import LocalService, api
from awsmon.backends.local.logs_account import AccountPolicyMixin
from awsmon.backends.local.logs_common import (  # noqa: F401  (re-exported: other modules import them from here)
    BAD_TOKEN,
    GROUP_MISSING,
    GROUP_NAME_PATTERN,
    GROUP_NAME_RE,
    NO_COLON_STAR_PATTERN,
    STREAM_MISSING,
    _as_ms,
    _limit,
    _ms,
    compile_or_raise,
    constraint_error,
    event_id,
    invalid,
    scan_pattern,
    seq_of_event_id,
    validate_group_name,
    validate_no_colon_star,
)
from awsmon.backends.local.logs_export import ExportMixin
from awsmon.backends.local.logs_groups import GroupSettingsMixin
from awsmon.backends.local.logs_insights import InsightsMixin
from awsmon.backends.local.logs_live import LiveTailMixin
from awsmon.backends.local.logs_subscriptions import SubscriptionsMixin
from awsmon.backends.local.store import AccountStore
from awsmon.errors import ServiceError

scheduler.register("logs.retention", "awsmon.backends.local.logs:run_retention")

METRIC_NAME_PATTERN = r"[^:*$]*"
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
MAX_BATCH_BYTES = 1_048_576  # sum of UTF-8 message sizes + 26 bytes per event
EVENT_OVERHEAD = 26
MAX_BATCH_EVENTS = 10_000
# Per-event maximum: 1 MB in the current API model (the 2023 quota page said 256 KB; AWS has raised it).
MAX_EVENT_BYTES = 1_048_576
MAX_SPAN_MS = 24 * 3600 * 1000
TOO_NEW_MS = 2 * 3600 * 1000
TOO_OLD_MS = 14 * 86400 * 1000
DAY_MS = 86400 * 1000
MAX_PAGE_BYTES = 1_048_576
MAX_METRIC_FILTERS_PER_GROUP = 100
PARALLEL_MIN_BYTES = 64 << 20  # below this a serial scan is as fast as starting threads and connections
PARALLEL_MAX = 4
PARALLEL_MIN_LITERAL = 4  # a literal this long is selective enough for the scan to be SQLite's, not Python's
UNITS = (
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes", "Bits",
    "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second", "Kilobytes/Second",
    "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
    "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
)  # fmt: skip

def _encode_token(data: dict[str, Any]) -> str:
    import base64

    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_token(token: Any) -> dict[str, Any]:
    if not isinstance(token, str) or not token:
        raise invalid(BAD_TOKEN)
    import base64
    import binascii

    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error) as exc:
        raise invalid(BAD_TOKEN) from exc
    if not isinstance(data, dict):
        raise invalid(BAD_TOKEN)
    return data


def _offset(token: Any) -> int:
    """The list offset an offset-paged Describe call's nextToken resumes at (0 without a token)."""
    if not token:
        return 0
    offset = _decode_token(token).get("offset", -1)
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise invalid(BAD_TOKEN)
    return offset


def _offset_page(key: str, items: list[Any], offset: int, n: int, more: bool) -> dict[str, Any]:
    """``{key: items}`` plus the nextToken of the following page when there is ``more``."""
    out: dict[str, Any] = {key: items}
    if more:
        out["nextToken"] = _encode_token({"offset": offset + n})
    return out


def _stream_token(direction: str, ts: int, seq: int) -> str:
    """GetLogEvents tokens: ``f/`` (after this event) or ``b/`` (before it), like AWS's opaque strings."""
    return f"{direction}/{ts:020d}/{seq:036d}"


def _parse_stream_token(token: Any) -> tuple[str, int, int]:
    if not isinstance(token, str):
        raise invalid(BAD_TOKEN)
    parts = token.split("/")
    if len(parts) != 3 or parts[0] not in ("f", "b") or not parts[1].isdigit() or not parts[2].isdigit():
        raise invalid(BAD_TOKEN)
    return parts[0], int(parts[1]), int(parts[2])


def glob_literal(lit: str) -> str:
    """``*lit*`` for SQLite GLOB (case-sensitive), with the GLOB metacharacters bracketed."""
    return "*" + "".join(f"[{c}]" if c in "*?[" else c for c in lit) + "*"


def _literal_sql(lit: str) -> tuple[str, list[Any]]:
    """A substring test for ``lit``. GLOB is SQLite's fastest (it jumps to the first character with strcspn) unless
    the literal starts with a metacharacter: a leading ``[x]`` class is tested at every position (~15x slower), so
    such a literal is tested with GLOB on its longest plain piece, then ``instr`` on the candidates."""
    if "\x00" in lit:
        return "0", []  # only NUL-flagged rows can hold it, and those skip the literal tests
    if lit[0] not in "*?[":
        return "message GLOB ?", [glob_literal(lit)]
    piece = max(re.split(r"[*?\[]", lit), key=len)
    if not piece:
        return "instr(message, ?) > 0", [lit]
    return "(message GLOB ? AND instr(message, ?) > 0)", [glob_literal(piece), lit]


# esc bits: 1 = the message holds a backslash (JSON escapes can spell a literal differently), 2 = it holds a NUL
# (SQLite's GLOB stops at a NUL, so literals after it are invisible to SQL). Flagged rows skip the literal test.
ESC_BACKSLASH, ESC_NUL = 1, 2


def esc_flags(msg: str) -> int:
    return (ESC_BACKSLASH if "\\" in msg else 0) | (ESC_NUL if "\x00" in msg else 0)


def prefilter_sql(fp: Any) -> tuple[str, list[Any]]:
    """SQL conditions every matching message satisfies (sound, not exact: the pattern confirms each candidate)."""
    if fp.kind == "all":
        return "", []
    guarded = fp.guarded_literals()
    lits = list(guarded.literals)
    if not lits:
        return "", []
    parts = [_literal_sql(x) for x in lits]
    cond = " AND ".join(p[0] for p in parts)
    params: list[Any] = [v for p in parts for v in p[1]]
    if guarded.unless is not None:
        if guarded.unless != "\\":
            return f" AND (instr(message, ?) > 0 OR esc >= {ESC_NUL} OR ({cond}))", [guarded.unless, *params]
        return f" AND (esc != 0 OR ({cond}))", params
    return f" AND (esc >= {ESC_NUL} OR ({cond}))", params


def filter_sql(fp: Any, fn: str) -> tuple[str, list[Any]]:
    """The whole filter as SQL: the literal pre-filter, then ``fn(message)`` (the pattern, registered on the
    connection) on the candidates only, so non-matching rows never cross into Python. Term patterns made only of
    plain literals are exact in SQL: ``fn`` then runs only on NUL-flagged rows."""
    if fp.kind == "all":
        return "", []
    if getattr(fp, "literals_exact", False):
        parts = [_literal_sql(x) for x in fp.guarded_literals().literals]
        cond = " AND ".join(p[0] for p in parts)
        return f" AND (({cond}) OR (esc >= {ESC_NUL} AND {fn}(message)))", [v for p in parts for v in p[1]]
    pre, params = prefilter_sql(fp)
    return f"{pre} AND {fn}(message)", params


class LocalLogs(AccountPolicyMixin, LiveTailMixin, InsightsMixin, SubscriptionsMixin, ExportMixin, GroupSettingsMixin, LocalService):
    service_name = "logs"
    event_source = "logs.amazonaws.com"

    # A PutLogEvents batch carries up to 1 MB of messages: the CloudTrail record names the group and stream,
    # not the payload (copying it made every import batch a megabyte-sized CloudTrail event).
    payload_params = frozenset({"logEvents"})

    # -- helpers ------------------------------------------------------------------------------------------------
    def group_arn(self, name: str) -> str:
        return f"arn:aws:logs:{self.region}:{self.account_id}:log-group:{name}"

    def _resources(self, op: str, params: dict[str, Any], result: Any) -> list[dict[str, str]]:
        name = params.get("logGroupName")
        if not isinstance(name, str) or not name:
            ident = params.get("logGroupIdentifier")
            name = self._name_from_identifier(ident) if isinstance(ident, str) else None
        if not name:
            idents = params.get("logGroupIdentifiers")  # StartLiveTail
            names = [self._name_from_identifier(i) for i in idents if isinstance(i, str)] if isinstance(idents, list) else []
            return [{"type": "AWS::Logs::LogGroup", "ARN": self.group_arn(n), "name": n} for n in names]
        out = [{"type": "AWS::Logs::LogGroup", "ARN": self.group_arn(name), "name": name}]
        stream = params.get("logStreamName")
        if isinstance(stream, str) and stream:
            arn = f"{self.group_arn(name)}:log-stream:{stream}"
            out.append({"type": "AWS::Logs::LogStream", "ARN": arn, "name": stream})
        return out

    @staticmethod
    def _name_from_identifier(ident: str) -> str:
        if ident.startswith("arn:"):
            parts = ident.split(":")
            if len(parts) >= 7 and parts[5] == "log-group":
                return parts[6]
        return ident

    def _group_name_param(self, logGroupName: Any, logGroupIdentifier: Any) -> str:
        if logGroupName and logGroupIdentifier:
            raise invalid("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
        if logGroupIdentifier:
            if not isinstance(logGroupIdentifier, str) or len(logGroupIdentifier) > 2048:
                raise constraint_error(logGroupIdentifier, "logGroupIdentifier", "Member must have length less than or equal to 2048")
            return self._name_from_identifier(logGroupIdentifier.removesuffix(":*"))
        if not logGroupName:
            raise invalid("Should provide either logGroupName or logGroupIdentifier.")
        return str(logGroupName)

    def _group(self, name: str) -> Any:
        row = self.conn.execute(
            "SELECT id, name, creation_ms, retention_days, stored_bytes FROM log_groups WHERE region = ? AND name = ?",
            (self.region, name),
        ).fetchone()
        if row is None:
            raise ServiceError("ResourceNotFoundException", GROUP_MISSING)
        return row

    def _stream(self, group_id: int, name: str) -> Any:
        row = self.conn.execute(
            "SELECT id, name FROM log_streams WHERE group_id = ? AND name = ?", (group_id, name)
        ).fetchone()
        if row is None:
            raise ServiceError("ResourceNotFoundException", STREAM_MISSING)
        return row

    def _next_seqs(self, n: int) -> int:
        """Reserve ``n`` ingestion sequence numbers; returns the first (inside the write transaction)."""
        row = self.conn.execute("SELECT next_seq FROM log_seq WHERE id = 1").fetchone()
        first = 1 if row is None else int(row[0])
        self.conn.execute(
            "INSERT INTO log_seq (id, next_seq) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET next_seq = excluded.next_seq",
            (first + n,),
        )
        return first

    # -- groups -------------------------------------------------------------------------------------------------
    @api("CreateLogGroup")
    def create_log_group(self, *, logGroupName: str, logGroupClass: str | None = None, kmsKeyId: str | None = None,
                         tags: dict[str, str] | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        validate_group_name(logGroupName)
        settings = self.validate_create_settings(logGroupClass, kmsKeyId, tags)
        if logGroupName.lower().startswith("aws/"):
            raise invalid("Log groups starting with AWS/ are reserved for AWS.")
        exists = self.conn.execute(
            "SELECT 1 FROM log_groups WHERE region = ? AND name = ?", (self.region, logGroupName)
        ).fetchone()
        if exists:
            raise ServiceError("ResourceAlreadyExistsException", "The specified log group already exists")
        self.conn.execute(
            "INSERT INTO log_groups (region, name, creation_ms, log_class, kms_key, tags) VALUES (?, ?, ?, ?, ?, ?)",
            (self.region, logGroupName, _ms(self.now()), settings["log_class"], settings["kms_key"], settings["tags"]),
        )
        return {}

    @api("DeleteLogGroup")
    def delete_log_group(self, *, logGroupName: str, **kw: Any) -> dict[str, Any]:
        validate_group_name(logGroupName)
        g = self._group(logGroupName)
        self.conn.execute("DELETE FROM log_events WHERE group_id = ?", (g["id"],))
        logs_cache.note_deletion(self.conn, g["id"])
        self.conn.execute("DELETE FROM log_groups WHERE id = ?", (g["id"],))
        scheduler.unschedule(self.store, "logs.retention", f"{self.region}:{g['id']}")
        logs_cache.drop(self.store, g["id"])  # group ids are never reused: the copy can only be stale now
        return {}

    def _group_dict(self, row: Any) -> dict[str, Any]:
        arn = self.group_arn(row["name"])
        out: dict[str, Any] = {"logGroupName": row["name"], "creationTime": row["creation_ms"]}
        if row["retention_days"] is not None:
            out["retentionInDays"] = row["retention_days"]
        out.update(
            {
                "metricFilterCount": row["mf_count"],
                "arn": arn + ":*",
                "storedBytes": row["stored_bytes"],
                "logGroupClass": row["log_class"],
                "logGroupArn": arn,
            }
        )
        if row["kms_key"]:
            out["kmsKeyId"] = row["kms_key"]
        if row["data_protection"] and json.loads(row["data_protection"]).get("document"):
            out["dataProtectionStatus"] = "ACTIVATED"
        return out

    @api("DescribeLogGroups")
    def describe_log_groups(
        self,
        *,
        logGroupNamePrefix: str | None = None,
        logGroupNamePattern: str | None = None,
        nextToken: str | None = None,
        limit: int | None = None,
        logGroupClass: str | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        if logGroupClass is not None:
            self.validate_create_settings(logGroupClass, None, None)
        if logGroupNamePrefix and logGroupNamePattern:
            raise invalid("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
        if logGroupNamePrefix is not None:
            validate_group_name(logGroupNamePrefix, "logGroupNamePrefix")
        n = _limit(limit, "limit", 50, 50)
        after = _decode_token(nextToken).get("after", "") if nextToken else ""
        sql = (
            "SELECT g.id, g.name, g.creation_ms, g.retention_days, g.stored_bytes, g.log_class, g.kms_key, "
            "g.data_protection, "
            "(SELECT count(*) FROM log_metric_filters f WHERE f.group_id = g.id) AS mf_count "
            "FROM log_groups g WHERE g.region = ? AND g.name > ?"
        )
        params: list[Any] = [self.region, after]
        if logGroupNamePrefix:
            sql += " AND substr(g.name, 1, ?) = ?"
            params += [len(logGroupNamePrefix), logGroupNamePrefix]
        if logGroupNamePattern:
            sql += " AND instr(g.name, ?) > 0"
            params.append(logGroupNamePattern)
        if logGroupClass:
            sql += " AND g.log_class = ?"
            params.append(logGroupClass)
        rows = self.conn.execute(sql + " ORDER BY g.name LIMIT ?", (*params, n + 1)).fetchall()
        out: dict[str, Any] = {"logGroups": [self._group_dict(r) for r in rows[:n]]}
        if len(rows) > n:
            out["nextToken"] = _encode_token({"after": rows[n - 1]["name"]})
        return out

    @api("PutRetentionPolicy")
    def put_retention_policy(self, *, logGroupName: str, retentionInDays: int, **kw: Any) -> dict[str, Any]:
        validate_group_name(logGroupName)
        if retentionInDays not in RETENTION_DAYS or isinstance(retentionInDays, bool):
            values = ", ".join(str(d) for d in RETENTION_DAYS)
            raise constraint_error(retentionInDays, "retentionInDays", f"Member must satisfy enum value set: [{values}]")
        g = self._group(logGroupName)
        self.conn.execute("UPDATE log_groups SET retention_days = ? WHERE id = ?", (retentionInDays, g["id"]))
        key = f"{self.region}:{g['id']}"
        scheduler.unschedule(self.store, "logs.retention", key)
        _schedule_retention(self.store, key, g["id"], retentionInDays)
        return {}

    @api("DeleteRetentionPolicy")
    def delete_retention_policy(self, *, logGroupName: str, **kw: Any) -> dict[str, Any]:
        validate_group_name(logGroupName)
        g = self._group(logGroupName)
        self.conn.execute("UPDATE log_groups SET retention_days = NULL WHERE id = ?", (g["id"],))
        scheduler.unschedule(self.store, "logs.retention", f"{self.region}:{g['id']}")
        return {}

    # -- streams ------------------------------------------------------------------------------------------------
    @api("CreateLogStream")
    def create_log_stream(self, *, logGroupName: str, logStreamName: str, **kw: Any) -> dict[str, Any]:
        validate_group_name(logGroupName)
        validate_no_colon_star(logStreamName, "logStreamName")
        g = self._group(logGroupName)
        if self.conn.execute(
            "SELECT 1 FROM log_streams WHERE group_id = ? AND name = ?", (g["id"], logStreamName)
        ).fetchone():
            raise ServiceError("ResourceAlreadyExistsException", "The specified log stream already exists")
        self.conn.execute(
            "INSERT INTO log_streams (group_id, name, creation_ms) VALUES (?, ?, ?)",
            (g["id"], logStreamName, _ms(self.now())),
        )
        return {}

    @api("DeleteLogStream")
    def delete_log_stream(self, *, logGroupName: str, logStreamName: str, **kw: Any) -> dict[str, Any]:
        validate_group_name(logGroupName)
        validate_no_colon_star(logStreamName, "logStreamName")
        g = self._group(logGroupName)
        s = self._stream(g["id"], logStreamName)
        freed = self.conn.execute(
            "SELECT coalesce(sum(length(CAST(message AS BLOB))), 0) FROM log_events WHERE stream_id = ?", (s["id"],)
        ).fetchone()[0]
        self.conn.execute("DELETE FROM log_events WHERE group_id = ? AND stream_id = ?", (g["id"], s["id"]))
        logs_cache.note_deletion(self.conn, g["id"])
        self.conn.execute("DELETE FROM log_streams WHERE id = ?", (s["id"],))
        self.conn.execute("UPDATE log_groups SET stored_bytes = max(0, stored_bytes - ?) WHERE id = ?", (freed, g["id"]))
        return {}

    @api("DescribeLogStreams")
    def describe_log_streams(
        self,
        *,
        logGroupName: str | None = None,
        logGroupIdentifier: str | None = None,
        logStreamNamePrefix: str | None = None,
        orderBy: str | None = None,
        descending: bool | None = None,
        nextToken: str | None = None,
        limit: int | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        name = self._group_name_param(logGroupName, logGroupIdentifier)
        order = orderBy or "LogStreamName"
        if order not in ("LogStreamName", "LastEventTime"):
            raise constraint_error(order, "orderBy", "Member must satisfy enum value set: [LogStreamName, LastEventTime]")
        if order == "LastEventTime" and logStreamNamePrefix:
            raise invalid("Cannot order by LastEventTime with a logStreamNamePrefix.")
        n = _limit(limit, "limit", 50, 50)
        offset = _offset(nextToken)
        g = self._group(name)
        sql = (
            "SELECT name, creation_ms, first_event_ms, last_event_ms, last_ingestion_ms, stored_bytes "
            "FROM log_streams WHERE group_id = ?"
        )
        params: list[Any] = [g["id"]]
        if logStreamNamePrefix:
            sql += " AND substr(name, 1, ?) = ?"
            params += [len(logStreamNamePrefix), logStreamNamePrefix]
        direction = "DESC" if descending else "ASC"
        if order == "LastEventTime":
            # Streams without events sort as oldest (AWS puts them first ascending).
            sql += f" ORDER BY coalesce(last_event_ms, -1) {direction}, name {direction}"
        else:
            sql += f" ORDER BY name {direction}"
        rows = self.conn.execute(sql + " LIMIT ? OFFSET ?", (*params, n + 1, offset)).fetchall()
        arn_base = self.group_arn(name)
        streams = []
        for r in rows[:n]:
            s: dict[str, Any] = {"logStreamName": r["name"], "creationTime": r["creation_ms"]}
            if r["first_event_ms"] is not None:
                s["firstEventTimestamp"] = r["first_event_ms"]
                s["lastEventTimestamp"] = r["last_event_ms"]
                s["lastIngestionTime"] = r["last_ingestion_ms"]
            s["arn"] = f"{arn_base}:log-stream:{r['name']}"
            s["storedBytes"] = r["stored_bytes"]
            streams.append(s)
        return _offset_page("logStreams", streams, offset, n, len(rows) > n)

    # -- events -------------------------------------------------------------------------------------------------
    def _prepare_put_log_events(self, params: dict[str, Any]) -> None:
        """Evaluate the group's metric filters on the messages before the write transaction (a slow pattern on a big
        message would otherwise hold the account's write lock, blocking every other writer). Reads only; any
        problem leaves the evaluation to the operation, which validates the request itself."""
        self._evaluated: dict[tuple[str, str], dict[str, Any]] = {}
        try:
            gid = self._group(params["logGroupName"])["id"]
            rows = self.conn.execute(
                "SELECT pattern, transformations FROM log_metric_filters WHERE group_id = ?", (gid,)
            ).fetchall()
            if self.conn.in_transaction or not rows:
                return  # called inside another write (a delivery): nothing to gain
            messages = {ev["message"] for ev in params["logEvents"] if isinstance(ev.get("message"), str)}
            for r in rows:
                fp, t = _compiled_filter(r["pattern"], r["transformations"])
                self._evaluated[(r["pattern"], r["transformations"])] = {m: _evaluate(fp, t, m) for m in messages}
        except Exception:
            self._evaluated = {}

    @api("PutLogEvents", prepare="_prepare_put_log_events")
    def put_log_events(
        self,
        *,
        logGroupName: str,
        logStreamName: str,
        logEvents: list[dict[str, Any]],
        sequenceToken: str | None = None,  # ignored, as AWS does now
        **kw: Any,
    ) -> dict[str, Any]:
        validate_group_name(logGroupName)
        validate_no_colon_star(logStreamName, "logStreamName")
        events = list(logEvents or [])
        if not events:
            raise constraint_error("[]", "logEvents", "Member must have length greater than or equal to 1")
        if len(events) > MAX_BATCH_EVENTS:
            raise constraint_error(
                f"[{len(events)} events]", "logEvents", f"Member must have length less than or equal to {MAX_BATCH_EVENTS}"
            )
        g = self._group(logGroupName)
        s = self._stream(g["id"], logStreamName)
        total = 0
        prepared: list[tuple[int, str, int]] = []
        prev = -1
        for i, ev in enumerate(events, start=1):
            msg = ev.get("message") if isinstance(ev, dict) else None
            ts = ev.get("timestamp") if isinstance(ev, dict) else None
            if not isinstance(msg, str) or not msg:
                raise constraint_error(msg or "", f"logEvents.{i}.member.message",
                                       "Member must have length greater than or equal to 1")  # fmt: skip
            if isinstance(ts, bool) or not isinstance(ts, int) or ts < 0:
                raise constraint_error(ts, f"logEvents.{i}.member.timestamp",
                                       "Member must have value greater than or equal to 0")  # fmt: skip
            try:
                size = len(msg.encode("utf-8"))
            except UnicodeEncodeError:
                raise invalid(f"Log event {i}: the message is not valid UTF-8.") from None
            if size > MAX_EVENT_BYTES:
                raise invalid(f"Log event too large: {size} bytes exceeds limit of {MAX_EVENT_BYTES}")
            total += size + EVENT_OVERHEAD
            if ts < prev:
                raise invalid("Log events in a single PutLogEvents request must be in chronological order.")
            prev = ts
            prepared.append((ts, msg, size))
        if total > MAX_BATCH_BYTES:
            raise invalid(f"Upload too large: {total} bytes exceeds limit of {MAX_BATCH_BYTES}")
        now = _ms(self.now())
        rejected: dict[str, int] = {}
        too_old = now - TOO_OLD_MS
        expired = now - g["retention_days"] * DAY_MS if g["retention_days"] else None
        accepted: list[tuple[int, str, int]] = []
        n_old = n_expired = 0
        for idx, (ts, msg, size) in enumerate(prepared):
            if ts > now + TOO_NEW_MS:
                rejected["tooNewLogEventStartIndex"] = idx
                break
            if expired is not None and ts < expired:
                n_expired = idx + 1
                continue
            if ts < too_old:
                n_old = idx + 1
                continue
            accepted.append((ts, msg, size))
        if n_old:
            rejected["tooOldLogEventEndIndex"] = n_old
        if n_expired:
            rejected["expiredLogEventEndIndex"] = n_expired
        if accepted and accepted[-1][0] - accepted[0][0] > MAX_SPAN_MS:
            raise invalid("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
        if accepted:
            evaluated, self._evaluated = getattr(self, "_evaluated", {}), {}
            self._insert_events(g, s["id"], accepted, now, evaluated)
        out: dict[str, Any] = {"nextSequenceToken": f"{now:020d}{len(accepted):010d}"}
        if rejected:
            out["rejectedLogEventsInfo"] = rejected
        return out

    def _insert_events(
        self,
        g: Any,
        stream_id: int,
        accepted: list[tuple[int, str, int]],
        now: int,
        evaluated: dict[tuple[str, str], dict[str, Any]] | None = None,
    ) -> None:
        first = self._next_seqs(len(accepted))
        gid = g["id"]
        self.conn.executemany(
            "INSERT INTO log_events (group_id, ts, seq, stream_id, ingest, esc, message) VALUES (?,?,?,?,?,?,?)",
            [(gid, ts, first + i, stream_id, now, esc_flags(msg), msg) for i, (ts, msg, _) in enumerate(accepted)],
        )
        nbytes = sum(a[2] for a in accepted)
        lo, hi = accepted[0][0], accepted[-1][0]
        self.conn.execute(
            "UPDATE log_streams SET first_event_ms = min(coalesce(first_event_ms, ?), ?), "
            "last_event_ms = max(coalesce(last_event_ms, ?), ?), last_ingestion_ms = ?, "
            "stored_bytes = stored_bytes + ? WHERE id = ?",
            (lo, lo, hi, hi, now, nbytes, stream_id),
        )
        self.conn.execute("UPDATE log_groups SET stored_bytes = stored_bytes + ? WHERE id = ?", (nbytes, gid))
        if g["retention_days"]:
            _schedule_retention(self.store, f"{self.region}:{gid}", gid, g["retention_days"], lo)
        egress = self._mask_new_events(gid, first, [a[1] for a in accepted])
        self._apply_metric_filters(gid, accepted, evaluated or {})
        # AWS masks at every egress point: subscription filters see (and match) the masked messages.
        shown = [(ts, msg, n) for (ts, _, n), msg in zip(accepted, egress, strict=True)]
        self._deliver_subscriptions(g, stream_id, shown, first, now)

    @api("GetLogEvents")
    def get_log_events(
        self,
        *,
        logStreamName: str,
        logGroupName: str | None = None,
        logGroupIdentifier: str | None = None,
        startTime: int | None = None,
        endTime: int | None = None,
        nextToken: str | None = None,
        limit: int | None = None,
        startFromHead: bool | None = None,
        unmask: bool | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        name = self._group_name_param(logGroupName, logGroupIdentifier)
        validate_no_colon_star(logStreamName, "logStreamName")
        n = _limit(limit, "limit", 10000, 10000)
        start = _as_ms(startTime, "startTime")
        end = _as_ms(endTime, "endTime")
        g = self._group(name)
        s = self._stream(g["id"], logStreamName)
        if nextToken:
            direction, tts, tseq = _parse_stream_token(nextToken)
        else:
            direction, tts, tseq = ("f", -1, -1) if startFromHead else ("b", 1 << 62, 1 << 62)
        sql = "SELECT ts, seq, ingest, message FROM log_events WHERE stream_id = ?"
        params: list[Any] = [s["id"]]
        if nextToken and direction == "f" and start is not None and tts >= start:
            start = None  # the cursor bounds the range (see _scan)
        if nextToken and direction == "b" and end is not None and tts < end:
            end = None
        if start is not None:
            sql += " AND ts >= ?"
            params.append(start)
        if end is not None:
            sql += " AND ts < ?"  # GetLogEvents' endTime is exclusive
            params.append(end)
        if direction == "f":
            sql += " AND (ts, seq) > (?, ?) ORDER BY ts, seq LIMIT ?"
        else:
            sql += " AND (ts, seq) < (?, ?) ORDER BY ts DESC, seq DESC LIMIT ?"
        rows = self.conn.execute(sql, (*params, tts, tseq, n)).fetchall()
        if direction == "b":
            rows.reverse()
        events = [{"timestamp": r["ts"], "message": r["message"], "ingestionTime": r["ingest"]} for r in rows]
        self._masked(g["id"], events, [r["seq"] for r in rows], unmask)
        if rows:
            fwd = _stream_token("f", rows[-1]["ts"], rows[-1]["seq"])
            back = _stream_token("b", rows[0]["ts"], rows[0]["seq"])
        else:
            # The end of the stream: the same token comes back.
            same = nextToken or _stream_token(direction, max(tts, 0), max(tseq, 0))
            fwd = same if direction == "f" else _stream_token("f", max(tts, 0), max(tseq, 0))
            back = same if direction == "b" else _stream_token("b", max(tts, 0), max(tseq, 0))
            if not nextToken and direction == "b":
                fwd = _stream_token("f", 0, 0)
        return {"events": events, "nextForwardToken": fwd, "nextBackwardToken": back}

    @api("FilterLogEvents")
    def filter_log_events(
        self,
        *,
        logGroupName: str | None = None,
        logGroupIdentifier: str | None = None,
        logStreamNames: list[str] | None = None,
        logStreamNamePrefix: str | None = None,
        startTime: int | None = None,
        endTime: int | None = None,
        filterPattern: str | None = None,
        nextToken: str | None = None,
        limit: int | None = None,
        startFromHead: bool | None = None,
        interleaved: bool | None = None,  # ignored by AWS since 2019
        unmask: bool | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        name = self._group_name_param(logGroupName, logGroupIdentifier)
        if logStreamNames and logStreamNamePrefix:
            raise invalid("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
        if logStreamNames is not None and not 1 <= len(logStreamNames) <= 100:
            raise constraint_error(logStreamNames, "logStreamNames", "Member must have length between 1 and 100")
        n = _limit(limit, "limit", 10000, 10000)
        start = _as_ms(startTime, "startTime")
        end = _as_ms(endTime, "endTime")
        if filterPattern is not None and len(filterPattern) > 1024:
            raise constraint_error(filterPattern[:64] + "...", "filterPattern", "Member must have length less than or equal to 1024")
        fp = scan_pattern(filterPattern)
        forward = startFromHead is None or bool(startFromHead)
        g = self._group(name)
        cursor: tuple[int, int] | None = None
        if nextToken:
            tok = _decode_token(nextToken)
            if not isinstance(tok.get("t"), int) or not isinstance(tok.get("s"), int) or tok.get("d") not in ("f", "b"):
                raise invalid(BAD_TOKEN)
            cursor = (tok["t"], tok["s"])
            forward = tok["d"] == "f"
        stream_ids = self._stream_ids(g["id"], logStreamNames, logStreamNamePrefix)
        self.check_class(name, "FilterLogEvents")
        events, last = self._scan(g["id"], fp, start, end, stream_ids, cursor, forward, n)
        self._masked(g["id"], events, [seq_of_event_id(e["eventId"]) for e in events], unmask)
        out: dict[str, Any] = {"events": events, "searchedLogStreams": []}
        if last is not None:
            out["nextToken"] = _encode_token({"d": "f" if forward else "b", "t": last[0], "s": last[1]})
        return out

    @api("FilterLogEvents")
    def count_log_events(
        self,
        *,
        logGroupName: str,
        logStreamNames: list[str] | None = None,
        logStreamNamePrefix: str | None = None,
        startTime: int | None = None,
        endTime: int | None = None,
        filterPattern: str | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        """Local-only: how many events FilterLogEvents would return over all its pages (recorded as one
        FilterLogEvents call). One ``count(*)`` in SQLite: only the pattern's own test, if any, reaches Python."""
        if logStreamNames and logStreamNamePrefix:
            raise invalid("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
        start = _as_ms(startTime, "startTime")
        end = _as_ms(endTime, "endTime")
        fp = scan_pattern(filterPattern)
        g = self._group(logGroupName)
        stream_ids = self._stream_ids(g["id"], logStreamNames, logStreamNamePrefix)
        if stream_ids is not None and not stream_ids:
            return {"count": 0}
        sql = "SELECT count(*) FROM log_events WHERE group_id = ?"
        params: list[Any] = [g["id"]]
        if start is not None:
            sql += " AND ts >= ?"
            params.append(start)
        if end is not None:
            sql += " AND ts <= ?"
            params.append(end)
        if stream_ids is not None:
            sql += f" AND stream_id IN ({','.join('?' * len(stream_ids))})"
            params += list(stream_ids)
        batch = self._batch(fp)
        if logs_cache.applies(g, batch):  # a big group: scan the flat copy of its messages, not SQLite's pages
            def by_seq(seqs: list[int], cols: str) -> list[Any]:
                return logs_batch.messages_by_seq(self.conn, g["id"], seqs, cols)

            try:
                n = logs_cache.count(self.conn, self.store, g, batch, fp.matches, start, end, stream_ids, by_seq)
                return {"count": n}
            except OSError:  # no room or no write access for the copy: count from SQLite's pages as before
                pass
        if batch is not None:
            return {"count": logs_batch.batch_count(self.conn, batch, fp.matches, g["id"], start, end, stream_ids)}
        pre, pre_params = filter_sql(fp, self._sql_matcher(fp))
        return {"count": int(self.conn.execute(sql + pre, params + pre_params).fetchone()[0])}

    def _stream_ids(self, gid: int, names: list[str] | None, prefix: str | None) -> dict[int, str] | None:
        if names:
            marks = ",".join("?" * len(names))
            rows = self.conn.execute(
                f"SELECT id, name FROM log_streams WHERE group_id = ? AND name IN ({marks})", (gid, *names)
            ).fetchall()
            return {r["id"]: r["name"] for r in rows}
        if prefix:
            rows = self.conn.execute(
                "SELECT id, name FROM log_streams WHERE group_id = ? AND substr(name, 1, ?) = ?",
                (gid, len(prefix), prefix),
            ).fetchall()
            return {r["id"]: r["name"] for r in rows}
        return None

    # -- parallel scans (local-only helpers, not AWS operations) ------------------------------------------------
    def parallel_windows(
        self, name: str, start: int | None, end: int | None, pattern: str | None, counting: bool = False
    ) -> list[tuple[int | None, int | None]] | None:
        """Time windows worth scanning at once on separate connections, or None to scan serially.

        Only for big groups and patterns with a SQL pre-filter: the scan is then SQLite's (which runs without the
        GIL) and matches are sparse; a Python-bound scan would gain nothing from threads. ``counting``: for
        CountLogEvents, which scans a big group's flat copy in threads of its own (``logs_cache``) when it applies.
        """
        k = min(os.cpu_count() or 1, PARALLEL_MAX)
        if k < 2:
            return None
        fp = scan_pattern(pattern)
        # Threads only help while the work runs without the GIL: SQLite's scan, or the batch path (SQLite
        # concatenates, Hyperscan selects). When most rows reach the Python matcher (a short literal such as the
        # '5' of `status = 5*` without the batch path), two threads fight over the GIL and run slower than one.
        batched = self._batch(fp) is not None
        if not batched and (
            not prefilter_sql(fp)[0]
            or (not fp.literals_exact and max(len(x) for x in fp.guarded_literals().literals) < PARALLEL_MIN_LITERAL)
        ):
            return None
        g = self._group(name)
        if g["stored_bytes"] < PARALLEL_MIN_BYTES or (counting and logs_cache.applies(g, self._batch(fp))):
            return None
        lo = self.conn.execute("SELECT min(ts) FROM log_events WHERE group_id = ?", (g["id"],)).fetchone()[0]
        hi = self.conn.execute("SELECT max(ts) FROM log_events WHERE group_id = ?", (g["id"],)).fetchone()[0]
        if lo is None:
            return None
        lo = lo if start is None else max(lo, start)
        hi = hi if end is None else min(hi, end)
        if hi - lo < k:
            return None
        step = (hi - lo) // k
        edges = [lo + i * step for i in range(k)]
        wins: list[tuple[int | None, int | None]] = [(edges[i], edges[i + 1] - 1) for i in range(k - 1)]
        wins.append((edges[-1], end))  # the last window stays open when no end was given
        wins[0] = (start, wins[0][1])
        return wins

    def clone(self) -> LocalLogs:
        """The same service on a connection of its own (for a scanning thread); close it with :meth:`close`."""
        other = AccountStore.open(self.store.home, self.store.account_id)
        other._pinned_now = self.store._pinned_now  # AWSMON_NOW applies to the whole command
        return LocalLogs(other, self.region)

    def close(self) -> None:
        self.store.close()

    def _batch(self, fp: Any) -> Any:
        """The pattern's batch matcher (space-delimited patterns), its compiled database kept in the home's cache."""
        return fp.batch(logs_cache.CompiledPatterns(self.store)) if fp.kind == "space" else None

    def _sql_matcher(self, fp: Any) -> str:
        """The SQL name of ``fp.matches`` on this connection, registered once: SQLite calls it inside the scan, so
        rows that do not match never become Python tuples. deterministic=True lets SQLite treat it as pure."""
        fns: dict[str, str] = self.__dict__.setdefault("_fp_functions", {})
        name = fns.get(fp.text)
        if name is None:
            name = fns[fp.text] = f"awsmon_fp{len(fns)}"
            self.conn.create_function(name, 1, fp.matches, deterministic=True)
        return name

    def _stream_names(self, gid: int) -> dict[int, str]:
        return _StreamNames(self.conn)

    def _scan(
        self,
        gid: int,
        fp: Any,
        start: int | None,
        end: int | None,
        stream_ids: dict[int, str] | None,
        cursor: tuple[int, int] | None,
        forward: bool,
        limit: int,
    ) -> tuple[list[dict[str, Any]], tuple[int, int] | None]:
        """One page: events in (timestamp, seq) order after ``cursor``; returns the resume point if cut short."""
        if stream_ids is not None and not stream_ids:
            return [], None
        batch = self._batch(fp)
        if batch is not None:
            return self._batch_scan(batch, gid, fp, start, end, stream_ids, cursor, forward, limit)
        if cursor is not None:
            # The cursor lies inside the window: a separate bound on the same side would make SQLite start the
            # key range there and re-read everything up to the cursor on every page.
            if forward:
                start = None
            else:
                end = None
        sql = "SELECT ts, seq, ingest, stream_id, message FROM log_events WHERE group_id = ?"
        params: list[Any] = [gid]
        if start is not None:
            sql += " AND ts >= ?"
            params.append(start)
        if end is not None:
            sql += " AND ts <= ?"
            params.append(end)
        if cursor is not None:
            sql += " AND (ts, seq) > (?, ?)" if forward else " AND (ts, seq) < (?, ?)"
            params += list(cursor)
        if stream_ids is not None:
            sql += f" AND stream_id IN ({','.join('?' * len(stream_ids))})"
            params += list(stream_ids)
        pre, pre_params = filter_sql(fp, self._sql_matcher(fp))
        sql += pre + (" ORDER BY ts, seq" if forward else " ORDER BY ts DESC, seq DESC")
        params += pre_params
        names = stream_ids if stream_ids is not None else self._stream_names(gid)
        events: list[dict[str, Any]] = []
        size = 0
        for ts, seq, ingest, sid, message in self.conn.execute(sql, params):
            events.append(
                {"logStreamName": names.get(sid) or "", "timestamp": ts, "message": message,
                 "ingestionTime": ingest, "eventId": event_id(ts, seq)}
            )  # fmt: skip
            size += len(message) + EVENT_OVERHEAD
            if len(events) >= limit or size >= MAX_PAGE_BYTES:
                return events, (ts, seq)
        return events, None

    def _batch_scan(self, batch: Any, gid: int, fp: Any, start: int | None, end: int | None,
                    stream_ids: dict[int, str] | None, cursor: tuple[int, int] | None, forward: bool,
                    limit: int) -> tuple[list[dict[str, Any]], tuple[int, int] | None]:  # fmt: skip
        """_scan for patterns with a batch matcher: chunks of messages matched in one Hyperscan pass each."""
        names = stream_ids if stream_ids is not None else self._stream_names(gid)
        events: list[dict[str, Any]] = []
        size = 0

        def take(row: tuple[Any, ...]) -> bool:
            nonlocal size
            ts, seq, ingest, sid, message = row
            events.append(
                {"logStreamName": names.get(sid) or "", "timestamp": ts, "message": message,
                 "ingestionTime": ingest, "eventId": event_id(ts, seq)}
            )  # fmt: skip
            size += len(message) + EVENT_OVERHEAD
            return len(events) < limit and size < MAX_PAGE_BYTES

        last = logs_batch.batch_scan(self.conn, batch, fp.matches, gid, start, end, stream_ids, cursor, forward, take)
        return events, last

    @api("TestMetricFilter")
    def test_metric_filter(self, *, filterPattern: str, logEventMessages: list[str], **kw: Any) -> dict[str, Any]:
        from awsmon.engines.filterpattern import FilterPatternError, test_metric_filter

        if not isinstance(logEventMessages, list) or not 1 <= len(logEventMessages) <= 50:
            n = len(logEventMessages) if isinstance(logEventMessages, list) else 0
            raise constraint_error(f"[{n} messages]", "logEventMessages", "Member must have length between 1 and 50")
        try:
            return {"matches": test_metric_filter(filterPattern, list(logEventMessages))}
        except FilterPatternError as exc:
            raise ServiceError(exc.code, str(exc), hint=exc.detail) from exc

    # -- metric filters -----------------------------------------------------------------------------------------
    @api("PutMetricFilter")
    def put_metric_filter(
        self,
        *,
        logGroupName: str,
        filterName: str,
        filterPattern: str,
        metricTransformations: list[dict[str, Any]],
        **kw: Any,  # applyOnTransformedLogs, fieldSelectionCriteria, emitSystemFieldDimensions: accepted, ignored
    ) -> dict[str, Any]:
        validate_group_name(logGroupName)
        validate_no_colon_star(filterName, "filterName")
        if filterPattern is None or len(filterPattern) > 1024:
            raise constraint_error(filterPattern, "filterPattern", "Member must have length less than or equal to 1024")
        fp = compile_or_raise(filterPattern)
        transforms = self._validate_transformations(fp, metricTransformations)
        g = self._group(logGroupName)
        self.check_class(logGroupName, "PutMetricFilter")
        existing = self.conn.execute(
            "SELECT 1 FROM log_metric_filters WHERE group_id = ? AND name = ?", (g["id"], filterName)
        ).fetchone()
        if not existing:
            count = self.conn.execute(
                "SELECT count(*) FROM log_metric_filters WHERE group_id = ?", (g["id"],)
            ).fetchone()[0]
            if count >= MAX_METRIC_FILTERS_PER_GROUP:
                raise ServiceError("LimitExceededException", "Resource limit exceeded.")
        if _has_regex(filterPattern):
            self._check_regex_quota(g["id"], filterName)
        self.conn.execute(
            "INSERT INTO log_metric_filters (group_id, name, pattern, transformations, creation_ms) VALUES (?,?,?,?,?) "
            "ON CONFLICT (group_id, name) DO UPDATE SET pattern = excluded.pattern, "
            "transformations = excluded.transformations",
            (g["id"], filterName, filterPattern, json.dumps(transforms), _ms(self.now())),
        )
        return {}

    def _check_regex_quota(self, gid: int, name: str) -> None:
        rows = self.conn.execute(
            "SELECT pattern FROM log_metric_filters WHERE group_id = ? AND name != ?", (gid, name)
        ).fetchall()
        if sum(1 for r in rows if _has_regex(r[0])) >= 5:
            raise ServiceError("LimitExceededException", "Resource limit exceeded.")

    def _validate_transformations(self, fp: Any, transforms: Any) -> list[dict[str, Any]]:
        from awsmon.engines.filterpattern import FilterPatternError

        if not isinstance(transforms, list) or len(transforms) != 1:
            n = len(transforms) if isinstance(transforms, list) else 0
            raise constraint_error(f"[{n} transformations]", "metricTransformations",
                                   "Member must have length less than or equal to 1")  # fmt: skip
        t = transforms[0]
        if not isinstance(t, dict):
            raise invalid("Invalid metric transformation.")
        out: dict[str, Any] = {}
        for key in ("metricName", "metricNamespace"):
            v = t.get(key)
            if not isinstance(v, str) or not v:
                raise constraint_error(v or "", f"metricTransformations.1.member.{key}",
                                       "Member must have length greater than or equal to 1")  # fmt: skip
            if len(v) > 255 or any(c in v for c in ":*$"):
                raise constraint_error(v, f"metricTransformations.1.member.{key}",
                                       f"Member must satisfy regular expression pattern: {METRIC_NAME_PATTERN}")  # fmt: skip
            out[key] = v
        value = t.get("metricValue")
        if not isinstance(value, str) or not value or len(value) > 100:
            raise constraint_error(value or "", "metricTransformations.1.member.metricValue",
                                   "Member must have length between 1 and 100")  # fmt: skip
        out["metricValue"] = value
        default = t.get("defaultValue")
        dims = t.get("dimensions") or {}
        if not isinstance(dims, dict) or not all(isinstance(v, str) for v in dims.values()):
            raise constraint_error(dims, "metricTransformations.1.member.dimensions",
                                   "Member must be a map of dimension names to field selectors")  # fmt: skip
        if len(dims) > 3:
            raise invalid("A metric filter can have at most 3 dimensions.")
        if dims and default is not None:
            raise invalid("A metric with dimensions cannot have a default value.")
        if dims and fp.kind not in ("json", "space"):
            raise invalid("Dimensions are supported only for JSON and space-delimited filter patterns.")
        try:
            fp.metric_value("", value)  # validates the value expression against the pattern's kind
            if dims:
                fp.dimension_values("", {str(k): str(v) for k, v in dims.items()})
        except FilterPatternError as exc:
            raise invalid(f"{exc.message}: {exc.detail}" if exc.detail else exc.message) from exc
        if default is not None:
            if isinstance(default, bool) or not isinstance(default, int | float):
                raise constraint_error(default, "metricTransformations.1.member.defaultValue", "Member must be a number")
            out["defaultValue"] = float(default)
        if dims:
            out["dimensions"] = {str(k): str(v) for k, v in dims.items()}
        unit = t.get("unit")
        if unit is not None:
            if unit not in UNITS:
                raise constraint_error(unit, "metricTransformations.1.member.unit",
                                       f"Member must satisfy enum value set: [{', '.join(UNITS)}]")  # fmt: skip
            out["unit"] = unit
        return [out]

    @api("DescribeMetricFilters")
    def describe_metric_filters(
        self,
        *,
        logGroupName: str | None = None,
        filterNamePrefix: str | None = None,
        metricName: str | None = None,
        metricNamespace: str | None = None,
        nextToken: str | None = None,
        limit: int | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        if filterNamePrefix and not logGroupName:
            raise invalid("If you specify filterNamePrefix, you must also specify logGroupName.")
        if bool(metricName) != bool(metricNamespace):
            raise invalid("If you specify metricName, you must also specify metricNamespace, and vice versa.")
        n = _limit(limit, "limit", 50, 50)
        offset = _offset(nextToken)
        sql = (
            "SELECT f.name, f.pattern, f.transformations, f.creation_ms, g.name AS group_name "
            "FROM log_metric_filters f JOIN log_groups g ON g.id = f.group_id WHERE g.region = ?"
        )
        params: list[Any] = [self.region]
        if logGroupName:
            validate_group_name(logGroupName)
            self._group(logGroupName)
            sql += " AND g.name = ?"
            params.append(logGroupName)
        if filterNamePrefix:
            sql += " AND substr(f.name, 1, ?) = ?"
            params += [len(filterNamePrefix), filterNamePrefix]
        rows = self.conn.execute(sql + " ORDER BY g.name, f.name", params).fetchall()
        items = []
        for r in rows:
            transforms = json.loads(r["transformations"])
            if metricName and not any(
                t["metricName"] == metricName and t["metricNamespace"] == metricNamespace for t in transforms
            ):
                continue
            items.append(
                {"filterName": r["name"], "filterPattern": r["pattern"], "metricTransformations": transforms,
                 "creationTime": r["creation_ms"], "logGroupName": r["group_name"], "applyOnTransformedLogs": False}
            )  # fmt: skip
        return _offset_page("metricFilters", items[offset : offset + n], offset, n, len(items) > offset + n)

    @api("DeleteMetricFilter")
    def delete_metric_filter(self, *, logGroupName: str, filterName: str, **kw: Any) -> dict[str, Any]:
        validate_group_name(logGroupName)
        validate_no_colon_star(filterName, "filterName")
        g = self._group(logGroupName)
        cur = self.conn.execute("DELETE FROM log_metric_filters WHERE group_id = ? AND name = ?", (g["id"], filterName))
        if cur.rowcount == 0:
            raise ServiceError("ResourceNotFoundException", "The specified metric filter does not exist.")
        return {}

    def _apply_metric_filters(
        self, gid: int, accepted: list[tuple[int, str, int]], evaluated: dict[tuple[str, str], dict[str, Any]]
    ) -> None:
        """Matching events become datapoints in the local metrics store, aggregated per minute (§2).

        ``evaluated`` holds what was computed before the write transaction (per filter, message -> result); a
        filter changed since then, or a message not seen, is evaluated here."""
        rows = self.conn.execute(
            "SELECT pattern, transformations FROM log_metric_filters WHERE group_id = ?", (gid,)
        ).fetchall()
        if not rows:
            return
        minutes = {ts - ts % 60000 for ts, _, _ in accepted}
        missing = object()
        for r in rows:
            fp, t = _compiled_filter(r["pattern"], r["transformations"])
            done = evaluated.get((r["pattern"], r["transformations"]), {})
            # (minute, dimension items) -> Counter of published values
            buckets: dict[tuple[int, tuple[tuple[str, str], ...]], Counter[float]] = defaultdict(Counter)
            for ts, msg, _ in accepted:
                got = done.get(msg, missing)
                if got is missing:
                    got = _evaluate(fp, t, msg)
                if got is None:
                    continue
                value, dims = got
                buckets[(ts - ts % 60000, dims)][value] += 1
            if t.get("defaultValue") is not None:
                matched_minutes = {m for m, _ in buckets}
                for m in minutes - matched_minutes:
                    buckets[(m, ())][float(t["defaultValue"])] += 1
            if buckets:
                write_datapoints(self.store, self.region, t, buckets)


# -- offline import (``awsmon logs import`` on the local backend: a load of history, not PutLogEvents) ----------------
def import_position(service: LocalLogs, key: str) -> tuple[int, bool]:
    """(lines already stored, whether the file is done) of an import; (0, False) for a new one."""
    row = service.conn.execute("SELECT position, done FROM log_imports WHERE key = ?", (key,)).fetchone()
    return (0, False) if row is None else (int(row[0]), bool(row[1]))


def import_events(service: LocalLogs, group: str, stream: str, stamps: list[int], messages: list[str], *,
                  key: str | None, position: int, done: bool) -> None:  # fmt: skip
    """Store one batch of an offline import in one transaction with the file's progress: events of any age (no
    14-day or 2-hour window, no 24-hour span per batch), no metric filters (like AWS, metric filters never
    backfill history), but masked by the group's data protection policy (a protected group never holds an event
    readers could see unmasked without ``unmask``). Creates nothing: the caller ensures the group and stream exist. The rows are built by
    ``zip`` in C and the flags and byte count found on the whole batch at once (~1 µs an event less than a
    Python loop); the events themselves go in with one ``executemany``."""
    with service.store.transaction():
        g = service._group(group)
        s = service._stream(g["id"], stream)
        if stamps:
            now = _ms(service.now())
            n = len(stamps)
            first = service._next_seqs(n)
            gid, sid = g["id"], s["id"]
            joined = "\n".join(messages)
            plain = "\\" not in joined and "\x00" not in joined
            service.conn.executemany(
                "INSERT INTO log_events (group_id, ts, seq, stream_id, ingest, esc, message) VALUES (?,?,?,?,?,?,?)",
                zip(repeat(gid), stamps, range(first, first + n), repeat(sid), repeat(now),
                    repeat(0) if plain else map(esc_flags, messages), messages))  # fmt: skip
            service._mask_new_events(gid, first, messages)
            nbytes = (len(joined) if joined.isascii() else len(joined.encode("utf-8"))) - (n - 1)
            lo, hi = min(stamps), max(stamps)
            service.conn.execute(
                "UPDATE log_streams SET first_event_ms = min(coalesce(first_event_ms, ?), ?), "
                "last_event_ms = max(coalesce(last_event_ms, ?), ?), last_ingestion_ms = ?, "
                "stored_bytes = stored_bytes + ? WHERE id = ?", (lo, lo, hi, hi, now, nbytes, sid))  # fmt: skip
            service.conn.execute("UPDATE log_groups SET stored_bytes = stored_bytes + ? WHERE id = ?", (nbytes, gid))
            if g["retention_days"]:
                _schedule_retention(service.store, f"{service.region}:{gid}", gid, g["retention_days"], lo)
        if key is not None:
            service.conn.execute("INSERT INTO log_imports (key, position, done) VALUES (?, ?, ?) ON CONFLICT (key) "
                                 "DO UPDATE SET position = excluded.position, done = excluded.done",
                                 (key, position, int(done)))  # fmt: skip
        service.store.mark_used()


def _compiled_filter(pattern: str, transformations: str) -> tuple[Any, dict[str, Any]]:
    from awsmon.engines.filterpattern import compile_pattern

    return compile_pattern(pattern), json.loads(transformations)[0]


def _evaluate(fp: Any, t: dict[str, Any], msg: str) -> tuple[float, tuple[tuple[str, str], ...]] | None:
    """What one message publishes through one metric filter: (value, sorted dimension items), or None."""
    if not fp.matches(msg):
        return None
    value = fp.metric_value(msg, t["metricValue"])
    if value is None:
        return None  # a non-numeric or missing value publishes nothing [inferred, §2]
    dims_expr: dict[str, str] = t.get("dimensions") or {}
    if not dims_expr:
        return value, ()
    dims = fp.dimension_values(msg, dims_expr)
    if dims is None:
        return None
    return value, tuple(sorted(dims.items()))


class _StreamNames(dict[int, str]):
    """Stream id -> name, looked up on first use (a group may have very many streams; a page names few)."""

    def __init__(self, conn: Any) -> None:
        super().__init__()
        self.conn = conn

    def __missing__(self, sid: int) -> str:
        row = self.conn.execute("SELECT name FROM log_streams WHERE id = ?", (sid,)).fetchone()
        name = "" if row is None else str(row[0])
        self[sid] = name
        return name

    def get(self, sid: int, default: Any = None) -> Any:  # type: ignore[override]
        return self[sid]


def write_datapoints(
    store: AccountStore,
    region: str,
    transform: dict[str, Any],
    buckets: dict[tuple[int, tuple[tuple[str, str], ...]], Counter[float]],
) -> None:
    """Hand aggregated metric-filter values to CloudWatch as ``datapoints`` facts (inside the caller's write
    transaction)."""
    from awsmon.backends.local import facts

    for (minute, dims), values in sorted(buckets.items()):
        facts.emit(
            store,
            region,
            "datapoints",
            namespace=transform["metricNamespace"],
            metric_name=transform["metricName"],
            dimensions=dict(dims),
            timestamp=datetime.fromtimestamp(minute / 1000, UTC),
            values=list(values.keys()),
            counts=[float(c) for c in values.values()],
            unit=transform.get("unit"),
            storage_resolution=60,
        )


def _has_regex(pattern: str) -> bool:
    return "%" in pattern


def _schedule_retention(store: AccountStore, key: str, gid: int, days: int, oldest: int | None = None) -> None:
    """Due when the oldest event of the group expires; only ever moves the due time earlier."""
    if oldest is None:
        row = store.conn.execute("SELECT min(ts) FROM log_events WHERE group_id = ?", (gid,)).fetchone()
        oldest = None if row is None else row[0]
        if oldest is None:
            return
    due = datetime.fromtimestamp((oldest + days * DAY_MS + 1) / 1000, UTC)
    current = scheduler.next_due(store, "logs.retention", key)
    if current is None or due < current:
        scheduler.schedule(store, "logs.retention", key, due)


def run_retention(store: AccountStore, key: str, due: datetime, now: datetime) -> datetime | None:
    """Delete the events of one group older than its retention period; next due when the new oldest expires."""
    gid = int(key.rsplit(":", 1)[1])
    conn = store.conn
    row = conn.execute("SELECT retention_days FROM log_groups WHERE id = ?", (gid,)).fetchone()
    if row is None or row[0] is None:
        return None
    days = int(row[0])
    cutoff = _ms(now) - days * DAY_MS
    freed = conn.execute(
        "SELECT stream_id, sum(length(CAST(message AS BLOB))) FROM log_events WHERE group_id = ? AND ts < ? "
        "GROUP BY stream_id",
        (gid, cutoff),
    ).fetchall()
    if freed:
        conn.execute("DELETE FROM log_events WHERE group_id = ? AND ts < ?", (gid, cutoff))
        logs_cache.note_deletion(conn, gid)
        conn.executemany(
            "UPDATE log_streams SET stored_bytes = max(0, stored_bytes - ?) WHERE id = ?", [(b, s) for s, b in freed]
        )
        conn.execute(
            "UPDATE log_groups SET stored_bytes = max(0, stored_bytes - ?) WHERE id = ?", (sum(b for _, b in freed), gid)
        )
    nxt = conn.execute("SELECT min(ts) FROM log_events WHERE group_id = ?", (gid,)).fetchone()[0]
    if nxt is None:
        return None
    return max(datetime.fromtimestamp((nxt + days * DAY_MS + 1) / 1000, UTC), now + timedelta(milliseconds=1))


def deliver_to_log_group(store: AccountStore, arn: str, payload: str, when: datetime, *, stream: str | None = None,
                         events: list[tuple[int, str]] | None = None, create_group: bool = False,
                         **_: Any) -> Any:  # fmt: skip
    """TARGETS handler for ``arn:aws:logs:<region>:<account>:log-group:<name>`` ARNs (rule targets, trail delivery).

    Writes ``payload`` at ``when`` (or the ``events`` batch of (timestamp ms, message), in time order) to the stream
    ``stream`` (created at ``when`` if missing), ingested at ``when``; not recorded in CloudTrail. Metric filters
    apply as for PutLogEvents. Refused (Failed) when the group does not exist (unless ``create_group``: services
    such as Lambda create their own group) or an event is too large.
    """
    from awsmon.backends.local.facts import Delivery

    parts = arn.split(":")
    if len(parts) < 7 or parts[5] != "log-group" or not parts[6]:
        return Delivery("Recorded")  # a logs ARN that is not a log group: nothing here takes it
    svc = LocalLogs(store, parts[3])
    group = parts[6].removesuffix(":*")
    try:
        g = svc._group(group)
    except ServiceError as exc:
        if not create_group:
            return Delivery("Failed", "the log group does not exist", error_code=exc.code)
        LocalLogs.create_log_group.__wrapped__(svc, logGroupName=group)  # type: ignore[attr-defined]
        g = svc._group(group)
    now = _ms(when)
    batch = [(now, payload)] if events is None else events
    # Stable by time only: events of one millisecond keep the order they were sent in (PutLogEvents does).
    accepted = sorted(((ts, msg, len(msg.encode())) for ts, msg in batch if msg), key=lambda e: e[0])
    if any(size > MAX_EVENT_BYTES for _, _, size in accepted):
        return Delivery("Failed", f"Log event too large: over {MAX_EVENT_BYTES} bytes", error_code="InvalidParameterException")
    name = stream or when.strftime("%Y/%m/%d")
    row = store.conn.execute("SELECT id FROM log_streams WHERE group_id = ? AND name = ?", (g["id"], name)).fetchone()
    if row is None:
        cur = store.conn.execute("INSERT INTO log_streams (group_id, name, creation_ms) VALUES (?, ?, ?)",
                                 (g["id"], name, now))  # fmt: skip
        sid = int(cur.lastrowid or 0)
    else:
        sid = int(row[0])
    if accepted:
        svc._insert_events(g, sid, accepted, now)
    return Delivery("Delivered", f"log stream {name}")
