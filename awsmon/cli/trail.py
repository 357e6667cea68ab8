"""awsmon trail: CloudTrail: event history lookup, trails and delivery, log-file integrity (validate-digest), import of real logs."""

import sys
from typing import Any

import typer

from awsmon.cli._common import (
    ATHENA_CATALOG,
    ATHENA_DATABASE,
    ATHENA_OUTPUT,
    ATHENA_WORKGROUP,
    QUERY_MAX_RESULTS,
    QUERY_MAX_WAIT,
    app_ctx,
    aws_cli_aliases,
    group,
    query_progress,
    render_query_result,
    renderer,
    service_command,
)
from awsmon.output import Column

app = group(
    "trail",
    "CloudTrail: event history lookup, trails and delivery, log-file integrity (validate-digest), import of real "
    "logs.\n\n"
    "Examples:\n\n"
    "  awsmon trail lookup --lookup-attributes AttributeKey=Username,AttributeValue=alice --start 1d\n\n"
    "  awsmon trail import \"$(awsmon demo --samples-path)\"\n\n"
    "  awsmon trail query \"SELECT eventname, count(*) AS n FROM cloudtrail_logs GROUP BY 1 ORDER BY n DESC\"\n\n"
    "  awsmon trail validate-digest --trail audit --verbose",
)


def _resources(value: Any) -> str:
    return ", ".join(str(r.get("ResourceName")) for r in value or [] if r.get("ResourceName"))


# On a narrow terminal the optional columns (priority > 0) are hidden first, highest number first; --wide shows all.
_EVENT_COLUMNS = [Column("EventTime"), Column("EventName"), Column("Username"), Column("EventSource", priority=1),
                  Column("ReadOnly", priority=3), Column("Resources", fmt=_resources, priority=4),
                  Column("EventId", priority=2)]  # fmt: skip
_RECORD_COLUMNS = [Column("eventTime"), Column("eventName"), Column("userIdentity.arn"),
                   Column("eventSource", priority=1), Column("awsRegion", priority=4),
                   Column("sourceIPAddress", priority=3), Column("errorCode", priority=2),
                   Column("eventID", priority=5)]  # fmt: skip
_TRAIL_COLUMNS = [Column("Name"), Column("HomeRegion"), Column("S3BucketName"), Column("S3KeyPrefix", priority=1),
                  Column("IsMultiRegionTrail", priority=2), Column("LogFileValidationEnabled", priority=3),
                  Column("TrailARN", priority=4)]  # fmt: skip


