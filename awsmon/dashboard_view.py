"""Drawing a dashboard (the view built by :func:`awsmon.services.dashboards.build_view`): in the terminal on a
character grid, and as one self-contained HTML page (inline SVG, inline CSS, no scripts). Pure: text in, text out.

The 24 grid columns map to the terminal width (each widget gets ``width/24`` of it); one grid row is
:data:`LINES_PER_ROW` text lines. The page uses a CSS grid with the same 24 columns and 30 px rows.
"""

from __future__ import annotations

import html
import math
import re
import textwrap
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any

from awsmon.charts import ChartSeries, fmt_number, line_chart, sparkline

LINES_PER_ROW = 2
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf")  # fmt: skip
STATE_COLORS = {"OK": "#2ca02c", "ALARM": "#d62728", "INSUFFICIENT_DATA": "#7f7f7f", "MISSING": "#7f7f7f"}


def _stacked(series: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Cumulative sums at each timestamp (a missing value counts as 0), for stacked areas."""
    times = sorted({t for s in series for t in s["timestamps"]})
    total = dict.fromkeys(times, 0.0)
    out = []
    for s in series:
        values = dict(zip(s["timestamps"], s["values"], strict=False))
        for t in times:
            total[t] += values.get(t, 0.0)
        out.append({**s, "timestamps": times, "values": [total[t] for t in times]})
    return out


def _last(s: dict[str, Any]) -> float | None:
    return s["values"][-1] if s["values"] else None


# -- markdown -------------------------------------------------------------------------------------------------------
_LINK = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")


def markdown_lines(text: str, width: int) -> list[str]:
    """Markdown as plain terminal lines: top headings in capitals, bullets kept, links as their text, wrapped."""
    out: list[str] = []
    for raw in text.splitlines():
        line = _LINK.sub(r"\1", raw).replace("**", "").replace("__", "").replace("`", "")
        stripped = line.strip()
        if not stripped:
            out.append("")
            continue
        m = re.match(r"^(#{1,6})\s*(.*)$", stripped)
        if m:
            out.extend(textwrap.wrap(m.group(2).upper() if len(m.group(1)) == 1 else m.group(2), width) or [""])
            continue
        bullet = re.match(r"^([*+-]|\d+\.)\s+(.*)$", stripped)
        if bullet:
            out.extend(textwrap.wrap(bullet.group(2), width, initial_indent="• ", subsequent_indent="  ") or [""])
        else:
            out.extend(textwrap.wrap(stripped, width) or [""])
    return out


def markdown_html(text: str) -> str:
    """A small, safe markdown subset to HTML (everything escaped first): headings, bullets, bold, code, links."""
    parts: list[str] = []
    in_list = False
    for raw in text.splitlines():
        line = html.escape(raw.strip())
        line = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", line)
        line = re.sub(r"`(.+?)`", r"<code>\1</code>", line)
        line = _LINK.sub(lambda m: f'<a href="{m.group(2)}">{m.group(1)}</a>'
                         if m.group(2).startswith(("http://", "https://", "#")) else m.group(1), line)  # fmt: skip
        bullet = re.match(r"^([*+-]|\d+\.)\s+(.*)$", line)
        if bullet and not in_list:
            parts.append("<ul>")
            in_list = True
        elif not bullet and in_list:
            parts.append("</ul>")
            in_list = False
        heading = re.match(r"^(#{1,6})\s*(.*)$", line)
        if bullet:
            parts.append(f"<li>{bullet.group(2)}</li>")
        elif heading:
            level = len(heading.group(1))
            parts.append(f"<h{level}>{heading.group(2)}</h{level}>")
        elif line:
            parts.append(f"<p>{line}</p>")
    if in_list:
        parts.append("</ul>")
    return "\n".join(parts)


# -- terminal -------------------------------------------------------------------------------------------------------
def _widget_lines(w: dict[str, Any], width: int, height: int, *, ascii: bool, tz: tzinfo,
                  t0: float, t1: float) -> list[str]:  # fmt: skip
    """The inside of one widget box, ``width`` x at most ``height`` lines."""
    if w.get("error"):
        return textwrap.wrap("! " + str(w["error"]), width)[:height]
    kind = w["type"]
    if kind == "text":
        return markdown_lines(w.get("markdown", ""), width)[:height]
    if kind == "alarm" or (kind == "metric" and not w.get("series") and w.get("alarms")):
        return _alarm_lines(w.get("alarms") or [], width, ascii)[:height]
    if kind == "log":
        return _log_lines(w, width, height, ascii=ascii, tz=tz, t0=t0, t1=t1)
    series = list(w.get("series") or [])
    if not series:
        return ["(no data)"]
    view = w.get("view") or "timeSeries"
    if view in ("singleValue",):
        lines = []
        for s in series:
            v = _last(s)
            lines.append(f"{s['label'][: max(width - 12, 4)]}: {fmt_number(v) if v is not None else '-'}")
            if s["values"] and len(lines) < height:
                lines.append(sparkline(s["values"][-width:], ascii=ascii))
        return lines[:height]
    if view == "gauge":
        lo = float(w["yMin"]) if w.get("yMin") is not None else 0.0
        hi = float(w["yMax"]) if w.get("yMax") is not None else 100.0
        lines = []
        for s in series:
            v = _last(s)
            lines.append(s["label"][:width])
            bar_w = max(width - 10, 5)
            frac = 0.0 if v is None or hi <= lo else min(max((v - lo) / (hi - lo), 0.0), 1.0)
            full = int(round(frac * bar_w))
            fill, empty = ("#", "-") if ascii else ("█", "░")
            lines.append(f"[{fill * full}{empty * (bar_w - full)}] {fmt_number(v) if v is not None else '-'}")
        return lines[:height]
    if view in ("bar", "pie", "table"):
        return _bar_lines(series, width, ascii)[:height]
    if w.get("stacked"):
        series = _stacked(series)
    chart_series = [ChartSeries(s["label"], s["timestamps"], s["values"]) for s in series]
    text = line_chart(chart_series, width=width, height=max(height - 2 - len(series), 3), ascii=ascii, tz=tz, t0=t0, t1=t1)
    return text.rstrip("\n").split("\n")[:height]


def _alarm_lines(rows: list[dict[str, Any]], width: int, ascii: bool) -> list[str]:
    marks = {"OK": "o" if ascii else "●", "ALARM": "!" if ascii else "▲", "INSUFFICIENT_DATA": "?" if ascii else "◌"}
    return [f"{marks.get(r['state'], '?')} {r['state']:<17} {r['name']}"[:width] for r in rows] or ["(no alarms)"]


def _bar_lines(series: list[dict[str, Any]], width: int, ascii: bool) -> list[str]:
    vals = [(s["label"], _last(s)) for s in series]
    top = max((abs(v) for _, v in vals if v is not None), default=0.0) or 1.0
    label_w = min(max(len(lbl) for lbl, _ in vals), max(width // 3, 4))
    bar_w = max(width - label_w - 10, 3)
    out = []
    for lbl, v in vals:
        n = 0 if v is None else int(round(abs(v) / top * bar_w))
        out.append(f"{lbl[:label_w]:<{label_w}} {('#' if ascii else '█') * n:<{bar_w}} {fmt_number(v) if v is not None else '-'}")
    return out


def _log_lines(w: dict[str, Any], width: int, height: int, *, ascii: bool, tz: tzinfo, t0: float, t1: float) -> list[str]:
    fields, rows = w.get("fields") or [], w.get("rows") or []
    if not rows:
        return ["(no results)"]
    if w.get("view") in ("timeSeries", "bar") and fields:
        chart = _log_series(fields, rows)
        if chart:
            series = _stacked(chart) if w.get("stacked") else chart
            cs = [ChartSeries(s["label"], s["timestamps"], s["values"]) for s in series]
            text = line_chart(cs, width=width, height=max(height - 2 - len(cs), 3), ascii=ascii, tz=tz, t0=t0, t1=t1)
            return text.rstrip("\n").split("\n")[:height]
    col_w = max(width // max(len(fields), 1) - 1, 4)
    lines = [" ".join(f"{f[:col_w]:<{col_w}}" for f in fields)[:width]]
    for r in rows[: max(height - 1, 0)]:
        lines.append(" ".join(f"{str(r.get(f) or '')[:col_w]:<{col_w}}" for f in fields)[:width])
    return lines


def _log_series(fields: list[str], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A stats result with a time key (``bin(...)`` or ``@timestamp``) as series, one per numeric field."""
    tkey = next((f for f in fields if f.startswith("bin(") or f == "@timestamp"), None)
    if tkey is None:
        return []
    out = []
    for f in fields:
        if f == tkey:
            continue
        pts = []
        for r in rows:
            try:
                t = datetime.strptime(str(r.get(tkey)), "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC).timestamp()
                pts.append((t, float(r.get(f))))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                continue
        if pts:
            pts.sort()
            out.append({"label": f, "timestamps": [p[0] for p in pts], "values": [p[1] for p in pts]})
    return out


def _box(title: str, inner: list[str], w: int, h: int, ascii: bool) -> list[str]:
    tl, tr, bl, br, hz, vt = ("+", "+", "+", "+", "-", "|") if ascii else ("┌", "┐", "└", "┘", "─", "│")
    label = f" {title} " if title else ""
    top = tl + (label[: w - 2] + hz * max(w - 2 - len(label), 0))[: w - 2] + tr
    body = [vt + (line[: w - 2]).ljust(w - 2) + vt for line in inner[: h - 2]]
    body += [vt + " " * (w - 2) + vt] * (h - 2 - len(body))
    return [top, *body, bl + hz * (w - 2) + br]


def render_terminal(view: dict[str, Any], *, width: int = 120, ascii: bool = False, tz: tzinfo = UTC) -> str:
    """The dashboard as text ``width`` columns wide: a header line, then the widgets on the grid."""
    width = max(width, 48)
    unit = width / 24
    widgets = view["Widgets"]
    rows = max((w["y"] + w["height"] for w in widgets), default=0) * LINES_PER_ROW
    canvas = [[" "] * width for _ in range(rows)]
    t0, t1 = view["StartTime"].timestamp(), view["EndTime"].timestamp()
    for w in widgets:
        x0 = int(round(w["x"] * unit))
        x1 = min(int(round((w["x"] + w["width"]) * unit)), width)
        y0 = w["y"] * LINES_PER_ROW
        bw, bh = x1 - x0, w["height"] * LINES_PER_ROW
        if bw < 4 or bh < 3:
            continue
        inner = _widget_lines(w, bw - 2, bh - 2, ascii=ascii, tz=tz, t0=t0, t1=t1)
        for dy, line in enumerate(_box(w.get("title") or _default_title(w), inner, bw, bh, ascii)):
            if y0 + dy < rows:
                canvas[y0 + dy][x0:x1] = list(line[:bw].ljust(bw))
    fmt = "%Y-%m-%d %H:%M"
    head = (f"{view['DashboardName']}  {view['StartTime'].astimezone(tz).strftime(fmt)} .. "
            f"{view['EndTime'].astimezone(tz).strftime(fmt)} {view['EndTime'].astimezone(tz).strftime('%Z')}")  # fmt: skip
    return "\n".join([head[:width], *("".join(r).rstrip() for r in canvas)]) + "\n"


def _default_title(w: dict[str, Any]) -> str:
    if w["type"] == "metric":
        return ", ".join(s["label"] for s in w.get("series") or [])[:60]
    if w["type"] == "log":
        return str((w.get("properties") or {}).get("query") or "")[:60]
    return "" if w["type"] == "text" else w["type"]


# -- HTML -----------------------------------------------------------------------------------------------------------
def _svg_time_chart(series: Sequence[dict[str, Any]], t0: float, t1: float, *, stacked: bool, tz: tzinfo,
                    w: int = 600, h: int = 220) -> str:  # fmt: skip
    pad_l, pad_r, pad_t, pad_b = 48, 8, 8, 22
    if stacked:
        series = _stacked(list(series))
    values = [v for s in series for v in s["values"] if math.isfinite(v)]
    if not values:
        return '<p class="empty">No data available.</p>'
    lo, hi = min(values + [0.0]) if stacked else min(values), max(values)
    if hi == lo:
        lo, hi = lo - (abs(lo) * 0.1 or 1), hi + (abs(hi) * 0.1 or 1)
    span = max(t1 - t0, 1e-9)

    def px(t: float) -> float:
        return pad_l + (t - t0) / span * (w - pad_l - pad_r)

    def py(v: float) -> float:
        return pad_t + (hi - v) / (hi - lo) * (h - pad_t - pad_b)

    parts = [f'<svg viewBox="0 0 {w} {h}" preserveAspectRatio="none" role="img">']
    for k in range(3):
        v = lo + (hi - lo) * k / 2
        parts.append(f'<line x1="{pad_l}" x2="{w - pad_r}" y1="{py(v):.1f}" y2="{py(v):.1f}" class="grid"/>'
                     f'<text x="{pad_l - 4}" y="{py(v) + 4:.1f}" text-anchor="end">{html.escape(fmt_number(v))}</text>')  # fmt: skip
    fmt = "%H:%M" if span <= 86400 else "%m-%d %H:%M"
    for k in range(5):
        t = t0 + span * k / 4
        label = datetime.fromtimestamp(t, UTC).astimezone(tz).strftime(fmt)
        anchor = "start" if k == 0 else "end" if k == 4 else "middle"
        parts.append(f'<text x="{px(t):.1f}" y="{h - 6}" text-anchor="{anchor}">{label}</text>')
    prev: list[tuple[float, float]] | None = None
    for i, s in enumerate(series):
        color = s.get("color") or PALETTE[i % len(PALETTE)]
        pts = [(px(t), py(v)) for t, v in zip(s["timestamps"], s["values"], strict=False) if math.isfinite(v)]
        if not pts:
            continue
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        if stacked:
            base = list(reversed(prev)) if prev else [(pts[-1][0], py(max(lo, 0.0))), (pts[0][0], py(max(lo, 0.0)))]
            poly = path + " " + " ".join(f"{x:.1f},{y:.1f}" for x, y in base)
            parts.append(f'<polygon points="{poly}" fill="{color}" fill-opacity="0.35" stroke="none"/>')
            prev = pts
        parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="1.5"/>')
    parts.append("</svg>")
    legend = "".join(
        f'<span class="key"><i style="background:{s.get("color") or PALETTE[i % len(PALETTE)]}"></i>'
        f"{html.escape(s['label'])}</span>" for i, s in enumerate(series)
    )
    return "".join(parts) + f'<div class="legend">{legend}</div>'


def _svg_gauge(value: float | None, lo: float, hi: float, label: str) -> str:
    frac = 0.0 if value is None or hi <= lo else min(max((value - lo) / (hi - lo), 0.0), 1.0)
    angle = math.pi * (1 - frac)
    x, y = 100 + 80 * math.cos(angle), 100 - 80 * math.sin(angle)
    large = 0
    arc = f'<path d="M20,100 A80,80 0 {large} 1 {x:.1f},{y:.1f}" stroke="#1f77b4" stroke-width="16" fill="none"/>'
    text = fmt_number(value) if value is not None else "-"
    return (f'<svg viewBox="0 0 200 120" class="gauge"><path d="M20,100 A80,80 0 0 1 180,100" stroke="#ddd" '
            f'stroke-width="16" fill="none"/>{arc}<text x="100" y="95" text-anchor="middle" class="big">'
            f'{html.escape(text)}</text><text x="20" y="118">{fmt_number(lo)}</text><text x="180" y="118" '
            f'text-anchor="end">{fmt_number(hi)}</text></svg><div class="legend">{html.escape(label)}</div>')  # fmt: skip


def _svg_bars(series: list[dict[str, Any]]) -> str:
    vals = [(s["label"], _last(s), s.get("color") or PALETTE[i % len(PALETTE)]) for i, s in enumerate(series)]
    top = max((abs(v) for _, v, _ in vals if v is not None), default=0.0) or 1.0
    h = 24 * len(vals) + 4
    parts = [f'<svg viewBox="0 0 600 {h}" role="img">']
    for k, (lbl, v, color) in enumerate(vals):
        bw = 0 if v is None else abs(v) / top * 380
        parts.append(f'<text x="0" y="{24 * k + 16}">{html.escape(lbl[:28])}</text>'
                     f'<rect x="170" y="{24 * k + 4}" width="{bw:.1f}" height="16" fill="{color}"/>'
                     f'<text x="{176 + bw:.1f}" y="{24 * k + 16}">{html.escape(fmt_number(v) if v is not None else "-")}</text>')  # fmt: skip
    return "".join(parts) + "</svg>"


def _html_widget(w: dict[str, Any], t0: float, t1: float, tz: tzinfo) -> str:
    if w.get("error"):
        return f'<p class="error">{html.escape(str(w["error"]))}</p>'
    kind = w["type"]
    if kind == "text":
        return markdown_html(w.get("markdown", ""))
    if kind == "alarm" or (kind == "metric" and not w.get("series") and w.get("alarms")):
        items = "".join(
            f'<li><span class="state" style="background:{STATE_COLORS.get(r["state"], "#7f7f7f")}">'
            f'{html.escape(r["state"])}</span> {html.escape(r["name"])}</li>' for r in w.get("alarms") or []
        )
        return f'<ul class="alarms">{items}</ul>' if items else '<p class="empty">No alarms.</p>'
    if kind == "log":
        fields, rows = w.get("fields") or [], w.get("rows") or []
        if w.get("view") in ("timeSeries", "bar"):
            chart = _log_series(fields, rows)
            if chart:
                return _svg_time_chart(chart, t0, t1, stacked=bool(w.get("stacked")), tz=tz)
        head = "".join(f"<th>{html.escape(f)}</th>" for f in fields)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(str(r.get(f) or ''))}</td>" for f in fields) + "</tr>"
                       for r in rows)  # fmt: skip
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>" if rows else '<p class="empty">No results.</p>'
    series = list(w.get("series") or [])
    if not series:
        return '<p class="empty">No data available.</p>'
    view = w.get("view") or "timeSeries"
    if view == "singleValue":
        return "".join(f'<div class="number"><span class="big" style="color:{s.get("color") or PALETTE[i % 10]}">'
                       f'{html.escape(fmt_number(_last(s)) if _last(s) is not None else "-")}</span>'
                       f'<div class="legend">{html.escape(s["label"])}</div></div>' for i, s in enumerate(series))  # fmt: skip
    if view == "gauge":
        lo = float(w["yMin"]) if w.get("yMin") is not None else 0.0
        hi = float(w["yMax"]) if w.get("yMax") is not None else 100.0
        return "".join(_svg_gauge(_last(s), lo, hi, s["label"]) for s in series)
    if view in ("bar", "pie", "table"):
        return _svg_bars(series)
    return _svg_time_chart(series, t0, t1, stacked=bool(w.get("stacked")), tz=tz)


