"""awsmon sqs: Amazon SQS queues (EventBridge targets and dead-letter queues, SNS subscribers)."""

from __future__ import annotations

from typing import Any

import typer

from awsmon.cli._common import app_ctx, group, renderer, service_command, split_values
from awsmon.output import Column

app = group(
    "sqs",
    "Amazon SQS queues: send, receive (visibility timeout on the account clock), delete.\n\n"
    "Examples:\n\n"
    "  awsmon sqs create-queue --queue-name orders --attributes VisibilityTimeout=60\n\n"
    "  awsmon sqs send-message --queue-url orders --message-body hello\n\n"
    "  awsmon sqs receive-message --queue-url orders --max-number-of-messages 10",
)

MESSAGE_COLUMNS = [Column("MessageId"), Column("Body"), Column("ReceiptHandle")]


def _queue_opt() -> Any:
    return typer.Option(..., "--queue-url", "--queue", "-q", help="The queue URL (or the queue's name).")


service_command(app, "create-queue", "awsmon.services.sqs:create_queue",
                "Create a queue (CreateQueue); the same name with the same attributes returns the existing queue.\n\n"
                "Example: awsmon sqs create-queue --queue-name orders --attributes VisibilityTimeout=60",
                ("name", str, typer.Option(..., "--queue-name", "--name", "-n", help="The queue name (.fifo for a FIFO queue).")),
                ("attributes", str | None, typer.Option(None, "--attributes",
                                          help="VisibilityTimeout=60,DelaySeconds=0,FifoQueue=true,... or JSON.")),
                ("tags", str | None, typer.Option(None, "--tags", help="Key=Value,... or JSON.")), detail=True)  # fmt: skip


service_command(app, "get-queue-url", "awsmon.services.sqs:get_queue_url",
                "The URL of a queue (GetQueueUrl).\n\n"
                "Example: awsmon sqs get-queue-url --queue-name orders",
                ("name", str, typer.Option(..., "--queue-name", "--name", "-n", help="The queue name.")),
                ("owner", str | None, typer.Option(None, "--queue-owner-aws-account-id", help="The account owning the queue.")),
                detail=True)  # fmt: skip


@app.command("list-queues")
def list_queues(
    ctx: typer.Context,
    prefix: str | None = typer.Option(None, "--queue-name-prefix", "--prefix", help="Only queues named so."),
    max_results: int | None = typer.Option(None, "--max-results", help="At most this many (1-1000)."),
) -> None:
    """List queue URLs (ListQueues).

    Example: awsmon sqs list-queues --queue-name-prefix order
    """
    from awsmon.services.sqs import list_queues as svc

    data = svc(app_ctx(ctx), prefix, max_results)
    renderer(ctx).render(data, rows_key="QueueUrls", columns=[Column("QueueUrl", path="")])


service_command(app, "get-queue-attributes", "awsmon.services.sqs:get_queue_attributes",
                "A queue's attributes (GetQueueAttributes), including the approximate message counts.\n\n"
                "Example: awsmon sqs get-queue-attributes --queue-url orders --attribute-names ApproximateNumberOfMessages",
                ("queue", str, _queue_opt()),
                ("names", list[str] | None, typer.Option(None, "--attribute-names", help="Attribute names (several), or All.")),
                detail=True)  # fmt: skip


service_command(app, "set-queue-attributes", "awsmon.services.sqs:set_queue_attributes",
                "Change a queue's attributes (SetQueueAttributes).\n\n"
                "Example: awsmon sqs set-queue-attributes --queue-url orders --attributes VisibilityTimeout=120",
                ("queue", str, _queue_opt()),
                ("attributes", str, typer.Option(..., "--attributes", help="VisibilityTimeout=60,... or JSON.")),
                detail=True)  # fmt: skip


service_command(app, "send-message", "awsmon.services.sqs:send_message",
                "Send a message (SendMessage); prints its MessageId and the MD5 digests.\n\n"
                "Example: awsmon sqs send-message --queue-url orders --message-body '{\"id\": 1}'",
                ("queue", str, _queue_opt()),
                ("body", str, typer.Option(..., "--message-body", "--body", help="The message text.")),
                ("delay", int | None, typer.Option(None, "--delay-seconds", help="Hide the message this long (0-900 s).")),
                ("attributes", str | None, typer.Option(None, "--message-attributes",
                                          help='JSON {"Name": {"DataType": "String", "StringValue": "v"}} or file://.')),
                ("group_id", str | None, typer.Option(None, "--message-group-id", help="FIFO queues: the message group.")),
                ("dedup_id", str | None, typer.Option(None, "--message-deduplication-id", help="FIFO queues: the deduplication id.")),
                detail=True)  # fmt: skip


@app.command("receive-message")
def receive_message(
    ctx: typer.Context,
    queue: str = _queue_opt(),
    max_messages: int | None = typer.Option(None, "--max-number-of-messages", "--max", help="1-10 (default 1)."),
    visibility: int | None = typer.Option(None, "--visibility-timeout", help="Hide received messages this long (s)."),
    wait: int | None = typer.Option(None, "--wait-time-seconds", help="Long polling (0-20 s; no wait locally)."),
    attribute_names: list[str] | None = typer.Option(None, "--attribute-names", "--message-system-attribute-names",
                                                     help="System attributes to return (All, SentTimestamp, ...)."),  # fmt: skip
    message_attribute_names: list[str] | None = typer.Option(None, "--message-attribute-names",
                                                             help="Message attributes to return (All, names)."),  # fmt: skip
) -> None:
    """Receive messages (ReceiveMessage); they stay hidden for the visibility timeout until deleted.

    Example: awsmon sqs receive-message --queue-url orders --max-number-of-messages 10 -o json
    """
    from awsmon.services.sqs import receive_message as svc

    data = svc(app_ctx(ctx), queue, max_messages=max_messages, visibility=visibility, wait=wait,
               attribute_names=split_values(attribute_names), message_attribute_names=split_values(message_attribute_names))  # fmt: skip
    renderer(ctx).render(data, rows_key="Messages", columns=MESSAGE_COLUMNS)


service_command(app, "delete-message", "awsmon.services.sqs:delete_message",
                "Delete a received message (DeleteMessage).\n\n"
                "Example: awsmon sqs delete-message --queue-url orders --receipt-handle AQEB...",
                ("queue", str, _queue_opt()),
                ("receipt_handle", str, typer.Option(..., "--receipt-handle", help="The handle a receive returned.")),
                detail=True)  # fmt: skip


service_command(app, "purge-queue", "awsmon.services.sqs:purge_queue",
                "Delete every message of a queue (PurgeQueue).\n\n"
                "Example: awsmon sqs purge-queue --queue-url orders",
                ("queue", str, _queue_opt()), detail=True)


service_command(app, "delete-queue", "awsmon.services.sqs:delete_queue",
                "Delete a queue and its messages (DeleteQueue).\n\n"
                "Example: awsmon sqs delete-queue --queue-url orders",
                ("queue", str, _queue_opt()), detail=True)
