"""The local Amazon Data Firehose service (``firehose.amazonaws.com``): Direct PUT delivery streams to S3.

Records are buffered per stream and written as one S3 object when the buffer reaches ``BufferingHints.SizeInMBs``
(at once) or ``IntervalInSeconds`` after its first record (on the simulated clock, through the scheduler), with
AWS's key layout ``<Prefix>YYYY/MM/DD/HH/<stream>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid>`` (UTC, the time of the
buffer's first record; ``.gz`` after it with CompressionFormat GZIP). Records are concatenated as they came, with no
delimiter, as Firehose does. The object is written through the local S3 service's PutObject (Firehose calls S3 as
the delivery role); a missing bucket keeps the records buffered, as AWS retries a failing destination.
Other services deliver to a stream ARN through ``facts.deliver`` (:func:`deliver_to_delivery_stream`).
"""

from __future__ import annotations

import gzip
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from awsmon.backends.local import facts, scheduler
from awsmon.backends.local.base import LocalService, api, named_resource
from awsmon.backends.local.base import validation_error as validation
from awsmon.errors import ServiceError

scheduler.register("firehose.flush", "awsmon.backends.local.firehose:run_flush")

_NAME_RE = re.compile(r"[a-zA-Z0-9_.-]{1,64}")
DEFAULT_SIZE_MB = 5
DEFAULT_INTERVAL_S = 300
MAX_RECORD_BYTES = 1_024_000


def _ms(dt: datetime) -> int:
    return int(round(dt.timestamp() * 1000))


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidArgumentException", message)


