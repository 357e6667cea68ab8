"""What the ``awsmon alarms`` commands mean, for both backends: boto3 ``cloudwatch``/``sns`` calls on ``ctx.client``.

``explain`` and ``check`` work against real AWS too: ``check`` reads DescribeAlarms; ``explain`` re-runs the alarm's
evaluation with the local engine (awsmon.engines.alarm_eval) over the datapoints CloudWatch returns for the current
evaluation range, beside the state AWS reports. On the local backend, ``explain`` shows what the last scheduled
evaluation actually saw.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from awsmon.backends import paginate
from awsmon.context import AppContext
from awsmon.errors import AwsmonError, UsageError
from awsmon.services import compact
from awsmon.services.sqs import parse_attributes

BOTH_TYPES = ["MetricAlarm", "CompositeAlarm"]


# --------------------------------------------------------------------------------------------------------------
# input parsing helpers


def parse_dimensions(values: Sequence[str] | None) -> list[dict[str, str]]:
    """The same dimension syntax as ``awsmon metrics`` (``Name=N,Value=V``, ``N=V[,N2=V2]`` or a JSON list)."""
    from awsmon.services.metrics import parse_dimensions as metrics_dimensions

    return metrics_dimensions(values)


def parse_tags(values: Sequence[str] | None) -> list[dict[str, str]]:
    """``--tags``: ``Key=team,Value=web`` (aws-cli shorthand, one per option) or ``team=web[,env=prod]``."""
    out: list[dict[str, str]] = []
    for text in values or []:
        parts = [p.strip() for p in text.split(",") if p.strip()]
        kv = dict(p.partition("=")[::2] for p in parts)
        if any("=" not in p for p in parts):
            raise UsageError(f"invalid --tags value {text!r}: expected Key=K,Value=V or K=V")
        if set(kv) == {"Key", "Value"} and len(parts) == 2:
            out.append({"Key": kv["Key"].strip(), "Value": kv["Value"].strip()})
            continue
        for p in parts:
            k, _, v = p.partition("=")
            if not k.strip():
                raise UsageError(f"invalid --tags value {text!r}: empty tag key")
            out.append({"Key": k.strip(), "Value": v.strip()})
    return out


def load_json_arg(text: str, option: str) -> Any:
    """A JSON value given inline, as ``file://path`` (aws-cli style) or as a path to a file."""
    from awsmon.inputs import read_json_arg

    return read_json_arg(text, option, bare_path=lambda v: not v.lstrip().startswith(("[", "{")))


def check_max_items(max_items: int | None) -> None:
    if max_items is not None and max_items < 1:
        raise UsageError(f"--max-items must be at least 1 (got {max_items})")


def _cw(ctx: AppContext) -> Any:
    from awsmon.services.metrics import cloudwatch

    return cloudwatch(ctx)


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None and v != []}


# --------------------------------------------------------------------------------------------------------------
# alarms


def put_metric_alarm(ctx: AppContext, params: dict[str, Any], metrics_file: str | None = None) -> dict[str, Any]:
    params = _drop_none(dict(params))
    if metrics_file:
        data = load_json_arg(metrics_file, "--metrics")
        if isinstance(data, dict) and "Metrics" in data:
            data = data["Metrics"]
        if not isinstance(data, list):
            raise UsageError("--metrics must hold a JSON list of MetricDataQuery objects (or {\"Metrics\": [...]})")
        params["Metrics"] = data
    _cw(ctx).put_metric_alarm(**params)
    return {}


def put_composite_alarm(ctx: AppContext, params: dict[str, Any]) -> dict[str, Any]:
    _cw(ctx).put_composite_alarm(**_drop_none(dict(params)))
    return {}


def describe_alarms(
    ctx: AppContext,
    names: Sequence[str] | None = None,
    prefix: str | None = None,
    state: str | None = None,
    types: Sequence[str] | None = None,
    action_prefix: str | None = None,
    children_of: str | None = None,
    parents_of: str | None = None,
) -> dict[str, Any]:
    """DescribeAlarms over every page; both alarm types unless ``types`` narrows them."""
    client = _cw(ctx)
    params = _drop_none({
        "AlarmNames": list(names or []), "AlarmNamePrefix": prefix, "StateValue": state,
        "AlarmTypes": list(types or BOTH_TYPES), "ActionPrefix": action_prefix,
        "ChildrenOfAlarmName": children_of, "ParentsOfAlarmName": parents_of,
    })  # fmt: skip
    metric: list[dict[str, Any]] = []
    composite: list[dict[str, Any]] = []
    token = None
    while True:
        page = client.describe_alarms(**params, **({"NextToken": token} if token else {}))
        metric.extend(page.get("MetricAlarms") or [])
        composite.extend(page.get("CompositeAlarms") or [])
        token = page.get("NextToken")
        if not token:
            break
    return {"MetricAlarms": metric, "CompositeAlarms": composite}


