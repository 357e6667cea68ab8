"""AWS Config conformance packs on the local account: AWS's template format, shipped sample packs, compliance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from awsmon.engines.conformance import TemplateError, load, rules
from tests.conftest import Cli

TEMPLATE = """
Parameters:
  MinRetention:
    Default: '30'
    Type: String
Resources:
  Retention:
    Type: AWS::Config::ConfigRule
    Properties:
      ConfigRuleName: log-retention
      InputParameters:
        MinRetentionTime:
          Ref: MinRetention
      Source:
        Owner: AWS
        SourceIdentifier: CW_LOGGROUP_RETENTION_PERIOD_CHECK
  Versioning:
    Type: AWS::Config::ConfigRule
    Properties:
      ConfigRuleName: s3-bucket-versioning-enabled
      Scope:
        ComplianceResourceTypes: [AWS::S3::Bucket]
      Source:
        Owner: AWS
        SourceIdentifier: S3_BUCKET_VERSIONING_ENABLED
"""


def test_template_engine() -> None:
    out = rules(load(TEMPLATE), {"MinRetention": "90"})
    assert out[0] == {"ConfigRuleName": "log-retention", "Source": {"Owner": "AWS", "SourceIdentifier":
                      "CW_LOGGROUP_RETENTION_PERIOD_CHECK"}, "InputParameters": '{"MinRetentionTime": "90"}'}  # fmt: skip
    assert rules(load(TEMPLATE))[0]["InputParameters"] == '{"MinRetentionTime": "30"}'
    with pytest.raises(TemplateError, match="Input parameter Other is not declared"):
        rules(load(TEMPLATE), {"Other": "1"})
    with pytest.raises(TemplateError, match="not valid YAML or JSON at line 1"):
        load("Resources: [unclosed")
    with pytest.raises(TemplateError, match="of type AWS::S3::Bucket is not supported"):
        rules(load("Resources:\n  B:\n    Type: AWS::S3::Bucket\n"))
    with pytest.raises(TemplateError, match="Unresolved reference 'Nope'"):
        rules(load(TEMPLATE.replace("Ref: MinRetention", "Ref: Nope")))
    with pytest.raises(TemplateError, match="Fn::Sub"):
        rules(load(TEMPLATE.replace("Ref: MinRetention", "Fn::Sub: x")))


def _recording(cli: Cli) -> None:
    cli.ok("config", "put-configuration-recorder", "--all-supported")
    cli.ok("s3", "mb", "s3://config-bucket")
    cli.ok("config", "put-delivery-channel", "--s3-bucket-name", "config-bucket")
    cli.ok("config", "start-recording")


def test_pack_from_file_and_s3_compliance_and_delete(pinned: Cli, tmp_path: Path) -> None:
    _recording(pinned)
    pinned.ok("logs", "create-group", "--name", "/app")
    pinned.ok("logs", "put-retention", "--group", "/app", "--days", "7")
    path = tmp_path / "pack.yaml"
    path.write_text(TEMPLATE)
    arn = pinned.json("config", "put-conformance-pack", "--conformance-pack-name", "basics", "--template-body",
                      f"file://{path}")["ConformancePackArn"]  # fmt: skip
    assert arn.startswith("arn:aws:config:us-east-1:123456789012:conformance-pack/basics/conformance-pack-")
    packs = pinned.json("config", "describe-conformance-packs")["ConformancePackDetails"]
    assert [p["ConformancePackName"] for p in packs] == ["basics"]
    comp = pinned.json("config", "describe-conformance-pack-compliance", "--conformance-pack-name", "basics")
    by_rule = {r["ConfigRuleName"].split("-conformance-pack-")[0]: r["ComplianceType"]
               for r in comp["ConformancePackRuleComplianceList"]}  # fmt: skip
    assert by_rule == {"log-retention": "NON_COMPLIANT", "s3-bucket-versioning-enabled": "NON_COMPLIANT"}
    rules_ = pinned.json("config", "describe-rules")["ConfigRules"]
    assert all(r["CreatedBy"] == "config-conforms.amazonaws.com" for r in rules_) and len(rules_) == 2
    summary = pinned.json("config", "get-conformance-pack-compliance-summary")["ConformancePackComplianceSummaryList"]
    assert summary == [{"ConformancePackName": "basics", "ConformancePackComplianceStatus": "NON_COMPLIANT"}]
    pinned.ok("logs", "put-retention", "--group", "/app", "--days", "30")
    pinned.ok("s3", "put-bucket-versioning", "--bucket", "config-bucket", "--versioning-configuration", "Status=Enabled")
    pinned.ok("config", "start-evaluation")
    summary = pinned.json("config", "get-conformance-pack-compliance-summary")["ConformancePackComplianceSummaryList"]
    assert summary[0]["ConformancePackComplianceStatus"] == "COMPLIANT"
    # The same template from the local bucket, with a parameter.
    pinned.ok("s3", "cp", str(path), "s3://config-bucket/packs/basics.yaml")
    pinned.ok("config", "put-conformance-pack", "--conformance-pack-name", "strict", "--template-s3-uri",
              "s3://config-bucket/packs/basics.yaml", "--conformance-pack-input-parameters", "MinRetention=365")  # fmt: skip
    comp = pinned.json("config", "describe-conformance-pack-compliance", "--conformance-pack-name", "strict",
                       "--compliance-type", "NON_COMPLIANT")["ConformancePackRuleComplianceList"]  # fmt: skip
    assert [r["ConfigRuleName"].split("-conformance-pack-")[0] for r in comp] == ["log-retention"]
    pinned.ok("config", "delete-conformance-pack", "--conformance-pack-name", "basics")
    assert len(pinned.json("config", "describe-rules")["ConfigRules"]) == 2  # only strict's rules remain
    res = pinned("config", "describe-conformance-pack-compliance", "--conformance-pack-name", "basics")
    assert res.exit_code == 1 and "NoSuchConformancePackException" in res.stderr


def test_shipped_sample_packs_deploy(pinned: Cli) -> None:
    _recording(pinned)
    for sample in ("operational-best-practices-for-cis-aws-foundations", "operational-best-practices-for-amazon-s3-and-ec2"):
        pinned.ok("config", "put-conformance-pack", "--conformance-pack-name", sample[:40].rstrip("-"), "--sample", sample)
    packs = pinned.json("config", "get-conformance-pack-compliance-summary")["ConformancePackComplianceSummaryList"]
    assert len(packs) == 2
    assert len(pinned.json("config", "describe-rules")["ConfigRules"]) == 9 + 8


def test_pack_bad_input(pinned: Cli, tmp_path: Path) -> None:
    _recording(pinned)
    bad = tmp_path / "bad.yaml"
    cases = [
        ("Resources: [unclosed", "ConformancePackTemplateValidationException: Template is not valid YAML or JSON"),
        (TEMPLATE.replace("CW_LOGGROUP_RETENTION_PERIOD_CHECK", "NO_SUCH_RULE"), "The sourceIdentifier NO_SUCH_RULE is invalid"),
        (TEMPLATE.replace("'30'", "'soon'"), "InvalidParameterValueException"),
        ("Resources:\n  B:\n    Type: AWS::S3::Bucket\n", "is not supported"),
    ]  # fmt: skip
    for text, message in cases:
        bad.write_text(text)
        res = pinned("config", "put-conformance-pack", "--conformance-pack-name", "bad", "--template-body", f"file://{bad}")
        assert res.exit_code == 2 and message in res.stderr, res.stderr
    res = pinned("config", "put-conformance-pack", "--conformance-pack-name", "1bad", "--template-body", TEMPLATE)
    assert res.exit_code == 2 and "ValidationException" in res.stderr
    assert pinned.json("config", "describe-conformance-packs")["ConformancePackDetails"] == []
    assert pinned.json("config", "describe-rules")["ConfigRules"] == []
    assert json.loads(pinned("config", "describe-rules").stdout)["ConfigRules"] == []
