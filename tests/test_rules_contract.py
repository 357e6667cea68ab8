"""Contract tests: the same `awsmon rules` commands on the local backend and on a real moto server (aws backend)."""

from __future__ import annotations

import json

from tests.conftest import Cli

QUEUE = "arn:aws:sqs:us-east-1:123456789012:q"
PATTERN = json.dumps({"source": ["my.app"], "detail-type": ["Order"]})


def test_rule_lifecycle(backend_cli: Cli) -> None:
    cli = backend_cli
    arn = cli.json("rules", "put", "--name", "orders", "--event-pattern", PATTERN, "--description", "d")["RuleArn"]
    assert arn == "arn:aws:events:us-east-1:123456789012:rule/orders"
    cli.ok("rules", "put", "--name", "tick", "--schedule-expression", "rate(5 minutes)", "--state", "DISABLED")
    desc = cli.json("rules", "describe", "--name", "orders")
    assert desc == {"Name": "orders", "Arn": arn, "EventPattern": PATTERN, "State": "ENABLED", "Description": "d",
                    "EventBusName": "default", "CreatedBy": "123456789012"}  # fmt: skip
    tick = cli.json("rules", "describe", "--name", "tick")
    assert tick["ScheduleExpression"] == "rate(5 minutes)" and tick["State"] == "DISABLED"
    assert [r["Name"] for r in cli.json("rules", "list")["Rules"]] == ["orders", "tick"]
    assert [r["Name"] for r in cli.json("rules", "list", "--name-prefix", "ti")["Rules"]] == ["tick"]
    cli.ok("rules", "enable", "--name", "tick")
    cli.ok("rules", "disable", "--name", "orders")
    assert cli.json("rules", "describe", "--name", "tick")["State"] == "ENABLED"
    assert cli.json("rules", "describe", "--name", "orders")["State"] == "DISABLED"
    cli.ok("rules", "delete", "--name", "tick")
    cli.ok("rules", "delete", "--name", "tick")  # deleting a missing rule succeeds
    missing = cli("rules", "describe", "--name", "tick")
    assert missing.exit_code == 1 and "ResourceNotFoundException: Rule tick does not exist" in missing.stderr


def test_targets(backend_cli: Cli) -> None:
    cli = backend_cli
    cli.ok("rules", "put", "--name", "orders", "--event-pattern", PATTERN)
    resp = cli.json("rules", "put-targets", "--rule", "orders", "--targets", f"Id=a,Arn={QUEUE}",
                    f"Id=b,Arn={QUEUE},InputPath=$.detail", f'Id=c,Arn={QUEUE},Input={{"k":1}}')  # fmt: skip
    assert resp == {"FailedEntryCount": 0, "FailedEntries": []}
    targets = cli.json("rules", "list-targets", "--rule", "orders")["Targets"]
    assert targets == [{"Id": "a", "Arn": QUEUE}, {"Id": "b", "Arn": QUEUE, "InputPath": "$.detail"},
                       {"Id": "c", "Arn": QUEUE, "Input": '{"k":1}'}]  # fmt: skip
    refused = cli("rules", "delete", "--name", "orders")
    assert refused.exit_code == 2 and "ValidationException: Rule can't be deleted since it has targets." in refused.stderr
    assert cli.json("rules", "remove-targets", "--rule", "orders", "--ids", "a", "b", "c")["FailedEntryCount"] == 0
    assert cli.json("rules", "list-targets", "--rule", "orders")["Targets"] == []
    bad_arn = cli("rules", "put-targets", "--rule", "orders", "--targets", "Id=a,Arn=queue")
    assert bad_arn.exit_code == 2
    assert "ValidationException: Parameter queue is not valid. Reason: Provided Arn is not in correct format." in bad_arn.stderr
    cli.ok("rules", "delete", "--name", "orders")
    gone = cli("rules", "put-targets", "--rule", "orders", "--targets", f"Id=a,Arn={QUEUE}")
    assert gone.exit_code == 1 and "Rule orders does not exist on EventBus default." in gone.stderr


def test_put_events(backend_cli: Cli) -> None:
    cli = backend_cli
    resp = cli.json("rules", "put-events", "--source", "my.app", "--detail-type", "Order", "--detail", '{"n": 1}')
    assert resp["FailedEntryCount"] == 0 and len(resp["Entries"]) == 1 and resp["Entries"][0]["EventId"]
    mixed = cli.json("rules", "put-events", "--entries", json.dumps([
        {"Source": "my.app", "DetailType": "Order", "Detail": "{}"},
        {"Source": "my.app", "Detail": "{}"},
        {"Source": "my.app", "DetailType": "Order", "Detail": "not json"},
    ]))  # fmt: skip
    assert mixed["FailedEntryCount"] == 2
    assert mixed["Entries"][1] == {"ErrorCode": "InvalidArgument",
                                   "ErrorMessage": "Parameter DetailType is not valid. Reason: DetailType is a required argument."}  # fmt: skip
    assert mixed["Entries"][2] == {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    many = cli("rules", "put-events", "--entries", json.dumps([{"Source": "a", "DetailType": "b", "Detail": "{}"}] * 11))
    assert many.exit_code == 2 and "Member must have length less than or equal to 10" in many.stderr


def test_test_event_pattern(backend_cli: Cli) -> None:
    cli = backend_cli
    event = json.dumps({"id": "1", "account": "123456789012", "source": "my.app", "time": "2026-11-20T12:00:00Z",
                        "region": "us-east-1", "detail-type": "Order", "detail": {}})  # fmt: skip
    res = cli("rules", "test-event-pattern", "--event-pattern", PATTERN, "--event", event, "-o", "json")
    assert res.exit_code == 0 and json.loads(res.stdout) == {"Result": True}, res.stderr
    # moto implements TestEventPattern as a stub with no Result: awsmon's own engine answers, with a notice.
    assert ("does not implement TestEventPattern" in res.stderr) is ("AWSMON_BACKEND" in cli.env)
    other = json.dumps({**json.loads(event), "detail-type": "Refund"})
    res = cli("rules", "test-event-pattern", "--event-pattern", PATTERN, "--event", other, "-o", "json")
    assert res.exit_code == 0 and json.loads(res.stdout) == {"Result": False}, res.stderr
