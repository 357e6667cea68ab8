"""trail lookup: the LookupEvents simulator contract (cloudtrail.md §1.4), awsmon's extensions, and the invictus data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import Cli, shared_path, trail_bucket


@pytest.fixture
def invictus(pinned: Cli) -> Cli:
    pinned.ok("trail", "import", str(shared_path("datasets", "cloudtrail", "invictus")))
    return pinned


def _count(cli: Cli, *args: str) -> int:
    return len(cli.json("trail", "lookup", *args)["Events"])


def _golden(cli: Cli, *args: str) -> int:
    """Counts over the imported data only (lookups are recorded too, as LookupEvents calls, at the clock's time)."""
    return _count(cli, *args, "--end", "2024-01-01T00:00:00Z")


def test_golden_counts_per_attribute(invictus: Cli) -> None:
    assert _golden(invictus, "--event-name", "Decrypt") == 178
    assert _golden(invictus, "--event-name", "DescribeRouteTables") == 163
    assert _golden(invictus, "--read-only", "false") == 574
    assert _golden(invictus, "--read-only", "TRUE") == 2326
    assert _golden(invictus, "--lookup-attributes", "AttributeKey=EventSource,AttributeValue=ec2.amazonaws.com") == 892
    assert _golden(invictus, "--lookup-attribute", "EventSource=iam.amazonaws.com") == 398
    # Several attributes are ANDed (beyond the API's single attribute).
    both = _golden(invictus, "--event-source", "kms.amazonaws.com", "--event-name", "Decrypt")
    assert both == 178
    assert _golden(invictus, "--event-source", "iam.amazonaws.com", "--event-name", "Decrypt") == 0
    # --match: a CloudWatch Logs filter pattern on each record.
    assert _golden(invictus, "--match", '{ $.errorCode = "ThrottlingException" }') == 102
    assert _golden(invictus, "--match", '{ $.errorCode = "AccessDenied" }', "--event-source", "s3.amazonaws.com") <= 16
    total = _golden(invictus, "--start", "2023-07-10T11:00:00Z", "--end", "2023-07-10T13:00:00Z")
    assert total == 2900


def test_newest_first_time_bounds_and_raw_records(invictus: Cli) -> None:
    events = invictus.json("trail", "lookup", "--event-name", "GetUser")["Events"]
    keys = [(e["EventTime"], e["EventId"]) for e in events]
    assert keys == sorted(keys, reverse=True) and len(events) == 130
    assert all(e["awsmonOrigin"] == "import" for e in events)
    some = invictus.json("trail", "lookup", "--event-name", "GetUser", "--start", "2023-07-10T12:00:00Z",
                         "--end", "2023-07-10T12:10:00Z")["Events"]  # fmt: skip
    assert some and all("2023-07-10T12:00:00Z" <= e["EventTime"] <= "2023-07-10T12:10:00Z" for e in some)
    recs = invictus.json("trail", "lookup", "--event-name", "ConsoleLogin", "--records")["Records"]
    assert recs and all(r["eventName"] == "ConsoleLogin" and "userIdentity" in r for r in recs)
    typeless = invictus.json("trail", "lookup", "--match", '{ $.eventType = "AwsServiceEvent" }', "--records")
    assert len(typeless["Records"]) == 42


def test_pagination_is_deterministic_and_token_bound(invictus: Cli) -> None:
    first = invictus.json("trail", "lookup", "--event-name", "Decrypt", "--max-results", "50")
    assert len(first["Events"]) == 50 and first["NextToken"]
    seen = [e["EventId"] for e in first["Events"]]
    token = first["NextToken"]
    while token:
        page = invictus.json("trail", "lookup", "--event-name", "Decrypt", "--max-results", "50", "--next-token", token)
        seen += [e["EventId"] for e in page["Events"]]
        token = page.get("NextToken")
    assert len(seen) == len(set(seen)) == 178
    # Mid-page limits resume exactly where they stopped.
    a = invictus.json("trail", "lookup", "--event-name", "Decrypt", "--max-results", "7", "--match", '{ $.readOnly IS TRUE }')
    b = invictus.json("trail", "lookup", "--event-name", "Decrypt", "--max-results", "7", "--match", '{ $.readOnly IS TRUE }',
                      "--next-token", a["NextToken"])  # fmt: skip
    assert not {e["EventId"] for e in a["Events"]} & {e["EventId"] for e in b["Events"]}
    res = invictus("trail", "lookup", "--event-name", "GetUser", "--next-token", first["NextToken"])
    assert res.exit_code == 2 and "InvalidNextTokenException" in res.stderr


def test_api_contract_errors(ctx) -> None:  # type: ignore[no-untyped-def]
    from awsmon.errors import ServiceError

    client = ctx.client("cloudtrail")
    bad = [
        ({"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "a"},
                               {"AttributeKey": "Username", "AttributeValue": "b"}]}, "InvalidLookupAttributesException"),
        ({"LookupAttributes": [{"AttributeKey": "eventName", "AttributeValue": "a"}]}, "InvalidLookupAttributesException"),
        ({"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "_" * 1001}]}, "InvalidLookupAttributesException"),
        ({"LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": "x"}], "EventCategory": "insight"},
         "InvalidLookupAttributesException"),
        ({"MaxResults": 51}, "InvalidMaxResultsException"),
        ({"MaxResults": 0}, "InvalidMaxResultsException"),
        ({"EventCategory": "data"}, "InvalidEventCategoryException"),
        ({"NextToken": "garbage"}, "InvalidNextTokenException"),
    ]  # fmt: skip
    for params, code in bad:
        with pytest.raises(ServiceError) as exc:
            client.lookup_events(**params)
        assert exc.value.code == code, params
    from datetime import UTC, datetime

    with pytest.raises(ServiceError) as exc:
        client.lookup_events(StartTime=datetime(2026, 2, 1, tzinfo=UTC), EndTime=datetime(2026, 1, 1, tzinfo=UTC))
    assert exc.value.code == "InvalidTimeRangeException"
    ok = client.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "_" * 1000}])
    assert ok["Events"] == []
    # Each failed call was itself recorded (success or not), with its error code.
    failed = client.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "LookupEvents"}])
    codes = {json.loads(e["CloudTrailEvent"]).get("errorCode") for e in failed["Events"]}
    assert "InvalidMaxResultsException" in codes


