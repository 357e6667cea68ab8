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
from awsmon.errors import ServiceError

if TYPE_CHECKING:
    from awsmon.backends.local.store import AccountStore
    from awsmon.engines.eventpattern import EventPattern

scheduler.register("rules.dispatch", "awsmon.backends.local.events:run_dispatch")
scheduler.register("rules.schedule", "awsmon.backends.local.events:run_schedule")

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


def _ms(dt: datetime) -> int:
    return int(round(dt.timestamp() * 1000))


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def constraint(value: Any, field: str, rule: str) -> ServiceError:
    return ServiceError(
        "ValidationException",
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {rule}",
    )


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
    except ValueError:
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


def validate_target(target: Any, index: int) -> dict[str, Any]:
    """PutTargets validation of one target (§6.1); returns the target as stored."""
    if not isinstance(target, Mapping):
        raise ServiceError("ValidationException", f"Target {index} is not a structure.")
    tid = target.get("Id")
    field = f"targets.{index}.member.id"
    if not isinstance(tid, str) or not tid:
        raise constraint(tid or "null", field, "Member must have length greater than or equal to 1")
    if len(tid) > 64:
        raise constraint(tid, field, "Member must have length less than or equal to 64")
    if not _NAME_RE.fullmatch(tid):
        raise constraint(tid, field, f"Member must satisfy regular expression pattern: {NAME_PATTERN}")
    arn = target.get("Arn")
    if not isinstance(arn, str) or not re.match(r"arn:[\d\w:\-/]*", arn):
        raise ServiceError("ValidationException", f"Parameter {arn} is not valid. Reason: Provided Arn is not in correct format.")
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
        except ValueError:
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
    return dict(target)


# ---------------------------------------------------------------------------------------------------------------------
# Delivery


def deliver(store: AccountStore, region: str, rule: Mapping[str, Any], targets: list[Mapping[str, Any]],
            event: Mapping[str, Any], when: datetime) -> int:  # fmt: skip
    """Invoke every target of a matched rule with the event; one outbox row each. Returns the count.

    Each target ARN is delivered to through the service that owns it (facts.deliver: SNS topics publish, log groups
    get a log event in a stream named after the event id, as EventBridge does); other ARNs are recorded.
    """
    from awsmon.backends.local import facts

    rows = []
    for t in targets:
        target = json.loads(t["target"])
        payload, why = shape_input(target, event, rule["arn"], rule["name"], when)
        arn = str(target.get("Arn"))
        if payload is None:
            status, detail = "Dropped", why
        else:
            got = facts.deliver(store, arn, payload, when, stream=str(event.get("id")), rule_arn=rule["arn"],
                                event_id=event.get("id"))  # fmt: skip
            status = got.status
            detail = f"MessageId {got.message_id}" if got.message_id else got.reason()
        rows.append((region, rule["bus"], rule["name"], rule["arn"], target.get("Id"), arn, event.get("id"),
                     event.get("source"), event.get("detail-type"), payload, _ms(when), status, detail))  # fmt: skip
    store.conn.executemany(
        "INSERT INTO events_deliveries (region, bus, rule, rule_arn, target_id, target_arn, event_id, source, "
        "detail_type, input, ts_ms, status, detail) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )
    return len(rows)


def on_event(store: AccountStore, region: str, *, event: Mapping[str, Any], bus: str = DEFAULT_BUS,
             when: datetime | None = None) -> int:  # fmt: skip
    """Reaction to the ``event`` fact: match the bus's enabled pattern rules and deliver to their targets now."""
    rules = _pattern_rules(store, region, bus)
    if not rules:
        return 0
    if when is None:
        when = datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00"))
    targets = _targets_by_rule(store, region, bus)
    delivered = 0
    for rule in rules:
        if compiled_pattern(rule["event_pattern"]).matches(event):
            delivered += deliver(store, region, rule, targets.get(rule["name"], []), event, when)
    return delivered


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
    store.conn.execute("UPDATE events_dispatch SET last_seq = ? WHERE region = ?", (last, region))
    if not rules:
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
    return delivered


@lru_cache(maxsize=512)
def required_sources(pattern_text: str) -> frozenset[str] | None:
    """The exact ``source`` values a pattern requires at its top level, or None when it may match any source."""
    try:
        pattern = json.loads(pattern_text)
    except ValueError:
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
    if not _pattern_rules(store, key):
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
        if text != DEFAULT_BUS:
            raise ServiceError("ResourceNotFoundException", f"Event bus {value} does not exist.")
        return text

    def _rule(self, name: str, bus: str) -> Any:
        row = self.conn.execute(
            "SELECT * FROM events_rules WHERE region = ? AND bus = ? AND name = ?", (self.region, bus, name)
        ).fetchone()
        if row is None:
            raise rule_missing(name, bus)
        return row

    def _resources(self, op: str, params: dict[str, Any], result: Any) -> list[dict[str, str]]:
        name = params.get("Name") or params.get("Rule")
        if not isinstance(name, str) or not name:
            return []
        return [{"type": "AWS::Events::Rule", "ARN": self.rule_arn(name), "name": name}]

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
        buses = {self._bus(e.get("EventBusName")) for e in entries}
        now = self.now()
        results: list[dict[str, Any]] = []
        accepted: list[tuple[str, dict[str, Any]]] = []
        for e in entries:
            err = _entry_error(e)
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
                "region": self.region,
                "resources": list(e.get("Resources") or []),
                "detail": json.loads(e["Detail"]),
            }
            accepted.append((self._bus(e.get("EventBusName")), event))
            results.append({"EventId": event["id"]})
        for bus in buses:
            rules = [(r, compiled_pattern(r["event_pattern"])) for r in _pattern_rules(self.store, self.region, bus)]
            if not rules:
                continue
            targets = _targets_by_rule(self.store, self.region, bus)
            for ebus, event in accepted:
                if ebus != bus:
                    continue
                for rule, pattern in rules:
                    if pattern.matches(event):
                        deliver(self.store, self.region, rule, targets.get(rule["name"], []), event, now)
        failed = sum(1 for r in results if "ErrorCode" in r)
        return {"FailedEntryCount": failed, "Entries": results}

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
            items.append(item)
        return {"Deliveries": items}


def _entry_error(e: Mapping[str, Any]) -> dict[str, str] | None:
    for key in ("Source", "DetailType", "Detail"):
        if not e.get(key):
            return {"ErrorCode": "InvalidArgument",
                    "ErrorMessage": f"Parameter {key} is not valid. Reason: {key} is a required argument."}  # fmt: skip
    try:
        detail = json.loads(e["Detail"])
    except (TypeError, ValueError):
        detail = None
    if not isinstance(detail, dict):
        return {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    if str(e["Source"]).startswith("aws."):
        # [unverified] AWS's text; custom sources must not use the aws. prefix (§7.1).
        return {"ErrorCode": "NotAuthorizedForSourceException", "ErrorMessage": "Not authorized for the source."}
    return None
