"""Simulated Kinesis Data Streams: bad input found by the outside probe (issue 15's rule on the resource groups).
The streams' behaviour is tested with their consumers (test_logs_subscriptions, test_firehose)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from tests.conftest import Cli


def _records(cli: Cli, stream: str) -> list[bytes]:
    it = cli.json("kinesis", "get-shard-iterator", "--stream-name", stream, "--shard-id", "shardId-000000000000",
                  "--shard-iterator-type", "TRIM_HORIZON")["ShardIterator"]  # fmt: skip
    return [base64.b64decode(r["Data"]) for r in cli.json("kinesis", "get-records", "--shard-iterator", it)["Records"]]


def test_shards_per_account_quota(pinned: Cli) -> None:
    res = pinned("kinesis", "create-stream", "--stream-name", "huge", "--shard-count", "100000")
    assert res.exit_code == 2 and ("LimitExceededException: This request would exceed the shard limit for the account "
                                   "123456789012 in us-east-1. Current shard count for the account: 0. Limit: 500. "
                                   "Number of additional shards that would have resulted from this request: 100000.") \
        in res.stderr  # fmt: skip
    pinned.ok("kinesis", "create-stream", "--stream-name", "big", "--shard-count", "499")
    pinned.ok("kinesis", "create-stream", "--stream-name", "one", "--shard-count", "1")
    res = pinned("kinesis", "create-stream", "--stream-name", "more", "--shard-count", "1")
    assert res.exit_code == 2 and "Current shard count for the account: 500" in res.stderr
    assert sorted(pinned.json("kinesis", "list-streams")["StreamNames"]) == ["big", "one"]
    res = pinned("kinesis", "create-stream", "--stream-name", "west", "--shard-count", "201", "--region", "eu-central-1")
    assert res.exit_code == 2 and "Limit: 200." in res.stderr


def test_data_from_files_and_bad_partition_keys(pinned: Cli, tmp_path: Path) -> None:
    pinned.ok("kinesis", "create-stream", "--stream-name", "s", "--shard-count", "1")
    raw = tmp_path / "rec.bin"
    raw.write_bytes(b"\x00\xffbytes")
    text = tmp_path / "rec.b64"
    text.write_text(base64.b64encode(b"from text").decode() + "\n")
    pinned.ok("kinesis", "put-record", "--stream-name", "s", "--partition-key", "k", "--data", f"fileb://{raw}")
    pinned.ok("kinesis", "put-record", "--stream-name", "s", "--partition-key", "k", "--data", f"file://{text}")
    assert _records(pinned, "s") == [b"\x00\xffbytes", b"from text"]
    res = pinned("kinesis", "put-record", "--stream-name", "s", "--partition-key", "", "--data", "aGk=")
    assert res.exit_code == 2 and ("Value '' at 'partitionKey' failed to satisfy constraint: Member must have length "
                                   "greater than or equal to 1") in res.stderr  # fmt: skip
    res = pinned("kinesis", "put-record", "--stream-name", "s", "--partition-key", "k", "--data", "not base64!")
    assert res.exit_code == 2 and "expected base64" in res.stderr
    assert len(_records(pinned, "s")) == 2
    assert json.loads(pinned.ok("kinesis", "describe-stream", "--stream-name", "s", "-o", "json").stdout)
