"""The search-expression syntax of metric math ``SEARCH(' {Namespace, Dim...} terms ', 'Stat', Period)``.

Subset of AWS's ``search-expression-syntax`` [spec metrics-alarms.md §2.5]: an optional schema in braces (namespace
and the exact set of dimension names; names with special characters double-quoted), then search terms: bare tokens,
``"quoted phrases"``, ``Property=value`` designators (``MetricName=``, ``Namespace=``, or a dimension name), the
boolean operators ``AND``/``OR``/``NOT`` and parentheses; adjacent terms are ANDed.

Token matching [doc]: every name is split into tokens at camel case, digits and delimiters and lowercased
(``CustomCount1`` -> ``customcount1, custom, count, 1``); a bare term matches a metric when it equals (case-
insensitively) one token of its namespace, metric name, dimension names or values. A quoted phrase must equal a
whole name or value exactly (case-sensitive). ``Property=value`` tests only that property.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from awsmon.engines.stats import CloudWatchError

__all__ = ["SearchQuery", "matches", "parse_search", "tokens"]

MAX_QUERY_CHARS = 1024
_TOK = re.compile(r'\s*(?:(?P<q>"(?:[^"\\]|\\.)*")|(?P<op>[(){},=])|(?P<w>[^\s(){},="]+))')


def _error(message: str) -> CloudWatchError:
    return CloudWatchError("ValidationError", message)


def tokens(name: str) -> set[str]:
    """AWS's tokens of a name: the whole (lowercased) plus its parts at camel case, digits and delimiters."""
    parts = re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", name)
    out = {p.lower() for p in parts}
    out.update(w.lower() for w in re.split(r"[^A-Za-z0-9]+", name) if w)
    out.add(name.lower())
    return out


@dataclass(frozen=True)
class Term:
    prop: str | None  # None: any property
    value: str
    exact: bool  # a quoted phrase


@dataclass(frozen=True)
class Not:
    inner: Node


@dataclass(frozen=True)
class Bool:
    op: str
    left: Node
    right: Node


Node = Term | Not | Bool


@dataclass(frozen=True)
class SearchQuery:
    namespace: str | None
    schema_dims: tuple[str, ...] | None
    terms: Node | None


def _unq(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1]) if text.startswith('"') else text


def parse_search(text: str) -> SearchQuery:
    if len(text) > MAX_QUERY_CHARS:
        raise _error(f"The search expression must be at most {MAX_QUERY_CHARS} characters long.")
    toks: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text) and text[pos:].strip():
        m = _TOK.match(text, pos)
        if m is None:
            raise _error(f"Invalid search expression at position {pos + 1}.")
        kind = m.lastgroup or "w"
        toks.append((kind, m.group(kind)))
        pos = m.end()
    toks.append(("end", ""))
    i = 0
    namespace: str | None = None
    dims: tuple[str, ...] | None = None
    if toks[0] == ("op", "{"):
        names: list[str] = []
        i = 1
        while True:
            kind, val = toks[i]
            if kind not in ("w", "q"):
                raise _error("Invalid search expression: expected a namespace or dimension name in the schema.")
            names.append(_unq(val))
            i += 1
            if toks[i] == ("op", ","):
                i += 1
                continue
            if toks[i] == ("op", "}"):
                i += 1
                break
            raise _error("Invalid search expression: the schema must end with '}'.")
        namespace, dims = names[0], tuple(names[1:])

    def peek() -> tuple[str, str]:
        return toks[i]

    def take() -> tuple[str, str]:
        nonlocal i
        i += 1
        return toks[i - 1]

    def disj() -> Node:
        node = conj()
        while peek() == ("w", "OR"):
            take()
            node = Bool("OR", node, conj())
        return node

    def conj() -> Node:
        node = unary()
        while peek()[0] in ("w", "q") and peek()[1] != "OR" or peek() == ("op", "("):
            if peek() == ("w", "AND"):
                take()
            node = Bool("AND", node, unary())
        return node

    def unary() -> Node:
        if peek() == ("w", "NOT"):
            take()
            return Not(unary())
        if peek() == ("op", "("):
            take()
            node = disj()
            if take() != ("op", ")"):
                raise _error("Invalid search expression: unbalanced parentheses.")
            return node
        kind, val = take()
        if kind not in ("w", "q") or val in ("AND", "OR"):
            raise _error(f"Invalid search expression: unexpected {val or 'end of expression'!r}.")
        if peek() == ("op", "="):
            take()
            vk, vv = take()
            if vk not in ("w", "q"):
                raise _error(f"Invalid search expression: {_unq(val)}= needs a value.")
            return Term(_unq(val), _unq(vv), vk == "q")
        return Term(None, _unq(val), kind == "q")

    terms = None if peek()[0] == "end" else disj()
    if peek()[0] != "end":
        raise _error(f"Invalid search expression: unexpected {peek()[1]!r}.")
    return SearchQuery(namespace, dims, terms)


def _term(t: Term, props: Mapping[str, list[str]]) -> bool:
    values = [v for vs in props.values() for v in vs] if t.prop is None else props.get(t.prop, [])
    if t.exact:
        return t.value in values
    want = t.value.lower()
    return any(want in tokens(v) for v in values)


def matches(q: SearchQuery, namespace: str, metric_name: str, dims: Mapping[str, str]) -> bool:
    if q.namespace is not None and (namespace != q.namespace or set(dims) != set(q.schema_dims or ())):
        return False
    props: dict[str, list[str]] = {"Namespace": [namespace], "MetricName": [metric_name]}
    for k, v in dims.items():
        props.setdefault(k, []).append(v)
    props[" names"] = list(dims)

    def ev(node: Node | None) -> bool:
        if node is None:
            return True
        if isinstance(node, Term):
            return _term(node, props)
        if isinstance(node, Not):
            return not ev(node.inner)
        return (ev(node.left) and ev(node.right)) if node.op == "AND" else (ev(node.left) or ev(node.right))

    return ev(q.terms)
