"""Account-level CloudWatch Logs policies (PutAccountPolicy / DescribeAccountPolicies / DeleteAccountPolicy): a
subscription filter policy delivers from every log group not excluded; a data protection policy masks in every
group. moto implements none of the three operations, so these run on the local backend."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Cli
from tests.test_logs_subscriptions import STREAM_ARN, _messages, _records

SUB = "SUBSCRIPTION_FILTER_POLICY"


def _policy(pattern: str = "ERROR", **extra: str) -> str:
    return json.dumps({"DestinationArn": STREAM_ARN, "FilterPattern": pattern, "Distribution": "Random", **extra})


def test_account_subscription_reaches_every_group_not_excluded(pinned: Cli) -> None:
    cli = pinned
    cli.ok("kinesis", "create-stream", "--stream-name", "logs", "--shard-count", "1")
    cli.ok("logs", "create-group", "--group", "/app/a")
    cli.ok("logs", "create-group", "--group", "/app/skip")
    cli.ok("logs", "create-group", "--group", "/app/ia", "--log-group-class", "INFREQUENT_ACCESS")
    out = cli.json("logs", "put-account-policy", "--policy-name", "all-errors", "--policy-type", SUB,
                   "--policy-document", _policy(), "--selection-criteria", 'LogGroupName NOT IN ["/app/skip"]')  # fmt: skip
    policy = out["accountPolicy"]
    assert {k: policy[k] for k in ("policyName", "policyType", "scope", "selectionCriteria", "accountId")} == {
        "policyName": "all-errors", "policyType": SUB, "scope": "ALL",
        "selectionCriteria": 'LogGroupName NOT IN ["/app/skip"]', "accountId": "123456789012"}  # fmt: skip
    assert json.loads(policy["policyDocument"])["DestinationArn"] == STREAM_ARN
    control = _messages(_records(cli))
    assert [m["messageType"] for m in control] == ["CONTROL_MESSAGE"]  # the destination's health check
    # A group created after the policy is covered too; group-level filters add to it.
    cli.ok("logs", "create-group", "--group", "/app/later")
    cli.ok("logs", "put-subscription-filter", "--log-group-name", "/app/later", "--filter-name", "own",
           "--filter-pattern", "", "--destination-arn", STREAM_ARN)  # fmt: skip
    for group in ("/app/a", "/app/skip", "/app/ia", "/app/later"):
        cli.ok("logs", "put-events", "--group", group, "--stream", "s", "--create", "-m", "ERROR boom", "-m", "fine")
    data = [m for m in _messages(_records(cli)) if m["messageType"] == "DATA_MESSAGE"]
    got = sorted((m["logGroup"], m["subscriptionFilters"][0], m.get("policyLevel"),
                  tuple(e["message"] for e in m["logEvents"])) for m in data)  # fmt: skip
    assert got == [("/app/a", "all-errors", "ACCOUNT_LEVEL_POLICY", ("ERROR boom",)),
                   ("/app/later", "all-errors", "ACCOUNT_LEVEL_POLICY", ("ERROR boom",)),
                   ("/app/later", "own", None, ("ERROR boom", "fine"))]  # fmt: skip
    listed = cli.json("logs", "describe-account-policies", "--policy-type", SUB)["accountPolicies"]
    assert [p["policyName"] for p in listed] == ["all-errors"]
    assert cli.json("logs", "describe-account-policies", "--policy-type", "DATA_PROTECTION_POLICY")["accountPolicies"] == []
    # One subscription filter policy per account and Region; the same name replaces it.
    other = cli("logs", "put-account-policy", "--policy-name", "second", "--policy-type", SUB, "--policy-document", _policy())
    assert other.exit_code == 2 and "LimitExceededException: Resource limit exceeded." in other.stderr
    cli.ok("logs", "put-account-policy", "--policy-name", "all-errors", "--policy-type", SUB, "--policy-document",
           _policy("WARN"))  # fmt: skip
    cli.ok("logs", "put-events", "--group", "/app/skip", "--stream", "s", "-m", "WARN now included")
    last = _messages(_records(cli))[-1]
    assert last["logGroup"] == "/app/skip" and last["logEvents"][0]["message"] == "WARN now included"
    cli.ok("logs", "delete-account-policy", "--policy-name", "all-errors", "--policy-type", SUB)
    before = len(_records(cli))
    cli.ok("logs", "put-events", "--group", "/app/a", "--stream", "s", "-m", "WARN after delete")
    assert len(_records(cli)) == before
    gone = cli("logs", "delete-account-policy", "--policy-name", "all-errors", "--policy-type", SUB)
    assert gone.exit_code == 1 and "ResourceNotFoundException" in gone.stderr
    events = cli.json("trail", "lookup", "--lookup-attributes", "EventName=PutAccountPolicy")["Events"]
    assert len(events) >= 2


def test_bad_account_policies_store_nothing(pinned: Cli) -> None:
    cli = pinned
    cli.ok("kinesis", "create-stream", "--stream-name", "logs", "--shard-count", "1")
    cases = [
        (["--policy-type", "NOPE", "--policy-document", _policy()], 2, "invalid --policy-type 'NOPE'"),
        (["--policy-type", SUB, "--policy-document", _policy("{ $.x = ")], 2, "InvalidParameterException"),
        (["--policy-type", SUB, "--policy-document", json.dumps({"FilterPattern": "x"})], 2, "DestinationArn is required"),
        (["--policy-type", SUB, "--policy-document", _policy(Distribution="Sideways")], 2, "Distribution must be"),
        (["--policy-type", SUB, "--policy-document", _policy(), "--selection-criteria", "LogGroupNamePrefix /a"], 2,
         "LogGroupName NOT IN"),
        (["--policy-type", SUB, "--policy-document", _policy(), "--scope", "SOME"], 2, "Member must satisfy enum value set: [ALL]"),
        (["--policy-type", SUB, "--policy-document", json.dumps({"DestinationArn": STREAM_ARN.replace("/logs", "/x")})], 2,
         "Could not deliver test message to specified destination."),
        (["--policy-type", "FIELD_INDEX_POLICY", "--policy-document", "{}"], 2, "FIELD_INDEX_POLICY is not simulated"),
        (["--policy-type", "DATA_PROTECTION_POLICY", "--policy-document", json.dumps({"Name": "x"})], 2,
         "Invalid data protection policy"),
    ]  # fmt: skip
    for args, code, text in cases:
        res = cli("logs", "put-account-policy", "--policy-name", "p", *args)
        assert res.exit_code == code and text in res.stderr, (args, res.stderr)
    for kind in (SUB, "DATA_PROTECTION_POLICY"):
        assert cli.json("logs", "describe-account-policies", "--policy-type", kind)["accountPolicies"] == []


def test_account_data_protection_masks_every_group(pinned: Cli, tmp_path: Path) -> None:
    from tests.test_logs_groups import POLICY

    cli = pinned
    cli.ok("logs", "put-events", "--group", "/app/old", "--stream", "s", "--create", "-m", "before bob@example.com")
    doc = tmp_path / "dp.json"
    doc.write_text(POLICY)
    cli.ok("logs", "put-account-policy", "--policy-name", "mask", "--policy-type", "DATA_PROTECTION_POLICY",
           "--policy-document", f"file://{doc}")  # fmt: skip
    for group in ("/app/old", "/app/new"):
        cli.ok("logs", "put-events", "--group", group, "--stream", "s", "--create", "-m", "mail ann@example.com")
    old = [e["message"] for e in cli.json("logs", "get-events", "--group", "/app/old", "--stream", "s")["events"]]
    assert old == ["before bob@example.com", "mail ***************"]
    new = cli.json("logs", "filter", "--group", "/app/new", "--start", "1h")["events"]
    assert [e["message"] for e in new] == ["mail ***************"]
    unmasked = cli.json("logs", "get-events", "--group", "/app/new", "--stream", "s", "--unmask")["events"]
    assert unmasked[0]["message"] == "mail ann@example.com"
    cli.ok("logs", "delete-account-policy", "--policy-name", "mask", "--policy-type", "DATA_PROTECTION_POLICY")
    cli.ok("logs", "put-events", "--group", "/app/new", "--stream", "s", "-m", "later cid@example.com")
    msgs = [e["message"] for e in cli.json("logs", "get-events", "--group", "/app/new", "--stream", "s")["events"]]
    assert msgs == ["mail ***************", "later cid@example.com"]


def test_a_function_subscribed_to_its_own_log_group_does_not_recurse(pinned: Cli, tmp_path: Path) -> None:
    """An account-wide policy to a Lambda function also covers /aws/lambda/<function>: the delivery that the
    function's own output would cause is not made again inside itself (AWS loops and bills; here it stops)."""
    from tests.test_lambda import HANDLER, ROLE, make_zip

    z = make_zip(tmp_path / "f.zip", {"lambda_function.py": "def lambda_handler(event, context):\n    print('ERROR seen')\n"})
    pinned.ok("lambda", "create-function", "--function-name", "sink", "--runtime", "python3.12", "--handler",
              HANDLER, "--role", ROLE, "--zip-file", f"fileb://{z}")  # fmt: skip
    fn = "arn:aws:lambda:us-east-1:123456789012:function:sink"
    pinned.ok("lambda", "add-permission", "--function-name", "sink", "--statement-id", "logs", "--action",
              "lambda:InvokeFunction", "--principal", "logs.amazonaws.com", "--source-arn",
              "arn:aws:logs:us-east-1:123456789012:log-group:*")  # fmt: skip
    pinned.ok("logs", "put-account-policy", "--policy-name", "p", "--policy-type", SUB, "--policy-document",
              json.dumps({"DestinationArn": fn, "FilterPattern": "ERROR"}))  # fmt: skip
    pinned.ok("logs", "put-events", "--group", "/app/x", "--stream", "s", "--create", "-m", "ERROR first")
    pinned.ok("account", "clock", "advance", "1m")
    events = pinned.json("logs", "filter", "--group", "/aws/lambda/sink", "--start", "1d")["events"]
    assert any("ERROR seen" in e["message"] for e in events)