def composite_cycles(ctx: AppContext) -> set[str]:
    """Names of the composite alarms that are part of a cycle (CloudWatch stops evaluating them, spec §3.11)."""
    from awsmon.engines.alarm_rule import CloudWatchError, children

    graph: dict[str, set[str]] = {}
    for a in describe_alarms(ctx, types=["CompositeAlarm"])["CompositeAlarms"]:
        try:
            kids = children(a.get("AlarmRule") or "FALSE")
        except CloudWatchError:
            kids = set()
        graph[a["AlarmName"]] = {k.rsplit(":alarm:", 1)[-1] for k in kids}
    cyclic: set[str] = set()
    for start in graph:  # a composite is cyclic when it can reach itself through composites
        seen: set[str] = set()
        stack = [k for k in graph[start] if k in graph]
        while stack:
            cur = stack.pop()
            if cur == start:
                cyclic.add(start)
                break
            if cur not in seen:
                seen.add(cur)
                stack.extend(k for k in graph.get(cur, ()) if k in graph)
    return cyclic


def alarm_rows(data: dict[str, Any], cycles: set[str] | None = None) -> list[dict[str, Any]]:
    """One row per alarm of a DescribeAlarms response (table/csv view); composites in ``cycles`` are flagged."""
    rows = []
    for a in data.get("MetricAlarms") or []:
        rows.append({**a, "AlarmType": "MetricAlarm", "Condition": condition_text(a)})
    for a in data.get("CompositeAlarms") or []:
        flag = "  [in a cycle: not evaluated]" if a["AlarmName"] in (cycles or ()) else ""
        rows.append({**a, "AlarmType": "CompositeAlarm", "Condition": f"{a.get('AlarmRule')}{flag}"})
    rows.sort(key=lambda r: r["AlarmName"])
    return rows


_OP_SYMBOL = {
    "GreaterThanOrEqualToThreshold": ">=",
    "GreaterThanThreshold": ">",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}


def _period_text(a: dict[str, Any]) -> str:
    """The alarm's period: its own, else its metrics' (a MetricStat's, or a Metrics Insights query's)."""
    for q in a.get("Metrics") or []:
        period = (q.get("MetricStat") or {}).get("Period") or q.get("Period")
        if period:
            return str(period)
    return str(a.get("Period") or "")


def condition_text(a: dict[str, Any]) -> str:
    stat = a.get("Statistic") or a.get("ExtendedStatistic") or ""
    what = f"{a.get('Namespace')}/{a.get('MetricName')} {stat}" if a.get("MetricName") else "math"
    n = a.get("EvaluationPeriods")
    m = a.get("DatapointsToAlarm") or n
    op = _OP_SYMBOL.get(str(a.get("ComparisonOperator")), a.get("ComparisonOperator"))
    if a.get("ThresholdMetricId"):
        band = next((q.get("Expression") for q in a.get("Metrics") or [] if q.get("Id") == a["ThresholdMetricId"]), "")
        side = {"LessThanLowerOrGreaterThanUpperThreshold": "outside", "LessThanLowerThreshold": "below",
                "GreaterThanUpperThreshold": "above"}.get(str(a.get("ComparisonOperator")), op)  # fmt: skip
        return f"{what} {side} the band {band} for {m}/{n} x {_period_text(a)}s"
    return f"{what} {op} {a.get('Threshold')} for {m}/{n} x {_period_text(a)}s"


def describe_alarms_for_metric(ctx: AppContext, params: dict[str, Any]) -> dict[str, Any]:
    return dict(_cw(ctx).describe_alarms_for_metric(**_drop_none(dict(params))))


def delete_alarms(ctx: AppContext, names: Sequence[str]) -> dict[str, Any]:
    if not names:
        raise UsageError("give at least one alarm name (--alarm-names NAME)")
    _cw(ctx).delete_alarms(AlarmNames=list(names))
    return {}


