"""EventBridge event-pattern engine (pure: no I/O).

Semantics follow aws/event-ruler, the matcher EventBridge runs (shared/specs/eventbridge.md §1): the compiler mirrors
`JsonRuleCompiler` check for check, in document order, so the first offending token decides the error text; matching
flattens the event into leaves `(path, value, array membership)` and searches each sub-rule in Java `String` order of
its paths, honouring array consistency and the order-dependent `exists: false`.

Decisions where AWS is silent are marked [design choice] / [unverified] here and listed in docs/event-patterns.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from awsmon.engines.eventpattern_json import (
    JNumber,
    JObject,
    JsonSyntaxError,
    comparable,
    parse_json,
)
from awsmon.engines.eventpattern_values import (
    IpError,
    WildcardError,
    cidr_range,
    event_ip,
    ignore_case_matcher,
    ip_literal,
    parse_wildcard,
    wildcard_complexity,
    wildcard_matcher,
)

__all__ = [
    "ENVELOPE_FIELDS",
    "EventPattern",
    "EventPatternError",
    "EventValidationError",
    "compile_event_pattern",
    "test_event_pattern",
]

MESSAGE_PREFIX = "Event pattern is not valid. Reason: "
TOO_COMPLEX = (
    "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a "
    "wildcard character"
)
MAX_PATTERN_LENGTH = 2048  # default quota (adjustable on AWS up to 4096)
MAX_OR_COMBINATIONS = 1000  # documented on the content-filtering page
MAX_FIELDS_PER_RULE = 256  # event-ruler GenericMachine.MAXIMUM_RULE_SIZE
# [design choice] AWS rejected complexity 11 and accepted every pattern up to 7; the threshold in 8-10 is unknown,
# so only what AWS is known to reject (>= 11) is rejected.
MAX_WILDCARD_COMPLEXITY = 10
ENVELOPE_FIELDS = ("id", "account", "source", "time", "region", "detail-type")

RESERVED_IN_OR = frozenset(
    {
        "exactly", "equals-ignore-case", "prefix", "suffix", "anything-but", "exists", "wildcard", "numeric", "cidr",
        "html", "=", "<", "<=", ">", ">=", "regex", "not-wildcard", "not-equals-ignore-case", "date-after",
        "date-on-or-after", "date-before", "date-on-or-before", "in-date-range", "ip-address-in-range",
        "ip-address-not-in-range",
    }
)  # fmt: skip


class EventPatternError(ValueError):
    """InvalidEventPatternException: `message` is AWS's full text, `reason` the part after "Reason: "."""

    code = "InvalidEventPatternException"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.message = MESSAGE_PREFIX + reason
        super().__init__(self.message)


class EventValidationError(ValueError):
    """TestEventPattern's ValidationException for an event that is not a JSON object with the envelope fields."""

    code = "ValidationException"
    message = "Parameter Event is not valid."

    def __init__(self, detail: str = "") -> None:
        self.detail = detail
        super().__init__(self.message)


def _fail(reason: str) -> Any:
    raise EventPatternError(reason)


# ---------------------------------------------------------------------------------------------------------------------
# Compiled matchers: one _PathTest per (sub-rule, path); its leaf test ORs every matcher listed for the path.

Value = Any  # str | JNumber | bool | None


class _PathTest:
    __slots__ = (
        "absence", "any_tests", "cidrs", "exists", "ip_exact", "literals", "num_exact", "num_tests", "num_texts",
        "str_exact", "str_tests",
    )  # fmt: skip

    def __init__(self) -> None:
        self.absence = False  # exists: false
        self.exists = False  # exists: true (any leaf)
        self.str_exact: set[str] = set()
        self.ip_exact: set[tuple[int, int]] = set()
        self.cidrs: list[tuple[int, int, int]] = []
        self.str_tests: list[Callable[[str], bool]] = []
        self.num_exact: set[float] = set()
        self.num_texts: set[str] = set()
        self.num_tests: list[Callable[[float], bool]] = []
        self.literals: list[bool | None] = []
        self.any_tests: list[Callable[[Value], bool]] = []

    def matches(self, value: Value) -> bool:
        if self.exists:
            return True
        if isinstance(value, str):
            if value in self.str_exact:
                return True
            if self.ip_exact or self.cidrs:
                address = event_ip(value)
                if address is not None:
                    if address in self.ip_exact:
                        return True
                    family, number = address
                    for fam, low, high in self.cidrs:
                        if fam == family and low <= number <= high:
                            return True
            for test in self.str_tests:
                if test(value):
                    return True
        elif isinstance(value, JNumber):
            if value.text in self.num_texts:
                return True
            number = value.value
            if number is not None:
                if number in self.num_exact:
                    return True
                for ntest in self.num_tests:
                    if ntest(number):
                        return True
        else:
            for literal in self.literals:
                if literal is value:
                    return True
        for atest in self.any_tests:
            if atest(value):
                return True
        return False


