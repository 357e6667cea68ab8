"""The awsmon command line: the root app, global options and the one error handler."""

import os
import sys
from collections.abc import Sequence
from typing import Any

# isort: off
from awsmon.cli import _defer  # noqa: F401  (before typer, which imports what it defers)
import typer

# isort: on
from typer._click.exceptions import ClickException, NoArgsIsHelpError
from typer._click.exceptions import UsageError as ClickUsageError
from typer.core import TyperGroup
from typer.exceptions import Abort

from awsmon import __version__
from awsmon.errors import AwsmonError, ExitCode, error_line, one_line

# Global options and whether they take a value; they may appear anywhere before "--" (moved to the front).
GLOBAL_OPTIONS: dict[str, bool] = {
    "--backend": True,
    "--home": True,
    "--account": True,
    "--profile": True,
    "--region": True,
    "--endpoint-url": True,
    "--output": True,
    "-o": True,
    "--query": True,
    "--color": True,
    "--tz": True,
    "--debug": False,
    "--wide": False,
}
# Commands that define an option of the same name with their own meaning keep it.
_OWN_OPTIONS: dict[tuple[str, ...], set[str]] = {
    ("account", "init"): {"--region"},
    ("trail", "import"): {"--region"},
    ("trail", "download"): {"--region"},
}

EXIT_CODES_HELP = "Exit status: 0 ok, 1 error, 2 usage or bad input, 3 check failed, 4 credentials or configuration, 130 interrupted."


def hoist_global_options(args: list[str]) -> list[str]:
    """Move global options given after the command words to the front, so ``awsmon trail lookup -o json`` works."""
    front: list[str] = []
    rest: list[str] = []
    words: list[str] = []  # the command path (leading words before any option)
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        name = arg.split("=", 1)[0] if arg.startswith("--") else arg
        if name in GLOBAL_OPTIONS and name not in _OWN_OPTIONS.get(tuple(words[:2]), set()):
            if GLOBAL_OPTIONS[name] and "=" not in arg and i + 1 < len(args):
                front.extend(args[i : i + 2])
                i += 2
            else:
                front.append(arg)
                i += 1
            continue
        if not arg.startswith("-") and len(rest) == len(words):
            words.append(arg)
        rest.append(arg)
        i += 1
    return front + rest


def expand_plural_options(root: Any, args: list[str]) -> list[str]:
    """aws-cli's plural list options: ``--statistics Sum Average`` becomes ``--statistics Sum --statistics Average``.

    Applied only to options declared ``multiple`` on a command that takes no positional arguments, so a value can
    never be mistaken for an argument.
    """
    import typer

    cmd = root
    ctx = typer.Context(root, info_name="awsmon", resilient_parsing=True)
    skip_next = False
    for word in args:
        if skip_next or word.startswith("-"):
            skip_next = GLOBAL_OPTIONS.get(word, False) and not skip_next
            continue
        sub = cmd.get_command(ctx, word) if hasattr(cmd, "get_command") else None
        if sub is None:
            break
        cmd = sub
        if not hasattr(cmd, "get_command"):
            break
    if hasattr(cmd, "get_command") or cmd is root:
        return args
    params = cmd.params
    if any(p.param_type_name == "argument" for p in params):
        return args
    plural = {name for p in params if getattr(p, "multiple", False) for name in p.opts}
    if not plural:
        return args
    out: list[str] = []
    current: str | None = None
    taken = 0
    for arg in args:
        if arg == "--":
            current = None
        elif arg.startswith("-") and not _is_number(arg):
            current = arg if arg in plural else None
            taken = 0
        elif current is not None:
            if taken >= 1:
                out.append(current)
            taken += 1
        out.append(arg)
    return out


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _keep_examples_verbatim(cmd: Any) -> None:
    """Mark "Example" paragraphs with click's no-rewrap marker, so a long command line is never re-wrapped."""
    if cmd.help and "Example" in cmd.help:
        lines = cmd.help.split("\n")
        out: list[str] = []
        for i, line in enumerate(lines):
            starts_paragraph = i == 0 or not lines[i - 1].strip()
            if starts_paragraph and line.lstrip().startswith("Example"):
                out.append("\b")
            out.append(line)
        cmd.help = "\n".join(out)
    for sub in getattr(cmd, "commands", {}).values():
        _keep_examples_verbatim(sub)