def set_alarm_state(ctx: AppContext, name: str, state: str, reason: str, reason_data: str | None) -> dict[str, Any]:
    _cw(ctx).set_alarm_state(**compact(AlarmName=name, StateValue=state, StateReason=reason,
                                       StateReasonData=reason_data))  # fmt: skip
    return {}


def history(
    ctx: AppContext,
    name: str | None = None,
    item_type: str | None = None,
    start: str | None = None,
    end: str | None = None,
    types: Sequence[str] | None = None,
    max_items: int | None = None,
    ascending: bool = False,
) -> dict[str, Any]:
    check_max_items(max_items)
    client = _cw(ctx)
    params = _drop_none({
        "AlarmName": name, "HistoryItemType": item_type, "StartDate": ctx.parse_time(start),
        "EndDate": ctx.parse_time(end), "AlarmTypes": list(types or BOTH_TYPES),
        "ScanBy": "TimestampAscending" if ascending else None,
    })  # fmt: skip
    items = list(paginate(client.describe_alarm_history, "AlarmHistoryItems", max_items=max_items, **params))
    return {"AlarmHistoryItems": items}


def set_actions(ctx: AppContext, names: Sequence[str], enabled: bool) -> dict[str, Any]:
    if not names:
        raise UsageError("give at least one alarm name (--alarm-names NAME)")
    client = _cw(ctx)
    if enabled:
        client.enable_alarm_actions(AlarmNames=list(names))
    else:
        client.disable_alarm_actions(AlarmNames=list(names))
    return {}


def check(ctx: AppContext, names: Sequence[str] | None = None, prefix: str | None = None) -> dict[str, Any]:
    """Selected alarms with a one-line summary each; ``InAlarm`` counts those in ALARM (the CLI exits 3 then)."""
    data = describe_alarms(ctx, names=names, prefix=prefix)
    rows = alarm_rows(data)
    found = {r["AlarmName"] for r in rows}
    missing = [n for n in names or [] if n not in found]
    if missing:
        raise AwsmonError(f"no alarm named {', '.join(missing)}", hint="list alarms with: awsmon alarms describe")
    if not rows and prefix:
        raise AwsmonError(f"no alarms with prefix {prefix!r} to check", hint="list alarms with: awsmon alarms describe")
    out = []
    for r in rows:
        line = f"{r['StateValue']} {r['AlarmName']}: {r.get('StateReason') or ''}"
        out.append({"AlarmName": r["AlarmName"], "AlarmType": r["AlarmType"], "StateValue": r["StateValue"],
                    "StateUpdatedTimestamp": r.get("StateUpdatedTimestamp"), "Summary": line})  # fmt: skip
    in_alarm = [r["AlarmName"] for r in out if r["StateValue"] == "ALARM"]
    return {"Alarms": out, "InAlarm": len(in_alarm), "Checked": len(out), "AlarmNamesInAlarm": in_alarm}


# --------------------------------------------------------------------------------------------------------------
# explain


def explain(ctx: AppContext, name: str) -> dict[str, Any]:
    """Why an alarm is in its state: the datapoints of the evaluation, which breached, and the rule applied."""
    if ctx.is_local:
        rec = _cw(ctx).explain_alarm(AlarmName=name)
        if "Composite" in rec:
            return _composite_view(rec["Alarm"], rec["Composite"])
        return _metric_view(rec["Alarm"], rec, source="local engine (last scheduled evaluation)"
                            if not rec.get("DryRun") else "local engine (dry run: not evaluated yet)")  # fmt: skip
    data = describe_alarms(ctx, names=[name])
    if data["CompositeAlarms"]:
        return _explain_composite_aws(ctx, data["CompositeAlarms"][0])
    if not data["MetricAlarms"]:
        raise AwsmonError(f"no alarm named {name}", hint="list alarms with: awsmon alarms describe")
    alarm = data["MetricAlarms"][0]
    return _metric_view(alarm, _reevaluate_aws(ctx, alarm), source="awsmon engine re-run over CloudWatch datapoints")


