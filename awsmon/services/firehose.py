"""Amazon Data Firehose: what each ``awsmon firehose`` command means, on either backend (boto3 ``firehose``)."""

from __future__ import annotations

from typing import Any

from awsmon.context import AppContext
from awsmon.services import compact
from awsmon.services._input import read_blob_arg


def _client(ctx: AppContext) -> Any:
    return ctx.client("firehose")


def create_delivery_stream(ctx: AppContext, name: str, destination: dict[str, Any],
                           stream_type: str | None = None) -> dict[str, Any]:  # fmt: skip
    return dict(_client(ctx).create_delivery_stream(**compact(
        DeliveryStreamName=name, DeliveryStreamType=stream_type, ExtendedS3DestinationConfiguration=destination)))


def describe_delivery_stream(ctx: AppContext, name: str) -> dict[str, Any]:
    return dict(_client(ctx).describe_delivery_stream(DeliveryStreamName=name))


def list_delivery_streams(ctx: AppContext) -> dict[str, Any]:
    names: list[str] = []
    params: dict[str, Any] = {"Limit": 100}
    while True:
        page = _client(ctx).list_delivery_streams(**params)
        names += page.get("DeliveryStreamNames", [])
        if not page.get("HasMoreDeliveryStreams") or not page.get("DeliveryStreamNames"):
            break
        params = {"Limit": 100, "ExclusiveStartDeliveryStreamName": names[-1]}
    return {"DeliveryStreamNames": names, "HasMoreDeliveryStreams": False}


def put_record(ctx: AppContext, name: str, data: str) -> dict[str, Any]:
    """``--record Data=<base64>`` as aws-cli v2 takes blobs (or fileb://path)."""
    raw = read_blob_arg(data, "record data")
    return dict(_client(ctx).put_record(DeliveryStreamName=name, Record={"Data": raw}))


def delete_delivery_stream(ctx: AppContext, name: str) -> dict[str, Any]:
    _client(ctx).delete_delivery_stream(DeliveryStreamName=name)
    return {}
