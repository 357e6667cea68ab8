"""Logs Insights on the simulated account: StartQuery, GetQueryResults, StopQuery, DescribeQueries.

A local query runs to completion inside StartQuery (the account is on one machine; there is nothing to wait for)
and its results are kept 7 days, as AWS keeps them. The query is parsed by :mod:`awsmon.engines.insights`; its
:class:`~awsmon.engines.insights.Pushdown` becomes SQL: the time range and leading simple filters
(``@message like "x"``, ``@logStream = / != / in``, ``@log = ...``) narrow the scan, and a leading
``stats count(*) by bin(...)[, @logStream|@log]`` is a ``GROUP BY`` in SQLite, so it never builds an event in Python.
Everything else streams events newest first (a heap merge across groups) through the engine's evaluator.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

from awsmon.backends.local.base import api
from awsmon.errors import ServiceError

RESULTS_KEPT_MS = 7 * 86_400_000
MAX_GROUPS = 50


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message)


def constraint_error(value: Any, param: str, constraint: str) -> ServiceError:
    """AWS's validation text: ``1 validation error detected: Value 'x' at 'p' failed to satisfy constraint: ...``."""
    return _invalid(f"1 validation error detected: Value '{value}' at '{param}' failed to satisfy constraint: {constraint}")


def _tagged(cur: Any, names: dict[int, str], log_value: str, keep: Any, gid: int) -> Iterator[tuple[Any, ...]]:
    """One group's rows with their stream name, @log and @ptr (a function, so each group keeps its own names),
    without the events the JSON pre-filter rules out (messages with escapes are always left to the evaluator)."""
    for ts, seq, sid, ing, msg, esc in cur:
        if keep is None or esc & 1 or keep(msg):
            yield ts, seq, names.get(sid, ""), log_value, ing, msg, f"{gid:x}-{ts:x}-{seq:x}"


def _json_sql(conds: list[tuple[list[str], str, Any]]) -> tuple[str, list[Any]]:
    """The cheap part of the JSON pre-filter in SQLite's C string functions, so most events never reach Python.

    A message must be a JSON object holding each condition's key (``"key"``); when the key occurs once and a
    number follows its colon, that number must satisfy a numeric condition (``CAST`` reads the leading number).
    Anything else (text, booleans, null, a second occurrence, escapes) is kept for the exact test in Python.
    """
    if not conds:
        return "", []
    sql = " AND substr(message, 1, 1) = '{'"
    params: list[Any] = []
    for path, op, value in conds:
        key = f'"{path[-1]}"'
        sql += " AND (esc & 1 OR instr(message, ?) > 0)"
        params.append(key)
        if isinstance(value, str):
            continue
        after = "substr(message, instr(message, ?) + ?)"
        v = f"ltrim({after}, ' :' || char(9, 10, 13))"
        sql += (f" AND (esc & 1 OR instr({after}, ?) > 0 OR CASE WHEN substr({v}, 1, 1) GLOB '[0-9-]' "
                f"THEN CAST({v} AS REAL) {op} ? ELSE 1 END)")
        params += [key, len(key), key, key, len(key), key, len(key), value]
    return sql, params