def _metric_view(alarm: dict[str, Any], rec: dict[str, Any], *, source: str) -> dict[str, Any]:
    if "Error" in rec:
        return {"AlarmName": alarm["AlarmName"], "AlarmType": "MetricAlarm", "StateValue": alarm.get("StateValue"),
                "StateReason": alarm.get("StateReason"), "Source": source,
                "EvaluatedAt": datetime.fromtimestamp(rec["EvaluatedAt"], UTC), "Condition": condition_text(alarm),
                "Why": f"the last evaluation failed, the state was kept: {rec['Error']}", "Datapoints": []}  # fmt: skip
    ex = rec["Explain"]
    points = []
    bands = {int(b["Timestamp"]): b for b in rec.get("Band") or [] if b}
    for p in ex["range"]:
        point = {
            "Timestamp": datetime.fromtimestamp(p["timestamp"], UTC),
            "Value": p["value"],
            "Breaching": p["breaching"],
            "Evaluated": p["evaluated"],
            "LowSample": p["low_sample"],
        }
        if rec.get("Band") is not None:  # anomaly-detection alarms: the band each value was compared with
            b = bands.get(int(p["timestamp"]))
            point["Lower"], point["Upper"] = (b["Lower"], b["Upper"]) if b else (None, None)
        points.append(point)
    return {
        "AlarmName": alarm["AlarmName"],
        "AlarmType": "MetricAlarm",
        "StateValue": alarm.get("StateValue"),
        "StateReason": alarm.get("StateReason"),
        "Source": source,
        "EvaluatedAt": datetime.fromtimestamp(rec["EvaluatedAt"], UTC),
        "Condition": condition_text(alarm),
        "EvaluationPeriods": ex["evaluation_periods"],
        "DatapointsToAlarm": ex["datapoints_to_alarm"],
        "EvaluationRange": len(ex["range"]),
        "TreatMissingData": ex["treat_missing_data"],
        "RealDatapoints": ex["real_count"],
        "BreachingEvaluated": ex["breaching_count"],
        "MissingFilled": ex["filled"],
        "Branch": ex["branch"],
        "Premature": ex["premature"],
        "ComputedState": ex["state"],
        "Retained": ex["retained"],
        "Why": ex["why"],
        "ComputedReason": rec.get("Reason"),
        "Datapoints": points,
    }


def _composite_view(alarm: dict[str, Any], comp: dict[str, Any]) -> dict[str, Any]:
    if comp["InCycle"]:
        why = "the composite is part of a cycle of composite alarms: it is not evaluated until the cycle is broken"
    else:
        why = f"AlarmRule is {'TRUE' if comp['RuleIsTrue'] else 'FALSE'} for the children's current states"
    return {
        "AlarmName": alarm["AlarmName"],
        "AlarmType": "CompositeAlarm",
        "StateValue": alarm.get("StateValue"),
        "StateReason": alarm.get("StateReason"),
        "AlarmRule": comp["AlarmRule"],
        "ComputedState": comp["ComputedState"],
        "ActionsSuppressedBy": alarm.get("ActionsSuppressedBy"),
        "Why": why,
        "Children": comp["Children"],
    }


def _explain_composite_aws(ctx: AppContext, alarm: dict[str, Any]) -> dict[str, Any]:
    from awsmon.engines.alarm_rule import children, composite_state

    refs = sorted(children(alarm["AlarmRule"]))
    names = sorted({r.split(":alarm:", 1)[1] if ":alarm:" in r else r for r in refs})
    data = describe_alarms(ctx, names=names) if names else {"MetricAlarms": [], "CompositeAlarms": []}
    states = {}
    for a in (data["MetricAlarms"] or []) + (data["CompositeAlarms"] or []):
        states[a["AlarmName"]] = a["StateValue"]
        states[a["AlarmArn"]] = a["StateValue"]
    kids = [{"AlarmName": n, "StateValue": states.get(n, "UNKNOWN")} for n in names]
    try:
        computed = composite_state(alarm["AlarmRule"], states)
    except Exception:  # an unknown child: AWS allows it on some paths; show it rather than fail
        computed = None
    comp = {"AlarmRule": alarm["AlarmRule"], "Children": kids, "RuleIsTrue": computed == "ALARM",
            "ComputedState": computed, "InCycle": False}  # fmt: skip
    return _composite_view(alarm, comp)


