"""CloudWatch Logs subscription filters (a mixin of the local logs service; shared/specs/logs.md §3.5).

Up to 2 filters per group. Events that match a filter's pattern (the shared filter-pattern engine) leave as AWS sends
them: gzip-compressed JSON ``{messageType: DATA_MESSAGE, owner, logGroup, logStream, subscriptionFilters,
logEvents: [{id, timestamp, message}]}``, one message per filter and log stream of a PutLogEvents batch, delivered
through ``facts.deliver`` to the destination ARN: a Kinesis stream gets the gzip bytes as one record (partition key
the log stream for ``ByLogStream``, random for ``Random``), a Firehose delivery stream gets them as one record, a
Lambda function is invoked with ``{"awslogs": {"data": base64(gzip(json))}}``. Creating a filter sends a
CONTROL_MESSAGE to a Kinesis or Firehose destination (AWS's health check); a destination that refuses it, or a
function that does not exist, refuses the filter with AWS's InvalidParameterException text.
"""

from __future__ import annotations

import json
import uuid
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from awsmon.backends.local import facts
from awsmon.backends.local.base import api
from awsmon.engines.resource_policy import service_allowed
from awsmon.errors import ServiceError

MAX_SUBSCRIPTION_FILTERS = 2
DISTRIBUTIONS = ("Random", "ByLogStream")
BAD_DESTINATION = "Could not deliver test message to specified destination. Check if the destination is valid."
BAD_FUNCTION = ("Could not execute the lambda function. Make sure you have given CloudWatch Logs permission to "
                "execute your function.")  # fmt: skip
FILTER_MISSING = "The specified subscription filter does not exist."
_CONTROL_TEXT = {"kinesis": "Kinesis stream", "firehose": "Firehose"}
# The filters whose delivery is running in this call stack: a destination whose own logs match the same filter
# (a Lambda function subscribed to every group, its /aws/lambda group included) would otherwise recurse forever.
_DELIVERING: ContextVar[frozenset[tuple[str, str, str]]] = ContextVar("logs_subscription_delivering", default=frozenset())


def encode(message: dict[str, Any]) -> bytes:
    """The gzip-compressed JSON of one subscription message (what Kinesis and Firehose records carry)."""
    import gzip  # gzip and base64 are imported where used: every `logs` command loads this module (start-up)

    return gzip.compress(json.dumps(message, separators=(",", ":")).encode(), mtime=0)


def lambda_event(data: bytes) -> str:
    """The event a Lambda subscription receives: ``{"awslogs": {"data": base64(gzip(json))}}``."""
    import base64

    return json.dumps({"awslogs": {"data": base64.b64encode(data).decode()}})


def decode(data: bytes | str) -> dict[str, Any]:
    """A subscription message back from gzip bytes, or base64 of them (a Lambda event's ``awslogs.data``)."""
    import base64
    import gzip

    raw = base64.b64decode(data) if isinstance(data, str) else data
    return dict(json.loads(gzip.decompress(raw)))