# ---------------------------------------------------------------------------------------------------------------------
# Compiler (event-ruler JsonRuleCompiler, check for check)

_END = object()  # end of an array, Jackson's END_ARRAY token
Matcher = Callable[[_PathTest], None]  # a compiled match expression installs itself into a _PathTest


def _token_text(token: Any) -> str:
    """Jackson's `getText()` for the token that starts `token`."""
    if token is _END:
        return "]"
    if isinstance(token, JNumber):
        return token.text
    if isinstance(token, str):
        return token
    if token is True:
        return "true"
    if token is False:
        return "false"
    if token is None:
        return "null"
    return "{" if isinstance(token, JObject) else "["


def _number(text: str) -> float:
    value = comparable(text)
    if value is None:
        _fail(f"Cannot compare number : {text}")
    return value  # type: ignore[return-value]


def _check_wildcard(text: str) -> None:
    try:
        parse_wildcard(text)
    except WildcardError as exc:
        _fail(str(exc))


class _Compiler:
    def __init__(self) -> None:
        # id(matcher) -> wildcard text, so the complexity limit sees only the value lists that survive last-wins.
        self.wildcard_of: dict[int, str] = {}

    # -- structure ------------------------------------------------------------------------------------------------

    def compile(self, root: Any) -> list[dict[str, list[Matcher]]]:
        if not isinstance(root, JObject):
            _fail("Filter is not an object")
        rules: list[dict[str, list[Matcher]]] = []
        self.parse_object(rules, (), root, in_or=False)
        return rules

    def parse_object(self, rules: list[dict[str, list[Matcher]]], path: tuple[str, ...], obj: JObject,
                     in_or: bool) -> None:  # fmt: skip
        for key, value in obj:
            if key == "$or":
                self.parse_or(rules, path, value)
                continue
            if in_or and key in RESERVED_IN_OR:
                _fail(f"{key} is Ruler reserved fieldName which cannot be used inside $or.")
            if isinstance(value, JObject):
                self.parse_object(rules, (*path, key), value, in_or)
            elif isinstance(value, list):
                self.write_rules(rules, ".".join((*path, key)), value)
            else:
                _fail(f'"{key}" must be an object or an array')
        if not obj:
            _fail("Empty objects are not allowed")

    def parse_or(self, rules: list[dict[str, list[Matcher]]], path: tuple[str, ...], value: Any) -> None:
        current = [dict(rule) for rule in rules]
        rules.clear()
        if not isinstance(value, list):
            _fail("It must be an Array followed with $or.")
        for branch in value:
            if not isinstance(branch, JObject):
                _fail("Only JSON object is allowed in array of $or relationship.")
            forked = [dict(rule) for rule in current] or [{}]
            self.parse_object(forked, path, branch, in_or=True)
            rules.extend(forked)
            if len(rules) > MAX_OR_COMBINATIONS:
                # [design choice] checked while compiling so a hostile pattern cannot explode; text [unverified].
                _fail(f"The number of $or combinations exceeds the limit of {MAX_OR_COMBINATIONS}")
        if len(value) < 2:
            _fail("There must have at least 2 Objects in $or relationship.")

    def write_rules(self, rules: list[dict[str, list[Matcher]]], name: str, values: list[Any]) -> None:
        matchers: list[Matcher] = []
        for token in values:
            if isinstance(token, JObject):
                matchers.append(self.match_expression(token))
            elif isinstance(token, str):
                matchers.append(_exact_string(token, ip_aware=True))
            elif isinstance(token, JNumber):
                matchers.append(_exact_number(token.text))
            elif token is None or token is True or token is False:
                matchers.append(_literal(token))
            else:
                _fail("Match value must be String, number, true, false, or null")
        if not matchers:
            _fail("Empty arrays are not allowed")
        if not rules:
            rules.append({})
        for rule in rules:
            rule[name] = matchers  # a repeated path last-wins (withOverriding); object paths merge naturally

    # -- match expressions ---------------------------------------------------------------------------------------

    def match_expression(self, obj: JObject) -> Matcher:
        if not obj:
            _fail("Match expression name not found")
        op, arg = obj[0]
        extra = len(obj) > 1
        only_one = "Only one key allowed in match expression"
        if op == "exactly":
            if not isinstance(arg, str):
                _fail("exact match pattern must be a string")
            matcher = _exact_string(arg, ip_aware=False)
        elif op in ("prefix", "suffix"):
            if isinstance(arg, JObject):
                return _checked_one_key(self.affix_ignore_case(op, arg), extra, only_one)
            if not isinstance(arg, str):
                _fail(f"{op} match pattern must be a string")
            matcher = _affix(op, arg)
        elif op == "numeric":
            if not isinstance(arg, list):
                _fail("Value of numeric must be an array.")
            matcher = _numeric(arg)
            only_one = "Too many elements in numeric expression"
        elif op == "anything-but":
            return self.anything_but(arg, extra)
        elif op == "exists":
            if arg is not True and arg is not False:
                _fail("exists match pattern must be either true or false.")
            matcher = _exists(arg)
        elif op == "cidr":
            if not isinstance(arg, str):
                _fail("prefix match pattern must be a string")  # sic: event-ruler's (and AWS's) text
            try:
                family, low, high = cidr_range(arg)
            except IpError as exc:
                _fail(str(exc))
            matcher = _cidr(family, low, high)
        elif op == "equals-ignore-case":
            if not isinstance(arg, str):
                _fail("equals-ignore-case match pattern must be a string")
            matcher = _str_test(ignore_case_matcher(arg, "equals"))
        elif op == "wildcard":
            if not isinstance(arg, str):
                _fail("wildcard match pattern must be a string")
            _check_wildcard(arg)
            matcher = _str_test(wildcard_matcher(arg))
            self.wildcard_of[id(matcher)] = arg
        else:
            _fail(f"Unrecognized match type {op}")
        return _checked_one_key(matcher, extra, only_one)

    def affix_ignore_case(self, op: str, obj: JObject) -> Matcher:
        label = op.capitalize()
        if not obj:
            _fail(f"{label} expression name not found")
        inner, arg = obj[0]
        if inner != "equals-ignore-case":
            _fail(f"Unsupported {op} pattern: {inner}")
        if not isinstance(arg, str):
            _fail("equals-ignore-case match pattern must be a string")
        return _checked_one_key(
            _str_test(ignore_case_matcher(arg, op)), len(obj) > 1, "Only one key allowed in match expression"
        )

    def anything_but(self, arg: Any, extra: bool) -> Matcher:
        kind = "plain"
        inner_extra = False
        if isinstance(arg, JObject):
            if not arg:
                _fail("Anything-But expression name not found")
            kind, inner_arg = arg[0]
            if kind not in ("equals-ignore-case", "prefix", "suffix", "wildcard"):
                _fail(f"Unsupported anything-but pattern: {kind}")
            inner_extra = len(arg) > 1
            arg = inner_arg
        if not isinstance(arg, list | str | JNumber):
            _fail("Value of anything-but must be an array or single string/number value.")
        if kind == "plain":
            matcher = _anything_but_values(arg if isinstance(arg, list) else [arg])
        else:
            items = arg if isinstance(arg, list) else [arg]
            texts: list[str] = []
            for item in items:
                if not isinstance(item, str):
                    if kind == "equals-ignore-case":
                        _fail(
                            "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."
                        )
                    if kind == "wildcard":
                        _fail("wildcard match pattern must be a string")
                    _fail("prefix/suffix match pattern must be a string")
                if kind in ("prefix", "suffix") and not item:
                    _fail("Null prefix/suffix not allowed")
                texts.append(item)
            if kind == "wildcard":
                for text in texts:
                    _check_wildcard(text)
            if not texts:
                # event-ruler compiles this and fails at match time; AWS's text is [unverified].
                _fail("Empty arrays are not allowed")
            matcher = _anything_but_strings(kind, texts)
        if inner_extra or extra:
            _fail("Too many elements in numeric expression")
        return matcher


