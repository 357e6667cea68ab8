"""Composite-alarm AlarmRule grammar, evaluation, reasons and ActionsSuppressor logic (spec §3.11).

Grammar (EBNF)::

    rule     = or_expr ;            or_expr = and_expr { "OR" and_expr } ;   and_expr = not_expr { "AND" not_expr } ;
    not_expr = "NOT" not_expr | primary ;
    primary  = "TRUE" | "FALSE" | state "(" ref ")" | at_least | "(" rule ")" ;
    state    = "ALARM" | "OK" | "INSUFFICIENT_DATA" ;
    at_least = "AT_LEAST" "(" threshold "," [ "NOT" ] state "," "(" ref { "," ref } ")" ")" ;
    threshold = integer | integer "%" ;  ref = quoted | bare ;

Design choices ([design choice], see docs/metrics-alarms.md):
* precedence NOT > AND > OR (AWS documents none; corpus CR-12); keywords are case-sensitive (uppercase);
* quoted references use ``\\"`` and ``\\\\`` escapes; bare references are runs of characters other than whitespace,
  ``(``, ``)``, ``,`` and ``"``;
* the element count (limit 500) counts every alarm reference, TRUE/FALSE and every grouping parenthesis pair;
* parentheses and NOTs may nest at most 100 levels in total (keeps the recursive parser, evaluator and printer
  within Python's stack);
* an AT_LEAST count threshold must be 1..number of listed alarms, a percentage 1..100;
* a reference to an alarm absent from ``child_states`` is an error (corpus CR-20), after trying ARN <-> name;
* error texts: ``ValidationError`` "Invalid AlarmRule: <detail> at position <n>." (AWS publishes none); limits use
  ``LimitExceeded``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Union

from awsmon.engines.alarm_eval import format_aws_date, format_iso
from awsmon.engines.stats import CloudWatchError
from awsmon.engines.tokens import Tok as _Tok
from awsmon.engines.tokens import TokenCursor

__all__ = [
    "And",
    "AtLeast",
    "CloudWatchError",
    "Const",
    "Not",
    "Or",
    "StateRef",
    "children",
    "composite_reason",
    "composite_state",
    "evaluate",
    "parse_rule",
    "simulate_suppressor",
    "to_string",
]

MAX_RULE_CHARS = 10240
MAX_CHILDREN = 100
MAX_ELEMENTS = 500
MAX_NESTING = 100  # [design choice] bounds recursion; AWS documents no nesting limit
STATES = ("ALARM", "OK", "INSUFFICIENT_DATA")
KEYWORDS = frozenset({"TRUE", "FALSE", "AND", "OR", "NOT", "AT_LEAST", *STATES})
_SPECIAL = set(' \t\r\n(),"')


@dataclass(frozen=True)
class Const:
    value: bool


@dataclass(frozen=True)
class StateRef:
    state: str
    ref: str


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class And:
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class AtLeast:
    threshold: int
    percent: bool
    negate: bool
    state: str
    refs: tuple[str, ...]


Node = Union[Const, StateRef, Not, And, Or, AtLeast]  # noqa: UP007 - used at runtime in isinstance-free code


def _err(detail: str, pos: int) -> CloudWatchError:
    return CloudWatchError("ValidationError", f"Invalid AlarmRule: {detail} at position {pos}.")


def _tokenize(rule: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(rule)
    while i < n:
        ch = rule[i]
        if ch in " \t\r\n":
            i += 1
        elif ch == "(":
            toks.append(_Tok("LP", ch, i))
            i += 1
        elif ch == ")":
            toks.append(_Tok("RP", ch, i))
            i += 1
        elif ch == ",":
            toks.append(_Tok("COMMA", ch, i))
            i += 1
        elif ch == '"':
            start = i
            i += 1
            buf: list[str] = []
            while True:
                if i >= n:
                    raise _err("unterminated quoted alarm name", start)
                c = rule[i]
                if c == "\\" and i + 1 < n and rule[i + 1] in '"\\':
                    buf.append(rule[i + 1])
                    i += 2
                elif c == '"':
                    i += 1
                    break
                else:
                    buf.append(c)
                    i += 1
            toks.append(_Tok("STR", "".join(buf), start))
        else:
            start = i
            while i < n and rule[i] not in _SPECIAL:
                i += 1
            toks.append(_Tok("WORD", rule[start:i], start))
    toks.append(_Tok("END", "", n))
    return toks


class _Parser(TokenCursor):
    def __init__(self, rule: str) -> None:
        self.toks = _tokenize(rule)
        self.i = 0
        self.elements = 0
        self.depth = 0

    def count_element(self, tok: _Tok) -> None:
        # Checked while parsing so that oversized rules fail fast.
        self.elements += 1
        if self.elements > MAX_ELEMENTS:
            raise CloudWatchError(
                "LimitExceeded", f"AlarmRule has more than {MAX_ELEMENTS} elements (at position {tok.pos})."
            )

    def expect(self, kind: str, what: str) -> _Tok:
        tok = self.take()
        if tok.kind != kind:
            found = "end of rule" if tok.kind == "END" else repr(tok.text)
            raise _err(f"expected {what} but found {found}", tok.pos)
        return tok

    def is_word(self, word: str) -> bool:
        tok = self.peek()
        return tok.kind == "WORD" and tok.text == word

    def parse(self) -> Node:
        node = self.or_expr()
        tok = self.peek()
        if tok.kind != "END":
            raise _err(f"unexpected {tok.text!r}", tok.pos)
        return node

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.is_word("OR"):
            self.take()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Node:
        items = [self.not_expr()]
        while self.is_word("AND"):
            self.take()
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_expr(self) -> Node:
        negations = 0
        while self.is_word("NOT"):
            tok = self.take()
            negations += 1
            if self.depth + negations > MAX_NESTING:
                raise _err(f"operators nested deeper than {MAX_NESTING} levels", tok.pos)
        self.depth += negations
        node = self.primary()
        self.depth -= negations
        for _ in range(negations):
            node = Not(node)
        return node

    def ref(self) -> str:
        tok = self.take()
        if tok.kind == "STR":
            if not tok.text:
                raise _err("empty alarm name", tok.pos)
            return tok.text
        if tok.kind == "WORD":
            return tok.text
        found = "end of rule" if tok.kind == "END" else repr(tok.text)
        raise _err(f"expected an alarm name or ARN but found {found}", tok.pos)

    def primary(self) -> Node:
        tok = self.take()
        if tok.kind == "LP":
            self.count_element(tok)
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise _err(f"operators nested deeper than {MAX_NESTING} levels", tok.pos)
            node = self.or_expr()
            self.expect("RP", "')'")
            self.depth -= 1
            return node
        if tok.kind == "WORD" and tok.text in ("TRUE", "FALSE"):
            self.count_element(tok)
            return Const(tok.text == "TRUE")
        if tok.kind == "WORD" and tok.text in STATES:
            self.expect("LP", "'('")
            name = self.ref()
            self.expect("RP", "')'")
            self.count_element(tok)
            return StateRef(tok.text, name)
        if tok.kind == "WORD" and tok.text == "AT_LEAST":
            return self.at_least()
        found = "end of rule" if tok.kind == "END" else repr(tok.text)
        raise _err(
            f"expected ALARM, OK, INSUFFICIENT_DATA, AT_LEAST, TRUE, FALSE, NOT or '(' but found {found}",
            tok.pos,
        )

    def at_least(self) -> Node:
        self.expect("LP", "'('")
        th = self.expect("WORD", "a threshold")
        text = th.text
        percent = text.endswith("%")
        digits = text[:-1] if percent else text
        if not digits.isdigit() or not digits.isascii():
            raise _err(f"invalid AT_LEAST threshold {text!r}", th.pos)
        value = int(digits)
        self.expect("COMMA", "','")
        negate = False
        if self.is_word("NOT"):
            self.take()
            negate = True
        st = self.expect("WORD", "a state")
        if st.text not in STATES:
            raise _err(f"invalid state {st.text!r}", st.pos)
        self.expect("COMMA", "','")
        self.expect("LP", "'('")
        refs = [self.ref()]
        while self.peek().kind == "COMMA":
            self.take()
            refs.append(self.ref())
        self.expect("RP", "')'")
        self.expect("RP", "')'")
        if percent and not 1 <= value <= 100:
            raise _err(f"AT_LEAST percentage {text} must be between 1% and 100%", th.pos)
        if not percent and not 1 <= value <= len(refs):
            raise _err(
                f"AT_LEAST count {text} must be between 1 and the number of alarms ({len(refs)})", th.pos
            )
        for _ in refs:
            self.count_element(th)
        return AtLeast(value, percent, negate, st.text, tuple(refs))


def parse_rule(rule: str) -> Node:
    """Parse and validate an AlarmRule (limits included); raises ``CloudWatchError``."""
    if not isinstance(rule, str) or not rule.strip():
        raise CloudWatchError("ValidationError", "Invalid AlarmRule: the rule is empty.")
    if len(rule) > MAX_RULE_CHARS:
        raise CloudWatchError(
            "ValidationError",
            f"AlarmRule must be at most {MAX_RULE_CHARS} characters long (got {len(rule)}).",
        )
    parser = _Parser(rule)
    node = parser.parse()
    kids = children(node)
    if len(kids) > MAX_CHILDREN:
        raise CloudWatchError(
            "LimitExceeded", f"AlarmRule references {len(kids)} alarms; the maximum is {MAX_CHILDREN}."
        )
    return node


def children(rule: str | Node) -> set[str]:
    """Alarm names/ARNs referenced by a rule."""
    node = parse_rule(rule) if isinstance(rule, str) else rule
    out: set[str] = set()
    stack: list[Node] = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, StateRef):
            out.add(cur.ref)
        elif isinstance(cur, AtLeast):
            out.update(cur.refs)
        elif isinstance(cur, Not):
            stack.append(cur.operand)
        elif isinstance(cur, (And, Or)):
            stack.extend(cur.operands)
    return out


def _lookup(ref: str, states: Mapping[str, str]) -> str:
    if ref in states:
        return states[ref]
    if ref.startswith("arn:") and ":alarm:" in ref:
        name = ref.split(":alarm:", 1)[1]
        if name in states:
            return states[name]
    else:
        suffix = ":alarm:" + ref
        for key, value in states.items():
            if key.startswith("arn:") and key.endswith(suffix):
                return value
    raise CloudWatchError("ValidationError", f"Invalid AlarmRule: alarm {ref} does not exist.")


def evaluate(rule: str | Node, child_states: Mapping[str, str]) -> bool:
    """Truth value of a rule given each child's state (keys: names or ARNs)."""
    node = parse_rule(rule) if isinstance(rule, str) else rule
    if isinstance(node, Const):
        return node.value
    if isinstance(node, StateRef):
        return _lookup(node.ref, child_states) == node.state
    if isinstance(node, Not):
        return not evaluate(node.operand, child_states)
    if isinstance(node, And):
        results = [
            evaluate(x, child_states) for x in node.operands
        ]  # no short-circuit: unknown children error
        return all(results)
    if isinstance(node, Or):
        results = [evaluate(x, child_states) for x in node.operands]
        return any(results)
    assert isinstance(node, AtLeast)
    hits = sum(1 for r in node.refs if (_lookup(r, child_states) == node.state) != node.negate)
    if node.percent:
        return hits * 100 >= node.threshold * len(node.refs)
    return hits >= node.threshold


