"""awsmon dashboards: the four API commands on both backends, validation errors, and `show` (terminal, --html,
--watch) over metric, alarm, text and log widgets.

moto stores any JSON body without validating it (a bad one gets "Body is invalid JSON"), so AWS's validation texts
are tested on the local backend only; the API shapes and `show` run on both. moto's GetMetricData returns metric math
expressions without values, so the expression series of `show` is checked locally only.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import Cli

CONSOLE_BODY = {  # the shape the CloudWatch console saves
    "start": "-PT3H",
    "widgets": [
        {"type": "text", "x": 0, "y": 0, "width": 24, "height": 2,
         "properties": {"markdown": "# Web service\nLatency of **web**, see [runbook](https://example.com/rb)."}},
        {"type": "metric", "x": 0, "y": 2, "width": 12, "height": 6,
         "properties": {"title": "Latency", "view": "timeSeries", "stacked": False, "region": "us-east-1",
                        "stat": "Average", "period": 300,
                        "metrics": [["App", "Latency", "Service", "web"], [".", "Errors", ".", "."],
                                    [{"expression": "m1 + m2", "label": "total", "id": "e1"}]]}},
        {"type": "metric", "x": 12, "y": 2, "width": 6, "height": 6,
         "properties": {"title": "Stacked", "view": "timeSeries", "stacked": True, "region": "us-east-1",
                        "period": 300, "metrics": [["App", "Latency", "Service", "web"], ["App", "Errors", "Service", "web"]]}},
        {"type": "metric", "x": 18, "y": 2, "width": 6, "height": 3,
         "properties": {"title": "Now", "view": "singleValue", "region": "us-east-1", "period": 300,
                        "metrics": [["App", "Latency", "Service", "web"]]}},
        {"type": "metric", "x": 18, "y": 5, "width": 6, "height": 3,
         "properties": {"title": "Gauge", "view": "gauge", "region": "us-east-1", "period": 300,
                        "yAxis": {"left": {"min": 0, "max": 100}}, "metrics": [["App", "Latency", "Service", "web"]]}},
    ],
}  # fmt: skip


def _seed_metrics(cli: Cli) -> None:
    for i in range(1, 7):
        cli.ok("metrics", "put", "--namespace", "App", "--metric-name", "Latency", "--value", str(i * 7),
               "-d", "Service=web", "--timestamp", f"{i * 10}m ago")  # fmt: skip
        cli.ok("metrics", "put", "--namespace", "App", "--metric-name", "Errors", "--value", str(i),
               "-d", "Service=web", "--timestamp", f"{i * 10}m ago")  # fmt: skip


def test_api_round_trip(backend_cli: Cli, tmp_path: Path) -> None:
    cli = backend_cli
    body = tmp_path / "web.json"
    body.write_text(json.dumps(CONSOLE_BODY))
    assert cli.json("dashboards", "put-dashboard", "--dashboard-name", "web", "--dashboard-body", f"file://{body}") == {
        "DashboardValidationMessages": []}
    cli.ok("dashboards", "put-dashboard", "--dashboard-name", "ops-1", "--dashboard-body",
           json.dumps({"widgets": [{"type": "text", "properties": {"markdown": "x"}}]}))  # fmt: skip
    got = cli.json("dashboards", "get-dashboard", "--dashboard-name", "web")
    assert got["DashboardName"] == "web" and json.loads(got["DashboardBody"]) == CONSOLE_BODY
    assert re.fullmatch(r"arn:aws:cloudwatch::\d{12}:dashboard/web", got["DashboardArn"])
    entries = cli.json("dashboards", "list-dashboards")["DashboardEntries"]
    assert sorted(e["DashboardName"] for e in entries) == ["ops-1", "web"]
    assert all(e["Size"] > 0 and "LastModified" in e for e in entries)
    assert [e["DashboardName"] for e in cli.json("dashboards", "list-dashboards", "--prefix", "op")["DashboardEntries"]] == ["ops-1"]
    cli.ok("dashboards", "delete-dashboards", "--dashboard-names", "web", "--dashboard-names", "ops-1")
    assert cli.json("dashboards", "list-dashboards")["DashboardEntries"] == []
    res = cli("dashboards", "get-dashboard", "--dashboard-name", "web")
    assert res.exit_code == 1 and "ResourceNotFound" in res.stderr


def test_show_on_both_backends(backend_cli: Cli) -> None:
    """A console-made dashboard is read back through GetDashboard and drawn from GetMetricData."""
    cli = backend_cli
    _seed_metrics(cli)
    cli.ok("dashboards", "put-dashboard", "--dashboard-name", "web", "--dashboard-body", json.dumps(CONSOLE_BODY))
    out = cli.ok("dashboards", "show", "web", "--width", "120").stdout
    lines = out.splitlines()
    assert lines[0].startswith("web  ")
    assert "+ Latency " in out and "+ Stacked " in out and "+ Now " in out and "+ Gauge " in out
    assert "WEB SERVICE" in out and "runbook" in out and "https://" not in out
    assert "Latency web: 7" in out  # the number widget shows the latest value (10 minutes ago)
    assert "] 7" in out  # the gauge
    if cli.env.get("AWSMON_BACKEND") != "aws":  # moto returns metric math expressions with no values
        assert "total (min 8, max 48)" in out  # the expression m1 + m2
    assert max(len(line) for line in lines) <= 120


def test_validation_errors_store_nothing(pinned: Cli) -> None:
    res = pinned("dashboards", "put-dashboard", "--dashboard-name", "d", "--dashboard-body", "{not json")
    assert res.exit_code == 2
    assert res.stderr.strip() == "awsmon: error: InvalidParameterInput: The field DashboardBody must be a valid JSON object"
    res = pinned("dashboards", "put-dashboard", "--dashboard-name", "d", "--dashboard-body",
                 json.dumps({"widgets": [{"type": "graph", "properties": {}}]}))  # fmt: skip
    assert res.exit_code == 2 and len(res.stderr.strip().splitlines()) == 1
    assert ('The dashboard body is invalid, there are 1 validation errors: [{"dataPath": "/widgets/0/type", '
            '"message": "Should be equal to one of the allowed values"}]') in res.stderr
    res = pinned("dashboards", "put-dashboard", "--dashboard-name", "bad name", "--dashboard-body", '{"widgets": []}')
    assert res.exit_code == 2 and "contains invalid characters" in res.stderr
    assert pinned.json("dashboards", "list-dashboards")["DashboardEntries"] == []
    pinned.ok("dashboards", "put-dashboard", "--dashboard-name", "d", "--dashboard-body", '{"widgets": []}')
    res = pinned("dashboards", "delete-dashboards", "--dashboard-names", "d", "--dashboard-names", "missing")
    assert res.exit_code == 1 and "The specified dashboard does not exist. [missing]" in res.stderr
    assert [e["DashboardName"] for e in pinned.json("dashboards", "list-dashboards")["DashboardEntries"]] == ["d"]


def _full_dashboard(cli: Cli) -> None:
    _seed_metrics(cli)
    cli.ok("alarms", "put", "--alarm-name", "lat-high", "--namespace", "App", "--metric-name", "Latency",
           "--dimensions", "Service=web", "--statistic", "Average", "--period", "60", "--evaluation-periods", "1",
           "--threshold", "10", "--comparison-operator", "GreaterThanThreshold")  # fmt: skip
    cli.ok("alarms", "set-state", "--alarm-name", "lat-high", "--state-value", "ALARM", "--state-reason", "test")
    cli.ok("logs", "put-events", "--group", "/app/web", "--stream", "s", "--create", "--message",
           '{"status": 500, "path": "/a"}', "--message", '{"status": 200, "path": "/b"}')  # fmt: skip
    body = json.loads(json.dumps(CONSOLE_BODY))
    body["widgets"] += [
        {"type": "alarm", "x": 0, "y": 8, "width": 8, "height": 4, "properties": {"title": "Alarms", "alarms": [
            "arn:aws:cloudwatch:us-east-1:123456789012:alarm:lat-high",
            "arn:aws:cloudwatch:us-east-1:123456789012:alarm:gone"]}},
        {"type": "log", "x": 8, "y": 8, "width": 16, "height": 4, "properties": {"title": "Errors by path",
            "region": "us-east-1", "view": "table",
            "query": "SOURCE '/app/web' | filter status >= 500 | stats count(*) as n by path"}},
        {"type": "log", "x": 0, "y": 12, "width": 24, "height": 4, "properties": {"title": "Bad query",
            "region": "us-east-1", "query": "SOURCE '/app/web' | stats nope("}},
    ]  # fmt: skip
    cli.ok("dashboards", "put-dashboard", "--dashboard-name", "full", "--dashboard-body", json.dumps(body))


def test_show_alarm_log_and_failing_widgets(pinned: Cli) -> None:
    _full_dashboard(pinned)
    out = pinned.ok("dashboards", "show", "full", "--width", "140").stdout
    assert re.search(r"\S ALARM\s+lat-high", out) and re.search(r"\S MISSING\s+gone", out)
    assert re.search(r"path\s+n", out) and re.search(r"/a\s+1", out)
    assert "! MalformedQueryException: unexpected symbol found nope at line 1 and position 6" in out  # one widget fails


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.srcs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.srcs += [v or "" for k, v in attrs if k in ("src", "href") and tag != "a"]


def test_html_page_is_self_contained(pinned: Cli, tmp_path: Path) -> None:
    _full_dashboard(pinned)
    page = tmp_path / "full.html"
    res = pinned.ok("dashboards", "show", "full", "--html", str(page))
    assert res.stdout == "" and "wrote" in res.stderr
    text = page.read_text()
    parser = _Page()
    parser.feed(text)
    assert "script" not in parser.tags and parser.srcs == []
    assert parser.tags.count("svg") == 3 and "polyline" in parser.tags and "polygon" in parser.tags  # line, stacked, gauge
    assert "<h1>Web service</h1>" in text and '<a href="https://example.com/rb">runbook</a>' in text
    assert "lat-high" in text and "<td>/a</td>" in text and "grid-column:1/span 24" in text
    assert 'class="error"' in text  # the failing log widget


def test_watch_redraws_until_ctrl_c(pinned: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _full_dashboard(pinned)
    import time

    frames = []

    def fake_sleep(seconds: float) -> None:
        frames.append(seconds)
        if len(frames) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(time, "sleep", fake_sleep)
    res = pinned("dashboards", "show", "full", "--watch", "--interval", "5", "--width", "100")
    assert res.exit_code == 130 and frames == [5, 5]
    assert res.stdout.count("+ Latency ") == 2  # drawn twice
    assert "Traceback" not in res.stderr
    page = tmp_path / "w.html"
    frames.clear()
    res = pinned("dashboards", "show", "full", "--watch", "--interval", "7", "--html", str(page))
    assert res.exit_code == 130 and '<meta http-equiv="refresh" content="7">' in page.read_text()
    assert pinned("dashboards", "show", "full", "--watch", "--interval", "0").exit_code == 2
    assert pinned("dashboards", "show", "nope").exit_code == 1


def test_show_includes_a_datum_put_just_now(pinned: Cli) -> None:
    # the README tour: a datum put at the (pinned) clock's minute, then `dashboards show app --start 1h` said
    # "(no datapoints in this time range)": the range ended at now, exclusive; it runs through this minute, as `metrics get`
    pinned.ok("metrics", "put", "--namespace", "App", "--metric-name", "Latency", "--value", "120", "-d", "Service=web")
    body = {"widgets": [{"type": "metric", "width": 12, "properties": {"region": "us-east-1", "view": "singleValue",
                                                                        "metrics": [["App", "Latency", "Service", "web"]]}}]}  # fmt: skip
    pinned.ok("dashboards", "put-dashboard", "--dashboard-name", "app", "--dashboard-body", json.dumps(body))
    out = pinned.ok("dashboards", "show", "app", "--start", "1h", "--width", "80").stdout
    assert "no datapoints" not in out and "120" in out


def test_body_files_go_through_the_one_reader(pinned: Cli, tmp_path: Path) -> None:
    """A non-UTF-8 or unreadable --dashboard-body file was "unexpected UnicodeDecodeError" (exit 1)."""
    bad = tmp_path / "body.json"
    bad.write_bytes(b'{"widgets": []}\xff')
    for value, words in ((f"file://{bad}", "not UTF-8 text (byte 0xff at offset 15)"), (f"file://{tmp_path}", "Is a directory")):
        res = pinned("dashboards", "put-dashboard", "--dashboard-name", "ops", "--dashboard-body", value)
        assert res.exit_code == 2 and res.stderr.count("\n") == 1 and words in res.stderr, res.stderr
    assert pinned.json("dashboards", "list-dashboards")["DashboardEntries"] == []


@pytest.mark.parametrize(("args", "words"), [
    (["--width", "99999999"], "--width must be 40 to 1000 columns"),  # took 10 GB and 40 s
    (["--width", "-5"], "--width must be 40 to 1000 columns"),
    (["--watch", "--interval", "nan"], "--interval must be a number of seconds above 0, at most 86400"),  # unexpected ValueError
    (["--watch", "--interval", "1e400"], "--interval must be"),  # unexpected OverflowError
    (["--period", "2"], "--period must be 1, 5, 10, 30 or a multiple of 60 seconds"),
])  # fmt: skip
def test_show_options_out_of_range(pinned: Cli, args: list[str], words: str) -> None:
    pinned.ok("dashboards", "put-dashboard", "--dashboard-name", "probe", "--dashboard-body", '{"widgets": []}')
    res = pinned("dashboards", "show", "probe", *args)
    assert res.exit_code == 2 and res.stderr.count("\n") == 1 and words in res.stderr, res.stderr
