"""Example and property tests for awsmon.engines.filterpattern and awsmon.engines.lregex (specs/logs.md §1, §2)."""

from __future__ import annotations

import json
import re
import time

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from awsmon.engines import filterpattern as fpmod
from awsmon.engines.filterpattern import (
    FilterPatternError,
    MatchResult,
    compile_pattern,
    test_metric_filter,
    tokenize_fields,
)
from awsmon.engines.lregex import compile_regex

APACHE = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534'


def m(pattern: str, message: str) -> bool:
    return compile_pattern(pattern).matches(message)


# ---------------------------------------------------------------------------------------------------------------
# Kinds and errors


@pytest.mark.parametrize(
    ("pattern", "kind"),
    [
        ("", "all"),
        ("   ", "all"),
        ("ERROR", "term"),
        ('"[ERROR]"', "term"),
        (" { $.a = 1 } ", "json"),
        ("[a]", "space"),
    ],
)
def test_kind_is_chosen_on_first_unquoted_character(pattern: str, kind: str) -> None:
    assert compile_pattern(pattern).kind == kind


def test_all_pattern_matches_everything_with_no_extracted_values() -> None:
    fp = compile_pattern("")
    assert fp.matches("") and fp.matches("anything")
    assert fp.match("x") == MatchResult({})
    assert fp.required_literals() == []


def test_error_shape_and_str() -> None:
    with pytest.raises(FilterPatternError) as info:
        compile_pattern("foo(bar")
    err = info.value
    assert isinstance(err, ValueError)
    assert err.code == "InvalidParameterException"
    assert err.message == "Invalid character(s) in term 'foo('"
    assert err.position == 3
    assert str(err) == "Invalid character(s) in term 'foo(' (at position 3)"
    assert str(FilterPatternError("Invalid filter pattern")) == "Invalid filter pattern"


@pytest.mark.parametrize(
    ("pattern", "message", "position"),
    [
        ("worker/worker/*", "Invalid filter pattern", 6),
        ("foo-bar", "Invalid filter pattern", 3),
        ('"ERROR"x', "Invalid filter pattern", 7),
        ("ERROR -", "Invalid filter pattern", 6),
        ("%abc", "Invalid filter pattern", 0),
        ("%a{2,1}%", "Invalid filter pattern", 2),
        ("%a**%", "Invalid filter pattern", 3),
        ("%\\q%", "Invalid filter pattern", 1),
        ("%[ab%", "Invalid filter pattern", 1),
        ("%*a%", "Invalid filter pattern", 1),
        ("%a{1001}%", "Invalid filter pattern", 2),
        ("%caf\u00e9%", "Invalid character(s) in term '%caf\u00e9'", 4),
        ("{ $.a = 1 ", "Invalid filter pattern", 10),
        ("{ $.a = 1 } x", "Invalid filter pattern", 12),
        ("{ $.a IS MAYBE }", "Invalid filter pattern", 6),
        ("{ $.a NOT THERE }", "Invalid filter pattern", 6),
        ("{ $.a }", "Invalid filter pattern", 6),
        ("{ $ = 1 }", "Invalid filter pattern", 2),
        ("{ $.a = b:c }", "Invalid character(s) in term 'b:'", 9),
        ("{ $.a = (1) }", "Invalid character(s) in term '('", 8),
        ("{ $.a < * }", "Invalid filter pattern", 8),
        ("{ $.a[x] = 1 }", "Invalid filter pattern", 6),
        ("{ ($.a = 1 }", "Invalid filter pattern", 11),
        ("{ $.a = 1 && }", "Invalid filter pattern", 13),
        ("[a b]", "Invalid filter pattern", 3),
        ("[a.b]", "Invalid filter pattern", 2),
        ("[a, b", "Invalid filter pattern", 5),
        ("[a > x]", "Invalid filter pattern", 5),
        ("[a] x", "Invalid filter pattern", 4),
        ("[a = %x% , b = %y%, c = %z%]", "Invalid filter pattern", 24),
        ("x" * 1025, "Invalid filter pattern", 1024),
    ],
)
def test_invalid_patterns(pattern: str, message: str, position: int) -> None:
    with pytest.raises(FilterPatternError) as info:
        compile_pattern(pattern)
    assert info.value.message == message
    assert info.value.position == position


