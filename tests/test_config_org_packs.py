"""Organization conformance packs over the home's organization (every local account, managed by the default one)."""

from __future__ import annotations

import json

from tests.conftest import Cli
from tests.test_config_packs import TEMPLATE

ME = "123456789012"
OTHER = "222222222222"
THIRD = "333333333333"
PACK = ("config", "put-organization-conformance-pack", "--organization-conformance-pack-name", "base")


def _group(cli: Cli, account: str, days: int) -> None:
    cli.ok("--account", account, "logs", "create-group", "--name", "/app")
    cli.ok("--account", account, "logs", "put-retention", "--group", "/app", "--days", str(days))


def test_deployed_into_every_member_but_the_excluded(pinned: Cli) -> None:
    for acct in (OTHER, THIRD):
        pinned.ok("account", "init", "--account-id", acct)
    for acct, days in ((ME, 90), (OTHER, 7), (THIRD, 7)):
        _group(pinned, acct, days)
    res = pinned("--account", OTHER, *PACK, "--template-body", TEMPLATE)
    assert res.exit_code == 1 and "OrganizationAccessDeniedException: This action can be only made by AWS " \
                                  "Organization's master account." in res.stderr
    arn = pinned.json(*PACK, "--template-body", TEMPLATE, "--excluded-accounts", THIRD)["OrganizationConformancePackArn"]
    assert arn.startswith(f"arn:aws:config:us-east-1:{ME}:organization-conformance-pack/base-")
    detail = pinned.json("config", "get-organization-conformance-pack-detailed-status",
                         "--organization-conformance-pack-name", "base")["OrganizationConformancePackDetailedStatuses"]  # fmt: skip
    assert {d["AccountId"]: d["Status"] for d in detail} == {ME: "CREATE_SUCCESSFUL", OTHER: "CREATE_SUCCESSFUL"}
    member = detail[0]["ConformancePackName"]
    assert member.startswith("OrgConformsPack-base-") and {d["ConformancePackName"] for d in detail} == {member}
    # The member account holds the pack (created by AWS's multi-account setup) and its evaluated rules.
    packs = pinned.json("--account", OTHER, "config", "describe-conformance-packs")["ConformancePackDetails"]
    assert [(p["ConformancePackName"], p["CreatedBy"]) for p in packs] == [(member, "config-multiaccountsetup.amazonaws.com")]
    comp = pinned.json("--account", OTHER, "config", "describe-conformance-pack-compliance", "--conformance-pack-name",
                       member)["ConformancePackRuleComplianceList"]  # fmt: skip
    assert {c["ConfigRuleName"].split("-conformance-pack-")[0]: c["ComplianceType"] for c in comp}["log-retention"] == "NON_COMPLIANT"
    assert pinned.json("--account", THIRD, "config", "describe-conformance-packs")["ConformancePackDetails"] == []
    statuses = pinned.json("config", "describe-organization-conformance-pack-statuses")["OrganizationConformancePackStatuses"]
    assert [(s["OrganizationConformancePackName"], s["Status"]) for s in statuses] == [("base", "CREATE_SUCCESSFUL")]
    listed = pinned.json("config", "describe-organization-conformance-packs")["OrganizationConformancePacks"]
    assert listed[0]["ExcludedAccounts"] == [THIRD] and listed[0]["OrganizationConformancePackArn"] == arn
    # Update: THIRD joins, OTHER is excluded (its pack is removed), input parameters change.
    pinned.ok(*PACK, "--template-body", TEMPLATE, "--excluded-accounts", OTHER,
              "--conformance-pack-input-parameters", "MinRetention=5")  # fmt: skip
    detail = pinned.json("config", "get-organization-conformance-pack-detailed-status",
                         "--organization-conformance-pack-name", "base")["OrganizationConformancePackDetailedStatuses"]  # fmt: skip
    assert {d["AccountId"]: d["Status"] for d in detail} == {ME: "UPDATE_SUCCESSFUL", OTHER: "DELETE_SUCCESSFUL",
                                                             THIRD: "CREATE_SUCCESSFUL"}  # fmt: skip
    assert pinned.json("--account", OTHER, "config", "describe-conformance-packs")["ConformancePackDetails"] == []
    rules = pinned.json("--account", THIRD, "config", "describe-rules")["ConfigRules"]
    assert {json.loads(r["InputParameters"]).get("MinRetentionTime") for r in rules if "log-retention" in r["ConfigRuleName"]} == {"5"}
    only = pinned.json("config", "get-organization-conformance-pack-detailed-status", "--organization-conformance-pack-name",
                       "base", "--status", "CREATE_SUCCESSFUL")["OrganizationConformancePackDetailedStatuses"]  # fmt: skip
    assert [d["AccountId"] for d in only] == [THIRD]
    pinned.ok("config", "delete-organization-conformance-pack", "--organization-conformance-pack-name", "base")
    for acct in (ME, OTHER, THIRD):
        assert pinned.json("--account", acct, "config", "describe-conformance-packs")["ConformancePackDetails"] == []
        assert pinned.json("--account", acct, "config", "describe-rules")["ConfigRules"] == []
    res = pinned("config", "delete-organization-conformance-pack", "--organization-conformance-pack-name", "base")
    assert res.exit_code == 1 and "NoSuchOrganizationConformancePackException: Could not find an " \
                                  "OrganizationConformancePack for given request with resourceName base" in res.stderr


