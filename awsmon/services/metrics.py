"""CloudWatch metrics: put, list, statistics, metric math and chart series; backend-independent.

Every function takes an AppContext and plain arguments and calls boto3-named operations on ``ctx.client("cloudwatch")``.
The parsers here (dimensions, statistic sets, number lists, MetricData files) turn aws-cli syntax into boto3 shapes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from awsmon.context import AppContext
from awsmon.errors import ServiceError, UsageError
from awsmon.services import compact

BASIC = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
MAX_DATUMS_PER_CALL = 1000
DEMO_NAMESPACE = "AwsmonDemo"


def cloudwatch(ctx: AppContext) -> Any:
    return ctx.client("cloudwatch")


# --------------------------------------------------------------------------------------------------------------
# parsers (aws-cli syntax -> boto3 shapes)


def parse_dimensions(args: Sequence[str] | None) -> list[dict[str, str]]:
    """``Name=InstanceId,Value=i-1`` (repeatable), aws-cli's ``InstanceId=i-1,Other=x`` shorthand, or a JSON list."""
    out: list[dict[str, str]] = []
    for raw in args or []:
        text = raw.strip()
        if not text:
            continue
        if text.startswith("["):
            from awsmon.inputs import loads_json

            items = loads_json(text, "--dimensions")
            if not isinstance(items, list) or not all(isinstance(d, dict) and {"Name", "Value"} <= set(d) for d in items):
                raise UsageError('invalid --dimensions JSON: expected [{"Name": ..., "Value": ...}, ...]')
            out.extend({"Name": str(d["Name"]), "Value": str(d["Value"])} for d in items)
            continue
        pairs: list[tuple[str, str]] = []
        for part in text.split(","):
            if "=" not in part:
                raise UsageError(  # one line: the expected forms are part of the message
                    f"invalid --dimensions value {raw!r}: use Name=InstanceId,Value=i-1 or InstanceId=i-1[,Other=x]"
                )
            k, _, v = part.partition("=")
            if not k.strip():
                raise UsageError(f"invalid --dimensions value {raw!r}: empty dimension name")
            pairs.append((k.strip(), v.strip()))
        keys = [k for k, _ in pairs]
        if sorted(keys) == ["Name", "Value"]:
            d = dict(pairs)
            out.append({"Name": d["Name"], "Value": d["Value"]})
        elif "Name" in keys and len(pairs) == 1:
            out.append({"Name": pairs[0][1], "Value": ""})
        else:
            out.extend({"Name": k, "Value": v} for k, v in pairs)
    return out


def parse_dimension_filters(args: Sequence[str] | None) -> list[dict[str, str]]:
    """ListMetrics filters: like :func:`parse_dimensions`, but ``Name=X`` alone, ``X=`` or a bare ``X`` matches any
    value."""
    out: list[dict[str, str]] = []
    rest: list[str] = []
    for raw in args or []:
        text = raw.strip()
        if text and "=" not in text and not text.startswith("["):
            out.extend({"Name": n.strip()} for n in text.split(",") if n.strip())
        else:
            rest.append(raw)
    for d in parse_dimensions(rest):
        out.append({"Name": d["Name"]} if d["Value"] == "" else d)
    return out


def parse_numbers(args: Sequence[str] | None, option: str) -> list[float] | None:
    """``--values 1 --values 2``, ``--values 1,2,3`` or ``--values "1 2 3"``; None when the option is absent."""
    if not args:
        return None
    out: list[float] = []
    for raw in args:
        for part in raw.replace(",", " ").split():
            try:
                out.append(float(part))
            except ValueError:
                raise UsageError(f"invalid {option} value {part!r}: expected a number") from None
    return out


def parse_statistic_values(text: str | None) -> dict[str, float] | None:
    """``Sum=11,Minimum=2,Maximum=5,SampleCount=3`` (or the JSON object) into StatisticValues."""
    if text is None:
        return None
    raw = text.strip()
    if raw.startswith("{"):
        from awsmon.inputs import loads_json

        obj = loads_json(raw, "--statistic-values")
        items = list(obj.items()) if isinstance(obj, dict) else []
    else:
        items = []
        for part in raw.split(","):
            if "=" not in part:
                raise UsageError(f"invalid --statistic-values {text!r}: use Sum=11,Minimum=2,Maximum=5,SampleCount=3")
            k, _, v = part.partition("=")
            items.append((k.strip(), v.strip()))
    out: dict[str, float] = {}
    for k, v in items:
        if k not in ("Sum", "Minimum", "Maximum", "SampleCount"):
            raise UsageError(f"invalid --statistic-values field {k!r}: use Sum, Minimum, Maximum and SampleCount")
        try:
            out[k] = float(v)
        except (TypeError, ValueError):
            raise UsageError(f"invalid --statistic-values {k} value {v!r}: expected a number") from None
    return out


