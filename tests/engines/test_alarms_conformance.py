"""Every check of shared/conformance/alarms.json, run strictly against the pure engines (one test id per check)."""

from __future__ import annotations

import calendar
import json
import math
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from awsmon.engines import alarm_eval, alarm_rule, metricmath, stats
from awsmon.engines.putmetric_validate import validate_put_metric_data
from awsmon.engines.stats import CloudWatchError

CONFORMANCE = Path(__file__).resolve().parents[2] / ".." / "shared" / "conformance"
CORPUS_FILE = CONFORMANCE / "alarms.json"
CORPUS: dict[str, Any] | None = json.loads(CORPUS_FILE.read_text()) if CORPUS_FILE.is_file() else None
_SKIP = pytest.mark.skip(reason=f"shared/conformance not found: {CORPUS_FILE}")


def _params(build: Any) -> list[Any]:
    """Parametrise from the corpus, or one skipped placeholder when the corpus folder is absent."""
    if CORPUS is None:
        return [pytest.param(None, id="corpus-missing", marks=_SKIP)]
    return [pytest.param(value, id=case_id) for case_id, value in build(CORPUS)]


def _utc(text: str) -> float:
    """Epoch seconds of ``2024-10-26T19:00:38.853+0000`` or ``2022-10-14T04:59:00Z``."""
    text = text.replace("Z", "+0000")
    return datetime.strptime(
        text, "%Y-%m-%dT%H:%M:%S.%f%z" if "." in text else "%Y-%m-%dT%H:%M:%S%z"
    ).timestamp()


def _reason_ts(text: str) -> float:
    return float(calendar.timegm(datetime.strptime(text, "%d/%m/%y %H:%M:%S").timetuple()))


# ---------------------------------------------------------------------------------------------- alarm evaluation
_SYMBOL = {"0": 0.0, "O": 0.0, "X": 10.0, "-": None}
THRESHOLD = 5.0


def _values(row: str) -> list[float | None]:
    return [_SYMBOL[t] for t in row.split()]


def _eval_checks(corpus: dict[str, Any]) -> list[tuple[str, Any]]:
    out = []
    for case in corpus["metric_alarm_evaluation"]["cases"]:
        for setting, expected in case.get("expected", {}).items():
            out.append((f"{case['id']}/{setting}", (case, setting, expected, False)))
        for setting, expected in case.get("expected_not", {}).items():
            out.append((f"{case['id']}/not-{setting}", (case, setting, expected, True)))
    return out


@pytest.mark.parametrize("check", _params(_eval_checks))
def test_metric_alarm_evaluation(check: Any) -> None:
    case, setting, expected, negated = check
    values = _values(case["datapoints"])
    n, m = case["evaluation_periods"], case["datapoints_to_alarm"]
    assert len(values) == case["evaluation_range"] == alarm_eval.evaluation_range(n)
    results = set()
    # RETAIN must mean "keep whatever the state was": check it from every starting state.
    for current in ("OK", "ALARM", "INSUFFICIENT_DATA"):
        ev = alarm_eval.evaluate_metric_alarm(
            values,
            comparison_operator="GreaterThanThreshold",
            threshold=THRESHOLD,
            evaluation_periods=n,
            datapoints_to_alarm=m,
            treat_missing_data=setting,
            current_state=current,
            query_date=1_700_000_000.0,
        )
        got = "RETAIN" if ev.retained else ev.new_state
        if ev.retained:
            assert ev.new_state == current and not ev.changed and ev.reason is None
        results.add(got)
    assert len(results) == 1
    got = results.pop()
    if negated:
        assert got != expected
    else:
        assert got == expected
    if "datapoints_to_fill" in case and setting == "breaching" and got != "RETAIN":
        real = sum(v is not None for v in values)
        decision = alarm_eval.decide_state(
            alarm_eval.breaches(values, "GreaterThanThreshold", THRESHOLD), n, m, setting
        )
        assert decision.filled == (case["datapoints_to_fill"] if real < n else 0)


