"""awsmon kinesis: Amazon Kinesis Data Streams (CloudWatch Logs subscription destinations)."""

from __future__ import annotations

from typing import Any

import typer

from awsmon.cli._common import app_ctx, renderer
from awsmon.cli._common import group as make_group
from awsmon.output import Column

app = make_group(
    "kinesis",
    "Amazon Kinesis Data Streams: streams, shards, records (Data is base64, as aws-cli prints it).\n\n"
    "Examples:\n\n"
    "  awsmon kinesis create-stream --stream-name logs --shard-count 1\n\n"
    "  awsmon kinesis get-shard-iterator --stream-name logs --shard-id shardId-000000000000 "
    "--shard-iterator-type TRIM_HORIZON\n\n"
    "  awsmon kinesis get-records --shard-iterator <iterator>",
)


def _stream_opt() -> Any:
    return typer.Option(None, "--stream-name", "--name", "-n", help="The stream name.")


def _arn_opt() -> Any:
    return typer.Option(None, "--stream-arn", help="The stream ARN (instead of --stream-name).")


def _which(name: str | None, arn: str | None) -> str:
    from awsmon.errors import UsageError

    if (name is None) == (arn is None):
        raise UsageError("give exactly one of --stream-name or --stream-arn")
    return str(name or arn)


@app.command("create-stream")
def create_stream(
    ctx: typer.Context,
    name: str = typer.Option(..., "--stream-name", "--name", "-n", help="The stream name."),
    shard_count: int | None = typer.Option(None, "--shard-count", help="Shards (PROVISIONED mode)."),
    mode: str | None = typer.Option(None, "--stream-mode-details",
                                    help="StreamMode=PROVISIONED|ON_DEMAND (or just the mode)."),  # fmt: skip
) -> None:
    """Create a stream (CreateStream).

    Example: awsmon kinesis create-stream --stream-name logs --shard-count 2
    """
    from awsmon.services.kinesis import create_stream as svc

    if mode:
        mode = mode.split("=", 1)[-1].strip()
    renderer(ctx).detail(svc(app_ctx(ctx), name, shard_count, mode))


@app.command("describe-stream")
def describe_stream(ctx: typer.Context, name: str | None = _stream_opt(), arn: str | None = _arn_opt()) -> None:
    """A stream and its shards (DescribeStream).

    Example: awsmon kinesis describe-stream --stream-name logs
    """
    from awsmon.services.kinesis import describe_stream as svc

    data = svc(app_ctx(ctx), _which(name, arn))
    cols = [Column("ShardId"), Column("StartingHashKey", path="HashKeyRange.StartingHashKey"),
            Column("EndingHashKey", path="HashKeyRange.EndingHashKey"),
            Column("StartingSequenceNumber", path="SequenceNumberRange.StartingSequenceNumber")]  # fmt: skip
    renderer(ctx).render(data, rows_of=lambda d: d["StreamDescription"]["Shards"], columns=cols)


@app.command("list-streams")
def list_streams(ctx: typer.Context) -> None:
    """The region's streams (ListStreams, all pages).

    Example: awsmon kinesis list-streams
    """
    from awsmon.services.kinesis import list_streams as svc

    cols = [Column("StreamName"), Column("StreamStatus"), Column("StreamMode", path="StreamModeDetails.StreamMode"),
            Column("StreamARN")]  # fmt: skip
    renderer(ctx).render(svc(app_ctx(ctx)), rows_key="StreamSummaries", columns=cols)


@app.command("delete-stream")
def delete_stream(ctx: typer.Context, name: str | None = _stream_opt(), arn: str | None = _arn_opt()) -> None:
    """Delete a stream and its records (DeleteStream).

    Example: awsmon kinesis delete-stream --stream-name logs
    """
    from awsmon.services.kinesis import delete_stream as svc

    renderer(ctx).detail(svc(app_ctx(ctx), _which(name, arn)))


@app.command("put-record")
def put_record(
    ctx: typer.Context,
    name: str | None = _stream_opt(),
    arn: str | None = _arn_opt(),
    data: str = typer.Option(..., "--data", help="The record's bytes, base64 (aws-cli v2's blob format)."),
    partition_key: str = typer.Option(..., "--partition-key", help="Decides the shard (MD5 of the key)."),
    explicit_hash_key: str | None = typer.Option(None, "--explicit-hash-key", help="The hash key, overriding MD5."),
) -> None:
    """Write one record (PutRecord).

    Example: awsmon kinesis put-record --stream-name logs --partition-key k1 --data aGVsbG8=
    """
    from awsmon.services.kinesis import put_record as svc

    renderer(ctx).detail(svc(app_ctx(ctx), _which(name, arn), data, partition_key, explicit_hash_key))


@app.command("get-shard-iterator")
def get_shard_iterator(
    ctx: typer.Context,
    name: str | None = _stream_opt(),
    arn: str | None = _arn_opt(),
    shard_id: str = typer.Option(..., "--shard-id", help="shardId-000000000000, ..."),
    iterator_type: str = typer.Option(..., "--shard-iterator-type",
                                      help="TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, "
                                      "AT_TIMESTAMP."),  # fmt: skip
    sequence_number: str | None = typer.Option(None, "--starting-sequence-number"),
    timestamp: str | None = typer.Option(None, "--timestamp", help="For AT_TIMESTAMP (ISO 8601, epoch, or 1h ago)."),
) -> None:
    """A shard iterator (GetShardIterator); it expires after 5 minutes.

    Example: awsmon kinesis get-shard-iterator --stream-name logs --shard-id shardId-000000000000 --shard-iterator-type TRIM_HORIZON
    """
    from awsmon.services.kinesis import get_shard_iterator as svc

    when = app_ctx(ctx).parse_time(timestamp) if timestamp else None
    renderer(ctx).detail(svc(app_ctx(ctx), _which(name, arn), shard_id, iterator_type, sequence_number, when))


@app.command("get-records")
def get_records(
    ctx: typer.Context,
    iterator: str = typer.Option(..., "--shard-iterator", help="From get-shard-iterator or a previous get-records."),
    limit: int | None = typer.Option(None, "--limit", help="At most this many records (1-10000)."),
) -> None:
    """Records from a shard (GetRecords); -o json prints AWS's shape (Data base64, NextShardIterator).

    Example: awsmon kinesis get-records --shard-iterator <iterator> -o json
    """
    from awsmon.services.kinesis import get_records as svc

    cols = [Column("SequenceNumber"), Column("ApproximateArrivalTimestamp"), Column("PartitionKey"), Column("Data")]
    renderer(ctx).render(svc(app_ctx(ctx), iterator, limit), rows_key="Records", columns=cols)
