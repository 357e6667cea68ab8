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


def _ppid(proc_dir: Path) -> int | str | None:
    """The parent pid of a process ("Z" once it is a zombie, None once it is gone)."""
    try:
        fields = (proc_dir / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return "Z" if fields[0] == "Z" else int(fields[1])


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
    children = [int(p.name) for p in Path("/proc").glob("[0-9]*") if _ppid(p) == proc.pid]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert children or not Path("/proc/self/stat").exists()  # the file is big: a second process parses it (Linux)
    while children and time.monotonic() < deadline:  # ... and ends once its parent is gone (no orphan left working)
        children = [c for c in children if _ppid(Path(f"/proc/{c}")) not in (None, "Z")]
        time.sleep(0.05)
    assert not children
    with sqlite3.connect(db) as c:
        stored = c.execute("SELECT count(*) FROM log_events").fetchone()[0]
    assert 0 < stored < n  # killed mid-file
    res = subprocess.run([*exe, "logs", "import", str(f), "--group", G, "-o", "json"], env=env, capture_output=True, text=True)
    out = json.loads(res.stdout)
    assert res.returncode == 0 and out["AlreadyImported"] == stored and out["Accepted"] == n - stored
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT count(*), count(DISTINCT message) FROM log_events").fetchone() == (n, n)


# -- the fast paths agree with the general ones ------------------------------------------------------------------------
def _oracle_ts(value: Any) -> int | None:
    """parse_ts_value's general path for strings (strip, numbers, then fromisoformat), exact milliseconds."""
    import re
    from datetime import UTC, datetime, timedelta

    from awsmon.engines.logimport import parse_ts_value

    s = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", s):
        return parse_ts_value(float(s))
    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00").replace(",", "."))
    except ValueError:
        return None
    return (dt.replace(tzinfo=dt.tzinfo or UTC) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


_iso_like = st.builds(
    lambda y, mo, d, sep, h, mi, s, frac, tz, pad: f"{pad}{y:04d}-{mo:02d}-{d:02d}{sep}{h:02d}:{mi:02d}:{s:02d}{frac}{tz}{pad}",
    st.integers(0, 9999), st.integers(0, 13), st.integers(0, 32), st.sampled_from("T t_"), st.integers(0, 25),
    st.integers(0, 61), st.integers(0, 61),
    st.one_of(st.just(""), st.builds(lambda c, n: c + n, st.sampled_from(".,"), st.from_regex(r"[0-9]{1,9}", fullmatch=True))),
    st.one_of(st.sampled_from(["", "Z", "+00:00", "-07:00", "+05:30", "+0100", "+01", "+24:00", "-23:59", "+01:60"]),
              st.from_regex(r"[+-][0-9]{2}:[0-9]{2}", fullmatch=True)),
    st.sampled_from(["", "", "", " "]),
)  # fmt: skip


@given(st.one_of(_iso_like, st.text(max_size=40), st.from_regex(r"[0-9]{4}-[0-9٠-٩]{2}-[0-9]{2}.{0,20}", fullmatch=True)))
@settings(max_examples=1500, deadline=None)
def test_parse_ts_value_fast_iso_matches_fromisoformat(value: str) -> None:
    from awsmon.engines.logimport import parse_ts_value

    try:
        expected: Any = _oracle_ts(value)
    except (ValueError, OverflowError) as exc:
        expected = type(exc)
    try:
        got: Any = parse_ts_value(value)
    except (ValueError, OverflowError) as exc:
        got = type(exc)
    assert got == expected


@given(st.integers(min_value=0, max_value=253402300799999), st.sampled_from(["Z", "+00:00", ""]), st.sampled_from([".", ","]))
@settings(max_examples=500, deadline=None)
def test_iso_times_are_exact_milliseconds(ms: int, zone: str, comma: str) -> None:
    """int(dt.timestamp() * 1000) was 1 ms early for ~0.6 % of times (float rounding); the import is exact."""
    from datetime import UTC, datetime, timedelta

    from awsmon.engines.logimport import line_event, parse_ts_value

    text = (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    text = text.replace(".", comma)
    assert parse_ts_value(text + zone) == ms
    assert line_event(json.dumps({"time": text + zone, "m": 1}), "time") == (ms, json.dumps({"time": text + zone, "m": 1}))


def test_iso_time_that_float_arithmetic_got_wrong() -> None:
    from datetime import UTC, datetime

    from awsmon.engines.logimport import parse_ts_value

    dt = datetime(2039, 3, 8, 19, 46, 13, 411_000, tzinfo=UTC)
    assert int(dt.timestamp() * 1000) == 2183226373410  # the old arithmetic: 1 ms early
    assert parse_ts_value("2039-03-08T19:46:13.411Z") == 2183226373411


_clf_like = st.builds(
    lambda d, mon, y, h, mi, s, sign, oh, om: f"{d:02d}/{mon}/{y:04d}:{h:02d}:{mi:02d}:{s:02d} {sign}{oh:02d}{om:02d}",
    st.integers(0, 32), st.sampled_from(["Jan", "Feb", "Oct", "Dec", "Foo", "Sep"]), st.integers(1, 9999),
    st.integers(0, 25), st.integers(0, 61), st.integers(0, 62), st.sampled_from("+-"), st.integers(0, 25), st.integers(0, 61),
)  # fmt: skip


@given(_clf_like)
@settings(max_examples=1000, deadline=None)
def test_access_log_time_matches_strptime(text: str) -> None:
    from datetime import datetime

    from awsmon.engines.logimport import _clf_ms

    try:
        expected: int | None = int(datetime.strptime(text, "%d/%b/%Y:%H:%M:%S %z").timestamp() * 1000)
    except ValueError:
        expected = None
    assert _clf_ms(text) == expected
    line = f'10.0.0.1 - - [{text}] "GET / HTTP/1.1" 200 5'
    from awsmon.engines.logimport import line_event

    assert line_event(line, None)[0] == expected or (expected is None and line_event(line, None)[0] is None)


_json_value = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
    st.sampled_from(["2026-11-20T11:00:00Z", "2026-11-20 11:00:00,5", "1795172400", "1795172400123.5", " 2026-11-20T11:00:00Z ",
                     "yesterday", "", "2026-02-30T00:00:00Z", "\ud800"]),
    st.text(max_size=10),
)  # fmt: skip


@given(st.dictionaries(st.sampled_from(["timestamp", "@timestamp", "time", "eventTime", "ts", "date", "msg", "meta"]),
                       st.one_of(_json_value, st.dictionaries(st.sampled_from(["at", "x"]), _json_value, max_size=2)),
                       max_size=4),
       st.sampled_from([None, "time", "meta.at", "ts"]))  # fmt: skip
@settings(max_examples=1500, deadline=None)
def test_json_lines_read_with_orjson_match_the_stdlib(doc: dict[str, Any], field: str | None) -> None:
    """orjson refuses NaN, integers beyond 64 bits and lone surrogates: those lines go to the stdlib, so the answer
    (time, or the error naming the time) is always the stdlib's."""
    from unittest import mock

    from awsmon.engines import logimport

    line = json.dumps(doc, allow_nan=True, ensure_ascii=False) if "\ud800" not in str(doc) else json.dumps(doc)

    def outcome() -> Any:
        try:
            ts, msg = logimport.line_event(line, field)
        except (ValueError, OverflowError) as exc:
            return ("error", str(exc))
        return (ts if ts is None or 0 <= ts <= logimport.MAX_TS_MS else ("out of range", ts), msg)

    fast = outcome()
    with mock.patch.object(logimport, "_loads", lambda text: json.loads(text)):
        assert outcome() == fast
    # parse_block's inline path for --timestamp-field agrees with line_event
    try:
        stamps, messages, _, _ = logimport.parse_block([line], field, -1, 1 << 20)
        block: Any = (stamps[0] if stamps[0] != -1 else None, messages[0])
    except logimport.LineError as exc:
        block = ("error", str(exc))
    if fast[0] == "error":
        assert block == fast
    elif isinstance(fast[0], tuple):
        assert block == ("error", f"timestamp out of range ({fast[0][1]} ms)")
    else:
        assert block == fast


def test_deeply_nested_json_line_is_text_not_a_crash(pinned: Cli, tmp_path: Path) -> None:
    from awsmon.engines.logimport import line_event

    line = '{"a": ' + "[" * 200_000 + "]" * 200_000 + "}"
    assert line_event(line, None) == (None, line)
    f = tmp_path / "deep.jsonl"
    f.write_text(line + "\n")
    out = pinned.json("logs", "import", str(f), "--group", "/deep")
    assert out["Accepted"] == 1 and out["NoTimestamp"] == 1


def test_big_integer_time_is_named_exactly(pinned: Cli, tmp_path: Path) -> None:
    f = tmp_path / "big.jsonl"
    f.write_text('{"t": 1}\n{"t": 99999999999999999999, "msg": "x"}\n')
    res = pinned("logs", "import", str(f), "--group", "/imp", "--timestamp-field", "t")
    assert res.exit_code == 2 and "line 2: timestamp out of range (99999999999999999999 ms)" in res.stderr


def test_parse_block_skips_blanks_counts_and_names_the_failing_line() -> None:
    from awsmon.engines.logimport import LineError, parse_block

    lines = ["2026-11-20T11:00:00Z a", "", "   \t", "\u3000", "no time", "x" * 40, "2026-11-20T11:00:01Z b"]
    stamps, messages, no_ts, too_large = parse_block(lines, None, 7, 30)
    assert messages == ["a", "no time", "b"] and stamps == [NOW_MS - 3600_000, 7, NOW_MS - 3599_000]
    assert (no_ts, too_large) == (2, 1)  # the too-large line had no time either (counted first, as before)
    try:
        parse_block(["a", "", '{"time": -5}'], "time", 0, 100)
    except LineError as exc:
        assert exc.index == 2 and str(exc) == "timestamp out of range (-5000 ms)"
    else:
        raise AssertionError("no LineError")


_line_text = st.lists(st.sampled_from(["a", "é", "\u2028", "{", " ", "\r", "\n", "\r\n", "\x00", "\ufeff", "\x85"]), max_size=40)


@given(_line_text, st.integers(1, 9), st.integers(1, 4))
@settings(max_examples=400, deadline=None)
def test_chunked_line_reading_matches_readline(parts: list[str], chunk: int, per_block: int) -> None:
    """Lines end at \\n, \\r\\n or \\r, as a text file's readline (newline=''), whatever the chunk boundaries."""
    import io
    import os
    import tempfile
    from unittest import mock

    from awsmon.services import logs as svc

    text = "".join(parts)
    ref = [ln.rstrip("\r\n") for ln in io.TextIOWrapper(io.BytesIO(text.encode()), encoding="utf-8", newline="")]
    if ref:
        ref[0] = ref[0].removeprefix("\ufeff")
    fd, name = tempfile.mkstemp()
    try:
        os.write(fd, text.encode())
        os.close(fd)
        with mock.patch.object(svc, "READ_CHUNK", chunk), mock.patch.object(svc, "IMPORT_BATCH", per_block):
            blocks = list(svc._line_blocks(name))
    finally:
        os.unlink(name)
    assert [ln for b in blocks for ln in b] == ref
    assert all(len(b) == per_block for b in blocks[:-1]) and all(blocks)


def test_two_process_import_stores_what_one_process_stores(pinned: Cli, tmp_path: Path, monkeypatch: Any) -> None:
    """Big files are parsed in a forked second process; the events, counts and resume positions are the same."""
    import multiprocessing

    from awsmon.services import logs as svc

    lines = [f"2026-11-{1 + i % 19:02d}T{i % 24:02d}:00:00.{i % 1000:03d}Z event {i}" for i in range(2_500)]
    lines[10] = ""
    lines[20] = "no time at all"
    lines[30] = json.dumps({"time": "2026-01-02T03:04:05Z", "msg": "json"})
    f = tmp_path / "app.log"
    f.write_text("\r\n".join(lines) + "\n")
    gz = tmp_path / "app.log.gz"
    gz.write_bytes(gzip.compress(f.read_bytes()))
    monkeypatch.setattr(svc, "IMPORT_BATCH", 300)
    one = pinned.json("logs", "import", str(f), "--group", "/one")
    monkeypatch.setattr(svc, "PARALLEL_MIN_BYTES", 0)
    two = pinned.json("logs", "import", str(f), str(gz), "--group", "/two")
    for name in ("Lines", "NoTimestamp", "Batches"):
        assert two[name] == 2 * one[name], name
    assert one["Accepted"] == 2_499 and two["Accepted"] == 4_998 and one["NoTimestamp"] == 1

    def events(group: str, stream: str) -> list[tuple[int, str]]:
        got = pinned.json("logs", "filter", "--group", group, "--stream", stream)["events"]
        return [(e["timestamp"], e["message"]) for e in got]

    assert events("/two", "app.log") == events("/one", "app.log") == events("/two", "app.log.gz")
    # The second process really ran (and is gone once the import is over).
    it = svc._parsed(str(f), 0, None, 0)
    next(it)
    seen = [p.pid for p in multiprocessing.active_children()]
    it.close()
    assert seen and not [p for p in multiprocessing.active_children() if p.pid in seen]


def test_two_process_import_stops_at_a_bad_line_after_storing_the_blocks_before(pinned: Cli, tmp_path: Path,
                                                                               monkeypatch: Any) -> None:  # fmt: skip
    from awsmon.services import logs as svc

    monkeypatch.setattr(svc, "IMPORT_BATCH", 100)
    monkeypatch.setattr(svc, "PARALLEL_MIN_BYTES", 0)
    lines = [json.dumps({"t": 1795172400 + i, "n": i}) for i in range(1_000)]
    lines[456] = '{"t": 1e400}'
    f = tmp_path / "bad.jsonl"
    f.write_text("\n".join(lines) + "\n")
    res = pinned("logs", "import", str(f), "--group", "/bad", "--timestamp-field", "t")
    assert res.exit_code == 2 and res.stderr.count("\n") == 1
    assert "bad.jsonl: line 457: timestamp out of range (inf) (400 events were imported; a re-run resumes" in res.stderr
    assert pinned.json("logs", "filter", "--group", "/bad", "--count") == {"count": 400}
    lines[456] = '{"t": 1795172400}'  # fixed: another file (other bytes), imported from its start
    f.write_text("\n".join(lines) + "\n")
    assert pinned.json("logs", "import", str(f), "--group", "/bad2", "--timestamp-field", "t")["Accepted"] == 1_000


def test_import_on_both_backends(backend_cli: Cli, tmp_path: Path) -> None:
    """Local: an offline load; moto (aws backend): PutLogEvents batches of the same parsed lines."""
    f = tmp_path / "plain.log"
    f.write_text("first line\r\n\nsecond line\n" + "x" * 10 + "\n")
    out = backend_cli.json("logs", "import", str(f), "--group", "/contract/import")
    assert out["Lines"] == 3 and out["Accepted"] == 3 and out["NoTimestamp"] == 3 and out["Batches"] == 1
    assert out["Mode"] in ("offline load", "PutLogEvents")
    got = backend_cli.json("logs", "filter", "--group", "/contract/import")["events"]
    assert sorted(e["message"] for e in got) == ["first line", "second line", "x" * 10]
    assert {e["logStreamName"] for e in got} == {"plain.log"}
