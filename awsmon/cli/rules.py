"""awsmon rules: EventBridge rules: event patterns and schedules."""

from typing import Any

import typer

from awsmon.cli._common import app_ctx, aws_cli_aliases, group, renderer, service_command, split_values
from awsmon.output import Column

app = group(
    "rules",
    "EventBridge rules: event patterns and schedules.\n\n"
    "Examples:\n\n"
    "  awsmon rules put --name on-new-group --event-pattern '{\"source\":[\"aws.logs\"],"
    "\"detail\":{\"eventName\":[\"CreateLogGroup\"]}}'\n\n"
    "  awsmon rules put-targets --rule on-new-group --targets Id=q,Arn=arn:aws:sqs:us-east-1:123456789012:q\n\n"
    "  awsmon rules put --name heartbeat --schedule-expression 'rate(5 minutes)'\n\n"
    "  awsmon rules test-event-pattern --event-pattern file://pattern.json --event file://event.json --check",
)

RULE_COLUMNS = [Column("Name"), Column("State"), Column("ScheduleExpression"), Column("EventPattern"),
                Column("Description", priority=1)]  # fmt: skip
TARGET_COLUMNS = [Column("Id"), Column("Arn"), Column("Input"), Column("InputPath"),
                  Column("InputTemplate", path="InputTransformer.InputTemplate")]  # fmt: skip
ENTRY_COLUMNS = [Column("EventId"), Column("ErrorCode"), Column("ErrorMessage")]
# Detail says why a delivery failed; on a narrow terminal DetailType and Input give way first
DELIVERY_COLUMNS = [Column("Time"), Column("Rule"), Column("TargetId"), Column("Status"),
                    Column("DetailType", priority=2), Column("Input", priority=1), Column("Detail")]  # fmt: skip


def _name_opt() -> Any:
    return typer.Option(..., "--name", "--rule-name", "-n", help="The rule name.")


def _rule_opt() -> Any:
    return typer.Option(..., "--rule", "--name", "-n", help="The rule name.")


def _bus_opt() -> Any:
    return typer.Option(None, "--event-bus-name", "--bus", help="The event bus (name or ARN; default: default).")


# -- rules ------------------------------------------------------------------------------------------------------------
@app.command("put")
def put(
    ctx: typer.Context,
    name: str = _name_opt(),
    event_pattern: str | None = typer.Option(None, "--event-pattern", "--pattern", help="Pattern JSON, or file://path."),
    schedule: str | None = typer.Option(None, "--schedule-expression", "--schedule",
                                        help="rate(5 minutes), cron(0 12 * * ? *), ..."),  # fmt: skip
    state: str | None = typer.Option(None, "--state",
                                     help="ENABLED (default), DISABLED or ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS."),  # fmt: skip
    description: str | None = typer.Option(None, "--description", help="A description (up to 512 characters)."),
    role_arn: str | None = typer.Option(None, "--role-arn", help="The IAM role targets are invoked with."),
    bus: str | None = _bus_opt(),
) -> None:
    """Create or replace a rule (PutRule): an event pattern, a schedule, or both.

    Example: awsmon rules put --name nightly --schedule-expression 'cron(0 2 * * ? *)'
    """
    from awsmon.services.rules import put_rule

    renderer(ctx).detail(put_rule(app_ctx(ctx), name=name, event_pattern=event_pattern, schedule_expression=schedule,
                                  state=state, description=description, role_arn=role_arn, bus=bus))  # fmt: skip


@app.command("describe")
def describe(ctx: typer.Context, name: str = _name_opt(), bus: str | None = _bus_opt()) -> None:
    """Show one rule (DescribeRule).

    Example: awsmon rules describe --name nightly
    """
    from awsmon.services.rules import describe_rule

    renderer(ctx).detail(describe_rule(app_ctx(ctx), name, bus))


