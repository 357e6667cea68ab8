"""``output.to_jsonable`` takes plain values and plain containers by their exact type first (a page of 50 events
is ~1,400 values): the result must be what the general checks give for every kind of value."""

from __future__ import annotations

import base64
from collections import OrderedDict
from datetime import UTC, date, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from awsmon.output import to_jsonable
from awsmon.timeparse import iso_z


class Colour(StrEnum):
    RED = "red"


def _reference(value: Any) -> Any:
    """The normalisation by the general checks only (what to_jsonable did before its exact-type shortcut)."""
    from collections.abc import Mapping

    if isinstance(value, Mapping):
        return {str(k): _reference(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list | tuple):
        return [_reference(v) for v in value]
    if isinstance(value, datetime):
        return iso_z(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


_leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5),
                    st.binary(max_size=5), st.datetimes(timezones=st.just(UTC)), st.dates(),
                    st.just(Colour.RED))  # fmt: skip
_keys = st.one_of(st.text(max_size=4), st.integers(), st.just("ResponseMetadata"))
_values = st.recursive(_leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.lists(inner, max_size=4).map(tuple),
    st.dictionaries(_keys, inner, max_size=4),
    st.dictionaries(_keys, inner, max_size=4).map(OrderedDict),
    st.dictionaries(_keys, inner, max_size=4).map(MappingProxyType)), max_leaves=20)  # fmt: skip


@given(_values)
def test_the_exact_type_shortcut_changes_nothing(value: Any) -> None:
    got, want = to_jsonable(value), _reference(value)
    assert got == want and type(got) is type(want)


def test_a_str_subclass_and_response_metadata() -> None:
    out = to_jsonable({"ResponseMetadata": {"x": 1}, "c": Colour.RED, 1: (b"\x00", datetime(2026, 1, 2, tzinfo=UTC))})
    assert out == {"c": Colour.RED, "1": ["AA==", "2026-01-02T00:00:00Z"]}
