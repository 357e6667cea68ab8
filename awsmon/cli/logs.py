"""awsmon logs: CloudWatch Logs: groups, streams and events, filter patterns, tail, metric filters, import."""

import sys
from datetime import UTC, datetime
from typing import Any

import typer

from awsmon.cli._common import (
    app_ctx,
    aws_cli_aliases,
    group,
    parse_key_values,
    renderer,
    seconds_option,
    service_command,
    split_values,
)
from awsmon.errors import UsageError
from awsmon.output import Column

app = group(
    "logs",
    "CloudWatch Logs: groups, streams and events, filter patterns, tail, metric filters, import.\n\n"
    "Examples:\n\n"
    "  awsmon logs create-group --name /app/web\n\n"
    "  awsmon logs put-events --group /app/web --stream web-1 --message 'hello' --create\n\n"
    "  awsmon logs filter --group /app/web --pattern '{ $.status >= 500 }' --start 1h\n\n"
    "  awsmon logs tail /app/web --follow --format short",
)


def _ts(value: Any) -> str:
    return datetime.fromtimestamp(int(value) / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _time(ctx: typer.Context, text: str | None) -> datetime | None:
    return app_ctx(ctx).parse_time(text) if text else None


GROUP_COLUMNS = [Column("logGroupName"), Column("creationTime", fmt=_ts, priority=3), Column("retentionInDays"),
                 Column("metricFilterCount", priority=2), Column("storedBytes", priority=1)]  # fmt: skip
STREAM_COLUMNS = [Column("logStreamName"), Column("creationTime", fmt=_ts), Column("lastEventTimestamp", fmt=_ts),
                  Column("storedBytes")]  # fmt: skip
EVENT_COLUMNS = [Column("timestamp", fmt=_ts), Column("logStreamName"), Column("message")]


def _group_opt(required: bool = True) -> Any:
    return typer.Option(... if required else None, "--log-group-name", "--group", "--name", help="The log group name.")


def _stream_opt() -> Any:
    return typer.Option(..., "--log-stream-name", "--stream", help="The log stream name.")


# -- groups ---------------------------------------------------------------------------------------------------------
@app.command("create-group")
def create_group(
    ctx: typer.Context,
    name: str = _group_opt(),
    retention: int | None = typer.Option(None, "--retention-in-days", "--retention", help="Also set a retention policy."),
    log_class: str | None = typer.Option(None, "--log-group-class", help="STANDARD (default) or INFREQUENT_ACCESS."),
    kms_key: str | None = typer.Option(None, "--kms-key-id", help="A KMS key ARN to encrypt the group with."),
    tags: str | None = typer.Option(None, "--tags", help="Key=Value,... or JSON."),
) -> None:
    """Create a log group (names: 1-512 of [.-_/#A-Za-z0-9]).

    Example: awsmon logs create-group --name /app/web --retention 30
    """
    from awsmon.services.logs import create_group as svc
    from awsmon.services.sqs import parse_attributes

    renderer(ctx).detail(svc(app_ctx(ctx), name, retention, log_class, kms_key, parse_attributes(tags, "--tags")))


service_command(app, "delete-group", "awsmon.services.logs:delete_group",
                "Delete a log group with its streams, events and metric filters.\n\n"
                "Example: awsmon logs delete-group --name /app/web",
                ("name", str, _group_opt()), detail=True)


service_command(app, "describe-groups", "awsmon.services.logs:describe_groups",
                "List log groups (all pages), in name order.\n\n"
                "Example: awsmon logs describe-groups --prefix /app",
                ("prefix", str | None, typer.Option(None, "--log-group-name-prefix", "--prefix", help="Only names starting with this.")),
                ("pattern", str | None, typer.Option(None, "--log-group-name-pattern", "--contains", help="Only names containing this.")),
                ("limit", int | None, typer.Option(None, "--max-items", "--limit", help="At most this many groups.")),
                rows_key="logGroups", columns=GROUP_COLUMNS)  # fmt: skip


service_command(app, "put-retention", "awsmon.services.logs:put_retention",
                "Set how long a group keeps its events; older events expire as the (simulated) clock passes.\n\n"
                "Example: awsmon logs put-retention --group /app/web --days 7",
                ("group", str, _group_opt()),
                ("days", int, typer.Option(..., "--retention-in-days", "--days", help="1, 3, 5, 7, 14, 30, 60, 90, ... 3653.")),
                detail=True)  # fmt: skip


service_command(app, "delete-retention", "awsmon.services.logs:delete_retention",
                "Remove a group's retention policy (events never expire).\n\n"
                "Example: awsmon logs delete-retention --group /app/web",
                ("group", str, _group_opt()), detail=True)


# -- streams --------------------------------------------------------------------------------------------------------
service_command(app, "create-stream", "awsmon.services.logs:create_stream",
                "Create a log stream in a group (names must not contain ':' or '*').\n\n"
                "Example: awsmon logs create-stream --group /app/web --stream web-1",
                ("group", str, _group_opt()), ("stream", str, _stream_opt()), detail=True)


service_command(app, "delete-stream", "awsmon.services.logs:delete_stream",
                "Delete a log stream and its events.\n\n"
                "Example: awsmon logs delete-stream --group /app/web --stream web-1",
                ("group", str, _group_opt()), ("stream", str, _stream_opt()), detail=True)


@app.command("describe-streams")
def describe_streams(
    ctx: typer.Context,
    name: str = _group_opt(),
    prefix: str | None = typer.Option(None, "--log-stream-name-prefix", "--prefix", help="Only names starting with this."),
    order_by: str | None = typer.Option(None, "--order-by", help="LogStreamName (default) or LastEventTime."),
    descending: bool = typer.Option(False, "--descending", help="Reverse the order."),
    limit: int | None = typer.Option(None, "--max-items", "--limit", help="At most this many streams."),
) -> None:
    """List the streams of a group, by name or by last event time.

    Example: awsmon logs describe-streams --group /app/web --order-by LastEventTime --descending
    """
    from awsmon.services.logs import describe_streams as svc

    data = svc(app_ctx(ctx), name, prefix, order_by, descending, limit)
    renderer(ctx).render(data, rows_key="logStreams", columns=STREAM_COLUMNS)


# -- events ---------------------------------------------------------------------------------------------------------
@app.command("put-events")
def put_events(
    ctx: typer.Context,
    name: str = _group_opt(),
    stream: str = _stream_opt(),
    messages: list[str] | None = typer.Option(None, "--message", "-m", help="An event message (repeatable)."),
    file: str | None = typer.Option(None, "--file", help="A file of one event per line, or aws-cli's JSON list of "
                                    "{timestamp, message} (in a file, or inline); '-' or piped stdin also work."),  # fmt: skip
    log_events: list[str] | None = typer.Option(None, "--log-events", help="aws-cli's events: shorthand values "
                                                "timestamp=MS,message=TEXT (several after one flag), a JSON list, "
                                                "file://PATH or a path as --file."),  # fmt: skip
    timestamp: str | None = typer.Option(None, "--timestamp", help="Timestamp of --message/line events (default now)."),
    create: bool = typer.Option(False, "--create", help="Create the group and stream if missing."),
) -> None:
    """Put events in one PutLogEvents call (at most 10,000 events and 1 MB; rejected as a whole otherwise).

    Example: awsmon logs put-events --group /app/web --stream web-1 --message 'GET / 200' --message 'GET /x 500'
    """
    from awsmon.services.logs import put_events as svc

    texts = [_events_text(v) for v in ([file] if file is not None else []) + (log_events or [])]
    if not texts and not messages and not sys.stdin.isatty():
        texts.append(_read_stdin())
    actx = app_ctx(ctx)
    data = svc(actx, name, stream, messages, texts, _time(ctx, timestamp), create)
    rejected = data.get("rejectedLogEventsInfo")
    if rejected:
        from awsmon.output import info

        why = {"tooNewLogEventStartIndex": "from index {} on: more than 2 hours in the future",
               "tooOldLogEventEndIndex": "before index {}: older than 14 days",
               "expiredLogEventEndIndex": "before index {}: older than the retention period"}  # fmt: skip
        info(actx, "some events were rejected: " + "; ".join(why[k].format(v) for k, v in rejected.items() if k in why))
    renderer(ctx).detail(data)


def _events_text(value: str) -> str:
    """One --file / --log-events value as the text of its events: aws-cli's inline JSON list (checked here), its
    shorthand ``timestamp=MS,message=TEXT`` (one event, as a one-event JSON list), else a file (``-`` stdin)."""
    import json
    import re

    from awsmon.inputs import loads_json

    if value.lstrip().startswith("["):
        inline = loads_json(value, "inline --log-events")
        if not isinstance(inline, list) or not all(isinstance(e, dict) and "message" in e for e in inline):
            raise UsageError('invalid inline --log-events: expected [{"timestamp": ms, "message": "..."}, ...]')
        return value
    if re.match(r"\s*(timestamp|message)\s*=", value):  # aws-cli shorthand (a path never starts so)
        event: dict[str, object] = dict(parse_key_values(value, "--log-events"))
        unknown = sorted(set(event) - {"timestamp", "message"})
        if unknown or "message" not in event:
            raise UsageError(f"invalid --log-events value {value!r}: expected timestamp=MS,message=TEXT"
                             + (f" (unknown key {unknown[0]!r})" if unknown else ""))  # fmt: skip
        if "timestamp" in event:
            if not re.fullmatch(r"-?\d+", str(event["timestamp"])):
                raise UsageError(f"invalid --log-events value {value!r}: timestamp must be epoch milliseconds")
            event["timestamp"] = int(str(event["timestamp"]))
        return json.dumps([event])
    return _read_stdin() if value == "-" else _read_file(value)


def _read_file(path: str, what: str = "--file") -> str:
    from awsmon.inputs import file_path_of, read_file_text

    return read_file_text(file_path_of(path) or path, what)


def _read_stdin() -> str:
    from awsmon.inputs import read_stdin_text

    return read_stdin_text("--file")


@app.command("get-events")
def get_events(
    ctx: typer.Context,
    name: str = _group_opt(),
    stream: str = _stream_opt(),
    start: str | None = typer.Option(None, "--start-time", "--start", help="Any time form (inclusive)."),
    end: str | None = typer.Option(None, "--end-time", "--end", help="Any time form (exclusive)."),
    limit: int | None = typer.Option(None, "--limit", help="At most this many events (1-10000)."),
    head: bool = typer.Option(False, "--start-from-head", help="Oldest first (default: the newest page)."),
    token: str | None = typer.Option(None, "--next-token", help="Continue from a nextForwardToken/nextBackwardToken."),
    unmask: bool = typer.Option(False, "--unmask", help="Show values a data protection policy masks (logs:Unmask)."),
) -> None:
    """Get one page of events of one stream (GetLogEvents).

    Example: awsmon logs get-events --group /app/web --stream web-1 --start-from-head --limit 20
    """
    from awsmon.services.logs import get_events as svc

    data = svc(app_ctx(ctx), name, stream, _time(ctx, start), _time(ctx, end), limit, head, token, unmask)
    renderer(ctx).render(data, rows_key="events", columns=[Column("timestamp", fmt=_ts), Column("message")])


@app.command("filter")
def filter_(
    ctx: typer.Context,
    groups: list[str] | None = typer.Option(None, "--log-group-name", "--group", help="A log group (repeatable)."),
    group_prefix: str | None = typer.Option(None, "--log-group-name-prefix", "--group-prefix",
                                            help="Every group whose name starts with this."),  # fmt: skip
    streams: list[str] | None = typer.Option(None, "--log-stream-names", "--stream", help="Only these streams."),
    stream_prefix: str | None = typer.Option(None, "--log-stream-name-prefix", "--stream-prefix", help="Only streams whose name starts with this."),
    pattern: str | None = typer.Option(None, "--filter-pattern", "--pattern", help="A filter pattern (empty: all)."),
    start: str | None = typer.Option(None, "--start-time", "--start", help="Any time form: 1h, 2026-11-20T10:00Z, ..."),
    end: str | None = typer.Option(None, "--end-time", "--end", help="Any time form (inclusive)."),
    limit: int | None = typer.Option(None, "--limit", "--max-items", help="At most this many events in total."),
    head: bool = typer.Option(True, "--start-from-head/--newest-first", help="Oldest first (default) or newest."),
    count: bool = typer.Option(False, "--count", help="Print only the number of matching events."),
    parallel: int = typer.Option(4, "--parallel", help="aws backend: time windows fetched at once per group."),
    rate: float = typer.Option(5.0, "--rate", help="aws backend: FilterLogEvents requests per second (account-wide)."),
    validate: bool = typer.Option(True, "--validate/--no-validate", help="Check the pattern locally first."),
    recheck: bool = typer.Option(True, "--recheck/--no-recheck", help="With --endpoint-url: re-check the server's "
                                 "events with awsmon's own pattern engine (moto ignores JSON and space-delimited "
                                 "patterns)."),  # fmt: skip
) -> None:
    """Events matching a filter pattern across one or more groups, merged in time order.

    Example: awsmon logs filter --group /app/web --group /app/api --pattern '{ $.status >= 500 }' --start 1h
    """
    from awsmon.services import logs as svc

    actx = app_ctx(ctx)
    kw: dict[str, Any] = {
        "group_prefix": group_prefix, "pattern": pattern, "streams": split_values(streams) or None,
        "stream_prefix": stream_prefix, "start": _time(ctx, start), "end": _time(ctx, end), "limit": limit,
        "start_from_head": head, "parallel": parallel, "rate": rate, "validate": validate, "recheck": recheck,
    }  # fmt: skip
    names = split_values(groups)
    r = renderer(ctx)
    if count:
        r.detail(svc.count_events(actx, names, **kw))
        return
    searched: list[dict[str, Any]] = []
    events = svc.filter_events(actx, names, searched=searched, **kw)
    columns = EVENT_COLUMNS
    if len(names) > 1 or group_prefix:
        columns = [Column("timestamp", fmt=_ts), Column("logGroupName"), Column("logStreamName"), Column("message")]
    r.stream(events, columns, rows_key="events", extra=lambda: {"searchedLogStreams": svc.merge_searched(searched)})


@app.command("tail")
def tail(
    ctx: typer.Context,
    groups: list[str] = typer.Argument(..., help="One or more log group names (up to 10 with --follow)."),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing new events (a Live Tail session) until "
                                "interrupted."),  # fmt: skip
    since: str = typer.Option("10m", "--since", help="Start here: 10m, 2h, 1d, an ISO time, ..."),
    pattern: str | None = typer.Option(None, "--filter-pattern", "--pattern", help="A filter pattern."),
    fmt: str | None = typer.Option(None, "--format", help="short, detailed (default) or json; without it, an "
                                   "explicit -o json|jsonl|csv|tsv|table applies."),  # fmt: skip
    streams: list[str] | None = typer.Option(None, "--log-stream-names", "--stream", help="Only these streams."),
    stream_prefix: str | None = typer.Option(None, "--log-stream-name-prefix", "--stream-prefix", help="Only streams whose name starts with this."),
    interval: float = typer.Option(1.0, "--interval", help="Seconds between polls where the endpoint has no Live "
                                   "Tail, and between sessions."),  # fmt: skip
    timeout: str | None = typer.Option(None, "--timeout", help="Stop following after this long (e.g. 30s)."),
    max_items: int | None = typer.Option(None, "--max-items", help="Stop after printing this many events."),
) -> None:
    """Print recent events of one or more groups in time order; --follow keeps printing new ones.

    Example: awsmon logs tail /app/web /app/api --since 1h --follow --format short
    """
    from awsmon.output import info
    from awsmon.services.logs import format_event
    from awsmon.services.logs_tail import tail as svc
    from awsmon.timeparse import parse_duration

    if fmt is not None and fmt not in ("short", "detailed", "json"):
        raise UsageError(f"invalid --format {fmt!r}: choose short, detailed or json")
    seconds_option(interval, "--interval")
    actx = app_ctx(ctx)
    secs = parse_duration(timeout).total_seconds() if timeout else None
    machine = fmt is None and (not actx.output.source.startswith("default") or bool(actx.query))
    if machine and actx.query and follow:
        raise UsageError("--query needs a whole response: without --follow, or use --format json with jq")
    events = svc(actx, split_values(groups), _time(ctx, since), pattern, follow, split_values(streams) or None,
                 stream_prefix, interval, secs, max_items, notice=lambda text: info(actx, text))  # fmt: skip
    columns = [Column("timestamp", fmt=_ts), Column("logGroupName"), Column("logStreamName"), Column("message")]
    renderer(ctx).follow(events, columns, rows_key="events", line=lambda ev: format_event(dict(ev), fmt or "detailed"),
                         live=follow, machine=machine)  # fmt: skip


