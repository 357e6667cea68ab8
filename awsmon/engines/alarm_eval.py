"""Metric-alarm evaluation (spec §3.2-§3.9): the state rule, reason text and data, notifications and history items.

The state rule is ``decide_state`` (spec §3.4); ``evaluate_metric_alarm`` wraps it with the comparison operator,
bucket timestamps, reason text, ``StateReasonData`` and an ``explain`` structure. Everything is pure: inputs are the
bucket values of the evaluation range (oldest first, ``None`` = missing) and epoch-second timestamps.

Design choices ([design choice], see docs/metrics-alarms.md):
* evaluation range R = N + max(2, floor(N/3)), configurable through ``evaluation_range(n, minimum_extra, divisor)``;
* "age" for the premature-alarm rule is measured across the whole evaluation range (newest bucket has age 1);
* real points that are all breaching but fewer than M, and not premature, give OK;
* EvaluateLowSampleCountPercentile=ignore: if any present bucket of the range is low-sample, the state is retained;
* reason text uses the "K out of the last N datapoints" form by default (``style="out_of_last"``); ``style="short"``
  and ``style="recent"`` render the two other formats AWS emits. The datapoints listed are those supporting the new
  state (breaching for ALARM, non-breaching for OK); when there are none, the other real points are listed with
  their own phrase, so every sentence stays true;
* ``StateReasonData.recentDatapoints`` lists the evaluated real values oldest first, ``evaluatedDatapoints`` newest
  first, missing buckets as ``{"timestamp": ...}`` only; ``startDate`` is the oldest evaluated bucket;
* anomaly-band operators are evaluated only when the caller supplies the band per bucket (the local engine has no
  anomaly model); without bands they raise ``CloudWatchError``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from awsmon.engines.stats import CloudWatchError, is_low_sample, parse_statistic

__all__ = [
    "ANOMALY_OPERATORS",
    "CloudWatchError",
    "Evaluation",
    "STATIC_OPERATORS",
    "action_history_item",
    "alarm_bucket_starts",
    "breaches",
    "configuration_update_history_item",
    "decide_state",
    "email_intro",
    "evaluate_metric_alarm",
    "evaluation_range",
    "format_aws_date",
    "format_iso",
    "java_double",
    "region_long_name",
    "sns_notification",
    "sns_subject",
    "state_update_history_item",
    "validate_alarm_periods",
]

OK, ALARM, INSUFFICIENT_DATA = "OK", "ALARM", "INSUFFICIENT_DATA"
TREAT_MISSING = ("missing", "ignore", "breaching", "notBreaching")
INITIAL_STATE = INSUFFICIENT_DATA
INITIAL_REASON = "Unchecked: Initial alarm creation"

STATIC_OPERATORS: dict[str, str] = {
    "GreaterThanOrEqualToThreshold": "greater than or equal to",
    "GreaterThanThreshold": "greater than",
    "LessThanThreshold": "less than",
    "LessThanOrEqualToThreshold": "less than or equal to",
}
ANOMALY_OPERATORS = (
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
)


def evaluation_range(n: int, minimum_extra: int = 2, divisor: int = 3) -> int:
    """Buckets fetched for an alarm with EvaluationPeriods ``n``: N + max(2, floor(N/3)) by default."""
    return n + max(minimum_extra, n // divisor)


def validate_alarm_periods(
    period: int, evaluation_periods: int, datapoints_to_alarm: int | None = None
) -> None:
    """PutMetricAlarm period rules (spec §3.1) with AWS-style InvalidParameterValue errors [design choice: texts]."""
    if period not in (10, 20, 30) and (period <= 0 or period % 60 != 0):
        raise CloudWatchError("InvalidParameterValue", f"The value {period} for parameter Period is invalid.")
    if evaluation_periods < 1:
        raise CloudWatchError(
            "InvalidParameterValue",
            f"The value {evaluation_periods} for parameter EvaluationPeriods is invalid.",
        )
    limit = 86400 if period < 3600 else 604800
    if period * evaluation_periods > limit:
        raise CloudWatchError(
            "InvalidParameterValue",
            f"The evaluation period multiplied by the number of evaluation periods cannot exceed {limit} seconds "
            f"(Period {period} x EvaluationPeriods {evaluation_periods}).",
        )
    if datapoints_to_alarm is not None and not 1 <= datapoints_to_alarm <= evaluation_periods:
        raise CloudWatchError(
            "InvalidParameterValue",
            f"The value {datapoints_to_alarm} for parameter DatapointsToAlarm is invalid. DatapointsToAlarm must be "
            "between 1 and EvaluationPeriods.",
        )


# --------------------------------------------------------------------------------------------------------------
# The state rule (spec §3.4).


@dataclass
class Decision:
    """Outcome of ``decide_state``; ``state`` is None when the current state is retained."""

    state: str | None
    branch: str
    evaluated: list[int]  # indexes into the range, oldest first
    breaching: list[int]
    filled: int = 0
    treated_as: str | None = None
    premature: bool = False


def decide_state(
    breach: Sequence[bool | None],
    evaluation_periods: int,
    datapoints_to_alarm: int | None,
    treat_missing_data: str,
) -> Decision:
    """Apply the §3.4 rule to the breach flags of the evaluation range (oldest first; None = missing)."""
    if treat_missing_data not in TREAT_MISSING:
        raise CloudWatchError(
            "InvalidParameterValue",
            f"The value {treat_missing_data} for parameter TreatMissingData is invalid.",
        )
    n = evaluation_periods
    m = n if datapoints_to_alarm is None else datapoints_to_alarm
    real = [i for i, b in enumerate(breach) if b is not None]
    if not real:
        state = {"missing": INSUFFICIENT_DATA, "ignore": None, "breaching": ALARM, "notBreaching": OK}[
            treat_missing_data
        ]
        treated = {"breaching": "Breaching", "notBreaching": "NonBreaching"}.get(treat_missing_data)
        return Decision(state, "no-data", [], [], filled=n if treated else 0, treated_as=treated)
    if len(real) >= n:
        window = real[-n:]
        hits = [i for i in window if breach[i]]
        return Decision(ALARM if len(hits) >= m else OK, "enough-data", window, hits)
    hits = [i for i in real if breach[i]]
    b, f = len(hits), n - len(real)
    if treat_missing_data == "breaching":
        return Decision(ALARM if b + f >= m else OK, "filled", real, hits, f, "Breaching")
    if treat_missing_data == "notBreaching":
        return Decision(ALARM if b >= m else OK, "filled", real, hits, f, "NonBreaching")
    if b >= m:
        return Decision(ALARM, "partial-data", real, hits)
    oldest_age = len(breach) - real[0]
    premature = b == len(real) and oldest_age >= m
    if premature:
        state = ALARM if treat_missing_data == "missing" else None
        return Decision(state, "premature", real, hits, premature=True)
    return Decision(OK, "partial-data", real, hits)


def breaches(
    values: Sequence[float | None],
    comparison_operator: str,
    threshold: float | None = None,
    bands: Sequence[tuple[float, float] | None] | None = None,
) -> list[bool | None]:
    """Breach flag per bucket (statistic value is the left operand); None where the value is missing."""
    if comparison_operator in STATIC_OPERATORS:
        if threshold is None:
            raise CloudWatchError("MissingParameter", "The parameter Threshold is required.")
        t = float(threshold)
        cmp = {
            "GreaterThanOrEqualToThreshold": lambda v: v >= t,
            "GreaterThanThreshold": lambda v: v > t,
            "LessThanThreshold": lambda v: v < t,
            "LessThanOrEqualToThreshold": lambda v: v <= t,
        }[comparison_operator]
        return [None if v is None else bool(cmp(v)) for v in values]
    if comparison_operator in ANOMALY_OPERATORS:
        if bands is None or len(bands) != len(values):
            raise CloudWatchError(
                "ValidationError",
                f"Comparison operator {comparison_operator} needs an anomaly detection band for every evaluated "
                "period (ThresholdMetricId); the local engine has no anomaly detection model.",
            )
        out: list[bool | None] = []
        for v, band in zip(values, bands, strict=True):
            if v is None or band is None:
                out.append(None)
                continue
            lower, upper = band
            low, high = v < lower, v > upper
            out.append(
                low or high
                if comparison_operator == "LessThanLowerOrGreaterThanUpperThreshold"
                else low
                if comparison_operator == "LessThanLowerThreshold"
                else high
            )
        return out
    raise CloudWatchError(
        "InvalidParameterValue",
        f"The value {comparison_operator} for parameter ComparisonOperator is invalid.",
    )


# --------------------------------------------------------------------------------------------------------------
# Formatting helpers.


def java_double(value: float) -> str:
    """Java ``Double.toString`` (AWS prints numbers this way: ``6.0``, ``1.0E7``, ``1.0E-4``)."""
    v = float(value)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    if v == 0 or 1e-3 <= abs(v) < 1e7:
        text = repr(v)
        if "e" in text or "E" in text:  # repr never uses exponents in this range, kept for safety
            text = f"{v:f}"
        return text
    sign, digits, exp = Decimal(repr(v)).as_tuple()
    ds = "".join(map(str, digits)).rstrip("0") or "0"
    exponent = int(exp) + len(digits) - 1
    mantissa = ds[0] + "." + (ds[1:] or "0")
    return f"{'-' if sign else ''}{mantissa}E{exponent}"


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def format_iso(ts: float) -> str:
    """``2023-04-07T09:09:15.917+0000`` (StateReasonData, SNS timestamps)."""
    d = _dt(ts)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}+0000"


def format_reason_ts(ts: float) -> str:
    """``26/10/24 18:59:00`` (dd/MM/yy HH:mm:ss UTC), as in reason strings."""
    return _dt(ts).strftime("%d/%m/%y %H:%M:%S")


def format_aws_date(ts: float) -> str:
    """``Wednesday 03 September, 2025 06:25:33 UTC`` (alarm e-mails and composite reasons)."""
    return _dt(ts).strftime("%A %d %B, %Y %H:%M:%S") + " UTC"


def alarm_bucket_starts(query_date: float, period: int, count: int) -> list[float]:
    """Bucket starts (oldest first) of an evaluation at ``query_date`` (corpus TA-9).

    T = query_date truncated to the minute (to 10 s for 10/20/30-second alarms); bucket k (0 = newest) is
    [T - (k+1)P, T - kP).
    """
    unit = 10 if period < 60 else 60
    t = math.floor(query_date / unit) * unit
    return [float(t - (k + 1) * period) for k in range(count - 1, -1, -1)]


# --------------------------------------------------------------------------------------------------------------
# Full evaluation with reason text and data.


@dataclass
class Evaluation:
    """Result of one metric-alarm evaluation."""

    new_state: str  # the resulting state (== current state when retained)
    retained: bool
    changed: bool
    reason: str | None  # None when the state is retained (the previous reason stays)
    reason_data: dict[str, Any] | None
    explain: dict[str, Any] = field(default_factory=dict)

    @property
    def reason_data_json(self) -> str | None:
        return None if self.reason_data is None else json.dumps(self.reason_data, separators=(",", ":"))


def _plural(k: int, word: str = "datapoint") -> str:
    return f"{k} {word}" + ("" if k == 1 else "s")


def _missing(k: int) -> str:
    return f"{k} missing datapoint" + ("" if k == 1 else "s")


def _was(k: int) -> str:
    return "was" if k == 1 else "were"


def evaluate_metric_alarm(
    values: Sequence[float | None],
    *,
    comparison_operator: str,
    evaluation_periods: int,
    threshold: float | None = None,
    datapoints_to_alarm: int | None = None,
    treat_missing_data: str = "missing",
    current_state: str = INITIAL_STATE,
    query_date: float = 0.0,
    period: int = 60,
    statistic: str | None = "Average",
    extended_statistic: str | None = None,
    unit: str | None = None,
    namespace: str | None = None,
    sample_counts: Sequence[float | None] | None = None,
    evaluate_low_sample_count_percentile: str = "evaluate",
    bands: Sequence[tuple[float, float] | None] | None = None,
    style: str = "out_of_last",
) -> Evaluation:
    """Evaluate a metric alarm over the bucket values of its evaluation range (oldest first, None = missing).

    ``query_date`` is the evaluation instant; bucket timestamps follow ``alarm_bucket_starts``. ``sample_counts``
    (per bucket) enables the EvaluateLowSampleCountPercentile rule for percentile alarms.
    """
    if namespace == "AWS/DynamoDB":
        treat_missing_data = "ignore"  # AWS: DynamoDB alarms always ignore missing data [doc]
    stamps = alarm_bucket_starts(query_date, period, len(values))
    flags = breaches(values, comparison_operator, threshold, bands)
    decision = decide_state(flags, evaluation_periods, datapoints_to_alarm, treat_missing_data)
    n = evaluation_periods
    m = n if datapoints_to_alarm is None else datapoints_to_alarm

    low_sample: list[int] = []
    if extended_statistic and sample_counts is not None:
        stat = parse_statistic(extended_statistic, "ExtendedStatistic")
        if stat.kind == "p" and stat.hi is not None:
            low_sample = [
                i
                for i, (v, c) in enumerate(zip(values, sample_counts, strict=True))
                if v is not None and c is not None and is_low_sample(stat.hi, c)
            ]
    retain_low = bool(low_sample) and evaluate_low_sample_count_percentile == "ignore"

    new_state = None if retain_low else decision.state
    retained = new_state is None
    final = current_state if new_state is None else new_state
    explain: dict[str, Any] = {
        "range": [
            {
                "timestamp": stamps[i],
                "value": values[i],
                "breaching": flags[i],
                "evaluated": i in decision.evaluated,
                "low_sample": i in low_sample,
            }
            for i in range(len(values))
        ],
        "evaluation_periods": n,
        "datapoints_to_alarm": m,
        "treat_missing_data": treat_missing_data,
        "branch": "low-sample-retained" if retain_low else decision.branch,
        "filled": decision.filled,
        "treated_as": decision.treated_as,
        "premature": decision.premature,
        "breaching_count": len(decision.breaching),
        "real_count": sum(1 for v in values if v is not None),
        "state": final,
        "retained": retained,
        "why": _why(decision, retain_low, n, m, treat_missing_data),
    }
    if retained:
        return Evaluation(final, True, False, None, None, explain)
    assert new_state is not None
    reason = _reason_text(
        new_state, decision, values, flags, stamps, comparison_operator, threshold, bands, n, m, style
    )
    data = _reason_data(
        decision,
        values,
        stamps,
        query_date,
        period,
        statistic,
        extended_statistic,
        unit,
        threshold,
        bands,
        sample_counts,
        n,
        comparison_operator,
    )
    return Evaluation(final, False, final != current_state, reason, data, explain)


def _why(d: Decision, retain_low: bool, n: int, m: int, treat: str) -> str:
    if retain_low:
        return (
            "a percentile bucket has too few samples and EvaluateLowSampleCountPercentile=ignore: state kept"
        )
    if d.branch == "no-data":
        return f"no datapoints in the evaluation range; TreatMissingData={treat}"
    if d.branch == "enough-data":
        return f"{len(d.breaching)} of the {n} most recent real datapoints breach (need {m})"
    if d.branch == "filled":
        return (
            f"{len(d.evaluated)} real datapoints ({len(d.breaching)} breaching) plus {d.filled} missing treated as "
            f"{d.treated_as} (need {m} breaching of {n})"
        )
    if d.branch == "premature":
        return (
            f"all {len(d.evaluated)} real datapoints breach and the oldest is at least {m} periods old: premature "
            "ALARM rule" + (" (ignore: state kept)" if d.state is None else "")
        )
    return f"{len(d.breaching)} breaching of {len(d.evaluated)} real datapoints (need {m}); missing data not filled"


def _reason_text(
    state: str,
    d: Decision,
    values: Sequence[float | None],
    flags: Sequence[bool | None],
    stamps: Sequence[float],
    op: str,
    threshold: float | None,
    bands: Sequence[tuple[float, float] | None] | None,
    n: int,
    m: int,
    style: str,
) -> str:
    if d.branch == "no-data":
        if state == INSUFFICIENT_DATA:
            return f"Insufficient Data: {_plural(n)} {_was(n)} unknown."
        return (
            f"Threshold Crossed: no datapoints were received for {_plural(n, 'period')} and "
            f"{_missing(d.filled)} {_was(d.filled)} treated as [{d.treated_as}]."
        )
    want_breach = state == ALARM
    listed = [i for i in d.evaluated if flags[i] is want_breach]
    positive = True
    if not listed:
        listed = [i for i in d.evaluated if flags[i] is not want_breach]
        positive = False
    listed_breach = want_breach if positive else not want_breach
    newest_first = sorted(listed, reverse=True)
    k = len(newest_first)
    anomaly = op in ANOMALY_OPERATORS
    if anomaly:
        assert bands is not None
        lower = ", ".join(java_double(bands[i][0]) for i in newest_first)  # type: ignore[index]
        upper = ", ".join(java_double(bands[i][1]) for i in newest_first)  # type: ignore[index]
        parts = {
            "LessThanLowerOrGreaterThanUpperThreshold": (
                f"less than the lower thresholds [{lower}] or greater than the upper thresholds [{upper}]"
            ),
            "LessThanLowerThreshold": f"less than the lower thresholds [{lower}]",
            "GreaterThanUpperThreshold": f"greater than the upper thresholds [{upper}]",
        }
        relation = parts[op] if listed_breach else "not " + parts[op]
        head = "Thresholds Crossed"
    else:
        phrase = STATIC_OPERATORS[op]
        relation = (
            f"{phrase if listed_breach else 'not ' + phrase} the threshold ({java_double(threshold or 0.0)})"
        )
        head = "Threshold Crossed"
    points = ", ".join(f"{java_double(values[i])} ({format_reason_ts(stamps[i])})" for i in newest_first)  # type: ignore[arg-type]
    fill = ""
    if d.filled:
        fill = f" and {_missing(d.filled)} {_was(d.filled)} treated as [{d.treated_as}]"
    if style == "short":
        return f"{head}: {_plural(k)} [{points}] {_was(k)} {relation}{fill}."
    if style == "recent":
        return (
            f"{head}: {_plural(k)} {_was(k)} {relation}{fill}. The most recent datapoints which crossed the "
            f"threshold: [{points}]."
        )
    if listed_breach:
        minimum = f"(minimum {_plural(m)} for OK -> ALARM transition)"
    else:
        minimum = f"(minimum {_plural(n - m + 1)} for ALARM -> OK transition)"
    return f"{head}: {k} out of the last {n} datapoints [{points}] {_was(k)} {relation}{fill} {minimum}."


def _reason_data(
    d: Decision,
    values: Sequence[float | None],
    stamps: Sequence[float],
    query_date: float,
    period: int,
    statistic: str | None,
    extended_statistic: str | None,
    unit: str | None,
    threshold: float | None,
    bands: Sequence[tuple[float, float] | None] | None,
    sample_counts: Sequence[float | None] | None,
    n: int,
    op: str,
) -> dict[str, Any]:
    # Evaluated slots: from the oldest real point used (or at least the last N buckets) to the newest bucket.
    first = max(0, len(values) - n)
    if d.evaluated:
        first = min(first, d.evaluated[0])
    span = list(range(first, len(values)))
    data: dict[str, Any] = {
        "version": "1.0",
        "queryDate": format_iso(query_date),
        "startDate": format_iso(stamps[span[0]]),
    }
    if unit is not None:
        data["unit"] = unit
    if extended_statistic:
        data["extendedStatistic"] = extended_statistic
    elif statistic:
        data["statistic"] = statistic
    data["period"] = period
    data["recentDatapoints"] = [float(values[i]) for i in span if values[i] is not None]  # type: ignore[arg-type]
    # Anomaly alarms: the band side(s) the operator uses, per present bucket.
    use_upper = op in ("LessThanLowerOrGreaterThanUpperThreshold", "GreaterThanUpperThreshold")
    use_lower = op in ("LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold")
    if bands is not None and op in ANOMALY_OPERATORS:
        present = [i for i in span if values[i] is not None and bands[i] is not None]
        if use_upper:
            data["recentUpperThresholds"] = [float(bands[i][1]) for i in present]  # type: ignore[index]
        if use_lower:
            data["recentLowerThresholds"] = [float(bands[i][0]) for i in present]  # type: ignore[index]
    elif threshold is not None:
        data["threshold"] = float(threshold)
    evaluated: list[dict[str, Any]] = []
    for i in reversed(span):
        item: dict[str, Any] = {"timestamp": format_iso(stamps[i])}
        if values[i] is not None:
            if sample_counts is not None and sample_counts[i] is not None:
                item["sampleCount"] = float(sample_counts[i])  # type: ignore[arg-type]
            item["value"] = float(values[i])  # type: ignore[arg-type]
            if bands is not None and op in ANOMALY_OPERATORS and bands[i] is not None:
                item["threshold"] = float(bands[i][1] if use_upper else bands[i][0])  # type: ignore[index]
        evaluated.append(item)
    data["evaluatedDatapoints"] = evaluated
    return data


# --------------------------------------------------------------------------------------------------------------
# Notifications and history items (spec §3.8, §3.9).

REGION_NAMES: dict[str, str] = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "ca-central-1": "Canada (Central)",
    "ca-west-1": "Canada West (Calgary)",
    "sa-east-1": "South America (Sao Paulo)",
    "eu-north-1": "EU (Stockholm)",
    "eu-west-1": "EU (Ireland)",
    "eu-west-2": "EU (London)",
    "eu-west-3": "EU (Paris)",
    "eu-central-1": "EU (Frankfurt)",
    "eu-central-2": "EU (Zurich)",
    "eu-south-1": "EU (Milan)",
    "eu-south-2": "EU (Spain)",
    "af-south-1": "Africa (Cape Town)",
    "me-south-1": "Middle East (Bahrain)",
    "me-central-1": "Middle East (UAE)",
    "il-central-1": "Israel (Tel Aviv)",
    "ap-east-1": "Asia Pacific (Hong Kong)",
    "ap-south-1": "Asia Pacific (Mumbai)",
    "ap-south-2": "Asia Pacific (Hyderabad)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-northeast-2": "Asia Pacific (Seoul)",
    "ap-northeast-3": "Asia Pacific (Osaka)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-southeast-2": "Asia Pacific (Sydney)",
    "ap-southeast-3": "Asia Pacific (Jakarta)",
    "ap-southeast-4": "Asia Pacific (Melbourne)",
}


def region_long_name(region: str) -> str:
    """AWS's long region name as used in alarm notifications; unknown codes are returned unchanged."""
    return REGION_NAMES.get(region, region)


