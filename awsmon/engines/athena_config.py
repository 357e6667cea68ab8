"""Athena's table over AWS Config snapshot files, as data: its DDL and the DuckDB SQL that builds it from the files
(``config query`` runs the same Athena text locally). Pure: no I/O.

The table is the one of the AWS blog post "How to query your AWS resource configuration states using AWS Config and
Amazon Athena" (AWS Management & Governance blog; the same DDL is reproduced in AWS's Config dashboards):
``aws_config_configuration_snapshot(fileversion, configsnapshotid, configurationitems ARRAY<STRUCT<...>>)``
partitioned by ``accountid``, ``dt`` and ``region``, read by the OpenX JsonSerDe with ``case.insensitive`` false and a
``mapping.<lower>`` property per camelCase key, so JSON keys keep their case and ``json_extract_scalar(
configurationItem.configuration, '$.instanceType')`` uses Config's own key names. The blog adds partitions with a
Lambda function on each new snapshot object: ``dt`` = the snapshot's day (``yyyy-MM-dd``) and ``dt = 'latest'`` = the
snapshot folder of the latest delivered day of that account and Region (re-pointed on every delivery) — which is
what the blog's example queries filter on (``WHERE dt = 'latest'``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

TABLE = "aws_config_configuration_snapshot"

# (DDL field name, JSON key, type) of one configuration item; type "string" / "bigint" / "map" (MAP<STRING,STRING>)
# / "json" (an object or any JSON value held in a STRING: the SerDe writes nested JSON back as text).
ITEM_FIELDS: list[tuple[str, str, str]] = [
    ("configurationItemVersion", "configurationItemVersion", "string"),
    ("configurationItemCaptureTime", "configurationItemCaptureTime", "string"),
    ("configurationStateId", "configurationStateId", "bigint"),
    ("awsAccountId", "awsAccountId", "string"),
    ("configurationItemStatus", "configurationItemStatus", "string"),
    ("resourceType", "resourceType", "string"),
    ("resourceId", "resourceId", "string"),
    ("resourceName", "resourceName", "string"),
    ("ARN", "ARN", "string"),
    ("awsRegion", "awsRegion", "string"),
    ("availabilityZone", "availabilityZone", "string"),
    ("configurationStateMd5Hash", "configurationStateMd5Hash", "string"),
    ("configuration", "configuration", "json"),
    ("supplementaryConfiguration", "supplementaryConfiguration", "map"),
    ("tags", "tags", "map"),
    ("resourceCreationTime", "resourceCreationTime", "string"),
]
PARTITIONS = ("accountid", "dt", "region")

# <account>_Config_<region>_ConfigSnapshot_<yyyymmdd>T<hhmmss>Z_<snapshot id>.json[.gz] (AWS's object name).
SNAPSHOT_NAME = re.compile(r"(\d{12})_Config_([a-z0-9-]+)_ConfigSnapshot_(\d{8}T\d{6}Z)_[A-Za-z0-9-]+\.json(?:\.gz)?")


def _ddl_type(t: str) -> str:
    return {"string": "STRING", "json": "STRING", "bigint": "BIGINT", "map": "MAP < STRING, STRING >"}[t]


def athena_ddl(*, table: str = TABLE, bucket: str, prefix: str = "") -> str:
    """The blog's CREATE EXTERNAL TABLE for a delivery channel's bucket (and key prefix)."""
    location = f"s3://{bucket}/" + (prefix.strip("/") + "/" if prefix.strip("/") else "") + "AWSLogs/"
    fields = ",\n".join(f"    {name} : {_ddl_type(t)}" for name, _, t in ITEM_FIELDS)
    mappings = [("fileversion", "fileVersion"), ("configsnapshotid", "configSnapshotId"),
                ("configurationitems", "configurationItems")]  # fmt: skip
    # Every key whose case differs (the blog's list misses resourceCreationTime, which Athena then reads as NULL).
    mappings += [(key.lower(), key) for _, key, _t in ITEM_FIELDS if key.lower() != key]
    props = ",\n".join(f"  'mapping.{low}'='{key}'" for low, key in mappings)
    return (
        f"CREATE EXTERNAL TABLE {table} (\n"
        "  fileversion STRING,\n"
        "  configSnapshotId STRING,\n"
        f"  configurationitems ARRAY < STRUCT <\n{fields} > >\n)\n"
        "PARTITIONED BY (accountid STRING, dt STRING, region STRING)\n"
        "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'\n"
        "WITH SERDEPROPERTIES (\n"
        "  'case.insensitive'='false',\n"
        f"{props}\n)\n"
        f"LOCATION '{location}'"
    )


def partition_statement(*, table: str = TABLE, bucket: str, prefix: str = "", account: str, region: str,
                        dt: str, day: tuple[int, int, int]) -> str:  # fmt: skip
    """The blog Lambda's ALTER TABLE ADD PARTITION for one snapshot folder (``dt`` a day or ``latest``)."""
    base = f"s3://{bucket}/" + (prefix.strip("/") + "/" if prefix.strip("/") else "")
    y, m, d = day
    return (f"ALTER TABLE {table} ADD IF NOT EXISTS PARTITION (accountid='{account}', dt='{dt}', region='{region}') "
            f"LOCATION '{base}AWSLogs/{account}/Config/{region}/{y}/{m}/{d}/ConfigSnapshot/'")  # fmt: skip


