"""Terminal charts: a multi-series line chart with axis labels and a legend, and sparklines. Pure text, no I/O.

Readable in 80 columns: the chart is exactly ``width`` characters wide (y-axis labels included). ``ascii=True``
uses only ASCII characters (for pipes and dumb terminals); ``color=True`` adds ANSI colours per series.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

SPARK = "▁▂▃▄▅▆▇█"
SPARK_ASCII = "_.-~=*#@"
MARKERS = "●◆▲■○◇△□"
MARKERS_ASCII = "*o+x#@%&"
COLORS = ("\x1b[36m", "\x1b[33m", "\x1b[35m", "\x1b[32m", "\x1b[31m", "\x1b[34m", "\x1b[96m", "\x1b[93m")
RESET = "\x1b[0m"


@dataclass
class ChartSeries:
    label: str
    timestamps: list[float]  # epoch seconds
    values: list[float]


def fmt_number(v: float) -> str:
    """Compact axis label: 1.2k, 3.4M, 0.012, 12.5."""
    if v == 0 or not math.isfinite(v):
        return "0" if v == 0 else str(v)
    a = abs(v)
    for limit, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if a >= limit:
            return f"{v / limit:.3g}{suffix}"
    if a >= 100:
        return f"{v:.0f}"
    return f"{v:.3g}"


def sparkline(values: Sequence[float | None], *, ascii: bool = False, lo: float | None = None,
              hi: float | None = None) -> str:  # fmt: skip
    """One character per value; ``None`` (missing) is a space."""
    chars = SPARK_ASCII if ascii else SPARK
    present = [v for v in values if v is not None and math.isfinite(v)]
    if not present:
        return " " * len(values)
    lo = min(present) if lo is None else lo
    hi = max(present) if hi is None else hi
    span = hi - lo
    out = []
    for v in values:
        if v is None or not math.isfinite(v):
            out.append(" ")
        elif span <= 0:
            out.append(chars[len(chars) // 2])
        else:
            idx = int(round((v - lo) / span * (len(chars) - 1)))
            out.append(chars[max(0, min(len(chars) - 1, idx))])
    return "".join(out)


def resample(series: ChartSeries, t0: float, t1: float, columns: int) -> list[float | None]:
    """Mean value per column over [t0, t1]; None where a column has no point."""
    sums = [0.0] * columns
    counts = [0] * columns
    span = max(t1 - t0, 1e-9)
    for t, v in zip(series.timestamps, series.values, strict=False):
        if v is None or not math.isfinite(v):
            continue
        c = int((t - t0) / span * (columns - 1) + 0.5) if columns > 1 else 0
        if 0 <= c < columns:
            sums[c] += v
            counts[c] += 1
    return [sums[i] / counts[i] if counts[i] else None for i in range(columns)]


def _time_label(t: float, tz: tzinfo, span: float) -> str:
    dt = datetime.fromtimestamp(t, UTC).astimezone(tz)
    return dt.strftime("%H:%M" if span <= 86400 else "%m-%d %H:%M")


def line_chart(
    series: Sequence[ChartSeries],
    *,
    width: int = 80,
    height: int = 12,
    title: str | None = None,
    ascii: bool = False,
    color: bool = False,
    tz: tzinfo = UTC,
    t0: float | None = None,
    t1: float | None = None,
) -> str:
    """A line chart of one or more series with a y axis (min/mid/max), an x axis (times) and a legend."""
    width = max(width, 30)
    height = max(height, 3)
    all_t = [t for s in series for t in s.timestamps]
    all_v = [v for s in series for v in s.values if v is not None and math.isfinite(v)]
    lines: list[str] = []
    if title:
        lines.append(title[:width])
    if not all_t or not all_v:
        lines.append("(no datapoints in this time range)")
        return "\n".join(lines) + "\n"
    t0 = min(all_t) if t0 is None else t0
    t1 = max(all_t) if t1 is None else t1
    lo, hi = min(all_v), max(all_v)
    if hi == lo:
        lo, hi = lo - (abs(lo) * 0.1 or 1.0), hi + (abs(hi) * 0.1 or 1.0)
    labels = [fmt_number(hi), fmt_number((hi + lo) / 2), fmt_number(lo)]
    label_w = max(len(x) for x in labels)
    plot_w = width - label_w - 2  # "<label> ┤" then the plot
    grid = [[" "] * plot_w for _ in range(height)]
    owner = [[-1] * plot_w for _ in range(height)]
    markers = MARKERS_ASCII if ascii else MARKERS
    vbar = "|" if ascii else "│"

    def row_of(v: float) -> int:
        return height - 1 - int(round((v - lo) / (hi - lo) * (height - 1)))

    dot = "." if ascii else "·"

    def stroke(si: int, c: int, r_from: int, r_to: int) -> None:
        """Join a steep move between neighbouring columns with a vertical stroke in column ``c``."""
        if abs(r_to - r_from) > 1:
            step = 1 if r_to > r_from else -1
            for rr in range(r_from + step, r_to, step):
                if grid[rr][c] == " ":
                    grid[rr][c], owner[rr][c] = vbar, si

    for si, s in enumerate(series):
        cols = resample(s, t0, t1, plot_w)
        mark = markers[si % len(markers)]
        # Consecutive datapoints are joined across the empty columns between them (a sparse series is drawn as a
        # line, not scattered dots); a gap longer than the series' own step (missing data) stays open.
        stamps = sorted(t for t, v in zip(s.timestamps, s.values, strict=False) if v is not None and math.isfinite(v))
        diffs = sorted(b - a for a, b in zip(stamps, stamps[1:], strict=False) if b > a)
        step_t = diffs[len(diffs) // 2] if diffs else 0.0
        max_gap = math.ceil(step_t / max(t1 - t0, 1e-9) * (plot_w - 1)) + 1 if step_t else 1
        prev: tuple[int, int] | None = None  # (column, row) of the previous point
        for c, v in enumerate(cols):
            if v is None:
                continue
            r = row_of(v)
            if prev is not None and c - prev[0] <= max_gap:
                pc, pr = prev
                last = pr
                for cc in range(pc + 1, c):  # interpolated path through the empty columns
                    rr = int(round(pr + (r - pr) * (cc - pc) / (c - pc)))
                    stroke(si, cc, last, rr)
                    if grid[rr][cc] == " ":
                        grid[rr][cc], owner[rr][cc] = dot, si
                    last = rr
                stroke(si, c, last, r)
            grid[r][c], owner[r][c] = mark, si
            prev = (c, r)
    label_rows = {0: labels[0], (height - 1) // 2: labels[1], height - 1: labels[2]}
    axis = "+" if ascii else "┤"
    pipe = "|" if ascii else "│"
    for r in range(height):
        label = label_rows.get(r, "")
        cells = []
        for c in range(plot_w):
            ch = grid[r][c]
            if color and owner[r][c] >= 0:
                ch = f"{COLORS[owner[r][c] % len(COLORS)]}{ch}{RESET}"
            cells.append(ch)
        lines.append(f"{label:>{label_w}} {axis if label else pipe}{''.join(cells)}")
    corner = "+" if ascii else "└"
    dash = "-" if ascii else "─"
    lines.append(" " * label_w + " " + corner + dash * plot_w)
    span = t1 - t0
    left, mid, right = (_time_label(t, tz, span) for t in (t0, (t0 + t1) / 2, t1))
    xl = [" "] * plot_w
    for text, pos in ((left, 0), (mid, plot_w // 2 - len(mid) // 2), (right, plot_w - len(right))):
        for i, ch in enumerate(text):
            if 0 <= pos + i < plot_w:
                xl[pos + i] = ch
    lines.append(" " * (label_w + 2) + "".join(xl).rstrip())
    legend = []
    for si, s in enumerate(series):
        mark = markers[si % len(markers)]
        if color:
            mark = f"{COLORS[si % len(COLORS)]}{mark}{RESET}"
        present = [v for v in s.values if v is not None]
        stats = f" (min {fmt_number(min(present))}, max {fmt_number(max(present))})" if present else " (no data)"
        text = f"{s.label}{stats}"
        indent = label_w + 2 if label_w + 4 + len(text) <= width else 0
        if indent + 2 + len(text) > width:
            text = text[: width - 3] + "…" if not ascii else text[: width - 5] + "..."
        legend.append(" " * indent + f"{mark} {text}")
    lines.extend(legend)
    return "\n".join(lines) + "\n"


def spark_lines(series: Sequence[ChartSeries], *, width: int = 80, ascii: bool = False,
                t0: float | None = None, t1: float | None = None) -> str:  # fmt: skip
    """One sparkline per series: ``label  ▁▂▅█▃  min..max``, fitted to ``width`` columns."""
    all_t = [t for s in series for t in s.timestamps]
    if not all_t:
        return "(no datapoints in this time range)\n"
    t0 = min(all_t) if t0 is None else t0
    t1 = max(all_t) if t1 is None else t1
    label_w = min(24, max(len(s.label) for s in series))
    out = []
    for s in series:
        present = [v for v in s.values if v is not None]
        rng = f"{fmt_number(min(present))}..{fmt_number(max(present))}" if present else "no data"
        cols = max(10, width - label_w - len(rng) - 4)
        out.append(f"{s.label[:label_w]:<{label_w}}  {sparkline(resample(s, t0, t1, cols), ascii=ascii)}  {rng}")
    return "\n".join(out) + "\n"


def plain_table(series: Sequence[ChartSeries], tz: tzinfo = UTC) -> str:
    """The piped fallback: one line per timestamp, one column per series (tab-separated)."""
    stamps = sorted({t for s in series for t in s.timestamps})
    index = [dict(zip(s.timestamps, s.values, strict=False)) for s in series]
    lines = ["\t".join(["Timestamp", *(s.label for s in series)])]
    for t in stamps:
        when = datetime.fromtimestamp(t, UTC).astimezone(tz).isoformat().replace("+00:00", "Z")
        cells = ["" if (v := ix.get(t)) is None else repr(float(v)) for ix in index]
        lines.append("\t".join([when, *cells]))
    return "\n".join(lines) + "\n"
