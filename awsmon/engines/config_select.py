"""SelectResourceConfig's SQL subset (AWS Config advanced query) over configuration items. Pure, no I/O.

``parse(sql) -> Query`` (raises :class:`QueryError`, AWS's ``InvalidExpressionException``) and
``run(query, items) -> (select field names, result dicts)``. Grammar (keywords case-insensitive; no FROM clause, as
in AWS):

    SELECT field [, field ...] | COUNT(*) | COUNT(field) | MIN/MAX/SUM/AVG(field)
    [WHERE condition] [GROUP BY field [, ...]] [ORDER BY field|aggregate [ASC|DESC] [, ...]] [LIMIT n]

``field`` is a dotted path into the item (``resourceId``, ``resourceType``, ``configuration.instanceType``,
``tags.key``, ``tags.value``, ``tags.tag`` (``key=value``), ``relationships.resourceId``, ...); conditions use ``=``,
``!=``/``<>``, ``<``, ``<=``, ``>``, ``>=``, ``LIKE`` (``%`` and ``_``), ``IN (...)``, ``BETWEEN a AND b``, ``NOT``,
``AND``, ``OR`` and parentheses, with string (single-quoted), number and boolean literals. A path that crosses an
array compares each element: the condition holds when any element satisfies it (AWS's array semantics). Results are
nested objects holding only the selected paths, as AWS returns them; aggregates are keyed by their text
(``COUNT(*)``). Items are the AWS query schema: ``tags`` is a list of ``{key, value, tag}``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

MAX_LIMIT = 500  # SelectResourceConfig's Limit maximum per page
AGGREGATES = ("COUNT", "MIN", "MAX", "SUM", "AVG")


class QueryError(ValueError):
    """AWS: InvalidExpressionException."""


@dataclass(frozen=True)
class Field:
    path: tuple[str, ...]

    @property
    def name(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class Agg:
    fn: str
    field: Field | None  # None for COUNT(*)

    @property
    def name(self) -> str:
        return f"{self.fn}({'*' if self.field is None else self.field.name})"


@dataclass(frozen=True)
class Cond:
    op: str  # =, !=, <, <=, >, >=, LIKE, IN, BETWEEN, AND, OR, NOT
    args: tuple[Any, ...]


@dataclass(frozen=True)
class Query:
    select: tuple[Field | Agg, ...]
    where: Cond | None
    group_by: tuple[Field, ...]
    order_by: tuple[tuple[Field | Agg, bool], ...]  # (key, descending)
    limit: int | None


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<str>'(?:[^']|'')*')
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<op><=|>=|!=|<>|=|<|>|\(|\)|,|\*)
  | (?P<word>[A-Za-z_][A-Za-z0-9_:\-]*(?:\.[A-Za-z_*][A-Za-z0-9_:\-]*)*)
""", re.VERBOSE)  # fmt: skip
_KEYWORDS = {"SELECT", "WHERE", "GROUP", "BY", "ORDER", "LIMIT", "AND", "OR", "NOT", "LIKE", "IN", "BETWEEN", "ASC",
             "DESC", "TRUE", "FALSE", "FROM", "IS", "NULL"}  # fmt: skip