service_command(app, "list", "awsmon.services.rules:list_rules",
                "List rules (ListRules, all pages), in name order.\n\n"
                "Example: awsmon rules list --prefix awsmon-",
                ("prefix", str | None, typer.Option(None, "--name-prefix", "--prefix", help="Only rules whose name starts with this.")),
                ("bus", str | None, _bus_opt()),
                ("max_items", int | None, typer.Option(None, "--max-items", "--limit", help="At most this many rules.")),
                rows_key="Rules", columns=RULE_COLUMNS)  # fmt: skip


@app.command("delete")
def delete(
    ctx: typer.Context,
    name: str = _name_opt(),
    force: bool = typer.Option(False, "--force", help="Delete even while targets remain (AWS allows it for managed rules)."),
    bus: str | None = _bus_opt(),
) -> None:
    """Delete a rule (DeleteRule); refused while it has targets (remove them first, or --force), as AWS does.

    Example: awsmon rules delete --name nightly
    """
    from awsmon.services.rules import delete_rule

    renderer(ctx).detail(delete_rule(app_ctx(ctx), name, bus, force))


@app.command("enable")
def enable(ctx: typer.Context, name: str = _name_opt(), bus: str | None = _bus_opt()) -> None:
    """Enable a rule (EnableRule).

    Example: awsmon rules enable --name nightly
    """
    from awsmon.services.rules import set_state

    renderer(ctx).detail(set_state(app_ctx(ctx), name, True, bus))


@app.command("disable")
def disable(ctx: typer.Context, name: str = _name_opt(), bus: str | None = _bus_opt()) -> None:
    """Disable a rule (DisableRule): it matches nothing and its schedule stops until enabled again.

    Example: awsmon rules disable --name nightly
    """
    from awsmon.services.rules import set_state

    renderer(ctx).detail(set_state(app_ctx(ctx), name, False, bus))


# -- targets ----------------------------------------------------------------------------------------------------------
@app.command("put-targets")
def put_targets(
    ctx: typer.Context,
    rule: str = _rule_opt(),
    targets: list[str] = typer.Option(..., "--targets", "--target", "-t",
                                      help="Id=...,Arn=...[,Input=...|,InputPath=...][,RetryPolicy={...}...] "
                                           "(several), JSON, or file://path."),  # fmt: skip
    bus: str | None = _bus_opt(),
) -> None:
    """Add or replace targets of a rule (PutTargets); up to 5 per rule.

    Example: awsmon rules put-targets --rule nightly --targets Id=q,Arn=arn:aws:sqs:us-east-1:123456789012:q,InputPath=$.detail
    """
    from awsmon.services.rules import parse_targets
    from awsmon.services.rules import put_targets as svc

    resp = svc(app_ctx(ctx), rule, parse_targets(targets), bus)
    renderer(ctx).detail(resp)  # FailedEntryCount first: an empty table of failures read as nothing done


service_command(app, "list-targets", "awsmon.services.rules:list_targets",
                "List the targets of a rule (ListTargetsByRule).\n\n"
                "Example: awsmon rules list-targets --rule nightly",
                ("rule", str, _rule_opt()), ("bus", str | None, _bus_opt()), rows_key="Targets",
                columns=TARGET_COLUMNS)


@app.command("remove-targets")
def remove_targets(
    ctx: typer.Context,
    rule: str = _rule_opt(),
    ids: list[str] = typer.Option(..., "--ids", "--id", help="Target ids (several, or comma-separated)."),
    force: bool = typer.Option(False, "--force", help="Managed rules only (as in AWS)."),
    bus: str | None = _bus_opt(),
) -> None:
    """Remove targets from a rule by id (RemoveTargets).

    Example: awsmon rules remove-targets --rule nightly --ids q
    """
    from awsmon.services.rules import remove_targets as svc

    resp = svc(app_ctx(ctx), rule, split_values(ids), bus, force)
    renderer(ctx).detail(resp)  # FailedEntryCount first: an empty table of failures read as nothing done


