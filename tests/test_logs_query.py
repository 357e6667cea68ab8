"""awsmon logs query (Logs Insights): the command on the local account, its output shapes and errors, the SQL
pushdown against the evaluator, and contract tests against a moto server.

moto implements only ``fields``, ``sort`` and ``limit`` of the language and silently ignores the rest (spec logs.md
§4-5); it returns @timestamp as epoch milliseconds, adds @ptr to every row and has no statistics and no StopQuery.
The contract tests therefore compare the messages of a fields/sort/limit query, the only case both answer alike.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import PINNED_NOW, Cli

G = "/app/web"
NOW = datetime.fromisoformat(PINNED_NOW.replace("Z", "+00:00"))


def _put(cli: Cli, group: str = G, stream: str = "web-1", n: int = 30, step_s: int = 60) -> None:
    events = []
    for i in range(n):
        ts = NOW - timedelta(seconds=step_s * (n - i))
        status = 500 if i % 5 == 0 else 200
        msg = json.dumps({"status": status, "latency": i * 10, "path": f"/p{i % 3}"})
        events.append({"timestamp": int(ts.timestamp() * 1000), "message": msg})
    cli.ok("logs", "put-events", "--group", group, "--stream", stream, "--create", "--log-events", json.dumps(events))


@pytest.fixture
def loaded(pinned: Cli) -> Cli:
    _put(pinned)
    _put(pinned, stream="web-2", n=10, step_s=90)
    pinned.ok("logs", "put-events", "--group", G, "--stream", "plain", "--create", "--message", "[ERROR] disk full", "--timestamp",
              "2m ago")  # fmt: skip
    return pinned


def test_json_output_is_get_query_results(loaded: Cli) -> None:
    out = loaded.json("logs", "query", "--log-group-name", G, "--query-string",
                      "filter status >= 500 | stats count(*) as n by path | sort n desc")  # fmt: skip
    assert set(out) == {"results", "statistics", "status"}
    assert out["status"] == "Complete"
    assert out["results"][0][0] == {"field": "path", "value": "/p0"}
    counts = {r[0]["value"]: int(r[1]["value"]) for r in out["results"]}
    assert counts == {"/p0": 3, "/p2": 3, "/p1": 2}
    st = out["statistics"]
    assert st["recordsScanned"] == 41.0 and st["recordsMatched"] == 8.0 and st["bytesScanned"] > 0


def test_jsonl_rows_keyed_by_field_and_table(loaded: Cli) -> None:
    res = loaded.ok("logs", "query", "--group", G, "--query-string",
                    "fields @timestamp, status, latency | filter status = 500 | sort latency desc | limit 2",
                    "-o", "jsonl")  # fmt: skip
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert [(r["status"], r["latency"]) for r in rows] == [("500", "250"), ("500", "200")]
    assert rows[0]["@timestamp"] == "2026-11-20 11:55:00.000" and "@ptr" in rows[0]
    table = loaded.ok("logs", "query", "--group", G, "--query-string", "stats count(*) by bin(10m)", "-o", "table")
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["bin(10m)", "count(*)"]
    assert "@ptr" not in table.stdout
    csv = loaded.ok("logs", "query", "--group", G, "--query-string", 'parse @message "[*] *" as level, msg | '
                    "filter ispresent(level) | display level, msg", "-o", "csv")  # fmt: skip
    assert csv.stdout.splitlines() == ["level,msg", "ERROR,disk full"]


def test_time_range_limit_and_query_file(loaded: Cli, tmp_path: object) -> None:
    out = loaded.json("logs", "query", "--group", G, "--start", "10m", "--end", "0m", "--query-string", "stats count(*)")
    # events at -10m .. -1m of web-1 (10), web-2 at -9m, -7.5m, ... (6 within), the plain one at -2m
    assert out["results"] == [[{"field": "count(*)", "value": "17"}]]
    out = loaded.json("logs", "query", "--group", G, "--limit", "3", "--query-string", "fields @message")
    assert len(out["results"]) == 3
    qf = tmp_path / "q.txt"  # type: ignore[operator]
    qf.write_text("# count errors\nfilter status >= 500\n| stats count(*) as n\n")
    out = loaded.json("logs", "query", "--group", G, "--query-file", str(qf))
    assert out["results"] == [[{"field": "n", "value": "8"}]]


def test_sql_pushdown_agrees_with_the_evaluator(loaded: Cli) -> None:
    """``stats count(*) by bin()`` runs as SQL; the same aggregate behind a non-pushable filter runs in Python."""
    for by in ("bin(5m)", "bin(1h), @logStream", "@logStream, @log"):
        sql = loaded.json("logs", "query", "--group", G, "--start", "2h", "--query-string",
                          f'filter @message like "status" | stats count(*) as n by {by}')  # fmt: skip
        py = loaded.json("logs", "query", "--group", G, "--start", "2h", "--query-string",
                         f"filter strcontains(@message, 'status') | stats count(*) as n by {by}")  # fmt: skip
        assert sql["results"] == py["results"] and sql["results"]
        assert sql["statistics"]["recordsMatched"] == py["statistics"]["recordsMatched"] == 40.0


def test_several_groups_merge_newest_first(loaded: Cli) -> None:
    loaded.ok("logs", "put-events", "--group", "/app/api", "--stream", "a", "--create", "--message", "from api",
              "--timestamp", "30s ago")  # fmt: skip
    out = loaded.json("logs", "query", "--group", G, "--group", "/app/api", "--query-string",
                      "fields @message, @log | limit 2")  # fmt: skip
    rows = [{c["field"]: c["value"] for c in r} for r in out["results"]]
    assert rows[0]["@message"] == "from api" and rows[0]["@log"] == "123456789012:/app/api"
    assert rows[1]["@log"] == "123456789012:/app/web"


def test_malformed_query_is_one_line_exit_2_naming_the_position(loaded: Cli) -> None:
    res = loaded("logs", "query", "--group", G, "--query-string", "filter status >= | stats count(*)")
    assert res.exit_code == 2
    assert res.stderr.strip().splitlines()[0] == (
        "awsmon: error: MalformedQueryException: unexpected symbol found | at line 1 and position 17")
    assert res.stdout == ""
    res = loaded("logs", "query", "--group", G, "--query-string", "fields a\n| stats bogus(x)")
    assert res.exit_code == 2 and "at line 2 and position 8" in res.stderr


def test_bad_input(loaded: Cli) -> None:
    assert loaded("logs", "query", "--group", G).exit_code == 2  # no query
    assert loaded("logs", "query", "--group", G, "--query-string", "x", "--query-file", "f").exit_code == 2
    res = loaded("logs", "query", "--group", "/nope", "--query-string", "fields @message")
    assert res.exit_code == 1 and "Log group '/nope' does not exist" in res.stderr
    res = loaded("logs", "query", "--group", G, "--query-string", "fields @message", "--limit", "20000")
    assert res.exit_code == 2 and "less than or equal to 10000" in res.stderr
    res = loaded("logs", "query", "--group", G, "--query-string", "fields @message", "--start", "1m", "--end", "2h")
    assert res.exit_code == 2


def test_query_is_kept_and_described(loaded: Cli, ctx: object) -> None:
    loaded.ok("logs", "query", "--group", G, "--query-string", "stats count(*)")
    client = ctx.client("logs")  # type: ignore[attr-defined]
    queries = client.describe_queries(logGroupName=G)["queries"]
    assert queries and queries[0]["status"] == "Complete" and queries[0]["queryString"] == "stats count(*)"
    assert client.stop_query(queryId=queries[0]["queryId"]) == {"success": False}
    again = client.get_query_results(queryId=queries[0]["queryId"])
    assert again["results"] == [[{"field": "count(*)", "value": "41"}]]
    events = ctx.client("cloudtrail").lookup_events(  # type: ignore[attr-defined]
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "StartQuery"}])["Events"]
    assert events


def test_max_wait_stops_a_running_query(ctx: object) -> None:
    """On AWS a query may still be running: past --max-wait it is stopped and the command fails."""
    from awsmon.errors import AwsmonError
    from awsmon.services import logs_query

    calls: list[str] = []

    class Slow:
        def start_query(self, **kw: object) -> dict[str, str]:
            return {"queryId": "q-1"}

        def get_query_results(self, **kw: object) -> dict[str, object]:
            calls.append("get")
            return {"status": "Running", "results": [], "statistics": {"recordsScanned": 5.0}}

        def stop_query(self, **kw: object) -> dict[str, bool]:
            calls.append("stop")
            return {"success": True}

    ctx.client = lambda *a, **k: Slow()  # type: ignore[attr-defined]
    start = datetime(2026, 11, 20, tzinfo=UTC)
    with pytest.raises(AwsmonError, match="did not complete within 0 s and was stopped"):
        logs_query.run_query(ctx, [G], "fields @message", start, start + timedelta(hours=1), max_wait=0,  # type: ignore[arg-type]
                             sleep=lambda s: None)  # fmt: skip
    assert calls == ["get", "stop"]


def test_contract_fields_sort_limit(backend_cli: Cli) -> None:
    cli = backend_cli
    cli.ok("logs", "create-group", "--name", "/contract/q")
    cli.ok("logs", "put-events", "--group", "/contract/q", "--stream", "s", "--create", "--message", "first",
           "--timestamp", "5m ago")  # fmt: skip
    cli.ok("logs", "put-events", "--group", "/contract/q", "--stream", "s", "--message", "second", "--timestamp", "1m ago")
    out = cli.json("logs", "query", "--group", "/contract/q", "--start", "1h", "--query-string",
                   "fields @timestamp, @message | sort @timestamp desc | limit 5")  # fmt: skip
    assert out["status"] == "Complete"
    messages = [next(c["value"] for c in row if c["field"] == "@message") for row in out["results"]]
    assert messages == ["second", "first"]
    res = cli("logs", "query", "--group", "/contract/missing", "--query-string", "fields @message")
    assert res.exit_code == 1 and "ResourceNotFoundException" in res.stderr


MIXED = ['{"status": 503, "path": "/a", "n": {"k": [1, 2]}}', '{"status": "504", "path": "/b"}', '{"status": 200}',
         '{"status": null, "path": "/a"}', '{"status": true}', '{"status": {"x": 1}}', "status=500 not json",
         '["status", 500]', '{"path": "/a", "status": 500.5}', '{"status": "abc", "path": 7}', "{broken",
         '{"a": {"status": 100}, "status": 600}', '{"k": "status", "status": 501}', '{"status" :\n 502}',
         '{"status": -5e3}', '{"st\\u0061tus": 900}', '{"status": 1e3, "n": {"k": [0, 2]}}']  # fmt: skip


@pytest.mark.parametrize(
    ("pushed", "python"),
    [
        ("status >= 500", "status + 0 >= 500"),
        ("500 <= status", "0 + status >= 500"),
        ("status = 503", "status * 1 = 503"),
        ("status != 200", "not (status = 200) and ispresent(status)"),
        ("path = '/a'", "concat(path) = '/a'"),
        ("n.k.1 = 2", "n.k.1 + 0 = 2"),
        ("status > 100 and path = '/a'", "status + 0 > 100 and concat(path) = '/a'"),
    ],
)
def test_json_prefilter_agrees_with_the_evaluator(pinned: Cli, pushed: str, python: str) -> None:
    events = [{"timestamp": int((NOW - timedelta(minutes=20 - i)).timestamp() * 1000), "message": m}
              for i, m in enumerate(MIXED)]  # fmt: skip
    pinned.ok("logs", "put-events", "--group", G, "--stream", "m", "--create", "--log-events", json.dumps(events))
    a = pinned.json("logs", "query", "--group", G, "--query-string", f"filter {pushed} | fields @message")
    b = pinned.json("logs", "query", "--group", G, "--query-string", f"filter {python} | fields @message")
    assert a["results"] == b["results"]


# -- outside probe ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["nan", "inf", "-1"])
def test_max_wait_must_be_a_number_of_seconds(loaded: Cli, value: str) -> None:
    res = loaded("logs", "query", "--log-group-name", G, "--query-string", "fields @message", "--max-wait", value)
    assert res.exit_code == 2 and "--max-wait must be a number of seconds, 0 or more" in res.stderr


def test_query_file_goes_through_the_one_reader(loaded: Cli, tmp_path: Path) -> None:
    """A non-UTF-8 --query-file was "unexpected UnicodeDecodeError" (exit 1)."""
    bad = tmp_path / "q.txt"
    bad.write_bytes(b"fields @message\xff")
    res = loaded("logs", "query", "--log-group-name", G, "--query-file", str(bad))
    assert res.exit_code == 2 and res.stderr.count("\n") == 1 and "not UTF-8 text (byte 0xff at offset 15)" in res.stderr
    good = tmp_path / "good.txt"
    good.write_text("stats count(*) as n")
    assert loaded.json("logs", "query", "--log-group-name", G, "--query-file", str(good))["results"]
    res = loaded("logs", "query", "--log-group-name", G, "--query-string", "fields @message | limit 99999999999999999999")
    assert res.exit_code == 2 and "MalformedQueryException" in res.stderr