def _reevaluate_aws(ctx: AppContext, alarm: dict[str, Any]) -> dict[str, Any]:
    """Run the local evaluation rule over the datapoints CloudWatch returns for the current evaluation range."""
    from awsmon.engines.alarm_eval import alarm_bucket_starts, evaluate_metric_alarm, evaluation_range

    n = int(alarm["EvaluationPeriods"])
    rng = evaluation_range(n)
    metrics = alarm.get("Metrics")
    period = int(alarm.get("Period") or next(
        (q["MetricStat"]["Period"] for q in metrics or [] if q.get("MetricStat")), 60))  # fmt: skip
    t = ctx.now().timestamp()
    if period < 60:
        # CloudWatch rounds a sub-minute StartTime down to a multiple of the period: use the latest evaluation
        # instant (alarms evaluate every 10 s) whose bucket grid it can return as is.
        t = math.floor(t / period) * period
    stamps = alarm_bucket_starts(t, period, rng)
    lo = 0  # sub-minute data exists for 3 hours only: ask for the buckets it can still answer
    while period < 60 and lo < rng - 1 and stamps[lo] < t - 3 * 3600:
        lo += 1
    start = datetime.fromtimestamp(stamps[lo], UTC)
    end = datetime.fromtimestamp(stamps[-1] + period, UTC)
    index = {int(s): i for i, s in enumerate(stamps)}
    values: list[float | None] = [None] * rng
    counts: list[float | None] | None = None
    client = _cw(ctx)
    if metrics:
        queries = [dict(q) for q in metrics]
        res = client.get_metric_data(MetricDataQueries=queries, StartTime=start, EndTime=end)
        for r in (res.get("MetricDataResults") or [])[:1]:
            for ts, v in zip(r.get("Timestamps") or [], r.get("Values") or [], strict=False):
                i = index.get(int(ts.timestamp()))
                if i is not None and v is not None and not math.isnan(v):
                    values[i] = float(v)
    else:
        ext = alarm.get("ExtendedStatistic")
        params = compact(Namespace=alarm["Namespace"], MetricName=alarm["MetricName"],
                         Dimensions=alarm.get("Dimensions") or [], StartTime=start, EndTime=end, Period=period,
                         Unit=alarm.get("Unit") or None)  # fmt: skip
        counts = [None] * rng

        def fetch(**stat: Any) -> list[dict[str, Any]]:
            # GetMetricStatistics answers at most 1,440 datapoints per call: long evaluation ranges come in chunks.
            out: list[dict[str, Any]] = []
            for first in range(lo, rng, 1440):
                chunk = stamps[first : first + 1440]
                window = {"StartTime": datetime.fromtimestamp(chunk[0], UTC),
                          "EndTime": datetime.fromtimestamp(chunk[-1] + period, UTC)}  # fmt: skip
                out.extend(client.get_metric_statistics(**{**params, **window}, **stat).get("Datapoints") or [])
            return out

        if ext:
            got = fetch(ExtendedStatistics=[ext])
            for dp in got:
                i = index.get(int(dp["Timestamp"].timestamp()))
                v = (dp.get("ExtendedStatistics") or {}).get(ext)
                if i is not None and v is not None:
                    values[i] = float(v)
            got = fetch(Statistics=["SampleCount"])
            for dp in got:
                i = index.get(int(dp["Timestamp"].timestamp()))
                if i is not None:
                    counts[i] = float(dp["SampleCount"])
        else:
            stat = alarm["Statistic"]
            got = fetch(Statistics=sorted({stat, "SampleCount"}))
            for dp in got:
                i = index.get(int(dp["Timestamp"].timestamp()))
                if i is not None and dp.get(stat) is not None:
                    values[i] = float(dp[stat])
                    counts[i] = float(dp.get("SampleCount") or 0)
    op = alarm["ComparisonOperator"]
    from awsmon.engines.alarm_eval import STATIC_OPERATORS

    if op not in STATIC_OPERATORS:
        raise UsageError(f"alarms explain cannot re-run anomaly detection alarms ({op}) on the aws backend: AWS's band "
                         "model is not published (see the alarm's StateReasonData for the thresholds it used)")
    ev = evaluate_metric_alarm(
        values, comparison_operator=op, evaluation_periods=n, threshold=alarm.get("Threshold"),
        datapoints_to_alarm=alarm.get("DatapointsToAlarm"), treat_missing_data=alarm.get("TreatMissingData") or "missing",
        current_state=alarm.get("StateValue") or "INSUFFICIENT_DATA", query_date=t, period=period,
        statistic=alarm.get("Statistic"), extended_statistic=alarm.get("ExtendedStatistic"), unit=alarm.get("Unit"),
        namespace=alarm.get("Namespace"), sample_counts=counts,
        evaluate_low_sample_count_percentile=alarm.get("EvaluateLowSampleCountPercentile") or "evaluate",
    )  # fmt: skip
    return {"EvaluatedAt": t, "Reason": ev.reason, "Explain": ev.explain}


