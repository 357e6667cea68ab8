"""Batch matching of space-delimited filter patterns: one Hyperscan scan selects the matches of many messages.

The local store hands over a chunk of messages joined by NUL (``b"\\0".join(...)``, no message holding a NUL) and
gets back the indices of those that match. Calling a Python matcher once per message (from SQLite) cost ~1 µs per
row, 94 % of it on rows that do not match; here the rows that cannot match never leave C.

How: the pattern is compiled to a Hyperscan regex over bytes that accepts a *superset* of the matching messages, and
each message it accepts is confirmed with the pattern's own matcher (``FilterPattern.matches``), so the answer is
exactly the reference matcher's. The regex reads the message's first tokens the way ``tokenize_fields`` does and
tests the conditions on the fixed fields whose content a regex can express:

* One token per field up to the last constrained one (and the field count, so short lines are rejected). A token is
  ``[...]`` (up to the first ``]``), ``"..."`` (up to the next ``"``) or a run of non-blanks that does not start with
  ``[`` or ``"``: deterministic, so Hyperscan runs it as a DFA (~4 GB/s on JSON lines, ~0.7 GB/s on access logs;
  the ambiguous form, where an unclosed ``[`` could also start a bare token, ran at 0.2-0.5 GB/s).
* That leaves out the messages where one of those first tokens opens with a ``[`` or ``"`` that is never closed
  (the real tokenizer reads a bare token there). More regexes make every such message a candidate (the tokens
  before it read as usual, then a delimiter with no closer up to the end), so the superset stays sound.
* Conditions: string values and wildcards (``=ERROR``, ``=4*``, ``=*Denied*``) test the field's content;
  numeric comparisons (``>=400``, ``=200``) test plain integers exactly by their digits (a regex of the integer
  range) and let every other number spelling (``4e2``, ``400.0``, ``-5``, blanks around it) through to the
  confirmation; ``%regex%`` values need their longest literal run. ``!=``, conditions on the last field (it joins
  the rest of the line), on fields after ``...`` or on ``$N`` positions constrain nothing (the confirmation does).
* ``||`` becomes alternatives (at most ``MAX_BRANCHES`` after distributing ``&&`` over ``||``; past that, whole
  conditions are dropped, which only widens the superset).
"""

from __future__ import annotations

import bisect
import math
import threading
from collections.abc import Callable, Iterator, Sequence
from itertools import product
from typing import Any, Protocol

MAX_BRANCHES = 16
_MAX_DIGITS = 40  # integer bounds longer than this are not spelled out (any digits pass to the confirmation)

_START = r"(?:\A|\x00)"
_TOKEN_END = r"(?:[ \t\r\n\x00]|\z)"
# Chars Python's str.strip() removes (numeric comparisons strip the field) as a byte superset: ASCII ones and any
# byte of a multi-byte UTF-8 sequence.
_STRIP_IN = r"[\t-\r\x1c-\x20\x80-\xff]"
_STRIP_BARE = r"[\x0b\x0c\x1c-\x1f\x80-\xff]"
# The ASCII ones alone: what ``str.strip`` surely removes (the exact regexes, see ``_Num.exact_regex``).
_STRIP_IN_ASCII = r"[\t-\r\x1c-\x20]"
_STRIP_BARE_ASCII = r"[\x0b\x0c\x1c-\x1f]"
# A number spelled otherwise than as a plain non-negative integer: a superset of _is_number_text's other forms.
_OTHER_NUMBER = r"(?:-[0-9]+|[-+0-9]*[.eE][-+.0-9eE]*)"
_HIGH = r"[\x80-\xff]"  # the strip sets' bytes beyond the ASCII ones
_MAX_LEFTOVERS = 3  # a branch with more numeric fields keeps one superset regex (one leftover regex per field)
_SKIP = r'[ \t\r\n]*(?:\[[^\]\x00]*\]|"[^"\x00]*"|[^ \t\r\n\x00\["][^ \t\r\n\x00]*[ \t\r\n])'  # any token
_UNCLOSED_TOKEN = r'[ \t\r\n]*(?:\[[^\]\x00]*|"[^"\x00]*)(?:\x00|\z)'  # a [ or " with no closer after it


