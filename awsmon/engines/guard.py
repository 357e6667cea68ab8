"""A documented subset of AWS CloudFormation Guard 2 for AWS Config custom policy rules (Owner CUSTOM_POLICY).

Pure: ``parse(text) -> Policy`` (raises :class:`GuardError` with line and column) and
``evaluate(policy, document) -> Outcome``. The document is the configuration item as AWS Config hands it to Guard
(``resourceType``, ``resourceId``, ``configuration``, ``supplementaryConfiguration``, ``tags`` ...).

Supported (Guard 2 syntax):

* ``rule NAME [when CONDITIONS] { CLAUSES }``; rules are evaluated in order, a rule may name another rule as a clause
  (``NAME`` / ``not NAME``), cycles are refused at parse time;
* ``let NAME = QUERY | LITERAL`` at top level, used as ``%NAME`` (a query root or a right-hand value);
* clauses, one per line, ANDed; ``or`` / ``OR`` between two clauses makes a disjunction (binds tighter than AND);
* ``QUERY OP VALUE`` with ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``IN`` / ``not IN`` / ``!IN``; ``QUERY exists``,
  ``QUERY empty`` (each with ``not`` / ``!``); ``is_string``, ``is_list``, ``is_struct``, ``is_bool``, ``is_int``;
* ``some QUERY ...``: at least one value must satisfy (default: every value);
* ``when CONDITIONS { CLAUSES }`` blocks inside a rule;
* queries: dotted keys (``configuration.tableStatus``), ``[*]`` / ``*`` (every element / value), ``[N]``, quoted keys;
* values: strings ('..' or ".."), integers, floats, ``true`` / ``false`` / ``null``, lists ``[...]`` and maps ``{k: v}``;
* ``/regex/`` values (Rust regex syntax: classes, ``\\d \\w \\s``, groups ``( )`` / ``(?: )`` / ``(?P<n> )``,
  alternation, ``* + ? {m,n}``, ``^ $``; no flags or look-around), matched anywhere in a string on the linear-time
  automaton of ``awsmon.engines.lregex`` (never Python's backtracking ``re``): ``== /re/``, ``!= /re/``,
  ``IN [/re/, 'literal', ...]``; a regex never matches a non-string;
* ``let`` inside rule and ``when`` blocks (scoped to the block), and the built-in functions of Guard 3
  (cfn-guard docs/FUNCTIONS.md), only as the value of a ``let`` as Guard requires: ``count``, ``json_parse``,
  ``regex_replace`` (``$1`` / ``${1}`` groups, via a Pike VM on the same automaton), ``join``, ``to_lower``,
  ``to_upper``, ``substring`` (out-of-range strings skipped), ``url_decode``, ``parse_int``, ``parse_float``,
  ``parse_string``, ``parse_boolean``, ``parse_char``. Where Guard stops with an error (a string that is not a number
  for ``parse_int``, a bad regex from a variable) the value is skipped instead, so the clauses over it fail;
* ``#`` comments.

Semantics (Guard's): a query that resolves to nothing fails a comparison (``!exists`` and ``empty`` pass); a failed
``when`` condition skips the rule or block. A rule is PASS, FAIL or SKIP; clauses combine as FAIL if any fails, SKIP if
all skip, PASS otherwise. ``== [list]`` against a scalar is membership, as in Guard. Not supported: parameterized
rules, query filters ``[ ... ]``, block-on-query ``QUERY { ... }``, custom messages ``<< >>``, a literal on the left
of an operator, and the date functions (``now``, ``parse_epoch``). The Config result: any rule FAIL -> NON_COMPLIANT (annotation names the rules), else any PASS ->
COMPLIANT, else NOT_APPLICABLE.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

PASS, FAIL, SKIP = "PASS", "FAIL", "SKIP"
MAX_TEXT = 10_000  # PolicyText limit in the Config API model


class GuardError(ValueError):
    """A policy Guard cannot parse; the message names the line and column."""


@dataclass(frozen=True)
class Query:
    root: str | None  # a %variable name, else None (the document)
    parts: tuple[Any, ...]  # str keys, int indexes, "*" for every element


@dataclass(frozen=True)
class Compare:
    query: Query
    op: str  # ==, !=, <, <=, >, >=, IN, exists, empty, is_string ...
    negated: bool
    value: Any = None  # literal, or a Query (%var)
    some: bool = False


@dataclass(frozen=True)
class Pattern:
    """A ``/regex/`` value (Rust regex syntax, matched anywhere in a string) on the linear-time automaton of
    ``awsmon.engines.lregex``."""

    source: str
    rx: Any = field(compare=False, repr=False)

    def matches(self, value: Any) -> bool:
        return isinstance(value, str) and bool(self.rx.search(value))


@dataclass(frozen=True)
class Call:
    """A built-in function call, allowed (as in Guard) only as the value of a ``let``."""

    name: str
    args: tuple[Any, ...]  # Query, literal or Pattern


# name -> (min args, max args)
FUNCTIONS = {"count": (1, 1), "json_parse": (1, 1), "regex_replace": (3, 3), "join": (2, 2), "to_lower": (1, 1),
             "to_upper": (1, 1), "substring": (3, 3), "url_decode": (1, 1), "parse_int": (1, 1),
             "parse_float": (1, 1), "parse_string": (1, 1), "parse_boolean": (1, 1), "parse_char": (1, 1)}  # fmt: skip


@dataclass(frozen=True)
class RuleRef:
    name: str
    negated: bool


@dataclass(frozen=True)
class When:
    condition: tuple[tuple[Any, ...], ...]  # CNF: AND of ORs
    body: tuple[tuple[Any, ...], ...]
    lets: tuple[tuple[str, Any], ...] = ()  # the block's own ``let``s (scoped to it)


@dataclass(frozen=True)
class Rule:
    name: str
    condition: tuple[tuple[Any, ...], ...] | None
    body: tuple[tuple[Any, ...], ...]
    lets: tuple[tuple[str, Any], ...] = ()


@dataclass
class Policy:
    rules: list[Rule]
    lets: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    compliance: str  # COMPLIANT | NON_COMPLIANT | NOT_APPLICABLE
    rules: dict[str, str]  # rule name -> PASS | FAIL | SKIP
    annotation: str | None


_TOKEN = re.compile(r"""
    (?P<ws>[ \t\r]+) | (?P<comment>\#[^\n]*) | (?P<nl>\n)
  | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<regex>/(?:[^/\\\n]|\\.)*/)
  | (?P<num>-?\d+(?:\.\d+)?(?![\w.]))
  | (?P<op>==|!=|<=|>=|<|>|\|OR\||[{}\[\](),:=.*!%])
  | (?P<word>[A-Za-z_][A-Za-z0-9_\-]*)