# -- patterns and events ----------------------------------------------------------------------------------------------
@app.command("test-event-pattern")
def test_event_pattern(
    ctx: typer.Context,
    pattern: str = typer.Option(..., "--event-pattern", "--pattern", help="Pattern JSON, or file://path."),
    event: str = typer.Option(..., "--event", help="Event JSON (with id, account, source, time, region, detail-type), "
                              "or file://path."),  # fmt: skip
    check: bool = typer.Option(False, "--check", help="Exit 3 when the event does not match (for CI)."),
) -> None:
    """Does an event match a pattern (TestEventPattern)? Prints {"Result": true|false}; exit 0 either way.

    Example: awsmon rules test-event-pattern --event-pattern file://pattern.json --event file://event.json --check
    """
    from awsmon.errors import CheckFailed
    from awsmon.output import info
    from awsmon.services.rules import test_event_pattern as svc

    actx, notices = app_ctx(ctx), []
    resp = svc(actx, pattern, event, notices)
    for notice in notices:
        info(actx, f"notice: {notice}")
    renderer(ctx).detail(resp)
    if check and not resp["Result"]:
        raise CheckFailed("the event does not match the pattern")


@app.command("put-events")
def put_events(
    ctx: typer.Context,
    entries: str | None = typer.Option(None, "--entries", help="JSON list of PutEvents entries, or file://path."),
    source: str | None = typer.Option(None, "--source", help="One entry: its Source (e.g. my.app)."),
    detail_type: str | None = typer.Option(None, "--detail-type", help="One entry: its DetailType."),
    detail: str | None = typer.Option(None, "--detail", help="One entry: its Detail (a JSON object, or file://path)."),
    resources: list[str] | None = typer.Option(None, "--resources", help="One entry: resource ARNs (several)."),
    time: str | None = typer.Option(None, "--time", help="One entry: its Time (any accepted time form)."),
    bus: str | None = _bus_opt(),
) -> None:
    """Send custom events to a bus (PutEvents); matching rules deliver them to their targets.

    Example: awsmon rules put-events --source my.app --detail-type OrderPlaced --detail '{"total": 42}'
    """
    from awsmon.services.rules import build_entries
    from awsmon.services.rules import put_events as svc

    actx = app_ctx(ctx)
    items = build_entries(entries=entries, source=source, detail_type=detail_type, detail=detail,
                          resources=split_values(resources), bus=bus, time=time, ctx=actx)  # fmt: skip
    renderer(ctx).render(svc(actx, items), rows_key="Entries", columns=ENTRY_COLUMNS)


service_command(app, "next-fires", "awsmon.services.rules:next_fires",
                "The next fire times of a schedule expression (UTC; rate schedules counted from --after).\n\n"
                "Example: awsmon rules next-fires --schedule 'cron(0/30 20-2 ? * MON-FRI *)' --count 10",
                ("expression", str, typer.Option(..., "--schedule-expression", "--schedule", help="rate(...) or cron(...).")),
                ("count", int, typer.Option(5, "--count", "-c", help="How many fire times (1-1000).")),
                ("after", str | None, typer.Option(None, "--after", "--start", help="Start from this time (default: now).")),
                rows_key="FireTimes", columns=[Column("Time")])  # fmt: skip


@app.command("deliveries")
def deliveries(
    ctx: typer.Context,
    rule: str | None = typer.Option(None, "--rule", "--name", "-n", help="Only this rule's deliveries."),
    limit: int = typer.Option(1000, "--max-items", "--limit", help="The newest this many deliveries."),
) -> None:
    """Local only: every target invocation (the delivery outbox) with the input it received.

    Example: awsmon rules deliveries --rule on-new-group -o json
    """
    from awsmon.services.rules import deliveries as svc

    renderer(ctx).render(svc(app_ctx(ctx), rule, limit), rows_key="Deliveries", columns=DELIVERY_COLUMNS)


# -- event buses and policies ------------------------------------------------------------------------------------------
BUS_COLUMNS = [Column("Name"), Column("Arn"), Column("Description")]
ARCHIVE_COLUMNS = [Column("ArchiveName"), Column("State"), Column("EventCount"), Column("SizeBytes"),
                   Column("RetentionDays")]  # fmt: skip
