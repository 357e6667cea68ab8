"""The simulated CloudTrail service: trails, event selectors, LookupEvents, ListPublicKeys, and delivery.

Follows ``shared/specs/cloudtrail.md`` (§1.4 simulator contract for LookupEvents, §3 trails) and
``digest-validation.md`` (§1-3 digest structure, signing and key layouts).

Delivery (scheduler kinds ``cloudtrail.deliver`` and ``cloudtrail.digest``, registered at import):

* Log files: events are picked by ``events.seq`` after the trail's last delivered seq (locally recorded events only,
  never imported ones), filtered by region scope and selectors, and grouped by delivery tick: the first 5-minute
  boundary after the event time. A tick with no events writes no file, so a clock jump of days costs what is
  pending, not one step per 5 minutes.
* Digests: one per hour per (trail, source region) while validation is on, including empty ones (AWS writes them
  too); each signs the exact uncompressed bytes it stores, chains to the previous one, and carries the signature in
  the bucket folder's sidecar metadata. StopLogging (and DeleteTrail) flush pending events and write a final digest;
  the next StartLogging begins a new chain with a starting digest.

[design choice] Local specifics, documented in docs/cloudtrail.md:
* CreateTrail creates the simulated bucket folder when it does not exist (there is no local S3 service);
* the account's single signing key is returned by ListPublicKeys for every region, valid 2000-01-01..2100-01-01 so
  that any simulated time (past or future) has a key;
* error texts for LookupEvents validation are awsmon's (AWS does not publish them); trail errors follow AWS/moto.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from awsmon.backends.local import scheduler
from awsmon.backends.local.base import LocalService, api
from awsmon.backends.local.store import AccountStore
from awsmon.errors import ServiceError

scheduler.register("cloudtrail.deliver", "awsmon.backends.local.cloudtrail:run_deliver")
scheduler.register("cloudtrail.digest", "awsmon.backends.local.cloudtrail:run_digest")
scheduler.register("cloudtrail.retention", "awsmon.backends.local.cloudtrail:run_retention")
scheduler.register("cloudtrail.insights", "awsmon.backends.local.cloudtrail_insights:run_insights")

MAX_TRAILS_PER_REGION = 5
TICK_MS = 5 * 60 * 1000
HOUR_MS = 3600 * 1000
LOOKUP_WINDOW = timedelta(days=90)
MAX_RECORDS_PER_FILE = 10_000
LOOKUP_KEYS = ("EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource", "AccessKeyId")
INSIGHT_KEYS = ("EventId", "EventName", "EventSource")
_COLUMNS = {
    "EventId": "event_id",
    "EventName": "event_name",
    "ReadOnly": "read_only",
    "Username": "username",
    "EventSource": "event_source",
    "AccessKeyId": "access_key_id",
}
# Global-service events (recorded in us-east-1): a trail with IncludeGlobalServiceEvents=false leaves them out.
GLOBAL_EVENT_SOURCES = ("iam.amazonaws.com", "sts.amazonaws.com", "cloudfront.amazonaws.com", "signin.amazonaws.com")
GLOBAL_EVENTS_REGION = "us-east-1"
RETENTION_DELETE_BATCH = 5000
KEY_VALIDITY = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"  # string.ascii_letters + digits
DEFAULT_SELECTOR = {"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [],
                    "ExcludeManagementEventSources": []}  # fmt: skip


def _ms(dt: datetime) -> int:
    return int(round(dt.astimezone(UTC).timestamp() * 1000))


def _dt(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _last_seq(store: AccountStore) -> int:
    """The highest events.seq ever handed out (AUTOINCREMENT keeps it even after deletes)."""
    row = store.conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetchone()
    return int(row[0]) if row else 0


# ----------------------------------------------------------------------------------------------------------------
# Validation helpers


def validate_trail_name(name: str) -> None:
    """AWS's trail name rules with the texts AWS (and moto) use."""
    if len(name) < 3:
        raise ServiceError("InvalidTrailNameException", "Trail name too short. Minimum allowed length: 3 characters. "
                           f"Specified name length: {len(name)} characters.")  # fmt: skip
    if len(name) > 128:
        raise ServiceError("InvalidTrailNameException", "Trail name too long. Maximum allowed length: 128 characters. "
                           f"Specified name length: {len(name)} characters.")  # fmt: skip
    if not name[0].isascii() or not name[0].isalnum():
        raise ServiceError("InvalidTrailNameException", "Trail name must starts with a letter or number.")
    if not name[-1].isascii() or not name[-1].isalnum():
        raise ServiceError("InvalidTrailNameException", "Trail name must ends with a letter or number.")
    allowed = set(_ALNUM + "._-")
    if any(c not in allowed for c in name):
        raise ServiceError("InvalidTrailNameException", "Trail name or ARN can only contain uppercase letters, "
                           "lowercase letters, numbers, periods (.), hyphens (-), and underscores (_).")  # fmt: skip
    if any(a in "._-" and b in "._-" for a, b in zip(name, name[1:], strict=False)):
        raise ServiceError("InvalidTrailNameException",
                           "Trail name cannot contain adjacent periods (.), hyphens (-), or underscores (_).")  # fmt: skip


def validate_key_prefix(prefix: str | None) -> None:
    """S3KeyPrefix: at most 200 characters (AWS), and [design choice] storable in the simulated bucket folder (no
    empty, '.' or '..' segment, so no leading/trailing '/' either)."""
    if not prefix:
        return
    if len(prefix) > 200:
        raise ServiceError("InvalidS3PrefixException", "S3 key prefix must be at most 200 characters.")
    from awsmon.s3folder import validate_key

    try:
        validate_key(f"{prefix}/AWSLogs")
    except ValueError as exc:
        raise ServiceError("InvalidS3PrefixException", f"S3 key prefix {prefix!r} cannot be used in the simulated bucket "
                           f"folder: {str(exc).split(' has ', 1)[-1].split(' is ', 1)[-1]}.") from None  # fmt: skip


def validate_bucket_name(bucket: str) -> None:
    if not _BUCKET_RE.match(bucket or "") or ".." in bucket or re.match(r"^\d+\.\d+\.\d+\.\d+$", bucket):
        raise ServiceError("InvalidS3BucketNameException", f"Bucket name {bucket!r} is not valid.")


def attribute_value_length(value: str) -> int:
    """API_LookupAttribute: ``_``, space, ``,`` and newline count twice towards the 2000 limit."""
    return len(value) + sum(value.count(c) for c in "_ ,\n")


# ----------------------------------------------------------------------------------------------------------------
# Event selectors (pure)


def _values(record: Mapping[str, Any], field: str) -> list[str]:
    if field == "resources.type":
        return [str(r.get("type")) for r in record.get("resources") or [] if isinstance(r, Mapping) and r.get("type")]
    if field == "resources.ARN":
        return [str(r.get("ARN") or r.get("arn")) for r in record.get("resources") or []
                if isinstance(r, Mapping) and (r.get("ARN") or r.get("arn"))]  # fmt: skip
    if field == "userIdentity.arn":
        v = (record.get("userIdentity") or {}).get("arn")
        return [str(v)] if v else []
    v = record.get(field)
    if v is None:
        return []
    if isinstance(v, bool):
        return ["true" if v else "false"]
    return [str(v)]


def _field_matches(record: Mapping[str, Any], fs: Mapping[str, Any]) -> bool:
    values = _values(record, str(fs.get("Field")))
    for op, tests in fs.items():
        if op == "Field" or not tests:
            continue
        if op == "Equals" and not any(v in tests for v in values):
            return False
        if op == "StartsWith" and not any(v.startswith(t) for v in values for t in tests):
            return False
        if op == "EndsWith" and not any(v.endswith(t) for v in values for t in tests):
            return False
        if op == "NotEquals" and any(v in tests for v in values):
            return False
        if op == "NotStartsWith" and any(v.startswith(t) for v in values for t in tests):
            return False
        if op == "NotEndsWith" and any(v.endswith(t) for v in values for t in tests):
            return False
    return True


def selector_matches(record: Mapping[str, Any], basic: list[dict[str, Any]] | None,
                     advanced: list[dict[str, Any]] | None) -> bool:  # fmt: skip
    """Would a trail with these selectors log this record? Any selector matching is enough (spec §3.2)."""
    category = record.get("eventCategory") or "Management"
    if category == "Insight":
        return False  # Insights go to their own folder, never into the log files
    if advanced:
        return any(all(_field_matches(record, fs) for fs in sel.get("FieldSelectors") or []) for sel in advanced)
    ro = bool(record.get("readOnly"))
    for sel in basic if basic is not None else [DEFAULT_SELECTOR]:
        rw = sel.get("ReadWriteType", "All")
        if (rw == "ReadOnly" and not ro) or (rw == "WriteOnly" and ro):
            continue
        if category == "Management":
            if sel.get("IncludeManagementEvents", True) and record.get("eventSource") not in (
                sel.get("ExcludeManagementEventSources") or []
            ):
                return True
        elif category == "Data":
            arns = _values(record, "resources.ARN")
            types = _values(record, "resources.type")
            for dr in sel.get("DataResources") or []:
                if dr.get("Type") in types and any(a.startswith(v) for a in arns for v in dr.get("Values") or []):
                    return True
    return False