def _finish(cmd: Any) -> None:
    """What every converted command (or group, with the commands it has converted so far) gets; a lazily converted
    command gets it when it is converted (``_LazyCommands.get_command``)."""
    _keep_examples_verbatim(cmd)
    _bound_integers(cmd)


def _bound_integers(cmd: Any) -> None:
    """Integer options take 64-bit values only: a larger number is a usage error, not an overflow in SQLite."""
    from typer._click.types import IntParamType

    class Int64(IntParamType):
        def convert(self, value: Any, param: Any, ctx: Any) -> Any:
            number = super().convert(value, param, ctx)
            if not -(2**63) <= number < 2**63:
                self.fail(f"{value!r} is out of range (a 64-bit integer)", param, ctx)
            return number

    for param in getattr(cmd, "params", []):
        if type(param.type) is IntParamType:
            param.type = Int64()
    for sub in getattr(cmd, "commands", {}).values():
        _bound_integers(sub)


def _check_argv(argv: list[str]) -> None:
    """Arguments come from bytes (undecodable ones become lone surrogates): refuse what is not UTF-8 text, once,
    before any command can store or print it."""
    from awsmon.errors import UsageError

    for arg in argv:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise UsageError(f"argument '{one_line(arg)}' is not UTF-8 text (at character {exc.start})") from None


def _traceback() -> None:
    import traceback  # only with --debug: it costs ~8 ms of startup

    traceback.print_exc()


def _print_error(message: str, hint: str | None = None) -> None:
    sys.stderr.write(error_line(message, hint) + "\n")


# Command groups, imported and converted to click commands only when used: building every group's commands
# on each start would cost tens of milliseconds.
GROUPS: dict[str, str] = {
    "trail": "awsmon.cli.trail",
    "metrics": "awsmon.cli.metrics",
    "alarms": "awsmon.cli.alarms",
    "logs": "awsmon.cli.logs",
    "dashboards": "awsmon.cli.dashboards",
    "rules": "awsmon.cli.rules",
    "sqs": "awsmon.cli.sqs",
    "schemas": "awsmon.cli.schemas",
    "config": "awsmon.cli.config",
    "account": "awsmon.cli.account",
    "ec2": "awsmon.cli.ec2",
    "s3": "awsmon.cli.s3",
    "iam": "awsmon.cli.iam",
    "dynamodb": "awsmon.cli.dynamodb",
    "lambda": "awsmon.cli.lambda_",
    "sns": "awsmon.cli.sns",
    "service-quotas": "awsmon.cli.service_quotas",
    "kinesis": "awsmon.cli.kinesis",
    "firehose": "awsmon.cli.firehose",
    "synthetics": "awsmon.cli.synthetics",
}

# Top-level commands (not groups), imported and converted the same way: name -> (module, function).
COMMANDS: dict[str, tuple[str, str]] = {"demo": ("awsmon.cli.demo", "demo")}


