"""Terminal tables fit the terminal (columns by priority, cells cut with an ellipsis), --wide shows every column,
and piped tables are unchanged whatever the terminal width."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

from awsmon.output import COLUMN_GAP, fit_columns
from tests.conftest import Cli

ANSI = re.compile(r"\x1b\[[0-9;]*m")
HEADERS = ["EventTime", "EventName", "Username", "EventSource", "ReadOnly", "Resources", "EventId"]


def _lookup(pinned: Cli, *extra: str, width: int = 80) -> tuple[list[str], str]:
    res = pinned.ok("trail", "lookup", "--max-results", "5", "-o", "table", "--color", "always", *extra,
                    env={"COLUMNS": str(width)})  # fmt: skip
    return [ANSI.sub("", line) for line in res.stdout.splitlines()], res.stderr


def _events(pinned: Cli) -> None:
    pinned.ok("logs", "create-group", "--name", "/app/a-rather-long-log-group-name-for-the-table")
    pinned.ok("metrics", "put", "--namespace", "App", "--metric-name", "Latency", "--value", "1")


def test_trail_lookup_fits_80_columns(pinned: Cli) -> None:
    _events(pinned)
    lines, err = _lookup(pinned)
    assert all(cell_len(line) <= 80 for line in lines), lines
    header = lines[0]
    assert [h for h in HEADERS if h in header] == ["EventTime", "EventName", "Username", "EventSource"]
    assert len(lines) > 3 and all(line.startswith("2026-") for line in lines[2:])  # one line per event: no wrap
    assert re.search(r"2026-11-20 12:00:00Z", lines[2])  # times are never cut
    assert "3 columns hidden to fit the terminal: ReadOnly, Resources, EventId; --wide shows all" in err


def test_wider_terminals_show_more_columns(pinned: Cli) -> None:
    _events(pinned)
    lines, _ = _lookup(pinned, width=100)
    assert all(cell_len(line) <= 100 for line in lines)
    assert "ReadOnly" in lines[0] and "EventId" not in lines[0]


def test_wide_shows_every_column_unwrapped(pinned: Cli) -> None:
    _events(pinned)
    lines, err = _lookup(pinned, "--wide")
    assert all(h in lines[0] for h in HEADERS)
    assert len(lines) > 3 and all(line.startswith("2026-") for line in lines[2:]) and "hidden" not in err
    assert re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", lines[2])  # EventId in full
    # the environment variable does the same
    res = pinned.ok("trail", "lookup", "--max-results", "5", "-o", "table", "--color", "always",
                    env={"COLUMNS": "80", "AWSMON_WIDE": "1"})  # fmt: skip
    assert all(h in ANSI.sub("", res.stdout.splitlines()[0]) for h in HEADERS)


def test_long_cells_end_with_an_ellipsis(pinned: Cli) -> None:
    pinned.ok("alarms", "put", "--alarm-name", "x" * 120, "--namespace", "App", "--metric-name", "Latency",
              "--statistic", "Maximum", "--period", "60", "--evaluation-periods", "1", "--threshold", "1",
              "--comparison-operator", "GreaterThanThreshold")  # fmt: skip
    res = pinned.ok("alarms", "describe", "-o", "table", "--color", "always", env={"COLUMNS": "80"})
    lines = [ANSI.sub("", line) for line in res.stdout.splitlines()]
    assert all(cell_len(line) <= 80 for line in lines)
    assert any("xxxx…" in line for line in lines)


def test_piped_tables_are_unchanged_by_the_terminal_width(pinned: Cli) -> None:
    _events(pinned)
    narrow = pinned.ok("trail", "lookup", "--max-results", "5", "-o", "table", env={"COLUMNS": "80"}).stdout
    wide = pinned.ok("trail", "lookup", "--max-results", "5", "-o", "table", env={"COLUMNS": "300"}).stdout
    flag = pinned.ok("trail", "lookup", "--max-results", "5", "-o", "table", "--wide", env={"COLUMNS": "80"}).stdout
    # the trail lookup table lists itself: compare without the volatile LookupEvents rows
    strip = lambda text: [ln for ln in text.splitlines() if "LookupEvents" not in ln]  # noqa: E731
    assert strip(narrow)[0].split() == HEADERS  # every column, plain text, no cut
    assert "…" not in narrow and "\x1b" not in narrow
    assert strip(narrow)[:1] == strip(wide)[:1] == strip(flag)[:1]


@given(
    st.lists(st.tuples(st.text(min_size=1, max_size=12), st.integers(0, 3)), min_size=1, max_size=9),
    st.lists(st.lists(st.text(max_size=60), min_size=9, max_size=9), max_size=6),
    st.integers(20, 200),
)
def test_fit_columns_always_fits(cols: list[tuple[str, int]], rows: list[list[str]], width: int) -> None:
    headers = [h for h, _ in cols]
    priorities = [p for _, p in cols]
    cells = [row[: len(headers)] for row in rows]
    keep, widths = fit_columns(headers, cells, priorities, width)
    assert keep == sorted(keep) and len(keep) == len(widths) >= 1
    assert sum(widths) + COLUMN_GAP * (len(keep) - 1) <= width or len(keep) == 1
    natural = [max([cell_len(headers[i]), *(cell_len(r[i]) for r in cells)]) for i in range(len(headers))]
    assert all(1 <= w <= natural[i] or natural[i] == 0 for w, i in zip(widths, keep, strict=True))
    # nothing optional is hidden while a required column is, and all fit at full width when they can
    if sum(natural) + COLUMN_GAP * (len(headers) - 1) <= width:
        assert keep == list(range(len(headers))) and widths == natural


def test_short_cells_are_never_cut_a_column_is_hidden_instead() -> None:
    # ec2 run-instances on 80 columns was one character too wide: the instance id was cut ("i-4afe629007066e0…")
    headers = ["InstanceId", "InstanceType", "State", "PublicIpAddress", "PrivateIpAddress"]
    cells = [["i-4afe629007066e0c3", "t3.micro", "pending", "3.179.28.135", "172.31.245.195"]]
    keep, widths = fit_columns(headers, cells, [0] * 5, 80)
    assert keep == [0, 1, 2, 3] and widths == [19, 12, 7, 15]
    # times keep their full width beside a long column, which is the one cut
    keep, widths = fit_columns(["timestamp", "message"], [["2026-11-20T16:00:00.000Z", "x" * 200]], [0, 0], 80)
    assert widths == [24, 80 - 24 - COLUMN_GAP]


def test_clock_table_keeps_its_time_whole_on_80_columns(pinned: Cli) -> None:
    res = pinned.ok("account", "clock", "show", "-o", "table", "--color", "always",
                    env={"COLUMNS": "80", "AWSMON_NOW": "2026-11-21T00:00:00Z"})  # fmt: skip
    lines = [ANSI.sub("", line) for line in res.stdout.splitlines()]
    assert all(cell_len(line) <= 80 for line in lines)
    assert lines[2].startswith("2026-11-21 00:00:00Z │ pinned by AWSMON_NOW")  # was "2026-11-21 00:00:0…"
    assert "hidden to fit the terminal: CatchUpRuns" in res.stderr


def test_empty_responses_print_nothing_not_an_empty_table(pinned: Cli) -> None:
    for fmt in ("table", "csv", "jsonl", "json"):
        res = pinned.ok("logs", "create-group", "--name", f"/g/{fmt}", "-o", fmt, "--color", "always",
                        env={"COLUMNS": "80"})  # fmt: skip
        assert res.stdout == "", (fmt, res.stdout)


def test_table_floats_without_binary_noise(pinned: Cli) -> None:
    pinned.ok("metrics", "put", "--namespace", "App", "--metric-name", "L", "--values", "0.1", "0.2")
    args = ("metrics", "get", "--namespace", "App", "--metric-name", "L", "--start", "1h", "--period", "60",
            "--statistics", "Sum")  # fmt: skip
    csv = pinned.ok(*args, "-o", "csv").stdout  # machine formats keep every digit
    assert "0.30000000000000004" in csv
    table = pinned.ok(*args, "-o", "table").stdout
    assert "0.3 " in table and "0.30000000000000004" not in table


def test_lookup_records_keep_time_and_principal_whole_on_80_columns(pinned: Cli) -> None:
    _events(pinned)
    res = pinned.ok("trail", "lookup", "--records", "--max-results", "3", "-o", "table", "--color", "always",
                    env={"COLUMNS": "80"})  # fmt: skip
    lines = [ANSI.sub("", line) for line in res.stdout.splitlines()]
    assert all(cell_len(line) <= 80 for line in lines) and "…" not in "".join(lines[2:])
    assert lines[0].split("┃")[0].strip() == "eventTime" and "arn:aws:iam::123456789012:user/awsmon" in lines[2]
