"""Contract tests: the same ec2, s3, iam and dynamodb commands against the local account and a real moto server.

Where moto differs from AWS (and the local account follows AWS), the test says so.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Cli

AMI = "ami-0123456789abcdef0"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                            "Action": "sts:AssumeRole"}]})  # fmt: skip


def _ami(cli: Cli) -> str:
    """moto launches only AMIs of its catalogue; the local account accepts any well-formed id."""
    if cli.env.get("AWSMON_BACKEND") == "aws":
        import boto3

        ec2 = boto3.client("ec2", endpoint_url=cli.env["AWSMON_ENDPOINT_URL"], region_name="us-east-1")
        return str(ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"])
    return AMI


def test_ec2_instances(backend_cli: Cli) -> None:
    cli = backend_cli
    res = cli.json("ec2", "run-instances", "--image-id", _ami(cli), "--instance-type", "t3.micro", "--count", "2")
    ids = [i["InstanceId"] for i in res["Instances"]]
    assert len(ids) == 2 and all(i.startswith("i-") for i in ids)
    assert res["Instances"][0]["State"]["Code"] in (0, 16)  # moto starts them running at once
    if cli.env.get("AWSMON_BACKEND") != "aws":
        cli.ok("account", "clock", "advance", "1m")
    described = cli.json("ec2", "describe-instances", "--instance-ids", *ids)
    assert sorted(i["InstanceId"] for r in described["Reservations"] for i in r["Instances"]) == sorted(ids)
    stop = cli.json("ec2", "stop-instances", "--instance-ids", ids[0])["StoppingInstances"][0]
    assert stop["InstanceId"] == ids[0] and stop["PreviousState"]["Name"] == "running"
    if cli.env.get("AWSMON_BACKEND") != "aws":  # moto 5 raises NotImplementedError for Monitor/UnmonitorInstances
        mon = cli.json("ec2", "monitor-instances", "--instance-ids", ids[1])["InstanceMonitorings"][0]
        assert mon["InstanceId"] == ids[1] and mon["Monitoring"]["State"] == "pending"
    term = cli.json("ec2", "terminate-instances", "--instance-ids", ids[1])["TerminatingInstances"][0]
    assert term["CurrentState"]["Name"] in ("shutting-down", "terminated")
    res = cli("ec2", "describe-instances", "--instance-ids", "i-0123456789abcdef0")
    assert res.exit_code == 2 and "InvalidInstanceID.NotFound" in res.stderr


def test_ec2_security_groups(backend_cli: Cli) -> None:
    cli = backend_cli
    gid = cli.json("ec2", "create-security-group", "--group-name", "web", "--description", "web servers")["GroupId"]
    assert gid.startswith("sg-")
    res = cli("ec2", "create-security-group", "--group-name", "web", "--description", "again")
    assert res.exit_code == 2 and "InvalidGroup.Duplicate" in res.stderr
    cli.ok("ec2", "authorize-security-group-ingress", "--group-id", gid, "--protocol", "tcp", "--port", "22", "--cidr", "0.0.0.0/0")
    group = cli.json("ec2", "describe-security-groups", "--group-ids", gid)["SecurityGroups"][0]
    assert group["GroupName"] == "web"
    assert [(p["IpProtocol"], p["FromPort"], p["IpRanges"][0]["CidrIp"]) for p in group["IpPermissions"]] == [("tcp", 22, "0.0.0.0/0")]
    res = cli("ec2", "authorize-security-group-ingress", "--group-id", gid, "--protocol", "tcp", "--port", "22",
              "--cidr", "0.0.0.0/0")  # fmt: skip
    assert res.exit_code == 2 and "InvalidPermission.Duplicate" in res.stderr
    cli.ok("ec2", "revoke-security-group-ingress", "--group-id", gid, "--protocol", "tcp", "--port", "22", "--cidr", "0.0.0.0/0")
    assert cli.json("ec2", "describe-security-groups", "--group-ids", gid)["SecurityGroups"][0]["IpPermissions"] == []
    names = [g["GroupName"] for g in cli.json("ec2", "describe-security-groups")["SecurityGroups"]]
    assert "default" in names and "web" in names


def test_ec2_security_group_tag_specifications(backend_cli: Cli) -> None:
    """Both aws-cli forms of --tag-specifications (nested shorthand and JSON) tag the group; a malformed one is
    a usage error (it used to crash in the backend with 'unexpected TypeError')."""
    cli = backend_cli
    for name, spec in (("short", "ResourceType=security-group,Tags=[{Key=team,Value=a},{Key=env,Value=b}]"),
                       ("json", '[{"ResourceType":"security-group","Tags":[{"Key":"team","Value":"a"},'
                                '{"Key":"env","Value":"b"}]}]')):
        gid = cli.json("ec2", "create-security-group", "--group-name", name, "--description", "d",
                       "--tag-specifications", spec)["GroupId"]
        group = cli.json("ec2", "describe-security-groups", "--group-ids", gid)["SecurityGroups"][0]
        assert sorted((t["Key"], t["Value"]) for t in group["Tags"]) == [("env", "b"), ("team", "a")]
    for bad in ("ResourceType=security-group,Tags=x", "[1]", "ResourceType=security-group,Tags=[{Key=a"):
        res = cli("ec2", "create-security-group", "--group-name", "bad", "--description", "d",
                  "--tag-specifications", bad)
        assert res.exit_code == 2 and "--tag-specifications" in res.stderr and "unexpected" not in res.stderr


def test_s3_high_level_and_settings(backend_cli: Cli, tmp_path: Path) -> None:
    cli = backend_cli
    f = tmp_path / "f.txt"
    f.write_text("hello")
    cli.ok("s3", "mb", "s3://contract-bucket")
    cli.ok("s3", "cp", str(f), "s3://contract-bucket/dir/")
    items = cli.json("s3", "ls", "s3://contract-bucket", "--recursive")["Items"]
    assert [(i["Key"], i["Size"]) for i in items] == [("dir/f.txt", 5)]
    cli.ok("s3", "cp", "s3://contract-bucket/dir/f.txt", str(tmp_path / "back.txt"))
    assert (tmp_path / "back.txt").read_text() == "hello"
    res = cli("s3", "rb", "s3://contract-bucket")
    assert res.exit_code == 1 and "BucketNotEmpty" in res.stderr
    if cli.env.get("AWSMON_BACKEND") != "aws":  # moto creates buckets whose names AWS refuses (e.g. Bad_Bucket)
        res = cli("s3", "mb", "s3://Bad_Bucket")
        assert res.exit_code == 2 and "InvalidBucketName" in res.stderr
    cli.ok("s3", "put-public-access-block", "--bucket", "contract-bucket", "--public-access-block-configuration",
           "BlockPublicAcls=false,IgnorePublicAcls=false,BlockPublicPolicy=false,RestrictPublicBuckets=false")  # fmt: skip
    pab = cli.json("s3", "get-public-access-block", "--bucket", "contract-bucket")["PublicAccessBlockConfiguration"]
    assert pab["BlockPublicAcls"] is False
    cli.ok("s3", "put-bucket-acl", "--bucket", "contract-bucket", "--acl", "public-read")
    # (versioned buckets keep object versions on AWS and moto, so rb --force cannot empty them: a bucket of its own)
    cli.ok("s3", "mb", "s3://contract-versioned")
    cli.ok("s3", "put-bucket-versioning", "--bucket", "contract-versioned", "--versioning-configuration", "Status=Enabled")
    assert cli.json("s3", "get-bucket-versioning", "--bucket", "contract-versioned")["Status"] == "Enabled"
    cli.ok("s3", "rb", "s3://contract-versioned")
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                      "Resource": "arn:aws:s3:::contract-bucket/*"}]}  # fmt: skip
    cli.ok("s3", "put-bucket-policy", "--bucket", "contract-bucket", "--policy", json.dumps(policy))
    cli.ok("s3", "rb", "s3://contract-bucket", "--force")
    assert "contract-bucket" not in [i["Key"] for i in cli.json("s3", "ls")["Items"]]


def test_iam(backend_cli: Cli) -> None:
    cli = backend_cli
    cli.ok("iam", "create-user", "--user-name", "alice")
    res = cli("iam", "create-user", "--user-name", "alice")
    assert res.exit_code == 2 and "EntityAlreadyExists" in res.stderr
    key = cli.json("iam", "create-access-key", "--user-name", "alice")["AccessKey"]
    assert key["AccessKeyId"].startswith("AKIA") and key["Status"] == "Active"
    cli.ok("iam", "update-access-key", "--user-name", "alice", "--access-key-id", key["AccessKeyId"], "--status", "Inactive")
    assert cli.json("iam", "list-access-keys", "--user-name", "alice")["AccessKeyMetadata"][0]["Status"] == "Inactive"
    cli.ok("iam", "delete-access-key", "--user-name", "alice", "--access-key-id", key["AccessKeyId"])
    cli.ok("iam", "create-role", "--role-name", "lab-role", "--assume-role-policy-document", TRUST)
    doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
    arn = cli.json("iam", "create-policy", "--policy-name", "read-s3", "--policy-document", doc)["Policy"]["Arn"]
    # (moto knows AWS-managed policies only with MOTO_IAM_LOAD_MANAGED_POLICIES=true: a customer policy here)
    cli.ok("iam", "attach-role-policy", "--role-name", "lab-role", "--policy-arn", arn)
    cli.ok("iam", "attach-user-policy", "--user-name", "alice", "--policy-arn", arn)
    serial = cli.json("iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", "alice")["VirtualMFADevice"]["SerialNumber"]
    cli.ok("iam", "enable-mfa-device", "--user-name", "alice", "--serial-number", serial, "--authentication-code1", "123456",
           "--authentication-code2", "654321")  # fmt: skip
    assert [d["SerialNumber"] for d in cli.json("iam", "list-mfa-devices", "--user-name", "alice")["MFADevices"]] == [serial]
    assert "alice" in [u["UserName"] for u in cli.json("iam", "list-users")["Users"]]
    res = cli("iam", "delete-user", "--user-name", "nobody")
    assert res.exit_code == 1 and "NoSuchEntity" in res.stderr


def test_dynamodb(backend_cli: Cli) -> None:
    cli = backend_cli
    args = ["--attribute-definitions", "AttributeName=id,AttributeType=S", "--key-schema", "AttributeName=id,KeyType=HASH",
            "--billing-mode", "PAY_PER_REQUEST"]  # fmt: skip
    table = cli.json("dynamodb", "create-table", "--table-name", "orders", *args)["TableDescription"]
    assert table["TableName"] == "orders" and table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    res = cli("dynamodb", "create-table", "--table-name", "orders", *args)
    assert res.exit_code == 2 and "ResourceInUseException" in res.stderr
    cli.ok("dynamodb", "put-item", "--table-name", "orders", "--item", '{"id": {"S": "1"}, "n": {"N": "2"}}')
    assert cli.json("dynamodb", "get-item", "--table-name", "orders", "--key", '{"id": {"S": "1"}}')["Item"]["n"] == {"N": "2"}
    assert "orders" in cli.json("dynamodb", "list-tables")["TableNames"]
    out = cli.json("dynamodb", "update-continuous-backups", "--table-name", "orders",
                   "--point-in-time-recovery-specification", "PointInTimeRecoveryEnabled=true")  # fmt: skip
    assert out["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    cli.ok("dynamodb", "delete-table", "--table-name", "orders")
    res = cli("dynamodb", "describe-table", "--table-name", "orders")
    assert res.exit_code == 1 and "ResourceNotFoundException" in res.stderr