@app.command("lookup")
def lookup(
    ctx: typer.Context,
    lookup_attributes: list[str] = typer.Option([], "--lookup-attributes", "--lookup-attribute", "--attr",
                                                help="Key=Value, AttributeKey=K,AttributeValue=V or aws-cli's JSON list; repeatable (ANDed)."),
    event_id: str | None = typer.Option(None, "--event-id", help="Shorthand of the EventId lookup attribute (each of these is ANDed with the others)."),
    event_name: str | None = typer.Option(None, "--event-name", help="An API name, e.g. ConsoleLogin, CreateTrail."),
    read_only: str | None = typer.Option(None, "--read-only", metavar="true|false", help="true: reads only; false: writes only."),
    username: str | None = typer.Option(None, "--username", help="The IAM user (or role session) name."),
    resource_type: str | None = typer.Option(None, "--resource-type"),
    resource_name: str | None = typer.Option(None, "--resource-name"),
    event_source: str | None = typer.Option(None, "--event-source", help="A service, e.g. s3.amazonaws.com."),
    access_key_id: str | None = typer.Option(None, "--access-key-id"),
    start: str | None = typer.Option(None, "--start-time", "--start", help="Any time form: ISO 8601, epoch, '2h' (ago)."),
    end: str | None = typer.Option(None, "--end-time", "--end", help="Any time form (default: now)."),
    max_results: int | None = typer.Option(None, "--max-results", "--max-items", help="At most this many events (default: all pages)."),
    next_token: str | None = typer.Option(None, "--next-token", "--starting-token", help="Resume where the last page ended (its 'more events' line)."),
    category: str | None = typer.Option(None, "--event-category", "--category", metavar="insight", help="insight: CloudTrail Insights events instead of management events."),
    match: str | None = typer.Option(None, "--match", help="CloudWatch Logs filter pattern applied to each record, e.g. '{ $.errorCode = \"AccessDenied\" }'."),
    records: bool = typer.Option(False, "--records", help="Print the raw CloudTrail records ({\"Records\": [...]}) instead of LookupEvents' shape."),
) -> None:
    """Look up management events (newest first), like LookupEvents, with several attributes ANDed and --match.

    Example: awsmon trail lookup --event-name CreateTrail --username awsmon --start 24h --max-results 10
    """
    from awsmon.output import info
    from awsmon.services.trail import lookup as svc
    from awsmon.services.trail import parse_lookup_attributes

    attrs = [kv for a in lookup_attributes for kv in parse_lookup_attributes(a)]
    for key, value in (("EventId", event_id), ("EventName", event_name), ("ReadOnly", read_only), ("Username", username),
                       ("ResourceType", resource_type), ("ResourceName", resource_name), ("EventSource", event_source),
                       ("AccessKeyId", access_key_id)):  # fmt: skip
        if value is not None:
            attrs.append((key, value))
    actx = app_ctx(ctx)
    data = svc(actx, attributes=attrs, start=start, end=end, category=category, max_results=max_results,
               next_token=next_token, match=match, records=records, on_warning=lambda m: info(actx, m))  # fmt: skip
    r = renderer(ctx)
    if records:
        r.render(data, rows_key="Records", columns=_RECORD_COLUMNS)
    else:
        r.render(data, rows_key="Events", columns=_EVENT_COLUMNS)
    if data.get("NextToken") and actx.output.value != "json" and not actx.query:
        sys.stderr.write(f"more events: --next-token {data['NextToken']}\n")  # unwrapped: it gets copied


@app.command("create")
def create(
    ctx: typer.Context,
    name: str = typer.Option(..., "--name"),
    bucket: str | None = typer.Option(None, "--s3-bucket-name", "--bucket", help="An existing bucket whose policy lets "
                                      "CloudTrail write (see --s3-new-bucket)."),  # fmt: skip
    new_bucket: str | None = typer.Option(None, "--s3-new-bucket", help="Create this bucket with CloudTrail's bucket "
                                          "policy first (as aws cloudtrail create-subscription --s3-new-bucket)."),  # fmt: skip
    prefix: str | None = typer.Option(None, "--s3-key-prefix", "--prefix"),
    multi_region: bool | None = typer.Option(None, "--is-multi-region-trail/--no-is-multi-region-trail", "--multi-region/--single-region"),
    validation: bool | None = typer.Option(None, "--enable-log-file-validation/--no-enable-log-file-validation", "--validation/--no-validation"),
    include_global: bool | None = typer.Option(None, "--include-global-service-events/--no-include-global-service-events"),
    log_group: str | None = typer.Option(None, "--cloud-watch-logs-log-group-arn", "--cloud-watch-logs-log-group", help="Log group ARN or name."),
    role_arn: str | None = typer.Option(None, "--cloud-watch-logs-role-arn"),
    kms_key_id: str | None = typer.Option(None, "--kms-key-id"),
    sns_topic: str | None = typer.Option(None, "--sns-topic-name"),
    organization: bool | None = typer.Option(None, "--is-organization-trail/--no-is-organization-trail", help="Log every account of the organization (local: every account of the home; only from the management account)."),
) -> None:
    """Create a trail (at most 5 per region) writing to an existing bucket whose policy lets CloudTrail in, or to a
    new bucket created with that policy (--s3-new-bucket).

    Example: awsmon trail create --name main --s3-new-bucket my-trail-bucket --is-multi-region-trail --enable-log-file-validation
    """
    from awsmon.errors import UsageError
    from awsmon.services.trail import create_trail

    if (bucket is None) == (new_bucket is None):
        raise UsageError("give exactly one of --s3-bucket-name (an existing bucket) and --s3-new-bucket")
    data = create_trail(app_ctx(ctx), name=name, bucket=bucket or str(new_bucket), prefix=prefix,
                        multi_region=multi_region, validation=validation, include_global=include_global,
                        log_group_arn=log_group, role_arn=role_arn, kms_key_id=kms_key_id, sns_topic=sns_topic,
                        organization=organization, new_bucket=new_bucket is not None)  # fmt: skip
    renderer(ctx).detail(data)


