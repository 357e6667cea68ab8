"""CloudWatch metrics of the simulated account: PutMetricData, ListMetrics, GetMetricStatistics, GetMetricData.

Storage (schema/metrics.py): every datum is one ``metric_data`` row holding its slot start (high-resolution data
truncated to the second, standard data to the minute, spec §1.2), its aggregates (count, sum, min, max) and its raw
values as a packed float64 blob. Basic statistics are a SQL ``GROUP BY`` over bucket numbers; only percentile-type
statistics read the blobs, which keeps each bucket's values together (no global sort).

Retention (spec §1.3) is a scheduler job (``metrics.rollup``) that rolls rows into 1-minute slots after 3 hours,
5-minute slots after 15 days and 1-hour slots after 63 days, and drops data after 455 days. Query rules (period by
age, StartTime rounding) make the answer the same whether or not the job has run yet: a rolled slot always falls
inside one bucket of every query the period rules allow.

[design choice] Roll-up keeps exact values while a slot has at most ``EXACT_LIMIT`` distinct values, then switches
to log buckets (gamma 1.01, relative error <= 0.5 %) so percentiles over old data stay available with a stated bound.
[design choice] GetMetricData without a Unit aggregates all units of the metric together (one series per query).

``store_datapoints``, ``query_statistics`` and ``query_metric_data`` are internal entry points for other local
services (alarms, logs metric filters): no validation beyond storage needs and no CloudTrail record.
"""

from __future__ import annotations

import base64
import contextlib
import gc
import json
import math
import re
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from awsmon.backends.local import scheduler
from awsmon.backends.local.base import api, equal_filters
from awsmon.backends.local.store import memory_mapped
from awsmon.errors import ServiceError

if TYPE_CHECKING:
    from awsmon.backends.local.store import AccountStore

ROLLUP_KIND = "metrics.rollup"
ROLLUP_KEY = "all"
HOUR = 3600
DAY = 86400
# (age after which a slot narrower than `width` is rolled into `width`-second slots, width)
ROLLUP_TIERS: tuple[tuple[int, int], ...] = ((3 * HOUR, 60), (15 * DAY, 300), (63 * DAY, 3600))
EXPIRY_AGE = 455 * DAY
LIST_INACTIVE_AGE = 14 * DAY
LIST_PAGE = 500
EXACT_LIMIT = 2048
GAMMA = 1.01
BASIC = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
ID_RE = re.compile(r"^[a-z][A-Za-z0-9_]*$")
MAX_GMD_DATAPOINTS = 100_800
EXT_BATCH = 512  # buckets whose extended statistics are taken together (see _buckets)
SEARCH_MAX_SERIES = 500  # AWS: at most 500 time series per graph from search expressions

scheduler.register(ROLLUP_KIND, "awsmon.backends.local.cloudwatch_metrics:run_rollup")


# --------------------------------------------------------------------------------------------------------------
# helpers


def _err(exc: Exception) -> ServiceError:
    """An engine CloudWatchError as the service error every layer understands."""
    return ServiceError(getattr(exc, "code", "InvalidParameterValue"), getattr(exc, "message", str(exc)))


def _epoch(value: Any, parameter: str = "Timestamp") -> float:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            try:
                return float(value)
            except ValueError:
                raise ServiceError("InvalidParameterValue", f"The value {value} for parameter {parameter} is invalid.") from None
        return _epoch(dt)
    raise ServiceError("InvalidParameterValue", f"The value {value} for parameter {parameter} is invalid.")


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def canonical_dims(dimensions: Mapping[str, str] | Iterable[tuple[str, str]] | None) -> str:
    """Canonical identity text of a dimension set: JSON of sorted [name, value] pairs."""
    if not dimensions:
        return "[]"
    items = dimensions.items() if isinstance(dimensions, Mapping) else dimensions
    return json.dumps(sorted([str(k), str(v)] for k, v in items), separators=(",", ":"), ensure_ascii=False)


def dims_from_list(dimensions: Sequence[Mapping[str, Any]] | None, parameter: str = "Dimensions") -> dict[str, str]:
    """boto3 ``[{"Name":..,"Value":..}]`` into a dict, with AWS's texts for the structural errors."""
    out: dict[str, str] = {}
    dims = list(dimensions or [])
    if len(dims) > 30:
        raise ServiceError("InvalidParameterValue", f"The collection {parameter} must not have a size greater than 30.")
    for j, d in enumerate(dims, start=1):
        name, value = d.get("Name"), d.get("Value")
        if name is None:
            raise ServiceError("MissingParameter", f"The parameter {parameter}.member.{j}.Name is required.")
        if value is None:
            raise ServiceError("MissingParameter", f"The parameter {parameter}.member.{j}.Value is required.")
        out[str(name)] = str(value)
    return out


def _pack(values: Sequence[float]) -> bytes:
    return array("d", values).tobytes()


def _unpack(blob: bytes | None) -> array:
    a = array("d")
    if blob:
        a.frombytes(blob)
    return a


def _ms(ts: float) -> int:
    return int(round(ts * 1000))


# --------------------------------------------------------------------------------------------------------------
# internal write API


def _metric_id(store: AccountStore, region: str, namespace: str, metric_name: str, dims: str, ts: float) -> int:
    conn = store.conn
    now_ms = _ms(store.now().timestamp())
    row = conn.execute(
        "SELECT id, last_ts_ms FROM metrics WHERE region = ? AND namespace = ? AND metric_name = ? AND dims = ?",
        (region, namespace, metric_name, dims),
    ).fetchone()
    if row is not None:
        conn.execute(
            "UPDATE metrics SET last_ts_ms = MAX(last_ts_ms, ?), last_put_ms = MAX(last_put_ms, ?) WHERE id = ?",
            (_ms(ts), now_ms, row[0]),
        )
        return int(row[0])
    cur = conn.execute(
        "INSERT INTO metrics (region, namespace, metric_name, dims, last_ts_ms, last_put_ms) VALUES (?,?,?,?,?,?)",
        (region, namespace, metric_name, dims, _ms(ts), now_ms),
    )
    mid = int(cur.lastrowid or 0)
    conn.executemany(
        "INSERT INTO metric_dimensions (metric_id, name, value) VALUES (?,?,?)",
        [(mid, k, v) for k, v in json.loads(dims)],
    )
    return mid


def _ensure_rollup(store: AccountStore, slot_ts: int, res: int) -> None:
    """Make the roll-up job due no later than this slot's first transition (or its expiry)."""
    due = next((slot_ts + age for age, width in ROLLUP_TIERS if res < width), slot_ts + EXPIRY_AGE)
    current = scheduler.next_due(store, ROLLUP_KIND, ROLLUP_KEY)
    due_dt = _dt(due + 1)
    if current is None or current > due_dt:
        scheduler.schedule(store, ROLLUP_KIND, ROLLUP_KEY, due_dt)


