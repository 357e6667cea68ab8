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


def test_import_stdin_batches_and_rejections(pinned: Cli) -> None:
    lines = [f"2026-11-20T{10 + i // 3600:02d}:{(i // 60) % 60:02d}:{i % 60:02d}Z line {i} {'x' * 200}" for i in range(12_000)]
    lines.insert(5, "2026-10-01T00:00:00Z far too old")  # > 14 days before the clock: rejected by PutLogEvents
    out = pinned.json("logs", "import", "-", "--group", G, "--stream", "bulk", input="\n".join(lines) + "\n")
    assert out["Lines"] == 12_001 and out["Rejected"] == 1 and out["Accepted"] == 12_000
    assert out["Batches"] >= 3  # 10,000 events or 1 MB per PutLogEvents call
    assert pinned.json("logs", "filter", "--group", G, "--count") == {"count": 12_000}
    stream = pinned.json("logs", "describe-streams", "--group", G)["logStreams"][0]
    assert stream["firstEventTimestamp"] == NOW_MS - 2 * 3600_000


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
    from awsmon.services.logs import line_event

    ts, message = line_event(line, None)
    assert ts is None or isinstance(ts, int)
    assert isinstance(message, str) and (message == line or line.endswith(message))


@given(st.integers(min_value=0, max_value=4_102_444_800_000))
@settings(max_examples=200, deadline=None)
def test_parse_ts_value_epoch_units(ms: int) -> None:
    from awsmon.services.logs import parse_ts_value

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


def test_import_gzip_corrupt_further_in_says_what_got_in(pinned: Cli, tmp_path: Path) -> None:
    import gzip

    data = b"".join(b"2026-11-20T11:00:00Z line %d %s\n" % (i, b"%08x" % (i * 2654435761 % 2**32)) for i in range(60_000))
    packed = gzip.compress(data)
    cut = tmp_path / "cut.gz"
    cut.write_bytes(packed[: len(packed) * 3 // 4])
    res = pinned("logs", "import", str(cut), "--group", "/imp")
    assert res.exit_code == 2 and "corrupt gzip data" in res.stderr and "events were imported" in res.stderr
    assert "Traceback" not in res.stderr
