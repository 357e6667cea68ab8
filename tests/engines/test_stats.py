"""Statistics engine: statistic names, percentile rules, aggregation, time alignment and retention."""

from __future__ import annotations

import math
import random
import time
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awsmon.engines import stats
from awsmon.engines.putmetric_validate import validate_put_metric_data
from awsmon.engines.stats import CloudWatchError

# ------------------------------------------------------------------------------------------- statistic names


@pytest.mark.parametrize(
    ("name", "kind", "lo", "hi", "percent"),
    [
        ("Average", "Average", None, None, True),
        ("p99", "p", None, Fraction(99), True),
        ("p99.9", "p", None, Fraction(999, 10), True),
        ("p95.0123456789", "p", None, Fraction("95.0123456789"), True),
        ("p100", "p", None, Fraction(100), True),
        ("p0.0", "p", None, Fraction(0), True),
        ("tm99", "TM", None, Fraction(99), True),
        ("wm98", "WM", None, Fraction(98), True),
        ("tc90", "TC", None, Fraction(90), True),
        ("ts90", "TS", None, Fraction(90), True),
        ("IQM", "TM", Fraction(25), Fraction(75), True),
        ("TM(10%:90%)", "TM", Fraction(10), Fraction(90), True),
        ("TM(:0.5%)", "TM", None, Fraction(1, 2), True),
        ("TS(90%:)", "TS", Fraction(90), None, True),
        ("WM(2%:100.0%)", "WM", Fraction(2), Fraction(100), True),
        ("TM(:0.5)", "TM", None, Fraction(1, 2), False),
        ("PR(100:2000)", "PR", Fraction(100), Fraction(2000), False),
        ("PR(:300)", "PR", None, Fraction(300), False),
        ("TC(0.005:0.030)", "TC", Fraction(5, 1000), Fraction(30, 1000), False),
        ("TM(1e2:2E3)", "TM", Fraction(100), Fraction(2000), False),
    ],
)
def test_parse_statistic_valid(
    name: str, kind: str, lo: Fraction | None, hi: Fraction | None, percent: bool
) -> None:
    s = stats.parse_statistic(name)
    assert (s.kind, s.lo, s.hi, s.percent) == (kind, lo, hi, percent)
    assert s.name == name


@pytest.mark.parametrize(
    "name",
    [
        "", "average", "P99", "p101", "p999", "p99.12345678901", "TM(:)", "TM()", "tm(10%:90%)", "TM99",
        "TM(90%:10%)", "TM(10%:90)", "PR(10%:20%)", "IQM()", "o99", "u5", "p99_E", "Average_L", "TM(101%:)",
        "p-1", "TM(10%:90%", "x" * 51,
    ],
)  # fmt: skip
def test_parse_statistic_invalid(name: str) -> None:
    with pytest.raises(CloudWatchError) as info:
        stats.parse_statistic(name, "ExtendedStatistics.member.1")
    assert info.value.code == "InvalidParameterValue"
    assert info.value.message == f"The value {name} for parameter ExtendedStatistics.member.1 is invalid."


def test_alarm_extended_statistic_bounds() -> None:
    assert stats.validate_alarm_extended_statistic("TM(10%:90%)").kind == "TM"
    assert stats.validate_alarm_extended_statistic("p99").kind == "p"
    assert stats.validate_alarm_extended_statistic("PR(1:5)").kind == "PR"
    for bad in ("TM(5%:90%)", "TM(:90%)", "Average"):
        with pytest.raises(CloudWatchError, match="ExtendedStatistic"):
            stats.validate_alarm_extended_statistic(bad)


# ------------------------------------------------------------------------------------------- per-period values


def test_doc_example_basic_statistics() -> None:
    got = stats.compute_statistics([2, 4, 5])
    assert got == {
        "SampleCount": 3.0,
        "Sum": 11.0,
        "Average": 3.6666666666666665,
        "Minimum": 2.0,
        "Maximum": 5.0,
    }


