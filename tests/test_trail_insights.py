"""CloudTrail Insights end to end: selectors, the detector on the clock, delivery, lookup, insights-analyze."""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PINNED_NOW, Cli

T = datetime.fromisoformat(PINNED_NOW.replace("Z", "+00:00"))
DAY_MS = 86_400_000


def _insert_activity(home: Path, source: str, name: str, per_minute: int, start: datetime, minutes: int,
                     burst: dict[int, int], *, origin: str = "local") -> None:  # fmt: skip
    """Recorded write management calls, ``per_minute`` each minute (``burst``: minute offset -> count)."""
    from awsmon.context import AppContext

    c = AppContext.create(backend="local", home=str(home), output="json")
    try:
        store = c.store(catch_up=False)
        t0 = int(start.timestamp() * 1000)
        rows = []
        for i in range(minutes):
            for j in range(burst.get(i, per_minute)):
                t = t0 + i * 60000 + j * 50
                rec = {"eventVersion": "1.08", "eventTime": datetime.fromtimestamp(t / 1000).isoformat(),
                       "eventSource": source, "eventName": name, "awsRegion": "us-east-1", "readOnly": False,
                       "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/ops"},
                       "userAgent": "aws-cli/2.15", "eventCategory": "Management", "eventID": str(uuid.uuid4())}  # fmt: skip
                rows.append((rec["eventID"], t, "us-east-1", "Management", name, source, "false", origin, json.dumps(rec)))
        with store.transaction() as conn:
            conn.executemany("INSERT INTO events (event_id, event_time, region, event_category, event_name, event_source, "
                             "read_only, origin, record) VALUES (?,?,?,?,?,?,?,?,?)", rows)  # fmt: skip
            # the trail starts after this history: it has nothing of it to deliver
            conn.execute("UPDATE ct_trails SET last_seq = (SELECT max(seq) FROM events)")
    finally:
        c.close()


def _trail(pinned: Cli) -> None:
    pinned.ok("trail", "create", "--name", "main", "--s3-new-bucket", "trail-bucket")
    pinned.ok("trail", "start-logging", "--name", "main")


def test_selectors_put_get_and_errors(pinned: Cli) -> None:
    _trail(pinned)
    r = pinned("trail", "get-insight-selectors", "--trail-name", "main")
    assert r.exit_code == 1 and "InsightNotEnabledException" in r.stderr
    out = pinned.json("trail", "put-insight-selectors", "--trail-name", "main", "--insight-selectors",
                      '[{"InsightType":"ApiCallRateInsight"},{"InsightType":"ApiErrorRateInsight"}]')  # fmt: skip
    assert [s["InsightType"] for s in out["InsightSelectors"]] == ["ApiCallRateInsight", "ApiErrorRateInsight"]
    got = pinned.json("trail", "get-insight-selectors", "--trail-name", "main")
    assert got["TrailARN"].endswith(":trail/main") and len(got["InsightSelectors"]) == 2
    assert pinned.json("trail", "describe", "--name", "main")["trailList"][0]["HasInsightSelectors"] is True
    bad = pinned("trail", "put-insight-selectors", "--trail-name", "main", "--insight-selectors", '[{"InsightType":"Nope"}]')
    assert bad.exit_code == 2 and "InvalidInsightSelectorsException" in bad.stderr
    assert len(pinned.json("trail", "get-insight-selectors", "--trail-name", "main")["InsightSelectors"]) == 2
    pinned.ok("trail", "put-event-selectors", "--trail-name", "main", "--management-events", "read")
    bad = pinned("trail", "put-insight-selectors", "--trail-name", "main", "--insight-types", "ApiCallRateInsight")
    assert bad.exit_code == 2 and "write management events" in bad.stderr
    pinned.ok("trail", "put-insight-selectors", "--trail-name", "main", "--insight-selectors", "[]")
    assert pinned("trail", "get-insight-selectors", "--trail-name", "main").exit_code == 1


def _lookup_insights(cli: Cli) -> list[dict[str, Any]]:
    events = cli.json("trail", "lookup", "--event-category", "insight", "--start", "2026-11-01", "--end", "2026-12-01")
    return [json.loads(e["CloudTrailEvent"]) for e in events["Events"]]


