"""awsmon lambda: functions that really run on the local account, with every consequence AWS gives an invocation."""

from __future__ import annotations

import base64
import io
import json
import re
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

ROLE = "arn:aws:iam::123456789012:role/lambda-role"
HANDLER = "lambda_function.lambda_handler"

CODE = '''
import json
import logging
import os
import time

import boto3

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def lambda_handler(event, context):
    print("event", json.dumps(event, sort_keys=True))
    logger.info("function %s", context.function_name)
    if event.get("fail"):
        raise ValueError("boom: " + event["fail"])
    if event.get("sleep"):
        print("sleeping")
        time.sleep(event["sleep"])
    if event.get("boto3"):
        logs = boto3.client("logs")
        logs.create_log_group(logGroupName="/from/lambda")
        groups = [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix="/from")["logGroups"]]
        try:
            boto3.client("sns").publish(TopicArn="arn:aws:sns:us-east-1:123456789012:missing", Message="x")
        except Exception as exc:
            groups.append(type(exc).__name__ + ":" + exc.response["Error"]["Code"])
        return {"groups": groups}
    if event.get("unserialisable"):
        return {1, 2}
    return {
        "name": context.function_name,
        "memory": context.memory_limit_in_mb,
        "arn": context.invoked_function_arn,
        "request": context.aws_request_id,
        "group": context.log_group_name,
        "stream": context.log_stream_name,
        "remaining_ok": 0 < context.get_remaining_time_in_millis() <= 30000,
        "env": os.environ.get("GREETING"),
        "region": os.environ.get("AWS_REGION"),
    }
'''


def make_zip(path: Path, files: dict[str, str] | None = None) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in (files or {"lambda_function.py": CODE}).items():
            zf.writestr(name, text)
    path.write_bytes(buf.getvalue())
    return path


@pytest.fixture
def fn(pinned: Any, tmp_path: Path) -> Any:
    z = make_zip(tmp_path / "function.zip")
    pinned.ok("lambda", "create-function", "--function-name", "hello", "--runtime", "python3.12", "--handler",
              HANDLER, "--role", ROLE, "--zip-file", f"fileb://{z}", "--environment", "Variables={GREETING=hi}",
              "--timeout", "30")  # generous: a loaded CI machine can take seconds to import boto3
    return pinned


def _invoke(cli: Any, tmp_path: Path, payload: dict[str, Any], *extra: str) -> tuple[dict[str, Any], Any]:
    out = tmp_path / "response.json"
    meta = cli.json("lambda", "invoke", "--function-name", "hello", "--payload", json.dumps(payload), *extra, str(out))
    return meta, json.loads(out.read_text())


def _log_messages(cli: Any) -> list[str]:
    events = cli.json("logs", "filter", "--group", "/aws/lambda/hello")["events"]
    return [e["message"] for e in events]


def test_create_shapes_and_list(fn: Any) -> None:
    cfg = fn.json("lambda", "get-function", "--function-name", "hello")["Configuration"]
    assert cfg["FunctionArn"] == "arn:aws:lambda:us-east-1:123456789012:function:hello"
    assert cfg["Runtime"] == "python3.12" and cfg["Handler"] == HANDLER and cfg["Role"] == ROLE
    assert cfg["Timeout"] == 30 and cfg["MemorySize"] == 128 and cfg["Version"] == "$LATEST"
    assert cfg["Environment"] == {"Variables": {"GREETING": "hi"}}
    assert re.fullmatch(r"[A-Za-z0-9+/]{43}=", cfg["CodeSha256"])
    assert cfg["LastModified"] == "2026-11-20T12:00:00.000+0000"
    listed = fn.json("lambda", "list-functions")["Functions"]
    assert [f["FunctionName"] for f in listed] == ["hello"]
    history = fn.json("trail", "lookup", "--lookup-attributes", "EventName=CreateFunction")["Events"]
    assert len(history) == 1 and json.loads(history[0]["CloudTrailEvent"])["eventSource"] == "lambda.amazonaws.com"


