"""CloudWatch's AWS/Usage metrics of the local account, published on the simulated clock.

* ``CallCount`` (dimensions Service, Type=API, Resource=<operation>, Class=None; unit None; one datapoint per minute,
  the number of calls in that minute, so Sum over a period is the calls in the period) for the services AWS
  publishes it for (``engines.service_quotas.CALL_COUNT_SERVICES``). It is counted from the account's CloudTrail
  history (every ``@api`` call is recorded there, successes and failures; imported history is not), in one grouped
  query per catch-up run: a call itself costs only the ``api_call`` fact that keeps the job scheduled.
* ``ResourceCount`` for the quotas that have one locally (CloudTrail ``Trail``: trails per region, a multi-region
  trail counting in every region, as CloudTrail enforces it), one datapoint per minute with the count read through
  CloudTrail's public DescribeTrails. [design choice] Counts only change with API calls and every command catches
  up before it runs, so the count of a gap between commands is the count at its end; after a clock jump the gap is
  filled for its last 24 hours at most (what an alarm can look back on), keeping a jump's cost bounded.

One scheduler item (``usage.publish``) runs at each minute boundary while there is anything to publish; it drops
itself when there is neither a recent call nor a trail, and the next recorded call schedules it again.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from awsmon.backends.local import scheduler

if TYPE_CHECKING:
    from awsmon.backends.local.store import AccountStore

KIND, KEY = "usage.publish", "account"
MINUTE_MS = 60_000
BACKFILL_MS = 24 * 3600 * 1000  # the longest gap filled with ResourceCount points after a clock jump
TRAIL_EVENTS = ("CreateTrail", "DeleteTrail", "UpdateTrail")

scheduler.register(KIND, "awsmon.backends.local.cloudwatch_usage:run_usage")


def on_api_call(store: AccountStore, region: str, when: datetime) -> None:
    """Reaction to every recorded call: make sure the publication job is due at the end of the call's minute.

    At most one statement per minute per process (the minute already ensured is remembered on the store)."""
    minute = int(when.timestamp() * 1000) // MINUTE_MS
    if getattr(store, "_usage_minute", None) == minute:
        return
    scheduler.schedule_if_absent(store, KIND, KEY, _dt((minute + 1) * MINUTE_MS))
    store._usage_minute = minute  # type: ignore[attr-defined]


def run_usage(store: AccountStore, key: str, due: datetime, now: datetime) -> datetime | None:
    """Publish CallCount and ResourceCount for every complete minute since the last run."""
    from awsmon.engines.service_quotas import USAGE_NAMESPACE

    conn = store.conn
    end = int(now.timestamp() * 1000) // MINUTE_MS * MINUTE_MS
    row = conn.execute("SELECT watermark_ms FROM cw_usage_state WHERE id = 1").fetchone()
    start = row[0] if row is not None else int(due.timestamp() * 1000) - MINUTE_MS
    store._usage_minute = None  # type: ignore[attr-defined]  # this run may drop the job: calls must re-ensure it
    if end > start:
        regions = _publish_calls(store, start, end)
        conn.executemany("INSERT OR IGNORE INTO cw_usage_regions (region) VALUES (?)", [(r,) for r in regions])
        trails = _publish_trail_counts(store, max(start, end - BACKFILL_MS), end, USAGE_NAMESPACE)
        conn.execute("INSERT INTO cw_usage_state (id, watermark_ms) VALUES (1, ?) "
                     "ON CONFLICT (id) DO UPDATE SET watermark_ms = excluded.watermark_ms", (end,))  # fmt: skip
    else:
        trails = bool(conn.execute("SELECT 1 FROM cw_usage_regions WHERE trail_count > 0 LIMIT 1").fetchone())
    pending = conn.execute("SELECT 1 FROM events WHERE origin = 'local' AND event_time >= ? LIMIT 1", (end,)).fetchone()
    return _dt(end + MINUTE_MS) if trails or pending else None


def _publish_calls(store: AccountStore, start: int, end: int) -> set[str]:
    """One grouped query over the history of [start, end); one batched insert per (region, service, operation)."""
    from awsmon.backends.local.cloudwatch_metrics import store_series
    from awsmon.engines.service_quotas import CALL_COUNT_SERVICES, USAGE_NAMESPACE, usage_dimensions

    sources = list(CALL_COUNT_SERVICES)
    rows = store.conn.execute(
        f"SELECT region, event_source, event_name, event_time / {MINUTE_MS} AS m, COUNT(*) FROM events "
        f"WHERE origin = 'local' AND event_time >= ? AND event_time < ? "
        f"AND event_source IN ({','.join('?' * len(sources))}) GROUP BY region, event_source, event_name, m",
        (start, end, *sources),
    ).fetchall()  # fmt: skip
    series: dict[tuple[str, str, str], list[tuple[float, float]]] = defaultdict(list)
    for region, source, name, minute, count in rows:
        service, only = CALL_COUNT_SERVICES[source]
        if only is None or name in only:
            series[(region, service, name)].append((float(minute * 60), float(count)))
    for (region, service, name), points in series.items():
        store_series(store, region, USAGE_NAMESPACE, "CallCount", usage_dimensions(service, "API", name), points)
    return {region for region, *_ in rows}


def _publish_trail_counts(store: AccountStore, start: int, end: int, namespace: str) -> bool:
    """ResourceCount of CloudTrail trails in each region the account has touched; True if any region has one."""
    from awsmon.backends.local import facts
    from awsmon.backends.local.cloudwatch_metrics import store_series
    from awsmon.engines.service_quotas import usage_dimensions

    conn = store.conn
    any_trail = False
    for region, last in conn.execute("SELECT region, trail_count FROM cw_usage_regions").fetchall():
        # Regions that never saw a trail call nor published a count are skipped without reading CloudTrail.
        if last is None and not _trail_calls(store, region):
            continue
        count = len(facts.Reader(store, region, "cloudtrail").describe_trails()["trailList"])
        if count or last:
            points = [(float(t // 1000), float(count)) for t in range(start, end, MINUTE_MS)]
            store_series(store, region, namespace, "ResourceCount",
                         usage_dimensions("CloudTrail", "Resource", "Trail"), points)  # fmt: skip
        conn.execute("UPDATE cw_usage_regions SET trail_count = ? WHERE region = ?", (count, region))
        any_trail = any_trail or count > 0
    return any_trail


def _trail_calls(store: AccountStore, region: str) -> bool:
    marks = ",".join("?" * len(TRAIL_EVENTS))
    return store.conn.execute(
        f"SELECT 1 FROM events WHERE region = ? AND event_name IN ({marks}) AND origin = 'local' LIMIT 1",
        (region, *TRAIL_EVENTS),
    ).fetchone() is not None


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)
