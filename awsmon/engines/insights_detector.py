"""CloudTrail Insights detection: an approximation of AWS's (unpublished) model, pure and deterministic.

AWS publishes only the outline (``shared/specs/cloudtrail.md`` §4): per Region and per API (eventSource +
eventName), per-minute counts of write management calls (call rate) or of calls that returned an error (error
rate), compared with a baseline: the average per minute over the seven days before the insight starts. Everything
else is a documented [design choice] (docs/cloudtrail-insights.md), set in :class:`Params`:

* the baseline at minute ``m`` is the mean and standard deviation of the 10080 minutes before ``m`` (zeros where
  there were no calls); minutes less than 7 days after ``history_start`` are not evaluated (no full baseline);
* a minute is *unusual* when its count is above ``mean + max(k*sd, rel*mean, min_delta)`` or, when the baseline
  mean is at least ``min_low_baseline``, below ``mean - max(k*sd, rel*mean)``;
* an insight starts after ``confirm`` consecutive unusual minutes in the same direction (it starts at the first of
  them), and ends at the first of ``quiet`` consecutive usual minutes; while it is open the baseline is frozen at
  its start (the burst does not become its own baseline);
* Start: ``insight.average`` is the count of the first minute (AWS: "the first minute"), ``insightDuration`` 1;
  End: the average over the whole insight and its duration in minutes. ``baselineDuration`` is 10080.
* attributions: the top 5 values of userIdentityArn, userAgent and errorCode (``"null"`` for no error) by average
  per minute over the insight (first minute for Start) and over the baseline window.
"""

from __future__ import annotations

import bisect
import math
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

BASELINE_MINUTES = 7 * 24 * 60
CALL_RATE = "ApiCallRateInsight"
ERROR_RATE = "ApiErrorRateInsight"
INSIGHT_TYPES = (CALL_RATE, ERROR_RATE)
ATTRIBUTES = ("userIdentityArn", "userAgent", "errorCode")
_NS = uuid.UUID("6f1d3c2a-9b7e-4c51-8a0d-2e4f6a8b1c3d")  # uuid5 namespace: re-analysis gives the same ids


@dataclass(frozen=True)
class Params:
    k: float = 3.0                   # standard deviations
    rel: float = 0.5                 # relative change (fraction of the baseline mean)
    min_delta: float = 5.0           # calls per minute above the baseline, at least
    min_low_baseline: float = 10.0   # a fall is only unusual for APIs called at least this often per minute
    confirm: int = 3                 # consecutive unusual minutes to open an insight
    quiet: int = 5                   # consecutive usual minutes to close it


@dataclass(frozen=True)
class Calls:
    """``n`` management calls of one minute (epoch minute) with these attributes."""

    minute: int
    event_source: str
    event_name: str
    read_only: bool
    error_code: str | None
    user_arn: str | None
    user_agent: str | None
    n: int = 1


@dataclass
class Insight:
    insight_type: str
    event_source: str
    event_name: str
    start: int                       # epoch minute of the first unusual minute
    end: int | None                  # epoch minute it returned to the baseline (None: still open)
    baseline_average: float
    start_average: float
    average: float | None            # over the whole insight (End)
    attributions_start: list[dict[str, Any]] = field(default_factory=list)
    attributions_end: list[dict[str, Any]] = field(default_factory=list)

    @property
    def shared_event_id(self) -> str:
        return str(uuid.uuid5(_NS, f"{self.insight_type}|{self.event_source}|{self.event_name}|{self.start}"))


def _series_key(c: Calls, insight_type: str) -> bool:
    if insight_type == CALL_RATE:
        return not c.read_only
    return c.error_code is not None


def _top(counter: Counter[str], minutes: int) -> list[dict[str, Any]]:
    items = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    return [{"value": v, "average": round(n / max(minutes, 1), 10)} for v, n in items]


def _attributions(rows: list[Calls], times: list[int], lo: int, hi: int, base_lo: int, base_hi: int,
                  insight_type: str) -> list[dict[str, Any]]:  # fmt: skip
    """Top values over [lo, hi) (the insight) and [base_lo, base_hi) (the baseline), by average per minute."""
    out = []
    windows = []
    for a, b in ((lo, hi), (base_lo, base_hi)):
        counters: dict[str, Counter[str]] = {name: Counter() for name in ATTRIBUTES}
        for c in rows[bisect.bisect_left(times, a):bisect.bisect_left(times, b)]:
            if not _series_key(c, insight_type):
                continue
            counters["userIdentityArn"][c.user_arn or "null"] += c.n
            counters["userAgent"][c.user_agent or "null"] += c.n
            counters["errorCode"][c.error_code or "null"] += c.n
        windows.append({name: _top(cnt, b - a) for name, cnt in counters.items()})
    for name in ATTRIBUTES:
        out.append({"attribute": name, "insight": windows[0][name], "baseline": windows[1][name]})
    return out


