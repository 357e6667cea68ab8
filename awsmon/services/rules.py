"""EventBridge rules: what each ``awsmon rules`` command means, on either backend (boto3 ``events`` operations).

Patterns and events are passed to the service as the exact text given (``file://path`` reads a file), so duplicate
keys and number spellings reach the matcher unchanged, as they do on AWS.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from awsmon.backends import paginate
from awsmon.context import AppContext
from awsmon.errors import ServiceError, UsageError
from awsmon.services import compact

TARGET_KEYS = ("Id", "Arn", "RoleArn", "Input", "InputPath")
# Keys whose shorthand value is a structure ``{Key=value,...}`` (nested braces allowed), as aws-cli parses them.
STRUCT_TARGET_KEYS = ("RetryPolicy", "DeadLetterConfig", "InputTransformer", "KinesisParameters", "SqsParameters",
                      "HttpParameters")  # fmt: skip
_INT_MEMBERS = ("MaximumRetryAttempts", "MaximumEventAgeInSeconds")
_SHORTHAND_KEY_RE = re.compile(r"(?:^|,)\s*(" + "|".join(TARGET_KEYS + STRUCT_TARGET_KEYS) + r")=")
DEMO_PATTERN_RULE = "awsmon-demo-log-group-created"
DEMO_QUEUE = "awsmon-demo-events"
DEMO_SCHEDULE_RULE = "awsmon-demo-every-5-minutes"


def read_text(value: str, what: str) -> str:
    """An argument given inline, as ``file://path`` (aws-cli style) or as ``@path``; ``-`` reads stdin."""
    from awsmon.inputs import read_arg

    return read_arg(value, what, at_path=True, stdin=True)


def _json(value: str, what: str) -> Any:
    from awsmon.inputs import loads_json

    return loads_json(read_text(value, what), what)


def _bus(bus: str | None) -> dict[str, Any]:
    return {"EventBusName": bus} if bus and bus != "default" else {}


# -- rules ------------------------------------------------------------------------------------------------------------
def put_rule(ctx: AppContext, *, name: str, event_pattern: str | None = None, schedule_expression: str | None = None,
             state: str | None = None, description: str | None = None, role_arn: str | None = None,
             bus: str | None = None) -> dict[str, Any]:  # fmt: skip
    if not event_pattern and not schedule_expression:
        raise UsageError("give --event-pattern or --schedule-expression (or both)")
    params = compact(Name=name, **_bus(bus),
                     EventPattern=read_text(event_pattern, "event pattern") if event_pattern else None,
                     ScheduleExpression=schedule_expression or None, State=state.upper() if state else None,
                     Description=description, RoleArn=role_arn or None)  # fmt: skip
    return dict(ctx.client("events").put_rule(**params))


def describe_rule(ctx: AppContext, name: str, bus: str | None = None) -> dict[str, Any]:
    return dict(ctx.client("events").describe_rule(Name=name, **_bus(bus)))


def list_rules(ctx: AppContext, prefix: str | None = None, bus: str | None = None,
               max_items: int | None = None) -> dict[str, Any]:  # fmt: skip
    params = compact(**_bus(bus), NamePrefix=prefix or None)
    client = ctx.client("events")
    return {"Rules": list(paginate(client.list_rules, "Rules", max_items=max_items, **params))}


def delete_rule(ctx: AppContext, name: str, bus: str | None = None, force: bool = False) -> dict[str, Any]:
    ctx.client("events").delete_rule(**compact(Name=name, **_bus(bus), Force=force or None))
    return {}


def set_state(ctx: AppContext, name: str, enabled: bool, bus: str | None = None) -> dict[str, Any]:
    client = ctx.client("events")
    (client.enable_rule if enabled else client.disable_rule)(Name=name, **_bus(bus))
    return {}


