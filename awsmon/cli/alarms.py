"""awsmon alarms: CloudWatch alarms: metric and composite alarms, evaluation, history, notifications, and CI checks."""

import typer

from awsmon.cli._common import (
    app_ctx,
    aws_cli_aliases,
    group,
    names_option,
    publish_command,
    renderer,
    service_command,
    split_values,
)
from awsmon.output import Column

app = group(
    "alarms",
    "CloudWatch alarms: metric and composite alarms, evaluation, history, notifications, and CI checks.\n\n"
    "On the local backend alarms are evaluated every simulated minute (10 s for 10/20/30-second periods) as the "
    "clock moves; actions publish to local SNS-like topics (awsmon alarms topics).\n\n"
    "Examples:\n\n"
    "  awsmon alarms put --alarm-name cpu-high --namespace AWS/EC2 --metric-name CPUUtilization "
    "--dimensions InstanceId=i-1 --statistic Average --period 60 --evaluation-periods 3 --threshold 80 "
    "--comparison-operator GreaterThanThreshold\n\n"
    "  awsmon alarms explain cpu-high\n\n"
    "  awsmon alarms check --prefix prod-   # exit 3 when any is in ALARM",
)
topics_app = group(
    "topics",
    "SNS-like topics for alarm notifications: create topics, subscribe email/sms/sqs/file endpoints, list the "
    "deliveries (local outbox).\n\nExamples:\n\n  awsmon alarms topics create ops\n\n"
    "  awsmon alarms topics subscribe ops --protocol file --endpoint ./alerts.jsonl\n\n"
    "  awsmon alarms topics deliveries --topic ops -o json",
)
app.add_typer(topics_app, name="topics")

STATE_HELP = "OK, ALARM or INSUFFICIENT_DATA."
# On a narrow terminal the optional columns (priority > 0) are hidden first, highest number first; --wide shows all.
_ALARM_COLUMNS = [Column("AlarmName"), Column("AlarmType", priority=2), Column("StateValue"), Column("Condition"),
                  Column("StateUpdatedTimestamp", priority=1), Column("StateReason", priority=3)]  # fmt: skip


