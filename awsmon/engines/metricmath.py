"""GetMetricData metric math: tokenizer, parser and evaluator for the spec's subset (spec §2.5).

Types: S (scalar), TS (time series aligned on a grid of timestamps, ``None`` = missing) and TS[] (list of series).
Operator precedence (lowest first): ``OR``/``||``, ``AND``/``&&``, comparisons, ``+ -``, ``* /``, ``^``, unary ``-``
(spec §2.5, [design choice]). ``^`` is right-associative, the others left-associative.

Supported functions: ABS, AVG, CEIL, DATAPOINT_COUNT, DATE, DAY, DIFF, DIFF_TIME, EPOCH, FILL, FIRST, FLOOR, HOUR, IF,
LAST, LOG, LOG10, MAX, METRIC_COUNT, METRICS, MIN, MINUTE, MONTH, PERIOD, RATE, REMOVE_EMPTY, RUNNING_SUM, SLICE, SORT,
STDDEV, SUM, TIME_SERIES, YEAR, and ANOMALY_DETECTION_BAND when the caller supplies a band function (the band needs
two weeks of history the grid does not hold; see engines/anomaly.py), SEARCH when it supplies a catalogue search
(engines/search_expr.py) and SERVICE_QUOTA when it supplies the quota of a usage metric (engines/service_quotas.py).
Everything else (INSIGHT_RULE_METRIC, Metrics Insights SQL, ...) raises ``UnsupportedExpression``: never silently
wrong values.

Missing-value semantics [doc, corpus ``metric_math``; the rest design choice]:
* TS op TS (arithmetic, comparison, logic): timestamps where either side has a value; the missing side counts as 0;
* TS op S: only timestamps where the series has a value;
* a point that divides by zero (or is otherwise not finite) is dropped;
* ``IF(c, t, f)`` over a TS condition: no value where ``c`` is missing; where ``c`` is true the TS ``t`` value, a
  missing ``t`` giving 0; where ``c`` is false the ``f`` value, a missing ``f`` (or an absent ``f``) giving no value.
  (This asymmetry reproduces AWS's published IF table exactly.)
* AVG/SUM over TS[] count a missing member as 0 at timestamps where any member has a value; MIN/MAX/STDDEV use the
  present values; over a TS they reduce the present values to a scalar (NaN, i.e. no data, when there are none);
* FILL(..., REPEAT) fills leading gaps with the first value; FILL(..., LINEAR) interpolates inside and repeats the
  nearest value at the edges;
* expressions nest at most 50 levels (parentheses, calls, arrays, unary minus, ``^``); long ``+``/``*`` chains are
  unbounded (evaluated iteratively);
* SLICE(TS[], i) returns the series at index i; SLICE(TS[], a, b) the members a..b-1 (0-based);
* DAY is the ISO weekday (Monday = 1), DATE the day of the month; times are UTC.
"""

from __future__ import annotations

import math
import re
import statistics as pystats
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Union

from awsmon.engines.stats import CloudWatchError
from awsmon.engines.tokens import Tok as _Tok
from awsmon.engines.tokens import TokenCursor

__all__ = [
    "CloudWatchError",
    "Series",
    "UnsupportedExpression",
    "evaluate",
    "evaluate_queries",
    "parse",
    "references",
]

MAX_EXPRESSION_CHARS = 2048
MAX_NESTING = (
    50  # [design choice] nesting bound (parentheses, calls, arrays, unary minus, ^); AWS documents none
)
ID_RE = re.compile(r"[a-z][A-Za-z0-9_]*")
_NUM_RE = re.compile(r"\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?")
_WORD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPS = ("==", "!=", "<=", ">=", "&&", "||", "+", "-", "*", "/", "^", "<", ">", "(", ")", "[", "]", ",")

SUPPORTED_FUNCTIONS = frozenset(
    {
        "ABS", "AVG", "CEIL", "DATAPOINT_COUNT", "DATE", "DAY", "DIFF", "DIFF_TIME", "EPOCH", "FILL", "FIRST",
        "FLOOR", "HOUR", "IF", "LAST", "LOG", "LOG10", "MAX", "METRIC_COUNT", "METRICS", "MIN", "MINUTE", "MONTH",
        "PERIOD", "RATE", "REMOVE_EMPTY", "RUNNING_SUM", "SLICE", "SORT", "STDDEV", "SUM", "TIME_SERIES", "YEAR",
        "ANOMALY_DETECTION_BAND", "SEARCH", "SERVICE_QUOTA",
    }
)  # fmt: skip
KNOWN_UNSUPPORTED = frozenset(
    {"INSIGHT_RULE_METRIC", "SELECT", "LAMBDA", "CONCAT"}
)
SYMBOLS = frozenset({"REPEAT", "LINEAR", "ASC", "DESC"})


