"""CloudWatch Synthetics canaries: the engine, the local lifecycle and runs against a real local HTTP server on the
simulated clock, metrics and an alarm on them, artifacts in the bucket, bad input, and a moto contract test."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from awsmon.engines import canary as eng
from tests.conftest import Cli

BUCKET = "cw-syn-results-123456789012-us-east-1"


class _Site:
    """A local HTTP server whose answer the test changes; it counts the requests it gets."""

    def __init__(self) -> None:
        self.status = 200
        self.delay = 0.0  # seconds the server waits before answering
        self.hits: list[tuple[str, str, str]] = []  # (method, path, body)
        self.answered: list[float] = []  # time.monotonic() of each answer
        site = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                site.hits.append((self.command, self.path, body))
                time.sleep(site.delay)
                status = 201 if self.path.startswith("/created") and site.status == 200 else site.status
                payload = b'{"ok": true}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                site.answered.append(time.monotonic())

            do_GET = do_POST = _answer  # noqa: N815 (http.server's names)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site() -> Iterator[_Site]:
    s = _Site()
    yield s
    s.close()


def _closed_port_url() -> str:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/"


def _heartbeat(cli: Cli, name: str, url: str, schedule: str = "rate(5 minutes)", *extra: str) -> dict[str, Any]:
    return cli.json("synthetics", "create-canary", "--name", name, "--blueprint", "heartbeat", "--url", url,
                    "--schedule", schedule, *extra)["Canary"]  # fmt: skip


def _runs(cli: Cli, name: str) -> list[dict[str, Any]]:
    return cli.json("synthetics", "get-canary-runs", "--name", name)["CanaryRuns"]


def _datapoints(cli: Cli, metric: str, name: str, stat: str = "Sum", **dims: str) -> list[dict[str, Any]]:
    dim_args = [a for k, v in {"CanaryName": name, **dims}.items() for a in ("--dimensions", f"Name={k},Value={v}")]
    data = cli.json("metrics", "get", "--namespace", "CloudWatchSynthetics", "--metric-name", metric, *dim_args,
                    "--statistics", stat, "--period", "60", "--start-time", "2026-11-20T11:00:00Z",
                    "--end-time", "2026-11-21T10:00:00Z")  # fmt: skip
    return sorted(data["Datapoints"], key=lambda d: d["Timestamp"])


# -- engine ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("expr", ["rate(1 minute)", "rate(5 minutes)", "rate(60 minutes)", "rate(1 hour)",
                                  "rate(0 minute)", "rate(0 hour)", "cron(0/10 * * * ? *)", "cron(0 8 ? * MON-FRI *)"])
def test_valid_schedules(expr: str) -> None:
    sched = eng.parse_schedule(expr)
    assert sched.expression == expr


@pytest.mark.parametrize("expr", ["rate(61 minutes)", "rate(2 hours)", "rate(2 hour)", "rate(1 day)", "rate(-1 minute)",
                                  "cron(0 8 * * ? 2027)", "cron(0 8 * * *)", "cron(0 8 * * * *)", "every 5 minutes",
                                  "rate(5 seconds)", ""])
def test_invalid_schedules(expr: str) -> None:
    with pytest.raises(eng.CanaryInputError):
        eng.parse_schedule(expr)


@given(st.integers(min_value=-5, max_value=200))
def test_rate_minutes_range(n: int) -> None:
    try:
        sched = eng.parse_schedule(f"rate({n} minutes)")
    except eng.CanaryInputError:
        assert not 0 <= n <= 60
    else:
        assert 0 <= n <= 60 and (sched.once == (n == 0))


@given(st.text(max_size=60))
def test_schedule_parser_never_crashes(text: str) -> None:
    try:
        eng.parse_schedule(text)
    except eng.CanaryInputError as exc:
        assert exc.message


def test_runs_between_is_bounded_and_counts_what_it_leaves_out() -> None:
    start = datetime(2026, 11, 20, 12, tzinfo=UTC)
    sched = eng.parse_schedule("rate(1 minute)")
    runs, skipped = sched.runs_between(start, start + timedelta(days=30), start, 60)
    assert len(runs) == 60 and skipped == 30 * 1440 + 1 - 60 and runs[-1] == start + timedelta(days=30)
    cron = eng.parse_schedule("cron(0 * * * ? *)")
    runs, skipped = cron.runs_between(start, start + timedelta(hours=5), start, 3)
    assert [r.hour for r in runs] == [15, 16, 17] and skipped == 3  # 12:00 (first) to 17:00


def test_blueprint_script_carries_its_plan_and_aws_heartbeat_is_recognised() -> None:
    plan = eng.blueprint_plan("api", steps=[{"url": "https://api.example.com/a", "method": "post", "body": {"x": 1},
                                             "expectedStatus": 201}])  # fmt: skip
    assert eng.plan_from_script(eng.blueprint_script(plan)) == plan
    assert plan["steps"][0] == {"name": "step1", "method": "POST", "url": "https://api.example.com/a", "headers": {},
                                "body": '{"x":1}'.replace(":", ": "), "expectedStatus": 201}  # fmt: skip
    aws_blueprint = "const synthetics = require('Synthetics');\nconst urls = ['https://example.com', 'https://x.org/a'];\n"
    assert [s["url"] for s in eng.plan_from_script(aws_blueprint)["steps"]] == ["https://example.com", "https://x.org/a"]
    assert eng.plan_from_script("exports.handler = async () => { await fetch('https://a.b') }") is None
    with pytest.raises(eng.CanaryInputError, match="unknown field"):
        eng.check_steps([{"url": "https://a.b", "expect": 200}])
    with pytest.raises(eng.CanaryInputError, match="http"):
        eng.blueprint_plan("heartbeat", urls=["ftp://a.b"])


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed: the generated scripts are Node.js")
def test_blueprint_scripts_are_valid_javascript(tmp_path: Path) -> None:
    """The generated scripts run on AWS's Node.js runtimes: at least they must parse."""
    plans = [eng.blueprint_plan("heartbeat", urls=["https://example.com/a?b=1", "http://127.0.0.1:8080/"]),
             eng.blueprint_plan("api", steps=[{"url": "https://api.example.com/x", "method": "POST",
                                               "headers": {"X-Key": "it's"}, "body": {"q": "`${x}`"}}])]  # fmt: skip
    for i, plan in enumerate(plans):
        path = tmp_path / f"s{i}.js"
        path.write_text(eng.blueprint_script(plan))
        res = subprocess.run(["node", "--check", str(path)], capture_output=True, text=True, timeout=60)
        assert res.returncode == 0, res.stderr
        assert eng.plan_from_script(path.read_text()) == plan


