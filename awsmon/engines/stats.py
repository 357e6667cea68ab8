"""CloudWatch statistics, statistic-name parsing, time alignment, retention and a streaming aggregator.

Pure functions over epoch seconds (floats); no I/O. Rules follow shared/specs/metrics-alarms.md §1.3, §1.4 and §2.

[design choice] Percentiles use the nearest-rank rule: the value at 1-based rank ``max(1, ceil(p/100 * n))`` of the
sorted samples (spec §2.2). Samples published with ``Counts`` are weighted: a value with count ``c`` occupies ``c``
consecutive rank positions, so integral counts behave exactly like repeated values, and fractional counts use the same
position arithmetic on the cumulative weight. All rank arithmetic is exact (``fractions.Fraction`` on the decimal text
of the bound), because ``0.7 * 10`` is ``7.000000000000001`` in binary floating point and would move a rank.

[design choice] Percentage-trimmed statistics (TM/WM/TC/TS with ``%`` bounds, ``tmX`` ...) keep the rank positions
``r`` with ``ceil(a*n/100) < r <= ceil(b*n/100)``; WM replaces positions below/above that window by the value at the
boundary rank. Absolute bounds keep values ``x < v <= y`` (AWS: lower bound excluded, upper included); WM clamps
values to ``[x, y]``. An empty trimmed window gives no TM/WM value and ``0`` for TC/TS.

[design choice] Extended statistics of a period are absent when any sample of the period is negative, or when a
statistic set in it cannot be expanded into raw values (spec §2.2).

[design choice] ``[ou]N`` and the ``_E/_L/_H`` suffixes accepted by the AWS model regex are undocumented and rejected.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

__all__ = [
    "BASIC_STATISTICS",
    "CloudWatchError",
    "Statistic",
    "aggregate",
    "bucket_starts",
    "check_datapoint_limit",
    "compute_statistics",
    "finest_resolution_for_age",
    "is_expired",
    "is_low_sample",
    "is_valid_storage_period",
    "low_sample_threshold",
    "parse_statistic",
    "period_allowed_for_start",
    "query_granularity",
    "rollup_timestamp",
    "round_start_time",
    "statistic_set_allows_percentiles",
]


class CloudWatchError(Exception):
    """An AWS-style API error: ``code`` is the AWS error code, ``message`` the exact AWS message text."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


BASIC_STATISTICS: tuple[str, ...] = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")

MINUTE = 60
HOUR = 3600
DAY = 86400
# Retention tiers (spec §1.3): (maximum age in seconds, finest period available at that age).
RETENTION_TIERS: tuple[tuple[int, int], ...] = (
    (3 * HOUR, 1),
    (15 * DAY, 60),
    (63 * DAY, 300),
    (455 * DAY, 3600),
)
MAX_DATAPOINTS_PER_CALL = 1440

# Fixed statistic-name grammars (bounded, no nested quantifiers: linear-time with Python's re).
_PCT = r"(?:\d{1,2}(?:\.\d{0,10})?|100)"
_PCT_PAREN = r"(?:\d{1,2}(?:\.\d{0,10})?|100(?:\.0{0,10})?)"
_ABS = r"(?:\d+(?:\.\d{0,10})?(?:[Ee][+-]?\d+)?)"
_SHORT_RE = re.compile(rf"(p|tm|tc|ts|wm)({_PCT})")
_PCT_FORM_RE = re.compile(rf"(TM|TC|TS|WM)\((?:({_PCT_PAREN})%)?:(?:({_PCT_PAREN})%)?\)")
_ABS_FORM_RE = re.compile(rf"(TM|TC|TS|WM|PR)\(({_ABS})?:({_ABS})?\)")


