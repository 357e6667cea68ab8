"""awsmon metrics: CloudWatch metrics: put custom metrics, list them, get statistics and metric math, graph them in the terminal."""

import sys

import typer

from awsmon.cli._common import app_ctx, aws_cli_aliases, group, renderer, split_values
from awsmon.output import Column

app = group(
    "metrics",
    "CloudWatch metrics: put custom metrics, list them, get statistics and metric math, graph them in the "
    "terminal.\n\n"
    "Examples:\n\n"
    "  awsmon metrics put --namespace App --metric-name Latency --value 120 --unit Milliseconds "
    "--dimensions Service=checkout\n\n"
    "  awsmon metrics get --namespace App --metric-name Latency --dimensions Service=checkout --start 1h "
    "--period 300 --statistics Average Maximum\n\n"
    "  awsmon metrics graph --namespace App --metric-name Latency --dimensions Service=checkout --start 6h",
)

_DIMS_HELP = "Name=InstanceId,Value=i-1 (repeatable) or the shorthand InstanceId=i-1[,Other=x]."


def _dims_text(dims: object) -> str:
    if not isinstance(dims, list):
        return ""
    return ",".join(f"{d.get('Name')}={d.get('Value')}" for d in dims if isinstance(d, dict))


@app.command("put")
def put(
    ctx: typer.Context,
    namespace: str | None = typer.Option(None, "--namespace", "-n", help="Metric namespace (not starting with AWS/)."),
    metric_name: str | None = typer.Option(None, "--metric-name", "--name", help="Metric name."),
    value: float | None = typer.Option(None, "--value", help="A single value."),
    values: list[str] | None = typer.Option(None, "--values", help="Up to 150 values: 1,2,3 or repeated."),
    counts: list[str] | None = typer.Option(None, "--counts", help="How many times each --values entry occurred."),
    statistic_values: str | None = typer.Option(
        None, "--statistic-values", help="A statistic set: Sum=11,Minimum=2,Maximum=5,SampleCount=3."
    ),
    dimensions: list[str] | None = typer.Option(None, "--dimensions", "--dimension", "-d", help=_DIMS_HELP),
    unit: str | None = typer.Option(None, "--unit", help="Seconds, Milliseconds, Bytes, Percent, Count, ... (default None)."),
    timestamp: str | None = typer.Option(None, "--timestamp", help="Time of the datum (default now): ISO, epoch, 5m ago."),
    storage_resolution: int | None = typer.Option(
        None, "--storage-resolution", help="1 = high resolution (per second), 60 = standard (default)."
    ),
    metric_data: str | None = typer.Option(
        None, "--metric-data", help="aws-cli JSON MetricData (a list), JSON Lines of datums, a file, file://path or - (stdin)."
    ),
) -> None:
    """Publish metric data (PutMetricData): one value, Values/Counts, a statistic set, or a batch from a file.

    Example: awsmon metrics put --namespace MyApp --metric-name Latency --values 12,15,90 --unit Milliseconds -d Service=checkout
    """
    from awsmon.output import success
    from awsmon.services.metrics import (
        parse_dimensions,
        parse_numbers,
        parse_statistic_values,
        put_metric_data,
    )

    actx = app_ctx(ctx)
    result = put_metric_data(
        actx,
        namespace=namespace,
        metric_name=metric_name,
        value=value,
        values=parse_numbers(values, "--values"),
        counts=parse_numbers(counts, "--counts"),
        statistic_values=parse_statistic_values(statistic_values),
        dimensions=parse_dimensions(dimensions),
        unit=unit,
        timestamp=timestamp,
        storage_resolution=storage_resolution,
        metric_data=metric_data,
    )
    if actx.output.value == "json":
        renderer(ctx).render({})  # PutMetricData's response is empty
    n = result["Datums"]
    success(actx, f"Put {n} datum{'s' if n != 1 else ''} into {result['Namespace']} ({result['Calls']} call(s)).")


