"""Local AWS Config: recorder and delivery channel, configuration items, rules and compliance.

Recorded types: AWS::Logs::LogGroup, AWS::CloudTrail::Trail, AWS::CloudWatch::Alarm (metric alarms),
AWS::SNS::Topic and AWS::Events::Rule (default event bus).

Recording (``config.md`` §1, §8.2): while a Region's recorder is on, the scheduled job ``config.record`` reads the
account's CloudTrail event history after the last processed ``events.seq`` (successful writes of the recorded
services only) and snapshots each named resource by calling the owning local service's read operation through
``facts.Reader`` (unrecorded), so taking a snapshot records no CloudTrail event. A configuration item
is written when the resource appears, disappears, or its canonical state (configuration, supplementary
configuration, tags, relationships) has a new MD5. A trigger on ``events`` (schema/config.py) makes the job due as
soon as such a write lands, so each command records the previous command's changes; the job costs what the new
events cost. Change-triggered rules are evaluated on each item; periodic rules by the ``config.periodic`` job.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from awsmon.backends.local import scheduler
from awsmon.backends.local.base import LocalService, api, equal_filters
from awsmon.errors import ExitCode, ServiceError

if TYPE_CHECKING:
    from awsmon.backends.local.store import AccountStore
    from awsmon.engines.config_rules import ManagedRule

scheduler.register("config.record", "awsmon.backends.local.config:run_record")
scheduler.register("config.periodic", "awsmon.backends.local.config:run_periodic")
scheduler.register("config.history", "awsmon.backends.local.config_delivery:run_history")
scheduler.register("config.snapshot", "awsmon.backends.local.config_delivery:run_snapshot")
scheduler.register("config.remediate", "awsmon.backends.local.config:run_remediate")
scheduler.register("config.remediation", "awsmon.backends.local.config:run_remediation")

CI_VERSION = "1.3"
NOT_APPLICABLE_AZ = "Not Applicable"
HISTORY_WINDOW = timedelta(days=7)  # each GetResourceConfigHistory call spans at most seven days
IDLE_RECHECK = timedelta(days=1)  # the record job's next due time when nothing is pending (the trigger pulls it in)
PAGE = 100
RULE_PAGE = 25
MAX_RULES = 400  # rules per Region per account (configlimits.md, adjustable on AWS)


def _ms(dt: datetime) -> int:
    return int(round(dt.timestamp() * 1000))


def _dt(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)


def _jsonable(value: Any) -> Any:
    """Snapshots hold datetimes (boto3 shapes); configuration items store them as ISO 8601 text."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value


def compact_fields(**fields: Any) -> dict[str, Any]:
    """The fields that have a value (None and empty values left out)."""
    return {k: v for k, v in fields.items() if v not in (None, "", [], {})}