def test_delete_bucket_burst_is_detected_on_the_clock_and_delivered(pinned: Cli, home: Path) -> None:
    _trail(pinned)
    pinned.ok("trail", "put-insight-selectors", "--trail-name", "main", "--insight-types", "ApiCallRateInsight")
    # 8 days of 5 DeleteBucket calls a minute up to now + 1 day, with 20 minutes of 100 calls a minute at now + 6h
    start = T - timedelta(days=8)
    burst_at = 8 * 1440 + 360
    _insert_activity(home, "s3.amazonaws.com", "DeleteBucket", 5, start, 9 * 1440, {burst_at + i: 100 for i in range(20)})
    pinned.ok("account", "clock", "advance", "6h10m")  # the burst is open: Start only
    recs = _lookup_insights(pinned)
    assert [r["insightDetails"]["state"] for r in recs] == ["Start"]
    pinned.ok("account", "clock", "advance", "1h")
    recs = _lookup_insights(pinned)
    assert sorted(r["insightDetails"]["state"] for r in recs) == ["End", "Start"]
    start_rec = next(r for r in recs if r["insightDetails"]["state"] == "Start")
    end_rec = next(r for r in recs if r["insightDetails"]["state"] == "End")
    assert start_rec["sharedEventID"] == end_rec["sharedEventID"]
    assert start_rec["eventTime"] == "2026-11-20T18:00:00Z" and end_rec["eventTime"] == "2026-11-20T18:20:00Z"
    stats = end_rec["insightDetails"]["insightContext"]["statistics"]
    assert stats == {"baseline": {"average": 5.0}, "insight": {"average": 100.0}, "insightDuration": 20,
                     "baselineDuration": 10080}  # fmt: skip
    by_name = pinned.json("trail", "lookup", "--event-category", "insight", "--lookup-attributes", "EventName=DeleteBucket",
                          "--start", "2026-11-01", "--end", "2026-12-01")  # fmt: skip
    assert len(by_name["Events"]) == 2
    # delivered once each, gzipped, under CloudTrail-Insight/
    files = sorted((home).rglob("*CloudTrail-Insight*.json.gz"))
    assert files and all("/AWSLogs/" in str(f) and "/CloudTrail-Insight/us-east-1/2026/11/20/" in str(f) for f in files)
    delivered = [r for f in files for r in json.loads(gzip.decompress(f.read_bytes()))["Records"]]
    assert sorted(r["insightDetails"]["state"] for r in delivered) == ["End", "Start"]
    # normal log files never carry Insights
    for f in (home).rglob("*_CloudTrail_us-east-1_*.json.gz"):
        assert b"AwsCloudTrailInsight" not in gzip.decompress(f.read_bytes())


def test_insights_analyze_over_imported_history_finds_the_fall_and_not_steady(pinned: Cli, home: Path) -> None:
    start = T - timedelta(days=10)
    gap = {8 * 1440 + 100 + i: 0 for i in range(45)}
    _insert_activity(home, "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", 20, start, 9 * 1440, gap, origin="import")
    _insert_activity(home, "ec2.amazonaws.com", "RunInstances", 10, start, 9 * 1440, {}, origin="import")
    out = pinned.json("trail", "insights-analyze", "--start", "2026-11-17T00:00:00Z", "--end", "2026-11-20T00:00:00Z")
    recs = out["InsightEvents"]
    assert [(r["insightDetails"]["eventName"], r["insightDetails"]["state"]) for r in recs] == \
        [("AuthorizeSecurityGroupIngress", "Start"), ("AuthorizeSecurityGroupIngress", "End")]  # fmt: skip
    assert recs[0]["eventTime"] == "2026-11-18T13:40:00Z" and recs[1]["eventTime"] == "2026-11-18T14:25:00Z"
    # nothing stored: lookup still has no Insights
    assert _lookup_insights(pinned) == []


@pytest.mark.parametrize("args", [["--start", "2026-11-20", "--end", "2026-11-19"], ["--start", "x", "--end", "2026-11-19"],
                                  ["--start", "2026-11-18", "--end", "2026-11-19", "--type", "Bogus"]])  # fmt: skip