def _read_text(source: str, what: str) -> str:
    """JSON text inline, or from stdin (``-``), ``file://path`` or a plain path."""
    from awsmon.inputs import read_arg, read_file_text

    if source.lstrip().startswith(("[", "{")) or source == "-" or source.startswith(("file://", "fileb://")):
        return read_arg(source, what, stdin=True)
    return read_file_text(source, what)


def _timestamp_of(ctx: AppContext, value: Any) -> datetime:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        from awsmon.timeparse import from_epoch

        return from_epoch(float(value), f"Timestamp {value!r} in the metric data")
    if isinstance(value, str):
        parsed = ctx.parse_time(value)
        assert parsed is not None
        return parsed
    raise UsageError(f"invalid Timestamp {value!r} in the metric data")


def load_metric_data(ctx: AppContext, source: str) -> tuple[str | None, list[dict[str, Any]]]:
    """The aws-cli JSON form of MetricData (a list), a full request object, or JSON Lines of datums."""
    from awsmon.inputs import check_depth, loads_json

    text = _read_text(source, "--metric-data")
    try:
        doc: Any = json.loads(text)
    except RecursionError:
        doc = loads_json(text, "--metric-data")  # raises the usage error for too deep a nesting
    except json.JSONDecodeError:
        doc = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                doc.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise UsageError(f"invalid --metric-data: not JSON or JSON Lines ({exc.msg}, line {number})") from None
            except RecursionError:
                doc.append(loads_json(line, f"--metric-data line {number}"))
    check_depth(doc, "--metric-data")
    namespace = None
    if isinstance(doc, dict):
        namespace = doc.get("Namespace")
        doc = doc.get("MetricData", [doc] if "MetricName" in doc else [])
    if not isinstance(doc, list) or not all(isinstance(d, dict) for d in doc):
        raise UsageError("invalid --metric-data: expected a list of MetricDatum objects")
    data = []
    for d in doc:
        d = dict(d)
        if d.get("Timestamp") is not None:
            d["Timestamp"] = _timestamp_of(ctx, d["Timestamp"])
        data.append(d)
    return namespace, data


# --------------------------------------------------------------------------------------------------------------
# operations


def put_metric_data(
    ctx: AppContext,
    *,
    namespace: str | None,
    metric_name: str | None = None,
    value: float | None = None,
    values: list[float] | None = None,
    counts: list[float] | None = None,
    statistic_values: dict[str, float] | None = None,
    dimensions: list[dict[str, str]] | None = None,
    unit: str | None = None,
    timestamp: str | None = None,
    storage_resolution: int | None = None,
    metric_data: str | None = None,
) -> dict[str, Any]:
    """PutMetricData from options or from a MetricData file; every datum is validated before any is sent."""
    from awsmon.engines.putmetric_validate import CloudWatchError, validate_put_metric_data

    if metric_data is not None:
        file_ns, data = load_metric_data(ctx, metric_data)
        namespace = namespace or file_ns
        if metric_name is not None or value is not None or values is not None or statistic_values is not None:
            raise UsageError("--metric-data cannot be combined with --metric-name/--value/--values/--statistic-values")
    else:
        if metric_name is None:
            raise UsageError("missing --metric-name (or give --metric-data FILE)")
        datum: dict[str, Any] = {"MetricName": metric_name}
        if value is not None:
            datum["Value"] = value
        if values is not None:
            datum["Values"] = values
        if counts is not None:
            datum["Counts"] = counts
        if statistic_values is not None:
            datum["StatisticValues"] = statistic_values
        if dimensions:
            datum["Dimensions"] = dimensions
        if unit is not None:
            datum["Unit"] = unit
        if timestamp is not None:
            datum["Timestamp"] = ctx.parse_time(timestamp)
        if storage_resolution is not None:
            datum["StorageResolution"] = storage_resolution
        data = [datum]
    if namespace is None:
        raise UsageError("missing --namespace")
    if not data:
        raise UsageError("no metric data to put")
    client = cloudwatch(ctx)
    chunks = [data[i : i + MAX_DATUMS_PER_CALL] for i in range(0, len(data), MAX_DATUMS_PER_CALL)]
    if len(chunks) > 1:
        # Several calls: validate them all first so bad input stores nothing (AWS's own check runs per call).
        now = ctx.now()
        for k, chunk in enumerate(chunks):
            try:
                validate_put_metric_data({"Namespace": namespace, "MetricData": chunk}, now)
            except CloudWatchError as exc:
                raise ServiceError(exc.code, f"{exc.message} (in datums {k * 1000 + 1}-{k * 1000 + len(chunk)})") from None
    for chunk in chunks:
        client.put_metric_data(Namespace=namespace, MetricData=chunk)
    return {"Namespace": namespace, "Datums": len(data), "Calls": len(chunks)}


