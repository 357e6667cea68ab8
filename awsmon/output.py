"""The one renderer: ``--output table|json|jsonl|csv|tsv`` and ``--query`` (JMESPath, as in aws-cli).

``json`` prints the API response shape (so aws-cli ``--query`` expressions work unchanged); the other formats print
the rows of the main list. Tables are rich on a terminal and plain, stable text when piped. Times are ISO 8601 UTC
in machine formats and shown in ``--tz`` in tables. Data goes to stdout only.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import TYPE_CHECKING, Any, Protocol

from awsmon.query import compile_query
from awsmon.timeparse import iso_z

if TYPE_CHECKING:
    from rich.console import Console


class RenderContext(Protocol):
    """What the renderer needs from the application context (awsmon.context.AppContext provides it); a protocol,
    so this module does not import the context (which must not import the renderer either)."""

    @property
    def output(self) -> Any: ...  # .value: the output format
    @property
    def query(self) -> str | None: ...
    @property
    def tz(self) -> tzinfo: ...
    @property
    def color(self) -> Any: ...  # .value: auto | always | never
    @property
    def out(self) -> Console: ...
    @property
    def err(self) -> Console: ...


@dataclass(frozen=True)
class Column:
    header: str
    path: str | None = None  # dotted path into a row; defaults to the header
    fmt: Callable[[Any], str] | None = None

    def get(self, row: Any) -> Any:
        value: Any = row
        for part in (self.path or self.header).split("."):
            if isinstance(value, Mapping):
                value = value.get(part)
            else:
                return None
        return value


def to_jsonable(value: Any) -> Any:
    """Normalise datetimes (ISO 8601 UTC), bytes (base64) and decimals before printing or querying."""
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return iso_z(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode()
    if type(value).__name__ == "Decimal":  # boto3 may return decimals; avoid importing decimal eagerly
        return float(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return value
    return value


def dumps(value: Any, *, indent: int | None = 2) -> str:
    return json.dumps(to_jsonable(value), indent=indent, ensure_ascii=False, separators=None if indent else (",", ":"))


def _cell_text(value: Any, tz: tzinfo) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        local = value.astimezone(tz)
        offset = local.strftime("%z")
        suffix = "Z" if offset in ("+0000", "") else f"{offset[:3]}:{offset[3:]}"
        return local.strftime("%Y-%m-%d %H:%M:%S") + suffix
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(to_jsonable(value), separators=(",", ":"), ensure_ascii=False)
    return str(value)


def _machine_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return iso_z(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(to_jsonable(value), separators=(",", ":"), ensure_ascii=False)
    return str(value)


def _auto_columns(rows: Sequence[Any]) -> list[Column]:
    keys: dict[str, None] = {}
    for row in rows[:50]:
        if isinstance(row, Mapping):
            for k in row:
                keys.setdefault(str(k), None)
    return [Column(k) for k in keys] if keys else [Column("Value", path="")]


def _row_values(row: Any, columns: Sequence[Column]) -> list[Any]:
    if not isinstance(row, Mapping):
        return [row]
    out = []
    for col in columns:
        value = col.get(row)
        out.append(col.fmt(value) if col.fmt and value is not None else value)
    return out


class Renderer:
    def __init__(self, ctx: RenderContext) -> None:
        self.ctx = ctx

    @property
    def fmt(self) -> str:
        return str(self.ctx.output.value)

    def write(self, text: str) -> None:
        sys.stdout.write(text)

    def render(
        self,
        data: Any,
        *,
        rows_key: str | None = None,
        columns: Sequence[Column] | None = None,
        title: str | None = None,
        rows_of: Callable[[Any], list[Any]] | None = None,
    ) -> None:
        """Print an API-shaped response. ``rows_key`` names its main list (or ``rows_of`` derives the rows from the
        response); ``columns`` the table/csv columns."""
        query = self.ctx.query
        if not query and isinstance(data, Mapping) and not to_jsonable(data):
            return  # an empty response (StartLogging, PutMetricData...): nothing on stdout, as aws-cli
        if query:
            result = compile_query(query).search(to_jsonable(data))
            if self.fmt == "json":
                self.write(dumps(result) + "\n")
                return
            if isinstance(result, list):
                rows = result
                cols = _auto_columns(rows) if rows and isinstance(rows[0], Mapping) else [Column("Value", path="")]
            elif isinstance(result, Mapping):
                rows, cols = [result], _auto_columns([result])
            else:
                if result is not None:
                    self.write(_machine_cell(result) + "\n")
                return
            self.rows(rows, cols, title=title)
            return
        if self.fmt == "json":
            self.write(dumps(data) + "\n")
            return
        if rows_of is not None:
            rows = rows_of(data)
        elif rows_key is None:
            rows = [data] if isinstance(data, Mapping) else list(data or [])
        elif "[" in rows_key:  # rows nested in the response, e.g. "Reservations[].Instances[]" (a JMESPath)
            rows = list(compile_query(rows_key).search(to_jsonable(data)) or [])
        else:
            rows = list((data or {}).get(rows_key) or [])
        self.rows(rows, columns or _auto_columns(rows), title=title)

    def rows(self, rows: Iterable[Any], columns: Sequence[Column], *, title: str | None = None) -> None:
        """Print rows (a list or a stream) in the chosen row format; json prints a list."""
        fmt = self.fmt
        if fmt == "json":
            self.write(dumps([_to_obj(r, columns) for r in rows]) + "\n")
        elif fmt == "jsonl":
            for r in rows:
                self.write(dumps(r if isinstance(r, Mapping) else {"Value": r}, indent=None) + "\n")
        elif fmt in ("csv", "tsv"):
            import csv
            import io

            buf = io.StringIO()
            writer = csv.writer(buf, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
            writer.writerow([c.header for c in columns])
            for r in rows:
                writer.writerow([_machine_cell(v) for v in _row_values(r, columns)])
                if buf.tell() > 1 << 16:
                    self.write(buf.getvalue())
                    buf.seek(0)
                    buf.truncate()
            self.write(buf.getvalue())
        else:
            self.table(list(rows), columns, title=title)

    def table(self, rows: Sequence[Any], columns: Sequence[Column], *, title: str | None = None) -> None:
        tz = self.ctx.tz
        cells = [[_cell_text(v, tz) for v in _row_values(r, columns)] for r in rows]
        if sys.stdout.isatty() or self.ctx.color.value == "always":
            from rich.table import Table

            table = Table(title=title, show_edge=False, header_style="bold", pad_edge=False)
            for c in columns:
                table.add_column(c.header, overflow="fold")
            for row in cells:
                table.add_row(*row)
            self.ctx.out.print(table)
            return
        from tabulate import tabulate

        if not cells:
            self.write("")
            return
        self.write(tabulate(cells, headers=[c.header for c in columns], tablefmt="plain", disable_numparse=True) + "\n")

    def detail(self, data: Mapping[str, Any], *, title: str | None = None) -> None:
        """A single object: key/value table for humans, the object itself for machines."""
        if self.ctx.query or self.fmt == "json":
            self.render(data)
            return
        if self.fmt in ("jsonl", "csv", "tsv"):
            self.rows([data], _auto_columns([data]))
            return
        rows = [{"Field": k, "Value": v} for k, v in data.items() if k != "ResponseMetadata"]
        self.table(rows, [Column("Field"), Column("Value")], title=title)


def _to_obj(row: Any, columns: Sequence[Column]) -> Any:
    return row


def info(ctx: RenderContext, message: str) -> None:
    """A diagnostic line for humans, on stderr (never mixed with data)."""
    ctx.err.print(message, markup=False, highlight=False, soft_wrap=True)


def success(ctx: RenderContext, message: str) -> None:
    ctx.err.print(message, style="green", markup=False, highlight=False, soft_wrap=True)
