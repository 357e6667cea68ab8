"""awsmon rules: command-line parsing and rendering (shorthand, file://, --check, formats, help)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awsmon.errors import UsageError
from awsmon.services.rules import parse_target_shorthand, parse_targets
from tests.conftest import Cli

QUEUE = "arn:aws:sqs:us-east-1:123456789012:q"
EVENT = {"id": "1", "account": "123456789012", "source": "my.app", "time": "2026-11-20T12:00:00Z",
         "region": "us-east-1", "detail-type": "Order", "detail": {"total": 42}}  # fmt: skip


def test_shorthand_targets() -> None:
    assert parse_target_shorthand(f"Id=a,Arn={QUEUE}") == {"Id": "a", "Arn": QUEUE}
    assert parse_target_shorthand(f'Id=a,Arn={QUEUE},Input={{"x":1,"y":[1,2]}}')["Input"] == '{"x":1,"y":[1,2]}'
    assert parse_target_shorthand(f"Id=a,Arn={QUEUE},Input='\"quoted, text\"'")["Input"] == '"quoted, text"'
    assert parse_target_shorthand(f"Arn={QUEUE},Id=b,InputPath=$.detail")["InputPath"] == "$.detail"
    # Nested structures, as aws-cli's shorthand gives them (they used to be glued onto the Arn).
    nested = parse_target_shorthand(f"Id=k,Arn={QUEUE},KinesisParameters={{PartitionKeyPath=$.source}},"
                                    "RetryPolicy={MaximumRetryAttempts=2,MaximumEventAgeInSeconds=600},"
                                    f"DeadLetterConfig={{Arn={QUEUE}}},"
                                    'InputTransformer={InputPathsMap={s=$.source},InputTemplate="<s>, ok"}')  # fmt: skip
    assert nested == {"Id": "k", "Arn": QUEUE, "KinesisParameters": {"PartitionKeyPath": "$.source"},
                      "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 600},
                      "DeadLetterConfig": {"Arn": QUEUE},
                      "InputTransformer": {"InputPathsMap": {"s": "$.source"}, "InputTemplate": "<s>, ok"}}  # fmt: skip
    for bad in ("Arn=x", "Id=a", "x=1,Id=a,Arn=b", f"Id=a,Id=b,Arn={QUEUE}", "", f"Id=a,Arn={QUEUE},Foo={{A=1}}",
                f"Id=a,Arn={QUEUE},RetryPolicy={{MaximumRetryAttempts=2", f"Id=a,Arn={QUEUE},RetryPolicy=2"):
        with pytest.raises(UsageError):
            parse_target_shorthand(bad)


@settings(max_examples=100, deadline=None)
@given(st.from_regex(r"[.\-_A-Za-z0-9]{1,20}", fullmatch=True),
       st.dictionaries(st.from_regex(r"[a-z]{1,5}", fullmatch=True), st.one_of(st.integers(), st.text(max_size=8)),
                       max_size=4))  # fmt: skip
def test_shorthand_round_trips_json_input(target_id: str, payload: dict) -> None:
    text = json.dumps(payload, separators=(",", ":"))
    parsed = parse_target_shorthand(f"Id={target_id},Arn={QUEUE},Input={text}")
    assert parsed == {"Id": target_id, "Arn": QUEUE, "Input": text}


def test_targets_from_json_and_files(tmp_path: Path) -> None:
    one = {"Id": "a", "Arn": QUEUE}
    assert parse_targets([json.dumps(one)]) == [one]
    f = tmp_path / "t.json"
    f.write_text(json.dumps([one, {**one, "Id": "b"}]))
    assert [t["Id"] for t in parse_targets([f"file://{f}", f"Id=c,Arn={QUEUE}"])] == ["a", "b", "c"]
    with pytest.raises(UsageError):
        parse_targets(["[1, 2]"])


def test_test_event_pattern_result_and_check(pinned: Cli, tmp_path: Path) -> None:
    pattern = tmp_path / "p.json"
    pattern.write_text('{"source": ["my.app"], "detail": {"total": [{"numeric": [">", 10]}]}}')
    event = tmp_path / "e.json"
    event.write_text(json.dumps(EVENT))
    assert pinned.json("rules", "test-event-pattern", "--event-pattern", f"file://{pattern}",
                       "--event", f"file://{event}") == {"Result": True}  # fmt: skip
    miss = {**EVENT, "source": "other"}
    res = pinned("rules", "test-event-pattern", "--event-pattern", f"file://{pattern}", "--event", json.dumps(miss),
                 "-o", "json")  # fmt: skip
    assert res.exit_code == 0 and json.loads(res.stdout) == {"Result": False}
    checked = pinned("rules", "test-event-pattern", "--pattern", f"file://{pattern}", "--event", json.dumps(miss),
                     "--check", "-o", "json")  # fmt: skip
    assert checked.exit_code == 3 and json.loads(checked.stdout) == {"Result": False}
    assert "does not match" in checked.stderr
    ok = pinned("rules", "test-event-pattern", "--pattern", f"file://{pattern}", "--event", f"file://{event}", "--check")
    assert ok.exit_code == 0
    bad = pinned("rules", "test-event-pattern", "--pattern", '{"a": "x"}', "--event", json.dumps(EVENT))
    assert bad.exit_code == 2 and '"a" must be an object or an array' in bad.stderr


def test_stdin_event(pinned: Cli) -> None:
    res = pinned("rules", "test-event-pattern", "--pattern", '{"source": ["my.app"]}', "--event", "-", "-o", "json",
                 input=json.dumps(EVENT))  # fmt: skip
    assert res.exit_code == 0 and json.loads(res.stdout) == {"Result": True}


def test_table_and_csv_output(pinned: Cli) -> None:
    pinned.ok("rules", "put", "--name", "nightly", "--schedule", "cron(0 2 * * ? *)", "--description", "backup")
    pinned.ok("rules", "put", "--name", "groups", "--pattern", '{"source": ["aws.logs"]}', "--state", "disabled")
    table = pinned.ok("rules", "list", "-o", "table").stdout
    assert table.splitlines()[0].split()[:3] == ["Name", "State", "ScheduleExpression"]
    assert "nightly" in table and "DISABLED" in table
    csv = pinned.ok("rules", "list", "--prefix", "night", "-o", "csv").stdout.splitlines()
    assert csv[0] == "Name,State,ScheduleExpression,EventPattern,Description" and csv[1].startswith("nightly,ENABLED")
    detail = pinned.ok("rules", "describe", "--name", "nightly", "-o", "table").stdout
    assert "CreatedBy" in detail and "cron(0 2 * * ? *)" in detail
    fires = pinned.json("rules", "next-fires", "--schedule", "cron(0 2 * * ? *)", "--count", "2")
    assert [f["Time"] for f in fires["FireTimes"]] == ["2026-11-21T02:00:00Z", "2026-11-22T02:00:00Z"]
    bad = pinned("rules", "next-fires", "--schedule", "cron(0 2 * * * *)")
    assert bad.exit_code == 2 and "Parameter ScheduleExpression is not valid." in bad.stderr


def test_remove_targets_accepts_several_ids(pinned: Cli) -> None:
    pinned.ok("rules", "put", "--name", "r", "--pattern", '{"source": ["x"]}')
    pinned.ok("rules", "put-targets", "--rule", "r", "--targets", f"Id=a,Arn={QUEUE}", f"Id=b,Arn={QUEUE}",
              f"Id=c,Arn={QUEUE}")  # fmt: skip
    pinned.ok("rules", "remove-targets", "--rule", "r", "--ids", "a", "b")
    assert [t["Id"] for t in pinned.json("rules", "list-targets", "--rule", "r")["Targets"]] == ["c"]
    pinned.ok("rules", "remove-targets", "--rule", "r", "--ids", "c")
    pinned.ok("rules", "delete", "--name", "r")
    assert pinned.json("rules", "list")["Rules"] == []


def test_every_command_has_an_example(cli: Cli) -> None:
    from awsmon.cli.rules import app

    names = {c.name for c in app.registered_commands}
    assert names >= {"put", "describe", "list", "delete", "enable", "disable", "put-targets", "list-targets",
                     "remove-targets", "test-event-pattern", "put-events", "deliveries", "next-fires"}  # fmt: skip
    for c in app.registered_commands:
        assert "Example: awsmon rules " in (c.callback.__doc__ or ""), c.name
    assert cli.ok("rules", "--help").stdout.count("awsmon rules") >= 3


def test_put_targets_table_says_how_many_failed(pinned: Cli) -> None:
    # it printed an empty table of failures ("TargetId ErrorCode ErrorMessage" and nothing): did it work?
    pinned.ok("rules", "put", "--name", "r1", "--schedule-expression", "rate(5 minutes)")
    out = pinned.ok("rules", "put-targets", "--rule", "r1", "--targets", "Id=a,Arn=arn:aws:sqs:us-east-1:123456789012:q",
                    "-o", "table").stdout  # fmt: skip
    assert [line.split()[:2] for line in out.splitlines()[1:]] == [["FailedEntryCount", "0"], ["FailedEntries", "[]"]]
    out = pinned.ok("rules", "remove-targets", "--rule", "r1", "--ids", "a", "-o", "table").stdout
    assert "FailedEntryCount  0" in out