def unclosed_regexes(tokens: int) -> list[str]:
    """Messages whose token j < ``tokens`` opens with a [ or " that is never closed (the real tokenizer reads a bare
    token there, which the deterministic token regex does not): all candidates. The first such token decides, so
    the tokens before it are read as usual; anchored like that, Hyperscan scans them ~5x faster than an
    unanchored "[ with no ] after it" (measured on JSON lines)."""
    return [_START + _SKIP * j + _UNCLOSED_TOKEN for j in range(tokens)]


def _esc(bs: bytes) -> str:
    return "".join(f"\\x{b:02x}" for b in bs)


class _Box:
    """One way a token holds its content: bracketed, quoted or bare."""

    def __init__(self, open_: str, close: str, forbidden: bytes, forbidden_first: bytes, nonempty: bool,
                 strip: str, exact_strip: str) -> None:  # fmt: skip
        self.open, self.close = open_, close
        self.forbidden = frozenset(forbidden)
        self.forbidden_first = frozenset(forbidden_first)
        self.rest = "[^" + _esc(forbidden) + "]"
        self.first = "[^" + _esc(forbidden_first) + "]"
        self.nonempty = nonempty
        self.strip = strip
        self.exact_strip = exact_strip

    def any(self) -> str:
        return f"{self.first}{self.rest}*" if self.nonempty else f"{self.rest}*"

    def fits(self, core: bytes) -> bool:
        return not any(b in self.forbidden for b in core)


_BRACKETED = _Box(r"\[", r"\]", b"]\x00", b"]\x00", False, _STRIP_IN, _STRIP_IN_ASCII)
_QUOTED = _Box('"', '"', b'"\x00', b'"\x00', False, _STRIP_IN, _STRIP_IN_ASCII)
_BARE = _Box("", "", b" \t\r\n\x00", b' \t\r\n\x00["', True, _STRIP_BARE, _STRIP_BARE_ASCII)
_BOXES = (_BRACKETED, _QUOTED, _BARE)


# -- content constraints ---------------------------------------------------------------------------------------
class _Lit:
    """The content equals ``core``, or starts / ends with it / holds it (``*`` trailing / leading / both)."""

    def __init__(self, core: bytes, lead: bool, trail: bool) -> None:
        self.core, self.lead, self.trail = core, lead, trail

    def regex(self, box: _Box) -> str | None:
        core = self.core
        if not box.fits(core):
            return None
        if not core:
            if self.lead or self.trail:
                return box.any()
            return None if box.nonempty else ""
        c = _esc(core)
        first_ok = core[0] not in box.forbidden_first
        rest = f"{box.rest}*"
        if not self.lead:  # equal or prefix
            if not first_ok:
                return None
            return c + rest if self.trail else c
        tail = rest if self.trail else ""
        if not box.nonempty:
            return f"{rest}{c}{tail}"
        alts = [f"{box.first}{rest}{c}{tail}"]
        if first_ok:
            alts.append(c + tail)
        return "(?:" + "|".join(alts) + ")"


