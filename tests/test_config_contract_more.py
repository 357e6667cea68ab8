"""Contract tests for issue 13's config commands moto implements: aggregators and aggregation authorizations (the same
CLI test on the local account and on a real moto server). moto differs from AWS where noted."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import Cli

SOURCES = json.dumps([{"AccountIds": ["123456789012"], "AwsRegions": ["us-east-1", "eu-west-1"]}])


def test_aggregator_and_authorization_crud(backend_cli: Cli) -> None:
    cli = backend_cli
    agg = cli.json("config", "put-configuration-aggregator", "--configuration-aggregator-name", "all",
                   "--account-aggregation-sources", SOURCES)["ConfigurationAggregator"]  # fmt: skip
    assert agg["ConfigurationAggregatorName"] == "all"
    assert agg["ConfigurationAggregatorArn"].startswith("arn:aws:config:us-east-1:123456789012:config-aggregator/config-aggregator-")
    assert agg["AccountAggregationSources"][0]["AccountIds"] == ["123456789012"]
    assert agg["AccountAggregationSources"][0]["AwsRegions"] == ["us-east-1", "eu-west-1"]
    assert agg["AccountAggregationSources"][0]["AllAwsRegions"] is False
    listed = cli.json("config", "describe-configuration-aggregators")["ConfigurationAggregators"]
    assert [a["ConfigurationAggregatorName"] for a in listed] == ["all"]
    res = cli("config", "put-configuration-aggregator", "--configuration-aggregator-name", "x",
              "--account-aggregation-sources", json.dumps([{"AccountIds": ["123456789012"]}]))  # fmt: skip
    assert res.exit_code == 2
    assert "InvalidParameterValueException: Your request does not specify any regions." in res.stderr
    res = cli("config", "put-configuration-aggregator", "--configuration-aggregator-name", "x",
              "--account-aggregation-sources", json.dumps([{"AccountIds": ["123456789012"], "AwsRegions": ["us-east-1"],
                                                            "AllAwsRegions": True}]))  # fmt: skip
    assert res.exit_code == 2 and "also specifies the use of all regions" in res.stderr
    auth = cli.json("config", "put-aggregation-authorization", "--authorized-account-id", "111111111111",
                    "--authorized-aws-region", "us-west-2")["AggregationAuthorization"]  # fmt: skip
    assert auth["AuthorizedAccountId"] == "111111111111" and auth["AuthorizedAwsRegion"] == "us-west-2"
    assert auth["AggregationAuthorizationArn"] == ("arn:aws:config:us-east-1:123456789012:aggregation-authorization/"
                                                   "111111111111/us-west-2")  # fmt: skip
    got = cli.json("config", "describe-aggregation-authorizations")["AggregationAuthorizations"]
    assert [(a["AuthorizedAccountId"], a["AuthorizedAwsRegion"]) for a in got] == [("111111111111", "us-west-2")]
    cli.ok("config", "delete-aggregation-authorization", "--authorized-account-id", "111111111111",
           "--authorized-aws-region", "us-west-2")  # fmt: skip
    assert cli.json("config", "describe-aggregation-authorizations")["AggregationAuthorizations"] == []
    cli.ok("config", "delete-configuration-aggregator", "--configuration-aggregator-name", "all")
    res = cli("config", "delete-configuration-aggregator", "--configuration-aggregator-name", "all")
    assert res.exit_code == 1 and "NoSuchConfigurationAggregatorException: The configuration aggregator does not exist." in res.stderr


def test_organization_aggregator_shape(backend_cli: Cli) -> None:
    """An organization aggregator from the management account (the local default account; moto checks nothing)."""
    cli = backend_cli
    role = "arn:aws:iam::123456789012:role/ConfigAggregatorRole"
    agg = cli.json("config", "put-configuration-aggregator", "--configuration-aggregator-name", "org",
                   "--organization-aggregation-source", f"RoleArn={role},AwsRegions=us-east-1,eu-west-1")["ConfigurationAggregator"]  # fmt: skip
    assert agg["OrganizationAggregationSource"] == {"RoleArn": role, "AwsRegions": ["us-east-1", "eu-west-1"],
                                                    "AllAwsRegions": False}  # fmt: skip
    assert "AccountAggregationSources" not in agg or not agg["AccountAggregationSources"]
    listed = cli.json("config", "describe-configuration-aggregators")["ConfigurationAggregators"]
    assert [a["OrganizationAggregationSource"]["RoleArn"] for a in listed] == [role]
    res = cli("config", "put-configuration-aggregator", "--configuration-aggregator-name", "org",
              "--organization-aggregation-source", f"RoleArn={role}")  # fmt: skip
    assert res.exit_code == 2 and "Your request does not specify any regions." in res.stderr


def test_organization_conformance_pack_crud(backend_cli: Cli, tmp_path: Any) -> None:
    """moto stores organization packs (its TemplateBody path fails: it matches TemplateS3Uri against s3://.* even when
    absent, so the template comes from S3 here; DescribeOrganizationConformancePacks without names fails too) and
    reports only the calling account in the detailed status."""
    from tests.test_config_packs import TEMPLATE

    cli = backend_cli
    path = tmp_path / "pack.yaml"
    path.write_text(TEMPLATE)
    cli.ok("s3", "mb", "s3://packs")
    cli.ok("s3", "cp", str(path), "s3://packs/pack.yaml")
    base = ("--organization-conformance-pack-name", "base")
    arn = cli.json("config", "put-organization-conformance-pack", *base, "--template-s3-uri",
                   "s3://packs/pack.yaml")["OrganizationConformancePackArn"]  # fmt: skip
    assert arn.startswith("arn:aws:config:us-east-1:123456789012:organization-conformance-pack/base-")
    packs = cli.json("config", "describe-organization-conformance-packs", "--organization-conformance-pack-names",
                     "base")["OrganizationConformancePacks"]  # fmt: skip
    assert [(p["OrganizationConformancePackName"], p["OrganizationConformancePackArn"]) for p in packs] == [("base", arn)]
    st = cli.json("config", "describe-organization-conformance-pack-statuses")["OrganizationConformancePackStatuses"]
    assert [(s["OrganizationConformancePackName"], s["Status"]) for s in st] == [("base", "CREATE_SUCCESSFUL")]
    detail = cli.json("config", "get-organization-conformance-pack-detailed-status", *base)[
        "OrganizationConformancePackDetailedStatuses"]
    assert [(d["AccountId"], d["Status"]) for d in detail] == [("123456789012", "CREATE_SUCCESSFUL")]
    assert detail[0]["ConformancePackName"].startswith("OrgConformsPack-base-")
    cli.ok("config", "delete-organization-conformance-pack", *base)
    res = cli("config", "delete-organization-conformance-pack", *base)
    assert res.exit_code == 1 and ("NoSuchOrganizationConformancePackException: Could not find an "
                                   "OrganizationConformancePack for given request with resourceName base") in res.stderr  # fmt: skip
    res = cli("config", "describe-organization-conformance-packs", "--organization-conformance-pack-names", "base")
    assert res.exit_code == 1 and "One or more organization conformance packs with specified names are not present." in res.stderr
