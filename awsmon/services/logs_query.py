"""``awsmon logs query``: a Logs Insights query on either backend (StartQuery, then GetQueryResults until done).

The same calls run on both backends. The local account answers StartQuery with a finished query; on AWS the query
runs remotely and is polled (1 s, growing to 5 s) with its statistics shown on stderr when that is a terminal. A
query still running after ``max_wait`` seconds, or interrupted with Ctrl-C, is stopped with StopQuery so it does not
keep scanning (and billing) after awsmon gave up on it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from awsmon.context import AppContext
from awsmon.errors import AwsmonError, ServiceError, UsageError

DONE = ("Complete", "Failed", "Cancelled", "Timeout", "Unknown")
DEFAULT_SPAN = timedelta(hours=1)


def _epoch_s(dt: datetime) -> int:
    return int(dt.timestamp())


def run_query(
    ctx: AppContext,
    groups: list[str],
    query_string: str,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int | None = None,
    max_wait: float = 600.0,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Run one query and return GetQueryResults' response (results, statistics, status)."""
    if not groups:
        raise UsageError("give at least one --log-group-name")
    if not query_string.strip():
        raise UsageError("the query string is empty")
    end = end or ctx.now()
    start = start or end - DEFAULT_SPAN
    if start > end:
        raise UsageError("--start-time is after --end-time")
    if not 0 <= max_wait < float("inf"):  # NaN too: it compares false with everything (0: look once, then stop)
        raise UsageError("--max-wait must be a number of seconds, 0 or more")
    client = ctx.client("logs")
    params: dict[str, Any] = {"logGroupNames": groups, "startTime": _epoch_s(start), "endTime": _epoch_s(end),
                              "queryString": query_string}  # fmt: skip
    if limit is not None:
        params["limit"] = limit
    query_id = client.start_query(**params)["queryId"]
    deadline = time.monotonic() + max_wait
    delay = 1.0
    tty = sys.stderr.isatty()
    try:
        while True:
            resp = client.get_query_results(queryId=query_id)
            status = resp.get("status") or "Unknown"
            if status in DONE:
                break
            if time.monotonic() >= deadline:
                _stop(client, query_id)
                raise AwsmonError(f"the query did not complete within {max_wait:g} s and was stopped (query id {query_id})",
                                  hint="raise --max-wait, or narrow the time range or the log groups")  # fmt: skip
            if tty:
                _progress(resp)
            sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 1.5, 5.0)
    except KeyboardInterrupt:
        _stop(client, query_id)
        raise
    finally:
        if tty:
            sys.stderr.write("\r\x1b[K")
    if status != "Complete":
        raise AwsmonError(f"the query ended with status {status} (query id {query_id})")
    out = {k: v for k, v in resp.items() if k in ("results", "statistics", "status")}
    out.setdefault("statistics", {})
    return out


def _stop(client: Any, query_id: str) -> None:
    try:
        client.stop_query(queryId=query_id)
    except ServiceError:
        pass  # it may have finished meanwhile; stopping is best effort


def _progress(resp: dict[str, Any]) -> None:
    st = resp.get("statistics") or {}
    sys.stderr.write(
        f"\r\x1b[Kquery {resp.get('status', '')}: {int(st.get('recordsScanned', 0)):,} records scanned, "
        f"{int(st.get('recordsMatched', 0)):,} matched, {len(resp.get('results') or [])} results so far"
    )
    sys.stderr.flush()


def rows_of(response: dict[str, Any]) -> list[dict[str, Any]]:
    """GetQueryResults' rows as objects keyed by field name (what ``-o jsonl`` and tables print)."""
    return [{c["field"]: c.get("value") for c in row} for row in response.get("results") or []]


def result_fields(response: dict[str, Any]) -> list[str]:
    """The fields of the result rows in first-seen order, without the opaque @ptr."""
    seen: dict[str, None] = {}
    for row in response.get("results") or []:
        for c in row:
            seen.setdefault(c["field"], None)
    seen.pop("@ptr", None)
    return list(seen)
