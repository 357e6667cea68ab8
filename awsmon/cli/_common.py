"""Shared pieces of the command modules: the context accessor, the renderer, option helpers."""

import inspect
import types
from collections.abc import Callable, Sequence
from typing import Any

import typer

from awsmon.context import AppContext
from awsmon.errors import UsageError
from awsmon.output import Renderer

GLOBAL_HELP = (
    "Global options (--backend, --home, --account, --profile, --region, --endpoint-url, -o/--output, --query, "
    "--color, --tz, --wide, --debug) may be given before or after the command."
)


def app_ctx(ctx: typer.Context) -> AppContext:
    root = ctx.find_root()
    obj = root.obj
    if not isinstance(obj, AppContext):
        obj = AppContext.create()
        root.obj = obj
    return obj


def renderer(ctx: typer.Context) -> Renderer:
    return Renderer(app_ctx(ctx))


def group(name: str, help_text: str) -> typer.Typer:
    return typer.Typer(
        name=name,
        help=help_text,
        no_args_is_help=True,
        add_completion=False,  # completion options belong to the root command only
        epilog=GLOBAL_HELP,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )


def split_values(values: list[str] | None) -> list[str]:
    """Plural list options: ``--x a b`` is not possible in click, so accept ``--x a --x b`` and ``--x a,b``."""
    out: list[str] = []
    for v in values or []:
        out.extend(p for p in (s.strip() for s in v.split(",")) if p)
    return out


def names_option(*flags: str, help: str) -> Any:
    """A required plural option (``--alarm-names a --alarm-names b`` or ``a,b``; read it with split_values)."""
    return typer.Option(..., *flags, help=f"{help} (repeatable or comma-separated).")


def service_command(app: typer.Typer, name: str, target: str, doc: str, *params: tuple[str, Any, Any],
                    rows_key: str | None = None, columns: Sequence[Any] | None = None, aliases: Sequence[str] = (),
                    raw: Sequence[str] = (), detail: bool = False) -> Callable[..., None]:
    """Register a command that only hands its options to one service function and renders what it returns.

    ``target`` is ``module:function`` (imported when the command runs, so start-up stays light); ``params`` are
    ``(name, annotation, typer.Option(...))``, each passed as the service function's keyword ``name``. List options
    are read with split_values (``--x a,b``) unless named in ``raw`` (values that hold commas themselves);
    ``aliases`` are aws-cli's full operation names, registered hidden; ``detail`` prints one object as
    Renderer.detail does (key/value table) instead of rows."""
    module, _, function = target.partition(":")
    plural = {p for p, annotation, _ in params if p not in raw and _is_list(annotation)}

    def command(ctx: typer.Context, **values: Any) -> None:
        import importlib

        svc = getattr(importlib.import_module(module), function)
        args = {p: split_values(v) if p in plural else list(v or []) if p in raw else v for p, v in values.items()}
        data = svc(app_ctx(ctx), **args)
        if detail:
            renderer(ctx).detail(data)
        else:
            renderer(ctx).render(data, rows_key=rows_key, columns=columns)

    kind = inspect.Parameter.KEYWORD_ONLY
    command.__signature__ = inspect.Signature(  # type: ignore[attr-defined]  # what typer reads the options from
        [inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context),
         *(inspect.Parameter(p, kind, default=option, annotation=annotation) for p, annotation, option in params)],
        return_annotation=None)  # fmt: skip
    command.__doc__ = doc
    command.__name__ = command.__qualname__ = name.replace("-", "_")
    app.command(name)(command)
    for alias in aliases:
        app.command(alias, hidden=True)(command)
    return command


def aws_cli_aliases(app: typer.Typer, names: dict[str, str]) -> None:
    """aws-cli's operation names as hidden aliases of this group's commands (``describe-alarms`` runs ``describe``):
    whoever knows aws-cli types them from habit. Call it after the commands are registered."""
    callbacks = {info.name: info.callback for info in app.registered_commands}
    for alias, name in names.items():
        app.command(alias, hidden=True)(callbacks[name])  # type: ignore[arg-type]


def _is_list(annotation: Any) -> bool:
    return annotation is list or getattr(annotation, "__origin__", None) is list or (
        isinstance(annotation, types.UnionType) and any(_is_list(a) for a in annotation.__args__))