def _checked_one_key(matcher: Matcher, extra: bool, message: str) -> Matcher:
    if extra:
        _fail(message)
    return matcher


# ---------------------------------------------------------------------------------------------------------------------
# Matcher factories


def _exact_string(text: str, ip_aware: bool) -> Matcher:
    address = None
    if ip_aware:
        try:
            address = ip_literal(text)
        except IpError:
            address = None  # an unparsable IP-looking string is an ordinary string
    if address is not None:
        return lambda t: t.ip_exact.add(address)
    return lambda t: t.str_exact.add(text)


def _exact_number(text: str) -> Matcher:
    value = comparable(text)

    def install(t: _PathTest) -> None:
        t.num_texts.add(text)  # literal fallback for texts a double cannot hold
        if value is not None:
            t.num_exact.add(value)

    return install


def _literal(value: bool | None) -> Matcher:
    return lambda t: t.literals.append(value)


def _exists(flag: bool) -> Matcher:
    def install(t: _PathTest) -> None:
        if flag:
            t.exists = True
        else:
            t.absence = True

    return install


def _str_test(test: Callable[[str], bool]) -> Matcher:
    return lambda t: t.str_tests.append(test)


def _affix(op: str, text: str) -> Matcher:
    if op == "prefix":
        return _str_test(lambda value: value.startswith(text))
    return _str_test(lambda value: value.endswith(text))