class UnsupportedExpression(CloudWatchError):
    """An expression uses a metric-math feature the local engine does not implement."""

    def __init__(self, message: str) -> None:
        super().__init__("ValidationError", message)


def _error(message: str) -> CloudWatchError:
    return CloudWatchError("ValidationError", message)


# --------------------------------------------------------------------------------------------------------------
# AST


@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Str:
    value: str


@dataclass(frozen=True)
class Ref:
    id: str


@dataclass(frozen=True)
class Sym:
    name: str


@dataclass(frozen=True)
class Unary:
    op: str
    operand: Expr


@dataclass(frozen=True)
class Binary:
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Array:
    items: tuple[Expr, ...]


Expr = Union[Num, Str, Ref, Sym, Unary, Binary, Call, Array]  # noqa: UP007


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in "'\"":
            j = text.find(ch, i + 1)
            if j < 0:
                raise _error(f"Unterminated string starting at position {i} in expression.")
            toks.append(_Tok("STR", text[i + 1 : j], i))
            i = j + 1
            continue
        m = _NUM_RE.match(text, i)
        if m and (ch.isdigit() or ch == "."):
            toks.append(_Tok("NUM", m.group(), i))
            i = m.end()
            continue
        m = _WORD_RE.match(text, i)
        if m:
            word = m.group()
            if word in ("AND", "OR"):
                toks.append(_Tok("OP", "&&" if word == "AND" else "||", i))
            elif ID_RE.fullmatch(word):
                toks.append(_Tok("ID", word, i))
            else:
                toks.append(_Tok("WORD", word, i))
            i = m.end()
            continue
        for op in _OPS:
            if text.startswith(op, i):
                toks.append(_Tok("OP", op, i))
                i += len(op)
                break
        else:
            raise _error(f"Unexpected character {ch!r} at position {i} in expression.")
    toks.append(_Tok("END", "", n))
    return toks


_BINARY_LEVELS: tuple[tuple[str, ...], ...] = (
    ("||",),
    ("&&",),
    ("==", "!=", "<=", ">=", "<", ">"),
    ("+", "-"),
    ("*", "/"),
)