def test_compile_is_cached() -> None:
    assert compile_pattern("ERROR") is compile_pattern("ERROR")


# ---------------------------------------------------------------------------------------------------------------
# Term patterns


def test_terms_are_case_sensitive_substrings_and_anded() -> None:
    assert m("ERROR", "xERRORCODEx")
    assert not m("ERROR", "error")
    assert m("ERROR code_1", "ERROR with code_1")
    assert not m("ERROR code_1", "ERROR with code_2")


def test_quoted_phrase_escapes() -> None:
    assert m('"say \\"hi\\""', 'they say "hi" loudly')
    assert m('"a\\\\b"', "a\\b")
    # [design choice] other backslash sequences stay literal
    assert m('"a\\nb"', "a\\nb")
    assert not m('"a\\nb"', "a\nb")


def test_optional_terms_or_alone_and_ignored_when_mixed() -> None:
    assert m("?ERROR ?WARN", "a WARN b")
    assert not m("?ERROR ?WARN", "INFO")
    assert m("?ERROR ?WARN INFO", "INFO only")
    # [design choice] `?` with only `-` terms: the `?` terms are dropped, leaving the exclusion
    assert m("?ERROR -DEBUG", "INFO")
    assert not m("?ERROR -DEBUG", "ERROR DEBUG")


def test_exclusion_and_blank_after_operator() -> None:
    assert m("ERROR -Exiting", "ERROR here")
    assert not m('"ERROR" - "Exiting"', "Exiting with ERRORCODE")
    assert m("-ERROR", "all fine")
    assert not m("-ERROR", "ERROR")


def test_regex_terms_combine_with_prefixes() -> None:
    assert m("%ERR[0-9]+% code", "ERR42 code")
    assert not m("%ERR[0-9]+% code", "ERRx code")
    assert m("-%^DEBUG%", "INFO DEBUG")
    assert not m("-%^DEBUG%", "DEBUG INFO")
    assert m("?%^a% ?%b$%", "xxb")
    assert not m("?%^a% ?%b$%", "xxbx")


def test_empty_quoted_term_matches_everything() -> None:
    assert m('""', "") and m('""', "x")


def test_json_keywords_are_upper_case_only() -> None:
    with pytest.raises(FilterPatternError):
        compile_pattern("{ $.a is null }")
    with pytest.raises(FilterPatternError):
        compile_pattern("{ $.a not exists }")


def test_quoted_single_space_is_a_literal_space() -> None:
    # [design choice, ambiguous row 21] literal reading: a one-word message has no space
    assert m('" "', "two words")
    assert not m('" "', "oneword")


def test_term_required_literals() -> None:
    assert compile_pattern('ERROR "a b" -X').required_literals() == ["ERROR", "a b"]
    assert compile_pattern("?ERROR ?WARN").required_literals() == []
    assert compile_pattern("%abc[0-9]de%").required_literals() == ["abc", "de"]


# ---------------------------------------------------------------------------------------------------------------
# JSON patterns

EV = json.dumps(
    {"a": "x", "n": 5, "s": "7", "f": 1.5, "b": False, "z": None, "arr": [1, "q", {"k": 1}], "o": {}}
)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("{ $.a = x }", True),
        ('{ $.a = "x" }', True),
        ("{ $.a != x }", False),
        ("{ $.a != y }", True),
        ("{ $.missing != y }", False),
        ("{ $.missing NOT EXISTS }", True),
        ("{ $.z NOT EXISTS }", False),
        ("{ $.z IS NULL }", True),
        ("{ $.a IS NULL }", False),
        ("{ $.b IS FALSE }", True),
        ("{ $.b IS TRUE }", False),
        ("{ $.b = false }", True),
        ("{ $.n = 5 }", True),
        ("{ $.n = 5.0 }", True),
        ("{ $.n >= 5e0 }", True),
        ("{ $.n > +4 }", True),
        ("{ $.n < -1 }", False),
        ("{ $.n != 5 }", False),
        ('{ $.n = "5" }', True),
        ("{ $.s = 7 }", True),
        ("{ $.s > 6 }", True),
        ("{ $.a > 1 }", False),
        ("{ $.f <= 1.5 }", True),
        ("{ $.n = * }", True),
        ('{ $.z = "*" }', False),
        ("{ $.o = * }", False),
        ("{ $.o != 1 }", False),
        ("{ $.arr[1] = q }", True),
        ("{ $.arr[7] NOT EXISTS }", True),
        ("{ $.arr[*] = q }", True),
        ("{ $.arr[*] = 1 }", True),
        ("{ $.arr[*] != 1 }", True),
        ("{ $.arr[*].k = 1 }", True),
        ("{ $.* = 5 }", True),
        ("{ $.*.k NOT EXISTS }", True),
        ("{ $.n = %^5$% }", True),
        ("{ $.f = %1% }", False),
        ("{ $.a != %y% }", True),
        ('{ $.a = "*x" }', True),
        ('{ $.a = "x*" }', True),
        ('{ $.a = "*" }', True),
        ("{ $.n = 5* }", True),
        ("{ ($.a = y || $.n = 5) && $.b IS FALSE }", True),
        ("{ $.a = y || $.n = 5 && $.b IS TRUE }", False),
        ("{ $['a'] = x }", True),
    ],
)
def test_json_semantics(pattern: str, expected: bool) -> None:
    assert m(pattern, EV) is expected


