"""awsmon demo."""

import typer

from awsmon.cli._common import app_ctx, renderer


def demo(
    ctx: typer.Context,
    lab: str | None = typer.Option(None, "--lab", help="Run one of the course's labs end to end on its own fresh account (see --list)."),
    list_: bool = typer.Option(False, "--list", help="List the labs."),
    samples_path: bool = typer.Option(False, "--samples-path", help="Print the folder of the sample CloudTrail logs shipped with awsmon, and exit."),
) -> None:
    """Build (idempotently, in seconds) a demo local account and print what to try next; or run a lab.

    The demo also imports the sample CloudTrail logs shipped with awsmon (956 real records from an attack
    simulation, MIT licence); --samples-path prints where they are installed.

    Example: awsmon demo && awsmon trail lookup --max-results 5

    Example: awsmon demo --lab ec2-stopped-sns

    Example: awsmon trail import "$(awsmon demo --samples-path)"
    """
    if list_ or lab is not None:  # an empty --lab is an unknown lab, not the demo
        _lab(ctx, lab)
        return
    actx = app_ctx(ctx)
    if samples_path:
        from awsmon.services.demo import samples

        data = samples()
        asked_json = actx.output.value == "json" and not actx.output.source.startswith("default")
        if asked_json or actx.query:
            renderer(ctx).render(data)
        else:  # a bare path, also when piped: it is made for "$(awsmon demo --samples-path)"
            renderer(ctx).write(data["CloudTrail"] + "\n")
        return
    from awsmon.services.demo import run_demo

    data = run_demo(actx)
    r = renderer(ctx)
    if actx.query or actx.output.value != "table":
        r.render(data)
        return
    from awsmon.output import info

    info(actx, f"demo account {data['AccountId']} ({data['Region']}) ready in {data['Seconds']}s; steps: "
               f"{', '.join(data['Steps']) or 'account'}")  # fmt: skip
    r.write("Try next:\n" + r.suggestions(data["TryNext"]))


def _lab(ctx: typer.Context, name: str | None) -> None:
    from awsmon.output import Column
    from awsmon.services.labs import list_labs, run_lab

    actx = app_ctx(ctx)
    r = renderer(ctx)
    if name is None:
        r.render(list_labs(), rows_key="Labs", columns=[Column("Name"), Column("Account"), Column("Description")])
        return
    data = run_lab(actx, name)
    if actx.query or actx.output.value != "table":
        r.render(data)
        return
    r.write(f"Lab {data['Lab']}: {data['Description']}\n(account {data['AccountId']}, clock pinned, "
            f"{data['Seconds']}s)\n\nWhat happened:\n" + "".join(f"  {line}\n" for line in data["Happened"])
            + "\nLook next:\n" + r.suggestions(data["LookNext"]))