@app.command("update")
def update(
    ctx: typer.Context,
    name: str = typer.Option(..., "--name"),
    bucket: str | None = typer.Option(None, "--s3-bucket-name", "--bucket"),
    prefix: str | None = typer.Option(None, "--s3-key-prefix", "--prefix"),
    multi_region: bool | None = typer.Option(None, "--is-multi-region-trail/--no-is-multi-region-trail", "--multi-region/--single-region"),
    validation: bool | None = typer.Option(None, "--enable-log-file-validation/--no-enable-log-file-validation", "--validation/--no-validation"),
    include_global: bool | None = typer.Option(None, "--include-global-service-events/--no-include-global-service-events"),
    log_group: str | None = typer.Option(None, "--cloud-watch-logs-log-group-arn", "--cloud-watch-logs-log-group"),
    role_arn: str | None = typer.Option(None, "--cloud-watch-logs-role-arn"),
    kms_key_id: str | None = typer.Option(None, "--kms-key-id"),
    organization: bool | None = typer.Option(None, "--is-organization-trail/--no-is-organization-trail"),
) -> None:
    """Change a trail's settings (in its home region).

    Example: awsmon trail update --name main --no-enable-log-file-validation
    """
    from awsmon.services.trail import update_trail

    data = update_trail(app_ctx(ctx), name=name, bucket=bucket, prefix=prefix, multi_region=multi_region,
                        validation=validation, include_global=include_global, log_group_arn=log_group,
                        role_arn=role_arn, kms_key_id=kms_key_id, organization=organization)  # fmt: skip
    renderer(ctx).detail(data)


@app.command("delete")
def delete(ctx: typer.Context, name: str = typer.Option(..., "--name")) -> None:
    """Delete a trail (a logging trail first delivers what is pending and a final digest).

    Example: awsmon trail delete --name main
    """
    from awsmon.services.trail import delete_trail

    _act(ctx, delete_trail, name, f"deleted trail {name}")


@app.command("describe")
def describe(
    ctx: typer.Context,
    names: list[str] = typer.Option([], "--trail-name-list", "--name", help="Trail names or ARNs (repeatable)."),
    include_shadow: bool = typer.Option(True, "--include-shadow-trails/--no-include-shadow-trails"),
) -> None:
    """Describe trails (multi-region trails of other home regions too, unless --no-include-shadow-trails).

    Example: awsmon trail describe --trail-name-list main -o json
    """
    from awsmon.cli._common import split_values
    from awsmon.services.trail import describe_trails

    renderer(ctx).render(describe_trails(app_ctx(ctx), split_values(names), include_shadow), rows_key="trailList",
                         columns=_TRAIL_COLUMNS)  # fmt: skip


service_command(app, "list", "awsmon.services.trail:list_trails",
                "List the trails visible in the region (name, ARN, home region), like ListTrails.\n\n"
                "Example: awsmon trail list -o json",
                rows_key="Trails", columns=[Column("Name"), Column("HomeRegion"), Column("TrailARN")])


service_command(app, "get-status", "awsmon.services.trail:get_status",
                "Logging state and latest delivery times (log files, digests, CloudWatch Logs) of a trail.\n\n"
                "Example: awsmon trail get-status --name main",
                ("name", str, typer.Option(..., "--name")), detail=True)  # fmt: skip


@app.command("start-logging")
def start_logging(ctx: typer.Context, name: str = typer.Option(..., "--name")) -> None:
    """Start logging: delivery every ~5 minutes of simulated time, hourly digests when validation is on.

    Example: awsmon trail start-logging --name main
    """
    from awsmon.services.trail import start_logging as svc

    _act(ctx, svc, name, f"trail {name} is logging")


@app.command("stop-logging")
def stop_logging(ctx: typer.Context, name: str = typer.Option(..., "--name")) -> None:
    """Stop logging; pending events and a final digest are delivered.

    Example: awsmon trail stop-logging --name main
    """
    from awsmon.services.trail import stop_logging as svc

    _act(ctx, svc, name, f"trail {name} stopped logging")


