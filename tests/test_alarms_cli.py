"""awsmon alarms on the local backend: commands, exit codes, bad input, evaluation through the clock, actions."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from tests.conftest import Cli

TOPIC = "arn:aws:sns:us-east-1:123456789012:ops"
BASE = ["--namespace", "App", "--metric-name", "Latency", "--dimensions", "Service=api", "--statistic", "Maximum",
        "--period", "60", "--evaluation-periods", "3", "--threshold", "100",
        "--comparison-operator", "GreaterThanThreshold"]  # fmt: skip


def put_values(cli: Cli, *values: float, name: str = "Latency", dims: str = "Service=api") -> None:
    """One datum per simulated minute, advancing the clock after each."""
    for v in values:
        cli.ok("metrics", "put", "--namespace", "App", "--metric-name", name, "--value", str(v), "-d", dims)
        cli.ok("account", "clock", "advance", "1m")


def state(cli: Cli, name: str) -> str:
    data = cli.json("alarms", "describe", "--alarm-names", name)
    alarms = data["MetricAlarms"] + data["CompositeAlarms"]
    return str(alarms[0]["StateValue"])


def test_put_describe_and_evaluation_through_the_clock(pinned: Cli) -> None:
    pinned.ok("alarms", "put", "--alarm-name", "api-slow", *BASE, "--alarm-description", "api is slow")
    data = pinned.json("alarms", "describe")
    alarm = data["MetricAlarms"][0]
    assert alarm["StateValue"] == "INSUFFICIENT_DATA" and alarm["AlarmDescription"] == "api is slow"
    assert alarm["Dimensions"] == [{"Name": "Service", "Value": "api"}]
    assert data["CompositeAlarms"] == []
    put_values(pinned, 150, 160, 170)
    assert state(pinned, "api-slow") == "ALARM"
    put_values(pinned, 10, 10, 10)
    assert state(pinned, "api-slow") == "OK"
    table = pinned.ok("alarms", "describe", "-o", "table").stdout
    assert "api-slow" in table and "App/Latency Maximum > 100.0 for 3/3 x 60s" in table


def test_check_exit_codes_and_one_line_per_alarm(pinned: Cli) -> None:
    empty = pinned("alarms", "check", "-o", "json")
    assert empty.exit_code == 0 and empty.json()["Checked"] == 0  # nothing selected, nothing in ALARM
    none = pinned("alarms", "check", "--prefix", "prod-")
    assert none.exit_code == 1 and "no alarms with prefix 'prod-'" in none.stderr
    pinned.ok("alarms", "put", "--alarm-name", "prod-api", *BASE)
    pinned.ok("alarms", "put", "--alarm-name", "prod-db", *BASE[:4], "--dimensions", "Service=db", *BASE[6:])
    res = pinned("alarms", "check", "--prefix", "prod-", "-o", "table")
    assert res.exit_code == 0
    assert len(res.stdout.strip().splitlines()) == 2
    put_values(pinned, 500, 500, 500)
    res = pinned("alarms", "check", "--prefix", "prod-", "-o", "table")
    assert res.exit_code == 3
    lines = res.stdout.strip().splitlines()
    assert lines[0].startswith("ALARM") and "prod-api" in lines[0]
    assert lines[1].startswith("INSUFFICIENT_DATA") and "prod-db" in lines[1]
    assert "1 of 2 alarms in ALARM: prod-api" in res.stderr
    assert pinned("alarms", "check", "--name", "prod-db").exit_code == 0
    missing = pinned("alarms", "check", "--name", "nope")
    assert missing.exit_code == 1 and "no alarm named nope" in missing.stderr
    csv = pinned("alarms", "check", "--prefix", "prod-", "-o", "csv").stdout.splitlines()
    assert csv[1].startswith('ALARM,prod-api,"ALARM prod-api: Threshold Crossed')  # Summary unpadded outside tables


def test_explain_shows_range_breaches_and_rule(pinned: Cli) -> None:
    pinned.ok("alarms", "put", "--alarm-name", "m-of-n", *BASE[:-6], "--evaluation-periods", "3",
              "--datapoints-to-alarm", "2", "--threshold", "100", "--comparison-operator", "GreaterThanThreshold")  # fmt: skip
    put_values(pinned, 150, 50, 150)
    data = pinned.json("alarms", "explain", "m-of-n")
    assert data["StateValue"] == "ALARM" and data["ComputedState"] == "ALARM"
    assert data["EvaluationRange"] == 5 and data["DatapointsToAlarm"] == 2
    values = [(p["Value"], p["Breaching"], p["Evaluated"]) for p in data["Datapoints"]]
    assert values[-3:] == [(150.0, True, True), (50.0, False, True), (150.0, True, True)]
    assert values[0] == (None, None, False)
    assert "2 of the 3 most recent real datapoints breach (need 2)" == data["Why"]
    table = pinned.ok("alarms", "explain", "m-of-n", "-o", "table").stdout
    assert "Why" in table and "Breaching" in table


def test_explain_before_any_evaluation_is_a_dry_run(pinned: Cli) -> None:
    pinned.ok("metrics", "put", "--namespace", "App", "--metric-name", "Latency", "--value", "500", "-d", "Service=api",
              "--timestamp", "2026-11-20T11:58:30Z")  # fmt: skip
    pinned.ok("alarms", "put", "--alarm-name", "fresh", *BASE)
    data = pinned.json("alarms", "explain", "fresh")
    assert data["Source"].startswith("local engine")
    assert data["RealDatapoints"] == 1


def test_history_set_state_and_actions_publish_to_a_topic(pinned: Cli, tmp_path: Path) -> None:
    out = tmp_path / "home" / "outbox" / "alerts.jsonl"
    pinned.ok("alarms", "topics", "create", "ops")
    pinned.ok("alarms", "topics", "subscribe", "ops", "--protocol", "file", "--endpoint", str(out))
    pinned.ok("alarms", "topics", "subscribe", "ops", "--protocol", "email", "--endpoint", "oncall@example.com")
    pinned.ok("alarms", "put", "--alarm-name", "api-slow", *BASE, "--alarm-actions", TOPIC, "--ok-actions", TOPIC)
    pinned.ok("alarms", "set-state", "--alarm-name", "api-slow", "--state-value", "ALARM", "--state-reason", "drill",
              "--state-reason-data", '{"drill": true}')  # fmt: skip
    assert state(pinned, "api-slow") == "ALARM"
    line = json.loads(out.read_text().splitlines()[0])
    assert line["Type"] == "Notification" and line["Subject"] == 'ALARM: "api-slow" in US East (N. Virginia)'
    message = json.loads(line["Message"])
    assert message["NewStateValue"] == "ALARM" and message["NewStateReason"] == "drill"
    assert message["Trigger"]["Statistic"] == "MAXIMUM" and message["Trigger"]["Dimensions"] == [
        {"value": "api", "name": "Service"}
    ]
    # the next evaluation (no data) returns it to its computed state and notifies nobody (no INSUFFICIENT actions)
    pinned.ok("account", "clock", "advance", "1m")
    assert state(pinned, "api-slow") == "INSUFFICIENT_DATA"
    hist = pinned.json("alarms", "history", "--alarm-name", "api-slow", "--oldest-first")["AlarmHistoryItems"]
    kinds = [(h["HistoryItemType"], h["HistorySummary"]) for h in hist]
    assert kinds == [
        ("ConfigurationUpdate", 'Alarm "api-slow" created'),
        ("StateUpdate", "Alarm updated from INSUFFICIENT_DATA to ALARM"),
        ("Action", f"Successfully executed action {TOPIC}"),
        ("StateUpdate", "Alarm updated from ALARM to INSUFFICIENT_DATA"),
    ]
    only = pinned.json("alarms", "history", "--alarm-name", "api-slow", "--history-item-type", "Action")
    assert len(only["AlarmHistoryItems"]) == 1
    deliveries = pinned.json("alarms", "topics", "deliveries", "--topic", "ops")["Deliveries"]
    assert sorted(d["Protocol"] for d in deliveries) == ["email", "file"]
    assert all(d["Status"] == "Delivered" for d in deliveries)


def test_disabled_actions_change_state_without_notifying(pinned: Cli) -> None:
    pinned.ok("alarms", "topics", "create", "ops")
    pinned.ok("alarms", "put", "--alarm-name", "quiet", *BASE, "--alarm-actions", TOPIC)
    pinned.ok("alarms", "disable-actions", "--alarm-names", "quiet")
    assert pinned.json("alarms", "describe", "--name", "quiet")["MetricAlarms"][0]["ActionsEnabled"] is False
    pinned.ok("alarms", "set-state", "--alarm-name", "quiet", "--state-value", "ALARM", "--state-reason", "x")
    assert pinned.json("alarms", "topics", "deliveries")["Deliveries"] == []
    pinned.ok("alarms", "enable-actions", "--alarm-names", "quiet")
    pinned.ok("alarms", "set-state", "--alarm-name", "quiet", "--state-value", "OK", "--state-reason", "x")
    pinned.ok("alarms", "set-state", "--alarm-name", "quiet", "--state-value", "ALARM", "--state-reason", "y")
    assert len(pinned.json("alarms", "topics", "deliveries")["Deliveries"]) == 1


def test_actions_on_missing_resources_fail(pinned: Cli) -> None:
    ec2 = "arn:aws:automate:us-east-1:ec2:stop"
    fn = "arn:aws:lambda:us-east-1:123456789012:function:pager"
    pinned.ok("alarms", "put", "--alarm-name", "a", *BASE, "--alarm-actions", f"{TOPIC}-gone,{ec2},{fn}")
    pinned.ok("alarms", "set-state", "--alarm-name", "a", "--state-value", "ALARM", "--state-reason", "x")
    actions = pinned.json("alarms", "actions", "--alarm-name", "a")["Actions"]
    # The topic, the instance (no InstanceId dimension) and the function do not exist: each action fails.
    assert [(a["Kind"], a["Status"]) for a in actions] == [("sns", "Failed"), ("ec2", "Failed"), ("lambda", "Failed")]
    event = actions[2]["Detail"]
    assert event["source"] == "aws.cloudwatch" and event["alarmData"]["state"]["value"] == "ALARM"
    assert event["alarmData"]["previousState"]["value"] == "INSUFFICIENT_DATA"
    assert event["alarmData"]["configuration"]["metrics"][0]["metricStat"]["metric"]["name"] == "Latency"
    hist = pinned.json("alarms", "history", "--type", "Action")["AlarmHistoryItems"]
    summaries = sorted(h["HistorySummary"] for h in hist)
    assert [s.split(". Reason:")[0] for s in summaries] == [
        f"Failed to execute action {a}" for a in sorted((f"{TOPIC}-gone", ec2, fn))]


def test_delete_keeps_history_and_ignores_unknown_names(pinned: Cli) -> None:
    pinned.ok("alarms", "put", "--alarm-name", "a", *BASE)
    pinned.ok("alarms", "delete", "--alarm-names", "a,never-existed")
    assert pinned.json("alarms", "describe")["MetricAlarms"] == []
    hist = pinned.json("alarms", "history", "--alarm-name", "a")["AlarmHistoryItems"]
    assert hist[0]["HistorySummary"] == 'Alarm "a" deleted'


def test_bad_input_exit_codes_texts_and_nothing_stored(pinned: Cli) -> None:
    cases: list[tuple[list[str], int, str]] = [
        (["--extended-statistic", "p99.x"], 2, "The value p99.x for parameter ExtendedStatistic is invalid."),
        (["--extended-statistic", "TM(5%:95%)"], 2, "for parameter ExtendedStatistic is invalid."),
        (["--statistic", "Median"], 2, "The value Median for parameter Statistic is invalid."),
        (["--statistic", "Sum", "--extended-statistic", "p90"], 2, "InvalidParameterCombination"),
        (["--statistic", "Sum", "--period", "45"], 2, "The value 45 for parameter Period is invalid."),
        (["--statistic", "Sum", "--datapoints-to-alarm", "4"], 2, "DatapointsToAlarm must be between 1"),
        (["--statistic", "Sum", "--comparison-operator", "GreaterThanUpperThreshold"], 2, "requires ThresholdMetricId"),
        (["--statistic", "Sum", "--treat-missing-data", "sometimes"], 2, "parameter TreatMissingData is invalid"),
        (["--statistic", "Sum", "--alarm-actions", "mailto:me"], 2, "Invalid arn syntax: mailto:me"),
    ]
    for extra, code, text in cases:
        base = ["--namespace", "App", "--metric-name", "L", "--period", "60", "--evaluation-periods", "3",
                "--threshold", "1", "--comparison-operator", "GreaterThanThreshold"]  # fmt: skip
        args = base + extra
        # later options win in click, so the case's own values override the base ones
        res = pinned("alarms", "put", "--alarm-name", "bad", *args)
        assert res.exit_code == code, (extra, res.stderr)
        assert text in res.stderr, (extra, res.stderr)
        assert "Traceback" not in res.stderr
    assert pinned.json("alarms", "describe")["MetricAlarms"] == []
    unknown = pinned("alarms", "set-state", "--alarm-name", "ghost", "--state-value", "OK", "--state-reason", "x")
    assert unknown.exit_code == 1 and "ResourceNotFound: Alarm ghost not found" in unknown.stderr
    bad_json = pinned("alarms", "set-state", "--alarm-name", "ghost", "--state-value", "OK", "--state-reason", "x",
                      "--state-reason-data", "{nope")  # fmt: skip
    assert bad_json.exit_code == 2 and "InvalidFormat" in bad_json.stderr


def test_composite_rules_errors_and_reevaluation(pinned: Cli) -> None:
    for name in ("cpu", "disk", "deploying"):
        pinned.ok("alarms", "put", "--alarm-name", name, *BASE)
    bad = pinned("alarms", "put-composite", "--alarm-name", "svc", "--alarm-rule", "ALARM(cpu) AND")
    assert bad.exit_code == 2 and "ValidationError: Invalid AlarmRule" in bad.stderr
    unknown = pinned("alarms", "put-composite", "--alarm-name", "svc", "--alarm-rule", "ALARM(nope)")
    assert unknown.exit_code == 2 and "alarm nope does not exist" in unknown.stderr
    assert pinned.json("alarms", "describe", "--alarm-types", "CompositeAlarm")["CompositeAlarms"] == []
    rule = "AT_LEAST(2, ALARM, (cpu, disk)) AND NOT ALARM(deploying)"
    pinned.ok("alarms", "put-composite", "--alarm-name", "svc", "--alarm-rule", rule)
    assert state(pinned, "svc") == "OK"  # evaluated at once
    for name in ("cpu", "disk"):
        pinned.ok("alarms", "set-state", "--alarm-name", name, "--state-value", "ALARM", "--state-reason", "t")
    comp = pinned.json("alarms", "describe", "--name", "svc")["CompositeAlarms"][0]
    assert comp["StateValue"] == "ALARM" and comp["AlarmRule"] == rule
    assert comp["StateReason"].startswith("arn:aws:cloudwatch:us-east-1:123456789012:alarm:disk transitioned to ALARM at")
    assert json.loads(comp["StateReasonData"])["triggeringAlarms"][0]["state"]["value"] == "ALARM"
    pinned.ok("alarms", "set-state", "--alarm-name", "deploying", "--state-value", "ALARM", "--state-reason", "t")
    assert state(pinned, "svc") == "OK"
    parents = pinned.json("alarms", "describe", "--parents-of-alarm-name", "cpu")["CompositeAlarms"]
    assert [p["AlarmName"] for p in parents] == ["svc"]
    in_use = pinned("alarms", "delete", "--alarm-names", "cpu")
    assert in_use.exit_code == 1 and "used by composite alarm svc" in in_use.stderr
    explained = pinned.json("alarms", "explain", "svc")
    assert explained["ComputedState"] == "OK" and {c["AlarmName"] for c in explained["Children"]} == {
        "cpu", "disk", "deploying"}  # fmt: skip
    pinned.ok("alarms", "delete", "--alarm-names", "svc")
    pinned.ok("alarms", "delete", "--alarm-names", "cpu")


def test_composite_cycle_is_not_evaluated_and_blocks_delete(pinned: Cli) -> None:
    pinned.ok("alarms", "put", "--alarm-name", "base", *BASE)
    pinned.ok("alarms", "put-composite", "--alarm-name", "c1", "--alarm-rule", "ALARM(base)")
    pinned.ok("alarms", "put-composite", "--alarm-name", "c2", "--alarm-rule", "ALARM(c1)")
    pinned.ok("alarms", "put-composite", "--alarm-name", "c1", "--alarm-rule", "ALARM(c2) OR ALARM(base)")
    assert pinned.json("alarms", "explain", "c1")["Why"].startswith("the composite is part of a cycle")
    table = pinned.ok("alarms", "describe", "--alarm-names", "c1", "base", "-o", "csv").stdout
    assert "ALARM(c2) OR ALARM(base)  [in a cycle: not evaluated]" in table and table.count("in a cycle") == 1
    res = pinned("alarms", "delete", "--alarm-names", "c2")
    assert res.exit_code == 2 and "cycle" in res.stderr
    pinned.ok("alarms", "put-composite", "--alarm-name", "c1", "--alarm-rule", "FALSE")
    pinned.ok("alarms", "delete", "--alarm-names", "c2")


def test_actions_suppressor_wait_and_extension_periods(pinned: Cli) -> None:
    pinned.ok("alarms", "topics", "create", "ops")
    for name in ("child", "maintenance"):  # ignore + no data: states set by hand stay put
        pinned.ok("alarms", "put", "--alarm-name", name, *BASE, "--treat-missing-data", "ignore")
    pinned.ok("alarms", "put-composite", "--alarm-name", "comp", "--alarm-rule", "ALARM(child)",
              "--alarm-actions", TOPIC, "--actions-suppressor", "maintenance",
              "--actions-suppressor-wait-period", "120", "--actions-suppressor-extension-period", "180")  # fmt: skip

    def set_state(name: str, value: str) -> None:
        pinned.ok("alarms", "set-state", "--alarm-name", name, "--state-value", value, "--state-reason", "t")

    def deliveries() -> int:
        return len(pinned.json("alarms", "topics", "deliveries")["Deliveries"])

    # 1. composite enters ALARM; the suppressor stays OK through the wait period -> actions run at its end
    set_state("child", "ALARM")
    comp = pinned.json("alarms", "describe", "--name", "comp")["CompositeAlarms"][0]
    assert comp["StateValue"] == "ALARM" and comp["ActionsSuppressedBy"] == "WaitPeriod"
    assert deliveries() == 0
    pinned.ok("account", "clock", "set", "2026-11-20T12:02:00Z")
    assert deliveries() == 1
    comp = pinned.json("alarms", "describe", "--name", "comp")["CompositeAlarms"][0]
    assert "ActionsSuppressedBy" not in comp and comp["ActionsSuppressor"] == "maintenance"
    # 2. suppressor in ALARM: the next composite ALARM is suppressed; the extension period ends -> actions run
    set_state("child", "OK")
    set_state("maintenance", "ALARM")
    set_state("child", "ALARM")
    assert pinned.json("alarms", "describe", "--name", "comp")["CompositeAlarms"][0]["ActionsSuppressedBy"] == "Alarm"
    pinned.ok("account", "clock", "set", "2026-11-20T12:05:00Z")
    assert deliveries() == 1
    set_state("maintenance", "OK")
    comp = pinned.json("alarms", "describe", "--name", "comp")["CompositeAlarms"][0]
    assert comp["ActionsSuppressedBy"] == "ExtensionPeriod"
    pinned.ok("account", "clock", "set", "2026-11-20T12:07:59Z")
    assert deliveries() == 1
    pinned.ok("account", "clock", "set", "2026-11-20T12:08:00Z")
    assert deliveries() == 2


def test_math_alarm_end_to_end(pinned: Cli, tmp_path: Path) -> None:
    queries = [
        {"Id": "errors", "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "Errors"}, "Period": 60,
                                        "Stat": "Sum"}, "ReturnData": False},
        {"Id": "reqs", "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "Requests"}, "Period": 60,
                                      "Stat": "Sum"}, "ReturnData": False},
        {"Id": "rate", "Expression": "100 * errors / reqs", "Label": "error rate", "ReturnData": True},
    ]  # fmt: skip
    f = tmp_path / "m.json"
    f.write_text(json.dumps(queries))
    pinned.ok("alarms", "put", "--alarm-name", "err-rate", "--metrics", f"file://{f}", "--evaluation-periods", "2",
              "--threshold", "5", "--comparison-operator", "GreaterThanThreshold")  # fmt: skip
    for errors in (10, 12):
        pinned.ok("metrics", "put", "--namespace", "App", "--metric-name", "Errors", "--value", str(errors))
        pinned.ok("metrics", "put", "--namespace", "App", "--metric-name", "Requests", "--value", "100")
        pinned.ok("account", "clock", "advance", "1m")
    alarm = pinned.json("alarms", "describe", "--name", "err-rate")["MetricAlarms"][0]
    assert alarm["StateValue"] == "ALARM" and alarm["Metrics"][2]["Expression"] == "100 * errors / reqs"
    assert "12.0" in alarm["StateReason"]
    bad = pinned("alarms", "put", "--alarm-name", "bad", "--metrics", json.dumps(queries[:2]), "--evaluation-periods",
                 "1", "--threshold", "1", "--comparison-operator", "GreaterThanThreshold")  # fmt: skip
    assert bad.exit_code == 2 and "ReturnData" in bad.stderr
    mixed = pinned("alarms", "put", "--alarm-name", "bad", "--metrics", json.dumps(queries), "--namespace", "App",
                   "--evaluation-periods", "1", "--threshold", "1", "--comparison-operator", "GreaterThanThreshold")  # fmt: skip
    assert mixed.exit_code == 2 and "cannot be combined" in mixed.stderr


def test_percentile_alarm_low_sample_ignore_keeps_state(pinned: Cli) -> None:
    pinned.ok("alarms", "put", "--alarm-name", "p99", "--namespace", "App", "--metric-name", "Latency",
              "--extended-statistic", "p99", "--period", "60", "--evaluation-periods", "1", "--threshold", "100",
              "--comparison-operator", "GreaterThanThreshold", "--evaluate-low-sample-count-percentile", "ignore")  # fmt: skip
    pinned.ok("metrics", "put", "--namespace", "App", "--metric-name", "Latency", "--values", "500,600")
    pinned.ok("account", "clock", "advance", "1m")
    assert state(pinned, "p99") == "INSUFFICIENT_DATA"  # 2 samples < 1000: the state is kept
    assert pinned.json("alarms", "explain", "p99")["Branch"] == "low-sample-retained"
    pinned.ok("alarms", "put", "--alarm-name", "p99e", "--namespace", "App", "--metric-name", "Latency",
              "--extended-statistic", "p99", "--period", "60", "--evaluation-periods", "1", "--threshold", "100",
              "--comparison-operator", "GreaterThanThreshold")  # fmt: skip
    pinned.ok("metrics", "put", "--namespace", "App", "--metric-name", "Latency", "--values", "500,600")
    pinned.ok("account", "clock", "advance", "1m")
    assert state(pinned, "p99e") == "ALARM"


def test_high_resolution_alarm_evaluates_every_10_seconds(pinned: Cli) -> None:
    pinned.ok("alarms", "put", "--alarm-name", "fast", "--namespace", "App", "--metric-name", "Hr",
              "--statistic", "Maximum", "--period", "10", "--evaluation-periods", "1", "--threshold", "1",
              "--comparison-operator", "GreaterThanThreshold")  # fmt: skip
    pinned.ok("metrics", "put", "--namespace", "App", "--metric-name", "Hr", "--value", "5", "--storage-resolution", "1")
    pinned.ok("account", "clock", "advance", "10s")
    assert state(pinned, "fast") == "ALARM"
    hist = pinned.json("alarms", "history", "--name", "fast", "--type", "StateUpdate")["AlarmHistoryItems"]
    assert hist[0]["Timestamp"] == "2026-11-20T12:00:10Z"


def test_clock_advance_seven_days_with_alarms_is_fast(pinned: Cli) -> None:
    for i in range(5):
        pinned.ok("alarms", "put", "--alarm-name", f"a{i}", *BASE[:4], "--dimensions", f"Service=s{i}", *BASE[6:],
                  "--treat-missing-data", ("missing", "breaching", "notBreaching", "ignore", "missing")[i])  # fmt: skip
    pinned.ok("alarms", "put", "--alarm-name", "fast", "--namespace", "App", "--metric-name", "Hr",
              "--statistic", "Maximum", "--period", "10", "--evaluation-periods", "1", "--threshold", "1",
              "--comparison-operator", "GreaterThanThreshold")  # fmt: skip
    put_values(pinned, *[500.0] * 5, dims="Service=s0")
    started = time.perf_counter()
    pinned.ok("account", "clock", "advance", "7d")
    elapsed = time.perf_counter() - started
    assert elapsed < 5.0, elapsed
    states = {a["AlarmName"]: a["StateValue"] for a in pinned.json("alarms", "describe")["MetricAlarms"]}
    assert states == {"a0": "INSUFFICIENT_DATA", "a1": "ALARM", "a2": "OK", "a3": "INSUFFICIENT_DATA",
                      "a4": "INSUFFICIENT_DATA", "fast": "INSUFFICIENT_DATA"}  # fmt: skip
    # a new datum after days of silence wakes the sleeping alarm at the next minute
    put_values(pinned, 500, 500, 500, dims="Service=s0")
    assert state(pinned, "a0") == "ALARM"


def test_demo_step_is_idempotent(ctx: Any) -> None:
    from awsmon.services.alarms import DEMO_ALARM, DEMO_COMPOSITE, demo_step

    first = demo_step(ctx)
    second = demo_step(ctx)
    assert first == second and any("alarms explain" in line for line in first)
    data = ctx.client("cloudwatch").describe_alarms(AlarmTypes=["MetricAlarm", "CompositeAlarm"])
    assert [a["AlarmName"] for a in data["MetricAlarms"]] == [DEMO_ALARM]
    assert [a["AlarmName"] for a in data["CompositeAlarms"]] == [DEMO_COMPOSITE]
    subs = ctx.client("sns").list_subscriptions()["Subscriptions"]
    assert len(subs) == 1 and subs[0]["Protocol"] == "file"


def test_actions_suppressor_matches_the_engine_replay() -> None:
    """Random child/suppressor transitions through the scheduler give the actions the pure engine's replay gives."""
    import tempfile
    from datetime import UTC, datetime, timedelta

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from awsmon.context import AppContext
    from awsmon.engines.alarm_rule import simulate_suppressor

    t0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    events = st.lists(st.tuples(st.sampled_from(["child", "sup"]), st.sampled_from(["ALARM", "OK"])),
                      min_size=1, max_size=8)  # fmt: skip

    @settings(max_examples=15, deadline=None)
    @given(events)
    def check(seq: list[tuple[str, str]]) -> None:
        with tempfile.TemporaryDirectory() as home:
            ctx = AppContext.create(backend="local", home=home, output="json")
            try:
                store = ctx.store()
                store.set_clock(t0)
                cw, sns = ctx.client("cloudwatch"), ctx.client("sns")
                topic = sns.create_topic(Name="t")["TopicArn"]
                for name in ("child", "sup"):
                    cw.put_metric_alarm(AlarmName=name, Namespace="N", MetricName=name, Statistic="Sum", Period=60,
                                        EvaluationPeriods=1, Threshold=1.0, TreatMissingData="ignore",
                                        ComparisonOperator="GreaterThanThreshold")  # fmt: skip
                cw.put_composite_alarm(AlarmName="comp", AlarmRule="ALARM(child)", AlarmActions=[topic],
                                       OKActions=[topic], ActionsSuppressor="sup", ActionsSuppressorWaitPeriod=90,
                                       ActionsSuppressorExtensionPeriod=150)  # fmt: skip
                comp_tr: list[tuple[float, str]] = [(t0.timestamp(), "OK")]
                sup_tr: list[tuple[float, str]] = []
                states = {"child": "INSUFFICIENT_DATA", "sup": "INSUFFICIENT_DATA"}
                for i, (name, value) in enumerate(seq, start=1):
                    when = t0 + timedelta(minutes=i)  # timers end at :30, never at an event instant
                    store.set_clock(when)
                    ctx.run_catch_up()
                    cw.set_alarm_state(AlarmName=name, StateValue=value, StateReason="t")
                    if states[name] != value:
                        (sup_tr if name == "sup" else comp_tr).append((when.timestamp(), value))
                        states[name] = value
                until = t0 + timedelta(minutes=len(seq) + 10)
                store.set_clock(until)
                ctx.run_catch_up()
                # a child's "OK" after INSUFFICIENT_DATA keeps the composite OK: not a composite transition
                comp_changes = [comp_tr[0]]
                for t, s in comp_tr[1:]:
                    if s != comp_changes[-1][1]:
                        comp_changes.append((t, s))
                want = simulate_suppressor(comp_changes, sup_tr, wait_period=90, extension_period=150,
                                           until=until.timestamp(), suppressor_initial="INSUFFICIENT_DATA").actions  # fmt: skip
                got = [(d["Timestamp"].timestamp(), d["Subject"].split(":")[0])
                       for d in sns.list_deliveries(TopicArn=topic)["Deliveries"]]  # fmt: skip
                assert got == [(t, s) for t, s in want], (seq, got, want)
            finally:
                ctx.close()

    check()


