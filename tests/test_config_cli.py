"""awsmon config on the local account: recorder, configuration items from CloudTrail history, rules, check."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Cli

LG = "AWS::Logs::LogGroup"


def _record(cli: Cli) -> None:
    cli.ok("config", "put-configuration-recorder", "--all-supported")
    cli.ok("config", "put-delivery-channel", "--s3-bucket-name", "config-bucket")
    cli.ok("config", "start-recording")


def _history(cli: Cli, rtype: str, rid: str, *extra: str) -> list[dict[str, Any]]:
    return list(cli.json("config", "history", "--resource-type", rtype, "--resource-id", rid, *extra)["configurationItems"])


def _compliance(cli: Cli, rule: str) -> str:
    data = cli.json("config", "describe-compliance", "--name", rule)
    return str(data["ComplianceByConfigRules"][0]["Compliance"]["ComplianceType"])


def test_start_needs_recorder_and_channel(pinned: Cli) -> None:
    res = pinned("config", "start-recording")
    assert res.exit_code == 1
    assert "NoSuchConfigurationRecorderException: Cannot find configuration recorder with the specified name 'default'." in res.stderr
    pinned.ok("config", "put-configuration-recorder")
    res = pinned("config", "start-recording")
    assert res.exit_code == 1 and res.stdout == ""
    assert "NoAvailableDeliveryChannelException: Delivery channel is not available to start configuration recorder." in res.stderr
    pinned.ok("config", "put-delivery-channel", "--s3-bucket-name", "config-bucket")
    status = pinned.json("config", "start-recording")["ConfigurationRecordersStatus"][0]
    assert status["recording"] is True and status["lastStartTime"] == "2026-11-20T12:00:00Z"
    res = pinned("config", "delete-delivery-channel", "--name", "default")
    assert res.exit_code == 1 and "LastDeliveryChannelDeleteFailedException" in res.stderr
    assert pinned.json("config", "stop-recording")["ConfigurationRecordersStatus"][0]["recording"] is False
    pinned.ok("config", "delete-delivery-channel", "--name", "default")


def test_recorder_options(pinned: Cli) -> None:
    rec = pinned.json("config", "put-configuration-recorder", "--resource-types", "AWS::Logs::LogGroup,AWS::SNS::Topic")
    group = rec["ConfigurationRecorders"][0]["recordingGroup"]
    assert group["allSupported"] is False and group["resourceTypes"] == ["AWS::Logs::LogGroup", "AWS::SNS::Topic"]
    res = pinned("config", "put-configuration-recorder", "--name", "second")
    assert res.exit_code == 1 and "MaxNumberOfConfigurationRecordersExceededException" in res.stderr
    res = pinned("config", "put-configuration-recorder", "--recording-group", "allSupported=true,resourceTypes=[AWS::SNS::Topic]")
    assert res.exit_code == 2 and "InvalidRecordingGroupException: The recording group provided is not valid" in res.stderr
    res = pinned("config", "put-configuration-recorder", "--configuration-recorder", "{bad json")
    assert res.exit_code == 2 and "invalid JSON" in res.stderr
    # Only the recorded types get items.
    pinned.ok("config", "put-delivery-channel", "--s3-bucket-name", "config-bucket")
    pinned.ok("config", "start-recording")
    pinned.ok("logs", "create-group", "--name", "/only")
    pinned.ok("alarms", "put", "--alarm-name", "a1", "--namespace", "N", "--metric-name", "M", "--statistic", "Sum",
              "--period", "60", "--evaluation-periods", "1", "--threshold", "1", "--comparison-operator", "GreaterThanThreshold")  # fmt: skip
    assert [r["resourceId"] for r in pinned.json("config", "list-discovered-resources", "--resource-type", LG)["resourceIdentifiers"]] == ["/only"]
    assert pinned.json("config", "list-discovered-resources", "--resource-type", "AWS::CloudWatch::Alarm")["resourceIdentifiers"] == []


def test_discovery_updates_and_deletion(pinned: Cli) -> None:
    pinned.ok("logs", "create-group", "--name", "/before")
    _record(pinned)
    before = _history(pinned, LG, "/before")
    assert [ci["configurationItemStatus"] for ci in before] == ["ResourceDiscovered"]
    assert before[0]["relatedEvents"] == []
    pinned.ok("logs", "create-group", "--name", "/app")
    pinned.ok("logs", "create-stream", "--group", "/app", "--stream", "s")
    pinned.ok("logs", "put-events", "--group", "/app", "--stream", "s", "--message", "hello")
    pinned.ok("logs", "delete-group", "--name", "/before")
    items = _history(pinned, LG, "/app")
    assert [ci["configurationItemStatus"] for ci in items] == ["ResourceDiscovered"]  # data writes are not config changes
    ci = items[0]
    assert ci["version"] == "1.3" and ci["awsRegion"] == "us-east-1" and ci["resourceName"] == "/app"
    assert ci["arn"] == "arn:aws:logs:us-east-1:123456789012:log-group:/app"
    assert json.loads(ci["configuration"])["logGroupName"] == "/app"
    assert ci["resourceCreationTime"] == "2026-11-20T12:00:00Z"
    deleted = _history(pinned, LG, "/before")
    assert [c["configurationItemStatus"] for c in deleted] == ["ResourceDeleted", "ResourceDiscovered"]
    assert deleted[0]["configuration"] is None
    listed = pinned.json("config", "list-discovered-resources", "--resource-type", LG)["resourceIdentifiers"]
    assert [r["resourceId"] for r in listed] == ["/app"]
    listed = pinned.json("config", "list-discovered-resources", "--resource-type", LG, "--include-deleted-resources")
    assert {r["resourceId"]: r.get("resourceDeletionTime") for r in listed["resourceIdentifiers"]} == {
        "/app": None, "/before": "2026-11-20T12:00:00Z"}
    got = pinned.json("config", "get-resource", "--resource-type", LG, "--resource-id", "/app")
    assert [i["resourceId"] for i in got["baseConfigurationItems"]] == ["/app"]
    got = pinned.json("config", "get-resource", "--resource-keys", f"resourceType={LG},resourceId=/before")
    assert got["unprocessedResourceKeys"] == [{"resourceType": LG, "resourceId": "/before"}]
    res = pinned("config", "history", "--resource-type", LG, "--resource-id", "/never")
    assert res.exit_code == 1
    assert "ResourceNotDiscoveredException: Resource /never of resourceType:AWS::Logs::LogGroup is unknown or has not been discovered" in res.stderr


def test_other_resource_types(pinned: Cli) -> None:
    _record(pinned)
    pinned.ok("trail", "create", "--name", "main", "--s3-new-bucket", "trail-bucket")
    pinned.ok("trail", "start-logging", "--name", "main")
    pinned.ok("alarms", "topics", "create", "ops")
    pinned.ok("alarms", "put", "--alarm-name", "cpu", "--namespace", "N", "--metric-name", "M", "--statistic", "Sum",
              "--period", "60", "--evaluation-periods", "1", "--threshold", "1", "--comparison-operator",
              "GreaterThanThreshold")  # fmt: skip
    trail = _history(pinned, "AWS::CloudTrail::Trail", "main")
    assert [c["configurationItemStatus"] for c in trail] == ["OK", "ResourceDiscovered"]
    assert json.loads(trail[0]["supplementaryConfiguration"]["IsLogging"]) is True
    assert trail[0]["relationships"][0]["resourceName"] == "trail-bucket"
    topics = pinned.json("config", "list-discovered-resources", "--resource-type", "AWS::SNS::Topic")["resourceIdentifiers"]
    assert [t["resourceName"] for t in topics] == ["ops"]
    alarm = _history(pinned, "AWS::CloudWatch::Alarm", "cpu")
    assert "StateValue" not in json.loads(alarm[0]["configuration"])
    pinned.ok("account", "clock", "advance", "10m")  # alarm evaluations change state, not configuration
    assert len(_history(pinned, "AWS::CloudWatch::Alarm", "cpu")) == 1


def test_history_pagination_order_and_window(pinned: Cli) -> None:
    _record(pinned)
    pinned.ok("logs", "create-group", "--name", "/g")
    for days in (1, 3, 5, 7, 14, 30):
        pinned.ok("logs", "put-retention", "--group", "/g", "--days", str(days))
        pinned.ok("account", "clock", "advance", "3d")
    items = _history(pinned, LG, "/g", "--limit", "2")
    assert len(items) == 7
    times = [c["configurationItemCaptureTime"] for c in items]
    assert times == sorted(times, reverse=True)
    forward = _history(pinned, LG, "/g", "--order", "Forward")
    assert [c["configurationStateId"] for c in forward] == [c["configurationStateId"] for c in reversed(items)]
    page = pinned.json("config", "history", "--resource-type", LG, "--resource-id", "/g", "--limit", "2", "--next-token", "")
    assert len(page["configurationItems"]) == 2 and "nextToken" in page
    # One page spans at most seven days: the newest window here holds fewer items than the limit.
    first = pinned.json("config", "history", "--resource-type", LG, "--resource-id", "/g", "--limit", "100",
                        "--next-token", page["nextToken"])  # fmt: skip
    assert len(first["configurationItems"]) < 5 and first.get("nextToken")
    window = _history(pinned, LG, "/g", "--earlier-time", "2026-11-21T00:00:00Z", "--later-time", "2026-11-25T00:00:00Z")
    assert all("2026-11-21" <= c["configurationItemCaptureTime"] <= "2026-11-25" for c in window) and window
    res = pinned("config", "history", "--resource-type", LG, "--resource-id", "/g", "--limit", "101")
    assert res.exit_code == 2 and "InvalidLimitException" in res.stderr
    res = pinned("config", "history", "--resource-type", LG, "--resource-id", "/g", "--earlier-time",
                 "2026-11-25T00:00:00Z", "--later-time", "2026-11-21T00:00:00Z")  # fmt: skip
    assert res.exit_code == 2 and "InvalidTimeRangeException" in res.stderr
    res = pinned("config", "history", "--resource-type", LG, "--resource-id", "/g", "--next-token", "garbage!")
    assert res.exit_code == 2 and "InvalidNextTokenException" in res.stderr


def test_put_rule_validation(pinned: Cli) -> None:
    res = pinned("config", "put-rule", "--name", "r", "--source-identifier", "NO_SUCH_RULE")
    assert res.exit_code == 2 and "The sourceIdentifier NO_SUCH_RULE is invalid." in res.stderr
    res = pinned("config", "put-rule", "--name", "r", "--source-identifier", "CW_LOGGROUP_RETENTION_PERIOD_CHECK",
                 "--parameter", "Bogus=1")  # fmt: skip
    assert res.exit_code == 2 and "Unknown parameters provided in the inputParameters" in res.stderr
    res = pinned("config", "put-rule", "--name", "r", "--source-identifier", "CLOUDWATCH_ALARM_ACTION_CHECK",
                 "--maximum-execution-frequency", "One_Hour")  # fmt: skip
    assert res.exit_code == 2 and "A maximum execution frequency is not allowed" in res.stderr
    res = pinned("config", "put-rule", "--name", "r", "--source-identifier", "CLOUD_TRAIL_ENABLED",
                 "--maximum-execution-frequency", "Two_Hours")  # fmt: skip
    assert res.exit_code == 2 and "ValidationException" in res.stderr
    res = pinned("config", "put-rule", "--name", "r")
    assert res.exit_code == 2 and "--source-identifier" in res.stderr
    res = pinned("config", "delete-rule", "--name", "missing")
    assert res.exit_code == 1
    assert "NoSuchConfigRuleException: The ConfigRule 'missing' provided in the request is invalid." in res.stderr
    assert pinned.json("config", "describe-rules")["ConfigRules"] == []


def test_change_triggered_rule_and_check(pinned: Cli) -> None:
    _record(pinned)
    pinned.ok("alarms", "topics", "create", "ops")
    topic = "arn:aws:sns:us-east-1:123456789012:ops"
    base = ["--namespace", "N", "--metric-name", "M", "--statistic", "Sum", "--period", "60", "--evaluation-periods",
            "1", "--threshold", "1", "--comparison-operator", "GreaterThanThreshold"]  # fmt: skip
    pinned.ok("alarms", "put", "--alarm-name", "quiet", *base)
    rule = pinned.json("config", "put-rule", "--name", "actions", "--source-identifier", "CLOUDWATCH_ALARM_ACTION_CHECK",
                       "--input-parameters", '{"alarmActionRequired":"true","insufficientDataActionRequired":"false"}')
    assert rule["ConfigRules"][0]["Source"] == {"Owner": "AWS", "SourceIdentifier": "CLOUDWATCH_ALARM_ACTION_CHECK"}
    assert "MaximumExecutionFrequency" not in rule["ConfigRules"][0]
    assert _compliance(pinned, "actions") == "NON_COMPLIANT"
    res = pinned("config", "check", "-o", "table")
    assert res.exit_code == 3
    assert res.stdout == "NON_COMPLIANT     actions: 1 non-compliant of 1 evaluated (quiet)\n"
    assert "1 of 1 rules NON_COMPLIANT: actions" in res.stderr
    # Fixing the alarm is a configuration change: the rule is evaluated on the new item, no clock needed.
    pinned.ok("alarms", "put", "--alarm-name", "quiet", *base, "--alarm-actions", topic)
    assert _compliance(pinned, "actions") == "COMPLIANT"
    res = pinned("config", "check", "--rule", "actions", "-o", "table")
    assert res.exit_code == 0 and res.stdout.startswith("COMPLIANT         actions: 0 non-compliant of 1 evaluated")
    by_res = pinned.json("config", "describe-compliance", "--resource-type", "AWS::CloudWatch::Alarm")
    assert by_res["ComplianceByResources"][0]["Compliance"]["ComplianceType"] == "COMPLIANT"
    pinned.ok("config", "delete-rule", "--name", "actions")
    assert pinned.json("config", "describe-rules")["ConfigRules"] == []


def test_account_level_rule_and_start_evaluation(pinned: Cli) -> None:
    pinned.ok("config", "put-rule", "--name", "ct", "--source-identifier", "CLOUD_TRAIL_ENABLED")
    details = pinned.json("config", "get-compliance-details", "--name", "ct")["EvaluationResults"]
    q = details[0]["EvaluationResultIdentifier"]["EvaluationResultQualifier"]
    assert (q["ResourceType"], q["ResourceId"], details[0]["ComplianceType"]) == ("AWS::::Account", "123456789012", "NON_COMPLIANT")
    pinned.ok("trail", "create", "--name", "main", "--s3-new-bucket", "trail-bucket")
    pinned.ok("trail", "start-logging", "--name", "main")
    assert _compliance(pinned, "ct") == "NON_COMPLIANT"  # periodic: unchanged until evaluated again
    pinned.ok("config", "start-evaluation", "--name", "ct")
    assert _compliance(pinned, "ct") == "COMPLIANT"
    status = pinned.json("config", "describe-rule-status")["ConfigRulesEvaluationStatus"][0]
    assert status["ConfigRuleName"] == "ct" and status["FirstEvaluationStarted"] is True
    by_resource = pinned.json("config", "get-compliance-details", "--resource-type", "AWS::::Account",
                              "--resource-id", "123456789012")  # fmt: skip
    assert [r["ComplianceType"] for r in by_resource["EvaluationResults"]] == ["COMPLIANT"]
    res = pinned("config", "start-evaluation", "--name", "nope")
    assert res.exit_code == 1 and "NoSuchConfigRuleException" in res.stderr


def test_end_to_end_retention_rule_history_and_cloudtrail(pinned: Cli) -> None:
    """Recording on; a log group; the periodic retention rule follows put-retention as the clock advances;
    the history's relatedEvents are the CloudTrail eventIDs of the changes."""
    _record(pinned)
    pinned.ok("logs", "create-group", "--name", "/app/web")
    pinned.ok("config", "put-rule", "--name", "retention", "--source-identifier", "CW_LOGGROUP_RETENTION_PERIOD_CHECK",
              "--parameter", "MinRetentionTime=30")  # fmt: skip
    assert _compliance(pinned, "retention") == "COMPLIANT"  # "Never expire" is compliant on AWS
    pinned.ok("logs", "put-retention", "--group", "/app/web", "--days", "7")
    assert _compliance(pinned, "retention") == "COMPLIANT"  # periodic rule: not evaluated yet
    pinned.ok("account", "clock", "advance", "1d")
    assert _compliance(pinned, "retention") == "NON_COMPLIANT"
    res = pinned("config", "check", "--rule", "retention", "-o", "table")
    assert res.exit_code == 3 and "(/app/web)" in res.stdout
    pinned.ok("logs", "put-retention", "--group", "/app/web", "--days", "90")
    assert _compliance(pinned, "retention") == "NON_COMPLIANT"
    pinned.ok("account", "clock", "advance", "1d")
    assert _compliance(pinned, "retention") == "COMPLIANT"
    assert pinned("config", "check").exit_code == 0
    items = _history(pinned, LG, "/app/web", "--order", "Forward")
    assert [(c["configurationItemStatus"], json.loads(c["configuration"]).get("retentionInDays")) for c in items] == [
        ("ResourceDiscovered", None), ("OK", 7), ("OK", 90)]
    for ci, event_name in zip(items, ["CreateLogGroup", "PutRetentionPolicy", "PutRetentionPolicy"], strict=True):
        assert len(ci["relatedEvents"]) == 1
        events = pinned.json("trail", "lookup", "--event-id", ci["relatedEvents"][0])["Events"]
        assert [e["EventName"] for e in events] == [event_name]
        assert ci["configurationItemCaptureTime"] == events[0]["EventTime"]