@app.command("put")
def put(
    ctx: typer.Context,
    alarm_name: str = typer.Option(..., "--alarm-name", "--name", help="Alarm name (unique per region)."),
    namespace: str | None = typer.Option(None, "--namespace", help="Metric namespace."),
    metric_name: str | None = typer.Option(None, "--metric-name", help="Metric name."),
    dimensions: list[str] | None = typer.Option(None, "--dimensions", "--dimension",
        help="Name=Value[,Name2=Value2] or aws-cli's Name=N,Value=V; repeatable."),  # fmt: skip
    statistic: str | None = typer.Option(None, "--statistic", help="SampleCount, Average, Sum, Minimum or Maximum."),
    extended_statistic: str | None = typer.Option(None, "--extended-statistic", help="A percentile or trimmed statistic (p99, tm90, TM(10%:90%), ...)."),
    period: int | None = typer.Option(None, "--period", help="Seconds: 10, 20, 30 or a multiple of 60."),
    evaluation_periods: int = typer.Option(..., "--evaluation-periods", help="N: periods evaluated."),
    datapoints_to_alarm: int | None = typer.Option(None, "--datapoints-to-alarm", help="M of N (default N)."),
    threshold: float | None = typer.Option(None, "--threshold", help="Static threshold (required unless --threshold-metric-id)."),
    threshold_metric_id: str | None = typer.Option(None, "--threshold-metric-id",
        help="Id of the ANOMALY_DETECTION_BAND query in --metrics (anomaly detection alarm; local model: docs/anomaly-detection.md)."),  # fmt: skip
    tags: list[str] | None = typer.Option(None, "--tags", "--tag", help="Key=K,Value=V or K=V (repeatable); new alarms only."),
    comparison_operator: str = typer.Option(..., "--comparison-operator",
        help="GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold, LessThanOrEqualToThreshold; with "
             "--threshold-metric-id: LessThanLowerOrGreaterThanUpperThreshold, LessThanLowerThreshold, "
             "GreaterThanUpperThreshold."),  # fmt: skip
    treat_missing_data: str | None = typer.Option(None, "--treat-missing-data", help="missing (default), ignore, breaching or notBreaching."),
    alarm_actions: list[str] | None = typer.Option(None, "--alarm-actions", help="Action ARNs on ALARM (repeatable or comma-separated)."),
    ok_actions: list[str] | None = typer.Option(None, "--ok-actions", help="Action ARNs on OK."),
    insufficient_data_actions: list[str] | None = typer.Option(None, "--insufficient-data-actions", help="Action ARNs on INSUFFICIENT_DATA."),
    metrics: str | None = typer.Option(None, "--metrics", help="Metric-math alarm: JSON list of MetricDataQuery (inline, FILE or file://FILE).", metavar="FILE"),
    evaluate_low_sample_count_percentile: str | None = typer.Option(None, "--evaluate-low-sample-count-percentile", help="evaluate or ignore (percentile alarms)."),
    actions_enabled: bool | None = typer.Option(None, "--actions-enabled/--no-actions-enabled", help="Run actions on state changes (default yes)."),
    alarm_description: str | None = typer.Option(None, "--alarm-description", "--description", help="Description."),
    unit: str | None = typer.Option(None, "--unit", help="Only data with this unit (Seconds, Count, ...)."),
) -> None:
    """Create or replace a metric alarm (PutMetricAlarm; an update overwrites the whole configuration).

    Example: awsmon alarms put --alarm-name api-p99 --namespace App --metric-name Latency --dimensions Service=api --extended-statistic p99 --period 60 --evaluation-periods 5 --datapoints-to-alarm 3 --threshold 500 --comparison-operator GreaterThanThreshold --alarm-actions arn:aws:sns:us-east-1:123456789012:ops
    """
    from awsmon.services.alarms import parse_dimensions, parse_tags, put_metric_alarm

    params = {
        "AlarmName": alarm_name, "AlarmDescription": alarm_description, "ActionsEnabled": actions_enabled,
        "Namespace": namespace, "MetricName": metric_name, "Dimensions": parse_dimensions(dimensions),
        "Statistic": statistic, "ExtendedStatistic": extended_statistic, "Period": period, "Unit": unit,
        "EvaluationPeriods": evaluation_periods, "DatapointsToAlarm": datapoints_to_alarm, "Threshold": threshold,
        "ComparisonOperator": comparison_operator, "TreatMissingData": treat_missing_data,
        "EvaluateLowSampleCountPercentile": evaluate_low_sample_count_percentile,
        "AlarmActions": split_values(alarm_actions), "OKActions": split_values(ok_actions),
        "InsufficientDataActions": split_values(insufficient_data_actions),
        "ThresholdMetricId": threshold_metric_id, "Tags": parse_tags(tags),
    }  # fmt: skip
    renderer(ctx).render(put_metric_alarm(app_ctx(ctx), params, metrics))


@app.command("put-composite")
def put_composite(
    ctx: typer.Context,
    alarm_name: str = typer.Option(..., "--alarm-name", "--name", help="Composite alarm name."),
    alarm_rule: str = typer.Option(..., "--alarm-rule", "--rule", help="ALARM(a) AND NOT OK(b), AT_LEAST(2, ALARM, (a, b, c)), ..."),
    alarm_actions: list[str] | None = typer.Option(None, "--alarm-actions", help="Action ARNs on ALARM."),
    ok_actions: list[str] | None = typer.Option(None, "--ok-actions", help="Action ARNs on OK."),
    insufficient_data_actions: list[str] | None = typer.Option(None, "--insufficient-data-actions", help="Action ARNs on INSUFFICIENT_DATA."),
    actions_suppressor: str | None = typer.Option(None, "--actions-suppressor", help="Alarm (name or ARN) whose ALARM state suppresses actions."),
    wait_period: int | None = typer.Option(None, "--actions-suppressor-wait-period", help="Seconds."),
    extension_period: int | None = typer.Option(None, "--actions-suppressor-extension-period", help="Seconds."),
    actions_enabled: bool | None = typer.Option(None, "--actions-enabled/--no-actions-enabled", help="Run actions (default yes)."),
    alarm_description: str | None = typer.Option(None, "--alarm-description", "--description", help="Description."),
    tags: list[str] | None = typer.Option(None, "--tags", "--tag", help="Key=K,Value=V or K=V (repeatable); new alarms only."),
) -> None:
    """Create or replace a composite alarm (PutCompositeAlarm); it is evaluated at once.

    Example: awsmon alarms put-composite --alarm-name checkout-down --alarm-rule "ALARM(api-p99) AND NOT ALARM(deploying)" --alarm-actions arn:aws:sns:us-east-1:123456789012:ops
    """
    from awsmon.services.alarms import parse_tags, put_composite_alarm

    params = {
        "AlarmName": alarm_name, "AlarmRule": alarm_rule, "AlarmDescription": alarm_description,
        "ActionsEnabled": actions_enabled, "AlarmActions": split_values(alarm_actions),
        "OKActions": split_values(ok_actions), "InsufficientDataActions": split_values(insufficient_data_actions),
        "ActionsSuppressor": actions_suppressor, "ActionsSuppressorWaitPeriod": wait_period,
        "ActionsSuppressorExtensionPeriod": extension_period, "Tags": parse_tags(tags),
    }  # fmt: skip
    renderer(ctx).render(put_composite_alarm(app_ctx(ctx), params))


