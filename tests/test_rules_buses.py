"""EventBridge buses, resource policies, archives and replays, retries and dead-letter queues (issue 12)."""

from __future__ import annotations

import json

import pytest

from awsmon.backends.local import facts
from tests.conftest import Cli

ACCT = "123456789012"
BUS = f"arn:aws:events:us-east-1:{ACCT}:event-bus/orders"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCT}:q"
DLQ = f"arn:aws:sqs:us-east-1:{ACCT}:dlq"


def _put(cli: Cli, bus: str = "orders", detail: str = '{"n": 1}', source: str = "my.app") -> dict:
    return cli.json("rules", "put-events", "--bus", bus, "--source", source, "--detail-type", "Order", "--detail", detail)


def _bodies(cli: Cli, queue: str, **kw: str) -> list:
    msgs = cli.json("sqs", "receive-message", "--queue-url", queue, "--max-number-of-messages", "10",
                    "--message-attribute-names", "All")["Messages"]  # fmt: skip
    return msgs


# -- contract: the control plane on both backends ------------------------------------------------------------------------
def test_bus_lifecycle_and_policy(backend_cli: Cli) -> None:
    cli = backend_cli
    assert cli.json("rules", "create-event-bus", "--name", "orders")["EventBusArn"] == BUS
    again = cli("rules", "create-event-bus", "--name", "orders")
    assert again.exit_code == 2 and "ResourceAlreadyExistsException: Event bus orders already exists." in again.stderr
    names = [b["Name"] for b in cli.json("rules", "list-event-buses")["EventBuses"]]
    assert names == ["default", "orders"]
    cli.ok("rules", "put-permission", "--event-bus-name", "orders", "--principal", "111122223333", "--statement-id", "p1")
    desc = cli.json("rules", "describe-event-bus", "--name", "orders")
    assert desc["Name"] == "orders" and desc["Arn"] == BUS
    statement = json.loads(desc["Policy"])["Statement"]
    assert statement == [{"Sid": "p1", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                          "Action": "events:PutEvents", "Resource": BUS}]  # fmt: skip
    missing = cli("rules", "remove-permission", "--event-bus-name", "orders", "--statement-id", "nope")
    assert missing.exit_code == 1 and "ResourceNotFoundException" in missing.stderr
    cli.ok("rules", "remove-permission", "--event-bus-name", "orders", "--statement-id", "p1")
    assert "Policy" not in cli.json("rules", "describe-event-bus", "--name", "orders")
    rule = cli.json("rules", "put", "--name", "r", "--bus", "orders", "--event-pattern", '{"source":["my.app"]}')
    assert rule["RuleArn"] == f"arn:aws:events:us-east-1:{ACCT}:rule/orders/r"
    default = cli("rules", "delete-event-bus", "--name", "default")
    assert default.exit_code == 2 and "Cannot delete event bus default." in default.stderr
    cli.ok("rules", "delete-event-bus", "--name", "orders")
    assert [b["Name"] for b in cli.json("rules", "list-event-buses")["EventBuses"]] == ["default"]
    gone = cli("rules", "describe-event-bus", "--name", "orders")
    assert gone.exit_code == 1 and "ResourceNotFoundException" in gone.stderr


def test_archive_lifecycle(backend_cli: Cli) -> None:
    cli = backend_cli
    cli.ok("rules", "create-event-bus", "--name", "orders")
    made = cli.json("rules", "create-archive", "--archive-name", "arc", "--bus", BUS, "--event-pattern",
                    '{"source":["my.app"]}', "--retention-days", "7")  # fmt: skip
    assert made["ArchiveArn"] == f"arn:aws:events:us-east-1:{ACCT}:archive/arc" and made["State"] == "ENABLED"
    dup = cli("rules", "create-archive", "--archive-name", "arc", "--bus", BUS)
    assert dup.exit_code == 2 and "ResourceAlreadyExistsException: Archive arc already exists." in dup.stderr
    desc = cli.json("rules", "describe-archive", "--archive-name", "arc")
    assert desc["EventSourceArn"] == BUS and desc["RetentionDays"] == 7 and desc["EventPattern"] == '{"source":["my.app"]}'
    assert [a["ArchiveName"] for a in cli.json("rules", "list-archives")["Archives"]] == ["arc"]
    cli.ok("rules", "delete-archive", "--archive-name", "arc")
    missing = cli("rules", "describe-archive", "--archive-name", "arc")
    assert missing.exit_code == 1 and "ResourceNotFoundException: Archive arc does not exist." in missing.stderr


