"""awsmon sns: Amazon SNS with aws-cli's operation names (the same service functions as `awsmon alarms topics`)."""

from __future__ import annotations

import typer

from awsmon.cli._common import app_ctx, group, publish_command, renderer
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


@app.command("create-topic")
def create_topic(
    ctx: typer.Context,
    name: str = typer.Option(..., "--name", "-n", help="Topic name (.fifo with FifoTopic=true for a FIFO topic)."),
    attributes: str | None = typer.Option(None, "--attributes", help="FifoTopic=true,ContentBasedDeduplication=true or JSON."),
) -> None:
    """Create a topic (CreateTopic; idempotent).

    Example: awsmon sns create-topic --name orders.fifo --attributes FifoTopic=true,ContentBasedDeduplication=true
    """
    from awsmon.services.alarms import create_topic as svc

    renderer(ctx).detail(svc(app_ctx(ctx), name, attributes))


@app.command("list-topics")
def list_topics(ctx: typer.Context) -> None:
    """List topics (ListTopics).

    Example: awsmon sns list-topics
    """
    from awsmon.services.alarms import list_topics as svc

    renderer(ctx).render(svc(app_ctx(ctx)), rows_key="Topics", columns=[Column("TopicArn")])


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


@app.command("confirm-subscription")
def confirm_subscription(
    ctx: typer.Context,
    topic: str = _topic_opt(),
    token: str = typer.Option(..., "--token", help="The Token of the SubscriptionConfirmation message."),
    authenticate: bool = typer.Option(False, "--authenticate-on-unsubscribe", help="Only the owner may unsubscribe."),
) -> None:
    """Confirm a pending subscription (ConfirmSubscription) with the token sent to its endpoint (see the outbox).

    Example: awsmon sns confirm-subscription --topic-arn orders --token 2336412f37fb...
    """
    from awsmon.services.alarms import confirm_subscription as svc

    renderer(ctx).detail(svc(app_ctx(ctx), topic, token, authenticate))


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


@app.command("list-subscriptions-by-topic")
def list_subscriptions_by_topic(ctx: typer.Context, topic: str = _topic_opt()) -> None:
    """List a topic's subscriptions (ListSubscriptionsByTopic).

    Example: awsmon sns list-subscriptions-by-topic --topic-arn orders
    """
    from awsmon.services.alarms import list_subscriptions as svc

    renderer(ctx).render(svc(app_ctx(ctx), topic), rows_key="Subscriptions", columns=SUB_COLUMNS)


publish = app.command("publish")(publish_command(
    _topic_opt(),
    """Publish a message (Publish) to the confirmed subscriptions whose filter policy matches.

    Example: awsmon sns publish --topic-arn orders --message hi --message-attributes '{"store": {"DataType": "String", "StringValue": "eu"}}'
    """))


@app.command("get-subscription-attributes")
def get_subscription_attributes(
    ctx: typer.Context, subscription_arn: str = typer.Option(..., "--subscription-arn", help="Subscription ARN.")
) -> None:
    """A subscription's attributes (GetSubscriptionAttributes).

    Example: awsmon sns get-subscription-attributes --subscription-arn arn:aws:sns:us-east-1:123456789012:orders:1f0c...
    """
    from awsmon.services.alarms import get_subscription_attributes as svc

    renderer(ctx).detail(svc(app_ctx(ctx), subscription_arn))


@app.command("set-subscription-attributes")
def set_subscription_attributes(
    ctx: typer.Context,
    subscription_arn: str = typer.Option(..., "--subscription-arn", help="Subscription ARN."),
    name: str = typer.Option(..., "--attribute-name", help="FilterPolicy, FilterPolicyScope, RawMessageDelivery, ..."),
    value: str | None = typer.Option(None, "--attribute-value", help="The new value (empty removes a policy)."),
) -> None:
    """Change one subscription attribute (SetSubscriptionAttributes).

    Example: awsmon sns set-subscription-attributes --subscription-arn arn:... --attribute-name RawMessageDelivery --attribute-value true
    """
    from awsmon.services.alarms import set_subscription_attributes as svc

    renderer(ctx).render(svc(app_ctx(ctx), subscription_arn, name, value))