def test_json_middle_star_is_literal() -> None:
    assert m('{ $.e = "Ev*ent" }', '{"e": "Ev*ent"}')
    assert not m('{ $.e = "Ev*ent" }', '{"e": "Event"}')


@pytest.mark.parametrize("message", ["not json", "[1, 2]", '"x"', "", "{bad json", '{"a": NaN}'])
def test_json_pattern_never_matches_non_objects(message: str) -> None:
    assert not m("{ $.a NOT EXISTS }", message)


def test_json_unicode_escapes_bypass_literal_prefilter() -> None:
    fp = compile_pattern('{ $.errorCode = "AccessDenied" }')
    assert fp.required_literals() == []
    guarded = fp.guarded_literals()
    assert guarded.unless == "\\" and set(guarded.literals) == {'"errorCode"', "AccessDenied"}
    assert fp.matches('{"errorCode": "\\u0041ccessDenied"}')
    assert fp.matches('{"error\\u0043ode": "AccessDenied"}')
    assert not fp.matches('{"errorCode": "Denied"}')


def test_json_parsed_only_for_candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = fpmod._decode_object

    def counting(message: str) -> object:
        calls.append(message)
        return real(message)

    monkeypatch.setattr(fpmod, "_decode_object", counting)
    fp = compile_pattern('{ $.level = "ERROR" && $.latency > 5 }')
    assert not fp.matches('{"level": "INFO", "latency": 9}')
    assert not fp.matches("plain ERROR text with latency")
    assert calls == []
    assert fp.matches('{"level": "ERROR", "latency": 9}')
    assert len(calls) == 1


def test_json_extracted_values_and_metric_value() -> None:
    fp = compile_pattern("{ $.latency > 10 && $.type = GET }")
    msg = '{"latency": 50, "type": "GET", "bytes": "1024", "name": "x"}'
    r = fp.match(msg)
    assert r is not None and r.extracted == {"$.latency": "50", "$.type": "GET"}
    assert fp.metric_value(msg, "$.latency") == 50.0
    assert fp.metric_value(msg, "$.bytes") == 1024.0
    assert fp.metric_value(msg, "$.name") is None
    assert fp.metric_value(msg, "$.name", default=0.0) == 0.0
    assert fp.metric_value(msg, "$.absent") is None
    assert fp.metric_value(msg, "1") == 1.0
    assert fp.metric_value('{"latency": 5}', "$.latency") is None
    assert fp.dimension_values(msg, {"Type": "$.type", "Latency": "$.latency"}) == {
        "Type": "GET",
        "Latency": "50",
    }
    assert fp.dimension_values(msg, {"X": "$.absent"}) is None
    assert fp.dimension_values('{"latency": 1}', {"Type": "$.type"}) is None
    assert fp.dimension_values('{"latency": 50, "type": "GET", "o": {}}', {"O": "$.o"}) is None


@pytest.mark.parametrize("expr", ["$size", "$1", "abc", "", "$.a[*]", "$.a b", "x" * 101])
def test_invalid_metric_value_for_json(expr: str) -> None:
    with pytest.raises(FilterPatternError):
        compile_pattern("{ $.a = 1 }").metric_value('{"a": 1}', expr)


