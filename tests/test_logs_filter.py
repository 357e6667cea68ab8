"""awsmon logs filter and tail: patterns through the store, SQL pre-filter, merge order, paging, follow mode."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Cli

NOW_MS = 1795176000000
G = "/app/web"


def _put(cli: Cli, group: str, stream: str, events: list[tuple[int, str]]) -> None:
    res = cli("logs", "put-events", "--group", group, "--stream", stream, "--create", "--file", "-",
              input=json.dumps([{"timestamp": t, "message": m} for t, m in events]))  # fmt: skip
    assert res.exit_code == 0, res.stderr


def _messages(cli: Cli, *args: str) -> list[str]:
    return [e["message"] for e in cli.json("logs", "filter", *args)["events"]]


CT = [
    json.dumps({"eventName": "UpdateTrail", "errorCode": "AccessDenied", "status": 403}),
    json.dumps({"eventName": "GetObject", "status": 200, "latency": 12}),
    json.dumps({"eventName": "PutObject", "status": 503, "latency": 900}),
]
WEB = [
    '10.0.0.1 - - [20/Nov/2026:11:00:00 +0000] "GET /index.html HTTP/1.1" 404 120',
    '10.0.0.2 - - [20/Nov/2026:11:00:01 +0000] "GET /api HTTP/1.1" 500 77',
    "ERROR something failed",
]


@pytest.fixture
def loaded(pinned: Cli) -> Cli:
    _put(pinned, G, "ct", [(NOW_MS - 3000 + i * 1000, m) for i, m in enumerate(CT)])
    _put(pinned, G, "web", [(NOW_MS - 2500 + i * 1000, m) for i, m in enumerate(WEB)])
    return pinned


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("", CT[:1] + WEB[:1] + CT[1:2] + WEB[1:2] + CT[2:] + WEB[2:]),
        ("AccessDenied", [CT[0]]),
        ("?ERROR ?500", [WEB[1], WEB[2]]),
        ("GET -404", [WEB[1]]),
        ('{ $.status >= 500 }', [CT[2]]),
        ('{ $.errorCode = "AccessDenied" }', [CT[0]]),
        ('{ $.latency > 100 || $.eventName = Update* }', [CT[0], CT[2]]),
        ("[ip, id, user, ts, request = *.html*, status = 4*, size]", [WEB[0]]),
        ("[ip, id, user, ts, request, status = 5*, size < 100]", [WEB[1]]),
        ("%ERR[O]R%", [WEB[2]]),
    ],
)
def test_filter_patterns_through_the_store(loaded: Cli, pattern: str, expected: list[str]) -> None:
    assert _messages(loaded, "--group", G, "--pattern", pattern) == expected


def test_json_prefilter_stays_sound_with_escapes(pinned: Cli) -> None:
    # "\u0041ccessDenied" decodes to AccessDenied but does not contain the literal: the backslash guard keeps it.
    escaped = '{"errorCode": "\\u0041ccessDenied"}'
    _put(pinned, G, "s", [(NOW_MS, escaped), (NOW_MS, '{"errorCode": "Other"}')])
    assert _messages(pinned, "--group", G, "--pattern", '{ $.errorCode = "AccessDenied" }') == [escaped]


def test_literal_after_a_nul_is_found(pinned: Cli) -> None:
    # regression: SQLite's GLOB stops at a NUL, so the SQL pre-filter hid "x\0AccessDenied" from every term pattern
    msgs = ["x\x00AccessDenied", "AccessDenied plain", "x\x00other", '{"e": "AccessDenied"}\x00']
    _put(pinned, G, "s", [(NOW_MS, m) for m in msgs])
    assert _messages(pinned, "--group", G, "--pattern", "AccessDenied") == [msgs[0], msgs[1], msgs[3]]
    assert _messages(pinned, "--group", G, "--pattern", "AccessDenied -plain") == [msgs[0], msgs[3]]
    assert _messages(pinned, "--group", G, "--pattern", "[a, b = *Denied]") == []
    assert pinned.json("logs", "filter", "--group", G, "--pattern", "x", "--count") == {"count": 2}


def test_sql_function_filters_inside_the_scan(local_logs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only matching rows leave SQLite: the pattern runs as a registered SQL function on the pre-filtered rows
    (the path of every pattern without a batch matcher; space-delimited ones have one, switched off here)."""
    from awsmon.backends.local.logs import filter_sql
    from awsmon.engines.filterpattern import FilterPattern, compile_pattern

    monkeypatch.setattr(FilterPattern, "batch", lambda self, cache=None: None)

    exact = compile_pattern("AccessDenied UpdateTrail")
    sql, params = filter_sql(exact, "fn")
    assert "fn(message)" in sql and "esc >= 2 AND fn(message)" in sql  # exact in SQL: fn only for NUL rows
    sql, _ = filter_sql(compile_pattern("[a, b = 5*, c]"), "fn")
    assert sql.endswith(" AND fn(message)")
    local_logs.create_log_group(logGroupName=G)
    local_logs.create_log_stream(logGroupName=G, logStreamName="s")
    local_logs.put_log_events(logGroupName=G, logStreamName="s", logEvents=[
        {"timestamp": NOW_MS + i, "message": f"h - {500 + i % 3 * 100} {i}"} for i in range(30)])  # fmt: skip
    calls: list[str] = []
    fp = compile_pattern("[a, b, status = 5*, size]")
    real = fp.matches
    try:
        fp.matches = lambda m: calls.append(m) or real(m)  # type: ignore[method-assign]
        got = local_logs.filter_log_events(logGroupName=G, filterPattern=fp.text)["events"]
    finally:
        fp.matches = real  # type: ignore[method-assign]
    assert [e["message"] for e in got] == [f"h - 500 {i}" for i in range(0, 30, 3)]
    # called from inside SQLite once per candidate row: the rows the GLOB '*5*' pre-filter let through
    assert sorted(calls) == sorted(f"h - {500 + i % 3 * 100} {i}" for i in range(30) if "5" in f"{500 + i % 3 * 100} {i}")


