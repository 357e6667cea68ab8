"""The simulated DynamoDB service: tables (with point-in-time recovery settings) and items by primary key.

Table operations are CloudTrail management events; item operations (PutItem, GetItem, DeleteItem) are data events.
Config records ``AWS::DynamoDB::Table`` with its continuous-backups state in ``supplementaryConfiguration``.

[design choice] Tables are ACTIVE as soon as CreateTable returns (AWS takes seconds; moto does the same) and
DeleteTable removes a table at once; queries and scans are not simulated.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from awsmon.backends.local import facts
from awsmon.backends.local.base import LocalService, api, config_camel, named_resource
from awsmon.backends.local.base import validation_error as _constraint
from awsmon.errors import ServiceError

_NAME_RE = re.compile(r"^[a-zA-Z0-9_.-]+$")
_TYPES = ("S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL")
MAX_ITEM_BYTES = 400 * 1024


def _ms(dt: datetime) -> int:
    return int(round(dt.timestamp() * 1000))


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _table_name(value: Any) -> str:
    text = str(value or "")
    if not 3 <= len(text) <= 255:
        raise _constraint(text, "tableName", "Member must have length greater than or equal to 3" if len(text) < 3
                          else "Member must have length less than or equal to 255")  # fmt: skip
    if not _NAME_RE.match(text):
        raise _constraint(text, "tableName", "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
    return text


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        import base64

        return {"__b64__": base64.b64encode(value).decode()}
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    return value


def _restore(value: Any) -> Any:
    if isinstance(value, Mapping):
        if set(value) == {"__b64__"}:
            import base64

            return base64.b64decode(value["__b64__"])
        return {k: _restore(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore(v) for v in value]
    return value


def _invalid(text: str) -> ServiceError:
    return ServiceError("ValidationException", text)


MAX_DEPTH = 32  # DynamoDB: nested attributes up to 32 levels deep
_SET_WORDS = {"SS": "An string set  may not be empty", "NS": "An number set  may not be empty",
              "BS": "Binary sets should not be empty"}  # AWS's words (sic)


def _check_value(name: str, value: Any, depth: int) -> None:
    """One AttributeValue as DynamoDB checks it before storing anything: one known type, numbers DynamoDB can hold,
    non-empty sets without duplicates, NULL only true, at most 32 levels of maps and lists."""
    if depth > MAX_DEPTH:
        raise _invalid("Nesting Levels have exceeded supported limits")
    if not isinstance(value, Mapping) or len(value) != 1 or next(iter(value)) not in _TYPES:
        raise _invalid(f"Supplied AttributeValue is empty, must contain exactly one of the supported datatypes "
                       f"(attribute {name})")  # fmt: skip
    kind, v = next(iter(value.items()))
    if kind == "N":
        _check_number(v)
    elif kind in _SET_WORDS:
        if not isinstance(v, list) or not v:
            raise _invalid(f"One or more parameter values were invalid: {_SET_WORDS[kind]}")
        if kind == "NS":
            for n in v:
                _check_number(n)
        if len({json.dumps(_jsonable(x), sort_keys=True) for x in v}) != len(v):
            raise _invalid(f"One or more parameter values were invalid: Input collection [{', '.join(map(str, v))}] "
                           "contains duplicates.")  # fmt: skip
    elif kind == "NULL" and v is not True:
        raise _invalid("One or more parameter values were invalid: Null attribute value types must have the value of "
                       "true")  # fmt: skip
    elif kind == "M" and isinstance(v, Mapping):
        for k, sub in v.items():
            _check_value(k, sub, depth + 1)
    elif kind == "L" and isinstance(v, list):
        for sub in v:
            _check_value(name, sub, depth + 1)


def _check_number(text: Any) -> None:
    """DynamoDB's numbers: up to 38 significant digits, magnitudes 1E-130 to 9.9999999999999999999999999999999999999E+125."""
    from decimal import Decimal, InvalidOperation

    try:
        d = Decimal(str(text).strip())
    except InvalidOperation:
        d = Decimal("NaN")
    if not d.is_finite():
        raise _invalid(f"The parameter cannot be converted to a numeric value: {text}")
    if d != 0 and d.adjusted() > 125:
        raise _invalid("Number overflow. Attempting to store a number with magnitude larger than supported range")
    if d != 0 and d.adjusted() < -130:
        raise _invalid("Number underflow. Attempting to store a number with magnitude smaller than supported range")
    digits = "".join(map(str, d.as_tuple().digits)).strip("0")  # not normalize(): it rounds to 28 digits
    if len(digits) > 38:
        raise _invalid("Attempting to store more than 38 significant digits in a Number")