def _fig_checks(corpus: dict[str, Any]) -> list[tuple[str, Any]]:
    out = []
    for sc in corpus["metric_alarm_evaluation"]["scenarios"]:
        for period, expected in sc["expected_state_after_period"].items():
            out.append((f"{sc['id']}/period-{period}", (sc, int(period), expected)))
    return out


@pytest.mark.parametrize("check", _params(_fig_checks))
def test_scenario_figure(check: Any) -> None:
    scenario, period, expected = check
    values: list[float | None] = list(scenario["values_by_period"][:period])
    r = alarm_eval.evaluation_range(3)
    window = ([None] * r + values)[-r:]
    state = "INSUFFICIENT_DATA"
    # replay every period so that state carries over exactly as in the figure
    for k in range(1, period + 1):
        window = ([None] * r + values[:k])[-r:]
        ev = alarm_eval.evaluate_metric_alarm(
            window, comparison_operator="GreaterThanThreshold", threshold=3, evaluation_periods=3,
            datapoints_to_alarm=3, current_state=state,
        )  # fmt: skip
        state = ev.new_state
    assert state == expected


def test_special_rules_dynamodb_ignores_missing() -> None:
    if CORPUS is None:
        pytest.skip(f"shared/conformance not found: {CORPUS_FILE}")
    assert any("DynamoDB" in rule for rule in CORPUS["metric_alarm_evaluation"]["special_rules"])
    ev = alarm_eval.evaluate_metric_alarm(
        [None] * 5, comparison_operator="GreaterThanThreshold", threshold=1, evaluation_periods=3,
        treat_missing_data="breaching", namespace="AWS/DynamoDB", current_state="OK",
    )  # fmt: skip
    assert ev.retained and ev.new_state == "OK"


# ---------------------------------------------------------------------------------------------- composite rules
def _composite_checks(corpus: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(c["id"], c) for c in corpus["composite_alarm_rules"]["cases"]]


@pytest.mark.parametrize("case", _params(_composite_checks))
def test_composite_alarm_rules(case: Any) -> None:
    if case["expected"] == "ERROR":
        with pytest.raises(CloudWatchError) as info:
            alarm_rule.composite_state(case["rule"], case["child_states"])
        assert info.value.code == "ValidationError"
    else:
        assert alarm_rule.composite_state(case["rule"], case["child_states"]) == case["expected"]
        assert alarm_rule.children(case["rule"]) <= set(case["child_states"])


def test_composite_limits_match_corpus() -> None:
    if CORPUS is None:
        pytest.skip(f"shared/conformance not found: {CORPUS_FILE}")
    limits = CORPUS["composite_alarm_rules"]["limits"]
    assert alarm_rule.MAX_RULE_CHARS == limits["AlarmRule_max_chars"]
    assert alarm_rule.MAX_CHILDREN == limits["max_children"]
    assert alarm_rule.MAX_ELEMENTS == limits["max_elements"]


# ---------------------------------------------------------------------------------------------- statistics
def _stat_checks(corpus: dict[str, Any]) -> list[tuple[str, Any]]:
    return [
        (f"{c['id']}/{name}", (c["values"], name, expected))
        for c in corpus["statistics"]["cases"]
        for name, expected in c["expected"].items()
    ]


@pytest.mark.parametrize("check", _params(_stat_checks))
def test_statistics(check: Any) -> None:
    values, name, expected = check
    got = stats.compute_statistics(values, [name])[name]
    assert got == expected
    # the streaming aggregator must agree with the per-period computation
    points = [(float(i % 60), float(v), 1.0) for i, v in enumerate(values)]
    dp = stats.aggregate(points, 0.0, 60.0, 60, [name])
    assert len(dp) == 1
    agg = dp[0]["ExtendedStatistics"][name] if stats.parse_statistic(name).is_extended else dp[0][name]
    assert agg == pytest.approx(expected, rel=1e-12)


def _ss_checks(corpus: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(c["id"], c) for c in corpus["statistics"]["statistic_set_percentiles"]]