def composite_state(rule: str | Node, child_states: Mapping[str, str]) -> str:
    """ALARM when the rule is true, otherwise OK (INSUFFICIENT_DATA only before the first evaluation)."""
    return "ALARM" if evaluate(rule, child_states) else "OK"


def composite_reason(child_arn: str, child_state: str, timestamp: float) -> tuple[str, dict[str, object]]:
    """Reason text and reason data for a composite whose child ``child_arn`` transitioned at ``timestamp``."""
    text = f"{child_arn} transitioned to {child_state} at {format_aws_date(timestamp)}"
    data: dict[str, object] = {
        "triggeringAlarms": [
            {"arn": child_arn, "state": {"value": child_state, "timestamp": format_iso(timestamp)}}
        ]
    }
    return text, data


# --------------------------------------------------------------------------------------------------------------
# Printing (round-trips through parse_rule).


def _quote(ref: str) -> str:
    if ref and ref not in KEYWORDS and not any(c in _SPECIAL or c == "\\" for c in ref):
        return ref
    return '"' + ref.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_string(node: Node) -> str:
    """Canonical text of a rule AST; ``parse_rule(to_string(ast)) == ast`` for ASTs that parse_rule produces."""
    if isinstance(node, Const):
        return "TRUE" if node.value else "FALSE"
    if isinstance(node, StateRef):
        return f"{node.state}({_quote(node.ref)})"
    if isinstance(node, AtLeast):
        th = f"{node.threshold}%" if node.percent else str(node.threshold)
        st = ("NOT " if node.negate else "") + node.state
        return f"AT_LEAST({th}, {st}, ({', '.join(_quote(r) for r in node.refs)}))"
    if isinstance(node, Not):
        inner = to_string(node.operand)
        return f"NOT ({inner})" if isinstance(node.operand, (And, Or)) else f"NOT {inner}"
    if isinstance(node, And):
        return " AND ".join(
            f"({to_string(x)})" if isinstance(x, (And, Or)) else to_string(x) for x in node.operands
        )
    assert isinstance(node, Or)
    return " OR ".join(f"({to_string(x)})" if isinstance(x, Or) else to_string(x) for x in node.operands)