def list_actions(ctx: AppContext, name: str | None) -> dict[str, Any]:
    if not ctx.is_local:
        raise UsageError("alarms actions lists the local account's action records (use --backend local); on AWS use "
                         "awsmon alarms history --history-item-type Action")  # fmt: skip
    return dict(_cw(ctx).list_alarm_actions(AlarmName=name))


# --------------------------------------------------------------------------------------------------------------
# SNS-like topics


def _topic_arn(ctx: AppContext, topic: str) -> str:
    """A topic ARN, or a bare name resolved in the current account and region."""
    if topic.startswith("arn:"):
        return topic
    if ctx.is_local:
        return str(ctx.client("sns").topic_arn(topic))
    for t in paginate(ctx.client("sns").list_topics, "Topics"):
        if t["TopicArn"].rsplit(":", 1)[-1] == topic:
            return str(t["TopicArn"])
    raise AwsmonError(f"no SNS topic named {topic}", hint="list topics with: awsmon alarms topics list")


def create_topic(ctx: AppContext, name: str, attributes: str | None = None) -> dict[str, Any]:
    return dict(ctx.client("sns").create_topic(**compact(Name=name, Attributes=parse_attributes(attributes))))


def list_topics(ctx: AppContext) -> dict[str, Any]:
    return {"Topics": list(paginate(ctx.client("sns").list_topics, "Topics"))}


def delete_topic(ctx: AppContext, topic: str) -> dict[str, Any]:
    ctx.client("sns").delete_topic(TopicArn=_topic_arn(ctx, topic))
    return {}


def subscribe(ctx: AppContext, topic: str, protocol: str, endpoint: str, allow_outside_home: bool = False,
              attributes: str | None = None, return_subscription_arn: bool = False) -> dict[str, Any]:  # fmt: skip
    """Subscribe; ``file`` endpoints (local only) resolve inside ``$AWSMON_HOME/outbox`` unless allowed elsewhere.
    email/http(s) subscriptions answer "pending confirmation" until confirmed (unless ``return_subscription_arn``)."""
    params: dict[str, Any] = {}
    attrs = parse_attributes(attributes)
    if attrs:
        params["Attributes"] = dict(attrs)
    if protocol == "file":
        if not ctx.is_local:
            raise UsageError("file endpoints exist only on the local backend (use --backend local)")
        path = endpoint[len("file://") :] if endpoint.startswith("file://") else endpoint
        if path.startswith("~"):
            from awsmon.inputs import expand_path

            path = str(expand_path(path, "--endpoint"))
        endpoint = path
        if allow_outside_home:
            from awsmon.backends.local.sns import OUTSIDE_HOME_ATTRIBUTE

            # outside the outbox folder a relative path means the current folder, as for any other file argument
            endpoint = str(Path(endpoint).resolve())
            params["Attributes"] = {**params.get("Attributes", {}), OUTSIDE_HOME_ATTRIBUTE: "true"}
    elif allow_outside_home:
        raise UsageError("--allow-outside-home applies to --protocol file only")
    return dict(ctx.client("sns").subscribe(TopicArn=_topic_arn(ctx, topic), Protocol=protocol, Endpoint=endpoint,
                                            ReturnSubscriptionArn=return_subscription_arn, **params))  # fmt: skip


def confirm_subscription(ctx: AppContext, topic: str, token: str,
                         authenticate_on_unsubscribe: bool = False) -> dict[str, Any]:  # fmt: skip
    return dict(ctx.client("sns").confirm_subscription(**compact(
        TopicArn=_topic_arn(ctx, topic), Token=token,
        AuthenticateOnUnsubscribe="true" if authenticate_on_unsubscribe else None)))  # fmt: skip


def get_subscription_attributes(ctx: AppContext, subscription_arn: str) -> dict[str, Any]:
    return dict(ctx.client("sns").get_subscription_attributes(SubscriptionArn=subscription_arn))


def set_subscription_attributes(ctx: AppContext, subscription_arn: str, name: str, value: str | None) -> dict[str, Any]:
    ctx.client("sns").set_subscription_attributes(**compact(SubscriptionArn=subscription_arn, AttributeName=name,
                                                            AttributeValue=value))  # fmt: skip
    return {}


