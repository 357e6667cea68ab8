"""awsmon dashboards: CloudWatch dashboards: create, read, list and delete them; show them in the terminal or as a page."""

from __future__ import annotations

import typer

from awsmon.cli._common import app_ctx, group, names_option, seconds_option, service_command
from awsmon.errors import UsageError
from awsmon.output import Column

app = group(
    "dashboards",
    "CloudWatch dashboards: create, read, list and delete them; show them in the terminal or as a page.\n\n"
    "Examples:\n\n"
    "  awsmon dashboards put-dashboard --dashboard-name ops --dashboard-body file://ops.json\n\n"
    "  awsmon dashboards show ops --start 1d\n\n"
    "  awsmon dashboards show ops --html ops.html --watch --interval 60",
)


service_command(app, "put-dashboard", "awsmon.services.dashboards:put_dashboard",
                "Create or replace a dashboard (PutDashboard); the body is validated as AWS validates it.\n\n"
                "Example: awsmon dashboards put-dashboard --dashboard-name ops --dashboard-body file://ops.json",
                ("name", str, typer.Option(..., "--dashboard-name", "--name", help="Letters, digits, '-' and '_' (at most 255).")),
                ("body", str, typer.Option(..., "--dashboard-body", "--body", help="The body JSON, file://path or - (stdin).")),
                rows_key="DashboardValidationMessages", columns=[Column("DataPath"), Column("Message")])  # fmt: skip


service_command(app, "get-dashboard", "awsmon.services.dashboards:get_dashboard",
                "Print a dashboard's name, ARN and body (GetDashboard).\n\n"
                "Example: awsmon dashboards get-dashboard --dashboard-name ops -o json",
                ("name", str, typer.Option(..., "--dashboard-name", "--name", help="The dashboard.")),
                detail=True)


service_command(app, "list-dashboards", "awsmon.services.dashboards:list_dashboards",
                "List dashboards (ListDashboards, every page).\n\n"
                "Example: awsmon dashboards list-dashboards --prefix ops",
                ("prefix", str | None, typer.Option(None, "--dashboard-name-prefix", "--prefix", help="Only names starting with this.")),
                rows_key="DashboardEntries",
                columns=[Column("DashboardName"), Column("LastModified"), Column("Size")])  # fmt: skip


service_command(app, "delete-dashboards", "awsmon.services.dashboards:delete_dashboards",
                "Delete dashboards (DeleteDashboards): all of them, or none when one does not exist.\n\n"
                "Example: awsmon dashboards delete-dashboards --dashboard-names ops --dashboard-names old",
                ("names", list[str], names_option("--dashboard-names", "--name", help="Dashboards to delete")))  # fmt: skip


MIN_WIDTH, MAX_WIDTH = 40, 1000  # [design choice] what a terminal can show; the grid needs 40 to draw its 24 columns


@app.command("show")
def show(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The dashboard."),
    start: str | None = typer.Option(None, "--start-time", "--start", help="Start (default: the body's, else 3h ago)."),
    end: str | None = typer.Option(None, "--end-time", "--end", help="End (default: the body's, else now)."),
    period: int | None = typer.Option(None, "--period", help="Seconds per point for every metric widget."),
    html_file: str | None = typer.Option(None, "--html", help="Write one self-contained HTML page here instead."),
    watch: bool = typer.Option(False, "--watch", "-w", help="Redraw every --interval seconds until Ctrl-C."),
    interval: float = typer.Option(60.0, "--interval", help="Seconds between refreshes with --watch."),
    width: int | None = typer.Option(None, "--width", help="Terminal columns (default: the terminal's)."),
    ascii: bool = typer.Option(False, "--ascii", help="Only ASCII characters (for pipes and dumb terminals)."),
) -> None:
    """Render a dashboard: metric (line, stacked, number, gauge, bar), alarm, text and log widgets on the 24-column grid.

    Example: awsmon dashboards show ops --start 1d --html ops.html
    """
    import shutil
    import sys
    import time
    from pathlib import Path

    from awsmon.dashboard_view import render_html, render_terminal
    from awsmon.output import info
    from awsmon.services.dashboards import build_view

    actx = app_ctx(ctx)
    seconds_option(interval, "--interval")
    if period is not None and not (period in (1, 5, 10, 30) or (period >= 60 and period % 60 == 0)):
        raise UsageError("--period must be 1, 5, 10, 30 or a multiple of 60 seconds")
    if width is not None and not MIN_WIDTH <= width <= MAX_WIDTH:  # 99999999 columns took 10 GB and 40 s
        raise UsageError(f"--width must be {MIN_WIDTH} to {MAX_WIDTH} columns")
    out = sys.stdout
    while True:  # relative --start/--end are re-read at each refresh: a watched window slides with the clock
        view = build_view(actx, name, actx.parse_time(start), actx.parse_time(end), period)
        if html_file:
            page = render_html(view, tz=actx.tz, refresh=int(interval) if watch else None)
            try:
                tmp = Path(html_file + ".tmp")
                tmp.write_text(page, encoding="utf-8")
                tmp.replace(html_file)  # a browser refreshing the page never reads half a file
            except OSError as exc:
                raise UsageError(f"cannot write {html_file}: {exc.strerror}") from exc
            info(actx, f"wrote {html_file} ({len(page):,} bytes, {len(view['Widgets'])} widgets)")
        else:
            cols = width or min(shutil.get_terminal_size((120, 40)).columns, 240)
            text = render_terminal(view, width=cols, ascii=ascii or not out.isatty(), tz=actx.tz)
            if watch and out.isatty():
                out.write("\x1b[H\x1b[2J")  # clear the screen between frames
            out.write(text)
            out.flush()
        if not watch:
            return
        time.sleep(interval)
