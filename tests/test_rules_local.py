"""Local EventBridge: CloudTrail-driven rules, schedules, PutEvents delivery, input shaping, sinks, validation."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from awsmon.backends.local.base import LocalService, api
from awsmon.backends.local.events import (
    _MISSING,
    apply_transformer,
    event_source_of,
    parse_json_path,
    reaches_default_rules,
    resolve_path,
    shape_input,
    wrap_cloudtrail,
)
from tests.conftest import Cli

ACCT = "123456789012"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCT}:q"
CREATE_GROUP_PATTERN = json.dumps({"source": ["aws.logs"], "detail-type": ["AWS API Call via CloudTrail"],
                                   "detail": {"eventName": ["CreateLogGroup"]}})  # fmt: skip


def _deliveries(cli: Cli, rule: str | None = None) -> list[dict[str, Any]]:
    args = ["rules", "deliveries"] + (["--rule", rule] if rule else [])
    return list(cli.json(*args)["Deliveries"])


# -- CloudTrail events reach rules as the clock passes ---------------------------------------------------------------
def test_create_log_group_rule_fires_when_the_clock_advances(pinned: Cli) -> None:
    pinned.ok("logs", "create-group", "--name", "/before")  # history from before the rule never reaches it
    pinned.ok("sqs", "create-queue", "--queue-name", "q")
    pinned.ok("rules", "put", "--name", "new-groups", "--event-pattern", CREATE_GROUP_PATTERN)
    pinned.ok("rules", "put-targets", "--rule", "new-groups", "--targets", f"Id=q,Arn={QUEUE}",
              f"Id=who,Arn={QUEUE},InputPath=$.detail.requestParameters.logGroupName")  # fmt: skip
    pinned.ok("logs", "create-group", "--name", "/app/web")
    pinned.ok("logs", "describe-groups")  # read-only: never reaches a default rule
    assert _deliveries(pinned) == []  # not yet: delivery happens as the simulated clock passes
    pinned.ok("account", "clock", "advance", "1m")
    got = _deliveries(pinned, "new-groups")
    assert [(d["TargetId"], d["Status"]) for d in got] == [("q", "Delivered"), ("who", "Delivered")]
    bodies = [m["Body"] for m in pinned.json("sqs", "receive-message", "--queue-url", "q", "--max", "10")["Messages"]]
    assert sorted(bodies, key=len)[0] == '"/app/web"' and len(bodies) == 2  # the InputPath selection, quoted
    event = json.loads(got[0]["Input"])
    assert list(event) == ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"]
    assert event["source"] == "aws.logs" and event["detail-type"] == "AWS API Call via CloudTrail"
    assert event["resources"] == [] and event["account"] == ACCT and event["region"] == "us-east-1"
    assert event["detail"]["eventName"] == "CreateLogGroup" and event["detail"]["eventSource"] == "logs.amazonaws.com"
    assert event["time"] == "2026-11-20T12:00:00Z" == event["detail"]["eventTime"]
    assert got[1]["Input"] == '"/app/web"'
    assert got[0]["Time"] == "2026-11-20T12:00:00Z"  # delivered at the call's time
    pinned.ok("account", "clock", "advance", "1h")
    assert len(_deliveries(pinned)) == 2  # nothing is dispatched twice


def test_read_only_calls_reach_only_rules_opted_in(pinned: Cli) -> None:
    pattern = json.dumps({"source": ["aws.logs"]})
    pinned.ok("rules", "put", "--name", "writes", "--event-pattern", pattern)
    pinned.ok("rules", "put", "--name", "all", "--event-pattern", pattern,
              "--state", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")  # fmt: skip
    for rule in ("writes", "all"):
        pinned.ok("rules", "put-targets", "--rule", rule, "--targets", f"Id=q,Arn={QUEUE}")
    pinned.ok("logs", "describe-groups")
    pinned.ok("account", "clock", "advance", "10s")
    names = {(d["Rule"], json.loads(d["Input"])["detail"]["eventName"]) for d in _deliveries(pinned)}
    assert names == {("all", "DescribeLogGroups")}


def test_disable_and_enable(pinned: Cli) -> None:
    pinned.ok("rules", "put", "--name", "r", "--event-pattern", CREATE_GROUP_PATTERN)
    pinned.ok("rules", "put-targets", "--rule", "r", "--targets", f"Id=q,Arn={QUEUE}")
    pinned.ok("logs", "create-group", "--name", "/a")
    pinned.ok("rules", "disable", "--name", "r")  # pending calls made while enabled are still delivered
    pinned.ok("logs", "create-group", "--name", "/b")
    pinned.ok("account", "clock", "advance", "1m")
    pinned.ok("rules", "enable", "--name", "r")  # no replay of what happened while disabled
    pinned.ok("account", "clock", "advance", "1m")
    pinned.ok("logs", "create-group", "--name", "/c")
    pinned.ok("account", "clock", "advance", "1m")
    groups = [json.loads(d["Input"])["detail"]["requestParameters"]["logGroupName"] for d in _deliveries(pinned)]
    assert groups == ["/a", "/c"]
    assert pinned.json("rules", "describe", "--name", "r")["State"] == "ENABLED"


class _LocalEc2(LocalService):
    """A stand-in service that records EC2 calls, to exercise CloudTrail wrapping with arrays of objects."""

    service_name = "ec2"
    event_source = "ec2.amazonaws.com"

    @api("StopInstances")
    def stop_instances(self, *, InstanceIds: list[str], **kw: Any) -> dict[str, Any]:
        return {"StoppingInstances": [{"InstanceId": i} for i in InstanceIds]}


def test_generated_cloudtrail_event_matches_array_aware_pattern(ctx: Any) -> None:
    from datetime import timedelta

    ctx.store().set_clock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    events = ctx.client("events")
    pattern = {"source": ["aws.ec2"], "detail": {"eventName": ["StopInstances"],
               "responseElements": {"stoppingInstances": {"instanceId": ["i-2"]}}}}  # fmt: skip
    events.put_rule(Name="stop-i2", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="stop-i2", Targets=[{"Id": "q", "Arn": QUEUE, "InputTransformer": {
        "InputPathsMap": {"first": "$.detail.requestParameters.instanceIds[0]"},
        "InputTemplate": '{"first": <first>, "rule": <aws.events.rule-name>}'}}])  # fmt: skip
    ec2 = _LocalEc2(ctx.store(), "us-east-1")
    ec2.stop_instances(InstanceIds=["i-1"])
    ec2.stop_instances(InstanceIds=["i-1", "i-2"])
    ctx.store().advance_clock(timedelta(seconds=30))
    ctx.run_catch_up()
    got = events.list_deliveries()["Deliveries"]
    assert [json.loads(d["Input"]) for d in got] == [{"first": "i-1", "rule": "stop-i2"}]


# -- schedules ---------------------------------------------------------------------------------------------------------
def test_rate_schedule_fires_through_a_two_day_jump_quickly(pinned: Cli) -> None:
    pinned.ok("rules", "put", "--name", "beat", "--schedule-expression", "rate(5 minutes)")
    pinned.ok("rules", "put-targets", "--rule", "beat", "--targets", f"Id=q,Arn={QUEUE}")
    pinned.ok("rules", "put", "--name", "idle", "--schedule-expression", "rate(1 minute)")  # no targets
    started = time.perf_counter()
    pinned.ok("account", "clock", "advance", "2d")
    assert time.perf_counter() - started < 5
    got = _deliveries(pinned, "beat")
    assert len(got) == 2 * 24 * 12
    first = json.loads(got[0]["Input"])
    assert first["detail-type"] == "Scheduled Event" and first["source"] == "aws.events" and first["detail"] == {}
    assert first["time"] == "2026-11-20T12:05:00Z" and got[-1]["Time"] == "2026-11-22T12:00:00Z"
    assert first["resources"] == [f"arn:aws:events:us-east-1:{ACCT}:rule/beat"]
    assert _deliveries(pinned, "idle") == []
    clock = pinned.json("account", "clock", "show")
    assert clock["PendingJobs"] >= 2


def test_a_late_catch_up_runs_each_fire_at_its_own_time(pinned: Cli, tmp_path: Path) -> None:
    """Advancing the clock by an hour over rate(10 minutes) fires 6 times, each *at* its fire time: the events, the
    queue's SentTimestamp, the function's log events and its AWS/Lambda datapoints carry 12:10, 12:20, ... 13:00,
    not the end of the advance."""
    from tests.test_lambda import HANDLER, ROLE, make_zip

    code = "def lambda_handler(event, context):\n    print('tick ' + event['time'])\n"
    z = make_zip(tmp_path / "f.zip", {"lambda_function.py": code})
    pinned.ok("lambda", "create-function", "--function-name", "tick", "--runtime", "python3.12", "--handler", HANDLER,
              "--role", ROLE, "--zip-file", f"fileb://{z}")  # fmt: skip
    pinned.ok("lambda", "add-permission", "--function-name", "tick", "--statement-id", "ev", "--action",
              "lambda:InvokeFunction", "--principal", "events.amazonaws.com")  # fmt: skip
    pinned.ok("sqs", "create-queue", "--queue-name", "q")
    pinned.ok("rules", "put", "--name", "beat", "--schedule-expression", "rate(10 minutes)")
    pinned.ok("rules", "put-targets", "--rule", "beat", "--targets", f"Id=q,Arn={QUEUE}",
              f"Id=f,Arn=arn:aws:lambda:us-east-1:{ACCT}:function:tick")  # fmt: skip
    pinned.ok("account", "clock", "advance", "1h")
    fires = [f"2026-11-20T12:{m}:00Z" for m in ("10", "20", "30", "40", "50")] + ["2026-11-20T13:00:00Z"]
    fire_ms = [int(datetime.fromisoformat(f).timestamp() * 1000) for f in fires]
    deliveries = _deliveries(pinned, "beat")
    assert sorted({json.loads(d["Input"])["time"] for d in deliveries}) == fires and len(deliveries) == 12
    msgs = pinned.json("sqs", "receive-message", "--queue-url", "q", "--max-number-of-messages", "10",
                       "--attribute-names", "All")["Messages"]  # fmt: skip
    assert sorted(int(m["Attributes"]["SentTimestamp"]) for m in msgs) == fire_ms
    logs = pinned.json("logs", "filter", "--group", "/aws/lambda/tick", "--filter-pattern", "tick")["events"]
    assert sorted((e["timestamp"], e["message"].strip()) for e in logs) == [
        (ms, f"tick {f}") for ms, f in zip(fire_ms, fires, strict=True)]  # fmt: skip
    stats = pinned.json("metrics", "get", "--namespace", "AWS/Lambda", "--metric-name", "Invocations", "--dimensions",
                        "FunctionName=tick", "--statistics", "Sum", "--period", "60", "--start-time",
                        "2026-11-20T12:00:00Z", "--end-time", "2026-11-20T13:01:00Z")["Datapoints"]  # fmt: skip
    assert sorted((d["Timestamp"], d["Sum"]) for d in stats) == [(f, 1.0) for f in fires]


def test_cron_schedule_disable_and_delete(pinned: Cli) -> None:
    pinned.ok("rules", "put", "--name", "noon", "--schedule-expression", "cron(0 12 * * ? *)")
    pinned.ok("rules", "put-targets", "--rule", "noon", "--targets", f"Id=q,Arn={QUEUE}")
    pinned.ok("account", "clock", "advance", "3d")
    assert [d["Time"] for d in _deliveries(pinned)] == [
        "2026-11-21T12:00:00Z", "2026-11-22T12:00:00Z", "2026-11-23T12:00:00Z"]  # fmt: skip
    pinned.ok("rules", "disable", "--name", "noon")
    pinned.ok("account", "clock", "advance", "2d")
    assert len(_deliveries(pinned)) == 3
    pinned.ok("rules", "enable", "--name", "noon")
    pinned.ok("account", "clock", "advance", "1d")
    assert len(_deliveries(pinned)) == 4
    pinned.ok("rules", "remove-targets", "--rule", "noon", "--ids", "q")
    pinned.ok("rules", "delete", "--name", "noon")
    pinned.ok("account", "clock", "advance", "2d")
    assert len(_deliveries(pinned)) == 4


# -- PutEvents and input shaping (§6.2) ---------------------------------------------------------------------------------
SPEC_DETAIL = {"command": "update-account", "payload": {"acc_id": "0a787ecb-4015", "sf_id": "baz"},
               "listsingle": ["HIGH"], "listmulti": ["ACTIVE", "INACTIVE"], "valid": True}  # fmt: skip
SPEC_EVENT = {"version": "0", "id": "e1", "detail-type": "core.update-account-command", "source": "core.update",
              "account": ACCT, "time": "2024-01-01T00:00:00Z", "region": "us-east-1", "resources": [],
              "detail": SPEC_DETAIL}  # fmt: skip
PATHS = {"detail-type": "$.detail-type", "timestamp": "$.time", "command": "$.detail.command",
         "missing": "$.detail.notinmessage", "payload": "$.detail.payload", "userId": "$.detail.payload.acc_id",
         "listsingle": "$.detail.listsingle", "listmulti": "$.detail.listmulti", "valid": "$.detail.valid"}  # fmt: skip


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('"Event of <detail-type> type, info <command>"', '"Event of core.update-account-command type, info update-account"'),
        ('"info <missing>"', '"info "'),
        ('{"detailType": <detail-type>, "command": <command>}',
         '{"detailType": "core.update-account-command", "command": "update-account"}'),
        ('{"command": <missing>}', '{"command": ""}'),
        ('{"method": "PUT", "path": "users-service/users/<userId>", "bod": <payload>}',
         '{"method": "PUT", "path": "users-service/users/0a787ecb-4015", "bod": {"acc_id": "0a787ecb-4015", "sf_id": "baz"}}'),
        ('"Payload of <payload> and <userId>"', '"Payload of {acc_id:0a787ecb-4015,sf_id:baz} and 0a787ecb-4015"'),
        ('"<listsingle> single list item"', '"[HIGH] single list item"'),
        ('"<listmulti> multiple list items"', '"[ACTIVE,INACTIVE] multiple list items"'),
        ('{"singlelistitem": <listsingle>}', '{"singlelistitem": ["HIGH"]}'),
        ('{"id" : "<userId>"}', '{"id" : "0a787ecb-4015"}'),
        ('"Command is <valid>!"', '"Command is true!"'),
        ('{"m": "users/<userId>/second/<userId>"}', '{"m": "users/0a787ecb-4015/second/0a787ecb-4015"}'),
        ('{"payload": "<payload>"}', None),
        ('{"singlelistitem": "<listsingle>"}', None),
    ],
)  # fmt: skip
def test_input_transformer_table(template: str, expected: str | None) -> None:
    values = {name: resolve_path(SPEC_EVENT, path) for name, path in PATHS.items()}
    assert apply_transformer(template, values) == expected


def test_reserved_variables_and_input_path() -> None:
    when = datetime(2024, 1, 1, 0, 0, 5, tzinfo=UTC)
    arn = f"arn:aws:events:us-east-1:{ACCT}:rule/r"
    tmpl = {"InputTransformer": {"InputTemplate": '"<aws.events.rule-arn> <aws.events.rule-name> '
                                 '<aws.events.event.ingestion-time>"'}}  # fmt: skip
    assert shape_input(tmpl, SPEC_EVENT, arn, "r", when) == (f'"{arn} r 2024-01-01T00:00:05Z"', None)
    objs = {"InputTransformer": {"InputTemplate": '{"e": <aws.events.event>, "j": <aws.events.event.json>}'}}
    text, _ = shape_input(objs, SPEC_EVENT, arn, "r", when)
    parsed = json.loads(text or "")
    assert list(parsed["e"]) == ["id", "account", "detailType", "time", "source", "region", "resources", "version"]
    assert parsed["j"] == SPEC_EVENT
    assert shape_input({"InputPath": "$.detail.payload.sf_id"}, SPEC_EVENT, arn, "r", when) == ('"baz"', None)
    assert shape_input({"InputPath": "$.detail.nope"}, SPEC_EVENT, arn, "r", when)[0] is None
    assert shape_input({"Input": '{"k": 1}'}, SPEC_EVENT, arn, "r", when) == ('{"k": 1}', None)
    assert json.loads(shape_input({}, SPEC_EVENT, arn, "r", when)[0] or "") == SPEC_EVENT
    assert parse_json_path("$['detail-type'].a[2]") == ["detail-type", "a", 2]
    assert resolve_path({"a": [1]}, "$.a[3]") is _MISSING
    with pytest.raises(ValueError):
        parse_json_path("detail")


def test_cloudtrail_wrapping_rules() -> None:
    assert event_source_of("monitoring.amazonaws.com") == "aws.cloudwatch"
    assert event_source_of("sso-directory.amazonaws.com") == "aws.sso-directory"
    assert reaches_default_rules("CreateLogGroup") and reaches_default_rules("GetSessionToken")
    assert not reaches_default_rules("ListRules") and not reaches_default_rules("DescribeLogGroups")
    signin = wrap_cloudtrail({"eventType": "AwsConsoleSignIn", "eventID": "x", "eventSource": "signin.amazonaws.com"})
    assert signin is not None and signin["detail-type"] == "AWS Console Signin via CloudTrail"
    assert signin["id"] == wrap_cloudtrail({"eventType": "AwsConsoleSignIn", "eventID": "x"})["id"]  # type: ignore[index]
    assert wrap_cloudtrail({"eventType": "AwsCloudTrailInsight"}) is None


def test_put_events_delivers_shaped_inputs(pinned: Cli, tmp_path: Path) -> None:
    pinned.ok("rules", "put", "--name", "core", "--event-pattern", json.dumps({"source": ["core.update"]}))
    targets = [
        {"Id": "path", "Arn": QUEUE, "InputPath": "$.detail.payload.sf_id"},
        {"Id": "tmpl", "Arn": QUEUE, "InputTransformer": {"InputPathsMap": {"p": "$.detail.payload"},
                                                          "InputTemplate": '{"bod": <p>}'}},
        {"Id": "bad", "Arn": QUEUE, "InputTransformer": {"InputPathsMap": {"p": "$.detail.payload"},
                                                         "InputTemplate": '{"bod": "<p>"}'}},
        {"Id": "none", "Arn": QUEUE, "InputPath": "$.detail.nothing"},
    ]  # fmt: skip
    tfile = tmp_path / "targets.json"
    tfile.write_text(json.dumps(targets))
    pinned.ok("rules", "put-targets", "--rule", "core", "--targets", f"file://{tfile}")
    resp = pinned.json("rules", "put-events", "--entries", json.dumps([
        {"Source": "core.update", "DetailType": "core.update-account-command", "Detail": json.dumps(SPEC_DETAIL)},
        {"Source": "other", "DetailType": "x", "Detail": "{}"},
        {"Source": "core.update", "DetailType": "x", "Detail": "[1]"},
    ]))  # fmt: skip
    assert resp["FailedEntryCount"] == 1 and "EventId" in resp["Entries"][0]
    assert resp["Entries"][2] == {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    got = {d["TargetId"]: d for d in _deliveries(pinned)}  # synchronous, no clock advance needed
    assert got["path"]["Input"] == '"baz"' and got["path"]["EventId"] == resp["Entries"][0]["EventId"]
    assert json.loads(got["tmpl"]["Input"]) == {"bod": {"acc_id": "0a787ecb-4015", "sf_id": "baz"}}
    assert got["bad"]["Status"] == "Dropped" and got["bad"]["Input"] is None
    assert got["none"]["Status"] == "Dropped" and got["none"]["Detail"].startswith("NO_INPUT")
    assert len(got) == 4  # the "other" event matched nothing


def test_put_events_single_entry_options(pinned: Cli) -> None:
    pinned.ok("rules", "put", "--name", "orders", "--event-pattern",
              json.dumps({"detail": {"total": [{"numeric": [">", 10]}]}}))  # fmt: skip
    pinned.ok("rules", "put-targets", "--rule", "orders", "--targets", f"Id=q,Arn={QUEUE}")
    resp = pinned.json("rules", "put-events", "--source", "shop", "--detail-type", "Order", "--detail",
                       '{"total": 42}', "--resources", "arn:aws:x:::a", "arn:aws:x:::b", "--time", "2026-11-20T11:00:00Z")  # fmt: skip
    assert resp["FailedEntryCount"] == 0
    event = json.loads(_deliveries(pinned)[0]["Input"])
    assert event["resources"] == ["arn:aws:x:::a", "arn:aws:x:::b"] and event["time"] == "2026-11-20T11:00:00Z"
    pinned.ok("rules", "put-events", "--source", "shop", "--detail-type", "Order", "--detail", '{"total": 5}')
    assert len(_deliveries(pinned)) == 1


def test_sns_topic_target_publishes_locally(pinned: Cli, tmp_path: Path) -> None:
    out = tmp_path / "home" / "outbox" / "topic.jsonl"
    topic = pinned.json("alarms", "topics", "create", "ops")["TopicArn"]
    pinned.ok("alarms", "topics", "subscribe", "ops", "--protocol", "file", "--endpoint", str(out))
    pinned.ok("rules", "put", "--name", "to-sns", "--event-pattern", json.dumps({"source": ["shop"]}))
    pinned.ok("rules", "put-targets", "--rule", "to-sns", "--targets", f"Id=t,Arn={topic},InputPath=$.detail",
              f"Id=gone,Arn=arn:aws:sns:us-east-1:{ACCT}:missing")  # fmt: skip
    pinned.ok("rules", "put-events", "--source", "shop", "--detail-type", "Order", "--detail", '{"n": 1}')
    line = json.loads(out.read_text().splitlines()[0])
    assert json.loads(line["Message"]) == {"n": 1}
    got = {d["TargetId"]: d for d in _deliveries(pinned)}
    assert got["t"]["Status"] == "Delivered" and got["gone"]["Status"] == "Failed"


def test_log_group_target_writes_unrecorded_log_events(pinned: Cli) -> None:
    pinned.ok("logs", "create-group", "--name", "/aws/events/shop")
    arn = f"arn:aws:logs:us-east-1:{ACCT}:log-group:/aws/events/shop"
    pinned.ok("rules", "put", "--name", "to-logs", "--event-pattern", json.dumps({"source": ["shop"]}))
    pinned.ok("rules", "put-targets", "--rule", "to-logs", "--targets", f"Id=l,Arn={arn}:*",
              f"Id=nogroup,Arn=arn:aws:logs:us-east-1:{ACCT}:log-group:/nope",
              f"Id=again,Arn={arn},InputPath=$.detail.n")  # fmt: skip
    resp = pinned.json("rules", "put-events", "--source", "shop", "--detail-type", "Order", "--detail", '{"n": 2}')
    events = pinned.json("logs", "filter", "--group", "/aws/events/shop", "--start", "1h")["events"]
    assert len(events) == 2 and json.loads(events[0]["message"])["detail"] == {"n": 2} and events[1]["message"] == "2"
    assert {e["logStreamName"] for e in events} == {resp["Entries"][0]["EventId"]}
    got = {d["TargetId"]: d["Status"] for d in _deliveries(pinned)}
    assert got == {"l": "Delivered", "nogroup": "Failed", "again": "Delivered"}
    looked = pinned.json("trail", "lookup", "--event-name", "CreateLogStream")["Events"]
    assert looked == []  # delivery is not an API call of the account


# -- validation and errors -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (["put", "--name", "bad name", "--schedule-expression", "rate(5 minutes)"], 2,
         "Value 'bad name' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern"),
        (["put", "--name", "r", "--schedule-expression", "rate(10 minute)"], 2,
         "ValidationException: Parameter ScheduleExpression is not valid."),
        (["put", "--name", "r", "--event-pattern", '{"a": []}'], 2,
         "InvalidEventPatternException: Event pattern is not valid. Reason: Empty arrays are not allowed"),
        (["put", "--name", "r", "--event-pattern", '{"a": ["x"]}', "--state", "ON"], 2, "Member must satisfy enum value set"),
        (["put", "--name", "r"], 2, "give --event-pattern or --schedule-expression"),
        (["put", "--name", "r", "--event-pattern", '{"a": ["x"]}', "--event-bus-name", "custom"], 1,
         "ResourceNotFoundException: Event bus custom does not exist."),
        (["describe", "--name", "nope"], 1, "ResourceNotFoundException: Rule nope does not exist on EventBus default."),
        (["put-targets", "--rule", "nope", "--targets", f"Id=a,Arn={QUEUE}"], 1, "Rule nope does not exist"),
        (["test-event-pattern", "--event-pattern", '{"a":["x"]}', "--event", '{"a": "x"}'], 2,
         "ValidationException: Parameter Event is not valid."),
        (["put-events", "--entries", json.dumps([{"Source": "a", "DetailType": "b", "Detail": "{}"}] * 11)], 2,
         "Member must have length less than or equal to 10"),
        (["put-targets", "--rule", "r", "--targets", "Arn=x"], 2, "invalid --targets value"),
        (["put", "--name", "r", "--event-pattern", "file:///nonexistent/p.json"], 2, "cannot read event pattern file"),
    ],
)  # fmt: skip
def test_errors_are_one_line_with_exit_codes(pinned: Cli, args: list[str], code: int, text: str) -> None:
    res = pinned("rules", *args)
    assert res.exit_code == code, res.stderr
    assert text in res.stderr and "Traceback" not in res.stderr and res.stdout == ""


def test_target_validation(pinned: Cli) -> None:
    pinned.ok("rules", "put", "--name", "r", "--event-pattern", '{"source": ["x"]}')

    def put(*targets: str) -> Any:
        return pinned("rules", "put-targets", "--rule", "r", "--targets", *targets)

    bad_id = put(f"Id=!@#,Arn={QUEUE}")
    assert bad_id.exit_code == 2 and "Value '!@#' at 'targets.1.member.id'" in bad_id.stderr
    both = put(json.dumps({"Id": "a", "Arn": QUEUE, "Input": "{}", "InputPath": "$"}))
    assert "Only one of Input, InputPath, or InputTransformer must be provided for target a." in both.stderr
    placeholder = put(json.dumps({"Id": "a", "Arn": QUEUE, "InputTransformer": {"InputTemplate": '"<nope>"'}}))
    assert "InputTemplate for target a contains invalid placeholder nope." in placeholder.stderr
    arn = put("Id=a,Arn=queue")
    assert "Parameter queue is not valid. Reason: Provided Arn is not in correct format." in arn.stderr
    pinned.ok("rules", "put-targets", "--rule", "r", "--targets", *[f"Id=t{i},Arn={QUEUE}" for i in range(5)])
    pinned.ok("rules", "put-targets", "--rule", "r", "--targets", f"Id=t0,Arn={QUEUE},Input='{{\"a\":1,\"b\":2}}'")
    over = put(f"Id=t5,Arn={QUEUE}")
    assert over.exit_code == 2 and "LimitExceededException: The requested resource exceeds the maximum number allowed." in over.stderr
    listed = pinned.json("rules", "list-targets", "--rule", "r")["Targets"]
    assert [t["Id"] for t in listed] == ["t0", "t1", "t2", "t3", "t4"] and listed[0]["Input"] == '{"a":1,"b":2}'
    refused = pinned("rules", "delete", "--name", "r")
    assert refused.exit_code == 2 and "Rule can't be deleted since it has targets." in refused.stderr
    pinned.ok("rules", "delete", "--name", "r", "--force")
    assert pinned.json("rules", "list")["Rules"] == []
    assert pinned("rules", "list-targets", "--rule", "r").exit_code == 1  # the targets went with the rule


def test_targets_reached_through_a_role_need_role_arn(pinned: Cli) -> None:
    """Kinesis, Firehose, Step Functions, ECS, ... targets (and EC2 actions, API destinations) are reached through the
    target's IAM role: PutTargets without RoleArn is refused as a whole with AWS's ValidationException text and stores
    nothing; with RoleArn the Kinesis stream receives the matched events. Queues need no role."""
    pinned.ok("rules", "put", "--name", "r", "--event-pattern", '{"source": ["shop"]}')
    pinned.ok("kinesis", "create-stream", "--stream-name", "ks", "--shard-count", "1")
    stream = f"arn:aws:kinesis:us-east-1:{ACCT}:stream/ks"
    for arn in (stream, f"arn:aws:firehose:us-east-1:{ACCT}:deliverystream/fh",
                f"arn:aws:states:us-east-1:{ACCT}:stateMachine:Workflow", f"arn:aws:ecs:us-east-1:{ACCT}:cluster/c",
                f"arn:aws:events:us-east-1:{ACCT}:target/stop-instance",
                f"arn:aws:events:us-east-1:{ACCT}:api-destination/d/1"):  # fmt: skip
        res = pinned("rules", "put-targets", "--rule", "r", "--targets", f"Id=q,Arn={QUEUE}", f"Id=t,Arn={arn}")
        assert res.exit_code == 2, (arn, res.stderr)
        assert f"ValidationException: RoleArn is required for target {arn}." in res.stderr
    assert pinned.json("rules", "list-targets", "--rule", "r")["Targets"] == []
    role = f"arn:aws:iam::{ACCT}:role/events-to-kinesis"
    pinned.ok("rules", "put-targets", "--rule", "r", "--targets", f"Id=q,Arn={QUEUE}", f"Id=k,Arn={stream},RoleArn={role}")
    assert [(t["Id"], t.get("RoleArn")) for t in pinned.json("rules", "list-targets", "--rule", "r")["Targets"]] == [
        ("q", None), ("k", role)]  # fmt: skip
    pinned.ok("rules", "put-events", "--source", "shop", "--detail-type", "Order", "--detail", "{}")
    it = pinned.json("kinesis", "get-shard-iterator", "--stream-name", "ks", "--shard-id", "shardId-000000000000",
                     "--shard-iterator-type", "TRIM_HORIZON")["ShardIterator"]  # fmt: skip
    assert len(pinned.json("kinesis", "get-records", "--shard-iterator", it)["Records"]) == 1


def test_put_rule_replaces_and_lists(ctx: Any) -> None:
    events = ctx.client("events")
    events.put_rule(Name="a", EventPattern='{"source":["x"]}', Description="first")
    events.put_targets(Rule="a", Targets=[{"Id": "q", "Arn": QUEUE}])
    events.put_rule(Name="a", ScheduleExpression="rate(1 hour)")
    desc = events.describe_rule(Name="a")
    assert "Description" not in desc and "EventPattern" not in desc and desc["ScheduleExpression"] == "rate(1 hour)"
    assert len(events.list_targets_by_rule(Rule="a")["Targets"]) == 1  # targets survive a replace
    for name in ("b", "c", "ab"):
        events.put_rule(Name=name, EventPattern='{"source":["x"]}')
    page = events.list_rules(Limit=2)
    assert [r["Name"] for r in page["Rules"]] == ["a", "ab"] and page["NextToken"]
    assert [r["Name"] for r in events.list_rules(Limit=2, NextToken=page["NextToken"])["Rules"]] == ["b", "c"]
    assert [r["Name"] for r in events.list_rules(NamePrefix="a")["Rules"]] == ["a", "ab"]
    assert events.delete_rule(Name="zzz") == {}  # deleting a missing rule succeeds, as on AWS


def test_deliveries_is_local_only(cli: Cli) -> None:
    res = cli("rules", "deliveries", "--backend", "aws")
    assert res.exit_code == 2 and "local" in res.stderr


def test_demo_step_is_idempotent(ctx: Any) -> None:
    from datetime import timedelta

    from awsmon.services.rules import DEMO_PATTERN_RULE, DEMO_SCHEDULE_RULE, demo_step

    ctx.store().set_clock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    tips = demo_step(ctx)
    assert demo_step(ctx) == tips and any("rules deliveries" in t for t in tips)
    events = ctx.client("events")
    assert {r["Name"] for r in events.list_rules()["Rules"]} == {DEMO_PATTERN_RULE, DEMO_SCHEDULE_RULE}
    ctx.client("logs").create_log_group(logGroupName="/demo/new")
    ctx.store().advance_clock(timedelta(minutes=10))
    ctx.run_catch_up()
    got = events.list_deliveries()["Deliveries"]
    assert sum(d["Rule"] == DEMO_SCHEDULE_RULE for d in got) == 2
    summary = [d["Input"] for d in got if d["TargetId"] == "summary"]
    assert summary == ['"Log group /demo/new was created by arn:aws:iam::123456789012:user/awsmon"']


def test_source_prefilter_is_conservative() -> None:
    from awsmon.backends.local.events import required_sources

    assert required_sources('{"source": ["aws.logs", "aws.ec2"], "detail": {}}') == {"aws.logs", "aws.ec2"}
    for text in ('{"source": [{"prefix": "aws."}]}', '{"$or": [{"source": ["a"]}, {"x": ["b"]}]}', '{"x": ["y"]}',
                 '{"source": []}', "not json"):  # fmt: skip
        assert required_sources(text) is None


def test_rules_see_only_their_region(ctx: Any) -> None:
    from datetime import timedelta

    ctx.store().set_clock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    for region in ("us-east-1", "eu-west-1"):
        events = ctx.client("events", region)
        events.put_rule(Name="groups", EventPattern=CREATE_GROUP_PATTERN)
        events.put_targets(Rule="groups", Targets=[{"Id": "q", "Arn": f"arn:aws:sqs:{region}:{ACCT}:q"}])
    ctx.client("logs", "eu-west-1").create_log_group(logGroupName="/eu")
    ctx.store().advance_clock(timedelta(minutes=1))
    ctx.run_catch_up()
    assert ctx.client("events", "us-east-1").list_deliveries()["Deliveries"] == []
    (only,) = ctx.client("events", "eu-west-1").list_deliveries()["Deliveries"]
    assert json.loads(only["Input"])["region"] == "eu-west-1"
    assert only["RuleArn"] == f"arn:aws:events:eu-west-1:{ACCT}:rule/groups"
