"""Property tests of the alarm command parsers and the evaluation-instant arithmetic."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from awsmon.backends.local.cloudwatch_alarms import action_kind, instant_after, step_seconds
from awsmon.errors import UsageError
from awsmon.services.alarms import load_json_arg, parse_dimensions

NAME = st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd"), whitelist_characters="-_.:/"),
               min_size=1, max_size=20)  # fmt: skip


@given(st.lists(st.tuples(NAME.filter(lambda n: n not in ("Name", "Value")), NAME), min_size=1, max_size=5,
                unique_by=lambda t: t[0]))
def test_shorthand_and_aws_cli_forms_agree(pairs: list[tuple[str, str]]) -> None:
    shorthand = parse_dimensions([",".join(f"{k}={v}" for k, v in pairs)])
    aws_form = parse_dimensions([f"Name={k},Value={v}" for k, v in pairs])
    assert shorthand == aws_form == [{"Name": k, "Value": v} for k, v in pairs]


def test_dimension_errors() -> None:
    with pytest.raises(UsageError):
        parse_dimensions(["novalue"])
    with pytest.raises(UsageError):
        parse_dimensions(["=x"])
    assert parse_dimensions(None) == [] and parse_dimensions([" "]) == []
    # the same syntax as awsmon metrics, JSON list included
    assert parse_dimensions(['[{"Name": "A", "Value": "1"}]']) == [{"Name": "A", "Value": "1"}]


@given(st.integers(min_value=0, max_value=10**13), st.sampled_from([10, 20, 30, 60, 300, 3600]))
def test_instant_after_is_the_next_grid_point(ms: int, period: int) -> None:
    step = step_seconds(period)
    nxt = instant_after(ms, step)
    assert nxt > ms and nxt % (step * 1000) == 0 and nxt - ms <= step * 1000


def test_action_kinds() -> None:
    assert action_kind("arn:aws:sns:us-east-1:123456789012:t") == "sns"
    assert action_kind("arn:aws:automate:us-east-1:ec2:recover") == "ec2"
    assert action_kind("arn:aws:swf:us-east-1:123456789012:action/actions/AWS_EC2.InstanceId.Reboot/1.0") == "ec2"
    assert action_kind("arn:aws:automate:us-east-1:ec2:explode") == "other"
    assert action_kind("arn:aws:lambda:us-east-1:123456789012:function:f") == "lambda"


def test_load_json_arg_inline_file_and_errors(tmp_path: Path) -> None:
    f = tmp_path / "q.json"
    f.write_text('[{"Id": "a"}]')
    assert load_json_arg(f"file://{f}", "--metrics") == [{"Id": "a"}]
    assert load_json_arg(str(f), "--metrics") == [{"Id": "a"}]
    assert load_json_arg('{"Metrics": []}', "--metrics") == {"Metrics": []}
    with pytest.raises(UsageError):
        load_json_arg("[nope", "--metrics")
    with pytest.raises(UsageError):
        load_json_arg("file:///does/not/exist.json", "--metrics")