def test_a_member_failure_is_reported_not_raised(pinned: Cli) -> None:
    pinned.ok("account", "init", "--account-id", OTHER)
    # OTHER already has a rule of the name the pack's rule would get? Names carry the pack's suffix, so make the
    # member fail another way: 50 packs is the per-account limit.
    for i in range(50):
        pinned.ok("--account", OTHER, "config", "put-conformance-pack", "--conformance-pack-name", f"p{i}",
                  "--template-body", TEMPLATE)  # fmt: skip
    pinned.ok(*PACK, "--template-body", TEMPLATE)
    st = pinned.json("config", "describe-organization-conformance-pack-statuses")["OrganizationConformancePackStatuses"][0]
    assert st["Status"] == "CREATE_FAILED" and st["ErrorCode"] == "MaxNumberOfConformancePacksExceededException"
    detail = pinned.json("config", "get-organization-conformance-pack-detailed-status",
                         "--organization-conformance-pack-name", "base")["OrganizationConformancePackDetailedStatuses"]  # fmt: skip
    assert {d["AccountId"]: d["Status"] for d in detail} == {ME: "CREATE_SUCCESSFUL", OTHER: "CREATE_FAILED"}


def test_bad_input_stores_nothing(pinned: Cli) -> None:
    pinned.ok("account", "init", "--account-id", OTHER)
    for args, text in [(("--template-body", "Resources: [unclosed"), "ConformancePackTemplateValidationException"),
                       (("--template-body", TEMPLATE, "--conformance-pack-input-parameters", "Nope=1"),
                        "Input parameter Nope is not declared"),
                       (("--template-body", TEMPLATE, "--excluded-accounts", "12"), "ValidationException")]:  # fmt: skip
        res = pinned(*PACK, *args)
        assert res.exit_code == 2 and text in res.stderr, res.stderr
    res = pinned("config", "put-organization-conformance-pack", "--organization-conformance-pack-name", "1bad",
                 "--template-body", TEMPLATE)  # fmt: skip
    assert res.exit_code == 2
    assert pinned.json("config", "describe-organization-conformance-packs")["OrganizationConformancePacks"] == []
    assert pinned.json("--account", OTHER, "config", "describe-conformance-packs")["ConformancePackDetails"] == []
    res = pinned("config", "describe-organization-conformance-packs", "--organization-conformance-pack-names", "nope")
    assert res.exit_code == 1 and "NoSuchOrganizationConformancePackException: One or more organization conformance " \
                                  "packs with specified names are not present." in res.stderr


# -- organization config rules ----------------------------------------------------------------------------------

RULE = ("config", "put-organization-config-rule", "--organization-config-rule-name", "retention")