def list_metrics(
    ctx: AppContext,
    *,
    namespace: str | None = None,
    metric_name: str | None = None,
    dimensions: list[dict[str, str]] | None = None,
    recently_active: str | None = None,
    max_items: int | None = None,
) -> dict[str, Any]:
    """ListMetrics, every page, sorted by namespace, name and dimensions."""
    if max_items is not None and max_items < 1:
        raise UsageError(f"--max-items must be at least 1 (got {max_items})")
    from awsmon.backends import paginate

    params = compact(Namespace=namespace or None, MetricName=metric_name or None, Dimensions=dimensions or None,
                     RecentlyActive=recently_active or None)  # fmt: skip
    client = cloudwatch(ctx)
    # A metric is namespace + name + the dimension *set*; some endpoints (moto) repeat a metric once per datum.
    unique: dict[tuple[str, str, str], dict[str, Any]] = {}
    for m in paginate(client.list_metrics, "Metrics", max_items=max_items, **params):
        dims = sorted((d.get("Name", ""), d.get("Value", "")) for d in m.get("Dimensions") or [])
        unique.setdefault((m["Namespace"], m["MetricName"], json.dumps(dims)), m)
    return {"Metrics": [unique[k] for k in sorted(unique)]}


def through_this_minute(now: datetime) -> datetime:
    """The default end of a metrics window: through the current (partial) minute, so a datum put just now is
    included (EndTime is exclusive)."""
    return now.replace(second=0, microsecond=0) + timedelta(minutes=1)


def _window(ctx: AppContext, start: str | None, end: str | None, default_span: timedelta) -> tuple[datetime, datetime]:
    end_dt = ctx.parse_time(end) if end else through_this_minute(ctx.now())
    assert end_dt is not None
    start_dt = ctx.parse_time(start) if start else end_dt - default_span
    assert start_dt is not None
    return start_dt, end_dt


def get_statistics(
    ctx: AppContext,
    *,
    namespace: str,
    metric_name: str,
    dimensions: list[dict[str, str]] | None = None,
    start: str | None = None,
    end: str | None = None,
    period: int = 60,
    statistics: list[str] | None = None,
    extended_statistics: list[str] | None = None,
    unit: str | None = None,
) -> dict[str, Any]:
    """GetMetricStatistics with datapoints sorted by time (the API returns them unordered)."""
    start_dt, end_dt = _window(ctx, start, end, timedelta(hours=3))
    if not statistics and not extended_statistics:
        statistics = ["Average"]
    params = compact(Namespace=namespace, MetricName=metric_name, Dimensions=dimensions or [], StartTime=start_dt,
                     EndTime=end_dt, Period=period, Statistics=statistics or None,
                     ExtendedStatistics=extended_statistics or None, Unit=unit or None)  # fmt: skip
    resp = cloudwatch(ctx).get_metric_statistics(**params)
    points = sorted(resp.get("Datapoints") or [], key=lambda d: (d["Timestamp"], d.get("Unit") or ""))
    return {"Label": resp.get("Label", metric_name), "Datapoints": points}