class _Parser(TokenCursor):
    def __init__(self, text: str) -> None:
        self.toks = _tokenize(text)
        self.i = 0
        self.depth = 0

    def enter(self, tok: _Tok) -> None:
        # Bounds recursion (parser and evaluator) for nested parentheses, calls, arrays, unary minus and ^.
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise _error(
                f"The expression is nested deeper than {MAX_NESTING} levels (at position {tok.pos})."
            )

    def expect_op(self, op: str) -> None:
        tok = self.take()
        if tok.kind != "OP" or tok.text != op:
            found = "end of expression" if tok.kind == "END" else repr(tok.text)
            raise _error(
                f"Syntax error in expression: expected {op!r} but found {found} at position {tok.pos}."
            )

    def parse(self) -> Expr:
        node = self.binary(0)
        tok = self.peek()
        if tok.kind != "END":
            raise _error(f"Syntax error in expression: unexpected {tok.text!r} at position {tok.pos}.")
        return node

    def binary(self, level: int) -> Expr:
        if level == len(_BINARY_LEVELS):
            return self.power()
        node = self.binary(level + 1)
        while self.peek().kind == "OP" and self.peek().text in _BINARY_LEVELS[level]:
            op = self.take().text
            node = Binary(op, node, self.binary(level + 1))
        return node

    def power(self) -> Expr:
        base = self.unary()
        if self.peek().kind == "OP" and self.peek().text == "^":
            self.enter(self.take())
            rhs = self.power_rhs()
            self.depth -= 1
            return Binary("^", base, rhs)
        return base

    def power_rhs(self) -> Expr:
        # right-associative: a ^ b ^ c == a ^ (b ^ c); unary minus binds tighter than ^.
        return self.power()

    def unary(self) -> Expr:
        tok = self.peek()
        if tok.kind == "OP" and tok.text in ("-", "+"):
            self.enter(self.take())
            operand = self.unary()
            self.depth -= 1
            return operand if tok.text == "+" else Unary("-", operand)
        return self.atom()

    def atom(self) -> Expr:
        tok = self.take()
        if tok.kind == "NUM":
            return Num(float(tok.text))
        if tok.kind == "STR":
            return Str(tok.text)
        if tok.kind == "ID":
            if self.peek().kind == "OP" and self.peek().text == "(":
                raise _error(f"Unknown function {tok.text}: function names must be UPPERCASE.")
            return Ref(tok.text)
        if tok.kind == "WORD":
            name = tok.text
            if self.peek().kind == "OP" and self.peek().text == "(":
                if name in KNOWN_UNSUPPORTED:
                    raise UnsupportedExpression(
                        f"Unsupported function {name}: not implemented by the local engine."
                    )
                if name not in SUPPORTED_FUNCTIONS:
                    raise _error(f"Unknown function {name} at position {tok.pos}.")
                self.enter(self.take())
                args: list[Expr] = []
                if not (self.peek().kind == "OP" and self.peek().text == ")"):
                    args.append(self.binary(0))
                    while self.peek().kind == "OP" and self.peek().text == ",":
                        self.take()
                        args.append(self.binary(0))
                self.expect_op(")")
                self.depth -= 1
                return Call(name, tuple(args))
            if name in SYMBOLS or name in ("AVG", "MIN", "MAX", "SUM"):
                return Sym(name)
            raise _error(
                f"Unknown identifier {name} at position {tok.pos}: ids must start with a lowercase letter."
            )
        if tok.kind == "OP" and tok.text == "(":
            self.enter(tok)
            node = self.binary(0)
            self.expect_op(")")
            self.depth -= 1
            return node
        if tok.kind == "OP" and tok.text == "[":
            self.enter(tok)
            items = [self.binary(0)]
            while self.peek().kind == "OP" and self.peek().text == ",":
                self.take()
                items.append(self.binary(0))
            self.expect_op("]")
            self.depth -= 1
            return Array(tuple(items))
        found = "end of expression" if tok.kind == "END" else repr(tok.text)
        raise _error(f"Syntax error in expression: unexpected {found} at position {tok.pos}.")


def parse(expression: str) -> Expr:
    """Parse an expression (≤ 2048 characters) into an AST; raises ``CloudWatchError``/``UnsupportedExpression``."""
    if not expression or not expression.strip():
        raise _error("The expression is empty.")
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise _error(f"The expression must be at most {MAX_EXPRESSION_CHARS} characters long.")
    return _Parser(expression).parse()


def references(expression: str | Expr) -> set[str]:
    """Ids referenced by an expression (METRICS() is not expanded)."""
    node = parse(expression) if isinstance(expression, str) else expression
    out: set[str] = set()
    stack: list[Expr] = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, Ref):
            out.add(cur.id)
        elif isinstance(cur, Unary):
            stack.append(cur.operand)
        elif isinstance(cur, Binary):
            stack.extend((cur.left, cur.right))
        elif isinstance(cur, (Call, Array)):
            stack.extend(cur.args if isinstance(cur, Call) else cur.items)
    return out


# --------------------------------------------------------------------------------------------------------------
# Values and evaluation


@dataclass
class Series:
    """A time series result: ``points`` maps timestamp -> value (missing timestamps absent)."""

    label: str
    points: dict[float, float]


@dataclass
class _TS:
    label: str
    values: list[float | None]


Value = Union[float, _TS, list[_TS], str, Sym]  # noqa: UP007
# ANOMALY_DETECTION_BAND support: (metric id, stddevs) -> (upper, lower) values on the evaluation grid.
BandFn = Callable[[str, float], tuple[list[float | None], list[float | None]]]
# SEARCH support: (search text, stat, period) -> [(label, {timestamp: value})] from the metric catalogue.
SearchFn = Callable[[str, str, int], list[tuple[str, Mapping[float, float]]]]
# SERVICE_QUOTA support: metric (MetricStat query) id -> the applied quota of its usage metric, None if it has none.
QuotaFn = Callable[[str], "float | None"]


def _clean(v: float | None) -> float | None:
    return None if v is None or math.isnan(v) or math.isinf(v) else v


