"""AWS Config delivery channel on the local account: history and snapshot files, notifications, channel status."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from tests.conftest import Cli

ACCT = "123456789012"
TOPIC = f"arn:aws:sns:us-east-1:{ACCT}:ops"


def _setup(cli: Cli, tmp_path: Path, *extra: str) -> Path:
    out = tmp_path / "home" / "outbox" / "config.jsonl"
    cli.ok("alarms", "topics", "create", "ops")
    cli.ok("alarms", "topics", "subscribe", "ops", "--protocol", "file", "--endpoint", str(out))
    cli.ok("config", "put-configuration-recorder", "--all-supported")
    cli.ok("config", "put-delivery-channel", "--s3-bucket-name", "config-bucket", "--sns-topic-arn", TOPIC, *extra)
    cli.ok("config", "start-recording")
    return out


def _messages(out: Path) -> list[tuple[str, dict[str, Any]]]:
    if not out.exists():
        return []
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    return [(line["Subject"], json.loads(line["Message"])) for line in lines]


def _bucket(home: Path) -> Path:
    return home / "accounts" / ACCT / "s3" / "config-bucket"


def _objects(home: Path, part: str) -> list[Path]:
    return sorted(p for p in _bucket(home).rglob("*.json.gz") if part in p.as_posix())


def test_writability_check_file_and_change_notifications(pinned: Cli, tmp_path: Path) -> None:
    out = _setup(pinned, tmp_path)
    home = tmp_path / "home"
    assert (_bucket(home) / "AWSLogs" / ACCT / "Config" / "ConfigWritabilityCheckFile").exists()
    pinned.ok("logs", "create-group", "--name", "/app/web")
    pinned.ok("logs", "put-retention", "--group", "/app/web", "--days", "7")
    pinned.ok("config", "list-discovered-resources", "--resource-type", "AWS::Logs::LogGroup")
    changes = [(s, m) for s, m in _messages(out) if m["messageType"] == "ConfigurationItemChangeNotification"]
    created = [m for s, m in changes if m["configurationItem"]["resourceId"] == "/app/web"]
    assert [m["configurationItemDiff"]["changeType"] for m in created] == ["CREATE", "UPDATE"]
    update = created[1]
    assert update["recordVersion"] == "1.3"
    diff = update["configurationItemDiff"]["changedProperties"]["Configuration.retentionInDays"]
    assert diff == {"previousValue": None, "updatedValue": 7, "changeType": "CREATE"}
    item = update["configurationItem"]
    assert item["awsAccountId"] == ACCT and item["configurationItemVersion"] == "1.3"
    assert item["ARN"].startswith("arn:aws:logs:us-east-1:") and item["configuration"]["retentionInDays"] == 7
    subject = [s for s, m in changes if m is update][0]
    assert subject == f"[AWS Config:us-east-1] AWS::Logs::LogGroup /app/web Changed in Account {ACCT}"
    pinned.ok("logs", "delete-group", "--name", "/app/web")
    pinned.ok("config", "list-discovered-resources", "--resource-type", "AWS::Logs::LogGroup")
    last = [m for s, m in _messages(out) if m["messageType"] == "ConfigurationItemChangeNotification"][-1]
    assert last["configurationItemDiff"]["changeType"] == "DELETE"
    assert last["configurationItem"]["configurationItemStatus"] == "ResourceDeleted"


def test_history_files_every_six_hours(pinned: Cli, tmp_path: Path) -> None:
    out = _setup(pinned, tmp_path)
    home = tmp_path / "home"
    pinned.ok("logs", "create-group", "--name", "/a")
    pinned.ok("alarms", "topics", "create", "second")
    pinned.ok("account", "clock", "advance", "5h")
    assert _objects(home, "ConfigHistory") == []
    pinned.ok("account", "clock", "advance", "1h")
    files = _objects(home, "ConfigHistory")
    names = [p.name for p in files]
    types = {n.split("_ConfigHistory_", 1)[1].split("_")[0] for n in names}
    assert len(files) == len(types) and {"AWS::Logs::LogGroup", "AWS::SNS::Topic"} <= types  # one file per type
    assert f"{ACCT}_Config_us-east-1_ConfigHistory_AWS::Logs::LogGroup_20261120T120000Z_20261120T120000Z_1.json.gz" in names
    logs = [p for p in files if "LogGroup" in p.name][0]
    rel = logs.relative_to(_bucket(home)).as_posix()
    assert rel.startswith(f"AWSLogs/{ACCT}/Config/us-east-1/2026/11/20/ConfigHistory/")
    doc = json.loads(gzip.decompress(logs.read_bytes()))
    assert doc["fileVersion"] == "1.0" and doc["configurationItems"][0]["resourceId"] == "/a"
    assert doc["configurationItems"][0]["configurationItemStatus"] == "ResourceDiscovered"
    completed = [m for s, m in _messages(out) if m["messageType"] == "ConfigurationHistoryDeliveryCompleted"]
    assert {m["s3ObjectKey"] for m in completed} == {p.relative_to(_bucket(home)).as_posix() for p in files}
    assert all(m["s3Bucket"] == "config-bucket" and m["recordVersion"] == "1.1" for m in completed)
    status = pinned.json("config", "describe-delivery-channel-status")["DeliveryChannelsStatus"][0]
    assert status["configHistoryDeliveryInfo"]["lastStatus"] == "Success"
    assert status["configHistoryDeliveryInfo"]["lastSuccessfulTime"] == "2026-11-20T18:00:00Z"
    assert status["configHistoryDeliveryInfo"]["nextDeliveryTime"] == "2026-11-21T00:00:00Z"
    assert status["configSnapshotDeliveryInfo"]["lastStatus"] == "Not_Applicable"
    assert status["configStreamDeliveryInfo"]["lastStatus"] == "Success"
    # Nothing new: no file at the next period; a day later with one change: one more file.
    pinned.ok("account", "clock", "advance", "6h")
    assert len(_objects(home, "ConfigHistory")) == len(files)
    pinned.ok("logs", "put-retention", "--group", "/a", "--days", "30")
    pinned.ok("account", "clock", "advance", "1d")
    assert len(_objects(home, "ConfigHistory")) == len(files) + 1


def test_deliver_config_snapshot_and_periodic_snapshots(pinned: Cli, tmp_path: Path) -> None:
    out = _setup(pinned, tmp_path, "--delivery-frequency", "Twelve_Hours")
    home = tmp_path / "home"
    pinned.ok("logs", "create-group", "--name", "/a")
    pinned.ok("logs", "create-group", "--name", "/b")
    sid = pinned.json("config", "deliver-config-snapshot", "--delivery-channel-name", "default")["configSnapshotId"]
    files = _objects(home, "ConfigSnapshot")
    assert len(files) == 1
    assert files[0].name == f"{ACCT}_Config_us-east-1_ConfigSnapshot_20261120T120000Z_{sid}.json.gz"
    doc = json.loads(gzip.decompress(files[0].read_bytes()))
    assert doc["configSnapshotId"] == sid
    ids = {(i["resourceType"], i["resourceId"]) for i in doc["configurationItems"]}
    assert {("AWS::Logs::LogGroup", "/a"), ("AWS::Logs::LogGroup", "/b"), ("AWS::SNS::Topic", TOPIC)} <= ids
    kinds = [m["messageType"] for s, m in _messages(out) if m.get("configSnapshotId") == sid]
    assert kinds == ["ConfigurationSnapshotDeliveryStarted", "ConfigurationSnapshotDeliveryCompleted"]
    status = pinned.json("config", "describe-delivery-channel-status")["DeliveryChannelsStatus"][0]
    assert status["configSnapshotDeliveryInfo"]["lastStatus"] == "Success"
    assert status["configSnapshotDeliveryInfo"]["nextDeliveryTime"] == "2026-11-21T00:00:00Z"
    pinned.ok("account", "clock", "advance", "12h")
    assert len(_objects(home, "ConfigSnapshot")) == 2


def test_compliance_change_notifications(pinned: Cli, tmp_path: Path) -> None:
    out = _setup(pinned, tmp_path)
    pinned.ok("logs", "create-group", "--name", "/app")
    pinned.ok("logs", "put-retention", "--group", "/app", "--days", "7")
    pinned.ok("config", "put-rule", "--config-rule-name", "retention", "--source-identifier",
              "CW_LOGGROUP_RETENTION_PERIOD_CHECK", "--parameter", "MinRetentionTime=30")  # fmt: skip
    found = [(s, m) for s, m in _messages(out) if m["messageType"] == "ComplianceChangeNotification"]
    assert len(found) == 1
    subject, msg = found[0]
    assert subject.startswith("[AWS Config:us-east-1] AWS::Logs::LogGroup /app is NON_COMPLIANT with retention")
    assert msg["newEvaluationResult"]["complianceType"] == "NON_COMPLIANT" and msg["oldEvaluationResult"] is None
    assert msg["configRuleARN"].startswith(f"arn:aws:config:us-east-1:{ACCT}:config-rule/config-rule-")
    # The same result again is no change; a fix is.
    pinned.ok("config", "start-evaluation")
    assert len([m for s, m in _messages(out) if m["messageType"] == "ComplianceChangeNotification"]) == 1
    pinned.ok("logs", "put-retention", "--group", "/app", "--days", "30")
    pinned.ok("config", "start-evaluation")
    found = [m for s, m in _messages(out) if m["messageType"] == "ComplianceChangeNotification"]
    assert [m["newEvaluationResult"]["complianceType"] for m in found] == ["NON_COMPLIANT", "COMPLIANT"]
    assert found[1]["oldEvaluationResult"]["complianceType"] == "NON_COMPLIANT"


def test_delivery_bad_input(pinned: Cli) -> None:
    pinned.ok("config", "put-configuration-recorder", "--all-supported")
    res = pinned("config", "put-delivery-channel", "--s3-bucket-name", "b-ok", "--delivery-frequency", "Daily")
    assert res.exit_code == 2 and "ValidationException" in res.stderr
    res = pinned("config", "put-delivery-channel", "--s3-bucket-name", "b-ok", "--sns-topic-arn", "not-an-arn")
    assert res.exit_code == 2 and "InvalidSNSTopicARNException: The sns topic arn 'not-an-arn' is not valid." in res.stderr
    assert pinned.json("config", "describe-delivery-channels")["DeliveryChannels"] == []
    res = pinned("config", "deliver-config-snapshot", "--delivery-channel-name", "nope")
    assert res.exit_code == 1 and "NoSuchDeliveryChannelException" in res.stderr
    pinned.ok("config", "put-delivery-channel", "--s3-bucket-name", "b-ok")
    res = pinned("config", "deliver-config-snapshot")
    assert res.exit_code == 1 and "NoRunningConfigurationRecorderException" in res.stderr
