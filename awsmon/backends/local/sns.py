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
:func:`deliver_to_topic`. Subscriptions are confirmed at once [design choice: no confirmation mail].
"""

from __future__ import annotations

import json
import os
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from awsmon.backends.local import facts
from awsmon.backends.local.base import LocalService, api
from awsmon.backends.local.store import make_private_dir
from awsmon.errors import ServiceError

_TOPIC_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_FIFO_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,251}\.fifo$")
PROTOCOLS = ("email", "email-json", "sms", "sqs", "file", "http", "https", "lambda", "application", "firehose")
ARN_PROTOCOLS = ("sqs", "lambda", "firehose")  # endpoints that are ARNs of other services' resources
MAX_MESSAGE_BYTES = 262144
PAGE = 100


def _ms(dt: datetime) -> int:
    return int(round(dt.timestamp() * 1000))


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _invalid(detail: str) -> ServiceError:
    return ServiceError("InvalidParameter", f"Invalid parameter: {detail}")


def _not_found(what: str) -> ServiceError:
    return ServiceError("NotFound", f"{what} does not exist", status=404)


OUTSIDE_HOME_ATTRIBUTE = "awsmon:AllowOutsideHome"


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
        return f"arn:aws:sns:{self.region}:{self.account_id}:{name}"

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
        subs = self.conn.execute("SELECT count(*) FROM sns_subscriptions WHERE topic_arn = ?", (TopicArn,)).fetchone()
        attrs = {
            **json.loads(row["attributes"]),
            "TopicArn": TopicArn,
            "Owner": self.account_id,
            "SubscriptionsConfirmed": str(subs[0]),
            "SubscriptionsPending": "0",
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
        self._topic(TopicArn)
        validate_endpoint(Protocol, Endpoint)
        assert Endpoint is not None
        if Protocol == "file":
            anywhere = str((Attributes or {}).get(OUTSIDE_HOME_ATTRIBUTE, "")).lower() == "true"
            make_private_dir(outbox_dir(self.store))
            Endpoint = str(file_endpoint_path(Endpoint, outbox_dir(self.store), anywhere=anywhere))
        row = self.conn.execute(
            "SELECT arn FROM sns_subscriptions WHERE topic_arn = ? AND protocol = ? AND endpoint = ?",
            (TopicArn, Protocol, Endpoint),
        ).fetchone()
        if row is not None:
            return {"SubscriptionArn": row[0]}
        arn = f"{TopicArn}:{uuid.uuid4()}"
        self.conn.execute(
            "INSERT INTO sns_subscriptions (arn, topic_arn, region, protocol, endpoint, attributes, created_ms) "
            "VALUES (?,?,?,?,?,?,?)",
            (arn, TopicArn, self.region, Protocol, Endpoint, json.dumps(Attributes or {}), _ms(self.now())),
        )
        return {"SubscriptionArn": arn}

    @api("Unsubscribe")
    def unsubscribe(self, *, SubscriptionArn: str, **kw: Any) -> dict[str, Any]:
        cur = self.conn.execute("DELETE FROM sns_subscriptions WHERE arn = ?", (SubscriptionArn,))
        if cur.rowcount == 0:
            raise _not_found("Subscription")
        return {}

    def _subs(self, where: str, args: tuple[Any, ...], token: str | None) -> dict[str, Any]:
        rows = self.conn.execute(
            f"SELECT arn, topic_arn, protocol, endpoint FROM sns_subscriptions WHERE {where} AND arn > ? "
            "ORDER BY arn LIMIT ?",
            (*args, token or "", PAGE + 1),
        ).fetchall()
        subs = [
            {"SubscriptionArn": r[0], "Owner": self.account_id, "Protocol": r[2], "Endpoint": r[3], "TopicArn": r[1]}
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
                Subject: str | None = None, MessageStructure: str | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        arn = TopicArn or TargetArn
        if TopicArn and TargetArn:
            raise _invalid("TopicArn or TargetArn Reason: Only one of TopicArn or TargetArn may be specified")
        self._topic(arn)
        if not isinstance(Message, str) or not Message:
            raise _invalid("Empty message")
        if len(Message.encode()) > MAX_MESSAGE_BYTES:
            raise _invalid("Message too long")
        if Subject is not None and (not Subject or len(Subject) > 100 or any(ord(c) < 32 for c in Subject)):
            raise _invalid("Subject")
        if MessageStructure is not None and MessageStructure != "json":
            raise _invalid("MessageStructure")
        assert arn is not None
        return {"MessageId": self.deliver(arn, Message, Subject, self.now())}

    def deliver(self, topic_arn: str, message: str, subject: str | None, when: datetime) -> str:
        """Fan a message out to every subscription of a topic (outbox rows, file appends, deliveries to queue /
        function / stream ARNs); not recorded in CloudTrail. Returns the MessageId."""
        message_id = str(uuid.uuid4())
        ts = _ms(when)
        subs = self.conn.execute(
            "SELECT arn, protocol, endpoint, attributes FROM sns_subscriptions WHERE topic_arn = ? "
            "ORDER BY created_ms, arn",
            (topic_arn,),
        ).fetchall()
        envelope: dict[str, Any] = {"Type": "Notification", "MessageId": message_id, "TopicArn": topic_arn}
        if subject is not None:
            envelope["Subject"] = subject
        envelope.update({"Message": message, "Timestamp": _iso(ts), "SignatureVersion": "1"})
        for sub_arn, protocol, endpoint, attributes in subs:
            env = {**envelope, "UnsubscribeURL": f"local://sns/unsubscribe?SubscriptionArn={sub_arn}"}
            body = message if protocol in ("email", "sms") else json.dumps(env, separators=(",", ":"))
            status, detail = "Delivered", None
            if protocol in ARN_PROTOCOLS:
                # The queue / function / stream takes it through the service that owns its ARN (facts.deliver).
                got = facts.deliver(self.store, endpoint, body, when, subscription_arn=sub_arn, topic_arn=topic_arn,
                                    message_id=message_id)  # fmt: skip
                if got.status == "Failed":
                    status, detail = "Failed", got.reason()
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
            self.conn.execute(
                "INSERT INTO sns_outbox (region, topic_arn, subscription_arn, protocol, endpoint, message_id, subject, "
                "message, body, ts_ms, status, detail) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (self.region, topic_arn, sub_arn, protocol, endpoint, message_id, subject, message, body, ts, status,
                 detail),
            )  # fmt: skip
        if not subs:
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
        where, args = ["region = ?"], [self.region]
        if TopicArn:
            where.append("topic_arn = ?")
            args.append(TopicArn)
        if Protocol:
            where.append("protocol = ?")
            args.append(Protocol)
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


def deliver_to_topic(store: Any, arn: str, payload: str, when: datetime, *, subject: str | None = None,
                     **_: Any) -> facts.Delivery:  # fmt: skip
    """TARGETS handler for ``arn:aws:sns:...`` ARNs (rule targets, alarm actions): publish ``payload`` to the topic,
    unrecorded. ``subject`` is the notification's Subject."""
    parts = arn.split(":")
    if len(parts) != 6:
        return facts.Delivery("Failed", "Topic does not exist", error_code="NotFound")
    exists = store.conn.execute("SELECT 1 FROM sns_topics WHERE arn = ?", (arn,)).fetchone()
    if exists is None:
        return facts.Delivery("Failed", "Topic does not exist", error_code="NotFound")
    message_id = LocalSNS(store, parts[3]).deliver(arn, payload, subject, when)
    return facts.Delivery("Delivered", message_id=message_id)