# -- targets ----------------------------------------------------------------------------------------------------------
def parse_target_shorthand(text: str) -> dict[str, Any]:
    """aws-cli shorthand ``Id=1,Arn=arn:...[,RoleArn=...][,Input='{"a":1,"b":2}'][,InputPath=$.detail]``.

    A value runs up to the next ``,Key=`` of a known key, so JSON Input with commas needs no escaping; one pair of
    single quotes around a value is removed.
    """
    matches = list(_SHORTHAND_KEY_RE.finditer(text))
    if not matches or matches[0].start() != 0:
        raise UsageError(f"invalid --targets value {text!r}: expected Id=...,Arn=...[,Input=...|,InputPath=...] "
                         "or JSON")  # fmt: skip
    out: dict[str, Any] = {}
    for m, nxt in zip(matches, [*matches[1:], None], strict=True):
        value = text[m.end() : nxt.start() if nxt else len(text)].strip()
        if len(value) >= 2 and value[0] == value[-1] == "'":
            value = value[1:-1]
        if m.group(1) in out:
            raise UsageError(f"invalid --targets value {text!r}: {m.group(1)} given twice")
        if m.group(1) in STRUCT_TARGET_KEYS:
            out[m.group(1)] = _shorthand_struct(value, text)
        elif m.group(1) in ("Id", "Arn", "RoleArn") and ("," in value or "{" in value):
            # Neither ids nor ARNs hold commas or braces: an unknown Key={...} was glued onto this value.
            raise UsageError(f"invalid --targets value {text!r}: {m.group(1)} {value!r} is not valid; shorthand "
                             f"keys are {', '.join(TARGET_KEYS + STRUCT_TARGET_KEYS)} (or give the targets as JSON)")
        else:
            out[m.group(1)] = value
    if "Id" not in out or "Arn" not in out:
        raise UsageError(f"invalid --targets value {text!r}: Id and Arn are required")
    return out


def _shorthand_struct(value: str, text: str) -> dict[str, Any]:
    """aws-cli's nested shorthand ``{A=1,B={C=x},D="quoted, text"}`` as a dict (retry counts as integers)."""
    from awsmon.services._input import structure

    def ints(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: int(v) if k in _INT_MEMBERS and isinstance(v, str) and v.isdigit() else ints(v)
                    for k, v in node.items()}  # fmt: skip
        return [ints(v) for v in node] if isinstance(node, list) else node

    try:
        return ints(structure(value, "--targets"))
    except UsageError as err:
        raise UsageError(f"invalid --targets value {text!r}: cannot parse {value!r} as {{Key=Value,...}}") from err


def parse_targets(values: list[str]) -> list[dict[str, Any]]:
    """Targets from shorthand items, a JSON list/object, or ``file://targets.json``."""
    out: list[dict[str, Any]] = []
    for value in values:
        text = value.strip()
        if text.startswith(("file://", "@")) or text.startswith(("[", "{")):
            data = _json(text, "targets")
            items = data if isinstance(data, list) else [data]
            if not all(isinstance(i, dict) for i in items):
                raise UsageError("invalid --targets JSON: expected an object or a list of objects")
            out.extend(items)
        else:
            out.append(parse_target_shorthand(text))
    if not out:
        raise UsageError("give at least one target with --targets")
    return out


def put_targets(ctx: AppContext, rule: str, targets: list[dict[str, Any]], bus: str | None = None) -> dict[str, Any]:
    return dict(ctx.client("events").put_targets(Rule=rule, Targets=targets, **_bus(bus)))


def list_targets(ctx: AppContext, rule: str, bus: str | None = None) -> dict[str, Any]:
    client = ctx.client("events")
    return {"Targets": list(paginate(client.list_targets_by_rule, "Targets", Rule=rule, **_bus(bus)))}


def remove_targets(ctx: AppContext, rule: str, ids: list[str], bus: str | None = None,
                   force: bool = False) -> dict[str, Any]:  # fmt: skip
    if not ids:
        raise UsageError("give at least one target id with --ids")
    return dict(ctx.client("events").remove_targets(**compact(Rule=rule, Ids=ids, **_bus(bus), Force=force or None)))