def _apply(op: str, a: float, b: float) -> float | None:
    try:
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return None if b == 0 else a / b
        if op == "^":
            r = a**b
            return None if isinstance(r, complex) else float(r)
        if op == "==":
            return float(a == b)
        if op == "!=":
            return float(a != b)
        if op == "<":
            return float(a < b)
        if op == ">":
            return float(a > b)
        if op == "<=":
            return float(a <= b)
        if op == ">=":
            return float(a >= b)
        if op == "&&":
            return float(a != 0 and b != 0)
        if op == "||":
            return float(a != 0 or b != 0)
    except (OverflowError, ZeroDivisionError):
        return None
    raise AssertionError(op)


class _Evaluator:
    def __init__(
        self,
        series: Mapping[str, Mapping[float, float]],
        grid: list[float],
        period: int,
        metric_ids: Sequence[str],
        band: BandFn | None = None,
        search: SearchFn | None = None,
        quota: QuotaFn | None = None,
    ) -> None:
        self.band = band
        self.search = search
        self.quota = quota
        self.grid = grid
        self.period = period
        self.metric_ids = list(metric_ids)
        self.data = {k: _TS(k, [_clean(v.get(t)) for t in grid]) for k, v in series.items()}

    # -- helpers
    def ts_of(self, value: Value, what: str) -> _TS:
        if isinstance(value, _TS):
            return value
        raise _error(f"{what} expects a time series.")

    def array_of(self, value: Value, what: str) -> list[_TS]:
        if isinstance(value, list):
            return value
        if isinstance(value, _TS):
            return [value]
        raise _error(f"{what} expects an array of time series.")

    def scalar_of(self, value: Value, what: str) -> float:
        if isinstance(value, float):
            return value
        raise _error(f"{what} expects a scalar.")

    def map_ts(self, value: Value, fn: Callable[[float], float | None], what: str) -> Value:
        if isinstance(value, float):
            r = fn(value) if not math.isnan(value) else None
            return math.nan if r is None else r
        if isinstance(value, _TS):
            return _TS(value.label, [None if v is None else _clean(fn(v)) for v in value.values])
        if isinstance(value, list):
            return [self.map_ts(s, fn, what) for s in value]  # type: ignore[misc]
        raise _error(f"{what} expects a number or time series.")

    # -- evaluation
    def eval(self, node: Expr) -> Value:
        if isinstance(node, Num):
            return node.value
        if isinstance(node, Str):
            return node.value
        if isinstance(node, Sym):
            return node
        if isinstance(node, Ref):
            if node.id not in self.data:
                raise _error(f"Unknown id {node.id} in expression.")
            return self.data[node.id]
        if isinstance(node, Array):
            out: list[_TS] = []
            for item in node.items:
                out.extend(self.array_of(self.eval(item), "An array"))
            return out
        if isinstance(node, Unary):
            return self.map_ts(self.eval(node.operand), lambda v: -v, "Unary minus")
        if isinstance(node, Binary) and node.op == "^":
            return self.binary("^", self.eval(node.left), self.eval(node.right))
        if isinstance(node, Binary):
            # Walk left-deep chains (m1 + m2 + ... + m300) iteratively: no recursion per operand.
            spine: list[Binary] = []
            cur: Expr = node
            while isinstance(cur, Binary) and cur.op != "^":
                spine.append(cur)
                cur = cur.left
            acc = self.eval(cur)
            for b in reversed(spine):
                acc = self.binary(b.op, acc, self.eval(b.right))
            return acc
        assert isinstance(node, Call)
        return self.call(node)

    def binary(self, op: str, a: Value, b: Value) -> Value:
        if isinstance(a, (str, Sym)) or isinstance(b, (str, Sym)):
            raise _error(f"Operator {op} cannot be applied to a string or keyword.")
        if isinstance(a, list) and isinstance(b, list):
            raise _error(f"Operator {op} cannot combine two arrays of time series.")
        if isinstance(a, list):
            return [self.binary(op, s, b) for s in a]  # type: ignore[misc]
        if isinstance(b, list):
            return [self.binary(op, a, s) for s in b]  # type: ignore[misc]
        if isinstance(a, float) and isinstance(b, float):
            r = _apply(op, a, b) if not (math.isnan(a) or math.isnan(b)) else None
            return math.nan if r is None else r
        if isinstance(a, _TS) and isinstance(b, float):
            return _TS(
                a.label, [None if v is None or math.isnan(b) else _clean(_apply(op, v, b)) for v in a.values]
            )
        if isinstance(a, float) and isinstance(b, _TS):
            return _TS(
                b.label, [None if v is None or math.isnan(a) else _clean(_apply(op, a, v)) for v in b.values]
            )
        assert isinstance(a, _TS) and isinstance(b, _TS)
        vals: list[float | None] = []
        for x, y in zip(a.values, b.values, strict=True):
            if x is None and y is None:
                vals.append(None)
            else:
                vals.append(_clean(_apply(op, 0.0 if x is None else x, 0.0 if y is None else y)))
        return _TS(a.label, vals)

    def call(self, node: Call) -> Value:
        name, args = node.name, node.args
        arity = {
            "ABS": (1, 1), "CEIL": (1, 1), "FLOOR": (1, 1), "LOG": (1, 1), "LOG10": (1, 1), "AVG": (1, 1),
            "MIN": (1, 1), "MAX": (1, 1), "SUM": (1, 1), "STDDEV": (1, 1), "DATAPOINT_COUNT": (1, 1),
            "METRIC_COUNT": (1, 1), "DIFF": (1, 1), "DIFF_TIME": (1, 1), "RATE": (1, 1), "RUNNING_SUM": (1, 1),
            "FILL": (2, 2), "IF": (2, 3), "METRICS": (0, 1), "PERIOD": (1, 1), "TIME_SERIES": (1, 1),
            "REMOVE_EMPTY": (1, 1), "SORT": (3, 4), "SLICE": (2, 3), "FIRST": (1, 1), "LAST": (1, 1),
            "MINUTE": (1, 1), "HOUR": (1, 1), "DAY": (1, 1), "DATE": (1, 1), "MONTH": (1, 1), "YEAR": (1, 1),
            "EPOCH": (1, 1), "ANOMALY_DETECTION_BAND": (1, 2), "SEARCH": (2, 3), "SERVICE_QUOTA": (1, 1),
        }[name]  # fmt: skip
        if not arity[0] <= len(args) <= arity[1]:
            raise _error(f"Function {name} takes {arity[0]}..{arity[1]} arguments, got {len(args)}.")
        if name == "METRICS":
            needle = ""
            if args:
                arg = self.eval(args[0])
                if not isinstance(arg, str):
                    raise _error("METRICS expects a string argument.")
                needle = arg
            return [self.data[i] for i in self.metric_ids if needle in i and i in self.data]
        if name == "IF":
            return self.if_(*[self.eval(a) for a in args])
        if name == "ANOMALY_DETECTION_BAND":
            return self.anomaly_band(args)
        if name == "SEARCH":
            return self.search_(args)
        if name == "SERVICE_QUOTA":
            return self.service_quota(args[0])
        vals = [self.eval(a) for a in args]
        v0 = vals[0]
        if name in ("ABS", "CEIL", "FLOOR", "LOG", "LOG10"):
            fns: dict[str, Callable[[float], float | None]] = {
                "ABS": abs,
                "CEIL": lambda v: float(math.ceil(v)),
                "FLOOR": lambda v: float(math.floor(v)),
                "LOG": lambda v: math.log(v) if v > 0 else None,
                "LOG10": lambda v: math.log10(v) if v > 0 else None,
            }
            return self.map_ts(v0, fns[name], name)
        if name in ("AVG", "MIN", "MAX", "SUM", "STDDEV"):
            return self.reduce(name, v0)
        if name == "DATAPOINT_COUNT":
            if isinstance(v0, list):
                counts = [sum(1 for s in v0 if s.values[i] is not None) for i in range(len(self.grid))]
                return _TS("", [float(c) if c else None for c in counts])
            return float(sum(1 for v in self.ts_of(v0, name).values if v is not None))
        if name == "METRIC_COUNT":
            return float(len(self.array_of(v0, name)))
        if name in ("DIFF", "DIFF_TIME", "RATE", "RUNNING_SUM"):
            if isinstance(v0, list):
                return [self.sequential(name, s) for s in v0]
            return self.sequential(name, self.ts_of(v0, name))
        if name == "FILL":
            if isinstance(v0, list):
                return [self.fill(s, vals[1]) for s in v0]
            return self.fill(self.ts_of(v0, name), vals[1])
        if name == "PERIOD":
            if isinstance(v0, (float, str, Sym)):
                raise _error("PERIOD expects a time series.")
            return float(self.period)
        if name == "TIME_SERIES":
            s = self.scalar_of(v0, name)
            return _TS("", [_clean(s)] * len(self.grid))
        if name == "REMOVE_EMPTY":
            if isinstance(v0, _TS):
                return v0
            return [s for s in self.array_of(v0, name) if any(v is not None for v in s.values)]
        if name == "SORT":
            return self.sort(self.array_of(v0, name), vals[1:])
        if name == "SLICE":
            arr = self.array_of(v0, name)
            a = int(self.scalar_of(vals[1], name))
            if len(vals) == 2:
                if not 0 <= a < len(arr):
                    raise _error(f"SLICE index {a} is out of range.")
                return arr[a]
            return arr[a : int(self.scalar_of(vals[2], name))]
        if name in ("FIRST", "LAST"):
            arr = self.array_of(v0, name)
            if not arr:
                raise _error(f"{name} of an empty array.")
            return arr[0] if name == "FIRST" else arr[-1]
        # date functions
        ts = v0
        if isinstance(ts, list):
            return [self.date_fn(name, s) for s in ts]
        return self.date_fn(name, self.ts_of(ts, name))

    def anomaly_band(self, args: tuple[Expr, ...]) -> list[_TS]:
        """ANOMALY_DETECTION_BAND(m[, k=2]) -> [upper, lower] (the order AWS returns them in)."""
        if self.band is None:
            raise UnsupportedExpression("ANOMALY_DETECTION_BAND needs the metric's history: not available here.")
        target = args[0]
        if not isinstance(target, Ref) or target.id not in self.metric_ids:
            raise UnsupportedExpression(
                "ANOMALY_DETECTION_BAND over a math expression is not supported by the local engine: pass the id of "
                "a metric (MetricStat) query."
            )
        k = 2.0 if len(args) == 1 else self.scalar_of(self.eval(args[1]), "ANOMALY_DETECTION_BAND")
        if math.isnan(k) or k <= 0:
            raise _error("ANOMALY_DETECTION_BAND expects a positive number of standard deviations.")
        upper, lower = self.band(target.id, k)
        return [_TS("Upper", upper), _TS("Lower", lower)]

    def search_(self, args: tuple[Expr, ...]) -> list[_TS]:
        """SEARCH('{Namespace,Dim} terms', 'Stat'[, period]) -> one series per matching metric."""
        if self.search is None:
            raise UnsupportedExpression("SEARCH needs the metric catalogue: not available here.")
        text, stat = self.eval(args[0]), self.eval(args[1])
        if not isinstance(text, str) or not isinstance(stat, str):
            raise _error("SEARCH expects a search expression string and a statistic string.")
        period = self.period if len(args) == 2 else int(self.scalar_of(self.eval(args[2]), "SEARCH"))
        return [_TS(label, [_clean(pts.get(t)) for t in self.grid]) for label, pts in self.search(text, stat, period)]

    def service_quota(self, arg: Expr) -> _TS:
        """SERVICE_QUOTA(m): the applied quota of usage metric m, at the timestamps where m has a value.

        [design choice] Only where m has data, so that m/SERVICE_QUOTA(m) never turns missing usage into 0 %; a
        metric that is no quota's usage metric gives an empty series (no data), not an error."""
        if self.quota is None:
            raise UnsupportedExpression("SERVICE_QUOTA needs the account's service quotas: not available here.")
        if not isinstance(arg, Ref) or arg.id not in self.metric_ids:
            raise _error("SERVICE_QUOTA expects the id of a metric (MetricStat) query of an AWS/Usage metric.")
        value = self.quota(arg.id)
        usage = self.ts_of(self.eval(arg), "SERVICE_QUOTA")
        return _TS(arg.id, [None if value is None or v is None else float(value) for v in usage.values])

    def if_(self, cond: Value, t: Value, f: Value | None = None) -> Value:
        if isinstance(cond, float):
            if math.isnan(cond):
                raise _error("IF condition has no value.")
            return t if cond != 0 else (f if f is not None else _TS("", [None] * len(self.grid)))
        if isinstance(cond, list):
            return [self.if_(c, t, f) for c in cond]  # type: ignore[misc]
        c = self.ts_of(cond, "IF")
        for branch in (t, f):
            if isinstance(branch, (list, str, Sym)):
                raise _error("IF branches must be scalars or time series.")
        out: list[float | None] = []
        for i, cv in enumerate(c.values):
            if cv is None:
                out.append(None)
            elif cv != 0:
                out.append(
                    t if isinstance(t, float) else (t.values[i] or 0.0) if isinstance(t, _TS) else None
                )
            elif f is None:
                out.append(None)
            else:
                out.append(f if isinstance(f, float) else f.values[i] if isinstance(f, _TS) else None)
        return _TS(c.label, [_clean(v) for v in out])

    def reduce(self, name: str, v: Value) -> Value:
        def agg(xs: list[float]) -> float:
            if not xs:
                return math.nan
            if name == "AVG":
                return math.fsum(xs) / len(xs)
            if name == "SUM":
                return math.fsum(xs)
            if name == "MIN":
                return min(xs)
            if name == "MAX":
                return max(xs)
            return pystats.pstdev(xs)

        if isinstance(v, _TS):
            return agg([x for x in v.values if x is not None])
        arr = self.array_of(v, name)
        out: list[float | None] = []
        for i in range(len(self.grid)):
            column = [s.values[i] for s in arr]
            present = [x for x in column if x is not None]
            if not present:
                out.append(None)
            elif name in ("AVG", "SUM"):
                out.append(_clean(agg([0.0 if x is None else x for x in column])))
            else:
                out.append(_clean(agg(present)))
        return _TS("", out)

    def sequential(self, name: str, s: _TS) -> _TS:
        out: list[float | None] = []
        prev_t: float | None = None
        prev_v: float | None = None
        running = 0.0
        for t, v in zip(self.grid, s.values, strict=True):
            if v is None:
                out.append(None)
                continue
            if name == "RUNNING_SUM":
                running += v
                out.append(running)
            elif prev_v is None or prev_t is None:
                out.append(None)
            elif name == "DIFF":
                out.append(v - prev_v)
            elif name == "DIFF_TIME":
                out.append(t - prev_t)
            else:
                out.append(_clean((v - prev_v) / (t - prev_t)) if t != prev_t else None)
            prev_t, prev_v = t, v
        return _TS(s.label, out)

    def fill(self, s: _TS, how: Value) -> _TS:
        vals = list(s.values)
        if isinstance(how, float):
            return _TS(s.label, [_clean(how) if v is None else v for v in vals])
        if isinstance(how, _TS):
            return _TS(s.label, [how.values[i] if v is None else v for i, v in enumerate(vals)])
        if not isinstance(how, Sym) or how.name not in ("REPEAT", "LINEAR"):
            raise _error("FILL expects a number, a time series, REPEAT or LINEAR.")
        known = [i for i, v in enumerate(vals) if v is not None]
        if not known:
            return _TS(s.label, vals)
        out: list[float | None] = list(vals)
        for i in range(len(vals)):
            if out[i] is not None:
                continue
            before = [k for k in known if k < i]
            after = [k for k in known if k > i]
            if how.name == "REPEAT" or not before or not after:
                src = before[-1] if before else after[0]
                out[i] = vals[src]
            else:
                a, b = before[-1], after[0]
                ta, tb, ti = self.grid[a], self.grid[b], self.grid[i]
                va, vb = vals[a], vals[b]
                assert va is not None and vb is not None
                out[i] = va + (vb - va) * (ti - ta) / (tb - ta)
        return _TS(s.label, out)

    def sort(self, arr: list[_TS], rest: list[Value]) -> list[_TS]:
        by, order = rest[0], rest[1]
        if not isinstance(by, Sym) or by.name not in ("AVG", "MIN", "MAX", "SUM"):
            raise _error("SORT expects AVG, MIN, MAX or SUM as its second argument.")
        if not isinstance(order, Sym) or order.name not in ("ASC", "DESC"):
            raise _error("SORT expects ASC or DESC as its third argument.")

        def key(s: _TS) -> float:
            r = self.reduce(by.name, s)
            assert isinstance(r, float)
            return -math.inf if math.isnan(r) else r

        out = sorted(arr, key=key, reverse=order.name == "DESC")
        if len(rest) == 3:
            out = out[: int(self.scalar_of(rest[2], "SORT"))]
        return out

    def date_fn(self, name: str, s: _TS) -> _TS:
        def comp(t: float) -> float:
            d = datetime.fromtimestamp(t, UTC)
            return float(
                {
                    "MINUTE": d.minute, "HOUR": d.hour, "DAY": d.isoweekday(), "DATE": d.day, "MONTH": d.month,
                    "YEAR": d.year, "EPOCH": int(t),
                }[name]
            )  # fmt: skip

        return _TS(
            s.label, [None if v is None else comp(t) for t, v in zip(self.grid, s.values, strict=True)]
        )