@dataclass(frozen=True)
class Statistic:
    """A parsed statistic name.

    ``kind`` is one of the basic statistic names or ``p``, ``TM``, ``WM``, ``TC``, ``TS``, ``PR``. For ``p`` the
    percentile is ``hi``. ``percent`` tells whether ``lo``/``hi`` are percentages (rank bounds) or absolute values.
    """

    name: str
    kind: str
    lo: Fraction | None = None
    hi: Fraction | None = None
    percent: bool = True

    @property
    def is_extended(self) -> bool:
        return self.kind not in BASIC_STATISTICS

    @property
    def needs_sorted_values(self) -> bool:
        """Percentile-type statistics need the period's values in order; absolute-bound ones need the values."""
        return self.is_extended


def _invalid(name: str, parameter: str) -> CloudWatchError:
    return CloudWatchError("InvalidParameterValue", f"The value {name} for parameter {parameter} is invalid.")


def parse_statistic(name: str, parameter: str = "ExtendedStatistics.member.1") -> Statistic:
    """Parse and validate a statistic name (basic or extended); AWS error text for malformed ones.

    ``parameter`` names the request field in the error message, e.g. ``ExtendedStatistic`` for PutMetricAlarm.
    """
    if not isinstance(name, str) or not name or len(name) > 50:
        raise _invalid(str(name), parameter)
    if name in BASIC_STATISTICS:
        return Statistic(name, name)
    if name == "IQM":
        return Statistic(name, "TM", Fraction(25), Fraction(75), True)
    m = _SHORT_RE.fullmatch(name)
    if m:
        value = Fraction(m.group(2))
        kind = m.group(1)
        if kind == "p":
            return Statistic(name, "p", None, value, True)
        return Statistic(name, kind.upper(), None, value, True)
    for form, percent in ((_PCT_FORM_RE, True), (_ABS_FORM_RE, False)):
        m = form.fullmatch(name)
        if not m:
            continue
        lo = Fraction(m.group(2)) if m.group(2) is not None else None
        hi = Fraction(m.group(3)) if m.group(3) is not None else None
        if (lo is None and hi is None) or (lo is not None and hi is not None and lo > hi):
            raise _invalid(name, parameter)
        if percent and ((lo is not None and lo > 100) or (hi is not None and hi > 100)):
            raise _invalid(name, parameter)
        return Statistic(name, m.group(1), lo, hi, percent)
    raise _invalid(name, parameter)


def validate_alarm_extended_statistic(name: str) -> Statistic:
    """PutMetricAlarm ``ExtendedStatistic``: percent-bounded parenthesised forms need both bounds in 10..90 [model]."""
    stat = parse_statistic(name, "ExtendedStatistic")
    if not stat.is_extended:
        raise _invalid(name, "ExtendedStatistic")
    if stat.percent and stat.kind != "p" and "(" in name:
        for bound in (stat.lo, stat.hi):
            if bound is None or not (10 <= bound <= 90):
                raise _invalid(name, "ExtendedStatistic")
    return stat


# --------------------------------------------------------------------------------------------------------------
# Computing statistics over one period.


def statistic_set_allows_percentiles(stat_set: Mapping[str, float]) -> bool:
    """True when a statistic set is equivalent to raw values (spec §2.2, corpus ``statistic_set_percentiles``).

    Either SampleCount is 1 and Minimum, Maximum and Sum are equal, or Minimum equals Maximum and Sum equals
    Minimum x SampleCount (the set is then SampleCount copies of one value). Negative values never allow them.
    """
    count = float(stat_set["SampleCount"])
    total = float(stat_set["Sum"])
    lo = float(stat_set["Minimum"])
    hi = float(stat_set["Maximum"])
    if lo < 0:
        return False
    if count == 1 and lo == hi == total:
        return True
    return lo == hi and math.isclose(total, lo * count, rel_tol=1e-12, abs_tol=0.0)


def _ceil_rank(bound: Fraction, total: Fraction) -> Fraction:
    return Fraction(math.ceil(bound * total / 100))


