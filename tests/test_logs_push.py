"""awsmon logs push: the CloudWatch Logs agent (batching, multi-line, timestamps, state across restarts, follow)."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from awsmon.engines.logtime import compile_format, group_lines
from awsmon.services.logs_push import EVENT_OVERHEAD, MAX_BATCH_BYTES, MAX_BATCH_EVENTS, batches

SYSLOG = "%b %d %H:%M:%S"
REF = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


# -- engine -----------------------------------------------------------------------------------------------------------
def test_syslog_format_takes_reference_year_and_never_the_future() -> None:
    tf = compile_format(SYSLOG)
    assert tf.parse("Nov  3 07:05:09 host sshd[1]: hi", REF) == datetime(2026, 11, 3, 7, 5, 9, tzinfo=UTC)
    assert tf.parse("Dec 31 23:00:00 host x", REF) == datetime(2025, 12, 31, 23, 0, tzinfo=UTC)  # last year
    assert tf.parse("no timestamp here", REF) is None


def test_iso_formats_with_fraction_and_zone() -> None:
    tf = compile_format("%Y-%m-%dT%H:%M:%S.%f%z")
    assert tf.parse("[x] 2026-11-20T10:00:00.123456789+0200 msg", REF) == datetime(2026, 11, 20, 8, 0, 0, 123456,
                                                                                  tzinfo=UTC)  # fmt: skip
    assert compile_format("%-d/%b/%Y:%H:%M:%S").parse('1.2.3.4 - - [5/Nov/2026:01:02:03 +0000] "GET /"', REF) == \
        datetime(2026, 11, 5, 1, 2, 3, tzinfo=UTC)  # fmt: skip


def test_unsupported_directive() -> None:
    from awsmon.engines.logtime import DatetimeFormatError

    with pytest.raises(DatetimeFormatError, match="unsupported directive %Q"):
        compile_format("%Y %Q")


def test_multiline_grouping_by_timestamp_start() -> None:
    tf = compile_format(SYSLOG)
    lines = ["Nov  3 07:05:09 a", "Traceback:", "  File x", "Nov  3 07:05:10 b", "Nov  3 07:05:11 c", " more"]
    assert group_lines(lines, tf) == [[0, 1, 2], [3], [4, 5]]
    assert group_lines(["a", " b", "c"], None) == [[0, 1], [2]]  # awslogs' default ^[^\s]


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # a loaded CI machine generates slowly
@given(st.lists(st.tuples(st.integers(0, 3 * 86_400_000), st.text(min_size=1, max_size=60)), max_size=200))
def test_batches_respect_putlogevents_limits(raw: list[tuple[int, str]]) -> None:
    events = [(ts, msg, i) for i, (ts, msg) in enumerate(raw)]
    out = list(batches(events))
    assert [e for b in out for e in b] == events  # nothing lost, nothing reordered
    for b in out:
        assert len(b) <= MAX_BATCH_EVENTS
        assert sum(len(m.encode()) + EVENT_OVERHEAD for _, m, _ in b) <= MAX_BATCH_BYTES
        assert all(b[i][0] <= b[i + 1][0] for i in range(len(b) - 1))
        assert b[-1][0] - b[0][0] <= 24 * 3600 * 1000


def test_batches_split_on_count_and_bytes() -> None:
    many = [(1, "x", i) for i in range(MAX_BATCH_EVENTS + 1)]
    assert [len(b) for b in batches(many)] == [MAX_BATCH_EVENTS, 1]
    big = [(1, "y" * 200_000, i) for i in range(6)]  # 5 fit in 1,048,576 bytes with the 26-byte overhead
    assert [len(b) for b in batches(big)] == [5, 1]


# -- command ----------------------------------------------------------------------------------------------------------
def _messages(cli: Any, group: str, stream: str) -> list[tuple[int, str]]:
    out = cli.json("logs", "get-events", "--group", group, "--stream", stream, "--start-from-head")
    return [(e["timestamp"], e["message"]) for e in out["events"]]


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def test_push_parses_times_groups_lines_and_resumes_after_restart(pinned: Any, tmp_path: Path) -> None:
    f = tmp_path / "messages"
    f.write_text("Nov 20 11:00:00 host app: one\nNov 20 11:00:01 host app: two\n  detail of two\n")
    args = ["logs", "push", str(f), "--log-group-name", "/var/log/messages", "--log-stream-name", "i-0abc",
            "--datetime-format", SYSLOG, "--state-file", str(tmp_path / "state")]
    first = pinned.json(*args)["Files"][0]
    assert (first["Events"], first["Batches"], first["Offset"]) == (2, 1, f.stat().st_size)
    assert _messages(pinned, "/var/log/messages", "i-0abc") == [
        (_ms("2026-11-20T11:00:00"), "Nov 20 11:00:00 host app: one"),
        (_ms("2026-11-20T11:00:01"), "Nov 20 11:00:01 host app: two\n  detail of two"),
    ]
    with f.open("a") as fh:
        fh.write("Nov 20 11:00:02 host app: three\n")
    second = pinned.json(*args)["Files"][0]  # a restart: only what was appended is shipped
    assert second["Events"] == 1
    assert [m for _, m in _messages(pinned, "/var/log/messages", "i-0abc")][-1] == "Nov 20 11:00:02 host app: three"
    assert len(_messages(pinned, "/var/log/messages", "i-0abc")) == 3
    assert json.loads((tmp_path / "state").read_text())  # the position is remembered
    f.write_text("Nov 20 11:00:03 host app: rotated\n")  # truncated/rotated: read again from the start
    assert pinned.json(*args)["Files"][0]["Events"] == 1


def test_lines_without_timestamp_take_the_clock(pinned: Any, tmp_path: Path) -> None:
    f = tmp_path / "plain.log"
    f.write_text("hello\nworld\n")
    pinned.ok("logs", "push", str(f), "--log-group-name", "g", "--log-stream-name", "s",
              "--state-file", str(tmp_path / "st"))
    assert _messages(pinned, "g", "s") == [(_ms("2026-11-20T12:00:00"), "hello"), (_ms("2026-11-20T12:00:00"), "world")]


def test_follow_ships_lines_appended_concurrently(pinned: Any, tmp_path: Path) -> None:
    f = tmp_path / "app.log"
    f.write_text("Nov 20 11:59:00 start\n")

    def append() -> None:
        for i in range(5):
            time.sleep(0.15)
            with f.open("a") as fh:
                fh.write(f"Nov 20 11:59:{i + 1:02d} line {i}\n")

    t = threading.Thread(target=append)
    t.start()
    started = time.monotonic()
    res = pinned.json("logs", "push", str(f), "--log-group-name", "g", "--log-stream-name", "s", "--datetime-format",
                      SYSLOG, "--follow", "--duration", "2", "--interval", "0.1", "--state-file", str(tmp_path / "st"))
    t.join()
    assert time.monotonic() - started < 6
    assert res["Files"][0]["Events"] == 6
    assert [m for _, m in _messages(pinned, "g", "s")] == ["Nov 20 11:59:00 start"] + [
        f"Nov 20 11:59:{i + 1:02d} line {i}" for i in range(5)]


def test_awslogs_conf_sections(pinned: Any, tmp_path: Path) -> None:
    log = tmp_path / "messages"
    log.write_text("Nov 20 10:00:00 ip-172-31 systemd: Started\n")
    conf = tmp_path / "awslogs.conf"
    conf.write_text(f"[general]\nstate_file = {tmp_path / 'agent-state'}\n\n[/var/log/messages]\n"
                    f"datetime_format = {SYSLOG}\nfile = {log}\nbuffer_duration = 5000\n"
                    "log_stream_name = {instance_id}\ninitial_position = start_of_file\n"
                    "log_group_name = /var/log/messages\ntime_zone = UTC\n")
    res = pinned.json("logs", "push", "--agent-config", str(conf), "--instance-id", "i-0123456789abcdef0")
    assert res["StateFile"] == str(tmp_path / "agent-state")
    assert res["Files"][0]["LogStreamName"] == "i-0123456789abcdef0" and res["Files"][0]["Events"] == 1
    assert _messages(pinned, "/var/log/messages", "i-0123456789abcdef0") == [
        (_ms("2026-11-20T10:00:00"), "Nov 20 10:00:00 ip-172-31 systemd: Started")]
    missing = pinned("logs", "push", "--agent-config", str(conf))
    assert missing.exit_code == 2 and "uses {instance_id}: give --instance-id" in missing.stderr


def test_unified_agent_json(pinned: Any, tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("2026-11-20 09:00:00 ready\n")
    conf = tmp_path / "amazon-cloudwatch-agent.json"
    conf.write_text(json.dumps({"logs": {"logs_collected": {"files": {"collect_list": [
        {"file_path": str(log), "log_group_name": "app", "log_stream_name": "{instance_id}-app",
         "timestamp_format": "%Y-%m-%d %H:%M:%S", "timezone": "UTC"}]}}}}))
    pinned.ok("logs", "push", "--agent-config", str(conf), "--instance-id", "i-1", "--state-file", str(tmp_path / "s"))
    assert _messages(pinned, "app", "i-1-app") == [(_ms("2026-11-20T09:00:00"), "2026-11-20 09:00:00 ready")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nofile", "--log-group-name", "g", "--log-stream-name", "s"], "cannot read nofile: no such file"),
        (["FILE", "--log-group-name", "g"], "needs --log-group-name and --log-stream-name"),
        (["FILE", "--log-group-name", "g", "--log-stream-name", "s", "--datetime-format", "%Q"], "unsupported directive %Q"),
        (["FILE", "--log-group-name", "bad:name", "--log-stream-name", "s"], "InvalidParameterException"),
    ],
)
def test_bad_input(pinned: Any, tmp_path: Path, args: list[str], message: str) -> None:
    f = tmp_path / "f.log"
    f.write_text("x\n")
    res = pinned("logs", "push", *[str(f) if a == "FILE" else a for a in args], "--state-file", str(tmp_path / "st"))
    assert res.exit_code == 2 and message in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "st").exists()  # nothing shipped, nothing remembered


@pytest.mark.moto
def test_contract_push_on_moto(moto_env: dict[str, str], cli: Any, tmp_path: Path) -> None:
    f = tmp_path / "app.log"
    now = datetime.now(UTC).replace(microsecond=0)
    f.write_text(f"{now:%Y-%m-%d %H:%M:%S} first\n  more\n{now:%Y-%m-%d %H:%M:%S} second\n")
    res = cli.json("logs", "push", str(f), "--log-group-name", "app", "--log-stream-name", "s1", "--datetime-format",
                   "%Y-%m-%d %H:%M:%S", "--state-file", str(tmp_path / "st"))
    assert res["Files"][0]["Events"] == 2
    got = _messages(cli, "app", "s1")
    assert [m for _, m in got] == [f"{now:%Y-%m-%d %H:%M:%S} first\n  more", f"{now:%Y-%m-%d %H:%M:%S} second"]
    assert got[0][0] == int(now.timestamp() * 1000)


@pytest.mark.parametrize(("args", "words"), [
    (["--interval", "nan"], "--interval must be a number of seconds above 0, at most 86400"),
    (["--interval", "1e400"], "--interval must be"),  # sleep(inf) overflowed time_t
    (["--interval", "0"], "--interval must be"),
    (["--duration", "nan"], "--duration must be a number of seconds above 0, at most 2147483648"),
    (["--duration", "-1"], "--duration must be"),
])  # fmt: skip
def test_follow_seconds_out_of_range_are_bad_values(pinned: Any, tmp_path: Path, args: list[str], words: str) -> None:
    f = tmp_path / "app.log"
    f.write_text("Nov 20 11:59:00 start\n")
    res = pinned("logs", "push", str(f), "--log-group-name", "g", "--log-stream-name", "s", "--follow", *args,
                 "--state-file", str(tmp_path / "st"))  # fmt: skip
    assert res.exit_code == 2 and res.stderr.count("\n") == 1 and words in res.stderr, res.stderr
    assert pinned.json("logs", "describe-log-groups")["logGroups"] == []  # nothing shipped
