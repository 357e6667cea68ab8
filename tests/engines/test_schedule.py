"""EventBridge schedule expressions (awsmon.engines.schedule): the spec's tables (§5) and hypothesis properties."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awsmon.engines.schedule import (
    INVALID_MESSAGE,
    CronSchedule,
    RateSchedule,
    ScheduleError,
    next_fires,
    parse_schedule,
)

BASE = datetime(2026, 2, 27, 10, 7, 30, tzinfo=UTC)  # a Friday (spec §5.2)

# shared/specs/eventbridge.md §5.2: expression -> next three fire times strictly after BASE
NEXT_FIRES = {
    "cron(0 10 * * ? *)": ["2026-02-28T10:00", "2026-03-01T10:00", "2026-03-02T10:00"],
    "cron(15 12 * * ? *)": ["2026-02-27T12:15", "2026-02-28T12:15", "2026-03-01T12:15"],
    "cron(0 18 ? * MON-FRI *)": ["2026-02-27T18:00", "2026-03-02T18:00", "2026-03-03T18:00"],
    "cron(0 8 1 * ? *)": ["2026-03-01T08:00", "2026-04-01T08:00", "2026-05-01T08:00"],
    "cron(0/15 * * * ? *)": ["2026-02-27T10:15", "2026-02-27T10:30", "2026-02-27T10:45"],
    "cron(0/5 8-17 ? * MON-FRI *)": ["2026-02-27T10:10", "2026-02-27T10:15", "2026-02-27T10:20"],
    "cron(0/30 20-2 ? * MON-FRI *)": ["2026-02-27T20:00", "2026-02-27T20:30", "2026-02-27T21:00"],
    "cron(5,35 14 * * ? *)": ["2026-02-27T14:05", "2026-02-27T14:35", "2026-02-28T14:05"],
    "cron(15 10 ? * 6L 2026-2027)": ["2026-02-27T10:15", "2026-03-27T10:15", "2026-04-24T10:15"],
    "cron(15 10 ? * 6L 2019-2022)": [],
    "cron(0 2 ? * SAT#3 *)": ["2026-03-21T02:00", "2026-04-18T02:00", "2026-05-16T02:00"],
    "cron(* * ? * SAT#3 *)": ["2026-03-21T00:00", "2026-03-21T00:01", "2026-03-21T00:02"],
    "cron(0/5 5 ? JAN 1-5 2027)": ["2027-01-03T05:00", "2027-01-03T05:05", "2027-01-03T05:10"],
    "cron(0 9 L * ? *)": ["2026-02-28T09:00", "2026-03-31T09:00", "2026-04-30T09:00"],
    "cron(0 9 15W * ? *)": ["2026-03-16T09:00", "2026-04-15T09:00", "2026-05-15T09:00"],
    "cron(0 9 1W * ? *)": ["2026-03-02T09:00", "2026-04-01T09:00", "2026-05-01T09:00"],
    "cron(0 0 29 2 ? *)": ["2028-02-29T00:00", "2032-02-29T00:00", "2036-02-29T00:00"],
    "cron(1/10 * * * ? *)": ["2026-02-27T10:11", "2026-02-27T10:21", "2026-02-27T10:31"],
    "cron(0 12 ? * 3#2 *)": ["2026-03-10T12:00", "2026-04-14T12:00", "2026-05-12T12:00"],
    "cron(30 23 31 * ? *)": ["2026-03-31T23:30", "2026-05-31T23:30", "2026-07-31T23:30"],
}

# AWS-recorded invalid expressions (§5.1, §5.2) plus grammar edges
INVALID = [
    "rate(10 seconds)", "rate(10 years)", "rate(1 minutes)", "rate(1 hours)", "rate(1 days)", "rate(10 minute)",
    "rate(10 hour)", "rate(10 day)", "rate()", "rate(10)", "rate(10 minutess)", "rate(foo minutes)",
    "rate(0 minutes)", "rate(-10 minutes)", "rate(10 MINUTES)", "rate( 10 minutes )", " rate(10 minutes)",
    "rate(05 minutes)", "cron(0 1 * * * *)", "cron(7 20 * * NOT *)", "cron(INVALID)", "cron(0 dummy ? * MON-FRI *)",
    "cron(71 8 1 * ? *)", "cron(0 1 ? * ? *)", "cron(0 1 * * ?)", "cron(0  1 * * ? *)", "cron(0 24 * * ? *)",
    "cron(0 1 32 * ? *)", "cron(0 1 ? 13 * *)", "cron(0 1 ? * 8 *)", "cron(0 1 ? * 3#1,6#3 *)", "cron(0 1 ? * 3#6 *)",
    "cron(0 1 * * ? 1969)", "cron(0 1 * * ? 2200)", "cron(0 ? * * ? *)", "cron(0 1 ? * 1/2 *)", "cron(0/0 1 * * ? *)",
    "cron(0 1 5L * ? *)", "cron(0 1 1-5W * ? *)", "cron(0 1 ? * 2L,3 *)", "cron(0 1 1, * ? *)", "at(2026-01-01T00:00:00)",
    "", "cron(" + "1," * 200 + "1 * * * ? *)",
]  # fmt: skip

VALID = [
    "rate(1 minute)", "rate(5 minutes)", "rate(1 hour)", "rate(12 hours)", "rate(1 day)", "rate(7 days)",
    "cron(0 12 * * ? *)", "cron(0/5 8-17 ? * MON-FRI *)", "cron(15 10 ? * 6L 2002-2005)", "cron(0 8 1 * ? *)",
    "cron(0 18 ? * mon-fri *)", "cron(0 9 ? jan-mar 2#1 *)", "cron(0 9 LW * ? *)", "cron(0 9 ? * L *)",
    "cron(*/10 * * * ? *)", "cron(10-40/10 1,3,5 ? * FRI-MON 2026-2030/2)", "cron(0 20-2 ? * * *)",
]  # fmt: skip


def _fmt(ts: list[datetime]) -> list[str]:
    return [t.strftime("%Y-%m-%dT%H:%M") for t in ts]


@pytest.mark.parametrize("expression", sorted(NEXT_FIRES))
def test_spec_next_fires(expression: str) -> None:
    assert _fmt(next_fires(parse_schedule(expression), BASE, 3)) == NEXT_FIRES[expression]


def test_weekday_window_does_not_spill_into_saturday() -> None:
    fires = next_fires(parse_schedule("cron(0/30 20-2 ? * MON-FRI *)"), BASE, 12)
    # Friday 20:00..23:30 (8 fires), then nothing on Saturday/Sunday: the next is Monday 00:00.
    assert _fmt(fires)[7:9] == ["2026-02-27T23:30", "2026-03-02T00:00"]


@pytest.mark.parametrize("expression", INVALID)
def test_invalid_expressions_use_the_aws_text(expression: str) -> None:
    with pytest.raises(ScheduleError) as err:
        parse_schedule(expression)
    assert err.value.message == INVALID_MESSAGE == "Parameter ScheduleExpression is not valid."
    assert err.value.detail


@pytest.mark.parametrize("expression", VALID)
def test_valid_expressions(expression: str) -> None:
    sched = parse_schedule(expression)
    assert isinstance(sched, RateSchedule | CronSchedule)
    assert sched.expression == expression


def test_rate_units_and_anchor() -> None:
    sched = parse_schedule("rate(5 minutes)")
    assert isinstance(sched, RateSchedule) and sched.period == timedelta(minutes=5)
    anchor = datetime(2026, 1, 1, 12, 0, 42, tzinfo=UTC)  # truncated to the minute
    assert _fmt(next_fires(sched, anchor, 3, anchor)) == ["2026-01-01T12:05", "2026-01-01T12:10", "2026-01-01T12:15"]
    # strictly after: a fire time itself is not returned again
    assert sched.next_after(datetime(2026, 1, 1, 12, 10, tzinfo=UTC), anchor) == datetime(2026, 1, 1, 12, 15, tzinfo=UTC)
    assert list(sched.fires(anchor, anchor + timedelta(minutes=11), anchor)) == [
        datetime(2026, 1, 1, 12, 5, tzinfo=UTC), datetime(2026, 1, 1, 12, 10, tzinfo=UTC)]  # fmt: skip
    assert parse_schedule("rate(1 day)").period == timedelta(days=1)  # type: ignore[union-attr]


def test_naive_datetimes_are_utc() -> None:
    sched = parse_schedule("cron(0 10 * * ? *)")
    assert isinstance(sched, CronSchedule)
    assert sched.next_after(datetime(2026, 2, 27, 9, 0)) == datetime(2026, 2, 27, 10, 0, tzinfo=UTC)


def test_never_firing_and_year_bound_are_cheap() -> None:
    import time

    start = time.perf_counter()
    assert next_fires(parse_schedule("cron(0 0 31 2 ? *)"), BASE, 1) == []  # there is no 31 February
    assert parse_schedule("cron(0 0 1 1 ? 2199)").next_after(datetime(2199, 6, 1, tzinfo=UTC)) is None  # type: ignore[union-attr]
    assert time.perf_counter() - start < 0.5


# -- properties --------------------------------------------------------------------------------------------------------
DOW_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]


@st.composite
def simple_cron(draw: st.DrawFn) -> tuple[str, set[int], set[int], set[int] | None, set[int], set[int] | None]:
    """A cron expression of value lists, with the sets it denotes (an independent oracle)."""
    minutes = draw(st.sets(st.integers(0, 59), min_size=1, max_size=4))
    hours = draw(st.sets(st.integers(0, 23), min_size=1, max_size=4))
    months = draw(st.sets(st.integers(1, 12), min_size=1, max_size=12))
    use_dow = draw(st.booleans())
    if use_dow:
        dows = draw(st.sets(st.integers(1, 7), min_size=1, max_size=7))
        dom_text, dow_text = "?", ",".join(draw(st.sampled_from([str(d), DOW_NAMES[d - 1]])) for d in sorted(dows))
        doms = None
    else:
        doms = draw(st.sets(st.integers(1, 31), min_size=1, max_size=5))
        dom_text, dow_text = ",".join(map(str, sorted(doms))), "?"
        dows = None
    text = (f"cron({','.join(map(str, sorted(minutes)))} {','.join(map(str, sorted(hours)))} {dom_text} "
            f"{','.join(map(str, sorted(months)))} {dow_text} *)")  # fmt: skip
    return text, minutes, hours, doms, months, dows


def _oracle(t: datetime, minutes: set[int], hours: set[int], doms: set[int] | None, months: set[int],
            dows: set[int] | None) -> bool:  # fmt: skip
    if t.minute not in minutes or t.hour not in hours or t.month not in months:
        return False
    if doms is not None:
        return t.day in doms
    assert dows is not None
    return (t.isoweekday() % 7) + 1 in dows  # isoweekday: Mon=1..Sun=7 -> AWS Sun=1..Sat=7


@settings(max_examples=60, deadline=None)
@given(simple_cron(), st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1)))
def test_cron_next_fire_matches_an_independent_oracle(case: tuple, start: datetime) -> None:
    text, minutes, hours, doms, months, dows = case
    sched = parse_schedule(text)
    start = start.replace(tzinfo=UTC)
    nxt = sched.next_after(start)  # type: ignore[call-arg]
    if nxt is None:
        return
    assert nxt > start and nxt.second == 0 and nxt.microsecond == 0
    assert _oracle(nxt, minutes, hours, doms, months, dows)
    # Nothing was skipped: no minute in between matches (checked day by day, then minute by minute on the day).
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    while day.date() <= nxt.date():
        day_ok = day.month in months and (
            (doms is not None and day.day in doms) or (dows is not None and (day.isoweekday() % 7) + 1 in dows))
        if day_ok:
            for h in hours:
                for m in minutes:
                    t = day.replace(hour=h, minute=m)
                    assert not (start < t < nxt), f"{text} skipped {t}"
        day += timedelta(days=1)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 500), st.sampled_from(["minute", "hour", "day"]),
       st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
       st.integers(0, 10**9))  # fmt: skip
def test_rate_fires_are_anchored_multiples(value: int, unit: str, anchor: datetime, offset_s: int) -> None:
    text = f"rate({value} {unit}{'' if value == 1 else 's'})"
    sched = parse_schedule(text)
    assert isinstance(sched, RateSchedule)
    anchor = anchor.replace(tzinfo=UTC)
    after = anchor + timedelta(seconds=offset_s)
    nxt = sched.next_after(after, anchor)
    base = anchor.replace(second=0, microsecond=0)
    assert nxt > after and nxt - sched.period <= max(after, base)
    assert (nxt - base) % sched.period == timedelta(0) and nxt > base


@settings(max_examples=100, deadline=None)
@given(st.integers(-5, 1000), st.sampled_from(["minute", "minutes", "hour", "hours", "day", "days", "second"]))
def test_rate_grammar_singular_iff_one(value: int, unit: str) -> None:
    text = f"rate({value} {unit})"
    ok = value >= 1 and unit != "second" and (value == 1) == (not unit.endswith("s"))
    if ok:
        assert isinstance(parse_schedule(text), RateSchedule)
    else:
        with pytest.raises(ScheduleError):
            parse_schedule(text)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40), st.builds(lambda s: f"cron({s})", st.text(alphabet="0123456789*?,-/#LW JANMOSU", max_size=30))))
def test_parser_only_raises_schedule_error(text: str) -> None:
    try:
        sched = parse_schedule(text)
    except ScheduleError:
        return
    if isinstance(sched, CronSchedule):
        nxt = sched.next_after(BASE)
        assert nxt is None or nxt > BASE


@settings(max_examples=40, deadline=None)
@given(st.integers(2020, 2040), st.integers(1, 12))
def test_last_day_and_nth_weekday(year: int, month: int) -> None:
    last = calendar.monthrange(year, month)[1]
    start = datetime(year, month, 1, tzinfo=UTC) - timedelta(minutes=1)
    assert parse_schedule("cron(0 0 L * ? *)").next_after(start).day == last  # type: ignore[union-attr]
    second_tuesday = parse_schedule("cron(0 0 ? * 3#2 *)").next_after(start)  # type: ignore[union-attr]
    assert second_tuesday.weekday() == 1 and 8 <= second_tuesday.day <= 14
    last_friday = parse_schedule("cron(0 0 ? * 6L *)").next_after(start)  # type: ignore[union-attr]
    assert last_friday.weekday() == 4 and last_friday.day > last - 7
    lw = parse_schedule("cron(0 0 LW * ? *)").next_after(start)  # type: ignore[union-attr]
    assert lw.weekday() < 5 and lw.day > last - 3