def store_datapoints(
    store: AccountStore,
    region: str,
    namespace: str,
    metric_name: str,
    dimensions: dict[str, str],
    timestamp: datetime,
    values: list[float],
    counts: list[float] | None = None,
    unit: str | None = None,
    storage_resolution: int = 60,
    statistic_values: dict[str, float] | None = None,
) -> None:
    """Store one datum (values with optional counts, or a statistic set). Raw write: call inside a transaction."""
    ts = _epoch(timestamp)
    res = 1 if storage_resolution == 1 else 60
    slot = int(math.floor(ts / res) * res)
    mid = _metric_id(store, region, namespace, metric_name, canonical_dims(dimensions), ts)
    unit = unit or "None"
    if statistic_values is not None:
        from awsmon.engines.stats import statistic_set_allows_percentiles

        sv = {k: float(statistic_values[k]) for k in ("SampleCount", "Sum", "Minimum", "Maximum")}
        ok = statistic_set_allows_percentiles(sv)
        row = (mid, slot, res, unit, sv["SampleCount"], sv["Sum"], sv["Minimum"], sv["Maximum"], int(ok),
               _pack([sv["Minimum"]]) if ok else None, _pack([sv["SampleCount"]]) if ok else None)  # fmt: skip
    else:
        vals = [float(v) for v in values]
        cnts = None if counts is None else [float(c) for c in counts]
        if cnts is not None:
            pairs = [(v, c) for v, c in zip(vals, cnts, strict=True) if c > 0]
            vals = [v for v, _ in pairs]
            cnts = [c for _, c in pairs]
            if all(c == 1.0 for c in cnts):
                cnts = None
        if not vals:
            return
        if cnts is None:
            n, total = float(len(vals)), math.fsum(vals)
        else:
            n, total = math.fsum(cnts), math.fsum(v * c for v, c in zip(vals, cnts, strict=True))
        row = (mid, slot, res, unit, n, total, min(vals), max(vals), 1, _pack(vals),
               None if cnts is None else _pack(cnts))  # fmt: skip
    store.conn.execute(
        "INSERT INTO metric_data (metric_id, ts, res, unit, n, total, vmin, vmax, pct_ok, vals, cnts) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        row,
    )
    _ensure_rollup(store, slot, res)


