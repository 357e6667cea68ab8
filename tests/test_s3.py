"""Simulated S3: aws-cli's high-level commands over bucket folders, bucket settings, data events delivered only when
a trail's selectors ask for them, request and storage metrics, and bad input."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.conftest import Cli

ACCT = "123456789012"
OPEN_PAB = "BlockPublicAcls=false,IgnorePublicAcls=false,BlockPublicPolicy=false,RestrictPublicBuckets=false"


def _bucket_dir(cli: Cli, name: str) -> Path:
    return Path(cli.env["AWSMON_HOME"]) / "accounts" / ACCT / "s3" / name


def test_mb_cp_ls_rm_rb(pinned: Cli, tmp_path: Path) -> None:
    assert pinned.json("s3", "mb", "s3://lab-bucket")["Results"] == [{"Action": "make_bucket", "Source": "lab-bucket"}]
    src = tmp_path / "report.csv"
    src.write_text("a,b\n1,2\n")
    up = pinned.json("s3", "cp", str(src), "s3://lab-bucket/reports/")["Results"][0]
    assert up["Target"] == "s3://lab-bucket/reports/report.csv"
    assert (_bucket_dir(pinned, "lab-bucket") / "reports" / "report.csv").read_text() == "a,b\n1,2\n"
    pinned.ok("s3", "cp", str(src), "s3://lab-bucket/top.csv")
    items = pinned.json("s3", "ls", "s3://lab-bucket")["Items"]
    assert [(i["Type"], i["Key"]) for i in items] == [("PRE", "reports/"), ("OBJECT", "top.csv")]
    assert items[1]["Size"] == 8 and items[1]["LastModified"] == "2026-11-20T12:00:00Z"
    keys = [i["Key"] for i in pinned.json("s3", "ls", "s3://lab-bucket", "--recursive")["Items"]]
    assert keys == ["reports/report.csv", "top.csv"]
    assert [i["Key"] for i in pinned.json("s3", "ls")["Items"]] == ["lab-bucket"]
    down = tmp_path / "down"
    pinned.ok("s3", "cp", "s3://lab-bucket/reports/report.csv", str(down) + "/")
    assert (down / "report.csv").read_text() == "a,b\n1,2\n"
    pinned.ok("s3", "cp", "s3://lab-bucket/top.csv", "s3://lab-bucket/copy/top.csv")
    res = pinned("s3", "rb", "s3://lab-bucket")
    assert res.exit_code == 1 and "BucketNotEmpty: The bucket you tried to delete is not empty" in res.stderr
    assert _bucket_dir(pinned, "lab-bucket").is_dir()  # nothing lost
    pinned.ok("s3", "rm", "s3://lab-bucket/top.csv")
    assert not (_bucket_dir(pinned, "lab-bucket") / "top.csv").exists()
    pinned.ok("s3", "rb", "s3://lab-bucket", "--force")
    assert not _bucket_dir(pinned, "lab-bucket").exists()
    assert pinned.json("s3", "ls")["Items"] == []


def test_recursive_copies(pinned: Cli, tmp_path: Path) -> None:
    tree = tmp_path / "logs"
    (tree / "app").mkdir(parents=True)
    (tree / "app" / "a.log").write_text("A")
    (tree / "b.log").write_text("B")
    pinned.ok("s3", "mb", "s3://tree-bucket")
    ups = pinned.json("s3", "cp", str(tree), "s3://tree-bucket/logs", "--recursive")["Results"]
    assert sorted(u["Target"] for u in ups) == ["s3://tree-bucket/logs/app/a.log", "s3://tree-bucket/logs/b.log"]
    out = tmp_path / "out"
    pinned.ok("s3", "cp", "s3://tree-bucket/logs/", str(out), "--recursive")
    assert (out / "app" / "a.log").read_text() == "A" and (out / "b.log").read_text() == "B"
    pinned.ok("s3", "rm", "s3://tree-bucket/logs/", "--recursive")
    assert pinned.json("s3", "ls", "s3://tree-bucket", "--recursive")["Items"] == []


def test_bad_input(pinned: Cli, tmp_path: Path) -> None:
    for name in ("Bad_Name", "ab", "a..b", "192.168.1.1", "xn--bucket", "bucket-s3alias"):
        res = pinned("s3", "mb", f"s3://{name}")
        assert res.exit_code == 2 and "InvalidBucketName: The specified bucket is not valid." in res.stderr, name
    assert pinned.json("s3", "ls")["Items"] == []
    pinned.ok("s3", "mb", "s3://dup-bucket")
    res = pinned("s3", "mb", "s3://dup-bucket")
    assert res.exit_code == 2 and "BucketAlreadyOwnedByYou" in res.stderr
    res = pinned("s3", "cp", "s3://nope-bucket/k", str(tmp_path / "x"))
    assert res.exit_code == 1 and "NoSuchBucket: The specified bucket does not exist" in res.stderr
    res = pinned("s3", "cp", "s3://dup-bucket/missing", str(tmp_path / "x"))
    assert res.exit_code == 1 and "NoSuchKey: The specified key does not exist." in res.stderr
    res = pinned("s3", "cp", "not-a-url", "also-local")
    assert res.exit_code == 2


def test_public_access_block_acl_versioning_policy(pinned: Cli) -> None:
    pinned.ok("s3", "mb", "s3://settings-bucket")
    pab = pinned.json("s3", "get-public-access-block", "--bucket", "settings-bucket")["PublicAccessBlockConfiguration"]
    assert pab == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    res = pinned("s3", "put-bucket-acl", "--bucket", "settings-bucket", "--acl", "public-read")
    assert res.exit_code == 4 and "AccessDenied" in res.stderr
    pinned.ok("s3", "put-public-access-block", "--bucket", "settings-bucket", "--public-access-block-configuration", OPEN_PAB)
    pinned.ok("s3", "put-bucket-acl", "--bucket", "settings-bucket", "--acl", "public-read")
    grants = pinned.json("s3", "get-bucket-acl", "--bucket", "settings-bucket")["Grants"]
    assert {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}, "Permission": "READ"} in grants
    assert pinned.ok("s3", "get-bucket-versioning", "--bucket", "settings-bucket", "-o", "json").stdout == ""
    pinned.ok("s3", "put-bucket-versioning", "--bucket", "settings-bucket", "--versioning-configuration", "Status=Enabled")
    assert pinned.json("s3", "get-bucket-versioning", "--bucket", "settings-bucket") == {"Status": "Enabled"}
    res = pinned("s3", "put-bucket-policy", "--bucket", "settings-bucket", "--policy", "not json")
    assert res.exit_code == 2 and "MalformedPolicy" in res.stderr
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                      "Resource": "arn:aws:s3:::settings-bucket/*"}]}  # fmt: skip
    pinned.ok("s3", "put-bucket-policy", "--bucket", "settings-bucket", "--policy", json.dumps(policy))
    assert json.loads(pinned.json("s3", "get-bucket-policy", "--bucket", "settings-bucket")["Policy"]) == policy
    names = [e["EventName"] for e in pinned.json("trail", "lookup", "--event-source", "s3.amazonaws.com")["Events"]]
    assert "PutBucketPolicy" in names and "PutBucketAcl" in names


def _delivered(cli: Cli, bucket: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for f in sorted((_bucket_dir(cli, bucket) / "AWSLogs").rglob("*.json.gz")):
        if "CloudTrail-Digest" not in f.parts:
            out += json.loads(gzip.decompress(f.read_bytes()))["Records"]
    return out


def test_object_operations_are_data_events_logged_only_when_selected(pinned: Cli, tmp_path: Path) -> None:
    f = tmp_path / "f.txt"
    f.write_text("x")
    pinned.ok("s3", "mb", "s3://data-bucket")
    pinned.ok("logs", "create-group", "--name", "trail-group")
    pinned.ok("trail", "create", "--name", "lab-trail", "--s3-new-bucket", "trail-bucket", "--cloud-watch-logs-log-group",
              "trail-group")  # fmt: skip
    pinned.ok("trail", "start-logging", "--name", "lab-trail")
    pinned.ok("s3", "cp", str(f), "s3://data-bucket/before.txt")
    pinned.ok("account", "clock", "advance", "6m")
    assert "PutObject" not in {r["eventName"] for r in _delivered(pinned, "trail-bucket")}
    assert pinned.json("trail", "lookup", "--event-name", "PutObject")["Events"] == []  # never in event history
    advanced = [{"Name": "s3 data", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]},
                                                       {"Field": "resources.type", "Equals": ["AWS::S3::Object"]}]},
                {"Name": "management", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]  # fmt: skip
    pinned.ok("trail", "put-event-selectors", "--trail-name", "lab-trail", "--advanced-event-selectors", json.dumps(advanced))
    pinned.ok("s3", "cp", str(f), "s3://data-bucket/after.txt")
    pinned.ok("s3", "cp", "s3://data-bucket/after.txt", str(tmp_path / "back.txt"))
    pinned.ok("account", "clock", "advance", "6m")
    records = [r for r in _delivered(pinned, "trail-bucket") if r["eventCategory"] == "Data"]
    assert [(r["eventName"], r["requestParameters"]["key"]) for r in records] == [("PutObject", "after.txt"),
                                                                                  ("GetObject", "after.txt")]
    put = records[0]
    assert put["managementEvent"] is False and put["readOnly"] is False and records[1]["readOnly"] is True
    assert put["requestParameters"]["bucketName"] == "data-bucket"
    assert {"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::data-bucket/after.txt", "accountId": ACCT} in put["resources"]
    # The trail's CloudWatch Logs group gets the same data events (the s3-access-alerts lab's source).
    messages = [json.loads(e["message"]) for e in pinned.json("logs", "filter", "--group", "trail-group")["events"]]
    assert sorted(m["eventName"] for m in messages if m.get("eventCategory") == "Data") == ["GetObject", "PutObject"]
    # Basic selectors for one bucket prefix work too.
    basic = [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True,
              "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::data-bucket/logs/"]}]}]  # fmt: skip
    pinned.ok("trail", "put-event-selectors", "--trail-name", "lab-trail", "--event-selectors", json.dumps(basic))
    pinned.ok("s3", "cp", str(f), "s3://data-bucket/logs/in.txt")
    pinned.ok("s3", "cp", str(f), "s3://data-bucket/other.txt")
    pinned.ok("account", "clock", "advance", "6m")
    keys = [r["requestParameters"]["key"] for r in _delivered(pinned, "trail-bucket") if r["eventCategory"] == "Data"]
    assert keys[-1] == "logs/in.txt" and "other.txt" not in keys


def test_request_metrics_and_daily_storage_metrics(pinned: Cli, ctx: Any, tmp_path: Path) -> None:
    f = tmp_path / "f.bin"
    f.write_bytes(b"0123456789")
    pinned.ok("s3", "mb", "s3://metrics-bucket")
    pinned.ok("s3", "cp", str(f), "s3://metrics-bucket/no-config.bin")  # before any metrics configuration
    pinned.ok("s3", "put-bucket-metrics-configuration", "--bucket", "metrics-bucket", "--id", "EntireBucket")
    pinned.ok("s3", "cp", str(f), "s3://metrics-bucket/a.bin")
    pinned.ok("s3", "cp", "s3://metrics-bucket/a.bin", str(tmp_path / "a.bin"))
    cw = ctx.client("cloudwatch")
    start = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)

    def total(metric: str, dims: dict[str, str], end: datetime) -> float:
        pts = cw.get_metric_statistics(Namespace="AWS/S3", MetricName=metric, StartTime=start, EndTime=end,
                                       Period=86400, Statistics=["Sum"],
                                       Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()])["Datapoints"]  # fmt: skip
        return sum(p["Sum"] for p in pts)

    dims = {"BucketName": "metrics-bucket", "FilterId": "EntireBucket"}
    end = start + timedelta(hours=2)
    assert total("PutRequests", dims, end) == 1 and total("GetRequests", dims, end) == 1
    assert total("AllRequests", dims, end) >= 2 and total("BytesUploaded", dims, end) == 10
    assert total("BytesDownloaded", dims, end) == 10
    pinned.ok("account", "clock", "advance", "2d")
    # One datapoint per day, stamped at the day's midnight (reported the next day), as AWS does.
    day = datetime(2026, 11, 20, tzinfo=UTC)
    size = cw.get_metric_statistics(Namespace="AWS/S3", MetricName="BucketSizeBytes", StartTime=day,
                                    EndTime=start + timedelta(days=3), Period=86400, Statistics=["Average"],
                                    Dimensions=[{"Name": "BucketName", "Value": "metrics-bucket"},
                                                {"Name": "StorageType", "Value": "StandardStorage"}])["Datapoints"]  # fmt: skip
    assert [p["Average"] for p in size] == [20.0, 20.0]
    count = cw.get_metric_statistics(Namespace="AWS/S3", MetricName="NumberOfObjects", StartTime=day,
                                     EndTime=start + timedelta(days=3), Period=86400, Statistics=["Average"],
                                     Dimensions=[{"Name": "BucketName", "Value": "metrics-bucket"},
                                                 {"Name": "StorageType", "Value": "AllStorageTypes"}])["Datapoints"]  # fmt: skip
    assert {p["Average"] for p in count} == {2.0}


def test_trail_bucket_is_a_bucket(pinned: Cli) -> None:
    pinned.ok("trail", "create", "--name", "lab-trail", "--s3-new-bucket", "shared-bucket")
    assert [i["Key"] for i in pinned.json("s3", "ls")["Items"]] == ["shared-bucket"]
    res = pinned("s3", "mb", "s3://shared-bucket")
    assert res.exit_code == 2 and "BucketAlreadyOwnedByYou" in res.stderr
    assert pinned.json("s3", "get-public-access-block", "--bucket", "shared-bucket")["PublicAccessBlockConfiguration"]


# -- outside probe (issue 15's rule on the resource groups) --------------------------------------------------------
def test_bucket_policies_are_checked_as_s3_checks_them(pinned: Cli) -> None:
    pinned.ok("s3", "mb", "s3://policy-bucket")

    def policy(**statement: Any) -> str:
        base = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::policy-bucket/*"}
        return json.dumps({"Version": "2012-10-17", "Statement": [{**base, **statement}]})

    for statement, words in (({"Resource": "arn:aws:s3:::other-bucket/*"}, "Policy has invalid resource"),
                             ({"Resource": "*"}, "Policy has invalid resource"),
                             ({"Action": "bogus:Thing"}, "Policy has invalid action"),
                             ({"Effect": "Maybe"}, "Invalid effect: Maybe")):  # fmt: skip
        res = pinned("s3", "put-bucket-policy", "--bucket", "policy-bucket", "--policy", policy(**statement))
        assert res.exit_code == 2 and f"MalformedPolicy: {words}" in res.stderr, (statement, res.stderr)
    res = pinned("s3", "get-bucket-policy", "--bucket", "policy-bucket")
    assert res.exit_code == 1 and "NoSuchBucketPolicy" in res.stderr  # nothing was stored
    pinned.ok("s3", "put-bucket-policy", "--bucket", "policy-bucket", "--policy", policy(
        Effect="Deny", Principal={"AWS": "*"}, Action=["s3:GetObject", "s3:PutObject"],
        Resource=["arn:aws:s3:::policy-bucket", "arn:aws:s3:::policy-bucket/*"],
        Condition={"Bool": {"aws:SecureTransport": "false"}}))  # fmt: skip


def test_public_access_block_values_are_booleans(pinned: Cli) -> None:
    pinned.ok("s3", "mb", "s3://pab-bucket")
    pinned.ok("s3", "put-public-access-block", "--bucket", "pab-bucket", "--public-access-block-configuration", OPEN_PAB)
    for value in ("BlockPublicAcls=maybe", '{"BlockPublicAcls": "false"}'):  # bool("false") would block
        res = pinned("s3", "put-public-access-block", "--bucket", "pab-bucket", "--public-access-block-configuration", value)
        assert res.exit_code == 2 and "Invalid type for parameter PublicAccessBlockConfiguration.BlockPublicAcls" in res.stderr
    pab = pinned.json("s3", "get-public-access-block", "--bucket", "pab-bucket")["PublicAccessBlockConfiguration"]
    assert not any(pab.values())


def test_too_long_key_exits_2(pinned: Cli, tmp_path: Path) -> None:
    pinned.ok("s3", "mb", "s3://long-key-bucket")
    (tmp_path / "f").write_text("x")
    res = pinned("s3", "cp", str(tmp_path / "f"), "s3://long-key-bucket/" + "k" * 1100)
    assert res.exit_code == 2 and "KeyTooLongError" in res.stderr


def test_download_refuses_keys_outside_the_target(moto_env: dict[str, str], cli: Cli, tmp_path: Path) -> None:
    """Keys S3 accepts (moto too) but that name no file below the target folder: nothing is written anywhere."""
    import boto3

    s3 = boto3.client("s3", endpoint_url=moto_env["AWSMON_ENDPOINT_URL"])
    s3.create_bucket(Bucket="escape-bucket")
    target = tmp_path / "deep" / "target"
    target.mkdir(parents=True)
    for bad in ("p/../../escaped", "p//abs/escaped", "p/.."):
        s3.put_object(Bucket="escape-bucket", Key="p/ok", Body=b"fine")
        s3.put_object(Bucket="escape-bucket", Key=bad, Body=b"x")
        res = cli("s3", "cp", "s3://escape-bucket/p/", str(target), "--recursive", env=moto_env)
        assert res.exit_code == 2 and "references a parent directory" in res.stderr, (bad, res.stderr)
        assert not any(tmp_path.rglob("escaped")) and not (target / "ok").exists()  # nothing written
        s3.delete_object(Bucket="escape-bucket", Key=bad)
    s3.put_object(Bucket="escape-bucket", Key="p/folder/", Body=b"")  # a console folder marker holds no file
    cli.ok("s3", "cp", "s3://escape-bucket/p/", str(target), "--recursive", env=moto_env)
    assert (target / "ok").read_bytes() == b"fine" and not (target / "folder").exists()
    s3.put_object(Bucket="escape-bucket", Key="q/..", Body=b"x")
    res = cli("s3", "cp", "s3://escape-bucket/q/..", str(target) + "/", env=moto_env)
    assert res.exit_code == 2 and "references a parent directory" in res.stderr