""", re.VERBOSE)  # fmt: skip

_UNARY = ("exists", "empty", "is_string", "is_list", "is_struct", "is_bool", "is_int")
_BINARY = ("==", "!=", "<", "<=", ">", ">=")


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    line: int
    col: int


def _tokens(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos, line, start = 0, 1, 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise GuardError(f"line {line}, column {pos - start + 1}: unexpected character {text[pos]!r}")
        kind = m.lastgroup or ""
        if kind == "nl":
            out.append(_Tok("nl", "\n", line, pos - start + 1))
            line, start = line + 1, m.end()
        elif kind not in ("ws", "comment"):
            out.append(_Tok(kind, m.group(), line, pos - start + 1))
        pos = m.end()
    out.append(_Tok("eof", "", line, pos - start + 1))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self, skip_nl: bool = True) -> _Tok:
        j = self.i
        while skip_nl and self.toks[j].kind == "nl":
            j += 1
        return self.toks[j]

    def take(self, skip_nl: bool = True) -> _Tok:
        while skip_nl and self.toks[self.i].kind == "nl":
            self.i += 1
        tok = self.toks[self.i]
        if tok.kind != "eof":
            self.i += 1
        return tok

    def fail(self, tok: _Tok, expected: str) -> GuardError:
        shown = "end of policy" if tok.kind == "eof" else repr(tok.text)
        return GuardError(f"line {tok.line}, column {tok.col}: expected {expected}, found {shown}")

    def expect(self, text: str) -> _Tok:
        tok = self.take()
        if tok.text != text:
            raise self.fail(tok, repr(text))
        return tok

    def word_is(self, tok: _Tok, *words: str) -> bool:
        return tok.kind in ("word", "op") and tok.text in words

    # -- top level
    def policy(self) -> Policy:
        rules: list[Rule] = []
        lets: dict[str, Any] = {}
        while self.peek().kind != "eof":
            tok = self.take()
            if self.word_is(tok, "let"):
                name, bound = self.let()
                lets[name] = bound
            elif self.word_is(tok, "rule"):
                rules.append(self.rule())
            else:
                raise self.fail(tok, "'rule' or 'let'")
        if not rules:
            raise GuardError("the policy has no rule: write rule NAME { ... }")
        names = [r.name for r in rules]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise GuardError(f"rule {sorted(dup)[0]} is defined twice")
        _check_refs(rules)
        return Policy(rules, lets)

    def let(self) -> tuple[str, Any]:
        """``let NAME = QUERY | LITERAL | /regex/ | FUNCTION(ARGS)`` (after the ``let``)."""
        name = self.take()
        if name.kind != "word":
            raise self.fail(name, "a variable name")
        self.expect("=")
        nxt = self.peek()
        if nxt.kind == "word" and self.toks[self._index_of(nxt) + 1].text == "(":
            return name.text, self.call()
        is_query = nxt.kind == "word" and nxt.text not in ("true", "false", "null")
        return name.text, self.query() if is_query else self.value_or_query()

    def _index_of(self, tok: _Tok) -> int:
        j = self.i
        while self.toks[j] is not tok:
            j += 1
        return j

    def call(self) -> Call:
        fn = self.take()
        if fn.text not in FUNCTIONS:
            raise GuardError(f"line {fn.line}, column {fn.col}: unknown function {fn.text}() (supported: "
                             f"{', '.join(sorted(FUNCTIONS))})")  # fmt: skip
        self.expect("(")
        args: list[Any] = []
        while self.peek().text != ")":
            nxt = self.peek()
            is_query = nxt.kind == "word" and nxt.text not in ("true", "false", "null")
            args.append(self.query() if is_query else self.value_or_query())
            if self.peek().text == ",":
                self.take()
            elif self.peek().text != ")":
                raise self.fail(self.peek(), "',' or ')'")
        self.take()
        lo, hi = FUNCTIONS[fn.text]
        if not lo <= len(args) <= hi:
            raise GuardError(f"line {fn.line}, column {fn.col}: {fn.text}() takes {lo} argument{'s' if lo > 1 else ''}, "
                             f"got {len(args)}")  # fmt: skip
        if fn.text == "regex_replace" and isinstance(args[1], str):
            _pattern(args[1], fn)  # a literal regex is checked now; one from a variable when it is used
        return Call(fn.text, tuple(args))

    def rule(self) -> Rule:
        name = self.take()
        if name.kind != "word":
            raise self.fail(name, "a rule name")
        cond = None
        if self.word_is(self.peek(), "when"):
            self.take()
            cond = self.conditions()
        body, lets = self.block()
        return Rule(name.text, cond, body, lets)

    def conditions(self) -> tuple[tuple[Any, ...], ...]:
        """Clauses until '{': one per line, ANDed."""
        out: list[tuple[Any, ...]] = []
        while self.peek().text != "{":
            if self.peek().kind == "eof":
                raise self.fail(self.peek(), "'{'")
            out.append(self.disjunction())
        if not out:
            raise self.fail(self.peek(), "a condition after 'when'")
        return tuple(out)

    def block(self) -> tuple[tuple[tuple[Any, ...], ...], tuple[tuple[str, Any], ...]]:
        """Clauses and ``let``s of a ``{ }`` block (a block's lets are visible in it and the blocks it holds)."""
        self.expect("{")
        out: list[tuple[Any, ...]] = []
        lets: list[tuple[str, Any]] = []
        while self.peek().text != "}":
            if self.peek().kind == "eof":
                raise self.fail(self.peek(), "'}'")
            if self.word_is(self.peek(), "let"):
                self.take()
                lets.append(self.let())
                continue
            out.append(self.disjunction())
        self.expect("}")
        if not out:
            raise GuardError("an empty block: a rule or when block needs at least one clause")
        return tuple(out), tuple(lets)

    def disjunction(self) -> tuple[Any, ...]:
        items = [self.clause()]
        while self.word_is(self.peek(), "or", "OR", "|OR|"):
            self.take()
            items.append(self.clause())
        return tuple(items)

    def clause(self) -> Any:
        tok = self.peek()
        if self.word_is(tok, "when"):
            self.take()
            cond = self.conditions()
            body, lets = self.block()
            return When(cond, body, lets)
        negated = False
        some = False
        if self.word_is(tok, "some"):
            self.take()
            some = True
        elif self.word_is(tok, "not", "!"):
            # "not rule_name" / "!rule_name"
            save = self.i
            self.take()
            nxt = self.peek()
            if nxt.kind == "word" and self._ends_clause(self.i + 1):
                self.take()
                return RuleRef(nxt.text, True)
            self.i = save
            raise self.fail(tok, "a query (negate the operator instead: 'not exists', '!=', 'not IN')")
        query = self.query()
        # A bare word on its own line is a rule reference.
        if query.root is None and len(query.parts) == 1 and isinstance(query.parts[0], str) and self._at_clause_end():
            if not some:
                return RuleRef(query.parts[0], False)
        op_tok = self.take(skip_nl=False)
        if self.word_is(op_tok, "not", "!"):
            negated = True
            op_tok = self.take(skip_nl=False)
        op = op_tok.text
        if op in _UNARY:
            return Compare(query, op, negated, None, some)
        if op in ("IN", "in"):
            return Compare(query, "IN", negated, self.value_or_query(), some)
        if op in _BINARY and not negated:
            return Compare(query, op, False, self.value_or_query(), some)
        raise self.fail(op_tok, "an operator (==, !=, <, <=, >, >=, IN, exists, empty)")

    def _ends_clause(self, j: int) -> bool:
        tok = self.toks[j]
        return tok.kind in ("nl", "eof") or tok.text in ("{", "}", "or", "OR", "|OR|")

    def _at_clause_end(self) -> bool:
        return self._ends_clause(self.i)

    def query(self) -> Query:
        tok = self.take()
        root = None
        parts: list[Any] = []
        if tok.text == "%":
            name = self.take(skip_nl=False)
            if name.kind != "word":
                raise self.fail(name, "a variable name after '%'")
            root = name.text
        elif tok.kind == "word":
            parts.append(tok.text)
        elif tok.kind == "str":
            parts.append(_unquote(tok.text))
        elif tok.text == "*":
            parts.append("*")
        else:
            raise self.fail(tok, "a query such as configuration.name")
        while True:
            nxt = self.toks[self.i]
            if nxt.text == ".":
                self.i += 1
                key = self.toks[self.i]
                self.i += 1
                if key.kind == "word" or key.kind == "num" and key.text.isdigit():
                    parts.append(key.text)
                elif key.kind == "str":
                    parts.append(_unquote(key.text))
                elif key.text == "*":
                    parts.append("*")
                else:
                    raise self.fail(key, "a key after '.'")
            elif nxt.text == "[":
                self.i += 1
                inner = self.toks[self.i]
                self.i += 1
                if inner.text == "*":
                    parts.append("*")
                elif inner.kind == "num" and inner.text.lstrip("-").isdigit():
                    parts.append(int(inner.text))
                elif inner.kind == "str":
                    parts.append(_unquote(inner.text))
                else:
                    raise self.fail(inner, "'*', an index or a quoted key inside [ ] (filters are not supported)")
                close = self.toks[self.i]
                self.i += 1
                if close.text != "]":
                    raise self.fail(close, "']'")
            else:
                return Query(root, tuple(parts))

    def value_or_query(self) -> Any:
        tok = self.peek()
        if tok.text == "%":
            return self.query()
        return self.value()

    def value(self) -> Any:
        tok = self.take()
        if tok.kind == "regex":
            return _pattern(tok.text[1:-1].replace("\\/", "/"), tok)
        if tok.kind == "str":
            return _unquote(tok.text)
        if tok.kind == "num":
            return float(tok.text) if "." in tok.text else int(tok.text)
        if tok.kind == "word" and tok.text in ("true", "false"):
            return tok.text == "true"
        if tok.kind == "word" and tok.text == "null":
            return None
        if tok.text == "[":
            items: list[Any] = []
            while self.peek().text != "]":
                items.append(self.value())
                if self.peek().text == ",":
                    self.take()
                elif self.peek().text != "]":
                    raise self.fail(self.peek(), "',' or ']'")
            self.take()
            return items
        if tok.text == "{":
            obj: dict[str, Any] = {}
            while self.peek().text != "}":
                key = self.take()
                if key.kind not in ("str", "word"):
                    raise self.fail(key, "a key")
                self.expect(":")
                obj[_unquote(key.text) if key.kind == "str" else key.text] = self.value()
                if self.peek().text == ",":
                    self.take()
                elif self.peek().text != "}":
                    raise self.fail(self.peek(), "',' or '}'")
            self.take()
            return obj
        raise self.fail(tok, "a value (string, number, true, false, null, list or map)")


def _pattern(source: str, tok: _Tok) -> Pattern:
    from awsmon.engines.filterpattern_errors import FilterPatternError
    from awsmon.engines.lregex import compile_general

    try:
        return Pattern(source, compile_general(source))
    except FilterPatternError as exc:
        detail = (exc.detail or exc.message).removeprefix("regex: ")
        raise GuardError(f"line {tok.line}, column {tok.col}: invalid regular expression /{source}/: {detail}") from None


def _unquote(text: str) -> str:
    """A quoted string's text: only an escaped quote loses its backslash (``"\\w"`` stays a regex's ``\\w``, as in
    Guard's own documented regex_replace example)."""
    quote, body = text[0], text[1:-1]
    return body.replace("\\" + quote, quote)


def _refs(clauses: tuple[tuple[Any, ...], ...] | None) -> set[str]:
    out: set[str] = set()
    for dis in clauses or ():
        for c in dis:
            if isinstance(c, RuleRef):
                out.add(c.name)
            elif isinstance(c, When):
                out |= _refs(c.condition) | _refs(c.body)
    return out


def _check_refs(rules: list[Rule]) -> None:
    names = {r.name for r in rules}
    graph = {r.name: _refs(r.condition) | _refs(r.body) for r in rules}
    for name, refs in graph.items():
        for ref in refs:
            if ref not in names:
                raise GuardError(f"rule {name} refers to rule {ref}, which is not defined")
    state: dict[str, int] = {}

    def visit(n: str) -> None:
        if state.get(n) == 1:
            raise GuardError(f"rule {n} refers to itself through other rules")
        if state.get(n) == 2:
            return
        state[n] = 1
        for m in graph[n]:
            visit(m)
        state[n] = 2

    for n in graph:
        visit(n)


def parse(text: str) -> Policy:
    if not isinstance(text, str) or not text.strip():
        raise GuardError("the policy text is empty")
    if len(text) > MAX_TEXT:
        raise GuardError(f"the policy text is longer than {MAX_TEXT} characters")
    return _Parser(text).policy()


# -- evaluation -------------------------------------------------------------------------------------------------------


def resolve(doc: Any, parts: tuple[Any, ...]) -> list[Any]:
    """Every value a query reaches (empty when a key is missing)."""
    values = [doc]
    for part in parts:
        nxt: list[Any] = []
        for v in values:
            if part == "*":
                if isinstance(v, list):
                    nxt.extend(v)
                elif isinstance(v, dict):
                    nxt.extend(v.values())
            elif isinstance(part, int):
                if isinstance(v, list) and -len(v) <= part < len(v):
                    nxt.append(v[part])
            elif isinstance(v, dict) and part in v:
                nxt.append(v[part])
            elif isinstance(v, list) and part.isdigit() and int(part) < len(v):
                nxt.append(v[int(part)])
        values = nxt
    return values


def _num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _eq(left: Any, right: Any) -> bool:
    """Equality, where a /regex/ on the right matches a string anywhere (Guard's ``== /re/``)."""
    if isinstance(right, Pattern):
        return right.matches(left)
    return bool(left == right)


def _member(left: Any, items: list[Any]) -> bool:
    return any(_eq(left, item) for item in items)


def _compare(left: Any, op: str, right: Any) -> bool:
    if op == "IN":
        return _member(left, right) if isinstance(right, list) else _eq(left, right)
    if op == "==":
        if isinstance(right, list) and not isinstance(left, list):
            return _member(left, right)
        return _eq(left, right)
    if op == "!=":
        if isinstance(right, list) and not isinstance(left, list):
            return not _member(left, right)
        return not _eq(left, right)
    if _num(left) and _num(right) or isinstance(left, str) and isinstance(right, str):
        return bool({"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op])
    return False


class _Eval:
    def __init__(self, policy: Policy, doc: Any) -> None:
        self.policy = policy
        self.doc = doc
        self.by_name = {r.name: r for r in policy.rules}
        self.done: dict[str, str] = {}
        self.scopes: list[dict[str, Any]] = [dict(policy.lets)]  # innermost last

    def bound(self, name: str) -> tuple[bool, Any]:
        for scope in reversed(self.scopes):
            if name in scope:
                return True, scope[name]
        return False, None

    def values(self, q: Query) -> list[Any]:
        if q.root is None:
            return resolve(self.doc, q.parts)
        found, bound = self.bound(q.root)
        if not found or bound is None:
            return []
        if isinstance(bound, Query):
            base = self.values(bound)
        elif isinstance(bound, Call):
            base = self.call(bound)
        else:
            base = [bound]
        out: list[Any] = []
        for b in base:
            out.extend(resolve(b, q.parts))
        return out

    def arg(self, a: Any) -> list[Any]:
        if isinstance(a, Query):
            return self.values(a)
        return [a]

    def call(self, c: Call) -> list[Any]:
        """A built-in function's values (Guard 3 FUNCTIONS.md): string functions map each string the first argument
        resolves to (other values are skipped); a value a converter cannot convert is skipped [design choice: Guard
        stops with an error]."""
        return _call(c.name, [self.arg(a) for a in c.args])

    def scoped(self, lets: tuple[tuple[str, Any], ...], fn: Any) -> str:
        if not lets:
            return str(fn())
        # A block's lets are evaluated when used, in the block's scope (later lets may use earlier ones).
        self.scopes.append(dict(lets))
        try:
            return str(fn())
        finally:
            self.scopes.pop()

    def rule(self, name: str) -> str:
        if name not in self.done:
            r = self.by_name[name]
            saved, self.scopes = self.scopes, self.scopes[:1]  # a referenced rule sees only the policy's lets
            try:
                if r.condition is not None and self.cnf(r.condition) != PASS:
                    self.done[name] = SKIP
                else:
                    self.done[name] = self.scoped(r.lets, lambda: self.cnf(r.body))
            finally:
                self.scopes = saved
        return self.done[name]

    def cnf(self, clauses: tuple[tuple[Any, ...], ...]) -> str:
        results = [self.dis(d) for d in clauses]
        if FAIL in results:
            return FAIL
        return SKIP if all(r == SKIP for r in results) else PASS

    def dis(self, items: tuple[Any, ...]) -> str:
        results = [self.clause(c) for c in items]
        if PASS in results:
            return PASS
        return SKIP if all(r == SKIP for r in results) else FAIL

    def clause(self, c: Any) -> str:
        if isinstance(c, RuleRef):
            status = self.rule(c.name)
            if c.negated and status != SKIP:
                return FAIL if status == PASS else PASS
            return status
        if isinstance(c, When):
            return self.scoped(c.lets, lambda: self.cnf(c.body)) if self.cnf(c.condition) == PASS else SKIP
        return PASS if self.compare(c) else FAIL

    def compare(self, c: Compare) -> bool:
        values = self.values(c.query)
        if c.op == "exists":
            return bool(values) != c.negated
        if c.op == "empty":
            is_empty = not values or all(v in ([], {}, "", None) for v in values)
            return is_empty != c.negated
        if not values:
            return False
        if c.op.startswith("is_"):
            check = {"is_string": lambda v: isinstance(v, str), "is_list": lambda v: isinstance(v, list),
                     "is_struct": lambda v: isinstance(v, dict), "is_bool": lambda v: isinstance(v, bool),
                     "is_int": lambda v: isinstance(v, int) and not isinstance(v, bool)}[c.op]  # fmt: skip
            oks = [check(v) != c.negated for v in values]
        else:
            right = c.value
            if isinstance(right, Query):
                rv = self.values(right)
                right = rv if len(rv) != 1 or c.op == "IN" else rv[0]
            oks = [_compare(v, c.op, right) != c.negated for v in values]
        return any(oks) if c.some else all(oks)


def _strings(values: list[Any]) -> list[str]:
    return [v for v in values if isinstance(v, str)]


def _replacement(template: str, slots: list[int | None], text: str) -> str:
    """Rust regex's replacement syntax: ``$N`` / ``${N}`` a capture group (``$name`` of an unknown name: empty),
    ``$$`` a dollar sign."""
    import re

    def group(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1) or m.group(2)
        if not name.isdigit() or 2 * int(name) + 1 >= len(slots):
            return ""
        a, b = slots[2 * int(name)], slots[2 * int(name) + 1]
        return "" if a is None or b is None else text[a:b]

    return re.sub(r"\$\$|\$\{([^}]*)\}|\$([_0-9A-Za-z]+)", group, template)


def _replace_all(rx: Any, text: str, template: str) -> str:
    out: list[str] = []
    pos = last = 0
    while pos <= len(text):
        slots = rx.find(text, pos)
        if slots is None:
            break
        start, end = slots[0], slots[1]
        out.append(text[last:start])
        out.append(_replacement(template, slots, text))
        last = end
        pos = end if end > start else end + 1
    out.append(text[last:])
    return "".join(out)


def _parse_num(v: Any, kind: type) -> Any:
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return kind(v)
    if isinstance(v, str):
        try:
            return kind(float(v)) if kind is int and "." in v else kind(v)
        except ValueError:
            return None
    return None


def _call(name: str, args: list[list[Any]]) -> list[Any]:
    from urllib.parse import unquote

    first = args[0]
    if name == "count":
        return [len(first)]
    if name == "join":
        delim = _strings(args[1])
        return [delim[0].join(_strings(first))] if delim else []
    if name == "to_lower":
        return [v.lower() for v in _strings(first)]
    if name == "to_upper":
        return [v.upper() for v in _strings(first)]
    if name == "url_decode":
        return [unquote(v) for v in _strings(first)]
    if name == "json_parse":
        import json

        out = []
        for v in _strings(first):
            try:
                out.append(json.loads(v))
            except ValueError:
                continue
        return out
    if name == "substring":
        lo, hi = (a[0] if len(a) == 1 and isinstance(a[0], int) and not isinstance(a[0], bool) else None for a in args[1:])
        if lo is None or hi is None:
            return []
        return [v[lo:hi] for v in _strings(first) if 0 <= lo <= hi <= len(v)]
    if name == "regex_replace":
        extract, template = _strings(args[1]), _strings(args[2])
        if not extract or not template:
            return []
        pats = [a for a in args[1] if isinstance(a, Pattern)]
        if pats:
            rx = pats[0].rx
        else:
            from awsmon.engines.filterpattern_errors import FilterPatternError
            from awsmon.engines.lregex import compile_general

            try:
                rx = compile_general(extract[0])
            except FilterPatternError:
                return []  # Guard stops with an error; the clauses over the result then fail
        return [_replace_all(rx, v, template[0]) for v in _strings(first)]
    if name == "parse_int":
        return [n for n in (_parse_num(v, int) for v in first) if n is not None]
    if name == "parse_float":
        return [n for n in (_parse_num(v, float) for v in first) if n is not None]
    if name == "parse_string":
        return [("true" if v else "false") if isinstance(v, bool) else str(v)
                for v in first if isinstance(v, bool | int | float | str)]  # fmt: skip
    if name == "parse_boolean":
        return [v if isinstance(v, bool) else v.lower() == "true" for v in first
                if isinstance(v, bool) or isinstance(v, str) and v.lower() in ("true", "false")]  # fmt: skip
    if name == "parse_char":
        out = []
        for v in first:
            if isinstance(v, str) and len(v) == 1:
                out.append(v)
            elif isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 9:
                out.append(str(v))
        return out
    raise AssertionError(name)  # the parser accepts only FUNCTIONS


def evaluate(policy: Policy, doc: Any) -> Outcome:
    ev = _Eval(policy, doc)
    statuses = {r.name: ev.rule(r.name) for r in policy.rules}
    failed = [n for n, s in statuses.items() if s == FAIL]
    if failed:
        return Outcome("NON_COMPLIANT", statuses, f"Guard rule(s) failed: {', '.join(failed)}"[:256])
    if PASS in statuses.values():
        return Outcome("COMPLIANT", statuses, None)
    return Outcome("NOT_APPLICABLE", statuses, None)
