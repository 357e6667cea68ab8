"""awsmon sqs: queues on both backends (contract tests against moto), visibility on the local clock, MD5s."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from tests.conftest import Cli

ATTRS = json.dumps({"color": {"DataType": "String", "StringValue": "blue"},
                    "n": {"DataType": "Number", "StringValue": "42"}})  # fmt: skip


def test_queue_lifecycle_and_messages(backend_cli: Cli) -> None:
    cli = backend_cli
    url = cli.json("sqs", "create-queue", "--queue-name", "orders", "--attributes", "VisibilityTimeout=60")["QueueUrl"]
    assert url.endswith("/123456789012/orders")
    assert cli.json("sqs", "create-queue", "--queue-name", "orders", "--attributes", "VisibilityTimeout=60")["QueueUrl"] == url
    assert cli.json("sqs", "get-queue-url", "--queue-name", "orders")["QueueUrl"] == url
    cli.ok("sqs", "create-queue", "--queue-name", "other")
    assert [u.rsplit("/", 1)[-1] for u in cli.json("sqs", "list-queues", "--queue-name-prefix", "ord")["QueueUrls"]] == ["orders"]
    sent = cli.json("sqs", "send-message", "--queue-url", url, "--message-body", "hello", "--message-attributes", ATTRS)
    assert sent["MD5OfMessageBody"] == hashlib.md5(b"hello").hexdigest()
    # The attribute digest as AWS computes it: moto's equals awsmon's (checked against the encoding below).
    from awsmon.backends.local.sqs import md5_of_attributes

    assert sent["MD5OfMessageAttributes"] == md5_of_attributes(json.loads(ATTRS))
    got = cli.json("sqs", "receive-message", "--queue-url", "orders", "--message-attribute-names", "All",
                   "--attribute-names", "All")["Messages"]  # fmt: skip
    assert len(got) == 1 and got[0]["Body"] == "hello" and got[0]["MessageId"] == sent["MessageId"]
    assert got[0]["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert got[0]["MessageAttributes"]["n"] == {"DataType": "Number", "StringValue": "42"}
    assert got[0]["Attributes"]["ApproximateReceiveCount"] == "1"
    # In flight: invisible until deleted (or the visibility timeout passes).
    assert cli.ok("sqs", "receive-message", "--queue-url", url).stdout == ""
    attrs = cli.json("sqs", "get-queue-attributes", "--queue-url", url)["Attributes"]
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "1" and attrs["VisibilityTimeout"] == "60"
    cli.ok("sqs", "delete-message", "--queue-url", url, "--receipt-handle", got[0]["ReceiptHandle"])
    attrs = cli.json("sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "ApproximateNumberOfMessages")
    assert attrs == {"Attributes": {"ApproximateNumberOfMessages": "0"}}
    cli.ok("sqs", "send-message", "--queue-url", url, "--message-body", "x")
    cli.ok("sqs", "purge-queue", "--queue-url", url)
    assert cli.ok("sqs", "receive-message", "--queue-url", url).stdout == ""
    cli.ok("sqs", "delete-queue", "--queue-url", url)
    gone = cli("sqs", "get-queue-url", "--queue-name", "orders")
    assert gone.exit_code == 1 and "NonExistentQueue" in gone.stderr


def test_md5_of_message_attributes_matches_aws_algorithm() -> None:
    from awsmon.backends.local.sqs import md5_of_attributes

    # Worked by hand from the documented encoding: length-prefixed name, type, then 1 + length-prefixed value.
    buf = b"".join([(5).to_bytes(4, "big"), b"color", (6).to_bytes(4, "big"), b"String", b"\x01",
                    (4).to_bytes(4, "big"), b"blue"])  # fmt: skip
    assert md5_of_attributes({"color": {"DataType": "String", "StringValue": "blue"}}) == hashlib.md5(buf).hexdigest()
    binary = md5_of_attributes({"b": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}})
    assert binary == hashlib.md5((1).to_bytes(4, "big") + b"b" + (6).to_bytes(4, "big") + b"Binary" + b"\x02"
                                 + (2).to_bytes(4, "big") + b"\x00\x01").hexdigest()  # fmt: skip


def test_visibility_timeout_on_the_clock(pinned: Cli) -> None:
    url = pinned.json("sqs", "create-queue", "--queue-name", "q", "--attributes", "VisibilityTimeout=30")["QueueUrl"]
    pinned.ok("sqs", "send-message", "--queue-url", url, "--message-body", "m", "--delay-seconds", "10")
    assert pinned.ok("sqs", "receive-message", "--queue-url", url).stdout == ""  # delayed
    pinned.ok("account", "clock", "advance", "10s")
    first = pinned.json("sqs", "receive-message", "--queue-url", url)["Messages"]
    assert [m["Body"] for m in first] == ["m"]
    pinned.ok("account", "clock", "advance", "29s")
    assert pinned.ok("sqs", "receive-message", "--queue-url", url).stdout == ""
    pinned.ok("account", "clock", "advance", "1s")
    again = pinned.json("sqs", "receive-message", "--queue-url", url, "--attribute-names", "ApproximateReceiveCount")
    assert again["Messages"][0]["Attributes"] == {"ApproximateReceiveCount": "2"}
    # The first handle is stale now: deleting with it leaves the message.
    pinned.ok("sqs", "delete-message", "--queue-url", url, "--receipt-handle", first[0]["ReceiptHandle"])
    assert pinned.json("sqs", "get-queue-attributes", "--queue-url", url,
                       "--attribute-names", "ApproximateNumberOfMessagesNotVisible")["Attributes"] == {
        "ApproximateNumberOfMessagesNotVisible": "1"}  # fmt: skip


def test_fifo_queue(pinned: Cli) -> None:
    url = pinned.json("sqs", "create-queue", "--queue-name", "f.fifo", "--attributes",
                      "FifoQueue=true,ContentBasedDeduplication=true")["QueueUrl"]  # fmt: skip
    no_group = pinned("sqs", "send-message", "--queue-url", url, "--message-body", "a")
    assert no_group.exit_code == 2 and "MissingParameter: The request must contain the parameter MessageGroupId." in no_group.stderr
    one = pinned.json("sqs", "send-message", "--queue-url", url, "--message-body", "a", "--message-group-id", "g")
    dup = pinned.json("sqs", "send-message", "--queue-url", url, "--message-body", "a", "--message-group-id", "g")
    assert dup["MessageId"] == one["MessageId"] and one["SequenceNumber"]
    pinned.ok("sqs", "send-message", "--queue-url", url, "--message-body", "b", "--message-group-id", "g")
    got = pinned.json("sqs", "receive-message", "--queue-url", url)["Messages"]
    assert [m["Body"] for m in got] == ["a"]
    assert pinned.ok("sqs", "receive-message", "--queue-url", url).stdout == ""  # the group is in flight
    pinned.ok("sqs", "delete-message", "--queue-url", url, "--receipt-handle", got[0]["ReceiptHandle"])
    assert [m["Body"] for m in pinned.json("sqs", "receive-message", "--queue-url", url)["Messages"]] == ["b"]


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (["create-queue", "--queue-name", "bad name"], 2,
         "InvalidParameterValue: Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"),
        (["create-queue", "--queue-name", "q", "--attributes", "VisibilityTimeout=99999"], 2,
         "InvalidAttributeValue: Invalid value for the parameter VisibilityTimeout."),
        (["create-queue", "--queue-name", "q", "--attributes", "Nope=1"], 2, "InvalidAttributeName: Unknown Attribute Nope."),
        (["create-queue", "--queue-name", "q", "--attributes", "novalue"], 2, "expected Key=Value pairs"),
        (["receive-message", "--queue-url", "ok", "--max-number-of-messages", "11"], 2,
         "InvalidParameterValue: Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided."),
        (["send-message", "--queue-url", "ok", "--message-body", "x", "--message-attributes", "{bad"], 2, "invalid JSON in --message-attributes"),
        (["send-message", "--queue-url", "ok", "--message-body", "x", "--message-attributes",
          '{"n": {"DataType": "Number", "StringValue": "abc"}}'], 2, "to a number"),
        (["delete-message", "--queue-url", "ok", "--receipt-handle", "!!"], 2, "ReceiptHandleIsInvalid"),
    ],
)
def test_bad_input_stores_nothing(pinned: Cli, args: list[str], code: int, text: str) -> None:
    pinned.ok("sqs", "create-queue", "--queue-name", "ok")
    res = pinned("sqs", *args)
    assert res.exit_code == code and text in res.stderr and res.stdout == ""
    assert [u.rsplit("/", 1)[-1] for u in pinned.json("sqs", "list-queues")["QueueUrls"]] == ["ok"]
    assert pinned.json("sqs", "get-queue-attributes", "--queue-url", "ok",
                       "--attribute-names", "ApproximateNumberOfMessages")["Attributes"]["ApproximateNumberOfMessages"] == "0"


# -- dead-letter queues (RedrivePolicy) -----------------------------------------------------------------------------
def _arn(cli: Cli, queue: str) -> str:
    return str(cli.json("sqs", "get-queue-attributes", "--queue-url", queue, "--attribute-names", "QueueArn")
               ["Attributes"]["QueueArn"])  # fmt: skip


def test_redrive_moves_a_message_received_too_often(backend_cli: Cli) -> None:
    """maxReceiveCount 2: two receives return the message, the third attempt moves it to the dead-letter queue
    (with its id and body); the source queue is then empty (VisibilityTimeout 0: visible again at once)."""
    cli = backend_cli
    cli.ok("sqs", "create-queue", "--queue-name", "jobs-dlq")
    policy = json.dumps({"deadLetterTargetArn": _arn(cli, "jobs-dlq"), "maxReceiveCount": 2})
    cli.ok("sqs", "create-queue", "--queue-name", "jobs", "--attributes",
           json.dumps({"VisibilityTimeout": "0", "RedrivePolicy": policy}))  # fmt: skip
    sent = cli.json("sqs", "send-message", "--queue-url", "jobs", "--message-body", "poison")
    counts = []
    for _ in range(2):
        got = cli.json("sqs", "receive-message", "--queue-url", "jobs", "--attribute-names", "All")["Messages"]
        assert [m["MessageId"] for m in got] == [sent["MessageId"]]
        counts.append(got[0]["Attributes"]["ApproximateReceiveCount"])
    assert counts == ["1", "2"]
    assert cli.ok("sqs", "receive-message", "--queue-url", "jobs").stdout == ""
    dead = cli.json("sqs", "receive-message", "--queue-url", "jobs-dlq", "--attribute-names", "All")["Messages"]
    assert [(m["MessageId"], m["Body"]) for m in dead] == [(sent["MessageId"], "poison")]
    assert int(dead[0]["Attributes"]["ApproximateReceiveCount"]) >= 1
    stored = cli.json("sqs", "get-queue-attributes", "--queue-url", "jobs", "--attribute-names", "RedrivePolicy")
    assert json.loads(stored["Attributes"]["RedrivePolicy"])["deadLetterTargetArn"] == _arn(cli, "jobs-dlq")


def test_redrive_on_the_clock_keeps_the_rest_flowing(pinned: Cli) -> None:
    """The moved message makes room: the same receive returns the next message. Retention in the dead-letter queue
    counts from the original enqueue time (standard queues)."""
    pinned.ok("sqs", "create-queue", "--queue-name", "dlq", "--attributes", "MessageRetentionPeriod=120")
    policy = json.dumps({"deadLetterTargetArn": _arn(pinned, "dlq"), "maxReceiveCount": "1"})
    pinned.ok("sqs", "create-queue", "--queue-name", "src", "--attributes", json.dumps({"RedrivePolicy": policy}))
    first = pinned.json("sqs", "send-message", "--queue-url", "src", "--message-body", "a")["MessageId"]
    assert [m["Body"] for m in pinned.json("sqs", "receive-message", "--queue-url", "src")["Messages"]] == ["a"]
    pinned.ok("account", "clock", "advance", "31s")  # the default visibility timeout passes
    pinned.ok("sqs", "send-message", "--queue-url", "src", "--message-body", "b")
    got = pinned.json("sqs", "receive-message", "--queue-url", "src", "--max-number-of-messages", "10")["Messages"]
    assert [m["Body"] for m in got] == ["b"]
    attrs = pinned.json("sqs", "get-queue-attributes", "--queue-url", "dlq")["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "1"
    dead = pinned.json("sqs", "receive-message", "--queue-url", "dlq", "--attribute-names", "All")["Messages"]
    assert dead[0]["MessageId"] == first and dead[0]["Attributes"]["ApproximateReceiveCount"] == "2"
    pinned.ok("account", "clock", "advance", "2m")  # 151 s after "a" was first sent: past the DLQ's retention
    pinned.ok("sqs", "send-message", "--queue-url", "dlq", "--message-body", "fresh")
    later = pinned.json("sqs", "receive-message", "--queue-url", "dlq", "--max-number-of-messages", "10")["Messages"]
    assert [m["Body"] for m in later] == ["fresh"]


def test_redrive_policy_checks(pinned: Cli) -> None:
    pinned.ok("sqs", "create-queue", "--queue-name", "dlq")
    pinned.ok("sqs", "create-queue", "--queue-name", "dlq.fifo", "--attributes", "FifoQueue=true")
    dlq = _arn(pinned, "dlq")

    def refused(attrs: dict[str, object], text: str, queue: str = "src") -> None:
        res = pinned("sqs", "create-queue", "--queue-name", queue, "--attributes", json.dumps(attrs))
        assert res.exit_code == 2 and text in res.stderr, res.stderr
        assert pinned("sqs", "get-queue-url", "--queue-name", queue).exit_code == 1  # nothing stored

    def redrive(target: str, count: object = 3) -> dict[str, object]:
        return {"RedrivePolicy": json.dumps({"deadLetterTargetArn": target, "maxReceiveCount": count})}

    refused(redrive(dlq.replace(":dlq", ":nope")), "Reason: Dead letter target does not exist.")
    refused(redrive(dlq, 0), "Invalid value for maxReceiveCount: 0, valid values are from 1 to 1000 both inclusive.")
    refused(redrive(dlq, 1001), "valid values are from 1 to 1000")
    refused({"RedrivePolicy": json.dumps({"maxReceiveCount": 3})},
            "Redrive policy does not contain mandatory attribute: deadLetterTargetArn.")  # fmt: skip
    refused(redrive(dlq + ".fifo"), "Dead-letter queue must be same type of queue as the source.")
    refused({**redrive(dlq), "FifoQueue": "true"}, "Dead-letter queue must be same type", "src.fifo")
    pinned.ok("sqs", "set-queue-attributes", "--queue-url", "dlq", "--attributes",
              json.dumps({"RedriveAllowPolicy": {"redrivePermission": "denyAll"}}))  # fmt: skip
    refused(redrive(dlq), "does not allow this queue to use it as a dead-letter queue")
    src_arn = dlq.replace(":dlq", ":src")
    pinned.ok("sqs", "set-queue-attributes", "--queue-url", "dlq", "--attributes", json.dumps(
        {"RedriveAllowPolicy": {"redrivePermission": "byQueue", "sourceQueueArns": [src_arn]}}))  # fmt: skip
    refused(redrive(dlq), "does not allow", "other")
    pinned.ok("sqs", "create-queue", "--queue-name", "src", "--attributes", json.dumps(redrive(dlq)))
    bad = pinned("sqs", "set-queue-attributes", "--queue-url", "dlq", "--attributes",
                 json.dumps({"RedriveAllowPolicy": {"redrivePermission": "byQueue"}}))  # fmt: skip
    assert bad.exit_code == 2 and "sourceQueueArns must hold 1 to 10" in bad.stderr
    bad = pinned("sqs", "set-queue-attributes", "--queue-url", "dlq", "--attributes",
                 json.dumps({"RedriveAllowPolicy": {"redrivePermission": "some"}}))  # fmt: skip
    assert bad.exit_code == 2 and "Invalid value for redrivePermission: some" in bad.stderr
    # An empty RedrivePolicy removes it.
    pinned.ok("sqs", "set-queue-attributes", "--queue-url", "src", "--attributes", json.dumps({"RedrivePolicy": ""}))
    attrs = pinned.json("sqs", "get-queue-attributes", "--queue-url", "src")["Attributes"]
    assert "RedrivePolicy" not in attrs


def test_message_body_from_a_file(backend_cli: Cli, tmp_path: Any) -> None:
    """aws-cli reads file:// for every text parameter: the URL itself was sent as the message."""
    cli = backend_cli
    url = cli.json("sqs", "create-queue", "--queue-name", "from-file")["QueueUrl"]
    body = tmp_path / "m.json"
    body.write_text('{"id": 1}\n')
    sent = cli.json("sqs", "send-message", "--queue-url", url, "--message-body", f"file://{body}")
    assert sent["MD5OfMessageBody"] == hashlib.md5(b'{"id": 1}\n').hexdigest()
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"\xff\xfe")
    res = cli("sqs", "send-message", "--queue-url", url, "--message-body", f"file://{bad}")
    assert res.exit_code == 2 and "cannot read --message-body file" in res.stderr and "not UTF-8" in res.stderr
