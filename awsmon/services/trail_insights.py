"""CloudTrail Insights: insight selectors on trails (both backends) and on-demand analysis (local).

See docs/cloudtrail-insights.md: the local detector is an approximation of AWS's unpublished model.
"""

from __future__ import annotations

from typing import Any

from awsmon.context import AppContext
from awsmon.errors import UsageError
from awsmon.services import response

TYPES = ("ApiCallRateInsight", "ApiErrorRateInsight")


def _selectors(text: str | None, types: list[str]) -> list[dict[str, Any]]:
    from awsmon.inputs import read_json_arg

    if text is not None and types:
        raise UsageError("give either --insight-selectors or --insight-types, not both")
    if text is None:
        return [{"InsightType": _type(t)} for t in types]
    value = read_json_arg(text, "--insight-selectors", at_path=True)
    items = [value] if isinstance(value, dict) else value
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise UsageError("invalid --insight-selectors: expected a JSON list like [{\"InsightType\": \"ApiCallRateInsight\"}]")
    return items


def _type(text: str) -> str:
    for t in TYPES:
        if text.lower() in (t.lower(), t.lower().removesuffix("insight"), t.lower().removeprefix("api").removesuffix("rateinsight")):
            return t
    raise UsageError(f"invalid insight type {text!r}: use ApiCallRateInsight or ApiErrorRateInsight")


def put_insight_selectors(ctx: AppContext, name: str, *, selectors: str | None = None,
                          types: list[str] | None = None) -> dict[str, Any]:  # fmt: skip
    """PutInsightSelectors: JSON (aws-cli's --insight-selectors) or a list of types; an empty list disables Insights."""
    items = _selectors(selectors, list(types or []))
    return response(ctx.client("cloudtrail").put_insight_selectors(TrailName=name, InsightSelectors=items))


def get_insight_selectors(ctx: AppContext, name: str) -> dict[str, Any]:
    return response(ctx.client("cloudtrail").get_insight_selectors(TrailName=name))


def insights_analyze(ctx: AppContext, *, start: str, end: str, types: list[str] | None = None) -> dict[str, Any]:
    """Run the local detector over the history (recorded and imported management events) of the current region."""
    if not ctx.is_local:
        raise UsageError("trail insights-analyze runs on the local backend (imported or recorded events); "
                         "on AWS enable Insights with trail put-insight-selectors")  # fmt: skip
    from awsmon.backends.local.cloudtrail_insights import analyze

    t0, t1 = ctx.parse_time(start), ctx.parse_time(end)
    if t0 is None or t1 is None or t0 >= t1:
        raise UsageError("--start must be before --end")
    if (t1 - t0).days > 366:
        raise UsageError("--start to --end spans more than a year: analyse it in pieces")
    kinds = [_type(t) for t in types] if types else list(TYPES)
    store = ctx.store()
    records = analyze(store, ctx.local_region(), t0, t1, kinds)
    return {"InsightEvents": records}
