"""awsmon firehose: Amazon Data Firehose delivery streams writing batched objects to S3."""

from __future__ import annotations

from typing import Any

import typer

from awsmon.cli._common import app_ctx, renderer, service_command
from awsmon.cli._common import group as make_group
from awsmon.errors import UsageError

app = make_group(
    "firehose",
    "Amazon Data Firehose: Direct PUT delivery streams writing batched objects into an S3 bucket (buffering hints on "
    "the account clock).\n\n"
    "Examples:\n\n"
    "  awsmon firehose create-delivery-stream --delivery-stream-name logs --extended-s3-destination-configuration "
    "RoleARN=arn:aws:iam::123456789012:role/fh,BucketARN=arn:aws:s3:::my-bucket,Prefix=logs/\n\n"
    "  awsmon firehose put-record --delivery-stream-name logs --record Data=aGVsbG8=",
)


def _name_opt() -> Any:
    return typer.Option(..., "--delivery-stream-name", "--name", "-n", help="The delivery stream name.")


def _destination(text: str) -> dict[str, Any]:
    """aws-cli's structure argument: JSON, or shorthand ``RoleARN=..,BucketARN=..,Prefix=..,
    BufferingHints={SizeInMBs=1,IntervalInSeconds=60},CompressionFormat=GZIP``."""
    from awsmon.inputs import read_json_arg

    stripped = text.strip()
    if stripped.startswith(("{", "file://")):
        value = read_json_arg(stripped, "--extended-s3-destination-configuration")
        if not isinstance(value, dict):
            raise UsageError("--extended-s3-destination-configuration must be a JSON object")
        return value
    out: dict[str, Any] = {}
    rest = stripped
    while rest:
        key, eq, rest = rest.partition("=")
        if not eq:
            raise UsageError(f"invalid --extended-s3-destination-configuration {text!r}: expected Key=Value,...")
        if rest.startswith("{"):
            inner, _, rest = rest[1:].partition("}")
            out[key.strip()] = {k.strip(): int(v) if v.strip().isdigit() else v.strip()
                                for k, _, v in (p.partition("=") for p in inner.split(",") if p)}  # fmt: skip
            rest = rest.removeprefix(",")
        else:
            value, _, rest = rest.partition(",")
            out[key.strip()] = value.strip()
    return out


@app.command("create-delivery-stream")
def create_delivery_stream(
    ctx: typer.Context,
    name: str = _name_opt(),
    destination: str = typer.Option(..., "--extended-s3-destination-configuration", "--s3-destination-configuration",
                                    help="RoleARN=..,BucketARN=arn:aws:s3:::bucket[,Prefix=..][,BufferingHints="
                                    "{SizeInMBs=5,IntervalInSeconds=300}][,CompressionFormat=GZIP] or JSON."),  # fmt: skip
    stream_type: str | None = typer.Option(None, "--delivery-stream-type", help="DirectPut (the default)."),
) -> None:
    """Create a Direct PUT delivery stream to S3 (CreateDeliveryStream).

    Example: awsmon firehose create-delivery-stream --delivery-stream-name logs --extended-s3-destination-configuration RoleARN=arn:aws:iam::123456789012:role/fh,BucketARN=arn:aws:s3:::my-bucket
    """
    from awsmon.services.firehose import create_delivery_stream as svc

    renderer(ctx).detail(svc(app_ctx(ctx), name, _destination(destination), stream_type))


service_command(app, "describe-delivery-stream", "awsmon.services.firehose:describe_delivery_stream",
                "A delivery stream and its S3 destination (DescribeDeliveryStream).\n\n"
                "Example: awsmon firehose describe-delivery-stream --delivery-stream-name logs",
                ("name", str, _name_opt()), detail=True)


@app.command("list-delivery-streams")
def list_delivery_streams(ctx: typer.Context) -> None:
    """The region's delivery streams (ListDeliveryStreams, all pages).

    Example: awsmon firehose list-delivery-streams
    """
    from awsmon.output import Column
    from awsmon.services.firehose import list_delivery_streams as svc

    renderer(ctx).render(svc(app_ctx(ctx)), rows_key="DeliveryStreamNames", columns=[Column("DeliveryStreamName", path="")])


@app.command("put-record")
def put_record(
    ctx: typer.Context,
    name: str = _name_opt(),
    record: str = typer.Option(..., "--record", help="Data=<base64> (aws-cli v2's blob format), or the base64 alone."),
) -> None:
    """Send one record (PutRecord); it reaches S3 with the next object the buffering hints write.

    Example: awsmon firehose put-record --delivery-stream-name logs --record Data=aGVsbG8K
    """
    from awsmon.services.firehose import put_record as svc

    renderer(ctx).detail(svc(app_ctx(ctx), name, record.removeprefix("Data=")))


service_command(app, "delete-delivery-stream", "awsmon.services.firehose:delete_delivery_stream",
                "Delete a delivery stream (its unflushed records are dropped) (DeleteDeliveryStream).\n\n"
                "Example: awsmon firehose delete-delivery-stream --delivery-stream-name logs",
                ("name", str, _name_opt()), detail=True)