def unsubscribe(ctx: AppContext, subscription_arn: str) -> dict[str, Any]:
    ctx.client("sns").unsubscribe(SubscriptionArn=subscription_arn)
    return {}


def list_subscriptions(ctx: AppContext, topic: str | None) -> dict[str, Any]:
    client = ctx.client("sns")
    if topic:
        items = paginate(client.list_subscriptions_by_topic, "Subscriptions", TopicArn=_topic_arn(ctx, topic))
    else:
        items = paginate(client.list_subscriptions, "Subscriptions")
    return {"Subscriptions": list(items)}


def publish(ctx: AppContext, topic: str, message: str, subject: str | None, message_attributes: str | None = None,
            message_group_id: str | None = None, message_deduplication_id: str | None = None) -> dict[str, Any]:  # fmt: skip
    from awsmon.inputs import read_arg
    from awsmon.services.sqs import parse_message_attributes

    return dict(ctx.client("sns").publish(**compact(  # file:// as aws-cli reads it: the file's text is the message
        TopicArn=_topic_arn(ctx, topic), Message=read_arg(message, "--message"), Subject=subject,
        MessageAttributes=parse_message_attributes(message_attributes), MessageGroupId=message_group_id,
        MessageDeduplicationId=message_deduplication_id)))  # fmt: skip


def deliveries(ctx: AppContext, topic: str | None, protocol: str | None, since: str | None,
               max_items: int) -> dict[str, Any]:  # fmt: skip
    check_max_items(max_items)
    if not ctx.is_local:
        raise UsageError("deliveries are the local account's outbox (use --backend local); real SNS keeps none")
    return dict(ctx.client("sns").list_deliveries(
        TopicArn=_topic_arn(ctx, topic) if topic else None, Protocol=protocol, Since=ctx.parse_time(since),
        MaxItems=max_items,
    ))  # fmt: skip


# --------------------------------------------------------------------------------------------------------------
# demo


DEMO_TOPIC = "awsmon-demo-alerts"
DEMO_ALARM = "checkout-latency-high"
DEMO_COMPOSITE = "checkout-degraded"


def demo_step(ctx: AppContext) -> list[str]:
    """Idempotently: an SNS topic with a file subscription, an alarm on the demo metric, and a composite alarm."""
    store = ctx.store()
    outbox = Path(store.home.root) / "outbox" / "demo-alerts.jsonl"  # file endpoints live in $AWSMON_HOME/outbox
    topic_arn = create_topic(ctx, DEMO_TOPIC)["TopicArn"]
    ctx.client("sns").subscribe(TopicArn=topic_arn, Protocol="file", Endpoint=outbox.name)
    cw = _cw(ctx)
    existing = describe_alarms(ctx, names=[DEMO_ALARM, DEMO_COMPOSITE])
    have = {a["AlarmName"] for a in existing["MetricAlarms"] + existing["CompositeAlarms"]}
    if DEMO_ALARM not in have:
        cw.put_metric_alarm(
            AlarmName=DEMO_ALARM, AlarmDescription="p90 checkout latency above 150 ms for 2 of 5 minutes",
            Namespace="AwsmonDemo", MetricName="Latency", Dimensions=[{"Name": "Service", "Value": "checkout"}],
            ExtendedStatistic="p90", Period=60, EvaluationPeriods=5, DatapointsToAlarm=2, Threshold=150.0,
            ComparisonOperator="GreaterThanThreshold", TreatMissingData="notBreaching",
            AlarmActions=[topic_arn], OKActions=[topic_arn],
        )  # fmt: skip
    if DEMO_COMPOSITE not in have:
        cw.put_composite_alarm(
            AlarmName=DEMO_COMPOSITE, AlarmRule=f"ALARM({DEMO_ALARM})",
            AlarmDescription="checkout is degraded", AlarmActions=[topic_arn],
        )  # fmt: skip
    # Evaluate the minutes the demo data covers, so the alarm has a state and a story to explain.
    ctx.run_catch_up()
    return [
        "awsmon alarms describe                                   # metric and composite alarms and their states",
        f"awsmon alarms explain {DEMO_ALARM}            # datapoints, which breached, and why",
        "awsmon alarms check --prefix checkout                    # exit 3 when an alarm is in ALARM (for CI)",
        f"awsmon alarms topics deliveries                          # notifications sent (also appended to {outbox})",
    ]
