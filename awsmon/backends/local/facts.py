"""One path for cross-service consequences in the local account.

An action states *facts* (an EventBridge event was emitted, metric datapoints were produced, a resource's
configuration changed); the services that react to a fact subscribe to its kind here. A message for a resource
(a rule's target, a topic's subscriber, an alarm action, a trail's log group) is *delivered* to its ARN, and the
service that owns the ARN takes it. No local service imports another service's private names or classes: it emits a
fact, delivers to an ARN, or reads another service through :class:`Reader` (its public read operations, unrecorded).

Two tables, each one line per reaction, are the only places a new service touches outside its own module:

* ``REACTIONS``: fact kind -> ``"module:function"`` handlers, called in order as
  ``handler(store, region, **payload)`` inside the caller's transaction.
* ``TARGETS``: the service part of an ARN (``arn:aws:<service>:...``) -> ``"module:function"`` called as
  ``handler(store, arn, payload, when, **attributes) -> Delivery`` to deliver one message to that resource.

Handlers are imported lazily (the first time a fact of their kind is emitted or an ARN of their service is
delivered to), so a command that emits nothing imports nothing more. Fact kinds, their payloads and delivery
attributes are documented in docs/architecture.md ("Consequences").
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from awsmon.backends.local.store import AccountStore


class Delivery(NamedTuple):  # not a dataclass: creating one costs ~1 ms of start-up
    """How one delivery to a target ARN went.

    ``status``: Delivered (the owning service took it), Failed (it refused: ``error_code``/``detail`` say why, in the
    owning service's terms, e.g. ``NotFound`` / ``ResourceNotFoundException``), Dropped (the sender dropped it before
    delivery) or Recorded (no local service acts on ARNs of this kind: the message is only recorded by the sender).
    """

    status: str
    detail: str | None = None
    error_code: str | None = None  # the owning service's error code for a failed delivery (dead-letter ERROR_CODE)
    message_id: str | None = None  # the id the owning service gave the message (SNS / SQS MessageId, ...)
    retryable: bool = False  # a transient refusal (throttled, busy): a sender with a retry policy tries again

    @property
    def ok(self) -> bool:
        return self.status in ("Delivered", "Recorded")

    def reason(self) -> str | None:
        """``"<code>: <detail>"`` for a failure (how outboxes and alarm history show it)."""
        if self.status != "Failed":
            return self.detail
        return ": ".join(p for p in (self.error_code, self.detail) if p) or "Failed"


# fact kind -> handlers ("module:function"), called in this order.
REACTIONS: dict[str, list[str]] = {
    # An event on an EventBridge bus (emitted by a service: alarm state change, ...): event=dict (the full
    # EventBridge envelope: version, id, detail-type, source, account, time, region, resources, detail),
    # bus=name (default "default"), when=datetime (delivery time; default: the event's time).
    "event": ["awsmon.backends.local.events:on_event"],
    # Metric datapoints (CloudWatch Logs metric filters, ...): namespace, metric_name, dimensions (dict),
    # timestamp (datetime), values (list of floats), counts (list of floats or None), unit (str or None),
    # storage_resolution (1 or 60).
    "datapoints": ["awsmon.backends.local.cloudwatch_metrics:store_datapoints"],
    # A resource's configuration changed (AWS Config records it): resource_type ("AWS::EC2::Instance"),
    # resource_id, resource_name, arn, configuration (dict, or None when the resource was deleted),
    # supplementary (dict), tags (dict), relationships (list of Config relationship dicts), created (datetime or
    # None), when (datetime). For resource types whose service does not already register with Config's CloudTrail-
    # driven recorder (config.KINDS).
    "resource_changed": ["awsmon.backends.local.config:on_resource_changed"],
    # Many single-value datapoints of one metric (service-generated metrics, e.g. AWS/EC2): namespace,
    # metric_name, dimensions (dict), points=[(epoch seconds, value)], unit.
    "metric_series": ["awsmon.backends.local.cloudwatch_metrics:store_series"],
    # Events arrived on an EventBridge bus (after matching; any origin: PutEvents, `event` facts, bus forwarding,
    # replays): bus_arn, events (list of envelopes), when (datetime). One fact per batch, so a reaction costs a
    # lookup per batch, not per event.
    "bus_events": ["awsmon.backends.local.schemas:on_bus_events"],
    # A call to a local API was recorded in CloudTrail (success or failure): when (datetime, the call's time).
    # Emitted once per call, so a reaction must be cheap (CloudWatch only keeps its AWS/Usage job scheduled and
    # counts the calls later from the history in one query).
    "api_call": ["awsmon.backends.local.cloudwatch_usage:on_api_call"],
}

# ARN service -> delivery handler ("module:function"); attributes each handler understands are in its docstring.
TARGETS: dict[str, str] = {
    "sns": "awsmon.backends.local.sns:deliver_to_topic",  # subject=
    "logs": "awsmon.backends.local.logs:deliver_to_log_group",  # stream=, events=[(ts_ms, message)]
    # Alarm EC2 actions arn:aws:automate:<region>:ec2:stop|terminate|reboot|recover; attribute InstanceId.
    "automate": "awsmon.backends.local.ec2:deliver_automate",
    "lambda": "awsmon.backends.local.lambda_:deliver",  # asynchronous (Event) invocation of a function
    "sqs": "awsmon.backends.local.sqs:deliver_to_queue",  # message_attributes=, message_group_id=, sender=
    "events": "awsmon.backends.local.events:deliver_to_bus",  # hops= (bus-to-bus forwarding depth)
    "kinesis": "awsmon.backends.local.kinesis:deliver_to_stream",  # data= (bytes), partition_key=
    "firehose": "awsmon.backends.local.firehose:deliver_to_delivery_stream",  # data= (bytes)
}

_loaded: dict[str, Callable[..., Any]] = {}


def _resolve(target: str) -> Callable[..., Any]:
    fn = _loaded.get(target)
    if fn is None:
        module, _, name = target.partition(":")
        fn = getattr(importlib.import_module(module), name)
        _loaded[target] = fn
    return fn


def subscribe(kind: str, target: str) -> None:
    """Register a reaction to a fact kind (idempotent). Prefer a line in ``REACTIONS``; this is for tests."""
    handlers = REACTIONS.setdefault(kind, [])
    if target not in handlers:
        handlers.append(target)


def unsubscribe(kind: str, target: str) -> None:
    if target in REACTIONS.get(kind, []):
        REACTIONS[kind].remove(target)


def emit(store: AccountStore, region: str, kind: str, **payload: Any) -> None:
    """State a fact: every reaction registered for ``kind`` runs now, in the caller's transaction."""
    if kind not in REACTIONS:
        raise KeyError(f"unknown fact kind {kind!r}")
    for target in REACTIONS[kind]:
        _resolve(target)(store, region, **payload)