def test_invoke_runs_handler_with_context_and_env(fn: Any, tmp_path: Path) -> None:
    meta, body = _invoke(fn, tmp_path, {"a": 1})
    assert meta == {"StatusCode": 200, "ExecutedVersion": "$LATEST"}
    assert body["name"] == "hello" and body["memory"] == 128 and body["remaining_ok"] is True
    assert body["arn"] == "arn:aws:lambda:us-east-1:123456789012:function:hello"
    assert body["group"] == "/aws/lambda/hello" and body["env"] == "hi" and body["region"] == "us-east-1"
    assert re.fullmatch(r"2026/11/20/\[\$LATEST\][0-9a-f]{32}", body["stream"])
    streams = fn.json("logs", "describe-streams", "--group", "/aws/lambda/hello")["logStreams"]
    assert [s["logStreamName"] for s in streams] == [body["stream"]]
    messages = _log_messages(fn)
    rid = body["request"]
    assert messages[0] == f"START RequestId: {rid} Version: $LATEST"
    assert messages[1] == 'event {"a": 1}'
    assert re.fullmatch(rf"\[INFO\]\t2026-11-20T12:00:0\d\.\d{{3}}Z\t{rid}\tfunction hello", messages[2])
    assert messages[-2] == f"END RequestId: {rid}"
    assert re.fullmatch(
        rf"REPORT RequestId: {rid}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\t"
        r"Max Memory Used: \d+ MB\tInit Duration: \d+\.\d\d ms\t",
        messages[-1],
    )


def test_function_error_shape_logs_and_metrics(fn: Any, tmp_path: Path) -> None:
    meta, body = _invoke(fn, tmp_path, {"fail": "bad input"}, "--log-type", "Tail")
    assert meta["StatusCode"] == 200 and meta["FunctionError"] == "Unhandled"
    assert body["errorType"] == "ValueError" and body["errorMessage"] == "boom: bad input"
    assert body["stackTrace"] and 'line 17, in lambda_handler' in body["stackTrace"][0]
    tail = base64.b64decode(meta["LogResult"]).decode()
    assert "[ERROR] ValueError: boom: bad input\nTraceback (most recent call last):" in tail
    assert tail.strip().splitlines()[-1].startswith("REPORT RequestId: ")
    error_events = [m for m in _log_messages(fn) if m.startswith("[ERROR]")]
    assert len(error_events) == 1 and "Traceback" in error_events[0]  # one event, as AWS writes it
    _invoke(fn, tmp_path, {"ok": True})
    stats = fn.json("metrics", "get", "--namespace", "AWS/Lambda", "--metric-name", "Invocations",
                    "--dimensions", "FunctionName=hello", "--statistics", "Sum", "--period", "60",
                    "--start-time", "2026-11-20T11:59:00Z", "--end-time", "2026-11-20T12:01:00Z")
    assert [d["Sum"] for d in stats["Datapoints"]] == [2.0]
    errors = fn.json("metrics", "get", "--namespace", "AWS/Lambda", "--metric-name", "Errors",
                     "--dimensions", "FunctionName=hello", "--statistics", "Sum", "--period", "60",
                     "--start-time", "2026-11-20T11:59:00Z", "--end-time", "2026-11-20T12:01:00Z")
    assert [d["Sum"] for d in errors["Datapoints"]] == [1.0]
    names = {m["MetricName"] for m in fn.json("metrics", "list", "--namespace", "AWS/Lambda")["Metrics"]}
    assert names == {"Invocations", "Errors", "Duration", "Throttles", "ConcurrentExecutions"}


def test_timeout_kills_and_reports(pinned: Any, tmp_path: Path) -> None:
    code = "import time\n\ndef lambda_handler(event, context):\n    print('sleeping')\n    time.sleep(60)\n"
    z = make_zip(tmp_path / "f.zip", {"lambda_function.py": code})
    pinned.ok("lambda", "create-function", "--function-name", "hello", "--runtime", "python3.12", "--handler",
              HANDLER, "--role", ROLE, "--zip-file", f"fileb://{z}", "--timeout", "2")
    started = time.monotonic()
    meta, body = _invoke(pinned, tmp_path, {})
    assert time.monotonic() - started < 30  # killed at its timeout, not after its minute of sleep
    assert meta["FunctionError"] == "Unhandled"
    assert re.fullmatch(r"2026-11-20T12:00:0\d\.\d{3}Z [0-9a-f-]{36} Task timed out after 2\.00 seconds",
                        body["errorMessage"])
    messages = _log_messages(pinned)
    assert "sleeping" in messages  # printed before the kill: unbuffered
    assert body["errorMessage"] in messages
    assert "Status: timeout" in messages[-1] and "Duration: 20" in messages[-1]