@pytest.mark.parametrize("case", _params(_ss_checks))
def test_statistic_set_percentiles(case: Any) -> None:
    if "statistic_set" in case:
        ss = case["statistic_set"]
        assert stats.statistic_set_allows_percentiles(ss) is case["percentiles_available"]
        got = stats.compute_statistics(stat_sets=[ss], statistics=["p50", "SampleCount"])
    else:
        got = stats.compute_statistics(case["raw_values"], ["p50", "tm90", "PR(:5)", "SampleCount"])
        assert "tm90" not in got and "PR(:5)" not in got
    assert ("p50" in got) is case["percentiles_available"]
    if case["percentiles_available"]:
        assert got["p50"] == case["p50"]


def _ls_checks(corpus: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(c["id"], c) for c in corpus["low_sample_percentile"]["cases"]]


@pytest.mark.parametrize("case", _params(_ls_checks))
def test_low_sample_percentile(case: Any) -> None:
    threshold = stats.low_sample_threshold(case["percentile"])
    assert threshold == case["min_samples"]
    assert stats.is_low_sample(case["percentile"], case["min_samples"] - 1)
    assert not stats.is_low_sample(case["percentile"], case["min_samples"])


# ---------------------------------------------------------------------------------------------- PutMetricData
NOW = 1_700_000_000.0


def _pmd_checks(corpus: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(c["id"], c) for c in corpus["put_metric_data_validation"]]


def _materialise(request: dict[str, Any]) -> dict[str, Any]:
    """Turn the corpus' placeholders into a concrete request (a namespace is added when the case omits it)."""
    req = dict(request)
    req.setdefault("Namespace", "Custom/Conformance")
    data = req["MetricData"]
    if data == "1001 items":
        req["MetricData"] = [{"MetricName": "x", "Value": 1}] * 1001
        return req
    out = []
    for datum in data:
        d = dict(datum)
        stamp = d.get("Timestamp")
        if isinstance(stamp, str):
            sign = 1 if "+" in stamp else -1
            amount = stamp.split("+" if sign > 0 else "-", 1)[1]
            seconds = int(amount[:-1]) * {"d": 86400, "h": 3600}[amount[-1]]
            d["Timestamp"] = NOW + sign * seconds
        if d.get("Dimensions") == "31 dimensions":
            d["Dimensions"] = [{"Name": f"d{i}", "Value": "v"} for i in range(31)]
        out.append(d)
    req["MetricData"] = out
    return req


@pytest.mark.parametrize("case", _params(_pmd_checks))
def test_put_metric_data_validation(case: Any) -> None:
    with pytest.raises(CloudWatchError) as info:
        validate_put_metric_data(_materialise(case["input"]), NOW)
    assert info.value.code == case["expected_error"]["Code"]
    if "Message" in case["expected_error"]:
        assert info.value.message == case["expected_error"]["Message"]


# ---------------------------------------------------------------------------------------------- time alignment
def _ta_checks(corpus: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(c["id"], c) for c in corpus["time_alignment"]]


DAY = 86400
BASE_DAY = calendar.timegm((2024, 6, 1, 0, 0, 0))


def _hms(text: str) -> float:
    h, m, s = (int(x) for x in text.split(":"))
    return float(BASE_DAY + h * 3600 + m * 60 + s)


