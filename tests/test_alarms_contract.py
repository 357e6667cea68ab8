"""Contract tests: the same alarm commands against the local backend and a real moto server (where moto implements
the operation: no composite alarms and no history in moto, and no evaluation engine, spec §5.1)."""

from __future__ import annotations

from tests.conftest import Cli

PUT = ["alarms", "put", "--alarm-name", "c-cpu", "--namespace", "Contract", "--metric-name", "Cpu",
       "--dimensions", "Host=h1", "--statistic", "Average", "--period", "60", "--evaluation-periods", "2",
       "--datapoints-to-alarm", "1", "--threshold", "80", "--comparison-operator", "GreaterThanOrEqualToThreshold",
       "--treat-missing-data", "ignore", "--alarm-description", "contract"]  # fmt: skip


def test_put_describe_set_state_delete(backend_cli: Cli) -> None:
    backend_cli.ok(*PUT)
    data = backend_cli.json("alarms", "describe", "--alarm-names", "c-cpu")
    a = data["MetricAlarms"][0]
    for key, value in {"AlarmName": "c-cpu", "Namespace": "Contract", "MetricName": "Cpu", "Statistic": "Average",
                       "Period": 60, "EvaluationPeriods": 2, "DatapointsToAlarm": 1, "Threshold": 80.0,
                       "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "ignore",
                       "AlarmDescription": "contract", "ActionsEnabled": True}.items():  # fmt: skip
        assert a[key] == value, key
    assert a["Dimensions"] == [{"Name": "Host", "Value": "h1"}]
    assert a["AlarmArn"].endswith(":alarm:c-cpu")
    by_prefix = backend_cli.json("alarms", "describe", "--alarm-name-prefix", "c-")["MetricAlarms"]
    assert [x["AlarmName"] for x in by_prefix] == ["c-cpu"]
    backend_cli.ok("alarms", "set-state", "--alarm-name", "c-cpu", "--state-value", "ALARM", "--state-reason", "drill")
    a = backend_cli.json("alarms", "describe", "--alarm-names", "c-cpu")["MetricAlarms"][0]
    assert (a["StateValue"], a["StateReason"]) == ("ALARM", "drill")
    assert [x["AlarmName"] for x in backend_cli.json("alarms", "describe", "--state-value", "ALARM")["MetricAlarms"]] == ["c-cpu"]
    res = backend_cli("alarms", "check", "--name", "c-cpu")
    assert res.exit_code == 3 and "c-cpu" in res.stdout
    backend_cli.ok("alarms", "disable-actions", "--alarm-names", "c-cpu")
    assert backend_cli.json("alarms", "describe", "--name", "c-cpu")["MetricAlarms"][0]["ActionsEnabled"] is False
    backend_cli.ok("alarms", "enable-actions", "--alarm-names", "c-cpu")
    assert backend_cli.json("alarms", "describe", "--name", "c-cpu")["MetricAlarms"][0]["ActionsEnabled"] is True
    backend_cli.ok("alarms", "delete", "--alarm-names", "c-cpu")
    assert backend_cli.json("alarms", "describe")["MetricAlarms"] == []


def test_explain_reruns_the_rule_over_backend_datapoints(backend_cli: Cli) -> None:
    backend_cli.ok(*PUT)
    data = backend_cli.json("alarms", "explain", "c-cpu")
    assert data["AlarmName"] == "c-cpu" and data["EvaluationRange"] == 4
    assert data["TreatMissingData"] == "ignore" and len(data["Datapoints"]) == 4
    assert data["RealDatapoints"] == 0 and data["Retained"] is True


def test_unknown_alarm_errors(backend_cli: Cli) -> None:
    res = backend_cli("alarms", "set-state", "--alarm-name", "ghost", "--state-value", "OK", "--state-reason", "x")
    assert res.exit_code == 1 and "ResourceNotFound" in res.stderr
    missing = backend_cli("alarms", "explain", "ghost")
    assert missing.exit_code == 1 and "ghost" in missing.stderr


def test_history_local(pinned: Cli) -> None:
    """DescribeAlarmHistory (not implemented by moto): the local backend's shape and filters."""
    pinned.ok(*PUT)
    pinned.ok("alarms", "set-state", "--alarm-name", "c-cpu", "--state-value", "ALARM", "--state-reason", "drill")
    items = pinned.json("alarms", "history", "--alarm-name", "c-cpu", "--start-date", "2026-11-20T11:00:00Z",
                        "--end-date", "2026-11-20T13:00:00Z")["AlarmHistoryItems"]  # fmt: skip
    assert [i["HistoryItemType"] for i in items] == ["StateUpdate", "ConfigurationUpdate"]
    assert set(items[0]) == {"AlarmName", "AlarmType", "Timestamp", "HistoryItemType", "HistorySummary", "HistoryData"}
    assert pinned.json("alarms", "history", "--end-date", "2026-11-20T11:00:00Z")["AlarmHistoryItems"] == []
    bad = pinned("alarms", "history", "--history-item-type", "Nope")
    assert bad.exit_code == 2 and "HistoryItemType" in bad.stderr


def test_operations_moto_lacks_fail_in_one_line(cli: Cli, moto_env: dict[str, str]) -> None:
    """Regression: moto answers PutCompositeAlarm/DescribeAlarmHistory with an HTML error page, which was printed
    line by line; the error is now one line naming the operation."""
    moto = Cli({**cli.env, **moto_env})
    moto.ok(*PUT)
    for args, op in ((["alarms", "history", "--alarm-name", "c-cpu"], "DescribeAlarmHistory"),
                     (["alarms", "put-composite", "--alarm-name", "cc", "--alarm-rule", "ALARM(c-cpu)"],
                      "PutCompositeAlarm")):  # fmt: skip
        res = moto(*args)
        assert res.exit_code == 1 and "Traceback" not in res.stderr
        assert len(res.stderr.strip().splitlines()) == 1 and f"{op} failed" in res.stderr and "<" not in res.stderr