def _not_found() -> ServiceError:
    return ServiceError("ResourceNotFoundException", "Requested resource not found")


class LocalDynamoDB(LocalService):
    service_name = "dynamodb"
    event_source = "dynamodb.amazonaws.com"

    def _arn(self, name: str) -> str:
        return f"arn:aws:dynamodb:{self.region}:{self.account_id}:table/{name}"

    def _resources(self, op: str, params: dict[str, Any], result: Any) -> list[dict[str, str]]:
        name = params.get("TableName")
        return named_resource("AWS::DynamoDB::Table", self._arn, str(name) if name else None)

    def _row(self, name: str, *, missing: ServiceError | None = None) -> Any:
        row = self.conn.execute("SELECT * FROM ddb_tables WHERE region = ? AND name = ?", (self.region, name)).fetchone()
        if row is None:
            raise missing or ServiceError("ResourceNotFoundException",
                                          f"Requested resource not found: Table: {name} not found")  # fmt: skip
        return row

    def _describe(self, r: Mapping[str, Any], status: str = "ACTIVE") -> dict[str, Any]:
        stats = self.conn.execute("SELECT count(*), coalesce(sum(size), 0) FROM ddb_items WHERE region = ? AND "
                                  "table_name = ?", (self.region, r["name"])).fetchone()  # fmt: skip
        throughput = json.loads(r["throughput"]) if r["throughput"] else {"ReadCapacityUnits": 0, "WriteCapacityUnits": 0}
        out: dict[str, Any] = {
            "AttributeDefinitions": json.loads(r["attributes"]),
            "TableName": r["name"],
            "KeySchema": json.loads(r["key_schema"]),
            "TableStatus": status,
            "CreationDateTime": _dt(r["created_ms"]),
            "ProvisionedThroughput": {"NumberOfDecreasesToday": 0, **throughput},
            "TableSizeBytes": int(stats[1]),
            "ItemCount": int(stats[0]),
            "TableArn": self._arn(r["name"]),
            "TableId": r["table_id"],
            "DeletionProtectionEnabled": bool(r["deletion_protection"]),
        }
        if r["billing_mode"] == "PAY_PER_REQUEST":
            out["BillingModeSummary"] = {"BillingMode": "PAY_PER_REQUEST",
                                         "LastUpdateToPayPerRequestDateTime": _dt(r["created_ms"])}  # fmt: skip
        return out

    # -- tables -------------------------------------------------------------------------------------------------
    @api("CreateTable")
    def create_table(self, *, TableName: str, KeySchema: list[dict[str, str]], AttributeDefinitions: list[dict[str, str]],
                     BillingMode: str | None = None, ProvisionedThroughput: dict[str, int] | None = None,
                     DeletionProtectionEnabled: bool = False, Tags: list[dict[str, str]] | None = None,
                     **kw: Any) -> dict[str, Any]:  # fmt: skip
        name = _table_name(TableName)
        keys = list(KeySchema or [])
        if not 1 <= len(keys) <= 2 or keys[0].get("KeyType") != "HASH" or (len(keys) == 2 and keys[1].get("KeyType") != "RANGE"):
            raise ServiceError("ValidationException", "1 validation error detected: Invalid KeySchema: The first "
                               "KeySchemaElement is not a HASH key type")  # fmt: skip
        attrs = {a.get("AttributeName"): a.get("AttributeType") for a in AttributeDefinitions or []}
        for a in attrs.values():
            if a not in ("S", "N", "B"):
                raise _constraint(a, "attributeDefinitions.member.attributeType",
                                  "Member must satisfy enum value set: [B, N, S]")  # fmt: skip
        for k in keys:
            if k.get("AttributeName") not in attrs:
                raise ServiceError("ValidationException", "One or more parameter values were invalid: Some index key "
                                   "attributes are not defined in AttributeDefinitions. Keys: "
                                   f"[{k.get('AttributeName')}], AttributeDefinitions: [{', '.join(map(str, attrs))}]")  # fmt: skip
        if len(attrs) != len(keys):
            raise ServiceError("ValidationException", "One or more parameter values were invalid: Number of attributes "
                               "in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")  # fmt: skip
        mode = BillingMode or "PROVISIONED"
        if mode not in ("PROVISIONED", "PAY_PER_REQUEST"):
            raise _constraint(mode, "billingMode", "Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]")
        if mode == "PROVISIONED" and not ProvisionedThroughput:
            raise ServiceError("ValidationException", "One or more parameter values were invalid: ReadCapacityUnits and "
                               "WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")  # fmt: skip
        if mode == "PAY_PER_REQUEST" and ProvisionedThroughput:
            raise ServiceError("ValidationException", "One or more parameter values were invalid: Neither "
                               "ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is "
                               "PAY_PER_REQUEST")  # fmt: skip
        if self.conn.execute("SELECT 1 FROM ddb_tables WHERE region = ? AND name = ?", (self.region, name)).fetchone():
            raise ServiceError("ResourceInUseException", f"Table already exists: {name}")
        self.conn.execute(
            "INSERT INTO ddb_tables (region, name, table_id, created_ms, key_schema, attributes, billing_mode, throughput, "
            "deletion_protection, tags) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (self.region, name, str(uuid.uuid4()), _ms(self.now()), json.dumps(keys), json.dumps(list(AttributeDefinitions)),
             mode, json.dumps(ProvisionedThroughput) if ProvisionedThroughput else None, int(bool(DeletionProtectionEnabled)),
             json.dumps(list(Tags or []))),
        )  # fmt: skip
        return {"TableDescription": self._describe(self._row(name), "ACTIVE")}

    @api("DeleteTable")
    def delete_table(self, *, TableName: str, **kw: Any) -> dict[str, Any]:
        row = self._row(_table_name(TableName))
        if row["deletion_protection"]:
            raise ServiceError("ValidationException", "Resource cannot be deleted as it is currently protected "
                               "against deletion. Disable deletion protection first.")  # fmt: skip
        out = self._describe(row, "DELETING")
        self.conn.execute("DELETE FROM ddb_items WHERE region = ? AND table_name = ?", (self.region, row["name"]))
        self.conn.execute("DELETE FROM ddb_tables WHERE region = ? AND name = ?", (self.region, row["name"]))
        return {"TableDescription": out}

    @api("DescribeTable")
    def describe_table(self, *, TableName: str, **kw: Any) -> dict[str, Any]:
        return {"Table": self._describe(self._row(_table_name(TableName)))}

    @api("ListTables")
    def list_tables(self, *, ExclusiveStartTableName: str | None = None, Limit: int = 100, **kw: Any) -> dict[str, Any]:
        rows = self.conn.execute("SELECT name FROM ddb_tables WHERE region = ? AND name > ? ORDER BY name LIMIT ?",
                                 (self.region, ExclusiveStartTableName or "", int(Limit) + 1)).fetchall()  # fmt: skip
        names = [r[0] for r in rows]
        out: dict[str, Any] = {"TableNames": names[: int(Limit)]}
        if len(names) > int(Limit):
            out["LastEvaluatedTableName"] = names[int(Limit) - 1]
        return out

    def _backups(self, r: Mapping[str, Any]) -> dict[str, Any]:
        pitr: dict[str, Any] = {"PointInTimeRecoveryStatus": "ENABLED" if r["pitr"] else "DISABLED"}
        if r["pitr"]:
            pitr["EarliestRestorableDateTime"] = _dt(r["pitr_changed_ms"])
            pitr["LatestRestorableDateTime"] = self.now()
            pitr["RecoveryPeriodInDays"] = 35
        return {"ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": pitr}

    @api("UpdateContinuousBackups")
    def update_continuous_backups(self, *, TableName: str, PointInTimeRecoverySpecification: dict[str, Any],
                                  **kw: Any) -> dict[str, Any]:  # fmt: skip
        name = _table_name(TableName)
        self._row(name, missing=ServiceError("TableNotFoundException", f"Table not found: {name}"))
        if "PointInTimeRecoveryEnabled" not in (PointInTimeRecoverySpecification or {}):
            raise ServiceError("ValidationException", "1 validation error detected: Value null at "
                               "'pointInTimeRecoverySpecification.pointInTimeRecoveryEnabled' failed to satisfy "
                               "constraint: Member must not be null")  # fmt: skip
        enabled = bool(PointInTimeRecoverySpecification["PointInTimeRecoveryEnabled"])
        self.conn.execute("UPDATE ddb_tables SET pitr = ?, pitr_changed_ms = ? WHERE region = ? AND name = ?",
                          (int(enabled), _ms(self.now()), self.region, name))  # fmt: skip
        return {"ContinuousBackupsDescription": self._backups(self._row(name))}

    @api("DescribeContinuousBackups")
    def describe_continuous_backups(self, *, TableName: str, **kw: Any) -> dict[str, Any]:
        name = _table_name(TableName)
        row = self._row(name, missing=ServiceError("TableNotFoundException", f"Table not found: {name}"))
        return {"ContinuousBackupsDescription": self._backups(row)}

    # -- items (data events) ------------------------------------------------------------------------------------
    def _key_of(self, row: Mapping[str, Any], item: Mapping[str, Any], *, exact: bool) -> str:
        schema = json.loads(row["key_schema"])
        types = {a["AttributeName"]: a["AttributeType"] for a in json.loads(row["attributes"])}
        key: dict[str, Any] = {}
        for k in schema:
            name = k["AttributeName"]
            value = item.get(name)
            if not isinstance(value, Mapping) or len(value) != 1:
                raise ServiceError("ValidationException", "One or more parameter values were invalid: Missing the key "
                                   f"{name} in the item" if not exact else "The provided key element does not match "
                                   "the schema")  # fmt: skip
            actual = next(iter(value))
            if actual in ("S", "B") and value[actual] in ("", b""):
                raise _invalid("One or more parameter values are not valid. The AttributeValue for a key attribute "
                               f"cannot contain an empty {'string' if actual == 'S' else 'binary'} value. Key: {name}")
            if actual != types[name]:
                raise ServiceError("ValidationException", f"One or more parameter values were invalid: Type mismatch "
                                   f"for key {name} expected: {types[name]} actual: {actual}" if not exact else
                                   "The provided key element does not match the schema")  # fmt: skip
            key[name] = _jsonable(value)
        if exact and len(item) != len(schema):
            raise ServiceError("ValidationException", "The provided key element does not match the schema")
        return json.dumps(key, sort_keys=True, separators=(",", ":"))

    @staticmethod
    def _check_values(item: Mapping[str, Any]) -> None:
        for name, value in item.items():
            _check_value(name, value, 1)

    @api("PutItem", category="Data")
    def put_item(self, *, TableName: str, Item: dict[str, Any], ReturnValues: str | None = None, **kw: Any) -> dict[str, Any]:
        row = self._row(_table_name(TableName), missing=_not_found())
        self._check_values(Item)
        key = self._key_of(row, Item, exact=False)
        text = json.dumps(_jsonable(Item), sort_keys=True, separators=(",", ":"))
        if len(text.encode()) > MAX_ITEM_BYTES:
            raise ServiceError("ValidationException", "Item size has exceeded the maximum allowed size")
        old = self.conn.execute("SELECT item FROM ddb_items WHERE region = ? AND table_name = ? AND item_key = ?",
                                (self.region, row["name"], key)).fetchone()  # fmt: skip
        self.conn.execute("INSERT OR REPLACE INTO ddb_items (region, table_name, item_key, item, size) VALUES (?,?,?,?,?)",
                          (self.region, row["name"], key, text, len(text.encode())))  # fmt: skip
        if ReturnValues == "ALL_OLD" and old is not None:
            return {"Attributes": _restore(json.loads(old[0]))}
        return {}

    @api("GetItem", category="Data")
    def get_item(self, *, TableName: str, Key: dict[str, Any], **kw: Any) -> dict[str, Any]:
        row = self._row(_table_name(TableName), missing=_not_found())
        key = self._key_of(row, Key, exact=True)
        found = self.conn.execute("SELECT item FROM ddb_items WHERE region = ? AND table_name = ? AND item_key = ?",
                                  (self.region, row["name"], key)).fetchone()  # fmt: skip
        return {"Item": _restore(json.loads(found[0]))} if found else {}

    @api("DeleteItem", category="Data")
    def delete_item(self, *, TableName: str, Key: dict[str, Any], **kw: Any) -> dict[str, Any]:
        row = self._row(_table_name(TableName), missing=_not_found())
        key = self._key_of(row, Key, exact=True)
        self.conn.execute("DELETE FROM ddb_items WHERE region = ? AND table_name = ? AND item_key = ?",
                          (self.region, row["name"], key))  # fmt: skip
        return {}


