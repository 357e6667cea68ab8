"""The simulated Amazon EventBridge service (``events.amazonaws.com``): rules, targets, PutEvents and delivery.

Follows shared/specs/eventbridge.md. What happens as the simulated clock passes (scheduler kinds, registered here):

* ``rules.dispatch`` (one item per region with pattern rules): every CloudTrail management record of the account's
  event history after the region's dispatch cursor is wrapped as an "AWS API Call via CloudTrail" event (§7.3) and
  matched against the enabled pattern rules of the default bus; each run costs the records that are new. API names
  starting with List/Get/Describe reach only rules in state ``ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS``.
  Any change to rules or targets first flushes what is pending, so a rule sees exactly the calls made while it was
  enabled with the targets it had.
* ``rules.schedule`` (one item per enabled scheduled rule): "Scheduled Event" envelopes at the rule's rate/cron fire
  times (§5); a clock jump delivers each fire (fires are work) and skips straight ahead when the rule has no targets.

PutEvents entries are matched and delivered synchronously (§6.5). Every target invocation is a row of the
``events_deliveries`` outbox with the final payload after Input / InputPath / InputTransformer (§6.2). Each target
ARN is delivered to through ``facts.deliver`` by the service that owns it (SNS topics publish, CloudWatch Logs
log-group targets write a log event, one stream per event id, as EventBridge does); deliveries are not recorded in
CloudTrail, so they can never feed back into rules. Events other services emit (alarm state changes, ...) arrive as
the ``event`` fact (:func:`on_event`).

[design choice] Local specifics (docs/rules.md): only the ``default`` bus exists; no trail is needed for CloudTrail
events to reach rules; PutEvents is recorded as a data event; rate schedules are anchored at creation/enable time.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from awsmon.backends.local import scheduler
from awsmon.backends.local.base import LocalService, api
from awsmon.backends.local.base import validation_error as constraint
from awsmon.errors import ServiceError

if TYPE_CHECKING:
    from awsmon.backends.local.store import AccountStore
    from awsmon.engines.eventpattern import EventPattern

scheduler.register("rules.dispatch", "awsmon.backends.local.events:run_dispatch")
scheduler.register("rules.schedule", "awsmon.backends.local.events:run_schedule")
scheduler.register("rules.retry", "awsmon.backends.local.events:run_retries")
scheduler.register("rules.replay", "awsmon.backends.local.events:run_replay")

DEFAULT_BUS = "default"
STATES = ("ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
ALL_MGMT = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
NAME_PATTERN = r"[\.\-_A-Za-z0-9]+"
_NAME_RE = re.compile(NAME_PATTERN)
_VAR_RE = re.compile(r"[A-Za-z0-9_\-]+")
_PLACEHOLDER_RE = re.compile(r"<([A-Za-z0-9_.\-]+)>")
MAX_RULES_PER_BUS = 300
MAX_TARGETS_PER_RULE = 5
MAX_PUT_TARGETS = 100
MAX_ENTRIES = 10
MAX_REQUEST_BYTES = 256 * 1024
PAGE = 100
DISPATCH_INTERVAL = timedelta(seconds=1)  # CloudTrail -> EventBridge latency in the simulation
LIMIT_TEXT = "The requested resource exceeds the maximum number allowed."
RESERVED_VARS = ("aws.events.rule-arn", "aws.events.rule-name", "aws.events.event.ingestion-time",
                 "aws.events.event", "aws.events.event.json")  # fmt: skip
# CloudTrail eventType -> EventBridge detail-type (§7.3)
DETAIL_TYPES = {
    "AwsApiCall": "AWS API Call via CloudTrail",
    "AwsConsoleSignIn": "AWS Console Signin via CloudTrail",
    "AwsConsoleAction": "AWS Console Action via CloudTrail",
    "AwsServiceEvent": "AWS Service Event via CloudTrail",
}
# eventSource first labels whose EventBridge source differs from "aws.<label>"
SOURCE_OVERRIDES = {"monitoring": "aws.cloudwatch"}
READ_NAME_PREFIXES = ("List", "Get", "Describe")
READ_NAME_EXCEPTIONS = ("GetFederationToken", "GetSessionToken")
BUS_NAME_PATTERN = r"[/\.\-_A-Za-z0-9]+"
_BUS_NAME_RE = re.compile(BUS_NAME_PATTERN)
MAX_BUSES = 100
MAX_HOPS = 4  # [design choice] bus-to-bus forwarding depth, so a cycle of bus targets ends
DEFAULT_RETRY = (185, 86400)  # MaximumRetryAttempts, MaximumEventAgeInSeconds (§6.3)
MAX_BACKOFF_S = 300  # [design choice] retries wait 1, 2, 4, ... seconds, at most 5 minutes (AWS adds jitter)
EVENTS_SENDER = "events.amazonaws.com"


def _ms(dt: datetime) -> int:
    return int(round(dt.timestamp() * 1000))


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def validate_name(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise constraint(value if value is not None else "null", field, "Member must have length greater than or equal to 1")
    if len(value) > 64:
        raise constraint(value, field, "Member must have length less than or equal to 64")
    if not _NAME_RE.fullmatch(value):
        raise constraint(value, field, f"Member must satisfy regular expression pattern: {NAME_PATTERN}")
    return value


def rule_missing(name: str, bus: str = DEFAULT_BUS) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"Rule {name} does not exist on EventBus {bus}.")


def event_source_of(event_source: str | None) -> str:
    """CloudTrail eventSource ("ec2.amazonaws.com") -> EventBridge source ("aws.ec2")."""
    label = (event_source or "").split(".", 1)[0]
    return SOURCE_OVERRIDES.get(label, "aws." + label)


def wrap_cloudtrail(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """A CloudTrail management record as the EventBridge event that carries it (§7.3); None if none would."""
    detail_type = DETAIL_TYPES.get(str(record.get("eventType") or "AwsApiCall"))
    if detail_type is None:
        return None
    event_id = str(record.get("eventID") or "")
    return {
        "version": "0",
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, "awsmon:cloudtrail:" + event_id)) if event_id else str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": event_source_of(record.get("eventSource")),
        "account": record.get("recipientAccountId"),
        "time": record.get("eventTime"),
        "region": record.get("awsRegion"),
        "resources": [],
        "detail": dict(record),
    }


def reaches_default_rules(event_name: str | None) -> bool:
    """List/Get/Describe calls reach only rules opted in to all management events (§7.3)."""
    name = event_name or ""
    return not name.startswith(READ_NAME_PREFIXES) or name in READ_NAME_EXCEPTIONS


@lru_cache(maxsize=512)
def compiled_pattern(text: str) -> EventPattern:
    from awsmon.engines.eventpattern import compile_event_pattern

    return compile_event_pattern(text, max_length=None)


# ---------------------------------------------------------------------------------------------------------------------
# Input shaping (§6.2): InputPath and InputTransformer (pure)

_MISSING = object()


def parse_json_path(path: Any) -> list[str | int]:
    """The JSONPath subset EventBridge accepts: ``$``, ``.name``, ``['name']`` / ``["name"]``, ``[n]``."""
    if not isinstance(path, str) or not path.startswith("$"):
        raise ValueError("a JSON path starts with $")
    steps: list[str | int] = []
    i, n = 1, len(path)
    while i < n:
        ch = path[i]
        if ch == ".":
            m = re.compile(r"[^.\[\]]+").match(path, i + 1)
            if m is None:
                raise ValueError(f"empty name at position {i + 1}")
            steps.append(m.group(0))
            i = m.end()
        elif ch == "[":
            m = re.compile(r"\[(?:'([^']*)'|\"([^\"]*)\"|(\d+))\]").match(path, i)
            if m is None:
                raise ValueError(f"bad subscript at position {i}")
            steps.append(int(m.group(3)) if m.group(3) is not None else (m.group(1) if m.group(1) is not None else m.group(2)))
            i = m.end()
        else:
            raise ValueError(f"unexpected {ch!r} at position {i}")
    return steps


def resolve_path(event: Any, path: str) -> Any:
    """The value a JSON path selects, or _MISSING."""
    node = event
    for step in parse_json_path(path):
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                return _MISSING
            node = node[step]
        else:
            if not isinstance(node, Mapping) or step not in node:
                return _MISSING
            node = node[step]
    return node


def _in_string_text(value: Any) -> str:
    """A value substituted inside a JSON string (or a string template): raw, objects without their quotes."""
    if value is _MISSING:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).replace('"', "")
    return json.dumps(value)


def _json_text(value: Any) -> str:
    return json.dumps("" if value is _MISSING else value, ensure_ascii=False)


def reserved_values(event: Mapping[str, Any], rule_arn: str, rule_name: str, when: datetime) -> dict[str, Any]:
    envelope = {"id": event.get("id"), "account": event.get("account"), "detailType": event.get("detail-type"),
                "time": event.get("time"), "source": event.get("source"), "region": event.get("region"),
                "resources": event.get("resources"), "version": event.get("version")}  # fmt: skip
    return {
        "aws.events.rule-arn": rule_arn,
        "aws.events.rule-name": rule_name,
        "aws.events.event.ingestion-time": _iso(when),
        "aws.events.event": envelope,
        "aws.events.event.json": dict(event),
    }


def apply_transformer(template: str, values: Mapping[str, Any]) -> str | None:
    """InputTemplate with placeholders filled; None when a JSON template does not yield valid JSON (dropped)."""
    stripped = template.strip()
    if not stripped.startswith(("{", "[")):
        return _PLACEHOLDER_RE.sub(lambda m: _in_string_text(values.get(m.group(1), _MISSING))
                                   if m.group(1) in values else m.group(0), template)  # fmt: skip
    out: list[str] = []
    in_string = False
    i, n = 0, len(template)
    while i < n:
        ch = template[i]
        if ch == "<":
            m = _PLACEHOLDER_RE.match(template, i)
            if m is not None and m.group(1) in values:
                value = values[m.group(1)]
                if in_string and isinstance(value, dict | list):
                    # AWS inserts the object's JSON as is, which breaks the enclosing string: the delivery drops.
                    out.append(json.dumps(value, ensure_ascii=False))
                else:
                    out.append(_in_string_text(value) if in_string else _json_text(value))
                i = m.end()
                continue
        if ch == "\\" and in_string and i + 1 < n:
            out.append(template[i : i + 2])
            i += 2
            continue
        if ch == '"':
            in_string = not in_string
        out.append(ch)
        i += 1
    text = "".join(out)
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return None
    return text


def shape_input(target: Mapping[str, Any], event: Mapping[str, Any], rule_arn: str, rule_name: str,
                when: datetime) -> tuple[str | None, str | None]:  # fmt: skip
    """(payload text, None) or (None, why it was dropped)."""
    if target.get("Input") is not None:
        return str(target["Input"]), None
    if target.get("InputPath"):
        value = resolve_path(event, target["InputPath"])
        if value is _MISSING:
            return None, f"NO_INPUT: InputPath {target['InputPath']} selects nothing"
        return json.dumps(value, ensure_ascii=False), None
    transformer = target.get("InputTransformer")
    if transformer:
        values: dict[str, Any] = {name: resolve_path(event, path)
                                  for name, path in (transformer.get("InputPathsMap") or {}).items()}  # fmt: skip
        values.update(reserved_values(event, rule_arn, rule_name, when))
        text = apply_transformer(str(transformer.get("InputTemplate") or ""), values)
        if text is None:
            return None, "INVALID_JSON: the InputTemplate did not produce valid JSON"
        return text, None
    return json.dumps(event, ensure_ascii=False), None


# Target services EventBridge reaches through the IAM role of the target (they have no resource-based policy it could
# rely on, as it does for Lambda, SNS, SQS, CloudWatch Logs and buses): PutTargets refuses them without RoleArn
# ("For EC2 instances, Kinesis Data Streams, Step Functions state machines and API Gateway APIs, EventBridge relies
# on IAM roles that you specify in the RoleARN argument"; AWS's answers for CodePipeline, CodeBuild, Batch and ECS
# targets say the same).
ROLE_SERVICES = frozenset({"kinesis", "firehose", "states", "ecs", "batch", "codebuild", "codepipeline", "ssm",
                           "execute-api", "redshift", "sagemaker", "inspector"})  # fmt: skip


def needs_role(arn: str) -> bool:
    """Does a target ARN need the target's RoleArn? The services above, EventBridge API destinations and the EC2
    built-in targets (``arn:aws:events:<region>:<account>:target/stop-instance``)."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return False
    if parts[2] == "events":
        return parts[5].startswith(("api-destination/", "target/"))
    return parts[2] in ROLE_SERVICES


