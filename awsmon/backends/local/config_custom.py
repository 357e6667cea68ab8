"""Local AWS Config custom Lambda rules (Owner CUSTOM_LAMBDA): validation, the invoking event, result tokens.

The rule's function is a local Lambda function (``awsmon lambda create-function``, Python runs for real). It is
invoked through ``facts.deliver`` (an Event invocation, as AWS Config invokes rule functions) with exactly the event
AWS sends (``evaluate-config_develop-rules_python-sample.md``, ``evaluate-config_develop-rules_example-events``):
``invokingEvent`` (a JSON *string*: ``configurationItem`` + ``messageType`` ConfigurationItemChangeNotification, or
``awsAccountId`` + ``messageType`` ScheduledNotification for periodic triggers), ``ruleParameters`` (JSON string),
``resultToken``, ``eventLeftScope``, ``executionRoleArn``, ``configRuleArn``, ``configRuleName``, ``configRuleId``,
``accountId``, ``version`` "1.0" and ``evaluationMode`` DETECTIVE. The function's boto3 ``put_evaluations`` call is
served by the local account (docs/lambda.md) and lands in ``LocalConfig.put_evaluations``, which checks the token.

An error in the function (an exception, a bad handler) never stops the caller: it becomes the rule's
``LastErrorCode`` (the Python error type) / ``LastErrorMessage`` in DescribeConfigRuleEvaluationStatus
[design choice: AWS shows the Lambda error there; its exact code for a function error is undocumented].
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from awsmon.backends.local import facts
from awsmon.errors import ServiceError

if TYPE_CHECKING:
    from awsmon.backends.local.store import AccountStore

CHANGE = "ConfigurationItemChangeNotification"
MESSAGE_TYPES = (CHANGE, "OversizedConfigurationItemChangeNotification", "ScheduledNotification",
                 "ConfigurationSnapshotDeliveryCompleted")  # fmt: skip
FREQUENCIES = ("One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours")
_NOT_INVOKABLE = ("The AWS Lambda function {} cannot be invoked. Check the specified function ARN, and check the "
                  "function's permissions")  # fmt: skip


def _ms(dt: datetime) -> int:
    return int(round(dt.timestamp() * 1000))


def _bad(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValueException", message)


def validate(store: AccountStore, region: str, cr: Mapping[str, Any]) -> tuple[dict[str, Any], bool, bool]:
    """Check a CUSTOM_LAMBDA rule; returns (the Source to store, periodic?, change-triggered?)."""
    source = dict(cr["Source"])
    arn = source.get("SourceIdentifier")
    parts = str(arn or "").split(":")
    if not isinstance(arn, str) or len(parts) < 7 or parts[:3] != ["arn", "aws", "lambda"] or parts[5] != "function":
        raise ServiceError("InsufficientPermissionsException", _NOT_INVOKABLE.format(arn))
    try:
        facts.Reader(store, parts[3] or region, "lambda").get_function(FunctionName=arn)
    except ServiceError:
        raise ServiceError("InsufficientPermissionsException", _NOT_INVOKABLE.format(arn)) from None
    details = source.get("SourceDetails")
    if not details or not isinstance(details, list):
        raise _bad("SourceDetails should be null/empty if the owner is AWS. SourceDetails should be provided if the "
                   "owner is CUSTOM_LAMBDA")  # fmt: skip
    if len(details) > 25:
        raise ServiceError("ValidationException", "1 validation error detected: Value at 'configRule.source."
                           "sourceDetails' failed to satisfy constraint: Member must have length less than or equal to 25")  # fmt: skip
    periodic = change = False
    for d in details:
        if not isinstance(d, dict):
            raise _bad(f"The SourceDetail {d} is invalid.")
        if d.get("EventSource", "aws.config") != "aws.config":
            raise ServiceError("ValidationException", f"1 validation error detected: Value '{d.get('EventSource')}' at "
                               "'configRule.source.sourceDetails.member.eventSource' failed to satisfy constraint: Member "
                               "must satisfy enum value set: [aws.config]")  # fmt: skip
        kind = d.get("MessageType")
        if kind not in MESSAGE_TYPES:
            raise ServiceError("ValidationException", f"1 validation error detected: Value '{kind}' at "
                               "'configRule.source.sourceDetails.member.messageType' failed to satisfy constraint: Member "
                               f"must satisfy enum value set: [{', '.join(MESSAGE_TYPES)}]")  # fmt: skip
        freq = d.get("MaximumExecutionFrequency")
        if freq is not None and freq not in FREQUENCIES:
            raise ServiceError("ValidationException", f"1 validation error detected: Value '{freq}' at "
                               "'configRule.source.sourceDetails.member.maximumExecutionFrequency' failed to satisfy "
                               f"constraint: Member must satisfy enum value set: [{', '.join(FREQUENCIES)}]")  # fmt: skip
        if freq is not None and kind in (CHANGE, "OversizedConfigurationItemChangeNotification"):
            # AWS's text as moto reproduces it (moto/config/models.py SourceDetail).
            raise _bad("A maximum execution frequency is not allowed if MessageType is ConfigurationItemChangeNotification "
                       "or OversizedConfigurationItemChangeNotification")  # fmt: skip
        periodic = periodic or kind == "ScheduledNotification"
        change = change or kind in (CHANGE, "OversizedConfigurationItemChangeNotification")
    params = cr.get("InputParameters")
    if params is not None:
        try:
            parsed = json.loads(params) if isinstance(params, str) else None
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            raise _bad(f"Invalid json {params} passed in the InputParameters field")
    stored = {"Owner": "CUSTOM_LAMBDA", "SourceIdentifier": arn,
              "SourceDetails": [{"EventSource": "aws.config", **{k: v for k, v in d.items() if k != "EventSource"}}
                                for d in details]}  # fmt: skip
    return stored, periodic, change


def frequency(cfg: Mapping[str, Any]) -> str:
    for d in cfg["Source"].get("SourceDetails") or []:
        if d.get("MessageType") == "ScheduledNotification" and d.get("MaximumExecutionFrequency"):
            return str(d["MaximumExecutionFrequency"])
    return str(cfg.get("MaximumExecutionFrequency") or "TwentyFour_Hours")


def triggers(cfg: Mapping[str, Any]) -> tuple[bool, bool]:
    """(periodic, change-triggered) of a stored custom rule."""
    kinds = {d.get("MessageType") for d in cfg["Source"].get("SourceDetails") or []}
    return "ScheduledNotification" in kinds, bool(kinds & {CHANGE, "OversizedConfigurationItemChangeNotification"})


def in_scope(scope: Mapping[str, Any] | None, rtype: str, rid: str, tags: Mapping[str, str] | None) -> bool:
    scope = scope or {}
    types = scope.get("ComplianceResourceTypes") or []
    if types and rtype not in types:
        return False
    if scope.get("ComplianceResourceId") and scope["ComplianceResourceId"] != rid:
        return False
    key = scope.get("TagKey")
    if key:
        value = (tags or {}).get(key)
        if value is None or (scope.get("TagValue") is not None and value != scope["TagValue"]):
            return False
    return True


def encode_token(region: str, rule: str, invoked_ms: int) -> str:
    raw = json.dumps({"r": region, "n": rule, "t": invoked_ms}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_token(token: Any) -> tuple[str, str, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(str(token).encode()))
        return str(data["r"]), str(data["n"]), int(data["t"])
    except (ValueError, TypeError, KeyError):
        raise ServiceError("InvalidResultTokenException", "The result token is invalid.") from None


def invoke(store: AccountStore, region: str, cfg: Mapping[str, Any], invoking_event: Mapping[str, Any], when: datetime,
           *, role_arn: str, left_scope: bool = False) -> None:  # fmt: skip
    """Invoke the rule's function once with AWS's event; the outcome is the rule's evaluation status."""
    now_ms = _ms(when)
    event = {
        "version": "1.0",
        "invokingEvent": json.dumps(invoking_event, separators=(",", ":")),
        "ruleParameters": cfg.get("InputParameters") or "{}",
        "resultToken": encode_token(region, cfg["ConfigRuleName"], now_ms),
        "eventLeftScope": left_scope,
        "executionRoleArn": role_arn,
        "configRuleArn": cfg["ConfigRuleArn"],
        "configRuleName": cfg["ConfigRuleName"],
        "configRuleId": cfg["ConfigRuleId"],
        "accountId": store.account_id,
        "evaluationMode": "DETECTIVE",
    }
    result = facts.deliver(store, cfg["Source"]["SourceIdentifier"], json.dumps(event), when)
    error: tuple[str, str] | None = None
    if result.status == "Failed":
        error = ("InsufficientPermissionsException", _NOT_INVOKABLE.format(cfg["Source"]["SourceIdentifier"]))
    elif (result.detail or "").startswith("function error: "):
        text = (result.detail or "")[len("function error: "):]
        try:
            payload = json.loads(text)
            error = (str(payload.get("errorType") or "Unhandled"), str(payload.get("errorMessage") or text))
        except ValueError:  # the detail is cut at 200 characters
            kind = text.split('"errorType": "', 1)[-1].split('"', 1)[0] if '"errorType": "' in text else "Unhandled"
            msg = text.split('"errorMessage": "', 1)[-1].split('", "', 1)[0] if '"errorMessage": "' in text else text
            error = (kind, msg)
    if error is None:
        store.conn.execute("UPDATE cfg_rules SET last_invoked_ms = ?, last_error_code = NULL, last_error_message = NULL "
                           "WHERE region = ? AND name = ?", (now_ms, region, cfg["ConfigRuleName"]))  # fmt: skip
    else:
        store.conn.execute("UPDATE cfg_rules SET last_failed_ms = ?, last_error_code = ?, last_error_message = ? "
                           "WHERE region = ? AND name = ?", (now_ms, error[0], error[1][:1000], region, cfg["ConfigRuleName"]))  # fmt: skip


