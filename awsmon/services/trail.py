"""awsmon trail: what the commands mean, for both backends (CloudTrail API names through ``ctx.client``).

Lookup goes beyond LookupEvents: several attributes are ANDed (local backend: in the SQL query; aws backend: the
most selective one is sent to LookupEvents and the others are checked client-side), ``--match`` applies a
CloudWatch Logs filter pattern to each record, and ``records=True`` returns the raw CloudTrail records.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from awsmon.context import AppContext
from awsmon.errors import ServiceError, UsageError
from awsmon.services import compact

LOOKUP_KEYS = ("EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource", "AccessKeyId")
# Most selective first (cloudtrail.md §7.2): this one goes to the API when several are given on the aws backend.
SELECTIVITY = ("EventId", "AccessKeyId", "ResourceName", "Username", "EventName", "ResourceType", "EventSource", "ReadOnly")
GLOBAL_SOURCES = ("iam.amazonaws.com", "sts.amazonaws.com", "cloudfront.amazonaws.com", "signin.amazonaws.com")
LOOKUP_TPS = 2.0  # LookupEvents quota per account and region (not adjustable)


def cloudtrail(ctx: AppContext) -> Any:
    return ctx.client("cloudtrail")


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


def parse_lookup_attributes(text: str) -> list[tuple[str, str]]:
    """One ``--lookup-attributes`` value: ``Key=Value``, the shorthand, or aws-cli's JSON list (or one object)."""
    if not text.lstrip().startswith(("[", "{")):
        return [parse_lookup_attribute(text)]
    from awsmon.inputs import loads_json

    data = loads_json(text, "--lookup-attributes")
    items = data if isinstance(data, list) else [data]
    out: list[tuple[str, str]] = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("AttributeKey"), str) \
                or not isinstance(item.get("AttributeValue"), str) or not item["AttributeValue"]:  # fmt: skip
            raise UsageError(f"invalid --lookup-attributes item {json.dumps(item)}: expected "
                             '{"AttributeKey": "EventName", "AttributeValue": "CreateTrail"}')  # fmt: skip
        out.append((canonical_key(item["AttributeKey"]), item["AttributeValue"]))
    return out


# ----------------------------------------------------------------------------------------------------------------
# Trails


def _bool_params(**kw: Any) -> dict[str, Any]:
    return {k: v for k, v in kw.items() if v is not None}


def cloudtrail_bucket_policy(bucket: str, account: str, prefix: str | None = None, organization: bool = False) -> str:
    """The bucket policy CloudTrail needs, as ``aws cloudtrail create-subscription`` writes it on a new bucket:
    ``cloudtrail.amazonaws.com`` may read the bucket ACL and put objects (``bucket-owner-full-control``) under
    ``[prefix/]AWSLogs/<account>/`` — every trail of the account, or under ``AWSLogs/`` for an organization trail,
    whose member accounts write under ``AWSLogs/<organization id>/``."""
    logs = f"arn:aws:s3:::{bucket}/{prefix.strip('/') + '/' if prefix else ''}AWSLogs/{'' if organization else account + '/'}*"
    principal = {"Service": "cloudtrail.amazonaws.com"}
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "AWSCloudTrailAclCheck20150319", "Effect": "Allow", "Principal": principal, "Action": "s3:GetBucketAcl",
         "Resource": f"arn:aws:s3:::{bucket}"},
        {"Sid": "AWSCloudTrailWrite20150319", "Effect": "Allow", "Principal": principal, "Action": "s3:PutObject",
         "Resource": logs, "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}]})  # fmt: skip


def new_trail_bucket(ctx: AppContext, bucket: str, prefix: str | None = None, organization: bool = False,
                     create: bool = True) -> None:  # fmt: skip
    """Create ``bucket`` in the current Region with CloudTrail's bucket policy (``--s3-new-bucket``; the demo and
    labs make their trail buckets so; ``create=False`` only writes the policy)."""
    backend = ctx.backend()
    s3 = ctx.client("s3")
    region = str(backend.region)
    if create:
        location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=bucket, **location)
    s3.put_bucket_policy(Bucket=bucket, Policy=cloudtrail_bucket_policy(bucket, str(backend.account_id), prefix,
                                                                        organization))  # fmt: skip