def validate_target(target: Any, index: int) -> dict[str, Any]:
    """PutTargets validation of one target (§6.1); returns the target as stored."""
    if not isinstance(target, Mapping):
        raise ServiceError("ValidationException", f"Target {index} is not a structure.")
    tid = validate_name(target.get("Id") or None, f"targets.{index}.member.id")
    arn = target.get("Arn")
    if not isinstance(arn, str) or not re.match(r"arn:[\d\w:\-/]*", arn):
        raise ServiceError("ValidationException", f"Parameter {arn} is not valid. Reason: Provided Arn is not in correct format.")
    if not target.get("RoleArn") and needs_role(arn):
        raise ServiceError("ValidationException", f"RoleArn is required for target {arn}.")
    given = [k for k in ("Input", "InputPath", "InputTransformer") if target.get(k) is not None]
    if len(given) > 1:
        raise ServiceError("ValidationException",
                           f"Only one of Input, InputPath, or InputTransformer must be provided for target {tid}.")  # fmt: skip
    if target.get("Input") is not None:
        text = target["Input"]
        if not isinstance(text, str) or len(text) > 8192:
            raise constraint("...", f"targets.{index}.member.input", "Member must have length less than or equal to 8192")
        try:
            json.loads(text)
        except (ValueError, RecursionError):
            # [unverified] AWS's exact text for non-JSON Input.
            raise ServiceError("ValidationException", f"Input for target {tid} is not valid JSON text.") from None
    if target.get("InputPath") is not None:
        path = target["InputPath"]
        if not isinstance(path, str) or len(path) > 256:
            raise constraint(path, f"targets.{index}.member.inputPath", "Member must have length less than or equal to 256")
        try:
            parse_json_path(path)
        except ValueError:
            raise ServiceError("ValidationException", f"InputPath for target {tid} is invalid.") from None  # [unverified]
    transformer = target.get("InputTransformer")
    if transformer is not None:
        if not isinstance(transformer, Mapping) or not isinstance(transformer.get("InputTemplate"), str) \
                or not 1 <= len(transformer["InputTemplate"]) <= 8192:  # fmt: skip
            raise constraint("null", f"targets.{index}.member.inputTransformer.inputTemplate",
                             "Member must have length greater than or equal to 1")  # fmt: skip
        paths = transformer.get("InputPathsMap") or {}
        if not isinstance(paths, Mapping) or len(paths) > 100:
            raise constraint("...", f"targets.{index}.member.inputTransformer.inputPathsMap",
                             "Member must have length less than or equal to 100")  # fmt: skip
        for name, path in paths.items():
            if not isinstance(name, str) or not _VAR_RE.fullmatch(name) or len(name) > 256 or name.startswith("aws."):
                raise ServiceError("ValidationException", f"InputPathsMap for target {tid} contains invalid key {name}.")
            try:
                parse_json_path(path)
            except ValueError:
                raise ServiceError("ValidationException",
                                   f"InputPathsMap for target {tid} contains invalid path {path}.") from None  # fmt: skip
        for placeholder in _PLACEHOLDER_RE.findall(transformer["InputTemplate"]):
            if placeholder not in paths and placeholder not in RESERVED_VARS:
                raise ServiceError("ValidationException",
                                   f"InputTemplate for target {tid} contains invalid placeholder {placeholder}.")  # fmt: skip
    retry = target.get("RetryPolicy")
    if retry is not None:
        if not isinstance(retry, Mapping):
            raise ServiceError("ValidationException", f"RetryPolicy for target {tid} is not a structure.")
        for key, lo, hi in (("MaximumRetryAttempts", 0, 185), ("MaximumEventAgeInSeconds", 60, 86400)):
            value = retry.get(key)
            field = f"targets.{index}.member.retryPolicy.{key[0].lower()}{key[1:]}"
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise constraint(value, field, "Member must be an integer")
            if value < lo:
                raise constraint(value, field, f"Member must have value greater than or equal to {lo}")
            if value > hi:
                raise constraint(value, field, f"Member must have value less than or equal to {hi}")
    dlq = target.get("DeadLetterConfig")
    if dlq is not None:
        dlq_arn = dlq.get("Arn") if isinstance(dlq, Mapping) else None
        if not isinstance(dlq_arn, str) or not re.fullmatch(r"arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}", dlq_arn):
            # [unverified] AWS's text; the dead-letter queue must be a standard SQS queue (§6.3).
            raise ServiceError("ValidationException",
                               f"Parameter DeadLetterConfig.Arn for target {tid} is not valid. Reason: the dead-letter "
                               "queue must be the ARN of a standard SQS queue.")  # fmt: skip
    return dict(target)


# ---------------------------------------------------------------------------------------------------------------------
# Delivery


def _error_code(got: Any) -> str:
    """The DLQ ERROR_CODE (EventBridge's vocabulary, §6.3) for an owner's refusal."""
    code = str(got.error_code or "")
    if code.isupper() and "_" in code:
        return code  # already EventBridge's
    low = code.lower()
    if "notfound" in low or "nonexistent" in low or "doesnotexist" in low or "does not exist" in str(got.detail).lower():
        return "NO_RESOURCE"
    if "accessdenied" in low or "authoriz" in low or "permission" in low:
        return "NO_PERMISSIONS"
    if "throttl" in low or "toomany" in low:
        return "THROTTLING"
    if "alreadyexists" in low:
        return "RESOURCE_ALREADY_EXISTS"
    if "timeout" in low:
        return "TIMEOUT"
    return "SDK_CLIENT_ERROR"


def _attempt(store: AccountStore, target: Mapping[str, Any], rule_arn: str, event_id: str, payload: str,
             when: datetime, hops: int) -> Any:  # fmt: skip
    """One delivery attempt to a target's ARN through the service that owns it."""
    from awsmon.backends.local import facts

    sqs = target.get("SqsParameters") or {}
    return facts.deliver(store, str(target.get("Arn")), payload, when, stream=event_id, rule_arn=rule_arn,
                         event_id=event_id, hops=hops, sender=EVENTS_SENDER,
                         message_group_id=sqs.get("MessageGroupId"), message_deduplication_id=event_id)  # fmt: skip


def _dead_letter(store: AccountStore, target: Mapping[str, Any], rule_arn: str, payload: str, when: datetime,
                 code: str, message: str, exhausted: str | None = None, attempts: int = 0) -> str | None:  # fmt: skip
    """Send a failed delivery to the target's dead-letter queue with the attributes EventBridge sets (§6.3)."""
    from awsmon.backends.local import facts

    dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
    if not dlq:
        return None
    attrs = {"RULE_ARN": rule_arn, "TARGET_ARN": str(target.get("Arn")), "ERROR_CODE": code, "ERROR_MESSAGE": message}
    if exhausted:
        attrs.update({"EXHAUSTED_RETRY_CONDITION": exhausted, "RETRY_ATTEMPTS": str(attempts)})
    got = facts.deliver(store, dlq, payload, when, sender=EVENTS_SENDER,
                        message_attributes={k: {"DataType": "String", "StringValue": v} for k, v in attrs.items()})  # fmt: skip
    return f"SentToDLQ {dlq}" if got.status == "Delivered" else f"FailedToSendToDLQ {dlq}: {got.reason()}"


def _retry_limits(target: Mapping[str, Any]) -> tuple[int, int]:
    policy = target.get("RetryPolicy") or {}
    return (int(policy.get("MaximumRetryAttempts", DEFAULT_RETRY[0])),
            int(policy.get("MaximumEventAgeInSeconds", DEFAULT_RETRY[1])))  # fmt: skip


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** max(attempts - 1, 0), MAX_BACKOFF_S))