@app.command("list")
def list_(
    ctx: typer.Context,
    namespace: str | None = typer.Option(None, "--namespace", "-n", help="Only this namespace."),
    metric_name: str | None = typer.Option(None, "--metric-name", "--name", help="Only this metric name."),
    dimensions: list[str] | None = typer.Option(
        None, "--dimensions", "--dimension", "-d", help="Filter: Name=X,Value=Y, X=Y, or Name=X / X alone (any value); up to 10."
    ),
    recently_active: str | None = typer.Option(
        None, "--recently-active", help="PT3H: only metrics with data published in the past three hours."
    ),
    max_items: int | None = typer.Option(None, "--max-items", help="Stop after this many metrics."),
) -> None:
    """List metrics (ListMetrics) that had data in the last two weeks, sorted by namespace and name.

    Example: awsmon metrics list --namespace AwsmonDemo --dimensions Service=checkout --recently-active PT3H
    """
    from awsmon.services.metrics import list_metrics, parse_dimension_filters

    ra = recently_active
    if ra is not None and ra.strip().lower() in ("3h", "pt3h"):
        ra = "PT3H"
    resp = list_metrics(app_ctx(ctx), namespace=namespace, metric_name=metric_name,
                        dimensions=parse_dimension_filters(dimensions), recently_active=ra,
                        max_items=max_items)  # fmt: skip
    renderer(ctx).render(resp, rows_key="Metrics",
                         columns=[Column("Namespace"), Column("MetricName"), Column("Dimensions", fmt=_dims_text)])  # fmt: skip


@app.command("get")
def get(
    ctx: typer.Context,
    namespace: str = typer.Option(..., "--namespace", "-n", help="Metric namespace."),
    metric_name: str = typer.Option(..., "--metric-name", "--name", help="Metric name."),
    dimensions: list[str] | None = typer.Option(
        None, "--dimensions", "--dimension", "-d", help=_DIMS_HELP + " All of the metric's dimensions."
    ),
    start: str | None = typer.Option(None, "--start-time", "--start", help="Inclusive start (default 3h ago)."),
    end: str | None = typer.Option(None, "--end-time", "--end", help="Exclusive end (default now)."),
    period: int = typer.Option(60, "--period", help="Seconds: 1, 5, 10, 20, 30 or a multiple of 60."),
    statistics: list[str] | None = typer.Option(
        None, "--statistics", "--statistic", "-s", help="SampleCount, Average, Sum, Minimum, Maximum (comma list or repeated)."
    ),
    extended: list[str] | None = typer.Option(
        None, "--extended-statistics", "--extended-statistic", "-x", help="p99, p99.9, tm90, TM(10%:90%), IQM, PR(:300), ..."
    ),
    unit: str | None = typer.Option(None, "--unit", help="Only datapoints published with this unit."),
) -> None:
    """Statistics of one metric over time (GetMetricStatistics), sorted by timestamp.

    Example: awsmon metrics get -n AwsmonDemo --metric-name Latency -d Service=checkout --start 3h --period 300 -s Average,Maximum
    """
    from awsmon.services.metrics import get_statistics, parse_dimensions, statistics_rows

    resp = get_statistics(
        app_ctx(ctx), namespace=namespace, metric_name=metric_name, dimensions=parse_dimensions(dimensions),
        start=start, end=end, period=period, statistics=split_values(statistics),
        extended_statistics=split_values(extended), unit=unit,
    )  # fmt: skip
    r = renderer(ctx)
    if app_ctx(ctx).query or r.fmt == "json":
        r.render(resp)
        return
    asked = [*(split_values(statistics) or ([] if extended else ["Average"])), *(split_values(extended) or [])]
    rows, cols = statistics_rows(resp, asked)
    r.rows(rows, [Column(header, path=key) for header, key in cols])


