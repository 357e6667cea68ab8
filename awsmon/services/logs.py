"""CloudWatch Logs: what the ``awsmon logs`` commands mean, on either backend (boto3-named calls on ``ctx.client``).

Spec: shared/specs/logs.md. Multi-group filters are merged by (timestamp, ingestionTime, eventId); on the aws backend
groups and time windows are fetched in parallel under one account-wide token bucket (FilterLogEvents is limited to
5 requests/s per account and Region), with adaptive retries in botocore and backoff on throttling here.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from awsmon.backends import paginate
from awsmon.backends.ratelimit import TokenBucket, call_with_backoff
from awsmon.context import AppContext
from awsmon.errors import ServiceError, UsageError
from awsmon.services import compact

FILTER_TPS = 5.0  # FilterLogEvents quota per account and Region (not adjustable)
MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD = 26
MAX_BATCH_EVENTS = 10_000
MAX_SPAN_MS = 24 * 3600 * 1000
MAX_EVENT_BYTES = 1_048_576
# PutRetentionPolicy's retentionInDays enum (the API model)
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)


def _client(ctx: AppContext) -> Any:
    return ctx.client("logs")


def _ms(dt: datetime | None) -> int | None:
    return None if dt is None else int(round(dt.timestamp() * 1000))


def validate_pattern(pattern: str | None) -> None:
    """Fail fast with AWS's text plus the position (exit 2), before any call is made."""
    from awsmon.engines.filterpattern_errors import is_blank

    if is_blank(pattern):
        return
    from awsmon.engines.filterpattern import FilterPatternError, compile_pattern

    try:
        compile_pattern(pattern or "")
    except FilterPatternError as exc:
        raise ServiceError(exc.code, str(exc), hint=exc.detail) from exc


# -- groups and streams ---------------------------------------------------------------------------------------------
def _check_retention(days: int) -> None:
    """AWS's own rejection, before anything is written (create-group --retention must not leave a group behind)."""
    if days not in RETENTION_DAYS:
        values = ", ".join(str(d) for d in RETENTION_DAYS)
        raise ServiceError("InvalidParameterException", f"1 validation error detected: Value '{days}' at "
                           f"'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: "
                           f"[{values}]")  # fmt: skip


def _check_max_items(limit: int | None) -> None:
    if limit is not None and limit < 1:
        raise UsageError("--max-items must be at least 1")


def create_group(ctx: AppContext, name: str, retention_days: int | None = None, log_class: str | None = None,
                 kms_key: str | None = None, tags: dict[str, str] | None = None) -> dict[str, Any]:  # fmt: skip
    from awsmon.services import compact

    if retention_days is not None:
        _check_retention(retention_days)
    logs = _client(ctx)
    logs.create_log_group(logGroupName=name, **compact(logGroupClass=log_class, kmsKeyId=kms_key, tags=tags or None))
    if retention_days is not None:
        logs.put_retention_policy(logGroupName=name, retentionInDays=retention_days)
    return {}


def delete_group(ctx: AppContext, name: str) -> dict[str, Any]:
    _client(ctx).delete_log_group(logGroupName=name)
    return {}


def describe_groups(
    ctx: AppContext, prefix: str | None = None, pattern: str | None = None, limit: int | None = None
) -> dict[str, Any]:
    _check_max_items(limit)
    params = compact(logGroupNamePrefix=prefix or None, logGroupNamePattern=pattern or None)
    groups = list(paginate(_client(ctx).describe_log_groups, "logGroups", token_in="nextToken",
                           max_items=limit, **params))  # fmt: skip
    return {"logGroups": groups}


def group_names(
    ctx: AppContext, groups: list[str], prefix: str | None, infos: dict[str, dict[str, Any]] | None = None
) -> list[str]:
    """The named groups, then those starting with ``prefix``; ``infos`` receives what DescribeLogGroups said."""
    names = list(dict.fromkeys(groups))
    if prefix:
        described = describe_groups(ctx, prefix=prefix)["logGroups"]
        if infos is not None:
            infos.update((g["logGroupName"], g) for g in described)
        found = [g["logGroupName"] for g in described]
        if not found and not names:
            raise ServiceError("ResourceNotFoundException", f"no log group name starts with {prefix!r}")
        names += [n for n in found if n not in names]
    if not names:
        raise UsageError("give at least one log group: --log-group-name/--group or --log-group-name-prefix")
    return names


def create_stream(ctx: AppContext, group: str, stream: str) -> dict[str, Any]:
    _client(ctx).create_log_stream(logGroupName=group, logStreamName=stream)
    return {}


def delete_stream(ctx: AppContext, group: str, stream: str) -> dict[str, Any]:
    _client(ctx).delete_log_stream(logGroupName=group, logStreamName=stream)
    return {}


def describe_streams(
    ctx: AppContext,
    group: str,
    prefix: str | None = None,
    order_by: str | None = None,
    descending: bool = False,
    limit: int | None = None,
) -> dict[str, Any]:
    _check_max_items(limit)
    params = compact(logGroupName=group, logStreamNamePrefix=prefix or None, orderBy=order_by or None,
                     descending=descending or None)  # fmt: skip
    streams = list(paginate(_client(ctx).describe_log_streams, "logStreams", token_in="nextToken",
                            max_items=limit, **params))  # fmt: skip
    return {"logStreams": streams}


def put_retention(ctx: AppContext, group: str, days: int) -> dict[str, Any]:
    _check_retention(days)  # the same answer from every endpoint (moto accepts any number)
    _client(ctx).put_retention_policy(logGroupName=group, retentionInDays=days)
    return {}


def delete_retention(ctx: AppContext, group: str) -> dict[str, Any]:
    _client(ctx).delete_retention_policy(logGroupName=group)
    return {}