def statistics_rows(resp: dict[str, Any], requested: list[str] | None = None
                    ) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:  # fmt: skip
    """Flatten datapoints for tables/csv: Timestamp, the statistics asked for (a column each, even when no period
    has a value for it), extended ones, Unit. Returns rows and ``(header, row key)`` pairs: keys are positional
    (``c0``, ``c1``, ...) because statistic names such as ``p99.5`` contain dots, which column paths split on."""
    names: list[str] = []
    for k in requested or []:
        if k not in names:
            names.append(k)
    for dp in resp["Datapoints"]:  # anything answered but not asked for (never expected) still shows
        for k in [*(b for b in BASIC if b in dp), *(dp.get("ExtendedStatistics") or {})]:
            if k not in names:
                names.append(k)
    rows = []
    for dp in resp["Datapoints"]:
        ext = dp.get("ExtendedStatistics") or {}
        row: dict[str, Any] = {"Timestamp": dp["Timestamp"], "Unit": dp.get("Unit")}
        for i, k in enumerate(names):
            row[f"c{i}"] = dp.get(k) if k in BASIC else ext.get(k)
        rows.append(row)
    return rows, [("Timestamp", "Timestamp"), *((k, f"c{i}") for i, k in enumerate(names)), ("Unit", "Unit")]


def load_queries(text: str) -> list[dict[str, Any]]:
    """``--metric-data-queries``: JSON text, a file, ``file://path`` or ``-`` (stdin)."""
    from awsmon.inputs import loads_json

    doc = loads_json(_read_text(text, "--metric-data-queries"), "--metric-data-queries")
    if isinstance(doc, dict):
        doc = doc.get("MetricDataQueries", [doc])
    if not isinstance(doc, list) or not all(isinstance(q, dict) for q in doc):
        raise UsageError("invalid --metric-data-queries: expected a list of MetricDataQuery objects")
    return doc


def get_metric_data(
    ctx: AppContext,
    *,
    queries: list[dict[str, Any]],
    start: str | None = None,
    end: str | None = None,
    scan_by: str = "TimestampAscending",
    region: str | None = None,
) -> dict[str, Any]:
    """GetMetricData, every page merged; timestamps ascending unless ``scan_by`` says otherwise."""
    start_dt, end_dt = _window(ctx, start, end, timedelta(hours=3))
    client = ctx.client("cloudwatch", region=region) if region else cloudwatch(ctx)
    params: dict[str, Any] = {"MetricDataQueries": queries, "StartTime": start_dt, "EndTime": end_dt, "ScanBy": scan_by}
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    messages: list[Any] = []
    while True:
        page = client.get_metric_data(**params)
        messages.extend(page.get("Messages") or [])
        for r in page.get("MetricDataResults") or []:
            key = (r["Id"], r.get("Label", ""))
            if key in merged:
                merged[key]["Timestamps"].extend(r.get("Timestamps") or [])
                merged[key]["Values"].extend(r.get("Values") or [])
                merged[key]["StatusCode"] = r.get("StatusCode", merged[key].get("StatusCode"))
            else:
                merged[key] = {**r, "Timestamps": list(r.get("Timestamps") or []), "Values": list(r.get("Values") or [])}
        token = page.get("NextToken")
        if not token or token == params.get("NextToken"):
            break
        params["NextToken"] = token
    return {"MetricDataResults": list(merged.values()), "Messages": messages}


def metric_data_rows(resp: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"Id": r["Id"], "Label": r.get("Label"), "Timestamp": t, "Value": v}
        for r in resp["MetricDataResults"]
        for t, v in zip(r.get("Timestamps") or [], r.get("Values") or [], strict=False)
    ]


def auto_period(span: timedelta, points: int = 120) -> int:
    """A period (multiple of 60) that gives about ``points`` buckets over ``span``."""
    seconds = max(60.0, span.total_seconds() / points)
    for p in (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400):
        if p >= seconds:
            return p
    return int(math.ceil(seconds / 86400) * 86400)