# -- patterns and metric filters ------------------------------------------------------------------------------------
@app.command("test-pattern")
def test_pattern(
    ctx: typer.Context,
    pattern: str = typer.Option(..., "--filter-pattern", "--pattern", help="The filter pattern to test."),
    messages: list[str] | None = typer.Option(None, "--log-event-messages", "--message", "-m",
                                              help="A message to test (repeatable)."),  # fmt: skip
    file: str | None = typer.Option(None, "--file", help="Test every line of a file ('-' for stdin)."),
) -> None:
    """Which messages a pattern matches, with the values it extracts (TestMetricFilter).

    Example: awsmon logs test-pattern --pattern '[ip, id, user, ts, request, status=5*, size]' --file access.log
    """
    from awsmon.services.logs import test_pattern as svc

    msgs = list(messages or [])
    if file is not None:
        text = _read_stdin() if file == "-" else _read_file(file)
        msgs += [ln for ln in text.splitlines() if ln]
    from awsmon.output import info

    actx, notices = app_ctx(ctx), []
    data = svc(actx, pattern, msgs, notices)
    for notice in notices:
        info(actx, f"notice: {notice}")
    renderer(ctx).render(data, rows_key="matches",
                         columns=[Column("eventNumber"), Column("eventMessage"), Column("extractedValues")])  # fmt: skip


