"""CloudWatch Logs Insights: a parser producing a plan, and a streaming evaluator over log events (no I/O).

The subset is specs/logs.md §4: ``fields``, ``filter`` (comparisons, ``like``, ``=~``, ``in``, ``and/or/not``),
``stats`` (count, count_distinct, sum, avg, min, max, pct, stddev, earliest, latest ``by`` fields and ``bin()``),
``sort``, ``limit``, ``parse`` (glob and regex), ``dedup`` and ``display``, with ``@timestamp @message @logStream
@log @ptr @ingestionTime`` and the fields discovered in JSON messages (flattened to ``a.b.c``).

Errors use AWS's MalformedQueryException wording: ``unexpected symbol found X at line L and position P`` (P counts
from 0 within line L). The evaluator is a chain of generators (filters and projections stream; stats, sort and
dedup hold what they must). :func:`Plan.pushdown` tells a store which leading filters and which simple aggregate it
may compute itself (the local backend turns them into SQL), so ``stats count(*) by bin(5m)`` never materialises
events.
"""

from __future__ import annotations

import heapq
import itertools
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

MAX_QUERY_CHARS = 10_000
DEFAULT_LIMIT = 10_000
MAX_JSON_FIELDS = 200  # AWS discovers at most 200 fields per JSON event (quota page, 2024)
BASE_FIELDS = ("@timestamp", "@message", "@logStream", "@log", "@ingestionTime", "@ptr")
COMMANDS = ("fields", "filter", "stats", "sort", "limit", "parse", "dedup", "display")
AGGREGATES = ("count", "count_distinct", "sum", "avg", "min", "max", "pct", "stddev", "earliest", "latest")
_UNITS_MS = {
    "ms": 1, "s": 1000, "sec": 1000, "m": 60_000, "min": 60_000, "h": 3_600_000, "hr": 3_600_000,
    "d": 86_400_000, "w": 604_800_000,
}  # fmt: skip


class InsightsError(Exception):
    """A malformed query: AWS's code, its wording, and where (1-based line, 0-based position)."""

    code = "MalformedQueryException"

    def __init__(self, message: str, line: int = 1, position: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.position = position


# -- lexer ----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Token:
    kind: str  # ident | field | number | duration | string | regex | op | pipe | eof
    text: str
    value: Any
    pos: int  # offset in the query string
    end: int


_TOKEN_RE = re.compile(
    r"""(?P<ws>\s+|\#[^\n]*)
      |(?P<pipe>\|)
      |(?P<duration>\d+(?:\.\d+)?(?:ms|sec|min|hr|s|m|h|d|w)(?![A-Za-z0-9_]))
      |(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?![A-Za-z_]))
      |(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      |(?P<bt>`[^`]*`)
      |(?P<ident>@?[A-Za-z_$][A-Za-z0-9_$.]*(?<!\.))
      |(?P<op>!=|<=|>=|=~|[=<>+\-*/%^(),\[\]])
    """,
    re.VERBOSE,
)
_VALUE_END = frozenset({"ident", "field", "number", "duration", "string", "regex"})
_BEFORE_VALUE = frozenset({"like", "in", "and", "or", "not", "filter", "parse", "by", "as", "fields", "display", "sort"})


def _regex_allowed(tokens: list[Token]) -> bool:
    """'/' opens a regex where a value is expected (and after ``parse <field>``); otherwise it divides."""
    if not tokens:
        return True
    prev = tokens[-1]
    if prev.kind == "ident" and prev.text.lower() in _BEFORE_VALUE:
        return True
    if prev.kind in ("ident", "field") and len(tokens) > 1 and tokens[-2].kind == "ident" \
            and tokens[-2].text.lower() == "parse":  # fmt: skip
        return True
    return not (prev.kind in _VALUE_END or prev.text in (")", "]"))


def _line_pos(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1)


def _unexpected(text: str, offset: int, symbol: str) -> InsightsError:
    line, pos = _line_pos(text, offset)
    return InsightsError(f"unexpected symbol found {symbol} at line {line} and position {pos}", line, pos)


def _unescape(body: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "r": "\r"}.get(m.group(1), m.group(1)), body)


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "/" and _regex_allowed(tokens):
            j = i + 1  # a regex literal where a value is expected; otherwise '/' divides
            while j < n and text[j] != "/":
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                raise _unexpected(text, i, "/")
            body = text[i + 1 : j]
            tokens.append(Token("regex", text[i : j + 1], body, i, j + 1))
            i = j + 1
            continue
        m = _TOKEN_RE.match(text, i)
        if m is None:
            raise _unexpected(text, i, ch)
        kind = m.lastgroup or ""
        tok = m.group()
        if kind == "ws":
            pass
        elif kind == "string":
            tokens.append(Token("string", tok, _unescape(tok[1:-1]), i, m.end()))
        elif kind == "bt":
            tokens.append(Token("field", tok, tok[1:-1], i, m.end()))
        elif kind == "number":
            tokens.append(Token("number", tok, float(tok) if any(c in tok for c in ".eE") else int(tok), i, m.end()))
        elif kind == "duration":
            num, unit = re.fullmatch(r"(\d+(?:\.\d+)?)([a-z]+)", tok).groups()  # type: ignore[union-attr]
            tokens.append(Token("duration", tok, int(float(num) * _UNITS_MS[unit]), i, m.end()))
        elif kind == "ident":
            tokens.append(Token("field" if tok.startswith("@") else "ident", tok, tok, i, m.end()))
        else:
            tokens.append(Token(kind, tok, tok, i, m.end()))
        i = m.end()
    tokens.append(Token("eof", "<EOF>", None, n, n))
    return tokens


# -- AST ------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Expr:
    op: str  # lit | field | regex | list | call | agg | not | neg | and | or | cmp | arith | like | in
    args: tuple[Any, ...] = ()
    text: str = ""  # the source text (the default output name)