def graph_data(
    ctx: AppContext,
    *,
    namespace: str,
    metric_names: list[str],
    dimensions: list[dict[str, str]] | None = None,
    statistic: str = "Average",
    period: int | None = None,
    start: str | None = None,
    end: str | None = None,
    expressions: list[str] | None = None,
    anomaly_band: float | None = None,
) -> dict[str, Any]:
    """GetMetricData for a chart: metrics m1..mN, expressions e1..eK (which may use m1..mN); ascending.

    ``anomaly_band`` (standard deviations) adds ANOMALY_DETECTION_BAND(m_i, k) for every metric; without it, a
    metric that has an anomaly detector for this stat gets its band at the console's default width (2)."""
    if not metric_names:
        raise UsageError("give at least one --metric-name")
    if anomaly_band is not None and not (anomaly_band > 0 and math.isfinite(anomaly_band)):
        raise UsageError(f"invalid --anomaly-band {anomaly_band}: expected a positive number of standard deviations")
    start_dt, end_dt = _window(ctx, start, end, timedelta(hours=3))
    if period is None:
        period = auto_period(end_dt - start_dt)
    bands: dict[str, float] = {}
    if anomaly_band is not None:
        bands = dict.fromkeys(metric_names, anomaly_band)
    elif not expressions:
        wanted = {(d["Name"], d["Value"]) for d in dimensions or []}
        for det in describe_anomaly_detectors(ctx, namespace=namespace)["AnomalyDetectors"]:
            if (det.get("MetricName") in metric_names and det.get("Stat") == statistic
                    and {(d["Name"], d["Value"]) for d in det.get("Dimensions") or []} == wanted):  # fmt: skip
                bands[str(det["MetricName"])] = 2.0
    queries: list[dict[str, Any]] = []
    for i, name in enumerate(metric_names, start=1):
        queries.append({
            "Id": f"m{i}",
            "MetricStat": {"Metric": {"Namespace": namespace, "MetricName": name, "Dimensions": dimensions or []},
                           "Period": period, "Stat": statistic},
            "Label": f"{name} {statistic}",
            "ReturnData": not expressions or name in bands,
        })  # fmt: skip
    for i, name in enumerate(metric_names, start=1):
        if name in bands:
            queries.append({"Id": f"ad{i}", "Expression": f"ANOMALY_DETECTION_BAND(m{i}, {bands[name]:g})",
                            "Label": f"{name} band", "Period": period, "ReturnData": True})  # fmt: skip
    for j, expr in enumerate(expressions or [], start=1):
        queries.append({"Id": f"e{j}", "Expression": expr, "Label": expr, "Period": period, "ReturnData": True})
    resp = get_metric_data(ctx, queries=queries, start=start_dt.isoformat(), end=end_dt.isoformat())
    resp["Period"] = period
    resp["StartTime"] = start_dt
    resp["EndTime"] = end_dt
    return resp


# --------------------------------------------------------------------------------------------------------------
# demo


def _demo_points(now: datetime, hours: int = 6) -> Iterable[dict[str, Any]]:
    import random

    rnd = random.Random(20261120)
    end = now.replace(second=0, microsecond=0)
    for k in range(hours * 60, 0, -1):
        ts = end - timedelta(minutes=k)
        minutes_ago = k
        base = 120.0 + 25.0 * math.sin(minutes_ago / 45.0)
        if 110 <= minutes_ago <= 125:  # the incident: a latency spike about two hours ago
            base *= 4.5
        samples = [round(rnd.lognormvariate(math.log(base), 0.25), 1) for _ in range(20)]
        yield {"MetricName": "Latency", "Dimensions": [{"Name": "Service", "Value": "checkout"}],
               "Timestamp": ts, "Values": samples, "Unit": "Milliseconds"}  # fmt: skip
        requests = 900 + 300 * math.sin(minutes_ago / 90.0) + rnd.uniform(-50, 50)
        yield {"MetricName": "Requests", "Dimensions": [{"Name": "Service", "Value": "checkout"}],
               "Timestamp": ts, "Value": round(requests), "Unit": "Count"}  # fmt: skip


def demo_step(ctx: AppContext) -> list[str]:
    """Six hours of checkout latency (with a spike ~2 h ago) and request counts, relative to the simulated clock."""
    client = cloudwatch(ctx)
    existing = client.list_metrics(Namespace=DEMO_NAMESPACE, MetricName="Latency").get("Metrics") or []
    if not existing:
        data = list(_demo_points(ctx.now()))
        for i in range(0, len(data), MAX_DATUMS_PER_CALL):
            client.put_metric_data(Namespace=DEMO_NAMESPACE, MetricData=data[i : i + MAX_DATUMS_PER_CALL])
    return [
        "awsmon metrics list --namespace AwsmonDemo",
        "awsmon metrics get --namespace AwsmonDemo --metric-name Latency --dimensions Service=checkout "
        "--start 3h --period 300 --statistics Average,Maximum",
        "awsmon metrics get --namespace AwsmonDemo --metric-name Latency --dimensions Service=checkout "
        "--start 3h --period 900 --extended-statistics p99,IQM",
        "awsmon metrics graph --namespace AwsmonDemo --metric-name Latency --dimensions Service=checkout --start 6h",
    ]


