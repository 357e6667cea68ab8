"""Unit, property and throughput tests for the EventBridge event-pattern engine (awsmon.engines.eventpattern).

The corpus rows live in test_eventpattern_conformance.py; these tests pin the behaviour around them, including every
[design choice] listed in docs/event-patterns.md.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from awsmon.engines.eventpattern import (
    MAX_PATTERN_LENGTH,
    EventPattern,
    EventPatternError,
    EventValidationError,
    compile_event_pattern,
)
from awsmon.engines.eventpattern import (
    test_event_pattern as run_test_event_pattern,
)
from awsmon.engines.eventpattern_json import JNumber, comparable, parse_json
from awsmon.engines.eventpattern_values import (
    IpError,
    cidr_range,
    ignore_case_matcher,
    ip_literal,
    wildcard_complexity,
    wildcard_matcher,
)

ENVELOPE = {
    "version": "0",
    "id": "7bf73129-1428-4cd3-a780-95db273d1602",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "123456789012",
    "time": "2015-11-11T21:29:54Z",
    "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
}


def match(pattern: Any, event: Any) -> bool:
    return compile_event_pattern(pattern).matches(event)


def reason(pattern: Any) -> str:
    with pytest.raises(EventPatternError) as caught:
        compile_event_pattern(pattern)
    return caught.value.reason


# ---------------------------------------------------------------------------------------------------------------------
# Errors and the public API


def test_error_carries_aws_code_message_and_reason() -> None:
    with pytest.raises(EventPatternError) as caught:
        compile_event_pattern('{"a": "x"}')
    err = caught.value
    assert isinstance(err, ValueError)
    assert err.code == "InvalidEventPatternException"
    assert err.reason == '"a" must be an object or an array'
    assert err.message == 'Event pattern is not valid. Reason: "a" must be an object or an array'
    assert str(err) == err.message


def test_compile_accepts_dict_and_text_alike() -> None:
    pattern = {"source": ["aws.ec2"], "detail": {"state": ["running"]}}
    event = {**ENVELOPE, "detail": {"state": "running"}}
    assert isinstance(compile_event_pattern(pattern), EventPattern)
    assert match(pattern, event) is True
    assert match(json.dumps(pattern), json.dumps(event)) is True
    assert compile_event_pattern(pattern).subrule_count == 1


def test_json_syntax_error_is_an_event_pattern_error_with_a_location() -> None:
    text = reason('{"a": ["x"')
    assert "line: 1, column:" in text and "[Source:" in text
    assert "Non-standard token 'NaN'" in reason('{"a": [NaN]}')
    assert reason("") == "Filter is not an object"
    assert reason("   ") == "Filter is not an object"
    assert reason("[1]") == "Filter is not an object"
    assert reason('"x"') == "Filter is not an object"


def test_non_json_python_values_are_rejected() -> None:
    assert reason({"a": [float("nan")]}).startswith("pattern is not JSON")
    assert reason({"a": [object()]}).startswith("pattern is not JSON")


def test_pattern_length_quota_is_enforced_and_configurable() -> None:
    long_value = "x" * MAX_PATTERN_LENGTH
    text = json.dumps({"a": [long_value]})
    assert reason(text).startswith("Event pattern is too long")
    assert compile_event_pattern(text, max_length=4096).matches({"a": long_value})
    assert compile_event_pattern(text, max_length=None).matches({"a": long_value})


def test_or_combination_limit() -> None:
    branches = [{"a": [str(i)]} for i in range(10)]
    ok = {"$or": branches, "x": {"$or": branches}, "y": {"$or": branches}}  # exactly 1000 combinations
    assert compile_event_pattern(json.dumps(ok), max_length=None).subrule_count == 1000
    too_many = {**ok, "z": {"$or": [{"b": ["1"]}, {"b": ["2"]}]}}
    assert "$or combinations exceeds the limit of 1000" in reason_unbounded(too_many)


def reason_unbounded(pattern: Any) -> str:
    with pytest.raises(EventPatternError) as caught:
        compile_event_pattern(json.dumps(pattern), max_length=None)
    return caught.value.reason


def test_fields_per_rule_limit() -> None:
    fields = {f"f{i:03d}": ["x"] for i in range(256)}
    assert compile_event_pattern(fields, max_length=None).matches(dict.fromkeys(fields, "x"))
    assert reason_unbounded({**fields, "one-more": ["x"]}).startswith("Too many fields in a rule: 257")


# ---------------------------------------------------------------------------------------------------------------------
# JSON reading: duplicate keys and number texts


def test_duplicate_object_keys_merge_and_value_lists_last_win() -> None:
    merged = compile_event_pattern('{"detail": {"a": ["1"]}, "detail": {"b": ["2"]}}')
    assert merged.matches({"detail": {"a": "1", "b": "2"}})
    assert not merged.matches({"detail": {"a": "1"}})
    last = compile_event_pattern('{"a": ["1"], "a": ["2"]}')
    assert last.matches({"a": "2"}) and not last.matches({"a": "1"})


def test_duplicate_event_keys_all_become_leaves() -> None:
    pattern = compile_event_pattern({"a": ["1"], "b": ["2"]})
    assert pattern.matches('{"a": "0", "a": "1", "b": "2"}')


def test_number_texts_survive_parsing() -> None:
    tree = parse_json('{"n": 1.00000000000000000001, "m": 1e400}')
    assert tree[0][1] == JNumber("1.00000000000000000001")
    assert tree[1][1].text == "1e400" and tree[1][1].value is None


@pytest.mark.parametrize(
    ("text", "value"),
    [("0.1", 0.1), ("3.018e2", 301.8), ("1e300", 1e300), ("-0.0", 0.0), ("300", 300.0), ("1E2", 100.0)],
)
def test_representable_numbers(text: str, value: float) -> None:
    assert comparable(text) == value


@pytest.mark.parametrize("text", ["1.00000000000000001", "12345678901234567890", "1e400", "1e-400", "x"])
def test_unrepresentable_numbers(text: str) -> None:
    assert comparable(text) is None


# pattern value -> event value -> matches (exact decimal semantics; unrepresentable numbers compare as written)
_EXACT_NUMBERS = {
    "300": {"3.0e2": True, "300.0": True},
    "-0.0": {"0": True},
    "1.0": {"1.00000000000000000001": False},
    "12345678901234567890": {"12345678901234567890": True, "12345678901234567891": False},
    "1e400": {"1e400": True, "1E400": False},
}


@pytest.mark.parametrize(
    ("pattern_value", "event_value", "expected"),
    [(p, e, want) for p, events in _EXACT_NUMBERS.items() for e, want in events.items()],
)
def test_exact_number_semantics(pattern_value: str, event_value: str, expected: bool) -> None:
    assert match('{"a": [' + pattern_value + "]}", '{"a": ' + event_value + "}") is expected


def test_numbers_never_equal_other_types() -> None:
    assert not match({"a": [1]}, {"a": "1"})
    assert not match({"a": [1]}, {"a": True})
    assert not match({"a": [True]}, {"a": 1})


def test_numeric_ranges() -> None:
    rng = compile_event_pattern({"a": [{"numeric": [">", 0, "<=", 5]}]})
    assert [rng.matches({"a": v}) for v in (0, 0.000001, 5, 5.000001, -1)] == [
        False,
        True,
        True,
        False,
        False,
    ]
    assert not rng.matches({"a": "3"})
    assert not rng.matches({"a": True})
    assert rng.matches({"a": [-1, 3]})
    assert match({"a": [{"numeric": ["=", 3.018e2]}]}, {"a": 301.8})
    assert match({"a": [{"numeric": [">", 1e300]}]}, '{"a": 1e301}')
    assert not match({"a": [{"numeric": [">", 0]}]}, '{"a": 1e400}')
    assert match({"a": [{"numeric": [">=", 5, "<", 6]}]}, {"a": 5})
    assert not match({"a": [{"numeric": [">=", 5, "<", 6]}]}, {"a": 6})


@pytest.mark.parametrize(
    ("numeric", "expected"),
    [
        ([], "Invalid member in numeric match: ]"),
        ([{}], "Invalid member in numeric match: {"),
        ([True], "Invalid member in numeric match: true"),
        (["~", 1], "Unrecognized numeric range operator: ~"),
        (["=", "1"], "Value of equals must be numeric"),
        ([">="], "Value of >= must be numeric"),
        (["<=", 1, 2], "Too many elements in numeric expression"),
        ([">", 1, 2], "Bad value in numeric range: 2"),
        ([">", 1, "=", 2], "Bad numeric range operator: ="),
        ([">", 1, "<", 2, 3], "Too many terms in numeric range expression"),
        ([">", 2, "<", 1], "Bottom must be less than top"),
    ],
)
def test_numeric_errors(numeric: list[Any], expected: str) -> None:
    assert reason({"a": [{"numeric": numeric}]}) == expected


def test_numeric_with_second_key() -> None:
    assert reason('{"a": [{"numeric": [">", 1], "x": 1}]}') == "Too many elements in numeric expression"


# ---------------------------------------------------------------------------------------------------------------------
# Strings, null, booleans, exists


def test_null_and_empty_string_are_distinct_from_missing() -> None:
    assert match({"a": [None]}, {"a": None})
    assert not match({"a": [None]}, {"a": ""})
    assert not match({"a": [None]}, {})
    assert match({"a": [""]}, {"a": ""})
    assert not match({"a": [""]}, {"a": None})


def test_exists_is_leaf_only() -> None:
    present = compile_event_pattern({"a": [{"exists": True}]})
    assert present.matches({"a": None})
    assert present.matches({"a": [0]})
    assert not present.matches({"a": []})
    assert not present.matches({"a": {}})
    assert not present.matches({"a": {"b": 1}})
    absent = compile_event_pattern({"a": [{"exists": False}]})
    for event in ({}, {"a": []}, {"a": {}}, {"a": [[]]}, {"a": {"b": 1}}):
        assert absent.matches(event)
    assert not absent.matches({"a": None})


def test_exists_false_depends_on_path_order() -> None:
    first_bound = {"employees": {"firstName": ["Anna"], "ids": [{"exists": False}]}}
    event = {"employees": [[{"firstName": "John", "ids": [1]}, {"firstName": "Anna"}]]}
    assert match(first_bound, event)  # firstName < ids: Anna's element is bound first
    unbound_first = {"emp": {"n": ["B"], "ids": [{"exists": False}]}}
    assert not match(unbound_first, {"emp": [{"n": "A", "ids": [1]}, {"n": "B"}]})  # ids < n


def test_missing_field_never_satisfies_anything_but() -> None:
    assert not match({"a": [{"anything-but": "x"}]}, {"b": "y"})


def test_array_elements_must_be_consistent() -> None:
    pattern = {"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}}
    split = {
        "employees": [{"firstName": "Anna", "lastName": "Smith"}, {"firstName": "John", "lastName": "Jones"}]
    }
    together = {
        "employees": [{"firstName": "John", "lastName": "Jones"}, {"firstName": "Anna", "lastName": "Jones"}]
    }
    assert not match(pattern, split)
    assert match(pattern, together)
    assert match({"a": {"b": ["x"]}, "d": {"e": ["y"]}}, {"a": [{"b": "x"}], "d": [{"e": "y"}]})
    assert match({"a": ["x"]}, {"a": [["x"]]})


def test_dotted_keys_equal_nested_paths() -> None:
    assert match({"a.b": ["x"]}, {"a": {"b": "x"}})
    assert match({"a": {"b": ["x"]}}, {"a.b": "x"})
    assert match({"": {"x": ["1"]}}, {"": {"x": "1"}})
    assert not match({"x": ["1"]}, {"": {"x": "1"}})


def test_keys_are_case_sensitive() -> None:
    assert not match({"Source": ["aws.ec2"]}, {"source": "aws.ec2"})


def test_prefix_suffix_and_exactly() -> None:
    assert match({"a": [{"prefix": ""}]}, {"a": ""})
    assert not match({"a": [{"prefix": "ab"}]}, {"a": "AB"})
    assert match({"a": [{"suffix": ".png"}]}, {"a": "x.png"})
    assert not match({"a": [{"suffix": "1"}]}, {"a": 1})
    assert match({"a": [{"exactly": "x"}]}, {"a": "x"})
    assert reason({"a": [{"exactly": 1}]}) == "exact match pattern must be a string"
    assert reason({"a": [{"prefix": {}}]}) == "Prefix expression name not found"
    assert reason({"a": [{"suffix": {"x": "y"}}]}) == "Unsupported suffix pattern: x"
    assert (
        reason({"a": [{"prefix": {"equals-ignore-case": 1}}]})
        == "equals-ignore-case match pattern must be a string"
    )


def test_equals_ignore_case_follows_event_ruler_folding() -> None:
    assert match({"a": [{"equals-ignore-case": "AbC"}]}, {"a": "aBc"})
    assert not match({"a": [{"equals-ignore-case": "true"}]}, {"a": True})
    assert match({"a": [{"equals-ignore-case": "straße"}]}, {"a": "STRASSE"})
    assert not match({"a": [{"equals-ignore-case": "STRASSE"}]}, {"a": "straße"})
    assert not match({"a": [{"equals-ignore-case": "k"}]}, {"a": "\u212a"})  # KELVIN SIGN is not 'k' or 'K'
    assert match({"a": [{"prefix": {"equals-ignore-case": "EC2"}}]}, {"a": "ec2 instance"})
    assert match({"a": [{"suffix": {"equals-ignore-case": ".PNG"}}]}, {"a": "photo.png"})
    assert not match({"a": [{"suffix": {"equals-ignore-case": ".PNG"}}]}, {"a": "png"})


def test_wildcards() -> None:
    assert match({"a": [{"wildcard": "*.png"}]}, {"a": ".png"})
    assert match({"a": [{"wildcard": "*"}]}, {"a": ""})
    assert match({"a": [{"wildcard": "a\\*b"}]}, {"a": "a*b"})
    assert not match({"a": [{"wildcard": "a\\*b"}]}, {"a": "axb"})
    assert match({"a": [{"wildcard": "a\\\\b"}]}, {"a": "a\\b"})
    assert not match({"a": [{"wildcard": "*.png"}]}, {"a": 5})
    assert reason({"a": [{"wildcard": "ab\\"}]}) == "Invalid escape character at pos 3"
    assert reason({"a": [{"wildcard": "é**"}]}) == "Consecutive wildcard characters at pos 3"


def test_wildcard_matching_is_linear_on_adversarial_input() -> None:
    matcher = wildcard_matcher("*a*a*a*b")
    value = "a" * 200_000
    started = time.perf_counter()
    assert matcher(value) is False
    assert matcher(value + "b") is True
    assert time.perf_counter() - started < 2.5  # generous: a backtracking matcher would take minutes


@pytest.mark.parametrize(
    ("pattern", "complexity"),
    [("*.png", 2), ("*/lib/*", 4), ("*a*a*", 5), ("*:*:*:event-bus/*", 7), ("*:*:*:*:event-bus/*", 9),
     ("*a*a*a*a*", 9), ("*:*:*:*:*:event-bus/*", 11)],
)  # fmt: skip
def test_wildcard_complexity_matches_measured_values(pattern: str, complexity: int) -> None:
    assert wildcard_complexity([pattern], cap=100) == complexity


def test_complexity_limit_applies_per_field_across_or_branches() -> None:
    five = "*:*:*:*:event-bus/*"  # 9 on its own: accepted
    assert compile_event_pattern({"a": [{"wildcard": five}]})
    assert compile_event_pattern({"a": [{"wildcard": five}], "b": [{"wildcard": five}]})
    with pytest.raises(EventPatternError, match="Rule is too complex"):
        compile_event_pattern({"$or": [{"a": [{"wildcard": five}]}, {"a": [{"wildcard": "*x*y"}]}]})


# ---------------------------------------------------------------------------------------------------------------------
# anything-but


def test_anything_but_variants() -> None:
    strings = compile_event_pattern({"a": [{"anything-but": ["x", "y"]}]})
    assert [strings.matches({"a": v}) for v in ("x", "z", 1, None, True)] == [False, True, True, True, True]
    assert strings.matches({"a": ["x", "z"]}) and not strings.matches({"a": ["x"]})
    numbers = compile_event_pattern({"a": [{"anything-but": [1, 2]}]})
    assert [numbers.matches({"a": v}) for v in (1, 1.0, 3, "1")] == [False, False, True, True]
    assert numbers.matches('{"a": 1e400}')
    prefix = compile_event_pattern({"a": [{"anything-but": {"prefix": ["in", "te"]}}]})
    assert [prefix.matches({"a": v}) for v in ("init", "test", "ok", 5, None)] == [
        False,
        False,
        True,
        True,
        True,
    ]
    suffix = compile_event_pattern({"a": [{"anything-but": {"suffix": ".txt"}}]})
    assert not suffix.matches({"a": "a.txt"}) and suffix.matches({"a": "a.png"})
    eic = compile_event_pattern({"a": [{"anything-but": {"equals-ignore-case": ["Stopped"]}}]})
    assert not eic.matches({"a": "STOPPED"}) and eic.matches({"a": "running"})
    wild = compile_event_pattern({"a": [{"anything-but": {"wildcard": "*/dir/*"}}]})
    assert not wild.matches({"a": "x/dir/y"}) and wild.matches({"a": "x/y"})


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"a": [{"anything-but": {}}]}, "Anything-But expression name not found"),
        ({"a": [{"anything-but": {"exists": True}}]}, "Unsupported anything-but pattern: exists"),
        ({"a": [{"anything-but": {"prefix": []}}]}, "Empty arrays are not allowed"),
        ({"a": [{"anything-but": {"wildcard": ["a**"]}}]}, "Consecutive wildcard characters at pos 2"),
        ({"a": [{"anything-but": [[1]]}]}, "Inside anything but list, start|null|boolean is not supported."),
        ({"a": [{"anything-but": ["x", 1]}]}, "Inside anything but list, either all values are number or string, "
                                              "mixed type is not supported"),
        ({"a": [{"anything-but": True}]}, "Value of anything-but must be an array or single string/number value."),
    ],
)  # fmt: skip
def test_anything_but_errors(pattern: dict[str, Any], expected: str) -> None:
    assert reason(pattern) == expected


# ---------------------------------------------------------------------------------------------------------------------
# IP addresses and cidr


def test_ip_literals_compare_as_addresses() -> None:
    assert match({"a": ["10.0.0.1"]}, {"a": "10.0.0.01"})
    assert match({"a": ["2001:db8::1"]}, {"a": "2001:DB8:0:0:0:0:0:1"})
    assert match({"a": ["999.0.0.1"]}, {"a": "999.0.0.1"})  # not a valid IP: an ordinary string
    assert not match({"a": [{"exactly": "10.0.0.1"}]}, {"a": "10.0.0.01"})


def test_cidr_semantics() -> None:
    assert match({"a": [{"cidr": "10.0.0.5/8"}]}, {"a": "10.0.0.1"})  # host bits ignored
    assert match({"a": [{"cidr": "10.0.0.0/0"}]}, {"a": "1.2.3.4"})
    assert match({"a": [{"cidr": "10.0.0.0/8"}]}, {"a": "010.0.0.1"})
    assert match({"a": [{"cidr": "10.0.0.0/8"}]}, {"a": "::ffff:a00:1"})  # IPv4-mapped IPv6 is IPv4
    assert not match({"a": [{"cidr": "10.0.0.0/8"}]}, {"a": "::ffff:10.0.0.1"})
    assert not match({"a": [{"cidr": "::/0"}]}, {"a": "10.0.0.1"})
    assert match({"a": [{"cidr": "10.0.0.0/8/"}]}, {"a": "10.1.1.1"})  # Java split() quirk
    assert cidr_range("10.0.0.0/+8") == (4, 10 << 24, (10 << 24) | 0xFFFFFF)


@pytest.mark.parametrize(
    ("cidr", "expected"),
    [
        ("/", "Malformed CIDR, one '/' required"),
        ("10.0.0.0/8/1", "Malformed CIDR, one '/' required"),
        ("10.0.0.0/99999999999", "Malformed CIDR, mask bits must be an integer"),
        ("/8", "Nonstandard IP address: "),
        ("1:2:3:4:5:6:7:8:9/64", "Invalid IP address: 1:2:3:4:5:6:7:8:9"),
        ("::ffff:a00:0/104", "IPv4 mask bits must be < 32"),
    ],
)
def test_cidr_errors(cidr: str, expected: str) -> None:
    with pytest.raises(IpError, match=re.escape(expected)):
        cidr_range(cidr)
    assert reason({"a": [{"cidr": cidr}]}) == expected


def test_ip_literal_shapes() -> None:
    assert ip_literal("example.com") is None
    assert ip_literal("1.2.3") is None
    assert ip_literal("0.0.0.0") == (4, 0)
    assert ip_literal("::1") == (6, 1)


# ---------------------------------------------------------------------------------------------------------------------
# $or and structural errors


def test_or_forks_and_carries_sibling_fields() -> None:
    pattern = compile_event_pattern(
        {"source": ["s"], "$or": [{"a": ["1"]}, {"b": {"$or": [{"c": ["2"]}, {"d": ["3"]}]}}], "z": ["z"]}
    )
    assert pattern.subrule_count == 3
    assert pattern.matches({"source": "s", "a": "1", "z": "z"})
    assert pattern.matches({"source": "s", "b": {"d": "3"}, "z": "z"})
    assert not pattern.matches({"source": "s", "b": {"d": "3"}})
    assert not pattern.matches({"a": "1", "z": "z"})


def test_or_errors() -> None:
    assert reason({"$or": [{"a": ["1"]}, 5]}) == "Only JSON object is allowed in array of $or relationship."
    assert reason({"$or": [{"a": ["1"]}, {"x": {"numeric": ["1"]}}]}) == (
        "numeric is Ruler reserved fieldName which cannot be used inside $or."
    )
    assert reason({"$or": [{"a": ["1"]}, {}]}) == "Empty objects are not allowed"


def test_first_offending_token_wins() -> None:
    assert reason('{"a": [{"prefix": 1}], "b": 5}') == "prefix match pattern must be a string"
    assert reason('{"b": 5, "a": [{"prefix": 1}]}') == '"b" must be an object or an array'
    assert reason('{"a": [{"prefix": 1, "suffix": "y"}]}') == "prefix match pattern must be a string"
    assert reason('{"a": [{"exists": true, "x": 1}]}') == "Only one key allowed in match expression"
    assert reason('{"a": [{"exists": "yes"}]}') == "exists match pattern must be either true or false."


# ---------------------------------------------------------------------------------------------------------------------
# Events and TestEventPattern


def test_test_event_pattern_validates_the_envelope() -> None:
    pattern = json.dumps({"source": ["aws.ec2"]})
    assert run_test_event_pattern(pattern, json.dumps(ENVELOPE)) is True
    for bad in ("[]", '"x"', "not json", json.dumps({k: v for k, v in ENVELOPE.items() if k != "region"})):
        with pytest.raises(EventValidationError) as caught:
            run_test_event_pattern(pattern, bad)
        assert caught.value.code == "ValidationException"
        assert str(caught.value) == "Parameter Event is not valid."
    with pytest.raises(EventPatternError):
        run_test_event_pattern("{}", "[]")  # the pattern is validated first


def test_matches_rejects_non_object_events() -> None:
    pattern = compile_event_pattern({"a": ["1"]})
    with pytest.raises(EventValidationError):
        pattern.matches("[1]")
    with pytest.raises(EventValidationError):
        pattern.matches("{")


def test_python_event_values_keep_json_types() -> None:
    assert match({"a": [1]}, {"a": 1})
    assert match({"a": [0.5]}, {"a": 0.5})
    assert not match({"a": [1]}, {"a": True})
    assert match({"a": [True]}, {"a": True})
    assert match({"a": [{"numeric": ["<", 2]}]}, {"a": (1,)})


# ---------------------------------------------------------------------------------------------------------------------
# Properties

KEYS = st.text(alphabet="abcxyz-_", min_size=1, max_size=4)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
EVENTS = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)


def _project(node: Any, draw: Any) -> Any:
    """Pick one element of every array: leaves of the result are pairwise array-consistent in the original."""
    if isinstance(node, dict):
        return {key: _project(value, draw) for key, value in node.items()}
    if isinstance(node, list):
        if not node:
            return None
        return _project(node[draw(st.integers(0, len(node) - 1))], draw)
    return node


def _pattern_from(node: Any, draw: Any) -> Any:
    if isinstance(node, dict):
        fields = {key: _pattern_from(value, draw) for key, value in node.items() if value is not None}
        fields = {key: value for key, value in fields.items() if value is not None}
        return fields or None
    if isinstance(node, str):
        op = draw(st.sampled_from(["exact", "prefix", "suffix", "wildcard", "exists"]))
        if op == "prefix":
            return [{"prefix": node[: draw(st.integers(0, len(node)))]}]
        if op == "suffix":
            return [{"suffix": node[draw(st.integers(0, len(node))) :]}]
        if op == "wildcard":
            escaped = node.replace("\\", "\\\\").replace("*", "\\*")
            return [{"wildcard": escaped}]
        if op == "exists":
            return [{"exists": True}]
        return [node]
    if isinstance(node, bool):
        return [node]
    if isinstance(node, int | float):
        return [draw(st.sampled_from([node, {"numeric": ["=", node]}, {"numeric": [">=", node]}]))]
    return None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event=st.dictionaries(KEYS, EVENTS, min_size=1, max_size=4), data=st.data())
def test_pattern_built_from_an_events_own_values_matches_it(
    event: dict[str, Any], data: st.DataObject
) -> None:
    pattern = _pattern_from(_project(event, data.draw), data.draw)
    assume(pattern is not None)
    text = json.dumps(pattern)
    assume(len(text) <= MAX_PATTERN_LENGTH)
    assert compile_event_pattern(text).matches(json.dumps(event))
    assert compile_event_pattern(pattern).matches(event)


@settings(max_examples=150, deadline=None)
@given(
    value=st.text(max_size=10)
    | st.integers(-(10**15), 10**15)
    | st.floats(allow_nan=False, allow_infinity=False)
)
def test_anything_but_never_matches_its_own_value(value: Any) -> None:
    pattern = compile_event_pattern({"k": [{"anything-but": value}]})
    assert not pattern.matches({"k": value})
    assert not pattern.matches(json.dumps({"k": value}))
    assert not compile_event_pattern({"k": [{"anything-but": [value]}]}).matches({"k": [value]})
    if isinstance(value, str):
        assert not compile_event_pattern({"k": [{"anything-but": {"equals-ignore-case": value}}]}).matches(
            {"k": value}
        )
        if value:
            assert not compile_event_pattern({"k": [{"anything-but": {"prefix": value}}]}).matches(
                {"k": value}
            )


OPERATOR_KEYS = st.sampled_from(
    ["prefix", "suffix", "numeric", "anything-but", "exists", "cidr", "wildcard", "equals-ignore-case", "exactly",
     "$or", "a", "b", "<", ">=", "="]
)  # fmt: skip
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(alphabet="ab*\\/:.1=<>", max_size=6),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(OPERATOR_KEYS | st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=15,
)


@settings(max_examples=300, deadline=None)
@given(pattern=JSON_VALUES)
def test_compiler_raises_only_event_pattern_errors(pattern: Any) -> None:
    try:
        compiled = compile_event_pattern(json.dumps(pattern))
    except EventPatternError as exc:
        assert exc.message.startswith("Event pattern is not valid. Reason: ")
        return
    assert isinstance(compiled.matches("{}"), bool)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=40))
def test_parser_raises_only_event_pattern_errors_on_any_text(text: str) -> None:
    try:
        compile_event_pattern(text)
    except EventPatternError:
        pass


def _glob_reference(pattern: str, value: str) -> bool:
    """Textbook dynamic-programming glob over the unescaped alphabet {a, b, *}."""
    rows = [[False] * (len(value) + 1) for _ in range(len(pattern) + 1)]
    rows[0][0] = True
    for i, ch in enumerate(pattern, 1):
        rows[i][0] = rows[i - 1][0] and ch == "*"
        for j in range(1, len(value) + 1):
            if ch == "*":
                rows[i][j] = rows[i - 1][j] or rows[i][j - 1]
            else:
                rows[i][j] = rows[i - 1][j - 1] and value[j - 1] == ch
    return rows[-1][-1]


@settings(max_examples=300, deadline=None)
@given(pattern=st.text(alphabet="ab*", max_size=8), value=st.text(alphabet="ab", max_size=10))
def test_wildcard_matcher_agrees_with_reference(pattern: str, value: str) -> None:
    assume("**" not in pattern)
    assert wildcard_matcher(pattern)(value) is _glob_reference(pattern, value)


def _ignore_case_reference(pattern: str, value: str, mode: str) -> bool:
    # The regex construction given in specs/eventbridge.md §1.6 (safe here: no nested quantifiers).
    body = "".join("(?:" + "|".join(map(re.escape, {c.lower(), c.upper()})) + ")" for c in pattern)
    if mode == "prefix":
        body += ".*"
    elif mode == "suffix":
        body = ".*" + body
    return re.fullmatch(body, value, re.DOTALL) is not None


@settings(max_examples=300, deadline=None)
@given(
    pattern=st.text(alphabet="aBßSsİiǅǆ.", max_size=5),
    value=st.text(alphabet="aAbBßSsİiǅǆǄ.\u0307", max_size=7),
    mode=st.sampled_from(["equals", "prefix", "suffix"]),
)
def test_ignore_case_matcher_agrees_with_spec_construction(pattern: str, value: str, mode: str) -> None:
    assert ignore_case_matcher(pattern, mode)(value) is _ignore_case_reference(pattern, value, mode)


@settings(max_examples=200, deadline=None)
@given(value=st.floats(allow_nan=False, allow_infinity=False))
def test_every_double_is_representable(value: float) -> None:
    assert comparable(repr(value)) == value


# ---------------------------------------------------------------------------------------------------------------------
# Throughput


def test_throughput_ten_thousand_events_through_a_twenty_field_pattern() -> None:
    detail = {}
    for i in range(15):
        if i % 3 == 0:
            detail[f"f{i}"] = [{"numeric": [">", 0, "<=", 1000]}]
        elif i % 3 == 1:
            detail[f"f{i}"] = [{"exists": True}]
        else:
            detail[f"f{i}"] = [f"v{i}", {"suffix": "x"}]
    pattern = compile_event_pattern(
        {
            "source": ["aws.ec2"],
            "detail-type": [{"prefix": "EC2"}],
            "account": [{"anything-but": "000000000000"}],
            "region": [{"equals-ignore-case": "US-EAST-1"}],
            "resources": [{"wildcard": "arn:aws:ec2:*:instance/*"}],
            "detail": detail,
        }
    )
    events = [
        json.dumps(
            {**ENVELOPE, "detail": {f"f{i}": (n % 1000 + 1 if i % 3 == 0 else f"v{i}") for i in range(15)}}
        )
        for n in range(10_000)
    ]
    best = float("inf")
    for _ in range(2):
        started = time.perf_counter()
        matched = sum(pattern.matches(event) for event in events)
        best = min(best, time.perf_counter() - started)
    assert matched == 10_000
    assert best < 5.0  # generous for loaded CI machines; exponential behaviour would take minutes


def test_array_of_objects_search_is_linear() -> None:
    pattern = compile_event_pattern({"a": {"x": ["1"], "y": ["2"], "z": ["3"]}})
    rows = [{"x": "1", "y": "2", "z": "0"} for _ in range(5000)]
    started = time.perf_counter()
    assert pattern.matches({"a": [*rows, {"x": "1", "y": "2", "z": "3"}]})
    assert not pattern.matches({"a": [*rows, {"z": "3"}]})
    absent = compile_event_pattern({"a": {"x": ["1"], "y": [{"exists": False}]}})
    assert absent.matches({"a": [*({"x": "1", "y": "2"} for _ in range(5000)), {"x": "1"}]})
    assert not absent.matches({"a": [{"x": "1", "y": "2"} for _ in range(5000)]})
    assert time.perf_counter() - started < 5.0  # generous for loaded CI machines


def test_leaves_inside_and_outside_arrays_at_one_path() -> None:
    pattern = compile_event_pattern({"a": {"x": ["1"], "y": ["2"]}})
    assert pattern.matches('{"a": [{"x": "1", "y": "0"}], "a": {"y": "2"}}')
    assert not pattern.matches('{"a": [{"x": "1", "y": "0"}, {"y": "2"}]}')


def test_trailing_data_and_deep_nesting_are_pattern_errors() -> None:
    assert "Extra data" in reason('{"a": ["x"]} {"b": ["y"]}')
    deep = '{"a":' * 100_000 + '["x"]' + "}" * 100_000
    with pytest.raises(EventPatternError, match="Maximum nesting depth exceeded"):
        compile_event_pattern(deep, max_length=None)
    assert match({1: ["x"]}, {"1": "x"})  # a dict pattern is read as json.dumps renders it


def test_first_invalid_anything_but_wildcard_in_document_order_is_reported() -> None:
    assert reason({"a": [{"anything-but": {"wildcard": ["ok*", "a**", "b\\x"]}}]}) == (
        "Consecutive wildcard characters at pos 2"
    )


def test_complexity_exploration_cap_reports_too_complex() -> None:
    assert wildcard_complexity(["*a*b"], cap=11) < 11
    assert wildcard_complexity(["*a*b"], cap=11, max_states=1) == 11


def test_or_object_is_rejected() -> None:
    assert reason('{"$or": {"a": ["1"]}}') == "It must be an Array followed with $or."


def test_astral_letters_fold_per_code_point() -> None:
    # Deseret capital/small long I: event-ruler (UTF-16 units) would not fold these; awsmon does (documented).
    assert match({"a": [{"equals-ignore-case": "\U00010400"}]}, {"a": "\U00010428"})


def test_cidr_mask_bits_accept_only_ascii_digits() -> None:
    assert reason({"a": [{"cidr": "10.0.0.0/\u0668"}]}) == "Malformed CIDR, mask bits must be an integer"


def test_dict_events_with_non_json_values() -> None:
    assert match({"a": [{"anything-but": [1]}]}, {"a": float("nan")})
    assert not match({"a": [{"numeric": [">", 0]}]}, {"a": float("inf")})
    assert match({"a": [{"exists": True}]}, {"a": object()})
    assert not match({"a": ["x"]}, {"a": object()})


def test_complexity_counts_only_value_lists_that_survive_last_wins() -> None:
    heavy = "*:*:*:*:event-bus/*"  # 9
    text = json.dumps({"a": [{"wildcard": heavy}]})[:-1] + ', "a": [{"wildcard": "*x*y"}]}'
    assert compile_event_pattern(text).matches({"a": "axby"})
    with pytest.raises(EventPatternError, match="Rule is too complex"):
        compile_event_pattern({"a": [{"wildcard": heavy}, {"wildcard": "*x*y"}]})
