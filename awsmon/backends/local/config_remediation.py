"""Local AWS Config remediation: AWS-owned Systems Manager Automation runbooks acting on the local resources.

A remediation configuration (PutRemediationConfigurations) names a runbook (``TargetType`` SSM_DOCUMENT,
``TargetId``) and its parameters (``ResourceValue: {Value: RESOURCE_ID}`` or ``StaticValue: {Values: [...]}``).
An execution (StartRemediationExecution, or automatic on a NON_COMPLIANT result) runs the runbook's steps through
the owning local services' *recorded* operations (``facts.api_client``), as the principal the runbook's
``AutomationAssumeRole`` names (CloudTrail shows an AssumedRole session), so the change is a real change: Config
records it and the rule is evaluated again right after a successful execution (``remediation.md``: "the rule is
evaluated again"). An execution is QUEUED, then IN_PROGRESS, then SUCCEEDED or FAILED on the simulated clock
(scheduler kind ``config.remediation``). Automatic executions that fail are retried every ``RetryAttemptSeconds``
until ``MaximumAutomaticAttempts`` (scheduler kind ``config.remediate``).

Runbooks (names, parameters, types and defaults from the Systems Manager Automation runbook reference):

* ``AWS-DisablePublicAccessForSecurityGroup``: GroupId (String, required), IpAddressToBlock (String, optional),
  AutomationAssumeRole — revokes ingress to ports 22 and 3389 from 0.0.0.0/0 and ::/0 (or the given address);
* ``AWS-ConfigureS3BucketVersioning``: BucketName (required), VersioningState (Enabled | Suspended, default Enabled),
  AutomationAssumeRole;
* ``AWS-DisableS3BucketPublicReadWrite``: S3BucketName (required), AutomationAssumeRole — turns on all four Block
  Public Access settings;
* ``AWSConfigRemediation-ConfigureS3BucketPublicAccessBlock``: BucketName (required), RestrictPublicBuckets,
  BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy (Boolean, default true), AutomationAssumeRole (required);
* ``AWSConfigRemediation-EnableCloudTrailLogFileValidation``: TrailName (required), AutomationAssumeRole (required);
* ``AWSConfigRemediation-SetCloudWatchLogGroupRetention``: LogGroupName (required), RetentionInDays (Integer, default
  3653), AutomationAssumeRole (required).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from awsmon.backends.local import facts, scheduler
from awsmon.errors import ServiceError

if TYPE_CHECKING:
    from awsmon.backends.local.store import AccountStore

ROLE_RE = re.compile(r"arn:aws:iam::\d{12}:role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}")


@dataclass(frozen=True)
class Param:
    type: str  # String | Boolean | Integer | StringList
    required: bool = False
    default: Any = None
    allowed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Runbook:
    name: str
    params: dict[str, Param]
    step: str  # the step name shown in StepDetails
    run: Callable[[Callable[[str], Any], dict[str, Any]], None]


def _disable_public_sg(client: Callable[[str], Any], p: dict[str, Any]) -> None:
    ec2 = client("ec2")
    groups = ec2.describe_security_groups(GroupIds=[p["GroupId"]]).get("SecurityGroups") or []
    blocked = {p["IpAddressToBlock"]} if p.get("IpAddressToBlock") else {"0.0.0.0/0", "::/0"}
    revoke = []
    for perm in groups[0].get("IpPermissions") or [] if groups else []:
        lo, hi = perm.get("FromPort", -1), perm.get("ToPort", -1)
        all_ports = perm.get("IpProtocol") == "-1" or lo in (-1, None)
        if not all_ports and not any(lo <= port <= hi for port in (22, 3389)):
            continue
        v4 = [r for r in perm.get("IpRanges") or [] if r.get("CidrIp") in blocked]
        v6 = [r for r in perm.get("Ipv6Ranges") or [] if r.get("CidrIpv6") in blocked]
        if v4 or v6:
            keep = {k: perm[k] for k in ("IpProtocol", "FromPort", "ToPort") if k in perm}
            revoke.append({**keep, "IpRanges": v4, "Ipv6Ranges": v6})
    if revoke:
        ec2.revoke_security_group_ingress(GroupId=p["GroupId"], IpPermissions=revoke)


def _versioning(client: Callable[[str], Any], p: dict[str, Any]) -> None:
    client("s3").put_bucket_versioning(Bucket=p["BucketName"], VersioningConfiguration={"Status": p["VersioningState"]})


def _public_rw(client: Callable[[str], Any], p: dict[str, Any]) -> None:
    client("s3").put_public_access_block(Bucket=p["S3BucketName"], PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})  # fmt: skip


def _pab(client: Callable[[str], Any], p: dict[str, Any]) -> None:
    client("s3").put_public_access_block(Bucket=p["BucketName"], PublicAccessBlockConfiguration={
        k: bool(p[k]) for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")})  # fmt: skip


def _trail_validation(client: Callable[[str], Any], p: dict[str, Any]) -> None:
    client("cloudtrail").update_trail(Name=p["TrailName"], EnableLogFileValidation=True)


def _retention(client: Callable[[str], Any], p: dict[str, Any]) -> None:
    client("logs").put_retention_policy(logGroupName=p["LogGroupName"], retentionInDays=int(p["RetentionInDays"]))


_ROLE = Param("String")
_ROLE_REQUIRED = Param("String", required=True)
_TRUE = Param("Boolean", default=True)
RUNBOOKS: dict[str, Runbook] = {r.name: r for r in (
    Runbook("AWS-DisablePublicAccessForSecurityGroup",
            {"GroupId": Param("String", required=True), "IpAddressToBlock": Param("String"), "AutomationAssumeRole": _ROLE},
            "DisableFromIpV4V6", _disable_public_sg),
    Runbook("AWS-ConfigureS3BucketVersioning",
            {"BucketName": Param("String", required=True),
             "VersioningState": Param("String", default="Enabled", allowed=("Enabled", "Suspended")),
             "AutomationAssumeRole": _ROLE}, "ConfigureVersioning", _versioning),
    Runbook("AWS-DisableS3BucketPublicReadWrite",
            {"S3BucketName": Param("String", required=True), "AutomationAssumeRole": _ROLE},
            "DisableS3BucketPublicReadWrite", _public_rw),
    Runbook("AWSConfigRemediation-ConfigureS3BucketPublicAccessBlock",
            {"BucketName": Param("String", required=True), "RestrictPublicBuckets": _TRUE, "BlockPublicAcls": _TRUE,
             "IgnorePublicAcls": _TRUE, "BlockPublicPolicy": _TRUE, "AutomationAssumeRole": _ROLE_REQUIRED},
            "PutBucketPublicAccessBlock", _pab),
    Runbook("AWSConfigRemediation-EnableCloudTrailLogFileValidation",
            {"TrailName": Param("String", required=True), "AutomationAssumeRole": _ROLE_REQUIRED},
            "UpdateTrail", _trail_validation),
    Runbook("AWSConfigRemediation-SetCloudWatchLogGroupRetention",
            {"LogGroupName": Param("String", required=True), "RetentionInDays": Param("Integer", default=3653),
             "AutomationAssumeRole": _ROLE_REQUIRED}, "SetCloudWatchLogGroupRetention", _retention),
)}  # fmt: skip


def _bad(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValueException", message)


def validate(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Check one RemediationConfiguration (the rule's existence is checked by the caller); returns what is stored."""
    if cfg.get("TargetType", "SSM_DOCUMENT") != "SSM_DOCUMENT":
        raise ServiceError("ValidationException", f"1 validation error detected: Value '{cfg.get('TargetType')}' at "
                           "'remediationConfigurations.member.targetType' failed to satisfy constraint: Member must "
                           "satisfy enum value set: [SSM_DOCUMENT]")  # fmt: skip
    target = cfg.get("TargetId")
    book = RUNBOOKS.get(str(target))
    if book is None:
        raise _bad(f"The SSM document {target} does not exist or is not supported by awsmon's local account. Supported "
                   f"documents: {', '.join(sorted(RUNBOOKS))}.")  # fmt: skip
    params = cfg.get("Parameters") or {}
    if not isinstance(params, dict):
        raise _bad("Parameters must be a map of parameter name to ResourceValue or StaticValue")
    for name, value in params.items():
        spec = book.params.get(name)
        if spec is None:
            raise _bad(f"Parameter {name} is not a parameter of SSM document {target}. Valid parameters: "
                       f"{', '.join(book.params)}.")  # fmt: skip
        if not isinstance(value, dict) or ("ResourceValue" in value) == ("StaticValue" in value):
            raise _bad(f"Parameter {name} must have exactly one of ResourceValue or StaticValue.")
        if "ResourceValue" in value:
            if (value["ResourceValue"] or {}).get("Value") != "RESOURCE_ID":
                raise _bad(f"The ResourceValue of parameter {name} must be RESOURCE_ID.")
            continue
        values = (value["StaticValue"] or {}).get("Values")
        if not isinstance(values, list) or not values:
            raise _bad(f"The StaticValue of parameter {name} must have Values.")
        _convert(name, spec, values)
        if name == "AutomationAssumeRole" and not ROLE_RE.fullmatch(str(values[0])):
            raise _bad(f"The AutomationAssumeRole {values[0]} is not a valid IAM role ARN.")
    for name, spec in book.params.items():
        if spec.required and name not in params and name != "AutomationAssumeRole":
            raise _bad(f"Required parameter {name} of SSM document {target} is not provided.")
    if cfg.get("Automatic") and "AutomationAssumeRole" not in params:
        raise _bad("AutomationAssumeRole is required for automatic remediation: provide a StaticValue for "
                   "AutomationAssumeRole.")  # fmt: skip
    attempts = cfg.get("MaximumAutomaticAttempts", 5)
    seconds = cfg.get("RetryAttemptSeconds", 60)
    if isinstance(attempts, bool) or not isinstance(attempts, int) or not 1 <= attempts <= 25:
        raise ServiceError("ValidationException", f"1 validation error detected: Value '{attempts}' at "
                           "'remediationConfigurations.member.maximumAutomaticAttempts' failed to satisfy constraint: "
                           "Member must have value between 1 and 25")  # fmt: skip
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 1 <= seconds <= 2678000:
        raise ServiceError("ValidationException", f"1 validation error detected: Value '{seconds}' at "
                           "'remediationConfigurations.member.retryAttemptSeconds' failed to satisfy constraint: "
                           "Member must have value between 1 and 2678000")  # fmt: skip
    stored = {k: cfg[k] for k in ("ConfigRuleName", "TargetType", "TargetId", "TargetVersion", "Parameters",
                                  "ResourceType", "Automatic", "ExecutionControls") if k in cfg}  # fmt: skip
    stored.setdefault("TargetType", "SSM_DOCUMENT")
    stored["Automatic"] = bool(cfg.get("Automatic", False))
    stored["MaximumAutomaticAttempts"] = attempts
    stored["RetryAttemptSeconds"] = seconds
    return stored