@dataclass(frozen=True)
class Named:
    expr: Expr
    name: str


@dataclass
class Command:
    kind: str
    pos: int
    items: list[Named] = field(default_factory=list)  # fields/display/stats aggregates
    by: list[Named] = field(default_factory=list)  # stats ... by
    expr: Expr | None = None  # filter; parse source
    order: list[tuple[Expr, bool]] = field(default_factory=list)  # sort: (expr, descending)
    count: int = 0  # limit
    pattern: Any = None  # parse: compiled regex
    names: list[str] = field(default_factory=list)  # parse targets; dedup fields


@dataclass
class Pushdown:
    """What a store may compute itself, ahead of the evaluator.

    ``filters``: conjunctive conditions over the base columns, each ``(column, op, value)`` with column one of
    ``message logStream log`` and op one of ``contains = != in`` — every event the store returns must satisfy them
    (the evaluator re-checks nothing they cover). ``count_by``: when set, the plan starts with ``stats count(*)
    by ...`` whose keys are ``("bin", ms, name)`` or ``("column", col, name)`` and count output name
    ``count_name``; the store returns the aggregated rows and evaluation resumes at ``resume_at``.

    ``json_filters``: necessary conditions on fields of JSON messages, ``(path, op, literal)``, that a store may use
    to skip events early (a superset: the filter command itself still runs). An event passes when its message is a
    JSON object whose value at ``path`` is a number satisfying ``op literal`` (numeric literal), equals the literal
    (string literal, op ``=``), or is of another scalar type (left to the evaluator's coercions); a missing field,
    a null, an object or a non-JSON message fails.
    """

    filters: list[tuple[str, str, Any]]
    resume_at: int
    count_by: list[tuple[str, Any, str]] | None = None
    count_name: str = ""
    json_filters: list[tuple[list[str], str, Any]] = field(default_factory=list)


@dataclass
class Plan:
    text: str
    commands: list[Command]

    def output_fields(self) -> list[str]:
        """The fields each result row shows (without @ptr)."""
        display = stats = None
        fields: list[str] = []
        parsed: list[str] = []
        for c in self.commands:
            if c.kind == "display":
                display = [n.name for n in c.items]
            elif c.kind == "stats":
                stats = [n.name for n in c.by] + [n.name for n in c.items]
                fields = []
            elif c.kind == "fields":
                fields.extend(n.name for n in c.items)
            elif c.kind == "parse" and stats is None:
                parsed.extend(c.names)
        if display is not None:
            return display
        if stats is not None:
            return list(dict.fromkeys(stats + fields))
        base = fields or ["@timestamp", "@message", "@logStream", "@log"]
        return list(dict.fromkeys(base + parsed))

    def has_stats(self) -> bool:
        return any(c.kind == "stats" for c in self.commands)

    def pushdown(self) -> Pushdown:
        filters: list[tuple[str, str, Any]] = []
        i = 0
        while i < len(self.commands) and self.commands[i].kind == "filter":
            conds = _sql_conds(self.commands[i].expr)  # type: ignore[arg-type]
            if conds is None:
                break
            filters.extend(conds)
            i += 1
        pd = Pushdown(filters, i)
        if i < len(self.commands) and self.commands[i].kind == "filter":
            pd.json_filters = _json_conds(self.commands[i].expr)  # type: ignore[arg-type]
        if i < len(self.commands) and self.commands[i].kind == "stats":
            c = self.commands[i]
            keys: list[tuple[str, Any, str]] = []
            for b in c.by:
                e = b.expr
                if e.op == "call" and e.args[0] == "bin" and len(e.args[1]) == 1 and e.args[1][0].op == "lit" \
                        and isinstance(e.args[1][0].args[0], int):  # fmt: skip
                    keys.append(("bin", e.args[1][0].args[0], b.name))
                elif e.op == "field" and e.args[0] in ("@logStream", "@log"):
                    keys.append(("column", e.args[0][1:], b.name))
                else:
                    return pd
            if len(c.items) == 1 and c.items[0].expr.op == "agg" and c.items[0].expr.args[0] == "count" and (
                not c.items[0].expr.args[1] or c.items[0].expr.args[1][0].op == "star"
            ):
                pd.count_by, pd.count_name, pd.resume_at = keys, c.items[0].name, i + 1
        return pd


_SQL_COLUMNS = {"@message": "message", "@logStream": "logStream", "@log": "log"}


_SEGMENT = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_]*|\d+)$")
_FLIP = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _json_conds(e: Expr) -> list[tuple[list[str], str, Any]]:
    """Necessary conditions on JSON fields found in the top-level conjunction of a filter (see Pushdown)."""
    if e.op == "and":
        return _json_conds(e.args[0]) + _json_conds(e.args[1])
    if e.op != "cmp":
        return []
    op, a, b = e.args
    if a.op == "lit" and b.op == "field":
        op, a, b = _FLIP[op], b, a
    if a.op != "field" or b.op != "lit" or a.args[0].startswith("@"):
        return []
    path = a.args[0].split(".")
    if not all(_SEGMENT.match(p) for p in path) or path[0].isdigit():
        return []
    value = b.args[0]
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return []
    if isinstance(value, str) and op != "=":
        return []
    return [(path, op, value)]


_JSON_VALUE = r'\s*:\s*("(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*|true|false|null|[{\[])'
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}  # fmt: skip


