"""awsmon logs on the local backend: groups, streams, retention, put/get events, metric filters, CloudTrail records."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import PINNED_NOW, Cli

NOW_MS = 1795176000000  # PINNED_NOW in epoch milliseconds
G = "/app/web"


def _setup(cli: Cli, group: str = G, stream: str = "s1") -> None:
    cli.ok("logs", "create-group", "--name", group)
    cli.ok("logs", "create-stream", "--group", group, "--stream", stream)


def _put(cli: Cli, events: list[dict[str, Any]], group: str = G, stream: str = "s1", **kw: Any) -> Any:
    return cli("logs", "put-events", "--group", group, "--stream", stream, "--file", "-", "-o", "json",
               input=json.dumps(events), **kw)  # fmt: skip


def test_pinned_constant_matches_fixture() -> None:
    from datetime import datetime

    assert int(datetime.fromisoformat(PINNED_NOW.replace("Z", "+00:00")).timestamp() * 1000) == NOW_MS


def test_group_lifecycle(pinned: Cli) -> None:
    pinned.ok("logs", "create-group", "--log-group-name", "/app/web")
    pinned.ok("logs", "create-group", "--name", "/app/api", "--retention", "7")
    pinned.ok("logs", "create-group", "--name", "other")
    groups = pinned.json("logs", "describe-groups", "--prefix", "/app")["logGroups"]
    assert [g["logGroupName"] for g in groups] == ["/app/api", "/app/web"]
    api = groups[0]
    assert api["retentionInDays"] == 7 and "retentionInDays" not in groups[1]
    assert api["arn"] == "arn:aws:logs:us-east-1:123456789012:log-group:/app/api:*"
    assert api["logGroupArn"] == api["arn"][:-2] and api["creationTime"] == NOW_MS
    assert [g["logGroupName"] for g in pinned.json("logs", "describe-groups", "--contains", "pp/w")["logGroups"]] == [
        "/app/web"
    ]
    assert len(pinned.json("logs", "describe-groups", "--limit", "2")["logGroups"]) == 2
    dup = pinned("logs", "create-group", "--name", "/app/web")
    assert dup.exit_code == 2 and "The specified log group already exists" in dup.stderr
    pinned.ok("logs", "delete-group", "--name", "/app/web")
    gone = pinned("logs", "delete-group", "--name", "/app/web")
    assert gone.exit_code == 1 and "ResourceNotFoundException: The specified log group does not exist." in gone.stderr
    table = pinned.ok("logs", "describe-groups", "-o", "table").stdout
    assert "/app/api" in table and "2026-11-20T12:00:00.000Z" in table


def test_describe_groups_pages_through_many(pinned: Cli) -> None:
    for i in range(55):
        pinned.ok("logs", "create-group", "--name", f"/g/{i:02d}")
    names = [g["logGroupName"] for g in pinned.json("logs", "describe-groups")["logGroups"]]
    assert names == [f"/g/{i:02d}" for i in range(55)]


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["create-group", "--name", "bad name!"],
         "Value 'bad name!' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression "
         "pattern: [\\.\\-_/#A-Za-z0-9]+"),
        (["create-group", "--name", "x" * 513], "Member must have length less than or equal to 512"),
        (["create-group", "--name", "aws/lambda/x"], "Log groups starting with AWS/ are reserved for AWS."),
        (["create-stream", "--group", G, "--stream", "a:b"],
         "Value 'a:b' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression "
         "pattern: [^:*]*"),
        (["create-stream", "--group", G, "--stream", "a*"], "at 'logStreamName' failed to satisfy constraint"),
        (["put-retention", "--group", G, "--days", "2"],
         "Value '2' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [1, 3, 5, "),
    ],
)  # fmt: skip
def test_bad_names_and_values_exit_2(pinned: Cli, args: list[str], text: str) -> None:
    pinned.ok("logs", "create-group", "--name", G)
    res = pinned("logs", *args)
    assert res.exit_code == 2, res.stderr
    assert "InvalidParameterException: 1 validation error detected" in res.stderr or "reserved" in res.stderr
    assert text in res.stderr
    assert "Traceback" not in res.stderr


def test_streams_and_ordering(pinned: Cli) -> None:
    _setup(pinned, stream="b")
    pinned.ok("logs", "create-stream", "--group", G, "--stream", "a")
    pinned.ok("logs", "create-stream", "--group", G, "--stream", "c")
    _put(pinned, [{"timestamp": NOW_MS - 5000, "message": "x"}], stream="c")
    _put(pinned, [{"timestamp": NOW_MS - 1000, "message": "y"}], stream="a")
    names = lambda *a: [s["logStreamName"] for s in pinned.json("logs", "describe-streams", "--group", G, *a)["logStreams"]]  # noqa: E731
    assert names() == ["a", "b", "c"]
    assert names("--descending") == ["c", "b", "a"]
    assert names("--order-by", "LastEventTime") == ["b", "c", "a"]
    assert names("--order-by", "LastEventTime", "--descending") == ["a", "c", "b"]
    assert names("--prefix", "b") == ["b"]
    res = pinned("logs", "describe-streams", "--group", G, "--order-by", "LastEventTime", "--prefix", "a")
    assert res.exit_code == 2 and "Cannot order by LastEventTime with a logStreamNamePrefix." in res.stderr
    c = pinned.json("logs", "describe-streams", "--group", G, "--prefix", "c")["logStreams"][0]
    assert c["firstEventTimestamp"] == c["lastEventTimestamp"] == NOW_MS - 5000
    assert c["lastIngestionTime"] == NOW_MS and c["storedBytes"] == 1
    assert c["arn"].endswith(":log-group:/app/web:log-stream:c")
    dup = pinned("logs", "create-stream", "--group", G, "--stream", "a")
    assert dup.exit_code == 2 and "The specified log stream already exists" in dup.stderr
    pinned.ok("logs", "delete-stream", "--group", G, "--stream", "c")
    assert names() == ["a", "b"]
    assert pinned.json("logs", "describe-groups")["logGroups"][0]["storedBytes"] == 1
    miss = pinned("logs", "get-events", "--group", G, "--stream", "c")
    assert miss.exit_code == 1 and "The specified log stream does not exist." in miss.stderr


def test_put_events_sources(pinned: Cli, tmp_path: Any) -> None:
    _setup(pinned)
    pinned.ok("logs", "put-events", "--group", G, "--stream", "s1", "-m", "one", "-m", "two")
    f = tmp_path / "lines.txt"
    f.write_text("three\n\nfour\n")
    pinned.ok("logs", "put-events", "--group", G, "--stream", "s1", "--file", str(f), "--timestamp", "1m")
    pinned.ok("logs", "put-events", "--group", G, "--stream", "s1", input="five\n")
    ev = pinned.json("logs", "get-events", "--group", G, "--stream", "s1", "--start-from-head")["events"]
    assert [e["message"] for e in ev] == ["three", "four", "one", "two", "five"]
    assert ev[0]["timestamp"] == NOW_MS - 60000 and ev[2]["timestamp"] == NOW_MS
    res = pinned("logs", "put-events", "--group", G, "--stream", "s1", "-m", "x", "--create")
    assert res.exit_code == 0
    new = pinned("logs", "put-events", "--group", "/new/g", "--stream", "n", "-m", "x", "--create")
    assert new.exit_code == 0
    missing = pinned("logs", "put-events", "--group", "/nope", "--stream", "n", "-m", "x")
    assert missing.exit_code == 1 and "The specified log group does not exist." in missing.stderr


def _count(cli: Cli, group: str = G) -> int:
    return int(cli.json("logs", "filter", "--group", group, "--count")["count"])


def test_put_events_rejections_are_atomic(pinned: Cli) -> None:
    _setup(pinned)
    out_of_order = _put(pinned, [{"timestamp": NOW_MS, "message": "a"}, {"timestamp": NOW_MS - 1, "message": "b"}])
    assert out_of_order.exit_code == 2
    assert "Log events in a single PutLogEvents request must be in chronological order." in out_of_order.stderr
    big = [{"timestamp": NOW_MS, "message": "x" * 100_000} for _ in range(11)]
    too_big = _put(pinned, big)
    assert too_big.exit_code == 2 and "Upload too large: 1100286 bytes exceeds limit of 1048576" in too_big.stderr
    many = _put(pinned, [{"timestamp": NOW_MS, "message": "m"} for _ in range(10_001)])
    assert many.exit_code == 2 and "Member must have length less than or equal to 10000" in many.stderr
    span = _put(pinned, [{"timestamp": NOW_MS - 25 * 3600 * 1000 + 1, "message": "a"}, {"timestamp": NOW_MS, "message": "b"}])
    assert span.exit_code == 2 and "cannot span more than 24 hours" in span.stderr
    empty = _put(pinned, [{"timestamp": NOW_MS, "message": ""}])
    assert empty.exit_code == 2 and "logEvents.1.member.message" in empty.stderr
    assert _count(pinned) == 0  # nothing of a rejected batch was written
    # Per-event rejections: too old (>14 days) and too new (>2 hours ahead) are reported, the rest accepted.
    res = _put(pinned, [
        {"timestamp": NOW_MS - 15 * 86400 * 1000, "message": "old"},
        {"timestamp": NOW_MS - 1000, "message": "ok1"},
        {"timestamp": NOW_MS, "message": "ok2"},
        {"timestamp": NOW_MS + 3 * 3600 * 1000, "message": "new"},
    ])  # fmt: skip
    assert res.exit_code == 0, res.stderr
    assert res.json()["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 1, "tooNewLogEventStartIndex": 3}
    assert "some events were rejected: " in res.stderr and "older than 14 days" in res.stderr
    assert _count(pinned) == 2
    # ... and older than the group's retention: expired.
    pinned.ok("logs", "put-retention", "--group", G, "--days", "1")
    res = _put(pinned, [{"timestamp": NOW_MS - 2 * 86400 * 1000, "message": "expired"}, {"timestamp": NOW_MS, "message": "ok3"}])
    assert res.json()["rejectedLogEventsInfo"] == {"expiredLogEventEndIndex": 1}


def test_retention_expiry_follows_the_clock(pinned: Cli) -> None:
    _setup(pinned)
    _put(pinned, [{"timestamp": NOW_MS - 3 * 86400 * 1000, "message": "old"}, {"timestamp": NOW_MS - 2 * 86400 * 1000, "message": "mid"}])
    _put(pinned, [{"timestamp": NOW_MS, "message": "fresh"}])
    pinned.ok("logs", "put-retention", "--group", G, "--days", "3")
    assert _count(pinned) == 3
    pinned.ok("account", "clock", "advance", "1m")
    assert _count(pinned) == 2  # "old" passed 3 days
    pinned.ok("account", "clock", "advance", "1d")
    assert _count(pinned) == 1
    group = pinned.json("logs", "describe-groups")["logGroups"][0]
    assert group["retentionInDays"] == 3 and group["storedBytes"] == len("fresh")
    pinned.ok("logs", "delete-retention", "--group", G)
    assert "retentionInDays" not in pinned.json("logs", "describe-groups")["logGroups"][0]
    pinned.ok("account", "clock", "advance", "5d")
    assert _count(pinned) == 1  # no policy: nothing expires


def test_get_events_pages_and_tokens(pinned: Cli) -> None:
    _setup(pinned)
    _put(pinned, [{"timestamp": NOW_MS - 10_000 + i, "message": f"e{i}"} for i in range(10)])
    head = pinned.json("logs", "get-events", "--group", G, "--stream", "s1", "--start-from-head", "--limit", "4")
    assert [e["message"] for e in head["events"]] == ["e0", "e1", "e2", "e3"]
    nxt = pinned.json("logs", "get-events", "--group", G, "--stream", "s1", "--limit", "4", "--next-token",
                      head["nextForwardToken"])  # fmt: skip
    assert [e["message"] for e in nxt["events"]] == ["e4", "e5", "e6", "e7"]
    tail = pinned.json("logs", "get-events", "--group", G, "--stream", "s1", "--limit", "3")
    assert [e["message"] for e in tail["events"]] == ["e7", "e8", "e9"]  # default: the newest page
    back = pinned.json("logs", "get-events", "--group", G, "--stream", "s1", "--limit", "3", "--next-token",
                       tail["nextBackwardToken"])  # fmt: skip
    assert [e["message"] for e in back["events"]] == ["e4", "e5", "e6"]
    end = pinned.json("logs", "get-events", "--group", G, "--stream", "s1", "--next-token", tail["nextForwardToken"])
    assert end["events"] == [] and end["nextForwardToken"] == tail["nextForwardToken"]  # the end: same token back
    window = pinned.json("logs", "get-events", "--group", G, "--stream", "s1", "--start-from-head",
                         "--start", str(NOW_MS - 10_000 + 2), "--end", str(NOW_MS - 10_000 + 5))  # fmt: skip
    assert [e["message"] for e in window["events"]] == ["e2", "e3", "e4"]  # endTime exclusive
    bad = pinned("logs", "get-events", "--group", G, "--stream", "s1", "--next-token", "garbage")
    assert bad.exit_code == 2 and "The specified nextToken is invalid." in bad.stderr


def test_test_pattern_shapes(pinned: Cli) -> None:
    t0 = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534'
    out = pinned.json("logs", "test-pattern", "--pattern", "[..., size]", "--message", t0)
    assert out == {"matches": [{"eventNumber": 1, "eventMessage": t0, "extractedValues": {
        "$size": "1534", "$6": "200", "$4": "10/Oct/2000:13:25:15 -0700", "$5": "GET /apache_pb.gif HTTP/1.0",
        "$2": "-", "$3": "frank", "$1": "127.0.0.1"}}]}  # fmt: skip
    msgs = ["[ERROR] 400 BAD REQUEST", "[ERROR] 400 BAD REQUEST", "[INFO] 200 OK"]
    out = pinned.json("logs", "test-pattern", "--filter-pattern", "ERROR", *[a for m in msgs for a in ("--log-event-messages", m)])
    assert [m["eventNumber"] for m in out["matches"]] == [1, 2]
    # More than the API's 50 messages: sent in batches, numbered across them.
    many = pinned.json("logs", "test-pattern", "--pattern", "hit", "--file", "-",
                       input="\n".join("hit" if i in (0, 50, 119) else "miss" for i in range(120)))  # fmt: skip
    assert [m["eventNumber"] for m in many["matches"]] == [1, 51, 120]
    bad = pinned("logs", "test-pattern", "--pattern", "%something!%", "--message", "x")
    assert bad.exit_code == 2 and "InvalidParameterException: " in bad.stderr and "position" in bad.stderr
    none = pinned("logs", "test-pattern", "--pattern", "x")
    assert none.exit_code == 2 and "give at least one message" in none.stderr


def test_metric_filters_crud_and_validation(pinned: Cli) -> None:
    _setup(pinned)
    pinned.ok("logs", "put-metric-filter", "--group", G, "--name", "e5", "--pattern", "{ $.status >= 500 }",
              "--metric-transformations", "metricName=E5,metricNamespace=App,metricValue=1,defaultValue=0,unit=Count")  # fmt: skip
    pinned.ok("logs", "put-metric-filter", "--group", G, "--name", "bytes", "--pattern", "[ip, id, user, ts, req, status, size]",
              "--metric-name", "Bytes", "--namespace", "App", "--value", "$size", "--dimension", "Status=$status")  # fmt: skip
    mfs = pinned.json("logs", "describe-metric-filters", "--group", G)["metricFilters"]
    assert [m["filterName"] for m in mfs] == ["bytes", "e5"]
    assert mfs[1]["metricTransformations"] == [{"metricName": "E5", "metricNamespace": "App", "metricValue": "1",
                                               "defaultValue": 0.0, "unit": "Count"}]  # fmt: skip
    assert mfs[0]["metricTransformations"][0]["dimensions"] == {"Status": "$status"}
    assert pinned.json("logs", "describe-groups")["logGroups"][0]["metricFilterCount"] == 2
    by_metric = pinned.json("logs", "describe-metric-filters", "--metric-name", "E5", "--namespace", "App")
    assert [m["filterName"] for m in by_metric["metricFilters"]] == ["e5"]
    cases = [
        (["--pattern", "{ $.a = 1 }", "--metric-name", "M", "--namespace", "N", "--default-value", "0",
          "--dimension", "D=$.a"], "A metric with dimensions cannot have a default value."),
        (["--pattern", "ERROR", "--metric-name", "M", "--namespace", "N", "--dimension", "D=$.a"], "Dimensions are supported only"),
        (["--pattern", "{ $.a = 1 }", "--metric-name", "M", "--namespace", "N", "--dimension", "A=$.a",
          "--dimension", "B=$.b", "--dimension", "C=$.c", "--dimension", "D=$.d"], "at most 3 dimensions"),
        (["--pattern", "{ $.a = 1 }", "--metric-name", "M:x", "--namespace", "N"], "regular expression pattern: [^:*$]*"),
        (["--pattern", "{ $.a = 1 }", "--metric-name", "M", "--namespace", "N", "--unit", "Parsecs"], "enum value set"),
        (["--pattern", "ERROR", "--metric-name", "M", "--namespace", "N", "--value", "$.a"], "Invalid metric value"),
        (["--pattern", "{ $.a = ", "--metric-name", "M", "--namespace", "N"], "Invalid filter pattern"),
    ]  # fmt: skip
    for extra, text in cases:
        res = pinned("logs", "put-metric-filter", "--group", G, "--name", "bad", *extra)
        assert res.exit_code == 2, (extra, res.stderr)
        assert text in res.stderr, (extra, res.stderr)
    pinned.ok("logs", "delete-metric-filter", "--group", G, "--name", "e5")
    res = pinned("logs", "delete-metric-filter", "--group", G, "--name", "e5")
    assert res.exit_code == 1 and "The specified metric filter does not exist." in res.stderr


def _stats(cli: Cli, ns: str, name: str, *dims: str) -> list[dict[str, Any]]:
    args = ["metrics", "get", "-n", ns, "--metric-name", name, "--start", "2026-11-20T11:00:00Z",
            "--end", "2026-11-20T12:10:00Z", "-s", "Sum,SampleCount,Maximum"]  # fmt: skip
    for d in dims:
        args += ["-d", d]
    return list(cli.json(*args)["Datapoints"])


def test_metric_filters_publish_datapoints(pinned: Cli) -> None:
    _setup(pinned)
    pinned.ok("logs", "put-metric-filter", "--group", G, "--name", "e5", "--pattern", "{ $.status >= 500 }",
              "--metric-transformations", "metricName=E5,metricNamespace=App,metricValue=1,defaultValue=0,unit=Count")  # fmt: skip
    pinned.ok("logs", "put-metric-filter", "--group", G, "--name", "lat", "--pattern", "{ $.latency = * }",
              "--metric-transformations", "metricName=Lat,metricNamespace=App,metricValue=$.latency,"
              "dimensions={Path=$.path}")  # fmt: skip
    pinned.ok("logs", "put-metric-filter", "--group", G, "--name", "size", "--pattern", "[ip, id, user, ts, req, status=404, size]",
              "--metric-name", "Bytes404", "--namespace", "App", "--value", "$size", "--unit", "Bytes")  # fmt: skip
    pinned.ok("logs", "put-metric-filter", "--group", G, "--name", "pos", "--pattern", "[ip, id, user, ts, req, status=404, ...]",
              "--metric-name", "Pos404", "--namespace", "App", "--value", "$7")  # fmt: skip
    m = NOW_MS - 120_000  # two minutes before now, minute-aligned
    _put(pinned, [
        {"timestamp": m + 1000, "message": json.dumps({"status": 503, "path": "/a", "latency": 120})},
        {"timestamp": m + 2000, "message": json.dumps({"status": 200, "path": "/a", "latency": 80})},
        {"timestamp": m + 3000, "message": json.dumps({"status": 502, "path": "/b", "latency": "slow"})},
        {"timestamp": m + 61_000, "message": json.dumps({"status": 200, "path": "/b", "latency": 7})},
        {"timestamp": m + 62_000, "message": '1.2.3.4 - - [20/Nov/2026:11:59:02 +0000] "GET /x HTTP/1.1" 404 1500'},
        {"timestamp": m + 63_000, "message": '1.2.3.4 - - [20/Nov/2026:11:59:03 +0000] "GET /y HTTP/1.1" 404 500'},
    ])  # fmt: skip
    e5 = _stats(pinned, "App", "E5")
    assert [(d["Timestamp"], d["Sum"], d["SampleCount"]) for d in e5] == [
        ("2026-11-20T11:58:00Z", 2.0, 2.0),
        ("2026-11-20T11:59:00Z", 0.0, 1.0),  # events arrived that minute, none matched: defaultValue
    ]
    assert e5[0]["Unit"] == "Count"
    lat_a = _stats(pinned, "App", "Lat", "Path=/a")
    assert [(d["Sum"], d["SampleCount"], d["Maximum"]) for d in lat_a] == [(200.0, 2.0, 120.0)]
    lat_b = _stats(pinned, "App", "Lat", "Path=/b")
    assert [(d["Timestamp"], d["Sum"]) for d in lat_b] == [("2026-11-20T11:59:00Z", 7.0)]  # "slow" publishes nothing
    assert [(d["Sum"], d["SampleCount"]) for d in _stats(pinned, "App", "Bytes404")] == [(2000.0, 2.0)]
    assert [(d["Sum"], d["SampleCount"]) for d in _stats(pinned, "App", "Pos404")] == [(2000.0, 2.0)]


def test_cloudtrail_records_for_calls(pinned: Cli, home: Any) -> None:
    _setup(pinned)
    pinned.ok("logs", "put-events", "--group", G, "--stream", "s1", "-m", "payload-not-recorded")
    pinned.ok("logs", "filter", "--group", G, "--pattern", "x")
    pinned("logs", "filter", "--group", "/missing")
    from awsmon.context import AppContext

    ctx = AppContext.create(backend="local", home=str(home), output="json")
    try:
        rows = ctx.store().conn.execute(
            "SELECT event_name, event_source, read_only, record FROM events WHERE event_source = 'logs.amazonaws.com' "
            "ORDER BY seq"
        ).fetchall()
    finally:
        ctx.close()
    names = [r[0] for r in rows]
    assert names == ["CreateLogGroup", "CreateLogStream", "PutLogEvents", "FilterLogEvents", "FilterLogEvents"]
    assert [r[2] for r in rows] == ["false", "false", "false", "true", "true"]
    put = json.loads(rows[2][3])
    assert put["requestParameters"] == {"logGroupName": G, "logStreamName": "s1"}  # the payload is not copied
    assert "payload-not-recorded" not in rows[2][3]
    failed = json.loads(rows[-1][3])
    assert failed["errorCode"] == "ResourceNotFoundException"
    ok = json.loads(rows[3][3])
    assert ok["requestParameters"]["logGroupName"] == G and ok["resources"][0]["type"] == "AWS::Logs::LogGroup"


def test_demo_step_is_idempotent(pinned: Cli, home: Any) -> None:
    from awsmon.context import AppContext
    from awsmon.services.logs import DEMO_GROUP, demo_step

    ctx = AppContext.create(backend="local", home=str(home), output="json")
    try:
        tips = demo_step(ctx)
        demo_step(ctx)
    finally:
        ctx.close()
    assert any("logs filter --group /awsmon/demo/app --pattern '{ $.status >= 500 }'" in t for t in tips)
    assert _count(pinned, DEMO_GROUP) == 300
    errors = pinned.json("logs", "filter", "--group", DEMO_GROUP, "--pattern", "{ $.status >= 500 }")["events"]
    assert errors and all(json.loads(e["message"])["status"] >= 500 for e in errors)
    assert all(NOW_MS - 3600_000 <= e["timestamp"] <= NOW_MS for e in errors)
    assert pinned.json("logs", "describe-metric-filters", "--group", DEMO_GROUP)["metricFilters"][0]["filterName"] == "server-errors"
    assert _stats(pinned, "AwsmonDemo/App", "ServerErrors")


def test_put_events_file_with_bad_timestamp_is_usage_error(pinned: Cli) -> None:
    _setup(pinned)
    res = _put(pinned, [{"timestamp": "soon", "message": "x"}])
    assert res.exit_code == 2 and "event 1: timestamp must be epoch milliseconds" in res.stderr
    res = pinned("logs", "put-events", "--group", G, "--stream", "s1", "--file", "-", input="")
    assert res.exit_code == 2 and "no events to put" in res.stderr


# -- QA regressions: a refused request writes nothing, bad input is one line and the documented exit code ----------
def _groups(cli: Cli) -> list[str]:
    return [g["logGroupName"] for g in cli.json("logs", "describe-groups")["logGroups"]]


def test_create_group_with_a_bad_retention_creates_nothing(pinned: Cli) -> None:
    res = pinned("logs", "create-group", "--name", "/r", "--retention", "4")
    assert res.exit_code == 2 and "Member must satisfy enum value set" in res.stderr and "Traceback" not in res.stderr
    assert _groups(pinned) == []  # was: the group was created, then PutRetentionPolicy failed


@pytest.mark.parametrize("cmd", [["describe-groups"], ["describe-streams", "--group", G]])
def test_max_items_below_one_is_a_usage_error(pinned: Cli, cmd: list[str]) -> None:
    _setup(pinned)
    res = pinned("logs", *cmd, "--max-items", "0")
    assert res.exit_code == 2 and "--max-items must be at least 1" in res.stderr  # was: every item printed


@pytest.mark.parametrize(
    ("events", "text"),
    [
        ([{"timestamp": NOW_MS, "message": "x" * 1_048_600}], "Log event too large"),
        ([{"timestamp": NOW_MS, "message": "m"}] * 10_001, "less than or equal to 10000"),
        ([{"timestamp": NOW_MS, "message": "y" * 1000}] * 1100, "Upload too large"),
        ([{"timestamp": NOW_MS, "message": "a"}, {"timestamp": NOW_MS - 1, "message": "b"}], "chronological order"),
        ([{"timestamp": NOW_MS, "message": ""}], "logEvents.1.member.message"),
        ([{"timestamp": -1, "message": "a"}], "logEvents.1.member.timestamp"),
    ],
)
def test_put_events_create_with_a_refused_batch_creates_nothing(pinned: Cli, events: list[Any], text: str) -> None:
    res = pinned("logs", "put-events", "--group", "/new", "--stream", "s", "--create", "--file", "-",
                 input=json.dumps(events))  # fmt: skip
    assert res.exit_code == 2 and text in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert _groups(pinned) == []  # was: the group and stream were created before PutLogEvents refused the batch


@pytest.mark.parametrize(("group", "stream"), [("/ok", "a:b"), ("/ok", "x*"), ("bad name!", "s"), ("/ok", "")])
def test_put_events_create_checks_both_names_first(pinned: Cli, group: str, stream: str) -> None:
    res = pinned("logs", "put-events", "--group", group, "--stream", stream, "--create", "-m", "hello")
    assert res.exit_code == 2 and "1 validation error detected" in res.stderr
    assert _groups(pinned) == []


def test_invalid_utf8_input_is_a_usage_error(pinned: Cli, tmp_path: Any) -> None:
    _setup(pinned)
    bad = tmp_path / "bad.log"
    bad.write_bytes(b"ok line\nbad \xff\xfe bytes\n")
    res = pinned("logs", "put-events", "--group", G, "--stream", "s1", "--file", str(bad))
    assert res.exit_code == 2 and "not UTF-8 text (byte 0xff at offset 12)" in res.stderr
    res = pinned("logs", "put-events", "--group", G, "--stream", "s1", input=b"bad \xff\n")
    assert res.exit_code == 2 and "cannot read stdin: not UTF-8 text" in res.stderr
    res = pinned("logs", "test-pattern", "--pattern", "x", "--file", str(bad))
    assert res.exit_code == 2 and "not UTF-8 text" in res.stderr
    # a lone surrogate (what Python makes of undecodable bytes in argv) is not UTF-8 either
    res = pinned("logs", "put-events", "--group", G, "--stream", "s1", "-m", "bad \udcff arg")
    assert res.exit_code == 2 and "argument 'bad \\udcff arg' is not UTF-8 text" in res.stderr
    assert "unexpected" not in res.stderr and _count(pinned) == 0


def test_local_put_log_events_refuses_non_utf8(ctx: Any) -> None:
    from awsmon.errors import ServiceError

    logs = ctx.client("logs")
    logs.create_log_group(logGroupName=G)
    logs.create_log_stream(logGroupName=G, logStreamName="s")
    with pytest.raises(ServiceError) as err:
        logs.put_log_events(logGroupName=G, logStreamName="s", logEvents=[{"timestamp": NOW_MS, "message": "a\udcff"}])
    assert err.value.code == "InvalidParameterException"


def test_get_events_end_before_start_is_a_usage_error(pinned: Cli) -> None:
    _setup(pinned)
    res = pinned("logs", "get-events", "--group", G, "--stream", "s1", "--start", "1h", "--end", "2h")
    assert res.exit_code == 2 and "--end-time is earlier than --start-time" in res.stderr


def test_tail_follows_an_explicit_output_format(pinned: Cli) -> None:
    _setup(pinned)
    _put(pinned, [{"timestamp": NOW_MS - 2000, "message": "one, two"}, {"timestamp": NOW_MS - 1000, "message": "three"}])
    csv_out = pinned.ok("logs", "tail", G, "--since", "1h", "-o", "csv").stdout.splitlines()
    assert csv_out == ["timestamp,logGroupName,logStreamName,message",
                       f'2026-11-20T11:59:58.000Z,{G},s1,"one, two"', f"2026-11-20T11:59:59.000Z,{G},s1,three"]  # fmt: skip
    lines = pinned.ok("logs", "tail", G, "--since", "1h", "-o", "jsonl").stdout.splitlines()
    assert [json.loads(x)["message"] for x in lines] == ["one, two", "three"]
    doc = json.loads(pinned.ok("logs", "tail", G, "--since", "1h", "-o", "json").stdout)
    assert [e["message"] for e in doc["events"]] == ["one, two", "three"]
    assert pinned.ok("logs", "tail", G, "--since", "1h", "--query", "events[-1].message").stdout.strip() == '"three"'
    table = pinned.ok("logs", "tail", G, "--since", "1h", "-o", "table").stdout.splitlines()
    assert table[0].split() == ["timestamp", "logGroupName", "logStreamName", "message"]
    short = pinned.ok("logs", "tail", G, "--since", "1h", "-o", "csv", "--format", "short").stdout  # --format wins
    assert short.splitlines() == ["2026-11-20T11:59:58 one, two", "2026-11-20T11:59:59 three"]
    res = pinned("logs", "tail", G, "--follow", "--query", "events", "--timeout", "1s")
    assert res.exit_code == 2 and "--query" in res.stderr


def test_metric_transformation_dimensions_must_be_a_map(pinned: Cli) -> None:
    _setup(pinned)
    for dims in ('"x"', '{"D": 5}'):
        res = pinned("logs", "put-metric-filter", "--group", G, "--name", "j", "--pattern", "{ $.a = 1 }",
                     "--metric-transformations",
                     '[{"metricName":"A","metricNamespace":"N","metricValue":"1","dimensions":' + dims + "}]")  # fmt: skip
        assert res.exit_code == 2 and "Member must be a map" in res.stderr  # was: "at most 3 dimensions"


def test_put_events_inline_log_events_json(pinned: Cli) -> None:
    _setup(pinned)
    events = json.dumps([{"timestamp": NOW_MS - 1, "message": "inline one"}, {"timestamp": NOW_MS, "message": "two"}])
    pinned.ok("logs", "put-events", "--group", G, "--stream", "s1", "--log-events", events)  # was: read as a path
    got = pinned.json("logs", "get-events", "--group", G, "--stream", "s1", "--start-from-head")["events"]
    assert [(e["timestamp"], e["message"]) for e in got] == [(NOW_MS - 1, "inline one"), (NOW_MS, "two")]
    for bad in ("[bad json", "[1]"):
        res = pinned("logs", "put-events", "--group", G, "--stream", "s1", "--log-events", bad)
        assert res.exit_code == 2 and "inline --log-events" in res.stderr


def test_put_events_log_events_shorthand_values_and_lists(pinned: Cli, tmp_path: Any) -> None:
    """aws-cli's --log-events takes several shorthand values after one flag (or the flag repeated), quoted values
    holding commas, a JSON list and file://; all go in one PutLogEvents batch in the order given."""
    _setup(pinned)
    pinned.ok("logs", "put-events", "--group", G, "--stream", "s1", "--log-events",
              f"timestamp={NOW_MS - 3},message=a", f'timestamp={NOW_MS - 2},message="b, with comma"',
              "--log-events", f"timestamp={NOW_MS - 1},message=c")  # fmt: skip
    f = tmp_path / "ev.json"
    f.write_text(json.dumps([{"timestamp": NOW_MS + 1, "message": "from file"}]))
    pinned.ok("logs", "put-events", "--group", G, "--stream", "s1", "--log-events",
              json.dumps([{"timestamp": NOW_MS, "message": "json"}]), f"file://{f}")  # fmt: skip
    got = pinned.json("logs", "get-events", "--group", G, "--stream", "s1", "--start-from-head")["events"]
    assert [(e["timestamp"], e["message"]) for e in got] == [
        (NOW_MS - 3, "a"), (NOW_MS - 2, "b, with comma"), (NOW_MS - 1, "c"), (NOW_MS, "json"),
        (NOW_MS + 1, "from file")]  # fmt: skip
    for bad, why in ((f"timestamp=x{NOW_MS},message=a", "epoch milliseconds"), (f"timestamp={NOW_MS}", "expected"),
                     ("message=a,colour=red", "unknown key 'colour'"), ('message="open', "unterminated quote")):
        res = pinned("logs", "put-events", "--group", G, "--stream", "s1", "--log-events", "message=ok", bad)
        assert res.exit_code == 2 and why in res.stderr and "Traceback" not in res.stderr + res.stdout, (bad, res.stderr)
    assert len(pinned.json("logs", "get-events", "--group", G, "--stream", "s1")["events"]) == 5  # nothing stored


