"""Walk every command of the CLI tree: --help works, and obviously bad option values are one-line usage errors
(exit 2), never "unexpected", never a traceback, never a pointer at ../shared."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Cli


def _commands() -> list[tuple[tuple[str, ...], Any]]:
    import typer

    from awsmon.cli import app

    root = typer.main.get_command(app)
    ctx = typer.Context(root, info_name="awsmon", resilient_parsing=True)
    out: list[tuple[tuple[str, ...], Any]] = []

    def walk(cmd: Any, path: tuple[str, ...]) -> None:
        out.append((path, cmd))
        if hasattr(cmd, "list_commands"):
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                if sub is not None and not getattr(sub, "hidden", False):
                    walk(sub, (*path, name))

    walk(root, ())
    return out


COMMANDS = _commands()
LEAVES = [(path, cmd) for path, cmd in COMMANDS if not hasattr(cmd, "list_commands")]
TIME_OPTIONS = {"--start", "--end", "--start-time", "--end-time", "--since", "--until", "--timestamp",
                "--start-date", "--end-date", "--earlier-time", "--later-time"}  # fmt: skip


def _check(res: Any, allowed: tuple[int, ...] = (2,)) -> None:
    assert res.exit_code in allowed, (res.exit_code, res.stdout[-300:], res.stderr)
    assert "unexpected" not in res.stderr and "Traceback" not in res.stderr, res.stderr
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("awsmon: error: "), lines  # a hint joins the same line


def test_the_tree_is_walked() -> None:
    assert len(LEAVES) > 80
    assert {p[0] for p, _ in LEAVES if p} >= {"trail", "logs", "metrics", "alarms", "rules", "config", "account", "demo"}


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=lambda p: " ".join(p) or "awsmon")
def test_help(cli: Cli, path: tuple[str, ...]) -> None:
    res = cli(*path, "--help")
    assert res.exit_code == 0, res.stderr
    assert "Usage:" in res.stdout and not res.stderr
    assert "../shared" not in res.stdout  # a user has no ../shared: samples ship in the package


@pytest.mark.parametrize(("path", "cmd"), LEAVES, ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_bad_option_values(pinned: Cli, path: tuple[str, ...], cmd: Any) -> None:
    _check(pinned(*path, "--no-such-option-anywhere"))
    for param in cmd.params:
        if param.param_type_name != "option" or not param.opts[0].startswith("--") or param.is_flag:
            continue
        name = param.opts[0]
        kind = getattr(param.type, "name", "")
        if kind in ("integer", "float"):
            _check(pinned(*path, name, "not-a-number"))
        elif kind == "choice":
            _check(pinned(*path, name, "not-a-choice"))
        elif set(param.opts) & TIME_OPTIONS and kind == "text":
            # bad times may also be reported after a missing required option: either way, one usage line
            _check(pinned(*path, name, "not-a-time-9999"))
            _check(pinned(*path, name, "9999-12-31T23:00:00Z"))


def test_aws_cli_operation_names_are_hidden_aliases(pinned: Cli) -> None:
    """An SRE types aws-cli's names from habit: `metrics get-metric-statistics` was "No such command"."""
    import importlib

    for group in ("trail", "metrics", "alarms", "logs", "rules"):
        infos = importlib.import_module(f"awsmon.cli.{group}").app.registered_commands
        shown = {i.name: i.callback for i in infos if not i.hidden}
        hidden = [i for i in infos if i.hidden]
        assert hidden, group
        for info in hidden:  # each alias runs one of the group's listed commands
            assert info.callback in shown.values(), (group, info.name)
        assert "describe-alarms" not in pinned.ok("alarms", "--help").stdout  # help lists awsmon's names only
    pinned.ok("logs", "create-log-group", "--log-group-name", "/app/web")
    assert [g["logGroupName"] for g in pinned.json("logs", "describe-log-groups")["logGroups"]] == ["/app/web"]
    pinned.ok("metrics", "put-metric-data", "--namespace", "App", "--metric-name", "L", "--value", "5")
    res = pinned.json("metrics", "get-metric-statistics", "--namespace", "App", "--metric-name", "L",
                      "--start-time", "1h", "--period", "60", "--statistics", "Sum")  # fmt: skip
    assert [d["Sum"] for d in res["Datapoints"]] == [5.0]
    assert pinned.json("alarms", "describe-alarms") == pinned.json("alarms", "describe")
    assert pinned.json("trail", "lookup-events", "--max-results", "1")["Events"]
