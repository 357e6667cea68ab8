"""The service-principal policy check shared by CloudTrail, Logs export and Lambda subscriptions."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from awsmon.engines.resource_policy import glob_match, service_allowed

BUCKET = "arn:aws:s3:::logs"
TRAIL = "arn:aws:cloudtrail:us-east-1:123456789012:trail/t"


def _policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(**kw: object) -> dict:
    return {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
            "Resource": f"{BUCKET}/AWSLogs/*", **kw}  # fmt: skip


def test_principal_action_and_resource_must_all_match() -> None:
    p = _policy(_allow())
    assert service_allowed(p, "cloudtrail.amazonaws.com", "s3:PutObject", f"{BUCKET}/AWSLogs/1/x")
    assert service_allowed(p, "cloudtrail.amazonaws.com", "S3:PUTOBJECT", f"{BUCKET}/AWSLogs/1/x")  # actions: any case
    assert not service_allowed(p, "logs.amazonaws.com", "s3:PutObject", f"{BUCKET}/AWSLogs/1/x")
    assert not service_allowed(p, "cloudtrail.amazonaws.com", "s3:GetBucketAcl", BUCKET)
    assert not service_allowed(p, "cloudtrail.amazonaws.com", "s3:PutObject", f"{BUCKET}/other/x")
    assert not service_allowed(p, "cloudtrail.amazonaws.com", "s3:PutObject", f"{BUCKET}/awslogs/x")  # case-sensitive


def test_wildcards_lists_and_an_explicit_deny() -> None:
    anyone = _policy({"Effect": "Allow", "Principal": "*", "Action": ["s3:Get*", "s3:Put?bject"], "Resource": "*"})
    assert service_allowed(anyone, "cloudtrail.amazonaws.com", "s3:PutObject", f"{BUCKET}/k")
    assert service_allowed(anyone, "cloudtrail.amazonaws.com", "s3:GetBucketAcl", BUCKET)
    denied = _policy(_allow(), {**_allow(), "Effect": "Deny"})
    assert not service_allowed(denied, "cloudtrail.amazonaws.com", "s3:PutObject", f"{BUCKET}/AWSLogs/x")
    assert not service_allowed({}, "cloudtrail.amazonaws.com", "s3:PutObject", f"{BUCKET}/AWSLogs/x")
    assert not service_allowed({"Statement": "nonsense"}, "x", "s3:PutObject", BUCKET)
    regional = _policy({**_allow(), "Principal": {"Service": ["logs.us-east-1.amazonaws.com"]}})
    assert service_allowed(regional, ("logs.amazonaws.com", "logs.us-east-1.amazonaws.com"), "s3:PutObject",
                           f"{BUCKET}/AWSLogs/x")  # fmt: skip


def test_conditions_are_evaluated_against_the_request_context() -> None:
    p = _policy(_allow(Condition={"StringEquals": {"aws:SourceArn": TRAIL, "s3:x-amz-acl": "bucket-owner-full-control"}}))
    ctx = {"aws:SourceArn": TRAIL, "s3:x-amz-acl": "bucket-owner-full-control"}
    key = f"{BUCKET}/AWSLogs/x"
    assert service_allowed(p, "cloudtrail.amazonaws.com", "s3:PutObject", key, ctx)
    assert service_allowed(p, "cloudtrail.amazonaws.com", "s3:PutObject", key, {k.upper(): v for k, v in ctx.items()})
    assert not service_allowed(p, "cloudtrail.amazonaws.com", "s3:PutObject", key, {**ctx, "aws:SourceArn": TRAIL + "2"})
    assert not service_allowed(p, "cloudtrail.amazonaws.com", "s3:PutObject", key, {"aws:SourceArn": TRAIL})  # key absent
    assert service_allowed(p, "cloudtrail.amazonaws.com", "s3:PutObject", key, None)  # conditions ignored
    like = _policy(_allow(Condition={"ArnLike": {"aws:SourceArn": "arn:aws:cloudtrail:*:123456789012:trail/*"},
                                     "StringNotEqualsIfExists": {"aws:SourceAccount": "999999999999"}}))  # fmt: skip
    assert service_allowed(like, "cloudtrail.amazonaws.com", "s3:PutObject", key, {"aws:SourceArn": TRAIL})
    assert not service_allowed(like, "cloudtrail.amazonaws.com", "s3:PutObject", key,
                               {"aws:SourceArn": TRAIL, "aws:SourceAccount": "999999999999"})  # fmt: skip
    odd = _policy(_allow(Condition={"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}))
    assert not service_allowed(odd, "cloudtrail.amazonaws.com", "s3:PutObject", key, ctx)  # unsupported: fails


@given(st.text(alphabet="ab.[]:/", max_size=10), st.lists(st.tuples(st.integers(0, 10), st.integers(0, 3),
                                                                   st.sampled_from("*?")), max_size=3))  # fmt: skip
def test_glob_is_iam_star_and_question_mark_only(value: str, cuts: list[tuple[int, int, str]]) -> None:
    """A value always matches itself with some characters turned into ``?`` or runs into ``*`` ([ ] are literal),
    and a pattern without wildcards matches only itself."""
    pattern = value
    for at, _, wild in cuts:  # "?" first: a later "*" may swallow one, never the other way round
        if wild == "?" and at < len(pattern):
            pattern = pattern[:at] + "?" + pattern[at + 1 :]
    for at, length, wild in cuts:
        if wild == "*":
            at = min(at, len(pattern))
            pattern = pattern[:at] + "*" + pattern[at + length :]
    assert glob_match(pattern, value)
    assert glob_match(value, value) and not glob_match(value, value + "x") and not glob_match(value + "x", value)
    assert glob_match("*", value)