def _settle(store: AccountStore, region: str, rule: Mapping[str, Any], target: Mapping[str, Any],
            event: Mapping[str, Any], payload: str, first: datetime, when: datetime, attempts: int, got: Any,
            retry_id: int | None = None) -> tuple[str, str | None, str | None] | None:  # fmt: skip
    """After an attempt: (status, detail, dlq) to record, or None while a retry is pending (scheduled)."""
    if got.status != "Failed":
        return got.status, (f"MessageId {got.message_id}" if got.message_id else got.reason()), None
    code, message = _error_code(got), str(got.detail or got.error_code or "the target refused the event")
    if got.retryable:
        max_attempts, max_age = _retry_limits(target)
        due = when + _backoff(attempts)
        if attempts <= max_attempts and (due - first).total_seconds() <= max_age:
            args = (_ms(due), attempts, got.error_code, message)
            if retry_id is None:
                store.conn.execute(
                    "INSERT INTO events_retries (region, bus, rule, rule_arn, target, event_id, source, detail_type, "
                    "payload, first_ms, due_ms, attempts, error_code, error_message) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (region, rule["bus"], rule["name"], rule["arn"], json.dumps(target), event.get("id"),
                     event.get("source"), event.get("detail-type"), payload, _ms(first), *args),
                )  # fmt: skip
            else:
                store.conn.execute("UPDATE events_retries SET due_ms = ?, attempts = ?, error_code = ?, error_message = ? "
                                   "WHERE id = ?", (*args, retry_id))  # fmt: skip
            _schedule_retries(store, region)
            return None
        exhausted = "MaximumRetryAttempts" if attempts > max_attempts else "MaximumEventAgeInSeconds"
        dlq = _dead_letter(store, target, rule["arn"], payload, when, code, message, exhausted, attempts - 1)
    else:  # missing resources and permissions are not retried (§6.3)
        dlq = _dead_letter(store, target, rule["arn"], payload, when, code, message)
    return "Failed", f"{code}: {message}", dlq


_OUTBOX_SQL = ("INSERT INTO events_deliveries (region, bus, rule, rule_arn, target_id, target_arn, event_id, source, "
               "detail_type, input, ts_ms, status, detail, attempts, dlq) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")


def _row(region: str, rule: Mapping[str, Any], target: Mapping[str, Any], event: Mapping[str, Any],
         payload: str | None, when: datetime, status: str, detail: str | None, attempts: int = 1,
         dlq: str | None = None) -> tuple[Any, ...]:  # fmt: skip
    return (region, rule["bus"], rule["name"], rule["arn"], target.get("Id"), str(target.get("Arn")), event.get("id"),
            event.get("source"), event.get("detail-type"), payload, _ms(when), status, detail, attempts, dlq)


def deliver(store: AccountStore, region: str, rule: Mapping[str, Any], targets: list[Mapping[str, Any]],
            event: Mapping[str, Any], when: datetime, hops: int = 0) -> int:  # fmt: skip
    """Invoke every target of a matched rule with the event; one outbox row each (when settled). Returns the count.

    Each target ARN is delivered to through the service that owns it (facts.deliver: SNS topics publish, log groups
    get a log event in a stream named after the event id, as EventBridge does, queues a message, buses the event);
    other ARNs are recorded. A refusal is retried on the clock per the target's RetryPolicy when transient, and
    sent to its DeadLetterConfig queue when it is final.
    """
    rows = []
    whole: str | None = None  # the event's JSON, made once for the targets that take it as is
    for t in targets:
        target = _target_of(t["target"])
        if target.get("Input") is None and not target.get("InputPath") and not target.get("InputTransformer"):
            whole = whole or json.dumps(event, ensure_ascii=False)
            payload, why = whole, None
        else:
            payload, why = shape_input(target, event, rule["arn"], rule["name"], when)
        if payload is None:
            rows.append(_row(region, rule, target, event, None, when, "Dropped", why))
            continue
        got = _attempt(store, target, rule["arn"], str(event.get("id")), payload, when, hops)
        settled = _settle(store, region, rule, target, event, payload, when, when, 1, got)
        if settled is not None:
            rows.append(_row(region, rule, target, event, payload, when, settled[0], settled[1], 1, settled[2]))
    store.conn.executemany(_OUTBOX_SQL, rows)
    return len(targets)


@lru_cache(maxsize=1024)
def _target_cached(text: str) -> dict[str, Any]:
    return dict(json.loads(text))


def _target_of(text: str) -> dict[str, Any]:
    return _target_cached(text)


def _schedule_retries(store: AccountStore, region: str) -> None:
    row = store.conn.execute("SELECT min(due_ms) FROM events_retries WHERE region = ?", (region,)).fetchone()
    if row[0] is not None:
        due = _dt(row[0])
        current = scheduler.next_due(store, "rules.retry", region)
        if current is None or due < current:
            scheduler.schedule(store, "rules.retry", region, due)


def run_retries(store: AccountStore, key: str, due: datetime, now: datetime) -> datetime | None:
    """Retry the deliveries due up to ``now``, each at its due time (a retry rescheduled before ``now`` runs too)."""
    while True:
        row = store.conn.execute(
            "SELECT * FROM events_retries WHERE region = ? AND due_ms <= ? ORDER BY due_ms, id LIMIT 1", (key, _ms(now))
        ).fetchone()
        if row is None:
            break
        when = _dt(row["due_ms"])
        target = json.loads(row["target"])
        rule = {"bus": row["bus"], "name": row["rule"], "arn": row["rule_arn"]}
        event = {"id": row["event_id"], "source": row["source"], "detail-type": row["detail_type"]}
        attempts = row["attempts"] + 1
        got = _attempt(store, target, row["rule_arn"], row["event_id"], row["payload"], when, 0)
        settled = _settle(store, key, rule, target, event, row["payload"], _dt(row["first_ms"]), when, attempts, got,
                          retry_id=row["id"])  # fmt: skip
        if settled is not None:
            store.conn.execute("DELETE FROM events_retries WHERE id = ?", (row["id"],))
            store.conn.execute(_OUTBOX_SQL, _row(key, rule, target, event, row["payload"], when, *settled[:2], attempts,
                                                 settled[2]))  # fmt: skip
    nxt = store.conn.execute("SELECT min(due_ms) FROM events_retries WHERE region = ?", (key,)).fetchone()[0]
    return None if nxt is None else _dt(nxt)


def route(store: AccountStore, region: str, bus: str, events: list[tuple[Mapping[str, Any], datetime]], *,
          filter_arns: list[str] | None = None, hops: int = 0) -> int:  # fmt: skip
    """Events arriving on a bus: matched against its enabled pattern rules (all, or the replay's FilterArns) and
    delivered; archived by the bus's archives whose pattern matches (replayed events are never archived again)."""
    rules = [(r, compiled_pattern(r["event_pattern"]), required_sources(r["event_pattern"]))
             for r in _pattern_rules(store, region, bus) if filter_arns is None or r["arn"] in filter_arns]  # fmt: skip
    archives = _archives_on(store, region, bus)
    if events:
        from awsmon.backends.local import facts

        facts.emit(store, region, "bus_events", bus_arn=f"arn:aws:events:{region}:{store.account_id}:event-bus/{bus}",
                   events=[e for e, _ in events], when=events[-1][1])  # fmt: skip
    if not rules and not archives:
        return 0
    targets = _targets_by_rule(store, region, bus) if rules else {}
    delivered = 0
    for event, when in events:
        source = event.get("source")
        for rule, pattern, wanted in rules:
            if (wanted is None or source in wanted) and pattern.matches(event):
                delivered += deliver(store, region, rule, targets.get(rule["name"], []), event, when, hops)
        if archives and "replay-name" not in event:
            _archive(store, archives, event, when)
    return delivered


def on_event(store: AccountStore, region: str, *, event: Mapping[str, Any], bus: str = DEFAULT_BUS,
             when: datetime | None = None) -> int:  # fmt: skip
    """Reaction to the ``event`` fact: the event arrives on the bus now (rules, targets, archives)."""
    if when is None:
        when = datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00"))
    return route(store, region, bus, [(event, when)])


def _bus_row(store: AccountStore, region: str, bus: str) -> Any:
    return store.conn.execute("SELECT * FROM events_buses WHERE region = ? AND name = ?", (region, bus)).fetchone()


def bus_exists(store: AccountStore, region: str, bus: str) -> bool:
    return bus == DEFAULT_BUS or _bus_row(store, region, bus) is not None


def policy_allows(policy_text: str | None, account: str, action: str, resource: str) -> bool:
    """Does a bus's resource policy let ``account`` perform ``action`` on ``resource``? Deny wins; conditions other
    than aws:PrincipalAccount cannot be evaluated locally (no organizations) and so never match [design choice]."""
    if not policy_text:
        return False
    try:
        statements = json.loads(policy_text).get("Statement") or []
    except (ValueError, AttributeError):
        return False
    allowed = False
    for st in statements if isinstance(statements, list) else [statements]:
        if not isinstance(st, Mapping) or not _statement_applies(st, account, action, resource):
            continue
        if st.get("Effect") == "Deny":
            return False
        allowed = allowed or st.get("Effect") == "Allow"
    return allowed


def _listed(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)] if value is not None else []


def _glob(pattern: str, text: str) -> bool:
    return re.fullmatch(".*".join(re.escape(p) for p in pattern.split("*")), text) is not None


def _statement_applies(st: Mapping[str, Any], account: str, action: str, resource: str) -> bool:
    principal = st.get("Principal")
    if principal != "*":
        names = _listed(principal.get("AWS")) if isinstance(principal, Mapping) else []
        if not any(p in ("*", account, f"arn:aws:iam::{account}:root") for p in names):
            return False
    if not any(_glob(a.lower(), action.lower()) for a in _listed(st.get("Action"))):
        return False
    if not any(_glob(r, resource) for r in _listed(st.get("Resource") or "*")):
        return False
    for op, tests in (st.get("Condition") or {}).items():
        for key, values in (tests or {}).items():
            if op == "StringEquals" and key.lower() == "aws:principalaccount" and account in _listed(values):
                continue
            return False
    return True


def _other_account(store: AccountStore, account: str) -> Any:
    """Another local account of the same home, opened (None when it does not exist)."""
    from awsmon.backends.local.store import AccountStore as Store

    if not store.home.exists(account):
        return None
    return Store.open(store.home, account)


def deliver_to_bus(store: AccountStore, arn: str, payload: str, when: datetime, *, hops: int = 0,
                   **_: Any) -> Any:  # fmt: skip
    """TARGETS handler for ``arn:aws:events:<region>:<account>:event-bus/<name>``: the event arrives on that bus
    (with a new id, as EventBridge forwards it), in this account or, when its policy allows, in another local one."""
    from awsmon.backends.local.facts import Delivery

    parts = arn.split(":", 5)
    if len(parts) < 6 or not parts[5].startswith("event-bus/"):
        return Delivery("Recorded")  # API destinations, ...: nothing local takes them
    region, account, bus = parts[3], parts[4], parts[5][len("event-bus/"):]
    if hops >= MAX_HOPS:
        return Delivery("Failed", f"the event already crossed {MAX_HOPS} buses", error_code="ValidationException")
    try:
        event = json.loads(payload)
    except ValueError:
        event = None
    if not isinstance(event, dict) or not {"source", "detail-type", "detail"} <= set(event):
        return Delivery("Failed", "the input is not an event", error_code="ValidationException")
    event = {**event, "id": str(uuid.uuid4())}
    if account == store.account_id:
        if not bus_exists(store, region, bus):
            return Delivery("Failed", f"Event bus {bus} does not exist.", error_code="ResourceNotFoundException")
        route(store, region, bus, [(event, when)], hops=hops + 1)
        return Delivery("Delivered", f"event {event['id']}")
    other = _other_account(store, account)
    if other is None:
        return Delivery("Failed", f"Event bus {bus} does not exist.", error_code="ResourceNotFoundException")
    try:
        if not bus_exists(other, region, bus):
            return Delivery("Failed", f"Event bus {bus} does not exist.", error_code="ResourceNotFoundException")
        row = _bus_row(other, region, bus)
        if not policy_allows(row["policy"] if row else None, store.account_id, "events:PutEvents", arn):
            return Delivery("Failed", f"{store.account_id} is not authorized to put events on {arn}",
                            error_code="AccessDeniedException")  # fmt: skip
        with other.transaction():  # each account has its own clock: the event arrives at the receiver's present
            route(other, region, bus, [(event, other.now())], hops=hops + 1)
    finally:
        other.close()
    return Delivery("Delivered", f"event {event['id']}")