def test_insights_analyze_bad_input(pinned: Cli, args: list[str]) -> None:
    r = pinned("trail", "insights-analyze", *args)
    assert r.exit_code == 2 and "Traceback" not in r.stderr


def test_insights_analyze_reads_a_downloaded_trail_imported_into_the_history_store(pinned: Cli, tmp_path: Path) -> None:
    """A responder imports a trail that never had Insights and runs the detector over it."""
    t0 = int((T - timedelta(days=9)).timestamp())
    recs = []
    for i in range(8 * 1440 + 120):
        n = 60 if 8 * 1440 + 30 <= i < 8 * 1440 + 40 else 4
        for j in range(n):
            t = t0 + i * 60 + j % 60
            recs.append({"eventVersion": "1.08", "eventTime": datetime.fromtimestamp(t, tz=T.tzinfo).strftime("%Y-%m-%dT%H:%M:%SZ"),
                         "eventSource": "s3.amazonaws.com", "eventName": "DeleteBucket", "awsRegion": "us-east-1",
                         "readOnly": False, "eventType": "AwsApiCall", "managementEvent": True, "eventCategory": "Management",
                         "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/intruder"},
                         "userAgent": "python-requests", "sourceIPAddress": "203.0.113.9", "eventID": str(uuid.UUID(int=len(recs) + 1))})  # fmt: skip
    f = tmp_path / "123456789012_CloudTrail_us-east-1_20261111T0000Z_abc.json.gz"
    f.write_bytes(gzip.compress(json.dumps({"Records": recs}).encode()))
    pinned.ok("trail", "import", str(f))
    out = pinned.json("trail", "insights-analyze", "--start", "2026-11-18T00:00:00Z", "--end", "2026-11-20T00:00:00Z")
    states = [(r["insightDetails"]["state"], r["eventTime"]) for r in out["InsightEvents"]]
    assert states == [("Start", "2026-11-19T12:30:00Z"), ("End", "2026-11-19T12:40:00Z")]
    attrs = out["InsightEvents"][1]["insightDetails"]["insightContext"]["attributions"]
    arn = next(a for a in attrs if a["attribute"] == "userIdentityArn")
    assert arn["insight"] == [{"value": "arn:aws:iam::123456789012:user/intruder", "average": 60.0}]
    assert arn["baseline"][0]["average"] == 4.0


def test_insight_selectors_contract(backend_cli: Cli) -> None:
    """Same commands on the local backend and moto. moto differs from AWS: PutInsightSelectors appends to the
    trail's selectors instead of replacing them, and GetInsightSelectors without any returns only TrailARN (AWS
    raises InsightNotEnabledException), so only the first put and its read-back are compared."""
    cli = backend_cli
    if cli.env.get("AWSMON_BACKEND") == "aws":
        import boto3

        boto3.client("s3", endpoint_url=cli.env["AWSMON_ENDPOINT_URL"], region_name="us-east-1").create_bucket(Bucket="ins-bucket")
    cli.ok("trail", "create", "--name", "ins", "--s3-new-bucket", "ins-bucket")
    put = cli.json("trail", "put-insight-selectors", "--trail-name", "ins", "--insight-selectors",
                   '[{"InsightType":"ApiErrorRateInsight"}]')  # fmt: skip
    assert put["TrailARN"].endswith(":trail/ins") and put["InsightSelectors"] == [{"InsightType": "ApiErrorRateInsight"}]
    got = cli.json("trail", "get-insight-selectors", "--trail-name", "ins")
    assert got["InsightSelectors"] == [{"InsightType": "ApiErrorRateInsight"}]
    missing = cli("trail", "get-insight-selectors", "--trail-name", "nope")
    assert missing.exit_code == 1 and "TrailNotFoundException" in missing.stderr
    bad = cli("trail", "put-insight-selectors", "--trail-name", "ins", "--insight-selectors", "not json")
    assert bad.exit_code == 2
    analyze = cli("trail", "insights-analyze", "--start", "2026-11-18", "--end", "2026-11-19")
    assert analyze.exit_code == (0 if cli.env.get("AWSMON_BACKEND") != "aws" else 2)
