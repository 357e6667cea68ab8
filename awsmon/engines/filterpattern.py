"""CloudWatch Logs filter patterns: parser, matcher, literal pre-filter and metric-filter extraction (pure engine).

Spec: shared/specs/logs.md §1 (syntax and semantics), §2 (metric filters / TestMetricFilter), §7 (performance).
Every decision the AWS documentation leaves open is marked [design choice] here and listed in docs/filter-patterns.md.

Pattern kinds, chosen on the first non-blank character (§1.2): blank → "all"; ``{`` → "json"; ``[`` → "space"
(space-delimited); anything else → "term". Matching is case-sensitive everywhere.

Performance: patterns compile once (``compile_pattern`` is cached) to closures. Each pattern knows the literals every
matching message must contain; ``matches`` checks them with ``in`` before doing any real work, so JSON is decoded only
for candidate messages. User regexes run on the linear-time automaton of ``awsmon.engines.lregex``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from awsmon.engines.filterpattern_errors import (
    _WS,
    INVALID_FILTER_PATTERN,
    MAX_PATTERN_LENGTH,
    FilterPatternError,
    invalid_term,
)

if TYPE_CHECKING:
    from awsmon.engines.lregex import Regex

__all__ = [
    "FilterPattern",
    "FilterPatternError",
    "GuardedLiterals",
    "MatchResult",
    "compile_pattern",
    "test_metric_filter",
]

MAX_REGEXES = 2
MAX_WILDCARDS_PER_SELECTOR = 1
MAX_WILDCARD_SELECTORS = 3
MAX_TEST_MESSAGES = 50
MAX_DIMENSIONS = 3
MAX_METRIC_VALUE_LENGTH = 100

_WORD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_NAME = _WORD | frozenset("-")
# [design choice] characters users saw reported as "Invalid character(s) in term"; any other bad character in a bare
# term gives AWS's generic "Invalid filter pattern" (recorded for `worker/worker/*`, aws/aws-cli#7278).
_TERM_BREAK_CHARS = frozenset("()[]{}:,`\\\"'")
# [design choice] unquoted JSON / space-delimited values may also hold `.`, `-` and `*` (IP-like wildcards such as
# `123.123.*` are documented), and space-delimited ones `/` and `:` as well (`*.html*`, paths, times).
_JSON_BARE = _WORD | frozenset(".-*+")
_SPACE_BARE = _JSON_BARE | frozenset("/:@#;=~^$?!<>'`{}\\")


# No dataclasses in this module: generating their methods cost ~1 ms each at import (start-up of `logs filter`).
class MatchResult(NamedTuple):
    """A match; ``extracted`` is TestMetricFilter's ``extractedValues`` for the event."""

    extracted: dict[str, str]


class GuardedLiterals(NamedTuple):
    """Literals every matching message contains, *unless* it contains ``unless`` (JSON escapes such as ``\\u0041``
    can spell any character another way). SQL: ``instr(m, unless) > 0 OR (instr(m, l1) > 0 AND ...)``."""

    literals: tuple[str, ...]
    unless: str | None


_MISSING = object()


# ----------------------------------------------------------------------------------------------------------------
# Shared helpers


def _is_number_text(s: str) -> bool:
    """Strict decimal syntax ``[+-]? digits [. digits] [e [+-] digits]`` (no nan/inf/underscores), linear time."""
    i, n = 0, len(s)
    if i < n and s[i] in "+-":
        i += 1
    digits = 0
    while i < n and s[i].isascii() and s[i].isdigit():
        i += 1
        digits += 1
    if i < n and s[i] == ".":
        i += 1
        while i < n and s[i].isascii() and s[i].isdigit():
            i += 1
            digits += 1
    if digits == 0:
        return False
    if i < n and s[i] in "eE":
        i += 1
        if i < n and s[i] in "+-":
            i += 1
        exp = 0
        while i < n and s[i].isascii() and s[i].isdigit():
            i += 1
            exp += 1
        if exp == 0:
            return False
    return i == n


def _to_number(s: str) -> int | float | None:
    if not _is_number_text(s):
        return None
    if all(c.isdigit() for c in s.lstrip("+-")):
        return int(s)
    try:
        f = float(s)
    except (ValueError, OverflowError):
        return None
    return f if math.isfinite(f) else None


def _dedupe_literals(lits: set[str]) -> list[str]:
    """Longest first; drop empties and literals implied by a longer one."""
    ordered = sorted((x for x in lits if x), key=lambda r: (-len(r), r))
    return [r for i, r in enumerate(ordered) if not any(r in longer for longer in ordered[:i])]


class _Wildcard:
    """A string value with a leading and/or trailing ``*`` (only there: ``Ev*ent`` is literal, §1.4)."""

    __slots__ = ("core", "lead", "trail")

    def __init__(self, text: str) -> None:
        self.lead = text.startswith("*")
        rest = text[1:] if self.lead else text
        self.trail = rest.endswith("*")
        self.core = rest[:-1] if self.trail else rest

    def test(self, s: str) -> bool:
        core = self.core
        if self.lead and self.trail:
            return core in s
        if self.lead:
            return s.endswith(core)
        if self.trail:
            return s.startswith(core)
        return s == core


def _string_test(text: str) -> tuple[Callable[[str], bool], str]:
    """Equality or wildcard test on a string; also returns the literal any matching string must contain."""
    if text.startswith("*") or text.endswith("*"):
        w = _Wildcard(text)
        return w.test, w.core
    return text.__eq__, text


# ----------------------------------------------------------------------------------------------------------------
# Values shared by JSON and space-delimited conditions

_OPS = ("!=", "<=", ">=", "=", "<", ">")


class _Value:
    __slots__ = ("kind", "num", "quoted", "regex", "text")

    def __init__(self, kind: str, text: str, num: int | float | None = None, regex: Regex | None = None,
                 quoted: bool = False) -> None:  # fmt: skip
        self.kind = kind  # "num" | "str" | "regex" | "any"
        self.text, self.num, self.regex, self.quoted = text, num, regex, quoted