def partitions(names: Iterable[tuple[str, str]]) -> list[tuple[str, str, str, str]]:
    """``(file, accountid, dt, region)`` rows for snapshot files given as ``(file, object name)``, as the blog's
    Lambda partitions them: each file under its day, and the files of the latest day of each account and Region
    also under ``latest``. Names that are not snapshot object names are left out."""
    found: list[tuple[str, str, str, str]] = []
    for file, name in names:
        m = SNAPSHOT_NAME.fullmatch(name)
        if m:
            found.append((file, m.group(1), m.group(2), m.group(3)))
    latest: dict[tuple[str, str], str] = {}
    for _, account, region, stamp in found:
        key = (account, region)
        latest[key] = max(latest.get(key, ""), stamp)
    out = []
    for file, account, region, stamp in found:
        day = f"{stamp[0:4]}-{stamp[4:6]}-{stamp[6:8]}"
        out.append((file, account, day, region))
        if latest[(account, region)][:8] == stamp[:8]:
            out.append((file, account, "latest", region))
    return out


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _json_type(t: str) -> str:
    return {"string": "VARCHAR", "bigint": "BIGINT", "json": "JSON", "map": "MAP(VARCHAR, JSON)"}[t]


def read_json_columns() -> str:
    """The ``columns={...}`` argument of DuckDB's read_json for one snapshot file per row."""
    item = "STRUCT(" + ", ".join(f"{_q(key)} {_json_type(t)}" for _, key, t in ITEM_FIELDS) + ")"
    return "{'fileVersion': 'VARCHAR', 'configSnapshotId': 'VARCHAR', " + f"'configurationItems': '{item}[]'" + "}"


def _text(v: str) -> str:
    """A JSON value as the SerDe puts it in a STRING: a string's own text, anything else its JSON text."""
    return f"CASE WHEN json_type({v}) = 'VARCHAR' THEN {v} ->> '$' ELSE CAST({v} AS VARCHAR) END"


def _field(src: str, t: str) -> str:
    if t == "json":
        return _text(src)
    if t == "map":
        return (f"CASE WHEN {src} IS NULL THEN NULL ELSE map_from_entries(list_transform(map_entries({src}), "
                f"lambda e: struct_pack(k := e.key, v := {_text('e.value')}))) END")  # fmt: skip
    return src


def select_list(prefix: str = "") -> str:
    """``SELECT`` items giving the table's columns (lower-case struct field names, as Athena shows them) from
    read_json's camelCase ones."""
    inner = ", ".join(f"{name.lower()} := {_field('x.' + _q(key), t)}" for name, key, t in ITEM_FIELDS)
    return (f"{prefix}{_q('fileVersion')} AS fileversion, {prefix}{_q('configSnapshotId')} AS configsnapshotid, "
            f"list_transform({prefix}{_q('configurationItems')}, lambda x: struct_pack({inner})) AS configurationitems")  # fmt: skip


def empty_relation() -> str:
    """The table with no rows, with its column types (a query over no snapshots answers nothing, not an error)."""
    item = "STRUCT(" + ", ".join(f"{name.lower()} {'MAP(VARCHAR, VARCHAR)' if t == 'map' else 'BIGINT' if t == 'bigint' else 'VARCHAR'}"
                                 for name, _, t in ITEM_FIELDS) + ")"  # fmt: skip
    return (f"SELECT NULL::VARCHAR AS fileversion, NULL::VARCHAR AS configsnapshotid, NULL::{item}[] AS configurationitems, "
            "NULL::VARCHAR AS accountid, NULL::VARCHAR AS dt, NULL::VARCHAR AS region WHERE false")  # fmt: skip


def relation(files: list[tuple[str, str, str, str]], sql_list: Any) -> str:
    """The table over snapshot files: ``files`` are :func:`partitions` rows; ``sql_list`` renders a file list."""
    if not files:
        return empty_relation()

    def lit(v: str) -> str:
        return "'" + v.replace("'", "''") + "'"

    values = ", ".join(f"({lit(f)}, {lit(a)}, {lit(d)}, {lit(r)})" for f, a, d, r in files)
    paths = sorted({f for f, _, _, _ in files})
    return (f"SELECT {select_list('s.')}, p.accountid, p.dt, p.region FROM read_json({sql_list(paths)}, "
            f"columns={read_json_columns()}, format='unstructured', filename=true, maximum_object_size=1073741824) s "
            f"JOIN (VALUES {values}) p(file, accountid, dt, region) ON s.filename = p.file")  # fmt: skip