def _cidr(family: int, low: int, high: int) -> Matcher:
    return lambda t: t.cidrs.append((family, low, high))


def _numeric(items: list[Any]) -> Matcher:
    """`numeric` operands, in JsonRuleCompiler.processNumericMatchExpression's order of checks."""
    tokens = iter(items)

    def take() -> Any:
        return next(tokens, _END)

    first = take()
    if not isinstance(first, str):
        _fail(f"Invalid member in numeric match: {_token_text(first)}")
    operator = first
    operand = take()
    if operator not in ("=", ">=", ">", "<=", "<"):
        _fail(f"Unrecognized numeric range operator: {operator}")
    if not isinstance(operand, JNumber):
        _fail(f"Value of {'equals' if operator == '=' else operator} must be numeric")
    if operator in ("=", "<=", "<"):
        if take() is not _END:
            _fail("Too many elements in numeric expression")
        bound = _number(operand.text)
        if operator == "=":
            return lambda t: t.num_exact.add(bound)
        if operator == "<":
            return lambda t: t.num_tests.append(lambda v: v < bound)
        return lambda t: t.num_tests.append(lambda v: v <= bound)
    follow = take()
    if follow is _END:
        bottom = _number(operand.text)
        if operator == ">":
            return lambda t: t.num_tests.append(lambda v: v > bottom)
        return lambda t: t.num_tests.append(lambda v: v >= bottom)
    if not isinstance(follow, str):
        _fail(f"Bad value in numeric range: {_token_text(follow)}")
    top_op = follow
    if top_op not in ("<", "<="):
        _fail(f"Bad numeric range operator: {top_op}")
    top_token = take()
    if not isinstance(top_token, JNumber):
        _fail(f"Value of {top_op} must be numeric")
    if take() is not _END:
        _fail("Too many terms in numeric range expression")
    low, high = _number(operand.text), _number(top_token.text)
    if not low < high:
        _fail("Bottom must be less than top")
    open_low, open_high = operator == ">", top_op == "<"

    def in_range(v: float) -> bool:
        if v < low or v > high:
            return False
        return not ((open_low and v == low) or (open_high and v == high))

    return lambda t: t.num_tests.append(in_range)