def test_history_is_kept_two_weeks_also_after_delete(pinned: Cli) -> None:
    pinned.ok("alarms", "put", "--alarm-name", "old", *BASE)
    pinned.ok("alarms", "put-composite", "--alarm-name", "oldc", "--alarm-rule", "ALARM(old)")
    pinned.ok("alarms", "delete", "--alarm-names", "oldc")
    pinned.ok("alarms", "delete", "--alarm-names", "old")
    pinned.ok("account", "clock", "advance", "13d")
    names = {h["AlarmName"] for h in pinned.json("alarms", "history")["AlarmHistoryItems"]}
    assert names == {"old", "oldc"}
    metric_only = pinned.json("alarms", "history", "--alarm-types", "MetricAlarm")["AlarmHistoryItems"]
    assert {h["AlarmName"] for h in metric_only} == {"old"}
    pinned.ok("account", "clock", "advance", "2d")
    assert pinned.json("alarms", "history")["AlarmHistoryItems"] == []


def test_composites_see_all_alarms_evaluated_at_one_instant(pinned: Cli) -> None:
    """a and b both breach at the same minute: 'ALARM(a) AND NOT ALARM(b)' must not flap to ALARM and back."""
    for name, dims in (("a", "Service=a"), ("b", "Service=b")):
        pinned.ok("alarms", "put", "--alarm-name", name, *BASE[:4], "--dimensions", dims, *BASE[6:],
                  "--evaluation-periods", "1", "--treat-missing-data", "notBreaching")  # fmt: skip
    pinned.ok("alarms", "put-composite", "--alarm-name", "c", "--alarm-rule", "ALARM(a) AND NOT ALARM(b)")
    pinned.ok("alarms", "put-composite", "--alarm-name", "top", "--alarm-rule", "ALARM(c) OR ALARM(b)")
    pinned.ok("account", "clock", "advance", "1m")
    assert (state(pinned, "a"), state(pinned, "b"), state(pinned, "c"), state(pinned, "top")) == ("OK", "OK", "OK", "OK")
    for svc in ("Service=a", "Service=b"):
        pinned.ok("metrics", "put", "--namespace", "App", "--metric-name", "Latency", "--value", "500", "-d", svc)
    pinned.ok("account", "clock", "advance", "1m")
    assert (state(pinned, "a"), state(pinned, "b"), state(pinned, "c"), state(pinned, "top")) == (
        "ALARM", "ALARM", "OK", "ALARM")  # fmt: skip
    hist = pinned.json("alarms", "history", "--alarm-name", "c", "--type", "StateUpdate")["AlarmHistoryItems"]
    assert [h["HistorySummary"] for h in hist] == ["Alarm updated from INSUFFICIENT_DATA to OK"]
    top = pinned.json("alarms", "history", "--alarm-name", "top", "--type", "StateUpdate")["AlarmHistoryItems"]
    assert [h["HistorySummary"] for h in top] == ["Alarm updated from OK to ALARM", "Alarm updated from INSUFFICIENT_DATA to OK"]


