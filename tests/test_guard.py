"""The Guard 2 subset engine (awsmon/engines/guard.py): parsing, Guard's semantics, and properties."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awsmon.engines.guard import GuardError, evaluate, parse, resolve

TABLE = {"resourceType": "AWS::DynamoDB::Table", "resourceId": "t1",
         "configuration": {"tableStatus": "ACTIVE", "billingModeSummary": {"billingMode": "PAY_PER_REQUEST"},
                           "provisionedThroughput": {"readCapacityUnits": 0},
                           "attributeDefinitions": [{"attributeName": "pk", "attributeType": "S"},
                                                    {"attributeName": "sk", "attributeType": "N"}],
                           "tags": []},
         "supplementaryConfiguration": {"ContinuousBackupsDescription": {
             "pointInTimeRecoveryDescription": {"pointInTimeRecoveryStatus": "DISABLED"}}}}  # fmt: skip


def _c(text: str, doc: Any = TABLE) -> str:
    return evaluate(parse(text), doc).compliance


def test_aws_documentation_examples() -> None:
    # The two examples of evaluate-config_develop-rules_cfn-guard.md.
    assert _c("rule checkcompliance when\n    resourceType IN ['AWS::DynamoDB::Table'] {\n"
              "    configuration.tableStatus == ['ACTIVE']\n}") == "COMPLIANT"  # fmt: skip
    out = evaluate(parse("rule checkcompliance when\n    resourceType == 'AWS::DynamoDB::Table' {\n"
                         "    supplementaryConfiguration.ContinuousBackupsDescription.pointInTimeRecoveryDescription."
                         "pointInTimeRecoveryStatus == 'ENABLED'\n}"), TABLE)  # fmt: skip
    assert out.compliance == "NON_COMPLIANT" and out.annotation == "Guard rule(s) failed: checkcompliance"
    assert _c("rule r when resourceType == 'AWS::S3::Bucket' { configuration.x exists }") == "NOT_APPLICABLE"


@pytest.mark.parametrize(("clause", "expected"), [
    ("configuration.tableStatus exists", "COMPLIANT"),
    ("configuration.missing exists", "NON_COMPLIANT"),
    ("configuration.missing !exists", "COMPLIANT"),
    ("configuration.missing not exists", "COMPLIANT"),
    ("configuration.tags empty", "COMPLIANT"),
    ("configuration.tags !empty", "NON_COMPLIANT"),
    ("configuration.missing == 'x'", "NON_COMPLIANT"),
    ("configuration.provisionedThroughput.readCapacityUnits >= 0", "COMPLIANT"),
    ("configuration.provisionedThroughput.readCapacityUnits > 0", "NON_COMPLIANT"),
    ("configuration.attributeDefinitions[*].attributeType IN ['S', 'N']", "COMPLIANT"),
    ("configuration.attributeDefinitions[*].attributeType == 'S'", "NON_COMPLIANT"),
    ("some configuration.attributeDefinitions[*].attributeType == 'S'", "COMPLIANT"),
    ("configuration.attributeDefinitions[1].attributeName == \"sk\"", "COMPLIANT"),
    ("configuration.tableStatus not IN ['DELETING']", "COMPLIANT"),
    ("configuration.tableStatus != 'ACTIVE' or configuration.billingModeSummary.billingMode == 'PAY_PER_REQUEST'", "COMPLIANT"),
    ("configuration.tableStatus is_string", "COMPLIANT"),
    ("configuration.attributeDefinitions is_list", "COMPLIANT"),
    ("%status == 'ACTIVE'", "COMPLIANT"),
    ("configuration.tableStatus == %allowed", "COMPLIANT"),
])  # fmt: skip
def test_clauses(clause: str, expected: str) -> None:
    text = f"let status = configuration.tableStatus\nlet allowed = ['ACTIVE', 'UPDATING']\nrule r {{\n  {clause}\n}}"
    assert _c(text) == expected


def test_named_rules_when_blocks_and_comments() -> None:
    text = """
    # a table must be on demand, and have point-in-time recovery when active
    rule is_table { resourceType == 'AWS::DynamoDB::Table' }
    rule on_demand when is_table {
        configuration.billingModeSummary.billingMode == 'PAY_PER_REQUEST'
    }
    rule pitr when is_table {
        when configuration.tableStatus == 'ACTIVE' {
            supplementaryConfiguration.ContinuousBackupsDescription.pointInTimeRecoveryDescription.pointInTimeRecoveryStatus == 'ENABLED'
        }
    }
    rule not_a_bucket { not is_table }
    """
    out = evaluate(parse(text), TABLE)
    assert out.rules == {"is_table": "PASS", "on_demand": "PASS", "pitr": "FAIL", "not_a_bucket": "FAIL"}
    assert out.compliance == "NON_COMPLIANT" and out.annotation == "Guard rule(s) failed: pitr, not_a_bucket"
    bucket = {"resourceType": "AWS::S3::Bucket", "configuration": {}}
    assert evaluate(parse(text), bucket).rules == {"is_table": "FAIL", "on_demand": "SKIP", "pitr": "SKIP",
                                                   "not_a_bucket": "PASS"}  # fmt: skip


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty"),
    ("rule r {", "line 1, column 9: expected '}'"),
    ("rule r { configuration.a === 1 }", "expected a value"),
    ("rule r { configuration.a ~ 1 }", "unexpected character '~'"),
    ("rule r { other }", "refers to rule other, which is not defined"),
    ("rule a { b }\nrule b { a }", "refers to itself"),
    ("rule r { }", "empty block"),
    ("rule r { x == 1 }\nrule r { x == 2 }", "defined twice"),
    ("let x 1", "expected '='"),
    ("rule r { configuration.a[ x == 1 ] == 1 }", "filters are not supported"),
])  # fmt: skip
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(GuardError, match=message.replace("(", r"\(").replace("[", r"\[")):
        parse(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("rule whn{}[]()<>=!%.*'\"abc 01\n#,:-IN")), max_size=80))
def test_parser_never_crashes(text: str) -> None:
    try:
        policy = parse(text)
    except GuardError:
        return
    evaluate(policy, TABLE)  # whatever parses evaluates without an exception


_json = st.recursive(st.none() | st.booleans() | st.integers(-5, 5) | st.sampled_from(["a", "b", ""]),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=3),
                     max_leaves=10)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(_json, st.sampled_from(["a", "b", "c"]), st.integers(-5, 5))
def test_comparisons_agree_with_python(doc: Any, key: str, n: int) -> None:
    document = {"configuration": {key: doc}}
    values = resolve(document, ("configuration", key))
    assert values == [doc]
    exists = _c(f"rule r {{ configuration.{key} exists }}", document)
    assert exists == "COMPLIANT"
    expected = "COMPLIANT" if isinstance(doc, int) and not isinstance(doc, bool) and doc > n else "NON_COMPLIANT"
    assert _c(f"rule r {{ configuration.{key} > {n} }}", document) == expected
    eq = "COMPLIANT" if doc == "a" else "NON_COMPLIANT"
    assert _c(f"rule r {{ configuration.{key} == 'a' }}", document) == eq
    literal = json.dumps(doc).replace("null", "null")
    if isinstance(doc, list) and all(not isinstance(v, list | dict) for v in doc):
        # every element compared: ALL semantics over [*]
        all_pos = all(isinstance(v, int) and not isinstance(v, bool) and v > n for v in doc)
        assert _c(f"rule r {{ configuration.{key}[*] > {n} }}", document) == (
            "COMPLIANT" if doc and all_pos else "NON_COMPLIANT")
    assert literal