def test_prefilter_sql_is_pushed_down() -> None:
    from awsmon.backends.local.logs import glob_literal, prefilter_sql
    from awsmon.engines.filterpattern import compile_pattern

    sql, params = prefilter_sql(compile_pattern('"Access*Denied?"'))
    assert sql == " AND (esc >= 2 OR (message GLOB ?))" and params == ["*Access[*]Denied[?]*"]
    sql, params = prefilter_sql(compile_pattern('{ $.errorCode = "AccessDenied" }'))
    assert sql.startswith(" AND (esc != 0 OR (") and "*AccessDenied*" in params
    # a literal starting with a GLOB metacharacter: GLOB on its longest plain piece, then instr
    sql, params = prefilter_sql(compile_pattern('"[ERROR] disk"'))
    assert "instr(message, ?)" in sql and params == ["*ERROR] disk*", "[ERROR] disk"]
    assert prefilter_sql(compile_pattern("")) == ("", [])
    assert prefilter_sql(compile_pattern("-ERROR")) == ("", [])
    assert glob_literal("[a]") == "*[[]a]*"


@given(st.text(alphabet="ab*?[]^!-x ", max_size=12), st.text(alphabet="ab*?[]^!-x ", max_size=20))
@settings(max_examples=300, deadline=None)
def test_glob_literal_is_a_plain_substring_test(lit: str, message: str) -> None:
    import sqlite3

    conn = sqlite3.connect(":memory:")
    from awsmon.backends.local.logs import glob_literal

    got = conn.execute("SELECT ? GLOB ?", (message, glob_literal(lit))).fetchone()[0]
    assert bool(got) == (lit in message)


def test_multi_group_merge_prefix_and_limits(pinned: Cli) -> None:
    _put(pinned, "/app/a", "s", [(NOW_MS - 5000, "a1"), (NOW_MS - 3000, "a2"), (NOW_MS - 1000, "a3")])
    _put(pinned, "/app/b", "s", [(NOW_MS - 4000, "b1"), (NOW_MS - 2000, "b2")])
    _put(pinned, "/other", "s", [(NOW_MS - 4500, "o1")])
    assert _messages(pinned, "--group", "/app/a", "--group", "/app/b") == ["a1", "b1", "a2", "b2", "a3"]
    res = pinned.json("logs", "filter", "--group-prefix", "/app/")
    assert [(e["logGroupName"], e["message"]) for e in res["events"]][:2] == [("/app/a", "a1"), ("/app/b", "b1")]
    assert _messages(pinned, "--group", "/app/a,/app/b", "--limit", "2") == ["a1", "b1"]
    assert _messages(pinned, "--group", "/app/a", "--group", "/app/b", "--newest-first", "--limit", "3") == ["a3", "b2", "a2"]
    assert _messages(pinned, "--group", "/app/a", "--group", "/app/b", "--start", str(NOW_MS - 4000),
                     "--end", str(NOW_MS - 2000)) == ["b1", "a2", "b2"]  # fmt: skip
    assert _messages(pinned, "--group", "/app/a", "--start", "4s", "--end", "now") == ["a2", "a3"]
    table = pinned.ok("logs", "filter", "--group", "/app/a", "--group", "/app/b", "-o", "table").stdout
    assert table.splitlines()[0].split() == ["timestamp", "logGroupName", "logStreamName", "message"]
    assert pinned.json("logs", "filter", "--group", "/app/a", "--count") == {"count": 3}
    jsonl = pinned.ok("logs", "filter", "--group", "/app/a", "-o", "jsonl").stdout.splitlines()
    assert [json.loads(x)["message"] for x in jsonl] == ["a1", "a2", "a3"]


def test_group_prefix_names_the_group_even_when_one_group_matches(pinned: Cli) -> None:
    # the table of a --group-prefix filter has a logGroupName column: it was empty when only one group matched
    _put(pinned, "/app/web", "i-1", [(NOW_MS - 1000, "a 503")])
    res = pinned.json("logs", "filter", "--group-prefix", "/app")
    assert [(e["logGroupName"], e["message"]) for e in res["events"]] == [("/app/web", "a 503")]
    rows = pinned.ok("logs", "filter", "--group-prefix", "/app", "-o", "csv").stdout.splitlines()
    assert rows[1].split(",")[1] == "/app/web"
    assert "logGroupName" not in pinned.json("logs", "filter", "--group", "/app/web")["events"][0]  # as AWS


def test_filter_streams(pinned: Cli) -> None:
    _put(pinned, G, "web-1", [(NOW_MS - 3, "w1")])
    _put(pinned, G, "web-2", [(NOW_MS - 2, "w2")])
    _put(pinned, G, "api-1", [(NOW_MS - 1, "a1")])
    assert _messages(pinned, "--group", G, "--stream-prefix", "web-") == ["w1", "w2"]
    assert _messages(pinned, "--group", G, "--log-stream-names", "api-1", "--stream", "web-2") == ["w2", "a1"]
    assert _messages(pinned, "--group", G, "--stream", "none") == []
    both = pinned("logs", "filter", "--group", G, "--stream", "a", "--stream-prefix", "w")
    assert both.exit_code == 2