# -- patterns and events ----------------------------------------------------------------------------------------------
def test_event_pattern(ctx: AppContext, pattern: str, event: str, notices: list[str] | None = None) -> dict[str, Any]:
    """TestEventPattern. Where an emulator does not implement it (moto answers HTTP 200 with an empty body),
    awsmon's own engine answers and ``notices`` says so."""
    from awsmon.errors import AwsmonError
    from awsmon.services import lacks_operation

    pattern_text, event_text = read_text(pattern, "event pattern"), read_text(event, "event")
    try:
        resp = ctx.client("events").test_event_pattern(EventPattern=pattern_text, Event=event_text)
        missing = not isinstance(resp.get("Result"), bool)
    except ServiceError as exc:
        if not lacks_operation(ctx, exc):
            raise
        resp, missing = {}, True
    if missing:
        if ctx.is_local or not ctx.endpoint_url.value:
            raise AwsmonError("the service answered TestEventPattern without a Result")
        if notices is not None:
            notices.append(f"{ctx.endpoint_url.value} does not implement TestEventPattern: awsmon's own event-pattern "
                           "engine answered")  # fmt: skip
        return _local_test_event_pattern(pattern_text, event_text)
    return {"Result": resp["Result"]}


def _local_test_event_pattern(pattern: str, event: str) -> dict[str, Any]:
    from awsmon.engines.eventpattern import EventPatternError, EventValidationError
    from awsmon.engines.eventpattern import test_event_pattern as matches

    try:
        return {"Result": matches(pattern, event)}
    except EventPatternError as exc:
        raise ServiceError("InvalidEventPatternException", exc.message) from None
    except EventValidationError as exc:
        raise ServiceError("ValidationException", exc.message, hint=exc.detail or None) from None


