"""DynamoDB tables, point-in-time recovery and items, on either backend (boto3 ``dynamodb``)."""

from __future__ import annotations

from typing import Any

from awsmon.context import AppContext
from awsmon.errors import UsageError
from awsmon.services import given
from awsmon.services._input import json_or_shorthand, read_json, shorthand, tags


def _shorthand_list(values: list[str] | None, what: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for v in values or []:
        for part in v.split() if not v.lstrip().startswith("[") else [v]:
            parsed = read_json(part, what) if part.lstrip().startswith("[") else shorthand(part, what)
            out.extend(parsed if isinstance(parsed, list) else [parsed])
    return out


def create_table(ctx: AppContext, *, table_name: str, key_schema: list[str], attribute_definitions: list[str],
                 billing_mode: str | None = None, provisioned_throughput: str | None = None,
                 tag_values: list[str] | None = None) -> dict[str, Any]:  # fmt: skip
    params: dict[str, Any] = {"TableName": table_name,
                              "KeySchema": _shorthand_list(key_schema, "--key-schema"),
                              "AttributeDefinitions": _shorthand_list(attribute_definitions, "--attribute-definitions"),
                              **given(BillingMode=billing_mode, Tags=tags(tag_values) if tag_values else None)}  # fmt: skip
    if provisioned_throughput:
        tp = json_or_shorthand(provisioned_throughput, "--provisioned-throughput")
        if not isinstance(tp, dict):
            raise UsageError("--provisioned-throughput: expected ReadCapacityUnits=N,WriteCapacityUnits=N")
        params["ProvisionedThroughput"] = tp
    return ctx.client("dynamodb").create_table(**params)


def delete_table(ctx: AppContext, *, table_name: str) -> dict[str, Any]:
    return ctx.client("dynamodb").delete_table(TableName=table_name)


def describe_table(ctx: AppContext, *, table_name: str) -> dict[str, Any]:
    return ctx.client("dynamodb").describe_table(TableName=table_name)


def list_tables(ctx: AppContext) -> dict[str, Any]:
    from awsmon.backends import paginate

    names = list(paginate(ctx.client("dynamodb").list_tables, "TableNames", token_in="ExclusiveStartTableName",
                          token_out="LastEvaluatedTableName"))  # fmt: skip
    return {"TableNames": names}


def update_continuous_backups(ctx: AppContext, *, table_name: str, specification: str) -> dict[str, Any]:
    spec = json_or_shorthand(specification, "--point-in-time-recovery-specification")
    if not isinstance(spec, dict) or "PointInTimeRecoveryEnabled" not in spec:
        raise UsageError("--point-in-time-recovery-specification: expected PointInTimeRecoveryEnabled=true|false")
    return ctx.client("dynamodb").update_continuous_backups(
        TableName=table_name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": bool(spec["PointInTimeRecoveryEnabled"])})


def put_item(ctx: AppContext, *, table_name: str, item: str) -> dict[str, Any]:
    value = read_json(item, "--item")
    if not isinstance(value, dict):
        raise UsageError('--item: expected a JSON object of attribute values, e.g. {"id": {"S": "1"}}')
    return ctx.client("dynamodb").put_item(TableName=table_name, Item=value)


def get_item(ctx: AppContext, *, table_name: str, key: str) -> dict[str, Any]:
    value = read_json(key, "--key")
    if not isinstance(value, dict):
        raise UsageError('--key: expected a JSON object, e.g. {"id": {"S": "1"}}')
    return ctx.client("dynamodb").get_item(TableName=table_name, Key=value)