def test_exact_rank_arithmetic() -> None:
    # 0.7 * 10 == 7.000000000000001 in floats; nearest rank must still be 7.
    values = list(range(1, 11))
    assert stats.compute_statistics(values, ["p70"])["p70"] == 7.0
    assert stats.compute_statistics(values, ["TC(:70%)"])["TC(:70%)"] == 7.0


def test_empty_and_degenerate_windows() -> None:
    assert stats.compute_statistics([], ["Sum"]) == {}
    got = stats.compute_statistics(
        [1, 2, 3], ["TM(:0%)", "TC(:0%)", "TS(:0%)", "WM(:0%)", "TM(5:6)", "PR(5:6)"]
    )
    assert got == {"TC(:0%)": 0.0, "TS(:0%)": 0.0, "PR(5:6)": 0.0}


def test_statistic_sets_merge_with_values() -> None:
    got = stats.compute_statistics(
        [1.0, 2.0], ["SampleCount", "Sum", "Minimum", "Maximum", "p50"],
        stat_sets=[{"SampleCount": 4, "Sum": 12, "Minimum": 3, "Maximum": 3}],
    )  # fmt: skip
    assert got == {"SampleCount": 6.0, "Sum": 15.0, "Minimum": 1.0, "Maximum": 3.0, "p50": 3.0}
    mixed = stats.compute_statistics(
        [1.0], ["p50", "Sum"], stat_sets=[{"SampleCount": 3, "Sum": 11, "Minimum": 2, "Maximum": 5}]
    )
    assert mixed == {"Sum": 12.0}


def test_counts_fractional_weights() -> None:
    got = stats.compute_statistics([1.0, 10.0], ["p50", "Sum", "SampleCount", "TM(:50%)"], counts=[0.5, 1.5])
    assert got["SampleCount"] == 2.0 and got["Sum"] == 15.5
    assert got["p50"] == 10.0  # rank 1 falls in the second value's span (0.5, 2.0]
    assert got["TM(:50%)"] == pytest.approx((0.5 * 1 + 0.5 * 10) / 1.0)


values_st = st.lists(st.integers(min_value=0, max_value=1000).map(float), min_size=1, max_size=60)
pct_st = st.decimals(min_value=0, max_value=100, places=2).map(lambda d: format(d.normalize(), "f"))
EXT_NAMES = ["p50", "p90", "p99", "p99.9", "tm90", "TM(10%:90%)", "IQM", "wm95", "TC(:50%)", "TS(25%:)", "PR(10:500)",
             "TM(100:900)", "WM(10:900)", "TC(:300)", "p0.0", "p100"]  # fmt: skip


def _naive(values: list[float], name: str) -> float | None:
    """Independent reference of the spec's §2.3 table, by explicit rank positions."""
    s = stats.parse_statistic(name)
    v = sorted(values)
    n = len(v)
    if s.kind == "p":
        return v[max(1, math.ceil(s.hi * n / 100)) - 1]
    if s.percent:
        lo = 0 if s.lo is None else math.ceil(s.lo * n / 100)
        hi = n if s.hi is None else math.ceil(s.hi * n / 100)
        kept = [v[r - 1] for r in range(1, n + 1) if lo < r <= hi]
        if s.kind == "WM":
            if hi == 0:
                return None
            repl = [v[lo - 1] if r <= lo else v[hi - 1] if r > hi else v[r - 1] for r in range(1, n + 1)]
            return sum(repl) / n
    else:
        lo_v = -math.inf if s.lo is None else float(s.lo)
        hi_v = math.inf if s.hi is None else float(s.hi)
        kept = [x for x in v if lo_v < x <= hi_v]
        if s.kind == "PR":
            return 100 * len(kept) / n
        if s.kind == "WM":
            return sum(min(max(x, lo_v), hi_v) for x in v) / n
    if s.kind == "TC":
        return float(len(kept))
    if s.kind == "TS":
        return float(sum(kept))
    return sum(kept) / len(kept) if kept else None