def test_ninety_day_window_for_local_events_not_imported(pinned: Cli, tmp_path: Path) -> None:
    pinned.ok("trail", "describe")
    rec = {"Records": [{"eventTime": "2026-11-20T11:00:00Z", "eventName": "DescribeTrails", "eventID": "imp-1",
                        "eventSource": "cloudtrail.amazonaws.com", "awsRegion": "us-east-1", "readOnly": True}]}  # fmt: skip
    f = tmp_path / "one.json"
    f.write_text(json.dumps(rec))
    pinned.ok("trail", "import", str(f))
    assert _count(pinned, "--event-name", "DescribeTrails") == 2
    pinned.ok("account", "clock", "advance", "89d")
    assert _count(pinned, "--event-name", "DescribeTrails") == 2
    pinned.ok("account", "clock", "advance", "2d")
    events = pinned.json("trail", "lookup", "--event-name", "DescribeTrails")["Events"]
    assert [e["EventId"] for e in events] == ["imp-1"]  # the local event aged out; the imported one stays


def test_unknown_attribute_and_bad_values_are_usage_errors(pinned: Cli) -> None:
    res = pinned("trail", "lookup", "--lookup-attribute", "Colour=blue")
    assert res.exit_code == 2 and res.stderr.startswith("awsmon: error: unknown lookup attribute 'Colour'")
    res = pinned("trail", "lookup", "--lookup-attributes", "AttributeKey=EventName")
    assert res.exit_code == 2
    res = pinned("trail", "lookup", "--event-category", "data")
    assert res.exit_code == 2
    res = pinned("trail", "lookup", "--match", "{ $.x = ")
    assert res.exit_code == 2 and "--match" in res.stderr


