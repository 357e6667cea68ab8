"""Simulated IAM (global: recorded in us-east-1) and DynamoDB (tables, PITR, items as data events)."""

from __future__ import annotations

import json
import re

from tests.conftest import Cli

ACCT = "123456789012"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                            "Action": "sts:AssumeRole"}]})  # fmt: skip
ADMIN = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def test_users_keys_and_mfa(pinned: Cli) -> None:
    user = pinned.json("iam", "create-user", "--user-name", "alice")["User"]
    assert user["Arn"] == f"arn:aws:iam::{ACCT}:user/alice" and re.fullmatch(r"AIDA[A-Z0-9]{17}", user["UserId"])
    res = pinned("iam", "create-user", "--user-name", "alice")
    assert res.exit_code == 2 and "EntityAlreadyExists: User with name alice already exists." in res.stderr
    res = pinned("iam", "create-user", "--user-name", "bad name!")
    assert res.exit_code == 2 and "ValidationError" in res.stderr
    assert [u["UserName"] for u in pinned.json("iam", "list-users")["Users"]] == ["alice"]
    key = pinned.json("iam", "create-access-key", "--user-name", "alice")["AccessKey"]
    assert re.fullmatch(r"AKIA[A-Z0-9]{16}", key["AccessKeyId"]) and len(key["SecretAccessKey"]) == 40
    pinned.ok("iam", "create-access-key", "--user-name", "alice")
    res = pinned("iam", "create-access-key", "--user-name", "alice")
    assert res.exit_code == 2 and "LimitExceeded: Cannot exceed quota for AccessKeysPerUser: 2" in res.stderr
    pinned.ok("iam", "update-access-key", "--user-name", "alice", "--access-key-id", key["AccessKeyId"], "--status", "Inactive")
    keys = pinned.json("iam", "list-access-keys", "--user-name", "alice")["AccessKeyMetadata"]
    assert {k["AccessKeyId"]: k["Status"] for k in keys}[key["AccessKeyId"]] == "Inactive"
    res = pinned("iam", "delete-user", "--user-name", "alice")
    assert res.exit_code == 1 and "DeleteConflict: Cannot delete entity, must delete access keys first." in res.stderr
    for k in keys:
        pinned.ok("iam", "delete-access-key", "--user-name", "alice", "--access-key-id", k["AccessKeyId"])
    serial = pinned.json("iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", "alice")["VirtualMFADevice"]["SerialNumber"]
    assert serial == f"arn:aws:iam::{ACCT}:mfa/alice"
    res = pinned("iam", "enable-mfa-device", "--user-name", "alice", "--serial-number", serial,
                 "--authentication-code1", "12", "--authentication-code2", "654321")  # fmt: skip
    assert res.exit_code == 2 and "InvalidAuthenticationCode" in res.stderr
    pinned.ok("iam", "enable-mfa-device", "--user-name", "alice", "--serial-number", serial,
              "--authentication-code1", "123456", "--authentication-code2", "654321")  # fmt: skip
    assert [d["SerialNumber"] for d in pinned.json("iam", "list-mfa-devices", "--user-name", "alice")["MFADevices"]] == [serial]
    # The secret is never in CloudTrail; IAM is global: its records are in us-east-1 whatever the region.
    ev = pinned.json("trail", "lookup", "--event-name", "CreateAccessKey")["Events"]
    assert ev and all("SecretAccessKey" not in e["CloudTrailEvent"] and "secretAccessKey" not in e["CloudTrailEvent"] for e in ev)
    pinned.ok("iam", "create-user", "--user-name", "bob", "--region", "eu-west-1")
    rec = json.loads(pinned.json("trail", "lookup", "--event-name", "CreateUser")["Events"][0]["CloudTrailEvent"])
    assert rec["awsRegion"] == "us-east-1" and rec["eventSource"] == "iam.amazonaws.com"