# ---------------------------------------------------------------------------------------------------------------------
# Archives (§8.1) and replays (§8.2)


def _archives_on(store: AccountStore, region: str, bus: str) -> list[Any]:
    return store.conn.execute(
        "SELECT name, event_pattern, retention_days FROM events_archives WHERE region = ? AND bus = ? "
        "AND state = 'ENABLED' ORDER BY name",
        (region, bus),
    ).fetchall()


def _archive(store: AccountStore, archives: list[Any], event: Mapping[str, Any], when: datetime) -> None:
    text = None
    for a in archives:
        if a["event_pattern"] and not compiled_pattern(a["event_pattern"]).matches(event):
            continue
        if text is None:
            text = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
        ts = datetime.fromisoformat(str(event.get("time") or _iso(when)).replace("Z", "+00:00"))
        store.conn.execute("INSERT INTO events_archived (archive, ts_ms, archived_ms, size, event) VALUES (?,?,?,?,?)",
                           (a["name"], _ms(ts), _ms(when), len(text.encode()), text))  # fmt: skip


def _expire_archive(store: AccountStore, name: str, retention_days: int, now: datetime) -> None:
    if retention_days:
        store.conn.execute("DELETE FROM events_archived WHERE archive = ? AND archived_ms < ?",
                           (name, _ms(now - timedelta(days=retention_days))))  # fmt: skip


REPLAY_TICK = timedelta(minutes=1)  # [design choice] replays advance once per simulated minute ...
REPLAY_SPAN = timedelta(hours=1)  # ... by one hour of archived event time (in one-minute windows, in time order)


def run_replay(store: AccountStore, key: str, due: datetime, now: datetime) -> datetime | None:
    """STARTING -> RUNNING -> COMPLETED on the clock; CANCELLING -> CANCELLED. Each tick replays the next span of the
    archive's event time to the destination bus (all rules, or FilterArns), with ``replay-name`` in each event."""
    t = due
    while t <= now:
        r = store.conn.execute("SELECT * FROM events_replays WHERE name = ?", (key,)).fetchone()
        if r is None or r["state"] in ("COMPLETED", "CANCELLED", "FAILED"):
            return None
        if r["state"] == "CANCELLING":
            store.conn.execute("UPDATE events_replays SET state = 'CANCELLED', replay_end_ms = ? WHERE name = ?",
                               (_ms(t), key))  # fmt: skip
            return None
        if r["cursor_ms"] > r["end_ms"]:
            store.conn.execute("UPDATE events_replays SET state = 'COMPLETED', replay_end_ms = ? WHERE name = ?",
                               (_ms(t), key))  # fmt: skip
            return None
        upto = min(r["cursor_ms"] + int(REPLAY_SPAN.total_seconds() * 1000), r["end_ms"] + 1)
        dest = json.loads(r["destination"])
        bus = str(dest["Arn"]).split("event-bus/", 1)[-1]
        rows = store.conn.execute(
            "SELECT event, ts_ms FROM events_archived WHERE archive = ? AND ts_ms >= ? AND ts_ms < ? ORDER BY ts_ms, id",
            (r["archive"], r["cursor_ms"], upto),
        ).fetchall()
        events = []
        for row in rows:
            original = json.loads(row["event"])
            replayed: dict[str, Any] = {}
            for k, v in original.items():  # replay-name goes after region (§8.2, observed key order)
                replayed[k] = v
                if k == "region":
                    replayed["replay-name"] = key
            replayed.setdefault("replay-name", key)
            events.append((replayed, t))
        route(store, r["region"], bus, events, filter_arns=dest.get("FilterArns") or None)
        last = rows[-1]["ts_ms"] if rows else r["last_replayed_ms"]
        store.conn.execute("UPDATE events_replays SET state = 'RUNNING', cursor_ms = ?, last_replayed_ms = ? "
                           "WHERE name = ?", (upto, last, key))  # fmt: skip
        t += REPLAY_TICK
    return t


def _targets_by_rule(store: AccountStore, region: str, bus: str) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for r in store.conn.execute(
        "SELECT rule, target FROM events_targets WHERE region = ? AND bus = ? ORDER BY rule, position",
        (region, bus),
    ):
        out.setdefault(r["rule"], []).append(r)
    return out


def _last_seq(store: AccountStore) -> int:
    row = store.conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetchone()
    return int(row[0]) if row else 0


def _pattern_rules(store: AccountStore, region: str, bus: str = DEFAULT_BUS) -> list[Any]:
    return store.conn.execute(
        "SELECT * FROM events_rules WHERE region = ? AND bus = ? AND state != 'DISABLED' AND event_pattern IS NOT NULL "
        "ORDER BY name",
        (region, bus),
    ).fetchall()


def dispatch_pending(store: AccountStore, region: str) -> int:
    """Match the CloudTrail records after the region's cursor against its rules; returns deliveries made."""
    row = store.conn.execute("SELECT last_seq FROM events_dispatch WHERE region = ?", (region,)).fetchone()
    last = _last_seq(store)
    if row is None or row[0] >= last:
        return 0
    rules = _pattern_rules(store, region)
    archives = _archives_on(store, region, DEFAULT_BUS)
    store.conn.execute("UPDATE events_dispatch SET last_seq = ? WHERE region = ?", (last, region))
    if not rules and not archives:
        return 0
    # Cheap pre-filters first: read-only names in SQL unless a rule opted in to them, the source before parsing.
    read_filter = "" if any(r["state"] == ALL_MGMT for r in rules) else (
        " AND (substr(event_name, 1, 4) NOT IN ('List', 'Desc') AND substr(event_name, 1, 3) != 'Get'"
        " OR event_name IN ('GetFederationToken', 'GetSessionToken'))")  # fmt: skip
    records = store.conn.execute(
        "SELECT seq, event_name, event_source, record FROM events WHERE seq > ? AND seq <= ? AND region = ? "
        "AND origin = 'local' AND event_category = 'Management'" + read_filter + " ORDER BY seq",
        (row[0], last, region),
    ).fetchall()
    if not records:
        return 0
    sources = [(r, required_sources(r["event_pattern"])) for r in rules]
    targets = _targets_by_rule(store, region, DEFAULT_BUS)
    delivered = 0
    for rec in records:
        default_ok = reaches_default_rules(rec["event_name"])
        source = event_source_of(rec["event_source"])
        event: dict[str, Any] | None = None
        for rule, wanted in sources:
            if rec["seq"] <= rule["since_seq"] or not (default_ok or rule["state"] == ALL_MGMT):
                continue
            if wanted is not None and source not in wanted:
                continue
            if event is None:
                event = wrap_cloudtrail(json.loads(rec["record"]))
                if event is None:
                    break
            if compiled_pattern(rule["event_pattern"]).matches(event):
                when = datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00"))
                delivered += deliver(store, region, rule, targets.get(rule["name"], []), event, when)
        if archives and default_ok:  # the default bus's archives keep the CloudTrail events that reach the bus
            event = event or wrap_cloudtrail(json.loads(rec["record"]))
            if event is not None:
                _archive(store, archives, event, datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00")))
    return delivered


@lru_cache(maxsize=512)
def required_sources(pattern_text: str) -> frozenset[str] | None:
    """The exact ``source`` values a pattern requires at its top level, or None when it may match any source."""
    try:
        pattern = json.loads(pattern_text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(pattern, dict) or "$or" in pattern:
        return None
    values = pattern.get("source")
    if isinstance(values, list) and values and all(isinstance(v, str) for v in values):
        return frozenset(values)
    return None


def ensure_dispatch(store: AccountStore, region: str, now: datetime) -> None:
    """Start the region's dispatch cursor (at the present) and its job, if not running."""
    store.conn.execute("INSERT OR IGNORE INTO events_dispatch (region, last_seq) VALUES (?, ?)", (region, _last_seq(store)))
    scheduler.schedule_if_absent(store, "rules.dispatch", region, now + DISPATCH_INTERVAL)


def run_dispatch(store: AccountStore, key: str, due: datetime, now: datetime) -> datetime | None:
    dispatch_pending(store, key)
    if not _pattern_rules(store, key) and not _archives_on(store, key, DEFAULT_BUS):
        # Nothing to match: stop polling; the cursor moves on so history made meanwhile is never replayed.
        store.conn.execute("DELETE FROM events_dispatch WHERE region = ?", (key,))
        return None
    return max(now, due) + DISPATCH_INTERVAL


def scheduled_event(rule: Mapping[str, Any], account_id: str, region: str, fire: datetime) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"awsmon:schedule:{rule['arn']}:{_ms(fire)}")),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account_id,
        "time": _iso(fire),
        "region": region,
        "resources": [rule["arn"]],
        "detail": {},
    }


def _schedule_key(region: str, name: str) -> str:
    return f"{region}/{name}"


def _next_fire(rule: Mapping[str, Any], after: datetime) -> datetime | None:
    from awsmon.engines.schedule import RateSchedule, parse_schedule

    sched = parse_schedule(rule["schedule"])
    if isinstance(sched, RateSchedule):
        return sched.next_after(after, _dt(rule["anchor_ms"]))
    return sched.next_after(after)


