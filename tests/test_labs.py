"""awsmon demo --lab: each course lab end to end, every consequence asserted; all labs together under 10 s."""

from __future__ import annotations

import json
import shlex
import time
from typing import Any

import pytest

from awsmon.services.labs import LAB_ACCOUNTS, LABS


def _lab(cli: Any, name: str) -> dict[str, Any]:
    data = cli.json("demo", "--lab", name)
    assert data["Lab"] == name and data["AccountId"] == LAB_ACCOUNTS[name]
    assert data["Happened"] and data["LookNext"]
    return data


def _look_next_runs(cli: Any, data: dict[str, Any], tmp_path: Any) -> None:
    """Every 'look next' command the lab prints works on the lab's account."""
    for line in data["LookNext"]:
        command = line.split("   # ", 1)[0]
        words = shlex.split(command)
        assert words[0] == "awsmon"
        words = [str(tmp_path / w) if w == "response.json" else w for w in words[1:]]
        cli.ok(*words, "-o", "json")


def _acct(name: str) -> list[str]:
    return ["--account", LAB_ACCOUNTS[name]]


def test_list(cli: Any) -> None:
    labs = cli.json("demo", "--list")["Labs"]
    assert [lab["Name"] for lab in labs] == list(LABS)
    table = cli.ok("demo", "--list", "-o", "table").stdout
    assert "ec2-stopped-sns" in table and "config-compliance" in table


def test_unknown_lab(cli: Any) -> None:
    res = cli("demo", "--lab", "nope")
    assert res.exit_code == 2 and "unknown lab 'nope'" in res.stderr
    res = cli("demo", "--lab", "")  # was the demo itself, built silently (exit 0)
    assert res.exit_code == 2 and "unknown lab ''" in res.stderr and not res.stdout


def test_ec2_stopped_sns(cli: Any, tmp_path: Any) -> None:
    data = _lab(cli, "ec2-stopped-sns")
    c = data["Checks"]
    iid = c["InstanceId"]
    assert c["State"] == "stopped" and c["Deliveries"] == 6 and c["Protocols"] == ["email", "sms"]
    full = [json.loads(m) for m in c["Messages"] if m.startswith("{") and "detail-type" in m]
    assert len(full) == 1 and full[0]["detail"] == {"instance-id": iid, "state": "stopped"}
    assert full[0]["source"] == "aws.ec2" and full[0]["detail-type"] == "EC2 Instance State-change Notification"
    parsed = [json.loads(m) for m in c["Messages"] if m.startswith("{")]
    assert {"instance-id": iid, "state": "stopped"} in parsed  # InputPath $.detail
    assert f'"The EC2 instance {iid} has changed state to stopped."' in c["Messages"]
    assert len(c["Messages"]) == 3
    # the same outbox through the CLI a student would use
    outbox = cli.json(*_acct("ec2-stopped-sns"), "alarms", "topics", "deliveries", "--topic", "ec2-state-alerts")
    rows = outbox.get("Deliveries") or outbox.get("Items") or []
    # the email subscription's SubscriptionConfirmation message comes first, then the 6 notifications
    assert rows[0]["Subject"] == "AWS Notification - Subscription Confirmation" and len(rows) == 7
    _look_next_runs(cli, data, tmp_path)


def test_ec2_custom_logs(cli: Any, tmp_path: Any) -> None:
    data = _lab(cli, "ec2-custom-logs")
    c = data["Checks"]
    assert c["Shipped"] == 19 and c["Events"] == 19 and c["ResentAfterRestart"] == 0
    assert c["FirstMessage"].startswith("Nov 20 11:40:01 ip-172-31-16-25 systemd[1]: Started Session 12")
    assert c["FirstTimestamp"] == 1795174801000  # 2026-11-20T11:40:01Z, parsed with %b %d %H:%M:%S
    assert len(c["MultiLine"]) == 1 and c["MultiLine"][0].count("\n") == 3  # the kernel call trace stays one event
    streams = cli.json(*_acct("ec2-custom-logs"), "logs", "describe-streams", "--group", "/var/log/messages")
    assert [s["logStreamName"] for s in streams["logStreams"]] == [c["InstanceId"]]
    _look_next_runs(cli, data, tmp_path)


def test_s3_access_alerts(cli: Any, tmp_path: Any) -> None:
    data = _lab(cli, "s3-access-alerts")
    c = data["Checks"]
    assert c["AlarmState"] == "ALARM" and c["Notifications"] == 1
    assert c["Subjects"][0].startswith('ALARM: "s3-object-access"')
    acct = _acct("s3-access-alerts")
    events = cli.json(*acct, "logs", "filter", "--group", "CloudTrail/DefaultLogGroup", "--pattern",
                      "{ $.eventCategory = Data }")["events"]
    names = sorted(json.loads(e["message"])["eventName"] for e in events)
    assert names == ["GetObject"] * 3 + ["PutObject"] * 3
    stats = cli.json(*acct, "metrics", "get", "--namespace", "CloudTrailMetrics", "--metric-name", "S3ObjectAccessCount",
                     "--statistics", "Sum", "--period", "3600", "--start-time", "2026-11-20T11:00:00Z",
                     "--end-time", "2026-11-20T13:00:00Z")
    assert sum(d["Sum"] for d in stats["Datapoints"]) == 6
    _look_next_runs(cli, data, tmp_path)