def _act(ctx: typer.Context, svc: Any, name: str, done: str) -> None:
    """A trail action (delete, start/stop logging): the API response for -o json or --query, else one success line."""
    from awsmon.output import success

    actx = app_ctx(ctx)
    data = svc(actx, name)
    if actx.output.value == "json" or actx.query:
        renderer(ctx).render(data)
    else:
        success(actx, done)


_SELECTOR_COLUMNS = [Column("ReadWriteType"), Column("IncludeManagementEvents"), Column("DataResources"),
                     Column("ExcludeManagementEventSources"), Column("Name"), Column("FieldSelectors")]  # fmt: skip


def _render_selectors(ctx: typer.Context, data: dict[str, Any]) -> None:
    # moto (and AWS for an unconfigured trail) may return both keys; advanced selectors only when there are some.
    key = "AdvancedEventSelectors" if data.get("AdvancedEventSelectors") else "EventSelectors"
    renderer(ctx).render(data, rows_key=key, columns=[c for c in _SELECTOR_COLUMNS if
                         (c.header in ("Name", "FieldSelectors")) == (key == "AdvancedEventSelectors")])  # fmt: skip


@app.command("get-event-selectors")
def get_event_selectors(ctx: typer.Context, name: str = typer.Option(..., "--trail-name", "--name")) -> None:
    """The event selectors of a trail (the default logs all management events and no data events).

    Example: awsmon trail get-event-selectors --trail-name main
    """
    from awsmon.services.trail import get_event_selectors as svc

    _render_selectors(ctx, svc(app_ctx(ctx), name))


@app.command("put-event-selectors")
def put_event_selectors(
    ctx: typer.Context,
    name: str = typer.Option(..., "--trail-name", "--name"),
    basic: str | None = typer.Option(None, "--event-selectors", help="JSON list, inline or file://path."),
    advanced: str | None = typer.Option(None, "--advanced-event-selectors", help="JSON list, inline or file://path."),
    management: str | None = typer.Option(None, "--management-events", metavar="all|read|write|none", help="Shortcut for one basic selector."),
) -> None:
    """Set basic or advanced event selectors (data events are logged only when a selector asks for them).

    Example: awsmon trail put-event-selectors --trail-name main --management-events write
    """
    from awsmon.services.trail import put_event_selectors as svc

    _render_selectors(ctx, svc(app_ctx(ctx), name, basic=basic, advanced=advanced, management=management))


service_command(app, "list-public-keys", "awsmon.services.trail:list_public_keys",
                "The public keys that verify digest signatures (local: the account's own key), like ListPublicKeys.\n\n"
                "Example: awsmon trail list-public-keys -o json > keys.json",
                ("start", str | None, typer.Option(None, "--start-time", "--start")),
                ("end", str | None, typer.Option(None, "--end-time", "--end")), rows_key="PublicKeyList",
                columns=[Column("Fingerprint"), Column("ValidityStartTime"), Column("ValidityEndTime")])  # fmt: skip


