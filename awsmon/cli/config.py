"""awsmon config: AWS Config: configuration items and rule compliance."""

import typer

from awsmon.cli._common import (
    ATHENA_CATALOG,
    ATHENA_DATABASE,
    ATHENA_OUTPUT,
    ATHENA_WORKGROUP,
    QUERY_MAX_RESULTS,
    QUERY_MAX_WAIT,
    app_ctx,
    group,
    renderer,
    split_values,
)
from awsmon.output import Column

app = group(
    "config",
    "AWS Config: configuration items and rule compliance.\n\n"
    "On the local backend the recorder turns every successful change to a log group, trail, metric alarm, SNS "
    "topic or EventBridge rule (read from the CloudTrail event history) into a configuration item; managed rules "
    "are evaluated on "
    "changes and periodically as the simulated clock moves.\n\n"
    "Examples:\n\n"
    "  awsmon config put-configuration-recorder --all-supported\n\n"
    "  awsmon config put-delivery-channel --s3-bucket-name config-bucket && awsmon config start-recording\n\n"
    "  awsmon config put-rule --config-rule-name retention --source-identifier CW_LOGGROUP_RETENTION_PERIOD_CHECK "
    "--parameter MinRetentionTime=30\n\n"
    "  awsmon config check   # exit 3 when a rule has NON_COMPLIANT results",
)

RESOURCE_TYPE_HELP = ("Resource type: AWS::Logs::LogGroup, AWS::CloudTrail::Trail, AWS::CloudWatch::Alarm, AWS::SNS::Topic, "
                      "AWS::Events::Rule, ...")
_CI_COLUMNS = [Column("configurationItemCaptureTime"), Column("configurationItemStatus"), Column("resourceType"),
               Column("resourceId"), Column("configurationStateId"), Column("relatedEvents")]  # fmt: skip
_RULE_COLUMNS = [Column("ConfigRuleName"), Column("SourceIdentifier", "Source.SourceIdentifier"),
                 Column("MaximumExecutionFrequency"), Column("InputParameters"), Column("ConfigRuleState")]  # fmt: skip
_RESULT_COLUMNS = [Column("ConfigRuleName", "EvaluationResultIdentifier.EvaluationResultQualifier.ConfigRuleName"),
                   Column("ResourceType", "EvaluationResultIdentifier.EvaluationResultQualifier.ResourceType"),
                   Column("ResourceId", "EvaluationResultIdentifier.EvaluationResultQualifier.ResourceId"),
                   Column("ComplianceType"), Column("ResultRecordedTime"), Column("Annotation")]  # fmt: skip


def _alias(name: str, fn: object) -> None:
    """aws-cli's full operation name as a hidden alias (``start-configuration-recorder`` for ``start-recording``)."""
    app.command(name, hidden=True)(fn)  # type: ignore[arg-type]


# -- recorder --------------------------------------------------------------------------------------------------------


@app.command("put-configuration-recorder")
def put_configuration_recorder(
    ctx: typer.Context,
    configuration_recorder: str | None = typer.Option(None, "--configuration-recorder", help="name=NAME,roleARN=ARN (shorthand) or JSON / file://PATH."),
    recording_group: str | None = typer.Option(None, "--recording-group", help="allSupported=true,includeGlobalResourceTypes=false or resourceTypes=[AWS::Logs::LogGroup,...] or JSON."),
    name: str | None = typer.Option(None, "--name", "--configuration-recorder-name", help="Recorder name (default: default)."),
    role_arn: str | None = typer.Option(None, "--role-arn", help="IAM role Config assumes (default: the AWSServiceRoleForConfig role)."),
    resource_types: list[str] | None = typer.Option(None, "--resource-types", help="Record only these types (repeatable or comma-separated)."),
    all_supported: bool = typer.Option(False, "--all-supported", help="Record every supported type (the default)."),
    include_global: bool | None = typer.Option(None, "--include-global-resource-types/--no-include-global-resource-types", help="Also record global types (IAM)."),
) -> None:
    """Create or update the configuration recorder (PutConfigurationRecorder); prints the recorder.

    Example: awsmon config put-configuration-recorder --resource-types AWS::Logs::LogGroup,AWS::CloudTrail::Trail
    """
    from awsmon.errors import UsageError
    from awsmon.services.config import put_recorder

    types = split_values(resource_types)
    if all_supported and types:
        raise UsageError("--all-supported and --resource-types cannot be combined")
    group_text = recording_group if recording_group or types else ("allSupported=true" if all_supported else None)
    data = put_recorder(app_ctx(ctx), recorder=configuration_recorder, recording_group=group_text, name=name,
                        role_arn=role_arn, resource_types=types, include_global=include_global)  # fmt: skip
    renderer(ctx).render(data, rows_key="ConfigurationRecorders",
                         columns=[Column("name"), Column("roleARN"), Column("recordingGroup")])  # fmt: skip


@app.command("describe-configuration-recorders")
def describe_configuration_recorders(
    ctx: typer.Context,
    names: list[str] | None = typer.Option(None, "--configuration-recorder-names", "--name", help="Recorder names (repeatable)."),
) -> None:
    """Show the configuration recorder and what it records (DescribeConfigurationRecorders).

    Example: awsmon config describe-configuration-recorders -o json
    """
    from awsmon.services.config import describe_recorders

    renderer(ctx).render(describe_recorders(app_ctx(ctx), split_values(names)), rows_key="ConfigurationRecorders",
                         columns=[Column("name"), Column("roleARN"), Column("recordingGroup")])  # fmt: skip


_STATUS_COLUMNS = [Column("name"), Column("recording"), Column("lastStatus"), Column("lastStartTime"),
                   Column("lastStopTime")]  # fmt: skip


@app.command("describe-recorder-status")
def describe_recorder_status(
    ctx: typer.Context,
    names: list[str] | None = typer.Option(None, "--configuration-recorder-names", "--name", help="Recorder names (repeatable)."),
) -> None:
    """Whether the recorder is recording, and since when (DescribeConfigurationRecorderStatus).

    Example: awsmon config describe-recorder-status
    """
    from awsmon.services.config import recorder_status

    renderer(ctx).render(recorder_status(app_ctx(ctx), split_values(names)), rows_key="ConfigurationRecordersStatus",
                         columns=_STATUS_COLUMNS)  # fmt: skip


_alias("describe-configuration-recorder-status", describe_recorder_status)


@app.command("delete-configuration-recorder")
def delete_configuration_recorder(
    ctx: typer.Context,
    name: str = typer.Option(..., "--configuration-recorder-name", "--name", help="Recorder name."),
) -> None:
    """Delete the configuration recorder (its configuration items stay) (DeleteConfigurationRecorder).

    Example: awsmon config delete-configuration-recorder --name default
    """
    from awsmon.services.config import delete_recorder

    renderer(ctx).render(delete_recorder(app_ctx(ctx), name))


