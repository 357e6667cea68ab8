"""awsmon logs tail: recent events, then (``--follow``) a Live Tail session (StartLiveTail), on both backends.

Following: a StartLiveTail session is opened first, then the history since ``--since`` is read with FilterLogEvents
(so nothing ingested in between is lost), then the session's updates are printed. Events seen twice (in the history
and in the session) are printed once: live events carry no eventId, so an event is known by (group, stream,
timestamp, ingestionTime, message). A session that ends (AWS closes it after 3 hours with SessionTimeoutException;
SessionStreamingException on a server error; an emulator's stream ends at once) is reopened, and the gap is filled
with FilterLogEvents from ``newest - lag``. An endpoint without StartLiveTail (``--endpoint-url`` to an emulator that
answers "unknown operation") is followed by polling FilterLogEvents instead, re-reading ``newest - lag`` and skipping
eventIds already printed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

from awsmon.context import AppContext
from awsmon.errors import ServiceError, UsageError
from awsmon.services.logs import _client, _local_matcher, _ms, filter_events, group_names, validate_pattern

LAG = timedelta(seconds=60)
SESSION_ENDED = ("SessionTimeoutException", "SessionStreamingException")


def tail(
    ctx: AppContext,
    groups: list[str],
    since: datetime | None = None,
    pattern: str | None = None,
    follow: bool = False,
    streams: list[str] | None = None,
    stream_prefix: str | None = None,
    interval: float = 1.0,
    timeout: float | None = None,
    max_items: int | None = None,
    notice: Callable[[str], None] | None = None,
    lag: timedelta = LAG,
) -> Iterator[dict[str, Any]]:
    """Events since ``since`` (default 10 minutes) in time order, each with its ``logGroupName``; with ``follow``,
    then new ones as they are ingested, until ``timeout`` seconds or ``max_items`` events. ``notice`` receives
    one-line remarks for humans (results sampled by AWS, fallback to polling)."""
    validate_pattern(pattern)
    if streams and stream_prefix:
        raise UsageError("give --log-stream-names or --log-stream-name-prefix, not both")
    if max_items is not None and max_items < 1:
        raise UsageError("--max-items must be at least 1")
    names = group_names(ctx, groups, None)
    start = since or (ctx.now() - timedelta(minutes=10))
    sel = _Selection(ctx, names, pattern, streams, stream_prefix)
    deadline = None if timeout is None else time.monotonic() + timeout
    events = _follow(ctx, sel, start, interval, deadline, notice or (lambda _: None), lag) if follow else sel.history(start)
    try:
        yield from islice(events, max_items)
    finally:
        events.close()  # ends a live session at once (--max-items reached, Ctrl-C)


class _Selection:
    """What is tailed: groups, streams, pattern; reads history with FilterLogEvents."""

    def __init__(self, ctx: AppContext, names: list[str], pattern: str | None, streams: list[str] | None,
                 stream_prefix: str | None) -> None:  # fmt: skip
        self.ctx = ctx
        self.names = names
        self.pattern = pattern
        self.streams = streams
        self.stream_prefix = stream_prefix

    def history(self, start_ms_or_dt: datetime | int, parallel: int = 4) -> Generator[dict[str, Any], None, None]:
        start = (start_ms_or_dt if isinstance(start_ms_or_dt, datetime)
                 else datetime.fromtimestamp(start_ms_or_dt / 1000, UTC))  # fmt: skip
        only = self.names[0] if len(self.names) == 1 else None
        for ev in filter_events(self.ctx, self.names, pattern=self.pattern, streams=self.streams,
                                stream_prefix=self.stream_prefix, start=start, parallel=parallel,
                                probe=False):  # named groups, recent events: no probe  # fmt: skip
            yield {"logGroupName": only, **ev} if only else ev

    def live_params(self) -> dict[str, Any]:
        from awsmon.services import given

        return {"logGroupIdentifiers": [self.arn(n) for n in self.names],
                **given(logStreamNames=self.streams, logStreamNamePrefixes=[self.stream_prefix] if self.stream_prefix else None,
                        logEventFilterPattern=self.pattern)}  # fmt: skip

    def arn(self, name: str) -> str:
        """StartLiveTail takes group ARNs (without the trailing ``:*``): DescribeLogGroups gives them."""
        if len(self.names) > 10:  # AWS refuses more than 10 groups: no need to describe them first
            return name
        for g in _client(self.ctx).describe_log_groups(logGroupNamePrefix=name).get("logGroups") or []:
            if g.get("logGroupName") == name:
                return str(g.get("logGroupArn") or str(g.get("arn") or "").removesuffix(":*"))
        raise ServiceError("ResourceNotFoundException", "The specified log group does not exist.")


def _key(ev: dict[str, Any]) -> tuple[Any, ...]:
    return (ev.get("logGroupName"), ev.get("logStreamName"), ev.get("timestamp"), ev.get("ingestionTime"),
            ev.get("message"))  # fmt: skip


def _open(ctx: AppContext, params: dict[str, Any]) -> Any:
    """The session's event stream, or None when the endpoint does not implement StartLiveTail."""
    from awsmon.services import lacks_operation

    try:
        return _client(ctx).start_live_tail(**params)["responseStream"]
    except ServiceError as exc:
        if lacks_operation(ctx, exc):
            return None
        raise


