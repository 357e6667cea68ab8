"""CloudWatch anomaly detectors of the simulated account: PutAnomalyDetector, DescribeAnomalyDetectors,
DeleteAnomalyDetector.

A detector is identified by (namespace, metric name, dimensions, stat), given either in the legacy top-level form or
as ``SingleMetricAnomalyDetector``; both forms are returned by Describe, as AWS does. ``MetricMathAnomalyDetector``
is refused (the local band model trains on one stored metric). The band itself is computed on demand
(:mod:`awsmon.engines.anomaly`) from the stored history, honouring the detector's ``ExcludedTimeRanges``; the state
is ``TRAINED`` once the metric has data older than a day [design choice], else ``PENDING_TRAINING``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from awsmon.backends.local.base import api
from awsmon.backends.local.cloudwatch_metrics import detector_key
from awsmon.errors import ServiceError

STAT_RE = re.compile(
    r"(SampleCount|Average|Sum|Minimum|Maximum|IQM|(p|tc|tm|ts|wm)(\d{1,2}(\.\d{0,10})?|100)|[ou]\d+(\.\d*)?)"
    r"(_E|_L|_H)?"
)
MAX_DETECTORS = 500  # [design choice] AWS documents no per-Region count in the API reference


def _ts(value: Any, parameter: str) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, (int, float)):
        return float(value)
    try:
        from dateutil.parser import isoparse

        return isoparse(str(value)).timestamp()
    except (ValueError, OverflowError):
        raise ServiceError("InvalidParameterValue", f"The value {value} for parameter {parameter} is invalid.") from None


def _identity(params: Mapping[str, Any]) -> tuple[str, str, list[dict[str, str]], str]:
    single = params.get("SingleMetricAnomalyDetector")
    legacy = [k for k in ("Namespace", "MetricName", "Dimensions", "Stat") if params.get(k) is not None]
    if params.get("MetricMathAnomalyDetector") is not None:
        raise ServiceError("InvalidParameterValue", "MetricMathAnomalyDetector: not supported by the local engine "
                           "(the local band model trains on one stored metric; use --backend aws).")  # fmt: skip
    if single is not None and legacy:
        raise ServiceError("InvalidParameterCombination", "The parameters SingleMetricAnomalyDetector and "
                           f"{', '.join(legacy)} cannot be specified together.")  # fmt: skip
    src = single if single is not None else params
    if not isinstance(src, Mapping):
        raise ServiceError("InvalidParameterValue", "The value for parameter SingleMetricAnomalyDetector is invalid.")
    for name in ("Namespace", "MetricName", "Stat"):
        if not src.get(name):
            raise ServiceError("MissingParameter", f"The parameter {name} is required.")
    stat = str(src["Stat"])
    if len(stat) > 50 or not STAT_RE.fullmatch(stat):
        raise ServiceError("InvalidParameterValue", f"The value {stat} for parameter Stat is invalid.")
    dims = src.get("Dimensions") or []
    if not isinstance(dims, list) or len(dims) > 30 or not all(
        isinstance(d, Mapping) and d.get("Name") and d.get("Value") is not None for d in dims
    ):
        raise ServiceError("InvalidParameterValue", "The value for parameter Dimensions is invalid.")
    clean = [{"Name": str(d["Name"]), "Value": str(d["Value"])} for d in dims]
    return str(src["Namespace"]), str(src["MetricName"]), clean, stat


class AnomalyDetectorsMixin:
    """Mixed into LocalCloudWatch (uses its connection, clock, store and region)."""

    conn: Any
    region: str

    def _detector_body(self, namespace: str, metric: str, dims: list[dict[str, str]], stat: str,
                       configuration: Mapping[str, Any] | None, characteristics: Mapping[str, Any] | None
                       ) -> dict[str, Any]:  # fmt: skip
        body: dict[str, Any] = {"Namespace": namespace, "MetricName": metric, "Dimensions": dims, "Stat": stat}
        cfg: dict[str, Any] = {"ExcludedTimeRanges": []}
        if configuration:
            ranges = configuration.get("ExcludedTimeRanges") or []
            if not isinstance(ranges, list) or len(ranges) > 100:
                raise ServiceError("InvalidParameterValue", "The value for parameter ExcludedTimeRanges is invalid.")
            for i, r in enumerate(ranges, start=1):
                if not isinstance(r, Mapping) or r.get("StartTime") is None or r.get("EndTime") is None:
                    raise ServiceError("MissingParameter",
                                       f"The parameter Configuration.ExcludedTimeRanges.member.{i}.StartTime and "
                                       "EndTime are required.")  # fmt: skip
                s = _ts(r["StartTime"], "StartTime")
                e = _ts(r["EndTime"], "EndTime")
                if s >= e:
                    raise ServiceError("InvalidParameterValue",
                                       "The StartTime of an excluded time range must be before its EndTime.")  # fmt: skip
                cfg["ExcludedTimeRanges"].append({"StartTime": s, "EndTime": e})
            if configuration.get("MetricTimezone") is not None:
                cfg["MetricTimezone"] = str(configuration["MetricTimezone"])
        body["Configuration"] = cfg
        body["MetricCharacteristics"] = {"PeriodicSpikes": bool((characteristics or {}).get("PeriodicSpikes", False))}
        return body

    @api("PutAnomalyDetector")
    def put_anomaly_detector(self, **params: Any) -> dict[str, Any]:
        ns, metric, dims, stat = _identity(params)
        body = self._detector_body(ns, metric, dims, stat, params.get("Configuration"),
                                   params.get("MetricCharacteristics"))  # fmt: skip
        key = detector_key(ns, metric, {d["Name"]: d["Value"] for d in dims}, stat)
        exists = self.conn.execute("SELECT 1 FROM anomaly_detectors WHERE region = ? AND key = ?",
                                   (self.region, key)).fetchone()  # fmt: skip
        if exists is None:
            (count,) = self.conn.execute("SELECT count(*) FROM anomaly_detectors WHERE region = ?",
                                         (self.region,)).fetchone()  # fmt: skip
            if count >= MAX_DETECTORS:
                raise ServiceError("LimitExceededException", "The maximum number of anomaly detectors is reached.")
        now = int(self.now().timestamp() * 1000)  # type: ignore[attr-defined]
        self.conn.execute(
            "INSERT INTO anomaly_detectors (region, key, body, created_ms) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (region, key) DO UPDATE SET body = excluded.body",
            (self.region, key, json.dumps(body), now),
        )
        return {}

    def _state(self, body: Mapping[str, Any]) -> str:
        from awsmon.backends.local.cloudwatch_metrics import _find_metric

        mid = _find_metric(self.store, self.region, body["Namespace"], body["MetricName"],  # type: ignore[attr-defined]
                           {d["Name"]: d["Value"] for d in body["Dimensions"]})  # fmt: skip
        if mid is None:
            return "PENDING_TRAINING"
        row = self.conn.execute("SELECT min(ts) FROM metric_data WHERE metric_id = ?", (mid,)).fetchone()
        if row[0] is None:
            return "PENDING_TRAINING"
        age = self.now().timestamp() - row[0]  # type: ignore[attr-defined]
        return "TRAINED" if age >= 86400 else "PENDING_TRAINING"

    def _describe(self, body: Mapping[str, Any]) -> dict[str, Any]:
        from awsmon.backends.local.cloudwatch_metrics import _dt

        ident = {k: body[k] for k in ("Namespace", "MetricName", "Dimensions", "Stat")}
        cfg = dict(body["Configuration"])
        cfg["ExcludedTimeRanges"] = [{"StartTime": _dt(r["StartTime"]), "EndTime": _dt(r["EndTime"])}
                                     for r in cfg["ExcludedTimeRanges"]]  # fmt: skip
        return {**ident, "Configuration": cfg, "StateValue": self._state(body),
                "MetricCharacteristics": body["MetricCharacteristics"],
                "SingleMetricAnomalyDetector": {"AccountId": self.account_id, **ident}}  # type: ignore[attr-defined]

    @api("DescribeAnomalyDetectors")
    def describe_anomaly_detectors(self, *, NextToken: str | None = None, MaxResults: int | None = None,
                                   Namespace: str | None = None, MetricName: str | None = None,
                                   Dimensions: list[dict[str, str]] | None = None,
                                   AnomalyDetectorTypes: list[str] | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        for t in AnomalyDetectorTypes or []:
            if t not in ("SINGLE_METRIC", "METRIC_MATH"):
                raise ServiceError("InvalidParameterValue", f"The value {t} for parameter AnomalyDetectorTypes is invalid.")
        limit = 100 if MaxResults is None else int(MaxResults)
        if not 1 <= limit <= 100:
            raise ServiceError("InvalidParameterValue", f"The value {MaxResults} for parameter MaxResults is invalid.")
        rows = self.conn.execute("SELECT key, body FROM anomaly_detectors WHERE region = ? ORDER BY key",
                                 (self.region,)).fetchall()  # fmt: skip
        want = {(d["Name"], d["Value"]) for d in Dimensions or []}
        found = []
        for _key, raw in rows:
            body = json.loads(raw)
            if Namespace and body["Namespace"] != Namespace or MetricName and body["MetricName"] != MetricName:
                continue
            if want and not want <= {(d["Name"], d["Value"]) for d in body["Dimensions"]}:
                continue
            if AnomalyDetectorTypes and "SINGLE_METRIC" not in AnomalyDetectorTypes:
                continue
            found.append(body)
        skip = int(NextToken) if NextToken and NextToken.isdigit() else 0
        if NextToken and not NextToken.isdigit():
            raise ServiceError("InvalidNextToken", "The service returned an invalid next token.")
        page = found[skip : skip + limit]
        out: dict[str, Any] = {"AnomalyDetectors": [self._describe(b) for b in page]}
        if skip + limit < len(found):
            out["NextToken"] = str(skip + limit)
        return out

    @api("DeleteAnomalyDetector")
    def delete_anomaly_detector(self, **params: Any) -> dict[str, Any]:
        ns, metric, dims, stat = _identity(params)
        key = detector_key(ns, metric, {d["Name"]: d["Value"] for d in dims}, stat)
        cur = self.conn.execute("DELETE FROM anomaly_detectors WHERE region = ? AND key = ?", (self.region, key))
        if cur.rowcount == 0:
            raise ServiceError("ResourceNotFoundException", "No anomaly detector found for the given metric.",
                               status=404)  # fmt: skip
        return {}

