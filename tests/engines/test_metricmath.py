"""Metric math: parser, missing-value semantics, every supported function, errors and GetMetricData queries."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awsmon.engines import metricmath
from awsmon.engines.metricmath import Series, UnsupportedExpression, evaluate
from awsmon.engines.stats import CloudWatchError

G = [0.0, 60.0, 120.0, 180.0]
DATA = {
    "m1": {0.0: 1.0, 60.0: 4.0, 180.0: 9.0},
    "m2": {0.0: 2.0, 120.0: 3.0, 180.0: 0.0},
    "m3": {60.0: 5.0},
}


def ts(expr: str, data: dict[str, dict[float, float]] | None = None, **kw: object) -> dict[float, float]:
    r = evaluate(expr, DATA if data is None else data, timestamps=G, **kw)  # type: ignore[arg-type]
    assert isinstance(r, Series)
    return r.points


def arr(expr: str) -> list[Series]:
    r = evaluate(expr, DATA, timestamps=G)
    assert isinstance(r, list)
    return r


# ------------------------------------------------------------------------------------------- operators


def test_arithmetic_missing_semantics() -> None:
    assert ts("m1 + m2") == {0.0: 3.0, 60.0: 4.0, 120.0: 3.0, 180.0: 9.0}
    assert ts("m1 - m2") == {0.0: -1.0, 60.0: 4.0, 120.0: -3.0, 180.0: 9.0}
    assert ts("m1 * 2") == {0.0: 2.0, 60.0: 8.0, 180.0: 18.0}  # TS op S keeps the series' own gaps
    assert ts("10 - m1") == {0.0: 9.0, 60.0: 6.0, 180.0: 1.0}
    assert ts("m1 / m2") == {0.0: 0.5, 120.0: 0.0}  # 60 and 180 divide by zero: dropped; 120: 0 / 3
    assert ts("m2 / m1") == {0.0: 2.0, 60.0: 0.0, 180.0: 0.0}  # 120: 3 / 0 dropped


def test_precedence_and_associativity() -> None:
    one = {"u": {0.0: 1.0}}
    assert ts("u * (2 + 3 * 4 - 6 / 3)", one) == {0.0: 12.0}
    assert ts("u * 2 ^ 3 ^ 2", one) == {0.0: 512.0}
    assert ts("u * -2 ^ 2", one) == {0.0: 4.0}  # unary minus binds tighter than ^ (spec order)
    assert ts("u * (1 + 1 == 2)", one) == {0.0: 1.0}
    assert ts("u * (1 < 2 AND 0 OR 1)", one) == {0.0: 1.0}
    assert ts("u * (1 || 0 && 0)", one) == {0.0: 1.0}  # && binds tighter than ||
    assert ts("u * (3 - 1 - 1)", one) == {0.0: 1.0}
    assert ts("u * 1e3 + .5", one) == {0.0: 1000.5}


def test_comparisons_and_logic() -> None:
    assert ts("m1 > m2") == {0.0: 0.0, 60.0: 1.0, 120.0: 0.0, 180.0: 1.0}
    assert ts("m1 != 4") == {0.0: 1.0, 60.0: 0.0, 180.0: 1.0}
    assert ts("m1 <= 4 || m3") == {0.0: 1.0, 60.0: 1.0, 180.0: 0.0}


def test_if_forms() -> None:
    assert ts("IF(m1 > 2, m1)") == {60.0: 4.0, 180.0: 9.0}
    assert ts("IF(m1 > 2, 1, 0)") == {0.0: 0.0, 60.0: 1.0, 180.0: 1.0}
    assert ts("IF(1, m1, m2)") == DATA["m1"]
    assert ts("IF(0, m1, m2)") == DATA["m2"]
    with pytest.raises(CloudWatchError):
        evaluate("IF(m1, METRICS(), 1)", DATA, timestamps=G)


# ------------------------------------------------------------------------------------------- functions


def test_reductions() -> None:
    assert ts("m1 * 0 + SUM(m1)") == {0.0: 14.0, 60.0: 14.0, 180.0: 14.0}
    assert ts("m1 * 0 + AVG(m1)")[0.0] == pytest.approx(14 / 3)
    assert ts("m1 * 0 + MIN(m1) + MAX(m1)")[0.0] == 10.0
    assert ts("m1 * 0 + STDDEV(m1)")[0.0] == pytest.approx(
        math.sqrt(((1 - 14 / 3) ** 2 + (4 - 14 / 3) ** 2 + (9 - 14 / 3) ** 2) / 3)
    )
    # over TS[]: per timestamp, AVG/SUM count missing members as 0
    assert ts("SUM(METRICS())") == {0.0: 3.0, 60.0: 9.0, 120.0: 3.0, 180.0: 9.0}
    assert ts("AVG([m1, m2])") == {0.0: 1.5, 60.0: 2.0, 120.0: 1.5, 180.0: 4.5}
    assert ts("MAX([m1, m2])") == {0.0: 2.0, 60.0: 4.0, 120.0: 3.0, 180.0: 9.0}
    assert ts("MIN(METRICS())") == {0.0: 1.0, 60.0: 4.0, 120.0: 3.0, 180.0: 0.0}
    assert ts("DATAPOINT_COUNT(METRICS())") == {0.0: 2.0, 60.0: 2.0, 120.0: 1.0, 180.0: 2.0}
    assert ts("m1 * 0 + DATAPOINT_COUNT(m1) + METRIC_COUNT(METRICS())")[0.0] == 6.0
    assert ts("m3 * 0 + SUM(m3 * 0 + MIN(TIME_SERIES(1) * 0 + m1 * 0 + SUM(m2)))") == {60.0: 5.0}


def test_empty_series_reduction_gives_no_value() -> None:
    empty = {"e": {}, "m": {0.0: 1.0}}
    assert ts("m + SUM(e)", empty) == {}


def test_sequential_functions() -> None:
    assert ts("DIFF(m1)") == {60.0: 3.0, 180.0: 5.0}
    assert ts("DIFF_TIME(m1)") == {60.0: 60.0, 180.0: 120.0}
    assert ts("RATE(m1)") == {60.0: 3 / 60, 180.0: 5 / 120}
    assert ts("RUNNING_SUM(m1)") == {0.0: 1.0, 60.0: 5.0, 180.0: 14.0}
    assert [s.points for s in arr("DIFF(METRICS())")][1] == {120.0: 1.0, 180.0: -3.0}


def test_fill() -> None:
    assert ts("FILL(m1, 0)") == {0.0: 1.0, 60.0: 4.0, 120.0: 0.0, 180.0: 9.0}
    assert ts("FILL(m3, REPEAT)") == {0.0: 5.0, 60.0: 5.0, 120.0: 5.0, 180.0: 5.0}
    assert ts("FILL(m1, LINEAR)") == {0.0: 1.0, 60.0: 4.0, 120.0: 6.5, 180.0: 9.0}
    assert ts("FILL(m2, m1)") == {0.0: 2.0, 60.0: 4.0, 120.0: 3.0, 180.0: 0.0}
    assert [len(s.points) for s in arr("FILL(METRICS(), 7)")] == [4, 4, 4]
    with pytest.raises(CloudWatchError, match="FILL"):
        evaluate("FILL(m1, ASC)", DATA, timestamps=G)


def test_elementwise_and_dates() -> None:
    data = {"x": {0.0: -2.5, 60.0: 100.0}}
    assert ts("ABS(x)", data) == {0.0: 2.5, 60.0: 100.0}
    assert ts("CEIL(x)", data) == {0.0: -2.0, 60.0: 100.0}
    assert ts("FLOOR(x)", data) == {0.0: -3.0, 60.0: 100.0}
    assert ts("LOG10(x)", data) == {60.0: 2.0}  # log of a negative value has no value
    assert ts("LOG(x)", data) == {60.0: math.log(100.0)}
    day = {"d": {1_717_245_330.0: 1.0}}  # 2024-06-01T12:35:30Z, a Saturday
    grid = list(day["d"])
    for fn, want in [("MINUTE", 35), ("HOUR", 12), ("DAY", 6), ("DATE", 1), ("MONTH", 6), ("YEAR", 2024),
                     ("EPOCH", 1_717_245_330)]:  # fmt: skip
        r = evaluate(f"{fn}(d)", day, timestamps=grid)
        assert isinstance(r, Series) and r.points == {grid[0]: float(want)}


def test_array_functions() -> None:
    assert [s.label for s in arr("METRICS()")] == ["m1", "m2", "m3"]
    assert [s.label for s in arr('METRICS("2")')] == ["m2"]
    assert [s.label for s in arr("SORT(METRICS(), MAX, DESC)")] == ["m1", "m3", "m2"]
    assert [s.label for s in arr("SORT(METRICS(), SUM, DESC)")] == ["m1", "m2", "m3"]  # ties keep order
    assert [s.label for s in arr("SORT(METRICS(), MAX, ASC, 2)")] == ["m2", "m3"]
    assert [s.label for s in arr("SLICE(METRICS(), 1, 3)")] == ["m2", "m3"]
    assert ts("SLICE(METRICS(), 2)") == DATA["m3"]
    assert ts("FIRST(METRICS())") == DATA["m1"] and ts("LAST(METRICS())") == DATA["m3"]
    assert [s.label for s in arr("REMOVE_EMPTY([m1, m3 + 1 / 0])")] == ["m1"]
    assert [s.points for s in arr("METRICS() * 2")][2] == {60.0: 10.0}
    assert ts("PERIOD(m1) + m1 * 0", period=300) == {0.0: 300.0, 60.0: 300.0, 180.0: 300.0}
    assert ts("TIME_SERIES(7)") == dict.fromkeys(G, 7.0)


# ------------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("expr", "fragment"),
    [
        ("", "empty"), ("m1 +", "Syntax error"), ("(m1", "expected ')'"), ("m1 m2", "unexpected"),
        ("sum(m1)", "UPPERCASE"), ("M1 + 1", "lowercase"), ("FOO(m1)", "Unknown function FOO"),
        ("m9 + 1", "Unknown id m9"), ("SUM(m1)", "not a scalar"), ("m1 $ 2", "Unexpected character"),
        ("'abc", "Unterminated"), ("ABS(m1, m2)", "takes 1..1"), ("METRICS() + METRICS()", "two arrays"),
        ("SLICE(METRICS(), 9)", "out of range"), ("SORT(METRICS(), MEDIAN, ASC)", "Unknown identifier"),
        ("SORT(METRICS(), SUM, UP)", "Unknown identifier"), ("SORT(METRICS(), SUM, REPEAT)", "ASC or DESC"),
        ("m1 + 'x'", "string"), ("(" * 51 + "m1" + ")" * 51, "nested deeper"), ("m1" + "+m1" * 700, "2048"),
    ],
)  # fmt: skip
def test_validation_errors(expr: str, fragment: str) -> None:
    with pytest.raises(CloudWatchError) as info:
        evaluate(expr, DATA, timestamps=G)
    assert info.value.code == "ValidationError"
    assert fragment in info.value.message


@pytest.mark.parametrize(
    "expr", ["INSIGHT_RULE_METRIC(r, 'Sum')", "LAMBDA(m1)"],
)  # fmt: skip
def test_out_of_scope_functions_are_refused(expr: str) -> None:
    with pytest.raises(UnsupportedExpression, match="not implemented by the local engine"):
        metricmath.parse(expr)


@pytest.mark.parametrize("expr", ["SEARCH('{AWS/EC2} CPU', 'Average')", "ANOMALY_DETECTION_BAND(m1, 2)",
                                  "SERVICE_QUOTA(m1)"])
def test_catalogue_functions_need_the_callers_support(expr: str) -> None:
    """SEARCH and ANOMALY_DETECTION_BAND parse; evaluating them needs the store (a callback), else refused."""
    metricmath.parse(expr)
    with pytest.raises(UnsupportedExpression, match="not available here"):
        evaluate(expr, DATA, timestamps=G)


def test_anomaly_band_and_search_through_callbacks() -> None:
    def band(mid: str, k: float) -> tuple[list[float | None], list[float | None]]:
        return [k * 10] * len(G), [-k * 10] * len(G)

    upper, lower = evaluate("ANOMALY_DETECTION_BAND(m1, 3)", DATA, timestamps=G, band=band)  # type: ignore[misc]
    assert set(upper.points.values()) == {30.0} and set(lower.points.values()) == {-30.0}
    assert (upper.label, lower.label) == ("Upper", "Lower")
    with pytest.raises(UnsupportedExpression, match="over a math expression"):
        evaluate("ANOMALY_DETECTION_BAND(m1 * 2)", DATA, timestamps=G, band=band)
    with pytest.raises(CloudWatchError, match="positive number"):
        evaluate("ANOMALY_DETECTION_BAND(m1, 0)", DATA, timestamps=G, band=band)
    seen = []

    def search(text: str, stat: str, period: int) -> list[tuple[str, dict[float, float]]]:
        seen.append((text, stat, period))
        return [("a", {G[0]: 1.0}), ("b", {G[0]: 2.0})]

    total = evaluate("SUM(SEARCH('{N} x', 'Sum', 300))", DATA, timestamps=G, search=search)
    assert seen == [("{N} x", "Sum", 300)] and total.points[G[0]] == 3.0  # type: ignore[union-attr]


def test_references() -> None:
    assert metricmath.references("IF(m1 > e2, [a_b, m1], FILL(x, 0))") == {"m1", "e2", "a_b", "x"}


# ------------------------------------------------------------------------------------------- queries


def test_evaluate_queries_dependency_order() -> None:
    queries = [
        {"Id": "e2", "Expression": "e1 * 2"},
        {"Id": "e1", "Expression": "m1 + m2"},
        {"Id": "m1", "MetricStat": {}},
        {"Id": "m2", "MetricStat": {}},
        {"Id": "all", "Expression": "METRICS()"},
    ]
    out = metricmath.evaluate_queries(
        queries, {"m1": {0.0: 1.0}, "m2": {0.0: 2.0, 60.0: 5.0}}, timestamps=[0.0, 60.0]
    )
    e2 = out["e2"]
    assert isinstance(e2, Series) and e2.points == {0.0: 6.0, 60.0: 10.0} and e2.label == "e2"
    alls = out["all"]
    assert isinstance(alls, list) and [s.label for s in alls] == ["m1", "m2"]


@pytest.mark.parametrize(
    ("queries", "fragment"),
    [
        ([{"Id": "e1", "Expression": "e2"}, {"Id": "e2", "Expression": "e1"}], "Circular"),
        ([{"Id": "e1", "Expression": "zz + 1"}], "unknown id zz"),
        ([{"Id": "E1", "Expression": "1"}], "is invalid"),
        ([{"Id": "e1", "Expression": "METRICS()"}, {"Id": "e2", "Expression": "e1 * 2"}], "array"),
    ],
)
def test_evaluate_queries_errors(queries: list[dict[str, object]], fragment: str) -> None:
    with pytest.raises(CloudWatchError, match=fragment):
        metricmath.evaluate_queries(queries, {}, timestamps=[0.0])


# ------------------------------------------------------------------------------------------- properties

series_st = st.dictionaries(st.sampled_from(G), st.integers(-50, 50).map(float), max_size=4)


@settings(max_examples=200, deadline=None)
@given(a=series_st, b=series_st, op=st.sampled_from(["+", "-", "*", "/", "<", ">=", "==", "AND", "OR"]))
def test_binary_ts_ts_matches_pointwise_reference(
    a: dict[float, float], b: dict[float, float], op: str
) -> None:
    got = ts(f"a {op} b", {"a": a, "b": b})
    want: dict[float, float] = {}
    for t in G:
        if t not in a and t not in b:
            continue
        x, y = a.get(t, 0.0), b.get(t, 0.0)
        if op == "/" and y == 0:
            continue
        want[t] = {
            "+": x + y, "-": x - y, "*": x * y, "/": x / y if y else 0.0, "<": float(x < y), ">=": float(x >= y),
            "==": float(x == y), "AND": float(bool(x) and bool(y)), "OR": float(bool(x) or bool(y)),
        }[op]  # fmt: skip
    assert got == want


@settings(max_examples=200, deadline=None)
@given(a=series_st)
def test_identities(a: dict[float, float]) -> None:
    data = {"a": a}
    assert ts("a * 1", data) == a
    assert ts("-(-a)", data) == a
    assert ts("a - a", data) == dict.fromkeys(a, 0.0)
    filled = ts("FILL(a, REPEAT)", data)
    assert filled == ({} if not a else {t: filled[t] for t in G}) and set(a.items()) <= set(filled.items())
    assert ts("RUNNING_SUM(a)", data).get(max(a, default=-1.0), 0.0) == pytest.approx(sum(a.values()))


def test_service_quota_through_its_callback() -> None:
    """SERVICE_QUOTA(m): the quota where m has data (missing usage stays missing), empty for no quota."""
    data = {"m1": {0.0: 3.0, 120.0: 4.0}, "m2": {0.0: 1.0}}
    quotas = {"m1": 5.0, "m2": None}
    grid = [0.0, 60.0, 120.0]
    got = evaluate("m1/SERVICE_QUOTA(m1)*100", data, timestamps=grid, quota=quotas.get)
    assert isinstance(got, Series) and got.points == {0.0: 60.0, 120.0: 80.0}
    q = evaluate("SERVICE_QUOTA(m1)", data, timestamps=grid, quota=quotas.get)
    assert isinstance(q, Series) and q.points == {0.0: 5.0, 120.0: 5.0}
    none = evaluate("SERVICE_QUOTA(m2)", data, timestamps=grid, quota=quotas.get)
    assert isinstance(none, Series) and none.points == {}
    for bad in ("SERVICE_QUOTA(m1 * 2)", "SERVICE_QUOTA(1)", "SERVICE_QUOTA(m1, m2)"):
        with pytest.raises(CloudWatchError) as info:
            evaluate(bad, data, timestamps=grid, quota=quotas.get)
        assert info.value.code == "ValidationError"
