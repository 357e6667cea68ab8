"""Anomaly detection: the local band model, detectors, ANOMALY_DETECTION_BAND in GetMetricData and band alarms."""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import Cli

T0 = datetime(2026, 11, 1, tzinfo=UTC).timestamp()


def seasonal(t: float, rng: random.Random) -> float:
    """Daily sine (100 +- 50) plus an hourly ripple and noise: what a web service's request rate looks like."""
    day = 50 * math.sin(2 * math.pi * (t % 86400) / 86400)
    hour = 5 * math.sin(2 * math.pi * (t % 3600) / 3600)
    return 100 + day + hour + rng.gauss(0, 2)


def history(days: int, period: int = 300, seed: int = 1) -> dict[float, float]:
    rng = random.Random(seed)
    return {T0 + i * period: seasonal(T0 + i * period, rng) for i in range(days * 86400 // period)}


def test_band_follows_daily_seasonality_and_excludes_spikes() -> None:
    from awsmon.engines.anomaly import anomaly_band

    hist = history(15)
    end = T0 + 15 * 86400
    grid = [end + i * 300 for i in range(288)]  # the next day
    rng = random.Random(7)
    actual = [seasonal(t, rng) for t in grid]
    upper, lower = anomaly_band(hist, grid, 2)
    assert all(u is not None and lo is not None for u, lo in zip(upper, lower, strict=True))
    inside = sum(1 for v, u, lo in zip(actual, upper, lower, strict=True) if lo <= v <= u)  # type: ignore[operator]
    assert inside / len(grid) > 0.9  # normal seasonal variation (a 100-unit daily swing) stays inside
    widths = [u - lo for u, lo in zip(upper, lower, strict=True)]  # type: ignore[operator]
    assert max(widths) < 40  # far narrower than the daily swing: the band moves with the season
    spike = [v + 60 for v in actual]
    assert all(v > u for v, u in zip(spike, upper, strict=True))  # type: ignore[operator]
    wider, _ = anomaly_band(hist, grid, 4)
    assert all(w > u for w, u in zip(wider, upper, strict=True))  # type: ignore[operator]


def test_band_needs_training_data_and_honours_excluded_ranges() -> None:
    from awsmon.engines.anomaly import anomaly_band

    assert anomaly_band({}, [T0], 2) == ([None], [None])
    hist = history(8)
    end = T0 + 8 * 86400
    # A five-day incident made every value 1000 (more than the robust median absorbs); excluded, it is ignored.
    bad = (T0 + 86400, T0 + 6 * 86400)
    polluted = {t: (1000.0 if bad[0] <= t < bad[1] else v) for t, v in hist.items()}
    clean_u, _ = anomaly_band(hist, [end], 2)
    excl_u, _ = anomaly_band(polluted, [end], 2, excluded=[bad])
    dirty_u, _ = anomaly_band(polluted, [end], 2)
    assert clean_u[0] is not None and excl_u[0] is not None and dirty_u[0] is not None
    assert abs(excl_u[0] - clean_u[0]) < 10 < dirty_u[0] - clean_u[0]


def test_band_falls_back_to_hourly_seasonality_with_less_than_three_days() -> None:
    from awsmon.engines.anomaly import anomaly_band

    rng = random.Random(3)
    hist = {T0 + i * 60: 10 + 8 * math.sin(2 * math.pi * (i % 60) / 60) + rng.gauss(0, 0.2) for i in range(12 * 60)}
    t = T0 + 12 * 3600 + 15 * 60  # a ripple peak (sin = 1)
    upper, lower = anomaly_band(hist, [t], 2)
    assert lower[0] is not None and upper[0] is not None and lower[0] < 18 < upper[0] and lower[0] > 15


def _store_history(ctx: Any, days: int, extra: dict[float, float] | None = None) -> None:
    from awsmon.backends.local.cloudwatch_metrics import store_series

    store = ctx.store()
    pts = sorted({**history(days), **(extra or {})}.items())
    with store.transaction():
        store_series(store, "us-east-1", "Web", "Requests", {"Service": "api"}, pts)


def _queries(k: int = 2) -> list[dict[str, Any]]:
    return [{"Id": "m1", "MetricStat": {"Metric": {"Namespace": "Web", "MetricName": "Requests",
                                                   "Dimensions": [{"Name": "Service", "Value": "api"}]},
                                        "Period": 300, "Stat": "Average"}, "ReturnData": True},
            {"Id": "ad1", "Expression": f"ANOMALY_DETECTION_BAND(m1, {k})", "ReturnData": True}]  # fmt: skip


def test_get_metric_data_returns_upper_and_lower(ctx: Any) -> None:
    store = ctx.store()
    store.set_clock(datetime.fromtimestamp(T0 + 15 * 86400, UTC))
    _store_history(ctx, 15)
    cw = ctx.client("cloudwatch")
    end = datetime.fromtimestamp(T0 + 15 * 86400, UTC)
    res = cw.get_metric_data(MetricDataQueries=_queries(), StartTime=end - timedelta(hours=6), EndTime=end,
                             ScanBy="TimestampAscending")["MetricDataResults"]  # fmt: skip
    assert [(r["Id"], r["Label"]) for r in res] == [("m1", "Requests"), ("ad1", "ad1 Upper"), ("ad1", "ad1 Lower")]
    m1, up, lo = res
    assert len(up["Values"]) == len(lo["Values"]) == 72 == len(m1["Values"])
    inside = [lo_v < v < up_v for v, up_v, lo_v in zip(m1["Values"], up["Values"], lo["Values"], strict=True)]
    assert sum(inside) >= 0.9 * len(inside)


def _band_alarm(cw: Any, op: str = "LessThanLowerOrGreaterThanUpperThreshold") -> None:
    cw.put_metric_alarm(AlarmName="traffic", Metrics=_queries(), ThresholdMetricId="ad1", EvaluationPeriods=3,
                        DatapointsToAlarm=2, ComparisonOperator=op, TreatMissingData="notBreaching")  # fmt: skip


def test_spike_outside_the_band_raises_the_alarm_seasonal_variation_does_not(ctx: Any) -> None:
    from awsmon.backends.local.cloudwatch_metrics import store_series

    store = ctx.store()
    start = T0 + 15 * 86400
    store.set_clock(datetime.fromtimestamp(start, UTC))
    _store_history(ctx, 15)
    cw = ctx.client("cloudwatch")
    _band_alarm(cw)
    rng = random.Random(11)
    # Twelve hours of normal traffic (the daily swing from the trough to the crest): the alarm stays OK.
    with store.transaction():
        store_series(store, "us-east-1", "Web", "Requests", {"Service": "api"},
                     [(start + i * 300, seasonal(start + i * 300, rng)) for i in range(144)])  # fmt: skip
    store.advance_clock(timedelta(hours=12))
    ctx.run_catch_up()
    alarm = cw.describe_alarms(AlarmNames=["traffic"])["MetricAlarms"][0]
    assert alarm["StateValue"] == "OK" and alarm["ThresholdMetricId"] == "ad1" and "Threshold" not in alarm
    # A spike: three 5-minute buckets 80 above the season.
    t = start + 12 * 3600
    with store.transaction():
        store_series(store, "us-east-1", "Web", "Requests", {"Service": "api"},
                     [(t + i * 300, seasonal(t + i * 300, rng) + 80) for i in range(3)])  # fmt: skip
    store.advance_clock(timedelta(minutes=16))
    ctx.run_catch_up()
    alarm = cw.describe_alarms(AlarmNames=["traffic"])["MetricAlarms"][0]
    assert alarm["StateValue"] == "ALARM"
    assert "greater than the upper thresholds" in alarm["StateReason"]
    data = json.loads(alarm["StateReasonData"])
    assert data["recentUpperThresholds"] and data["recentLowerThresholds"]


def test_cli_detectors_graph_band_and_explain(pinned: Cli, ctx: Any) -> None:
    from awsmon.backends.local.cloudwatch_metrics import store_series

    ident = ["-n", "Web", "--metric-name", "Requests", "-d", "Service=api", "--stat", "Average"]
    cfg = json.dumps({"ExcludedTimeRanges": [{"StartTime": "2026-11-10T00:00:00Z", "EndTime": "2026-11-10T06:00:00Z"}]})
    pinned.ok("metrics", "put-anomaly-detector", *ident, "--configuration", cfg)
    one = json.dumps({"Namespace": "Web", "MetricName": "Errors", "Stat": "Sum"})
    pinned.ok("metrics", "put-anomaly-detector", "--single-metric-anomaly-detector", one)
    dets = pinned.json("metrics", "describe-anomaly-detectors", "--namespace", "Web")["AnomalyDetectors"]
    assert [(d["MetricName"], d["Stat"], d["StateValue"]) for d in dets] == [
        ("Errors", "Sum", "PENDING_TRAINING"), ("Requests", "Average", "PENDING_TRAINING")]
    assert dets[1]["Configuration"]["ExcludedTimeRanges"][0]["StartTime"] == "2026-11-10T00:00:00Z"
    assert dets[1]["SingleMetricAnomalyDetector"]["Dimensions"] == [{"Name": "Service", "Value": "api"}]
    # Bad input: AWS's texts, exit 2, nothing stored.
    for args, text in (
        (["-n", "Web", "--metric-name", "X", "--stat", "Avg"], "The value Avg for parameter Stat is invalid."),
        (["-n", "Web", "--metric-name", "X"], "The parameter Stat is required."),
        (["--single-metric-anomaly-detector", one, "-n", "Web"], "cannot be specified together"),
        (["-n", "Web", "--metric-name", "X", "--stat", "Sum", "--configuration",
          '{"ExcludedTimeRanges":[{"StartTime":"2026-11-10T06:00:00Z","EndTime":"2026-11-10T00:00:00Z"}]}'],
         "must be before its EndTime"),
    ):
        res = pinned("metrics", "put-anomaly-detector", *args)
        assert res.exit_code == 2 and text in res.stderr and len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert len(pinned.json("metrics", "describe-anomaly-detectors")["AnomalyDetectors"]) == 2
    pinned.ok("metrics", "delete-anomaly-detector", "--single-metric-anomaly-detector", one)
    res = pinned("metrics", "delete-anomaly-detector", "--single-metric-anomaly-detector", one)
    assert res.exit_code == 1 and "ResourceNotFoundException" in res.stderr

    # Two weeks of history; the graph draws the detector's band without being asked.
    store = ctx.store()
    now = store.now().timestamp()
    rng = random.Random(5)
    pts = [(now - 15 * 86400 + i * 300, seasonal(now - 15 * 86400 + i * 300, rng)) for i in range(15 * 288)]
    with store.transaction():
        store_series(store, "us-east-1", "Web", "Requests", {"Service": "api"}, pts)
    store.conn.commit()
    graph = ["metrics", "graph", "-n", "Web", "--metric-name", "Requests", "-d", "Service=api", "--start", "3h",
             "--period", "300"]
    labels = [r["Label"] for r in pinned.json(*graph, "-o", "json")["MetricDataResults"]]
    assert labels == ["Requests Average", "Requests band Upper", "Requests band Lower"]
    wide = pinned.json(*graph, "--anomaly-band", "6", "-o", "json")["MetricDataResults"]
    narrow = pinned.json(*graph, "-o", "json")["MetricDataResults"]
    assert all(w > n for w, n in zip(wide[1]["Values"], narrow[1]["Values"], strict=True))
    chart = pinned.ok(*graph, "--style", "line")
    assert "Requests band Upper" in chart.stdout
    assert pinned("metrics", "graph", "-n", "Web", "--metric-name", "Requests", "--anomaly-band", "0").exit_code == 2

    # An anomaly alarm: explain shows the band each datapoint was compared with.
    alarm_metrics = json.dumps(_queries(3))
    pinned.ok("alarms", "put", "--alarm-name", "band", "--metrics", alarm_metrics, "--threshold-metric-id", "ad1",
              "--evaluation-periods", "2", "--comparison-operator", "GreaterThanUpperThreshold")  # fmt: skip
    pinned.ok("account", "clock", "advance", "2m")
    view = pinned.json("alarms", "explain", "band")
    assert "above the band ANOMALY_DETECTION_BAND(m1, 3)" in view["Condition"]
    assert view["StateValue"] == "OK"
    assert all(p["Lower"] < p["Upper"] for p in view["Datapoints"] if p["Lower"] is not None)
    assert any(p["Lower"] is not None for p in view["Datapoints"])
