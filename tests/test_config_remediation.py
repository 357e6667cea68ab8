"""AWS Config remediation on the local account: AWS-owned runbooks act on the local resources."""

from __future__ import annotations

import json

from tests.conftest import Cli

ROLE = "arn:aws:iam::123456789012:role/remediation-role"


def _recording(cli: Cli) -> None:
    cli.ok("config", "put-configuration-recorder", "--all-supported")
    cli.ok("s3", "mb", "s3://config-bucket")
    cli.ok("config", "put-delivery-channel", "--s3-bucket-name", "config-bucket")
    cli.ok("config", "start-recording")


def _details(cli: Cli, rule: str) -> dict[str, str]:
    results = cli.json("config", "get-compliance-details", "--config-rule-name", rule)["EvaluationResults"]
    return {r["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceId"]: r["ComplianceType"] for r in results}


def _remediation(rule: str, target: str, params: dict, **extra: object) -> str:
    return json.dumps([{"ConfigRuleName": rule, "TargetType": "SSM_DOCUMENT", "TargetId": target, "Parameters": params,
                        **extra}])  # fmt: skip


def test_manual_versioning_remediation_turns_the_bucket_compliant(pinned: Cli) -> None:
    _recording(pinned)
    pinned.ok("s3", "mb", "s3://data")
    pinned.ok("config", "put-rule", "--config-rule-name", "versioning", "--source-identifier", "S3_BUCKET_VERSIONING_ENABLED")
    assert _details(pinned, "versioning")["data"] == "NON_COMPLIANT"
    params = {"BucketName": {"ResourceValue": {"Value": "RESOURCE_ID"}},
              "AutomationAssumeRole": {"StaticValue": {"Values": [ROLE]}}}
    out = pinned.json("config", "put-remediation-configurations", "--remediation-configurations",
                      _remediation("versioning", "AWS-ConfigureS3BucketVersioning", params))  # fmt: skip
    assert out["FailedBatches"] == [] and out["RemediationConfigurations"][0]["Automatic"] is False
    assert out["RemediationConfigurations"][0]["MaximumAutomaticAttempts"] == 5
    assert _details(pinned, "versioning")["data"] == "NON_COMPLIANT"  # manual: nothing ran
    res = pinned.json("config", "start-remediation-execution", "--config-rule-name", "versioning", "--resource-keys",
                      "resourceType=AWS::S3::Bucket,resourceId=data")  # fmt: skip
    assert res["FailedItems"] == []

    def status() -> dict:
        out = pinned.json("config", "describe-remediation-execution-status", "--config-rule-name", "versioning")
        return out["RemediationExecutionStatuses"][0]

    # QUEUED, then IN_PROGRESS, then SUCCEEDED as the simulated clock passes; the change happens at the end.
    st = status()
    assert st["ResourceKey"] == {"resourceType": "AWS::S3::Bucket", "resourceId": "data"} and st["State"] == "QUEUED"
    assert st["StepDetails"] == [{"Name": "ConfigureVersioning", "State": "PENDING"}]
    assert st["InvocationTime"] == st["LastUpdatedTime"] == "2026-11-20T12:00:00Z"
    pinned.ok("account", "clock", "advance", "1s")
    st = status()
    assert st["State"] == "IN_PROGRESS" and st["StepDetails"] == [{"Name": "ConfigureVersioning", "State": "PENDING",
                                                                    "StartTime": "2026-11-20T12:00:01Z"}]  # fmt: skip
    assert _details(pinned, "versioning")["data"] == "NON_COMPLIANT"
    again = pinned.json("config", "start-remediation-execution", "--config-rule-name", "versioning", "--resource-keys",
                        "resourceType=AWS::S3::Bucket,resourceId=data")  # fmt: skip
    assert again["FailedItems"] == [] and status()["State"] == "IN_PROGRESS"  # the running one goes on
    pinned.ok("account", "clock", "advance", "2s")
    st = status()
    assert st["State"] == "SUCCEEDED" and st["LastUpdatedTime"] == "2026-11-20T12:00:03Z"
    assert st["StepDetails"] == [{"Name": "ConfigureVersioning", "State": "SUCCEEDED", "StartTime": "2026-11-20T12:00:01Z",
                                  "StopTime": "2026-11-20T12:00:03Z"}]  # fmt: skip
    assert pinned.json("s3", "get-bucket-versioning", "--bucket", "data")["Status"] == "Enabled"
    assert _details(pinned, "versioning")["data"] == "COMPLIANT"
    # The runbook acted as the AutomationAssumeRole.
    events = pinned.json("trail", "lookup", "--lookup-attributes", "EventName=PutBucketVersioning")["Events"]
    assert "remediation-role" in json.dumps(events[0])


def test_automatic_security_group_remediation(pinned: Cli) -> None:
    _recording(pinned)
    pinned.ok("config", "put-rule", "--config-rule-name", "restricted-ssh", "--source-identifier", "INCOMING_SSH_DISABLED")
    params = {"GroupId": {"ResourceValue": {"Value": "RESOURCE_ID"}},
              "AutomationAssumeRole": {"StaticValue": {"Values": [ROLE]}}}
    pinned.ok("config", "put-remediation-configurations", "--remediation-configurations",
              _remediation("restricted-ssh", "AWS-DisablePublicAccessForSecurityGroup", params, Automatic=True,
                           MaximumAutomaticAttempts=3, RetryAttemptSeconds=60))  # fmt: skip
    gid = pinned.json("ec2", "create-security-group", "--group-name", "open", "--description", "open")["GroupId"]
    pinned.ok("ec2", "authorize-security-group-ingress", "--group-id", gid, "--protocol", "tcp", "--port", "22",
              "--cidr", "0.0.0.0/0")  # fmt: skip
    pinned.ok("ec2", "authorize-security-group-ingress", "--group-id", gid, "--protocol", "tcp", "--port", "443",
              "--cidr", "0.0.0.0/0")  # fmt: skip
    pinned.ok("account", "clock", "advance", "1m")
    perms = pinned.json("ec2", "describe-security-groups", "--group-ids", gid)["SecurityGroups"][0]["IpPermissions"]
    assert [p["FromPort"] for p in perms] == [443]  # port 22 from anywhere revoked, 443 kept
    assert _details(pinned, "restricted-ssh")[gid] == "COMPLIANT"
    st = pinned.json("config", "describe-remediation-execution-status", "--config-rule-name", "restricted-ssh")
    assert st["RemediationExecutionStatuses"][0]["State"] == "SUCCEEDED"