# -- AWS Config ---------------------------------------------------------------------------------------------------------


def _table_ids(record: Mapping[str, Any]) -> list[str]:
    return [str(r["ARN"]).rsplit("/", 1)[-1] for r in record.get("resources") or []
            if r.get("type") == "AWS::DynamoDB::Table" and r.get("ARN")]  # fmt: skip


def _table_snapshot(svc: Any, name: str) -> dict[str, Any] | None:
    svc = facts.own(svc)  # config hands a facts.Reader; this module reads its own rows
    row = svc.conn.execute("SELECT * FROM ddb_tables WHERE region = ? AND name = ?", (svc.region, name)).fetchone()
    if row is None:
        return None
    desc = svc._describe(row)
    # Item counts and sizes change with data, not configuration: AWS Config does not record them.
    cfg = config_camel({k: v for k, v in desc.items() if k not in ("ItemCount", "TableSizeBytes")})
    supplementary = {"ContinuousBackupsDescription": config_camel({k: v for k, v in svc._backups(row).items()
                                                              if k == "ContinuousBackupsStatus"} | {
        "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "ENABLED" if row["pitr"] else "DISABLED"}})}  # fmt: skip
    tags = {t["Key"]: t["Value"] for t in json.loads(row["tags"] or "[]")}
    return {"resource_id": name, "name": name, "arn": desc["TableArn"], "configuration": cfg,
            "supplementary": supplementary, "relationships": [], "created": desc["CreationDateTime"], "tags": tags}  # fmt: skip


CONFIG_KINDS: list[dict[str, Any]] = [
    {"resource_type": "AWS::DynamoDB::Table", "event_source": "dynamodb.amazonaws.com",
     "event_names": ("CreateTable", "DeleteTable", "UpdateTable", "UpdateContinuousBackups", "TagResource",
                     "UntagResource"),
     "service": "dynamodb", "ids_from_record": _table_ids, "snapshot": _table_snapshot,
     "list_ids": lambda svc: [r[0] for r in facts.own(svc).conn.execute(
         "SELECT name FROM ddb_tables WHERE region = ? ORDER BY name", (facts.own(svc).region,))]},
]  # fmt: skip