@app.command("start-recording")
def start_recording(
    ctx: typer.Context,
    name: str = typer.Option("default", "--configuration-recorder-name", "--name", help="Recorder name."),
) -> None:
    """Start recording configuration changes (StartConfigurationRecorder; needs a delivery channel).

    Example: awsmon config start-recording
    """
    from awsmon.services.config import start_recording as svc

    renderer(ctx).render(svc(app_ctx(ctx), name), rows_key="ConfigurationRecordersStatus", columns=_STATUS_COLUMNS)


_alias("start-configuration-recorder", start_recording)


@app.command("stop-recording")
def stop_recording(
    ctx: typer.Context,
    name: str = typer.Option("default", "--configuration-recorder-name", "--name", help="Recorder name."),
) -> None:
    """Stop recording configuration changes (StopConfigurationRecorder).

    Example: awsmon config stop-recording
    """
    from awsmon.services.config import stop_recording as svc

    renderer(ctx).render(svc(app_ctx(ctx), name), rows_key="ConfigurationRecordersStatus", columns=_STATUS_COLUMNS)


_alias("stop-configuration-recorder", stop_recording)


# -- delivery channel ------------------------------------------------------------------------------------------------


@app.command("put-delivery-channel")
def put_delivery_channel(
    ctx: typer.Context,
    delivery_channel: str | None = typer.Option(None, "--delivery-channel", help="name=N,s3BucketName=B,... shorthand or JSON / file://PATH."),
    name: str | None = typer.Option(None, "--name", "--delivery-channel-name", help="Channel name (default: default)."),
    s3_bucket_name: str | None = typer.Option(None, "--s3-bucket-name", help="Bucket for configuration snapshots and history."),
    s3_key_prefix: str | None = typer.Option(None, "--s3-key-prefix", help="Key prefix in the bucket."),
    sns_topic_arn: str | None = typer.Option(None, "--sns-topic-arn", help="Topic for configuration change notifications."),
    frequency: str | None = typer.Option(None, "--delivery-frequency", help="Snapshot frequency: One_Hour ... TwentyFour_Hours."),
) -> None:
    """Create or update the delivery channel the recorder needs (PutDeliveryChannel).

    Example: awsmon config put-delivery-channel --s3-bucket-name my-config-bucket
    """
    from awsmon.services.config import put_channel

    data = put_channel(app_ctx(ctx), channel=delivery_channel, name=name, s3_bucket_name=s3_bucket_name,
                       s3_key_prefix=s3_key_prefix, sns_topic_arn=sns_topic_arn, frequency=frequency)  # fmt: skip
    renderer(ctx).render(data, rows_key="DeliveryChannels")


@app.command("describe-delivery-channels")
def describe_delivery_channels(
    ctx: typer.Context,
    names: list[str] | None = typer.Option(None, "--delivery-channel-names", "--name", help="Channel names (repeatable)."),
) -> None:
    """List delivery channels (DescribeDeliveryChannels).

    Example: awsmon config describe-delivery-channels
    """
    from awsmon.services.config import describe_channels

    renderer(ctx).render(describe_channels(app_ctx(ctx), split_values(names)), rows_key="DeliveryChannels")


@app.command("delete-delivery-channel")
def delete_delivery_channel(
    ctx: typer.Context,
    name: str = typer.Option(..., "--delivery-channel-name", "--name", help="Channel name."),
) -> None:
    """Delete the delivery channel (refused while the recorder runs) (DeleteDeliveryChannel).

    Example: awsmon config delete-delivery-channel --name default
    """
    from awsmon.services.config import delete_channel

    renderer(ctx).render(delete_channel(app_ctx(ctx), name))


@app.command("deliver-config-snapshot")
def deliver_config_snapshot(
    ctx: typer.Context,
    name: str = typer.Option("default", "--delivery-channel-name", "--name", help="Channel name."),
) -> None:
    """Deliver a configuration snapshot to the channel's bucket (DeliverConfigSnapshot).

    Example: awsmon config deliver-config-snapshot --delivery-channel-name default
    """
    from awsmon.services.config import deliver_snapshot

    renderer(ctx).render(deliver_snapshot(app_ctx(ctx), name))


@app.command("describe-delivery-channel-status")
def describe_delivery_channel_status(
    ctx: typer.Context,
    names: list[str] | None = typer.Option(None, "--delivery-channel-names", "--name", help="Channel names (repeatable)."),
) -> None:
    """Last snapshot, history and notification delivery of each channel (DescribeDeliveryChannelStatus).

    Example: awsmon config describe-delivery-channel-status
    """
    from awsmon.services.config import channel_status

    renderer(ctx).render(channel_status(app_ctx(ctx), split_values(names)), rows_key="DeliveryChannelsStatus",
                         columns=[Column("name"), Column("snapshot", "configSnapshotDeliveryInfo.lastStatus"),
                                  Column("lastSnapshot", "configSnapshotDeliveryInfo.lastSuccessfulTime"),
                                  Column("history", "configHistoryDeliveryInfo.lastStatus"),
                                  Column("lastHistory", "configHistoryDeliveryInfo.lastSuccessfulTime"),
                                  Column("nextHistory", "configHistoryDeliveryInfo.nextDeliveryTime"),
                                  Column("stream", "configStreamDeliveryInfo.lastStatus")])  # fmt: skip


# -- configuration items ---------------------------------------------------------------------------------------------


@app.command("history")
def history(
    ctx: typer.Context,
    resource_type: str = typer.Option(..., "--resource-type", help=RESOURCE_TYPE_HELP),
    resource_id: str = typer.Option(..., "--resource-id", help="Resource id (log group name, trail name, alarm name, topic ARN)."),
    later_time: str | None = typer.Option(None, "--later-time", "--later", "--end", help="Newest capture time (any time form)."),
    earlier_time: str | None = typer.Option(None, "--earlier-time", "--earlier", "--start", help="Oldest capture time."),
    order: str | None = typer.Option(None, "--chronological-order", "--order", help="Reverse (newest first, the default) or Forward."),
    limit: int | None = typer.Option(None, "--limit", help="Items per page, 1-100 (default 10)."),
    next_token: str | None = typer.Option(None, "--next-token", help="Return one page from this token (\"\" for the first page; otherwise every page is followed)."),
) -> None:
    """Configuration items of one resource over time (GetResourceConfigHistory; pages are followed).

    Example: awsmon config history --resource-type AWS::Logs::LogGroup --resource-id /app/web --order Forward
    """
    from awsmon.services.config import history as svc

    data = svc(app_ctx(ctx), resource_type, resource_id, later=later_time, earlier=earlier_time, order=order,
               limit=limit, next_token=next_token)  # fmt: skip
    renderer(ctx).render(data, rows_key="configurationItems", columns=_CI_COLUMNS)


_alias("get-resource-config-history", history)


