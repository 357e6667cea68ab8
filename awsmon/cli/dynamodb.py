"""awsmon dynamodb: DynamoDB tables, point-in-time recovery and items (aws-cli's names)."""

from __future__ import annotations

import typer

from awsmon.cli._common import app_ctx, group, renderer
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


@app.command("delete-table")
def delete_table(ctx: typer.Context, table_name: str = typer.Option(..., "--table-name", help=TABLE_HELP)) -> None:
    """Delete a table and its items (DeleteTable).

    Example: awsmon dynamodb delete-table --table-name orders
    """
    from awsmon.services.dynamodb import delete_table as svc

    renderer(ctx).render(svc(app_ctx(ctx), table_name=table_name),
                         columns=[Column(c.header, "TableDescription." + (c.path or c.header)) for c in _TABLE_COLUMNS])  # fmt: skip


@app.command("describe-table")
def describe_table(ctx: typer.Context, table_name: str = typer.Option(..., "--table-name", help=TABLE_HELP)) -> None:
    """Describe a table (DescribeTable).

    Example: awsmon dynamodb describe-table --table-name orders -o json
    """
    from awsmon.services.dynamodb import describe_table as svc

    renderer(ctx).render(svc(app_ctx(ctx), table_name=table_name),
                         columns=[Column(c.header, "Table." + (c.path or c.header)) for c in _TABLE_COLUMNS])  # fmt: skip


@app.command("list-tables")
def list_tables(ctx: typer.Context) -> None:
    """List the tables of the Region (ListTables).

    Example: awsmon dynamodb list-tables
    """
    from awsmon.services.dynamodb import list_tables as svc

    data = svc(app_ctx(ctx))
    renderer(ctx).render(data, rows_key="TableNames", columns=[Column("TableName", "")])


@app.command("update-continuous-backups")
def update_continuous_backups(
    ctx: typer.Context,
    table_name: str = typer.Option(..., "--table-name", help=TABLE_HELP),
    specification: str = typer.Option(..., "--point-in-time-recovery-specification", help="PointInTimeRecoveryEnabled=true|false."),
) -> None:
    """Turn point-in-time recovery on or off (UpdateContinuousBackups).

    Example: awsmon dynamodb update-continuous-backups --table-name orders --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true
    """
    from awsmon.services.dynamodb import update_continuous_backups as svc

    renderer(ctx).render(svc(app_ctx(ctx), table_name=table_name, specification=specification),
                         columns=[Column("ContinuousBackupsStatus", "ContinuousBackupsDescription.ContinuousBackupsStatus"),
                                  Column("PointInTimeRecoveryStatus", "ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus")])  # fmt: skip


@app.command("put-item")
def put_item(
    ctx: typer.Context,
    table_name: str = typer.Option(..., "--table-name", help=TABLE_HELP),
    item: str = typer.Option(..., "--item", help='Item JSON of attribute values, e.g. {"id": {"S": "1"}} (or file://PATH).'),
) -> None:
    """Write an item (PutItem).

    Example: awsmon dynamodb put-item --table-name orders --item '{"id": {"S": "1"}, "total": {"N": "42"}}'
    """
    from awsmon.services.dynamodb import put_item as svc

    renderer(ctx).render(svc(app_ctx(ctx), table_name=table_name, item=item))


@app.command("get-item")
def get_item(
    ctx: typer.Context,
    table_name: str = typer.Option(..., "--table-name", help=TABLE_HELP),
    key: str = typer.Option(..., "--key", help='Key JSON, e.g. {"id": {"S": "1"}} (or file://PATH).'),
) -> None:
    """Read an item by its key (GetItem).

    Example: awsmon dynamodb get-item --table-name orders --key '{"id": {"S": "1"}}'
    """
    from awsmon.services.dynamodb import get_item as svc

    renderer(ctx).render(svc(app_ctx(ctx), table_name=table_name, key=key))