def build_entries(*, entries: str | None = None, source: str | None = None, detail_type: str | None = None,
                  detail: str | None = None, resources: list[str] | None = None, bus: str | None = None,
                  time: str | None = None, ctx: AppContext | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """PutEvents entries: a JSON list (inline or ``file://``), or one entry from the single-entry options."""
    if entries:
        if source or detail_type or detail:
            raise UsageError("give either --entries or --source/--detail-type/--detail, not both")
        data = _json(entries, "entries")
        items = data if isinstance(data, list) else [data]
        if not all(isinstance(i, dict) for i in items):
            raise UsageError("invalid --entries JSON: expected an object or a list of objects")
        for item in items:
            # aws-cli accepts Detail as an object in JSON input files only as text; be forgiving.
            if isinstance(item.get("Detail"), dict | list):
                item["Detail"] = json.dumps(item["Detail"])
            if isinstance(item.get("Time"), str) and ctx is not None:
                item["Time"] = ctx.parse_time(item["Time"])
            if bus and bus != "default" and "EventBusName" not in item:
                item["EventBusName"] = bus
        return items
    if not source or not detail_type:
        raise UsageError("give --entries, or --source and --detail-type (with --detail)")
    entry: dict[str, Any] = {"Source": source, "DetailType": detail_type,
                             "Detail": read_text(detail, "detail") if detail else "{}"}  # fmt: skip
    if resources:
        entry["Resources"] = resources
    if bus and bus != "default":
        entry["EventBusName"] = bus
    if time and ctx is not None:
        entry["Time"] = ctx.parse_time(time)
    return [entry]


def put_events(ctx: AppContext, entries: list[dict[str, Any]]) -> dict[str, Any]:
    resp = ctx.client("events").put_events(Entries=entries)
    return {"FailedEntryCount": resp.get("FailedEntryCount", 0), "Entries": resp.get("Entries", [])}


def next_fires(ctx: AppContext, expression: str, count: int = 5, after: str | None = None) -> dict[str, Any]:
    """The next fire times of a schedule expression (pure; rate schedules are anchored at ``after``)."""
    from awsmon.engines.schedule import ScheduleError, parse_schedule
    from awsmon.engines.schedule import next_fires as fires

    try:
        sched = parse_schedule(expression)
    except ScheduleError as exc:
        raise UsageError(f"{exc.message} ({exc.detail})") from None
    if not 1 <= count <= 1000:
        raise UsageError("--count must be between 1 and 1000")
    start: datetime = ctx.parse_time(after) if after else ctx.now()  # type: ignore[assignment]
    return {"ScheduleExpression": expression, "After": start,
            "FireTimes": [{"Time": t} for t in fires(sched, start, count)]}  # fmt: skip


def deliveries(ctx: AppContext, rule: str | None = None, max_items: int = 1000) -> dict[str, Any]:
    """Local-only: the delivery outbox (every target invocation, with its final input)."""
    if not ctx.is_local:
        raise UsageError("rules deliveries reads the local delivery outbox: use --backend local")
    return dict(ctx.client("events").list_deliveries(Rule=rule, MaxItems=max_items))


# -- demo -------------------------------------------------------------------------------------------------------------
def demo_step(ctx: AppContext) -> list[str]:
    """A rule on CreateLogGroup calls and a rate(5 minutes) schedule rule, both targeting the SQS queue
    awsmon-demo-events (created here: a target whose queue does not exist fails every delivery)."""
    client = ctx.client("events")
    existing = {r["Name"] for r in paginate(client.list_rules, "Rules", NamePrefix="awsmon-demo-")}
    sqs = ctx.client("sqs")
    url = sqs.create_queue(QueueName=DEMO_QUEUE)["QueueUrl"]  # idempotent: same name, same attributes
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    if DEMO_PATTERN_RULE not in existing:
        pattern = {"source": ["aws.logs"], "detail-type": ["AWS API Call via CloudTrail"],
                   "detail": {"eventName": ["CreateLogGroup"]}}  # fmt: skip
        client.put_rule(Name=DEMO_PATTERN_RULE, EventPattern=json.dumps(pattern),
                        Description="Every CreateLogGroup call in this account")  # fmt: skip
        client.put_targets(Rule=DEMO_PATTERN_RULE, Targets=[
            {"Id": "queue", "Arn": queue},
            {"Id": "summary", "Arn": queue, "InputTransformer": {
                "InputPathsMap": {"group": "$.detail.requestParameters.logGroupName", "who": "$.detail.userIdentity.arn"},
                "InputTemplate": '"Log group <group> was created by <who>"'}},
        ])  # fmt: skip
    if DEMO_SCHEDULE_RULE not in existing:
        client.put_rule(Name=DEMO_SCHEDULE_RULE, ScheduleExpression="rate(5 minutes)",
                        Description="A heartbeat every five minutes")  # fmt: skip
        client.put_targets(Rule=DEMO_SCHEDULE_RULE, Targets=[{"Id": "heartbeat", "Arn": queue}])
    return [
        "awsmon rules list                                   # a CreateLogGroup rule and a rate(5 minutes) schedule",
        "awsmon logs create-group --name /demo/new && awsmon account clock advance 10m",
        "awsmon rules deliveries                             # what each target received (the delivery outbox)",
        f"awsmon sqs receive-message --queue-url {DEMO_QUEUE} --max-number-of-messages 10   # the events, as a consumer",
        "awsmon rules test-event-pattern --event-pattern '{\"source\":[\"my.app\"]}' "
        "--event '{\"id\":\"1\",\"account\":\"1\",\"source\":\"my.app\",\"time\":\"2026-01-01T00:00:00Z\","
        "\"region\":\"us-east-1\",\"detail-type\":\"x\",\"detail\":{}}'",
        "awsmon rules put-events --source my.app --detail-type Order --detail '{\"total\": 42}'",
    ]


# -- event buses and policies -------------------------------------------------------------------------------------------
def create_event_bus(ctx: AppContext, name: str, description: str | None = None) -> dict[str, Any]:
    return _clean(ctx.client("events").create_event_bus(**compact(Name=name, Description=description)))


def describe_event_bus(ctx: AppContext, name: str | None = None) -> dict[str, Any]:
    return _clean(ctx.client("events").describe_event_bus(**compact(Name=name)))


def list_event_buses(ctx: AppContext, prefix: str | None = None) -> dict[str, Any]:
    client = ctx.client("events")
    return {"EventBuses": list(paginate(client.list_event_buses, "EventBuses", **compact(NamePrefix=prefix or None)))}


def delete_event_bus(ctx: AppContext, name: str) -> dict[str, Any]:
    ctx.client("events").delete_event_bus(Name=name)
    return {}


def put_permission(ctx: AppContext, *, bus: str | None = None, action: str | None = None, principal: str | None = None,
                   statement_id: str | None = None, condition: str | None = None,
                   policy: str | None = None) -> dict[str, Any]:  # fmt: skip
    if policy is None and not (principal and statement_id):
        raise UsageError("give --policy, or --principal and --statement-id (with --action events:PutEvents)")
    if policy is not None and (principal or statement_id or condition):
        raise UsageError("--policy replaces the whole policy: give it without --principal/--statement-id/--condition")
    params = compact(**_bus(bus), Policy=read_text(policy, "policy") if policy is not None else None,
                     Action=(action or "events:PutEvents") if policy is None else None, Principal=principal,
                     StatementId=statement_id, Condition=_json(condition, "--condition") if condition else None)  # fmt: skip
    ctx.client("events").put_permission(**params)
    return {}


def remove_permission(ctx: AppContext, *, bus: str | None = None, statement_id: str | None = None,
                      remove_all: bool = False) -> dict[str, Any]:  # fmt: skip
    if not statement_id and not remove_all:
        raise UsageError("give --statement-id, or --remove-all-permissions")
    ctx.client("events").remove_permission(**compact(**_bus(bus), StatementId=statement_id,
                                                     RemoveAllPermissions=remove_all or None))  # fmt: skip
    return {}


# -- archives and replays -------------------------------------------------------------------------------------------
def _bus_arn(ctx: AppContext, bus: str | None) -> str:
    """A bus ARN as given, or the ARN of a bus of this account named so (DescribeEventBus)."""
    if bus and bus.startswith("arn:"):
        return bus
    return str(ctx.client("events").describe_event_bus(**compact(Name=bus or None))["Arn"])


def create_archive(ctx: AppContext, name: str, *, source: str | None = None, event_pattern: str | None = None,
                   retention_days: int | None = None, description: str | None = None) -> dict[str, Any]:  # fmt: skip
    params = compact(ArchiveName=name, EventSourceArn=_bus_arn(ctx, source), Description=description,
                     EventPattern=read_text(event_pattern, "event pattern") if event_pattern else None,
                     RetentionDays=retention_days)  # fmt: skip
    return _clean(ctx.client("events").create_archive(**params))


def describe_archive(ctx: AppContext, name: str) -> dict[str, Any]:
    return _clean(ctx.client("events").describe_archive(ArchiveName=name))


def list_archives(ctx: AppContext, prefix: str | None = None, source: str | None = None) -> dict[str, Any]:
    params = compact(NamePrefix=prefix or None, EventSourceArn=_bus_arn(ctx, source) if source else None)
    return {"Archives": list(paginate(ctx.client("events").list_archives, "Archives", **params))}


def delete_archive(ctx: AppContext, name: str) -> dict[str, Any]:
    ctx.client("events").delete_archive(ArchiveName=name)
    return {}


def start_replay(ctx: AppContext, name: str, *, archive: str, start: str, end: str, destination: str | None = None,
                 filter_arns: list[str] | None = None, description: str | None = None) -> dict[str, Any]:  # fmt: skip
    client = ctx.client("events")
    if archive.startswith("arn:"):
        archive_arn = archive
        archive_bus = destination
    else:
        found = client.describe_archive(ArchiveName=archive)
        archive_arn, archive_bus = found["ArchiveArn"], destination or found["EventSourceArn"]
    start_dt, end_dt = ctx.parse_time(start), ctx.parse_time(end)
    dest = compact(Arn=_bus_arn(ctx, archive_bus), FilterArns=filter_arns or None)
    params = compact(ReplayName=name, EventSourceArn=archive_arn, EventStartTime=start_dt, EventEndTime=end_dt,
                     Destination=dest, Description=description)  # fmt: skip
    return _clean(client.start_replay(**params))


def describe_replay(ctx: AppContext, name: str) -> dict[str, Any]:
    return _clean(ctx.client("events").describe_replay(ReplayName=name))


def list_replays(ctx: AppContext, prefix: str | None = None) -> dict[str, Any]:
    return {"Replays": list(paginate(ctx.client("events").list_replays, "Replays", **compact(NamePrefix=prefix or None)))}


def cancel_replay(ctx: AppContext, name: str) -> dict[str, Any]:
    return _clean(ctx.client("events").cancel_replay(ReplayName=name))


def _clean(resp: Any) -> dict[str, Any]:
    out = dict(resp)
    out.pop("ResponseMetadata", None)
    return out
