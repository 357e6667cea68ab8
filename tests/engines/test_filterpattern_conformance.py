"""Conformance rows for CloudWatch Logs filter patterns (shared/conformance/filter_patterns*.jsonl, specs/logs.md §1.8).

Documented rows are asserted strictly; derived/ambiguous rows (and the "inferred" invalid rows) live in their own
buckets: they are regression tests of awsmon's documented choices, to be confirmed on AWS with TestMetricFilter.
Every row is one parametrised test whose id is the row id, so pytest's summary gives the pass counts per bucket.
"""

from __future__ import annotations

from typing import Any

import pytest

from awsmon.engines.filterpattern import FilterPatternError, compile_pattern, test_metric_filter
from tests.conftest import conformance_rows, need_rows

MATCH_ROWS = conformance_rows("filter_patterns.jsonl")
INVALID_ROWS = conformance_rows("filter_patterns_invalid.jsonl")
PARSE_ROWS = conformance_rows("filter_patterns_parse_only.jsonl")

_DOCUMENTED = [r for r in MATCH_ROWS if not r.get("derived") and not r.get("ambiguous")]
_DERIVED = [r for r in MATCH_ROWS if r.get("derived") or r.get("ambiguous")]
_INVALID_DOC = [r for r in INVALID_ROWS if not r.get("inferred")]
_INVALID_INFERRED = [r for r in INVALID_ROWS if r.get("inferred")]


def _params(rows: list[dict[str, Any]]) -> list[Any]:
    return [pytest.param(r, id=r["id"]) for r in rows] or [pytest.param(None, id="no-rows")]


def _check_match_row(row: dict[str, Any] | None) -> None:
    need_rows(MATCH_ROWS, "filter_patterns.jsonl")
    assert row is not None
    fp = compile_pattern(row["pattern"])
    result = fp.match(row["message"])
    assert (result is not None) is row["match"]
    assert fp.matches(row["message"]) is row["match"]
    batch = fp.batch()  # the local store's chunked path for space-delimited patterns (Hyperscan superset + confirm)
    if batch is not None and "\x00" not in row["message"]:
        assert batch.select(row["message"].encode()) == ([0] if row["match"] else [])
    if row["match"]:
        # The pre-filter literals must never reject a documented match.
        assert all(lit in row["message"] for lit in fp.required_literals())
        assert all(lit in row["message"] for lit in fp.guarded_literals().literals)
    if "extracted" in row and result is not None:
        expected = row["extracted"]
        if row.get("extracted_complete"):
            assert result.extracted == expected
        else:
            assert {k: result.extracted.get(k) for k in expected} == expected
    if "metric_value" in row:
        assert fp.metric_value(row["message"], "$.latency") == float(row["metric_value"])


@pytest.mark.parametrize("row", _params(_DOCUMENTED))
def test_documented_row(row: dict[str, Any] | None) -> None:
    _check_match_row(row)


@pytest.mark.parametrize("row", _params(_DERIVED))
def test_derived_or_ambiguous_row(row: dict[str, Any] | None) -> None:
    _check_match_row(row)


def _check_invalid_row(row: dict[str, Any] | None) -> None:
    need_rows(INVALID_ROWS, "filter_patterns_invalid.jsonl")
    assert row is not None
    with pytest.raises(FilterPatternError) as info:
        compile_pattern(row["pattern"])
    err = info.value
    assert err.code == row["error"]
    if "message" in row:
        if row.get("message_is_prefix"):
            assert err.message.startswith(row["message"])
        else:
            assert err.message == row["message"]
    assert err.position is not None and 0 <= err.position <= len(row["pattern"])


@pytest.mark.parametrize("row", _params(_INVALID_DOC))
def test_invalid_row(row: dict[str, Any] | None) -> None:
    _check_invalid_row(row)


@pytest.mark.parametrize("row", _params(_INVALID_INFERRED))
def test_invalid_inferred_row(row: dict[str, Any] | None) -> None:
    _check_invalid_row(row)


@pytest.mark.parametrize("row", _params(PARSE_ROWS))
def test_parse_only_row(row: dict[str, Any] | None) -> None:
    need_rows(PARSE_ROWS, "filter_patterns_parse_only.jsonl")
    assert row is not None and row["valid"] is True
    fp = compile_pattern(row["pattern"])
    assert fp.kind in ("json", "space")


def test_corpus_sizes() -> None:
    """Guards against silently losing rows (README: 129 / 24 / 19)."""
    need_rows(MATCH_ROWS, "filter_patterns.jsonl")
    assert len(MATCH_ROWS) == 129
    assert len(INVALID_ROWS) == 24
    assert len(PARSE_ROWS) == 19
    assert len(_DOCUMENTED) + len(_DERIVED) == 129


def test_row_108_test_metric_filter_event_numbers() -> None:
    """Row 108 (aws-cli example): two of three messages match; [design choice] eventNumber is 1-based."""
    need_rows(MATCH_ROWS, "filter_patterns.jsonl")
    rows = [r for r in MATCH_ROWS if r["id"].startswith("FP-108")]
    assert len(rows) == 3
    out = test_metric_filter(rows[0]["pattern"], [r["message"] for r in rows])
    assert [m["eventNumber"] for m in out] == [1, 2]
    assert all(m["extractedValues"] == {} for m in out)
    assert [m["eventMessage"] for m in out] == [r["message"] for r in rows if r["match"]]