def test_lambda_cli(cli: Any, tmp_path: Any) -> None:
    data = _lab(cli, "lambda-cli")
    c = data["Checks"]
    assert c["Response"] == {"statusCode": 200, "body": "Hello, SysOps!"}
    assert c["FunctionError"] == "Unhandled" and c["ErrorType"] == "ValueError"
    assert c["Streams"] == 2 and c["Reports"] == 2
    assert c["Metrics"] == {"Invocations": 2.0, "Errors": 1.0}
    assert len(c["LoggedInfo"]) == 1 and "greeting SysOps" in c["LoggedInfo"][0]
    _look_next_runs(cli, data, tmp_path)
    assert json.loads((tmp_path / "response.json").read_text()) == {"statusCode": 200, "body": "Hello, you!"}


def test_ec2_recover(cli: Any, tmp_path: Any) -> None:
    data = _lab(cli, "ec2-recover")
    c = data["Checks"]
    assert c["AlarmState"] == "ALARM" and c["State"] == "running" and c["Notifications"] == 1
    assert "Successfully executed action arn:aws:automate:us-east-1:ec2:recover" in c["Actions"]
    inst = cli.json(*_acct("ec2-recover"), "ec2", "describe-instances", "--instance-ids", c["InstanceId"])
    assert inst["Reservations"][0]["Instances"][0]["InstanceId"] == c["InstanceId"]  # same instance, recovered
    _look_next_runs(cli, data, tmp_path)


def test_dynamodb_delete_alert(cli: Any, tmp_path: Any) -> None:
    data = _lab(cli, "dynamodb-delete-alert")
    c = data["Checks"]
    assert c["Notifications"] == 1 and c["EventNames"] == ["DeleteTable"] and c["Tables"] == ["Orders"]
    outbox = cli.json(*_acct("dynamodb-delete-alert"), "alarms", "topics", "deliveries", "--topic", "dynamodb-alerts")
    rows = outbox.get("Deliveries") or outbox.get("Items") or []
    assert rows[0]["Subject"] == "AWS Notification - Subscription Confirmation"  # the email was confirmed first
    event = json.loads(rows[1]["Message"])
    assert event["detail-type"] == "AWS API Call via CloudTrail" and event["source"] == "aws.dynamodb"
    assert event["detail"]["eventSource"] == "dynamodb.amazonaws.com"
    _look_next_runs(cli, data, tmp_path)


def test_config_compliance(cli: Any, tmp_path: Any) -> None:
    data = _lab(cli, "config-compliance")
    c = data["Checks"]
    rules = {"restricted-ssh", "s3-bucket-public-read-prohibited"}
    assert c["Before"] == dict.fromkeys(rules, "NON_COMPLIANT")
    assert c["After"] == dict.fromkeys(rules, "COMPLIANT")
    assert c["NonCompliantBefore"] == {"restricted-ssh": [c["GroupId"]], "s3-bucket-public-read-prohibited": [c["Bucket"]]}
    assert c["NonCompliantAfter"] == {"restricted-ssh": [], "s3-bucket-public-read-prohibited": []}
    _look_next_runs(cli, data, tmp_path)


def test_lab_runs_are_repeatable(cli: Any) -> None:
    first = _lab(cli, "lambda-cli")
    second = _lab(cli, "lambda-cli")
    assert first["Checks"]["Metrics"] == second["Checks"]["Metrics"] == {"Invocations": 2.0, "Errors": 1.0}
    assert [h.split("] ", 1)[0] for h in first["Happened"]] == [h.split("] ", 1)[0] for h in second["Happened"]]


def test_labs_leave_the_users_account_alone(cli: Any) -> None:
    cli.ok("account", "init", "--account-id", "111122223333")
    _lab(cli, "ec2-stopped-sns")
    info = cli.json("account", "info")
    assert "111122223333" in json.dumps(info)
    assert cli.json("rules", "list")["Rules"] == []


@pytest.mark.slow
def test_all_available_labs_under_ten_seconds(cli: Any) -> None:
    started = time.perf_counter()
    for name in LABS:
        cli.ok("demo", "--lab", name, "-o", "json")
    elapsed = time.perf_counter() - started
    assert elapsed < 10, f"labs took {elapsed:.1f}s"


def test_lab_samples_ship_inside_the_package() -> None:
    from pathlib import Path

    import awsmon
    from awsmon.services.labs import SAMPLES

    package = Path(awsmon.__file__).resolve().parent
    assert SAMPLES.is_relative_to(package)
    assert (SAMPLES / "messages").read_text().startswith("Nov 20 11:40:01 ")
    assert "def lambda_handler" in (SAMPLES / "lambda_cli" / "lambda_function.py").read_text()