# -- local behaviour -------------------------------------------------------------------------------------------------------
def test_rules_on_a_custom_bus_and_bus_targets(pinned: Cli) -> None:
    pinned.ok("rules", "create-event-bus", "--name", "orders")
    pinned.ok("sqs", "create-queue", "--queue-name", "q")
    pinned.ok("rules", "put", "--name", "fwd", "--event-pattern", '{"source":["my.app"]}')
    pinned.ok("rules", "put-targets", "--rule", "fwd", "--targets", f"Id=bus,Arn={BUS}")
    pinned.ok("rules", "put", "--name", "r", "--bus", "orders", "--event-pattern", '{"detail":{"n":[1]}}')
    pinned.ok("rules", "put-targets", "--rule", "r", "--bus", "orders", "--targets", f"Id=q,Arn={QUEUE}")
    sent = _put(pinned, bus="default")["Entries"][0]["EventId"]
    _put(pinned, bus="default", detail='{"n": 2}')  # forwarded, not matched on the custom bus
    got = _bodies(pinned, "q")
    assert len(got) == 1
    event = json.loads(got[0]["Body"])
    assert event["detail"] == {"n": 1} and event["id"] != sent  # a new id on the next bus
    # A rule on the default bus does not see events of the custom bus.
    _put(pinned, bus="orders")
    assert [d["Rule"] for d in pinned.json("rules", "deliveries")["Deliveries"]].count("fwd") == 2


def test_dead_letter_queue_gets_failed_deliveries_with_aws_attributes(pinned: Cli) -> None:
    pinned.ok("rules", "create-event-bus", "--name", "orders")
    pinned.ok("sqs", "create-queue", "--queue-name", "dlq")
    pinned.ok("rules", "put", "--name", "r", "--bus", "orders", "--event-pattern", '{"source":["my.app"]}')
    target = {"Id": "t", "Arn": f"arn:aws:sqs:us-east-1:{ACCT}:missing", "DeadLetterConfig": {"Arn": DLQ},
              "InputPath": "$.detail"}  # fmt: skip
    pinned.ok("rules", "put-targets", "--rule", "r", "--bus", "orders", "--targets", json.dumps([target]))
    _put(pinned)
    msgs = _bodies(pinned, "dlq")
    assert [m["Body"] for m in msgs] == ['{"n": 1}']
    attrs = {k: v["StringValue"] for k, v in msgs[0]["MessageAttributes"].items()}
    assert attrs == {"RULE_ARN": f"arn:aws:events:us-east-1:{ACCT}:rule/orders/r", "TARGET_ARN": target["Arn"],
                     "ERROR_CODE": "NO_RESOURCE", "ERROR_MESSAGE": "The specified queue does not exist."}  # fmt: skip
    row = pinned.json("rules", "deliveries")["Deliveries"][-1]
    assert row["Status"] == "Failed" and row["DeadLetter"] == f"SentToDLQ {DLQ}"


FLAKY: list[str] = []


def flaky_target(store, arn, payload, when, **attrs):  # a target that refuses twice, then takes the message
    FLAKY.append(when.isoformat())
    if arn.endswith(":always") or len(FLAKY) <= 2:
        return facts.Delivery("Failed", "Rate exceeded", error_code="ThrottlingException", retryable=True)
    return facts.Delivery("Delivered", message_id="ok")


@pytest.fixture
def flaky():
    FLAKY.clear()
    facts.register_target("flakytest", f"{__name__}:flaky_target")
    yield FLAKY
    facts.TARGETS.pop("flakytest")


