"""AWS/Usage on the simulated clock (CallCount, ResourceCount), SERVICE_QUOTA(m) in metric math and alarms, and
SEARCH refused in alarms — through the CLI on the local backend; pass-through contract on moto."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Cli

USAGE_TRAILS = [{"Name": "Service", "Value": "CloudTrail"}, {"Name": "Type", "Value": "Resource"},
                {"Name": "Resource", "Value": "Trail"}, {"Name": "Class", "Value": "None"}]  # fmt: skip


def _calls(op: str, service: str = "CloudWatch") -> list[str]:
    return ["-d", f"Service={service}", "-d", "Type=API", "-d", f"Resource={op}", "-d", "Class=None"]


def _quota_alarm_metrics(tmp_path: Path, dims: list[dict[str, str]] = USAGE_TRAILS) -> str:
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps([
        {"Id": "m1", "ReturnData": False, "MetricStat": {"Metric": {"Namespace": "AWS/Usage",
         "MetricName": "ResourceCount", "Dimensions": dims}, "Period": 60, "Stat": "Maximum"}},
        {"Id": "e1", "Expression": "(m1/SERVICE_QUOTA(m1))*100", "Label": "% of the trail quota"},
    ]))  # fmt: skip
    return f"file://{path}"


def test_call_count_per_minute_with_aws_dimensions(pinned: Cli, tmp_path: Path) -> None:
    for v in (1, 2, 3):
        pinned.ok("metrics", "put", "-n", "App", "--metric-name", "Hits", "--value", str(v))
    pinned.ok("logs", "put-events", "--group", "/app", "--stream", "s", "-m", "hello", "--create")
    pinned.ok("sqs", "create-queue", "--queue-name", "q1")  # SQS: no CallCount locally (AWS's names unknown)
    # Imported history is not the account's own calls: it must not count.
    rec = {"eventVersion": "1.10", "eventTime": "2026-11-20T12:00:10Z", "eventSource": "monitoring.amazonaws.com",
           "eventName": "PutMetricData", "awsRegion": "us-east-1", "eventID": "imported-1", "readOnly": False,
           "userIdentity": {"type": "IAMUser", "userName": "bob"}}  # fmt: skip
    (tmp_path / "old.json").write_text(json.dumps({"Records": [rec]}))
    pinned.ok("trail", "import", str(tmp_path / "old.json"))
    pinned.ok("account", "clock", "advance", "90s")
    got = pinned.json("metrics", "get", "-n", "AWS/Usage", "--metric-name", "CallCount", *_calls("PutMetricData"),
                      "--start", "10m", "--period", "60", "-s", "Sum")["Datapoints"]  # fmt: skip
    assert [(d["Timestamp"], d["Sum"], d["Unit"]) for d in got] == [("2026-11-20T12:00:00Z", 3.0, "None")]
    logs = pinned.json("metrics", "get", "-n", "AWS/Usage", "--metric-name", "CallCount",
                       *_calls("PutLogEvents", "Logs"), "--start", "10m", "--period", "60", "-s", "Sum")  # fmt: skip
    assert [d["Sum"] for d in logs["Datapoints"]] == [1.0]
    names = {(m["MetricName"], tuple(sorted((d["Name"], d["Value"]) for d in m["Dimensions"])))
             for m in pinned.json("metrics", "list", "-n", "AWS/Usage")["Metrics"]}  # fmt: skip
    services = {dict(dims)["Service"] for _, dims in names}
    assert services == {"CloudWatch", "Logs"}  # no SQS, and nothing for Service Quotas/account commands
    assert all(dict(dims)["Type"] == "API" and dict(dims)["Class"] == "None" for _, dims in names)


def test_calls_of_later_minutes_are_counted_in_their_minute(pinned: Cli) -> None:
    pinned.ok("metrics", "put", "-n", "App", "--metric-name", "Hits", "--value", "1")
    pinned.ok("account", "clock", "advance", "2m")
    pinned.ok("metrics", "put", "-n", "App", "--metric-name", "Hits", "--value", "1")
    pinned.ok("metrics", "put", "-n", "App", "--metric-name", "Hits", "--value", "1")
    pinned.ok("account", "clock", "advance", "3h")  # a jump: one run publishes every minute due
    got = pinned.json("metrics", "get", "-n", "AWS/Usage", "--metric-name", "CallCount", *_calls("PutMetricData"),
                      "--start", "2026-11-20T11:59:00Z", "--end", "2026-11-20T12:10:00Z", "--period", "60",
                      "-s", "Sum")["Datapoints"]  # fmt: skip
    assert [(d["Timestamp"], d["Sum"]) for d in got] == [("2026-11-20T12:00:00Z", 1.0), ("2026-11-20T12:02:00Z", 2.0)]


def test_alarm_at_80_percent_of_the_trail_quota(pinned: Cli, tmp_path: Path) -> None:
    """The notes' "alarm on usage against limits": ResourceCount / SERVICE_QUOTA * 100 > 80 goes to ALARM."""
    for i in range(3):
        pinned.ok("trail", "create", "--name", f"trail-{i}", "--s3-new-bucket", f"trail-bucket-{i}")
    pinned.ok("alarms", "put", "--alarm-name", "trails-80", "--metrics", _quota_alarm_metrics(tmp_path),
              "--evaluation-periods", "1", "--threshold", "80", "--comparison-operator", "GreaterThanThreshold")
    pinned.ok("account", "clock", "advance", "2m")
    alarm = pinned.json("alarms", "describe", "--alarm-names", "trails-80")["MetricAlarms"][0]
    assert alarm["StateValue"] == "OK" and "[60.0 " in alarm["StateReason"]
    pinned.ok("trail", "create", "--name", "trail-3", "--s3-new-bucket", "trail-bucket-3")
    pinned.ok("trail", "create", "--name", "trail-4", "--s3-new-bucket", "trail-bucket-4")
    pinned.ok("account", "clock", "advance", "2m")
    alarm = pinned.json("alarms", "describe", "--alarm-names", "trails-80")["MetricAlarms"][0]
    assert alarm["StateValue"] == "ALARM" and "[100.0 " in alarm["StateReason"]
    assert alarm["Metrics"][1]["Expression"] == "(m1/SERVICE_QUOTA(m1))*100"
    usage = pinned.json("metrics", "get", "-n", "AWS/Usage", "--metric-name", "ResourceCount", "-d",
                        "Service=CloudTrail,Type=Resource,Resource=Trail,Class=None", "--start", "10m",
                        "--period", "60", "-s", "Maximum")["Datapoints"]  # fmt: skip
    assert [d["Maximum"] for d in usage] == [3.0, 3.0, 5.0, 5.0]
    # Deleting trails brings the count (and the alarm) back down.
    for i in range(4):
        pinned.ok("trail", "delete", "--name", f"trail-{i}")
    pinned.ok("account", "clock", "advance", "2m")
    assert pinned.json("alarms", "describe", "--alarm-names", "trails-80")["MetricAlarms"][0]["StateValue"] == "OK"