def test_resource_lookup_and_username(pinned: Cli) -> None:
    pinned.ok("trail", "create", "--name", "res-trail", "--s3-new-bucket", "res-bucket")
    arn = "arn:aws:cloudtrail:us-east-1:123456789012:trail/res-trail"
    by_arn = pinned.json("trail", "lookup", "--resource-name", arn)["Events"]
    by_name = pinned.json("trail", "lookup", "--resource-name", "res-trail")["Events"]
    assert [e["EventName"] for e in by_arn] == ["CreateTrail"] == [e["EventName"] for e in by_name]
    assert by_arn[0]["Resources"] == [{"ResourceType": "AWS::CloudTrail::Trail", "ResourceName": arn}]
    typed = pinned.json("trail", "lookup", "--resource-type", "AWS::CloudTrail::Trail", "--username", "awsmon")
    assert [e["EventName"] for e in typed["Events"]] == ["CreateTrail"]
    role = "arn:aws:iam::123456789012:role/Deployer"
    pinned.ok("trail", "describe", env={"AWSMON_PRINCIPAL": role, "AWSMON_ROLE_SESSION_NAME": "ci-run"})
    assert [e["EventName"] for e in pinned.json("trail", "lookup", "--username", "ci-run")["Events"]] == ["DescribeTrails"]


@given(key=st.sampled_from(["EventName", "eventname", "Username", "ResourceName"]),
       value=st.text(min_size=1, max_size=40).filter(lambda v: "," not in v and not v.startswith("Attribute")))  # fmt: skip
def test_parse_lookup_attribute_forms(key: str, value: str) -> None:
    from awsmon.services.trail import parse_lookup_attribute

    short = parse_lookup_attribute(f"{key}={value}")
    long = parse_lookup_attribute(f"AttributeKey={key},AttributeValue={value}")
    assert short == long and short[1] == value and short[0].lower() == key.lower()


@given(pairs=st.lists(st.tuples(st.sampled_from(["EventName", "username", "ResourceName"]), st.text(min_size=1, max_size=30)),
                     min_size=1, max_size=3))  # fmt: skip
def test_parse_lookup_attributes_aws_cli_json_form(pairs: list[tuple[str, str]]) -> None:
    import json

    from awsmon.services.trail import canonical_key, parse_lookup_attributes

    text = json.dumps([{"AttributeKey": k, "AttributeValue": v} for k, v in pairs])
    assert parse_lookup_attributes(text) == [(canonical_key(k), v) for k, v in pairs]


def test_lookup_attributes_json_through_the_cli(pinned: Cli) -> None:
    pinned.ok("trail", "create", "--name", "json-attr", "--s3-new-bucket", "json-bucket")
    got = pinned.json("trail", "lookup", "--lookup-attributes", '[{"AttributeKey":"EventName","AttributeValue":"CreateTrail"}]')
    assert [e["EventName"] for e in got["Events"]] == ["CreateTrail"]
    for bad in ('[{"AttributeKey":"EventName"}]', '[{"AttributeKey":"Colour","AttributeValue":"x"}]', "[{", "ReadOnly=yes"):
        res = pinned("trail", "lookup", "--lookup-attributes", bad)
        assert res.exit_code == 2 and res.stderr.count("\n") == 1 and res.stderr.startswith("awsmon: error: ")
    res = pinned("trail", "lookup", "--read-only", "maybe")
    assert res.exit_code == 2 and "use true or false" in res.stderr
    assert pinned.json("trail", "lookup", "--read-only", "FALSE")["Events"]