def test_long_evaluation_range_is_fetched_in_chunks(pinned: Cli) -> None:
    """N = 1440 one-minute periods: the range (1,920 buckets) exceeds one GetMetricStatistics call."""
    pinned.ok("alarms", "put", "--alarm-name", "day", "--namespace", "App", "--metric-name", "Latency",
              "--dimensions", "Service=api", "--statistic", "Maximum", "--period", "60",
              "--evaluation-periods", "1440", "--datapoints-to-alarm", "1", "--threshold", "100",
              "--comparison-operator", "GreaterThanThreshold", "--treat-missing-data", "notBreaching")  # fmt: skip
    pinned.ok("metrics", "put", "--namespace", "App", "--metric-name", "Latency", "--value", "500", "-d", "Service=api",
              "--timestamp", "2026-11-19T13:00:00Z")  # fmt: skip
    pinned.ok("account", "clock", "advance", "1m")
    assert state(pinned, "day") == "ALARM"
    assert pinned.json("alarms", "explain", "day")["EvaluationRange"] == 1920


def test_math_expression_must_reference_known_ids(pinned: Cli) -> None:
    queries = [{"Id": "m1", "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "E"}, "Period": 60,
                                           "Stat": "Sum"}, "ReturnData": False},
               {"Id": "e1", "Expression": "m1 / m2", "ReturnData": True}]  # fmt: skip
    res = pinned("alarms", "put", "--alarm-name", "bad", "--metrics", json.dumps(queries), "--evaluation-periods", "1",
                 "--threshold", "1", "--comparison-operator", "GreaterThanThreshold")  # fmt: skip
    assert res.exit_code == 2 and "references unknown id m2" in res.stderr