class _LazyCommands(TyperGroup):
    """A command group whose commands become click commands on first use: converting a command inspects its
    signature and builds every option, and a command line runs one command of a group of up to 17."""

    _infos: dict[str, Any]
    _app: Any

    def list_commands(self, ctx: Any) -> list[str]:
        return [*self._infos, *(n for n in self.commands if n not in self._infos)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        info = self._infos.get(cmd_name)
        if info is not None and cmd_name not in self.commands:
            app = self._app
            cmd = typer.main.get_command_from_info(info, pretty_exceptions_short=app.pretty_exceptions_short,
                                                   rich_markup_mode=app.rich_markup_mode)  # fmt: skip
            _finish(cmd)
            self.commands[cmd_name] = cmd
        return super().get_command(ctx, cmd_name)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self._infos and args[0] not in self.commands:
            for name in self._infos:  # a mistyped command: typer suggests from every converted name
                self.get_command(ctx, name)
        return super().resolve_command(ctx, args)


def _lazy_group(app: Any) -> Any:
    """``typer.main.get_command(app)`` for a group, with its own commands converted only when looked up."""
    commands = app.registered_commands
    app.registered_commands = []
    try:
        cmd = typer.main.get_group(app)  # the group itself: help, callback, sub-groups
    finally:
        app.registered_commands = commands
    cmd.__class__ = _LazyCommands
    cmd._infos = {(ci.name or typer.main.get_command_name(ci.callback.__name__)): ci for ci in commands}
    cmd._app = app
    return cmd


class AwsmonGroup(TyperGroup):
    """The root group: runs the app and maps every failure to one stderr line and a documented exit code."""

    _lazy: dict[str, Any] = {}

    def list_commands(self, ctx: Any) -> list[str]:
        return [*GROUPS, *COMMANDS, *super().list_commands(ctx)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in COMMANDS and cmd_name not in self._lazy:
            import importlib

            from typer.models import CommandInfo

            module_name, function = COMMANDS[cmd_name]
            info = CommandInfo(name=cmd_name, callback=getattr(importlib.import_module(module_name), function))
            cmd = typer.main.get_command_from_info(info, pretty_exceptions_short=app.pretty_exceptions_short,
                                                   rich_markup_mode=app.rich_markup_mode)  # fmt: skip
            _finish(cmd)
            self._lazy[cmd_name] = cmd
        if cmd_name in GROUPS:
            if cmd_name not in self._lazy:
                import importlib

                module = importlib.import_module(GROUPS[cmd_name])
                if module.app.registered_commands or module.app.registered_groups:
                    cmd = _lazy_group(module.app)
                else:  # a group whose commands have not landed yet: still listed, with its help
                    cmd = TyperGroup(name=cmd_name, help=module.app.info.help, no_args_is_help=True)
                cmd.name = cmd_name
                _finish(cmd)
                self._lazy[cmd_name] = cmd
            return self._lazy[cmd_name]
        if cmd_name in COMMANDS:
            return self._lazy[cmd_name]
        return super().get_command(ctx, cmd_name)

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in argv or os.environ.get("AWSMON_DEBUG") == "1"
        if not os.environ.get("_AWSMON_COMPLETE"):
            argv = hoist_global_options(argv)
            argv = expand_plural_options(self, argv)
        code: int = ExitCode.OK
        try:
            _check_argv(argv)
            rv = super().main(argv, prog_name or "awsmon", complete_var, standalone_mode=False, **extra)
            if isinstance(rv, int) and not isinstance(rv, bool):
                code = rv
        except AwsmonError as exc:
            if debug:
                _traceback()
            _print_error(exc.message if not hasattr(exc, "code") else str(exc), exc.hint)
            code = exc.exit_code
        except NoArgsIsHelpError as exc:
            # a bare group: its help on stdout, exit 2 as click does
            if exc.ctx is not None:
                sys.stdout.write(exc.ctx.get_help() + "\n")
            code = ExitCode.USAGE
        except ClickUsageError as exc:
            hint = None
            if exc.ctx is not None:
                hint = f"try '{exc.ctx.command_path} --help'"
            _print_error(exc.format_message(), hint)
            code = ExitCode.USAGE
        except ClickException as exc:
            _print_error(exc.format_message())
            code = exc.exit_code
        except Abort:
            _print_error("aborted")
            code = ExitCode.INTERRUPTED
        except KeyboardInterrupt:
            _print_error("interrupted")
            code = ExitCode.INTERRUPTED
        except BrokenPipeError:
            # `awsmon ... | head`: stop quietly, like a well-behaved Unix tool.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            code = ExitCode.OK
        except OSError as exc:
            # Last resort for a path given by the user that the OS refuses (too long, missing, a folder...):
            # readers report these themselves; whatever still escapes is one line, not "unexpected".
            import errno

            if debug:
                _traceback()
            where = f" {exc.filename}" if exc.filename else ""
            _print_error(f"cannot use{where}: {exc.strerror or exc}")
            bad_input = {errno.ENAMETOOLONG, errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.EINVAL, errno.ELOOP}
            code = ExitCode.USAGE if exc.errno in bad_input else ExitCode.ERROR
        except RecursionError:
            # Last resort: readers refuse over-deep input themselves (awsmon.inputs); whatever still recursed too
            # deep was nested user data, so it is bad input, not a crash.
            if debug:
                _traceback()
            _print_error("the input is nested too deeply to process")
            code = ExitCode.USAGE
        except Exception as exc:
            if debug:
                _traceback()
            _print_error(f"unexpected {type(exc).__name__}: {exc}", "run again with --debug for a traceback")
            code = ExitCode.ERROR
        finally:
            ctx_obj = getattr(self, "_awsmon_ctx", None)
            if ctx_obj is not None:
                ctx_obj.close()
                self._awsmon_ctx = None
        if standalone_mode:
            sys.exit(int(code))
        return int(code)


app = typer.Typer(
    cls=AwsmonGroup,
    name="awsmon",
    help="Monitor and audit AWS accounts: CloudTrail, CloudWatch metrics, alarms and logs, EventBridge and Config, "
    "against real AWS or a local simulated account.\n\n"
    "Start with 'awsmon demo': it builds a demo local account in seconds and prints what to try next. Each group's "
    "--help has examples (awsmon trail --help).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    epilog=EXIT_CODES_HELP,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"awsmon {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def root(
    ctx: typer.Context,
    backend: str | None = typer.Option(None, "--backend", help="local (simulated account) or aws. [env: AWSMON_BACKEND; default: local]", metavar="local|aws"),
    home: str | None = typer.Option(None, "--home", help="Folder of the local accounts. [env: AWSMON_HOME; default: $XDG_DATA_HOME/awsmon]", metavar="DIR"),
    account: str | None = typer.Option(None, "--account", help="Which local account (12-digit id). [env: AWSMON_ACCOUNT]", metavar="ID"),
    profile: str | None = typer.Option(None, "--profile", help="AWS profile (aws backend). [env: AWS_PROFILE]"),
    region: str | None = typer.Option(None, "--region", help="Region. [env: AWS_REGION, AWS_DEFAULT_REGION; local default: us-east-1]"),
    endpoint_url: str | None = typer.Option(None, "--endpoint-url", help="Endpoint for an emulator such as moto (aws backend). [env: AWSMON_ENDPOINT_URL]", metavar="URL"),
    output: str | None = typer.Option(None, "--output", "-o", help="table, json, jsonl, csv or tsv. [env: AWSMON_OUTPUT; default: table on a terminal, json when piped]", metavar="FORMAT"),
    query: str | None = typer.Option(None, "--query", help="JMESPath expression applied to the response, as in aws-cli.", metavar="JMESPATH"),
    color: str | None = typer.Option(None, "--color", help="auto, always or never (NO_COLOR is honoured). [env: AWSMON_COLOR]", metavar="WHEN"),
    tz: str | None = typer.Option(None, "--tz", help="Time zone for displayed times: UTC, local or an IANA name. [env: AWSMON_TZ]", metavar="ZONE"),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors."),
    wide: bool = typer.Option(False, "--wide", help="Tables on a terminal show every column at full width (long lines) instead of fitting the terminal's width. [env: AWSMON_WIDE=1]"),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    import gc

    if not gc.isenabled():  # started by awsmon.__main__ with the collector off: start-up is over
        gc.freeze()
        gc.enable()
    from awsmon.context import AppContext

    obj = AppContext.create(
        backend=backend, home=home, account=account, profile=profile, region=region, endpoint_url=endpoint_url,
        output=output, query=query, color=color, debug=debug, tz=tz, wide=wide,
    )  # fmt: skip
    ctx.obj = obj
    root_cmd = ctx.find_root().command
    root_cmd._awsmon_ctx = obj  # type: ignore[attr-defined]  # closed by AwsmonGroup.main


def main() -> None:
    app()