# -- putting and getting events -------------------------------------------------------------------------------------
def read_events_file(text: str, default_ts: int) -> list[dict[str, Any]]:
    """``--file``: aws-cli's ``--log-events`` JSON (a list of {timestamp, message}), else one event per line."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            data = json.loads(stripped)
        except (ValueError, RecursionError):  # not the JSON form: one event per line
            data = None
        if isinstance(data, list) and all(isinstance(e, dict) and "message" in e for e in data):
            out = []
            for i, e in enumerate(data, start=1):
                ts = e.get("timestamp", default_ts)
                if isinstance(ts, bool) or not isinstance(ts, int):
                    raise UsageError(f"event {i}: timestamp must be epoch milliseconds (an integer), got {ts!r}")
                out.append({"timestamp": ts, "message": str(e["message"])})
            return out
    return [{"timestamp": default_ts, "message": line} for line in text.splitlines() if line.strip()]


def put_events(
    ctx: AppContext,
    group: str,
    stream: str,
    messages: list[str] | None = None,
    text: str | list[str] | None = None,
    timestamp: datetime | None = None,
    create: bool = False,
) -> dict[str, Any]:
    """One PutLogEvents call: the whole batch is accepted (minus per-event rejections) or refused. ``text``: one
    events text (JSON list or lines, as ``read_events_file`` reads) or several, their events in order."""
    ts = _ms(timestamp or ctx.now())
    assert ts is not None
    events = [{"timestamp": ts, "message": m} for m in messages or []]
    for one in [text] if isinstance(text, str) else text or []:
        events += read_events_file(one, ts)
    if not events:
        raise UsageError("no events to put: give --message, --file or events on stdin")
    check_batch(events)  # a batch PutLogEvents refuses must not leave a --create'd group or stream behind
    logs = _client(ctx)
    if create:
        ensure_stream(ctx, group, stream)
    return dict(logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events))


def check_batch(events: list[dict[str, Any]]) -> None:
    """PutLogEvents' whole-batch rules (count, event and batch size, order), with AWS's texts, before any call."""
    if len(events) > MAX_BATCH_EVENTS:
        raise ServiceError("InvalidParameterException", f"1 validation error detected: Value '[{len(events)} events]' "
                           f"at 'logEvents' failed to satisfy constraint: Member must have length less than or equal "
                           f"to {MAX_BATCH_EVENTS}")  # fmt: skip
    total, prev = 0, -1
    for i, ev in enumerate(events, start=1):
        if not ev["message"]:
            raise ServiceError("InvalidParameterException", f"1 validation error detected: Value '' at "
                               f"'logEvents.{i}.member.message' failed to satisfy constraint: Member must have length "
                               f"greater than or equal to 1")  # fmt: skip
        if ev["timestamp"] < 0:
            raise ServiceError("InvalidParameterException", f"1 validation error detected: Value '{ev['timestamp']}' "
                               f"at 'logEvents.{i}.member.timestamp' failed to satisfy constraint: Member must have "
                               f"value greater than or equal to 0")  # fmt: skip
        try:
            size = len(ev["message"].encode("utf-8"))
        except UnicodeEncodeError as exc:
            raise UsageError(f"event {i}: the message is not valid UTF-8 text") from exc
        if size > MAX_EVENT_BYTES:
            raise ServiceError("InvalidParameterException",
                               f"Log event too large: {size} bytes exceeds limit of {MAX_EVENT_BYTES}")  # fmt: skip
        total += size + EVENT_OVERHEAD
        if ev["timestamp"] < prev:
            raise ServiceError("InvalidParameterException",
                               "Log events in a single PutLogEvents request must be in chronological order.")  # fmt: skip
        prev = ev["timestamp"]
    if total > MAX_BATCH_BYTES:
        raise ServiceError("InvalidParameterException", f"Upload too large: {total} bytes exceeds limit of {MAX_BATCH_BYTES}")


_GROUP_NAME_RE = re.compile(r"[\.\-_/#A-Za-z0-9]+")


def _name_error(value: str, param: str, constraint: str) -> ServiceError:
    return ServiceError("InvalidParameterException", f"1 validation error detected: Value '{value}' at '{param}' "
                        f"failed to satisfy constraint: {constraint}")  # fmt: skip


def check_names(group: str, stream: str | None = None) -> None:
    """CreateLogGroup/CreateLogStream's name rules with AWS's texts, so that a bad stream name is refused before
    ``--create`` makes the group (no half-done writes)."""
    for value, param in ((group, "logGroupName"), (stream, "logStreamName")):
        if value is None:
            continue
        if not value:
            raise _name_error(value, param, "Member must have length greater than or equal to 1")
        if len(value) > 512:
            raise _name_error(value, param, "Member must have length less than or equal to 512")
        if param == "logGroupName" and not _GROUP_NAME_RE.fullmatch(value):
            raise _name_error(value, param, "Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+")
        if param == "logStreamName" and (":" in value or "*" in value):
            raise _name_error(value, param, "Member must satisfy regular expression pattern: [^:*]*")


def ensure_stream(ctx: AppContext, group: str, stream: str) -> None:
    check_names(group, stream)
    logs = _client(ctx)
    for call, params in ((logs.create_log_group, {"logGroupName": group}),
                         (logs.create_log_stream, {"logGroupName": group, "logStreamName": stream})):  # fmt: skip
        try:
            call(**params)
        except ServiceError as exc:
            if exc.code != "ResourceAlreadyExistsException":
                raise


def get_events(
    ctx: AppContext,
    group: str,
    stream: str,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int | None = None,
    start_from_head: bool = False,
    next_token: str | None = None,
    unmask: bool = False,
) -> dict[str, Any]:
    if start and end and end < start:
        raise UsageError("--end-time is earlier than --start-time")
    params = compact(logGroupName=group, logStreamName=stream, startFromHead=start_from_head,
                     startTime=None if start is None else _ms(start), endTime=None if end is None else _ms(end),
                     limit=limit, nextToken=next_token or None, unmask=unmask or None)  # fmt: skip
    return dict(_client(ctx).get_log_events(**params))


# -- filtering ------------------------------------------------------------------------------------------------------
def _page_lists(
    call: Callable[..., Any],
    params: dict[str, Any],
    bucket: TokenBucket | None,
    stop: threading.Event | None = None,
    searched: list[dict[str, Any]] | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """The events of each FilterLogEvents page, page by page, until the token runs out; each page's
    ``searchedLogStreams`` are appended to ``searched``."""
    token = None
    while stop is None or not stop.is_set():
        p = dict(params)
        if token:
            p["nextToken"] = token
        page = call_with_backoff(call, bucket, **p)
        if searched is not None:
            searched.extend(page.get("searchedLogStreams") or [])
        yield list(page.get("events") or [])
        nxt = page.get("nextToken")
        if not nxt or nxt == token:
            return
        token = nxt


def _pages(
    call: Callable[..., Any],
    params: dict[str, Any],
    bucket: TokenBucket | None,
    stop: threading.Event | None = None,
    searched: list[dict[str, Any]] | None = None,
) -> Iterator[dict[str, Any]]:
    for page in _page_lists(call, params, bucket, stop, searched):
        yield from page


def merge_searched(searched: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``searchedLogStreams`` of every page and window, one entry per stream (complete only if every window
    searched it completely), in first-seen order."""
    out: dict[str, dict[str, Any]] = {}
    for item in searched:
        name = str(item.get("logStreamName"))
        prev = out.get(name)
        if prev is None:
            out[name] = dict(item)
        elif "searchedCompletely" in item:
            prev["searchedCompletely"] = bool(prev.get("searchedCompletely", True) and item["searchedCompletely"])
    return list(out.values())