@app.command("get-data")
def get_data(
    ctx: typer.Context,
    queries: str = typer.Option(
        ..., "--metric-data-queries", "--queries", help="MetricDataQueries: JSON text, a file, file://path or - (stdin)."
    ),
    start: str | None = typer.Option(None, "--start-time", "--start", help="Inclusive start (default 3h ago)."),
    end: str | None = typer.Option(None, "--end-time", "--end", help="Exclusive end (default now)."),
    scan_by: str = typer.Option(
        "TimestampAscending", "--scan-by", help="TimestampAscending (default here) or TimestampDescending (AWS's default)."
    ),
) -> None:
    """Metric data and metric math (GetMetricData): MetricStat queries and expressions such as m1/m2*100.

    Example: awsmon metrics get-data --start 3h --metric-data-queries '[{"Id":"m1","MetricStat":{"Metric":{"Namespace":"AwsmonDemo","MetricName":"Requests","Dimensions":[{"Name":"Service","Value":"checkout"}]},"Period":300,"Stat":"Sum"}},{"Id":"e1","Expression":"RATE(m1)"}]'
    """
    from awsmon.services.metrics import get_metric_data, load_queries, metric_data_rows

    resp = get_metric_data(app_ctx(ctx), queries=load_queries(queries), start=start, end=end, scan_by=scan_by)
    r = renderer(ctx)
    if app_ctx(ctx).query or r.fmt == "json":
        r.render(resp)
        return
    r.rows(metric_data_rows(resp), [Column("Id"), Column("Label"), Column("Timestamp"), Column("Value")])


@app.command("graph")
def graph(
    ctx: typer.Context,
    namespace: str = typer.Option(..., "--namespace", "-n", help="Metric namespace."),
    metric_names: list[str] = typer.Option(
        ..., "--metric-name", "--name", help="Metric name (repeat for several series; ids m1, m2, ... for --expression)."
    ),
    dimensions: list[str] | None = typer.Option(None, "--dimensions", "--dimension", "-d", help=_DIMS_HELP),
    statistic: str = typer.Option("Average", "--statistic", "--stat", "-s", help="Average, Sum, Maximum, p99, ..."),
    period: int | None = typer.Option(None, "--period", help="Seconds per point (default: about 120 points)."),
    start: str | None = typer.Option(None, "--start-time", "--start", help="Start (default 3h ago)."),
    end: str | None = typer.Option(None, "--end-time", "--end", help="End (default now)."),
    expressions: list[str] | None = typer.Option(
        None, "--expression", "-e", help="Metric math over m1, m2, ... (repeatable), e.g. 'm1/m2*100'."
    ),
    style: str = typer.Option("auto", "--style", help="auto (chart on a terminal, plain text when piped), line, spark, table."),
    width: int | None = typer.Option(None, "--width", help="Chart width in columns (default: terminal, at most 120)."),
    height: int = typer.Option(12, "--height", help="Chart height in rows."),
    anomaly_band: float | None = typer.Option(
        None, "--anomaly-band", help="Draw ANOMALY_DETECTION_BAND(m, STDDEVS) around each metric (default: 2 when "
        "the metric has an anomaly detector for this statistic)."
    ),
) -> None:
    """Chart one or more series in the terminal (line chart or sparklines), with axis labels and a legend.

    Example: awsmon metrics graph -n AwsmonDemo --metric-name Latency -d Service=checkout --start 6h --statistic p99
    """
    import shutil

    from awsmon.charts import ChartSeries, line_chart, plain_table, spark_lines
    from awsmon.errors import UsageError
    from awsmon.services.metrics import graph_data, parse_dimensions

    if style not in ("auto", "line", "spark", "table"):
        raise UsageError(f"invalid --style {style!r}: choose auto, line, spark or table")
    actx = app_ctx(ctx)
    resp = graph_data(actx, namespace=namespace, metric_names=metric_names, dimensions=parse_dimensions(dimensions),
                      statistic=statistic, period=period, start=start, end=end, expressions=expressions,
                      anomaly_band=anomaly_band)  # fmt: skip
    r = renderer(ctx)
    # Only an explicit -o (or --query) asks for data: the implicit "json when piped" default must not replace the
    # plain-text fallback of --style auto, nor a chart forced with --style.
    explicit = not str(actx.output.source).startswith("default")
    if actx.query or (explicit and r.fmt == "json"):
        r.render({"MetricDataResults": resp["MetricDataResults"], "Messages": resp["Messages"]})
        return
    if explicit and r.fmt != "table":
        from awsmon.services.metrics import metric_data_rows

        r.rows(metric_data_rows(resp), [Column("Id"), Column("Label"), Column("Timestamp"), Column("Value")])
        return
    series = [
        ChartSeries(str(x.get("Label") or x["Id"]), [t.timestamp() for t in x["Timestamps"]], list(x["Values"]))
        for x in resp["MetricDataResults"]
    ]
    tty = sys.stdout.isatty()
    chosen = style if style != "auto" else ("line" if tty else "table")
    if chosen == "table":
        r.write(plain_table(series, actx.tz))
        return
    cols = max(40, width) if width else max(40, min(120, shutil.get_terminal_size((80, 24)).columns))
    fancy = tty or actx.color.value == "always"
    t0, t1 = resp["StartTime"].timestamp(), resp["EndTime"].timestamp() - resp["Period"]
    if chosen == "spark":
        r.write(spark_lines(series, width=cols, ascii=not fancy, t0=t0, t1=t1))
        return
    title = f"{namespace} {', '.join(metric_names)} ({statistic}, period {resp['Period']}s)"
    color = fancy and actx.color.value != "never"
    r.write(line_chart(series, width=cols, height=height, title=title, ascii=not fancy, color=color, tz=actx.tz,
                       t0=t0, t1=t1))  # fmt: skip


