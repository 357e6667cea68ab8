"""AWS Config managed rules: parameter validation and pure evaluators (no I/O).

Identifiers, parameters (name, type, optionality, default) and triggers follow the AWS per-rule pages and moto's
managed-rule catalogue (``config.md`` §4). Only rules over the resource types the local account simulates are
implemented; every other identifier is rejected by :func:`validate_rule` with AWS's error text.

Evaluators take the recorded configuration of one resource (the ``configuration`` object of a configuration item,
already JSON-decoded) or, for account-level rules, a small account state, and return ``(ComplianceType, annotation)``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

COMPLIANT = "COMPLIANT"
NON_COMPLIANT = "NON_COMPLIANT"
NOT_APPLICABLE = "NOT_APPLICABLE"
INSUFFICIENT_DATA = "INSUFFICIENT_DATA"
COMPLIANCE_TYPES = (COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE, INSUFFICIENT_DATA)

ACCOUNT_TYPE = "AWS::::Account"
FREQUENCIES = {"One_Hour": 1, "Three_Hours": 3, "Six_Hours": 6, "Twelve_Hours": 12, "TwentyFour_Hours": 24}
DEFAULT_FREQUENCY = "TwentyFour_Hours"
RETENTION_VALUES = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)

Result = tuple[str, str | None]


class RuleError(Exception):
    """A PutConfigRule validation failure: AWS's error code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # String | int | CSV | boolean
    optional: bool = True
    default: str | None = None


@dataclass(frozen=True)
class ManagedRule:
    identifier: str
    resource_types: tuple[str, ...]  # empty for account-level rules
    change: bool  # evaluated when a configuration item of a scoped type is recorded
    periodic: bool  # evaluated every MaximumExecutionFrequency
    params: tuple[Param, ...] = ()
    evaluate: Callable[[Mapping[str, Any], Mapping[str, Any]], Result] | None = field(default=None, repr=False)
    evaluate_account: Callable[[Mapping[str, Any], Mapping[str, Any]], Result] | None = field(default=None, repr=False)

    @property
    def account_level(self) -> bool:
        return self.evaluate_account is not None

    @property
    def trigger(self) -> str:
        return "Configuration changes and Periodic" if self.change and self.periodic else (
            "Configuration changes" if self.change else "Periodic")  # fmt: skip


# -- parameter parsing ---------------------------------------------------------------------------------------------