def test_periodic_cost_follows_work(pinned: Cli) -> None:
    """Advancing a year runs the hourly periodic rule once, not 8760 times."""
    pinned.ok("config", "put-rule", "--name", "ct", "--source-identifier", "CLOUD_TRAIL_ENABLED",
              "--maximum-execution-frequency", "One_Hour")  # fmt: skip
    pinned.ok("account", "clock", "advance", "365d")
    status = pinned.json("config", "describe-rule-status")["ConfigRulesEvaluationStatus"][0]
    assert status["LastSuccessfulEvaluationTime"] == "2027-11-20T12:00:00Z"


def test_demo_step_is_idempotent(pinned: Cli) -> None:
    from awsmon.context import AppContext
    from awsmon.services.config import DEMO_RULES, demo_step

    for _ in range(2):
        ctx = AppContext.create(backend="local", output="json")
        try:
            tips = demo_step(ctx)
        finally:
            ctx.close()
    assert any("config check" in t for t in tips)
    rules = pinned.json("config", "describe-rules")["ConfigRules"]
    assert sorted(r["ConfigRuleName"] for r in rules) == sorted(n for n, _, _ in DEMO_RULES)
    assert pinned.json("config", "describe-recorder-status")["ConfigurationRecordersStatus"][0]["recording"] is True


