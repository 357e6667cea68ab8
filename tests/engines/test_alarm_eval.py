"""Metric-alarm evaluation: the §3.4 rule, reasons, explain, notifications and validation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awsmon.engines import alarm_eval
from awsmon.engines.alarm_eval import decide_state, evaluate_metric_alarm
from awsmon.engines.stats import CloudWatchError

T = 1_717_200_000.0  # 2024-06-01T00:00:00Z, minute aligned


@pytest.mark.parametrize(("n", "r"), [(1, 3), (2, 4), (3, 5), (5, 7), (6, 8), (9, 12), (30, 40)])
def test_evaluation_range(n: int, r: int) -> None:
    assert alarm_eval.evaluation_range(n) == r


def test_evaluation_range_configurable() -> None:
    assert alarm_eval.evaluation_range(3, minimum_extra=0, divisor=1) == 6
    assert alarm_eval.evaluation_range(3, minimum_extra=0, divisor=10) == 3


@pytest.mark.parametrize(
    ("op", "value", "breach"),
    [
        ("GreaterThanOrEqualToThreshold", 5.0, True), ("GreaterThanOrEqualToThreshold", 4.9, False),
        ("GreaterThanThreshold", 5.0, False), ("GreaterThanThreshold", 5.1, True),
        ("LessThanThreshold", 5.0, False), ("LessThanThreshold", 4.0, True),
        ("LessThanOrEqualToThreshold", 5.0, True), ("LessThanOrEqualToThreshold", 6.0, False),
    ],
)  # fmt: skip
def test_static_operators(op: str, value: float, breach: bool) -> None:
    assert alarm_eval.breaches([value, None], op, 5.0) == [breach, None]


def test_zero_is_a_real_breaching_value() -> None:
    # LocalStack treats 0.0 as absent (truthiness); the value 0 must count.
    ev = evaluate_metric_alarm(
        [0.0],
        comparison_operator="LessThanOrEqualToThreshold",
        threshold=0,
        evaluation_periods=1,
        query_date=T,
    )
    assert ev.new_state == "ALARM"


def test_anomaly_operators() -> None:
    band = [(1.0, 3.0)] * 3
    assert alarm_eval.breaches([0.0, 2.0, 4.0], "LessThanLowerOrGreaterThanUpperThreshold", bands=band) == [
        True, False, True,
    ]  # fmt: skip
    assert alarm_eval.breaches([0.0, 2.0, 4.0], "LessThanLowerThreshold", bands=band) == [True, False, False]
    assert alarm_eval.breaches([0.0, 2.0, 4.0], "GreaterThanUpperThreshold", bands=band) == [
        False,
        False,
        True,
    ]
    with pytest.raises(CloudWatchError, match="anomaly detection band"):
        alarm_eval.breaches([1.0], "GreaterThanUpperThreshold")


def test_invalid_inputs() -> None:
    with pytest.raises(CloudWatchError, match="ComparisonOperator"):
        alarm_eval.breaches([1.0], "Bigger", 1.0)
    with pytest.raises(CloudWatchError, match="Threshold"):
        alarm_eval.breaches([1.0], "GreaterThanThreshold")
    with pytest.raises(CloudWatchError, match="TreatMissingData"):
        decide_state([True], 1, 1, "sometimes")


def test_premature_age_reading_single_breach_then_silence() -> None:
    # spec §3.4 (a): N = M = 3, missing: OK, OK, ALARM, ALARM, ALARM, then INSUFFICIENT_DATA once it leaves the range.
    states = []
    r = alarm_eval.evaluation_range(3)
    history: list[bool | None] = [True]
    for _ in range(6):
        window = ([None] * r + history)[-r:]
        states.append(decide_state(window, 3, 3, "missing").state)
        history.append(None)
    assert states == ["OK", "OK", "ALARM", "ALARM", "ALARM", "INSUFFICIENT_DATA"]


flags_st = st.lists(st.sampled_from([True, False, None]), min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(flags=st.lists(st.booleans(), min_size=1, max_size=12), data=st.data())
def test_all_present_is_independent_of_treat_missing_data(flags: list[bool], data: st.DataObject) -> None:
    n = data.draw(st.integers(1, len(flags)))
    m = data.draw(st.integers(1, n))
    results = {decide_state(flags, n, m, t).state for t in alarm_eval.TREAT_MISSING}
    assert len(results) == 1
    assert results.pop() == ("ALARM" if sum(flags[-n:]) >= m else "OK")


@settings(max_examples=300, deadline=None)
@given(flags=flags_st, data=st.data())
def test_more_breaches_never_lower_the_state(flags: list[bool | None], data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 6))
    m = data.draw(st.integers(1, n))
    before = decide_state(flags, n, m, "breaching").state
    flipped = [True if f is False else f for f in flags]
    after = decide_state(flipped, n, m, "breaching").state
    if before == "ALARM":
        assert after == "ALARM"


@settings(max_examples=300, deadline=None)
@given(flags=flags_st, data=st.data())
def test_treatment_ordering(flags: list[bool | None], data: st.DataObject) -> None:
    # breaching is the most alarming treatment and notBreaching the least.
    n = data.draw(st.integers(1, 6))
    m = data.draw(st.integers(1, n))
    rank = {"OK": 0, "INSUFFICIENT_DATA": 0, "ALARM": 1, None: None}
    b = rank[decide_state(flags, n, m, "breaching").state]
    nb = rank[decide_state(flags, n, m, "notBreaching").state]
    mi = rank[decide_state(flags, n, m, "missing").state]
    assert b is not None and nb is not None and mi is not None
    assert nb <= mi <= b


def test_reason_and_explain_for_partial_data() -> None:
    ev = evaluate_metric_alarm(
        [None, 1.0, None, 9.0, None], comparison_operator="GreaterThanThreshold", threshold=5, evaluation_periods=3,
        datapoints_to_alarm=2, treat_missing_data="breaching", query_date=T + 30, current_state="OK",
    )  # fmt: skip
    assert ev.new_state == "ALARM" and ev.changed and not ev.retained
    assert ev.reason == (
        "Threshold Crossed: 1 out of the last 3 datapoints [9.0 (31/05/24 23:58:00)] was greater than the threshold "
        "(5.0) and 1 missing datapoint was treated as [Breaching] (minimum 2 datapoints for OK -> ALARM transition)."
    )
    ex = ev.explain
    assert ex["branch"] == "filled" and ex["filled"] == 1 and ex["treated_as"] == "Breaching"
    assert [r["evaluated"] for r in ex["range"]] == [False, True, False, True, False]
    assert [r["breaching"] for r in ex["range"]] == [None, False, None, True, None]
    assert ex["range"][-1]["timestamp"] == T - 60 and "need 2" in ex["why"]
    data = json.loads(ev.reason_data_json or "")
    assert data["recentDatapoints"] == [1.0, 9.0]
    assert data["evaluatedDatapoints"][0] == {"timestamp": "2024-05-31T23:59:00.000+0000"}
    assert data["startDate"] == "2024-05-31T23:56:00.000+0000"


def test_ok_reason_lists_non_breaching_with_alarm_to_ok_minimum() -> None:
    ev = evaluate_metric_alarm(
        [1.0, 9.0, 2.0], comparison_operator="GreaterThanThreshold", threshold=5, evaluation_periods=3,
        datapoints_to_alarm=2, query_date=T, current_state="ALARM",
    )  # fmt: skip
    assert ev.new_state == "OK"
    assert ev.reason == (
        "Threshold Crossed: 2 out of the last 3 datapoints [2.0 (31/05/24 23:59:00), 1.0 (31/05/24 23:57:00)] were "
        "not greater than the threshold (5.0) (minimum 2 datapoints for ALARM -> OK transition)."
    )


def test_all_breaching_but_too_few_and_not_premature_lists_breaches() -> None:
    ev = evaluate_metric_alarm(
        [None, None, None, 9.0, 9.0], comparison_operator="GreaterThanThreshold", threshold=5, evaluation_periods=3,
        query_date=T,
    )  # fmt: skip
    assert ev.new_state == "OK" and ev.explain["branch"] == "partial-data"
    assert (
        ev.reason is not None
        and "were greater than the threshold (5.0) (minimum 3 datapoints for OK -> ALARM" in (ev.reason)
    )


def test_ignore_retains_and_keeps_reason() -> None:
    ev = evaluate_metric_alarm(
        [None, None, 9.0, None, None], comparison_operator="GreaterThanThreshold", threshold=5, evaluation_periods=3,
        treat_missing_data="ignore", current_state="OK", query_date=T,
    )  # fmt: skip
    assert ev.retained and ev.new_state == "OK" and ev.reason is None and ev.reason_data is None
    assert ev.explain["premature"] and "state kept" in ev.explain["why"]


def test_low_sample_percentile_ignore_retains() -> None:
    kwargs: dict[str, Any] = {
        "comparison_operator": "GreaterThanThreshold", "threshold": 5.0, "evaluation_periods": 1,
        "extended_statistic": "p99", "statistic": None, "sample_counts": [None, None, 10.0], "current_state": "OK",
        "query_date": T,
    }  # fmt: skip
    ev = evaluate_metric_alarm([None, None, 9.0], evaluate_low_sample_count_percentile="ignore", **kwargs)
    assert ev.retained and ev.explain["branch"] == "low-sample-retained"
    assert ev.explain["range"][2]["low_sample"]
    ev = evaluate_metric_alarm([None, None, 9.0], evaluate_low_sample_count_percentile="evaluate", **kwargs)
    assert ev.new_state == "ALARM"
    assert ev.reason_data is not None and ev.reason_data["extendedStatistic"] == "p99"
    ev = evaluate_metric_alarm(
        [None, None, 9.0],
        evaluate_low_sample_count_percentile="ignore",
        **{**kwargs, "sample_counts": [0, 0, 1e4]},
    )
    assert ev.new_state == "ALARM"


def test_high_resolution_bucket_grid() -> None:
    assert alarm_eval.alarm_bucket_starts(T + 37.5, 10, 3) == [T, T + 10, T + 20]
    assert alarm_eval.alarm_bucket_starts(T + 37.5, 300, 2) == [T - 600, T - 300]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (6.0, "6.0"), (0.19726775956284198, "0.19726775956284198"), (1e7, "1.0E7"), (12345678.9, "1.23456789E7"),
        (0.0001, "1.0E-4"), (-2.5e-5, "-2.5E-5"), (0.001, "0.001"), (-0.0, "-0.0"), (1e21, "1.0E21"),
        (float("nan"), "NaN"), (float("-inf"), "-Infinity"),
    ],
)  # fmt: skip
def test_java_double(value: float, text: str) -> None:
    assert alarm_eval.java_double(value) == text


def test_validate_alarm_periods() -> None:
    alarm_eval.validate_alarm_periods(10, 5)
    alarm_eval.validate_alarm_periods(60, 1440)
    alarm_eval.validate_alarm_periods(3600, 168, 100)
    for args in [(45, 1), (0, 1), (60, 0), (60, 1441), (3600, 169), (60, 3, 4), (60, 3, 0)]:
        with pytest.raises(CloudWatchError) as info:
            alarm_eval.validate_alarm_periods(*args)
        assert info.value.code == "InvalidParameterValue"


def test_sns_notification_extended_statistic_and_defaults() -> None:
    msg = alarm_eval.sns_notification(
        {"AlarmName": "lat", "ExtendedStatistic": "p99", "EvaluationPeriods": 2, "MetricName": "Latency"},
        account_id="123456789012", region="xx-test-1", old_state="OK", new_state="ALARM", new_reason="why",
        state_change_time=T,
    )  # fmt: skip
    assert msg["Trigger"]["StatisticType"] == "ExtendedStatistic" and msg["Trigger"]["Statistic"] == "p99"
    assert msg["Trigger"]["DatapointsToAlarm"] == 2 and msg["Trigger"]["TreatMissingData"] == "missing"
    assert (
        msg["Region"] == "xx-test-1"
        and msg["AlarmArn"] == "arn:aws:cloudwatch:xx-test-1:123456789012:alarm:lat"
    )
    assert msg["StateChangeTime"] == "2024-06-01T00:00:00.000+0000"
    assert msg["AlarmConfigurationUpdatedTimestamp"] is None


def test_configuration_update_and_delete_items() -> None:
    old = {"AlarmName": "a", "Threshold": 1.0, "OKActions": []}
    new = {"AlarmName": "a", "Threshold": 2.0, "OKActions": ["arn:x"]}
    item = alarm_eval.configuration_update_history_item(new, "Update", timestamp=T, previous=old)
    assert item["HistorySummary"] == 'Alarm "a" updated'
    data = json.loads(item["HistoryData"])
    assert data["type"] == "Update" and data["updatedAlarm"]["oKActions"] == ["arn:x"]
    assert data["originalUpdatedAlarm"]["threshold"] == 1.0
    gone = alarm_eval.configuration_update_history_item(old, "Delete", timestamp=T)
    assert gone["HistorySummary"] == 'Alarm "a" deleted' and "deletedAlarm" in json.loads(gone["HistoryData"])
    with pytest.raises(ValueError):
        alarm_eval.configuration_update_history_item(old, "Rename", timestamp=T)


def test_format_helpers() -> None:
    assert alarm_eval.format_iso(T + 0.9876) == "2024-06-01T00:00:00.987+0000"
    assert alarm_eval.format_aws_date(T) == "Saturday 01 June, 2024 00:00:00 UTC"
    assert alarm_eval.region_long_name("eu-north-1") == "EU (Stockholm)"
