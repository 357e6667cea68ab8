"""The local metric store: internal entry points, retention and roll-up by the simulated clock, engine agreement."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from awsmon.backends.local.cloudwatch_metrics import (
    EXACT_LIMIT,
    query_metric_data,
    query_statistics,
    store_datapoints,
)
from awsmon.engines.stats import aggregate
from awsmon.errors import ServiceError

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
REGION = "us-east-1"
DIMS = {"Service": "checkout"}


@pytest.fixture
def store(ctx: Any) -> Any:
    s = ctx.store()
    s.set_clock(T0)
    return s


def put(store: Any, when: datetime, values: list[float], name: str = "Lat", **kw: Any) -> None:
    with store.transaction():
        store_datapoints(store, REGION, "App", name, DIMS, when, values, **kw)


def stats(store: Any, start: datetime, end: datetime, period: int, basic: list[str] | None = None,
          ext: list[str] | None = None, name: str = "Lat") -> list[dict[str, Any]]:  # fmt: skip
    return query_statistics(store, REGION, "App", name, DIMS, start, end, period, basic or [], ext)


def advance(ctx: Any, store: Any, delta: timedelta) -> int:
    store.advance_clock(delta)
    return ctx.run_catch_up()


def same(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> bool:
    """Datapoints equal up to floating-point summation order."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if x.keys() != y.keys():
            return False
        for k in x:
            if isinstance(x[k], float):
                if not math.isclose(x[k], y[k], rel_tol=1e-12):
                    return False
            elif x[k] != y[k]:
                return False
    return True


def res_counts(store: Any) -> dict[int, int]:
    return dict(store.conn.execute("SELECT res, COUNT(*) FROM metric_data GROUP BY res").fetchall())


def test_internal_api_roundtrip_and_units(store: Any) -> None:
    put(store, T0 - timedelta(minutes=3), [1, 2, 3], unit="Count")
    put(store, T0 - timedelta(minutes=3), [10], counts=[4], unit="Count")
    put(store, T0 - timedelta(minutes=3), [], statistic_values={"SampleCount": 2, "Sum": 8, "Minimum": 4, "Maximum": 4})
    dps = stats(store, T0 - timedelta(hours=1), T0, 60, ["SampleCount", "Sum", "Maximum"])
    assert [(d["Unit"], d["SampleCount"], d["Sum"], d["Maximum"]) for d in dps] == [
        ("Count", 7.0, 46.0, 10.0), ("None", 2.0, 8.0, 4.0)]  # fmt: skip
    ext = stats(store, T0 - timedelta(hours=1), T0, 60, ext=["p50", "p100"])
    assert [d["ExtendedStatistics"] for d in ext] == [{"p50": 10.0, "p100": 10.0}, {"p50": 4.0, "p100": 4.0}]
    q = [{"Id": "m", "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "Lat",
                                               "Dimensions": [{"Name": "Service", "Value": "checkout"}]},
                                    "Period": 60, "Stat": "Sum"}},
         {"Id": "e", "Expression": "m / 2"}]  # fmt: skip
    res = query_metric_data(store, REGION, q, T0 - timedelta(hours=1), T0)
    assert [(r["Id"], r["Values"]) for r in res] == [("m", [54.0]), ("e", [27.0])]
    assert res[0]["Timestamps"] == [T0 - timedelta(minutes=3)]
    # no CloudTrail record for internal calls
    assert store.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 0


def test_query_errors_use_aws_texts(store: Any) -> None:
    with pytest.raises(ServiceError) as err:
        stats(store, T0 - timedelta(days=2), T0, 60, ["Sum"])
    assert err.value.code == "InvalidParameterCombination"
    assert str(err.value.message).startswith("You have requested up to 2,880 datapoints, which exceeds the limit of 1,440.")
    with pytest.raises(ServiceError) as err:
        stats(store, T0 - timedelta(hours=1), T0, 60, ext=["tm"])
    assert err.value.message == "The value tm for parameter ExtendedStatistics.member.1 is invalid."
    with pytest.raises(ServiceError) as err:
        stats(store, T0 - timedelta(hours=1), T0, 60)
    assert err.value.code == "InvalidParameterCombination"


