"""awsmon dynamodb: DynamoDB tables, point-in-time recovery and items (aws-cli's names)."""

from __future__ import annotations

import typer

from awsmon.cli._common import app_ctx, group, renderer, service_command
from awsmon.output import Column

app = group(
    "dynamodb",
    "DynamoDB tables, point-in-time recovery and items, with aws-cli's command and option names.\n\n"
    "On the local backend table operations are CloudTrail management events (EventBridge rules see them, e.g. "
    "DeleteTable), item operations are data events.\n\n"
    "Examples:\n\n"
    "  awsmon dynamodb create-table --table-name orders --attribute-definitions AttributeName=id,AttributeType=S "
    "--key-schema AttributeName=id,KeyType=HASH --billing-mode PAY_PER_REQUEST\n\n"
    "  awsmon dynamodb update-continuous-backups --table-name orders "
    "--point-in-time-recovery-specification PointInTimeRecoveryEnabled=true",
)

_TABLE_COLUMNS = [Column("TableName"), Column("TableStatus"), Column("ItemCount"), Column("TableArn")]
TABLE_HELP = "Table name."
_TABLE = ("table_name", str, typer.Option(..., "--table-name", help=TABLE_HELP))


@app.command("create-table")
def create_table(
    ctx: typer.Context,
    table_name: str = typer.Option(..., "--table-name", help=TABLE_HELP),
    attribute_definitions: list[str] = typer.Option(..., "--attribute-definitions", help="AttributeName=id,AttributeType=S (one per key attribute)."),
    key_schema: list[str] = typer.Option(..., "--key-schema", help="AttributeName=id,KeyType=HASH [AttributeName=sk,KeyType=RANGE]."),
    billing_mode: str | None = typer.Option(None, "--billing-mode", help="PROVISIONED (default) or PAY_PER_REQUEST."),
    provisioned_throughput: str | None = typer.Option(None, "--provisioned-throughput", help="ReadCapacityUnits=5,WriteCapacityUnits=5."),
    tags: list[str] | None = typer.Option(None, "--tags", help="Key=k,Value=v (repeatable)."),
) -> None:
    """Create a table (CreateTable).

    Example: awsmon dynamodb create-table --table-name orders --attribute-definitions AttributeName=id,AttributeType=S --key-schema AttributeName=id,KeyType=HASH --billing-mode PAY_PER_REQUEST
    """
    from awsmon.services.dynamodb import create_table as svc

    data = svc(app_ctx(ctx), table_name=table_name, key_schema=key_schema, attribute_definitions=attribute_definitions,
               billing_mode=billing_mode, provisioned_throughput=provisioned_throughput, tag_values=tags)  # fmt: skip
    renderer(ctx).render(data, columns=[Column(c.header, "TableDescription." + (c.path or c.header)) for c in _TABLE_COLUMNS])


service_command(app, "delete-table", "awsmon.services.dynamodb:delete_table",
                "Delete a table and its items (DeleteTable).\n\n"
                "Example: awsmon dynamodb delete-table --table-name orders",
                _TABLE,
                columns=[Column(c.header, "TableDescription." + (c.path or c.header)) for c in _TABLE_COLUMNS])  # fmt: skip


service_command(app, "describe-table", "awsmon.services.dynamodb:describe_table",
                "Describe a table (DescribeTable).\n\n"
                "Example: awsmon dynamodb describe-table --table-name orders -o json",
                _TABLE,
                columns=[Column(c.header, "Table." + (c.path or c.header)) for c in _TABLE_COLUMNS])


@app.command("list-tables")
def list_tables(ctx: typer.Context) -> None:
    """List the tables of the Region (ListTables).

    Example: awsmon dynamodb list-tables
    """
    from awsmon.services.dynamodb import list_tables as svc

    data = svc(app_ctx(ctx))
    renderer(ctx).render(data, rows_key="TableNames", columns=[Column("TableName", "")])


service_command(app, "update-continuous-backups", "awsmon.services.dynamodb:update_continuous_backups",
                "Turn point-in-time recovery on or off (UpdateContinuousBackups).\n\n"
                "Example: awsmon dynamodb update-continuous-backups --table-name orders --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true",
                _TABLE,
                ("specification", str, typer.Option(..., "--point-in-time-recovery-specification", help="PointInTimeRecoveryEnabled=true|false.")),
                columns=[Column("ContinuousBackupsStatus", "ContinuousBackupsDescription.ContinuousBackupsStatus"),
                                  Column("PointInTimeRecoveryStatus", "ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus")])  # fmt: skip


service_command(app, "put-item", "awsmon.services.dynamodb:put_item",
                "Write an item (PutItem).\n\n"
                "Example: awsmon dynamodb put-item --table-name orders --item '{\"id\": {\"S\": \"1\"}, \"total\": {\"N\": \"42\"}}'",
                _TABLE,
                ("item", str, typer.Option(..., "--item", help='Item JSON of attribute values, e.g. {"id": {"S": "1"}} (or file://PATH).')))  # fmt: skip


service_command(app, "get-item", "awsmon.services.dynamodb:get_item",
                "Read an item by its key (GetItem).\n\n"
                "Example: awsmon dynamodb get-item --table-name orders --key '{\"id\": {\"S\": \"1\"}}'",
                _TABLE,
                ("key", str, typer.Option(..., "--key", help='Key JSON, e.g. {"id": {"S": "1"}} (or file://PATH).')))  # fmt: skip
