"""Service Quotas: the local account's enforced quotas by AWS's codes; contract against moto where it has them."""

from __future__ import annotations

import pytest

from tests.conftest import Cli


def test_list_and_get_local_quotas_match_what_the_account_enforces(pinned: Cli) -> None:
    quotas = pinned.json("service-quotas", "list-service-quotas", "--service-code", "cloudtrail")["Quotas"]
    assert [(q["QuotaCode"], q["QuotaName"], q["Value"]) for q in quotas] == [("L-1568E18E", "Trails per region", 5.0)]
    # As a real ListServiceQuotas gives it: the usage metric the console graphs, and a 5-minute period.
    assert quotas[0]["UsageMetric"] == {
        "MetricNamespace": "AWS/Usage", "MetricName": "ResourceCount",
        "MetricDimensions": {"Service": "CloudTrail", "Type": "Resource", "Resource": "Trail", "Class": "None"},
        "MetricStatisticRecommendation": "Maximum"}  # fmt: skip
    assert quotas[0]["Period"] == {"PeriodValue": 5, "PeriodUnit": "MINUTE"} and quotas[0]["Adjustable"] is False
    rules = pinned.json("service-quotas", "get-service-quota", "--service-code", "events", "--quota-code", "L-244521F2")
    assert rules["QuotaArn"] == "arn:aws:servicequotas:us-east-1:123456789012:events/L-244521F2"
    assert rules["Value"] == 300.0 and rules["Adjustable"] is True
    assert "UsageMetric" not in rules and "Period" not in rules  # AWS names no usage metric for EventBridge rules
    rate = pinned.json("service-quotas", "get-service-quota", "--service-code", "monitoring", "--quota-code", "L-0720E68F")
    assert rate["Period"] == {"PeriodValue": 1, "PeriodUnit": "SECOND"}
    assert rate["UsageMetric"]["MetricName"] == "CallCount" and rate["UsageMetric"]["MetricStatisticRecommendation"] == "Sum"
    assert rate["UsageMetric"]["MetricDimensions"] == {"Service": "CloudWatch", "Type": "API",
                                                       "Resource": "PutMetricAlarm", "Class": "None"}  # fmt: skip
    filters = pinned.json("service-quotas", "get-service-quota", "--service-code", "logs", "--quota-code", "L-3D5753EA")
    assert filters["QuotaName"] == "Metrics filters per log group" and filters["Value"] == 100.0
    defaults = pinned.json("service-quotas", "list-aws-default-service-quotas", "--service-code", "logs")["Quotas"]
    assert {"L-C7B9AAAB", "L-D2832119", "L-3D5753EA"} <= {q["QuotaCode"] for q in defaults}
    config = pinned.json("service-quotas", "get-service-quota", "--service-code", "config", "--quota-code", "L-0BE82991")
    assert config["QuotaName"] == "AWS Config Rules per region" and config["Value"] == 400.0


def test_local_quota_values_are_the_enforced_limits() -> None:
    """The table must follow the constants the local services enforce (a change there must change it here)."""
    from awsmon.backends.local import cloudtrail, config, events, iam, logs
    from awsmon.engines.service_quotas import QUOTAS

    by_code = {q.code: q.value for q in QUOTAS}
    assert by_code["L-1568E18E"] == cloudtrail.MAX_TRAILS_PER_REGION
    assert by_code["L-244521F2"] == events.MAX_RULES_PER_BUS and by_code["L-658A4FD9"] == events.MAX_BUSES
    assert by_code["L-388D1D08"] == events.MAX_TARGETS_PER_RULE
    assert by_code["L-3D5753EA"] == logs.MAX_METRIC_FILTERS_PER_GROUP
    assert by_code["L-0BE82991"] == config.MAX_RULES and by_code["awsmon-access-keys-per-user"] == iam.MAX_KEYS_PER_USER


@pytest.mark.parametrize("args,code", [
    (["get-service-quota", "--service-code", "nope", "--quota-code", "L-1"], "NoSuchResourceException"),
    (["get-service-quota", "--service-code", "events", "--quota-code", "L-00000000"], "NoSuchResourceException"),
    (["list-service-quotas", "--service-code", "nope"], "NoSuchResourceException"),
])  # fmt: skip
def test_unknown_codes(pinned: Cli, args: list[str], code: str) -> None:
    r = pinned("service-quotas", *args)
    assert r.exit_code == 1 and r.stderr.startswith(f"awsmon: error: {code}: ") and r.stderr.count("\n") == 1


def test_empty_code_is_bad_input(pinned: Cli) -> None:
    r = pinned("service-quotas", "list-service-quotas", "--service-code", " ")
    assert r.exit_code == 2


def test_contract_unknown_service_and_default_shape(backend_cli: Cli) -> None:
    """moto implements only ListAWSDefaultServiceQuotas and GetServiceQuota, for the vpc service alone (no
    ListServiceQuotas, no pagination); its NoSuchResourceException text differs from the local one."""
    cli = backend_cli
    r = cli("service-quotas", "get-service-quota", "--service-code", "nope", "--quota-code", "L-1")
    assert r.exit_code == 1 and "NoSuchResourceException" in r.stderr
    code = "vpc" if cli.env.get("AWSMON_BACKEND") == "aws" else "events"
    quotas = cli.json("service-quotas", "list-aws-default-service-quotas", "--service-code", code)["Quotas"]
    assert quotas and all({"ServiceCode", "QuotaCode", "QuotaName", "Value", "Adjustable"} <= set(q) for q in quotas)
    first = quotas[0]
    got = cli.json("service-quotas", "get-service-quota", "--service-code", code, "--quota-code", first["QuotaCode"])
    assert got["QuotaCode"] == first["QuotaCode"] and got["Value"] == first["Value"]