@pytest.mark.parametrize("case", _params(_ta_checks))
def test_time_alignment(case: Any) -> None:
    cid = case["id"]
    if cid in ("TA-1", "TA-2", "TA-3"):
        age = {"TA-1": 1 * DAY, "TA-2": 20 * DAY, "TA-3": 70 * DAY}[cid]
        start = _hms(case["start"])
        assert stats.round_start_time(start, start + age, 60) == _hms(case["rounded"])
    elif cid in ("TA-4", "TA-5"):
        period, span = (10, 10) if cid == "TA-4" else (5, 300)
        query = _hms("01:05:23" if cid == "TA-4" else "15:07:17")
        rounded = stats.round_start_time(query - span, query, period)
        buckets = stats.bucket_starts(rounded, query, period)
        assert (buckets[0], buckets[-1]) == tuple(_hms(t) for t in case["returns_range"])
    elif cid == "TA-6":
        start = _utc(case["start"])
        expected = [start - start % DAY + _hms(t) - BASE_DAY for t in case["bucket_starts"]]
        assert stats.round_start_time(start, start + DAY, case["period"]) == start
        assert stats.bucket_starts(start, start + 4 * case["period"], case["period"]) == expected
        points = [(t + 1.0, 1.0, 1.0) for t in expected]
        got = stats.aggregate(points, start, start + 4 * case["period"], case["period"], ["Sum"])
        assert [d["Timestamp"] for d in got] == expected
    elif cid == "TA-7":
        now = float(BASE_DAY + 400 * DAY)
        tiers = {
            "< 3h": now - 3600,
            "3h-15d": now - 2 * DAY,
            "15d-63d": now - 30 * DAY,
            "> 63d": now - 100 * DAY,
        }
        for rule in case["rules"]:
            start = tiers[rule["start_age"]]
            if rule["start_age"] == "< 3h":
                for p in (1, 5, 10, 20, 30):
                    assert stats.period_allowed_for_start(p, start, now, storage_resolution=1)
                    assert not stats.period_allowed_for_start(p, start, now, storage_resolution=60)
                assert stats.period_allowed_for_start(120, start, now)
                assert not stats.period_allowed_for_start(90, start, now, storage_resolution=1)
            else:
                multiple = int(rule["period"].split()[-1])
                assert stats.period_allowed_for_start(multiple * 2, start, now)
                assert not stats.period_allowed_for_start(
                    multiple + 60 if multiple > 60 else 30, start, now, 1
                )
    elif cid == "TA-8":
        start = 0.0
        with pytest.raises(CloudWatchError) as info:
            stats.check_datapoint_limit(start, start + 43260 * 60, 60)
        assert info.value.code == case["expected_error"]["Code"]
        assert info.value.message == case["expected_error"]["Message"]
        assert stats.check_datapoint_limit(start, start + 1440 * 60, 60) == 1440
    elif cid == "TA-9":
        for ex in case["examples"]:
            assert alarm_eval.alarm_bucket_starts(_utc(ex["queryDate"]), ex["period"], 1) == [
                _utc(ex["startDate"])
            ]
    else:
        pytest.fail(f"unhandled time_alignment case {cid}")


# ---------------------------------------------------------------------------------------------- reason strings
def _ev(values: list[float | None], **kw: Any) -> alarm_eval.Evaluation:
    return alarm_eval.evaluate_metric_alarm(values, **kw)