def json_prefilter(conds: list[tuple[list[str], str, Any]]) -> Callable[[str], bool] | None:
    """A fast test that rejects only messages no JSON condition can accept (a superset of the matches).

    Each condition's last key is looked up with a regex at every place it occurs in the text (the field's value
    is one of them, whatever its nesting): the message is kept when some occurrence could satisfy the condition
    (a number that does, text or a boolean left to the evaluator's coercions). Messages holding backslashes must
    not be given to it (an escaped key would be missed); the caller keeps those.
    """
    if not conds:
        return None
    tests = []
    for path, op, value in conds:
        if path[-1].isdigit():
            continue
        rx = re.compile('"' + re.escape(path[-1]) + '"' + _JSON_VALUE)
        tests.append((rx.findall, _OPS[op], value))
    if not tests:
        return None

    def keep(msg: str) -> bool:
        if msg[:1] != "{":
            return False
        for findall, cmp, value in tests:
            for v in findall(msg):
                c = v[0]
                if c == '"':
                    if not isinstance(value, str) or v[1:-1] == value:
                        break
                elif c in "tf":
                    break
                elif c == "n" or c in "{[":
                    continue
                elif isinstance(value, str):
                    break  # a number against a text literal: "=" coerces, let the evaluator decide
                else:
                    try:
                        if cmp(float(v), value):
                            break
                    except ValueError:
                        break
            else:
                return False
        return True

    return keep


def _sql_conds(e: Expr) -> list[tuple[str, str, Any]] | None:
    if e.op == "and":
        a, b = _sql_conds(e.args[0]), _sql_conds(e.args[1])
        return None if a is None or b is None else a + b
    if e.op == "like" and not e.args[2] and e.args[0].op == "field" and e.args[0].args[0] in _SQL_COLUMNS \
            and e.args[1].op == "lit" and isinstance(e.args[1].args[0], str):  # fmt: skip
        return [(_SQL_COLUMNS[e.args[0].args[0]], "contains", e.args[1].args[0])]
    if e.op == "cmp" and e.args[0] in ("=", "!=") and e.args[1].op == "field" and e.args[1].args[0] in _SQL_COLUMNS \
            and e.args[2].op == "lit" and isinstance(e.args[2].args[0], str):  # fmt: skip
        return [(_SQL_COLUMNS[e.args[1].args[0]], e.args[0], e.args[2].args[0])]
    if e.op == "in" and not e.args[2] and e.args[0].op == "field" and e.args[0].args[0] in _SQL_COLUMNS \
            and all(x.op == "lit" and isinstance(x.args[0], str) for x in e.args[1].args):  # fmt: skip
        return [(_SQL_COLUMNS[e.args[0].args[0]], "in", [x.args[0] for x in e.args[1].args])]
    return None


