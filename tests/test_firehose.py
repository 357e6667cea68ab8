"""awsmon firehose: delivery streams to S3 (buffering hints on the local clock, AWS's key layout), both backends."""

from __future__ import annotations

import base64
import gzip
import json
import re
from pathlib import Path

from tests.conftest import Cli

ROLE = "arn:aws:iam::123456789012:role/firehose"
FH_ARN = "arn:aws:firehose:us-east-1:123456789012:deliverystream/logs"
KEY_RE = re.compile(r"out/2026/11/20/12/logs-1-2026-11-20-12-00-00-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                    r"[0-9a-f]{12}$")  # fmt: skip


def _create(cli: Cli, extra: str = "") -> None:
    cli.ok("s3", "mb", "s3://fh-bucket")
    cli.ok("firehose", "create-delivery-stream", "--delivery-stream-name", "logs",
           "--extended-s3-destination-configuration",
           f"RoleARN={ROLE},BucketARN=arn:aws:s3:::fh-bucket,Prefix=out/{extra}")  # fmt: skip


def _objects(home: Path) -> list[Path]:
    root = _root(home)
    return sorted(p for p in root.rglob("*") if p.is_file() and ".awsmon-meta" not in p.parts)


def _root(home: Path) -> Path:
    return home / "accounts" / "123456789012" / "s3" / "fh-bucket"


def test_delivery_stream_shapes(backend_cli: Cli) -> None:
    cli = backend_cli
    _create(cli)
    desc = cli.json("firehose", "describe-delivery-stream", "--delivery-stream-name", "logs")["DeliveryStreamDescription"]
    assert desc["DeliveryStreamARN"] == FH_ARN and desc["DeliveryStreamStatus"] == "ACTIVE"
    assert desc["DeliveryStreamType"] == "DirectPut" and desc["VersionId"] == "1"
    s3 = desc["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert s3["BucketARN"] == "arn:aws:s3:::fh-bucket" and s3["Prefix"] == "out/" and s3["RoleARN"] == ROLE
    assert cli.json("firehose", "list-delivery-streams")["DeliveryStreamNames"] == ["logs"]
    put = cli.json("firehose", "put-record", "--delivery-stream-name", "logs", "--record", "Data=aGVsbG8K")
    assert isinstance(put["RecordId"], str) and put["RecordId"]
    dup = cli("firehose", "create-delivery-stream", "--delivery-stream-name", "logs",
              "--extended-s3-destination-configuration", f"RoleARN={ROLE},BucketARN=arn:aws:s3:::fh-bucket")  # fmt: skip
    assert dup.exit_code != 0 and "ResourceInUseException" in dup.stderr
    cli.ok("firehose", "delete-delivery-stream", "--delivery-stream-name", "logs")
    gone = cli("firehose", "describe-delivery-stream", "--delivery-stream-name", "logs")
    assert gone.exit_code != 0 and "ResourceNotFoundException" in gone.stderr


def test_buffering_interval_and_key_layout(pinned: Cli, home: Path) -> None:
    _create(pinned, ",BufferingHints={SizeInMBs=1,IntervalInSeconds=60}")
    for text in (b"one\n", b"two\n"):
        pinned.ok("firehose", "put-record", "--delivery-stream-name", "logs", "--record",
                  "Data=" + base64.b64encode(text).decode())  # fmt: skip
    assert _objects(home) == []  # buffered until the interval runs out
    pinned.ok("account", "clock", "advance", "59s")
    assert _objects(home) == []
    pinned.ok("account", "clock", "advance", "2s")
    objs = _objects(home)
    assert len(objs) == 1 and KEY_RE.search(objs[0].relative_to(_root(home)).as_posix())
    assert objs[0].read_bytes() == b"one\ntwo\n"  # concatenated as sent, no delimiter


def test_size_hint_flushes_at_once(pinned: Cli, home: Path) -> None:
    _create(pinned, ",BufferingHints={SizeInMBs=1,IntervalInSeconds=900}")
    blob = base64.b64encode(b"x" * 600_000).decode()
    pinned.ok("firehose", "put-record", "--delivery-stream-name", "logs", "--record", f"Data={blob}")
    assert _objects(home) == []
    pinned.ok("firehose", "put-record", "--delivery-stream-name", "logs", "--record", f"Data={blob}")
    assert len(_objects(home)) == 1 and _objects(home)[0].stat().st_size == 1_200_000


def test_subscription_filter_to_firehose(pinned: Cli, home: Path) -> None:
    _create(pinned, ",BufferingHints={SizeInMBs=1,IntervalInSeconds=60}")
    pinned.ok("logs", "create-group", "--group", "/app")
    pinned.ok("logs", "create-stream", "--group", "/app", "--stream", "s")
    pinned.ok("logs", "put-subscription-filter", "--log-group-name", "/app", "--filter-name", "f", "--filter-pattern",
              "", "--destination-arn", FH_ARN, "--role-arn", ROLE)  # fmt: skip
    pinned.ok("logs", "put-events", "--group", "/app", "--stream", "s", "-m", "hello")
    pinned.ok("account", "clock", "advance", "2m")
    objs = _objects(home)
    assert len(objs) == 1
    raw = objs[0].read_bytes()
    # Concatenated gzip members: Python's gzip reads them back as one stream of JSON documents.
    docs = [json.loads(d) for d in gzip.decompress(raw).decode().replace("}{", "}\n{").splitlines()]
    assert [d["messageType"] for d in docs] == ["CONTROL_MESSAGE", "DATA_MESSAGE"]
    assert docs[0]["logEvents"][0]["message"] == "CWL CONTROL MESSAGE: Checking health of destination Firehose."
    assert [e["message"] for e in docs[1]["logEvents"]] == ["hello"] and docs[1]["logGroup"] == "/app"


def test_bad_delivery_streams_store_nothing(pinned: Cli) -> None:
    pinned.ok("s3", "mb", "s3://fh-bucket")
    cases = [
        "RoleARN=r,BucketARN=arn:aws:s3:::fh-bucket,BufferingHints={SizeInMBs=200}",
        "RoleARN=r,BucketARN=not-an-arn",
        "BucketARN=arn:aws:s3:::fh-bucket",
    ]
    for dest in cases:
        res = pinned("firehose", "create-delivery-stream", "--delivery-stream-name", "logs",
                     "--extended-s3-destination-configuration", dest)  # fmt: skip
        assert res.exit_code == 2, (dest, res.stderr)
    assert pinned.json("firehose", "list-delivery-streams")["DeliveryStreamNames"] == []
    missing = pinned("firehose", "put-record", "--delivery-stream-name", "nope", "--record", "Data=aGk=")
    assert missing.exit_code == 1 and "ResourceNotFoundException" in missing.stderr


def test_record_data_from_a_fileb_file(pinned: Cli, tmp_path: Path) -> None:
    """aws-cli v2 takes a blob as base64 or fileb://path; fileb:// was refused as bad base64."""
    _create(pinned)
    blob = tmp_path / "rec.bin"
    blob.write_bytes(b"\x00\xffraw bytes\n")
    pinned.ok("firehose", "put-record", "--delivery-stream-name", "logs", "--record", f"Data=fileb://{blob}")
    res = pinned("firehose", "put-record", "--delivery-stream-name", "logs", "--record", "Data=not base64!")
    assert res.exit_code == 2 and "expected base64 (aws-cli v2's blob format) or fileb://path" in res.stderr
    res = pinned("firehose", "put-record", "--delivery-stream-name", "logs", "--record", f"fileb://{tmp_path}/missing")
    assert res.exit_code == 2 and "No such file or directory" in res.stderr