class _Cursor:
    """Character cursor over the whole pattern, with AWS-style errors carrying positions."""

    def __init__(self, text: str, pos: int = 0) -> None:
        self.t = text
        self.i = pos
        self.regexes = 0

    def err(self, detail: str, at: int | None = None) -> FilterPatternError:
        return FilterPatternError(INVALID_FILTER_PATTERN, self.i if at is None else at, detail)

    def ws(self) -> None:
        t, n = self.t, len(self.t)
        while self.i < n and t[self.i] in _WS:
            self.i += 1

    def peek(self, k: int = 1) -> str:
        return self.t[self.i : self.i + k]

    def at_end(self) -> bool:
        return self.i >= len(self.t)

    def quoted(self) -> str:
        """A double-quoted string; ``\\"`` and ``\\\\`` are escapes, other backslashes stay literal (CDK quoting)."""
        start = self.i
        self.i += 1
        out: list[str] = []
        t, n = self.t, len(self.t)
        while self.i < n:
            c = t[self.i]
            if c == "\\" and self.i + 1 < n and t[self.i + 1] in '"\\':
                out.append(t[self.i + 1])
                self.i += 2
                continue
            if c == '"':
                self.i += 1
                return "".join(out)
            out.append(c)
            self.i += 1
        raise self.err("unterminated quoted string", start)

    def regex(self) -> Regex:
        start = self.i
        end = self.t.find("%", start + 1)
        if end < 0:
            raise self.err("unterminated regex (missing closing '%')", start)
        self.regexes += 1
        if self.regexes > MAX_REGEXES:
            raise self.err(f"at most {MAX_REGEXES} regular expressions per filter pattern", start)
        from awsmon.engines.lregex import compile_regex  # only patterns with a %regex% load the regex engine

        rx = compile_regex(self.t[start + 1 : end], start + 1, start, self.t)
        self.i = end + 1
        return rx

    def op(self) -> str | None:
        if self.peek(2) == "==":
            raise self.err("'==' is not an operator; use '='")
        for o in _OPS:
            if self.t.startswith(o, self.i):
                self.i += len(o)
                return o
        return None

    def value(self, op: str, bare_chars: frozenset[str], stops: str) -> _Value:
        """A comparison value: quoted string, ``%regex%``, number, ``*`` or bare word."""
        self.ws()
        start = self.i
        c = self.peek()
        if c == '"':
            v = _Value("str", self.quoted(), quoted=True)
        elif c == "%":
            v = _Value("regex", "", regex=self.regex())
        else:
            t, n = self.t, len(self.t)
            while self.i < n and t[self.i] not in _WS and t[self.i] not in stops:
                self.i += 1
            word = t[start : self.i]
            if not word:
                raise self.err("missing value", start)
            num = _to_number(word)
            if num is not None:
                v = _Value("num", word, num)
            elif word == "*":
                v = _Value("any", word)
            else:
                for k, ch in enumerate(word):
                    if ch not in bare_chars:
                        if ch in _TERM_BREAK_CHARS:
                            raise invalid_term(word[: k + 1], start + k, "quote values with other characters")
                        raise self.err("unquoted values may hold only letters, digits and _ . - *", start + k)
                v = _Value("str", word)
        if op not in ("=", "!=") and v.kind != "num":
            raise self.err(f"operator {op!r} needs a number", start)
        return v


# ----------------------------------------------------------------------------------------------------------------
# Term patterns (§1.3)


class _Term:
    __slots__ = ("literal", "prefix", "regex")

    def __init__(self, prefix: str, literal: str | None, regex: Regex | None) -> None:
        self.prefix = prefix  # "", "?", "-"
        self.literal, self.regex = literal, regex

    def test(self) -> Callable[[str], bool]:
        if self.regex is not None:
            return self.regex.search
        lit = self.literal
        assert lit is not None
        return lambda m: lit in m

    def required(self) -> set[str]:
        if self.regex is not None:
            return set(self.regex.literals)
        return {self.literal} if self.literal else set()


def _parse_terms(text: str, start: int) -> tuple[list[_Term], int]:
    cur = _Cursor(text, start)
    terms: list[_Term] = []
    n = len(text)
    while True:
        cur.ws()
        if cur.at_end():
            break
        tstart = cur.i
        prefix = ""
        if text[cur.i] in "?-":
            prefix = text[cur.i]
            cur.i += 1
            # [design choice] tolerate blanks after the operator: the 2018 page prints `"ERROR" - "Exiting"`.
            cur.ws()
            if cur.at_end():
                raise cur.err(f"'{prefix}' must be followed by a term", tstart)
        c = text[cur.i]
        if c == '"':
            term = _Term(prefix, cur.quoted(), None)
        elif c == "%":
            term = _Term(prefix, None, cur.regex())
        else:
            bstart = cur.i
            while cur.i < n and text[cur.i] not in _WS:
                cur.i += 1
            word = text[bstart : cur.i]
            bad = [k for k, ch in enumerate(word) if ch not in _WORD]
            if bad:
                breaks = [k for k in bad if word[k] in _TERM_BREAK_CHARS]
                if breaks:
                    k = breaks[0]
                    raise invalid_term(word[: k + 1], bstart + k, "quote terms that hold other characters")
                raise cur.err("a bare term may hold only letters, digits and '_'; quote it", bstart + bad[0])
            term = _Term(prefix, word, None)
        if not cur.at_end() and text[cur.i] not in _WS:
            raise cur.err("terms must be separated by blanks", cur.i)
        terms.append(term)
    return terms, cur.regexes


def _compile_terms(terms: list[_Term]) -> tuple[Callable[[str], bool], list[str]]:
    """Plain terms AND, ``-`` terms exclude; ``?`` terms OR when alone, ignored when mixed (documented rule)."""
    optional = [t for t in terms if t.prefix == "?"]
    if len(optional) == len(terms):
        tests = tuple(t.test() for t in optional)
        req = set.intersection(*(t.required() for t in optional))
        return (lambda m: any(f(m) for f in tests)), _dedupe_literals(req)
    plain = [t for t in terms if t.prefix == ""]
    excluded = tuple(t.test() for t in terms if t.prefix == "-")
    lits = [t.literal for t in plain if t.regex is None]
    regexes = tuple(t.test() for t in plain if t.regex is not None)
    req: set[str] = set()
    for t in plain:
        req |= t.required()
    lit_tuple = tuple(x for x in lits if x)

    if not excluded and not regexes:
        if len(lit_tuple) == 1:
            only = lit_tuple[0]
            return (lambda m: only in m), _dedupe_literals(req)

        def all_lits(m: str) -> bool:
            for x in lit_tuple:
                if x not in m:
                    return False
            return True

        return all_lits, _dedupe_literals(req)

    def test(m: str) -> bool:
        for x in lit_tuple:
            if x not in m:
                return False
        for f in regexes:
            if not f(m):
                return False
        for f in excluded:
            if f(m):
                return False
        return True

    return test, _dedupe_literals(req)


