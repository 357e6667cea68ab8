"""awsmon config: AWS Config: configuration items and rule compliance."""

from typing import Any

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
    service_command,
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
                 Column("MaximumExecutionFrequency", priority=3), Column("InputParameters", priority=1),
                 Column("ConfigRuleState", priority=2)]  # fmt: skip
_RESULT_COLUMNS = [Column("ConfigRuleName", "EvaluationResultIdentifier.EvaluationResultQualifier.ConfigRuleName"),
                   Column("ResourceType", "EvaluationResultIdentifier.EvaluationResultQualifier.ResourceType"),
                   Column("ResourceId", "EvaluationResultIdentifier.EvaluationResultQualifier.ResourceId"),
                   Column("ComplianceType"), Column("ResultRecordedTime"), Column("Annotation")]  # fmt: skip


def _alias(name: str, fn: object) -> None:
    """aws-cli's full operation name as a hidden alias (``start-configuration-recorder`` for ``start-recording``)."""
    app.command(name, hidden=True)(fn)  # type: ignore[arg-type]


def _command(name: str, function: str, doc: str, *params: tuple[str, Any, Any], **kw: Any) -> None:
    """A command that hands its options to one function of awsmon.services.config and renders its answer."""
    service_command(app, name, f"awsmon.services.config:{function}", doc, *params, **kw)


# -- recorder --------------------------------------------------------------------------------------------------------
_RECORDER_COLUMNS = [Column("name"), Column("roleARN"), Column("recordingGroup")]
_RECORDER_NAMES = ("names", list[str] | None,
                   typer.Option(None, "--configuration-recorder-names", "--name", help="Recorder names (repeatable)."))


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
    renderer(ctx).render(data, rows_key="ConfigurationRecorders", columns=_RECORDER_COLUMNS)


_command("describe-configuration-recorders", "describe_recorders",
         "Show the configuration recorder and what it records (DescribeConfigurationRecorders).\n\n"
         "Example: awsmon config describe-configuration-recorders -o json",
         _RECORDER_NAMES, rows_key="ConfigurationRecorders", columns=_RECORDER_COLUMNS)


_STATUS_COLUMNS = [Column("name"), Column("recording"), Column("lastStatus"), Column("lastStartTime"),
                   Column("lastStopTime")]  # fmt: skip
_RECORDER_OR_DEFAULT = ("name", str, typer.Option("default", "--configuration-recorder-name", "--name", help="Recorder name."))


_command("describe-recorder-status", "recorder_status",
         "Whether the recorder is recording, and since when (DescribeConfigurationRecorderStatus).\n\n"
         "Example: awsmon config describe-recorder-status",
         _RECORDER_NAMES, rows_key="ConfigurationRecordersStatus", columns=_STATUS_COLUMNS,
         aliases=["describe-configuration-recorder-status"])


_command("delete-configuration-recorder", "delete_recorder",
         "Delete the configuration recorder (its configuration items stay) (DeleteConfigurationRecorder).\n\n"
         "Example: awsmon config delete-configuration-recorder --name default",
         ("name", str, typer.Option(..., "--configuration-recorder-name", "--name", help="Recorder name.")))


_command("start-recording", "start_recording",
         "Start recording configuration changes (StartConfigurationRecorder; needs a delivery channel).\n\n"
         "Example: awsmon config start-recording",
         _RECORDER_OR_DEFAULT, rows_key="ConfigurationRecordersStatus", columns=_STATUS_COLUMNS,
         aliases=["start-configuration-recorder"])


_command("stop-recording", "stop_recording",
         "Stop recording configuration changes (StopConfigurationRecorder).\n\nExample: awsmon config stop-recording",
         _RECORDER_OR_DEFAULT, rows_key="ConfigurationRecordersStatus", columns=_STATUS_COLUMNS,
         aliases=["stop-configuration-recorder"])


# -- delivery channel ------------------------------------------------------------------------------------------------
_CHANNEL_NAMES = ("names", list[str] | None,
                  typer.Option(None, "--delivery-channel-names", "--name", help="Channel names (repeatable)."))


