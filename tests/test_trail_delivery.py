"""Simulated delivery: log files every ~5 minutes, hourly signed digests, selectors, regions, clock jumps."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

from tests.conftest import Cli

ACCOUNT = "123456789012"
LOG_RE = re.compile(r"^AWSLogs/123456789012/CloudTrail/([a-z0-9-]+)/\d{4}/\d{2}/\d{2}/"
                    r"123456789012_CloudTrail_\1_\d{8}T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$")  # fmt: skip


def _bucket(cli: Cli, name: str) -> Path:
    return Path(cli.env["AWSMON_HOME"]) / "accounts" / ACCOUNT / "s3" / name


def _log_records(bucket: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for f in sorted((bucket / "AWSLogs").rglob("*.json.gz")):
        if "CloudTrail-Digest" not in f.parts:
            out += json.loads(gzip.decompress(f.read_bytes()))["Records"]
    return out


def _logs(bucket: Path) -> list[Path]:
    return [f for f in sorted((bucket / "AWSLogs").rglob("*.json.gz")) if "CloudTrail-Digest" not in f.parts]


def test_five_minute_delivery_layout_and_lookup_sees_events_first(pinned: Cli) -> None:
    pinned.ok("trail", "create", "--name", "dl-trail", "--s3-new-bucket", "dl-bucket")
    pinned.ok("trail", "start-logging", "--name", "dl-trail")
    bucket = _bucket(pinned, "dl-bucket")
    pinned.ok("account", "clock", "advance", "4m")
    assert _logs(bucket) == []
    assert pinned.json("trail", "lookup", "--event-name", "StartLogging")["Events"]  # lookup sees it already
    pinned.ok("account", "clock", "advance", "2m")
    logs = _logs(bucket)
    assert len(logs) == 1
    key = str(logs[0].relative_to(bucket))
    assert LOG_RE.match(key) and "_20261120T1205Z_" in key
    names = [r["eventName"] for r in _log_records(bucket)]
    assert names == ["StartLogging", "LookupEvents"]  # CreateTrail came before logging started
    status = pinned.json("trail", "get-status", "--name", "dl-trail")
    assert status["LatestDeliveryTime"] == "2026-11-20T12:05:00Z"


def test_clock_jump_writes_no_empty_log_files_but_hourly_digests(pinned: Cli) -> None:
    import time

    pinned.ok("trail", "create", "--name", "jump-trail", "--s3-new-bucket", "jump-bucket", "--enable-log-file-validation")
    pinned.ok("trail", "start-logging", "--name", "jump-trail")
    started = time.perf_counter()
    pinned.ok("account", "clock", "advance", "3d")
    elapsed = time.perf_counter() - started
    bucket = _bucket(pinned, "jump-bucket")
    assert len(_logs(bucket)) == 1
    digests = sorted((bucket / "AWSLogs").rglob("*_CloudTrail-Digest_*.json.gz"))
    assert len(digests) == 72  # AWS writes a digest every hour, empty ones included
    empty = json.loads(gzip.decompress(digests[-1].read_bytes()))
    assert empty["logFiles"] == [] and empty["newestEventTime"] is None
    assert elapsed < 5, elapsed
    res = pinned("trail", "validate-digest", "--trail", "jump-trail", "-o", "table")
    assert res.exit_code == 0 and "72/72 digest files valid" in res.stdout


def test_digest_structure_signature_and_public_key(pinned: Cli) -> None:
    import base64
    import hashlib

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    pinned.ok("trail", "create", "--name", "sig-trail", "--s3-new-bucket", "sig-bucket", "--enable-log-file-validation",
              "--s3-key-prefix", "org/logs")  # fmt: skip
    pinned.ok("trail", "start-logging", "--name", "sig-trail")
    pinned.ok("account", "clock", "advance", "125m")
    bucket = _bucket(pinned, "sig-bucket")
    digests = sorted((bucket / "org/logs/AWSLogs").rglob("*_CloudTrail-Digest_*.json.gz"))
    assert [d.name[-24:-8] for d in digests] == ["20261120T130000Z", "20261120T140000Z"]
    first, second = (gzip.decompress(d.read_bytes()) for d in digests)
    d1, d2 = json.loads(first), json.loads(second)
    assert list(d1) == ["awsAccountId", "digestStartTime", "digestEndTime", "digestS3Bucket", "digestS3Object",
                        "digestPublicKeyFingerprint", "digestSignatureAlgorithm", "newestEventTime", "oldestEventTime",
                        "previousDigestS3Bucket", "previousDigestS3Object", "previousDigestHashValue",
                        "previousDigestHashAlgorithm", "previousDigestSignature", "logFiles"]  # fmt: skip
    assert d1["previousDigestSignature"] is None and d1["digestStartTime"] == "2026-11-20T12:00:00Z"
    assert d2["digestStartTime"] == d1["digestEndTime"] == "2026-11-20T13:00:00Z"
    assert d2["previousDigestS3Object"] == d1["digestS3Object"] and d2["previousDigestHashValue"] == hashlib.sha256(first).hexdigest()
    meta1 = json.loads((bucket / ".awsmon-meta" / (str(digests[0].relative_to(bucket)) + ".json")).read_text())["Metadata"]
    assert d2["previousDigestSignature"] == meta1["signature"] and meta1["signature-algorithm"] == "SHA256withRSA"
    log = d1["logFiles"][0]
    assert log["hashValue"] == hashlib.sha256(gzip.decompress((bucket / log["s3Object"]).read_bytes())).hexdigest()
    key = pinned.json("trail", "list-public-keys")["PublicKeyList"][0]
    der = base64.b64decode(key["Value"])
    assert key["Fingerprint"] == hashlib.md5(der).hexdigest() == d1["digestPublicKeyFingerprint"]
    res = pinned("trail", "validate-digest", "--trail", "sig-trail", "--verbose", "-o", "table")
    assert res.exit_code == 0 and "2/2 digest files valid" in res.stdout and "s3://sig-bucket/org/logs/AWSLogs/" in res.stdout
    res = pinned("trail", "validate-digest", "--trail", "sig-trail", "--s3-prefix", "other", "-o", "table")
    # Nothing validated is a failure (exit 3) saying what was searched; --allow-empty gives aws-cli's exit 0.
    assert res.exit_code == 3 and "No digests found" in res.stdout
    assert "nothing validated: no digest file was verified in s3://sig-bucket/other/AWSLogs/123456789012/" in res.stderr
    res = pinned("trail", "validate-digest", "--trail", "sig-trail", "--s3-prefix", "other", "--allow-empty", "-o", "table")
    assert res.exit_code == 0 and "No digests found" in res.stdout
    signed = (f"{d1['digestEndTime']}\nsig-bucket/{d1['digestS3Object']}\n{hashlib.sha256(first).hexdigest()}\nnull").encode()
    load_der_public_key(der).verify(bytes.fromhex(meta1["signature"]), signed, padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr,call-arg]


def test_selectors_read_write_and_data_events(pinned: Cli, ctx: Any) -> None:
    pinned.ok("trail", "create", "--name", "sel-trail", "--s3-new-bucket", "sel-bucket")
    pinned.ok("trail", "put-event-selectors", "--trail-name", "sel-trail", "--management-events", "write")
    pinned.ok("trail", "start-logging", "--name", "sel-trail")
    pinned.ok("trail", "describe")
    from awsmon.backends.local.base import insert_record

    store = ctx.store()
    data_event = {"eventTime": "2026-11-20T12:01:00Z", "eventName": "GetObject", "eventSource": "s3.amazonaws.com",
                  "eventID": "data-1", "awsRegion": "us-east-1", "readOnly": True, "eventCategory": "Data",
                  "resources": [{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::sel-bucket/k"}]}  # fmt: skip
    with store.transaction():
        insert_record(store, data_event)
    pinned.ok("account", "clock", "advance", "10m")
    names = {r["eventName"] for r in _log_records(_bucket(pinned, "sel-bucket"))}
    assert "StartLogging" in names and "DescribeTrails" not in names and "GetObject" not in names
    selectors = [{"ReadWriteType": "All", "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]}]
    pinned.ok("trail", "put-event-selectors", "--trail-name", "sel-trail", "--event-selectors", json.dumps(selectors))
    with store.transaction():
        insert_record(store, dict(data_event, eventID="data-2", eventTime="2026-11-20T12:11:00Z"))
    pinned.ok("account", "clock", "advance", "10m")
    recs = _log_records(_bucket(pinned, "sel-bucket"))
    assert [r["eventID"] for r in recs if r["eventName"] == "GetObject"] == ["data-2"]
    lookup = pinned.json("trail", "lookup", "--event-name", "GetObject")["Events"]
    assert lookup == []  # LookupEvents never returns data events


def test_multi_region_trail_and_single_region_scope(pinned: Cli) -> None:
    pinned.ok("trail", "create", "--name", "all-regions", "--s3-new-bucket", "mr-bucket", "--is-multi-region-trail",
              "--enable-log-file-validation")  # fmt: skip
    pinned.ok("trail", "create", "--name", "home-only", "--s3-new-bucket", "sr-bucket")
    pinned.ok("trail", "start-logging", "--name", "all-regions")
    pinned.ok("trail", "start-logging", "--name", "home-only")
    pinned.ok("--region", "eu-west-1", "trail", "describe")
    pinned.ok("account", "clock", "advance", "65m")
    mr = {r["awsRegion"] for r in _log_records(_bucket(pinned, "mr-bucket"))}
    sr = {r["awsRegion"] for r in _log_records(_bucket(pinned, "sr-bucket"))}
    assert mr == {"us-east-1", "eu-west-1"} and sr == {"us-east-1"}
    west = list((_bucket(pinned, "mr-bucket") / "AWSLogs" / ACCOUNT / "CloudTrail-Digest" / "eu-west-1").rglob("*.json.gz"))
    assert west and "_CloudTrail-Digest_eu-west-1_all-regions_us-east-1_" in west[0].name


def test_stop_and_delete_write_final_digest(pinned: Cli) -> None:
    pinned.ok("trail", "create", "--name", "fin-trail", "--s3-new-bucket", "fin-bucket", "--enable-log-file-validation")
    pinned.ok("trail", "start-logging", "--name", "fin-trail")
    pinned.ok("account", "clock", "advance", "30m")
    pinned.ok("trail", "stop-logging", "--name", "fin-trail")
    pinned.ok("trail", "get-status", "--name", "fin-trail")
    bucket = _bucket(pinned, "fin-bucket")
    digests = sorted((bucket / "AWSLogs").rglob("*_CloudTrail-Digest_*.json.gz"))
    assert [d.name[-24:-8] for d in digests] == ["20261120T123000Z"]
    final = json.loads(gzip.decompress(digests[0].read_bytes()))
    assert {Path(lf["s3Object"]).name for lf in final["logFiles"]} == {p.name for p in _logs(bucket)}
    assert "StopLogging" in {r["eventName"] for r in _log_records(bucket)}
    pinned.ok("trail", "start-logging", "--name", "fin-trail")
    pinned.ok("account", "clock", "advance", "10m")
    pinned.ok("trail", "delete", "--name", "fin-trail")
    digests = sorted((bucket / "AWSLogs").rglob("*_CloudTrail-Digest_*.json.gz"))
    assert [d.name[-24:-8] for d in digests] == ["20261120T123000Z", "20261120T124000Z"]


def test_cloudwatch_logs_delivery(pinned: Cli) -> None:
    pinned.ok("logs", "create-group", "--name", "trail-group")
    pinned.ok("trail", "create", "--name", "cwl-trail", "--s3-new-bucket", "cwl-bucket", "--cloud-watch-logs-log-group",
              "trail-group")  # fmt: skip
    pinned.ok("trail", "start-logging", "--name", "cwl-trail")
    pinned.ok("account", "clock", "advance", "6m")
    events = pinned.json("logs", "filter", "--group", "trail-group")["events"]
    assert [json.loads(e["message"])["eventName"] for e in events] == ["StartLogging"]
    assert events[0]["logStreamName"] == f"{ACCOUNT}_CloudTrail_us-east-1"
    status = pinned.json("trail", "get-status", "--name", "cwl-trail")
    assert status["LatestCloudWatchLogsDeliveryTime"] == status["LatestDeliveryTime"] == "2026-11-20T12:05:00Z"


def test_demo_step_is_idempotent(pinned: Cli) -> None:
    from awsmon.context import AppContext
    from awsmon.services.trail import demo_step

    for _ in range(2):
        c = AppContext.create(backend="local", home=pinned.env["AWSMON_HOME"], output="json")
        try:
            tips = demo_step(c)
        finally:
            c.close()
    assert "awsmon trail validate-digest --trail awsmon-demo" in tips
    assert [t["Name"] for t in pinned.json("trail", "describe")["trailList"]] == ["awsmon-demo"]
    res = pinned("trail", "validate-digest", "--trail", "awsmon-demo", "-o", "table")
    assert res.exit_code == 0 and "1/1 digest files valid" in res.stdout


def _global_event(event_id: str, when: str) -> dict[str, Any]:
    return {"eventTime": when, "eventName": "CreateUser", "eventSource": "iam.amazonaws.com", "eventID": event_id,
            "awsRegion": "us-east-1", "readOnly": False, "eventCategory": "Management"}  # fmt: skip


def test_include_global_service_events_false_leaves_global_events_out(pinned: Cli, ctx: Any) -> None:
    from awsmon.backends.local.base import insert_record

    # AWS (and moto) refuse a multi-region trail without global-service events, at create and at update.
    res = pinned("trail", "create", "--name", "glob-mr", "--s3-new-bucket", "glob-bucket", "--is-multi-region-trail",
                 "--no-include-global-service-events")  # fmt: skip
    assert res.exit_code == 2 and "Multi-Region trail must include global service events." in res.stderr
    assert pinned("s3", "ls", "s3://glob-bucket").exit_code != 0  # the refused trail's new bucket is gone
    pinned.ok("trail", "create", "--name", "glob-mr", "--s3-new-bucket", "glob-bucket", "--is-multi-region-trail")
    res = pinned("trail", "update", "--name", "glob-mr", "--no-include-global-service-events")
    assert res.exit_code == 2 and "InvalidParameterCombinationException" in res.stderr
    pinned.ok("trail", "create", "--name", "glob-off", "--s3-new-bucket", "nog-bucket",
              "--no-include-global-service-events")  # fmt: skip
    pinned.ok("trail", "start-logging", "--name", "glob-mr")
    pinned.ok("trail", "start-logging", "--name", "glob-off")
    store = ctx.store()
    with store.transaction():
        insert_record(store, _global_event("iam-1", "2026-11-20T12:01:00Z"))
    pinned.ok("account", "clock", "advance", "10m")
    with_global = {r["eventName"] for r in _log_records(_bucket(pinned, "glob-bucket"))}
    without = {r["eventName"] for r in _log_records(_bucket(pinned, "nog-bucket"))}
    assert "CreateUser" in with_global and "StartLogging" in with_global
    assert "CreateUser" not in without and "StartLogging" in without
    # Switching to a single-region trail with global events off is allowed in one call, and then applies.
    pinned.ok("trail", "update", "--name", "glob-mr", "--no-is-multi-region-trail", "--no-include-global-service-events")
    with store.transaction():
        insert_record(store, _global_event("iam-2", "2026-11-20T12:11:00Z"))
    pinned.ok("account", "clock", "advance", "10m")
    assert [r["eventID"] for r in _log_records(_bucket(pinned, "glob-bucket")) if r["eventName"] == "CreateUser"] == ["iam-1"]


def test_retention_deletes_local_events_after_90_days_never_imported_ones(pinned: Cli, ctx: Any, tmp_path: Path) -> None:
    old = {"eventTime": "2026-11-19T10:00:00Z", "eventName": "OldImported", "eventSource": "ec2.amazonaws.com",
           "eventID": "imp-1", "awsRegion": "us-east-1", "readOnly": True, "eventCategory": "Management",
           "resources": [{"type": "AWS::EC2::Instance", "ARN": "arn:aws:ec2:us-east-1:1:instance/i-1"}]}  # fmt: skip
    (tmp_path / "imp.json").write_text(json.dumps({"Records": [old]}))
    pinned.ok("trail", "import", str(tmp_path / "imp.json"))
    pinned.ok("trail", "create", "--name", "ret-trail", "--s3-new-bucket", "ret-bucket")  # recorded at 12:00
    store = ctx.store()

    def count(origin: str) -> int:
        return int(store.conn.execute("SELECT count(*) FROM events WHERE origin = ?", (origin,)).fetchone()[0])

    assert count("local") == 3  # CreateBucket, PutBucketPolicy, CreateTrail
    pinned.ok("account", "clock", "advance", "89d")
    assert pinned.json("trail", "lookup", "--event-name", "CreateTrail")["Events"]  # not expired yet
    assert count("local") == 4  # + that LookupEvents call (89 days later)
    pinned.ok("account", "clock", "advance", "2d")
    # Everything recorded 91 days ago is gone (with its resource rows); the recent clock/lookup calls stay.
    first_batch = store.conn.execute("SELECT count(*) FROM events WHERE origin = 'local' AND event_time < ?",
                                     (1763640000000 + 86_400_000,)).fetchone()[0]  # fmt: skip
    assert first_batch == 0
    orphans = store.conn.execute("SELECT count(*) FROM event_resources WHERE event_seq NOT IN (SELECT seq FROM events)")
    assert orphans.fetchone()[0] == 0
    assert store.conn.execute("SELECT count(*) FROM ct_hist_ids").fetchone()[0] == 1  # the history store keeps it
    assert pinned.json("trail", "lookup", "--event-name", "OldImported")["Events"][0]["EventId"] == "imp-1"
    assert pinned.json("trail", "lookup", "--event-name", "CreateTrail")["Events"] == []
    job = store.conn.execute("SELECT next_due_ms FROM jobs WHERE kind = 'cloudtrail.retention'").fetchone()
    oldest = store.conn.execute("SELECT min(event_time) FROM events WHERE origin = 'local'").fetchone()[0]
    assert job[0] == oldest + 90 * 86_400_000 + 1  # next run: when the oldest remaining local event expires


def test_list_trails(pinned: Cli) -> None:
    pinned.ok("trail", "create", "--name", "list-a", "--s3-new-bucket", "list-bucket")
    pinned.ok("trail", "create", "--name", "list-mr", "--s3-bucket-name", "list-bucket", "--is-multi-region-trail")
    pinned.ok("--region", "eu-west-1", "trail", "create", "--name", "list-w", "--s3-bucket-name", "list-bucket")
    got = pinned.json("--region", "eu-west-1", "trail", "list")["Trails"]
    assert {(t["Name"], t["HomeRegion"]) for t in got} == {("list-w", "eu-west-1"), ("list-mr", "us-east-1")}
    res = pinned.ok("trail", "list", "-o", "table")
    assert res.stdout.splitlines()[0].split() == ["Name", "HomeRegion", "TrailARN"] and "list-a" in res.stdout
    assert pinned.json("trail", "list", "--query", "Trails[].Name") == ["list-a", "list-mr"]


def test_unstorable_prefix_refused_and_failed_delivery_never_blocks_commands(pinned: Cli) -> None:
    for prefix in ("logs/", "../../escape", "a//b", "/abs"):
        res = pinned("trail", "create", "--name", "pfx-trail", "--s3-new-bucket", "pfx-bucket", "--s3-key-prefix", prefix)
        assert res.exit_code == 2 and res.stderr.count("\n") == 1 and "InvalidS3PrefixException" in res.stderr, prefix
    pinned.ok("trail", "create", "--name", "pfx-trail", "--s3-new-bucket", "pfx-bucket", "--s3-key-prefix", "ok/logs",
              "--enable-log-file-validation")  # fmt: skip
    res = pinned("trail", "update", "--name", "pfx-trail", "--s3-key-prefix", "bad/")
    assert res.exit_code == 2 and "InvalidS3PrefixException" in res.stderr
    pinned.ok("trail", "start-logging", "--name", "pfx-trail")
    bucket = _bucket(pinned, "pfx-bucket")
    (bucket / "ok").mkdir(parents=True)
    (bucket / "ok" / "logs").write_text("an object where the delivery folder should be")
    pinned.ok("account", "clock", "advance", "65m")  # the log file and the digest cannot be written
    status = pinned.json("trail", "get-status", "--name", "pfx-trail")
    assert "cannot write s3://pfx-bucket/ok/logs/AWSLogs/" in status["LatestDeliveryError"]
    assert "cannot write s3://pfx-bucket/ok/logs/AWSLogs/" in status["LatestDigestDeliveryError"]
    (bucket / "ok" / "logs").unlink()
    pinned.ok("trail", "describe")
    pinned.ok("account", "clock", "advance", "1h")  # delivery resumes; the next digest starts a new chain
    status = pinned.json("trail", "get-status", "--name", "pfx-trail")
    assert "LatestDeliveryError" not in status and "LatestDigestDeliveryError" not in status
    digests = sorted((bucket / "ok" / "logs" / "AWSLogs").rglob("*_CloudTrail-Digest_*.json.gz"))
    assert len(digests) == 1 and json.loads(gzip.decompress(digests[0].read_bytes()))["previousDigestS3Object"] is None
    res = pinned("trail", "validate-digest", "--trail", "pfx-trail", "-o", "table")
    assert res.exit_code == 0 and "1/1 digest files valid" in res.stdout
