"""Config managed rules over the simulated resources: each evaluator COMPLIANT and NON_COMPLIANT on AWS Config's
configuration shapes, the catalogue's identifiers/triggers/parameters, and the rules end to end on the local account."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from awsmon.engines.config_rules import (
    COMPLIANT,
    NON_COMPLIANT,
    RULES,
    RuleError,
    evaluate_account,
    evaluate_resource,
    validate_rule,
)
from tests.conftest import Cli

DAY_MS = 86_400_000


def _sg(*perms: dict[str, Any]) -> dict[str, Any]:
    return {"groupId": "sg-1", "ipPermissions": list(perms)}


def _perm(proto: str, lo: int | None, hi: int | None, cidr: str) -> dict[str, Any]:
    p: dict[str, Any] = {"ipProtocol": proto, "ipv4Ranges": [{"cidrIp": cidr}], "ipRanges": [cidr], "ipv6Ranges": []}
    if lo is not None:
        p["fromPort"], p["toPort"] = lo, hi
    return p


def _bucket(acl: list[tuple[str, str]] = (), policy: dict[str, Any] | None = None, pab: dict[str, bool] | None = None,
            versioning: str = "Off", mfa: bool | None = None) -> dict[str, Any]:  # fmt: skip
    grants = [{"grantee": g, "permission": p} for g, p in acl]
    supp: dict[str, Any] = {"AccessControlList": json.dumps({"grantList": grants}),
                            "BucketPolicy": {"policyText": json.dumps(policy) if policy else None},
                            "BucketVersioningConfiguration": {"status": versioning, "isMfaDeleteEnabled": mfa}}  # fmt: skip
    if pab is not None:
        supp["PublicAccessBlockConfiguration"] = pab
    return {"name": "b", "supplementaryConfiguration": supp}


def _policy_doc(action: Any, resource: Any = "*") -> dict[str, Any]:
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}
    return {"policyVersionList": [{"document": quote(json.dumps(doc)), "versionId": "v1", "isDefaultVersion": True}]}


CASES: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    # identifier, params, compliant configuration, non-compliant configuration
    ("INCOMING_SSH_DISABLED", {}, _sg(_perm("tcp", 22, 22, "10.0.0.0/8"), _perm("tcp", 443, 443, "0.0.0.0/0")),
     _sg(_perm("tcp", 20, 30, "0.0.0.0/0"))),
    ("RESTRICTED_INCOMING_TRAFFIC", {}, _sg(_perm("tcp", 22, 22, "0.0.0.0/0"), _perm("udp", 3389, 3389, "0.0.0.0/0")),
     _sg(_perm("tcp", 3306, 3306, "0.0.0.0/0"))),
    ("RESTRICTED_INCOMING_TRAFFIC", {"blockedPorts": "8080"}, _sg(_perm("tcp", 80, 80, "0.0.0.0/0")),
     _sg(_perm("-1", None, None, "0.0.0.0/0"))),
    ("EC2_INSTANCE_DETAILED_MONITORING_ENABLED", {}, {"monitoring": {"state": "enabled"}},
     {"monitoring": {"state": "disabled"}}),
    ("EC2_INSTANCE_NO_PUBLIC_IP", {}, {"instanceId": "i-1"}, {"instanceId": "i-1", "publicIpAddress": "3.1.2.3"}),
    ("EC2_STOPPED_INSTANCE", {"AllowedDays": "7"},
     {"state": {"name": "stopped"}, "stateSinceMs": 0, "evaluatedAtMs": 6 * DAY_MS},
     {"state": {"name": "stopped"}, "stateSinceMs": 0, "evaluatedAtMs": 8 * DAY_MS}),
    ("DESIRED_INSTANCE_TYPE", {"instanceType": "t3.micro,t3.small"}, {"instanceType": "t3.small"}, {"instanceType": "m5.large"}),
    ("S3_BUCKET_PUBLIC_READ_PROHIBITED", {}, _bucket([("AllUsers", "READ")], pab={"ignorePublicAcls": True}),
     _bucket([("AllUsers", "READ")])),
    ("S3_BUCKET_PUBLIC_READ_PROHIBITED", {}, _bucket(),
     _bucket(policy={"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]})),
    ("S3_BUCKET_PUBLIC_WRITE_PROHIBITED", {}, _bucket([("AllUsers", "READ")]), _bucket([("AllUsers", "WRITE")])),
    ("S3_BUCKET_PUBLIC_WRITE_PROHIBITED", {}, _bucket(policy={"Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "s3:*", "Resource": "*"}]}),
     _bucket(policy={"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:*", "Resource": "*"}]})),
    ("S3_BUCKET_VERSIONING_ENABLED", {}, _bucket(versioning="Enabled"), _bucket(versioning="Suspended")),
    ("S3_BUCKET_VERSIONING_ENABLED", {"isMfaDeleteEnabled": "true"}, _bucket(versioning="Enabled", mfa=True),
     _bucket(versioning="Enabled", mfa=False)),
    ("IAM_USER_MFA_ENABLED", {}, {"userName": "a", "mfaDevices": ["arn:aws:iam::1:mfa/a"]}, {"userName": "a", "mfaDevices": []}),
    ("ACCESS_KEYS_ROTATED", {"maxAccessKeyAge": "30"},
     {"accessKeys": [{"accessKeyId": "AKIA1", "status": "Active", "createDate": 0},
                     {"accessKeyId": "AKIA2", "status": "Inactive", "createDate": -100 * DAY_MS}], "evaluatedAtMs": 29 * DAY_MS},
     {"accessKeys": [{"accessKeyId": "AKIA1", "status": "Active", "createDate": 0}], "evaluatedAtMs": 31 * DAY_MS}),
    ("IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS", {}, _policy_doc("s3:*"), _policy_doc(["*"], ["*"])),
    ("LAMBDA_FUNCTION_PUBLIC_ACCESS_PROHIBITED", {},
     {"supplementaryConfiguration": {"Policy": json.dumps({"Statement": [
         {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "lambda:InvokeFunction"}]})}},
     {"supplementaryConfiguration": {"Policy": json.dumps({"Statement": [
         {"Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction"}]})}}),
    ("DYNAMODB_PITR_ENABLED", {},
     {"supplementaryConfiguration": {"ContinuousBackupsDescription": {
         "pointInTimeRecoveryDescription": {"pointInTimeRecoveryStatus": "ENABLED"}}}},
     {"supplementaryConfiguration": {"ContinuousBackupsDescription": {
         "pointInTimeRecoveryDescription": {"pointInTimeRecoveryStatus": "DISABLED"}}}}),
]  # fmt: skip


@pytest.mark.parametrize(("identifier", "params", "good", "bad"), CASES, ids=[c[0] for c in CASES])
def test_evaluator(identifier: str, params: dict[str, Any], good: dict[str, Any], bad: dict[str, Any]) -> None:
    rule, given = validate_rule(identifier, json.dumps(params) if params else None)
    assert evaluate_resource(rule, given, good)[0] == COMPLIANT
    result, annotation = evaluate_resource(rule, given, bad)
    assert result == NON_COMPLIANT and annotation


def test_root_access_key_account_rule() -> None:
    rule, _ = validate_rule("IAM_ROOT_ACCESS_KEY_CHECK", None)
    assert rule.account_level and rule.periodic and not rule.change
    assert evaluate_account(rule, {}, {"iam": {"AccountAccessKeysPresent": 0}})[0] == COMPLIANT
    assert evaluate_account(rule, {}, {"iam": {"AccountAccessKeysPresent": 1}})[0] == NON_COMPLIANT


# Triggers and resource types as AWS's managed-rule catalogue (moto's copy) gives them.
@pytest.mark.parametrize("identifier", sorted({c[0] for c in CASES} | {"IAM_ROOT_ACCESS_KEY_CHECK"}))
def test_identifiers_triggers_and_parameters_follow_the_catalogue(identifier: str) -> None:
    import gzip
    import os

    import moto

    path = os.path.join(os.path.dirname(moto.__file__), "config", "resources", "aws_managed_rules.json.gz")
    catalogue = json.loads(gzip.decompress(open(path, "rb").read()))["ManagedRules"][identifier]
    rule = RULES[identifier]
    trigger = catalogue["Trigger type"]
    assert rule.change == ("Configuration changes" in trigger) and rule.periodic == ("Periodic" in trigger)
    if catalogue.get("Resource Types"):
        assert rule.resource_types == (catalogue["Resource Types"],)
    assert {p.name: (p.type, p.default) for p in rule.params} == {
        p["Name"]: (p["Type"], p.get("Default")) for p in catalogue["Parameters"]}


def test_parameter_validation() -> None:
    with pytest.raises(RuleError, match=r"required parameter \[instanceType\]"):
        validate_rule("DESIRED_INSTANCE_TYPE", None)
    with pytest.raises(RuleError, match="not a valid integer"):
        validate_rule("RESTRICTED_INCOMING_TRAFFIC", '{"blockedPort1": "ssh"}')


def _details(cli: Cli, rule: str) -> dict[str, str]:
    results = cli.json("config", "get-compliance-details", "--config-rule-name", rule)["EvaluationResults"]
    return {r["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceId"]: r["ComplianceType"] for r in results}


def _recording(cli: Cli, *, global_types: bool = False) -> None:
    cli.ok("config", "put-configuration-recorder", "--all-supported",
           *(["--include-global-resource-types"] if global_types else []))  # fmt: skip
    cli.ok("s3", "mb", "s3://config-bucket")
    cli.ok("config", "put-delivery-channel", "--s3-bucket-name", "config-bucket")
    cli.ok("config", "start-recording")


def test_open_ssh_and_public_bucket_turn_rules_non_compliant_and_fixing_them_compliant(pinned: Cli) -> None:
    _recording(pinned)
    for ident in ("INCOMING_SSH_DISABLED", "S3_BUCKET_PUBLIC_READ_PROHIBITED"):
        pinned.ok("config", "put-rule", "--config-rule-name", ident.lower(), "--source-identifier", ident)
    gid = pinned.json("ec2", "create-security-group", "--group-name", "open", "--description", "open")["GroupId"]
    ssh = ["--group-id", gid, "--protocol", "tcp", "--port", "22", "--cidr", "0.0.0.0/0"]
    pinned.ok("ec2", "authorize-security-group-ingress", *ssh)
    pinned.ok("s3", "mb", "s3://lab-public")
    pinned.ok("s3", "put-public-access-block", "--bucket", "lab-public", "--public-access-block-configuration",
              "BlockPublicAcls=false,IgnorePublicAcls=false,BlockPublicPolicy=false,RestrictPublicBuckets=false")  # fmt: skip
    pinned.ok("s3", "put-bucket-acl", "--bucket", "lab-public", "--acl", "public-read")
    pinned.ok("account", "clock", "advance", "15m")
    assert _details(pinned, "incoming_ssh_disabled")[gid] == NON_COMPLIANT
    assert _details(pinned, "s3_bucket_public_read_prohibited")["lab-public"] == NON_COMPLIANT
    res = pinned("config", "check")
    assert res.exit_code == 3
    pinned.ok("ec2", "revoke-security-group-ingress", *ssh)
    pinned.ok("s3", "put-bucket-acl", "--bucket", "lab-public", "--acl", "private")
    pinned.ok("account", "clock", "advance", "15m")
    assert _details(pinned, "incoming_ssh_disabled")[gid] == COMPLIANT
    assert _details(pinned, "s3_bucket_public_read_prohibited")["lab-public"] == COMPLIANT
    pinned.ok("config", "check")


def test_instance_table_and_iam_rules_on_the_local_account(pinned: Cli) -> None:
    _recording(pinned, global_types=True)
    rules = {"EC2_INSTANCE_NO_PUBLIC_IP": None, "EC2_INSTANCE_DETAILED_MONITORING_ENABLED": None,
             "DESIRED_INSTANCE_TYPE": "instanceType=t3.micro", "EC2_STOPPED_INSTANCE": "AllowedDays=1",
             "DYNAMODB_PITR_ENABLED": None, "IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS": None,
             "IAM_USER_MFA_ENABLED": None, "ACCESS_KEYS_ROTATED": "maxAccessKeyAge=30",
             "IAM_ROOT_ACCESS_KEY_CHECK": None}  # fmt: skip
    for ident, param in rules.items():
        periodic = ["--frequency", "One_Hour"] if RULES[ident].periodic and not RULES[ident].change else []
        pinned.ok("config", "put-rule", "--config-rule-name", ident.lower(), "--source-identifier", ident,
                  *(["--parameter", param] if param else []), *periodic)  # fmt: skip
    ami = "ami-0123456789abcdef0"
    public = pinned.json("ec2", "run-instances", "--image-id", ami, "--instance-type", "t3.micro")["Instances"][0]["InstanceId"]
    private = pinned.json("ec2", "run-instances", "--image-id", ami, "--instance-type", "m5.large", "--monitoring",
                          "Enabled=true", "--no-associate-public-ip-address")["Instances"][0]["InstanceId"]  # fmt: skip
    pinned.ok("dynamodb", "create-table", "--table-name", "orders", "--attribute-definitions", "AttributeName=id,AttributeType=S",
              "--key-schema", "AttributeName=id,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST")  # fmt: skip
    admin = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    arn = pinned.json("iam", "create-policy", "--policy-name", "admin", "--policy-document", admin)["Policy"]["Arn"]
    pinned.ok("iam", "create-user", "--user-name", "alice")
    pinned.ok("iam", "create-access-key", "--user-name", "alice")
    pinned.ok("account", "clock", "advance", "2h")
    assert _details(pinned, "ec2_instance_no_public_ip") == {public: NON_COMPLIANT, private: COMPLIANT}
    assert _details(pinned, "ec2_instance_detailed_monitoring_enabled") == {public: NON_COMPLIANT, private: COMPLIANT}
    assert _details(pinned, "desired_instance_type") == {public: COMPLIANT, private: NON_COMPLIANT}
    assert _details(pinned, "dynamodb_pitr_enabled") == {"orders": NON_COMPLIANT}
    assert _details(pinned, "iam_policy_no_statements_with_admin_access") == {arn: NON_COMPLIANT}
    assert _details(pinned, "iam_user_mfa_enabled") == {"alice": NON_COMPLIANT}
    assert _details(pinned, "access_keys_rotated") == {"alice": COMPLIANT}
    assert set(_details(pinned, "iam_root_access_key_check").values()) == {COMPLIANT}
    # Fixes and time: PITR on, MFA on; the stopped instance and the key age past their limits.
    pinned.ok("dynamodb", "update-continuous-backups", "--table-name", "orders",
              "--point-in-time-recovery-specification", "PointInTimeRecoveryEnabled=true")  # fmt: skip
    serial = pinned.json("iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", "alice")["VirtualMFADevice"]["SerialNumber"]
    pinned.ok("iam", "enable-mfa-device", "--user-name", "alice", "--serial-number", serial, "--authentication-code1",
              "111111", "--authentication-code2", "222222")  # fmt: skip
    pinned.ok("ec2", "stop-instances", "--instance-ids", private)
    pinned.ok("iam", "create-access-key", env={"AWSMON_PRINCIPAL": "root"})  # a root access key
    pinned.ok("account", "clock", "advance", "31d")
    assert _details(pinned, "dynamodb_pitr_enabled") == {"orders": COMPLIANT}
    assert _details(pinned, "iam_user_mfa_enabled") == {"alice": COMPLIANT}
    assert _details(pinned, "ec2_stopped_instance") == {public: COMPLIANT, private: NON_COMPLIANT}
    assert _details(pinned, "access_keys_rotated") == {"alice": NON_COMPLIANT}
    assert set(_details(pinned, "iam_root_access_key_check").values()) == {NON_COMPLIANT}