_command("put-delivery-channel", "put_channel",
         "Create or update the delivery channel the recorder needs (PutDeliveryChannel).\n\n"
         "Example: awsmon config put-delivery-channel --s3-bucket-name my-config-bucket",
         ("channel", str | None, typer.Option(None, "--delivery-channel", help="name=N,s3BucketName=B,... shorthand or JSON / file://PATH.")),
         ("name", str | None, typer.Option(None, "--name", "--delivery-channel-name", help="Channel name (default: default).")),
         ("s3_bucket_name", str | None, typer.Option(None, "--s3-bucket-name", help="Bucket for configuration snapshots and history.")),
         ("s3_key_prefix", str | None, typer.Option(None, "--s3-key-prefix", help="Key prefix in the bucket.")),
         ("sns_topic_arn", str | None, typer.Option(None, "--sns-topic-arn", help="Topic for configuration change notifications.")),
         ("frequency", str | None, typer.Option(None, "--delivery-frequency", help="Snapshot frequency: One_Hour ... TwentyFour_Hours.")),
         rows_key="DeliveryChannels")  # fmt: skip


_command("describe-delivery-channels", "describe_channels",
         "List delivery channels (DescribeDeliveryChannels).\n\nExample: awsmon config describe-delivery-channels",
         _CHANNEL_NAMES, rows_key="DeliveryChannels")


_command("delete-delivery-channel", "delete_channel",
         "Delete the delivery channel (refused while the recorder runs) (DeleteDeliveryChannel).\n\n"
         "Example: awsmon config delete-delivery-channel --name default",
         ("name", str, typer.Option(..., "--delivery-channel-name", "--name", help="Channel name.")))


_command("deliver-config-snapshot", "deliver_snapshot",
         "Deliver a configuration snapshot to the channel's bucket (DeliverConfigSnapshot).\n\n"
         "Example: awsmon config deliver-config-snapshot --delivery-channel-name default",
         ("name", str, typer.Option("default", "--delivery-channel-name", "--name", help="Channel name.")))


_command("describe-delivery-channel-status", "channel_status",
         "Last snapshot, history and notification delivery of each channel (DescribeDeliveryChannelStatus).\n\n"
         "Example: awsmon config describe-delivery-channel-status",
         _CHANNEL_NAMES, rows_key="DeliveryChannelsStatus",
         columns=[Column("name"), Column("snapshot", "configSnapshotDeliveryInfo.lastStatus"),
                  Column("lastSnapshot", "configSnapshotDeliveryInfo.lastSuccessfulTime"),
                  Column("history", "configHistoryDeliveryInfo.lastStatus"),
                  Column("lastHistory", "configHistoryDeliveryInfo.lastSuccessfulTime"),
                  Column("nextHistory", "configHistoryDeliveryInfo.nextDeliveryTime"),
                  Column("stream", "configStreamDeliveryInfo.lastStatus")])  # fmt: skip


# -- configuration items ---------------------------------------------------------------------------------------------


_command("history", "history",
         "Configuration items of one resource over time (GetResourceConfigHistory; pages are followed).\n\n"
         "Example: awsmon config history --resource-type AWS::Logs::LogGroup --resource-id /app/web --order Forward",
         ("resource_type", str, typer.Option(..., "--resource-type", help=RESOURCE_TYPE_HELP)),
         ("resource_id", str, typer.Option(..., "--resource-id", help="Resource id (log group name, trail name, alarm name, topic ARN).")),
         ("later", str | None, typer.Option(None, "--later-time", "--later", "--end", help="Newest capture time (any time form).")),
         ("earlier", str | None, typer.Option(None, "--earlier-time", "--earlier", "--start", help="Oldest capture time.")),
         ("order", str | None, typer.Option(None, "--chronological-order", "--order", help="Reverse (newest first, the default) or Forward.")),
         ("limit", int | None, typer.Option(None, "--limit", help="Items per page, 1-100 (default 10).")),
         ("next_token", str | None, typer.Option(None, "--next-token", help="Return one page from this token (\"\" for the first page; otherwise every page is followed).")),
         rows_key="configurationItems", columns=_CI_COLUMNS, aliases=["get-resource-config-history"])  # fmt: skip


