"""The man page and the shell completions are generated from the app and must be current."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from awsmon.docgen import SHELLS, completion_script, man_page

ROOT = Path(__file__).resolve().parents[2]


def test_man_page_is_current() -> None:
    committed = (ROOT / "man" / "awsmon.1").read_text()
    assert committed == man_page(), "man/awsmon.1 is stale: run scripts/gen_docs.py"


def test_man_page_sections_and_every_command() -> None:
    import typer

    from awsmon.cli import app
    from tests.foundation.test_cli_basics import _walk

    page = (ROOT / "man" / "awsmon.1").read_text()
    for section in ("NAME", "SYNOPSIS", "COMMANDS", "EXIT STATUS", "ENVIRONMENT", "FILES"):
        assert f'.SH {section}' in page or f'.SH "{section}"' in page, section
    for path, cmd in _walk(typer.main.get_command(app), ["awsmon"]):
        entry = "\\fB" + " ".join(path).replace("-", "\\-") + "\\fP"
        if cmd.hidden:  # aws-cli's operation names: aliases of listed commands, not documented twice
            assert entry not in page, f"{' '.join(path)} is an alias: the man page documents its command once"
        else:
            assert entry in page, f"{' '.join(path)} missing from the man page"


@pytest.mark.parametrize("shell", SHELLS)
def test_completions_are_current(shell: str) -> None:
    committed = (ROOT / "completions" / f"awsmon.{shell}").read_text()
    assert committed == completion_script(shell), f"completions/awsmon.{shell} is stale: run scripts/gen_docs.py"


def test_zsh_compdef_on_line_one() -> None:
    assert (ROOT / "completions" / "awsmon.zsh").read_text().splitlines()[0] == "#compdef awsmon"


def test_bash_completion_round_trip(home: Path) -> None:
    """The installed shim calls back into awsmon: completing 'awsmon acc' offers 'account'."""
    env = {**os.environ, "_AWSMON_COMPLETE": "complete_bash", "COMP_WORDS": "awsmon acc", "COMP_CWORD": "1"}
    out = subprocess.run(
        [sys.executable, "-c", "from awsmon.cli import main; main()"], env=env, capture_output=True, text=True
    )
    assert "account" in out.stdout
    env["COMP_WORDS"] = "awsmon account clock "
    env["COMP_CWORD"] = "3"
    out = subprocess.run(
        [sys.executable, "-c", "from awsmon.cli import main; main()"], env=env, capture_output=True, text=True
    )
    assert {"show", "set", "advance", "real"} <= set(out.stdout.split())