def _parse_transformation(text: str) -> dict[str, Any]:
    """aws-cli's ``--metric-transformations``: JSON, or shorthand ``metricName=N,metricNamespace=NS,...``."""
    t = text.strip()
    if t.startswith(("file://", "fileb://")):
        t = _read_file(t, "--metric-transformations").strip()  # aws-cli's file:// form
    if t.startswith(("[", "{")):
        from awsmon.inputs import loads_json

        data = loads_json(t, "--metric-transformations")
        if isinstance(data, list) and len(data) == 1:
            data = data[0]
        if not isinstance(data, dict):
            raise UsageError("--metric-transformations must be one object")
        return data
    out: dict[str, Any] = {}
    depth = 0
    part = ""
    parts: list[str] = []
    for ch in t:
        depth += ch == "{"
        depth -= ch == "}"
        if ch == "," and depth == 0:
            parts.append(part)
            part = ""
        else:
            part += ch
    parts.append(part)
    for p in parts:
        k, sep, v = p.partition("=")
        if not sep:
            raise UsageError(f"invalid --metric-transformations value {text!r}: expected key=value pairs")
        k, v = k.strip(), v.strip()
        if k == "dimensions":
            inner = v.strip("{}")
            out[k] = dict(_kv(x) for x in inner.split(",") if x.strip())
        elif k == "defaultValue":
            out[k] = float(v)
        else:
            out[k] = v
    return out