_command("list-discovered-resources", "list_resources",
         "Resources of a type the recorder has discovered (ListDiscoveredResources).\n\n"
         "Example: awsmon config list-discovered-resources --resource-type AWS::CloudWatch::Alarm",
         ("resource_type", str, typer.Option(..., "--resource-type", help=RESOURCE_TYPE_HELP)),
         ("resource_ids", list[str] | None, typer.Option(None, "--resource-ids", help="Only these ids (repeatable, at most 20).")),
         ("resource_name", str | None, typer.Option(None, "--resource-name", help="Only resources with this name.")),
         ("include_deleted", bool, typer.Option(False, "--include-deleted-resources", help="Also list deleted resources.")),
         ("limit", int | None, typer.Option(None, "--limit", help="Items per page, 1-100.")),
         ("next_token", str | None, typer.Option(None, "--next-token", help="Return one page from this token.")),
         rows_key="resourceIdentifiers",
         columns=[Column("resourceType"), Column("resourceId"), Column("resourceName"), Column("resourceDeletionTime")])  # fmt: skip


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


_command("put-rule", "put_rule",
         "Create or update an AWS managed Config rule (PutConfigRule); it is evaluated at once.\n\n"
         "Example: awsmon config put-rule --config-rule-name retention --source-identifier "
         "CW_LOGGROUP_RETENTION_PERIOD_CHECK --input-parameters '{\"MinRetentionTime\":\"30\"}'",
         ("config_rule", str | None, typer.Option(None, "--config-rule", help="The whole ConfigRule as JSON / file://PATH.")),
         ("name", str | None, typer.Option(None, "--config-rule-name", "--name", help="Rule name.")),
         ("source_identifier", str | None, typer.Option(None, "--source-identifier", help="Managed rule identifier, e.g. CW_LOGGROUP_RETENTION_PERIOD_CHECK.")),
         ("input_parameters", str | None, typer.Option(None, "--input-parameters", help="Rule parameters as a JSON object.")),
         ("parameters", list[str] | None, typer.Option(None, "--parameter", help="One parameter Name=Value (repeatable).")),
         ("resource_types", list[str] | None, typer.Option(None, "--compliance-resource-types", "--resource-types", help="Scope: resource types (repeatable or comma-separated).")),
         ("resource_id", str | None, typer.Option(None, "--compliance-resource-id", help="Scope: one resource id.")),
         ("tag_key", str | None, typer.Option(None, "--tag-key", help="Scope: resources with this tag key.")),
         ("tag_value", str | None, typer.Option(None, "--tag-value", help="Scope: ... and this tag value.")),
         ("frequency", str | None, typer.Option(None, "--maximum-execution-frequency", "--frequency", help="Periodic rules: One_Hour, Three_Hours, Six_Hours, Twelve_Hours or TwentyFour_Hours.")),
         ("description", str | None, typer.Option(None, "--description", help="Description.")),
         rows_key="ConfigRules", columns=_RULE_COLUMNS, aliases=["put-config-rule"], raw=["parameters"])  # fmt: skip


_command("describe-rules", "describe_rules",
         "List Config rules (DescribeConfigRules).\n\nExample: awsmon config describe-rules -o json",
         ("names", list[str] | None, typer.Option(None, "--config-rule-names", "--name", help="Rule names (repeatable).")),
         rows_key="ConfigRules", columns=_RULE_COLUMNS, aliases=["describe-config-rules"])


_command("delete-rule", "delete_rule",
         "Delete a Config rule and its evaluation results (DeleteConfigRule).\n\n"
         "Example: awsmon config delete-rule --name retention",
         ("name", str, typer.Option(..., "--config-rule-name", "--name", help="Rule name.")),
         aliases=["delete-config-rule"])


