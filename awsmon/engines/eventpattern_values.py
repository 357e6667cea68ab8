"""Value-level helpers for the EventBridge pattern engine: IP literals and CIDRs, wildcards, equals-ignore-case,
and the wildcard complexity evaluator.

Every matcher here runs in time linear in the event value for a fixed pattern: wildcards are matched segment by
segment with `str.find` (no regex, no backtracking), equals-ignore-case by a position-set simulation.
"""

from __future__ import annotations

import ipaddress
import re
from collections import deque
from collections.abc import Callable, Sequence

__all__ = [
    "IpError",
    "WildcardError",
    "cidr_range",
    "event_ip",
    "ignore_case_matcher",
    "ip_literal",
    "parse_wildcard",
    "wildcard_complexity",
    "wildcard_matcher",
]

# ---------------------------------------------------------------------------------------------------------------------
# IP addresses (event-ruler CIDR.java)

_IPV4 = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
_IPV6 = re.compile(r"[0-9a-fA-F:]*:[0-9a-fA-F:]*")
_JAVA_INT = re.compile(r"[+-]?[0-9]+")


class IpError(ValueError):
    """An IP/CIDR text AWS rejects; the message is event-ruler's reason text."""


def _ipv4(text: str) -> int | None:
    value = 0
    for part in text.split("."):
        digits = part.lstrip("0") or "0"
        # Leading zeros are decimal, as Java's InetAddress reads them (Python's ipaddress would reject them).
        if len(digits) > 3 or int(digits) > 255:
            return None
        value = value * 256 + int(digits)
    return value


def ip_literal(text: str) -> tuple[int, int] | None:
    """`(family, address)` for an IP literal, None when `text` does not look like one.

    Raises IpError("Invalid IP address: ...") when it looks like one but does not parse. IPv4-mapped IPv6 addresses
    (`::ffff:a00:1`) become IPv4, like Java's InetAddress.
    """
    if _IPV4.fullmatch(text):
        v4 = _ipv4(text)
        if v4 is None:
            raise IpError(f"Invalid IP address: {text}")
        return 4, v4
    if _IPV6.fullmatch(text):
        try:
            v6 = int(ipaddress.IPv6Address(text))
        except ValueError:
            raise IpError(f"Invalid IP address: {text}") from None
        if v6 >> 32 == 0xFFFF:
            return 4, v6 & 0xFFFFFFFF
        return 6, v6
    return None


def event_ip(text: str) -> tuple[int, int] | None:
    """The address of an event string when it is a valid IP literal (else None: compared as a plain string)."""
    try:
        return ip_literal(text)
    except IpError:
        return None


def cidr_range(text: str) -> tuple[int, int, int]:
    """`(family, low, high)` of a CIDR pattern; raises IpError with event-ruler's message."""
    parts = text.split("/")
    # Java's String.split drops trailing empty strings ("10.0.0.0/8/" passes).
    while parts and parts[-1] == "":
        parts.pop()
    if len(parts) != 2:
        raise IpError("Malformed CIDR, one '/' required")
    bits_text = parts[1]
    bits = int(bits_text) if _JAVA_INT.fullmatch(bits_text) else None
    if bits is None or not -(2**31) <= bits < 2**31:  # Integer.parseInt
        raise IpError("Malformed CIDR, mask bits must be an integer")
    if bits < 0:
        raise IpError("Malformed CIDR, mask bits must not be negative")
    address = ip_literal(parts[0])
    if address is None:
        raise IpError(f"Nonstandard IP address: {parts[0]}")
    family, value = address
    width = 32 if family == 4 else 128
    if bits >= width:
        raise IpError(f"IPv{family} mask bits must be < {width}")
    host = width - bits
    low = (value >> host) << host  # host bits in the pattern are ignored (10.0.0.0/0 matches 1.2.3.4)
    return family, low, low | ((1 << host) - 1)


# ---------------------------------------------------------------------------------------------------------------------
# Wildcards


class WildcardError(ValueError):
    """A wildcard pattern event-ruler's WildcardParser rejects."""


def parse_wildcard(text: str) -> list[str | None]:
    """Tokenise a wildcard pattern: literal runs (str) separated by None for each `*`.

    Error positions are UTF-8 byte offsets inside `"` + text + `"` (event-ruler parses the quoted value).
    """
    tokens: list[str | None] = []
    literal: list[str] = []
    pos = 1  # byte offset of text[i] in the quoted value
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "*":
            if i + 1 < n and text[i + 1] == "*":
                raise WildcardError(f"Consecutive wildcard characters at pos {pos}")
            tokens.append("".join(literal))
            tokens.append(None)
            literal = []
        elif ch == "\\":
            if i + 1 < n and text[i + 1] in "*\\":
                literal.append(text[i + 1])
                i += 2
                pos += 2
                continue
            raise WildcardError(f"Invalid escape character at pos {pos}")
        else:
            literal.append(ch)
        pos += len(ch.encode("utf-8", "surrogatepass"))
        i += 1
    tokens.append("".join(literal))
    return tokens