@pytest.mark.parametrize("alias", ["start-configuration-recorder", "describe-config-rules", "get-resource-config-history"])
def test_aws_cli_aliases_are_hidden_but_work(pinned: Cli, alias: str) -> None:
    assert alias not in pinned.ok("config", "--help").stdout
    assert pinned("config", alias, "--help").exit_code == 0


def test_help_has_examples(cli: Cli) -> None:
    from awsmon.cli.config import app

    for command in app.registered_commands:
        assert command.callback is not None and "Example: awsmon config" in (command.callback.__doc__ or "")


def test_rule_quota(pinned: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    import awsmon.backends.local.config as local_config

    monkeypatch.setattr(local_config, "MAX_RULES", 2)
    for name in ("a", "b"):
        pinned.ok("config", "put-rule", "--name", name, "--source-identifier", "CLOUDWATCH_ALARM_DESCRIPTION")
    pinned.ok("config", "put-rule", "--name", "a", "--source-identifier", "CLOUDWATCH_ALARM_DESCRIPTION")  # update
    res = pinned("config", "put-rule", "--name", "c", "--source-identifier", "CLOUDWATCH_ALARM_DESCRIPTION")
    assert res.exit_code == 1
    assert ("MaxNumberOfConfigRulesExceededException: Failed to put config rule 'c' because the maximum number of "
            "config rules: 2 is reached.") in res.stderr


def test_reads_see_changes_made_in_the_same_process(ctx: Any) -> None:
    """Service-level callers (no command boundary, so no scheduled job run) still read what they just changed."""
    cfg, logs = ctx.client("config"), ctx.client("logs")
    cfg.put_configuration_recorder(ConfigurationRecorder={"name": "default"})
    cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "config-bucket"})
    cfg.start_configuration_recorder(ConfigurationRecorderName="default")
    logs.create_log_group(logGroupName="/same")
    items = cfg.get_resource_config_history(resourceType=LG, resourceId="/same")["configurationItems"]
    assert [i["configurationItemStatus"] for i in items] == ["ResourceDiscovered"]
    # Reads made by Config itself are not configuration changes and leave nothing pending.
    from awsmon.backends.local.config import Recorder

    assert not Recorder(ctx.store(), "us-east-1").has_pending()


