"""awsmon logs create-export-task / describe-export-tasks / cancel-export-task (local states on the clock; moto)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from tests.conftest import Cli

G = "/app/web"
POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "logs.us-east-1.amazonaws.com"}, "Action": "s3:GetBucketAcl",
     "Resource": "arn:aws:s3:::exports"},
    {"Effect": "Allow", "Principal": {"Service": "logs.us-east-1.amazonaws.com"}, "Action": "s3:PutObject",
     "Resource": "arn:aws:s3:::exports/*"}]}  # fmt: skip
T0 = 1795176000000  # 2026-11-20T12:00:00Z (PINNED_NOW)


def _setup(cli: Cli, policy: dict | None = POLICY) -> None:
    cli.ok("s3", "mb", "s3://exports")
    if policy is not None:
        cli.ok("s3", "put-bucket-policy", "--bucket", "exports", "--policy", json.dumps(policy))
    cli.ok("logs", "create-group", "--group", G)
    for stream in ("a", "b/c"):
        cli.ok("logs", "create-stream", "--group", G, "--stream", stream)
    cli.ok("logs", "put-events", "--group", G, "--stream", "a", "-m", "first", "-m", "second")
    cli.ok("logs", "put-events", "--group", G, "--stream", "b/c", "-m", "third")


def _export(cli: Cli, *extra: str) -> Cli:
    return cli("logs", "create-export-task", "--log-group-name", G, "--from", str(T0 - 3600_000), "--to",
               str(T0 + 3600_000), "--destination", "exports", "--destination-prefix", "out", *extra)  # fmt: skip


def test_export_task_shapes(backend_cli: Cli) -> None:
    cli = backend_cli
    _setup(cli)
    res = _export(cli, "--task-name", "nightly", "-o", "json")
    assert res.exit_code == 0, res.stderr
    task_id = json.loads(res.stdout)["taskId"]
    tasks = cli.json("logs", "describe-export-tasks", "--task-id", task_id)["exportTasks"]
    assert len(tasks) == 1
    t = tasks[0]
    assert (t["taskId"], t["taskName"], t["logGroupName"], t["destination"], t["destinationPrefix"]) == (
        task_id, "nightly", G, "exports", "out")
    assert t["from"] == T0 - 3600_000 and t["to"] == T0 + 3600_000
    # moto completes at once; AWS (and the local backend) start PENDING.
    assert t["status"]["code"] in ("PENDING", "COMPLETED")


def test_export_runs_on_the_clock(pinned: Cli, home: Path) -> None:
    _setup(pinned)
    task_id = json.loads(_export(pinned, "-o", "json").stdout)["taskId"]
    bucket = home / "accounts" / "123456789012" / "s3" / "exports"
    assert (bucket / "out" / "aws-logs-write-test").read_bytes() == b"Permission Check Successful"

    def status() -> str:
        return pinned.json("logs", "describe-export-tasks", "--task-id", task_id)["exportTasks"][0]["status"]["code"]

    assert status() == "PENDING"
    second = _export(pinned)
    assert second.exit_code == 2 and "LimitExceededException" in second.stderr
    pinned.ok("account", "clock", "advance", "6s")
    assert status() == "RUNNING"
    assert not (bucket / "out" / task_id).exists()
    pinned.ok("account", "clock", "advance", "10s")
    assert status() == "COMPLETED"
    a = gzip.decompress((bucket / "out" / task_id / "a" / "000000.gz").read_bytes()).decode()
    assert a == "2026-11-20T12:00:00.000Z first\n2026-11-20T12:00:00.000Z second\n"
    assert gzip.decompress((bucket / "out" / task_id / "b" / "c" / "000000.gz").read_bytes()).decode().endswith(" third\n")
    done = pinned.json("logs", "describe-export-tasks", "--status-code", "COMPLETED")["exportTasks"]
    assert [t["taskId"] for t in done] == [task_id] and "completionTime" in done[0]["executionInfo"]
    finished = pinned("logs", "cancel-export-task", "--task-id", task_id)
    assert finished.exit_code != 0 and "InvalidOperationException" in finished.stderr
    # A new task may start now; cancelled, it never writes.
    other = json.loads(_export(pinned, "-o", "json").stdout)["taskId"]
    pinned.ok("logs", "cancel-export-task", "--task-id", other)
    pinned.ok("account", "clock", "advance", "1m")
    assert pinned.json("logs", "describe-export-tasks", "--task-id", other)["exportTasks"][0]["status"]["code"] == "CANCELLED"
    assert not (bucket / "out" / other).exists()


def test_bucket_policy_check(pinned: Cli) -> None:
    _setup(pinned, policy=None)
    res = _export(pinned)
    assert res.exit_code == 2 and "GetBucketAcl call on the given bucket failed." in res.stderr
    acl_only = {"Version": "2012-10-17", "Statement": [POLICY["Statement"][0]]}
    pinned.ok("s3", "put-bucket-policy", "--bucket", "exports", "--policy", json.dumps(acl_only))
    res = _export(pinned)
    assert res.exit_code == 2 and "PutObject call on the given bucket failed." in res.stderr
    missing = pinned("logs", "create-export-task", "--log-group-name", G, "--from", "0", "--to", "1",
                     "--destination", "no-such-bucket")  # fmt: skip
    assert missing.exit_code == 2 and "The given bucket does not exist." in missing.stderr
    backwards = pinned("logs", "create-export-task", "--log-group-name", G, "--from", "5", "--to", "1",
                       "--destination", "exports")  # fmt: skip
    assert backwards.exit_code == 2 and "is not valid" in backwards.stderr
    assert pinned.json("logs", "describe-export-tasks")["exportTasks"] == []
