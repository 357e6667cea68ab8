from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from awsmon.errors import UsageError
from awsmon.timeparse import TIME_MIN, format_duration, iso_z, parse_duration, parse_time

NOW = datetime(2026, 11, 21, 5, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", "2026-11-21T05:00:00Z"),
        ("15m", "2026-11-21T04:45:00Z"),
        ("2h ago", "2026-11-21T03:00:00Z"),
        ("3 days ago", "2026-11-18T05:00:00Z"),
        ("1h30m ago", "2026-11-21T03:30:00Z"),
        ("-90s", "2026-11-21T04:58:30Z"),
        ("in 2h", "2026-11-21T07:00:00Z"),
        ("+1d", "2026-11-22T05:00:00Z"),
        ("yesterday", "2026-11-20T00:00:00Z"),
        ("today", "2026-11-21T00:00:00Z"),
        ("1763701200", "2025-11-21T05:00:00Z"),
        ("1763701200000", "2025-11-21T05:00:00Z"),
        ("2026-11-20T01:02:03Z", "2026-11-20T01:02:03Z"),
        ("2026-11-20T01:02:03+02:00", "2026-11-19T23:02:03Z"),
        ("2026-11-20T01:02:03.250Z", "2026-11-20T01:02:03.250Z"),
        ("2026-11-20", "2026-11-20T00:00:00Z"),
        ("2026-11-20 01:02", "2026-11-20T01:02:00Z"),
    ],
)
def test_time_forms(text: str, expected: str) -> None:
    assert iso_z(parse_time(text, NOW)) == expected


@pytest.mark.parametrize("text", ["", "soon", "15 parsecs ago", "2026-13-45", "in 2h ago", "1e400", "abc123"])
def test_malformed_times_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError):
        parse_time(text, NOW)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("5m", 300), ("3h", 10800), ("2d", 172800), ("1h30m", 5400), ("1w", 604800), ("PT5M", 300), ("45", 45)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "5 parsecs", "m5", "P", "-"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(UsageError):
        parse_duration(text)


aware = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=(d.microsecond // 1000) * 1000))


@given(aware)
def test_iso_round_trip(dt: datetime) -> None:
    assert parse_time(iso_z(dt), NOW) == dt


@given(aware.filter(lambda d: d.year >= 1974))  # below 1e11, a number is read as seconds (documented)
def test_epoch_seconds_and_millis_agree(dt: datetime) -> None:
    ms = int(dt.timestamp() * 1000)
    assert parse_time(str(ms), NOW) == parse_time(str(ms / 1000), NOW)


@given(st.integers(min_value=0, max_value=10**5), st.sampled_from(["s", "m", "h", "d"]))
def test_relative_is_before_now(n: int, unit: str) -> None:
    seconds = n * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]
    if NOW - timedelta(seconds=seconds) < TIME_MIN:  # before the epoch: refused, never an overflow
        with pytest.raises(UsageError, match="out of range"):
            parse_time(f"{n}{unit} ago", NOW)
        return
    got = parse_time(f"{n}{unit} ago", NOW)
    assert got <= NOW
    assert parse_time(f"{n}{unit}", NOW) == got


@given(st.integers(min_value=0, max_value=10**8))
def test_duration_format_round_trip(seconds: int) -> None:
    assert parse_duration(format_duration(timedelta(seconds=seconds))).total_seconds() == seconds


@given(st.text(max_size=30))
def test_parse_time_never_crashes(text: str) -> None:
    try:
        result = parse_time(text, NOW)
    except UsageError:
        return
    assert result.tzinfo is not None
