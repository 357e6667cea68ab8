"""awsmon logs import: plain lines, JSON lines and CloudWatch Logs export files, streamed in PutLogEvents batches."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import Cli

NOW_MS = 1795176000000
G = "/imported"


def _events(cli: Cli, stream: str | None = None) -> list[dict[str, Any]]:
    args = ["logs", "filter", "--group", G]
    if stream:
        args += ["--stream", stream]
    return list(cli.json(*args)["events"])


def test_import_json_lines_plain_and_export(pinned: Cli, tmp_path: Path) -> None:
    jl = tmp_path / "app.jsonl"
    jl.write_text(
        json.dumps({"time": "2026-11-20T11:00:00Z", "level": "INFO", "msg": "start"}) + "\n"
        + json.dumps({"time": 1795172400.5, "level": "ERROR", "msg": "boom"}) + "\n"
        + "\n"
        + json.dumps({"meta": {"at": "2026-11-20T11:30:00+00:00"}, "msg": "nested"}) + "\n"
    )  # fmt: skip
    plain = tmp_path / "access.log"
    plain.write_text(
        '10.0.0.1 - - [20/Nov/2026:11:10:00 +0000] "GET / HTTP/1.1" 200 5\n'
        "2026-11-20 11:20:00,250 worker ERROR failed\n"
        "1795173000 epoch line\n"
        "no timestamp here\n"
    )
    export = tmp_path / "000000.gz"
    export.write_bytes(gzip.compress(b"2026-11-20T11:40:00.000Z first exported\n2026-11-20T11:41:00.000Z second\n"))
    out = pinned.json("logs", "import", str(jl), str(plain), str(export), "--group", G)
    assert out["Lines"] == 9 and out["Accepted"] == 9 and out["NoTimestamp"] == 2  # nested JSON, "no timestamp"
    assert [f["LogStreamName"] for f in out["Files"]] == ["app.jsonl", "access.log", "000000.gz"]
    by_msg = {e["message"]: e for e in _events(pinned)}
    assert by_msg[jl.read_text().splitlines()[0]]["timestamp"] == NOW_MS - 3600_000
    assert by_msg[jl.read_text().splitlines()[1]]["timestamp"] == NOW_MS - 3600_000 + 500
    assert by_msg['10.0.0.1 - - [20/Nov/2026:11:10:00 +0000] "GET / HTTP/1.1" 200 5']["timestamp"] == NOW_MS - 50 * 60_000
    assert by_msg["2026-11-20 11:20:00,250 worker ERROR failed"]["timestamp"] == NOW_MS - 40 * 60_000 + 250
    assert by_msg["1795173000 epoch line"]["timestamp"] == 1795173000_000
    assert by_msg["no timestamp here"]["timestamp"] == NOW_MS
    assert by_msg["first exported"]["timestamp"] == NOW_MS - 20 * 60_000  # export format: prefix stripped
    assert by_msg["second"]["logStreamName"] == "000000.gz"
    # A dotted --timestamp-field reaches into nested objects.
    nested = tmp_path / "nested.jsonl"
    nested.write_text(json.dumps({"meta": {"at": "2026-11-20T11:30:00+00:00"}, "msg": "n2"}) + "\n")
    pinned.ok("logs", "import", str(nested), "--group", G, "--stream", "n", "--timestamp-field", "meta.at")
    assert [e["timestamp"] for e in _events(pinned, "n")] == [NOW_MS - 30 * 60_000]


def test_import_stdin_batches_keeps_events_of_any_age(pinned: Cli) -> None:
    lines = [f"2026-11-20T{10 + i // 3600:02d}:{(i // 60) % 60:02d}:{i % 60:02d}Z line {i} {'x' * 200}" for i in range(12_000)]
    lines.insert(5, "2026-10-01T00:00:00Z far too old for PutLogEvents")  # an offline load keeps it
    lines.insert(9, "2019-01-01T00:00:00Z years old")
    out = pinned.json("logs", "import", "-", "--group", G, "--stream", "bulk", input="\n".join(lines) + "\n")
    assert out["Lines"] == 12_002 and out["Rejected"] == 0 and out["Accepted"] == 12_002 and out["Mode"] == "offline load"
    assert pinned.json("logs", "filter", "--group", G, "--count") == {"count": 12_002}
    stream = pinned.json("logs", "describe-streams", "--group", G)["logStreams"][0]
    assert stream["firstEventTimestamp"] == 1546300800000 and out["Skipped"] == []


def test_import_errors(pinned: Cli, tmp_path: Path) -> None:
    res = pinned("logs", "import", str(tmp_path / "missing.log"), "--group", G)
    assert res.exit_code == 2 and "no such file" in res.stderr
    f = tmp_path / "a.log"
    f.write_text("hello\n")
    res = pinned("logs", "import", str(f), "--group", G, "--no-create")
    assert res.exit_code == 1 and "The specified log group does not exist." in res.stderr
    res = pinned("logs", "import", str(f), "--group", "bad group!")
    assert res.exit_code == 2 and "logGroupName" in res.stderr


@given(st.text(max_size=200))
@settings(max_examples=300, deadline=None)
def test_line_event_never_fails(line: str) -> None:
    from awsmon.engines.logimport import line_event

    ts, message = line_event(line, None)
    assert ts is None or isinstance(ts, int)
    assert isinstance(message, str) and (message == line or line.endswith(message))


@given(st.integers(min_value=0, max_value=4_102_444_800_000))
@settings(max_examples=200, deadline=None)
def test_parse_ts_value_epoch_units(ms: int) -> None:
    from awsmon.engines.logimport import parse_ts_value

    if ms >= 100_000_000_000:
        assert parse_ts_value(ms) == ms
        assert parse_ts_value(str(ms)) == ms
    else:
        assert parse_ts_value(ms) == ms * 1000


def test_metric_transformation_shorthand() -> None:
    from awsmon.cli.logs import _parse_transformation

    assert _parse_transformation(
        "metricName=Bytes,metricNamespace=Web,metricValue=$size,unit=Bytes,dimensions={Server=$server,Method=$method}"
    ) == {"metricName": "Bytes", "metricNamespace": "Web", "metricValue": "$size", "unit": "Bytes",
          "dimensions": {"Server": "$server", "Method": "$method"}}  # fmt: skip
    assert _parse_transformation('[{"metricName": "A", "metricNamespace": "B", "metricValue": "1", "defaultValue": 0}]') == {
        "metricName": "A", "metricNamespace": "B", "metricValue": "1", "defaultValue": 0}  # fmt: skip
    assert _parse_transformation("metricName=A,metricNamespace=B,metricValue=1,defaultValue=0")["defaultValue"] == 0.0


def test_import_checks_stream_names_and_gzip_before_writing(pinned: Cli, tmp_path: Path) -> None:
    f = tmp_path / "a.log"
    f.write_text("hello\n")
    res = pinned("logs", "import", str(f), "--group", "/imp", "--stream", "a:b")
    assert res.exit_code == 2 and "logStreamName" in res.stderr
    bad = tmp_path / "bad.gz"
    bad.write_bytes(b"\x1f\x8bgarbage")
    res = pinned("logs", "import", str(f), str(bad), "--group", "/imp")
    assert res.exit_code == 2 and "corrupt gzip data" in res.stderr and "aborted" not in res.stderr
    res = pinned("logs", "import", str(tmp_path), "--group", "/imp")
    assert res.exit_code == 2 and "a directory" in res.stderr
    assert pinned.json("logs", "describe-groups")["logGroups"] == []  # nothing was created


def test_import_corrupt_gzip_is_refused_before_anything_is_written(pinned: Cli, tmp_path: Path) -> None:
    import gzip

    data = b"".join(b"2026-11-20T11:00:00Z line %d %s\n" % (i, b"%08x" % (i * 2654435761 % 2**32)) for i in range(60_000))
    packed = gzip.compress(data)
    cut = tmp_path / "cut.gz"
    cut.write_bytes(packed[: len(packed) * 3 // 4])
    res = pinned("logs", "import", str(cut), "--group", "/imp")
    assert res.exit_code == 2 and "corrupt gzip data" in res.stderr and res.stderr.count("\n") == 1
    assert pinned.json("logs", "describe-groups")["logGroups"] == []


def test_import_gz_name_that_is_not_gzip_and_non_utf8(pinned: Cli, tmp_path: Path) -> None:
    fake = tmp_path / "plain.log.gz"
    fake.write_text("2026-11-20T11:00:00Z hello\n")
    res = pinned("logs", "import", str(fake), "--group", "/imp")
    assert res.exit_code == 2 and "named .gz but not gzip data" in res.stderr and res.stderr.count("\n") == 1
    latin = tmp_path / "latin1.log"
    latin.write_bytes("2026-11-20T11:00:00Z caf\u00e9\n".encode("latin-1"))
    res = pinned("logs", "import", str(latin), "--group", "/imp")
    assert res.exit_code == 2 and res.stderr.count("\n") == 1
    assert "not UTF-8 text (byte 0xe9 at offset 24)" in res.stderr  # the same words as put-events --file
    put = pinned("logs", "put-events", "--group", "/imp", "--stream", "s", "--file", str(latin), "--create")
    assert put.exit_code == 2 and "not UTF-8 text" in put.stderr
    assert pinned.json("logs", "describe-groups")["logGroups"] == []


def test_import_timestamp_field_out_of_range_is_one_line(pinned: Cli, tmp_path: Path) -> None:
    f = tmp_path / "big.jsonl"
    f.write_text('{"t": 1e400, "msg": "x"}\n')
    res = pinned("logs", "import", str(f), "--group", "/imp", "--timestamp-field", "t")
    assert res.exit_code == 2 and res.stderr.count("\n") == 1 and "line 1: timestamp out of range" in res.stderr
    f.write_text('{"t": 99999999999999999999, "msg": "x"}\n')
    res = pinned("logs", "import", str(f), "--group", "/imp2", "--timestamp-field", "t")
    assert res.exit_code == 2 and "timestamp out of range" in res.stderr and "unexpected" not in res.stderr


def test_import_rerun_adds_nothing_and_resumes(pinned: Cli, tmp_path: Path) -> None:
    f = tmp_path / "app.log"
    f.write_text("".join(f"2026-11-{1 + i % 20:02d}T10:00:00Z event {i}\n" for i in range(45_000)))
    first = pinned.json("logs", "import", str(f), "--group", G)
    assert first["Accepted"] == 45_000 and first["Batches"] == 3
    again = pinned.json("logs", "import", str(f), "--group", G)
    assert again["Accepted"] == 0 and again["AlreadyImported"] == 45_000
    assert again["Skipped"][0]["Reason"].startswith("already imported")
    assert pinned.json("logs", "filter", "--group", G, "--count") == {"count": 45_000}
    # The same bytes into another stream are another import.
    assert pinned.json("logs", "import", str(f), "--group", G, "--stream", "copy")["Accepted"] == 45_000


def test_import_killed_mid_file_resumes_without_duplicates(tmp_path: Path) -> None:
    """kill -9 during an import, then a re-run: every line stored exactly once."""
    import os
    import signal
    import sqlite3
    import subprocess
    import sys
    import time

    home = tmp_path / "home"
    env = {**os.environ, "AWSMON_HOME": str(home)}
    exe = [sys.executable, "-c", "from awsmon.cli import main; main()"]
    subprocess.run([*exe, "account", "clock", "set", "2026-11-20T12:00:00Z"], env=env, check=True, capture_output=True)
    f = tmp_path / "big.log"
    n = 400_000
    f.write_text("".join(f"2026-11-{1 + i % 19:02d}T{i % 24:02d}:00:00Z event {i}\n" for i in range(n)))
    proc = subprocess.Popen([*exe, "logs", "import", str(f), "--group", G], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    db = next(iter(home.glob("accounts/*/account.db")))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with sqlite3.connect(db, timeout=5) as c:
                row = c.execute("SELECT position, done FROM log_imports").fetchone()
        except sqlite3.OperationalError:
            row = None
        if row and row[0] > 0 and not row[1]:
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with sqlite3.connect(db) as c:
        stored = c.execute("SELECT count(*) FROM log_events").fetchone()[0]
    assert 0 < stored < n  # killed mid-file
    res = subprocess.run([*exe, "logs", "import", str(f), "--group", G, "-o", "json"], env=env, capture_output=True, text=True)
    out = json.loads(res.stdout)
    assert res.returncode == 0 and out["AlreadyImported"] == stored and out["Accepted"] == n - stored
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT count(*), count(DISTINCT message) FROM log_events").fetchone() == (n, n)
