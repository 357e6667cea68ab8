"""Log groups complete: classes (and what INFREQUENT_ACCESS refuses), tags, KMS keys, data protection masking."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path

from tests.conftest import Cli

ARN = "arn:aws:logs:us-east-1:123456789012:log-group:/app/web"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
POLICY = json.dumps({"Name": "protect", "Version": "2021-06-01", "Statement": [
    {"Sid": "audit", "DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/EmailAddress",
                                        "arn:aws:dataprotection::aws:data-identifier/CreditCardNumber"],
     "Operation": {"Audit": {"FindingsDestination": {}}}},
    {"Sid": "redact", "DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/EmailAddress",
                                         "arn:aws:dataprotection::aws:data-identifier/CreditCardNumber"],
     "Operation": {"Deidentify": {"MaskConfig": {}}}}]})  # fmt: skip


def _group(cli: Cli, name: str = "/app/web") -> dict:
    groups = cli.json("logs", "describe-groups", "-o", "json")["logGroups"]
    return next(g for g in groups if g["logGroupName"] == name)


def test_tags_and_kms_key(backend_cli: Cli) -> None:
    cli = backend_cli
    cli.ok("logs", "create-group", "--group", "/app/web", "--tags", "team=web")
    cli.ok("logs", "tag-resource", "--resource-arn", ARN, "--tags", "env=lab")
    assert cli.json("logs", "list-tags-for-resource", "--resource-arn", ARN)["tags"] == {"team": "web", "env": "lab"}
    cli.ok("logs", "untag-resource", "--resource-arn", ARN, "--tag-keys", "team")
    assert cli.json("logs", "list-tags-for-resource", "--resource-arn", ARN)["tags"] == {"env": "lab"}


def test_kms_key(pinned: Cli) -> None:
    # Local only: moto does not implement AssociateKmsKey / DisassociateKmsKey.
    cli = pinned
    cli.ok("logs", "create-group", "--group", "/app/web")
    bad = cli("logs", "associate-kms-key", "--log-group-name", "/app/web", "--kms-key-id", "not-a-key")
    assert bad.exit_code == 2 and "InvalidParameterException" in bad.stderr
    assert "kmsKeyId" not in _group(cli)
    cli.ok("logs", "associate-kms-key", "--log-group-name", "/app/web", "--kms-key-id", KEY)
    assert _group(cli)["kmsKeyId"] == KEY
    cli.ok("logs", "disassociate-kms-key", "--log-group-name", "/app/web")
    assert "kmsKeyId" not in _group(cli)


def test_infrequent_access_refuses_features(pinned: Cli) -> None:
    cli = pinned
    cli.ok("logs", "create-group", "--group", "/app/web", "--log-group-class", "INFREQUENT_ACCESS")
    assert _group(cli)["logGroupClass"] == "INFREQUENT_ACCESS"
    mf = cli("logs", "put-metric-filter", "--group", "/app/web", "--name", "m", "--pattern", "ERROR",
             "--metric-name", "E", "--namespace", "App")  # fmt: skip
    assert mf.exit_code != 0 and "InvalidOperationException: The log group /app/web is of log-group-class " \
        "INFREQUENT_ACCESS. PutMetricFilter is not supported for this log class." in mf.stderr  # fmt: skip
    sf = cli("logs", "put-subscription-filter", "--log-group-name", "/app/web", "--filter-name", "f",
             "--filter-pattern", "", "--destination-arn", "arn:aws:kinesis:us-east-1:123456789012:stream/x")  # fmt: skip
    assert sf.exit_code != 0 and "PutSubscriptionFilter is not supported for this log class." in sf.stderr
    assert cli.json("logs", "describe-metric-filters", "--group", "/app/web")["metricFilters"] == []
    bad = cli("logs", "create-group", "--group", "/app/other", "--log-group-class", "COLD")
    assert bad.exit_code == 2 and "Member must satisfy enum value set" in bad.stderr
    assert [g["logGroupName"] for g in cli.json("logs", "describe-groups", "-o", "json")["logGroups"]] == ["/app/web"]


def test_policy_documents_come_back_exactly_as_given(pinned: Cli, tmp_path: Path) -> None:
    """AWS keeps a data protection (and account) policy document as the text the user put: its spacing, key order,
    newlines and escapes come back from GetDataProtectionPolicy / DescribeAccountPolicies unchanged."""
    cli = pinned
    cli.ok("logs", "create-group", "--group", "/app/web")
    doc = json.loads(POLICY)
    text = '{ "Version" : "2021-06-01",\n  "Name": "protect",  "Description": "caf\\u00e9",\n  "Statement": ' + \
        json.dumps(doc["Statement"], indent=4) + "\n}\n"  # fmt: skip
    put = cli.json("logs", "put-data-protection-policy", "--log-group-identifier", "/app/web", "--policy-document", text)
    assert put["policyDocument"] == text
    assert cli.json("logs", "get-data-protection-policy", "--group", "/app/web")["policyDocument"] == text
    f = tmp_path / "policy.json"
    f.write_text(text.replace('"protect"', '"from-file"'), encoding="utf-8")
    cli.ok("logs", "put-data-protection-policy", "--log-group-identifier", "/app/web", "--policy-document", f"file://{f}")
    got = cli.json("logs", "get-data-protection-policy", "--group", "/app/web")["policyDocument"]
    assert got == f.read_text(encoding="utf-8")
    account = text.replace('"protect"', '"account-wide"')
    cli.ok("logs", "put-account-policy", "--policy-name", "dp", "--policy-type", "DATA_PROTECTION_POLICY",
           "--policy-document", account)  # fmt: skip
    listed = cli.json("logs", "describe-account-policies", "--policy-type", "DATA_PROTECTION_POLICY")["accountPolicies"]
    assert [p["policyDocument"] for p in listed] == [account]
    bad = cli("logs", "put-data-protection-policy", "--log-group-identifier", "/app/web", "--policy-document", "{oops")
    assert bad.exit_code == 2 and "invalid JSON in --policy-document" in bad.stderr
    assert cli.json("logs", "get-data-protection-policy", "--group", "/app/web")["policyDocument"] == got  # kept


def test_data_protection_masks_new_events(pinned: Cli) -> None:
    cli = pinned
    cli.ok("logs", "create-group", "--group", "/app/web")
    cli.ok("logs", "create-stream", "--group", "/app/web", "--stream", "s")
    cli.ok("logs", "put-events", "--group", "/app/web", "--stream", "s", "-m", "before bob@example.com")
    cli.ok("logs", "put-data-protection-policy", "--log-group-identifier", "/app/web", "--policy-document", POLICY)
    assert json.loads(cli.json("logs", "get-data-protection-policy", "--group", "/app/web")["policyDocument"])["Name"] == "protect"
    assert _group(cli)["dataProtectionStatus"] == "ACTIVATED"
    cli.ok("logs", "put-events", "--group", "/app/web", "--stream", "s", "-m",
           "paid by ann@example.org with 4111-1111-1111-1111 order 1234567890123")  # fmt: skip
    msgs = [e["message"] for e in cli.json("logs", "get-events", "--group", "/app/web", "--stream", "s",
                                           "--start-from-head")["events"]]  # fmt: skip
    assert msgs == ["before bob@example.com",
                    "paid by *************** with ******************* order 1234567890123"]  # fmt: skip
    raw = [e["message"] for e in cli.json("logs", "get-events", "--group", "/app/web", "--stream", "s",
                                          "--start-from-head", "--unmask")["events"]]  # fmt: skip
    assert raw[1] == "paid by ann@example.org with 4111-1111-1111-1111 order 1234567890123"
    cli.ok("logs", "delete-data-protection-policy", "--group", "/app/web")
    assert "dataProtectionStatus" not in _group(cli)
    cli.ok("logs", "put-events", "--group", "/app/web", "--stream", "s", "-m", "after carl@example.com")
    msgs = [e["message"] for e in cli.json("logs", "get-events", "--group", "/app/web", "--stream", "s",
                                           "--start-from-head")["events"]]  # fmt: skip
    assert msgs[1].startswith("paid by ****") and msgs[2] == "after carl@example.com"
    bad = cli("logs", "put-data-protection-policy", "--log-group-identifier", "/app/web", "--policy-document",
              json.dumps({"Name": "x", "Version": "2021-06-01", "Statement": []}))  # fmt: skip
    assert bad.exit_code == 2 and "InvalidParameterException" in bad.stderr


def test_data_protection_masks_every_egress(pinned: Cli, home: Path) -> None:
    # AWS: once a policy is set, sensitive data is masked at all egress points (subscription filters, export).
    cli = pinned
    cli.ok("logs", "create-group", "--group", "/app/web")
    cli.ok("logs", "create-stream", "--group", "/app/web", "--stream", "s")
    cli.ok("logs", "put-data-protection-policy", "--log-group-identifier", "/app/web", "--policy-document", POLICY)
    cli.ok("kinesis", "create-stream", "--stream-name", "ks", "--shard-count", "1")
    cli.ok("logs", "put-subscription-filter", "--log-group-name", "/app/web", "--filter-name", "all",
           "--filter-pattern", "", "--destination-arn", "arn:aws:kinesis:us-east-1:123456789012:stream/ks")  # fmt: skip
    cli.ok("logs", "put-events", "--group", "/app/web", "--stream", "s", "-m", "mail bob@example.com")
    it = cli.json("kinesis", "get-shard-iterator", "--stream-name", "ks", "--shard-id", "shardId-000000000000",
                  "--shard-iterator-type", "TRIM_HORIZON")["ShardIterator"]  # fmt: skip
    records = cli.json("kinesis", "get-records", "--shard-iterator", it)["Records"]
    data = json.loads(gzip.decompress(base64.b64decode(records[-1]["Data"])))
    assert [e["message"] for e in data["logEvents"]] == ["mail ***************"]
    cli.ok("s3", "mb", "s3://exports")
    cli.ok("s3", "put-bucket-policy", "--bucket", "exports", "--policy", json.dumps({"Version": "2012-10-17",
           "Statement": [{"Effect": "Allow", "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
                          "Action": ["s3:GetBucketAcl", "s3:PutObject"], "Resource": "arn:aws:s3:::exports*"}]}))  # fmt: skip
    task = cli.json("logs", "create-export-task", "--log-group-name", "/app/web", "--from", "0", "--to",
                    "1895176000000", "--destination", "exports")["taskId"]  # fmt: skip
    cli.ok("account", "clock", "advance", "1m")
    obj = home / "accounts" / "123456789012" / "s3" / "exports" / "exportedlogs" / task / "s" / "000000.gz"
    assert gzip.decompress(obj.read_bytes()).decode().endswith(" mail ***************\n")


def test_luhn_and_mask_engine() -> None:
    from awsmon.engines.dataprotection import luhn, mask

    assert luhn("4111111111111111") and not luhn("4111111111111112")
    assert mask("x 5500 0000 0000 0004 y", ["CreditCardNumber"]) == "x ******************* y"
    assert mask("no secrets here 12345", ["EmailAddress", "CreditCardNumber"]) is None


def test_data_protection_masks_imported_events(pinned: Cli, tmp_path) -> None:
    """`logs import` is an offline load, but a protected group still never shows an imported secret unmasked."""
    cli = pinned
    cli.ok("logs", "create-group", "--group", "/app/web")
    cli.ok("logs", "put-data-protection-policy", "--log-group-identifier", "/app/web", "--policy-document", POLICY)
    src = tmp_path / "old.log"
    src.write_text("2020-01-02T03:04:05Z mail to ann@example.org\n2020-01-02T03:04:06Z nothing secret\n")
    cli.ok("logs", "import", str(src), "--group", "/app/web", "--stream", "old")
    msgs = [e["message"] for e in cli.json("logs", "get-events", "--group", "/app/web", "--stream", "old",
                                           "--start-from-head")["events"]]  # fmt: skip
    assert msgs == ["mail to ***************", "nothing secret"]  # the leading time became the timestamp
    raw = cli.json("logs", "get-events", "--group", "/app/web", "--stream", "old", "--start-from-head", "--unmask")
    assert raw["events"][0]["message"].endswith("ann@example.org")


def test_describe_groups_keeps_the_group_name_whole_on_80_columns(pinned: Cli) -> None:
    # the name was cut ("CloudTrail/Def…") to make room for creationTime and counts
    import re

    pinned.ok("logs", "create-group", "--name", "CloudTrail/DefaultLogGroup")
    res = pinned.ok("logs", "describe-groups", "-o", "table", "--color", "always", env={"COLUMNS": "80"})
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in res.stdout.splitlines()]
    assert lines[2].startswith("CloudTrail/DefaultLogGroup │") and "…" not in res.stdout
    assert "hidden to fit the terminal: creationTime" in res.stderr