@app.command("describe")
def describe(
    ctx: typer.Context,
    alarm_names: list[str] | None = typer.Option(None, "--alarm-names", "--name", help="Alarm names (repeatable or comma-separated)."),
    alarm_name_prefix: str | None = typer.Option(None, "--alarm-name-prefix", "--prefix", help="Name prefix."),
    state_value: str | None = typer.Option(None, "--state-value", "--state", help=STATE_HELP),
    alarm_types: list[str] | None = typer.Option(None, "--alarm-types", help="MetricAlarm and/or CompositeAlarm (default both)."),
    action_prefix: str | None = typer.Option(None, "--action-prefix", help="Only alarms with an action ARN starting so."),
    children_of: str | None = typer.Option(None, "--children-of-alarm-name", help="Children of this composite alarm."),
    parents_of: str | None = typer.Option(None, "--parents-of-alarm-name", help="Composite alarms using this alarm."),
) -> None:
    """Describe alarms (DescribeAlarms): state, condition and reason; both alarm types by default.

    Example: awsmon alarms describe --state-value ALARM -o json --query 'MetricAlarms[].AlarmName'
    """
    from awsmon.services.alarms import alarm_rows, composite_cycles, describe_alarms

    actx = app_ctx(ctx)
    data = describe_alarms(actx, split_values(alarm_names), alarm_name_prefix, state_value,
                           split_values(alarm_types), action_prefix, children_of, parents_of)  # fmt: skip
    r = renderer(ctx)
    if r.ctx.query or r.fmt == "json":
        r.render(data)
    else:
        cycles = composite_cycles(actx) if data.get("CompositeAlarms") else set()
        r.rows(alarm_rows(data, cycles), _ALARM_COLUMNS)


@app.command("describe-for-metric")
def describe_for_metric(
    ctx: typer.Context,
    namespace: str = typer.Option(..., "--namespace", help="Metric namespace."),
    metric_name: str = typer.Option(..., "--metric-name", help="Metric name."),
    dimensions: list[str] | None = typer.Option(None, "--dimensions", help="Name=Value pairs (exact dimension set)."),
    statistic: str | None = typer.Option(None, "--statistic", help="Only alarms on this statistic."),
    extended_statistic: str | None = typer.Option(None, "--extended-statistic", help="Only alarms on this percentile."),
    period: int | None = typer.Option(None, "--period", help="Only alarms with this period."),
    unit: str | None = typer.Option(None, "--unit", help="Only alarms with this unit."),
) -> None:
    """Metric alarms on one metric (DescribeAlarmsForMetric).

    Example: awsmon alarms describe-for-metric --namespace AwsmonDemo --metric-name Latency --dimensions Service=checkout
    """
    from awsmon.services.alarms import describe_alarms_for_metric, parse_dimensions

    params = {"Namespace": namespace, "MetricName": metric_name, "Statistic": statistic,
              "ExtendedStatistic": extended_statistic, "Period": period, "Unit": unit,
              "Dimensions": parse_dimensions(dimensions) if dimensions else None}  # fmt: skip
    renderer(ctx).render(describe_alarms_for_metric(app_ctx(ctx), params), rows_key="MetricAlarms",
                         columns=[Column("AlarmName"), Column("StateValue"), Column("StateReason")])  # fmt: skip


@app.command("delete")
def delete(
    ctx: typer.Context,
    alarm_names: list[str] = names_option("--alarm-names", "--name", help="Alarm names"),
) -> None:
    """Delete alarms (DeleteAlarms; unknown names are ignored, at most one composite per call).

    Example: awsmon alarms delete --alarm-names cpu-high,disk-full
    """
    from awsmon.services.alarms import delete_alarms

    renderer(ctx).render(delete_alarms(app_ctx(ctx), split_values(alarm_names)))