REPLAY_COLUMNS = [Column("ReplayName"), Column("State"), Column("EventStartTime"), Column("EventEndTime"),
                  Column("EventLastReplayedTime")]  # fmt: skip


service_command(app, "create-event-bus", "awsmon.services.rules:create_event_bus",
                "Create a custom event bus (CreateEventBus); rules and archives can then use it.\n\n"
                "Example: awsmon rules create-event-bus --name orders",
                ("name", str, typer.Option(..., "--name", "-n", help="The new bus's name.")),
                ("description", str | None, typer.Option(None, "--description", help="A description.")),
                detail=True)


service_command(app, "describe-event-bus", "awsmon.services.rules:describe_event_bus",
                "Show a bus with its resource policy (DescribeEventBus).\n\n"
                "Example: awsmon rules describe-event-bus --name orders",
                ("name", str | None, typer.Option(None, "--name", "-n", help="The bus (default: default).")),
                detail=True)


service_command(app, "list-event-buses", "awsmon.services.rules:list_event_buses",
                "List the event buses (ListEventBuses), default included.\n\n"
                "Example: awsmon rules list-event-buses",
                ("prefix", str | None, typer.Option(None, "--name-prefix", "--prefix", help="Only buses named so.")),
                rows_key="EventBuses", columns=BUS_COLUMNS)  # fmt: skip


service_command(app, "delete-event-bus", "awsmon.services.rules:delete_event_bus",
                "Delete a custom bus with its rules and targets (DeleteEventBus); the default bus cannot be deleted.\n\n"
                "Example: awsmon rules delete-event-bus --name orders",
                ("name", str, typer.Option(..., "--name", "-n", help="The bus.")), detail=True)  # fmt: skip


service_command(app, "put-permission", "awsmon.services.rules:put_permission",
                "Let another account put events on a bus (PutPermission), or set its whole policy with --policy.\n\n"
                "Example: awsmon rules put-permission --event-bus-name orders --principal 111122223333 --statement-id partner",
                ("bus", str | None, _bus_opt()),
                ("action", str | None, typer.Option(None, "--action", help="events:PutEvents (the only action AWS takes here).")),
                ("principal", str | None, typer.Option(None, "--principal", help="A 12-digit account id, or *.")),
                ("statement_id", str | None, typer.Option(None, "--statement-id", "--sid", help="The statement's id.")),
                ("condition", str | None, typer.Option(None, "--condition",
                                         help='JSON {"Type":"StringEquals","Key":"aws:PrincipalOrgID","Value":"o-..."}')),
                ("policy", str | None, typer.Option(None, "--policy", help="A whole resource policy (JSON or file://path).")),
                detail=True)  # fmt: skip


service_command(app, "remove-permission", "awsmon.services.rules:remove_permission",
                "Remove a statement from a bus's policy (RemovePermission).\n\n"
                "Example: awsmon rules remove-permission --event-bus-name orders --statement-id partner",
                ("bus", str | None, _bus_opt()),
                ("statement_id", str | None, typer.Option(None, "--statement-id", "--sid", help="The statement to remove.")),
                ("remove_all", bool, typer.Option(False, "--remove-all-permissions", help="Remove the whole policy.")),
                detail=True)  # fmt: skip


# -- archives and replays ------------------------------------------------------------------------------------------------
service_command(app, "create-archive", "awsmon.services.rules:create_archive",
                "Archive a bus's events (CreateArchive), optionally only those matching a pattern.\n\n"
                "Example: awsmon rules create-archive --archive-name all-orders --bus orders --retention-days 7",
                ("name", str, typer.Option(..., "--archive-name", "--name", "-n", help="The archive's name.")),
                ("source", str | None, typer.Option(None, "--event-source-arn", "--bus",
                                      help="The bus whose events are archived (ARN or name; default: default).")),
                ("event_pattern", str | None, typer.Option(None, "--event-pattern", "--pattern", help="Only matching events (JSON, file://).")),
                ("retention_days", int | None, typer.Option(None, "--retention-days", help="Keep events this many days (0: forever).")),
                ("description", str | None, typer.Option(None, "--description", help="A description.")),
                detail=True)  # fmt: skip