# -- parser ---------------------------------------------------------------------------------------------------------
_SCALAR_FUNCS: dict[str, tuple[int, int]] = {  # name -> (min args, max args)
    "ispresent": (1, 1), "isempty": (1, 1), "isblank": (1, 1), "strlen": (1, 1), "tolower": (1, 1),
    "toupper": (1, 1), "concat": (1, 99), "strcontains": (2, 2), "substr": (2, 3), "replace": (3, 3),
    "trim": (1, 1), "ltrim": (1, 1), "rtrim": (1, 1), "abs": (1, 1), "ceil": (1, 1), "floor": (1, 1),
    "round": (1, 2), "log": (1, 1), "sqrt": (1, 1), "greatest": (1, 99), "least": (1, 99), "coalesce": (1, 99),
    "bin": (1, 1), "datefloor": (2, 2), "dateceil": (2, 2), "frommillis": (1, 1), "tomillis": (1, 1),
    "if": (3, 3),
}  # fmt: skip


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = tokenize(text)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def fail(self, tok: Token | None = None) -> InsightsError:
        t = tok or self.tok
        return _unexpected(self.text, t.pos, t.text)

    def next(self) -> Token:
        t = self.toks[self.i]
        self.i += 1
        return t

    def is_kw(self, *words: str) -> bool:
        return self.tok.kind == "ident" and self.tok.text.lower() in words

    def expect_op(self, op: str) -> Token:
        if self.tok.kind != "op" or self.tok.text != op:
            raise self.fail()
        return self.next()

    def src(self, start: int) -> str:
        return self.text[self.toks[start].pos : self.toks[self.i - 1].end].strip()

    # query := command ('|' command)*
    def query(self) -> Plan:
        if len(self.text) > MAX_QUERY_CHARS:
            raise InsightsError(f"Query string is longer than {MAX_QUERY_CHARS} characters", 1, 0)
        commands: list[Command] = []
        while True:
            if self.tok.kind == "pipe" and not commands:
                raise self.fail()
            commands.append(self.command())
            if self.tok.kind == "eof":
                break
            if self.tok.kind != "pipe":
                raise self.fail()
            self.next()
        plan = Plan(self.text, commands)
        _check(plan)
        return plan

    def command(self) -> Command:
        t = self.tok
        if t.kind != "ident" or t.text.lower() not in COMMANDS:
            raise self.fail()
        self.next()
        kind = t.text.lower()
        c = Command(kind, t.pos)
        if kind in ("fields", "display"):
            c.items = self.named_list(allow_alias=kind == "fields")
        elif kind == "filter":
            c.expr = self.expr()
        elif kind == "stats":
            c.items = self.named_list(allow_alias=True, aggregates=True)
            if self.is_kw("by"):
                self.next()
                c.by = self.named_list(allow_alias=True)
        elif kind == "sort":
            while True:
                e = self.expr()
                desc = True
                if self.is_kw("asc", "desc"):
                    desc = self.next().text.lower() == "desc"
                c.order.append((e, desc))
                if not (self.tok.kind == "op" and self.tok.text == ","):
                    break
                self.next()
        elif kind == "limit":
            # [design choice] a count beyond a 32-bit integer is malformed, as a Java int would be on AWS
            if self.tok.kind != "number" or not isinstance(self.tok.value, int) or not 1 <= self.tok.value < 2**31:
                raise self.fail()
            c.count = self.next().value
        elif kind == "parse":
            self.parse_cmd(c)
        elif kind == "dedup":
            c.names.extend(self.field_names())
        return c

    def field_names(self) -> list[str]:
        """``a, b, @c``: the comma-separated field names of ``dedup`` and of ``parse ... as``."""
        names = []
        while True:
            if self.tok.kind not in ("ident", "field"):
                raise self.fail()
            names.append(self.next().value)
            if not (self.tok.kind == "op" and self.tok.text == ","):
                return names
            self.next()

    def parse_cmd(self, c: Command) -> None:
        if self.tok.kind in ("string", "regex"):
            c.expr = Expr("field", ("@message",), "@message")
        else:
            c.expr = self.primary()
        pat = self.next()
        if pat.kind == "string":
            if "*" not in pat.value:
                raise self.fail(pat)
            parts = pat.value.split("*")
            groups = len(parts) - 1
            rx = "".join(
                re.escape(p) + ("" if k == groups else "(.*)" if k == groups - 1 and not parts[-1] else "(.*?)")
                for k, p in enumerate(parts)
            )
            c.pattern = re.compile(rx, re.S)
            if not self.is_kw("as"):
                raise self.fail()
            self.next()
            c.names.extend(self.field_names())
            if len(c.names) != groups:
                raise InsightsError(
                    f"Number of glob wildcards ({groups}) does not match the number of fields ({len(c.names)})",
                    *_line_pos(self.text, pat.pos),
                )
        elif pat.kind == "regex":
            c.pattern = _compile_regex(pat, self.text)
            c.names = list(c.pattern.groupindex)
            if not c.names:
                raise InsightsError("Regex in parse must contain at least one named capturing group",
                                    *_line_pos(self.text, pat.pos))  # fmt: skip
        else:
            raise self.fail(pat)

    def named_list(self, *, allow_alias: bool, aggregates: bool = False) -> list[Named]:
        out: list[Named] = []
        while True:
            start = self.i
            e = self.expr(aggregates=aggregates)
            if aggregates and not _has_agg(e):
                raise self.fail(self.toks[start])
            name = self.src(start)
            if e.op == "field":
                name = e.args[0]
            if self.is_kw("as"):
                if not allow_alias:
                    raise self.fail()
                self.next()
                if self.tok.kind not in ("ident", "field"):
                    raise self.fail()
                name = self.next().value
            out.append(Named(e, name))
            if not (self.tok.kind == "op" and self.tok.text == ","):
                return out
            self.next()

    # expressions, lowest precedence first
    def expr(self, aggregates: bool = False) -> Expr:
        self.aggs = aggregates
        return self.or_()

    def or_(self) -> Expr:
        return self._left_assoc("or", self.and_)

    def and_(self) -> Expr:
        return self._left_assoc("and", self.not_)

    def _left_assoc(self, keyword: str, operand: Callable[[], Expr]) -> Expr:
        """``operand (keyword operand)*``, folded to the left (one precedence level of the boolean operators)."""
        start = self.i
        e = operand()
        while self.is_kw(keyword):
            self.next()
            e = Expr(keyword, (e, operand()), self.src(start))
        return e

    def not_(self) -> Expr:
        if self.is_kw("not"):
            start = self.i
            self.next()
            inner = self.not_()
            return Expr("not", (inner,), self.src(start))
        return self.comparison()

    def comparison(self) -> Expr:
        start = self.i
        left = self.additive()
        t = self.tok
        negate = False
        if self.is_kw("not") and self.toks[self.i + 1].kind == "ident" and self.toks[self.i + 1].text.lower() in ("like", "in"):
            self.next()
            negate = True
            t = self.tok
        if t.kind == "op" and t.text in ("=", "!=", "<", "<=", ">", ">="):
            self.next()
            return Expr("cmp", (t.text, left, self.additive()), self.src(start))
        if (t.kind == "op" and t.text == "=~") or (t.kind == "ident" and t.text.lower() == "like"):
            self.next()
            r = self.tok
            if r.kind == "regex":
                self.next()
                pat: Expr = Expr("regex", (_compile_regex(r, self.text),), r.text)
            elif r.kind == "string" and t.text != "=~":
                self.next()
                pat = Expr("lit", (r.value,), r.text)
            else:
                raise self.fail()
            return Expr("like", (left, pat, negate), self.src(start))
        if t.kind == "ident" and t.text.lower() == "in":
            self.next()
            self.expect_op("[")
            items: list[Expr] = []
            while not (self.tok.kind == "op" and self.tok.text == "]"):
                items.append(self.additive())
                if self.tok.kind == "op" and self.tok.text == ",":
                    self.next()
                elif not (self.tok.kind == "op" and self.tok.text == "]"):
                    raise self.fail()
            self.next()
            return Expr("in", (left, Expr("list", tuple(items)), negate), self.src(start))
        if negate:
            raise self.fail()
        return left

    def additive(self) -> Expr:
        start = self.i
        e = self.multiplicative()
        while self.tok.kind == "op" and self.tok.text in ("+", "-"):
            op = self.next().text
            e = Expr("arith", (op, e, self.multiplicative()), self.src(start))
        return e

    def multiplicative(self) -> Expr:
        start = self.i
        e = self.unary()
        while self.tok.kind == "op" and self.tok.text in ("*", "/", "%", "^"):
            op = self.next().text
            e = Expr("arith", (op, e, self.unary()), self.src(start))
        return e

    def unary(self) -> Expr:
        if self.tok.kind == "op" and self.tok.text == "-":
            start = self.i
            self.next()
            inner = self.unary()
            if inner.op == "lit" and isinstance(inner.args[0], int | float):
                return Expr("lit", (-inner.args[0],), self.src(start))
            return Expr("neg", (inner,), self.src(start))
        return self.primary()

    def primary(self) -> Expr:
        t = self.tok
        start = self.i
        if t.kind in ("number", "duration"):
            self.next()
            return Expr("lit", (t.value,), t.text)
        if t.kind == "string":
            self.next()
            return Expr("lit", (t.value,), t.text)
        if t.kind == "op" and t.text == "(":
            self.next()
            e = self.or_()
            self.expect_op(")")
            return Expr(e.op, e.args, self.src(start))
        if t.kind == "field":
            self.next()
            return Expr("field", (t.value,), t.text)
        if t.kind == "ident":
            self.next()
            nxt = self.tok
            if nxt.kind == "op" and nxt.text == "(":
                return self.call(t, start)
            if t.text.lower() in ("and", "or", "not", "like", "in", "by", "as", "asc", "desc"):
                raise self.fail(t)
            return Expr("field", (t.value,), t.text)
        raise self.fail()

    def call(self, name_tok: Token, start: int) -> Expr:
        name = name_tok.text.lower()
        self.expect_op("(")
        args: list[Expr] = []
        if name in AGGREGATES:
            if not self.aggs:
                raise self.fail(name_tok)
            if name == "count" and self.tok.kind == "op" and self.tok.text == "*":
                self.next()
                args.append(Expr("star"))
            self.aggs = False  # no aggregate inside an aggregate
            try:
                args.extend(self.args_until_close(allow_empty=name == "count" or bool(args)))
            finally:
                self.aggs = True
            want = {"pct": 2, "count": 1}.get(name, 1)
            if len(args) > want or (name != "count" and len(args) != want):
                raise self.fail(name_tok)
            if name == "pct" and not (args[1].op == "lit" and isinstance(args[1].args[0], int | float)):
                raise self.fail(name_tok)
            return Expr("agg", (name, tuple(args)), self.src(start))
        if name not in _SCALAR_FUNCS:
            raise self.fail(name_tok)
        args = self.args_until_close(allow_empty=False)
        lo, hi = _SCALAR_FUNCS[name]
        if not lo <= len(args) <= hi:
            raise self.fail(name_tok)
        if name == "bin" and not (args[0].op == "lit" and isinstance(args[0].args[0], int) and args[0].args[0] > 0):
            raise self.fail(name_tok)
        if name in ("datefloor", "dateceil") and args[1].op == "lit" and args[1].args[0] == 0:  # a period of 0
            raise self.fail(name_tok)
        return Expr("call", (name, tuple(args)), self.src(start))

    def args_until_close(self, *, allow_empty: bool) -> list[Expr]:
        args: list[Expr] = []
        if self.tok.kind == "op" and self.tok.text == ")":
            if not allow_empty:
                raise self.fail()
            self.next()
            return args
        while True:
            args.append(self.or_())
            if self.tok.kind == "op" and self.tok.text == ",":
                self.next()
                continue
            self.expect_op(")")
            return args


