"""The batch matcher of space-delimited patterns (awsmon.engines.filterbatch) against the reference matcher.

The Hyperscan regex must accept a superset of the matching messages (every candidate is then confirmed with the
pattern's own matcher): a message it wrongly rejects shows up here as a disagreement with ``FilterPattern.match``
(the full binder), on random patterns and messages built from the characters that decide tokenisation and numbers.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from awsmon.engines import filterbatch
from awsmon.engines.filterpattern import FilterPattern, FilterPatternError, compile_pattern

pytest.importorskip("hyperscan", reason="the batch matcher needs Hyperscan (no wheel for this platform)")

_CONDS = [
    "= ab", "= *b", "= 4*", "= *E*", "!= ab", "> 3", ">= 400", "< 500", "<= 4.5", "= 404", "= 4e2", "= 4.5",
    "!= 404", '= "a b"', '= "404"', "= %^E%", "= %4[0-9]+%", "= [E]*", "= *", "!= *", '= "*"', "> -2", "= \u00e9*",
]  # fmt: skip


@st.composite
def space_patterns(draw: st.DrawFn) -> str:
    n = draw(st.integers(1, 7))
    names = [draw(st.sampled_from([f"f{k}", f"f{k}", "", str(k + 1)])) for k in range(n)]
    seen: set[str] = set()
    names = [x if x not in seen and not seen.add(x) else "" for x in names]  # type: ignore[func-returns-value]
    named = [x for x in names if x] or ["f0"]
    fields = []
    for x in names:
        if x and draw(st.booleans()):
            c = draw(st.sampled_from(_CONDS))
            for _ in range(draw(st.integers(0, 2))):
                other = draw(st.sampled_from([*named, "nope", "2"]))
                c += draw(st.sampled_from([" && ", " || "])) + f"{other} " + draw(st.sampled_from(_CONDS))
            fields.append(f"{x} {c}")
        else:
            fields.append(x)
    if draw(st.integers(0, 3)) == 0:
        fields.insert(draw(st.integers(0, len(fields))), "...")
    return "[" + ", ".join(fields) + "]"


_TOKENS = [
    "ab", "b", "ERR", "E", "404", "400", "0404", "+404", "4e2", "400.0", "4.5", "4.", ".5", "-1", "-5", "500", "5xx",
    "3", "1e400", "4", "a b", "[E]", "[404]", "[ 404 ]", '"404"', '" 4e2"', "[E] x", '"a b"', "[", "]", '"', "x]y",
    "[ab", 'x"y', "[]", '""', "\u00e9t\u00e9", "\u00a0404", "404\u2003", "\x0b404", "[\x1c400\t]", "[\u00a0500]",
    "00", "+0", "9999999999999999999999", "[ab]", '"b"', "\u00e9", "\u00e9404", "[404\u00e9]",
]  # fmt: skip
_SEPS = ["", " ", "  ", "\t", "\n", "\r", "\f", "\x0b"]
_MESSAGES = st.lists(st.tuples(st.sampled_from(_TOKENS), st.sampled_from(_SEPS)), max_size=10).map(
    lambda ts: "".join(a + b for a, b in ts)
)


def _batched(pattern: str) -> FilterPattern:
    """The compiled pattern; the example is discarded unless it is valid and has a batch matcher (hypothesis draws
    some that are not)."""
    try:
        fp = compile_pattern(pattern)
    except FilterPatternError:
        fp = None
    assume(fp is not None and fp.batch() is not None)
    assert fp is not None
    return fp


def _select(fp: FilterPattern, messages: list[str]) -> list[int]:
    batch = fp.batch()
    assert batch is not None
    return batch.select("\0".join(messages).encode())


@settings(max_examples=700, deadline=None)
@given(space_patterns(), st.lists(_MESSAGES, min_size=1, max_size=6))
def test_batch_selects_exactly_what_the_reference_matcher_matches(pattern: str, messages: list[str]) -> None:
    fp = _batched(pattern)
    expected = [i for i, m in enumerate(messages) if fp.match(m) is not None]
    assert _select(fp, messages) == expected, (pattern, messages)


@settings(max_examples=300, deadline=None)
@given(space_patterns(), st.lists(_MESSAGES, min_size=1, max_size=4))
def test_candidates_are_a_superset_of_the_matches(pattern: str, messages: list[str]) -> None:
    """The regex alone (before the confirmation) never loses a match: checked without the confirmation step."""
    fp = _batched(pattern)
    batch = fp.batch()
    raw = filterbatch.BatchMatcher(batch._hs, batch.sources, lambda m: True)
    candidates = set(raw.select("\0".join(messages).encode()))
    assert {i for i, m in enumerate(messages) if fp.match(m) is not None} <= candidates, (pattern, messages)


@settings(max_examples=700, deadline=None)
@given(space_patterns(), st.lists(_MESSAGES, min_size=1, max_size=6))
def test_what_an_exact_regex_accepts_matches(pattern: str, messages: list[str]) -> None:
    """Messages accepted without the confirmation (an exact regex matched them) all match the reference matcher."""
    fp = _batched(pattern)
    batch = fp.batch()
    unconfirmed = filterbatch.BatchMatcher(batch._hs, batch.sources, lambda m: False, batch.exact)
    for i in unconfirmed.select("\0".join(messages).encode()):
        assert fp.match(messages[i]) is not None, (pattern, messages[i])


@pytest.mark.parametrize("pattern", [
    "[ip, id, user, ts, request, status=5*, size]", "[ip, id, user, ts, request, status>=400, size]",
    "[ip, id, user, ts, request, status>=400 && status<500 || status=503, size]", "[a, b = x* || b = *y, c]",
])  # fmt: skip
def test_exact_regexes_spare_the_confirmation(pattern: str) -> None:
    """Plain lines that match are decided by an exact regex: the pattern's own matcher never sees them."""
    fp = compile_pattern(pattern)
    batch = fp.batch()
    seen: list[str] = []

    def confirm(m: str) -> bool:
        seen.append(m)
        return fp.matches(m)

    counting = filterbatch.BatchMatcher(batch._hs, batch.sources, confirm, batch.exact)
    lines = ["a b c d e 503 1", "a xy c d e 404 1", "a b c d e 200 1", '1.2.3.4 - - [t] "GET /" 4e2 7', "a xb c"]
    want = [i for i, m in enumerate(lines) if fp.matches(m)]
    assert want and counting.select("\0".join(lines).encode()) == want
    assert not any(lines[i] in seen for i in want if "4e2" not in lines[i])


