"""Contract tests: the same config commands against the local account and a real moto server (aws backend)."""

from __future__ import annotations

from tests.conftest import Cli


def test_recorder_channel_start_stop(backend_cli: Cli) -> None:
    cli = backend_cli
    assert cli.json("config", "describe-configuration-recorders") == {"ConfigurationRecorders": []}
    res = cli("config", "put-delivery-channel", "--s3-bucket-name", "config-bucket")
    assert res.exit_code == 1
    assert "NoAvailableConfigurationRecorderException: Configuration recorder is not available to put delivery channel." in res.stderr
    rec = cli.json("config", "put-configuration-recorder", "--all-supported")["ConfigurationRecorders"][0]
    assert rec["name"] == "default" and rec["recordingGroup"]["allSupported"] is True
    assert rec["roleARN"].endswith(":role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig")
    res = cli("config", "start-recording")
    assert res.exit_code == 1
    assert "NoAvailableDeliveryChannelException: Delivery channel is not available to start configuration recorder." in res.stderr
    res = cli("config", "put-delivery-channel", "--s3-bucket-name", "")
    assert res.exit_code == 2  # awsmon refuses an empty bucket before calling
    channel = cli.json("config", "put-delivery-channel", "--s3-bucket-name", "config-bucket", "--s3-key-prefix", "p")
    assert channel["DeliveryChannels"][0]["s3BucketName"] == "config-bucket"
    res = cli("config", "put-delivery-channel", "--name", "second", "--s3-bucket-name", "config-bucket")
    assert res.exit_code == 1 and "MaxNumberOfDeliveryChannelsExceededException" in res.stderr
    status = cli.json("config", "start-recording")["ConfigurationRecordersStatus"][0]
    assert status["name"] == "default" and status["recording"] is True
    res = cli("config", "delete-delivery-channel", "--name", "default")
    assert res.exit_code == 1 and "LastDeliveryChannelDeleteFailedException" in res.stderr
    assert cli.json("config", "stop-recording")["ConfigurationRecordersStatus"][0]["recording"] is False
    assert cli.json("config", "describe-recorder-status")["ConfigurationRecordersStatus"][0]["recording"] is False
    res = cli("config", "describe-configuration-recorders", "--name", "nope")
    assert res.exit_code == 1
    assert "NoSuchConfigurationRecorderException: Cannot find configuration recorder with the specified name 'nope'." in res.stderr
    cli.ok("config", "delete-delivery-channel", "--name", "default")
    cli.ok("config", "delete-configuration-recorder", "--name", "default")
    assert cli.json("config", "describe-configuration-recorders") == {"ConfigurationRecorders": []}


def test_recording_group_resource_types(backend_cli: Cli) -> None:
    rec = backend_cli.json("config", "put-configuration-recorder", "--resource-types", "AWS::SNS::Topic",
                           "--resource-types", "AWS::CloudTrail::Trail")["ConfigurationRecorders"][0]  # fmt: skip
    assert rec["recordingGroup"]["allSupported"] is False
    assert rec["recordingGroup"]["resourceTypes"] == ["AWS::SNS::Topic", "AWS::CloudTrail::Trail"]
    res = backend_cli("config", "put-configuration-recorder", "--recording-group", "{}")
    assert res.exit_code == 2 and "InvalidRecordingGroupException: The recording group provided is not valid" in res.stderr


def test_rules_crud(backend_cli: Cli) -> None:
    cli = backend_cli
    cli.ok("config", "put-configuration-recorder")
    rule = cli.json("config", "put-rule", "--config-rule-name", "retention", "--source-identifier",
                    "CW_LOGGROUP_RETENTION_PERIOD_CHECK", "--input-parameters", '{"MinRetentionTime":"30"}',
                    "--compliance-resource-types", "AWS::Logs::LogGroup", "--description", "keep logs")["ConfigRules"][0]  # fmt: skip
    assert rule["ConfigRuleName"] == "retention"
    assert rule["Source"] == {"Owner": "AWS", "SourceIdentifier": "CW_LOGGROUP_RETENTION_PERIOD_CHECK"}
    assert rule["InputParameters"] == '{"MinRetentionTime":"30"}'
    assert rule["Scope"] == {"ComplianceResourceTypes": ["AWS::Logs::LogGroup"]}
    assert rule["ConfigRuleArn"].startswith("arn:aws:config:us-east-1:") and rule["ConfigRuleState"] == "ACTIVE"
    assert rule["Description"] == "keep logs"
    cli.ok("config", "put-rule", "--config-rule-name", "trail", "--source-identifier", "CLOUD_TRAIL_ENABLED",
           "--maximum-execution-frequency", "Six_Hours")  # fmt: skip
    again = cli.json("config", "put-rule", "--config-rule-name", "retention", "--source-identifier",
                     "CW_LOGGROUP_RETENTION_PERIOD_CHECK", "--parameter", "MinRetentionTime=90")["ConfigRules"][0]  # fmt: skip
    assert again["ConfigRuleArn"] == rule["ConfigRuleArn"]  # an update keeps the rule's identity
    rules = cli.json("config", "describe-rules")["ConfigRules"]
    assert [r["ConfigRuleName"] for r in rules] == ["retention", "trail"]
    assert rules[1]["MaximumExecutionFrequency"] == "Six_Hours"
    res = cli("config", "put-rule", "--config-rule-name", "x", "--source-identifier", "NOT_A_MANAGED_RULE")
    assert res.exit_code == 2
    assert ("InvalidParameterValueException: The sourceIdentifier NOT_A_MANAGED_RULE is invalid.  Please refer to the "
            "documentation for a list of valid sourceIdentifiers that can be used when AWS is the Owner") in res.stderr
    res = cli("config", "put-rule", "--config-rule-name", "x", "--source-identifier", "CW_LOGGROUP_RETENTION_PERIOD_CHECK",
              "--parameter", "Unknown=1")  # fmt: skip
    assert res.exit_code == 2 and "Unknown parameters provided in the inputParameters" in res.stderr
    res = cli("config", "put-rule", "--config-rule-name", "x", "--source-identifier", "CLOUDWATCH_ALARM_SETTINGS_CHECK")
    assert res.exit_code == 2
    assert "The required parameter [metricName] is not present in the inputParameters" in res.stderr
    cli.ok("config", "delete-rule", "--config-rule-name", "trail")
    res = cli("config", "delete-rule", "--config-rule-name", "trail")
    assert res.exit_code == 1
    assert "NoSuchConfigRuleException: The ConfigRule 'trail' provided in the request is invalid. Please check the configRule name" in res.stderr
    res = cli("config", "describe-rules", "--name", "trail")
    assert res.exit_code == 1 and "NoSuchConfigRuleException" in res.stderr
    assert [r["ConfigRuleName"] for r in cli.json("config", "describe-rules")["ConfigRules"]] == ["retention"]


def test_history_of_unknown_resource(backend_cli: Cli) -> None:
    res = backend_cli("config", "history", "--resource-type", "AWS::SNS::Topic", "--resource-id",
                      "arn:aws:sns:us-east-1:123456789012:nothing")  # fmt: skip
    assert res.exit_code == 1 and "ResourceNotDiscoveredException" in res.stderr