@app.command("list-discovered-resources")
def list_discovered_resources(
    ctx: typer.Context,
    resource_type: str = typer.Option(..., "--resource-type", help=RESOURCE_TYPE_HELP),
    resource_ids: list[str] | None = typer.Option(None, "--resource-ids", help="Only these ids (repeatable, at most 20)."),
    resource_name: str | None = typer.Option(None, "--resource-name", help="Only resources with this name."),
    include_deleted: bool = typer.Option(False, "--include-deleted-resources", help="Also list deleted resources."),
    limit: int | None = typer.Option(None, "--limit", help="Items per page, 1-100."),
    next_token: str | None = typer.Option(None, "--next-token", help="Return one page from this token."),
) -> None:
    """Resources of a type the recorder has discovered (ListDiscoveredResources).

    Example: awsmon config list-discovered-resources --resource-type AWS::CloudWatch::Alarm
    """
    from awsmon.services.config import list_resources

    data = list_resources(app_ctx(ctx), resource_type, resource_ids=split_values(resource_ids),
                          resource_name=resource_name, include_deleted=include_deleted, limit=limit,
                          next_token=next_token)  # fmt: skip
    renderer(ctx).render(data, rows_key="resourceIdentifiers",
                         columns=[Column("resourceType"), Column("resourceId"), Column("resourceName"),
                                  Column("resourceDeletionTime")])  # fmt: skip


@app.command("get-resource")
def get_resource(
    ctx: typer.Context,
    resource_type: str | None = typer.Option(None, "--resource-type", help=RESOURCE_TYPE_HELP),
    resource_id: str | None = typer.Option(None, "--resource-id", help="Resource id."),
    resource_keys: list[str] | None = typer.Option(None, "--resource-keys", help="resourceType=T,resourceId=ID (repeatable)."),
) -> None:
    """The current configuration item of resources (BatchGetResourceConfig).

    Example: awsmon config get-resource --resource-type AWS::Logs::LogGroup --resource-id /app/web -o json
    """
    from awsmon.cli._common import parse_key_values
    from awsmon.services.config import get_resources

    keys: list[tuple[str, str]] = []
    if resource_type or resource_id:
        keys.append((resource_type or "", resource_id or ""))
    for text in resource_keys or []:
        kv = parse_key_values(text, "--resource-keys")
        keys.append((kv.get("resourceType", ""), kv.get("resourceId", "")))
    renderer(ctx).render(get_resources(app_ctx(ctx), keys), rows_key="baseConfigurationItems",
                         columns=[Column("resourceType"), Column("resourceId"), Column("configurationItemStatus"),
                                  Column("configurationItemCaptureTime"), Column("configuration")])  # fmt: skip


_alias("batch-get-resource-config", get_resource)


# -- rules -----------------------------------------------------------------------------------------------------------


@app.command("put-rule")
def put_rule(
    ctx: typer.Context,
    config_rule: str | None = typer.Option(None, "--config-rule", help="The whole ConfigRule as JSON / file://PATH."),
    name: str | None = typer.Option(None, "--config-rule-name", "--name", help="Rule name."),
    source_identifier: str | None = typer.Option(None, "--source-identifier", help="Managed rule identifier, e.g. CW_LOGGROUP_RETENTION_PERIOD_CHECK."),
    input_parameters: str | None = typer.Option(None, "--input-parameters", help="Rule parameters as a JSON object."),
    parameters: list[str] | None = typer.Option(None, "--parameter", help="One parameter Name=Value (repeatable)."),
    resource_types: list[str] | None = typer.Option(None, "--compliance-resource-types", "--resource-types", help="Scope: resource types (repeatable or comma-separated)."),
    resource_id: str | None = typer.Option(None, "--compliance-resource-id", help="Scope: one resource id."),
    tag_key: str | None = typer.Option(None, "--tag-key", help="Scope: resources with this tag key."),
    tag_value: str | None = typer.Option(None, "--tag-value", help="Scope: ... and this tag value."),
    frequency: str | None = typer.Option(None, "--maximum-execution-frequency", "--frequency", help="Periodic rules: One_Hour, Three_Hours, Six_Hours, Twelve_Hours or TwentyFour_Hours."),
    description: str | None = typer.Option(None, "--description", help="Description."),
) -> None:
    """Create or update an AWS managed Config rule (PutConfigRule); it is evaluated at once.

    Example: awsmon config put-rule --config-rule-name retention --source-identifier CW_LOGGROUP_RETENTION_PERIOD_CHECK --input-parameters '{"MinRetentionTime":"30"}'
    """
    from awsmon.services.config import put_rule as svc

    data = svc(app_ctx(ctx), config_rule=config_rule, name=name, source_identifier=source_identifier,
               input_parameters=input_parameters, parameters=parameters or [], resource_types=split_values(resource_types),
               resource_id=resource_id, tag_key=tag_key, tag_value=tag_value, frequency=frequency,
               description=description)  # fmt: skip
    renderer(ctx).render(data, rows_key="ConfigRules", columns=_RULE_COLUMNS)


_alias("put-config-rule", put_rule)


@app.command("describe-rules")
def describe_rules(
    ctx: typer.Context,
    names: list[str] | None = typer.Option(None, "--config-rule-names", "--name", help="Rule names (repeatable)."),
) -> None:
    """List Config rules (DescribeConfigRules).

    Example: awsmon config describe-rules -o json
    """
    from awsmon.services.config import describe_rules as svc

    renderer(ctx).render(svc(app_ctx(ctx), split_values(names)), rows_key="ConfigRules", columns=_RULE_COLUMNS)


_alias("describe-config-rules", describe_rules)


@app.command("delete-rule")
def delete_rule(
    ctx: typer.Context,
    name: str = typer.Option(..., "--config-rule-name", "--name", help="Rule name."),
) -> None:
    """Delete a Config rule and its evaluation results (DeleteConfigRule).

    Example: awsmon config delete-rule --name retention
    """
    from awsmon.services.config import delete_rule as svc

    renderer(ctx).render(svc(app_ctx(ctx), name))


_alias("delete-config-rule", delete_rule)


@app.command("start-evaluation")
def start_evaluation(
    ctx: typer.Context,
    names: list[str] | None = typer.Option(None, "--config-rule-names", "--name", help="Rules to evaluate (default: all)."),
) -> None:
    """Evaluate rules now (StartConfigRulesEvaluation).

    Example: awsmon config start-evaluation --name retention
    """
    from awsmon.services.config import start_evaluation as svc

    renderer(ctx).render(svc(app_ctx(ctx), split_values(names)))


_alias("start-config-rules-evaluation", start_evaluation)


@app.command("describe-rule-status")
def describe_rule_status(
    ctx: typer.Context,
    names: list[str] | None = typer.Option(None, "--config-rule-names", "--name", help="Rule names (repeatable)."),
) -> None:
    """When each rule was activated and last evaluated (DescribeConfigRuleEvaluationStatus).

    Example: awsmon config describe-rule-status
    """
    from awsmon.services.config import rule_status

    renderer(ctx).render(rule_status(app_ctx(ctx), split_values(names)), rows_key="ConfigRulesEvaluationStatus",
                         columns=[Column("ConfigRuleName"), Column("FirstActivatedTime"),
                                  Column("LastSuccessfulEvaluationTime")])  # fmt: skip


_alias("describe-config-rule-evaluation-status", describe_rule_status)