# Events are accepted up to 2 h ahead of their ingestion, and DescribeLogStreams' lastEventTimestamp and
# lastIngestionTime are eventually consistent ("typically within an hour"): a group's newest event is at most
# this far past what its newest stream reports.
_LAST_EVENT_SLACK_MS = 3 * 3600 * 1000
# Events may be up to 14 days older than their ingestion, which is after the group's creation.
_OLDEST_BEFORE_CREATION_MS = 14 * 86400 * 1000


def _event_bounds(logs: Any, name: str, info: dict[str, Any] | None) -> tuple[int | None, int | None] | None:
    """Bounds on the timestamps a group's events can have, from one DescribeLogStreams call (newest stream first);
    None when the group cannot hold any event, so it costs no FilterLogEvents call at all."""
    lo = None
    if info and info.get("creationTime") is not None:
        lo = max(0, int(info["creationTime"]) - _OLDEST_BEFORE_CREATION_MS)
    try:
        streams = logs.describe_log_streams(logGroupName=name, orderBy="LastEventTime", descending=True,
                                            limit=1).get("logStreams") or []  # fmt: skip
    except ServiceError as exc:
        if exc.code == "ResourceNotFoundException":
            raise
        return lo, None  # not allowed to describe streams (only to filter): no bound, no skipping
    if not streams:
        return None
    newest = streams[0]
    last = max(int(newest.get("lastEventTimestamp") or 0), int(newest.get("lastIngestionTime") or 0))
    if not last:
        if info and info.get("storedBytes") == 0:
            return None  # streams without events, and nothing stored
        return lo, None
    return lo, last + _LAST_EVENT_SLACK_MS


def _newest_first(
    call: Callable[..., Any],
    params: dict[str, Any],
    lo: int,
    hi: int,
    bucket: TokenBucket,
    stop: threading.Event,
    searched: list[dict[str, Any]],
) -> Iterator[dict[str, Any]]:
    """FilterLogEvents has no newest-first order: walk windows back from ``hi`` (1 h, then 4x wider each time),
    fetch each whole, newest event first, so ``--limit 3`` costs the last window's calls, not the whole range."""
    width = 3600 * 1000
    end = hi
    while end >= lo and not stop.is_set():
        begin = max(lo, end - width + 1)
        window = []
        for page in _page_lists(call, {**params, "startTime": begin, "endTime": end}, bucket, stop, searched):
            window.extend(page)
        window.sort(key=_order_key, reverse=True)
        yield from window
        end = begin - 1
        width *= 4


def _rechecked(events: Iterable[dict[str, Any]], matches: Callable[[str], bool]) -> Iterator[dict[str, Any]]:
    for ev in events:
        if matches(str(ev.get("message", ""))):
            yield ev


def _windows(start: int, end: int, k: int) -> list[tuple[int, int]]:
    if k <= 1 or end - start < k * 1000:
        return [(start, end)]
    step = (end - start) // k
    edges = [start + i * step for i in range(k)] + [end + 1]
    return [(edges[i], edges[i + 1] - 1) for i in range(k)]


def _threaded(
    gen_factory: Callable[[threading.Event], Iterator[list[dict[str, Any]]]],
    stop: threading.Event,
    cleanup: Callable[[], None] | None = None,
    maxsize: int = 8,
) -> Iterator[dict[str, Any]]:
    """Run a page fetcher in a thread now; iterate its events later (so windows and groups fetch in parallel).

    Whole pages go through the queue (per-event hand-offs between threads cost more than the scan); the queue is
    bounded, so memory stays flat on huge results, and a producer whose consumer has stopped gives up.
    """
    import queue

    q: queue.Queue[Any] = queue.Queue(maxsize=maxsize)
    done = object()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for page in gen_factory(stop):
                if not put(page):
                    return
            put(done)
        except BaseException as exc:  # handed to the consumer
            put(exc)
        finally:
            if cleanup is not None:
                cleanup()

    threading.Thread(target=run, daemon=True).start()

    def consume() -> Iterator[dict[str, Any]]:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield from item

    return consume()