def _kv(text: str) -> tuple[str, str]:
    k, sep, v = text.partition("=")
    if not sep:
        raise UsageError(f"invalid dimension {text!r}: expected Name=$.field or Name=$field")
    return k.strip(), v.strip()


@app.command("put-metric-filter")
def put_metric_filter(
    ctx: typer.Context,
    name: str = typer.Option(..., "--log-group-name", "--group", help="The log group."),
    filter_name: str = typer.Option(..., "--filter-name", "--name", help="The metric filter name."),
    pattern: str = typer.Option(..., "--filter-pattern", "--pattern", help="The filter pattern."),
    transformations: str | None = typer.Option(None, "--metric-transformations", help="aws-cli form: "
                                               "metricName=N,metricNamespace=NS,metricValue=1[,defaultValue=0][,unit=Count]"
                                               "[,dimensions={Dim=$.field}] or JSON."),  # fmt: skip
    metric_name: str | None = typer.Option(None, "--metric-name"),
    namespace: str | None = typer.Option(None, "--metric-namespace", "--namespace"),
    value: str = typer.Option("1", "--metric-value", "--value", help="1, $.field, $name or $N."),
    default: float | None = typer.Option(None, "--default-value"),
    unit: str | None = typer.Option(None, "--unit"),
    dimensions: list[str] | None = typer.Option(None, "--dimension", help="Name=$.field (repeatable, at most 3)."),
) -> None:
    """Create or replace a metric filter: matching events become datapoints (alarms can watch them).

    Example: awsmon logs put-metric-filter --group /app/web --name 5xx --pattern '{ $.status >= 500 }' --metric-name Errors5xx --namespace App
    """
    from awsmon.services.logs import put_metric_filter as svc

    if transformations:
        t = _parse_transformation(transformations)
    else:
        if not metric_name or not namespace:
            raise UsageError("give --metric-transformations, or --metric-name and --metric-namespace")
        t = {"metricName": metric_name, "metricNamespace": namespace, "metricValue": value}
        if default is not None:
            t["defaultValue"] = default
        if unit:
            t["unit"] = unit
        if dimensions:
            t["dimensions"] = dict(_kv(d) for d in dimensions)
    renderer(ctx).detail(svc(app_ctx(ctx), name, filter_name, pattern, t))