def sns_subject(new_state: str, alarm_name: str, region: str) -> str:
    """``ALARM: "Test alarm" in Canada (Central)``."""
    return f'{new_state}: "{alarm_name}" in {region_long_name(region)}'


def email_intro(alarm_name: str, region: str, new_state: str, reason: str, when: float) -> str:
    return (
        f'You are receiving this email because your Amazon CloudWatch Alarm "{alarm_name}" in the '
        f'{region_long_name(region)} region has entered the {new_state} state, because "{reason}" at '
        f'"{format_aws_date(when)}".'
    )


def sns_notification(
    alarm: Mapping[str, Any],
    *,
    account_id: str,
    region: str,
    old_state: str,
    new_state: str,
    new_reason: str,
    state_change_time: float,
) -> dict[str, Any]:
    """The JSON message CloudWatch publishes to SNS; ``alarm`` is a DescribeAlarms-shaped metric alarm.

    Timestamps in ``alarm`` (``AlarmConfigurationUpdatedTimestamp``) are epoch seconds.
    """
    name = alarm["AlarmName"]
    extended = alarm.get("ExtendedStatistic")
    trigger: dict[str, Any] = {
        "MetricName": alarm.get("MetricName"),
        "Namespace": alarm.get("Namespace"),
        "StatisticType": "ExtendedStatistic" if extended else "Statistic",
        "Statistic": extended if extended else str(alarm.get("Statistic", "")).upper(),
        "Unit": alarm.get("Unit"),
        "Dimensions": [{"value": d["Value"], "name": d["Name"]} for d in alarm.get("Dimensions", [])],
        "Period": alarm.get("Period"),
        "EvaluationPeriods": alarm.get("EvaluationPeriods"),
        "DatapointsToAlarm": alarm.get("DatapointsToAlarm", alarm.get("EvaluationPeriods")),
        "ComparisonOperator": alarm.get("ComparisonOperator"),
        "Threshold": alarm.get("Threshold"),
        "TreatMissingData": alarm.get("TreatMissingData", "missing"),
        "EvaluateLowSampleCountPercentile": alarm.get("EvaluateLowSampleCountPercentile", ""),
    }
    updated = alarm.get("AlarmConfigurationUpdatedTimestamp")
    return {
        "AlarmName": name,
        "AlarmDescription": alarm.get("AlarmDescription"),
        "AWSAccountId": account_id,
        "AlarmConfigurationUpdatedTimestamp": format_iso(updated) if updated is not None else None,
        "NewStateValue": new_state,
        "NewStateReason": new_reason,
        "StateChangeTime": format_iso(state_change_time),
        "Region": region_long_name(region),
        "AlarmArn": alarm.get("AlarmArn", f"arn:aws:cloudwatch:{region}:{account_id}:alarm:{name}"),
        "OldStateValue": old_state,
        "OKActions": list(alarm.get("OKActions", [])),
        "AlarmActions": list(alarm.get("AlarmActions", [])),
        "InsufficientDataActions": list(alarm.get("InsufficientDataActions", [])),
        "Trigger": trigger,
    }