def test_organization_config_rule_in_every_member(pinned: Cli) -> None:
    pinned.ok("account", "init", "--account-id", OTHER)
    pinned.ok("account", "init", "--account-id", THIRD)
    for acct, days in ((ME, 90), (OTHER, 7), (THIRD, 7)):
        _group(pinned, acct, days)
    managed = json.dumps({"RuleIdentifier": "CW_LOGGROUP_RETENTION_PERIOD_CHECK", "InputParameters": '{"MinRetentionTime": "30"}',
                          "ResourceTypesScope": ["AWS::Logs::LogGroup"]})  # fmt: skip
    res = pinned("--account", OTHER, *RULE, "--organization-managed-rule-metadata", managed)
    assert res.exit_code == 1 and "OrganizationAccessDeniedException" in res.stderr
    arn = pinned.json(*RULE, "--organization-managed-rule-metadata", managed, "--excluded-accounts", THIRD)["OrganizationConfigRuleArn"]
    assert arn.startswith(f"arn:aws:config:us-east-1:{ME}:organization-config-rule/retention-")
    detail = pinned.json("config", "get-organization-config-rule-detailed-status", "--organization-config-rule-name",
                         "retention")["OrganizationConfigRuleDetailedStatus"]  # fmt: skip
    assert {d["AccountId"]: d["MemberAccountRuleStatus"] for d in detail} == {ME: "CREATE_SUCCESSFUL", OTHER: "CREATE_SUCCESSFUL"}
    member = detail[0]["ConfigRuleName"]
    assert member.startswith("OrgConfigRule-retention-")
    rules = pinned.json("--account", OTHER, "config", "describe-rules")["ConfigRules"]
    assert [(r["ConfigRuleName"], r["CreatedBy"]) for r in rules] == [(member, "config-multiaccountsetup.amazonaws.com")]
    comp = pinned.json("--account", OTHER, "config", "describe-compliance")["ComplianceByConfigRules"]
    assert [(c["ConfigRuleName"], c["Compliance"]["ComplianceType"]) for c in comp] == [(member, "NON_COMPLIANT")]
    comp = pinned.json("config", "describe-compliance")["ComplianceByConfigRules"]
    assert [c["Compliance"]["ComplianceType"] for c in comp] == ["COMPLIANT"]
    assert pinned.json("--account", THIRD, "config", "describe-rules")["ConfigRules"] == []
    listed = pinned.json("config", "describe-organization-config-rules")["OrganizationConfigRules"]
    assert listed[0]["OrganizationManagedRuleMetadata"]["RuleIdentifier"] == "CW_LOGGROUP_RETENTION_PERIOD_CHECK"
    st = pinned.json("config", "describe-organization-config-rule-statuses")["OrganizationConfigRuleStatuses"]
    assert [(s["OrganizationConfigRuleName"], s["OrganizationRuleStatus"]) for s in st] == [("retention", "CREATE_SUCCESSFUL")]
    # A Guard rule through OrganizationCustomPolicyRuleMetadata (change-triggered: THIRD records its resources).
    pinned.ok("--account", THIRD, "config", "put-configuration-recorder", "--all-supported")
    pinned.ok("--account", THIRD, "config", "put-delivery-channel", "--s3-bucket-name", "config-bucket")
    pinned.ok("--account", THIRD, "config", "start-recording")
    policy = json.dumps({"PolicyRuntime": "guard-2.x.x", "ResourceTypesScope": ["AWS::Logs::LogGroup"],
                         "PolicyText": "rule r { configuration.retentionInDays >= 30 }",
                         "OrganizationConfigRuleTriggerTypes": ["ConfigurationItemChangeNotification"]})  # fmt: skip
    pinned.ok("config", "put-organization-config-rule", "--organization-config-rule-name", "guarded",
              "--organization-custom-policy-rule-metadata", policy)  # fmt: skip
    comp = pinned.json("--account", THIRD, "config", "describe-compliance")["ComplianceByConfigRules"]
    assert [c["Compliance"]["ComplianceType"] for c in comp] == ["NON_COMPLIANT"]
    listed = pinned.json("config", "describe-organization-config-rules", "--organization-config-rule-names", "guarded")
    assert "PolicyText" not in listed["OrganizationConfigRules"][0]["OrganizationCustomPolicyRuleMetadata"]
    pinned.ok("config", "delete-organization-config-rule", "--organization-config-rule-name", "retention")
    pinned.ok("config", "delete-organization-config-rule", "--organization-config-rule-name", "guarded")
    for acct in (ME, OTHER, THIRD):
        assert pinned.json("--account", acct, "config", "describe-rules")["ConfigRules"] == []
    res = pinned("config", "delete-organization-config-rule", "--organization-config-rule-name", "retention")
    assert res.exit_code == 1 and "NoSuchOrganizationConfigRuleException" in res.stderr


def test_organization_config_rule_bad_input_stores_nothing(pinned: Cli) -> None:
    pinned.ok("account", "init", "--account-id", OTHER)
    for args, text in [(("--organization-managed-rule-metadata", "RuleIdentifier=NOPE"), "The sourceIdentifier NOPE is invalid"),
                       (("--organization-managed-rule-metadata", json.dumps({"RuleIdentifier": "CW_LOGGROUP_RETENTION_PERIOD_CHECK",
                                                                              "InputParameters": '{"Nope": "1"}'})),
                        "Unknown parameters provided in the inputParameters"),
                       (("--organization-custom-policy-rule-metadata", json.dumps({"PolicyRuntime": "guard-2.x.x",
                                                                                   "PolicyText": "rule r {"})), "not a valid Guard policy"),
                       (("--organization-custom-rule-metadata", json.dumps({"LambdaFunctionArn": "arn:aws:lambda:us-east-1:1:function:f"})),
                        "Lambda rule")]:  # fmt: skip
        res = pinned(*RULE, *args)
        assert res.exit_code == 2 and text in res.stderr, res.stderr
    for acct in (ME, OTHER):
        assert pinned.json("--account", acct, "config", "describe-rules")["ConfigRules"] == []
    assert pinned.json("config", "describe-organization-config-rules")["OrganizationConfigRules"] == []
