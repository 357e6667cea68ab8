"""The one path for cross-service consequences (awsmon/backends/local/facts.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from awsmon.backends.local import facts

SEEN: list[tuple[str, dict]] = []


def react(store, region, **payload):  # a reaction registered by a test
    SEEN.append((region, payload))


def target(store, arn, payload, when, **attrs):
    return facts.Delivery("Delivered", f"{arn} got {payload}")


def test_emit_calls_registered_reactions_in_order(monkeypatch: pytest.MonkeyPatch):
    SEEN.clear()
    monkeypatch.setitem(facts.REACTIONS, "event", [])  # only this test's reaction (no store here)
    facts.subscribe("event", f"{__name__}:react")
    try:
        facts.emit(None, "eu-west-1", "event", event={"id": "1"}, bus="default")
    finally:
        facts.unsubscribe("event", f"{__name__}:react")
    assert SEEN == [("eu-west-1", {"event": {"id": "1"}, "bus": "default"})]


def test_unknown_kind_is_an_error():
    with pytest.raises(KeyError):
        facts.emit(None, "us-east-1", "no-such-fact")


def test_deliver_by_arn_service():
    when = datetime(2026, 1, 1, tzinfo=UTC)
    assert facts.deliver(None, "arn:aws:nothere:us-east-1:1:x", "p", when) == facts.Delivery("Recorded")
    facts.register_target("testsvc", f"{__name__}:target")
    try:
        d = facts.deliver(None, "arn:aws:testsvc:us-east-1:1:x", "p", when)
    finally:
        facts.TARGETS.pop("testsvc")
    assert d.status == "Delivered" and d.ok
    assert facts.arn_service("not-an-arn") is None