class _Num:
    """A numeric comparison: plain integers in [lo, hi] exactly (``empty``: none), other spellings all pass."""

    def __init__(self, lo: int, hi: int | None, empty: bool, strip: bool) -> None:
        self.lo, self.hi, self.empty, self.strip = lo, hi, empty, strip

    def intersect(self, other: _Num) -> _Num:
        lo = max(self.lo, other.lo)
        his = [h for h in (self.hi, other.hi) if h is not None]
        hi = min(his) if his else None
        empty = self.empty or other.empty or (hi is not None and hi < lo)
        return _Num(lo, hi, empty, self.strip and other.strip)

    def regex(self, box: _Box) -> str:
        alts = [] if self.empty else [r"\+?0*" + digits_range(self.lo, self.hi)]
        alts.append(_OTHER_NUMBER)
        core = "(?:" + "|".join(alts) + ")"
        return f"{box.strip}*{core}{box.strip}*" if self.strip else core

    def exact_regex(self, box: _Box) -> str | None:
        """Only the spellings the comparison surely accepts: a plain integer in [lo, hi], with (ordering comparisons)
        ASCII blanks ``str.strip`` removes around it; None if there is none or the bounds are too long to spell."""
        if self.empty or len(str(self.lo)) > _MAX_DIGITS or (self.hi is not None and len(str(self.hi)) > _MAX_DIGITS):
            return None
        core = r"\+?0*" + digits_range(self.lo, self.hi)
        return f"{box.exact_strip}*{core}{box.exact_strip}*" if self.strip else core

    def leftover_regex(self, box: _Box) -> str:
        """What ``regex`` accepts beyond ``exact_regex`` (all of it when there is no exact regex): other number
        spellings, and (ordering comparisons) plain integers with a non-ASCII byte among the blanks around them.
        Beside the exact regex it replaces the superset one: a plain matching line then fires one regex, not two."""
        if self.exact_regex(box) is None:
            return self.regex(box)
        if not self.strip:
            return _OTHER_NUMBER
        s, core = box.strip, r"\+?0*" + digits_range(self.lo, self.hi)
        return f"(?:{s}*{_OTHER_NUMBER}{s}*|{s}*{_HIGH}{s}*{core}{s}*|{s}*{core}{s}*{_HIGH}{s}*)"


def _interval(op: str, target: int | float) -> _Num:
    """The non-negative integers x with ``x <op> target`` (ordering comparisons strip the field first)."""
    if op == "=":
        if isinstance(target, float) and not target.is_integer():
            return _Num(0, None, True, False)
        v = int(target)
        return _Num(v, v, v < 0, False)
    if op == ">":
        lo, hi = math.floor(target) + 1, None
    elif op == ">=":
        lo, hi = math.ceil(target), None
    elif op == "<":
        lo, hi = 0, math.ceil(target) - 1
    else:  # "<="
        lo, hi = 0, math.floor(target)
    lo = max(lo, 0)
    return _Num(lo, hi, hi is not None and hi < lo, True)


def digits_range(lo: int, hi: int | None) -> str:
    """A regex for the canonical decimal spellings (no leading zero) of the integers in [lo, hi] (hi None: no
    bound); lo >= 0."""
    if len(str(lo)) > _MAX_DIGITS or (hi is not None and len(str(hi)) > _MAX_DIGITS):
        return "[0-9]+"
    a = str(lo)
    if hi is None:
        return "(?:" + _same_length(a, "9" * len(a)) + f"|[1-9][0-9]{{{len(a)},}})"
    b = str(hi)
    parts = []
    for n in range(len(a), len(b) + 1):
        lo_n = a if n == len(a) else "1" + "0" * (n - 1)
        hi_n = b if n == len(b) else "9" * n
        parts.append(_same_length(lo_n, hi_n))
    return "(?:" + "|".join(parts) + ")"


def _same_length(a: str, b: str) -> str:
    """Digit strings s of len(a) == len(b) with a <= s <= b."""
    if a == b:
        return a
    i = 0
    while a[i] == b[i]:
        i += 1
    prefix, a, b = a[:i], a[i:], b[i:]
    if len(a) == 1:
        return f"{prefix}[{a}-{b}]"
    n = len(a) - 1
    if a[1:] == "0" * n and b[1:] == "9" * n:
        return f"{prefix}[{a[0]}-{b[0]}][0-9]{{{n}}}"
    alts = [a[0] + _same_length(a[1:], "9" * n)]
    if int(b[0]) - int(a[0]) > 1:
        alts.append(f"[{int(a[0]) + 1}-{int(b[0]) - 1}][0-9]{{{n}}}")
    alts.append(b[0] + _same_length("0" * n, b[1:]))
    return prefix + "(?:" + "|".join(alts) + ")"


