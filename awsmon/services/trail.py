"""awsmon trail: what the commands mean, for both backends (CloudTrail API names through ``ctx.client``).

Lookup goes beyond LookupEvents: several attributes are ANDed (local backend: in the SQL query; aws backend: the
most selective one is sent to LookupEvents and the others are checked client-side), ``--match`` applies a
CloudWatch Logs filter pattern to each record, and ``records=True`` returns the raw CloudTrail records.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

from awsmon.context import AppContext
from awsmon.errors import ServiceError, UsageError

LOOKUP_KEYS = ("EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource", "AccessKeyId")
# Most selective first (cloudtrail.md §7.2): this one goes to the API when several are given on the aws backend.
SELECTIVITY = ("EventId", "AccessKeyId", "ResourceName", "Username", "EventName", "ResourceType", "EventSource", "ReadOnly")
GLOBAL_SOURCES = ("iam.amazonaws.com", "sts.amazonaws.com", "cloudfront.amazonaws.com", "signin.amazonaws.com")
LOOKUP_TPS = 2.0  # LookupEvents quota per account and region (not adjustable)


def canonical_key(key: str) -> str:
    for k in LOOKUP_KEYS:
        if k.lower() == key.strip().lower():
            return k
    raise UsageError(f"unknown lookup attribute {key!r}: use one of {', '.join(LOOKUP_KEYS)}")


def parse_lookup_attribute(text: str) -> tuple[str, str]:
    """``Key=Value`` or aws-cli's ``AttributeKey=K,AttributeValue=V``."""
    if text.startswith("AttributeKey=") or text.startswith("AttributeValue="):
        parts: dict[str, str] = {}
        rest = text
        # AttributeValue may contain commas: split only on ",AttributeKey=" / ",AttributeValue=".
        for name in ("AttributeKey", "AttributeValue"):
            marker = f"{name}="
            idx = rest.find(marker)
            if idx < 0:
                raise UsageError(f"invalid --lookup-attributes value {text!r}: expected AttributeKey=K,AttributeValue=V")
            other = "AttributeValue=" if name == "AttributeKey" else "AttributeKey="
            end = rest.find("," + other, idx)
            parts[name] = rest[idx + len(marker) : end if end >= 0 and end > idx else len(rest)]
        return canonical_key(parts["AttributeKey"]), parts["AttributeValue"]
    if "=" not in text:
        raise UsageError(f"invalid lookup attribute {text!r}: expected Key=Value (e.g. EventName=CreateTrail)")
    key, _, value = text.partition("=")
    if not value:
        raise UsageError(f"invalid lookup attribute {text!r}: the value is empty")
    return canonical_key(key), value


# ----------------------------------------------------------------------------------------------------------------
# Trails


def _bool_params(**kw: Any) -> dict[str, Any]:
    return {k: v for k, v in kw.items() if v is not None}


def create_trail(ctx: AppContext, *, name: str, bucket: str, prefix: str | None = None, multi_region: bool | None = None,
                 validation: bool | None = None, include_global: bool | None = None, log_group_arn: str | None = None,
                 role_arn: str | None = None, kms_key_id: str | None = None, sns_topic: str | None = None) -> dict[str, Any]:  # fmt: skip
    params = _bool_params(Name=name, S3BucketName=bucket, S3KeyPrefix=prefix, IsMultiRegionTrail=multi_region,
                          EnableLogFileValidation=validation, IncludeGlobalServiceEvents=include_global,
                          CloudWatchLogsLogGroupArn=_log_group_arn(ctx, log_group_arn), CloudWatchLogsRoleArn=role_arn,
                          KmsKeyId=kms_key_id, SnsTopicName=sns_topic)  # fmt: skip
    return dict(ctx.client("cloudtrail").create_trail(**params))


def _log_group_arn(ctx: AppContext, value: str | None) -> str | None:
    """Accept a log group name as well as its ARN (``--cloud-watch-logs-log-group``)."""
    if value is None or value.startswith("arn:"):
        return value
    account = ctx.backend().account_id
    region = ctx.local_region() if ctx.is_local else ctx.backend().region
    return f"arn:aws:logs:{region}:{account}:log-group:{value}:*"


