"""awsmon schemas: the EventBridge Schema Registry (discovered event schemas)."""

from __future__ import annotations

from typing import Any

import typer

from awsmon.cli._common import app_ctx, group, renderer, service_command
from awsmon.output import Column

app = group(
    "schemas",
    "EventBridge Schema Registry: discover the schemas of the events on a bus (OpenAPI 3, versioned).\n\n"
    "Examples:\n\n"
    "  awsmon schemas create-discoverer --source-arn default\n\n"
    "  awsmon schemas list-schemas\n\n"
    "  awsmon schemas export-schema --schema-name my.app@OrderPlaced --content",
)


def _id_opt() -> Any:
    return typer.Option(..., "--discoverer-id", "--id", help="The discoverer (e.g. events-event-bus-default).")


def _registry_opt() -> Any:
    return typer.Option("discovered-schemas", "--registry-name", "--registry", help="The registry.")


def _schema_opt() -> Any:
    return typer.Option(..., "--schema-name", "--name", "-n", help="The schema, e.g. my.app@OrderPlaced.")


def _content_opt() -> Any:
    return typer.Option(False, "--content", help="Print only the schema document (parsed JSON).")


service_command(app, "create-discoverer", "awsmon.services.schemas:create_discoverer",
                "Discover the schemas of the events on a bus (CreateDiscoverer); it starts at once.\n\n"
                "Example: awsmon schemas create-discoverer --source-arn orders",
                ("source", str | None, typer.Option(None, "--source-arn", "--bus", help="The bus (ARN or name; default: default).")),
                ("description", str | None, typer.Option(None, "--description", help="A description.")),
                detail=True)  # fmt: skip


service_command(app, "describe-discoverer", "awsmon.services.schemas:describe_discoverer",
                "Show a discoverer (DescribeDiscoverer).\n\n"
                "Example: awsmon schemas describe-discoverer --discoverer-id events-event-bus-default",
                ("discoverer_id", str, _id_opt()), detail=True)


service_command(app, "list-discoverers", "awsmon.services.schemas:list_discoverers",
                "List discoverers (ListDiscoverers).\n\n"
                "Example: awsmon schemas list-discoverers",
                rows_key="Discoverers", columns=[Column("DiscovererId"), Column("State"), Column("SourceArn")])  # fmt: skip


@app.command("start-discoverer")
def start_discoverer(ctx: typer.Context, discoverer_id: str = _id_opt()) -> None:
    """Start a discoverer (StartDiscoverer).

    Example: awsmon schemas start-discoverer --discoverer-id events-event-bus-default
    """
    from awsmon.services.schemas import set_discoverer as svc

    renderer(ctx).detail(svc(app_ctx(ctx), discoverer_id, True))


@app.command("stop-discoverer")
def stop_discoverer(ctx: typer.Context, discoverer_id: str = _id_opt()) -> None:
    """Stop a discoverer (StopDiscoverer); its schemas stay.

    Example: awsmon schemas stop-discoverer --discoverer-id events-event-bus-default
    """
    from awsmon.services.schemas import set_discoverer as svc

    renderer(ctx).detail(svc(app_ctx(ctx), discoverer_id, False))


service_command(app, "delete-discoverer", "awsmon.services.schemas:delete_discoverer",
                "Delete a discoverer (DeleteDiscoverer).\n\n"
                "Example: awsmon schemas delete-discoverer --discoverer-id events-event-bus-default",
                ("discoverer_id", str, _id_opt()), detail=True)


service_command(app, "list-registries", "awsmon.services.schemas:list_registries",
                "List schema registries (ListRegistries).\n\n"
                "Example: awsmon schemas list-registries",
                ("prefix", str | None, typer.Option(None, "--registry-name-prefix", "--prefix")),
                rows_key="Registries", columns=[Column("RegistryName"), Column("RegistryArn")])


service_command(app, "list-schemas", "awsmon.services.schemas:list_schemas",
                "List the schemas of a registry (ListSchemas).\n\n"
                "Example: awsmon schemas list-schemas --registry-name discovered-schemas",
                ("registry", str, _registry_opt()),
                ("prefix", str | None, typer.Option(None, "--schema-name-prefix", "--prefix", help="Only schemas named so.")),
                rows_key="Schemas",
                columns=[Column("SchemaName"), Column("VersionCount"), Column("LastModified")])  # fmt: skip


service_command(app, "list-schema-versions", "awsmon.services.schemas:list_schema_versions",
                "List the versions of a schema, newest first (ListSchemaVersions).\n\n"
                "Example: awsmon schemas list-schema-versions --schema-name my.app@OrderPlaced",
                ("name", str, _schema_opt()), ("registry", str, _registry_opt()), rows_key="SchemaVersions",
                columns=[Column("SchemaVersion"), Column("Type"), Column("SchemaArn")])


@app.command("describe-schema")
def describe_schema(
    ctx: typer.Context,
    name: str = _schema_opt(),
    registry: str = _registry_opt(),
    version: str | None = typer.Option(None, "--schema-version", "--version", help="A version (default: latest)."),
    content: bool = _content_opt(),
) -> None:
    """Show a schema version with its OpenAPI 3 content (DescribeSchema).

    Example: awsmon schemas describe-schema --schema-name my.app@OrderPlaced --content
    """
    from awsmon.services.schemas import content_of
    from awsmon.services.schemas import describe_schema as svc

    resp = svc(app_ctx(ctx), name, registry, version)
    renderer(ctx).render(content_of(resp) if content else resp)


@app.command("export-schema")
def export_schema(
    ctx: typer.Context,
    name: str = _schema_opt(),
    registry: str = _registry_opt(),
    version: str | None = typer.Option(None, "--schema-version", "--version", help="A version (default: latest)."),
    type_: str = typer.Option("JSONSchemaDraft4", "--type", help="The export format (JSONSchemaDraft4)."),
    content: bool = _content_opt(),
) -> None:
    """Export a schema as JSON Schema draft 4 (ExportSchema).

    Example: awsmon schemas export-schema --schema-name my.app@OrderPlaced --content > order.schema.json
    """
    from awsmon.services.schemas import content_of
    from awsmon.services.schemas import export_schema as svc

    resp = svc(app_ctx(ctx), name, registry, version, type_)
    renderer(ctx).render(content_of(resp) if content else resp)
