"""The shared filter-pattern conformance corpus run through the local store: the SQL pre-filter must never drop a
match, and the store must answer every documented row as the corpus expects (spec logs.md §1.8)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Cli, shared_path

NOW_MS = 1795176000000
G = "/conformance"


def _rows(name: str) -> list[dict[str, Any]]:
    path = shared_path("conformance", name)
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_corpus_through_filter_log_events(pinned: Cli) -> None:
    from awsmon.context import AppContext
    from awsmon.engines.filterpattern import compile_pattern

    rows = _rows("filter_patterns.jsonl")
    messages = list(dict.fromkeys(r["message"] for r in rows))
    ctx = AppContext.create(backend="local", home=pinned.env["AWSMON_HOME"], output="json")
    try:
        logs = ctx.client("logs")
        logs.create_log_group(logGroupName=G)
        logs.create_log_stream(logGroupName=G, logStreamName="s")
        logs.put_log_events(logGroupName=G, logStreamName="s",
                            logEvents=[{"timestamp": NOW_MS - len(messages) + i, "message": m} for i, m in enumerate(messages)])  # fmt: skip
        checked = 0
        for pattern in dict.fromkeys(r["pattern"] for r in rows):
            got = {e["message"] for e in logs.filter_log_events(logGroupName=G, filterPattern=pattern)["events"]}
            fp = compile_pattern(pattern)
            engine = {m for m in messages if fp.matches(m)}
            assert got == engine, f"store and engine disagree on {pattern!r}"  # the SQL pre-filter dropped nothing
            for r in rows:
                if r["pattern"] == pattern and not r.get("ambiguous"):
                    assert (r["message"] in got) == r["match"], r["id"]
                    checked += 1
    finally:
        ctx.close()
    assert checked >= 100


def test_corpus_through_test_pattern_cli(pinned: Cli) -> None:
    rows = [r for r in _rows("filter_patterns.jsonl") if "extracted" in r and not r.get("ambiguous")]
    assert rows
    for r in rows:
        out = pinned.json("logs", "test-pattern", "--pattern", r["pattern"], "--message", r["message"])
        if not r["match"]:
            assert out["matches"] == [], r["id"]
            continue
        extracted = out["matches"][0]["extractedValues"]
        if r.get("extracted_complete"):
            assert extracted == r["extracted"], r["id"]
        else:
            assert {k: extracted.get(k) for k in r["extracted"]} == r["extracted"], r["id"]


@pytest.mark.parametrize("command", ["filter", "test-pattern"])
def test_invalid_corpus_exits_2(pinned: Cli, command: str) -> None:
    pinned.ok("logs", "create-group", "--name", G)
    for r in _rows("filter_patterns_invalid.jsonl"):
        args = ["--group", G] if command == "filter" else ["--message", "x"]
        res = pinned("logs", command, "--pattern", r["pattern"], *args)
        assert res.exit_code == 2, (r["id"], res.stderr)
        assert f"{r['error']}: " in res.stderr, r["id"]
        if r.get("message"):
            assert r["message"] in res.stderr, r["id"]