service_command(app, "set-state", "awsmon.services.alarms:set_alarm_state",
                "Set an alarm's state by hand (SetAlarmState; actions run; metric alarms return at the next evaluation).\n\n"
                "Example: awsmon alarms set-state --alarm-name cpu-high --state-value ALARM --state-reason \"testing the pager\"",
                ("name", str, typer.Option(..., "--alarm-name", "--name", help="Alarm name.")),
                ("state", str, typer.Option(..., "--state-value", "--state", help=STATE_HELP)),
                ("reason", str, typer.Option(..., "--state-reason", "--reason", help="Why (free text, up to 1023 characters).")),
                ("reason_data", str | None, typer.Option(None, "--state-reason-data", help="JSON reason data.")))  # fmt: skip


@app.command("history")
def history(
    ctx: typer.Context,
    alarm_name: str | None = typer.Option(None, "--alarm-name", "--name", help="One alarm (history outlives deleted alarms)."),
    history_item_type: str | None = typer.Option(None, "--history-item-type", "--type", help="ConfigurationUpdate, StateUpdate or Action."),
    start_date: str | None = typer.Option(None, "--start-date", "--start", help="From (ISO 8601 or relative: 2h, 1d)."),
    end_date: str | None = typer.Option(None, "--end-date", "--end", help="To."),
    alarm_types: list[str] | None = typer.Option(None, "--alarm-types", help="MetricAlarm and/or CompositeAlarm (default both)."),
    max_items: int | None = typer.Option(None, "--max-items", help="Stop after this many items."),
    oldest_first: bool = typer.Option(False, "--oldest-first", help="Ascending time order (default newest first)."),
) -> None:
    """Alarm history: state changes with reasons, configuration updates, actions (DescribeAlarmHistory).

    Example: awsmon alarms history --alarm-name cpu-high --history-item-type StateUpdate --start-date 1d
    """
    from awsmon.services.alarms import history as svc

    data = svc(app_ctx(ctx), alarm_name, history_item_type, start_date, end_date, split_values(alarm_types),
               max_items, oldest_first)  # fmt: skip
    renderer(ctx).render(data, rows_key="AlarmHistoryItems",
                         columns=[Column("Timestamp"), Column("AlarmName"), Column("HistoryItemType"),
                                  Column("HistorySummary")])  # fmt: skip


def _actions_command(name: str, enabled: bool, doc: str) -> None:
    """enable-actions / disable-actions: the same command but for the flag it sets."""

    def command(ctx: typer.Context, alarm_names: list[str] = names_option("--alarm-names", "--name", help="Alarm names")) -> None:
        from awsmon.services.alarms import set_actions

        renderer(ctx).render(set_actions(app_ctx(ctx), split_values(alarm_names), enabled))

    command.__doc__ = doc
    command.__name__ = name.replace("-", "_")
    app.command(name)(command)


_actions_command("enable-actions", True, """Enable the actions of alarms (EnableAlarmActions).

    Example: awsmon alarms enable-actions --alarm-names cpu-high
    """)
_actions_command("disable-actions", False, """Disable the actions of alarms (DisableAlarmActions): states still change, nothing is notified.

    Example: awsmon alarms disable-actions --alarm-names cpu-high
    """)


@app.command("check")
def check(
    ctx: typer.Context,
    names: list[str] | None = typer.Option(None, "--name", "--alarm-names", help="Alarms to check (repeatable or comma-separated)."),
    prefix: str | None = typer.Option(None, "--prefix", "--alarm-name-prefix", help="Check every alarm with this prefix."),
) -> None:
    """CI gate: one line per selected alarm; exit 3 when any is in ALARM (all alarms when nothing is selected).

    Example: awsmon alarms check --prefix prod- || echo "an alarm is firing"
    """
    from awsmon.errors import CheckFailed
    from awsmon.services.alarms import check as svc

    actx = app_ctx(ctx)
    data = svc(actx, split_values(names), prefix)
    r = renderer(ctx)
    if r.ctx.query or r.fmt != "table":
        r.render(data, rows_key="Alarms", columns=[Column("StateValue"), Column("AlarmName"), Column("Summary")])
    else:
        # states padded to one width so names line up; the Summary field itself stays unpadded (csv/json)
        r.write("".join(f"{row['StateValue']:<17} {row['Summary'].split(' ', 1)[1]}\n" for row in data["Alarms"]))
    if data["InAlarm"]:
        raise CheckFailed(f"{data['InAlarm']} of {data['Checked']} alarms in ALARM: {', '.join(data['AlarmNamesInAlarm'])}")


