"""The managed-rule engine: parameter validation with AWS's texts, each evaluator, scope and summaries."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from awsmon.engines import config_rules as cr


def _rule(ident: str) -> cr.ManagedRule:
    return cr.RULES[ident]


# -- validation ----------------------------------------------------------------------------------------------------


def test_unknown_identifier_uses_aws_text() -> None:
    with pytest.raises(cr.RuleError) as exc:
        cr.validate_rule("NOT_A_RULE", None)
    assert exc.value.code == "InvalidParameterValueException"
    assert exc.value.message == ("The sourceIdentifier NOT_A_RULE is invalid.  Please refer to the documentation for a "
                                 "list of valid sourceIdentifiers that can be used when AWS is the Owner")


def test_unknown_parameter_rejected() -> None:
    text = '{"MinRetention": "30"}'
    with pytest.raises(cr.RuleError) as exc:
        cr.validate_rule("CW_LOGGROUP_RETENTION_PERIOD_CHECK", text)
    assert exc.value.message == f"Unknown parameters provided in the inputParameters: {text}"


def test_required_parameter_missing() -> None:
    with pytest.raises(cr.RuleError) as exc:
        cr.validate_rule("CLOUDWATCH_ALARM_SETTINGS_CHECK", "{}")
    assert exc.value.message == "The required parameter [metricName] is not present in the inputParameters"


def test_invalid_json_and_types() -> None:
    with pytest.raises(cr.RuleError, match="Invalid json"):
        cr.validate_rule("CW_LOGGROUP_RETENTION_PERIOD_CHECK", "{not json")
    with pytest.raises(cr.RuleError, match="not a valid integer"):
        cr.validate_rule("CW_LOGGROUP_RETENTION_PERIOD_CHECK", '{"MinRetentionTime": "ten"}')
    with pytest.raises(cr.RuleError, match="retention period"):
        cr.validate_rule("CW_LOGGROUP_RETENTION_PERIOD_CHECK", '{"MinRetentionTime": "31"}')
    with pytest.raises(cr.RuleError, match="Blank spaces"):
        cr.validate_rule("CW_LOGGROUP_RETENTION_PERIOD_CHECK", '{"MinRetentionTime": " 30"}')
    with pytest.raises(cr.RuleError, match="valid boolean"):
        cr.validate_rule("MULTI_REGION_CLOUD_TRAIL_ENABLED", '{"includeManagementEvents": "yes"}')


def test_parameters_with_defaults_are_optional() -> None:
    rule, given_params = cr.validate_rule("CLOUDWATCH_ALARM_ACTION_CHECK", None)
    assert given_params == {}
    assert cr.rule_parameters(rule, {})["alarmActionRequired"] == "true"
    assert cr.rule_parameters(rule, {})["okActionRequired"] == "false"


def test_every_rule_has_an_evaluator_and_a_trigger() -> None:
    for rule in cr.RULES.values():
        assert (rule.evaluate is None) != (rule.evaluate_account is None)
        assert rule.change or rule.periodic
        assert rule.account_level == (not rule.resource_types)


def test_catalogue_names_agree_with_moto() -> None:
    """Identifiers, parameter names and optionality match moto's managed-rule catalogue (config.md §4)."""
    import gzip
    import os

    import moto

    path = os.path.join(os.path.dirname(moto.__file__), "config", "resources", "aws_managed_rules.json.gz")
    with gzip.open(path) as fh:
        catalogue = json.load(fh)["ManagedRules"]
    for ident, rule in cr.RULES.items():
        assert ident in catalogue, ident
        theirs = {p["Name"]: p for p in catalogue[ident]["Parameters"]}
        assert set(theirs) == {p.name for p in rule.params}, ident
        for p in rule.params:
            assert theirs[p.name]["Type"] == p.type, (ident, p.name)
            assert theirs[p.name].get("Default") == p.default, (ident, p.name)
        trigger = catalogue[ident]["Trigger type"]
        assert rule.periodic == ("Periodic" in trigger), ident
        assert rule.change == ("Configuration changes" in trigger), ident


