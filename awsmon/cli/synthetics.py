"""awsmon synthetics: CloudWatch Synthetics canaries (aws-cli's ``aws synthetics`` names and options)."""

from typing import Any

import typer

from awsmon.cli._common import app_ctx, renderer, service_command, split_values
from awsmon.cli._common import group as make_group
from awsmon.output import Column

app = make_group(
    "synthetics",
    "CloudWatch Synthetics canaries: scripts that request your URLs on a schedule and publish CloudWatchSynthetics "
    "metrics (SuccessPercent, Duration, 2xx/4xx/5xx). Locally, heartbeat and API canaries request their URLs for "
    "real on the simulated clock.\n\n"
    "Examples:\n\n"
    "  awsmon synthetics create-canary --name home --blueprint heartbeat --url https://example.com "
    "--schedule 'rate(5 minutes)'\n\n"
    "  awsmon synthetics get-canary-runs --name home\n\n"
    "  awsmon synthetics stop-canary --name home",
)

_RUN_COLUMNS = [Column("Id"), Column("State", path="Status.State"), Column("Started", path="Timeline.Started"),
                Column("Completed", path="Timeline.Completed", priority=2),
                Column("StateReason", path="Status.StateReason", priority=1),
                Column("ArtifactS3Location", priority=3)]  # fmt: skip


_CANARY_COLUMNS = [Column("Name"), Column("State", path="Status.State"), Column("Schedule", path="Schedule.Expression"),
                   Column("RuntimeVersion", priority=2), Column("LastStarted", path="Timeline.LastStarted", priority=1),
                   Column("StateReason", path="Status.StateReason", priority=3),
                   Column("ArtifactS3Location", priority=4)]  # fmt: skip


def _one_canary(ctx: typer.Context, data: dict[str, Any]) -> None:
    """A {"Canary": ...} response: AWS's shape with -o json, one row of the canary's main fields otherwise."""
    renderer(ctx).render(data, rows_of=lambda d: [d["Canary"]], columns=_CANARY_COLUMNS)


def _name_opt() -> Any:
    return typer.Option(..., "--name", "-n", help="The canary's name.")


def _settings(ctx: typer.Context, code: str | None, schedule: str | None, run_config: str | None) -> dict[str, Any]:
    from awsmon.services.synthetics import code_arg, map_arg, schedule_arg

    # an empty value is a bad value, not a missing option
    return {"code": None if code is None else code_arg(code),
            "schedule": None if schedule is None else schedule_arg(schedule),
            "run_config": map_arg(run_config, "--run-config")}  # fmt: skip