def test_eventbridge_rules_are_recorded(pinned: Cli) -> None:
    _record(pinned)
    pinned.ok("rules", "put", "--name", "nightly", "--schedule-expression", "rate(1 day)")
    pinned.ok("rules", "disable", "--name", "nightly")
    items = _history(pinned, "AWS::Events::Rule", "nightly", "--order", "Forward")
    states = [json.loads(c["configuration"])["State"] for c in items]
    assert [c["configurationItemStatus"] for c in items] == ["ResourceDiscovered", "OK"] and states == ["ENABLED", "DISABLED"]
    assert items[0]["arn"] == "arn:aws:events:us-east-1:123456789012:rule/nightly"
    pinned.ok("rules", "delete", "--name", "nightly")
    assert _history(pinned, "AWS::Events::Rule", "nightly")[0]["configurationItemStatus"] == "ResourceDeleted"


def test_periodic_trail_rules_follow_trail_changes(pinned: Cli) -> None:
    pinned.ok("trail", "create", "--name", "main", "--s3-new-bucket", "trail-bucket")
    pinned.ok("config", "put-rule", "--name", "validation", "--source-identifier", "CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED",
              "--maximum-execution-frequency", "One_Hour")  # fmt: skip
    pinned.ok("config", "put-rule", "--name", "cwl", "--source-identifier", "CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED")
    details = pinned.json("config", "get-compliance-details", "--name", "validation")["EvaluationResults"]
    assert [(d["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceId"], d["ComplianceType"])
            for d in details] == [("main", "NON_COMPLIANT")]  # fmt: skip
    assert _compliance(pinned, "cwl") == "NON_COMPLIANT"
    pinned.ok("trail", "update", "--name", "main", "--enable-log-file-validation")
    pinned.ok("account", "clock", "advance", "1h")
    assert _compliance(pinned, "validation") == "COMPLIANT"
    assert _compliance(pinned, "cwl") == "NON_COMPLIANT"  # its 24-hour period has not come round yet


