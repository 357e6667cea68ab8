"""Command groups convert their commands on first use (start-up): the result must equal typer's eager conversion."""

from __future__ import annotations

import importlib

import pytest
import typer

from awsmon.cli import GROUPS, _lazy_group


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_lazy_group_equals_eager_conversion(group: str) -> None:
    app = importlib.import_module(GROUPS[group]).app
    if not app.registered_commands:
        pytest.skip(f"{group} has no commands of its own")
    eager = typer.main.get_command(app)
    lazy = _lazy_group(app)
    ctx = typer.Context(eager)
    assert lazy.list_commands(ctx) == eager.list_commands(ctx)
    assert not set(lazy.commands) & set(lazy._infos)  # nothing converted before it is looked up
    for name in eager.list_commands(ctx):
        a, b = eager.get_command(ctx, name), lazy.get_command(ctx, name)
        assert (a.name, a.help, [p.opts for p in a.params]) == (b.name, b.help.replace("\b\n", ""), [p.opts for p in b.params])
    assert lazy.get_command(ctx, "no-such-command") is None
