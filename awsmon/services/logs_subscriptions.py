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


# -- group settings -------------------------------------------------------------------------------------------------
def tag_resource(ctx: AppContext, arn: str, tags: dict[str, str]) -> dict[str, Any]:
    ctx.client("logs").tag_resource(resourceArn=arn, tags=tags)
    return {}


def untag_resource(ctx: AppContext, arn: str, keys: list[str]) -> dict[str, Any]:
    ctx.client("logs").untag_resource(resourceArn=arn, tagKeys=keys)
    return {}


def list_tags_for_resource(ctx: AppContext, arn: str) -> dict[str, Any]:
    return {"tags": ctx.client("logs").list_tags_for_resource(resourceArn=arn).get("tags", {})}


def associate_kms_key(ctx: AppContext, group: str, key: str) -> dict[str, Any]:
    ctx.client("logs").associate_kms_key(logGroupName=group, kmsKeyId=key)
    return {}


def disassociate_kms_key(ctx: AppContext, group: str) -> dict[str, Any]:
    ctx.client("logs").disassociate_kms_key(logGroupName=group)
    return {}


def put_data_protection_policy(ctx: AppContext, group: str, document: str) -> dict[str, Any]:
    from awsmon.inputs import loads_json, read_arg

    text = read_arg(document, "--policy-document")
    loads_json(text, "--policy-document")  # bad JSON is a usage error; AWS keeps and returns the text as given
    out = dict(ctx.client("logs").put_data_protection_policy(logGroupIdentifier=group, policyDocument=text))
    out.pop("ResponseMetadata", None)
    return out


def get_data_protection_policy(ctx: AppContext, group: str) -> dict[str, Any]:
    out = dict(ctx.client("logs").get_data_protection_policy(logGroupIdentifier=group))
    out.pop("ResponseMetadata", None)
    return out


def delete_data_protection_policy(ctx: AppContext, group: str) -> dict[str, Any]:
    ctx.client("logs").delete_data_protection_policy(logGroupIdentifier=group)
    return {}


# -- account policies -----------------------------------------------------------------------------------------------
POLICY_TYPES = ("DATA_PROTECTION_POLICY", "SUBSCRIPTION_FILTER_POLICY", "FIELD_INDEX_POLICY", "TRANSFORMER_POLICY",
                "METRIC_EXTRACTION_POLICY", "RETENTION_POLICY")  # fmt: skip


def _check_policy_type(policy_type: str) -> None:
    from awsmon.errors import UsageError

    if policy_type not in POLICY_TYPES:
        raise UsageError(f"invalid --policy-type {policy_type!r}: choose {', '.join(POLICY_TYPES)}")


def put_account_policy(ctx: AppContext, name: str, document: str, policy_type: str, scope: str | None = None,
                       selection: str | None = None) -> dict[str, Any]:  # fmt: skip
    """PutAccountPolicy. A subscription filter policy's FilterPattern is checked by awsmon's engine first (exit 2
    with the position), as for PutSubscriptionFilter."""
    from awsmon.inputs import loads_json, read_arg

    _check_policy_type(policy_type)
    text = read_arg(document, "--policy-document")  # sent as given: AWS returns the document's own text
    doc = loads_json(text, "--policy-document")
    if policy_type == "SUBSCRIPTION_FILTER_POLICY" and isinstance(doc, dict) and isinstance(doc.get("FilterPattern"), str):
        validate_pattern(doc["FilterPattern"])
    out = dict(ctx.client("logs").put_account_policy(**compact(
        policyName=name, policyDocument=text, policyType=policy_type, scope=scope,
        selectionCriteria=selection)))  # fmt: skip
    out.pop("ResponseMetadata", None)
    return out


def describe_account_policies(ctx: AppContext, policy_type: str, name: str | None = None,
                              accounts: list[str] | None = None) -> dict[str, Any]:  # fmt: skip
    _check_policy_type(policy_type)
    items = list(paginate(ctx.client("logs").describe_account_policies, "accountPolicies", token_in="nextToken",
                          **compact(policyType=policy_type, policyName=name, accountIdentifiers=accounts or None)))  # fmt: skip
    return {"accountPolicies": items}


def delete_account_policy(ctx: AppContext, name: str, policy_type: str) -> dict[str, Any]:
    _check_policy_type(policy_type)
    ctx.client("logs").delete_account_policy(policyName=name, policyType=policy_type)
    return {}
