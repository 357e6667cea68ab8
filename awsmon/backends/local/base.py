"""What every local service shares: CloudTrail recording of each call, transactions, validation helpers.

A local service method is declared with :func:`api`; the decorator runs it, records one CloudTrail event whether
it succeeded or failed (``local-account.md``, "CloudTrail recording"), and returns the boto3-shaped response.
Writes run in one transaction with their record; a failed write is rolled back but its record is kept.
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from awsmon import __version__
from awsmon.backends.local import facts
from awsmon.backends.local.store import AccountStore
from awsmon.errors import ServiceError

F = TypeVar("F", bound=Callable[..., Any])

_READ_PREFIXES = ("Describe", "Get", "List", "Lookup", "Filter", "Test", "Head", "Select", "BatchGet")
EVENT_VERSION = "1.11"


def is_read_only(op_name: str) -> bool:
    return op_name.startswith(_READ_PREFIXES)


def api(
    op_name: str, *, read_only: bool | None = None, category: str = "Management", prepare: str | None = None
) -> Callable[[F], F]:
    """Mark a method as the local implementation of the AWS operation ``op_name``.

    ``prepare`` names a method called with the request's parameters before the write transaction opens: slow,
    pure work (evaluating metric filters) done there never holds the account's write lock. It must not raise and
    must not write; the operation itself still validates everything and may ignore what it prepared.
    """

    def deco(fn: F) -> F:
        ro = is_read_only(op_name) if read_only is None else read_only

        @functools.wraps(fn)
        def wrapper(self: LocalService, **params: Any) -> Any:
            if prepare is not None:
                getattr(self, prepare)(params)
            return self._invoke(op_name, ro, category, fn, params)

        wrapper.__awsmon_op__ = op_name  # type: ignore[attr-defined]
        wrapper.__awsmon_read_only__ = is_read_only(op_name)  # type: ignore[attr-defined]  # what facts.Reader allows
        return wrapper  # type: ignore[return-value]

    return deco


def lower_camel(value: Any) -> Any:
    """boto3 parameter names (PascalCase) as CloudTrail writes them in requestParameters (camelCase)."""
    if isinstance(value, Mapping):
        return {(k[:1].lower() + k[1:] if isinstance(k, str) else k): lower_camel(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [lower_camel(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%b %d, %Y, %I:%M:%S %p")  # CloudTrail's rendering of timestamps
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # NaN/Infinity are not JSON: keep what was sent, as text
    return value


def validation_error(value: Any, field: str, constraint: str) -> ServiceError:
    """AWS's ValidationException text for one parameter that fails a constraint."""
    return ServiceError("ValidationException", f"1 validation error detected: Value '{value}' at '{field}' failed to "
                        f"satisfy constraint: {constraint}")  # fmt: skip


def config_camel(value: Any, *, millis: bool = True) -> Any:
    """A Describe* answer (PascalCase) as AWS Config's configuration item holds it: camelCase keys, times as ISO
    text with milliseconds (``millis=False``: ``.000``, as Config writes EC2's launch times)."""
    if isinstance(value, Mapping):
        return {(k[:1].lower() + k[1:]): config_camel(v, millis=millis) for k, v in value.items()}
    if isinstance(value, list):
        return [config_camel(v, millis=millis) for v in value]
    if isinstance(value, datetime):
        text = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
        return (text[:-3] if millis else text[:-6] + "000") + "Z"
    return value


class LocalService:
    """Base class of one simulated AWS service in one Region of one account."""

    service_name = ""  # boto3 client name, e.g. "logs"
    event_source = ""  # e.g. "logs.amazonaws.com"
    global_service = False  # IAM/STS/CloudFront events are recorded in us-east-1
    payload_params: frozenset[str] = frozenset()  # request parameters CloudTrail never records (data payloads)

    def __init__(self, store: AccountStore, region: str) -> None:
        self.store = store
        self.region = region
        self.conn = store.conn

    @property
    def account_id(self) -> str:
        return self.store.account_id

    def now(self) -> datetime:
        return self.store.now()

    def resource_arn(self, resource: str) -> str:
        """This service's ARN of ``resource`` in this Region and account (``queue``, ``log-group:name``, ...)."""
        return f"arn:aws:{self.service_name}:{self.region}:{self.account_id}:{resource}"

    def _invoke(self, op: str, read_only: bool, category: str, fn: Callable[..., Any], params: dict[str, Any]) -> Any:
        store = self.store
        if read_only:
            try:
                result = fn(self, **params)
            except ServiceError as err:
                with store.transaction():
                    self.record(op, params, None, read_only, category, error=err)
                raise
            with store.transaction():
                self.record(op, params, None, read_only, category, resources=self._resources(op, params, result))
            return result
        with store.transaction():
            try:
                with store.transaction():  # savepoint: a failed write leaves nothing behind
                    result = fn(self, **params)
            except ServiceError as err:
                self.record(op, params, None, read_only, category, error=err)
                store.mark_used()
                raise_after = err
            else:
                self.record(op, params, result, read_only, category, resources=self._resources(op, params, result))
                store.mark_used()
                return result
        raise raise_after

    def _resources(self, op: str, params: dict[str, Any], result: Any) -> list[dict[str, str]]:
        """The resources an event names (override per service); used by LookupEvents ResourceName/Type."""
        return []

    def record(
        self,
        op: str,
        params: Mapping[str, Any] | None,
        response: Any,
        read_only: bool,
        category: str = "Management",
        *,
        error: ServiceError | None = None,
        resources: list[dict[str, str]] | None = None,
        event_time: datetime | None = None,
    ) -> dict[str, Any]:
        """Append one CloudTrail record of a call to this service to the account's event history."""
        if params and self.payload_params:
            params = {k: v for k, v in params.items() if k not in self.payload_params}
        principal = self.store.principal()
        when = (event_time or self.now()).astimezone(UTC)
        region = "us-east-1" if self.global_service else self.region
        record: dict[str, Any] = {
            "eventVersion": EVENT_VERSION,
            "userIdentity": principal.user_identity(),
            "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": self.event_source,
            "eventName": op,
            "awsRegion": region,
            "sourceIPAddress": "127.0.0.1",
            "userAgent": f"awsmon/{__version__}",
        }
        if error is not None:
            record["errorCode"] = error.code
            record["errorMessage"] = error.message[:1024]
        record["requestParameters"] = lower_camel(dict(params)) if params else None
        cleaned = _strip_metadata(response)
        record["responseElements"] = None if read_only or error is not None or not cleaned else lower_camel(cleaned)
        record["requestID"] = random_uuid()
        record["eventID"] = random_uuid()
        record["readOnly"] = read_only
        if resources:
            record["resources"] = [
                {"accountId": self.account_id, "type": r.get("type"), "ARN": r.get("ARN")} for r in resources
            ]
        record["eventType"] = "AwsApiCall"
        record["managementEvent"] = category == "Management"
        record["recipientAccountId"] = self.account_id
        record["eventCategory"] = category
        insert_record(self.store, record, lookup_resources=resources)
        facts.emit(self.store, region, "api_call", when=when)
        return record


