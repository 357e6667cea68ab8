"""Linear-time matcher for the CloudWatch Logs filter-pattern regex subset (``%…%``), spec logs.md §1.6.

The subset has no groups, so a regex is a top-level alternation of sequences of (atom, quantifier) items. It is
compiled to a Thompson NFA and run as a lazily built DFA (each DFA state is a set of NFA states, built on first use and
memoised per input character), so matching costs O(len(text)) after warm-up and O(len(text) * nfa_size) in the worst
case; there is no backtracking. Python's ``re`` is never used on user regexes.

The worst case is real: a bounded repeat after a loop (``[ab]*a[ab]{1000}[cd]``) has 2**1000 DFA states, so the cache
thrashes and every character costs a closure over ~3,000 NFA states in Python (24 s for 100 KB). When Hyperscan
(PyPI ``hyperscan``, x86-64) is installed, the parsed regex is therefore re-emitted in Hyperscan's syntax and searched
there: Hyperscan never backtracks and runs bounded repeats as counters (that pattern: ~15 ms on 256 KB). google-re2
was measured and rejected: its DFA exceeds its memory budget on that pattern and falls back to its NFA (1.5 s on
256 KB). The parser above stays the only judge of what is accepted; Hyperscan sees only what it re-emits (explicit
``\\x{..}`` classes, ``\\A``/``\\z`` anchors), and the automaton below stays the fallback (no wheel, a pattern
Hyperscan refuses, text that is not valid UTF-8). Both are tested to agree (tests/engines/test_lregex.py).

Semantics (search, i.e. a match anywhere, as AWS documents):
* ``^`` / ``$`` anchor at the start / the very end of the text. [design choice] ``$`` does not match before a
  trailing newline (unlike Python's ``re``), ``.`` matches any character except ``\\n`` (Python's default).
* ``\\d`` = ``[0-9]``, ``\\w`` = ``[A-Za-z0-9_]``, ``\\s`` = ``[ \\t\\n\\r\\f\\v]`` (Java/ASCII; AWS's page says
  "tab, space, newline"), ``\\D \\W \\S`` their complements, ``\\xhh`` one ASCII character.
* ``?`` after a quantifier (lazy) is accepted: it does not change whether a search succeeds.
* [design choice] a ``{`` that does not start a valid ``{m}``, ``{m,}``, ``{,n}`` or ``{m,n}`` is an error (Java
  rejects it too); bounds above 1000 are rejected, and so is an NFA above ``MAX_NFA_STATES`` states.
* Allowed characters [FPS/RGX]: letters, digits, ``: _ # = @ / ; , -``, the operators ``^ $ ? [ ] { } | \\ * + .``
  and [design choice, unverified] the space, which a documented example uses. ``(`` and ``)`` are rejected even when
  escaped (users report AWS does so; use ``\\x28``/``\\x29``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from awsmon.engines.filterpattern_errors import INVALID_FILTER_PATTERN, FilterPatternError, invalid_term

ALLOWED_REGEX_CHARS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:_#=@/;,-^$?[]{}|\\*+. "
)
MAX_REPEAT = 1000
MAX_NFA_STATES = 20000
# Bounds on the lazily built DFA; past them the cache is dropped and rebuilt (still linear per character).
_MAX_DFA_STATES = 4000
_MAX_DFA_TRANSITIONS = 200_000

_SPACE = frozenset(" \t\n\r\f\v")
_DIGIT = frozenset("0123456789")
_WORD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


@dataclass(frozen=True)
class CharSet:
    """A set of characters: explicit chars, code-point ranges, and named classes, possibly negated."""

    chars: frozenset[str]
    ranges: tuple[tuple[int, int], ...] = ()
    negated: bool = False
    # ``.``: everything except newline.
    dot: bool = False

    def single(self) -> str | None:
        """The one character this set matches, if it is a plain one-character literal."""
        if not self.negated and not self.dot and not self.ranges and len(self.chars) == 1:
            return next(iter(self.chars))
        return None

    def predicate(self) -> Callable[[str], bool]:
        if self.dot:
            return lambda c: c != "\n"
        one = self.single()
        if one is not None:
            return one.__eq__
        chars, ranges, neg = self.chars, self.ranges, self.negated
        if not ranges:
            if neg:
                return lambda c: c not in chars
            return chars.__contains__

        def pred(c: str) -> bool:
            if c in chars:
                return not neg
            o = ord(c)
            for lo, hi in ranges:
                if lo <= o <= hi:
                    return not neg
            return neg

        return pred


@dataclass(frozen=True)
class Item:
    """One atom with its repetition bounds; ``anchor`` is ``"^"`` or ``"$"`` for assertions."""

    charset: CharSet | None
    min: int = 1
    max: int | None = 1
    anchor: str | None = None
    # A parenthesised group (general syntax only): its alternatives, and its capture number (0: non-capturing).
    group: tuple[tuple[Item, ...], ...] | None = None
    capture: int = 0


class _Parser:
    def __init__(self, body: str, base: int, term_start: int, full: str, general: bool = False) -> None:
        self.s = body
        self.i = 0
        self.base = base  # offset of body[0] in the whole filter pattern
        self.term_start = term_start  # offset of the opening % (for error texts)
        self.full = full
        self.general = general  # any character, groups ( ), (?: ), (?P<name> ) (compile_general)
        self.groups = 0

    def err(self, detail: str, at: int | None = None) -> FilterPatternError:
        pos = self.base + (self.i if at is None else at)
        return FilterPatternError(INVALID_FILTER_PATTERN, pos, f"regex: {detail}")

    def parse(self) -> list[list[Item]]:
        for k, c in enumerate(self.s):
            if c not in ALLOWED_REGEX_CHARS and not self.general:
                pos = self.base + k
                raise invalid_term(
                    self.full[self.term_start : pos + 1], pos, f"character {c!r} is not allowed in a regex"
                )
        if not self.s and not self.general:
            raise self.err("empty regex")
        alts = self.alternatives()
        if self.i < len(self.s):
            raise self.err("unmatched ')'")
        return alts

    def group(self) -> Item:
        start = self.i
        self.i += 1
        capture = 0
        if self.s.startswith("?:", self.i):
            self.i += 2
        elif self.s.startswith(("?P<", "?<"), self.i):
            end = self.s.find(">", self.i)
            if end < 0:
                raise self.err("unterminated group name", start)
            self.i = end + 1
            self.groups += 1
            capture = self.groups
        elif self.s.startswith("?", self.i):
            raise self.err("unsupported group syntax (flags, look-around)", start)
        else:
            self.groups += 1
            capture = self.groups
        alts = self.alternatives()
        if self.i >= len(self.s) or self.s[self.i] != ")":
            raise self.err("unterminated group", start)
        self.i += 1
        lo, hi = self.quantifier()
        return Item(None, lo, hi, group=tuple(tuple(a) for a in alts), capture=capture)

    def alternatives(self) -> list[list[Item]]:
        alts: list[list[Item]] = [[]]
        while self.i < len(self.s):
            c = self.s[self.i]
            if self.general and c == ")":
                break
            if self.general and c == "(":
                alts[-1].append(self.group())
                continue
            if c == "|":
                self.i += 1
                alts.append([])
                continue
            if c in "^$":
                self.i += 1
                alts[-1].append(Item(None, anchor=c))
                if self.i < len(self.s) and self.s[self.i] in "?*+{":
                    raise self.err("quantifier after an anchor")
                continue
            if c in "?*+":
                raise self.err(f"nothing to repeat before {c!r}")
            if c == "{":
                raise self.err("nothing to repeat before '{'")
            cs = self.atom()
            lo, hi = self.quantifier()
            alts[-1].append(Item(cs, lo, hi))
        return alts

    def atom(self) -> CharSet:
        c = self.s[self.i]
        if c == ".":
            self.i += 1
            return CharSet(frozenset(), dot=True)
        if c == "[":
            return self.char_class()
        if c == "\\":
            return self.escape(in_class=False)
        if c in "]}":
            # [design choice] a stray closing bracket is a literal, as in Java/Python.
            self.i += 1
            return CharSet(frozenset(c))
        self.i += 1
        return CharSet(frozenset(c))

    def escape(self, in_class: bool) -> CharSet:
        start = self.i
        self.i += 1
        if self.i >= len(self.s):
            raise self.err("trailing backslash", start)
        c = self.s[self.i]
        self.i += 1
        if c == "d":
            return CharSet(_DIGIT)
        if c == "D":
            return CharSet(_DIGIT, negated=True)
        if c == "w":
            return CharSet(_WORD)
        if c == "W":
            return CharSet(_WORD, negated=True)
        if c == "s":
            return CharSet(_SPACE)
        if c == "S":
            return CharSet(_SPACE, negated=True)
        if c == "t":
            return CharSet(frozenset("\t"))
        if c == "n":
            return CharSet(frozenset("\n"))
        if c == "r":
            return CharSet(frozenset("\r"))
        if c == "x":
            hexd = self.s[self.i : self.i + 2]
            if len(hexd) != 2 or any(h not in "0123456789abcdefABCDEF" for h in hexd):
                raise self.err("\\x needs two hex digits", start)
            self.i += 2
            return CharSet(frozenset(chr(int(hexd, 16))))
        if c.isalnum():
            raise self.err(f"unsupported escape \\{c}", start)
        return CharSet(frozenset(c))

    def char_class(self) -> CharSet:
        start = self.i
        self.i += 1
        negated = False
        if self.i < len(self.s) and self.s[self.i] == "^":
            negated = True
            self.i += 1
        chars: set[str] = set()
        ranges: list[tuple[int, int]] = []
        first = True
        while True:
            if self.i >= len(self.s):
                raise self.err("unterminated character class", start)
            c = self.s[self.i]
            if c == "]" and not first:
                self.i += 1
                break
            first = False
            if c == "\\":
                cs = self.escape(in_class=True)
                one = cs.single()
                if one is None:
                    if cs.negated:
                        # [design choice] \D \W \S inside a class: expand over ASCII (non-ASCII still excluded).
                        chars.update(chr(o) for o in range(128) if chr(o) not in cs.chars)
                    else:
                        chars.update(cs.chars)
                    continue
                lo_c = one
            else:
                self.i += 1
                lo_c = c
            if self.i + 1 < len(self.s) and self.s[self.i] == "-" and self.s[self.i + 1] != "]":
                self.i += 1
                if self.s[self.i] == "\\":
                    cs = self.escape(in_class=True)
                    hi_c = cs.single()
                    if hi_c is None:
                        raise self.err("bad range end", self.i)
                else:
                    hi_c = self.s[self.i]
                    self.i += 1
                if ord(hi_c) < ord(lo_c):
                    raise self.err("range out of order", start)
                ranges.append((ord(lo_c), ord(hi_c)))
            else:
                chars.add(lo_c)
        return CharSet(frozenset(chars), tuple(ranges), negated)

    def quantifier(self) -> tuple[int, int | None]:
        if self.i >= len(self.s):
            return 1, 1
        c = self.s[self.i]
        if c == "?":
            lo, hi = 0, 1
            self.i += 1
        elif c == "*":
            lo, hi = 0, None
            self.i += 1
        elif c == "+":
            lo, hi = 1, None
            self.i += 1
        elif c == "{":
            lo, hi = self.braces()
        else:
            return 1, 1
        if self.i < len(self.s) and self.s[self.i] == "?":
            self.i += 1  # lazy: same yes/no answer for a search
        if self.i < len(self.s) and self.s[self.i] in "*+{?":
            raise self.err("multiple repeat")
        return lo, hi

    def braces(self) -> tuple[int, int | None]:
        start = self.i
        end = self.s.find("}", start)
        if end < 0:
            raise self.err("unterminated '{'", start)
        inner = self.s[start + 1 : end]
        lo_s, comma, hi_s = inner.partition(",")
        if (
            not (lo_s.isdigit() or lo_s == "")
            or not (hi_s.isdigit() or hi_s == "")
            or (not lo_s and not hi_s)
        ):
            raise self.err("bad repetition bounds", start)
        if not comma:
            lo = hi = int(lo_s)
        else:
            lo = int(lo_s) if lo_s else 0
            hi = int(hi_s) if hi_s else None
        if lo > MAX_REPEAT or (hi is not None and (hi > MAX_REPEAT or hi < lo)):
            raise self.err("bad repetition bounds", start)
        self.i = end + 1
        return lo, hi


def _hs_char(o: int) -> str:
    return f"\\x{{{o:x}}}"


def _hs_class(cs: CharSet) -> str:
    """A character set in Hyperscan (PCRE) syntax: every member as an explicit code point."""
    if cs.dot:
        return "."  # without DOTALL: every character but \n, as CharSet.predicate
    parts = [_hs_char(ord(c)) for c in sorted(cs.chars)]
    parts += [f"{_hs_char(lo)}-{_hs_char(hi)}" for lo, hi in cs.ranges]
    if not parts:
        return "[^\\x{0}-\\x{10ffff}]" if not cs.negated else "[\\x{0}-\\x{10ffff}]"
    return ("[^" if cs.negated else "[") + "".join(parts) + "]"


def hyperscan_source(alts: Any) -> str:
    """The parsed regex in Hyperscan syntax (UTF-8 mode), with the same semantics as the automaton."""
    out: list[str] = []
    for seq in alts:
        seq_out: list[str] = []
        for it in seq:
            if it.anchor is not None:
                seq_out.append("\\A" if it.anchor == "^" else "\\z")  # $ only at the very end, as the automaton
                continue
            atom = f"(?:{hyperscan_source(it.group)})" if it.group is not None else _hs_class(it.charset)
            if (it.min, it.max) == (1, 1):
                seq_out.append(atom)
            elif it.max is None:
                seq_out.append(f"{atom}{{{it.min},}}")
            else:
                seq_out.append(f"{atom}{{{it.min},{it.max}}}")
        out.append("".join(seq_out))
    return "|".join(f"(?:{a})" for a in out)


_hs: Any = None  # the hyperscan module, False when unavailable


def _hyperscan() -> Any:
    global _hs
    if _hs is None:
        try:
            import hyperscan

            _hs = hyperscan
        except ImportError:  # no wheel for this platform: the automaton does everything
            _hs = False
    return _hs


class _Native:
    """A Hyperscan block-mode database with one scratch space per thread (a scratch is not shareable)."""

    def __init__(self, hs: Any, source: str) -> None:
        self.hs = hs
        self.db = hs.Database()
        flags = hs.HS_FLAG_SINGLEMATCH | hs.HS_FLAG_ALLOWEMPTY | hs.HS_FLAG_UTF8
        self.db.compile(expressions=[source.encode()], ids=[0], flags=[flags])
        self.local = threading.local()

    def search(self, data: bytes) -> bool:
        scratch = getattr(self.local, "scratch", None)
        if scratch is None:
            scratch = self.local.scratch = self.hs.Scratch(self.db)
        found: list[int] = []

        def hit(*_: Any) -> bool:
            found.append(1)
            return True  # stop at the first match

        try:
            self.db.scan(data, match_event_handler=hit, scratch=scratch)
        except self.hs.ScanTerminated:
            pass
        return bool(found)


# NFA node kinds
_CHAR, _SPLIT, _BOL, _EOL, _MATCH, _SAVE = range(6)


class _DState:
    __slots__ = ("leaves", "match", "eol_accept", "trans")

    def __init__(self, leaves: frozenset[int], match: bool, eol_accept: bool) -> None:
        self.leaves = leaves
        self.match = match
        self.eol_accept = eol_accept
        self.trans: dict[str, _DState] = {}


class Regex:
    """A compiled filter-pattern regex; ``search(text)`` is linear in ``len(text)``."""

    def __init__(self, source: str, alts: list[list[Item]]) -> None:
        self.source = source
        self.alts = alts
        self._kind: list[int] = []
        self._pred: list[Callable[[str], bool] | None] = []
        self._out1: list[int] = []
        self._out2: list[int] = []
        self._build()
        self.literals = _required_runs(alts)
        self._fast = self._fast_path()
        self._restart = self._closure([self._start], at_start=False, at_end=False)
        self._reset_cache()
        self._native: _Native | None | bool = None  # built on the first search that needs it; False: none

    def native(self) -> _Native | None:
        """The Hyperscan form of this regex, or None (no Hyperscan, or a pattern it refuses)."""
        if self._native is None:
            hs = _hyperscan()
            self._native = False
            if hs:
                try:
                    self._native = _Native(hs, hyperscan_source(self.alts))
                except Exception:  # hyperscan.error: a pattern it cannot compile; the automaton still can
                    self._native = False
        return self._native or None

    # -- construction -------------------------------------------------------------------------------------------
    def _node(self, kind: int, pred: Callable[[str], bool] | None = None, o1: int = -1, o2: int = -1) -> int:
        if len(self._kind) >= MAX_NFA_STATES:
            raise FilterPatternError(INVALID_FILTER_PATTERN, None, "regex: too complex")
        self._kind.append(kind)
        self._pred.append(pred)
        self._out1.append(o1)
        self._out2.append(o2)
        return len(self._kind) - 1

    def _build(self) -> None:
        match = self._node(_MATCH)
        entries = [self._build_seq(seq, match) for seq in self.alts]
        start = entries[0]
        for e in entries[1:]:
            start = self._node(_SPLIT, None, start, e)
        self._start = start

    def _build_seq(self, seq: list[Item], nxt: int) -> int:
        # Built back to front so every node already knows its successor.
        for item in reversed(seq):
            if item.anchor is not None:
                nxt = self._node(_BOL if item.anchor == "^" else _EOL, None, nxt)
                continue
            if item.group is not None:
                nxt = self._build_group(item, nxt)
                continue
            assert item.charset is not None
            pred = item.charset.predicate()
            if item.max is None:
                loop = self._node(_SPLIT, None, -1, nxt)
                body = self._node(_CHAR, pred, loop)
                self._out1[loop] = body
                nxt = loop
            else:
                for _ in range(item.max - item.min):
                    body = self._node(_CHAR, pred, nxt)
                    nxt = self._node(_SPLIT, None, body, nxt)
            for _ in range(item.min):
                nxt = self._node(_CHAR, pred, nxt)
        return nxt

    def _build_group(self, item: Item, nxt: int) -> int:
        """A group repeated min..max times; each copy is built afresh (an NFA has no subroutines). Capture marks
        (_SAVE nodes, epsilon moves for the DFA) record where the group's last copy starts and ends."""
        assert item.group is not None

        def once(after: int) -> int:
            if item.capture:
                after = self._node(_SAVE, None, after, 2 * item.capture + 1)
            entries = [self._build_seq(list(seq), after) for seq in item.group]  # type: ignore[arg-type]
            start = entries[0]
            for e in entries[1:]:
                start = self._node(_SPLIT, None, start, e)
            return self._node(_SAVE, None, start, 2 * item.capture) if item.capture else start

        if item.max is None:
            loop = self._node(_SPLIT, None, -1, nxt)
            self._out1[loop] = once(loop)
            nxt = loop
        else:
            for _ in range(item.max - item.min):
                nxt = self._node(_SPLIT, None, once(nxt), nxt)
        for _ in range(item.min):
            nxt = once(nxt)
        return nxt

    def _closure(self, seeds: list[int], at_start: bool, at_end: bool) -> frozenset[int]:
        kind, out1, out2 = self._kind, self._out1, self._out2
        seen: set[int] = set()
        leaves: set[int] = set()
        stack = list(seeds)
        while stack:
            n = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            k = kind[n]
            if k == _SPLIT:
                stack.append(out1[n])
                stack.append(out2[n])
            elif k == _SAVE:
                stack.append(out1[n])
            elif k == _BOL:
                if at_start:
                    stack.append(out1[n])
            elif k == _EOL:
                if at_end:
                    stack.append(out1[n])
                else:
                    leaves.add(n)
            else:
                leaves.add(n)
        return frozenset(leaves)

    def _fast_path(self) -> Callable[[str], bool] | None:
        """Pure literals (optionally anchored) need no automaton: ``in`` / ``startswith`` / ``endswith``."""
        if len(self.alts) != 1:
            return None
        seq = self.alts[0]
        bol = bool(seq) and seq[0].anchor == "^"
        eol = bool(seq) and seq[-1].anchor == "$"
        core = seq[(1 if bol else 0) : (len(seq) - 1 if eol and len(seq) > (1 if bol else 0) else len(seq))]
        chars: list[str] = []
        for it in core:
            one = it.charset.single() if it.charset is not None else None
            if one is None or it.min != 1 or it.max != 1:
                return None
            chars.append(one)
        lit = "".join(chars)
        if bol and eol:
            return lit.__eq__
        if bol:
            return lambda s: s.startswith(lit)
        if eol:
            return lambda s: s.endswith(lit)
        return lambda s: lit in s

    # -- matching -----------------------------------------------------------------------------------------------
    def _reset_cache(self) -> None:
        self._states: dict[frozenset[int], _DState] = {}
        self._ntrans = 0
        self._initial = self._make_state(self._closure([self._start], at_start=True, at_end=False), True)

    def _make_state(self, leaves: frozenset[int], initial: bool = False) -> _DState:
        kind = self._kind
        match = any(kind[n] == _MATCH for n in leaves)
        eol_seeds = [self._out1[n] for n in leaves if kind[n] == _EOL]
        eol_accept = False
        if eol_seeds:
            end = self._closure(eol_seeds, at_start=initial, at_end=True)
            eol_accept = any(kind[n] == _MATCH for n in end)
        st = _DState(leaves, match, eol_accept)
        if not initial:
            self._states[leaves] = st
        return st

    def _step(self, st: _DState, c: str) -> _DState:
        kind, pred, out1 = self._kind, self._pred, self._out1
        seeds = [out1[n] for n in st.leaves if kind[n] == _CHAR and pred[n](c)]  # type: ignore[misc]
        leaves = self._closure(seeds, at_start=False, at_end=False) | self._restart
        if len(self._states) >= _MAX_DFA_STATES or self._ntrans >= _MAX_DFA_TRANSITIONS:
            self._reset_cache()
        nxt = self._states.get(leaves)
        if nxt is None:
            nxt = self._make_state(leaves)
        st.trans[c] = nxt
        self._ntrans += 1
        return nxt

    def search(self, text: str) -> bool:
        """True if the regex matches anywhere in ``text``."""
        if self._fast is not None:
            return self._fast(text)
        for lit in self.literals:
            if lit not in text:
                return False
        if not text or self._initial.match:
            return self._dfa(text)
        native = self._native if self._native is not None else self.native()
        if native:
            try:
                data = text.encode()
            except UnicodeEncodeError:  # a lone surrogate: not UTF-8, which Hyperscan's input must be
                pass
            else:
                return native.search(data)
        return self._dfa(text)

    def find(self, text: str, pos: int = 0) -> list[int | None] | None:
        """The leftmost-first match at or after ``pos`` (Perl/Rust semantics) as capture slots ``[start, end,
        g1_start, g1_end, ...]`` (None for a group that did not take part), or None. A Pike VM over the same NFA:
        threads in priority order, O(len(text) * NFA size), no backtracking."""
        kind, pred, out1, out2 = self._kind, self._pred, self._out1, self._out2
        n_text = len(text)
        nslots = 2 * (_group_count(self.alts) + 1)

        def add(lst: list[tuple[int, list[int | None]]], seen: set[int], node: int, slots: list[int | None], i: int) -> None:
            stack = [(node, slots)]
            while stack:
                n, sl = stack.pop()
                if n in seen:
                    continue
                seen.add(n)
                k = kind[n]
                if k == _SPLIT:
                    stack.append((out2[n], sl))
                    stack.append((out1[n], sl))
                elif k == _SAVE:
                    sl = list(sl)
                    sl[out2[n]] = i
                    stack.append((out1[n], sl))
                elif k == _BOL:
                    if i == 0:
                        stack.append((out1[n], sl))
                elif k == _EOL:
                    if i == n_text:
                        stack.append((out1[n], sl))
                else:
                    lst.append((n, sl))

        clist: list[tuple[int, list[int | None]]] = []
        cseen: set[int] = set()
        matched: list[int | None] | None = None
        i = pos
        while True:
            if matched is None:
                seed: list[int | None] = [None] * nslots
                seed[0] = i
                add(clist, cseen, self._start, seed, i)
            if not clist:
                break
            nlist: list[tuple[int, list[int | None]]] = []
            nseen: set[int] = set()
            for node, slots in clist:
                if kind[node] == _MATCH:
                    matched = list(slots)
                    matched[1] = i
                    break  # lower-priority threads are cut; higher ones already moved on
                if kind[node] == _CHAR and i < n_text and pred[node](text[i]):  # type: ignore[misc]
                    add(nlist, nseen, out1[node], slots, i + 1)
            if i >= n_text:
                break
            clist, cseen = nlist, nseen
            i += 1
        return matched

    def search_automaton(self, text: str) -> bool:
        """``search`` on the lazily built DFA only (the fallback, and the reference the tests compare with)."""
        for lit in self.literals:
            if lit not in text:
                return False
        return self._dfa(text)

    def _dfa(self, text: str) -> bool:
        st = self._initial
        if st.match:
            return True
        if not text:
            return st.eol_accept
        step = self._step
        for c in text:
            nxt = st.trans.get(c)
            st = step(st, c) if nxt is None else nxt
            if st.match:
                return True
        return st.eol_accept