def run_schedule(store: AccountStore, key: str, due: datetime, now: datetime) -> datetime | None:
    from awsmon.engines.schedule import RateSchedule, parse_schedule

    region, _, name = key.partition("/")
    rule = store.conn.execute(
        "SELECT * FROM events_rules WHERE region = ? AND bus = ? AND name = ?", (region, DEFAULT_BUS, name)
    ).fetchone()
    if rule is None or rule["state"] == "DISABLED" or not rule["schedule"]:
        return None
    targets = _targets_by_rule(store, region, DEFAULT_BUS).get(name, [])
    if targets:
        sched = parse_schedule(rule["schedule"])
        fires = [due]
        if isinstance(sched, RateSchedule):
            fires += sched.fires(due, now, _dt(rule["anchor_ms"]))
        else:
            fires += sched.fires(due, now)
        for fire in fires:
            deliver(store, region, rule, targets, scheduled_event(rule, store.account_id, region, fire), fire)
    return _next_fire(rule, max(now, due))


# ---------------------------------------------------------------------------------------------------------------------
# The service


class LocalEvents(LocalService):
    service_name = "events"
    event_source = "events.amazonaws.com"

    def rule_arn(self, name: str, bus: str = DEFAULT_BUS) -> str:
        base = f"arn:aws:events:{self.region}:{self.account_id}:rule/"
        return base + (name if bus == DEFAULT_BUS else f"{bus}/{name}")

    def _bus(self, value: Any) -> str:
        if value is None or value == "":
            return DEFAULT_BUS
        text = str(value)
        if text.startswith("arn:"):
            prefix = f"arn:aws:events:{self.region}:{self.account_id}:event-bus/"
            text = text[len(prefix):] if text.startswith(prefix) else text
        if not bus_exists(self.store, self.region, text):
            raise ServiceError("ResourceNotFoundException", f"Event bus {text} does not exist.")
        return text

    def bus_arn(self, name: str) -> str:
        return f"arn:aws:events:{self.region}:{self.account_id}:event-bus/{name}"

    def _rule(self, name: str, bus: str) -> Any:
        row = self.conn.execute(
            "SELECT * FROM events_rules WHERE region = ? AND bus = ? AND name = ?", (self.region, bus, name)
        ).fetchone()
        if row is None:
            raise rule_missing(name, bus)
        return row

    def _resources(self, op: str, params: dict[str, Any], result: Any) -> list[dict[str, str]]:
        if op.endswith(("EventBus", "EventBuses", "Permission")):
            bus = params.get("Name") or params.get("EventBusName") or DEFAULT_BUS
            return [{"type": "AWS::Events::EventBus", "ARN": self.bus_arn(str(bus)), "name": str(bus)}]
        if "Archive" in op or "Replay" in op:
            name = params.get("ArchiveName") or params.get("ReplayName")
            kind = "Archive" if "Archive" in op else "Replay"
            return [{"type": f"AWS::Events::{kind}", "ARN": "", "name": str(name)}] if name else []
        name = params.get("Name") or params.get("Rule")
        if not isinstance(name, str) or not name:
            return []
        bus = params.get("EventBusName")
        bus = DEFAULT_BUS if not bus or str(bus).startswith("arn:") else str(bus)
        return [{"type": "AWS::Events::Rule", "ARN": self.rule_arn(name, bus), "name": name}]

    def _flush(self) -> None:
        """Deliver pending CloudTrail events under the current rules before they change."""
        dispatch_pending(self.store, self.region)

    def _arm(self, name: str, bus: str) -> None:
        """(Re)start the jobs a rule needs after a change."""
        rule = self.conn.execute(
            "SELECT * FROM events_rules WHERE region = ? AND bus = ? AND name = ?", (self.region, bus, name)
        ).fetchone()
        key = _schedule_key(self.region, name)
        if rule is None or rule["state"] == "DISABLED":
            scheduler.unschedule(self.store, "rules.schedule", key)
            return
        now = self.now()
        if rule["event_pattern"]:
            ensure_dispatch(self.store, self.region, now)
        if rule["schedule"]:
            nxt = _next_fire(rule, now)
            if nxt is None:
                scheduler.unschedule(self.store, "rules.schedule", key)
            else:
                scheduler.schedule(self.store, "rules.schedule", key, nxt)
        else:
            scheduler.unschedule(self.store, "rules.schedule", key)

    # -- rules -------------------------------------------------------------------------------------------------
    @api("PutRule")
    def put_rule(self, *, Name: str, ScheduleExpression: str | None = None, EventPattern: str | None = None,
                 State: str | None = None, Description: str | None = None, RoleArn: str | None = None,
                 Tags: list[dict[str, str]] | None = None, EventBusName: str | None = None,
                 **kw: Any) -> dict[str, Any]:  # fmt: skip
        validate_name(Name, "name")
        bus = self._bus(EventBusName)
        state = State or "ENABLED"
        if state not in STATES:
            raise constraint(state, "state", f"Member must satisfy enum value set: [{', '.join(STATES)}]")
        if Description is not None and len(Description) > 512:
            raise constraint(Description, "description", "Member must have length less than or equal to 512")
        if not EventPattern and not ScheduleExpression:
            raise ServiceError("ValidationException", "Parameter(s) EventPattern or ScheduleExpression must be specified.")
        if ScheduleExpression:
            from awsmon.engines.schedule import ScheduleError, parse_schedule

            try:
                parse_schedule(ScheduleExpression)
            except ScheduleError as exc:
                raise ServiceError("ValidationException", exc.message, hint=exc.detail) from None
            if bus != DEFAULT_BUS:
                raise ServiceError("ValidationException", "ScheduleExpression is supported only on the default event bus.")
        if EventPattern:
            from awsmon.engines.eventpattern import EventPatternError, compile_event_pattern

            if not isinstance(EventPattern, str) or len(EventPattern) > 4096:
                raise constraint("...", "eventPattern", "Member must have length less than or equal to 4096")
            try:
                compile_event_pattern(EventPattern)
            except EventPatternError as exc:
                raise ServiceError("InvalidEventPatternException", exc.message) from None
        self._flush()
        now = self.now()
        existing = self.conn.execute(
            "SELECT * FROM events_rules WHERE region = ? AND bus = ? AND name = ?", (self.region, bus, Name)
        ).fetchone()
        arn = self.rule_arn(Name, bus)
        # The PutRule record itself (the next seq) is history from before the rule: never dispatched to it.
        since = _last_seq(self.store) + 1
        if existing is None:
            count = self.conn.execute(
                "SELECT count(*) FROM events_rules WHERE region = ? AND bus = ?", (self.region, bus)
            ).fetchone()[0]
            if count >= MAX_RULES_PER_BUS:
                raise ServiceError("LimitExceededException", LIMIT_TEXT)
            self.conn.execute(
                "INSERT INTO events_rules (region, bus, name, arn, event_pattern, schedule, state, description, "
                "role_arn, created_ms, anchor_ms, since_seq, tags) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (self.region, bus, Name, arn, EventPattern or None, ScheduleExpression or None, state, Description,
                 RoleArn, _ms(now), _ms(now), since, json.dumps(Tags or [])),
            )  # fmt: skip
        else:
            # PutRule replaces the rule: omitted arguments are not kept (targets and tags are).
            reanchor = existing["schedule"] != (ScheduleExpression or None) or (
                existing["state"] == "DISABLED" and state != "DISABLED")  # fmt: skip
            resume = existing["state"] == "DISABLED" and state != "DISABLED"
            self.conn.execute(
                "UPDATE events_rules SET event_pattern = ?, schedule = ?, state = ?, description = ?, role_arn = ?, "
                "anchor_ms = ?, since_seq = ? WHERE region = ? AND bus = ? AND name = ?",
                (EventPattern or None, ScheduleExpression or None, state, Description, RoleArn,
                 _ms(now) if reanchor else existing["anchor_ms"], since if resume else existing["since_seq"],
                 self.region, bus, Name),
            )  # fmt: skip
        self._arm(Name, bus)
        return {"RuleArn": arn}

    def _rule_dict(self, r: Any, *, full: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"Name": r["name"], "Arn": r["arn"]}
        if r["event_pattern"]:
            out["EventPattern"] = r["event_pattern"]
        if r["schedule"]:
            out["ScheduleExpression"] = r["schedule"]
        out["State"] = r["state"]
        if r["description"] is not None:
            out["Description"] = r["description"]
        if r["role_arn"]:
            out["RoleArn"] = r["role_arn"]
        out["EventBusName"] = r["bus"]
        if full:
            out["CreatedBy"] = self.account_id
        return out

    @api("DescribeRule")
    def describe_rule(self, *, Name: str, EventBusName: str | None = None, **kw: Any) -> dict[str, Any]:
        validate_name(Name, "name")
        return self._rule_dict(self._rule(Name, self._bus(EventBusName)), full=True)

    @api("ListRules")
    def list_rules(self, *, NamePrefix: str | None = None, EventBusName: str | None = None,
                   NextToken: str | None = None, Limit: int | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        bus = self._bus(EventBusName)
        if NamePrefix is not None:
            validate_name(NamePrefix, "namePrefix")
        if Limit is not None and not 1 <= int(Limit) <= 100:
            raise constraint(Limit, "limit", "Member must have value between 1 and 100")
        page = int(Limit or PAGE)
        prefix = NamePrefix or ""
        rows = self.conn.execute(
            "SELECT * FROM events_rules WHERE region = ? AND bus = ? AND name >= ? AND substr(name, 1, ?) = ? "
            "AND name > ? ORDER BY name LIMIT ?",
            (self.region, bus, prefix, len(prefix), prefix, NextToken or "", page + 1),
        ).fetchall()
        out: dict[str, Any] = {"Rules": [self._rule_dict(r, full=False) for r in rows[:page]]}
        if len(rows) > page:
            out["NextToken"] = rows[page - 1]["name"]
        return out

    @api("DeleteRule")
    def delete_rule(self, *, Name: str, EventBusName: str | None = None, Force: bool = False,
                    **kw: Any) -> dict[str, Any]:  # fmt: skip
        validate_name(Name, "name")
        bus = self._bus(EventBusName)
        row = self.conn.execute(
            "SELECT 1 FROM events_rules WHERE region = ? AND bus = ? AND name = ?", (self.region, bus, Name)
        ).fetchone()
        if row is None:
            return {}  # AWS: deleting a rule that does not exist succeeds
        n = self.conn.execute(
            "SELECT count(*) FROM events_targets WHERE region = ? AND bus = ? AND rule = ?", (self.region, bus, Name)
        ).fetchone()[0]
        if n and not Force:
            raise ServiceError("ValidationException", "Rule can't be deleted since it has targets.")
        self._flush()
        self.conn.execute("DELETE FROM events_targets WHERE region = ? AND bus = ? AND rule = ?", (self.region, bus, Name))
        self.conn.execute("DELETE FROM events_rules WHERE region = ? AND bus = ? AND name = ?", (self.region, bus, Name))
        scheduler.unschedule(self.store, "rules.schedule", _schedule_key(self.region, Name))
        return {}

    def _set_state(self, name: str, bus_param: Any, state: str) -> dict[str, Any]:
        validate_name(name, "name")
        bus = self._bus(bus_param)
        row = self._rule(name, bus)
        self._flush()
        if state == "DISABLED":
            self.conn.execute("UPDATE events_rules SET state = 'DISABLED' WHERE region = ? AND bus = ? AND name = ?",
                              (self.region, bus, name))  # fmt: skip
        elif row["state"] == "DISABLED":
            # Re-enabled: rate schedules restart from now; calls made while disabled never reach the rule.
            self.conn.execute(
                "UPDATE events_rules SET state = 'ENABLED', anchor_ms = ?, since_seq = ? "
                "WHERE region = ? AND bus = ? AND name = ?",
                (_ms(self.now()), _last_seq(self.store) + 1, self.region, bus, name),
            )
        self._arm(name, bus)
        return {}

    @api("EnableRule")
    def enable_rule(self, *, Name: str, EventBusName: str | None = None, **kw: Any) -> dict[str, Any]:
        return self._set_state(Name, EventBusName, "ENABLED")

    @api("DisableRule")
    def disable_rule(self, *, Name: str, EventBusName: str | None = None, **kw: Any) -> dict[str, Any]:
        return self._set_state(Name, EventBusName, "DISABLED")

    # -- targets -----------------------------------------------------------------------------------------------
    @api("PutTargets")
    def put_targets(self, *, Rule: str, Targets: list[dict[str, Any]], EventBusName: str | None = None,
                    **kw: Any) -> dict[str, Any]:  # fmt: skip
        validate_name(Rule, "rule")
        bus = self._bus(EventBusName)
        targets = list(Targets or [])
        if not targets:
            raise constraint("[]", "targets", "Member must have length greater than or equal to 1")
        if len(targets) > MAX_PUT_TARGETS:
            raise constraint("[...]", "targets", f"Member must have length less than or equal to {MAX_PUT_TARGETS}")
        self._rule(Rule, bus)
        checked = [validate_target(t, i) for i, t in enumerate(targets, start=1)]
        existing = {r["target_id"]: r["position"] for r in self.conn.execute(
            "SELECT target_id, position FROM events_targets WHERE region = ? AND bus = ? AND rule = ?",
            (self.region, bus, Rule))}  # fmt: skip
        new_ids = {t["Id"] for t in checked} - set(existing)
        if len(existing) + len(new_ids) > MAX_TARGETS_PER_RULE:
            raise ServiceError("LimitExceededException", LIMIT_TEXT)
        self._flush()
        position = max(existing.values(), default=0)
        for t in checked:
            if t["Id"] in existing:
                pos = existing[t["Id"]]
            else:
                position += 1
                pos = existing[t["Id"]] = position
            self.conn.execute(
                "INSERT INTO events_targets (region, bus, rule, target_id, position, arn, target) VALUES (?,?,?,?,?,?,?) "
                "ON CONFLICT (region, bus, rule, target_id) DO UPDATE SET arn = excluded.arn, target = excluded.target",
                (self.region, bus, Rule, t["Id"], pos, t["Arn"], json.dumps(t, default=str)),
            )
        return {"FailedEntryCount": 0, "FailedEntries": []}

    @api("ListTargetsByRule")
    def list_targets_by_rule(self, *, Rule: str, EventBusName: str | None = None, NextToken: str | None = None,
                             Limit: int | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        validate_name(Rule, "rule")
        bus = self._bus(EventBusName)
        self._rule(Rule, bus)
        page = int(Limit or PAGE)
        after = int(NextToken) if NextToken and str(NextToken).isdigit() else 0
        rows = self.conn.execute(
            "SELECT position, target FROM events_targets WHERE region = ? AND bus = ? AND rule = ? AND position > ? "
            "ORDER BY position LIMIT ?",
            (self.region, bus, Rule, after, page + 1),
        ).fetchall()
        out: dict[str, Any] = {"Targets": [json.loads(r["target"]) for r in rows[:page]]}
        if len(rows) > page:
            out["NextToken"] = str(rows[page - 1]["position"])
        return out

    @api("RemoveTargets")
    def remove_targets(self, *, Rule: str, Ids: list[str], EventBusName: str | None = None, Force: bool = False,
                       **kw: Any) -> dict[str, Any]:  # fmt: skip
        validate_name(Rule, "rule")
        bus = self._bus(EventBusName)
        ids = list(Ids or [])
        if not ids:
            raise constraint("[]", "ids", "Member must have length greater than or equal to 1")
        for i, tid in enumerate(ids, start=1):
            validate_name(tid, f"ids.{i}.member")
        self._rule(Rule, bus)
        self._flush()
        self.conn.executemany(
            "DELETE FROM events_targets WHERE region = ? AND bus = ? AND rule = ? AND target_id = ?",
            [(self.region, bus, Rule, tid) for tid in ids],
        )
        return {"FailedEntryCount": 0, "FailedEntries": []}

    # -- patterns and events -----------------------------------------------------------------------------------
    @api("TestEventPattern")
    def test_event_pattern(self, *, EventPattern: str, Event: str, **kw: Any) -> dict[str, Any]:
        from awsmon.engines.eventpattern import EventPatternError, EventValidationError, test_event_pattern

        try:
            return {"Result": test_event_pattern(EventPattern, Event)}
        except EventPatternError as exc:
            raise ServiceError("InvalidEventPatternException", exc.message) from None
        except EventValidationError as exc:
            raise ServiceError("ValidationException", exc.message, hint=exc.detail or None) from None

    def _put_destination(self, value: Any) -> tuple[str, str, str]:
        """PutEvents' EventBusName: (account, region, bus); a bus of this account must exist (else the whole
        request fails), another account's bus is checked per entry (its policy)."""
        text = str(value or DEFAULT_BUS)
        if text.startswith("arn:"):
            parts = text.split(":", 5)
            if len(parts) == 6 and parts[2] == "events" and parts[5].startswith("event-bus/") \
                    and (parts[4], parts[3]) != (self.account_id, self.region):  # fmt: skip
                return parts[4], parts[3], parts[5][len("event-bus/"):]
        return self.account_id, self.region, self._bus(value)

    def _remote_check(self, account: str, region: str, bus: str) -> dict[str, str] | None:
        """The per-entry error for events sent to another account's bus, or None when its policy allows them."""
        arn = f"arn:aws:events:{region}:{account}:event-bus/{bus}"
        other = _other_account(self.store, account)
        allowed = False
        if other is not None:
            try:
                row = _bus_row(other, region, bus) if bus_exists(other, region, bus) else None
                allowed = row is not None and policy_allows(row["policy"], self.account_id, "events:PutEvents", arn)
            finally:
                other.close()
        if allowed:
            return None
        # [unverified] AWS's per-entry text for a bus whose policy does not admit the caller.
        return {"ErrorCode": "AccessDeniedException",
                "ErrorMessage": f"User: arn:aws:iam::{self.account_id}:root is not authorized to perform: "
                                f"events:PutEvents on resource: {arn}"}  # fmt: skip

    @api("PutEvents", category="Data")
    def put_events(self, *, Entries: list[dict[str, Any]], EndpointId: str | None = None, **kw: Any) -> dict[str, Any]:
        entries = list(Entries or [])
        if not entries:
            raise constraint("[]", "entries", "Member must have length greater than or equal to 1")
        if len(entries) > MAX_ENTRIES:
            raise constraint("[PutEventsRequestEntry]", "entries", f"Member must have length less than or equal to {MAX_ENTRIES}")
        size = 0
        for e in entries:
            size += 14 if e.get("Time") is not None else 0
            for key in ("Source", "DetailType", "Detail"):
                if isinstance(e.get(key), str):
                    size += len(e[key].encode())
            size += sum(len(str(r).encode()) for r in e.get("Resources") or [])
        if size > MAX_REQUEST_BYTES:
            raise ServiceError("ValidationException", "Total size of the entries in the request is over the limit.")
        destinations = [self._put_destination(e.get("EventBusName")) for e in entries]
        remote = {d: self._remote_check(*d) for d in set(destinations) if d[0] != self.account_id}
        now = self.now()
        results: list[dict[str, Any]] = []
        accepted: dict[tuple[str, str, str], list[tuple[dict[str, Any], datetime]]] = {}
        for e, dest in zip(entries, destinations, strict=True):
            err = _entry_error(e) or remote.get(dest)
            if err is not None:
                results.append(err)
                continue
            when = e.get("Time")
            when = when if isinstance(when, datetime) else now
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            event = {
                "version": "0",
                "id": str(uuid.uuid4()),
                "detail-type": e["DetailType"],
                "source": e["Source"],
                "account": self.account_id,
                "time": _iso(when),
                "region": dest[1],
                "resources": list(e.get("Resources") or []),
                "detail": json.loads(e["Detail"]),
            }
            accepted.setdefault(dest, []).append((event, now))
            results.append({"EventId": event["id"]})
        for (account, region, bus), events in accepted.items():
            if account == self.account_id:
                route(self.store, region, bus, events)
                continue
            other = _other_account(self.store, account)
            try:
                with other.transaction():  # each account has its own clock: the events arrive at its present
                    route(other, region, bus, [(event, other.now()) for event, _ in events])
            finally:
                other.close()
        failed = sum(1 for r in results if "ErrorCode" in r)
        return {"FailedEntryCount": failed, "Entries": results}

    # -- event buses and their policies (§8.4) ---------------------------------------------------------------------
    def _bus_dict(self, name: str, row: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"Name": name, "Arn": self.bus_arn(name)}
        if row is not None and row["description"]:
            out["Description"] = row["description"]
        if row is not None and row["policy"]:
            out["Policy"] = row["policy"]
        if row is not None:
            out["CreationTime"] = _dt(row["created_ms"])
            out["LastModifiedTime"] = _dt(row["modified_ms"])
        return out

    @api("CreateEventBus")
    def create_event_bus(self, *, Name: str, EventSourceName: str | None = None, Description: str | None = None,
                         Tags: list[dict[str, str]] | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        if not isinstance(Name, str) or not Name:
            raise constraint("null", "name", "Member must have length greater than or equal to 1")
        if len(Name) > 256:
            raise constraint(Name, "name", "Member must have length less than or equal to 256")
        if not _BUS_NAME_RE.fullmatch(Name):
            raise constraint(Name, "name", f"Member must satisfy regular expression pattern: {BUS_NAME_PATTERN}")
        if Name == DEFAULT_BUS or _bus_row(self.store, self.region, Name) is not None:
            raise ServiceError("ResourceAlreadyExistsException", f"Event bus {Name} already exists.")
        if EventSourceName or Name.startswith("aws.partner/"):
            # [unverified] partner event sources do not exist locally.
            raise ServiceError("ResourceNotFoundException", f"Event source {EventSourceName or Name} does not exist.")
        if "/" in Name:
            raise ServiceError("ValidationException", "Event bus name must not contain '/'.")  # [unverified] text
        if Description is not None and len(Description) > 512:
            raise constraint(Description, "description", "Member must have length less than or equal to 512")
        count = self.conn.execute("SELECT count(*) FROM events_buses WHERE region = ? AND name != ?",
                                  (self.region, DEFAULT_BUS)).fetchone()[0]  # fmt: skip
        if count >= MAX_BUSES:
            raise ServiceError("LimitExceededException", LIMIT_TEXT)
        now = _ms(self.now())
        self.conn.execute(
            "INSERT INTO events_buses (region, name, arn, description, tags, created_ms, modified_ms) VALUES (?,?,?,?,?,?,?)",
            (self.region, Name, self.bus_arn(Name), Description, json.dumps(Tags or []), now, now),
        )
        out: dict[str, Any] = {"EventBusArn": self.bus_arn(Name)}
        if Description is not None:
            out["Description"] = Description
        return out

    @api("DescribeEventBus")
    def describe_event_bus(self, *, Name: str | None = None, **kw: Any) -> dict[str, Any]:
        name = self._bus(Name)
        return self._bus_dict(name, _bus_row(self.store, self.region, name))

    @api("ListEventBuses")
    def list_event_buses(self, *, NamePrefix: str | None = None, NextToken: str | None = None, Limit: int | None = None,
                         **kw: Any) -> dict[str, Any]:  # fmt: skip
        if Limit is not None and not 1 <= int(Limit) <= 100:
            raise constraint(Limit, "limit", "Member must have value between 1 and 100")
        rows = {r["name"]: r for r in self.conn.execute("SELECT * FROM events_buses WHERE region = ?", (self.region,))}
        names = sorted({DEFAULT_BUS, *rows})
        names = [n for n in names if n.startswith(NamePrefix or "") and n > (NextToken or "")]
        page = int(Limit or PAGE)
        out: dict[str, Any] = {"EventBuses": [self._bus_dict(n, rows.get(n)) for n in names[:page]]}
        if len(names) > page:
            out["NextToken"] = names[page - 1]
        return out

    @api("DeleteEventBus")
    def delete_event_bus(self, *, Name: str, **kw: Any) -> dict[str, Any]:
        if Name == DEFAULT_BUS:
            raise ServiceError("ValidationException", "Cannot delete event bus default.")
        self._flush()
        # Deleting a bus that does not exist succeeds; its rules and targets go with it.
        self.conn.execute("DELETE FROM events_targets WHERE region = ? AND bus = ?", (self.region, Name))
        self.conn.execute("DELETE FROM events_rules WHERE region = ? AND bus = ?", (self.region, Name))
        self.conn.execute("DELETE FROM events_buses WHERE region = ? AND name = ?", (self.region, Name))
        return {}

    def _set_policy(self, bus: str, policy: dict[str, Any] | None) -> None:
        text = None if policy is None or not policy.get("Statement") else json.dumps(policy, separators=(",", ":"))
        if text is not None and len(text) > 10240:
            raise ServiceError("PolicyLengthExceededException", "The event bus policy is too long.")  # [unverified]
        now = _ms(self.now())
        self.conn.execute(
            "INSERT INTO events_buses (region, name, arn, policy, created_ms, modified_ms) VALUES (?,?,?,?,?,?) "
            "ON CONFLICT (region, name) DO UPDATE SET policy = excluded.policy, modified_ms = excluded.modified_ms",
            (self.region, bus, self.bus_arn(bus), text, now, now),
        )

    @api("PutPermission")
    def put_permission(self, *, EventBusName: str | None = None, Action: str | None = None,
                       Principal: str | None = None, StatementId: str | None = None,
                       Condition: dict[str, str] | None = None, Policy: str | None = None,
                       **kw: Any) -> dict[str, Any]:  # fmt: skip
        bus = self._bus(EventBusName)
        if Policy is not None:
            policy = _check_policy(Policy)
            self._set_policy(bus, policy)
            return {}
        if Action != "events:PutEvents":
            raise ServiceError("ValidationException", f"Provided value in parameter 'action' is not supported: {Action}")  # [unverified]
        if not isinstance(Principal, str) or not re.fullmatch(r"\d{12}|\*", Principal):
            raise constraint(Principal, "principal", r"Member must satisfy regular expression pattern: (\d{12}|\*)")
        if not isinstance(StatementId, str) or not re.fullmatch(r"[a-zA-Z0-9-_]{1,64}", StatementId):
            raise constraint(StatementId, "statementId", "Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+")
        statement: dict[str, Any] = {
            "Sid": StatementId, "Effect": "Allow",
            "Principal": "*" if Principal == "*" else {"AWS": f"arn:aws:iam::{Principal}:root"},
            "Action": "events:PutEvents", "Resource": self.bus_arn(bus),
        }  # fmt: skip
        if Condition:
            if set(Condition) != {"Type", "Key", "Value"} or Condition["Type"] != "StringEquals" \
                    or Condition["Key"] != "aws:PrincipalOrgID":  # fmt: skip
                raise ServiceError("ValidationException", "Condition is not valid: only Type StringEquals with Key "
                                   "aws:PrincipalOrgID is supported.")  # fmt: skip [unverified]
            statement["Condition"] = {Condition["Type"]: {Condition["Key"]: Condition["Value"]}}
        row = _bus_row(self.store, self.region, bus)
        policy = json.loads(row["policy"]) if row is not None and row["policy"] else {"Version": "2012-10-17", "Statement": []}
        policy["Statement"] = [s for s in policy["Statement"] if s.get("Sid") != StatementId] + [statement]
        self._set_policy(bus, policy)
        return {}

    @api("RemovePermission")
    def remove_permission(self, *, StatementId: str | None = None, RemoveAllPermissions: bool = False,
                          EventBusName: str | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        bus = self._bus(EventBusName)
        row = _bus_row(self.store, self.region, bus)
        policy = json.loads(row["policy"]) if row is not None and row["policy"] else None
        if RemoveAllPermissions:
            if policy is not None:
                self._set_policy(bus, None)
            return {}
        if policy is None:
            raise ServiceError("ResourceNotFoundException", "EventBus does not have a policy.")
        kept = [s for s in policy["Statement"] if s.get("Sid") != StatementId]
        if len(kept) == len(policy["Statement"]):
            raise ServiceError("ResourceNotFoundException", "Statement with the provided id does not exist.")
        self._set_policy(bus, {**policy, "Statement": kept})
        return {}

    # -- archives and replays (§8.1, §8.2) ---------------------------------------------------------------------------
    def archive_arn(self, name: str) -> str:
        return f"arn:aws:events:{self.region}:{self.account_id}:archive/{name}"

    def _archive_row(self, name: str) -> Any:
        row = self.conn.execute("SELECT * FROM events_archives WHERE name = ? AND region = ?", (name, self.region)).fetchone()
        if row is None:
            raise ServiceError("ResourceNotFoundException", f"Archive {name} does not exist.")
        return row

    def _bus_of_arn(self, arn: Any, field: str) -> str:
        prefix = f"arn:aws:events:{self.region}:{self.account_id}:event-bus/"
        if not isinstance(arn, str) or not arn.startswith(prefix):
            raise ServiceError("ValidationException", f"Parameter {field} is not valid. Reason: Provided Arn is not in "
                               "correct format.")  # fmt: skip
        bus = arn[len(prefix):]
        if not bus_exists(self.store, self.region, bus):
            raise ServiceError("ResourceNotFoundException", f"Event bus {bus} does not exist.")
        return bus

    @api("CreateArchive")
    def create_archive(self, *, ArchiveName: str, EventSourceArn: str, Description: str | None = None,
                       EventPattern: str | None = None, RetentionDays: int | None = None,
                       **kw: Any) -> dict[str, Any]:  # fmt: skip
        if not isinstance(ArchiveName, str) or not ArchiveName or len(ArchiveName) > 48 or not _NAME_RE.fullmatch(ArchiveName):
            raise constraint(ArchiveName, "archiveName", f"Member must satisfy regular expression pattern: {NAME_PATTERN}")
        bus = self._bus_of_arn(EventSourceArn, "EventSourceArn")
        if RetentionDays is not None and int(RetentionDays) < 0:
            raise constraint(RetentionDays, "retentionDays", "Member must have value greater than or equal to 0")
        if EventPattern:
            from awsmon.engines.eventpattern import EventPatternError, compile_event_pattern

            try:
                compile_event_pattern(EventPattern)
            except EventPatternError as exc:
                raise ServiceError("InvalidEventPatternException", exc.message) from None
        if self.conn.execute("SELECT 1 FROM events_archives WHERE name = ?", (ArchiveName,)).fetchone():
            raise ServiceError("ResourceAlreadyExistsException", f"Archive {ArchiveName} already exists.")
        self._flush()
        now = self.now()
        self.conn.execute(
            "INSERT INTO events_archives (name, region, arn, bus, bus_arn, event_pattern, retention_days, description, "
            "state, created_ms) VALUES (?,?,?,?,?,?,?,?,'ENABLED',?)",
            (ArchiveName, self.region, self.archive_arn(ArchiveName), bus, EventSourceArn, EventPattern or None,
             int(RetentionDays or 0), Description, _ms(now)),
        )  # fmt: skip
        if bus == DEFAULT_BUS:
            ensure_dispatch(self.store, self.region, now)  # CloudTrail events reach the default bus's archives
        return {"ArchiveArn": self.archive_arn(ArchiveName), "State": "ENABLED", "CreationTime": now}

    def _archive_dict(self, row: Any, *, full: bool) -> dict[str, Any]:
        _expire_archive(self.store, row["name"], row["retention_days"], self.now())
        count, size = self.conn.execute("SELECT count(*), coalesce(sum(size), 0) FROM events_archived WHERE archive = ?",
                                        (row["name"],)).fetchone()  # fmt: skip
        out: dict[str, Any] = {"ArchiveName": row["name"]}
        if full:
            out["ArchiveArn"] = row["arn"]
        out["EventSourceArn"] = row["bus_arn"]
        if full and row["description"] is not None:
            out["Description"] = row["description"]
        if full and row["event_pattern"]:
            out["EventPattern"] = row["event_pattern"]
        out.update({"State": row["state"], "RetentionDays": row["retention_days"], "SizeBytes": size,
                    "EventCount": count, "CreationTime": _dt(row["created_ms"])})  # fmt: skip
        return out

    @api("DescribeArchive")
    def describe_archive(self, *, ArchiveName: str, **kw: Any) -> dict[str, Any]:
        self._flush()
        return self._archive_dict(self._archive_row(ArchiveName), full=True)

    @api("ListArchives")
    def list_archives(self, *, NamePrefix: str | None = None, EventSourceArn: str | None = None,
                      State: str | None = None, NextToken: str | None = None, Limit: int | None = None,
                      **kw: Any) -> dict[str, Any]:  # fmt: skip
        self._flush()
        rows = [r for r in self.conn.execute("SELECT * FROM events_archives WHERE region = ? ORDER BY name", (self.region,))
                if r["name"].startswith(NamePrefix or "") and (not EventSourceArn or r["bus_arn"] == EventSourceArn)
                and (not State or r["state"] == State) and r["name"] > (NextToken or "")]  # fmt: skip
        page = int(Limit or PAGE)
        out: dict[str, Any] = {"Archives": [self._archive_dict(r, full=False) for r in rows[:page]]}
        if len(rows) > page:
            out["NextToken"] = rows[page - 1]["name"]
        return out

    @api("DeleteArchive")
    def delete_archive(self, *, ArchiveName: str, **kw: Any) -> dict[str, Any]:
        self._archive_row(ArchiveName)
        self.conn.execute("DELETE FROM events_archived WHERE archive = ?", (ArchiveName,))
        self.conn.execute("DELETE FROM events_archives WHERE name = ?", (ArchiveName,))
        return {}

    def replay_arn(self, name: str) -> str:
        return f"arn:aws:events:{self.region}:{self.account_id}:replay/{name}"

    @api("StartReplay")
    def start_replay(self, *, ReplayName: str, EventSourceArn: str, EventStartTime: datetime, EventEndTime: datetime,
                     Destination: dict[str, Any], Description: str | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        if not isinstance(ReplayName, str) or not ReplayName or len(ReplayName) > 64 or not _NAME_RE.fullmatch(ReplayName):
            raise constraint(ReplayName, "replayName", f"Member must satisfy regular expression pattern: {NAME_PATTERN}")
        archive_name = str(EventSourceArn).rsplit("archive/", 1)[-1] if ":archive/" in str(EventSourceArn) else None
        archive = self.conn.execute("SELECT * FROM events_archives WHERE name = ? AND arn = ?",
                                    (archive_name, EventSourceArn)).fetchone()  # fmt: skip
        if archive is None:
            raise ServiceError("ValidationException", "Parameter EventSourceArn is not valid. Reason: Archive "
                               f"{archive_name or EventSourceArn} does not exist.")  # fmt: skip
        start, end = _aware(EventStartTime), _aware(EventEndTime)
        if start >= end:
            raise ServiceError("ValidationException", "Parameter EventEndTime is not valid. Reason: EventStartTime must "
                               "be before EventEndTime.")  # fmt: skip
        dest = dict(Destination or {})
        if dest.get("Arn") != archive["bus_arn"]:
            raise ServiceError("ValidationException", "Parameter Destination.Arn is not valid. Reason: Cross event bus "
                               "replay is not permitted.")  # fmt: skip
        for arn in dest.get("FilterArns") or []:
            prefix = self.rule_arn("", archive["bus"])
            if not str(arn).startswith(prefix):
                raise ServiceError("ValidationException", f"Parameter Destination.FilterArns is not valid. Reason: "
                                   f"{arn} is not a rule of event bus {archive['bus']}.")  # fmt: skip [unverified]
        if self.conn.execute("SELECT 1 FROM events_replays WHERE name = ?", (ReplayName,)).fetchone():
            raise ServiceError("ResourceAlreadyExistsException", f"Replay {ReplayName} already exists.")
        active = self.conn.execute("SELECT count(*) FROM events_replays WHERE region = ? AND state IN "
                                   "('STARTING', 'RUNNING', 'CANCELLING')", (self.region,)).fetchone()[0]  # fmt: skip
        if active >= 10:
            raise ServiceError("LimitExceededException", LIMIT_TEXT)
        self._flush()
        now = self.now()
        self.conn.execute(
            "INSERT INTO events_replays (name, region, arn, archive, archive_arn, description, start_ms, end_ms, "
            "destination, state, replay_start_ms, cursor_ms) VALUES (?,?,?,?,?,?,?,?,?,'STARTING',?,?)",
            (ReplayName, self.region, self.replay_arn(ReplayName), archive["name"], EventSourceArn, Description,
             _ms(start), _ms(end), json.dumps(dest), _ms(now), _ms(start)),
        )  # fmt: skip
        scheduler.schedule(self.store, "rules.replay", ReplayName, now + REPLAY_TICK)
        return {"ReplayArn": self.replay_arn(ReplayName), "State": "STARTING", "ReplayStartTime": now}

    def _replay(self, name: str) -> Any:
        row = self.conn.execute("SELECT * FROM events_replays WHERE name = ? AND region = ?", (name, self.region)).fetchone()
        if row is None:
            raise ServiceError("ResourceNotFoundException", f"Replay {name} does not exist.")
        return row

    def _replay_dict(self, r: Any, *, full: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"ReplayName": r["name"]}
        if full:
            out["ReplayArn"] = r["arn"]
            if r["description"] is not None:
                out["Description"] = r["description"]
        out["State"] = r["state"]
        if r["reason"]:
            out["StateReason"] = r["reason"]
        out["EventSourceArn"] = r["archive_arn"]
        if full:
            out["Destination"] = json.loads(r["destination"])
        out.update({"EventStartTime": _dt(r["start_ms"]), "EventEndTime": _dt(r["end_ms"])})
        if r["last_replayed_ms"] is not None:
            out["EventLastReplayedTime"] = _dt(r["last_replayed_ms"])
        out["ReplayStartTime"] = _dt(r["replay_start_ms"])
        if r["replay_end_ms"] is not None:
            out["ReplayEndTime"] = _dt(r["replay_end_ms"])
        return out

    @api("DescribeReplay")
    def describe_replay(self, *, ReplayName: str, **kw: Any) -> dict[str, Any]:
        return self._replay_dict(self._replay(ReplayName), full=True)

    @api("ListReplays")
    def list_replays(self, *, NamePrefix: str | None = None, State: str | None = None,
                     EventSourceArn: str | None = None, NextToken: str | None = None, Limit: int | None = None,
                     **kw: Any) -> dict[str, Any]:  # fmt: skip
        rows = [r for r in self.conn.execute("SELECT * FROM events_replays WHERE region = ? ORDER BY name", (self.region,))
                if r["name"].startswith(NamePrefix or "") and (not State or r["state"] == State)
                and (not EventSourceArn or r["archive_arn"] == EventSourceArn) and r["name"] > (NextToken or "")]  # fmt: skip
        page = int(Limit or PAGE)
        out: dict[str, Any] = {"Replays": [self._replay_dict(r, full=False) for r in rows[:page]]}
        if len(rows) > page:
            out["NextToken"] = rows[page - 1]["name"]
        return out

    @api("CancelReplay")
    def cancel_replay(self, *, ReplayName: str, **kw: Any) -> dict[str, Any]:
        r = self._replay(ReplayName)
        if r["state"] not in ("STARTING", "RUNNING"):
            raise ServiceError("IllegalStatusException", f"Replay {ReplayName} is not in a valid state for this "
                               "operation.")  # fmt: skip [unverified]
        self.conn.execute("UPDATE events_replays SET state = 'CANCELLING' WHERE name = ?", (ReplayName,))
        return {"ReplayArn": r["arn"], "State": "CANCELLING"}


    # -- local-only --------------------------------------------------------------------------------------------
    def list_deliveries(self, *, Rule: str | None = None, MaxItems: int = 1000) -> dict[str, Any]:
        """The delivery outbox, oldest first (the newest ``MaxItems``); not an AWS operation, not recorded."""
        where, args = "region = ?", [self.region]
        if Rule:
            where += " AND rule = ?"
            args.append(Rule)
        rows = self.conn.execute(
            f"SELECT * FROM events_deliveries WHERE {where} ORDER BY seq DESC LIMIT ?", (*args, MaxItems)
        ).fetchall()
        items = []
        for r in reversed(rows):
            item: dict[str, Any] = {
                "Seq": r["seq"], "Time": _dt(r["ts_ms"]), "Rule": r["rule"], "RuleArn": r["rule_arn"],
                "TargetId": r["target_id"], "TargetArn": r["target_arn"], "EventId": r["event_id"],
                "Source": r["source"], "DetailType": r["detail_type"], "Status": r["status"], "Input": r["input"],
            }  # fmt: skip
            if r["detail"]:
                item["Detail"] = r["detail"]
            if r["attempts"] != 1:
                item["Attempts"] = r["attempts"]
            if r["dlq"]:
                item["DeadLetter"] = r["dlq"]
            items.append(item)
        return {"Deliveries": items}


def _aware(value: Any) -> datetime:
    if not isinstance(value, datetime):
        raise ServiceError("ValidationException", f"Parameter {value} is not a valid timestamp.")
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _check_policy(text: Any) -> dict[str, Any]:
    """A full bus policy given to PutPermission(Policy=...): JSON with Allow/Deny statements naming principals."""
    bad = ServiceError("ValidationException", "Policy is not valid.")  # [unverified] AWS's text
    try:
        policy = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        raise bad from None
    if not isinstance(policy, dict):
        raise bad
    statements = policy.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        raise bad
    for st in statements:
        if not isinstance(st, dict) or st.get("Effect") not in ("Allow", "Deny") or "Action" not in st \
                or "Principal" not in st:  # fmt: skip
            raise bad
    return {**policy, "Statement": statements}


def _entry_error(e: Mapping[str, Any]) -> dict[str, str] | None:
    for key in ("Source", "DetailType", "Detail"):
        if not e.get(key):
            return {"ErrorCode": "InvalidArgument",
                    "ErrorMessage": f"Parameter {key} is not valid. Reason: {key} is a required argument."}  # fmt: skip
    try:
        detail = json.loads(e["Detail"])
    except (TypeError, ValueError, RecursionError):
        detail = None
    if not isinstance(detail, dict):
        return {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    if str(e["Source"]).startswith("aws."):
        # [unverified] AWS's text; custom sources must not use the aws. prefix (§7.1).
        return {"ErrorCode": "NotAuthorizedForSourceException", "ErrorMessage": "Not authorized for the source."}
    return None