def test_the_regex_rejects_what_cannot_match() -> None:
    """Selectivity (the point of the batch path): the confirmation sees only plausible lines."""
    fp = compile_pattern("[ip, id, user, ts, request, status=5*, size]")
    batch = fp.batch()
    raw = filterbatch.BatchMatcher(batch._hs, batch.sources, lambda m: True)
    lines = [
        '10.0.0.1 - - [19/Nov/2026:16:00:00 +0000] "GET /x HTTP/1.1" 503 1234',  # candidate and match
        '10.0.0.1 - - [19/Nov/2026:16:00:00 +0000] "GET /x HTTP/1.1" 200 5234',  # 5 in the wrong field
        '{"eventVersion":"1.08","userAgent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36","n":5}',
        "a b c d e 5",  # 6 tokens: the pattern needs 7
    ]
    assert raw.select("\0".join(lines).encode()) == [0]
    assert batch.select("\0".join(lines).encode()) == [0]
    num = compile_pattern("[ip, id, user, ts, request, status>=400, size]").batch()
    raw = filterbatch.BatchMatcher(num._hs, num.sources, lambda m: True)
    lines = ["a b c d e 399 1", "a b c d e 400 1", "a b c d e 0401 1", "a b c d e 4e2 1", "a b c d e x 1"]
    assert raw.select("\0".join(lines).encode()) == [1, 2, 3]  # 4e2 is confirmed by the matcher (it matches)
    assert num.select("\0".join(lines).encode()) == [1, 2, 3]


def test_batch_is_offered_only_where_it_prefilters() -> None:
    assert compile_pattern("[a, b, ...]").batch() is None  # no condition
    assert compile_pattern("[a, b = x*]").batch() is None  # only the last field (the rest of the line)
    assert compile_pattern("[a != x, b]").batch() is None  # != constrains nothing
    assert compile_pattern("ERROR").batch() is None
    assert compile_pattern('{ $.a = 1 }').batch() is None
    assert compile_pattern("[a = x, b]").batch() is not None
    never = compile_pattern("[a = * && nope = 1, b]").batch()  # a name no field binds: nothing can match
    assert never is not None and never.sources == [] and never.select(b"a b\0x y") == []