@app.command("describe-compliance")
def describe_compliance(
    ctx: typer.Context,
    names: list[str] | None = typer.Option(None, "--config-rule-names", "--name", help="Rules (repeatable; default all)."),
    compliance_types: list[str] | None = typer.Option(None, "--compliance-types", help="COMPLIANT, NON_COMPLIANT, INSUFFICIENT_DATA."),
    by_resource: bool = typer.Option(False, "--by-resource", help="Per resource (DescribeComplianceByResource) instead of per rule."),
    resource_type: str | None = typer.Option(None, "--resource-type", help="Per resource, of this type (implies --by-resource)."),
    resource_id: str | None = typer.Option(None, "--resource-id", help="Per resource, this one (implies --by-resource)."),
) -> None:
    """Compliance per rule (DescribeComplianceByConfigRule) or per resource (DescribeComplianceByResource).

    Example: awsmon config describe-compliance --compliance-types NON_COMPLIANT
    """
    from awsmon.services.config import compliance_by_resource, compliance_by_rule

    actx = app_ctx(ctx)
    types = split_values(compliance_types)
    if by_resource or resource_type or resource_id:
        renderer(ctx).render(compliance_by_resource(actx, resource_type, resource_id, types), rows_key="ComplianceByResources",
                             columns=[Column("ResourceType"), Column("ResourceId"),
                                      Column("ComplianceType", "Compliance.ComplianceType"),
                                      Column("NonCompliantRules", "Compliance.ComplianceContributorCount.CappedCount")])  # fmt: skip
        return
    renderer(ctx).render(compliance_by_rule(actx, split_values(names), types), rows_key="ComplianceByConfigRules",
                         columns=[Column("ConfigRuleName"), Column("ComplianceType", "Compliance.ComplianceType"),
                                  Column("NonCompliantResources", "Compliance.ComplianceContributorCount.CappedCount")])  # fmt: skip


@app.command("get-compliance-details")
def get_compliance_details(
    ctx: typer.Context,
    name: str | None = typer.Option(None, "--config-rule-name", "--name", help="Rule name (GetComplianceDetailsByConfigRule)."),
    resource_type: str | None = typer.Option(None, "--resource-type", help="Or one resource's results across rules: its type ..."),
    resource_id: str | None = typer.Option(None, "--resource-id", help="... and id (GetComplianceDetailsByResource)."),
    compliance_types: list[str] | None = typer.Option(None, "--compliance-types", help="COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE (default: the first two)."),
    limit: int | None = typer.Option(None, "--limit", help="Results per page, 1-100."),
    next_token: str | None = typer.Option(None, "--next-token", help="Return one page from this token."),
) -> None:
    """Evaluation results of a rule, or of a resource, with annotations.

    Example: awsmon config get-compliance-details --name retention --compliance-types NON_COMPLIANT
    """
    from awsmon.services.config import compliance_details

    data = compliance_details(app_ctx(ctx), rule=name, resource_type=resource_type, resource_id=resource_id,
                              types=split_values(compliance_types), limit=limit, next_token=next_token)  # fmt: skip
    renderer(ctx).render(data, rows_key="EvaluationResults", columns=_RESULT_COLUMNS)


@app.command("check")
def check(
    ctx: typer.Context,
    rules: list[str] | None = typer.Option(None, "--rule", "--config-rule-names", help="Rules to check (repeatable; default all)."),
    aggregator: str | None = typer.Option(None, "--aggregator", help="Check every rule of every source of this aggregator."),
    fail_on: list[str] | None = typer.Option(None, "--fail-on", help="Compliance types that fail the check with --aggregator "
                                             "(default NON_COMPLIANT; also INSUFFICIENT_DATA)."),
) -> None:
    """CI gate: one line per rule; exit 3 when any selected rule has NON_COMPLIANT results.

    Example: awsmon config check --aggregator org-wide --fail-on NON_COMPLIANT || echo "non-compliant resources"
    """
    from awsmon.errors import CheckFailed
    from awsmon.output import info
    from awsmon.services.config import check as svc
    from awsmon.services.config import check_aggregate

    if aggregator:
        data = check_aggregate(app_ctx(ctx), aggregator, split_values(fail_on) or ["NON_COMPLIANT"])
        for src in data["UnavailableSources"]:
            info(app_ctx(ctx), f"awsmon: source {src} of aggregator {aggregator} is not authorized: not checked")
    elif fail_on:
        from awsmon.errors import UsageError

        raise UsageError("--fail-on goes with --aggregator")
    else:
        data = svc(app_ctx(ctx), split_values(rules))
    r = renderer(ctx)
    if r.ctx.query or r.fmt != "table":
        r.render(data, rows_key="Rules", columns=[Column("ComplianceType"), Column("ConfigRuleName"), Column("Summary")])
    else:
        r.write("".join(row["Summary"] + "\n" for row in data["Rules"]))
    if data["NonCompliantRules"]:
        failing = data["NonCompliantRules"]
        raise CheckFailed(f"{len(failing)} of {data['Checked']} rules NON_COMPLIANT: {', '.join(failing)}")


# -- remediation -----------------------------------------------------------------------------------------------------
_EXEC_COLUMNS = [Column("resourceType", "ResourceKey.resourceType"), Column("resourceId", "ResourceKey.resourceId"),
                 Column("State"), Column("InvocationTime"), Column("LastUpdatedTime")]  # fmt: skip


@app.command("put-remediation-configurations")
def put_remediation_configurations(
    ctx: typer.Context,
    configurations: str = typer.Option(..., "--remediation-configurations",
                                       help="JSON list of RemediationConfiguration (inline or file://PATH)."),
) -> None:
    """Attach Automation runbooks to rules (PutRemediationConfigurations).

    Example: awsmon config put-remediation-configurations --remediation-configurations file://remediation.json
    """
    from awsmon.services.config import put_remediations

    renderer(ctx).render(put_remediations(app_ctx(ctx), configurations), rows_key="RemediationConfigurations",
                         columns=[Column("ConfigRuleName"), Column("TargetId"), Column("Automatic"),
                                  Column("MaximumAutomaticAttempts"), Column("RetryAttemptSeconds")])  # fmt: skip


@app.command("describe-remediation-configurations")
def describe_remediation_configurations(
    ctx: typer.Context,
    names: list[str] = typer.Option(..., "--config-rule-names", help="Rule names (repeatable or comma-separated)."),
) -> None:
    """Remediation configurations of rules (DescribeRemediationConfigurations).

    Example: awsmon config describe-remediation-configurations --config-rule-names restricted-ssh
    """
    from awsmon.services.config import describe_remediations

    renderer(ctx).render(describe_remediations(app_ctx(ctx), split_values(names) or []), rows_key="RemediationConfigurations",
                         columns=[Column("ConfigRuleName"), Column("TargetId"), Column("Automatic")])  # fmt: skip


@app.command("delete-remediation-configuration")
def delete_remediation_configuration(
    ctx: typer.Context,
    name: str = typer.Option(..., "--config-rule-name", help="Rule name."),
    resource_type: str | None = typer.Option(None, "--resource-type", help="Resource type of the configuration."),
) -> None:
    """Remove a rule's remediation configuration (DeleteRemediationConfiguration).

    Example: awsmon config delete-remediation-configuration --config-rule-name restricted-ssh
    """
    from awsmon.services.config import delete_remediation

    renderer(ctx).render(delete_remediation(app_ctx(ctx), name, resource_type))