@app.command("validate-digest")
def validate_digest(
    ctx: typer.Context,
    trail: str | None = typer.Option(None, "--trail", "--trail-arn", help="Trail name or ARN (with --path: only this trail's digests)."),
    start: str | None = typer.Option(None, "--start-time", "--start"),
    end: str | None = typer.Option(None, "--end-time", "--end"),
    bucket: str | None = typer.Option(None, "--s3-bucket"),
    prefix: str | None = typer.Option(None, "--s3-prefix"),
    account_ids: list[str] = typer.Option([], "--account-id", help="Account of an organization trail (repeatable); with --path: only these accounts."),
    path: str | None = typer.Option(None, "--path", help="A downloaded bucket: its root, prefix or AWSLogs folder, or any account/region folder below (offline)."),
    public_keys: list[str] = typer.Option([], "--public-key", help="DER (PKCS#1 or SPKI), PEM, or list-public-keys JSON (aws-cli's or awsmon's); repeatable."),
    strict: bool = typer.Option(False, "--strict", help="Also check what aws-cli misses (newest/consecutive digests, hash and signature links, orphan logs, every region)."),
    verbose: bool = typer.Option(False, "--verbose", help="Also print the valid files."),
    allow_empty: bool = typer.Option(False, "--allow-empty", help="Exit 0 when nothing was found to validate (aws-cli's behaviour)."),
    allow_unsigned_newest: bool = typer.Option(False, "--allow-unsigned-newest", help="Accept digests whose signature metadata is missing (an 'aws s3 sync' copy), with a warning."),
) -> None:
    """Validate log-file integrity like 'aws cloudtrail validate-logs' (same lines and summary); exit 3 if anything is INVALID or nothing was validated.

    Example: awsmon trail validate-digest --trail main --start-time 24h --verbose
    """
    from awsmon.progress import counter
    from awsmon.services.trail_validate import validate_digest as svc

    actx = app_ctx(ctx)
    # aws-cli's text unless JSON was asked for explicitly (piped output alone keeps validate-logs' format).
    asked_json = (actx.output.value == "json" and not actx.output.source.startswith("default")) or bool(actx.query)

    def header(text: str) -> None:  # printed before the progress bar starts
        sys.stdout.write(text)
        sys.stdout.flush()

    with counter("validating") as update:
        result = svc(actx, trail=trail, start=start, end=end, bucket=bucket, prefix=prefix, account_ids=account_ids,
                     path=path, public_keys=public_keys, strict=strict, verbose=verbose, allow_empty=allow_empty,
                     allow_unsigned_newest=allow_unsigned_newest, on_progress=update,
                     on_header=None if asked_json else header)  # fmt: skip
    report = result.report
    if asked_json:
        renderer(ctx).render(result.machine())
    else:
        for n, (stream, text) in enumerate(report.chunks):
            if n == 0 and report.header_emitted:
                continue
            (sys.stdout if stream == "stdout" else sys.stderr).write(text)
        sys.stdout.flush()
    if result.failure is not None:
        if result.quiet_failure and not sys.stderr.isatty():
            raise typer.Exit(int(result.failure.exit_code))
        raise result.failure


@app.command("import")
def import_(
    ctx: typer.Context,
    paths: list[str] = typer.Argument(..., help="Files or folders: {\"Records\": [...]}, arrays, JSON lines, .gz, bucket trees."),
    region: str | None = typer.Option(None, "--region", help="File the events under this region (overrides awsRegion for lookups)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Read and count, store nothing."),
) -> None:
    """Load real CloudTrail logs into the local event history (idempotent by eventID), then use 'trail lookup'.

    Example: awsmon trail import "$(awsmon demo --samples-path)"
    """
    from awsmon.errors import UsageError
    from awsmon.output import info
    from awsmon.services.trail_import import import_paths

    actx = app_ctx(ctx)
    data = import_paths(actx, paths, region=region, dry_run=dry_run)
    r = renderer(ctx)
    if actx.output.value == "json" or actx.query:
        r.render(data)
    else:
        r.detail({k: v for k, v in data.items() if k not in ("SkippedFiles", "FailedFiles", "UnselectableRegions")})
        for s in data["SkippedFiles"]:
            info(actx, f"skipped {s['Path']}: {s['Reason']}")
    if data["UnselectableRegions"]:
        info(actx, f"events filed under region names --region cannot select ({', '.join(data['UnselectableRegions'])}): "
                   "import them again with --region REGION to file them under a real region")  # fmt: skip
    if data["OlderThan90Days"]:
        info(actx, f"{data['OlderThan90Days']} imported events are older than 90 days: they stay queryable with "
                   "'awsmon trail lookup' (imported events are exempt from the 90-day window)")  # fmt: skip
    if data["FailedFiles"]:
        for f in data["FailedFiles"][:-1]:
            info(actx, f"awsmon: error: {f['Path']}: {f['Reason']}")
        last = data["FailedFiles"][-1]
        raise UsageError(f"{last['Path']}: {last['Reason']}" + (f" ({len(data['FailedFiles'])} files failed; nothing "
                         "from them was stored)" if len(data["FailedFiles"]) > 1 else " (nothing from it was stored)"))  # fmt: skip


