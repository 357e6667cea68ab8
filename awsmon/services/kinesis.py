"""Amazon Kinesis Data Streams: what each ``awsmon kinesis`` command means, on either backend (boto3 ``kinesis``)."""

from __future__ import annotations

from typing import Any

from awsmon.context import AppContext
from awsmon.services import compact
from awsmon.services._input import read_blob_arg


def _client(ctx: AppContext) -> Any:
    return ctx.client("kinesis")


def _stream(stream: str) -> dict[str, str]:
    """StreamARN for an ARN, StreamName for a name (aws-cli takes either)."""
    return {"StreamARN": stream} if stream.startswith("arn:") else {"StreamName": stream}


def create_stream(ctx: AppContext, name: str, shard_count: int | None, mode: str | None) -> dict[str, Any]:
    _client(ctx).create_stream(**compact(StreamName=name, ShardCount=shard_count,
                                         StreamModeDetails={"StreamMode": mode} if mode else None))  # fmt: skip
    return {}


def describe_stream(ctx: AppContext, stream: str) -> dict[str, Any]:
    return dict(_client(ctx).describe_stream(**_stream(stream)))


def list_streams(ctx: AppContext) -> dict[str, Any]:
    names: list[str] = []
    summaries: list[dict[str, Any]] = []
    params: dict[str, Any] = {}
    while True:
        page = _client(ctx).list_streams(**params)
        names += page.get("StreamNames", [])
        summaries += page.get("StreamSummaries", [])
        if not page.get("HasMoreStreams") or not page.get("StreamNames"):
            break
        params = {"ExclusiveStartStreamName": page["StreamNames"][-1]}
    return {"StreamNames": names, "HasMoreStreams": False, "StreamSummaries": summaries}


def delete_stream(ctx: AppContext, stream: str) -> dict[str, Any]:
    _client(ctx).delete_stream(**_stream(stream))
    return {}


def put_record(ctx: AppContext, stream: str, data: str, partition_key: str,
               explicit_hash_key: str | None = None) -> dict[str, Any]:  # fmt: skip
    """``--data`` is base64 as aws-cli v2 takes blobs (cli_binary_format base64), or fileb://path."""
    raw = read_blob_arg(data, "--data")
    return dict(_client(ctx).put_record(**_stream(stream), Data=raw, PartitionKey=partition_key,
                                        **compact(ExplicitHashKey=explicit_hash_key)))  # fmt: skip


def get_shard_iterator(ctx: AppContext, stream: str, shard_id: str, iterator_type: str,
                       sequence_number: str | None = None, timestamp: Any = None) -> dict[str, Any]:  # fmt: skip
    return dict(_client(ctx).get_shard_iterator(**_stream(stream), ShardId=shard_id, ShardIteratorType=iterator_type,
                                                **compact(StartingSequenceNumber=sequence_number,
                                                          Timestamp=timestamp)))  # fmt: skip


def get_records(ctx: AppContext, iterator: str, limit: int | None = None) -> dict[str, Any]:
    """Records with Data as bytes (printed base64, as aws-cli prints it)."""
    return dict(_client(ctx).get_records(**compact(ShardIterator=iterator, Limit=limit)))