def test_service_quota_in_get_metric_data(pinned: Cli, tmp_path: Path) -> None:
    pinned.ok("trail", "create", "--name", "main-trail", "--s3-new-bucket", "main-trail-bucket")
    pinned.ok("metrics", "put", "-n", "App", "--metric-name", "Hits", "--value", "1")
    pinned.ok("account", "clock", "advance", "3m")
    queries = [
        {"Id": "m1", "MetricStat": {"Metric": {"Namespace": "AWS/Usage", "MetricName": "ResourceCount",
                                               "Dimensions": USAGE_TRAILS}, "Period": 60, "Stat": "Maximum"}},
        {"Id": "q", "Expression": "SERVICE_QUOTA(m1)"},
        {"Id": "c", "MetricStat": {"Metric": {"Namespace": "AWS/Usage", "MetricName": "CallCount",
                                              "Dimensions": [{"Name": k, "Value": v} for k, v in
                                                             {"Service": "CloudWatch", "Type": "API", "Resource":
                                                              "PutMetricData", "Class": "None"}.items()]},
                                   "Period": 60, "Stat": "Sum"}},
        {"Id": "rate", "Expression": "(c/PERIOD(c))/SERVICE_QUOTA(c)*100"},
        {"Id": "h", "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "Hits"}, "Period": 60, "Stat": "Sum"}},
        {"Id": "none", "Expression": "SERVICE_QUOTA(h)"},
    ]  # fmt: skip
    (tmp_path / "q.json").write_text(json.dumps(queries))
    res = {r["Id"]: r for r in pinned.json("metrics", "get-data", "--queries", f"file://{tmp_path / 'q.json'}",
                                          "--start", "5m")["MetricDataResults"]}  # fmt: skip
    assert res["q"]["Values"] == [5.0, 5.0, 5.0] and res["q"]["Timestamps"] == res["m1"]["Timestamps"]
    assert res["rate"]["Values"] == [pytest.approx(1 / 60 / 500 * 100)]  # 1 call in a minute against 500/s
    assert res["none"]["Values"] == []  # not a usage metric: no quota, no data
    bad = [*queries[:1], {"Id": "e", "Expression": "SERVICE_QUOTA(m1*2)"}]
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    r = pinned("metrics", "get-data", "--queries", f"file://{tmp_path / 'bad.json'}", "--start", "5m")
    assert r.exit_code == 2 and "SERVICE_QUOTA expects the id of a metric" in r.stderr


def test_search_is_refused_in_alarms_with_awss_error(pinned: Cli, tmp_path: Path) -> None:
    path = tmp_path / "search.json"
    path.write_text(json.dumps([{"Id": "e1", "Period": 300, "Expression":
                                 "SEARCH('{AWS/EC2,InstanceId} MetricName=\"CPUUtilization\"', 'Average', 300)"}]))  # fmt: skip
    r = pinned("alarms", "put", "--alarm-name", "fleet-cpu", "--metrics", f"file://{path}", "--evaluation-periods", "1",
               "--threshold", "80", "--comparison-operator", "GreaterThanThreshold")  # fmt: skip
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr == "awsmon: error: ValidationError: SEARCH is not supported on Metric Alarms\n"
    assert pinned.json("alarms", "describe")["MetricAlarms"] == []
    # ...also when SEARCH is nested in another expression; the word in an id or label is not SEARCH().
    path.write_text(json.dumps([
        {"Id": "e1", "Expression": "MAX(SEARCH('{AWS/EC2,InstanceId} cpu', 'Average', 300))"},
        {"Id": "m1", "ReturnData": False, "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "Hits"},
                                                         "Period": 300, "Stat": "Sum"}}]))  # fmt: skip
    r = pinned("alarms", "put", "--alarm-name", "fleet-cpu", "--metrics", f"file://{path}", "--evaluation-periods", "1",
               "--threshold", "80", "--comparison-operator", "GreaterThanThreshold")  # fmt: skip
    assert r.exit_code == 2 and "SEARCH is not supported on Metric Alarms" in r.stderr
    path.write_text(json.dumps([
        {"Id": "research", "Label": "SEARCH results", "Expression": "m1 * 2"},
        {"Id": "m1", "ReturnData": False, "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "Hits"},
                                                         "Period": 300, "Stat": "Sum"}}]))  # fmt: skip
    pinned.ok("alarms", "put", "--alarm-name", "research", "--metrics", f"file://{path}", "--evaluation-periods", "1",
              "--threshold", "80", "--comparison-operator", "GreaterThanThreshold")  # fmt: skip


def test_contract_service_quota_alarm_is_passed_through(backend_cli: Cli, tmp_path: Path) -> None:
    """Both backends store the SERVICE_QUOTA alarm as given (AWS evaluates SERVICE_QUOTA natively). moto stores
    metric-math alarms without evaluating them, so only the round trip is comparable there."""
    backend_cli.ok("alarms", "put", "--alarm-name", "trail-quota", "--metrics", _quota_alarm_metrics(tmp_path),
                   "--evaluation-periods", "1", "--threshold", "80", "--comparison-operator", "GreaterThanThreshold")
    alarm = backend_cli.json("alarms", "describe", "--alarm-names", "trail-quota")["MetricAlarms"][0]
    assert [q["Id"] for q in alarm["Metrics"]] == ["m1", "e1"]
    assert alarm["Metrics"][1]["Expression"] == "(m1/SERVICE_QUOTA(m1))*100"
    assert alarm["Metrics"][0]["MetricStat"]["Metric"]["Namespace"] == "AWS/Usage"