# -- evaluators ----------------------------------------------------------------------------------------------------


def test_log_group_retention() -> None:
    rule = _rule("CW_LOGGROUP_RETENTION_PERIOD_CHECK")
    assert cr.evaluate_resource(rule, {}, {"logGroupName": "/a"})[0] == cr.COMPLIANT  # never expire
    assert cr.evaluate_resource(rule, {}, {"logGroupName": "/a", "retentionInDays": 30})[0] == cr.NON_COMPLIANT
    assert cr.evaluate_resource(rule, {}, {"logGroupName": "/a", "retentionInDays": 365})[0] == cr.COMPLIANT
    ctype, note = cr.evaluate_resource(rule, {"MinRetentionTime": "60"}, {"logGroupName": "/a", "retentionInDays": 30})
    assert ctype == cr.NON_COMPLIANT and note and "60" in note
    scoped = {"LogGroupNames": "/app,/web", "MinRetentionTime": "60"}
    assert cr.evaluate_resource(rule, scoped, {"logGroupName": "/other", "retentionInDays": 1})[0] == cr.NOT_APPLICABLE
    assert cr.evaluate_resource(rule, scoped, {"logGroupName": "/app/x", "retentionInDays": 1})[0] == cr.NON_COMPLIANT


@given(days=st.sampled_from(cr.RETENTION_VALUES), minimum=st.sampled_from(cr.RETENTION_VALUES))
def test_log_group_retention_threshold(days: int, minimum: int) -> None:
    rule = _rule("CW_LOGGROUP_RETENTION_PERIOD_CHECK")
    ctype, _ = cr.evaluate_resource(rule, {"MinRetentionTime": str(minimum)}, {"logGroupName": "g", "retentionInDays": days})
    assert ctype == (cr.COMPLIANT if days >= minimum else cr.NON_COMPLIANT)


def test_alarm_action_check() -> None:
    rule = _rule("CLOUDWATCH_ALARM_ACTION_CHECK")
    topic = "arn:aws:sns:us-east-1:123456789012:ops"
    bare = {"AlarmActions": [], "OKActions": [], "InsufficientDataActions": []}
    assert cr.evaluate_resource(rule, {}, bare)[0] == cr.NON_COMPLIANT
    both = {**bare, "AlarmActions": [topic], "InsufficientDataActions": [topic]}
    assert cr.evaluate_resource(rule, {}, both)[0] == cr.COMPLIANT
    assert cr.evaluate_resource(rule, {"okActionRequired": "true"}, both)[0] == cr.NON_COMPLIANT
    only_alarm = {"alarmActionRequired": "true", "insufficientDataActionRequired": "false"}
    assert cr.evaluate_resource(rule, only_alarm, {**bare, "AlarmActions": [topic]})[0] == cr.COMPLIANT
    named = {**only_alarm, "action1": "arn:aws:sns:us-east-1:123456789012:other"}
    assert cr.evaluate_resource(rule, named, {**bare, "AlarmActions": [topic]})[0] == cr.NON_COMPLIANT


@given(alarm=st.booleans(), insufficient=st.booleans(), ok=st.booleans(),
       req_alarm=st.booleans(), req_insufficient=st.booleans(), req_ok=st.booleans())  # fmt: skip
def test_alarm_action_check_property(alarm: bool, insufficient: bool, ok: bool, req_alarm: bool,
                                     req_insufficient: bool, req_ok: bool) -> None:  # fmt: skip
    rule = _rule("CLOUDWATCH_ALARM_ACTION_CHECK")
    topic = ["arn:aws:sns:us-east-1:123456789012:t"]
    cfg = {"AlarmActions": topic if alarm else [], "InsufficientDataActions": topic if insufficient else [],
           "OKActions": topic if ok else []}  # fmt: skip
    params = {"alarmActionRequired": str(req_alarm).lower(), "insufficientDataActionRequired": str(req_insufficient).lower(),
              "okActionRequired": str(req_ok).lower()}  # fmt: skip
    expected = (alarm or not req_alarm) and (insufficient or not req_insufficient) and (ok or not req_ok)
    assert cr.evaluate_resource(rule, params, cfg)[0] == (cr.COMPLIANT if expected else cr.NON_COMPLIANT)


