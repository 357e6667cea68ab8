"""The local EventBridge Schema Registry (``schemas.amazonaws.com``): discoverers and discovered schemas.

A discoverer on a bus (CreateDiscoverer / StartDiscoverer) sees every event arriving on the bus (the ``bus_events``
fact, emitted by the local EventBridge for PutEvents, events other services emit, bus forwarding and replays) and
infers an OpenAPI 3 schema per (source, detail-type) into the ``discovered-schemas`` registry, named
``<source>@<DetailType>`` (the detail-type without spaces) as AWS names them. A schema gets a new version when an
event shows fields or types the latest version lacks; versions hold the union of what was seen (a field becomes
``required`` only while every event had it). ExportSchema converts to JSON Schema draft 4.

[design choice] Numbers are ``number`` (``integer`` when every value seen was whole), strings ``string`` with
``format: date-time`` for RFC 3339 times, empty arrays ``array`` of ``object``; a field seen with two types keeps the
first (AWS's merge rules are unverified).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from awsmon.backends.local.base import LocalService, api
from awsmon.errors import ServiceError

REGISTRY = "discovered-schemas"
_TIME_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
ENVELOPE_REQUIRED = ["detail-type", "resources", "detail", "id", "source", "time", "region", "version", "account"]


def _ms(dt: datetime) -> int:
    return int(round(dt.timestamp() * 1000))


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def not_found(what: str) -> ServiceError:
    return ServiceError("NotFoundException", f"{what} does not exist.", status=404)  # [unverified] text


def _pascal(text: str) -> str:
    words = re.split(r"[^A-Za-z0-9]+", text)
    return "".join(w[:1].upper() + w[1:] for w in words if w) or "Detail"


_SPACES = re.compile(r"\s+")


def schema_name(source: str, detail_type: str) -> str:
    return source + "@" + _SPACES.sub("", detail_type)


# ---------------------------------------------------------------------------------------------------------------------
# Inference (pure)


def infer(value: Any, name: str, components: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI schema of one JSON value; objects become components named after their key (PascalCase)."""
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, float):
        return {"type": "number"}
    if isinstance(value, str):
        return {"type": "string", "format": "date-time"} if _TIME_RE.match(value) else {"type": "string"}
    if isinstance(value, list):
        items: dict[str, Any] = {"type": "object"}
        for v in value:
            items = merge(items, infer(v, name + "Item", components), components) if items != {"type": "object"} \
                else infer(v, name + "Item", components)  # fmt: skip
        return {"type": "array", "items": items}
    if isinstance(value, Mapping):
        comp = _pascal(name)
        props = {k: infer(v, k, components) for k, v in value.items()}
        body: dict[str, Any] = {"type": "object"}
        if props:
            body["required"] = sorted(props)
            body["properties"] = dict(sorted(props.items()))
        components[comp] = merge(components[comp], body, components) if comp in components else body
        return {"$ref": f"#/components/schemas/{comp}"}
    return {"type": "object"}  # null: nothing to say about the type


