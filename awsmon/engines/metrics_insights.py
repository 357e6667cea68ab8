"""CloudWatch Metrics Insights: the SQL subset's parser and its evaluation over bucketed metric statistics.

Grammar (AWS's query components; keywords case-insensitive)::

    SELECT FUNC(metric) FROM namespace | SCHEMA(namespace [, dim ...])
      [WHERE cond [AND|OR cond ...]]          cond: dim = 'v' | dim != 'v' | dim LIKE 'pre%' | (cond)
      [GROUP BY dim [, dim ...]]
      [ORDER BY FUNC() [ASC|DESC]]
      [LIMIT n]

FUNC is AVG, COUNT, MAX, MIN or SUM. Names with special characters are double-quoted (``"AWS/EC2"``), values are
single-quoted strings. ``SCHEMA(ns, d1, d2)`` keeps only metrics whose dimension names are exactly {d1, d2}; a bare
namespace keeps every metric of the namespace. Each group (or the single unnamed series without GROUP BY) aggregates
the *raw samples* of its metrics per period (AVG = sum of sums / sum of counts, COUNT = number of samples), and ORDER
BY ranks the series by FUNC over the whole query range. Limits [AWS quotas]: LIMIT ≤ 500, ≤ 10,000 metrics scanned,
query ≤ 2,048 characters. Anything else (MetricName/Namespace pseudo-labels in WHERE, IN, arithmetic, several
SELECT functions) raises ``MetricsInsightsError`` rather than a silently different answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from awsmon.engines.stats import CloudWatchError
from awsmon.engines.tokens import Tok as _Tok
from awsmon.engines.tokens import TokenCursor

__all__ = ["FUNCTIONS", "MetricsInsightsError", "Query", "evaluate", "parse"]

FUNCTIONS = ("AVG", "COUNT", "MAX", "MIN", "SUM")
MAX_LIMIT = 500
MAX_METRICS = 10_000
MAX_QUERY_CHARS = 2048
KEYWORDS = {"SELECT", "FROM", "SCHEMA", "WHERE", "AND", "OR", "GROUP", "BY", "ORDER", "ASC", "DESC", "LIMIT", "LIKE"}
_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+)|(?P<str>'(?:[^'\\]|\\.)*')|(?P<qid>\"(?:[^\"\\]|\\.)*\")"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_./:-]*)|(?P<op>!=|=|\(|\)|,|\*))"
)


class MetricsInsightsError(CloudWatchError):
    def __init__(self, message: str) -> None:
        super().__init__("ValidationError", message)


@dataclass(frozen=True)
class Cond:
    dim: str
    op: str  # "=", "!=", "LIKE"
    value: str


@dataclass(frozen=True)
class BoolOp:
    op: str  # "AND" | "OR"
    left: Where
    right: Where


Where = Cond | BoolOp


@dataclass(frozen=True)
class Query:
    function: str
    metric: str
    namespace: str
    schema: tuple[str, ...] | None = None
    where: Where | None = None
    group_by: tuple[str, ...] = ()
    order: tuple[str, str] | None = None  # (function, ASC|DESC)
    limit: int | None = None


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def _tokenize(sql: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(sql):
        if sql[pos:].strip() == "":
            break
        m = _TOKEN.match(sql, pos)
        if m is None or m.end() == pos:
            start = pos + len(sql[pos:]) - len(sql[pos:].lstrip())
            raise MetricsInsightsError(f"Syntax error at position {start + 1}: unexpected character {sql[start]!r}.")
        kind = m.lastgroup or "op"
        text, at = m.group(kind), m.start(kind)
        if kind == "word" and text.upper() in KEYWORDS | set(FUNCTIONS):
            kind, text = "kw", text.upper()
        out.append(_Tok(kind, text, at))
        pos = m.end()
    out.append(_Tok("end", "", len(sql)))
    return out


class _Parser(TokenCursor):
    def __init__(self, sql: str) -> None:
        self.toks = _tokenize(sql)
        self.i = 0

    def fail(self, tok: _Tok, expected: str) -> MetricsInsightsError:
        found = "end of query" if tok.kind == "end" else repr(tok.text)
        return MetricsInsightsError(f"Syntax error at position {tok.pos + 1}: expected {expected}, found {found}.")

    def kw(self, word: str) -> None:
        tok = self.take()
        if tok.kind != "kw" or tok.text != word:
            raise self.fail(tok, word)

    def op(self, sym: str) -> None:
        tok = self.take()
        if tok.kind != "op" or tok.text != sym:
            raise self.fail(tok, f"'{sym}'")

    def is_kw(self, word: str) -> bool:
        t = self.peek()
        return t.kind == "kw" and t.text == word

    def name(self, what: str) -> str:
        tok = self.take()
        if tok.kind == "qid":
            return _unquote(tok.text)
        if tok.kind == "word":
            return tok.text
        raise self.fail(tok, what)

    def function(self) -> str:
        tok = self.take()
        if tok.kind == "kw" and tok.text in FUNCTIONS:
            return tok.text
        if tok.kind == "word" and self.peek().text == "(":
            raise MetricsInsightsError(
                f"Unsupported function {tok.text}: Metrics Insights supports AVG, COUNT, MAX, MIN and SUM."
            )
        raise self.fail(tok, "one of AVG, COUNT, MAX, MIN, SUM")

    def parse(self) -> Query:
        self.kw("SELECT")
        func = self.function()
        self.op("(")
        if self.peek().text == "*":
            raise MetricsInsightsError("SELECT FUNC(*) is not supported: name one metric, e.g. AVG(CPUUtilization).")
        metric = self.name("a metric name")
        self.op(")")
        if self.peek().text == ",":
            raise MetricsInsightsError("Only one function can be selected in a Metrics Insights query.")
        self.kw("FROM")
        schema: tuple[str, ...] | None = None
        if self.is_kw("SCHEMA"):
            self.take()
            self.op("(")
            namespace = self.name("a namespace")
            dims: list[str] = []
            while self.peek().text == ",":
                self.take()
                dims.append(self.name("a dimension name"))
            self.op(")")
            schema = tuple(dims)
        else:
            namespace = self.name("a namespace or SCHEMA(...)")
        where = None
        if self.is_kw("WHERE"):
            self.take()
            where = self.disjunction()
        group: list[str] = []
        if self.is_kw("GROUP"):
            self.take()
            self.kw("BY")
            group.append(self.name("a dimension name"))
            while self.peek().text == ",":
                self.take()
                group.append(self.name("a dimension name"))
        order = None
        if self.is_kw("ORDER"):
            self.take()
            self.kw("BY")
            of = self.function()
            self.op("(")
            self.op(")")
            direction = "ASC"
            if self.is_kw("ASC") or self.is_kw("DESC"):
                direction = self.take().text
            order = (of, direction)
        limit = None
        if self.is_kw("LIMIT"):
            self.take()
            tok = self.take()
            if tok.kind != "num":
                raise self.fail(tok, "a number")
            limit = int(tok.text)
            if not 1 <= limit <= MAX_LIMIT:
                raise MetricsInsightsError(f"LIMIT must be between 1 and {MAX_LIMIT}.")
        tok = self.peek()
        if tok.kind != "end":
            raise MetricsInsightsError(
                f"Syntax error at position {tok.pos + 1}: unexpected {tok.text!r} "
                "(clauses come in the order SELECT, FROM, WHERE, GROUP BY, ORDER BY, LIMIT)."
            )
        return Query(func, metric, namespace, schema, where, tuple(group), order, limit)

    def disjunction(self) -> Where:
        node = self.conjunction()
        while self.is_kw("OR"):
            self.take()
            node = BoolOp("OR", node, self.conjunction())
        return node

    def conjunction(self) -> Where:
        node = self.condition()
        while self.is_kw("AND"):
            self.take()
            node = BoolOp("AND", node, self.condition())
        return node

    def condition(self) -> Where:
        if self.peek().text == "(":
            self.take()
            node = self.disjunction()
            self.op(")")
            return node
        dim = self.name("a dimension name")
        tok = self.take()
        if tok.kind == "op" and tok.text in ("=", "!="):
            op = tok.text
        elif tok.kind == "kw" and tok.text == "LIKE":
            op = "LIKE"
        else:
            raise self.fail(tok, "=, != or LIKE")
        val = self.take()
        if val.kind != "str":
            raise self.fail(val, "a quoted 'value'")
        return Cond(dim, op, _unquote(val.text))


def parse(sql: str) -> Query:
    """Parse a Metrics Insights query; raises ``MetricsInsightsError`` (ValidationError) with the position."""
    if not sql or not sql.strip():
        raise MetricsInsightsError("The query is empty.")
    if len(sql) > MAX_QUERY_CHARS:
        raise MetricsInsightsError(f"The query must be at most {MAX_QUERY_CHARS} characters long.")
    return _Parser(sql).parse()


def _like(pattern: str, value: str) -> bool:
    rx = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, value, re.DOTALL) is not None


def matches(where: Where | None, dims: Mapping[str, str]) -> bool:
    if where is None:
        return True
    if isinstance(where, BoolOp):
        a = matches(where.left, dims)
        return (a and matches(where.right, dims)) if where.op == "AND" else (a or matches(where.right, dims))
    v = dims.get(where.dim)
    if where.op == "=":
        return v == where.value
    if where.op == "!=":
        return v is not None and v != where.value
    return v is not None and _like(where.value, v)


def selects(q: Query, dims: Mapping[str, str]) -> bool:
    """Whether a metric (of the query's namespace and name) with these dimensions is in the query's scope."""
    if q.schema is not None and set(dims) != set(q.schema):
        return False
    return matches(q.where, dims)


# bucket aggregates of one metric: timestamp -> (sample count, sum, min, max)
Buckets = Mapping[float, tuple[float, float, float, float]]


@dataclass
class Result:
    label: str
    points: dict[float, float] = field(default_factory=dict)


def _value(func: str, n: float, total: float, lo: float, hi: float) -> float:
    return {"AVG": total / n if n else float("nan"), "SUM": total, "MIN": lo, "MAX": hi, "COUNT": n}[func]


def evaluate(q: Query, metrics: Iterable[tuple[Mapping[str, str], Buckets]]) -> list[Result]:
    """Series of the query over the selected metrics' buckets: one per group, ordered and limited."""
    groups: dict[tuple[str, ...], dict[float, list[float]]] = {}
    scanned = 0
    for dims, buckets in metrics:
        if not selects(q, dims):
            continue
        scanned += 1
        if scanned > MAX_METRICS:
            raise MetricsInsightsError(f"The query scans more than {MAX_METRICS:,} metrics; narrow it with WHERE.")
        key = tuple(dims.get(d, "") for d in q.group_by)
        acc = groups.setdefault(key, {})
        for t, (n, total, lo, hi) in buckets.items():
            cur = acc.get(t)
            if cur is None:
                acc[t] = [n, total, lo, hi]
            else:
                cur[0] += n
                cur[1] += total
                cur[2] = min(cur[2], lo)
                cur[3] = max(cur[3], hi)
    results: list[tuple[Result, float]] = []
    for key, acc in groups.items():
        if not acc:
            continue
        label = " ".join(key) if q.group_by else q.metric
        res = Result(label, {t: _value(q.function, *acc[t]) for t in sorted(acc)})
        rank = 0.0
        if q.order is not None:
            vals = list(acc.values())
            rank = _value(q.order[0], sum(v[0] for v in vals), sum(v[1] for v in vals),
                          min(v[2] for v in vals), max(v[3] for v in vals))  # fmt: skip
        results.append((res, rank))
    results.sort(key=lambda r: r[0].label)
    if q.order is not None:
        results.sort(key=lambda r: r[1], reverse=q.order[1] == "DESC")
    out = [r for r, _ in results]
    return out[: q.limit if q.limit is not None else MAX_LIMIT]


def is_query(expression: str) -> bool:
    """Whether a GetMetricData expression is a Metrics Insights query (rather than metric math)."""
    return expression.lstrip()[:7].upper() == "SELECT " or expression.strip().upper() == "SELECT"