def state_update_history_item(
    alarm_name: str,
    *,
    old_state: str,
    old_reason: str,
    new_state: str,
    new_reason: str,
    new_reason_data: Mapping[str, Any] | None,
    timestamp: float,
    alarm_type: str = "MetricAlarm",
) -> dict[str, Any]:
    new: dict[str, Any] = {"stateValue": new_state, "stateReason": new_reason}
    if new_reason_data is not None:
        new["stateReasonData"] = dict(new_reason_data)
    data = {
        "version": "1.0",
        "oldState": {"stateValue": old_state, "stateReason": old_reason},
        "newState": new,
    }
    return {
        "AlarmName": alarm_name,
        "AlarmType": alarm_type,
        "Timestamp": timestamp,
        "HistoryItemType": "StateUpdate",
        "HistorySummary": f"Alarm updated from {old_state} to {new_state}",
        "HistoryData": json.dumps(data, separators=(",", ":")),
    }


def _camel(alarm: Mapping[str, Any]) -> dict[str, Any]:
    # DescribeAlarms keys -> history keys: first letter lowercased (AlarmName -> alarmName, OKActions -> oKActions).
    return {k[:1].lower() + k[1:]: v for k, v in alarm.items()}


def configuration_update_history_item(
    alarm: Mapping[str, Any],
    kind: str,
    *,
    timestamp: float,
    previous: Mapping[str, Any] | None = None,
    alarm_type: str = "MetricAlarm",
) -> dict[str, Any]:
    """``kind`` is Create, Update or Delete; summary ``Alarm "name" created|updated|deleted``."""
    name = alarm["AlarmName"]
    data: dict[str, Any] = {"version": "1.0", "type": kind}
    if kind == "Create":
        data["createdAlarm"] = _camel(alarm)
    elif kind == "Update":
        data["originalUpdatedAlarm"] = _camel(previous or {})
        data["updatedAlarm"] = _camel(alarm)
    elif kind == "Delete":
        data["deletedAlarm"] = _camel(alarm)
    else:
        raise ValueError(f"unknown configuration update kind {kind!r}")
    verb = {"Create": "created", "Update": "updated", "Delete": "deleted"}[kind]
    return {
        "AlarmName": name,
        "AlarmType": alarm_type,
        "Timestamp": timestamp,
        "HistoryItemType": "ConfigurationUpdate",
        "HistorySummary": f'Alarm "{name}" {verb}',
        "HistoryData": json.dumps(data, separators=(",", ":"), default=str),
    }


def action_history_item(
    alarm_name: str,
    action_arn: str,
    *,
    timestamp: float,
    succeeded: bool = True,
    failure_reason: str | None = None,
    alarm_type: str = "MetricAlarm",
) -> dict[str, Any]:
    if succeeded:
        summary = f"Successfully executed action {action_arn}"
        data = {"actionState": "Succeeded", "notificationResource": action_arn}
    else:
        summary = f"Failed to execute action {action_arn}. Reason: {failure_reason or 'InternalFailure'}"
        data = {"actionState": "Failed", "notificationResource": action_arn}
    return {
        "AlarmName": alarm_name,
        "AlarmType": alarm_type,
        "Timestamp": timestamp,
        "HistoryItemType": "Action",
        "HistorySummary": summary[:255],
        "HistoryData": json.dumps(data, separators=(",", ":")),
    }