def filter_events(
    ctx: AppContext,
    groups: list[str],
    group_prefix: str | None = None,
    pattern: str | None = None,
    streams: list[str] | None = None,
    stream_prefix: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int | None = None,
    start_from_head: bool = True,
    parallel: int = 4,
    rate: float = FILTER_TPS,
    validate: bool = True,
    recheck: bool = True,
    searched: list[dict[str, Any]] | None = None,
    probe: bool = True,
) -> Iterator[dict[str, Any]]:
    """Matching events of every group, merged in time order (newest first without ``start_from_head``).

    ``searched`` receives the ``searchedLogStreams`` of every response (see ``merge_searched``). With an
    ``--endpoint-url`` and ``recheck``, the server's events are re-checked with awsmon's own pattern engine:
    emulators (moto) ignore JSON and space-delimited patterns and return every event. On aws, ``probe`` first asks
    DescribeLogStreams where each group's events can be, so empty groups cost one call (tail's polls skip it)."""
    base, start_ms, end_ms = _selection(validate or ctx.is_local, pattern, streams, stream_prefix, start, end)
    if limit is not None and limit < 1:
        raise UsageError("--limit must be at least 1")
    infos: dict[str, dict[str, Any]] = {}
    names = group_names(ctx, groups, group_prefix, infos)
    tag = len(names) > 1 or bool(group_prefix)  # several groups asked for: say which group each event is from
    logs = _client(ctx)
    stop = threading.Event()
    iters: list[Iterator[dict[str, Any]]] = []
    if ctx.is_local:
        if not start_from_head:
            base["startFromHead"] = False  # the local service's own extension: it scans newest first itself
        for name in names:
            params = {**base, "logGroupName": name}
            if start_ms is not None:
                params["startTime"] = start_ms
            if end_ms is not None:
                params["endTime"] = end_ms
            wins = logs.parallel_windows(name, start_ms, end_ms, pattern) if parallel > 1 else None
            if wins is None:
                iters.append(_tag(_pages(logs.filter_log_events, params, None, None, searched),
                                  name if tag else None))  # fmt: skip
                continue
            # A big group: SQLite scans time windows at once on separate connections (it runs without the GIL).
            chunks = []
            for lo, hi in wins if start_from_head else wins[::-1]:
                p = {k: v for k, v in params.items() if k not in ("startTime", "endTime")}
                if lo is not None:
                    p["startTime"] = lo
                if hi is not None:
                    p["endTime"] = hi
                clone = logs.clone()
                chunks.append(_threaded(lambda st, c=clone, p=p: _page_lists(c.filter_log_events, p, None, st, searched),
                                        stop, cleanup=clone.close))  # fmt: skip
            iters.append(_tag(_chain(chunks), name if tag else None))
    else:
        bucket = TokenBucket(rate)
        now_ms = _ms(ctx.now())
        assert now_ms is not None
        matches = _local_matcher(ctx, pattern) if recheck else None
        for name in names:
            bounds = _event_bounds(logs, name, infos.get(name)) if probe else (None, None)
            if bounds is None:
                continue  # no event can be there: one DescribeLogStreams call, no FilterLogEvents
            lo = start_ms if bounds[0] is None else max(start_ms or 0, bounds[0])
            hi = end_ms if bounds[1] is None else min(end_ms if end_ms is not None else bounds[1], bounds[1])
            if lo is not None and hi is not None and hi < lo:
                continue
            params = {**base, "logGroupName": name}
            events: Iterator[dict[str, Any]]
            if not start_from_head:
                top = hi if hi is not None else now_ms + _LAST_EVENT_SLACK_MS
                events = _newest_first(logs.filter_log_events, params, lo or 0, top, bucket, stop, searched or [])
            else:
                wins: list[tuple[int | None, int | None]]
                if lo is not None:
                    wins = list(_windows(lo, end_ms if end_ms is not None else min(now_ms, hi or now_ms), parallel))
                    if end_ms is None:  # the last window stays open (events may be stamped ahead of now)
                        wins[-1] = (wins[-1][0], None)
                else:
                    wins = [(lo, end_ms)]
                chunks = []
                for wlo, whi in wins:
                    p = dict(params)
                    if wlo is not None:
                        p["startTime"] = wlo
                    if whi is not None:
                        p["endTime"] = whi
                    chunks.append(_threaded(lambda st, p=p: _page_lists(logs.filter_log_events, p, bucket, st, searched),
                                            stop))  # fmt: skip
                events = _chain(chunks)
            if matches is not None:
                events = _rechecked(events, matches)
            iters.append(_tag(events, name if tag else None))
    if not iters:
        return
    merged = iters[0]
    if len(iters) > 1:
        import heapq

        merged = heapq.merge(*iters, key=_order_key, reverse=not start_from_head)
    try:
        n = 0
        for ev in merged:
            yield ev
            n += 1
            if limit is not None and n >= limit:
                return
    finally:
        stop.set()


def _local_matcher(ctx: AppContext, pattern: str | None) -> Callable[[str], bool] | None:
    """awsmon's own matcher for re-checking an emulator's answer (None: real AWS, no pattern, or one it refuses)."""
    if not pattern or not pattern.strip() or not ctx.endpoint_url.value:
        return None
    from awsmon.engines.filterpattern import FilterPatternError, compile_pattern

    try:
        return compile_pattern(pattern).matches
    except FilterPatternError:
        return None


def _chain(chunks: list[Iterator[dict[str, Any]]]) -> Iterator[dict[str, Any]]:
    for c in chunks:
        yield from c


def _tag(events: Iterable[dict[str, Any]], group: str | None) -> Iterator[dict[str, Any]]:
    if group is None:
        yield from events
        return
    for ev in events:
        yield {"logGroupName": group, **ev}


def _order_key(ev: dict[str, Any]) -> tuple[int, int, str]:
    return (int(ev.get("timestamp") or 0), int(ev.get("ingestionTime") or 0), str(ev.get("eventId") or ""))


