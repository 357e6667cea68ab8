"""Generate the man page and shell completions from the app itself (scripts/gen_docs.py writes them; a test
regenerates and compares, so they cannot drift). docutils is needed only here, at build/test time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

SHELLS = ("bash", "zsh", "fish")

EXIT_STATUS = [
    ("0", "success"),
    ("1", "error (a service error such as a missing resource, an unreachable endpoint, a corrupt local database)"),
    ("2", "usage error or bad input (unknown option, malformed time, invalid pattern, AWS validation errors)"),
    ("3", "a check failed (validate-digest found an invalid file, alarms check found an alarm in ALARM)"),
    ("4", "credentials or configuration (no credentials, unknown profile, home folder not writable, newer database schema)"),
    ("130", "interrupted"),
]

ENVIRONMENT = [
    ("AWSMON_BACKEND", "local (default) or aws"),
    ("AWSMON_HOME", "folder of the local accounts (default $XDG_DATA_HOME/awsmon, else ~/.local/share/awsmon)"),
    ("AWSMON_ACCOUNT", "which local account (12-digit id)"),
    ("AWSMON_NOW", "pin the local account's simulated clock for one command (any accepted time form)"),
    ("AWSMON_PRINCIPAL", "the local principal: an IAM user name, root, or an IAM role ARN (an assumed-role session)"),
    ("AWSMON_OUTPUT", "default output format: table, json, jsonl, csv or tsv"),
    ("AWSMON_COLOR", "auto, always or never"),
    ("AWSMON_TZ", "time zone for displayed times"),
    ("AWSMON_ENDPOINT_URL", "endpoint URL for the aws backend (an emulator such as moto)"),
    ("AWS_PROFILE, AWS_REGION, AWS_DEFAULT_REGION", "the standard AWS settings, honoured by both backends where they apply"),
    ("NO_COLOR", "disable colour"),
]

FILES = [
    ("$AWSMON_HOME/config.json", "the default local account"),
    ("$AWSMON_HOME/accounts/ID/account.db", "the local account's SQLite database (WAL mode)"),
    ("$AWSMON_HOME/accounts/ID/keys/signing-key.pem", "the account's RSA-2048 digest signing key (mode 0600)"),
    ("$AWSMON_HOME/accounts/ID/s3/BUCKET/", "simulated S3 buckets; the folder tree is the S3 key tree"),
]


def _walk(cmd: Any, ctx: Any, path: list[str]) -> Iterator[tuple[list[str], Any, Any]]:
    import typer

    yield path, cmd, ctx
    for name in getattr(cmd, "list_commands", lambda _c: [])(ctx):
        sub = cmd.get_command(ctx, name)
        if sub.hidden:  # aws-cli's operation names (aliases of listed commands): the page documents each once
            continue
        yield from _walk(sub, typer.Context(sub, info_name=name, parent=ctx), [*path, name])


def _rst_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("`", "\\`").replace("|", "\\|").replace("_", "\\_")


def man_rst() -> str:
    import typer

    from awsmon import __version__
    from awsmon.cli import app

    root = typer.main.get_command(app)
    out = [
        "======",
        "awsmon",
        "======",
        "",
        "-" * 40,
        "monitor and audit AWS accounts",
        "-" * 40,
        "",
        f":Version: {__version__}",
        ":Manual section: 1",
        ":Manual group: awsmon manual",
        "",
        "SYNOPSIS",
        "========",
        "",
        "**awsmon** [*GLOBAL OPTIONS*] *GROUP* *COMMAND* [*OPTIONS*] [*ARGS*]...",
        "",
        "DESCRIPTION",
        "===========",
        "",
        _rst_escape(" ".join((root.help or "").split())),
        "",
        "Every command works against two backends: **local**, a file-backed simulated account (the default), and "
        "**aws**, real AWS through boto3. Global options may be given before or after the command. The main commands "
        "also answer to aws-cli's operation names (``alarms describe-alarms``, ``metrics get-metric-statistics``, "
        "``logs filter-log-events``, ``trail lookup-events``, ...).",
        "",
        "COMMANDS",
        "========",
        "",
    ]
    rootctx = typer.Context(root, info_name="awsmon")
    for path, cmd, ctx in _walk(root, rootctx, ["awsmon"]):
        is_group = hasattr(cmd, "list_commands")
        usage = " ".join(cmd.collect_usage_pieces(ctx))
        out.append(f"**{' '.join(path)}** {_rst_escape(usage)}")
        out.append("")
        text = " ".join((cmd.help or "").split("\f")[0].split()) if not is_group else cmd.get_short_help_str(limit=300)
        if text:
            out += ["    " + _rst_escape(text), ""]
        for p in cmd.get_params(ctx):
            rec = p.get_help_record(ctx)
            if not rec or "--help" in rec[0] or rec[0] in ("--install-completion", "--show-completion"):
                continue
            out += [f"    ``{rec[0]}``", f"        {_rst_escape(' '.join(rec[1].split()))}", ""]
    out += ["EXIT STATUS", "===========", ""]
    for code, meaning in EXIT_STATUS:
        out += [f"**{code}**", f"    {_rst_escape(meaning)}", ""]
    out += ["ENVIRONMENT", "===========", ""]
    for name, meaning in ENVIRONMENT:
        out += [f"**{_rst_escape(name)}**", f"    {_rst_escape(meaning)}", ""]
    out += ["FILES", "=====", ""]
    for name, meaning in FILES:
        out += [f"*{_rst_escape(name)}*", f"    {_rst_escape(meaning)}", ""]
    out += ["SEE ALSO", "========", "", "aws(1), the README of awsmon-cli.", ""]
    return "\n".join(out)


def man_page() -> str:
    from docutils.core import publish_string

    raw = publish_string(
        man_rst(),
        writer="manpage",
        settings_overrides={"report_level": 4, "halt_level": 5, "output_encoding": "unicode", "datestamp": False},
    )
    text = raw if isinstance(raw, str) else raw.decode()
    # docutils stamps its own version in a comment; drop it so the page only changes when the app does.
    skip = ('.\\" Man page generated from', '.\\" by the Docutils')
    lines = [".SH NAME" if line == ".SH Name" else line for line in text.splitlines() if not line.startswith(skip)]
    return "\n".join(lines) + "\n"  # man(7) and whatis expect the section title NAME in capitals


def completion_script(shell: str) -> str:
    from typer._completion_shared import get_completion_script

    return get_completion_script(prog_name="awsmon", complete_var="_AWSMON_COMPLETE", shell=shell).lstrip("\n") + "\n"