def _anything_but_values(items: list[Any]) -> Matcher:
    strings: set[str] = set()
    numbers: set[float] = set()
    for item in items:
        if isinstance(item, str):
            strings.add(item)
        elif isinstance(item, JNumber):
            numbers.add(_number(item.text))
        else:
            _fail("Inside anything but list, start|null|boolean is not supported.")
    if bool(strings) == bool(numbers):
        _fail("Inside anything but list, either all values are number or string, mixed type is not supported")
    if strings:
        # Anything that is not one of these strings matches: numbers, booleans and null included.
        return lambda t: t.any_tests.append(lambda v: not (isinstance(v, str) and v in strings))

    def not_number(v: Value) -> bool:
        return not (isinstance(v, JNumber) and v.value is not None and v.value in numbers)

    return lambda t: t.any_tests.append(not_number)


def _anything_but_strings(kind: str, texts: list[str]) -> Matcher:
    tests: list[Callable[[str], bool]]
    if kind == "prefix":
        prefixes = tuple(texts)
        tests = [lambda v: v.startswith(prefixes)]
    elif kind == "suffix":
        suffixes = tuple(texts)
        tests = [lambda v: v.endswith(suffixes)]
    elif kind == "equals-ignore-case":
        tests = [ignore_case_matcher(text, "equals") for text in texts]
    else:
        tests = [wildcard_matcher(text) for text in texts]

    def accept(v: Value) -> bool:
        return not (isinstance(v, str) and any(test(v) for test in tests))

    return lambda t: t.any_tests.append(accept)


# ---------------------------------------------------------------------------------------------------------------------
# Events: flattening and the sub-rule search

Membership = tuple[tuple[int, int], ...]  # ((array id, index), ...) from the outermost array inwards
Leaf = tuple[Value, Membership]
_Plan = tuple[
    list[Membership], bool, list[Membership]
]  # (matching leaves, exists:false?, every leaf at the path)


def _flatten(root: Any, wanted: frozenset[str]) -> dict[str, list[Leaf]]:
    """Leaves of the event under the paths in `wanted` (pattern paths and their dot-boundary prefixes).

    Subtrees no pattern path can reach are skipped, so the cost is linear in the part of the event the pattern names.
    """
    leaves: dict[str, list[Leaf]] = {}
    counter = [0]

    def add(path: str, node: Any, membership: Membership) -> None:
        if type(node) is int or type(node) is float:
            node = JNumber(
                repr(node)
            )  # a Python number from a dict event; nan/inf become unrepresentable texts
        bucket = leaves.get(path)
        if bucket is None:
            leaves[path] = [(node, membership)]
        else:
            bucket.append((node, membership))

    def walk_items(items: Iterable[tuple[str, Any]], prefix: str, membership: Membership) -> None:
        for key, child in items:
            path = prefix + key
            if path not in wanted:
                continue
            if isinstance(child, str) or child is None or child is True or child is False:
                add(path, child, membership)  # the common case, without a recursive call
            else:
                walk(child, path, membership)

    def walk(node: Any, path: str, membership: Membership) -> None:
        if isinstance(node, JObject):
            walk_items(node, path + ".", membership)
        elif isinstance(node, dict):
            walk_items(node.items(), path + ".", membership)
        elif isinstance(node, list | tuple):
            array_id = counter[0]
            counter[0] += 1
            for index, element in enumerate(node):
                walk(element, path, (*membership, (array_id, index)))
        else:
            add(path, node, membership)

    walk_items(root.items() if isinstance(root, dict) else root, "", ())
    return leaves


def _consistent(bound: dict[int, int], membership: tuple[tuple[int, int], ...]) -> bool:
    for array_id, index in membership:
        if bound.get(array_id, index) != index:
            return False
    return True