def store_series(
    store: AccountStore,
    region: str,
    namespace: str,
    metric_name: str,
    dimensions: dict[str, str],
    points: Sequence[tuple[float, float]],
    unit: str | None = None,
    storage_resolution: int = 60,
) -> None:
    """Store many single-value datapoints of one metric at once (service-generated metrics such as AWS/EC2).

    ``points`` are ``(epoch seconds, value)``; one metric lookup and one batched insert, so a clock jump of days
    costs the rows written. Raw write: call inside a transaction.
    """
    if not points:
        return
    res = 1 if storage_resolution == 1 else 60
    last = max(ts for ts, _ in points)
    mid = _metric_id(store, region, namespace, metric_name, canonical_dims(dimensions), last)
    unit = unit or "None"
    rows = []
    for ts, value in points:
        v = float(value)
        rows.append((mid, int(math.floor(ts / res) * res), res, unit, 1.0, v, v, v, 1, _pack([v]), None))
    store.conn.executemany(
        "INSERT INTO metric_data (metric_id, ts, res, unit, n, total, vmin, vmax, pct_ok, vals, cnts) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )
    _ensure_rollup(store, min(r[1] for r in rows), res)


# --------------------------------------------------------------------------------------------------------------
# retention and roll-up


def _quantize(value: float) -> float:
    if value <= 0:
        return value
    return GAMMA ** round(math.log(value, GAMMA))


def _merge_rows(rows: list[Any]) -> tuple[float, float, float, float, int, bytes | None, bytes | None]:
    n = math.fsum(r["n"] for r in rows)
    total = math.fsum(r["total"] for r in rows)
    vmin = min(r["vmin"] for r in rows)
    vmax = max(r["vmax"] for r in rows)
    ok = all(r["pct_ok"] for r in rows) and vmin >= 0
    if not ok:
        return n, total, vmin, vmax, 0, None, None
    counter: dict[float, float] = {}
    for r in rows:
        vals = _unpack(r["vals"])
        cnts = _unpack(r["cnts"]) if r["cnts"] is not None else None
        for i, v in enumerate(vals):
            counter[v] = counter.get(v, 0.0) + (1.0 if cnts is None else cnts[i])
    if len(counter) > EXACT_LIMIT:
        q: dict[float, float] = {}
        for v, c in counter.items():
            k = _quantize(v)
            q[k] = q.get(k, 0.0) + c
        counter = q
    keys = sorted(counter)
    cnts_out = [counter[k] for k in keys]
    return (n, total, vmin, vmax, 1, _pack(keys),
            None if all(c == 1.0 for c in cnts_out) else _pack(cnts_out))  # fmt: skip


def rollup(store: AccountStore, now: datetime) -> None:
    """Apply retention up to ``now``: expire old rows and metrics, roll slots into coarser ones. Cost ~ rows moved."""
    conn = store.conn
    t = int(now.timestamp())
    conn.execute("DELETE FROM metric_data WHERE res <= 3600 AND ts < ?", (t - EXPIRY_AGE,))
    conn.execute("DELETE FROM metrics WHERE last_ts_ms < ?", ((t - EXPIRY_AGE) * 1000,))
    for age, width in ROLLUP_TIERS:
        cutoff = (t - age) // width * width  # only whole slots that are entirely past the boundary
        rows = conn.execute(
            "SELECT rowid AS rid, metric_id, ts, unit, n, total, vmin, vmax, pct_ok, vals, cnts FROM metric_data "
            "WHERE res < ? AND ts < ? ORDER BY metric_id, unit, ts",
            (width, cutoff),
        ).fetchall()
        if not rows:
            continue
        groups: dict[tuple[int, str, int], list[Any]] = {}
        for r in rows:
            groups.setdefault((r["metric_id"], r["unit"], r["ts"] // width * width), []).append(r)
        conn.executemany("DELETE FROM metric_data WHERE rowid = ?", [(r["rid"],) for r in rows])
        conn.executemany(
            "INSERT INTO metric_data (metric_id, ts, res, unit, n, total, vmin, vmax, pct_ok, vals, cnts) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [(mid, slot, width, unit, *_merge_rows(g)) for (mid, unit, slot), g in groups.items()],
        )


def _next_rollup_due(store: AccountStore) -> datetime | None:
    dues: list[int] = []
    for res, first in store.conn.execute("SELECT res, MIN(ts) FROM metric_data GROUP BY res"):
        age = next((a for a, w in ROLLUP_TIERS if res < w), EXPIRY_AGE)
        dues.append(int(first) + age)
    return _dt(min(dues) + 1) if dues else None


def run_rollup(store: AccountStore, key: str, due: datetime, now: datetime) -> datetime | None:
    """Scheduler handler: everything due up to ``now`` in one pass, then the next transition time."""
    rollup(store, now)
    nxt = _next_rollup_due(store)
    if nxt is not None and nxt <= due:
        nxt = due + timedelta(seconds=1)
    return nxt


# --------------------------------------------------------------------------------------------------------------
# internal read API


def _find_metric(store: AccountStore, region: str, namespace: str, metric_name: str, dimensions: Mapping[str, str]) -> int | None:
    row = store.conn.execute(
        "SELECT id FROM metrics WHERE region = ? AND namespace = ? AND metric_name = ? AND dims = ?",
        (region, namespace, metric_name, canonical_dims(dimensions)),
    ).fetchone()
    return None if row is None else int(row[0])


def _buckets(
    store: AccountStore,
    metric_id: int,
    start: int,
    end: float,
    period: int,
    stats: Sequence[Any],
    unit: str | None,
    by_unit: bool,
    floor_ts: int,
) -> list[dict[str, Any]]:
    """Datapoints of one metric: SQLite aggregates each slot (`_slot_sql`) and the slots of a bucket are added here,
    in time order; extended statistics come from the slots' value blobs (`_extended_statistics`)."""
    with _gc_paused():
        return _buckets_of(store, metric_id, start, end, period, stats, unit, by_unit, floor_ts)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """The collector off while a query builds its buckets: they are acyclic lists and dicts, and the collections
    their allocation triggers only traverse them (~6 % of a 20,000-bucket query)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _buckets_of(store: AccountStore, metric_id: int, start: int, end: float, period: int, stats: Sequence[Any],
                unit: str | None, by_unit: bool, floor_ts: int) -> list[dict[str, Any]]:  # fmt: skip
    lo = max(start, floor_ts)
    where = "metric_id = ? AND ts >= ? AND ts < ?"
    args: list[Any] = [metric_id, lo, math.ceil(end)]
    if unit is not None:
        where += " AND unit = ?"
        args.append(unit)
    ext = [s for s in stats if s.is_extended]
    basic = [(s.name, s.kind) for s in stats if not s.is_extended]
    table: dict[tuple[str, int], list[Any]] = {}  # (unit, bucket) -> [n, total, vmin, vmax, pct_ok, blobs, weighted]
    ext_values: dict[tuple[str, int], dict[str, float]] = {}
    np = _numpy() if ext else None
    scratch = _Scratch(np) if np is not None else None  # numpy and the percentile buffers, reused by each batch
    ready: list[tuple[str, int]] = []  # buckets complete (a later bucket number has been read), values not taken yet
    last_k = -1

    def add(u: str, ts: int, n: float, total: float, vmin: float, vmax: float, ok: int, blob: bytes | None,
            w: tuple[list[float], list[float]] | None) -> None:  # fmt: skip
        nonlocal last_k
        k = (ts - start) // period  # ts >= start: the same as SQLite's integer division
        key = (u, k)
        b = table.get(key)
        if b is None:
            if ext and k != last_k and len(ready) >= EXT_BATCH:
                # Buckets arrive in time order: the values of those complete are taken now and let go, so their
                # memory is reused by the next rows' (holding 80 MB of blobs cost ~0.1 s of page faults).
                ext_values.update(_extended_statistics(table, ready, ext, scratch))
                ready.clear()
            last_k = k
            table[key] = [n, total, vmin, vmax, ok, [blob] if blob else [], w]
            if ext:
                ready.append(key)
            return
        b[0] += n
        b[1] += total
        if vmin < b[2]:
            b[2] = vmin
        if vmax > b[3]:
            b[3] = vmax
        if ok < b[4]:
            b[4] = ok
        if blob:
            b[5].append(blob)
        if w is not None:
            if b[6] is None:
                b[6] = ([], [])
            b[6][0].extend(w[0])
            b[6][1].extend(w[1])

    conn = store.conn
    with memory_mapped(conn):  # the blobs: pages walked in place, not copied out by read calls (0.28 -> 0.16 s)
        for ts, n, total, vmin, vmax, ok, u_lo, u_hi, blob, weighted in conn.execute(_slot_sql(where, bool(ext), by_unit), args):
            if u_lo != u_hi or weighted:
                for piece in _slot_rows(conn, where, args, ts, by_unit, bool(ext)):
                    add(*piece)
            else:
                add(u_lo, ts, n, total, vmin, vmax, ok, blob, None)
    if ready:
        ext_values.update(_extended_statistics(table, ready, ext, scratch))
    out: list[dict[str, Any]] = []
    for key in sorted(table, key=lambda kk: (kk[1], kk[0])):
        n, total, vmin, vmax = table[key][:4]
        ts0 = start + key[1] * period  # a bucket is stamped with its start
        if ts0 >= end or n <= 0:
            continue
        dp: dict[str, Any] = {"Timestamp": _dt(ts0)}
        for name, kind in basic:
            if kind == "SampleCount":
                dp[name] = n
            elif kind == "Sum":
                dp[name] = total
            elif kind == "Average":
                dp[name] = total / n
            elif kind == "Minimum":
                dp[name] = vmin
            else:
                dp[name] = vmax
        if ext:
            dp["ExtendedStatistics"] = ext_values.get(key, {})
        dp["Unit"] = key[0] if by_unit else (unit or "None")
        out.append(dp)
    return out


def _slot_sql(where: str, values: bool, by_unit: bool) -> str:
    """Each slot's aggregates in time order: ts, n, total, vmin, vmax, pct_ok, lowest and highest unit, the values
    (one blob) and how many of its rows carry counts.

    ``GROUP BY ts`` follows the ``(metric_id, ts)`` index, so SQLite aggregates each slot as it walks the rows, with
    no sort, and concatenates the slot's value blobs in C: 10 M values in 80,000 rows are 20,160 slot rows for Python
    instead of 80,000 (with a temporary B-tree for ``GROUP BY bucket`` and a second scan for the blobs, the one pass
    took ~0.6 s; see docs/metrics.md "Storage and speed"). Basic and extended queries add the same slot sums in the
    same order, so a Sum is the same bits whichever statistics are asked with it. A slot holding several units
    (when units are kept apart) or roll-up rows with counts (``cnts``, to keep beside their values) is read row by
    row instead (`_slot_rows`)."""
    cols = "ts, SUM(n), SUM(total), MIN(vmin), MAX(vmax), MIN(pct_ok)"
    cols += ", MIN(unit), MAX(unit)" if by_unit else ", '', ''"
    cols += ", CAST(group_concat(vals, '') AS BLOB), COUNT(cnts)" if values else ", NULL, 0"
    return f"SELECT {cols} FROM metric_data WHERE {where} GROUP BY ts"


def _slot_rows(conn: Any, where: str, args: list[Any], ts: int, by_unit: bool, values: bool) -> Iterator[tuple[Any, ...]]:
    """One slot read row by row (in rowid order, as SQLite's SUM adds them), aggregated by unit (when kept apart),
    value blobs and weighted values apart: (unit or '', ts, n, total, vmin, vmax, pct_ok, values, weighted)."""
    by: dict[str, list[Any]] = {}
    sql = f"SELECT unit, n, total, vmin, vmax, pct_ok, vals, cnts FROM metric_data WHERE {where} AND ts = ? ORDER BY rowid"
    for unit, n, total, vmin, vmax, ok, vals, cnts in conn.execute(sql, [*args, ts]):
        u = unit if by_unit else ""
        b = by.get(u)
        if b is None:
            by[u] = b = [0.0, 0.0, vmin, vmax, ok, bytearray(), None]
        b[0] += n
        b[1] += total
        b[2] = min(b[2], vmin)
        b[3] = max(b[3], vmax)
        b[4] = min(b[4], ok)
        if not values:
            continue
        if cnts is None:
            b[5] += vals or b""
        else:
            if b[6] is None:
                b[6] = ([], [])
            b[6][0].extend(_unpack(vals))
            b[6][1].extend(_unpack(cnts))
    for u, b in by.items():
        yield (u, ts, *b[:5], bytes(b[5]) if values else None, b[6])


def _extended_statistics(table: dict[tuple[str, int], list[Any]], keys: Sequence[tuple[str, int]],
                         stats: Sequence[Any], scratch: _Scratch | None) -> dict[tuple[str, int], dict[str, float]]:  # fmt: skip
    """Extended statistics of the buckets ``keys`` of ``table`` ((unit, bucket) -> [n, total, vmin, vmax, pct_ok,
    value blobs, weighted values or None]) that keep their values and have no negative one (spec §1.2). Their
    values are let go. ``scratch`` holds numpy (None without it) and its reusable buffers."""
    np = scratch.np if scratch is not None else None
    fast = np is not None and all(s.kind == "p" for s in stats)
    out: dict[tuple[str, int], dict[str, float]] = {}
    plain: list[tuple[tuple[str, int], bytes]] = []
    for key in keys:
        b = table[key]
        parts, w = b[5], b[6]
        b[5] = b[6] = None
        if b[0] <= 0 or not b[4] or b[2] < 0:
            continue
        if fast and w is None:
            plain.append((key, parts[0] if len(parts) == 1 else b"".join(parts)))
        else:
            out[key] = _extended(parts, w, stats, np)
    if plain:
        assert scratch is not None  # plain is only filled on the numpy path
        out.update(_percentiles(np, plain, stats, scratch))
    return out


class _Scratch:
    """numpy buffers reused by every batch of one query: a fresh array a batch cost about as much in page faults as
    the sort it held."""

    def __init__(self, np: Any) -> None:
        self.np = np
        self.buffers: dict[str, Any] = {}

    def take(self, name: str, size: int, dtype: Any) -> Any:
        buf = self.buffers.get(name)
        if buf is None or buf.size < size:
            buf = self.buffers[name] = self.np.empty(max(size, 2 * (0 if buf is None else buf.size)), dtype=dtype)
        return buf[:size]


def _percentiles(np: Any, items: list[tuple[tuple[str, int], bytes]], stats: Sequence[Any],
                 scratch: _Scratch) -> dict[tuple[str, int], dict[str, float]]:  # fmt: skip
    """Percentiles of many buckets (values as packed float64) with a few numpy calls instead of a few per bucket.

    Buckets of similar sizes (within 1.5x) become the rows of one matrix, padded with +inf (above every value, so
    below any rank asked for nothing moves), sorted along the rows in one call (numpy's SIMD sort), and each
    percentile is gathered at its row's rank, ``ceil(p * n / 100)`` in integers. One ``np.sort`` or ``partition`` a
    bucket cost ~5 us of call overhead and small-array work, as much again as the sort (see docs/metrics.md
    "Storage and speed")."""
    ranks_of = [(s.name, s.hi.numerator, s.hi.denominator * 100) for s in stats]
    sizes = [len(data) >> 3 for _, data in items]
    order = sorted(range(len(items)), key=sizes.__getitem__)
    out: dict[tuple[str, int], dict[str, float]] = {}
    f64, frombuffer = np.float64, np.frombuffer
    i = 0
    while i < len(order):
        cap = max(sizes[order[i]] * 3 // 2, 16)
        j = i + 1
        while j < len(order) and sizes[order[j]] <= cap:
            j += 1
        group = order[i:j]
        shape = (len(group), sizes[group[-1]])
        matrix = scratch.take("cells", shape[0] * shape[1], f64).reshape(shape)
        matrix.fill(np.inf)
        for row, idx in enumerate(group):
            data = items[idx][1]
            matrix[row, : len(data) >> 3] = frombuffer(data, dtype=f64)
        matrix.sort(axis=1)
        n = np.array([sizes[idx] for idx in group], dtype=np.int64)
        rows = np.arange(shape[0])
        picked = [(name, matrix[rows, np.maximum(-((-num * n) // den), 1) - 1].tolist()) for name, num, den in ranks_of]
        for row, idx in enumerate(group):
            out[items[idx][0]] = {name: values[row] for name, values in picked}
        i = j
    return out


def _extended(parts: list[bytes], w: tuple[list[float], list[float]] | None, stats: Sequence[Any],
              np: Any) -> dict[str, float]:  # fmt: skip
    """Extended statistics of one bucket from its value blobs (``parts``) and its weighted values (``w``: rows rolled
    up into log buckets, with their counts)."""
    from awsmon.engines.stats import _extended_unit, compute_statistics

    if w is None:
        data = b"".join(parts)
        # The trimmed and winsorized statistics sum exactly (math.fsum) over Python floats.
        as_list = any(s.kind != "p" for s in stats)
        ordered: Any
        if np is not None:
            ordered = np.sort(np.frombuffer(data, dtype=np.float64))
            if as_list:
                ordered = ordered.tolist()
        else:
            ordered = sorted(_unpack(data))
        res: dict[str, float] = {}
        for s in stats:
            v = _extended_unit(s, ordered)
            if v is not None:
                res[s.name] = v
        return res
    plain = _unpack(b"".join(parts)) if parts else array("d")
    values = list(plain) + w[0]
    counts = [1.0] * len(plain) + w[1]
    return compute_statistics(values, list(stats), counts=counts)


def _numpy() -> Any:
    """numpy when installed (a dependency on the platforms with wheels), else None: imported only here, by queries
    that ask for extended statistics, never at start-up."""
    try:
        import numpy
    except ImportError:
        return None
    return numpy


def _parse_stats(statistics: Sequence[str] | None, extended: Sequence[str] | None) -> list[Any]:
    from awsmon.engines.stats import CloudWatchError, parse_statistic

    statistics = list(statistics or [])
    extended = list(extended or [])
    if statistics and extended:
        raise ServiceError(
            "InvalidParameterCombination",
            "The parameters Statistics and ExtendedStatistics are mutually exclusive and you have specified both.",
        )
    if not statistics and not extended:
        raise ServiceError("InvalidParameterCombination", "Must specify either Statistics or ExtendedStatistics")
    if len(statistics) > 5:
        raise ServiceError("InvalidParameterValue", "The collection Statistics must not have a size greater than 5.")
    if len(extended) > 10:
        raise ServiceError(
            "InvalidParameterValue", "The collection ExtendedStatistics must not have a size greater than 10."
        )
    parsed = []
    for i, s in enumerate(statistics, start=1):
        if s not in BASIC:
            raise ServiceError("InvalidParameterValue", f"The value {s} for parameter Statistics.member.{i} is invalid.")
        parsed.append(parse_statistic(s))
    for i, s in enumerate(extended, start=1):
        try:
            st = parse_statistic(s, f"ExtendedStatistics.member.{i}")
        except CloudWatchError as exc:
            raise _err(exc) from None
        if not st.is_extended:
            raise ServiceError(
                "InvalidParameterValue", f"The value {s} for parameter ExtendedStatistics.member.{i} is invalid."
            )
        parsed.append(st)
    # a statistic asked for twice is answered once
    return list({p.name: p for p in parsed}.values())


def _check_period(period: Any, parameter: str = "Period") -> int:
    if isinstance(period, bool) or not isinstance(period, (int, float)) or int(period) != period or period < 1:
        raise ServiceError("InvalidParameterValue", f"The value {period} for parameter {parameter} is invalid.")
    period = int(period)
    if period % 60 and period not in (1, 5, 10, 20, 30):
        raise ServiceError(
            "InvalidParameterValue",
            f"The parameter {parameter} must be 1, 5, 10, 20, 30, or a multiple of 60.",
        )
    return period


def _window(store: AccountStore, start: float, end: float, period: int, as_of: datetime | None = None,
            exact_start: bool = False) -> tuple[int, int] | None:  # fmt: skip
    """Rounded start (the start itself with ``exact_start``) and the retention floor, or None when the period
    rules say "no datapoints"."""
    from awsmon.engines.stats import period_allowed_for_start, round_start_time

    now = (as_of or store.now()).timestamp()
    rs = int(start) if exact_start else int(round_start_time(start, now, period))
    # storage_resolution=1: sub-minute periods are valid for every recent metric; standard data then simply lands on
    # minute boundaries (spec §1.2).
    if not period_allowed_for_start(period, rs, now, 1):
        return None
    return rs, int(now) - EXPIRY_AGE


def query_statistics(
    store: AccountStore,
    region: str,
    namespace: str,
    metric_name: str,
    dimensions: dict[str, str],
    start: datetime,
    end: datetime,
    period: int,
    statistics: list[str],
    extended_statistics: list[str] | None = None,
    unit: str | None = None,
    *,
    as_of: datetime | None = None,
    exact_start: bool = False,
) -> list[dict[str, Any]]:
    """GetMetricStatistics ``Datapoints`` (boto3 shape, sorted by timestamp), without a CloudTrail record.

    ``as_of`` (default: the simulated now) is the instant the age rules (StartTime rounding, period by age) are
    applied from, for callers that replay past instants such as alarm evaluation. ``exact_start``: buckets step
    from ``start`` itself instead of the rounded StartTime (alarm evaluation owns its bucket grid, spec §3.2: with
    a 30-second period evaluated every 10 s, rounding would shift the buckets off the alarm's grid).
    """
    from awsmon.engines.stats import CloudWatchError, check_datapoint_limit

    stats = _parse_stats(statistics, extended_statistics)
    period = _check_period(period)
    s, e = _epoch(start, "StartTime"), _epoch(end, "EndTime")
    if s >= e:
        raise ServiceError("InvalidParameterValue", "The parameter StartTime must be less than the parameter EndTime.")
    window = _window(store, s, e, period, as_of, exact_start)
    try:
        check_datapoint_limit(window[0] if window else s, e, period)
    except CloudWatchError as exc:
        raise _err(exc) from None
    if window is None:
        return []
    mid = _find_metric(store, region, namespace, metric_name, dimensions)
    if mid is None:
        return []
    return _buckets(store, mid, window[0], e, period, stats, unit, True, window[1])


def _series_for_stat(store: AccountStore, region: str, q: Mapping[str, Any], start: float, end: float,
                     as_of: datetime | None = None, exact_start: bool = False
                     ) -> tuple[list[float], list[float]]:  # fmt: skip
    from awsmon.engines.stats import CloudWatchError, parse_statistic

    ms = q["MetricStat"]
    metric = ms.get("Metric") or {}
    period = _check_period(ms.get("Period"), "MetricStat.Period")
    try:
        stat = parse_statistic(str(ms.get("Stat")), "MetricStat.Stat")
    except CloudWatchError as exc:
        raise _err(exc) from None
    window = _window(store, start, end, period, as_of, exact_start)
    if window is None:
        return [], []
    mid = _find_metric(store, region, str(metric.get("Namespace")), str(metric.get("MetricName")),
                       dims_from_list(metric.get("Dimensions")))  # fmt: skip
    if mid is None:
        return [], []
    points = _buckets(store, mid, window[0], end, period, [stat], ms.get("Unit"), False, window[1])
    ts, vs = [], []
    for dp in points:
        v = dp["ExtendedStatistics"].get(stat.name) if stat.is_extended else dp.get(stat.name)
        if v is not None:
            ts.append(dp["Timestamp"].timestamp())
            vs.append(float(v))
    return ts, vs


def _default_label(q: Mapping[str, Any], differ: Sequence[str] = ()) -> str:
    """AWS's default label: the metric name, plus the Stat and/or Period when those differ between the request's
    MetricStat queries (as LocalStack's snapshot tests against AWS show), so two series never share a label."""
    if q.get("Label"):
        return str(q["Label"])
    if q.get("MetricStat"):
        ms = q["MetricStat"]
        parts = [str((ms.get("Metric") or {}).get("MetricName") or q["Id"])]
        parts.extend(str(ms.get(key)) for key in differ if ms.get(key) is not None)
        return " ".join(parts)
    return str(q["Id"])


def _label_differentiators(queries: Sequence[Mapping[str, Any]]) -> list[str]:
    stats = [q["MetricStat"] for q in queries if q.get("MetricStat")]
    return [key for key in ("Stat", "Period") if len({str(m.get(key)) for m in stats}) > 1]


def _validate_queries(queries: Sequence[Mapping[str, Any]]) -> None:
    if not queries:
        raise ServiceError("MissingParameter", "The parameter MetricDataQueries is required.")
    if len(queries) > 500:
        raise ServiceError(
            "InvalidParameterValue", "The collection MetricDataQueries must not have a size greater than 500."
        )
    seen: set[str] = set()
    for i, q in enumerate(queries, start=1):
        p = f"MetricDataQueries.member.{i}"
        qid = q.get("Id")
        if not isinstance(qid, str) or not ID_RE.match(qid) or len(qid) > 255:
            raise ServiceError("ValidationError", f"The value {qid} for parameter {p}.Id is invalid.")
        if qid in seen:
            raise ServiceError("ValidationError", "The values for parameter id in MetricDataQueries are not unique.")
        seen.add(qid)
        has_stat, has_expr = q.get("MetricStat") is not None, q.get("Expression") is not None
        if has_stat == has_expr:
            raise ServiceError(
                "ValidationError",
                f"The parameter {p} must specify exactly one of MetricStat and Expression.",
            )
        if has_expr and not isinstance(q["Expression"], str):
            raise ServiceError("ValidationError", f"The value {q['Expression']} for parameter {p}.Expression is invalid.")
        if has_expr and len(str(q["Expression"])) > 2048:
            raise ServiceError("ValidationError", f"The value of {p}.Expression must be at most 2048 characters.")
        if has_stat:
            ms = q["MetricStat"]
            if not isinstance(ms, Mapping) or not isinstance(ms.get("Metric") or {}, Mapping):
                raise ServiceError("ValidationError", f"The parameter {p}.MetricStat must be a MetricStat structure "
                                   "({Metric: {Namespace, MetricName, Dimensions}, Period, Stat, Unit}).")  # fmt: skip
            metric = ms.get("Metric") or {}
            dims = metric.get("Dimensions")
            if dims is not None and not (isinstance(dims, list) and all(isinstance(d, Mapping) for d in dims)):
                raise ServiceError("ValidationError",
                                   f"The value {dims} for parameter {p}.MetricStat.Metric.Dimensions is invalid.")  # fmt: skip
            for field, value in (("Metric.Namespace", metric.get("Namespace")),
                                 ("Metric.MetricName", metric.get("MetricName")),
                                 ("Period", ms.get("Period")), ("Stat", ms.get("Stat"))):  # fmt: skip
                if value is None:
                    raise ServiceError("MissingParameter", f"The parameter {p}.MetricStat.{field} is required.")


def query_metric_data(
    store: AccountStore, region: str, queries: list[dict[str, Any]], start: datetime, end: datetime,
    *, as_of: datetime | None = None, exact_start: bool = False,
) -> list[dict[str, Any]]:
    """GetMetricData ``MetricDataResults`` (boto3 shape, timestamps ascending) incl. math, without a record.

    ``as_of``, ``exact_start``: as for :func:`query_statistics`.
    """
    _validate_queries(queries)
    s, e = _epoch(start, "StartTime"), _epoch(end, "EndTime")
    if s >= e:
        raise ServiceError("ValidationError", "The parameter StartTime must be less than the parameter EndTime.")
    series: dict[str, tuple[list[float], list[float]]] = {}
    for q in queries:
        if q.get("MetricStat") is not None:
            series[q["Id"]] = _series_for_stat(store, region, q, s, e, as_of, exact_start)
    results: dict[str, list[dict[str, Any]]] = {}
    from awsmon.engines.metrics_insights import is_query

    insights = [q for q in queries if q.get("Expression") is not None and is_query(str(q["Expression"]))]
    for q in insights:
        results[q["Id"]] = _insights_query(store, region, q, s, e, as_of, exact_start)
    if insights:
        ids = {q["Id"] for q in insights}
        queries = [q for q in queries if q["Id"] not in ids]
    expressions = [q for q in queries if q.get("Expression") is not None]
    if expressions:
        results.update(_evaluate_expressions(store, queries, expressions, series, s, e, as_of, exact_start, region))
    out: list[dict[str, Any]] = []
    differ = _label_differentiators(queries)
    for q in [*queries, *insights]:
        if q.get("ReturnData", True) is False:
            continue
        if q["Id"] in series:
            ts, vs = series[q["Id"]]
            out.append({"Id": q["Id"], "Label": _default_label(q, differ), "Timestamps": [_dt(t) for t in ts],
                        "Values": vs, "StatusCode": "Complete", "Messages": []})  # fmt: skip
        else:
            out.extend(results.get(q["Id"], []))
    return out


def detector_key(namespace: str, metric_name: str, dims: Mapping[str, str], stat: str) -> str:
    """Identity of an anomaly detector (table anomaly_detectors, cloudwatch_anomaly.py)."""
    return json.dumps([namespace, metric_name, sorted(dims.items()), stat], separators=(",", ":"))


def excluded_ranges(conn: Any, region: str, namespace: str, metric: str, dims: Mapping[str, str],
                    stat: str) -> list[tuple[float, float]]:  # fmt: skip
    """The ExcludedTimeRanges of the detector for this metric and stat (none without a detector)."""
    row = conn.execute("SELECT body FROM anomaly_detectors WHERE region = ? AND key = ?",
                       (region, detector_key(namespace, metric, dims, stat))).fetchone()  # fmt: skip
    if row is None:
        return []
    return [(r["StartTime"], r["EndTime"]) for r in json.loads(row[0])["Configuration"]["ExcludedTimeRanges"]]


def _insights_query(store: AccountStore, region: str, q: Mapping[str, Any], start: float, end: float,
                    as_of: datetime | None, exact_start: bool) -> list[dict[str, Any]]:  # fmt: skip
    """A Metrics Insights query (engines/metrics_insights.py) over the stored catalogue: one result per group."""
    from awsmon.engines.metrics_insights import MetricsInsightsError, evaluate, parse

    try:
        query = parse(str(q["Expression"]))
    except MetricsInsightsError as exc:
        raise _err(exc) from None
    period = _check_period(q.get("Period") if q.get("Period") is not None else 300, "Period")
    window = _window(store, start, end, period, as_of, exact_start)
    rows = []
    if window is not None:
        rows = store.conn.execute(
            "SELECT id, dims FROM metrics WHERE region = ? AND namespace = ? AND metric_name = ? ORDER BY id",
            (region, query.namespace, query.metric),
        ).fetchall()
    from awsmon.engines.metrics_insights import selects

    chosen = {int(mid): dict(json.loads(dj)) for mid, dj in rows}
    chosen = {mid: dims for mid, dims in chosen.items() if selects(query, dims)}  # before reading any datapoint
    buckets: dict[int, dict[float, tuple[float, float, float, float]]] = {mid: {} for mid in chosen}
    if window is not None and chosen:
        # One GROUP BY over all selected metrics (chunks of SQLite's parameter limit), not one query per metric.
        lo, hi = max(window[0], window[1]), math.ceil(end)
        ids = sorted(chosen)
        for i in range(0, len(ids), 900):
            part = ids[i : i + 900]
            sql = (f"SELECT metric_id, (ts - ?) / ? AS k, SUM(n), SUM(total), MIN(vmin), MAX(vmax) FROM metric_data "
                   f"WHERE metric_id IN ({','.join('?' * len(part))}) AND ts >= ? AND ts < ? GROUP BY metric_id, k")
            for mid, k, n, total, vmin, vmax in store.conn.execute(sql, [window[0], period, *part, lo, hi]):
                ts0 = window[0] + int(k) * period
                if ts0 < end and n > 0:
                    buckets[mid][float(ts0)] = (n, total, vmin, vmax)

    def metrics() -> Any:
        for mid, dims in chosen.items():
            yield dims, buckets[mid]

    try:
        series = evaluate(query, metrics())
    except MetricsInsightsError as exc:
        raise _err(exc) from None
    return [{"Id": q["Id"], "Label": str(q.get("Label") or r.label), "Timestamps": [_dt(t) for t in r.points],
             "Values": list(r.points.values()), "StatusCode": "Complete", "Messages": []} for r in series]  # fmt: skip


def _evaluate_expressions(
    store: AccountStore,
    queries: Sequence[Mapping[str, Any]],
    expressions: Sequence[Mapping[str, Any]],
    series: dict[str, tuple[list[float], list[float]]],
    start: float,
    end: float,
    as_of: datetime | None = None,
    exact_start: bool = False,
    region: str = "",
) -> dict[str, list[dict[str, Any]]]:
    """Metric math on the query grid (rounded StartTime + k*Period) through the metric-math engine."""
    from awsmon.engines.metricmath import CloudWatchError, Series, evaluate_queries
    from awsmon.engines.stats import bucket_starts, round_start_time

    periods = [int(q["MetricStat"]["Period"]) for q in queries if q.get("MetricStat") is not None]
    periods += [int(q["Period"]) for q in expressions if q.get("Period") is not None]
    period = _check_period(periods[0] if periods else 60)
    rs = start if exact_start else round_start_time(start, (as_of or store.now()).timestamp(), period)
    grid = bucket_starts(rs, end, period)
    cleaned = [{k: v for k, v in q.items() if v is not None} for q in queries]
    data = {qid: dict(zip(ts, vs, strict=True)) for qid, (ts, vs) in series.items()}
    by_id = {q["Id"]: q for q in queries if q.get("MetricStat") is not None}

    def band(qid: str, k: float) -> tuple[list[float | None], list[float | None]]:
        # The band trains on up to two weeks before each grid point, fetched on the query's own period.
        from awsmon.engines.anomaly import TRAINING_SECONDS, anomaly_band
        from awsmon.engines.stats import period_allowed_for_start

        q = by_id[qid]
        ms = q["MetricStat"]
        first = (grid[0] if grid else start) - TRAINING_SECONDS
        now = (as_of or store.now()).timestamp()
        coarse: tuple[float, int] | None = None
        if period_allowed_for_start(int(ms["Period"]), int(first), now, 1):
            ts, vs = _series_for_stat(store, region, q, first, end, as_of, True)
        else:
            # Training history older than the fine resolution's retention is read in 5-minute buckets (as stored).
            split = float(math.ceil((now - ROLLUP_TIERS[1][0] + HOUR) / 300) * 300)
            old = {**q, "MetricStat": {**ms, "Period": max(300, int(ms["Period"]))}}
            ts, vs = _series_for_stat(store, region, old, first, split, as_of, True)
            ts2, vs2 = _series_for_stat(store, region, q, split, end, as_of, True)
            ts, vs, coarse = ts + ts2, vs + vs2, (split, max(300, int(ms["Period"])))
        metric = ms.get("Metric") or {}
        excluded = excluded_ranges(store.conn, region, str(metric.get("Namespace")), str(metric.get("MetricName")),
                                   dims_from_list(metric.get("Dimensions")), str(ms.get("Stat")))  # fmt: skip
        return anomaly_band(dict(zip(ts, vs, strict=True)), grid, k, excluded=excluded, coarse=coarse)

    def search(text: str, stat: str, search_period: int) -> list[tuple[str, Mapping[float, float]]]:
        # Metrics with data in the last two weeks (as AWS searches), matched on the catalogue; one series each.
        from awsmon.engines.search_expr import matches, parse_search

        try:
            sq = parse_search(text)
        except CloudWatchError as exc:
            raise _err(exc) from None
        now = (as_of or store.now()).timestamp()
        rows = store.conn.execute(
            "SELECT namespace, metric_name, dims FROM metrics WHERE region = ? AND last_ts_ms >= ? "
            "ORDER BY namespace, metric_name, dims", (region, int((now - LIST_INACTIVE_AGE) * 1000)),
        ).fetchall()  # fmt: skip
        found: list[tuple[str, Mapping[float, float]]] = []
        for ns, name, dims_json in rows:
            dims = dict(json.loads(dims_json))
            if not matches(sq, ns, name, dims):
                continue
            if len(found) == SEARCH_MAX_SERIES:
                break
            q = {"Id": "s", "MetricStat": {"Metric": {"Namespace": ns, "MetricName": name, "Dimensions": [
                {"Name": k, "Value": v} for k, v in sorted(dims.items())]}, "Period": search_period, "Stat": stat}}
            ts, vs = _series_for_stat(store, region, q, grid[0] if grid else start, end, as_of, True)
            label = " ".join([name, *(v for _, v in sorted(dims.items()))])  # [design choice] "CPUUtilization i-1"
            found.append((label, dict(zip(ts, vs, strict=True))))
        return found

    def quota(qid: str) -> float | None:
        # The applied quota of a usage metric (locally the default: there are no increase requests).
        from awsmon.engines.service_quotas import quota_for_metric

        metric = by_id[qid]["MetricStat"].get("Metric") or {}
        q = quota_for_metric(str(metric.get("Namespace")), str(metric.get("MetricName")),
                             dims_from_list(metric.get("Dimensions")))  # fmt: skip
        return None if q is None else float(q.value)

    try:
        results = evaluate_queries(cleaned, data, timestamps=grid, period=period, band=band, search=search,
                                   quota=quota)  # fmt: skip
    except CloudWatchError as exc:
        raise _err(exc) from None
    out: dict[str, list[dict[str, Any]]] = {}
    for q in expressions:
        res = results.get(q["Id"])
        members = [res] if isinstance(res, Series) else list(res or [])
        rows = []
        for member in members:
            ts = sorted(member.points)
            label = q.get("Label") or (member.label if len(members) > 1 else q["Id"])
            if "ANOMALY_DETECTION_BAND" in str(q["Expression"]) and member.label in ("Upper", "Lower"):
                label = f"{q.get('Label') or q['Id']} {member.label}"  # [design choice] "ad1 Upper" / "ad1 Lower"
            rows.append({"Id": q["Id"], "Label": str(label), "Timestamps": [_dt(t) for t in ts],
                         "Values": [member.points[t] for t in ts], "StatusCode": "Complete", "Messages": []})  # fmt: skip
        out[q["Id"]] = rows
    return out


# --------------------------------------------------------------------------------------------------------------
# the recorded API


class MetricsMixin:
    """PutMetricData, ListMetrics, GetMetricStatistics, GetMetricData of the local CloudWatch service."""

    store: AccountStore
    region: str

    @api("PutMetricData")
    def put_metric_data(self, *, Namespace: str | None = None, MetricData: list[dict[str, Any]] | None = None,
                        **kw: Any) -> dict[str, Any]:  # fmt: skip
        from awsmon.engines.putmetric_validate import CloudWatchError, validate_put_metric_data

        request = {"Namespace": Namespace, "MetricData": MetricData, **kw}
        try:
            datums = validate_put_metric_data(request, self.store.now())
        except CloudWatchError as exc:
            raise _err(exc) from None
        for d in datums:  # all validated before the first write: nothing is stored partially
            sv = d.get("StatisticValues")
            store_datapoints(
                self.store, self.region, d["Namespace"], d["MetricName"], dict(d["Dimensions"]),
                _dt(d["Timestamp"]), d.get("Values") or [], d.get("Counts"), d["Unit"],
                d["StorageResolution"], sv,
            )  # fmt: skip
        return {}

    @api("ListMetrics")
    def list_metrics(self, *, Namespace: str | None = None, MetricName: str | None = None,
                     Dimensions: list[dict[str, Any]] | None = None, NextToken: str | None = None,
                     RecentlyActive: str | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        filters = list(Dimensions or [])
        if len(filters) > 10:
            raise ServiceError("InvalidParameterValue", "The collection Dimensions must not have a size greater than 10.")
        if RecentlyActive is not None and RecentlyActive != "PT3H":
            raise ServiceError("InvalidParameterValue", f"The value {RecentlyActive} for parameter RecentlyActive is invalid.")
        now = self.store.now().timestamp()
        where = ["region = ?", "last_ts_ms >= ?"]
        args: list[Any] = [self.region, _ms(now - LIST_INACTIVE_AGE)]
        conds, values = equal_filters(namespace=Namespace, metric_name=MetricName)
        where += conds
        args += values
        if RecentlyActive:
            where.append("last_put_ms >= ?")
            args.append(_ms(now - 3 * HOUR))
        for j, f in enumerate(filters, start=1):
            if f.get("Name") is None:
                raise ServiceError("MissingParameter", f"The parameter Dimensions.member.{j}.Name is required.")
            if f.get("Value") is None:
                where.append("EXISTS (SELECT 1 FROM metric_dimensions d WHERE d.metric_id = metrics.id AND d.name = ?)")
                args.append(f["Name"])
            else:
                where.append("EXISTS (SELECT 1 FROM metric_dimensions d WHERE d.metric_id = metrics.id "
                             "AND d.name = ? AND d.value = ?)")  # fmt: skip
                args.extend([f["Name"], f["Value"]])
        after = _position(NextToken)
        where.append("id > ?")
        args.append(after)
        rows = self.store.conn.execute(
            f"SELECT id, namespace, metric_name, dims FROM metrics WHERE {' AND '.join(where)} ORDER BY id LIMIT ?",
            [*args, LIST_PAGE + 1],
        ).fetchall()
        metrics = [
            {"Namespace": r[1], "MetricName": r[2], "Dimensions": [{"Name": k, "Value": v} for k, v in json.loads(r[3])]}
            for r in rows[:LIST_PAGE]
        ]
        out: dict[str, Any] = {"Metrics": metrics}
        if len(rows) > LIST_PAGE:
            out["NextToken"] = _token(rows[LIST_PAGE - 1][0])
        return out

    @api("GetMetricStatistics")
    def get_metric_statistics(self, *, Namespace: str | None = None, MetricName: str | None = None,
                              Dimensions: list[dict[str, Any]] | None = None, StartTime: Any = None,
                              EndTime: Any = None, Period: Any = None, Statistics: list[str] | None = None,
                              ExtendedStatistics: list[str] | None = None, Unit: str | None = None,
                              **kw: Any) -> dict[str, Any]:  # fmt: skip
        for name, value in (("Namespace", Namespace), ("MetricName", MetricName), ("StartTime", StartTime),
                            ("EndTime", EndTime), ("Period", Period)):  # fmt: skip
            if value is None:
                raise ServiceError("MissingParameter", f"The parameter {name} is required.")
        if Unit is not None:
            from awsmon.engines.putmetric_validate import STANDARD_UNITS

            if Unit not in STANDARD_UNITS:
                raise ServiceError("InvalidParameterValue", f"The value {Unit} for parameter Unit is invalid.")
        points = query_statistics(
            self.store, self.region, str(Namespace), str(MetricName), dims_from_list(Dimensions),
            StartTime, EndTime, Period, list(Statistics or []), list(ExtendedStatistics or []), Unit,
        )  # fmt: skip
        return {"Label": MetricName, "Datapoints": points}

    @api("GetMetricData")
    def get_metric_data(self, *, MetricDataQueries: list[dict[str, Any]] | None = None, StartTime: Any = None,
                        EndTime: Any = None, NextToken: str | None = None, ScanBy: str | None = None,
                        MaxDatapoints: int | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        for name, value in (("StartTime", StartTime), ("EndTime", EndTime)):
            if value is None:
                raise ServiceError("MissingParameter", f"The parameter {name} is required.")
        if ScanBy not in (None, "TimestampDescending", "TimestampAscending"):
            raise ServiceError("ValidationError", f"The value {ScanBy} for parameter ScanBy is invalid.")
        results = query_metric_data(self.store, self.region, list(MetricDataQueries or []), StartTime, EndTime)
        if ScanBy != "TimestampAscending":
            for r in results:
                r["Timestamps"] = r["Timestamps"][::-1]
                r["Values"] = r["Values"][::-1]
        limit = MAX_GMD_DATAPOINTS if MaxDatapoints is None else int(MaxDatapoints)
        if limit < 1:
            raise ServiceError("ValidationError", f"The value {MaxDatapoints} for parameter MaxDatapoints is invalid.")
        skip = _position(NextToken)
        if skip == 0 and sum(len(r["Values"]) for r in results) <= limit:
            return {"MetricDataResults": results, "Messages": []}
        # Pages of at most `limit` datapoints over the results in order; a cut series is PartialData.
        page: list[dict[str, Any]] = []
        pos = taken = 0
        more = False
        for r in results:
            n = len(r["Values"])
            lo = max(0, skip - pos)
            if lo >= n and n:
                pos += n
                continue
            if n == 0 and skip > pos:  # an empty series is reported once, on the page that reaches it
                continue
            pos += n
            room = limit - taken
            if room <= 0:
                more = True
                break
            if n == 0:
                page.append(r)
                continue
            hi = min(n, lo + room)
            part = {**r, "Timestamps": r["Timestamps"][lo:hi], "Values": r["Values"][lo:hi]}
            if hi < n:
                part["StatusCode"] = "PartialData"
                more = True
            taken += hi - lo
            page.append(part)
            if more:
                break
        out: dict[str, Any] = {"MetricDataResults": page, "Messages": []}
        if more:
            out["NextToken"] = _token(skip + taken)
        return out


def _token(position: int) -> str:
    """A NextToken of ListMetrics (the last metric id listed) or GetMetricData (datapoints already given)."""
    return base64.urlsafe_b64encode(str(position).encode()).decode()


def _position(token: str | None) -> int:
    """What ``_token`` encoded; anything else is InvalidNextToken, as AWS answers a token it did not give."""
    if not token:
        return 0
    try:
        value = int(base64.urlsafe_b64decode(token.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        value = -1
    if value < 0:
        raise ServiceError("InvalidNextToken", "The service returned an invalid next token.")
    return value
