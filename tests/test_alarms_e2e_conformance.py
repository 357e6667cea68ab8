"""Conformance (shared/conformance/alarms.json) end to end: real alarms driven through the local metric store and the
scheduler, for every row of AWS's missing-data tables, the premature-alarm cases, the derived cases, the concepts
figure scenario, and every composite AlarmRule case."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from awsmon.errors import ServiceError
from tests.conftest import shared_file, shared_path

T = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # an evaluation instant (minute boundary)
SETTINGS = ("missing", "ignore", "breaching", "notBreaching")


def corpus() -> dict[str, Any]:
    return json.loads(shared_path("conformance", "alarms.json").read_text())


def _section(name: str) -> list[dict[str, Any]]:
    path = shared_file("conformance", "alarms.json")
    if path is None:  # collected without ../shared: the test itself skips with a clear message
        return [{"id": "corpus-missing"}]
    return list(json.loads(path.read_text())[name]["cases"])


def _cases() -> list[dict[str, Any]]:
    return _section("metric_alarm_evaluation")


def _composite_cases() -> list[dict[str, Any]]:
    return _section("composite_alarm_rules")


def _put_pattern(store: Any, metric: str, pattern: str, end: datetime) -> None:
    """Store a datapoint pattern ('0' = 0.0, 'X' = 2.0, '-' = nothing), newest bucket ending at ``end``."""
    from awsmon.backends.local.cloudwatch_metrics import store_datapoints

    tokens = pattern.split()
    with store.transaction():
        for i, tok in enumerate(tokens):
            ts = end - timedelta(minutes=len(tokens) - i)
            if tok in ("0", "O"):
                store_datapoints(store, "us-east-1", "Conf", metric, {}, ts, [0.0])
            elif tok == "X":
                store_datapoints(store, "us-east-1", "Conf", metric, {}, ts, [2.0])


def _alarm(cw: Any, name: str, metric: str, case: dict[str, Any], treat: str) -> None:
    cw.put_metric_alarm(
        AlarmName=name, Namespace="Conf", MetricName=metric, Statistic="Maximum", Period=60,
        EvaluationPeriods=case["evaluation_periods"], DatapointsToAlarm=case["datapoints_to_alarm"], Threshold=1.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold", TreatMissingData=treat,
    )  # fmt: skip


def _state(cw: Any, name: str) -> str:
    return cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"]


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c["id"])
def test_missing_data_rows_end_to_end(ctx: Any, case: dict[str, Any]) -> None:
    """Each row x each TreatMissingData: data in the store, an alarm created at T, the scheduler evaluates it."""
    if case["id"] == "corpus-missing":
        shared_path("conformance", "alarms.json")
    from awsmon.engines.alarm_eval import evaluation_range

    assert evaluation_range(case["evaluation_periods"]) == case["evaluation_range"]
    store = ctx.store()
    store.set_clock(T)
    _put_pattern(store, case["id"], case["datapoints"], T)
    cw = ctx.client("cloudwatch")
    expected = case.get("expected") or {}
    for treat in SETTINGS:
        _alarm(cw, f"{case['id']}-{treat}", case["id"], case, treat)
    ctx.run_catch_up()
    for treat in SETTINGS:
        state = _state(cw, f"{case['id']}-{treat}")
        want = expected.get(treat)
        if want == "RETAIN":
            assert state == "INSUFFICIENT_DATA", (treat, state)  # the initial state is kept
        elif want is not None:
            assert state == want, (case["id"], treat, state)
        not_want = (case.get("expected_not") or {}).get(treat)
        if not_want is not None:
            assert state != not_want, (case["id"], treat, state)


@pytest.mark.parametrize("case", [c for c in _cases() if "RETAIN" in (c.get("expected") or {}).values()],
                         ids=lambda c: c["id"])  # fmt: skip
def test_retain_rows_keep_a_prior_state(ctx: Any, case: dict[str, Any]) -> None:
    """RETAIN rows: an alarm already in ALARM (or OK) and switched to ignore keeps that state, with no new history."""
    store = ctx.store()
    store.set_clock(T)
    _put_pattern(store, case["id"], case["datapoints"], T)
    cw = ctx.client("cloudwatch")
    for prior, setting in (("ALARM", "breaching"), ("OK", "notBreaching")):
        name = f"{case['id']}-{prior}"
        assert case["expected"][setting] == prior
        _alarm(cw, name, case["id"], case, setting)
        ctx.run_catch_up()
        assert _state(cw, name) == prior
        _alarm(cw, name, case["id"], case, "ignore")  # an update keeps the state and re-evaluates at once
        ctx.run_catch_up()
        assert _state(cw, name) == prior
        items = cw.describe_alarm_history(AlarmName=name, HistoryItemType="StateUpdate")["AlarmHistoryItems"]
        assert len(items) == 1


def test_concepts_figure_scenario(ctx: Any) -> None:
    """FIG-1: the alarm goes to ALARM in periods 3-5, OK from 6, and a single breach in 9 keeps it OK."""
    from awsmon.backends.local.cloudwatch_metrics import store_datapoints

    scenario = corpus()["metric_alarm_evaluation"]["scenarios"][0]
    store = ctx.store()
    store.set_clock(T)
    with store.transaction():
        for k, v in enumerate(scenario["values_by_period"]):
            store_datapoints(store, "us-east-1", "Conf", "fig", {}, T + timedelta(minutes=k), [float(v)])
    cw = ctx.client("cloudwatch")
    cw.put_metric_alarm(AlarmName="fig", Namespace="Conf", MetricName="fig", Statistic="Average", Period=60,
                        EvaluationPeriods=3, DatapointsToAlarm=3, Threshold=3.0,
                        ComparisonOperator="GreaterThanThreshold")  # fmt: skip
    for period, want in sorted(scenario["expected_state_after_period"].items(), key=lambda kv: int(kv[0])):
        store.set_clock(T + timedelta(minutes=int(period)))
        ctx.run_catch_up()
        assert _state(cw, "fig") == want, (period, want)


def test_reason_text_and_data_follow_the_corpus_shapes(ctx: Any) -> None:
    c = corpus()["reason_strings"]
    store = ctx.store()
    store.set_clock(T)
    _put_pattern(store, "r", "0 X X - X", T)
    cw = ctx.client("cloudwatch")
    _alarm(cw, "r", "r", {"evaluation_periods": 3, "datapoints_to_alarm": 3}, "missing")
    ctx.run_catch_up()
    alarm = cw.describe_alarms(AlarmNames=["r"])["MetricAlarms"][0]
    assert alarm["StateReason"] == (
        "Threshold Crossed: 3 out of the last 3 datapoints [2.0 (20/11/26 11:59:00), 2.0 (20/11/26 11:57:00), "
        "2.0 (20/11/26 11:56:00)] were greater than or equal to the threshold (1.0) (minimum 3 datapoints for "
        "OK -> ALARM transition)."
    )
    data = json.loads(alarm["StateReasonData"])
    assert set(c["state_reason_data_metric"]) - {"unit"} <= set(data)
    assert data["queryDate"] == "2026-11-20T12:00:00.000+0000"
    hist = cw.describe_alarm_history(AlarmName="r", HistoryItemType="StateUpdate")["AlarmHistoryItems"][0]
    assert hist["HistorySummary"] == "Alarm updated from INSUFFICIENT_DATA to ALARM"
    assert set(json.loads(hist["HistoryData"])) == set(c["history"]["StateUpdate"]["HistoryData"])


@pytest.mark.parametrize("case", _composite_cases(), ids=lambda c: c["id"])
def test_composite_rules_end_to_end(ctx: Any, case: dict[str, Any]) -> None:
    if case["id"] == "corpus-missing":
        shared_path("conformance", "alarms.json")
    store = ctx.store()
    store.set_clock(T)
    cw = ctx.client("cloudwatch")
    for ref, state in case["child_states"].items():
        name = ref.split(":alarm:", 1)[1] if ":alarm:" in ref else ref
        cw.put_metric_alarm(AlarmName=name, Namespace="Conf", MetricName="c", Statistic="Sum", Period=60,
                            EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold")  # fmt: skip
        cw.set_alarm_state(AlarmName=name, StateValue=state, StateReason="conformance")
    if case["expected"] == "ERROR":
        with pytest.raises(ServiceError) as err:
            cw.put_composite_alarm(AlarmName="comp", AlarmRule=case["rule"])
        assert err.value.code == "ValidationError" and err.value.exit_code == 2
        assert cw.describe_alarms(AlarmNames=["comp"], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"] == []
        return
    cw.put_composite_alarm(AlarmName="comp", AlarmRule=case["rule"])
    got = cw.describe_alarms(AlarmNames=["comp"], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"][0]
    assert got["StateValue"] == case["expected"]