def test_failed_evaluation_keeps_state_and_never_blocks_commands(pinned: Cli, monkeypatch: Any) -> None:
    from awsmon.backends.local import cloudwatch_metrics
    from awsmon.errors import ServiceError

    pinned.ok("alarms", "put", "--alarm-name", "a", *BASE)
    put_values(pinned, 5, 5)  # data in range: the alarm is evaluated every minute
    assert state(pinned, "a") == "OK"

    def broken(*args: Any, **kw: Any) -> Any:
        raise ServiceError("InternalFailure", "store unavailable")

    monkeypatch.setattr(cloudwatch_metrics, "query_statistics", broken)
    pinned.ok("account", "clock", "advance", "10m")
    data = pinned.json("alarms", "explain", "a")
    assert data["StateValue"] == "OK"
    assert data["Why"] == "the last evaluation failed, the state was kept: InternalFailure: store unavailable"


def test_high_resolution_alarm_catch_up_after_four_hours_sees_its_data(pinned: Cli) -> None:
    """Regression: evaluations replayed long after the fact read the store as of their own instant (`as_of`), so
    10-second data more than 3 hours old at catch-up time still drives transitions at the right instants."""
    pinned.ok("alarms", "put", "--alarm-name", "fast", "--namespace", "App", "--metric-name", "Hr",
              "--statistic", "Maximum", "--period", "10", "--evaluation-periods", "1", "--threshold", "1",
              "--comparison-operator", "GreaterThanThreshold", "--treat-missing-data", "ignore")  # fmt: skip
    math = [{"Id": "m1", "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "Hr"}, "Period": 10,
                                        "Stat": "Maximum"}, "ReturnData": False},
            {"Id": "e1", "Expression": "m1 * 2", "ReturnData": True}]  # fmt: skip
    pinned.ok("alarms", "put", "--alarm-name", "fast-math", "--metrics", json.dumps(math), "--evaluation-periods", "1",
              "--threshold", "2", "--comparison-operator", "GreaterThanThreshold", "--treat-missing-data", "ignore")  # fmt: skip
    for ts, value in (("2026-11-20T12:30:00Z", 5), ("2026-11-20T13:00:00Z", 0)):  # up to 2 h ahead is accepted
        pinned.ok("metrics", "put", "--namespace", "App", "--metric-name", "Hr", "--value", str(value),
                  "--storage-resolution", "1", "--timestamp", ts)  # fmt: skip
    pinned.ok("account", "clock", "advance", "4h")
    hist = pinned.json("alarms", "history", "--name", "fast", "--type", "StateUpdate", "--oldest-first")
    moves = [(h["Timestamp"], json.loads(h["HistoryData"])["newState"]["stateValue"])
             for h in hist["AlarmHistoryItems"]]  # fmt: skip
    assert moves == [("2026-11-20T12:30:10Z", "ALARM"), ("2026-11-20T13:00:10Z", "OK")]
    hist = pinned.json("alarms", "history", "--name", "fast-math", "--type", "StateUpdate", "--oldest-first")
    assert [h["Timestamp"] for h in hist["AlarmHistoryItems"]] == ["2026-11-20T12:30:10Z", "2026-11-20T13:00:10Z"]
    explain = pinned.json("alarms", "explain", "fast")
    assert explain["StateValue"] == "OK"