def test_alarm_settings_description_and_enabled() -> None:
    settings = _rule("CLOUDWATCH_ALARM_SETTINGS_CHECK")
    cfg = {"MetricName": "CPU", "Period": 300, "Statistic": "Average", "Threshold": 80.0, "EvaluationPeriods": 3,
           "ComparisonOperator": "GreaterThanThreshold"}  # fmt: skip
    assert cr.evaluate_resource(settings, {"metricName": "Other"}, cfg)[0] == cr.NOT_APPLICABLE
    assert cr.evaluate_resource(settings, {"metricName": "CPU"}, cfg)[0] == cr.COMPLIANT
    assert cr.evaluate_resource(settings, {"metricName": "CPU", "period": "60"}, cfg)[0] == cr.NON_COMPLIANT
    assert cr.evaluate_resource(settings, {"metricName": "CPU", "threshold": "80"}, cfg)[0] == cr.COMPLIANT
    assert cr.evaluate_resource(settings, {"metricName": "CPU", "statistic": "Sum"}, cfg)[0] == cr.NON_COMPLIANT
    assert cr.evaluate_resource(settings, {"metricName": "CPU", "evaluationPeriods": "2"}, cfg)[0] == cr.NON_COMPLIANT
    desc = _rule("CLOUDWATCH_ALARM_DESCRIPTION")
    assert cr.evaluate_resource(desc, {}, {"AlarmDescription": "why"})[0] == cr.COMPLIANT
    assert cr.evaluate_resource(desc, {}, {"AlarmDescription": " "})[0] == cr.NON_COMPLIANT
    enabled = _rule("CLOUDWATCH_ALARM_ACTION_ENABLED_CHECK")
    assert cr.evaluate_resource(enabled, {}, {"ActionsEnabled": False})[0] == cr.NON_COMPLIANT


def test_trail_resource_rules_and_sns() -> None:
    assert cr.evaluate_resource(_rule("CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED"), {}, {"LogFileValidationEnabled": True})[0] == cr.COMPLIANT
    assert cr.evaluate_resource(_rule("CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED"), {}, {})[0] == cr.NON_COMPLIANT
    assert cr.evaluate_resource(_rule("CLOUD_TRAIL_ENCRYPTION_ENABLED"), {}, {"KmsKeyId": "k"})[0] == cr.COMPLIANT
    cwl = _rule("CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED")
    assert cr.evaluate_resource(cwl, {}, {})[0] == cr.NON_COMPLIANT
    assert cr.evaluate_resource(cwl, {}, {"CloudWatchLogsLogGroupArn": "arn:x"})[0] == cr.COMPLIANT
    stale = {"CloudWatchLogsLogGroupArn": "arn:x", "LatestCloudWatchLogsDeliveryAgeHours": 30.0}
    assert cr.evaluate_resource(cwl, {}, stale)[0] == cr.NON_COMPLIANT
    assert cr.evaluate_resource(cwl, {"expectedDeliveryWindowAge": "48"}, stale)[0] == cr.COMPLIANT
    sns = _rule("SNS_ENCRYPTED_KMS")
    assert cr.evaluate_resource(sns, {}, {})[0] == cr.NON_COMPLIANT
    assert cr.evaluate_resource(sns, {"kmsKeyIds": "a,b"}, {"KmsMasterKeyId": "b"})[0] == cr.COMPLIANT
    assert cr.evaluate_resource(sns, {"kmsKeyIds": "a"}, {"KmsMasterKeyId": "b"})[0] == cr.NON_COMPLIANT
    enc = _rule("CLOUDWATCH_LOG_GROUP_ENCRYPTED")
    assert cr.evaluate_resource(enc, {}, {"kmsKeyId": "k"})[0] == cr.COMPLIANT
    assert cr.evaluate_resource(enc, {"KmsKeyId": "other"}, {"kmsKeyId": "k"})[0] == cr.NON_COMPLIANT