def test_parse_lookup_attribute_value_with_commas() -> None:
    from awsmon.services.trail import parse_lookup_attribute

    assert parse_lookup_attribute("AttributeKey=ResourceName,AttributeValue=a,b=c") == ("ResourceName", "a,b=c")
    assert parse_lookup_attribute("AttributeValue=x,y,AttributeKey=Username") == ("Username", "x,y")


@pytest.mark.parametrize("key", ["EventId", "EventName", "ReadOnly", "Username", "EventSource", "AccessKeyId",
                                 "ResourceName", "ResourceType", None])  # fmt: skip
def test_every_lookup_uses_an_index_not_a_scan(ctx, key: str | None) -> None:  # type: ignore[no-untyped-def]
    from awsmon.backends.local.cloudtrail import lookup_sql

    store = ctx.store()
    pairs = [] if key is None else [(key, "x")]
    sql, args = lookup_sql("us-east-1", None, 10**9, 0, 2 * 10**12, 0, pairs, (10**12, "id"))
    plan = " | ".join(str(r[3]) for r in store.conn.execute("EXPLAIN QUERY PLAN " + sql, [*args, 51]))
    assert "SCAN e" not in plan and "SCAN events" not in plan, plan
    assert "INDEX" in plan, plan
    several = lookup_sql("us-east-1", None, 10**9, None, None, 0, [("EventName", "a"), ("Username", "b")], None)
    plan = " | ".join(str(r[3]) for r in store.conn.execute("EXPLAIN QUERY PLAN " + several[0], [*several[1], 51]))
    assert "SCAN" not in plan.replace("SCAN r", ""), plan


def test_pacer_backs_off_on_throttling(monkeypatch: pytest.MonkeyPatch) -> None:
    from awsmon.errors import ServiceError

    sleeps: list[float] = []
    calls = {"n": 0}

    def flaky(**kw: object) -> dict[str, object]:
        calls["n"] += 1
        if calls["n"] < 3:
            raise ServiceError("ThrottlingException", "Rate exceeded")
        return {"Events": []}

    from awsmon.backends import ratelimit

    monkeypatch.setattr(ratelimit.time, "sleep", lambda s: sleeps.append(s))
    bucket = ratelimit.TokenBucket(2.0, burst=1)
    assert ratelimit.call_with_backoff(flaky, bucket, attempts=6, first_delay=1.0) == {"Events": []}
    assert calls["n"] == 3 and 1.0 in sleeps and 2.0 in sleeps
    with pytest.raises(ServiceError):
        ratelimit.call_with_backoff(lambda **kw: (_ for _ in ()).throw(ServiceError("AccessDeniedException", "no")), bucket)


def test_resume_token_is_bound_stable_and_not_shifted_by_new_events(pinned: Cli) -> None:
    trail_bucket(pinned, "tok-bucket")
    pinned.ok("account", "clock", "advance", "1m")  # the bucket's calls are older than every trail call
    for i in range(6):
        pinned.ok("trail", "create", "--name", f"tok-{i}", "--s3-bucket-name", "tok-bucket")
        pinned.ok("trail", "delete", "--name", f"tok-{i}")
    pinned.ok("account", "clock", "advance", "1m")
    every = [e["EventId"] for e in pinned.json("trail", "lookup", "--read-only", "false", "--match",
                                               '{ $.eventName = "*Trail" }')["Events"]]  # not the bucket's calls
    assert len(every) == 12
    # Mid-page (--match filters client-side): the next page starts right after the last event printed, even though
    # this very lookup and the next one record new LookupEvents events at the top of the history.
    args = ("trail", "lookup", "--read-only", "false", "--match", '{ $.eventName = "*Trail" }', "--max-results", "5")
    first = pinned.json(*args)
    second = pinned.json(*args, "--next-token", first["NextToken"])
    third = pinned.json(*args, "--next-token", second["NextToken"])
    got = [e["EventId"] for page in (first, second, third) for e in page["Events"]]
    assert got == every and "NextToken" not in third
    # The token belongs to its query: other options are refused, not silently mis-paged.
    for other in (("--read-only", "true"), ("--match", '{ $.eventName = "CreateTrail" }')):
        res = pinned("trail", "lookup", *other, "--max-results", "5", "--next-token", first["NextToken"])
        assert res.exit_code == 2 and "InvalidNextTokenException" in res.stderr and res.stderr.count("\n") == 1
    # A relative --start means the same on every page, even when the clock has moved between the calls.
    page1 = pinned.json("trail", "lookup", "--read-only", "false", "--start", "1h", "--max-results", "4")
    pinned.ok("account", "clock", "advance", "10m")
    page2 = pinned.json("trail", "lookup", "--read-only", "false", "--start", "1h", "--max-results", "4",
                        "--next-token", page1["NextToken"])  # fmt: skip
    assert [e["EventId"] for e in page1["Events"] + page2["Events"]] == every[:8]


