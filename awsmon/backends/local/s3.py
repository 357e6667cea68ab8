"""The simulated S3 service over the account's bucket folders (``store.s3_dir/<bucket>``, see :mod:`awsmon.s3folder`).

One bucket namespace: the folders CloudTrail (and Config) deliver into are buckets here too; a folder without
settings is an owned bucket in the account's default Region with AWS's defaults.

Consequences:

* bucket operations are CloudTrail management events; object operations (PutObject, GetObject, DeleteObject,
  CopyObject, HeadObject, ListObjects) are data events, logged only by trails whose selectors ask for them;
* request metrics (AWS/S3, dimensions BucketName + FilterId) for each request when a metrics configuration covers
  it (PutBucketMetricsConfiguration), and the daily storage metrics BucketSizeBytes / NumberOfObjects (scheduler
  kind ``s3.storage``);
* Config records ``AWS::S3::Bucket`` (:data:`CONFIG_KINDS`) with the ACL, public access block, versioning and
  policy in ``supplementaryConfiguration``, as AWS Config does.

[design choice] New buckets get Block Public Access on (all four settings), as AWS does since April 2023; object
ownership is not simulated (ACLs are accepted unless a public access block refuses them); versioning is recorded
but objects keep one version.
"""

from __future__ import annotations

import hashlib
import io
import ipaddress
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from awsmon.backends.local import facts, scheduler
from awsmon.backends.local.base import LocalService, api
from awsmon.errors import ServiceError
from awsmon.s3folder import META_DIR, TMP_PREFIX, NoSuchKey, S3Folder

if TYPE_CHECKING:
    from awsmon.backends.local.store import AccountStore

scheduler.register("s3.storage", "awsmon.backends.local.s3:run_storage")

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTH_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
CANNED_ACLS = ("private", "public-read", "public-read-write", "authenticated-read")
DEFAULT_PAB = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_BAD_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BAD_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
DAY = timedelta(days=1)
REQUEST_KIND = {"GetObject": "GetRequests", "PutObject": "PutRequests", "CopyObject": "PutRequests",
                "DeleteObject": "DeleteRequests", "HeadObject": "HeadRequests", "ListObjects": "ListRequests",
                "ListObjectsV2": "ListRequests"}  # fmt: skip


def _ms(dt: datetime) -> int:
    return int(round(dt.timestamp() * 1000))


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def validate_bucket_name(name: Any) -> str:
    """S3's general purpose bucket naming rules; InvalidBucketName otherwise (nothing is stored)."""
    text = str(name or "")
    bad = (not _NAME_RE.match(text) or ".." in text or ".-" in text or "-." in text
           or text.startswith(_BAD_PREFIXES) or text.endswith(_BAD_SUFFIXES))  # fmt: skip
    if not bad:
        try:
            ipaddress.IPv4Address(text)
            bad = True
        except ValueError:
            pass
    if bad:
        raise ServiceError("InvalidBucketName", "The specified bucket is not valid.")
    return text


def _no_bucket() -> ServiceError:
    return ServiceError("NoSuchBucket", "The specified bucket does not exist", status=404)


def _owner(account: str) -> dict[str, str]:
    return {"DisplayName": "awsmon", "ID": hashlib.sha256(account.encode()).hexdigest()}


