"""PutMetricData request validation with AWS error codes and texts (spec §1.1, §1.2; corpus
``put_metric_data_validation``).

``validate_put_metric_data(request, now)`` checks a boto3-shaped request (``Namespace``, ``MetricData``, optional
``EntityMetricData``) and returns normalised datums for a store; the first problem raises ``CloudWatchError``.
Member indexes in messages are 1-based (``MetricData.member.1``), as in AWS's query-protocol errors, except the
missing-StatisticValues-field message, which follows botocore's client-side text (``MetricData[0]``, 0-based).

Design choices ([design choice]; AWS texts unknown, same "The value X for parameter P is invalid." family):
* length/count violations, an unknown Unit, StorageResolution other than 1/60, values outside ±2^360, negative or
  non-finite Counts, duplicate dimension names, a datum with none of Value/Values/StatisticValues;
* statistic-set consistency: SampleCount > 0, Minimum <= Maximum, Sum within [Minimum, Maximum] x SampleCount
  (relative tolerance 1e-9);
* the future bound text ("...must specify a time no more than two hours in the future.");
* timestamps: ``datetime`` (naive = UTC) or epoch seconds; absent means ``now``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from awsmon.engines.stats import CloudWatchError

__all__ = ["CloudWatchError", "STANDARD_UNITS", "validate_put_metric_data"]

STANDARD_UNITS = frozenset(
    {
        "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
        "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
        "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second",
        "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
    }
)  # fmt: skip
MAX_DATUMS = 1000
MAX_ENTITY_METRIC_DATA = 2
MAX_DIMENSIONS = 30
MAX_VALUES = 150
VALUE_LIMIT = 2.0**360
PAST_WINDOW = 14 * 86400
FUTURE_WINDOW = 2 * 3600
STAT_FIELDS = ("SampleCount", "Sum", "Minimum", "Maximum")


def _invalid_value(value: object, parameter: str) -> CloudWatchError:
    return CloudWatchError(
        "InvalidParameterValue", f"The value {value} for parameter {parameter} is invalid."
    )


def _epoch(value: Any) -> float:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise TypeError(f"unsupported timestamp {value!r}")


def _fmt(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return repr(v)


def _number(value: Any, parameter: str) -> float:
    if isinstance(value, bool):
        raise _invalid_value(value, parameter)
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise _invalid_value(value, parameter) from None
    if math.isnan(v) or math.isinf(v) or abs(v) > VALUE_LIMIT:
        raise _invalid_value(_fmt(v), parameter)
    return v


def _name_ok(text: Any, max_len: int, *, colon_start_ok: bool = True) -> bool:
    if not isinstance(text, str) or not 1 <= len(text) <= max_len:
        return False
    if not text.isascii() or any(ord(c) < 32 or ord(c) == 127 for c in text):
        return False
    if not text.strip():
        return False
    return colon_start_ok or not text.startswith(":")


def _validate_namespace(namespace: Any) -> str:
    if namespace is None:
        raise CloudWatchError("MissingParameter", "The parameter Namespace is required.")
    if isinstance(namespace, str) and namespace.startswith("AWS/"):
        raise _invalid_value("AWS/", "Namespace")
    if not _name_ok(namespace, 255, colon_start_ok=False):
        raise _invalid_value(namespace, "Namespace")
    return namespace


def _validate_dimensions(dims: Any, prefix: str) -> tuple[tuple[str, str], ...]:
    if dims is None:
        return ()
    if not isinstance(dims, Sequence) or isinstance(dims, (str, bytes)):
        raise _invalid_value(dims, f"{prefix}.Dimensions")
    if len(dims) > MAX_DIMENSIONS:
        raise CloudWatchError(
            "InvalidParameterValue",
            f"The collection {prefix}.Dimensions must not have a size greater than {MAX_DIMENSIONS}.",
        )
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for j, dim in enumerate(dims, start=1):
        dp = f"{prefix}.Dimensions.member.{j}"
        name = dim.get("Name") if isinstance(dim, Mapping) else None
        value = dim.get("Value") if isinstance(dim, Mapping) else None
        if name is None:
            raise CloudWatchError("MissingParameter", f"The parameter {dp}.Name is required.")
        if value is None:
            raise CloudWatchError("MissingParameter", f"The parameter {dp}.Value is required.")
        if not _name_ok(name, 255, colon_start_ok=False):
            raise _invalid_value(name, f"{dp}.Name")
        if not _name_ok(value, 1024):
            raise _invalid_value(value, f"{dp}.Value")
        if name in seen:
            raise CloudWatchError(
                "InvalidParameterValue", f"The collection {prefix}.Dimensions contains duplicate name {name}."
            )
        seen.add(name)
        out.append((name, value))
    return tuple(sorted(out))


def _validate_datum(datum: Mapping[str, Any], p: str, index: int, now: float) -> dict[str, Any]:
    """Validate one datum; ``p`` is its parameter path (``MetricData.member.1``), ``index`` its 1-based index."""
    name = datum.get("MetricName")
    if name is None:
        raise CloudWatchError("MissingParameter", f"The parameter {p}.MetricName is required.")
    if not isinstance(name, str) or not 1 <= len(name) <= 255:
        raise _invalid_value(name, f"{p}.MetricName")
    has_value = "Value" in datum and datum["Value"] is not None
    has_values = "Values" in datum and datum["Values"] is not None
    has_stats = "StatisticValues" in datum and datum["StatisticValues"] is not None
    has_counts = "Counts" in datum and datum["Counts"] is not None
    if has_value and has_values:
        raise CloudWatchError(
            "InvalidParameterValue",
            f"The parameters {p}.Value and {p}.Values are mutually exclusive and you have specified both.",
        )
    if has_value and has_stats:
        raise CloudWatchError(
            "InvalidParameterCombination",
            f"The parameters {p}.Value and {p}.StatisticValues are mutually exclusive and you have specified both.",
        )
    if has_values and has_stats:
        raise CloudWatchError(
            "InvalidParameterCombination",
            f"The parameters {p}.Values and {p}.StatisticValues are mutually exclusive and you have specified both.",
        )
    if has_counts and not has_values:
        raise CloudWatchError("InvalidParameterCombination", f"The parameter {p}.Counts requires {p}.Values.")
    if not (has_value or has_values or has_stats):
        raise CloudWatchError(
            "MissingParameter", f"The parameter {p}.Value, {p}.Values or {p}.StatisticValues is required."
        )
    dims = _validate_dimensions(datum.get("Dimensions"), p)

    unit = datum.get("Unit", "None")
    if unit is None:
        unit = "None"
    if unit not in STANDARD_UNITS:
        raise _invalid_value(unit, f"{p}.Unit")
    resolution = datum.get("StorageResolution", 60)
    if resolution is None:
        resolution = 60
    if isinstance(resolution, bool) or resolution not in (1, 60):
        raise _invalid_value(resolution, f"{p}.StorageResolution")

    ts = now if datum.get("Timestamp") is None else _epoch(datum["Timestamp"])
    if ts < now - PAST_WINDOW:
        raise CloudWatchError(
            "InvalidParameterValue",
            f"The parameter {p}.Timestamp must specify a time within the past two weeks.",
        )
    if ts > now + FUTURE_WINDOW:
        raise CloudWatchError(
            "InvalidParameterValue",
            f"The parameter {p}.Timestamp must specify a time no more than two hours in the future.",
        )

    out: dict[str, Any] = {
        "MetricName": name,
        "Dimensions": dims,
        "Timestamp": ts,
        "Unit": unit,
        "StorageResolution": int(resolution),
    }
    if has_value:
        out["Values"] = [_number(datum["Value"], f"{p}.Value")]
        out["Counts"] = [1.0]
    elif has_values:
        values = datum["Values"]
        if not isinstance(values, list | tuple):
            raise _invalid_value(str(values), f"{p}.Values")
        if len(values) > MAX_VALUES:
            raise CloudWatchError(
                "InvalidParameterValue",
                f"The collection {p}.Values must not have a size greater than {MAX_VALUES}.",
            )
        counts = datum.get("Counts")
        if counts is not None and not isinstance(counts, list | tuple):
            raise _invalid_value(str(counts), f"{p}.Counts")
        if counts is not None and len(counts) != len(values):
            raise CloudWatchError(
                "InvalidParameterValue", f"The parameters {p}.Values and {p}.Counts must be of the same size."
            )
        out["Values"] = [_number(v, f"{p}.Values.member.{k}") for k, v in enumerate(values, start=1)]
        if counts is None:
            out["Counts"] = [1.0] * len(values)
        else:
            parsed = [_number(c, f"{p}.Counts.member.{k}") for k, c in enumerate(counts, start=1)]
            for k, c in enumerate(parsed, start=1):
                if c < 0:
                    raise _invalid_value(_fmt(c), f"{p}.Counts.member.{k}")
            out["Counts"] = parsed
    else:
        stats = datum["StatisticValues"]
        for fld in STAT_FIELDS:
            if not isinstance(stats, Mapping) or stats.get(fld) is None:
                raise CloudWatchError(
                    "MissingParameter",
                    f'Missing required parameter in MetricData[{index - 1}].StatisticValues: "{fld}"',
                )
        sv = {fld: _number(stats[fld], f"{p}.StatisticValues.{fld}") for fld in STAT_FIELDS}
        if sv["SampleCount"] <= 0:
            raise _invalid_value(_fmt(sv["SampleCount"]), f"{p}.StatisticValues.SampleCount")
        if sv["Minimum"] > sv["Maximum"]:
            raise CloudWatchError(
                "InvalidParameterValue",
                f"The parameter {p}.StatisticValues.Maximum must be greater than or equal to "
                f"{p}.StatisticValues.Minimum.",
            )
        low, high = sv["Minimum"] * sv["SampleCount"], sv["Maximum"] * sv["SampleCount"]
        slack = 1e-9 * max(abs(low), abs(high), 1.0)
        if not low - slack <= sv["Sum"] <= high + slack:
            raise CloudWatchError(
                "InvalidParameterValue",
                f"The parameter {p}.StatisticValues.Sum must be between Minimum x SampleCount and "
                "Maximum x SampleCount.",
            )
        out["StatisticValues"] = sv
    return out


def validate_put_metric_data(request: Mapping[str, Any], now: datetime | float) -> list[dict[str, Any]]:
    """Validate a PutMetricData request; return normalised datums or raise ``CloudWatchError``.

    Each returned datum has ``MetricName``, ``Dimensions`` (sorted ``(name, value)`` tuples), ``Timestamp`` (epoch
    seconds), ``Unit``, ``StorageResolution`` and either ``Values`` + ``Counts`` or ``StatisticValues``.
    """
    now_s = _epoch(now)
    namespace = _validate_namespace(request.get("Namespace"))
    data = request.get("MetricData")
    entity = request.get("EntityMetricData") or []
    if data is None and not entity:
        raise CloudWatchError("MissingParameter", "The parameter MetricData is required.")
    data = list(data or [])
    if len(entity) > MAX_ENTITY_METRIC_DATA:
        raise CloudWatchError(
            "InvalidParameterValue",
            f"The collection EntityMetricData must not have a size greater than {MAX_ENTITY_METRIC_DATA}.",
        )
    entity_datums = [d for item in entity for d in (item.get("MetricData") or [])]
    if len(data) + len(entity_datums) > MAX_DATUMS:
        raise CloudWatchError(
            "InvalidParameterValue",
            f"The collection MetricData must not have a size greater than {MAX_DATUMS}.",
        )
    out = []
    for i, datum in enumerate(data, start=1):
        out.append(_validate_datum(datum, f"MetricData.member.{i}", i, now_s))
    for e, item in enumerate(entity, start=1):
        for i, datum in enumerate(item.get("MetricData") or [], start=1):
            out.append(_validate_datum(datum, f"EntityMetricData.member.{e}.MetricData.member.{i}", i, now_s))
    for item in out:
        item["Namespace"] = namespace
    return out