_DETECTOR_HELP = "aws-cli JSON SingleMetricAnomalyDetector {Namespace, MetricName, Dimensions, Stat} (instead of the options)."


@app.command("put-anomaly-detector")
def put_anomaly_detector(
    ctx: typer.Context,
    namespace: str | None = typer.Option(None, "--namespace", "-n", help="Metric namespace (legacy form)."),
    metric_name: str | None = typer.Option(None, "--metric-name", "--name", help="Metric name (legacy form)."),
    dimensions: list[str] | None = typer.Option(None, "--dimensions", "--dimension", "-d", help=_DIMS_HELP),
    stat: str | None = typer.Option(None, "--stat", help="Statistic the model learns (Average, Sum, p90, ...)."),
    single: str | None = typer.Option(None, "--single-metric-anomaly-detector", help=_DETECTOR_HELP),
    configuration: str | None = typer.Option(
        None, "--configuration", help='JSON {"ExcludedTimeRanges": [{"StartTime": ..., "EndTime": ...}], "MetricTimezone": ...}.'
    ),
    metric_characteristics: str | None = typer.Option(None, "--metric-characteristics", help='JSON {"PeriodicSpikes": true}.'),
) -> None:
    """Create or update an anomaly detection model for a metric and statistic (PutAnomalyDetector).

    Example: awsmon metrics put-anomaly-detector -n AwsmonDemo --metric-name Latency -d Service=checkout --stat Average
    """
    from awsmon.output import success
    from awsmon.services.metrics import parse_dimensions
    from awsmon.services.metrics import put_anomaly_detector as put_detector

    actx = app_ctx(ctx)
    put_detector(actx, namespace=namespace, metric_name=metric_name, dimensions=parse_dimensions(dimensions), stat=stat,
                 single=single, configuration=configuration, metric_characteristics=metric_characteristics)  # fmt: skip
    if actx.output.value == "json":
        renderer(ctx).render({})
    success(actx, "Anomaly detector stored.")