def test_auto_scaling_actions_repeat_every_minute_while_the_state_lasts(pinned: Cli) -> None:
    asg = ("arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:1a2b:autoScalingGroupName/web:"
           "policyName/scale-out")  # fmt: skip
    pinned.ok("alarms", "put", "--alarm-name", "scale", *BASE, "--evaluation-periods", "1",
              "--treat-missing-data", "breaching", "--alarm-actions", asg, "--alarm-actions", TOPIC)  # fmt: skip
    pinned.ok("alarms", "put", "--alarm-name", "once", *BASE, "--evaluation-periods", "1",
              "--treat-missing-data", "breaching", "--alarm-actions", TOPIC)  # fmt: skip
    put_values(pinned, 500)  # ALARM at 12:01 (and 12:00 already: no data treated as breaching)

    def times(name: str, arn: str) -> list[str]:
        acts = pinned.json("alarms", "actions", "--alarm-name", name)["Actions"]
        return [a["Timestamp"] for a in acts if a["ActionArn"] == arn]

    pinned.ok("account", "clock", "advance", "3m30s")
    asg_times = times("scale", asg)
    assert asg_times == ["2026-11-20T12:00:00Z", "2026-11-20T12:01:00Z", "2026-11-20T12:02:00Z",
                         "2026-11-20T12:03:00Z", "2026-11-20T12:04:00Z"]  # fmt: skip
    assert times("scale", TOPIC) == ["2026-11-20T12:00:00Z"] and times("once", TOPIC) == ["2026-11-20T12:00:00Z"]
    pinned.ok("account", "clock", "advance", "1d")  # one day in one jump: one repeat per minute, recorded in bulk
    assert len(times("scale", asg)) == 5 + 1440
    pinned.ok("alarms", "disable-actions", "--alarm-names", "scale")
    pinned.ok("account", "clock", "advance", "10m")
    assert len(times("scale", asg)) == 5 + 1440
    pinned.ok("alarms", "enable-actions", "--alarm-names", "scale")
    pinned.ok("account", "clock", "advance", "2m")
    assert len(times("scale", asg)) == 5 + 1440 + 2
    pinned.ok("alarms", "set-state", "--alarm-name", "scale", "--state-value", "OK", "--state-reason", "manual")
    pinned.ok("account", "clock", "advance", "30s")  # back to ALARM at the next evaluation: repeats start again
    assert state(pinned, "scale") == "ALARM"