def _constraint(conds: Sequence[Any]) -> tuple[_Lit | _Num | None, bool]:
    """What a regex can require of one field's content so that every condition in ``conds`` can hold (None: nothing),
    and whether that requirement is also sufficient on a plain token (see ``_Num.exact_regex``): one string or
    wildcard condition, or only numeric comparisons (their intervals intersect), besides ``= *`` (always true).
    Any one condition's requirement is sound; string literals are the most selective, numeric bounds intersect."""
    lits: list[_Lit] = []
    num: _Num | None = None
    exact = True
    for c in conds:
        val = c.val
        if val is None or c.op == "!=":
            exact = False
            continue
        if val.kind == "regex":
            exact = False
            runs = val.regex.literals if val.regex is not None else []
            core = _utf8(max(runs, key=len)) if runs and c.op == "=" else None
            if core is not None:
                lits.append(_Lit(core, True, True))
            continue
        if val.kind == "num" and not val.quoted:
            iv = _interval(c.op, val.num)
            num = iv if num is None else num.intersect(iv)
            continue
        if val.kind == "any":
            continue
        text = val.text  # as _string_test / _Wildcard read it
        lead = text.startswith("*")
        rest = text[1:] if lead else text
        trail = rest.endswith("*")
        core = _utf8(rest[:-1] if trail else rest)
        if core is None:
            exact = False
        else:
            lits.append(_Lit(core, lead, trail))
    if lits:
        return max(lits, key=lambda x: len(x.core)), exact and len(lits) == 1 and num is None
    return num, exact


def _utf8(s: str) -> bytes | None:
    try:
        return s.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: constrain nothing, the confirmation decides
        return None


def _token(constraint: _Lit | _Num | None, last: bool, how: str = "superset") -> str | None:
    """One token (blanks before it included); None if no token can satisfy the constraint. ``how`` a numeric
    constraint reads the token: "superset" (``_Num.regex``), "exact" (only the spellings that surely compare true,
    ``_Num.exact_regex``) or "leftover" (the others, ``_Num.leftover_regex``)."""
    if constraint is None:
        if last:
            return r"[ \t\r\n]*[^ \t\r\n\x00]"  # the token exists
        return _SKIP
    alts = []
    for box in _BOXES:
        if how == "exact" and isinstance(constraint, _Num):
            content = constraint.exact_regex(box)
        elif how == "leftover" and isinstance(constraint, _Num):
            content = constraint.leftover_regex(box)
        else:
            content = constraint.regex(box)
        if content is None:
            continue
        if box is _BARE:
            alts.append(content + (_TOKEN_END if last else r"[ \t\r\n]"))
        else:
            alts.append(box.open + content + box.close)
    if not alts:
        return None
    return r"[ \t\r\n]*(?:" + "|".join(alts) + ")"


