"""The simulated IAM service: users, roles, managed policies and attachments, access keys, MFA devices.

IAM is global: one set per account whatever the Region, and its CloudTrail records are written in us-east-1 (as AWS
does), so AWS Config records IAM resources in us-east-1. AWS-managed policies (``arn:aws:iam::aws:policy/...``) are
a small built-in catalogue. MFA codes are not checked against a TOTP seed [design choice]: any two 6-digit codes
enable a device.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from awsmon.backends.local import facts
from awsmon.backends.local.base import LocalService, api
from awsmon.errors import ServiceError

_NAME_RE = re.compile(r"^[\w+=,.@-]{1,64}$")
_PATH_RE = re.compile(r"^(/|/[\x21-\x7e]{0,510}/)$")
MAX_KEYS_PER_USER = 2
_ADMIN_DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
_READ_DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["*:Describe*", "*:Get*", "*:List*"],
                                                     "Resource": "*"}]}  # fmt: skip
AWS_MANAGED: dict[str, tuple[str, dict[str, Any]]] = {  # name -> (path, document)
    "AdministratorAccess": ("/", _ADMIN_DOC),
    "PowerUserAccess": ("/", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"}]}),
    "ReadOnlyAccess": ("/", _READ_DOC),
    "AmazonS3FullAccess": ("/", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:*", "s3-object-lambda:*"], "Resource": "*"}]}),
    "AmazonS3ReadOnlyAccess": ("/", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"}]}),
    "AmazonEC2FullAccess": ("/", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}),
    "AmazonEC2ReadOnlyAccess": ("/", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}]}),
    "AmazonDynamoDBFullAccess": ("/", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}]}),
    "CloudWatchFullAccess": ("/", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["cloudwatch:*", "logs:*", "sns:*"], "Resource": "*"}]}),
    "CloudWatchAgentServerPolicy": ("/", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [
        "cloudwatch:PutMetricData", "ec2:DescribeTags", "logs:PutLogEvents", "logs:DescribeLogStreams",
        "logs:DescribeLogGroups", "logs:CreateLogStream", "logs:CreateLogGroup"], "Resource": "*"}]}),
    "AWSLambdaBasicExecutionRole": ("/service-role/", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [
        "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"}]}),
    "AmazonSSMManagedInstanceCore": ("/", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [
        "ssm:UpdateInstanceInformation", "ssmmessages:*", "ec2messages:*"], "Resource": "*"}]}),
}  # fmt: skip


def _ms(dt: datetime) -> int:
    return int(round(dt.timestamp() * 1000))


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _id(prefix: str, n: int = 17) -> str:
    return prefix + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(n))


def _name(value: Any, field: str) -> str:
    text = str(value or "")
    if not _NAME_RE.match(text):
        raise ServiceError("ValidationError", f"The specified value for {field} is invalid. It must contain only "
                           "alphanumeric characters and/or the following: +=,.@_-")  # fmt: skip
    return text


def _path(value: Any) -> str:
    text = str(value or "/")
    if not _PATH_RE.match(text):
        raise ServiceError("ValidationError", f"The specified value for path is invalid. It must begin and end with / "
                           f"and contain only alphanumeric characters and/or / characters: {text}")  # fmt: skip
    return text


def _document(text: Any, what: str = "policy") -> str:
    raw = text if isinstance(text, str) else json.dumps(text)
    try:
        doc = json.loads(raw)
    except ValueError:
        raise ServiceError("MalformedPolicyDocument", "Syntax errors in policy.") from None
    if not isinstance(doc, dict) or "Statement" not in doc:
        raise ServiceError("MalformedPolicyDocument", f"Syntax errors in {what}.")
    return raw


def _tags(value: Any) -> list[dict[str, str]]:
    tags = [{"Key": str(t["Key"]), "Value": str(t.get("Value", ""))} for t in value or []]
    if len(tags) > 50:  # botocore's model: at most 50 tags
        raise ServiceError("ValidationError", f"1 validation error detected: Value '{tags}' at 'tags' failed to "
                           "satisfy constraint: Member must have length less than or equal to 50")  # fmt: skip
    if len({t["Key"].lower() for t in tags}) != len(tags):
        raise ServiceError("InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
    return tags


class LocalIAM(LocalService):
    service_name = "iam"
    event_source = "iam.amazonaws.com"
    global_service = True

    def arn(self, kind: str, name: str, path: str = "/") -> str:
        return f"arn:aws:iam::{self.account_id}:{kind}{path}{name}"

    def _resources(self, op: str, params: dict[str, Any], result: Any) -> list[dict[str, str]]:
        out = []
        if params.get("UserName"):
            out.append({"type": "AWS::IAM::User", "ARN": self.arn("user", params["UserName"]), "name": params["UserName"]})
        if params.get("RoleName"):
            out.append({"type": "AWS::IAM::Role", "ARN": self.arn("role", params["RoleName"]), "name": params["RoleName"]})
        arn = params.get("PolicyArn") or ((result or {}).get("Policy") or {}).get("Arn") if isinstance(result, Mapping) \
            else params.get("PolicyArn")  # fmt: skip
        if arn:
            out.append({"type": "AWS::IAM::Policy", "ARN": str(arn), "name": str(arn).rsplit("/", 1)[-1]})
        return out

    def record(self, op: str, params: Mapping[str, Any] | None, response: Any, read_only: bool,
               category: str = "Management", **kw: Any) -> dict[str, Any]:  # fmt: skip
        """CloudTrail never logs a secret access key."""
        if op == "CreateAccessKey" and isinstance(response, Mapping) and "AccessKey" in response:
            response = {"AccessKey": {k: v for k, v in response["AccessKey"].items() if k != "SecretAccessKey"}}
        return super().record(op, params, response, read_only, category, **kw)

    # -- users --------------------------------------------------------------------------------------------------
    def _user(self, name: str) -> Any:
        row = self.conn.execute("SELECT * FROM iam_users WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise ServiceError("NoSuchEntity", f"The user with name {name} cannot be found.", status=404)
        return row

    def _user_shape(self, r: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"Path": r["path"], "UserName": r["name"], "UserId": r["user_id"],
                               "Arn": self.arn("user", r["name"], r["path"]), "CreateDate": _dt(r["created_ms"])}  # fmt: skip
        tags = json.loads(r["tags"])
        if tags:
            out["Tags"] = tags
        return out

    @api("CreateUser")
    def create_user(self, *, UserName: str, Path: str | None = None, Tags: list[dict[str, str]] | None = None,
                    **kw: Any) -> dict[str, Any]:  # fmt: skip
        name, path = _name(UserName, "userName"), _path(Path)
        if self.conn.execute("SELECT 1 FROM iam_users WHERE name = ?", (name,)).fetchone():
            raise ServiceError("EntityAlreadyExists", f"User with name {name} already exists.", status=409)
        self.conn.execute("INSERT INTO iam_users (name, user_id, path, created_ms, tags) VALUES (?,?,?,?,?)",
                          (name, _id("AIDA"), path, _ms(self.now()), json.dumps(_tags(Tags))))  # fmt: skip
        return {"User": self._user_shape(self._user(name))}

    @api("GetUser")
    def get_user(self, *, UserName: str | None = None, **kw: Any) -> dict[str, Any]:
        return {"User": self._user_shape(self._user(UserName or self.store.principal().username))}

    @api("ListUsers")
    def list_users(self, *, PathPrefix: str | None = None, Marker: str | None = None, MaxItems: int | None = None,
                   **kw: Any) -> dict[str, Any]:  # fmt: skip
        rows = self.conn.execute("SELECT * FROM iam_users WHERE path LIKE ? ORDER BY name",
                                 ((PathPrefix or "/") + "%",)).fetchall()  # fmt: skip
        return {"Users": [self._user_shape(r) for r in rows], "IsTruncated": False}

    @api("DeleteUser")
    def delete_user(self, *, UserName: str, **kw: Any) -> dict[str, Any]:
        name = self._user(UserName)["name"]
        if self.conn.execute("SELECT 1 FROM iam_access_keys WHERE user_name = ?", (name,)).fetchone():
            raise ServiceError("DeleteConflict", "Cannot delete entity, must delete access keys first.", status=409)
        if self.conn.execute("SELECT 1 FROM iam_attachments WHERE principal_kind = 'user' AND principal = ?", (name,)).fetchone():
            raise ServiceError("DeleteConflict", "Cannot delete entity, must detach all policies first.", status=409)
        if self.conn.execute("SELECT 1 FROM iam_mfa_devices WHERE user_name = ?", (name,)).fetchone():
            raise ServiceError("DeleteConflict", "Cannot delete entity, must remove MFA devices first.", status=409)
        self.conn.execute("DELETE FROM iam_users WHERE name = ?", (name,))
        return {}

    # -- roles --------------------------------------------------------------------------------------------------
    def _role(self, name: str) -> Any:
        row = self.conn.execute("SELECT * FROM iam_roles WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise ServiceError("NoSuchEntity", f"The role with name {name} cannot be found.", status=404)
        return row

    def _role_shape(self, r: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"Path": r["path"], "RoleName": r["name"], "RoleId": r["role_id"],
                               "Arn": self.arn("role", r["name"], r["path"]), "CreateDate": _dt(r["created_ms"]),
                               "AssumeRolePolicyDocument": quote(r["assume_policy"]), "MaxSessionDuration": r["max_session"]}  # fmt: skip
        if r["description"]:
            out["Description"] = r["description"]
        tags = json.loads(r["tags"])
        if tags:
            out["Tags"] = tags
        return out

    @api("CreateRole")
    def create_role(self, *, RoleName: str, AssumeRolePolicyDocument: str, Path: str | None = None,
                    Description: str | None = None, MaxSessionDuration: int | None = None,
                    Tags: list[dict[str, str]] | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        name, path = _name(RoleName, "roleName"), _path(Path)
        doc = _document(AssumeRolePolicyDocument, "assume role policy")
        if self.conn.execute("SELECT 1 FROM iam_roles WHERE name = ?", (name,)).fetchone():
            raise ServiceError("EntityAlreadyExists", f"Role with name {name} already exists.", status=409)
        session = int(MaxSessionDuration or 3600)
        if not 3600 <= session <= 43200:
            raise ServiceError("ValidationError", f"1 validation error detected: Value '{session}' at "
                               "'maxSessionDuration' failed to satisfy constraint: Member must have value less than or "
                               "equal to 43200")  # fmt: skip
        self.conn.execute("INSERT INTO iam_roles (name, role_id, path, created_ms, assume_policy, description, "
                          "max_session, tags) VALUES (?,?,?,?,?,?,?,?)",
                          (name, _id("AROA"), path, _ms(self.now()), doc, Description, session, json.dumps(_tags(Tags))))  # fmt: skip
        return {"Role": self._role_shape(self._role(name))}

    @api("GetRole")
    def get_role(self, *, RoleName: str, **kw: Any) -> dict[str, Any]:
        return {"Role": self._role_shape(self._role(RoleName))}

    @api("ListRoles")
    def list_roles(self, *, PathPrefix: str | None = None, **kw: Any) -> dict[str, Any]:
        rows = self.conn.execute("SELECT * FROM iam_roles WHERE path LIKE ? ORDER BY name", ((PathPrefix or "/") + "%",))
        return {"Roles": [self._role_shape(r) for r in rows], "IsTruncated": False}

    @api("DeleteRole")
    def delete_role(self, *, RoleName: str, **kw: Any) -> dict[str, Any]:
        name = self._role(RoleName)["name"]
        if self.conn.execute("SELECT 1 FROM iam_attachments WHERE principal_kind = 'role' AND principal = ?", (name,)).fetchone():
            raise ServiceError("DeleteConflict", "Cannot delete entity, must detach all policies first.", status=409)
        self.conn.execute("DELETE FROM iam_roles WHERE name = ?", (name,))
        return {}

    # -- policies -----------------------------------------------------------------------------------------------
    def _policy(self, arn: str) -> dict[str, Any]:
        """A policy by ARN: customer managed (stored) or AWS managed (built in)."""
        prefix = "arn:aws:iam::aws:policy"
        if str(arn).startswith(prefix + "/"):
            name = str(arn).rsplit("/", 1)[-1]
            if name in AWS_MANAGED:
                path, doc = AWS_MANAGED[name]
                if arn == f"{prefix}{path}{name}":
                    return {"arn": arn, "name": name, "policy_id": "ANPA" + name.upper()[:17].ljust(17, "A"),
                            "path": path, "document": json.dumps(doc), "description": None,
                            "created_ms": 1423000000000, "updated_ms": 1423000000000, "aws": True}  # fmt: skip
        row = self.conn.execute("SELECT * FROM iam_policies WHERE arn = ?", (arn,)).fetchone()
        if row is None:
            raise ServiceError("NoSuchEntity", f"Policy {arn} does not exist or is not attachable.", status=404)
        return {**dict(row), "aws": False}

    def _attachments(self, policy_arn: str) -> int:
        return int(self.conn.execute("SELECT count(*) FROM iam_attachments WHERE policy_arn = ?", (policy_arn,)).fetchone()[0])

    def _policy_shape(self, p: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"PolicyName": p["name"], "PolicyId": p["policy_id"], "Arn": p["arn"], "Path": p["path"],
                               "DefaultVersionId": "v1", "AttachmentCount": self._attachments(p["arn"]),
                               "PermissionsBoundaryUsageCount": 0, "IsAttachable": True,
                               "CreateDate": _dt(p["created_ms"]), "UpdateDate": _dt(p["updated_ms"])}  # fmt: skip
        if p.get("description"):
            out["Description"] = p["description"]
        return out

    @api("CreatePolicy")
    def create_policy(self, *, PolicyName: str, PolicyDocument: str, Path: str | None = None,
                      Description: str | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        name = _name(PolicyName, "policyName")
        path = _path(Path)
        doc = _document(PolicyDocument)
        arn = self.arn("policy", name, path)
        if self.conn.execute("SELECT 1 FROM iam_policies WHERE name = ?", (name,)).fetchone():
            raise ServiceError("EntityAlreadyExists", f"A policy called {name} already exists. Duplicate names are not "
                               "allowed.", status=409)  # fmt: skip
        now = _ms(self.now())
        self.conn.execute("INSERT INTO iam_policies (arn, name, policy_id, path, document, description, created_ms, "
                          "updated_ms) VALUES (?,?,?,?,?,?,?,?)",
                          (arn, name, _id("ANPA"), path, doc, Description, now, now))  # fmt: skip
        return {"Policy": self._policy_shape(self._policy(arn))}

    @api("GetPolicy")
    def get_policy(self, *, PolicyArn: str, **kw: Any) -> dict[str, Any]:
        return {"Policy": self._policy_shape(self._policy(PolicyArn))}

    @api("GetPolicyVersion")
    def get_policy_version(self, *, PolicyArn: str, VersionId: str, **kw: Any) -> dict[str, Any]:
        p = self._policy(PolicyArn)
        if VersionId != "v1":
            raise ServiceError("NoSuchEntity", f"Policy {PolicyArn} version {VersionId} does not exist or is not "
                               "attachable.", status=404)  # fmt: skip
        return {"PolicyVersion": {"Document": quote(p["document"]), "VersionId": "v1", "IsDefaultVersion": True,
                                  "CreateDate": _dt(p["created_ms"])}}  # fmt: skip

    @api("ListPolicies")
    def list_policies(self, *, Scope: str = "All", OnlyAttached: bool = False, **kw: Any) -> dict[str, Any]:
        out = []
        if Scope in ("All", "AWS"):
            out += [self._policy(f"arn:aws:iam::aws:policy{path}{n}") for n, (path, _) in sorted(AWS_MANAGED.items())]
        if Scope in ("All", "Local"):
            out += [{**dict(r), "aws": False} for r in self.conn.execute("SELECT * FROM iam_policies ORDER BY name")]
        shaped = [self._policy_shape(p) for p in out]
        if OnlyAttached:
            shaped = [p for p in shaped if p["AttachmentCount"]]
        return {"Policies": shaped, "IsTruncated": False}

    @api("DeletePolicy")
    def delete_policy(self, *, PolicyArn: str, **kw: Any) -> dict[str, Any]:
        p = self._policy(PolicyArn)
        if p["aws"]:
            raise ServiceError("AccessDenied", "AWS managed policies cannot be deleted.", status=403)
        if self._attachments(PolicyArn):
            raise ServiceError("DeleteConflict", "Cannot delete a policy attached to entities.", status=409)
        self.conn.execute("DELETE FROM iam_policies WHERE arn = ?", (PolicyArn,))
        return {}

    def _attach(self, kind: str, name: str, arn: str, *, attach: bool) -> dict[str, Any]:
        principal = (self._user(name) if kind == "user" else self._role(name))["name"]
        self._policy(arn)
        if attach:
            self.conn.execute("INSERT OR IGNORE INTO iam_attachments (principal_kind, principal, policy_arn) VALUES (?,?,?)",
                              (kind, principal, arn))  # fmt: skip
        else:
            cur = self.conn.execute("DELETE FROM iam_attachments WHERE principal_kind = ? AND principal = ? AND "
                                    "policy_arn = ?", (kind, principal, arn))  # fmt: skip
            if cur.rowcount == 0:
                raise ServiceError("NoSuchEntity", f"Policy {arn} was not found.", status=404)
        return {}

    @api("AttachUserPolicy")
    def attach_user_policy(self, *, UserName: str, PolicyArn: str, **kw: Any) -> dict[str, Any]:
        return self._attach("user", UserName, PolicyArn, attach=True)

    @api("AttachRolePolicy")
    def attach_role_policy(self, *, RoleName: str, PolicyArn: str, **kw: Any) -> dict[str, Any]:
        return self._attach("role", RoleName, PolicyArn, attach=True)

    @api("DetachUserPolicy")
    def detach_user_policy(self, *, UserName: str, PolicyArn: str, **kw: Any) -> dict[str, Any]:
        return self._attach("user", UserName, PolicyArn, attach=False)

    @api("DetachRolePolicy")
    def detach_role_policy(self, *, RoleName: str, PolicyArn: str, **kw: Any) -> dict[str, Any]:
        return self._attach("role", RoleName, PolicyArn, attach=False)

    def _attached(self, kind: str, name: str) -> list[dict[str, str]]:
        rows = self.conn.execute("SELECT policy_arn FROM iam_attachments WHERE principal_kind = ? AND principal = ? "
                                 "ORDER BY policy_arn", (kind, name))  # fmt: skip
        return [{"PolicyName": r[0].rsplit("/", 1)[-1], "PolicyArn": r[0]} for r in rows]

    @api("ListAttachedUserPolicies")
    def list_attached_user_policies(self, *, UserName: str, **kw: Any) -> dict[str, Any]:
        return {"AttachedPolicies": self._attached("user", self._user(UserName)["name"]), "IsTruncated": False}

    @api("ListAttachedRolePolicies")
    def list_attached_role_policies(self, *, RoleName: str, **kw: Any) -> dict[str, Any]:
        return {"AttachedPolicies": self._attached("role", self._role(RoleName)["name"]), "IsTruncated": False}

    # -- access keys --------------------------------------------------------------------------------------------
    def _key_owner(self, user: str | None) -> str:
        """The user a key call is about: the named one, else the caller ('' for the root user)."""
        if user:
            return str(self._user(user)["name"])
        principal = self.store.principal()
        if principal.kind == "Root":
            return ""
        return str(self._user(principal.username)["name"])

    @api("CreateAccessKey")
    def create_access_key(self, *, UserName: str | None = None, **kw: Any) -> dict[str, Any]:
        owner = self._key_owner(UserName)
        count = self.conn.execute("SELECT count(*) FROM iam_access_keys WHERE user_name = ?", (owner,)).fetchone()[0]
        if count >= MAX_KEYS_PER_USER:
            raise ServiceError("LimitExceeded", f"Cannot exceed quota for AccessKeysPerUser: {MAX_KEYS_PER_USER}", status=409)
        key_id = _id("AKIA", 16)
        secret = "".join(secrets.choice(string.ascii_letters + string.digits + "+/") for _ in range(40))
        now = self.now()
        self.conn.execute("INSERT INTO iam_access_keys (key_id, user_name, status, created_ms) VALUES (?,?,?,?)",
                          (key_id, owner, "Active", _ms(now)))  # fmt: skip
        out = {"AccessKeyId": key_id, "Status": "Active", "SecretAccessKey": secret, "CreateDate": now}
        if owner:
            out = {"UserName": owner, **out}
        return {"AccessKey": out}

    @api("ListAccessKeys")
    def list_access_keys(self, *, UserName: str | None = None, **kw: Any) -> dict[str, Any]:
        owner = self._key_owner(UserName)
        rows = self.conn.execute("SELECT * FROM iam_access_keys WHERE user_name = ? ORDER BY created_ms, key_id", (owner,))
        keys = [{**({"UserName": owner} if owner else {}), "AccessKeyId": r["key_id"], "Status": r["status"],
                 "CreateDate": _dt(r["created_ms"])} for r in rows]  # fmt: skip
        return {"AccessKeyMetadata": keys, "IsTruncated": False}

    def _key(self, key_id: str, owner: str) -> Any:
        row = self.conn.execute("SELECT * FROM iam_access_keys WHERE key_id = ? AND user_name = ?", (key_id, owner)).fetchone()
        if row is None:
            raise ServiceError("NoSuchEntity", f"The Access Key with id {key_id} cannot be found.", status=404)
        return row

    @api("UpdateAccessKey")
    def update_access_key(self, *, AccessKeyId: str, Status: str, UserName: str | None = None, **kw: Any) -> dict[str, Any]:
        if Status not in ("Active", "Inactive"):
            raise ServiceError("ValidationError", f"1 validation error detected: Value '{Status}' at 'status' failed to "
                               "satisfy constraint: Member must satisfy enum value set: [Active, Inactive]")  # fmt: skip
        self._key(AccessKeyId, self._key_owner(UserName))
        self.conn.execute("UPDATE iam_access_keys SET status = ? WHERE key_id = ?", (Status, AccessKeyId))
        return {}

    @api("DeleteAccessKey")
    def delete_access_key(self, *, AccessKeyId: str, UserName: str | None = None, **kw: Any) -> dict[str, Any]:
        self._key(AccessKeyId, self._key_owner(UserName))
        self.conn.execute("DELETE FROM iam_access_keys WHERE key_id = ?", (AccessKeyId,))
        return {}

    # -- MFA ----------------------------------------------------------------------------------------------------
    @api("CreateVirtualMFADevice")
    def create_virtual_mfa_device(self, *, VirtualMFADeviceName: str, Path: str | None = None, **kw: Any) -> dict[str, Any]:
        name = _name(VirtualMFADeviceName, "virtualMFADeviceName")
        serial = self.arn("mfa", name, _path(Path))
        if self.conn.execute("SELECT 1 FROM iam_mfa_devices WHERE serial = ?", (serial,)).fetchone():
            raise ServiceError("EntityAlreadyExists", "MFADevice entity at the same path and name already exists.", status=409)
        self.conn.execute("INSERT INTO iam_mfa_devices (serial, user_name, virtual, created_ms) VALUES (?, NULL, 1, ?)",
                          (serial, _ms(self.now())))  # fmt: skip
        seed = "".join(secrets.choice(string.ascii_uppercase + "234567") for _ in range(64))
        return {"VirtualMFADevice": {"SerialNumber": serial, "Base32StringSeed": seed.encode()}}

    @api("EnableMFADevice")
    def enable_mfa_device(self, *, UserName: str, SerialNumber: str, AuthenticationCode1: str,
                          AuthenticationCode2: str, **kw: Any) -> dict[str, Any]:  # fmt: skip
        user = self._user(UserName)["name"]
        for code in (AuthenticationCode1, AuthenticationCode2):
            if not re.fullmatch(r"\d{6}", str(code)):
                raise ServiceError("InvalidAuthenticationCode", "Authentication code for device is not valid.", status=403)
        row = self.conn.execute("SELECT * FROM iam_mfa_devices WHERE serial = ?", (SerialNumber,)).fetchone()
        if row is None and str(SerialNumber).startswith("arn:"):
            raise ServiceError("NoSuchEntity", f"VirtualMFADevice with serial number {SerialNumber} doesn't exist.", status=404)
        if row is not None and row["user_name"]:
            raise ServiceError("EntityAlreadyExists", "MFA Device is already in use.", status=409)
        now = _ms(self.now())
        self.conn.execute("INSERT INTO iam_mfa_devices (serial, user_name, virtual, created_ms, enabled_ms) VALUES (?,?,0,?,?) "
                          "ON CONFLICT (serial) DO UPDATE SET user_name = excluded.user_name, enabled_ms = excluded.enabled_ms",
                          (SerialNumber, user, now, now))  # fmt: skip
        return {}

    @api("ListMFADevices")
    def list_mfa_devices(self, *, UserName: str | None = None, **kw: Any) -> dict[str, Any]:
        user = self._key_owner(UserName)
        rows = self.conn.execute("SELECT * FROM iam_mfa_devices WHERE user_name = ? ORDER BY serial", (user,))
        return {"MFADevices": [{"UserName": user, "SerialNumber": r["serial"], "EnableDate": _dt(r["enabled_ms"])}
                               for r in rows], "IsTruncated": False}  # fmt: skip

    @api("DeactivateMFADevice")
    def deactivate_mfa_device(self, *, UserName: str, SerialNumber: str, **kw: Any) -> dict[str, Any]:
        user = self._user(UserName)["name"]
        row = self.conn.execute("SELECT * FROM iam_mfa_devices WHERE serial = ? AND user_name = ?", (SerialNumber, user)).fetchone()
        if row is None:
            raise ServiceError("NoSuchEntity", f"MFA Device with serial number {SerialNumber} does not exist.", status=404)
        if row["virtual"]:
            self.conn.execute("UPDATE iam_mfa_devices SET user_name = NULL, enabled_ms = NULL WHERE serial = ?", (SerialNumber,))
        else:
            self.conn.execute("DELETE FROM iam_mfa_devices WHERE serial = ?", (SerialNumber,))
        return {}

    @api("GetAccountSummary")
    def get_account_summary(self, **kw: Any) -> dict[str, Any]:
        def count(sql: str) -> int:
            return int(self.conn.execute(sql).fetchone()[0])

        return {"SummaryMap": {
            "Users": count("SELECT count(*) FROM iam_users"), "UsersQuota": 5000,
            "Roles": count("SELECT count(*) FROM iam_roles"), "RolesQuota": 1000,
            "Policies": count("SELECT count(*) FROM iam_policies"), "PoliciesQuota": 1500,
            "MFADevices": count("SELECT count(*) FROM iam_mfa_devices"),
            "MFADevicesInUse": count("SELECT count(*) FROM iam_mfa_devices WHERE user_name IS NOT NULL"),
            "AccountMFAEnabled": count("SELECT count(*) FROM iam_mfa_devices WHERE user_name = ''") and 1,
            "AccountAccessKeysPresent": count("SELECT count(*) FROM iam_access_keys WHERE user_name = ''") and 1,
            "AccessKeysPerUserQuota": MAX_KEYS_PER_USER,
        }}  # fmt: skip


# -- AWS Config ---------------------------------------------------------------------------------------------------------
# [design choice] Config items name IAM users and roles by name and customer managed policies by ARN (AWS Config uses
# the AIDA/AROA/ANPA ids): a deleted resource's id cannot be found again from its DeleteUser/DeleteRole event.


def _unwrapped(svc: Any, op: str, **params: Any) -> Any:
    return getattr(svc, op)(**params)  # svc is a facts.Reader: reads are not recorded


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _ids(rtype: str) -> Any:
    def ids(record: Mapping[str, Any]) -> list[str]:
        return [str(r.get("name") or str(r["ARN"]).rsplit("/", 1)[-1]) for r in record.get("resources") or []
                if r.get("type") == rtype and r.get("ARN")]  # fmt: skip

    return ids


def _policy_ids(record: Mapping[str, Any]) -> list[str]:
    return [str(r["ARN"]) for r in record.get("resources") or []
            if r.get("type") == "AWS::IAM::Policy" and r.get("ARN") and ":aws:policy/" not in str(r["ARN"])]  # fmt: skip


def _user_snapshot(svc: Any, name: str) -> dict[str, Any] | None:
    svc = facts.own(svc)  # config hands a facts.Reader; this module reads its own rows
    row = svc.conn.execute("SELECT * FROM iam_users WHERE name = ?", (name,)).fetchone()
    if row is None:
        return None
    u = svc._user_shape(row)
    attached = [{"policyName": a["PolicyName"], "policyArn": a["PolicyArn"]} for a in svc._attached("user", row["name"])]
    cfg = {"path": u["Path"], "userName": u["UserName"], "userId": u["UserId"], "arn": u["Arn"],
           "createDate": _iso(u["CreateDate"]), "userPolicyList": [], "groupList": [],
           "attachedManagedPolicies": attached, "permissionsBoundary": None,
           "tags": [{"key": t["Key"], "value": t["Value"]} for t in u.get("Tags") or []]}  # fmt: skip
    # What AWS's IAM rules read through the IAM API (not part of the recorded item): keys and MFA devices.
    keys = [{"accessKeyId": r["key_id"], "status": r["status"], "createDate": r["created_ms"]}
            for r in svc.conn.execute("SELECT * FROM iam_access_keys WHERE user_name = ?", (row["name"],))]  # fmt: skip
    mfa = [r[0] for r in svc.conn.execute("SELECT serial FROM iam_mfa_devices WHERE user_name = ?", (row["name"],))]
    return {"resource_id": u["UserName"], "name": u["UserName"], "arn": u["Arn"], "configuration": cfg, "supplementary": {},
            "relationships": [{"resourceType": "AWS::IAM::Policy", "resourceId": a["policyArn"],
                               "relationshipName": "Is attached to CustomerManagedPolicy"} for a in attached],
            "created": u["CreateDate"], "tags": {t["Key"]: t["Value"] for t in u.get("Tags") or []},
            "evaluation": {"accessKeys": keys, "mfaDevices": mfa, "evaluatedAtMs": _ms(svc.now())}}  # fmt: skip


def _role_snapshot(svc: Any, name: str) -> dict[str, Any] | None:
    svc = facts.own(svc)  # config hands a facts.Reader; this module reads its own rows
    row = svc.conn.execute("SELECT * FROM iam_roles WHERE name = ?", (name,)).fetchone()
    if row is None:
        return None
    r = svc._role_shape(row)
    attached = [{"policyName": a["PolicyName"], "policyArn": a["PolicyArn"]} for a in svc._attached("role", row["name"])]
    cfg = {"path": r["Path"], "roleName": r["RoleName"], "roleId": r["RoleId"], "arn": r["Arn"],
           "createDate": _iso(r["CreateDate"]), "assumeRolePolicyDocument": r["AssumeRolePolicyDocument"],
           "instanceProfileList": [], "rolePolicyList": [], "attachedManagedPolicies": attached,
           "permissionsBoundary": None, "tags": [{"key": t["Key"], "value": t["Value"]} for t in r.get("Tags") or []]}  # fmt: skip
    return {"resource_id": r["RoleName"], "name": r["RoleName"], "arn": r["Arn"], "configuration": cfg, "supplementary": {},
            "relationships": [], "created": r["CreateDate"], "tags": {t["Key"]: t["Value"] for t in r.get("Tags") or []}}  # fmt: skip


def _policy_snapshot(svc: Any, arn: str) -> dict[str, Any] | None:
    svc = facts.own(svc)  # config hands a facts.Reader; this module reads its own rows
    try:
        p = svc._policy(arn)
    except ServiceError:
        return None
    shape = svc._policy_shape(p)
    cfg = {"policyName": shape["PolicyName"], "policyId": shape["PolicyId"], "arn": arn, "path": shape["Path"],
           "defaultVersionId": "v1", "attachmentCount": shape["AttachmentCount"], "permissionsBoundaryUsageCount": 0,
           "isAttachable": True, "description": shape.get("Description"), "createDate": _iso(shape["CreateDate"]),
           "updateDate": _iso(shape["UpdateDate"]),
           "policyVersionList": [{"document": quote(p["document"]), "versionId": "v1", "isDefaultVersion": True,
                                  "createDate": _iso(shape["CreateDate"])}]}  # fmt: skip
    return {"resource_id": arn, "name": shape["PolicyName"], "arn": arn, "configuration": cfg,
            "supplementary": {}, "relationships": [], "created": shape["CreateDate"], "tags": {}}  # fmt: skip


CONFIG_KINDS: list[dict[str, Any]] = [
    {"resource_type": "AWS::IAM::User", "event_source": "iam.amazonaws.com",
     "event_names": ("CreateUser", "DeleteUser", "AttachUserPolicy", "DetachUserPolicy", "TagUser", "UntagUser"),
     "service": "iam", "ids_from_record": _ids("AWS::IAM::User"), "snapshot": _user_snapshot,
     "list_ids": lambda svc: [r[0] for r in svc.conn.execute("SELECT name FROM iam_users ORDER BY name")]},
    {"resource_type": "AWS::IAM::Role", "event_source": "iam.amazonaws.com",
     "event_names": ("CreateRole", "DeleteRole", "AttachRolePolicy", "DetachRolePolicy", "UpdateAssumeRolePolicy"),
     "service": "iam", "ids_from_record": _ids("AWS::IAM::Role"), "snapshot": _role_snapshot,
     "list_ids": lambda svc: [r[0] for r in svc.conn.execute("SELECT name FROM iam_roles ORDER BY name")]},
    {"resource_type": "AWS::IAM::Policy", "event_source": "iam.amazonaws.com",
     "event_names": ("CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "AttachUserPolicy", "AttachRolePolicy",
                     "DetachUserPolicy", "DetachRolePolicy"),
     "service": "iam", "ids_from_record": _policy_ids, "snapshot": _policy_snapshot,
     "list_ids": lambda svc: [r[0] for r in svc.conn.execute("SELECT arn FROM iam_policies ORDER BY arn")]},
]  # fmt: skip
