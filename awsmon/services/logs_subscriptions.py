"""CloudWatch Logs subscription filters and export tasks: what the ``awsmon logs`` commands for them mean (boto3 ``logs``)."""

from __future__ import annotations

from typing import Any

from awsmon.backends import paginate
from awsmon.context import AppContext
from awsmon.services import compact
from awsmon.services.logs import validate_pattern


def put_subscription_filter(ctx: AppContext, group: str, name: str, pattern: str, destination: str,
                            role_arn: str | None = None, distribution: str | None = None) -> dict[str, Any]:  # fmt: skip
    validate_pattern(pattern)
    ctx.client("logs").put_subscription_filter(**compact(
        logGroupName=group, filterName=name, filterPattern=pattern, destinationArn=destination, roleArn=role_arn,
        distribution=distribution))  # fmt: skip
    return {}


def describe_subscription_filters(ctx: AppContext, group: str, prefix: str | None = None) -> dict[str, Any]:
    params = compact(logGroupName=group, filterNamePrefix=prefix or None)
    items = list(paginate(ctx.client("logs").describe_subscription_filters, "subscriptionFilters",
                          token_in="nextToken", **params))  # fmt: skip
    return {"subscriptionFilters": items}


def delete_subscription_filter(ctx: AppContext, group: str, name: str) -> dict[str, Any]:
    ctx.client("logs").delete_subscription_filter(logGroupName=group, filterName=name)
    return {}


# -- export tasks ---------------------------------------------------------------------------------------------------
def create_export_task(ctx: AppContext, group: str, start: int, end: int, bucket: str, prefix: str | None = None,
                       stream_prefix: str | None = None, name: str | None = None) -> dict[str, Any]:  # fmt: skip
    params = compact(taskName=name, logGroupName=group, logStreamNamePrefix=stream_prefix, to=end,
                     destination=bucket, destinationPrefix=prefix)  # fmt: skip
    params["from"] = start
    return dict(ctx.client("logs").create_export_task(**params))


def describe_export_tasks(ctx: AppContext, task_id: str | None = None, status: str | None = None) -> dict[str, Any]:
    items = list(paginate(ctx.client("logs").describe_export_tasks, "exportTasks", token_in="nextToken",
                          **compact(taskId=task_id, statusCode=status)))  # fmt: skip
    return {"exportTasks": items}


def cancel_export_task(ctx: AppContext, task_id: str) -> dict[str, Any]:
    ctx.client("logs").cancel_export_task(taskId=task_id)
    return {}
