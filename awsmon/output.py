"""The one renderer: ``--output table|json|jsonl|csv|tsv`` and ``--query`` (JMESPath, as in aws-cli).

``json`` prints the API response shape (so aws-cli ``--query`` expressions work unchanged); the other formats print
the rows of the main list. Tables are rich on a terminal and plain, stable text when piped. Times are ISO 8601 UTC
in machine formats and shown in ``--tz`` in tables. Data goes to stdout only.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, tzinfo
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

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
    @property
    def wide(self) -> bool: ...  # --wide: terminal tables show every column at full width


class Column(NamedTuple):  # not a dataclass: creating one costs ~1 ms of start-up
    header: str
    path: str | None = None  # dotted path into a row; defaults to the header
    fmt: Callable[[Any], str] | None = None
    # When a terminal table is too wide, columns with the highest priority number are hidden first (then the
    # rightmost among equals); 0 is never hidden before any other. ``--wide`` shows every column.
    priority: int = 0

    def get(self, row: Any) -> Any:
        value: Any = row
        for part in (self.path or self.header).split("."):
            if isinstance(value, Mapping):
                value = value.get(part)
            else:
                return None
        return value


_PLAIN = frozenset({str, int, bool, type(None)})  # returned as they are: most of a response's values


def to_jsonable(value: Any) -> Any:
    """Normalise datetimes (ISO 8601 UTC), bytes (base64) and decimals before printing or querying."""
    kind = type(value)
    if kind in _PLAIN:  # first, by exact type: a page of 50 events is ~1,400 values, and the checks below (an ABC
        return value  # among them) cost ~5 M instructions a page when every string went through them
    if kind is dict or isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items() if k != "ResponseMetadata"}
    if kind is list or isinstance(value, (list, tuple)):
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
    """JSON as scripts can parse it: a non-finite float (a query's ``CAST('Infinity' AS DOUBLE)``) is not JSON, so it
    prints as the string Athena's results give for it ("Infinity", "-Infinity", "NaN"), never as a bare token."""
    data = to_jsonable(value)
    seps = None if indent else (",", ":")
    try:
        return json.dumps(data, indent=indent, ensure_ascii=False, separators=seps, allow_nan=False)
    except ValueError:  # only when there is a non-finite float: the common case pays nothing for the check
        return json.dumps(_finite(data), indent=indent, ensure_ascii=False, separators=seps)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value



def _cell_text(value: Any, tz: tzinfo) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):  # blobs (Kinesis Data ...) print base64, as aws-cli's table/text do
        return str(to_jsonable(value))
    if isinstance(value, datetime):
        local = value.astimezone(tz)
        offset = local.strftime("%z")
        suffix = "Z" if offset in ("+0000", "") else f"{offset[:3]}:{offset[3:]}"
        return local.strftime("%Y-%m-%d %H:%M:%S") + suffix
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isfinite(value):
        return repr(float(f"{value:.12g}"))  # 105.297, not 105.29700000000001 (csv/json keep every digit)
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(to_jsonable(value), separators=(",", ":"), ensure_ascii=False)
    return str(value)


