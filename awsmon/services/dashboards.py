"""CloudWatch dashboards: the API (PutDashboard, GetDashboard, ListDashboards, DeleteDashboards) and ``show``, which
reads a dashboard's body and fetches what each widget shows, on either backend.

A widget's failure (a metric math error, a malformed log query, a missing log group) is shown in that widget, as the
console shows it; the rest of the dashboard still renders. Metric widgets use GetMetricData (one call per widget, its
rows and expressions together); alarm widgets DescribeAlarms; log widgets a Logs Insights query (StartQuery and
GetQueryResults, so the local account runs it with awsmon's Insights engine).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from awsmon.backends import paginate
from awsmon.context import AppContext
from awsmon.errors import AwsmonError, UsageError
from awsmon.services._input import read_text

DEFAULT_RANGE = timedelta(hours=3)  # the console's default when a body sets no start
_ISO_DURATION = re.compile(r"^-?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def put_dashboard(ctx: AppContext, name: str, body: str) -> dict[str, Any]:
    return ctx.client("cloudwatch").put_dashboard(DashboardName=name, DashboardBody=read_text(body, "--dashboard-body"))


def get_dashboard(ctx: AppContext, name: str) -> dict[str, Any]:
    return ctx.client("cloudwatch").get_dashboard(DashboardName=name)


def list_dashboards(ctx: AppContext, prefix: str | None = None) -> dict[str, Any]:
    params = {"DashboardNamePrefix": prefix} if prefix else {}
    entries = list(paginate(ctx.client("cloudwatch").list_dashboards, "DashboardEntries", **params))
    return {"DashboardEntries": entries}


def delete_dashboards(ctx: AppContext, names: list[str]) -> dict[str, Any]:
    if not names:
        raise UsageError("give at least one --dashboard-names")
    return ctx.client("cloudwatch").delete_dashboards(DashboardNames=names)


# -- show -----------------------------------------------------------------------------------------------------------
def relative_time(text: str, now: datetime) -> datetime | None:
    """A body's ``start``/``end``: an ISO 8601 duration before now (``-PT3H``, ``-P7D``) or an ISO timestamp."""
    m = _ISO_DURATION.match(text.strip())
    if m and any(m.groups()):
        w, d, h, mi, s = (int(x or 0) for x in m.groups())
        return now - timedelta(weeks=w, days=d, hours=h, minutes=mi, seconds=s)
    try:
        dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def build_view(
    ctx: AppContext,
    name: str,
    start: datetime | None = None,
    end: datetime | None = None,
    period: int | None = None,
) -> dict[str, Any]:
    """Everything ``dashboards show`` draws: the widgets placed on the grid, each with its data (or its error)."""
    from awsmon.engines.dashboard import layout

    resp = get_dashboard(ctx, name)
    try:
        doc = json.loads(resp["DashboardBody"])
    except (TypeError, ValueError) as exc:
        raise AwsmonError(f"dashboard {name} has a body that is not JSON") from exc
    from awsmon.services.metrics import through_this_minute

    now = ctx.now()
    end = end or (relative_time(str(doc["end"]), now) if doc.get("end") else None) or through_this_minute(now)
    start = start or (relative_time(str(doc["start"]), now) if doc.get("start") else None) or end - DEFAULT_RANGE
    if start >= end:
        raise UsageError("the start of the time range is not before its end")
    widgets = []
    for p in layout(doc):
        w: dict[str, Any] = {"type": p.kind, "x": p.x, "y": p.y, "width": p.width, "height": p.height,
                             "title": p.title, "properties": p.properties}  # fmt: skip
        try:
            if p.kind == "metric":
                w.update(_metric_widget(ctx, p.properties, start, end, period))
            elif p.kind == "alarm":
                w.update(_alarm_widget(ctx, p.properties.get("alarms") or [], p.properties))
            elif p.kind == "log":
                w.update(_log_widget(ctx, p.properties, start, end))
            elif p.kind == "text":
                w["markdown"] = str(p.properties.get("markdown") or "")
            else:
                w["error"] = f"{p.kind} widgets are not rendered by awsmon"
        except AwsmonError as exc:
            w["error"] = str(exc)
        widgets.append(w)
    return {"DashboardName": resp.get("DashboardName", name), "DashboardArn": resp.get("DashboardArn"),
            "StartTime": start, "EndTime": end, "Widgets": widgets}  # fmt: skip