_command("start-evaluation", "start_evaluation",
         "Evaluate rules now (StartConfigRulesEvaluation).\n\nExample: awsmon config start-evaluation --name retention",
         ("names", list[str] | None, typer.Option(None, "--config-rule-names", "--name", help="Rules to evaluate (default: all).")),
         aliases=["start-config-rules-evaluation"])


_command("describe-rule-status", "rule_status",
         "When each rule was activated and last evaluated (DescribeConfigRuleEvaluationStatus).\n\n"
         "Example: awsmon config describe-rule-status",
         ("names", list[str] | None, typer.Option(None, "--config-rule-names", "--name", help="Rule names (repeatable).")),
         rows_key="ConfigRulesEvaluationStatus",
         columns=[Column("ConfigRuleName"), Column("FirstActivatedTime"), Column("LastSuccessfulEvaluationTime")],
         aliases=["describe-config-rule-evaluation-status"])


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


_command("get-compliance-details", "compliance_details",
         "Evaluation results of a rule, or of a resource, with annotations.\n\n"
         "Example: awsmon config get-compliance-details --name retention --compliance-types NON_COMPLIANT",
         ("rule", str | None, typer.Option(None, "--config-rule-name", "--name", help="Rule name (GetComplianceDetailsByConfigRule).")),
         ("resource_type", str | None, typer.Option(None, "--resource-type", help="Or one resource's results across rules: its type ...")),
         ("resource_id", str | None, typer.Option(None, "--resource-id", help="... and id (GetComplianceDetailsByResource).")),
         ("types", list[str] | None, typer.Option(None, "--compliance-types", help="COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE (default: the first two).")),
         ("limit", int | None, typer.Option(None, "--limit", help="Results per page, 1-100.")),
         ("next_token", str | None, typer.Option(None, "--next-token", help="Return one page from this token.")),
         rows_key="EvaluationResults", columns=_RESULT_COLUMNS)  # fmt: skip


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
_REMEDIATION_RULE = ("name", str, typer.Option(..., "--config-rule-name", help="Rule name."))


_command("put-remediation-configurations", "put_remediations",
         "Attach Automation runbooks to rules (PutRemediationConfigurations).\n\n"
         "Example: awsmon config put-remediation-configurations --remediation-configurations file://remediation.json",
         ("configurations", str, typer.Option(..., "--remediation-configurations",
                                              help="JSON list of RemediationConfiguration (inline or file://PATH).")),
         rows_key="RemediationConfigurations",
         columns=[Column("ConfigRuleName"), Column("TargetId"), Column("Automatic"), Column("MaximumAutomaticAttempts"),
                  Column("RetryAttemptSeconds")])  # fmt: skip


_command("describe-remediation-configurations", "describe_remediations",
         "Remediation configurations of rules (DescribeRemediationConfigurations).\n\n"
         "Example: awsmon config describe-remediation-configurations --config-rule-names restricted-ssh",
         ("names", list[str], typer.Option(..., "--config-rule-names", help="Rule names (repeatable or comma-separated).")),
         rows_key="RemediationConfigurations", columns=[Column("ConfigRuleName"), Column("TargetId"), Column("Automatic")])


_command("delete-remediation-configuration", "delete_remediation",
         "Remove a rule's remediation configuration (DeleteRemediationConfiguration).\n\n"
         "Example: awsmon config delete-remediation-configuration --config-rule-name restricted-ssh",
         _REMEDIATION_RULE,
         ("resource_type", str | None, typer.Option(None, "--resource-type", help="Resource type of the configuration.")))


_command("start-remediation-execution", "start_remediation",
         "Remediate resources now with the rule's runbook (StartRemediationExecution).\n\n"
         "Example: awsmon config start-remediation-execution --config-rule-name versioning --resource-keys "
         "resourceType=AWS::S3::Bucket,resourceId=my-bucket",
         _REMEDIATION_RULE,
         ("keys", list[str], typer.Option(..., "--resource-keys",
                                          help="resourceType=T,resourceId=ID (repeatable) or a JSON list.")),
         rows_key="FailedItems", raw=["keys"])


