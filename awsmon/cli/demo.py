"""awsmon demo."""

from __future__ import annotations

import typer

from awsmon.cli._common import app_ctx, renderer


def demo(
    ctx: typer.Context,
    samples_path: bool = typer.Option(False, "--samples-path", help="Print the folder of the sample CloudTrail logs shipped with awsmon, and exit."),
) -> None:
    """Build (idempotently, in seconds) a demo local account and print what to try next.

    The demo also imports the sample CloudTrail logs shipped with awsmon (956 real records from an attack
    simulation, MIT licence); --samples-path prints where they are installed.

    Example: awsmon demo && awsmon trail lookup --max-results 5

    Example: awsmon trail import "$(awsmon demo --samples-path)"
    """
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
    r.write("Try next:\n" + "".join(f"  {t}\n" for t in data["TryNext"]))