@app.command("download")
def download(
    ctx: typer.Context,
    trail: str | None = typer.Option(None, "--trail", "--trail-arn", help="Trail name or ARN (gives the bucket, prefix and organization)."),
    bucket: str | None = typer.Option(None, "--s3-bucket"),
    prefix: str | None = typer.Option(None, "--s3-prefix"),
    account_ids: list[str] = typer.Option([], "--account-id", help="Only these accounts (repeatable; default: every account found)."),
    regions: list[str] = typer.Option([], "--region", help="Only these source regions (repeatable; default: every region found)."),
    start: str | None = typer.Option(None, "--start-time", "--start"),
    end: str | None = typer.Option(None, "--end-time", "--end"),
    dest: str = typer.Option(..., "--dest", help="Folder to copy into (the bucket tree, plus the .awsmon-meta signature manifest)."),
    signatures_only: bool = typer.Option(False, "--signatures-only", help="Fetch only the digests' signature metadata (for a folder made by 'aws s3 sync')."),
) -> None:
    """Copy a trail's log files, digests and digest signatures for a time range into a folder (parallel, resumable), for offline 'validate-digest --path'.

    Example: awsmon trail download --trail main --start-time 7d --dest ./trail-copy
    """
    from awsmon.output import info
    from awsmon.progress import counter
    from awsmon.services.trail_download import download as svc

    actx = app_ctx(ctx)
    with counter("downloading") as update:
        data = svc(actx, trail=trail, bucket=bucket, prefix=prefix, account_ids=account_ids, regions=regions,
                   start=start, end=end, dest=dest, signatures_only=signatures_only, on_progress=update)  # fmt: skip
    r = renderer(ctx)
    if actx.output.value == "json" or actx.query:
        r.render(data)
    else:
        r.detail({k: v for k, v in data.items() if k != "Failed"})
    if data["Failed"]:
        from awsmon.errors import AwsmonError

        for f in data["Failed"][:-1]:
            info(actx, f"awsmon: error: {f['Key']}: {f['Error']}")
        last = data["Failed"][-1]
        raise AwsmonError(f"{last['Key']}: {last['Error']} ({len(data['Failed'])} of {data['Files']} files failed; "
                          "run the same command again to resume)")  # fmt: skip


@app.command("query")
def query(
    ctx: typer.Context,
    sql: str = typer.Argument(..., help="Athena (Trino) SQL over the table cloudtrail_logs; file://PATH or - reads it."),
    engine: str = typer.Option("local", "--engine", metavar="local|athena|lake", help="local: DuckDB over the history (default); athena: StartQueryExecution; lake: CloudTrail Lake."),
    path: str | None = typer.Option(None, "--path", help="Query a downloaded bucket folder in place (its .json.gz files), without importing."),
    database: str | None = ATHENA_DATABASE,
    catalog: str | None = ATHENA_CATALOG,
    workgroup: str | None = ATHENA_WORKGROUP,
    output_location: str | None = ATHENA_OUTPUT,
    event_data_store: str | None = typer.Option(None, "--event-data-store", help="CloudTrail Lake event data store ID or ARN (--engine lake)."),
    max_wait: float | None = QUERY_MAX_WAIT,
    max_results: int | None = QUERY_MAX_RESULTS,
) -> None:
    """SQL over CloudTrail with Athena's table (cloudtrail_logs): locally, on a bucket folder, on Athena or Lake.

    Example: awsmon trail query "SELECT eventname, count(*) AS n FROM cloudtrail_logs GROUP BY eventname ORDER BY n DESC LIMIT 10"
    """
    from awsmon.services.trail_query import query as svc

    data = svc(app_ctx(ctx), sql, engine=engine, path=path, database=database, workgroup=workgroup,
               output_location=output_location, catalog=catalog, event_data_store=event_data_store,
               max_wait=max_wait, max_results=max_results, progress=query_progress(ctx))  # fmt: skip
    render_query_result(ctx, data)


