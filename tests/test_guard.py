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


# -- regexes and built-in functions ------------------------------------------------------------------------------

SG = {"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-0abc12",
      "configuration": {"groupName": "web-prod", "description": "Web tier", "vpcId": "vpc-1",
                        "policy": '{"Principal": "*", "Actions": ["s3*", "ec2*"]}',
                        "arn": "arn:aws:newservice:us-west-2:123456789012:Table/extracted",
                        "encoded": "This%20string%20will%20be%20URL%20encoded", "ports": ["22", "443", "x"],
                        "flag": "TRUE", "n": 1.5, "char": "1", "collection": ["a", "b", "c"]}}  # fmt: skip


@pytest.mark.parametrize(("clause", "expected"), [
    ("configuration.groupName == /^web-/", "COMPLIANT"),
    ("configuration.groupName == /prod$/", "COMPLIANT"),
    ("configuration.groupName == /^prod/", "NON_COMPLIANT"),
    ("configuration.groupName != /^db-/", "COMPLIANT"),
    ("configuration.groupName != /web/", "NON_COMPLIANT"),
    ("resourceId == /^(sg|vpc)-[0-9a-f]+$/", "COMPLIANT"),
    ("configuration.groupName IN [/^db-/, /-prod$/]", "COMPLIANT"),
    ("configuration.groupName IN [/^db-/, 'other']", "NON_COMPLIANT"),
    ("configuration.groupName not IN [/^db-/, 'other']", "COMPLIANT"),
    ("configuration.n == /1/", "NON_COMPLIANT"),  # a regex never matches a number
    ("configuration.description == /^W\\w+ tier$/", "COMPLIANT"),
    ("configuration.arn == /arn:aws:[a-z]+:us-west-2:\\d{12}:/", "COMPLIANT"),
    ("configuration.groupName == /a\\/b/", "NON_COMPLIANT"),  # an escaped slash
])  # fmt: skip
def test_regex_clauses(clause: str, expected: str) -> None:
    assert _c(f"rule r {{ {clause} }}", SG) == expected


FUNCTIONS_POLICY = """
let props = configuration.*
rule functions {
    let policy = configuration.policy
    let parsed = json_parse(%policy)
    %parsed.Principal == "*"
    %parsed.Actions[*] IN ["s3*", "ec2*"]

    let arn = configuration.arn
    let arn_partition_regex = "^arn:(\\w+):(\\w+):([\\w0-9-]+):(\\d+):(.+)$"
    let capture_group_reordering = "${1}/${4}/${3}/${2}-${5}"
    let res = regex_replace(%arn, %arn_partition_regex, %capture_group_reordering)
    %res == "aws/123456789012/us-west-2/newservice-Table/extracted"

    let joined = join(configuration.collection[*], ",")
    %joined == "a,b,c"
    let lower = to_lower(configuration.groupName)
    %lower == /web-prod/
    let upper = to_upper(resourceType)
    %upper == "AWS::EC2::SECURITYGROUP"
    let sub = substring(%arn, 0, 3)
    %sub == "arn"
    let decoded = url_decode(configuration.encoded)
    %decoded == "This string will be URL encoded"
    let n = count(%props)
    %n >= 10
    let ports = parse_int(configuration.ports[*])
    %ports IN [22, 443]
    let f = parse_float(configuration.char)
    %f == 1.0
    let b = parse_boolean(configuration.flag)
    %b == true
    let s = parse_string(configuration.n)
    %s == "1.5"
    let c = parse_char(configuration.char)
    %c == "1"
}
"""


def test_builtin_functions_as_guard_documents() -> None:
    """The examples of cfn-guard's docs/FUNCTIONS.md, over a configuration item."""
    out = evaluate(parse(FUNCTIONS_POLICY), SG)
    assert out.rules == {"functions": "PASS"}, out
    # Each check can fail: change one expected value at a time.
    for good, bad in [('"a,b,c"', '"a;b;c"'), ("%n >= 10", "%n >= 20"), ('%sub == "arn"', '%sub == "ar"'),
                      ('"This string will be URL encoded"', '"This%20string"'), ("[22, 443]", "[22]")]:  # fmt: skip
        assert evaluate(parse(FUNCTIONS_POLICY.replace(good, bad)), SG).compliance == "NON_COMPLIANT", bad


