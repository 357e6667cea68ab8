"""EventBridge rule schedule expressions: ``rate(...)`` and ``cron(...)`` (pure: no I/O).

Grammar and semantics follow shared/specs/eventbridge.md §5: UTC only, one-minute precision, six cron fields
``Minutes Hours Day-of-month Month Day-of-week Year`` with 1 = SUN, exactly one of the two day fields ``?``,
wrapping ranges (``20-2``), ``L`` / ``nW`` / ``LW`` in day-of-month, ``dL`` / ``d#n`` / ``L`` in day-of-week.
Every invalid expression raises :class:`ScheduleError` with AWS's single text
``Parameter ScheduleExpression is not valid.``; ``ScheduleError.detail`` says why, for humans.

Next-fire times are strictly after the given instant. Rate schedules fire at ``anchor + k * period`` (k >= 1), the
anchor being the rule's creation (or re-enable) time truncated to the minute [design choice: AWS's phase is
unverified]. The cron search walks years and months, not minutes, so a sparse or never-firing expression costs at
most a few thousand month checks.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

__all__ = [
    "INVALID_MESSAGE",
    "CronSchedule",
    "RateSchedule",
    "Schedule",
    "ScheduleError",
    "next_fires",
    "parse_schedule",
]

INVALID_MESSAGE = "Parameter ScheduleExpression is not valid."
MAX_LENGTH = 256  # botocore ScheduleExpression max length
YEAR_MIN, YEAR_MAX = 1970, 2199
MINUTE = timedelta(minutes=1)

_RATE_RE = re.compile(r"rate\(([1-9][0-9]*) (minute|minutes|hour|hours|day|days)\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {name: i for i, name in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1)}  # fmt: skip
_DAYS = {name: i for i, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), start=1)}


class ScheduleError(ValueError):
    """An invalid schedule expression; ``message`` is AWS's text, ``detail`` the reason."""

    code = "ValidationException"

    def __init__(self, detail: str) -> None:
        self.detail = detail
        self.message = INVALID_MESSAGE
        super().__init__(INVALID_MESSAGE)