class LocalFirehose(LocalService):
    service_name = "firehose"
    event_source = "firehose.amazonaws.com"
    payload_params = frozenset({"Record"})

    def stream_arn(self, name: str) -> str:
        return f"arn:aws:firehose:{self.region}:{self.account_id}:deliverystream/{name}"

    def _resources(self, op: str, params: dict[str, Any], result: Any) -> list[dict[str, str]]:
        return named_resource("AWS::KinesisFirehose::DeliveryStream", self.stream_arn, params.get("DeliveryStreamName"))

    def _stream(self, name: Any) -> Any:
        row = self.conn.execute(
            "SELECT * FROM firehose_streams WHERE region = ? AND name = ?", (self.region, name)
        ).fetchone()
        if row is None:
            raise ServiceError("ResourceNotFoundException", f"Firehose {name} under account {self.account_id} not found.")
        return row

    @api("CreateDeliveryStream")
    def create_delivery_stream(self, *, DeliveryStreamName: str, DeliveryStreamType: str = "DirectPut",
                               ExtendedS3DestinationConfiguration: dict[str, Any] | None = None,
                               S3DestinationConfiguration: dict[str, Any] | None = None,
                               **kw: Any) -> dict[str, Any]:  # fmt: skip
        if not isinstance(DeliveryStreamName, str) or not _NAME_RE.fullmatch(DeliveryStreamName):
            raise validation(DeliveryStreamName, "deliveryStreamName",
                             "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")  # fmt: skip
        if DeliveryStreamType != "DirectPut":
            raise invalid("Only DirectPut delivery streams are simulated locally.")
        dest = ExtendedS3DestinationConfiguration or S3DestinationConfiguration
        if not isinstance(dest, dict) or not dest.get("BucketARN") or not dest.get("RoleARN"):
            raise invalid("An S3 destination (ExtendedS3DestinationConfiguration with BucketARN and RoleARN) is required.")
        if not str(dest["BucketARN"]).startswith("arn:aws:s3:::"):
            raise validation(dest["BucketARN"], "extendedS3DestinationConfiguration.bucketARN",
                             "Member must satisfy regular expression pattern: arn:.*:s3:::[\\w\\.\\-]{1,255}")  # fmt: skip
        hints = dict(dest.get("BufferingHints") or {})
        size = int(hints.get("SizeInMBs", DEFAULT_SIZE_MB))
        interval = int(hints.get("IntervalInSeconds", DEFAULT_INTERVAL_S))
        if not 1 <= size <= 128:
            raise validation(size, "extendedS3DestinationConfiguration.bufferingHints.sizeInMBs",
                             "Member must have value less than or equal to 128")  # fmt: skip
        if not 0 <= interval <= 900:
            raise validation(interval, "extendedS3DestinationConfiguration.bufferingHints.intervalInSeconds",
                             "Member must have value less than or equal to 900")  # fmt: skip
        compression = dest.get("CompressionFormat", "UNCOMPRESSED")
        if compression not in ("UNCOMPRESSED", "GZIP"):
            raise invalid(f"CompressionFormat {compression} is not simulated locally (UNCOMPRESSED or GZIP).")
        if self.conn.execute("SELECT 1 FROM firehose_streams WHERE region = ? AND name = ?",
                             (self.region, DeliveryStreamName)).fetchone():  # fmt: skip
            raise ServiceError("ResourceInUseException",
                               f"Firehose {DeliveryStreamName} under accountId {self.account_id} already exists")  # fmt: skip
        stored = {"RoleARN": dest["RoleARN"], "BucketARN": dest["BucketARN"], "Prefix": dest.get("Prefix", ""),
                  "ErrorOutputPrefix": dest.get("ErrorOutputPrefix", ""),
                  "BufferingHints": {"SizeInMBs": size, "IntervalInSeconds": interval},
                  "CompressionFormat": compression, "EncryptionConfiguration": {"NoEncryptionConfig": "NoEncryption"}}
        self.conn.execute(
            "INSERT INTO firehose_streams (region, name, stream_type, destination, created_ms) VALUES (?,?,?,?,?)",
            (self.region, DeliveryStreamName, DeliveryStreamType, json.dumps(stored), _ms(self.now())),
        )
        return {"DeliveryStreamARN": self.stream_arn(DeliveryStreamName)}

    @api("DescribeDeliveryStream")
    def describe_delivery_stream(self, *, DeliveryStreamName: str, **kw: Any) -> dict[str, Any]:
        row = self._stream(DeliveryStreamName)
        dest = json.loads(row["destination"])
        created = datetime.fromtimestamp(row["created_ms"] / 1000, UTC)
        return {"DeliveryStreamDescription": {
            "DeliveryStreamName": row["name"], "DeliveryStreamARN": self.stream_arn(row["name"]),
            "DeliveryStreamStatus": "ACTIVE", "DeliveryStreamType": row["stream_type"],
            "VersionId": str(row["version"]), "CreateTimestamp": created,
            "Destinations": [{"DestinationId": "destinationId-000000000001",
                              "S3DestinationDescription": dict(dest),
                              "ExtendedS3DestinationDescription": dest}],
            "HasMoreDestinations": False,
        }}  # fmt: skip

    @api("ListDeliveryStreams")
    def list_delivery_streams(self, *, Limit: int | None = None, ExclusiveStartDeliveryStreamName: str | None = None,
                              **kw: Any) -> dict[str, Any]:  # fmt: skip
        limit = 10 if Limit is None else int(Limit)
        rows = self.conn.execute(
            "SELECT name FROM firehose_streams WHERE region = ? AND name > ? ORDER BY name LIMIT ?",
            (self.region, ExclusiveStartDeliveryStreamName or "", limit + 1),
        ).fetchall()
        return {"DeliveryStreamNames": [r["name"] for r in rows[:limit]], "HasMoreDeliveryStreams": len(rows) > limit}

    @api("DeleteDeliveryStream")
    def delete_delivery_stream(self, *, DeliveryStreamName: str, **kw: Any) -> dict[str, Any]:
        self._stream(DeliveryStreamName)
        self.conn.execute("DELETE FROM firehose_buffer WHERE region = ? AND stream = ?", (self.region, DeliveryStreamName))
        self.conn.execute("DELETE FROM firehose_streams WHERE region = ? AND name = ?", (self.region, DeliveryStreamName))
        scheduler.unschedule(self.store, "firehose.flush", f"{self.region}:{DeliveryStreamName}")
        return {}

    def append(self, name: str, data: bytes) -> str:
        """Buffer one record; flush when the size hint is reached, else due IntervalInSeconds after the first."""
        row = self._stream(name)
        hints = json.loads(row["destination"])["BufferingHints"]
        now = self.now()
        self.conn.execute("INSERT INTO firehose_buffer (region, stream, arrival_ms, data) VALUES (?,?,?,?)",
                          (self.region, name, _ms(now), bytes(data)))  # fmt: skip
        size = self.conn.execute("SELECT sum(length(data)) FROM firehose_buffer WHERE region = ? AND stream = ?",
                                 (self.region, name)).fetchone()[0]  # fmt: skip
        if size >= hints["SizeInMBs"] * 1024 * 1024:
            self.flush(name)
        else:
            scheduler.schedule_if_absent(self.store, "firehose.flush", f"{self.region}:{name}",
                                         now + timedelta(seconds=hints["IntervalInSeconds"]))  # fmt: skip
        return uuid.uuid4().hex + uuid.uuid4().hex

    def flush(self, name: str) -> str | None:
        """Write the buffered records as one object; returns its key (None: nothing buffered, or no bucket yet)."""
        row = self._stream(name)
        dest = json.loads(row["destination"])
        records = self.conn.execute(
            "SELECT id, arrival_ms, data FROM firehose_buffer WHERE region = ? AND stream = ? ORDER BY id",
            (self.region, name),
        ).fetchall()
        if not records:
            return None
        first = datetime.fromtimestamp(records[0]["arrival_ms"] / 1000, UTC)
        body = b"".join(bytes(r["data"]) for r in records)
        key = (f"{dest['Prefix']}{first:%Y/%m/%d/%H}/{name}-{row['version']}-{first:%Y-%m-%d-%H-%M-%S}-"
               f"{uuid.uuid4()}")  # fmt: skip
        if dest["CompressionFormat"] == "GZIP":
            body, key = gzip.compress(body, mtime=0), key + ".gz"
        bucket = dest["BucketARN"].removeprefix("arn:aws:s3:::")
        try:
            facts.api_client(self.store, self.region, "s3").put_object(Bucket=bucket, Key=key, Body=body)
        except ServiceError:
            return None  # the destination refuses: AWS retries; the records stay buffered for the next flush
        self.conn.execute("DELETE FROM firehose_buffer WHERE region = ? AND stream = ? AND id <= ?",
                          (self.region, name, records[-1]["id"]))  # fmt: skip
        return key

    @api("PutRecord", category="Data")
    def put_record(self, *, DeliveryStreamName: str, Record: dict[str, Any], **kw: Any) -> dict[str, Any]:
        data = (Record or {}).get("Data") if isinstance(Record, dict) else None
        if isinstance(data, str):
            data = data.encode()
        if not isinstance(data, bytes | bytearray):
            raise validation(None, "record.data", "Member must not be null")
        if len(data) > MAX_RECORD_BYTES:
            raise validation("java.nio.HeapByteBuffer", "record.data",
                             f"Member must have length less than or equal to {MAX_RECORD_BYTES}")  # fmt: skip
        return {"RecordId": self.append(DeliveryStreamName, bytes(data)), "Encrypted": False}


