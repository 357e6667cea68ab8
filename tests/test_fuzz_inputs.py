"""Property-based probes: every option parser and file reader, fed random text and bytes, either succeeds or raises
a one-line usage error (exit 2) — never another exception, never "unexpected", never a traceback."""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from awsmon.errors import _UNPRINTABLE, UsageError
from awsmon.timeparse import TIME_MAX, TIME_MIN
from tests.conftest import Cli

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
PURE = settings(deadline=None, max_examples=100)  # the machine is shared: time is not what is tested here
CLI_SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Text as it can arrive through argv: any character but NUL, including lone surrogates (undecodable argv bytes).
ARGV_TEXT = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=()), max_size=40)
# Text shaped like the inputs: digits, units, signs, brackets, separators, JSON punctuation.
SHAPED = st.text(string.digits + "hmsdwHMSDWPT.:-+ eE/,=[]{}\"'\\agoinxyz", max_size=40)
TEXT = st.one_of(ARGV_TEXT, SHAPED)


def _deep(n: int) -> str:
    return "[" * n + "]" * n


JSONISH = st.one_of(
    TEXT,
    st.recursive(st.none() | st.booleans() | st.floats(allow_nan=False) | st.text(max_size=5),
                 lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=5), kids, max_size=3),
                 max_leaves=10).map(lambda v: __import__("json").dumps(v)),  # fmt: skip
    st.integers(50, 5000).map(_deep),
)


# File contents: random bytes, or JSON-ish text as bytes (a lone surrogate kept as the invalid UTF-8 it would be).
FILE_BYTES = st.binary(max_size=200) | JSONISH.map(lambda t: t.encode("utf-8", "surrogatepass"))


def _only_usage_errors(fn: Callable[[], Any]) -> None:
    try:
        fn()
    except UsageError as exc:
        assert exc.message and "\n" not in exc.message.strip(), exc.message


# -- pure parsers ------------------------------------------------------------------------------------------------


@PURE
@given(TEXT)
@example("1h-30")
@example("1H7000000000000000000000000000000")
@example("-99999999999")
@example("1e400")
@example("9999-12-31T23:00:00Z")
def test_parse_time(text: str) -> None:
    from awsmon.timeparse import parse_time

    try:
        got = parse_time(text, NOW)
    except UsageError:
        return
    assert TIME_MIN <= got < TIME_MAX


@PURE
@given(TEXT)
@example("91700000000000")
@example("PT99999999999999999999M")
@example("9" * 400 + "d")
def test_parse_duration(text: str) -> None:
    from awsmon.timeparse import parse_duration

    _only_usage_errors(lambda: parse_duration(text))


@PURE
@given(st.lists(TEXT, max_size=3))
def test_metric_option_parsers(values: list[str]) -> None:
    from awsmon.services import metrics

    _only_usage_errors(lambda: metrics.parse_dimensions(values))
    _only_usage_errors(lambda: metrics.parse_dimension_filters(values))
    _only_usage_errors(lambda: metrics.parse_numbers(values, "--values"))
    for v in values:
        _only_usage_errors(lambda v=v: metrics.parse_statistic_values(v))


@PURE
@given(st.lists(TEXT, max_size=3))
def test_alarm_and_shorthand_parsers(values: list[str]) -> None:
    from awsmon.cli._common import parse_key_values, split_values
    from awsmon.services import alarms

    _only_usage_errors(lambda: alarms.parse_dimensions(values))
    _only_usage_errors(lambda: alarms.parse_tags(values))
    split_values(values)
    for v in values:
        _only_usage_errors(lambda v=v: parse_key_values(v, "--x"))


