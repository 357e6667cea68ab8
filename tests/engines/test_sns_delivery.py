"""SNS delivery policy engine: the four phases and the backoff functions (engines/sns_delivery.py)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awsmon.engines.sns_delivery import (
    BACKOFF_FUNCTIONS,
    DeliveryPolicyError,
    check_subscription_policy,
    effective,
    retry_policy,
)


def test_aws_default_http_policy() -> None:
    assert retry_policy({}).delays() == [20.0, 20.0, 20.0]  # 3 retries, 20 s apart


def test_phases_in_order() -> None:
    p = retry_policy({"minDelayTarget": 1, "maxDelayTarget": 9, "numRetries": 8, "numNoDelayRetries": 2,
                      "numMinDelayRetries": 1, "numMaxDelayRetries": 2, "backoffFunction": "linear"})  # fmt: skip
    assert p.delays() == [0.0, 0.0, 1.0, 1.0, 5.0, 9.0, 9.0, 9.0]


def test_backoff_functions_between_min_and_max() -> None:
    base = {"minDelayTarget": 10, "maxDelayTarget": 110, "numRetries": 5}
    got = {f: retry_policy({**base, "backoffFunction": f}).delays() for f in BACKOFF_FUNCTIONS}
    assert got["linear"] == [10.0, 35.0, 60.0, 85.0, 110.0]
    assert got["geometric"] == [10.0, 53.75, 85.0, 103.75, 110.0]
    assert got["arithmetic"] == [10.0, 16.25, 35.0, 66.25, 110.0]
    assert got["exponential"][0] == 10.0 and got["exponential"][-1] == 110.0
    # AWS's graph: geometric above linear, then arithmetic, then exponential below
    for i in range(1, 4):
        assert got["geometric"][i] > got["linear"][i] > got["arithmetic"][i] > got["exponential"][i]


@given(lo=st.integers(1, 60), span=st.integers(0, 60), n=st.integers(0, 30), fn=st.sampled_from(BACKOFF_FUNCTIONS),
       extra=st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3)))
@settings(max_examples=300, deadline=None)
def test_schedule_properties(lo: int, span: int, n: int, fn: str, extra: tuple[int, int, int]) -> None:
    no, mn, mx = extra
    raw = {"minDelayTarget": lo, "maxDelayTarget": lo + span, "numRetries": n + no + mn + mx,
           "numNoDelayRetries": no, "numMinDelayRetries": mn, "numMaxDelayRetries": mx, "backoffFunction": fn}
    try:
        delays = retry_policy(raw).delays()
    except DeliveryPolicyError as exc:
        assert "total retry time" in str(exc) or "numRetries must be at most" in str(exc)
        return
    assert len(delays) == raw["numRetries"]
    assert delays[:no] == [0.0] * no
    backoff = delays[no + mn: no + mn + n]
    assert all(lo <= d <= lo + span for d in backoff)
    assert backoff == sorted(backoff)  # never shorter than the one before
    assert sum(delays) <= 3600


def test_effective_policy_and_content_type() -> None:
    topic = json.dumps({"http": {"defaultHealthyRetryPolicy": {"numRetries": 1, "minDelayTarget": 3,
                                                               "maxDelayTarget": 3},
                                 "defaultRequestPolicy": {"headerContentType": "application/json"}}})  # fmt: skip
    sub = json.dumps({"healthyRetryPolicy": {"numRetries": 2, "minDelayTarget": 1, "maxDelayTarget": 1}})
    assert effective(topic, sub)[0].delays() == [1.0, 1.0]
    assert effective(topic, None) == (retry_policy({"numRetries": 1, "minDelayTarget": 3, "maxDelayTarget": 3}),
                                      "application/json")  # fmt: skip
    assert effective(None, None)[1] == "text/plain; charset=UTF-8"
    locked = json.dumps({"http": {"disableSubscriptionOverrides": True}})
    assert effective(locked, sub)[0].delays() == [20.0, 20.0, 20.0]


@pytest.mark.parametrize("text", ["[]", "{", '{"healthyRetryPolicy": {"minDelayTarget": 0}}',
                                  '{"requestPolicy": {"headerContentType": 5}}'])
def test_refused(text: str) -> None:
    with pytest.raises(DeliveryPolicyError):
        check_subscription_policy(text)