@app.command("create-canary")
def create_canary(
    ctx: typer.Context,
    name: str = _name_opt(),
    schedule: str = typer.Option(..., "--schedule",
                                 help="Expression=rate(5 minutes),DurationInSeconds=0, JSON, or just 'rate(5 minutes)' / "
                                 "'cron(0/10 * * * ? *)'; rate(0 minute) runs once."),  # fmt: skip
    code: str | None = typer.Option(None, "--code", help="Handler=x.handler,S3Bucket=b,S3Key=k or "
                                    "Handler=x.handler,ZipFile=fileb://canary.zip (or JSON)."),  # fmt: skip
    artifact: str | None = typer.Option(None, "--artifact-s3-location", help="s3://bucket/prefix for run artifacts."),
    role: str | None = typer.Option(None, "--execution-role-arn", help="The role the canary runs as."),
    runtime: str | None = typer.Option(None, "--runtime-version", help="e.g. syn-nodejs-puppeteer-9.1."),
    run_config: str | None = typer.Option(None, "--run-config",
                                          help="TimeoutInSeconds=60,MemoryInMB=960,ActiveTracing=false (or JSON)."),  # fmt: skip
    success_retention: int | None = typer.Option(None, "--success-retention-period-in-days"),
    failure_retention: int | None = typer.Option(None, "--failure-retention-period-in-days"),
    tags: str | None = typer.Option(None, "--tags", help="key=value,key2=value2 or a JSON object."),
    blueprint: str | None = typer.Option(None, "--blueprint",
                                         help="heartbeat or api: awsmon writes the script, creates the default bucket "
                                         "and role if missing, and starts the canary."),  # fmt: skip
    urls: list[str] | None = typer.Option(None, "--url", help="A heartbeat canary's URL (repeatable)."),
    steps: str | None = typer.Option(None, "--steps",
                                     help="An API canary's steps: JSON list or file:// of {name, method, url, headers, "
                                     "body, expectedStatus}."),  # fmt: skip
    start: bool = typer.Option(True, "--start/--no-start", help="With --blueprint: start the canary once READY."),
) -> None:
    """Create a canary (CreateCanary), or a heartbeat / API canary from a blueprint.

    Example: awsmon synthetics create-canary --name home --blueprint heartbeat --url https://example.com --schedule 'rate(5 minutes)'
    """
    from awsmon.errors import UsageError
    from awsmon.services import synthetics as svc

    parsed = _settings(ctx, code, schedule, run_config)
    tag_map = svc.map_arg(tags, "--tags")
    common = {"run_config": parsed["run_config"], "success_retention": success_retention,
              "failure_retention": failure_retention, "tags": tag_map}  # fmt: skip
    if blueprint:
        if code:
            raise UsageError("--code and --blueprint are exclusive: a blueprint canary's script is generated")
        data = svc.create_from_blueprint(app_ctx(ctx), name, blueprint, urls=split_values(urls),
                                         steps=svc.steps_arg(steps) if steps else None, schedule=parsed["schedule"],
                                         runtime_version=runtime, artifact_s3_location=artifact,
                                         execution_role_arn=role, start=start, **common)  # fmt: skip
    else:
        missing = [opt for opt, v in (("--code", code), ("--artifact-s3-location", artifact),
                                      ("--execution-role-arn", role), ("--runtime-version", runtime)) if not v]  # fmt: skip
        if missing:
            raise UsageError(f"missing {', '.join(missing)} (or use --blueprint heartbeat|api)")
        if urls or steps:
            raise UsageError("--url and --steps go with --blueprint")
        data = svc.create_canary(app_ctx(ctx), name, code=parsed["code"], artifact_s3_location=artifact,
                                 execution_role_arn=role, schedule=parsed["schedule"], runtime_version=runtime,
                                 **common)  # fmt: skip
    _one_canary(ctx, data)


@app.command("update-canary")
def update_canary(
    ctx: typer.Context,
    name: str = _name_opt(),
    schedule: str | None = typer.Option(None, "--schedule", help="As create-canary's --schedule."),
    code: str | None = typer.Option(None, "--code", help="As create-canary's --code."),
    artifact: str | None = typer.Option(None, "--artifact-s3-location"),
    role: str | None = typer.Option(None, "--execution-role-arn"),
    runtime: str | None = typer.Option(None, "--runtime-version"),
    run_config: str | None = typer.Option(None, "--run-config"),
    success_retention: int | None = typer.Option(None, "--success-retention-period-in-days"),
    failure_retention: int | None = typer.Option(None, "--failure-retention-period-in-days"),
) -> None:
    """Change a canary's settings (UpdateCanary).

    Example: awsmon synthetics update-canary --name home --schedule 'rate(10 minutes)'
    """
    from awsmon.services.synthetics import update_canary as svc

    parsed = _settings(ctx, code, schedule, run_config)
    renderer(ctx).detail(svc(app_ctx(ctx), name, execution_role_arn=role, runtime_version=runtime,
                             success_retention=success_retention, failure_retention=failure_retention,
                             artifact_s3_location=artifact, **parsed))  # fmt: skip


@app.command("get-canary")
def get_canary(ctx: typer.Context, name: str = _name_opt()) -> None:
    """One canary (GetCanary).

    Example: awsmon synthetics get-canary --name home
    """
    from awsmon.services.synthetics import get_canary as svc

    _one_canary(ctx, svc(app_ctx(ctx), name))


def _names_opt() -> Any:
    return typer.Option(None, "--names", help="Only these canaries (up to 5).")


service_command(app, "describe-canaries", "awsmon.services.synthetics:describe_canaries",
                "The region's canaries (DescribeCanaries, all pages).\n\n"
                "Example: awsmon synthetics describe-canaries",
                ("names", list[str] | None, _names_opt()), rows_key="Canaries", columns=_CANARY_COLUMNS)


