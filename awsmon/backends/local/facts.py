"""One path for cross-service consequences in the local account.

An action states *facts* (an EventBridge event was emitted, metric datapoints were produced, log events were
written, a resource's configuration changed, a message must reach a target ARN); the services that react to a
fact subscribe to its kind here. No local service imports another service's private names: it emits a fact, or
delivers to an ARN, and this module calls whoever registered for it.

Two tables, each one line per reaction, are the only places a new service touches outside its own module:

* ``REACTIONS``: fact kind -> ``"module:function"`` handlers, called in order as
  ``handler(store, region, **payload)`` inside the caller's transaction.
* ``TARGETS``: the service part of an ARN (``arn:aws:<service>:...``) -> ``"module:function"`` called as
  ``handler(store, arn, payload, when, **attributes) -> Delivery`` to deliver one message to that resource.

Handlers are imported lazily (the first time a fact of their kind is emitted), so a command that emits nothing
imports nothing more. Fact kinds and their payloads are documented in docs/architecture.md ("Consequences").
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from awsmon.backends.local.store import AccountStore


@dataclass(frozen=True)
class Delivery:
    """How one delivery to a target ARN went: ``status`` is Delivered, Failed, Dropped or Recorded."""

    status: str
    detail: str | None = None
    error_code: str | None = None  # AWS's error code for a failed delivery (dead-letter ERROR_CODE)

    @property
    def ok(self) -> bool:
        return self.status in ("Delivered", "Recorded")


# fact kind -> handlers ("module:function"), called in this order.
REACTIONS: dict[str, list[str]] = {
    # An EventBridge event on a bus: event=dict (the full event), bus=name, when=datetime.
    "event": ["awsmon.backends.local.events:on_event"],
    # Metric datapoints: namespace, metric_name, dimensions (dict), timestamp (datetime), values, counts,
    # unit, storage_resolution.
    "datapoints": ["awsmon.backends.local.cloudwatch_metrics:store_datapoints"],
    # Many single-value datapoints of one metric (service-generated metrics, e.g. AWS/EC2): namespace,
    # metric_name, dimensions (dict), points=[(epoch seconds, value)], unit.
    "metric_series": ["awsmon.backends.local.cloudwatch_metrics:store_series"],
    # Log events written to a group: group (name), stream (name), events=[(timestamp_ms, message)].
    "log_events": [],
    # A resource's configuration changed: resource_type, resource_id, resource_name, arn, configuration
    # (dict, or None when deleted), tags, relationships, when.
    "resource_changed": [],
}

# ARN service -> delivery handler ("module:function").
TARGETS: dict[str, str] = {
    # Alarm EC2 actions arn:aws:automate:<region>:ec2:stop|terminate|reboot|recover; attribute InstanceId.
    "automate": "awsmon.backends.local.ec2:deliver_automate",
    "lambda": "awsmon.backends.local.lambda_:deliver",  # asynchronous (Event) invocation of a function
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

    ARNs of services with no local delivery are recorded (as AWS would call them, but nothing here acts).
    """
    service = arn_service(arn)
    target = TARGETS.get(service or "")
    if target is None:
        return Delivery("Recorded")
    result = _resolve(target)(store, arn, payload, when, **attributes)
    return result if isinstance(result, Delivery) else Delivery(*result)


def call(store: AccountStore, region: str, service: str, operation: str, params: dict[str, Any], *,
         principal: str | None = None, session: str | None = None, record: bool = True) -> Any:  # fmt: skip
    """An API call made by code the account itself runs (a Lambda function's boto3 calls, the Lambda service
    writing its function's logs), through the called service's own operation.

    ``operation`` is the AWS name (``PutLogEvents``) or the boto3 one (``put_log_events``). With ``record`` the call
    is a CloudTrail event like a client's; ``principal`` (a role ARN) and ``session`` make it an AssumedRole
    session's call. Raises ServiceError as the operation does; ``UnrecognizedClientException`` for a service the
    local account does not simulate, ``InvalidAction`` for an operation it does not implement.
    """
    import os

    from awsmon.backends.local import SERVICES  # boto3 client name -> "module:class"
    from awsmon.errors import ServiceError

    target = SERVICES.get(service)
    if target is None:
        raise ServiceError("UnrecognizedClientException",
                           f"awsmon's local account does not simulate the {service} service")  # fmt: skip
    module, _, cls = target.partition(":")
    svc = getattr(importlib.import_module(module), cls)(store, region)
    name = operation if operation.islower() or "_" in operation else _snake(operation)
    method = getattr(type(svc), name, None)
    if method is None or not hasattr(method, "__awsmon_op__"):
        raise ServiceError("InvalidAction", f"awsmon's local {service} service does not implement {operation}")
    saved = {k: os.environ.get(k) for k in ("AWSMON_PRINCIPAL", "AWSMON_ROLE_SESSION_NAME")}
    if principal:
        os.environ["AWSMON_PRINCIPAL"] = principal
        os.environ["AWSMON_ROLE_SESSION_NAME"] = session or "awsmon"
    try:
        if record:
            return getattr(svc, name)(**params)
        with store.transaction():
            return method.__wrapped__(svc, **params)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _snake(name: str) -> str:
    """boto3's method name of an operation (botocore's xform_name for the names AWS uses)."""
    import re

    return re.sub(r"(?<=[a-z0-9])([A-Z])|(?<=[A-Z])([A-Z][a-z])", r"_\1\2", name).lower()