@app.command("start-remediation-execution")
def start_remediation_execution(
    ctx: typer.Context,
    name: str = typer.Option(..., "--config-rule-name", help="Rule name."),
    keys: list[str] = typer.Option(..., "--resource-keys",
                                   help="resourceType=T,resourceId=ID (repeatable) or a JSON list."),
) -> None:
    """Remediate resources now with the rule's runbook (StartRemediationExecution).

    Example: awsmon config start-remediation-execution --config-rule-name versioning --resource-keys resourceType=AWS::S3::Bucket,resourceId=my-bucket
    """
    from awsmon.services.config import start_remediation

    renderer(ctx).render(start_remediation(app_ctx(ctx), name, keys), rows_key="FailedItems")


@app.command("describe-remediation-execution-status")
def describe_remediation_execution_status(
    ctx: typer.Context,
    name: str = typer.Option(..., "--config-rule-name", help="Rule name."),
    keys: list[str] | None = typer.Option(None, "--resource-keys", help="Only these resources (as for start-remediation-execution)."),
) -> None:
    """State and steps of each resource's last remediation (DescribeRemediationExecutionStatus).

    Example: awsmon config describe-remediation-execution-status --config-rule-name versioning
    """
    from awsmon.services.config import remediation_status

    renderer(ctx).render(remediation_status(app_ctx(ctx), name, keys or []), rows_key="RemediationExecutionStatuses",
                         columns=_EXEC_COLUMNS)


# -- conformance packs -----------------------------------------------------------------------------------------------


@app.command("put-conformance-pack")
def put_conformance_pack(
    ctx: typer.Context,
    name: str = typer.Option(..., "--conformance-pack-name", help="Pack name."),
    template_body: str | None = typer.Option(None, "--template-body", help="Template YAML/JSON, inline or file://PATH."),
    template_s3_uri: str | None = typer.Option(None, "--template-s3-uri", help="s3://BUCKET/KEY of the template."),
    sample: str | None = typer.Option(None, "--sample", help="A sample pack shipped with awsmon: "
                                      "operational-best-practices-for-cis-aws-foundations, "
                                      "operational-best-practices-for-amazon-s3-and-ec2."),
    parameters: list[str] | None = typer.Option(None, "--conformance-pack-input-parameters",
                                                help="ParameterName=Value (repeatable)."),
    delivery_bucket: str | None = typer.Option(None, "--delivery-s3-bucket", help="Bucket for the pack's results."),
) -> None:
    """Deploy a conformance pack: the template's Config rules (PutConformancePack).

    Example: awsmon config put-conformance-pack --conformance-pack-name cis --sample operational-best-practices-for-cis-aws-foundations
    """
    from awsmon.services.config import put_pack

    renderer(ctx).render(put_pack(app_ctx(ctx), name, template_body=template_body, template_s3_uri=template_s3_uri,
                                  sample=sample, parameters=parameters or [], delivery_bucket=delivery_bucket))  # fmt: skip


_SAMPLE_HELP = ("A sample pack shipped with awsmon: operational-best-practices-for-cis-aws-foundations, "
                "operational-best-practices-for-amazon-s3-and-ec2.")
_ORG_PACK = typer.Option(..., "--organization-conformance-pack-name", help="Organization pack name.")
_ORG_PACK_NAMES = typer.Option(None, "--organization-conformance-pack-names", help="Pack names (repeatable).")
_ORG_PACK_COLUMNS = [Column("OrganizationConformancePackName"), Column("Status"), Column("ErrorCode"),
                     Column("ErrorMessage"), Column("LastUpdateTime")]  # fmt: skip


@app.command("put-organization-conformance-pack")
def put_organization_conformance_pack(
    ctx: typer.Context,
    name: str = _ORG_PACK,
    template_body: str | None = typer.Option(None, "--template-body", help="Template YAML/JSON, inline or file://PATH."),
    template_s3_uri: str | None = typer.Option(None, "--template-s3-uri", help="s3://BUCKET/KEY of the template."),
    sample: str | None = typer.Option(None, "--sample", help=_SAMPLE_HELP),
    parameters: list[str] | None = typer.Option(None, "--conformance-pack-input-parameters", help="ParameterName=Value (repeatable)."),
    delivery_bucket: str | None = typer.Option(None, "--delivery-s3-bucket", help="Bucket for the pack's results."),
    delivery_prefix: str | None = typer.Option(None, "--delivery-s3-key-prefix", help="Key prefix in that bucket."),
    excluded: list[str] | None = typer.Option(None, "--excluded-accounts", help="Accounts to leave out (repeatable or comma-separated)."),
) -> None:
    """Deploy a conformance pack into every account of the organization (PutOrganizationConformancePack).

    Example: awsmon config put-organization-conformance-pack --organization-conformance-pack-name cis --sample operational-best-practices-for-cis-aws-foundations
    """
    from awsmon.services.config import put_org_pack

    renderer(ctx).render(put_org_pack(app_ctx(ctx), name, template_body=template_body, template_s3_uri=template_s3_uri,
                                      sample=sample, parameters=parameters or [], delivery_bucket=delivery_bucket,
                                      delivery_prefix=delivery_prefix, excluded=split_values(excluded)))  # fmt: skip


@app.command("describe-organization-conformance-packs")
def describe_organization_conformance_packs(
    ctx: typer.Context,
    names: list[str] | None = _ORG_PACK_NAMES,
) -> None:
    """Organization conformance packs (DescribeOrganizationConformancePacks; management account).

    Example: awsmon config describe-organization-conformance-packs
    """
    from awsmon.services.config import describe_org_packs

    renderer(ctx).render(describe_org_packs(app_ctx(ctx), split_values(names)), rows_key="OrganizationConformancePacks",
                         columns=[Column("OrganizationConformancePackName"), Column("ExcludedAccounts"),
                                  Column("LastUpdateTime")])  # fmt: skip


@app.command("describe-organization-conformance-pack-statuses")
def describe_organization_conformance_pack_statuses(
    ctx: typer.Context,
    names: list[str] | None = _ORG_PACK_NAMES,
) -> None:
    """Deployment status of organization conformance packs (DescribeOrganizationConformancePackStatuses).

    Example: awsmon config describe-organization-conformance-pack-statuses
    """
    from awsmon.services.config import org_pack_statuses

    renderer(ctx).render(org_pack_statuses(app_ctx(ctx), split_values(names)),
                         rows_key="OrganizationConformancePackStatuses", columns=_ORG_PACK_COLUMNS)  # fmt: skip