def _md5(state: Mapping[str, Any]) -> str:
    canonical = json.dumps(state, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.md5(canonical.encode()).hexdigest()


def _encode_token(data: Mapping[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()


def _decode_token(token: str) -> dict[str, Any]:
    try:
        value = json.loads(base64.urlsafe_b64decode(token.encode()))
        if isinstance(value, dict):
            return value
    except (ValueError, TypeError):
        pass
    raise ServiceError("InvalidNextTokenException", "The nextToken provided is invalid")


def _validation(value: Any, where: str, constraint: str) -> ServiceError:
    return ServiceError("ValidationException",
                        f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy constraint: "
                        f"{constraint}")  # fmt: skip


# ----------------------------------------------------------------------------------------------------------------
# resource kinds: how each recorded type is named in events and snapshotted from its local service


@dataclass(frozen=True)
class Snapshot:
    resource_id: str
    name: str
    arn: str
    configuration: dict[str, Any]
    supplementary: dict[str, Any]
    relationships: list[dict[str, Any]]
    created: datetime | None = None
    tags: dict[str, str] | None = None
    evaluation: dict[str, Any] | None = None  # what rules read live beside the item (e.g. IAM access keys)


@dataclass(frozen=True)
class Kind:
    resource_type: str
    event_source: str
    event_names: tuple[str, ...]
    service: str  # local service (boto3 client name)
    ids_from_record: Callable[[Mapping[str, Any]], list[str]]
    snapshot: Callable[[Any, str], Snapshot | None]
    list_ids: Callable[[Any], list[str]]


def _read(svc: Any, op: str, **params: Any) -> Any:
    """Call a read operation of another local service (a facts.Reader) without recording a CloudTrail event."""
    return getattr(svc, op)(**params)


def _read_all(svc: Any, op: str, key: str, *, token: str = "NextToken", **params: Any) -> list[Any]:
    """Every item (``key``) of every page of such a read operation."""
    from awsmon.backends import paginate

    return list(paginate(getattr(svc, op), key, token_in=token, **params))


def _arns_of(record: Mapping[str, Any], rtype: str) -> list[str]:
    return [str(r.get("ARN")) for r in record.get("resources") or [] if r.get("type") == rtype and r.get("ARN")]


def _req(record: Mapping[str, Any]) -> dict[str, Any]:
    value = record.get("requestParameters")
    return value if isinstance(value, dict) else {}


# -- AWS::Logs::LogGroup
def _log_ids(record: Mapping[str, Any]) -> list[str]:
    ids = [a.split(":log-group:", 1)[1] for a in _arns_of(record, "AWS::Logs::LogGroup") if ":log-group:" in a]
    name = _req(record).get("logGroupName")
    return ids or ([str(name)] if name else [])


def _log_snapshot(svc: Any, name: str) -> Snapshot | None:
    from awsmon.errors import ServiceError as SE

    try:
        page = _read(svc, "describe_log_groups", logGroupNamePrefix=name, limit=1)
    except SE:
        return None
    groups = [g for g in page.get("logGroups") or [] if g.get("logGroupName") == name]
    if not groups:
        return None
    g = groups[0]
    # storedBytes and metricFilterCount change with data, not with configuration (AWS Config does not record them).
    cfg = {k: v for k, v in g.items() if k not in ("storedBytes", "metricFilterCount")}
    return Snapshot(name, name, str(g.get("logGroupArn") or g.get("arn", "")).removesuffix(":*"), cfg, {}, [],
                    _dt(g.get("creationTime")))  # fmt: skip


def _log_list(svc: Any) -> list[str]:
    return [g["logGroupName"] for g in _read_all(svc, "describe_log_groups", "logGroups", token="nextToken")]


# -- AWS::CloudTrail::Trail
def _trail_ids(record: Mapping[str, Any]) -> list[str]:
    ids = [a.rsplit("/", 1)[-1] for a in _arns_of(record, "AWS::CloudTrail::Trail")]
    name = _req(record).get("name") or _req(record).get("trailName")
    return ids or ([str(name).rsplit("/", 1)[-1]] if name else [])


def _trail_snapshot(svc: Any, name: str) -> Snapshot | None:
    trails = _read(svc, "describe_trails", trailNameList=[name], includeShadowTrails=False).get("trailList") or []
    if not trails:
        return None
    t = dict(trails[0])
    status = _read(svc, "get_trail_status", Name=name)
    selectors = _read(svc, "get_event_selectors", TrailName=name)
    supplementary = {"IsLogging": bool(status.get("IsLogging"))}
    for k in ("EventSelectors", "AdvancedEventSelectors"):
        if k in selectors:
            supplementary[k] = selectors[k]
    rels = [{"resourceType": "AWS::S3::Bucket", "resourceId": t["S3BucketName"], "resourceName": t["S3BucketName"],
             "relationshipName": "Is associated with S3Bucket"}]  # fmt: skip
    if t.get("CloudWatchLogsLogGroupArn"):
        group = str(t["CloudWatchLogsLogGroupArn"]).split(":log-group:", 1)[-1].removesuffix(":*")
        rels.append({"resourceType": "AWS::Logs::LogGroup", "resourceId": group, "resourceName": group,
                     "relationshipName": "Is associated with LogGroup"})  # fmt: skip
    return Snapshot(name, name, t["TrailARN"], t, supplementary, rels)


def _trail_list(svc: Any) -> list[str]:
    trails = _read(svc, "describe_trails", includeShadowTrails=False).get("trailList") or []
    return [t["Name"] for t in trails]


# -- AWS::CloudWatch::Alarm
_ALARM_STATE_KEYS = ("StateValue", "StateReason", "StateReasonData", "StateUpdatedTimestamp",
                     "StateTransitionedTimestamp", "ActionsSuppressedBy", "ActionsSuppressedReason")  # fmt: skip


def _alarm_ids(record: Mapping[str, Any]) -> list[str]:
    ids = [a.split(":alarm:", 1)[1] for a in _arns_of(record, "AWS::CloudWatch::Alarm") if ":alarm:" in a]
    if ids:
        return ids
    req = _req(record)
    return [str(n) for n in (req.get("alarmNames") or ([req["alarmName"]] if req.get("alarmName") else []))]


def _alarm_snapshot(svc: Any, name: str) -> Snapshot | None:
    alarms = _read(svc, "describe_alarms", AlarmNames=[name]).get("MetricAlarms") or []
    if not alarms:
        return None
    # State changes are evaluations, not configuration changes: AWS Config does not record them.
    cfg = {k: v for k, v in alarms[0].items() if k not in _ALARM_STATE_KEYS}
    rels = [{"resourceType": "AWS::SNS::Topic", "resourceId": a, "resourceName": a.rsplit(":", 1)[-1],
             "relationshipName": "Is associated with Topic"}  # fmt: skip
            for a in dict.fromkeys(cfg.get("AlarmActions", []) + cfg.get("OKActions", [])
                                   + cfg.get("InsufficientDataActions", []))
            if a.startswith("arn:aws:sns:")]  # fmt: skip
    return Snapshot(name, name, cfg["AlarmArn"], cfg, {}, rels)


def _alarm_list(svc: Any) -> list[str]:
    return [a["AlarmName"] for a in _read_all(svc, "describe_alarms", "MetricAlarms")]


# -- AWS::SNS::Topic (resourceId is the topic ARN, as in AWS Config)
_TOPIC_COUNTERS = ("SubscriptionsConfirmed", "SubscriptionsPending", "SubscriptionsDeleted")


def _topic_ids(record: Mapping[str, Any]) -> list[str]:
    ids = _arns_of(record, "AWS::SNS::Topic")
    arn = _req(record).get("topicArn") or (record.get("responseElements") or {}).get("topicArn")
    return ids or ([str(arn)] if arn else [])


def _topic_snapshot(svc: Any, arn: str) -> Snapshot | None:
    try:
        attrs = _read(svc, "get_topic_attributes", TopicArn=arn).get("Attributes") or {}
    except ServiceError:
        return None
    cfg = {k: v for k, v in attrs.items() if k not in _TOPIC_COUNTERS}
    return Snapshot(arn, arn.rsplit(":", 1)[-1], arn, cfg, {}, [])


def _topic_list(svc: Any) -> list[str]:
    return [t["TopicArn"] for t in _read_all(svc, "list_topics", "Topics")]


# -- AWS::Events::Rule (rules of the default event bus; resourceId is the rule name)
def _rule_ids(record: Mapping[str, Any]) -> list[str]:
    out = []
    for arn in _arns_of(record, "AWS::Events::Rule"):
        path = arn.split(":rule/", 1)[-1]
        if "/" not in path:  # a custom bus's rule is rule/BUS/NAME: not recorded
            out.append(path)
    req = _req(record)
    if not out and not req.get("eventBusName") and (req.get("name") or req.get("rule")):
        out.append(str(req.get("name") or req.get("rule")))
    return out


def _rule_snapshot(svc: Any, name: str) -> Snapshot | None:
    try:
        rule = dict(_read(svc, "describe_rule", Name=name))
    except ServiceError:
        return None
    rule["Targets"] = _read_all(svc, "list_targets_by_rule", "Targets", Rule=name)
    return Snapshot(name, name, rule["Arn"], rule, {}, [])


def _rule_list(svc: Any) -> list[str]:
    return [r["Name"] for r in _read_all(svc, "list_rules", "Rules")]


KINDS: dict[str, Kind] = {
    k.resource_type: k
    for k in (
        Kind("AWS::Logs::LogGroup", "logs.amazonaws.com",
             ("CreateLogGroup", "DeleteLogGroup", "PutRetentionPolicy", "DeleteRetentionPolicy", "AssociateKmsKey",
              "DisassociateKmsKey", "TagLogGroup", "UntagLogGroup", "TagResource", "UntagResource"),
             "logs", _log_ids, _log_snapshot, _log_list),
        Kind("AWS::CloudTrail::Trail", "cloudtrail.amazonaws.com",
             ("CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging", "PutEventSelectors",
              "PutInsightSelectors", "AddTags", "RemoveTags"),
             "cloudtrail", _trail_ids, _trail_snapshot, _trail_list),
        Kind("AWS::CloudWatch::Alarm", "monitoring.amazonaws.com",
             ("PutMetricAlarm", "DeleteAlarms", "EnableAlarmActions", "DisableAlarmActions", "TagResource",
              "UntagResource"),
             "cloudwatch", _alarm_ids, _alarm_snapshot, _alarm_list),
        Kind("AWS::SNS::Topic", "sns.amazonaws.com",
             ("CreateTopic", "DeleteTopic", "SetTopicAttributes", "TagResource", "UntagResource"),
             "sns", _topic_ids, _topic_snapshot, _topic_list),
        Kind("AWS::Events::Rule", "events.amazonaws.com",
             ("PutRule", "DeleteRule", "EnableRule", "DisableRule", "PutTargets", "RemoveTargets", "TagResource",
              "UntagResource"),
             "events", _rule_ids, _rule_snapshot, _rule_list),
    )
}  # fmt: skip

# The simulated resource services describe their own kinds (a CONFIG_KINDS list of Kind fields, with snapshot
# functions returning Snapshot fields as a dict); one line here per module.
RESOURCE_KIND_MODULES = ("awsmon.backends.local.ec2", "awsmon.backends.local.s3", "awsmon.backends.local.iam",
                         "awsmon.backends.local.dynamodb", "awsmon.backends.local.lambda_")  # fmt: skip
GLOBAL_TYPE_PREFIX = "AWS::IAM::"


def _resource_kind(spec: Mapping[str, Any]) -> Kind:
    """A type registered by its own service module (CONFIG_KINDS): its callbacks get that service's own object
    (they read their module's rows), not the Reader config uses for the types it describes itself."""
    from awsmon.backends.local.facts import own

    take, listing = spec["snapshot"], spec["list_ids"]

    def snapshot(svc: Any, rid: str) -> Snapshot | None:
        fields = take(own(svc), rid)
        return None if fields is None else Snapshot(**fields)

    return Kind(spec["resource_type"], spec["event_source"], tuple(spec["event_names"]), spec["service"],
                spec["ids_from_record"], snapshot, lambda svc: listing(own(svc)))  # fmt: skip


for _module in RESOURCE_KIND_MODULES:
    for _spec in importlib.import_module(_module).CONFIG_KINDS:
        KINDS[_spec["resource_type"]] = _resource_kind(_spec)
SUPPORTED_TYPES = tuple(KINDS)


def _snapshot_of(state: Mapping[str, Any]) -> Snapshot:
    created = state.get("created")
    return Snapshot(state["resource_id"], state["name"], state["arn"], state["configuration"], state["supplementary"],
                    state["relationships"], None if created is None else _dt(int(created)), state["tags"])  # fmt: skip


def on_resource_changed(store: AccountStore, region: str, *, resource_type: str, resource_id: str,
                        resource_name: str | None = None, arn: str | None = None,
                        configuration: Mapping[str, Any] | None = None, supplementary: Mapping[str, Any] | None = None,
                        tags: Mapping[str, str] | None = None, relationships: list[dict[str, Any]] | None = None,
                        created: datetime | None = None, when: datetime | None = None, **_: Any) -> None:  # fmt: skip
    """Reaction to the ``resource_changed`` fact (services whose types are not in KINDS report their resources).

    The latest state is kept per resource (``cfg_pushed``: discovery when recording starts, periodic rules); while
    the Region's recorder records the type, a configuration item is written at once (at ``when``) if it changed.
    """
    if resource_type in KINDS:
        return  # recorded from CloudTrail events by the recorder job; one source per type
    if configuration is None:
        store.conn.execute("DELETE FROM cfg_pushed WHERE region = ? AND resource_type = ? AND resource_id = ?",
                           (region, resource_type, resource_id))  # fmt: skip
        snap = None
    else:
        state = {"resource_id": resource_id, "name": resource_name or resource_id, "arn": arn or "",
                 "configuration": _jsonable(configuration), "supplementary": _jsonable(supplementary or {}),
                 "relationships": list(relationships or []), "tags": dict(tags or {}),
                 "created": None if created is None else _ms(created)}  # fmt: skip
        store.conn.execute(
            "INSERT INTO cfg_pushed (region, resource_type, resource_id, state) VALUES (?,?,?,?) "
            "ON CONFLICT (region, resource_type, resource_id) DO UPDATE SET state = excluded.state",
            (region, resource_type, resource_id, json.dumps(state, separators=(",", ":"))),
        )
        snap = _snapshot_of(state)
    rec = Recorder(store, region)
    row = rec.recorder_row()
    if row is not None and row["recording"] and rec.records(resource_type):
        rec.capture_snapshot(resource_type, resource_id, snap, _ms(when or store.now()), [],
                             created_by_event=created is None)  # fmt: skip


def rule_input(configuration: Mapping[str, Any] | None, supplementary: Mapping[str, Any] | None,
               evaluation: Mapping[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    """What a managed rule's evaluator reads: the configuration, plus ``supplementaryConfiguration`` (S3 ACLs,
    DynamoDB backups ...) and any live extras (IAM keys and MFA devices) under their own keys."""
    return {**(configuration or {}), "supplementaryConfiguration": dict(supplementary or {}), **(evaluation or {})}


def _service(store: AccountStore, region: str, name: str, cache: dict[str, Any]) -> Any:
    if name not in cache:
        from awsmon.backends.local.facts import Reader

        cache[name] = Reader(store, region, name)
    return cache[name]


# ----------------------------------------------------------------------------------------------------------------
# the recorder


class Recorder:
    """Turns new CloudTrail events of one Region into configuration items, and evaluates rules on them."""

    def __init__(self, store: AccountStore, region: str) -> None:
        self.store = store
        self.region = region
        self.conn = store.conn
        self._services: dict[str, Any] = {}
        self._channel: Any = False  # the delivery channel (None: none), read once per Recorder
        self._current: list[dict[str, Any]] | None = None  # current_items(), until the next item is written

    def channel(self) -> dict[str, Any] | None:
        if self._channel is False:
            from awsmon.backends.local.config_delivery import channel

            self._channel = channel(self.store, self.region)
        return self._channel  # type: ignore[no-any-return]

    def recorder_row(self) -> Any:
        return self.conn.execute("SELECT * FROM cfg_recorders WHERE region = ?", (self.region,)).fetchone()

    def recorded_types(self) -> list[str]:
        """The recorded types this recorder snapshots from CloudTrail events (config.KINDS)."""
        return [t for t in SUPPORTED_TYPES if self.records(t)]

    def records(self, rtype: str) -> bool:
        """Does the recording group include ``rtype`` (a KINDS type or one reported by resource_changed facts)?"""
        row = self.recorder_row()
        if row is None:
            return False
        group = json.loads(row["recording_group"])
        if group.get("allSupported", True):
            # AWS records global types (IAM) only when includeGlobalResourceTypes is set.
            return bool(group.get("includeGlobalResourceTypes", False)) or not rtype.startswith(GLOBAL_TYPE_PREFIX)
        excluded = group.get("exclusionByResourceTypes", {}).get("resourceTypes")
        if excluded:
            return rtype not in excluded
        return rtype in (group.get("resourceTypes") or [])

    def pushed_types(self) -> list[str]:
        """Types reported through resource_changed facts that the recording group includes."""
        rows = self.conn.execute("SELECT DISTINCT resource_type FROM cfg_pushed WHERE region = ?", (self.region,))
        return [r[0] for r in rows if r[0] not in KINDS and self.records(r[0])]

    def pushed(self, rtype: str) -> Iterator[Snapshot]:
        for (text,) in self.conn.execute(
            "SELECT state FROM cfg_pushed WHERE region = ? AND resource_type = ? ORDER BY resource_id", (self.region, rtype)
        ):
            yield _snapshot_of(json.loads(text))

    def svc(self, kind: Kind) -> Any:
        return _service(self.store, self.region, kind.service, self._services)

    # -- processing ---------------------------------------------------------------------------------------------
    def sync(self, now: datetime) -> int:
        """Record the changes named by events after the cursor; returns how many items were written."""
        row = self.recorder_row()
        if row is None or not row["recording"]:
            return 0
        cur = self.conn.execute("SELECT last_seq FROM cfg_cursor WHERE region = ?", (self.region,)).fetchone()
        last = int(cur[0]) if cur else 0
        kinds = [KINDS[t] for t in self.recorded_types()]
        if not kinds:
            return 0
        sources = sorted({k.event_source for k in kinds})
        names = sorted({n for k in kinds for n in k.event_names})
        rows = self.conn.execute(self._pending_sql(len(sources), len(names)), (last, self.region, *sources, *names)).fetchall()
        top = self.conn.execute("SELECT max(seq) FROM events").fetchone()[0] or last
        # Group by resource: one snapshot per resource, its item names every event since the previous item.
        pending: dict[tuple[str, str], tuple[list[str], int, str]] = {}
        for r in rows:
            record = json.loads(r["record"])
            if record.get("errorCode"):
                continue
            for kind in kinds:
                if kind.event_source != r["event_source"] or record.get("eventName") not in kind.event_names:
                    continue
                for rid in kind.ids_from_record(record):
                    events, _, first_name = pending.get((kind.resource_type, rid), ([], 0, record["eventName"]))
                    events.append(r["event_id"])
                    pending[(kind.resource_type, rid)] = (events, r["event_time"], first_name)
        written = 0
        for (rtype, rid), (events, when_ms, first_name) in pending.items():
            if self.capture(KINDS[rtype], rid, when_ms, events, created_by_event=first_name.startswith("Create")):
                written += 1
        self.conn.execute(
            "INSERT INTO cfg_cursor (region, last_seq) VALUES (?, ?) "
            "ON CONFLICT (region) DO UPDATE SET last_seq = excluded.last_seq",
            (self.region, max(top, last)),
        )
        return written

    @staticmethod
    def _pending_sql(n_sources: int, n_names: int, columns: str = "seq, event_id, event_time, event_source, record") -> str:
        # Unary "+" keeps SQLite off the (region, ...) indexes: the rowid range "seq > cursor" is the cheap plan,
        # so the cost is the number of new events, not the size of the history.
        return (f"SELECT {columns} FROM events WHERE seq > ? AND +region = ? AND +read_only = 'false' "
                f"AND +origin = 'local' AND +event_source IN ({','.join('?' * n_sources)}) "
                f"AND +event_name IN ({','.join('?' * n_names)}) ORDER BY seq")

    def has_pending(self) -> bool:
        """A lock-free look: are there new write events of the recorded types since the cursor?"""
        row = self.recorder_row()
        if row is None or not row["recording"]:
            return False
        cur = self.conn.execute("SELECT last_seq FROM cfg_cursor WHERE region = ?", (self.region,)).fetchone()
        kinds = [KINDS[t] for t in self.recorded_types()]
        sources = sorted({k.event_source for k in kinds})
        names = sorted({n for k in kinds for n in k.event_names})
        if not kinds:
            return False
        sql = self._pending_sql(len(sources), len(names), "1") + " LIMIT 1"
        return self.conn.execute(sql, (int(cur[0]) if cur else 0, self.region, *sources, *names)).fetchone() is not None

    def discover(self, now: datetime) -> int:
        """Record every existing resource of the recorded types (when recording starts)."""
        written = 0
        for rtype in self.recorded_types():
            kind = KINDS[rtype]
            for rid in kind.list_ids(self.svc(kind)):
                if self.capture(kind, rid, _ms(now), [], created_by_event=False):
                    written += 1
        for rtype in self.pushed_types():
            for snap in self.pushed(rtype):
                if self.capture_snapshot(rtype, snap.resource_id, snap, _ms(now), [], created_by_event=False):
                    written += 1
        return written

    def capture(self, kind: Kind, rid: str, when_ms: int, events: list[str], *, created_by_event: bool) -> bool:
        return self.capture_snapshot(kind.resource_type, rid, kind.snapshot(self.svc(kind), rid), when_ms, events,
                                     created_by_event=created_by_event)  # fmt: skip

    def capture_snapshot(self, rtype: str, rid: str, snap: Snapshot | None, when_ms: int, events: list[str], *,
                         created_by_event: bool) -> bool:  # fmt: skip
        """Write a configuration item if the resource appeared, disappeared or changed (MD5); True if written."""
        prev = self.conn.execute(
            "SELECT r.md5, r.deleted_ms, i.item FROM cfg_resources r JOIN cfg_items i ON i.id = r.last_item_id "
            "WHERE r.region = ? AND r.resource_type = ? AND r.resource_id = ?",
            (self.region, rtype, rid),
        ).fetchone()
        live_prev = prev is not None and prev["deleted_ms"] is None
        if snap is None:
            if not live_prev:
                return False
            old = json.loads(prev["item"])
            item = self._item(rtype, rid, old["resourceName"], old.get("arn"), when_ms,
                              "ResourceDeleted", None, events, old.get("resourceCreationTime"))  # fmt: skip
            self._write(item, None, deleted=True, previous=old)
            return True
        state = {"configuration": _jsonable(snap.configuration), "supplementaryConfiguration": _jsonable(snap.supplementary),
                 "relationships": snap.relationships, "tags": snap.tags or {}}  # fmt: skip
        md5 = _md5(state)
        if live_prev and prev["md5"] == md5:
            return False
        created_ms = _ms(snap.created) if snap.created else None
        if created_ms is None and live_prev:
            created_ms = json.loads(prev["item"]).get("resourceCreationTime")
        if created_ms is None and created_by_event:
            created_ms = when_ms
        status = "OK" if live_prev else "ResourceDiscovered"
        item = self._item(rtype, rid, snap.name, snap.arn, when_ms, status, state, events, created_ms)
        item["configurationItemMD5Hash"] = md5
        self._write(item, md5, deleted=False, previous=json.loads(prev["item"]) if live_prev else None)
        return True

    def _item(self, rtype: str, rid: str, name: str, arn: str | None, when_ms: int, status: str,
              state: Mapping[str, Any] | None, events: list[str], created_ms: int | None) -> dict[str, Any]:  # fmt: skip
        return {
            "version": CI_VERSION,
            "accountId": self.store.account_id,
            "configurationItemCaptureTime": when_ms,
            "configurationItemStatus": status,
            "configurationStateId": "",
            "configurationItemMD5Hash": "",
            "arn": arn,
            "resourceType": rtype,
            "resourceId": rid,
            "resourceName": name,
            "awsRegion": self.region,
            "availabilityZone": NOT_APPLICABLE_AZ,
            "resourceCreationTime": created_ms,
            "tags": dict((state or {}).get("tags") or {}),
            "relatedEvents": list(events),
            "relationships": list((state or {}).get("relationships") or []),
            "configuration": None if state is None else state["configuration"],
            "supplementaryConfiguration": {} if state is None else state["supplementaryConfiguration"],
            "recordingFrequency": "CONTINUOUS",
        }

    def _write(self, item: dict[str, Any], md5: str | None, *, deleted: bool,
               previous: Mapping[str, Any] | None = None) -> None:  # fmt: skip
        when_ms = int(item["configurationItemCaptureTime"])
        cur = self.conn.execute(
            "INSERT INTO cfg_items (region, resource_type, resource_id, capture_ms, status, item) VALUES (?,?,?,?,?,?)",
            (self.region, item["resourceType"], item["resourceId"], when_ms, item["configurationItemStatus"], "{}"),
        )
        item_id = int(cur.lastrowid or 0)
        self._current = None
        # An ordering key like AWS's: capture time in ms, then a per-item counter (unique and increasing).
        item["configurationStateId"] = f"{when_ms}{item_id % 1000:03d}"
        self.conn.execute("UPDATE cfg_items SET item = ? WHERE id = ?", (json.dumps(item, separators=(",", ":")), item_id))
        self.conn.execute(
            "INSERT INTO cfg_resources (region, resource_type, resource_id, resource_name, md5, deleted_ms, last_item_id) "
            "VALUES (?,?,?,?,?,?,?) ON CONFLICT (region, resource_type, resource_id) DO UPDATE SET "
            "resource_name = excluded.resource_name, md5 = excluded.md5, deleted_ms = excluded.deleted_ms, "
            "last_item_id = excluded.last_item_id",
            (self.region, item["resourceType"], item["resourceId"], item["resourceName"], md5,
             when_ms if deleted else None, item_id),
        )  # fmt: skip
        if self.channel():
            from awsmon.backends.local.config_delivery import item_changed

            item_changed(self.store, self.region, item, previous, self.channel())
        self.on_item(item, deleted=deleted)

    # -- rules --------------------------------------------------------------------------------------------------
    def rules(self) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT config FROM cfg_rules WHERE region = ? ORDER BY name", (self.region,))
        return [json.loads(r[0]) for r in rows]

    def on_item(self, item: Mapping[str, Any], *, deleted: bool) -> None:
        """Change-triggered evaluation of every rule whose scope covers the item's resource."""
        from awsmon.engines.config_rules import RULES, evaluate_resource, in_scope

        rtype, rid = item["resourceType"], item["resourceId"]
        rules = self.rules()
        for cfg in rules:
            owner = cfg["Source"].get("Owner")
            if owner == "CUSTOM_LAMBDA":
                self.invoke_custom(cfg, item, left_scope=deleted)
            elif owner == "CUSTOM_POLICY" and not deleted:
                self.evaluate_policy(cfg, item)
        if deleted:
            # A deleted resource leaves the rules' results (AWS stops reporting it).
            self.conn.execute("DELETE FROM cfg_results WHERE region = ? AND resource_type = ? AND resource_id = ?",
                              (self.region, rtype, rid))  # fmt: skip
            return
        now_ms = _ms(self.store.now())
        for cfg in rules:
            rule = RULES.get(cfg["Source"].get("SourceIdentifier", ""))
            if rule is None or not rule.change or rule.account_level:
                continue
            if not in_scope(cfg.get("Scope"), rule, rtype, rid, item.get("tags")):
                continue
            params = json.loads(cfg.get("InputParameters") or "{}")
            result = evaluate_resource(rule, params, rule_input(item["configuration"], item.get("supplementaryConfiguration")))
            self.put_result(cfg["ConfigRuleName"], rtype, rid, result, int(item["configurationItemCaptureTime"]), now_ms)
            self.conn.execute("UPDATE cfg_rules SET last_invoked_ms = ?, last_evaluated_ms = ? WHERE region = ? AND name = ?",
                              (now_ms, now_ms, self.region, cfg["ConfigRuleName"]))  # fmt: skip

    def role_arn(self) -> str:
        row = self.recorder_row()
        return str(row["role_arn"]) if row is not None else (
            f"arn:aws:iam::{self.store.account_id}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig")

    def invoke_custom(self, cfg: Mapping[str, Any], item: Mapping[str, Any] | None, *, left_scope: bool = False,
                      periodic: bool = False) -> None:  # fmt: skip
        """Invoke a CUSTOM_LAMBDA rule's function: one item (change trigger, when in scope) or a scheduled run."""
        from awsmon.backends.local.config_custom import (
            change_event,
            in_scope,
            invoke,
            scheduled_event,
            triggers,
        )
        from awsmon.backends.local.config_delivery import file_item, iso

        now = self.store.now()
        if periodic:
            event = scheduled_event(self.store.account_id, iso(_ms(now)))
        else:
            assert item is not None
            if not triggers(cfg)[1]:
                return
            if not in_scope(cfg.get("Scope"), item["resourceType"], item["resourceId"], item.get("tags")):
                return
            event = change_event(item, file_item(item), iso(_ms(now)))
        invoke(self.store, self.region, cfg, event, now, role_arn=self.role_arn(), left_scope=left_scope)

    def put_result(self, rule_name: str, rtype: str, rid: str, result: tuple[str, str | None], ordering_ms: int,
                   now_ms: int) -> None:  # fmt: skip
        ch = self.channel()
        old = None
        if ch and ch.get("snsTopicARN"):
            old = self.conn.execute("SELECT compliance, annotation, ordering_ms, recorded_ms FROM cfg_results WHERE region = ? "
                                    "AND rule_name = ? AND resource_type = ? AND resource_id = ?",
                                    (self.region, rule_name, rtype, rid)).fetchone()  # fmt: skip
            if old is None or old[0] != result[0]:
                from awsmon.backends.local.config_delivery import compliance_changed

                compliance_changed(self.store, self.region, rule_name, rtype, rid, (result[0], result[1], ordering_ms, now_ms),
                                   None if old is None else tuple(old), ch)  # type: ignore[arg-type]
        self.conn.execute(
            "INSERT INTO cfg_results (region, rule_name, resource_type, resource_id, compliance, annotation, ordering_ms, "
            "recorded_ms, invoked_ms) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (region, rule_name, resource_type, "
            "resource_id) DO UPDATE SET compliance = excluded.compliance, annotation = excluded.annotation, "
            "ordering_ms = excluded.ordering_ms, recorded_ms = excluded.recorded_ms, invoked_ms = excluded.invoked_ms",
            (self.region, rule_name, rtype, rid, result[0], result[1], ordering_ms, now_ms, now_ms),
        )
        if result[0] == "NON_COMPLIANT":
            self.auto_remediate(rule_name, rtype, rid, now_ms)

    def auto_remediate(self, rule_name: str, rtype: str, rid: str, now_ms: int) -> None:
        """Automatic remediation of a NON_COMPLIANT resource (not while a failed one waits for its retry)."""
        row = self.conn.execute("SELECT config FROM cfg_remediations WHERE region = ? AND rule_name = ?",
                                (self.region, rule_name)).fetchone()  # fmt: skip
        if row is None:
            return
        cfg = json.loads(row[0])
        if not cfg.get("Automatic") or (cfg.get("ResourceType") and cfg["ResourceType"] != rtype):
            return
        prev = self.conn.execute("SELECT state, updated_ms FROM cfg_remediation_execs WHERE region = ? AND rule_name = ? "
                                 "AND resource_type = ? AND resource_id = ?", (self.region, rule_name, rtype, rid)).fetchone()  # fmt: skip
        if prev is not None and (prev[0] in ("FAILED", "QUEUED", "IN_PROGRESS") or prev[1] >= now_ms):
            return  # running, or retries are scheduled (config.remediate); one execution per resource per instant
        self.remediate(cfg, rtype, rid, automatic=True)

    def remediate(self, cfg: Mapping[str, Any], rtype: str, rid: str, *, automatic: bool,
                  when: datetime | None = None) -> str:  # fmt: skip
        from awsmon.backends.local.config_remediation import execute

        return execute(self.store, self.region, cfg, rtype, rid, automatic=automatic, when=when)

    def remediation_step(self, rule_name: str, rtype: str, rid: str, due: datetime) -> datetime | None:
        """Advance one execution (QUEUED -> IN_PROGRESS -> SUCCEEDED | FAILED); the rule is evaluated again after a
        success."""
        from awsmon.backends.local.config_remediation import advance

        row = self.conn.execute("SELECT config FROM cfg_remediations WHERE region = ? AND rule_name = ?",
                                (self.region, rule_name)).fetchone()  # fmt: skip

        def evaluate() -> None:
            rule = self.conn.execute("SELECT config FROM cfg_rules WHERE region = ? AND name = ?",
                                     (self.region, rule_name)).fetchone()  # fmt: skip
            if rule is None:
                return
            now = self.store.now()
            self.sync(now)
            rule_cfg = json.loads(rule[0])
            self.evaluate_rule(rule_cfg, now=now, periodic=self._is_periodic_only(rule_cfg))

        return advance(self.store, self.region, json.loads(row[0]) if row else None, rtype, rid, due, evaluate, rule_name)

    @staticmethod
    def _is_periodic_only(cfg: Mapping[str, Any]) -> bool:
        from awsmon.engines.config_rules import RULES

        rule = RULES.get(cfg["Source"].get("SourceIdentifier", ""))
        return rule is not None and rule.periodic and not rule.change

    def account_state(self) -> dict[str, Any]:
        """What the account-level CloudTrail rules look at: every trail visible here with its status."""
        svc = _service(self.store, self.region, "cloudtrail", self._services)
        trails = []
        for t in _read(svc, "describe_trails").get("trailList") or []:
            status = _read(svc, "get_trail_status", Name=t["TrailARN"])
            selectors = _read(svc, "get_event_selectors", TrailName=t["TrailARN"])
            trails.append({**t, "IsLogging": bool(status.get("IsLogging")),
                           "EventSelectors": selectors.get("EventSelectors")})  # fmt: skip
        iam = _service(self.store, self.region, "iam", self._services)
        summary = _read(iam, "get_account_summary").get("SummaryMap") or {}
        return {"trails": trails, "iam": summary}

    def evaluate_rule(self, cfg: Mapping[str, Any], *, now: datetime, periodic: bool) -> int:
        """Evaluate one rule over its whole scope; periodic runs read live state, others the recorded items."""
        from awsmon.engines.config_rules import (
            ACCOUNT_TYPE,
            RULES,
            evaluate_account,
            evaluate_resource,
            in_scope,
        )

        if cfg["Source"].get("Owner") in ("CUSTOM_LAMBDA", "CUSTOM_POLICY"):
            return self.evaluate_custom(cfg, periodic=periodic)
        rule = RULES.get(cfg["Source"].get("SourceIdentifier", ""))
        if rule is None:
            return 0
        name = cfg["ConfigRuleName"]
        now_ms = _ms(now)
        params = json.loads(cfg.get("InputParameters") or "{}")
        seen: set[tuple[str, str]] = set()
        if rule.account_level:
            result = evaluate_account(rule, params, self.account_state())
            self.put_result(name, ACCOUNT_TYPE, self.store.account_id, result, now_ms, now_ms)
            seen.add((ACCOUNT_TYPE, self.store.account_id))
        else:
            for rtype, rid, tags, configuration, ordering_ms in self._scope_states(rule, cfg, live=periodic, now_ms=now_ms):
                if not in_scope(cfg.get("Scope"), rule, rtype, rid, tags):
                    continue
                self.put_result(name, rtype, rid, evaluate_resource(rule, params, configuration), ordering_ms, now_ms)
                seen.add((rtype, rid))
        # Resources that left the scope (deleted, out of scope now) no longer have a result.
        for r in self.conn.execute("SELECT resource_type, resource_id FROM cfg_results WHERE region = ? AND rule_name = ?",
                                   (self.region, name)).fetchall():  # fmt: skip
            if (r[0], r[1]) not in seen:
                self.conn.execute("DELETE FROM cfg_results WHERE region = ? AND rule_name = ? AND resource_type = ? "
                                  "AND resource_id = ?", (self.region, name, r[0], r[1]))  # fmt: skip
        self.conn.execute("UPDATE cfg_rules SET last_invoked_ms = ?, last_evaluated_ms = ? WHERE region = ? AND name = ?",
                          (now_ms, now_ms, self.region, name))  # fmt: skip
        return len(seen)

    def evaluate_policy(self, cfg: Mapping[str, Any], item: Mapping[str, Any], *, stamp: bool = True) -> bool:
        """A CUSTOM_POLICY rule on one item (when in scope); True if it gave a result."""
        from awsmon.backends.local.config_custom import evaluate_policy, in_scope

        if not in_scope(cfg.get("Scope"), item["resourceType"], item["resourceId"], item.get("tags")):
            return False
        now_ms = _ms(self.store.now())
        self.put_result(cfg["ConfigRuleName"], item["resourceType"], item["resourceId"], evaluate_policy(cfg, item),
                        int(item["configurationItemCaptureTime"]), now_ms)  # fmt: skip
        if stamp:
            self.conn.execute("UPDATE cfg_rules SET last_invoked_ms = ?, last_evaluated_ms = ? WHERE region = ? AND name = ?",
                              (now_ms, now_ms, self.region, cfg["ConfigRuleName"]))  # fmt: skip
        return True

    def current_items(self) -> list[dict[str, Any]]:
        """The latest item of every live resource of the Region (read once per Recorder; a write forgets it)."""
        if self._current is None:
            self._current = [json.loads(text) for (text,) in self.conn.execute(
                "SELECT i.item FROM cfg_resources r JOIN cfg_items i ON i.id = r.last_item_id "
                "WHERE r.region = ? AND r.deleted_ms IS NULL ORDER BY r.resource_type, r.resource_id", (self.region,))]  # fmt: skip
        return self._current

    def evaluate_custom(self, cfg: Mapping[str, Any], *, periodic: bool) -> int:
        """A custom rule's whole evaluation: a scheduled invocation, and/or one invocation per current item in scope
        (a custom policy: one result per item in scope; results of resources that left the scope go)."""
        from awsmon.backends.local.config_custom import triggers

        if cfg["Source"].get("Owner") == "CUSTOM_POLICY":
            seen: set[tuple[str, str]] = set()
            for item in self.current_items():
                if self.evaluate_policy(cfg, item, stamp=False):
                    seen.add((item["resourceType"], item["resourceId"]))
            now_ms = _ms(self.store.now())
            self.conn.execute("UPDATE cfg_rules SET last_invoked_ms = ?, last_evaluated_ms = ? WHERE region = ? AND name = ?",
                              (now_ms, now_ms, self.region, cfg["ConfigRuleName"]))  # fmt: skip
            for r in self.conn.execute("SELECT resource_type, resource_id FROM cfg_results WHERE region = ? AND rule_name = ?",
                                       (self.region, cfg["ConfigRuleName"])).fetchall():  # fmt: skip
                if (r[0], r[1]) not in seen:
                    self.conn.execute("DELETE FROM cfg_results WHERE region = ? AND rule_name = ? AND resource_type = ? "
                                      "AND resource_id = ?", (self.region, cfg["ConfigRuleName"], r[0], r[1]))  # fmt: skip
            return len(seen)

        is_periodic, is_change = triggers(cfg)
        count = 0
        if is_periodic:
            self.invoke_custom(cfg, None, periodic=True)
            count += 1
        if is_change and not periodic:
            for item in list(self.current_items()):
                self.invoke_custom(cfg, item)
                count += 1
        return count

    def _scope_states(self, rule: ManagedRule, cfg: Mapping[str, Any], *, live: bool,
                      now_ms: int) -> Iterator[tuple[str, str, dict[str, str], dict[str, Any], int]]:  # fmt: skip
        types = list((cfg.get("Scope") or {}).get("ComplianceResourceTypes") or []) or list(rule.resource_types)
        for rtype in types:
            kind = KINDS.get(rtype)
            if kind is None and live:
                for snap in self.pushed(rtype):
                    yield rtype, snap.resource_id, snap.tags or {}, _jsonable(snap.configuration), now_ms
                continue
            if live and kind is not None:
                svc = self.svc(kind)
                for rid in kind.list_ids(svc):
                    snap = kind.snapshot(svc, rid)
                    if snap is None:
                        continue
                    configuration = rule_input(_jsonable(snap.configuration), _jsonable(snap.supplementary),
                                               snap.evaluation)  # fmt: skip
                    if rtype == "AWS::CloudTrail::Trail":
                        # CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED looks at the age of the last delivery (not configuration).
                        last = _read(svc, "get_trail_status", Name=rid).get("LatestCloudWatchLogsDeliveryTime")
                        if isinstance(last, datetime):
                            configuration["LatestCloudWatchLogsDeliveryAgeHours"] = (now_ms - _ms(last)) / 3_600_000
                    yield rtype, rid, snap.tags or {}, configuration, now_ms
                continue
            rows = self.conn.execute(
                "SELECT i.item FROM cfg_resources r JOIN cfg_items i ON i.id = r.last_item_id "
                "WHERE r.region = ? AND r.resource_type = ? AND r.deleted_ms IS NULL",
                (self.region, rtype),
            )
            for (text,) in rows:
                item = json.loads(text)
                yield (rtype, item["resourceId"], item.get("tags") or {},
                       rule_input(item["configuration"], item.get("supplementaryConfiguration")),
                       item["configurationItemCaptureTime"])


# ----------------------------------------------------------------------------------------------------------------
# scheduled work


def run_record(store: AccountStore, key: str, due: datetime, now: datetime) -> datetime | None:
    rec = Recorder(store, key)
    row = rec.recorder_row()
    if row is None or not row["recording"]:
        return None
    rec.sync(now)
    return max(due, now) + IDLE_RECHECK


def run_periodic(store: AccountStore, key: str, due: datetime, now: datetime) -> datetime | None:
    from awsmon.engines.config_rules import frequency_hours

    region, _, name = key.partition("\t")
    row = store.conn.execute("SELECT config FROM cfg_rules WHERE region = ? AND name = ?", (region, name)).fetchone()
    if row is None:
        return None
    cfg = json.loads(row[0])
    rec = Recorder(store, region)
    step = timedelta(hours=frequency_hours(LocalConfig._frequency(cfg)))
    # One evaluation however many periods passed (the state is the current one); it happens at the last period due
    # (the scheduler runs a job at its first due time; this run stands for the latest one).
    periods = int((now - due) / step)
    with store.as_of(due + periods * step):
        rec.sync(now)  # periodic results see every change recorded up to now
        rec.evaluate_rule(cfg, now=due + periods * step, periodic=True)
    return due + (periods + 1) * step


def run_remediation(store: AccountStore, key: str, due: datetime, now: datetime) -> datetime | None:
    """The next state of a remediation execution (config_remediation.advance)."""
    region, rule_name, rtype, rid = key.split("\t", 3)
    return Recorder(store, region).remediation_step(rule_name, rtype, rid, due)


def run_remediate(store: AccountStore, key: str, due: datetime, now: datetime) -> datetime | None:
    """A retry of a failed automatic remediation (RetryAttemptSeconds after the failure); execute reschedules."""
    region, rule_name, rtype, rid = key.split("\t", 3)
    row = store.conn.execute("SELECT config FROM cfg_remediations WHERE region = ? AND rule_name = ?",
                             (region, rule_name)).fetchone()  # fmt: skip
    if row is None:
        return None
    Recorder(store, region).remediate(json.loads(row[0]), rtype, rid, automatic=True, when=due)
    return scheduler.next_due(store, "config.remediate", key)


# ----------------------------------------------------------------------------------------------------------------
# the service


def _check_channel_bucket(bucket: Any) -> None:
    """S3's bucket naming rules. [unverified] AWS Config answers a name S3 cannot hold with NoSuchBucketException
    (the bucket cannot exist); the reason is awsmon's, after the documented message shape."""
    from awsmon.s3folder import bucket_name_problem

    problem = bucket_name_problem(bucket) if isinstance(bucket, str) else "the bucket name is not a string"
    if problem:
        shown = bucket if len(str(bucket)) <= 80 else str(bucket)[:80] + "..."
        err = ServiceError("NoSuchBucketException", f"Cannot find a S3 bucket with name '{shown}': {problem}.")
        err.exit_code = ExitCode.USAGE  # a malformed name is bad input, unlike a well-formed bucket that is missing
        raise err


def _check_channel_prefix(prefix: Any) -> None:
    """A key prefix S3 can store under (the keys Config writes are ``<prefix>/AWSLogs/...``, at most 1024 bytes) and
    that stays inside the simulated bucket folder: no absolute path, no empty, '.' or '..' segment."""
    from awsmon.s3folder import MAX_KEY_BYTES, validate_key

    if not isinstance(prefix, str):
        raise ServiceError("InvalidS3KeyPrefixException", "The s3 key prefix is not valid, not a string.")
    shown = prefix if len(prefix) <= 80 else prefix[:80] + "..."
    # 100 bytes are kept for the AWSLogs/<account>/Config/<region>/<date>/... part of every key.
    if len(prefix.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES - 100:
        raise ServiceError("InvalidS3KeyPrefixException",
                           f"The s3 key prefix '{shown}' is not valid, longer than {MAX_KEY_BYTES - 100} bytes.")  # fmt: skip
    try:
        validate_key(f"{prefix}/AWSLogs")
    except ValueError as exc:
        reason = str(exc).split(" has ", 1)[-1].split(" is ", 1)[-1].split(" contains ", 1)[-1]
        raise ServiceError("InvalidS3KeyPrefixException", f"The s3 key prefix '{shown}' is not valid, {reason}.") from None


class LocalConfig(LocalService):
    service_name = "config"
    event_source = "config.amazonaws.com"

    def _rec(self) -> Recorder:
        return Recorder(self.store, self.region)

    def _sync(self) -> None:
        """Reads see every change made so far (the scheduled job may not have run yet in this process)."""
        rec = self._rec()
        if not rec.has_pending():
            return
        with self.store.transaction():
            rec.sync(self.now())

    def _resources(self, op: str, params: dict[str, Any], result: Any) -> list[dict[str, str]]:
        name = params.get("ConfigRuleName") or (params.get("ConfigRule") or {}).get("ConfigRuleName")
        if name:
            return [{"type": "AWS::Config::ConfigRule", "ARN": "", "name": str(name)}]
        return []

    # -- recorder -----------------------------------------------------------------------------------------------
    @api("PutConfigurationRecorder")
    def put_configuration_recorder(self, *, ConfigurationRecorder: dict[str, Any], **kw: Any) -> dict[str, Any]:
        if not isinstance(ConfigurationRecorder, dict):
            raise _validation(ConfigurationRecorder, "configurationRecorder", "Member must be a structure")
        rec = dict(ConfigurationRecorder)
        name = rec.get("name")
        if not name:
            raise ServiceError("InvalidConfigurationRecorderNameException",
                               f"The configuration recorder name '{name}' is not valid, blank string.")  # fmt: skip
        if len(name) > 256:
            raise _validation(name, "configurationRecorder.name", "Member must have length less than or equal to 256")
        existing = self.conn.execute("SELECT name FROM cfg_recorders WHERE region = ?", (self.region,)).fetchall()
        if existing and existing[0][0] != name:
            raise ServiceError("MaxNumberOfConfigurationRecordersExceededException",
                               f"Failed to put configuration recorder '{name}' because the maximum number of "
                               "configuration recorders: 1 is reached.")  # fmt: skip
        group = self._recording_group(rec.get("recordingGroup"))
        role = rec.get("roleARN") or f"arn:aws:iam::{self.account_id}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"
        self.conn.execute(
            "INSERT INTO cfg_recorders (region, name, role_arn, recording_group) VALUES (?,?,?,?) "
            "ON CONFLICT (region, name) DO UPDATE SET role_arn = excluded.role_arn, recording_group = excluded.recording_group",
            (self.region, name, role, json.dumps(group)),
        )
        row = self._rec().recorder_row()
        if row["recording"]:
            Recorder(self.store, self.region).discover(self.now())  # newly included types are discovered now
        return {}

    @staticmethod
    def _recording_group(group: Any) -> dict[str, Any]:
        bad = ServiceError("InvalidRecordingGroupException", "The recording group provided is not valid")
        if group is None:
            return {"allSupported": True, "includeGlobalResourceTypes": False, "resourceTypes": [],
                    "exclusionByResourceTypes": {"resourceTypes": []},
                    "recordingStrategy": {"useOnly": "ALL_SUPPORTED_RESOURCE_TYPES"}}  # fmt: skip
        if not isinstance(group, dict) or not group:
            raise bad
        types = list(group.get("resourceTypes") or [])
        excluded = list((group.get("exclusionByResourceTypes") or {}).get("resourceTypes") or [])
        strategy = (group.get("recordingStrategy") or {}).get("useOnly")
        for t in types + excluded:
            if not isinstance(t, str) or not t.startswith("AWS::") or t.count("::") != 2:
                raise _validation([t], "configurationRecorder.recordingGroup.resourceTypes",
                                  "Member must satisfy constraint: [Member must satisfy enum value set: [...]]")  # fmt: skip
        if group.get("allSupported"):
            if types or excluded or strategy not in (None, "ALL_SUPPORTED_RESOURCE_TYPES"):
                raise bad
            return {"allSupported": True, "includeGlobalResourceTypes": bool(group.get("includeGlobalResourceTypes")),
                    "resourceTypes": [], "exclusionByResourceTypes": {"resourceTypes": []},
                    "recordingStrategy": {"useOnly": "ALL_SUPPORTED_RESOURCE_TYPES"}}  # fmt: skip
        if types:
            if group.get("includeGlobalResourceTypes") or excluded or strategy not in (None, "INCLUSION_BY_RESOURCE_TYPES"):
                raise bad
            return {"allSupported": False, "includeGlobalResourceTypes": False, "resourceTypes": types,
                    "exclusionByResourceTypes": {"resourceTypes": []},
                    "recordingStrategy": {"useOnly": "INCLUSION_BY_RESOURCE_TYPES"}}  # fmt: skip
        if excluded and strategy == "EXCLUSION_BY_RESOURCE_TYPES" and not group.get("includeGlobalResourceTypes"):
            return {"allSupported": False, "includeGlobalResourceTypes": False, "resourceTypes": [],
                    "exclusionByResourceTypes": {"resourceTypes": excluded},
                    "recordingStrategy": {"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"}}  # fmt: skip
        raise bad

    def _recorder(self, name: str) -> Any:
        row = self.conn.execute("SELECT * FROM cfg_recorders WHERE region = ? AND name = ?", (self.region, name)).fetchone()
        if row is None:
            raise ServiceError("NoSuchConfigurationRecorderException",
                               f"Cannot find configuration recorder with the specified name '{name}'.")  # fmt: skip
        return row

    def _recorders(self, names: list[str] | None) -> list[Any]:
        if names:
            return [self._recorder(n) for n in names]
        return self.conn.execute("SELECT * FROM cfg_recorders WHERE region = ? ORDER BY name", (self.region,)).fetchall()

    def _recorder_arn(self, name: str) -> str:
        return f"arn:aws:config:{self.region}:{self.account_id}:configuration-recorder/{name}"

    @api("DescribeConfigurationRecorders")
    def describe_configuration_recorders(self, *, ConfigurationRecorderNames: list[str] | None = None,
                                         **kw: Any) -> dict[str, Any]:  # fmt: skip
        return {"ConfigurationRecorders": [
            {"name": r["name"], "roleARN": r["role_arn"], "recordingGroup": json.loads(r["recording_group"]),
             "recordingMode": {"recordingFrequency": "CONTINUOUS"}}
            for r in self._recorders(ConfigurationRecorderNames)]}  # fmt: skip

    @api("DescribeConfigurationRecorderStatus")
    def describe_configuration_recorder_status(self, *, ConfigurationRecorderNames: list[str] | None = None,
                                               **kw: Any) -> dict[str, Any]:  # fmt: skip
        out = []
        for r in self._recorders(ConfigurationRecorderNames):
            status: dict[str, Any] = {"name": r["name"], "recording": bool(r["recording"])}
            for key, col in (("lastStartTime", "last_start_ms"), ("lastStopTime", "last_stop_ms"),
                             ("lastStatusChangeTime", "last_status_change_ms")):  # fmt: skip
                if r[col] is not None:
                    status[key] = _dt(r[col])
            if r["last_status"]:
                status["lastStatus"] = r["last_status"]
            out.append(status)
        return {"ConfigurationRecordersStatus": out}

    @api("DeleteConfigurationRecorder")
    def delete_configuration_recorder(self, *, ConfigurationRecorderName: str, **kw: Any) -> dict[str, Any]:
        self._recorder(ConfigurationRecorderName)
        self.conn.execute("DELETE FROM cfg_recorders WHERE region = ? AND name = ?", (self.region, ConfigurationRecorderName))
        scheduler.unschedule(self.store, "config.record", self.region)
        return {}

    @api("StartConfigurationRecorder")
    def start_configuration_recorder(self, *, ConfigurationRecorderName: str, **kw: Any) -> dict[str, Any]:
        r = self._recorder(ConfigurationRecorderName)
        if not self.conn.execute("SELECT 1 FROM cfg_channels WHERE region = ?", (self.region,)).fetchone():
            raise ServiceError("NoAvailableDeliveryChannelException",
                               "Delivery channel is not available to start configuration recorder.")  # fmt: skip
        if r["recording"]:
            return {}
        now = self.now()
        self.conn.execute(
            "UPDATE cfg_recorders SET recording = 1, last_start_ms = ?, last_status = 'SUCCESS', "
            "last_status_change_ms = ? WHERE region = ? AND name = ?",
            (_ms(now), _ms(now), self.region, ConfigurationRecorderName),
        )
        top = self.conn.execute("SELECT max(seq) FROM events").fetchone()[0] or 0
        self.conn.execute("INSERT INTO cfg_cursor (region, last_seq) VALUES (?, ?) ON CONFLICT (region) DO UPDATE "
                          "SET last_seq = excluded.last_seq", (self.region, top))  # fmt: skip
        Recorder(self.store, self.region).discover(now)
        scheduler.schedule(self.store, "config.record", self.region, now + IDLE_RECHECK)
        return {}

    @api("StopConfigurationRecorder")
    def stop_configuration_recorder(self, *, ConfigurationRecorderName: str, **kw: Any) -> dict[str, Any]:
        r = self._recorder(ConfigurationRecorderName)
        if r["recording"]:
            Recorder(self.store, self.region).sync(self.now())  # changes made before the stop are recorded
        now_ms = _ms(self.now())
        self.conn.execute(
            "UPDATE cfg_recorders SET recording = 0, last_stop_ms = ?, last_status_change_ms = ? "
            "WHERE region = ? AND name = ?",
            (now_ms, now_ms, self.region, ConfigurationRecorderName),
        )
        scheduler.unschedule(self.store, "config.record", self.region)
        return {}

    # -- delivery channel ---------------------------------------------------------------------------------------
    @api("PutDeliveryChannel")
    def put_delivery_channel(self, *, DeliveryChannel: dict[str, Any], **kw: Any) -> dict[str, Any]:
        if not isinstance(DeliveryChannel, dict):
            raise _validation(DeliveryChannel, "deliveryChannel", "Member must be a structure")
        ch = dict(DeliveryChannel)
        if not self.conn.execute("SELECT 1 FROM cfg_recorders WHERE region = ?", (self.region,)).fetchone():
            raise ServiceError("NoAvailableConfigurationRecorderException",
                               "Configuration recorder is not available to put delivery channel.")  # fmt: skip
        name = ch.get("name")
        if not name:
            raise ServiceError("InvalidDeliveryChannelNameException",
                               f"The delivery channel name '{name}' is not valid, blank string.")  # fmt: skip
        if not isinstance(name, str) or len(name) > 256:
            raise _validation(name, "deliveryChannel.name", "Member must have length less than or equal to 256")
        if not ch.get("s3BucketName"):
            raise ServiceError("NoSuchBucketException", "Cannot find a S3 bucket with an empty bucket name.")
        _check_channel_bucket(ch["s3BucketName"])
        if ch.get("s3KeyPrefix") == "":
            raise ServiceError("InvalidS3KeyPrefixException", "The s3 key prefix '' is not valid, empty s3 key prefix.")
        if ch.get("s3KeyPrefix") is not None:
            _check_channel_prefix(ch["s3KeyPrefix"])
        if ch.get("snsTopicARN") == "":
            raise ServiceError("InvalidSNSTopicARNException", "The sns topic arn '' is not valid.")
        existing = self.conn.execute("SELECT name FROM cfg_channels WHERE region = ?", (self.region,)).fetchall()
        if existing and existing[0][0] != name:
            raise ServiceError("MaxNumberOfDeliveryChannelsExceededException",
                               f"Failed to put delivery channel '{name}' because the maximum number of delivery "
                               "channels: 1 is reached.")  # fmt: skip
        from awsmon.backends.local.config_delivery import (
            FREQUENCY_HOURS,
            HISTORY_PERIOD,
            snapshot_hours,
            write_check_file,
        )

        props = ch.get("configSnapshotDeliveryProperties")
        if props is not None:
            freq = props.get("deliveryFrequency") if isinstance(props, dict) else props
            if freq is not None and freq not in FREQUENCY_HOURS:
                raise _validation(freq, "deliveryChannel.configSnapshotDeliveryProperties.deliveryFrequency",
                                  "Member must satisfy enum value set: [One_Hour, Six_Hours, Three_Hours, "
                                  "Twelve_Hours, TwentyFour_Hours]")  # fmt: skip
        topic = ch.get("snsTopicARN")
        if topic is not None and (not isinstance(topic, str) or not topic.startswith("arn:aws:sns:") or topic.count(":") != 5):
            raise ServiceError("InvalidSNSTopicARNException", f"The sns topic arn '{topic}' is not valid.")
        keep = {k: ch[k] for k in ("name", "s3BucketName", "s3KeyPrefix", "s3KmsKeyArn", "snsTopicARN",
                                   "configSnapshotDeliveryProperties") if ch.get(k) is not None}  # fmt: skip
        self.conn.execute("INSERT INTO cfg_channels (region, name, config) VALUES (?,?,?) ON CONFLICT (region, name) "
                          "DO UPDATE SET config = excluded.config", (self.region, name, json.dumps(keep)))  # fmt: skip
        now = self.now()
        write_check_file(self.store, self.region, keep, now)
        scheduler.schedule_if_absent(self.store, "config.history", self.region, now + HISTORY_PERIOD)
        hours = snapshot_hours(keep)
        if hours is None:
            scheduler.unschedule(self.store, "config.snapshot", self.region)
        else:
            scheduler.schedule(self.store, "config.snapshot", self.region, now + timedelta(hours=hours))
        return {}

    @api("DescribeDeliveryChannelStatus")
    def describe_delivery_channel_status(self, *, DeliveryChannelNames: list[str] | None = None,
                                         **kw: Any) -> dict[str, Any]:  # fmt: skip
        from awsmon.backends.local.config_delivery import status

        channels = self.describe_delivery_channels.__wrapped__(self, DeliveryChannelNames=DeliveryChannelNames)  # type: ignore[attr-defined]
        return {"DeliveryChannelsStatus": [status(self.store, self.region, c["name"], c)
                                           for c in channels["DeliveryChannels"]]}  # fmt: skip

    @api("DeliverConfigSnapshot")
    def deliver_config_snapshot(self, *, deliveryChannelName: str, **kw: Any) -> dict[str, Any]:
        from awsmon.backends.local.config_delivery import deliver_snapshot

        if not self.conn.execute("SELECT 1 FROM cfg_channels WHERE region = ? AND name = ?",
                                 (self.region, deliveryChannelName)).fetchone():  # fmt: skip
            raise ServiceError("NoSuchDeliveryChannelException",
                               f"Cannot find delivery channel with specified name '{deliveryChannelName}'.")  # fmt: skip
        if self._rec().recorder_row() is None:
            raise ServiceError("NoAvailableConfigurationRecorderException",
                               "There are no configuration recorders available to provide the snapshot.")  # fmt: skip
        if not self._rec().recorder_row()["recording"]:
            raise ServiceError("NoRunningConfigurationRecorderException",
                               "There is no configuration recorder running to provide the snapshot.")  # fmt: skip
        now = self.now()
        rec = self._rec()
        rec.sync(now)  # the snapshot holds every change made so far
        sid, _ = deliver_snapshot(self.store, self.region, now)
        return {"configSnapshotId": sid}

    @api("DescribeDeliveryChannels")
    def describe_delivery_channels(self, *, DeliveryChannelNames: list[str] | None = None, **kw: Any) -> dict[str, Any]:
        rows = {r[0]: json.loads(r[1]) for r in self.conn.execute(
            "SELECT name, config FROM cfg_channels WHERE region = ? ORDER BY name", (self.region,))}  # fmt: skip
        if DeliveryChannelNames:
            for n in DeliveryChannelNames:
                if n not in rows:
                    raise ServiceError("NoSuchDeliveryChannelException", f"Cannot find delivery channel with specified name '{n}'.")
            return {"DeliveryChannels": [rows[n] for n in DeliveryChannelNames]}
        return {"DeliveryChannels": list(rows.values())}

    @api("DeleteDeliveryChannel")
    def delete_delivery_channel(self, *, DeliveryChannelName: str, **kw: Any) -> dict[str, Any]:
        if not self.conn.execute("SELECT 1 FROM cfg_channels WHERE region = ? AND name = ?",
                                 (self.region, DeliveryChannelName)).fetchone():  # fmt: skip
            raise ServiceError("NoSuchDeliveryChannelException",
                               f"Cannot find delivery channel with specified name '{DeliveryChannelName}'.")  # fmt: skip
        if self.conn.execute("SELECT 1 FROM cfg_recorders WHERE region = ? AND recording = 1", (self.region,)).fetchone():
            raise ServiceError("LastDeliveryChannelDeleteFailedException",
                               f"Failed to delete last specified delivery channel with name '{DeliveryChannelName}', "
                               "because there, because there is a running configuration recorder.")  # fmt: skip
        self.conn.execute("DELETE FROM cfg_channels WHERE region = ? AND name = ?", (self.region, DeliveryChannelName))
        self.conn.execute("DELETE FROM cfg_delivery WHERE region = ?", (self.region,))
        scheduler.unschedule(self.store, "config.history", self.region)
        scheduler.unschedule(self.store, "config.snapshot", self.region)
        return {}

    # -- configuration items ------------------------------------------------------------------------------------
    @staticmethod
    def _api_item(item: Mapping[str, Any]) -> dict[str, Any]:
        """A stored item in the API shape: times as datetimes, configuration as a JSON string."""
        out = dict(item)
        out["configurationItemCaptureTime"] = _dt(item["configurationItemCaptureTime"])
        if item.get("resourceCreationTime") is not None:
            out["resourceCreationTime"] = _dt(item["resourceCreationTime"])
        else:
            out.pop("resourceCreationTime", None)
        cfg = item.get("configuration")
        out["configuration"] = None if cfg is None else json.dumps(cfg, separators=(",", ":"))
        out["supplementaryConfiguration"] = {k: json.dumps(v, separators=(",", ":")) if not isinstance(v, str) else v
                                             for k, v in (item.get("supplementaryConfiguration") or {}).items()}  # fmt: skip
        if out.get("arn") is None:
            out.pop("arn", None)
        return out

    def _check_type(self, resource_type: Any, where: str = "resourceType") -> str:
        if not isinstance(resource_type, str) or not resource_type.startswith("AWS::") or resource_type.count("::") != 2:
            raise _validation(resource_type, where, "Member must satisfy enum value set: [AWS::...]")
        return resource_type

    @staticmethod
    def _limit(limit: Any, default: int, maximum: int = 100) -> int:
        if limit is None or limit == 0:
            return default
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0 or limit > maximum:
            bound = "greater than or equal to 0" if isinstance(limit, int) and limit < 0 else \
                f"less than or equal to {maximum}"  # fmt: skip
            raise ServiceError("InvalidLimitException",
                               f"Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value {bound}")
        return limit

    @api("GetResourceConfigHistory")
    def get_resource_config_history(self, *, resourceType: str, resourceId: str, laterTime: datetime | None = None,
                                    earlierTime: datetime | None = None, chronologicalOrder: str | None = None,
                                    limit: int | None = None, nextToken: str | None = None,
                                    **kw: Any) -> dict[str, Any]:  # fmt: skip
        self._check_type(resourceType)
        order = chronologicalOrder or "Reverse"
        if order not in ("Reverse", "Forward"):
            raise _validation(order, "chronologicalOrder", "Member must satisfy enum value set: [Reverse, Forward]")
        n = self._limit(limit, 10)
        if earlierTime and laterTime and earlierTime > laterTime:
            raise ServiceError("InvalidTimeRangeException", "The earlier time can not be later than the later time.")
        self._sync()
        key = (self.region, resourceType, resourceId)
        bounds = self.conn.execute(
            "SELECT min(capture_ms), max(capture_ms) FROM cfg_items WHERE region = ? AND resource_type = ? AND resource_id = ?",
            key,
        ).fetchone()
        if bounds[0] is None:
            raise ServiceError("ResourceNotDiscoveredException",
                               f"Resource {resourceId} of resourceType:{resourceType} is unknown or has not been discovered")  # fmt: skip
        lo = _ms(earlierTime) if earlierTime else bounds[0]
        hi = _ms(laterTime) if laterTime else _ms(self.now())
        window = int(HISTORY_WINDOW.total_seconds() * 1000)
        tok = _decode_token(nextToken) if nextToken else None
        if order == "Reverse":
            # Newest first. The page covers [edge - 7 days, edge]; "after" skips items already returned.
            edge = int(tok["edge"]) if tok else hi
            after = (int(tok["ms"]), int(tok["id"])) if tok and "id" in tok else None
            start = max(lo, edge - window)
            sql = ("SELECT id, capture_ms, item FROM cfg_items WHERE region = ? AND resource_type = ? AND resource_id = ? "
                   "AND capture_ms >= ? AND capture_ms <= ?")  # fmt: skip
            args: list[Any] = [*key, start, edge]
            if after:
                sql += " AND (capture_ms < ? OR (capture_ms = ? AND id < ?))"
                args += [after[0], after[0], after[1]]
            rows = self.conn.execute(sql + " ORDER BY capture_ms DESC, id DESC LIMIT ?", (*args, n + 1)).fetchall()
            out: dict[str, Any] = {"configurationItems": [self._api_item(json.loads(r["item"])) for r in rows[:n]]}
            if len(rows) > n:
                last = rows[n - 1]
                out["nextToken"] = _encode_token({"edge": edge, "ms": last["capture_ms"], "id": last["id"]})
            elif start > lo and self._exists(key, lo, start - 1):
                out["nextToken"] = _encode_token({"edge": start - 1})
            return out
        edge = int(tok["edge"]) if tok else lo
        after = (int(tok["ms"]), int(tok["id"])) if tok and "id" in tok else None
        stop = min(hi, edge + window)
        sql = ("SELECT id, capture_ms, item FROM cfg_items WHERE region = ? AND resource_type = ? AND resource_id = ? "
               "AND capture_ms >= ? AND capture_ms <= ?")  # fmt: skip
        args = [*key, edge, stop]
        if after:
            sql += " AND (capture_ms > ? OR (capture_ms = ? AND id > ?))"
            args += [after[0], after[0], after[1]]
        rows = self.conn.execute(sql + " ORDER BY capture_ms, id LIMIT ?", (*args, n + 1)).fetchall()
        out = {"configurationItems": [self._api_item(json.loads(r["item"])) for r in rows[:n]]}
        if len(rows) > n:
            last = rows[n - 1]
            out["nextToken"] = _encode_token({"edge": edge, "ms": last["capture_ms"], "id": last["id"]})
        elif stop < hi and self._exists(key, stop + 1, hi):
            out["nextToken"] = _encode_token({"edge": stop + 1})
        return out

    def _exists(self, key: tuple[str, str, str], lo: int, hi: int) -> bool:
        return self.conn.execute(
            "SELECT 1 FROM cfg_items WHERE region = ? AND resource_type = ? AND resource_id = ? AND capture_ms BETWEEN ? AND ? "
            "LIMIT 1", (*key, lo, hi)).fetchone() is not None  # fmt: skip

    @api("ListDiscoveredResources")
    def list_discovered_resources(self, *, resourceType: str, resourceIds: list[str] | None = None,
                                  resourceName: str | None = None, limit: int | None = None,
                                  includeDeletedResources: bool = False, nextToken: str | None = None,
                                  **kw: Any) -> dict[str, Any]:  # fmt: skip
        self._check_type(resourceType)
        if resourceIds and resourceName:
            raise ServiceError("ValidationException", "Both Resource ID and Resource Name cannot be specified in the request")
        if len(resourceIds or []) > 20:
            raise ServiceError("ValidationException",
                               "The specified list had more than 20 resource ID's. It must have '20' or less items")  # fmt: skip
        n = self._limit(limit, 100)
        self._sync()
        sql = "SELECT resource_id, resource_name, deleted_ms FROM cfg_resources WHERE region = ? AND resource_type = ?"
        args: list[Any] = [self.region, resourceType]
        if not includeDeletedResources:
            sql += " AND deleted_ms IS NULL"
        if resourceIds:
            sql += f" AND resource_id IN ({','.join('?' * len(resourceIds))})"
            args += list(resourceIds)
        if resourceName:
            sql += " AND resource_name = ?"
            args.append(resourceName)
        if nextToken:
            sql += " AND resource_id > ?"
            args.append(str(_decode_token(nextToken).get("after", "")))
        rows = self.conn.execute(sql + " ORDER BY resource_id LIMIT ?", (*args, n + 1)).fetchall()
        idents = []
        for r in rows[:n]:
            ident: dict[str, Any] = {"resourceType": resourceType, "resourceId": r[0], "resourceName": r[1]}
            if r[2] is not None:
                ident["resourceDeletionTime"] = _dt(r[2])
            idents.append(ident)
        out: dict[str, Any] = {"resourceIdentifiers": idents}
        if len(rows) > n:
            out["nextToken"] = _encode_token({"after": rows[n - 1][0]})
        return out

    @api("BatchGetResourceConfig")
    def batch_get_resource_config(self, *, resourceKeys: list[dict[str, str]], **kw: Any) -> dict[str, Any]:
        if not resourceKeys or len(resourceKeys) > 100:
            raise _validation(resourceKeys, "resourceKeys", "Member must have length between 1 and 100")
        self._sync()
        items, missing = [], []
        for k in resourceKeys:
            row = self.conn.execute(
                "SELECT i.item FROM cfg_resources r JOIN cfg_items i ON i.id = r.last_item_id WHERE r.region = ? "
                "AND r.resource_type = ? AND r.resource_id = ? AND r.deleted_ms IS NULL",
                (self.region, self._check_type(k.get("resourceType"), "resourceKeys.member.resourceType"), k.get("resourceId")),
            ).fetchone()  # fmt: skip
            if row is None:
                missing.append({"resourceType": k.get("resourceType"), "resourceId": k.get("resourceId")})
                continue
            full = self._api_item(json.loads(row[0]))
            items.append({key: full[key] for key in full if key not in ("tags", "relatedEvents", "relationships",
                                                                         "configurationItemMD5Hash")})  # fmt: skip
        return {"baseConfigurationItems": items, "unprocessedResourceKeys": missing}

    # -- rules --------------------------------------------------------------------------------------------------
    def _rule_row(self, name: str) -> Any:
        row = self.conn.execute("SELECT * FROM cfg_rules WHERE region = ? AND name = ?", (self.region, name)).fetchone()
        if row is None:
            raise ServiceError("NoSuchConfigRuleException",
                               f"The ConfigRule '{name}' provided in the request is invalid. Please check the configRule name")  # fmt: skip
        return row

    @api("PutConfigRule")
    def put_config_rule(self, *, ConfigRule: dict[str, Any], Tags: list[dict[str, str]] | None = None,
                        **kw: Any) -> dict[str, Any]:  # fmt: skip
        from awsmon.engines.config_rules import FREQUENCIES, RuleError, validate_rule

        cr = dict(ConfigRule or {})
        name = cr.get("ConfigRuleName")
        if not name:
            raise ServiceError("InvalidParameterValueException",
                               "One or more identifiers needs to be provided. Provide Name or Id or Arn")  # fmt: skip
        if len(name) > 128:
            raise _validation(name, "configRule.configRuleName", "Member must have length less than or equal to 128")
        prev = self.conn.execute("SELECT * FROM cfg_rules WHERE region = ? AND name = ?", (self.region, name)).fetchone()
        if prev is None and (cr.get("ConfigRuleArn") or cr.get("ConfigRuleId")):
            raise ServiceError("InvalidParameterValueException",
                               "ConfigRule Arn and Id can not be specified when creating a new ConfigRule. ConfigRule "
                               "Arn and Id are generated by the service. Please try the request again without "
                               "specifying ConfigRule Arn or Id")  # fmt: skip
        state = cr.get("ConfigRuleState", "ACTIVE")
        if state != "ACTIVE":
            raise ServiceError("InvalidParameterValueException",
                               f"The ConfigRuleState {state} is invalid.  Only the following values are permitted: ACTIVE")  # fmt: skip
        if not isinstance(cr.get("Source"), dict):
            raise ServiceError("ValidationException", "1 validation error detected: Value null at 'configRule.source' "
                               "failed to satisfy constraint: Member must not be null")  # fmt: skip
        if cr.get("Scope") is not None and not isinstance(cr["Scope"], dict):
            raise _validation(cr["Scope"], "configRule.scope", "Member must be a structure")
        source = dict(cr["Source"])
        owner = source.get("Owner")
        custom: tuple[dict[str, Any], bool, bool] | None = None
        if owner == "CUSTOM_LAMBDA":
            from awsmon.backends.local.config_custom import validate as validate_lambda

            custom = validate_lambda(self.store, self.region, cr)
        elif owner == "CUSTOM_POLICY":
            from awsmon.backends.local.config_custom import validate_policy

            custom = validate_policy(cr)
        elif owner != "AWS":
            raise _validation(owner, "configRule.source.owner",
                              "Member must satisfy enum value set: [CUSTOM_LAMBDA, AWS, CUSTOM_POLICY]")  # fmt: skip
        if custom is None and source.get("SourceDetails"):
            raise ServiceError("InvalidParameterValueException",
                               "SourceDetails should be null/empty if the owner is AWS. SourceDetails should be provided "
                               "if the owner is CUSTOM_LAMBDA")  # fmt: skip
        rule = None
        if custom is None:
            try:
                rule, _ = validate_rule(str(source.get("SourceIdentifier") or ""), cr.get("InputParameters"))
            except RuleError as exc:
                raise ServiceError(exc.code, exc.message) from None
            periodic, change = rule.periodic, rule.change
        else:
            periodic, change = custom[1], custom[2]
        freq = cr.get("MaximumExecutionFrequency")
        if freq is not None and freq not in FREQUENCIES:
            raise _validation(freq, "configRule.maximumExecutionFrequency",
                              "Member must satisfy enum value set: [One_Hour, Six_Hours, Three_Hours, Twelve_Hours, "
                              "TwentyFour_Hours]")  # fmt: skip
        if freq is not None and not periodic:
            raise ServiceError("InvalidParameterValueException",
                               "A maximum execution frequency is not allowed for rules triggered by configuration changes")  # fmt: skip
        scope = cr.get("Scope")
        if scope is not None:
            types = list(scope.get("ComplianceResourceTypes") or [])
            if len(types) > 100:
                raise _validation(types, "configRule.scope.complianceResourceTypes", "Member must have length less than or equal to 100")
            for t in types:
                self._check_type(t, "configRule.scope.complianceResourceTypes")
        now = self.now()
        if prev is None:
            count = self.conn.execute("SELECT count(*) FROM cfg_rules WHERE region = ?", (self.region,)).fetchone()[0]
            if count >= MAX_RULES:
                raise ServiceError("MaxNumberOfConfigRulesExceededException",
                                   f"Failed to put config rule '{name}' because the maximum number of config rules: "
                                   f"{MAX_RULES} is reached.")  # fmt: skip
            rule_id = f"config-rule-{uuid.uuid4().hex[:6]}"
            arn = f"arn:aws:config:{self.region}:{self.account_id}:config-rule/{rule_id}"
        else:
            rule_id, arn = prev["rule_id"], prev["arn"]
        stored: dict[str, Any] = {"ConfigRuleName": name, "ConfigRuleArn": arn, "ConfigRuleId": rule_id}
        if cr.get("Description") is not None:
            stored["Description"] = cr["Description"]
        if scope:
            stored["Scope"] = scope
        stored["Source"] = custom[0] if custom else {"Owner": "AWS", "SourceIdentifier": rule.identifier}  # type: ignore[union-attr]
        if cr.get("InputParameters"):
            stored["InputParameters"] = cr["InputParameters"]
        if periodic:
            stored["MaximumExecutionFrequency"] = freq or "TwentyFour_Hours"
        stored["ConfigRuleState"] = "ACTIVE"
        if kw.get("_created_by"):
            stored["CreatedBy"] = kw["_created_by"]  # a conformance pack's rule
        stored["EvaluationModes"] = [{"Mode": "DETECTIVE"}]
        self.conn.execute(
            "INSERT INTO cfg_rules (region, name, rule_id, arn, config, first_activated_ms) VALUES (?,?,?,?,?,?) "
            "ON CONFLICT (region, name) DO UPDATE SET config = excluded.config",
            (self.region, name, rule_id, arn, json.dumps(stored), _ms(now)),
        )
        # A new or changed rule is evaluated at once (AWS starts an evaluation on PutConfigRule).
        rec = Recorder(self.store, self.region)
        rec.sync(now)
        rec.evaluate_rule(stored, now=now, periodic=periodic and not change)
        key = f"{self.region}\t{name}"
        if periodic:
            from awsmon.engines.config_rules import frequency_hours

            hours = frequency_hours(self._frequency(stored))
            scheduler.schedule(self.store, "config.periodic", key, now + timedelta(hours=hours))
        else:
            scheduler.unschedule(self.store, "config.periodic", key)
        return {}

    def _timestamp(self, value: Any, where: str) -> datetime:
        """A timestamp as boto3 sends it (datetime), or as it arrives from a function's call (ISO text, epoch)."""
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(float(value), UTC)
        from awsmon.errors import UsageError
        from awsmon.timeparse import parse_time

        try:
            return parse_time(str(value), now=self.now())
        except (UsageError, ValueError):
            raise _validation(value, where, "Member must be a timestamp") from None

    @staticmethod
    def _frequency(cfg: Mapping[str, Any]) -> str:
        if cfg["Source"].get("Owner") == "CUSTOM_LAMBDA":
            from awsmon.backends.local.config_custom import frequency

            return frequency(cfg)
        return str(cfg.get("MaximumExecutionFrequency") or "TwentyFour_Hours")

    @api("PutEvaluations")
    def put_evaluations(self, *, ResultToken: str, Evaluations: list[dict[str, Any]] | None = None,
                        TestMode: bool = False, **kw: Any) -> dict[str, Any]:  # fmt: skip
        """What a custom rule's function calls with its results (the token names the rule and the invocation)."""
        from awsmon.backends.local.config_custom import decode_token

        region, name, invoked_ms = decode_token(ResultToken)
        if region != self.region or self.conn.execute("SELECT 1 FROM cfg_rules WHERE region = ? AND name = ?",
                                                      (region, name)).fetchone() is None:  # fmt: skip
            raise ServiceError("InvalidResultTokenException", "The result token is invalid.")
        evaluations = list(Evaluations or [])
        if len(evaluations) > 100:
            raise _validation("Evaluations", "evaluations", "Member must have length less than or equal to 100")
        checked = []
        for e in evaluations:
            ctype = e.get("ComplianceType")
            if ctype not in ("COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE", "INSUFFICIENT_DATA"):
                raise _validation(ctype, "evaluations.member.complianceType", "Member must satisfy enum value set: "
                                  "[INSUFFICIENT_DATA, NON_COMPLIANT, NOT_APPLICABLE, COMPLIANT]")  # fmt: skip
            if ctype == "INSUFFICIENT_DATA":
                raise ServiceError("InvalidParameterValueException",
                                   "The ComplianceType INSUFFICIENT_DATA is not valid for PutEvaluations.")  # fmt: skip
            for field in ("ComplianceResourceType", "ComplianceResourceId", "OrderingTimestamp"):
                if not e.get(field):
                    raise ServiceError("ValidationException", f"1 validation error detected: Value null at "
                                       f"'evaluations.member.{field[0].lower() + field[1:]}' failed to satisfy constraint: "
                                       "Member must not be null")  # fmt: skip
            ts = e["OrderingTimestamp"]
            when = self._timestamp(ts, "evaluations.member.orderingTimestamp")
            annotation = e.get("Annotation")
            if annotation is not None and len(str(annotation)) > 256:
                raise _validation(annotation, "evaluations.member.annotation", "Member must have length less than or equal to 256")
            checked.append((str(e["ComplianceResourceType"]), str(e["ComplianceResourceId"]), ctype, annotation, when))
        if not TestMode:
            rec = Recorder(self.store, self.region)
            now_ms = _ms(self.now())
            for rtype, rid, ctype, annotation, when in checked:
                rec.put_result(name, rtype, rid, (ctype, annotation), _ms(when), now_ms)
            self.conn.execute("UPDATE cfg_rules SET last_evaluated_ms = ? WHERE region = ? AND name = ?",
                              (now_ms, region, name))  # fmt: skip
        return {"FailedEvaluations": []}

    @api("DescribeConfigRules")
    def describe_config_rules(self, *, ConfigRuleNames: list[str] | None = None, NextToken: str | None = None,
                              **kw: Any) -> dict[str, Any]:  # fmt: skip
        if ConfigRuleNames:
            rows = [self._rule_row(n) for n in ConfigRuleNames]
            rows.sort(key=lambda r: r["name"])
        else:
            rows = self.conn.execute("SELECT * FROM cfg_rules WHERE region = ? ORDER BY name", (self.region,)).fetchall()
        start = 0
        if NextToken:
            names = [r["name"] for r in rows]
            if NextToken not in names:
                raise ServiceError("InvalidNextTokenException", "The nextToken provided is invalid")
            start = names.index(NextToken)
        page = rows[start : start + RULE_PAGE]
        out: dict[str, Any] = {"ConfigRules": [json.loads(r["config"]) for r in page]}
        if len(rows) > start + RULE_PAGE:
            out["NextToken"] = rows[start + RULE_PAGE]["name"]
        return out

    @api("DeleteConfigRule")
    def delete_config_rule(self, *, ConfigRuleName: str, **kw: Any) -> dict[str, Any]:
        self._rule_row(ConfigRuleName)
        self.conn.execute("DELETE FROM cfg_rules WHERE region = ? AND name = ?", (self.region, ConfigRuleName))
        self.conn.execute("DELETE FROM cfg_results WHERE region = ? AND rule_name = ?", (self.region, ConfigRuleName))
        self.conn.execute("DELETE FROM cfg_remediations WHERE region = ? AND rule_name = ?", (self.region, ConfigRuleName))
        scheduler.unschedule(self.store, "config.periodic", f"{self.region}\t{ConfigRuleName}")
        return {}

    @api("StartConfigRulesEvaluation")
    def start_config_rules_evaluation(self, *, ConfigRuleNames: list[str] | None = None, **kw: Any) -> dict[str, Any]:
        from awsmon.engines.config_rules import RULES

        names = list(ConfigRuleNames or [])
        if len(names) > 25:
            raise ServiceError("LimitExceededException", "The number of rules in the request exceeds the limit of 25.")
        rows = [self._rule_row(n) for n in names] if names else self.conn.execute(
            "SELECT * FROM cfg_rules WHERE region = ? ORDER BY name", (self.region,)).fetchall()  # fmt: skip
        now = self.now()
        rec = Recorder(self.store, self.region)
        rec.sync(now)
        for r in rows:
            cfg = json.loads(r["config"])
            if cfg["Source"].get("Owner") in ("CUSTOM_LAMBDA", "CUSTOM_POLICY"):
                rec.evaluate_custom(cfg, periodic=False)
                continue
            rule = RULES[cfg["Source"]["SourceIdentifier"]]
            rec.evaluate_rule(cfg, now=now, periodic=rule.periodic and not rule.change)
        return {}

    @api("DescribeConfigRuleEvaluationStatus")
    def describe_config_rule_evaluation_status(self, *, ConfigRuleNames: list[str] | None = None,
                                               **kw: Any) -> dict[str, Any]:  # fmt: skip
        rows = [self._rule_row(n) for n in ConfigRuleNames] if ConfigRuleNames else self.conn.execute(
            "SELECT * FROM cfg_rules WHERE region = ? ORDER BY name", (self.region,)).fetchall()  # fmt: skip
        out = []
        for r in rows:
            s: dict[str, Any] = {"ConfigRuleName": r["name"], "ConfigRuleArn": r["arn"], "ConfigRuleId": r["rule_id"],
                                 "FirstActivatedTime": _dt(r["first_activated_ms"]),
                                 "FirstEvaluationStarted": r["last_invoked_ms"] is not None}  # fmt: skip
            if r["last_invoked_ms"] is not None:
                s["LastSuccessfulInvocationTime"] = _dt(r["last_invoked_ms"])
            if r["last_evaluated_ms"] is not None:
                s["LastSuccessfulEvaluationTime"] = _dt(r["last_evaluated_ms"])
            if r["last_failed_ms"] is not None:
                s["LastFailedInvocationTime"] = _dt(r["last_failed_ms"])
                s["FirstEvaluationStarted"] = True
            if r["last_error_code"]:
                s["LastErrorCode"] = r["last_error_code"]
                s["LastErrorMessage"] = r["last_error_message"]
            out.append(s)
        return {"ConfigRulesEvaluationStatus": out}

    # -- remediation --------------------------------------------------------------------------------------------
    @api("PutRemediationConfigurations")
    def put_remediation_configurations(self, *, RemediationConfigurations: list[dict[str, Any]],
                                       **kw: Any) -> dict[str, Any]:  # fmt: skip
        from awsmon.backends.local.config_remediation import validate

        configs = list(RemediationConfigurations or [])
        if len(configs) > 25:
            raise _validation("RemediationConfigurations", "remediationConfigurations",
                              "Member must have length less than or equal to 25")  # fmt: skip
        checked = []
        for c in configs:
            if not isinstance(c, dict):
                raise _validation(c, "remediationConfigurations.member", "Member must be a structure")
            row = self._rule_row(str(c.get("ConfigRuleName")))
            stored = validate(c)
            stored["Arn"] = f"arn:aws:config:{self.region}:{self.account_id}:remediation-configuration/{c['ConfigRuleName']}/{row['rule_id']}"
            checked.append(stored)
        for stored in checked:  # all valid: store them all (a bad one stores nothing)
            self.conn.execute("INSERT INTO cfg_remediations (region, rule_name, config) VALUES (?,?,?) ON CONFLICT "
                              "(region, rule_name) DO UPDATE SET config = excluded.config",
                              (self.region, stored["ConfigRuleName"], json.dumps(stored)))  # fmt: skip
        # Automatic remediation starts for the resources already NON_COMPLIANT (AWS: "initiates the remediation
        # process for all non-compliant resources").
        rec = self._rec()
        now_ms = _ms(self.now())
        for stored in checked:
            if stored["Automatic"]:
                for r in self.conn.execute("SELECT resource_type, resource_id FROM cfg_results WHERE region = ? AND "
                                           "rule_name = ? AND compliance = 'NON_COMPLIANT'",
                                           (self.region, stored["ConfigRuleName"])).fetchall():  # fmt: skip
                    rec.auto_remediate(stored["ConfigRuleName"], r[0], r[1], now_ms)
        return {"FailedBatches": []}

    @api("DescribeRemediationConfigurations")
    def describe_remediation_configurations(self, *, ConfigRuleNames: list[str], **kw: Any) -> dict[str, Any]:
        out = []
        for name in ConfigRuleNames or []:
            row = self.conn.execute("SELECT config FROM cfg_remediations WHERE region = ? AND rule_name = ?",
                                    (self.region, name)).fetchone()  # fmt: skip
            if row is not None:
                out.append(json.loads(row[0]))
        return {"RemediationConfigurations": out}

    @api("DeleteRemediationConfiguration")
    def delete_remediation_configuration(self, *, ConfigRuleName: str, ResourceType: str | None = None,
                                         **kw: Any) -> dict[str, Any]:  # fmt: skip
        if not self.conn.execute("SELECT 1 FROM cfg_remediations WHERE region = ? AND rule_name = ?",
                                 (self.region, ConfigRuleName)).fetchone():  # fmt: skip
            raise ServiceError("NoSuchRemediationConfigurationException",
                               f"No RemediationConfiguration for rule exists {ConfigRuleName}.")  # fmt: skip
        self.conn.execute("DELETE FROM cfg_remediations WHERE region = ? AND rule_name = ?", (self.region, ConfigRuleName))
        return {}

    def _remediation(self, rule_name: str) -> dict[str, Any]:
        self._rule_row(rule_name)
        row = self.conn.execute("SELECT config FROM cfg_remediations WHERE region = ? AND rule_name = ?",
                                (self.region, rule_name)).fetchone()  # fmt: skip
        if row is None:
            raise ServiceError("NoSuchRemediationConfigurationException",
                               f"No RemediationConfiguration for rule exists {rule_name}.")  # fmt: skip
        return dict(json.loads(row[0]))

    @api("StartRemediationExecution")
    def start_remediation_execution(self, *, ConfigRuleName: str, ResourceKeys: list[dict[str, str]],
                                    **kw: Any) -> dict[str, Any]:  # fmt: skip
        cfg = self._remediation(ConfigRuleName)
        keys = list(ResourceKeys or [])
        if not 1 <= len(keys) <= 100:
            raise _validation(keys, "resourceKeys", "Member must have length between 1 and 100")
        self._sync()
        rec = self._rec()
        failed = []
        for k in keys:
            rtype, rid = self._check_type(k.get("resourceType"), "resourceKeys.member.resourceType"), str(k.get("resourceId"))
            if rec.remediate(cfg, rtype, rid, automatic=False) == "FAILED":
                failed.append({"resourceType": rtype, "resourceId": rid})
        out: dict[str, Any] = {"FailedItems": failed}
        if failed:
            out["FailureMessage"] = "Remediation failed for some resources; see describe-remediation-execution-status."
        # The executions are QUEUED; they run as the clock passes (describe-remediation-execution-status).
        return out

    @api("DescribeRemediationExecutionStatus")
    def describe_remediation_execution_status(self, *, ConfigRuleName: str, ResourceKeys: list[dict[str, str]] | None = None,
                                              Limit: int | None = None, NextToken: str | None = None,
                                              **kw: Any) -> dict[str, Any]:  # fmt: skip
        from awsmon.backends.local.config_remediation import execution_status

        self._remediation(ConfigRuleName)
        n = self._limit(Limit, 100)
        rows = self.conn.execute("SELECT * FROM cfg_remediation_execs WHERE region = ? AND rule_name = ? "
                                 "ORDER BY resource_type, resource_id", (self.region, ConfigRuleName)).fetchall()  # fmt: skip
        if ResourceKeys:
            wanted = {(k.get("resourceType"), k.get("resourceId")) for k in ResourceKeys}
            rows = [r for r in rows if (r["resource_type"], r["resource_id"]) in wanted]
        start = int(_decode_token(NextToken).get("offset", 0)) if NextToken else 0
        out: dict[str, Any] = {"RemediationExecutionStatuses": [execution_status(r) for r in rows[start : start + n]]}
        if len(rows) > start + n:
            out["NextToken"] = _encode_token({"offset": start + n})
        return out

    # -- conformance packs --------------------------------------------------------------------------------------
    def _pack_row(self, name: str) -> Any:
        row = self.conn.execute("SELECT * FROM cfg_packs WHERE region = ? AND name = ?", (self.region, name)).fetchone()
        if row is None:
            raise ServiceError("NoSuchConformancePackException", f"Conformance pack {name} does not exist.")
        return row

    @api("PutConformancePack")
    def put_conformance_pack(self, *, ConformancePackName: str, TemplateBody: str | None = None,
                             TemplateS3Uri: str | None = None, DeliveryS3Bucket: str | None = None,
                             DeliveryS3KeyPrefix: str | None = None,
                             ConformancePackInputParameters: list[dict[str, str]] | None = None,
                             **kw: Any) -> dict[str, Any]:  # fmt: skip
        import re

        name = ConformancePackName
        if not isinstance(name, str) or not re.fullmatch(r"[a-zA-Z][-a-zA-Z0-9]{0,255}", name):
            raise _validation(name, "conformancePackName", "Member must satisfy regular expression pattern: "
                              "[a-zA-Z][-a-zA-Z0-9]*")  # fmt: skip
        body, inputs, wanted = self._pack_template(TemplateBody, TemplateS3Uri, ConformancePackInputParameters)
        prev = self.conn.execute("SELECT * FROM cfg_packs WHERE region = ? AND name = ?", (self.region, name)).fetchone()
        if prev is None:
            if self.conn.execute("SELECT count(*) FROM cfg_packs WHERE region = ?", (self.region,)).fetchone()[0] >= 50:
                raise ServiceError("MaxNumberOfConformancePacksExceededException",
                                   "You have reached the limit (50) of conformance packs in the account.")  # fmt: skip
            pack_id = f"conformance-pack-{uuid.uuid4().hex[:8]}"
            arn = f"arn:aws:config:{self.region}:{self.account_id}:conformance-pack/{name}/{pack_id}"
            old_rules: list[str] = []
        else:
            pack_id, arn = prev["pack_id"], prev["arn"]
            old_rules = list(json.loads(prev["config"]).get("Rules") or [])
        suffix = pack_id.rsplit("-", 1)[-1]
        deployed = []
        for rule in wanted:
            rule = dict(rule)
            rule["ConfigRuleName"] = f"{rule['ConfigRuleName']}-conformance-pack-{suffix}"[:128]
            existing = self.conn.execute("SELECT config FROM cfg_rules WHERE region = ? AND name = ?",
                                         (self.region, rule["ConfigRuleName"])).fetchone()  # fmt: skip
            if existing is not None and json.loads(existing[0]).get("CreatedBy") != "config-conforms.amazonaws.com":
                raise ServiceError("ResourceInUseException", f"The rule {rule['ConfigRuleName']} already exists.")
            # Every rule is validated as PutConfigRule does; one bad rule fails the call and stores nothing.
            type(self).put_config_rule.__wrapped__(self, ConfigRule=rule, _created_by="config-conforms.amazonaws.com")  # type: ignore[attr-defined]
            deployed.append(rule["ConfigRuleName"])
        for gone in set(old_rules) - set(deployed):
            type(self).delete_config_rule.__wrapped__(self, ConfigRuleName=gone)  # type: ignore[attr-defined]
        now = self.now()
        detail: dict[str, Any] = {"ConformancePackName": name, "ConformancePackArn": arn, "ConformancePackId": pack_id,
                                  "ConformancePackInputParameters": [{"ParameterName": k, "ParameterValue": v}
                                                                     for k, v in inputs.items()],
                                  "LastUpdateRequestedTime": _ms(now), "CreatedBy": kw.get("_created_by"),
                                  "Rules": deployed}  # fmt: skip
        if DeliveryS3Bucket:
            detail["DeliveryS3Bucket"] = DeliveryS3Bucket
        if DeliveryS3KeyPrefix:
            detail["DeliveryS3KeyPrefix"] = DeliveryS3KeyPrefix
        self.conn.execute("INSERT INTO cfg_packs (region, name, pack_id, arn, config) VALUES (?,?,?,?,?) ON CONFLICT "
                          "(region, name) DO UPDATE SET config = excluded.config",
                          (self.region, name, pack_id, arn, json.dumps(detail)))  # fmt: skip
        return {"ConformancePackArn": arn}

    def _pack_template(self, body: str | None, s3_uri: str | None,
                       parameters: list[dict[str, str]] | None) -> tuple[str, dict[str, str], list[dict[str, Any]]]:  # fmt: skip
        """A pack's template text, input parameters and resolved rules (ConformancePackTemplateValidationException)."""
        from awsmon.engines.conformance import TemplateError, load, rules

        if (body is None) == (s3_uri is None):
            raise ServiceError("ValidationException", "Either the TemplateBody or the TemplateS3Uri must be provided, "
                               "but not both.")  # fmt: skip
        text = body if body is not None else self._template_from_s3(str(s3_uri))
        inputs = {}
        for p in parameters or []:
            if not isinstance(p, dict) or "ParameterName" not in p or "ParameterValue" not in p:
                raise _validation(p, "conformancePackInputParameters.member", "Member must have ParameterName and ParameterValue")
            inputs[str(p["ParameterName"])] = str(p["ParameterValue"])
        try:
            return text, inputs, rules(load(text), inputs)
        except TemplateError as exc:
            raise ServiceError("ConformancePackTemplateValidationException", str(exc)) from None

    def _template_from_s3(self, uri: str) -> str:
        from awsmon.backends.local.facts import Reader

        if not uri.startswith("s3://") or "/" not in uri[5:]:
            raise ServiceError("ValidationException", f"The TemplateS3Uri {uri} is not a valid s3://BUCKET/KEY URI.")
        bucket, _, key = uri[5:].partition("/")
        try:
            body = Reader(self.store, self.region, "s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        except ServiceError as exc:
            raise ServiceError("ConformancePackTemplateValidationException",
                               f"Cannot read the template at {uri}: {exc.code}: {exc.message}") from None  # fmt: skip
        try:
            return bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            raise ServiceError("ConformancePackTemplateValidationException", f"The template at {uri} is not UTF-8 text.") from None

    def _packs(self, names: list[str] | None) -> list[Any]:
        if names:
            return [self._pack_row(n) for n in names]
        return self.conn.execute("SELECT * FROM cfg_packs WHERE region = ? ORDER BY name", (self.region,)).fetchall()

    @api("DescribeConformancePacks")
    def describe_conformance_packs(self, *, ConformancePackNames: list[str] | None = None, **kw: Any) -> dict[str, Any]:
        out = []
        for row in self._packs(ConformancePackNames):
            d = json.loads(row["config"])
            d.pop("Rules", None)
            if not d.get("CreatedBy"):
                d.pop("CreatedBy", None)
            d["LastUpdateRequestedTime"] = _dt(d["LastUpdateRequestedTime"])
            out.append(d)
        return {"ConformancePackDetails": out}

    @api("DescribeConformancePackStatus")
    def describe_conformance_pack_status(self, *, ConformancePackNames: list[str] | None = None,
                                         **kw: Any) -> dict[str, Any]:  # fmt: skip
        out = []
        for row in self._packs(ConformancePackNames):
            d = json.loads(row["config"])
            t = _dt(d["LastUpdateRequestedTime"])
            out.append({"ConformancePackName": row["name"], "ConformancePackId": row["pack_id"],
                        "ConformancePackArn": row["arn"], "ConformancePackState": "CREATE_COMPLETE",
                        "StackArn": f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/awsconfigconforms-"
                                    f"{row['name']}/{row['pack_id']}",
                        "LastUpdateRequestedTime": t, "LastUpdateCompletedTime": t})  # fmt: skip
        return {"ConformancePackStatusDetails": out}

    def _pack_rule_compliance(self, row: Any) -> list[dict[str, Any]]:
        from awsmon.engines.config_rules import summarize

        out = []
        for rule in json.loads(row["config"]).get("Rules") or []:
            kinds = [r[0] for r in self.conn.execute("SELECT compliance FROM cfg_results WHERE region = ? AND rule_name = ?",
                                                     (self.region, rule))]  # fmt: skip
            ctype, _ = summarize(kinds)
            out.append({"ConfigRuleName": rule, "ComplianceType": "INSUFFICIENT_DATA" if ctype == "NOT_APPLICABLE" else ctype,
                        "Controls": []})  # fmt: skip
        return out

    @api("DescribeConformancePackCompliance")
    def describe_conformance_pack_compliance(self, *, ConformancePackName: str, Filters: dict[str, Any] | None = None,
                                             **kw: Any) -> dict[str, Any]:  # fmt: skip
        row = self._pack_row(ConformancePackName)
        self._sync()
        rules = self._pack_rule_compliance(row)
        f = Filters or {}
        if f.get("ConfigRuleNames"):
            known = {r["ConfigRuleName"] for r in rules}
            for n in f["ConfigRuleNames"]:
                if n not in known:
                    raise ServiceError("NoSuchConfigRuleInConformancePackException",
                                       f"Config rule {n} does not exist in conformance pack {ConformancePackName}.")  # fmt: skip
            rules = [r for r in rules if r["ConfigRuleName"] in f["ConfigRuleNames"]]
        if f.get("ComplianceType"):
            rules = [r for r in rules if r["ComplianceType"] == f["ComplianceType"]]
        return {"ConformancePackName": ConformancePackName, "ConformancePackRuleComplianceList": rules}

    @api("GetConformancePackComplianceSummary")
    def get_conformance_pack_compliance_summary(self, *, ConformancePackNames: list[str], **kw: Any) -> dict[str, Any]:
        self._sync()
        out = []
        for row in self._packs(list(ConformancePackNames or []) or None):
            kinds = [r["ComplianceType"] for r in self._pack_rule_compliance(row)]
            status = "NON_COMPLIANT" if "NON_COMPLIANT" in kinds else "COMPLIANT" if "COMPLIANT" in kinds else "INSUFFICIENT_DATA"
            out.append({"ConformancePackName": row["name"], "ConformancePackComplianceStatus": status})
        return {"ConformancePackComplianceSummaryList": out}

    @api("DeleteConformancePack")
    def delete_conformance_pack(self, *, ConformancePackName: str, **kw: Any) -> dict[str, Any]:
        row = self._pack_row(ConformancePackName)
        for rule in json.loads(row["config"]).get("Rules") or []:
            if self.conn.execute("SELECT 1 FROM cfg_rules WHERE region = ? AND name = ?", (self.region, rule)).fetchone():
                type(self).delete_config_rule.__wrapped__(self, ConfigRuleName=rule)  # type: ignore[attr-defined]
        self.conn.execute("DELETE FROM cfg_packs WHERE region = ? AND name = ?", (self.region, ConformancePackName))
        return {}

    # -- organization conformance packs and config rules (config_org.py) ------------------------------------------
    @api("PutOrganizationConformancePack")
    def put_organization_conformance_pack(self, *, OrganizationConformancePackName: str, TemplateS3Uri: str | None = None,
                                          TemplateBody: str | None = None, DeliveryS3Bucket: str | None = None,
                                          DeliveryS3KeyPrefix: str | None = None,
                                          ConformancePackInputParameters: list[dict[str, str]] | None = None,
                                          ExcludedAccounts: list[str] | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        from awsmon.backends.local import config_org

        name = self._org_name(OrganizationConformancePackName, "organizationConformancePackName")
        excluded = self._excluded(ExcludedAccounts)
        body, inputs, _ = self._pack_template(TemplateBody, TemplateS3Uri, ConformancePackInputParameters)
        params = [{"ParameterName": k, "ParameterValue": v} for k, v in inputs.items()]
        fields = {"ConformancePackInputParameters": params, **compact_fields(DeliveryS3Bucket=DeliveryS3Bucket,
                                                                            DeliveryS3KeyPrefix=DeliveryS3KeyPrefix)}  # fmt: skip

        def put(svc: LocalConfig, member: str) -> None:
            type(svc).put_conformance_pack.__wrapped__(  # type: ignore[attr-defined]
                svc, ConformancePackName=member, TemplateBody=body, ConformancePackInputParameters=params,
                DeliveryS3Bucket=DeliveryS3Bucket, DeliveryS3KeyPrefix=DeliveryS3KeyPrefix, _created_by=config_org.CREATOR)

        cfg = config_org.deploy(self, config_org.PACK, name, excluded, fields, put, self._remove_pack)
        return {"OrganizationConformancePackArn": cfg["OrganizationConformancePackArn"]}

    @staticmethod
    def _remove_pack(svc: LocalConfig, member: str) -> None:
        type(svc).delete_conformance_pack.__wrapped__(svc, ConformancePackName=member)  # type: ignore[attr-defined]

    @staticmethod
    def _remove_rule(svc: LocalConfig, member: str) -> None:
        type(svc).delete_config_rule.__wrapped__(svc, ConfigRuleName=member)  # type: ignore[attr-defined]

    def _org_name(self, name: Any, field: str) -> str:
        """A valid organization pack / rule name, asked by the management account (else AWS's errors)."""
        import re

        if not isinstance(name, str) or not re.fullmatch(r"[a-zA-Z][-a-zA-Z0-9]{0,63}", name):
            raise _validation(name, field, "Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*")
        self._require_management_account()
        return name

    @staticmethod
    def _excluded(accounts: Any) -> list[str]:
        import re

        excluded = list(accounts or [])
        if len(excluded) > 1000 or any(not isinstance(a, str) or not re.fullmatch(r"\d{12}", a) for a in excluded):
            raise _validation(excluded, "excludedAccounts", "Member must satisfy constraint: [Member must satisfy "
                              "regular expression pattern: \\d{12}]")  # fmt: skip
        return excluded

    def _org_view(self, kind: str, names: list[str] | None, how: str) -> list[dict[str, Any]]:
        """The organization packs or rules (``kind`` pack | rule) of the management account, as ``how`` (describe |
        status) shows them."""
        from awsmon.backends.local import config_org

        self._require_management_account()
        k = config_org.PACK if kind == "pack" else config_org.RULE
        return [config_org.describe(c) if how == "describe" else config_org.status(k, c)
                for c in config_org.listed(self, k, names)]  # fmt: skip

    def _org_detailed(self, kind: str, name: str, account: str | None, state: str | None) -> list[dict[str, Any]]:
        from awsmon.backends.local import config_org

        self._require_management_account()
        k = config_org.PACK if kind == "pack" else config_org.RULE
        return config_org.detailed(k, config_org.get(self, k, name), account, state)

    @api("DescribeOrganizationConformancePacks")
    def describe_organization_conformance_packs(self, *, OrganizationConformancePackNames: list[str] | None = None,
                                                **kw: Any) -> dict[str, Any]:  # fmt: skip
        return {"OrganizationConformancePacks": self._org_view("pack", OrganizationConformancePackNames, "describe")}

    @api("DescribeOrganizationConformancePackStatuses")
    def describe_organization_conformance_pack_statuses(self, *, OrganizationConformancePackNames: list[str] | None = None,
                                                        **kw: Any) -> dict[str, Any]:  # fmt: skip
        return {"OrganizationConformancePackStatuses": self._org_view("pack", OrganizationConformancePackNames, "status")}

    @api("GetOrganizationConformancePackDetailedStatus")
    def get_organization_conformance_pack_detailed_status(self, *, OrganizationConformancePackName: str,
                                                          Filters: dict[str, Any] | None = None,
                                                          **kw: Any) -> dict[str, Any]:  # fmt: skip
        f = Filters or {}
        return {"OrganizationConformancePackDetailedStatuses": self._org_detailed(
            "pack", OrganizationConformancePackName, f.get("AccountId"), f.get("Status"))}  # fmt: skip

    @api("DeleteOrganizationConformancePack")
    def delete_organization_conformance_pack(self, *, OrganizationConformancePackName: str, **kw: Any) -> dict[str, Any]:
        from awsmon.backends.local import config_org

        self._require_management_account()
        config_org.delete(self, config_org.PACK, OrganizationConformancePackName, self._remove_pack)
        return {}

    _ORG_RULE_TRIGGERS = ("ConfigurationItemChangeNotification", "OversizedConfigurationItemChangeNotification",
                          "ScheduledNotification")  # fmt: skip

    @api("PutOrganizationConfigRule")
    def put_organization_config_rule(self, *, OrganizationConfigRuleName: str,
                                     OrganizationManagedRuleMetadata: dict[str, Any] | None = None,
                                     OrganizationCustomRuleMetadata: dict[str, Any] | None = None,
                                     OrganizationCustomPolicyRuleMetadata: dict[str, Any] | None = None,
                                     ExcludedAccounts: list[str] | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        """A managed (OrganizationManagedRuleMetadata) or Guard (OrganizationCustomPolicyRuleMetadata) rule deployed
        into every organization account as ``OrgConfigRule-<name>-<suffix>``; validated as PutConfigRule validates
        it (bad input: nothing stored in any account). Lambda rules (OrganizationCustomRuleMetadata) need the
        function in every member account: refused locally."""
        from awsmon.backends.local import config_org

        name = self._org_name(OrganizationConfigRuleName, "organizationConfigRuleName")
        given = [m for m in (OrganizationManagedRuleMetadata, OrganizationCustomRuleMetadata,
                             OrganizationCustomPolicyRuleMetadata) if m is not None]  # fmt: skip
        if len(given) != 1:
            raise ServiceError("ValidationException", "Specify exactly one of OrganizationManagedRuleMetadata, "
                               "OrganizationCustomRuleMetadata or OrganizationCustomPolicyRuleMetadata.")  # fmt: skip
        if OrganizationCustomRuleMetadata is not None:
            raise ServiceError("InvalidParameterValueException", "awsmon deploys organization rules with managed "
                               "(OrganizationManagedRuleMetadata) or Guard (OrganizationCustomPolicyRuleMetadata) "
                               "sources; a Lambda rule would need the function in every member account.")  # fmt: skip
        excluded = self._excluded(ExcludedAccounts)
        meta = dict(given[0])
        rule: dict[str, Any] = {"Scope": compact_fields(ComplianceResourceTypes=meta.get("ResourceTypesScope"),
                                                        ComplianceResourceId=meta.get("ResourceIdScope"),
                                                        TagKey=meta.get("TagKeyScope"), TagValue=meta.get("TagValueScope"))}  # fmt: skip
        if not rule["Scope"]:
            del rule["Scope"]
        rule.update(compact_fields(InputParameters=meta.get("InputParameters"), Description=meta.get("Description"),
                                   MaximumExecutionFrequency=meta.get("MaximumExecutionFrequency")))  # fmt: skip
        if OrganizationManagedRuleMetadata is not None:
            rule["Source"] = {"Owner": "AWS", "SourceIdentifier": meta.get("RuleIdentifier")}
            fields = {"OrganizationManagedRuleMetadata": meta}
        else:
            triggers = meta.get("OrganizationConfigRuleTriggerTypes") or []
            if any(t not in self._ORG_RULE_TRIGGERS[:2] for t in triggers):
                raise _validation(triggers, "organizationCustomPolicyRuleMetadata.organizationConfigRuleTriggerTypes",
                                  "Member must satisfy enum value set: [ConfigurationItemChangeNotification, "
                                  "OversizedConfigurationItemChangeNotification]")  # fmt: skip
            rule["Source"] = {"Owner": "CUSTOM_POLICY", "SourceDetails": [
                {"EventSource": "aws.config", "MessageType": t} for t in triggers or [self._ORG_RULE_TRIGGERS[0]]],
                "CustomPolicyDetails": {"PolicyRuntime": meta.get("PolicyRuntime"), "PolicyText": meta.get("PolicyText"),
                                        **compact_fields(EnableDebugLogDelivery=meta.get("DebugLogDeliveryAccounts") and True)}}  # fmt: skip
            fields = {"OrganizationCustomPolicyRuleMetadata": {k: v for k, v in meta.items() if k != "PolicyText"}}

        def put(svc: LocalConfig, member: str) -> None:
            type(svc).put_config_rule.__wrapped__(svc, ConfigRule={**rule, "ConfigRuleName": member},  # type: ignore[attr-defined]
                                                  _created_by=config_org.CREATOR)

        self._probe(lambda: put(self, f"OrgConfigRule-{name}-probe"))
        cfg = config_org.deploy(self, config_org.RULE, name, excluded, fields, put, self._remove_rule)
        return {"OrganizationConfigRuleArn": cfg["OrganizationConfigRuleArn"]}

    class _Probe(Exception):
        """Rolls back a validation-only write."""

    def _probe(self, fn: Callable[[], Any]) -> None:
        """Run ``fn`` in a savepoint that is always rolled back: its ServiceError (bad input) propagates, nothing
        stays."""
        try:
            with self.store.transaction():
                fn()
                raise self._Probe
        except self._Probe:
            pass

    @api("DescribeOrganizationConfigRules")
    def describe_organization_config_rules(self, *, OrganizationConfigRuleNames: list[str] | None = None,
                                           **kw: Any) -> dict[str, Any]:  # fmt: skip
        return {"OrganizationConfigRules": self._org_view("rule", OrganizationConfigRuleNames, "describe")}

    @api("DescribeOrganizationConfigRuleStatuses")
    def describe_organization_config_rule_statuses(self, *, OrganizationConfigRuleNames: list[str] | None = None,
                                                   **kw: Any) -> dict[str, Any]:  # fmt: skip
        return {"OrganizationConfigRuleStatuses": self._org_view("rule", OrganizationConfigRuleNames, "status")}

    @api("GetOrganizationConfigRuleDetailedStatus")
    def get_organization_config_rule_detailed_status(self, *, OrganizationConfigRuleName: str,
                                                     Filters: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        f = Filters or {}
        return {"OrganizationConfigRuleDetailedStatus": self._org_detailed(
            "rule", OrganizationConfigRuleName, f.get("AccountId"), f.get("MemberAccountRuleStatus"))}  # fmt: skip

    @api("DeleteOrganizationConfigRule")
    def delete_organization_config_rule(self, *, OrganizationConfigRuleName: str, **kw: Any) -> dict[str, Any]:
        from awsmon.backends.local import config_org

        self._require_management_account()
        config_org.delete(self, config_org.RULE, OrganizationConfigRuleName, self._remove_rule)
        return {}

    # -- aggregators --------------------------------------------------------------------------------------------
    _REGION_RE = r"[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d"

    def _aggregator(self, name: str) -> dict[str, Any]:
        if not name:  # botocore's model: min length 1 (checked by the service before it looks the name up)
            raise _validation(name, "configurationAggregatorName", "Member must have length greater than or equal to 1")
        row = self.conn.execute("SELECT config FROM cfg_aggregators WHERE region = ? AND name = ?", (self.region, name)).fetchone()
        if row is None:
            raise ServiceError("NoSuchConfigurationAggregatorException",
                               "The configuration aggregator does not exist. Check the configuration aggregator name and "
                               "try again.")  # fmt: skip
        return dict(json.loads(row[0]))

    @staticmethod
    def _api_aggregator(cfg: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(cfg)
        out["CreationTime"] = _dt(cfg["CreationTime"])
        out["LastUpdatedTime"] = _dt(cfg["LastUpdatedTime"])
        return out

    @api("PutConfigurationAggregator")
    def put_configuration_aggregator(self, *, ConfigurationAggregatorName: str,
                                     AccountAggregationSources: list[dict[str, Any]] | None = None,
                                     OrganizationAggregationSource: dict[str, Any] | None = None,
                                     **kw: Any) -> dict[str, Any]:  # fmt: skip
        import re

        name = ConfigurationAggregatorName
        if not isinstance(name, str) or not re.fullmatch(r"[\w\-]{1,256}", name):
            raise _validation(name, "configurationAggregatorName", "Member must satisfy regular expression pattern: [\\w\\-]+")
        if AccountAggregationSources and OrganizationAggregationSource:
            raise ServiceError("InvalidParameterValueException",
                               "The configuration aggregator cannot be created because your request contains both the "
                               "AccountAggregationSource and the OrganizationAggregationSource. Include only one "
                               "aggregation source and try again.")  # fmt: skip
        if not AccountAggregationSources and not OrganizationAggregationSource:
            raise ServiceError("InvalidParameterValueException",
                               "The configuration aggregator cannot be created because your request is missing either "
                               "the AccountAggregationSource or the OrganizationAggregationSource. Include the "
                               "appropriate aggregation source and try again.")  # fmt: skip
        org_source = None
        if OrganizationAggregationSource:
            org_source = self._organization_source(OrganizationAggregationSource)
        sources = list(AccountAggregationSources or [])
        if len(sources) > 1:
            raise ServiceError("ValidationException", f"Value '{sources}' at 'accountAggregationSources' failed to "
                               "satisfy constraint: Member must have length less than or equal to 1")  # fmt: skip
        for src in sources:
            if not isinstance(src, dict):
                raise _validation(src, "accountAggregationSources.member", "Member must be a structure")
            ids = src.get("AccountIds")
            if not isinstance(ids, list) or not ids:
                raise _validation(ids, "accountAggregationSources.member.accountIds", "Member must have length greater than or equal to 1")
            for a in ids:
                if not isinstance(a, str) or not re.fullmatch(r"\d{12}", a):
                    raise _validation(ids, "accountAggregationSources.member.accountIds",
                                      "Member must satisfy constraint: [Member must satisfy regular expression pattern: \\d{12}]")  # fmt: skip
            self._check_regions(src)
        if sources:
            self._check_authorized(sources[0])
        now_ms = _ms(self.now())
        prev = self.conn.execute("SELECT config FROM cfg_aggregators WHERE region = ? AND name = ?",
                                 (self.region, name)).fetchone()  # fmt: skip
        if prev is None and self.conn.execute("SELECT count(*) FROM cfg_aggregators WHERE region = ?",
                                              (self.region,)).fetchone()[0] >= 50:  # fmt: skip
            raise ServiceError("LimitExceededException", "You have reached the limit of the number of aggregators you can create.")
        created = json.loads(prev[0])["CreationTime"] if prev else now_ms
        arn = f"arn:aws:config:{self.region}:{self.account_id}:config-aggregator/config-aggregator-{uuid.uuid4().hex[:8]}"
        if prev:
            arn = json.loads(prev[0])["ConfigurationAggregatorArn"]
        cfg: dict[str, Any] = {"ConfigurationAggregatorName": name, "ConfigurationAggregatorArn": arn,
                               "CreationTime": created, "LastUpdatedTime": now_ms}  # fmt: skip
        if org_source is not None:
            cfg["OrganizationAggregationSource"] = org_source
        else:
            cfg["AccountAggregationSources"] = [{"AccountIds": list(s["AccountIds"]), "AllAwsRegions": bool(s.get("AllAwsRegions")),
                                                 **({"AwsRegions": list(s["AwsRegions"])} if s.get("AwsRegions") else {})}
                                                for s in sources]  # fmt: skip
        self.conn.execute("INSERT INTO cfg_aggregators (region, name, config) VALUES (?,?,?) ON CONFLICT (region, name) "
                          "DO UPDATE SET config = excluded.config", (self.region, name, json.dumps(cfg)))  # fmt: skip
        return {"ConfigurationAggregator": self._api_aggregator(cfg)}

    def _check_regions(self, src: Mapping[str, Any]) -> None:
        """AwsRegions xor AllAwsRegions, each a Region name (account and organization sources alike)."""
        import re

        regions = src.get("AwsRegions") or []
        if regions and src.get("AllAwsRegions"):
            raise ServiceError("InvalidParameterValueException",
                               "Your configuration aggregator contains a list of regions and also specifies the use "
                               "of all regions. You must choose one of these options.")  # fmt: skip
        if not regions and not src.get("AllAwsRegions"):
            raise ServiceError("InvalidParameterValueException",
                               "Your request does not specify any regions. Select AWS Config-supported regions and "
                               "try again.")  # fmt: skip
        for r in regions:
            if not isinstance(r, str) or not re.fullmatch(self._REGION_RE, r):
                raise ServiceError("InvalidParameterValueException", f"The region {r} is not a valid AWS Config region.")

    def _organization_source(self, src: Any) -> dict[str, Any]:
        """An OrganizationAggregationSource over the home's organization: only its management account may create
        one; no per-account authorization is needed (aggregate-data.md)."""
        import re

        if not isinstance(src, dict):
            raise _validation(src, "organizationAggregationSource", "Member must be a structure")
        role = src.get("RoleArn")
        if not isinstance(role, str) or not re.fullmatch(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+", role):
            raise _validation(role, "organizationAggregationSource.roleArn", "Member must not be null" if role is None
                              else "Member must be an IAM role ARN")  # fmt: skip
        self._check_regions(src)
        self._require_management_account()
        out: dict[str, Any] = {"RoleArn": role, "AllAwsRegions": bool(src.get("AllAwsRegions"))}
        if src.get("AwsRegions"):
            out["AwsRegions"] = list(src["AwsRegions"])
        return out

    def _require_management_account(self) -> str:
        """The organization id, when this account is the home's management account (else AWS's
        OrganizationAccessDeniedException, the text AWS gives for the organization rule operations)."""
        from awsmon.backends.local.organization import local_organization

        org = local_organization(self.store.home)
        if org is None or org.management_account != self.account_id:
            raise ServiceError("OrganizationAccessDeniedException",
                               "This action can be only made by AWS Organization's master account.")  # fmt: skip
        return org.organization_id

    def _check_authorized(self, src: Mapping[str, Any]) -> None:
        """Every source account (other than this one) must have authorized this account and Region in each source
        Region: the issue's rule for bad input (AWS itself accepts the aggregator and reports the source FAILED)."""
        from awsmon.backends.local.config_aggregate import sources

        for found in sources(self.store, self.region, {"AccountAggregationSources": [dict(src)]}):
            if not found.authorized:
                where = "" if found.exists else " (no such account in this awsmon home)"
                raise ServiceError("InvalidParameterValueException",
                                   f"Account {found.account} has not authorized account {self.account_id} to aggregate "
                                   f"its AWS Config data from {found.region}{where}. In account {found.account} and "
                                   f"Region {found.region}, run put-aggregation-authorization --authorized-account-id "
                                   f"{self.account_id} --authorized-aws-region {self.region}.")  # fmt: skip

    @api("DescribeConfigurationAggregators")
    def describe_configuration_aggregators(self, *, ConfigurationAggregatorNames: list[str] | None = None,
                                           **kw: Any) -> dict[str, Any]:  # fmt: skip
        if ConfigurationAggregatorNames:
            cfgs = [self._aggregator(n) for n in ConfigurationAggregatorNames]
        else:
            cfgs = [json.loads(r[0]) for r in self.conn.execute(
                "SELECT config FROM cfg_aggregators WHERE region = ? ORDER BY name", (self.region,))]  # fmt: skip
        return {"ConfigurationAggregators": [self._api_aggregator(c) for c in cfgs]}

    @api("DeleteConfigurationAggregator")
    def delete_configuration_aggregator(self, *, ConfigurationAggregatorName: str, **kw: Any) -> dict[str, Any]:
        self._aggregator(ConfigurationAggregatorName)
        self.conn.execute("DELETE FROM cfg_aggregators WHERE region = ? AND name = ?", (self.region, ConfigurationAggregatorName))
        return {}

    @api("DescribeConfigurationAggregatorSourcesStatus")
    def describe_configuration_aggregator_sources_status(self, *, ConfigurationAggregatorName: str,
                                                         **kw: Any) -> dict[str, Any]:  # fmt: skip
        from awsmon.backends.local.config_aggregate import sources

        cfg = self._aggregator(ConfigurationAggregatorName)
        out = []
        for src in sources(self.store, self.region, cfg):
            st: dict[str, Any] = {"SourceId": src.account, "SourceType": src.kind, "AwsRegion": src.region,
                                  "LastUpdateStatus": "SUCCEEDED" if src.authorized else "FAILED",
                                  "LastUpdateTime": self.now()}  # fmt: skip
            if not src.authorized:
                st["LastErrorCode"] = "AccessDeniedException"
                st["LastErrorMessage"] = (f"Account {src.account} has not authorized {self.account_id} to aggregate "
                                          f"its data in {src.region}" + ("" if src.exists else
                                          " (no such account in this awsmon home)"))  # fmt: skip
            out.append(st)
        return {"AggregatedSourceStatusList": out}

    @api("PutAggregationAuthorization")
    def put_aggregation_authorization(self, *, AuthorizedAccountId: str, AuthorizedAwsRegion: str,
                                      **kw: Any) -> dict[str, Any]:  # fmt: skip
        import re

        if not isinstance(AuthorizedAccountId, str) or not re.fullmatch(r"\d{12}", AuthorizedAccountId):
            raise _validation(AuthorizedAccountId, "authorizedAccountId", "Member must satisfy regular expression pattern: \\d{12}")
        if not isinstance(AuthorizedAwsRegion, str) or not re.fullmatch(self._REGION_RE, AuthorizedAwsRegion):
            raise _validation(AuthorizedAwsRegion, "authorizedAwsRegion", "Member must have length between 1 and 64 "
                              "and be a Region name")  # fmt: skip
        now_ms = _ms(self.now())
        self.conn.execute("INSERT OR IGNORE INTO cfg_authorizations (region, authorized_account, authorized_region, "
                          "created_ms) VALUES (?,?,?,?)", (self.region, AuthorizedAccountId, AuthorizedAwsRegion, now_ms))  # fmt: skip
        row = self.conn.execute("SELECT created_ms FROM cfg_authorizations WHERE region = ? AND authorized_account = ? AND "
                                "authorized_region = ?", (self.region, AuthorizedAccountId, AuthorizedAwsRegion)).fetchone()  # fmt: skip
        return {"AggregationAuthorization": self._authorization(AuthorizedAccountId, AuthorizedAwsRegion, row[0])}

    def _authorization(self, account: str, region: str, created_ms: int) -> dict[str, Any]:
        return {"AggregationAuthorizationArn": f"arn:aws:config:{self.region}:{self.account_id}:aggregation-authorization/"
                                               f"{account}/{region}",
                "AuthorizedAccountId": account, "AuthorizedAwsRegion": region, "CreationTime": _dt(created_ms)}  # fmt: skip

    @api("DescribeAggregationAuthorizations")
    def describe_aggregation_authorizations(self, **kw: Any) -> dict[str, Any]:
        rows = self.conn.execute("SELECT * FROM cfg_authorizations WHERE region = ? ORDER BY authorized_account, "
                                 "authorized_region", (self.region,)).fetchall()  # fmt: skip
        return {"AggregationAuthorizations": [self._authorization(r["authorized_account"], r["authorized_region"], r["created_ms"])
                                              for r in rows]}  # fmt: skip

    @api("DeleteAggregationAuthorization")
    def delete_aggregation_authorization(self, *, AuthorizedAccountId: str, AuthorizedAwsRegion: str,
                                         **kw: Any) -> dict[str, Any]:  # fmt: skip
        self.conn.execute("DELETE FROM cfg_authorizations WHERE region = ? AND authorized_account = ? AND authorized_region = ?",
                          (self.region, AuthorizedAccountId, AuthorizedAwsRegion))  # fmt: skip
        return {}

    @api("DescribeAggregateComplianceByConfigRules")
    def describe_aggregate_compliance_by_config_rules(self, *, ConfigurationAggregatorName: str,
                                                      Filters: dict[str, Any] | None = None, Limit: int | None = None,
                                                      NextToken: str | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        from awsmon.backends.local.config_aggregate import rule_compliance

        cfg = self._aggregator(ConfigurationAggregatorName)
        f = Filters or {}
        rows = [r for r in rule_compliance(self.store, self.region, cfg)
                if (not f.get("ConfigRuleName") or r["ConfigRuleName"] == f["ConfigRuleName"])
                and (not f.get("ComplianceType") or r["Compliance"]["ComplianceType"] == f["ComplianceType"])
                and (not f.get("AccountId") or r["AccountId"] == f["AccountId"])
                and (not f.get("AwsRegion") or r["AwsRegion"] == f["AwsRegion"])]  # fmt: skip
        n = self._limit(Limit, 1000, 1000)
        start = int(_decode_token(NextToken).get("offset", 0)) if NextToken else 0
        out: dict[str, Any] = {"AggregateComplianceByConfigRules": rows[start : start + n]}
        if len(rows) > start + n:
            out["NextToken"] = _encode_token({"offset": start + n})
        return out

    @api("GetAggregateConfigRuleComplianceSummary")
    def get_aggregate_config_rule_compliance_summary(self, *, ConfigurationAggregatorName: str,
                                                     Filters: dict[str, Any] | None = None, GroupByKey: str | None = None,
                                                     **kw: Any) -> dict[str, Any]:  # fmt: skip
        from awsmon.backends.local.config_aggregate import rule_compliance

        if GroupByKey is not None and GroupByKey not in ("ACCOUNT_ID", "AWS_REGION"):
            raise _validation(GroupByKey, "groupByKey", "Member must satisfy enum value set: [ACCOUNT_ID, AWS_REGION]")
        cfg = self._aggregator(ConfigurationAggregatorName)
        f = Filters or {}
        groups: dict[str, list[str]] = {}
        for r in rule_compliance(self.store, self.region, cfg):
            if (f.get("AccountId") and r["AccountId"] != f["AccountId"]) or (f.get("AwsRegion") and r["AwsRegion"] != f["AwsRegion"]):
                continue
            key = r["AccountId"] if GroupByKey == "ACCOUNT_ID" else r["AwsRegion"] if GroupByKey == "AWS_REGION" else ""
            groups.setdefault(key, []).append(r["Compliance"]["ComplianceType"])
        now = self.now()

        def summary(kinds: list[str]) -> dict[str, Any]:
            c, nc = kinds.count("COMPLIANT"), kinds.count("NON_COMPLIANT")
            return {"CompliantResourceCount": {"CappedCount": min(c, 100), "CapExceeded": c > 100},
                    "NonCompliantResourceCount": {"CappedCount": min(nc, 100), "CapExceeded": nc > 100},
                    "ComplianceSummaryTimestamp": now}  # fmt: skip

        out: dict[str, Any] = {"AggregateComplianceCounts": [{"GroupName": k, "ComplianceSummary": summary(v)}
                                                             for k, v in sorted(groups.items())]}  # fmt: skip
        if GroupByKey:
            out["GroupByKey"] = GroupByKey
        else:
            out["AggregateComplianceCounts"] = [{"ComplianceSummary": c["ComplianceSummary"]} for c in out["AggregateComplianceCounts"]]
        return out

    @api("GetAggregateDiscoveredResourceCounts")
    def get_aggregate_discovered_resource_counts(self, *, ConfigurationAggregatorName: str,
                                                 Filters: dict[str, Any] | None = None, GroupByKey: str | None = None,
                                                 **kw: Any) -> dict[str, Any]:  # fmt: skip
        from awsmon.backends.local.config_aggregate import resource_counts

        if GroupByKey is not None and GroupByKey not in ("RESOURCE_TYPE", "ACCOUNT_ID", "AWS_REGION"):
            raise _validation(GroupByKey, "groupByKey", "Member must satisfy enum value set: [RESOURCE_TYPE, ACCOUNT_ID, AWS_REGION]")
        cfg = self._aggregator(ConfigurationAggregatorName)
        f = Filters or {}
        total = 0
        groups: dict[str, int] = {}
        for account, region, rtype, n in resource_counts(self.store, self.region, cfg):
            if (f.get("ResourceType") and rtype != f["ResourceType"]) or (f.get("AccountId") and account != f["AccountId"]) \
                    or (f.get("Region") and region != f["Region"]):
                continue
            total += n
            if GroupByKey:
                key = {"RESOURCE_TYPE": rtype, "ACCOUNT_ID": account, "AWS_REGION": region}[GroupByKey]
                groups[key] = groups.get(key, 0) + n
        out: dict[str, Any] = {"TotalDiscoveredResources": total}
        if GroupByKey:
            out["GroupByKey"] = GroupByKey
            out["GroupedResourceCounts"] = [{"GroupName": k, "ResourceCount": v} for k, v in sorted(groups.items())]
        return out

    # -- advanced query -----------------------------------------------------------------------------------------
    def _select(self, expression: Any, items: Any, limit: Any, token: str | None) -> dict[str, Any]:
        from awsmon.engines.config_select import MAX_LIMIT, QueryError, parse, run

        try:
            query = parse(expression)
        except QueryError as exc:
            raise ServiceError("InvalidExpressionException", str(exc)) from None
        n = self._limit(limit, MAX_LIMIT, MAX_LIMIT)
        try:
            names, rows = run(query, items)
        except QueryError as exc:
            raise ServiceError("InvalidExpressionException", str(exc)) from None
        start = int(_decode_token(token).get("offset", 0)) if token else 0
        out: dict[str, Any] = {"Results": [json.dumps(r, separators=(",", ":"), default=str) for r in rows[start : start + n]],
                               "QueryInfo": {"SelectFields": [{"Name": name} for name in names]}}  # fmt: skip
        if len(rows) > start + n:
            out["NextToken"] = _encode_token({"offset": start + n})
        return out

    @api("SelectResourceConfig")
    def select_resource_config(self, *, Expression: str, Limit: int | None = None, NextToken: str | None = None,
                               **kw: Any) -> dict[str, Any]:  # fmt: skip
        from awsmon.engines.config_select import query_item

        self._sync()
        rows = self.conn.execute("SELECT i.item FROM cfg_resources r JOIN cfg_items i ON i.id = r.last_item_id "
                                 "WHERE r.region = ? AND r.deleted_ms IS NULL ORDER BY r.resource_type, r.resource_id",
                                 (self.region,))  # fmt: skip
        return self._select(Expression, (query_item(json.loads(r[0])) for r in rows), Limit, NextToken)

    @api("SelectAggregateResourceConfig")
    def select_aggregate_resource_config(self, *, Expression: str, ConfigurationAggregatorName: str,
                                         Limit: int | None = None, MaxResults: int | None = None,
                                         NextToken: str | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        from awsmon.backends.local.config_aggregate import resource_items
        from awsmon.engines.config_select import query_item

        cfg = self._aggregator(ConfigurationAggregatorName)
        self._sync()
        items = (query_item(item) for _, item in resource_items(self.store, self.region, cfg))
        return self._select(Expression, items, Limit or MaxResults, NextToken)

    # -- compliance ---------------------------------------------------------------------------------------------
    @staticmethod
    def _compliance_types(values: list[str] | None, allowed: tuple[str, ...]) -> list[str]:
        for v in values or []:
            if v not in allowed:
                raise ServiceError("InvalidParameterValueException",
                                   f"The compliance type {v} is not valid. Valid values are {', '.join(allowed)}.")  # fmt: skip
        return list(values or [])

    @staticmethod
    def _compliance(ctype: str, count: int) -> dict[str, Any]:
        out: dict[str, Any] = {"ComplianceType": ctype}
        if ctype == "NON_COMPLIANT":
            out["ComplianceContributorCount"] = {"CappedCount": min(count, 100), "CapExceeded": count > 100}
        return out

    @api("DescribeComplianceByConfigRule")
    def describe_compliance_by_config_rule(self, *, ConfigRuleNames: list[str] | None = None,
                                           ComplianceTypes: list[str] | None = None, NextToken: str | None = None,
                                           **kw: Any) -> dict[str, Any]:  # fmt: skip
        from awsmon.engines.config_rules import summarize

        wanted = self._compliance_types(ComplianceTypes, ("COMPLIANT", "NON_COMPLIANT", "INSUFFICIENT_DATA"))
        self._sync()
        names = list(ConfigRuleNames or []) or [r[0] for r in self.conn.execute(
            "SELECT name FROM cfg_rules WHERE region = ? ORDER BY name", (self.region,))]  # fmt: skip
        out = []
        for n in names:
            self._rule_row(n)
            kinds = [r[0] for r in self.conn.execute(
                "SELECT compliance FROM cfg_results WHERE region = ? AND rule_name = ?", (self.region, n))]  # fmt: skip
            ctype, count = summarize(kinds)
            if ctype == "NOT_APPLICABLE":
                ctype = "INSUFFICIENT_DATA"
            if wanted and ctype not in wanted:
                continue
            out.append({"ConfigRuleName": n, "Compliance": self._compliance(ctype, count)})
        return {"ComplianceByConfigRules": out}

    @api("DescribeComplianceByResource")
    def describe_compliance_by_resource(self, *, ResourceType: str | None = None, ResourceId: str | None = None,
                                        ComplianceTypes: list[str] | None = None, Limit: int | None = None,
                                        NextToken: str | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        from awsmon.engines.config_rules import summarize

        wanted = self._compliance_types(ComplianceTypes, ("COMPLIANT", "NON_COMPLIANT", "INSUFFICIENT_DATA"))
        n = self._limit(Limit, 100)
        if ResourceId and not ResourceType:
            raise ServiceError("InvalidParameterValueException", "ResourceType is required when ResourceId is given.")
        self._sync()
        sql = "SELECT resource_type, resource_id, compliance FROM cfg_results WHERE region = ? AND compliance != 'NOT_APPLICABLE'"
        conds, values = equal_filters(resource_type=ResourceType or None, resource_id=ResourceId or None)
        sql += "".join(f" AND {c}" for c in conds)
        args = [self.region, *values]
        per: dict[tuple[str, str], list[str]] = {}
        for r in self.conn.execute(sql + " ORDER BY resource_type, resource_id", args):
            per.setdefault((r[0], r[1]), []).append(r[2])
        rows = []
        for (rtype, rid), kinds in per.items():
            ctype, count = summarize(kinds)
            if wanted and ctype not in wanted:
                continue
            rows.append({"ResourceType": rtype, "ResourceId": rid, "Compliance": self._compliance(ctype, count)})
        start = int(_decode_token(NextToken).get("offset", 0)) if NextToken else 0
        out: dict[str, Any] = {"ComplianceByResources": rows[start : start + n]}
        if len(rows) > start + n:
            out["NextToken"] = _encode_token({"offset": start + n})
        return out

    def _results(self, where: str, args: list[Any], types: list[str], limit: int, token: str | None) -> dict[str, Any]:
        sql = f"SELECT * FROM cfg_results WHERE region = ? AND {where}"
        full = [self.region, *args]
        chosen = types or ["COMPLIANT", "NON_COMPLIANT"]
        sql += f" AND compliance IN ({','.join('?' * len(chosen))})"
        full += chosen
        start = int(_decode_token(token).get("offset", 0)) if token else 0
        rows = self.conn.execute(sql + " ORDER BY rule_name, resource_type, resource_id LIMIT ? OFFSET ?",
                                 (*full, limit + 1, start)).fetchall()  # fmt: skip
        results = []
        for r in rows[:limit]:
            res: dict[str, Any] = {
                "EvaluationResultIdentifier": {
                    "EvaluationResultQualifier": {"ConfigRuleName": r["rule_name"], "ResourceType": r["resource_type"],
                                                  "ResourceId": r["resource_id"], "EvaluationMode": "DETECTIVE"},
                    "OrderingTimestamp": _dt(r["ordering_ms"]),
                },
                "ComplianceType": r["compliance"],
                "ResultRecordedTime": _dt(r["recorded_ms"]),
                "ConfigRuleInvokedTime": _dt(r["invoked_ms"]),
            }  # fmt: skip
            if r["annotation"]:
                res["Annotation"] = r["annotation"]
            results.append(res)
        out: dict[str, Any] = {"EvaluationResults": results}
        if len(rows) > limit:
            out["NextToken"] = _encode_token({"offset": start + limit})
        return out

    @api("GetComplianceDetailsByConfigRule")
    def get_compliance_details_by_config_rule(self, *, ConfigRuleName: str, ComplianceTypes: list[str] | None = None,
                                              Limit: int | None = None, NextToken: str | None = None,
                                              **kw: Any) -> dict[str, Any]:  # fmt: skip
        types = self._compliance_types(ComplianceTypes, ("COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE"))
        self._rule_row(ConfigRuleName)
        self._sync()
        return self._results("rule_name = ?", [ConfigRuleName], types, self._limit(Limit, 100), NextToken)

    @api("GetComplianceDetailsByResource")
    def get_compliance_details_by_resource(self, *, ResourceType: str, ResourceId: str,
                                           ComplianceTypes: list[str] | None = None, NextToken: str | None = None,
                                           **kw: Any) -> dict[str, Any]:  # fmt: skip
        types = self._compliance_types(ComplianceTypes, ("COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE"))
        self._sync()
        return self._results("resource_type = ? AND resource_id = ?", [ResourceType, ResourceId], types, 100, NextToken)
