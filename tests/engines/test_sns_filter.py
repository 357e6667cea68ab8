"""The SNS filter-policy engine: SNS's limits and texts, and matching checked against plain Python."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from awsmon.engines.sns_filter import FilterPolicyError, attribute_document, compile_filter_policy

TEXT = st.text(alphabet="abcxyz-_", max_size=8)


def _s(value: str) -> dict[str, str]:
    return {"DataType": "String", "StringValue": value}


def _n(value: float) -> dict[str, str]:
    return {"DataType": "Number", "StringValue": repr(value)}


@given(TEXT, TEXT)
def test_prefix_and_suffix_are_startswith_and_endswith(affix: str, value: str) -> None:
    pre = compile_filter_policy(json.dumps({"k": [{"prefix": affix}]})) if affix else None
    suf = compile_filter_policy(json.dumps({"k": [{"suffix": affix}]})) if affix else None
    if pre and suf:
        assert pre.matches("", {"k": _s(value)}) == value.startswith(affix)
        assert suf.matches("", {"k": _s(value)}) == value.endswith(affix)


@given(st.lists(TEXT, min_size=1, max_size=5), TEXT)
def test_exact_and_anything_but(values: list[str], value: str) -> None:
    exact = compile_filter_policy(json.dumps({"k": values}))
    but = compile_filter_policy(json.dumps({"k": [{"anything-but": values}]}))
    assert exact.matches("", {"k": _s(value)}) == (value in values)
    assert but.matches("", {"k": _s(value)}) == (value not in values)


@given(st.integers(-1000, 1000), st.integers(-1000, 1000), st.integers(-1000, 1000))
def test_numeric_ranges(low: int, high: int, value: int) -> None:
    policy = compile_filter_policy(json.dumps({"n": [{"numeric": [">=", low, "<", high]}]})) if low < high else None
    if policy:
        assert policy.matches("", {"n": _n(value)}) == (low <= value < high)


@given(st.booleans(), st.booleans())
def test_exists(flag: bool, present: bool) -> None:
    policy = compile_filter_policy(json.dumps({"k": [{"exists": flag}]}))
    attrs = {"k": _s("v")} if present else {"other": _s("v")}
    assert policy.matches("", attrs) == (flag == present)


def test_or_string_array_and_body_scope() -> None:
    policy = compile_filter_policy('{"$or": [{"a": ["x"]}, {"b": [{"numeric": [">", 5]}]}]}')
    assert policy.matches("", {"a": _s("x")}) and policy.matches("", {"b": _n(6)})
    assert not policy.matches("", {"b": _n(5)})
    arr = compile_filter_policy('{"t": ["b"]}')
    assert arr.matches("", {"t": {"DataType": "String.Array", "StringValue": '["a", "b"]'}})
    body = compile_filter_policy('{"order": {"total": [{"numeric": [">", 10]}]}}', "MessageBody")
    assert body.matches('{"order": {"total": 12}}', None)
    assert not body.matches('{"order": {"total": 2}}', None) and not body.matches("not json", None)
    assert compile_filter_policy("{}").matches("", None)  # an empty policy filters nothing
    assert attribute_document({"b": {"DataType": "Binary", "BinaryValue": "AA=="}}) == {}


@pytest.mark.parametrize(
    ("policy", "scope", "reason"),
    [
        ("[1]", "MessageAttributes", "failed to parse JSON. Filter policy must be an object"),
        ("{", "MessageAttributes", "failed to parse JSON."),
        (json.dumps({k: ["v"] for k in "abcdef"}), "MessageAttributes", "Filter policy can not have more than 5 keys"),
        (json.dumps({"a": list(range(100)), "b": [1, 2]}), "MessageAttributes", "Filter policy is too complex"),
        (json.dumps({"$or": [{"a": list(range(80))}, {"b": list(range(80))}]}), "MessageAttributes",
         "Filter policy is too complex"),
        ('{"a": {"b": ["x"]}}', "MessageAttributes",
         "Filter policy scope MessageAttributes does not support nested filter policy"),
        ('{"a": "x"}', "MessageAttributes", '"a" must be an object or an array'),
    ],
)
def test_limits_and_texts(policy: str, scope: str, reason: str) -> None:
    with pytest.raises(FilterPolicyError) as err:
        compile_filter_policy(policy, scope)
    assert err.value.reason == reason
    assert err.value.message == f"Invalid parameter: FilterPolicy: {reason}"


def test_five_keys_and_150_values_are_allowed() -> None:
    compile_filter_policy(json.dumps({k: ["v"] for k in "abcde"}))
    compile_filter_policy(json.dumps({"a": list(range(75)), "b": [1, 2]}))
    compile_filter_policy('{"a": {"b": ["x"]}}', "MessageBody")
