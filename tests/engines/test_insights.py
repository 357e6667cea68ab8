"""The Logs Insights engine (specs/logs.md §4): parser, errors with positions, evaluator, pushdown; hypothesis for
the parser (round trips, never an exception other than InsightsError)."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awsmon.engines import insights as ins
from awsmon.engines.insights import Counters, InsightsError, event_row, execute, parse

T0 = 1_763_640_000_000  # 2025-11-20T12:00:00Z


def events(messages: list[str], step_ms: int = 60_000, stream: str = "s1") -> list[ins.Row]:
    """Rows newest first, as a store yields them."""
    rows = [event_row(T0 + i * step_ms, m, stream, "123456789012:/g", T0 + i * step_ms, f"p{i}")
            for i, m in enumerate(messages)]  # fmt: skip
    return list(reversed(rows))


def run(q: str, messages: list[str], **kw: object) -> list[dict[str, str | None]]:
    """Result rows without the opaque @ptr (tested on its own)."""
    rows = execute(parse(q), events(messages, **kw))  # type: ignore[arg-type]
    return [{k: v for k, v in r.items() if k != "@ptr"} for r in rows]


JSON = [json.dumps({"status": s, "latency": lat, "path": p, "user": {"name": u}})
        for s, lat, p, u in [(200, 10, "/a", "ann"), (500, 250, "/b", "bob"), (404, 30, "/a", "ann"),
                              (503, 900, "/b", "cat"), (200, 15, "/c", "bob")]]  # fmt: skip


# -- parsing and errors ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "unexpected symbol found <EOF> at line 1 and position 0"),
        ("fields", "unexpected symbol found <EOF> at line 1 and position 6"),
        ("count()", "unexpected symbol found count at line 1 and position 0"),
        ("filter status >= | stats count(*)", "unexpected symbol found | at line 1 and position 17"),
        ("fields a | | fields b", "unexpected symbol found | at line 1 and position 11"),
        ("filter a = 1\n| fieldz b", "unexpected symbol found fieldz at line 2 and position 2"),
        ("stats x", "unexpected symbol found x at line 1 and position 6"),
        ("limit 0", "unexpected symbol found 0 at line 1 and position 6"),
        ("filter x like /abc", "unexpected symbol found / at line 1 and position 14"),
        ("filter nosuchfn(x)", "unexpected symbol found nosuchfn at line 1 and position 7"),
        ("fields count(*)", "unexpected symbol found count at line 1 and position 7"),
        ("stats count(*) by", "unexpected symbol found <EOF> at line 1 and position 17"),
    ],
)
def test_malformed_queries_name_the_position(query: str, message: str) -> None:
    with pytest.raises(InsightsError) as exc:
        parse(query)
    assert exc.value.message == message
    assert exc.value.code == "MalformedQueryException"


def test_semantic_errors() -> None:
    with pytest.raises(InsightsError, match="Only limit may follow dedup"):
        parse("dedup a | sort b")
    with pytest.raises(InsightsError, match="glob wildcards"):
        parse('parse @message "a * b *" as x')
    with pytest.raises(InsightsError, match="named capturing group"):
        parse("parse @message /abc/")
    with pytest.raises(InsightsError, match="longer than 10000"):
        parse("fields a" + " " * 10_000)
    parse("dedup a | limit 3")  # limit may follow


def test_comments_backticks_and_case() -> None:
    plan = parse("# errors only\nFILTER `user.name` = 'ann' # trailing\n| FIELDS @timestamp, `user.name` as who")
    assert [c.kind for c in plan.commands] == ["filter", "fields"]
    assert plan.output_fields() == ["@timestamp", "who"]


# -- evaluation -----------------------------------------------------------------------------------------------------
def test_default_fields_newest_first_and_ptr() -> None:
    rows = execute(parse("filter @message like 'x'"), events(["x1", "y", "x2"]))
    assert [r["@message"] for r in rows] == ["x2", "x1"]
    assert set(rows[0]) == {"@timestamp", "@message", "@logStream", "@log", "@ptr"}
    assert rows[0]["@timestamp"] == "2025-11-20 12:02:00.000"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("filter status = 200", ["/c", "/a"]),
        ("filter status >= 500", ["/b", "/b"]),
        ("filter status != 200 and latency < 500", ["/a", "/b"]),
        ("filter status in [404, 503]", ["/b", "/a"]),
        ("filter status not in [200, 500, 503]", ["/a"]),
        ("filter path like /^\\/[ab]$/ and not (status = 200)", ["/b", "/a", "/b"]),
        ("filter path =~ /c/", ["/c"]),
        ("filter path not like '/b'", ["/c", "/a", "/a"]),
        ("filter user.name = 'bob' or latency > 800", ["/c", "/b", "/b"]),
        ("filter @message like /(?i)ANN/", ["/a", "/a"]),
        ("filter ispresent(user.name) and strlen(user.name) = 3 and toupper(user.name) = 'CAT'", ["/b"]),
        ("filter latency / 10 > 20", ["/b", "/b"]),
        ("filter nosuch = 1", []),
        ("filter not ispresent(nosuch) and status = 404", ["/a"]),
    ],
)
def test_filters(query: str, expected: list[str]) -> None:
    assert [r["path"] for r in run(query + " | fields path", JSON)] == expected


def test_stats_by_field_and_aggregates() -> None:
    rows = run("stats count(*) as n, sum(latency) as s, avg(latency) as a, min(latency) as lo, max(latency) as hi, "
               "count_distinct(user.name) as users, pct(latency, 50) as p50 by path", JSON)  # fmt: skip
    assert rows == [
        {"path": "/a", "n": "2", "s": "40", "a": "20", "lo": "10", "hi": "30", "users": "1", "p50": "10"},
        {"path": "/b", "n": "2", "s": "1150", "a": "575", "lo": "250", "hi": "900", "users": "2", "p50": "250"},
        {"path": "/c", "n": "1", "s": "15", "a": "15", "lo": "15", "hi": "15", "users": "1", "p50": "15"},
    ]


def test_stats_bin_counts_and_sort() -> None:
    msgs = [f"m{i}" for i in range(12)]  # one a minute
    rows = run("stats count(*) by bin(5m)", msgs)
    assert [(r["bin(5m)"], r["count(*)"]) for r in rows] == [
        ("2025-11-20 12:00:00.000", "5"), ("2025-11-20 12:05:00.000", "5"), ("2025-11-20 12:10:00.000", "2")]
    rows = run("stats count(*) as n by bin(5m) as t | sort n asc | limit 1", msgs)
    assert rows == [{"t": "2025-11-20 12:10:00.000", "n": "2"}]


def test_stats_without_groups_on_nothing_is_one_row() -> None:
    assert run("filter @message like 'zzz' | stats count(*)", ["a"]) == [{"count(*)": "0"}]


def test_parse_glob_and_regex() -> None:
    msgs = ["[INFO] started in 12 ms", "[ERROR] disk full", "no brackets"]
    rows = run('parse @message "[*] *" as level, rest | filter ispresent(level) | display level, rest', msgs)
    assert rows == [{"level": "ERROR", "rest": "disk full"}, {"level": "INFO", "rest": "started in 12 ms"}]
    rows = run(r"parse @message /in (?<ms>\d+) ms/ | filter ms > 5 | fields ms * 2 as twice", msgs)
    assert rows[0]["twice"] == "24"


def test_sort_limit_dedup_and_nulls() -> None:
    rows = run("fields path, latency | sort latency desc | limit 2", JSON)
    assert [r["latency"] for r in rows] == ["900", "250"]
    rows = run("fields path, latency | sort latency asc | dedup path | limit 10", JSON)
    assert rows == [{"path": "/a", "latency": "10"}, {"path": "/c", "latency": "15"}, {"path": "/b", "latency": "250"}]
    rows = run("fields nosuch | sort nosuch asc", ["a", "b"])
    assert len(rows) == 2


def test_counters_and_start_query_limit() -> None:
    c = Counters()
    execute(parse("filter status >= 400 | sort latency desc | limit 1"), events(JSON), counters=c)
    assert c.matched == 3
    assert len(execute(parse("fields @message"), events(JSON), limit=2)) == 2


def test_json_discovery_flattens_nested_and_lists() -> None:
    rows = run("fields a.b.0, a.c", [json.dumps({"a": {"b": [7, 8], "c": True}}), "not json {"])
    assert rows[1] == {"a.b.0": "7", "a.c": "true"}
    assert rows[0] == {"a.b.0": None, "a.c": None}


def test_functions() -> None:
    rows = run("fields concat(path, '-', status) as k, replace(path, '/', '_') as r, substr(path, 1) as s, "
               "coalesce(nosuch, 'dflt') as c, abs(0 - latency) as a, round(latency / 7, 1) as rd, "
               "if(status >= 500, 'bad', 'ok') as v, greatest(latency, 100) as g | limit 1", JSON)  # fmt: skip
    assert rows[0] == {"k": "/c-200", "r": "_c", "s": "c", "c": "dflt", "a": "15", "rd": "2.1", "v": "ok", "g": "100"}


# -- pushdown -------------------------------------------------------------------------------------------------------
def test_pushdown_describes_sql_work() -> None:
    pd = parse("stats count(*) by bin(5m)").pushdown()
    assert pd.count_by == [("bin", 300_000, "bin(5m)")] and pd.resume_at == 1 and pd.count_name == "count(*)"
    pd = parse('filter @message like "ERROR" and @logStream in ["a", "b"] | stats count() as n by bin(1h) as t, '
               "@logStream | sort t").pushdown()  # fmt: skip
    assert pd.filters == [("message", "contains", "ERROR"), ("logStream", "in", ["a", "b"])]
    assert pd.count_by == [("bin", 3_600_000, "t"), ("column", "logStream", "@logStream")]
    pd = parse("filter status = 5 | stats count(*) by bin(5m)").pushdown()
    assert pd.filters == [] and pd.count_by is None and pd.resume_at == 0
    pd = parse("stats avg(x) by bin(5m)").pushdown()
    assert pd.count_by is None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["ERROR a", "WARN b", "INFO c", "ERROR d"]), min_size=0, max_size=30),
       st.sampled_from([60_000, 300_000, 3_600_000]))  # fmt: skip
def test_pushed_count_equals_evaluated_count(msgs: list[str], period: int) -> None:
    """What a store computes from the pushdown must equal what the evaluator computes from events."""
    q = f'filter @message like "ERROR" | stats count(*) as n by bin({period // 60_000}m)'
    plan = parse(q)
    evs = events(msgs, step_ms=45_000)
    full = execute(parse(q.replace('@message like "ERROR"', "strcontains(@message, 'ERROR')")), evs)
    pd = plan.pushdown()
    buckets: dict[int, int] = {}
    for r in evs:
        if "ERROR" in r["@message"]:
            b = r["@timestamp"] - r["@timestamp"] % period
            buckets[b] = buckets.get(b, 0) + 1
    assert pd.count_by is not None
    key = pd.count_by[0][2]
    agg = [ins.aggregated_row({key: b, "n": n}, [key]) for b, n in sorted(buckets.items())]
    assert execute(plan, agg, start=pd.resume_at) == full


# -- property tests of the parser -----------------------------------------------------------------------------------
_names = st.sampled_from(["status", "latency", "path", "@message", "@timestamp", "user.name", "`odd-name`"])
_lits = st.one_of(st.integers(-1000, 1000).map(str), st.sampled_from(["'a'", '"/b"', "2.5"]))
_cmp = st.builds(lambda a, op, b: f"{a} {op} {b}", _names, st.sampled_from(["=", "!=", "<", "<=", ">", ">="]), _lits)
_like = st.builds(lambda a, p: f"{a} like {p}", _names, st.sampled_from(["'x'", "/x+/", "/(?i)err/"]))
_cond = st.recursive(st.one_of(_cmp, _like), lambda inner: st.one_of(
    st.builds(lambda a, b: f"{a} and {b}", inner, inner), st.builds(lambda a, b: f"({a} or {b})", inner, inner),
    st.builds(lambda a: f"not {a}", inner)), max_leaves=6)  # fmt: skip
_command = st.one_of(
    _cond.map(lambda c: f"filter {c}"),
    st.lists(_names, min_size=1, max_size=3).map(lambda xs: "fields " + ", ".join(xs)),
    st.builds(lambda a, by: f"stats count(*), avg({a}) by {by}", _names, st.sampled_from(["bin(5m)", "path", "bin(1h), path"])),
    st.builds(lambda a, d: f"sort {a} {d}", _names, st.sampled_from(["asc", "desc", ""])),
    st.integers(1, 50).map(lambda n: f"limit {n}"),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_command, min_size=1, max_size=5))
def test_generated_queries_parse_and_run(cmds: list[str]) -> None:
    query = " | ".join(cmds)
    plan = parse(query)
    assert len(plan.commands) == len(cmds)
    execute(plan, events(JSON))  # never raises on valid queries


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("fieldsstatsfilter |()[],=<>!/*'\"`@#.-+ 0123456789abcxyz\n")), max_size=60))
def test_garbage_raises_only_insights_error_with_a_valid_position(text: str) -> None:
    try:
        plan = parse(text)
    except InsightsError as exc:
        assert exc.line >= 1 and exc.position >= 0
        m = re.search(r"at line (\d+) and position (\d+)", exc.message)
        if m:
            line = int(m.group(1))
            assert line <= text.count("\n") + 1
        return
    execute(plan, events(JSON))


_scalars = st.one_of(st.integers(-5, 5), st.floats(-5, 5, allow_nan=False), st.sampled_from(["1", "x", "", "-2"]),
                     st.booleans(), st.none())  # fmt: skip
_docs = st.recursive(_scalars, lambda inner: st.dictionaries(st.sampled_from(["a", "b", "s"]), inner, max_size=3),
                     max_leaves=8).filter(lambda d: isinstance(d, dict))  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(_docs, st.sampled_from(["a", "b", "a.b", "s.a"]), st.sampled_from(["=", "!=", "<", "<=", ">", ">="]),
       st.one_of(st.integers(-3, 3), st.sampled_from(["'1'", "'x'"])))  # fmt: skip
def test_json_prefilter_never_drops_a_match(doc: dict, field: str, op: str, lit: object) -> None:
    """The pre-filter a store applies is a superset of what the filter accepts."""
    if isinstance(lit, str) and op != "=":
        op = "="
    q = f"filter {field} {op} {lit}"
    plan = parse(q)
    keep = ins.json_prefilter(plan.pushdown().json_filters)
    msg = json.dumps(doc)
    if "\\" in msg:
        return
    matched = bool(execute(plan, events([msg])))
    if matched:
        assert keep is not None and keep(msg), (q, msg)


# -- outside probe ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("query", "message"), [
    ("fields @message | limit 99999999999999999999", "unexpected symbol found 99999999999999999999 at line 1 and position 24"),
    ("fields @message | limit 2147483648", "unexpected symbol found 2147483648 at line 1 and position 24"),
    ("fields datefloor(@timestamp, 0m)", "unexpected symbol found datefloor at line 1 and position 7"),
    ("fields dateceil(@timestamp, 0s)", "unexpected symbol found dateceil at line 1 and position 7"),
])  # fmt: skip
def test_counts_and_periods_out_of_range_are_malformed(query: str, message: str) -> None:
    """A limit beyond sys.maxsize crashed islice ("unexpected ValueError"), a period of 0 divided by zero."""
    with pytest.raises(InsightsError) as exc:
        parse(query)
    assert exc.value.message == message


def test_times_no_date_can_hold_print_as_milliseconds() -> None:
    rows = run("fields fromMillis(99999999999999999999) as a, fromMillis(-99999999999999) as b, "
               "dateceil(@timestamp, 99999999999999d) as c | limit 1", ["x"])  # fmt: skip
    assert rows[0]["a"] == "99999999999999999999" and rows[0]["b"] == "-99999999999999"
    assert rows[0]["c"].isdigit() and int(rows[0]["c"]) > 8.6e21  # 1e14 days after 1970: past any date
    assert run("fields @timestamp | limit 2147483647", ["x"]) == [{"@timestamp": ins.format_timestamp(T0)}]
