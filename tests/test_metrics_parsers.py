"""aws-cli syntax parsers of the metrics service and the terminal chart module."""

from __future__ import annotations

import string
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from awsmon.charts import ChartSeries, fmt_number, line_chart, plain_table, resample, spark_lines, sparkline
from awsmon.errors import UsageError
from awsmon.services.metrics import (
    auto_period,
    parse_dimension_filters,
    parse_dimensions,
    parse_numbers,
    parse_statistic_values,
)

_token = st.text(alphabet=string.ascii_letters + string.digits + "-_.:/", min_size=1, max_size=12)


def test_dimension_forms() -> None:
    assert parse_dimensions(["Name=InstanceId,Value=i-1"]) == [{"Name": "InstanceId", "Value": "i-1"}]
    assert parse_dimensions(["Value=i-1,Name=InstanceId"]) == [{"Name": "InstanceId", "Value": "i-1"}]
    assert parse_dimensions(["InstanceId=i-1,Other=x"]) == [
        {"Name": "InstanceId", "Value": "i-1"}, {"Name": "Other", "Value": "x"}]  # fmt: skip
    assert parse_dimensions(['[{"Name": "A", "Value": "1"}]']) == [{"Name": "A", "Value": "1"}]
    assert parse_dimensions(None) == []
    assert parse_dimension_filters(["Name=Host"]) == [{"Name": "Host"}]
    assert parse_dimension_filters(["Host="]) == [{"Name": "Host"}]
    assert parse_dimension_filters(["Host"]) == [{"Name": "Host"}]  # a bare name also means "any value"
    assert parse_dimension_filters(["Host,Az", "Env=prod"]) == [{"Name": "Host"}, {"Name": "Az"}, {"Name": "Env", "Value": "prod"}]
    for bad in ("novalue", "=x", '[{"Name": 1}]', "[oops"):
        with pytest.raises(UsageError):
            parse_dimensions([bad])


@given(st.lists(st.tuples(_token, _token), min_size=1, max_size=5, unique_by=lambda t: t[0]))
def test_dimension_shorthand_roundtrip(pairs: list[tuple[str, str]]) -> None:
    if sorted(k for k, _ in pairs) == ["Name", "Value"] or ("Name" in dict(pairs) and len(pairs) == 1):
        return  # those spell the aws-cli long form
    text = ",".join(f"{k}={v}" for k, v in pairs)
    assert parse_dimensions([text]) == [{"Name": k, "Value": v} for k, v in pairs]
    long_form = [f"Name={k},Value={v}" for k, v in pairs]
    assert parse_dimensions(long_form) == [{"Name": k, "Value": v} for k, v in pairs]


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=32), min_size=1, max_size=20))
def test_numbers_roundtrip(values: list[float]) -> None:
    assert parse_numbers([",".join(repr(v) for v in values)], "--values") == values
    assert parse_numbers([" ".join(repr(v) for v in values)], "--values") == values


def test_numbers_and_statistic_values_errors() -> None:
    assert parse_numbers(None, "--values") is None
    assert parse_numbers(["1", "2,3"], "--values") == [1.0, 2.0, 3.0]
    with pytest.raises(UsageError):
        parse_numbers(["1,x"], "--values")
    assert parse_statistic_values("Sum=11,Minimum=2,Maximum=5,SampleCount=3") == {
        "Sum": 11.0, "Minimum": 2.0, "Maximum": 5.0, "SampleCount": 3.0}  # fmt: skip
    assert parse_statistic_values('{"Sum": 1, "SampleCount": 1}') == {"Sum": 1.0, "SampleCount": 1.0}
    for bad in ("Sum", "Sum=x", "Mean=1", "{bad"):
        with pytest.raises(UsageError):
            parse_statistic_values(bad)


def test_auto_period() -> None:
    assert auto_period(__import__("datetime").timedelta(hours=3)) == 120
    assert auto_period(__import__("datetime").timedelta(minutes=30)) == 60
    assert auto_period(__import__("datetime").timedelta(days=14)) == 10800
    assert auto_period(__import__("datetime").timedelta(days=3650)) % 86400 == 0


def test_sparkline_and_numbers() -> None:
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == "▁▂▃▄▅▆▇█"
    assert sparkline([1, None, 1]) == "▅ ▅"
    assert sparkline([0, 7], ascii=True) == "_@"
    assert sparkline([None, None]) == "  "
    assert [fmt_number(v) for v in (0, 1234, 2.5e6, 0.01234, 150)] == ["0", "1.23k", "2.5M", "0.0123", "150"]


def test_resample_means_per_column() -> None:
    s = ChartSeries("x", [0, 1, 2, 3], [1, 3, 5, None])  # type: ignore[list-item]
    assert resample(s, 0, 3, 2) == [2.0, 5.0]


@given(
    st.lists(st.floats(-1e9, 1e9, allow_nan=False), min_size=1, max_size=200),
    st.integers(40, 120),
    st.integers(3, 20),
)
def test_line_chart_fits_width(values: list[float], width: int, height: int) -> None:
    s = ChartSeries("series", [float(60 * i) for i in range(len(values))], values)
    text = line_chart([s, ChartSeries("b", [0.0], [1.0])], width=width, height=height, ascii=True, title="t")
    lines = text.splitlines()
    assert all(len(line) <= width for line in lines)
    assert len(lines) == 1 + height + 2 + 2  # title, plot, axis, time labels, legend x2
    assert "* series (min" in text and "o b (min" in text


def test_line_chart_unicode_colour_and_empty() -> None:
    s = ChartSeries("up", [0.0, 60.0, 120.0], [1.0, 5.0, 9.0])
    text = line_chart([s], width=60, height=5, color=True)
    assert "\x1b[36m●\x1b[0m" in text and "┤" in text and "└" in text
    assert line_chart([ChartSeries("none", [], [])]) == "(no datapoints in this time range)\n"
    assert spark_lines([]) == "(no datapoints in this time range)\n"


def test_plain_table() -> None:
    a = ChartSeries("a", [0.0, 60.0], [1.0, 2.0])
    b = ChartSeries("b", [60.0], [5.0])
    assert plain_table([a, b], UTC) == (
        "Timestamp\ta\tb\n1970-01-01T00:00:00Z\t1.0\t\n1970-01-01T00:01:00Z\t2.0\t5.0\n"
    )
    assert datetime.fromtimestamp(0, UTC).year == 1970