def detect(calls: Iterable[Calls], *, start: int, end: int, history_start: int, types: Iterable[str] = INSIGHT_TYPES,
           params: Params | None = None, attributions: bool = True) -> list[Insight]:  # fmt: skip
    """Insights whose start minute is in [start, end), from calls of [start - 7 days, end) (earlier ones ignored).

    ``history_start``: the first minute the data covers (no minute before ``history_start + 7 days`` is evaluated).
    Returns insights ordered by start; an insight still open at ``end`` has ``end=None``. With
    ``attributions=False`` the calls may come without user/agent (counts only) and :func:`attribute` fills the
    attributions later from the detailed calls of each insight's API (a caller reads those for a few APIs only).
    """
    p = params or Params()
    lo = start - BASELINE_MINUTES
    by_api: dict[tuple[str, str], list[Calls]] = defaultdict(list)
    for c in calls:
        if lo <= c.minute < end:
            by_api[(c.event_source, c.event_name)].append(c)
    first = max(start, history_start + BASELINE_MINUTES)
    out: list[Insight] = []
    for (source, name), rows in sorted(by_api.items()):
        for itype in types:
            series = [0] * (end - lo)
            any_calls = False
            for c in rows:
                if _series_key(c, itype):
                    series[c.minute - lo] += c.n
                    any_calls = True
            if any_calls:
                found = _scan(series, lo, first, end, itype, source, name, p)
                if attributions:
                    for ins in found:
                        attribute(ins, rows)
                out += found
    out.sort(key=lambda i: (i.start, i.insight_type, i.event_source, i.event_name))
    return out


def attribute(ins: Insight, calls: Iterable[Calls]) -> None:
    """Fill the Start (first minute) and End (whole insight) attributions from the calls of the insight's API."""
    rows = sorted((c for c in calls if (c.event_source, c.event_name) == (ins.event_source, ins.event_name)),
                  key=lambda c: c.minute)  # fmt: skip
    times = [c.minute for c in rows]
    w = BASELINE_MINUTES
    ins.attributions_start = _attributions(rows, times, ins.start, ins.start + 1, ins.start - w, ins.start, ins.insight_type)
    if ins.end is not None:
        ins.attributions_end = _attributions(rows, times, ins.start, ins.end, ins.start - w, ins.start, ins.insight_type)


def _scan(series: list[int], lo: int, first: int, end: int, itype: str, source: str, name: str,
          p: Params) -> list[Insight]:  # fmt: skip
    """One pass over the minutes with running sums of the 7-day window (O(minutes))."""
    w = BASELINE_MINUTES
    s1 = float(sum(series[max(0, first - lo - w):first - lo]))
    s2 = float(sum(x * x for x in series[max(0, first - lo - w):first - lo]))
    out: list[Insight] = []
    run_dir, run_start, run_len = 0, 0, 0
    cur: Insight | None = None
    frozen = (0.0, 0.0)
    quiet_start, quiet_len = 0, 0
    for m in range(first, end):
        i = m - lo
        mean = s1 / w
        sd = math.sqrt(max(s2 / w - mean * mean, 0.0))
        x = series[i]
        bmean, bsd = frozen if cur is not None else (mean, sd)
        hi_thr = bmean + max(p.k * bsd, p.rel * bmean, p.min_delta)
        low_thr = bmean - max(p.k * bsd, p.rel * bmean) if bmean >= p.min_low_baseline else -1.0
        direction = 1 if x > hi_thr else (-1 if x < low_thr else 0)
        if cur is None:
            if direction != 0 and direction == run_dir:
                run_len += 1
            elif direction != 0:
                run_dir, run_start, run_len = direction, m, 1
            else:
                run_dir, run_len = 0, 0
            if run_len >= p.confirm:
                # Baseline: the 7 days before the first unusual minute.
                j = run_start - lo
                seg = series[max(0, j - w):j]
                bm = sum(seg) / w
                frozen = (bm, math.sqrt(max(sum(v * v for v in seg) / w - bm * bm, 0.0)))
                cur = Insight(itype, source, name, run_start, None, round(bm, 10), float(series[j]), None)
                out.append(cur)
                quiet_len = 0
                run_dir, run_len = 0, 0
        else:
            start_dir = 1 if series[cur.start - lo] > frozen[0] else -1
            if direction == start_dir:
                quiet_len = 0
            else:
                if quiet_len == 0:
                    quiet_start = m
                quiet_len += 1
                if quiet_len >= p.quiet:
                    cur.end = quiet_start
                    dur = quiet_start - cur.start
                    cur.average = round(sum(series[cur.start - lo:quiet_start - lo]) / dur, 10)
                    cur = None
        # slide the window: add minute m, drop minute m - w
        s1 += x
        s2 += x * x
        if i - w >= 0:
            y = series[i - w]
            s1 -= y
            s2 -= y * y
    return out


def _iso(minute: int) -> str:
    return datetime.fromtimestamp(minute * 60, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def records(insight: Insight, *, region: str, account_id: str) -> list[dict[str, Any]]:
    """The Start (and, when closed, End) Insights records in AWS's shape, linked by sharedEventID."""
    shared = insight.shared_event_id
    out = []
    states: list[tuple[str, int, float, int, list[dict[str, Any]]]] = [
        ("Start", insight.start, insight.start_average, 1, insight.attributions_start)]
    if insight.end is not None and insight.average is not None:
        states.append(("End", insight.end, insight.average, insight.end - insight.start, insight.attributions_end))
    for state, minute, avg, duration, attributions in states:
        out.append({
            "eventVersion": "1.07",
            "eventTime": _iso(minute),
            "awsRegion": region,
            "eventID": str(uuid.uuid5(_NS, f"{shared}|{state}")),
            "eventType": "AwsCloudTrailInsight",
            "recipientAccountId": account_id,
            "sharedEventID": shared,
            "insightDetails": {
                "state": state,
                "eventSource": insight.event_source,
                "eventName": insight.event_name,
                "insightType": insight.insight_type,
                "insightContext": {
                    "statistics": {
                        "baseline": {"average": insight.baseline_average},
                        "insight": {"average": avg},
                        "insightDuration": duration,
                        "baselineDuration": BASELINE_MINUTES,
                    },
                    "attributions": attributions,
                },
            },
            "eventCategory": "Insight",
        })  # fmt: skip
    return out
