"""The CloudTrail Insights detector (awsmon/engines/insights_detector.py): the course notes' examples."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from awsmon.engines.insights_detector import (
    BASELINE_MINUTES,
    CALL_RATE,
    ERROR_RATE,
    Calls,
    Params,
    detect,
    records,
)

T0 = 29_000_000  # an epoch minute (2025-02-20)
DAY = 1440


def _steady(source: str, name: str, rate: float, start: int, end: int, *, seed: int = 1, read_only: bool = False,
            error: str | None = None, overrides: dict[int, int] | None = None) -> list[Calls]:  # fmt: skip
    rnd = random.Random(seed)
    out = []
    for m in range(start, end):
        n = overrides.get(m, None) if overrides else None
        if n is None:
            # Poisson-like noise around the rate (binomial approximation)
            n = sum(1 for _ in range(int(rate * 2)) if rnd.random() < 0.5) if rate else 0
        if n:
            out.append(Calls(m, source, name, read_only, error, "arn:aws:iam::111122223333:user/ops", "aws-cli/2", n))
    return out


def test_delete_bucket_burst_20_to_100_is_detected_start_and_end() -> None:
    burst = {T0 + 8 * DAY + 600 + i: 100 for i in range(30)}
    calls = _steady("s3.amazonaws.com", "DeleteBucket", 20, T0, T0 + 9 * DAY, overrides=burst)
    found = detect(calls, start=T0 + 7 * DAY, end=T0 + 9 * DAY, history_start=T0, types=[CALL_RATE])
    assert len(found) == 1
    ins = found[0]
    assert (ins.event_source, ins.event_name) == ("s3.amazonaws.com", "DeleteBucket")
    assert ins.start == T0 + 8 * DAY + 600 and ins.end == T0 + 8 * DAY + 630
    assert 19 < ins.baseline_average < 21 and ins.start_average == 100 and ins.average == 100
    start, end = records(ins, region="us-east-1", account_id="111122223333")
    assert start["sharedEventID"] == end["sharedEventID"] and start["eventID"] != end["eventID"]
    assert start["eventType"] == "AwsCloudTrailInsight" and start["eventCategory"] == "Insight"
    assert "eventName" not in start and "userIdentity" not in start
    d = end["insightDetails"]
    assert d["state"] == "End" and d["insightType"] == CALL_RATE
    stats = d["insightContext"]["statistics"]
    assert stats["insightDuration"] == 30 and stats["baselineDuration"] == BASELINE_MINUTES
    attrs = {a["attribute"]: a for a in d["insightContext"]["attributions"]}
    assert set(attrs) == {"userIdentityArn", "userAgent", "errorCode"}
    assert attrs["errorCode"]["insight"] == [{"value": "null", "average": 100.0}]
    assert attrs["userAgent"]["insight"][0]["value"] == "aws-cli/2"


def test_authorize_ingress_falling_20_to_0_is_detected() -> None:
    gap = {T0 + 8 * DAY + 100 + i: 0 for i in range(60)}
    calls = _steady("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", 20, T0, T0 + 9 * DAY, overrides=gap)
    found = detect(calls, start=T0 + 7 * DAY, end=T0 + 9 * DAY, history_start=T0)
    assert [(i.insight_type, i.start, i.end) for i in found] == [(CALL_RATE, T0 + 8 * DAY + 100, T0 + 8 * DAY + 160)]
    assert found[0].start_average == 0 and found[0].average == 0


def test_steady_traffic_is_not_detected() -> None:
    calls = _steady("ec2.amazonaws.com", "RunInstances", 20, T0, T0 + 14 * DAY, seed=7)
    calls += _steady("s3.amazonaws.com", "PutBucketPolicy", 0.5, T0, T0 + 14 * DAY, seed=8)
    assert detect(calls, start=T0 + 7 * DAY, end=T0 + 14 * DAY, history_start=T0) == []


def test_read_calls_do_not_count_for_call_rate_but_errors_do() -> None:
    burst = {T0 + 8 * DAY + i: 50 for i in range(10)}
    reads = _steady("ec2.amazonaws.com", "DescribeInstances", 20, T0, T0 + 9 * DAY, read_only=True, overrides=burst)
    assert detect(reads, start=T0 + 7 * DAY, end=T0 + 9 * DAY, history_start=T0, types=[CALL_RATE]) == []
    errors = _steady("ec2.amazonaws.com", "DescribeInstances", 0, T0, T0 + 9 * DAY, read_only=True,
                     error="AccessDenied", overrides=burst)  # fmt: skip
    found = detect(errors, start=T0 + 7 * DAY, end=T0 + 9 * DAY, history_start=T0)
    assert [(i.insight_type, i.start, i.end) for i in found] == [(ERROR_RATE, T0 + 8 * DAY, T0 + 8 * DAY + 10)]
    end = records(found[0], region="eu-west-1", account_id="1")[1]
    attrs = {a["attribute"]: a for a in end["insightDetails"]["insightContext"]["attributions"]}
    assert attrs["errorCode"]["insight"] == [{"value": "AccessDenied", "average": 50.0}]


def test_no_evaluation_without_seven_days_of_history() -> None:
    burst = {T0 + 2 * DAY + i: 100 for i in range(30)}
    calls = _steady("s3.amazonaws.com", "DeleteBucket", 20, T0, T0 + 3 * DAY, overrides=burst)
    assert detect(calls, start=T0, end=T0 + 3 * DAY, history_start=T0) == []


def test_open_insight_has_no_end_record_and_ids_are_stable() -> None:
    burst = {T0 + 8 * DAY - 5 + i: 100 for i in range(5)}
    calls = _steady("s3.amazonaws.com", "DeleteBucket", 20, T0, T0 + 8 * DAY, overrides=burst)
    a = detect(calls, start=T0 + 7 * DAY, end=T0 + 8 * DAY, history_start=T0)
    b = detect(calls, start=T0 + 8 * DAY - 5, end=T0 + 8 * DAY, history_start=T0)
    assert len(a) == 1 and a[0].end is None
    assert [r["eventID"] for r in records(a[0], region="r", account_id="1")] == \
        [r["eventID"] for r in records(b[0], region="r", account_id="1")]  # fmt: skip
    assert len(records(a[0], region="r", account_id="1")) == 1


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3 * DAY), st.integers(0, 200), st.booleans()), max_size=60),
       st.integers(1, 5), st.integers(1, 8))
def test_insights_are_well_formed(points: list[tuple[int, int, bool]], confirm: int, quiet: int) -> None:
    calls = [Calls(T0 + m, "s.amazonaws.com", "Op", ro, "E" if ro else None, None, None, n) for m, n, ro in points if n]
    start, end = T0 + DAY, T0 + 3 * DAY
    found = detect(calls, start=start, end=end, history_start=T0 - 7 * DAY, params=Params(confirm=confirm, quiet=quiet))
    for ins in found:
        assert start <= ins.start < end
        assert ins.end is None or ins.start < ins.end <= end
        recs = records(ins, region="r", account_id="1")
        assert len(recs) == (1 if ins.end is None else 2)
        assert len({r["sharedEventID"] for r in recs}) == 1
    by_kind: dict[str, list] = {}
    for ins in found:
        by_kind.setdefault(ins.insight_type, []).append(ins)
    for lst in by_kind.values():  # insights of one API and type never overlap
        for x, y in zip(lst, lst[1:], strict=False):
            assert x.end is not None and x.end <= y.start