@app.command("explain")
def explain(
    ctx: typer.Context,
    alarm_name: str = typer.Argument(..., help="Alarm name."),
) -> None:
    """Why an alarm is in its state: the evaluation range's datapoints, which breached, and the rule applied.

    Example: awsmon alarms explain cpu-high
    """
    from awsmon.services.alarms import explain as svc

    data = svc(app_ctx(ctx), alarm_name)
    r = renderer(ctx)
    if r.ctx.query or r.fmt == "json":
        r.render(data)
        return
    rows_key = "Datapoints" if data["AlarmType"] == "MetricAlarm" else "Children"
    if r.fmt != "table":
        r.render(data, rows_key=rows_key)
        return
    r.detail({k: v for k, v in data.items() if k != rows_key}, title=f"alarm {alarm_name}")
    if rows_key == "Datapoints":
        cols = [Column("Timestamp"), Column("Value"), Column("Breaching"), Column("Evaluated"), Column("LowSample")]
        if data[rows_key] and "Lower" in data[rows_key][0]:
            cols[2:2] = [Column("Lower"), Column("Upper")]
    else:
        cols = [Column("AlarmName"), Column("StateValue")]
    r.table(data[rows_key], cols, title="evaluation range (oldest first)" if rows_key == "Datapoints" else "children")


@app.command("actions")
def actions(
    ctx: typer.Context,
    alarm_name: str | None = typer.Option(None, "--alarm-name", "--name", help="One alarm."),
) -> None:
    """Action records of the local account (SNS publications, EC2/Lambda/SSM actions recorded as sent).

    Example: awsmon alarms actions --alarm-name cpu-high -o json
    """
    from awsmon.services.alarms import list_actions

    renderer(ctx).render(list_actions(app_ctx(ctx), alarm_name), rows_key="Actions",
                         columns=[Column("Timestamp"), Column("AlarmName"), Column("NewState"), Column("Kind"),
                                  Column("Status"), Column("ActionArn")])  # fmt: skip


# -- topics ----------------------------------------------------------------------------------------------------


@topics_app.command("create")
def topic_create(ctx: typer.Context, name: str = typer.Argument(..., help="Topic name.")) -> None:
    """Create a topic (CreateTopic; idempotent).

    Example: awsmon alarms topics create ops
    """
    from awsmon.services.alarms import create_topic

    renderer(ctx).detail(create_topic(app_ctx(ctx), name))


@topics_app.command("list")
def topic_list(ctx: typer.Context) -> None:
    """List topics (ListTopics).

    Example: awsmon alarms topics list
    """
    from awsmon.services.alarms import list_topics

    renderer(ctx).render(list_topics(app_ctx(ctx)), rows_key="Topics", columns=[Column("TopicArn")])


@topics_app.command("delete")
def topic_delete(ctx: typer.Context, topic: str = typer.Argument(..., help="Topic name or ARN.")) -> None:
    """Delete a topic and its subscriptions (DeleteTopic).

    Example: awsmon alarms topics delete ops
    """
    from awsmon.services.alarms import delete_topic

    renderer(ctx).render(delete_topic(app_ctx(ctx), topic))


@topics_app.command("subscribe")
def topic_subscribe(
    ctx: typer.Context,
    topic: str = typer.Argument(..., help="Topic name or ARN."),
    protocol: str = typer.Option(..., "--protocol", help="email, sms, sqs, file (local only), http(s), lambda."),
    endpoint: str = typer.Option(..., "--notification-endpoint", "--endpoint", help="Address, phone, queue ARN or file path (file: relative to $AWSMON_HOME/outbox)."),
    allow_outside_home: bool = typer.Option(False, "--allow-outside-home", help="Let a file endpoint be outside $AWSMON_HOME/outbox (relative paths then mean the current folder)."),
    attributes: str | None = typer.Option(None, "--attributes", help='JSON: FilterPolicy, FilterPolicyScope, RawMessageDelivery, RedrivePolicy, ...'),
    return_arn: bool = typer.Option(False, "--return-subscription-arn", help="Return the ARN even while confirmation is pending."),
) -> None:
    """Subscribe an endpoint to a topic (Subscribe). email/http(s) stay pending until confirm-subscription with the
    token of the confirmation message in the outbox; sqs/lambda/file are confirmed at once.

    A file endpoint (local backend) appends one JSON line per delivery to a file in $AWSMON_HOME/outbox/; a
    relative path resolves there and no path may leave that folder unless --allow-outside-home is given.

    Example: awsmon alarms topics subscribe ops --protocol file --endpoint alerts.jsonl
    """
    from awsmon.services.alarms import subscribe

    renderer(ctx).detail(subscribe(app_ctx(ctx), topic, protocol, endpoint, allow_outside_home, attributes, return_arn))