def test_filter_pages_across_the_10000_event_limit(pinned: Cli) -> None:
    events = [(NOW_MS - 20_000 + i, f"m{i} {'hit' if i % 3 == 0 else 'miss'}") for i in range(10_050)]
    _put(pinned, G, "s", events[:9000])
    _put(pinned, G, "s", events[9000:])
    from awsmon.context import AppContext

    ctx = AppContext.create(backend="local", home=pinned.env["AWSMON_HOME"], output="json")
    try:
        logs = ctx.client("logs")
        page = logs.filter_log_events(logGroupName=G, limit=5000)
        assert len(page["events"]) == 5000 and page["nextToken"]
        page2 = logs.filter_log_events(logGroupName=G, limit=5000, nextToken=page["nextToken"])
        assert page2["events"][0]["message"] == "m5000 miss"
        with pytest.raises(Exception, match="The specified nextToken is invalid."):
            logs.filter_log_events(logGroupName=G, nextToken="bm9wZQ")
    finally:
        ctx.close()
    assert pinned.json("logs", "filter", "--group", G, "--count") == {"count": 10_050}
    hits = _messages(pinned, "--group", G, "--pattern", "hit")
    assert len(hits) == 3350 and hits[-1] == "m10047 hit"


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (["--group", G, "--pattern", "{ $.a = "], 2, "InvalidParameterException: Invalid filter pattern (at position"),
        (["--group", G, "--pattern", "%a(b)%"], 2, "position"),
        (["--group", G, "--pattern", "foo,bar"], 2, "Invalid character(s) in term"),
        (["--group", "/missing"], 1, "The specified log group does not exist."),
        (["--group-prefix", "/zzz"], 1, "no log group name starts with '/zzz'"),
        ([], 2, "give at least one log group"),
        (["--group", G, "--start", "yesterdayish"], 2, "invalid time 'yesterdayish'"),
        (["--group", G, "--start", "1h", "--end", "2h"], 2, "earlier than --start-time"),
        (["--group", G, "--limit", "0"], 2, "--limit must be at least 1"),
    ],
)
def test_filter_errors(pinned: Cli, args: list[str], code: int, text: str) -> None:
    pinned.ok("logs", "create-group", "--name", G)
    res = pinned("logs", "filter", *args)
    assert res.exit_code == code, res.stderr
    assert text in res.stderr and res.stdout == ""


def test_tail_formats(loaded: Cli) -> None:
    short = loaded.ok("logs", "tail", G, "--since", "1h", "--format", "short", "--pattern", "{ $.status >= 500 }").stdout
    assert short == f"2026-11-20T11:59:59 {CT[2]}\n"
    detailed = loaded.ok("logs", "tail", G, "--since", "1h", "--pattern", "ERROR").stdout
    assert detailed == f"2026-11-20T11:59:59.500000+00:00 {G}/web {WEB[2]}\n"
    js = loaded.ok("logs", "tail", G, "--since", "1h", "--format", "json", "--pattern", "AccessDenied").stdout
    assert json.loads(js)["logGroupName"] == G and json.loads(js)["message"] == CT[0]
    old = loaded.ok("logs", "tail", G, "--since", "1s", "--format", "short").stdout
    assert old.splitlines() == [f"2026-11-20T11:59:59 {CT[2]}", f"2026-11-20T11:59:59 {WEB[2]}"]
    bad = loaded("logs", "tail", G, "--format", "xml")
    assert bad.exit_code == 2


def test_tail_follow_misses_nothing_and_repeats_nothing(pinned: Cli) -> None:
    """Writers add events (some with old timestamps) while tail --follow runs: each is printed exactly once."""
    _put(pinned, G, "s1", [(NOW_MS - 1000, "before-1"), (NOW_MS - 500, "before-2")])
    _put(pinned, "/app/other", "s1", [(NOW_MS - 700, "other-0")])
    from awsmon.context import AppContext

    def writer() -> None:
        time.sleep(0.4)
        ctx = AppContext.create(backend="local", home=pinned.env["AWSMON_HOME"], output="json")
        try:
            logs = ctx.client("logs")
            for i in range(6):
                ts = NOW_MS - (300_000 if i == 3 else 0)  # one late event, 5 minutes in the past
                logs.put_log_events(logGroupName=G if i % 2 == 0 else "/app/other", logStreamName="s1",
                                    logEvents=[{"timestamp": ts + i, "message": f"new-{i}"}])  # fmt: skip
                time.sleep(0.15)
        finally:
            ctx.close()

    t = threading.Thread(target=writer)
    t.start()
    res = pinned("logs", "tail", G, "/app/other", "--follow", "--since", "10m", "--interval", "0.1", "--max-items", "9",
                 "--timeout", "60s", "--format", "json")  # fmt: skip
    t.join()
    assert res.exit_code == 0, res.stderr
    got = [json.loads(line)["message"] for line in res.stdout.splitlines()]
    assert got[:3] == ["before-1", "other-0", "before-2"]
    assert sorted(got[3:]) == [f"new-{i}" for i in range(6)]
    assert len(got) == len(set(got))


def test_tokenizer_matches_the_reference_loop() -> None:
    """The regex field tokenizer (engine) gives exactly the fields of the original character loop."""
    from hypothesis import given as g

    from awsmon.engines.filterpattern import tokenize_fields

    def reference(message: str) -> list[str]:
        out: list[str] = []
        i, n = 0, len(message)
        while True:
            while i < n and message[i] in " \t\r\n":
                i += 1
            if i >= n:
                return out
            c = message[i]
            if c in '["':
                close = message.find("]" if c == "[" else '"', i + 1)
                if close >= 0:
                    out.append(message[i + 1 : close])
                    i = close + 1
                    continue
            k = i
            while i < n and message[i] not in " \t\r\n":
                i += 1
            out.append(message[k:i])

    @g(st.text(alphabet=' \t\r\n[]"ab\x0b{', max_size=24))
    @settings(max_examples=500, deadline=None)
    def check(message: str) -> None:
        assert tokenize_fields(message) == reference(message)

    check()