def parse_key_values(text: str, option: str) -> dict[str, str]:
    """aws-cli shorthand ``Key=A,Value=B`` into a dict; as aws-cli, a value may be quoted (``message="a, b"`` or
    ``'a, b'``) to hold commas or surrounding spaces."""
    out: dict[str, str] = {}
    i, n = 0, len(text)
    while i < n:
        eq = text.find("=", i)
        comma = text.find(",", i)
        if eq < 0 or 0 <= comma < eq:
            raise UsageError(f"invalid {option} value {text!r}: expected Key=Value pairs separated by commas")
        key = text[i:eq].strip()
        j = eq + 1
        while j < n and text[j] == " ":
            j += 1
        if j < n and text[j] in "\"'":
            end = text.find(text[j], j + 1)
            if end < 0:
                raise UsageError(f"invalid {option} value {text!r}: unterminated quote after {key}=")
            value, i = text[j + 1 : end], end + 1
            while i < n and text[i] == " ":
                i += 1
            if i < n and text[i] != ",":
                raise UsageError(f"invalid {option} value {text!r}: expected a comma after the quoted {key} value")
        else:
            i = comma if (comma := text.find(",", j)) >= 0 else n
            value = text[j:i].strip()
        out[key] = value
        i += 1  # past the comma
    return out


def seconds_option(value: float | None, option: str, *, limit: float = 86_400) -> float | None:
    """A polling interval or duration in seconds: above 0 and at most ``limit`` (NaN and infinities too: a longer
    sleep overflows time_t) [design choice: at most a day by default]."""
    if value is not None and not 0 < value <= limit:
        raise UsageError(f"{option} must be a number of seconds above 0, at most {int(limit)}")
    return value


def require_local(ctx: typer.Context, what: str) -> AppContext:
    actx = app_ctx(ctx)
    if not actx.is_local:
        raise UsageError(f"{what} works on the local account only (use --backend local)")
    return actx


def echo_json(ctx: typer.Context, data: Any) -> None:
    renderer(ctx).render(data)


def query_progress(ctx: typer.Context) -> Any:
    """Progress lines (stderr) for a long Athena query, only when a person watches the terminal."""
    import sys

    from awsmon.output import info

    actx = app_ctx(ctx)
    return (lambda text: info(actx, text)) if sys.stderr.isatty() else None


def render_query_result(ctx: typer.Context, data: dict[str, Any]) -> None:
    """A SQL query's {"Columns", "Rows", "Statistics"}: the whole object with --query, else the rows as a table."""
    from awsmon.output import Column

    r = renderer(ctx)
    if app_ctx(ctx).query:
        r.render(data)
        return
    r.rows(data["Rows"], [Column(name, path=name) for name in data["Rows"][0]] if data["Rows"] else
           [Column(name) for name in data["Columns"]])  # fmt: skip


# Options of the commands that run Athena's SQL (trail query, config query): one definition for both.
ATHENA_DATABASE = typer.Option(None, "--database", help="Athena database holding the table.")
ATHENA_CATALOG = typer.Option(None, "--catalog", help="Athena data catalog (default AwsDataCatalog).")
ATHENA_WORKGROUP = typer.Option(None, "--workgroup", "--work-group", help="Athena workgroup.")
ATHENA_OUTPUT = typer.Option(None, "--output-location", help="Athena result location, s3://bucket/prefix/.")
QUERY_MAX_WAIT = typer.Option(None, "--max-wait", help="Give up (and cancel the query) after this many seconds.")
QUERY_MAX_RESULTS = typer.Option(None, "--max-results", "--max-items", min=1, help="Print at most this many rows.")


def publish_command(topic: Any, doc: str) -> Callable[..., None]:
    """The Publish command, for `sns publish` (``--topic-arn``) and `alarms topics publish` (a positional topic):
    one signature and body, the topic parameter and the docstring given."""

    def publish(
        ctx: typer.Context,
        topic: str = topic,
        message: str = typer.Option(..., "--message", help="Message text."),
        subject: str | None = typer.Option(None, "--subject", help="Subject (up to 100 characters)."),
        message_attributes: str | None = typer.Option(None, "--message-attributes",
                                                      help='JSON: {"k": {"DataType": "String", "StringValue": "v"}}.'),  # fmt: skip
        group_id: str | None = typer.Option(None, "--message-group-id", help="FIFO topics: the message group."),
        dedup_id: str | None = typer.Option(None, "--message-deduplication-id",
                                            help="FIFO topics: the deduplication id."),  # fmt: skip
    ) -> None:
        from awsmon.services.alarms import publish as svc

        renderer(ctx).detail(svc(app_ctx(ctx), topic, message, subject, message_attributes, group_id, dedup_id))

    publish.__doc__ = doc
    return publish