def test_rollup_tiers_keep_answers_and_cost_is_per_data(ctx: Any, store: Any) -> None:
    rnd = random.Random(7)
    # two hours of high-resolution data, 5 values per second-slot every 10 s
    start = T0 - timedelta(hours=2)
    values: list[float] = []
    for k in range(720):
        vs = [round(rnd.uniform(1, 100), 3) for _ in range(5)]
        values.extend(vs)
        put(store, start + timedelta(seconds=10 * k), vs, storage_resolution=1)
    total = math.fsum(values)
    hour_start = T0 - timedelta(hours=2)

    def hourly(now_start: datetime, period: int) -> list[dict[str, Any]]:
        return stats(store, now_start, T0, period, ["SampleCount", "Sum", "Minimum", "Maximum"])

    before = hourly(hour_start, 3600)
    p_before = stats(store, hour_start, T0, 3600, ext=["p50", "p99"])
    assert sum(d["SampleCount"] for d in before) == 3600 and math.isclose(sum(d["Sum"] for d in before), total)
    assert res_counts(store) == {1: 720}
    # +4 h: sub-minute slots become 1-minute slots (only 120 of them); answers unchanged
    runs = advance(ctx, store, timedelta(hours=4))
    assert runs >= 1 and res_counts(store) == {60: 120}
    assert same(hourly(hour_start, 3600), before)
    assert stats(store, hour_start, T0, 3600, ext=["p50", "p99"]) == p_before  # exact values are kept
    # sub-minute period for a start older than 3 h: no datapoints (not an error)
    assert stats(store, hour_start, hour_start + timedelta(minutes=10), 10, ["Sum"]) == []
    # +16 days: 5-minute slots
    advance(ctx, store, timedelta(days=16))
    assert res_counts(store) == {300: 24}
    assert same(hourly(hour_start, 3600), before)
    assert stats(store, hour_start, T0, 60, ["Sum"]) == []  # 1-minute period no longer answers at this age
    # +64 days: hourly slots; a year later still there; after 455 days gone, metric expired
    runs = advance(ctx, store, timedelta(days=64))
    assert runs <= 3 and res_counts(store) == {3600: 2}
    after = hourly(hour_start, 3600)
    assert [(d["SampleCount"], d["Minimum"], d["Maximum"]) for d in after] == [
        (d["SampleCount"], d["Minimum"], d["Maximum"]) for d in before]  # fmt: skip
    assert math.isclose(sum(d["Sum"] for d in after), total)
    runs = advance(ctx, store, timedelta(days=380))
    assert runs <= 2 and res_counts(store) == {}
    assert store.conn.execute("SELECT COUNT(*) FROM metrics").fetchone()[0] == 0
    assert store.conn.execute("SELECT COUNT(*) FROM jobs WHERE kind = 'metrics.rollup'").fetchone()[0] == 0