def _utc(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _floor_minute(dt: datetime) -> datetime:
    return _utc(dt).replace(second=0, microsecond=0)


@dataclass(frozen=True)
class RateSchedule:
    expression: str
    value: int
    unit: str  # minute | hour | day

    @property
    def period(self) -> timedelta:
        return timedelta(seconds=self.value * _UNIT_SECONDS[self.unit])

    def next_after(self, after: datetime, anchor: datetime) -> datetime:
        """The first fire ``anchor + k * period`` (k >= 1) strictly after ``after``."""
        base = _floor_minute(anchor)
        period = self.period
        after = _utc(after)
        if after < base + period:
            return base + period
        k = (after - base) // period + 1
        return base + k * period

    def fires(self, after: datetime, until: datetime, anchor: datetime) -> Iterator[datetime]:
        """Fires in ``(after, until]``."""
        t = self.next_after(after, anchor)
        until = _utc(until)
        period = self.period
        while t <= until:
            yield t
            t += period


# ---------------------------------------------------------------------------------------------------------------------
# cron


@dataclass(frozen=True)
class _DomSpec:
    """Day-of-month: a set of days, or ``L`` (last day), ``LW`` (last weekday), ``nW`` (weekday nearest n)."""

    days: frozenset[int] = frozenset()
    last: bool = False
    last_weekday: bool = False
    nearest_weekday: int | None = None
    any: bool = False  # "?"


@dataclass(frozen=True)
class _DowSpec:
    """Day-of-week (1 = SUN): a set of days, ``dL`` (last d of the month), or ``d#n`` (n-th d of the month)."""

    days: frozenset[int] = frozenset()
    last_of: int | None = None
    nth: tuple[int, int] | None = None  # (day, n)
    any: bool = False  # "?"


def _aws_dow(d: date) -> int:
    return (d.weekday() + 1) % 7 + 1  # Monday=0 -> 2, Sunday=6 -> 1


def _nearest_weekday(year: int, month: int, day: int) -> int | None:
    last = calendar.monthrange(year, month)[1]
    if day > last:
        return None  # e.g. 31W in a 30-day month: no fire that month [design choice, Quartz]
    wd = date(year, month, day).weekday()  # Mon=0 .. Sun=6
    if wd == 5:  # Saturday -> Friday, or Monday the 3rd when the 1st is a Saturday
        return day - 1 if day > 1 else day + 2
    if wd == 6:  # Sunday -> Monday, or Friday when it is the month's last day
        return day + 1 if day < last else day - 2
    return day


@dataclass(frozen=True)
class CronSchedule:
    expression: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    dom: _DomSpec
    months: frozenset[int]
    dow: _DowSpec
    years: frozenset[int]

    def _days_of_month(self, year: int, month: int) -> list[int]:
        last = calendar.monthrange(year, month)[1]
        out: set[int] = set()
        if not self.dom.any:
            if self.dom.last:
                out.add(last)
            elif self.dom.last_weekday:
                wd = date(year, month, last).weekday()
                out.add(last - (wd - 4) if wd > 4 else last)
            elif self.dom.nearest_weekday is not None:
                d = _nearest_weekday(year, month, self.dom.nearest_weekday)
                if d is not None:
                    out.add(d)
            else:
                out.update(d for d in self.dom.days if d <= last)
        else:
            first_dow = _aws_dow(date(year, month, 1))
            if self.dow.last_of is not None:
                d = last
                while (first_dow - 1 + d - 1) % 7 + 1 != self.dow.last_of:
                    d -= 1
                out.add(d)
            elif self.dow.nth is not None:
                wanted, n = self.dow.nth
                d = 1 + (wanted - first_dow) % 7 + 7 * (n - 1)
                if d <= last:
                    out.add(d)
            else:
                for d in range(1, last + 1):
                    if (first_dow - 1 + d - 1) % 7 + 1 in self.dow.days:
                        out.add(d)
        return sorted(out)

    def next_after(self, after: datetime) -> datetime | None:
        """The first fire strictly after ``after`` (UTC), or None when the expression never fires again."""
        start = _floor_minute(after) + MINUTE
        for year in range(start.year, YEAR_MAX + 1):
            if year not in self.years:
                continue
            for month in range(1, 13):
                if month not in self.months or (year, month) < (start.year, start.month):
                    continue
                same_month = (year, month) == (start.year, start.month)
                for day in self._days_of_month(year, month):
                    if same_month and day < start.day:
                        continue
                    same_day = same_month and day == start.day
                    for hour in self.hours:
                        if same_day and hour < start.hour:
                            continue
                        for minute in self.minutes:
                            if same_day and hour == start.hour and minute < start.minute:
                                continue
                            return datetime(year, month, day, hour, minute, tzinfo=UTC)
        return None

    def fires(self, after: datetime, until: datetime) -> Iterator[datetime]:
        until = _utc(until)
        t = self.next_after(after)
        while t is not None and t <= until:
            yield t
            t = self.next_after(t)


Schedule = RateSchedule | CronSchedule


def _number(text: str, names: dict[str, int] | None, lo: int, hi: int, field: str) -> int:
    upper = text.upper()
    if names and upper in names:
        return names[upper]
    if not text.isdigit():
        raise ScheduleError(f"{field}: {text!r} is not a value")
    value = int(text)
    if not lo <= value <= hi:
        raise ScheduleError(f"{field}: {value} is outside {lo}-{hi}")
    return value


def _span(a: int, b: int, lo: int, hi: int) -> list[int]:
    """a..b inclusive; wraps past the maximum when a > b (hours 20-2 = 20..23, 0..2)."""
    if a <= b:
        return list(range(a, b + 1))
    return list(range(a, hi + 1)) + list(range(lo, b + 1))


def _parse_list(text: str, field: str, lo: int, hi: int, names: dict[str, int] | None, allow_step: bool) -> set[int]:
    """A comma list of ``*``, ``v``, ``a-b`` (wrapping), ``a/s``, ``*/s``, ``a-b/s``."""
    out: set[int] = set()
    for item in text.split(","):
        if not item:
            raise ScheduleError(f"{field}: empty list item")
        base, slash, step_text = item.partition("/")
        if slash:
            if not allow_step:
                raise ScheduleError(f"{field}: '/' is not allowed")
            if not step_text.isdigit() or not 1 <= int(step_text) <= hi - lo + 1:
                raise ScheduleError(f"{field}: bad increment {step_text!r}")
        step = int(step_text) if slash else 1
        if base == "*":
            values = list(range(lo, hi + 1))
        elif "-" in base:
            a_text, _, b_text = base.partition("-")
            values = _span(_number(a_text, names, lo, hi, field), _number(b_text, names, lo, hi, field), lo, hi)
        else:
            a = _number(base, names, lo, hi, field)
            values = list(range(a, hi + 1)) if slash else [a]
        out.update(values[::step])
    return out


def _parse_dom(text: str) -> _DomSpec:
    if text == "?":
        return _DomSpec(any=True)
    upper = text.upper()
    if upper == "L":
        return _DomSpec(last=True)
    if upper == "LW":
        return _DomSpec(last_weekday=True)
    if upper.endswith("W"):
        day = upper[:-1]
        if not day.isdigit() or not 1 <= int(day) <= 31:
            raise ScheduleError(f"day-of-month: bad W expression {text!r}")
        return _DomSpec(nearest_weekday=int(day))
    if "L" in upper or "W" in upper:
        raise ScheduleError(f"day-of-month: L and W cannot be combined with other values ({text!r})")
    return _DomSpec(days=frozenset(_parse_list(text, "day-of-month", 1, 31, None, True)))


def _parse_dow(text: str) -> _DowSpec:
    if text == "?":
        return _DowSpec(any=True)
    upper = text.upper()
    if "#" in upper:
        if "," in upper or "-" in upper or "L" in upper:
            raise ScheduleError(f"day-of-week: only one '#' expression is allowed ({text!r})")
        day_text, _, n_text = upper.partition("#")
        day = _number(day_text, _DAYS, 1, 7, "day-of-week")
        if not n_text.isdigit() or not 1 <= int(n_text) <= 5:
            raise ScheduleError(f"day-of-week: the '#' occurrence must be 1-5 ({text!r})")
        return _DowSpec(nth=(day, int(n_text)))
    if upper == "L":
        return _DowSpec(days=frozenset({7}))  # Quartz: L alone = the last day of the week, SAT [unverified on AWS]
    if upper.endswith("L"):
        if "," in upper or "-" in upper:
            raise ScheduleError(f"day-of-week: 'L' cannot be combined with a list or range ({text!r})")
        return _DowSpec(last_of=_number(upper[:-1], _DAYS, 1, 7, "day-of-week"))
    return _DowSpec(days=frozenset(_parse_list(text, "day-of-week", 1, 7, _DAYS, False)))


def _parse_cron(expression: str, body: str) -> CronSchedule:
    fields = body.split(" ")
    if len(fields) != 6 or any(not f for f in fields):
        raise ScheduleError("cron needs exactly 6 fields separated by single spaces")
    minute_f, hour_f, dom_f, month_f, dow_f, year_f = fields
    for name, value in (("minutes", minute_f), ("hours", hour_f), ("month", month_f), ("year", year_f)):
        if "?" in value:
            raise ScheduleError(f"{name}: '?' is only allowed in day-of-month and day-of-week")
    if (dom_f == "?") == (dow_f == "?"):
        raise ScheduleError("exactly one of day-of-month and day-of-week must be '?'")
    return CronSchedule(
        expression=expression,
        minutes=tuple(sorted(_parse_list(minute_f, "minutes", 0, 59, None, True))),
        hours=tuple(sorted(_parse_list(hour_f, "hours", 0, 23, None, True))),
        dom=_parse_dom(dom_f),
        months=frozenset(_parse_list(month_f, "month", 1, 12, _MONTHS, True)),
        dow=_parse_dow(dow_f),
        years=frozenset(_parse_list(year_f, "year", YEAR_MIN, YEAR_MAX, None, True)),
    )


def parse_schedule(expression: str) -> Schedule:
    """Validate and compile a ``rate(...)`` or ``cron(...)`` expression; raises ScheduleError."""
    if not isinstance(expression, str) or not expression:
        raise ScheduleError("the expression is empty")
    if len(expression) > MAX_LENGTH:
        raise ScheduleError(f"the expression is longer than {MAX_LENGTH} characters")
    if expression.startswith("rate("):
        m = _RATE_RE.fullmatch(expression)
        if m is None:
            raise ScheduleError("expected rate(<positive integer> <minute(s)|hour(s)|day(s)>)")
        value, unit = int(m.group(1)), m.group(2)
        if (value == 1) != (not unit.endswith("s")):
            raise ScheduleError("use the singular unit for 1 and the plural otherwise")
        return RateSchedule(expression, value, unit.rstrip("s"))
    if expression.startswith("cron(") and expression.endswith(")"):
        return _parse_cron(expression, expression[5:-1])
    raise ScheduleError("expected rate(...) or cron(...)")


def next_fires(schedule: Schedule, after: datetime, count: int, anchor: datetime | None = None) -> list[datetime]:
    """The next ``count`` fire times strictly after ``after`` (a rate schedule needs its anchor; default ``after``)."""
    out: list[datetime] = []
    t: datetime | None = _utc(after)
    for _ in range(count):
        assert t is not None
        if isinstance(schedule, RateSchedule):
            t = schedule.next_after(t, anchor if anchor is not None else after)
        else:
            t = schedule.next_after(t)
        if t is None:
            break
        out.append(t)
    return out