@app.command("describe-anomaly-detectors")
def describe_anomaly_detectors(
    ctx: typer.Context,
    namespace: str | None = typer.Option(None, "--namespace", "-n", help="Only this namespace."),
    metric_name: str | None = typer.Option(None, "--metric-name", "--name", help="Only this metric name."),
    dimensions: list[str] | None = typer.Option(None, "--dimensions", "--dimension", "-d", help=_DIMS_HELP),
    types: list[str] | None = typer.Option(
        None, "--anomaly-detector-types", help="SINGLE_METRIC and/or METRIC_MATH (repeatable or comma-separated)."
    ),
) -> None:
    """List anomaly detectors (DescribeAnomalyDetectors) with their state and excluded time ranges.

    Example: awsmon metrics describe-anomaly-detectors -n AwsmonDemo
    """
    from awsmon.services.metrics import describe_anomaly_detectors as describe
    from awsmon.services.metrics import parse_dimensions

    resp = describe(app_ctx(ctx), namespace=namespace, metric_name=metric_name, dimensions=parse_dimensions(dimensions),
                    types=split_values(types))  # fmt: skip
    r = renderer(ctx)
    if app_ctx(ctx).query or r.fmt == "json":
        r.render(resp)
        return
    rows = [{**d, "DimensionsText": _dims_text(d.get("Dimensions")),
             "Excluded": len((d.get("Configuration") or {}).get("ExcludedTimeRanges") or [])}
            for d in resp["AnomalyDetectors"]]  # fmt: skip
    r.rows(rows, [Column("Namespace"), Column("Metric", "MetricName"), Column("Dimensions", "DimensionsText"),
                  Column("Stat"), Column("State", "StateValue"), Column("Excluded ranges", "Excluded")])  # fmt: skip


@app.command("delete-anomaly-detector")
def delete_anomaly_detector(
    ctx: typer.Context,
    namespace: str | None = typer.Option(None, "--namespace", "-n", help="Metric namespace (legacy form)."),
    metric_name: str | None = typer.Option(None, "--metric-name", "--name", help="Metric name (legacy form)."),
    dimensions: list[str] | None = typer.Option(None, "--dimensions", "--dimension", "-d", help=_DIMS_HELP),
    stat: str | None = typer.Option(None, "--stat", help="Statistic of the detector."),
    single: str | None = typer.Option(None, "--single-metric-anomaly-detector", help=_DETECTOR_HELP),
) -> None:
    """Delete an anomaly detector (DeleteAnomalyDetector); alarms using its band keep working on the local model.

    Example: awsmon metrics delete-anomaly-detector -n AwsmonDemo --metric-name Latency -d Service=checkout --stat Average
    """
    from awsmon.output import success
    from awsmon.services.metrics import delete_anomaly_detector as delete
    from awsmon.services.metrics import parse_dimensions

    actx = app_ctx(ctx)
    delete(actx, namespace=namespace, metric_name=metric_name, dimensions=parse_dimensions(dimensions), stat=stat,
           single=single)  # fmt: skip
    if actx.output.value == "json":
        renderer(ctx).render({})
    success(actx, "Anomaly detector deleted.")


@app.command("query")
def query(
    ctx: typer.Context,
    sql: str = typer.Argument(..., help="SELECT FUNC(metric) FROM namespace|SCHEMA(ns, dims...) [WHERE] [GROUP BY] [ORDER BY] [LIMIT]."),
    start: str | None = typer.Option(None, "--start-time", "--start", help="Start (default 3h ago)."),
    end: str | None = typer.Option(None, "--end-time", "--end", help="End (default now)."),
    period: int | None = typer.Option(None, "--period", help="Seconds per point (default: about 120 points)."),
) -> None:
    """Run a Metrics Insights SQL query (GetMetricData with an Expression): one series per group.

    Example: awsmon metrics query "SELECT AVG(CPUUtilization) FROM SCHEMA(\"AWS/EC2\", InstanceId) GROUP BY InstanceId ORDER BY AVG() DESC LIMIT 10" --start 3h
    """
    from awsmon.services.metrics import metric_data_rows, metrics_query

    resp = metrics_query(app_ctx(ctx), sql, start=start, end=end, period=period)
    r = renderer(ctx)
    if app_ctx(ctx).query or r.fmt == "json":
        r.render({"MetricDataResults": resp["MetricDataResults"], "Messages": resp["Messages"]})
        return
    r.rows(metric_data_rows(resp), [Column("Label"), Column("Timestamp"), Column("Value")])


# aws-cli's operation names, hidden (help lists awsmon's names)
aws_cli_aliases(app, {
    "put-metric-data": "put",
    "list-metrics": "list",
    "get-metric-statistics": "get",
    "get-metric-data": "get-data",
})