@app.command("get-organization-conformance-pack-detailed-status")
def get_organization_conformance_pack_detailed_status(
    ctx: typer.Context,
    name: str = _ORG_PACK,
    account: str | None = typer.Option(None, "--account-id", help="Only this member account."),
    status: str | None = typer.Option(None, "--status", help="Only this status (CREATE_SUCCESSFUL, CREATE_FAILED, ...)."),
) -> None:
    """The pack's deployment in each member account (GetOrganizationConformancePackDetailedStatus).

    Example: awsmon config get-organization-conformance-pack-detailed-status --organization-conformance-pack-name cis
    """
    from awsmon.services.config import org_pack_detailed_status

    renderer(ctx).render(org_pack_detailed_status(app_ctx(ctx), name, account=account, status=status),
                         rows_key="OrganizationConformancePackDetailedStatuses",
                         columns=[Column("AccountId"), Column("ConformancePackName"), Column("Status"),
                                  Column("ErrorCode"), Column("ErrorMessage")])  # fmt: skip


@app.command("delete-organization-conformance-pack")
def delete_organization_conformance_pack(ctx: typer.Context, name: str = _ORG_PACK) -> None:
    """Delete an organization conformance pack from every member account (DeleteOrganizationConformancePack).

    Example: awsmon config delete-organization-conformance-pack --organization-conformance-pack-name cis
    """
    from awsmon.services.config import delete_org_pack

    renderer(ctx).render(delete_org_pack(app_ctx(ctx), name))


_ORG_RULE = typer.Option(..., "--organization-config-rule-name", help="Organization rule name.")
_ORG_RULE_NAMES = typer.Option(None, "--organization-config-rule-names", help="Rule names (repeatable).")


@app.command("put-organization-config-rule")
def put_organization_config_rule(
    ctx: typer.Context,
    name: str = _ORG_RULE,
    managed: str | None = typer.Option(None, "--organization-managed-rule-metadata", help="RuleIdentifier=ID,InputParameters=JSON,ResourceTypesScope=T1,T2,... or JSON."),
    custom_policy: str | None = typer.Option(None, "--organization-custom-policy-rule-metadata", help="JSON: PolicyRuntime guard-2.x.x, PolicyText, OrganizationConfigRuleTriggerTypes, ..."),
    custom: str | None = typer.Option(None, "--organization-custom-rule-metadata", help="JSON (Lambda rules: refused locally)."),
    excluded: list[str] | None = typer.Option(None, "--excluded-accounts", help="Accounts to leave out (repeatable or comma-separated)."),
) -> None:
    """Deploy a Config rule into every account of the organization (PutOrganizationConfigRule).

    Example: awsmon config put-organization-config-rule --organization-config-rule-name retention --organization-managed-rule-metadata RuleIdentifier=CW_LOGGROUP_RETENTION_PERIOD_CHECK
    """
    from awsmon.services.config import put_org_rule

    renderer(ctx).render(put_org_rule(app_ctx(ctx), name, managed=managed, custom_policy=custom_policy, custom=custom,
                                      excluded=split_values(excluded)))  # fmt: skip


@app.command("describe-organization-config-rules")
def describe_organization_config_rules(ctx: typer.Context, names: list[str] | None = _ORG_RULE_NAMES) -> None:
    """Organization config rules (DescribeOrganizationConfigRules; management account).

    Example: awsmon config describe-organization-config-rules
    """
    from awsmon.services.config import describe_org_rules

    renderer(ctx).render(describe_org_rules(app_ctx(ctx), split_values(names)), rows_key="OrganizationConfigRules",
                         columns=[Column("OrganizationConfigRuleName"), Column("ExcludedAccounts"),
                                  Column("LastUpdateTime")])  # fmt: skip


@app.command("describe-organization-config-rule-statuses")
def describe_organization_config_rule_statuses(ctx: typer.Context, names: list[str] | None = _ORG_RULE_NAMES) -> None:
    """Deployment status of organization config rules (DescribeOrganizationConfigRuleStatuses).

    Example: awsmon config describe-organization-config-rule-statuses
    """
    from awsmon.services.config import org_rule_statuses

    renderer(ctx).render(org_rule_statuses(app_ctx(ctx), split_values(names)), rows_key="OrganizationConfigRuleStatuses",
                         columns=[Column("OrganizationConfigRuleName"), Column("OrganizationRuleStatus"),
                                  Column("ErrorCode"), Column("ErrorMessage"), Column("LastUpdateTime")])  # fmt: skip


@app.command("get-organization-config-rule-detailed-status")
def get_organization_config_rule_detailed_status(
    ctx: typer.Context,
    name: str = _ORG_RULE,
    account: str | None = typer.Option(None, "--account-id", help="Only this member account."),
    status: str | None = typer.Option(None, "--member-account-rule-status", help="Only this status (CREATE_SUCCESSFUL, ...)."),
) -> None:
    """The rule's deployment in each member account (GetOrganizationConfigRuleDetailedStatus).

    Example: awsmon config get-organization-config-rule-detailed-status --organization-config-rule-name retention
    """
    from awsmon.services.config import org_rule_detailed_status

    renderer(ctx).render(org_rule_detailed_status(app_ctx(ctx), name, account=account, status=status),
                         rows_key="OrganizationConfigRuleDetailedStatus",
                         columns=[Column("AccountId"), Column("ConfigRuleName"), Column("MemberAccountRuleStatus"),
                                  Column("ErrorCode"), Column("ErrorMessage")])  # fmt: skip


@app.command("delete-organization-config-rule")
def delete_organization_config_rule(ctx: typer.Context, name: str = _ORG_RULE) -> None:
    """Delete an organization config rule from every member account (DeleteOrganizationConfigRule).

    Example: awsmon config delete-organization-config-rule --organization-config-rule-name retention
    """
    from awsmon.services.config import delete_org_rule

    renderer(ctx).render(delete_org_rule(app_ctx(ctx), name))


@app.command("describe-conformance-packs")
def describe_conformance_packs(
    ctx: typer.Context,
    names: list[str] | None = typer.Option(None, "--conformance-pack-names", help="Pack names (repeatable)."),
) -> None:
    """Conformance packs (DescribeConformancePacks).

    Example: awsmon config describe-conformance-packs
    """
    from awsmon.services.config import describe_packs

    renderer(ctx).render(describe_packs(app_ctx(ctx), split_values(names)), rows_key="ConformancePackDetails",
                         columns=[Column("ConformancePackName"), Column("ConformancePackId"),
                                  Column("LastUpdateRequestedTime")])  # fmt: skip


@app.command("describe-conformance-pack-compliance")
def describe_conformance_pack_compliance(
    ctx: typer.Context,
    name: str = typer.Option(..., "--conformance-pack-name", help="Pack name."),
    rules: list[str] | None = typer.Option(None, "--config-rule-names", help="Only these rules."),
    compliance_type: str | None = typer.Option(None, "--compliance-type", help="COMPLIANT, NON_COMPLIANT or INSUFFICIENT_DATA."),
) -> None:
    """Compliance of each rule of a pack (DescribeConformancePackCompliance).

    Example: awsmon config describe-conformance-pack-compliance --conformance-pack-name cis
    """
    from awsmon.services.config import pack_compliance

    renderer(ctx).render(pack_compliance(app_ctx(ctx), name, rules=split_values(rules) or [], compliance_type=compliance_type),
                         rows_key="ConformancePackRuleComplianceList",
                         columns=[Column("ConfigRuleName"), Column("ComplianceType")])  # fmt: skip