# ----------------------------------------------------------------------------------------------------------------
# JSON patterns (§1.4)

_KEY, _INDEX, _WILD = 0, 1, 2


class _Selector(NamedTuple):
    text: str
    steps: tuple[tuple[int, Any], ...]

    @property
    def wildcards(self) -> int:
        return sum(1 for k, _ in self.steps if k == _WILD)

    def resolve(self, doc: Any) -> list[Any]:
        cur = [doc]
        for kind, arg in self.steps:
            nxt: list[Any] = []
            for v in cur:
                if kind == _KEY:
                    if isinstance(v, dict) and arg in v:
                        nxt.append(v[arg])
                elif kind == _INDEX:
                    if isinstance(v, list) and arg < len(v):
                        nxt.append(v[arg])
                elif isinstance(v, dict):
                    nxt.extend(v.values())
                elif isinstance(v, list):
                    nxt.extend(v)
            cur = nxt
            if not cur:
                break
        return cur

    def getter(self) -> Callable[[Any], Any]:
        """Fast single-value lookup for selectors without wildcards; returns ``_MISSING`` when absent."""
        steps = self.steps

        def get(doc: Any) -> Any:
            v = doc
            for kind, arg in steps:
                if kind == _KEY:
                    if type(v) is not dict:
                        return _MISSING
                    v = v.get(arg, _MISSING)
                    if v is _MISSING:
                        return v
                else:
                    if type(v) is not list or arg >= len(v):
                        return _MISSING
                    v = v[arg]
            return v

        return get

    def key_literals(self) -> set[str]:
        return {json.dumps(arg, ensure_ascii=False) for kind, arg in self.steps if kind == _KEY}


def _parse_selector(cur: _Cursor) -> _Selector:
    t, n = cur.t, len(cur.t)
    start = cur.i
    if cur.peek() != "$":
        raise cur.err("a selector must start with '$'", start)
    cur.i += 1
    steps: list[tuple[int, Any]] = []

    def bad(k: int) -> FilterPatternError:
        return invalid_term(t[start : k + 1], k, "property names hold letters, digits, '_' and '-'")

    while cur.i < n:
        c = t[cur.i]
        if c == ".":
            cur.i += 1
            if cur.i >= n:
                raise cur.err("selector ends with '.'")
            c2 = t[cur.i]
            if c2 == "*":
                steps.append((_WILD, None))
                cur.i += 1
            elif c2 == "[":
                steps.append(_parse_bracket(cur, start, bad))
            elif c2 in _NAME:
                k = cur.i
                while cur.i < n and t[cur.i] in _NAME:
                    cur.i += 1
                steps.append((_KEY, t[k : cur.i]))
            else:
                raise bad(cur.i)
        elif c == "[":
            steps.append(_parse_bracket(cur, start, bad))
        elif c in _WS or c in "=!<>)}&|":
            break
        else:
            raise bad(cur.i)
    if not steps:
        raise cur.err("a selector needs at least one property or index after '$'", start)
    sel = _Selector(t[start : cur.i], tuple(steps))
    if sel.wildcards > MAX_WILDCARDS_PER_SELECTOR:
        raise cur.err(f"at most {MAX_WILDCARDS_PER_SELECTOR} wildcard per selector", start)
    return sel


def _parse_bracket(cur: _Cursor, sel_start: int, bad: Callable[[int], FilterPatternError]) -> tuple[int, Any]:
    t = cur.t
    open_at = cur.i
    cur.i += 1
    if cur.peek() == "*" and cur.peek(2) == "*]":
        cur.i += 2
        return (_WILD, None)
    if cur.peek() == "'":
        end = t.find("']", cur.i + 1)
        if end < 0:
            raise cur.err("unterminated ['name']", open_at)
        name = t[cur.i + 1 : end]
        cur.i = end + 2
        return (_KEY, name)
    k = cur.i
    while cur.i < len(t) and t[cur.i].isascii() and t[cur.i].isdigit():
        cur.i += 1
    if cur.i == k or cur.peek() != "]":
        if cur.i < len(t) and t[cur.i] in _TERM_BREAK_CHARS - {"]"}:
            raise bad(cur.i)
        raise cur.err("array index must be digits, '*' or 'name' in quotes", cur.i)
    idx = int(t[k : cur.i])
    cur.i += 1
    return (_INDEX, idx)


def _scalar_text(v: Any) -> str | None:
    """Text a string/wildcard/regex test sees for a JSON scalar. [design choice] booleans as ``true``/``false``, ints
    as written; floats and null are not text (their source spelling is lost on decoding)."""
    if type(v) is str:
        return v
    if v is True:
        return "true"
    if v is False:
        return "false"
    if type(v) is int:
        return str(v)
    return None


def _is_scalar(v: Any) -> bool:
    return not isinstance(v, dict | list)


def _value_eq(val: _Value) -> tuple[Callable[[Any], bool], set[str]]:
    """The ``=`` test on one JSON value, plus the literals a raw message holding such a value contains."""
    if val.kind == "any":
        # `*` / "*": the field holds some non-null scalar (§1.4, CDK exists()).
        return (lambda v: v is not None and _is_scalar(v)), set()
    if val.kind == "regex":
        assert val.regex is not None
        search = val.regex.search

        def rx(v: Any) -> bool:
            s = _scalar_text(v)
            return s is not None and search(s)

        return rx, set(val.regex.literals)
    if val.kind == "num" and not val.quoted:
        target = val.num
        return _num_cmp("=", target), set()
    text = val.text
    if text == "*":
        return (lambda v: v is not None and _is_scalar(v)), set()
    stest, lit = _string_test(text)
    num = _to_number(text)

    def eq(v: Any) -> bool:
        if type(v) is str:
            return stest(v)
        if num is not None and type(v) in (int, float):
            return v == num  # [design choice] "400" equals the JSON number 400
        s = _scalar_text(v)
        return s is not None and stest(s)

    # Numeric-looking strings may match a number spelled differently (4e2): no literal then.
    return eq, (set() if num is not None else {lit})


