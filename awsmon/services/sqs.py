"""Amazon SQS queues: what each ``awsmon sqs`` command means, on either backend (boto3 ``sqs`` operations)."""

from __future__ import annotations

import json
from typing import Any

from awsmon.context import AppContext
from awsmon.errors import UsageError
from awsmon.inputs import read_json_arg
from awsmon.services import compact


def _client(ctx: AppContext) -> Any:
    return ctx.client("sqs")


def queue_url(ctx: AppContext, queue: str) -> str:
    """A queue URL as given, or the URL of a queue given by name."""
    if "/" in queue:
        return queue
    return str(_client(ctx).get_queue_url(QueueName=queue)["QueueUrl"])


def parse_attributes(text: str | None, option: str = "--attributes") -> dict[str, str] | None:
    """aws-cli's map argument (SQS and SNS attributes, tags): JSON (inline or file://) or shorthand
    ``Key=Value,Key2=Value2``. A JSON object or array given as a value (``{"RedrivePolicy": {...}}``) is taken as its
    JSON text and a boolean as ``true``/``false``, as SQS and SNS want policies and flags as strings."""
    if text is None:
        return None
    stripped = text.strip()
    if stripped.startswith(("{", "file://", "@")):
        value = read_json_arg(stripped, option)
        if not isinstance(value, dict):
            raise UsageError(f"{option} must be a JSON object")
        return {str(k): v if isinstance(v, str) else json.dumps(v) if isinstance(v, dict | list) else
                str(v).lower() if isinstance(v, bool) else str(v) for k, v in value.items()}  # fmt: skip
    out: dict[str, str] = {}
    for part in stripped.split(","):
        key, eq, value = part.partition("=")
        if not eq or not key.strip():
            raise UsageError(f"invalid {option} value {text!r}: expected Key=Value pairs separated by commas, or JSON")
        out[key.strip()] = value.strip()
    return out


def parse_message_attributes(text: str | None) -> dict[str, Any] | None:
    """``--message-attributes``: the aws-cli JSON shape ``{"name": {"DataType": "String", "StringValue": "v"}}``."""
    if text is None:
        return None
    value = read_json_arg(text, "--message-attributes")
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise UsageError('--message-attributes must be a JSON object: {"Name": {"DataType": "String", "StringValue": "v"}}')
    for attr in value.values():
        if isinstance(attr.get("BinaryValue"), str):
            import base64

            try:  # aws-cli takes binary values base64-encoded
                attr["BinaryValue"] = base64.b64decode(attr["BinaryValue"], validate=True)
            except ValueError:
                raise UsageError("--message-attributes: a BinaryValue must be base64") from None
    return value


def create_queue(ctx: AppContext, name: str, attributes: str | None = None, tags: str | None = None) -> dict[str, Any]:
    params = compact(QueueName=name, Attributes=parse_attributes(attributes), tags=parse_attributes(tags, "--tags"))
    return dict(_client(ctx).create_queue(**params))


def get_queue_url(ctx: AppContext, name: str, owner: str | None = None) -> dict[str, Any]:
    return dict(_client(ctx).get_queue_url(**compact(QueueName=name, QueueOwnerAWSAccountId=owner)))


def list_queues(ctx: AppContext, prefix: str | None = None, max_results: int | None = None) -> dict[str, Any]:
    resp = _client(ctx).list_queues(**compact(QueueNamePrefix=prefix or None, MaxResults=max_results))
    return {"QueueUrls": list(resp.get("QueueUrls") or []), **compact(NextToken=resp.get("NextToken"))}


def get_queue_attributes(ctx: AppContext, queue: str, names: list[str] | None = None) -> dict[str, Any]:
    resp = _client(ctx).get_queue_attributes(QueueUrl=queue_url(ctx, queue), AttributeNames=names or ["All"])
    return {"Attributes": dict(resp.get("Attributes") or {})}


def set_queue_attributes(ctx: AppContext, queue: str, attributes: str) -> dict[str, Any]:
    _client(ctx).set_queue_attributes(QueueUrl=queue_url(ctx, queue), Attributes=parse_attributes(attributes) or {})
    return {}


def send_message(ctx: AppContext, queue: str, body: str, *, delay: int | None = None, attributes: str | None = None,
                 group_id: str | None = None, dedup_id: str | None = None) -> dict[str, Any]:  # fmt: skip
    from awsmon.inputs import read_arg

    # aws-cli reads file:// for every text parameter: the file's text is the message, never its URL
    params = compact(QueueUrl=queue_url(ctx, queue), MessageBody=read_arg(body, "--message-body"), DelaySeconds=delay,
                     MessageAttributes=parse_message_attributes(attributes), MessageGroupId=group_id,
                     MessageDeduplicationId=dedup_id)  # fmt: skip
    return dict(_client(ctx).send_message(**params))


def receive_message(ctx: AppContext, queue: str, *, max_messages: int | None = None, visibility: int | None = None,
                    wait: int | None = None, attribute_names: list[str] | None = None,
                    message_attribute_names: list[str] | None = None) -> dict[str, Any]:  # fmt: skip
    params = compact(QueueUrl=queue_url(ctx, queue), MaxNumberOfMessages=max_messages, VisibilityTimeout=visibility,
                     WaitTimeSeconds=wait, MessageSystemAttributeNames=attribute_names or None,
                     MessageAttributeNames=message_attribute_names or None)  # fmt: skip
    resp = _client(ctx).receive_message(**params)
    # As AWS (and so aws-cli, which then prints nothing): no "Messages" key when nothing was received.
    return {"Messages": list(resp["Messages"])} if resp.get("Messages") else {}


def delete_message(ctx: AppContext, queue: str, receipt_handle: str) -> dict[str, Any]:
    _client(ctx).delete_message(QueueUrl=queue_url(ctx, queue), ReceiptHandle=receipt_handle)
    return {}


def purge_queue(ctx: AppContext, queue: str) -> dict[str, Any]:
    _client(ctx).purge_queue(QueueUrl=queue_url(ctx, queue))
    return {}


def delete_queue(ctx: AppContext, queue: str) -> dict[str, Any]:
    _client(ctx).delete_queue(QueueUrl=queue_url(ctx, queue))
    return {}
