"""Metrics Insights: the SQL parser (hypothesis), evaluation over the local store, `awsmon metrics query`."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import Cli

Q = 'SELECT AVG(CPUUtilization) FROM SCHEMA("AWS/EC2", InstanceId) GROUP BY InstanceId ORDER BY AVG() DESC LIMIT 10'


def test_parse_full_query() -> None:
    from awsmon.engines.metrics_insights import BoolOp, Cond, Query, parse

    assert parse(Q) == Query("AVG", "CPUUtilization", "AWS/EC2", ("InstanceId",), None, ("InstanceId",),
                             ("AVG", "DESC"), 10)  # fmt: skip
    q = parse("select sum(Requests) from App where Service = 'api' and (Env != 'dev' or Host like 'web-%')")
    assert q.namespace == "App" and q.schema is None and q.function == "SUM"
    assert q.where == BoolOp("AND", Cond("Service", "=", "api"),
                             BoolOp("OR", Cond("Env", "!=", "dev"), Cond("Host", "LIKE", "web-%")))  # fmt: skip


@pytest.mark.parametrize(("sql", "text"), [
    ("SELECT AVG(X)", "expected FROM, found end of query"),
    ("SELECT MEDIAN(X) FROM A", "Unsupported function MEDIAN"),
    ("SELECT AVG(X), SUM(Y) FROM A", "Only one function"),
    ("SELECT AVG(*) FROM A", "FUNC(*) is not supported"),
    ("SELECT AVG(X) FROM A LIMIT 501", "LIMIT must be between 1 and 500"),
    ("SELECT AVG(X) FROM A LIMIT 5 GROUP BY B", "clauses come in the order"),
    ("SELECT AVG(X) FROM A WHERE B IN ('x')", "expected =, != or LIKE"),
    ("SELECT AVG(X) FROM A WHERE B = x", "expected a quoted 'value'"),
    ("SELECT AVG(X) FROM A HAVING 1", "unexpected 'HAVING'"),
    ("", "The query is empty."),
])  # fmt: skip
def test_parse_errors(sql: str, text: str) -> None:
    from awsmon.engines.metrics_insights import MetricsInsightsError, parse

    with pytest.raises(MetricsInsightsError) as exc:
        parse(sql)
    assert text in exc.value.message and exc.value.code == "ValidationError"


_name = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,12}", fullmatch=True).filter(
    lambda s: s.upper() not in {"SELECT", "FROM", "SCHEMA", "WHERE", "AND", "OR", "GROUP", "BY", "ORDER", "ASC",
                                "DESC", "LIMIT", "LIKE", "AVG", "COUNT", "MAX", "MIN", "SUM"})  # fmt: skip
_value = st.text(st.characters(codec="ascii", exclude_characters="'\\\x00"), max_size=12)


@given(func=st.sampled_from(["AVG", "COUNT", "MAX", "MIN", "SUM"]), metric=_name, ns=_name,
       dims=st.lists(_name, max_size=3, unique=True), conds=st.lists(st.tuples(_name, st.sampled_from(["=", "!=", "LIKE"]),
                                                                                _value), max_size=3),
       order=st.none() | st.sampled_from(["ASC", "DESC"]), limit=st.none() | st.integers(1, 500))  # fmt: skip
def test_parse_round_trip(func: str, metric: str, ns: str, dims: list[str], conds: list[tuple[str, str, str]],
                          order: str | None, limit: int | None) -> None:  # fmt: skip
    from awsmon.engines.metrics_insights import matches, parse

    sql = f'SELECT {func}({metric}) FROM SCHEMA("{ns}"{"".join(", " + d for d in dims)})'
    if conds:
        sql += " WHERE " + " AND ".join(f"{d} {op} '{v}'" for d, op, v in conds)
    if dims:
        sql += " GROUP BY " + ", ".join(dims)
    if order:
        sql += f" ORDER BY {func}() {order}"
    if limit:
        sql += f" LIMIT {limit}"
    q = parse(sql)
    assert (q.function, q.metric, q.namespace, q.schema, q.group_by, q.limit) == (func, metric, ns, tuple(dims),
                                                                                 tuple(dims), limit)  # fmt: skip
    assert q.order == ((func, order) if order else None)
    # The WHERE tree accepts exactly the dimension sets that satisfy every condition.
    exact = {d: v for d, op, v in conds if op == "="}
    if exact and all(op == "=" for _, op, _ in conds) and len({d for d, _, _ in conds}) == len(conds):
        assert matches(q.where, exact)


@given(st.text(max_size=60))
def test_parse_never_crashes(sql: str) -> None:
    from awsmon.engines.metrics_insights import MetricsInsightsError, parse

    try:
        parse(sql)
    except MetricsInsightsError:
        pass


def test_evaluate_groups_orders_and_limits() -> None:
    from awsmon.engines.metrics_insights import evaluate, parse

    metrics = [
        ({"InstanceId": "i-1"}, {0.0: (2, 20.0, 5.0, 15.0), 60.0: (1, 30.0, 30.0, 30.0)}),
        ({"InstanceId": "i-2"}, {0.0: (1, 90.0, 90.0, 90.0)}),
        ({"InstanceId": "i-3"}, {0.0: (4, 4.0, 1.0, 1.0)}),
        ({"InstanceId": "i-1", "Other": "x"}, {0.0: (1, 1000.0, 1000.0, 1000.0)}),  # not in SCHEMA(.., InstanceId)
    ]
    out = evaluate(parse(Q.replace("LIMIT 10", "LIMIT 2")), metrics)
    assert [(r.label, r.points) for r in out] == [("i-2", {0.0: 90.0}), ("i-1", {0.0: 10.0, 60.0: 30.0})]
    total = evaluate(parse('SELECT SUM(CPUUtilization) FROM "AWS/EC2"'), metrics)
    assert [(r.label, r.points) for r in total] == [("CPUUtilization", {0.0: 1114.0, 60.0: 30.0})]
    counted = evaluate(parse("SELECT COUNT(C) FROM N WHERE InstanceId != 'i-3' GROUP BY InstanceId ORDER BY MAX() ASC"),
                       metrics)  # fmt: skip
    assert [(r.label, r.points[0.0]) for r in counted] == [("i-2", 1.0), ("i-1", 3.0)]
    liked = evaluate(parse("SELECT MAX(C) FROM N WHERE InstanceId LIKE 'i-_' AND Other = 'x'"), metrics)
    assert [r.points for r in liked] == [{0.0: 1000.0}]


def _put(cli: Cli, instance: str, *values: float) -> None:
    cli.ok("metrics", "put", "-n", "Fleet", "--metric-name", "CPUUtilization", "--values",
           ",".join(str(v) for v in values), "-d", f"InstanceId={instance}")  # fmt: skip


def test_cli_query_local(pinned: Cli) -> None:
    _put(pinned, "i-1", 10, 20)
    _put(pinned, "i-2", 80, 90)
    _put(pinned, "i-3", 50)
    sql = ('SELECT AVG(CPUUtilization) FROM SCHEMA("Fleet", InstanceId) GROUP BY InstanceId '
           "ORDER BY AVG() DESC LIMIT 2")  # fmt: skip
    out = pinned.json("metrics", "query", sql, "--start", "1h", "--end", "in 5m", "--period", "3600")
    assert [(r["Id"], r["Label"], r["Values"]) for r in out["MetricDataResults"]] == [
        ("q1", "i-2", [85.0]), ("q1", "i-3", [50.0])]  # fmt: skip
    table = pinned.ok("metrics", "query", sql, "--start", "1h", "--end", "in 5m", "--period", "3600", "-o", "table")
    assert "i-2" in table.stdout and "85" in table.stdout
    # In GetMetricData beside a MetricStat query (Period from the query).
    q = [{"Id": "m1", "MetricStat": {"Metric": {"Namespace": "Fleet", "MetricName": "CPUUtilization",
                                                "Dimensions": [{"Name": "InstanceId", "Value": "i-1"}]},
                                     "Period": 3600, "Stat": "Maximum"}},
         {"Id": "q", "Expression": 'SELECT MAX(CPUUtilization) FROM "Fleet"', "Period": 3600}]  # fmt: skip
    res = pinned.json("metrics", "get-data", "--start", "1h", "--end", "in 5m", "--metric-data-queries", json.dumps(q))
    assert [(r["Id"], r["Values"]) for r in res["MetricDataResults"]] == [("m1", [20.0]), ("q", [90.0])]


@pytest.mark.parametrize(("sql", "text"), [
    ("SELECT AVG(CPUUtilization) FROM Fleet HAVING x", "unexpected 'HAVING'"),
    ("SELECT PERCENTILE(CPUUtilization) FROM Fleet", "Unsupported function PERCENTILE"),
])  # fmt: skip
def test_cli_query_bad_input(pinned: Cli, sql: str, text: str) -> None:
    res = pinned("metrics", "query", sql)
    assert res.exit_code == 2 and text in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_query_over_many_metrics_scans_only_the_namespace(ctx: Any) -> None:
    from datetime import timedelta

    from awsmon.backends.local.cloudwatch_metrics import store_series

    store = ctx.store()
    now = store.now().timestamp()
    with store.transaction():
        for i in range(50):
            store_series(store, "us-east-1", "Many", "Lat", {"Host": f"h{i:02d}"}, [(now - 120, float(i))])
    cw = ctx.client("cloudwatch")
    res = cw.get_metric_data(
        MetricDataQueries=[{"Id": "q", "Expression": "SELECT MAX(Lat) FROM Many GROUP BY Host ORDER BY MAX() DESC "
                            "LIMIT 3", "Period": 300}],
        StartTime=store.now() - timedelta(hours=1), EndTime=store.now())  # fmt: skip
    assert [r["Label"] for r in res["MetricDataResults"]] == ["h49", "h48", "h47"]


def test_alarm_on_a_metrics_insights_query(pinned: Cli) -> None:
    _put(pinned, "i-1", 10)
    _put(pinned, "i-2", 95)
    one = [{"Id": "q1", "Expression": 'SELECT MAX(CPUUtilization) FROM SCHEMA("Fleet", InstanceId)', "Period": 60}]
    pinned.ok("alarms", "put", "--alarm-name", "fleet-max", "--metrics", json.dumps(one), "--threshold", "90",
              "--evaluation-periods", "1", "--comparison-operator", "GreaterThanThreshold")  # fmt: skip
    pinned.ok("account", "clock", "advance", "1m")
    assert pinned.json("alarms", "describe", "--alarm-names", "fleet-max")["MetricAlarms"][0]["StateValue"] == "ALARM"
    # One series per instance: the alarm cannot evaluate it (alarm contributors are not simulated); state kept.
    grouped = [{**one[0], "Expression": one[0]["Expression"] + " GROUP BY InstanceId"}]
    pinned.ok("alarms", "put", "--alarm-name", "fleet-each", "--metrics", json.dumps(grouped), "--threshold", "90",
              "--evaluation-periods", "1", "--comparison-operator", "GreaterThanThreshold")  # fmt: skip
    pinned.ok("account", "clock", "advance", "1m")
    view = pinned.json("alarms", "explain", "fleet-each")
    assert "returned 2 time series" in view["Why"]
    for bad, text in (
        ([{**one[0], "Period": None}], "Metrics.member.1.Period is required"),
        ([{**one[0], "Expression": "SELECT AVG(X) FROM"}], "expected a namespace"),
        ([*one, {"Id": "m1", "MetricStat": {"Metric": {"Namespace": "Fleet", "MetricName": "CPUUtilization"},
                                            "Period": 60, "Stat": "Average"}, "ReturnData": False}],
         "must have that query as its only metric"),
    ):
        res = pinned("alarms", "put", "--alarm-name", "bad", "--metrics", json.dumps(bad), "--threshold", "1",
                     "--evaluation-periods", "1", "--comparison-operator", "GreaterThanThreshold")  # fmt: skip
        assert res.exit_code == 2 and text in res.stderr, res.stderr
    assert "bad" not in pinned.ok("alarms", "describe").stdout


def test_search_tokens_and_matching() -> None:
    from awsmon.engines.search_expr import matches, parse_search, tokens

    assert tokens("CustomCount1") >= {"customcount1", "custom", "count", "1"}
    assert tokens("CPUUtilization") >= {"cpu", "utilization", "cpuutilization"}
    q = parse_search('{AWS/EC2,InstanceId} MetricName="CPUUtilization"')
    assert matches(q, "AWS/EC2", "CPUUtilization", {"InstanceId": "i-1"})
    assert not matches(q, "AWS/EC2", "CPUUtilization", {"InstanceId": "i-1", "ImageId": "ami"})  # schema is exact
    assert not matches(q, "AWS/EC2", "CPUCreditUsage", {"InstanceId": "i-1"})
    loose = parse_search("cpu AND NOT (credit OR Namespace=\"AWS/RDS\")")
    assert matches(loose, "AWS/EC2", "CPUUtilization", {"InstanceId": "i-1"})
    assert not matches(loose, "AWS/EC2", "CPUCreditUsage", {})
    assert not matches(loose, "AWS/RDS", "CPUUtilization", {})
    assert matches(parse_search('"i-1" OR InstanceId=i-2'), "N", "M", {"InstanceId": "i-2"})
    assert not matches(parse_search('"I-1"'), "N", "M", {"InstanceId": "i-1"})  # quoted phrases are case-sensitive


@pytest.mark.parametrize("text", ["{AWS/EC2", "(cpu", "cpu AND", "MetricName=", "{} cpu"])
def test_search_syntax_errors(text: str) -> None:
    from awsmon.engines.search_expr import CloudWatchError, parse_search

    with pytest.raises(CloudWatchError) as exc:
        parse_search(text)
    assert "Invalid search expression" in exc.value.message


def test_search_in_metric_math(pinned: Cli) -> None:
    _put(pinned, "i-1", 10)
    _put(pinned, "i-2", 30)
    pinned.ok("metrics", "put", "-n", "Fleet", "--metric-name", "CPUCreditUsage", "--value", "1", "-d", "InstanceId=i-1")
    q = [{"Id": "s", "Expression": "SEARCH('{Fleet,InstanceId} MetricName=\"CPUUtilization\"', 'Average', 3600)",
          "Period": 3600},
         {"Id": "total", "Expression": "SUM(SEARCH('{Fleet,InstanceId} cpu NOT credit', 'Average', 3600))",
          "Period": 3600}]  # fmt: skip
    out = pinned.json("metrics", "get-data", "--start", "1h", "--end", "in 5m", "--metric-data-queries", json.dumps(q))
    assert [(r["Id"], r["Label"], r["Values"]) for r in out["MetricDataResults"]] == [
        ("s", "CPUUtilization i-1", [10.0]), ("s", "CPUUtilization i-2", [30.0]), ("total", "total", [40.0])]
    bad = [{"Id": "s", "Expression": "SEARCH('{Fleet cpu', 'Average', 3600)", "Period": 3600}]
    res = pinned("metrics", "get-data", "--metric-data-queries", json.dumps(bad))
    assert res.exit_code == 2 and "Invalid search expression" in res.stderr


def test_metrics_insights_alarm_uses_its_query_period(pinned: Cli) -> None:
    # The query carries the alarm's Period (300 s here): a datum 3 minutes old lies inside the evaluated period
    # (it was evaluated over 60 s periods, finding nothing).
    pinned.ok("metrics", "put", "-n", "Fleet", "--metric-name", "CPUUtilization", "--value", "95", "-d",
              "InstanceId=i-1", "--timestamp", "3m ago")  # fmt: skip
    q = [{"Id": "q1", "Expression": 'SELECT MAX(CPUUtilization) FROM SCHEMA("Fleet", InstanceId)', "Period": 300}]
    pinned.ok("alarms", "put", "--alarm-name", "fleet-5m", "--metrics", json.dumps(q), "--threshold", "90",
              "--evaluation-periods", "1", "--comparison-operator", "GreaterThanThreshold")  # fmt: skip
    pinned.ok("account", "clock", "advance", "1m")
    assert pinned.json("alarms", "describe", "--alarm-names", "fleet-5m")["MetricAlarms"][0]["StateValue"] == "ALARM"
    assert "for 1/1 x 300s" in pinned.json("alarms", "explain", "fleet-5m")["Condition"]
