"""AWS Config aggregators over several local accounts and Regions of one home, with authorizations."""

from __future__ import annotations

import json

from tests.conftest import Cli

ME = "123456789012"
OTHER = "222222222222"
SOURCES = json.dumps([{"AccountIds": [ME, OTHER], "AwsRegions": ["us-east-1", "eu-west-1"]}])


def _account(cli: Cli, *pre: str, retention: int) -> None:
    cli.ok(*pre, "config", "put-configuration-recorder", "--all-supported")
    cli.ok(*pre, "config", "put-delivery-channel", "--s3-bucket-name", f"config-{len(pre)}-{retention}")
    cli.ok(*pre, "config", "start-recording")
    cli.ok(*pre, "logs", "create-group", "--name", "/app")
    cli.ok(*pre, "logs", "put-retention", "--group", "/app", "--days", str(retention))
    cli.ok(*pre, "config", "put-rule", "--config-rule-name", "retention", "--source-identifier",
           "CW_LOGGROUP_RETENTION_PERIOD_CHECK", "--parameter", "MinRetentionTime=30")  # fmt: skip


def test_aggregator_across_accounts_and_regions(pinned: Cli) -> None:
    pinned.ok("account", "init", "--account-id", OTHER)
    _account(pinned, retention=90)
    _account(pinned, "--region", "eu-west-1", retention=7)
    _account(pinned, "--account", OTHER, retention=7)
    out = pinned.json("config", "put-configuration-aggregator", "--configuration-aggregator-name", "all",
                      "--account-aggregation-sources", SOURCES)["ConfigurationAggregator"]  # fmt: skip
    assert out["ConfigurationAggregatorArn"].startswith(f"arn:aws:config:us-east-1:{ME}:config-aggregator/")
    # Before OTHER authorizes: only this account's two Regions.
    rows = pinned.json("config", "describe-aggregate-compliance-by-config-rules", "--configuration-aggregator-name",
                       "all")["AggregateComplianceByConfigRules"]  # fmt: skip
    got = {(r["AccountId"], r["AwsRegion"]): r["Compliance"]["ComplianceType"] for r in rows}
    assert got == {(ME, "us-east-1"): "COMPLIANT", (ME, "eu-west-1"): "NON_COMPLIANT"}
    status = pinned.json("config", "describe-configuration-aggregator-sources-status", "--configuration-aggregator-name",
                         "all")["AggregatedSourceStatusList"]  # fmt: skip
    failed = {(s["SourceId"], s["AwsRegion"]) for s in status if s["LastUpdateStatus"] == "FAILED"}
    assert failed == {(OTHER, "us-east-1"), (OTHER, "eu-west-1")}
    auth = pinned.json("--account", OTHER, "config", "put-aggregation-authorization", "--authorized-account-id", ME,
                       "--authorized-aws-region", "us-east-1")["AggregationAuthorization"]  # fmt: skip
    assert auth["AggregationAuthorizationArn"] == f"arn:aws:config:us-east-1:{OTHER}:aggregation-authorization/{ME}/us-east-1"
    rows = pinned.json("config", "describe-aggregate-compliance-by-config-rules", "--configuration-aggregator-name",
                       "all")["AggregateComplianceByConfigRules"]  # fmt: skip
    got = {(r["AccountId"], r["AwsRegion"]): r["Compliance"]["ComplianceType"] for r in rows}
    assert got[(OTHER, "us-east-1")] == "NON_COMPLIANT" and len(got) == 3
    summary = pinned.json("config", "get-aggregate-config-rule-compliance-summary", "--configuration-aggregator-name",
                          "all", "--group-by-key", "ACCOUNT_ID")  # fmt: skip
    counts = {g["GroupName"]: (g["ComplianceSummary"]["CompliantResourceCount"]["CappedCount"],
                               g["ComplianceSummary"]["NonCompliantResourceCount"]["CappedCount"])
              for g in summary["AggregateComplianceCounts"]}  # fmt: skip
    assert counts == {ME: (1, 1), OTHER: (0, 1)}
    res = pinned.json("config", "get-aggregate-discovered-resource-counts", "--configuration-aggregator-name", "all",
                      "--group-by-key", "ACCOUNT_ID", "--filters", "ResourceType=AWS::Logs::LogGroup")  # fmt: skip
    assert res["TotalDiscoveredResources"] == 3
    assert {g["GroupName"]: g["ResourceCount"] for g in res["GroupedResourceCounts"]} == {ME: 2, OTHER: 1}
    sel = pinned.json("config", "select-aggregate-resource-config", "SELECT accountId, awsRegion, COUNT(*) WHERE "
                      "resourceType = 'AWS::Logs::LogGroup' GROUP BY accountId, awsRegion ORDER BY accountId, awsRegion",
                      "--configuration-aggregator-name", "all")["Results"]  # fmt: skip
    assert sel == [{"accountId": ME, "awsRegion": "eu-west-1", "COUNT(*)": 1},
                   {"accountId": ME, "awsRegion": "us-east-1", "COUNT(*)": 1},
                   {"accountId": OTHER, "awsRegion": "us-east-1", "COUNT(*)": 1}]  # fmt: skip
    check = pinned("config", "check", "--aggregator", "all", "--fail-on", "NON_COMPLIANT")
    assert check.exit_code == 3
    assert f"NON_COMPLIANT     {OTHER} us-east-1 retention: 1 non-compliant resource(s)" in check.stdout
    assert f"source {OTHER}/eu-west-1 of aggregator all is not authorized" in check.stderr
    # Fixing both non-compliant groups makes the CI gate pass.
    pinned.ok("--region", "eu-west-1", "logs", "put-retention", "--group", "/app", "--days", "30")
    pinned.ok("--region", "eu-west-1", "config", "start-evaluation")
    pinned.ok("--account", OTHER, "logs", "put-retention", "--group", "/app", "--days", "30")
    pinned.ok("--account", OTHER, "config", "start-evaluation")
    assert pinned("config", "check", "--aggregator", "all").exit_code == 0


def test_aggregator_bad_input(pinned: Cli) -> None:
    cases = [
        (json.dumps([{"AccountIds": ["12345"], "AwsRegions": ["us-east-1"]}]), "ValidationException"),
        (json.dumps([{"AccountIds": [ME]}]), "Your request does not specify any regions."),
        (json.dumps([{"AccountIds": [ME], "AwsRegions": ["us-east-1"], "AllAwsRegions": True}]),
         "contains a list of regions and also specifies the use of all regions"),
        (json.dumps([{"AccountIds": [ME], "AwsRegions": ["mars-1"]}]), "The region mars-1 is not a valid"),
        ("[not json", "JSON"),
    ]  # fmt: skip
    for text, message in cases:
        res = pinned("config", "put-configuration-aggregator", "--configuration-aggregator-name", "x",
                     "--account-aggregation-sources", text)  # fmt: skip
        assert res.exit_code == 2 and message in res.stderr, res.stderr
    assert pinned.json("config", "describe-configuration-aggregators")["ConfigurationAggregators"] == []
    res = pinned("config", "put-aggregation-authorization", "--authorized-account-id", "abc", "--authorized-aws-region", "us-east-1")
    assert res.exit_code == 2 and "ValidationException" in res.stderr
    res = pinned("config", "describe-aggregate-compliance-by-config-rules", "--configuration-aggregator-name", "nope")
    assert res.exit_code == 1 and "NoSuchConfigurationAggregatorException" in res.stderr
