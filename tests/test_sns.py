"""Local SNS-like topics (awsmon alarms topics): commands, outbox, file endpoints, errors; contract tests on moto."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from awsmon.errors import ServiceError
from tests.conftest import Cli


def test_topic_lifecycle_and_file_delivery(pinned: Cli, tmp_path: Path) -> None:
    out = tmp_path / "home" / "outbox" / "nested" / "alerts.jsonl"
    arn = pinned.json("alarms", "topics", "create", "ops")["TopicArn"]
    assert arn == "arn:aws:sns:us-east-1:123456789012:ops"
    assert pinned.json("alarms", "topics", "create", "ops")["TopicArn"] == arn  # idempotent
    sub = pinned.json("alarms", "topics", "subscribe", "ops", "--protocol", "file", "--endpoint", "nested/alerts.jsonl")
    again = pinned.json("alarms", "topics", "subscribe", "ops", "--protocol", "file", "--endpoint", f"file://{out}")
    assert sub["SubscriptionArn"].startswith(arn + ":")
    pinned.ok("alarms", "topics", "subscribe", "ops", "--protocol", "sqs",
              "--endpoint", "arn:aws:sqs:us-east-1:123456789012:alerts")  # fmt: skip
    pinned.ok("alarms", "topics", "subscribe", "ops", "--protocol", "sms", "--endpoint", "+15555550100")
    subs = pinned.json("alarms", "topics", "subscriptions", "--topic", "ops")["Subscriptions"]
    assert again == sub and len(subs) == 3  # file:// URL and relative path name the same endpoint
    assert str(out) in {s["Endpoint"] for s in subs}  # listed as the absolute file it appends to
    msg_id = pinned.json("alarms", "topics", "publish", "ops", "--message", "hello", "--subject", "greeting")["MessageId"]
    line = json.loads(out.read_text().splitlines()[0])
    assert line["MessageId"] == msg_id and line["Message"] == "hello" and line["Subject"] == "greeting"
    deliveries = pinned.json("alarms", "topics", "deliveries")["Deliveries"]
    by_proto = {d["Protocol"]: d for d in deliveries}
    assert set(by_proto) >= {"file", "sqs", "sms"}
    assert json.loads(by_proto["sqs"]["Body"])["Type"] == "Notification"  # the queue message is the SNS envelope
    assert by_proto["sms"]["Body"] == "hello"
    only_sqs = pinned.json("alarms", "topics", "deliveries", "--protocol", "sqs")["Deliveries"]
    assert [d["Protocol"] for d in only_sqs] == ["sqs"]
    pinned.ok("alarms", "topics", "unsubscribe", by_proto["sms"]["SubscriptionArn"])
    gone = pinned("alarms", "topics", "unsubscribe", by_proto["sms"]["SubscriptionArn"])
    assert gone.exit_code == 1 and "NotFound: Subscription does not exist" in gone.stderr
    pinned.ok("alarms", "topics", "delete", "ops")
    assert pinned.json("alarms", "topics", "list")["Topics"] == []
    assert pinned.json("alarms", "topics", "subscriptions")["Subscriptions"] == []


def test_subscriptions_are_deduplicated(pinned: Cli, tmp_path: Path) -> None:
    pinned.ok("alarms", "topics", "create", "ops")
    a = pinned.json("alarms", "topics", "subscribe", "ops", "--protocol", "email", "--endpoint", "a@example.com")
    b = pinned.json("alarms", "topics", "subscribe", "ops", "--protocol", "email", "--endpoint", "a@example.com")
    assert a == b
    assert len(pinned.json("alarms", "topics", "subscriptions")["Subscriptions"]) == 1


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (["create", "bad name"], 2, "InvalidParameter: Invalid parameter: Topic Name"),
        (["subscribe", "ops", "--protocol", "pigeon", "--endpoint", "x"], 2, "does not support this protocol string"),
        (["subscribe", "ops", "--protocol", "email", "--endpoint", "not-an-address"], 2, "Email address"),
        (["subscribe", "ops", "--protocol", "sqs", "--endpoint", "queue"], 2, "SQS endpoint ARN"),
        (["subscribe", "missing", "--protocol", "email", "--endpoint", "a@example.com"], 1, "NotFound: Topic does not exist"),
        (["publish", "missing", "--message", "x"], 1, "NotFound: Topic does not exist"),
        (["publish", "ops", "--message", "x", "--subject", "s" * 101], 2, "Invalid parameter: Subject"),
    ],
)
def test_sns_errors(pinned: Cli, args: list[str], code: int, text: str) -> None:
    pinned.ok("alarms", "topics", "create", "ops")
    res = pinned("alarms", "topics", *args)
    assert res.exit_code == code, res.stderr
    assert text in res.stderr
    assert pinned.json("alarms", "topics", "subscriptions")["Subscriptions"] == []


def test_publish_without_subscribers_is_kept_in_the_outbox(ctx: Any) -> None:
    sns = ctx.client("sns")
    arn = sns.create_topic(Name="quiet")["TopicArn"]
    sns.publish(TopicArn=arn, Message="x")
    rows = sns.list_deliveries(TopicArn=arn)["Deliveries"]
    assert [r["Status"] for r in rows] == ["NoSubscribers"]
    with pytest.raises(ServiceError) as err:
        sns.publish(TopicArn=arn, Message="")
    assert err.value.code == "InvalidParameter"


def test_file_endpoint_failure_is_recorded_not_raised(ctx: Any, tmp_path: Path) -> None:
    blocker = tmp_path / "home" / "outbox" / "file"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("")
    sns = ctx.client("sns")
    arn = sns.create_topic(Name="t")["TopicArn"]
    sns.subscribe(TopicArn=arn, Protocol="file", Endpoint=str(blocker / "under-a-file.jsonl"))
    sns.publish(TopicArn=arn, Message="x")
    rows = sns.list_deliveries(TopicArn=arn)["Deliveries"]
    assert rows[0]["Status"] == "Failed" and rows[0]["Detail"]


def test_deliveries_need_the_local_backend(cli: Cli, moto_env: dict[str, str]) -> None:
    res = cli("alarms", "topics", "deliveries", env=moto_env)
    assert res.exit_code == 2 and "local" in res.stderr


def test_sns_contract(backend_cli: Cli) -> None:
    """The same commands on the local backend and a real moto server."""
    arn = backend_cli.json("alarms", "topics", "create", "contract")["TopicArn"]
    assert arn.endswith(":contract")
    topics = backend_cli.json("alarms", "topics", "list")["Topics"]
    assert [t["TopicArn"] for t in topics] == [arn]
    sub = backend_cli.json("alarms", "topics", "subscribe", "contract", "--protocol", "email",
                           "--endpoint", "oncall@example.com")["SubscriptionArn"]  # fmt: skip
    subs = backend_cli.json("alarms", "topics", "subscriptions", "--topic", arn)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"], s["TopicArn"]) for s in subs] == [("email", "oncall@example.com", arn)]
    assert backend_cli.json("alarms", "topics", "publish", "contract", "--message", "hi")["MessageId"]
    if sub.startswith("arn:"):
        backend_cli.ok("alarms", "topics", "unsubscribe", sub)
    backend_cli.ok("alarms", "topics", "delete", arn)
    assert backend_cli.json("alarms", "topics", "list")["Topics"] == []
    missing = backend_cli("alarms", "topics", "publish", arn, "--message", "x")
    assert missing.exit_code == 1 and "NotFound" in missing.stderr


@pytest.mark.parametrize("endpoint", ["../escape.jsonl", "a/../../escape.jsonl", "/tmp/elsewhere.jsonl",
                                      "file:///etc/awsmon-test.jsonl", "~/alerts.jsonl", "."])
def test_file_endpoints_stay_in_the_outbox(pinned: Cli, endpoint: str) -> None:
    pinned.ok("alarms", "topics", "create", "ops")
    res = pinned("alarms", "topics", "subscribe", "ops", "--protocol", "file", "--endpoint", endpoint)
    assert res.exit_code == 2 and "InvalidParameter" in res.stderr, res.stderr
    assert pinned.json("alarms", "topics", "subscriptions")["Subscriptions"] == []


def test_allow_outside_home_is_explicit_and_kept(pinned: Cli, tmp_path: Path) -> None:
    out = tmp_path / "elsewhere" / "alerts.jsonl"
    pinned.ok("alarms", "topics", "create", "ops")
    pinned.ok("alarms", "topics", "subscribe", "ops", "--protocol", "file", "--endpoint", str(out), "--allow-outside-home")
    pinned.ok("alarms", "topics", "publish", "ops", "--message", "hi")
    assert json.loads(out.read_text())["Message"] == "hi"
    res = pinned("alarms", "topics", "subscribe", "ops", "--protocol", "email", "--endpoint", "a@example.com",
                 "--allow-outside-home")  # fmt: skip
    assert res.exit_code == 2 and "--protocol file only" in res.stderr


def test_a_symlink_planted_in_the_outbox_cannot_redirect_deliveries(pinned: Cli, tmp_path: Path) -> None:
    outbox = tmp_path / "home" / "outbox"
    pinned.ok("alarms", "topics", "create", "ops")
    pinned.ok("alarms", "topics", "subscribe", "ops", "--protocol", "file", "--endpoint", "feed/alerts.jsonl")
    target = tmp_path / "outside"
    target.mkdir()
    (outbox / "feed").symlink_to(target, target_is_directory=True)  # made after the subscription was accepted
    pinned.ok("alarms", "topics", "publish", "ops", "--message", "x")
    assert list(target.iterdir()) == []
    (row,) = pinned.json("alarms", "topics", "deliveries", "--protocol", "file")["Deliveries"]
    assert row["Status"] == "Failed" and "outside the outbox folder" in row["Detail"]


def test_file_endpoint_files_are_private(pinned: Cli, tmp_path: Path) -> None:
    import os

    old = os.umask(0)
    try:
        pinned.ok("alarms", "topics", "create", "ops")
        pinned.ok("alarms", "topics", "subscribe", "ops", "--protocol", "file", "--endpoint", "alerts.jsonl")
        pinned.ok("alarms", "topics", "publish", "ops", "--message", "x")
    finally:
        os.umask(old)
    outbox = tmp_path / "home" / "outbox"
    assert outbox.stat().st_mode & 0o777 == 0o700
    assert (outbox / "alerts.jsonl").stat().st_mode & 0o777 == 0o600


def test_publish_message_from_a_file(pinned: Cli, tmp_path: Path) -> None:
    """aws-cli reads file:// for --message: the URL itself was published."""
    topic = pinned.json("sns", "create-topic", "--name", "from-file")["TopicArn"]
    queue = pinned.json("sqs", "create-queue", "--queue-name", "sink")["QueueUrl"]
    pinned.ok("sns", "subscribe", "--topic-arn", topic, "--protocol", "sqs", "--notification-endpoint",
              "arn:aws:sqs:us-east-1:123456789012:sink", "--attributes", "RawMessageDelivery=true")  # fmt: skip
    msg = tmp_path / "m.txt"
    msg.write_text("from a file")
    pinned.ok("sns", "publish", "--topic-arn", topic, "--message", f"file://{msg}")
    assert [m["Body"] for m in pinned.json("sqs", "receive-message", "--queue-url", queue)["Messages"]] == ["from a file"]
    res = pinned("sns", "publish", "--topic-arn", topic, "--message", f"file://{tmp_path}/missing.txt")
    assert res.exit_code == 2 and "cannot read --message file" in res.stderr