_CSS = """
body{font:13px system-ui,sans-serif;margin:12px;background:#f4f4f4;color:#16191f}
h1{font-size:18px;margin:0 0 8px} .range{color:#555;margin-bottom:10px}
.grid{display:grid;grid-template-columns:repeat(24,1fr);grid-auto-rows:30px;gap:8px}
.w{background:#fff;border:1px solid #ddd;border-radius:4px;padding:6px 8px;overflow:auto;display:flex;flex-direction:column}
.w h2{font-size:13px;margin:0 0 4px;font-weight:600} .w svg{width:100%;flex:1;min-height:0}
svg text{font-size:10px;fill:#555} svg line.grid{stroke:#e5e5e5}
.legend{font-size:11px;color:#333} .key{margin-right:10px;white-space:nowrap}
.key i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
.number{display:inline-block;margin:4px 18px 4px 0} .big{font-size:28px;font-weight:600}
svg .big{font-size:26px;fill:#16191f} .state{color:#fff;border-radius:3px;padding:1px 6px;font-size:11px}
.alarms{list-style:none;padding:0;margin:0} .alarms li{margin:3px 0}
.error{color:#d62728} .empty{color:#777} table{border-collapse:collapse;font-size:11px}
td,th{border-bottom:1px solid #eee;padding:2px 6px;text-align:left;white-space:nowrap}
"""


