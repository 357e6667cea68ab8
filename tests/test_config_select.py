"""SelectResourceConfig's SQL subset: the pure engine (with properties) and the command on the local account."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awsmon.engines.config_select import QueryError, parse, run
from tests.conftest import Cli

ITEMS = [
    {"resourceId": "i-1", "resourceType": "AWS::EC2::Instance", "awsRegion": "us-east-1",
     "configuration": {"instanceType": "t3.micro", "cpu": 2, "blockDeviceMappings": [{"deviceName": "/dev/xvda"}]},
     "tags": [{"key": "env", "value": "prod", "tag": "env=prod"}]},
    {"resourceId": "i-2", "resourceType": "AWS::EC2::Instance", "awsRegion": "us-east-1",
     "configuration": {"instanceType": "m5.large", "cpu": 4, "blockDeviceMappings": []}, "tags": []},
    {"resourceId": "b-1", "resourceType": "AWS::S3::Bucket", "awsRegion": "eu-west-1",
     "configuration": {"name": "b-1"}, "tags": [{"key": "env", "value": "dev", "tag": "env=dev"}]},
]  # fmt: skip


def _q(sql: str, items: list[dict[str, Any]] = ITEMS) -> list[dict[str, Any]]:
    return run(parse(sql), items)[1]


def test_select_projection_and_where() -> None:
    assert _q("SELECT resourceId, configuration.instanceType WHERE resourceType = 'AWS::EC2::Instance'") == [
        {"resourceId": "i-1", "configuration": {"instanceType": "t3.micro"}},
        {"resourceId": "i-2", "configuration": {"instanceType": "m5.large"}},
    ]
    assert [r["resourceId"] for r in _q("SELECT resourceId WHERE configuration.cpu > 2")] == ["i-2"]
    assert [r["resourceId"] for r in _q("SELECT resourceId WHERE configuration.cpu BETWEEN 1 AND 3")] == ["i-1"]
    assert [r["resourceId"] for r in _q("SELECT resourceId WHERE resourceId LIKE 'i-%'")] == ["i-1", "i-2"]
    assert [r["resourceId"] for r in _q("SELECT resourceId WHERE resourceType IN ('AWS::S3::Bucket')")] == ["b-1"]
    assert [r["resourceId"] for r in _q("SELECT resourceId WHERE tags.tag = 'env=prod'")] == ["i-1"]
    assert [r["resourceId"] for r in _q("SELECT resourceId WHERE tags.key = 'env' AND NOT tags.value = 'dev'")] == ["i-1"]
    assert [r["resourceId"] for r in _q("SELECT resourceId WHERE awsRegion = 'eu-west-1' OR configuration.cpu = 4")] == ["i-2", "b-1"]
    assert [r["resourceId"] for r in _q("select resourceId where resourceType != 'AWS::S3::Bucket' and "
                                        "(configuration.cpu < 3 or configuration.cpu >= 4)")] == ["i-1", "i-2"]  # fmt: skip
    assert _q("SELECT configuration.blockDeviceMappings.deviceName WHERE resourceId = 'i-1'") == [
        {"configuration": {"blockDeviceMappings": [{"deviceName": "/dev/xvda"}]}}]


def test_aggregates_group_order_limit() -> None:
    assert _q("SELECT COUNT(*)") == [{"COUNT(*)": 3}]
    assert _q("SELECT resourceType, COUNT(*) GROUP BY resourceType ORDER BY COUNT(*) DESC") == [
        {"resourceType": "AWS::EC2::Instance", "COUNT(*)": 2}, {"resourceType": "AWS::S3::Bucket", "COUNT(*)": 1}]
    assert _q("SELECT awsRegion, SUM(configuration.cpu), MAX(configuration.cpu) GROUP BY awsRegion ORDER BY awsRegion") == [
        {"awsRegion": "eu-west-1", "SUM(configuration.cpu)": None, "MAX(configuration.cpu)": None},
        {"awsRegion": "us-east-1", "SUM(configuration.cpu)": 6, "MAX(configuration.cpu)": 4}]
    assert _q("SELECT resourceId ORDER BY resourceId DESC LIMIT 2") == [{"resourceId": "i-2"}, {"resourceId": "i-1"}]


@pytest.mark.parametrize(("sql", "message"), [
    ("", "empty"),
    ("SELECT", "expected a field"),
    ("SELECT resourceId FROM x", "no FROM clause"),
    ("SELECT resourceId WHERE", "expected a field"),
    ("SELECT resourceId WHERE resourceId ~ 'x'", "unexpected character '~'"),
    ("SELECT resourceId WHERE resourceId = ", "expected a value"),
    ("SELECT resourceId, COUNT(*)", "must appear in GROUP BY"),
    ("SELECT resourceId GROUP BY resourceId", "needs an aggregate"),
    ("SELECT resourceId LIMIT x", "LIMIT needs a whole number"),
    ("SELECT SUM(*)", "only COUNT(*)"),
])  # fmt: skip
def test_parse_errors(sql: str, message: str) -> None:
    with pytest.raises(QueryError, match=message.replace("(", r"\(").replace(")", r"\)").replace("*", r"\*")):
        parse(sql)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("SELCTWHRGOUPBYDINAK resourcId,.()*'=<>!%0123")), max_size=70))
def test_parser_never_crashes(sql: str) -> None:
    try:
        q = parse(sql)
    except QueryError:
        return
    try:
        run(q, ITEMS)
    except QueryError:
        pass


_items = st.lists(st.fixed_dictionaries({"resourceId": st.text("abc", min_size=1, max_size=3),
                                         "resourceType": st.sampled_from(["T1", "T2"]),
                                         "configuration": st.fixed_dictionaries({"n": st.integers(-3, 3)})}),
                  max_size=12)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(_items, st.integers(-3, 3), st.sampled_from(["=", "!=", "<", "<=", ">", ">="]))
def test_where_and_count_agree_with_python(items: list[dict[str, Any]], n: int, op: str) -> None:
    py = {"=": lambda a: a == n, "!=": lambda a: a != n, "<": lambda a: a < n, "<=": lambda a: a <= n,
          ">": lambda a: a > n, ">=": lambda a: a >= n}[op]  # fmt: skip
    expected = [i["resourceId"] for i in items if py(i["configuration"]["n"])]
    got = [r["resourceId"] for r in _q(f"SELECT resourceId WHERE configuration.n {op} {n}", items)]
    assert got == expected
    assert _q(f"SELECT COUNT(*) WHERE configuration.n {op} {n}", items) == [{"COUNT(*)": len(expected)}]
    grouped = _q("SELECT resourceType, COUNT(*) GROUP BY resourceType ORDER BY resourceType", items)
    assert grouped == [{"resourceType": t, "COUNT(*)": sum(1 for i in items if i["resourceType"] == t)}
                       for t in sorted({i["resourceType"] for i in items})]  # fmt: skip


def test_select_resource_config_command(pinned: Cli) -> None:
    pinned.ok("config", "put-configuration-recorder", "--all-supported")
    pinned.ok("config", "put-delivery-channel", "--s3-bucket-name", "config-bucket")
    pinned.ok("config", "start-recording")
    for name, days in (("/a", "7"), ("/b", "30"), ("/c", "365")):
        pinned.ok("logs", "create-group", "--name", name)
        pinned.ok("logs", "put-retention", "--group", name, "--days", days)
    data = pinned.json("config", "select-resource-config", "SELECT resourceId, configuration.retentionInDays WHERE "
                       "resourceType = 'AWS::Logs::LogGroup' AND configuration.retentionInDays < 100 ORDER BY resourceId")  # fmt: skip
    assert data["Results"] == [{"resourceId": "/a", "configuration": {"retentionInDays": 7}},
                               {"resourceId": "/b", "configuration": {"retentionInDays": 30}}]  # fmt: skip
    assert data["QueryInfo"]["SelectFields"] == [{"Name": "resourceId"}, {"Name": "configuration.retentionInDays"}]
    page = pinned.json("config", "select-resource-config", "SELECT resourceId WHERE resourceType = 'AWS::Logs::LogGroup'",
                       "--limit", "2")  # fmt: skip
    assert len(page["Results"]) == 2
    table = pinned("config", "select-resource-config", "SELECT resourceType, COUNT(*) GROUP BY resourceType")
    assert table.exit_code == 0 and "AWS::Logs::LogGroup" in table.stdout and "3" in table.stdout
    res = pinned("config", "select-resource-config", "SELECT resourceId FROM resources")
    assert res.exit_code == 2 and "InvalidExpressionException: Invalid query: SelectResourceConfig queries have no FROM" in res.stderr
    assert json.loads(pinned("config", "select-resource-config", "SELECT COUNT(*) WHERE resourceId = 'none'", "-o",
                             "json").stdout)["Results"] == [{"COUNT(*)": 0}]  # fmt: skip


# -- outside probe ----------------------------------------------------------------------------------------------------
def _like_by_regex(value: str, pattern: str) -> bool:
    import re

    rx = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, value, re.DOTALL | re.IGNORECASE) is not None


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="abA%_", max_size=8), st.text(alphabet="ab%_A", max_size=7))
def test_like_agrees_with_its_regex(value: str, pattern: str) -> None:
    from awsmon.engines.config_select import _like

    assert _like(value, pattern) == _like_by_regex(value, pattern)


def test_like_takes_linear_time() -> None:
    """40 '%' before an 'a' made the regex backtrack for minutes on a 100,000-character value that does not match."""
    import time

    items = [{"resourceId": "x" * 100_000, "resourceType": "AWS::S3::Bucket"}]
    t0 = time.process_time()
    assert _q("SELECT resourceId WHERE resourceId LIKE '" + "%" * 40 + "a'", items) == []
    assert _q("SELECT COUNT(*) WHERE resourceId LIKE '%x%x%x%x%x%x%x%x%x%x%y'", items) == [{"COUNT(*)": 0}]
    assert time.process_time() - t0 < 2


def test_select_limits_and_aggregator_names(pinned: Cli) -> None:
    res = pinned("config", "select-resource-config", "SELECT resourceId", "--limit", "-1")
    assert res.exit_code == 2 and ("InvalidLimitException: Value '-1' at 'limit' failed to satisfy constraint: Member "
                                   "must have value greater than or equal to 0") in res.stderr  # fmt: skip
    # an empty aggregator name was the account's own SelectResourceConfig (exit 0)
    res = pinned("config", "select-aggregate-resource-config", "SELECT resourceId", "--configuration-aggregator-name", "")
    assert res.exit_code == 2 and ("ValidationException: 1 validation error detected: Value '' at "
                                   "'configurationAggregatorName' failed to satisfy constraint: Member must have length "
                                   "greater than or equal to 1") in res.stderr  # fmt: skip