def _branches(fields: Sequence[Any]) -> tuple[int, list[tuple[dict[int, list[Any]], bool]]] | None:
    """(field count a match needs, DNF branches: (position -> conditions on it, whether the branch holds every one of
    its conditions: none was dropped)), or None for nothing to pre-filter."""
    ell = next((k for k, f in enumerate(fields) if f.kind == "ellipsis"), None)
    keys: dict[str, int | None] = {}  # as _bind_fields assigns them; None: not a fixed token
    if ell is None:
        min_tokens = len(fields)
        for k, f in enumerate(fields):
            keys[f"${f.name}" if f.name else f"${k + 1}"] = k if k < len(fields) - 1 else None
    else:
        min_tokens = len(fields) - 1
        for k, f in enumerate(fields):
            if f.kind == "field" and f.name is not None and not f.name.isdigit():
                keys[f"${f.name}"] = k if k < ell else None
    exprs: list[list[tuple[list[tuple[int, Any]], bool]]] = []
    for f in fields:
        if not f.expr:
            continue
        alts: list[tuple[list[tuple[int, Any]], bool]] = []
        for ands in f.expr:
            steps: list[tuple[int, Any]] | None = []
            whole = True  # no condition of this AND-branch left to the confirmation
            for c in ands:
                key = "$" + c.name
                if key in keys:
                    k = keys[key]
                    if k is None:
                        whole = False
                    elif steps is not None:
                        steps.append((k, c))
                elif ell is not None and c.name.isdigit():
                    whole = False
                else:
                    steps = None  # a name no field binds: this branch is false
                    break
            if steps is not None:
                alts.append((steps, whole))
        exprs.append(alts)
    if not exprs:
        return None
    if any(not alts for alts in exprs):
        return min_tokens, []  # some condition can never hold
    # Drop the widest disjunctions until the distributed form is small (dropping only widens the superset).
    dropped = False
    while exprs and math.prod(len(a) for a in exprs) > MAX_BRANCHES:
        exprs.remove(max(exprs, key=len))
        dropped = True
    branches = []
    for combo in product(*exprs):
        by_pos: dict[int, list[Any]] = {}
        for steps, _ in combo:
            for k, c in steps:
                by_pos.setdefault(k, []).append(c)
        branches.append((by_pos, not dropped and all(whole for _, whole in combo)))
    return min_tokens, branches


def branch_regexes(fields: Sequence[Any]) -> list[tuple[str, bool]] | None:
    """The Hyperscan sources of the superset regex (one per DNF branch, then the unclosed-delimiter ones), each with
    whether a message it matches surely matches the pattern ("exact": no confirmation needed); [] if no message can
    match; None if some branch constrains no field's content (nothing worth a pre-filter).

    A branch is exact when every one of its conditions is (``_constraint``) and sits on a fixed token: the regex then
    reads the same tokens ``tokenize_fields`` does (it reads no token whose delimiter is unclosed) and tests each
    condition exactly. An exact branch with numeric comparisons gets an exact regex (plain integers in range) and, for
    each numeric field, a regex of the spellings left over (``_Num.leftover_regex``; the other fields as in the
    superset): together they accept what the superset regex accepts, and a plain matching line fires only one."""
    shape = _branches(fields)
    if shape is None:
        return None
    min_tokens, branches = shape
    out: list[tuple[str, bool]] = []
    tokens = 0
    for by_pos, whole in branches:
        cons: dict[int, _Lit | _Num] = {}
        exact = whole
        for k, cs in by_pos.items():
            con, con_exact = _constraint(cs)
            exact = exact and con_exact
            if con is not None:
                cons[k] = con
        if not cons:
            return None  # this branch only counts tokens: most messages would be candidates
        scan = max(min_tokens, max(cons) + 1)
        nums = [k for k, c in cons.items() if isinstance(c, _Num)]
        plans: list[tuple[dict[int, str], bool]] = [({}, False)]  # (how each numeric field is read, exact)
        if exact:
            plans = [(dict.fromkeys(nums, "exact"), True)]
            if nums and len(nums) <= _MAX_LEFTOVERS:  # the rest: one field at a time outside its exact spellings
                plans += [({j: "leftover"}, False) for j in nums]
            elif nums:
                plans.append(({}, False))
        for how, mode in plans:
            pieces = []
            for k in range(scan):
                tok = _token(cons.get(k), k == scan - 1, how.get(k, "superset"))
                if tok is None:
                    break
                pieces.append(tok)
            else:
                out.append((_START + "".join(pieces), mode))
                tokens = max(tokens, scan)
    return out + [(u, False) for u in unclosed_regexes(tokens)] if out else []


class DatabaseCache(Protocol):
    """Where compiled Hyperscan databases are kept between processes (the caller does the I/O): compiling the ~10
    regexes of a space-delimited pattern takes 60-150 ms, loading a saved database well under 1 ms."""

    def get(self, key: str) -> bytes | None: ...

    def put(self, key: str, data: bytes) -> None: ...