def _required_runs(alts: list[list[Item]]) -> list[str]:
    """Substrings every match must contain: runs of exactly-once literal characters (single alternative only)."""
    if len(alts) != 1:
        return []
    runs: list[str] = []
    cur: list[str] = []
    for it in alts[0]:
        one = it.charset.single() if it.charset is not None else None
        if one is not None and it.min == 1 and it.max == 1:
            cur.append(one)
            continue
        if one is not None and it.min >= 1:
            # `ab+c` still needs "ab" and "bc": the repeated char ends one run and starts the next.
            cur.append(one)
            runs.append("".join(cur))
            cur = [one]
            continue
        if cur:
            runs.append("".join(cur))
        cur = []
    if cur:
        runs.append("".join(cur))
    runs = sorted(set(runs), key=lambda r: (-len(r), r))
    return [r for i, r in enumerate(runs) if not any(r in longer for longer in runs[:i])]


def _group_count(alts: Any) -> int:
    return max([0] + [max(it.capture, _group_count(it.group)) for seq in alts for it in seq if it.group is not None])


def compile_general(source: str) -> Regex:
    """A regex in the common Perl/Rust syntax (any character; groups ``( )``, ``(?: )``, ``(?P<name> )``), for
    AWS CloudFormation Guard's ``/regex/`` values. Flags and look-around are refused (FilterPatternError: the
    message names the position). Matching is the same linear-time automaton; ``find`` gives capture groups."""
    alts = _Parser(source, 0, 0, source, general=True).parse()
    return Regex(source, alts)


def compile_regex(body: str, base: int = 0, term_start: int | None = None, full: str | None = None) -> Regex:
    """Compile a regex body (the text between the ``%`` delimiters).

    ``base`` is the offset of ``body`` in the whole filter pattern ``full`` and ``term_start`` the offset of the
    opening ``%``; both only shape error positions and texts.
    """
    if full is None:
        full = "%" + body + "%"
        base, term_start = 1, 0
    if term_start is None:
        term_start = base - 1
    alts = _Parser(body, base, term_start, full).parse()
    return Regex(body, alts)
