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
    # Sources that have not authorized the aggregator are bad input (the rule): exit 2, nothing stored.
    res = pinned("config", "put-configuration-aggregator", "--configuration-aggregator-name", "all",
                 "--account-aggregation-sources", SOURCES)  # fmt: skip
    assert res.exit_code == 2 and res.stderr.count("\n") == 1
    assert (f"InvalidParameterValueException: Account {OTHER} has not authorized account {ME} to aggregate its AWS "
            "Config data from us-east-1.") in res.stderr  # fmt: skip
    assert pinned.json("config", "describe-configuration-aggregators")["ConfigurationAggregators"] == []
    for region in ("us-east-1", "eu-west-1"):
        auth = pinned.json("--account", OTHER, "--region", region, "config", "put-aggregation-authorization",
                           "--authorized-account-id", ME, "--authorized-aws-region", "us-east-1")["AggregationAuthorization"]  # fmt: skip
        assert auth["AggregationAuthorizationArn"] == f"arn:aws:config:{region}:{OTHER}:aggregation-authorization/{ME}/us-east-1"
        res = pinned("config", "put-configuration-aggregator", "--configuration-aggregator-name", "all",
                     "--account-aggregation-sources", SOURCES)  # fmt: skip
        assert res.exit_code == (2 if region == "us-east-1" else 0)  # eu-west-1 still missing after the first
    out = pinned.json("config", "describe-configuration-aggregators")["ConfigurationAggregators"][0]
    assert out["ConfigurationAggregatorArn"].startswith(f"arn:aws:config:us-east-1:{ME}:config-aggregator/")
    rows = pinned.json("config", "describe-aggregate-compliance-by-config-rules", "--configuration-aggregator-name",
                       "all")["AggregateComplianceByConfigRules"]  # fmt: skip
    got = {(r["AccountId"], r["AwsRegion"]): r["Compliance"]["ComplianceType"] for r in rows}
    assert got == {(ME, "us-east-1"): "COMPLIANT", (ME, "eu-west-1"): "NON_COMPLIANT", (OTHER, "us-east-1"): "NON_COMPLIANT"}
    # An authorization deleted afterwards: that source is not collected and shows FAILED.
    pinned.ok("--account", OTHER, "--region", "eu-west-1", "config", "delete-aggregation-authorization",
              "--authorized-account-id", ME, "--authorized-aws-region", "us-east-1")  # fmt: skip
    status = pinned.json("config", "describe-configuration-aggregator-sources-status", "--configuration-aggregator-name",
                         "all")["AggregatedSourceStatusList"]  # fmt: skip
    failed = {(s["SourceId"], s["AwsRegion"]) for s in status if s["LastUpdateStatus"] == "FAILED"}
    assert failed == {(OTHER, "eu-west-1")}
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


ROLE = f"arn:aws:iam::{ME}:role/ConfigAggregatorRole"