def test_unclosed_delimiters_reach_the_confirmation() -> None:
    fp = compile_pattern("[a, b = x*, c]")
    msgs = ["[q x1 y", '"q x1 y', "[q] x1 y", '"q" x1 y', "q [x1 y", "q x1 [y"]
    assert _select(fp, msgs) == [i for i, m in enumerate(msgs) if fp.matches(m)] == [0, 1, 2, 3, 5]


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 20000), st.one_of(st.none(), st.integers(0, 20000)))
def test_digits_range_spells_exactly_the_interval(lo: int, hi: int | None) -> None:
    assume(hi is None or hi >= lo)  # an empty interval is never spelled (the caller drops the plain integers)
    rx = re.compile(filterbatch.digits_range(lo, hi))
    top = (hi if hi is not None else lo) + 1500
    for x in range(max(0, lo - 1500), top):
        want = x >= lo and (hi is None or x <= hi)
        assert bool(rx.fullmatch(str(x))) == want, (lo, hi, x)


# -- numeric comparisons: exact regexes of plain integers, leftover regexes for every other spelling -------------------
_OPS = ["=", "!=", "<", "<=", ">", ">="]
_BLANKS = ["", " ", "\t", "\x0b", "\x1c", "\u00a0", "\u2003", "\u3000"]  # str.strip removes them all
_DIGITS = st.one_of(
    st.integers(0, 1200).map(str),
    st.integers(0, 10**45).map(str),  # beyond the longest bound spelled out (_MAX_DIGITS)
    st.sampled_from(["\u0664\u0660\u0660", "\uff14\uff10\uff10", "4\u0660\u0660", "\u00b2"]),  # non-ASCII digits
)


@st.composite
def numeric_tokens(draw: st.DrawFn) -> str:
    """A field spelled as a number might be: sign, leading zeros, digits (ASCII or not), fraction, exponent, blanks
    str.strip removes around it, inside a bare, bracketed or quoted token."""
    core = (draw(st.sampled_from(["", "", "+", "-"])) + draw(st.sampled_from(["", "", "0", "000"])) + draw(_DIGITS)
            + draw(st.sampled_from(["", "", "", ".", ".0", ".5", ".25"]))
            + draw(st.sampled_from(["", "", "", "e2", "E+1", "e-3", "e400", "e", "x"])))  # fmt: skip
    box = draw(st.sampled_from(["bare", "bare", "[]", '""']))
    if box == "bare":
        pad = [b for b in _BLANKS if b not in (" ", "\t")]  # a space or tab would end the bare token
        return draw(st.sampled_from(pad)) + core + draw(st.sampled_from(pad))
    inner = draw(st.sampled_from(_BLANKS)) + core + draw(st.sampled_from(_BLANKS))
    return box[0] + inner + box[1]


_TARGETS = st.one_of(st.integers(-50, 1200).map(str), st.sampled_from(
    ["400", "4e2", "399.5", "-0", "0.0", "1e3", "400.0", "123456789012345678901234567890123456789012345"]))  # fmt: skip


@st.composite
def numeric_patterns(draw: st.DrawFn) -> str:
    """[a, b, n <op> <target> (&& / || another comparison on n or m), m, rest]: comparisons on two fixed fields."""
    def cond(name: str) -> str:
        return f"{name} {draw(st.sampled_from(_OPS))} {draw(_TARGETS)}"

    n = cond("n")
    for _ in range(draw(st.integers(0, 2))):
        n += draw(st.sampled_from([" && ", " || "])) + cond(draw(st.sampled_from(["n", "m"])))
    m = draw(st.sampled_from(["m", "m", cond("m")]))
    return f"[a, {n}, {m}, rest]"


@settings(max_examples=700, deadline=None)
@given(numeric_patterns(), st.lists(st.tuples(numeric_tokens(), numeric_tokens()), min_size=1, max_size=6))
def test_numeric_comparisons_select_exactly_what_the_reference_matcher_matches(
    pattern: str, pairs: list[tuple[str, str]]
) -> None:
    """Random numeric spellings (negatives, decimals, exponents, leading zeros, huge and non-ASCII digits, Unicode
    blanks around them) in the compared fields: the batch answer equals the per-event engine's, and every message
    an exact regex accepts on its own (no confirmation) matches."""
    fp = _batched(pattern)
    messages = [f"x {n} {m} tail end" for n, m in pairs]
    expected = [i for i, msg in enumerate(messages) if fp.match(msg) is not None]
    assert _select(fp, messages) == expected, (pattern, messages)
    batch = fp.batch()
    unconfirmed = filterbatch.BatchMatcher(batch._hs, batch.sources, lambda m: False, batch.exact)
    assert set(unconfirmed.select("\0".join(messages).encode())) <= set(expected), (pattern, messages)