@app.command("describe-metric-filters")
def describe_metric_filters(
    ctx: typer.Context,
    name: str | None = typer.Option(None, "--log-group-name", "--group", help="Only this group's filters."),
    prefix: str | None = typer.Option(None, "--filter-name-prefix", "--prefix"),
    metric_name: str | None = typer.Option(None, "--metric-name"),
    namespace: str | None = typer.Option(None, "--metric-namespace", "--namespace"),
) -> None:
    """List metric filters.

    Example: awsmon logs describe-metric-filters --group /app/web
    """
    from awsmon.services.logs import describe_metric_filters as svc

    cols = [Column("logGroupName", priority=1), Column("filterName"), Column("filterPattern"),
            Column("metric", path="metricTransformations"), Column("creationTime", fmt=_ts, priority=2)]  # fmt: skip
    renderer(ctx).render(svc(app_ctx(ctx), name, prefix, metric_name, namespace), rows_key="metricFilters", columns=cols)


service_command(app, "delete-metric-filter", "awsmon.services.logs:delete_metric_filter",
                "Delete a metric filter.\n\n"
                "Example: awsmon logs delete-metric-filter --group /app/web --name 5xx",
                ("group", str, typer.Option(..., "--log-group-name", "--group")),
                ("name", str, typer.Option(..., "--filter-name", "--name")), detail=True)


# -- import ---------------------------------------------------------------------------------------------------------
@app.command("import")
def import_(
    ctx: typer.Context,
    files: list[str] = typer.Argument(..., help="Files: plain lines, JSON lines or CloudWatch Logs export (.gz ok); "
                                      "'-' is stdin."),  # fmt: skip
    name: str = typer.Option(..., "--log-group-name", "--group"),
    stream: str | None = typer.Option(None, "--log-stream-name", "--stream", help="Default: each file's name."),
    ts_field: str | None = typer.Option(None, "--timestamp-field", help="JSON field (dotted) holding the time."),
    create: bool = typer.Option(True, "--create/--no-create", help="Create the group and streams if missing."),
) -> None:
    """Load log files into a group (local: an offline load of any age, resumable; aws: PutLogEvents batches).

    Timestamps come from --timestamp-field, the export format or the line. A re-run of a file already imported
    adds nothing (local). What was skipped is listed with the reason; exit 1 if nothing at all was imported.

    Example: awsmon logs import app.jsonl access.log --group /app/web --timestamp-field time
    """
    from awsmon.errors import AwsmonError
    from awsmon.output import info
    from awsmon.services.logs import import_files

    data = import_files(app_ctx(ctx), files, name, stream, ts_field, create)
    r = renderer(ctx)
    actx = app_ctx(ctx)
    if actx.query or actx.output.value != "table":
        r.render(data)
    else:
        r.detail({k: v for k, v in data.items() if k not in ("Files", "Skipped")})
    for skip in data["Skipped"]:
        info(actx, f"skipped {skip['Lines']} lines: {skip['Reason']}")
    if data["Lines"] and not data["Accepted"] and not data["AlreadyImported"]:
        raise AwsmonError(f"nothing was imported: all {data['Lines']} lines were skipped ("
                          + "; ".join(s["Reason"] for s in data["Skipped"]) + ")")


# -- push (the CloudWatch Logs agent) ---------------------------------------------------------------------------------
@app.command("push")
def push(
    ctx: typer.Context,
    files: list[str] | None = typer.Argument(None, help="Files to ship (or use --agent-config)."),
    group_name: str | None = typer.Option(None, "--log-group-name", "--group", help="The log group ({instance_id}, {hostname} allowed)."),
    stream_name: str | None = typer.Option(None, "--log-stream-name", "--stream", help="The log stream ({instance_id}, {hostname} allowed)."),
    datetime_format: str | None = typer.Option(None, "--datetime-format", help="strftime-style timestamp format, e.g. '%b %d %H:%M:%S'."),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep shipping what is appended (Ctrl-C to stop)."),
    agent_config: str | None = typer.Option(None, "--agent-config", help="awslogs.conf or the unified CloudWatch agent's JSON config."),
    state_file: str | None = typer.Option(None, "--state-file", help="Where positions are remembered (default: $AWSMON_HOME/logs-push.state)."),
    instance_id: str | None = typer.Option(None, "--instance-id", help="Value of {instance_id} in names (no instance metadata here)."),
    initial_position: str | None = typer.Option(None, "--initial-position", help="start_of_file (default) or end_of_file, for files never read."),
    duration: float | None = typer.Option(None, "--duration", help="With --follow: stop after this many seconds."),
    interval: float = typer.Option(1.0, "--interval", help="With --follow: seconds between polls of the files."),
) -> None:
    """Ship local files into CloudWatch Logs like the CloudWatch Logs agent; resumes where the last run stopped.

    Example: awsmon logs push /var/log/messages --log-group-name /var/log/messages --log-stream-name i-0123456789abcdef0 --datetime-format '%b %d %H:%M:%S'
    """
    from awsmon.services.logs_push import push as svc

    seconds_option(interval, "--interval")
    seconds_option(duration, "--duration", limit=float(2**31))
    data = svc(app_ctx(ctx), files=list(files or []), group=group_name, stream=stream_name,
               datetime_format=datetime_format, follow=follow, agent_config=agent_config, state_file=state_file,
               instance_id=instance_id, initial_position=initial_position, duration=duration,
               interval=interval)  # fmt: skip
    renderer(ctx).render(data, rows_key="Files", columns=[Column("File"), Column("LogGroupName"),
                         Column("LogStreamName"), Column("Events"), Column("Batches"), Column("Rejected")])  # fmt: skip