def test_evaluate_counts_status_classes_and_step_metrics() -> None:
    plan = eng.blueprint_plan("api", steps=[{"name": "a", "url": "http://h/a"}, {"name": "b", "url": "http://h/b"}])
    ok = eng.Response("GET", "http://h/a", 200, "OK", elapsed_ms=10)
    bad = eng.Response("GET", "http://h/b", 503, "Service Unavailable", elapsed_ms=5)
    out = eng.evaluate("c", plan, [ok, bad])
    assert not out.passed and out.reason == "Failed: 503 Service Unavailable" and out.duration_ms == 15
    got = {(m, tuple(sorted(d.items()))): v for m, d, v, _ in out.metrics}
    assert got[("5xx", (("CanaryName", "c"),))] == 1 and got[("2xx", (("CanaryName", "c"),))] == 1
    assert got[("SuccessPercent", (("CanaryName", "c"), ("StepName", "b")))] == 0
    assert got[("SuccessPercent", (("CanaryName", "c"), ("StepName", "a")))] == 100
    down = eng.Response("GET", "http://h/a", None, error="net::ERR_CONNECTION_REFUSED at http://h/a")
    out = eng.evaluate("c", plan, [down])
    assert out.reason == "net::ERR_CONNECTION_REFUSED at http://h/a" and len(out.steps) == 1
    assert eng.run_folder("s3://b/canary/r/n-1", datetime(2024, 10, 15, 13, 50, 39, 690000, tzinfo=UTC)) == (
        "b", "canary/r/n-1/2024/10/15/13/50-39-690")


