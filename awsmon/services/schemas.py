"""EventBridge Schema Registry: what each ``awsmon schemas`` command means, on either backend (boto3 ``schemas``)."""

from __future__ import annotations

import json
from typing import Any

from awsmon.context import AppContext
from awsmon.services import compact
from awsmon.services import response as _clean

DISCOVERED = "discovered-schemas"


def _client(ctx: AppContext) -> Any:
    return ctx.client("schemas")


def create_discoverer(ctx: AppContext, source: str | None, description: str | None = None) -> dict[str, Any]:
    """A discoverer on a bus (ARN, or a bus name of this account; default: the default bus)."""
    if not source or not source.startswith("arn:"):
        source = str(ctx.client("events").describe_event_bus(**compact(Name=source or None))["Arn"])
    return _clean(_client(ctx).create_discoverer(**compact(SourceArn=source, Description=description)))


def describe_discoverer(ctx: AppContext, discoverer_id: str) -> dict[str, Any]:
    return _clean(_client(ctx).describe_discoverer(DiscovererId=discoverer_id))


def list_discoverers(ctx: AppContext) -> dict[str, Any]:
    return {"Discoverers": list(_client(ctx).list_discoverers().get("Discoverers") or [])}


def set_discoverer(ctx: AppContext, discoverer_id: str, started: bool) -> dict[str, Any]:
    call = _client(ctx).start_discoverer if started else _client(ctx).stop_discoverer
    return _clean(call(DiscovererId=discoverer_id))


def delete_discoverer(ctx: AppContext, discoverer_id: str) -> dict[str, Any]:
    _client(ctx).delete_discoverer(DiscovererId=discoverer_id)
    return {}


def list_registries(ctx: AppContext, prefix: str | None = None) -> dict[str, Any]:
    resp = _client(ctx).list_registries(**compact(RegistryNamePrefix=prefix or None))
    return {"Registries": list(resp.get("Registries") or [])}


def list_schemas(ctx: AppContext, registry: str = DISCOVERED, prefix: str | None = None) -> dict[str, Any]:
    resp = _client(ctx).list_schemas(**compact(RegistryName=registry, SchemaNamePrefix=prefix or None))
    return {"Schemas": list(resp.get("Schemas") or [])}


def list_schema_versions(ctx: AppContext, name: str, registry: str = DISCOVERED) -> dict[str, Any]:
    resp = _client(ctx).list_schema_versions(RegistryName=registry, SchemaName=name)
    return {"SchemaVersions": list(resp.get("SchemaVersions") or [])}


def describe_schema(ctx: AppContext, name: str, registry: str = DISCOVERED, version: str | None = None) -> dict[str, Any]:
    return _clean(_client(ctx).describe_schema(**compact(RegistryName=registry, SchemaName=name, SchemaVersion=version)))


def export_schema(ctx: AppContext, name: str, registry: str = DISCOVERED, version: str | None = None,
                  type_: str = "JSONSchemaDraft4") -> dict[str, Any]:  # fmt: skip
    return _clean(_client(ctx).export_schema(**compact(RegistryName=registry, SchemaName=name, SchemaVersion=version,
                                                       Type=type_)))  # fmt: skip


def content_of(resp: dict[str, Any]) -> Any:
    """The schema document of a DescribeSchema/ExportSchema response, parsed (for --content)."""
    return json.loads(resp["Content"])