class InsightsMixin:
    """Mixed into LocalLogs (uses its connection, clock, region and group lookup)."""

    conn: Any
    region: str
    account_id: str

    # -- helpers --------------------------------------------------------------------------------------------------
    def _query_groups(self, name: Any, names: Any, idents: Any) -> list[tuple[int, str]]:
        given = [p for p in (name, names, idents) if p]
        if len(given) > 1:
            raise _invalid("Exactly one of logGroupName, logGroupNames or logGroupIdentifiers must be given.")
        if not given:
            raise _invalid("Log group names or identifiers are required for the query.")
        wanted = [name] if name else list(names or [])
        if idents:
            wanted = [self._name_from_identifier(str(i).removesuffix(":*")) for i in idents]  # type: ignore[attr-defined]
        if len(wanted) > MAX_GROUPS:
            raise _invalid(f"Query is limited to {MAX_GROUPS} log groups.")
        out: list[tuple[int, str]] = []
        for g in dict.fromkeys(wanted):
            row = self.conn.execute(
                "SELECT id, name FROM log_groups WHERE region = ? AND name = ?", (self.region, g)
            ).fetchone()
            if row is None:
                raise ServiceError(
                    "ResourceNotFoundException", f"Log group '{g}' does not exist for account ID '{self.account_id}'"
                )
            out.append((int(row[0]), str(row[1])))
        return out

    def _where(self, gid: int, group: str, filters: list[tuple[str, str, Any]]) -> tuple[str, list[Any]] | None:
        """SQL for the pushed filters over one group; None when they exclude the whole group."""
        sql, params = "", []
        log_value = f"{self.account_id}:{group}"
        for col, op, value in filters:
            if col == "log":
                ok = {"contains": lambda v: v in log_value, "=": lambda v: v == log_value,
                      "!=": lambda v: v != log_value, "in": lambda v: log_value in v}[op](value)  # fmt: skip
                if not ok:
                    return None
            elif col == "message":
                if op == "contains":
                    sql += " AND instr(message, ?) > 0"
                    params.append(value)
                elif op == "in":
                    sql += f" AND message IN ({','.join('?' * len(value))})"
                    params += value
                else:
                    sql += f" AND message {op} ?"
                    params.append(value)
            else:  # logStream: translate names to ids of this group
                names = [value] if op in ("=", "!=") else value if op == "in" else None
                if names is None:  # contains
                    rows = self.conn.execute(
                        "SELECT id FROM log_streams WHERE group_id = ? AND instr(name, ?) > 0", (gid, value)
                    ).fetchall()
                else:
                    rows = self.conn.execute(
                        f"SELECT id FROM log_streams WHERE group_id = ? AND name IN ({','.join('?' * len(names))})",
                        [gid, *names],
                    ).fetchall()
                ids = [int(r[0]) for r in rows]
                neg = op == "!="
                if not ids:
                    if neg:
                        continue
                    return None
                sql += f" AND stream_id {'NOT IN' if neg else 'IN'} ({','.join('?' * len(ids))})"
                params += ids
        return sql, params

    def _events(self, groups: list[tuple[int, str]], lo: int, hi: int, filters: list[Any],
                json_filters: list[Any] | None = None) -> Iterator[Any]:  # fmt: skip
        from awsmon.engines.insights import event_row, json_prefilter

        conds = [c for c in json_filters or [] if not c[0][-1].isdigit()]  # a list index names no key
        keep = json_prefilter(conds)
        key_sql, key_params = _json_sql(conds)
        iters = []
        for gid, group in groups:
            where = self._where(gid, group, filters)
            if where is None:
                continue
            names = dict(self.conn.execute("SELECT id, name FROM log_streams WHERE group_id = ?", (gid,)).fetchall())
            log_value = f"{self.account_id}:{group}"
            cur = self.conn.execute(
                "SELECT ts, seq, stream_id, ingest, message, esc FROM log_events WHERE group_id = ? AND ts >= ? "
                "AND ts <= ?" + where[0] + key_sql + " ORDER BY ts DESC, seq DESC",
                [gid, lo, hi, *where[1], *key_params],
            )
            iters.append(_tagged(cur, names, log_value, keep, gid))
        import heapq

        merged = iters[0] if len(iters) == 1 else heapq.merge(*iters, key=lambda t: (t[0], t[1]), reverse=True)
        for ts, _seq, stream, log, ing, msg, ptr in merged:
            yield event_row(ts, msg, stream, log, ing, ptr)

    def _count_by(self, groups: list[tuple[int, str]], lo: int, hi: int, pd: Any) -> tuple[list[Any], int, int]:
        """``stats count(*) by ...`` in SQLite; returns (aggregated rows, events counted, their bytes).

        With one ``bin()`` key the count runs bucket by bucket, each an index range count: SQLite cannot tell that
        ``ts - ts % P`` follows the key order, and a GROUP BY over it sorts every event (3-4x slower at 1 M).
        """
        from awsmon.engines.insights import _sort_key, aggregated_row

        totals: dict[tuple[Any, ...], int] = {}
        total_bytes = 0
        bin_keys = [k for k, (kind, _, _) in enumerate(pd.count_by) if kind == "bin"]
        for gid, group in groups:
            where = self._where(gid, group, pd.filters)
            if where is None:
                continue
            need_streams = any(kind == "column" and arg == "logStream" for kind, arg, _ in pd.count_by)
            names = (
                dict(self.conn.execute("SELECT id, name FROM log_streams WHERE group_id = ?", (gid,)).fetchall())
                if need_streams else {}
            )  # fmt: skip
            log_value = f"{self.account_id}:{group}"
            period = int(pd.count_by[bin_keys[0]][1]) if len(bin_keys) == 1 else 0
            per_bucket = period > 0 and (hi - lo) // period < 20_000
            keys_sql = []
            for kind, arg, _ in pd.count_by:
                if kind == "bin":
                    keys_sql.append("NULL" if per_bucket else f"ts - ts % {int(arg)}")
                else:
                    keys_sql.append("stream_id" if arg == "logStream" else "NULL")
            grouped = [str(k + 1) for k, sql in enumerate(keys_sql) if sql != "NULL"]
            sql = (f"SELECT {', '.join(keys_sql + ['count(*)', 'sum(length(CAST(message AS BLOB)))'])} FROM log_events "
                   f"WHERE group_id = ? AND ts >= ? AND ts <= ?{where[0]}"
                   + (f" GROUP BY {', '.join(grouped)}" if grouped else ""))  # fmt: skip
            ranges = [(lo, hi, None)]
            if per_bucket:
                first = lo - lo % period
                ranges = [(max(b, lo), min(b + period - 1, hi), b) for b in range(first, hi + 1, period)]
            for r_lo, r_hi, bucket in ranges:
                for row in self.conn.execute(sql, [gid, r_lo, r_hi, *where[1]]):
                    n = int(row[-2])
                    if not n:
                        continue
                    key = []
                    for (kind, arg, _), v in zip(pd.count_by, row[:-2], strict=True):
                        if kind == "bin":
                            key.append(bucket if per_bucket else v)
                        else:
                            key.append(names.get(v, "") if arg == "logStream" else log_value)
                    k = tuple(key)
                    totals[k] = totals.get(k, 0) + n
                    total_bytes += int(row[-1] or 0)
        if not pd.count_by and not totals:
            totals[()] = 0
        ordered = sorted(totals.items(), key=lambda kv: tuple(_sort_key(x) for x in kv[0]))
        bins = [name for kind, _, name in pd.count_by if kind == "bin"]
        rows = []
        for key, n in ordered:
            values = {name: v for (_, _, name), v in zip(pd.count_by, key, strict=True)}
            values[pd.count_name] = n
            rows.append(aggregated_row(values, bins))
        return rows, sum(totals.values()), total_bytes

    # -- operations -----------------------------------------------------------------------------------------------
    @api("StartQuery")
    def start_query(
        self,
        *,
        queryString: str,
        startTime: int,
        endTime: int,
        logGroupName: str | None = None,
        logGroupNames: list[str] | None = None,
        logGroupIdentifiers: list[str] | None = None,
        limit: int | None = None,
        queryLanguage: str | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        from awsmon.engines import insights

        if queryLanguage not in (None, "CWLI"):
            raise _invalid(f"Query language {queryLanguage} is not supported by the local account (only CWLI).")
        if limit is not None and not (isinstance(limit, int) and 1 <= limit <= insights.DEFAULT_LIMIT):
            bound = "greater than or equal to 1" if isinstance(limit, int) and limit < 1 else "less than or equal to 10000"
            raise constraint_error(limit, "limit", f"Member must have value {bound}")
        for value, param in ((startTime, "startTime"), (endTime, "endTime")):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise constraint_error(value, param, "Member must have value greater than or equal to 0")
        if endTime < startTime:
            raise _invalid("End time should not be before the start time")
        groups = self._query_groups(logGroupName, logGroupNames, logGroupIdentifiers)
        try:
            plan = insights.parse(queryString)
        except insights.InsightsError as exc:
            raise ServiceError("MalformedQueryException", exc.message) from exc
        lo, hi = startTime * 1000, endTime * 1000 + 999  # epoch seconds, both ends inclusive
        pd = plan.pushdown()
        counters = insights.Counters()
        scanned_stats = None
        try:
            if pd.count_by is not None:
                agg, matched, matched_bytes = self._count_by(groups, lo, hi, pd)
                rows = insights.execute(plan, agg, start=pd.resume_at, limit=limit)
                counters.matched = matched
                if not pd.filters:  # every event in the range was counted: that was the scan
                    scanned_stats = (matched, matched_bytes)
            else:
                events = self._events(groups, lo, hi, pd.filters, pd.json_filters)
                rows = insights.execute(plan, events, start=pd.resume_at, counters=counters, limit=limit)
        except insights.InsightsError as exc:
            raise ServiceError("MalformedQueryException", exc.message) from exc
        scanned, scanned_bytes = scanned_stats or (0, 0)
        for gid, _ in groups if scanned_stats is None else ():
            n, size = self.conn.execute(
                "SELECT count(*), coalesce(sum(length(CAST(message AS BLOB))), 0) FROM log_events "
                "WHERE group_id = ? AND ts >= ? AND ts <= ?",
                (gid, lo, hi),
            ).fetchone()
            scanned += int(n)
            scanned_bytes += int(size)
        statistics = {"recordsMatched": float(counters.matched), "recordsScanned": float(scanned),
                      "bytesScanned": float(scanned_bytes), "logGroupsScanned": float(len(groups))}  # fmt: skip
        results = [[{"field": k, "value": v} for k, v in r.items() if v is not None] for r in rows]
        now = int(self.now().timestamp() * 1000)  # type: ignore[attr-defined]
        query_id = str(uuid.uuid4())
        self.conn.execute("DELETE FROM logs_queries WHERE region = ? AND create_ms < ?", (self.region, now - RESULTS_KEPT_MS))
        self.conn.execute(
            "INSERT INTO logs_queries (query_id, region, query_string, group_names, start_s, end_s, status, create_ms,"
            " results, statistics) VALUES (?, ?, ?, ?, ?, ?, 'Complete', ?, ?, ?)",
            (query_id, self.region, queryString, json.dumps([g for _, g in groups]), startTime, endTime, now,
             json.dumps(results, separators=(",", ":")), json.dumps(statistics)),
        )  # fmt: skip
        return {"queryId": query_id}

    def _query(self, query_id: Any) -> Any:
        row = self.conn.execute(
            "SELECT query_id, query_string, group_names, status, create_ms, results, statistics FROM logs_queries "
            "WHERE region = ? AND query_id = ?",
            (self.region, query_id),
        ).fetchone()
        if row is None:
            raise ServiceError("ResourceNotFoundException", f"Query {query_id} does not exist.")
        return row

    @api("GetQueryResults")
    def get_query_results(self, *, queryId: str, **kw: Any) -> dict[str, Any]:
        row = self._query(queryId)
        return {"queryLanguage": "CWLI", "results": json.loads(row[5]), "statistics": json.loads(row[6]),
                "status": row[3]}  # fmt: skip

    @api("StopQuery")
    def stop_query(self, *, queryId: str, **kw: Any) -> dict[str, Any]:
        row = self._query(queryId)
        return {"success": row[3] == "Running"}  # local queries are complete before StartQuery returns

    @api("DescribeQueries")
    def describe_queries(
        self, *, logGroupName: str | None = None, status: str | None = None, maxResults: int | None = None, **kw: Any
    ) -> dict[str, Any]:
        rows = self.conn.execute(
            "SELECT query_id, query_string, group_names, status, create_ms FROM logs_queries WHERE region = ? "
            "ORDER BY create_ms DESC",
            (self.region,),
        ).fetchall()
        out = []
        for qid, text, groups, st, created in rows:
            names = json.loads(groups)
            if (logGroupName and logGroupName not in names) or (status and st != status):
                continue
            out.append({"queryId": qid, "queryLanguage": "CWLI", "queryString": text, "status": st,
                        "createTime": created, "logGroupName": names[0] if names else None})  # fmt: skip
        return {"queries": out[: maxResults or 1000]}