def update_trail(ctx: AppContext, *, name: str, bucket: str | None = None, prefix: str | None = None,
                 multi_region: bool | None = None, validation: bool | None = None, include_global: bool | None = None,
                 log_group_arn: str | None = None, role_arn: str | None = None, kms_key_id: str | None = None) -> dict[str, Any]:  # fmt: skip
    params = _bool_params(Name=name, S3BucketName=bucket, S3KeyPrefix=prefix, IsMultiRegionTrail=multi_region,
                          EnableLogFileValidation=validation, IncludeGlobalServiceEvents=include_global,
                          CloudWatchLogsLogGroupArn=_log_group_arn(ctx, log_group_arn), CloudWatchLogsRoleArn=role_arn,
                          KmsKeyId=kms_key_id)  # fmt: skip
    return dict(ctx.client("cloudtrail").update_trail(**params))


def delete_trail(ctx: AppContext, name: str) -> dict[str, Any]:
    ctx.client("cloudtrail").delete_trail(Name=name)
    return {}


def describe_trails(ctx: AppContext, names: list[str] | None = None, include_shadow: bool = True) -> dict[str, Any]:
    params: dict[str, Any] = {"includeShadowTrails": include_shadow}
    if names:
        params["trailNameList"] = names
    return {"trailList": ctx.client("cloudtrail").describe_trails(**params).get("trailList", [])}


def get_status(ctx: AppContext, name: str) -> dict[str, Any]:
    out = dict(ctx.client("cloudtrail").get_trail_status(Name=name))
    out.pop("ResponseMetadata", None)
    return out


def start_logging(ctx: AppContext, name: str) -> dict[str, Any]:
    ctx.client("cloudtrail").start_logging(Name=name)
    return {}


def stop_logging(ctx: AppContext, name: str) -> dict[str, Any]:
    ctx.client("cloudtrail").stop_logging(Name=name)
    return {}


def get_event_selectors(ctx: AppContext, name: str) -> dict[str, Any]:
    out = dict(ctx.client("cloudtrail").get_event_selectors(TrailName=name))
    out.pop("ResponseMetadata", None)
    return out


def _json_arg(text: str, what: str) -> Any:
    """A JSON document given inline or as ``file://path`` (aws-cli style) or ``@path``."""
    from pathlib import Path

    if text.startswith("file://") or text.startswith("@"):
        path = Path(text[7:] if text.startswith("file://") else text[1:])
        try:
            text = path.read_text()
        except OSError as exc:
            raise UsageError(f"cannot read {what} file {path}: {exc.strerror}") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise UsageError(f"invalid {what} JSON: {exc}") from None