def test_too_many_dimensions() -> None:
    with pytest.raises(FilterPatternError):
        compile_pattern("{ $.a = 1 }").dimension_values('{"a": 1}', dict.fromkeys("abcd", "$.a"))


# ---------------------------------------------------------------------------------------------------------------
# Space-delimited patterns


def test_tokenize_fields() -> None:
    assert tokenize_fields(APACHE) == [
        "127.0.0.1", "-", "frank", "10/Oct/2000:13:25:15 -0700", "GET /apache_pb.gif HTTP/1.0", "200", "1534",
    ]  # fmt: skip
    assert tokenize_fields("  a\t b  ") == ["a", "b"]
    assert tokenize_fields('[open "x y') == ["[open", '"x', "y"]
    assert tokenize_fields("[a]b") == ["a", "b"]
    assert tokenize_fields("") == []


def test_last_field_absorbs_rest_and_too_few_tokens() -> None:
    fp = compile_pattern("[w1=ERROR, w2]")
    r = fp.match("ERROR  a  b")
    assert r is not None and r.extracted == {"$w1": "ERROR", "$w2": "a b"}
    assert fp.match("ERROR") is None
    assert compile_pattern("[a, b, c]").match("x y") is None


def test_ellipsis_in_the_middle_and_positional_keys() -> None:
    r = compile_pattern("[ip, ..., , size]").match(APACHE)
    assert r is not None
    assert r.extracted == {
        "$ip": "127.0.0.1", "$2": "-", "$3": "frank", "$4": "10/Oct/2000:13:25:15 -0700",
        "$5": "GET /apache_pb.gif HTTP/1.0", "$6": "200", "$size": "1534",
    }  # fmt: skip
    assert compile_pattern("[a, ..., b]").match("one") is None
    assert compile_pattern("[...]").match("") == MatchResult({})
    assert compile_pattern("[]").match("") == MatchResult({})


# pattern -> {message: matches}; cross-field references inside one field's condition list (OLD21); [design choice]
# a name no field binds makes its condition false.
_SPACE_CONDITIONS = {
    "[a, b > 10]": {"x 11": True, "x ten": False},
    "[a, b = 10]": {"x 10.0": True},
    "[a, b != 10]": {"x ten": True},
    "[a = *x, b]": {"abx 1": True},
    '[a = "two words", b]': {'"two words" 1': True},
    "[a != %^x%, b]": {"yx 1": True, "xy 1": False},
    "[a = *, b]": {"q 1": True},
    "[a != *, b]": {"q 1": False},
    "[a, b = 4* && c > 1000, c]": {"x 404 1534": True, "x 404 15": False},
    "[a, b = 4* && nothere > 1]": {"x 404": False},
}


@pytest.mark.parametrize(
    ("pattern", "message", "expected"),
    [(p, msg, want) for p, cases in _SPACE_CONDITIONS.items() for msg, want in cases.items()],
)
def test_space_conditions(pattern: str, message: str, expected: bool) -> None:
    assert m(pattern, message) is expected


def test_space_metric_values_and_dimensions() -> None:
    fp = compile_pattern("[ip, id, user, timestamp, request, status_code, size]")
    assert fp.metric_value(APACHE, "$size") == 1534.0
    assert fp.metric_value(APACHE, "$user") is None
    assert fp.metric_value(APACHE, "$9") is None
    assert fp.dimension_values(APACHE, {"User": "$user", "Code": "$status_code"}) == {
        "User": "frank",
        "Code": "200",
    }
    positional = compile_pattern("[]")
    assert positional.metric_value(APACHE, "$7") == 1534.0
    assert positional.metric_value("short", "$7") is None
    with pytest.raises(FilterPatternError):
        fp.metric_value(APACHE, "$nosuch")
    with pytest.raises(FilterPatternError):
        fp.metric_value(APACHE, "$.size")


def test_term_metric_value_only_literal() -> None:
    fp = compile_pattern("ERROR")
    assert fp.metric_value("ERROR x", "2.5") == 2.5
    assert fp.metric_value("INFO x", "1") is None
    with pytest.raises(FilterPatternError):
        fp.metric_value("ERROR", "$x")