def _num_cmp(op: str, target: int | float | None) -> Callable[[Any], bool]:
    assert target is not None

    def num_of(v: Any) -> int | float | None:
        if type(v) in (int, float):
            return v  # type: ignore[no-any-return]
        if type(v) is str:
            return _to_number(
                v.strip()
            )  # [design choice, unverified] numeric strings compare by value (floci)
        return None

    if op == "=":
        return lambda v: (x := num_of(v)) is not None and x == target
    if op == "<":
        return lambda v: (x := num_of(v)) is not None and x < target
    if op == ">":
        return lambda v: (x := num_of(v)) is not None and x > target
    if op == "<=":
        return lambda v: (x := num_of(v)) is not None and x <= target
    return lambda v: (x := num_of(v)) is not None and x >= target


class _JNode:
    """A compiled JSON expression node: ``test(doc)`` plus required literals and the selectors it reads."""

    __slots__ = ("lits", "selectors", "test")

    def __init__(self, test: Callable[[Any], bool], lits: set[str], selectors: list[_Selector]) -> None:
        self.test, self.lits, self.selectors = test, lits, selectors


def _json_leaf(sel: _Selector, pred: Callable[[Any], bool], negate: bool, lits: set[str]) -> _JNode:
    """Apply ``pred`` to the selected value(s). Objects/arrays never match, not even ``!=`` (§1.4); a missing
    field makes every comparison false; wildcard selectors are existential."""
    if sel.wildcards == 0:
        get = sel.getter()
        if negate:

            def test(doc: Any) -> bool:
                v = get(doc)
                return v is not _MISSING and _is_scalar(v) and not pred(v)

        else:

            def test(doc: Any) -> bool:
                v = get(doc)
                return v is not _MISSING and _is_scalar(v) and pred(v)

    else:
        resolve = sel.resolve
        if negate:

            def test(doc: Any) -> bool:
                return any(_is_scalar(v) and not pred(v) for v in resolve(doc))

        else:

            def test(doc: Any) -> bool:
                return any(_is_scalar(v) and pred(v) for v in resolve(doc))

    return _JNode(test, lits | sel.key_literals(), [sel])


class _JsonParser:
    def __init__(self, cur: _Cursor) -> None:
        self.cur = cur
        self.wild_selectors = 0
        self.leaves = 0

    def parse(self) -> _JNode:
        cur = self.cur
        cur.i += 1  # "{"
        node = self.or_expr()
        cur.ws()
        if cur.peek() != "}":
            raise cur.err("expected '}'" if cur.at_end() else "unexpected text; expected '&&', '||' or '}'")
        cur.i += 1
        cur.ws()
        if not cur.at_end():
            raise cur.err("text after the closing '}'")
        if self.leaves > 1 and self.wild_selectors > MAX_WILDCARD_SELECTORS:
            raise cur.err(f"at most {MAX_WILDCARD_SELECTORS} wildcard selectors in a compound pattern", 0)
        return node

    def or_expr(self) -> _JNode:
        parts = [self.and_expr()]
        while True:
            self.cur.ws()
            if self.cur.peek(2) != "||":
                break
            self.cur.i += 2
            parts.append(self.and_expr())
        if len(parts) == 1:
            return parts[0]
        tests = tuple(p.test for p in parts)
        lits = set.intersection(*(p.lits for p in parts))
        return _JNode(lambda d: any(f(d) for f in tests), lits, [s for p in parts for s in p.selectors])

    def and_expr(self) -> _JNode:
        parts = [self.primary()]
        while True:
            self.cur.ws()
            if self.cur.peek(2) != "&&":
                break
            self.cur.i += 2
            parts.append(self.primary())
        if len(parts) == 1:
            return parts[0]
        tests = tuple(p.test for p in parts)
        lits = set().union(*(p.lits for p in parts))
        return _JNode(lambda d: all(f(d) for f in tests), lits, [s for p in parts for s in p.selectors])

    def primary(self) -> _JNode:
        cur = self.cur
        cur.ws()
        if cur.peek() == "(":
            cur.i += 1
            node = self.or_expr()
            cur.ws()
            if cur.peek() != ")":
                raise cur.err("expected ')'")
            cur.i += 1
            return node
        if cur.at_end() or cur.peek() in "})":
            raise cur.err("expected a selector such as $.field")
        sel = _parse_selector(cur)
        self.leaves += 1
        if sel.wildcards:
            self.wild_selectors += 1
        cur.ws()
        kw_at = cur.i
        word = self._word()
        if word == "IS":
            cur.ws()
            what = self._word()
            if what == "NOT":
                raise cur.err("'IS NOT' is not supported (use != or NOT EXISTS)", kw_at)
            if what == "NULL":
                return _json_leaf(sel, lambda v: v is None, False, {"null"})
            if what == "TRUE":
                return _json_leaf(sel, lambda v: v is True, False, {"true"})
            if what == "FALSE":
                return _json_leaf(sel, lambda v: v is False, False, {"false"})
            raise cur.err("expected NULL, TRUE or FALSE after IS", kw_at)
        if word == "NOT":
            cur.ws()
            if self._word() != "EXISTS":
                raise cur.err("expected EXISTS after NOT", kw_at)
            if sel.wildcards:
                resolve = sel.resolve
                return _JNode(lambda d: not resolve(d), set(), [sel])
            get = sel.getter()
            return _JNode(lambda d: get(d) is _MISSING, set(), [sel])
        if word == "EXISTS":
            raise cur.err("'EXISTS' is not supported (use = \"*\" or NOT EXISTS)", kw_at)
        if word:
            raise cur.err(f"unexpected {word!r} after the selector", kw_at)
        op = cur.op()
        if op is None:
            raise cur.err("expected an operator (= != < > <= >=), IS or NOT EXISTS")
        val = cur.value(op, _JSON_BARE, "&|)}")
        if op in ("=", "!="):
            pred, lits = _value_eq(val)
            return _json_leaf(sel, pred, op == "!=", lits if op == "=" else set())
        return _json_leaf(sel, _num_cmp(op, val.num), False, set())

    def _word(self) -> str:
        cur = self.cur
        k = cur.i
        while cur.i < len(cur.t) and cur.t[cur.i].isascii() and cur.t[cur.i].isalpha():
            cur.i += 1
        return cur.t[k : cur.i]