def test_rollup_percentiles_quantised_within_bound(ctx: Any, store: Any) -> None:
    rnd = random.Random(3)
    values = [round(rnd.lognormvariate(4, 1), 6) for _ in range(EXACT_LIMIT * 3)]
    base = T0 - timedelta(days=1)
    for i in range(0, len(values), 150):
        put(store, base + timedelta(minutes=i // 150 % 5), values[i : i + 150])
    exact = stats(store, base, base + timedelta(minutes=5), 300, ext=["p50", "p99", "p99.9"])[0]["ExtendedStatistics"]
    advance(ctx, store, timedelta(days=15))
    rolled = stats(store, base, base + timedelta(minutes=5), 300, ext=["p50", "p99", "p99.9"])[0]["ExtendedStatistics"]
    assert res_counts(store) == {300: 1}
    for k, v in exact.items():
        assert abs(rolled[k] - v) / v <= 0.0051, k


def test_late_data_reschedules_rollup(ctx: Any, store: Any) -> None:
    put(store, T0, [1.0])
    advance(ctx, store, timedelta(days=1))
    put(store, T0 + timedelta(days=1) - timedelta(days=13), [2.0])  # two weeks back is accepted
    advance(ctx, store, timedelta(days=3))
    assert res_counts(store) == {300: 1, 60: 1}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    points=st.lists(
        st.tuples(st.integers(0, 3 * 3600 - 1), st.floats(0, 1e6, allow_nan=False), st.sampled_from([1.0, 1.0, 2.0, 0.5])),
        min_size=1, max_size=60,
    ),
    period=st.sampled_from([60, 300, 600, 3600]),
    offset=st.integers(0, 3599),
)  # fmt: skip
def test_matches_stats_engine(store: Any, points: list[tuple[int, float, float]], period: int, offset: int) -> None:
    store.conn.execute("DELETE FROM metric_data")
    base = T0 - timedelta(hours=5)
    for sec, v, c in points:
        put(store, base + timedelta(seconds=sec), [v], counts=[c])
    start = base - timedelta(seconds=offset)
    end = T0
    names = ["SampleCount", "Sum", "Minimum", "Maximum", "Average"]
    got = stats(store, start, end, period, names)
    ext = stats(store, start, end, period, ext=["p50", "p99", "TM(10%:90%)", "PR(:500000)"])
    s0 = math.floor(start.timestamp() / 60) * 60
    minute = [(math.floor((base.timestamp() + sec) / 60) * 60, v, c) for sec, v, c in points]
    minute.sort()
    want = aggregate(minute, s0, end.timestamp(), period, names)
    want_ext = aggregate(minute, s0, end.timestamp(), period, ["p50", "p99", "TM(10%:90%)", "PR(:500000)"])
    assert [d["Timestamp"].timestamp() for d in got] == [w["Timestamp"] for w in want]
    for g, w in zip(got, want, strict=True):
        for n in names:
            assert g[n] == pytest.approx(w[n], rel=1e-9, abs=1e-9)
    for g, w in zip(ext, want_ext, strict=True):
        assert g["ExtendedStatistics"].keys() == w["ExtendedStatistics"].keys()
        for k, v in w["ExtendedStatistics"].items():
            assert g["ExtendedStatistics"][k] == pytest.approx(v, rel=1e-9, abs=1e-9)


def test_get_metric_data_pages_by_max_datapoints(ctx: Any, store: Any) -> None:
    for k in range(5):
        put(store, T0 - timedelta(minutes=10 - k), [float(k)])
        put(store, T0 - timedelta(minutes=10 - k), [float(k * 10)], name="Other")
    metric = {"Namespace": "App", "Dimensions": [{"Name": "Service", "Value": "checkout"}]}
    queries = [{"Id": i, "MetricStat": {"Metric": {**metric, "MetricName": n}, "Period": 60, "Stat": "Sum"}}
               for i, n in (("a", "Lat"), ("z", "Missing"), ("b", "Other"))]  # fmt: skip
    cw = ctx.client("cloudwatch")
    pages, token = [], None
    while True:
        extra = {"NextToken": token} if token else {}
        resp = cw.get_metric_data(MetricDataQueries=queries, StartTime=T0 - timedelta(hours=1), EndTime=T0,
                                  ScanBy="TimestampAscending", MaxDatapoints=3, **extra)  # fmt: skip
        pages.append([(r["Id"], r["Values"], r["StatusCode"]) for r in resp["MetricDataResults"]])
        token = resp.get("NextToken")
        if not token:
            break
    assert pages == [
        [("a", [0.0, 1.0, 2.0], "PartialData")],
        [("a", [3.0, 4.0], "Complete"), ("z", [], "Complete"), ("b", [0.0], "PartialData")],
        [("b", [10.0, 20.0, 30.0], "PartialData")],
        [("b", [40.0], "Complete")],
    ]
    from awsmon.services.metrics import get_metric_data

    merged = get_metric_data(ctx, queries=queries, start="1h", end="now")
    assert [(r["Id"], len(r["Values"]), r["StatusCode"]) for r in merged["MetricDataResults"]] == [
        ("a", 5, "Complete"), ("z", 0, "Complete"), ("b", 5, "Complete")]  # fmt: skip


def test_as_of_applies_age_rules_from_a_past_instant(ctx: Any, store: Any) -> None:
    for sec in (0, 10, 20):
        put(store, T0 - timedelta(minutes=1) + timedelta(seconds=sec), [1.0], storage_resolution=1)
    advance(ctx, store, timedelta(hours=1))
    start, end = T0 - timedelta(minutes=1), T0
    assert len(stats(store, start, end, 10, ["Sum"])) == 3
    store.advance_clock(timedelta(hours=3))  # without catch-up: raw 1-second slots are still there
    assert stats(store, start, end, 10, ["Sum"]) == []  # a 10 s period for a start > 3 h ago: no datapoints
    replay = query_statistics(store, REGION, "App", "Lat", DIMS, start, end, 10, ["Sum"], as_of=T0)
    assert [d["Sum"] for d in replay] == [1.0, 1.0, 1.0]
    q = [{"Id": "m", "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "Lat",
                                               "Dimensions": [{"Name": "Service", "Value": "checkout"}]},
                                    "Period": 10, "Stat": "SampleCount"}}]  # fmt: skip
    assert query_metric_data(store, REGION, q, start, end, as_of=T0)[0]["Values"] == [1.0, 1.0, 1.0]


