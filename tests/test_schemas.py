"""awsmon schemas: discovery of event schemas on a bus (local; moto has no Schema Registry to contract-test)."""

from __future__ import annotations

import json

from awsmon.backends.local.schemas import event_schema, to_json_schema
from tests.conftest import Cli

NAME = "my.app@OrderPlaced"


def _put(cli: Cli, detail: dict, bus: str = "default") -> None:
    cli.ok("rules", "put-events", "--bus", bus, "--source", "my.app", "--detail-type", "Order Placed",
           "--detail", json.dumps(detail))  # fmt: skip


def test_discovery_versions_and_export(pinned: Cli) -> None:
    _put(pinned, {"id": 1})  # before any discoverer: not learned
    assert pinned.json("schemas", "list-registries")["Registries"] == []
    made = pinned.json("schemas", "create-discoverer", "--source-arn", "default")
    assert made["DiscovererId"] == "events-event-bus-default" and made["State"] == "STARTED"
    _put(pinned, {"id": 1, "items": [{"sku": "a"}], "at": "2026-01-01T00:00:00Z"})
    _put(pinned, {"id": 2, "items": [{"sku": "b"}], "at": "2026-01-02T00:00:00Z"})  # same shape: no new version
    assert [s["VersionCount"] for s in pinned.json("schemas", "list-schemas")["Schemas"]] == [1]
    _put(pinned, {"id": 2.5, "coupon": "x"})
    versions = pinned.json("schemas", "list-schema-versions", "--schema-name", NAME)["SchemaVersions"]
    assert [v["SchemaVersion"] for v in versions] == ["2", "1"]
    doc = pinned.json("schemas", "describe-schema", "--schema-name", NAME, "--content")
    order = doc["components"]["schemas"]["OrderPlaced"]
    assert order["required"] == ["id"] and order["properties"]["id"] == {"type": "number"}
    assert order["properties"]["at"] == {"type": "string", "format": "date-time"}
    assert doc["components"]["schemas"]["AWSEvent"]["x-amazon-events-source"] == "my.app"
    first = pinned.json("schemas", "describe-schema", "--schema-name", NAME, "--schema-version", "1", "--content")
    assert first["components"]["schemas"]["OrderPlaced"]["properties"]["id"] == {"type": "integer"}
    exported = pinned.json("schemas", "export-schema", "--schema-name", NAME, "--content")
    assert exported["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert exported["properties"]["detail"] == {"$ref": "#/definitions/OrderPlaced"}
    pinned.ok("schemas", "stop-discoverer", "--discoverer-id", "events-event-bus-default")
    _put(pinned, {"id": 3, "new_field": True})
    assert len(pinned.json("schemas", "list-schema-versions", "--schema-name", NAME)["SchemaVersions"]) == 2


def test_custom_bus_discoverer_and_errors(pinned: Cli) -> None:
    pinned.ok("rules", "create-event-bus", "--name", "orders")
    missing = pinned("schemas", "create-discoverer", "--source-arn", "arn:aws:events:us-east-1:123456789012:event-bus/no")
    assert missing.exit_code == 2 and "Event bus no does not exist." in missing.stderr
    pinned.ok("schemas", "create-discoverer", "--source-arn", "orders")
    _put(pinned, {"id": 1}, bus="orders")
    _put(pinned, {"id": 1})  # the default bus has no discoverer
    assert [s["SchemaName"] for s in pinned.json("schemas", "list-schemas")["Schemas"]] == [NAME]
    nope = pinned("schemas", "describe-schema", "--schema-name", "nope")
    assert nope.exit_code == 1 and "NotFoundException" in nope.stderr
    bad_type = pinned("schemas", "export-schema", "--schema-name", NAME, "--type", "OpenApi3")
    assert bad_type.exit_code == 2 and "BadRequestException" in bad_type.stderr


def test_inference_is_pure_and_merges() -> None:
    event = {"source": "s", "detail-type": "T", "detail": {"a": {"b": [1, 2]}, "n": None}}
    doc = event_schema(event, None)
    comps = doc["components"]["schemas"]
    assert comps["A"] == {"type": "object", "required": ["b"], "properties": {"b": {"type": "array", "items": {"type": "integer"}}}}
    assert comps["T"]["properties"]["a"] == {"$ref": "#/components/schemas/A"}
    again = event_schema({**event, "detail": {"a": {"c": "x"}}}, doc)
    assert again["components"]["schemas"]["A"]["properties"] == {"b": {"type": "array", "items": {"type": "integer"}},
                                                                  "c": {"type": "string"}}  # fmt: skip
    assert "required" not in again["components"]["schemas"]["A"]
    assert to_json_schema(doc)["definitions"]["T"]["properties"]["a"] == {"$ref": "#/definitions/A"}