def database_key(hs: Any, exprs: Sequence[bytes], ids: Sequence[int]) -> str:
    """A name for a compiled database: the Hyperscan version, the expressions and their ids."""
    import hashlib

    h = hashlib.sha256(str(getattr(hs, "__version__", "")).encode())
    for e, i in zip(exprs, ids, strict=True):
        h.update(b"%d\0%d\0" % (i, len(e)) + e)
    return h.hexdigest()


class BatchMatcher:
    """Selects the matching messages of a NUL-joined buffer (see the module doc). Thread-safe.

    ``exact[i]``: a message ``sources[i]`` matches surely matches the pattern, so it skips the confirmation (the
    Hyperscan ids carry it in their low bit)."""

    def __init__(self, hs: Any, sources: list[str], matches: Callable[[str], bool],
                 exact: Sequence[bool] | None = None, cache: DatabaseCache | None = None) -> None:  # fmt: skip
        self.sources = sources
        self.exact = list(exact) if exact is not None else [False] * len(sources)
        self._matches = matches
        self._db: Any = None
        self._hs = hs
        if sources:
            exprs = [s.encode() for s in sources]
            ids = [2 * i + (0 if self.exact[i] else 1) for i in range(len(exprs))]
            key = database_key(hs, exprs, ids) if cache is not None else ""
            data = cache.get(key) if cache is not None else None
            if data:
                try:
                    self._db = hs.loadb(data, hs.HS_MODE_BLOCK)
                except Exception:  # another Hyperscan build or a damaged entry: compile again
                    self._db = None
            if self._db is None:
                self._db = hs.Database()
                self._db.compile(expressions=exprs, ids=ids, flags=[0] * len(exprs))
                if cache is not None:
                    cache.put(key, hs.dumpb(self._db))
        self._local = threading.local()

    def select(self, buf: bytes) -> list[int]:
        """0-based indices, ascending, of the messages in ``buf`` (joined by NUL; none may hold a NUL) that match."""
        out: list[int] = []
        idx = counted = 0
        for start in self.matching_starts(buf):
            idx += buf.count(b"\0", counted, start)
            counted = start
            out.append(idx)
        return out

    def count(self, buf: bytes) -> int:
        """How many messages of ``buf`` match (``len(select(buf))`` without locating them)."""
        return sum(1 for _ in self.matching_starts(buf))

    @property
    def one_hit_per_message(self) -> bool:
        """Whether an exact hit stands for one message: a single exact regex, anchored at a message's start and read
        deterministically (one token parse per start), ends at most once per message."""
        return sum(self.exact) == 1

    def raw_hits(self, buf: Any, lo: int = 0, hi: int | None = None) -> tuple[list[int], list[int]]:
        """End offsets (relative to ``lo``, sorted) of the exact regexes' hits and of the superset regexes' hits in
        ``buf[lo:hi]``: a hit's message is the one holding offset ``lo + end - 1``. Superset hits still need the
        pattern's own matcher (:meth:`confirm`); a message may have hits of both kinds."""
        size = len(buf) if hi is None else hi
        exact: list[int] = []
        other: list[int] = []
        if self._db is None or size <= lo:
            return exact, other
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._hs.Scratch(self._db)
        pick = (exact.append, other.append)
        with memoryview(buf)[lo:size] as view:
            self._db.scan(view, match_event_handler=lambda id_, _from, to, _flags, _ctx: pick[id_ & 1](to),
                          scratch=scratch)  # fmt: skip
        exact.sort()
        other.sort()
        return exact, other

    def count_messages(self, buf: Any, starts: Sequence[int], lo: int = 0, hi: int | None = None,
                       inside: Callable[[int], bool] | None = None) -> int:  # fmt: skip
        """How many messages of ``buf[lo:hi]`` match and are accepted by ``inside(index)`` (None: all). ``buf`` holds
        every message followed by a NUL and ``starts[i]`` is message i's offset (ascending); ``lo`` and ``hi`` are
        message boundaries. Nothing is located when the answer is the number of exact hits (no ``inside``, one
        exact regex, no superset hit): the common case of a big count costs the scan and one report per match."""
        exact, other = self.raw_hits(buf, lo, hi)

        def index(end: int) -> int:  # the message holding the hit's last byte (its NUL, if the regex read it)
            return bisect.bisect_right(starts, lo + end - 1) - 1

        single = self.one_hit_per_message
        seen: set[int] | list[int] | None = None  # the messages of the exact hits (None: not located)
        if inside is None and single:
            n = len(exact)
        else:
            seen = {index(e) for e in exact}
            n = sum(1 for k in seen if inside is None or inside(k))
        for k in sorted({index(e) for e in other}):  # superset hits (rare): unless an exact hit took the message
            start = starts[k]
            stop = buf.find(b"\0", start)
            if seen is None:
                j = bisect.bisect_left(exact, start - lo + 1)
                if j < len(exact) and exact[j] <= stop - lo + 1:
                    continue
            elif k in seen:
                continue
            if (inside is None or inside(k)) and self.confirm(buf[start:stop]):
                n += 1
        return n

    def confirm(self, message: bytes) -> bool:
        """The pattern's own verdict on one message's bytes (for superset hits)."""
        return self._matches(message.decode("utf-8"))

    def matching_starts(self, buf: Any, lo: int = 0, hi: int | None = None) -> Iterator[int]:
        """Offsets of the messages an exact regex accepts, or a superset one accepts and the pattern's own matcher
        confirms, ascending. Only ``buf[lo:hi]`` is scanned (``lo`` a message's start, ``hi`` just after a NUL or
        the end); ``buf`` may be any buffer with ``find``/``rfind`` (bytes, a memory map): it is not copied."""
        size = len(buf) if hi is None else hi
        if self._db is None or size <= lo:
            return
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._hs.Scratch(self._db)
        ends: list[int] = []
        add = ends.append
        # end << 1 | 1 for a superset regex: sorted, a message's exact hit (if any) comes first among equal ends.
        with memoryview(buf)[lo:size] as view:
            self._db.scan(view, match_event_handler=lambda id_, _from, to, _flags, _ctx: add((to + lo) << 1 | (id_ & 1)),
                          scratch=scratch)  # fmt: skip
        ends.sort()
        last_start = -1
        pending = -1  # a message only superset regexes accepted so far (its start)
        for key in ends:
            p = (key >> 1) - 1
            if buf[p] == 0:  # the match consumed the message's terminator
                p -= 1
            start = buf.rfind(b"\0", lo, p) + 1 or lo
            if start == last_start:
                if pending == start and not key & 1:
                    pending = -1  # an exact regex decides it after all
                    yield start
                continue
            if pending >= 0 and self._confirm(buf, pending, size):
                yield pending
            last_start = start
            if key & 1:
                pending = start
            else:
                pending = -1
                yield start
        if pending >= 0 and self._confirm(buf, pending, size):
            yield pending

    def _confirm(self, buf: bytes, start: int, size: int) -> bool:
        end = buf.find(b"\0", start)
        return self._matches(buf[start : end if end >= 0 else size].decode("utf-8"))


def build_batch(fields: Sequence[Any], matches: Callable[[str], bool],
                cache: DatabaseCache | None = None) -> BatchMatcher | None:  # fmt: skip
    """The batch matcher of a space-delimited pattern's fields, or None (no Hyperscan, nothing to pre-filter on,
    or a regex Hyperscan refuses: callers then run ``matches`` on every message)."""
    from awsmon.engines.lregex import _hyperscan

    hs = _hyperscan()
    if not hs:
        return None
    regexes = branch_regexes(fields)
    if regexes is None or matches(""):
        return None
    try:
        return BatchMatcher(hs, [r for r, _ in regexes], matches, [e for _, e in regexes], cache)
    except Exception:  # hyperscan.error (a pattern too large): the per-message path still answers
        return None
