"""The root CLI: version, help everywhere, global options, output formats, errors and exit codes."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awsmon.cli import app, hoist_global_options
from awsmon.errors import error_line
from tests.conftest import Cli

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def _walk(cmd, path):  # type: ignore[no-untyped-def]
    import typer

    yield path, cmd
    ctx = typer.Context(cmd, info_name=path[-1])
    for name in getattr(cmd, "list_commands", lambda _c: [])(ctx):
        yield from _walk(cmd.get_command(ctx, name), [*path, name])


def all_commands() -> list[list[str]]:
    import typer

    return [p for p, _ in _walk(typer.main.get_command(app), ["awsmon"])]


def test_version(cli: Cli) -> None:
    from awsmon import __version__

    res = cli.ok("--version")
    assert res.stdout.strip() == f"awsmon {__version__}"


def test_groups_exist(cli: Cli) -> None:
    out = cli.ok("--help").stdout
    for group in ("trail", "metrics", "logs", "alarms", "rules", "config", "account", "demo"):
        assert group in out


@pytest.mark.parametrize("path", all_commands(), ids=lambda p: " ".join(p))
def test_every_command_has_help(cli: Cli, path: list[str]) -> None:
    res = cli(*path[1:], "--help")
    assert res.exit_code == 0, res.stderr
    assert "Usage:" in res.stdout


def test_every_leaf_command_has_an_example() -> None:
    import typer

    missing = []
    for path, cmd in _walk(typer.main.get_command(app), ["awsmon"]):
        if not hasattr(cmd, "list_commands") and "Example" not in (cmd.help or ""):
            missing.append(" ".join(path))
    assert not missing, f"commands without an Example in their help: {missing}"


def test_unknown_option_is_usage_error_one_line(cli: Cli) -> None:
    res = cli("account", "info", "--bogus")
    assert res.exit_code == 2
    assert res.stdout == ""
    # the hint joins the error line: every error is exactly one line on stderr
    assert res.stderr == "awsmon: error: No such option: --bogus (hint: try 'awsmon account info --help')\n"


def test_an_error_with_a_hint_is_one_line(cli: Cli) -> None:
    res = cli("logs", "filter", "--group", "g", "--start-time", "soon")
    assert res.exit_code == 2
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("awsmon: error: ") and " (hint: use ISO 8601" in lines[0], lines


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=30), st.text(max_size=30))
def test_error_line_is_always_one_printable_line(message: str, hint: str) -> None:
    line = error_line(message, hint or None)
    assert not _CONTROL.search(line) and len(line.splitlines()) == 1, repr(line)
    assert line.startswith("awsmon: error: ") and line.endswith(")" if hint else "")


def test_unknown_command_suggests(cli: Cli) -> None:
    res = cli("acount")
    assert res.exit_code == 2
    assert "No such command" in res.stderr


def test_bad_global_values_are_usage_errors(cli: Cli) -> None:
    assert cli("--output", "xml", "account", "info").exit_code == 2
    assert cli("--backend", "gcp", "account", "info").exit_code == 2
    assert cli("--color", "sometimes", "account", "info").exit_code == 2
    res = cli("--query", "[[[", "account", "info")
    assert res.exit_code == 2 and "invalid --query" in res.stderr
    assert cli("--tz", "Mars/Olympus", "account", "clock", "show", "-o", "table").exit_code == 2
    # aws-cli's formats that awsmon does not have name the nearest one
    res = cli("account", "info", "-o", "text")
    assert res.exit_code == 2 and res.stderr.count("\n") == 1 and "(hint: aws-cli's text is tab-separated: use -o tsv" in res.stderr
    assert "(hint: use -o json)" in cli("account", "info", "--output", "yaml").stderr


def test_global_options_after_the_command(cli: Cli) -> None:
    data = cli.ok("account", "info", "-o", "json", "--query", "Backend").json()
    assert data == "local"
    assert hoist_global_options(["trail", "lookup", "-o", "json", "--event-name", "X"]) == [
        "-o", "json", "trail", "lookup", "--event-name", "X",
    ]  # fmt: skip
    # a command's own --region keeps its meaning
    assert hoist_global_options(["account", "init", "--region", "eu-west-1"]) == ["account", "init", "--region", "eu-west-1"]
    assert hoist_global_options(["logs", "put-events", "--", "-o"]) == ["logs", "put-events", "--", "-o"]


def test_output_formats(cli: Cli) -> None:
    cli.ok("account", "init", "--account-id", "111122223333")
    as_json = cli.json("account", "list")
    ids = [a["AccountId"] for a in as_json["Accounts"]]
    assert ids == ["111122223333"]
    jsonl = cli.ok("account", "list", "-o", "jsonl").stdout.splitlines()
    assert [json.loads(line)["AccountId"] for line in jsonl] == ids
    csv_out = cli.ok("account", "list", "-o", "csv").stdout.splitlines()
    assert csv_out[0].startswith("AccountId,Default,DefaultRegion")
    assert csv_out[1].startswith("111122223333,true,us-east-1")
    tsv_out = cli.ok("account", "list", "-o", "tsv").stdout.splitlines()
    assert tsv_out[1].split("\t")[:2] == ["111122223333", "true"]
    table = cli.ok("account", "list", "-o", "table").stdout
    assert "AccountId" in table and "111122223333" in table and "\x1b[" not in table  # plain when piped
    queried = cli.ok("account", "list", "-o", "json", "--query", "Accounts[].AccountId").json()
    assert queried == ids
    assert cli.ok("account", "list", "-o", "tsv", "--query", "Accounts[].AccountId").stdout.splitlines() == ["Value", *ids]


def test_default_output_is_json_when_piped(cli: Cli) -> None:
    assert isinstance(json.loads(cli.ok("account", "info").stdout), dict)


def test_environment_variables(cli: Cli, tmp_path: Path) -> None:
    other = tmp_path / "otherhome"
    data = cli.json("account", "info", env={"AWSMON_HOME": str(other), "AWSMON_TZ": "Europe/Paris", "AWSMON_OUTPUT": "csv"})
    sources = {s["Setting"]: s["Source"] for s in data["Settings"]}
    assert sources["Home"] == "AWSMON_HOME"
    assert sources["TimeZone"] == "AWSMON_TZ"
    assert sources["Output"] == "--output"
    assert (other / "accounts" / "123456789012" / "account.db").exists()
    assert cli.ok("account", "list", env={"AWSMON_OUTPUT": "csv"}).stdout.startswith("AccountId,")


def test_home_not_writable(cli: Cli, tmp_path: Path) -> None:
    if os.geteuid() == 0:
        # root ignores permission bits: use a path below a regular file instead
        blocker = tmp_path / "file"
        blocker.write_text("x")
        home = blocker / "home"
    else:
        home = tmp_path / "ro"
        home.mkdir()
        home.chmod(stat.S_IRUSR | stat.S_IXUSR)
    res = cli("account", "info", env={"AWSMON_HOME": str(home)})
    assert res.exit_code == 4
    assert res.stderr.startswith("awsmon: error: ")
    assert "Traceback" not in res.stderr


def test_corrupt_database_is_refused_and_untouched(cli: Cli, home: Path) -> None:
    cli.ok("account", "info")
    db = home / "accounts" / "123456789012" / "account.db"
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    db.write_bytes(b"this is not a database" * 100)
    before = db.read_bytes()
    res = cli("account", "info")
    assert res.exit_code == 1
    assert "corrupt" in res.stderr and "Traceback" not in res.stderr
    assert db.read_bytes() == before


def test_newer_schema_is_refused_and_untouched(cli: Cli, home: Path) -> None:
    cli.ok("account", "info")
    db = home / "accounts" / "123456789012" / "account.db"
    conn = sqlite3.connect(db)
    conn.execute("UPDATE schema_versions SET version = 999 WHERE component = 'core'")
    conn.commit()
    conn.close()
    res = cli("account", "info")
    assert res.exit_code == 4
    assert "newer than this awsmon supports" in res.stderr
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT version FROM schema_versions WHERE component='core'").fetchone()[0] == 999
    conn.close()


def test_debug_shows_traceback(cli: Cli, home: Path) -> None:
    cli.ok("account", "info")
    db = home / "accounts" / "123456789012" / "account.db"
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    db.write_bytes(b"garbage" * 1000)
    res = cli("--debug", "account", "info")
    assert res.exit_code == 1
    assert "Traceback" in res.stderr


def test_local_path_never_imports_boto3(home: Path) -> None:
    code = (
        "import sys\n"
        "from awsmon.cli import app\n"
        "from typer.testing import CliRunner\n"
        "r = CliRunner().invoke(app, ['account', 'info', '-o', 'json'])\n"
        "assert r.exit_code == 0, r.output\n"
        "r = CliRunner().invoke(app, ['account', 'clock', 'advance', '1h'])\n"
        "assert r.exit_code == 0, r.output\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'moto')]\n"
        "assert not bad, bad\n"
    )
    env = {**os.environ, "AWSMON_HOME": str(home)}
    env.pop("AWSMON_BACKEND", None)
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_plural_options_take_several_values() -> None:
    import typer

    from awsmon.cli import expand_plural_options

    root = typer.main.get_command(app)
    args = ["-o", "json", "metrics", "get", "--namespace", "App", "--statistics", "Sum", "Average", "--period", "60"]
    assert expand_plural_options(root, args) == [
        "-o", "json", "metrics", "get", "--namespace", "App", "--statistics", "Sum", "--statistics", "Average",
        "--period", "60",
    ]  # fmt: skip
    # negative numbers are values, not options; a single value is unchanged
    assert expand_plural_options(root, ["metrics", "get", "--statistics", "Sum"]) == ["metrics", "get", "--statistics", "Sum"]
    # groups and unknown commands are left to the parser
    assert expand_plural_options(root, ["metrics", "--help"]) == ["metrics", "--help"]
    assert expand_plural_options(root, ["nope", "a", "b"]) == ["nope", "a", "b"]


def test_color_and_time_zone_in_tables(cli: Cli) -> None:
    cli.ok("account", "clock", "set", "2026-11-20T12:00:00Z")
    plain = cli.ok("account", "clock", "show", "-o", "table").stdout
    assert "2026-11-20 12:00:00Z" in plain and "\x1b[" not in plain
    paris = cli.ok("account", "clock", "show", "-o", "table", "--tz", "Europe/Paris").stdout
    assert "2026-11-20 13:00:00+01:00" in paris
    assert cli.json("account", "clock", "show", "--tz", "Europe/Paris")["Now"] == "2026-11-20T12:00:00Z"  # JSON stays UTC
    colored = cli.ok("account", "clock", "show", "-o", "table", "--color", "always").stdout
    assert "\x1b[" in colored
    no_color = cli.ok("account", "clock", "show", "-o", "table", "--color", "always", env={"NO_COLOR": "1"}).stdout
    assert "\x1b[" not in no_color


def test_empty_responses_print_nothing(cli: Cli) -> None:
    from awsmon.context import AppContext
    from awsmon.output import Renderer

    ctx = AppContext.create(output="json")
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        Renderer(ctx).render({"ResponseMetadata": {"RequestId": "x"}})
        Renderer(ctx).render({})
    assert buf.getvalue() == ""