@PURE
@given(JSONISH)
@example(_deep(100_000))
@example('{"a": "\\u0000"}')
def test_json_arguments(text: str) -> None:
    assume(text != "-")  # "-" reads stdin (tested through the CLI with input=); pytest's captured stdin refuses reads
    from awsmon.cli.logs import _parse_transformation
    from awsmon.inputs import loads_json
    from awsmon.services import alarms, config, metrics, rules, trail

    _only_usage_errors(lambda: loads_json(text, "--x"))
    _only_usage_errors(lambda: alarms.load_json_arg(text, "--metrics"))
    _only_usage_errors(lambda: config.parse_structure(text, "--delivery-channel"))
    _only_usage_errors(lambda: config.parse_input_parameters(text))
    _only_usage_errors(lambda: metrics.load_queries(text) if text.lstrip().startswith(("[", "{")) else None)
    _only_usage_errors(lambda: rules.parse_targets([text]))
    _only_usage_errors(lambda: rules.build_entries(entries=text))
    _only_usage_errors(lambda: trail._json_arg(text, "--event-selectors"))
    _only_usage_errors(lambda: trail.parse_lookup_attributes(text))
    _only_usage_errors(lambda: _parse_transformation(text))


@PURE
@given(FILE_BYTES)
@example(b"\xff\xfe[")
@example(_deep(100_000).encode())
@example(b'[{"MetricName": "m", "Value": 1, "Timestamp": -99999999999}]')
def test_file_readers(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    from awsmon.inputs import read_arg, read_json_arg

    path = tmp_path_factory.mktemp("in") / "arg.json"
    path.write_bytes(data)
    for prefix in ("file://", "fileb://"):
        _only_usage_errors(lambda prefix=prefix: read_arg(prefix + str(path), "--x"))
        _only_usage_errors(lambda prefix=prefix: read_json_arg(prefix + str(path), "--x"))
    _only_usage_errors(lambda: read_arg("@" + str(path), "--x", at_path=True))


def test_missing_and_unreadable_files_are_usage_errors(tmp_path: Path) -> None:
    from awsmon.inputs import read_arg

    for value in ("file:///nonexistent/x.json", f"file://{tmp_path}", "file://a\x00b"):
        with pytest.raises(UsageError, match="cannot read"):
            read_arg(value, "--x")


# -- the installed command ---------------------------------------------------------------------------------------


def _one_clear_line(res: Any, allowed: tuple[int, ...] = (0, 2)) -> None:
    assert res.exit_code in allowed, (res.exit_code, res.stderr)
    # the crash handler's words; AWS's own texts may say "unexpected symbol found" (Logs Insights)
    assert "error: unexpected " not in res.stderr and "Traceback" not in res.stderr, res.stderr
    if res.exit_code:
        lines = res.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("awsmon: error: "), lines  # a hint joins the same line
        assert not re.search(_UNPRINTABLE, lines[0]), lines


@CLI_SETTINGS
@given(TEXT)
@example("1h-30")
@example("1H7000000000000000000000000000000")
def test_cli_time_options(pinned: Cli, text: str) -> None:
    _one_clear_line(pinned("trail", "lookup", "--start", text, "--max-results", "1"))
    _one_clear_line(pinned("metrics", "get", "--namespace", "A", "--metric-name", "m", "--statistics", "Sum",
                           "--start", "1h", "--end", text))  # fmt: skip


@CLI_SETTINGS
@given(TEXT)
@example("91700000000000")
@example("PT99999999999999999999M")
def test_cli_clock(pinned: Cli, text: str) -> None:
    _one_clear_line(pinned("account", "clock", "advance", text))
    _one_clear_line(pinned("account", "clock", "set", text))
    _one_clear_line(pinned("account", "clock", "show"), (0,))


@CLI_SETTINGS
@given(TEXT, TEXT)
def test_cli_metric_options(pinned: Cli, dims: str, value: str) -> None:
    _one_clear_line(pinned("metrics", "put", "--namespace", "App", "--metric-name", "m", "--value", "1",
                           "--dimensions", dims))  # fmt: skip
    _one_clear_line(pinned("metrics", "put", "--namespace", "App", "--metric-name", "m", "--statistic-values", value))


def _file_bytes(fn: Callable[..., None]) -> Callable[..., None]:
    """The CLI's file probes: random bytes or JSON-ish text, with the cases that once failed."""
    for case in (b"\xff\xfe[", _deep(50_000).encode()):
        fn = example(data=case)(fn)
    return CLI_SETTINGS(given(data=FILE_BYTES)(fn))


def _arg_file(factory: pytest.TempPathFactory, data: bytes) -> Path:
    path = factory.mktemp("cli") / "arg.json"
    path.write_bytes(data)
    return path


@example(data=b'[{"MetricName": "m", "Value": 1, "Timestamp": -99999999999}]')
@example(data=b'{"source": ["x\\u0000\\u001b[31m"]')
@_file_bytes
def test_cli_file_arguments(pinned: Cli, tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = _arg_file(tmp_path_factory, data)
    url = f"file://{path}"
    _one_clear_line(pinned("metrics", "put", "--namespace", "App", "--metric-data", url))
    _one_clear_line(pinned("rules", "put", "--name", "r", "--event-pattern", url))
    _one_clear_line(pinned("rules", "test-event-pattern", "--event-pattern", url, "--event", url))
    _one_clear_line(pinned("config", "put-delivery-channel", "--delivery-channel", url), (0, 1, 2))
    _one_clear_line(pinned("metrics", "get-data", "--metric-data-queries", url))
    _one_clear_line(pinned("logs", "test-pattern", "--pattern", "x", "--file", url))


def test_shorthand_nested_forms() -> None:
    """aws-cli's shorthand: nested lists and structures, quoted values, csv lists."""
    from awsmon.services._input import shorthand

    assert shorthand("ResourceType=instance,Tags=[{Key=a,Value=b},{Key=c,Value=d}]", "x") == {
        "ResourceType": "instance", "Tags": [{"Key": "a", "Value": "b"}, {"Key": "c", "Value": "d"}]}
    assert shorthand("Name=x,Values=a,b", "x", lists=("Values",)) == {"Name": "x", "Values": ["a", "b"]}
    assert shorthand("Name=x,Values=a", "x", lists=("Values",)) == {"Name": "x", "Values": ["a"]}
    assert shorthand("Key=a,Value='x,y=z'", "x") == {"Key": "a", "Value": "x,y=z"}
    assert shorthand("A={B=[1,2],C={D=e}},E=true", "x") == {"A": {"B": [1, 2], "C": {"D": "e"}}, "E": True}
    assert shorthand("Expression=rate(5 minutes),DurationInSeconds=0", "x") == {
        "Expression": "rate(5 minutes)", "DurationInSeconds": 0}


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab=,[]{}'\" \\", max_size=30))
def test_shorthand_never_crashes(text: str) -> None:
    from awsmon.errors import UsageError
    from awsmon.services._input import shorthand

    try:
        assert isinstance(shorthand(text, "x"), dict)
    except UsageError as err:
        assert "\n" not in str(err)


# -- the resource groups, the query commands and the demo (an outside probe of the commands added after issue 15) ---
@PURE
@given(st.lists(JSONISH, max_size=3))
@example(["Key=a,Value=b,Key=c,Value=d"])
@example(["fileb:///nonexistent"])
def test_resource_input_parsers(values: list[str]) -> None:
    from awsmon.services import _input
    from awsmon.services import synthetics as syn

    assume("-" not in values)  # "-" reads stdin (pytest's captured stdin refuses reads)
    _only_usage_errors(lambda: _input.tags(values))
    _only_usage_errors(lambda: _input.tag_specifications(values))
    _only_usage_errors(lambda: _input.filters(values))
    for v in values:
        _only_usage_errors(lambda v=v: _input.json_or_shorthand(v, "--x"))
        _only_usage_errors(lambda v=v: _input.read_blob_arg(v, "--data"))
        _only_usage_errors(lambda v=v: syn.schedule_arg(v))
        _only_usage_errors(lambda v=v: syn.code_arg(v))
        _only_usage_errors(lambda v=v: syn.map_arg(v, "--run-config"))


_READY: set[str] = set()
TRUST = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}'  # noqa: E501


def _resources(cli: Cli) -> None:
    """One of each resource the commands below act on, made once per account (hypothesis reuses the fixture)."""
    if cli.env["AWSMON_HOME"] in _READY:
        return
    cli.ok("s3", "mb", "s3://fuzz-bucket")
    cli.ok("sqs", "create-queue", "--queue-name", "fuzz")
    cli.ok("sns", "create-topic", "--name", "fuzz")
    cli.ok("kinesis", "create-stream", "--stream-name", "fuzz", "--shard-count", "1")
    cli.ok("dynamodb", "create-table", "--table-name", "fuzz", "--attribute-definitions", "AttributeName=id,AttributeType=S",
           "--key-schema", "AttributeName=id,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST")  # fmt: skip
    cli.ok("logs", "create-group", "--name", "/fuzz")
    _READY.add(cli.env["AWSMON_HOME"])


@example(data=b'{"id": {"S": ""}, "n": {"N": "1e400"}}')
@example(data=b"SELECT * FROM read_text('/etc/hostname')")
@_file_bytes
def test_cli_resource_file_arguments(pinned: Cli, tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    _resources(pinned)
    path = _arg_file(tmp_path_factory, data)
    url = f"file://{path}"
    _one_clear_line(pinned("dashboards", "put-dashboard", "--dashboard-name", "fuzz", "--dashboard-body", url))
    _one_clear_line(pinned("dynamodb", "put-item", "--table-name", "fuzz", "--item", url))
    _one_clear_line(pinned("iam", "create-policy", "--policy-name", "fuzz", "--policy-document", url))
    _one_clear_line(pinned("s3", "put-bucket-policy", "--bucket", "fuzz-bucket", "--policy", url))
    _one_clear_line(pinned("sqs", "send-message", "--queue-url", "fuzz", "--message-body", url))
    _one_clear_line(pinned("sns", "publish", "--topic-arn", "arn:aws:sns:us-east-1:123456789012:fuzz", "--message", url))
    _one_clear_line(pinned("kinesis", "put-record", "--stream-name", "fuzz", "--partition-key", "k", "--data", f"fileb://{path}"))
    _one_clear_line(pinned("synthetics", "create-canary", "--name", "fuzz", "--blueprint", "heartbeat", "--url",
                           "https://example.com", "--schedule", url))  # fmt: skip
    _one_clear_line(pinned("ec2", "run-instances", "--image-id", "ami-0abcdef1234567890", "--tag-specifications", url))
    _one_clear_line(pinned("logs", "query", "--log-group-name", "/fuzz", "--query-file", str(path)))
    _one_clear_line(pinned("trail", "query", url, "--max-results", "1"))


@CLI_SETTINGS
@given(TEXT)
@example("%" * 40 + "a")
@example("fields @message | limit 99999999999999999999")
@example("SELECT * FROM read_text('/etc/hostname')")
@example("Key=a,Value=b,Key=c,Value=d")
def test_cli_resource_text_options(pinned: Cli, text: str) -> None:
    _resources(pinned)
    _one_clear_line(pinned("ec2", "create-security-group", "--group-name", text, "--description", text))
    _one_clear_line(pinned("sqs", "create-queue", "--queue-name", text))
    _one_clear_line(pinned("kinesis", "put-record", "--stream-name", "fuzz", "--partition-key", text, "--data", text))
    _one_clear_line(pinned("iam", "create-user", "--user-name", text, "--tags", text))
    _one_clear_line(pinned("s3", "put-public-access-block", "--bucket", "fuzz-bucket",
                           "--public-access-block-configuration", text))  # fmt: skip
    _one_clear_line(pinned("config", "select-resource-config", f"SELECT resourceId WHERE resourceId LIKE '{text}'"))
    _one_clear_line(pinned("config", "select-resource-config", text))
    _one_clear_line(pinned("logs", "query", "--log-group-name", "/fuzz", "--query-string", text))
    _one_clear_line(pinned("trail", "query", text, "--max-results", "1"))
    _one_clear_line(pinned("demo", "--lab", text), (2,))