class _SubRule:
    __slots__ = ("tests",)

    def __init__(self, tests: list[tuple[str, _PathTest]]) -> None:
        # Java String.compareTo order (UTF-16 code units): decides which element exists:false is checked against.
        self.tests = sorted(tests, key=lambda item: item[0].encode("utf-16-be", "surrogatepass"))

    def matches(self, leaves: dict[str, list[Leaf]]) -> bool:
        plans: list[_Plan] = []
        arrays: list[set[int]] = []
        for path, test in self.tests:
            present = leaves.get(path)
            if not present:
                if test.absence:
                    continue  # exists:false holds whatever the other paths bind
                return False
            if len(present) == 1 and not present[0][1]:
                # One leaf outside any array (the common case): it is consistent with every binding, so it decides.
                if test.matches(present[0][0]):
                    continue
                return False
            hits = [mem for value, mem in present if test.matches(value)]
            if not hits and not test.absence:
                return False
            every = [mem for _, mem in present] if test.absence else []
            plans.append((hits, test.absence, every))
            arrays.append({array_id for mem in (*hits, *every) for array_id, _ in mem})
        # A path whose arrays no other path touches is independent: no binding made elsewhere can exclude its leaves.
        seen: dict[int, int] = {}
        for ids in arrays:
            for array_id in ids:
                seen[array_id] = seen.get(array_id, 0) + 1
        coupled: list[_Plan] = []
        for plan, ids in zip(plans, arrays, strict=True):
            if any(seen[array_id] > 1 for array_id in ids):
                coupled.append(plan)
            elif not (plan[0] or (plan[1] and not plan[2])):
                return False
        return not coupled or _search(coupled)


class _Candidates:
    """Leaf memberships of one path, indexed by (array id, index) so a bound element selects its leaves directly."""

    __slots__ = ("by_element", "ids", "mems", "universal")

    def __init__(self, mems: list[Membership]) -> None:
        self.mems = mems
        self.by_element: dict[tuple[int, int], list[Membership]] = {}
        for mem in mems:
            for pair in mem:
                self.by_element.setdefault(pair, []).append(mem)
        self.ids = {array_id for array_id, _ in self.by_element}
        # Only an array every leaf of the path lies in can narrow the pool without losing leaves outside it.
        self.universal = set.intersection(*({a for a, _ in mem} for mem in mems)) if mems else set()

    def consistent_with(self, bound: dict[int, int]) -> Iterable[Membership]:
        pool = self.mems
        if self.universal:
            for array_id, index in bound.items():
                if array_id in self.universal:
                    pool = self.by_element.get((array_id, index), [])
                    break
        return (mem for mem in pool if _consistent(bound, mem))


def _search(plans: list[_Plan]) -> bool:
    """Depth-first choice of one array-consistent leaf per path (§1.2), memoising failed (depth, bindings) states.

    Only bindings of arrays that later paths can still see are part of the memo key, and a bound array element
    selects the consistent leaves through an index, so an array of n objects costs O(n), not O(n^2).
    """
    count = len(plans)
    hits = [_Candidates(plan[0]) for plan in plans]
    every = [_Candidates(plan[2]) for plan in plans]
    relevant: list[frozenset[int]] = [frozenset()] * (count + 1)
    for i in range(count - 1, -1, -1):
        relevant[i] = relevant[i + 1] | hits[i].ids | every[i].ids
    failed: set[tuple[int, frozenset[tuple[int, int]]]] = set()

    def rec(i: int, bound: dict[int, int]) -> bool:
        if i == count:
            return True
        key = (i, frozenset(item for item in bound.items() if item[0] in relevant[i]))
        if key in failed:
            return False
        if plans[i][1] and next(iter(every[i].consistent_with(bound)), None) is None and rec(i + 1, bound):
            return True  # exists:false: no leaf at this path lies in the elements bound so far
        for mem in hits[i].consistent_with(bound):
            extended = dict(bound)
            extended.update(mem)
            if rec(i + 1, extended):
                return True
        failed.add(key)
        return False

    return rec(0, {})


# ---------------------------------------------------------------------------------------------------------------------
# Public API


class EventPattern:
    """A compiled event pattern; `matches` is thread-safe and does no I/O."""

    __slots__ = ("_subrules", "_wanted", "source")

    def __init__(self, subrules: list[_SubRule], source: str) -> None:
        self._subrules = subrules
        self.source = source
        wanted: set[str] = set()
        for sub in subrules:
            for path, _ in sub.tests:
                wanted.add(path)
                wanted.update(path[:i] for i, ch in enumerate(path) if ch == ".")
        self._wanted = frozenset(wanted)

    @property
    def subrule_count(self) -> int:
        """Number of `$or` combinations the pattern expands to."""
        return len(self._subrules)

    def matches(self, event: str | Mapping[str, Any]) -> bool:
        """True if the event (raw JSON text or a dict) matches; raises EventValidationError if it is not an object."""
        return self.matches_tree(_event_tree(event))

    def matches_tree(self, tree: Any) -> bool:
        """Match an already parsed event (a dict, or the JObject tree of eventpattern_json)."""
        if not isinstance(tree, dict | JObject):
            raise EventValidationError("the event is not a JSON object")
        try:
            leaves = _flatten(tree, self._wanted)
        except RecursionError:
            raise EventValidationError("the event is nested too deeply") from None
        return any(sub.matches(leaves) for sub in self._subrules)

    def __repr__(self) -> str:
        return f"EventPattern({self.source!r})"


