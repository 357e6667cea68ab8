"""Time input and output.

Accepted everywhere a time is taken: ISO 8601 (``2026-11-21T05:00:00Z``, ``2026-11-21``, a naive time is UTC),
epoch seconds or milliseconds (``1763701200``, ``1763701200000``; values above 1e11 are milliseconds),
relative times (``15m``, ``2h ago``, ``3 days ago``, ``-90s``, ``in 2h``), and the words ``now``, ``today``,
``yesterday`` (midnight UTC). Output is ISO 8601 UTC.

Every time awsmon accepts lies in [TIME_MIN, TIME_MAX): the Unix epoch (AWS has no earlier timestamps) up to the
year 9000, which leaves a millennium of headroom below ``datetime``'s year 9999 for anything computed from a time
(retention periods, schedules, evaluation windows), so no accepted time can overflow later. Durations are at most
MAX_DURATION for the same reason.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo

from awsmon.errors import UsageError

TIME_MIN = datetime(1970, 1, 1, tzinfo=UTC)
TIME_MAX = datetime(9000, 1, 1, tzinfo=UTC)
TIME_RANGE_TEXT = "1970-01-01T00:00:00Z to 8999-12-31T23:59:59Z"
MAX_DURATION = timedelta(days=365_000)  # about 1000 years: TIME_MIN + MAX_DURATION stays below TIME_MAX's headroom

_UNITS = {
    "ms": 0.001,
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
    "w": 604800, "week": 604800, "weeks": 604800,
}  # fmt: skip
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)")
_RELATIVE = re.compile(r"^(?P<sign>[-+]|in\s+)?(?P<body>(?:\d+(?:\.\d+)?\s*[a-z]+\s*)+?)(?P<ago>\s*ago)?$")
_ISO_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def _sum_parts(body: str) -> float | None:
    total = 0.0
    pos = 0
    body = body.strip()
    for m in _PART.finditer(body):
        if body[pos : m.start()].strip():
            return None
        unit = _UNITS.get(m.group(2))
        if unit is None:
            return None
        total += float(m.group(1)) * unit
        pos = m.end()
    if pos == 0 or body[pos:].strip():
        return None
    return total


def parse_duration(text: str) -> timedelta:
    """``90s``, ``5m``, ``3h``, ``2d``, ``1h30m``, ``1w``, ISO 8601 ``PT5M``; a bare number is seconds."""
    raw = text.strip()
    low = raw.lower()
    seconds: float | None
    if re.fullmatch(r"\d+(\.\d+)?", low):
        seconds = float(low)
    else:
        iso = _ISO_DURATION.match(raw.upper())
        if iso and any(iso.groups()):
            d, h, m, s = iso.groups()
            # float arithmetic: huge digit strings become inf and are refused below, never an overflow
            seconds = float(d or 0) * 86400 + float(h or 0) * 3600 + float(m or 0) * 60 + float(s or 0)
        else:
            seconds = _sum_parts(low)
    if seconds is None:
        raise UsageError(
            f"invalid duration {text!r}",
            hint="use a number with a unit, for example 90s, 5m, 3h, 2d or 1h30m",
        )
    if not seconds <= MAX_DURATION.total_seconds():  # also refuses inf and nan
        raise UsageError(f"invalid duration {text!r}: longer than {MAX_DURATION.days} days")
    return timedelta(seconds=seconds)


def check_time(value: datetime, text: str) -> datetime:
    """``value`` if it lies in the range awsmon accepts, else a usage error naming ``text``."""
    if not TIME_MIN <= value < TIME_MAX:
        raise UsageError(f"invalid time {text!r}: out of range (awsmon accepts {TIME_RANGE_TEXT})")
    return value


def from_epoch(value: float, what: str | None = None) -> datetime:
    """Epoch seconds, or milliseconds when ``abs(value) >= 1e11`` (1e11 seconds would be the year 5138).

    ``what`` names the value in the error (default ``time <value>``).
    """
    seconds = value / 1000.0 if abs(value) >= 1e11 else value
    if not TIME_MIN.timestamp() <= seconds < TIME_MAX.timestamp():  # also refuses inf and nan
        raise UsageError(f"invalid {what or f'time {value!r}'}: out of range (awsmon accepts {TIME_RANGE_TEXT})")
    return datetime.fromtimestamp(seconds, UTC)


def parse_time(text: str, now: datetime, *, tz: tzinfo | None = None) -> datetime:
    """Parse any accepted time form into an aware UTC datetime. ``now`` anchors relative forms."""
    raw = text.strip()
    low = raw.lower()
    if not raw:
        raise UsageError("empty time value", hint="use ISO 8601, epoch seconds, or a relative time such as 15m")
    local = tz or UTC
    if low == "now":
        return now
    if low in ("today", "yesterday"):
        day = now.astimezone(local).replace(hour=0, minute=0, second=0, microsecond=0)
        if low == "yesterday":
            day -= timedelta(days=1)
        return day.astimezone(UTC)
    if re.fullmatch(r"-?\d+(\.\d+)?", low):
        return from_epoch(float(low), f"time {text!r}")
    rel = _RELATIVE.match(low)
    if rel:
        seconds = _sum_parts(rel.group("body"))
        if seconds is not None:
            future = (rel.group("sign") or "").strip() in ("+", "in")
            if future and rel.group("ago"):
                raise UsageError(f"invalid time {text!r}: 'in' and 'ago' together")
            if not seconds <= MAX_DURATION.total_seconds():
                raise UsageError(f"invalid time {text!r}: out of range (awsmon accepts {TIME_RANGE_TEXT})")
            delta = timedelta(seconds=seconds)
            return check_time(now + delta if future else now - delta, text)
    try:
        parsed = datetime.fromisoformat(raw.replace("z", "Z"))
    except ValueError:
        parsed = None
    if parsed is None:
        try:
            import warnings

            from dateutil import parser as du_parser  # only for the rare non-ISO form

            with warnings.catch_warnings():  # e.g. UnknownTimezoneWarning: the error below is the one message
                warnings.simplefilter("ignore")
                parsed = du_parser.parse(raw)
        except (ValueError, OverflowError, ArithmeticError, TypeError) as exc:  # dateutil also raises decimal errors
            raise UsageError(
                f"invalid time {text!r}",
                hint="use ISO 8601 (2026-11-21T05:00:00Z), epoch seconds or milliseconds, "
                "or a relative time (15m, 2h ago, 3 days ago, yesterday, now)",
            ) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=local)
    try:
        parsed = parsed.astimezone(UTC)
    except (OverflowError, ValueError) as exc:  # 0001-01-01 in a zone east of UTC
        raise UsageError(f"invalid time {text!r}: out of range (awsmon accepts {TIME_RANGE_TEXT})") from exc
    return check_time(parsed, text)


def get_tz(name: str | None) -> tzinfo:
    """``UTC`` (default), ``local``, or an IANA zone name."""
    if not name or name.upper() in ("UTC", "Z"):
        return UTC
    if name.lower() == "local":
        local = datetime.now().astimezone().tzinfo
        return local or UTC
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)
    except Exception as exc:  # ZoneInfoNotFoundError, ValueError for malformed keys
        raise UsageError(f"unknown time zone {name!r}", hint="use UTC, local, or an IANA name such as Europe/Paris") from exc


def iso_z(dt: datetime) -> str:
    """ISO 8601 in UTC with a Z, milliseconds only when present."""
    dt = dt.astimezone(UTC)
    if dt.microsecond:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def to_epoch_ms(dt: datetime) -> int:
    return int(round(dt.timestamp() * 1000))


def from_epoch_ms(ms: int | float) -> datetime:
    return datetime.fromtimestamp(ms / 1000.0, UTC)


def format_duration(td: timedelta) -> str:
    seconds = int(td.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return sign + ("".join(parts) or "0s")