def create_trail(ctx: AppContext, *, name: str, bucket: str, prefix: str | None = None, multi_region: bool | None = None,
                 validation: bool | None = None, include_global: bool | None = None, log_group_arn: str | None = None,
                 role_arn: str | None = None, kms_key_id: str | None = None, sns_topic: str | None = None,
                 organization: bool | None = None, new_bucket: bool = False) -> dict[str, Any]:  # fmt: skip
    """CreateTrail; ``new_bucket`` first creates the bucket with CloudTrail's policy (aws-cli's create-subscription
    ``--s3-new-bucket``), as CreateTrail refuses a bucket that is missing or whose policy does not let CloudTrail in."""
    params = _bool_params(Name=name, S3BucketName=bucket, S3KeyPrefix=prefix, IsMultiRegionTrail=multi_region,
                          EnableLogFileValidation=validation, IncludeGlobalServiceEvents=include_global,
                          CloudWatchLogsLogGroupArn=_log_group_arn(ctx, log_group_arn), CloudWatchLogsRoleArn=role_arn,
                          KmsKeyId=kms_key_id, SnsTopicName=sns_topic, IsOrganizationTrail=organization)  # fmt: skip
    if not new_bucket:
        return dict(cloudtrail(ctx).create_trail(**params))
    new_trail_bucket(ctx, bucket, prefix, bool(organization))
    try:
        return dict(cloudtrail(ctx).create_trail(**params))
    except Exception:
        ctx.client("s3").delete_bucket(Bucket=bucket)  # a refused trail leaves no bucket behind (it is empty)
        raise


def _log_group_arn(ctx: AppContext, value: str | None) -> str | None:
    """Accept a log group name as well as its ARN (``--cloud-watch-logs-log-group``)."""
    if value is None or value.startswith("arn:"):
        return value
    account = ctx.backend().account_id
    region = ctx.local_region() if ctx.is_local else ctx.backend().region
    return f"arn:aws:logs:{region}:{account}:log-group:{value}:*"


def update_trail(ctx: AppContext, *, name: str, bucket: str | None = None, prefix: str | None = None,
                 multi_region: bool | None = None, validation: bool | None = None, include_global: bool | None = None,
                 log_group_arn: str | None = None, role_arn: str | None = None, kms_key_id: str | None = None,
                 organization: bool | None = None) -> dict[str, Any]:  # fmt: skip
    params = _bool_params(Name=name, S3BucketName=bucket, S3KeyPrefix=prefix, IsMultiRegionTrail=multi_region,
                          EnableLogFileValidation=validation, IncludeGlobalServiceEvents=include_global,
                          CloudWatchLogsLogGroupArn=_log_group_arn(ctx, log_group_arn), CloudWatchLogsRoleArn=role_arn,
                          KmsKeyId=kms_key_id, IsOrganizationTrail=organization)  # fmt: skip
    return dict(cloudtrail(ctx).update_trail(**params))


def delete_trail(ctx: AppContext, name: str) -> dict[str, Any]:
    cloudtrail(ctx).delete_trail(Name=name)
    return {}


def describe_trails(ctx: AppContext, names: list[str] | None = None, include_shadow: bool = True) -> dict[str, Any]:
    params = compact(includeShadowTrails=include_shadow, trailNameList=names or None)
    trails = cloudtrail(ctx).describe_trails(**params).get("trailList", [])
    if names:  # as AWS: only the trails named (by name or ARN); some endpoints (moto) ignore the list
        trails = [t for t in trails if t.get("Name") in names or t.get("TrailARN") in names]
    return {"trailList": trails}


def list_trails(ctx: AppContext) -> dict[str, Any]:
    """ListTrails, every page: the trails visible in the region (multi-region trails of other home regions too)."""
    from awsmon.backends import paginate

    return {"Trails": list(paginate(cloudtrail(ctx).list_trails, "Trails"))}


def get_status(ctx: AppContext, name: str) -> dict[str, Any]:
    out = dict(cloudtrail(ctx).get_trail_status(Name=name))
    out.pop("ResponseMetadata", None)
    return out


def start_logging(ctx: AppContext, name: str) -> dict[str, Any]:
    cloudtrail(ctx).start_logging(Name=name)
    return {}


def stop_logging(ctx: AppContext, name: str) -> dict[str, Any]:
    cloudtrail(ctx).stop_logging(Name=name)
    return {}


def get_event_selectors(ctx: AppContext, name: str) -> dict[str, Any]:
    out = dict(cloudtrail(ctx).get_event_selectors(TrailName=name))
    out.pop("ResponseMetadata", None)
    return out


def _json_arg(text: str, what: str) -> Any:
    """A JSON document given inline or as ``file://path`` (aws-cli style) or ``@path``."""
    from awsmon.inputs import read_json_arg

    return read_json_arg(text, what, at_path=True)