_command("describe-remediation-execution-status", "remediation_status",
         "State and steps of each resource's last remediation (DescribeRemediationExecutionStatus).\n\n"
         "Example: awsmon config describe-remediation-execution-status --config-rule-name versioning",
         _REMEDIATION_RULE,
         ("keys", list[str] | None, typer.Option(None, "--resource-keys",
                                                 help="Only these resources (as for start-remediation-execution).")),
         rows_key="RemediationExecutionStatuses", columns=_EXEC_COLUMNS, raw=["keys"])


# -- conformance packs -----------------------------------------------------------------------------------------------
_PACK_TEMPLATE = (
    ("template_body", str | None, typer.Option(None, "--template-body", help="Template YAML/JSON, inline or file://PATH.")),
    ("template_s3_uri", str | None, typer.Option(None, "--template-s3-uri", help="s3://BUCKET/KEY of the template.")),
    ("sample", str | None, typer.Option(None, "--sample", help="A sample pack shipped with awsmon: "
                                        "operational-best-practices-for-cis-aws-foundations, "
                                        "operational-best-practices-for-amazon-s3-and-ec2.")),
    ("parameters", list[str] | None, typer.Option(None, "--conformance-pack-input-parameters",
                                                  help="ParameterName=Value (repeatable).")),
    ("delivery_bucket", str | None, typer.Option(None, "--delivery-s3-bucket", help="Bucket for the pack's results.")),
)  # fmt: skip
_EXCLUDED = ("excluded", list[str] | None,
             typer.Option(None, "--excluded-accounts", help="Accounts to leave out (repeatable or comma-separated)."))
_MEMBER_ACCOUNT = ("account", str | None, typer.Option(None, "--account-id", help="Only this member account."))


_command("put-conformance-pack", "put_pack",
         "Deploy a conformance pack: the template's Config rules (PutConformancePack).\n\n"
         "Example: awsmon config put-conformance-pack --conformance-pack-name cis "
         "--sample operational-best-practices-for-cis-aws-foundations",
         ("name", str, typer.Option(..., "--conformance-pack-name", help="Pack name.")), *_PACK_TEMPLATE, raw=["parameters"])


_ORG_PACK = ("name", str, typer.Option(..., "--organization-conformance-pack-name", help="Organization pack name."))
_ORG_PACK_NAMES = ("names", list[str] | None,
                   typer.Option(None, "--organization-conformance-pack-names", help="Pack names (repeatable)."))
_ORG_PACK_COLUMNS = [Column("OrganizationConformancePackName"), Column("Status"), Column("ErrorCode"),
                     Column("ErrorMessage"), Column("LastUpdateTime")]  # fmt: skip


_command("put-organization-conformance-pack", "put_org_pack",
         "Deploy a conformance pack into every account of the organization (PutOrganizationConformancePack).\n\n"
         "Example: awsmon config put-organization-conformance-pack --organization-conformance-pack-name cis "
         "--sample operational-best-practices-for-cis-aws-foundations",
         _ORG_PACK, *_PACK_TEMPLATE,
         ("delivery_prefix", str | None, typer.Option(None, "--delivery-s3-key-prefix", help="Key prefix in that bucket.")),
         _EXCLUDED, raw=["parameters"])


_command("describe-organization-conformance-packs", "describe_org_packs",
         "Organization conformance packs (DescribeOrganizationConformancePacks; management account).\n\n"
         "Example: awsmon config describe-organization-conformance-packs",
         _ORG_PACK_NAMES, rows_key="OrganizationConformancePacks",
         columns=[Column("OrganizationConformancePackName"), Column("ExcludedAccounts"), Column("LastUpdateTime")])


_command("describe-organization-conformance-pack-statuses", "org_pack_statuses",
         "Deployment status of organization conformance packs (DescribeOrganizationConformancePackStatuses).\n\n"
         "Example: awsmon config describe-organization-conformance-pack-statuses",
         _ORG_PACK_NAMES, rows_key="OrganizationConformancePackStatuses", columns=_ORG_PACK_COLUMNS)