def test_boto3_inside_handler_is_served_by_local_account(fn: Any, tmp_path: Path) -> None:
    _meta, body = _invoke(fn, tmp_path, {"boto3": True})
    assert body["groups"] == ["/from/lambda", "NotFoundException:NotFound"]
    assert "/from/lambda" in [g["logGroupName"] for g in fn.json("logs", "describe-groups")["logGroups"]]
    # the call was made as the function's execution role (an assumed-role session named after the function)
    ev = fn.json("trail", "lookup", "--lookup-attributes", "EventName=CreateLogGroup")["Events"]
    identity = json.loads(ev[0]["CloudTrailEvent"])["userIdentity"]
    assert identity["type"] == "AssumedRole"
    assert identity["arn"] == "arn:aws:sts::123456789012:assumed-role/lambda-role/hello"


def test_marshal_error_and_import_error(pinned: Any, tmp_path: Path) -> None:
    z = make_zip(tmp_path / "f.zip")
    pinned.ok("lambda", "create-function", "--function-name", "hello", "--runtime", "python3.12", "--handler",
              HANDLER, "--role", ROLE, "--zip-file", f"fileb://{z}", "--timeout", "30")
    _meta, body = _invoke(pinned, tmp_path, {"unserialisable": True})
    assert body["errorType"] == "Runtime.MarshalError"
    assert body["errorMessage"].startswith("Unable to marshal response: Object of type set is not JSON serializable")
    pinned.ok("lambda", "create-function", "--function-name", "broken", "--runtime", "python3.12", "--handler",
              "missing.handler", "--role", ROLE, "--zip-file", f"fileb://{z}")
    out = tmp_path / "o.json"
    meta = pinned.json("lambda", "invoke", "--function-name", "broken", str(out))
    body = json.loads(out.read_text())
    assert meta["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ImportModuleError"
    assert body["errorMessage"] == "Unable to import module 'missing': No module named 'missing'"


def test_other_runtimes_recorded_not_run(pinned: Any, tmp_path: Path) -> None:
    z = make_zip(tmp_path / "f.zip", {"index.js": "exports.handler = async () => 1;"})
    pinned.ok("lambda", "create-function", "--function-name", "node", "--runtime", "nodejs20.x", "--handler",
              "index.handler", "--role", ROLE, "--zip-file", f"fileb://{z}")
    out = tmp_path / "o.json"
    meta = pinned.json("lambda", "invoke", "--function-name", "node", str(out))
    body = json.loads(out.read_text())
    assert meta["FunctionError"] == "Unhandled" and body["errorType"] == "Runtime.Unsupported"
    cfg = pinned.json("lambda", "get-function", "--function-name", "node")["Configuration"]
    assert (cfg["Timeout"], cfg["MemorySize"]) == (3, 128)  # AWS's defaults
    assert "Python runtimes only" in body["errorMessage"]


def test_invoke_is_a_data_event(fn: Any, tmp_path: Path) -> None:
    _invoke(fn, tmp_path, {"a": 1})
    from awsmon.context import AppContext

    ctx = AppContext.create(backend="local", home=fn.env["AWSMON_HOME"], output="json")
    try:
        rows = ctx.store().conn.execute(
            "SELECT event_category, record FROM events WHERE event_name = 'Invoke'").fetchall()
    finally:
        ctx.close()
    assert len(rows) == 1 and rows[0][0] == "Data"
    record = json.loads(rows[0][1])
    assert record["managementEvent"] is False and record["readOnly"] is False
    assert record["resources"][0]["type"] == "AWS::Lambda::Function"


def test_permissions_and_policy(fn: Any) -> None:
    rule = "arn:aws:events:us-east-1:123456789012:rule/nightly"
    st = json.loads(fn.json("lambda", "add-permission", "--function-name", "hello", "--statement-id", "events",
                            "--action", "lambda:InvokeFunction", "--principal", "events.amazonaws.com",
                            "--source-arn", rule)["Statement"])
    assert st == {"Sid": "events", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                  "Action": "lambda:InvokeFunction",
                  "Resource": "arn:aws:lambda:us-east-1:123456789012:function:hello",
                  "Condition": {"ArnLike": {"AWS:SourceArn": rule}}}
    policy = json.loads(fn.json("lambda", "get-policy", "--function-name", "hello")["Policy"])
    assert policy["Version"] == "2012-10-17" and policy["Statement"] == [st]
    res = fn("lambda", "add-permission", "--function-name", "hello", "--statement-id", "events", "--action",
             "lambda:InvokeFunction", "--principal", "events.amazonaws.com")
    assert res.exit_code == 1 and "ResourceConflictException: The statement id (sid) provided already exists" in res.stderr


def test_update_code_and_delete(fn: Any, tmp_path: Path) -> None:
    z = make_zip(tmp_path / "v2.zip", {"lambda_function.py": "def lambda_handler(e, c):\n    return 'v2'\n"})
    before = fn.json("lambda", "get-function", "--function-name", "hello")["Configuration"]
    after = fn.json("lambda", "update-function-code", "--function-name", "hello", "--zip-file", f"fileb://{z}")
    assert after["CodeSha256"] != before["CodeSha256"] and after["RevisionId"] != before["RevisionId"]
    _meta, body = _invoke(fn, tmp_path, {})
    assert body == "v2"
    fn.ok("lambda", "delete-function", "--function-name", "hello")
    assert fn.json("lambda", "list-functions")["Functions"] == []
    # the log group stays, as on AWS
    assert "/aws/lambda/hello" in [g["logGroupName"] for g in fn.json("logs", "describe-groups")["logGroups"]]


def test_async_delivery_from_other_services(fn: Any) -> None:
    """facts.deliver to a function ARN is an Event invocation (EventBridge targets, SNS, alarm actions)."""
    from awsmon.backends.local import facts
    from awsmon.context import AppContext

    ctx = AppContext.create(backend="local", home=fn.env["AWSMON_HOME"], output="json")
    try:
        store = ctx.store()
        with store.transaction():
            ok = facts.deliver(store, "arn:aws:lambda:us-east-1:123456789012:function:hello",
                               json.dumps({"source": "aws.ec2"}), store.now())
            missing = facts.deliver(store, "arn:aws:lambda:us-east-1:123456789012:function:nope", "{}", store.now())
    finally:
        ctx.close()
    assert ok.ok and ok.status == "Delivered"
    assert not missing.ok and missing.error_code == "ResourceNotFoundException"
    assert 'event {"source": "aws.ec2"}' in _log_messages(fn)


def test_sns_subscription_delivery_wraps_the_notification_in_records(fn: Any) -> None:
    from awsmon.backends.local import facts
    from awsmon.context import AppContext

    sub = "arn:aws:sns:us-east-1:123456789012:ops:0b6941c3-f04d-4d3e-a82e-ad8ca4b7ba0a"
    envelope = {"Type": "Notification", "MessageId": "m-1", "TopicArn": "arn:aws:sns:us-east-1:123456789012:ops",
                "Subject": "hi", "Message": "hello", "Timestamp": "2026-11-20T12:00:00.000Z",
                "SigningCertURL": "https://example.invalid/cert.pem", "UnsubscribeURL": "https://example.invalid/u"}
    ctx = AppContext.create(backend="local", home=fn.env["AWSMON_HOME"], output="json")
    try:
        store = ctx.store()
        with store.transaction():
            got = facts.deliver(store, "arn:aws:lambda:us-east-1:123456789012:function:hello", json.dumps(envelope),
                                store.now(), subscription_arn=sub, topic_arn=envelope["TopicArn"])
    finally:
        ctx.close()
    assert got.ok
    line = next(m for m in _log_messages(fn) if m.startswith("event "))
    event = json.loads(line[len("event "):])
    record = event["Records"][0]
    assert record["EventSource"] == "aws:sns" and record["EventSubscriptionArn"] == sub
    assert record["Sns"]["Message"] == "hello" and record["Sns"]["SigningCertUrl"].endswith("cert.pem")


def test_config_fact_emitted(fn: Any, tmp_path: Path) -> None:
    """Create, update and delete state a resource_changed fact for AWS::Lambda::Function."""
    from awsmon.backends.local import facts

    seen: list[dict[str, Any]] = []
    facts._loaded["tests.test_lambda:_record_fact"] = lambda store, region, **p: seen.append(p)
    facts.subscribe("resource_changed", "tests.test_lambda:_record_fact")
    try:
        z = make_zip(tmp_path / "g.zip")
        fn.ok("lambda", "create-function", "--function-name", "second", "--runtime", "python3.12", "--handler",
              HANDLER, "--role", ROLE, "--zip-file", f"fileb://{z}")
        fn.ok("lambda", "delete-function", "--function-name", "second")
    finally:
        facts.unsubscribe("resource_changed", "tests.test_lambda:_record_fact")
        facts._loaded.pop("tests.test_lambda:_record_fact", None)
    assert [(p["resource_type"], p["resource_id"], p["configuration"] is None) for p in seen] == [
        ("AWS::Lambda::Function", "second", False), ("AWS::Lambda::Function", "second", True)]
    assert seen[0]["relationships"] == [{"resourceType": "AWS::IAM::Role", "resourceName": "lambda-role",
                                         "relationshipName": "Is associated with "}]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--runtime", "python3.7"], 2, "InvalidParameterValueException: The runtime parameter of python3.7 is no "
         "longer supported for creating or updating AWS Lambda functions."),
        (["--runtime", "cobol"], 2, "ValidationException: 1 validation error detected: Value 'cobol' at 'runtime'"),
        (["--handler", "has space"], 2, "ValidationException: 1 validation error detected: Value 'has space' at 'handler'"),
        (["--timeout", "901"], 2, "Value '901' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900"),
        (["--role", "not-a-role"], 2, "Value 'not-a-role' at 'role'"),
        (["--zip-file", "NOTZIP"], 2, "InvalidParameterValueException: Could not unzip uploaded file. Please check your "
         "file, then try to upload again."),
    ],
)
def test_bad_input_stores_nothing(pinned: Any, tmp_path: Path, args: list[str], code: int, message: str) -> None:
    z = make_zip(tmp_path / "f.zip")
    notzip = tmp_path / "notzip.zip"
    notzip.write_text("hello")
    opts = {"--function-name": "bad", "--runtime": "python3.12", "--handler": HANDLER, "--role": ROLE,
            "--zip-file": f"fileb://{z}"}
    for i in range(0, len(args), 2):
        opts[args[i]] = args[i + 1].replace("NOTZIP", f"fileb://{notzip}")
    res = pinned("lambda", "create-function", *[x for kv in opts.items() for x in kv])
    assert res.exit_code == code, res.stderr
    assert message in res.stderr and res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    assert pinned.json("lambda", "list-functions")["Functions"] == []


