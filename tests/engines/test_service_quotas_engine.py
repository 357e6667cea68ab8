"""The Service Quotas catalogue: every usage metric finds its quota back; only AWS/Usage and exact dimensions match."""

from __future__ import annotations

from awsmon.engines.service_quotas import QUOTAS, quota_for_metric, usage_dimensions


def test_every_usage_metric_finds_its_quota() -> None:
    with_metric = [q for q in QUOTAS if q.usage_metric]
    assert {q.code for q in with_metric} >= {"L-1568E18E", "L-8BC498D4", "L-7E1FAE88"}
    for q in with_metric:
        m = q.usage_metric
        assert m is not None and quota_for_metric(m["MetricNamespace"], m["MetricName"], m["MetricDimensions"]) is q


def test_only_the_exact_usage_metric_matches() -> None:
    dims = usage_dimensions("CloudTrail", "Resource", "Trail")
    assert quota_for_metric("AWS/Usage", "ResourceCount", dims) is not None
    assert quota_for_metric("AWS/Usage", "CallCount", dims) is None
    assert quota_for_metric("Custom/Usage", "ResourceCount", dims) is None
    assert quota_for_metric("AWS/Usage", "ResourceCount", {k: v for k, v in dims.items() if k != "Class"}) is None
    assert quota_for_metric("AWS/Usage", "ResourceCount", {**dims, "Resource": "EventDataStore"}) is None


def test_periods_and_recommended_statistics_follow_the_kind() -> None:
    for q in QUOTAS:
        if q.rate_api:
            assert q.period == {"PeriodValue": 1, "PeriodUnit": "SECOND"}
            assert q.usage_metric and q.usage_metric["MetricStatisticRecommendation"] == "Sum"
        elif q.resource:
            assert q.period == {"PeriodValue": 5, "PeriodUnit": "MINUTE"}
            assert q.usage_metric and q.usage_metric["MetricStatisticRecommendation"] == "Maximum"
        else:
            assert q.period is None and q.usage_metric is None