def _metric_widget(ctx: AppContext, props: dict[str, Any], start: datetime, end: datetime,
                   period: int | None) -> dict[str, Any]:  # fmt: skip
    from awsmon.engines.dashboard import metric_queries
    from awsmon.services.metrics import auto_period, get_metric_data

    view = str(props.get("view") or "timeSeries")
    out: dict[str, Any] = {"view": view, "stacked": bool(props.get("stacked")), "series": []}
    left = ((props.get("yAxis") or {}).get("left") or {}) if isinstance(props.get("yAxis"), dict) else {}
    out["yMin"], out["yMax"] = left.get("min"), left.get("max")
    p = period or int(props.get("period") or 0) or auto_period(end - start)
    queries = metric_queries(props, p)
    annotations = props.get("annotations") if isinstance(props.get("annotations"), dict) else {}
    alarm_arns = [a for a in (annotations or {}).get("alarms") or [] if isinstance(a, str)]
    if alarm_arns:
        out.update(_alarm_widget(ctx, alarm_arns, props))
    if not queries:
        return out
    colors = {q["Id"]: q.pop("_color") for q in queries if "_color" in q}
    resp = get_metric_data(ctx, queries=queries, start=start.isoformat(), end=end.isoformat(),
                           region=str(props.get("region") or "") or None)  # fmt: skip
    results = {r["Id"]: r for r in resp["MetricDataResults"]}
    for q in queries:
        r = results.get(q["Id"])
        if r is None or not q.get("ReturnData", True):
            continue
        pairs = sorted(zip((t.timestamp() if isinstance(t, datetime) else float(t) for t in r.get("Timestamps") or []),
                           r.get("Values") or [], strict=False))  # fmt: skip
        out["series"].append({"id": q["Id"], "label": q.get("Label") or r.get("Label") or q["Id"], "color": colors.get(q["Id"]),
                              "timestamps": [t for t, _ in pairs], "values": [float(v) for _, v in pairs]})  # fmt: skip
    out["period"] = p
    return out


def _alarm_widget(ctx: AppContext, arns: list[Any], props: dict[str, Any]) -> dict[str, Any]:
    names = [str(a).split(":alarm:", 1)[-1] for a in arns]
    client = ctx.client("cloudwatch")
    found: dict[str, dict[str, Any]] = {}
    for k in range(0, len(names), 100):
        resp = client.describe_alarms(AlarmNames=names[k : k + 100], AlarmTypes=["MetricAlarm", "CompositeAlarm"])
        for a in (resp.get("MetricAlarms") or []) + (resp.get("CompositeAlarms") or []):
            found[a["AlarmName"]] = a
    rows = []
    for n in names:
        a = found.get(n)
        rows.append({"name": n, "state": a.get("StateValue") if a else "MISSING",
                     "reason": (a or {}).get("StateReason", "no such alarm")})  # fmt: skip
    states = props.get("states")
    if isinstance(states, list) and states:
        rows = [r for r in rows if r["state"] in states]
    if props.get("sortBy") == "stateUpdatedTimestamp" or props.get("sortBy") == "alarmName":
        rows.sort(key=lambda r: r["name"])
    return {"alarms": rows}


def _log_widget(ctx: AppContext, props: dict[str, Any], start: datetime, end: datetime) -> dict[str, Any]:
    from awsmon.engines.dashboard import split_log_query
    from awsmon.services.logs_query import result_fields, rows_of, run_query

    groups, query = split_log_query(str(props.get("query") or ""))
    if not groups:
        raise UsageError("the log widget's query names no log group (SOURCE '...' |)")
    resp = run_query(ctx, groups, query, start, end, max_wait=60.0)
    return {"view": str(props.get("view") or "table"), "stacked": bool(props.get("stacked")),
            "fields": result_fields(resp), "rows": rows_of(resp)}  # fmt: skip