# -- local lifecycle and runs ---------------------------------------------------------------------------------------
def test_heartbeat_runs_metrics_artifacts_and_alarm(pinned: Cli, site: _Site, tmp_path: Path) -> None:
    canary = _heartbeat(pinned, "home", site.url + "/")
    assert canary["Status"]["State"] == "RUNNING" and canary["Tags"] == {"blueprint": "heartbeat"}
    assert canary["ArtifactS3Location"].startswith(f"{BUCKET}/canary/us-east-1/home-")
    assert canary["ExecutionRoleArn"].endswith(":role/service-role/CloudWatchSyntheticsRole-awsmon")
    runs = _runs(pinned, "home")
    assert len(runs) == 1 and runs[0]["Status"]["State"] == "PASSED"  # a rate canary runs when it starts
    assert runs[0]["Timeline"]["Started"] == "2026-11-20T12:00:00Z"
    pinned.ok("alarms", "put", "--alarm-name", "home-down", "--namespace", "CloudWatchSynthetics", "--metric-name",
              "SuccessPercent", "--dimensions", "Name=CanaryName,Value=home", "--statistic", "Average", "--period",
              "300", "--evaluation-periods", "1", "--threshold", "90", "--comparison-operator", "LessThanThreshold",
              "--treat-missing-data", "notBreaching")  # fmt: skip
    pinned.ok("account", "clock", "advance", "10m")
    assert [r["Status"]["State"] for r in _runs(pinned, "home")] == ["PASSED"] * 3
    assert len(site.hits) == 2  # the start run, then one probe for the two runs of the catch-up
    site.status = 500
    pinned.ok("account", "clock", "advance", "10m")
    runs = _runs(pinned, "home")
    assert [r["Status"]["State"] for r in runs] == ["FAILED", "FAILED", "PASSED", "PASSED", "PASSED"]
    assert runs[0]["Status"]["StateReason"] == f"Failed to load url: {site.url}/. Status code: 500"
    assert runs[0]["Status"]["StateReasonCode"] == "CANARY_FAILURE"
    pinned.ok("account", "clock", "advance", "2m")
    alarm = pinned.json("alarms", "describe", "--alarm-names", "home-down")["MetricAlarms"][0]
    assert alarm["StateValue"] == "ALARM"
    # metrics with AWS's names, units and dimension
    success = _datapoints(pinned, "SuccessPercent", "home", "Average")
    assert [d["Average"] for d in success] == [100, 100, 100, 0, 0] and success[0]["Unit"] == "Percent"
    assert [d["Sum"] for d in _datapoints(pinned, "5xx", "home")] == [0, 0, 0, 1, 1]
    assert [d["Sum"] for d in _datapoints(pinned, "Failed", "home")] == [0, 0, 0, 1, 1]
    assert all(d["Unit"] == "Milliseconds" for d in _datapoints(pinned, "Duration", "home", "Average"))
    # artifacts in the bucket, in AWS's layout, through the S3 service
    keys = [i["Key"] for i in pinned.json("s3", "ls", f"s3://{BUCKET}/", "--recursive")["Items"]]
    folder = runs[0]["ArtifactS3Location"].split("/", 1)[1]
    assert folder.endswith("/2026/11/20/12/20-00-000")
    assert f"{folder}/SyntheticsReport-FAILED.json" in keys and f"{folder}/requests.har.json" in keys
    pinned.ok("s3", "cp", f"s3://{BUCKET}/{folder}/requests.har.json", str(tmp_path / "har.json"))
    har = json.loads((tmp_path / "har.json").read_text())
    entry = har["log"]["entries"][0]
    assert entry["request"]["url"] == site.url + "/" and entry["response"]["status"] == 500
    pinned.ok("s3", "cp", f"s3://{BUCKET}/{folder}/SyntheticsReport-FAILED.json", str(tmp_path / "r.json"))
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["canaryRunId"] == runs[0]["Id"] and report["steps"][0]["statusCode"] == 500
    # the artifacts were written by the canary's role (CloudTrail data events)
    last = pinned.json("synthetics", "describe-canaries-last-run")["CanariesLastRun"]
    assert last == [{"CanaryName": "home", "LastRun": runs[0]}]


def test_unreachable_url_fails_with_the_network_error(pinned: Cli) -> None:
    url = _closed_port_url()
    _heartbeat(pinned, "down", url)
    run = _runs(pinned, "down")[0]
    assert run["Status"] == {"State": "FAILED", "StateReason": f"net::ERR_CONNECTION_REFUSED at {url}",
                             "StateReasonCode": "CANARY_FAILURE", "TestResult": "FAILED"}  # fmt: skip
    assert [d["Sum"] for d in _datapoints(pinned, "Failed requests", "down")] == [1]


def test_runs_and_state_changes_are_eventbridge_events(pinned: Cli, site: _Site) -> None:
    pinned.ok("sqs", "create-queue", "--queue-name", "q")
    pinned.ok("rules", "put", "--name", "canary-events", "--event-pattern",
              json.dumps({"source": ["aws.synthetics"], "detail": {"canary-name": ["ev"]}}))  # fmt: skip
    pinned.ok("rules", "put-targets", "--rule", "canary-events", "--targets",
              "Id=q,Arn=arn:aws:sqs:us-east-1:123456789012:q")  # fmt: skip
    site.status = 503
    _heartbeat(pinned, "ev", site.url + "/")
    pinned.ok("account", "clock", "advance", "1m")
    bodies = [json.loads(m["Body"]) for m in
              pinned.json("sqs", "receive-message", "--queue-url", "q", "--max", "10")["Messages"]]  # fmt: skip
    kinds = sorted((b["detail-type"], b["detail"].get("current-state", "")) for b in bodies)
    assert kinds == [("Synthetics Canary Status Change", "READY"), ("Synthetics Canary Status Change", "RUNNING"),
                     ("Synthetics Canary Status Change", "STARTING"), ("Synthetics Canary TestRun Failure", "")]
    failure = next(b for b in bodies if b["detail-type"] == "Synthetics Canary TestRun Failure")
    run = _runs(pinned, "ev")[0]
    assert failure["detail"]["canary-run-id"] == run["Id"] and failure["detail"]["test-run-status"] == "FAILED"
    assert failure["detail"]["artifact-location"] == run["ArtifactS3Location"]
    assert failure["detail"]["state-reason"] == f"Failed to load url: {site.url}/. Status code: 503"


