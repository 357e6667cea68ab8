"""``output.to_jsonable`` takes plain values and plain containers by their exact type first (a page of 50 events
is ~1,400 values): the result must be what its general checks give for the same data in other types."""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from awsmon.output import to_jsonable


class Colour(StrEnum):
    RED = "red"


class Text(str):
    pass


class Number(int):
    pass


def _disguised(value: Any) -> Any:
    """The same data in types the exact-type shortcut does not take: mapping proxies, tuples, str/int subclasses."""
    if type(value) is dict:
        return MappingProxyType({k: _disguised(v) for k, v in value.items()})
    if type(value) is list:
        return tuple(_disguised(v) for v in value)
    if type(value) is str:
        return Text(value)
    if type(value) is int:
        return Number(value)
    return value


_leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5),
                    st.binary(max_size=5), st.datetimes(timezones=st.just(UTC)), st.dates(),
                    st.just(Colour.RED))  # fmt: skip
_keys = st.one_of(st.text(max_size=4), st.integers(), st.just("ResponseMetadata"))


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.lists(inner, max_size=4), st.lists(inner, max_size=4).map(tuple),
                     st.dictionaries(_keys, inner, max_size=4),
                     st.dictionaries(_keys, inner, max_size=4).map(OrderedDict))  # fmt: skip


_values = st.recursive(_leaves, _containers, max_leaves=20)


@given(_values)
def test_the_exact_type_shortcut_gives_what_the_general_checks_give(value: Any) -> None:
    assert to_jsonable(value) == to_jsonable(_disguised(value))


def test_a_str_subclass_bytes_times_and_response_metadata() -> None:
    out = to_jsonable({"ResponseMetadata": {"x": 1}, "c": Colour.RED, 1: (b"\x00", datetime(2026, 1, 2, tzinfo=UTC))})
    assert out == {"c": Colour.RED, "1": ["AA==", "2026-01-02T00:00:00Z"]}
    assert type(to_jsonable({"a": [1]})["a"]) is list