def put_event_selectors(ctx: AppContext, name: str, *, basic: str | None = None, advanced: str | None = None,
                        management: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Basic selectors (JSON), advanced selectors (JSON), or the shortcut ``management=all|read|write|none``."""
    params: dict[str, Any] = {"TrailName": name}
    if management is not None:
        rw = {"all": "All", "read": "ReadOnly", "write": "WriteOnly", "none": "All"}.get(management.lower())
        if rw is None:
            raise UsageError(f"invalid --management-events {management!r}: use all, read, write or none")
        params["EventSelectors"] = [{"ReadWriteType": rw, "IncludeManagementEvents": management.lower() != "none"}]
    if basic is not None:
        params["EventSelectors"] = _json_arg(basic, "--event-selectors")
    if advanced is not None:
        params["AdvancedEventSelectors"] = _json_arg(advanced, "--advanced-event-selectors")
    if "EventSelectors" in params and "AdvancedEventSelectors" in params:
        raise UsageError("give either --event-selectors or --advanced-event-selectors, not both")
    if len(params) == 1:
        raise UsageError("give --event-selectors, --advanced-event-selectors or --management-events")
    out = dict(ctx.client("cloudtrail").put_event_selectors(**params))
    out.pop("ResponseMetadata", None)
    return out


def list_public_keys(ctx: AppContext, start: str | None = None, end: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if start:
        params["StartTime"] = ctx.parse_time(start)
    if end:
        params["EndTime"] = ctx.parse_time(end)
    keys = ctx.client("cloudtrail").list_public_keys(**params).get("PublicKeyList", [])
    return {"PublicKeyList": keys}


# ----------------------------------------------------------------------------------------------------------------
# Lookup


class _Pacer:
    """Client-side pacing at LookupEvents' 2 requests/s, with backoff when AWS still throttles."""

    def __init__(self, tps: float) -> None:
        self.interval = 1.0 / tps
        self.last = 0.0

    def call(self, fn: Callable[..., dict[str, Any]], **params: Any) -> dict[str, Any]:
        delay = 1.0
        for attempt in range(6):
            wait = self.last + self.interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self.last = time.monotonic()
            try:
                return fn(**params)
            except ServiceError as exc:
                if exc.code not in ("ThrottlingException", "Throttling", "TooManyRequestsException") or attempt == 5:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 16.0)
        raise AssertionError("unreachable")


def _event_matches(ev: dict[str, Any], key: str, value: str) -> bool:
    if key in ("ResourceName", "ResourceType"):
        return any(r.get(key) == value for r in ev.get("Resources") or [])
    got = ev.get(key)
    if key == "ReadOnly":
        return str(got).lower() == value.lower()
    return got == value


def _encode_resume(api_token: str | None, skip: int) -> str:
    raw = json.dumps({"t": api_token, "k": skip}, separators=(",", ":")).encode()
    return "awsmon:" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_resume(token: str) -> tuple[str | None, int]:
    if not token.startswith("awsmon:"):
        return token, 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token[7:].encode() + b"==").decode())
        return data.get("t"), int(data["k"])
    except (ValueError, KeyError, TypeError):
        raise ServiceError("InvalidNextTokenException", "The NextToken is not valid.") from None