def test_service_merge_helpers() -> None:
    from awsmon.services.logs import _windows, format_event

    wins = _windows(0, 100_000, 4)
    assert wins[0][0] == 0 and wins[-1][1] == 100_000
    assert all(b[0] == a[1] + 1 for a, b in zip(wins, wins[1:], strict=False))
    assert _windows(0, 10, 4) == [(0, 10)]
    ev: dict[str, Any] = {"timestamp": NOW_MS, "message": "x\n", "logStreamName": "s"}
    assert format_event(ev, "short") == "2026-11-20T12:00:00 x"
    assert format_event(ev, "detailed", "/g") == "2026-11-20T12:00:00.000000+00:00 /g/s x"


class _FakeLogs:
    """A FilterLogEvents stand-in for the aws path: pages of 2, one throttle per window, calls recorded."""

    def __init__(self, events: dict[str, list[dict[str, Any]]]) -> None:
        self.events = events
        self.calls: list[dict[str, Any]] = []
        self.throttled: set[tuple[Any, ...]] = set()
        self.lock = threading.Lock()

    def describe_log_streams(self, **p: Any) -> dict[str, Any]:
        assert p == {"logGroupName": p["logGroupName"], "orderBy": "LastEventTime", "descending": True, "limit": 1}
        with self.lock:
            self.calls.append({"op": "DescribeLogStreams", **p})
        evs = self.events[p["logGroupName"]]
        if not evs:
            return {"logStreams": []}
        last = max(e["timestamp"] for e in evs)
        return {"logStreams": [{"logStreamName": "s", "lastEventTimestamp": last, "lastIngestionTime": last}]}

    def filter_log_events(self, **p: Any) -> dict[str, Any]:
        from awsmon.errors import ServiceError

        assert "startFromHead" not in p  # not a FilterLogEvents parameter: botocore refuses it
        key = (p["logGroupName"], p.get("startTime"), p.get("nextToken"))
        with self.lock:
            self.calls.append(p)
            if key not in self.throttled:
                self.throttled.add(key)
                raise ServiceError("ThrottlingException", "Rate exceeded")
        evs = [e for e in self.events[p["logGroupName"]]
               if p.get("startTime", 0) <= e["timestamp"] <= p.get("endTime", 1 << 62)]  # fmt: skip
        off = int(p.get("nextToken") or 0)
        out: dict[str, Any] = {"events": evs[off : off + 2]}
        if off + 2 < len(evs):
            out["nextToken"] = str(off + 2)
        return out


class _FakeCtx:
    is_local = False
    endpoint_url = type("Setting", (), {"value": None})()

    def __init__(self, logs: _FakeLogs) -> None:
        self.logs = logs

    def client(self, name: str) -> _FakeLogs:
        return self.logs

    def now(self) -> Any:
        from datetime import UTC, datetime

        return datetime.fromtimestamp(NOW_MS / 1000, UTC)