def render_html(view: dict[str, Any], *, tz: tzinfo = UTC, refresh: int | None = None) -> str:
    """One self-contained page: inline CSS and SVG only (no scripts, nothing fetched)."""
    t0, t1 = view["StartTime"].timestamp(), view["EndTime"].timestamp()
    cells = []
    for w in view["Widgets"]:
        title = w.get("title") or _default_title(w)
        style = f"grid-column:{w['x'] + 1}/span {w['width']};grid-row:{w['y'] + 1}/span {w['height']}"
        head = f"<h2>{html.escape(title)}</h2>" if title else ""
        cells.append(f'<div class="w {w["type"]}" style="{style}">{head}{_html_widget(w, t0, t1, tz)}</div>')
    fmt = "%Y-%m-%d %H:%M %Z"
    meta = f'<meta http-equiv="refresh" content="{int(refresh)}">' if refresh else ""
    name = html.escape(view["DashboardName"])
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">{meta}<title>{name}</title>'
        f"<style>{_CSS}</style></head><body><h1>{name}</h1>"
        f'<div class="range">{view["StartTime"].astimezone(tz).strftime(fmt)} – '
        f'{view["EndTime"].astimezone(tz).strftime(fmt)}</div><div class="grid">{"".join(cells)}</div></body></html>\n'
    )