def _convert(name: str, spec: Param, values: list[Any]) -> Any:
    if spec.type == "StringList":
        return [str(v) for v in values]
    if len(values) != 1:
        raise _bad(f"Parameter {name} takes one value, got {len(values)}.")
    v = values[0]
    if spec.type == "Integer":
        try:
            return int(str(v))
        except ValueError:
            raise _bad(f"Parameter {name} of type Integer has the value {v}, which is not an integer.") from None
    if spec.type == "Boolean":
        if str(v).lower() not in ("true", "false"):
            raise _bad(f"Parameter {name} of type Boolean has the value {v}, which is not true or false.")
        return str(v).lower() == "true"
    if spec.allowed and str(v) not in spec.allowed:
        raise _bad(f"Parameter {name} has the value {v}; allowed values: {', '.join(spec.allowed)}.")
    return str(v)


def resolved(cfg: Mapping[str, Any], resource_id: str) -> dict[str, Any]:
    book = RUNBOOKS[cfg["TargetId"]]
    out = {n: p.default for n, p in book.params.items() if p.default is not None}
    for name, value in (cfg.get("Parameters") or {}).items():
        out[name] = resource_id if "ResourceValue" in value else _convert(name, book.params[name], value["StaticValue"]["Values"])
    return out


def _as_role(role: str | None, session: str) -> Any:
    return facts.acting_as(role, session)