_command("get-organization-conformance-pack-detailed-status", "org_pack_detailed_status",
         "The pack's deployment in each member account (GetOrganizationConformancePackDetailedStatus).\n\n"
         "Example: awsmon config get-organization-conformance-pack-detailed-status --organization-conformance-pack-name cis",
         _ORG_PACK, _MEMBER_ACCOUNT,
         ("status", str | None, typer.Option(None, "--status", help="Only this status (CREATE_SUCCESSFUL, CREATE_FAILED, ...).")),
         rows_key="OrganizationConformancePackDetailedStatuses",
         columns=[Column("AccountId"), Column("ConformancePackName"), Column("Status"), Column("ErrorCode"),
                  Column("ErrorMessage")])  # fmt: skip


_command("delete-organization-conformance-pack", "delete_org_pack",
         "Delete an organization conformance pack from every member account (DeleteOrganizationConformancePack).\n\n"
         "Example: awsmon config delete-organization-conformance-pack --organization-conformance-pack-name cis",
         _ORG_PACK)


_ORG_RULE = ("name", str, typer.Option(..., "--organization-config-rule-name", help="Organization rule name."))
_ORG_RULE_NAMES = ("names", list[str] | None,
                   typer.Option(None, "--organization-config-rule-names", help="Rule names (repeatable)."))


_command("put-organization-config-rule", "put_org_rule",
         "Deploy a Config rule into every account of the organization (PutOrganizationConfigRule).\n\n"
         "Example: awsmon config put-organization-config-rule --organization-config-rule-name retention "
         "--organization-managed-rule-metadata RuleIdentifier=CW_LOGGROUP_RETENTION_PERIOD_CHECK",
         _ORG_RULE,
         ("managed", str | None, typer.Option(None, "--organization-managed-rule-metadata", help="RuleIdentifier=ID,InputParameters=JSON,ResourceTypesScope=T1,T2,... or JSON.")),
         ("custom_policy", str | None, typer.Option(None, "--organization-custom-policy-rule-metadata", help="JSON: PolicyRuntime guard-2.x.x, PolicyText, OrganizationConfigRuleTriggerTypes, ...")),
         ("custom", str | None, typer.Option(None, "--organization-custom-rule-metadata", help="JSON (Lambda rules: refused locally).")),
         _EXCLUDED)  # fmt: skip


_command("describe-organization-config-rules", "describe_org_rules",
         "Organization config rules (DescribeOrganizationConfigRules; management account).\n\n"
         "Example: awsmon config describe-organization-config-rules",
         _ORG_RULE_NAMES, rows_key="OrganizationConfigRules",
         columns=[Column("OrganizationConfigRuleName"), Column("ExcludedAccounts"), Column("LastUpdateTime")])


_command("describe-organization-config-rule-statuses", "org_rule_statuses",
         "Deployment status of organization config rules (DescribeOrganizationConfigRuleStatuses).\n\n"
         "Example: awsmon config describe-organization-config-rule-statuses",
         _ORG_RULE_NAMES, rows_key="OrganizationConfigRuleStatuses",
         columns=[Column("OrganizationConfigRuleName"), Column("OrganizationRuleStatus"), Column("ErrorCode"),
                  Column("ErrorMessage"), Column("LastUpdateTime")])  # fmt: skip


_command("get-organization-config-rule-detailed-status", "org_rule_detailed_status",
         "The rule's deployment in each member account (GetOrganizationConfigRuleDetailedStatus).\n\n"
         "Example: awsmon config get-organization-config-rule-detailed-status --organization-config-rule-name retention",
         _ORG_RULE, _MEMBER_ACCOUNT,
         ("status", str | None, typer.Option(None, "--member-account-rule-status", help="Only this status (CREATE_SUCCESSFUL, ...).")),
         rows_key="OrganizationConfigRuleDetailedStatus",
         columns=[Column("AccountId"), Column("ConfigRuleName"), Column("MemberAccountRuleStatus"), Column("ErrorCode"),
                  Column("ErrorMessage")])  # fmt: skip


