"""SNS subscription filter policies (pure: no I/O).

SNS runs the same matcher as EventBridge (aws/event-ruler), so a policy compiles through
:mod:`awsmon.engines.eventpattern` (exact, prefix, suffix, anything-but, numeric ranges, exists, equals-ignore-case,
cidr, ``$or``); this module adds what SNS adds on top: its limits (5 keys, 150 value combinations, 256 KB policy), the
flat shape of the ``MessageAttributes`` scope, how message attributes become a matchable document, and the
``Invalid parameter: FilterPolicy: ...`` texts of SNS's InvalidParameter errors.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from awsmon.engines.eventpattern import EventPattern, EventPatternError, compile_event_pattern

MAX_KEYS = 5  # attribute (or leaf-path) names per policy
MAX_COMBINATIONS = 150  # total values across all keys, $or expanded
MAX_POLICY_BYTES = 256 * 1024
SCOPES = ("MessageAttributes", "MessageBody")
OPERATORS = frozenset({"prefix", "suffix", "anything-but", "numeric", "exists", "equals-ignore-case", "cidr"})


class FilterPolicyError(ValueError):
    """SNS's InvalidParameter for a bad policy; ``message`` is AWS's full text."""

    code = "InvalidParameter"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.message = f"Invalid parameter: FilterPolicy: {reason}"
        super().__init__(self.message)


def _leaves(node: Any, path: str, out: dict[str, list[Any]], scope: str) -> None:
    """Collect the value lists of each leaf path (for the key and combination limits)."""
    for key, value in node.items():
        if key == "$or":
            continue
        full = f"{path}.{key}" if path else key
        if isinstance(value, dict):
            if scope == "MessageAttributes":
                raise FilterPolicyError(
                    "Filter policy scope MessageAttributes does not support nested filter policy")
            _leaves(value, full, out, scope)
        elif isinstance(value, list):
            out.setdefault(full, []).extend(value)
        else:
            raise FilterPolicyError(f'"{key}" must be an object or an array')


def _expand(node: dict[str, Any]) -> list[dict[str, Any]]:
    """The $or-free alternatives of a policy object (each a plain nested dict)."""
    base = {k: v for k, v in node.items() if k != "$or"}
    alts: list[dict[str, Any]] = [{}]
    for key, value in base.items():
        if isinstance(value, dict):
            subs = _expand(value)
            alts = [{**a, key: s} for a in alts for s in subs]
        else:
            alts = [{**a, key: value} for a in alts]
    branches = node.get("$or")
    if isinstance(branches, list):
        expanded = [b for branch in branches if isinstance(branch, dict) for b in _expand(branch)]
        alts = [{**a, **b} for a in alts for b in expanded] if expanded else alts
    return alts


class FilterPolicy:
    """A compiled policy: ``matches(message, attributes)`` for a Publish's body and MessageAttributes (API shape)."""

    __slots__ = ("_pattern", "scope", "source")

    def __init__(self, pattern: EventPattern | None, scope: str, source: str) -> None:
        self._pattern = pattern
        self.scope = scope
        self.source = source

    def matches(self, message: str, attributes: Mapping[str, Any] | None) -> bool:
        if self._pattern is None:
            return True
        if self.scope == "MessageBody":
            try:
                doc = json.loads(message)
            except ValueError:
                return False  # a body that is not JSON matches no payload-based policy
            return isinstance(doc, dict) and self._pattern.matches(doc)
        return self._pattern.matches(attribute_document(attributes or {}))


def attribute_document(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """Message attributes as the document a MessageAttributes-scope policy sees: String as text, Number as a number,
    String.Array as its JSON array; Binary attributes are not matchable (AWS ignores them)."""
    doc: dict[str, Any] = {}
    for name, attr in attributes.items():
        kind = str(attr.get("DataType", "")).split(".", 1)
        base = kind[0]
        value = attr.get("StringValue")
        if value is None:
            continue
        if base == "Number":
            try:
                number = float(value)
            except ValueError:
                continue
            doc[name] = int(number) if number.is_integer() and "." not in value and "e" not in value.lower() else number
        elif base == "String" and len(kind) > 1 and kind[1] == "Array":
            try:
                items = json.loads(value)
            except ValueError:
                continue
            if isinstance(items, list):
                doc[name] = [i for i in items if not isinstance(i, dict | list)]
        elif base == "String":
            doc[name] = value
    return doc


def compile_filter_policy(text: str, scope: str = "MessageAttributes") -> FilterPolicy:
    """Validate and compile a FilterPolicy attribute value; raises FilterPolicyError with SNS's texts."""
    if scope not in SCOPES:
        raise FilterPolicyError(f"Invalid value [{scope}] for FilterPolicyScope")  # [unverified] exact text
    if len(text.encode()) > MAX_POLICY_BYTES:
        raise FilterPolicyError("Filter policy is too long")
    try:
        tree = json.loads(text)
    except ValueError:
        raise FilterPolicyError("failed to parse JSON.") from None
    if not isinstance(tree, dict):
        raise FilterPolicyError("failed to parse JSON. Filter policy must be an object")
    if not tree:
        # An empty policy {} means "no filter" on AWS (it is accepted and matches everything).
        return FilterPolicy(None, scope, text)
    for alt in _expand(tree):
        leaves: dict[str, list[Any]] = {}
        _leaves(alt, "", leaves, scope)
        if len(leaves) > MAX_KEYS:
            raise FilterPolicyError(f"Filter policy can not have more than {MAX_KEYS} keys")
    total = 0
    for alt in _expand(tree):
        leaves = {}
        _leaves(alt, "", leaves, scope)
        combos = 1
        for values in leaves.values():
            combos *= max(1, len(values))
        total += combos
    if total > MAX_COMBINATIONS:
        raise FilterPolicyError("Filter policy is too complex")
    try:
        pattern = compile_event_pattern(text, max_length=None)
    except EventPatternError as exc:
        raise FilterPolicyError(exc.reason) from None
    return FilterPolicy(pattern, scope, text)