def _selector_list(value: Any, what: str) -> list[dict[str, Any]]:
    """A JSON list of selector objects (one object alone is taken as a list of one)."""
    items = [value] if isinstance(value, dict) else value
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise UsageError(f"invalid {what}: expected a JSON list of selector objects, got {json.dumps(value)[:80]}")
    return items


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
        params["EventSelectors"] = _selector_list(_json_arg(basic, "--event-selectors"), "--event-selectors")
    if advanced is not None:
        params["AdvancedEventSelectors"] = _selector_list(_json_arg(advanced, "--advanced-event-selectors"),
                                                          "--advanced-event-selectors")  # fmt: skip
    if "EventSelectors" in params and "AdvancedEventSelectors" in params:
        raise UsageError("give either --event-selectors or --advanced-event-selectors, not both")
    if len(params) == 1:
        raise UsageError("give --event-selectors, --advanced-event-selectors or --management-events")
    out = dict(cloudtrail(ctx).put_event_selectors(**params))
    out.pop("ResponseMetadata", None)
    return out


def list_public_keys(ctx: AppContext, start: str | None = None, end: str | None = None) -> dict[str, Any]:
    params = compact(StartTime=ctx.parse_time(start) if start else None, EndTime=ctx.parse_time(end) if end else None)
    keys = cloudtrail(ctx).list_public_keys(**params).get("PublicKeyList", [])
    return {"PublicKeyList": keys}


# ----------------------------------------------------------------------------------------------------------------
# Lookup


def _event_matches(ev: dict[str, Any], key: str, value: str) -> bool:
    if key in ("ResourceName", "ResourceType"):
        return any(r.get(key) == value for r in ev.get("Resources") or [])
    got = ev.get(key)
    if key == "ReadOnly":
        return str(got).lower() == value.lower()
    return got == value


class _Resume:
    """awsmon's NextToken: the API token of the page to read, the last event already printed (the marker), the
    query it belongs to (a hash of the options as typed), and the absolute time bounds of the first call, so that
    relative times (``--start 24h``) mean the same on every page and events recorded meanwhile never shift a page.
    """

    def __init__(self, api_token: str | None, marker: str, query: str, start: str | None, end: str | None) -> None:
        self.api_token, self.marker, self.query, self.start, self.end = api_token, marker, query, start, end

    def encode(self) -> str:
        raw = json.dumps({"t": self.api_token, "m": self.marker, "h": self.query, "s": self.start, "e": self.end},
                         separators=(",", ":")).encode()  # fmt: skip
        import base64

        return "awsmon:" + base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str, query: str) -> _Resume:
        if not token.startswith("awsmon:"):
            return cls(token, "", query, None, None)  # LookupEvents' own token (e.g. from aws-cli)
        import base64

        try:
            d = json.loads(base64.urlsafe_b64decode(token[7:].encode() + b"==").decode())
            out = cls(d.get("t"), str(d["m"]), str(d["h"]), d.get("s"), d.get("e"))
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise ServiceError("InvalidNextTokenException", "The NextToken is not valid.") from None
        if out.query != query:
            raise ServiceError("InvalidNextTokenException", "The NextToken is not valid for these parameters.")
        return out


def _query_hash(attrs: list[tuple[str, str]], start: str | None, end: str | None, category: str | None,
                match: str | None) -> str:  # fmt: skip
    import zlib  # not hashlib: its OpenSSL start costs ~3 ms, and the hash only tells a reused token from its query

    text = json.dumps([sorted(attrs), start, end, category and category.lower(), match])
    return f"{zlib.crc32(text.encode()):08x}"