def wildcard_matcher(text: str) -> Callable[[str], bool]:
    """A whole-string matcher for a (valid) wildcard pattern; `*` matches zero or more characters.

    With only `*` as a metacharacter, taking the leftmost occurrence of each middle segment is optimal, so a single
    left-to-right scan decides the match: O(len(value) x segments), no backtracking.
    """
    segments = [tok for tok in parse_wildcard(text) if tok is not None]
    if len(segments) == 1:
        exact = segments[0]
        return lambda value: value == exact
    head, middle, tail = segments[0], segments[1:-1], segments[-1]
    fixed = len(head) + len(tail)

    def match(value: str) -> bool:
        if len(value) < fixed or not value.startswith(head) or not value.endswith(tail):
            return False
        pos, end = len(head), len(value) - len(tail)
        for seg in middle:
            found = value.find(seg, pos, end)
            if found < 0:
                return False
            pos = found + len(seg)
        return True

    return match


# ---------------------------------------------------------------------------------------------------------------------
# equals-ignore-case


def _alternatives(text: str) -> list[tuple[str, ...]]:
    # event-ruler's EqualsIgnoreCaseParser: each pattern character may be matched by its lower or upper case form.
    return [tuple(sorted({ch.lower(), ch.upper()})) for ch in text]


def ignore_case_matcher(text: str, mode: str) -> Callable[[str], bool]:
    """Matcher for equals-ignore-case (`mode` "equals"), prefix ("prefix") or suffix ("suffix") variants."""
    alts = _alternatives(text)
    if mode == "suffix":
        alts = [tuple(a[::-1] for a in alt) for alt in reversed(alts)]
    ascii_pattern = text.isascii()
    folded = text.lower()
    size = len(text)

    def simulate(value: str) -> set[int]:
        positions = {0}
        for alt in alts:
            positions = {p + len(a) for p in positions for a in alt if value.startswith(a, p)}
            if not positions:
                break
        return positions

    if mode == "equals":

        def match(value: str) -> bool:
            if ascii_pattern:
                # ASCII alternatives are single ASCII characters: a non-ASCII value can never match.
                return value.isascii() and len(value) == size and value.lower() == folded
            return len(value) in simulate(value)

    elif mode == "prefix":

        def match(value: str) -> bool:
            if ascii_pattern:
                head = value[:size]
                return len(head) == size and head.isascii() and head.lower() == folded
            return bool(simulate(value))

    else:

        def match(value: str) -> bool:
            if ascii_pattern:
                if len(value) < size:
                    return False
                tail = value[len(value) - size :]
                return tail.isascii() and tail.lower() == folded
            return bool(simulate(value[::-1]))

    return match


# ---------------------------------------------------------------------------------------------------------------------
# Wildcard complexity (the service-level "Rule is too complex" limit)


def _glob_automaton(text: str) -> tuple[bytes, list[bool]]:
    """Literal bytes and star flags of the quoted pattern: state i (after i literal bytes) loops iff stars[i]."""
    literal = bytearray(b'"')
    stars = [False, False]  # state 0 (start) and state 1 (after the opening quote)
    for tok in parse_wildcard(text):
        if tok is None:
            stars[-1] = True
            continue
        for byte in tok.encode("utf-8", "surrogatepass"):
            literal.append(byte)
            stars.append(False)
    literal.append(ord('"'))
    stars.append(False)
    return bytes(literal), stars


def wildcard_complexity(patterns: Sequence[str], cap: int, max_states: int = 20_000) -> int:
    """event-ruler's MachineComplexityEvaluator, recomputed on a per-pattern glob NFA.

    The evaluator walks every reachable set of byte-level transitions the machine can be in simultaneously and counts,
    for each, the transitions that can still lead to a wildcard match, plus the all-bytes loop of a star state that
    was just entered (`transitionForAllBytes` not yet in the set). The answer is the maximum over reachable sets,
    capped at `cap`. Patterns of one field share a machine in event-ruler, so their counts add up. This model
    reproduces every complexity measured for the spec (`*.png` 2, `*/lib/*` 4, `*a*a*` 5, `*:*:*:event-bus/*` 7,
    `*:*:*:*:event-bus/*` 9, `*a*a*a*a*` 9). [design choice] An exploration of more than `max_states` sets is
    reported as `cap` (too complex) rather than searched further.
    """
    autos = [_glob_automaton(p) for p in dict.fromkeys(patterns)]
    if not autos:
        return 0
    start = tuple(frozenset({0}) for _ in autos)
    seen = {start}
    queue = deque([start])
    best = 0
    while queue:
        current = queue.popleft()
        candidates = {256}  # 256 stands for "a byte no literal transition takes"
        for (literal, _), active in zip(autos, current, strict=True):
            candidates.update(literal[i] for i in active if i < len(literal))
        for byte in candidates:
            size = 0
            nxt = []
            for (literal, stars), active in zip(autos, current, strict=True):
                reached = set()
                for i in active:
                    if stars[i]:
                        reached.add(i)
                        size += 1  # the loop transition
                    if i < len(literal) and literal[i] == byte:
                        target = i + 1
                        reached.add(target)
                        size += 1
                        if stars[target] and target not in active:
                            size += 1  # its loop is not yet part of the set
                nxt.append(frozenset(reached))
            if size >= cap:
                return cap
            best = max(best, size)
            state = tuple(nxt)
            if any(state) and state not in seen:
                if len(seen) >= max_states:
                    return cap
                seen.add(state)
                queue.append(state)
    return best
