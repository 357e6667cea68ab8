"""Athena's table over AWS Config snapshots: `config athena-ddl` and `config query` (the same Athena text run
locally over the snapshots awsmon delivered, or on Athena)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli

ACCT = "123456789012"

# The AWS blog's example queries ("How to query your AWS resource configuration states using AWS Config and Amazon
# Athena", and the QuickSight views of "Visualizing AWS Config data using Amazon Athena and Amazon QuickSight"),
# unchanged but for the JSON key case: awsmon's DDL keeps keys' case ('case.insensitive'='false').
T2_MICRO = """SELECT configurationItem.resourceType, configurationItem.resourceId as InstanceId
FROM default.aws_config_configuration_snapshot
CROSS JOIN UNNEST(configurationitems) AS t(configurationItem)
WHERE dt = 'latest'
AND configurationItem.resourceType = 'AWS::EC2::Instance'
AND json_extract_scalar(configurationItem.configuration, '$.instanceType') = 't2.micro';"""
BY_TYPE = """SELECT configurationItem.resourceType, count(*) AS resourceCount
FROM default.aws_config_configuration_snapshot
CROSS JOIN UNNEST(configurationitems) AS t(configurationItem)
WHERE dt = 'latest'
GROUP BY configurationItem.resourceType
ORDER BY resourceCount DESC, configurationItem.resourceType"""
SG_VIEW = """SELECT DISTINCT
"configurationItem"."configurationitemcapturetime" "CreationTime"
,"accountid" "AccountID"
,"configurationItem"."tags"['Name'] "Name"
,"configurationItem"."awsRegion" "Region"
,"configurationItem"."resourceId" "SecurityGroupID"
,"configurationItem"."resourceName" "SecurityGroupName"
,"json_extract_scalar"("configurationItem"."configuration", '$.vpcId') "VpcID"
,"json_extract_scalar"("configurationItem"."configuration", '$.description') "Description"
FROM config_db.aws_config_configuration_snapshot
CROSS JOIN UNNEST("configurationitems") t (configurationItem)
WHERE (("dt" = 'latest') AND ("configurationItem"."resourcetype" = 'AWS::EC2::SecurityGroup'))
ORDER BY AccountID"""


def _rows(cli: Cli, *args: str) -> list[dict[str, Any]]:
    res = cli("config", "query", *args, "-o", "json")
    assert res.exit_code == 0, res.stderr
    return json.loads(res.stdout)


def _setup(cli: Cli) -> None:
    cli.ok("config", "put-configuration-recorder", "--all-supported")
    cli.ok("config", "put-delivery-channel", "--s3-bucket-name", "config-bucket")
    cli.ok("config", "start-recording")
    cli.ok("ec2", "run-instances", "--image-id", "ami-0abcdef1234567890", "--instance-type", "t2.micro", "--count", "2")
    cli.ok("ec2", "run-instances", "--image-id", "ami-0abcdef1234567890", "--instance-type", "t3.large")
    cli.ok("ec2", "create-security-group", "--group-name", "web", "--description", "web tier")
    cli.ok("logs", "create-group", "--name", "/app/web")
    cli.ok("logs", "put-retention", "--group", "/app/web", "--days", "7")


def _recorded_counts(cli: Cli) -> dict[str, int]:
    """Resources per type, as advanced query counts the current items (the truth the snapshot must agree with)."""
    out = json.loads(cli.ok("config", "select-resource-config", "SELECT resourceType, COUNT(*) GROUP BY resourceType",
                            "-o", "json").stdout)["Results"]  # fmt: skip
    return {r["resourceType"]: r["COUNT(*)"] for r in out}


def test_blog_queries_answer_what_was_recorded(pinned: Cli) -> None:
    _setup(pinned)
    pinned.ok("config", "deliver-config-snapshot")
    instances = json.loads(pinned.ok("ec2", "describe-instances", "-o", "json").stdout)["Reservations"]
    micro = sorted(i["InstanceId"] for r in instances for i in r["Instances"] if i["InstanceType"] == "t2.micro")
    rows = _rows(pinned, T2_MICRO)
    assert sorted(r["InstanceId"] for r in rows) == micro and len(micro) == 2
    assert {r["resourceType"] for r in rows} == {"AWS::EC2::Instance"}
    counts = _recorded_counts(pinned)
    assert counts["AWS::EC2::Instance"] == 3
    by_type = _rows(pinned, BY_TYPE)
    assert {r["resourceType"]: r["resourceCount"] for r in by_type} == counts
    sgs = _rows(pinned, SG_VIEW)
    web = [r for r in sgs if r["SecurityGroupName"] == "web"]
    assert len(web) == 1 and web[0]["Description"] == "web tier" and web[0]["AccountID"] == ACCT
    assert web[0]["Name"] is None  # no Name tag: a missing map key is NULL
    assert web[0]["VpcID"].startswith("vpc-") and web[0]["Region"] == "us-east-1"
    # json_extract_scalar of an object is NULL (Trino), not its JSON text.
    rows = _rows(pinned, "SELECT json_extract_scalar(c.configuration, '$.ipPermissions') AS p, "
                         "json_extract(c.configuration, '$.groupName') AS g FROM aws_config_configuration_snapshot "
                         "CROSS JOIN UNNEST(configurationitems) AS t(c) WHERE c.resourceid LIKE 'sg-%' AND dt = 'latest'")  # fmt: skip
    assert rows and all(r["p"] is None for r in rows) and {json.loads(r["g"]) for r in rows} >= {"web"}
    retention = _rows(pinned, "SELECT CAST(json_extract_scalar(c.configuration, '$.retentionInDays') AS integer) AS d "
                              "FROM aws_config_configuration_snapshot CROSS JOIN UNNEST(configurationitems) AS t(c) "
                              "WHERE c.resourcetype = 'AWS::Logs::LogGroup'")  # fmt: skip
    assert retention == [{"d": 7}, {"d": 7}]  # no dt filter: the latest snapshot is under its day AND 'latest'



def test_dt_partitions_follow_the_blog_lambda(pinned: Cli) -> None:
    _setup(pinned)
    first = json.loads(pinned.ok("config", "deliver-config-snapshot", "-o", "json").stdout)["configSnapshotId"]
    pinned.ok("account", "clock", "advance", "1d")
    pinned.ok("logs", "delete-group", "--name", "/app/web")
    pinned.ok("config", "list-discovered-resources", "--resource-type", "AWS::Logs::LogGroup")
    second = json.loads(pinned.ok("config", "deliver-config-snapshot", "-o", "json").stdout)["configSnapshotId"]
    rows = _rows(pinned, "SELECT dt, configsnapshotid, cardinality(configurationitems) AS n FROM "
                         "aws_config_configuration_snapshot ORDER BY dt")  # fmt: skip
    assert [(r["dt"], r["configsnapshotid"]) for r in rows] == [("2026-11-20", first), ("2026-11-21", second),
                                                                ("latest", second)]  # fmt: skip
    assert rows[0]["n"] == rows[1]["n"] + 1  # the deleted log group is not in the second snapshot
    groups = "SELECT count(*) AS n FROM aws_config_configuration_snapshot CROSS JOIN UNNEST(configurationitems) AS t(c) " \
             "WHERE c.resourcetype = 'AWS::Logs::LogGroup' AND dt = '{}'"
    assert _rows(pinned, groups.format("latest")) == [{"n": 0}]
    assert _rows(pinned, groups.format("2026-11-20")) == [{"n": 1}]
    ddl = pinned.ok("config", "athena-ddl", "--s3-bucket", "config-bucket", "--add-partitions").stdout
    assert ddl.count("ALTER TABLE aws_config_configuration_snapshot ADD IF NOT EXISTS PARTITION") == 3
    assert (f"PARTITION (accountid='{ACCT}', dt='latest', region='us-east-1') LOCATION "
            f"'s3://config-bucket/AWSLogs/{ACCT}/Config/us-east-1/2026/11/21/ConfigSnapshot/'") in ddl


def test_path_and_bucket_sources_and_errors(pinned: Cli, tmp_path: Path, home: Path) -> None:
    res = pinned("config", "query", "SELECT 1")
    assert res.exit_code == 2 and "no delivery channel" in res.stderr
    _setup(pinned)
    pinned.ok("config", "deliver-config-snapshot")
    one = _rows(pinned, "SELECT count(*) AS n FROM aws_config_configuration_snapshot WHERE dt = 'latest'",
                "--s3-bucket", "config-bucket")  # fmt: skip
    assert one == [{"n": 1}]
    pinned.ok("s3", "mb", "s3://other-bucket")  # a bucket without snapshots: an empty table, not an error
    assert _rows(pinned, "SELECT count(*) AS n FROM aws_config_configuration_snapshot", "--s3-bucket", "other-bucket") == [{"n": 0}]
    flat = tmp_path / "download"
    flat.mkdir()
    for f in (home / "accounts" / ACCT / "s3" / "config-bucket" / "AWSLogs").rglob("*ConfigSnapshot_*.json.gz"):
        shutil.copy(f, flat / f.name)
    assert _rows(pinned, T2_MICRO, "--path", str(flat)) == _rows(pinned, T2_MICRO)
    for args, text in [(("SELECT nope FROM aws_config_configuration_snapshot",), "query failed"),
                       (("DROP TABLE aws_config_configuration_snapshot",), "only SELECT"),
                       (("SELECT 1", "--engine", "athena"), "--backend aws"),
                       (("SELECT 1", "--engine", "lake"), "use local or athena"),
                       (("SELECT 1", "--path", str(tmp_path / "missing")), "no such folder"),
                       (("SELECT 1", "--s3-bucket", "nobucket"), "no such local bucket")]:  # fmt: skip
        res = pinned("config", "query", *args)
        assert res.exit_code == 2 and text in res.stderr and res.stderr.count("\n") == 1, (args, res.stderr)


def test_ddl_is_the_blog_table() -> None:
    from awsmon.engines.athena_config import athena_ddl

    ddl = athena_ddl(bucket="my-config-bucket", prefix="org/")
    assert ddl.startswith("CREATE EXTERNAL TABLE aws_config_configuration_snapshot (\n  fileversion STRING,")
    assert "configurationitems ARRAY < STRUCT <" in ddl and "configurationStateId : BIGINT" in ddl
    assert "tags : MAP < STRING, STRING >" in ddl and "PARTITIONED BY (accountid STRING, dt STRING, region STRING)" in ddl
    assert "'org.openx.data.jsonserde.JsonSerDe'" in ddl and "'case.insensitive'='false'" in ddl
    assert "'mapping.configurationitems'='configurationItems'" in ddl and "'mapping.arn'='ARN'" in ddl
    assert ddl.endswith("LOCATION 's3://my-config-bucket/org/AWSLogs/'")


def test_ddl_cli_validation(cli: Cli) -> None:
    res = cli("config", "athena-ddl", "--s3-bucket", "config-bucket", "--s3-prefix", "p")
    assert res.exit_code == 0 and res.stdout.rstrip().endswith("LOCATION 's3://config-bucket/p/AWSLogs/';")
    for bad in (["--s3-bucket", "Bad_Bucket"], ["--s3-bucket", "b-1", "--table-name", "x;drop"],
                ["--s3-bucket", "b-1", "--s3-prefix", "../x"], ["--s3-bucket", "nobucket", "--add-partitions"]):  # fmt: skip
        res = cli("config", "athena-ddl", *bad)
        assert res.exit_code == 2 and res.stderr.count("\n") == 1, bad


@pytest.mark.parametrize(("names", "expected"), [
    ([("a", f"{ACCT}_Config_us-east-1_ConfigSnapshot_20240101T000000Z_abc-1.json.gz"),
      ("b", f"{ACCT}_Config_us-east-1_ConfigSnapshot_20240102T060000Z_abc-2.json.gz"),
      ("c", f"{ACCT}_Config_us-east-1_ConfigSnapshot_20240102T120000Z_abc-3.json.gz"),
      ("d", f"{ACCT}_Config_eu-west-1_ConfigSnapshot_20240101T000000Z_abc-4.json.gz"),
      ("e", f"{ACCT}_Config_us-east-1_ConfigHistory_AWS::S3::Bucket_20240101T000000Z_20240101T000000Z_1.json.gz")],
     [("a", ACCT, "2024-01-01", "us-east-1"), ("b", ACCT, "2024-01-02", "us-east-1"),
      ("b", ACCT, "latest", "us-east-1"), ("c", ACCT, "2024-01-02", "us-east-1"), ("c", ACCT, "latest", "us-east-1"),
      ("d", ACCT, "2024-01-01", "eu-west-1"), ("d", ACCT, "latest", "eu-west-1")]),
])  # fmt: skip
def test_partitions_latest_is_the_latest_day_folder(names: list[tuple[str, str]], expected: list[Any]) -> None:
    """The blog's Lambda points 'latest' at the folder of the newest snapshot's day: every snapshot of that day."""
    from awsmon.engines.athena_config import partitions

    assert partitions(names) == expected


class _Athena:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def start_query_execution(self, **kw: Any) -> dict[str, Any]:
        self.calls.append(("start", kw))
        return {"QueryExecutionId": "q-1"}

    def get_query_execution(self, **kw: Any) -> dict[str, Any]:
        return {"QueryExecution": {"Status": {"State": "SUCCEEDED"}, "Statistics": {"DataScannedInBytes": 10}}}

    def get_query_results(self, **kw: Any) -> dict[str, Any]:
        return {"ResultSet": {"ResultSetMetadata": {"ColumnInfo": [{"Name": "resourcetype"}, {"Name": "n"}]},
                              "Rows": [{"Data": [{"VarCharValue": "resourcetype"}, {"VarCharValue": "n"}]},
                                       {"Data": [{"VarCharValue": "AWS::S3::Bucket"}, {"VarCharValue": "2"}]}]}}  # fmt: skip


def test_engine_athena_sends_the_same_text() -> None:
    from awsmon.services.config_query import query

    class Ctx:
        is_local = False

        def __init__(self) -> None:
            self.athena = _Athena()

        def client(self, name: str) -> Any:
            assert name == "athena"
            return self.athena

    ctx = Ctx()
    out = query(ctx, BY_TYPE, engine="athena", database="config_db", output_location="s3://results/")
    assert ctx.athena.calls[0][1]["QueryString"] == BY_TYPE.strip()
    assert ctx.athena.calls[0][1]["QueryExecutionContext"] == {"Database": "config_db"}
    assert out["Rows"] == [{"resourcetype": "AWS::S3::Bucket", "n": "2"}]


def test_aws_backend_runs_local_engine_only_on_a_path(pinned: Cli, home: Path, request: pytest.FixtureRequest) -> None:
    """On the aws backend the local engine reads a downloaded folder (no AWS call); without --path it points to
    --engine athena. (moto's server does not route botocore's current Athena requests: POST /query-executions
    answers 404, so the Athena engine is tested with a fake client above.)"""
    _setup(pinned)
    pinned.ok("config", "deliver-config-snapshot")
    aws = Cli({**pinned.env, **request.getfixturevalue("moto_env")})
    res = aws("config", "query", BY_TYPE)
    assert res.exit_code == 2 and "--engine athena" in res.stderr
    bucket = home / "accounts" / ACCT / "s3" / "config-bucket"
    res = aws("config", "query", T2_MICRO, "--path", str(bucket), "-o", "json")
    assert res.exit_code == 0 and len(json.loads(res.stdout)) == 2, res.stderr


def test_channel_key_prefix(pinned: Cli) -> None:
    pinned.ok("config", "put-configuration-recorder", "--all-supported")
    pinned.ok("config", "put-delivery-channel", "--s3-bucket-name", "config-bucket", "--s3-key-prefix", "org/config")
    pinned.ok("config", "start-recording")
    pinned.ok("logs", "create-group", "--name", "/p")
    pinned.ok("config", "deliver-config-snapshot")
    rows = _rows(pinned, "SELECT c.resourceid FROM aws_config_configuration_snapshot CROSS JOIN UNNEST(configurationitems) "
                         "AS t(c) WHERE dt = 'latest' AND c.resourcetype = 'AWS::Logs::LogGroup'")  # fmt: skip
    assert rows == [{"resourceid": "/p"}]
    ddl = pinned.ok("config", "athena-ddl", "--s3-bucket", "config-bucket", "--s3-prefix", "org/config",
                    "--add-partitions").stdout  # fmt: skip
    assert "LOCATION 's3://config-bucket/org/config/AWSLogs/'" in ddl
    assert f"LOCATION 's3://config-bucket/org/config/AWSLogs/{ACCT}/Config/us-east-1/2026/11/20/ConfigSnapshot/'" in ddl


def test_queries_read_only_the_table_and_path_must_be_a_folder(pinned: Cli) -> None:
    _setup(pinned)
    res = pinned("config", "query", "SELECT * FROM read_text('/etc/hostname')")
    assert res.exit_code == 2 and "FUNCTION_NOT_FOUND: Table function 'read_text' not registered" in res.stderr
    res = pinned("config", "query", "SELECT 1", "--path", "")
    assert res.exit_code == 2 and "--path : no such folder" in res.stderr
    res = pinned("config", "query", "SELECT 1", "--max-wait", "nan")
    assert res.exit_code == 2 and "--max-wait must be a positive number of seconds" in res.stderr
