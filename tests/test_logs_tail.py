"""awsmon logs tail --follow: Live Tail sessions (StartLiveTail) on both backends, writers in other processes,
sampling, session restarts, AWS's refusals, and the polling fallback for endpoints without StartLiveTail."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.conftest import Cli

G = "/app/live"
NOW_MS = 1_795_176_000_000  # 2026-11-20T12:00:00Z, the pinned clock


def _awsmon(*args: str) -> list[str]:
    return [sys.executable, "-m", "awsmon", *args]


def _env(cli: Cli) -> dict[str, str]:
    return {**os.environ, **cli.env, "PYTHONUNBUFFERED": "1"}


def _put(ctx_home: str, group: str, stream: str, events: list[tuple[int, str]]) -> None:
    from awsmon.context import AppContext

    ctx = AppContext.create(backend="local", home=ctx_home, output="json")
    try:
        ctx.client("logs").put_log_events(logGroupName=group, logStreamName=stream,
                                          logEvents=[{"timestamp": t, "message": m} for t, m in events])  # fmt: skip
    finally:
        ctx.close()


def _wait_for_session(home: str, timeout: float = 60) -> None:
    """Until a StartLiveTail call is in the account's CloudTrail history (the session is open)."""
    from awsmon.context import AppContext

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ctx = AppContext.create(backend="local", home=home, output="json")
        try:
            found = ctx.client("cloudtrail").lookup_events(
                LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "StartLiveTail"}])["Events"]
        finally:
            ctx.close()
        if found:
            return
        time.sleep(0.1)
    raise AssertionError("no Live Tail session started")


def _read_line(proc: subprocess.Popen[str], timeout: float) -> str:
    """One stdout line of ``proc`` within ``timeout`` seconds (a reader thread: pipes have no timeouts)."""
    box: list[str] = []
    t = threading.Thread(target=lambda: box.append(proc.stdout.readline() if proc.stdout else ""), daemon=True)
    t.start()
    t.join(timeout)
    assert box and box[0], f"no line from tail within {timeout}s"
    return box[0]


