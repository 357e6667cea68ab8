"""awsmon demo."""

import typer

from awsmon.cli._common import app_ctx, renderer


def demo(ctx: typer.Context) -> None:
    """Build (idempotently, in seconds) a demo local account and print what to try next.

    Example: awsmon demo && awsmon trail lookup --max-results 5
    """
    from awsmon.services.demo import run_demo

    actx = app_ctx(ctx)
    data = run_demo(actx)
    r = renderer(ctx)
    if actx.query or actx.output.value != "table":
        r.render(data)
        return
    from awsmon.output import info

    info(actx, f"demo account {data['AccountId']} ({data['Region']}) ready in {data['Seconds']}s; steps: "
               f"{', '.join(data['Steps']) or 'account'}")  # fmt: skip
    r.write("Try next:\n" + "".join(f"  {t}\n" for t in data["TryNext"]))
