"""Conformance rows for EventBridge event patterns (shared/conformance/eventbridge_*.jsonl, specs/eventbridge.md §1-3).

Buckets follow shared/conformance/README.md: real AWS answers (TestEventPattern / PutEvents recorded by LocalStack,
"AWS-validated" error texts) are asserted strictly, as are AWS-docs and event-ruler test assertions; the rows whose
answer was obtained by *executing* event-ruler or derived from doc semantics are regression tests of the engine
behaviour EventBridge is built on (to be confirmed on AWS). Every row is its own parametrised test, id = row index +
a short label. Patterns flagged `pattern_is_raw_json` / `event_is_raw_json` are fed to the parser verbatim.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from awsmon.engines.eventpattern import (
    ENVELOPE_FIELDS,
    EventPatternError,
    compile_event_pattern,
)
from awsmon.engines.eventpattern import (
    test_event_pattern as run_test_event_pattern,
)
from tests.conftest import conformance_rows, need_rows

PATTERNS_FILE = "eventbridge_patterns.jsonl"
INVALID_FILE = "eventbridge_invalid.jsonl"


MATCH_ROWS = list(enumerate(conformance_rows(PATTERNS_FILE)))
INVALID_ROWS = list(enumerate(conformance_rows(INVALID_FILE)))


def _bucket(row: dict[str, Any]) -> str:
    source = row["expected_from"]
    if source.startswith("AWS TestEventPattern") or source.startswith("AWS PutEvents"):
        return "aws"
    if source.startswith("AWS docs text"):
        return "docs"
    if "assertion" in source or source == "README text":
        return "ruler"
    return "derived"  # "AWS docs semantics", "README semantics", "event-ruler executed"


def _label(index: int, row: dict[str, Any]) -> str:
    basis = row["expected_from"] if "expected_from" in row else row["error"].split("Reason: ", 1)[-1]
    label = row.get("case") or re.sub(r"[^a-z0-9]+", "-", basis.lower()).strip("-")[:28]
    outcome = "match" if row.get("match", True) else "nomatch"
    return f"{index:03d}-{label}-{outcome}" if "match" in row else f"{index:03d}-{label}"


def _params(rows: list[tuple[int, dict[str, Any]]], bucket: str) -> list[Any]:
    chosen = [pytest.param(row, id=_label(i, row)) for i, row in rows if _bucket(row) == bucket]
    return chosen or [pytest.param(None, id="no-rows")]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _has_envelope(event_text: str) -> bool:
    try:
        event = json.loads(event_text)
    except ValueError:
        return False
    return isinstance(event, dict) and all(name in event for name in ENVELOPE_FIELDS)


def _check_match_row(row: dict[str, Any] | None) -> None:
    need_rows([r for _, r in MATCH_ROWS], PATTERNS_FILE)
    assert row is not None
    pattern, event, expected = row["pattern"], row["event"], row["match"]
    assert isinstance(pattern, str) is bool(row.get("pattern_is_raw_json"))
    assert isinstance(event, str) is bool(row.get("event_is_raw_json"))
    # As given: raw JSON text goes through the duplicate-merging, text-preserving reader; objects as dicts.
    assert compile_event_pattern(pattern).matches(event) is expected
    # The same case through the JSON text path.
    assert compile_event_pattern(_text(pattern)).matches(_text(event)) is expected
    if _has_envelope(_text(event)):
        assert run_test_event_pattern(_text(pattern), _text(event)) is expected


@pytest.mark.parametrize("row", _params(MATCH_ROWS, "aws"))
def test_aws_recorded(row: dict[str, Any] | None) -> None:
    _check_match_row(row)


@pytest.mark.parametrize("row", _params(MATCH_ROWS, "docs"))
def test_aws_docs(row: dict[str, Any] | None) -> None:
    _check_match_row(row)


@pytest.mark.parametrize("row", _params(MATCH_ROWS, "ruler"))
def test_event_ruler_assertions(row: dict[str, Any] | None) -> None:
    _check_match_row(row)


@pytest.mark.parametrize("row", _params(MATCH_ROWS, "derived"))
def test_derived_and_executed(row: dict[str, Any] | None) -> None:
    _check_match_row(row)


def _invalid_bucket(row: dict[str, Any]) -> str:
    if "Rule is too complex" in row["error"]:
        return "complexity"
    return "aws" if "AWS-validated" in row.get("note", "") else "ruler"


def _invalid_params(bucket: str) -> list[Any]:
    chosen = [
        pytest.param(row, id=_label(i, row)) for i, row in INVALID_ROWS if _invalid_bucket(row) == bucket
    ]
    return chosen or [pytest.param(None, id="no-rows")]


def _check_invalid_row(row: dict[str, Any] | None) -> None:
    need_rows([r for _, r in INVALID_ROWS], INVALID_FILE)
    assert row is not None
    with pytest.raises(EventPatternError) as caught:
        compile_event_pattern(row["pattern"])
    assert caught.value.message == row["error"]
    assert str(caught.value) == row["error"]
    assert caught.value.code == "InvalidEventPatternException"
    # TestEventPattern reports the pattern error with the same text.
    with pytest.raises(EventPatternError) as again:
        run_test_event_pattern(_text(row["pattern"]), _text(row["event"]))
    assert again.value.message == row["error"]


@pytest.mark.parametrize("row", _invalid_params("aws"))
def test_invalid_aws_recorded(row: dict[str, Any] | None) -> None:
    _check_invalid_row(row)


@pytest.mark.parametrize("row", _invalid_params("ruler"))
def test_invalid_event_ruler_messages(row: dict[str, Any] | None) -> None:
    _check_invalid_row(row)


@pytest.mark.parametrize("row", _invalid_params("complexity"))
def test_invalid_wildcard_complexity(row: dict[str, Any] | None) -> None:
    """The service-level limit (not in event-ruler): awsmon ports MachineComplexityEvaluator on a glob NFA and rejects
    complexity >= 11 (docs/event-patterns.md); this AWS-recorded row has complexity 11."""
    _check_invalid_row(row)


def test_corpus_sizes() -> None:
    need_rows([r for _, r in MATCH_ROWS], PATTERNS_FILE)
    need_rows([r for _, r in INVALID_ROWS], INVALID_FILE)
    assert len(MATCH_ROWS) == 412
    assert sum(1 for _, r in MATCH_ROWS if r["match"]) == 229
    assert len(INVALID_ROWS) == 66