def test_let_scopes_and_function_errors() -> None:
    policy = parse("rule a { let x = configuration.groupName\n %x == 'web-prod' }\n"
                   "rule b { let x = configuration.vpcId\n %x == 'vpc-1'\n when %x exists { let y = to_upper(%x)\n %y == 'VPC-1' } }\n"
                   "rule c { let bad = regex_replace(configuration.groupName, configuration.description, 'x')\n %bad exists }")  # fmt: skip
    out = evaluate(policy, {**SG, "configuration": {**SG["configuration"], "description": "(unclosed"}})
    assert out.rules == {"a": "PASS", "b": "PASS", "c": "FAIL"}  # a bad regex from a variable: no value
    assert _c("rule r { let s = substring(configuration.groupName, 5, 99)\n %s empty }", SG) == "COMPLIANT"


@pytest.mark.parametrize(("text", "message"), [
    ("rule r { configuration.x == /(unclosed/ }", "line 1, column 29: invalid regular expression /(unclosed/: unterminated group"),
    ("rule r { configuration.x == /(?=ahead)/ }", "unsupported group syntax"),
    ("rule r { let x = nope(configuration.a)\n %x exists }", "unknown function nope()"),
    ("rule r { let x = count(a, b)\n %x exists }", "count() takes 1 argument, got 2"),
    ("rule r { let x = regex_replace(a, '(', 'b')\n %x exists }", "invalid regular expression /(/"),
])  # fmt: skip
def test_regex_and_function_parse_errors(text: str, message: str) -> None:
    with pytest.raises(GuardError, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")
                       .replace("/", "/").replace("[", r"\[")):  # fmt: skip
        parse(text)


def test_regex_is_linear_time() -> None:
    """A pattern that makes a backtracking engine exponential matches at once here."""
    import time

    doc = {"configuration": {"name": "a" * 5000 + "!"}}
    t = time.perf_counter()
    assert _c("rule r { configuration.name == /^(a+)+$/ }", doc) == "NON_COMPLIANT"
    assert _c("rule r { let x = regex_replace(configuration.name, '(a|aa)+b', 'x')\n %x == /^a+!$/ }", doc) == "COMPLIANT"
    assert time.perf_counter() - t < 5


_REGEX_ATOMS = st.sampled_from(["a", "b", ".", "\\d", "[ab]", "[^a]", "(a|b)", "(?:ab)", "x", "-"])
_REGEXES = st.lists(st.tuples(_REGEX_ATOMS, st.sampled_from(["", "*", "+", "?", "{1,2}"])), min_size=1, max_size=5).map(
    lambda items: "".join(a + q for a, q in items))  # fmt: skip


@given(_REGEXES, st.text(alphabet="abx-1!", max_size=12), st.booleans(), st.booleans())
@settings(max_examples=300, deadline=None)
def test_regex_clauses_agree_with_python_re(source: str, text: str, bol: bool, eol: bool) -> None:
    """On patterns Python's re reads the same way (and short texts), Guard's regex comparison agrees with re.search,
    and regex_replace agrees with re.sub (Rust's ${N} is Python's \\g<N>)."""
    import re

    src = ("^" if bol else "") + source + ("$" if eol else "")
    doc = {"v": text}
    expected = re.search(src.replace("$", "\\Z") if eol else src, text) is not None
    assert (_c(f"rule r {{ v == /{src}/ }}", doc) == "COMPLIANT") == expected
    groups = re.compile(src).groups
    template = "<" + "".join(f"${{{i}}}" for i in range(1, groups + 1)) + ">"
    py_template = "<" + "".join(f"\\g<{i}>" for i in range(1, groups + 1)) + ">"
    got = evaluate(parse(f"rule r {{ let x = regex_replace(v, '{src}', '{template}')\n %x exists }}"), doc)
    ours = _Replace.run(src, text, template)
    assert got.rules["r"] == "PASS"
    assert ours == re.sub(src.replace("$", "\\Z") if eol else src, lambda m: m.expand(py_template).replace("\\", ""), text)


class _Replace:
    @staticmethod
    def run(src: str, text: str, template: str) -> str:
        from awsmon.engines.guard import _replace_all
        from awsmon.engines.lregex import compile_general

        return _replace_all(compile_general(src), text, template)


@given(st.text(alphabet=st.sampled_from(list("rule {}[]()=/%.'\"ab01\n,letcount_join")), max_size=80))
@settings(max_examples=300)
def test_parser_with_regexes_and_functions_never_crashes(text: str) -> None:
    try:
        parse(text)
    except GuardError as exc:
        assert str(exc).startswith(("line ", "the policy", "rule ", "an empty block")), str(exc)