@settings(max_examples=150, deadline=None)
@given(values=values_st, name=st.sampled_from(EXT_NAMES))
def test_extended_statistics_match_naive_reference(values: list[float], name: str) -> None:
    got = stats.compute_statistics(values, [name]).get(name)
    want = _naive(values, name)
    if want is None:
        assert got is None
    else:
        assert got == pytest.approx(want, rel=1e-9, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(values=values_st, a=pct_st, b=pct_st)
def test_percentiles_monotone(values: list[float], a: str, b: str) -> None:
    lo, hi = sorted([a, b], key=Fraction)
    got = stats.compute_statistics(values, [f"p{lo}", f"p{hi}"])
    assert got[f"p{lo}"] <= got[f"p{hi}"]
    assert min(values) <= got[f"p{lo}"] <= max(values)


@settings(max_examples=100, deadline=None)
@given(
    items=st.lists(st.tuples(st.integers(0, 50).map(float), st.integers(1, 5)), min_size=1, max_size=20),
    name=st.sampled_from(EXT_NAMES + ["Sum", "Average", "SampleCount"]),
)
def test_integral_counts_equal_repeated_values(items: list[tuple[float, int]], name: str) -> None:
    weighted = stats.compute_statistics([v for v, _ in items], [name], counts=[float(c) for _, c in items])
    repeated = stats.compute_statistics([v for v, c in items for _ in range(c)], [name])
    assert weighted.keys() == repeated.keys()
    for k in weighted:
        assert weighted[k] == pytest.approx(repeated[k], rel=1e-9, abs=1e-9)


def test_negative_values_disable_extended_statistics() -> None:
    got = stats.compute_statistics([-1.0, 2.0, 3.0], ["p50", "TM(:50)", "PR(:5)", "Minimum"])
    assert got == {"Minimum": -1.0}


# ------------------------------------------------------------------------------------------- aggregation

points_st = st.lists(
    st.tuples(
        st.integers(0, 1199).map(float),
        st.integers(0, 100).map(float),
        st.sampled_from([1.0, 1.0, 1.0, 2.0, 0.5]),
    ),
    max_size=80,
)


@settings(max_examples=100, deadline=None)
@given(points=points_st, period=st.sampled_from([1, 60, 300, 7]), start=st.integers(0, 100).map(float))
def test_aggregate_equals_naive_grouping(
    points: list[tuple[float, float, float]], period: int, start: float
) -> None:
    names = ["SampleCount", "Sum", "Average", "Minimum", "Maximum", "p50", "p99", "TM(10%:90%)", "PR(:50)"]
    end = 1000.0
    got = stats.aggregate(points, start, end, period, names, unit="Count")
    groups: dict[int, list[tuple[float, float]]] = {}
    for ts, v, c in points:
        if start <= ts < end:
            groups.setdefault(int((ts - start) // period), []).append((v, c))
    assert [d["Timestamp"] for d in got] == [start + k * period for k in sorted(groups)]
    for dp, k in zip(got, sorted(groups), strict=True):
        vals = [v for v, _ in groups[k]]
        want = stats.compute_statistics(vals, names, counts=[c for _, c in groups[k]])
        assert dp["Unit"] == "Count"
        for name in names[:5]:
            assert dp[name] == pytest.approx(want[name])
        assert dp["ExtendedStatistics"].keys() == {n for n in names[5:] if n in want}
        for name, value in dp["ExtendedStatistics"].items():
            assert value == pytest.approx(want[name])


def test_aggregate_unordered_input_and_stat_sets() -> None:
    pts = [(130.0, 5.0, 1.0), (10.0, 1.0, 1.0), (70.0, 2.0, 1.0), (15.0, 3.0, 1.0)]
    sets = [(20.0, 2.0, 8.0, 4.0, 4.0), (75.0, 3.0, 6.0, 1.0, 3.0)]
    got = stats.aggregate(pts, 0.0, 180.0, 60, ["SampleCount", "Sum", "p50"], stat_sets=sets)
    assert got == [
        {"Timestamp": 0.0, "SampleCount": 4.0, "Sum": 12.0, "ExtendedStatistics": {"p50": 3.0}},
        {"Timestamp": 60.0, "SampleCount": 4.0, "Sum": 8.0, "ExtendedStatistics": {}},
        {"Timestamp": 120.0, "SampleCount": 1.0, "Sum": 5.0, "ExtendedStatistics": {"p50": 5.0}},
    ]


def test_aggregate_basic_only_has_no_extended_key_and_skips_out_of_range() -> None:
    got = stats.aggregate(
        [(-1.0, 9.0, 1.0), (0.0, 1.0, 1.0), (60.0, 9.0, 1.0), (5.0, 7.0, 0.0)], 0.0, 60.0, 60, ["Sum"]
    )
    assert got == [{"Timestamp": 0.0, "Sum": 1.0}]


def test_aggregate_performance_smoke() -> None:
    rng = random.Random(7)
    n = 300_000
    pts = [(i * 0.6, rng.random() * 100, 1.0) for i in range(n)]
    t0 = time.perf_counter()
    out = stats.aggregate(pts, 0.0, n * 0.6, 60, ["Sum", "Average", "Minimum", "Maximum", "p99"])
    elapsed = time.perf_counter() - t0
    assert len(out) == 3000 and sum(d["Sum"] for d in out) == pytest.approx(sum(p[1] for p in pts))
    assert elapsed < 3.0  # ~0.1 s expected; generous bound for slow CI machines


# ------------------------------------------------------------------------------------------- time rules

DAY = 86400.0
T0 = 1_717_200_000.0  # 2024-06-01T00:00:00Z


def test_round_start_time_tiers_and_subminute() -> None:
    start = T0 + 12 * 3600 + 32 * 60 + 34
    assert stats.round_start_time(start, start + 1 * DAY) == T0 + 12 * 3600 + 32 * 60
    assert stats.round_start_time(start, start + 15 * DAY) == T0 + 12 * 3600 + 30 * 60
    assert stats.round_start_time(start, start + 63 * DAY) == T0 + 12 * 3600
    assert stats.round_start_time(start, start + 60, period=20) == T0 + 12 * 3600 + 32 * 60 + 20
    assert stats.round_start_time(start + 0.5, start + 60, period=1) == start


def test_query_granularity_and_periods() -> None:
    assert stats.query_granularity(T0 - 3 * 3600, T0) == 1
    assert stats.query_granularity(T0 - 3 * 3600 - 1, T0) == 60
    assert stats.query_granularity(T0 - 15 * DAY, T0) == 300
    assert stats.query_granularity(T0 - 63 * DAY, T0) == 3600
    assert stats.is_valid_storage_period(60, 60) and not stats.is_valid_storage_period(30, 60)
    assert stats.is_valid_storage_period(30, 1) and not stats.is_valid_storage_period(45, 1)
    assert not stats.is_valid_storage_period(0) and not stats.is_valid_storage_period(-60)
    assert not stats.period_allowed_for_start(60, T0 - 20 * DAY, T0)
    assert stats.period_allowed_for_start(3600, T0 - 100 * DAY, T0)


def test_bucket_starts_and_limit() -> None:
    assert stats.bucket_starts(0.0, 0.0, 60) == []
    assert stats.bucket_starts(0.0, 61.0, 60) == [0.0, 60.0]
    assert stats.check_datapoint_limit(0.0, 1440 * 60.0, 60) == 1440
    with pytest.raises(CloudWatchError, match="up to 1,441 datapoints"):
        stats.check_datapoint_limit(0.0, 1440 * 60.0 + 1, 60)


def test_retention_schedule() -> None:
    assert stats.finest_resolution_for_age(60, storage_resolution=1) == 1
    assert stats.finest_resolution_for_age(60) == 60
    assert stats.finest_resolution_for_age(3 * 3600, storage_resolution=1) == 60
    assert stats.finest_resolution_for_age(15 * DAY) == 300
    assert stats.finest_resolution_for_age(63 * DAY) == 3600
    assert stats.finest_resolution_for_age(455 * DAY) is None
    assert stats.is_expired(455 * DAY) and not stats.is_expired(454 * DAY)
    assert stats.rollup_timestamp(T0 + 299, 300) == T0 and stats.rollup_timestamp(T0 + 3599, 3600) == T0


def test_low_sample_edges() -> None:
    assert stats.low_sample_threshold(100) is None and stats.low_sample_threshold(0) is None
    assert stats.low_sample_threshold("50") == 20.0
    assert stats.is_low_sample(99, 999) and not stats.is_low_sample(100, 1)


# ------------------------------------------------------------------------------------------- PutMetricData

NOW = 1_700_000_000.0


def _put(**datum: object) -> list[dict[str, object]]:
    return validate_put_metric_data(
        {"Namespace": "App/Web", "MetricData": [{"MetricName": "Latency", **datum}]}, NOW
    )


def test_put_metric_data_normalises() -> None:
    (d,) = _put(
        Value=3, Dimensions=[{"Name": "b", "Value": "2"}, {"Name": "a", "Value": "1"}], Unit="Milliseconds"
    )
    assert d == {
        "MetricName": "Latency", "Dimensions": (("a", "1"), ("b", "2")), "Timestamp": NOW, "Unit": "Milliseconds",
        "StorageResolution": 60, "Values": [3.0], "Counts": [1.0], "Namespace": "App/Web",
    }  # fmt: skip
    (d,) = _put(Values=[1, 2], Counts=[3, 0.5], StorageResolution=1, Timestamp=NOW - 13 * 86400)
    assert d["Counts"] == [3.0, 0.5] and d["StorageResolution"] == 1 and d["Unit"] == "None"
    (d,) = _put(StatisticValues={"SampleCount": 2, "Sum": 3, "Minimum": 1, "Maximum": 2})
    assert d["StatisticValues"] == {"SampleCount": 2.0, "Sum": 3.0, "Minimum": 1.0, "Maximum": 2.0}
    from datetime import UTC, datetime

    (d,) = _put(Value=1, Timestamp=datetime.fromtimestamp(NOW + 7200, UTC))
    assert d["Timestamp"] == NOW + 7200


@pytest.mark.parametrize(
    ("datum", "code", "message"),
    [
        ({"Value": 1, "Values": [1], "StatisticValues": {}}, "InvalidParameterValue", "mutually exclusive"),
        ({"Values": [1], "StatisticValues": {"SampleCount": 1, "Sum": 1, "Minimum": 1, "Maximum": 1}},
         "InvalidParameterCombination", "Values and MetricData.member.1.StatisticValues are mutually exclusive"),
        ({"Value": 1, "Counts": [1]}, "InvalidParameterCombination", "Counts requires"),
        ({}, "MissingParameter", "Value, MetricData.member.1.Values or MetricData.member.1.StatisticValues"),
        ({"StatisticValues": {"SampleCount": 1, "Minimum": 1, "Maximum": 1}}, "MissingParameter",
         'Missing required parameter in MetricData[0].StatisticValues: "Sum"'),
        ({"StatisticValues": {"SampleCount": 0, "Sum": 0, "Minimum": 1, "Maximum": 1}}, "InvalidParameterValue",
         "The value 0.0 for parameter MetricData.member.1.StatisticValues.SampleCount is invalid."),
        ({"StatisticValues": {"SampleCount": 2, "Sum": 3, "Minimum": 2, "Maximum": 1}}, "InvalidParameterValue",
         "must be greater than or equal to"),
        ({"StatisticValues": {"SampleCount": 2, "Sum": 9, "Minimum": 1, "Maximum": 2}}, "InvalidParameterValue",
         "Sum must be between"),
        ({"Values": [1.0, float("inf")]}, "InvalidParameterValue",
         "The value Infinity for parameter MetricData.member.1.Values.member.2 is invalid."),
        ({"Values": [1.0], "Counts": [-1]}, "InvalidParameterValue", "Counts.member.1 is invalid"),
        ({"Values": list(range(151))}, "InvalidParameterValue", "Values must not have a size greater than 150"),
        ({"Value": -(2.0**361)}, "InvalidParameterValue", "Value is invalid"),
        ({"Value": True}, "InvalidParameterValue", "Value is invalid"),
        ({"Value": 1, "Unit": "Furlongs"}, "InvalidParameterValue", "The value Furlongs for parameter"),
        ({"Value": 1, "StorageResolution": 30}, "InvalidParameterValue", "StorageResolution is invalid"),
        ({"Value": 1, "Dimensions": [{"Name": "a", "Value": "1"}, {"Name": "a", "Value": "2"}]},
         "InvalidParameterValue", "duplicate name a"),
        ({"Value": 1, "Dimensions": [{"Name": ":a", "Value": "1"}]}, "InvalidParameterValue", "Name is invalid"),
        ({"Value": 1, "Dimensions": [{"Name": "a", "Value": " "}]}, "InvalidParameterValue", "Value is invalid"),
        ({"Value": 1, "Dimensions": [{"Name": "a", "Value": "x" * 1025}]}, "InvalidParameterValue", "invalid"),
        ({"Value": 1, "Dimensions": [{"Name": "a"}]}, "MissingParameter", "Dimensions.member.1.Value is required"),
        ({"Value": 1, "Timestamp": NOW + 7201}, "InvalidParameterValue", "two hours in the future"),
    ],
)  # fmt: skip
def test_put_metric_data_errors(datum: dict[str, object], code: str, message: str) -> None:
    with pytest.raises(CloudWatchError) as info:
        _put(**datum)
    assert info.value.code == code
    assert message in info.value.message


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"MetricData": [{"MetricName": "x", "Value": 1}]}, "The parameter Namespace is required."),
        ({"Namespace": ":x", "MetricData": [{"MetricName": "x", "Value": 1}]}, "parameter Namespace is invalid"),
        ({"Namespace": "n" * 256, "MetricData": [{"MetricName": "x", "Value": 1}]}, "Namespace is invalid"),
        ({"Namespace": "x"}, "The parameter MetricData is required."),
        ({"Namespace": "x", "MetricData": [{"Value": 1}]}, "MetricData.member.1.MetricName is required"),
        ({"Namespace": "x", "MetricData": [{"MetricName": "m" * 256, "Value": 1}]}, "MetricName is invalid"),
        ({"Namespace": "x", "EntityMetricData": [{}, {}, {}]}, "EntityMetricData must not have a size"),
        ({"Namespace": "x", "MetricData": [{"MetricName": "x", "Value": 1}] * 999,
          "EntityMetricData": [{"MetricData": [{"MetricName": "y", "Value": 1}] * 2}]},
         "MetricData must not have a size greater than 1000"),
        ({"Namespace": "x", "EntityMetricData": [{"MetricData": [{"MetricName": "y", "Value": "NaN"}]}]},
         "EntityMetricData.member.1.MetricData.member.1.Value is invalid"),
    ],
)  # fmt: skip
def test_put_metric_data_request_errors(request_: dict[str, object], message: str) -> None:
    with pytest.raises(CloudWatchError) as info:
        validate_put_metric_data(request_, NOW)
    assert message in info.value.message
