"""Composite AlarmRule: parser, printer round-trip, evaluation, limits and ActionsSuppressor replay."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awsmon.engines import alarm_rule
from awsmon.engines.alarm_rule import And, AtLeast, Const, Not, Or, StateRef, parse_rule, to_string
from awsmon.engines.stats import CloudWatchError

# ------------------------------------------------------------------------------------------- parsing


def test_parse_shapes() -> None:
    assert parse_rule("ALARM(a) OR ALARM(b) AND NOT OK(c)") == Or(
        (StateRef("ALARM", "a"), And((StateRef("ALARM", "b"), Not(StateRef("OK", "c")))))
    )
    assert parse_rule('ALARM("x \\" y")') == StateRef("ALARM", 'x " y')
    assert parse_rule('AT_LEAST(60%, NOT OK, (a, "b c"))') == AtLeast(60, True, True, "OK", ("a", "b c"))
    assert parse_rule("  TRUE  ") == Const(True)
    assert parse_rule("ALARM(OK)") == StateRef("ALARM", "OK")  # a bare name may look like a keyword


@pytest.mark.parametrize(
    "rule",
    [
        "", "   ", "ALARM(a) AND", "ALARM(a", "ALARM()", 'ALARM("")', "alarm(a)", "ALARM(a) XOR ALARM(b)",
        "ALARM(a) ALARM(b)", "NOT", "(TRUE", "TRUE)", 'ALARM("abc)', "AT_LEAST(0, ALARM, (a))",
        "AT_LEAST(3, ALARM, (a, b))", "AT_LEAST(101%, ALARM, (a))", "AT_LEAST(x, ALARM, (a))",
        "AT_LEAST(1, BAD, (a))", "AT_LEAST(1, ALARM, a)", "AT_LEAST(1, ALARM, ())", "OK(a, b)",
    ],
)  # fmt: skip
def test_syntax_errors(rule: str) -> None:
    with pytest.raises(CloudWatchError) as info:
        parse_rule(rule)
    assert info.value.code == "ValidationError"
    assert "AlarmRule" in info.value.message


def test_error_position_is_reported() -> None:
    with pytest.raises(CloudWatchError, match="position 7"):
        parse_rule("ALARM(a")


def test_limits() -> None:
    too_long = "ALARM(" + "a" * 10240 + ")"
    with pytest.raises(CloudWatchError, match="10240"):
        parse_rule(too_long)
    hundred = " OR ".join(f"ALARM(c{i})" for i in range(100))
    assert len(alarm_rule.children(hundred)) == 100
    with pytest.raises(CloudWatchError) as info:
        parse_rule(hundred + " OR ALARM(c100)")
    assert info.value.code == "LimitExceeded"
    many = " OR ".join(["TRUE"] * 500)
    parse_rule(many)
    with pytest.raises(CloudWatchError, match="elements"):
        parse_rule(many + " OR FALSE")
    with pytest.raises(CloudWatchError, match="nested deeper than 100"):
        parse_rule("(" * 101 + "ALARM(a)" + ")" * 101)
    assert parse_rule("(" * 100 + "ALARM(a)" + ")" * 100) == StateRef("ALARM", "a")
    assert alarm_rule.evaluate("NOT " * 100 + "TRUE", {}) is True
    with pytest.raises(CloudWatchError, match="nested deeper than 100"):
        parse_rule("NOT " * 2000 + "TRUE")
    with pytest.raises(CloudWatchError, match="nested deeper than 100"):
        parse_rule("(NOT " * 51 + "TRUE" + ")" * 51)


# ------------------------------------------------------------------------------------------- evaluation


def test_arn_and_name_resolve_to_the_same_alarm() -> None:
    arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:cpu-high"
    assert alarm_rule.evaluate(f"ALARM({arn})", {"cpu-high": "ALARM"})
    assert alarm_rule.evaluate("ALARM(cpu-high)", {arn: "ALARM"})
    assert not alarm_rule.evaluate("OK(cpu-high)", {arn: "ALARM"})


def test_unknown_child_is_an_error_even_when_short_circuit_would_hide_it() -> None:
    with pytest.raises(CloudWatchError, match="does not exist"):
        alarm_rule.evaluate("FALSE AND ALARM(ghost)", {})
    with pytest.raises(CloudWatchError, match="does not exist"):
        alarm_rule.evaluate("TRUE OR ALARM(ghost)", {})


def test_at_least_counts_and_percentages() -> None:
    states = {"a": "ALARM", "b": "INSUFFICIENT_DATA", "c": "OK", "d": "ALARM"}
    assert alarm_rule.evaluate("AT_LEAST(2, ALARM, (a, b, c, d))", states)
    assert not alarm_rule.evaluate("AT_LEAST(3, ALARM, (a, b, c, d))", states)
    assert alarm_rule.evaluate("AT_LEAST(75%, NOT OK, (a, b, c, d))", states)
    assert not alarm_rule.evaluate("AT_LEAST(76%, NOT OK, (a, b, c, d))", states)
    assert alarm_rule.evaluate("AT_LEAST(1, INSUFFICIENT_DATA, (a, b))", states)


def test_composite_reason() -> None:
    text, data = alarm_rule.composite_reason("arn:aws:cloudwatch:us-east-1:1:alarm:x", "OK", 1_717_200_000.0)
    assert (
        text
        == "arn:aws:cloudwatch:us-east-1:1:alarm:x transitioned to OK at Saturday 01 June, 2024 00:00:00 UTC"
    )
    assert data["triggeringAlarms"] == [
        {
            "arn": "arn:aws:cloudwatch:us-east-1:1:alarm:x",
            "state": {"value": "OK", "timestamp": "2024-06-01T00:00:00.000+0000"},
        }
    ]


# ------------------------------------------------------------------------------------------- properties

names = st.text(alphabet=st.sampled_from(list('abcXYZ019 -_:/()",\\%') + ["é"]), min_size=1, max_size=8)
states = st.sampled_from(alarm_rule.STATES)


def _at_least() -> st.SearchStrategy[AtLeast]:
    def build(refs: list[str], percent: bool, negate: bool, state: str, data: st.DataObject) -> AtLeast:
        th = data.draw(st.integers(1, 100) if percent else st.integers(1, len(refs)))
        return AtLeast(th, percent, negate, state, tuple(refs))

    return st.builds(
        build, st.lists(names, min_size=1, max_size=4), st.booleans(), st.booleans(), states, st.data()
    )


leaves = st.one_of(st.builds(Const, st.booleans()), st.builds(StateRef, states, names), _at_least())
rules = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.builds(Not, inner),
        st.builds(And, st.lists(inner, min_size=2, max_size=3).map(tuple)),
        st.builds(Or, st.lists(inner, min_size=2, max_size=3).map(tuple)),
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(rule=rules)
def test_printed_ast_round_trips(rule: alarm_rule.Node) -> None:
    text = to_string(rule)
    assert parse_rule(text) == rule
    assert to_string(parse_rule(text)) == text


@settings(max_examples=200, deadline=None)
@given(rule=rules, data=st.data())
def test_evaluation_laws(rule: alarm_rule.Node, data: st.DataObject) -> None:
    kids = sorted(alarm_rule.children(rule))
    child_states = {k: data.draw(states) for k in kids}
    value = alarm_rule.evaluate(rule, child_states)
    assert alarm_rule.evaluate(Not(Not(rule)), child_states) is value
    assert alarm_rule.evaluate(Not(rule), child_states) is (not value)
    other = data.draw(rules.filter(lambda r: alarm_rule.children(r) <= set(kids)))
    o = alarm_rule.evaluate(other, child_states)
    # De Morgan, through the printed text so the parser's precedence is exercised too
    lhs = to_string(Not(And((rule, other))))
    rhs = to_string(Or((Not(rule), Not(other))))
    assert (
        alarm_rule.evaluate(lhs, child_states)
        is alarm_rule.evaluate(rhs, child_states)
        is (not (value and o))
    )
    assert alarm_rule.composite_state(rule, child_states) == ("ALARM" if value else "OK")


# ------------------------------------------------------------------------------------------- suppressor


def test_wait_period_runs_actions_when_suppressor_stays_quiet() -> None:
    r = alarm_rule.simulate_suppressor([(100, "ALARM")], [], wait_period=60, extension_period=60, until=159)
    assert r.actions == [] and r.suppressed_by == "WaitPeriod"
    r = alarm_rule.simulate_suppressor([(100, "ALARM")], [], wait_period=60, extension_period=60, until=160)
    assert r.actions == [(160, "ALARM")] and r.suppressed_by is None


def test_suppressor_alarm_then_extension() -> None:
    comp = [(100, "ALARM")]
    sup = [(120, "ALARM"), (300, "OK")]
    r = alarm_rule.simulate_suppressor(comp, sup, wait_period=60, extension_period=60, until=200)
    assert r.actions == [] and r.suppressed_by == "Alarm"
    r = alarm_rule.simulate_suppressor(comp, sup, wait_period=60, extension_period=60, until=330)
    assert r.actions == [] and r.suppressed_by == "ExtensionPeriod"
    r = alarm_rule.simulate_suppressor(comp, sup, wait_period=60, extension_period=60, until=360)
    assert r.actions == [(360, "ALARM")] and r.suppressed_by is None


def test_actions_use_current_state_at_period_end_and_ok_runs_immediately() -> None:
    r = alarm_rule.simulate_suppressor(
        [(100, "ALARM"), (130, "OK"), (500, "OK")], [], wait_period=60, extension_period=60, until=1000
    )
    assert r.actions == [(130, "OK"), (500, "OK")]
    r = alarm_rule.simulate_suppressor(
        [(100, "OK")], [(50, "ALARM"), (200, "OK")], wait_period=60, extension_period=30, until=1000
    )
    assert r.actions == [(230, "OK")]


def test_suppressor_without_held_transition_fires_nothing() -> None:
    r = alarm_rule.simulate_suppressor(
        [], [(10, "ALARM"), (20, "OK")], wait_period=60, extension_period=60, until=999
    )
    assert r.actions == [] and r.suppressed_by is None