def test_roles_policies_attachments(pinned: Cli, tmp_path: object) -> None:
    role = pinned.json("iam", "create-role", "--role-name", "lab-role", "--assume-role-policy-document", TRUST)["Role"]
    assert role["Arn"] == f"arn:aws:iam::{ACCT}:role/lab-role"
    res = pinned("iam", "create-role", "--role-name", "lab-role", "--assume-role-policy-document", TRUST)
    assert res.exit_code == 2 and "EntityAlreadyExists: Role with name lab-role already exists." in res.stderr
    res = pinned("iam", "create-role", "--role-name", "r2", "--assume-role-policy-document", "{not json")
    assert res.exit_code == 2 and "MalformedPolicyDocument" in res.stderr
    pinned.ok("iam", "attach-role-policy", "--role-name", "lab-role", "--policy-arn", "arn:aws:iam::aws:policy/ReadOnlyAccess")
    res = pinned("iam", "attach-role-policy", "--role-name", "lab-role", "--policy-arn", "arn:aws:iam::aws:policy/Nope")
    assert res.exit_code == 1 and "NoSuchEntity: Policy arn:aws:iam::aws:policy/Nope does not exist or is not attachable." in res.stderr
    res = pinned("iam", "attach-role-policy", "--role-name", "ghost", "--policy-arn", "arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert "NoSuchEntity: The role with name ghost cannot be found." in res.stderr
    policy = pinned.json("iam", "create-policy", "--policy-name", "all", "--policy-document", ADMIN)["Policy"]
    assert policy["Arn"] == f"arn:aws:iam::{ACCT}:policy/all" and policy["DefaultVersionId"] == "v1"
    pinned.ok("iam", "create-user", "--user-name", "carol")
    pinned.ok("iam", "attach-user-policy", "--user-name", "carol", "--policy-arn", policy["Arn"])
    res = pinned("iam", "delete-user", "--user-name", "carol")
    assert "must detach all policies first" in res.stderr


def test_dynamodb_tables_items_pitr(pinned: Cli) -> None:
    args = ["--attribute-definitions", "AttributeName=id,AttributeType=S", "--key-schema", "AttributeName=id,KeyType=HASH",
            "--billing-mode", "PAY_PER_REQUEST"]  # fmt: skip
    table = pinned.json("dynamodb", "create-table", "--table-name", "orders", *args)["TableDescription"]
    assert table["TableStatus"] == "ACTIVE" and table["TableArn"] == f"arn:aws:dynamodb:us-east-1:{ACCT}:table/orders"
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    res = pinned("dynamodb", "create-table", "--table-name", "orders", *args)
    assert res.exit_code == 2 and "ResourceInUseException: Table already exists: orders" in res.stderr
    res = pinned("dynamodb", "create-table", "--table-name", "bad name", *args)
    assert res.exit_code == 2 and "ValidationException" in res.stderr
    pinned.ok("dynamodb", "put-item", "--table-name", "orders", "--item", '{"id": {"S": "1"}, "total": {"N": "42"}}')
    res = pinned("dynamodb", "put-item", "--table-name", "orders", "--item", '{"id": {"N": "1"}}')
    assert res.exit_code == 2 and "Type mismatch for key id expected: S actual: N" in res.stderr
    res = pinned("dynamodb", "put-item", "--table-name", "orders", "--item", '{"other": {"S": "1"}}')
    assert "Missing the key id in the item" in res.stderr
    item = pinned.json("dynamodb", "get-item", "--table-name", "orders", "--key", '{"id": {"S": "1"}}')
    assert item == {"Item": {"id": {"S": "1"}, "total": {"N": "42"}}}
    assert pinned.json("dynamodb", "describe-table", "--table-name", "orders")["Table"]["ItemCount"] == 1
    assert pinned.json("dynamodb", "list-tables") == {"TableNames": ["orders"]}
    out = pinned.json("dynamodb", "update-continuous-backups", "--table-name", "orders",
                      "--point-in-time-recovery-specification", "PointInTimeRecoveryEnabled=true")  # fmt: skip
    assert out["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    res = pinned("dynamodb", "update-continuous-backups", "--table-name", "ghost",
                 "--point-in-time-recovery-specification", "PointInTimeRecoveryEnabled=true")  # fmt: skip
    assert res.exit_code == 1 and "TableNotFoundException: Table not found: ghost" in res.stderr
    # Item operations are data events: not in the event history; table operations are management events.
    assert pinned.json("trail", "lookup", "--event-name", "PutItem")["Events"] == []
    pinned.ok("dynamodb", "delete-table", "--table-name", "orders")
    res = pinned("dynamodb", "describe-table", "--table-name", "orders")
    assert res.exit_code == 1 and "ResourceNotFoundException: Requested resource not found: Table: orders not found" in res.stderr


def test_delete_table_api_call_reaches_an_eventbridge_rule(pinned: Cli) -> None:
    pinned.ok("alarms", "topics", "create", "ddb-alerts")
    pattern = {"source": ["aws.dynamodb"], "detail-type": ["AWS API Call via CloudTrail"],
               "detail": {"eventSource": ["dynamodb.amazonaws.com"], "eventName": ["DeleteTable"]}}  # fmt: skip
    pinned.ok("rules", "put", "--name", "ddb-delete", "--event-pattern", json.dumps(pattern))
    pinned.ok("rules", "put-targets", "--rule", "ddb-delete", "--targets", f"Id=t,Arn=arn:aws:sns:us-east-1:{ACCT}:ddb-alerts")
    pinned.ok("dynamodb", "create-table", "--table-name", "orders", "--attribute-definitions", "AttributeName=id,AttributeType=S",
              "--key-schema", "AttributeName=id,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST")  # fmt: skip
    pinned.ok("dynamodb", "delete-table", "--table-name", "orders")
    pinned.ok("account", "clock", "advance", "2m")
    (d,) = pinned.json("rules", "deliveries", "--rule", "ddb-delete")["Deliveries"]
    assert d["Status"] == "Delivered" and json.loads(d["Input"])["detail"]["requestParameters"]["tableName"] == "orders"


# -- outside probe (issue 15's rule on the resource groups) --------------------------------------------------------
BAD_ITEMS = [
    ('{"id": {"S": ""}}', "The AttributeValue for a key attribute cannot contain an empty string value. Key: id"),
    ('{"id": {"S": "a"}, "n": {"N": "1e400"}}', "Number overflow. Attempting to store a number with magnitude larger"),
    ('{"id": {"S": "a"}, "n": {"N": "1e-131"}}', "Number underflow."),
    ('{"id": {"S": "a"}, "n": {"N": "NaN"}}', "The parameter cannot be converted to a numeric value: NaN"),
    ('{"id": {"S": "a"}, "n": {"N": "1234567890123456789012345678901234567890"}}', "more than 38 significant digits"),
    ('{"id": {"S": "a"}, "s": {"SS": []}}', "An string set  may not be empty"),
    ('{"id": {"S": "a"}, "s": {"NS": ["1", "x"]}}', "cannot be converted to a numeric value: x"),
    ('{"id": {"S": "a"}, "s": {"SS": ["a", "a"]}}', "Input collection [a, a] contains duplicates."),
    ('{"id": {"S": "a"}, "l": {"L": [{"M": {"x": {"NULL": false}}}]}}', "Null attribute value types must have the value of true"),
    ('{"id": {"S": "a"}, "d": ' + '{"M": {"x": ' * 33 + '{"S": "y"}' + "}}" * 33 + "}", "Nesting Levels have exceeded"),
]  # fmt: skip


def test_items_dynamodb_refuses_store_nothing(pinned: Cli) -> None:
    pinned.ok("dynamodb", "create-table", "--table-name", "probe", "--attribute-definitions", "AttributeName=id,AttributeType=S",
              "--key-schema", "AttributeName=id,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST")  # fmt: skip
    for item, words in BAD_ITEMS:
        res = pinned("dynamodb", "put-item", "--table-name", "probe", "--item", item)
        assert res.exit_code == 2 and "ValidationException" in res.stderr and words in res.stderr, (item, res.stderr)
    assert pinned.json("dynamodb", "describe-table", "--table-name", "probe")["Table"]["ItemCount"] == 0
    res = pinned("dynamodb", "get-item", "--table-name", "probe", "--key", '{"id": {"S": ""}}')
    assert res.exit_code == 2 and "cannot contain an empty string value. Key: id" in res.stderr
    good = ('{"id": {"S": "a"}, "n": {"N": "-1.5E+10"}, "s": {"NS": ["1", "2"]}, "z": {"N": "0"}, "b": {"NULL": true}, '
            '"big": {"N": "12345678901234567890123456789012345678000"}}')  # 38 significant digits
    pinned.ok("dynamodb", "put-item", "--table-name", "probe", "--item", good)


def test_iam_tags_and_shorthand_keys(pinned: Cli) -> None:
    res = pinned("iam", "create-user", "--user-name", "tagged", "--tags", "Key=a,Value=b", "Key=A,Value=c")
    assert res.exit_code == 2 and "InvalidInput: Duplicate tag keys found. Please note that Tag keys are case insensitive." in res.stderr
    many = [f"Key=k{i},Value=v" for i in range(51)]
    res = pinned("iam", "create-user", "--user-name", "tagged", "--tags", *many)
    assert res.exit_code == 2 and "Member must have length less than or equal to 50" in res.stderr
    # a ',' where a space was meant gave a second Value: aws-cli refuses it, the first tag's value was silently lost
    for value in ("Key=a,Value=b,Key=c,Value=d", "Key=a,Value=b Key=c,Value=d"):
        res = pinned("iam", "create-user", "--user-name", "tagged", "--tags", value)
        assert res.exit_code == 2 and "second instance of key" in res.stderr, res.stderr
    assert pinned.json("iam", "list-users")["Users"] == []
    assert pinned.json("iam", "create-user", "--user-name", "tagged", "--tags", *many[:50])["User"]["Tags"][49] == {
        "Key": "k49", "Value": "v"}  # fmt: skip
