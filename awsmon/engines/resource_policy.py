"""Does a resource-based policy let an AWS *service* principal act on a resource? (pure; no I/O)

What AWS services check before they accept a configuration that makes them write somewhere: CloudTrail and
CloudWatch Logs export read the bucket policy (``cloudtrail.amazonaws.com`` / ``logs.<region>.amazonaws.com``
``s3:GetBucketAcl`` and ``s3:PutObject``), CloudWatch Logs reads a function's policy before a Lambda subscription
(``logs.amazonaws.com`` ``lambda:InvokeFunction``). IAM's evaluation for one principal: a matching Deny wins, else
a matching Allow allows, else the implicit deny.

Actions and resources match with IAM's wildcards (``*`` any run, ``?`` one character; actions case-insensitively).
Conditions are evaluated against ``context`` (condition key -> value, keys case-insensitive) when it is given: the
string and ARN operators (``StringEquals``, ``StringNotEquals``, ``StringLike``, ``StringNotLike``,
``StringEqualsIgnoreCase``, ``ArnEquals``, ``ArnLike``, ``ArnNotEquals``, ``ArnNotLike``, each with ``IfExists``)
— what these service checks meet (aws:SourceArn, aws:SourceAccount, s3:x-amz-acl). A key the request does not carry
fails its condition (unless ``IfExists``), and so does an operator outside that set, as IAM fails what it cannot
match. ``context=None`` ignores conditions (a caller that cannot know the request's keys).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any


def listed(value: Any) -> list[str]:
    """A policy element that may be one string or a list, as a list of strings."""
    return [value] if isinstance(value, str) else [str(v) for v in value or []] if isinstance(value, list) else []


def statements(policy: Any) -> list[dict[str, Any]]:
    st = policy.get("Statement") if isinstance(policy, Mapping) else None
    return [s for s in ([st] if isinstance(st, Mapping) else st or []) if isinstance(s, Mapping)]


@functools.lru_cache(maxsize=512)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM wildcard match: ``*`` any run of characters, ``?`` exactly one."""
    return _glob(pattern, ignore_case).fullmatch(value) is not None


def _principal_names(p: Any) -> list[str]:
    if p == "*":
        return ["*"]
    if isinstance(p, Mapping):
        return listed(p.get("Service")) + listed(p.get("AWS"))
    return []


_OPERATORS = {
    "stringequals": (False, False, False),  # (negated, wildcard, ignore case)
    "stringnotequals": (True, False, False),
    "stringequalsignorecase": (False, False, True),
    "stringnotequalsignorecase": (True, False, True),
    "stringlike": (False, True, False),
    "stringnotlike": (True, True, False),
    "arnequals": (False, True, False),  # ARN operators take wildcards in every segment
    "arnlike": (False, True, False),
    "arnnotequals": (True, True, False),
    "arnnotlike": (True, True, False),
}


def _condition_holds(condition: Any, context: Mapping[str, str]) -> bool:
    if not condition:
        return True
    if not isinstance(condition, Mapping):
        return False
    keys = {k.lower(): v for k, v in context.items()}
    for op, block in condition.items():
        name = str(op).lower()
        if_exists = name.endswith("ifexists")
        spec = _OPERATORS.get(name.removesuffix("ifexists"))
        if spec is None or not isinstance(block, Mapping):
            return False
        negated, wildcard, ignore_case = spec
        for key, wanted in block.items():
            value = keys.get(str(key).lower())
            if value is None:
                if if_exists:
                    continue
                return False
            hit = any(glob_match(w, value, ignore_case=ignore_case) if wildcard
                      else (w.lower() == value.lower() if ignore_case else w == value) for w in listed(wanted))  # fmt: skip
            if hit == negated:
                return False
    return True


def service_allowed(policy: Any, principal: str | tuple[str, ...], action: str, resource: str,
                    context: Mapping[str, str] | None = None) -> bool:  # fmt: skip
    """Does ``policy`` (a parsed document) allow the service ``principal`` (one name, or names that are the same
    service such as ``logs.amazonaws.com`` and ``logs.us-east-1.amazonaws.com``) to do ``action`` on ``resource``?"""
    principals = (principal,) if isinstance(principal, str) else principal
    allowed = False
    for st in statements(policy):
        names = _principal_names(st.get("Principal"))
        if "*" not in names and not any(p in names for p in principals):
            continue
        if not any(glob_match(a, action, ignore_case=True) for a in listed(st.get("Action"))):
            continue
        if not any(glob_match(r, resource) for r in listed(st.get("Resource"))):
            continue
        if context is not None and not _condition_holds(st.get("Condition"), context):
            continue
        if st.get("Effect") == "Deny":
            return False
        allowed = allowed or st.get("Effect") == "Allow"
    return allowed