def lookup(ctx: AppContext, *, attributes: list[tuple[str, str]] | None = None, start: str | None = None,
           end: str | None = None, category: str | None = None, max_results: int | None = None,
           next_token: str | None = None, match: str | None = None, records: bool = False,
           on_warning: Callable[[str], None] | None = None) -> dict[str, Any]:  # fmt: skip
    """LookupEvents with several attributes, a filter pattern, and all pages unless ``max_results`` is given.

    With ``max_results`` the result holds at most that many events and a NextToken when more exist. The token is
    LookupEvents' own when the page ended on an API page boundary, else an ``awsmon:`` token that resumes mid-page.
    """
    attrs = list(dict.fromkeys(attributes or []))
    if category is not None and category.lower() != "insight":
        raise UsageError(f"invalid --event-category {category!r}: the only category is insight")
    if max_results is not None and max_results < 1:
        raise UsageError("--max-results must be at least 1")
    matcher = None
    if match:
        from awsmon.engines.filterpattern import compile_pattern
        from awsmon.engines.filterpattern_errors import FilterPatternError

        try:
            matcher = compile_pattern(match)
        except FilterPatternError as exc:
            raise UsageError(f"invalid --match filter pattern: {exc}") from None
    client = ctx.client("cloudtrail")
    params: dict[str, Any] = {}
    if start:
        params["StartTime"] = ctx.parse_time(start)
    if end:
        params["EndTime"] = ctx.parse_time(end)
    if category:
        params["EventCategory"] = "insight"
    client_side: list[tuple[str, str]] = []
    if ctx.is_local:
        call = client.lookup_events if len(attrs) <= 1 else client.lookup_events_all
        if attrs:
            params["LookupAttributes"] = [{"AttributeKey": k, "AttributeValue": v} for k, v in attrs]
    else:
        pacer = _Pacer(LOOKUP_TPS)

        def call(**kw: Any) -> dict[str, Any]:
            return pacer.call(client.lookup_events, **kw)

        if attrs:
            first = min(attrs, key=lambda kv: SELECTIVITY.index(kv[0]))
            params["LookupAttributes"] = [{"AttributeKey": first[0], "AttributeValue": first[1]}]
            client_side = [kv for kv in attrs if kv != first]
    region = ctx.local_region() if ctx.is_local else ctx.backend().region
    if on_warning and region != "us-east-1" and any(k == "EventSource" and v in GLOBAL_SOURCES for k, v in attrs):
        on_warning(f"events of global services (IAM, STS, CloudFront, sign-in) are recorded in us-east-1, not {region}: "
                   "add --region us-east-1")  # fmt: skip
    filtered = bool(client_side or matcher)
    page_size = 50 if (max_results is None or filtered) else min(max_results, 50)
    api_token, skip = _decode_resume(next_token) if next_token else (None, 0)
    out_events: list[dict[str, Any]] = []
    resume: str | None = None
    while True:
        kw = dict(params, MaxResults=page_size)
        if api_token:
            kw["NextToken"] = api_token
        page = call(**kw)
        events = list(page.get("Events") or [])
        new_token = page.get("NextToken")
        for i, ev in enumerate(events):
            if i < skip:
                continue
            if client_side and not all(_event_matches(ev, k, v) for k, v in client_side):
                continue
            if matcher is not None and not matcher.matches(str(ev.get("CloudTrailEvent") or "")):
                continue
            out_events.append(ev)
            if max_results is not None and len(out_events) >= max_results:
                if i + 1 < len(events):
                    resume = _encode_resume(api_token, i + 1)
                elif new_token:
                    resume = new_token
                break
        skip = 0
        if resume is not None or (max_results is not None and len(out_events) >= max_results):
            break
        if not new_token or new_token == api_token:
            break
        api_token = new_token
    result: dict[str, Any]
    if records:
        result = {"Records": [json.loads(ev["CloudTrailEvent"]) for ev in out_events if ev.get("CloudTrailEvent")]}
    else:
        result = {"Events": out_events}
    if resume:
        result["NextToken"] = resume
    return result


def iter_all_events(ctx: AppContext, **kw: Any) -> Iterator[dict[str, Any]]:
    yield from lookup(ctx, **kw)["Events"]


# ----------------------------------------------------------------------------------------------------------------
# Demo


def demo_step(ctx: AppContext) -> list[str]:
    """Idempotently: a bucket + trail ``awsmon-demo`` with log-file validation, logging, a few calls.

    [design choice] Delivery is driven by the simulated clock: with a pinned clock the demo advances it by 2 hours
    so log files and digests exist; with a real-time clock it leaves delivery to the scheduler (files appear as
    time passes, on the next awsmon command after each 5-minute tick / hour).
    """
    client = ctx.client("cloudtrail")
    names = {t["Name"] for t in client.describe_trails(trailNameList=["awsmon-demo"]).get("trailList", [])}
    if "awsmon-demo" not in names:
        client.create_trail(Name="awsmon-demo", S3BucketName=f"awsmon-demo-{ctx.store().account_id}",
                            EnableLogFileValidation=True, IsMultiRegionTrail=True)  # fmt: skip
    if not client.get_trail_status(Name="awsmon-demo").get("IsLogging"):
        client.start_logging(Name="awsmon-demo")
    client.get_event_selectors(TrailName="awsmon-demo")
    client.describe_trails()
    store = ctx.store()
    if store.clock_row()["mode"] == "pinned" and "LatestDigestDeliveryTime" not in client.get_trail_status(Name="awsmon-demo"):
        from datetime import timedelta

        store.advance_clock(timedelta(minutes=65))  # past the first 5-minute delivery and the first hourly digest
        ctx.run_catch_up()
    return [
        "awsmon trail lookup --event-name CreateTrail",
        "awsmon trail validate-digest --trail awsmon-demo",
        "awsmon trail import ../shared/datasets/cloudtrail/invictus",
    ]

