"""Service Quotas: the account's quotas by AWS service code and quota code (both backends)."""

from __future__ import annotations

from typing import Any

from awsmon.context import AppContext
from awsmon.errors import UsageError
from awsmon.services import response


def _client(ctx: AppContext) -> Any:
    return ctx.client("service-quotas")


def _all(call: Any, **params: Any) -> dict[str, Any]:
    quotas: list[dict[str, Any]] = []
    while True:
        page = dict(call(**params))
        quotas += page.get("Quotas", [])
        token = page.get("NextToken")
        if not token:
            return {"Quotas": quotas}
        params["NextToken"] = token


def _code(value: str, what: str) -> str:
    if not value or not value.strip():
        raise UsageError(f"{what} must not be empty")
    return value.strip()


def list_service_quotas(ctx: AppContext, service_code: str) -> dict[str, Any]:
    return _all(_client(ctx).list_service_quotas, ServiceCode=_code(service_code, "--service-code"))


def list_aws_default_service_quotas(ctx: AppContext, service_code: str) -> dict[str, Any]:
    return _all(_client(ctx).list_aws_default_service_quotas, ServiceCode=_code(service_code, "--service-code"))


def get_service_quota(ctx: AppContext, service_code: str, quota_code: str) -> dict[str, Any]:
    return response(_client(ctx).get_service_quota(ServiceCode=_code(service_code, "--service-code"),
                                                   QuotaCode=_code(quota_code, "--quota-code")))  # fmt: skip