def test_tags_threshold_metric_id_and_empty_name(pinned: Cli) -> None:
    ok = pinned("alarms", "put", "--alarm-name", "tagged", *BASE, "--tags", "team=web,env=prod", "--tags",
                "Key=a,Value=b")  # fmt: skip
    assert ok.exit_code == 0
    for bad_tag, text in (("aws:x=1", "Tags.member.1.Key is invalid"), ("foo", "invalid --tags value 'foo'")):
        res = pinned("alarms", "put", "--alarm-name", "t2", *BASE, "--tags", bad_tag)
        assert res.exit_code == 2 and text in res.stderr and len(res.stderr.strip().splitlines()) == 1
    band = [{"Id": "m1", "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "L"}, "Period": 60,
                                        "Stat": "Average"}, "ReturnData": True},
            {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)"}]  # fmt: skip
    res = pinned("alarms", "put", "--alarm-name", "t2", "--metrics", json.dumps(band), "--threshold-metric-id", "ad1",
                 "--evaluation-periods", "1", "--comparison-operator", "LessThanLowerOrGreaterThanUpperThreshold")  # fmt: skip
    assert res.exit_code == 0, res.stderr  # anomaly-detection alarms are evaluated locally (engines/anomaly.py)
    res = pinned("alarms", "put", "--alarm-name", "t3", "--metrics", json.dumps(band), "--threshold-metric-id", "m1",
                 "--evaluation-periods", "1", "--comparison-operator", "LessThanLowerOrGreaterThanUpperThreshold")  # fmt: skip
    assert res.exit_code == 2 and "ad1 must be referenced by ThresholdMetricId" in res.stderr
    res = pinned("alarms", "put", "--alarm-name", "", *BASE)
    assert res.exit_code == 2 and "Value '' at 'alarmName'" in res.stderr and "length greater than" in res.stderr
    names = pinned.json("alarms", "describe", "--query", "MetricAlarms[].AlarmName")
    assert names == ["t2", "tagged"]