@app.command("athena-ddl")
def athena_ddl(
    ctx: typer.Context,
    s3_bucket: str = typer.Option(..., "--s3-bucket", "--s3-bucket-name", help="The trail's bucket."),
    account_id: str = typer.Option(..., "--account-id", help="The account whose logs the table reads."),
    s3_prefix: str | None = typer.Option(None, "--s3-prefix", "--s3-key-prefix", help="The trail's key prefix."),
    org_id: str | None = typer.Option(None, "--org-id", help="Organization trail: AWSLogs/<o-id>/<account>/..."),
    table_name: str = typer.Option("cloudtrail_logs", "--table-name"),
    projection_start: str = typer.Option("2020/01/01", "--projection-start", help="First day of the projection, yyyy/MM/dd."),
    regions: list[str] = typer.Option([], "--regions", help="Regions to project (repeatable); default: injected (queries name the region)."),
) -> None:
    """Print Athena's CREATE TABLE for a trail bucket, with partition projection on region and day.

    Example: awsmon trail athena-ddl --s3-bucket my-trail-bucket --account-id 111122223333 --projection-start 2024/01/01
    """
    from awsmon.services.trail_query import athena_ddl as svc

    text = svc(bucket=s3_bucket, prefix=s3_prefix, account_id=account_id, table_name=table_name,
               projection_start=projection_start, org_id=org_id, regions=[r for v in regions for r in v.split(",") if r] or None)  # fmt: skip
    sys.stdout.write(text + ";\n")


# -- CloudTrail Insights (docs/cloudtrail-insights.md) -----------------------------------------------------------
_INSIGHT_COLUMNS = [Column("EventTime", path="eventTime"), Column("State", path="insightDetails.state"),
                    Column("InsightType", path="insightDetails.insightType"),
                    Column("EventSource", path="insightDetails.eventSource"),
                    Column("EventName", path="insightDetails.eventName"),
                    Column("Baseline", path="insightDetails.insightContext.statistics.baseline.average"),
                    Column("Insight", path="insightDetails.insightContext.statistics.insight.average"),
                    Column("Minutes", path="insightDetails.insightContext.statistics.insightDuration"),
                    Column("SharedEventID", path="sharedEventID")]  # fmt: skip


@app.command("put-insight-selectors")
def put_insight_selectors(
    ctx: typer.Context,
    name: str = typer.Option(..., "--trail-name", "--name"),
    selectors: str | None = typer.Option(None, "--insight-selectors", help='JSON list, inline or file://path; [] disables Insights.'),
    types: list[str] = typer.Option([], "--insight-types", "--type", help="ApiCallRateInsight / ApiErrorRateInsight (repeatable)."),
) -> None:
    """Enable CloudTrail Insights on a trail (call-rate and/or error-rate); an empty list disables them.

    Example: awsmon trail put-insight-selectors --trail-name main --insight-selectors '[{"InsightType":"ApiCallRateInsight"}]'
    """
    from awsmon.services.trail_insights import put_insight_selectors as svc

    renderer(ctx).render(svc(app_ctx(ctx), name, selectors=selectors, types=types), rows_key="InsightSelectors",
                         columns=[Column("InsightType"), Column("EventCategories")])  # fmt: skip


service_command(app, "get-insight-selectors", "awsmon.services.trail_insights:get_insight_selectors",
                "The Insights types enabled on a trail (InsightNotEnabledException when none).\n\n"
                "Example: awsmon trail get-insight-selectors --trail-name main",
                ("name", str, typer.Option(..., "--trail-name", "--name")), rows_key="InsightSelectors",
                columns=[Column("InsightType"), Column("EventCategories")])


@app.command("insights-analyze")
def insights_analyze(
    ctx: typer.Context,
    start: str = typer.Option(..., "--start", "--start-time", help="First minute an insight may start (the baseline reads 7 days before)."),
    end: str = typer.Option(..., "--end", "--end-time"),
    types: list[str] = typer.Option([], "--insight-types", "--type", help="ApiCallRateInsight / ApiErrorRateInsight (default both)."),
) -> None:
    """Run the local Insights detector over the history, imported trails included (local; an approximation).

    Example: awsmon trail insights-analyze --start 2024-05-01 --end 2024-05-08
    """
    from awsmon.services.trail_insights import insights_analyze as svc

    renderer(ctx).render(svc(app_ctx(ctx), start=start, end=end, types=types), rows_key="InsightEvents",
                         columns=_INSIGHT_COLUMNS)  # fmt: skip


# aws-cli's operation names, hidden (help lists awsmon's names)
aws_cli_aliases(app, {
    "lookup-events": "lookup",
    "create-trail": "create",
    "update-trail": "update",
    "delete-trail": "delete",
    "describe-trails": "describe",
    "list-trails": "list",
    "get-trail-status": "get-status",
    "validate-logs": "validate-digest",
})