def scheduled_event(account: str, when_iso: str | None) -> dict[str, Any]:
    return {"awsAccountId": account, "notificationCreationTime": when_iso, "messageType": "ScheduledNotification",
            "recordVersion": "1.0"}  # fmt: skip


def change_event(item: Mapping[str, Any], file_item: Mapping[str, Any], when_iso: str | None) -> dict[str, Any]:
    return {"configurationItemDiff": None, "configurationItem": dict(file_item), "notificationCreationTime": when_iso,
            "messageType": CHANGE, "recordVersion": "1.3"}  # fmt: skip


# -- CUSTOM_POLICY (Guard 2 subset, awsmon/engines/guard.py) ------------------------------------------------------------
POLICY_RUNTIME = "guard-2.x.x"


def validate_policy(cr: Mapping[str, Any]) -> tuple[dict[str, Any], bool, bool]:
    """Check a CUSTOM_POLICY rule: the runtime and the policy text (parsed now, so a bad policy stores nothing)."""
    from awsmon.engines.guard import GuardError, parse

    source = dict(cr["Source"])
    details = source.get("CustomPolicyDetails")
    if not isinstance(details, dict) or not details.get("PolicyText"):
        raise _bad("CustomPolicyDetails with PolicyRuntime and PolicyText must be provided if the owner is CUSTOM_POLICY")
    if details.get("PolicyRuntime") != POLICY_RUNTIME:
        raise _bad(f"The PolicyRuntime {details.get('PolicyRuntime')} is invalid. Valid value is {POLICY_RUNTIME}.")
    if source.get("SourceIdentifier"):
        raise _bad("SourceIdentifier should be null/empty if the owner is CUSTOM_POLICY")
    try:
        parse(str(details["PolicyText"]))
    except GuardError as exc:
        raise _bad(f"The PolicyText is not a valid Guard policy: {exc}") from None
    sd = source.get("SourceDetails") or [{"EventSource": "aws.config", "MessageType": CHANGE}]
    for d in sd:
        if not isinstance(d, dict) or d.get("MessageType") not in (CHANGE, "OversizedConfigurationItemChangeNotification"):
            raise _bad("Custom policy rules are triggered by configuration changes only: use MessageType "
                       "ConfigurationItemChangeNotification")  # fmt: skip
    stored = {"Owner": "CUSTOM_POLICY",
              "SourceDetails": [{"EventSource": "aws.config", "MessageType": d["MessageType"]} for d in sd],
              "CustomPolicyDetails": {"PolicyRuntime": POLICY_RUNTIME, "PolicyText": details["PolicyText"],
                                      "EnableDebugLogDelivery": bool(details.get("EnableDebugLogDelivery", False))}}  # fmt: skip
    return stored, False, True


@functools.lru_cache(maxsize=64)
def _policy(text: str) -> Any:
    from awsmon.engines.guard import parse

    return parse(text)


def evaluate_policy(cfg: Mapping[str, Any], item: Mapping[str, Any]) -> tuple[str, str | None]:
    """A custom policy's result for one configuration item (the document Guard sees, configuration as an object)."""
    from awsmon.engines.guard import evaluate

    out = evaluate(_policy(str(cfg["Source"]["CustomPolicyDetails"]["PolicyText"])), item)
    return out.compliance, out.annotation
