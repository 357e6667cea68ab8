"""Local anomaly-detection band for ``ANOMALY_DETECTION_BAND(m, k)`` and anomaly-detection alarms.

AWS does not publish its model (spec metrics-alarms.md §3.1: "the simulator has no ML model"). This is a clearly
labelled **approximation** [design choice], documented in docs/anomaly-detection.md:

* **Training window:** for each point at time ``t`` only datapoints in ``[t - 14 days, t)`` are used (AWS trains on
  up to two weeks of history), minus the detector's ``ExcludedTimeRanges``.
* **Expected value:** daily seasonality first: the median of the values at the same time of day on the previous
  days of the window (at least ``MIN_SAMPLES`` of them). With less than that history, hourly seasonality: the median
  of the values at the same minute of the hour in the previous 24 hours. With neither, the median of the last hour.
  Days one and two weeks back (the same weekday) count twice, which gives weekly patterns their weight.
* **Spread (robust):** ``1.4826 * MAD`` of the same samples (a standard deviation estimate immune to the spikes the
  band is meant to catch), floored by the noise of the whole window (MAD of consecutive differences / sqrt 2) and
  by 0.1 % of the expected value, so a perfectly regular metric does not get a zero-width band.
* **Band:** ``expected ± k * spread``; no band (missing) where the window holds fewer than ``MIN_SAMPLES`` points —
  AWS likewise shows no band until the model has trained.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence

__all__ = ["DAY", "TRAINING_SECONDS", "anomaly_band", "in_ranges"]

DAY = 86400
HOUR = 3600
TRAINING_SECONDS = 14 * DAY
MIN_SAMPLES = 3
MAD_SCALE = 1.4826  # MAD -> standard deviation for normally distributed data


def _median(xs: list[float]) -> float:
    s = sorted(xs)
    n = len(s)
    mid = n // 2
    return s[mid] if n % 2 else (s[mid - 1] + s[mid]) / 2


def _mad(xs: list[float], centre: float) -> float:
    return _median([abs(x - centre) for x in xs])


def in_ranges(t: float, ranges: Sequence[tuple[float, float]]) -> bool:
    return any(lo <= t < hi for lo, hi in ranges)


def anomaly_band(
    history: Mapping[float, float],
    grid: Sequence[float],
    stddevs: float = 2.0,
    *,
    excluded: Sequence[tuple[float, float]] = (),
    coarse: tuple[float, int] | None = None,
) -> tuple[list[float | None], list[float | None]]:
    """Upper and lower band values for each grid timestamp, trained on ``history`` (timestamp -> value).

    ``history`` should cover the two weeks before the first grid point (on the query's period grid); values in
    ``excluded`` ranges (epoch-second ``[start, end)`` pairs) are ignored for training. ``coarse`` = (before, width):
    history older than ``before`` comes in ``width``-second buckets (the store keeps 1-minute data 15 days only),
    and a lookup there takes the bucket that contains the instant.
    """
    points = {t: v for t, v in history.items() if v is not None and math.isfinite(v) and not in_ranges(t, excluded)}
    times = sorted(points)
    values = [points[t] for t in times]
    upper: list[float | None] = []
    lower: list[float | None] = []
    floor_cache: dict[int, float] = {}  # window end (in days of points) -> noise floor

    def lookup(t: float, tolerance: float) -> float | None:
        v = points.get(t)
        if v is not None:
            return v
        if coarse is not None and t < coarse[0]:
            j = bisect.bisect_right(times, t) - 1
            return values[j] if j >= 0 and t - times[j] < coarse[1] else None
        i = bisect.bisect_left(times, t - tolerance)
        if i < len(times) and times[i] <= t + tolerance:
            return values[i]
        return None

    def noise_floor(lo: int, hi: int) -> float:
        # One estimate per day of grid (cheap and stable): MAD of first differences over the window.
        key = hi // 1440
        if key in floor_cache:
            return floor_cache[key]
        seg = values[max(lo, hi - 20160) : hi]
        diffs = [b - a for a, b in zip(seg, seg[1:], strict=False)]
        f = MAD_SCALE * _mad(diffs, _median(diffs)) / math.sqrt(2) if len(diffs) >= 2 else 0.0
        floor_cache[key] = f
        return f

    fine = [t for t in times if coarse is None or t >= coarse[0]]
    step = min((b - a for a, b in zip(fine, fine[1:], strict=False)), default=60.0)
    tol = max(step / 2 - 1e-9, 0.0)
    for t in grid:
        lo = bisect.bisect_left(times, t - TRAINING_SECONDS)
        hi = bisect.bisect_left(times, t)
        if hi - lo < MIN_SAMPLES:
            upper.append(None)
            lower.append(None)
            continue
        start = times[lo]
        samples = [v for d in range(1, 15) if t - d * DAY >= start
                   for v in [lookup(t - d * DAY, tol)] if v is not None]  # fmt: skip
        if len(samples) >= MIN_SAMPLES:
            for d in (7, 14):  # the same weekday weighs twice
                w = lookup(t - d * DAY, tol) if t - d * DAY >= start else None
                if w is not None:
                    samples.append(w)
        else:
            samples = [v for h in range(1, 25) if t - h * HOUR >= start
                       for v in [lookup(t - h * HOUR, tol)] if v is not None]  # fmt: skip
            if len(samples) < MIN_SAMPLES:
                first = bisect.bisect_left(times, t - HOUR, lo, hi)
                samples = values[first:hi] if hi - first >= MIN_SAMPLES else values[max(lo, hi - 60) : hi]
        expected = _median(samples)
        spread = max(MAD_SCALE * _mad(samples, expected), noise_floor(lo, hi), 1e-3 * abs(expected), 1e-9)
        upper.append(expected + stddevs * spread)
        lower.append(expected - stddevs * spread)
    return upper, lower