# -- Logs Insights --------------------------------------------------------------------------------------------------
@app.command("query")
def query(
    ctx: typer.Context,
    groups: list[str] = typer.Option(..., "--log-group-name", "--group", help="A log group (repeatable, at most 50)."),
    query_string: str | None = typer.Option(None, "--query-string", help="The Logs Insights query."),
    query_file: str | None = typer.Option(None, "--query-file", help="Read the query from this file ('-' is stdin)."),
    start: str | None = typer.Option(None, "--start-time", "--start", help="Start (default: 1 hour before --end)."),
    end: str | None = typer.Option(None, "--end-time", "--end", help="End (default: now)."),
    limit: int | None = typer.Option(None, "--limit", help="At most this many result rows (1-10000)."),
    max_wait: float = typer.Option(600.0, "--max-wait", help="Stop the query (StopQuery) after this many seconds."),
) -> None:
    """Run a CloudWatch Logs Insights query (StartQuery + GetQueryResults); -o json prints AWS's response.

    Example: awsmon logs query --group /app/web --start 1h --query-string 'filter status >= 500 | stats count(*) by bin(5m)'
    """
    from awsmon.services.logs_query import result_fields, rows_of, run_query

    if (query_string is None) == (query_file is None):
        raise UsageError("give exactly one of --query-string or --query-file")
    if query_file is not None:
        from awsmon.inputs import read_file_text, read_stdin_text

        text = read_stdin_text("the query") if query_file == "-" else read_file_text(query_file, "query")
    else:
        text = query_string or ""
    data = run_query(app_ctx(ctx), split_values(groups), text, _time(ctx, start), _time(ctx, end), limit, max_wait)
    renderer(ctx).render(data, rows_of=rows_of, columns=[_FieldColumn(f) for f in result_fields(data)])


class _FieldColumn(Column):
    """A result field: its name may hold dots (``a.b`` from JSON), so it is a key, not a path."""

    def get(self, row: Any) -> Any:
        return row.get(self.header) if isinstance(row, dict) else None


# -- subscription filters -------------------------------------------------------------------------------------------
service_command(app, "put-subscription-filter", "awsmon.services.logs_subscriptions:put_subscription_filter",
                "Create or replace a subscription filter (at most 2 per group): matching events go to the destination.\n\n"
                "Example: awsmon logs put-subscription-filter --log-group-name /app/web --filter-name errors --filter-pattern ERROR --destination-arn arn:aws:kinesis:us-east-1:123456789012:stream/logs",
                ("group", str, typer.Option(..., "--log-group-name", "--group", help="The log group.")),
                ("name", str, typer.Option(..., "--filter-name", "--name", help="The subscription filter name.")),
                ("pattern", str, typer.Option(..., "--filter-pattern", "--pattern", help="The filter pattern ('' matches all).")),
                ("destination", str, typer.Option(..., "--destination-arn", help="A Kinesis stream, Firehose stream or Lambda ARN.")),
                ("role_arn", str | None, typer.Option(None, "--role-arn", help="The role CloudWatch Logs assumes (Kinesis, Firehose).")),
                ("distribution", str | None, typer.Option(None, "--distribution", help="ByLogStream (default) or Random.")),
                detail=True)  # fmt: skip


@app.command("describe-subscription-filters")
def describe_subscription_filters(
    ctx: typer.Context,
    name: str = typer.Option(..., "--log-group-name", "--group", help="The log group."),
    prefix: str | None = typer.Option(None, "--filter-name-prefix", "--prefix"),
) -> None:
    """A log group's subscription filters (DescribeSubscriptionFilters).

    Example: awsmon logs describe-subscription-filters --log-group-name /app/web
    """
    from awsmon.services.logs_subscriptions import describe_subscription_filters as svc

    cols = [Column("filterName"), Column("filterPattern"), Column("destinationArn"), Column("distribution"),
            Column("creationTime", fmt=_ts)]  # fmt: skip
    renderer(ctx).render(svc(app_ctx(ctx), name, prefix), rows_key="subscriptionFilters", columns=cols)


service_command(app, "delete-subscription-filter", "awsmon.services.logs_subscriptions:delete_subscription_filter",
                "Delete a subscription filter (DeleteSubscriptionFilter).\n\n"
                "Example: awsmon logs delete-subscription-filter --log-group-name /app/web --filter-name errors",
                ("group", str, typer.Option(..., "--log-group-name", "--group")),
                ("name", str, typer.Option(..., "--filter-name", "--name")), detail=True)  # fmt: skip


# -- account policies -----------------------------------------------------------------------------------------------
_POLICY_TYPE_HELP = "SUBSCRIPTION_FILTER_POLICY or DATA_PROTECTION_POLICY (AWS's other types too, on the aws backend)."


