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
* ``#`` comments.

Semantics (Guard's): a query that resolves to nothing fails a comparison (``!exists`` and ``empty`` pass); a failed
``when`` condition skips the rule or block. A rule is PASS, FAIL or SKIP; clauses combine as FAIL if any fails, SKIP if
all skip, PASS otherwise. ``== [list]`` against a scalar is membership, as in Guard. Not supported: regular
expressions, functions, parameterized rules, query filters ``[ ... ]``, block-on-query ``QUERY { ... }``, and custom
messages ``<< >>``. The Config result: any rule FAIL -> NON_COMPLIANT (annotation names the rules), else any PASS ->
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
class RuleRef:
    name: str
    negated: bool


@dataclass(frozen=True)
class When:
    condition: tuple[tuple[Any, ...], ...]  # CNF: AND of ORs
    body: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class Rule:
    name: str
    condition: tuple[tuple[Any, ...], ...] | None
    body: tuple[tuple[Any, ...], ...]


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
                name = self.take()
                if name.kind != "word":
                    raise self.fail(name, "a variable name")
                self.expect("=")
                nxt = self.peek()
                is_query = nxt.kind == "word" and nxt.text not in ("true", "false", "null")
                lets[name.text] = self.query() if is_query else self.value_or_query()
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

    def rule(self) -> Rule:
        name = self.take()
        if name.kind != "word":
            raise self.fail(name, "a rule name")
        cond = None
        if self.word_is(self.peek(), "when"):
            self.take()
            cond = self.conditions()
        return Rule(name.text, cond, self.block())

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

    def block(self) -> tuple[tuple[Any, ...], ...]:
        self.expect("{")
        out: list[tuple[Any, ...]] = []
        while self.peek().text != "}":
            if self.peek().kind == "eof":
                raise self.fail(self.peek(), "'}'")
            out.append(self.disjunction())
        self.expect("}")
        if not out:
            raise GuardError("an empty block: a rule or when block needs at least one clause")
        return tuple(out)

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
            return When(self.conditions(), self.block())
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


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


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


def _compare(left: Any, op: str, right: Any) -> bool:
    if op == "IN":
        return left in right if isinstance(right, list) else left == right
    if op == "==":
        if isinstance(right, list) and not isinstance(left, list):
            return left in right
        return bool(left == right)
    if op == "!=":
        if isinstance(right, list) and not isinstance(left, list):
            return left not in right
        return bool(left != right)
    if _num(left) and _num(right) or isinstance(left, str) and isinstance(right, str):
        return bool({"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op])
    return False


class _Eval:
    def __init__(self, policy: Policy, doc: Any) -> None:
        self.policy = policy
        self.doc = doc
        self.by_name = {r.name: r for r in policy.rules}
        self.done: dict[str, str] = {}

    def values(self, q: Query) -> list[Any]:
        if q.root is None:
            return resolve(self.doc, q.parts)
        bound = self.policy.lets.get(q.root)
        if bound is None:
            return []
        base = self.values(bound) if isinstance(bound, Query) else [bound]
        out: list[Any] = []
        for b in base:
            out.extend(resolve(b, q.parts))
        return out

    def rule(self, name: str) -> str:
        if name not in self.done:
            r = self.by_name[name]
            if r.condition is not None and self.cnf(r.condition) != PASS:
                self.done[name] = SKIP
            else:
                self.done[name] = self.cnf(r.body)
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
            return self.cnf(c.body) if self.cnf(c.condition) == PASS else SKIP
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


def evaluate(policy: Policy, doc: Any) -> Outcome:
    ev = _Eval(policy, doc)
    statuses = {r.name: ev.rule(r.name) for r in policy.rules}
    failed = [n for n, s in statuses.items() if s == FAIL]
    if failed:
        return Outcome("NON_COMPLIANT", statuses, f"Guard rule(s) failed: {', '.join(failed)}"[:256])
    if PASS in statuses.values():
        return Outcome("COMPLIANT", statuses, None)
    return Outcome("NOT_APPLICABLE", statuses, None)
