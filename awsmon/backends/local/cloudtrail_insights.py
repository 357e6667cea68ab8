"""CloudTrail Insights in the simulated account: selectors, the detector on the clock, delivery, on-demand analysis.

The detection itself is the pure engine ``awsmon.engines.insights_detector`` (an approximation of AWS's model,
docs/cloudtrail-insights.md). This module feeds it per-minute counts of management calls and handles the results:

* scheduler kind ``cloudtrail.insights`` (key: trail ARN), armed by PutInsightSelectors: each run analyses the
  minutes since the previous run (one pass, whatever the clock jumped: cost follows the elapsed minutes, not the
  number of missed runs), records new Insights events in the event history (category Insight, found by
  ``trail lookup --event-category insight``) and writes them gzipped to the trail's bucket under
  ``AWSLogs/<account>/CloudTrail-Insight/<region>/YYYY/MM/DD/``;
* PutInsightSelectors itself (validation, arming the job) is in cloudtrail.py, which this module builds on;
* :func:`analyze`: the same detection over any stretch of the history, recorded and imported events alike, for
  ``trail insights-analyze`` (nothing is stored).
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from awsmon.backends.local.store import AccountStore

# scheduler kind "cloudtrail.insights" is registered by cloudtrail.py (the kind prefix names that module).

# Calls in time order, counted per minute, API and error code in Python (a GROUP BY over millions of rows makes
# SQLite sort them). The covering index ct_ev_minute holds every column read, the error code included (a virtual
# column), so the scan never visits the table's rows and their JSON.
_COUNTS = ("SELECT event_time, event_source, event_name, read_only, error_code FROM events INDEXED BY ct_ev_minute "
           "WHERE region = ? AND event_category = 'Management' AND event_time >= ? AND event_time < ? {origin}")
# The detailed calls of one API, for the attributions of its insights.
_DETAIL = ("SELECT event_time / 60000 AS m, event_source, event_name, read_only, json_extract(record, '$.errorCode'), "
           "json_extract(record, '$.userIdentity.arn'), json_extract(record, '$.userAgent'), count(*) FROM events "
           "WHERE region = ? AND event_name = ? AND event_time >= ? AND event_time < ? AND event_category = 'Management' "
           "AND event_source = ? {origin}GROUP BY 1, 2, 3, 4, 5, 6, 7")  # fmt: skip


def _calls(rows: Iterable[tuple[Any, ...]]) -> list[Any]:
    from awsmon.engines.insights_detector import Calls

    return [Calls(int(m), src or "", name or "", str(ro).lower() == "true", err, arn, agent, int(n))
            for m, src, name, ro, err, arn, agent, n in rows]  # fmt: skip


def _local_calls(store: AccountStore, region: str, lo_min: int, hi_min: int, *, local_only: bool,
                 api: tuple[str, str] | None = None) -> list[Any]:  # fmt: skip
    """Per-minute counts (``api``: the detailed calls of that one API) of the events table."""
    origin = "AND origin = 'local' " if local_only else ""
    if api is None:
        counts: Counter[tuple[Any, ...]] = Counter()
        for t, src, name, ro, err in store.conn.execute(_COUNTS.format(origin=origin), (region, lo_min * 60000, hi_min * 60000)):
            counts[(t // 60000, src, name, ro, err)] += 1
        return _calls((*k, None, None, n) for k, n in counts.items())
    return _calls(store.conn.execute(_DETAIL.format(origin=origin), (region, api[1], lo_min * 60000, hi_min * 60000, api[0])))


def _attribute(store: AccountStore, region: str, found: list[Any], hi: int, *, local_only: bool,
               imported: bool = False) -> None:  # fmt: skip
    from awsmon.engines.insights_detector import BASELINE_MINUTES, attribute

    for ins in found:
        api = (ins.event_source, ins.event_name)
        lo, top = ins.start - BASELINE_MINUTES, ins.end if ins.end is not None else hi
        calls = _local_calls(store, region, lo, top, local_only=local_only, api=api)
        if imported:
            calls += _imported_calls(store, region, lo, top, api=api)
        attribute(ins, calls)


def _imported_calls(store: AccountStore, region: str, lo_min: int, hi_min: int,
                    api: tuple[str, str] | None = None) -> list[Any]:  # fmt: skip
    """Management calls of the history store (imported trails), read from its Parquet parts by DuckDB."""
    from awsmon.backends.local import history
    from awsmon.duck import duck

    files = history.parts(store)
    if not files:
        return []
    lo = datetime.fromtimestamp(lo_min * 60, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    hi = datetime.fromtimestamp(hi_min * 60, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    detail = "useridentity.arn, useragent" if api else "NULL, NULL"
    where = " AND eventsource = ? AND eventname = ?" if api else ""
    con = duck()
    try:
        rows = con.execute(
            "SELECT CAST(epoch(CAST(eventtime AS TIMESTAMP)) AS BIGINT) // 60 AS m, eventsource, eventname, readonly, "
            f"errorcode, {detail}, count(*) FROM read_parquet(?) WHERE awsregion = ? AND "
            f"coalesce(eventcategory, 'Management') = 'Management' AND eventtime >= ? AND eventtime < ?{where} "
            "GROUP BY ALL", [[str(f) for f in files], region, lo, hi, *(api or ())]).fetchall()  # fmt: skip
    finally:
        con.close()
    return _calls(rows)


def _history_start(store: AccountStore, region: str, *, local_only: bool) -> int | None:
    sql = "SELECT min(event_time) FROM events WHERE region = ? AND event_category = 'Management'"
    row = store.conn.execute(sql + (" AND origin = 'local'" if local_only else ""), (region,)).fetchone()
    return None if row[0] is None else int(row[0]) // 60000


def analyze(store: AccountStore, region: str, start: datetime, end: datetime, types: Iterable[str] | None = None,
            ) -> list[dict[str, Any]]:  # fmt: skip
    """Insights records (Start/End, AWS's shape) for insights starting in [start, end), over recorded and imported
    management events of ``region``; the baseline of the first minutes comes from the 7 days before ``start``."""
    from awsmon.engines.insights_detector import BASELINE_MINUTES, INSIGHT_TYPES, detect, records

    lo, hi = int(start.timestamp()) // 60, -(-int(end.timestamp()) // 60)
    calls = _local_calls(store, region, lo - BASELINE_MINUTES, hi, local_only=False)
    calls += _imported_calls(store, region, lo - BASELINE_MINUTES, hi)
    first = min((c.minute for c in calls), default=lo)
    # The end of a downloaded trail is not a fall to zero: analyse only up to the last minute the history covers.
    hi = min(hi, max((c.minute for c in calls), default=lo) + 1)
    found = detect(calls, start=lo, end=hi, history_start=first, types=list(types or INSIGHT_TYPES), attributions=False)
    _attribute(store, region, found, hi, local_only=False, imported=True)
    return [r for ins in found for r in records(ins, region=region, account_id=store.account_id)]


def _insert(store: AccountStore, rec: dict[str, Any]) -> bool:
    d = rec["insightDetails"]
    t = int(datetime.fromisoformat(rec["eventTime"].replace("Z", "+00:00")).timestamp() * 1000)
    cur = store.conn.execute(
        "INSERT OR IGNORE INTO events (event_id, event_time, region, event_category, event_name, event_source, "
        "origin, record) VALUES (?,?,?,'Insight',?,?,'local',?)",
        (rec["eventID"], t, rec["awsRegion"], d["eventName"], d["eventSource"], json.dumps(rec, separators=(",", ":"))),
    )  # fmt: skip
    return cur.rowcount > 0


def insight_key(account: str, region: str, when: datetime, unique: str, prefix: str | None = None) -> str:
    """``[prefix/]AWSLogs/<acct>/CloudTrail-Insight/<region>/YYYY/MM/DD/<acct>_CloudTrail-Insight_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz``."""
    root = f"{prefix.rstrip('/')}/" if prefix else ""
    return (f"{root}AWSLogs/{account}/CloudTrail-Insight/{region}/{when.strftime('%Y/%m/%d')}/"
            f"{account}_CloudTrail-Insight_{region}_{when.strftime('%Y%m%dT%H%MZ')}_{unique}.json.gz")  # fmt: skip


def run_insights(store: AccountStore, key: str, due: datetime, now: datetime) -> datetime | None:
    from awsmon.backends.local.cloudtrail import INSIGHTS_EVERY, _put, _trail, _unique, insight_regions
    from awsmon.engines.insights_detector import BASELINE_MINUTES, Params, detect, records

    trail = _trail(store, key)
    selectors = json.loads(trail["insight_selectors"]) if trail and trail["insight_selectors"] else []
    if trail is None or not selectors:
        return None
    types = [s["InsightType"] for s in selectors]
    end = int(now.timestamp()) // 60  # whole minutes only
    for region in insight_regions(store, key):
        row = store.conn.execute("SELECT resume_min, delivered FROM ct_insights WHERE trail_arn = ? AND region = ?",
                                 (key, region)).fetchone()  # fmt: skip
        resume, delivered = (row[0], set(json.loads(row[1]))) if row else (end, set())
        if resume >= end - (Params().confirm - 1):
            continue  # an insight needs `confirm` minutes to be seen: re-read the last few minutes next time
        first = _history_start(store, region, local_only=True)
        if not trail["is_logging"]:
            first = None  # a stopped trail analyses nothing (its minutes are skipped, not caught up later)
        calls = _local_calls(store, region, resume - BASELINE_MINUTES, end, local_only=True) if first is not None else []
        found = detect(calls, start=resume, end=end, history_start=first or end, types=types, attributions=False)
        _attribute(store, region, found, end, local_only=True)
        fresh = []
        still_open: list[str] = []
        for ins in found:
            recs = records(ins, region=region, account_id=store.account_id)
            if ins.end is None:
                still_open.append(recs[0]["eventID"])
            fresh += [r for r in recs if r["eventID"] not in delivered]
        for rec in fresh:
            _insert(store, rec)
        if fresh:
            when = now.replace(second=0, microsecond=0)
            raw = ('{"Records":[' + ",".join(json.dumps(r, separators=(",", ":")) for r in fresh) + "]}").encode()
            k = insight_key(store.account_id, region, when, _unique(), trail["cfg"].get("S3KeyPrefix"))
            _put(store, trail, "latest_delivery_error", trail["cfg"]["S3BucketName"], k,
                 gzip.compress(raw, compresslevel=6, mtime=0), content_type="application/json", last_modified=when)  # fmt: skip
        open_starts = [i.start for i in found if i.end is None]
        store.conn.execute(
            "INSERT INTO ct_insights (trail_arn, region, resume_min, delivered) VALUES (?,?,?,?) ON CONFLICT "
            "(trail_arn, region) DO UPDATE SET resume_min = excluded.resume_min, delivered = excluded.delivered",
            (key, region, min(open_starts, default=end - (Params().confirm - 1)), json.dumps(still_open)),
        )  # fmt: skip
    return max(now, due) + INSIGHTS_EVERY
