"""awsmon rules: EventBridge rules: event patterns and schedules."""

from typing import Any

import typer

from awsmon.cli._common import app_ctx, group, renderer, split_values
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
                Column("Description")]  # fmt: skip
TARGET_COLUMNS = [Column("Id"), Column("Arn"), Column("Input"), Column("InputPath"),
                  Column("InputTemplate", path="InputTransformer.InputTemplate")]  # fmt: skip
ENTRY_COLUMNS = [Column("EventId"), Column("ErrorCode"), Column("ErrorMessage")]
DELIVERY_COLUMNS = [Column("Time"), Column("Rule"), Column("TargetId"), Column("Status"), Column("DetailType"),
                    Column("Input")]  # fmt: skip


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


@app.command("list")
def list_(
    ctx: typer.Context,
    prefix: str | None = typer.Option(None, "--name-prefix", "--prefix", help="Only rules whose name starts with this."),
    bus: str | None = _bus_opt(),
    limit: int | None = typer.Option(None, "--max-items", "--limit", help="At most this many rules."),
) -> None:
    """List rules (ListRules, all pages), in name order.

    Example: awsmon rules list --prefix awsmon-
    """
    from awsmon.services.rules import list_rules

    renderer(ctx).render(list_rules(app_ctx(ctx), prefix, bus, limit), rows_key="Rules", columns=RULE_COLUMNS)


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
                                      help="Id=...,Arn=...[,Input=...|,InputPath=...] (several), JSON, or file://path."),  # fmt: skip
    bus: str | None = _bus_opt(),
) -> None:
    """Add or replace targets of a rule (PutTargets); up to 5 per rule.

    Example: awsmon rules put-targets --rule nightly --targets Id=q,Arn=arn:aws:sqs:us-east-1:123456789012:q,InputPath=$.detail
    """
    from awsmon.services.rules import parse_targets
    from awsmon.services.rules import put_targets as svc

    resp = svc(app_ctx(ctx), rule, parse_targets(targets), bus)
    renderer(ctx).render(resp, rows_key="FailedEntries",
                         columns=[Column("TargetId"), Column("ErrorCode"), Column("ErrorMessage")])  # fmt: skip


@app.command("list-targets")
def list_targets(ctx: typer.Context, rule: str = _rule_opt(), bus: str | None = _bus_opt()) -> None:
    """List the targets of a rule (ListTargetsByRule).

    Example: awsmon rules list-targets --rule nightly
    """
    from awsmon.services.rules import list_targets as svc

    renderer(ctx).render(svc(app_ctx(ctx), rule, bus), rows_key="Targets", columns=TARGET_COLUMNS)


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
    renderer(ctx).render(resp, rows_key="FailedEntries",
                         columns=[Column("TargetId"), Column("ErrorCode"), Column("ErrorMessage")])  # fmt: skip


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


@app.command("next-fires")
def next_fires(
    ctx: typer.Context,
    expression: str = typer.Option(..., "--schedule-expression", "--schedule", help="rate(...) or cron(...)."),
    count: int = typer.Option(5, "--count", "-c", help="How many fire times (1-1000)."),
    after: str | None = typer.Option(None, "--after", "--start", help="Start from this time (default: now)."),
) -> None:
    """The next fire times of a schedule expression (UTC; rate schedules counted from --after).

    Example: awsmon rules next-fires --schedule 'cron(0/30 20-2 ? * MON-FRI *)' --count 10
    """
    from awsmon.services.rules import next_fires as svc

    renderer(ctx).render(svc(app_ctx(ctx), expression, count, after), rows_key="FireTimes", columns=[Column("Time")])


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