def evaluate(
    expression: str | Expr,
    series: Mapping[str, Mapping[float, float]],
    *,
    timestamps: Sequence[float] | None = None,
    period: int = 60,
    metric_ids: Sequence[str] | None = None,
    label: str = "",
    band: BandFn | None = None,
    search: SearchFn | None = None,
    quota: QuotaFn | None = None,
) -> Series | list[Series]:
    """Evaluate an expression over id -> {timestamp: value} series.

    ``timestamps`` is the query grid (StartTime + k*Period); by default the union of the input timestamps.
    ``metric_ids`` lists the non-expression query ids METRICS() returns (default: every key of ``series``).
    A TS result is labelled ``label`` when given, else after its leftmost input; TS[] members keep their ids.
    The result must be a TS or TS[]; a scalar-only result is rejected (spec §2.5).
    """
    node = parse(expression) if isinstance(expression, str) else expression
    grid = sorted(set(timestamps) if timestamps is not None else {t for s in series.values() for t in s})
    ev = _Evaluator(series, grid, period, list(series) if metric_ids is None else metric_ids, band, search, quota)
    value = ev.eval(node)
    if isinstance(value, _TS):
        return _series(value, grid, label or value.label)
    if isinstance(value, list):
        return [_series(s, grid, s.label) for s in value]
    raise _error("The expression must return a time series or an array of time series, not a scalar.")