def test_api_canary_steps_and_step_metrics(pinned: Cli, site: _Site, tmp_path: Path) -> None:
    steps = [{"name": "list", "url": site.url + "/items"},
             {"name": "create", "method": "POST", "url": site.url + "/created", "body": {"a": 1},
              "headers": {"Content-Type": "application/json"}, "expectedStatus": 201}]  # fmt: skip
    (tmp_path / "steps.json").write_text(json.dumps(steps))
    pinned.ok("synthetics", "create-canary", "--name", "api", "--blueprint", "api", "--steps",
              f"file://{tmp_path / 'steps.json'}", "--schedule", "Expression=rate(1 minute),DurationInSeconds=0")  # fmt: skip
    assert _runs(pinned, "api")[0]["Status"]["State"] == "PASSED"
    assert site.hits == [("GET", "/items", ""), ("POST", "/created", '{"a": 1}')]
    assert [d["Average"] for d in _datapoints(pinned, "SuccessPercent", "api", "Average", StepName="create")] == [100]
    site.status = 404
    pinned.ok("account", "clock", "advance", "1m")
    run = _runs(pinned, "api")[0]
    assert run["Status"]["StateReason"] == "Failed: 404 Not Found"
    assert len(site.hits) == 3  # the run stops at the failing first step
    assert [d["Sum"] for d in _datapoints(pinned, "4xx", "api")] == [0, 1]


def test_lifecycle_stop_delete_and_run_once(pinned: Cli, site: _Site) -> None:
    _heartbeat(pinned, "c1", site.url + "/")
    res = pinned("synthetics", "delete-canary", "--name", "c1")
    assert res.exit_code == 1 and "ConflictException" in res.stderr and "RUNNING" in res.stderr
    res = pinned("synthetics", "start-canary", "--name", "c1")
    assert res.exit_code == 1 and "ConflictException" in res.stderr
    pinned.ok("synthetics", "stop-canary", "--name", "c1")
    canary = pinned.json("synthetics", "get-canary", "--name", "c1")["Canary"]
    assert canary["Status"]["State"] == "STOPPED" and canary["Timeline"]["LastStopped"] == "2026-11-20T12:00:00Z"
    csv = pinned.ok("synthetics", "get-canary", "--name", "c1", "-o", "csv").stdout.splitlines()
    assert csv[0].startswith("Name,State,Schedule,") and csv[1].startswith("c1,STOPPED,rate(5 minutes),")
    pinned.ok("account", "clock", "advance", "30m")
    assert len(_runs(pinned, "c1")) == 1  # stopped: no more runs
    pinned.ok("synthetics", "delete-canary", "--name", "c1")
    res = pinned("synthetics", "get-canary", "--name", "c1")
    assert res.exit_code == 1 and "ResourceNotFoundException" in res.stderr
    # rate(0 minute): one run when started, then STOPPED
    _heartbeat(pinned, "once", site.url + "/", "rate(0 minute)")
    pinned.ok("account", "clock", "advance", "1h")
    assert len(_runs(pinned, "once")) == 1
    assert pinned.json("synthetics", "get-canary", "--name", "once")["Canary"]["Status"]["State"] == "STOPPED"
    # DurationInSeconds: runs stop after it
    _heartbeat(pinned, "brief", site.url + "/", "Expression=rate(1 minute),DurationInSeconds=180")
    pinned.ok("account", "clock", "advance", "10m")
    assert len(_runs(pinned, "brief")) == 3
    assert pinned.json("synthetics", "get-canary", "--name", "brief")["Canary"]["Status"]["State"] == "STOPPED"
    # --no-start leaves it READY; a cron canary runs at its fire times
    _heartbeat(pinned, "cron", site.url + "/", "cron(0/15 * * * ? *)", "--no-start")
    assert pinned.json("synthetics", "get-canary", "--name", "cron")["Canary"]["Status"]["State"] == "READY"
    pinned.ok("synthetics", "start-canary", "--name", "cron")
    pinned.ok("account", "clock", "advance", "40m")
    starts = [r["Timeline"]["Started"][11:16] for r in _runs(pinned, "cron")]
    assert starts == ["14:15", "14:00", "13:45"]  # started at 13:40
    names = [c["Name"] for c in pinned.json("synthetics", "describe-canaries")["Canaries"]]
    assert names == ["once", "brief", "cron"]


