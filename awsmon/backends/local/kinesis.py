"""The local Amazon Kinesis Data Streams service (``kinesis.amazonaws.com``): streams, shards, records.

A record goes to the shard whose hash-key range holds MD5(PartitionKey) as a 128-bit integer (or ExplicitHashKey),
as Kinesis routes it; shard ranges split 0..2^128-1 evenly. Sequence numbers increase per stream and are shown as
56-digit decimal strings (AWS's are 56 digits too; their inner layout is undocumented). Shard iterators are opaque
(base64 of the position) and, as AWS's, expire after 5 minutes on the simulated clock. Streams are ACTIVE at once
(creation is instant on the simulated clock). Other services deliver to a stream ARN through ``facts.deliver``
(:func:`deliver_to_stream`: CloudWatch Logs subscription filters, EventBridge targets).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any

from awsmon.backends.local import facts
from awsmon.backends.local.base import LocalService, api, named_resource
from awsmon.backends.local.base import validation_error as validation
from awsmon.errors import ServiceError

_NAME_RE = re.compile(r"[a-zA-Z0-9_.-]{1,128}")
MAX_HASH = (1 << 128) - 1
MAX_RECORD_BYTES = 1_048_576
ITERATOR_TTL_MS = 300_000
# Kinesis Data Streams quota "shards per account": 500 in us-east-1, us-west-2 and eu-west-1, 200 elsewhere
_SHARD_QUOTA_500 = ("us-east-1", "us-west-2", "eu-west-1")
ITERATOR_TYPES = ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP")


def _ms(dt: datetime) -> int:
    return int(round(dt.timestamp() * 1000))


def seq_text(seq: int) -> str:
    return f"{seq:056d}"


def shard_id(index: int) -> str:
    return f"shardId-{index:012d}"


def shard_range(index: int, count: int) -> tuple[int, int]:
    step = (MAX_HASH + 1) // count
    lo = index * step
    hi = MAX_HASH if index == count - 1 else lo + step - 1
    return lo, hi


def shard_for(key: int, count: int) -> int:
    return min(key // ((MAX_HASH + 1) // count), count - 1)


def hash_key(partition_key: str) -> int:
    return int.from_bytes(hashlib.md5(partition_key.encode()).digest(), "big")


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidArgumentException", message)


class LocalKinesis(LocalService):
    service_name = "kinesis"
    event_source = "kinesis.amazonaws.com"
    payload_params = frozenset({"Data"})  # the payload is not part of the CloudTrail record

    def stream_arn(self, name: str) -> str:
        return f"arn:aws:kinesis:{self.region}:{self.account_id}:stream/{name}"

    def _resources(self, op: str, params: dict[str, Any], result: Any) -> list[dict[str, str]]:
        name = params.get("StreamName") or str(params.get("StreamARN") or "").rpartition("/")[2]
        return named_resource("AWS::Kinesis::Stream", self.stream_arn, name)

    def _name(self, StreamName: Any, StreamARN: Any) -> str:
        if StreamARN:
            if not isinstance(StreamARN, str) or ":stream/" not in StreamARN:
                raise validation(StreamARN, "streamARN", "Member must satisfy regular expression pattern: "
                                 "arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+")  # fmt: skip
            return StreamARN.rpartition("/")[2]
        if not isinstance(StreamName, str) or not _NAME_RE.fullmatch(StreamName):
            raise validation(StreamName, "streamName", "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
        return StreamName

    def _stream(self, name: str) -> Any:
        row = self.conn.execute(
            "SELECT * FROM kinesis_streams WHERE region = ? AND name = ?", (self.region, name)
        ).fetchone()
        if row is None:
            raise ServiceError("ResourceNotFoundException",
                               f"Stream {name} under account {self.account_id} not found.")  # fmt: skip
        return row

    # -- streams ------------------------------------------------------------------------------------------------
    @api("CreateStream")
    def create_stream(self, *, StreamName: str, ShardCount: int | None = None,
                      StreamModeDetails: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        name = self._name(StreamName, None)
        mode = (StreamModeDetails or {}).get("StreamMode", "PROVISIONED")
        if mode not in ("PROVISIONED", "ON_DEMAND"):
            raise validation(mode, "streamModeDetails.streamMode",
                             "Member must satisfy enum value set: [PROVISIONED, ON_DEMAND]")  # fmt: skip
        if mode == "ON_DEMAND":
            count = 4  # AWS starts an on-demand stream with 4 shards
        else:
            if ShardCount is None:
                raise invalid("ShardCount is required for PROVISIONED streams.")
            if isinstance(ShardCount, bool) or not isinstance(ShardCount, int) or ShardCount < 1:
                raise validation(ShardCount, "shardCount", "Member must have value greater than or equal to 1")
            count = ShardCount
        if self.conn.execute("SELECT 1 FROM kinesis_streams WHERE region = ? AND name = ?",
                             (self.region, name)).fetchone():  # fmt: skip
            raise ServiceError("ResourceInUseException", f"Stream {name} under account {self.account_id} already exists.")
        self._check_shard_quota(count)
        self.conn.execute(
            "INSERT INTO kinesis_streams (region, name, shard_count, mode, created_ms) VALUES (?,?,?,?,?)",
            (self.region, name, count, mode, _ms(self.now())),
        )
        return {}

    def _check_shard_quota(self, more: int) -> None:
        limit = 500 if self.region in _SHARD_QUOTA_500 else 200
        have = self.conn.execute("SELECT COALESCE(SUM(shard_count), 0) FROM kinesis_streams WHERE region = ?",
                                 (self.region,)).fetchone()[0]  # fmt: skip
        if have + more > limit:
            raise ServiceError("LimitExceededException",
                               f"This request would exceed the shard limit for the account {self.account_id} in "
                               f"{self.region}. Current shard count for the account: {have}. Limit: {limit}. Number "
                               f"of additional shards that would have resulted from this request: {more}. Refer to "
                               "the AWS Service Limits page (https://docs.aws.amazon.com/general/latest/gr/"
                               "aws_service_limits.html) for current limits and how to request higher limits.")

    @api("DeleteStream")
    def delete_stream(self, *, StreamName: str | None = None, StreamARN: str | None = None,
                      **kw: Any) -> dict[str, Any]:  # fmt: skip
        name = self._name(StreamName, StreamARN)
        self._stream(name)
        self.conn.execute("DELETE FROM kinesis_records WHERE region = ? AND stream = ?", (self.region, name))
        self.conn.execute("DELETE FROM kinesis_streams WHERE region = ? AND name = ?", (self.region, name))
        return {}

    def _shards(self, row: Any) -> list[dict[str, Any]]:
        out = []
        for i in range(row["shard_count"]):
            lo, hi = shard_range(i, row["shard_count"])
            first = self.conn.execute(
                "SELECT min(seq) FROM kinesis_records WHERE region = ? AND stream = ? AND shard = ?",
                (self.region, row["name"], i),
            ).fetchone()[0]
            out.append({"ShardId": shard_id(i), "HashKeyRange": {"StartingHashKey": str(lo), "EndingHashKey": str(hi)},
                        "SequenceNumberRange": {"StartingSequenceNumber": seq_text(first or 0)}})  # fmt: skip
        return out

    @api("DescribeStream")
    def describe_stream(self, *, StreamName: str | None = None, StreamARN: str | None = None,
                        **kw: Any) -> dict[str, Any]:  # fmt: skip
        row = self._stream(self._name(StreamName, StreamARN))
        return {"StreamDescription": {
            "StreamName": row["name"], "StreamARN": self.stream_arn(row["name"]), "StreamStatus": "ACTIVE",
            "StreamModeDetails": {"StreamMode": row["mode"]}, "Shards": self._shards(row), "HasMoreShards": False,
            "RetentionPeriodHours": row["retention_hours"],
            "StreamCreationTimestamp": datetime.fromtimestamp(row["created_ms"] / 1000, UTC),
            "EnhancedMonitoring": [{"ShardLevelMetrics": []}], "EncryptionType": "NONE",
        }}  # fmt: skip

    @api("ListStreams")
    def list_streams(self, *, Limit: int | None = None, ExclusiveStartStreamName: str | None = None,
                     **kw: Any) -> dict[str, Any]:  # fmt: skip
        limit = 100 if Limit is None else int(Limit)
        if not 1 <= limit <= 10000:
            raise validation(Limit, "limit", "Member must have value less than or equal to 10000")
        rows = self.conn.execute(
            "SELECT * FROM kinesis_streams WHERE region = ? AND name > ? ORDER BY name LIMIT ?",
            (self.region, ExclusiveStartStreamName or "", limit + 1),
        ).fetchall()
        page = rows[:limit]
        return {"StreamNames": [r["name"] for r in page], "HasMoreStreams": len(rows) > limit,
                "StreamSummaries": [{"StreamName": r["name"], "StreamARN": self.stream_arn(r["name"]),
                                     "StreamStatus": "ACTIVE", "StreamModeDetails": {"StreamMode": r["mode"]},
                                     "StreamCreationTimestamp": datetime.fromtimestamp(r["created_ms"] / 1000, UTC)}
                                    for r in page]}  # fmt: skip

    # -- records ------------------------------------------------------------------------------------------------
    def append(self, name: str, data: bytes, partition_key: str, explicit_hash: str | None = None) -> tuple[int, int]:
        """Store one record; returns (shard index, sequence number)."""
        row = self._stream(name)
        key = hash_key(partition_key) if explicit_hash is None else int(explicit_hash)
        shard = shard_for(key, row["shard_count"])
        seq = int(row["next_seq"])
        self.conn.execute("UPDATE kinesis_streams SET next_seq = ? WHERE region = ? AND name = ?",
                          (seq + 1, self.region, name))  # fmt: skip
        self.conn.execute(
            "INSERT INTO kinesis_records (region, stream, shard, seq, arrival_ms, partition_key, data) "
            "VALUES (?,?,?,?,?,?,?)",
            (self.region, name, shard, seq, _ms(self.now()), partition_key, bytes(data)),
        )
        return shard, seq

    @api("PutRecord", category="Data")
    def put_record(self, *, Data: Any, PartitionKey: str, StreamName: str | None = None,
                   StreamARN: str | None = None, ExplicitHashKey: str | None = None,
                   **kw: Any) -> dict[str, Any]:  # fmt: skip
        name = self._name(StreamName, StreamARN)
        data = Data.encode() if isinstance(Data, str) else Data
        if not isinstance(data, bytes | bytearray):
            raise validation(Data, "data", "Member must not be null")
        if len(data) > MAX_RECORD_BYTES:
            raise validation("java.nio.HeapByteBuffer", "data",
                             f"Member must have length less than or equal to {MAX_RECORD_BYTES}")  # fmt: skip
        if not isinstance(PartitionKey, str) or not 1 <= len(PartitionKey) <= 256:
            bound = "greater than or equal to 1" if isinstance(PartitionKey, str) and not PartitionKey else \
                "less than or equal to 256"  # fmt: skip
            raise validation(PartitionKey, "partitionKey", f"Member must have length {bound}")
        if ExplicitHashKey is not None and (not re.fullmatch(r"0|[1-9]\d{0,38}", str(ExplicitHashKey))
                                            or int(ExplicitHashKey) > MAX_HASH):  # fmt: skip
            raise invalid(f"Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, {MAX_HASH}]. "
                          f"Specified value was {ExplicitHashKey}")  # fmt: skip
        shard, seq = self.append(name, bytes(data), PartitionKey, ExplicitHashKey)
        return {"ShardId": shard_id(shard), "SequenceNumber": seq_text(seq), "EncryptionType": "NONE"}

    @api("GetShardIterator")
    def get_shard_iterator(self, *, ShardId: str, ShardIteratorType: str, StreamName: str | None = None,
                           StreamARN: str | None = None, StartingSequenceNumber: str | None = None,
                           Timestamp: Any = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        name = self._name(StreamName, StreamARN)
        row = self._stream(name)
        if ShardIteratorType not in ITERATOR_TYPES:
            raise validation(ShardIteratorType, "shardIteratorType",
                             "Member must satisfy enum value set: [" + ", ".join(ITERATOR_TYPES) + "]")  # fmt: skip
        m = re.fullmatch(r"shardId-(\d{12})", str(ShardId))
        if m is None or int(m.group(1)) >= row["shard_count"]:
            raise ServiceError("ResourceNotFoundException", f"Shard {ShardId} in stream {name} under account "
                               f"{self.account_id} does not exist")  # fmt: skip
        shard = int(m.group(1))
        if ShardIteratorType in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
            if not StartingSequenceNumber or not str(StartingSequenceNumber).isdigit():
                raise invalid(f"StartingSequenceNumber {StartingSequenceNumber} used in GetShardIterator on shard "
                              f"{ShardId} in stream {name} under account {self.account_id} is invalid.")  # fmt: skip
            after = int(StartingSequenceNumber) - (1 if ShardIteratorType == "AT_SEQUENCE_NUMBER" else 0)
        elif ShardIteratorType == "TRIM_HORIZON":
            after = 0
        elif ShardIteratorType == "LATEST":
            after = int(row["next_seq"]) - 1
        else:
            if Timestamp is None:
                raise invalid("Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. "
                              "Current request has no timestamp parameter.")  # fmt: skip
            ts = Timestamp if isinstance(Timestamp, datetime) else datetime.fromtimestamp(float(Timestamp), UTC)
            got = self.conn.execute(
                "SELECT min(seq) FROM kinesis_records WHERE region = ? AND stream = ? AND shard = ? AND arrival_ms >= ?",
                (self.region, name, shard, _ms(ts)),
            ).fetchone()[0]
            after = (got - 1) if got is not None else int(row["next_seq"]) - 1
        return {"ShardIterator": self._iterator(name, shard, after)}

    def _iterator(self, name: str, shard: int, after: int) -> str:
        raw = json.dumps([name, shard, after, _ms(self.now())], separators=(",", ":")).encode()
        return base64.b64encode(raw).decode()

    @api("GetRecords", category="Data")
    def get_records(self, *, ShardIterator: str, Limit: int | None = None, StreamARN: str | None = None,
                    **kw: Any) -> dict[str, Any]:  # fmt: skip
        try:
            name, shard, after, issued = json.loads(base64.b64decode(str(ShardIterator), validate=True))
        except (ValueError, TypeError, binascii.Error):
            raise invalid(f"Invalid ShardIterator: {ShardIterator}") from None
        limit = 10000 if Limit is None else int(Limit)
        if not 1 <= limit <= 10000:
            raise validation(Limit, "limit", "Member must have value less than or equal to 10000")
        now = _ms(self.now())
        if now - int(issued) > ITERATOR_TTL_MS:
            raise ServiceError("ExpiredIteratorException", f"Iterator expired. The iterator was created at time "
                               f"{datetime.fromtimestamp(issued / 1000, UTC):%a %b %d %H:%M:%S UTC %Y} while right now "
                               f"it is {self.now():%a %b %d %H:%M:%S UTC %Y} which is further in the future than the "
                               f"tolerated delay of {ITERATOR_TTL_MS} milliseconds.")  # fmt: skip
        self._stream(name)
        rows = self.conn.execute(
            "SELECT seq, arrival_ms, partition_key, data FROM kinesis_records WHERE region = ? AND stream = ? "
            "AND shard = ? AND seq > ? ORDER BY seq LIMIT ?",
            (self.region, name, shard, after, limit),
        ).fetchall()
        records = [{"SequenceNumber": seq_text(r["seq"]),
                    "ApproximateArrivalTimestamp": datetime.fromtimestamp(r["arrival_ms"] / 1000, UTC),
                    "Data": bytes(r["data"]), "PartitionKey": r["partition_key"]} for r in rows]  # fmt: skip
        last = rows[-1]["seq"] if rows else after
        latest = self.conn.execute(
            "SELECT max(arrival_ms) FROM kinesis_records WHERE region = ? AND stream = ? AND shard = ?",
            (self.region, name, shard),
        ).fetchone()[0]
        behind = max(0, int(latest) - int(rows[-1]["arrival_ms"])) if rows and latest else 0
        return {"Records": records, "NextShardIterator": self._iterator(name, shard, last),
                "MillisBehindLatest": behind}  # fmt: skip


def deliver_to_stream(store: Any, arn: str, payload: str | bytes, when: datetime, *, partition_key: str | None = None,
                      data: bytes | None = None, **_: Any) -> facts.Delivery:  # fmt: skip
    """TARGETS handler for ``arn:aws:kinesis:<region>:<account>:stream/<name>``: one record (``data`` bytes, else the
    payload's UTF-8) with ``partition_key`` (default: the payload's MD5), arriving at the store's clock."""
    parts = arn.split(":")
    if len(parts) < 6 or not parts[5].startswith("stream/"):
        return facts.Delivery("Recorded")
    svc = LocalKinesis(store, parts[3])
    body = data if data is not None else (payload.encode() if isinstance(payload, str) else payload)
    key = partition_key or hashlib.md5(body).hexdigest()
    try:
        shard, seq = svc.append(parts[5].removeprefix("stream/"), body, key)
    except ServiceError as exc:
        return facts.Delivery("Failed", exc.message, error_code=exc.code)
    return facts.Delivery("Delivered", f"{shard_id(shard)} {seq_text(seq)}", message_id=seq_text(seq))