def canned_grants(acl: str, account: str) -> list[dict[str, Any]]:
    owner = {"Type": "CanonicalUser", **_owner(account)}
    grants: list[dict[str, Any]] = [{"Grantee": owner, "Permission": "FULL_CONTROL"}]
    if acl in ("public-read", "public-read-write"):
        grants.append({"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"})
    if acl == "public-read-write":
        grants.append({"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "WRITE"})
    if acl == "authenticated-read":
        grants.append({"Grantee": {"Type": "Group", "URI": AUTH_USERS}, "Permission": "READ"})
    return grants


def acl_is_public(grants: list[Mapping[str, Any]]) -> bool:
    return any((g.get("Grantee") or {}).get("URI") in (ALL_USERS, AUTH_USERS) for g in grants)


def policy_is_public(text: str | None) -> bool:
    """A bucket policy is public when an Allow statement has a wildcard principal and no limiting condition."""
    if not text:
        return False
    try:
        doc = json.loads(text)
    except ValueError:
        return False
    statements = doc.get("Statement") or []
    for s in statements if isinstance(statements, list) else [statements]:
        if not isinstance(s, Mapping) or s.get("Effect") != "Allow" or s.get("Condition"):
            continue
        p = s.get("Principal")
        if p == "*" or (isinstance(p, Mapping) and ("*" in (p.get("AWS") if isinstance(p.get("AWS"), list) else [p.get("AWS")]))):
            return True
    return False



def _check_statements(statements: Any, bucket: str) -> None:
    """What S3 checks of each statement before storing a bucket policy (its MalformedPolicy texts): the effect, a
    principal, actions of S3 and resources of this bucket."""
    import fnmatch

    for st in statements if isinstance(statements, list) else [statements]:
        if not isinstance(st, dict):
            raise ServiceError("MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'")
        if st.get("Effect") not in ("Allow", "Deny"):
            raise ServiceError("MalformedPolicy", f"Invalid effect: {st.get('Effect')}")
        if "Principal" not in st and "NotPrincipal" not in st:
            raise ServiceError("MalformedPolicy", "Missing required field Principal")
        actions = st.get("Action", st.get("NotAction"))
        if actions is None:
            raise ServiceError("MalformedPolicy", "Missing required field Action")
        for a in actions if isinstance(actions, list) else [actions]:
            if not isinstance(a, str) or not (a == "*" or a.lower().startswith("s3:")):
                raise ServiceError("MalformedPolicy", "Policy has invalid action")
        resources = st.get("Resource", st.get("NotResource"))
        if resources is None:
            raise ServiceError("MalformedPolicy", "Missing required field Resource")
        for r in resources if isinstance(resources, list) else [resources]:
            name = r[len("arn:aws:s3:::"):].split("/", 1)[0] if isinstance(r, str) and r.startswith("arn:aws:s3:::") \
                else None  # fmt: skip
            if name is None or not (name == bucket or fnmatch.fnmatchcase(bucket, name)):
                raise ServiceError("MalformedPolicy", "Policy has invalid resource")

class LocalS3(LocalService):
    service_name = "s3"
    event_source = "s3.amazonaws.com"

    # -- helpers ------------------------------------------------------------------------------------------------
    def _folder(self, name: str) -> S3Folder:
        return S3Folder(self.store.s3_dir / name)

    def _row(self, name: str, *, create: bool = False) -> Any:
        """The bucket's settings row; a delivered-to folder becomes a bucket with defaults (inside a write)."""
        validate_bucket_name(name)
        row = self.conn.execute("SELECT * FROM s3_buckets WHERE name = ?", (name,)).fetchone()
        if row is not None:
            return row
        path = self.store.s3_dir / name
        if not path.is_dir():
            raise _no_bucket()
        if not create:
            created = int(path.stat().st_mtime * 1000)
            return {"name": name, "region": self.store.default_region, "created_ms": created, "acl": None,
                    "public_access_block": json.dumps(DEFAULT_PAB), "versioning": None, "mfa_delete": None,
                    "policy": None, "metrics": "{}", "tags": "[]"}  # fmt: skip
        self.conn.execute("INSERT INTO s3_buckets (name, region, created_ms, public_access_block) VALUES (?,?,?,?)",
                          (name, self.store.default_region, int(path.stat().st_mtime * 1000), json.dumps(DEFAULT_PAB)))  # fmt: skip
        return self.conn.execute("SELECT * FROM s3_buckets WHERE name = ?", (name,)).fetchone()

    def _names(self) -> list[str]:
        names = {r[0] for r in self.conn.execute("SELECT name FROM s3_buckets")}
        root = self.store.s3_dir
        if root.is_dir():
            for p in root.iterdir():
                if p.is_dir() and _NAME_RE.match(p.name):
                    names.add(p.name)
        return sorted(names)

    def _grants(self, row: Mapping[str, Any]) -> list[dict[str, Any]]:
        return json.loads(row["acl"]) if row["acl"] else canned_grants("private", self.account_id)

    def _resources(self, op: str, params: dict[str, Any], result: Any) -> list[dict[str, str]]:
        bucket = params.get("Bucket")
        if not bucket:
            return []
        out = []
        key = params.get("Key")
        if key:
            out.append({"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}", "name": f"{bucket}/{key}"})
        out.append({"type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}", "name": str(bucket)})
        return out

    def record(self, op: str, params: Mapping[str, Any] | None, response: Any, read_only: bool,
               category: str = "Management", **kw: Any) -> dict[str, Any]:  # fmt: skip
        """S3's CloudTrail requestParameters name the bucket ``bucketName`` and carry the Host; bodies are left out."""
        p = dict(params or {})
        shaped: dict[str, Any] = {}
        if "Bucket" in p:
            shaped["bucketName"] = p.pop("Bucket")
            shaped["Host"] = f"{shaped['bucketName']}.s3.{self.region}.amazonaws.com"
        if "Key" in p:
            shaped["key"] = p.pop("Key")
        p.pop("Body", None)
        shaped.update({k[:1].lower() + k[1:]: v for k, v in p.items()})
        if isinstance(response, Mapping):
            response = {k: v for k, v in response.items() if k not in ("Body",)}
            response = None if category == "Data" else response
        return super().record(op, shaped, response, read_only, category, **kw)

    def _request_metrics(self, op: str, bucket: str, key: str | None, *, uploaded: int = 0, downloaded: int = 0) -> None:
        """AWS/S3 request metrics for each metrics configuration of the bucket that covers the request."""
        row = self.conn.execute("SELECT metrics FROM s3_buckets WHERE name = ?", (bucket,)).fetchone()
        if row is None or row[0] in (None, "{}"):
            return
        configs = json.loads(row[0])
        now = self.now()
        with self.store.transaction():
            for cid, cfg in configs.items():
                prefix = ((cfg.get("Filter") or {}).get("Prefix")) or ""
                if prefix and not (key or "").startswith(prefix):
                    continue
                dims = {"BucketName": bucket, "FilterId": cid}
                values = {"AllRequests": 1.0, REQUEST_KIND[op]: 1.0, "4xxErrors": 0.0, "5xxErrors": 0.0,
                          "FirstByteLatency": 12.0, "TotalRequestLatency": 20.0}  # fmt: skip
                if uploaded:
                    values["BytesUploaded"] = float(uploaded)
                if downloaded:
                    values["BytesDownloaded"] = float(downloaded)
                for name, value in values.items():
                    unit = "Milliseconds" if "Latency" in name else ("Bytes" if name.startswith("Bytes") else "Count")
                    facts.emit(self.store, self.region, "datapoints", namespace="AWS/S3", metric_name=name,
                               dimensions=dims, timestamp=now, values=[value], unit=unit)  # fmt: skip

    # -- buckets ------------------------------------------------------------------------------------------------
    @api("CreateBucket")
    def create_bucket(self, *, Bucket: str, CreateBucketConfiguration: dict[str, Any] | None = None,
                      ACL: str | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        name = validate_bucket_name(Bucket)
        location = (CreateBucketConfiguration or {}).get("LocationConstraint")
        if self.region == "us-east-1" and location not in (None, "", "us-east-1"):
            raise ServiceError("InvalidLocationConstraint", "The specified location-constraint is not valid")
        if self.region != "us-east-1" and location != self.region:
            raise ServiceError("IllegalLocationConstraintException",
                               f"The {location or 'unspecified'} location constraint is incompatible for the region "
                               "specific endpoint this request was sent to.")  # fmt: skip
        exists = self.conn.execute("SELECT 1 FROM s3_buckets WHERE name = ?", (name,)).fetchone() or \
            (self.store.s3_dir / name).is_dir()  # fmt: skip
        if exists:
            raise ServiceError("BucketAlreadyOwnedByYou",
                               "Your previous request to create the named bucket succeeded and you already own it.",
                               status=409)  # fmt: skip
        grants = canned_grants(ACL or "private", self.account_id)
        if ACL and ACL not in CANNED_ACLS:
            raise ServiceError("InvalidArgument", f"Invalid canned ACL {ACL}")
        if acl_is_public(grants):
            raise ServiceError("InvalidBucketAclWithBlockPublicAccessError",
                               "Bucket cannot have public ACLs set with BlockPublicAccess enabled")  # fmt: skip
        (self.store.s3_dir / name).mkdir(parents=True, exist_ok=False)
        self.conn.execute("INSERT INTO s3_buckets (name, region, created_ms, acl, public_access_block) VALUES (?,?,?,?,?)",
                          (name, self.region, _ms(self.now()), json.dumps(grants), json.dumps(DEFAULT_PAB)))  # fmt: skip
        scheduler.schedule_if_absent(self.store, "s3.storage", "daily", _next_midnight(self.now()))
        return {"Location": f"/{name}" if self.region == "us-east-1" else f"http://{name}.s3.amazonaws.com/"}

    @api("DeleteBucket")
    def delete_bucket(self, *, Bucket: str, **kw: Any) -> dict[str, Any]:
        self._row(Bucket)
        folder = self._folder(Bucket)
        if next(folder.list_objects(), None) is not None:
            raise ServiceError("BucketNotEmpty", "The bucket you tried to delete is not empty", status=409)
        import shutil

        shutil.rmtree(self.store.s3_dir / Bucket, ignore_errors=True)
        self.conn.execute("DELETE FROM s3_buckets WHERE name = ?", (Bucket,))
        return {}

    @api("HeadBucket")
    def head_bucket(self, *, Bucket: str, **kw: Any) -> dict[str, Any]:
        row = self._row(Bucket)
        return {"BucketRegion": row["region"]}

    @api("ListBuckets")
    def list_buckets(self, **kw: Any) -> dict[str, Any]:
        out = []
        for name in self._names():
            row = self._row(name)
            out.append({"Name": name, "CreationDate": _dt(row["created_ms"]), "BucketRegion": row["region"]})
        return {"Buckets": out, "Owner": _owner(self.account_id)}

    @api("GetBucketLocation")
    def get_bucket_location(self, *, Bucket: str, **kw: Any) -> dict[str, Any]:
        region = self._row(Bucket)["region"]
        return {"LocationConstraint": None if region == "us-east-1" else region}

    # -- bucket settings ----------------------------------------------------------------------------------------
    @api("PutBucketAcl")
    def put_bucket_acl(self, *, Bucket: str, ACL: str | None = None, AccessControlPolicy: dict[str, Any] | None = None,
                       **kw: Any) -> dict[str, Any]:  # fmt: skip
        row = self._row(Bucket, create=True)
        if ACL:
            if ACL not in CANNED_ACLS:
                raise ServiceError("InvalidArgument", f"Invalid canned ACL {ACL}")
            grants = canned_grants(ACL, self.account_id)
        elif AccessControlPolicy:
            grants = [dict(g) for g in AccessControlPolicy.get("Grants") or []]
        else:
            raise ServiceError("MissingSecurityHeader", "Your request was missing a required header")
        pab = json.loads(row["public_access_block"]) if row["public_access_block"] else {}
        if pab.get("BlockPublicAcls") and acl_is_public(grants):
            raise ServiceError("AccessDenied", "Access Denied", status=403)
        self.conn.execute("UPDATE s3_buckets SET acl = ? WHERE name = ?", (json.dumps(grants), Bucket))
        return {}

    @api("GetBucketAcl")
    def get_bucket_acl(self, *, Bucket: str, **kw: Any) -> dict[str, Any]:
        row = self._row(Bucket)
        return {"Owner": _owner(self.account_id), "Grants": self._grants(row)}

    @api("PutPublicAccessBlock")
    def put_public_access_block(self, *, Bucket: str, PublicAccessBlockConfiguration: dict[str, Any],
                                **kw: Any) -> dict[str, Any]:  # fmt: skip
        self._row(Bucket, create=True)
        if not all(isinstance(v, bool) for v in PublicAccessBlockConfiguration.values()):  # "maybe" is not true
            raise ServiceError("MalformedXML", "The XML you provided was not well-formed or did not validate against "
                               "our published schema")  # fmt: skip
        cfg = {k: bool(PublicAccessBlockConfiguration.get(k, False)) for k in DEFAULT_PAB}
        self.conn.execute("UPDATE s3_buckets SET public_access_block = ? WHERE name = ?", (json.dumps(cfg), Bucket))
        return {}

    @api("GetPublicAccessBlock")
    def get_public_access_block(self, *, Bucket: str, **kw: Any) -> dict[str, Any]:
        row = self._row(Bucket)
        if not row["public_access_block"]:
            raise ServiceError("NoSuchPublicAccessBlockConfiguration",
                               "The public access block configuration was not found", status=404)  # fmt: skip
        return {"PublicAccessBlockConfiguration": json.loads(row["public_access_block"])}

    @api("DeletePublicAccessBlock")
    def delete_public_access_block(self, *, Bucket: str, **kw: Any) -> dict[str, Any]:
        self._row(Bucket, create=True)
        self.conn.execute("UPDATE s3_buckets SET public_access_block = NULL WHERE name = ?", (Bucket,))
        return {}

    @api("PutBucketVersioning")
    def put_bucket_versioning(self, *, Bucket: str, VersioningConfiguration: dict[str, Any], MFA: str | None = None,
                              **kw: Any) -> dict[str, Any]:  # fmt: skip
        self._row(Bucket, create=True)
        status = VersioningConfiguration.get("Status")
        if status not in ("Enabled", "Suspended"):
            raise ServiceError("MalformedXML", "The XML you provided was not well-formed or did not validate against "
                               "our published schema")  # fmt: skip
        mfa = VersioningConfiguration.get("MFADelete")
        if mfa not in (None, "Enabled", "Disabled"):
            raise ServiceError("MalformedXML", "The XML you provided was not well-formed or did not validate against "
                               "our published schema")  # fmt: skip
        self.conn.execute("UPDATE s3_buckets SET versioning = ?, mfa_delete = coalesce(?, mfa_delete) WHERE name = ?",
                          (status, mfa, Bucket))  # fmt: skip
        return {}

    @api("GetBucketVersioning")
    def get_bucket_versioning(self, *, Bucket: str, **kw: Any) -> dict[str, Any]:
        row = self._row(Bucket)
        out: dict[str, Any] = {}
        if row["versioning"]:
            out["Status"] = row["versioning"]
        if row["mfa_delete"]:
            out["MFADelete"] = row["mfa_delete"]
        return out

    @api("PutBucketPolicy")
    def put_bucket_policy(self, *, Bucket: str, Policy: str, **kw: Any) -> dict[str, Any]:
        row = self._row(Bucket, create=True)
        text = Policy if isinstance(Policy, str) else json.dumps(Policy)
        try:
            doc = json.loads(text)
        except ValueError:
            doc = None
        if not isinstance(doc, dict) or not text.lstrip().startswith("{"):
            raise ServiceError("MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'")
        if not doc.get("Statement"):
            raise ServiceError("MalformedPolicy", "Missing required field Statement")
        _check_statements(doc["Statement"], Bucket)
        pab = json.loads(row["public_access_block"]) if row["public_access_block"] else {}
        if pab.get("BlockPublicPolicy") and policy_is_public(text):
            raise ServiceError("AccessDenied", "Access Denied", status=403)
        self.conn.execute("UPDATE s3_buckets SET policy = ? WHERE name = ?", (text, Bucket))
        return {}

    @api("GetBucketPolicy")
    def get_bucket_policy(self, *, Bucket: str, **kw: Any) -> dict[str, Any]:
        row = self._row(Bucket)
        if not row["policy"]:
            raise ServiceError("NoSuchBucketPolicy", "The bucket policy does not exist", status=404)
        return {"Policy": row["policy"]}

    @api("DeleteBucketPolicy")
    def delete_bucket_policy(self, *, Bucket: str, **kw: Any) -> dict[str, Any]:
        self._row(Bucket, create=True)
        self.conn.execute("UPDATE s3_buckets SET policy = NULL WHERE name = ?", (Bucket,))
        return {}

    @api("PutBucketMetricsConfiguration")
    def put_bucket_metrics_configuration(self, *, Bucket: str, Id: str, MetricsConfiguration: dict[str, Any],
                                         **kw: Any) -> dict[str, Any]:  # fmt: skip
        row = self._row(Bucket, create=True)
        if not Id or len(Id) > 64 or MetricsConfiguration.get("Id") != Id:
            raise ServiceError("InvalidArgument", "Configuration Id must match the Id in the request")
        configs = json.loads(row["metrics"] or "{}")
        if Id not in configs and len(configs) >= 1000:
            raise ServiceError("TooManyConfigurations", "You are attempting to create a new configuration but have "
                               "already reached the 1,000-configuration limit.")  # fmt: skip
        configs[Id] = dict(MetricsConfiguration)
        self.conn.execute("UPDATE s3_buckets SET metrics = ? WHERE name = ?", (json.dumps(configs), Bucket))
        return {}

    @api("GetBucketMetricsConfiguration")
    def get_bucket_metrics_configuration(self, *, Bucket: str, Id: str, **kw: Any) -> dict[str, Any]:
        configs = json.loads(self._row(Bucket)["metrics"] or "{}")
        if Id not in configs:
            raise ServiceError("NoSuchConfiguration", "The specified configuration does not exist.", status=404)
        return {"MetricsConfiguration": configs[Id]}

    @api("ListBucketMetricsConfigurations")
    def list_bucket_metrics_configurations(self, *, Bucket: str, **kw: Any) -> dict[str, Any]:
        configs = json.loads(self._row(Bucket)["metrics"] or "{}")
        return {"IsTruncated": False, "MetricsConfigurationList": [configs[k] for k in sorted(configs)]}

    # -- objects (data events) ----------------------------------------------------------------------------------
    def _key(self, key: Any) -> str:
        if not key or len(str(key).encode()) > 1024:
            raise ServiceError("KeyTooLongError", "Your key is too long") if key else \
                ServiceError("InvalidArgument", "Key must not be empty")  # fmt: skip
        return str(key)

    @api("PutObject", category="Data")
    def put_object(self, *, Bucket: str, Key: str, Body: Any = b"", ContentType: str | None = None,
                   Metadata: dict[str, str] | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        self._row(Bucket)
        key = self._key(Key)
        data = Body.read() if hasattr(Body, "read") else (Body.encode() if isinstance(Body, str) else bytes(Body or b""))
        try:
            head = self._folder(Bucket).put_object(key, data, metadata=dict(Metadata or {}),
                                                   content_type=ContentType or "binary/octet-stream",
                                                   last_modified=self.now())  # fmt: skip
        except ValueError as exc:
            raise ServiceError("InvalidArgument", f"awsmon cannot store key {key!r} in a bucket folder: {exc}") from None
        self._request_metrics("PutObject", Bucket, key, uploaded=len(data))
        return {"ETag": head.get("ETag") or f'"{hashlib.md5(data, usedforsecurity=False).hexdigest()}"'}

    def _head(self, bucket: str, key: str) -> dict[str, Any]:
        self._row(bucket)
        try:
            head = self._folder(bucket).head_object(self._key(key))
        except (NoSuchKey, ValueError):
            raise ServiceError("NoSuchKey", "The specified key does not exist.", status=404) from None
        size = self._folder(bucket).object_path(key).stat().st_size
        modified = datetime.fromisoformat(str(head["LastModified"]).replace("Z", "+00:00"))
        return {"ContentLength": size, "ContentType": head.get("ContentType"), "ETag": head.get("ETag"),
                "LastModified": modified, "Metadata": head.get("Metadata") or {}}  # fmt: skip

    @api("GetObject", category="Data")
    def get_object(self, *, Bucket: str, Key: str, **kw: Any) -> dict[str, Any]:
        head = self._head(Bucket, Key)
        body = self._folder(Bucket).get_object(Key)
        self._request_metrics("GetObject", Bucket, Key, downloaded=len(body))
        return {**head, "Body": io.BytesIO(body)}

    @api("HeadObject", category="Data")
    def head_object(self, *, Bucket: str, Key: str, **kw: Any) -> dict[str, Any]:
        head = self._head(Bucket, Key)
        self._request_metrics("HeadObject", Bucket, Key)
        return head

    @api("DeleteObject", category="Data")
    def delete_object(self, *, Bucket: str, Key: str, **kw: Any) -> dict[str, Any]:
        self._row(Bucket)
        try:
            self._folder(Bucket).delete_object(self._key(Key))
        except ValueError:
            pass  # a key no folder can hold does not exist: deleting it is not an error
        self._request_metrics("DeleteObject", Bucket, Key)
        return {}

    @api("CopyObject", category="Data")
    def copy_object(self, *, Bucket: str, Key: str, CopySource: Any, **kw: Any) -> dict[str, Any]:
        if isinstance(CopySource, Mapping):
            src_bucket, src_key = str(CopySource["Bucket"]), str(CopySource["Key"])
        else:
            src_bucket, _, src_key = str(CopySource).lstrip("/").partition("/")
        from urllib.parse import unquote

        src_key = unquote(src_key)
        head = self._head(src_bucket, src_key)
        body = self._folder(src_bucket).get_object(src_key)
        self._row(Bucket)
        try:
            out = self._folder(Bucket).put_object(self._key(Key), body, metadata=head["Metadata"],
                                                  content_type=head["ContentType"] or "binary/octet-stream",
                                                  last_modified=self.now())  # fmt: skip
        except ValueError as exc:
            raise ServiceError("InvalidArgument", f"awsmon cannot store key {Key!r} in a bucket folder: {exc}") from None
        self._request_metrics("CopyObject", Bucket, Key, uploaded=len(body))
        return {"CopyObjectResult": {"ETag": out.get("ETag"), "LastModified": self.now()}}

    @api("ListObjectsV2", category="Data")
    def list_objects_v2(self, *, Bucket: str, Prefix: str = "", Delimiter: str | None = None, MaxKeys: int = 1000,
                        ContinuationToken: str | None = None, StartAfter: str | None = None,
                        **kw: Any) -> dict[str, Any]:  # fmt: skip
        self._row(Bucket)
        folder = self._folder(Bucket)
        after = ContinuationToken or StartAfter
        limit = max(0, min(int(MaxKeys), 1000))
        contents: list[dict[str, Any]] = []
        prefixes: list[str] = []
        last: str | None = None
        last_was_prefix = False
        truncated = False
        for key in folder.list_objects(Prefix or "", after):
            if Delimiter:
                rest = key[len(Prefix or ""):]
                if Delimiter in rest:
                    cp = (Prefix or "") + rest.split(Delimiter, 1)[0] + Delimiter
                    if prefixes and prefixes[-1] == cp:
                        last = key
                        continue
                    if len(contents) + len(prefixes) >= limit:
                        truncated = True
                        break
                    prefixes.append(cp)
                    last, last_was_prefix = key, True
                    continue
            if len(contents) + len(prefixes) >= limit:
                truncated = True
                break
            path = folder.object_path(key)
            head = folder.head_object(key)
            contents.append({"Key": key, "LastModified": datetime.fromisoformat(str(head["LastModified"]).replace("Z", "+00:00")),
                             "ETag": head.get("ETag"), "Size": path.stat().st_size, "StorageClass": "STANDARD"})  # fmt: skip
            last, last_was_prefix = key, False
        out: dict[str, Any] = {"IsTruncated": truncated, "Name": Bucket, "Prefix": Prefix or "", "MaxKeys": int(MaxKeys),
                               "KeyCount": len(contents) + len(prefixes)}  # fmt: skip
        if contents:
            out["Contents"] = contents
        if Delimiter:
            out["Delimiter"] = Delimiter
            if prefixes:
                out["CommonPrefixes"] = [{"Prefix": p} for p in prefixes]
        if truncated and last is not None:
            # The next page starts after the last key returned; after a common prefix, after every key under it.
            out["NextContinuationToken"] = last if not last_was_prefix else prefixes[-1] + "\U0010ffff"
        if ContinuationToken:
            out["ContinuationToken"] = ContinuationToken
        self._request_metrics("ListObjectsV2", Bucket, Prefix or None)
        return out


def _next_midnight(now: datetime) -> datetime:
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day + DAY


def bucket_usage(root: Any) -> tuple[int, int]:
    """(bytes, objects) of a bucket folder, leaving out the sidecar metadata and temporary files."""
    import os

    size = count = 0
    for dirpath, dirnames, filenames in os.walk(root):
        if dirpath == str(root):
            dirnames[:] = [d for d in dirnames if d != META_DIR]
        for f in filenames:
            if f.startswith(TMP_PREFIX):
                continue
            try:
                size += os.stat(os.path.join(dirpath, f)).st_size
            except OSError:
                continue
            count += 1
    return size, count


def run_storage(store: AccountStore, key: str, due: datetime, now: datetime) -> datetime | None:
    """Daily storage metrics: BucketSizeBytes (StandardStorage) and NumberOfObjects (AllStorageTypes) per bucket.

    Nothing changes a bucket between two commands, so every day passed since ``due`` reports the current usage.
    """
    days: list[datetime] = []
    t = due
    while t <= now:
        days.append(t - DAY)  # the datapoint of a day is stamped at that day's midnight, reported the next day
        t += DAY
    svc = LocalS3(store, store.default_region)
    for name in svc._names():
        row = svc._row(name)
        size, count = bucket_usage(store.s3_dir / name)
        for metric, value, storage, unit in (("BucketSizeBytes", size, "StandardStorage", "Bytes"),
                                             ("NumberOfObjects", count, "AllStorageTypes", "Count")):  # fmt: skip
            facts.emit(store, row["region"], "metric_series", namespace="AWS/S3", metric_name=metric,
                       dimensions={"BucketName": name, "StorageType": storage},
                       points=[(d.timestamp(), float(value)) for d in days], unit=unit)  # fmt: skip
    return t


# -- AWS Config --------------------------------------------------------------------------------------------------------


def _bucket_ids(record: Mapping[str, Any]) -> list[str]:
    return [str(r["ARN"]).split(":::", 1)[-1] for r in record.get("resources") or []
            if r.get("type") == "AWS::S3::Bucket" and r.get("ARN")]  # fmt: skip


def _bucket_snapshot(svc: Any, name: str) -> dict[str, Any] | None:
    svc = facts.own(svc)  # config hands a facts.Reader; this module reads its own rows
    try:
        row = svc._row(name)
    except ServiceError:
        return None
    created = _dt(row["created_ms"])
    cfg = {"name": name, "owner": {"displayName": None, "id": _owner(svc.account_id)["ID"]},
           "creationDate": created.strftime("%Y-%m-%dT%H:%M:%S.000Z")}  # fmt: skip
    grants = svc._grants(row)
    acl = {"grantSet": None, "grantList": [
        {"grantee": g["Grantee"].get("URI") and ("AllUsers" if g["Grantee"]["URI"] == ALL_USERS else "AuthenticatedUsers")
         or {"id": g["Grantee"].get("ID"), "displayName": None}, "permission": g["Permission"]} for g in grants],
        "owner": {"displayName": None, "id": _owner(svc.account_id)["ID"]}, "isRequesterCharged": False}  # fmt: skip
    supplementary: dict[str, Any] = {
        "AccessControlList": json.dumps(acl, separators=(",", ":")),
        "BucketVersioningConfiguration": {"status": row["versioning"] or "Off",
                                          "isMfaDeleteEnabled": None if not row["mfa_delete"] else row["mfa_delete"] == "Enabled"},  # fmt: skip
        "BucketPolicy": {"policyText": row["policy"]},
    }
    if row["public_access_block"]:
        pab = json.loads(row["public_access_block"])
        supplementary["PublicAccessBlockConfiguration"] = {k[:1].lower() + k[1:]: v for k, v in pab.items()}
    tags = {t["Key"]: t["Value"] for t in json.loads(row["tags"] or "[]")}
    return {"resource_id": name, "name": name, "arn": f"arn:aws:s3:::{name}", "configuration": cfg,
            "supplementary": supplementary, "relationships": [], "created": created, "tags": tags}  # fmt: skip


def _bucket_list(svc: Any) -> list[str]:
    svc = facts.own(svc)  # config hands a facts.Reader; this module reads its own rows
    return [n for n in svc._names() if svc._row(n)["region"] == svc.region]


CONFIG_KINDS: list[dict[str, Any]] = [
    {"resource_type": "AWS::S3::Bucket", "event_source": "s3.amazonaws.com",
     "event_names": ("CreateBucket", "DeleteBucket", "PutBucketAcl", "PutPublicAccessBlock", "DeletePublicAccessBlock",
                     "PutBucketVersioning", "PutBucketPolicy", "DeleteBucketPolicy", "PutBucketTagging"),
     "service": "s3", "ids_from_record": _bucket_ids, "snapshot": _bucket_snapshot, "list_ids": _bucket_list},
]  # fmt: skip