@app.command("put-account-policy")
def put_account_policy(
    ctx: typer.Context,
    name: str = typer.Option(..., "--policy-name", "--name", help="The policy name."),
    document: str = typer.Option(..., "--policy-document", help="The policy JSON (inline or file://); subscription "
                                 "filter: {DestinationArn, RoleArn, FilterPattern, Distribution}."),  # fmt: skip
    policy_type: str = typer.Option(..., "--policy-type", help=_POLICY_TYPE_HELP),
    scope: str | None = typer.Option(None, "--scope", help="ALL (the only scope)."),
    selection: str | None = typer.Option(None, "--selection-criteria",
                                         help='Subscription filter policies: LogGroupName NOT IN ["a", "b"].'),  # fmt: skip
) -> None:
    """Create or replace an account-level policy (PutAccountPolicy): a subscription filter for every log group not
    excluded, or a data protection policy for every group.

    Example: awsmon logs put-account-policy --policy-name all-errors --policy-type SUBSCRIPTION_FILTER_POLICY --policy-document '{"DestinationArn": "arn:aws:kinesis:us-east-1:123456789012:stream/logs", "FilterPattern": "ERROR"}' --selection-criteria 'LogGroupName NOT IN ["/aws/lambda/shipper"]'
    """
    from awsmon.services.logs_subscriptions import put_account_policy as svc

    renderer(ctx).render(svc(app_ctx(ctx), name, document, policy_type, scope, selection),
                         rows_of=lambda d: [d.get("accountPolicy") or {}])  # fmt: skip


@app.command("describe-account-policies")
def describe_account_policies(
    ctx: typer.Context,
    policy_type: str = typer.Option(..., "--policy-type", help=_POLICY_TYPE_HELP),
    name: str | None = typer.Option(None, "--policy-name", "--name", help="Only this policy."),
    accounts: list[str] | None = typer.Option(None, "--account-identifiers", help="Only these accounts' policies."),
) -> None:
    """The account's policies of one type (DescribeAccountPolicies, all pages).

    Example: awsmon logs describe-account-policies --policy-type SUBSCRIPTION_FILTER_POLICY
    """
    from awsmon.services.logs_subscriptions import describe_account_policies as svc

    cols = [Column("policyName"), Column("policyType"), Column("selectionCriteria", priority=2),
            Column("lastUpdatedTime", fmt=_ts, priority=1), Column("policyDocument", priority=3)]  # fmt: skip
    renderer(ctx).render(svc(app_ctx(ctx), policy_type, name, split_values(accounts)), rows_key="accountPolicies",
                         columns=cols)  # fmt: skip


service_command(app, "delete-account-policy", "awsmon.services.logs_subscriptions:delete_account_policy",
                "Delete an account-level policy (DeleteAccountPolicy); group-level filters and policies stay.\n\n"
                "Example: awsmon logs delete-account-policy --policy-name all-errors --policy-type SUBSCRIPTION_FILTER_POLICY",
                ("name", str, typer.Option(..., "--policy-name", "--name", help="The policy name.")),
                ("policy_type", str, typer.Option(..., "--policy-type", help=_POLICY_TYPE_HELP)), detail=True)  # fmt: skip


# -- export tasks ---------------------------------------------------------------------------------------------------
def _epoch_ms(ctx: typer.Context, text: str, option: str) -> int:
    """aws-cli takes epoch milliseconds; a time awsmon understands (ISO 8601, 1h, ...) is accepted too."""
    if text.isdigit():
        return int(text)
    when = _time(ctx, text)
    if when is None:
        raise UsageError(f"{option} needs a time")
    return int(when.timestamp() * 1000)


@app.command("create-export-task")
def create_export_task(
    ctx: typer.Context,
    name: str = typer.Option(..., "--log-group-name", "--group", help="The log group."),
    start: str = typer.Option(..., "--from", help="Start: epoch milliseconds (or ISO 8601, 1h, ...)."),
    end: str = typer.Option(..., "--to", help="End (inclusive): epoch milliseconds (or ISO 8601, now, ...)."),
    bucket: str = typer.Option(..., "--destination", help="The S3 bucket (its policy must allow logs.<region>)."),
    prefix: str | None = typer.Option(None, "--destination-prefix", help="Key prefix (default exportedlogs)."),
    stream_prefix: str | None = typer.Option(None, "--log-stream-name-prefix", help="Only streams with this prefix."),
    task_name: str | None = typer.Option(None, "--task-name", help="A name for the task."),
) -> None:
    """Export a time range of a log group to S3 (CreateExportTask); one running task per account.

    Example: awsmon logs create-export-task --log-group-name /app/web --from 1d --to now --destination my-bucket
    """
    from awsmon.services.logs_subscriptions import create_export_task as svc

    data = svc(app_ctx(ctx), name, _epoch_ms(ctx, start, "--from"), _epoch_ms(ctx, end, "--to"), bucket, prefix,
               stream_prefix, task_name)  # fmt: skip
    renderer(ctx).detail(data)


@app.command("describe-export-tasks")
def describe_export_tasks(
    ctx: typer.Context,
    task_id: str | None = typer.Option(None, "--task-id", help="Only this task."),
    status: str | None = typer.Option(None, "--status-code", help="PENDING, RUNNING, COMPLETED, CANCELLED, FAILED, ..."),
) -> None:
    """Export tasks and their states (DescribeExportTasks).

    Example: awsmon logs describe-export-tasks --status-code RUNNING
    """
    from awsmon.services.logs_subscriptions import describe_export_tasks as svc

    cols = [Column("taskId"), Column("taskName"), Column("logGroupName"), Column("status", path="status.code"),
            Column("destination"), Column("destinationPrefix"), Column("from", fmt=_ts), Column("to", fmt=_ts)]  # fmt: skip
    renderer(ctx).render(svc(app_ctx(ctx), task_id, status), rows_key="exportTasks", columns=cols)


