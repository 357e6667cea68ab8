"""CloudWatch alarms of the simulated account: the alarm APIs, local evaluation, actions and composite alarms.

Evaluation (spec §3.2-§3.4) is scheduler work of kind ``alarms.evaluate`` (one item per region). A run replays every
evaluation instant from its due time up to the clock (or up to the next item of another kind, so work stays in time
order): minute boundaries, or 10-second boundaries for 10/20/30-second alarms. At each instant the alarms due are
evaluated in name order with one SQL aggregate over their evaluation range (the metrics store's
``query_statistics`` / ``query_metric_data``, read "as of" that instant), then composite alarms whose children
changed are re-evaluated in dependency order, then ActionsSuppressor timers that end at that instant run.

Skip-ahead rule [design choice, documented in docs/alarms.md]: when an evaluation finds no value at all in its
evaluation range, its outcome depends only on TreatMissingData, and the alarm is already in that outcome after the
evaluation (or keeps its state for ``ignore``). Every later evaluation gives the same outcome until a datum with a
timestamp at or after the range's end enters the range, so the alarm's next evaluation jumps to the first instant
after the next stored datum, or the alarm sleeps (``next_eval_ms`` NULL) when there is none. Sleeping and jumping
alarms are re-checked against the store at the start of every run (new data wakes them), and SetAlarmState or a
configuration update wakes them at the next instant. Advancing the clock by days therefore costs what the data
makes necessary, not one evaluation per minute.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from awsmon.backends.local import scheduler
from awsmon.backends.local.base import api, equal_filters
from awsmon.errors import ServiceError

if TYPE_CHECKING:
    from awsmon.backends.local.store import AccountStore

JOB_KIND = "alarms.evaluate"
scheduler.register(JOB_KIND, "awsmon.backends.local.cloudwatch_alarms:run_evaluate")

STATES = ("OK", "ALARM", "INSUFFICIENT_DATA")
ACTION_KEYS = {"OK": "OKActions", "ALARM": "AlarmActions", "INSUFFICIENT_DATA": "InsufficientDataActions"}
UNITS = frozenset(
    "Seconds Microseconds Milliseconds Bytes Kilobytes Megabytes Gigabytes Terabytes Bits Kilobits Megabits Gigabits "
    "Terabits Percent Count Bytes/Second Kilobytes/Second Megabytes/Second Gigabytes/Second Terabytes/Second "
    "Bits/Second Kilobits/Second Megabits/Second Gigabits/Second Terabits/Second Count/Second None".split()
)
BASIC = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
_METRIC_PARAMS = ("MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Dimensions", "Period", "Unit")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_EC2_ACTION_RE = re.compile(
    r"^arn:aws:automate:[a-z0-9-]+:ec2:(stop|terminate|reboot|recover)$"
    r"|^arn:aws:swf:[a-z0-9-]+:\d{12}:action/actions/AWS_EC2\.InstanceId\.(Stop|Terminate|Reboot|Recover)/1\.0$"
)
MAX_RECORDS = 100
HISTORY_RETENTION_MS = 14 * 86400 * 1000
MAX_STEPS_PER_SETTLE = 10000
ASG_REPEAT_MS = 60_000  # Auto Scaling actions fire again every minute while the state lasts (spec §3.9)


def _ms(dt: datetime) -> int:
    return int(round(dt.timestamp() * 1000))


def _dt(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)


def _err(exc: Exception) -> ServiceError:
    return ServiceError(getattr(exc, "code", "ValidationError"), getattr(exc, "message", str(exc)))


def _validation(message: str) -> ServiceError:
    return ServiceError("ValidationError", message)


def step_seconds(period: int) -> int:
    """Evaluation cadence: every minute, every 10 seconds for 10/20/30-second alarms (spec §3.2)."""
    return 10 if period < 60 else 60


def instant_after(ms: int, step: int) -> int:
    """The first evaluation instant strictly after ``ms`` (instants are multiples of ``step`` seconds)."""
    unit = step * 1000
    return (ms // unit + 1) * unit


def _automate_arn(arn: str, region: str) -> str:
    """The automate form of an EC2 action (the older SWF form names the same actions)."""
    if arn.startswith("arn:aws:automate:"):
        return arn
    m = re.search(r"AWS_EC2\.InstanceId\.(Stop|Terminate|Reboot|Recover)", arn)
    return f"arn:aws:automate:{region}:ec2:{(m.group(1) if m else 'stop').lower()}"


def action_kind(arn: str) -> str:
    if arn.startswith("arn:aws:sns:"):
        return "sns"
    if _EC2_ACTION_RE.match(arn):
        return "ec2"
    if arn.startswith("arn:aws:autoscaling:"):
        return "autoscaling"
    if arn.startswith("arn:aws:lambda:"):
        return "lambda"
    if arn.startswith(("arn:aws:ssm:", "arn:aws:ssm-incidents:")):
        return "ssm"
    if arn.startswith("arn:aws:aiops:"):
        return "aiops"
    return "other"


def _validate_actions(params: Mapping[str, Any], *, composite: bool, math_alarm: bool) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key in ("OKActions", "AlarmActions", "InsufficientDataActions"):
        arns = list(params.get(key) or [])
        if len(arns) > 5:
            raise _validation(f"The collection {key} must not have a size greater than 5.")
        for arn in arns:
            if not isinstance(arn, str) or not 1 <= len(arn) <= 1024:
                raise _validation(f"The value {arn} for parameter {key} is invalid.")
            kind = action_kind(arn)
            if kind == "other":
                raise _validation(f"Invalid arn syntax: {arn}")
            if kind == "aiops" and key != "AlarmActions":
                raise _validation(f"Investigation actions are valid in AlarmActions only: {arn}")
            if composite and kind in ("ec2", "autoscaling"):
                raise _validation(f"Composite alarms support SNS, Lambda and Systems Manager actions only: {arn}")
            if math_alarm and kind == "ec2":
                raise _validation(f"EC2 actions are not supported for alarms on metric math expressions: {arn}")
        out[key] = arns
    return out


def _validate_name(name: Any, parameter: str = "AlarmName") -> str:
    field = parameter[:1].lower() + parameter[1:]
    if not isinstance(name, str):
        raise _validation(f"1 validation error detected: Value null at '{field}' "
                          "failed to satisfy constraint: Member must not be null")  # fmt: skip
    if not name:
        raise _validation(f"1 validation error detected: Value '' at '{field}' "
                          "failed to satisfy constraint: Member must have length greater than or equal to 1")  # fmt: skip
    if len(name) > 255 or _CONTROL_RE.search(name):
        raise _validation(f"The value {name} for parameter {parameter} is invalid.")
    return name


def _validate_tags(tags: Any) -> None:
    if tags is None:
        return
    if not isinstance(tags, list):
        raise _validation("The parameter Tags must be a list of Key/Value pairs.")
    if len(tags) > 50:
        raise _validation("The collection Tags must not have a size greater than 50.")
    for i, tag in enumerate(tags, start=1):
        key = tag.get("Key") if isinstance(tag, Mapping) else None
        value = tag.get("Value") if isinstance(tag, Mapping) else None
        if not isinstance(key, str) or not 1 <= len(key) <= 128 or key.startswith("aws:"):
            raise _validation(f"The value {key} for parameter Tags.member.{i}.Key is invalid.")
        if not isinstance(value, str) or len(value) > 256:
            raise _validation(f"The value {value} for parameter Tags.member.{i}.Value is invalid.")


def _int_param(value: Any, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value or value < minimum:
        raise ServiceError("InvalidParameterValue", f"The value {value} for parameter {name} is invalid.")
    return int(value)


def _canonical_dims(dims: Sequence[Mapping[str, Any]] | None) -> str:
    pairs = sorted([str(d.get("Name")), str(d.get("Value"))] for d in dims or [])
    return json.dumps(pairs, separators=(",", ":"), ensure_ascii=False)


def _validate_dimensions(dims: Any, parameter: str = "Dimensions") -> list[dict[str, str]]:
    dims = list(dims or [])
    if len(dims) > 30:
        raise ServiceError("InvalidParameterValue", f"The collection {parameter} must not have a size greater than 30.")
    out = []
    for j, d in enumerate(dims, start=1):
        if not isinstance(d, Mapping) or not d.get("Name") or d.get("Value") is None:
            raise ServiceError("MissingParameter", f"The parameter {parameter}.member.{j}.Name and Value are required.")
        out.append({"Name": str(d["Name"]), "Value": str(d["Value"])})
    return out


def _validate_metrics(metrics: Any, threshold_metric_id: str | None = None) -> tuple[list[dict[str, Any]], int]:
    """Alarm ``Metrics`` (math alarms): limits of spec §2.5; returns the cleaned queries and their Period.

    With ``threshold_metric_id`` (anomaly-detection alarms) that id must be an ``ANOMALY_DETECTION_BAND`` expression;
    it may return data beside the one evaluated series (as AWS's own examples do)."""
    from awsmon.engines.metricmath import CloudWatchError, parse, references
    from awsmon.engines.metrics_insights import MetricsInsightsError, is_query
    from awsmon.engines.metrics_insights import parse as parse_sql

    queries = list(metrics or [])
    if not queries:
        raise _validation("The collection Metrics must not be empty.")
    if len(queries) > 20:
        raise _validation("The collection Metrics must not have a size greater than 20.")
    for i, q in enumerate(queries, start=1):
        if not isinstance(q, Mapping):
            raise _validation(f"The value {q} for parameter Metrics.member.{i} is invalid: a MetricDataQuery object "
                              "is expected.")  # fmt: skip
    stats = [q for q in queries if q.get("MetricStat") is not None]
    exprs = [q for q in queries if q.get("Expression") is not None]
    if len(stats) > 10 or len(exprs) > 10:
        raise _validation("An alarm can use at most 10 metrics and 10 expressions.")
    ids: set[str] = set()
    returning = 0
    periods: set[int] = set()
    cleaned: list[dict[str, Any]] = []
    for i, q in enumerate(queries, start=1):
        qid = q.get("Id")
        if not isinstance(qid, str) or not re.fullmatch(r"[a-z][A-Za-z0-9_]*", qid) or len(qid) > 255:
            raise _validation(f"The value {qid} for parameter Metrics.member.{i}.Id is invalid.")
        if qid in ids:
            raise _validation("The values for parameter id in Metrics are not unique.")
        ids.add(qid)
        has_stat, has_expr = q.get("MetricStat") is not None, q.get("Expression") is not None
        if has_stat == has_expr:
            raise _validation(f"The parameter Metrics.member.{i} must specify exactly one of MetricStat and Expression.")
        if not isinstance(q.get("ReturnData", True), bool):
            raise _validation(f"The value {q.get('ReturnData')} for parameter Metrics.member.{i}.ReturnData is invalid.")
        if has_stat and not (isinstance(q["MetricStat"], Mapping)
                             and isinstance(q["MetricStat"].get("Metric") or {}, Mapping)):  # fmt: skip
            raise _validation(f"The parameter Metrics.member.{i}.MetricStat must be a MetricStat structure "
                              "({Metric: {Namespace, MetricName, Dimensions}, Period, Stat, Unit}).")  # fmt: skip
        if has_expr and not isinstance(q["Expression"], str):
            raise _validation(f"The value {q['Expression']} for parameter Metrics.member.{i}.Expression is invalid.")
        if q.get("ReturnData", True) and qid != threshold_metric_id:
            returning += 1
        item: dict[str, Any] = {"Id": qid, "ReturnData": bool(q.get("ReturnData", True))}
        if q.get("Label") is not None:
            item["Label"] = str(q["Label"])
        if has_stat:
            ms = q["MetricStat"]
            metric = ms.get("Metric") or {}
            if not metric.get("Namespace") or not metric.get("MetricName") or ms.get("Stat") is None:
                raise ServiceError("MissingParameter",
                                   f"The parameter Metrics.member.{i}.MetricStat needs Metric.Namespace, "
                                   "Metric.MetricName, Period and Stat.")  # fmt: skip
            period = _int_param(ms.get("Period"), f"Metrics.member.{i}.MetricStat.Period")
            _check_alarm_period(period)
            from awsmon.engines.stats import parse_statistic

            try:
                parse_statistic(str(ms["Stat"]), f"Metrics.member.{i}.MetricStat.Stat")
            except CloudWatchError as exc:
                raise _err(exc) from None
            periods.add(period)
            stat: dict[str, Any] = {
                "Metric": {
                    "Namespace": str(metric["Namespace"]),
                    "MetricName": str(metric["MetricName"]),
                    "Dimensions": _validate_dimensions(metric.get("Dimensions"), f"Metrics.member.{i}.Dimensions"),
                },
                "Period": period,
                "Stat": str(ms["Stat"]),
            }
            if ms.get("Unit") is not None:
                stat["Unit"] = ms["Unit"]
            item["MetricStat"] = stat
        else:
            text = str(q["Expression"])
            if len(text) > 2048:
                raise _validation(f"The value of Metrics.member.{i}.Expression must be at most 2048 characters.")
            if _SEARCH_CALL.search(text):
                # AWS: an alarm watches one time series and SEARCH returns many; PutMetricAlarm answers this text.
                raise _validation("SEARCH is not supported on Metric Alarms")
            if is_query(text):  # a Metrics Insights alarm: one query, returning one series (checked when evaluated)
                try:
                    parse_sql(text)
                except MetricsInsightsError as exc:
                    raise _err(exc) from None
                if len(queries) != 1:
                    raise _validation("An alarm on a Metrics Insights query must have that query as its only metric.")
                if q.get("Period") is None:
                    raise ServiceError("MissingParameter", f"The parameter Metrics.member.{i}.Period is required.")
                item["Expression"] = text
                p = _int_param(q["Period"], f"Metrics.member.{i}.Period")
                _check_alarm_period(p)
                periods.add(p)
                item["Period"] = p
                cleaned.append(item)
                continue
            if "ANOMALY_DETECTION_BAND" in text.upper() and qid != threshold_metric_id:
                raise _validation(f"ANOMALY_DETECTION_BAND expression {qid} must be referenced by ThresholdMetricId.")
            try:
                refs = references(parse(text))
            except CloudWatchError as exc:
                raise _err(exc) from None
            all_ids = {str(x.get("Id")) for x in queries}
            unknown = sorted(r for r in refs if r not in all_ids)
            if unknown:
                raise _validation(f"Invalid metrics list: the expression {text} references unknown id {unknown[0]}.")
            item["Expression"] = text
            if q.get("Period") is not None:
                p = _int_param(q["Period"], f"Metrics.member.{i}.Period")
                periods.add(p)
                item["Period"] = p
        cleaned.append(item)
    if returning != 1:
        raise _validation("Exactly one element of the Metrics list must have ReturnData set to true.")
    if threshold_metric_id is not None:
        band = next((q for q in cleaned if q["Id"] == threshold_metric_id), None)
        if band is None or not str(band.get("Expression", "")).strip().upper().startswith("ANOMALY_DETECTION_BAND"):
            raise _validation(f"ThresholdMetricId {threshold_metric_id} must be the id of an ANOMALY_DETECTION_BAND "
                              "expression in Metrics.")  # fmt: skip
    if not stats and not any(is_query(str(q.get("Expression") or "")) for q in cleaned):
        raise _validation("The Metrics list must contain at least one MetricStat.")
    if len(periods) > 1:
        raise _validation("All metrics in an alarm must use the same Period.")
    return cleaned, periods.pop()


_SEARCH_CALL = re.compile(r"\bSEARCH\s*\(")


def _check_alarm_period(period: int) -> None:
    if period not in (10, 20, 30) and period % 60 != 0:
        raise ServiceError(
            "InvalidParameterValue", f"The value {period} for parameter Period is invalid. Valid values are 10, 20, "
            "30, or any multiple of 60."
        )


def alarm_period(cfg: Mapping[str, Any]) -> int:
    metrics = cfg.get("Metrics") or []
    for q in metrics:
        if q.get("MetricStat"):
            return int(q["MetricStat"]["Period"])
    for q in metrics:  # a Metrics Insights alarm: its one query carries the Period
        if q.get("Period"):
            return int(q["Period"])
    return int(cfg.get("Period") or 60)


# --------------------------------------------------------------------------------------------------------------
# The alarm engine over one store and region (used by the API methods and by the scheduler handler).


class AlarmEngine:
    def __init__(self, store: AccountStore, region: str) -> None:
        self.store = store
        self.region = region
        self.conn = store.conn
        self._queue: list[tuple[str, str, str, int]] = []  # (alarm, old state, new state, ts_ms) to propagate

    @property
    def account_id(self) -> str:
        return self.store.account_id

    def arn(self, name: str) -> str:
        return f"arn:aws:cloudwatch:{self.region}:{self.account_id}:alarm:{name}"

    def name_of(self, ref: str) -> str:
        prefix = f"arn:aws:cloudwatch:{self.region}:{self.account_id}:alarm:"
        return ref[len(prefix) :] if ref.startswith(prefix) else ref

    def row(self, name: str) -> Any:
        return self.conn.execute("SELECT * FROM alarms WHERE region = ? AND name = ?", (self.region, name)).fetchone()

    # -- history and describe ----------------------------------------------------------------------------------
    def add_history(self, item: Mapping[str, Any]) -> None:
        self.conn.execute(
            "INSERT INTO alarm_history (region, alarm_name, alarm_type, ts_ms, item_type, summary, data) "
            "VALUES (?,?,?,?,?,?,?)",
            (self.region, item["AlarmName"], item["AlarmType"], int(round(float(item["Timestamp"]) * 1000)),
             item["HistoryItemType"], item["HistorySummary"], item["HistoryData"]),
        )  # fmt: skip

    def describe(self, row: Any) -> dict[str, Any]:
        cfg = json.loads(row["config"])
        out: dict[str, Any] = {"AlarmName": row["name"], "AlarmArn": row["arn"]}
        if cfg.get("AlarmDescription") is not None:
            out["AlarmDescription"] = cfg["AlarmDescription"]
        out["AlarmConfigurationUpdatedTimestamp"] = _dt(row["config_updated_ms"])
        out["ActionsEnabled"] = bool(row["actions_enabled"])
        for key in ("OKActions", "AlarmActions", "InsufficientDataActions"):
            out[key] = list(cfg.get(key) or [])
        out["StateValue"] = row["state_value"]
        out["StateReason"] = row["state_reason"]
        if row["state_reason_data"]:
            out["StateReasonData"] = row["state_reason_data"]
        out["StateUpdatedTimestamp"] = _dt(row["state_updated_ms"])
        if row["alarm_type"] == "CompositeAlarm":
            out["AlarmRule"] = cfg["AlarmRule"]
            out["StateTransitionedTimestamp"] = _dt(row["state_transitioned_ms"])
            if cfg.get("ActionsSuppressor"):
                if row["suppressed_by"]:  # WaitPeriod | ExtensionPeriod | Alarm; absent when not suppressed
                    out["ActionsSuppressedBy"] = row["suppressed_by"]
                if row["suppressed_reason"]:
                    out["ActionsSuppressedReason"] = row["suppressed_reason"]
                out["ActionsSuppressor"] = cfg["ActionsSuppressor"]
                out["ActionsSuppressorWaitPeriod"] = cfg["ActionsSuppressorWaitPeriod"]
                out["ActionsSuppressorExtensionPeriod"] = cfg["ActionsSuppressorExtensionPeriod"]
            return out
        for key in ("MetricName", "Namespace", "Statistic", "ExtendedStatistic"):
            if cfg.get(key) is not None:
                out[key] = cfg[key]
        if not cfg.get("Metrics"):
            out["Dimensions"] = list(cfg.get("Dimensions") or [])
        for key in ("Period", "Unit", "EvaluationPeriods", "DatapointsToAlarm", "Threshold", "ComparisonOperator",
                    "TreatMissingData", "EvaluateLowSampleCountPercentile", "Metrics", "ThresholdMetricId"):  # fmt: skip
            if cfg.get(key) is not None:
                out[key] = cfg[key]
        out["StateTransitionedTimestamp"] = _dt(row["state_transitioned_ms"])
        return out

    def _history_config(self, row: Any) -> dict[str, Any]:
        d = self.describe(row)
        for key in ("StateValue", "StateReason", "StateReasonData", "StateUpdatedTimestamp", "StateTransitionedTimestamp",
                    "ActionsSuppressedBy", "ActionsSuppressedReason"):  # fmt: skip
            d.pop(key, None)
        return json.loads(json.dumps(d, default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v)))

    # -- state changes, actions, propagation ------------------------------------------------------------------
    def transition(self, row: Any, new_state: str, reason: str, reason_data: Mapping[str, Any] | None, ts_ms: int) -> None:
        """Change an alarm's state: history item, actions, and queue the change for composites/suppressors."""
        from awsmon.engines.alarm_eval import state_update_history_item

        old_state, old_reason = row["state_value"], row["state_reason"]
        data_text = None if reason_data is None else json.dumps(reason_data, separators=(",", ":"))
        if old_state == new_state:
            # Same state (SetAlarmState): the reason is updated, but only state changes make history or actions.
            self.conn.execute(
                "UPDATE alarms SET state_reason = ?, state_reason_data = ?, state_updated_ms = ? "
                "WHERE region = ? AND name = ?",
                (reason, data_text, ts_ms, self.region, row["name"]),
            )
            return
        self.conn.execute(
            "UPDATE alarms SET state_value = ?, state_reason = ?, state_reason_data = ?, state_updated_ms = ?, "
            "state_transitioned_ms = CASE WHEN state_value != ? THEN ? ELSE state_transitioned_ms END "
            "WHERE region = ? AND name = ?",
            (new_state, reason, data_text, ts_ms, new_state, ts_ms, self.region, row["name"]),
        )
        self.add_history(state_update_history_item(
            row["name"], old_state=old_state, old_reason=old_reason, new_state=new_state, new_reason=reason,
            new_reason_data=reason_data, timestamp=ts_ms / 1000, alarm_type=row["alarm_type"],
        ))  # fmt: skip
        fresh = self.row(row["name"])
        self._state_change_event(fresh, old_state, old_reason, row["state_updated_ms"], ts_ms)
        if row["alarm_type"] == "CompositeAlarm" and json.loads(row["config"]).get("ActionsSuppressor"):
            self._composite_suppression(fresh, old_state, new_state, ts_ms)
        else:
            self.run_actions(fresh, old_state, new_state, reason, ts_ms)
            self.schedule_asg_repeat(row["name"], ts_ms)
        self._queue.append((row["name"], old_state, new_state, ts_ms))

    def _state_change_event(self, row: Any, old_state: str, old_reason: str, old_ms: int, ts_ms: int) -> None:
        """EventBridge receives a "CloudWatch Alarm State Change" event on every transition (spec §3.9), as an
        ``event`` fact on the default bus: matched against its enabled pattern rules and delivered at once (whatever
        the ActionsEnabled flag)."""
        from awsmon.backends.local import facts
        from awsmon.engines.alarm_eval import format_iso

        cfg = json.loads(row["config"])
        detail = self._lambda_event(row, cfg, old_state, row["state_value"], row["state_reason"], ts_ms)["alarmData"]
        detail["previousState"] = {"value": old_state, "reason": old_reason, "timestamp": format_iso(old_ms / 1000)}
        when = datetime.fromtimestamp(ts_ms / 1000, UTC)
        event = {"version": "0", "id": str(uuid.uuid4()), "detail-type": "CloudWatch Alarm State Change",
                 "source": "aws.cloudwatch", "account": self.account_id, "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                 "region": self.region, "resources": [row["arn"]], "detail": detail}  # fmt: skip
        facts.emit(self.store, self.region, "event", event=event, bus="default", when=when)

    def schedule_asg_repeat(self, name: str, from_ms: int) -> None:
        """Auto Scaling actions keep firing once per minute while a metric alarm stays in the state whose actions
        name them (spec §3.9); the next repeat is one minute after ``from_ms``, or none."""
        row = self.row(name)
        nxt = None
        if row is not None and row["alarm_type"] == "MetricAlarm" and row["actions_enabled"]:
            arns = json.loads(row["config"]).get(ACTION_KEYS[row["state_value"]]) or []
            if any(action_kind(a) == "autoscaling" for a in arns):
                nxt = from_ms + ASG_REPEAT_MS
        self.conn.execute("UPDATE alarms SET asg_next_ms = ? WHERE region = ? AND name = ?", (nxt, self.region, name))

    def repeat_asg_actions(self, t_ms: int, limit_ms: int) -> None:
        """Record the Auto Scaling repeats due at ``t_ms``. The state of an alarm can only change at its own next
        evaluation (API calls happen at the clock, after catch-up), so every repeat before that instant (and up to
        ``limit_ms``) is recorded at once: cost follows the repeats, not the replay loop."""
        rows = self.conn.execute(
            "SELECT * FROM alarms WHERE region = ? AND asg_next_ms <= ? ORDER BY +name", (self.region, t_ms)
        ).fetchall()
        for row in rows:
            bound = limit_ms if row["next_eval_ms"] is None else min(limit_ms, row["next_eval_ms"] - 1)
            times = list(range(row["asg_next_ms"], max(bound, row["asg_next_ms"]) + 1, ASG_REPEAT_MS))
            cfg = json.loads(row["config"])
            arns = [a for a in cfg.get(ACTION_KEYS[row["state_value"]]) or [] if action_kind(a) == "autoscaling"]
            if row["actions_enabled"] and arns:
                detail = json.dumps({"Repeat": True, "StateValue": row["state_value"],
                                     "StateReason": row["state_reason"]})  # fmt: skip
                self.conn.executemany(
                    "INSERT INTO alarm_actions (region, alarm_name, ts_ms, action_arn, kind, new_state, status, detail) "
                    "VALUES (?,?,?,?,'autoscaling',?,'Recorded',?)",
                    [(self.region, row["name"], ts, arn, row["state_value"], detail) for ts in times for arn in arns],
                )
                nxt = times[-1] + ASG_REPEAT_MS
            else:
                nxt = None
            self.conn.execute("UPDATE alarms SET asg_next_ms = ? WHERE region = ? AND name = ?",
                              (nxt, self.region, row["name"]))  # fmt: skip

    def run_actions(self, row: Any, old_state: str, new_state: str, reason: str, ts_ms: int) -> None:
        if not row["actions_enabled"]:
            return
        cfg = json.loads(row["config"])
        arns = list(cfg.get(ACTION_KEYS[new_state]) or [])
        if not arns:
            return
        from awsmon.engines.alarm_eval import action_history_item, sns_notification, sns_subject

        described = self.describe(row)
        described["AlarmConfigurationUpdatedTimestamp"] = row["config_updated_ms"] / 1000
        message = sns_notification(described, account_id=self.account_id, region=self.region, old_state=old_state,
                                   new_state=new_state, new_reason=reason, state_change_time=ts_ms / 1000)  # fmt: skip
        if row["alarm_type"] == "CompositeAlarm":
            message.pop("Trigger", None)
            message["AlarmRule"] = cfg["AlarmRule"]
        elif cfg.get("Metrics"):
            trigger = message["Trigger"]
            for key in ("MetricName", "Namespace", "StatisticType", "Statistic", "Unit", "Dimensions"):
                trigger.pop(key, None)
            trigger["Metrics"] = cfg["Metrics"]
        subject = sns_subject(new_state, row["name"], self.region)[:100]
        body = json.dumps(message, separators=(",", ":"))
        for arn in arns:
            kind = action_kind(arn)
            status, failure = "Recorded", None
            detail: dict[str, Any] = {"Subject": subject, "Message": message}
            if kind == "sns":
                status, failure, message_id = self._publish(arn, body, subject, ts_ms)
                if message_id:
                    detail["MessageId"] = message_id
            elif kind == "lambda":
                detail = self._lambda_event(row, cfg, old_state, new_state, reason, ts_ms)
                status, failure = self._invoke_action(arn, json.dumps(detail, separators=(",", ":")), ts_ms)
            elif kind == "ec2":
                # The EC2 action ARN (arn:aws:automate:<region>:ec2:stop, ...) goes to whichever local service
                # takes "automate" ARNs, with the alarm's InstanceId; recorded when none does.
                detail = {"Action": arn.rsplit(":", 1)[-1] if arn.startswith("arn:aws:automate") else arn,
                          "stateUpdateTimestamp": ts_ms, "publishedMessage": body}  # fmt: skip
                dims = {d["Name"]: d["Value"] for d in cfg.get("Dimensions") or []}
                status, failure = self._invoke_action(_automate_arn(arn, self.region), body, ts_ms,
                                                     InstanceId=dims.get("InstanceId"))  # fmt: skip
            self.conn.execute(
                "INSERT INTO alarm_actions (region, alarm_name, ts_ms, action_arn, kind, new_state, status, detail) "
                "VALUES (?,?,?,?,?,?,?,?)",
                (self.region, row["name"], ts_ms, arn, kind, new_state, status, json.dumps(detail)),
            )
            self.add_history(action_history_item(row["name"], arn, timestamp=ts_ms / 1000, succeeded=failure is None,
                                                 failure_reason=failure, alarm_type=row["alarm_type"]))  # fmt: skip

    def _lambda_event(self, row: Any, cfg: Mapping[str, Any], old_state: str, new_state: str, reason: str,
                      ts_ms: int) -> dict[str, Any]:  # fmt: skip
        """The event a Lambda alarm action receives (spec §3.9); recorded, as no function runs locally."""
        from awsmon.engines.alarm_eval import format_iso

        configuration: dict[str, Any] = {"description": cfg.get("AlarmDescription")}
        if row["alarm_type"] == "CompositeAlarm":
            configuration["alarmRule"] = cfg["AlarmRule"]
        elif cfg.get("Metrics"):
            configuration["metrics"] = [
                {"id": q["Id"], **({"expression": q["Expression"]} if q.get("Expression") else {}),
                 **({"metricStat": q["MetricStat"]} if q.get("MetricStat") else {}), "returnData": q["ReturnData"]}
                for q in cfg["Metrics"]
            ]  # fmt: skip
        else:
            stat = {"metric": {"namespace": cfg["Namespace"], "name": cfg["MetricName"],
                               "dimensions": {d["Name"]: d["Value"] for d in cfg.get("Dimensions") or []}},
                    "period": cfg["Period"], "stat": cfg.get("Statistic") or cfg.get("ExtendedStatistic")}  # fmt: skip
            configuration["metrics"] = [{"id": "m1", "metricStat": stat, "returnData": True}]
        return {
            "source": "aws.cloudwatch",
            "alarmArn": row["arn"],
            "accountId": self.account_id,
            "time": format_iso(ts_ms / 1000),
            "region": self.region,
            "alarmData": {
                "alarmName": row["name"],
                "state": {"value": new_state, "reason": reason, "reasonData": row["state_reason_data"],
                          "timestamp": format_iso(ts_ms / 1000)},
                "previousState": {"value": old_state},
                "configuration": configuration,
            },
        }  # fmt: skip

    def _publish(self, topic_arn: str, body: str, subject: str, ts_ms: int) -> tuple[str, str | None, str | None]:
        parts = topic_arn.split(":")
        if len(parts) != 6 or parts[4] != self.account_id:
            return "Failed", "AuthorizationError", None
        from awsmon.backends.local import facts

        got = facts.deliver(self.store, topic_arn, body, datetime.fromtimestamp(ts_ms / 1000, UTC), subject=subject)
        if got.status == "Failed":
            return "Failed", got.reason(), None
        return "Succeeded", None, got.message_id

    def _invoke_action(self, arn: str, payload: str, ts_ms: int, **attrs: Any) -> tuple[str, str | None]:
        """An alarm action other than SNS, delivered to its ARN's service: Recorded when no local service takes it."""
        from awsmon.backends.local import facts

        got = facts.deliver(self.store, arn, payload, datetime.fromtimestamp(ts_ms / 1000, UTC), **attrs)
        if got.status == "Failed":
            return "Failed", got.reason()
        return ("Recorded", None) if got.status == "Recorded" else ("Succeeded", None)

    def _composite_suppression(self, row: Any, old_state: str, new_state: str, ts_ms: int) -> None:
        """A composite with an ActionsSuppressor transitioned (spec §3.11 state machine)."""
        cfg = json.loads(row["config"])
        sup = self.row(self.name_of(cfg["ActionsSuppressor"]))
        sup_state = sup["state_value"] if sup is not None else "OK"
        name = row["name"]
        if sup_state == "ALARM" or row["ext_end_ms"] is not None:
            by = "Alarm" if sup_state == "ALARM" else "ExtensionPeriod"
            self._set_suppression(name, by, pending=1)
        elif new_state == "ALARM":
            wait_end = ts_ms + int(cfg["ActionsSuppressorWaitPeriod"]) * 1000
            self._set_suppression(name, "WaitPeriod", pending=1, wait_end=wait_end)
        else:
            self._set_suppression(name, None, pending=0, wait_end=None)
            self.run_actions(row, old_state, new_state, row["state_reason"], ts_ms)

    _REASONS = {
        "Alarm": "Alarm is in ALARM state: actions suppressed by the ActionsSuppressor alarm",
        "WaitPeriod": "Wait period active: waiting for the ActionsSuppressor to enter ALARM",
        "ExtensionPeriod": "Extension period active after the ActionsSuppressor left ALARM",
    }

    def _set_suppression(self, name: str, by: str | None, *, pending: int | None = None,
                         wait_end: int | None | bool = False, ext_end: int | None | bool = False) -> None:  # fmt: skip
        sets = ["suppressed_by = ?", "suppressed_reason = ?"]
        args: list[Any] = [by, self._REASONS.get(by or "")]
        if pending is not None:
            sets.append("pending_actions = ?")
            args.append(pending)
        if wait_end is not False:
            sets.append("wait_end_ms = ?")
            args.append(wait_end)
        if ext_end is not False:
            sets.append("ext_end_ms = ?")
            args.append(ext_end)
        self.conn.execute(f"UPDATE alarms SET {', '.join(sets)} WHERE region = ? AND name = ?", (*args, self.region, name))

    def _suppressor_changed(self, sup_name: str, old: str, new: str, ts_ms: int) -> None:
        rows = self.conn.execute(
            "SELECT * FROM alarms WHERE region = ? AND suppressor = ? ORDER BY +name", (self.region, sup_name)
        ).fetchall()
        for row in rows:
            cfg = json.loads(row["config"])
            if new == "ALARM":
                self._set_suppression(row["name"], "Alarm", wait_end=None, ext_end=None)
            elif old == "ALARM":
                ext_end = ts_ms + int(cfg["ActionsSuppressorExtensionPeriod"]) * 1000
                self._set_suppression(row["name"], "ExtensionPeriod", ext_end=ext_end)

    def fire_timers(self, t_ms: int) -> None:
        rows = self.conn.execute(
            "SELECT * FROM alarms WHERE region = ? AND wait_end_ms <= ? UNION "
            "SELECT * FROM alarms WHERE region = ? AND ext_end_ms <= ? ORDER BY name",
            (self.region, t_ms, self.region, t_ms),
        ).fetchall()
        for row in rows:
            cfg = json.loads(row["config"])
            sup = self.row(self.name_of(cfg.get("ActionsSuppressor") or ""))
            sup_state = sup["state_value"] if sup is not None else "OK"
            wait_end, ext_end = row["wait_end_ms"], row["ext_end_ms"]
            ends = sorted(e for e in (wait_end, ext_end) if e is not None and e <= t_ms)
            pending = row["pending_actions"]
            for end in ends:
                if end == wait_end:
                    wait_end = None
                    run = pending and sup_state != "ALARM" and ext_end is None
                else:
                    ext_end = None
                    run = pending and sup_state != "ALARM"
                if run:
                    pending = 0
                    self.run_actions(row, row["state_value"], row["state_value"], row["state_reason"], end)
            by = "Alarm" if sup_state == "ALARM" else "ExtensionPeriod" if ext_end else "WaitPeriod" if wait_end else None
            self._set_suppression(row["name"], by, pending=pending, wait_end=wait_end, ext_end=ext_end)

    def in_cycle(self, name: str) -> bool:
        seen: set[str] = set()
        stack = [c[0] for c in self.conn.execute(
            "SELECT child FROM alarm_children WHERE region = ? AND parent = ?", (self.region, name))]  # fmt: skip
        while stack:
            cur = stack.pop()
            if cur == name:
                return True
            if cur in seen:
                continue
            seen.add(cur)
            stack.extend(c[0] for c in self.conn.execute(
                "SELECT child FROM alarm_children WHERE region = ? AND parent = ?", (self.region, cur)))  # fmt: skip
        return False

    def _parents(self, name: str) -> list[str]:
        return [r[0] for r in self.conn.execute(
            "SELECT parent FROM alarm_children WHERE region = ? AND child = ? ORDER BY parent", (self.region, name))]  # fmt: skip

    def settle(self) -> None:
        """Propagate queued state changes: suppressor effects, then every composite above the changed alarms,
        each evaluated once, children before parents (no transient flaps at one instant)."""
        rounds = 0
        while self._queue and rounds < MAX_STEPS_PER_SETTLE:
            rounds += 1
            batch, self._queue = self._queue, []
            changed: dict[str, int] = {}
            for name, old, new, ts_ms in batch:
                self._suppressor_changed(name, old, new, ts_ms)
                changed[name] = ts_ms
            affected: set[str] = set()
            stack = list(changed)
            while stack:
                for parent in self._parents(stack.pop()):
                    if parent not in affected:
                        affected.add(parent)
                        stack.append(parent)
            affected = {a for a in affected if not self.in_cycle(a)}
            for comp in self._children_first(affected):
                row = self.row(comp)
                if row is None:
                    continue
                kids = {r[0] for r in self.conn.execute(
                    "SELECT child FROM alarm_children WHERE region = ? AND parent = ?", (self.region, comp))}  # fmt: skip
                trigger = next((n for n in reversed(changed) if n in kids), None)
                ts_ms = max(changed.values())
                before = len(self._queue)
                self.evaluate_composite(row, ts_ms, trigger=trigger)
                if len(self._queue) > before:
                    changed[comp] = ts_ms

    def _children_first(self, names: set[str]) -> list[str]:
        """Topological order of composites (a child composite before its parents), ties by name."""
        deps = {n: {r[0] for r in self.conn.execute(
            "SELECT child FROM alarm_children WHERE region = ? AND parent = ?", (self.region, n))} & names
            for n in names}  # fmt: skip
        order: list[str] = []
        ready = sorted(n for n, d in deps.items() if not d)
        done: set[str] = set()
        while ready:
            n = ready.pop(0)
            order.append(n)
            done.add(n)
            for m in sorted(names - done - set(ready)):
                if deps[m] <= done and m not in order:
                    ready.append(m)
            ready.sort()
        return order

    def evaluate_composite(self, row: Any, ts_ms: int, *, trigger: str | None = None) -> None:
        from awsmon.engines.alarm_rule import composite_reason, composite_state

        cfg = json.loads(row["config"])
        kids = [r[0] for r in self.conn.execute(
            "SELECT child FROM alarm_children WHERE region = ? AND parent = ? ORDER BY child", (self.region, row["name"]))]  # fmt: skip
        states: dict[str, str] = {}
        child_rows: dict[str, Any] = {}
        for kid in kids:
            kr = self.row(kid)
            if kr is None:
                return  # a child vanished (cannot happen through the API): keep the state
            child_rows[kid] = kr
            states[kid] = kr["state_value"]
            states[kr["arn"]] = kr["state_value"]
        new = composite_state(cfg["AlarmRule"], states)
        if new == row["state_value"]:
            return
        pick = trigger if trigger in child_rows else (kids[0] if kids else None)
        if pick is not None:
            kr = child_rows[pick]
            reason, data = composite_reason(kr["arn"], kr["state_value"], kr["state_updated_ms"] / 1000)
        else:
            reason = f"AlarmRule {cfg['AlarmRule']} evaluated to {'TRUE' if new == 'ALARM' else 'FALSE'}"
            data = {"triggeringAlarms": []}
        self.transition(row, new, reason, data, ts_ms)

    # -- metric alarm evaluation -------------------------------------------------------------------------------
    def evaluate_metric(self, row: Any, t_ms: int) -> dict[str, Any]:
        """Evaluate a metric alarm at instant ``t_ms`` against the store as of that instant (no writes)."""
        from awsmon.engines.alarm_eval import alarm_bucket_starts, evaluate_metric_alarm, evaluation_range

        cfg = json.loads(row["config"])
        n = int(cfg["EvaluationPeriods"])
        rng = evaluation_range(n)
        period = alarm_period(cfg)
        t = t_ms / 1000
        stamps = alarm_bucket_starts(t, period, rng)
        values, counts, inputs, bands = self._fetch(cfg, stamps, period, t)
        ev = evaluate_metric_alarm(
            values,
            comparison_operator=cfg["ComparisonOperator"],
            evaluation_periods=n,
            threshold=cfg.get("Threshold"),
            datapoints_to_alarm=cfg.get("DatapointsToAlarm"),
            treat_missing_data=cfg.get("TreatMissingData") or "missing",
            current_state=row["state_value"],
            query_date=t,
            period=period,
            statistic=cfg.get("Statistic"),
            extended_statistic=cfg.get("ExtendedStatistic"),
            unit=cfg.get("Unit"),
            namespace=cfg.get("Namespace"),
            sample_counts=counts,
            evaluate_low_sample_count_percentile=cfg.get("EvaluateLowSampleCountPercentile") or "evaluate",
            bands=bands,
        )
        return {
            "AlarmName": row["name"],
            "EvaluatedAt": t,
            "StateBefore": row["state_value"],
            "StateAfter": ev.new_state,
            "Changed": ev.changed,
            "Retained": ev.retained,
            "Reason": ev.reason,
            "ReasonData": ev.reason_data,
            "Threshold": cfg.get("Threshold"),
            **({"Band": [None if b is None else {"Timestamp": st, "Lower": b[0], "Upper": b[1]}
                         for st, b in zip(stamps, bands, strict=True)]} if bands is not None else {}),  # fmt: skip
            "ComparisonOperator": cfg["ComparisonOperator"],
            "Period": period,
            "EvaluationRange": rng,
            "InputsPresent": inputs,
            "Explain": ev.explain,
        }

    def _fetch(self, cfg: Mapping[str, Any], stamps: list[float], period: int, t: float
               ) -> tuple[list[float | None], list[float | None] | None, bool,
                          list[tuple[float, float] | None] | None]:  # fmt: skip
        """Bucket values of the evaluation range (oldest first), sample counts, whether any input had data, and the
        (lower, upper) anomaly band per bucket for ThresholdMetricId alarms."""
        from awsmon.backends.local.cloudwatch_metrics import query_metric_data, query_statistics

        # Sub-minute data exists for 3 hours only (spec §1.3): a 10/20/30-second alarm whose range reaches further
        # back asks only for its buckets of the last 3 hours (the older ones are missing), instead of asking for a
        # range whose age makes the store answer nothing at all.
        lo = 0
        if period < 60:
            while lo < len(stamps) - 1 and stamps[lo] < t - 3 * 3600:
                lo += 1

        start = datetime.fromtimestamp(stamps[lo], UTC)
        end = datetime.fromtimestamp(t, UTC)
        index = {int(s): i for i, s in enumerate(stamps)}
        values: list[float | None] = [None] * len(stamps)
        if cfg.get("Metrics"):
            band_id = cfg.get("ThresholdMetricId")
            queries = [dict(q, ReturnData=True) if q["Id"] == band_id else dict(q) for q in cfg["Metrics"]]
            results = query_metric_data(self.store, self.region, queries, start, end,
                                        as_of=end, exact_start=True)  # the store as of the evaluation instant
            values_rows = [r for r in results if r["Id"] != band_id]
            if len(values_rows) > 1 and len({r["Id"] for r in values_rows}) == 1:
                raise ServiceError("ValidationError", f"The Metrics Insights query returned {len(values_rows)} time "
                                   "series; an alarm needs exactly one (alarm contributors are not simulated).")  # fmt: skip
            for res in values_rows[:1]:
                for ts, v in zip(res["Timestamps"], res["Values"], strict=True):
                    i = index.get(int(ts.timestamp()))
                    if i is not None and v is not None and not math.isnan(v):
                        values[i] = float(v)
            bands: list[tuple[float, float] | None] | None = None
            if band_id:
                edges: dict[str, dict[int, float]] = {"Upper": {}, "Lower": {}}
                for res in (r for r in results if r["Id"] == band_id):
                    side = "Upper" if str(res["Label"]).endswith("Upper") else "Lower"
                    for ts, v in zip(res["Timestamps"], res["Values"], strict=True):
                        edges[side][int(ts.timestamp())] = float(v)
                bands = [(edges["Lower"][int(st)], edges["Upper"][int(st)])
                         if int(st) in edges["Lower"] and int(st) in edges["Upper"] else None for st in stamps]  # fmt: skip
            # A Metrics Insights query's inputs are not known in advance: such alarms never skip ahead.
            insights = any(str(q.get("Expression", "")).lstrip()[:6].upper() == "SELECT" for q in cfg["Metrics"])
            inputs = insights or any(v is not None for v in values) or self._inputs_have_data(cfg, stamps[0], t)
            return values, None, inputs, bands
        dims = {d["Name"]: d["Value"] for d in cfg.get("Dimensions") or []}

        def query(statistics: list[str], extended: list[str] | None) -> list[dict[str, Any]]:
            # GetMetricStatistics answers at most 1,440 buckets per call; long ranges are fetched in chunks.
            out: list[dict[str, Any]] = []
            for first in range(lo, len(stamps), 1440):
                chunk = stamps[first : first + 1440]
                c_start = datetime.fromtimestamp(chunk[0], UTC)
                c_end = datetime.fromtimestamp(chunk[-1] + period, UTC) if first + 1440 < len(stamps) else end
                out.extend(query_statistics(self.store, self.region, cfg["Namespace"], cfg["MetricName"], dims,
                                            c_start, c_end, period, statistics, extended, cfg.get("Unit"),
                                            as_of=end, exact_start=True))  # fmt: skip
            return out

        counts: list[float | None] | None = None
        ext = cfg.get("ExtendedStatistic")
        if ext:
            points = query([], [ext])
            count_points = query(["SampleCount"], None)
            counts = [None] * len(stamps)
            for dp in count_points:
                i = index.get(int(dp["Timestamp"].timestamp()))
                if i is not None and counts[i] is None:
                    counts[i] = float(dp["SampleCount"])
            for dp in points:
                i = index.get(int(dp["Timestamp"].timestamp()))
                v = (dp.get("ExtendedStatistics") or {}).get(ext)
                if i is not None and v is not None and values[i] is None:
                    values[i] = float(v)
        else:
            stat = cfg["Statistic"]
            points = query(sorted({stat, "SampleCount"}), None)
            counts = [None] * len(stamps)
            for dp in points:  # one datapoint per (bucket, unit); the first unit (sorted) wins [design choice]
                i = index.get(int(dp["Timestamp"].timestamp()))
                if i is not None and values[i] is None and dp.get(stat) is not None:
                    values[i] = float(dp[stat])
                    counts[i] = float(dp["SampleCount"])
        return values, counts, any(v is not None for v in values), None

    def _metric_ids(self, cfg: Mapping[str, Any]) -> list[int]:
        from awsmon.backends.local.cloudwatch_metrics import _find_metric

        specs = []
        if cfg.get("Metrics"):
            for q in cfg["Metrics"]:
                if q.get("MetricStat"):
                    m = q["MetricStat"]["Metric"]
                    specs.append((m["Namespace"], m["MetricName"], m.get("Dimensions") or []))
        else:
            specs.append((cfg["Namespace"], cfg["MetricName"], cfg.get("Dimensions") or []))
        ids = []
        for ns, name, dims in specs:
            mid = _find_metric(self.store, self.region, ns, name, {d["Name"]: d["Value"] for d in dims})
            if mid is not None:
                ids.append(mid)
        return ids

    def next_data_ts(self, cfg: Mapping[str, Any], from_s: float) -> float | None:
        """Timestamp of the first stored datum of the alarm's inputs at or after ``from_s`` (any unit)."""
        ids = self._metric_ids(cfg)
        if not ids:
            return None
        row = self.conn.execute(
            f"SELECT min(ts) FROM metric_data WHERE metric_id IN ({','.join('?' * len(ids))}) AND ts >= ?",
            (*ids, math.floor(from_s)),
        ).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def _inputs_have_data(self, cfg: Mapping[str, Any], start: float, end: float) -> bool:
        ts = self.next_data_ts(cfg, start)
        return ts is not None and ts < end

    def apply_evaluation(self, row: Any, t_ms: int) -> dict[str, Any]:
        """Evaluate, store what was seen, transition if needed, and choose the next evaluation instant."""
        rec = self.evaluate_metric(row, t_ms)
        cfg = json.loads(row["config"])
        step = step_seconds(alarm_period(cfg))
        if rec["InputsPresent"] or rec["Explain"]["real_count"]:
            next_eval, sleep_from = instant_after(t_ms, step), None
        else:
            # Skip-ahead: nothing in range, state is now the no-data outcome; wait for the next datum.
            window_start = int(rec["Explain"]["range"][0]["timestamp"] * 1000) if rec["Explain"]["range"] else t_ms
            nxt = self.next_data_ts(cfg, t_ms / 1000)
            next_eval = None if nxt is None else max(instant_after(t_ms, step), instant_after(int(nxt * 1000), step))
            sleep_from = window_start
        self.conn.execute(
            "UPDATE alarms SET last_eval_ms = ?, last_explain = ?, next_eval_ms = ?, sleep_from_ms = ? "
            "WHERE region = ? AND name = ?",
            (t_ms, json.dumps(rec, separators=(",", ":")), next_eval, sleep_from, self.region, row["name"]),
        )
        if rec["Changed"] and rec["Reason"] is not None:
            self.transition(row, rec["StateAfter"], rec["Reason"], rec["ReasonData"], t_ms)
        return rec

    def _evaluation_failed(self, row: Any, t_ms: int, exc: ServiceError) -> None:
        """An evaluation the store could not answer keeps the state (never blocks the scheduler); explain shows why."""
        step = step_seconds(alarm_period(json.loads(row["config"])))
        record = {"AlarmName": row["name"], "EvaluatedAt": t_ms / 1000, "Error": f"{exc.code}: {exc.message}"}
        self.conn.execute(
            "UPDATE alarms SET last_eval_ms = ?, last_explain = ?, next_eval_ms = ?, sleep_from_ms = NULL "
            "WHERE region = ? AND name = ?",
            (t_ms, json.dumps(record), instant_after(t_ms, step), self.region, row["name"]),
        )

    def wake(self, due_ms: int) -> None:
        """Skipping alarms whose inputs received data since they started skipping evaluate again."""
        from awsmon.engines.alarm_eval import evaluation_range

        rows = self.conn.execute(
            "SELECT name, config, next_eval_ms FROM alarms WHERE region = ? AND sleep_from_ms IS NOT NULL",
            (self.region,),
        ).fetchall()
        for row in rows:
            cfg = json.loads(row["config"])
            period = alarm_period(cfg)
            step = step_seconds(period)
            first = instant_after(due_ms - 1, step)  # the first instant at or after due
            window_start = first - evaluation_range(int(cfg["EvaluationPeriods"])) * period * 1000
            nxt = self.next_data_ts(cfg, window_start / 1000)
            if nxt is None:
                continue
            candidate = max(first, instant_after(int(nxt * 1000), step))
            if row["next_eval_ms"] is None or candidate < row["next_eval_ms"]:
                self.conn.execute("UPDATE alarms SET next_eval_ms = ? WHERE region = ? AND name = ?",
                                  (candidate, self.region, row["name"]))  # fmt: skip

    def run(self, due_ms: int, now_ms: int) -> int | None:
        """Replay evaluation instants from ``due_ms`` to ``now_ms`` in time order; returns the next due time."""
        other = self.conn.execute(
            "SELECT min(next_due_ms) FROM jobs WHERE NOT (kind = ? AND key = ?)", (JOB_KIND, self.region)
        ).fetchone()[0]
        limit = now_ms if other is None else max(due_ms, min(now_ms, other))
        self.conn.execute("DELETE FROM alarm_history WHERE region = ? AND ts_ms < ?",
                          (self.region, due_ms - HISTORY_RETENTION_MS))  # fmt: skip
        self.wake(due_ms)
        while True:
            t = self._next_instant()
            if t is None or t > limit:
                break
            rows = self.conn.execute(
                "SELECT * FROM alarms WHERE region = ? AND next_eval_ms = ? ORDER BY +name", (self.region, t)
            ).fetchall()
            for row in rows:
                try:
                    with self.store.transaction():  # savepoint: a failed evaluation leaves nothing behind
                        self.apply_evaluation(self.row(row["name"]), t)
                except ServiceError as exc:
                    self._evaluation_failed(row, t, exc)
            self.settle()  # composites see every metric alarm evaluated at this instant
            self.fire_timers(t)
            self.repeat_asg_actions(t, limit)
        return self.job_due(limit)

    def _next_instant(self) -> int | None:
        # one indexed min() per column (a single min over four columns would scan every alarm at every instant)
        row = self.conn.execute(
            "SELECT (SELECT min(next_eval_ms) FROM alarms WHERE region = ?1), "
            "(SELECT min(wait_end_ms) FROM alarms WHERE region = ?1), "
            "(SELECT min(ext_end_ms) FROM alarms WHERE region = ?1), "
            "(SELECT min(asg_next_ms) FROM alarms WHERE region = ?1)", (self.region,)
        ).fetchone()
        candidates = [v for v in row if v is not None]
        return min(candidates) if candidates else None

    def job_due(self, after_ms: int) -> int | None:
        """Next due time of this region's evaluation item: the next instant or timer, or the next minute while any
        alarm is skipping (so new data is noticed), or None when there is nothing to evaluate."""
        nxt = self._next_instant()
        skipping = self.conn.execute(
            "SELECT config FROM alarms WHERE region = ? AND sleep_from_ms IS NOT NULL", (self.region,)
        ).fetchall()
        candidates = [] if nxt is None else [max(nxt, after_ms + 1)]
        if skipping:
            step = min(step_seconds(alarm_period(json.loads(r[0]))) for r in skipping)
            candidates.append(instant_after(after_ms, step))
        return min(candidates) if candidates else None

    def reschedule(self) -> None:
        """Point the scheduler item at the next work (after API writes)."""
        now_ms = _ms(self.store.now())
        due = self.job_due(now_ms - 1)
        if due is None:
            scheduler.unschedule(self.store, JOB_KIND, self.region)
        else:
            scheduler.schedule(self.store, JOB_KIND, self.region, datetime.fromtimestamp(due / 1000, UTC))


def run_evaluate(store: AccountStore, key: str, due: datetime, now: datetime) -> datetime | None:
    """Scheduler handler of ``alarms.evaluate`` (key = region)."""
    engine = AlarmEngine(store, key)
    nxt = engine.run(_ms(due), _ms(now))
    return None if nxt is None else datetime.fromtimestamp(nxt / 1000, UTC)


# --------------------------------------------------------------------------------------------------------------
# The recorded API (mixed into LocalCloudWatch).


class AlarmsMixin:
    """PutMetricAlarm, PutCompositeAlarm, DescribeAlarms(ForMetric), DeleteAlarms, SetAlarmState,
    DescribeAlarmHistory, Enable/DisableAlarmActions of the local CloudWatch service."""

    store: AccountStore
    region: str

    def _engine(self) -> AlarmEngine:
        return AlarmEngine(self.store, self.region)

    def _alarm_resources(self, names: Sequence[str]) -> list[dict[str, str]]:
        eng = self._engine()
        return [{"type": "AWS::CloudWatch::Alarm", "ARN": eng.arn(n), "name": n} for n in names]

    def _resources(self, op: str, params: dict[str, Any], result: Any) -> list[dict[str, str]]:
        if op in ("PutMetricAlarm", "PutCompositeAlarm", "SetAlarmState") and params.get("AlarmName"):
            return self._alarm_resources([str(params["AlarmName"])])
        if op in ("DeleteAlarms", "EnableAlarmActions", "DisableAlarmActions"):
            return self._alarm_resources([str(n) for n in params.get("AlarmNames") or []])
        return []

    def _store_alarm(self, eng: AlarmEngine, name: str, alarm_type: str, cfg: dict[str, Any],
                     tags: Any, suppressor: str | None = None) -> tuple[Any, Any]:  # fmt: skip
        """Insert or overwrite an alarm (state kept on update, as AWS does); returns (previous row, new row)."""
        from awsmon.engines.alarm_eval import INITIAL_REASON, INITIAL_STATE, configuration_update_history_item

        now_ms = _ms(self.store.now())
        _validate_tags(tags)
        prev = eng.row(name)
        if prev is not None and prev["alarm_type"] != alarm_type:
            kind = "metric" if prev["alarm_type"] == "MetricAlarm" else "composite"
            raise _validation(f"An alarm named {name} already exists as a {kind} alarm.")
        dims_key = None if cfg.get("Metrics") or alarm_type != "MetricAlarm" else _canonical_dims(cfg.get("Dimensions"))
        values = (json.dumps(cfg, separators=(",", ":")), cfg.get("Namespace"), cfg.get("MetricName"), dims_key,
                  int(cfg.get("ActionsEnabled", True)), now_ms, suppressor)  # fmt: skip
        if prev is None:
            self.store.conn.execute(
                "INSERT INTO alarms (region, name, arn, alarm_type, config, namespace, metric_name, dims_key, "
                "actions_enabled, config_updated_ms, suppressor, state_value, state_reason, state_updated_ms, "
                "state_transitioned_ms, tags) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (self.region, name, eng.arn(name), alarm_type, *values, INITIAL_STATE, INITIAL_REASON, now_ms, now_ms,
                 json.dumps(tags or [])),
            )  # fmt: skip
        else:
            self.store.conn.execute(
                "UPDATE alarms SET config = ?, namespace = ?, metric_name = ?, dims_key = ?, actions_enabled = ?, "
                "config_updated_ms = ?, suppressor = ? WHERE region = ? AND name = ?",
                (*values, self.region, name),
            )
        row = eng.row(name)
        kind = "Create" if prev is None else "Update"
        eng.add_history(configuration_update_history_item(
            eng._history_config(row), kind, timestamp=now_ms / 1000,
            previous=None if prev is None else eng._history_config(prev), alarm_type=alarm_type,
        ))  # fmt: skip
        return prev, row

    @api("PutMetricAlarm")
    def put_metric_alarm(self, **params: Any) -> dict[str, Any]:
        from awsmon.engines.alarm_eval import (
            ANOMALY_OPERATORS,
            STATIC_OPERATORS,
            CloudWatchError,
            validate_alarm_periods,
        )

        allowed = {"AlarmName", "AlarmDescription", "ActionsEnabled", "OKActions", "AlarmActions",
                   "InsufficientDataActions", "MetricName", "Namespace", "Statistic", "ExtendedStatistic",
                   "Dimensions", "Period", "Unit", "EvaluationPeriods", "DatapointsToAlarm", "Threshold",
                   "ComparisonOperator", "TreatMissingData", "EvaluateLowSampleCountPercentile", "Metrics", "Tags",
                   "ThresholdMetricId"}  # fmt: skip
        unsupported = sorted(k for k in params if k not in allowed)
        if unsupported:
            raise _validation(f"{', '.join(unsupported)}: not supported by the local engine (use --backend aws).")
        name = _validate_name(params.get("AlarmName"))
        eng = self._engine()
        desc = params.get("AlarmDescription")
        if desc is not None and len(str(desc)) > 1024:
            raise _validation("The value for parameter AlarmDescription must be at most 1024 characters.")
        metrics = params.get("Metrics")
        single = [k for k in _METRIC_PARAMS if params.get(k) not in (None, [])]
        if metrics and single:
            raise _validation(f"Metrics list cannot be combined with {', '.join(single)}.")
        cfg: dict[str, Any] = {"AlarmName": name}
        if desc is not None:
            cfg["AlarmDescription"] = str(desc)
        cfg["ActionsEnabled"] = bool(params.get("ActionsEnabled", True))
        evaluation_periods = _int_param(params.get("EvaluationPeriods"), "EvaluationPeriods")
        m = params.get("DatapointsToAlarm")
        if m is not None:
            m = _int_param(m, "DatapointsToAlarm")
        op = params.get("ComparisonOperator")
        tmid = params.get("ThresholdMetricId")
        if op not in STATIC_OPERATORS and op not in ANOMALY_OPERATORS:
            raise ServiceError("InvalidParameterValue", f"The value {op} for parameter ComparisonOperator is invalid.")
        if (op in ANOMALY_OPERATORS) != bool(tmid):
            raise _validation(
                f"ComparisonOperator {op} requires ThresholdMetricId." if op in ANOMALY_OPERATORS else
                "ThresholdMetricId can only be used with the comparison operators LessThanLowerOrGreaterThanUpperThreshold, "
                "LessThanLowerThreshold and GreaterThanUpperThreshold."
            )  # fmt: skip
        if tmid and not metrics:
            raise ServiceError("MissingParameter", "The parameter Metrics is required when ThresholdMetricId is set.")
        if tmid and params.get("Threshold") is not None:
            raise ServiceError("InvalidParameterCombination",
                               "The parameters Threshold and ThresholdMetricId cannot be specified together.")  # fmt: skip
        if metrics:
            queries, period = _validate_metrics(metrics, str(tmid) if tmid else None)
            cfg["Metrics"] = queries
            if tmid:
                cfg["ThresholdMetricId"] = str(tmid)
        else:
            if not params.get("MetricName") or not params.get("Namespace"):
                missing = "MetricName" if not params.get("MetricName") else "Namespace"
                raise ServiceError("MissingParameter", f"The parameter {missing} is required.")
            stat, ext = params.get("Statistic"), params.get("ExtendedStatistic")
            if stat is not None and ext is not None:
                raise ServiceError("InvalidParameterCombination",
                                   "Exactly one of the parameters Statistic and ExtendedStatistic must be specified; "
                                   "you have specified both.")  # fmt: skip
            if stat is None and ext is None:
                raise ServiceError("MissingParameter",
                                   "Exactly one of the parameters Statistic and ExtendedStatistic is required.")  # fmt: skip
            if stat is not None and stat not in BASIC:
                raise ServiceError("InvalidParameterValue", f"The value {stat} for parameter Statistic is invalid.")
            if ext is not None:
                from awsmon.engines.stats import validate_alarm_extended_statistic

                try:
                    validate_alarm_extended_statistic(str(ext))
                except CloudWatchError as exc:
                    raise _err(exc) from None
            period = _int_param(params.get("Period"), "Period")
            _check_alarm_period(period)
            unit = params.get("Unit")
            if unit is not None and unit not in UNITS:
                raise ServiceError("InvalidParameterValue", f"The value {unit} for parameter Unit is invalid.")
            cfg.update({"MetricName": str(params["MetricName"]), "Namespace": str(params["Namespace"])})
            if stat is not None:
                cfg["Statistic"] = stat
            else:
                cfg["ExtendedStatistic"] = str(ext)
            cfg["Dimensions"] = _validate_dimensions(params.get("Dimensions"))
            cfg["Period"] = period
            if unit is not None:
                cfg["Unit"] = unit
        try:
            validate_alarm_periods(period, evaluation_periods, m)
        except CloudWatchError as exc:
            raise _err(exc) from None
        cfg["EvaluationPeriods"] = evaluation_periods
        if m is not None:
            cfg["DatapointsToAlarm"] = m
        threshold = params.get("Threshold")
        if threshold is None and not tmid:
            raise ServiceError("MissingParameter", "The parameter Threshold is required.")
        if threshold is not None:
            try:
                threshold = float(threshold)
            except (TypeError, ValueError):
                raise ServiceError("InvalidParameterValue",
                                   f"The value {threshold} for parameter Threshold is invalid.") from None  # fmt: skip
            if math.isnan(threshold) or math.isinf(threshold):
                raise ServiceError("InvalidParameterValue", f"The value {threshold} for parameter Threshold is invalid.")
            cfg["Threshold"] = threshold
        cfg["ComparisonOperator"] = op
        tmd = params.get("TreatMissingData") or "missing"
        if tmd not in ("breaching", "notBreaching", "ignore", "missing"):
            raise ServiceError("InvalidParameterValue", f"The value {tmd} for parameter TreatMissingData is invalid.")
        cfg["TreatMissingData"] = tmd
        elsc = params.get("EvaluateLowSampleCountPercentile")
        if elsc is not None:
            if elsc not in ("evaluate", "ignore"):
                raise ServiceError("InvalidParameterValue",
                                   f"The value {elsc} for parameter EvaluateLowSampleCountPercentile is invalid.")  # fmt: skip
            if not cfg.get("ExtendedStatistic"):
                raise _validation("EvaluateLowSampleCountPercentile is valid only for alarms on percentiles.")
            cfg["EvaluateLowSampleCountPercentile"] = elsc
        cfg.update(_validate_actions(params, composite=False, math_alarm=bool(metrics)))
        self._store_alarm(eng, name, "MetricAlarm", cfg, params.get("Tags"))
        # A new or updated alarm is evaluated at once (at the next catch-up), then on the minute grid.
        self.store.conn.execute(
            "UPDATE alarms SET next_eval_ms = ?, sleep_from_ms = NULL WHERE region = ? AND name = ?",
            (_ms(self.store.now()), self.region, name),
        )
        eng.schedule_asg_repeat(name, _ms(self.store.now()))  # the new action lists decide about repeats
        eng.reschedule()
        return {}

    @api("PutCompositeAlarm")
    def put_composite_alarm(self, **params: Any) -> dict[str, Any]:
        from awsmon.engines.alarm_rule import CloudWatchError, children, parse_rule

        allowed = {"AlarmName", "AlarmRule", "AlarmDescription", "ActionsEnabled", "OKActions", "AlarmActions",
                   "InsufficientDataActions", "Tags", "ActionsSuppressor", "ActionsSuppressorWaitPeriod",
                   "ActionsSuppressorExtensionPeriod"}  # fmt: skip
        unsupported = sorted(k for k in params if k not in allowed)
        if unsupported:
            raise _validation(f"{', '.join(unsupported)}: not supported by the local engine (use --backend aws).")
        name = _validate_name(params.get("AlarmName"))
        rule = params.get("AlarmRule")
        if not isinstance(rule, str):
            raise _validation("1 validation error detected: Value null at 'alarmRule' failed to satisfy constraint: "
                              "Member must not be null")  # fmt: skip
        if not rule:
            raise _validation("1 validation error detected: Value '' at 'alarmRule' failed to satisfy constraint: "
                              "Member must have length greater than or equal to 1")  # fmt: skip
        try:
            node = parse_rule(rule)
        except CloudWatchError as exc:
            raise _err(exc) from None
        eng = self._engine()
        kids: set[str] = set()
        for ref in sorted(children(node)):
            kid = eng.name_of(ref)
            if kid == name or eng.row(kid) is None:
                if kid != name:
                    raise _validation(f"Invalid AlarmRule: alarm {ref} does not exist.")
            kids.add(kid)
        cfg: dict[str, Any] = {"AlarmName": name}
        if params.get("AlarmDescription") is not None:
            cfg["AlarmDescription"] = str(params["AlarmDescription"])
        cfg["ActionsEnabled"] = bool(params.get("ActionsEnabled", True))
        cfg["AlarmRule"] = rule
        cfg.update(_validate_actions(params, composite=True, math_alarm=False))
        suppressor = params.get("ActionsSuppressor")
        sup_name = None
        if suppressor:
            if len(str(suppressor)) > 1600:
                raise _validation("The value for parameter ActionsSuppressor must be at most 1600 characters.")
            wait, ext = params.get("ActionsSuppressorWaitPeriod"), params.get("ActionsSuppressorExtensionPeriod")
            if wait is None or ext is None:
                raise _validation("ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod are required "
                                  "when ActionsSuppressor is specified.")  # fmt: skip
            sup_name = eng.name_of(str(suppressor))
            if sup_name == name or eng.row(sup_name) is None:
                raise _validation(f"ActionsSuppressor alarm {suppressor} does not exist.")
            cfg["ActionsSuppressor"] = str(suppressor)
            cfg["ActionsSuppressorWaitPeriod"] = _int_param(wait, "ActionsSuppressorWaitPeriod", 0)
            cfg["ActionsSuppressorExtensionPeriod"] = _int_param(ext, "ActionsSuppressorExtensionPeriod", 0)
        elif params.get("ActionsSuppressorWaitPeriod") is not None or params.get("ActionsSuppressorExtensionPeriod") is not None:
            raise _validation("ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod need ActionsSuppressor.")
        prev, _row = self._store_alarm(eng, name, "CompositeAlarm", cfg, params.get("Tags"), sup_name)
        conn = self.store.conn
        conn.execute("DELETE FROM alarm_children WHERE region = ? AND parent = ?", (self.region, name))
        conn.executemany("INSERT INTO alarm_children (region, parent, child) VALUES (?,?,?)",
                         [(self.region, name, k) for k in sorted(kids)])  # fmt: skip
        if prev is None or not sup_name:
            conn.execute("UPDATE alarms SET suppressed_by = NULL, suppressed_reason = NULL, wait_end_ms = NULL, "
                         "ext_end_ms = NULL, pending_actions = 0 WHERE region = ? AND name = ?", (self.region, name))  # fmt: skip
        if not eng.in_cycle(name):
            # Creating or updating a composite evaluates it at once (spec §3.11).
            eng.evaluate_composite(eng.row(name), _ms(self.store.now()))
            eng.settle()
        eng.reschedule()
        return {}

    @api("DescribeAlarms")
    def describe_alarms(self, *, AlarmNames: list[str] | None = None, AlarmNamePrefix: str | None = None,
                        AlarmTypes: list[str] | None = None, ChildrenOfAlarmName: str | None = None,
                        ParentsOfAlarmName: str | None = None, StateValue: str | None = None,
                        ActionPrefix: str | None = None, MaxRecords: int | None = None, NextToken: str | None = None,
                        **kw: Any) -> dict[str, Any]:  # fmt: skip
        if AlarmNames and AlarmNamePrefix:
            raise ServiceError("InvalidParameterCombination",
                               "AlarmNames and AlarmNamePrefix cannot be specified together.")  # fmt: skip
        if len(AlarmNames or []) > 100:
            raise _validation("The collection AlarmNames must not have a size greater than 100.")
        if StateValue is not None and StateValue not in STATES:
            raise _validation(f"The value {StateValue} for parameter StateValue is invalid.")
        types = list(AlarmTypes or ["MetricAlarm"])
        for t in types:
            if t not in ("MetricAlarm", "CompositeAlarm"):
                raise _validation(f"The value {t} for parameter AlarmTypes is invalid.")
        limit = MAX_RECORDS if MaxRecords is None else _int_param(MaxRecords, "MaxRecords")
        if limit > MAX_RECORDS:
            raise _validation(f"The value {MaxRecords} for parameter MaxRecords is invalid.")
        eng = self._engine()
        where = ["region = ?", f"alarm_type IN ({','.join('?' * len(types))})", "name > ?"]
        args: list[Any] = [self.region, *types, NextToken or ""]
        if AlarmNames:
            where.append(f"name IN ({','.join('?' * len(AlarmNames))})")
            args.extend(AlarmNames)
        if AlarmNamePrefix:
            where.append("substr(name, 1, ?) = ?")
            args.extend([len(AlarmNamePrefix), AlarmNamePrefix])
        if StateValue:
            where.append("state_value = ?")
            args.append(StateValue)
        if ChildrenOfAlarmName:
            where.append("name IN (SELECT child FROM alarm_children WHERE region = ? AND parent = ?)")
            args.extend([self.region, ChildrenOfAlarmName])
        if ParentsOfAlarmName:
            where.append("name IN (SELECT parent FROM alarm_children WHERE region = ? AND child = ?)")
            args.extend([self.region, ParentsOfAlarmName])
        rows = self.store.conn.execute(
            f"SELECT * FROM alarms WHERE {' AND '.join(where)} ORDER BY name", args
        ).fetchall()
        if ActionPrefix:
            rows = [r for r in rows if any(a.startswith(ActionPrefix) for k in ACTION_KEYS.values()
                                           for a in json.loads(r["config"]).get(k) or [])]  # fmt: skip
        page = rows[:limit]
        out: dict[str, Any] = {
            "MetricAlarms": [eng.describe(r) for r in page if r["alarm_type"] == "MetricAlarm"],
            "CompositeAlarms": [eng.describe(r) for r in page if r["alarm_type"] == "CompositeAlarm"],
        }
        if len(rows) > limit:
            out["NextToken"] = page[-1]["name"]
        return out

    @api("DescribeAlarmsForMetric")
    def describe_alarms_for_metric(self, *, MetricName: str, Namespace: str, Statistic: str | None = None,
                                   ExtendedStatistic: str | None = None, Dimensions: list[dict[str, str]] | None = None,
                                   Period: int | None = None, Unit: str | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        if Statistic is not None and Statistic not in BASIC:
            raise ServiceError("InvalidParameterValue", f"The value {Statistic} for parameter Statistic is invalid.")
        if ExtendedStatistic is not None:
            from awsmon.engines.stats import CloudWatchError, parse_statistic

            try:
                parse_statistic(str(ExtendedStatistic), "ExtendedStatistic")
            except CloudWatchError as exc:
                raise _err(exc) from None
        if Period is not None:
            _int_param(Period, "Period")
        if Unit is not None and Unit not in UNITS:
            raise ServiceError("InvalidParameterValue", f"The value {Unit} for parameter Unit is invalid.")
        eng = self._engine()
        where = ["region = ?", "alarm_type = 'MetricAlarm'", "namespace = ?", "metric_name = ?"]
        args: list[Any] = [self.region, Namespace, MetricName]
        if Dimensions is not None:
            where.append("dims_key = ?")
            args.append(_canonical_dims(Dimensions))
        rows = self.store.conn.execute(f"SELECT * FROM alarms WHERE {' AND '.join(where)} ORDER BY name", args).fetchall()
        out = []
        for r in rows:
            cfg = json.loads(r["config"])
            if Statistic is not None and cfg.get("Statistic") != Statistic:
                continue
            if ExtendedStatistic is not None and cfg.get("ExtendedStatistic") != ExtendedStatistic:
                continue
            if Period is not None and cfg.get("Period") != Period:
                continue
            if Unit is not None and cfg.get("Unit") != Unit:
                continue
            out.append(eng.describe(r))
        return {"MetricAlarms": out}

    @api("DeleteAlarms")
    def delete_alarms(self, *, AlarmNames: list[str], **kw: Any) -> dict[str, Any]:
        from awsmon.engines.alarm_eval import configuration_update_history_item

        names = list(dict.fromkeys(AlarmNames or []))
        if len(names) > 100:
            raise _validation("The collection AlarmNames must not have a size greater than 100.")
        eng = self._engine()
        rows = [r for r in (eng.row(n) for n in names) if r is not None]  # unknown names are ignored
        if sum(1 for r in rows if r["alarm_type"] == "CompositeAlarm") > 1:
            raise _validation("You can delete at most one composite alarm per DeleteAlarms call.")
        doomed = {r["name"] for r in rows}
        conn = self.store.conn
        for r in rows:
            if r["alarm_type"] == "CompositeAlarm" and eng.in_cycle(r["name"]):
                raise _validation(f"Alarm {r['name']} is part of a cycle of composite alarms; change one AlarmRule to "
                                  "FALSE to break the cycle first.")  # fmt: skip
            users = [p[0] for p in conn.execute(
                "SELECT parent FROM alarm_children WHERE region = ? AND child = ? UNION "
                "SELECT name FROM alarms WHERE region = ? AND suppressor = ?",
                (self.region, r["name"], self.region, r["name"]))]  # fmt: skip
            users = [u for u in users if u not in doomed]
            if users:
                raise ServiceError("ResourceInUse",
                                   f"Alarm {r['name']} is used by composite alarm {sorted(users)[0]}; delete or "
                                   "change that composite alarm first.")  # fmt: skip
        now_ms = _ms(self.store.now())
        for r in rows:
            eng.add_history(configuration_update_history_item(
                eng._history_config(r), "Delete", timestamp=now_ms / 1000, alarm_type=r["alarm_type"]))  # fmt: skip
            conn.execute("DELETE FROM alarms WHERE region = ? AND name = ?", (self.region, r["name"]))
            conn.execute("DELETE FROM alarm_children WHERE region = ? AND parent = ?", (self.region, r["name"]))
        eng.reschedule()
        return {}

    @api("SetAlarmState")
    def set_alarm_state(self, *, AlarmName: str, StateValue: str, StateReason: str,
                        StateReasonData: str | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        if StateValue not in STATES:
            raise _validation(f"The value {StateValue} for parameter StateValue is invalid.")
        if StateReason is None or len(StateReason) > 1023:
            raise _validation("The parameter StateReason must be 0 to 1023 characters long.")
        data = None
        if StateReasonData is not None:
            if len(StateReasonData) > 4000:
                raise _validation("The parameter StateReasonData must be at most 4000 characters long.")
            try:
                data = json.loads(StateReasonData)
            except ValueError:
                raise ServiceError("InvalidFormat", "StateReasonData must be valid JSON.") from None
        eng = self._engine()
        row = eng.row(AlarmName)
        if row is None:
            raise ServiceError("ResourceNotFound", f"Alarm {AlarmName} not found", status=404)
        now_ms = _ms(self.store.now())
        eng.transition(row, StateValue, StateReason, data, now_ms)
        eng.settle()
        if row["alarm_type"] == "MetricAlarm":
            # The alarm returns to its computed state at the next evaluation.
            cfg = json.loads(row["config"])
            self.store.conn.execute(
                "UPDATE alarms SET next_eval_ms = ?, sleep_from_ms = NULL WHERE region = ? AND name = ?",
                (instant_after(now_ms, step_seconds(alarm_period(cfg))), self.region, AlarmName),
            )
        eng.reschedule()
        return {}

    @api("DescribeAlarmHistory")
    def describe_alarm_history(self, *, AlarmName: str | None = None, AlarmTypes: list[str] | None = None,
                               HistoryItemType: str | None = None, StartDate: Any = None, EndDate: Any = None,
                               MaxRecords: int | None = None, NextToken: str | None = None,
                               ScanBy: str | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        if HistoryItemType is not None and HistoryItemType not in ("ConfigurationUpdate", "StateUpdate", "Action"):
            raise _validation(f"The value {HistoryItemType} for parameter HistoryItemType is invalid.")
        if ScanBy is not None and ScanBy not in ("TimestampDescending", "TimestampAscending"):
            raise _validation(f"The value {ScanBy} for parameter ScanBy is invalid.")
        limit = MAX_RECORDS if MaxRecords is None else _int_param(MaxRecords, "MaxRecords")
        if limit > MAX_RECORDS:
            raise _validation(f"The value {MaxRecords} for parameter MaxRecords is invalid.")
        types = list(AlarmTypes or ["MetricAlarm"])  # like DescribeAlarms: metric alarms unless asked
        for t in types:
            if t not in ("MetricAlarm", "CompositeAlarm"):
                raise _validation(f"The value {t} for parameter AlarmTypes is invalid.")
        # History is kept two weeks, also after the alarm is deleted (older items are pruned by the evaluator).
        where = ["region = ?", "ts_ms >= ?", f"alarm_type IN ({','.join('?' * len(types))})"]
        args: list[Any] = [self.region, _ms(self.store.now()) - HISTORY_RETENTION_MS, *types]
        conds, values = equal_filters(alarm_name=AlarmName or None, item_type=HistoryItemType or None)
        where += conds
        args += values
        from awsmon.backends.local.cloudwatch_metrics import _epoch

        if StartDate is not None:
            where.append("ts_ms >= ?")
            args.append(int(_epoch(StartDate, "StartDate") * 1000))
        if EndDate is not None:
            where.append("ts_ms <= ?")
            args.append(int(_epoch(EndDate, "EndDate") * 1000))
        ascending = ScanBy == "TimestampAscending"
        if NextToken:
            try:
                where.append("seq > ?" if ascending else "seq < ?")
                args.append(int(NextToken))
            except ValueError:
                raise ServiceError("InvalidNextToken", "The service returned an invalid NextToken.") from None
        order = "ASC" if ascending else "DESC"
        rows = self.store.conn.execute(
            f"SELECT * FROM alarm_history WHERE {' AND '.join(where)} ORDER BY seq {order} LIMIT ?", (*args, limit + 1)
        ).fetchall()
        items = [
            {"AlarmName": r["alarm_name"], "AlarmType": r["alarm_type"], "Timestamp": _dt(r["ts_ms"]),
             "HistoryItemType": r["item_type"], "HistorySummary": r["summary"], "HistoryData": r["data"]}  # fmt: skip
            for r in rows[:limit]
        ]
        out: dict[str, Any] = {"AlarmHistoryItems": items}
        if len(rows) > limit:
            out["NextToken"] = str(rows[limit - 1]["seq"])
        return out

    def _set_actions(self, names: list[str], enabled: bool) -> dict[str, Any]:
        if len(names or []) > 100:
            raise _validation("The collection AlarmNames must not have a size greater than 100.")
        eng = self._engine()
        conn = self.store.conn
        for name in names or []:
            row = eng.row(name)
            if row is None:
                continue
            cfg = json.loads(row["config"])
            cfg["ActionsEnabled"] = enabled
            conn.execute("UPDATE alarms SET actions_enabled = ?, config = ? WHERE region = ? AND name = ?",
                         (int(enabled), json.dumps(cfg, separators=(",", ":")), self.region, name))  # fmt: skip
            eng.schedule_asg_repeat(name, _ms(self.store.now()))
        eng.reschedule()
        return {}

    @api("EnableAlarmActions")
    def enable_alarm_actions(self, *, AlarmNames: list[str], **kw: Any) -> dict[str, Any]:
        return self._set_actions(AlarmNames, True)

    @api("DisableAlarmActions")
    def disable_alarm_actions(self, *, AlarmNames: list[str], **kw: Any) -> dict[str, Any]:
        return self._set_actions(AlarmNames, False)

    # -- local-only (no AWS API, not recorded) -----------------------------------------------------------------
    def explain_alarm(self, *, AlarmName: str) -> dict[str, Any]:
        """What the last evaluation saw (or a dry run at the latest instant when the alarm was never evaluated)."""
        eng = self._engine()
        row = eng.row(AlarmName)
        if row is None:
            raise ServiceError("ResourceNotFound", f"Alarm {AlarmName} not found", status=404)
        if row["alarm_type"] == "CompositeAlarm":
            return {"Alarm": eng.describe(row), "Composite": self._explain_composite(eng, row)}
        if row["last_explain"]:
            rec = json.loads(row["last_explain"])
            rec["DryRun"] = False
        else:
            cfg = json.loads(row["config"])
            step = step_seconds(alarm_period(cfg))
            t_ms = instant_after(_ms(self.store.now()) - step * 1000, step)
            rec = eng.evaluate_metric(row, t_ms)
            rec["DryRun"] = True
        rec["Alarm"] = eng.describe(row)
        rec["NextEvaluation"] = _dt(row["next_eval_ms"])
        return rec

    def _explain_composite(self, eng: AlarmEngine, row: Any) -> dict[str, Any]:
        from awsmon.engines.alarm_rule import composite_state

        kids = [r[0] for r in self.store.conn.execute(
            "SELECT child FROM alarm_children WHERE region = ? AND parent = ? ORDER BY child", (self.region, row["name"]))]  # fmt: skip
        states = {}
        for k in kids:
            kr = eng.row(k)
            states[k] = kr["state_value"] if kr is not None else "UNKNOWN"
        cfg = json.loads(row["config"])
        cycle = eng.in_cycle(row["name"])
        computed = None if cycle else composite_state(cfg["AlarmRule"], {**states, **{eng.arn(k): v for k, v in states.items()}})
        return {"AlarmRule": cfg["AlarmRule"], "Children": [{"AlarmName": k, "StateValue": v} for k, v in states.items()],
                "RuleIsTrue": None if computed is None else computed == "ALARM", "ComputedState": computed,
                "InCycle": cycle}  # fmt: skip

    def list_alarm_actions(self, *, AlarmName: str | None = None) -> dict[str, Any]:
        conds, values = equal_filters(alarm_name=AlarmName or None)
        where, args = ["region = ?", *conds], [self.region, *values]
        rows = self.store.conn.execute(
            f"SELECT * FROM alarm_actions WHERE {' AND '.join(where)} ORDER BY seq", args
        ).fetchall()
        return {"Actions": [{"AlarmName": r["alarm_name"], "Timestamp": _dt(r["ts_ms"]), "ActionArn": r["action_arn"],
                             "Kind": r["kind"], "NewState": r["new_state"], "Status": r["status"],
                             "Detail": json.loads(r["detail"])} for r in rows]}  # fmt: skip