class SubscriptionsMixin:
    """PutSubscriptionFilter / DescribeSubscriptionFilters / DeleteSubscriptionFilter and the delivery of matches."""

    conn: Any
    store: Any
    region: str

    def _send(self, destination: str, data: bytes, key: str, when: datetime) -> facts.Delivery:
        import base64

        service = facts.arn_service(destination)
        if service == "lambda":
            return facts.deliver(self.store, destination, lambda_event(data), when)
        return facts.deliver(self.store, destination, base64.b64encode(data).decode(), when, data=data,
                             partition_key=key)  # fmt: skip

    def check_destination(self, destinationArn: str, logGroupName: str = "") -> None:
        """What AWS checks of a subscription destination: a function exists and its resource policy lets CloudWatch
        Logs invoke it for this log group; a Kinesis stream or Firehose delivery stream takes the CONTROL_MESSAGE
        health check; anything else but a logical destination is refused."""
        service = facts.arn_service(destinationArn)
        if service == "lambda":
            if not self._logs_may_invoke(destinationArn, logGroupName):
                raise ServiceError("InvalidParameterException", BAD_FUNCTION)
        elif service in _CONTROL_TEXT:
            now = self.now()  # type: ignore[attr-defined]
            control = {"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "", "logStream": "",
                       "subscriptionFilters": [], "logEvents": [{"id": "", "timestamp": int(now.timestamp() * 1000),
                       "message": f"CWL CONTROL MESSAGE: Checking health of destination {_CONTROL_TEXT[service]}."}]}  # fmt: skip
            if not self._send(destinationArn, encode(control), "control", now).ok:
                raise ServiceError("InvalidParameterException", BAD_DESTINATION)
        elif service != "logs":  # a cross-account logical destination (arn:aws:logs:...:destination:name)
            raise ServiceError("InvalidParameterException", BAD_DESTINATION)

    def _logs_may_invoke(self, function_arn: str, group: str) -> bool:
        """The function exists and its policy (lambda add-permission) allows ``logs.amazonaws.com`` (or the
        Region's ``logs.<region>.amazonaws.com``) ``lambda:InvokeFunction``, conditions on aws:SourceArn (the log
        group's ARN, ``...:log-group:<name>:*``) and aws:SourceAccount included."""
        parts = function_arn.split(":")
        if len(parts) < 7:
            return False
        lam = facts.Reader(self.store, parts[3], "lambda")
        try:
            function = lam.get_function(FunctionName=function_arn)["Configuration"]["FunctionArn"]
            policy = json.loads(lam.get_policy(FunctionName=function_arn)["Policy"])
        except (ServiceError, ValueError, KeyError):
            return False
        account = self.store.account_id
        context = {"aws:SourceArn": f"arn:aws:logs:{self.region}:{account}:log-group:{group}:*",
                   "aws:SourceAccount": account}  # fmt: skip
        principals = ("logs.amazonaws.com", f"logs.{self.region}.amazonaws.com")
        return service_allowed(policy, principals, "lambda:InvokeFunction", function, context)

    @api("PutSubscriptionFilter")
    def put_subscription_filter(self, *, logGroupName: str, filterName: str, filterPattern: str,
                                destinationArn: str, roleArn: str | None = None, distribution: str | None = None,
                                **kw: Any) -> dict[str, Any]:  # fmt: skip
        from awsmon.backends.local.logs_common import (
            compile_or_raise,
            constraint_error,
            validate_group_name,
            validate_no_colon_star,
        )

        validate_group_name(logGroupName)
        validate_no_colon_star(filterName, "filterName")
        if filterPattern is None or len(filterPattern) > 1024:
            raise constraint_error(filterPattern, "filterPattern", "Member must have length less than or equal to 1024")
        if not isinstance(destinationArn, str) or not destinationArn:
            raise constraint_error(destinationArn, "destinationArn", "Member must have length greater than or equal to 1")
        dist = distribution or "ByLogStream"
        if dist not in DISTRIBUTIONS:
            raise constraint_error(dist, "distribution", "Member must satisfy enum value set: [Random, ByLogStream]")
        compile_or_raise(filterPattern)
        g = self._group(logGroupName)  # type: ignore[attr-defined]
        self.check_class(logGroupName, "PutSubscriptionFilter")  # type: ignore[attr-defined]
        existing = self.conn.execute(
            "SELECT destination FROM log_subscription_filters WHERE group_id = ? AND name = ?", (g["id"], filterName)
        ).fetchone()
        if existing is None:
            count = self.conn.execute(
                "SELECT count(*) FROM log_subscription_filters WHERE group_id = ?", (g["id"],)
            ).fetchone()[0]
            if count >= MAX_SUBSCRIPTION_FILTERS:
                raise ServiceError("LimitExceededException", "Resource limit exceeded.")
        self.check_destination(destinationArn, logGroupName)
        self.conn.execute(
            "INSERT INTO log_subscription_filters (group_id, name, pattern, destination, role_arn, distribution, "
            "creation_ms) VALUES (?,?,?,?,?,?,?) ON CONFLICT (group_id, name) DO UPDATE SET pattern = "
            "excluded.pattern, destination = excluded.destination, role_arn = excluded.role_arn, "
            "distribution = excluded.distribution",
            (g["id"], filterName, filterPattern, destinationArn, roleArn, dist,
             int(self.now().timestamp() * 1000)),  # type: ignore[attr-defined]  # fmt: skip
        )
        return {}

    @api("DescribeSubscriptionFilters")
    def describe_subscription_filters(self, *, logGroupName: str, filterNamePrefix: str | None = None,
                                      nextToken: str | None = None, limit: int | None = None,
                                      **kw: Any) -> dict[str, Any]:  # fmt: skip
        from awsmon.backends.local.logs_common import validate_group_name

        validate_group_name(logGroupName)
        g = self._group(logGroupName)  # type: ignore[attr-defined]
        rows = self.conn.execute(
            "SELECT * FROM log_subscription_filters WHERE group_id = ? AND substr(name, 1, ?) = ? ORDER BY name",
            (g["id"], len(filterNamePrefix or ""), filterNamePrefix or ""),
        ).fetchall()
        out = []
        for r in rows:
            item: dict[str, Any] = {"filterName": r["name"], "logGroupName": logGroupName,
                                    "filterPattern": r["pattern"], "destinationArn": r["destination"]}  # fmt: skip
            if r["role_arn"]:
                item["roleArn"] = r["role_arn"]
            item.update({"distribution": r["distribution"], "creationTime": r["creation_ms"]})
            out.append(item)
        return {"subscriptionFilters": out}

    @api("DeleteSubscriptionFilter")
    def delete_subscription_filter(self, *, logGroupName: str, filterName: str, **kw: Any) -> dict[str, Any]:
        from awsmon.backends.local.logs_common import validate_group_name, validate_no_colon_star

        validate_group_name(logGroupName)
        validate_no_colon_star(filterName, "filterName")
        g = self._group(logGroupName)  # type: ignore[attr-defined]
        cur = self.conn.execute(
            "DELETE FROM log_subscription_filters WHERE group_id = ? AND name = ?", (g["id"], filterName)
        )
        if cur.rowcount == 0:
            raise ServiceError("ResourceNotFoundException", FILTER_MISSING)
        return {}

    def _deliver_subscriptions(self, g: Any, stream_id: int, accepted: list[tuple[int, str, int]], first_seq: int,
                               now_ms: int) -> None:  # fmt: skip
        """Matching events of one stored batch leave for each filter's destination (one message per filter): the
        group's own filters, then the account-level subscription filter policy if it applies to the group."""
        filters: list[dict[str, Any]] = [dict(r) for r in self.conn.execute(
            "SELECT name, pattern, destination, distribution FROM log_subscription_filters WHERE group_id = ? "
            "ORDER BY name", (g["id"],))]  # fmt: skip
        log_class = self.conn.execute("SELECT log_class FROM log_groups WHERE id = ?", (g["id"],)).fetchone()[0]
        account = self.account_subscription(g["name"], log_class)  # type: ignore[attr-defined]
        if account is not None:
            filters.append({**account, "level": "ACCOUNT_LEVEL_POLICY"})
        if not filters:
            return
        from awsmon.backends.local.logs_common import event_id
        from awsmon.engines.filterpattern import compile_pattern

        stream = self.conn.execute("SELECT name FROM log_streams WHERE id = ?", (stream_id,)).fetchone()[0]
        when = datetime.fromtimestamp(now_ms / 1000, self.now().tzinfo)  # type: ignore[attr-defined]
        for r in filters:
            fp = compile_pattern(r["pattern"])
            events = [{"id": event_id(ts, first_seq + i), "timestamp": ts, "message": msg}
                      for i, (ts, msg, _) in enumerate(accepted) if fp.matches(msg)]  # fmt: skip
            running = (self.region, r["name"], r["destination"])
            if not events or running in _DELIVERING.get():
                continue  # a delivery that would feed itself (the destination's own logs) stops here
            message = {"messageType": "DATA_MESSAGE", "owner": self.store.account_id, "logGroup": g["name"],
                       "logStream": stream, "subscriptionFilters": [r["name"]], "logEvents": events}  # fmt: skip
            if r.get("level"):
                message["policyLevel"] = r["level"]
            key = stream if r["distribution"] == "ByLogStream" else uuid.uuid4().hex
            # AWS retries a failing destination for up to 24 h and then drops the data; here it is dropped at once.
            token = _DELIVERING.set(_DELIVERING.get() | {running})
            try:
                self._send(r["destination"], encode(message), key, when)
            finally:
                _DELIVERING.reset(token)