def test_organization_aggregator_needs_no_authorization(pinned: Cli) -> None:
    """All local accounts of the home form one organization managed by the default account (docs/config.md)."""
    pinned.ok("account", "init", "--account-id", OTHER)
    _account(pinned, retention=90)
    _account(pinned, "--account", OTHER, retention=7)
    _account(pinned, "--account", OTHER, "--region", "eu-west-1", retention=7)
    res = pinned("--account", OTHER, "config", "put-configuration-aggregator", "--configuration-aggregator-name", "org",
                 "--organization-aggregation-source", f"RoleArn={ROLE},AllAwsRegions=true")  # fmt: skip
    assert res.exit_code == 1 and ("OrganizationAccessDeniedException: This action can be only made by AWS "
                                   "Organization's master account.") in res.stderr  # fmt: skip
    assert pinned.json("--account", OTHER, "config", "describe-configuration-aggregators")["ConfigurationAggregators"] == []
    out = pinned.json("config", "put-configuration-aggregator", "--configuration-aggregator-name", "org",
                      "--organization-aggregation-source", f"RoleArn={ROLE},AllAwsRegions=true")["ConfigurationAggregator"]  # fmt: skip
    assert out["OrganizationAggregationSource"] == {"RoleArn": ROLE, "AllAwsRegions": True}
    assert "AccountAggregationSources" not in out
    rows = pinned.json("config", "describe-aggregate-compliance-by-config-rules", "--configuration-aggregator-name",
                       "org")["AggregateComplianceByConfigRules"]  # fmt: skip
    got = {(r["AccountId"], r["AwsRegion"]): r["Compliance"]["ComplianceType"] for r in rows}
    assert got == {(ME, "us-east-1"): "COMPLIANT", (OTHER, "us-east-1"): "NON_COMPLIANT",
                   (OTHER, "eu-west-1"): "NON_COMPLIANT"}  # fmt: skip
    status = pinned.json("config", "describe-configuration-aggregator-sources-status", "--configuration-aggregator-name",
                         "org")["AggregatedSourceStatusList"]  # fmt: skip
    assert {(s["SourceId"], s["AwsRegion"], s["SourceType"], s["LastUpdateStatus"]) for s in status} == {
        (ME, "us-east-1", "ORGANIZATION", "SUCCEEDED"), (OTHER, "us-east-1", "ORGANIZATION", "SUCCEEDED"),
        (OTHER, "eu-west-1", "ORGANIZATION", "SUCCEEDED")}  # fmt: skip
    assert pinned("config", "check", "--aggregator", "org", "--fail-on", "NON_COMPLIANT").exit_code == 3
    # AwsRegions limits the Regions; an account joining the home later joins the organization's view.
    pinned.ok("config", "put-configuration-aggregator", "--configuration-aggregator-name", "org",
              "--organization-aggregation-source", json.dumps({"RoleArn": ROLE, "AwsRegions": ["us-east-1"]}))  # fmt: skip
    third = "333333333333"
    pinned.ok("account", "init", "--account-id", third)
    _account(pinned, "--account", third, retention=7)
    res = pinned.json("config", "get-aggregate-discovered-resource-counts", "--configuration-aggregator-name", "org",
                      "--group-by-key", "ACCOUNT_ID", "--filters", "ResourceType=AWS::Logs::LogGroup")  # fmt: skip
    assert {g["GroupName"]: g["ResourceCount"] for g in res["GroupedResourceCounts"]} == {ME: 1, OTHER: 1, third: 1}


def test_organization_aggregator_bad_input(pinned: Cli) -> None:
    for source, text in [(json.dumps({"AllAwsRegions": True}), "ValidationException"),
                         (f"RoleArn={ROLE}", "Your request does not specify any regions."),
                         ("RoleArn=not-an-arn,AllAwsRegions=true", "ValidationException"),
                         (json.dumps({"RoleArn": ROLE, "AllAwsRegions": True, "AwsRegions": ["us-east-1"]}),
                          "contains a list of regions and also specifies the use of all regions")]:  # fmt: skip
        res = pinned("config", "put-configuration-aggregator", "--configuration-aggregator-name", "org",
                     "--organization-aggregation-source", source)  # fmt: skip
        assert res.exit_code == 2 and text in res.stderr, (source, res.stderr)
    res = pinned("config", "put-configuration-aggregator", "--configuration-aggregator-name", "org",
                 "--organization-aggregation-source", f"RoleArn={ROLE},AllAwsRegions=true",
                 "--account-aggregation-sources", json.dumps([{"AccountIds": [ME], "AllAwsRegions": True}]))  # fmt: skip
    assert res.exit_code == 2 and "contains both the AccountAggregationSource and the OrganizationAggregationSource" in res.stderr
    res = pinned("config", "put-configuration-aggregator", "--configuration-aggregator-name", "org")
    assert res.exit_code == 2
    assert pinned.json("config", "describe-configuration-aggregators")["ConfigurationAggregators"] == []