def test_metric_transformations_from_a_file_url(pinned: Cli, tmp_path: Any) -> None:
    _setup(pinned)
    f = tmp_path / "mt.json"
    f.write_text('[{"metricName": "F", "metricNamespace": "App", "metricValue": "1"}]')
    pinned.ok("logs", "put-metric-filter", "--group", G, "--name", "f", "--pattern", "x",
              "--metric-transformations", f"file://{f}")  # fmt: skip  # was: "expected key=value pairs"
    mf = pinned.json("logs", "describe-metric-filters", "--group", G)["metricFilters"][0]
    assert mf["metricTransformations"][0]["metricName"] == "F"
    res = pinned("logs", "put-metric-filter", "--group", G, "--name", "f", "--pattern", "x",
                 "--metric-transformations", f"file://{tmp_path / 'missing.json'}")  # fmt: skip
    assert res.exit_code == 2 and "cannot read" in res.stderr


def test_metric_filter_evaluation_does_not_hold_the_write_lock(pinned: Cli, home: Any, monkeypatch: Any) -> None:
    """A slow metric filter on a big message (issue 15: 10.6 s under the lock, a `metrics put` waited 5.8 s) is
    evaluated before the write transaction: other writers of the account are not blocked meanwhile."""
    import threading
    import time

    from awsmon.backends.local import logs as local_logs
    from awsmon.context import AppContext

    _setup(pinned)
    pinned.ok("logs", "put-metric-filter", "--group", G, "--name", "rx", "--pattern", "%[ab]*a[ab]{1000}[cd]%",
              "--metric-name", "Rx", "--namespace", "App", "--value", "1")  # fmt: skip
    real = local_logs._evaluate
    started = threading.Event()

    def slow(fp: Any, t: Any, msg: str) -> Any:
        started.set()
        time.sleep(1.5)  # stands for a pathological pattern on a 50k-character message
        return real(fp, t, msg)

    monkeypatch.setattr(local_logs, "_evaluate", slow)
    message = "ab" * 25_000 + "bc"  # the a 1,001 characters before the c matches
    result: dict[str, Any] = {}

    def put_events() -> None:
        c = AppContext.create(backend="local", home=str(home), output="json")
        try:
            result["put"] = c.client("logs").put_log_events(
                logGroupName=G, logStreamName="s1", logEvents=[{"timestamp": NOW_MS, "message": message}])
        finally:
            c.close()

    writer = threading.Thread(target=put_events)
    writer.start()
    assert started.wait(10)
    other = AppContext.create(backend="local", home=str(home), output="json")
    try:
        t0 = time.monotonic()
        other.client("cloudwatch").put_metric_data(Namespace="Other", MetricData=[{"MetricName": "M", "Value": 1.0}])
        waited = time.monotonic() - t0
    finally:
        other.close()
    writer.join()
    assert waited < 0.75, f"metrics put waited {waited:.2f} s behind a metric-filter evaluation"
    assert "put" in result
    stats = pinned.json("metrics", "list", "--namespace", "App")
    assert [m["MetricName"] for m in stats["Metrics"]] == ["Rx"]  # the evaluated match was still published
