"""CloudWatch Synthetics canaries: what each ``awsmon synthetics`` command means, on either backend (boto3
``synthetics``).

``create-canary`` takes aws-cli's CreateCanary shape, or ``--blueprint heartbeat|api`` as the console's blueprints:
awsmon writes the script (a Node.js Synthetics script that also runs on AWS, see :mod:`awsmon.engines.canary`),
creates the console's default artifact bucket ``cw-syn-results-<account>-<region>`` and a default execution role
when they are missing, creates the canary, waits until it is READY and starts it (``--no-start`` leaves it READY).
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
import time
import uuid
import zipfile
from typing import Any

from awsmon.context import AppContext
from awsmon.errors import ServiceError, UsageError
from awsmon.services import compact

DEFAULT_ROLE = "CloudWatchSyntheticsRole-awsmon"
DEFAULT_POLICY = "CloudWatchSyntheticsPolicy-awsmon"
ROLE_PATH = "/service-role/"
READY_WAIT_S = 180.0
_TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                  "Action": "sts:AssumeRole"}]}  # fmt: skip
_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject", "s3:GetBucketLocation", "s3:ListAllMyBuckets"],
     "Resource": "*"},
    {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
     "Resource": "*"},
    {"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*",
     "Condition": {"StringEquals": {"cloudwatch:namespace": "CloudWatchSynthetics"}}},
]}  # fmt: skip


def _client(ctx: AppContext) -> Any:
    return ctx.client("synthetics")


# -- reading aws-cli arguments ----------------------------------------------------------------------------------------
_EXPR_RE = re.compile(r"\s*Expression=((?:rate|cron)\(.*?\))\s*(?:,(.*))?$", re.S)


def schedule_arg(text: str) -> dict[str, Any]:
    """``--schedule``: ``Expression=rate(5 minutes),DurationInSeconds=0``, JSON, or a bare ``rate(...)``/``cron(...)``
    (cron expressions hold commas, so the expression is taken whole before the shorthand's other keys)."""
    from awsmon.services._input import json_or_shorthand, read_text, shorthand

    raw = read_text(text, "--schedule").strip()
    if raw.startswith(("rate(", "cron(")):
        return {"Expression": raw}
    m = _EXPR_RE.match(raw)
    if m:
        out: dict[str, Any] = {"Expression": m.group(1)}
        if m.group(2):
            out.update(shorthand(m.group(2), "--schedule"))
        return out
    value = json_or_shorthand(raw, "--schedule", read=False)
    if not isinstance(value, dict):
        raise UsageError("invalid --schedule: expected Expression=...,DurationInSeconds=N or a JSON object")
    return value


def code_arg(text: str) -> dict[str, Any]:
    """``--code Handler=x.handler,S3Bucket=b,S3Key=k`` or ``...,ZipFile=fileb://canary.zip`` (or base64), or JSON."""
    from awsmon.services._input import json_or_shorthand

    value = json_or_shorthand(text, "--code")
    if not isinstance(value, dict):
        raise UsageError("invalid --code: expected Handler=...,S3Bucket=...,S3Key=... or Handler=...,ZipFile=fileb://...")
    zipped = value.get("ZipFile")
    if isinstance(zipped, str):
        value["ZipFile"] = _blob(zipped)
    return value


def _blob(text: str) -> bytes:
    from awsmon.inputs import read_file_bytes

    for prefix in ("fileb://", "file://"):
        if text.startswith(prefix):
            return read_file_bytes(text[len(prefix):], "--code ZipFile")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise UsageError("invalid --code ZipFile: expected fileb://path or base64 (aws-cli v2's blob format)") from None


def map_arg(text: str | None, what: str) -> dict[str, Any] | None:
    if text is None:
        return None
    from awsmon.services._input import json_or_shorthand

    value = json_or_shorthand(text, what)
    if not isinstance(value, dict):
        raise UsageError(f"invalid {what}: expected Key=Value pairs or a JSON object")
    return value


def steps_arg(text: str) -> Any:
    from awsmon.services._input import read_json

    return read_json(text, "--steps")


# -- commands -------------------------------------------------------------------------------------------------------
def create_canary(ctx: AppContext, name: str, *, code: dict[str, Any] | None, artifact_s3_location: str | None,
                  execution_role_arn: str | None, schedule: dict[str, Any], runtime_version: str | None,
                  run_config: dict[str, Any] | None = None, success_retention: int | None = None,
                  failure_retention: int | None = None, tags: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    """CreateCanary with aws-cli's parameters."""
    return dict(_client(ctx).create_canary(**compact(
        Name=name, Code=code, ArtifactS3Location=artifact_s3_location, ExecutionRoleArn=execution_role_arn,
        Schedule=schedule, RuntimeVersion=runtime_version, RunConfig=run_config,
        SuccessRetentionPeriodInDays=success_retention, FailureRetentionPeriodInDays=failure_retention,
        Tags=tags or None)))  # fmt: skip


def create_from_blueprint(ctx: AppContext, name: str, blueprint: str, *, urls: list[str], steps: Any,
                          schedule: dict[str, Any], runtime_version: str | None = None,
                          artifact_s3_location: str | None = None, execution_role_arn: str | None = None,
                          run_config: dict[str, Any] | None = None, success_retention: int | None = None,
                          failure_retention: int | None = None, tags: dict[str, Any] | None = None,
                          start: bool = True) -> dict[str, Any]:  # fmt: skip
    """The console's way: a blueprint script, the default bucket and role when missing, then create and start."""
    from awsmon.engines import canary as eng

    try:  # everything the user typed is checked before anything is created
        eng.check_name(name)
        eng.parse_schedule(schedule.get("Expression"))
        plan = eng.blueprint_plan(blueprint, urls=urls, steps=steps)
    except eng.CanaryInputError as exc:
        raise ServiceError("ValidationException", exc.message) from None
    client = _client(ctx)
    # DescribeCanaries, not GetCanary: an emulator (moto) fails GetCanary of an unknown name with HTTP 500.
    if any(c.get("Name") == name for c in client.describe_canaries(Names=[name]).get("Canaries", [])):
        raise ServiceError("ValidationException", f"Canary {name} already exists.")
    backend = ctx.backend()
    region = backend.region
    if artifact_s3_location is None:
        bucket = f"cw-syn-results-{backend.account_id}-{region}"
        _ensure_bucket(ctx, bucket, region)
        # The console's default folder: canary/<region>/<name>-<3 hex>-<12 hex>
        suffix = uuid.uuid4().hex
        artifact_s3_location = f"s3://{bucket}/canary/{region}/{name}-{suffix[:3]}-{suffix[3:15]}"
    if execution_role_arn is None:
        execution_role_arn = _ensure_role(ctx, backend.account_id)
    handler_file = f"{name.replace('-', '_')}"
    script = eng.blueprint_script(plan)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo(f"nodejs/node_modules/{handler_file}.js", date_time=(2020, 1, 1, 0, 0, 0))
        zf.writestr(info, script)
    created = create_canary(
        ctx, name, code={"Handler": f"{handler_file}.handler", "ZipFile": buf.getvalue()},
        artifact_s3_location=artifact_s3_location, execution_role_arn=execution_role_arn, schedule=schedule,
        runtime_version=runtime_version or eng.DEFAULT_RUNTIME, run_config=run_config,
        success_retention=success_retention, failure_retention=failure_retention,
        tags={"blueprint": blueprint, **(tags or {})},
    )  # fmt: skip
    if not start:
        return created
    canary = wait_until_settled(ctx, name)
    if canary["Status"]["State"] == "READY":
        client.start_canary(Name=name)
        if ctx.is_local:
            ctx.run_catch_up()
        canary = client.get_canary(Name=name)["Canary"]
    return {"Canary": canary}


def wait_until_settled(ctx: AppContext, name: str) -> dict[str, Any]:
    """The canary once it has left CREATING (the local account settles at its next catch-up; AWS takes seconds)."""
    client = _client(ctx)
    deadline = time.monotonic() + READY_WAIT_S
    while True:
        if ctx.is_local:
            ctx.run_catch_up()
        canary = dict(client.get_canary(Name=name)["Canary"])
        if canary["Status"]["State"] not in ("CREATING", "UPDATING") or time.monotonic() > deadline:
            return canary
        time.sleep(0.05 if ctx.is_local else 2.0)


def _ensure_bucket(ctx: AppContext, bucket: str, region: str) -> None:
    s3 = ctx.client("s3")
    try:
        s3.head_bucket(Bucket=bucket)
        return
    except ServiceError as exc:
        if exc.code not in ("NoSuchBucket", "404", "NotFound"):
            raise
    s3.create_bucket(**compact(Bucket=bucket, CreateBucketConfiguration=None if region == "us-east-1"
                               else {"LocationConstraint": region}))  # fmt: skip


def _ensure_role(ctx: AppContext, account_id: str | None) -> str:
    iam = ctx.client("iam")
    try:
        return str(iam.get_role(RoleName=DEFAULT_ROLE)["Role"]["Arn"])
    except ServiceError as exc:
        if exc.code not in ("NoSuchEntity", "NoSuchEntityException"):
            raise
    role = iam.create_role(RoleName=DEFAULT_ROLE, Path=ROLE_PATH, AssumeRolePolicyDocument=json.dumps(_TRUST),
                           Description="Execution role of canaries created by awsmon")["Role"]  # fmt: skip
    policy_arn = f"arn:aws:iam::{account_id}:policy{ROLE_PATH}{DEFAULT_POLICY}"
    try:
        iam.get_policy(PolicyArn=policy_arn)
    except ServiceError as exc:
        if exc.code not in ("NoSuchEntity", "NoSuchEntityException"):
            raise
        policy_arn = iam.create_policy(PolicyName=DEFAULT_POLICY, Path=ROLE_PATH,
                                       PolicyDocument=json.dumps(_POLICY))["Policy"]["Arn"]  # fmt: skip
    iam.attach_role_policy(RoleName=DEFAULT_ROLE, PolicyArn=policy_arn)
    return str(role["Arn"])


def get_canary(ctx: AppContext, name: str) -> dict[str, Any]:
    return dict(_client(ctx).get_canary(Name=name))


def describe_canaries(ctx: AppContext, names: list[str] | None = None) -> dict[str, Any]:
    from awsmon.backends import paginate

    canaries = list(paginate(_client(ctx).describe_canaries, "Canaries", **compact(Names=names or None)))
    return {"Canaries": canaries}


def describe_canaries_last_run(ctx: AppContext, names: list[str] | None = None) -> dict[str, Any]:
    from awsmon.backends import paginate

    runs = list(paginate(_client(ctx).describe_canaries_last_run, "CanariesLastRun", **compact(Names=names or None)))
    return {"CanariesLastRun": runs}


def get_canary_runs(ctx: AppContext, name: str, max_items: int | None = None) -> dict[str, Any]:
    """The canary's runs, newest first (all pages, or the first ``max_items``)."""
    from awsmon.backends import paginate

    return {"CanaryRuns": list(paginate(_client(ctx).get_canary_runs, "CanaryRuns", max_items=max_items, Name=name))}


def start_canary(ctx: AppContext, name: str) -> dict[str, Any]:
    _client(ctx).start_canary(Name=name)
    return {}


def stop_canary(ctx: AppContext, name: str) -> dict[str, Any]:
    _client(ctx).stop_canary(Name=name)
    return {}


def delete_canary(ctx: AppContext, name: str, delete_lambda: bool | None = None) -> dict[str, Any]:
    _client(ctx).delete_canary(**compact(Name=name, DeleteLambda=delete_lambda))
    return {}


def update_canary(ctx: AppContext, name: str, *, code: dict[str, Any] | None = None,
                  execution_role_arn: str | None = None, schedule: dict[str, Any] | None = None,
                  runtime_version: str | None = None, run_config: dict[str, Any] | None = None,
                  success_retention: int | None = None, failure_retention: int | None = None,
                  artifact_s3_location: str | None = None) -> dict[str, Any]:  # fmt: skip
    params = compact(Code=code, ExecutionRoleArn=execution_role_arn, Schedule=schedule, RuntimeVersion=runtime_version,
                     RunConfig=run_config, SuccessRetentionPeriodInDays=success_retention,
                     FailureRetentionPeriodInDays=failure_retention, ArtifactS3Location=artifact_s3_location)  # fmt: skip
    if not params:
        raise UsageError("nothing to update: give at least one setting (--schedule, --code, --run-config, ...)")
    _client(ctx).update_canary(Name=name, **params)
    return {}


def describe_runtime_versions(ctx: AppContext) -> dict[str, Any]:
    from awsmon.backends import paginate

    return {"RuntimeVersions": list(paginate(_client(ctx).describe_runtime_versions, "RuntimeVersions"))}


def list_tags_for_resource(ctx: AppContext, resource_arn: str) -> dict[str, Any]:
    return {"Tags": dict(_client(ctx).list_tags_for_resource(ResourceArn=resource_arn).get("Tags") or {})}


def tag_resource(ctx: AppContext, resource_arn: str, tags: dict[str, Any]) -> dict[str, Any]:
    _client(ctx).tag_resource(ResourceArn=resource_arn, Tags=tags)
    return {}


def untag_resource(ctx: AppContext, resource_arn: str, tag_keys: list[str]) -> dict[str, Any]:
    _client(ctx).untag_resource(ResourceArn=resource_arn, TagKeys=tag_keys)
    return {}