def test_account_trail_rules() -> None:
    enabled = _rule("CLOUD_TRAIL_ENABLED")
    assert cr.evaluate_account(enabled, {}, {"trails": []})[0] == cr.NON_COMPLIANT
    trail = {"Name": "t", "S3BucketName": "b", "IsLogging": True, "IsMultiRegionTrail": False}
    assert cr.evaluate_account(enabled, {}, {"trails": [{**trail, "IsLogging": False}]})[0] == cr.NON_COMPLIANT
    assert cr.evaluate_account(enabled, {}, {"trails": [trail]})[0] == cr.COMPLIANT
    assert cr.evaluate_account(enabled, {"s3BucketName": "other"}, {"trails": [trail]})[0] == cr.NON_COMPLIANT
    multi = _rule("MULTI_REGION_CLOUD_TRAIL_ENABLED")
    assert cr.evaluate_account(multi, {}, {"trails": [trail]})[0] == cr.NON_COMPLIANT
    mr = {**trail, "IsMultiRegionTrail": True, "EventSelectors": [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]}
    assert cr.evaluate_account(multi, {}, {"trails": [mr]})[0] == cr.COMPLIANT
    assert cr.evaluate_account(multi, {"readWriteType": "WriteOnly"}, {"trails": [mr]})[0] == cr.COMPLIANT
    assert cr.evaluate_account(multi, {"readWriteType": "ALL"}, {"trails": [mr]})[0] == cr.NON_COMPLIANT
    assert cr.evaluate_account(multi, {"readWriteType": "ReadOnly"}, {"trails": [mr]})[0] == cr.NON_COMPLIANT
    default_sel = {**mr, "EventSelectors": None}
    assert cr.evaluate_account(multi, {"readWriteType": "ALL", "includeManagementEvents": "true"},
                               {"trails": [default_sel]})[0] == cr.COMPLIANT  # fmt: skip


# -- scope and summaries -------------------------------------------------------------------------------------------


def test_scope() -> None:
    rule = _rule("CW_LOGGROUP_RETENTION_PERIOD_CHECK")
    assert cr.in_scope(None, rule, "AWS::Logs::LogGroup", "/a")
    assert not cr.in_scope(None, rule, "AWS::SNS::Topic", "arn")
    assert cr.in_scope({"ComplianceResourceTypes": ["AWS::SNS::Topic"]}, rule, "AWS::SNS::Topic", "arn")
    assert not cr.in_scope({"ComplianceResourceId": "/b"}, rule, "AWS::Logs::LogGroup", "/a")
    assert not cr.in_scope({"TagKey": "env"}, rule, "AWS::Logs::LogGroup", "/a", {})
    assert cr.in_scope({"TagKey": "env", "TagValue": "prod"}, rule, "AWS::Logs::LogGroup", "/a", {"env": "prod"})
    assert not cr.in_scope({"TagKey": "env", "TagValue": "prod"}, rule, "AWS::Logs::LogGroup", "/a", {"env": "dev"})


@given(st.lists(st.sampled_from(cr.COMPLIANCE_TYPES[:3]), max_size=20))
def test_summarize(types: list[str]) -> None:
    ctype, count = cr.summarize(types)
    assert count == types.count(cr.NON_COMPLIANT)
    if cr.NON_COMPLIANT in types:
        assert ctype == cr.NON_COMPLIANT
    elif cr.COMPLIANT in types:
        assert ctype == cr.COMPLIANT
    elif types:
        assert ctype == cr.NOT_APPLICABLE
    else:
        assert ctype == cr.INSUFFICIENT_DATA


def test_frequency_hours() -> None:
    assert cr.frequency_hours(None) == 24
    assert cr.frequency_hours("One_Hour") == 1