def _evaluation_pass_steps(ctx: Any, k: int) -> int:
    """SQLite VM steps (in units of 100) of one evaluation pass over ``k`` alarms that all transition."""
    from datetime import UTC, datetime, timedelta

    from awsmon.backends.local.cloudwatch_alarms import AlarmEngine
    from awsmon.backends.local.cloudwatch_metrics import store_datapoints

    store = ctx.store()
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    store.set_clock(now)
    with store.transaction():
        for i in range(k):
            store_datapoints(store, "us-east-1", "Scale", f"m{i}", {}, now - timedelta(minutes=1), [500.0])
    cw = ctx.client("cloudwatch")
    for i in range(k):
        cw.put_metric_alarm(AlarmName=f"s{i:04d}", Namespace="Scale", MetricName=f"m{i}", Statistic="Maximum",
                            Period=60, EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold")  # fmt: skip
    steps = [0]

    def tick() -> int:
        steps[0] += 1
        return 0

    store.conn.set_progress_handler(tick, 100)
    try:
        with store.transaction():
            AlarmEngine(store, "us-east-1").run(int(now.timestamp() * 1000), int(now.timestamp() * 1000))
    finally:
        store.conn.set_progress_handler(None, 100)
    assert store.conn.execute("SELECT count(*) FROM alarms WHERE state_value = 'ALARM'").fetchone()[0] == k
    return steps[0]


def test_evaluation_pass_cost_is_linear_in_alarms(tmp_path: Path) -> None:
    """Regression: the per-alarm suppressor lookup and the per-instant alarm selection scanned every alarm (the
    planner used the primary key for ORDER BY name), making a pass quadratic: 1,000 alarms took 1 s, now 0.3 s."""
    from awsmon.context import AppContext

    costs = []
    for k in (60, 240):
        c = AppContext.create(backend="local", home=str(tmp_path / str(k)), output="json")
        try:
            costs.append(_evaluation_pass_steps(c, k))
        finally:
            c.close()
    assert costs[1] < 5.5 * costs[0], costs  # linear: ~4x for 4x the alarms; quadratic would be ~16x


def test_transitions_reach_eventbridge_rules_as_alarm_state_change_events(pinned: Cli) -> None:
    pattern = json.dumps({"source": ["aws.cloudwatch"], "detail-type": ["CloudWatch Alarm State Change"],
                          "detail": {"state": {"value": ["ALARM"]}}})  # fmt: skip
    pinned.ok("rules", "put", "--name", "alarm-watch", "--event-pattern", pattern)
    pinned.ok("rules", "put-targets", "--rule", "alarm-watch", "--targets",
              "Id=q,Arn=arn:aws:sqs:us-east-1:123456789012:q")  # fmt: skip
    pinned.ok("alarms", "put", "--alarm-name", "api-slow", *BASE, "--no-actions-enabled")
    put_values(pinned, 150, 160, 170)  # INSUFFICIENT_DATA -> ALARM (the earlier -> OK does not match the pattern)
    out = pinned.json("rules", "deliveries", "--rule", "alarm-watch")["Deliveries"]
    assert len(out) == 1
    event = json.loads(out[0]["Input"])
    assert event["detail-type"] == "CloudWatch Alarm State Change" and event["source"] == "aws.cloudwatch"
    assert event["resources"] == ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:api-slow"]
    assert event["time"] == "2026-11-20T12:03:00Z"
    detail = event["detail"]
    assert detail["alarmName"] == "api-slow" and detail["state"]["value"] == "ALARM"
    assert detail["previousState"]["value"] in ("OK", "INSUFFICIENT_DATA")
    assert "Threshold Crossed" in detail["state"]["reason"]
    assert detail["configuration"]["metrics"][0]["metricStat"]["metric"]["name"] == "Latency"


def test_thirty_second_alarm_keeps_its_bucket_grid_between_10s_instants(pinned: Cli) -> None:
    """Regression: at 10-second instants that are not multiples of the 30-second period, the store rounded the
    query's StartTime to the period, so the buckets missed the alarm's grid and it flapped to INSUFFICIENT_DATA."""
    pinned.ok("alarms", "put", "--alarm-name", "hr", "--namespace", "App", "--metric-name", "H", "--statistic", "Sum",
              "--period", "30", "--evaluation-periods", "2", "--threshold", "5",
              "--comparison-operator", "GreaterThanOrEqualToThreshold")  # fmt: skip
    data = [{"MetricName": "H", "Value": 1, "StorageResolution": 1, "Timestamp": f"2026-11-20T12:0{s // 60}:{s % 60:02d}Z"}
            for s in range(0, 120, 5)]  # fmt: skip
    pinned.ok("metrics", "put", "-n", "App", "--metric-data", json.dumps(data))
    pinned.ok("account", "clock", "advance", "2m")
    hist = pinned.json("alarms", "history", "--name", "hr", "--type", "StateUpdate", "--oldest-first")
    moves = [(h["Timestamp"], json.loads(h["HistoryData"])["newState"]["stateValue"])
             for h in hist["AlarmHistoryItems"]]  # fmt: skip
    assert moves == [("2026-11-20T12:00:10Z", "OK"), ("2026-11-20T12:01:00Z", "ALARM")]


def test_malformed_metrics_items_empty_rule_and_item_counts_are_usage_errors(pinned: Cli) -> None:
    # Regression: a Metrics list of non-objects crashed with "unexpected AttributeError" (exit 1); --max-items 0
    # or negative was accepted; an empty AlarmRule was reported as null.
    res = pinned("alarms", "put", "--alarm-name", "x", "--metrics", "[1,2]", "--evaluation-periods", "1",
                 "--threshold", "1", "--comparison-operator", "GreaterThanThreshold")  # fmt: skip
    assert res.exit_code == 2 and "Metrics.member.1 is invalid" in res.stderr and "Traceback" not in res.stderr
    res = pinned("alarms", "put-composite", "--alarm-name", "x", "--alarm-rule", "")
    assert res.exit_code == 2 and "Value '' at 'alarmRule'" in res.stderr
    for args in (["alarms", "history", "--max-items", "0"], ["alarms", "topics", "deliveries", "--max-items", "0"],
                 ["metrics", "list", "--max-items", "-1"]):  # fmt: skip
        res = pinned(*args)
        assert res.exit_code == 2 and "--max-items" in res.stderr
    assert pinned.json("alarms", "describe")["MetricAlarms"] == []


def test_alarm_metrics_items_of_the_wrong_type_are_rejected(pinned: Cli) -> None:
    # Regression: MetricStat "x" crashed (AttributeError, exit 1); ReturnData "yes" was accepted as true.
    stat = {"Metric": {"Namespace": "A", "MetricName": "M"}, "Period": 60, "Stat": "Sum"}
    for queries, text in (([{"Id": "m1", "MetricStat": "x", "ReturnData": True}], "must be a MetricStat structure"),
                          ([{"Id": "m1", "MetricStat": stat, "ReturnData": "yes"}], "ReturnData is invalid"),
                          ([{"Id": "e1", "Expression": 7, "ReturnData": True}], "Expression is invalid")):  # fmt: skip
        res = pinned("alarms", "put", "--alarm-name", "x", "--metrics", json.dumps(queries), "--evaluation-periods",
                     "1", "--threshold", "1", "--comparison-operator", "GreaterThanThreshold")  # fmt: skip
        assert res.exit_code == 2 and text in res.stderr, res.stderr
    assert pinned.json("alarms", "describe")["MetricAlarms"] == []


def test_ten_second_alarm_with_a_range_longer_than_three_hours_sees_recent_data(pinned: Cli) -> None:
    """Regression: a 10-second alarm whose evaluation range reaches back more than 3 hours (N = 900: 1,200
    buckets) asked the store for a range too old for sub-minute periods and never saw any data."""
    pinned.ok("alarms", "put", "--alarm-name", "long-hr", "--namespace", "App", "--metric-name", "Hr",
              "--statistic", "Maximum", "--period", "10", "--evaluation-periods", "900", "--datapoints-to-alarm", "1",
              "--threshold", "1", "--comparison-operator", "GreaterThanThreshold")  # fmt: skip
    pinned.ok("metrics", "put", "--namespace", "App", "--metric-name", "Hr", "--value", "5", "--storage-resolution", "1")
    pinned.ok("account", "clock", "advance", "10s")
    assert state(pinned, "long-hr") == "ALARM"
    explain = pinned.json("alarms", "explain", "long-hr")
    assert explain["EvaluationRange"] == 1200 and explain["RealDatapoints"] == 1


def test_describe_for_metric_filters_and_rejects_bad_statistics(pinned: Cli) -> None:
    pinned.ok("alarms", "put", "--alarm-name", "api-slow", *BASE)
    base = ["alarms", "describe-for-metric", "--namespace", "App", "--metric-name", "Latency", "--dimensions",
            "Service=api"]  # fmt: skip
    names = pinned.json(*base, "--statistic", "Maximum", "--query", "MetricAlarms[].AlarmName")
    assert names == ["api-slow"]
    assert pinned.json(*base, "--statistic", "Sum")["MetricAlarms"] == []
    for args, text in ((["--statistic", "Bogus"], "Statistic is invalid"),
                       (["--extended-statistic", "p101"], "ExtendedStatistic is invalid"),
                       (["--unit", "Parsecs"], "Unit is invalid")):  # fmt: skip
        res = pinned(*base, *args)  # regression: silently answered "no alarms"
        assert res.exit_code == 2 and text in res.stderr