class _FakeAwsCloudTrail:
    """LookupEvents as AWS pages it: one attribute, newest first, 50 per page, opaque page tokens."""

    def __init__(self, events: list[dict[str, object]]) -> None:
        self.events, self.sent = events, []  # type: ignore[var-annotated]

    def lookup_events(self, *, MaxResults: int, LookupAttributes: list[dict[str, str]] | None = None,
                      NextToken: str | None = None, **kw: object) -> dict[str, object]:  # fmt: skip
        self.sent.append(LookupAttributes)
        (attr,) = LookupAttributes or [{"AttributeKey": "", "AttributeValue": ""}]
        match = [e for e in self.events if not attr["AttributeKey"] or e[attr["AttributeKey"]] == attr["AttributeValue"]]
        start = int(NextToken or 0)
        out: dict[str, object] = {"Events": match[start : start + MaxResults]}
        if start + MaxResults < len(match):
            out["NextToken"] = str(start + MaxResults)
        return out


class _FakeAwsCtx:
    is_local = False

    def __init__(self, client: _FakeAwsCloudTrail) -> None:
        self._client = client

    def client(self, name: str) -> _FakeAwsCloudTrail:
        return self._client

    def backend(self) -> object:
        return type("B", (), {"region": "us-east-1"})()

    def parse_time(self, text: str) -> object:
        from datetime import UTC, datetime

        return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_aws_backend_sends_the_most_selective_attribute_and_resumes_across_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    from awsmon.backends import ratelimit
    from awsmon.services import trail

    monkeypatch.setattr(ratelimit.time, "sleep", lambda s: None)
    events = [{"EventId": f"e{i:03d}", "EventName": "GetUser" if i % 3 else "ListUsers", "Username": f"u{i % 2}",
               "CloudTrailEvent": json.dumps({"errorCode": "AccessDenied"} if i % 5 == 0 else {})}
              for i in range(130)]  # fmt: skip
    fake = _FakeAwsCloudTrail(events)
    ctx = _FakeAwsCtx(fake)
    kw = {"attributes": [("EventName", "GetUser"), ("Username", "u1")], "match": '{ $.errorCode = "AccessDenied" }'}
    want = [e["EventId"] for e in events if e["EventName"] == "GetUser" and e["Username"] == "u1"
            and "AccessDenied" in str(e["CloudTrailEvent"])]  # fmt: skip
    assert trail.lookup(ctx, **kw)["Events"] == [e for e in events if e["EventId"] in want]  # type: ignore[arg-type]
    assert {a[0]["AttributeKey"] for a in fake.sent} == {"Username"}  # Username is more selective than EventName
    got: list[str] = []
    token = None
    for _ in range(20):
        page = trail.lookup(ctx, max_results=2, next_token=token, **kw)  # type: ignore[arg-type]
        got += [e["EventId"] for e in page["Events"]]
        token = page.get("NextToken")
        if not token:
            break
    assert got == want and len(want) > 4