# --------------------------------------------------------------------------------------------------------------
# ActionsSuppressor (spec §3.11): a pure replay of composite and suppressor transitions.


@dataclass
class SuppressorResult:
    actions: list[tuple[float, str]]  # (time, composite state whose actions run)
    suppressed_by: str | None  # ActionsSuppressedBy at ``until``: Alarm | WaitPeriod | ExtensionPeriod | None
    suppressed_reason: str | None


def simulate_suppressor(
    composite_transitions: Sequence[tuple[float, str]],
    suppressor_transitions: Sequence[tuple[float, str]],
    *,
    wait_period: float,
    extension_period: float,
    until: float,
    suppressor_initial: str = "OK",
) -> SuppressorResult:
    """Replay transitions (each ``(time, new state)``, time-ordered) up to ``until``.

    Rules [doc, formalised]: while the suppressor is in ALARM, composite actions are suppressed. When the composite
    enters ALARM while the suppressor is not in ALARM, a wait period starts; if the suppressor enters ALARM before it
    ends, actions stay suppressed, otherwise at its end the actions for the composite's current state run. When the
    suppressor leaves ALARM, an extension period starts; at its end the actions for the composite's current state run.
    [design choice] Actions deferred by a period run only if a composite transition was actually held back
    (``pending``); events at the same instant are applied before period ends; suppressor events before composite ones.
    """
    events = sorted(
        [(t, 0, s) for t, s in suppressor_transitions if t <= until]
        + [(t, 1, s) for t, s in composite_transitions if t <= until]
    )
    sup = suppressor_initial
    comp: str | None = None
    pending = False
    wait_end: float | None = None
    ext_end: float | None = None
    actions: list[tuple[float, str]] = []

    def run_timers(limit: float, inclusive: bool) -> None:
        nonlocal wait_end, ext_end, pending
        while True:
            due = [
                t for t in (wait_end, ext_end) if t is not None and (t <= limit if inclusive else t < limit)
            ]
            if not due:
                return
            t = min(due)
            if t == wait_end:
                wait_end = None
                if pending and sup != "ALARM" and ext_end is None and comp is not None:
                    actions.append((t, comp))
                    pending = False
            else:
                ext_end = None
                if pending and sup != "ALARM" and comp is not None:
                    actions.append((t, comp))
                    pending = False

    for t, kind, state in events:
        run_timers(t, inclusive=False)
        if kind == 0:
            if state == "ALARM":
                wait_end = None
                ext_end = None
            elif sup == "ALARM":
                ext_end = t + extension_period
            sup = state
            continue
        comp = state
        if sup == "ALARM" or ext_end is not None:
            pending = True
        elif state == "ALARM":
            wait_end = t + wait_period
            pending = True
        else:
            actions.append((t, state))
            pending = False
            wait_end = None
    run_timers(until, inclusive=True)
    if sup == "ALARM":
        by, reason = "Alarm", "Alarm is in ALARM state: actions suppressed by the ActionsSuppressor alarm"
    elif ext_end is not None:
        by, reason = "ExtensionPeriod", "Extension period active after the ActionsSuppressor left ALARM"
    elif wait_end is not None:
        by, reason = "WaitPeriod", "Wait period active: waiting for the ActionsSuppressor to enter ALARM"
    else:
        by, reason = None, None
    return SuppressorResult(actions, by, reason)