@app.command("describe-canaries-last-run")
def describe_canaries_last_run(ctx: typer.Context, names: list[str] | None = _names_opt()) -> None:
    """Each canary's most recent run (DescribeCanariesLastRun).

    Example: awsmon synthetics describe-canaries-last-run
    """
    from awsmon.services.synthetics import describe_canaries_last_run as svc

    cols = [Column("CanaryName"), *(Column(c.header, path=f"LastRun.{c.path or c.header}", priority=c.priority)
                                    for c in _RUN_COLUMNS)]  # fmt: skip
    renderer(ctx).render(svc(app_ctx(ctx), split_values(names)), rows_key="CanariesLastRun", columns=cols)


service_command(app, "get-canary-runs", "awsmon.services.synthetics:get_canary_runs",
                "A canary's runs, newest first (GetCanaryRuns, all pages).\n\n"
                "Example: awsmon synthetics get-canary-runs --name home --max-items 10",
                ("name", str, _name_opt()),
                ("max_items", int | None, typer.Option(None, "--max-items", help="At most this many runs (newest first).")),
                rows_key="CanaryRuns", columns=_RUN_COLUMNS)  # fmt: skip


service_command(app, "start-canary", "awsmon.services.synthetics:start_canary",
                "Start a READY or STOPPED canary (StartCanary).\n\n"
                "Example: awsmon synthetics start-canary --name home",
                ("name", str, _name_opt()), detail=True)


service_command(app, "stop-canary", "awsmon.services.synthetics:stop_canary",
                "Stop a running canary (StopCanary).\n\n"
                "Example: awsmon synthetics stop-canary --name home",
                ("name", str, _name_opt()), detail=True)


service_command(app, "delete-canary", "awsmon.services.synthetics:delete_canary",
                "Delete a canary that is not running (DeleteCanary); its artifacts stay in the bucket.\n\n"
                "Example: awsmon synthetics delete-canary --name home",
                ("name", str, _name_opt()),
                ("delete_lambda", bool | None, typer.Option(None, "--delete-lambda/--no-delete-lambda",
                                              help="Also delete the canary's Lambda function and layers.")),
                detail=True)


service_command(app, "describe-runtime-versions", "awsmon.services.synthetics:describe_runtime_versions",
                "The Synthetics runtime versions and their deprecation dates (DescribeRuntimeVersions, all pages).\n\n"
                "Example: awsmon synthetics describe-runtime-versions",
                rows_key="RuntimeVersions",
                columns=[Column("VersionName"), Column("DeprecationDate"), Column("Description", priority=1)])  # fmt: skip


def _arn_opt() -> Any:
    return typer.Option(..., "--resource-arn", help="The canary's ARN (arn:aws:synthetics:REGION:ACCOUNT:canary:NAME).")


service_command(app, "list-tags-for-resource", "awsmon.services.synthetics:list_tags_for_resource",
                "A canary's tags (ListTagsForResource).\n\n"
                "Example: awsmon synthetics list-tags-for-resource --resource-arn arn:aws:synthetics:us-east-1:123456789012:canary:home",
                ("resource_arn", str, _arn_opt()), detail=True)  # fmt: skip


@app.command("tag-resource")
def tag_resource(
    ctx: typer.Context,
    resource_arn: str = _arn_opt(),
    tags: str = typer.Option(..., "--tags", help="key=value,key2=value2 or a JSON object."),
) -> None:
    """Add or overwrite a canary's tags (TagResource).

    Example: awsmon synthetics tag-resource --resource-arn arn:aws:synthetics:us-east-1:123456789012:canary:home --tags team=web
    """
    from awsmon.services import synthetics as svc

    renderer(ctx).detail(svc.tag_resource(app_ctx(ctx), resource_arn, svc.map_arg(tags, "--tags") or {}))


@app.command("untag-resource")
def untag_resource(
    ctx: typer.Context,
    resource_arn: str = _arn_opt(),
    tag_keys: list[str] = typer.Option(..., "--tag-keys", help="Keys to remove (repeat or comma-separate)."),
) -> None:
    """Remove tags from a canary (UntagResource).

    Example: awsmon synthetics untag-resource --resource-arn arn:aws:synthetics:us-east-1:123456789012:canary:home --tag-keys team
    """
    from awsmon.services.synthetics import untag_resource as svc

    renderer(ctx).detail(svc(app_ctx(ctx), resource_arn, split_values(tag_keys) or []))