def lookup(ctx: AppContext, *, attributes: list[tuple[str, str]] | None = None, start: str | None = None,
           end: str | None = None, category: str | None = None, max_results: int | None = None,
           next_token: str | None = None, match: str | None = None, records: bool = False,
           on_warning: Callable[[str], None] | None = None) -> dict[str, Any]:  # fmt: skip
    """LookupEvents with several attributes, a filter pattern, and all pages unless ``max_results`` is given.

    With ``max_results`` the result holds at most that many events and a NextToken when more exist: an ``awsmon:``
    token (see :class:`_Resume`) bound to the options as typed. A plain LookupEvents token is accepted too.
    """
    attrs = list(dict.fromkeys(attributes or []))
    for key, value in attrs:
        if key == "ReadOnly" and value.lower() not in ("true", "false"):
            # LookupEvents compares the text and would silently find nothing.
            raise UsageError(f"invalid ReadOnly value {value!r}: use true or false")
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
    client = cloudtrail(ctx)
    query = _query_hash(attrs, start, end, category, match)
    token = _Resume.decode(next_token, query) if next_token else None
    params: dict[str, Any] = {}
    if token is not None and token.start:
        params["StartTime"] = datetime.fromisoformat(token.start)
    elif start:
        params["StartTime"] = ctx.parse_time(start)
    if token is not None and token.end:
        params["EndTime"] = datetime.fromisoformat(token.end)
    elif end:
        params["EndTime"] = ctx.parse_time(end)
    bounds = tuple(params[k].isoformat() if k in params else None for k in ("StartTime", "EndTime"))
    if category:
        params["EventCategory"] = "insight"
    client_side: list[tuple[str, str]] = []
    if ctx.is_local:
        call = client.lookup_events if len(attrs) <= 1 else client.lookup_events_all
        if attrs:
            params["LookupAttributes"] = [{"AttributeKey": k, "AttributeValue": v} for k, v in attrs]
    else:
        from awsmon.backends.ratelimit import TokenBucket, call_with_backoff

        bucket = TokenBucket(LOOKUP_TPS, burst=1)  # LookupEvents: 2 requests/s per account and region

        def call(**kw: Any) -> dict[str, Any]:
            return dict(call_with_backoff(client.lookup_events, bucket, attempts=6, first_delay=1.0, max_delay=16.0, **kw))

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
    api_token = token.api_token if token is not None else None
    marker = token.marker if token is not None else ""
    out_events: list[dict[str, Any]] = []
    resume: str | None = None
    while True:
        kw = dict(params, MaxResults=page_size)
        if api_token:
            kw["NextToken"] = api_token
        page = call(**kw)
        events = list(page.get("Events") or [])
        new_token = page.get("NextToken")
        if marker:
            # Resume after the last event printed; it can sit further down when newer events were recorded since.
            idx = next((i for i, ev in enumerate(events) if ev.get("EventId") == marker), None)
            if idx is None:
                if not new_token or new_token == api_token:
                    raise ServiceError("InvalidNextTokenException",
                                       "The NextToken is not valid: the event it resumes after is gone.")  # fmt: skip
                api_token = new_token
                continue
            events = events[idx + 1 :]
            marker = ""
        for i, ev in enumerate(events):
            if client_side and not all(_event_matches(ev, k, v) for k, v in client_side):
                continue
            if matcher is not None and not matcher.matches(str(ev.get("CloudTrailEvent") or "")):
                continue
            out_events.append(ev)
            if max_results is not None and len(out_events) >= max_results:
                if i + 1 < len(events):
                    resume = _Resume(api_token, str(ev.get("EventId")), query, *bounds).encode()
                elif new_token:
                    resume = _Resume(new_token, "", query, *bounds).encode()
                break
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


def _bucket_exists(ctx: AppContext, bucket: str) -> bool:
    try:
        ctx.client("s3").head_bucket(Bucket=bucket)
    except ServiceError:
        return False
    return True


def demo_step(ctx: AppContext) -> list[str]:
    """Idempotently: a bucket + trail ``awsmon-demo`` with log-file validation, logging, a few calls.

    [design choice] Delivery is driven by the simulated clock: with a pinned clock the demo advances it by 2 hours
    so log files and digests exist; with a real-time clock it leaves delivery to the scheduler (files appear as
    time passes, on the next awsmon command after each 5-minute tick / hour).
    """
    client = cloudtrail(ctx)
    names = {t["Name"] for t in client.describe_trails(trailNameList=["awsmon-demo"]).get("trailList", [])}
    if "awsmon-demo" not in names:
        bucket = f"awsmon-demo-{ctx.store().account_id}"
        new_trail_bucket(ctx, bucket, create=not _bucket_exists(ctx, bucket))  # the demo's own bucket
        client.create_trail(Name="awsmon-demo", S3BucketName=bucket, EnableLogFileValidation=True,
                            IsMultiRegionTrail=True)  # fmt: skip
    if not client.get_trail_status(Name="awsmon-demo").get("IsLogging"):
        client.start_logging(Name="awsmon-demo")
    client.get_event_selectors(TrailName="awsmon-demo")
    client.describe_trails()
    store = ctx.store()
    if store.clock_row()["mode"] == "pinned" and "LatestDigestDeliveryTime" not in client.get_trail_status(Name="awsmon-demo"):
        from datetime import timedelta

        store.advance_clock(timedelta(minutes=65))  # past the first 5-minute delivery and the first hourly digest
        ctx.run_catch_up()
    # The sample logs shipped in the package: real events to look up (idempotent by eventID).
    from awsmon.samples import cloudtrail_path
    from awsmon.services.trail_import import import_paths

    import_paths(ctx, [str(cloudtrail_path())])
    return [
        "awsmon trail lookup --event-name CreateTrail",
        "awsmon trail validate-digest --trail awsmon-demo",
        "awsmon trail lookup --event-name ConsoleLogin --start 2023-07-10 --end 2023-07-11   # from the imported samples",
        'awsmon trail import "$(awsmon demo --samples-path)"      # the shipped samples: done by the demo, again adds none',
    ]