def count_events(ctx: AppContext, groups: list[str], **kw: Any) -> dict[str, Any]:
    if ctx.is_local and kw.get("limit") is None:
        return _count_local(ctx, groups, **kw)
    n = 0
    for _ in filter_events(ctx, groups, **kw):
        n += 1
    return {"count": n}


def _selection(validate: bool, pattern: str | None, streams: list[str] | None, stream_prefix: str | None,
               start: datetime | None, end: datetime | None) -> tuple[dict[str, Any], int | None, int | None]:  # fmt: skip
    """The checked event selection of filter and --count: FilterLogEvents' pattern/stream parameters, start/end ms."""
    if validate:
        validate_pattern(pattern)
    if streams and stream_prefix:
        raise UsageError("give --log-stream-names or --log-stream-name-prefix, not both")
    if start and end and end < start:
        raise UsageError("--end-time is earlier than --start-time")
    base = compact(filterPattern=pattern or None, logStreamNames=streams or None, logStreamNamePrefix=stream_prefix or None)
    return base, _ms(start), _ms(end)


def _count_local(ctx: AppContext, groups: list[str], group_prefix: str | None = None, pattern: str | None = None,
                 streams: list[str] | None = None, stream_prefix: str | None = None, start: datetime | None = None,
                 end: datetime | None = None, parallel: int = 4, **_: Any) -> dict[str, Any]:  # fmt: skip
    """--count on the local store: count(*) inside SQLite (no event crosses into Python); big groups are counted in
    time windows on separate connections at once (SQLite runs without the GIL). Takes filter_events' arguments."""
    base, start_ms, end_ms = _selection(True, pattern, streams, stream_prefix, start, end)
    logs = _client(ctx)
    total = 0
    for name in group_names(ctx, groups, group_prefix):
        params = {**base, "logGroupName": name}
        wins = logs.parallel_windows(name, start_ms, end_ms, pattern, counting=True) if parallel > 1 else None
        if wins is None:
            wins = [(start_ms, end_ms)]
        if len(wins) == 1:
            total += _count_window(logs, params, wins[0], own=False)
            continue
        results: list[Any] = [None] * len(wins)

        def run(i: int, win: tuple[int | None, int | None], svc: Any, p: dict[str, Any], out: list[Any]) -> None:
            try:
                out[i] = _count_window(svc, p, win, own=True)
            except BaseException as exc:  # re-raised in the caller's thread
                out[i] = exc

        threads = [threading.Thread(target=run, args=(i, w, logs.clone(), params, results)) for i, w in enumerate(wins)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for r in results:
            if isinstance(r, BaseException):
                raise r
        total += sum(results)
    return {"count": total}


def _count_window(svc: Any, params: dict[str, Any], win: tuple[int | None, int | None], own: bool) -> int:
    p = dict(params)
    if win[0] is not None:
        p["startTime"] = win[0]
    if win[1] is not None:
        p["endTime"] = win[1]
    try:
        return int(svc.count_log_events(**p)["count"])
    finally:
        if own:
            svc.close()


# -- tail (the service is logs_tail.py) ------------------------------------------------------------------------
def format_event(ev: dict[str, Any], fmt: str, group: str | None = None) -> str:
    """aws logs tail's formats: short (time, message), detailed (time, group/stream, message), json."""
    ts = datetime.fromtimestamp(ev["timestamp"] / 1000, UTC)
    message = ev["message"].rstrip("\n")
    if fmt == "json":
        return json.dumps({"logGroupName": ev.get("logGroupName", group), **ev}, ensure_ascii=False)
    if fmt == "short":
        return f"{ts.strftime('%Y-%m-%dT%H:%M:%S')} {message}"
    where = "/".join(x for x in (ev.get("logGroupName") or group, ev.get("logStreamName")) if x)
    return f"{ts.isoformat(timespec='microseconds')} {where} {message}"


# -- test-pattern and metric filters --------------------------------------------------------------------------------
def test_pattern(
    ctx: AppContext, pattern: str, messages: list[str], notices: list[str] | None = None
) -> dict[str, Any]:
    """TestMetricFilter over any number of messages (sent in batches of 50, the API maximum). Where an emulator
    does not implement it, awsmon's own engine answers and ``notices`` says so."""
    from awsmon.services import lacks_operation

    if not messages:
        raise UsageError("give at least one message: --log-event-messages/--message or --file")
    validate_pattern(pattern)
    logs = _client(ctx)
    out: list[dict[str, Any]] = []
    for off in range(0, len(messages), 50):
        batch = messages[off : off + 50]
        try:
            res = logs.test_metric_filter(filterPattern=pattern, logEventMessages=batch)
        except ServiceError as exc:
            if not lacks_operation(ctx, exc):
                raise
            if notices is not None and not out and off == 0:
                notices.append(f"{ctx.endpoint_url.value} does not implement TestMetricFilter (HTTP {exc.status}): "
                               "awsmon's own pattern engine answered")  # fmt: skip
            res = _local_test(pattern, batch)
        for m in res.get("matches") or []:
            out.append({**m, "eventNumber": int(m.get("eventNumber", 0)) + off})
    return {"matches": out}


def _local_test(pattern: str, messages: list[str]) -> dict[str, Any]:
    from awsmon.engines.filterpattern import FilterPatternError, test_metric_filter

    try:
        return {"matches": test_metric_filter(pattern, messages)}
    except FilterPatternError as exc:
        raise ServiceError(exc.code, str(exc), hint=exc.detail) from exc


test_pattern.__test__ = False  # type: ignore[attr-defined]


def put_metric_filter(
    ctx: AppContext, group: str, name: str, pattern: str, transformation: dict[str, Any]
) -> dict[str, Any]:
    validate_pattern(pattern)
    _client(ctx).put_metric_filter(
        logGroupName=group, filterName=name, filterPattern=pattern, metricTransformations=[transformation]
    )
    return {}


def describe_metric_filters(
    ctx: AppContext,
    group: str | None = None,
    prefix: str | None = None,
    metric_name: str | None = None,
    namespace: str | None = None,
) -> dict[str, Any]:
    params = compact(logGroupName=group or None, filterNamePrefix=prefix or None, metricName=metric_name or None,
                     metricNamespace=namespace or None)  # fmt: skip
    items = list(paginate(_client(ctx).describe_metric_filters, "metricFilters", token_in="nextToken", **params))
    return {"metricFilters": items}


def delete_metric_filter(ctx: AppContext, group: str, name: str) -> dict[str, Any]:
    _client(ctx).delete_metric_filter(logGroupName=group, filterName=name)
    return {}


# -- import ---------------------------------------------------------------------------------------------------------
IMPORT_BATCH = 20_000  # lines per block: one transaction each (with the file's progress) on the local backend
READ_CHUNK = 4 << 20
PARALLEL_MIN_BYTES = 4 << 20  # below this, parsing in a second process costs more (fork, pickling) than it gains
_CR_SPLIT = re.compile(r"\r\n|\r|\n")
_ACCEPTED = "{accepted}"  # filled in by the process that stores the events: how many were stored before the stop


class _Stop(Exception):
    """Reading or parsing stopped the import; ``template`` is the one-line error with ``{accepted}`` to fill in."""

    def __init__(self, template: str) -> None:
        super().__init__(template)
        self.template = template


def _why(exc: BaseException) -> str:
    import gzip

    if isinstance(exc, gzip.BadGzipFile | EOFError | zlib.error):
        return f"corrupt gzip data ({exc or 'truncated'})"
    return str(getattr(exc, "strerror", None) or exc)


def _check_file(path: str) -> str:
    """Read a file once before anything is written: gzip intact, UTF-8 text (as put-events --file requires).
    Returns the sha256 of its bytes (the key that makes a re-run resume instead of importing twice)."""
    import codecs
    import gzip
    import hashlib

    p = Path(path)
    if not p.is_file():
        raise UsageError(f"cannot read {path}: " + ("a directory" if p.is_dir() else "no such file"))
    digest = hashlib.sha256()
    try:
        with p.open("rb") as fh:
            head = fh.read(2)
            if path.lower().endswith(".gz") and head != b"\x1f\x8b":
                raise UsageError(f"cannot read {path}: named .gz but not gzip data (it does not start with the gzip magic bytes)")
            fh.seek(0)
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
            fh.seek(0)
            stream: Any = gzip.GzipFile(fileobj=fh) if head == b"\x1f\x8b" else fh
            decoder = codecs.getincrementaldecoder("utf-8")("strict")
            offset = 0
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    raise UsageError(f"cannot read {path}: not UTF-8 text (byte 0x{chunk[exc.start]:02x} at offset "
                                     f"{offset + exc.start})") from None  # fmt: skip
                offset += len(chunk)
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                raise UsageError(f"cannot read {path}: not UTF-8 text (truncated character at the end)") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise UsageError(f"cannot read {path}: {_why(exc)}") from exc
    return digest.hexdigest()


def import_files(
    ctx: AppContext,
    paths: list[str],
    group: str,
    stream: str | None = None,
    timestamp_field: str | None = None,
    create: bool = True,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Load log files into a log group.

    Local backend: an offline load of history (events of any age, batches of any span), resumable and idempotent
    per file: each batch is stored with the file's progress, so a re-run after a kill resumes where it stopped and
    a finished file adds nothing. aws backend: PutLogEvents batches (≤10,000 events, ≤1 MB, ≤24 h, sorted), where
    AWS rejects events older than 14 days or beyond the retention period; the report says what was skipped and why.
    """
    if not paths:
        raise UsageError("give at least one file (or - for stdin)")
    keys: dict[str, str | None] = {}
    for path in paths:  # every file is checked before anything is created or written
        check_names(group, stream or _stream_name_for(path))
        keys[path] = None if path == "-" else _check_file(path)
    offline = ctx.is_local
    logs = _client(ctx)
    now_ms = _ms(ctx.now())
    assert now_ms is not None
    totals = {"Lines": 0, "Accepted": 0, "Rejected": 0, "TooLarge": 0, "NoTimestamp": 0, "AlreadyImported": 0,
              "Batches": 0}  # fmt: skip
    per_file = []
    for path in paths:
        s = stream or _stream_name_for(path)
        if create:
            ensure_stream(ctx, group, s)
        elif offline:
            logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=s)  # the group must exist
        accepted_before = totals["Accepted"]
        key = None if keys[path] is None else f"{keys[path]}|{ctx.region}|{group}|{s}"
        try:
            if offline:
                _load_offline(logs, path, group, s, key, timestamp_field, now_ms, totals, progress)
            else:
                _put_batches(logs, path, group, s, timestamp_field, now_ms, totals, progress)
        except _Stop as stop:
            raise UsageError(stop.template.replace(_ACCEPTED, str(totals["Accepted"]))) from None
        per_file.append({"File": path, "LogStreamName": s, "Accepted": totals["Accepted"] - accepted_before})
    skipped = []
    if totals["AlreadyImported"]:
        skipped.append({"Reason": "already imported (lines of files imported before: a re-run adds nothing)",
                        "Lines": totals["AlreadyImported"]})  # fmt: skip
    if totals["TooLarge"]:
        skipped.append({"Reason": f"larger than {MAX_EVENT_BYTES} bytes (the limit of one log event)", "Lines": totals["TooLarge"]})
    if totals["Rejected"]:
        skipped.append({"Reason": "rejected by PutLogEvents: older than 14 days, older than the group's retention, "
                        "or more than 2 hours in the future", "Lines": totals["Rejected"]})  # fmt: skip
    return {"LogGroupName": group, **totals, "Mode": "offline load" if offline else "PutLogEvents",
            "Skipped": skipped, "Files": per_file}


def _line_blocks(path: str) -> Iterator[list[str]]:
    """The lines of a file (or stdin) in blocks of IMPORT_BATCH: read in 4 MB chunks, gunzipped when it starts
    with the gzip magic, strict UTF-8, split on ``\\n``, ``\\r\\n`` or ``\\r`` (as a text file's readline), the
    terminators and a leading BOM removed. Reading in chunks and splitting with ``str.split`` costs ~0.1 µs a line."""
    import gzip

    raw: Any = sys.stdin.buffer if path == "-" else Path(path).open("rb")
    stream = gzip.GzipFile(fileobj=raw) if path != "-" and raw.peek(2)[:2] == b"\x1f\x8b" else raw
    lineno = 0
    pending: list[str] = []
    tail = b""
    with raw, stream:
        while True:
            try:
                chunk = stream.read(READ_CHUNK)
            except (OSError, EOFError, zlib.error) as exc:  # a file corrupt further in: say what got in
                raise _Stop(f"cannot read {path} after line {lineno + len(pending)}: {_why(exc)} "
                            f"({_ACCEPTED} events were imported)") from exc  # fmt: skip
            if chunk:
                data = tail + chunk
                cut = data.rfind(b"\n") + 1
                data, tail = data[:cut], data[cut:]
                if not data:
                    continue
            elif tail:
                data, tail = tail, b""
            else:
                break
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                at = lineno + len(pending) + data.count(b"\n", 0, exc.start)
                raise _Stop(f"cannot read {path} after line {at}: not UTF-8 text ({exc.reason}); "
                            f"{_ACCEPTED} events were imported") from None  # fmt: skip
            lines = text.split("\n") if "\r" not in text else _CR_SPLIT.split(text)
            if not lines[-1]:
                lines.pop()  # the text ended with a line terminator
            if lineno == 0 and not pending and lines:
                lines[0] = lines[0].removeprefix("\ufeff")
            pending += lines
            while len(pending) >= IMPORT_BATCH:
                block, pending = pending[:IMPORT_BATCH], pending[IMPORT_BATCH:]
                lineno += len(block)
                yield block
    if pending:
        yield pending


def _parsed_blocks(path: str, skip: int, timestamp_field: str | None, now_ms: int
                   ) -> Iterator[tuple[int, list[int], list[str], int, int]]:  # fmt: skip
    """(number of the block's last line, timestamps, messages, lines without a time, lines too large) per block,
    after the first ``skip`` lines (already imported)."""
    from awsmon.engines.logimport import LineError, parse_block

    lineno = 0
    for lines in _line_blocks(path):
        start, lineno = lineno, lineno + len(lines)
        if lineno <= skip:
            continue
        if start < skip:
            lines, start = lines[skip - start:], skip
        try:
            stamps, messages, no_ts, too_large = parse_block(lines, timestamp_field, now_ms, MAX_EVENT_BYTES)
        except LineError as exc:
            raise _Stop(f"{path}: line {start + exc.index + 1}: {exc} ({_ACCEPTED} events were imported; a re-run "
                        "resumes after them)") from None  # fmt: skip
        yield lineno, stamps, messages, no_ts, too_large


def _parse_worker(send: Any, recv: Any, args: tuple[Any, ...]) -> None:
    """The parsing half of a two-process import (forked): blocks go to the parent, which stores them."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle (it stops this process)
    recv.close()  # so that a parent killed with -9 leaves no reader: the next send fails and this process ends
    try:
        for block in _parsed_blocks(*args):
            send.send(("block", block))
        send.send(("end", None))
    except _Stop as stop:
        send.send(("stop", stop.template))
    except BrokenPipeError:
        pass
    except BaseException as exc:  # a bug: let the parent say so rather than hang
        import traceback

        send.send(("crash", "".join(traceback.format_exception(exc))))


def _parsed(path: str, skip: int, timestamp_field: str | None, now_ms: int
            ) -> Iterator[tuple[int, list[int], list[str], int, int]]:  # fmt: skip
    """The parsed blocks of a file: from a forked second process for big files when there are two cores (it parses
    the next block while this one stores the last: both halves take ~2-3 µs an event), else in this process."""
    import multiprocessing
    import os

    if path == "-":
        big = False
    else:
        with Path(path).open("rb") as fh:
            packed = fh.read(2) == b"\x1f\x8b"  # gzip text is ~5-10x its size
        big = Path(path).stat().st_size * (6 if packed else 1) >= PARALLEL_MIN_BYTES
    if not big or (os.cpu_count() or 1) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        yield from _parsed_blocks(path, skip, timestamp_field, now_ms)
        return
    import awsmon.engines.logimport  # noqa: F401  (imported before the fork: the child needs no import lock)

    mp = multiprocessing.get_context("fork")
    recv, send = mp.Pipe(duplex=False)
    proc = mp.Process(target=_parse_worker, args=(send, recv, (path, skip, timestamp_field, now_ms)), daemon=True)
    proc.start()
    send.close()
    try:
        while True:
            try:
                kind, item = recv.recv()
            except EOFError:
                raise RuntimeError(f"the process parsing {path} ended unexpectedly (exit {proc.exitcode})") from None
            if kind == "end":
                return
            if kind == "stop":
                raise _Stop(item)
            if kind == "crash":
                raise RuntimeError(f"parsing {path} failed: {item}")
            yield item
    finally:
        recv.close()
        if proc.is_alive():
            proc.kill()
        proc.join()


def _load_offline(logs: Any, path: str, group: str, stream: str, key: str | None, timestamp_field: str | None,
                  now_ms: int, totals: dict[str, int], progress: Callable[[int], None] | None) -> None:  # fmt: skip
    from awsmon.backends.local.logs import import_events, import_position

    position, done = import_position(logs, key) if key else (0, False)
    totals["AlreadyImported"] += position
    if done:
        return
    last = position
    for last, stamps, messages, no_ts, too_large in _parsed(path, position, timestamp_field, now_ms):
        import_events(logs, group, stream, stamps, messages, key=key, position=last, done=False)
        _count(totals, len(stamps), no_ts, too_large)
        if progress and stamps:
            progress(len(stamps))
    import_events(logs, group, stream, [], [], key=key, position=last, done=True)


def _count(totals: dict[str, int], events: int, no_ts: int, too_large: int) -> None:
    totals["Lines"] += events + too_large
    totals["NoTimestamp"] += no_ts
    totals["TooLarge"] += too_large
    totals["Accepted"] += events
    totals["Batches"] += 1 if events else 0


def _put_batches(logs: Any, path: str, group: str, stream: str, timestamp_field: str | None, now_ms: int,
                 totals: dict[str, int], progress: Callable[[int], None] | None) -> None:  # fmt: skip
    batch: list[tuple[int, str]] = []
    size = lo = hi = 0
    for _, stamps, messages, no_ts, too_large in _parsed_blocks(path, 0, timestamp_field, now_ms):
        _count(totals, 0, no_ts, too_large)
        totals["Lines"] += len(stamps)
        for ts, message in zip(stamps, messages, strict=True):
            n = len(message.encode("utf-8"))
            if batch and (len(batch) >= MAX_BATCH_EVENTS or size + n + EVENT_OVERHEAD > MAX_BATCH_BYTES
                          or max(hi, ts) - min(lo, ts) > MAX_SPAN_MS):  # fmt: skip
                _flush(logs, group, stream, batch, totals, progress)
                batch, size = [], 0
            if not batch:
                lo = hi = ts
            lo, hi = min(lo, ts), max(hi, ts)
            batch.append((ts, message))
            size += n + EVENT_OVERHEAD
    _flush(logs, group, stream, batch, totals, progress)


def _flush(
    logs: Any,
    group: str,
    stream: str,
    batch: list[tuple[int, str]],
    totals: dict[str, int],
    progress: Callable[[int], None] | None,
) -> None:
    """One PutLogEvents call for an import batch (sorted: a request must be chronological)."""
    if not batch:
        return
    batch.sort(key=lambda e: e[0])
    res = logs.put_log_events(logGroupName=group, logStreamName=stream,
                              logEvents=[{"timestamp": t, "message": m} for t, m in batch])  # fmt: skip
    rej = res.get("rejectedLogEventsInfo") or {}
    rejected = 0
    if "tooNewLogEventStartIndex" in rej:
        rejected += len(batch) - int(rej["tooNewLogEventStartIndex"])
    rejected += max(int(rej.get("tooOldLogEventEndIndex", 0)), int(rej.get("expiredLogEventEndIndex", 0)))
    totals["Rejected"] += rejected
    totals["Accepted"] += len(batch) - rejected
    totals["Batches"] += 1
    if progress:
        progress(len(batch))


def _stream_name_for(path: str) -> str:
    if path == "-":
        return "stdin"
    name = Path(path).name or "import"
    return re.sub(r"[:*]", "_", name)[:512]


# -- demo -----------------------------------------------------------------------------------------------------------
DEMO_GROUP = "/awsmon/demo/app"
DEMO_STREAM = "web-1"


def demo_step(ctx: AppContext) -> list[str]:
    """A demo log group with a few hundred realistic events over the last hour, and a 5xx metric filter."""
    import random

    logs = _client(ctx)
    existing = logs.describe_log_groups(logGroupNamePrefix=DEMO_GROUP).get("logGroups") or []
    if not any(g["logGroupName"] == DEMO_GROUP for g in existing):
        ensure_stream(ctx, DEMO_GROUP, DEMO_STREAM)
        logs.put_metric_filter(
            logGroupName=DEMO_GROUP, filterName="server-errors", filterPattern="{ $.status >= 500 }",
            metricTransformations=[{"metricName": "ServerErrors", "metricNamespace": "AwsmonDemo/App",
                                    "metricValue": "1", "unit": "Count"}],
        )  # fmt: skip
        rng = random.Random(7)
        now_ms = _ms(ctx.now())
        assert now_ms is not None
        start = now_ms - 3600 * 1000
        paths = ["/", "/login", "/api/orders", "/api/orders/42", "/api/users", "/static/app.js", "/health"]
        events = []
        for i in range(300):
            ts = start + i * 12000 + rng.randrange(0, 11000)
            status = rng.choices([200, 201, 302, 404, 500, 503], weights=[70, 5, 5, 10, 6, 4])[0]
            path = rng.choice(paths)
            latency = rng.randrange(3, 900 if status < 500 else 3000)
            when = datetime.fromtimestamp(ts / 1000, UTC)
            if i % 2:
                msg = json.dumps({"level": "ERROR" if status >= 500 else "INFO", "method": rng.choice(["GET", "POST"]),
                                  "path": path, "status": status, "latencyMs": latency,
                                  "requestId": f"{rng.getrandbits(64):016x}", "user": rng.choice(["ana", "bo", "cy"])})  # fmt: skip
            else:
                msg = (f'10.0.{rng.randrange(0, 4)}.{rng.randrange(1, 255)} - - [{when.strftime("%d/%b/%Y:%H:%M:%S +0000")}] '
                       f'"GET {path} HTTP/1.1" {status} {rng.randrange(200, 90000)}')  # fmt: skip
            events.append({"timestamp": ts, "message": msg})
        logs.put_log_events(logGroupName=DEMO_GROUP, logStreamName=DEMO_STREAM, logEvents=events)
    return [
        f"awsmon logs filter --group {DEMO_GROUP} --pattern '{{ $.status >= 500 }}'",
        f"awsmon logs filter --group {DEMO_GROUP} --pattern '[ip, id, user, ts, request, status=404, size]'",
        f"awsmon logs tail {DEMO_GROUP} --since 1h --format short",
        "awsmon logs test-pattern --pattern '{ $.latencyMs > 500 }' --message '{\"latencyMs\": 730}'",
        f"awsmon logs describe-metric-filters --group {DEMO_GROUP}",
    ]