def test_space_required_literals_skip_numbers_or_and_negations() -> None:
    assert compile_pattern("[a = ERROR, b != WARN, c = 404]").required_literals() == ["ERROR"]
    assert compile_pattern('[a = "x y*", b]').required_literals() == ["x", "y"]
    assert compile_pattern("[a = x1 || a = x2, b]").required_literals() == []


# ---------------------------------------------------------------------------------------------------------------
# TestMetricFilter


def test_test_metric_filter_space_pattern() -> None:
    out = test_metric_filter("[..., status_code=200, size]", [APACHE, APACHE.replace(" 200 ", " 500 ")])
    assert len(out) == 1 and out[0]["eventNumber"] == 1
    assert out[0]["extractedValues"]["$size"] == "1534"


@pytest.mark.parametrize("count", [0, 51])
def test_test_metric_filter_message_count_limits(count: int) -> None:
    with pytest.raises(FilterPatternError):
        test_metric_filter("ERROR", ["x"] * count)


# ---------------------------------------------------------------------------------------------------------------
# Regex engine


@pytest.mark.parametrize(
    ("regex", "text", "expected"),
    [
        ("\\d+\\s\\w", "a 12 x", True),
        ("\\D\\S\\W", "1a!", False),
        ("[^a-c]", "abc", False),
        ("[a\\-]", "-", True),
        ("[\\d.]x", ".x", True),
        ("[]a]", "]", True),
        ("a{2}", "a a", False),
        ("a{,2}b", "b", True),
        ("a{2,}$", "xaa", True),
        ("x$", "x\n", False),
        (".", "\n", False),
        ("^$", "", True),
        ("a+?b", "aab", True),
        ("\\x41", "A", True),
        ("\\t", "\t", True),
        ("a]", "a]", True),
        ("a}", "a}", True),
        ("[\\D]", "\u00e9", False),
        ("[\\D]", "a", True),
        ("a{0}b", "b", True),
    ],
)
def test_regex_examples(regex: str, text: str, expected: bool) -> None:
    assert compile_regex(regex).search(text) is expected


def test_pathological_regex_runs_in_linear_time() -> None:
    # Exponential/polynomial for backtracking engines; no required literal, so the automaton does all the work.
    fp = compile_pattern("%a*a*a*a*a*a*a*a*a*[bc]$|zz%")
    text = "a" * 100_000
    t0 = time.perf_counter()
    assert not fp.matches(text)
    assert fp.matches(text + "c")
    assert time.perf_counter() - t0 < 5.0  # generous for loaded CI; backtracking would take hours


def test_large_messages_are_fast_for_every_kind() -> None:
    big = "x " * 50_000
    t0 = time.perf_counter()
    assert not m("ERROR -DEBUG", big)
    assert not m("[a, b = %^z%, ...]", big)
    assert not m("{ $.a = 1 }", "{" + '"k": 1, ' * 10_000 + '"a": 2}')
    assert m("%[xy] [xy]$%", big[:-1])
    assert time.perf_counter() - t0 < 5.0  # generous for loaded CI; backtracking would take hours


# ---------------------------------------------------------------------------------------------------------------
# Property-based tests

_ATOMS = ["a", "b", ".", "[ab]", "[^a]", "[a-c]", "\\d", "\\s", "\\w", "\\W", "\\x61", "1", " ", "_"]
_QUANTS = ["", "", "?", "*", "+", "{2}", "{1,2}", "{,2}", "{1,}"]


@st.composite
def regex_sources(draw: st.DrawFn) -> str:
    alts = []
    for _ in range(draw(st.integers(1, 3))):
        seq = "^" if draw(st.booleans()) and draw(st.booleans()) else ""
        for _ in range(draw(st.integers(1, 4))):
            seq += draw(st.sampled_from(_ATOMS)) + draw(st.sampled_from(_QUANTS))
        if draw(st.integers(0, 3)) == 0:
            seq += "$"
        alts.append(seq)
    return "|".join(alts)


def _python_equivalent(src: str) -> re.Pattern[str]:
    # Same semantics in Python with `$` meaning the very end (\Z) and `{,n}` spelled {0,n}.
    return re.compile(src.replace("$", r"\Z").replace("{,", "{0,"), re.ASCII)