def _check_shapes(basic: Any, advanced: Any) -> None:
    """Malformed structures (not lists of objects) are refused like AWS's parameter validation, never crash."""
    def bad(what: str) -> ServiceError:
        return ServiceError("InvalidEventSelectorsException", f"{what} is not valid.")

    for name, value in (("EventSelectors", basic), ("AdvancedEventSelectors", advanced)):
        if value is not None and (not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value)):
            raise bad(name)
    for sel in basic or []:
        for key in ("DataResources", "ExcludeManagementEventSources"):
            if not isinstance(sel.get(key) or [], list):
                raise bad(key)
        for dr in sel.get("DataResources") or []:
            if not isinstance(dr, Mapping) or not isinstance(dr.get("Values") or [], list):
                raise bad("DataResources")
    for sel in advanced or []:
        fields = sel.get("FieldSelectors") or []
        if not isinstance(fields, list) or not all(isinstance(f, Mapping) for f in fields):
            raise bad("FieldSelectors")
        for fs in fields:
            if any(k != "Field" and not isinstance(v, list) for k, v in fs.items()):
                raise bad(f"Field selector {fs.get('Field')}")


def _check_selectors(basic: Any, advanced: Any) -> None:
    _check_shapes(basic, advanced)
    if basic is not None and advanced is not None:
        raise ServiceError("InvalidParameterCombinationException",
                           "You cannot specify both EventSelectors and AdvancedEventSelectors.")  # fmt: skip
    if basic is None and advanced is None:
        raise ServiceError("InvalidParameterCombinationException",
                           "You must specify either EventSelectors or AdvancedEventSelectors.")  # fmt: skip
    if basic is not None:
        if len(basic) > 5:
            raise ServiceError("InvalidEventSelectorsException", "You can specify at most 5 event selectors.")
        for sel in basic:
            if sel.get("ReadWriteType", "All") not in ("ReadOnly", "WriteOnly", "All"):
                raise ServiceError("InvalidEventSelectorsException",
                                   f"Invalid ReadWriteType: {sel.get('ReadWriteType')}.")  # fmt: skip
            for dr in sel.get("DataResources") or []:
                if not str(dr.get("Type", "")).startswith("AWS::"):
                    raise ServiceError("InvalidEventSelectorsException",
                                       f"Invalid DataResource type: {dr.get('Type')}.")  # fmt: skip
            for src in sel.get("ExcludeManagementEventSources") or []:
                if src not in ("kms.amazonaws.com", "rdsdata.amazonaws.com"):
                    raise ServiceError("InvalidEventSelectorsException",
                                       f"Invalid ExcludeManagementEventSources value: {src}.")  # fmt: skip
    for sel in advanced or []:
        fields = sel.get("FieldSelectors") or []
        if not any(fs.get("Field") == "eventCategory" for fs in fields):
            raise ServiceError("InvalidEventSelectorsException",
                               "Each advanced event selector must include a field selector for eventCategory.")  # fmt: skip
        for fs in fields:
            ops = [k for k in fs if k != "Field" and fs[k]]
            if not ops:
                raise ServiceError("InvalidEventSelectorsException",
                                   f"Field selector {fs.get('Field')} has no condition.")  # fmt: skip
            if fs.get("Field") in ("readOnly", "eventCategory", "resources.type") and ops != ["Equals"]:
                raise ServiceError("InvalidEventSelectorsException",
                                   f"Only the Equals operator is allowed for {fs.get('Field')}.")  # fmt: skip


def _check_global(multi_region: bool, include_global: bool) -> None:
    """AWS (and moto) refuse a multi-region trail without global-service events, at create and at update."""
    if multi_region and not include_global:
        raise ServiceError("InvalidParameterCombinationException", "Multi-Region trail must include global service events.")


# The regions a multi-region trail covers when nothing else was used: the 17 regions every AWS account has enabled
# by default (opt-in regions are added when the account records an event there).
from awsmon.backends.local.organization import (  # noqa: E402,F401 (the trail services' names for them)
    LocalOrganization,
    local_organization,
    organization_id_for,
)

DEFAULT_ENABLED_REGIONS = ("us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1",
                           "eu-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1", "ap-south-1",
                           "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2")  # fmt: skip


def account_public_key_der(store: AccountStore) -> bytes:
    """The account key's DER PKCS#1 public half, cached beside it (loading the private key costs ~40 ms)."""
    import hashlib

    from awsmon.backends.local.store import atomic_write

    path = store.ensure_signing_key()
    tag = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    cache = store.keys_dir / f"public-{tag}.der"
    try:
        return cache.read_bytes()
    except FileNotFoundError:
        pass
    from awsmon.engines.digest import public_key_der

    der = public_key_der(store.load_signing_key().public_key())
    atomic_write(cache, der)
    return der


# ----------------------------------------------------------------------------------------------------------------
# The service


