"""Logs subscription filters (delivery as AWS sends it) and the local Kinesis Data Streams service (both backends)."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path

from tests.conftest import Cli

G = "/app/web"
STREAM_ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/logs"


def _records(cli: Cli, stream: str = "logs") -> list[dict]:
    shards = cli.json("kinesis", "describe-stream", "--stream-name", stream)["StreamDescription"]["Shards"]
    out = []
    for shard in shards:
        it = cli.json("kinesis", "get-shard-iterator", "--stream-name", stream, "--shard-id", shard["ShardId"],
                      "--shard-iterator-type", "TRIM_HORIZON")["ShardIterator"]  # fmt: skip
        out += cli.json("kinesis", "get-records", "--shard-iterator", it)["Records"]
    return sorted(out, key=lambda r: r["SequenceNumber"])


def _messages(records: list[dict]) -> list[dict]:
    return [json.loads(gzip.decompress(base64.b64decode(r["Data"]))) for r in records]


def test_kinesis_stream_records(backend_cli: Cli) -> None:
    cli = backend_cli
    cli.ok("kinesis", "create-stream", "--stream-name", "logs", "--shard-count", "2")
    desc = cli.json("kinesis", "describe-stream", "--stream-name", "logs")["StreamDescription"]
    assert desc["StreamARN"] == STREAM_ARN and desc["StreamStatus"] == "ACTIVE"
    assert [s["ShardId"] for s in desc["Shards"]] == ["shardId-000000000000", "shardId-000000000001"]
    assert desc["Shards"][1]["HashKeyRange"]["EndingHashKey"] == str(2**128 - 1)
    assert cli.json("kinesis", "list-streams")["StreamNames"] == ["logs"]
    data = base64.b64encode(b"hello \x00 bytes").decode()
    put = cli.json("kinesis", "put-record", "--stream-name", "logs", "--partition-key", "k1", "--data", data)
    assert put["ShardId"].startswith("shardId-") and put["SequenceNumber"].isdigit()
    recs = _records(cli)
    assert [(r["Data"], r["PartitionKey"], r["SequenceNumber"]) for r in recs] == [(data, "k1", put["SequenceNumber"])]
    # Tables and csv print the blob base64 as aws-cli does, not Python's bytes repr.
    first = cli.json("kinesis", "get-shard-iterator", "--stream-name", "logs", "--shard-id", put["ShardId"],
                     "--shard-iterator-type", "TRIM_HORIZON")["ShardIterator"]  # fmt: skip
    for fmt in ("table", "csv"):
        shown = cli.ok("kinesis", "get-records", "--shard-iterator", first, "-o", fmt).stdout
        assert data in shown and "b'" not in shown and 'b"' not in shown
    # AFTER_SEQUENCE_NUMBER of the last record: nothing more.
    it = cli.json("kinesis", "get-shard-iterator", "--stream-name", "logs", "--shard-id", put["ShardId"],
                  "--shard-iterator-type", "AFTER_SEQUENCE_NUMBER", "--starting-sequence-number",
                  put["SequenceNumber"])["ShardIterator"]  # fmt: skip
    assert cli.json("kinesis", "get-records", "--shard-iterator", it)["Records"] == []
    dup = cli("kinesis", "create-stream", "--stream-name", "logs", "--shard-count", "1")
    assert dup.exit_code != 0 and "ResourceInUseException" in dup.stderr
    cli.ok("kinesis", "delete-stream", "--stream-name", "logs")
    gone = cli("kinesis", "describe-stream", "--stream-name", "logs")
    assert gone.exit_code != 0 and "ResourceNotFoundException" in gone.stderr


def test_subscription_filter_lifecycle(backend_cli: Cli) -> None:
    cli = backend_cli
    cli.ok("logs", "create-group", "--group", G)
    cli.ok("kinesis", "create-stream", "--stream-name", "logs", "--shard-count", "1")
    cli.ok("logs", "put-subscription-filter", "--log-group-name", G, "--filter-name", "errors", "--filter-pattern",
           "ERROR", "--destination-arn", STREAM_ARN, "--distribution", "Random")  # fmt: skip
    cli.ok("logs", "put-subscription-filter", "--log-group-name", G, "--filter-name", "all", "--filter-pattern", "",
           "--destination-arn", STREAM_ARN)  # fmt: skip
    # Sorted here: local lists by name (as AWS lists metric filters); moto lists in creation order.
    got = sorted(cli.json("logs", "describe-subscription-filters", "--log-group-name", G)["subscriptionFilters"],
                 key=lambda f: f["filterName"])
    assert [(f["filterName"], f["filterPattern"], f["destinationArn"], f["logGroupName"]) for f in got] == [
        ("all", "", STREAM_ARN, G), ("errors", "ERROR", STREAM_ARN, G)]  # fmt: skip
    # moto does not keep `distribution` (it answers ByLogStream); AWS and the local backend keep what was given.
    assert got[1]["distribution"] == ("ByLogStream" if "AWSMON_ENDPOINT_URL" in cli.env else "Random")
    third = cli("logs", "put-subscription-filter", "--log-group-name", G, "--filter-name", "third",
                "--filter-pattern", "x", "--destination-arn", STREAM_ARN)  # fmt: skip
    assert third.exit_code != 0 and "LimitExceededException" in third.stderr and "Resource limit exceeded." in third.stderr
    cli.ok("logs", "delete-subscription-filter", "--log-group-name", G, "--filter-name", "all")
    names = [f["filterName"] for f in cli.json("logs", "describe-subscription-filters", "--group", G)["subscriptionFilters"]]
    assert names == ["errors"]
    missing = cli("logs", "delete-subscription-filter", "--log-group-name", G, "--filter-name", "all")
    assert missing.exit_code != 0 and "ResourceNotFoundException" in missing.stderr


def test_matching_events_reach_kinesis_as_aws_sends_them(pinned: Cli) -> None:
    cli = pinned
    cli.ok("logs", "create-group", "--group", G)
    cli.ok("kinesis", "create-stream", "--stream-name", "logs", "--shard-count", "2")
    cli.ok("logs", "put-subscription-filter", "--log-group-name", G, "--filter-name", "errors", "--filter-pattern",
           "ERROR", "--destination-arn", STREAM_ARN)  # fmt: skip
    control = _messages(_records(cli))
    assert control[0]["messageType"] == "CONTROL_MESSAGE" and control[0]["owner"] == "CloudwatchLogs"
    assert control[0]["logEvents"][0]["message"] == "CWL CONTROL MESSAGE: Checking health of destination Kinesis stream."
    for stream in ("i-1", "i-2"):
        cli.ok("logs", "create-stream", "--group", G, "--stream", stream)
    cli.ok("logs", "put-events", "--group", G, "--stream", "i-1", "-m", "ERROR one", "-m", "fine", "-m", "ERROR two")
    cli.ok("logs", "put-events", "--group", G, "--stream", "i-2", "-m", "all good")
    records = _records(cli)
    data = _messages(records)[1:]
    assert len(data) == 1
    msg = data[0]
    assert {k: msg[k] for k in ("messageType", "owner", "logGroup", "logStream", "subscriptionFilters")} == {
        "messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": G, "logStream": "i-1",
        "subscriptionFilters": ["errors"]}  # fmt: skip
    assert [e["message"] for e in msg["logEvents"]] == ["ERROR one", "ERROR two"]
    stored = cli.json("logs", "get-events", "--group", G, "--stream", "i-1", "-o", "json")["events"]
    ids = {e["message"]: e["eventId"] for e in stored} if "eventId" in stored[0] else None
    if ids is not None:
        assert [e["id"] for e in msg["logEvents"]] == [ids["ERROR one"], ids["ERROR two"]]
    assert records[-1]["PartitionKey"] == "i-1"  # ByLogStream: the stream decides the shard


def test_lambda_subscription_receives_awslogs_event(pinned: Cli, tmp_path: Path) -> None:
    from tests.test_lambda import HANDLER, ROLE, make_zip

    code = '''
import base64, gzip, json
def lambda_handler(event, context):
    data = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
    print("GOT " + data["logGroup"] + " " + "|".join(e["message"] for e in data["logEvents"]))
'''
    z = make_zip(tmp_path / "f.zip", {"lambda_function.py": code})
    pinned.ok("lambda", "create-function", "--function-name", "sink", "--runtime", "python3.12", "--handler",
              HANDLER, "--role", ROLE, "--zip-file", f"fileb://{z}")  # fmt: skip
    pinned.ok("logs", "create-group", "--group", G)
    fn = "arn:aws:lambda:us-east-1:123456789012:function:sink"
    grant_logs(pinned, "sink", f"arn:aws:logs:us-east-1:123456789012:log-group:{G}:*")
    pinned.ok("logs", "put-subscription-filter", "--log-group-name", G, "--filter-name", "f", "--filter-pattern",
              "{ $.level = \"error\" }", "--destination-arn", fn)  # fmt: skip
    pinned.ok("logs", "create-stream", "--group", G, "--stream", "s")
    pinned.ok("logs", "put-events", "--group", G, "--stream", "s", "-m", '{"level":"error","n":1}', "-m",
              '{"level":"info"}')  # fmt: skip
    events = pinned.json("logs", "filter", "--group", "/aws/lambda/sink", "--start", "1d", "-o", "json")["events"]
    assert any(e["message"].startswith('GOT /app/web {"level":"error","n":1}') for e in events)


def grant_logs(cli: Cli, function: str, source_arn: str | None = None, principal: str = "logs.amazonaws.com",
               sid: str = "logs") -> None:
    """``aws lambda add-permission`` letting CloudWatch Logs invoke the function (what AWS requires first)."""
    extra = ["--source-arn", source_arn] if source_arn else []
    cli.ok("lambda", "add-permission", "--function-name", function, "--statement-id", sid, "--action",
           "lambda:InvokeFunction", "--principal", principal, *extra)  # fmt: skip


def test_lambda_subscription_needs_the_functions_permission(pinned: Cli, tmp_path: Path) -> None:
    """AWS refuses a Lambda destination whose resource policy does not let logs.amazonaws.com invoke it for this log
    group (InvalidParameterException); add-permission for the group (or the Regional principal, or every group)
    makes the same call succeed."""
    from tests.test_lambda import HANDLER, ROLE, make_zip

    z = make_zip(tmp_path / "f.zip")
    pinned.ok("lambda", "create-function", "--function-name", "sink", "--runtime", "python3.12", "--handler",
              HANDLER, "--role", ROLE, "--zip-file", f"fileb://{z}")  # fmt: skip
    pinned.ok("logs", "create-group", "--group", G)
    fn = "arn:aws:lambda:us-east-1:123456789012:function:sink"
    put = ("logs", "put-subscription-filter", "--log-group-name", G, "--filter-name", "f", "--filter-pattern", "",
           "--destination-arn", fn)  # fmt: skip
    expected = ("InvalidParameterException: Could not execute the lambda function. Make sure you have given "
                "CloudWatch Logs permission to execute your function.")  # fmt: skip
    res = pinned(*put)
    assert res.exit_code == 2 and expected in res.stderr, res.stderr  # no policy at all
    grant_logs(pinned, "sink", principal="events.amazonaws.com", sid="events")  # another service's grant
    grant_logs(pinned, "sink", "arn:aws:logs:us-east-1:123456789012:log-group:/other:*", sid="other")  # other group
    res = pinned(*put)
    assert res.exit_code == 2 and expected in res.stderr, res.stderr
    assert pinned.json("logs", "describe-subscription-filters", "--group", G)["subscriptionFilters"] == []
    grant_logs(pinned, "sink", "arn:aws:logs:us-east-1:123456789012:log-group:/app/*", sid="app",
               principal="logs.us-east-1.amazonaws.com")  # fmt: skip
    pinned.ok(*put)
    assert [f["destinationArn"] for f in pinned.json("logs", "describe-subscription-filters", "--group", G)[
        "subscriptionFilters"]] == [fn]  # fmt: skip


def test_bad_subscription_filters_store_nothing(pinned: Cli) -> None:
    cli = pinned
    cli.ok("logs", "create-group", "--group", G)
    cli.ok("kinesis", "create-stream", "--stream-name", "logs", "--shard-count", "1")
    cases = [
        (["--filter-pattern", "{ $.x = ", "--destination-arn", STREAM_ARN], "InvalidParameterException"),
        (["--filter-pattern", "", "--destination-arn", STREAM_ARN, "--distribution", "Sideways"],
         "Member must satisfy enum value set: [Random, ByLogStream]"),
        (["--filter-pattern", "", "--destination-arn", STREAM_ARN.replace("/logs", "/nope")],
         "Could not deliver test message to specified destination. Check if the destination is valid."),
        (["--filter-pattern", "", "--destination-arn", "arn:aws:lambda:us-east-1:123456789012:function:nope"],
         "Could not execute the lambda function."),
    ]  # fmt: skip
    for args, text in cases:
        res = cli("logs", "put-subscription-filter", "--log-group-name", G, "--filter-name", "f", *args)
        assert res.exit_code == 2 and text in res.stderr, (args, res.stderr)
    assert cli.json("logs", "describe-subscription-filters", "--group", G)["subscriptionFilters"] == []
    missing = cli("logs", "put-subscription-filter", "--log-group-name", "/nope", "--filter-name", "f",
                  "--filter-pattern", "", "--destination-arn", STREAM_ARN)  # fmt: skip
    assert missing.exit_code == 1 and "ResourceNotFoundException" in missing.stderr
    bad = cli("kinesis", "put-record", "--stream-name", "logs", "--partition-key", "k", "--data", "!!notbase64")
    assert bad.exit_code == 2