def test_not_found_and_conflict(fn: Any, tmp_path: Path) -> None:
    z = make_zip(tmp_path / "f.zip")
    res = fn("lambda", "create-function", "--function-name", "hello", "--runtime", "python3.12", "--handler",
             HANDLER, "--role", ROLE, "--zip-file", f"fileb://{z}")
    assert res.exit_code == 1 and "ResourceConflictException: Function already exist: hello" in res.stderr
    res = fn("lambda", "invoke", "--function-name", "nope", str(tmp_path / "o.json"))
    assert res.exit_code == 1
    assert "ResourceNotFoundException: Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope" in res.stderr
    assert not (tmp_path / "o.json").exists()
    res = fn("lambda", "invoke", "--function-name", "hello", "--payload", "{not json", str(tmp_path / "o.json"))
    assert res.exit_code == 2 and "InvalidRequestContentException: Could not parse request body into json" in res.stderr
    res = fn("lambda", "get-policy", "--function-name", "hello")
    assert res.exit_code == 1 and "ResourceNotFoundException: The resource you requested does not exist." in res.stderr


@pytest.mark.moto
def test_contract_create_list_get_delete_on_moto(moto_env: dict[str, str], cli: Any, tmp_path: Path) -> None:
    """moto's Lambda needs docker to invoke a function: the contract covers create/list/get/delete shapes only."""
    import boto3

    iam = boto3.client("iam", endpoint_url=moto_env["AWSMON_ENDPOINT_URL"], region_name="us-east-1")
    role = iam.create_role(RoleName="lambda-role", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    z = make_zip(tmp_path / "f.zip")
    created = cli.json("lambda", "create-function", "--function-name", "hello", "--runtime", "python3.12",
                       "--handler", HANDLER, "--role", role, "--zip-file", f"fileb://{z}")
    assert created["FunctionName"] == "hello" and created["Runtime"] == "python3.12"
    assert created["FunctionArn"].endswith(":function:hello")
    assert [f["FunctionName"] for f in cli.json("lambda", "list-functions")["Functions"]] == ["hello"]
    got = cli.json("lambda", "get-function", "--function-name", "hello")
    assert got["Configuration"]["Handler"] == HANDLER and "Location" in got["Code"]
    cli.ok("lambda", "delete-function", "--function-name", "hello")
    res = cli("lambda", "get-function", "--function-name", "hello")
    assert res.exit_code == 1 and "ResourceNotFoundException" in res.stderr


def test_config_records_function_and_public_access_rule(fn: Any) -> None:
    """Config records AWS::Lambda::Function (policy in supplementaryConfiguration) and the managed rule
    lambda-function-public-access-prohibited reads it."""
    fn.ok("config", "put-configuration-recorder", "--name", "default", "--all-supported")
    fn.ok("config", "put-delivery-channel", "--name", "default", "--s3-bucket-name", "config-bucket")
    fn.ok("config", "start-recording", "--name", "default")
    fn.ok("config", "put-rule", "--config-rule-name", "lambda-public", "--source-identifier",
          "LAMBDA_FUNCTION_PUBLIC_ACCESS_PROHIBITED")
    fn.ok("account", "clock", "advance", "1m")
    fn.ok("lambda", "add-permission", "--function-name", "hello", "--statement-id", "anyone", "--action",
          "lambda:InvokeFunction", "--principal", "*")
    fn.ok("account", "clock", "advance", "1m")
    item = fn.json("config", "get-resource", "--resource-type", "AWS::Lambda::Function", "--resource-id", "hello")
    text = json.dumps(item)
    assert "arn:aws:lambda:us-east-1:123456789012:function:hello" in text and '\\"Sid\\":\\"anyone\\"' in text
    details = fn.json("config", "get-compliance-details", "--config-rule-name", "lambda-public")
    results = {r["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceId"]: r["ComplianceType"]
               for r in details["EvaluationResults"]}
    assert results == {"hello": "NON_COMPLIANT"}


@pytest.mark.parametrize("selected", [True, False])
def test_invoke_reaches_a_trail_only_when_its_selectors_ask(fn: Any, tmp_path: Path, selected: bool) -> None:
    import gzip

    fn.ok("trail", "create", "--name", "audit", "--s3-new-bucket", "trail-bucket")
    fn.ok("trail", "start-logging", "--name", "audit")
    if selected:
        fn.ok("trail", "put-event-selectors", "--name", "audit", "--event-selectors", json.dumps([{
            "ReadWriteType": "All", "IncludeManagementEvents": True,
            "DataResources": [{"Type": "AWS::Lambda::Function",
                               "Values": ["arn:aws:lambda:us-east-1:123456789012:function:hello"]}]}]))
    _invoke(fn, tmp_path, {"a": 1})
    fn.ok("account", "clock", "advance", "10m")
    bucket = Path(fn.env["AWSMON_HOME"]) / "accounts" / "123456789012" / "s3" / "trail-bucket"
    records = [r for f in bucket.rglob("*.json.gz") for r in json.loads(gzip.decompress(f.read_bytes()))["Records"]]
    invokes = [r for r in records if r["eventName"] == "Invoke"]
    assert len(invokes) == (1 if selected else 0)
    if selected:
        assert invokes[0]["eventCategory"] == "Data" and invokes[0]["managementEvent"] is False
        assert invokes[0]["resources"][0]["ARN"] == "arn:aws:lambda:us-east-1:123456789012:function:hello"
    assert fn.json("trail", "lookup", "--lookup-attributes", "EventName=Invoke")["Events"] == []  # not in history


def test_memory_is_the_functions_own_and_over_the_size_fails(pinned: Any, tmp_path: Path) -> None:
    code = ("def lambda_handler(event, context):\n"
            "    block = bytearray(event['mb'] * 1024 * 1024)\n"
            "    block[::4096] = b'x' * len(block[::4096])\n"
            "    return len(block)\n")
    z = make_zip(tmp_path / "m.zip", {"lambda_function.py": code})
    pinned.ok("lambda", "create-function", "--function-name", "hello", "--runtime", "python3.12", "--handler",
              HANDLER, "--role", ROLE, "--zip-file", f"fileb://{z}")
    meta, body = _invoke(pinned, tmp_path, {"mb": 1}, "--log-type", "Tail")
    assert body == 1024 * 1024 and "FunctionError" not in meta
    used = int(re.search(r"Max Memory Used: (\d+) MB", base64.b64decode(meta["LogResult"]).decode()).group(1))
    assert 5 <= used < 128  # the child's own peak, not the (large) parent it was forked from
    meta, body = _invoke(pinned, tmp_path, {"mb": 200})
    assert meta["FunctionError"] == "Unhandled" and body["errorType"] == "Runtime.OutOfMemory"
    assert body["errorMessage"].endswith("Error: Runtime exited with error: signal: killed")


def test_eventbridge_sns_and_alarm_actions_invoke_the_function(fn: Any) -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:hello"
    fn.ok("rules", "put", "--name", "orders", "--event-pattern", '{"source": ["my.app"]}')
    fn.ok("rules", "put-targets", "--rule", "orders", "--targets", f"Id=fn,Arn={arn}")
    fn.ok("rules", "put-events", "--source", "my.app", "--detail-type", "Order", "--detail", '{"total": 42}')
    fn.ok("alarms", "topics", "create", "ops")
    fn.ok("alarms", "topics", "subscribe", "ops", "--protocol", "lambda", "--endpoint", arn)
    fn.ok("alarms", "topics", "publish", "ops", "--message", "from sns")
    fn.ok("alarms", "put", "--alarm-name", "high", "--namespace", "App", "--metric-name", "Latency", "--statistic",
          "Maximum", "--period", "60", "--evaluation-periods", "1", "--threshold", "1", "--comparison-operator",
          "GreaterThanThreshold", "--alarm-actions", arn)
    fn.ok("alarms", "set-state", "--alarm-name", "high", "--state-value", "ALARM", "--state-reason", "test")
    events = [json.loads(m[len("event "):]) for m in _log_messages(fn) if m.startswith("event ")]
    sources = [e.get("source") or e["Records"][0]["EventSource"] for e in events]
    assert sources == ["my.app", "aws:sns", "aws.cloudwatch"]
    assert events[0]["detail"] == {"total": 42}
    assert events[1]["Records"][0]["Sns"]["Message"] == "from sns"
    assert events[2]["alarmData"]["alarmName"] == "high" and events[2]["alarmData"]["state"]["value"] == "ALARM"


def test_payload_forms(fn: Any, tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text('{"from": "file"}')
    _meta, _body = _invoke(fn, tmp_path, {"from": "raw"})
    out = tmp_path / "o.json"
    fn.ok("lambda", "invoke", "--function-name", "hello", "--payload", f"file://{event}", str(out))
    fn.ok("lambda", "invoke", "--function-name", "hello", "--cli-binary-format", "base64", "--payload",
          base64.b64encode(b'{"from": "base64"}').decode(), str(out))
    printed = [m for m in _log_messages(fn) if m.startswith("event ")]
    assert printed == ['event {"from": "raw"}', 'event {"from": "file"}', 'event {"from": "base64"}']
    res = fn("lambda", "invoke", "--function-name", "hello", "--cli-binary-format", "base64", "--payload", "{no", str(out))
    assert res.exit_code == 2 and "invalid base64" in res.stderr
    stdout = fn.json("lambda", "invoke", "--function-name", "hello", "-")
    assert json.loads(stdout["Payload"])["name"] == "hello"