def _has_agg(e: Expr) -> bool:
    if e.op == "agg":
        return True
    return any(isinstance(a, Expr) and _has_agg(a) for a in e.args) or any(
        isinstance(a, tuple) and any(isinstance(x, Expr) and _has_agg(x) for x in a) for a in e.args
    )


def _compile_regex(tok: Token, text: str) -> re.Pattern[str]:
    body = tok.value.replace(r"\/", "/")
    body = re.sub(r"\(\?<(?![=!])", "(?P<", body)  # (?<name>..) -> Python's (?P<name>..)
    try:
        return re.compile(body)
    except re.error as exc:
        line, pos = _line_pos(text, tok.pos + 1 + (exc.pos or 0))
        raise InsightsError(f"Invalid regular expression: {exc.msg} at line {line} and position {pos}", line, pos) from exc


def _check(plan: Plan) -> None:
    """Semantic rules AWS enforces after parsing: only ``limit`` may follow ``dedup``."""
    for k, c in enumerate(plan.commands):
        if c.kind != "dedup":
            continue
        bad = next((r for r in plan.commands[k + 1 :] if r.kind != "limit"), None)
        if bad is not None:
            line, pos = _line_pos(plan.text, bad.pos)
            raise InsightsError(f"Only limit may follow dedup: found {bad.kind} at line {line} and position {pos}",
                                line, pos)  # fmt: skip


def parse(text: str) -> Plan:
    """Parse a Logs Insights query into a plan, or raise :class:`InsightsError`."""
    if not text or not text.strip():
        raise InsightsError("unexpected symbol found <EOF> at line 1 and position 0")
    return _Parser(text).query()


# -- values ---------------------------------------------------------------------------------------------------------
class Row(dict):  # type: ignore[type-arg]
    """One log event's fields; JSON fields of the message are discovered on first use."""

    __slots__ = ("discovered",)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.discovered = False

    def __missing__(self, key: str) -> Any:
        if not self.discovered:
            self.discovered = True
            msg = dict.get(self, "@message")
            if isinstance(msg, str) and msg[:1] == "{":
                try:
                    doc = json.loads(msg)
                except ValueError:
                    doc = None
                if isinstance(doc, dict):
                    flat: dict[str, Any] = {}
                    _flatten(doc, "", flat)
                    for k, v in flat.items():
                        self.setdefault(k, v)
                    return dict.get(self, key)
        return None


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if len(out) >= MAX_JSON_FIELDS:
        return
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(v, f"{prefix}.{k}" if prefix else str(k), out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _flatten(v, f"{prefix}.{i}" if prefix else str(i), out)
    elif value is not None:
        out[prefix] = value


def _num(v: Any) -> float | None:
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, int | float):
        return v
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return None
    return None


