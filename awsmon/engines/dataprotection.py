"""CloudWatch Logs data protection: find the values of managed data identifiers in a log message and mask them.

Supported identifiers: ``EmailAddress`` and ``CreditCardNumber`` (13-19 digits, optionally grouped by spaces or
dashes, passing the Luhn check: what card numbers are, so order ids of the same length are not masked). A policy
names identifiers as ``arn:aws:dataprotection::aws:data-identifier/<Name>`` in the Deidentify statement's
DataIdentifier list. Masked values are replaced by asterisks, one per character (AWS: "replaced by asterisks").
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

IDENTIFIER_ARN = "arn:aws:dataprotection::aws:data-identifier/"
_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card_ok(text: str) -> bool:
    digits = re.sub(r"[ -]", "", text)
    return 13 <= len(digits) <= 19 and luhn(digits)


FINDERS: dict[str, tuple[re.Pattern[str], Callable[[str], bool]]] = {
    "EmailAddress": (_EMAIL, lambda _: True),
    "CreditCardNumber": (_CARD, _card_ok),
}


class PolicyError(ValueError):
    """An invalid data protection policy document (the text is AWS's InvalidParameterException message)."""


def identifiers(policy_text: str) -> list[str]:
    """The managed identifiers a policy document masks (its Deidentify statement's DataIdentifier names).

    Raises PolicyError for a document AWS refuses: not JSON, no Name/Version, no statement with an Audit and one with
    a Deidentify operation, or an identifier this simulation does not know."""
    try:
        doc = json.loads(policy_text)
    except ValueError:
        raise PolicyError("Invalid data protection policy: the policy document is not valid JSON") from None
    if not isinstance(doc, dict) or not doc.get("Name") or not doc.get("Version"):
        raise PolicyError("Invalid data protection policy: Name and Version are required")
    statements = doc.get("Statement")
    if not isinstance(statements, list) or len(statements) != 2:
        raise PolicyError("Invalid data protection policy: exactly two statements (Audit, Deidentify) are required")
    ops = [s.get("Operation") if isinstance(s, dict) else None for s in statements]
    if not all(isinstance(o, dict) for o in ops) or not any("Audit" in o for o in ops) \
            or not any("Deidentify" in o for o in ops):  # fmt: skip
        raise PolicyError("Invalid data protection policy: one Audit and one Deidentify statement are required")
    out: list[str] = []
    for s in statements:
        names = s.get("DataIdentifier")
        if not isinstance(names, list) or not names:
            raise PolicyError("Invalid data protection policy: each statement needs a DataIdentifier list")
        for n in names:
            short = str(n).removeprefix(IDENTIFIER_ARN)
            if short not in FINDERS:
                raise PolicyError(f"Invalid data protection policy: unsupported data identifier {n}")
            if "Deidentify" in s["Operation"] and short not in out:
                out.append(short)
    return out


def mask(message: str, names: list[str]) -> str | None:
    """The message with the identifiers' values replaced by asterisks; None when nothing was found."""
    spans: list[tuple[int, int]] = []
    for name in names:
        pattern, ok = FINDERS[name]
        spans += [(m.start(), m.end()) for m in pattern.finditer(message) if ok(m.group(0))]
    if not spans:
        return None
    chars = list(message)
    for a, b in spans:
        chars[a:b] = "*" * (b - a)
    return "".join(chars)