def _series(value: _TS, grid: list[float], label: str) -> Series:
    return Series(label, {t: v for t, v in zip(grid, value.values, strict=True) if v is not None})


def evaluate_queries(
    queries: Sequence[Mapping[str, Any]],
    metric_data: Mapping[str, Mapping[float, float]],
    *,
    timestamps: Sequence[float] | None = None,
    period: int = 60,
    band: BandFn | None = None,
    search: SearchFn | None = None,
    quota: QuotaFn | None = None,
) -> dict[str, Series | list[Series]]:
    """Evaluate the ``Expression`` queries of a GetMetricData request in dependency order.

    ``queries`` are MetricDataQuery-shaped dicts (``Id`` plus ``Expression`` or ``MetricStat``); ``metric_data``
    holds the fetched series of the MetricStat ids. Returns every query id's result (metric ids included).
    """
    metric_ids = [q["Id"] for q in queries if "Expression" not in q]
    for q in queries:
        if not ID_RE.fullmatch(str(q.get("Id", ""))):
            raise _error(f"The value {q.get('Id')} for parameter MetricDataQueries.member.Id is invalid.")
    exprs = {q["Id"]: parse(q["Expression"]) for q in queries if "Expression" in q}
    known: dict[str, Mapping[float, float]] = {i: metric_data.get(i, {}) for i in metric_ids}
    results: dict[str, Series | list[Series]] = {i: Series(i, dict(known[i])) for i in metric_ids}
    pending = dict(exprs)
    while pending:
        progressed = False
        for qid, node in list(pending.items()):
            refs = references(node)
            arrays = sorted(r for r in refs if isinstance(results.get(r), list))
            if arrays:
                raise UnsupportedExpression(
                    f"Error in expression {qid}: {arrays[0]} is an array of time series; referencing it from another "
                    "expression is not supported by the local engine."
                )
            if refs <= set(known):
                res = evaluate(
                    node, known, timestamps=timestamps, period=period, metric_ids=metric_ids, label=qid, band=band,
                    search=search, quota=quota,
                )
                results[qid] = res
                if isinstance(res, Series):
                    known[qid] = res.points
                del pending[qid]
                progressed = True
            elif refs - set(known) - set(pending):
                missing = sorted(refs - set(known) - set(pending))
                raise _error(f"Error in expression {qid}: unknown id {missing[0]}.")
        if not progressed:
            raise _error(f"Circular reference between expressions {', '.join(sorted(pending))}.")
    return results