def _sample_builders() -> dict[int, Any]:
    """How each real reason string is reproduced: sample index -> function returning our text."""

    def q(stamp: str, period: int = 60) -> float:
        return _reason_ts(stamp) + period + 38.853  # evaluation instant just after the newest bucket

    return {
        0: lambda: _ev([3.0], comparison_operator="GreaterThanOrEqualToThreshold", threshold=1.0,
                       evaluation_periods=1, query_date=q("26/10/24 18:59:00"), style="short").reason,
        1: lambda: _ev([0.0], comparison_operator="GreaterThanOrEqualToThreshold", threshold=1.0,
                       evaluation_periods=1, query_date=q("07/04/23 09:08:00"), style="short").reason,
        2: lambda: _ev([6.0], comparison_operator="GreaterThanThreshold", threshold=5.0, evaluation_periods=1,
                       datapoints_to_alarm=1, query_date=q("25/09/22 18:49:00")).reason,
        3: lambda: _ev([0.0], comparison_operator="GreaterThanOrEqualToThreshold", threshold=1.0,
                       evaluation_periods=1, datapoints_to_alarm=1, query_date=q("01/08/22 15:06:00")).reason,
        4: lambda: _ev([1390.0, 1226.0, 1141.0], comparison_operator="GreaterThanOrEqualToThreshold",
                       threshold=30.0, evaluation_periods=3, datapoints_to_alarm=3, period=300,
                       query_date=q("09/10/20 21:24:00", 300)).reason,
        5: lambda: _ev([None, None, None, None], comparison_operator="GreaterThanThreshold", threshold=1.0,
                       evaluation_periods=2, treat_missing_data="breaching", query_date=NOW).reason,
        6: lambda: _ev([None, 1.0], comparison_operator="LessThanThreshold", threshold=1.0, evaluation_periods=2,
                       datapoints_to_alarm=1, treat_missing_data="breaching",
                       query_date=q("25/09/26 21:51:00"), style="short").reason,
        7: lambda: _ev([None] * 5, comparison_operator="GreaterThanThreshold", threshold=1.0,
                       evaluation_periods=3, query_date=NOW).reason,
        8: lambda: _ev([300.0, 300.0, 300.0, 537.0], comparison_operator="LessThanLowerOrGreaterThanUpperThreshold",
                       evaluation_periods=4, datapoints_to_alarm=1, query_date=q("14/11/25 18:39:00"),
                       bands=[(100.0, 600.0)] * 3 + [(193.33593366980995, 531.4406901351432)]).reason,
        9: lambda: _ev([None, None, 0.0, None, None], comparison_operator="LessThanThreshold", threshold=1.0,
                       evaluation_periods=3, datapoints_to_alarm=3, query_date=NOW).reason,
        10: lambda: _ev([84.92614979303418, 84.9314310950818, 84.93257920422259, 84.9368272080435,
                         84.93923823723915], comparison_operator="GreaterThanOrEqualToThreshold", threshold=80.0,
                        evaluation_periods=5, query_date=q("03/09/25 06:24:00"), style="recent").reason,
    }  # fmt: skip


def _sample_checks(corpus: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(f"sample-{i}", (i, text)) for i, text in enumerate(corpus["reason_strings"]["samples"])]


@pytest.mark.parametrize("check", _params(_sample_checks))
def test_reason_string_samples(check: Any) -> None:
    index, text = check
    got = _sample_builders()[index]()
    assert got is not None
    if index == 9:
        # The published sample is abridged (no prefix, timestamps or threshold value): compare with those removed.
        import re

        normalised = re.sub(r" \(\d\d/\d\d/\d\d \d\d:\d\d:\d\d\)", "", got)
        normalised = normalised.replace("Threshold Crossed: ", "").replace(" (1.0)", "").rstrip(".")
        assert normalised == text
    else:
        assert got == text


def _shape_checks(corpus: dict[str, Any]) -> list[tuple[str, Any]]:
    names = [
        "initial", "state_reason_data_metric", "state_reason_data_anomaly", "evaluated_datapoint_for_missing",
        "composite_reason", "history-StateUpdate", "history-ConfigurationUpdate", "history-Action",
        "history-Action-failure", "sns_subject", "sns_message_keys", "sns_trigger_keys", "sns_email_body_example",
    ]  # fmt: skip
    return [(n, (n, corpus["reason_strings"])) for n in names]