@app.command("get-conformance-pack-compliance-summary")
def get_conformance_pack_compliance_summary(
    ctx: typer.Context,
    names: list[str] | None = typer.Option(None, "--conformance-pack-names", help="Pack names (default: all)."),
) -> None:
    """One compliance status per pack (GetConformancePackComplianceSummary).

    Example: awsmon config get-conformance-pack-compliance-summary
    """
    from awsmon.services.config import pack_summary

    renderer(ctx).render(pack_summary(app_ctx(ctx), split_values(names) or []), rows_key="ConformancePackComplianceSummaryList",
                         columns=[Column("ConformancePackName"), Column("ConformancePackComplianceStatus")])  # fmt: skip


@app.command("delete-conformance-pack")
def delete_conformance_pack(
    ctx: typer.Context,
    name: str = typer.Option(..., "--conformance-pack-name", help="Pack name."),
) -> None:
    """Delete a pack and its rules (DeleteConformancePack).

    Example: awsmon config delete-conformance-pack --conformance-pack-name cis
    """
    from awsmon.services.config import delete_pack

    renderer(ctx).render(delete_pack(app_ctx(ctx), name))


# -- aggregators -----------------------------------------------------------------------------------------------------
_AGG = typer.Option(..., "--configuration-aggregator-name", help="Aggregator name.")


@app.command("put-configuration-aggregator")
def put_configuration_aggregator(
    ctx: typer.Context,
    name: str = _AGG,
    sources: str | None = typer.Option(None, "--account-aggregation-sources",
                                       help='JSON: [{"AccountIds": [...], "AwsRegions": [...]}] or AllAwsRegions (inline or file://).'),
    organization: str | None = typer.Option(None, "--organization-aggregation-source",
                                            help="RoleArn=ARN,AllAwsRegions=true (or AwsRegions=r1,r2) or JSON: every account of the organization."),
) -> None:
    """Create or update an aggregator over accounts and Regions, or the whole organization (PutConfigurationAggregator).

    Example: awsmon config put-configuration-aggregator --configuration-aggregator-name all --account-aggregation-sources '[{"AccountIds":["111111111111"],"AllAwsRegions":true}]'
    """
    from awsmon.services.config import put_aggregator

    renderer(ctx).render(put_aggregator(app_ctx(ctx), name, sources, organization))


@app.command("describe-configuration-aggregators")
def describe_configuration_aggregators(
    ctx: typer.Context,
    names: list[str] | None = typer.Option(None, "--configuration-aggregator-names", help="Aggregator names."),
) -> None:
    """Aggregators of this account and Region (DescribeConfigurationAggregators).

    Example: awsmon config describe-configuration-aggregators
    """
    from awsmon.services.config import describe_aggregators

    renderer(ctx).render(describe_aggregators(app_ctx(ctx), split_values(names)), rows_key="ConfigurationAggregators",
                         columns=[Column("ConfigurationAggregatorName"), Column("CreationTime"), Column("LastUpdatedTime")])  # fmt: skip


@app.command("delete-configuration-aggregator")
def delete_configuration_aggregator(ctx: typer.Context, name: str = _AGG) -> None:
    """Delete an aggregator (DeleteConfigurationAggregator).

    Example: awsmon config delete-configuration-aggregator --configuration-aggregator-name all
    """
    from awsmon.services.config import delete_aggregator

    renderer(ctx).render(delete_aggregator(app_ctx(ctx), name))


@app.command("describe-configuration-aggregator-sources-status")
def describe_configuration_aggregator_sources_status(ctx: typer.Context, name: str = _AGG) -> None:
    """Which sources an aggregator collects, and which lack an authorization (DescribeConfigurationAggregatorSourcesStatus).

    Example: awsmon config describe-configuration-aggregator-sources-status --configuration-aggregator-name all
    """
    from awsmon.services.config import aggregator_sources

    renderer(ctx).render(aggregator_sources(app_ctx(ctx), name), rows_key="AggregatedSourceStatusList",
                         columns=[Column("SourceId"), Column("AwsRegion"), Column("LastUpdateStatus"), Column("LastErrorCode")])  # fmt: skip


@app.command("put-aggregation-authorization")
def put_aggregation_authorization(
    ctx: typer.Context,
    account: str = typer.Option(..., "--authorized-account-id", help="The aggregator's account."),
    region: str = typer.Option(..., "--authorized-aws-region", help="The aggregator's Region."),
) -> None:
    """Let an aggregator account collect this account's data in this Region (PutAggregationAuthorization).

    Example: awsmon config put-aggregation-authorization --authorized-account-id 111111111111 --authorized-aws-region us-east-1
    """
    from awsmon.services.config import put_authorization

    renderer(ctx).render(put_authorization(app_ctx(ctx), account, region))


@app.command("describe-aggregation-authorizations")
def describe_aggregation_authorizations(ctx: typer.Context) -> None:
    """Authorizations this account gave in this Region (DescribeAggregationAuthorizations).

    Example: awsmon config describe-aggregation-authorizations
    """
    from awsmon.services.config import describe_authorizations

    renderer(ctx).render(describe_authorizations(app_ctx(ctx)), rows_key="AggregationAuthorizations",
                         columns=[Column("AuthorizedAccountId"), Column("AuthorizedAwsRegion"), Column("CreationTime")])  # fmt: skip


@app.command("delete-aggregation-authorization")
def delete_aggregation_authorization(
    ctx: typer.Context,
    account: str = typer.Option(..., "--authorized-account-id", help="The aggregator's account."),
    region: str = typer.Option(..., "--authorized-aws-region", help="The aggregator's Region."),
) -> None:
    """Withdraw an authorization (DeleteAggregationAuthorization).

    Example: awsmon config delete-aggregation-authorization --authorized-account-id 111111111111 --authorized-aws-region us-east-1
    """
    from awsmon.services.config import delete_authorization

    renderer(ctx).render(delete_authorization(app_ctx(ctx), account, region))


@app.command("describe-aggregate-compliance-by-config-rules")
def describe_aggregate_compliance_by_config_rules(
    ctx: typer.Context,
    name: str = _AGG,
    filters: str | None = typer.Option(None, "--filters", help="ConfigRuleName=..,ComplianceType=..,AccountId=..,AwsRegion=.."),
) -> None:
    """Compliance of every rule in every source account and Region (DescribeAggregateComplianceByConfigRules).

    Example: awsmon config describe-aggregate-compliance-by-config-rules --configuration-aggregator-name all
    """
    from awsmon.services.config import aggregate_by_rules

    renderer(ctx).render(aggregate_by_rules(app_ctx(ctx), name, filters), rows_key="AggregateComplianceByConfigRules",
                         columns=[Column("AccountId"), Column("AwsRegion"), Column("ConfigRuleName"),
                                  Column("ComplianceType", "Compliance.ComplianceType")])  # fmt: skip


