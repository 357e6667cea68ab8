"""The local Amazon SQS service (``sqs.amazonaws.com``): standard and FIFO queues on the simulated clock.

Messages are rows of ``sqs_messages``; a message is hidden until ``visible_ms`` (DelaySeconds after sending, then the
visibility timeout after each receive), so ``receive-message`` after ``account clock advance`` sees what AWS would.
MD5OfMessageBody / MD5OfMessageAttributes are computed as AWS computes them (the attribute digest over the sorted,
length-prefixed name / type / value encoding). Other services deliver to a queue ARN through ``facts.deliver``
(:func:`deliver_to_queue`: EventBridge targets and dead-letter queues, SNS subscriptions).

[design choice] WaitTimeSeconds does not wait (the clock is simulated: a long poll would only end empty); messages
past MessageRetentionPeriod are removed when the queue is next read. RedrivePolicy: a message received more than
maxReceiveCount times moves to the dead-letter queue on the next receive attempt (as AWS). FIFO queues: MessageGroupId required, 5-minute
deduplication (MessageDeduplicationId or ContentBasedDeduplication), one in-flight batch per message group.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from awsmon.backends.local import facts
from awsmon.backends.local.base import LocalService, api, named_resource
from awsmon.errors import ServiceError

NONEXISTENT = "AWS.SimpleQueueService.NonExistentQueue"
NONEXISTENT_TEXT = "The specified queue does not exist."
_NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,80}")
_FIFO_NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,75}\.fifo")
_ATTR_NAME_RE = re.compile(r"[A-Za-z0-9_\-.]{1,256}")
# settable attribute -> (default, minimum, maximum) for the numeric ones
NUMERIC_ATTRIBUTES: dict[str, tuple[int, int, int]] = {
    "DelaySeconds": (0, 0, 900),
    "MaximumMessageSize": (262144, 1024, 262144),
    "MessageRetentionPeriod": (345600, 60, 1209600),
    "ReceiveMessageWaitTimeSeconds": (0, 0, 20),
    "VisibilityTimeout": (30, 0, 43200),
}
OTHER_ATTRIBUTES = ("Policy", "RedrivePolicy", "RedriveAllowPolicy", "FifoQueue", "ContentBasedDeduplication",
                    "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled", "DeduplicationScope",
                    "FifoThroughputLimit")  # fmt: skip
SYSTEM_ATTRIBUTES = ("SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp",
                     "MessageGroupId", "MessageDeduplicationId", "SequenceNumber")  # fmt: skip
DEDUP_WINDOW_MS = 5 * 60 * 1000
PAGE = 1000


def _ms(dt: datetime) -> int:
    return int(round(dt.timestamp() * 1000))


def invalid(message: str, code: str = "InvalidParameterValue") -> ServiceError:
    return ServiceError(code, message)


def missing_queue() -> ServiceError:
    return ServiceError(NONEXISTENT, NONEXISTENT_TEXT)


def md5_of_attributes(attributes: Mapping[str, Mapping[str, Any]]) -> str:
    """MD5OfMessageAttributes as SQS computes it: for each attribute in name order, the 4-byte big-endian length and
    UTF-8 bytes of the name and of the DataType, then 1 + length + value for strings, 2 + length + bytes for binary."""
    buf = bytearray()
    for name in sorted(attributes):
        attr = attributes[name]
        for text in (name, str(attr["DataType"])):
            raw = text.encode()
            buf += len(raw).to_bytes(4, "big") + raw
        if attr.get("StringValue") is not None:
            raw = str(attr["StringValue"]).encode()
            buf += b"\x01" + len(raw).to_bytes(4, "big") + raw
        else:
            raw = _binary(attr.get("BinaryValue"))
            buf += b"\x02" + len(raw).to_bytes(4, "big") + raw
    return hashlib.md5(bytes(buf)).hexdigest()


def _binary(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str):  # stored form (base64 text)
        return base64.b64decode(value)
    return b""


_INVALID_CHAR = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _valid_body(body: str) -> None:
    bad = _INVALID_CHAR.search(body)
    if bad is not None:
        o = ord(bad.group(0))
        raise invalid(f"Invalid binary character '#x{o:X}' was found in the message body, the set of allowed "
                      "characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
                      "InvalidMessageContents")  # fmt: skip


def check_message_attributes(attributes: Any) -> dict[str, dict[str, Any]]:
    """Validate MessageAttributes (API shape); returns them as stored (binary values base64 text)."""
    if attributes is None:
        return {}
    if not isinstance(attributes, Mapping):
        raise invalid("MessageAttributes must be a map of attribute names to values.")
    if len(attributes) > 10:
        raise invalid(f"Number of message attributes [{len(attributes)}] exceeds the allowed maximum [10].")
    out: dict[str, dict[str, Any]] = {}
    for name, attr in attributes.items():
        if not isinstance(name, str) or not _ATTR_NAME_RE.fullmatch(name) or name.lower().startswith(("aws.", "amazon.")) \
                or name.startswith(".") or name.endswith(".") or ".." in name:  # fmt: skip
            raise invalid(f"Message (user) attribute name '{name}' is invalid.")
        if not isinstance(attr, Mapping):
            raise invalid(f"The message attribute '{name}' must contain non-empty message attribute value.")
        dtype = attr.get("DataType")
        base = str(dtype).split(".", 1)[0] if isinstance(dtype, str) else ""
        if base not in ("String", "Number", "Binary"):
            raise invalid(f"The message attribute '{name}' has an invalid message attribute type, the set of "
                          "supported type prefixes is Binary, Number, and String.")  # fmt: skip
        if base == "Binary":
            value = attr.get("BinaryValue")
            if not isinstance(value, bytes | bytearray | str) or not value:
                raise invalid(f"The message attribute '{name}' with type 'Binary' must use field 'Binary'.")
            stored = base64.b64encode(_binary(value) if isinstance(value, str) else bytes(value)).decode()
            out[name] = {"DataType": dtype, "BinaryValue": stored}
            continue
        value = attr.get("StringValue")
        if not isinstance(value, str) or not value:
            raise invalid(f"The message attribute '{name}' with type '{base}' must use field 'String'.")
        if base == "Number":
            try:
                float(value)
            except ValueError:
                raise invalid(f"Can't cast the value of message (user) attribute '{name}' to a number.") from None
        out[name] = {"DataType": dtype, "StringValue": value}
    return out


def _wanted(names: list[str] | None, available: Mapping[str, Any]) -> dict[str, Any]:
    """MessageAttributeNames / AttributeNames selection: All, .*, exact names and ``prefix.*``."""
    if not names:
        return {}
    if any(n in ("All", ".*") for n in names):
        return dict(available)
    out = {}
    for key, value in available.items():
        for n in names:
            if n == key or (n.endswith(".*") and key.startswith(n[:-1])):
                out[key] = value
    return out


class LocalSQS(LocalService):
    service_name = "sqs"
    event_source = "sqs.amazonaws.com"

    def queue_url(self, name: str) -> str:
        return f"https://sqs.{self.region}.amazonaws.com/{self.account_id}/{name}"

    def queue_arn(self, name: str) -> str:
        return self.resource_arn(name)

    def _name_from_url(self, url: Any) -> str:
        if not isinstance(url, str) or not url:
            raise ServiceError("MissingParameter", "The request must contain the parameter QueueUrl.")
        parts = url.rstrip("/").split("/")
        if len(parts) < 2 or parts[-2] != self.account_id:
            raise missing_queue()
        return parts[-1]

    def _queue(self, url: Any) -> Any:
        row = self.conn.execute(
            "SELECT * FROM sqs_queues WHERE region = ? AND name = ?", (self.region, self._name_from_url(url))
        ).fetchone()
        if row is None:
            raise missing_queue()
        return row

    def _resources(self, op: str, params: dict[str, Any], result: Any) -> list[dict[str, str]]:
        name = params.get("QueueName")
        if not name and isinstance(params.get("QueueUrl"), str):
            name = params["QueueUrl"].rstrip("/").rsplit("/", 1)[-1]
        return named_resource("AWS::SQS::Queue", self.queue_arn, name)

    # -- queues ------------------------------------------------------------------------------------------------
    @staticmethod
    def _check_attributes(attrs: Mapping[str, Any], *, fifo: bool) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, value in attrs.items():
            text = str(value)
            if key in NUMERIC_ATTRIBUTES:
                _, lo, hi = NUMERIC_ATTRIBUTES[key]
                if not re.fullmatch(r"-?\d+", text) or not lo <= int(text) <= hi:
                    raise invalid(f"Invalid value for the parameter {key}.", "InvalidAttributeValue")
                out[key] = str(int(text))
            elif key in OTHER_ATTRIBUTES:
                if key in ("FifoQueue", "ContentBasedDeduplication") and text.lower() not in ("true", "false"):
                    raise invalid(f"Invalid value for the parameter {key}.", "InvalidAttributeValue")
                if key == "ContentBasedDeduplication" and not fifo:
                    raise invalid("Unknown Attribute ContentBasedDeduplication.", "InvalidAttributeName")
                if key in ("Policy", "RedrivePolicy", "RedriveAllowPolicy") and not (key != "Policy" and text == ""):
                    try:
                        json.loads(text)
                    except ValueError:
                        raise invalid(f"Invalid value for the parameter {key}.", "InvalidAttributeValue") from None
                out[key] = text.lower() if key in ("FifoQueue", "ContentBasedDeduplication") else text
            else:
                raise invalid(f"Unknown Attribute {key}.", "InvalidAttributeName")
        return out

    def _check_redrive(self, attrs: Mapping[str, str], source_arn: str, fifo: bool) -> None:
        """RedrivePolicy / RedriveAllowPolicy as SQS checks them when they are set."""
        allow = attrs.get("RedriveAllowPolicy")
        if allow:
            policy = json.loads(allow)
            bad = _invalid_allow_policy(policy)
            if bad:
                raise invalid(f"Value {allow} for parameter RedriveAllowPolicy is invalid. Reason: {bad}")
        text = attrs.get("RedrivePolicy")
        if not text:
            return

        def refuse(reason: str) -> ServiceError:
            return invalid(f"Value {text} for parameter RedrivePolicy is invalid. Reason: {reason}")

        policy = json.loads(text)
        if not isinstance(policy, dict):
            raise refuse("Redrive policy is not a JSON object.")
        for key in ("deadLetterTargetArn", "maxReceiveCount"):
            if key not in policy:
                raise refuse(f"Redrive policy does not contain mandatory attribute: {key}.")
        count = policy["maxReceiveCount"]
        if isinstance(count, bool) or not re.fullmatch(r"-?\d+", str(count)) or not 1 <= int(count) <= 1000:
            raise refuse(f"Invalid value for maxReceiveCount: {count}, valid values are from 1 to 1000 both "
                         "inclusive.")  # fmt: skip
        target = str(policy["deadLetterTargetArn"])
        parts = target.split(":")
        dlq = None
        if len(parts) == 6 and parts[2] == "sqs" and parts[3] == self.region and parts[4] == self.account_id:
            dlq = self.conn.execute("SELECT * FROM sqs_queues WHERE region = ? AND name = ?",
                                    (self.region, parts[5])).fetchone()  # fmt: skip
        if dlq is None:
            raise refuse("Dead letter target does not exist.")
        if self._is_fifo(dlq) != fifo:
            raise refuse("Dead-letter queue must be same type of queue as the source.")
        allowed = json.loads(json.loads(dlq["attributes"]).get("RedriveAllowPolicy") or "{}")
        permission = allowed.get("redrivePermission", "allowAll")
        if permission == "denyAll" or (permission == "byQueue" and source_arn not in allowed.get("sourceQueueArns", [])):
            raise refuse(f"Queue {target} does not allow this queue to use it as a dead-letter queue.")

    def _dead_letter(self, q: Any, row: Any, now: int) -> bool:
        """Move a message received more than maxReceiveCount times to the dead-letter queue (True when moved). The
        message keeps its id, body, attributes and receive count; a standard queue keeps its enqueue time (retention
        counts from it), a FIFO queue's is reset (AWS). A dead-letter queue deleted since keeps it here."""
        policy = json.loads(json.loads(q["attributes"]).get("RedrivePolicy") or "{}")
        if not policy or row["receive_count"] < int(policy["maxReceiveCount"]):
            return False
        name = str(policy["deadLetterTargetArn"]).split(":")[-1]
        dlq = self.conn.execute("SELECT * FROM sqs_queues WHERE region = ? AND name = ?", (self.region, name)).fetchone()
        if dlq is None:
            return False
        seq, sent = row["seq"], row["sent_ms"]
        if self._is_fifo(dlq):
            seq, sent = f"{dlq['next_seq']:020d}", now
            self.conn.execute("UPDATE sqs_queues SET next_seq = next_seq + 1 WHERE region = ? AND name = ?",
                              (self.region, name))  # fmt: skip
        self.conn.execute("UPDATE sqs_messages SET queue = ?, visible_ms = ?, receipt = NULL, seq = ?, sent_ms = ? "
                          "WHERE id = ?", (name, now, seq, sent, row["id"]))  # fmt: skip
        return True

    @api("CreateQueue")
    def create_queue(self, *, QueueName: str, Attributes: dict[str, str] | None = None,
                     tags: dict[str, str] | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        attrs = dict(Attributes or {})
        fifo = str(attrs.get("FifoQueue", "false")).lower() == "true"
        if not isinstance(QueueName, str) or not (_FIFO_NAME_RE if fifo else _NAME_RE).fullmatch(QueueName):
            if isinstance(QueueName, str) and QueueName.endswith(".fifo") and not fifo and _FIFO_NAME_RE.fullmatch(QueueName):
                raise invalid("The name of a FIFO queue can only include alphanumeric characters, hyphens, or "
                              "underscores, must end with .fifo suffix and be 1 to 80 in length.")  # fmt: skip
            raise invalid("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
        if QueueName.endswith(".fifo") and not fifo:
            raise invalid("The name of a FIFO queue can only include alphanumeric characters, hyphens, or "
                          "underscores, must end with .fifo suffix and be 1 to 80 in length.")  # fmt: skip
        checked = {k: v for k, v in self._check_attributes(attrs, fifo=fifo).items() if v != "" or k == "Policy"}
        self._check_redrive(checked, self.queue_arn(QueueName), fifo)
        row = self.conn.execute("SELECT attributes FROM sqs_queues WHERE region = ? AND name = ?",
                                (self.region, QueueName)).fetchone()  # fmt: skip
        if row is not None:
            current = json.loads(row[0])
            differ = [k for k, v in checked.items() if current.get(k, self._default(k)) != v]
            if differ:
                raise ServiceError("QueueAlreadyExists", "A queue already exists with the same name and a different "
                                   f"value for attribute(s) {', '.join(differ)}")  # fmt: skip
            return {"QueueUrl": self.queue_url(QueueName)}
        now = _ms(self.now())
        self.conn.execute(
            "INSERT INTO sqs_queues (region, name, arn, attributes, tags, created_ms, modified_ms) VALUES (?,?,?,?,?,?,?)",
            (self.region, QueueName, self.queue_arn(QueueName), json.dumps(checked), json.dumps(tags or {}), now, now),
        )
        return {"QueueUrl": self.queue_url(QueueName)}

    @staticmethod
    def _default(key: str) -> str:
        if key in NUMERIC_ATTRIBUTES:
            return str(NUMERIC_ATTRIBUTES[key][0])
        return "false" if key in ("FifoQueue", "ContentBasedDeduplication") else ""

    def _setting(self, queue: Any, key: str) -> int:
        return int(json.loads(queue["attributes"]).get(key, NUMERIC_ATTRIBUTES[key][0]))

    @staticmethod
    def _is_fifo(queue: Any) -> bool:
        return bool(json.loads(queue["attributes"]).get("FifoQueue") == "true")

    @api("GetQueueUrl")
    def get_queue_url(self, *, QueueName: str, QueueOwnerAWSAccountId: str | None = None, **kw: Any) -> dict[str, Any]:
        if QueueOwnerAWSAccountId not in (None, "", self.account_id):
            raise missing_queue()
        row = self.conn.execute("SELECT 1 FROM sqs_queues WHERE region = ? AND name = ?", (self.region, QueueName)).fetchone()
        if row is None:
            raise missing_queue()
        return {"QueueUrl": self.queue_url(QueueName)}

    @api("ListQueues")
    def list_queues(self, *, QueueNamePrefix: str | None = None, NextToken: str | None = None,
                    MaxResults: int | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        if MaxResults is not None and not 1 <= int(MaxResults) <= 1000:
            raise invalid("Value for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.")
        n = int(MaxResults or PAGE)
        prefix = QueueNamePrefix or ""
        rows = self.conn.execute(
            "SELECT name FROM sqs_queues WHERE region = ? AND substr(name, 1, ?) = ? AND name > ? ORDER BY name LIMIT ?",
            (self.region, len(prefix), prefix, NextToken or "", n + 1),
        ).fetchall()
        out: dict[str, Any] = {}
        if rows:
            out["QueueUrls"] = [self.queue_url(r[0]) for r in rows[:n]]
        if MaxResults is not None and len(rows) > n:
            out["NextToken"] = rows[n - 1][0]
        return out

    @api("GetQueueAttributes")
    def get_queue_attributes(self, *, QueueUrl: str, AttributeNames: list[str] | None = None, **kw: Any) -> dict[str, Any]:
        q = self._queue(QueueUrl)
        now = _ms(self.now())
        self._expire(q, now)
        stored = json.loads(q["attributes"])
        counts = self.conn.execute(
            "SELECT sum(visible_ms <= ?), sum(visible_ms > ? AND receive_count > 0), "
            "sum(visible_ms > ? AND receive_count = 0) FROM sqs_messages WHERE region = ? AND queue = ?",
            (now, now, now, self.region, q["name"]),
        ).fetchone()
        attrs: dict[str, str] = {
            "QueueArn": q["arn"],
            "ApproximateNumberOfMessages": str(counts[0] or 0),
            "ApproximateNumberOfMessagesNotVisible": str(counts[1] or 0),
            "ApproximateNumberOfMessagesDelayed": str(counts[2] or 0),
            "CreatedTimestamp": str(q["created_ms"] // 1000),
            "LastModifiedTimestamp": str(q["modified_ms"] // 1000),
            **{k: str(v[0]) for k, v in NUMERIC_ATTRIBUTES.items()},
            "SqsManagedSseEnabled": "false",
            **stored,
        }
        names = list(AttributeNames or [])
        for n in names:
            if n != "All" and n not in attrs and n not in OTHER_ATTRIBUTES:
                raise invalid(f"Unknown Attribute {n}.", "InvalidAttributeName")
        selected = attrs if "All" in names else {k: v for k, v in attrs.items() if k in names}
        return {"Attributes": selected} if selected else {}

    @api("SetQueueAttributes")
    def set_queue_attributes(self, *, QueueUrl: str, Attributes: dict[str, str], **kw: Any) -> dict[str, Any]:
        q = self._queue(QueueUrl)
        fifo = self._is_fifo(q)
        checked = self._check_attributes(dict(Attributes or {}), fifo=fifo)
        if "FifoQueue" in checked and (checked["FifoQueue"] == "true") != fifo:
            raise invalid("Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.",
                          "InvalidAttributeValue")  # fmt: skip
        self._check_redrive(checked, q["arn"], fifo)
        merged = {k: v for k, v in {**json.loads(q["attributes"]), **checked}.items()
                  if not (k in ("RedrivePolicy", "RedriveAllowPolicy") and v == "")}  # "" removes a policy
        self.conn.execute("UPDATE sqs_queues SET attributes = ?, modified_ms = ? WHERE region = ? AND name = ?",
                          (json.dumps(merged), _ms(self.now()), self.region, q["name"]))  # fmt: skip
        return {}

    @api("PurgeQueue")
    def purge_queue(self, *, QueueUrl: str, **kw: Any) -> dict[str, Any]:
        q = self._queue(QueueUrl)
        self.conn.execute("DELETE FROM sqs_messages WHERE region = ? AND queue = ?", (self.region, q["name"]))
        return {}

    @api("DeleteQueue")
    def delete_queue(self, *, QueueUrl: str, **kw: Any) -> dict[str, Any]:
        q = self._queue(QueueUrl)
        self.conn.execute("DELETE FROM sqs_messages WHERE region = ? AND queue = ?", (self.region, q["name"]))
        self.conn.execute("DELETE FROM sqs_queues WHERE region = ? AND name = ?", (self.region, q["name"]))
        return {}

    # -- messages ----------------------------------------------------------------------------------------------
    def send(self, q: Any, body: Any, *, now: int, delay: int | None = None, attributes: Any = None,
             group_id: str | None = None, dedup_id: str | None = None, sender: str | None = None) -> dict[str, Any]:  # fmt: skip
        """Validate and enqueue one message (SendMessage and deliveries from other services)."""
        if not isinstance(body, str) or not body:
            raise ServiceError("MissingParameter", "The request must contain the parameter MessageBody.")
        _valid_body(body)
        attrs = check_message_attributes(attributes)
        size = len(body.encode()) + sum(
            len(n.encode()) + len(str(a["DataType"]).encode()) + len(str(a.get("StringValue") or a.get("BinaryValue") or "").encode())
            for n, a in attrs.items()
        )
        limit = self._setting(q, "MaximumMessageSize")
        if size > limit:
            raise invalid(f"One or more parameters are invalid. Reason: Message must be shorter than {limit} bytes.")
        fifo = self._is_fifo(q)
        seq = None
        if fifo:
            if delay:
                raise invalid(f"Value {delay} for parameter DelaySeconds is invalid. Reason: The request include "
                              "parameter that is not valid for this queue type.")  # fmt: skip
            if not group_id:
                raise ServiceError("MissingParameter", "The request must contain the parameter MessageGroupId.")
            if not dedup_id:
                if json.loads(q["attributes"]).get("ContentBasedDeduplication") != "true":
                    raise invalid("The queue should either have ContentBasedDeduplication enabled or "
                                  "MessageDeduplicationId provided explicitly")  # fmt: skip
                dedup_id = hashlib.sha256(body.encode()).hexdigest()
            dup = self.conn.execute(
                "SELECT message_id, md5_body, md5_attributes, seq FROM sqs_messages WHERE region = ? AND queue = ? "
                "AND dedup_id = ? AND sent_ms > ?",
                (self.region, q["name"], dedup_id, now - DEDUP_WINDOW_MS),
            ).fetchone()
            if dup is not None:  # accepted, not enqueued again (5-minute deduplication interval)
                return self._sent(dup["message_id"], dup["md5_body"], dup["md5_attributes"], dup["seq"])
            seq = f"{q['next_seq']:020d}"
            self.conn.execute("UPDATE sqs_queues SET next_seq = next_seq + 1 WHERE region = ? AND name = ?",
                              (self.region, q["name"]))  # fmt: skip
        elif group_id is not None:
            raise invalid("The request include parameter that is not valid for this queue type")
        if delay is None:
            delay = self._setting(q, "DelaySeconds")
        elif not 0 <= int(delay) <= 900:
            raise invalid(f"Value {delay} for parameter DelaySeconds is invalid. Reason: must be between 0 and 900, "
                          "if provided.")  # fmt: skip
        message_id = str(uuid.uuid4())
        md5_body = hashlib.md5(body.encode()).hexdigest()
        md5_attrs = md5_of_attributes(attrs) if attrs else None
        self.conn.execute(
            "INSERT INTO sqs_messages (region, queue, message_id, body, attributes, md5_body, md5_attributes, sent_ms, "
            "visible_ms, sender, group_id, dedup_id, seq) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (self.region, q["name"], message_id, body, json.dumps(attrs) if attrs else None, md5_body, md5_attrs, now,
             now + int(delay) * 1000, sender or self.store.principal().user_identity().get("principalId"), group_id,
             dedup_id, seq),
        )  # fmt: skip
        return self._sent(message_id, md5_body, md5_attrs, seq)

    @staticmethod
    def _sent(message_id: str, md5_body: str, md5_attrs: str | None, seq: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {"MD5OfMessageBody": md5_body}
        if md5_attrs:
            out["MD5OfMessageAttributes"] = md5_attrs
        out["MessageId"] = message_id
        if seq:
            out["SequenceNumber"] = seq
        return out

    @api("SendMessage", category="Data")
    def send_message(self, *, QueueUrl: str, MessageBody: str, DelaySeconds: int | None = None,
                     MessageAttributes: dict[str, Any] | None = None, MessageGroupId: str | None = None,
                     MessageDeduplicationId: str | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        q = self._queue(QueueUrl)
        return self.send(q, MessageBody, now=_ms(self.now()), delay=DelaySeconds, attributes=MessageAttributes,
                         group_id=MessageGroupId, dedup_id=MessageDeduplicationId)  # fmt: skip

    def _expire(self, q: Any, now: int) -> None:
        cutoff = now - self._setting(q, "MessageRetentionPeriod") * 1000
        self.conn.execute("DELETE FROM sqs_messages WHERE region = ? AND queue = ? AND sent_ms <= ?",
                          (self.region, q["name"], cutoff))  # fmt: skip

    @api("ReceiveMessage", category="Data")
    def receive_message(self, *, QueueUrl: str, AttributeNames: list[str] | None = None,
                        MessageSystemAttributeNames: list[str] | None = None,
                        MessageAttributeNames: list[str] | None = None, MaxNumberOfMessages: int | None = None,
                        VisibilityTimeout: int | None = None, WaitTimeSeconds: int | None = None,
                        ReceiveRequestAttemptId: str | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        q = self._queue(QueueUrl)
        n = 1 if MaxNumberOfMessages is None else int(MaxNumberOfMessages)
        if not 1 <= n <= 10:
            raise invalid(f"Value {n} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, "
                          "if provided.")  # fmt: skip
        if WaitTimeSeconds is not None and not 0 <= int(WaitTimeSeconds) <= 20:
            raise invalid(f"Value {WaitTimeSeconds} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 "
                          "and <= 20, if provided.")  # fmt: skip
        visibility = self._setting(q, "VisibilityTimeout") if VisibilityTimeout is None else int(VisibilityTimeout)
        if not 0 <= visibility <= 43200:
            raise invalid(f"Value {visibility} for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and "
                          "<= 43200, if provided.")  # fmt: skip
        now = _ms(self.now())
        self._expire(q, now)
        sql = "SELECT * FROM sqs_messages WHERE region = ? AND queue = ? AND visible_ms <= ?"
        args: list[Any] = [self.region, q["name"], now]
        if self._is_fifo(q):  # a group with messages in flight delivers nothing more until they are deleted or visible
            sql += (" AND group_id NOT IN (SELECT group_id FROM sqs_messages WHERE region = ? AND queue = ? "
                    "AND visible_ms > ? AND receive_count > 0)")  # fmt: skip
            args += [self.region, q["name"], now]
        rows = []
        after = 0
        while len(rows) < n:  # messages moved to the dead-letter queue make room for others
            batch = self.conn.execute(sql + " AND id > ? ORDER BY id LIMIT ?", (*args, after, n - len(rows))).fetchall()
            if not batch:
                break
            after = batch[-1]["id"]
            rows += [r for r in batch if not self._dead_letter(q, r, now)]
        wanted_system = list(AttributeNames or []) + list(MessageSystemAttributeNames or [])
        messages = []
        for r in rows:
            receipt = base64.urlsafe_b64encode(secrets.token_bytes(24)).decode() + "." + str(r["id"])
            first = r["first_receive_ms"] or now
            self.conn.execute(
                "UPDATE sqs_messages SET visible_ms = ?, receive_count = receive_count + 1, first_receive_ms = ?, "
                "receipt = ? WHERE id = ?",
                (now + visibility * 1000, first, receipt, r["id"]),
            )
            msg: dict[str, Any] = {"MessageId": r["message_id"], "ReceiptHandle": receipt, "MD5OfBody": r["md5_body"],
                                   "Body": r["body"]}  # fmt: skip
            system = {"SenderId": r["sender"] or "", "SentTimestamp": str(r["sent_ms"]),
                      "ApproximateReceiveCount": str(r["receive_count"] + 1),
                      "ApproximateFirstReceiveTimestamp": str(first)}  # fmt: skip
            if r["group_id"]:
                system.update({"MessageGroupId": r["group_id"], "MessageDeduplicationId": r["dedup_id"],
                               "SequenceNumber": r["seq"]})  # fmt: skip
            picked = _wanted(wanted_system, system)
            if picked:
                msg["Attributes"] = picked
            user = _wanted(list(MessageAttributeNames or []), json.loads(r["attributes"] or "{}"))
            if user:
                msg["MD5OfMessageAttributes"] = md5_of_attributes(user)
                msg["MessageAttributes"] = {k: ({"DataType": v["DataType"], "BinaryValue": _binary(v["BinaryValue"])}
                                                if "BinaryValue" in v else v) for k, v in user.items()}  # fmt: skip
            messages.append(msg)
        return {"Messages": messages} if messages else {}

    @api("DeleteMessage", category="Data")
    def delete_message(self, *, QueueUrl: str, ReceiptHandle: str, **kw: Any) -> dict[str, Any]:
        q = self._queue(QueueUrl)
        if not isinstance(ReceiptHandle, str) or not re.fullmatch(r"[A-Za-z0-9_=-]+\.\d+", ReceiptHandle):
            raise ServiceError("ReceiptHandleIsInvalid",
                               f'The input receipt handle "{ReceiptHandle}" is not a valid receipt handle.')  # fmt: skip
        # A stale handle of a message received again since, or already deleted, succeeds without effect (as AWS).
        self.conn.execute("DELETE FROM sqs_messages WHERE region = ? AND queue = ? AND receipt = ?",
                          (self.region, q["name"], ReceiptHandle))  # fmt: skip
        return {}

    @api("ChangeMessageVisibility")
    def change_message_visibility(self, *, QueueUrl: str, ReceiptHandle: str, VisibilityTimeout: int,
                                  **kw: Any) -> dict[str, Any]:  # fmt: skip
        q = self._queue(QueueUrl)
        if not 0 <= int(VisibilityTimeout) <= 43200:
            raise invalid(f"Value {VisibilityTimeout} for parameter VisibilityTimeout is invalid. Reason: Must be >= "
                          "0 and <= 43200, if provided.")  # fmt: skip
        now = _ms(self.now())
        row = self.conn.execute("SELECT id, visible_ms FROM sqs_messages WHERE region = ? AND queue = ? AND receipt = ?",
                                (self.region, q["name"], ReceiptHandle)).fetchone()  # fmt: skip
        if row is None or row["visible_ms"] <= now:
            raise ServiceError("MessageNotInflight", "Message does not exist or is not available for visibility "
                               "timeout change.")  # fmt: skip
        self.conn.execute("UPDATE sqs_messages SET visible_ms = ? WHERE id = ?", (now + int(VisibilityTimeout) * 1000, row["id"]))
        return {}


def _invalid_allow_policy(policy: Any) -> str | None:
    """Why a RedriveAllowPolicy is refused, or None."""
    if not isinstance(policy, dict):
        return "Redrive allow policy is not a JSON object."
    permission = policy.get("redrivePermission")
    if permission not in ("allowAll", "denyAll", "byQueue"):
        return f"Invalid value for redrivePermission: {permission}, valid values are allowAll, denyAll, byQueue."
    arns = policy.get("sourceQueueArns")
    if permission != "byQueue":
        return None if arns is None else "sourceQueueArns can be specified only when redrivePermission is byQueue."
    if not isinstance(arns, list) or not 1 <= len(arns) <= 10:
        return "sourceQueueArns must hold 1 to 10 queue ARNs when redrivePermission is byQueue."
    return None


def deliver_to_queue(store: Any, arn: str, payload: str, when: datetime, *,
                     message_attributes: Mapping[str, Any] | None = None, message_group_id: str | None = None,
                     message_deduplication_id: str | None = None, sender: str | None = None,
                     **_: Any) -> facts.Delivery:  # fmt: skip
    """TARGETS handler for ``arn:aws:sqs:<region>:<account>:<queue>``: enqueue ``payload`` at ``when`` (unrecorded).

    Attributes: ``message_attributes`` (API shape), ``message_group_id`` / ``message_deduplication_id`` (FIFO),
    ``sender`` (the SenderId, e.g. the sending service). Refused when the queue does not exist (in this account) or
    the message is not valid for it.
    """
    parts = arn.split(":")
    if len(parts) != 6 or parts[4] != store.account_id:
        return facts.Delivery("Failed", NONEXISTENT_TEXT, error_code=NONEXISTENT)
    svc = LocalSQS(store, parts[3])
    q = store.conn.execute("SELECT * FROM sqs_queues WHERE region = ? AND name = ?", (parts[3], parts[5])).fetchone()
    if q is None:
        return facts.Delivery("Failed", NONEXISTENT_TEXT, error_code=NONEXISTENT)
    try:
        with store.transaction():
            sent = svc.send(q, payload, now=_ms(when), attributes=message_attributes, group_id=message_group_id,
                            dedup_id=message_deduplication_id, sender=sender)  # fmt: skip
    except ServiceError as exc:
        return facts.Delivery("Failed", exc.message, error_code=exc.code)
    return facts.Delivery("Delivered", message_id=sent["MessageId"])