service_command(app, "cancel-export-task", "awsmon.services.logs_subscriptions:cancel_export_task",
                "Cancel a PENDING or RUNNING export task (CancelExportTask).\n\n"
                "Example: awsmon logs cancel-export-task --task-id 2a3f...",
                ("task_id", str, typer.Option(..., "--task-id")), detail=True)


# -- group settings: tags, KMS key, data protection -----------------------------------------------------------------
@app.command("tag-resource")
def tag_resource(
    ctx: typer.Context,
    arn: str = typer.Option(..., "--resource-arn", help="The log group ARN (arn:aws:logs:<region>:<account>:log-group:<name>)."),
    tags: str = typer.Option(..., "--tags", help="Key=Value,... or JSON."),
) -> None:
    """Add or replace tags of a log group (TagResource).

    Example: awsmon logs tag-resource --resource-arn arn:aws:logs:us-east-1:123456789012:log-group:/app/web --tags team=web
    """
    from awsmon.services.logs_subscriptions import tag_resource as svc
    from awsmon.services.sqs import parse_attributes

    renderer(ctx).detail(svc(app_ctx(ctx), arn, parse_attributes(tags, "--tags") or {}))


service_command(app, "untag-resource", "awsmon.services.logs_subscriptions:untag_resource",
                "Remove tags from a log group (UntagResource).\n\n"
                "Example: awsmon logs untag-resource --resource-arn arn:aws:logs:us-east-1:123456789012:log-group:/app/web --tag-keys team",
                ("arn", str, typer.Option(..., "--resource-arn", help="The log group ARN.")),
                ("keys", list[str], typer.Option(..., "--tag-keys", help="Tag keys to remove (repeatable or comma-separated).")),
                detail=True)  # fmt: skip


service_command(app, "list-tags-for-resource", "awsmon.services.logs_subscriptions:list_tags_for_resource",
                "A log group's tags (ListTagsForResource).\n\n"
                "Example: awsmon logs list-tags-for-resource --resource-arn arn:aws:logs:us-east-1:123456789012:log-group:/app/web",
                ("arn", str, typer.Option(..., "--resource-arn", help="The log group ARN.")), detail=True)  # fmt: skip


service_command(app, "associate-kms-key", "awsmon.services.logs_subscriptions:associate_kms_key",
                "Encrypt a log group's new data with a KMS key (AssociateKmsKey).\n\n"
                "Example: awsmon logs associate-kms-key --log-group-name /app/web --kms-key-id arn:aws:kms:us-east-1:123456789012:key/abcd-1234",
                ("group", str, typer.Option(..., "--log-group-name", "--group")),
                ("key", str, typer.Option(..., "--kms-key-id", help="The KMS key ARN.")), detail=True)  # fmt: skip


service_command(app, "disassociate-kms-key", "awsmon.services.logs_subscriptions:disassociate_kms_key",
                "Stop encrypting a log group's new data with its KMS key (DisassociateKmsKey).\n\n"
                "Example: awsmon logs disassociate-kms-key --log-group-name /app/web",
                ("group", str, typer.Option(..., "--log-group-name", "--group")), detail=True)


service_command(app, "put-data-protection-policy", "awsmon.services.logs_subscriptions:put_data_protection_policy",
                "Mask sensitive data (EmailAddress, CreditCardNumber) in events ingested from now on (PutDataProtectionPolicy).\n\n"
                "Example: awsmon logs put-data-protection-policy --log-group-identifier /app/web --policy-document file://policy.json",
                ("group", str, typer.Option(..., "--log-group-identifier", "--group", help="The log group name or ARN.")),
                ("document", str, typer.Option(..., "--policy-document", help="The policy JSON (inline or file://).")),
                detail=True)  # fmt: skip


service_command(app, "get-data-protection-policy", "awsmon.services.logs_subscriptions:get_data_protection_policy",
                "A log group's data protection policy (GetDataProtectionPolicy).\n\n"
                "Example: awsmon logs get-data-protection-policy --log-group-identifier /app/web",
                ("group", str, typer.Option(..., "--log-group-identifier", "--group", help="The log group name or ARN.")),
                detail=True)  # fmt: skip


service_command(app, "delete-data-protection-policy", "awsmon.services.logs_subscriptions:delete_data_protection_policy",
                "Stop masking new events (DeleteDataProtectionPolicy); events masked before stay masked.\n\n"
                "Example: awsmon logs delete-data-protection-policy --log-group-identifier /app/web",
                ("group", str, typer.Option(..., "--log-group-identifier", "--group", help="The log group name or ARN.")),
                detail=True)  # fmt: skip


# aws-cli's operation names, hidden (help lists awsmon's names)
aws_cli_aliases(app, {
    "create-log-group": "create-group",
    "delete-log-group": "delete-group",
    "describe-log-groups": "describe-groups",
    "put-retention-policy": "put-retention",
    "delete-retention-policy": "delete-retention",
    "create-log-stream": "create-stream",
    "delete-log-stream": "delete-stream",
    "describe-log-streams": "describe-streams",
    "put-log-events": "put-events",
    "get-log-events": "get-events",
    "filter-log-events": "filter",
    "test-metric-filter": "test-pattern",
})