def test_aws_path_windows_throttling_and_merge(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime

    from awsmon.services import logs as svc

    monkeypatch.setattr(time, "sleep", lambda s: None)  # backoff and pacing without waiting (the module svc uses)
    mk = lambda g, ts: {"timestamp": ts, "ingestionTime": ts, "eventId": f"{g}{ts}", "message": f"{g}{ts}"}  # noqa: E731
    fake = _FakeLogs({
        "/a": [mk("a", NOW_MS - 100_000 + i * 7000) for i in range(14)] + [mk("a", NOW_MS + 60_000)],  # ahead of now
        "/b": [mk("b", NOW_MS - 99_000 + i * 11000) for i in range(9)],
    })  # fmt: skip
    start = datetime.fromtimestamp((NOW_MS - 100_000) / 1000, UTC)
    events = list(svc.filter_events(_FakeCtx(fake), ["/a", "/b"], start=start, parallel=4, rate=1000.0))  # type: ignore[arg-type]
    stamps = [e["timestamp"] for e in events]
    assert stamps == sorted(stamps) and len(events) == 24  # every event once, merged across groups and windows
    assert {e["logGroupName"] for e in events} == {"/a", "/b"}
    filters = [c for c in fake.calls if "op" not in c]
    windows = {(c["logGroupName"], c.get("startTime")) for c in filters}
    assert len(windows) == 8  # 2 groups x 4 time windows fetched separately
    assert len(fake.throttled) < len(filters)  # throttled calls were retried
    fake.calls.clear()
    newest = list(svc.filter_events(_FakeCtx(fake), ["/a", "/b"], start=start, start_from_head=False, limit=3))  # type: ignore[arg-type]
    assert [e["timestamp"] for e in newest] == sorted(stamps, reverse=True)[:3]  # issue 15: not the 3 oldest
    # windows of 1 h then 4 h back from each group's newest event (+3 h slack): 2 per group reach the start
    assert len({(c["logGroupName"], c["startTime"]) for c in fake.calls if "op" not in c}) == 4


def test_aws_newest_first_walks_windows_back_to_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime

    from awsmon.services import logs as svc

    monkeypatch.setattr(time, "sleep", lambda s: None)
    day = 86_400_000
    mk = lambda ts: {"timestamp": ts, "ingestionTime": ts, "eventId": str(ts), "message": str(ts)}  # noqa: E731
    fake = _FakeLogs({"/a": [mk(NOW_MS - k * day // 3) for k in range(30, -1, -1)]})
    start = datetime.fromtimestamp((NOW_MS - 20 * day) / 1000, UTC)
    got = [e["timestamp"] for e in svc.filter_events(_FakeCtx(fake), ["/a"], start=start, start_from_head=False, rate=1e6)]  # type: ignore[arg-type]
    assert got == sorted((NOW_MS - k * day // 3 for k in range(31) if k * day // 3 <= 20 * day), reverse=True)


def test_aws_empty_groups_cost_one_call_each(monkeypatch: pytest.MonkeyPatch) -> None:
    """issue 15: --log-group-name-prefix over 120 empty groups made 480 FilterLogEvents calls (96 s at 5/s)."""
    from datetime import UTC, datetime

    from awsmon.services import logs as svc

    monkeypatch.setattr(time, "sleep", lambda s: None)
    mk = lambda ts: {"timestamp": ts, "ingestionTime": ts, "eventId": str(ts), "message": f"m{ts}"}  # noqa: E731
    groups: dict[str, list[dict[str, Any]]] = {f"/app/{i:03d}": [] for i in range(120)}
    groups["/app/old"] = [mk(NOW_MS - 10 * 86_400_000)]  # its newest event is older than --start: skipped too
    groups["/app/live"] = [mk(NOW_MS - 5000), mk(NOW_MS - 1000)]
    fake = _FakeLogs(groups)
    monkeypatch.setattr(svc, "describe_groups", lambda ctx, prefix=None, **kw: {"logGroups": [
        {"logGroupName": n, "creationTime": NOW_MS - 30 * 86_400_000, "storedBytes": 0} for n in groups]})  # fmt: skip
    start = datetime.fromtimestamp((NOW_MS - 3600_000) / 1000, UTC)
    events = list(svc.filter_events(_FakeCtx(fake), [], group_prefix="/app/", start=start, rate=1e6))  # type: ignore[arg-type]
    assert [e["message"] for e in events] == [f"m{NOW_MS - 5000}", f"m{NOW_MS - 1000}"]
    by_group: dict[str, list[str]] = {}
    for c in fake.calls:
        by_group.setdefault(c["logGroupName"], []).append(c.get("op", "FilterLogEvents"))
    assert all(ops == ["DescribeLogStreams"] for g, ops in by_group.items() if g != "/app/live")
    assert len(by_group) == 122


def test_token_bucket_paces_requests() -> None:
    from awsmon.backends.ratelimit import TokenBucket

    bucket = TokenBucket(rate=50.0, burst=1)
    t = time.monotonic()
    for _ in range(6):
        bucket.take()
    assert time.monotonic() - t >= 0.09  # 5 waits of 20 ms after the first token


def test_parallel_window_scan_equals_serial(pinned: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """Big groups are scanned in time windows on separate connections: same events, same order, as serially."""
    import awsmon.backends.local.logs as local_logs
    from awsmon.context import AppContext
    from awsmon.services.logs import filter_events

    events = [(NOW_MS - 40_000 + i * 3, f"{'hit' if i % 4 == 0 else 'miss'} {i}") for i in range(12_000)]
    _put(pinned, G, "a", events[:6000])
    _put(pinned, G, "b", events[6000:])
    monkeypatch.setattr(local_logs.os, "cpu_count", lambda: 4)
    ctx = AppContext.create(backend="local", home=pinned.env["AWSMON_HOME"], output="json")
    try:
        cases: list[dict[str, Any]] = [
            {"pattern": "hit"},
            {"pattern": "hit", "start_from_head": False},
            {"pattern": "hit", "limit": 2500},
            {"pattern": "miss", "streams": ["b"]},
            {"pattern": "1"},
        ]
        for kw in cases:
            monkeypatch.setattr(local_logs, "PARALLEL_MIN_BYTES", 1 << 60)
            serial = list(filter_events(ctx, [G], **kw))
            monkeypatch.setattr(local_logs, "PARALLEL_MIN_BYTES", 0)
            assert ctx.client("logs").parallel_windows(G, None, None, kw["pattern"]) is not None
            parallel = list(filter_events(ctx, [G], **kw))
            assert [e["eventId"] for e in parallel] == [e["eventId"] for e in serial], kw
            assert serial
        assert len(list(filter_events(ctx, [G], pattern="hit"))) == 3000
        assert ctx.client("logs").parallel_windows(G, None, None, "-hit") is None  # no SQL pre-filter: serial
    finally:
        ctx.close()


_PIECES = st.lists(st.sampled_from([*"ab*?[]\\\"' é:{}", "\\u0061", "\\n", "\x00"]), min_size=1, max_size=6).map("".join)


@pytest.fixture
def local_logs(pinned: Cli) -> Any:
    from awsmon.context import AppContext

    ctx = AppContext.create(backend="local", home=pinned.env["AWSMON_HOME"], output="json")
    yield ctx.client("logs")
    ctx.close()


@given(
    values=st.lists(_PIECES, min_size=1, max_size=6),
    pick=st.integers(min_value=0, max_value=5),
    raw=st.booleans(),
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])  # one group per example
def test_store_filter_equals_engine_on_random_json(local_logs: Any, values: list[str], pick: int, raw: bool) -> None:
    """Messages full of GLOB metacharacters, quotes and JSON escapes: the SQL pre-filter never loses a match."""
    from awsmon.engines.filterpattern import FilterPatternError, compile_pattern
    from awsmon.errors import ServiceError

    group = f"/prop/{abs(hash((tuple(values), pick, raw)))}"
    try:
        local_logs.create_log_group(logGroupName=group)
    except ServiceError:
        return  # the same example again: already checked
    local_logs.create_log_stream(logGroupName=group, logStreamName="s")
    messages = []
    for i, v in enumerate(values):
        # raw: the text as written (may hold \u escapes JSON decodes); else a JSON string of it
        body = '{"k": "' + v.replace('"', "") + '"}' if raw else json.dumps({"k": v, "i": i})
        messages.append(body)
        messages.append(f"plain {v} line")
    local_logs.put_log_events(logGroupName=group, logStreamName="s",
                              logEvents=[{"timestamp": NOW_MS - 1000 + i, "message": m} for i, m in enumerate(messages)])  # fmt: skip
    target = values[pick % len(values)]
    patterns = [
        "{ $.k = " + json.dumps(target) + " }",
        '"' + target.replace("\\", "\\\\").replace('"', '\\"') + '"',
    ]
    for pattern in patterns:
        try:
            fp = compile_pattern(pattern)
        except FilterPatternError:
            continue
        got = [e["message"] for e in local_logs.filter_log_events(logGroupName=group, filterPattern=pattern)["events"]]
        assert got == [m for m in messages if fp.matches(m)], pattern


@pytest.mark.parametrize("parallel_min", [None, 0])
def test_count_equals_the_filtered_events(pinned: Cli, monkeypatch: pytest.MonkeyPatch, parallel_min: int | None) -> None:
    """--count runs count(*) in SQLite (in time windows on separate connections for big groups): same numbers as
    the events filter returns, for every pattern kind, stream selection and time window."""
    if parallel_min is not None:
        import awsmon.backends.local.logs as local

        monkeypatch.setattr(local, "PARALLEL_MIN_BYTES", parallel_min)
        monkeypatch.setattr(local.os, "cpu_count", lambda: 3)
    _put(pinned, G, "ct", [(NOW_MS - 9000 + i * 1000, m) for i, m in enumerate(CT)])
    _put(pinned, G, "web", [(NOW_MS - 8500 + i * 1000, m) for i, m in enumerate(WEB)])
    for pattern in ["", "ERROR", '"GET /"', "-ERROR", "?AccessDenied ?ERROR", '{ $.status >= 400 }', "[a, b, c, d, e, status = 5*, size]"]:
        for extra in ([], ["--stream", "web"], ["--stream-prefix", "c"], ["--start", str(NOW_MS - 8000), "--end", str(NOW_MS - 6000)]):
            args = ["--group", G, "--pattern", pattern, *extra]
            assert pinned.json("logs", "filter", *args, "--count") == {"count": len(_messages(pinned, *args))}, args
    bad = pinned("logs", "filter", "--group", G, "--pattern", "{ $.a = ", "--count")
    assert bad.exit_code == 2 and "Traceback" not in bad.stderr
    missing = pinned("logs", "filter", "--group", "/nope", "--count")
    assert missing.exit_code == 1 and "ResourceNotFoundException" in missing.stderr


def test_scans_use_the_group_time_key(local_logs: Any) -> None:
    """Every filter and count query is a range of the (group_id, ts, seq) primary key, never a full table scan."""
    local_logs.create_log_group(logGroupName=G)
    local_logs.create_log_stream(logGroupName=G, logStreamName="s")
    local_logs.put_log_events(logGroupName=G, logStreamName="s", logEvents=[{"timestamp": NOW_MS, "message": "a 5"}])
    seen: list[str] = []
    conn = local_logs.conn
    conn.set_trace_callback(seen.append)
    try:
        local_logs.filter_log_events(logGroupName=G, filterPattern="[a, b = 5*]", startTime=NOW_MS - 10, endTime=NOW_MS)
        local_logs.filter_log_events(logGroupName=G, filterPattern="ERROR", limit=1)
        local_logs.count_log_events(logGroupName=G, filterPattern="a", startTime=NOW_MS - 10)
    finally:
        conn.set_trace_callback(None)
    scans = [q for q in seen if "FROM log_events" in q and "min(ts)" not in q and "max(ts)" not in q]
    assert len(scans) == 3
    for q in scans:
        plan = " ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + q))
        assert "USING PRIMARY KEY (group_id=?" in plan and "SCAN" not in plan, (q, plan)


# -- the batch path of space-delimited patterns (awsmon.backends.local.logs_batch) -----------------------------------

_ACCESS = '10.0.{a}.{b} - - [20/Nov/2026:11:00:{s:02d} +0000] "{m} /p/{i} HTTP/1.1" {status} {size}'


def _batch_messages(i: int) -> str:
    kind = i % 9
    if kind == 0:
        return json.dumps({"eventName": "GetObject", "status": 500 + i % 3, "agent": "Mozilla/5.0 (X11; Linux x86_64)"})
    if kind == 1:
        return f"10.0.0.1 - - [unclosed {i} \"GET / HTTP/1.1\" 503 {i}"  # the tokenizer reads bare tokens here
    if kind == 2:
        return f"nul\x00 - - [t] \"GET\" 500 {i}"  # a NUL: judged one by one
    status = [200, 404, 500, 503, 301, 0o0, 4e2][i % 7]
    return _ACCESS.format(a=i % 256, b=i % 7, s=i % 60, m="GET" if i % 2 else "POST", i=i, status=status, size=i * 7)


def _all_pages(svc: Any, **kw: Any) -> list[str]:
    out, token = [], None
    while True:
        page = svc.filter_log_events(logGroupName=G, nextToken=token, **kw) if token else svc.filter_log_events(
            logGroupName=G, **kw)
        out += [e["eventId"] for e in page["events"]]
        token = page.get("nextToken")
        if not token:
            return out


def test_batch_path_equals_the_per_row_path(local_logs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tiny chunks (many windows, a millisecond too dense for one chunk, then seq slices), NUL messages, unclosed
    brackets, paging both ways, stream and time selections: the same events and counts as the SQL-function path,
    and the same counts from the flat copy of the messages that big groups are counted on."""
    from awsmon.backends.local import logs_batch, logs_cache
    from awsmon.engines.filterpattern import FilterPattern, compile_pattern

    monkeypatch.setattr(logs_batch, "CHUNK_BYTES", 1500)
    monkeypatch.setattr(logs_batch, "CHUNK_LIMIT", 6000)
    bursts: list[int] = []
    real_burst = logs_batch._burst
    monkeypatch.setattr(logs_batch, "_burst", lambda *a, **k: bursts.append(a[2]) or real_burst(*a, **k))
    local_logs.create_log_group(logGroupName=G)
    for s in ("a", "b"):
        local_logs.create_log_stream(logGroupName=G, logStreamName=s)
    spread = [{"timestamp": NOW_MS - 60_000 + i * 97, "message": _batch_messages(i)} for i in range(400)]
    burst = [{"timestamp": NOW_MS - 30_000, "message": _batch_messages(i)} for i in range(400, 700)]  # one ms
    local_logs.put_log_events(logGroupName=G, logStreamName="a", logEvents=spread[:200] + burst)
    local_logs.put_log_events(logGroupName=G, logStreamName="b", logEvents=spread[200:])
    patterns = ["[ip, id, user, ts, request, status = 5*, size]", "[ip, id, user, ts, request, status >= 400, size]",
                "[ip, id, user, ts, request = *POST*, status != 200, size]", "[ip, id, user, ts, request, status = 50* || status < 300, ...]"]  # fmt: skip
    selections: list[dict[str, Any]] = [
        {}, {"limit": 37}, {"startFromHead": False, "limit": 50}, {"logStreamNames": ["a"]},
        {"startTime": NOW_MS - 40_000, "endTime": NOW_MS - 25_000}, {"startTime": NOW_MS - 30_000, "endTime": NOW_MS - 30_000},
    ]  # fmt: skip
    checked = 0
    for pattern in patterns:
        assert compile_pattern(pattern).batch() is not None
        for kw in selections:
            batched = _all_pages(local_logs, filterPattern=pattern, **kw)
            count_kw = {k: v for k, v in kw.items() if k in ("logStreamNames", "startTime", "endTime")}
            counted = local_logs.count_log_events(logGroupName=G, filterPattern=pattern, **count_kw)["count"]
            with monkeypatch.context() as m:  # a big group's count: the flat copy (logs_cache)
                m.setattr(logs_cache, "MIN_BYTES", 0)
                copied = local_logs.count_log_events(logGroupName=G, filterPattern=pattern, **count_kw)["count"]
            with monkeypatch.context() as m:
                m.setattr(FilterPattern, "batch", lambda self, cache=None: None)
                reference = _all_pages(local_logs, filterPattern=pattern, **kw)
                ref_count = local_logs.count_log_events(logGroupName=G, filterPattern=pattern, **count_kw)["count"]
            assert batched == reference and counted == ref_count == copied, (pattern, kw)
            checked += bool(reference)
    assert checked >= 12  # the selections are not empty
    assert set(bursts) == {NOW_MS - 30_000}  # the dense millisecond was read in seq slices


def _copy_files(local_logs: Any) -> tuple[Any, dict[str, Any]]:
    from awsmon.backends.local import logs_cache

    path = logs_cache.folder(local_logs.store, local_logs._group(G)["id"])
    return path, json.loads((path / "meta.json").read_text())


def test_the_flat_copy_follows_the_database(local_logs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The copy a big group is counted on: built on the first count, extended with what is ingested later (not
    rebuilt), rebuilt after a deletion (DeleteLogStream) or under another database, untouched by bytes a crashed
    update left beyond its recorded lengths, removed with the group; every count equals the SQL path's."""
    from awsmon.backends.local import logs_cache
    from awsmon.engines.filterpattern import FilterPattern

    monkeypatch.setattr(logs_cache, "MIN_BYTES", 0)
    pattern = "[ip, id, user, ts, request, status >= 400, size]"

    def check() -> int:
        got = local_logs.count_log_events(logGroupName=G, filterPattern=pattern)["count"]
        windowed = local_logs.count_log_events(logGroupName=G, filterPattern=pattern, startTime=NOW_MS - 40_000,
                                               endTime=NOW_MS - 20_000, logStreamNames=["a"])["count"]  # fmt: skip
        with monkeypatch.context() as m:
            m.setattr(FilterPattern, "batch", lambda self, cache=None: None)
            assert got == local_logs.count_log_events(logGroupName=G, filterPattern=pattern)["count"]
            assert windowed == local_logs.count_log_events(logGroupName=G, filterPattern=pattern,
                startTime=NOW_MS - 40_000, endTime=NOW_MS - 20_000, logStreamNames=["a"])["count"]  # fmt: skip
        return got

    local_logs.create_log_group(logGroupName=G)
    for s in ("a", "b"):
        local_logs.create_log_stream(logGroupName=G, logStreamName=s)
    events = [{"timestamp": NOW_MS - 60_000 + i * 97, "message": _batch_messages(i)} for i in range(300)]
    local_logs.put_log_events(logGroupName=G, logStreamName="a", logEvents=events[:150])
    local_logs.put_log_events(logGroupName=G, logStreamName="b", logEvents=events[150:])
    first = check()
    path, meta = _copy_files(local_logs)
    assert first > 0 and meta["events"] == 300 and meta["flagged"]  # the NUL messages are judged from SQLite
    inode = (path / "msg").stat().st_ino
    local_logs.put_log_events(logGroupName=G, logStreamName="a", logEvents=[
        {"timestamp": NOW_MS - 1000, "message": '1.2.3.4 - - [t] "GET /" 404 7'}])  # fmt: skip
    assert check() == first + 1
    assert _copy_files(local_logs)[1]["events"] == 301 and (path / "msg").stat().st_ino == inode  # appended
    for name in ("msg", "off", "ts", "sid"):  # as if an update died after writing, before its meta.json
        with open(path / name, "ab") as fh:
            fh.write(b"\x01" * 24)
    local_logs.put_log_events(logGroupName=G, logStreamName="b", logEvents=[
        {"timestamp": NOW_MS - 500, "message": '1.2.3.5 - - [t] "GET /" 500 7'}])  # fmt: skip
    assert check() == first + 2
    _, meta = _copy_files(local_logs)
    assert all((path / n).stat().st_size == meta["lens"][n] for n in ("msg", "off", "ts", "sid"))
    local_logs.delete_log_stream(logGroupName=G, logStreamName="b")
    after = check()
    assert after < first and _copy_files(local_logs)[1]["events"] == 151  # rebuilt without the deleted stream
    meta = _copy_files(local_logs)[1]
    (path / "meta.json").write_text(json.dumps({**meta, "db": "another database"}))
    assert check() == after and _copy_files(local_logs)[1]["db"] != "another database"
    results: list[int] = []

    def count_on_own_connection() -> None:
        other = local_logs.clone()
        try:
            results.append(other.count_log_events(logGroupName=G, filterPattern=pattern)["count"])
        finally:
            other.close()

    threads = [threading.Thread(target=count_on_own_connection) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [after] * 3
    assert all((path / n).stat().st_mode & 0o777 == 0o600 for n in ("msg", "off", "ts", "sid", "meta.json"))
    with monkeypatch.context() as m:  # no room or no write access for the copy: counted from SQLite instead
        def full(*a: Any, **k: Any) -> Any:
            raise OSError(28, "No space left on device")

        m.setattr(logs_cache, "update", full)
        assert check() == after
    local_logs.delete_log_group(logGroupName=G)
    assert not path.exists() and not path.with_name(f"{path.name}.lock").exists()


def test_the_flat_copy_forgets_what_retention_deletes(pinned: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """Retention deletes inside a scheduled job: the next count rebuilds the copy instead of counting expired events."""
    from awsmon.backends.local import logs_cache

    monkeypatch.setattr(logs_cache, "MIN_BYTES", 0)
    day = 86_400_000
    line = '1.2.3.4 - - [t] "GET /" {} 7'
    _put(pinned, G, "s", [(NOW_MS - 3 * day, line.format(404)), (NOW_MS - 2 * day, line.format(500))])
    _put(pinned, G, "s", [(NOW_MS, line.format(503))])

    def count() -> int:
        return int(pinned.json("logs", "filter", "--group", G, "--pattern", "[a, b, c, d, e, status >= 400, size]",
                               "--count")["count"])  # fmt: skip

    assert count() == 3
    pinned.ok("logs", "put-retention", "--group", G, "--days", "3")
    pinned.ok("account", "clock", "advance", "1m")
    assert count() == 2
    pinned.ok("account", "clock", "advance", "1d")
    assert count() == 1


def test_every_deletion_of_log_events_marks_the_flat_copy_stale() -> None:
    """The copy is checked by a per-group deletion counter, not by counting rows: every statement that deletes log
    events must bump it (``logs_cache.note_deletion``) in the same function, or a count could read deleted events."""
    import re
    from pathlib import Path

    import awsmon

    root = Path(awsmon.__file__).parent
    for path in root.rglob("*.py"):
        text = path.read_text()
        for m in re.finditer(r"DELETE FROM log_events\b", text):
            body = text[m.start() : m.start() + 400]
            assert "note_deletion(" in body, f"{path.relative_to(root)}: DELETE FROM log_events without note_deletion"


def test_batch_path_confirms_only_candidates(local_logs: Any) -> None:
    """The Hyperscan pass keeps lines whose 3rd field cannot start with 5 away from the Python matcher, and its exact
    regex decides the plain lines that match without it."""
    from awsmon.engines.filterpattern import compile_pattern

    local_logs.create_log_group(logGroupName=G)
    local_logs.create_log_stream(logGroupName=G, logStreamName="s")
    local_logs.put_log_events(logGroupName=G, logStreamName="s", logEvents=[
        {"timestamp": NOW_MS + i, "message": f"h - {500 + i % 3 * 100} {i}"} for i in range(30)])  # fmt: skip
    fp = compile_pattern("[a, b, status = 5*, size]")
    batch = fp.batch()
    calls: list[str] = []
    real = batch._matches
    try:
        batch._matches = lambda m: calls.append(m) or real(m)
        got = local_logs.filter_log_events(logGroupName=G, filterPattern=fp.text)["events"]
    finally:
        batch._matches = real
    assert [e["message"] for e in got] == [f"h - 500 {i}" for i in range(0, 30, 3)]
    assert calls == []  # `status = 5*` on plain tokens: the regex is exact, no row reached Python


def test_batch_scan_maps_the_file_only_while_it_reads(local_logs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks are read through a memory map (PRAGMA mmap_size) set for the scan only: the connection's own setting
    is back afterwards, also when a page limit stops the scan in the middle of the chunks."""
    from awsmon.backends.local import logs_batch

    monkeypatch.setattr(logs_batch, "CHUNK_BYTES", 200)
    local_logs.create_log_group(logGroupName=G)
    local_logs.create_log_stream(logGroupName=G, logStreamName="s")
    local_logs.put_log_events(logGroupName=G, logStreamName="s", logEvents=[
        {"timestamp": NOW_MS - 60_000 + i * 100, "message": _batch_messages(i)} for i in range(300)])  # fmt: skip
    seen: list[int] = []
    real = logs_batch._chunks_mapped

    def spy(conn: Any, *a: Any, **k: Any) -> Any:
        for chunk in real(conn, *a, **k):
            seen.append(conn.execute("PRAGMA mmap_size").fetchone()[0])
            yield chunk

    monkeypatch.setattr(logs_batch, "_chunks_mapped", spy)
    before = local_logs.conn.execute("PRAGMA mmap_size").fetchone()[0]
    pattern = "[ip, id, user, ts, request, status >= 400, size]"
    page = local_logs.filter_log_events(logGroupName=G, filterPattern=pattern, limit=3)
    assert len(page["events"]) == 3 and page.get("nextToken")  # cut short: the chunk generator was abandoned
    assert local_logs.count_log_events(logGroupName=G, filterPattern=pattern)["count"] > 3
    assert before < 1 << 30 and len(seen) > 2 and all(v >= 1 << 30 for v in seen)  # SQLite caps it at ~2 GB
    assert local_logs.conn.execute("PRAGMA mmap_size").fetchone()[0] == before