@app.command("get-aggregate-config-rule-compliance-summary")
def get_aggregate_config_rule_compliance_summary(
    ctx: typer.Context,
    name: str = _AGG,
    group_by: str | None = typer.Option(None, "--group-by-key", help="ACCOUNT_ID or AWS_REGION."),
    filters: str | None = typer.Option(None, "--filters", help="AccountId=..,AwsRegion=.."),
) -> None:
    """Compliant and non-compliant rule counts, by account or Region (GetAggregateConfigRuleComplianceSummary).

    Example: awsmon config get-aggregate-config-rule-compliance-summary --configuration-aggregator-name all --group-by-key ACCOUNT_ID
    """
    from awsmon.services.config import aggregate_rule_summary

    renderer(ctx).render(aggregate_rule_summary(app_ctx(ctx), name, group_by, filters), rows_key="AggregateComplianceCounts",
                         columns=[Column("GroupName"),
                                  Column("Compliant", "ComplianceSummary.CompliantResourceCount.CappedCount"),
                                  Column("NonCompliant", "ComplianceSummary.NonCompliantResourceCount.CappedCount")])  # fmt: skip


@app.command("get-aggregate-discovered-resource-counts")
def get_aggregate_discovered_resource_counts(
    ctx: typer.Context,
    name: str = _AGG,
    group_by: str | None = typer.Option(None, "--group-by-key", help="RESOURCE_TYPE, ACCOUNT_ID or AWS_REGION."),
    filters: str | None = typer.Option(None, "--filters", help="ResourceType=..,AccountId=..,Region=.."),
) -> None:
    """Recorded resources across the aggregator's sources (GetAggregateDiscoveredResourceCounts).

    Example: awsmon config get-aggregate-discovered-resource-counts --configuration-aggregator-name all --group-by-key RESOURCE_TYPE
    """
    from awsmon.services.config import aggregate_resource_counts

    renderer(ctx).render(aggregate_resource_counts(app_ctx(ctx), name, group_by, filters), rows_key="GroupedResourceCounts",
                         columns=[Column("GroupName"), Column("ResourceCount")])  # fmt: skip


# -- advanced query --------------------------------------------------------------------------------------------------


def _select_columns(data: dict) -> list[Column]:
    names = [f["Name"] for f in (data.get("QueryInfo") or {}).get("SelectFields") or []]
    return [Column(n) for n in names]


@app.command("select-resource-config")
def select_resource_config(
    ctx: typer.Context,
    expression: str = typer.Argument(..., help="SELECT ... [WHERE ...] [GROUP BY ...] [ORDER BY ...] [LIMIT n]"),
    limit: int | None = typer.Option(None, "--limit", help="At most this many results."),
    next_token: str | None = typer.Option(None, "--next-token", help="One page from this token ('' = first page)."),
) -> None:
    """Query the recorded resources with AWS Config's advanced query SQL (SelectResourceConfig).

    Example: awsmon config select-resource-config "SELECT resourceType, COUNT(*) GROUP BY resourceType"
    """
    from awsmon.services.config import select

    data = select(app_ctx(ctx), expression, limit=limit, next_token=next_token)
    renderer(ctx).render(data, rows_key="Results", columns=_select_columns(data))


@app.command("select-aggregate-resource-config")
def select_aggregate_resource_config(
    ctx: typer.Context,
    expression: str = typer.Argument(..., help="SELECT ... (as for select-resource-config)"),
    aggregator: str = typer.Option(..., "--configuration-aggregator-name", help="Aggregator name."),
    limit: int | None = typer.Option(None, "--limit", help="At most this many results."),
    next_token: str | None = typer.Option(None, "--next-token", help="One page from this token ('' = first page)."),
) -> None:
    """The same SQL over every authorized source of an aggregator (SelectAggregateResourceConfig).

    Example: awsmon config select-aggregate-resource-config "SELECT accountId, COUNT(*) GROUP BY accountId" --configuration-aggregator-name all
    """
    from awsmon.services.config import select

    data = select(app_ctx(ctx), expression, aggregator=aggregator, limit=limit, next_token=next_token)
    renderer(ctx).render(data, rows_key="Results", columns=_select_columns(data))


# -- Athena's table over snapshot files (docs/config.md "Snapshots in Athena") ---------------------------------------


@app.command("query")
def query(
    ctx: typer.Context,
    sql: str = typer.Argument(..., help="Athena (Trino) SQL over aws_config_configuration_snapshot; file://PATH or - reads it."),
    engine: str = typer.Option("local", "--engine", metavar="local|athena", help="local: DuckDB over the snapshot files (default); athena: StartQueryExecution."),
    path: str | None = typer.Option(None, "--path", help="Query a folder of snapshot files (e.g. a downloaded bucket) in place."),
    s3_bucket: str | None = typer.Option(None, "--s3-bucket", help="Local bucket holding the snapshots (default: the delivery channel's)."),
    database: str | None = ATHENA_DATABASE,
    catalog: str | None = ATHENA_CATALOG,
    workgroup: str | None = ATHENA_WORKGROUP,
    output_location: str | None = ATHENA_OUTPUT,
    max_wait: float | None = QUERY_MAX_WAIT,
    max_results: int | None = QUERY_MAX_RESULTS,
) -> None:
    """SQL over delivered Config snapshots with Athena's table (aws_config_configuration_snapshot): locally or on Athena.

    Example: awsmon config query "SELECT ci.resourceType, count(*) AS n FROM aws_config_configuration_snapshot CROSS JOIN UNNEST(configurationitems) AS t(ci) WHERE dt = 'latest' GROUP BY 1"
    """
    from awsmon.cli._common import query_progress, render_query_result
    from awsmon.services.config_query import query as svc

    data = svc(app_ctx(ctx), sql, engine=engine, path=path, bucket=s3_bucket, database=database, workgroup=workgroup,
               output_location=output_location, catalog=catalog, max_wait=max_wait, max_results=max_results,
               progress=query_progress(ctx))  # fmt: skip
    render_query_result(ctx, data)


@app.command("athena-ddl")
def athena_ddl(
    ctx: typer.Context,
    s3_bucket: str = typer.Option(..., "--s3-bucket", "--s3-bucket-name", help="The delivery channel's bucket."),
    s3_prefix: str | None = typer.Option(None, "--s3-prefix", "--s3-key-prefix", help="The delivery channel's key prefix."),
    table_name: str = typer.Option("aws_config_configuration_snapshot", "--table-name"),
    add_partitions: bool = typer.Option(False, "--add-partitions", help="Also print ALTER TABLE ADD PARTITION for the snapshots in the local bucket (dt = day and 'latest')."),
) -> None:
    """Print Athena's CREATE EXTERNAL TABLE for the Config snapshots in a bucket (partitioned by accountid, dt, region).

    Example: awsmon config athena-ddl --s3-bucket config-bucket
    """
    import sys

    from awsmon.services.config_query import athena_ddl as svc

    sys.stdout.write(svc(app_ctx(ctx), bucket=s3_bucket, prefix=s3_prefix, table_name=table_name,
                         add_partitions=add_partitions))  # fmt: skip
