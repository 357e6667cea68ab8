"""Athena's CloudTrail table, as data: its columns and types, the DuckDB SQL that builds it from raw records, its DDL
with partition projection, and the translation of Athena (Trino) SQL to DuckDB's dialect. Pure: no I/O.

The columns are those of the AWS Athena user guide page "Create a table for CloudTrail logs in Athena using manual
partitioning" (``shared/specs/cloudtrail.md`` §5.2): lower-case names, ``useridentity`` a nested struct,
``requestparameters``/``responseelements``/``additionaleventdata``/``serviceeventdetails`` JSON text in a STRING,
``eventtime`` and ``readonly`` strings. CloudTrail's JSON keys are camelCase (``sourceIPAddress``, ``eventID``,
``resources[].ARN``) and Hive's JsonSerDe matches them case-insensitively; DuckDB's JSON reader matches exactly, so
each column carries the JSON key it is read from.
"""

from __future__ import annotations

from typing import Any

# (column, JSON key, type): type is "string", ("struct", [...]), ("array", ("struct", [...])) or "map".
Field = tuple[str, str, Any]

_SESSION_CONTEXT: Field = ("sessioncontext", "sessionContext", ("struct", [
    ("attributes", "attributes", ("struct", [("mfaauthenticated", "mfaAuthenticated", "string"),
                                             ("creationdate", "creationDate", "string")])),
    ("sessionissuer", "sessionIssuer", ("struct", [("type", "type", "string"), ("principalid", "principalId", "string"),
                                                   ("arn", "arn", "string"), ("accountid", "accountId", "string"),
                                                   ("username", "userName", "string")])),
    ("ec2roledelivery", "ec2RoleDelivery", "string"),
    ("webidfederationdata", "webIdFederationData", ("struct", [("federatedprovider", "federatedProvider", "string"),
                                                               ("attributes", "attributes", "map")])),
]))
COLUMNS: list[Field] = [
    ("eventversion", "eventVersion", "string"),
    ("useridentity", "userIdentity", ("struct", [
        ("type", "type", "string"), ("principalid", "principalId", "string"), ("arn", "arn", "string"),
        ("accountid", "accountId", "string"), ("invokedby", "invokedBy", "string"),
        ("accesskeyid", "accessKeyId", "string"), ("username", "userName", "string"),
        ("onbehalfof", "onBehalfOf", ("struct", [("userid", "userId", "string"),
                                                 ("identitystorearn", "identityStoreArn", "string")])),
        _SESSION_CONTEXT,
    ])),
    ("eventtime", "eventTime", "string"),
    ("eventsource", "eventSource", "string"),
    ("eventname", "eventName", "string"),
    ("awsregion", "awsRegion", "string"),
    ("sourceipaddress", "sourceIPAddress", "string"),
    ("useragent", "userAgent", "string"),
    ("errorcode", "errorCode", "string"),
    ("errormessage", "errorMessage", "string"),
    ("requestparameters", "requestParameters", "string"),
    ("responseelements", "responseElements", "string"),
    ("additionaleventdata", "additionalEventData", "string"),
    ("requestid", "requestID", "string"),
    ("eventid", "eventID", "string"),
    ("readonly", "readOnly", "string"),
    ("resources", "resources", ("array", ("struct", [("arn", "ARN", "string"), ("accountid", "accountId", "string"),
                                                     ("type", "type", "string")]))),
    ("eventtype", "eventType", "string"),
    ("apiversion", "apiVersion", "string"),
    ("recipientaccountid", "recipientAccountId", "string"),
    ("serviceeventdetails", "serviceEventDetails", "string"),
    ("sharedeventid", "sharedEventID", "string"),
    ("vpcendpointid", "vpcEndpointId", "string"),
    ("vpcendpointaccountid", "vpcEndpointAccountId", "string"),
    ("eventcategory", "eventCategory", "string"),
    ("addendum", "addendum", ("struct", [("reason", "reason", "string"), ("updatedfields", "updatedFields", "string"),
                                         ("originalrequestid", "originalRequestID", "string"),
                                         ("originaleventid", "originalEventID", "string")])),
    ("sessioncredentialfromconsole", "sessionCredentialFromConsole", "string"),
    ("edgedevicedetails", "edgeDeviceDetails", "string"),
    ("tlsdetails", "tlsDetails", ("struct", [("tlsversion", "tlsVersion", "string"), ("ciphersuite", "cipherSuite", "string"),
                                             ("clientprovidedhostheader", "clientProvidedHostHeader", "string")])),
]
COLUMN_NAMES = [c[0] for c in COLUMNS]
TABLE = "cloudtrail_logs"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _json_type(t: Any) -> str:
    """The DuckDB type read_json reads a field as, with the JSON's own (camelCase) key names."""
    if t == "string":
        return "VARCHAR"
    if t == "map":
        return "MAP(VARCHAR, VARCHAR)"
    if t[0] == "array":
        return _json_type(t[1]) + "[]"
    return "STRUCT(" + ", ".join(f"{_q(key)} {_json_type(sub)}" for _, key, sub in t[1]) + ")"