def test_probe_holds_no_write_lock_and_run_counts_stay_exact(pinned: Cli, site: _Site, home: Path) -> None:
    """A catch-up probing a slow URL (another process) does not make a concurrent writer wait for it."""
    _heartbeat(pinned, "slow", site.url + "/slow")  # its start run (a fast answer)
    site.delay = 4.0
    exe = [sys.executable, "-m", "awsmon"]
    env = {**os.environ, "AWSMON_HOME": str(home)}
    # Two runs fall due; the advancing process catches up and probes the slow URL.
    prober = subprocess.Popen([*exe, "account", "clock", "advance", "10m"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 60
    while len(site.hits) < 2 and time.monotonic() < deadline:  # the prober's catch-up is waiting on the URL
        time.sleep(0.02)
    assert len(site.hits) == 2
    started = time.monotonic()
    put = subprocess.run([*exe, "metrics", "put", "--namespace", "App", "--metric-name", "Orders", "--value", "1"],
                         env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    put_done = time.monotonic()
    assert put.returncode == 0, put.stderr
    _, err = prober.communicate(timeout=60)
    assert prober.returncode == 0, err
    assert put_done < site.answered[-1]  # the put finished while the probe was still waiting for its answer
    assert put_done - started < 3.0
    assert len(site.hits) == 2  # the put's own catch-up found the runs claimed and did not probe again
    site.delay = 0.0
    runs = _runs(pinned, "slow")
    assert [r["Status"]["State"] for r in runs] == ["PASSED"] * 3
    assert [r["Timeline"]["Started"] for r in runs] == ["2026-11-20T12:10:00Z", "2026-11-20T12:05:00Z",
                                                        "2026-11-20T12:00:00Z"]  # fmt: skip
    assert len(_datapoints(pinned, "SuccessPercent", "slow", "SampleCount")) == 3


def test_a_claim_whose_catch_up_died_is_taken_over(pinned: Cli, site: _Site, home: Path) -> None:
    """Runs claimed by a catch-up that never completed them (the process died) are probed again after the lease."""
    import sqlite3

    _heartbeat(pinned, "orphan", site.url + "/")
    db = next(home.rglob("*.db"))
    with sqlite3.connect(db) as conn:  # what a catch-up killed between its claim and its probe leaves behind
        conn.execute("UPDATE synthetics_runs SET state = 'RUNNING', test_result = NULL, completed_ms = NULL, "
                     "claim = 'dead', lease_until_ms = 0")  # fmt: skip
    assert [r["Status"]["State"] for r in _runs(pinned, "orphan")] == ["RUNNING"]
    pinned.ok("account", "clock", "advance", "5m")
    runs = _runs(pinned, "orphan")
    assert [r["Status"]["State"] for r in runs] == ["PASSED", "PASSED"]
    assert len(_datapoints(pinned, "SuccessPercent", "orphan", "SampleCount")) == 2


def test_artifacts_carry_their_runs_time(pinned: Cli, site: _Site) -> None:
    canary = _heartbeat(pinned, "stamp", site.url + "/")
    pinned.ok("account", "clock", "advance", "10m")
    items = pinned.json("s3", "ls", f"s3://{BUCKET}/", "--recursive")["Items"]
    folder = canary["ArtifactS3Location"].split("/", 1)[1]
    stamps = sorted(i["LastModified"] for i in items if i["Key"].startswith(folder) and "SyntheticsReport" in i["Key"])
    assert stamps == ["2026-11-20T12:00:00Z", "2026-11-20T12:05:00Z", "2026-11-20T12:10:00Z"]  # not the catch-up's


def test_catch_up_is_bounded_and_probes_once(pinned: Cli, site: _Site) -> None:
    _heartbeat(pinned, "busy", site.url + "/", "rate(1 minute)")
    pinned.ok("account", "clock", "advance", "3d")
    runs = pinned.json("synthetics", "get-canary-runs", "--name", "busy")["CanaryRuns"]
    assert len(runs) == 1 + 60  # the start run and the 60 most recent of the 3 days
    assert runs[0]["Timeline"]["Started"] == "2026-11-23T12:00:00Z"
    assert len(site.hits) == 2  # one request at start, one for the whole catch-up
    assert len(pinned.json("synthetics", "get-canary-runs", "--name", "busy", "--max-items", "5")["CanaryRuns"]) == 5


def test_aws_cli_shape_custom_script_is_not_executed(pinned: Cli, site: _Site, tmp_path: Path) -> None:
    pinned.ok("s3", "mb", "s3://art")
    pinned.ok("iam", "create-role", "--role-name", "canary-role", "--assume-role-policy-document",
              json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                                  "Principal": {"Service": "lambda.amazonaws.com"}}]}))  # fmt: skip
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("nodejs/node_modules/mine.js", f"exports.handler = async () => fetch('{site.url}');\n")
    (tmp_path / "c.zip").write_bytes(buf.getvalue())
    created = pinned.json("synthetics", "create-canary", "--name", "custom", "--code",
                          f"Handler=mine.handler,ZipFile=fileb://{tmp_path / 'c.zip'}", "--artifact-s3-location",
                          "s3://art/runs", "--execution-role-arn", "arn:aws:iam::123456789012:role/canary-role",
                          "--schedule", "rate(10 minutes)", "--runtime-version", "syn-nodejs-puppeteer-9.1",
                          "--run-config", "TimeoutInSeconds=60")["Canary"]  # fmt: skip
    assert created["Status"] == {"State": "CREATING", "StateReasonCode": "CREATE_PENDING"}
    assert created["ArtifactS3Location"] == "art/runs" and created["RunConfig"]["TimeoutInSeconds"] == 60
    assert pinned.json("synthetics", "get-canary", "--name", "custom")["Canary"]["Status"]["State"] == "READY"
    pinned.ok("synthetics", "start-canary", "--name", "custom")
    run = _runs(pinned, "custom")[0]
    assert run["Status"]["State"] == "FAILED" and "does not execute custom canary scripts" in run["Status"]["StateReason"]
    assert run["ArtifactS3Location"].startswith("art/runs/2026/11/20/12/")
    assert site.hits == []
    # code in S3 that does not exist, and a role that does not exist: ERROR with a StateReason
    for name, role in (("nocode", "canary-role"), ("norole", "missing-role")):
        code = "Handler=x.handler,S3Bucket=art,S3Key=" + ("missing.zip" if name == "nocode" else "runs")
        if name == "norole":
            pinned.ok("s3", "cp", str(tmp_path / "c.zip"), "s3://art/code.zip")
            code = "Handler=x.handler,S3Bucket=art,S3Key=code.zip"
        pinned.ok("synthetics", "create-canary", "--name", name, "--code", code, "--artifact-s3-location", "s3://art",
                  "--execution-role-arn", f"arn:aws:iam::123456789012:role/{role}", "--schedule", "rate(5 minutes)",
                  "--runtime-version", "syn-nodejs-puppeteer-9.1")  # fmt: skip
        status = pinned.json("synthetics", "get-canary", "--name", name)["Canary"]["Status"]
        assert status["State"] == "ERROR" and status["StateReasonCode"] == "CREATE_FAILED"
    assert "NoSuchKey" in pinned.json("synthetics", "get-canary", "--name", "nocode")["Canary"]["Status"]["StateReason"]


