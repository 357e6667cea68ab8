"""awsmon account: the local simulated account and its clock."""

import typer

from awsmon.cli._common import app_ctx, group, renderer
from awsmon.output import Column

app = group(
    "account",
    "The local simulated account: create, list, inspect and reset it, and drive its clock.\n\n"
    "Examples:\n\n"
    "  awsmon account init --account-id 111122223333 --region eu-west-1\n\n"
    "  awsmon account info\n\n"
    "  awsmon account clock advance 2h",
)
clock_app = group(
    "clock",
    "The simulated clock. Time-driven work (trail delivery, digests, alarm evaluation, retention) catches up to it "
    "on every command.\n\nExamples:\n\n  awsmon account clock set 2026-01-01T00:00:00Z\n\n"
    "  awsmon account clock advance 90m\n\n  awsmon account clock real\n\n"
    "  AWSMON_NOW=2026-01-02T00:00:00Z awsmon alarms describe   # pinned for one command",
)
app.add_typer(clock_app, name="clock")

_CLOCK_COLUMNS = [Column("Now"), Column("Mode"), Column("PendingJobs"), Column("NextDue"), Column("CatchUpRuns")]


@app.command("init")
def init(
    ctx: typer.Context,
    account_id: str | None = typer.Option(None, "--account-id", help="12-digit account id (default 123456789012)."),
    region: str | None = typer.Option(None, "--region", help="The account's default region (default us-east-1)."),
    default: bool = typer.Option(False, "--default", help="Make it the default account of the home folder."),
) -> None:
    """Create a local account (idempotent): database, signing key, default region.

    Example: awsmon account init --account-id 111122223333 --region eu-west-1 --default
    """
    from awsmon.services.account import init_account

    renderer(ctx).detail(init_account(app_ctx(ctx), account_id, region, default))


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """List the local accounts in the home folder.

    Example: awsmon account list -o json
    """
    from awsmon.services.account import list_accounts

    columns = [Column("AccountId"), Column("Default"), Column("DefaultRegion"), Column("Now"), Column("Events"), Column("Path")]
    renderer(ctx).render(list_accounts(app_ctx(ctx)), rows_key="Accounts", columns=columns)


@app.command("info")
def info(ctx: typer.Context) -> None:
    """Say which backend, account, region, home and clock are in use, and where each setting came from.

    Example: awsmon account info -o json --query Settings
    """
    from awsmon.services.account import account_info

    actx = app_ctx(ctx)
    data = account_info(actx)
    r = renderer(ctx)
    if actx.query or actx.output.value != "table":
        r.render(data)
        return
    r.detail({k: v for k, v in data.items() if k not in ("Settings", "Clock")}, title="awsmon")
    if "Clock" in data:
        r.detail(data["Clock"], title="clock")
    r.table(data["Settings"], [Column("Setting"), Column("Value"), Column("Source")], title="settings")


@app.command("reset")
def reset(
    ctx: typer.Context,
    yes: bool = typer.Option(False, "--yes", help="Confirm: delete every resource, event and file of the account."),
) -> None:
    """Delete everything in the local account and start it afresh (same account id).

    Example: awsmon account reset --yes
    """
    from awsmon.services.account import reset_account

    renderer(ctx).detail(reset_account(app_ctx(ctx), yes))


@clock_app.command("show")
def clock_show(ctx: typer.Context) -> None:
    """Show the simulated time, its mode and the pending scheduled work.

    Example: awsmon account clock show
    """
    from awsmon.services.account import clock_show as svc

    renderer(ctx).render(svc(app_ctx(ctx)), columns=_CLOCK_COLUMNS)


@clock_app.command("set")
def clock_set(ctx: typer.Context, time: str = typer.Argument(..., help="Any accepted time form.")) -> None:
    """Pin the clock at TIME (never earlier than now, except on a fresh account); due work catches up.

    Example: awsmon account clock set 2026-11-21T12:00:00Z
    """
    from awsmon.services.account import clock_set as svc

    renderer(ctx).render(svc(app_ctx(ctx), time), columns=_CLOCK_COLUMNS)


@clock_app.command("advance")
def clock_advance(ctx: typer.Context, duration: str = typer.Argument(..., help="For example 90s, 5m, 3h, 2d, 1h30m.")) -> None:
    """Move the clock forward by DURATION; everything that falls due runs, in time order.

    Example: awsmon account clock advance 1d
    """
    from awsmon.services.account import clock_advance as svc

    renderer(ctx).render(svc(app_ctx(ctx), duration), columns=_CLOCK_COLUMNS)


@clock_app.command("real")
def clock_real(ctx: typer.Context) -> None:
    """Follow real time again, continuing from the current simulated time (it never goes back).

    Example: awsmon account clock real
    """
    from awsmon.services.account import clock_real as svc

    renderer(ctx).render(svc(app_ctx(ctx)), columns=_CLOCK_COLUMNS)