def test_follow_shows_every_event_put_by_other_processes_once(pinned: Cli) -> None:
    """A shell loop of `awsmon logs put-events` processes (three streams, some events stamped hours back) writes
    while `awsmon logs tail --follow` runs in its own process: each event is printed exactly once; Ctrl-C is 130."""
    for s in ("a", "b", "c"):
        pinned.ok("logs", "put-events", "--group", G, "--stream", s, "--create", "--message", f"ready-{s}")
    tail = subprocess.Popen(_awsmon("logs", "tail", G, "--follow", "--format", "json"), env=_env(pinned),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        got = [json.loads(_read_line(tail, 60))["message"] for _ in range(3)]  # the history: the session is open
        assert sorted(got) == ["ready-a", "ready-b", "ready-c"]
        n = 12
        loop = (f"for i in $(seq 0 {n - 1}); do s=$(echo a b c | cut -d' ' -f$((i % 3 + 1))); "
                f"if [ $((i % 4)) = 1 ]; then ts=2h; else ts=now; fi; "  # late events: 2 h before the clock
                f"{sys.executable} -m awsmon logs put-events --group {G} --stream $s --timestamp $ts "
                f"--message new-$i || exit 1; done")  # fmt: skip
        writer = subprocess.run(["bash", "-c", loop], env=_env(pinned), capture_output=True, text=True, timeout=300)
        assert writer.returncode == 0, writer.stderr
        deadline = time.monotonic() + 30
        while len(got) < 3 + n and time.monotonic() < deadline:
            got.append(json.loads(_read_line(tail, deadline - time.monotonic()))["message"])
        time.sleep(2.5)  # two more session updates: anything printed twice would show now
        tail.send_signal(signal.SIGINT)
        rest, err = tail.communicate(timeout=30)
    finally:
        if tail.poll() is None:
            tail.kill()
    assert tail.returncode == 130, err
    got += [json.loads(line)["message"] for line in rest.splitlines()]
    assert sorted(got[3:]) == sorted(f"new-{i}" for i in range(n))
    assert len(got) == 3 + n


def test_max_items_and_streams_selected(pinned: Cli) -> None:
    pinned.ok("logs", "put-events", "--group", G, "--stream", "web-1", "--create", "--message", "w0")
    pinned.ok("logs", "put-events", "--group", G, "--stream", "db-1", "--create", "--message", "d0")

    def writer() -> None:
        time.sleep(1.0)
        for i in range(4):
            _put(pinned.env["AWSMON_HOME"], G, "db-1" if i % 2 else "web-1", [(NOW_MS, f"m{i}")])

    t = threading.Thread(target=writer)
    t.start()
    res = pinned("logs", "tail", G, "--follow", "--log-stream-name-prefix", "web", "--max-items", "3",
                 "--timeout", "20s", "--format", "short")  # fmt: skip
    t.join()
    assert res.exit_code == 0, res.stderr
    assert [line.split(" ", 1)[1] for line in res.stdout.splitlines()] == ["w0", "m0", "m2"]
    bad = pinned("logs", "tail", G, "--max-items", "0")
    assert bad.exit_code == 2 and "--max-items" in bad.stderr


def test_sampled_sessions_say_so_once(pinned: Cli) -> None:
    """More than 500 events in one second: the update carries a sample of 500 and `sampled`, and tail says so."""
    pinned.ok("logs", "create-group", "--name", G)
    pinned.ok("logs", "create-stream", "--group", G, "--stream", "s")

    def writer() -> None:
        # Stamped an hour back (before --since): only the live session can show them, never the history read.
        _wait_for_session(pinned.env["AWSMON_HOME"])
        _put(pinned.env["AWSMON_HOME"], G, "s", [(NOW_MS - 3_600_000, f"burst-{i}") for i in range(700)])
        time.sleep(2.5)
        _put(pinned.env["AWSMON_HOME"], G, "s", [(NOW_MS - 3_600_000, f"again-{i}") for i in range(600)])

    t = threading.Thread(target=writer)
    t.start()
    res = pinned("logs", "tail", G, "--follow", "--max-items", "1000", "--timeout", "60s", "--format", "json")
    t.join()
    assert res.exit_code == 0, res.stderr
    got = [json.loads(line)["message"] for line in res.stdout.splitlines()]
    assert len([m for m in got if m.startswith("burst-")]) == 500
    assert len([m for m in got if m.startswith("again-")]) == 500
    assert len(set(got)) == len(got)
    assert res.stderr.count("sent a sample") == 1


def test_session_timeout_restarts_without_loss(pinned: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """AWS ends a session after 3 hours (SessionTimeoutException): tail opens another and reads the gap."""
    from awsmon.backends.local import logs_live

    monkeypatch.setattr(logs_live, "SESSION_SECONDS", 1.5)
    pinned.ok("logs", "create-group", "--name", G)
    pinned.ok("logs", "create-stream", "--group", G, "--stream", "s")

    def writer() -> None:
        for i in range(8):
            time.sleep(0.4)
            _put(pinned.env["AWSMON_HOME"], G, "s", [(NOW_MS - (60_000 if i == 5 else 0), f"e{i}")])

    t = threading.Thread(target=writer)
    t.start()
    res = pinned("logs", "tail", G, "--follow", "--interval", "0.1", "--max-items", "8", "--timeout", "60s",
                 "--format", "json")
    t.join()
    assert res.exit_code == 0, res.stderr
    got = [json.loads(line)["message"] for line in res.stdout.splitlines()]
    assert sorted(got) == [f"e{i}" for i in range(8)]
    sessions = pinned.json("trail", "lookup", "--lookup-attributes", "EventName=StartLiveTail")["Events"]
    assert len(sessions) >= 2


def test_live_tail_refusals(pinned: Cli) -> None:
    pinned.ok("logs", "create-group", "--name", "/ia", "--log-group-class", "INFREQUENT_ACCESS")
    res = pinned("logs", "tail", "/ia", "--follow", "--timeout", "1s")
    assert res.exit_code == 2
    assert res.stderr.startswith("awsmon: error: InvalidOperationException: The log group /ia is of log-group-class "
                                 "INFREQUENT_ACCESS. StartLiveTail is not supported for this log class.")  # fmt: skip
    names = [f"/g{i}" for i in range(11)]
    res = pinned("logs", "tail", *names, "--follow", "--timeout", "1s")
    assert res.exit_code == 2 and "Member must have length less than or equal to 10" in res.stderr
    pinned.ok("logs", "create-group", "--name", "/a")
    pinned.ok("logs", "create-group", "--name", "/b")
    res = pinned("logs", "tail", "/a", "/b", "--follow", "--log-stream-names", "s", "--timeout", "1s")
    assert res.exit_code == 2 and "can only be used with a single log group" in res.stderr
    res = pinned("logs", "tail", "/missing", "--follow", "--timeout", "1s")
    assert res.exit_code == 1 and "The specified log group does not exist." in res.stderr
    res = pinned("logs", "tail", "/a", "--follow", "--pattern", "{ $.x = ", "--timeout", "1s")
    assert res.exit_code == 2


def test_follow_masks_what_a_data_protection_policy_masks(pinned: Cli) -> None:
    pinned.ok("logs", "create-group", "--name", G)
    policy = {"Name": "p", "Version": "2021-06-01", "Statement": [
        {"Sid": "audit", "DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],
         "Operation": {"Audit": {"FindingsDestination": {}}}},
        {"Sid": "redact", "DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],
         "Operation": {"Deidentify": {"MaskConfig": {}}}}]}  # fmt: skip
    pinned.ok("logs", "put-data-protection-policy", "--group", G, "--policy-document", json.dumps(policy))
    pinned.ok("logs", "create-stream", "--group", G, "--stream", "s")
    t = threading.Thread(target=lambda: (time.sleep(1.0), _put(pinned.env["AWSMON_HOME"], G, "s",
                                                                [(NOW_MS, "mail bob@example.com")])))  # fmt: skip
    t.start()
    res = pinned("logs", "tail", G, "--follow", "--max-items", "1", "--timeout", "10s", "--format", "short")
    t.join()
    assert res.exit_code == 0, res.stderr
    assert "bob@example.com" not in res.stdout and "*" in res.stdout


def test_follow_as_jsonl_and_csv_streams_rows(pinned: Cli) -> None:
    pinned.ok("logs", "put-events", "--group", G, "--stream", "s", "--create", "--message", "one")
    t = threading.Thread(target=lambda: (time.sleep(1.0), _put(pinned.env["AWSMON_HOME"], G, "s", [(NOW_MS, "two")])))
    t.start()
    res = pinned("logs", "tail", G, "--follow", "--max-items", "2", "--timeout", "10s", "-o", "jsonl")
    t.join()
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert [(r["logGroupName"], r["logStreamName"], r["message"]) for r in rows] == [(G, "s", "one"), (G, "s", "two")]
    res = pinned("logs", "tail", G, "--follow", "--max-items", "2", "--timeout", "3s", "-o", "csv")
    assert res.stdout.splitlines()[0] == "timestamp,logGroupName,logStreamName,message"
    assert [line.rsplit(",", 1)[1] for line in res.stdout.splitlines()[1:]] == ["one", "two"]


# -- aws backend ------------------------------------------------------------------------------------------------------
def test_live_tail_on_moto_prints_each_event_once(cli: Cli, moto_env: dict[str, str]) -> None:
    """moto implements StartLiveTail (its session sends every stored event, then ends): awsmon keeps only what was
    ingested during the session, re-reads the gap with FilterLogEvents, and prints each event once."""
    aws = Cli({**cli.env, **moto_env})
    aws.ok("logs", "put-events", "--group", G, "--stream", "s", "--create", "--message", "old-1", "--timestamp", "30s")
    t = _moto_writer(moto_env["AWSMON_ENDPOINT_URL"], 4, late=2, pause=0.4)
    res = aws("logs", "tail", G, "--follow", "--since", "5m", "--interval", "0.2", "--max-items", "5", "--timeout", "30s",
              "--format", "json")  # a repeated event would push one out: the set below would differ
    t.join()
    assert res.exit_code == 0, res.stderr
    got = [json.loads(line)["message"] for line in res.stdout.splitlines()]
    assert got[0] == "old-1" and sorted(got[1:]) == [f"new-{i}" for i in range(4)]
    assert "does not implement" not in res.stderr


def _moto_writer(endpoint: str, count: int, *, late: int, pause: float) -> threading.Thread:
    """A thread putting ``new-0``... into G/s on moto, ``pause`` seconds apart; event ``late`` is stamped 20 s back."""

    def run() -> None:
        import boto3

        client = boto3.client("logs", endpoint_url=endpoint, region_name="us-east-1")
        for i in range(count):
            time.sleep(pause)
            ts = int(time.time() * 1000) - (20_000 if i == late else 0)
            client.put_log_events(logGroupName=G, logStreamName="s", logEvents=[{"timestamp": ts, "message": f"new-{i}"}])

    t = threading.Thread(target=run)
    t.start()
    return t


def test_too_many_groups_refused_on_every_endpoint(backend_cli: Cli) -> None:
    res = backend_cli("logs", "tail", *[f"/g{i}" for i in range(11)], "--follow", "--timeout", "1s")
    assert res.exit_code == 2 and "less than or equal to 10" in res.stderr


class _NoLiveTail(BaseHTTPRequestHandler):
    """A proxy to moto that answers StartLiveTail as an endpoint without it does (UnknownOperationException)."""

    upstream = ""

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        import urllib.error
        import urllib.request

        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("X-Amz-Target", "").endswith(".StartLiveTail"):
            out = json.dumps({"__type": "UnknownOperationException"}).encode()
            self.send_response(400)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
            return
        req = urllib.request.Request(self.upstream + self.path, data=body, method="POST",
                                     headers={k: v for k, v in self.headers.items() if k.lower() != "host"})  # fmt: skip
        try:
            with urllib.request.urlopen(req) as resp:
                status, headers, data = resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as exc:
            status, headers, data = exc.code, exc.headers, exc.read()
        self.send_response(status)
        for k, v in headers.items():
            if k.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


def test_polling_fallback_where_the_endpoint_lacks_live_tail(cli: Cli, moto_env: dict[str, str]) -> None:
    handler = type("Handler", (_NoLiveTail,), {"upstream": moto_env["AWSMON_ENDPOINT_URL"]})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = {**moto_env, "AWSMON_ENDPOINT_URL": f"http://127.0.0.1:{server.server_address[1]}"}
        aws = Cli({**cli.env, **env})
        aws.ok("logs", "put-events", "--group", G, "--stream", "s", "--create", "--message", "old-1", "--timestamp", "30s")
        t = _moto_writer(moto_env["AWSMON_ENDPOINT_URL"], 3, late=1, pause=0.3)
        res = aws("logs", "tail", G, "--follow", "--since", "5m", "--interval", "0.2", "--max-items", "4",
                  "--timeout", "30s", "--format", "json")  # fmt: skip
        t.join()
    finally:
        server.shutdown()
    assert res.exit_code == 0, res.stderr
    assert "does not implement StartLiveTail: following by polling FilterLogEvents" in res.stderr
    got = [json.loads(line)["message"] for line in res.stdout.splitlines()]
    assert got[0] == "old-1" and sorted(got[1:]) == ["new-0", "new-1", "new-2"]


def test_follow_interval_out_of_range_is_a_bad_value(pinned: Cli) -> None:
    pinned.ok("logs", "create-log-group", "--log-group-name", G)
    for value in ("nan", "1e400", "0", "-1"):  # nan passed the old "<= 0" check; inf overflowed the sleep
        res = pinned("logs", "tail", G, "--follow", "--interval", value, "--timeout", "1s")
        assert res.exit_code == 2 and res.stderr.count("\n") == 1, (value, res.stderr)
        assert "--interval must be a number of seconds above 0, at most 86400" in res.stderr