def _machine_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):  # blobs (Kinesis Data ...) print base64, as aws-cli's table/text do
        return str(to_jsonable(value))
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

    def terminal_width(self) -> int | None:
        """The width to fit, when output is for a person (a terminal, or ``--color always``); None when piped: piped
        text is never fitted, so it does not change with the terminal."""
        if sys.stdout.isatty() or self.ctx.color.value == "always":
            return int(self.ctx.out.width)
        return None

    def suggestions(self, lines: Sequence[str]) -> str:
        """Suggested commands (``command  # note``) as text fitted to the terminal (see :func:`fit_suggestions`)."""
        return fit_suggestions(lines, self.terminal_width())

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

    def stream(
        self,
        rows: Iterable[Mapping[str, Any]],
        columns: Sequence[Column],
        *,
        rows_key: str,
        extra: Callable[[], Mapping[str, Any]] | None = None,
    ) -> None:
        """A possibly huge stream of API items (``logs filter``'s events). json and ``--query`` print the response
        shape ``{rows_key: [...], **extra()}``, ``extra`` read once the stream is consumed; jsonl encodes the items
        directly (they hold only strings and numbers: the generic normalisation cost more than the scan) in blocks;
        the other formats print rows."""
        if self.ctx.query or self.fmt == "json":
            items = list(rows)
            self.render({rows_key: items, **(extra() if extra else {})}, rows_key=rows_key, columns=columns)
        elif self.fmt == "jsonl":
            encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
            self.write_batched(encode(r) + "\n" for r in rows)
        else:
            self.rows(rows, columns)

    def follow(
        self,
        rows: Iterable[Mapping[str, Any]],
        columns: Sequence[Column],
        *,
        rows_key: str,
        line: Callable[[Mapping[str, Any]], str],
        live: bool,
        machine: bool,
    ) -> None:
        """Rows that arrive over time (``logs tail``). ``line`` renders a row for people unless ``machine`` (an
        explicit ``-o``/``--query``) chose a format: json, table and ``--query`` need the whole response (not
        while ``live``), csv/tsv stream rows under one header, json/jsonl one object per line. While ``live`` each
        row is written and flushed as it comes: a reader (a terminal, a pipe) sees it at once."""
        fmt = self.fmt
        if machine and (self.ctx.query or (not live and fmt in ("json", "table"))):
            self.render({rows_key: list(rows)}, rows_key=rows_key, columns=columns)
            return
        if machine and fmt in ("csv", "tsv"):
            import csv

            writer = csv.writer(sys.stdout, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
            writer.writerow([c.header for c in columns])
            text: Callable[[Mapping[str, Any]], str] | None = None
        elif machine:  # json/jsonl: the only JSON shape a stream can have is one object per line
            text = lambda r: dumps(r, indent=None) + "\n"  # noqa: E731
        else:
            text = lambda r: line(r) + "\n"  # noqa: E731
        for r in rows:
            if text is None:
                writer.writerow([_machine_cell(v) for v in _row_values(r, columns)])
            else:
                self.write(text(r))
            if live:
                sys.stdout.flush()

    def write_batched(self, lines: Iterable[str], size: int = 1 << 16, delay: float = 0.2) -> None:
        """Write lines in blocks of ~64 KB, but never hold one back longer than ``delay`` once the next arrives: one
        write per line is one system call with unbuffered stdout (PYTHONUNBUFFERED), and every call hands the GIL
        to the threads producing the lines."""
        import time

        buf: list[str] = []
        pending = 0
        last = time.monotonic()
        for line in lines:
            buf.append(line)
            pending += len(line)
            now = time.monotonic()
            if pending >= size or now - last >= delay:
                self.write("".join(buf))
                buf.clear()
                pending = 0
                last = now
        if buf:
            self.write("".join(buf))

    def table(self, rows: Sequence[Any], columns: Sequence[Column], *, title: str | None = None,
              fold: bool = False) -> None:  # fmt: skip
        """Rows as a table. On a terminal it fits the console width (see :func:`fit_columns`) unless ``--wide``;
        ``fold`` wraps long cells instead of cutting them (a key/value view, where every value matters)."""
        tz = self.ctx.tz
        cells = [[_cell_text(v, tz) for v in _row_values(r, columns)] for r in rows]
        width = self.terminal_width()
        if width is not None:
            from rich.table import Table

            console = self.ctx.out
            headers = [c.header for c in columns]
            if fold:
                keep, widths = list(range(len(columns))), None
            elif self.ctx.wide:  # every column at its full width: long lines, never folded cells
                keep, widths = fit_columns(headers, cells, [c.priority for c in columns], 1 << 30)
                width = max(width, sum(widths) + COLUMN_GAP * (len(widths) - 1))
            else:
                keep, widths = fit_columns(headers, cells, [c.priority for c in columns], width)
            table = Table(title=title, show_edge=False, header_style="bold", pad_edge=False)
            for n, i in enumerate(keep):
                if widths is None:
                    table.add_column(headers[i], overflow="fold")
                else:
                    table.add_column(headers[i], overflow="ellipsis", no_wrap=True, width=widths[n])
            for row in cells:
                table.add_row(*(row[i] for i in keep))
            if width > console.width:  # --wide: a console as wide as the table (the terminal wraps the lines)
                from rich.console import Console

                console = Console(file=console.file, width=width, color_system=console.color_system,
                                  force_terminal=console.is_terminal, highlight=False, soft_wrap=False)  # fmt: skip
            console.print(table, crop=False)
            hidden = [headers[i] for i in range(len(columns)) if i not in keep]
            if hidden:
                info(self.ctx, f"({len(hidden)} column{'s' if len(hidden) > 1 else ''} hidden to fit the terminal: "
                               f"{', '.join(hidden)}; --wide shows all)")  # fmt: skip
            return
        from tabulate import tabulate

        if not cells:
            self.write("")
            return
        self.write(tabulate(cells, headers=[c.header for c in columns], tablefmt="plain", disable_numparse=True) + "\n")

    def detail(self, data: Mapping[str, Any], *, title: str | None = None) -> None:
        """A single object: key/value table for humans, the object itself for machines."""
        if not self.ctx.query and all(k == "ResponseMetadata" for k in data):
            return  # an empty response (CreateLogGroup, PutRetentionPolicy...): nothing, not an empty table
        if self.ctx.query or self.fmt == "json":
            self.render(data)
            return
        if self.fmt in ("jsonl", "csv", "tsv"):
            self.rows([data], _auto_columns([data]))
            return
        rows = [{"Field": k, "Value": v} for k, v in data.items() if k != "ResponseMetadata"]
        self.table(rows, [Column("Field"), Column("Value")], title=title, fold=True)


# rich's table with show_edge=False and pad_edge=False: one space of padding each side of a "│" between columns.
COLUMN_GAP = 3
MIN_CELL = 10  # a truncated column keeps at least this many characters (or its header, if longer)
# Cells of at most this many characters (times, ids, IP addresses, states, short names) are never cut: a cut id or
# time is useless, so a column of them is hidden rather than cut; only columns with longer cells are cut.
WHOLE_CELL = 24


_NOTE_COLUMN = 42  # where the comments of short suggestions line up


def fit_suggestions(lines: Sequence[str], width: int | None) -> str:
    """Suggested commands for a terminal of ``width`` columns (None: piped, one line each): a comment beside its
    command when both fit, else on the line above; a command longer than the line is continued on the next
    (`` \\``) before an option, so each can still be pasted into a shell."""
    width = width or 1 << 30
    out: list[str] = []
    for line in lines:
        command, sep, note = line.partition("  #")
        command, note = command.rstrip(), note.strip()
        beside = f"  {command.ljust(_NOTE_COLUMN - 3)} # {note}" if sep else f"  {command}"
        if len(beside) <= width:
            out.append(beside)
            continue
        if sep:
            out.append(f"  # {note}")
        out.extend(_continued(command, width))
    return "".join(f"{line}\n" for line in out)


def _continued(command: str, width: int) -> list[str]:
    """``command`` cut before its options (outside quotes) into lines of at most ``width`` columns where it can be,
    each but the last ending with a backslash."""
    parts: list[str] = []
    quote, start = "", 0
    for i, ch in enumerate(command):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif command.startswith(" --", i) and i > start:
            parts.append(command[start:i])
            start = i + 1
    parts.append(command[start:])
    lines = [f"  {parts[0]}"]
    for part in parts[1:]:
        if len(lines[-1]) + 1 + len(part) + 2 <= width:  # room for " part" and a final " \\"
            lines[-1] += f" {part}"
        else:
            lines[-1] += " \\"
            lines.append(f"      {part}")
    return lines


def fit_columns(headers: Sequence[str], cells: Sequence[Sequence[str]], priorities: Sequence[int],
                width: int) -> tuple[list[int], list[int]]:  # fmt: skip
    """Which columns to show and how wide, so a table fits ``width`` terminal cells without wrapping.

    Optional columns (priority > 0) are hidden, highest number first (then rightmost), until the rest fit at full
    width; if they still do not, columns are hidden in the same order until the rest fit at their minimum width
    (their content when no cell is longer than WHOLE_CELL, else MIN_CELL or the header); the widest are then cut to
    a common cap, and the renderer ends a cut cell with an ellipsis. Returns (kept column indexes, their widths).
    """
    from rich.cells import cell_len

    natural = [cell_len(h) for h in headers]
    for row in cells:
        for i, text in enumerate(row):
            n = cell_len(text)
            if n > natural[i]:
                natural[i] = n
    minimum = [natural[i] if natural[i] <= WHOLE_CELL else max(MIN_CELL, cell_len(headers[i]))
               for i in range(len(headers))]
    keep = list(range(len(headers)))

    def need(idx: list[int], widths: Sequence[int]) -> int:
        return sum(widths[i] for i in idx) + COLUMN_GAP * (len(idx) - 1)

    drop_order = sorted(keep, key=lambda i: (priorities[i], i), reverse=True)
    # optional columns (priority > 0) go before anything is cut; then any column, when even the cut ones do not fit
    dropped: list[int] = []
    while drop_order and priorities[drop_order[0]] > 0 and need(keep, natural) > width:
        dropped.append(drop_order.pop(0))
        keep.remove(dropped[-1])
    for i in reversed(dropped[:-1]):  # a more optional column hidden on the way may still fit beside the rest
        if need(sorted([*keep, i]), natural) <= width:
            keep = sorted([*keep, i])
    drop_order = sorted(keep, key=lambda i: (priorities[i], i), reverse=True)
    while len(keep) > 1 and need(keep, minimum) > width:
        keep.remove(drop_order.pop(0))
    available = width - COLUMN_GAP * (len(keep) - 1)
    if sum(natural[i] for i in keep) <= available:
        return keep, [natural[i] for i in keep]
    # the largest cap such that every kept column, cut to max(cap, its minimum), fits
    lo, hi = 1, max(natural[i] for i in keep)
    while lo < hi:
        cap = (lo + hi + 1) // 2
        if sum(min(natural[i], max(cap, minimum[i])) for i in keep) <= available:
            lo = cap
        else:
            hi = cap - 1
    return keep, [max(1, min(natural[i], max(lo, minimum[i]), available)) for i in keep]


def _to_obj(row: Any, columns: Sequence[Column]) -> Any:
    return row


def info(ctx: RenderContext, message: str) -> None:
    """A diagnostic line for humans, on stderr (never mixed with data)."""
    ctx.err.print(message, markup=False, highlight=False, soft_wrap=True)


def success(ctx: RenderContext, message: str) -> None:
    ctx.err.print(message, style="green", markup=False, highlight=False, soft_wrap=True)