def _tokens(sql: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(sql):
        m = _TOKEN.match(sql, pos)
        if m is None:
            raise QueryError(f"Invalid query: unexpected character {sql[pos]!r} at position {pos + 1}.")
        kind = m.lastgroup or ""
        if kind != "ws":
            text = m.group()
            if kind == "word" and text.upper() in _KEYWORDS:
                out.append(("kw", text.upper()))
            else:
                out.append((kind, text))
        pos = m.end()
    out.append(("eof", ""))
    return out


class _Parser:
    def __init__(self, sql: str) -> None:
        self.toks = _tokens(sql)
        self.i = 0

    def peek(self) -> tuple[str, str]:
        return self.toks[self.i]

    def take(self) -> tuple[str, str]:
        tok = self.toks[self.i]
        if tok[0] != "eof":
            self.i += 1
        return tok

    def fail(self, expected: str) -> QueryError:
        kind, text = self.peek()
        found = "the end of the query" if kind == "eof" else repr(text)
        return QueryError(f"Invalid query: expected {expected}, found {found}.")

    def kw(self, word: str) -> bool:
        if self.peek() == ("kw", word):
            self.i += 1
            return True
        return False

    def expect_kw(self, word: str) -> None:
        if not self.kw(word):
            raise self.fail(word)

    def query(self) -> Query:
        self.expect_kw("SELECT")
        select = [self.select_item()]
        while self.peek() == ("op", ","):
            self.take()
            select.append(self.select_item())
        if self.peek() == ("kw", "FROM"):
            raise QueryError("Invalid query: SelectResourceConfig queries have no FROM clause.")
        where = self.condition() if self.kw("WHERE") else None
        group: list[Field] = []
        if self.kw("GROUP"):
            self.expect_kw("BY")
            group.append(self.field())
            while self.peek() == ("op", ","):
                self.take()
                group.append(self.field())
        order: list[tuple[Field | Agg, bool]] = []
        if self.kw("ORDER"):
            self.expect_kw("BY")
            while True:
                key = self.select_item()
                desc = False
                if self.kw("DESC"):
                    desc = True
                else:
                    self.kw("ASC")
                order.append((key, desc))
                if self.peek() != ("op", ","):
                    break
                self.take()
        limit = None
        if self.kw("LIMIT"):
            kind, text = self.take()
            if kind != "num" or not text.isdigit():
                raise QueryError(f"Invalid query: LIMIT needs a whole number, found {text!r}.")
            limit = int(text)
        if self.peek()[0] != "eof":
            raise self.fail("the end of the query")
        aggs = [s for s in select if isinstance(s, Agg)]
        plain = [s for s in select if isinstance(s, Field)]
        if aggs and plain:
            grouped = {g.path for g in group}
            loose = [f.name for f in plain if f.path not in grouped]
            if loose:
                raise QueryError(f"Invalid query: {loose[0]} must appear in GROUP BY when selected with an aggregate.")
        if group and not aggs:
            raise QueryError("Invalid query: GROUP BY needs an aggregate such as COUNT(*) in the SELECT list.")
        return Query(tuple(select), where, tuple(group), tuple(order), limit)

    def field(self) -> Field:
        kind, text = self.take()
        if kind != "word":
            self.i -= 1
            raise self.fail("a field such as resourceId or configuration.instanceType")
        return Field(tuple(text.split(".")))

    def select_item(self) -> Field | Agg:
        kind, text = self.peek()
        if kind == "word" and text.upper() in AGGREGATES and self.toks[self.i + 1] == ("op", "("):
            self.take()
            self.take()
            if self.peek() == ("op", "*"):
                if text.upper() != "COUNT":
                    raise QueryError(f"Invalid query: {text.upper()}(*) is not valid; only COUNT(*).")
                self.take()
                arg = None
            else:
                arg = self.field()
            if self.take() != ("op", ")"):
                self.i -= 1
                raise self.fail("')'")
            return Agg(text.upper(), arg)
        return self.field()

    def condition(self) -> Cond:
        left = self.conjunction()
        while self.kw("OR"):
            left = Cond("OR", (left, self.conjunction()))
        return left

    def conjunction(self) -> Cond:
        left = self.negation()
        while self.kw("AND"):
            left = Cond("AND", (left, self.negation()))
        return left

    def negation(self) -> Cond:
        if self.kw("NOT"):
            return Cond("NOT", (self.negation(),))
        if self.peek() == ("op", "("):
            self.take()
            inner = self.condition()
            if self.take() != ("op", ")"):
                self.i -= 1
                raise self.fail("')'")
            return inner
        return self.predicate()

    def predicate(self) -> Cond:
        field = self.field()
        negated = self.kw("NOT")
        kind, text = self.peek()
        if kind == "op" and text in ("=", "!=", "<>", "<", "<=", ">", ">=") and not negated:
            self.take()
            op = "!=" if text == "<>" else text
            return Cond(op, (field, self.literal()))
        if self.kw("LIKE"):
            pattern = self.literal()
            if not isinstance(pattern, str):
                raise QueryError("Invalid query: LIKE needs a quoted string pattern.")
            c = Cond("LIKE", (field, pattern))
        elif self.kw("IN"):
            if self.take() != ("op", "("):
                self.i -= 1
                raise self.fail("'(' after IN")
            values = [self.literal()]
            while self.peek() == ("op", ","):
                self.take()
                values.append(self.literal())
            if self.take() != ("op", ")"):
                self.i -= 1
                raise self.fail("')'")
            c = Cond("IN", (field, tuple(values)))
        elif self.kw("BETWEEN"):
            lo = self.literal()
            self.expect_kw("AND")
            c = Cond("BETWEEN", (field, lo, self.literal()))
        else:
            raise self.fail("an operator (=, !=, <, <=, >, >=, LIKE, IN, BETWEEN)")
        return Cond("NOT", (c,)) if negated else c

    def literal(self) -> Any:
        kind, text = self.take()
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return float(text) if "." in text else int(text)
        if (kind, text) in (("kw", "TRUE"), ("kw", "FALSE")):
            return text == "TRUE"
        self.i -= 1
        raise self.fail("a value (a quoted string, a number, true or false)")


def parse(sql: str) -> Query:
    if not isinstance(sql, str) or not sql.strip():
        raise QueryError("Invalid query: the expression is empty.")
    if len(sql) > 4096:
        raise QueryError("Invalid query: the expression is longer than 4096 characters.")
    return _Parser(sql).query()


# -- evaluation -------------------------------------------------------------------------------------------------------


def values(item: Any, path: tuple[str, ...]) -> list[Any]:
    """Every value at a path; arrays along the way are crossed (each element)."""
    current = [item]
    for part in path:
        nxt: list[Any] = []
        for v in current:
            if isinstance(v, list):
                for e in v:
                    if isinstance(e, Mapping) and part in e:
                        nxt.append(e[part])
            elif isinstance(v, Mapping) and part in v:
                nxt.append(v[part])
        current = nxt
    out: list[Any] = []
    for v in current:
        if isinstance(v, list):
            out.extend(v)
        else:
            out.append(v)
    return out


def _cmp(a: Any, b: Any) -> int | None:
    if isinstance(a, bool) or isinstance(b, bool):
        return (0 if a == b else None) if isinstance(a, bool) and isinstance(b, bool) else None
    if isinstance(a, int | float) and isinstance(b, int | float):
        return (a > b) - (a < b)
    if isinstance(a, str) and isinstance(b, str):
        return (a > b) - (a < b)
    if isinstance(a, int | float) and isinstance(b, str) or isinstance(a, str) and isinstance(b, int | float):
        try:
            fa, fb = float(a), float(b)
        except ValueError:
            return None
        return (fa > fb) - (fa < fb)
    return None


def _like(value: Any, pattern: str) -> bool:
    """LIKE without backtracking (a regex of ``%a%a%a...`` takes exponential time on a value that does not match):
    the pieces between ``%`` are matched in order, each at its leftmost place, which is optimal for ``%``
    wildcards; ``_`` is any one character; case-insensitive."""
    if not isinstance(value, str):
        return False
    text, pieces = value.casefold(), pattern.casefold().split("%")
    if len(pieces) == 1:
        return len(text) == len(pieces[0]) and _piece_at(pieces[0], text, 0)
    first, *middle, last = pieces
    if len(first) + len(last) > len(text) or not _piece_at(first, text, 0) \
            or not _piece_at(last, text, len(text) - len(last)):  # fmt: skip
        return False
    pos, end = len(first), len(text) - len(last)
    for piece in middle:
        pos = next((i for i in range(pos, end - len(piece) + 1) if _piece_at(piece, text, i)), -1)
        if pos < 0:
            return False
        pos += len(piece)
    return True


def _piece_at(piece: str, text: str, at: int) -> bool:
    return at + len(piece) <= len(text) and all(p in ("_", t) for p, t in zip(piece, text[at:], strict=False))


def _holds(c: Cond, item: Any) -> bool:
    if c.op == "AND":
        return _holds(c.args[0], item) and _holds(c.args[1], item)
    if c.op == "OR":
        return _holds(c.args[0], item) or _holds(c.args[1], item)
    if c.op == "NOT":
        return not _holds(c.args[0], item)
    vals = values(item, c.args[0].path)
    if c.op == "LIKE":
        return any(_like(v, c.args[1]) for v in vals)
    if c.op == "IN":
        return any(_cmp(v, x) == 0 for v in vals for x in c.args[1])
    if c.op == "BETWEEN":
        for v in vals:
            lo, hi = _cmp(v, c.args[1]), _cmp(v, c.args[2])
            if lo is not None and hi is not None and lo >= 0 and hi <= 0:
                return True
        return False
    want = {"=": (0,), "!=": (-1, 1), "<": (-1,), "<=": (-1, 0), ">": (1,), ">=": (0, 1)}[c.op]
    return any(_cmp(v, c.args[1]) in want for v in vals)


def _project(item: Any, path: tuple[str, ...]) -> Any:
    """The nested object holding just ``path`` of ``item`` (arrays keep their elements' projections)."""
    if not path:
        return item
    if isinstance(item, list):
        parts = [_project(e, path) for e in item]
        kept = [p for p in parts if p is not _MISSING]
        return kept if kept else _MISSING
    if isinstance(item, Mapping) and path[0] in item:
        inner = _project(item[path[0]], path[1:])
        return _MISSING if inner is _MISSING else {path[0]: inner}
    return _MISSING


_MISSING = object()


def _merge(a: dict[str, Any], b: Mapping[str, Any]) -> None:
    for k, v in b.items():
        if k in a and isinstance(a[k], dict) and isinstance(v, Mapping):
            _merge(a[k], v)
        else:
            a[k] = v


def _agg(agg: Agg, rows: list[Any]) -> Any:
    if agg.field is None:
        return len(rows)
    vals = [v for r in rows for v in values(r, agg.field.path) if v is not None]
    if agg.fn == "COUNT":
        return len(vals)
    nums = [v for v in vals if isinstance(v, int | float) and not isinstance(v, bool)]
    if agg.fn in ("SUM", "AVG"):
        if not nums:
            return None
        return sum(nums) if agg.fn == "SUM" else sum(nums) / len(nums)
    comparable = nums or [v for v in vals if isinstance(v, str)]
    if not comparable:
        return None
    return min(comparable) if agg.fn == "MIN" else max(comparable)


def _key(v: Any) -> tuple[int, Any]:
    if v is None:
        return (2, "")
    if isinstance(v, bool):
        return (0, int(v))
    if isinstance(v, int | float):
        return (0, v)
    return (1, str(v))


def run(query: Query, items: Iterable[Mapping[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """Evaluate; returns the SelectFields names and the result objects (before paging)."""
    matched = [i for i in items if query.where is None or _holds(query.where, i)]
    names = [s.name for s in query.select]
    aggs = [s for s in query.select if isinstance(s, Agg)]
    results: list[tuple[dict[str, Any], dict[str, Any]]] = []  # (result, sort context)
    if aggs:
        groups: dict[tuple[Any, ...], list[Any]] = {}
        for i in matched:
            key = tuple(_hashable(values(i, g.path)) for g in query.group_by)
            groups.setdefault(key, []).append(i)
        if not query.group_by:
            groups = {(): matched}
        for rows in groups.values():
            out: dict[str, Any] = {}
            ctx: dict[str, Any] = {}
            for s in query.select:
                if isinstance(s, Agg):
                    out[s.name] = ctx[s.name] = _agg(s, rows)
                else:
                    proj = _project(rows[0], s.path)
                    if proj is not _MISSING:
                        _merge(out, proj)
                    ctx[s.name] = next(iter(values(rows[0], s.path)), None)
            for k, _desc in query.order_by:
                if isinstance(k, Agg) and k.name not in ctx:
                    ctx[k.name] = _agg(k, rows)
                elif isinstance(k, Field) and k.name not in ctx:
                    ctx[k.name] = next(iter(values(rows[0], k.path)), None)
            results.append((out, ctx))
    else:
        for i in matched:
            out = {}
            for s in query.select:
                proj = _project(i, s.path)  # type: ignore[union-attr]
                if proj is not _MISSING:
                    _merge(out, proj)
            ctx = {k.name: next(iter(values(i, k.path)), None) for k, _ in query.order_by if isinstance(k, Field)}
            results.append((out, ctx))
    for k, desc in reversed(query.order_by):
        if isinstance(k, Agg) and not aggs:
            raise QueryError(f"Invalid query: ORDER BY {k.name} needs that aggregate in a grouped query.")
        results.sort(key=lambda r: _key(r[1].get(k.name)), reverse=desc)
    rows_out = [r[0] for r in results]
    if query.limit is not None:
        rows_out = rows_out[: query.limit]
    return names, rows_out


def _hashable(v: Any) -> Any:
    if isinstance(v, list):
        return tuple(_hashable(x) for x in v)
    if isinstance(v, dict):
        return tuple(sorted((k, _hashable(x)) for k, x in v.items()))
    return v


def query_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """A stored configuration item in the advanced-query schema (tags as a list of {key, value, tag})."""
    from datetime import UTC, datetime

    def iso(ms: Any) -> Any:
        if ms is None or isinstance(ms, str):
            return ms
        return datetime.fromtimestamp(int(ms) / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(ms) % 1000:03d}Z"

    tags = [{"key": k, "value": v, "tag": f"{k}={v}"} for k, v in sorted((item.get("tags") or {}).items())]
    return {"accountId": item.get("accountId"), "arn": item.get("arn"), "availabilityZone": item.get("availabilityZone"),
            "awsRegion": item.get("awsRegion"), "configuration": item.get("configuration"),
            "configurationItemCaptureTime": iso(item.get("configurationItemCaptureTime")),
            "configurationItemStatus": item.get("configurationItemStatus"),
            "configurationStateId": item.get("configurationStateId"), "relationships": item.get("relationships") or [],
            "resourceCreationTime": iso(item.get("resourceCreationTime")), "resourceId": item.get("resourceId"),
            "resourceName": item.get("resourceName"), "resourceType": item.get("resourceType"),
            "supplementaryConfiguration": item.get("supplementaryConfiguration") or {}, "tags": tags,
            "version": item.get("version")}  # fmt: skip