def _ms(dt: datetime) -> int:
    return int(round(dt.timestamp() * 1000))


# [design choice] AWS publishes no durations: an execution waits QUEUED this long, then runs its step IN_PROGRESS
# this long; the runbook's change happens (and the rule is evaluated again) when the step ends.
QUEUED_SECONDS = 1
IN_PROGRESS_SECONDS = 2

_running: set[tuple[str, str, str, str]] = set()  # executions running their step in this process (no re-entry)


def _row(store: AccountStore, key: tuple[str, str, str, str]) -> Any:
    return store.conn.execute("SELECT * FROM cfg_remediation_execs WHERE region = ? AND rule_name = ? AND "
                              "resource_type = ? AND resource_id = ?", key).fetchone()  # fmt: skip


def _write(store: AccountStore, key: tuple[str, str, str, str], state: str, attempts: int, invoked_ms: int,
           updated_ms: int, step: dict[str, Any], automatic: bool) -> None:  # fmt: skip
    store.conn.execute(
        "INSERT INTO cfg_remediation_execs (region, rule_name, resource_type, resource_id, state, attempts, invoked_ms, "
        "updated_ms, steps, automatic) VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (region, rule_name, resource_type, "
        "resource_id) DO UPDATE SET state = excluded.state, attempts = excluded.attempts, invoked_ms = excluded.invoked_ms, "
        "updated_ms = excluded.updated_ms, steps = excluded.steps, automatic = excluded.automatic",
        (*key, state, attempts, invoked_ms, updated_ms, json.dumps([step]), int(automatic)),
    )  # fmt: skip


