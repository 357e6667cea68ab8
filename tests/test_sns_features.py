"""SNS as AWS does it: confirmation, filter policies, raw delivery, FIFO topics, http(s) POSTs (local backend), and
the API shapes against a moto server."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.conftest import Cli

Q = "arn:aws:sqs:us-east-1:123456789012:"


def _deliveries(cli: Cli, **kw: str) -> list[dict[str, Any]]:
    args = [a for k, v in kw.items() for a in (f"--{k}", v)]
    return cli.json("alarms", "topics", "deliveries", *args)["Deliveries"]


def _token(cli: Cli) -> str:
    confirm = [d for d in _deliveries(cli) if d["Subject"] == "AWS Notification - Subscription Confirmation"][-1]
    return json.loads(confirm["Body"])["Token"]


def _receive(cli: Cli, queue: str) -> list[dict[str, Any]]:
    return cli.json("sqs", "receive-message", "--queue-url", queue, "--max-number-of-messages", "10",
                    "--message-attribute-names", "All").get("Messages", [])  # fmt: skip


def test_email_subscription_waits_for_confirmation(pinned: Cli) -> None:
    arn = pinned.json("sns", "create-topic", "--name", "ops")["TopicArn"]
    sub = pinned.json("sns", "subscribe", "--topic-arn", "ops", "--protocol", "email-json",
                      "--notification-endpoint", "a@example.com")  # fmt: skip
    assert sub == {"SubscriptionArn": "pending confirmation"}
    [listed] = pinned.json("sns", "list-subscriptions-by-topic", "--topic-arn", arn)["Subscriptions"]
    assert listed["SubscriptionArn"] == "PendingConfirmation"
    confirm = json.loads(_deliveries(pinned)[0]["Body"])
    assert list(confirm) == ["Type", "MessageId", "Token", "TopicArn", "Message", "SubscribeURL", "Timestamp",
                             "SignatureVersion", "Signature", "SigningCertURL"]  # fmt: skip
    assert confirm["Type"] == "SubscriptionConfirmation" and confirm["Token"] in confirm["SubscribeURL"]
    # nothing is delivered while pending
    pinned.ok("sns", "publish", "--topic-arn", "ops", "--message", "early")
    assert [d["Status"] for d in _deliveries(pinned)] == ["Delivered", "NoSubscribers"]
    bad = pinned("sns", "confirm-subscription", "--topic-arn", "ops", "--token", "nope")
    assert bad.exit_code == 2 and "InvalidParameter: Invalid parameter: Token" in bad.stderr
    done = pinned.json("sns", "confirm-subscription", "--topic-arn", "ops", "--token", confirm["Token"])
    assert done["SubscriptionArn"].startswith(arn + ":")
    attrs = pinned.json("sns", "get-subscription-attributes", "--subscription-arn", done["SubscriptionArn"])
    assert attrs["Attributes"]["PendingConfirmation"] == "false"
    pinned.ok("sns", "publish", "--topic-arn", "ops", "--message", "later")
    last = _deliveries(pinned)[-1]
    assert last["Protocol"] == "email-json" and json.loads(last["Body"])["Message"] == "later"


def test_sqs_subscription_is_confirmed_at_once(pinned: Cli) -> None:
    pinned.ok("sns", "create-topic", "--name", "ops")
    pinned.ok("sqs", "create-queue", "--queue-name", "q")
    sub = pinned.json("sns", "subscribe", "--topic-arn", "ops", "--protocol", "sqs", "--notification-endpoint", Q + "q")
    assert sub["SubscriptionArn"].startswith("arn:aws:sns:")


def test_filter_policy_and_raw_delivery_to_sqs(pinned: Cli) -> None:
    pinned.ok("sns", "create-topic", "--name", "orders")
    for q in ("eu", "raw", "body"):
        pinned.ok("sqs", "create-queue", "--queue-name", q)
    policy = {"store": [{"prefix": "eu-"}], "price": [{"numeric": [">=", 100, "<", 200]}]}
    pinned.ok("sns", "subscribe", "--topic-arn", "orders", "--protocol", "sqs", "--notification-endpoint", Q + "eu",
              "--attributes", json.dumps({"FilterPolicy": policy}))  # fmt: skip
    raw = pinned.json("sns", "subscribe", "--topic-arn", "orders", "--protocol", "sqs", "--notification-endpoint",
                      Q + "raw", "--attributes", '{"RawMessageDelivery": "true"}')["SubscriptionArn"]  # fmt: skip
    pinned.ok("sns", "subscribe", "--topic-arn", "orders", "--protocol", "sqs", "--notification-endpoint", Q + "body",
              "--attributes", json.dumps({"FilterPolicy": json.dumps({"$or": [{"kind": ["x"]}, {"n": [{"exists": True}]}]}),
                                          "FilterPolicyScope": "MessageBody"}))  # fmt: skip

    def send(message: str, **attrs: tuple[str, str]) -> None:
        shaped = {k: {"DataType": t, "StringValue": v} for k, (t, v) in attrs.items()}
        pinned.ok("sns", "publish", "--topic-arn", "orders", "--message", message,
                  *(["--message-attributes", json.dumps(shaped)] if shaped else []))  # fmt: skip

    send("a", store=("String", "eu-west"), price=("Number", "150"))
    send("b", store=("String", "us-east"), price=("Number", "150"))
    send("c", store=("String", "eu-west"), price=("Number", "250"))
    send('{"kind": "x"}')
    send('{"n": 1}')
    send('{"kind": "y"}')
    eu = [json.loads(m["Body"]) for m in _receive(pinned, "eu")]
    assert [m["Message"] for m in eu] == ["a"]
    assert eu[0]["MessageAttributes"]["store"] == {"Type": "String", "Value": "eu-west"}
    assert [json.loads(m["Body"])["Message"] for m in _receive(pinned, "body")] == ['{"kind": "x"}', '{"n": 1}']
    raws = _receive(pinned, "raw")
    assert [m["Body"] for m in raws][:3] == ["a", "b", "c"]  # the bare message
    assert raws[0]["MessageAttributes"]["store"] == {"DataType": "String", "StringValue": "eu-west"}
    statuses = {d["Status"] for d in _deliveries(pinned)}
    assert statuses == {"Delivered", "Filtered"}
    # set-subscription-attributes changes the policy; bad values are refused and nothing changes
    pinned.ok("sns", "set-subscription-attributes", "--subscription-arn", raw, "--attribute-name", "FilterPolicy",
              "--attribute-value", '{"store": ["none"]}')  # fmt: skip
    bad = pinned("sns", "set-subscription-attributes", "--subscription-arn", raw, "--attribute-name",
                 "RawMessageDelivery", "--attribute-value", "yes")  # fmt: skip
    assert bad.exit_code == 2 and "RawMessageDelivery" in bad.stderr
    got = pinned.json("sns", "get-subscription-attributes", "--subscription-arn", raw)["Attributes"]
    assert got["FilterPolicy"] == '{"store": ["none"]}' and got["RawMessageDelivery"] == "true"


@pytest.mark.parametrize(
    ("attributes", "text"),
    [
        ('{"FilterPolicy": "{\\"a\\": [\\"x\\"]"}', "Invalid parameter: FilterPolicy: failed to parse JSON."),
        (json.dumps({"FilterPolicy": {k: ["x"] for k in "abcdef"}}),
         "Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys"),
        (json.dumps({"FilterPolicy": {"a": list(range(151))}}), "Invalid parameter: FilterPolicy: Filter policy is too complex"),
        (json.dumps({"FilterPolicy": {"a": {"b": ["x"]}}}),
         "Invalid parameter: FilterPolicy: Filter policy scope MessageAttributes does not support nested filter policy"),
        ('{"RawMessageDelivery": "true"}', "does not support raw message delivery"),
        ('{"Colour": "blue"}', "Invalid parameter: AttributeName"),
        ('{"FilterPolicyScope": "Headers"}', "FilterPolicyScope"),
    ],
)
def test_bad_subscription_attributes_store_nothing(pinned: Cli, attributes: str, text: str) -> None:
    pinned.ok("sns", "create-topic", "--name", "ops")
    res = pinned("sns", "subscribe", "--topic-arn", "ops", "--protocol", "email", "--notification-endpoint",
                 "a@example.com", "--attributes", attributes)  # fmt: skip
    assert res.exit_code == 2 and "InvalidParameter" in res.stderr and text in res.stderr, res.stderr
    assert pinned.json("sns", "list-subscriptions")["Subscriptions"] == []
    assert _deliveries(pinned) == []


@pytest.mark.parametrize(
    ("attrs", "text"),
    [
        ({"n": {"DataType": "Number", "StringValue": "abc"}}, "Could not cast message attribute 'n' value to number."),
        ({"s": {"DataType": "String", "StringValue": ""}}, "must contain non-empty message attribute value"),
        ({"s": {"DataType": "Text", "StringValue": "x"}}, "invalid message attribute type"),
        ({f"k{i}": {"DataType": "String", "StringValue": "x"} for i in range(11)},
         "Number of message attributes [11] exceeds the allowed maximum [10]."),
    ],
)
def test_bad_message_attributes(pinned: Cli, attrs: dict[str, Any], text: str) -> None:
    pinned.ok("sns", "create-topic", "--name", "ops")
    res = pinned("sns", "publish", "--topic-arn", "ops", "--message", "m", "--message-attributes", json.dumps(attrs))
    assert res.exit_code == 2 and text in res.stderr, res.stderr
    assert _deliveries(pinned) == []


def test_fifo_topics(pinned: Cli) -> None:
    bad = pinned("sns", "create-topic", "--name", "orders.fifo")
    assert bad.exit_code == 2 and "Topic Name" in bad.stderr
    pinned.ok("sns", "create-topic", "--name", "orders.fifo", "--attributes", "FifoTopic=true")
    pinned.ok("sns", "create-topic", "--name", "cbd.fifo", "--attributes", "FifoTopic=true,ContentBasedDeduplication=true")
    pinned.ok("sqs", "create-queue", "--queue-name", "q.fifo", "--attributes", "FifoQueue=true")
    pinned.ok("sqs", "create-queue", "--queue-name", "plain")
    no = pinned("sns", "subscribe", "--topic-arn", "orders.fifo", "--protocol", "sqs", "--notification-endpoint", Q + "plain")
    assert no.exit_code == 2 and "Please use FIFO SQS queue" in no.stderr
    no = pinned("sns", "subscribe", "--topic-arn", "orders.fifo", "--protocol", "email", "--notification-endpoint", "a@b.co")
    assert no.exit_code == 2 and "FIFO topic only supports SQS protocol" in no.stderr
    for t in ("orders.fifo", "cbd.fifo"):
        pinned.ok("sns", "subscribe", "--topic-arn", t, "--protocol", "sqs", "--notification-endpoint", Q + "q.fifo")
    res = pinned("sns", "publish", "--topic-arn", "orders.fifo", "--message", "m")
    assert res.exit_code == 2 and "The MessageGroupId parameter is required for FIFO topics" in res.stderr
    res = pinned("sns", "publish", "--topic-arn", "orders.fifo", "--message", "m", "--message-group-id", "g")
    assert res.exit_code == 2 and "ContentBasedDeduplication enabled or MessageDeduplicationId" in res.stderr
    a = pinned.json("sns", "publish", "--topic-arn", "orders.fifo", "--message", "m", "--message-group-id", "g",
                    "--message-deduplication-id", "d1")  # fmt: skip
    b = pinned.json("sns", "publish", "--topic-arn", "orders.fifo", "--message", "m2", "--message-group-id", "g",
                    "--message-deduplication-id", "d1")  # fmt: skip
    assert a == b and a["SequenceNumber"].isdigit() and len(a["SequenceNumber"]) == 20
    c = pinned.json("sns", "publish", "--topic-arn", "cbd.fifo", "--message", "same", "--message-group-id", "g")
    assert pinned.json("sns", "publish", "--topic-arn", "cbd.fifo", "--message", "same", "--message-group-id", "g") == c
    pinned.ok("account", "clock", "advance", "6m")  # past the 5-minute deduplication window
    d = pinned.json("sns", "publish", "--topic-arn", "cbd.fifo", "--message", "same", "--message-group-id", "g")
    assert d["MessageId"] != c["MessageId"] and d["SequenceNumber"] > c["SequenceNumber"]
    bodies = [json.loads(m["Body"])["Message"] for m in _receive(pinned, "q.fifo")]
    assert bodies == ["m", "same", "same"]  # duplicates within 5 minutes were not delivered again
    plain = pinned("sns", "create-topic", "--name", "std")
    assert plain.exit_code == 0
    res = pinned("sns", "publish", "--topic-arn", "std", "--message", "m", "--message-deduplication-id", "x")
    assert res.exit_code == 2 and "MessageDeduplicationId" in res.stderr


class _Hook(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], str]] = []
    fail_first = 0

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        type(self).received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        if type(self).fail_first > 0:
            type(self).fail_first -= 1
            self.send_response(500)
        else:
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def hook() -> Any:
    _Hook.received = []
    _Hook.fail_first = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def test_http_endpoints_are_really_posted(pinned: Cli, hook: str) -> None:
    arn = pinned.json("sns", "create-topic", "--name", "ops")["TopicArn"]
    pinned.ok("sns", "subscribe", "--topic-arn", "ops", "--protocol", "http", "--notification-endpoint", hook)
    [(headers, body)] = _Hook.received
    confirm = json.loads(body)
    assert headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
    assert headers["x-amz-sns-topic-arn"] == arn and headers["x-amz-sns-message-id"] == confirm["MessageId"]
    assert headers["content-type"] == "text/plain; charset=UTF-8"
    sub = pinned.json("sns", "confirm-subscription", "--topic-arn", arn, "--token", confirm["Token"])["SubscriptionArn"]
    # AWS's default http policy: 3 retries, 20 s apart, on the simulated clock.
    _Hook.fail_first = 2  # two failures, then success: delivered on the third attempt, 40 s after the publish
    msg = pinned.json("sns", "publish", "--topic-arn", "ops", "--message", "hello", "--subject", "s")["MessageId"]
    assert len(_Hook.received) == 2
    row = _deliveries(pinned)[-1]
    assert row["Status"] == "Retrying" and "next attempt at 2026-11-20T12:00:20.000Z" in row["Detail"]
    pinned.ok("account", "clock", "advance", "19s")
    assert len(_Hook.received) == 2
    pinned.ok("account", "clock", "advance", "1s")
    assert len(_Hook.received) == 3 and _deliveries(pinned)[-1]["Status"] == "Retrying"
    pinned.ok("account", "clock", "advance", "20s")
    assert len(_Hook.received) == 4
    headers, body = _Hook.received[-1]
    note = json.loads(body)
    assert headers["x-amz-sns-message-type"] == "Notification" and headers["x-amz-sns-subscription-arn"] == sub
    assert note["MessageId"] == msg and note["Message"] == "hello" and note["Subject"] == "s"
    # AWS's Notification shape: signed, with an https UnsubscribeURL.
    assert list(note) == ["Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "SignatureVersion",
                          "Signature", "SigningCertURL", "UnsubscribeURL"]  # fmt: skip
    assert note["UnsubscribeURL"] == f"https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={sub}"
    row = _deliveries(pinned)[-1]
    assert row["Status"] == "Delivered" and row["Detail"] == (
        "3 attempts: 2026-11-20T12:00:00.000Z, 2026-11-20T12:00:20.000Z, 2026-11-20T12:00:40.000Z")
    _Hook.fail_first = 10  # all 1 + 3 attempts fail: a Failed outbox row, the publish itself succeeds
    pinned.ok("sns", "publish", "--topic-arn", "ops", "--message", "lost")
    pinned.ok("account", "clock", "advance", "10m")
    assert len(_Hook.received) == 8
    last = _deliveries(pinned)[-1]
    assert last["Status"] == "Failed" and last["Detail"].startswith("HTTP 500 (4 attempts: 2026-11-20T12:00:40.000Z")


def test_sns_group_contract(backend_cli: Cli) -> None:
    """Shapes of the `awsmon sns` commands on the local backend and a real moto server (moto confirms email
    subscriptions at once and returns their ARN, so the pending step is local-only)."""
    arn = backend_cli.json("sns", "create-topic", "--name", "shapes")["TopicArn"]
    sub = backend_cli.json("sns", "subscribe", "--topic-arn", arn, "--protocol", "email", "--notification-endpoint",
                           "a@example.com", "--return-subscription-arn", "--attributes",
                           '{"FilterPolicy": {"k": ["v"]}}')["SubscriptionArn"]  # fmt: skip
    assert sub.startswith(arn + ":")
    got = backend_cli.json("sns", "get-subscription-attributes", "--subscription-arn", sub)["Attributes"]
    assert got["TopicArn"] == arn and got["Protocol"] == "email" and json.loads(got["FilterPolicy"]) == {"k": ["v"]}
    backend_cli.ok("sns", "set-subscription-attributes", "--subscription-arn", sub, "--attribute-name",
                   "FilterPolicy", "--attribute-value", '{"k": ["w"]}')  # fmt: skip
    got = backend_cli.json("sns", "get-subscription-attributes", "--subscription-arn", sub)["Attributes"]
    assert json.loads(got["FilterPolicy"]) == {"k": ["w"]}
    out = backend_cli.json("sns", "publish", "--topic-arn", arn, "--message", "m", "--message-attributes",
                           '{"k": {"DataType": "String", "StringValue": "w"}}')  # fmt: skip
    assert set(out) == {"MessageId"}
    fifo = backend_cli.json("sns", "create-topic", "--name", "shapes.fifo", "--attributes",
                            "FifoTopic=true,ContentBasedDeduplication=true")["TopicArn"]  # fmt: skip
    out = backend_cli.json("sns", "publish", "--topic-arn", fifo, "--message", "m", "--message-group-id", "g")
    # AWS answers a FIFO publish with a SequenceNumber; moto leaves it out (a moto gap)
    assert set(out) <= {"MessageId", "SequenceNumber"} and "MessageId" in out
    backend_cli.ok("sns", "unsubscribe", "--subscription-arn", sub)
    assert backend_cli.json("sns", "list-subscriptions")["Subscriptions"] == []


def test_failed_deliveries_go_to_the_dead_letter_queue(pinned: Cli) -> None:
    pinned.ok("sns", "create-topic", "--name", "ops")
    pinned.ok("sqs", "create-queue", "--queue-name", "dlq")
    pinned.ok("sns", "subscribe", "--topic-arn", "ops", "--protocol", "sqs", "--notification-endpoint", Q + "gone",
              "--attributes", json.dumps({"RedrivePolicy": {"deadLetterTargetArn": Q + "dlq"}}))  # fmt: skip
    pinned.ok("sns", "publish", "--topic-arn", "ops", "--message", "m")
    last = _deliveries(pinned)[-1]
    assert last["Status"] == "Failed" and "moved to the dead-letter queue" in last["Detail"]
    [dead] = _receive(pinned, "dlq")
    assert json.loads(dead["Body"])["Message"] == "m"
    bad = pinned("sns", "subscribe", "--topic-arn", "ops", "--protocol", "sqs", "--notification-endpoint", Q + "dlq",
                 "--attributes", '{"RedrivePolicy": "{}"}')  # fmt: skip
    assert bad.exit_code == 2 and "RedrivePolicy" in bad.stderr


def test_http_retries_follow_the_delivery_policy_on_the_clock(pinned: Cli, hook: str) -> None:
    """The four phases: 1 immediate retry, 1 pre-backoff retry (min 2 s), 3 backoff retries (2 -> 10 s, linear),
    1 post-backoff retry (max 10 s); then the dead-letter queue."""
    pinned.ok("sns", "create-topic", "--name", "ops")
    pinned.ok("sqs", "create-queue", "--queue-name", "dlq")
    policy = {"healthyRetryPolicy": {"minDelayTarget": 2, "maxDelayTarget": 10, "numRetries": 6,
                                     "numNoDelayRetries": 1, "numMinDelayRetries": 1, "numMaxDelayRetries": 1,
                                     "backoffFunction": "linear"},
              "requestPolicy": {"headerContentType": "application/json"}}  # fmt: skip
    pinned.ok("sns", "subscribe", "--topic-arn", "ops", "--protocol", "http", "--notification-endpoint", hook,
              "--attributes", json.dumps({"DeliveryPolicy": policy, "RedrivePolicy": {"deadLetterTargetArn": Q + "dlq"}}))  # fmt: skip
    pinned.ok("sns", "confirm-subscription", "--topic-arn", "ops", "--token", json.loads(_Hook.received[0][1])["Token"])
    _Hook.fail_first = 100
    pinned.ok("sns", "publish", "--topic-arn", "ops", "--message", "m")
    assert len(_Hook.received) == 3  # the confirmation, the first attempt and the immediate retry
    assert _Hook.received[-1][0]["content-type"] == "application/json"
    pinned.ok("account", "clock", "advance", "3s")  # the pre-backoff retry at +2 s
    assert len(_Hook.received) == 4
    pinned.ok("account", "clock", "advance", "1m")
    assert len(_Hook.received) == 8
    last = _deliveries(pinned)[-1]
    offsets = [0, 0, 2, 4, 10, 20, 30]  # delays 0, 2 | 2, 6, 10 | 10 (seconds after the attempt before)
    times = ", ".join(f"2026-11-20T12:00:{o:02d}.000Z" for o in offsets)
    assert last["Status"] == "Failed"
    assert last["Detail"] == f"HTTP 500 (7 attempts: {times}); moved to the dead-letter queue {Q}dlq"
    [dead] = _receive(pinned, "dlq")
    assert json.loads(dead["Body"])["Message"] == "m"


def test_topic_delivery_policy_and_overrides(pinned: Cli, hook: str) -> None:
    topic_policy = {"http": {"defaultHealthyRetryPolicy": {"minDelayTarget": 5, "maxDelayTarget": 5, "numRetries": 1},
                             "disableSubscriptionOverrides": True}}  # fmt: skip
    pinned.ok("sns", "create-topic", "--name", "ops", "--attributes", json.dumps({"DeliveryPolicy": topic_policy}))
    own = {"healthyRetryPolicy": {"minDelayTarget": 1, "maxDelayTarget": 1, "numRetries": 0}}
    pinned.ok("sns", "subscribe", "--topic-arn", "ops", "--protocol", "http", "--notification-endpoint", hook,
              "--attributes", json.dumps({"DeliveryPolicy": own}))  # fmt: skip
    pinned.ok("sns", "confirm-subscription", "--topic-arn", "ops", "--token", json.loads(_Hook.received[0][1])["Token"])
    _Hook.fail_first = 1
    pinned.ok("sns", "publish", "--topic-arn", "ops", "--message", "m")
    assert "next attempt at 2026-11-20T12:00:05.000Z" in _deliveries(pinned)[-1]["Detail"]  # the topic's policy wins
    pinned.ok("account", "clock", "advance", "5s")
    assert _deliveries(pinned)[-1]["Status"] == "Delivered"


@pytest.mark.parametrize(("policy", "text"), [
    ({"healthyRetryPolicy": {"numRetries": 101}}, "numRetries must be at most 100"),
    ({"healthyRetryPolicy": {"minDelayTarget": 30, "maxDelayTarget": 20}}, "minDelayTarget must be at least 1"),
    ({"healthyRetryPolicy": {"numRetries": 2, "numNoDelayRetries": 3}}, "must be at most numRetries"),
    ({"healthyRetryPolicy": {"backoffFunction": "cubic"}}, "backoffFunction must be one of"),
    ({"healthyRetryPolicy": {"numRetries": 100, "minDelayTarget": 3600, "maxDelayTarget": 3600}},
     "total retry time must be at most 3600 seconds"),
    ({"healthyRetryPolicy": {"numRetries": "3"}}, "numRetries must be a whole number"),
    ({"retry": {}}, "unknown field(s) retry"),
])  # fmt: skip
def test_bad_delivery_policies_are_refused(pinned: Cli, policy: dict[str, Any], text: str) -> None:
    pinned.ok("sns", "create-topic", "--name", "ops")
    res = pinned("sns", "subscribe", "--topic-arn", "ops", "--protocol", "https", "--notification-endpoint",
                 "https://127.0.0.1:9/x", "--attributes", json.dumps({"DeliveryPolicy": policy}))  # fmt: skip
    assert res.exit_code == 2 and "InvalidParameter: Invalid parameter: DeliveryPolicy: " in res.stderr and text in res.stderr
    assert pinned.json("sns", "list-subscriptions")["Subscriptions"] == []
    res = pinned("sns", "subscribe", "--topic-arn", "ops", "--protocol", "sqs", "--notification-endpoint", Q + "q",
                 "--attributes", json.dumps({"DeliveryPolicy": {}}))  # fmt: skip
    assert res.exit_code == 2 and "does not support delivery policies" in res.stderr