@pytest.mark.parametrize("args, text", [
    (["--schedule", "rate(2 hours)"], "Invalid schedule expression: rate(2 hours)"),
    (["--schedule", "cron(0 8 * * ? 2027)"], "Invalid schedule expression"),
    (["--schedule", "rate(5 minutes)", "--name", "Bad_Name"], "regular expression pattern: ^[0-9a-z_\\-]+$"),
    (["--schedule", "rate(5 minutes)", "--url", "localhost"], "must start with http:// or https://"),
])  # fmt: skip
def test_bad_input_exits_2_and_stores_nothing(pinned: Cli, args: list[str], text: str) -> None:
    base = {"--name": "bad", "--url": "http://127.0.0.1:9/"}
    for flag in ("--name", "--url"):
        if flag in args:
            base.pop(flag)
    extra = [a for kv in base.items() for a in kv]
    res = pinned("synthetics", "create-canary", "--blueprint", "heartbeat", *extra, *args)
    assert res.exit_code == 2, res.stderr
    assert text in res.stderr and len(res.stderr.strip().splitlines()) == 1 and res.stdout == ""
    assert pinned.json("synthetics", "describe-canaries")["Canaries"] == []
    assert pinned.json("s3", "ls")["Items"] == []  # the default bucket was not created either


def test_api_level_validation(pinned: Cli) -> None:
    common = ["--code", "Handler=x.handler,S3Bucket=b,S3Key=k", "--artifact-s3-location", "s3://b",
              "--execution-role-arn", "arn:aws:iam::123456789012:role/r", "--runtime-version", "syn-nodejs-puppeteer-9.1"]
    for extra, text in ((["--schedule", "rate(5 minutes)", "--run-config", "TimeoutInSeconds=600"],
                         "can't be longer than the canary's frequency"),
                        (["--schedule", "rate(5 minutes)", "--success-retention-period-in-days", "0"],
                         "Member must have value greater than or equal to 1"),
                        (["--schedule", "rate(5 minutes)", "--runtime-version", "node18"], "Invalid runtime version"),
                        (["--schedule", "rate(5 minutes)", "--artifact-s3-location", "s3://a.b/x"], "period")):  # fmt: skip
        res = pinned("synthetics", "create-canary", "--name", "v", *common, *extra)
        assert res.exit_code == 2 and "ValidationException" in res.stderr and text in res.stderr, res.stderr
    res = pinned("synthetics", "create-canary", "--name", "v", "--schedule", "rate(5 minutes)")
    assert res.exit_code == 2 and "missing --code" in res.stderr
    assert pinned.json("synthetics", "describe-canaries")["Canaries"] == []
    res = pinned("synthetics", "get-canary-runs", "--name", "nope")
    assert res.exit_code == 1 and "ResourceNotFoundException" in res.stderr


def test_update_canary_schedule(pinned: Cli, site: _Site) -> None:
    _heartbeat(pinned, "u", site.url + "/", "rate(1 minute)")
    pinned.ok("synthetics", "update-canary", "--name", "u", "--schedule", "rate(10 minutes)")
    canary = pinned.json("synthetics", "get-canary", "--name", "u")["Canary"]
    assert canary["Schedule"]["Expression"] == "rate(10 minutes)" and canary["Status"]["State"] == "RUNNING"
    pinned.ok("account", "clock", "advance", "25m")
    assert len(_runs(pinned, "u")) == 3  # the start run, then 12:10 and 12:20
    res = pinned("synthetics", "update-canary", "--name", "u", "--schedule", "rate(99 minutes)")
    assert res.exit_code == 2
    assert pinned.json("synthetics", "get-canary", "--name", "u")["Canary"]["Schedule"]["Expression"] == "rate(10 minutes)"