def execute(store: AccountStore, region: str, cfg: Mapping[str, Any], rtype: str, rid: str, *, automatic: bool,
            when: datetime | None = None) -> str:  # fmt: skip
    """Start one remediation (at ``when``: a retry's due time; default now): it is QUEUED, then IN_PROGRESS, then
    SUCCEEDED or FAILED as the simulated clock passes (scheduler kind ``config.remediation``, :func:`advance`).
    An execution already queued or running for the resource is left to finish. Returns the state."""
    key = (region, cfg["ConfigRuleName"], rtype, rid)
    prev = _row(store, key)
    if prev is not None and prev["state"] in ("QUEUED", "IN_PROGRESS"):
        return str(prev["state"])
    now = when or store.now()
    now_ms = _ms(now)
    attempts = (int(prev["attempts"]) if prev is not None and prev["state"] == "FAILED" and automatic else 0) + 1
    book = RUNBOOKS[cfg["TargetId"]]
    _write(store, key, "QUEUED", attempts, now_ms, now_ms, {"Name": book.step, "State": "PENDING"}, automatic)
    scheduler.unschedule(store, "config.remediate", "\t".join(key))
    scheduler.schedule(store, "config.remediation", "\t".join(key), now + timedelta(seconds=QUEUED_SECONDS))
    return "QUEUED"