@settings(max_examples=300, deadline=None)
@given(regex_sources(), st.lists(st.text(alphabet="ab1 _\nc!", max_size=12), min_size=1, max_size=6))
def test_regex_agrees_with_python_re(src: str, texts: list[str]) -> None:
    mine = compile_regex(src)
    ref = _python_equivalent(src)
    for text in texts:
        assert mine.search(text) is (ref.search(text) is not None), (src, text)
        if mine.search(text):
            assert all(lit in text for lit in mine.literals)


_PATTERN_ALPHABET = st.sampled_from(
    list("abERX019 _-?\"%[]{}().,=!<>&|$*\\:'\t") + ["$.a", "&&", "||", "..."]
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PATTERN_ALPHABET, max_size=30).map("".join), st.text(max_size=40))
def test_parser_only_raises_filter_pattern_error(pattern: str, message: str) -> None:
    try:
        fp = compile_pattern(pattern)
    except FilterPatternError as err:
        assert err.position is None or 0 <= err.position <= len(pattern)
        return
    assert isinstance(fp.matches(message), bool)
    r = fp.match(message)
    assert r is None or isinstance(r, MatchResult)
    assert (r is not None) == fp.matches(message)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_random_unicode_patterns_never_crash(pattern: str) -> None:
    try:
        compile_pattern(pattern).matches(pattern)
    except FilterPatternError:
        pass


_WORDS = ["ab", "ERR", "a b", "1", "x_1", "[E]", "404"]
_TERM_PIECES = ["ab", "ERR", '"a b"', '"[E]"', "x_1", "404", "%a.b%", "%^E%", "%1$%", "%E+R%"]


@st.composite
def term_patterns(draw: st.DrawFn) -> str:
    pieces = draw(st.lists(st.sampled_from(_TERM_PIECES), min_size=1, max_size=4))
    return " ".join(draw(st.sampled_from(["", "", "?", "-"])) + p for p in pieces)


@st.composite
def space_patterns(draw: st.DrawFn) -> str:
    conds = ["", "= ab", "= *b", "= 4*", "!= ab", "> 3", "= 404", '= "a b"', "= %^E%", "= ERR || {n} = ab"]
    fields = []
    for k in range(draw(st.integers(0, 4))):
        c = draw(st.sampled_from(conds)).replace("{n}", f"f{k}")
        fields.append(f"f{k} {c}".strip())
    if fields and draw(st.booleans()):
        fields.insert(draw(st.integers(0, len(fields))), "...")
    return "[" + ", ".join(fields) + "]"


@st.composite
def json_patterns(draw: st.DrawFn) -> str:
    leaves = [
        "$.a = ab", '$.a = "a b"', "$.a = *b", "$.n > 3", "$.n = 404", "$.a != ab", "$.z IS NULL", "$.t IS TRUE",
        "$.q NOT EXISTS", "$.l[0] = ERR", "$.l[*] = ab", "$.o.k = %^E%", "$.a = true",
    ]  # fmt: skip
    parts = draw(st.lists(st.sampled_from(leaves), min_size=1, max_size=3))
    ops = [draw(st.sampled_from([" && ", " || "])) for _ in parts[1:]]
    body = parts[0] + "".join(o + p for o, p in zip(ops, parts[1:], strict=True))
    return "{ " + body + " }"


_SCALARS = st.one_of(
    st.sampled_from(_WORDS + ["ERRab", "true", "A\u00e9"]), st.integers(-5, 500), st.booleans(), st.none()
)
_JSON_DOCS = st.dictionaries(
    st.sampled_from(["a", "n", "z", "t", "q", "l", "o"]),
    st.one_of(_SCALARS, st.lists(_SCALARS, max_size=3), st.dictionaries(st.just("k"), _SCALARS, max_size=1)),
    max_size=5,
)


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(term_patterns(), space_patterns(), json_patterns()),
    st.one_of(
        st.lists(st.sampled_from(_WORDS + [" ", "  ", '"', "[", "]", "\t"]), max_size=8).map("".join),
        _JSON_DOCS.map(json.dumps),
        _JSON_DOCS.map(lambda d: json.dumps(d, ensure_ascii=False, indent=1)),
    ),
)
def test_required_literals_are_sound(pattern: str, message: str) -> None:
    try:
        fp = compile_pattern(pattern)
    except FilterPatternError:
        assume(False)
        return
    if fp.matches(message):
        assert all(lit in message for lit in fp.required_literals()), (pattern, message)
        guarded = fp.guarded_literals()
        if guarded.unless is None or guarded.unless not in message:
            assert all(lit in message for lit in guarded.literals), (pattern, message)


