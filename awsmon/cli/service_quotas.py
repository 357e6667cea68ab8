"""awsmon service-quotas: the account's quotas (trails per region, rules per bus, log groups, API rates ...)."""

from __future__ import annotations

import typer

from awsmon.cli._common import app_ctx, group, renderer, service_command
from awsmon.output import Column

app = group(
    "service-quotas",
    "Service Quotas: the limits of the account by AWS service code and quota code.\n\n"
    "Examples:\n\n"
    "  awsmon service-quotas list-service-quotas --service-code events\n\n"
    "  awsmon service-quotas get-service-quota --service-code events --quota-code L-244521F2",
)
_COLUMNS = [Column("ServiceCode"), Column("QuotaCode"), Column("QuotaName"), Column("Value"), Column("Adjustable"),
            Column("UsageMetric.MetricName", priority=1)]  # fmt: skip


service_command(app, "list-service-quotas", "awsmon.services.service_quotas:list_service_quotas",
                "The applied quotas of a service (ListServiceQuotas, all pages).\n\n"
                "Example: awsmon service-quotas list-service-quotas --service-code cloudtrail",
                ("service_code", str, typer.Option(..., "--service-code")), rows_key="Quotas",
                columns=_COLUMNS)


service_command(app, "list-aws-default-service-quotas", "awsmon.services.service_quotas:list_aws_default_service_quotas",
                "AWS's default quotas of a service (ListAWSDefaultServiceQuotas, all pages).\n\n"
                "Example: awsmon service-quotas list-aws-default-service-quotas --service-code logs",
                ("service_code", str, typer.Option(..., "--service-code")), rows_key="Quotas",
                columns=_COLUMNS)  # fmt: skip


@app.command("get-service-quota")
def get_service_quota(
    ctx: typer.Context,
    service_code: str = typer.Option(..., "--service-code"),
    quota_code: str = typer.Option(..., "--quota-code"),
) -> None:
    """One applied quota (GetServiceQuota).

    Example: awsmon service-quotas get-service-quota --service-code events --quota-code L-244521F2
    """
    from awsmon.services.service_quotas import get_service_quota as svc

    renderer(ctx).detail(svc(app_ctx(ctx), service_code, quota_code)["Quota"])
