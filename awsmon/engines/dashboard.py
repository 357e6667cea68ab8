"""CloudWatch dashboard bodies: validation as PutDashboard words it, the 24-column grid, and widget definitions
turned into the queries that feed them (GetMetricData queries, alarm names, Logs Insights queries). No I/O.

Body structure: "CloudWatch Dashboard Body Structure and Syntax" (AWS docs). PutDashboard rejects a body with
``InvalidParameterInput`` and ``The dashboard body is invalid, there are N validation errors:`` followed by the
list of ``{"dataPath", "message"}``; the messages are those of a JSON-schema validator (``Should have required
property 'widgets'``, ``Should be equal to one of the allowed values``, ``Should be <= 24`` ...), plus AWS's own
``Invalid metric field type, only "String" type is allowed`` for metric rows. Texts not observed from AWS follow
the same validator's wording (documented in docs/dashboards.md).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

WIDGET_TYPES = ("metric", "text", "log", "alarm", "explorer", "custom")
METRIC_VIEWS = ("timeSeries", "singleValue", "gauge", "bar", "pie", "table")
LOG_VIEWS = ("table", "timeSeries", "bar", "pie")
RENDER_KEYS = frozenset({"accountId", "color", "expression", "id", "label", "period", "region", "stat", "visible",
                         "yAxis", "returnData"})  # fmt: skip
GRID_COLUMNS = 24
DEFAULT_W = DEFAULT_H = 6
NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
NAME_MESSAGE = ("The value for field DashboardName contains invalid characters. It can only contain alphanumerics, "
                "dash (-) and underscore (_).")  # fmt: skip
NOT_JSON = "The field DashboardBody must be a valid JSON object"


class DashboardBodyError(Exception):
    """PutDashboard's rejection: AWS's code, its text and the validation messages."""

    code = "InvalidParameterInput"

    def __init__(self, message: str, messages: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.messages = messages or []


# JSON Schema's type names, bool before int (a bool is an int in Python).
_TYPE_NAMES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"), (list, "array"), (dict, "object"))


def _type_name(v: Any) -> str:
    return next((name for kind, name in _TYPE_NAMES if isinstance(v, kind)), "null")


class _Errors(list):  # type: ignore[type-arg]
    def add(self, path: str, message: str) -> None:
        self.append({"dataPath": path, "message": message})


def _int_field(errors: _Errors, w: dict[str, Any], key: str, path: str, lo: int, hi: int) -> None:
    if key not in w:
        return
    v = w[key]
    if isinstance(v, bool) or not isinstance(v, int | float) or (isinstance(v, float) and not v.is_integer()):
        errors.add(f"{path}/{key}", "Should be integer")
    elif v < lo:
        errors.add(f"{path}/{key}", f"Should be >= {lo}")
    elif v > hi:
        errors.add(f"{path}/{key}", f"Should be <= {hi}")


def _metric_rows(errors: _Errors, metrics: Any, path: str) -> None:
    if not isinstance(metrics, list):
        errors.add(path, "Should be array")
        return
    for r, row in enumerate(metrics):
        rp = f"{path}/{r}"
        if not isinstance(row, list):
            errors.add(rp, "Should be array")
            continue
        if not row:
            errors.add(rp, "Should NOT have fewer than 1 items")
            continue
        for k, item in enumerate(row):
            if isinstance(item, str):
                continue
            if isinstance(item, dict) and k == len(row) - 1:
                unknown = [key for key in item if key not in RENDER_KEYS]
                if unknown:  # AWS reports an options object it cannot accept as a row that is too long
                    errors.add(rp, f"Should NOT have more than {k} items")
                continue
            errors.add(f"{rp}/{k}", 'Invalid metric field type, only "String" type is allowed')


def validate_body(body: Any) -> dict[str, Any]:
    """The parsed body, or :class:`DashboardBodyError` with every validation message (as PutDashboard)."""
    if not isinstance(body, str) or not body.strip():
        raise DashboardBodyError(NOT_JSON)
    try:
        doc = json.loads(body)
    except ValueError:
        raise DashboardBodyError(NOT_JSON) from None
    if not isinstance(doc, dict):
        raise DashboardBodyError(NOT_JSON)
    errors = _Errors()
    if "widgets" not in doc:
        errors.add("", "Should have required property 'widgets'")
    elif not isinstance(doc["widgets"], list):
        errors.add("/widgets", "Should be array")
    else:
        for i, w in enumerate(doc["widgets"]):
            _validate_widget(errors, w, f"/widgets/{i}")
    if "periodOverride" in doc and doc["periodOverride"] not in ("auto", "inherit"):
        errors.add("/periodOverride", "Should be equal to one of the allowed values")
    for key in ("start", "end"):
        if key in doc and not isinstance(doc[key], str):
            errors.add(f"/{key}", "Should be string")
    if errors:
        text = json.dumps(list(errors), separators=(", ", ": "))
        raise DashboardBodyError(f"The dashboard body is invalid, there are {len(errors)} validation errors: {text}",
                                 list(errors))  # fmt: skip
    return doc


def _validate_widget(errors: _Errors, w: Any, path: str) -> None:
    if not isinstance(w, dict):
        errors.add(path, "Should be object")
        return
    if "type" not in w:
        errors.add(path, "Should have required property 'type'")
        return
    kind = w["type"]
    if kind not in WIDGET_TYPES:
        errors.add(f"{path}/type", "Should be equal to one of the allowed values")
        return
    _int_field(errors, w, "x", path, 0, GRID_COLUMNS - 1)
    _int_field(errors, w, "y", path, 0, 10_000)
    _int_field(errors, w, "width", path, 1, GRID_COLUMNS)
    _int_field(errors, w, "height", path, 1, 1000)
    if "properties" not in w:
        errors.add(path, "Should have required property 'properties'")
        return
    props = w["properties"]
    pp = f"{path}/properties"
    if not isinstance(props, dict):
        errors.add(pp, "Should be object")
        return
    if kind == "text":
        if "markdown" not in props:
            errors.add(pp, "Should have required property 'markdown'")
        elif not isinstance(props["markdown"], str):
            errors.add(f"{pp}/markdown", "Should be string")
    elif kind == "alarm":
        alarms = props.get("alarms")
        if alarms is None:
            errors.add(pp, "Should have required property 'alarms'")
        elif not isinstance(alarms, list):
            errors.add(f"{pp}/alarms", "Should be array")
        else:
            for k, a in enumerate(alarms):
                if not isinstance(a, str):
                    errors.add(f"{pp}/alarms/{k}", "Should be string")
    elif kind == "log":
        if "query" not in props:
            errors.add(pp, "Should have required property 'query'")
        elif not isinstance(props["query"], str):
            errors.add(f"{pp}/query", "Should be string")
        if "region" not in props:
            errors.add(pp, "Should have required property 'region'")
        if "view" in props and props["view"] not in LOG_VIEWS:
            errors.add(f"{pp}/view", "Should be equal to one of the allowed values")
    elif kind == "metric":
        if "metrics" in props:
            _metric_rows(errors, props["metrics"], f"{pp}/metrics")
        elif "annotations" not in props:
            errors.add(pp, "Should have required property 'metrics'")
        if "region" not in props:
            errors.add(pp, "Should have required property 'region'")
        if "view" in props and props["view"] not in METRIC_VIEWS:
            errors.add(f"{pp}/view", "Should be equal to one of the allowed values")
        if "stacked" in props and not isinstance(props["stacked"], bool):
            errors.add(f"{pp}/stacked", "Should be boolean")
        if "period" in props:
            p = props["period"]
            if isinstance(p, bool) or not isinstance(p, int) or p < 1:
                errors.add(f"{pp}/period", "Should be integer" if not isinstance(p, int) or isinstance(p, bool) else "Should be >= 1")
    if "title" in props and not isinstance(props["title"], str):
        errors.add(f"{pp}/title", "Should be string")


# -- layout ---------------------------------------------------------------------------------------------------------
@dataclass
class Placed:
    index: int
    kind: str
    x: int
    y: int
    width: int
    height: int
    properties: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return str(self.properties.get("title") or "")


def layout(doc: dict[str, Any]) -> list[Placed]:
    """Widgets on the 24-column grid. Widgets without x/y flow left to right, then top to bottom, into the first
    place where they fit below the widgets already placed (the console's rule); the result is sorted by (y, x)."""
    placed: list[Placed] = []
    heights = [0] * GRID_COLUMNS  # lowest occupied row + 1 per column, for flowing widgets
    for i, w in enumerate(doc.get("widgets") or []):
        width = min(int(w.get("width", DEFAULT_W)), GRID_COLUMNS)
        height = int(w.get("height", DEFAULT_H))
        if "x" in w and "y" in w:
            x, y = int(w["x"]), int(w["y"])
            width = min(width, GRID_COLUMNS - x)
        else:
            x, y = _flow(heights, width, int(w["x"]) if "x" in w else None)
        for c in range(x, x + width):
            heights[c] = max(heights[c], y + height)
        placed.append(Placed(i, str(w.get("type")), x, y, width, height, dict(w.get("properties") or {})))
    placed.sort(key=lambda p: (p.y, p.x, p.index))
    return placed


def _flow(heights: list[int], width: int, x_fixed: int | None) -> tuple[int, int]:
    candidates = [x_fixed] if x_fixed is not None else range(GRID_COLUMNS - width + 1)
    best: tuple[int, int] | None = None
    for x in candidates:
        x = min(x, GRID_COLUMNS - width)
        y = max(heights[x : x + width])
        if best is None or y < best[1]:
            best = (x, y)
    return best or (0, 0)


# -- metric widgets -------------------------------------------------------------------------------------------------
def expand_metric_rows(rows: list[list[Any]]) -> list[tuple[list[str], dict[str, Any]]]:
    """A widget's ``metrics`` with the console's shorthands resolved: ``"."`` repeats the item at the same position
    of the previous row and ``"..."`` the rest of the previous row's items. Returns (items, rendering options)."""
    out: list[tuple[list[str], dict[str, Any]]] = []
    prev: list[str] = []
    for row in rows:
        has_opts = bool(row) and isinstance(row[-1], dict)
        opts = row[-1] if has_opts else {}
        items = [str(x) for x in (row[:-1] if has_opts else row)]
        resolved: list[str] = []
        for k, item in enumerate(items):
            if item == "...":  # the previous row's items up to as many as follow here
                after = len(items) - k - 1
                resolved.extend(prev[len(resolved) : max(len(prev) - after, len(resolved))])
            elif item == "." and k < len(prev):
                resolved.append(prev[k])
            else:
                resolved.append(item)
        if resolved:
            prev = resolved
        out.append((resolved, dict(opts)))
    return out


def metric_queries(props: dict[str, Any], period: int) -> list[dict[str, Any]]:
    """GetMetricData queries for a metric widget: one per row; ids from the row's ``id`` or ``m1, m2 ...``;
    rows with ``visible: false`` (or ``returnData: false``) feed expressions without being drawn."""
    queries: list[dict[str, Any]] = []
    stat = str(props.get("stat") or "Average")
    used: set[str] = set()
    rows = expand_metric_rows(list(props.get("metrics") or []))
    for n, (items, opts) in enumerate(rows, start=1):
        qid = str(opts.get("id") or f"m{n}")
        while qid in used:
            qid = f"m{n}_{len(used)}"
        used.add(qid)
        visible = opts.get("visible", opts.get("returnData", True)) is not False
        q: dict[str, Any] = {"Id": qid, "ReturnData": bool(visible)}
        p = int(opts.get("period") or period)
        if "expression" in opts:
            q["Expression"] = str(opts["expression"])
            q["Label"] = str(opts.get("label") or opts["expression"])
            q["Period"] = p
        else:
            if len(items) < 2:
                continue
            ns, name, rest = items[0], items[1], items[2:]
            dims = [{"Name": rest[k], "Value": rest[k + 1]} for k in range(0, len(rest) - 1, 2)]
            s = str(opts.get("stat") or stat)
            q["MetricStat"] = {"Metric": {"Namespace": ns, "MetricName": name, "Dimensions": dims}, "Period": p, "Stat": s}
            label = opts.get("label") or " ".join([name] + [d["Value"] for d in dims])
            q["Label"] = str(label)
        if opts.get("color"):
            q["_color"] = str(opts["color"])
        queries.append(q)
    return queries


# -- log widgets ----------------------------------------------------------------------------------------------------
_SOURCE_RE = re.compile(r"""^\s*SOURCE\s+(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*\|""", re.I)


def split_log_query(query: str) -> tuple[list[str], str]:
    """A log widget's ``query``: leading ``SOURCE 'group' |`` clauses name the log groups; the rest is the query."""
    groups: list[str] = []
    rest = query
    while True:
        m = _SOURCE_RE.match(rest)
        if not m:
            break
        groups.append(m.group(1) if m.group(1) is not None else m.group(2))
        rest = rest[m.end():]
    return groups, rest.strip()
