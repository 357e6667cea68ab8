"""The simulated Service Quotas service: the quotas the local account enforces, by AWS's service and quota codes.

ListServiceQuotas / GetServiceQuota return the applied value (locally: the default, there are no increase
requests), ListAWSDefaultServiceQuotas the defaults; both in boto3's ``ServiceQuota`` shape. docs/service-quotas.md
lists which codes were confirmed against AWS's published tables and which are awsmon's (``awsmon-...``, used where
the real code could not be confirmed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from awsmon.backends.local.base import LocalService, api
from awsmon.errors import ServiceError


@dataclass(frozen=True)
class Quota:
    service: str
    service_name: str
    code: str
    name: str
    value: float
    adjustable: bool
    resource: str | None = None   # AWS/Usage ResourceCount "Resource" dimension
    rate_api: str | None = None   # AWS/Usage CallCount "Resource" dimension (an API rate, per second)


# value = what the local account enforces (the constants of the services named in the comments)
QUOTAS: tuple[Quota, ...] = (
    Quota("cloudtrail", "AWS CloudTrail", "awsmon-trails-per-region", "Trails per region", 5, False, "Trail"),  # cloudtrail.MAX_TRAILS_PER_REGION
    Quota("events", "Amazon EventBridge (CloudWatch Events)", "L-244521F2", "Number of rules", 300, True, "Rule"),  # events.MAX_RULES_PER_BUS
    Quota("events", "Amazon EventBridge (CloudWatch Events)", "L-658A4FD9", "Event buses", 100, True, "EventBus"),  # events.MAX_BUSES
    Quota("events", "Amazon EventBridge (CloudWatch Events)", "awsmon-targets-per-rule", "Targets per rule", 5, False),  # events.MAX_TARGETS_PER_RULE
    Quota("logs", "Amazon CloudWatch Logs", "L-C7B9AAAB", "Log groups", 1_000_000, True, "LogGroup"),
    Quota("logs", "Amazon CloudWatch Logs", "awsmon-metric-filters-per-log-group", "Metric filters per log group", 100, False),  # logs.MAX_METRIC_FILTERS_PER_GROUP
    Quota("logs", "Amazon CloudWatch Logs", "L-D2832119", "CreateLogGroup throttle limit in transactions per second", 10, True, rate_api="CreateLogGroup"),
    Quota("logs", "Amazon CloudWatch Logs", "L-7E1FAE88", "PutLogEvents throttle limit in transactions per second", 5000, True, rate_api="PutLogEvents"),
    Quota("monitoring", "Amazon CloudWatch", "L-0720E68F", "Rate of PutMetricAlarm requests", 3, True, rate_api="PutMetricAlarm"),
    Quota("monitoring", "Amazon CloudWatch", "L-21CB40A4", "Rate of DescribeAlarms requests", 9, True, rate_api="DescribeAlarms"),
    Quota("monitoring", "Amazon CloudWatch", "L-8BC498D4", "Rate of PutMetricData requests", 500, True, rate_api="PutMetricData"),
    Quota("monitoring", "Amazon CloudWatch", "L-5E141212", "Rate of GetMetricData requests", 50, True, rate_api="GetMetricData"),
    Quota("monitoring", "Amazon CloudWatch", "L-6753900D", "Rate of PutDashboard requests", 10, True, rate_api="PutDashboard"),
    Quota("config", "AWS Config", "awsmon-config-rules", "Rules per Region", 400, True, "ConfigRule"),  # config.MAX_RULES
    Quota("iam", "AWS Identity and Access Management (IAM)", "awsmon-access-keys-per-user", "Access keys per user", 2, False),  # iam.MAX_KEYS_PER_USER
)
USAGE_SERVICE = {"cloudtrail": "CloudTrail", "events": "Events", "logs": "Logs", "monitoring": "CloudWatch",
                 "config": "Config", "iam": "IAM"}  # fmt: skip
PAGE = 100


class LocalServiceQuotas(LocalService):
    service_name = "service-quotas"
    event_source = "servicequotas.amazonaws.com"

    def _shape(self, q: Quota) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ServiceCode": q.service, "ServiceName": q.service_name,
            "QuotaArn": f"arn:aws:servicequotas:{self.region}:{self.account_id}:{q.service}/{q.code}",
            "QuotaCode": q.code, "QuotaName": q.name, "Value": float(q.value), "Unit": "None",
            "Adjustable": q.adjustable, "GlobalQuota": q.service == "iam",
        }  # fmt: skip
        if q.resource or q.rate_api:
            out["UsageMetric"] = {
                "MetricNamespace": "AWS/Usage",
                "MetricName": "ResourceCount" if q.resource else "CallCount",
                "MetricDimensions": {"Service": USAGE_SERVICE[q.service], "Type": "Resource" if q.resource else "API",
                                     "Resource": q.resource or q.rate_api, "Class": "None"},
                "MetricStatisticRecommendation": "Maximum" if q.resource else "Sum",
            }  # fmt: skip
        if q.rate_api:
            out["Period"] = {"PeriodValue": 1, "PeriodUnit": "SECOND"}
        return out

    def _service(self, code: str | None) -> list[Quota]:
        found = [q for q in QUOTAS if q.service == code]
        if not found:
            raise ServiceError("NoSuchResourceException", "The request failed because the specified service does not exist.")
        return found

    def _page(self, quotas: list[Quota], max_results: int | None, token: str | None) -> dict[str, Any]:
        limit = PAGE if max_results is None else int(max_results)
        if not 1 <= limit <= 100:
            raise ServiceError("ValidationException", "1 validation error detected: Value at 'maxResults' failed to "
                               "satisfy constraint: Member must have value less than or equal to 100")  # fmt: skip
        start = 0
        if token:
            if not token.isdigit() or int(token) > len(quotas):
                raise ServiceError("InvalidPaginationTokenException", "Invalid pagination token.")
            start = int(token)
        out: dict[str, Any] = {"Quotas": [self._shape(q) for q in quotas[start:start + limit]]}
        if start + limit < len(quotas):
            out["NextToken"] = str(start + limit)
        return out

    @api("ListServiceQuotas")
    def list_service_quotas(self, *, ServiceCode: str, MaxResults: int | None = None, NextToken: str | None = None,
                            **_: Any) -> dict[str, Any]:  # fmt: skip
        return self._page(self._service(ServiceCode), MaxResults, NextToken)

    @api("ListAWSDefaultServiceQuotas")
    def list_aws_default_service_quotas(self, *, ServiceCode: str, MaxResults: int | None = None,
                                        NextToken: str | None = None) -> dict[str, Any]:  # fmt: skip
        return self._page(self._service(ServiceCode), MaxResults, NextToken)

    def _get(self, service: str, code: str) -> dict[str, Any]:
        for q in self._service(service):
            if q.code == code:
                return {"Quota": self._shape(q)}
        raise ServiceError("NoSuchResourceException", "The request failed because the specified quota does not exist.")

    @api("GetServiceQuota")
    def get_service_quota(self, *, ServiceCode: str, QuotaCode: str, **_: Any) -> dict[str, Any]:
        return self._get(ServiceCode, QuotaCode)

    @api("GetAWSDefaultServiceQuota")
    def get_aws_default_service_quota(self, *, ServiceCode: str, QuotaCode: str) -> dict[str, Any]:
        return self._get(ServiceCode, QuotaCode)