# -- contract: the aws-cli shape on the local backend and on moto ------------------------------------------------------
def test_contract_create_get_describe(backend_cli: Cli, tmp_path: Path) -> None:
    """moto 5.2 implements CreateCanary, GetCanary and DescribeCanaries only, without validation; it answers READY
    at once (StateReason "Created by Moto"), where AWS and the local account answer CREATING then READY."""
    args = ["synthetics", "create-canary", "--name", "contract", "--code", "Handler=index.handler,S3Bucket=code,S3Key=c.zip",
            "--artifact-s3-location", "s3://art/c", "--execution-role-arn", "arn:aws:iam::123456789012:role/r",
            "--schedule", "Expression=rate(5 minutes),DurationInSeconds=0", "--runtime-version",
            "syn-nodejs-puppeteer-9.1", "--run-config", "TimeoutInSeconds=60,MemoryInMB=960"]  # fmt: skip
    created = backend_cli.json(*args)["Canary"]
    assert created["Name"] == "contract" and created["Code"]["Handler"] == "index.handler"
    assert created["Schedule"]["Expression"] == "rate(5 minutes)" and created["RuntimeVersion"] == "syn-nodejs-puppeteer-9.1"
    assert created["Status"]["State"] in ("CREATING", "READY")
    got = backend_cli.json("synthetics", "get-canary", "--name", "contract")["Canary"]
    assert got["Id"] == created["Id"] and got["RunConfig"]["TimeoutInSeconds"] == 60
    assert got["Status"]["State"] in ("READY", "ERROR")  # locally ERROR: the code object does not exist
    listed = backend_cli.json("synthetics", "describe-canaries")["Canaries"]
    assert [c["Name"] for c in listed] == ["contract"]


def test_contract_blueprint_creates_bucket_role_and_canary(backend_cli: Cli) -> None:
    """The console-style path on both backends (moto cannot start canaries, hence --no-start)."""
    canary = backend_cli.json("synthetics", "create-canary", "--name", "web", "--blueprint", "heartbeat", "--url",
                              "https://example.com/", "--schedule", "rate(5 minutes)", "--no-start")["Canary"]  # fmt: skip
    assert canary["Name"] == "web" and canary["Schedule"]["Expression"] == "rate(5 minutes)"
    assert canary["ExecutionRoleArn"].endswith(":role/service-role/CloudWatchSyntheticsRole-awsmon")
    buckets = [b.get("Name") or b.get("Key") for b in backend_cli.json("s3", "ls")["Items"]]
    assert BUCKET in str(buckets)
    again = backend_cli("iam", "create-role", "--role-name", "CloudWatchSyntheticsRole-awsmon",
                        "--assume-role-policy-document", json.dumps({"Version": "2012-10-17", "Statement": []}))
    assert again.exit_code == 2 and "EntityAlreadyExists" in again.stderr  # the default role exists now
    res = backend_cli("synthetics", "create-canary", "--name", "web", "--blueprint", "heartbeat", "--url",
                      "https://example.com/", "--schedule", "rate(5 minutes)", "--no-start")  # fmt: skip
    assert res.exit_code == 2 and "already exists" in res.stderr


def test_pagination_and_tokens(ctx: Any) -> None:
    """DescribeCanaries pages (MaxResults 1-20) with a NextToken; a forged token is a ValidationException."""
    from awsmon.errors import ServiceError

    client = ctx.client("synthetics")
    for i in range(3):
        client.create_canary(Name=f"p{i}", Code={"Handler": "x.handler", "S3Bucket": "b", "S3Key": "k"},
                             ArtifactS3Location="s3://bkt", ExecutionRoleArn="arn:aws:iam::123456789012:role/r",
                             Schedule={"Expression": "rate(5 minutes)"}, RuntimeVersion="syn-nodejs-puppeteer-9.1")  # fmt: skip
    first = client.describe_canaries(MaxResults=2)
    assert [c["Name"] for c in first["Canaries"]] == ["p0", "p1"] and first["NextToken"]
    second = client.describe_canaries(MaxResults=2, NextToken=first["NextToken"])
    assert [c["Name"] for c in second["Canaries"]] == ["p2"] and "NextToken" not in second
    assert [c["Name"] for c in client.describe_canaries(Names=["p2", "zz"])["Canaries"]] == ["p2"]
    for bad in ({"NextToken": "garbage"}, {"MaxResults": 21}, {"Names": ["a"] * 6}):
        with pytest.raises(ServiceError) as err:
            client.describe_canaries(**bad)
        assert err.value.code == "ValidationException"