def _decode_object(message: str) -> dict[str, Any] | None:
    """The message as a JSON object, or None. [design choice] non-objects (arrays, scalars, bad JSON) never match."""
    try:
        doc = json.loads(message, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return None
    return doc if type(doc) is dict else None


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def _json_text(v: Any) -> str | None:
    """extractedValues text of a JSON scalar. [design choice] strings as-is, others in JSON spelling."""
    if type(v) is str:
        return v
    if isinstance(v, dict | list):
        return None
    return json.dumps(v)


# ----------------------------------------------------------------------------------------------------------------
# Space-delimited patterns (§1.5)


# One field per match: a bracketed or quoted run up to the first closing delimiter (anywhere later, blanks
# included, as ``str.find`` would), else a run of non-blanks. A token that starts with ``[`` (``"``) and ends with
# ``]`` (``"``) can only come from the delimited alternative, so the delimiters are stripped exactly then. A regex
# scan: the char-by-char loop this replaces cost ~80 us on a 700-byte JSON line without blanks.
_FIELD_RE = re.compile(r'[ \t\r\n]*(\[[^\]]*\]|"[^"]*"|[^ \t\r\n]+)')


def tokenize_fields(message: str) -> list[str]:
    """Split a message into fields: blanks separate; ``[...]`` and ``"..."`` make one field, delimiters stripped.

    [design choice] blanks are space, tab, CR and LF (runs count once); an unclosed ``[`` or ``"`` starts an
    ordinary field; a field ends right after its closing delimiter. No escapes inside quotes.
    """
    return [
        t[1:-1] if len(t) > 1 and ((t[0] == "[" and t[-1] == "]") or (t[0] == '"' and t[-1] == '"')) else t
        for t in _FIELD_RE.findall(message)
    ]


class _Cond:
    __slots__ = ("lits", "name", "op", "test", "val")

    def __init__(self, name: str, test: Callable[[str], bool], lits: set[str], op: str = "=",
                 val: _Value | None = None) -> None:  # fmt: skip
        self.name, self.test, self.lits, self.op = name, test, lits, op
        self.val = val  # what the batch pre-filter (awsmon.engines.filterbatch) compiles


class _Field:
    __slots__ = ("expr", "kind", "name")

    def __init__(self, kind: str, name: str | None = None, expr: list[list[_Cond]] | None = None) -> None:
        self.kind = kind  # "ellipsis" | "field"
        self.name = name
        self.expr = expr  # OR of ANDs


def _space_cond_test(op: str, val: _Value) -> tuple[Callable[[str], bool], set[str]]:
    if val.kind == "regex":
        assert val.regex is not None
        search = val.regex.search
        lits = set(val.regex.literals)
        if op == "=":
            return search, lits
        return (lambda s: not search(s)), set()
    if val.kind == "any":
        return ((lambda s: True), set()) if op == "=" else ((lambda s: False), set())
    if val.kind == "num" and not val.quoted:
        target = val.num
        assert target is not None
        text = val.text
        if op in ("=", "!="):

            def eq(s: str) -> bool:
                if s == text:
                    return True
                x = _to_number(s)
                return x is not None and x == target

            return (eq, set()) if op == "=" else ((lambda s: not eq(s)), set())
        cmp = _num_cmp(op, target)
        return cmp, set()
    stest, lit = _string_test(val.text)
    if op == "=":
        # Field text is a raw substring, or raw tokens joined by single spaces: only blank-free pieces are safe.
        return stest, set(lit.split())
    return (lambda s: not stest(s)), set()


def _parse_space(cur: _Cursor) -> list[_Field]:
    t = cur.t
    cur.i += 1  # "["
    fields: list[_Field] = []
    names: set[str] = set()
    while True:
        cur.ws()
        entry_at = cur.i
        if cur.at_end():
            raise cur.err("expected ']'")
        if t.startswith("...", cur.i):
            cur.i += 3
            if any(f.kind == "ellipsis" for f in fields):
                raise cur.err("at most one '...' per pattern", entry_at)
            fields.append(_Field("ellipsis"))
        elif cur.peek() in ",]":
            fields.append(_Field("field"))
        else:
            name, expr = _parse_field_expr(cur)
            if name in names:
                raise cur.err(f"duplicate field name {name!r}", entry_at)
            names.add(name)
            fields.append(_Field("field", name, expr))
        cur.ws()
        c = cur.peek()
        if c == ",":
            cur.i += 1
            continue
        if c == "]":
            cur.i += 1
            break
        raise cur.err("expected ',' or ']'")
    cur.ws()
    if not cur.at_end():
        raise cur.err("text after the closing ']'")
    # `[]` is one empty entry: no fields at all.
    if len(fields) == 1 and fields[0].kind == "field" and fields[0].name is None:
        return []
    return fields


def _parse_name(cur: _Cursor) -> str:
    t = cur.t
    k = cur.i
    while cur.i < len(t) and t[cur.i] in _NAME:
        cur.i += 1
    if cur.i == k:
        c = cur.peek()
        if c in _TERM_BREAK_CHARS:
            raise invalid_term(c, cur.i, "field names hold letters, digits, '_' and '-'")
        raise cur.err("expected a field name")
    if cur.i < len(t) and t[cur.i] in _TERM_BREAK_CHARS - {"]", ","}:
        raise invalid_term(t[k : cur.i + 1], cur.i, "field names hold letters, digits, '_' and '-'")
    return t[k : cur.i]


def _parse_field_expr(cur: _Cursor) -> tuple[str, list[list[_Cond]] | None]:
    name = _parse_name(cur)
    cur.ws()
    if cur.peek() in (",", "]"):
        return name, None
    ors: list[list[_Cond]] = [[]]
    cname = name
    while True:
        op = cur.op()
        if op is None:
            raise cur.err("expected an operator (= != < > <= >=), ',' or ']'")
        val = cur.value(op, _SPACE_BARE, ",]&|")
        test, lits = _space_cond_test(op, val)
        ors[-1].append(_Cond(cname, test, lits, op, val))
        cur.ws()
        two = cur.peek(2)
        if two not in ("&&", "||"):
            break
        cur.i += 2
        if two == "||":
            ors.append([])
        cur.ws()
        cname = _parse_name(cur)
        cur.ws()
    return name, ors


def _bind_fields(fields: list[_Field], tokens: list[str]) -> dict[str, str] | None:
    """Bind fields to tokens: ``$name`` for named fields, ``$<1-based index>`` for unnamed / ``...`` positions.

    Without ``...``, N fields need at least N tokens and [design choice, §1.5] the last field takes the remainder,
    joined by single spaces. With ``...``, it absorbs the tokens between the leading and trailing fields.
    """
    if not fields:
        return {f"${k + 1}": tok for k, tok in enumerate(tokens)}
    out: dict[str, str] = {}
    ell = next((k for k, f in enumerate(fields) if f.kind == "ellipsis"), None)
    if ell is None:
        n = len(fields)
        if len(tokens) < n:
            return None
        values = tokens[: n - 1] + [" ".join(tokens[n - 1 :])]
        for k, (f, v) in enumerate(zip(fields, values, strict=True)):
            out[f"${f.name}" if f.name else f"${k + 1}"] = v
        return out
    before, after = fields[:ell], fields[ell + 1 :]
    if len(tokens) < len(before) + len(after):
        return None
    tail_start = len(tokens) - len(after)
    for k, f in enumerate(before):
        out[f"${f.name}" if f.name else f"${k + 1}"] = tokens[k]
    for k in range(len(before), tail_start):
        out[f"${k + 1}"] = tokens[k]
    for j, f in enumerate(after):
        k = tail_start + j
        out[f"${f.name}" if f.name else f"${k + 1}"] = tokens[k]
    return out


# One token of ``_FIELD_RE`` as an atomic group: once matched it is never re-split, so a run of these groups read
# with ``re.match`` yields exactly the first tokens ``findall`` yields (no backtracking into shorter tokens).
_TOKEN_SKIP = r'(?>[ \t\r\n]*+(?:\[[^\]]*+\]|"[^"]*+"|[^ \t\r\n]++))'
_TOKEN_TAKE = r'(?>[ \t\r\n]*+(\[[^\]]*+\]|"[^"]*+"|[^ \t\r\n]++))'


_LONG_LINE = 200  # below this the regex alone is cheaper than the str.find steps
_FIRST_NOT_BARE = frozenset(' \t\r\n["')


def _fast_space(fields: list[_Field], conds: list[list[list[_Cond]]]) -> Callable[[str], bool] | None:
    """A yes/no matcher that tokenises only up to the last field a condition reads (the filter hot path).

    Sound by construction: it reads the same tokens ``_bind_fields`` would bind to the same keys, and checks that the
    message has enough tokens. None when a condition reads a field whose value depends on the whole line (the last
    field without ``...``, the fields after ``...``, or a positional ``$N`` name): the full matcher serves those.
    """
    if not conds:
        return None
    ell = next((k for k, f in enumerate(fields) if f.kind == "ellipsis"), None)
    # Keys as _bind_fields assigns them (a later key overwrites an earlier one); None = not a fixed token.
    keys: dict[str, int | None] = {}
    if ell is None:
        min_tokens = len(fields)
        for k, f in enumerate(fields):
            keys[f"${f.name}" if f.name else f"${k + 1}"] = k if k < len(fields) - 1 else None  # last: the rest
    else:
        min_tokens = len(fields) - 1
        for k, f in enumerate(fields):
            if f.kind == "field" and f.name is not None and not f.name.isdigit():
                keys[f"${f.name}"] = k if k < ell else None  # after `...`: counted from the end
    plan: list[list[list[tuple[int, Callable[[str], bool]]]]] = []
    for ors in conds:
        alts = []
        for ands in ors:
            steps: list[tuple[int, Callable[[str], bool]]] | None = []
            for c in ands:
                key = "$" + c.name
                if key in keys:
                    k = keys[key]
                    if k is None:
                        return None
                    assert steps is not None
                    steps.append((k, c.test))
                elif ell is not None and key[1:].isdigit():
                    return None  # a position that may fall under `...`
                else:
                    steps = None  # a name no field binds: this AND-branch is false
                    break
            if steps is not None:
                alts.append(steps)
        plan.append(alts)
    if any(not alts for alts in plan):
        return lambda m: False  # some condition can never hold
    used = sorted({k for alts in plan for steps in alts for k, _ in steps})
    slot = {k: i + 1 for i, k in enumerate(used)}
    scan = max(min_tokens, used[-1] + 1)
    pieces = [_TOKEN_TAKE if k in slot else _TOKEN_SKIP for k in range(scan)]
    whole = re.compile("".join(pieces)).match
    if 0 in slot or scan < 2:
        match = whole
    else:
        # A long message (a JSON line) often opens with one long blank-free token: str.find (memchr speed) skips it,
        # and the regex reads tokens 2.. from there (same groups: the first token captures nothing). Exact: only
        # when the first token is bare and no tab/CR/LF ends it earlier; otherwise the whole regex runs.
        rest = re.compile("".join(pieces[1:])).match
        long_line = _LONG_LINE

        def match(message: str) -> re.Match[str] | None:
            if len(message) < long_line or message[0] in _FIRST_NOT_BARE:
                return whole(message)
            e = message.find(" ")
            if e < 0:
                e = len(message)
            find = message.find
            if find("\t", 0, e) >= 0 or find("\n", 0, e) >= 0 or find("\r", 0, e) >= 0:
                return whole(message)
            return rest(message, e)

    compiled = tuple(tuple(tuple((slot[k], test) for k, test in steps) for steps in alts) for alts in plan)
    single = len(compiled) == 1 and len(compiled[0]) == 1 and len(compiled[0][0]) == 1
    if single:
        (g, test), = compiled[0][0]

        def one(message: str) -> bool:
            mo = match(message)
            if mo is None:
                return False
            t = mo.group(g)
            if len(t) > 1 and ((t[0] == "[" and t[-1] == "]") or (t[0] == '"' and t[-1] == '"')):
                t = t[1:-1]
            return test(t)

        return one

    def run(message: str) -> bool:
        mo = match(message)
        if mo is None:
            return False
        toks = [
            t[1:-1] if len(t) > 1 and ((t[0] == "[" and t[-1] == "]") or (t[0] == '"' and t[-1] == '"')) else t
            for t in mo.groups()
        ]
        for alts in compiled:
            for steps in alts:
                for g, test in steps:
                    if not test(toks[g - 1]):
                        break
                else:
                    break
            else:
                return False
        return True

    return run


def _compile_space(
    fields: list[_Field],
) -> tuple[Callable[[str], dict[str, str] | None], list[str], set[str], Callable[[str], bool] | None]:
    conds: list[list[list[_Cond]]] = [f.expr for f in fields if f.expr]
    names = {f.name for f in fields if f.name}
    lits: set[str] = set()
    for ors in conds:
        alt_lits = [set().union(*(c.lits for c in ands)) for ands in ors]
        lits |= set.intersection(*alt_lits)

    def run(message: str) -> dict[str, str] | None:
        bound = _bind_fields(fields, tokenize_fields(message))
        if bound is None:
            return None
        for ors in conds:
            ok = False
            for ands in ors:
                for c in ands:
                    v = bound.get("$" + c.name)
                    # [design choice] a condition on a name no field binds is false.
                    if v is None or not c.test(v):
                        break
                else:
                    ok = True
                    break
            if not ok:
                return None
        return bound

    return run, _dedupe_literals(lits), names, _fast_space(fields, conds)


# ----------------------------------------------------------------------------------------------------------------
# The compiled pattern


class FilterPattern:
    """A compiled filter pattern. Build with :func:`compile_pattern`."""

    text: str
    kind: str
    # ``matches(message) -> bool`` is a per-instance closure specialised for the pattern (no method dispatch, no
    # per-call setup): the hot path of every local filter.
    matches: Callable[[str], bool]

    def __init__(self, text: str) -> None:
        self.text = text
        if len(text) > MAX_PATTERN_LENGTH:
            raise FilterPatternError(
                INVALID_FILTER_PATTERN, MAX_PATTERN_LENGTH, f"longer than {MAX_PATTERN_LENGTH} characters"
            )
        start = 0
        while start < len(text) and text[start] in _WS:
            start += 1
        self._lits: list[str] = []
        self._guard: str | None = None
        self._json: _JNode | None = None
        self._space: Callable[[str], dict[str, str] | None] | None = None
        self._space_names: set[str] = set()
        self._space_fast: Callable[[str], bool] | None = None
        self._space_fields: list[_Field] = []
        self._batch: Any = _MISSING
        self._term: Callable[[str], bool] | None = None
        self.literals_exact = False
        if start == len(text):
            self.kind = "all"
        elif text[start] == "{":
            self.kind = "json"
            cur = _Cursor(text, start)
            self._json = _JsonParser(cur).parse()
            self._lits = _dedupe_literals(self._json.lits)
            self._guard = "\\"
        elif text[start] == "[":
            self.kind = "space"
            self._space_fields = _parse_space(_Cursor(text, start))
            self._space, self._lits, self._space_names, self._space_fast = _compile_space(self._space_fields)
        else:
            self.kind = "term"
            terms, _ = _parse_terms(text, start)
            self._term, self._lits = _compile_terms(terms)
            # plain literal terms only: containing every required literal is the whole test
            self.literals_exact = bool(self._lits) and all(t.prefix == "" and t.regex is None for t in terms)
        self._lit_tuple = tuple(self._lits)
        self.matches = self._build_matches()

    def __repr__(self) -> str:
        return f"FilterPattern({self.text!r}, kind={self.kind!r})"

    # -- matching -----------------------------------------------------------------------------------------------
    def _prefilter(self) -> Callable[[str], bool]:
        lits, guard = self._lit_tuple, self._guard

        def ok(m: str) -> bool:
            if guard is not None and guard in m:
                return True
            for x in lits:
                if x not in m:
                    return False
            return True

        return ok

    def _build_matches(self) -> Callable[[str], bool]:
        if self.kind == "all":
            return lambda m: True
        if self._term is not None:
            return self._term  # term tests already start with the required literals
        pre = self._prefilter()
        if self._json is not None:
            jtest = self._json.test

            def json_matches(m: str) -> bool:
                if not pre(m) or m.lstrip()[:1] != "{":
                    return False
                doc = _decode_object(m)
                return doc is not None and jtest(doc)

            return json_matches
        space = self._space
        assert space is not None
        fast = self._space_fast
        lits = self._lit_tuple
        if fast is not None:
            if len(lits) == 1:
                only = lits[0]
                return lambda m: only in m and fast(m)
            if not lits:
                return fast
            return lambda m: pre(m) and fast(m)
        return lambda m: pre(m) and space(m) is not None

    def batch(self, cache: Any = None) -> Any:
        """The batch matcher of a space-delimited pattern (:class:`awsmon.engines.filterbatch.BatchMatcher`: one
        Hyperscan scan selects the matching messages of a whole NUL-joined buffer), or None where it does not apply
        (other kinds, no condition it can pre-filter on, no Hyperscan). Built once, on first use; ``cache`` (a
        ``filterbatch.DatabaseCache``) keeps its compiled database between processes."""
        if self._batch is _MISSING:
            self._batch = None
            if self.kind == "space":
                from awsmon.engines.filterbatch import build_batch

                self._batch = build_batch(self._space_fields, self.matches, cache)
        return self._batch

    def match(self, message: str) -> MatchResult | None:
        """None if ``message`` does not match, else the TestMetricFilter ``extractedValues`` for it."""
        if self.kind == "all" or self._term is not None:
            return MatchResult({}) if self.matches(message) else None
        if self._space is not None:
            if not self._prefilter()(message):
                return None
            bound = self._space(message)
            return None if bound is None else MatchResult(bound)
        doc = self._candidate_doc(message)
        if doc is None:
            return None
        assert self._json is not None
        if not self._json.test(doc):
            return None
        return MatchResult(self._json_extracted(doc))

    def _candidate_doc(self, message: str) -> dict[str, Any] | None:
        if not self._prefilter()(message) or message.lstrip()[:1] != "{":
            return None
        return _decode_object(message)

    def _json_extracted(self, doc: dict[str, Any]) -> dict[str, str]:
        """[design choice, unverified] each non-wildcard selector the pattern reads that holds a scalar, keyed by
        its selector text as written (``$.errorCode``); emulators report ``{}``, AWS is on the verify list."""
        out: dict[str, str] = {}
        assert self._json is not None
        for sel in self._json.selectors:
            if sel.wildcards or sel.text in out:
                continue
            v = sel.getter()(doc)
            if v is _MISSING:
                continue
            s = _json_text(v)
            if s is not None:
                out[sel.text] = s
        return out

    # -- pre-filter literals ------------------------------------------------------------------------------------
    def required_literals(self) -> list[str]:
        """Substrings every matching message contains verbatim (sound: never one a match could lack).

        JSON patterns return ``[]`` here because JSON escapes (``\\u0041``) can spell any character differently;
        use :meth:`guarded_literals` for them.
        """
        return [] if self._guard is not None else list(self._lits)

    def guarded_literals(self) -> GuardedLiterals:
        """Literals every matching message contains unless it contains ``unless`` (a backslash, for JSON)."""
        return GuardedLiterals(self._lit_tuple, self._guard if self._lit_tuple else None)

    # -- metric filters -----------------------------------------------------------------------------------------
    def _value_source(self, expr: str, what: str) -> Callable[[str, MatchResult, dict[str, Any] | None], Any]:
        """Resolve a metricValue / dimension expression to a getter over (message, match, decoded JSON)."""
        e = expr.strip()
        if e.startswith("$."):
            if self.kind != "json":
                raise FilterPatternError(
                    f"Invalid {what}", None, f"{expr!r}: '$.' selectors need a JSON pattern"
                )
            cur = _Cursor(e)
            sel = _parse_selector(cur)
            if cur.i != len(e) or sel.wildcards:
                raise FilterPatternError(f"Invalid {what}", None, f"{expr!r} is not a plain $.selector")
            get = sel.getter()
            return lambda m, r, doc: _MISSING if doc is None else get(doc)
        if e.startswith("$"):
            name = e[1:]
            if self.kind != "space":
                raise FilterPatternError(
                    f"Invalid {what}", None, f"{expr!r}: $name needs a space-delimited pattern"
                )
            if not (name.isdigit() and int(name) > 0) and name not in self._space_names:
                raise FilterPatternError(f"Invalid {what}", None, f"{expr!r} names no field of the pattern")
            return lambda m, r, doc: r.extracted.get(e, _MISSING)
        raise FilterPatternError(f"Invalid {what}", None, f"{expr!r} is not $.selector, $name or $N")

    def metric_value(self, message: str, value_expr: str, default: float | None = None) -> float | None:
        """The value a metric filter with ``metricValue=value_expr`` publishes for ``message``.

        ``value_expr`` is a number literal, ``$.selector`` (JSON patterns), ``$name`` or ``$N`` (space-delimited).
        Returns None when the event does not match. When it matches but the value is missing or not numeric,
        returns ``default`` — pass None to follow AWS, which publishes no datapoint then [inferred, §2]. AWS's own
        ``defaultValue`` is per minute (reported when events arrived but none matched) and belongs to the
        aggregator, not to this per-event function. Raises FilterPatternError for an invalid ``value_expr``.
        """
        e = value_expr.strip()
        if not e or len(value_expr) > MAX_METRIC_VALUE_LENGTH:
            raise FilterPatternError("Invalid metric value", None, "1..100 characters")
        literal = _to_number(e)
        if literal is not None:
            return float(literal) if self.matches(message) else None
        source = self._value_source(e, "metric value")
        r, doc = self._match_with_doc(message)
        if r is None:
            return None
        v = source(message, r, doc)
        if type(v) in (int, float):
            return float(v)
        if type(v) is str:
            num = _to_number(v.strip())
            if num is not None:
                return float(num)
        return default

    def dimension_values(self, message: str, dims: dict[str, str]) -> dict[str, str] | None:
        """Metric-filter dimension values (``{"EventType": "$.eventType"}``) for ``message``.

        None if the event does not match or [design choice] any dimension's field is missing or not a scalar.
        """
        if len(dims) > MAX_DIMENSIONS:
            raise FilterPatternError("Invalid dimensions", None, f"at most {MAX_DIMENSIONS} dimensions")
        sources = {k: self._value_source(v, "dimension") for k, v in dims.items()}
        r, doc = self._match_with_doc(message)
        if r is None:
            return None
        out: dict[str, str] = {}
        for k, src in sources.items():
            v = src(message, r, doc)
            s = None if v is _MISSING else _json_text(v)
            if s is None:
                return None
            out[k] = s
        return out

    def _match_with_doc(self, message: str) -> tuple[MatchResult | None, dict[str, Any] | None]:
        if self.kind != "json":
            return self.match(message), None
        doc = self._candidate_doc(message)
        if doc is None:
            return None, None
        assert self._json is not None
        if not self._json.test(doc):
            return None, None
        return MatchResult(self._json_extracted(doc)), doc


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> FilterPattern:
    """Parse and compile ``pattern``; raises FilterPatternError like AWS's InvalidParameterException."""
    return FilterPattern(pattern)


def test_metric_filter(pattern: str, messages: list[str]) -> list[dict[str, Any]]:
    """TestMetricFilter: the matching events as ``{"eventNumber", "eventMessage", "extractedValues"}``.

    [design choice] ``eventNumber`` is 1-based, as in the aws-cli example (the 2014 API examples are 0-based).
    """
    if not 1 <= len(messages) <= MAX_TEST_MESSAGES:
        raise FilterPatternError(
            "Invalid logEventMessages", None, f"TestMetricFilter takes 1..{MAX_TEST_MESSAGES} messages"
        )
    fp = compile_pattern(pattern)
    out: list[dict[str, Any]] = []
    for n, m in enumerate(messages, start=1):
        r = fp.match(m)
        if r is not None:
            out.append({"eventNumber": n, "eventMessage": m, "extractedValues": dict(r.extracted)})
    return out


test_metric_filter.__test__ = False  # type: ignore[attr-defined]  # not a pytest test despite its name