def _event_tree(event: str | Mapping[str, Any]) -> Any:
    if isinstance(event, str):
        try:
            return parse_json(event)
        except JsonSyntaxError as exc:
            raise EventValidationError(exc.reason) from None
    return event


def compile_event_pattern(
    pattern: str | Mapping[str, Any], *, max_length: int | None = MAX_PATTERN_LENGTH
) -> EventPattern:
    """Compile a pattern (raw JSON text, duplicate keys merging, or a dict); raises EventPatternError.

    `max_length` is the pattern-size quota in characters (None disables it); a dict is measured as compact JSON.
    """
    if isinstance(pattern, str):
        text = pattern
    else:
        # A dict goes through the same reader as text, so both kinds of input compile identically.
        try:
            text = json.dumps(pattern, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as exc:
            # [design choice] a non-JSON Python value is reported like a JSON syntax error.
            raise EventPatternError(f"pattern is not JSON: {exc}") from None
    if max_length is not None and len(text) > max_length:
        # The AWS text for an over-quota pattern is [unverified].
        _fail(f"Event pattern is too long: {len(text)} characters, the limit is {max_length}")
    if not text.strip():
        _fail("Filter is not an object")  # Jackson sees no token at all
    try:
        tree = parse_json(text)
    except JsonSyntaxError as exc:
        raise EventPatternError(exc.reason) from None
    compiler = _Compiler()
    try:
        raw_rules = compiler.compile(tree)
    except RecursionError:
        raise EventPatternError("Maximum nesting depth exceeded") from None  # [design choice]
    # Wildcards of one path share an event-ruler machine across all $or branches: their complexities add up.
    wildcards: dict[str, dict[str, None]] = {}
    for raw in raw_rules:
        for path, matchers in raw.items():
            for matcher in matchers:
                if id(matcher) in compiler.wildcard_of:
                    wildcards.setdefault(path, {})[compiler.wildcard_of[id(matcher)]] = None
    for texts in wildcards.values():
        if wildcard_complexity(list(texts), MAX_WILDCARD_COMPLEXITY + 1) > MAX_WILDCARD_COMPLEXITY:
            _fail(TOO_COMPLEX)
    subrules: list[_SubRule] = []
    for raw in raw_rules:
        if len(raw) > MAX_FIELDS_PER_RULE:
            # The AWS text for more than 256 fields is [unverified].
            _fail(f"Too many fields in a rule: {len(raw)}, the limit is {MAX_FIELDS_PER_RULE}")
        tests = []
        for path, matchers in raw.items():
            test = _PathTest()
            for install in matchers:
                install(test)
            tests.append((path, test))
        subrules.append(_SubRule(tests))
    return EventPattern(subrules, text)


def test_event_pattern(pattern: str, event: str) -> bool:
    """TestEventPattern: compile the pattern (EventPatternError), then validate the event envelope
    (EventValidationError: a JSON object with id, account, source, time, region and detail-type), then match.

    [design choice] the pattern is validated before the event; AWS's order is [unverified].
    """
    compiled = compile_event_pattern(pattern)
    tree = _event_tree(event)
    if not isinstance(tree, dict | JObject):
        raise EventValidationError("the event is not a JSON object")
    keys = set(tree.keys()) if isinstance(tree, dict) else {key for key, _ in tree}
    missing = [name for name in ENVELOPE_FIELDS if name not in keys]
    if missing:
        raise EventValidationError("missing " + ", ".join(missing))
    return compiled.matches_tree(tree)


test_event_pattern.__test__ = False  # type: ignore[attr-defined]  # not a pytest test despite its name