def advance(store: AccountStore, region: str, cfg: Mapping[str, Any] | None, rtype: str, rid: str, due: datetime,
            evaluate: Callable[[], None], rule_name: str) -> datetime | None:  # fmt: skip
    """The next state of a queued or running execution at ``due``; returns when to look again (None: finished).
    ``evaluate`` re-evaluates the rule after a success. A configuration deleted meanwhile fails the execution."""
    key = (region, rule_name, rtype, rid)
    row = _row(store, key)
    if row is None or row["state"] not in ("QUEUED", "IN_PROGRESS"):
        return None
    due_ms = _ms(due)
    step = (json.loads(row["steps"] or "[]") or [{"Name": "Remediation"}])[0]
    automatic = bool(row["automatic"])
    if cfg is None:
        _write(store, key, "FAILED", int(row["attempts"]), int(row["invoked_ms"]), due_ms,
               {**step, "State": "FAILED", "StartTime": step.get("StartTime", due_ms), "StopTime": due_ms,
                "ErrorMessage": "The remediation configuration was deleted."}, automatic)  # fmt: skip
        return None
    book = RUNBOOKS[cfg["TargetId"]]
    if row["state"] == "QUEUED":
        _write(store, key, "IN_PROGRESS", int(row["attempts"]), int(row["invoked_ms"]), due_ms,
               {"Name": book.step, "State": "PENDING", "StartTime": due_ms}, automatic)  # fmt: skip
        return due + timedelta(seconds=IN_PROGRESS_SECONDS)
    if key in _running:
        return None
    params = resolved(cfg, rid)
    missing = [n for n, p in book.params.items() if p.required and params.get(n) is None]
    error = None
    _running.add(key)
    try:
        if missing:
            error = f"Required parameter(s) {', '.join(missing)} of {book.name} have no value."
        else:
            session = f"{book.name}-{int(row['invoked_ms'])}"[:64]
            with _as_role(params.get("AutomationAssumeRole"), session):
                try:
                    book.run(lambda service: facts.api_client(store, region, service), params)
                except ServiceError as exc:
                    error = f"{exc.code}: {exc.message}"
        _finish(store, cfg, key, book, error, int(row["attempts"]), int(step.get("StartTime", due_ms)),
                int(row["invoked_ms"]), due, automatic)  # fmt: skip
        if not error:
            evaluate()  # inside the guard: a result still NON_COMPLIANT does not start the same execution again
    finally:
        _running.discard(key)
    return None


def _finish(store: AccountStore, cfg: Mapping[str, Any], key: tuple[str, str, str, str], book: Runbook,
            error: str | None, attempts: int, started_ms: int, invoked_ms: int, now: datetime, automatic: bool) -> str:  # fmt: skip
    now_ms = _ms(now)
    state = "FAILED" if error else "SUCCEEDED"
    step: dict[str, Any] = {"Name": book.step, "State": state, "StartTime": started_ms, "StopTime": now_ms}
    if error:
        step["ErrorMessage"] = error[:1000]
    _write(store, key, state, attempts, invoked_ms, now_ms, step, automatic)
    job_key = "\t".join(key)
    if error and automatic and attempts < int(cfg.get("MaximumAutomaticAttempts", 5)):
        scheduler.schedule(store, "config.remediate", job_key, now + timedelta(seconds=int(cfg.get("RetryAttemptSeconds", 60))))
    else:
        scheduler.unschedule(store, "config.remediate", job_key)
    return state


def execution_status(row: Mapping[str, Any]) -> dict[str, Any]:
    """AWS's RemediationExecutionStatus: the step is PENDING while QUEUED (no StartTime) and IN_PROGRESS."""
    def when(ms: int) -> datetime:
        return datetime.fromtimestamp(ms / 1000, UTC)

    steps = []
    for s in json.loads(row["steps"] or "[]"):
        step: dict[str, Any] = {"Name": s["Name"], "State": s["State"]}
        if s.get("StartTime") is not None:
            step["StartTime"] = when(s["StartTime"])
        if s.get("StopTime") is not None:
            step["StopTime"] = when(s["StopTime"])
        if s.get("ErrorMessage"):
            step["ErrorMessage"] = s["ErrorMessage"]
        steps.append(step)
    return {"ResourceKey": {"resourceType": row["resource_type"], "resourceId": row["resource_id"]}, "State": row["state"],
            "StepDetails": steps, "InvocationTime": when(row["invoked_ms"]), "LastUpdatedTime": when(row["updated_ms"])}