def _str(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return str(v)


def _compare(op: str, a: Any, b: Any) -> bool:
    if a is None or b is None:
        return False
    if isinstance(a, str) and isinstance(b, str):
        x: Any = a
        y: Any = b
    else:
        x, y = _num(a), _num(b)
        if x is None or y is None:  # a number against text that is no number: only "differs" holds
            return op == "!="
    if op == "=":
        return bool(x == y)
    if op == "!=":
        return bool(x != y)
    if op == "<":
        return bool(x < y)
    if op == "<=":
        return bool(x <= y)
    if op == ">":
        return bool(x > y)
    return bool(x >= y)


def format_timestamp(ms: int | float) -> str:
    """@timestamp as GetQueryResults prints it: ``2026-11-20 12:00:00.000`` (UTC). [design choice] A time no date
    can hold (``fromMillis(1e20)``, a year below 1) is printed as its number of milliseconds."""
    try:
        return datetime.fromtimestamp(int(ms) / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    except (ValueError, OverflowError, OSError):
        return str(int(ms))


class _Time(int):
    """A timestamp value (epoch ms): compares as a number, prints as AWS prints @timestamp."""

    __slots__ = ()


def to_text(v: Any) -> str | None:
    """A result value as GetQueryResults returns it (every value is a string)."""
    if isinstance(v, _Time):
        return format_timestamp(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return str(v)
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    return _str(v)


# -- compiling expressions ------------------------------------------------------------------------------------------
Fn = Callable[[Any], Any]


def _compile(e: Expr) -> Fn:  # noqa: C901 - one dispatch over the expression kinds
    op = e.op
    if op == "lit":
        v = e.args[0]
        return lambda r: v
    if op == "field":
        name = e.args[0]
        if name in ("@timestamp", "@ingestionTime"):
            return lambda r: (lambda x: None if x is None else _Time(x))(r[name])
        return lambda r: r[name]
    if op == "not":
        f = _compile(e.args[0])
        return lambda r: not _truthy(f(r))
    if op == "neg":
        f = _compile(e.args[0])
        return lambda r: (lambda x: None if x is None else -x)(_num(f(r)))
    if op == "and":
        a, b = _compile(e.args[0]), _compile(e.args[1])
        return lambda r: _truthy(a(r)) and _truthy(b(r))
    if op == "or":
        a, b = _compile(e.args[0]), _compile(e.args[1])
        return lambda r: _truthy(a(r)) or _truthy(b(r))
    if op == "cmp":
        cop, a, b = e.args[0], _compile(e.args[1]), _compile(e.args[2])
        return lambda r: _compare(cop, a(r), b(r))
    if op == "arith":
        return _arith(e.args[0], _compile(e.args[1]), _compile(e.args[2]))
    if op == "like":
        f, pat, neg = _compile(e.args[0]), e.args[1], e.args[2]
        if pat.op == "regex":
            search = pat.args[0].search

            def like_re(r: Any) -> bool:
                s = _str(f(r))
                return s is not None and (search(s) is not None) != neg

            return like_re
        sub = pat.args[0]

        def like_sub(r: Any) -> bool:
            s = _str(f(r))
            return s is not None and (sub in s) != neg

        return like_sub
    if op == "in":
        f, items, neg = _compile(e.args[0]), [_compile(x) for x in e.args[1].args], e.args[2]

        def in_(r: Any) -> bool:
            v = f(r)
            if v is None:
                return False
            return any(_compare("=", v, it(r)) for it in items) != neg

        return in_
    if op == "call":
        return _call(e.args[0], [_compile(a) for a in e.args[1]], e.args[1])
    if op == "agg":
        raise InsightsError(f"Aggregate function {e.args[0]} is only allowed in stats")
    raise InsightsError(f"unsupported expression {e.text}")


def _truthy(v: Any) -> bool:
    if v is None:
        return False
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float):
        return v != 0
    return bool(v)


def _arith(op: str, a: Fn, b: Fn) -> Fn:
    def f(r: Any) -> Any:
        x, y = _num(a(r)), _num(b(r))
        if x is None or y is None:
            return None
        try:
            if op == "+":
                return x + y
            if op == "-":
                return x - y
            if op == "*":
                return x * y
            if op == "/":
                return x / y
            if op == "%":
                return x % y
            return x**y
        except (ZeroDivisionError, OverflowError, ValueError):
            return None

    return f


def _call(name: str, fs: list[Fn], exprs: tuple[Expr, ...]) -> Fn:  # noqa: C901 - a table of small functions
    f0 = fs[0]
    if name == "bin":
        period = exprs[0].args[0]
        return lambda r: (lambda t: None if t is None else _Time(t - t % period))(r["@timestamp"])
    if name in ("datefloor", "dateceil"):
        if not (exprs[1].op == "lit" and isinstance(exprs[1].args[0], int)):
            raise InsightsError(f"{name} needs a time period such as 1h")
        p = exprs[1].args[0]
        up = name == "dateceil"

        def dfloor(r: Any) -> Any:
            t = _num(f0(r))
            if t is None:
                return None
            t = int(t)
            base = t - t % p
            return _Time(base + p if up and base != t else base)

        return dfloor
    if name == "ispresent":
        return lambda r: f0(r) is not None
    if name == "isempty":
        return lambda r: (lambda v: v is None or _str(v) == "")(f0(r))
    if name == "isblank":
        return lambda r: (lambda v: v is None or (_str(v) or "").strip() == "")(f0(r))
    if name == "strlen":
        return lambda r: (lambda v: None if v is None else len(_str(v) or ""))(f0(r))
    if name in ("tolower", "toupper", "trim", "ltrim", "rtrim"):
        method = {"tolower": str.lower, "toupper": str.upper, "trim": str.strip, "ltrim": str.lstrip,
                  "rtrim": str.rstrip}[name]  # fmt: skip
        return lambda r: (lambda v: None if v is None else method(v))(_str(f0(r)))
    if name == "concat":
        return lambda r: "".join(s for s in (_str(f(r)) for f in fs) if s is not None)
    if name == "strcontains":
        return lambda r: (lambda a, b: a is not None and b is not None and b in a)(_str(f0(r)), _str(fs[1](r)))
    if name == "substr":

        def substr(r: Any) -> Any:
            s, start = _str(f0(r)), _num(fs[1](r))
            if s is None or start is None:
                return None
            ln = _num(fs[2](r)) if len(fs) > 2 else None
            st = int(start)
            return s[st : st + int(ln)] if ln is not None else s[st:]

        return substr
    if name == "replace":
        return lambda r: (lambda s, a, b: None if s is None else s.replace(a or "", b or ""))(
            _str(f0(r)), _str(fs[1](r)), _str(fs[2](r))
        )
    if name in ("abs", "ceil", "floor", "sqrt", "log"):
        fn = {"abs": abs, "ceil": math.ceil, "floor": math.floor, "sqrt": math.sqrt, "log": math.log}[name]

        def unary(r: Any) -> Any:
            x = _num(f0(r))
            try:
                return None if x is None else fn(x)
            except ValueError:
                return None

        return unary
    if name == "round":

        def rnd(r: Any) -> Any:
            x = _num(f0(r))
            d = int(_num(fs[1](r)) or 0) if len(fs) > 1 else 0
            return None if x is None else round(x, d)

        return rnd
    if name in ("greatest", "least"):
        pick = max if name == "greatest" else min
        return lambda r: (lambda xs: pick(xs) if xs else None)([x for x in (_num(f(r)) for f in fs) if x is not None])
    if name == "coalesce":
        return lambda r: next((v for v in (f(r) for f in fs) if v is not None), None)
    if name == "frommillis":
        return lambda r: (lambda x: None if x is None else _Time(int(x)))(_num(f0(r)))
    if name == "tomillis":
        return lambda r: (lambda x: None if x is None else int(x))(_num(f0(r)))
    if name == "if":
        return lambda r: fs[1](r) if _truthy(f0(r)) else fs[2](r)
    raise InsightsError(f"unsupported function {name}")


# -- aggregates -----------------------------------------------------------------------------------------------------
class _Agg:
    def __init__(self, name: str, args: tuple[Expr, ...]) -> None:
        self.name = name
        self.arg = None if not args or args[0].op == "star" else _compile(args[0])
        self.p = float(args[1].args[0]) if name == "pct" else 0.0

    def new(self) -> Any:
        if self.name in ("count", "sum"):
            return [0]
        if self.name in ("avg", "stddev"):
            return [0, 0.0, 0.0]  # n, sum, sum of squares
        if self.name == "count_distinct":
            return set()
        if self.name == "pct":
            return []
        return [None, None]  # min/max: value; earliest/latest: (ts, value)

    def add(self, state: Any, r: Any) -> None:
        name = self.name
        if self.arg is None:
            if name == "count":
                state[0] += 1
            return
        v = self.arg(r)
        if v is None:
            return
        if name == "count":
            state[0] += 1
        elif name == "count_distinct":
            state.add(_str(v))
        elif name in ("earliest", "latest"):
            t = r["@timestamp"]
            if state[0] is None or (t < state[0] if name == "earliest" else t > state[0]):
                state[0], state[1] = t, v
        else:
            x = _num(v)
            if name in ("min", "max") and x is None:
                s = _str(v)
                if state[0] is None or (s < state[0] if name == "min" else s > state[0]):  # type: ignore[operator]
                    state[0] = s
                return
            if x is None:
                return
            if name == "sum":
                state[0] += x
            elif name in ("avg", "stddev"):
                state[0] += 1
                state[1] += x
                state[2] += x * x
            elif name == "pct":
                state.append(x)
            elif name == "min":
                if state[0] is None or (not isinstance(state[0], str) and x < state[0]):
                    state[0] = x
            elif name == "max":
                if state[0] is None or (not isinstance(state[0], str) and x > state[0]):
                    state[0] = x

    def result(self, state: Any) -> Any:
        name = self.name
        if name in ("count", "sum"):
            return state[0]
        if name == "count_distinct":
            return len(state)
        if name == "avg":
            return state[1] / state[0] if state[0] else None
        if name == "stddev":
            n = state[0]
            if n < 2:
                return 0.0 if n == 1 else None
            var = (state[2] - state[1] * state[1] / n) / (n - 1)
            return math.sqrt(max(var, 0.0))
        if name == "pct":
            if not state:
                return None
            state.sort()
            k = max(0, min(len(state) - 1, math.ceil(self.p / 100 * len(state)) - 1))  # nearest rank
            return state[k]
        if name in ("earliest", "latest"):
            return state[1]
        return state[0]


# -- evaluation -----------------------------------------------------------------------------------------------------
@dataclass
class Counters:
    matched: int = 0  # events that passed every filter before the first stats (recordsMatched)


def _sort_key(v: Any) -> tuple[int, Any]:
    x = _num(v) if not isinstance(v, str) or v[:1].isdigit() or v[:1] in "-." else None
    return (0, x) if x is not None else (1, _str(v))


def _sort(rows: Iterable[Any], order: list[tuple[Fn, bool]], limit: int | None) -> list[Any]:
    """Stable multi-key sort; nulls last in both directions."""
    data = list(rows)
    for fn, desc in reversed(order):
        present = [r for r in data if fn(r) is not None]
        missing = [r for r in data if fn(r) is None]
        present.sort(key=lambda r: _sort_key(fn(r)), reverse=desc)
        data = present + missing
    return data[:limit] if limit is not None else data


def _stats(rows: Iterable[Any], c: Command) -> Iterator[dict[str, Any]]:
    aggs = [(n.name, _Agg(n.expr.args[0], n.expr.args[1])) for n in c.items if n.expr.op == "agg"]
    if len(aggs) != len(c.items):
        raise InsightsError("stats supports aggregate functions, optionally with an alias, in this version")
    keys = [(n.name, _compile(n.expr)) for n in c.by]
    groups: dict[tuple[Any, ...], list[Any]] = {}
    for r in rows:
        k = tuple(f(r) for _, f in keys)
        st = groups.get(k)
        if st is None:
            st = groups[k] = [a.new() for _, a in aggs]
        for (_, a), s in zip(aggs, st, strict=True):
            a.add(s, r)
    if not keys and not groups:
        groups[()] = [a.new() for _, a in aggs]
    ordered = sorted(groups.items(), key=lambda kv: tuple(_sort_key(x) if x is not None else (2, "") for x in kv[0]))
    for k, st in ordered:
        row = Row({name: v for (name, _), v in zip(keys, k, strict=True)})
        row.discovered = True
        for (name, a), s in zip(aggs, st, strict=True):
            row[name] = a.result(s)
        yield row


def execute(
    plan: Plan, rows: Iterable[Any], *, start: int = 0, counters: Counters | None = None, limit: int | None = None
) -> list[dict[str, str | None]]:
    """Run ``plan.commands[start:]`` over rows (newest first) and return the result rows, values as text.

    ``limit`` is StartQuery's limit (default 10,000 rows).
    """
    counters = counters or Counters()
    stream: Iterable[Any] = rows
    cmds = plan.commands[start:]
    matched_point = next((k for k, c in enumerate(cmds) if c.kind in ("stats", "sort", "limit", "dedup")), len(cmds))
    for k, c in enumerate(cmds):
        if k == matched_point:
            stream = _count(stream, counters)
        stream = _stage(stream, c, cmds[k + 1] if k + 1 < len(cmds) else None)
    if matched_point == len(cmds):
        stream = _count(stream, counters)
    cap = DEFAULT_LIMIT if limit is None else limit
    out_fields = plan.output_fields()
    aggregated = plan.has_stats()
    result = []
    for r in itertools.islice(stream, cap):
        row: dict[str, str | None] = {}
        for name in out_fields:
            v = r[name]
            if name in ("@timestamp", "@ingestionTime") and v is not None:
                v = _Time(v)
            row[name] = to_text(v)
        if not aggregated and dict.get(r, "@ptr") is not None:
            row["@ptr"] = r["@ptr"]
        result.append(row)
    return result


def _count(stream: Iterable[Any], counters: Counters) -> Iterator[Any]:
    for r in stream:
        counters.matched += 1
        yield r


def _stage(stream: Iterable[Any], c: Command, following: Command | None) -> Iterable[Any]:
    kind = c.kind
    if kind == "filter":
        pred = _compile(c.expr)  # type: ignore[arg-type]
        return (r for r in stream if _truthy(pred(r)))
    if kind in ("fields", "display"):
        computed = [(n.name, _compile(n.expr)) for n in c.items if not (n.expr.op == "field" and n.name == n.expr.args[0])]
        if not computed:
            return stream

        def assign(rs: Iterable[Any]) -> Iterator[Any]:
            for r in rs:
                for name, f in computed:
                    r[name] = f(r)
                yield r

        return assign(stream)
    if kind == "parse":
        src = _compile(c.expr)  # type: ignore[arg-type]
        pattern: re.Pattern[str] = c.pattern
        names = c.names
        glob = not pattern.groupindex

        def parse_rows(rs: Iterable[Any]) -> Iterator[Any]:
            for r in rs:
                s = _str(src(r))
                m = pattern.search(s) if s is not None else None
                if m is not None:
                    if glob:
                        for name, v in zip(names, m.groups(), strict=False):
                            r[name] = v
                    else:
                        for name in names:
                            r[name] = m.group(name)
                else:
                    for name in names:
                        r[name] = None
                yield r

        return parse_rows(stream)
    if kind == "stats":
        return _stats(stream, c)
    if kind == "sort":
        order = [(_compile(e), desc) for e, desc in c.order]
        cap = following.count if following is not None and following.kind == "limit" else None
        if cap is not None and len(order) == 1:
            fn, desc = order[0]
            return _top(stream, fn, desc, cap)
        return _sort(stream, order, cap)
    if kind == "limit":
        return itertools.islice(stream, c.count)
    if kind == "dedup":
        names = c.names

        def dedup(rs: Iterable[Any]) -> Iterator[Any]:
            seen: set[tuple[Any, ...]] = set()
            for r in rs:
                key = tuple(r[n] for n in names)
                if any(v is None for v in key):
                    yield r
                    continue
                hk = tuple(_str(v) for v in key)
                if hk not in seen:
                    seen.add(hk)
                    yield r

        return dedup(stream)
    raise InsightsError(f"unsupported command {kind}")


def _top(stream: Iterable[Any], fn: Fn, desc: bool, n: int) -> list[Any]:
    """sort + limit without sorting everything: a bounded heap (stable: ties keep arrival order)."""
    present: list[tuple[Any, int, Any]] = []
    missing: list[Any] = []
    counter = itertools.count()
    for r in stream:
        v = fn(r)
        if v is None:
            if len(missing) < n:
                missing.append(r)
            continue
        present.append((_sort_key(v), next(counter), r))
    if desc:
        best = heapq.nlargest(n, present, key=lambda t: (t[0], -t[1]))
    else:
        best = heapq.nsmallest(n, present, key=lambda t: (t[0], t[1]))
    return ([t[2] for t in best] + missing)[:n]


def event_row(ts: int, message: str, stream: str, log: str, ingest: int | None = None, ptr: str | None = None) -> Row:
    """The fields of one log event, as the evaluator expects them."""
    return Row({"@timestamp": ts, "@message": message, "@logStream": stream, "@log": log,
                "@ingestionTime": ingest, "@ptr": ptr})  # fmt: skip


def aggregated_row(values: dict[str, Any], time_keys: Iterable[str] = ()) -> Row:
    """A row computed by a store from :class:`Pushdown` (bin keys are epoch ms)."""
    row = Row(values)
    for k in time_keys:
        if row.get(k) is not None:
            row[k] = _Time(row[k])
    row.discovered = True
    return row