# --------------------------------------------------------------------------------------------------------------
# anomaly detectors


def load_json_option(text: str | None, option: str) -> Any:
    """A JSON structure option (inline, a file, ``file://path`` or ``-``); None when absent."""
    from awsmon.inputs import loads_json

    if text is None:
        return None
    return loads_json(_read_text(text, option), option)


def _detector_params(namespace: str | None, metric_name: str | None, dimensions: list[dict[str, str]] | None,
                     stat: str | None, single: str | None) -> dict[str, Any]:  # fmt: skip
    params: dict[str, Any] = {}
    one = load_json_option(single, "--single-metric-anomaly-detector")
    if one is not None:
        if not isinstance(one, dict):
            raise UsageError("invalid --single-metric-anomaly-detector: expected a JSON object")
        params["SingleMetricAnomalyDetector"] = one
    return {**params, **compact(Namespace=namespace, MetricName=metric_name, Stat=stat, Dimensions=dimensions or None)}


def put_anomaly_detector(ctx: AppContext, *, namespace: str | None = None, metric_name: str | None = None,
                         dimensions: list[dict[str, str]] | None = None, stat: str | None = None,
                         single: str | None = None, configuration: str | None = None,
                         metric_characteristics: str | None = None) -> dict[str, Any]:  # fmt: skip
    """PutAnomalyDetector (legacy top-level identity or SingleMetricAnomalyDetector)."""
    params = _detector_params(namespace, metric_name, dimensions, stat, single)
    cfg = load_json_option(configuration, "--configuration")
    if cfg is not None:
        if not isinstance(cfg, dict):
            raise UsageError("invalid --configuration: expected a JSON object with ExcludedTimeRanges")
        params["Configuration"] = cfg
    chars = load_json_option(metric_characteristics, "--metric-characteristics")
    if chars is not None:
        params["MetricCharacteristics"] = chars
    return cloudwatch(ctx).put_anomaly_detector(**params)


def describe_anomaly_detectors(ctx: AppContext, *, namespace: str | None = None, metric_name: str | None = None,
                               dimensions: list[dict[str, str]] | None = None,
                               types: list[str] | None = None) -> dict[str, Any]:  # fmt: skip
    """DescribeAnomalyDetectors, every page merged."""
    params = compact(Namespace=namespace or None, MetricName=metric_name or None, Dimensions=dimensions or None,
                     AnomalyDetectorTypes=types or None)  # fmt: skip
    out: list[dict[str, Any]] = []
    while True:
        page = cloudwatch(ctx).describe_anomaly_detectors(**params)
        out.extend(page.get("AnomalyDetectors") or [])
        token = page.get("NextToken")
        if not token or token == params.get("NextToken"):
            return {"AnomalyDetectors": out}
        params["NextToken"] = token


def delete_anomaly_detector(ctx: AppContext, *, namespace: str | None = None, metric_name: str | None = None,
                            dimensions: list[dict[str, str]] | None = None, stat: str | None = None,
                            single: str | None = None) -> dict[str, Any]:  # fmt: skip
    """DeleteAnomalyDetector."""
    return cloudwatch(ctx).delete_anomaly_detector(**_detector_params(namespace, metric_name, dimensions, stat, single))


# --------------------------------------------------------------------------------------------------------------
# Metrics Insights


def metrics_query(ctx: AppContext, sql: str, *, start: str | None = None, end: str | None = None,
                  period: int | None = None) -> dict[str, Any]:  # fmt: skip
    """A Metrics Insights query through GetMetricData (an Expression query), as both backends answer it."""
    start_dt, end_dt = _window(ctx, start, end, timedelta(hours=3))
    if period is None:
        period = auto_period(end_dt - start_dt)
    q = [{"Id": "q1", "Expression": sql, "Period": period, "ReturnData": True}]
    resp = get_metric_data(ctx, queries=q, start=start_dt.isoformat(), end=end_dt.isoformat())
    resp["Period"] = period
    return resp