def _follow(ctx: AppContext, sel: _Selection, start: datetime, interval: float, deadline: float | None,
            notice: Callable[[str], None], lag: timedelta) -> Generator[dict[str, Any], None, None]:  # fmt: skip
    params = sel.live_params()
    stream = _open(ctx, params)
    if stream is None:
        notice(f"{ctx.endpoint_url.value} does not implement StartLiveTail: following by polling FilterLogEvents")
        yield from _poll(sel, start, interval, deadline, lag)
        return
    names = dict(zip(params["logGroupIdentifiers"], sel.names, strict=True))
    lag_ms = int(lag.total_seconds() * 1000)
    # An emulator may send events stored before the session (moto sends every stored event, then ends the
    # stream) and ignores most patterns: those are dropped / re-checked; the gap fill reads them properly.
    emulator = bool(ctx.endpoint_url.value) and not ctx.is_local
    matches = _local_matcher(ctx, sel.pattern)
    seen: dict[tuple[Any, ...], int] = {}
    newest = _ms(start) or 0
    for ev in sel.history(start):
        seen[_key(ev)] = ev["timestamp"]
        newest = max(newest, ev["timestamp"])
        yield ev
    told = False
    while True:
        opened, opened_ms = time.monotonic(), int(time.time() * 1000)
        try:
            for item in stream:
                update = item.get("sessionUpdate")
                if update is None:
                    continue
                if (update.get("sessionMetadata") or {}).get("sampled") and not told:
                    told = True
                    notice("more than 500 events per second match: CloudWatch Logs sent a sample of them")
                batch = []
                for r in update.get("sessionResults") or []:
                    if emulator and (int(r.get("ingestionTime") or 0) < opened_ms
                                     or (matches is not None and not matches(r.get("message", "")))):  # fmt: skip
                        continue
                    ident = str(r.get("logGroupIdentifier") or "")
                    batch.append({"logGroupName": names.get(ident) or _group_of(ident),
                                  "logStreamName": r.get("logStreamName"), "timestamp": r.get("timestamp"),
                                  "message": r.get("message"), "ingestionTime": r.get("ingestionTime")})  # fmt: skip
                batch.sort(key=lambda e: (e["timestamp"] or 0, e["ingestionTime"] or 0))
                for ev in batch:
                    if _key(ev) not in seen:
                        seen[_key(ev)] = ev["timestamp"]
                        newest = max(newest, ev["timestamp"])
                        yield ev
                if _expired(deadline):
                    return
        except ServiceError as exc:
            if exc.code not in SESSION_ENDED:
                raise
        finally:
            stream.close()
        if _expired(deadline):
            return
        # The session ended: wait out the interval (an emulator ends it at once), open the next one, then read
        # what arrived in between.
        time.sleep(max(0.0, min(interval - (time.monotonic() - opened), _left(deadline))))
        stream = _open(ctx, params)
        if stream is None:
            yield from _poll(sel, datetime.fromtimestamp(max(0, newest - lag_ms) / 1000, UTC), interval, deadline, lag)
            return
        floor = newest - lag_ms
        for ev in sel.history(max(_ms(start) or 0, floor), parallel=1):
            if _key(ev) not in seen:
                seen[_key(ev)] = ev["timestamp"]
                newest = max(newest, ev["timestamp"])
                yield ev
        for k in [k for k, ts in seen.items() if ts < floor]:
            del seen[k]  # older than the gap fill's window: no source sends them again


def _poll(sel: _Selection, start: datetime, interval: float, deadline: float | None,
          lag: timedelta) -> Iterator[dict[str, Any]]:  # fmt: skip
    """Follow by polling FilterLogEvents: each poll re-reads from ``newest - lag`` (events are ingested late, up
    to minutes after their timestamps) and skips the eventIds already printed; ids older than the window are
    forgotten, as no poll reads them again."""
    seen: dict[str, int] = {}
    start_ms = _ms(start) or 0
    newest = start_ms
    for ev in sel.history(start):
        seen[ev["eventId"]] = ev["timestamp"]
        newest = max(newest, ev["timestamp"])
        yield ev
    lag_ms = int(lag.total_seconds() * 1000)
    while not _expired(deadline):
        time.sleep(min(interval, _left(deadline)))
        # One window per poll: the overlap is short, and splitting it would spend the shared request budget.
        for ev in sel.history(max(start_ms, newest - lag_ms), parallel=1):
            if ev["eventId"] in seen:
                continue
            seen[ev["eventId"]] = ev["timestamp"]
            newest = max(newest, ev["timestamp"])
            yield ev
        floor = newest - lag_ms
        for eid in [e for e, ts in seen.items() if ts < floor]:
            del seen[eid]


def _group_of(ident: str) -> str:
    parts = ident.split(":")
    return parts[6] if ident.startswith("arn:") and len(parts) >= 7 else ident


def _expired(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() >= deadline


def _left(deadline: float | None) -> float:
    return float("inf") if deadline is None else max(0.0, deadline - time.monotonic())