def _rank(bound: Fraction, n: int) -> int:
    """``ceil(bound * n / 100)`` in integers: Fraction arithmetic cost more than the sort on 20,000 buckets."""
    return -((-bound.numerator * n) // (bound.denominator * 100))


def _extended_unit(stat: Statistic, vals: Sequence[float]) -> float | None:
    """Extended statistic over sorted values (a list or a numpy array), each with weight 1 (the common path)."""
    n = len(vals)
    if stat.kind == "p":
        assert stat.hi is not None
        rank = max(1, _rank(stat.hi, n))
        return float(vals[rank - 1])
    if stat.percent:
        low = 0 if stat.lo is None else min(n, _rank(stat.lo, n))
        high = n if stat.hi is None else min(n, _rank(stat.hi, n))
        kept = vals[low:high] if high > low else []
        if stat.kind == "TC":
            return float(len(kept))
        if stat.kind == "TS":
            return float(math.fsum(kept))
        if stat.kind == "TM":
            return math.fsum(kept) / len(kept) if kept else None
        # WM: positions below/above the window take the boundary value.
        if high == 0:
            return None
        below = vals[low - 1] * low if low > 0 else 0.0
        above = vals[high - 1] * (n - high)
        return (below + math.fsum(kept) + above) / n
    return _extended_absolute(stat, [(v, 1.0) for v in vals], float(n))


def _extended_absolute(stat: Statistic, items: Sequence[tuple[float, float]], total: float) -> float | None:
    lo = None if stat.lo is None else float(stat.lo)
    hi = None if stat.hi is None else float(stat.hi)
    kept_w = 0.0
    kept_s = 0.0
    clamped = 0.0
    for v, c in items:
        inside = (lo is None or v > lo) and (hi is None or v <= hi)
        if inside:
            kept_w += c
            kept_s += v * c
        if stat.kind == "WM":
            cv = v if lo is None or v >= lo else lo
            cv = cv if hi is None or cv <= hi else hi
            clamped += cv * c
    if stat.kind == "TC":
        return kept_w
    if stat.kind == "TS":
        return kept_s
    if stat.kind == "PR":
        return 100.0 * kept_w / total
    if stat.kind == "TM":
        return kept_s / kept_w if kept_w > 0 else None
    return clamped / total  # WM


def _extended_weighted(stat: Statistic, items: list[tuple[float, float]]) -> float | None:
    """Extended statistic over sorted (value, count) items with arbitrary positive counts."""
    if not stat.percent:
        return _extended_absolute(stat, items, math.fsum(c for _, c in items))
    cum: list[float] = []
    acc = 0.0
    for _, c in items:
        acc += c
        cum.append(acc)
    total = Fraction(acc)
    if stat.kind == "p":
        assert stat.hi is not None
        rank: Fraction | float = max(Fraction(1), _ceil_rank(stat.hi, total))
        if rank > total:
            rank = acc
        idx = bisect_left(cum, float(rank))
        return float(items[min(idx, len(items) - 1)][0])
    low = Fraction(0) if stat.lo is None else min(total, _ceil_rank(stat.lo, total))
    high = total if stat.hi is None else min(total, _ceil_rank(stat.hi, total))
    flow, fhigh = float(low), float(high)
    kept_w = 0.0
    kept_s = 0.0
    prev = 0.0
    for (v, _), c_end in zip(items, cum, strict=True):
        overlap = min(c_end, fhigh) - max(prev, flow)
        if overlap > 0:
            kept_w += overlap
            kept_s += v * overlap
        prev = c_end
    if stat.kind == "TC":
        return kept_w
    if stat.kind == "TS":
        return kept_s
    if stat.kind == "TM":
        return kept_s / kept_w if kept_w > 0 else None
    if fhigh <= 0:
        return None
    below = 0.0
    if flow > 0:
        below = items[min(bisect_left(cum, flow), len(items) - 1)][0] * flow
    above = items[min(bisect_left(cum, fhigh), len(items) - 1)][0] * (acc - fhigh)
    return (below + kept_s + above) / acc


def _extended(stat: Statistic, unit_vals: list[float], weighted: list[tuple[float, float]]) -> float | None:
    if not weighted:
        unit_vals.sort()
        return _extended_unit(stat, unit_vals)
    items = sorted([(v, 1.0) for v in unit_vals] + weighted)
    return _extended_weighted(stat, items)


def compute_statistics(
    values: Sequence[float] = (),
    statistics: Sequence[str | Statistic] = BASIC_STATISTICS,
    *,
    counts: Sequence[float] | None = None,
    stat_sets: Sequence[Mapping[str, float]] = (),
) -> dict[str, float]:
    """Statistics of one period from raw values (optionally with Counts) and statistic sets.

    Returns ``{statistic name: value}``; a statistic without a value for this period (an extended statistic when
    percentiles are unavailable, TM of an empty window) is absent. An empty period returns ``{}``.
    """
    parsed = [s if isinstance(s, Statistic) else parse_statistic(s) for s in statistics]
    if counts is not None and len(counts) != len(values):
        raise ValueError("values and counts must have the same length")
    unit_vals: list[float] = []
    weighted: list[tuple[float, float]] = []
    n = 0.0
    total = 0.0
    lo = math.inf
    hi = -math.inf
    for i, v in enumerate(values):
        c = 1.0 if counts is None else float(counts[i])
        if c <= 0:
            continue
        v = float(v)
        n += c
        total += v * c
        lo = min(lo, v)
        hi = max(hi, v)
        if c == 1.0:
            unit_vals.append(v)
        else:
            weighted.append((v, c))
    percentiles_ok = True
    for ss in stat_sets:
        sc = float(ss["SampleCount"])
        n += sc
        total += float(ss["Sum"])
        lo = min(lo, float(ss["Minimum"]))
        hi = max(hi, float(ss["Maximum"]))
        if statistic_set_allows_percentiles(ss):
            weighted.append((float(ss["Minimum"]), sc))
        else:
            percentiles_ok = False
    if n <= 0:
        return {}
    basic = {"SampleCount": n, "Sum": total, "Average": total / n, "Minimum": lo, "Maximum": hi}
    out: dict[str, float] = {}
    for stat in parsed:
        if not stat.is_extended:
            out[stat.name] = basic[stat.kind]
        elif percentiles_ok and lo >= 0:
            value = _extended(stat, list(unit_vals), weighted)
            if value is not None:
                out[stat.name] = value
    return out


# --------------------------------------------------------------------------------------------------------------
# Streaming aggregation.


def aggregate(
    points: Iterable[tuple[float, float, float]],
    start: float,
    end: float,
    period: int,
    statistics: Sequence[str | Statistic],
    *,
    stat_sets: Iterable[tuple[float, float, float, float, float]] = (),
    unit: str | None = None,
) -> list[dict[str, Any]]:
    """Bucket ``(timestamp, value, count)`` points into ``[start + k*period, ...)`` and compute statistics.

    ``start`` should already be rounded (``round_start_time``); ``end`` is exclusive. ``stat_sets`` holds
    ``(timestamp, SampleCount, Sum, Minimum, Maximum)`` rows. Returns one GetMetricStatistics-shaped datapoint per
    non-empty bucket, in timestamp order: ``{"Timestamp", <basic stats>, "ExtendedStatistics": {...}, "Unit"}``
    (``ExtendedStatistics`` only when extended statistics were requested).

    One pass; values are kept only when an extended statistic is requested, and each bucket is sorted once, at the
    end. Time-ordered input (the store's normal case) touches the bucket table only when the bucket changes.
    """
    if period <= 0:
        raise ValueError("period must be positive")
    parsed = [s if isinstance(s, Statistic) else parse_statistic(s) for s in statistics]
    need_values = any(s.is_extended for s in parsed)
    # bucket index -> [n, sum, min, max, unit values, weighted values, percentiles_ok]
    table: dict[int, list[Any]] = {}
    cur_k: int | None = None
    n = s = 0.0
    mn = math.inf
    mx = -math.inf
    vals: list[float] = []
    wvals: list[tuple[float, float]] = []

    def load(k: int) -> list[Any]:
        state = table.get(k)
        if state is None:
            state = [0.0, 0.0, math.inf, -math.inf, [], [], True]
            table[k] = state
        return state

    def switch(old: int | None, k: int | None, n: float, s: float, mn: float, mx: float) -> list[Any]:
        """Store the running sums of bucket ``old`` and load bucket ``k`` (called only when the bucket changes)."""
        if old is not None:
            st = table[old]
            st[0], st[1], st[2], st[3] = n, s, mn, mx
        return load(k) if k is not None else []

    if need_values:
        for ts, v, c in points:
            if ts < start or ts >= end or c <= 0:
                continue
            k = int((ts - start) // period)
            if k != cur_k:
                st = switch(cur_k, k, n, s, mn, mx)
                n, s, mn, mx, vals, wvals = st[0], st[1], st[2], st[3], st[4], st[5]
                cur_k = k
            if c == 1:
                n += 1.0
                s += v
                vals.append(v)
            else:
                n += c
                s += v * c
                wvals.append((v, c))
            if v < mn:
                mn = v
            if v > mx:
                mx = v
    else:
        for ts, v, c in points:
            if ts < start or ts >= end or c <= 0:
                continue
            k = int((ts - start) // period)
            if k != cur_k:
                st = switch(cur_k, k, n, s, mn, mx)
                n, s, mn, mx = st[0], st[1], st[2], st[3]
                cur_k = k
            if c == 1:
                n += 1.0
                s += v
            else:
                n += c
                s += v * c
            if v < mn:
                mn = v
            if v > mx:
                mx = v
    if cur_k is not None:
        switch(cur_k, None, n, s, mn, mx)

    for ts, sc, ssum, smin, smax in stat_sets:
        if ts < start or ts >= end or sc <= 0:
            continue
        st = load(int((ts - start) // period))
        st[0] += sc
        st[1] += ssum
        st[2] = min(st[2], smin)
        st[3] = max(st[3], smax)
        if need_values:
            ss = {"SampleCount": sc, "Sum": ssum, "Minimum": smin, "Maximum": smax}
            if statistic_set_allows_percentiles(ss):
                st[5].append((float(smin), float(sc)))
            else:
                st[6] = False

    out: list[dict[str, Any]] = []
    for k in sorted(table):
        bn, bs, bmin, bmax, bvals, bw, ok = table[k]
        if bn <= 0:
            continue
        dp: dict[str, Any] = {"Timestamp": start + k * period}
        ext: dict[str, float] = {}
        items: list[tuple[float, float]] | None = None
        sorted_done = False
        for stat in parsed:
            kind = stat.kind
            if kind == "SampleCount":
                dp[stat.name] = bn
            elif kind == "Sum":
                dp[stat.name] = bs
            elif kind == "Average":
                dp[stat.name] = bs / bn
            elif kind == "Minimum":
                dp[stat.name] = bmin
            elif kind == "Maximum":
                dp[stat.name] = bmax
            elif ok and bmin >= 0:
                if bw:
                    if items is None:
                        items = sorted([(v, 1.0) for v in bvals] + bw)
                    value = _extended_weighted(stat, items)
                else:
                    if not sorted_done:
                        bvals.sort()
                        sorted_done = True
                    value = _extended_unit(stat, bvals)
                if value is not None:
                    ext[stat.name] = value
        if need_values:
            dp["ExtendedStatistics"] = ext
        if unit is not None:
            dp["Unit"] = unit
        out.append(dp)
    return out


# --------------------------------------------------------------------------------------------------------------
# Low-sample percentiles (EvaluateLowSampleCountPercentile, spec §3.6).


def low_sample_threshold(percentile: float | str | Fraction) -> float | None:
    """Minimum number of samples for a percentile alarm to evaluate normally; None when the rule does not apply.

    p in [50, 100): 10 / (1 - p/100); p in (0, 50): 10 / (p/100). p0 and p100 fall outside both ranges.
    """
    p = Fraction(str(percentile)) / 100 if not isinstance(percentile, Fraction) else percentile / 100
    if Fraction(1, 2) <= p < 1:
        return float(10 / (1 - p))
    if 0 < p < Fraction(1, 2):
        return float(10 / p)
    return None


def is_low_sample(percentile: float | str | Fraction, sample_count: float) -> bool:
    threshold = low_sample_threshold(percentile)
    return threshold is not None and sample_count < threshold


# --------------------------------------------------------------------------------------------------------------
# Periods, StartTime rounding and bucket alignment (spec §1.3, §1.4).

HIGH_RES_PERIODS = (1, 5, 10, 20, 30)


def is_valid_storage_period(period: int, storage_resolution: int = 60) -> bool:
    """Valid query period for a metric stored at ``storage_resolution`` (1 = high resolution, 60 = standard)."""
    if period <= 0 or int(period) != period:
        return False
    if period % 60 == 0:
        return True
    return storage_resolution == 1 and period in HIGH_RES_PERIODS


def query_granularity(start: float, now: float) -> int:
    """Period granularity required by the age of the (rounded) StartTime: 1, 60, 300 or 3600 seconds."""
    age = now - start
    if age <= 3 * HOUR:
        return 1
    if age < 15 * DAY:
        return 60
    if age < 63 * DAY:
        return 300
    return 3600


def period_allowed_for_start(period: int, start: float, now: float, storage_resolution: int = 60) -> bool:
    """False means AWS returns no datapoints (not an error) for this period and StartTime (corpus TA-7)."""
    if not is_valid_storage_period(period, storage_resolution):
        return False
    gran = query_granularity(start, now)
    return period % gran == 0 if gran > 1 else True


def round_start_time(start: float, now: float, period: int | None = None) -> float:
    """Round StartTime down as AWS does (corpus TA-1..TA-5).

    Sub-minute periods (5/10/20/30 s, and 1 s) round to a multiple of the period within the minute; otherwise the
    age of StartTime picks the unit: < 15 days minute, 15-63 days 5 minutes, > 63 days hour.
    """
    if period is not None and period < 60 and period in HIGH_RES_PERIODS:
        return float(math.floor(start / period) * period)
    age = now - start
    unit = 60 if age < 15 * DAY else 300 if age < 63 * DAY else 3600
    return float(math.floor(start / unit) * unit)


def bucket_starts(start: float, end: float, period: int) -> list[float]:
    """Bucket timestamps: from the rounded StartTime, stepping by Period, while before EndTime (exclusive)."""
    if period <= 0:
        raise ValueError("period must be positive")
    count = max(0, math.ceil((end - start) / period))
    return [start + k * period for k in range(count)]


def check_datapoint_limit(start: float, end: float, period: int, limit: int = MAX_DATAPOINTS_PER_CALL) -> int:
    """GetMetricStatistics cap: raise AWS's error when more than ``limit`` datapoints could be returned."""
    count = max(0, math.ceil((end - start) / period))
    if count > limit:
        raise CloudWatchError(
            "InvalidParameterCombination",
            f"You have requested up to {count:,} datapoints, which exceeds the limit of {limit:,}. You may reduce "
            "the datapoints requested by increasing Period, or decreasing the time range.",
        )
    return count


# --------------------------------------------------------------------------------------------------------------
# Retention and roll-up schedule (spec §1.3), for a store that compacts or expires data.


def finest_resolution_for_age(age: float, storage_resolution: int = 60) -> int | None:
    """Finest period (seconds) at which a datapoint of this age is still available; None once expired.

    Sub-minute data lives 3 hours, 1-minute 15 days, 5-minute 63 days, 1-hour 455 days.
    """
    for max_age, resolution in RETENTION_TIERS:
        if age < max_age:
            return max(resolution, storage_resolution)
    return None


def is_expired(age: float) -> bool:
    return finest_resolution_for_age(age, 1) is None


def rollup_timestamp(ts: float, resolution: int) -> float:
    """Start of the roll-up bucket of width ``resolution`` that holds ``ts`` (epoch-aligned)."""
    return float(math.floor(ts / resolution) * resolution)