service_command(app, "describe-archive", "awsmon.services.rules:describe_archive",
                "Show an archive with its event count and size (DescribeArchive).\n\n"
                "Example: awsmon rules describe-archive --archive-name all-orders",
                ("name", str, typer.Option(..., "--archive-name", "--name", "-n")), detail=True)


service_command(app, "list-archives", "awsmon.services.rules:list_archives",
                "List archives (ListArchives).\n\n"
                "Example: awsmon rules list-archives",
                ("prefix", str | None, typer.Option(None, "--name-prefix", "--prefix", help="Only archives named so.")),
                ("source", str | None, typer.Option(None, "--event-source-arn", "--bus", help="Only archives of this bus.")),
                rows_key="Archives", columns=ARCHIVE_COLUMNS)  # fmt: skip


service_command(app, "delete-archive", "awsmon.services.rules:delete_archive",
                "Delete an archive and the events it holds (DeleteArchive).\n\n"
                "Example: awsmon rules delete-archive --archive-name all-orders",
                ("name", str, typer.Option(..., "--archive-name", "--name", "-n")), detail=True)


service_command(app, "start-replay", "awsmon.services.rules:start_replay",
                "Replay archived events to their bus (StartReplay); each carries \"replay-name\". It runs on the account clock:\n"
                "STARTING, then RUNNING a minute later, then COMPLETED.\n\n"
                "Example: awsmon rules start-replay --replay-name redo --archive all-orders --start -1h --end now",
                ("name", str, typer.Option(..., "--replay-name", "--name", "-n", help="The replay's name (unique).")),
                ("archive", str, typer.Option(..., "--event-source-arn", "--archive", help="The archive (ARN or name).")),
                ("start", str, typer.Option(..., "--event-start-time", "--start", help="Replay events from this time.")),
                ("end", str, typer.Option(..., "--event-end-time", "--end", help="... up to this time.")),
                ("destination", str | None, typer.Option(None, "--destination", help="The archive's bus (ARN or name; default: "
                                           "the archive's).")),
                ("filter_arns", list[str] | None, typer.Option(None, "--filter-arns", help="Only these rules (ARNs; several).")),
                ("description", str | None, typer.Option(None, "--description", help="A description.")),
                detail=True)  # fmt: skip


service_command(app, "describe-replay", "awsmon.services.rules:describe_replay",
                "Show a replay's state and progress (DescribeReplay).\n\n"
                "Example: awsmon rules describe-replay --replay-name redo",
                ("name", str, typer.Option(..., "--replay-name", "--name", "-n")), detail=True)


service_command(app, "list-replays", "awsmon.services.rules:list_replays",
                "List replays (ListReplays).\n\n"
                "Example: awsmon rules list-replays",
                ("prefix", str | None, typer.Option(None, "--name-prefix", "--prefix", help="Only replays named so.")),
                rows_key="Replays", columns=REPLAY_COLUMNS)  # fmt: skip


service_command(app, "cancel-replay", "awsmon.services.rules:cancel_replay",
                "Cancel a replay that is starting or running (CancelReplay).\n\n"
                "Example: awsmon rules cancel-replay --replay-name redo",
                ("name", str, typer.Option(..., "--replay-name", "--name", "-n")), detail=True)


# aws-cli's operation names, hidden (help lists awsmon's names)
aws_cli_aliases(app, {
    "put-rule": "put",
    "delete-rule": "delete",
    "describe-rule": "describe",
    "list-rules": "list",
    "enable-rule": "enable",
    "disable-rule": "disable",
    "list-targets-by-rule": "list-targets",
})