def test_extended_statistics_same_with_and_without_numpy(store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """numpy sorts a period's values when installed; the pure-Python path must give identical answers."""
    from awsmon.backends.local import cloudwatch_metrics

    pytest.importorskip("numpy", reason="numpy has no wheel here: only the pure-Python path exists")
    rnd = random.Random(5)
    for minute in range(30):
        for _ in range(rnd.randint(1, 4)):  # several datums per minute: blobs joined per bucket
            put(store, T0 - timedelta(minutes=minute), [rnd.lognormvariate(3, 1) for _ in range(rnd.randint(1, 150))])
    ext = ["p99", "p50", "p0.1", "TM(10%:90%)", "WM(5%:95%)", "TC(:50%)", "TS(25%:)", "IQM", "PR(:20)"]
    window = (T0 - timedelta(hours=1), T0 + timedelta(minutes=1))
    with_numpy = stats(store, *window, 60, ext=ext)
    monkeypatch.setattr(cloudwatch_metrics, "_numpy", lambda: None)
    without = stats(store, *window, 60, ext=ext)
    assert len(with_numpy) == 30 and with_numpy == without


def test_percentile_only_fast_path_equals_the_general_path(store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Percentile-only queries sort each bucket's slice of one array in place; the answers equal the pure-Python
    path's, with buckets of several datums, buckets holding weighted datums (general path) and both in one bucket."""
    from awsmon.backends.local import cloudwatch_metrics

    pytest.importorskip("numpy", reason="numpy has no wheel here: only the pure-Python path exists")
    rnd = random.Random(11)
    for minute in range(40):
        when = T0 - timedelta(minutes=minute)
        for _ in range(rnd.randint(1, 3)):
            put(store, when, [rnd.lognormvariate(3, 1) for _ in range(rnd.randint(1, 150))])
        if minute % 7 == 0:  # a weighted datum in the same bucket: that bucket takes the general path
            put(store, when, [rnd.uniform(0, 50), rnd.uniform(0, 50)], counts=[3.0, 0.5])
    ext = ["p99", "p50", "p0.1", "p100"]
    window = (T0 - timedelta(hours=1), T0 + timedelta(minutes=1))
    fast = stats(store, *window, 60, ext=ext)
    monkeypatch.setattr(cloudwatch_metrics, "_numpy", lambda: None)
    general = stats(store, *window, 60, ext=ext)
    assert len(fast) == 40 and all(d["ExtendedStatistics"].keys() == set(ext) for d in fast)
    assert fast == general


def _oracle(rows: list[tuple[str, int, list[float]]], start: int, period: int) -> dict[tuple[str, int], list[float]]:
    by: dict[tuple[str, int], list[float]] = {}
    for unit, ts, values in rows:
        by.setdefault((unit, start + (ts - start) // period * period), []).extend(values)
    return by


@pytest.mark.parametrize(("resolution", "period"), [(60, 60), (60, 300), (1, 60), (1, 10)])
def test_one_scan_statistics_match_an_oracle_and_the_basic_path(store: Any, resolution: int, period: int) -> None:
    """Slots aggregated by SQLite and added per bucket: with or without extended statistics asked beside them, the
    basic statistics are the same bits, and every statistic matches a direct computation over the raw values, for
    buckets of one slot and of many (high-resolution slots, 5-minute periods), units kept apart or together."""
    from awsmon.backends.local.cloudwatch_metrics import _buckets, _find_metric
    from awsmon.engines.stats import parse_statistic

    rnd = random.Random(resolution * 1000 + period)
    base = T0 - timedelta(minutes=50)
    rows: list[tuple[str, int, list[float]]] = []
    for _ in range(300):
        when = base + timedelta(seconds=rnd.randrange(0, 45 * 60))
        unit = rnd.choice(["Milliseconds", "Milliseconds", "Milliseconds", "Seconds"])
        values = [rnd.lognormvariate(3, 1.5) for _ in range(rnd.randint(1, 40))]
        put(store, when, values, unit=unit, storage_resolution=resolution)
        ts = int(when.timestamp())
        rows.append((unit, ts - ts % (1 if resolution == 1 else 60), values))
    mid = _find_metric(store, REGION, "App", "Lat", DIMS)
    start, end = int(base.timestamp()), T0.timestamp()
    names = ["SampleCount", "Sum", "Average", "Minimum", "Maximum"]
    basic = [parse_statistic(s) for s in names]
    both = basic + [parse_statistic(s) for s in ("p99", "p50", "p0.1")]
    for by_unit in (True, False):
        plain = _buckets(store, mid, start, end, period, basic, None, by_unit, 0)
        with_ext = _buckets(store, mid, start, end, period, both, None, by_unit, 0)
        assert [{k: d[k] for k in (*names, "Timestamp", "Unit")} for d in with_ext] == plain
        oracle = _oracle([(u if by_unit else "", ts, v) for u, ts, v in rows], start, period)
        assert len(plain) == len(oracle)
        for d in with_ext:
            values = sorted(oracle[(d["Unit"] if by_unit else "", int(d["Timestamp"].timestamp()))])
            n = len(values)
            assert d["SampleCount"] == n and d["Minimum"] == values[0] and d["Maximum"] == values[-1]
            assert math.isclose(d["Sum"], math.fsum(values), rel_tol=1e-12)
            for p in ("99", "50", "0.1"):
                rank = max(1, math.ceil(Fraction(p) * n / 100))
                assert d["ExtendedStatistics"][f"p{p}"] == values[rank - 1]