def read_json_columns() -> str:
    """The ``columns={...}`` argument of DuckDB's read_json for one CloudTrail record per row."""
    return "{" + ", ".join(f"'{key}': '{_json_type(t)}'" for _, key, t in COLUMNS) + "}"


def _structure(t: Any) -> Any:
    if t in ("string", "map"):
        return _json_type(t)
    if t[0] == "array":
        return [_structure(t[1])]
    return {key: _structure(sub) for _, key, sub in t[1]}


def structure() -> dict[str, Any]:
    """The structure of one record for DuckDB's ``json_transform`` (camelCase keys, missing -> NULL), as a dict."""
    return {key: _structure(t) for _, key, t in COLUMNS}


def json_structure(st: dict[str, Any] | None = None) -> str:
    """``structure()`` (or ``st``) as the SQL text of ``json_transform``'s structure argument."""
    import json

    return json.dumps(structure() if st is None else st).replace("'", "''")


def record_struct_type() -> str:
    """The DuckDB type of one record, for a ``{"Records": [...]}`` file read whole."""
    return "STRUCT(" + ", ".join(f"{_q(key)} {_json_type(t)}" for _, key, t in COLUMNS) + ")"


def _expr(src: str, t: Any) -> str:
    """DuckDB expression renaming a camelCase value of type ``t`` to Athena's lower-case field names."""
    if t in ("string", "map"):
        return src
    if t[0] == "array":
        return f"list_transform({src}, lambda x: {_expr('x', t[1])})"
    inner = ", ".join(f"{name} := {_expr(f'{src}.{_q(key)}', sub)}" for name, key, sub in t[1])
    return f"CASE WHEN {src} IS NULL THEN NULL ELSE struct_pack({inner}) END"


def select_list(prefix: str = "") -> str:
    """``SELECT`` items giving Athena's columns from read_json's camelCase ones (``prefix`` e.g. ``r.``)."""
    return ", ".join(f"{_expr(prefix + _q(key), t)} AS {name}" for name, key, t in COLUMNS)


def _ddl_type(t: Any, indent: str) -> str:
    if t == "string":
        return "STRING"
    if t == "map":
        return "MAP<STRING,STRING>"
    if t[0] == "array":
        return f"ARRAY<{_ddl_type(t[1], indent)}>"
    inner = f",\n{indent}  ".join(f"{name}: {_ddl_type(sub, indent + '  ')}" for name, _, sub in t[1])
    return f"STRUCT<\n{indent}  {inner}>"


def athena_ddl(*, table: str, bucket: str, prefix: str = "", account_id: str, org_id: str | None = None,
               projection_start: str = "2020/01/01", regions: list[str] | None = None) -> str:
    """CREATE EXTERNAL TABLE for a trail's bucket with partition projection on region and day (Athena user guide,
    "Create the table for CloudTrail logs in Athena using partition projection"), with the current columns."""
    base = f"s3://{bucket}/" + (prefix.strip("/") + "/" if prefix.strip("/") else "") + "AWSLogs/"
    base += (f"{org_id}/" if org_id else "") + f"{account_id}/CloudTrail"
    cols = ",\n".join(f"  {name} {_ddl_type(t, '  ')}" for name, _, t in COLUMNS)
    region_prop = ("'projection.region.type'='enum',\n  'projection.region.values'='" + ",".join(regions) + "'"
                   if regions else "'projection.region.type'='injected'")
    return (
        f"CREATE EXTERNAL TABLE {table} (\n{cols}\n)\n"
        "PARTITIONED BY (\n  `region` string,\n  `timestamp` string\n)\n"
        "ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'\n"
        "STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'\n"
        "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n"
        f"LOCATION '{base}'\n"
        "TBLPROPERTIES (\n"
        "  'projection.enabled'='true',\n"
        f"  {region_prop},\n"
        "  'projection.timestamp.type'='date',\n"
        "  'projection.timestamp.format'='yyyy/MM/dd',\n"
        f"  'projection.timestamp.range'='{projection_start},NOW',\n"
        "  'projection.timestamp.interval'='1',\n"
        "  'projection.timestamp.interval.unit'='DAYS',\n"
        f"  'storage.location.template'='{base}/${{region}}/${{timestamp}}'\n)"
    )


# The Athena (Trino) -> DuckDB translation is shared with the Config snapshot table (engines/athena_sql.py).
from awsmon.engines.athena_sql import MACROS, QueryError, _first_line, joda_to_strftime, translate  # noqa: E402,F401