def test_failed_automatic_remediation_is_retried(pinned: Cli) -> None:
    _recording(pinned)
    pinned.ok("logs", "create-group", "--name", "/app")
    pinned.ok("config", "put-rule", "--config-rule-name", "retention", "--source-identifier",
              "CW_LOGGROUP_RETENTION_PERIOD_CHECK", "--parameter", "MinRetentionTime=30")  # fmt: skip
    pinned.ok("logs", "put-retention", "--group", "/app", "--days", "7")
    pinned.ok("config", "start-evaluation")
    assert _details(pinned, "retention")["/app"] == "NON_COMPLIANT"
    params = {"LogGroupName": {"ResourceValue": {"Value": "RESOURCE_ID"}},
              "RetentionInDays": {"StaticValue": {"Values": ["8"]}},  # not a retention CloudWatch Logs accepts
              "AutomationAssumeRole": {"StaticValue": {"Values": [ROLE]}}}
    pinned.ok("config", "put-remediation-configurations", "--remediation-configurations",
              _remediation("retention", "AWSConfigRemediation-SetCloudWatchLogGroupRetention", params, Automatic=True,
                           MaximumAutomaticAttempts=3, RetryAttemptSeconds=120))  # fmt: skip
    pinned.ok("account", "clock", "advance", "3s")  # queued 1 s, runs 2 s
    st = pinned.json("config", "describe-remediation-execution-status", "--config-rule-name", "retention")
    first = st["RemediationExecutionStatuses"][0]
    assert first["State"] == "FAILED" and "InvalidParameterException" in first["StepDetails"][0]["ErrorMessage"]
    assert first["StepDetails"][0]["StopTime"] == "2026-11-20T12:00:03Z"
    pinned.ok("account", "clock", "advance", "10m")  # two retries (2 minutes after each failure), then no more
    st = pinned.json("config", "describe-remediation-execution-status", "--config-rule-name", "retention")
    last = st["RemediationExecutionStatuses"][0]
    assert last["InvocationTime"] == "2026-11-20T12:04:06Z" and last["State"] == "FAILED"
    assert last["StepDetails"][0]["StopTime"] == "2026-11-20T12:04:09Z"
    assert _details(pinned, "retention")["/app"] == "NON_COMPLIANT"


def test_remediation_bad_input(pinned: Cli) -> None:
    _recording(pinned)
    pinned.ok("config", "put-rule", "--config-rule-name", "versioning", "--source-identifier", "S3_BUCKET_VERSIONING_ENABLED")
    bucket = {"BucketName": {"ResourceValue": {"Value": "RESOURCE_ID"}}}
    cases = [
        (_remediation("nope", "AWS-ConfigureS3BucketVersioning", bucket), 1, "NoSuchConfigRuleException"),
        (_remediation("versioning", "AWS-NoSuchDocument", bucket), 2, "The SSM document AWS-NoSuchDocument does not exist"),
        (_remediation("versioning", "AWS-ConfigureS3BucketVersioning", {"Bucket": bucket["BucketName"]}), 2,
         "Parameter Bucket is not a parameter of SSM document AWS-ConfigureS3BucketVersioning"),
        (_remediation("versioning", "AWS-ConfigureS3BucketVersioning",
                      {**bucket, "VersioningState": {"StaticValue": {"Values": ["On"]}}}), 2, "allowed values: Enabled, Suspended"),
        (_remediation("versioning", "AWSConfigRemediation-SetCloudWatchLogGroupRetention",
                      {"LogGroupName": bucket["BucketName"], "RetentionInDays": {"StaticValue": {"Values": ["a week"]}}}), 2,
         "Parameter RetentionInDays of type Integer has the value a week, which is not an integer."),
        (_remediation("versioning", "AWS-ConfigureS3BucketVersioning", bucket, Automatic=True), 2,
         "AutomationAssumeRole is required for automatic remediation"),
        (_remediation("versioning", "AWS-ConfigureS3BucketVersioning", bucket, MaximumAutomaticAttempts=30), 2,
         "Member must have value between 1 and 25"),
        ("[not json", 2, "JSON"),
    ]  # fmt: skip
    for text, code, message in cases:
        res = pinned("config", "put-remediation-configurations", "--remediation-configurations", text)
        assert res.exit_code == code and message in res.stderr, (text, res.stderr)
    res = pinned("config", "describe-remediation-configurations", "--config-rule-names", "versioning")
    assert json.loads(res.stdout)["RemediationConfigurations"] == []
    res = pinned("config", "start-remediation-execution", "--config-rule-name", "versioning", "--resource-keys",
                 "resourceType=AWS::S3::Bucket,resourceId=x")  # fmt: skip
    assert res.exit_code == 1 and "NoSuchRemediationConfigurationException" in res.stderr
