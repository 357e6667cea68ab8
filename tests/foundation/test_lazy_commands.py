"""Command groups convert their commands on first use (start-up): the result must equal typer's eager conversion."""

from __future__ import annotations

import importlib

import pytest
import typer

from awsmon.cli import GROUPS, _finish, _lazy_group
from tests.conftest import Cli


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_lazy_group_equals_eager_conversion(group: str) -> None:
    app = importlib.import_module(GROUPS[group]).app
    assert app.registered_commands, f"{group} has no commands of its own"
    eager = typer.main.get_command(app)
    _finish(eager)
    lazy = _lazy_group(app)
    _finish(lazy)
    ctx = typer.Context(eager)
    assert lazy.list_commands(ctx) == eager.list_commands(ctx)
    assert not set(lazy.commands) & set(lazy._infos)  # nothing converted before it is looked up
    for name in eager.list_commands(ctx):
        a, b = eager.get_command(ctx, name), lazy.get_command(ctx, name)
        assert (a.name, a.help, [(p.opts, type(p.type).__name__) for p in a.params]) == (
            b.name, b.help, [(p.opts, type(p.type).__name__) for p in b.params])  # fmt: skip
    assert lazy.get_command(ctx, "no-such-command") is None


def test_a_mistyped_command_still_gets_a_suggestion(cli: Cli) -> None:
    res = cli("logs", "filtr")
    assert res.exit_code == 2 and "Did you mean 'filter'?" in res.stderr


def test_typer_s_unused_standard_modules_load_on_first_use() -> None:
    """subprocess, difflib, shutil, traceback and gettext are not loaded by a command's start, and work when used."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import awsmon.cli\n"
        "from awsmon.cli._defer import DEFERRED, _Deferred\n"
        "assert all(isinstance(sys.modules[m], _Deferred) for m in DEFERRED), DEFERRED\n"
        "assert 'selectors' not in sys.modules and 'locale' not in sys.modules\n"
        "import typer.core, typer.main\n"
        "assert typer.core.get_close_matches('filtr', ['filter', 'tail']) == ['filter']\n"
        "import subprocess\n"
        "assert subprocess.run(['true']).returncode == 0 and typer.main.subprocess.PIPE == subprocess.PIPE\n"
        "assert typer.get_terminal_size().columns > 0 and typer.core._('Options') == 'Options'\n"
        "assert typer.main.StackSummary.from_list([]) == [] and typer.main.traceback.format_exc\n"
        "assert not any(isinstance(sys.modules[m], _Deferred) for m in ('shutil', 'traceback', 'gettext'))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
