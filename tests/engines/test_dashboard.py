"""Dashboard bodies: PutDashboard's validation texts, the 24-column grid, metric rows to GetMetricData queries."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awsmon.engines.dashboard import (
    NOT_JSON,
    DashboardBodyError,
    expand_metric_rows,
    layout,
    metric_queries,
    split_log_query,
    validate_body,
)

METRIC = {"type": "metric", "properties": {"metrics": [["AWS/EC2", "CPUUtilization", "InstanceId", "i-1"]],
                                           "region": "us-east-1"}}  # fmt: skip


def errors(body: object) -> list[dict[str, str]]:
    with pytest.raises(DashboardBodyError) as exc:
        validate_body(body if isinstance(body, str) else json.dumps(body))
    assert exc.value.code == "InvalidParameterInput"
    if exc.value.messages:
        n = len(exc.value.messages)
        assert exc.value.message.startswith(f"The dashboard body is invalid, there are {n} validation errors: [")
    return exc.value.messages


@pytest.mark.parametrize("body", ["", "not json", "[1, 2]", "42", '"text"', "{"])
def test_not_a_json_object(body: str) -> None:
    with pytest.raises(DashboardBodyError) as exc:
        validate_body(body)
    assert exc.value.message == NOT_JSON == "The field DashboardBody must be a valid JSON object"


def test_validation_messages_as_aws_words_them() -> None:
    assert errors({}) == [{"dataPath": "", "message": "Should have required property 'widgets'"}]
    assert errors({"widgets": {}}) == [{"dataPath": "/widgets", "message": "Should be array"}]
    assert errors({"widgets": [{"type": "chart", "properties": {}}]}) == [
        {"dataPath": "/widgets/0/type", "message": "Should be equal to one of the allowed values"}]
    assert errors({"widgets": [{"properties": {}}]}) == [
        {"dataPath": "/widgets/0", "message": "Should have required property 'type'"}]
    got = errors({"widgets": [{**METRIC, "width": 30, "x": -1, "height": 2.5}]})
    assert got == [{"dataPath": "/widgets/0/x", "message": "Should be >= 0"},
                   {"dataPath": "/widgets/0/width", "message": "Should be <= 24"},
                   {"dataPath": "/widgets/0/height", "message": "Should be integer"}]  # fmt: skip
    # the metric-row messages AWS gives (dimension values must be strings; options only last)
    bad_rows = {"type": "metric", "properties": {"region": "us-east-1", "metrics": [
        ["AWS/Lambda", "Duration", "FunctionName", 5],
        ["AWS/Lambda", "Duration", {"dimension": {"FunctionName": "f"}}],
        ["AWS/Lambda", {"stat": "Sum"}, "Errors"]]}}  # fmt: skip
    assert errors({"widgets": [bad_rows]}) == [
        {"dataPath": "/widgets/0/properties/metrics/0/3", "message": 'Invalid metric field type, only "String" type is allowed'},
        {"dataPath": "/widgets/0/properties/metrics/1", "message": "Should NOT have more than 2 items"},
        {"dataPath": "/widgets/0/properties/metrics/2/1", "message": 'Invalid metric field type, only "String" type is allowed'},
    ]  # fmt: skip
    assert errors({"widgets": [{"type": "text", "properties": {}}]}) == [
        {"dataPath": "/widgets/0/properties", "message": "Should have required property 'markdown'"}]
    assert errors({"widgets": [{"type": "metric", "properties": {"metrics": []}}]}) == [
        {"dataPath": "/widgets/0/properties", "message": "Should have required property 'region'"}]
    assert errors({"widgets": [{"type": "log", "properties": {"region": "us-east-1"}}]}) == [
        {"dataPath": "/widgets/0/properties", "message": "Should have required property 'query'"}]
    assert errors({"widgets": [{"type": "alarm", "properties": {"alarms": "arn"}}]}) == [
        {"dataPath": "/widgets/0/properties/alarms", "message": "Should be array"}]


def test_valid_bodies_including_console_exports() -> None:
    console = {"start": "-PT6H", "periodOverride": "inherit", "widgets": [
        {"height": 6, "width": 12, "y": 0, "x": 0, "type": "metric", "properties": {
            "view": "timeSeries", "stacked": False, "region": "eu-west-1", "stat": "Average", "period": 300,
            "metrics": [["AWS/EC2", "CPUUtilization", "InstanceId", "i-1", {"label": "web", "color": "#1f77b4"}],
                        ["...", "i-2", {"yAxis": "right"}], [{"expression": "m1+m2", "label": "sum", "id": "e1"}]]}},
        {"type": "text", "x": 12, "y": 0, "width": 12, "height": 3, "properties": {"markdown": "# Hi", "background": "transparent"}},
        {"type": "alarm", "properties": {"alarms": ["arn:aws:cloudwatch:eu-west-1:1:alarm:a"], "title": "A"}},
        {"type": "log", "properties": {"query": "SOURCE '/g' | stats count(*) by bin(5m)", "region": "eu-west-1", "view": "timeSeries"}},
    ]}  # fmt: skip
    assert validate_body(json.dumps(console))["start"] == "-PT6H"


def test_layout_places_explicit_and_flowing_widgets() -> None:
    doc = {"widgets": [
        {"type": "text", "x": 0, "y": 0, "width": 24, "height": 2, "properties": {"markdown": "t"}},
        {"type": "text", "properties": {"markdown": "a"}},
        {"type": "text", "width": 12, "properties": {"markdown": "b"}},
        {"type": "text", "width": 12, "properties": {"markdown": "c"}},
    ]}  # fmt: skip
    placed = [(p.index, p.x, p.y, p.width, p.height) for p in layout(doc)]
    assert placed == [(0, 0, 0, 24, 2), (1, 0, 2, 6, 6), (2, 6, 2, 12, 6), (3, 0, 8, 12, 6)]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 24), st.integers(1, 8)), min_size=1, max_size=12))
def test_flowing_widgets_never_overlap(sizes: list[tuple[int, int]]) -> None:
    doc = {"widgets": [{"type": "text", "width": w, "height": h, "properties": {"markdown": ""}} for w, h in sizes]}
    cells: set[tuple[int, int]] = set()
    for p in layout(doc):
        assert 0 <= p.x and p.x + p.width <= 24
        for c in range(p.x, p.x + p.width):
            for r in range(p.y, p.y + p.height):
                assert (c, r) not in cells
                cells.add((c, r))


def test_metric_rows_shorthands_and_queries() -> None:
    rows = [["AWS/EC2", "CPUUtilization", "InstanceId", "i-1"], ["...", "i-2"],
            [".", "NetworkIn", ".", "i-3", {"stat": "Sum", "id": "net", "visible": False}],
            [{"expression": "net / 60", "label": "per second", "id": "e1"}]]  # fmt: skip
    assert [r[0] for r in expand_metric_rows(rows)][:3] == [
        ["AWS/EC2", "CPUUtilization", "InstanceId", "i-1"], ["AWS/EC2", "CPUUtilization", "InstanceId", "i-2"],
        ["AWS/EC2", "NetworkIn", "InstanceId", "i-3"]]  # fmt: skip
    qs = metric_queries({"metrics": rows, "stat": "p99"}, 300)
    assert [q["Id"] for q in qs] == ["m1", "m2", "net", "e1"]
    assert qs[0]["MetricStat"] == {"Metric": {"Namespace": "AWS/EC2", "MetricName": "CPUUtilization",
                                              "Dimensions": [{"Name": "InstanceId", "Value": "i-1"}]},
                                   "Period": 300, "Stat": "p99"}  # fmt: skip
    assert qs[2]["ReturnData"] is False and qs[2]["MetricStat"]["Stat"] == "Sum"
    assert qs[3] == {"Id": "e1", "ReturnData": True, "Expression": "net / 60", "Label": "per second", "Period": 300}


def test_log_widget_sources() -> None:
    assert split_log_query("SOURCE '/a' | SOURCE \"/b\" | fields @message | limit 5") == (
        ["/a", "/b"], "fields @message | limit 5")
    assert split_log_query("fields @message") == ([], "fields @message")