@pytest.mark.parametrize("check", _params(_shape_checks))
def test_reason_shapes(check: Any) -> None:
    name, rs = check
    if name == "initial":
        assert rs["initial"] == {
            "StateValue": alarm_eval.INITIAL_STATE,
            "StateReason": alarm_eval.INITIAL_REASON,
        }
    elif name == "state_reason_data_metric":
        want = rs["state_reason_data_metric"]
        ev = _ev([None, None, 0.0], comparison_operator="GreaterThanOrEqualToThreshold", threshold=1.0,
                 evaluation_periods=1, statistic="Minimum", unit="Count", sample_counts=[None, None, 1.0],
                 query_date=_utc(want["queryDate"]))  # fmt: skip
        assert ev.reason_data == want
    elif name == "state_reason_data_anomaly":
        want = rs["state_reason_data_anomaly"]
        ev = _ev([None, None, 239.0], comparison_operator="GreaterThanUpperThreshold", evaluation_periods=1,
                 statistic=None, bands=[None, None, (0.0, 225.71426732099445)],
                 query_date=_utc(want["queryDate"]))  # fmt: skip
        assert ev.reason_data == want
    elif name == "evaluated_datapoint_for_missing":
        stamp = _utc(rs["evaluated_datapoint_for_missing"]["timestamp"])
        ev = _ev([None, 5.0], comparison_operator="GreaterThanThreshold", threshold=1.0, evaluation_periods=2,
                 query_date=stamp + 120)  # fmt: skip
        assert ev.reason_data is not None
        assert {"timestamp": rs["evaluated_datapoint_for_missing"]["timestamp"]} in ev.reason_data[
            "evaluatedDatapoints"
        ]
    elif name == "composite_reason":
        data = rs["composite_reason_data"]["triggeringAlarms"][0]
        text, reason_data = alarm_rule.composite_reason(
            data["arn"], data["state"]["value"], _utc(data["state"]["timestamp"])
        )
        assert text == rs["composite_reason_example"]
        assert reason_data == rs["composite_reason_data"]
    elif name == "history-StateUpdate":
        want = rs["history"]["StateUpdate"]
        new = want["HistoryData"]["newState"]
        item = alarm_eval.state_update_history_item(
            "a", old_state="INSUFFICIENT_DATA", old_reason=alarm_eval.INITIAL_REASON, new_state=new["stateValue"],
            new_reason=new["stateReason"], new_reason_data=new["stateReasonData"], timestamp=NOW,
        )  # fmt: skip
        assert item["HistoryItemType"] == "StateUpdate"
        assert item["HistorySummary"] == want["HistorySummary"]
        assert json.loads(item["HistoryData"]) == want["HistoryData"]
    elif name == "history-ConfigurationUpdate":
        want = rs["history"]["ConfigurationUpdate"]
        created = want["HistoryData"]["createdAlarm"]
        alarm = {k[0].upper() + k[1:]: v for k, v in created.items()}
        item = alarm_eval.configuration_update_history_item(alarm, "Create", timestamp=NOW)
        assert item["HistorySummary"] == want["HistorySummary"]
        assert json.loads(item["HistoryData"]) == want["HistoryData"]
    elif name == "history-Action":
        want = rs["history"]["Action"]
        arn = want["HistoryData"]["notificationResource"]
        item = alarm_eval.action_history_item("a", arn, timestamp=NOW)
        assert item["HistorySummary"] == want["HistorySummary"]
        assert json.loads(item["HistoryData"]) == want["HistoryData"]
    elif name == "history-Action-failure":
        item = alarm_eval.action_history_item(
            "a", "arn:aws:sns:...:topic", timestamp=NOW, succeeded=False, failure_reason="AuthorizationError"
        )
        assert item["HistorySummary"] == rs["history"]["Action"]["failure_summary_example"]
    elif name == "sns_subject":
        assert alarm_eval.sns_subject("ALARM", "Test alarm", "ca-central-1") == rs["sns_subject"]
    elif name in ("sns_message_keys", "sns_trigger_keys"):
        msg = alarm_eval.sns_notification(
            {"AlarmName": "n", "MetricName": "CPU", "Namespace": "AWS/EC2", "Statistic": "Average", "Period": 60,
             "EvaluationPeriods": 1, "ComparisonOperator": "GreaterThanThreshold", "Threshold": 1.0,
             "Dimensions": [{"Name": "InstanceId", "Value": "i-1"}], "AlarmConfigurationUpdatedTimestamp": NOW},
            account_id="123456789012", region="us-east-1", old_state="OK", new_state="ALARM", new_reason="r",
            state_change_time=NOW,
        )  # fmt: skip
        if name == "sns_message_keys":
            assert list(msg) == rs["sns_message_keys"]
            assert msg["Region"] == "US East (N. Virginia)"
        else:
            assert list(msg["Trigger"]) == rs["sns_trigger_keys"]
            assert msg["Trigger"]["Statistic"] == "AVERAGE"
            assert msg["Trigger"]["Dimensions"] == [{"value": "i-1", "name": "InstanceId"}]
    elif name == "sns_email_body_example":
        text = alarm_eval.email_intro(
            "eks-node-high-filesystem", "eu-north-1", "ALARM", "<NewStateReason>",
            float(calendar.timegm((2025, 9, 3, 6, 25, 33))),
        )  # fmt: skip
        assert text == rs["sns_email_body_example"]
    else:
        pytest.fail(f"unhandled shape check {name}")


