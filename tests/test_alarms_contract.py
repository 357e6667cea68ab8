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


def test_aws_explain_fetches_long_ranges_in_chunks_and_sub_minute_grids_aws_can_return() -> None:
    """Regression (aws backend): a 1,440-period alarm's evaluation range (1,920 buckets) went to GetMetricStatistics
    in one call (AWS refuses more than 1,440 datapoints), and a 30-second alarm at an instant that is not a multiple
    of 30 s asked for a grid CloudWatch's StartTime rounding would shift."""
    from datetime import UTC, datetime

    from awsmon.services.alarms import _reevaluate_aws

    calls: list[dict[str, object]] = []

    class Client:
        def get_metric_statistics(self, **kw: object) -> dict[str, object]:
            start, end, period = kw["StartTime"], kw["EndTime"], int(kw["Period"])  # type: ignore[call-overload]
            assert (end - start).total_seconds() / period <= 1440  # type: ignore[operator]
            calls.append(kw)
            n = int((end - start).total_seconds() // period)  # type: ignore[operator]
            stamps = [start.timestamp() + i * period for i in range(n)]  # type: ignore[attr-defined]
            return {"Datapoints": [{"Timestamp": datetime.fromtimestamp(s, UTC), "Maximum": 5.0, "SampleCount": 1.0}
                                   for s in stamps]}  # fmt: skip

    class Ctx:
        def __init__(self, now: str) -> None:
            self._now = datetime.fromisoformat(now)

        def now(self) -> datetime:
            return self._now

        def client(self, name: str) -> Client:
            return Client()

    alarm = {"AlarmName": "long", "Namespace": "App", "MetricName": "M", "Statistic": "Maximum", "Period": 60,
             "EvaluationPeriods": 1440, "Threshold": 1.0, "ComparisonOperator": "GreaterThanThreshold"}  # fmt: skip
    rec = _reevaluate_aws(Ctx("2026-11-20T12:00:05+00:00"), alarm)  # type: ignore[arg-type]
    assert len(calls) == 2 and rec["Explain"]["real_count"] == 1920
    calls.clear()
    fast = {**alarm, "Period": 30, "EvaluationPeriods": 2}
    rec = _reevaluate_aws(Ctx("2026-11-20T12:00:47+00:00"), fast)  # type: ignore[arg-type]
    start = calls[0]["StartTime"]
    assert start.second % 30 == 0 and rec["Explain"]["real_count"] == 4  # type: ignore[attr-defined]