_command("delete-organization-config-rule", "delete_org_rule",
         "Delete an organization config rule from every member account (DeleteOrganizationConfigRule).\n\n"
         "Example: awsmon config delete-organization-config-rule --organization-config-rule-name retention",
         _ORG_RULE)


_command("describe-conformance-packs", "describe_packs",
         "Conformance packs (DescribeConformancePacks).\n\nExample: awsmon config describe-conformance-packs",
         ("names", list[str] | None, typer.Option(None, "--conformance-pack-names", help="Pack names (repeatable).")),
         rows_key="ConformancePackDetails",
         columns=[Column("ConformancePackName"), Column("ConformancePackId"), Column("LastUpdateRequestedTime")])


_command("describe-conformance-pack-compliance", "pack_compliance",
         "Compliance of each rule of a pack (DescribeConformancePackCompliance).\n\n"
         "Example: awsmon config describe-conformance-pack-compliance --conformance-pack-name cis",
         ("name", str, typer.Option(..., "--conformance-pack-name", help="Pack name.")),
         ("rules", list[str] | None, typer.Option(None, "--config-rule-names", help="Only these rules.")),
         ("compliance_type", str | None, typer.Option(None, "--compliance-type", help="COMPLIANT, NON_COMPLIANT or INSUFFICIENT_DATA.")),
         rows_key="ConformancePackRuleComplianceList", columns=[Column("ConfigRuleName"), Column("ComplianceType")])  # fmt: skip


_command("get-conformance-pack-compliance-summary", "pack_summary",
         "One compliance status per pack (GetConformancePackComplianceSummary).\n\n"
         "Example: awsmon config get-conformance-pack-compliance-summary",
         ("names", list[str] | None, typer.Option(None, "--conformance-pack-names", help="Pack names (default: all).")),
         rows_key="ConformancePackComplianceSummaryList",
         columns=[Column("ConformancePackName"), Column("ConformancePackComplianceStatus")])


_command("delete-conformance-pack", "delete_pack",
         "Delete a pack and its rules (DeleteConformancePack).\n\n"
         "Example: awsmon config delete-conformance-pack --conformance-pack-name cis",
         ("name", str, typer.Option(..., "--conformance-pack-name", help="Pack name.")))


# -- aggregators -----------------------------------------------------------------------------------------------------
_AGG = ("name", str, typer.Option(..., "--configuration-aggregator-name", help="Aggregator name."))
_AUTHORIZATION = (("account", str, typer.Option(..., "--authorized-account-id", help="The aggregator's account.")),
                  ("region", str, typer.Option(..., "--authorized-aws-region", help="The aggregator's Region.")))


def _filters(help_text: str) -> tuple[str, Any, Any]:
    return "filters", str | None, typer.Option(None, "--filters", help=help_text)


def _group_by(help_text: str) -> tuple[str, Any, Any]:
    return "group_by", str | None, typer.Option(None, "--group-by-key", help=help_text)


_command("put-configuration-aggregator", "put_aggregator",
         "Create or update an aggregator over accounts and Regions, or the whole organization "
         "(PutConfigurationAggregator).\n\n"
         "Example: awsmon config put-configuration-aggregator --configuration-aggregator-name all "
         "--account-aggregation-sources '[{\"AccountIds\":[\"111111111111\"],\"AllAwsRegions\":true}]'",
         _AGG,
         ("sources", str | None, typer.Option(None, "--account-aggregation-sources",
                                              help='JSON: [{"AccountIds": [...], "AwsRegions": [...]}] or AllAwsRegions (inline or file://).')),
         ("organization", str | None, typer.Option(None, "--organization-aggregation-source",
                                                   help="RoleArn=ARN,AllAwsRegions=true (or AwsRegions=r1,r2) or JSON: every account of the organization.")))  # fmt: skip


_command("describe-configuration-aggregators", "describe_aggregators",
         "Aggregators of this account and Region (DescribeConfigurationAggregators).\n\n"
         "Example: awsmon config describe-configuration-aggregators",
         ("names", list[str] | None, typer.Option(None, "--configuration-aggregator-names", help="Aggregator names.")),
         rows_key="ConfigurationAggregators",
         columns=[Column("ConfigurationAggregatorName"), Column("CreationTime"), Column("LastUpdatedTime")])