# ---------------------------------------------------------------------------------------------- metric math
def _math_checks(corpus: dict[str, Any]) -> list[tuple[str, Any]]:
    out = []
    for section in ("comparison", "if"):
        table = corpus["metric_math"][section]
        for expr, expected in table["expected"].items():
            out.append((f"{section}/{expr}", (table, expr, expected)))
    return out


@pytest.mark.parametrize("check", _params(_math_checks))
def test_metric_math(check: Any) -> None:
    table, expr, expected = check
    ids = [k for k in table if k.startswith("metric")]
    length = len(table[ids[0]])
    grid = [float(i * 60) for i in range(length)]
    series = {k: {grid[i]: float(v) for i, v in enumerate(table[k]) if v is not None} for k in ids}
    result = metricmath.evaluate(expr, series, timestamps=grid)
    assert isinstance(result, metricmath.Series)
    got = [result.points.get(t) for t in grid]
    assert got == [None if e is None else float(e) for e in expected]
    assert all(not math.isnan(v) for v in result.points.values())


def _math_rule_checks(corpus: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(f"rule-{i}", rule) for i, rule in enumerate(corpus["metric_math"]["rules"])]


@pytest.mark.parametrize("rule", _params(_math_rule_checks))
def test_metric_math_rules(rule: str) -> None:
    grid = [0.0, 60.0, 120.0]
    data = {"m1": {0.0: 4.0, 120.0: 6.0}, "m2": {0.0: 2.0, 60.0: 0.0, 120.0: 0.0}}
    if rule.startswith("Missing values"):
        r = metricmath.evaluate("m1 + m2", data, timestamps=grid)
        assert isinstance(r, metricmath.Series) and r.points == {0.0: 6.0, 60.0: 0.0, 120.0: 6.0}
    elif rule.startswith("a divide-by-zero"):
        r = metricmath.evaluate("m1 / m2", data, timestamps=grid)
        assert isinstance(r, metricmath.Series) and r.points == {0.0: 2.0}
    elif rule.startswith("functions must be UPPERCASE"):
        with pytest.raises(CloudWatchError):
            metricmath.evaluate("sum(m1)", data, timestamps=grid)
        with pytest.raises(CloudWatchError):
            metricmath.evaluate("M1 + 1", data, timestamps=grid)
        assert isinstance(metricmath.evaluate("SUM([m1, m2])", data, timestamps=grid), metricmath.Series)
    elif rule.startswith("the final result"):
        with pytest.raises(CloudWatchError):
            metricmath.evaluate("SUM(m1)", data, timestamps=grid)
        assert isinstance(metricmath.evaluate("METRICS()", data, timestamps=grid), list)
    else:
        pytest.fail(f"unhandled metric-math rule {rule!r}")


def _history_checks(corpus: dict[str, Any]) -> list[tuple[str, Any]]:
    # Only the newest revision of the AWS table is a current expectation; older rows are history.
    rows = corpus["metric_alarm_evaluation"]["doc_history_of_table"]
    newest = max(r["date"] for r in rows)
    return [(f"{r['commit']}/table-{r['table']}", r) for r in rows if r["date"] == newest]


@pytest.mark.parametrize("row", _params(_history_checks))
def test_doc_history_newest_revision(row: Any) -> None:
    n, m = 3, 3 if row["table"] == 1 else 2
    flags = alarm_eval.breaches(_values(row["row"]), "GreaterThanThreshold", THRESHOLD)
    got = [alarm_eval.decide_state(flags, n, m, t).state or "RETAIN" for t in alarm_eval.TREAT_MISSING]
    assert got == row["values"]