class LocalCloudTrail(LocalService):
    service_name = "cloudtrail"
    event_source = "cloudtrail.amazonaws.com"

    # -- trail rows ---------------------------------------------------------------------------------------------
    def _arn(self, name: str, region: str | None = None) -> str:
        return f"arn:aws:cloudtrail:{region or self.region}:{self.account_id}:trail/{name}"

    def _visible(self, *, organization: bool = True) -> list[dict[str, Any]]:
        """Trails seen from this region: its own plus multi-region trails of other home regions (shadow trails),
        then, in a member account, the organization trails of the management account (also shadow trails)."""
        rows = [dict(r) for r in self.conn.execute(
            "SELECT * FROM ct_trails ORDER BY home_region != ?, home_region, name", (self.region,)
        ).fetchall()]  # fmt: skip
        if organization:
            rows += self._organization_trails()
        return [r for r in rows if r["home_region"] == self.region or json.loads(r["config"]).get("IsMultiRegionTrail")]

    def _organization_trails(self) -> list[dict[str, Any]]:
        """The management account's organization trails, as a member account sees them (read-only; marked
        ``shadow``): AWS shows them in every member account with the management account's ARN and home region."""
        import sqlite3

        org = local_organization(self.store.home)
        if org is None or org.management_account == self.account_id or self.account_id not in org.accounts:
            return []
        db = self.store.home.account_dir(org.management_account) / "account.db"
        if not db.is_file():
            return []
        try:
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
            conn.row_factory = sqlite3.Row
            try:
                rows = conn.execute("SELECT * FROM ct_trails ORDER BY home_region != ?, home_region, name",
                                    (self.region,)).fetchall()  # fmt: skip
            finally:
                conn.close()
        except sqlite3.Error:
            return []  # the management account's database is being created or migrated: nothing to show yet
        return [{**dict(r), "shadow": True} for r in rows if json.loads(r["config"]).get("IsOrganizationTrail")]

    def _find(self, name: str, *, home_only: bool = False) -> dict[str, Any]:
        """A trail by name or ARN. An organization trail seen from a member account is found by its ARN only (a name
        matches only this account's trails, as on AWS) and never for a change (``home_only``)."""
        if not name:
            raise ServiceError("InvalidTrailNameException", "Trail name too short. Minimum allowed length: 3 "
                               "characters. Specified name length: 0 characters.")  # fmt: skip
        for r in self._visible(organization=not home_only):
            if r["arn"] == name or (r["name"] == name and not r.get("shadow")):
                if home_only and r["home_region"] != self.region:
                    raise ServiceError("InvalidHomeRegionException",
                                       f"This operation must be called from the trail's home region, {r['home_region']}.")  # fmt: skip
                return r
        if not name.startswith("arn:"):
            validate_trail_name(name)
        shown = name if name.startswith("arn:") else self._arn(name)
        raise ServiceError("TrailNotFoundException", f"Unknown trail: {shown} for the user: {self.account_id}")

    def _check_room(self, *, multi_region: bool, exclude: str | None = None) -> None:
        """At most 5 trails per region; a multi-region trail takes a place in every region (its own included)."""
        counts: dict[str, int] = {self.region: 0}
        multi = 0
        for row in self.conn.execute("SELECT arn, home_region, config FROM ct_trails"):
            if row["arn"] == exclude:
                continue
            if json.loads(row["config"]).get("IsMultiRegionTrail"):
                multi += 1
            else:
                counts[row["home_region"]] = counts.get(row["home_region"], 0) + 1
        regions = counts if multi_region else {self.region: counts[self.region]}
        full = next((r for r, n in sorted(regions.items(), key=lambda kv: kv[0] != self.region)
                     if n + multi >= MAX_TRAILS_PER_REGION), None)  # fmt: skip
        if full is not None:
            raise ServiceError("MaximumNumberOfTrailsExceededException",
                               f"User: {self.account_id} already has {MAX_TRAILS_PER_REGION} trails in {full}.")  # fmt: skip

    def _describe(self, r: Mapping[str, Any]) -> dict[str, Any]:
        cfg = json.loads(r["config"])
        out: dict[str, Any] = {"Name": r["name"], "S3BucketName": cfg["S3BucketName"]}
        for k in ("S3KeyPrefix", "SnsTopicName", "SnsTopicARN"):
            if cfg.get(k):
                out[k] = cfg[k]
        out.update({
            "IncludeGlobalServiceEvents": cfg.get("IncludeGlobalServiceEvents", True),
            "IsMultiRegionTrail": cfg.get("IsMultiRegionTrail", False),
            "HomeRegion": r["home_region"],
            "TrailARN": r["arn"],
            "LogFileValidationEnabled": cfg.get("LogFileValidationEnabled", False),
        })  # fmt: skip
        for k in ("CloudWatchLogsLogGroupArn", "CloudWatchLogsRoleArn", "KmsKeyId"):
            if cfg.get(k):
                out[k] = cfg[k]
        out["HasCustomEventSelectors"] = bool(r["event_selectors"] or r["advanced_selectors"])
        out["HasInsightSelectors"] = bool(r["insight_selectors"] and json.loads(r["insight_selectors"]))
        out["IsOrganizationTrail"] = bool(cfg.get("IsOrganizationTrail"))
        return out

    def _organization_id(self) -> str:
        """The organization id, when this account may create organization trails (its management account)."""
        org = local_organization(self.store.home)
        if org is None or org.management_account != self.account_id:
            raise ServiceError("NotOrganizationMasterAccountException",
                               f"The account {self.account_id} is not the management account of an organization.")  # fmt: skip
        return org.organization_id

    def _check_bucket(self, bucket: str, prefix: str | None, trail_arn: str, org_id: str | None) -> None:
        """What CreateTrail / UpdateTrail check of the trail's bucket: it exists, and its policy lets
        ``cloudtrail.amazonaws.com`` call s3:GetBucketAcl on it and s3:PutObject under ``[prefix/]AWSLogs/<account>/``
        (and ``AWSLogs/<org id>/<account>/`` for an organization trail), the conditions AWS's documented policy uses
        (aws:SourceArn = the trail, aws:SourceAccount, s3:x-amz-acl = bucket-owner-full-control) evaluated."""
        from awsmon.backends.local import facts
        from awsmon.engines.resource_policy import service_allowed

        s3 = facts.Reader(self.store, self.region, "s3")
        try:
            s3.head_bucket(Bucket=bucket)
        except ServiceError:
            raise ServiceError("S3BucketDoesNotExistException", f"S3 bucket does not exist: {bucket}") from None
        try:
            policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
        except (ServiceError, ValueError):
            policy = {}
        context = {"aws:SourceArn": trail_arn, "aws:SourceAccount": self.account_id}
        base = f"arn:aws:s3:::{bucket}/{prefix + '/' if prefix else ''}AWSLogs"
        keys = [f"{base}/{self.account_id}/CloudTrail/{self.region}/"]
        if org_id:
            keys.append(f"{base}/{org_id}/{self.account_id}/CloudTrail/{self.region}/")
        put_context = {**context, "s3:x-amz-acl": "bucket-owner-full-control"}
        principal = "cloudtrail.amazonaws.com"
        if not service_allowed(policy, principal, "s3:GetBucketAcl", f"arn:aws:s3:::{bucket}", context) or not all(
                service_allowed(policy, principal, "s3:PutObject", key, put_context) for key in keys):  # fmt: skip
            raise ServiceError("InsufficientS3BucketPolicyException",
                               f"Incorrect S3 bucket policy is detected for bucket: {bucket}")  # fmt: skip

    def _resources(self, op: str, params: dict[str, Any], result: Any) -> list[dict[str, str]]:
        name = params.get("Name") or params.get("TrailName")
        if not name:
            return []
        arn = name if str(name).startswith("arn:") else self._arn(str(name))
        return [{"type": "AWS::CloudTrail::Trail", "ARN": arn, "name": str(arn).rsplit("/", 1)[-1]}]

    # -- CRUD ---------------------------------------------------------------------------------------------------
    @api("CreateTrail")
    def create_trail(
        self,
        *,
        Name: str,
        S3BucketName: str,
        S3KeyPrefix: str | None = None,
        SnsTopicName: str | None = None,
        IncludeGlobalServiceEvents: bool = True,
        IsMultiRegionTrail: bool = False,
        EnableLogFileValidation: bool = False,
        CloudWatchLogsLogGroupArn: str | None = None,
        CloudWatchLogsRoleArn: str | None = None,
        KmsKeyId: str | None = None,
        IsOrganizationTrail: bool = False,
        TagsList: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        validate_trail_name(Name)
        validate_bucket_name(S3BucketName)
        validate_key_prefix(S3KeyPrefix)
        org_id = self._organization_id() if IsOrganizationTrail else None
        if CloudWatchLogsLogGroupArn is not None and not CloudWatchLogsLogGroupArn.startswith("arn:"):
            raise ServiceError("InvalidCloudWatchLogsLogGroupArnException",
                               f"Invalid CloudWatchLogsLogGroupArn: {CloudWatchLogsLogGroupArn}.")  # fmt: skip
        _check_global(bool(IsMultiRegionTrail), bool(IncludeGlobalServiceEvents))
        arn = self._arn(Name)
        if self.conn.execute("SELECT 1 FROM ct_trails WHERE arn = ?", (arn,)).fetchone():
            raise ServiceError("TrailAlreadyExistsException", f"Trail {Name} already exists for customer: {self.account_id}")
        self._check_room(multi_region=bool(IsMultiRegionTrail))
        self._check_bucket(S3BucketName, S3KeyPrefix, arn, org_id)
        cfg = {
            "S3BucketName": S3BucketName,
            "S3KeyPrefix": S3KeyPrefix or None,
            "SnsTopicName": SnsTopicName,
            "SnsTopicARN": f"arn:aws:sns:{self.region}:{self.account_id}:{SnsTopicName}" if SnsTopicName else None,
            "IncludeGlobalServiceEvents": bool(IncludeGlobalServiceEvents),
            "IsMultiRegionTrail": bool(IsMultiRegionTrail),
            "LogFileValidationEnabled": bool(EnableLogFileValidation),
            "CloudWatchLogsLogGroupArn": CloudWatchLogsLogGroupArn,
            "CloudWatchLogsRoleArn": CloudWatchLogsRoleArn,
            "KmsKeyId": KmsKeyId,
            "Tags": TagsList or [],
            "IsOrganizationTrail": bool(IsOrganizationTrail),
            "OrganizationId": org_id,
        }
        self.conn.execute(
            "INSERT INTO ct_trails (arn, name, home_region, config, created_ms) VALUES (?,?,?,?,?)",
            (arn, Name, self.region, json.dumps(cfg), _ms(self.now())),
        )
        desc = self._describe(self.conn.execute("SELECT * FROM ct_trails WHERE arn = ?", (arn,)).fetchone())
        desc.pop("HomeRegion", None)
        desc.pop("HasCustomEventSelectors", None)
        desc.pop("HasInsightSelectors", None)
        return desc

    @api("UpdateTrail")
    def update_trail(self, *, Name: str, **changes: Any) -> dict[str, Any]:
        r = self._find(Name, home_only=True)
        cfg = json.loads(r["config"])
        known = {"S3BucketName", "S3KeyPrefix", "SnsTopicName", "IncludeGlobalServiceEvents", "IsMultiRegionTrail",
                 "EnableLogFileValidation", "CloudWatchLogsLogGroupArn", "CloudWatchLogsRoleArn", "KmsKeyId",
                 "IsOrganizationTrail"}  # fmt: skip
        unknown = set(changes) - known
        if unknown:
            raise ServiceError("ValidationException", f"Unknown parameter(s): {', '.join(sorted(unknown))}")
        if "IsOrganizationTrail" in changes and bool(changes["IsOrganizationTrail"]) != bool(cfg.get("IsOrganizationTrail")):
            cfg["OrganizationId"] = self._organization_id() if changes["IsOrganizationTrail"] else None
            cfg["IsOrganizationTrail"] = bool(changes["IsOrganizationTrail"])
            cfg.pop("OrgMemberSeqs", None)
        if changes.get("S3KeyPrefix"):
            validate_key_prefix(changes["S3KeyPrefix"])
        if "S3BucketName" in changes:
            validate_bucket_name(changes["S3BucketName"])
        if "S3BucketName" in changes or "S3KeyPrefix" in changes:  # the new place must take the trail's files
            self._check_bucket(changes.get("S3BucketName", cfg.get("S3BucketName")),
                               changes.get("S3KeyPrefix", cfg.get("S3KeyPrefix")), r["arn"], cfg.get("OrganizationId"))  # fmt: skip
        was_validating = bool(cfg.get("LogFileValidationEnabled"))
        for k, v in changes.items():
            if k == "EnableLogFileValidation":
                cfg["LogFileValidationEnabled"] = bool(v)
            elif k == "SnsTopicName":
                cfg[k] = v or None
                cfg["SnsTopicARN"] = f"arn:aws:sns:{self.region}:{self.account_id}:{v}" if v else None
            elif k != "IsOrganizationTrail":
                cfg[k] = v if v != "" else None
        _check_global(bool(cfg.get("IsMultiRegionTrail")), bool(cfg.get("IncludeGlobalServiceEvents", True)))
        if cfg.get("IsMultiRegionTrail") and not json.loads(r["config"]).get("IsMultiRegionTrail"):
            self._check_room(multi_region=True, exclude=r["arn"])  # it now takes a place in every region
        self.conn.execute("UPDATE ct_trails SET config = ? WHERE arn = ?", (json.dumps(cfg), r["arn"]))
        now_validating = bool(cfg.get("LogFileValidationEnabled"))
        if r["is_logging"] and now_validating and not was_validating:
            _open_chains(self.store, r["arn"], _ms(self.now()))
        elif was_validating and not now_validating:
            if r["is_logging"]:
                # The chain ends with a last digest at the change (as when logging stops); the next one after
                # re-enabling is a starting digest, which validate-digest reports as a gap, like aws-cli.
                now_ms = _ms(self.now())
                trail = _trail(self.store, r["arn"])
                assert trail is not None
                trail["cfg"]["LogFileValidationEnabled"] = True
                deliver(self.store, trail, now_ms)
                _digests(self.store, trail, now_ms - now_ms % 1000, final=True)
            self.conn.execute("DELETE FROM ct_chains WHERE trail_arn = ?", (r["arn"],))
            self.conn.execute("DELETE FROM ct_logs WHERE trail_arn = ?", (r["arn"],))
            scheduler.unschedule(self.store, "cloudtrail.digest", r["arn"])
        desc = self._describe(self.conn.execute("SELECT * FROM ct_trails WHERE arn = ?", (r["arn"],)).fetchone())
        desc.pop("HomeRegion", None)
        return desc

    @api("DeleteTrail")
    def delete_trail(self, *, Name: str) -> dict[str, Any]:
        r = self._find(Name, home_only=True)
        if r["is_logging"]:
            # AWS delivers what is pending and a last digest when a trail is deleted; done now, before the row goes.
            now_ms = _ms(self.now())
            now_ms -= now_ms % 1000
            self.conn.execute("UPDATE ct_trails SET is_logging = 0, stop_logging_ms = ?, stop_seq = ? WHERE arn = ?",
                              (now_ms, _last_seq(self.store), r["arn"]))  # fmt: skip
            _finish(self.store, r["arn"], now_ms)
        for table, col in (("ct_logs", "trail_arn"), ("ct_chains", "trail_arn"), ("ct_trails", "arn")):
            self.conn.execute(f"DELETE FROM {table} WHERE {col} = ?", (r["arn"],))
        scheduler.unschedule(self.store, "cloudtrail.deliver", r["arn"])
        scheduler.unschedule(self.store, "cloudtrail.digest", r["arn"])
        return {}

    @api("DescribeTrails")
    def describe_trails(self, *, trailNameList: list[str] | None = None, includeShadowTrails: bool = True) -> dict[str, Any]:
        rows = self._visible()
        if not includeShadowTrails:
            rows = [r for r in rows if r["home_region"] == self.region and not r.get("shadow")]
        if trailNameList:
            # A name matches only this account's trails of this region; an ARN any trail seen here (AWS).
            wanted = set(trailNameList)
            rows = [r for r in rows if r["arn"] in wanted
                    or (r["name"] in wanted and r["home_region"] == self.region and not r.get("shadow"))]  # fmt: skip
        return {"trailList": [self._describe(r) for r in rows]}

    @api("GetTrail")
    def get_trail(self, *, Name: str) -> dict[str, Any]:
        return {"Trail": self._describe(self._find(Name))}

    @api("ListTrails")
    def list_trails(self, *, NextToken: str | None = None) -> dict[str, Any]:
        return {"Trails": [{"TrailARN": r["arn"], "Name": r["name"], "HomeRegion": r["home_region"]} for r in self._visible()]}

    @api("GetTrailStatus")
    def get_trail_status(self, *, Name: str) -> dict[str, Any]:
        r = self._find(Name)
        out: dict[str, Any] = {"IsLogging": bool(r["is_logging"])}
        for field, col in (("LatestDeliveryTime", "latest_delivery_ms"), ("LatestDigestDeliveryTime", "latest_digest_ms"),
                           ("LatestCloudWatchLogsDeliveryTime", "latest_cwl_ms"), ("StartLoggingTime", "start_logging_ms"),
                           ("StopLoggingTime", "stop_logging_ms")):  # fmt: skip
            if r[col] is not None:
                out[field] = _dt(r[col])
        if r["latest_cwl_error"]:
            out["LatestCloudWatchLogsDeliveryError"] = r["latest_cwl_error"]
        for field, col in (("LatestDeliveryError", "latest_delivery_error"), ("LatestDigestDeliveryError", "latest_digest_error")):
            if r[col]:
                out[field] = r[col]
        if r["latest_delivery_ms"] is not None:
            out["LatestDeliveryAttemptTime"] = _iso(r["latest_delivery_ms"])
            out["LatestDeliveryAttemptSucceeded"] = _iso(r["latest_delivery_ms"])
        if r["start_logging_ms"] is not None:
            out["TimeLoggingStarted"] = _iso(r["start_logging_ms"])
        if r["stop_logging_ms"] is not None:
            out["TimeLoggingStopped"] = _iso(r["stop_logging_ms"])
        return out

    @api("StartLogging")
    def start_logging(self, *, Name: str) -> dict[str, Any]:
        r = self._find(Name, home_only=True)
        if r["is_logging"]:
            return {}
        now_ms = _ms(self.now())
        # Deliver from the next event on: this StartLogging record itself gets the next seq and is delivered.
        self.conn.execute(
            "UPDATE ct_trails SET is_logging = 1, start_logging_ms = ?, stop_logging_ms = NULL, stop_seq = NULL, "
            "last_seq = ? WHERE arn = ?",
            (now_ms, _last_seq(self.store), r["arn"]),
        )
        scheduler.schedule(self.store, "cloudtrail.deliver", r["arn"], _dt((now_ms // TICK_MS + 1) * TICK_MS))  # type: ignore[arg-type]
        if json.loads(r["config"]).get("LogFileValidationEnabled"):
            _open_chains(self.store, r["arn"], now_ms)
        return {}

    @api("StopLogging")
    def stop_logging(self, *, Name: str) -> dict[str, Any]:
        r = self._find(Name, home_only=True)
        if not r["is_logging"]:
            return {}
        now_ms = _ms(self.now())
        now_ms -= now_ms % 1000  # the final digest ends here, and digest times are whole seconds
        # The StopLogging record is inserted right after this method in the same transaction: it takes the next seq.
        self.conn.execute("UPDATE ct_trails SET is_logging = 0, stop_logging_ms = ?, stop_seq = ? WHERE arn = ?",
                          (now_ms, _last_seq(self.store) + 1, r["arn"]))  # fmt: skip
        due = _dt(now_ms)
        assert due is not None
        scheduler.schedule(self.store, "cloudtrail.deliver", r["arn"], due)
        if self.conn.execute("SELECT 1 FROM ct_chains WHERE trail_arn = ?", (r["arn"],)).fetchone():
            scheduler.schedule(self.store, "cloudtrail.digest", r["arn"], due)
        return {}

    # -- selectors ----------------------------------------------------------------------------------------------
    @api("GetEventSelectors")
    def get_event_selectors(self, *, TrailName: str) -> dict[str, Any]:
        r = self._find(TrailName)
        out: dict[str, Any] = {"TrailARN": r["arn"]}
        if r["advanced_selectors"]:
            out["AdvancedEventSelectors"] = json.loads(r["advanced_selectors"])
        else:
            out["EventSelectors"] = json.loads(r["event_selectors"]) if r["event_selectors"] else [dict(DEFAULT_SELECTOR)]
        return out

    @api("PutEventSelectors")
    def put_event_selectors(self, *, TrailName: str, EventSelectors: list[dict[str, Any]] | None = None,
                            AdvancedEventSelectors: list[dict[str, Any]] | None = None) -> dict[str, Any]:  # fmt: skip
        r = self._find(TrailName, home_only=True)
        _check_selectors(EventSelectors, AdvancedEventSelectors)
        basic = None
        if EventSelectors is not None:
            basic = [{**DEFAULT_SELECTOR, **s} for s in EventSelectors]
        self.conn.execute(
            "UPDATE ct_trails SET event_selectors = ?, advanced_selectors = ? WHERE arn = ?",
            (json.dumps(basic) if basic is not None else None,
             json.dumps(AdvancedEventSelectors) if AdvancedEventSelectors is not None else None, r["arn"]),
        )  # fmt: skip
        out: dict[str, Any] = {"TrailARN": r["arn"]}
        if basic is not None:
            out["EventSelectors"] = basic
        else:
            out["AdvancedEventSelectors"] = AdvancedEventSelectors
        return out

    @api("PutInsightSelectors")
    def put_insight_selectors(self, *, TrailName: str, InsightSelectors: list[dict[str, Any]]) -> dict[str, Any]:
        """Enable (or, with an empty list, disable) Insights; the detector runs on the clock (cloudtrail_insights)."""
        r = self._find(TrailName, home_only=True)
        selectors = check_insight_selectors(InsightSelectors, _trail(self.store, r["arn"]))
        self.conn.execute("UPDATE ct_trails SET insight_selectors = ? WHERE arn = ?", (json.dumps(selectors), r["arn"]))
        arm_insights(self.store, r["arn"], selectors, self.now())
        return {"TrailARN": r["arn"], "InsightSelectors": selectors}

    @api("GetInsightSelectors")
    def get_insight_selectors(self, *, TrailName: str) -> dict[str, Any]:
        r = self._find(TrailName)
        selectors = json.loads(r["insight_selectors"]) if r["insight_selectors"] else []
        if not selectors:
            raise ServiceError("InsightNotEnabledException", f"Trail {r['arn']} does not have Insights enabled. "
                               "Enable Insights on the trail, and then try the operation again.")  # fmt: skip
        return {"TrailARN": r["arn"], "InsightSelectors": selectors}

    # -- keys ---------------------------------------------------------------------------------------------------
    @api("ListPublicKeys")
    def list_public_keys(self, *, StartTime: datetime | None = None, EndTime: datetime | None = None,
                         NextToken: str | None = None) -> dict[str, Any]:  # fmt: skip
        from awsmon.engines.digest import public_key_fingerprint

        start = StartTime or self.now()
        end = EndTime or self.now()
        if start > end:
            raise ServiceError("InvalidTimeRangeException", "Start time must be before end time.")
        der = account_public_key_der(self.store)
        if end < KEY_VALIDITY[0] or start > KEY_VALIDITY[1]:
            return {"PublicKeyList": []}
        return {"PublicKeyList": [{"Value": der, "ValidityStartTime": KEY_VALIDITY[0],
                                   "ValidityEndTime": KEY_VALIDITY[1], "Fingerprint": public_key_fingerprint(der)}]}  # fmt: skip

    # -- LookupEvents -------------------------------------------------------------------------------------------
    @api("LookupEvents")
    def lookup_events(self, *, LookupAttributes: list[dict[str, str]] | None = None, StartTime: datetime | None = None,
                      EndTime: datetime | None = None, EventCategory: str | None = None, MaxResults: int | None = None,
                      NextToken: str | None = None) -> dict[str, Any]:  # fmt: skip
        """The API: at most one attribute (spec §1.4)."""
        if LookupAttributes and len(LookupAttributes) > 1:
            raise ServiceError("InvalidLookupAttributesException", "You can specify only one lookup attribute.")
        return self._lookup(LookupAttributes or [], StartTime, EndTime, EventCategory, MaxResults, NextToken)

    @api("LookupEvents")
    def lookup_events_all(self, *, LookupAttributes: list[dict[str, str]] | None = None, StartTime: datetime | None = None,
                          EndTime: datetime | None = None, EventCategory: str | None = None,
                          MaxResults: int | None = None, NextToken: str | None = None) -> dict[str, Any]:  # fmt: skip
        """awsmon's extension: any number of attributes, ANDed in the query. Recorded as a LookupEvents call."""
        return self._lookup(LookupAttributes or [], StartTime, EndTime, EventCategory, MaxResults, NextToken)

    def _lookup(self, attrs: list[dict[str, str]], start: datetime | None, end: datetime | None, category: str | None,
                max_results: int | None, token: str | None) -> dict[str, Any]:  # fmt: skip
        if category is not None and category != "insight":
            raise ServiceError("InvalidEventCategoryException", f"Event category {category} is not valid. "
                               "The only valid value is insight.")  # fmt: skip
        allowed = INSIGHT_KEYS if category == "insight" else LOOKUP_KEYS
        pairs: list[tuple[str, str]] = []
        for a in attrs:
            key, value = a.get("AttributeKey"), a.get("AttributeValue")
            if key not in allowed:
                raise ServiceError("InvalidLookupAttributesException", f"Lookup attribute key {key} is not valid. "
                                   f"Valid keys: {', '.join(allowed)}.")  # fmt: skip
            if value is None or not 1 <= attribute_value_length(str(value)) <= 2000:
                raise ServiceError("InvalidLookupAttributesException",
                                   f"Lookup attribute value for {key} must be 1 to 2000 characters long.")  # fmt: skip
            pairs.append((str(key), str(value).lower() if key == "ReadOnly" else str(value)))
        limit = 50 if max_results is None else int(max_results)
        if not 1 <= limit <= 50:
            raise ServiceError("InvalidMaxResultsException", "MaxResults must be between 1 and 50.")
        if start is not None and end is not None and start > end:
            raise ServiceError("InvalidTimeRangeException", "Start time must be before end time.")
        now = self.now()
        params_hash = _params_hash([self.region, category, sorted(pairs), start and _ms(start), end and _ms(end)])
        after: tuple[int, str] | None = None
        if token:
            try:
                tok = _decode_token(token)
                if tok["h"] != params_hash:
                    raise ValueError("parameters changed")
                after, snapshot = (int(tok["t"]), str(tok["i"])), int(tok["s"])
            except (ValueError, KeyError, TypeError, UnicodeDecodeError):
                raise ServiceError("InvalidNextTokenException",
                                   "The NextToken is not valid for these parameters.") from None  # fmt: skip
        else:
            snapshot = _last_seq(self.store)
        sql, args = lookup_sql(self.region, category, snapshot, start and _ms(start), end and _ms(end),
                               _ms(now - LOOKUP_WINDOW), pairs, after)  # fmt: skip
        rows: list[tuple[int, str, Any]] = [(r["event_time"], r["event_id"], r)
                                            for r in self.conn.execute(sql, [*args, limit + 1])]  # fmt: skip
        # Imported events live in the history store (history.py); merge its newest page with the recorded ones.
        from awsmon.backends.local.history import lookup as history_lookup

        cat = "Insight" if category == "insight" else "Management"
        rows += [(t, eid, (text, rec)) for t, eid, text, rec in history_lookup(
            self.store, self.region, cat, pairs, start and _ms(start), end and _ms(end), after, limit + 1)]  # fmt: skip
        rows.sort(key=lambda x: (x[0], x[1]), reverse=True)
        events = [_imported_event(t, eid, *r) if isinstance(r, tuple) else _event_of(r) for t, eid, r in rows[:limit]]
        out: dict[str, Any] = {"Events": events}
        if len(rows) > limit:
            last_t, last_id, _ = rows[limit - 1]
            out["NextToken"] = _encode_token({"h": params_hash, "t": last_t, "i": last_id, "s": snapshot})
        return out


def _params_hash(params: list[Any]) -> str:
    """What a NextToken is bound to: crc32 of the parameters, enough to refuse a token reused with others, without
    hashlib (loading OpenSSL costs ~3 ms of every lookup's start-up)."""
    import zlib

    return f"{zlib.crc32(json.dumps(params).encode()):08x}"


def _encode_token(tok: dict[str, Any]) -> str:
    import base64

    return base64.urlsafe_b64encode(json.dumps(tok, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_token(token: str) -> Any:
    """The token's JSON; ValueError (binascii.Error, JSONDecodeError) or UnicodeDecodeError when it is not one."""
    import base64

    return json.loads(base64.urlsafe_b64decode(token.encode() + b"==").decode())


# -- Insights (the detector job is cloudtrail_insights.py) ---------------------------------------------------------
INSIGHTS_KIND = "cloudtrail.insights"
INSIGHTS_EVERY = timedelta(minutes=15)


def check_insight_selectors(selectors: Any, trail: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Validate InsightSelectors (AWS: InvalidInsightSelectorsException); returns them as stored."""
    from awsmon.engines.insights_detector import CALL_RATE, INSIGHT_TYPES

    if not isinstance(selectors, list):
        raise ServiceError("InvalidInsightSelectorsException", "InsightSelectors must be a list.")
    out: list[dict[str, Any]] = []
    for sel in selectors:
        itype = sel.get("InsightType") if isinstance(sel, dict) else None
        if itype not in INSIGHT_TYPES:
            raise ServiceError("InvalidInsightSelectorsException",
                               f"Insight type {itype} is not valid. Valid types: {', '.join(INSIGHT_TYPES)}.")  # fmt: skip
        cats = sel.get("EventCategories")
        if cats is not None and (not isinstance(cats, list) or any(c not in ("Management", "Data") for c in cats)):
            raise ServiceError("InvalidInsightSelectorsException", "EventCategories must be Management or Data.")
        if any(o["InsightType"] == itype for o in out):
            raise ServiceError("InvalidInsightSelectorsException", f"Duplicate insight type {itype}.")
        out.append({"InsightType": itype, **({"EventCategories": cats} if cats is not None else {})})
    if trail is not None and any(o["InsightType"] == CALL_RATE for o in out):
        probe = {"eventCategory": "Management", "readOnly": False, "eventSource": "ec2.amazonaws.com"}
        if not selector_matches(probe, trail["basic"], trail["advanced"]):
            raise ServiceError("InvalidInsightSelectorsException",
                               "ApiCallRateInsight requires the trail to log write management events.")  # fmt: skip
    return out


def arm_insights(store: AccountStore, arn: str, selectors: list[dict[str, Any]], now: datetime) -> None:
    """Insights are analysed from when they are enabled on; an empty list disables them."""
    if not selectors:
        scheduler.unschedule(store, INSIGHTS_KIND, arn)
        store.conn.execute("DELETE FROM ct_insights WHERE trail_arn = ?", (arn,))
        return
    minute = int(now.timestamp()) // 60
    for region in insight_regions(store, arn):
        store.conn.execute("INSERT OR IGNORE INTO ct_insights (trail_arn, region, resume_min) VALUES (?,?,?)",
                           (arn, region, minute))  # fmt: skip
    if scheduler.next_due(store, INSIGHTS_KIND, arn) is None:
        scheduler.schedule(store, INSIGHTS_KIND, arn, now + INSIGHTS_EVERY)


def insight_regions(store: AccountStore, arn: str) -> list[str]:
    """The Regions a trail's Insights cover: its home Region; a multi-region trail's: every Region with events."""
    trail = _trail(store, arn)
    if trail is None:
        return []
    if trail["cfg"].get("IsMultiRegionTrail"):
        used = {r[0] for r in store.conn.execute("SELECT DISTINCT region FROM events WHERE origin = 'local'")}
        return sorted(used | {trail["home_region"]})
    return [trail["home_region"]]


def lookup_sql(region: str, category: str | None, snapshot: int, start_ms: int | None, end_ms: int | None,
               cutoff_ms: int, pairs: list[tuple[str, str]], after: tuple[int, str] | None) -> tuple[str, list[Any]]:  # fmt: skip
    """The LookupEvents query: one index per attribute (region, category, attribute, time, id) read newest first.

    A ResourceName drives the query from ``event_resources`` (a name matches few events); every other attribute
    is ANDed as a condition. Pages continue after (time, eventID) of the previous page's last event (keyset).
    """
    where = ["e.region = ?", "e.event_category = ?", "e.seq <= ?"]
    args: list[Any] = [region, "Insight" if category == "insight" else "Management", snapshot]
    source = "events e"
    head: list[Any] = []
    if start_ms is not None:
        where.append("e.event_time >= ?")
        args.append(start_ms)
    if end_ms is not None:
        where.append("e.event_time <= ?")
        args.append(end_ms)
    # 90 days of locally recorded history; imported events are kept and stay queryable.
    where.append("(e.event_time >= ? OR e.origin != 'local')")
    args.append(cutoff_ms)
    driver = next((v for k, v in pairs if k == "ResourceName"), None)
    if driver is not None:
        source = ("(SELECT DISTINCT event_seq FROM event_resources WHERE resource_name = ?) r "
                  "CROSS JOIN events e ON e.seq = r.event_seq")  # fmt: skip
        head.append(driver)
    for key, value in pairs:
        if key in _COLUMNS:
            where.append(f"e.{_COLUMNS[key]} = ?")
        elif key == "ResourceName" and value == driver:
            continue
        else:
            col = "resource_name" if key == "ResourceName" else "resource_type"
            where.append(f"e.seq IN (SELECT event_seq FROM event_resources WHERE {col} = ?)")
        args.append(value)
    if after is not None:
        where.append("(e.event_time < ? OR (e.event_time = ? AND e.event_id < ?))")
        args += [after[0], after[0], after[1]]
    sql = (f"SELECT e.event_id, e.event_time, e.event_name, e.event_source, e.read_only, e.username, "
           f"e.access_key_id, e.origin, e.record FROM {source} WHERE {' AND '.join(where)} "
           f"ORDER BY e.event_time DESC, e.event_id DESC LIMIT ?")  # fmt: skip
    return sql, head + args


def _event_of(r: Any) -> dict[str, Any]:
    record = json.loads(r["record"])
    resources = [
        {"ResourceType": res.get("type"), "ResourceName": res.get("ARN") or res.get("arn")}
        for res in record.get("resources") or [] if isinstance(res, Mapping)
    ]
    ev: dict[str, Any] = {"EventId": r["event_id"], "EventName": r["event_name"], "ReadOnly": r["read_only"]}
    if r["access_key_id"]:
        ev["AccessKeyId"] = r["access_key_id"]
    ev["EventTime"] = datetime.fromtimestamp(r["event_time"] / 1000, UTC)
    ev["EventSource"] = r["event_source"]
    if r["username"]:
        ev["Username"] = r["username"]
    ev["Resources"] = resources
    ev["CloudTrailEvent"] = r["record"]
    if r["origin"] != "local":
        ev["awsmonOrigin"] = r["origin"]  # flag: imported, exempt from the 90-day window
    return ev


def _imported_event(t: int, eid: str, text: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """The LookupEvents shape of a record from the history store (same fields as _event_of); ``record`` is ``text``
    parsed (by the lookup, which needed it)."""
    from awsmon.backends.local.history import lookup_terms

    terms = lookup_terms(record)
    first = dict(reversed(terms))
    ev: dict[str, Any] = {"EventId": eid, "EventName": first.get("EventName"), "ReadOnly": first.get("ReadOnly")}
    if first.get("AccessKeyId"):
        ev["AccessKeyId"] = first["AccessKeyId"]
    ev["EventTime"] = datetime.fromtimestamp(t / 1000, UTC)
    ev["EventSource"] = first.get("EventSource")
    if first.get("Username"):
        ev["Username"] = first["Username"]
    ev["Resources"] = [{"ResourceType": res.get("type"), "ResourceName": res.get("ARN") or res.get("arn")}
                       for res in record.get("resources") or [] if isinstance(res, Mapping)]  # fmt: skip
    ev["CloudTrailEvent"] = text
    ev["awsmonOrigin"] = "import"  # flag: imported, exempt from the 90-day window
    return ev


# ----------------------------------------------------------------------------------------------------------------
# Delivery


def _trail(store: AccountStore, arn: str) -> dict[str, Any] | None:
    row = store.conn.execute("SELECT * FROM ct_trails WHERE arn = ?", (arn,)).fetchone()
    if row is None:
        return None
    t = dict(row)
    t["cfg"] = json.loads(t["config"])
    t["basic"] = json.loads(t["event_selectors"]) if t["event_selectors"] else None
    t["advanced"] = json.loads(t["advanced_selectors"]) if t["advanced_selectors"] else None
    return t


def _open_chain(store: AccountStore, arn: str, region: str, start_ms: int) -> None:
    """Start a digest chain (the next digest is a starting digest); the first one is due an hour later."""
    start_ms -= start_ms % 1000  # digest times are whole seconds
    store.conn.execute(
        "INSERT INTO ct_chains (trail_arn, region, last_end_ms) VALUES (?, ?, ?) ON CONFLICT (trail_arn, region) "
        "DO UPDATE SET last_end_ms = excluded.last_end_ms, prev_bucket = NULL, prev_key = NULL, prev_hash = NULL, "
        "prev_signature = NULL",
        (arn, region, start_ms),
    )
    due = _dt(start_ms + HOUR_MS)
    assert due is not None
    nxt = scheduler.next_due(store, "cloudtrail.digest", arn)
    if nxt is None or nxt > due:
        scheduler.schedule(store, "cloudtrail.digest", arn, due)


def _covered(store: AccountStore, trail: dict[str, Any]) -> list[tuple[str, str]]:
    """(account, region) pairs a trail writes digests for: every region it covers (a multi-region trail: the
    default-enabled regions and any other region with events), and every member account of an organization trail."""
    cfg = trail["cfg"]
    regions = [trail["home_region"]]
    if cfg.get("IsMultiRegionTrail"):
        used = [r[0] for r in store.conn.execute("SELECT DISTINCT region FROM events WHERE origin = 'local'")]
        regions = sorted({*DEFAULT_ENABLED_REGIONS, *used, trail["home_region"]})
    accounts = [store.account_id]
    if cfg.get("IsOrganizationTrail"):
        org = local_organization(store.home)
        accounts = list(org.accounts) if org else accounts
    return [(a, r) for a in accounts for r in regions]


def _chain_key(trail: dict[str, Any], account: str, region: str) -> str:
    """The ``region`` column of ct_chains / ct_logs: ``<account>:<region>`` for organization trails."""
    return f"{account}:{region}" if trail["cfg"].get("IsOrganizationTrail") else region


def _split_chain(store: AccountStore, chain_region: str) -> tuple[str, str]:
    account, _, region = chain_region.rpartition(":")
    return account or store.account_id, region


def _open_chains(store: AccountStore, arn: str, start_ms: int) -> None:
    trail = _trail(store, arn)
    if trail is None:
        return
    for account, region in _covered(store, trail):
        _open_chain(store, arn, _chain_key(trail, account, region), start_ms)


def _unique() -> str:
    import secrets

    return "".join(secrets.choice(_ALNUM) for _ in range(16))


def _folder(store: AccountStore, bucket: str) -> Any:
    from awsmon.s3folder import S3Folder

    return S3Folder(store.s3_dir / bucket)


def _put(store: AccountStore, trail: dict[str, Any], error_column: str, bucket: str, key: str, body: bytes,
         **kw: Any) -> bool:  # fmt: skip
    """Write one object to the simulated bucket; a failure becomes the trail's delivery error (as GetTrailStatus
    reports a failed S3 delivery), never an exception that would stop every later command's catch-up."""
    try:
        # No fsync: the account database commits after the write, and a delivery lost in a crash is rolled back
        # with it and written again by the next catch-up; a synced write per file made a day of a multi-region
        # trail's digests (17 regions x 24) take seconds.
        _folder(store, bucket).put_object(key, body, durable=False, **kw)
    except (ValueError, OSError) as exc:
        store.conn.execute(f"UPDATE ct_trails SET {error_column} = ? WHERE arn = ?",
                           (f"awsmon: cannot write s3://{bucket}/{key}: {exc}"[:1024], trail["arn"]))  # fmt: skip
        return False
    return True


def _write_log(store: AccountStore, trail: dict[str, Any], region: str, tick_ms: int, texts: list[str],
               times: list[int], account: str | None = None) -> None:  # fmt: skip
    import gzip
    import hashlib

    from awsmon.engines.digest import log_file_key

    cfg = trail["cfg"]
    bucket = cfg["S3BucketName"]
    when = _dt(tick_ms)
    assert when is not None
    account = account or store.account_id
    key = log_file_key(account, region, when, _unique(), prefix=cfg.get("S3KeyPrefix") or None,
                       organization_id=cfg.get("OrganizationId") if cfg.get("IsOrganizationTrail") else None)  # fmt: skip
    chain_region = _chain_key(trail, account, region)
    raw = ('{"Records":[' + ",".join(texts) + "]}").encode()
    if not _put(store, trail, "latest_delivery_error", bucket, key, gzip.compress(raw, compresslevel=6, mtime=0),
                content_type="application/json", last_modified=when):  # fmt: skip
        return
    store.conn.execute("UPDATE ct_trails SET latest_delivery_ms = max(coalesce(latest_delivery_ms, 0), ?), "
                       "latest_delivery_error = NULL WHERE arn = ?", (tick_ms, trail["arn"]))  # fmt: skip
    if cfg.get("LogFileValidationEnabled"):
        if not store.conn.execute("SELECT 1 FROM ct_chains WHERE trail_arn = ? AND region = ?",
                                  (trail["arn"], chain_region)).fetchone():  # fmt: skip
            _open_chain(store, trail["arn"], chain_region, trail["start_logging_ms"] or tick_ms)
        store.conn.execute(
            "INSERT OR REPLACE INTO ct_logs (trail_arn, region, bucket, key, hash, newest, oldest, delivered_ms) "
            "VALUES (?,?,?,?,?,?,?,?)",
            (trail["arn"], chain_region, bucket, key, hashlib.sha256(raw).hexdigest(), _iso(max(times)), _iso(min(times)), tick_ms),
        )
    if cfg.get("CloudWatchLogsLogGroupArn") and account == store.account_id:
        _deliver_cloudwatch(store, trail, region, texts, times, tick_ms)


def _deliver_cloudwatch(store: AccountStore, trail: dict[str, Any], region: str, texts: list[str], times: list[int],
                        delivered_ms: int) -> None:  # fmt: skip
    """CloudWatch Logs delivery: the records go to the log group's ARN (facts.deliver, not recorded as calls).

    Stream ``<account>_CloudTrail_<region>`` as AWS names it; a refused delivery (missing log group) is recorded as
    LatestCloudWatchLogsDeliveryError, as AWS reports a failed delivery.
    """
    from awsmon.backends.local import facts

    arn = str(trail["cfg"]["CloudWatchLogsLogGroupArn"]).removesuffix(":*")
    parts = arn.split(":")
    if len(parts) < 7 or parts[5] != "log-group":
        # Not a log-group ARN: name the group in the trail's home Region (delivery then fails if it is missing).
        arn = f"arn:aws:logs:{trail['home_region']}:{store.account_id}:log-group:{arn}"
    elif not parts[3]:
        arn = ":".join([*parts[:3], trail["home_region"], *parts[4:]])
    # Events over 256 KB are not sent to CloudWatch Logs (CloudTrail quota).
    batch = [(t, m) for t, m in zip(times, texts, strict=True) if len(m.encode()) <= 256 * 1024]
    got = facts.deliver(store, arn, "", datetime.fromtimestamp(max(times) / 1000, UTC),
                        stream=f"{store.account_id}_CloudTrail_{region}", events=batch)  # fmt: skip
    if got.status == "Failed":
        store.conn.execute("UPDATE ct_trails SET latest_cwl_error = ? WHERE arn = ?", (got.error_code, trail["arn"]))
        return
    store.conn.execute("UPDATE ct_trails SET latest_cwl_ms = ?, latest_cwl_error = NULL WHERE arn = ?",
                       (delivered_ms, trail["arn"]))  # fmt: skip


def deliver(store: AccountStore, trail: dict[str, Any], upto_ms: int) -> int | None:
    """Write log files for pending events whose delivery tick is <= ``upto_ms``; return the first pending tick.

    A stopped trail delivers everything up to its stop (``stop_seq``) in one final file per region at the stop time.
    """
    stopped = not trail["is_logging"]
    sql = "SELECT seq, region, event_time, record FROM events WHERE seq > ? AND origin = 'local'"
    args: list[Any] = [trail["last_seq"]]
    if stopped:
        if trail["stop_seq"] is None:
            return None
        sql += " AND seq <= ?"
        args.append(trail["stop_seq"])
    if not trail["cfg"].get("IsMultiRegionTrail"):
        sql += " AND region = ?"
        args.append(trail["home_region"])
    if not trail["cfg"].get("IncludeGlobalServiceEvents", True):
        # Global-service events (IAM, STS, CloudFront, sign-in) are recorded in us-east-1; this trail leaves them out.
        sql += f" AND NOT (region = ? AND coalesce(event_source, '') IN ({','.join('?' * len(GLOBAL_EVENT_SOURCES))}))"
        args += [GLOBAL_EVENTS_REGION, *GLOBAL_EVENT_SOURCES]
    sql += " ORDER BY seq"
    groups: dict[tuple[str, int], tuple[list[str], list[int]]] = {}
    last_seq = trail["last_seq"]
    pending: int | None = None
    default_sel = trail["basic"] is None and trail["advanced"] is None
    for seq, region, event_time, text in store.conn.execute(sql, args):
        tick = trail["stop_logging_ms"] if stopped else (event_time // TICK_MS + 1) * TICK_MS
        if tick > upto_ms and not stopped:
            pending = tick
            break
        last_seq = seq
        if not default_sel or '"eventCategory":"Management"' not in text:
            if not selector_matches(json.loads(text), trail["basic"], trail["advanced"]):
                continue
        texts, times = groups.setdefault((region, tick), ([], []))
        texts.append(text)
        times.append(event_time)
        if len(texts) >= MAX_RECORDS_PER_FILE:
            _write_log(store, trail, region, tick, texts, times)
            del groups[(region, tick)]
    for (region, tick), (texts, times) in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        _write_log(store, trail, region, tick, texts, times)
    store.conn.execute("UPDATE ct_trails SET last_seq = ? WHERE arn = ?", (last_seq, trail["arn"]))
    trail["last_seq"] = last_seq
    if trail["cfg"].get("IsOrganizationTrail"):
        member_pending = _deliver_members(store, trail, upto_ms)
        if member_pending is not None:
            pending = member_pending if pending is None else min(pending, member_pending)
    return pending


def _deliver_members(store: AccountStore, trail: dict[str, Any], upto_ms: int) -> int | None:
    """An organization trail also delivers every member account's events, under ``AWSLogs/<o-id>/<account>/``.

    [design choice] Member accounts are other local accounts of the home (their own databases, read-only here);
    their events are delivered by the management account's catch-up, from the trail's StartLogging on. How far
    each member was delivered is kept in the trail's settings (``OrgMemberSeqs``).
    """
    import sqlite3

    org = local_organization(store.home)
    if org is None:
        return None
    cfg = trail["cfg"]
    seqs: dict[str, int] = dict(cfg.get("OrgMemberSeqs") or {})
    stopped = not trail["is_logging"]
    start_ms = trail["start_logging_ms"] or 0
    pending: int | None = None
    for account in org.accounts:
        if account == store.account_id:
            continue
        db = store.home.account_dir(account) / "account.db"
        if not db.is_file():
            continue
        sql = "SELECT seq, region, event_time, record FROM events WHERE seq > ? AND origin = 'local' AND event_time >= ?"
        args: list[Any] = [seqs.get(account, 0), start_ms]
        if stopped:
            sql += " AND event_time <= ?"
            args.append(trail["stop_logging_ms"] or upto_ms)
        if not cfg.get("IsMultiRegionTrail"):
            sql += " AND region = ?"
            args.append(trail["home_region"])
        sql += " ORDER BY seq"
        groups: dict[tuple[str, int], tuple[list[str], list[int]]] = {}
        try:
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        except sqlite3.Error:
            continue
        try:
            for seq, region, event_time, text in conn.execute(sql, args):
                tick = trail["stop_logging_ms"] if stopped else (event_time // TICK_MS + 1) * TICK_MS
                if tick > upto_ms and not stopped:
                    pending = tick if pending is None else min(pending, tick)
                    break
                seqs[account] = seq
                if not cfg.get("IncludeGlobalServiceEvents", True) and region == GLOBAL_EVENTS_REGION and any(
                    f'"eventSource":"{src}"' in text for src in GLOBAL_EVENT_SOURCES
                ):
                    continue
                if not selector_matches(json.loads(text), trail["basic"], trail["advanced"]):
                    continue
                texts, times = groups.setdefault((region, tick), ([], []))
                texts.append(text)
                times.append(event_time)
        except sqlite3.Error:
            continue  # a member database being migrated or locked: its events wait for the next catch-up
        finally:
            conn.close()
        for (region, tick), (texts, times) in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            for i in range(0, len(texts), MAX_RECORDS_PER_FILE):
                _write_log(store, trail, region, tick, texts[i : i + MAX_RECORDS_PER_FILE],
                           times[i : i + MAX_RECORDS_PER_FILE], account=account)  # fmt: skip
    cfg["OrgMemberSeqs"] = seqs
    store.conn.execute("UPDATE ct_trails SET config = ? WHERE arn = ?", (json.dumps(cfg), trail["arn"]))
    return pending


def _write_digest(store: AccountStore, trail: dict[str, Any], chain: dict[str, Any], end_ms: int, key_cache: dict[str, Any]) -> None:
    import gzip
    import hashlib

    from awsmon.engines.digest import (
        PreviousDigest,
        build_digest,
        digest_key,
        public_key_der,
        public_key_fingerprint,
        serialize_digest,
        sign_digest,
    )

    if "key" not in key_cache:
        key_cache["key"] = store.load_signing_key()
        key_cache["fp"] = public_key_fingerprint(public_key_der(key_cache["key"].public_key()))
    cfg = trail["cfg"]
    bucket = cfg["S3BucketName"]
    region = chain["region"]  # the chain key: <account>:<region> for organization trails
    account, source_region = _split_chain(store, region)
    start_ms = chain["last_end_ms"]
    end = _dt(end_ms)
    start = _dt(start_ms)
    assert end is not None and start is not None
    key = digest_key(account, source_region, trail["name"], trail["home_region"], end,
                     prefix=cfg.get("S3KeyPrefix") or None,
                     organization_id=cfg.get("OrganizationId") if cfg.get("IsOrganizationTrail") else None)  # fmt: skip
    logs = store.conn.execute(
        # Every delivered file not yet in a digest (a stop flush can land exactly on the previous digest's end).
        "SELECT bucket, key, hash, newest, oldest FROM ct_logs WHERE trail_arn = ? AND region = ? "
        "AND delivered_ms <= ? ORDER BY delivered_ms, key",
        (trail["arn"], region, end_ms),
    ).fetchall()
    entries = [{"s3Bucket": r["bucket"], "s3Object": r["key"], "hashValue": r["hash"], "hashAlgorithm": "SHA-256",
                "newestEventTime": r["newest"], "oldestEventTime": r["oldest"]} for r in logs]  # fmt: skip
    previous = None
    if chain["prev_key"]:
        previous = PreviousDigest(chain["prev_bucket"], chain["prev_key"], b"", chain["prev_signature"])
    digest = build_digest(account_id=account, bucket=bucket, key=key, start_time=start, end_time=end,
                          fingerprint=key_cache["fp"], log_files=entries, previous=previous)  # fmt: skip
    if previous is not None:
        digest["previousDigestHashValue"] = chain["prev_hash"]  # the stored hash of the previous digest's bytes
    inflated = serialize_digest(digest)
    signature = sign_digest(key_cache["key"], digest, inflated)
    if not _put(store, trail, "latest_digest_error", bucket, key, gzip.compress(inflated, mtime=0),
                content_type="application/json", last_modified=end,
                metadata={"signature": signature, "signature-algorithm": "SHA256withRSA"}):  # fmt: skip
        # Not delivered: the window is over and the next digest starts a new chain (null previous fields).
        store.conn.execute("UPDATE ct_chains SET last_end_ms = ?, prev_bucket = NULL, prev_key = NULL, prev_hash = NULL, "
                           "prev_signature = NULL WHERE trail_arn = ? AND region = ?", (end_ms, trail["arn"], region))  # fmt: skip
        store.conn.execute("DELETE FROM ct_logs WHERE trail_arn = ? AND region = ? AND delivered_ms <= ?",
                           (trail["arn"], region, end_ms))  # fmt: skip
        chain.update(last_end_ms=end_ms, prev_bucket=None, prev_key=None, prev_signature=None, prev_hash=None)
        return
    store.conn.execute(
        "UPDATE ct_chains SET last_end_ms = ?, prev_bucket = ?, prev_key = ?, prev_hash = ?, prev_signature = ? "
        "WHERE trail_arn = ? AND region = ?",
        (end_ms, bucket, key, hashlib.sha256(inflated).hexdigest(), signature, trail["arn"], region),
    )
    store.conn.execute("DELETE FROM ct_logs WHERE trail_arn = ? AND region = ? AND delivered_ms <= ?",
                       (trail["arn"], region, end_ms))  # fmt: skip
    store.conn.execute("UPDATE ct_trails SET latest_digest_ms = ?, latest_digest_error = NULL WHERE arn = ?",
                       (end_ms, trail["arn"]))  # fmt: skip
    chain.update(last_end_ms=end_ms, prev_bucket=bucket, prev_key=key, prev_signature=signature,
                 prev_hash=hashlib.sha256(inflated).hexdigest())  # fmt: skip


def _digests(store: AccountStore, trail: dict[str, Any], upto_ms: int, *, final: bool) -> int | None:
    """Write every hourly digest ending at or before ``upto_ms``; ``final`` also closes each chain at ``upto_ms``."""
    cache: dict[str, Any] = {}
    next_due: int | None = None
    chains = [dict(r) for r in store.conn.execute("SELECT * FROM ct_chains WHERE trail_arn = ? ORDER BY region",
                                                   (trail["arn"],))]  # fmt: skip
    for chain in chains:
        while chain["last_end_ms"] + HOUR_MS <= upto_ms:
            _write_digest(store, trail, chain, chain["last_end_ms"] + HOUR_MS, cache)
        if final:
            undigested = store.conn.execute("SELECT 1 FROM ct_logs WHERE trail_arn = ? AND region = ? LIMIT 1",
                                            (trail["arn"], chain["region"])).fetchone()  # fmt: skip
            if upto_ms > chain["last_end_ms"] or undigested:
                # The final digest ends at the stop, at least one second after the previous one (distinct key).
                _write_digest(store, trail, chain, max(upto_ms - upto_ms % 1000, chain["last_end_ms"] + 1000), cache)
            store.conn.execute("DELETE FROM ct_chains WHERE trail_arn = ? AND region = ?", (trail["arn"], chain["region"]))
            store.conn.execute("DELETE FROM ct_logs WHERE trail_arn = ? AND region = ?", (trail["arn"], chain["region"]))
        else:
            due = chain["last_end_ms"] + HOUR_MS
            next_due = due if next_due is None else min(next_due, due)
    return next_due


def _finish(store: AccountStore, arn: str, stop_ms: int) -> None:
    """A stopped trail: deliver what is left, write the final digests, close the chains."""
    trail = _trail(store, arn)
    if trail is None:
        return
    deliver(store, trail, stop_ms)
    store.conn.execute("UPDATE ct_trails SET stop_seq = NULL WHERE arn = ?", (arn,))
    _digests(store, trail, stop_ms, final=True)


def run_deliver(store: AccountStore, key: str, due: datetime, now: datetime) -> datetime | None:
    trail = _trail(store, key)
    if trail is None:
        return None
    if not trail["is_logging"]:
        if not store.conn.execute("SELECT 1 FROM ct_chains WHERE trail_arn = ?", (key,)).fetchone():
            deliver(store, trail, _ms(now))
            store.conn.execute("UPDATE ct_trails SET stop_seq = NULL WHERE arn = ?", (key,))
        return None  # with a chain, the digest job finishes the stop (flush + final digest)
    now_ms = _ms(now)
    pending = deliver(store, trail, now_ms)
    nxt = pending if pending is not None else (now_ms // TICK_MS + 1) * TICK_MS
    return _dt(max(nxt, _ms(due) + 1))


def run_digest(store: AccountStore, key: str, due: datetime, now: datetime) -> datetime | None:
    trail = _trail(store, key)
    if trail is None:
        return None
    if not trail["is_logging"]:
        _finish(store, key, trail["stop_logging_ms"] or _ms(due))
        return None
    now_ms = _ms(now)
    deliver(store, trail, now_ms)  # logs due by now first, so each digest sees every file of its hour
    nxt = _digests(store, trail, now_ms, final=False)
    return None if nxt is None else _dt(max(nxt, _ms(due) + 1))


def run_retention(store: AccountStore, key: str, due: datetime, now: datetime) -> datetime | None:
    """Delete locally recorded events older than the 90-day history (imported events are kept, never deleted).

    Read from the (origin, event_time) index: the cost is what expires plus one probe. The job is armed by the
    ``ct_retention_arm`` trigger on the first local event; it runs again when the oldest remaining local event
    leaves the window (at most hourly), and drops out when none is left (the next local event arms it again).
    """
    cutoff = _ms(now - LOOKUP_WINDOW)
    conn = store.conn
    while True:
        seqs = [r[0] for r in conn.execute(
            "SELECT seq FROM events WHERE origin = 'local' AND event_time < ? ORDER BY event_time LIMIT ?",
            (cutoff, RETENTION_DELETE_BATCH))]  # fmt: skip
        if not seqs:
            break
        marks = ",".join("?" * len(seqs))
        conn.execute(f"DELETE FROM event_resources WHERE event_seq IN ({marks})", seqs)
        conn.execute(f"DELETE FROM events WHERE seq IN ({marks})", seqs)
    row = conn.execute("SELECT min(event_time) FROM events WHERE origin = 'local'").fetchone()
    if row is None or row[0] is None:
        return None
    # At most one run per simulated hour: lookups already hide expired events, so deleting them in hourly batches
    # spares a busy account a small write on nearly every command.
    return _dt(max(row[0] + int(LOOKUP_WINDOW.total_seconds() * 1000) + 1, _ms(now) + HOUR_MS, _ms(due) + 1))