def named_resource(rtype: str, arn: Callable[[str], str], name: Any) -> list[dict[str, str]]:
    """The one resource an event names (LocalService._resources), when its name is a non-empty string."""
    return [{"type": rtype, "ARN": arn(name), "name": name}] if isinstance(name, str) and name else []


def equal_filters(**columns: Any) -> tuple[list[str], list[Any]]:
    """``column = ?`` conditions and their arguments for the filters a List/Describe call was given (not None)."""
    given = {column: value for column, value in columns.items() if value is not None}
    return [f"{column} = ?" for column in given], list(given.values())


def random_uuid() -> str:
    """``str(uuid.uuid4())`` without importing uuid, which loads platform (~3 ms of every command's start-up)."""
    b = bytearray(os.urandom(16))
    b[6] = b[6] & 0x0F | 0x40  # version 4
    b[8] = b[8] & 0x3F | 0x80  # RFC 4122 variant
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _strip_metadata(response: Any) -> Any:
    if isinstance(response, Mapping):
        return {k: v for k, v in response.items() if k != "ResponseMetadata"}
    return response


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, bytes):
        return None
    return str(value)


def username_of(identity: Mapping[str, Any] | None) -> str | None:
    """LookupEvents' derived ``Username``: userName for IAM users, ``root``, the role-session name for roles."""
    if not identity:
        return None
    kind = identity.get("type")
    if kind == "Root":
        return "root"
    if kind in ("AssumedRole", "FederatedUser"):
        arn = identity.get("arn") or ""
        if "/" in arn:
            return arn.rsplit("/", 1)[-1]
        issuer = (identity.get("sessionContext") or {}).get("sessionIssuer") or {}
        return issuer.get("userName")
    name = identity.get("userName")
    return str(name) if name else None


def insert_record(
    store: AccountStore,
    record: Mapping[str, Any],
    *,
    origin: str = "local",
    lookup_resources: list[dict[str, str]] | None = None,
) -> bool:
    """Insert a CloudTrail record into the event history; False if its eventID is already there."""
    identity = record.get("userIdentity") or {}
    event_time = record.get("eventTime")
    when = datetime.fromisoformat(str(event_time).replace("Z", "+00:00")) if event_time else store.now()
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    read_only = record.get("readOnly")
    ro_text = None if read_only is None else str(read_only).lower()
    category = record.get("eventCategory") or ("Insight" if record.get("insightDetails") else "Management")
    cur = store.conn.execute(
        "INSERT OR IGNORE INTO events (event_id, event_time, region, event_category, event_name, event_source, "
        "read_only, username, access_key_id, origin, record) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (
            record.get("eventID") or random_uuid(),
            int(round(when.timestamp() * 1000)),
            record.get("awsRegion") or store.default_region,
            category,
            record.get("eventName"),
            record.get("eventSource"),
            ro_text,
            username_of(identity),
            identity.get("accessKeyId") or None,
            origin,
            json.dumps(record, separators=(",", ":"), default=_json_default),
        ),
    )
    if cur.rowcount == 0:
        return False
    seq = cur.lastrowid
    resources = lookup_resources
    if resources is None:
        resources = [
            {"type": r.get("type"), "ARN": r.get("ARN") or r.get("arn")}
            for r in (record.get("resources") or [])
            if isinstance(r, Mapping)
        ]
    rows: list[tuple[Any, Any, Any]] = []
    for r in resources:
        # Both the ARN and the plain name are indexed, so --resource-name finds either.
        for name in dict.fromkeys(n for n in (r.get("ARN"), r.get("name")) if n):
            rows.append((seq, r.get("type"), name))
        if not r.get("ARN") and not r.get("name") and r.get("type"):
            rows.append((seq, r.get("type"), None))
    if rows:
        store.conn.executemany(
            "INSERT INTO event_resources (event_seq, resource_type, resource_name) VALUES (?, ?, ?)", rows
        )
    return True