@pytest.mark.parametrize("rule", ['{"ConfigRuleName":"x","Source":"bad"}',
                                  '{"ConfigRuleName":"x","Source":{"Owner":"AWS","SourceIdentifier":"CLOUD_TRAIL_ENABLED"},"Scope":"s"}',
                                  '{"ConfigRuleName":"x","Source":{"Owner":"CUSTOM_POLICY"}}'])  # fmt: skip
def test_malformed_rules_are_usage_errors(pinned: Cli, rule: str) -> None:
    res = pinned("config", "put-rule", "--config-rule", rule)
    assert res.exit_code == 2 and res.stdout == "" and "Traceback" not in res.stderr
    assert res.stderr.startswith("awsmon: error: ")


def test_failed_writes_make_no_items_and_are_not_disturbed(pinned: Cli) -> None:
    _record(pinned)
    pinned.ok("logs", "create-group", "--name", "/dup")
    res = pinned("logs", "create-group", "--name", "/dup")
    assert res.exit_code != 0 and "ResourceAlreadyExistsException" in res.stderr
    # A record whose requestParameters hold NaN is not JSON to SQLite; recording must not break the call.
    res = pinned("metrics", "put", "--namespace", "N", "--metric-name", "M", "--value", "nan")
    assert res.exit_code == 2 and "unexpected" not in res.stderr
    assert [c["configurationItemStatus"] for c in _history(pinned, LG, "/dup")] == ["ResourceDiscovered"]
