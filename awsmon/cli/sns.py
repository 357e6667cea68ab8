"""awsmon sns: Amazon SNS with aws-cli's operation names (the same service functions as `awsmon alarms topics`)."""

from __future__ import annotations

import typer

from awsmon.cli._common import app_ctx, group, publish_command, renderer, service_command
from awsmon.output import Column

app = group(
    "sns",
    "Amazon SNS topics and subscriptions: confirmation, filter policies, raw delivery, FIFO topics, http(s) POSTs.\n\n"
    "Examples:\n\n"
    "  awsmon sns create-topic --name orders\n\n"
    "  awsmon sns subscribe --topic-arn orders --protocol sqs --notification-endpoint arn:aws:sqs:us-east-1:123456789012:q "
    "--attributes '{\"FilterPolicy\": {\"store\": [\"eu\"]}}'\n\n"
    "  awsmon sns publish --topic-arn orders --message hi --message-attributes "
    "'{\"store\": {\"DataType\": \"String\", \"StringValue\": \"eu\"}}'",
)

SUB_COLUMNS = [Column("TopicArn"), Column("Protocol"), Column("Endpoint"), Column("SubscriptionArn")]


def _topic_opt() -> str:
    return typer.Option(..., "--topic-arn", "--topic", help="Topic ARN (or name).")  # type: ignore[no-any-return]


service_command(app, "create-topic", "awsmon.services.alarms:create_topic",
                "Create a topic (CreateTopic; idempotent).\n\n"
                "Example: awsmon sns create-topic --name orders.fifo --attributes FifoTopic=true,ContentBasedDeduplication=true",
                ("name", str, typer.Option(..., "--name", "-n", help="Topic name (.fifo with FifoTopic=true for a FIFO topic).")),
                ("attributes", str | None, typer.Option(None, "--attributes", help="FifoTopic=true,ContentBasedDeduplication=true or JSON.")),
                detail=True)  # fmt: skip


service_command(app, "list-topics", "awsmon.services.alarms:list_topics",
                "List topics (ListTopics).\n\n"
                "Example: awsmon sns list-topics",
                rows_key="Topics", columns=[Column("TopicArn")])


@app.command("subscribe")
def subscribe(
    ctx: typer.Context,
    topic: str = _topic_opt(),
    protocol: str = typer.Option(..., "--protocol", help="email, email-json, sms, sqs, lambda, http, https, file (local)."),
    endpoint: str = typer.Option(..., "--notification-endpoint", "--endpoint", help="Address, URL, ARN or file path."),
    attributes: str | None = typer.Option(None, "--attributes", help="JSON: FilterPolicy, FilterPolicyScope, RawMessageDelivery, RedrivePolicy."),
    return_arn: bool = typer.Option(False, "--return-subscription-arn", help="The ARN even while confirmation is pending."),
) -> None:
    """Subscribe an endpoint (Subscribe): email/http(s) answer "pending confirmation" until confirm-subscription.

    Example: awsmon sns subscribe --topic-arn orders --protocol https --notification-endpoint https://example.com/hook
    """
    from awsmon.services.alarms import subscribe as svc

    renderer(ctx).detail(svc(app_ctx(ctx), topic, protocol, endpoint, False, attributes, return_arn))


service_command(app, "confirm-subscription", "awsmon.services.alarms:confirm_subscription",
                "Confirm a pending subscription (ConfirmSubscription) with the token sent to its endpoint (see the outbox).\n\n"
                "Example: awsmon sns confirm-subscription --topic-arn orders --token 2336412f37fb...",
                ("topic", str, _topic_opt()),
                ("token", str, typer.Option(..., "--token", help="The Token of the SubscriptionConfirmation message.")),
                ("authenticate_on_unsubscribe", bool, typer.Option(False, "--authenticate-on-unsubscribe", help="Only the owner may unsubscribe.")),
                detail=True)  # fmt: skip


@app.command("unsubscribe")
def unsubscribe(
    ctx: typer.Context, subscription_arn: str = typer.Option(..., "--subscription-arn", help="Subscription ARN.")
) -> None:
    """Remove a subscription (Unsubscribe).

    Example: awsmon sns unsubscribe --subscription-arn arn:aws:sns:us-east-1:123456789012:orders:1f0c...
    """
    from awsmon.services.alarms import unsubscribe as svc

    renderer(ctx).render(svc(app_ctx(ctx), subscription_arn))


@app.command("list-subscriptions")
def list_subscriptions(ctx: typer.Context) -> None:
    """List subscriptions (ListSubscriptions); pending ones show SubscriptionArn PendingConfirmation.

    Example: awsmon sns list-subscriptions
    """
    from awsmon.services.alarms import list_subscriptions as svc

    renderer(ctx).render(svc(app_ctx(ctx), None), rows_key="Subscriptions", columns=SUB_COLUMNS)


service_command(app, "list-subscriptions-by-topic", "awsmon.services.alarms:list_subscriptions",
                "List a topic's subscriptions (ListSubscriptionsByTopic).\n\n"
                "Example: awsmon sns list-subscriptions-by-topic --topic-arn orders",
                ("topic", str, _topic_opt()), rows_key="Subscriptions", columns=SUB_COLUMNS)


publish = app.command("publish")(publish_command(
    _topic_opt(),
    """Publish a message (Publish) to the confirmed subscriptions whose filter policy matches.

    Example: awsmon sns publish --topic-arn orders --message hi --message-attributes '{"store": {"DataType": "String", "StringValue": "eu"}}'
    """))


service_command(app, "get-subscription-attributes", "awsmon.services.alarms:get_subscription_attributes",
                "A subscription's attributes (GetSubscriptionAttributes).\n\n"
                "Example: awsmon sns get-subscription-attributes --subscription-arn arn:aws:sns:us-east-1:123456789012:orders:1f0c...",
                ("subscription_arn", str, typer.Option(..., "--subscription-arn", help="Subscription ARN.")),
                detail=True)  # fmt: skip


service_command(app, "set-subscription-attributes", "awsmon.services.alarms:set_subscription_attributes",
                "Change one subscription attribute (SetSubscriptionAttributes).\n\n"
                "Example: awsmon sns set-subscription-attributes --subscription-arn arn:... --attribute-name RawMessageDelivery --attribute-value true",
                ("subscription_arn", str, typer.Option(..., "--subscription-arn", help="Subscription ARN.")),
                ("name", str, typer.Option(..., "--attribute-name", help="FilterPolicy, FilterPolicyScope, RawMessageDelivery, ...")),
                ("value", str | None, typer.Option(None, "--attribute-value", help="The new value (empty removes a policy).")))  # fmt: skip