@settings(max_examples=150, deadline=None)
@given(json_patterns(), _JSON_DOCS)
def test_json_prefilter_does_not_change_results(pattern: str, doc: dict[str, object]) -> None:
    """The literal pre-check is an optimisation only: same answer as evaluating the decoded document directly."""
    try:
        fp = compile_pattern(pattern)
    except FilterPatternError:
        assume(False)
        return
    assert fp._json is not None
    # `b` and `E` occur only inside strings, so escaping them keeps the JSON valid and equal.
    escaped = json.dumps(doc).replace("b", "\\u0062").replace("E", "\\u0045")
    for message in (json.dumps(doc), escaped):
        decoded = json.loads(message)
        assert fp.matches(message) is fp._json.test(decoded)


# The fast space-delimited matcher (tokenises only up to the last field a condition reads) must agree with the full
# binder on every message: names, unnamed entries, positional names, `...`, conditions on other fields, OR/AND.
@st.composite
def space_patterns_wide(draw: st.DrawFn) -> str:
    n = draw(st.integers(1, 6))
    names = [draw(st.sampled_from([f"f{k}", "", str(k + 1), str(k + 2)])) for k in range(n)]
    seen: set[str] = set()
    names = [x if x not in seen and not seen.add(x) else "" for x in names]  # type: ignore[func-returns-value]
    named = [x for x in names if x] or ["f0"]
    conds = ["= ab", "= *b", "= 4*", "!= ab", "> 3", "= 404", '= "a b"', "= %^E%", "= [E]*", "= *"]
    fields = []
    for x in names:
        if x and draw(st.booleans()):
            c = draw(st.sampled_from(conds))
            if draw(st.integers(0, 3)) == 0:
                other = draw(st.sampled_from([*named, "nope", "9"]))
                c += draw(st.sampled_from([" && ", " || "])) + f"{other} " + draw(st.sampled_from(conds))
            fields.append(f"{x} {c}")
        else:
            fields.append(x)
    if draw(st.booleans()):
        fields.insert(draw(st.integers(0, len(fields))), "...")
    return "[" + ", ".join(fields) + "]"


_SPACE_TOKENS = ["ab", "b", "404", "4", "5", "a b", "[E]", "[E] x", '"a b"', "[", "]", '"', "ERR", "x]y", "[ab", "a\tb", "x\ny"]


@settings(max_examples=600, deadline=None)
@given(space_patterns_wide(),
       st.lists(st.tuples(st.sampled_from(_SPACE_TOKENS), st.sampled_from(["", " ", "  ", "\t", "\n", "\f"])),
                max_size=9).map(lambda ts: "".join(a + b for a, b in ts)))  # fmt: skip
def test_fast_space_matcher_agrees_with_the_full_binder(pattern: str, message: str) -> None:
    try:
        fp = compile_pattern(pattern)
    except FilterPatternError:
        assume(False)
        return
    assert fp.matches(message) == (fp.match(message) is not None), (pattern, message)
    # the long-line path (str.find skips the first token) on every message, not only on those of 200+ characters
    saved = fpmod._LONG_LINE
    fpmod._LONG_LINE = 1
    try:
        short_path = fpmod.FilterPattern(pattern)
    finally:
        fpmod._LONG_LINE = saved
    assert short_path.matches(message) == (fp.match(message) is not None), (pattern, message)


def test_fast_space_matcher_is_used_and_skips_the_rest_of_the_line() -> None:
    fp = compile_pattern("[ip, id, user, ts, request, status=5*, size]")
    assert fp._space_fast is not None
    line = '10.0.0.1 - - [19/Nov/2026:16:00:00 +0000] "GET /x HTTP/1.1" 503 1234 trailing words'
    assert fp.matches(line) and not fp.matches(line.replace(" 503 ", " 200 "))
    assert not fp.matches("10.0.0.1 - - [t] req 503")  # 6 tokens: the 7-field pattern needs 7
    # a condition on the last field (it joins the rest of the line) or after `...` uses the full binder
    assert compile_pattern("[a, b = x*]")._space_fast is None
    assert compile_pattern("[a, ..., b = 5]")._space_fast is None
    assert compile_pattern("[a = 5, ..., b]")._space_fast is not None
