"""trail import: every file shape, bucket trees with digests, idempotency, bad input, --dry-run, --region."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from tests.conftest import Cli, shared_path


def _rec(i: int, **kw: object) -> dict[str, object]:
    base = {"eventVersion": "1.10", "eventTime": f"2026-11-20T10:{i % 60:02d}:00Z", "eventSource": "s3.amazonaws.com",
            "eventName": "PutBucketPolicy", "awsRegion": "eu-west-1", "eventID": f"id-{i}", "readOnly": False,
            "userIdentity": {"type": "IAMUser", "userName": "alice", "accessKeyId": "AKIAEXAMPLE"},
            "someFutureField": {"nested": [1, 2]}}  # fmt: skip
    base.update(kw)
    return base


def test_invictus_golden_and_idempotent(pinned: Cli) -> None:
    path = str(shared_path("datasets", "cloudtrail", "invictus"))
    res = pinned.ok("trail", "import", path, "-o", "json")
    data = res.json()
    assert data["Files"] == 55 and data["Records"] == 2900 and data["Imported"] == 2900 and data["Duplicates"] == 0
    assert data["FirstEventTime"] == "2023-07-10T11:42:18Z" and data["LastEventTime"] == "2023-07-10T12:37:50Z"
    assert data["OlderThan90Days"] == 2900 and "exempt from the 90-day window" in res.stderr
    assert {s["Reason"] for s in data["SkippedFiles"]} >= {"not a JSON or gzip file (.md)"}
    again = pinned.json("trail", "import", path)
    assert again["Imported"] == 0 and again["Duplicates"] == 2900


def test_shapes_gz_array_jsonl_and_unknown_fields(pinned: Cli, tmp_path: Path) -> None:
    (tmp_path / "a.json.gz").write_bytes(gzip.compress(json.dumps({"Records": [_rec(1), _rec(2)]}).encode()))
    (tmp_path / "b.json").write_text(json.dumps([_rec(3), _rec(4)]))
    (tmp_path / "c.jsonl").write_text("\n".join(json.dumps(_rec(i)) for i in (5, 6, 7)) + "\n")
    no_time = _rec(8)
    del no_time["eventTime"]
    no_time["@timestamp"] = "2026-11-20T10:08:00.000Z"
    del no_time["eventID"]
    (tmp_path / "d.json").write_text(json.dumps([no_time]))
    data = pinned.json("trail", "import", str(tmp_path))
    assert (data["Files"], data["Records"], data["Imported"]) == (4, 8, 8)
    assert data["Regions"] == {"eu-west-1": 8}
    recs = pinned.json("--region", "eu-west-1", "trail", "lookup", "--username", "alice", "--records")["Records"]
    assert len(recs) == 8 and all(r["someFutureField"] == {"nested": [1, 2]} for r in recs)
    assert pinned.json("trail", "import", str(tmp_path))["Duplicates"] == 8  # generated ids are stable


def test_bucket_tree_skips_digests_and_metadata(pinned: Cli, tmp_path: Path) -> None:
    pinned.ok("trail", "create", "--name", "tree-trail", "--s3-new-bucket", "tree-bucket", "--enable-log-file-validation")
    pinned.ok("trail", "start-logging", "--name", "tree-trail")
    pinned.ok("trail", "describe")
    pinned.ok("account", "clock", "advance", "2h")
    bucket = Path(pinned.env["AWSMON_HOME"]) / "accounts" / "123456789012" / "s3" / "tree-bucket"
    res = pinned.json("trail", "import", str(bucket), "--dry-run")
    assert res["DryRun"] is True and res["Files"] >= 1 and res["Imported"] == 0 and res["Duplicates"] == res["Records"]
    assert {s["Reason"] for s in res["SkippedFiles"]} == {"CloudTrail digest file"}


def test_region_override_and_dry_run_stores_nothing(pinned: Cli, tmp_path: Path) -> None:
    f = tmp_path / "r.json"
    f.write_text(json.dumps({"Records": [_rec(1)]}))
    assert pinned.json("trail", "import", str(f), "--dry-run")["Imported"] == 1
    assert pinned.json("--region", "eu-west-1", "trail", "lookup", "--username", "alice")["Events"] == []
    pinned.ok("trail", "import", str(f), "--region", "ap-south-1")
    events = pinned.json("--region", "ap-south-1", "trail", "lookup", "--username", "alice")["Events"]
    assert len(events) == 1 and json.loads(events[0]["CloudTrailEvent"])["awsRegion"] == "eu-west-1"


def test_corrupt_gzip_truncated_json_keep_stored_data(pinned: Cli, tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"Records": [_rec(1)]}))
    pinned.ok("trail", "import", str(good))
    bad_gz = tmp_path / "bad.json.gz"
    bad_gz.write_bytes(gzip.compress(json.dumps({"Records": [_rec(2), _rec(3)]}).encode())[:-30])
    res = pinned("trail", "import", str(bad_gz))
    assert res.exit_code == 2 and res.stdout.count("\n") >= 1
    assert res.stderr.splitlines()[-1].startswith(f"awsmon: error: {bad_gz}: corrupt gzip data")
    trunc = tmp_path / "trunc.json"
    trunc.write_text(json.dumps({"Records": [_rec(4), _rec(5)]})[:-10])
    res = pinned("trail", "import", str(trunc), "-o", "json")
    assert res.exit_code == 2 and "truncated or invalid JSON" in res.stderr
    assert res.json()["FailedFiles"][0]["Path"] == str(trunc)
    events = pinned.json("--region", "eu-west-1", "trail", "lookup", "--username", "alice")["Events"]
    assert [e["EventId"] for e in events] == ["id-1"]  # nothing from the bad files, nothing lost
    res = pinned("trail", "import", str(tmp_path / "missing.json"))
    assert res.exit_code == 2 and "no such file" in res.stderr


def test_insight_events_only_with_event_category(pinned: Cli, tmp_path: Path) -> None:
    insight = {"eventVersion": "1.07", "eventTime": "2026-11-20T11:13:00Z", "awsRegion": "us-east-1",
               "eventID": "ins-1", "eventType": "AwsCloudTrailInsight", "eventCategory": "Insight",
               "insightDetails": {"state": "Start", "eventSource": "ec2.amazonaws.com", "eventName": "RunInstances",
                                  "insightType": "ApiCallRateInsight"}}  # fmt: skip
    f = tmp_path / "insight.json"
    f.write_text(json.dumps({"Records": [insight, _rec(1, awsRegion="us-east-1")]}))
    pinned.ok("trail", "import", str(f))
    plain = pinned.json("trail", "lookup", "--end", "2026-11-20T11:59:00Z")["Events"]
    assert [e["EventId"] for e in plain] == ["id-1"]
    ins = pinned.json("trail", "lookup", "--event-category", "insight")["Events"]
    assert [e["EventId"] for e in ins] == ["ins-1"]
    res = pinned("trail", "lookup", "--event-category", "insight", "--username", "alice")
    assert res.exit_code == 2 and "InvalidLookupAttributesException" in res.stderr
    table = pinned.ok("trail", "lookup", "--username", "alice", "-o", "table").stdout
    assert table.splitlines()[0].split()[:3] == ["EventTime", "EventName", "Username"] and "PutBucketPolicy" in table
    csv = pinned.ok("trail", "lookup", "--username", "alice", "--records", "-o", "csv").stdout
    assert csv.splitlines()[0].startswith("eventTime,eventName,userIdentity.arn") and "id-1" in csv


def test_nan_constant_is_a_bad_file(pinned: Cli, tmp_path: Path) -> None:
    f = tmp_path / "nan.json"
    f.write_text('{"Records": [{"eventTime": "2026-11-20T10:00:00Z", "eventID": "n-1", "eventName": "X", "v": NaN}]}')
    res = pinned("trail", "import", str(f))
    assert res.exit_code == 2 and "truncated or invalid JSON" in res.stderr and res.stderr.count("\n") == 1


def test_missing_path_imports_nothing_and_utf8_bom_is_read(pinned: Cli, tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"Records": [_rec(1)]}))
    res = pinned("trail", "import", str(good), str(tmp_path / "typo.json"))
    assert res.exit_code == 2 and res.stderr.count("\n") == 1 and "nothing was imported" in res.stderr
    assert pinned.json("trail", "lookup", "--region", "eu-west-1")["Events"] == []
    (tmp_path / "bom.json").write_text(json.dumps({"Records": [_rec(2)]}), encoding="utf-8-sig")
    lines = "\ufeff" + "\n".join(json.dumps(_rec(i)) for i in (3, 4)) + "\n"
    (tmp_path / "bom.jsonl.gz").write_bytes(gzip.compress(lines.encode()))
    data = pinned.json("trail", "import", str(tmp_path / "bom.json"), str(tmp_path / "bom.jsonl.gz"))
    assert data["Files"] == 2 and data["Imported"] == 3 and data["SkippedFiles"] == []


def test_known_fields_of_the_wrong_type_fail_the_file_in_one_line(pinned: Cli, tmp_path: Path) -> None:
    bad = {"eventName": {"a": 1}, "userIdentity": "alice", "awsRegion": 5, "eventTime": "yesterday",
           "eventID": 7, "readOnly": [1]}  # fmt: skip
    bad_identity = {"userIdentity": {"type": "IAMUser", "arn": ["x"]}}
    for i, change in enumerate([{k: v} for k, v in bad.items()] + [bad_identity]):
        path = tmp_path / f"bad{i}.json"
        path.write_text(json.dumps({"Records": [_rec(1, eventID=f"ok-{i}"), _rec(2, **change)]}))
        res = pinned("trail", "import", str(path))
        assert res.exit_code == 2 and res.stderr.count("\n") == 1 and "record 2: " in res.stderr, (change, res.stderr)
    assert pinned.json("trail", "lookup", "--region", "eu-west-1")["Events"] == []  # nothing from those files


def test_imported_insights_are_found_by_their_event_name(pinned: Cli, tmp_path: Path) -> None:
    insight = {"eventVersion": "1.07", "eventTime": "2026-11-20T09:00:00Z", "awsRegion": "us-east-1", "eventID": "ins-1",
               "eventType": "AwsCloudTrailInsight", "recipientAccountId": "123456789012", "sharedEventID": "s-1",
               "insightDetails": {"state": "Start", "eventSource": "ec2.amazonaws.com", "eventName": "RunInstances",
                                  "insightType": "ApiCallRateInsight"}, "eventCategory": "Insight"}  # fmt: skip
    (tmp_path / "insight.json").write_text(json.dumps({"Records": [insight]}))
    pinned.ok("trail", "import", str(tmp_path / "insight.json"))
    for args in (("--event-name", "RunInstances"), ("--event-source", "ec2.amazonaws.com"), ()):
        got = pinned.json("trail", "lookup", "--event-category", "insight", *args)["Events"]
        assert [(e["EventId"], e["EventName"], e["EventSource"]) for e in got] == [("ins-1", "RunInstances", "ec2.amazonaws.com")]
    assert pinned.json("trail", "lookup", "--event-name", "RunInstances")["Events"] == []  # management lookups: no insights


def test_anonymised_region_names_can_be_refiled_with_region(pinned: Cli, tmp_path: Path) -> None:
    path = tmp_path / "stratus.json"
    path.write_text(json.dumps([_rec(1, awsRegion="apiso-centralnorth-2r")]))  # Stratus-style anonymised region
    res = pinned.ok("trail", "import", str(path), "-o", "table")
    assert "--region cannot select (apiso-centralnorth-2r)" in res.stderr
    assert pinned("--region", "apiso-centralnorth-2r", "trail", "lookup").exit_code == 2
    again = pinned.json("trail", "import", str(path), "--region", "us-west-2")
    assert again["Duplicates"] == 1 and again["UnselectableRegions"] == []
    got = pinned.json("--region", "us-west-2", "trail", "lookup", "--event-id", "id-1", "--records")["Records"]
    assert [r["awsRegion"] for r in got] == ["apiso-centralnorth-2r"]  # filed under us-west-2, record verbatim


def test_zip_archives_are_read_member_by_member(pinned: Cli, tmp_path: Path) -> None:
    import zipfile

    archive = tmp_path / "logs.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("dump/a.json", json.dumps({"Records": [_rec(1), _rec(2)]}))
        z.writestr("dump/b.jsonl.gz", gzip.compress(("\n".join(json.dumps(_rec(i)) for i in (3, 4)) + "\n").encode()))
        z.writestr("dump/AWSLogs/1/CloudTrail-Digest/x_CloudTrail-Digest_y.json.gz", b"digest")
        z.writestr("dump/README.md", "notes")
        z.writestr("dump/broken.json", '{"Records": [')
        z.writestr("__MACOSX/dump/._a.json", b"\x00")
    (tmp_path / "not.zip").write_bytes(b"PK nonsense")
    res = pinned("trail", "import", str(archive), str(tmp_path / "not.zip"), "-o", "json")
    assert res.exit_code == 2 and res.stderr.count("\n") == 1 and "logs.zip!dump/broken.json" in res.stderr
    data = json.loads(res.stdout)
    assert data["Files"] == 2 and data["Imported"] == 4
    reasons = {s["Path"].split("!")[-1]: s["Reason"] for s in data["SkippedFiles"]}
    assert reasons["dump/AWSLogs/1/CloudTrail-Digest/x_CloudTrail-Digest_y.json.gz"] == "CloudTrail digest file"
    assert "unreadable zip archive" in reasons[str(tmp_path / "not.zip")] and "dump/README.md" in reasons
    assert len(pinned.json("trail", "lookup", "--region", "eu-west-1", "--event-name", "PutBucketPolicy")["Events"]) == 4