def arn_service(arn: str) -> str | None:
    parts = str(arn).split(":")
    if len(parts) < 6 or parts[0] != "arn":
        return None
    return parts[2] or None


def register_target(service: str, target: str) -> None:
    """Register the delivery handler for ARNs of ``service`` (prefer a line in ``TARGETS``; this is for tests)."""
    TARGETS[service] = target


def deliver(store: AccountStore, arn: str, payload: str, when: datetime, **attributes: Any) -> Delivery:
    """Deliver one message to the resource named by ``arn`` through the service that owns it.

    ARNs of services with no local delivery are recorded (as AWS would call them, but nothing here acts). A handler
    ignores attributes it does not know, so senders may pass what any receiver could use.
    """
    service = arn_service(arn)
    target = TARGETS.get(service or "")
    if target is None:
        return Delivery("Recorded")
    # The receiver acts at the delivery's time (a late scheduled run delivers each fire at its own time).
    with store.as_of(when) if store is not None else contextlib.nullcontext():
        result = _resolve(target)(store, arn, payload, when, **attributes)
    return result if isinstance(result, Delivery) else Delivery(*result)


class Reader:
    """Another local service's *read* operations (boto3 names), called without recording a CloudTrail event.

    What an AWS service sees when it describes another service's resources (AWS Config snapshots, Config rules
    looking at trails): ``Reader(store, region, "logs").describe_log_groups(logGroupNamePrefix="/app")``.
    Write operations are refused: a consequence that changes another service is a fact or a delivery.
    """

    def __init__(self, store: AccountStore, region: str, service: str) -> None:
        from awsmon.backends.local import SERVICES  # boto3 client name -> "module:class"

        module, _, cls = SERVICES[service].partition(":")
        self._svc = getattr(importlib.import_module(module), cls)(store, region)

    @property
    def local(self) -> Any:
        """The service object itself: only for callbacks its own module registered (its CONFIG_KINDS)."""
        return self._svc

    def __getattr__(self, op: str) -> Callable[..., Any]:
        method = getattr(type(self._svc), op)
        name = getattr(method, "__awsmon_op__", None)
        if name is None or not getattr(method, "__awsmon_read_only__", False):
            raise AttributeError(f"{op} is not a read operation of the local {self._svc.service_name} service")
        return functools.partial(method.__wrapped__, self._svc)


def own(svc: Any) -> Any:
    """A service's own object from a :class:`Reader` handed to a callback its module registered (else ``svc``)."""
    return svc.local if isinstance(svc, Reader) else svc


def api_client(store: AccountStore, region: str, service: str) -> Any:
    """A *recorded* client of a local service (boto3 name), for code that calls AWS APIs as a principal, e.g. a
    Lambda function's boto3 calls. Raises KeyError for a service the local account does not simulate."""
    from awsmon.backends.local import SERVICES

    target = SERVICES.get(service)
    if target is None:
        raise KeyError(f"the local backend has no {service} service")
    module, _, cls = target.partition(":")
    return getattr(importlib.import_module(module), cls)(store, region)


@contextlib.contextmanager
def acting_as(role_arn: str | None, session: str) -> Iterator[None]:
    """Calls made inside appear as ``role_arn``'s session ``session`` (a Lambda function's execution role, a
    remediation's AutomationAssumeRole); ``None`` keeps the account's principal."""
    saved = {k: os.environ.get(k) for k in ("AWSMON_PRINCIPAL", "AWSMON_ROLE_SESSION_NAME")}
    if role_arn:
        os.environ["AWSMON_PRINCIPAL"] = role_arn
        os.environ["AWSMON_ROLE_SESSION_NAME"] = session
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