def run_flush(store: Any, key: str, due: datetime, now: datetime) -> datetime | None:
    """The buffering interval of a stream ran out: write what is buffered (again in a minute if S3 refused)."""
    region, _, name = key.partition(":")
    svc = LocalFirehose(store, region)
    try:
        svc._stream(name)
    except ServiceError:
        return None
    if svc.flush(name) is None and svc.conn.execute(
            "SELECT 1 FROM firehose_buffer WHERE region = ? AND stream = ? LIMIT 1", (region, name)).fetchone():  # fmt: skip
        return now + timedelta(seconds=60)
    return None


def deliver_to_delivery_stream(store: Any, arn: str, payload: str | bytes, when: datetime, *,
                               data: bytes | None = None, **_: Any) -> facts.Delivery:  # fmt: skip
    """TARGETS handler for ``arn:aws:firehose:<region>:<account>:deliverystream/<name>``: one record (``data``
    bytes, else the payload's UTF-8), buffered toward the next S3 object."""
    parts = arn.split(":")
    if len(parts) < 6 or not parts[5].startswith("deliverystream/"):
        return facts.Delivery("Recorded")
    svc = LocalFirehose(store, parts[3])
    body = data if data is not None else (payload.encode() if isinstance(payload, str) else payload)
    try:
        rid = svc.append(parts[5].removeprefix("deliverystream/"), body)
    except ServiceError as exc:
        return facts.Delivery("Failed", exc.message, error_code=exc.code)
    return facts.Delivery("Delivered", "buffered", message_id=rid)
