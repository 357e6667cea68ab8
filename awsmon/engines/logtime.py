"""Log-line timestamps as the CloudWatch Logs agents read them: a strftime-style ``datetime_format`` found in a
line (awslogs' ``datetime_format``, the unified agent's ``timestamp_format``), and multi-line grouping.

Pure functions, no I/O. A format becomes a regular expression (each directive a group of what it can match) that is
searched in the line; the match is parsed with the format. Formats without a year (syslog's ``%b %d %H:%M:%S``) take
the year of a reference time, or the year before when that would put the event more than a day in the future, as
the agents do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

_DIRECTIVES: dict[str, str] = {
    "Y": r"\d{4}", "y": r"\d{2}", "m": r"\d{1,2}", "d": r"\d{1,2}", "e": r"[ \d]?\d", "H": r"\d{1,2}",
    "I": r"\d{1,2}", "M": r"\d{1,2}", "S": r"\d{1,2}", "f": r"\d{1,9}", "j": r"\d{1,3}",
    "b": r"[A-Za-z]{3}", "h": r"[A-Za-z]{3}", "B": r"[A-Za-z]+", "a": r"[A-Za-z]{3}", "A": r"[A-Za-z]+",
    "p": r"(?:AM|PM|am|pm)", "z": r"(?:Z|[+-]\d{2}:?\d{2})", "Z": r"[A-Za-z]{1,5}", "%": "%",
}  # fmt: skip


class DatetimeFormatError(ValueError):
    """The format has a directive the agents do not support."""


@dataclass(frozen=True)
class TimeFormat:
    fmt: str
    parse_fmt: str  # the format as datetime.strptime takes it (no %-d flags, %e as %d, %f clipped)
    regex: re.Pattern[str]
    anchored: re.Pattern[str]
    has_year: bool
    has_date: bool

    def find(self, line: str, *, at_start: bool = False) -> str | None:
        m = (self.anchored if at_start else self.regex).search(line)
        return m.group(0) if m else None

    def parse(self, line: str, reference: datetime, tz: tzinfo = UTC) -> datetime | None:
        """The timestamp in ``line`` (UTC), or None when the line has none."""
        text = self.find(line)
        if text is None:
            return None
        text = re.sub(r"(\.\d{6})\d+", r"\1", text)  # strptime's %f takes at most 6 digits
        if " " in self.parse_fmt:
            text = re.sub(r"\s+", " ", text)  # syslog pads single-digit days with a space
        try:
            if self.has_year:
                value = datetime.strptime(text, self.parse_fmt)
            else:  # parse with a leap year so Feb 29 is accepted, then pick the year
                value = datetime.strptime(f"2000 {text}", f"%Y {self.parse_fmt}")
        except ValueError:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=tz)
        ref = reference.astimezone(value.tzinfo)
        if not self.has_date:
            value = value.replace(year=ref.year, month=ref.month, day=ref.day)
        elif not self.has_year:
            try:
                value = value.replace(year=ref.year)
                if value > ref + timedelta(days=1):
                    value = value.replace(year=ref.year - 1)
            except ValueError:  # Feb 29 in a common year
                return None
        return value.astimezone(UTC)


def compile_format(fmt: str) -> TimeFormat:
    parts: list[str] = []
    parse: list[str] = []
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch != "%":
            parts.append(r"\s+" if ch == " " else re.escape(ch))
            parse.append(ch)
            i += 1
            continue
        i += 1
        if i < len(fmt) and fmt[i] in "-_0^#":  # glibc flags (%-d): same value, optional padding
            i += 1
        if i >= len(fmt):
            raise DatetimeFormatError(f"datetime format {fmt!r} ends with a lone %")
        d = fmt[i]
        if d not in _DIRECTIVES:
            raise DatetimeFormatError(f"datetime format {fmt!r}: unsupported directive %{d}")
        parts.append(f"(?:{_DIRECTIVES[d]})" if d != "%" else "%")
        parse.append("%d" if d == "e" else "%b" if d == "h" else f"%{d}")
        i += 1
    body = "".join(parts)
    used = set(re.findall(r"%[-_0^#]?([A-Za-z])", fmt))
    return TimeFormat(
        fmt=fmt,
        parse_fmt="".join(parse),
        regex=re.compile(body),
        anchored=re.compile(r"^\s*" + body),
        has_year=bool(used & {"Y", "y"}),
        has_date=bool(used & {"d", "e", "j", "b", "B", "h", "m"}),
    )


def group_lines(lines: list[str], start: re.Pattern[str] | TimeFormat | None) -> list[list[int]]:
    """Indexes of ``lines`` grouped into events: a line that does not match ``start`` continues the event before
    it (the agents' multi-line handling). ``None`` uses awslogs' default start pattern ``^[^\\s]``."""
    groups: list[list[int]] = []
    for i, line in enumerate(lines):
        if isinstance(start, TimeFormat):
            begins = start.find(line, at_start=True) is not None
        else:
            begins = bool((start or _DEFAULT_START).search(line))
        if begins or not groups:
            groups.append([i])
        else:
            groups[-1].append(i)
    return groups


_DEFAULT_START = re.compile(r"^[^\s]")