def _text(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    text = str(value).strip() if not isinstance(value, bool) else str(value).lower()
    return text or None


def _csv(params: Mapping[str, Any], name: str) -> list[str]:
    text = _text(params, name)
    return [p.strip() for p in text.split(",") if p.strip()] if text else []


def _bool(params: Mapping[str, Any], name: str, default: bool) -> bool:
    text = _text(params, name)
    return default if text is None else text.lower() == "true"


def _int(params: Mapping[str, Any], name: str, default: int | None) -> int | None:
    text = _text(params, name)
    return default if text is None else int(text)


def rule_parameters(rule: ManagedRule, input_parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The effective parameters: the given ones plus defaults of those left out."""
    out = {p.name: p.default for p in rule.params if p.default is not None}
    out.update({k: v for k, v in input_parameters.items() if v is not None})
    return out


# -- evaluators: AWS::Logs::LogGroup ------------------------------------------------------------------------------


def _log_group_retention(cfg: Mapping[str, Any], params: Mapping[str, Any]) -> Result:
    names = _csv(params, "LogGroupNames")
    name = str(cfg.get("logGroupName") or "")
    # The current AWS page reads "a list of log group name prefixes"; a name is a prefix of itself.
    if names and not any(name.startswith(n) for n in names):
        return NOT_APPLICABLE, None
    minimum = _int(params, "MinRetentionTime", 365) or 365
    days = cfg.get("retentionInDays")
    if days is None:
        return COMPLIANT, None  # "Never expire" is COMPLIANT (AWS rule page)
    if int(days) < minimum:
        return NON_COMPLIANT, f"Retention period {days} days is less than the minimum of {minimum} days."
    return COMPLIANT, None


def _log_group_encrypted(cfg: Mapping[str, Any], params: Mapping[str, Any]) -> Result:
    key = cfg.get("kmsKeyId")
    if not key:
        return NON_COMPLIANT, "The log group is not encrypted with an AWS KMS key."
    wanted = _text(params, "KmsKeyId")
    if wanted and key != wanted:
        return NON_COMPLIANT, f"The log group is encrypted with {key}, not {wanted}."
    return COMPLIANT, None


# -- evaluators: AWS::CloudWatch::Alarm ---------------------------------------------------------------------------


def _alarm_action(cfg: Mapping[str, Any], params: Mapping[str, Any]) -> Result:
    named = [a for a in (_text(params, f"action{i}") for i in range(1, 6)) if a]
    checks = (("alarmActionRequired", True, "AlarmActions", "ALARM"),
              ("insufficientDataActionRequired", True, "InsufficientDataActions", "INSUFFICIENT_DATA"),
              ("okActionRequired", False, "OKActions", "OK"))  # fmt: skip
    for param, default, key, state in checks:
        if not _bool(params, param, default):
            continue
        actions = list(cfg.get(key) or [])
        if not actions:
            return NON_COMPLIANT, f"No action is configured for the {state} state."
        if named and not any(a in named for a in actions):
            return NON_COMPLIANT, f"None of the {state} actions is one of the named actions."
    return COMPLIANT, None


def _alarm_action_enabled(cfg: Mapping[str, Any], params: Mapping[str, Any]) -> Result:
    if cfg.get("ActionsEnabled", True):
        return COMPLIANT, None
    return NON_COMPLIANT, "Alarm actions are disabled."


def _alarm_description(cfg: Mapping[str, Any], params: Mapping[str, Any]) -> Result:
    if str(cfg.get("AlarmDescription") or "").strip():
        return COMPLIANT, None
    return NON_COMPLIANT, "The alarm has no description."


def _alarm_settings(cfg: Mapping[str, Any], params: Mapping[str, Any]) -> Result:
    if cfg.get("MetricName") != _text(params, "metricName"):
        return NOT_APPLICABLE, None
    period = _int(params, "period", 300)
    if period is not None and cfg.get("Period") != period:
        return NON_COMPLIANT, f"Period is {cfg.get('Period')}, expected {period}."
    statistic = _text(params, "statistic")
    if statistic and cfg.get("Statistic") != statistic:
        return NON_COMPLIANT, f"Statistic is {cfg.get('Statistic')}, expected {statistic}."
    operator = _text(params, "comparisonOperator")
    if operator and cfg.get("ComparisonOperator") != operator:
        return NON_COMPLIANT, f"ComparisonOperator is {cfg.get('ComparisonOperator')}, expected {operator}."
    threshold = _int(params, "threshold", None)
    if threshold is not None and cfg.get("Threshold") != threshold:
        return NON_COMPLIANT, f"Threshold is {cfg.get('Threshold')}, expected {threshold}."
    periods = _int(params, "evaluationPeriods", None)
    if periods is not None and cfg.get("EvaluationPeriods") != periods:
        return NON_COMPLIANT, f"EvaluationPeriods is {cfg.get('EvaluationPeriods')}, expected {periods}."
    return COMPLIANT, None


# -- evaluators: AWS::SNS::Topic ----------------------------------------------------------------------------------


def _sns_encrypted(cfg: Mapping[str, Any], params: Mapping[str, Any]) -> Result:
    key = cfg.get("KmsMasterKeyId")
    if not key:
        return NON_COMPLIANT, "The topic is not encrypted with AWS KMS."
    allowed = _csv(params, "kmsKeyIds")
    if allowed and key not in allowed:
        return NON_COMPLIANT, f"The topic's KMS key {key} is not in kmsKeyIds."
    return COMPLIANT, None


# -- evaluators: AWS::CloudTrail::Trail ---------------------------------------------------------------------------


def _trail_validation(cfg: Mapping[str, Any], params: Mapping[str, Any]) -> Result:
    if cfg.get("LogFileValidationEnabled"):
        return COMPLIANT, None
    return NON_COMPLIANT, "Log file validation is not enabled."


def _trail_encryption(cfg: Mapping[str, Any], params: Mapping[str, Any]) -> Result:
    if cfg.get("KmsKeyId"):
        return COMPLIANT, None
    return NON_COMPLIANT, "The trail is not encrypted with SSE-KMS."


def _trail_cloudwatch_logs(cfg: Mapping[str, Any], params: Mapping[str, Any]) -> Result:
    if not cfg.get("CloudWatchLogsLogGroupArn"):
        return NON_COMPLIANT, "The trail does not send events to CloudWatch Logs."
    age = cfg.get("LatestCloudWatchLogsDeliveryAgeHours")
    window = _int(params, "expectedDeliveryWindowAge", 24) or 24
    if age is not None and age > window:
        return NON_COMPLIANT, f"The last delivery to CloudWatch Logs was {age:.0f} hours ago (more than {window})."
    return COMPLIANT, None


# -- account-level trail rules -------------------------------------------------------------------------------------


def _trail_matches(trail: Mapping[str, Any], params: Mapping[str, Any]) -> bool:
    bucket = _text(params, "s3BucketName")
    topic = _text(params, "snsTopicArn")
    group = _text(params, "cloudWatchLogsLogGroupArn")
    if bucket and trail.get("S3BucketName") != bucket:
        return False
    if topic and trail.get("SnsTopicARN") != topic:
        return False
    return not (group and trail.get("CloudWatchLogsLogGroupArn") != group)


def _cloudtrail_enabled(account: Mapping[str, Any], params: Mapping[str, Any]) -> Result:
    trails = list(account.get("trails") or [])
    if not trails:
        return NON_COMPLIANT, "No trail exists in this Region."
    logging = [t for t in trails if t.get("IsLogging")]
    if not logging:
        return NON_COMPLIANT, "No trail is logging."
    if not any(_trail_matches(t, params) for t in logging):
        return NON_COMPLIANT, "No logging trail matches the rule parameters."
    return COMPLIANT, None


def _selectors_cover(trail: Mapping[str, Any], include_management: bool | None, rw: str | None) -> bool:
    selectors = trail.get("EventSelectors")
    if selectors is None:  # the default selector: all management events, read and write
        selectors = [{"ReadWriteType": "All", "IncludeManagementEvents": True}]
    for s in selectors:
        if include_management and not s.get("IncludeManagementEvents", True):
            continue
        kind = str(s.get("ReadWriteType") or "All")
        if rw and rw.upper() != "ALL" and kind != "All" and kind.lower() != rw.lower():
            continue
        if rw and rw.upper() == "ALL" and kind != "All":
            continue
        return True
    return False


def _multi_region_trail(account: Mapping[str, Any], params: Mapping[str, Any]) -> Result:
    trails = [t for t in account.get("trails") or [] if t.get("IsMultiRegionTrail")]
    if not trails:
        return NON_COMPLIANT, "No multi-Region trail exists."
    logging = [t for t in trails if t.get("IsLogging")]
    if not logging:
        return NON_COMPLIANT, "No multi-Region trail is logging."
    include = _bool(params, "includeManagementEvents", False) if _text(params, "includeManagementEvents") else None
    rw = _text(params, "readWriteType")
    for t in logging:
        if _trail_matches(t, params) and _selectors_cover(t, include, rw):
            return COMPLIANT, None
    return NON_COMPLIANT, "No logging multi-Region trail matches the rule parameters."


# -- evaluators: AWS::EC2::SecurityGroup --------------------------------------------------------------------------

OPEN_CIDRS = ("0.0.0.0/0", "::/0")


def _open_ranges(perm: Mapping[str, Any]) -> bool:
    """Whether an ingress permission (AWS Config's camelCase shape) is open to any address."""
    v4 = [r.get("cidrIp") if isinstance(r, Mapping) else r for r in (perm.get("ipv4Ranges") or perm.get("ipRanges") or [])]
    v6 = [r.get("cidrIpv6") if isinstance(r, Mapping) else r for r in perm.get("ipv6Ranges") or []]
    return any(c in OPEN_CIDRS for c in v4 + v6)


def _opens_tcp_port(perm: Mapping[str, Any], port: int) -> bool:
    proto = str(perm.get("ipProtocol", "")).lower()
    if proto in ("-1", "all"):
        return True
    if proto not in ("tcp", "6"):
        return False
    lo, hi = perm.get("fromPort"), perm.get("toPort")
    if lo is None or hi is None:
        return True
    return int(lo) <= port <= int(hi)


def _open_ports(cfg: Mapping[str, Any], ports: Sequence[int]) -> list[int]:
    found: list[int] = []
    for perm in cfg.get("ipPermissions") or []:
        if not isinstance(perm, Mapping) or not _open_ranges(perm):
            continue
        found += [p for p in ports if p not in found and _opens_tcp_port(perm, p)]
    return sorted(found)


def _restricted_ssh(cfg: Mapping[str, Any], params: Mapping[str, Any]) -> Result:
    if _open_ports(cfg, [22]):
        return NON_COMPLIANT, "The security group allows unrestricted incoming SSH traffic (port 22 from 0.0.0.0/0 or ::/0)."
    return COMPLIANT, None


def _restricted_ports(cfg: Mapping[str, Any], params: Mapping[str, Any]) -> Result:
    ports = [p for p in (_int(params, f"blockedPort{i}", None) for i in range(1, 6)) if p is not None]
    ports += [int(p) for p in _csv(params, "blockedPorts")]
    open_ports = _open_ports(cfg, sorted(set(ports)))
    if open_ports:
        return NON_COMPLIANT, f"Unrestricted incoming TCP traffic is allowed to port(s) {', '.join(map(str, open_ports))}."
    return COMPLIANT, None


# -- evaluators: AWS::EC2::Instance -------------------------------------------------------------------------------


def _detailed_monitoring(cfg: Mapping[str, Any], params: Mapping[str, Any]) -> Result:
    if (cfg.get("monitoring") or {}).get("state") == "enabled":
        return COMPLIANT, None
    return NON_COMPLIANT, "Detailed monitoring is not enabled for the instance."


def _no_public_ip(cfg: Mapping[str, Any], params: Mapping[str, Any]) -> Result:
    if cfg.get("publicIpAddress"):
        return NON_COMPLIANT, f"The instance has the public IP address {cfg['publicIpAddress']}."
    return COMPLIANT, None


def _stopped_instance(cfg: Mapping[str, Any], params: Mapping[str, Any]) -> Result:
    if (cfg.get("state") or {}).get("name") != "stopped":
        return COMPLIANT, None
    allowed = _int(params, "AllowedDays", 30) or 30
    since, at = cfg.get("stateSinceMs"), cfg.get("evaluatedAtMs")
    if since is None or at is None:
        return INSUFFICIENT_DATA, "The time the instance stopped is not known."
    days = (int(at) - int(since)) / 86_400_000
    if days > allowed:
        return NON_COMPLIANT, f"The instance has been stopped for {days:.1f} days (more than {allowed})."
    return COMPLIANT, None


def _desired_instance_type(cfg: Mapping[str, Any], params: Mapping[str, Any]) -> Result:
    wanted = _csv(params, "instanceType")
    if cfg.get("instanceType") in wanted:
        return COMPLIANT, None
    return NON_COMPLIANT, f"The instance type {cfg.get('instanceType')} is not one of {', '.join(wanted)}."


# -- evaluators: AWS::S3::Bucket ----------------------------------------------------------------------------------


def _supplementary(cfg: Mapping[str, Any], key: str) -> Any:
    value = (cfg.get("supplementaryConfiguration") or {}).get(key)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _policy_statements(text: Any) -> list[Mapping[str, Any]]:
    doc = text
    if isinstance(text, str):
        from urllib.parse import unquote

        try:
            doc = json.loads(text if text.lstrip().startswith("{") else unquote(text))
        except ValueError:
            return []
    if not isinstance(doc, Mapping):
        return []
    statements = doc.get("Statement") or []
    return [s for s in (statements if isinstance(statements, list) else [statements]) if isinstance(s, Mapping)]


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _public_principal(statement: Mapping[str, Any]) -> bool:
    p = statement.get("Principal")
    if p == "*":
        return True
    return isinstance(p, Mapping) and "*" in _as_list(p.get("AWS"))


def _action_matches(actions: list[str], wanted: Sequence[str]) -> bool:
    from fnmatch import fnmatchcase

    return any(fnmatchcase(w.lower(), a.lower()) for a in actions for w in wanted)


_S3_READ = ("s3:GetObject", "s3:ListBucket")
_S3_WRITE = ("s3:PutObject", "s3:DeleteObject")


def _bucket_public(cfg: Mapping[str, Any], permissions: tuple[str, ...], actions: tuple[str, ...], what: str) -> Result:
    pab = _supplementary(cfg, "PublicAccessBlockConfiguration") or {}
    if not pab.get("ignorePublicAcls"):
        acl = _supplementary(cfg, "AccessControlList") or {}
        for g in acl.get("grantList") or []:
            if g.get("grantee") in ("AllUsers", "AuthenticatedUsers") and g.get("permission") in permissions:
                return NON_COMPLIANT, f"The bucket ACL grants {g['permission']} to {g['grantee']} (public {what})."
    if not pab.get("restrictPublicBuckets"):
        policy = (_supplementary(cfg, "BucketPolicy") or {}).get("policyText")
        for s in _policy_statements(policy):
            if s.get("Effect") == "Allow" and _public_principal(s) and not s.get("Condition") \
                    and _action_matches(_as_list(s.get("Action")), actions):  # fmt: skip
                return NON_COMPLIANT, f"The bucket policy allows public {what} access."
    return COMPLIANT, None


def _s3_public_read(cfg: Mapping[str, Any], params: Mapping[str, Any]) -> Result:
    return _bucket_public(cfg, ("READ", "FULL_CONTROL"), _S3_READ, "read")


def _s3_public_write(cfg: Mapping[str, Any], params: Mapping[str, Any]) -> Result:
    return _bucket_public(cfg, ("WRITE", "FULL_CONTROL"), _S3_WRITE, "write")


def _s3_versioning(cfg: Mapping[str, Any], params: Mapping[str, Any]) -> Result:
    versioning = _supplementary(cfg, "BucketVersioningConfiguration") or {}
    if versioning.get("status") != "Enabled":
        return NON_COMPLIANT, "Versioning is not enabled for the bucket."
    if _text(params, "isMfaDeleteEnabled") and _bool(params, "isMfaDeleteEnabled", False) \
            and not versioning.get("isMfaDeleteEnabled"):  # fmt: skip
        return NON_COMPLIANT, "MFA delete is not enabled for the bucket."
    return COMPLIANT, None


# -- evaluators: IAM ----------------------------------------------------------------------------------------------


def _user_mfa(cfg: Mapping[str, Any], params: Mapping[str, Any]) -> Result:
    if cfg.get("mfaDevices"):
        return COMPLIANT, None
    return NON_COMPLIANT, "The IAM user has no MFA device enabled."


def _keys_rotated(cfg: Mapping[str, Any], params: Mapping[str, Any]) -> Result:
    max_age = _int(params, "maxAccessKeyAge", 90) or 90
    at = cfg.get("evaluatedAtMs")
    old = [k["accessKeyId"] for k in cfg.get("accessKeys") or []
           if k.get("status") == "Active" and at is not None and (int(at) - int(k["createDate"])) / 86_400_000 > max_age]  # fmt: skip
    if old:
        return NON_COMPLIANT, f"Active access key(s) older than {max_age} days: {', '.join(old)}."
    return COMPLIANT, None


def _root_access_key(account: Mapping[str, Any], params: Mapping[str, Any]) -> Result:
    if (account.get("iam") or {}).get("AccountAccessKeysPresent"):
        return NON_COMPLIANT, "The root user has access keys."
    return COMPLIANT, None


def _admin_policy(cfg: Mapping[str, Any], params: Mapping[str, Any]) -> Result:
    versions = cfg.get("policyVersionList") or []
    default = next((v for v in versions if v.get("isDefaultVersion")), versions[0] if versions else None)
    for s in _policy_statements((default or {}).get("document")):
        if s.get("Effect") == "Allow" and "*" in _as_list(s.get("Action")) and "*" in _as_list(s.get("Resource")):
            return NON_COMPLIANT, "The policy allows full administrative access (\"Action\": \"*\" on \"Resource\": \"*\")."
    return COMPLIANT, None


# -- evaluators: AWS::Lambda::Function and AWS::DynamoDB::Table ---------------------------------------------------


def _lambda_public(cfg: Mapping[str, Any], params: Mapping[str, Any]) -> Result:
    """The function's resource-based policy (AWS Config: supplementaryConfiguration.Policy) grants no wildcard
    principal without a condition."""
    policy = (cfg.get("supplementaryConfiguration") or {}).get("Policy")
    for s in _policy_statements(policy):
        if s.get("Effect") == "Allow" and _public_principal(s) and not s.get("Condition"):
            return NON_COMPLIANT, "The function's resource-based policy allows public access."
    return COMPLIANT, None


def _dynamodb_pitr(cfg: Mapping[str, Any], params: Mapping[str, Any]) -> Result:
    backups = _supplementary(cfg, "ContinuousBackupsDescription") or {}
    status = (backups.get("pointInTimeRecoveryDescription") or {}).get("pointInTimeRecoveryStatus")
    if status == "ENABLED":
        return COMPLIANT, None
    return NON_COMPLIANT, "Point-in-time recovery is not enabled for the table."


_TRAIL_PARAMS = (Param("s3BucketName", "String"), Param("snsTopicArn", "String"),
                 Param("cloudWatchLogsLogGroupArn", "String"))  # fmt: skip

RULES: dict[str, ManagedRule] = {
    r.identifier: r
    for r in (
        ManagedRule("CW_LOGGROUP_RETENTION_PERIOD_CHECK", ("AWS::Logs::LogGroup",), False, True,
                    (Param("LogGroupNames", "CSV"), Param("MinRetentionTime", "int")), _log_group_retention),
        ManagedRule("CLOUDWATCH_LOG_GROUP_ENCRYPTED", ("AWS::Logs::LogGroup",), False, True,
                    (Param("KmsKeyId", "String"),), _log_group_encrypted),
        ManagedRule("CLOUDWATCH_ALARM_ACTION_CHECK", ("AWS::CloudWatch::Alarm",), True, False,
                    (Param("okActionRequired", "String", False, "false"),
                     Param("insufficientDataActionRequired", "String", False, "true"),
                     Param("alarmActionRequired", "String", False, "true"),
                     *(Param(f"action{i}", "String") for i in range(1, 6))), _alarm_action),
        ManagedRule("CLOUDWATCH_ALARM_ACTION_ENABLED_CHECK", ("AWS::CloudWatch::Alarm",), True, False, (),
                    _alarm_action_enabled),
        ManagedRule("CLOUDWATCH_ALARM_DESCRIPTION", ("AWS::CloudWatch::Alarm",), True, False, (), _alarm_description),
        ManagedRule("CLOUDWATCH_ALARM_SETTINGS_CHECK", ("AWS::CloudWatch::Alarm",), True, False,
                    (Param("metricName", "String", False), Param("period", "int", True, "300"),
                     Param("statistic", "String"), Param("comparisonOperator", "String"),
                     Param("threshold", "int"), Param("evaluationPeriods", "int")), _alarm_settings),
        ManagedRule("SNS_ENCRYPTED_KMS", ("AWS::SNS::Topic",), True, False, (Param("kmsKeyIds", "CSV"),),
                    _sns_encrypted),
        ManagedRule("CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED", ("AWS::CloudTrail::Trail",), False, True, (),
                    _trail_validation),
        ManagedRule("CLOUD_TRAIL_ENCRYPTION_ENABLED", ("AWS::CloudTrail::Trail",), False, True, (), _trail_encryption),
        ManagedRule("CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED", ("AWS::CloudTrail::Trail",), False, True,
                    (Param("expectedDeliveryWindowAge", "int"),), _trail_cloudwatch_logs),
        ManagedRule("CLOUD_TRAIL_ENABLED", (), False, True, _TRAIL_PARAMS, evaluate_account=_cloudtrail_enabled),
        ManagedRule("INCOMING_SSH_DISABLED", ("AWS::EC2::SecurityGroup",), True, True, (), _restricted_ssh),
        ManagedRule("RESTRICTED_INCOMING_TRAFFIC", ("AWS::EC2::SecurityGroup",), True, True,
                    (*(Param(f"blockedPort{i}", "int", True, str(p)) for i, p in enumerate((20, 21, 3389, 3306, 4333), 1)),
                     Param("blockedPorts", "CSV")), _restricted_ports),
        ManagedRule("EC2_INSTANCE_DETAILED_MONITORING_ENABLED", ("AWS::EC2::Instance",), True, False, (),
                    _detailed_monitoring),
        ManagedRule("EC2_INSTANCE_NO_PUBLIC_IP", ("AWS::EC2::Instance",), True, False, (), _no_public_ip),
        ManagedRule("EC2_STOPPED_INSTANCE", ("AWS::EC2::Instance",), False, True,
                    (Param("AllowedDays", "int", True, "30"),), _stopped_instance),
        ManagedRule("DESIRED_INSTANCE_TYPE", ("AWS::EC2::Instance",), True, False,
                    (Param("instanceType", "CSV", False),), _desired_instance_type),
        ManagedRule("S3_BUCKET_PUBLIC_READ_PROHIBITED", ("AWS::S3::Bucket",), True, True, (), _s3_public_read),
        ManagedRule("S3_BUCKET_PUBLIC_WRITE_PROHIBITED", ("AWS::S3::Bucket",), True, True, (), _s3_public_write),
        ManagedRule("S3_BUCKET_VERSIONING_ENABLED", ("AWS::S3::Bucket",), True, False,
                    (Param("isMfaDeleteEnabled", "String"),), _s3_versioning),
        ManagedRule("IAM_USER_MFA_ENABLED", ("AWS::IAM::User",), False, True, (), _user_mfa),
        ManagedRule("ACCESS_KEYS_ROTATED", ("AWS::IAM::User",), False, True,
                    (Param("maxAccessKeyAge", "int", False, "90"),), _keys_rotated),
        ManagedRule("IAM_ROOT_ACCESS_KEY_CHECK", (), False, True, (), evaluate_account=_root_access_key),
        ManagedRule("IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS", ("AWS::IAM::Policy",), True, False,
                    (Param("excludePermissionBoundaryPolicy", "boolean"),), _admin_policy),
        ManagedRule("LAMBDA_FUNCTION_PUBLIC_ACCESS_PROHIBITED", ("AWS::Lambda::Function",), True, False, (),
                    _lambda_public),
        ManagedRule("DYNAMODB_PITR_ENABLED", ("AWS::DynamoDB::Table",), True, False, (), _dynamodb_pitr),
        ManagedRule("MULTI_REGION_CLOUD_TRAIL_ENABLED", (), False, True,
                    (*_TRAIL_PARAMS, Param("includeManagementEvents", "boolean"), Param("readWriteType", "String")),
                    evaluate_account=_multi_region_trail),
    )
}  # fmt: skip


# -- validation ---------------------------------------------------------------------------------------------------


def _invalid(message: str) -> RuleError:
    return RuleError("InvalidParameterValueException", message)


def parse_input_parameters(text: str | None) -> dict[str, Any]:
    if text is None or text == "":
        return {}
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise _invalid(f"Invalid json {text} passed in the InputParameters field") from None
    if not isinstance(value, dict):
        raise _invalid(f"Invalid json {text} passed in the InputParameters field")
    return value


def _check_type(param: Param, value: Any) -> None:
    text = "" if value is None else (str(value).lower() if isinstance(value, bool) else str(value))
    if text != text.strip() or text == "":
        raise _invalid(f"Blank spaces are not acceptable for input parameter: {param.name}.")
    if param.type == "int":
        try:
            int(text)
        except ValueError:
            raise _invalid(f"The value {text} of the input parameter {param.name} is not a valid integer.") from None
    elif param.type == "boolean" and text.lower() not in ("true", "false"):
        raise _invalid(f"The value {text} of the input parameter {param.name} is not a valid boolean.")


def validate_rule(identifier: str, input_parameters: str | None) -> tuple[ManagedRule, dict[str, Any]]:
    """Check a managed rule's identifier and InputParameters; returns the rule and the given parameters."""
    rule = RULES.get(identifier)
    if rule is None:
        raise _invalid(f"The sourceIdentifier {identifier} is invalid.  Please refer to the documentation for a list "
                       "of valid sourceIdentifiers that can be used when AWS is the Owner")  # fmt: skip
    given = parse_input_parameters(input_parameters)
    allowed = {p.name for p in rule.params}
    if set(given) - allowed:
        raise _invalid(f"Unknown parameters provided in the inputParameters: {input_parameters}")
    missing = sorted(p.name for p in rule.params if not p.optional and p.default is None and p.name not in given)
    if missing:
        raise _invalid(f"The required parameter [{', '.join(missing)}] is not present in the inputParameters")
    for p in rule.params:
        if p.name in given:
            _check_type(p, given[p.name])
    if rule.identifier == "CW_LOGGROUP_RETENTION_PERIOD_CHECK" and "MinRetentionTime" in given:
        if int(str(given["MinRetentionTime"])) not in RETENTION_VALUES:
            raise _invalid(f"The value {given['MinRetentionTime']} of the input parameter MinRetentionTime is not "
                           "a valid log group retention period.")  # fmt: skip
    return rule, given


# -- evaluation ---------------------------------------------------------------------------------------------------


def in_scope(scope: Mapping[str, Any] | None, rule: ManagedRule, resource_type: str, resource_id: str,
             tags: Mapping[str, str] | None = None) -> bool:  # fmt: skip
    """Whether a resource falls in a rule's Scope (types, one resource id, a tag key/value)."""
    scope = scope or {}
    types = list(scope.get("ComplianceResourceTypes") or []) or list(rule.resource_types)
    if resource_type not in types:
        return False
    if scope.get("ComplianceResourceId") and scope["ComplianceResourceId"] != resource_id:
        return False
    key = scope.get("TagKey")
    if key:
        tags = tags or {}
        if key not in tags:
            return False
        if scope.get("TagValue") is not None and tags[key] != scope["TagValue"]:
            return False
    return True


def evaluate_resource(rule: ManagedRule, params: Mapping[str, Any], configuration: Mapping[str, Any]) -> Result:
    """Evaluate one resource's configuration. A parameter the evaluator cannot use makes the result NOT_APPLICABLE
    with an annotation, never an exception (AWS reports bad parameters as an evaluation error)."""
    if rule.evaluate is None:
        return NOT_APPLICABLE, None
    try:
        return rule.evaluate(configuration, rule_parameters(rule, params))
    except (ValueError, TypeError) as exc:
        return NOT_APPLICABLE, f"Cannot evaluate: {exc}"[:256]


def evaluate_account(rule: ManagedRule, params: Mapping[str, Any], account: Mapping[str, Any]) -> Result:
    if rule.evaluate_account is None:
        return NOT_APPLICABLE, None
    return rule.evaluate_account(account, rule_parameters(rule, params))


def summarize(compliance_types: Sequence[str]) -> tuple[str, int]:
    """A rule's (or a resource's) overall compliance and the NON_COMPLIANT count, as DescribeComplianceBy* show it."""
    non = sum(1 for c in compliance_types if c == NON_COMPLIANT)
    if non:
        return NON_COMPLIANT, non
    if any(c == COMPLIANT for c in compliance_types):
        return COMPLIANT, 0
    if compliance_types and all(c == NOT_APPLICABLE for c in compliance_types):
        return NOT_APPLICABLE, 0
    return INSUFFICIENT_DATA, 0


def frequency_hours(value: str | None) -> int:
    return FREQUENCIES[value or DEFAULT_FREQUENCY]