def test_transient_failures_are_retried_with_backoff_on_the_clock(pinned: Cli, flaky: list[str]) -> None:
    pinned.ok("rules", "put", "--name", "r", "--event-pattern", '{"source":["my.app"]}')
    pinned.ok("rules", "put-targets", "--rule", "r", "--targets",
              f"Id=k,Arn=arn:aws:flakytest:us-east-1:{ACCT}:s")  # fmt: skip
    _put(pinned, bus="default")
    assert flaky == ["2026-11-20T12:00:00+00:00"] and pinned.json("rules", "deliveries")["Deliveries"] == []
    pinned.ok("account", "clock", "advance", "10s")
    # 1 s after the first attempt, then 2 s after the second: exponential backoff.
    assert flaky[1:] == ["2026-11-20T12:00:01+00:00", "2026-11-20T12:00:03+00:00"]
    row = pinned.json("rules", "deliveries")["Deliveries"][0]
    assert row["Status"] == "Delivered" and row["Attempts"] == 3


def test_exhausted_retries_go_to_the_dead_letter_queue(pinned: Cli, flaky: list[str]) -> None:
    pinned.ok("sqs", "create-queue", "--queue-name", "dlq")
    pinned.ok("rules", "put", "--name", "r", "--event-pattern", '{"source":["my.app"]}')
    target = {"Id": "k", "Arn": f"arn:aws:flakytest:us-east-1:{ACCT}:always", "DeadLetterConfig": {"Arn": DLQ},
              "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600}}  # fmt: skip
    pinned.ok("rules", "put-targets", "--rule", "r", "--targets", json.dumps([target]))
    _put(pinned, bus="default")
    pinned.ok("account", "clock", "advance", "1h")
    assert len(flaky) == 4  # the first attempt and 3 retries
    msg = _bodies(pinned, "dlq")[0]
    attrs = {k: v["StringValue"] for k, v in msg["MessageAttributes"].items()}
    assert attrs["ERROR_CODE"] == "THROTTLING" and attrs["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"
    assert attrs["RETRY_ATTEMPTS"] == "3"


def test_cross_account_put_events_needs_the_bus_policy(pinned: Cli) -> None:
    other = "111122223333"
    pinned.ok("account", "init", "--account-id", other)
    pinned.ok("--account", other, "rules", "create-event-bus", "--name", "shared")
    pinned.ok("--account", other, "sqs", "create-queue", "--queue-name", "inbox")
    pinned.ok("--account", other, "rules", "put", "--name", "in", "--bus", "shared", "--event-pattern", '{"source":["my.app"]}')
    pinned.ok("--account", other, "rules", "put-targets", "--rule", "in", "--bus", "shared", "--targets",
              f"Id=q,Arn=arn:aws:sqs:us-east-1:{other}:inbox")  # fmt: skip
    shared = f"arn:aws:events:us-east-1:{other}:event-bus/shared"
    denied = _put(pinned, bus=shared)
    assert denied["FailedEntryCount"] == 1 and denied["Entries"][0]["ErrorCode"] == "AccessDeniedException"
    assert pinned.ok("--account", other, "sqs", "receive-message", "--queue-url", "inbox").stdout == ""
    pinned.ok("--account", other, "rules", "put-permission", "--event-bus-name", "shared", "--principal", ACCT,
              "--statement-id", "from-main")  # fmt: skip
    assert _put(pinned, bus=shared)["FailedEntryCount"] == 0
    got = pinned.json("--account", other, "sqs", "receive-message", "--queue-url", "inbox")["Messages"]
    assert json.loads(got[0]["Body"])["account"] == ACCT


def test_archive_and_replay_on_the_clock(pinned: Cli) -> None:
    pinned.ok("rules", "create-event-bus", "--name", "orders")
    pinned.ok("sqs", "create-queue", "--queue-name", "q")
    pinned.ok("rules", "create-archive", "--archive-name", "arc", "--bus", "orders", "--event-pattern", '{"detail":{"n":[1]}}')
    _put(pinned)
    _put(pinned, detail='{"n": 2}')  # not archived (pattern)
    assert pinned.json("rules", "describe-archive", "--archive-name", "arc")["EventCount"] == 1
    pinned.ok("rules", "put", "--name", "live", "--bus", "orders", "--event-pattern",
              '{"source":["my.app"],"replay-name":[{"exists":false}]}')  # fmt: skip
    pinned.ok("rules", "put", "--name", "replays", "--bus", "orders", "--event-pattern", '{"source":["my.app"]}')
    for rule in ("live", "replays"):
        pinned.ok("rules", "put-targets", "--rule", rule, "--bus", "orders", "--targets", f"Id=q,Arn={QUEUE}")
    started = pinned.json("rules", "start-replay", "--replay-name", "rp", "--archive", "arc", "--start", "-10m",
                          "--end", "+10m")  # fmt: skip
    assert started["State"] == "STARTING"
    pinned.ok("account", "clock", "advance", "1m")
    assert pinned.json("rules", "describe-replay", "--replay-name", "rp")["State"] == "RUNNING"
    pinned.ok("account", "clock", "advance", "1m")
    done = pinned.json("rules", "describe-replay", "--replay-name", "rp")
    assert done["State"] == "COMPLETED" and done["EventLastReplayedTime"] == "2026-11-20T12:00:00Z"
    bodies = [json.loads(m["Body"]) for m in _bodies(pinned, "q")]
    assert len(bodies) == 1 and bodies[0]["replay-name"] == "rp"
    assert list(bodies[0])[:8] == ["version", "id", "detail-type", "source", "account", "time", "region", "replay-name"]
    # Replayed events are not archived again.
    assert pinned.json("rules", "describe-archive", "--archive-name", "arc")["EventCount"] == 1
    dup = pinned("rules", "start-replay", "--replay-name", "rp", "--archive", "arc", "--start", "-10m", "--end", "+10m")
    assert dup.exit_code == 2 and "ResourceAlreadyExistsException: Replay rp already exists." in dup.stderr
    bad = pinned("rules", "start-replay", "--replay-name", "rp2", "--archive", "arc", "--start", "+10m", "--end", "-10m")
    assert bad.exit_code == 2 and "EventStartTime must be before EventEndTime." in bad.stderr


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["create-event-bus", "--name", "bad name"], "Member must satisfy regular expression pattern"),
        (["create-archive", "--archive-name", "a", "--bus", "orders", "--event-pattern", '{"source":"x"}'],
         "InvalidEventPatternException"),
        (["put-permission", "--event-bus-name", "orders", "--principal", "12", "--statement-id", "s"],
         r"Member must satisfy regular expression pattern: (\d{12}|\*)"),
        (["put-permission", "--event-bus-name", "orders", "--policy", '{"Statement": "x"}'], "Policy is not valid."),
        (["put-targets", "--rule", "r", "--bus", "orders", "--targets",
          json.dumps([{"Id": "t", "Arn": QUEUE, "RetryPolicy": {"MaximumRetryAttempts": 186}}])],
         "Member must have value less than or equal to 185"),
        (["put-targets", "--rule", "r", "--bus", "orders", "--targets",
          json.dumps([{"Id": "t", "Arn": QUEUE, "DeadLetterConfig": {"Arn": "arn:aws:sns:us-east-1:1:t"}}])],
         "DeadLetterConfig.Arn"),
        (["put-targets", "--rule", "r", "--bus", "orders", "--targets",
          json.dumps([{"Id": f"t{i}", "Arn": QUEUE} for i in range(6)])], "LimitExceededException"),
    ],
)
def test_bad_input_exits_2_and_stores_nothing(pinned: Cli, args: list[str], text: str) -> None:
    pinned.ok("rules", "create-event-bus", "--name", "orders")
    pinned.ok("rules", "put", "--name", "r", "--bus", "orders", "--event-pattern", '{"source":["my.app"]}')
    res = pinned("rules", *args)
    assert res.exit_code == 2 and text in res.stderr and res.stdout == ""
    assert [b["Name"] for b in pinned.json("rules", "list-event-buses")["EventBuses"]] == ["default", "orders"]
    assert pinned.json("rules", "list-archives")["Archives"] == []
    assert pinned.json("rules", "list-targets", "--rule", "r", "--bus", "orders")["Targets"] == []
    assert "Policy" not in pinned.json("rules", "describe-event-bus", "--name", "orders")