def merge(old: dict[str, Any], new: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """The union of two schemas of the same field: properties merged, required only where both require it."""
    if old == new:
        return old
    if old.get("type") == "integer" and new.get("type") == "number" or old.get("type") == "number" and new.get("type") == "integer":
        return {"type": "number"}
    if old.get("type") == "object" and new.get("type") == "object":
        props = dict(old.get("properties") or {})
        for k, v in (new.get("properties") or {}).items():
            props[k] = merge(props[k], v, components) if k in props else v
        required = sorted(set(old.get("required") or []) & set(new.get("required") or []))
        out: dict[str, Any] = {"type": "object"}
        if required:
            out["required"] = required
        if props:
            out["properties"] = dict(sorted(props.items()))
        return out
    if old.get("type") == "array" and new.get("type") == "array":
        return {"type": "array", "items": merge(old.get("items") or {}, new.get("items") or {}, components)}
    return old  # different kinds: keep the first seen [design choice]


def event_schema(event: Mapping[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    """The OpenAPI 3 document for an event, merged into the previous version's document when there is one."""
    detail_type = str(event.get("detail-type") or "")
    detail_name = _pascal(detail_type)
    components: dict[str, Any] = {}
    if previous is not None:
        components = json.loads(json.dumps(previous["components"]["schemas"]))
        components.pop("AWSEvent", None)
    detail = event.get("detail") if isinstance(event.get("detail"), Mapping) else {}
    infer(detail, detail_name, components)
    envelope = {
        "type": "object",
        "required": ENVELOPE_REQUIRED,
        "x-amazon-events-detail-type": detail_type,
        "x-amazon-events-source": str(event.get("source") or ""),
        "properties": {
            "detail": {"$ref": f"#/components/schemas/{detail_name}"},
            "account": {"type": "string"},
            "detail-type": {"type": "string"},
            "id": {"type": "string"},
            "region": {"type": "string"},
            "resources": {"type": "array", "items": {"type": "string"}},
            "source": {"type": "string"},
            "time": {"type": "string", "format": "date-time"},
            "version": {"type": "string"},
        },
    }
    return {
        "openapi": "3.0.0",
        "info": {"version": "1.0.0", "title": detail_name},
        "paths": {},
        "components": {"schemas": {"AWSEvent": envelope, **dict(sorted(components.items()))}},
    }


def to_json_schema(openapi: Mapping[str, Any]) -> dict[str, Any]:
    """ExportSchema Type JSONSchemaDraft4: the AWSEvent component as the root, the others as definitions."""
    text = json.dumps(openapi["components"]["schemas"]).replace("#/components/schemas/", "#/definitions/")
    comps = json.loads(text)
    root = comps.pop("AWSEvent")
    return {"$schema": "http://json-schema.org/draft-04/schema#", "title": openapi["info"]["title"], **root,
            "definitions": comps}  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------------
# The reaction: events arriving on a bus


def on_bus_events(store: Any, region: str, *, bus_arn: str, events: list[Mapping[str, Any]], when: datetime,
                  **_: Any) -> None:  # fmt: skip
    """Reaction to the ``bus_events`` fact: started discoverers of the bus learn the events' schemas."""
    started = store.conn.execute(
        "SELECT 1 FROM schemas_discoverers WHERE region = ? AND source_arn = ? AND state = 'STARTED' LIMIT 1",
        (region, bus_arn),
    ).fetchone()
    if started is None or not events:
        return
    latest: dict[str, tuple[int, dict[str, Any] | None]] = {}  # schema name -> (version, document) in this batch
    for e in events:
        name = schema_name(str(e.get("source")), str(e.get("detail-type")))
        if name not in latest:
            row = store.conn.execute(
                "SELECT version, content FROM schemas_versions WHERE region = ? AND registry = ? AND name = ? "
                "ORDER BY version DESC LIMIT 1",
                (region, REGISTRY, name),
            ).fetchone()
            latest[name] = (0, None) if row is None else (int(row["version"]), json.loads(row["content"]))
        version, previous = latest[name]
        doc = event_schema(e, previous)
        if doc == previous:
            continue
        store.conn.execute(
            "INSERT INTO schemas_versions (region, registry, name, version, content, created_ms) VALUES (?,?,?,?,?,?)",
            (region, REGISTRY, name, version + 1, json.dumps(doc, separators=(",", ":")), _ms(when)),
        )
        latest[name] = (version + 1, doc)


# ---------------------------------------------------------------------------------------------------------------------
# The service


class LocalSchemas(LocalService):
    service_name = "schemas"
    event_source = "schemas.amazonaws.com"

    def _arn(self, kind: str, path: str) -> str:
        return f"arn:aws:schemas:{self.region}:{self.account_id}:{kind}/{path}"

    def _discoverer(self, did: str) -> Any:
        row = self.conn.execute("SELECT * FROM schemas_discoverers WHERE region = ? AND id = ?", (self.region, did)).fetchone()
        if row is None:
            raise not_found(f"Discoverer {did}")
        return row

    def _discoverer_dict(self, r: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if r["description"]:
            out["Description"] = r["description"]
        out.update({"DiscovererArn": self._arn("discoverer", r["id"]), "DiscovererId": r["id"],
                    "SourceArn": r["source_arn"], "State": r["state"], "CrossAccount": bool(r["cross_account"]),
                    "Tags": json.loads(r["tags"])})  # fmt: skip
        return out

    @api("CreateDiscoverer")
    def create_discoverer(self, *, SourceArn: str, Description: str | None = None, CrossAccount: bool | None = None,
                          Tags: dict[str, str] | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        prefix = f"arn:aws:events:{self.region}:{self.account_id}:event-bus/"
        if not isinstance(SourceArn, str) or not SourceArn.startswith(prefix):
            raise ServiceError("BadRequestException", f"Invalid SourceArn: {SourceArn}.")  # [unverified] text
        bus = SourceArn[len(prefix):]
        from awsmon.backends.local.facts import Reader

        try:
            Reader(self.store, self.region, "events").describe_event_bus(Name=bus)
        except ServiceError:
            raise ServiceError("BadRequestException", f"Event bus {bus} does not exist.") from None  # [unverified] text
        did = f"events-event-bus-{bus}"
        if self.conn.execute("SELECT 1 FROM schemas_discoverers WHERE region = ? AND id = ?", (self.region, did)).fetchone():
            raise ServiceError("ConflictException", f"Discoverer {did} already exists.")  # [unverified] text
        self.conn.execute(
            "INSERT INTO schemas_discoverers (region, id, source_arn, description, state, cross_account, tags, created_ms) "
            "VALUES (?,?,?,?,'STARTED',?,?,?)",
            (self.region, did, SourceArn, Description, int(CrossAccount if CrossAccount is not None else True),
             json.dumps(Tags or {}), _ms(self.now())),
        )  # fmt: skip
        return self._discoverer_dict(self._discoverer(did))

    @api("DescribeDiscoverer")
    def describe_discoverer(self, *, DiscovererId: str, **kw: Any) -> dict[str, Any]:
        return self._discoverer_dict(self._discoverer(DiscovererId))

    @api("ListDiscoverers")
    def list_discoverers(self, *, DiscovererIdPrefix: str | None = None, SourceArnPrefix: str | None = None,
                         Limit: int | None = None, NextToken: str | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        rows = [r for r in self.conn.execute("SELECT * FROM schemas_discoverers WHERE region = ? ORDER BY id", (self.region,))
                if r["id"].startswith(DiscovererIdPrefix or "") and r["source_arn"].startswith(SourceArnPrefix or "")]  # fmt: skip
        return {"Discoverers": [self._discoverer_dict(r) for r in rows]}

    def _set_state(self, did: str, state: str) -> dict[str, Any]:
        self._discoverer(did)
        self.conn.execute("UPDATE schemas_discoverers SET state = ? WHERE region = ? AND id = ?", (state, self.region, did))
        return {"DiscovererId": did, "State": state}

    @api("StartDiscoverer")
    def start_discoverer(self, *, DiscovererId: str, **kw: Any) -> dict[str, Any]:
        return self._set_state(DiscovererId, "STARTED")

    @api("StopDiscoverer")
    def stop_discoverer(self, *, DiscovererId: str, **kw: Any) -> dict[str, Any]:
        return self._set_state(DiscovererId, "STOPPED")

    @api("DeleteDiscoverer")
    def delete_discoverer(self, *, DiscovererId: str, **kw: Any) -> dict[str, Any]:
        self._discoverer(DiscovererId)
        self.conn.execute("DELETE FROM schemas_discoverers WHERE region = ? AND id = ?", (self.region, DiscovererId))
        return {}

    # -- registries and schemas -----------------------------------------------------------------------------------
    @api("ListRegistries")
    def list_registries(self, *, RegistryNamePrefix: str | None = None, Scope: str | None = None,
                        Limit: int | None = None, NextToken: str | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        has = self.conn.execute("SELECT 1 FROM schemas_discoverers WHERE region = ? UNION ALL SELECT 1 FROM "
                                "schemas_versions WHERE region = ? LIMIT 1", (self.region, self.region)).fetchone()  # fmt: skip
        names = [REGISTRY] if has is not None and REGISTRY.startswith(RegistryNamePrefix or "") and Scope in (None, "LOCAL") else []
        return {"Registries": [{"RegistryArn": self._arn("registry", n), "RegistryName": n, "Tags": {}} for n in names]}

    def _registry(self, name: str) -> str:
        if name != REGISTRY:
            raise not_found(f"Registry {name}")
        return name

    def _versions(self, registry: str, name: str) -> list[Any]:
        rows = self.conn.execute(
            "SELECT * FROM schemas_versions WHERE region = ? AND registry = ? AND name = ? ORDER BY version",
            (self.region, registry, name),
        ).fetchall()
        if not rows:
            raise not_found(f"Schema {name}")
        return rows

    def _version(self, registry: str, name: str, version: str | None) -> Any:
        rows = self._versions(self._registry(registry), name)
        if version is None:
            return rows[-1]
        for r in rows:
            if str(r["version"]) == str(version):
                return r
        raise not_found(f"Schema version {version} of {name}")

    @api("ListSchemas")
    def list_schemas(self, *, RegistryName: str, SchemaNamePrefix: str | None = None, Limit: int | None = None,
                     NextToken: str | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        self._registry(RegistryName)
        rows = self.conn.execute(
            "SELECT name, count(*) AS n, max(created_ms) AS last FROM schemas_versions WHERE region = ? AND registry = ? "
            "GROUP BY name ORDER BY name",
            (self.region, RegistryName),
        ).fetchall()
        return {"Schemas": [{"LastModified": _dt(r["last"]), "SchemaArn": self._arn("schema", f"{RegistryName}/{r['name']}"),
                             "SchemaName": r["name"], "Tags": {}, "VersionCount": r["n"]}
                            for r in rows if r["name"].startswith(SchemaNamePrefix or "")]}  # fmt: skip

    @api("ListSchemaVersions")
    def list_schema_versions(self, *, RegistryName: str, SchemaName: str, Limit: int | None = None,
                             NextToken: str | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        rows = self._versions(self._registry(RegistryName), SchemaName)
        arn = self._arn("schema", f"{RegistryName}/{SchemaName}")
        return {"SchemaVersions": [{"SchemaArn": arn, "SchemaName": SchemaName, "SchemaVersion": str(r["version"]),
                                    "Type": "OpenApi3"} for r in reversed(rows)]}  # fmt: skip

    @api("DescribeSchema")
    def describe_schema(self, *, RegistryName: str, SchemaName: str, SchemaVersion: str | None = None,
                        **kw: Any) -> dict[str, Any]:  # fmt: skip
        r = self._version(RegistryName, SchemaName, SchemaVersion)
        return {"Content": r["content"], "LastModified": _dt(r["created_ms"]),
                "SchemaArn": self._arn("schema", f"{RegistryName}/{SchemaName}"), "SchemaName": SchemaName,
                "SchemaVersion": str(r["version"]), "Tags": {}, "Type": "OpenApi3",
                "VersionCreatedDate": _dt(r["created_ms"])}  # fmt: skip

    @api("ExportSchema")
    def export_schema(self, *, RegistryName: str, SchemaName: str, Type: str, SchemaVersion: str | None = None,
                      **kw: Any) -> dict[str, Any]:  # fmt: skip
        if Type != "JSONSchemaDraft4":
            raise ServiceError("BadRequestException", f"Invalid Type: {Type}. Supported: JSONSchemaDraft4.")  # [unverified]
        r = self._version(RegistryName, SchemaName, SchemaVersion)
        content = json.dumps(to_json_schema(json.loads(r["content"])), separators=(",", ":"))
        return {"Content": content, "SchemaArn": self._arn("schema", f"{RegistryName}/{SchemaName}"),
                "SchemaName": SchemaName, "SchemaVersion": str(r["version"]), "Type": Type}  # fmt: skip
