"""AWS Config custom Lambda rules on the local account: AWS's sample rule code runs unchanged against local resources."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import Cli
from tests.test_lambda import make_zip

ROLE = "arn:aws:iam::123456789012:role/config-rule-role"
FN = "arn:aws:lambda:us-east-1:123456789012:function:retention-rule"

# AWS's Python sample rule (evaluate-config_develop-rules_python-sample.md), for log groups: unchanged apart from
# evaluate_compliance and the applicable type.
SAMPLE = '''
import json
import boto3

APPLICABLE_RESOURCES = ["AWS::Logs::LogGroup"]


def evaluate_compliance(configuration_item, rule_parameters):
    if configuration_item["resourceType"] not in APPLICABLE_RESOURCES:
        return "NOT_APPLICABLE"
    days = configuration_item["configuration"].get("retentionInDays")
    if days is not None and days >= int(rule_parameters["minDays"]):
        return "COMPLIANT"
    return "NON_COMPLIANT"


def lambda_handler(event, context):
    invoking_event = json.loads(event["invokingEvent"])
    if invoking_event["messageType"] == "ScheduledNotification":
        print("scheduled", invoking_event["awsAccountId"])
        return
    configuration_item = invoking_event["configurationItem"]
    rule_parameters = json.loads(event["ruleParameters"])
    result_token = "No token found."
    if "resultToken" in event:
        result_token = event["resultToken"]
    if event["eventLeftScope"]:
        compliance = "NOT_APPLICABLE"
    else:
        compliance = evaluate_compliance(configuration_item, rule_parameters)
    config = boto3.client("config")
    config.put_evaluations(
        Evaluations=[
            {
                "ComplianceResourceType": configuration_item["resourceType"],
                "ComplianceResourceId": configuration_item["resourceId"],
                "ComplianceType": compliance,
                "Annotation": "retention checked by " + event["configRuleName"],
                "OrderingTimestamp": configuration_item["configurationItemCaptureTime"],
            },
        ],
        ResultToken=result_token,
    )
'''

BROKEN = '''
def lambda_handler(event, context):
    raise KeyError("missing parameter minDays")
'''


def _function(cli: Cli, tmp_path: Path, code: str) -> None:
    z = make_zip(tmp_path / "rule.zip", {"lambda_function.py": code})
    cli.ok("lambda", "create-function", "--function-name", "retention-rule", "--runtime", "python3.12", "--handler",
           "lambda_function.lambda_handler", "--role", ROLE, "--zip-file", f"fileb://{z}", "--timeout", "60")  # fmt: skip
    cli.ok("config", "put-configuration-recorder", "--all-supported")
    cli.ok("config", "put-delivery-channel", "--s3-bucket-name", "config-bucket")
    cli.ok("config", "start-recording")


def _rule(**extra: Any) -> str:
    rule = {"ConfigRuleName": "retention-custom", "Scope": {"ComplianceResourceTypes": ["AWS::Logs::LogGroup"]},
            "Source": {"Owner": "CUSTOM_LAMBDA", "SourceIdentifier": FN,
                       "SourceDetails": [{"EventSource": "aws.config",
                                          "MessageType": "ConfigurationItemChangeNotification"}]},
            "InputParameters": json.dumps({"minDays": "30"}), **extra}  # fmt: skip
    return json.dumps(rule)


def _results(cli: Cli) -> dict[str, tuple[str, str]]:
    data = cli.json("config", "get-compliance-details", "--config-rule-name", "retention-custom",
                    "--compliance-types", "COMPLIANT,NON_COMPLIANT,NOT_APPLICABLE")["EvaluationResults"]  # fmt: skip
    return {r["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceId"]: (r["ComplianceType"], r.get("Annotation"))
            for r in data}  # fmt: skip


def test_sample_custom_lambda_rule_evaluates_changes(pinned: Cli, tmp_path: Path) -> None:
    _function(pinned, tmp_path, SAMPLE)
    pinned.ok("logs", "create-group", "--name", "/short")
    pinned.ok("logs", "put-retention", "--group", "/short", "--days", "7")
    pinned.ok("logs", "create-group", "--name", "/long")
    pinned.ok("logs", "put-retention", "--group", "/long", "--days", "90")
    pinned.ok("config", "put-rule", "--config-rule", _rule())
    rule = pinned.json("config", "describe-rules", "--config-rule-names", "retention-custom")["ConfigRules"][0]
    assert rule["Source"]["Owner"] == "CUSTOM_LAMBDA" and rule["Source"]["SourceIdentifier"] == FN
    results = _results(pinned)
    assert results["/short"] == ("NON_COMPLIANT", "retention checked by retention-custom")
    assert results["/long"][0] == "COMPLIANT"
    # A change re-invokes the function with the new item.
    pinned.ok("logs", "put-retention", "--group", "/short", "--days", "60")
    assert _results(pinned)["/short"][0] == "COMPLIANT"
    status = pinned.json("config", "describe-rule-status", "--config-rule-names", "retention-custom")
    st = status["ConfigRulesEvaluationStatus"][0]
    assert st["FirstEvaluationStarted"] is True and "LastErrorCode" not in st and "LastSuccessfulEvaluationTime" in st
    # The function's put_evaluations call is recorded in CloudTrail as the function's role.
    events = pinned.json("trail", "lookup", "--lookup-attributes", "EventName=PutEvaluations")["Events"]
    assert events and "config-rule-role" in json.dumps(events[0])


def test_function_error_shows_in_rule_status(pinned: Cli, tmp_path: Path) -> None:
    _function(pinned, tmp_path, BROKEN)
    pinned.ok("logs", "create-group", "--name", "/a")
    pinned.ok("config", "put-rule", "--config-rule", _rule())
    st = pinned.json("config", "describe-rule-status")["ConfigRulesEvaluationStatus"][0]
    assert st["LastErrorCode"] == "KeyError" and "minDays" in st["LastErrorMessage"]
    assert "LastFailedInvocationTime" in st


def test_custom_rule_bad_input(pinned: Cli, tmp_path: Path) -> None:
    pinned.ok("config", "put-configuration-recorder", "--all-supported")
    res = pinned("config", "put-rule", "--config-rule", _rule())
    assert res.exit_code == 1
    assert f"InsufficientPermissionsException: The AWS Lambda function {FN} cannot be invoked." in res.stderr
    z = make_zip(tmp_path / "rule.zip", {"lambda_function.py": BROKEN})
    pinned.ok("lambda", "create-function", "--function-name", "retention-rule", "--runtime", "python3.12", "--handler",
              "lambda_function.lambda_handler", "--role", ROLE, "--zip-file", f"fileb://{z}")  # fmt: skip
    no_details = json.loads(_rule())
    del no_details["Source"]["SourceDetails"]
    res = pinned("config", "put-rule", "--config-rule", json.dumps(no_details))
    assert res.exit_code == 2 and "SourceDetails should be provided if the owner is CUSTOM_LAMBDA" in res.stderr
    bad_type = json.loads(_rule())
    bad_type["Source"]["SourceDetails"][0]["MessageType"] = "Whenever"
    res = pinned("config", "put-rule", "--config-rule", json.dumps(bad_type))
    assert res.exit_code == 2 and "ValidationException" in res.stderr
    res = pinned("config", "put-rule", "--config-rule", _rule(InputParameters="{not json"))
    assert res.exit_code == 2 and "Invalid json {not json passed in the InputParameters field" in res.stderr
    res = pinned("config", "put-rule", "--config-rule", _rule(MaximumExecutionFrequency="One_Hour"))
    assert res.exit_code == 2 and "maximum execution frequency is not allowed" in res.stderr
    assert pinned.json("config", "describe-rules")["ConfigRules"] == []
    res = pinned("config", "put-rule", "--config-rule", json.dumps({"ConfigRuleName": "x", "Source": {"Owner": "AWS",
                                                                   "SourceIdentifier": "NO_SUCH_RULE"}}))  # fmt: skip
    assert res.exit_code == 2 and "The sourceIdentifier NO_SUCH_RULE is invalid." in res.stderr


POLICY = """
rule retention_set when resourceType == 'AWS::Logs::LogGroup' {
    configuration.retentionInDays exists
    configuration.retentionInDays >= 30
}
"""


def _policy_rule(text: str = POLICY, runtime: str = "guard-2.x.x") -> str:
    return json.dumps({"ConfigRuleName": "retention-guard",
                       "Source": {"Owner": "CUSTOM_POLICY",
                                  "SourceDetails": [{"EventSource": "aws.config",
                                                     "MessageType": "ConfigurationItemChangeNotification"}],
                                  "CustomPolicyDetails": {"PolicyRuntime": runtime, "PolicyText": text}}})  # fmt: skip


def _guard_results(cli: Cli) -> dict[str, str]:
    data = cli.json("config", "get-compliance-details", "--config-rule-name", "retention-guard",
                    "--compliance-types", "COMPLIANT,NON_COMPLIANT,NOT_APPLICABLE")["EvaluationResults"]  # fmt: skip
    return {r["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceId"]: r["ComplianceType"] for r in data}


def test_custom_policy_rule(pinned: Cli) -> None:
    pinned.ok("config", "put-configuration-recorder", "--all-supported")
    pinned.ok("config", "put-delivery-channel", "--s3-bucket-name", "config-bucket")
    pinned.ok("config", "start-recording")
    pinned.ok("logs", "create-group", "--name", "/none")
    pinned.ok("logs", "create-group", "--name", "/month")
    pinned.ok("logs", "put-retention", "--group", "/month", "--days", "30")
    pinned.ok("config", "put-rule", "--config-rule", _policy_rule())
    results = _guard_results(pinned)
    assert results["/none"] == "NON_COMPLIANT" and results["/month"] == "COMPLIANT"
    assert results["config-bucket"] == "NOT_APPLICABLE"  # other types: the when clause skips the rule
    pinned.ok("logs", "put-retention", "--group", "/none", "--days", "90")
    assert _guard_results(pinned)["/none"] == "COMPLIANT"
    rule = pinned.json("config", "describe-rules", "--config-rule-names", "retention-guard")["ConfigRules"][0]
    assert rule["Source"]["CustomPolicyDetails"]["PolicyText"] == POLICY


def test_custom_policy_bad_input(pinned: Cli) -> None:
    pinned.ok("config", "put-configuration-recorder", "--all-supported")
    res = pinned("config", "put-rule", "--config-rule", _policy_rule("rule r { configuration.x === 1 }"))
    assert res.exit_code == 2
    assert "InvalidParameterValueException: The PolicyText is not a valid Guard policy: line 1, column" in res.stderr
    res = pinned("config", "put-rule", "--config-rule", _policy_rule(runtime="guard-1.0"))
    assert res.exit_code == 2 and "The PolicyRuntime guard-1.0 is invalid" in res.stderr
    res = pinned("config", "put-rule", "--config-rule", json.dumps({"ConfigRuleName": "x", "Source": {"Owner": "ME"}}))
    assert res.exit_code == 2 and "ValidationException" in res.stderr
    assert pinned.json("config", "describe-rules")["ConfigRules"] == []