@pytest.mark.parametrize("op, target", [(">=", "400"), (">", "399"), ("<", "500"), ("<=", "499"), ("=", "404")])
def test_plain_integers_fire_only_the_exact_regex(op: str, target: str) -> None:
    """A plain integer in range is decided by the exact regex alone (the leftover regexes do not fire on it, so a
    match costs one report, not two); other spellings of a matching number still reach the confirmation."""
    fp = compile_pattern(f"[ip, id, user, ts, request, status {op} {target}, size]")
    batch = fp.batch()
    assert batch is not None and batch.exact.count(True) == 1
    hits: list[int] = []
    batch._db.scan(b'1.2.3.4 - - [t] "GET /" 404 7', match_event_handler=lambda i, *_: hits.append(i))
    assert hits and all(i % 2 == 0 for i in hits)  # even ids: exact regexes
    hits.clear()
    batch._db.scan(b'1.2.3.4 - - [t] "GET /" 404.0 7', match_event_handler=lambda i, *_: hits.append(i))
    assert hits and all(i % 2 == 1 for i in hits)  # 404.0 = 404: a leftover regex, confirmed by the matcher
    assert batch.select(b'1.2.3.4 - - [t] "GET /" 404.0 7') == [0]


def _flat(messages: list[str]) -> tuple[bytes, list[int]]:
    """The layout of the local store's flat copy (logs_cache): every message followed by a NUL, and the offsets."""
    starts, offset, parts = [], 0, []
    for m in messages:
        data = m.encode()
        starts.append(offset)
        parts.append(data + b"\0")
        offset += len(data) + 1
    return b"".join(parts), starts


@settings(max_examples=500, deadline=None)
@given(space_patterns(), st.lists(_MESSAGES, min_size=1, max_size=8), st.data())
def test_count_messages_counts_exactly_what_the_reference_matcher_matches(
    pattern: str, messages: list[str], data: st.DataObject
) -> None:
    """The count over a flat buffer (what `logs filter --count` runs on a big group's copy): the whole buffer, a
    range cut at a message boundary, and a subset of the messages (a time window or some streams) all count what the
    per-event engine matches. One exact hit is taken for one message without locating it: a double hit would show."""
    fp = _batched(pattern)
    batch = fp.batch()
    buf, starts = _flat(messages)
    matching = [fp.match(m) is not None for m in messages]
    assert batch.count_messages(buf, starts) == sum(matching), (pattern, messages)
    cut = data.draw(st.integers(0, len(messages)))
    mid = starts[cut] if cut < len(messages) else len(buf)
    assert batch.count_messages(buf, starts, 0, mid) + batch.count_messages(buf, starts, mid) == sum(matching)
    keep = data.draw(st.sets(st.integers(0, len(messages) - 1)))
    got = batch.count_messages(buf, starts, 0, None, keep.__contains__)
    assert got == sum(1 for i in keep if matching[i]), (pattern, messages, keep)


@settings(max_examples=300, deadline=None)
@given(numeric_patterns(), st.lists(st.tuples(numeric_tokens(), numeric_tokens()), min_size=1, max_size=6))
def test_count_messages_on_numeric_spellings(pattern: str, pairs: list[tuple[str, str]]) -> None:
    fp = _batched(pattern)
    messages = [f"x {n} {m} tail end" for n, m in pairs]
    buf, starts = _flat(messages)
    assert fp.batch().count_messages(buf, starts) == sum(fp.match(m) is not None for m in messages), (pattern, messages)


def test_a_compiled_database_is_reused_from_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled database goes to the cache once and is loaded from it next time (compiling costs 60-150 ms);
    a damaged entry is compiled again."""
    import hyperscan

    from awsmon.engines import lregex

    store: dict[str, bytes] = {}
    compiles: list[int] = []

    class Cache:
        def get(self, key: str) -> bytes | None:
            return store.get(key)

        def put(self, key: str, data: bytes) -> None:
            store[key] = data

    class CountingHyperscan:  # hyperscan, with its Database() calls counted
        def __getattr__(self, name: str) -> object:
            return getattr(hyperscan, name)

        def Database(self) -> object:  # noqa: N802
            compiles.append(1)
            return hyperscan.Database()

    monkeypatch.setattr(lregex, "_hs", CountingHyperscan())
    pattern = "[ip, id, user, ts, request, status >= 400, size]"
    line = b'1.2.3.4 - - [t] "GET /" 404 7\x00h - - [t] "GET /" 200 7'
    assert FilterPattern(pattern).batch(Cache()).select(line) == [0]
    assert len(store) == 1 and len(compiles) == 1
    assert FilterPattern(pattern).batch(Cache()).select(line) == [0]  # a new instance (compile_pattern memoizes)
    assert len(compiles) == 1  # loaded, not compiled
    store[next(iter(store))] = b"damaged"
    assert FilterPattern(pattern).batch(Cache()).select(line) == [0]
    assert len(compiles) == 2
