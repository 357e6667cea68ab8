"""The local SNS service (``sns.amazonaws.com``): topics, subscriptions, publish, and an outbox of deliveries.

Nothing leaves the machine. Every delivery is a row of the ``sns_outbox`` table (read it with
``awsmon alarms topics deliveries`` or SQL); ``file`` endpoints (an awsmon extension) also get one JSON line appended
per delivery. File endpoints are confined to the outbox folder ``$AWSMON_HOME/outbox/``: a relative endpoint
(``alerts.jsonl``, ``file://alerts.jsonl``) resolves there and no path may leave it (``..``, symlinks, absolute paths
elsewhere), unless the subscription was made with the ``awsmon:AllowOutsideHome`` attribute set to ``true``
(``awsmon alarms topics subscribe --allow-outside-home``), which is checked again on every delivery. ``sqs``,
``lambda`` and ``firehose`` endpoints are ARNs: the message (the SNS envelope JSON) is recorded in the outbox and
delivered to the ARN through ``facts.deliver``, so the local service owning it (a queue, ...) receives it; an endpoint
that refuses is a Failed outbox row. Topics take messages from other services (alarm actions, rule targets) through
:func:`deliver_to_topic`.

As AWS does: email/email-json/http/https subscriptions stay PendingConfirmation until ConfirmSubscription with the
token of the SubscriptionConfirmation message found in the outbox (http/https get it POSTed too); sqs/lambda/file
subscriptions are confirmed at once. Subscriptions filter with a FilterPolicy (engines/sns_filter.py), SQS/http
subscriptions may take RawMessageDelivery, FIFO topics need a MessageGroupId and deduplicate for 5 minutes on the
simulated clock, and http/https endpoints are really POSTed to. docs/sns.md has the details.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from awsmon.backends.local import facts, scheduler
from awsmon.backends.local.base import LocalService, api, equal_filters
from awsmon.backends.local.store import make_private_dir
from awsmon.errors import ServiceError

_TOPIC_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_FIFO_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,251}\.fifo$")
PROTOCOLS = ("email", "email-json", "sms", "sqs", "file", "http", "https", "lambda", "application", "firehose")
ARN_PROTOCOLS = ("sqs", "lambda", "firehose")  # endpoints that are ARNs of other services' resources
MAX_MESSAGE_BYTES = 262144
PAGE = 100
CONFIRM_PROTOCOLS = ("email", "email-json", "http", "https")  # confirmed by the endpoint's owner, not at once
RAW_PROTOCOLS = ("sqs", "http", "https", "firehose", "file")  # may take RawMessageDelivery
SUBSCRIPTION_ATTRIBUTES = ("DeliveryPolicy", "FilterPolicy", "FilterPolicyScope", "RawMessageDelivery",
                           "RedrivePolicy", "SubscriptionRoleArn", "ReplayPolicy")  # fmt: skip
DEDUP_WINDOW_MS = 5 * 60 * 1000
MAX_MESSAGE_ATTRIBUTES = 10
HTTP_TIMEOUT_S = 15  # AWS waits 15 s for an http/s endpoint

# http/https retries as the delivery policy says, on the simulated clock (engines/sns_delivery.py)
scheduler.register("sns.retry", "awsmon.backends.local.sns:run_http_retries")


def _ms(dt: datetime) -> int:
    return int(round(dt.timestamp() * 1000))


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _invalid(detail: str) -> ServiceError:
    return ServiceError("InvalidParameter", f"Invalid parameter: {detail}")


def _not_found(what: str) -> ServiceError:
    return ServiceError("NotFound", f"{what} does not exist", status=404)


OUTSIDE_HOME_ATTRIBUTE = "awsmon:AllowOutsideHome"


def validate_subscription_attributes(protocol: str, attrs: dict[str, Any]) -> dict[str, str]:
    """Check Subscribe / SetSubscriptionAttributes attributes as SNS does; returns them as strings."""
    from awsmon.engines.sns_filter import FilterPolicyError, compile_filter_policy

    out: dict[str, str] = {}
    for name, value in attrs.items():
        if name not in SUBSCRIPTION_ATTRIBUTES and name != OUTSIDE_HOME_ATTRIBUTE:
            raise _invalid("AttributeName")
        if not isinstance(value, str):
            value = json.dumps(value) if isinstance(value, dict | list) else str(value).lower() if isinstance(
                value, bool) else str(value)  # fmt: skip
        out[name] = value
    if "RawMessageDelivery" in out:
        if out["RawMessageDelivery"].lower() not in ("true", "false"):
            raise _invalid("RawMessageDelivery: Invalid value [" + out["RawMessageDelivery"] + "]. Must be true or false.")
        if out["RawMessageDelivery"].lower() == "true" and protocol not in RAW_PROTOCOLS:
            raise _invalid(f"Attributes Reason: Delivery protocol [{protocol}] does not support raw message delivery "
                           "attribute")  # fmt: skip
    scope = out.get("FilterPolicyScope", "MessageAttributes")
    if scope not in ("MessageAttributes", "MessageBody"):
        raise _invalid(f"Attributes Reason: FilterPolicyScope: Invalid value [{scope}]. Please use either "
                       "MessageBody or MessageAttributes")  # fmt: skip
    if out.get("FilterPolicy"):
        try:
            compile_filter_policy(out["FilterPolicy"], scope)
        except FilterPolicyError as exc:
            raise ServiceError("InvalidParameter", exc.message) from None
    if out.get("DeliveryPolicy"):
        from awsmon.engines.sns_delivery import DeliveryPolicyError, check_subscription_policy

        if protocol not in ("http", "https"):
            raise _invalid(f"DeliveryPolicy: delivery protocol [{protocol}] does not support delivery policies")
        try:
            check_subscription_policy(out["DeliveryPolicy"])
        except DeliveryPolicyError as exc:
            raise _invalid(f"DeliveryPolicy: {exc}") from None
    if out.get("RedrivePolicy"):
        try:
            redrive = json.loads(out["RedrivePolicy"])
        except ValueError:
            redrive = None
        target = redrive.get("deadLetterTargetArn") if isinstance(redrive, dict) else None
        if not isinstance(target, str) or not target.startswith("arn:aws:sqs:"):
            raise _invalid("RedrivePolicy: deadLetterTargetArn is missing or is not an SQS queue ARN")
    return out


def validate_message_attributes(attrs: Any) -> dict[str, dict[str, str]]:
    """Check Publish MessageAttributes ({name: {DataType, StringValue|BinaryValue}}) as SNS does."""
    if not isinstance(attrs, dict):
        raise _invalid("MessageAttributes")
    if len(attrs) > MAX_MESSAGE_ATTRIBUTES:
        raise _invalid(f"Number of message attributes [{len(attrs)}] exceeds the allowed maximum "
                       f"[{MAX_MESSAGE_ATTRIBUTES}].")  # fmt: skip
    out: dict[str, dict[str, str]] = {}
    for name, attr in attrs.items():
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]{1,256}", name) or name.startswith(
                ("AWS.", "Amazon.")) or ".." in name or name.startswith(".") or name.endswith("."):  # fmt: skip
            raise _invalid(f"MessageAttributes: the name {name!r} is not valid")
        if not isinstance(attr, dict) or not isinstance(attr.get("DataType"), str):
            raise _invalid(f"The message attribute '{name}' must contain non-empty message attribute type.")
        kind = attr["DataType"]
        base = kind.split(".", 1)[0]
        if base not in ("String", "Number", "Binary"):
            raise _invalid(f"The message attribute '{name}' has an invalid message attribute type, the set of "
                           "supported type prefixes is Binary, Number, and String.")  # fmt: skip
        value = attr.get("BinaryValue" if base == "Binary" else "StringValue")
        if value is None or value == "":
            raise _invalid(f"The message attribute '{name}' must contain non-empty message attribute value for "
                           f"message attribute type '{kind}'.")  # fmt: skip
        if base == "Number":
            try:
                float(str(value))
            except ValueError:
                raise _invalid(f"Could not cast message attribute '{name}' value to number.") from None
        if kind == "String.Array":
            try:
                items = json.loads(str(value))
            except ValueError:
                items = None
            if not isinstance(items, list):
                raise _invalid(f"The message attribute '{name}' with type 'String.Array' has to be a valid JSON "
                               "array.")  # fmt: skip
        key = "BinaryValue" if base == "Binary" else "StringValue"
        out[name] = {"DataType": kind, key: value if isinstance(value, str) else
                     base64.b64encode(value).decode()}  # fmt: skip
    return out


def post_http(url: str, body: str, headers: dict[str, str],
              content_type: str = "text/plain; charset=UTF-8") -> tuple[bool, str | None, bool]:  # fmt: skip
    """One POST of an SNS message to an http/https endpoint with AWS's headers. Returns (delivered, detail,
    retryable): a 2xx answer is delivered; AWS does not retry client errors other than 404, 408 and 429."""
    import urllib.error
    import urllib.request

    req = urllib.request.Request(url, data=body.encode(), method="POST", headers={
        **headers, "Content-Type": content_type, "User-Agent": "Amazon Simple Notification Service Agent"})  # fmt: skip
    try:
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT_S) as resp:  # noqa: S310 (the user's endpoint)
            if 200 <= resp.status < 300:
                return True, None, False
            return False, f"HTTP {resp.status}", True
    except urllib.error.HTTPError as exc:
        return False, f"HTTP {exc.code}", not (400 <= exc.code < 500 and exc.code not in (404, 408, 429))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return False, str(getattr(exc, "reason", exc)), True


def outbox_dir(store: Any) -> Path:
    """The folder ``file`` endpoints are confined to: ``$AWSMON_HOME/outbox``."""
    return Path(store.home.root) / "outbox"


def file_endpoint_path(endpoint: str, outbox: Path, *, anywhere: bool = False) -> Path:
    """The absolute file a ``file`` subscription appends to: relative paths resolve inside ``outbox``, and the result
    (symlinks and ``..`` resolved) must stay inside it unless ``anywhere``."""
    text = endpoint[len("file://") :] if endpoint.startswith("file://") else endpoint
    if not text or "\x00" in text:
        raise _invalid("Endpoint: a file endpoint is a path (relative to the outbox folder) or a file:// URL")
    root = outbox.resolve()
    path = (root / text).resolve()  # an absolute ``text`` replaces the root
    if not anywhere and not path.is_relative_to(root):
        raise _invalid(f"Endpoint: the file endpoint {text} is outside the outbox folder {root}; use a path inside "
                       "it (relative paths resolve there), or subscribe with --allow-outside-home")  # fmt: skip
    if path == root:
        raise _invalid("Endpoint: a file endpoint names a file, not the outbox folder itself")
    return path


def validate_endpoint(protocol: str, endpoint: str | None) -> str:
    if protocol not in PROTOCOLS:
        raise _invalid(f"Amazon SNS does not support this protocol string: {protocol}")
    if not endpoint:
        raise _invalid("Endpoint")
    if protocol in ("email", "email-json"):
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", endpoint):
            raise _invalid("Email address")
    elif protocol == "sms":
        if not re.fullmatch(r"\+?[0-9]{5,15}", endpoint.replace("-", "").replace(" ", "")):
            raise _invalid(f"Invalid SMS endpoint: {endpoint}")
    elif protocol == "sqs":
        if not re.fullmatch(r"arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?", endpoint):
            raise _invalid("SQS endpoint ARN")
    elif protocol == "file":
        pass  # resolved and confined by Subscribe, which knows the outbox folder
    elif protocol in ("http", "https"):
        if not endpoint.startswith(protocol + "://"):
            raise _invalid(f"Endpoint must match the specified protocol: {protocol}")
    elif protocol == "lambda" and not endpoint.startswith("arn:"):
        raise _invalid("Lambda endpoint ARN")
    return endpoint


class LocalSNS(LocalService):
    service_name = "sns"
    event_source = "sns.amazonaws.com"

    def topic_arn(self, name: str) -> str:
        return self.resource_arn(name)

    def _topic(self, arn: str | None) -> Any:
        if not arn:
            raise _invalid("TopicArn")
        row = self.conn.execute("SELECT * FROM sns_topics WHERE arn = ?", (arn,)).fetchone()
        if row is None:
            if not arn.startswith("arn:aws:sns:"):
                raise _invalid("TopicArn")
            raise _not_found("Topic")
        return row

    def _resources(self, op: str, params: dict[str, Any], result: Any) -> list[dict[str, str]]:
        arn = params.get("TopicArn")
        if not arn and isinstance(result, dict):
            arn = result.get("TopicArn")
        if not arn:
            return []
        return [{"type": "AWS::SNS::Topic", "ARN": arn, "name": str(arn).rsplit(":", 1)[-1]}]

    # -- topics ------------------------------------------------------------------------------------------------
    @api("CreateTopic")
    def create_topic(self, *, Name: str, Attributes: dict[str, str] | None = None,
                     Tags: list[dict[str, str]] | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        attrs = dict(Attributes or {})
        fifo = attrs.get("FifoTopic", "false").lower() == "true"
        if not isinstance(Name, str) or not (_FIFO_NAME_RE if fifo else _TOPIC_NAME_RE).match(Name):
            raise _invalid("Topic Name")
        if Name.endswith(".fifo") and not fifo:
            raise _invalid("Topic Name")
        if attrs.get("DeliveryPolicy"):
            from awsmon.engines.sns_delivery import DeliveryPolicyError, check_topic_policy

            try:
                check_topic_policy(attrs["DeliveryPolicy"])
            except DeliveryPolicyError as exc:
                raise _invalid(f"DeliveryPolicy: {exc}") from None
        arn = self.topic_arn(Name)
        row = self.conn.execute("SELECT attributes FROM sns_topics WHERE arn = ?", (arn,)).fetchone()
        if row is not None:
            if attrs and any(json.loads(row[0]).get(k) != v for k, v in attrs.items()):
                raise _invalid("Attributes Reason: Topic already exists with different attributes")
            return {"TopicArn": arn}
        self.conn.execute(
            "INSERT INTO sns_topics (arn, region, name, attributes, tags, created_ms) VALUES (?,?,?,?,?,?)",
            (arn, self.region, Name, json.dumps(attrs), json.dumps(Tags or []), _ms(self.now())),
        )
        return {"TopicArn": arn}

    @api("ListTopics")
    def list_topics(self, *, NextToken: str | None = None, **kw: Any) -> dict[str, Any]:
        after = NextToken or ""
        rows = self.conn.execute(
            "SELECT arn FROM sns_topics WHERE region = ? AND arn > ? ORDER BY arn LIMIT ?",
            (self.region, after, PAGE + 1),
        ).fetchall()
        out: dict[str, Any] = {"Topics": [{"TopicArn": r[0]} for r in rows[:PAGE]]}
        if len(rows) > PAGE:
            out["NextToken"] = rows[PAGE - 1][0]
        return out

    @api("GetTopicAttributes")
    def get_topic_attributes(self, *, TopicArn: str, **kw: Any) -> dict[str, Any]:
        row = self._topic(TopicArn)
        subs = self.conn.execute("SELECT count(*) - coalesce(sum(pending), 0), coalesce(sum(pending), 0) FROM "
                                 "sns_subscriptions WHERE topic_arn = ?", (TopicArn,)).fetchone()  # fmt: skip
        attrs = {
            **json.loads(row["attributes"]),
            "TopicArn": TopicArn,
            "Owner": self.account_id,
            "SubscriptionsConfirmed": str(subs[0]),
            "SubscriptionsPending": str(subs[1]),
            "SubscriptionsDeleted": "0",
        }
        return {"Attributes": attrs}

    @api("DeleteTopic")
    def delete_topic(self, *, TopicArn: str, **kw: Any) -> dict[str, Any]:
        if not TopicArn or not TopicArn.startswith("arn:aws:sns:"):
            raise _invalid("TopicArn")
        # Deleting a topic that does not exist succeeds (DeleteTopic is idempotent).
        self.conn.execute("DELETE FROM sns_subscriptions WHERE topic_arn = ?", (TopicArn,))
        self.conn.execute("DELETE FROM sns_topics WHERE arn = ?", (TopicArn,))
        return {}

    # -- subscriptions -----------------------------------------------------------------------------------------
    @api("Subscribe")
    def subscribe(self, *, TopicArn: str, Protocol: str, Endpoint: str | None = None,
                  Attributes: dict[str, str] | None = None, ReturnSubscriptionArn: bool = False,
                  **kw: Any) -> dict[str, Any]:  # fmt: skip
        topic = self._topic(TopicArn)
        validate_endpoint(Protocol, Endpoint)
        assert Endpoint is not None
        attrs = validate_subscription_attributes(Protocol, dict(Attributes or {}))
        if json.loads(topic["attributes"]).get("FifoTopic", "false").lower() == "true" and Protocol != "sqs":
            raise _invalid("Endpoint Reason: FIFO topic only supports SQS protocol")
        if Protocol == "sqs" and TopicArn.endswith(".fifo") != Endpoint.endswith(".fifo"):
            raise _invalid("Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics"
                           if Endpoint.endswith(".fifo") else "Endpoint Reason: Please use FIFO SQS queue")  # fmt: skip
        if Protocol == "file":
            anywhere = str((Attributes or {}).get(OUTSIDE_HOME_ATTRIBUTE, "")).lower() == "true"
            make_private_dir(outbox_dir(self.store))
            Endpoint = str(file_endpoint_path(Endpoint, outbox_dir(self.store), anywhere=anywhere))
        row = self.conn.execute(
            "SELECT arn, pending, attributes FROM sns_subscriptions WHERE topic_arn = ? AND protocol = ? "
            "AND endpoint = ?",
            (TopicArn, Protocol, Endpoint),
        ).fetchone()
        if row is not None:
            if attrs and any(json.loads(row[2]).get(k) != v for k, v in attrs.items()):
                raise _invalid("Attributes Reason: Subscription already exists with different attributes")
            return {"SubscriptionArn": "pending confirmation" if row[1] and not ReturnSubscriptionArn else row[0]}
        arn = f"{TopicArn}:{uuid.uuid4()}"
        pending = Protocol in CONFIRM_PROTOCOLS
        token = secrets.token_hex(64) if pending else None
        self.conn.execute(
            "INSERT INTO sns_subscriptions (arn, topic_arn, region, protocol, endpoint, attributes, created_ms, "
            "pending, token) VALUES (?,?,?,?,?,?,?,?,?)",
            (arn, TopicArn, self.region, Protocol, Endpoint, json.dumps(attrs), _ms(self.now()), int(pending), token),
        )
        if pending:
            assert token is not None
            self._send_confirmation(TopicArn, arn, Protocol, Endpoint, token)
            if not ReturnSubscriptionArn:
                return {"SubscriptionArn": "pending confirmation"}
        return {"SubscriptionArn": arn}

    def _send_confirmation(self, topic_arn: str, sub_arn: str, protocol: str, endpoint: str, token: str) -> None:
        """The SubscriptionConfirmation message, in AWS's shape, to the outbox (and POSTed to http/https)."""
        from urllib.parse import quote

        when = self.now()
        message_id = str(uuid.uuid4())
        url = (f"https://sns.{self.region}.amazonaws.com/?Action=ConfirmSubscription&TopicArn={quote(topic_arn)}"
               f"&Token={token}")  # fmt: skip
        text = (f"You have chosen to subscribe to the topic {topic_arn}.\nTo confirm the subscription, visit the "
                "SubscribeURL included in this message.")  # fmt: skip
        envelope = {"Type": "SubscriptionConfirmation", "MessageId": message_id, "Token": token, "TopicArn": topic_arn,
                    "Message": text, "SubscribeURL": url, "Timestamp": _iso(_ms(when)), "SignatureVersion": "1",
                    "Signature": base64.b64encode(hashlib.sha256((message_id + token).encode()).digest()).decode(),
                    "SigningCertURL": f"https://sns.{self.region}.amazonaws.com/SimpleNotificationService-local.pem"}  # fmt: skip
        body = json.dumps(envelope, separators=(",", ":"))
        status, detail = "Delivered", None
        if protocol in ("http", "https"):  # [design choice] one attempt: the owner may ask for it again
            ok, detail, _ = post_http(endpoint, body, self._headers("SubscriptionConfirmation", message_id, topic_arn,
                                                                     None))  # fmt: skip
            status = "Delivered" if ok else "Failed"
        self._outbox(topic_arn, sub_arn, protocol, endpoint, message_id, "AWS Notification - Subscription Confirmation",
                     text, body, _ms(when), status, detail)  # fmt: skip

    @staticmethod
    def _headers(kind: str, message_id: str, topic_arn: str, sub_arn: str | None) -> dict[str, str]:
        headers = {"x-amz-sns-message-type": kind, "x-amz-sns-message-id": message_id,
                   "x-amz-sns-topic-arn": topic_arn}  # fmt: skip
        if sub_arn:
            headers["x-amz-sns-subscription-arn"] = sub_arn
        return headers

    def _outbox(self, topic_arn: str, sub_arn: str | None, protocol: str, endpoint: str, message_id: str,
                subject: str | None, message: str, body: str, ts: int, status: str, detail: str | None) -> int:  # fmt: skip
        cur = self.conn.execute(
            "INSERT INTO sns_outbox (region, topic_arn, subscription_arn, protocol, endpoint, message_id, subject, "
            "message, body, ts_ms, status, detail) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (self.region, topic_arn, sub_arn, protocol, endpoint, message_id, subject, message, body, ts, status,
             detail),
        )  # fmt: skip
        return int(cur.lastrowid or 0)

    def _dead_letter(self, sub_attrs: dict[str, Any], body: str, when: datetime, detail: str | None) -> str | None:
        """AWS moves a message it gave up on to the subscription's dead-letter queue (the body as it was sent)."""
        if not sub_attrs.get("RedrivePolicy"):
            return detail
        dlq = json.loads(sub_attrs["RedrivePolicy"])["deadLetterTargetArn"]
        moved = facts.deliver(self.store, dlq, body, when, sender="sns.amazonaws.com")
        return f"{detail}; " + (f"moved to the dead-letter queue {dlq}" if moved.status == "Delivered"
                                else f"the dead-letter queue {dlq} refused it: {moved.reason()}")  # fmt: skip

    def _post_with_policy(self, topic: Any, sub_arn: str, sub_attrs: dict[str, Any], url: str, body: str,
                          when: datetime, headers: dict[str, str]) -> tuple[str, str | None, int | None]:  # fmt: skip
        """The first POST and the immediate retries of the delivery policy now; later retries are scheduled on the
        clock (``sns.retry``). Returns the outbox status (Delivered, Failed or Retrying), its detail and the id of
        the scheduled retry (None when settled)."""
        from awsmon.engines.sns_delivery import effective

        topic_policy = json.loads(topic["attributes"]).get("DeliveryPolicy") if topic is not None else None
        policy, content_type = effective(topic_policy, sub_attrs.get("DeliveryPolicy"))
        delays = policy.delays()
        now = _ms(when)
        times: list[int] = []
        while True:
            ok, detail, retryable = post_http(url, body, headers, content_type)
            times.append(now)
            if ok:
                return "Delivered", None if len(times) == 1 else _attempts_text(times), None
            if not retryable or not delays:
                return "Failed", f"{detail} ({_attempts_text(times)})", None
            if delays[0] > 0:
                break
            delays.pop(0)  # the immediate phase: no delay
        due = now + int(delays[0] * 1000)
        cur = self.conn.execute(
            "INSERT INTO sns_http_retries (region, subscription_arn, url, body, headers, content_type, delays, times, "
            "due_ms) VALUES (?,?,?,?,?,?,?,?,?)",
            (self.region, sub_arn, url, body, json.dumps(headers), content_type, json.dumps(delays[1:]),
             json.dumps(times), due),
        )  # fmt: skip
        _schedule_http_retries(self.store, self.region)
        return "Retrying", f"{detail} ({_attempts_text(times)}; next attempt at {_iso(due)})", cur.lastrowid

    @api("ConfirmSubscription")
    def confirm_subscription(self, *, TopicArn: str, Token: str, AuthenticateOnUnsubscribe: str | None = None,
                             **kw: Any) -> dict[str, Any]:  # fmt: skip
        self._topic(TopicArn)
        if not Token:
            raise _invalid("Token")
        row = self.conn.execute("SELECT arn, attributes FROM sns_subscriptions WHERE topic_arn = ? AND token = ?",
                                (TopicArn, Token)).fetchone()  # fmt: skip
        if row is None:
            raise _invalid("Token")
        attrs = json.loads(row[1])
        if str(AuthenticateOnUnsubscribe or "").lower() == "true":
            attrs["awsmon:AuthenticateOnUnsubscribe"] = "true"
        self.conn.execute("UPDATE sns_subscriptions SET pending = 0, attributes = ? WHERE arn = ?",
                          (json.dumps(attrs), row[0]))  # fmt: skip
        return {"SubscriptionArn": row[0]}

    def _subscription(self, arn: str | None) -> Any:
        if not arn or not arn.startswith("arn:aws:sns:"):
            raise _invalid("SubscriptionArn")
        row = self.conn.execute("SELECT * FROM sns_subscriptions WHERE arn = ?", (arn,)).fetchone()
        if row is None:
            raise _not_found("Subscription")
        return row

    @api("GetSubscriptionAttributes")
    def get_subscription_attributes(self, *, SubscriptionArn: str, **kw: Any) -> dict[str, Any]:
        row = self._subscription(SubscriptionArn)
        user = {k: v for k, v in json.loads(row["attributes"]).items() if not k.startswith("awsmon:")}
        attrs = {
            "Owner": self.account_id, "SubscriptionArn": row["arn"], "TopicArn": row["topic_arn"],
            "Protocol": row["protocol"], "Endpoint": row["endpoint"], "RawMessageDelivery": "false",
            "PendingConfirmation": "true" if row["pending"] else "false",
            "ConfirmationWasAuthenticated": "true" if row["protocol"] in CONFIRM_PROTOCOLS and not row["pending"]
            else "false", **user,
        }  # fmt: skip
        if "FilterPolicy" in user:
            attrs.setdefault("FilterPolicyScope", "MessageAttributes")
        return {"Attributes": attrs}

    @api("SetSubscriptionAttributes")
    def set_subscription_attributes(self, *, SubscriptionArn: str, AttributeName: str,
                                    AttributeValue: str | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        row = self._subscription(SubscriptionArn)
        attrs = json.loads(row["attributes"])
        if AttributeName not in SUBSCRIPTION_ATTRIBUTES:
            raise _invalid("AttributeName")
        if AttributeValue in (None, "") and AttributeName in ("FilterPolicy", "RedrivePolicy", "DeliveryPolicy"):
            attrs.pop(AttributeName, None)  # an empty value removes the policy, as on AWS
        else:
            attrs[AttributeName] = AttributeValue
        checked = validate_subscription_attributes(row["protocol"], attrs)
        self.conn.execute("UPDATE sns_subscriptions SET attributes = ? WHERE arn = ?", (json.dumps(checked), row["arn"]))
        return {}

    @api("Unsubscribe")
    def unsubscribe(self, *, SubscriptionArn: str, **kw: Any) -> dict[str, Any]:
        cur = self.conn.execute("DELETE FROM sns_subscriptions WHERE arn = ?", (SubscriptionArn,))
        if cur.rowcount == 0:
            raise _not_found("Subscription")
        return {}

    def _subs(self, where: str, args: tuple[Any, ...], token: str | None) -> dict[str, Any]:
        rows = self.conn.execute(
            f"SELECT arn, topic_arn, protocol, endpoint, pending FROM sns_subscriptions WHERE {where} AND arn > ? "
            "ORDER BY arn LIMIT ?",
            (*args, token or "", PAGE + 1),
        ).fetchall()
        subs = [
            {"SubscriptionArn": "PendingConfirmation" if r[4] else r[0], "Owner": self.account_id, "Protocol": r[2], "Endpoint": r[3], "TopicArn": r[1]}
            for r in rows[:PAGE]
        ]
        out: dict[str, Any] = {"Subscriptions": subs}
        if len(rows) > PAGE:
            out["NextToken"] = rows[PAGE - 1][0]
        return out

    @api("ListSubscriptions")
    def list_subscriptions(self, *, NextToken: str | None = None, **kw: Any) -> dict[str, Any]:
        return self._subs("region = ?", (self.region,), NextToken)

    @api("ListSubscriptionsByTopic")
    def list_subscriptions_by_topic(self, *, TopicArn: str, NextToken: str | None = None, **kw: Any) -> dict[str, Any]:
        self._topic(TopicArn)
        return self._subs("topic_arn = ?", (TopicArn,), NextToken)

    # -- publishing --------------------------------------------------------------------------------------------
    @api("Publish")
    def publish(self, *, Message: str, TopicArn: str | None = None, TargetArn: str | None = None,
                Subject: str | None = None, MessageStructure: str | None = None,
                MessageAttributes: dict[str, Any] | None = None, MessageGroupId: str | None = None,
                MessageDeduplicationId: str | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        arn = TopicArn or TargetArn
        if TopicArn and TargetArn:
            raise _invalid("TopicArn or TargetArn Reason: Only one of TopicArn or TargetArn may be specified")
        topic = self._topic(arn)
        topic_attrs = json.loads(topic["attributes"])
        fifo = topic_attrs.get("FifoTopic", "false").lower() == "true"
        if not isinstance(Message, str) or not Message:
            raise _invalid("Empty message")
        if len(Message.encode()) > MAX_MESSAGE_BYTES:
            raise _invalid("Message too long")
        if Subject is not None and (not Subject or len(Subject) > 100 or any(ord(c) < 32 for c in Subject)):
            raise _invalid("Subject")
        if MessageStructure is not None and MessageStructure != "json":
            raise _invalid("MessageStructure")
        attrs = validate_message_attributes(MessageAttributes) if MessageAttributes else None
        assert arn is not None
        if fifo:
            if not MessageGroupId:
                raise _invalid("The MessageGroupId parameter is required for FIFO topics")
            if not re.fullmatch(r"[!-~]{1,128}", MessageGroupId):
                raise _invalid("MessageGroupId Reason: The MessageGroupId must be 1-128 printable ASCII characters")
            if MessageDeduplicationId is None:
                if topic_attrs.get("ContentBasedDeduplication", "false").lower() != "true":
                    raise _invalid("The topic should either have ContentBasedDeduplication enabled or "
                                   "MessageDeduplicationId provided explicitly")  # fmt: skip
                MessageDeduplicationId = hashlib.sha256(Message.encode()).hexdigest()
            elif not re.fullmatch(r"[!-~]{1,128}", MessageDeduplicationId):
                raise _invalid("MessageDeduplicationId Reason: The MessageDeduplicationId must be 1-128 printable "
                               "ASCII characters")  # fmt: skip
            now = _ms(self.now())
            seen = self.conn.execute("SELECT message_id, sequence_number FROM sns_dedup WHERE topic_arn = ? AND "
                                     "dedup_id = ? AND expires_ms > ?", (arn, MessageDeduplicationId, now)).fetchone()  # fmt: skip
            if seen is not None:  # a duplicate within 5 minutes: accepted, not delivered again
                return {"MessageId": seen[0], "SequenceNumber": seen[1]}
            # 20-digit sequence numbers compare as text; the last one survives in its (possibly expired) row
            last = self.conn.execute("SELECT max(sequence_number) FROM sns_dedup WHERE topic_arn = ?",
                                     (arn,)).fetchone()[0]  # fmt: skip
            sequence = f"{max(int(last or 0) + 1, 10000000000000000000):020d}"
            message_id = self.deliver(arn, Message, Subject, self.now(), message_attributes=attrs,
                                      group_id=MessageGroupId, dedup_id=MessageDeduplicationId)  # fmt: skip
            self.conn.execute("INSERT OR REPLACE INTO sns_dedup VALUES (?,?,?,?,?)",
                              (arn, MessageDeduplicationId, message_id, sequence, now + DEDUP_WINDOW_MS))  # fmt: skip
            return {"MessageId": message_id, "SequenceNumber": sequence}
        if MessageDeduplicationId is not None:
            raise _invalid("MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that "
                           "is not valid for this topic type")  # fmt: skip
        return {"MessageId": self.deliver(arn, Message, Subject, self.now(), message_attributes=attrs,
                                          group_id=MessageGroupId)}  # fmt: skip

    def deliver(self, topic_arn: str, message: str, subject: str | None, when: datetime, *,
                message_attributes: dict[str, Any] | None = None, group_id: str | None = None,
                dedup_id: str | None = None) -> str:  # fmt: skip
        """Fan a message out to every confirmed subscription of a topic whose filter policy matches (outbox rows,
        file appends, http POSTs, deliveries to queue / function / stream ARNs); not recorded in CloudTrail.
        Returns the MessageId."""
        from awsmon.engines.sns_filter import compile_filter_policy

        message_id = str(uuid.uuid4())
        ts = _ms(when)
        topic = self.conn.execute("SELECT attributes FROM sns_topics WHERE arn = ?", (topic_arn,)).fetchone()
        subs = self.conn.execute(
            "SELECT arn, protocol, endpoint, attributes FROM sns_subscriptions WHERE topic_arn = ? AND pending = 0 "
            "ORDER BY created_ms, arn",
            (topic_arn,),
        ).fetchall()
        envelope: dict[str, Any] = {"Type": "Notification", "MessageId": message_id, "TopicArn": topic_arn}
        if subject is not None:
            envelope["Subject"] = subject
        # Every notification is signed as AWS signs it (a local stand-in signature, as for confirmations).
        envelope.update({"Message": message, "Timestamp": _iso(ts), "SignatureVersion": "1",
                         "Signature": base64.b64encode(hashlib.sha256((message_id + message).encode()).digest()).decode(),
                         "SigningCertURL": f"https://sns.{self.region}.amazonaws.com/SimpleNotificationService-local.pem"})  # fmt: skip
        if message_attributes:
            envelope["MessageAttributes"] = {k: {"Type": v["DataType"], "Value": v.get("StringValue", v.get(
                "BinaryValue"))} for k, v in message_attributes.items()}  # fmt: skip
        delivered = 0
        for sub_arn, protocol, endpoint, attributes in subs:
            sub_attrs = json.loads(attributes or "{}")
            if sub_attrs.get("FilterPolicy"):
                policy = compile_filter_policy(sub_attrs["FilterPolicy"], sub_attrs.get("FilterPolicyScope",
                                                                                        "MessageAttributes"))  # fmt: skip
                if not policy.matches(message, message_attributes):
                    # [design choice] kept in the outbox as Filtered so a script can see why nothing arrived
                    self._outbox(topic_arn, sub_arn, protocol, endpoint, message_id, subject, message, "", ts,
                                 "Filtered", None)  # fmt: skip
                    continue
            delivered += 1
            raw = str(sub_attrs.get("RawMessageDelivery", "")).lower() == "true"
            env = {**envelope, "UnsubscribeURL": f"https://sns.{self.region}.amazonaws.com/?Action=Unsubscribe&"
                                                 f"SubscriptionArn={sub_arn}"}  # fmt: skip
            if "MessageAttributes" in env:  # AWS's field order: MessageAttributes come last
                env["MessageAttributes"] = env.pop("MessageAttributes")
            body = message if raw or protocol in ("email", "sms") else json.dumps(env, separators=(",", ":"))
            status, detail, retry_id = "Delivered", None, None
            if protocol in ARN_PROTOCOLS:
                # The queue / function / stream takes it through the service that owns its ARN (facts.deliver);
                # raw delivery hands the message attributes over as SQS message attributes.
                extra: dict[str, Any] = {}
                if raw and message_attributes:
                    extra["message_attributes"] = message_attributes
                if group_id is not None:
                    extra["message_group_id"] = group_id
                if dedup_id is not None:
                    extra["message_deduplication_id"] = dedup_id
                got = facts.deliver(self.store, endpoint, body, when, subscription_arn=sub_arn, topic_arn=topic_arn,
                                    message_id=message_id, sender="sns.amazonaws.com", **extra)  # fmt: skip
                if got.status == "Failed":
                    status, detail = "Failed", got.reason()
            elif protocol in ("http", "https"):
                status, detail, retry_id = self._post_with_policy(
                    topic, sub_arn, sub_attrs, endpoint, body, when,
                    self._headers("Notification", message_id, topic_arn, sub_arn))  # fmt: skip
            elif protocol == "file":
                try:
                    anywhere = str(json.loads(attributes or "{}").get(OUTSIDE_HOME_ATTRIBUTE, "")).lower() == "true"
                    outbox = outbox_dir(self.store)
                    make_private_dir(outbox)
                    path = file_endpoint_path(endpoint, outbox, anywhere=anywhere)  # again: symlinks may have moved
                    path.parent.mkdir(parents=True, exist_ok=True)
                    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                    with os.fdopen(fd, "a", encoding="utf-8") as fh:
                        fh.write(body + "\n")
                except (OSError, ServiceError) as exc:
                    status, detail = "Failed", str(getattr(exc, "strerror", None) or exc)
            if status == "Failed":
                detail = self._dead_letter(sub_attrs, body, when, detail)
            seq = self._outbox(topic_arn, sub_arn, protocol, endpoint, message_id, subject, message, body, ts, status,
                               detail)  # fmt: skip
            if retry_id is not None:  # the retries settle this outbox row
                self.conn.execute("UPDATE sns_http_retries SET outbox_seq = ? WHERE id = ?", (seq, retry_id))
        if not delivered and not subs:
            # Keep the publication visible even with no subscribers (a script can still see it was sent).
            self.conn.execute(
                "INSERT INTO sns_outbox (region, topic_arn, subscription_arn, protocol, endpoint, message_id, subject, "
                "message, body, ts_ms, status, detail) VALUES (?,?,NULL,'none','',?,?,?,?,?,'NoSubscribers',NULL)",
                (self.region, topic_arn, message_id, subject, message, json.dumps(envelope, separators=(",", ":")), ts),
            )
        return message_id

    def list_deliveries(self, *, TopicArn: str | None = None, Protocol: str | None = None,
                        Since: datetime | None = None, MaxItems: int = 1000) -> dict[str, Any]:  # fmt: skip
        """Local-only (no AWS API): the outbox, oldest first."""
        conds, values = equal_filters(topic_arn=TopicArn or None, protocol=Protocol or None)
        where, args = ["region = ?", *conds], [self.region, *values]
        if Since is not None:
            where.append("ts_ms >= ?")
            args.append(_ms(Since))  # type: ignore[arg-type]
        rows = self.conn.execute(
            f"SELECT * FROM sns_outbox WHERE {' AND '.join(where)} ORDER BY seq DESC LIMIT ?", (*args, MaxItems)
        ).fetchall()
        items = [
            {
                "Seq": r["seq"],
                "Timestamp": datetime.fromtimestamp(r["ts_ms"] / 1000, UTC),
                "TopicArn": r["topic_arn"],
                "SubscriptionArn": r["subscription_arn"],
                "Protocol": r["protocol"],
                "Endpoint": r["endpoint"],
                "MessageId": r["message_id"],
                "Subject": r["subject"],
                "Message": r["message"],
                "Body": r["body"],
                "Status": r["status"],
                **({"Detail": r["detail"]} if r["detail"] else {}),
            }
            for r in reversed(rows)
        ]
        return {"Deliveries": items}


def _attempts_text(times: list[int]) -> str:
    return f"{len(times)} attempt{'s' if len(times) > 1 else ''}: " + ", ".join(_iso(t) for t in times)


def _schedule_http_retries(store: Any, region: str) -> None:
    row = store.conn.execute("SELECT min(due_ms) FROM sns_http_retries WHERE region = ?", (region,)).fetchone()
    if row[0] is not None:
        due = datetime.fromtimestamp(row[0] / 1000, UTC)
        current = scheduler.next_due(store, "sns.retry", region)
        if current is None or due < current:
            scheduler.schedule(store, "sns.retry", region, due)


def run_http_retries(store: Any, key: str, due: datetime, now: datetime) -> datetime | None:
    """Scheduler work ``sns.retry`` (keyed by Region): every http/https retry due up to ``now``, each at its own due
    time on the clock; a retry that fails again waits the policy's next delay, the last one settles the outbox row
    (Failed, and the dead-letter queue if the subscription has one)."""
    svc = LocalSNS(store, key)
    while True:
        row = store.conn.execute("SELECT * FROM sns_http_retries WHERE region = ? AND due_ms <= ? ORDER BY due_ms, id "
                                 "LIMIT 1", (key, _ms(now))).fetchone()  # fmt: skip
        if row is None:
            break
        when_ms = row["due_ms"]
        times = [*json.loads(row["times"]), when_ms]
        delays = json.loads(row["delays"])
        ok, detail, retryable = post_http(row["url"], row["body"], json.loads(row["headers"]), row["content_type"])
        # An immediate retry (no delay) follows at once, still at this instant.
        while not ok and retryable and delays and delays[0] == 0:
            delays.pop(0)
            times.append(when_ms)
            ok, detail, retryable = post_http(row["url"], row["body"], json.loads(row["headers"]), row["content_type"])
        if not ok and retryable and delays:
            nxt = when_ms + int(delays[0] * 1000)
            store.conn.execute("UPDATE sns_http_retries SET delays = ?, times = ?, due_ms = ? WHERE id = ?",
                               (json.dumps(delays[1:]), json.dumps(times), nxt, row["id"]))  # fmt: skip
            store.conn.execute("UPDATE sns_outbox SET detail = ? WHERE seq = ?",
                               (f"{detail} ({_attempts_text(times)}; next attempt at {_iso(nxt)})", row["outbox_seq"]))  # fmt: skip
            continue
        store.conn.execute("DELETE FROM sns_http_retries WHERE id = ?", (row["id"],))
        if ok:
            status, text = "Delivered", _attempts_text(times)
        else:
            sub = store.conn.execute("SELECT attributes FROM sns_subscriptions WHERE arn = ?",
                                     (row["subscription_arn"],)).fetchone()  # fmt: skip
            sub_attrs = json.loads(sub[0]) if sub is not None else {}
            when = datetime.fromtimestamp(when_ms / 1000, UTC)
            status, text = "Failed", svc._dead_letter(sub_attrs, row["body"], when, f"{detail} ({_attempts_text(times)})")
        store.conn.execute("UPDATE sns_outbox SET status = ?, detail = ? WHERE seq = ?", (status, text, row["outbox_seq"]))
    nxt_ms = store.conn.execute("SELECT min(due_ms) FROM sns_http_retries WHERE region = ?", (key,)).fetchone()[0]
    return None if nxt_ms is None else datetime.fromtimestamp(nxt_ms / 1000, UTC)


def deliver_to_topic(store: Any, arn: str, payload: str, when: datetime, *, subject: str | None = None,
                     message_attributes: dict[str, Any] | None = None, **_: Any) -> facts.Delivery:  # fmt: skip
    """TARGETS handler for ``arn:aws:sns:...`` ARNs (rule targets, alarm actions): publish ``payload`` to the topic,
    unrecorded. ``subject`` is the notification's Subject."""
    parts = arn.split(":")
    if len(parts) != 6:
        return facts.Delivery("Failed", "Topic does not exist", error_code="NotFound")
    exists = store.conn.execute("SELECT 1 FROM sns_topics WHERE arn = ?", (arn,)).fetchone()
    if exists is None:
        return facts.Delivery("Failed", "Topic does not exist", error_code="NotFound")
    message_id = LocalSNS(store, parts[3]).deliver(arn, payload, subject, when, message_attributes=message_attributes)
    return facts.Delivery("Delivered", message_id=message_id)