@topics_app.command("confirm-subscription")
def topic_confirm(
    ctx: typer.Context,
    topic: str = typer.Argument(..., help="Topic name or ARN."),
    token: str = typer.Option(..., "--token", help="The Token of the SubscriptionConfirmation message."),
) -> None:
    """Confirm a pending subscription (ConfirmSubscription) with the token sent to its endpoint.

    Example: awsmon alarms topics confirm-subscription ops --token 2336412f37fb...
    """
    from awsmon.services.alarms import confirm_subscription

    renderer(ctx).detail(confirm_subscription(app_ctx(ctx), topic, token))


@topics_app.command("unsubscribe")
def topic_unsubscribe(ctx: typer.Context, subscription_arn: str = typer.Argument(..., help="Subscription ARN.")) -> None:
    """Remove a subscription (Unsubscribe).

    Example: awsmon alarms topics unsubscribe arn:aws:sns:us-east-1:123456789012:ops:1f0c...
    """
    from awsmon.services.alarms import unsubscribe

    renderer(ctx).render(unsubscribe(app_ctx(ctx), subscription_arn))


@topics_app.command("subscriptions")
def topic_subscriptions(
    ctx: typer.Context, topic: str | None = typer.Option(None, "--topic", "--topic-arn", help="Only this topic.")
) -> None:
    """List subscriptions (ListSubscriptions / ListSubscriptionsByTopic).

    Example: awsmon alarms topics subscriptions --topic ops
    """
    from awsmon.services.alarms import list_subscriptions

    renderer(ctx).render(list_subscriptions(app_ctx(ctx), topic), rows_key="Subscriptions",
                         columns=[Column("TopicArn"), Column("Protocol"), Column("Endpoint"), Column("SubscriptionArn")])  # fmt: skip


topic_publish = topics_app.command("publish")(publish_command(
    typer.Argument(..., help="Topic name or ARN."),
    """Publish a message to a topic (Publish).

    Example: awsmon alarms topics publish ops --message "test page" --subject test
    """))


@topics_app.command("deliveries")
def topic_deliveries(
    ctx: typer.Context,
    topic: str | None = typer.Option(None, "--topic", "--topic-arn", help="Only this topic."),
    protocol: str | None = typer.Option(None, "--protocol", help="Only this protocol (email, sms, sqs, file, ...)."),
    since: str | None = typer.Option(None, "--since", "--start-time", help="From (ISO 8601 or relative: 1h)."),
    max_items: int = typer.Option(1000, "--max-items", help="Newest N deliveries."),
) -> None:
    """The local outbox: every message delivered to every subscription, oldest first (local backend only).

    Example: awsmon alarms topics deliveries --topic ops -o json --query 'Deliveries[].Subject'
    """
    from awsmon.services.alarms import deliveries

    renderer(ctx).render(deliveries(app_ctx(ctx), topic, protocol, since, max_items), rows_key="Deliveries",
                         columns=[Column("Timestamp"), Column("TopicArn", priority=2), Column("Protocol", priority=1),
                                  Column("Endpoint"), Column("Status"), Column("Subject")])  # fmt: skip


# aws-cli's operation names, hidden (help lists awsmon's names)
aws_cli_aliases(app, {
    "put-metric-alarm": "put",
    "put-composite-alarm": "put-composite",
    "describe-alarms": "describe",
    "describe-alarms-for-metric": "describe-for-metric",
    "delete-alarms": "delete",
    "set-alarm-state": "set-state",
    "describe-alarm-history": "history",
    "enable-alarm-actions": "enable-actions",
    "disable-alarm-actions": "disable-actions",
})
