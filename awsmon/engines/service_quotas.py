"""The Service Quotas catalogue of the local account and the AWS/Usage metrics that measure it (pure data).

Shared by the local Service Quotas service (ListServiceQuotas / GetServiceQuota), the local CloudWatch (which
publishes AWS/Usage and answers ``SERVICE_QUOTA(m)`` in metric math) and their tests. Codes, names, usage metrics
and periods are AWS's as a real ListServiceQuotas returns them (docs/service-quotas.md says where each was
checked); values are what the local services enforce.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

USAGE_NAMESPACE = "AWS/Usage"


@dataclass(frozen=True)
class Quota:
    service: str  # Service Quotas service code ("cloudtrail")
    service_name: str
    code: str
    name: str
    value: float
    adjustable: bool
    usage_service: str | None = None  # AWS/Usage "Service" dimension; None: AWS names no usage metric for it
    resource: str | None = None  # ResourceCount "Resource" dimension (a resource quota)
    rate_api: str | None = None  # CallCount "Resource" dimension (an API rate quota, per second)

    @property
    def usage_metric(self) -> dict[str, Any] | None:
        """The quota's ``UsageMetric`` (boto3's MetricInfo), or None when AWS publishes none for it."""
        if self.usage_service is None:
            return None
        return {
            "MetricNamespace": USAGE_NAMESPACE,
            "MetricName": "ResourceCount" if self.resource else "CallCount",
            "MetricDimensions": usage_dimensions(self.usage_service, "Resource" if self.resource else "API",
                                                 str(self.resource or self.rate_api)),
            "MetricStatisticRecommendation": "Maximum" if self.resource else "Sum",
        }  # fmt: skip

    @property
    def period(self) -> dict[str, Any] | None:
        """``Period``: rates are per second; AWS gives resource-count quotas with a usage metric 5 minutes."""
        if self.rate_api:
            return {"PeriodValue": 1, "PeriodUnit": "SECOND"}
        if self.resource:
            return {"PeriodValue": 5, "PeriodUnit": "MINUTE"}
        return None


def usage_dimensions(service: str, kind: str, resource: str) -> dict[str, str]:
    """AWS/Usage dimensions: Service, Type (``Resource`` or ``API``), Resource, Class (``None`` here)."""
    return {"Service": service, "Type": kind, "Resource": resource, "Class": "None"}


_CT, _EV, _LG, _CW = ("AWS CloudTrail", "Amazon EventBridge (CloudWatch Events)", "Amazon CloudWatch Logs",
                      "Amazon CloudWatch")  # fmt: skip

# value = what the local account enforces (the constants of the services named in the comments; a test compares).
QUOTAS: tuple[Quota, ...] = (
    Quota("cloudtrail", _CT, "L-1568E18E", "Trails per region", 5, False, "CloudTrail", resource="Trail"),  # cloudtrail.MAX_TRAILS_PER_REGION
    Quota("events", _EV, "L-244521F2", "Number of rules", 300, True),  # events.MAX_RULES_PER_BUS
    Quota("events", _EV, "L-658A4FD9", "Event buses", 100, True),  # events.MAX_BUSES
    Quota("events", _EV, "L-388D1D08", "Targets per rule", 5, False),  # events.MAX_TARGETS_PER_RULE
    Quota("logs", _LG, "L-C7B9AAAB", "Log groups", 1_000_000, True),
    Quota("logs", _LG, "L-3D5753EA", "Metrics filters per log group", 100, False),  # logs.MAX_METRIC_FILTERS_PER_GROUP
    Quota("logs", _LG, "L-D2832119", "CreateLogGroup throttle limit in transactions per second", 10, True, "Logs",
          rate_api="CreateLogGroup"),
    Quota("logs", _LG, "L-7E1FAE88", "PutLogEvents throttle limit in transactions per second", 5000, True, "Logs",
          rate_api="PutLogEvents"),
    Quota("monitoring", _CW, "L-0720E68F", "Rate of PutMetricAlarm requests", 3, True, "CloudWatch", rate_api="PutMetricAlarm"),
    Quota("monitoring", _CW, "L-21CB40A4", "Rate of DescribeAlarms requests", 9, True, "CloudWatch", rate_api="DescribeAlarms"),
    Quota("monitoring", _CW, "L-8BC498D4", "Rate of PutMetricData requests", 500, True, "CloudWatch", rate_api="PutMetricData"),
    Quota("monitoring", _CW, "L-5E141212", "Rate of GetMetricData requests", 50, True, "CloudWatch", rate_api="GetMetricData"),
    Quota("monitoring", _CW, "L-6753900D", "Rate of PutDashboard requests", 10, True, "CloudWatch", rate_api="PutDashboard"),
    Quota("config", "AWS Config", "L-0BE82991", "AWS Config Rules per region", 400, True),  # config.MAX_RULES
    # [unconfirmed] no published Service Quotas catalogue lists IAM's per-user access key limit: awsmon's code.
    Quota("iam", "AWS Identity and Access Management (IAM)", "awsmon-access-keys-per-user", "Access keys per user", 2,
          False),  # iam.MAX_KEYS_PER_USER
)  # fmt: skip

# AWS/Usage CallCount is published for every API call of these services (CloudTrail eventSource -> the "Service"
# dimension), and for EventBridge only PutEvents (the one API AWS names a CallCount for). [design choice] AWS's
# pages list the operations with a rate quota; the local account counts every operation of the services below.
CALL_COUNT_SERVICES: dict[str, tuple[str, frozenset[str] | None]] = {
    "monitoring.amazonaws.com": ("CloudWatch", None),
    "logs.amazonaws.com": ("Logs", None),
    "cloudtrail.amazonaws.com": ("CloudTrail", None),
    "events.amazonaws.com": ("EventBridge", frozenset({"PutEvents"})),
}


def service_quotas(code: str | None) -> list[Quota]:
    return [q for q in QUOTAS if q.service == code]


def quota_for_metric(namespace: str, metric_name: str, dimensions: Mapping[str, str]) -> Quota | None:
    """The quota whose UsageMetric is this metric (SERVICE_QUOTA(m)), matching namespace, name and dimensions."""
    if namespace != USAGE_NAMESPACE:
        return None
    dims = {str(k): str(v) for k, v in dimensions.items()}
    for q in QUOTAS:
        metric = q.usage_metric
        if metric and metric["MetricName"] == metric_name and metric["MetricDimensions"] == dims:
            return q
    return None