def test_runtime_versions_and_runtime_validation(pinned: Cli) -> None:
    versions = pinned.json("synthetics", "describe-runtime-versions")["RuntimeVersions"]
    by_name = {v["VersionName"]: v for v in versions}
    assert by_name["syn-nodejs-puppeteer-3.9"]["DeprecationDate"] == "2024-01-08T00:00:00Z"
    assert by_name["syn-python-selenium-5.1"]["DeprecationDate"] == "2026-02-03T00:00:00Z"
    assert eng.DEFAULT_RUNTIME in by_name and "DeprecationDate" not in by_name[eng.DEFAULT_RUNTIME]
    assert all(set(v) <= {"VersionName", "Description", "ReleaseDate", "DeprecationDate"} for v in versions)
    base = ["synthetics", "create-canary", "--name", "rt", "--blueprint", "heartbeat", "--url", "http://127.0.0.1:9/",
            "--schedule", "rate(5 minutes)", "--no-start", "--runtime-version"]  # fmt: skip
    res = pinned(*base, "syn-nodejs-puppeteer-6.0")  # deprecated on 2024-03-08, before the pinned clock
    assert res.exit_code == 2 and res.stderr.strip() == "awsmon: error: ValidationException: Deprecated runtime version specified."
    res = pinned(*base, "syn-nodejs-puppeteer-99.0")
    assert res.exit_code == 2 and "Invalid runtime version: syn-nodejs-puppeteer-99.0." in res.stderr
    assert pinned.json("synthetics", "describe-canaries")["Canaries"] == []
    pinned.ok(*base, "syn-python-selenium-7.0")
    res = pinned("synthetics", "update-canary", "--name", "rt", "--runtime-version", "syn-nodejs-puppeteer-5.1")
    assert res.exit_code == 2 and "Deprecated runtime version specified." in res.stderr


def test_tags_and_state_conflicts(pinned: Cli, site: _Site) -> None:
    _heartbeat(pinned, "t", site.url + "/", "rate(5 minutes)", "--tags", "team=web")
    arn = "arn:aws:synthetics:us-east-1:123456789012:canary:t"
    assert pinned.json("synthetics", "list-tags-for-resource", "--resource-arn", arn)["Tags"] == {
        "blueprint": "heartbeat", "team": "web"}  # fmt: skip
    pinned.ok("synthetics", "tag-resource", "--resource-arn", arn, "--tags", "env=prod,team=api")
    pinned.ok("synthetics", "untag-resource", "--resource-arn", arn, "--tag-keys", "blueprint")
    assert pinned.json("synthetics", "list-tags-for-resource", "--resource-arn", arn)["Tags"] == {
        "team": "api", "env": "prod"}  # fmt: skip
    assert pinned.json("synthetics", "get-canary", "--name", "t")["Canary"]["Tags"] == {"team": "api", "env": "prod"}
    res = pinned("synthetics", "list-tags-for-resource", "--resource-arn", arn + "x")
    assert res.exit_code == 1 and "NotFoundException" in res.stderr
    res = pinned("synthetics", "tag-resource", "--resource-arn", "arn:aws:synthetics:us-east-1:1:canary:t",
                 "--tags", "a=b")  # fmt: skip
    assert "BadRequestException" in res.stderr and "resourceArn" in res.stderr
    res = pinned("synthetics", "tag-resource", "--resource-arn", arn, "--tags", "aws:x=1")
    assert "BadRequestException" in res.stderr
    assert pinned.json("synthetics", "list-tags-for-resource", "--resource-arn", arn)["Tags"] == {
        "team": "api", "env": "prod"}  # fmt: skip
    # AWS's wrong-state text ("Canary is in a state that can't be deleted: RUNNING")
    res = pinned("synthetics", "delete-canary", "--name", "t")
    assert res.exit_code == 1
    assert res.stderr.strip() == "awsmon: error: ConflictException: Canary is in a state that can't be deleted: RUNNING"
    res = pinned("synthetics", "start-canary", "--name", "t")
    assert "ConflictException: Canary is in a state that can't be started: RUNNING" in res.stderr


@pytest.mark.parametrize("option", ["--schedule", "--code"])
def test_empty_schedule_or_code_is_a_bad_value(pinned: Cli, option: str) -> None:
    """An empty --schedule crashed create-canary ("unexpected AttributeError") and was "nothing to update" for
    update-canary: an empty value is a bad value, not a missing option."""
    base = ["synthetics", "create-canary", "--name", "empty", "--blueprint", "heartbeat", "--url", "https://example.com",
            "--schedule", "rate(5 minutes)"]  # fmt: skip
    res = pinned(*base, f"{option}=")
    assert res.exit_code == 2 and res.stderr.count("\n") == 1 and f"invalid {option} value ''" in res.stderr, res.stderr
    assert pinned.json("synthetics", "describe-canaries")["Canaries"] == []
    res = pinned("synthetics", "update-canary", "--name", "empty", f"{option}=")
    assert res.exit_code == 2 and f"invalid {option} value ''" in res.stderr
