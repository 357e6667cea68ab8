"""The simulated Service Quotas service: the quotas the local account enforces, by AWS's service and quota codes.

ListServiceQuotas / GetServiceQuota return the applied value (locally: the default, there are no increase
requests), ListAWSDefaultServiceQuotas the defaults; both in boto3's ``ServiceQuota`` shape. docs/service-quotas.md
lists which codes were confirmed against AWS's published tables and which are awsmon's (``awsmon-...``, used where
the real code could not be confirmed).
"""

from __future__ import annotations

from typing import Any

from awsmon.backends.local.base import LocalService, api
from awsmon.engines.service_quotas import Quota, service_quotas
from awsmon.errors import ServiceError

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
        if q.usage_metric is not None:
            out["UsageMetric"] = q.usage_metric
        if q.period is not None:
            out["Period"] = q.period
        return out

    def _service(self, code: str | None) -> list[Quota]:
        found = service_quotas(code)
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