_command("delete-configuration-aggregator", "delete_aggregator",
         "Delete an aggregator (DeleteConfigurationAggregator).\n\n"
         "Example: awsmon config delete-configuration-aggregator --configuration-aggregator-name all",
         _AGG)


_command("describe-configuration-aggregator-sources-status", "aggregator_sources",
         "Which sources an aggregator collects, and which lack an authorization "
         "(DescribeConfigurationAggregatorSourcesStatus).\n\n"
         "Example: awsmon config describe-configuration-aggregator-sources-status --configuration-aggregator-name all",
         _AGG, rows_key="AggregatedSourceStatusList",
         columns=[Column("SourceId"), Column("AwsRegion"), Column("LastUpdateStatus"), Column("LastErrorCode")])


_command("put-aggregation-authorization", "put_authorization",
         "Let an aggregator account collect this account's data in this Region (PutAggregationAuthorization).\n\n"
         "Example: awsmon config put-aggregation-authorization --authorized-account-id 111111111111 "
         "--authorized-aws-region us-east-1",
         *_AUTHORIZATION)


_command("describe-aggregation-authorizations", "describe_authorizations",
         "Authorizations this account gave in this Region (DescribeAggregationAuthorizations).\n\n"
         "Example: awsmon config describe-aggregation-authorizations",
         rows_key="AggregationAuthorizations",
         columns=[Column("AuthorizedAccountId"), Column("AuthorizedAwsRegion"), Column("CreationTime")])


_command("delete-aggregation-authorization", "delete_authorization",
         "Withdraw an authorization (DeleteAggregationAuthorization).\n\n"
         "Example: awsmon config delete-aggregation-authorization --authorized-account-id 111111111111 "
         "--authorized-aws-region us-east-1",
         *_AUTHORIZATION)


_command("describe-aggregate-compliance-by-config-rules", "aggregate_by_rules",
         "Compliance of every rule in every source account and Region (DescribeAggregateComplianceByConfigRules).\n\n"
         "Example: awsmon config describe-aggregate-compliance-by-config-rules --configuration-aggregator-name all",
         _AGG, _filters("ConfigRuleName=..,ComplianceType=..,AccountId=..,AwsRegion=.."),
         rows_key="AggregateComplianceByConfigRules",
         columns=[Column("AccountId"), Column("AwsRegion"), Column("ConfigRuleName"),
                  Column("ComplianceType", "Compliance.ComplianceType")])  # fmt: skip


_command("get-aggregate-config-rule-compliance-summary", "aggregate_rule_summary",
         "Compliant and non-compliant rule counts, by account or Region (GetAggregateConfigRuleComplianceSummary).\n\n"
         "Example: awsmon config get-aggregate-config-rule-compliance-summary --configuration-aggregator-name all "
         "--group-by-key ACCOUNT_ID",
         _AGG, _group_by("ACCOUNT_ID or AWS_REGION."), _filters("AccountId=..,AwsRegion=.."),
         rows_key="AggregateComplianceCounts",
         columns=[Column("GroupName"), Column("Compliant", "ComplianceSummary.CompliantResourceCount.CappedCount"),
                  Column("NonCompliant", "ComplianceSummary.NonCompliantResourceCount.CappedCount")])  # fmt: skip


_command("get-aggregate-discovered-resource-counts", "aggregate_resource_counts",
         "Recorded resources across the aggregator's sources (GetAggregateDiscoveredResourceCounts).\n\n"
         "Example: awsmon config get-aggregate-discovered-resource-counts --configuration-aggregator-name all "
         "--group-by-key RESOURCE_TYPE",
         _AGG, _group_by("RESOURCE_TYPE, ACCOUNT_ID or AWS_REGION."), _filters("ResourceType=..,AccountId=..,Region=.."),
         rows_key="GroupedResourceCounts", columns=[Column("GroupName"), Column("ResourceCount")])


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
