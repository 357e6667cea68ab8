"""Catch-up of time-driven work against the simulated clock.

Every kind of periodic work (trail delivery, digests, alarm evaluation, schedules, retention expiry) registers a
handler here by name. Each scheduled item keeps its own next due time in the ``jobs`` table; on every command the
items due up to the clock run in (due time, kind, key) order, each in its own write transaction that also claims
it, so two processes never run the same item twice and never skip one. A handler may process several periods at
once and returns its next due time, so advancing the clock by days costs what is due, not one step per minute.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from awsmon.backends.local.store import AccountStore

# handler(store, key, due, now) -> next due time, or None to drop the item
Handler = Callable[["AccountStore", str, datetime, datetime], "datetime | None"]

# kind -> "module:function", imported only when an item of that kind falls due (keeps startup fast).
HANDLERS: dict[str, str] = {}
_loaded: dict[str, Handler] = {}


def register(kind: str, target: str) -> None:
    HANDLERS[kind] = target


# Work handed over by the handler running now, run after its transaction commits (see after_commit).
_deferred: list[Callable[[], None]] = []


def after_commit(work: Callable[[], None]) -> None:
    """Run ``work`` once the current handler's transaction has committed, with no write lock held (slow I/O); it
    is dropped if the transaction rolls back. ``work`` opens its own short transaction to record what it found."""
    _deferred.append(work)


def _resolve(kind: str) -> Handler:
    if kind not in _loaded:
        target = HANDLERS.get(kind)
        if target is None:
            # Handlers register themselves on import of their module; the module is named in the kind prefix.
            _import_for_kind(kind)
            target = HANDLERS.get(kind)
        if target is None:
            raise RuntimeError(f"no handler registered for scheduled work of kind {kind!r}")
        module, _, func = target.partition(":")
        _loaded[kind] = getattr(importlib.import_module(module), func)
    return _loaded[kind]


# kind prefix -> module that registers its handlers when imported
KIND_MODULES: dict[str, str] = {
    "cloudtrail": "awsmon.backends.local.cloudtrail",
    "logs": "awsmon.backends.local.logs",
    "metrics": "awsmon.backends.local.cloudwatch_metrics",
    "alarms": "awsmon.backends.local.cloudwatch_alarms",
    "sns": "awsmon.backends.local.sns",
    "config": "awsmon.backends.local.config",
    "rules": "awsmon.backends.local.events",
    "ec2": "awsmon.backends.local.ec2",
    "s3": "awsmon.backends.local.s3",
    "firehose": "awsmon.backends.local.firehose",
    "usage": "awsmon.backends.local.cloudwatch_usage",
    "synthetics": "awsmon.backends.local.synthetics",
}


def _import_for_kind(kind: str) -> None:
    module = KIND_MODULES.get(kind.split(".", 1)[0])
    if module:
        importlib.import_module(module)


def _ms(dt: datetime) -> int:
    return int(round(dt.timestamp() * 1000))


def schedule(store: AccountStore, kind: str, key: str, due: datetime) -> None:
    """Add or move an item (call inside a transaction)."""
    store.conn.execute(
        "INSERT INTO jobs (kind, key, next_due_ms) VALUES (?, ?, ?) "
        "ON CONFLICT (kind, key) DO UPDATE SET next_due_ms = excluded.next_due_ms",
        (kind, key, _ms(due)),
    )


def schedule_if_absent(store: AccountStore, kind: str, key: str, due: datetime) -> None:
    store.conn.execute(
        "INSERT OR IGNORE INTO jobs (kind, key, next_due_ms) VALUES (?, ?, ?)", (kind, key, _ms(due))
    )


def unschedule(store: AccountStore, kind: str, key: str) -> None:
    store.conn.execute("DELETE FROM jobs WHERE kind = ? AND key = ?", (kind, key))


def next_due(store: AccountStore, kind: str, key: str) -> datetime | None:
    row = store.conn.execute("SELECT next_due_ms FROM jobs WHERE kind = ? AND key = ?", (kind, key)).fetchone()
    return None if row is None else datetime.fromtimestamp(row[0] / 1000, UTC)


def catch_up(store: AccountStore, now: datetime, *, limit: int | None = None) -> int:
    """Run every item due at or before ``now``, oldest first. Returns how many runs happened."""
    runs = 0
    now_ms = _ms(now)
    conn = store.conn
    while limit is None or runs < limit:
        # Cheap unlocked peek first: most commands find nothing due and must not take the write lock.
        if conn.execute("SELECT 1 FROM jobs WHERE next_due_ms <= ? LIMIT 1", (now_ms,)).fetchone() is None:
            break
        _deferred.clear()
        with store.transaction():
            row = conn.execute(
                "SELECT kind, key, next_due_ms FROM jobs WHERE next_due_ms <= ? ORDER BY next_due_ms, kind, key LIMIT 1",
                (now_ms,),
            ).fetchone()
            if row is None:
                break
            kind, key, due_ms = row[0], row[1], row[2]
            handler = _resolve(kind)
            due = datetime.fromtimestamp(due_ms / 1000, UTC)
            # The run happens "at" its due time, however late the clock advance that reached it: what it writes
            # through store.now() (records, event times, datapoints, invocations) is stamped with ``due``;
            # ``now`` (how far the clock has moved) is the handler's argument for work it batches up to it.
            with store.as_of(due):
                nxt = handler(store, key, due, now)
            if nxt is None:
                conn.execute("DELETE FROM jobs WHERE kind = ? AND key = ? AND next_due_ms = ?", (kind, key, due_ms))
            else:
                if _ms(nxt) <= due_ms:
                    raise RuntimeError(f"scheduled work {kind}/{key} did not move its due time forward")
                conn.execute(
                    "UPDATE jobs SET next_due_ms = ? WHERE kind = ? AND key = ? AND next_due_ms = ?",
                    (_ms(nxt), kind, key, due_ms),
                )
            runs += 1
        work, _deferred[:] = list(_deferred), []
        with store.as_of(due):  # after-commit work of the run belongs to the same moment
            for item in work:
                item()
    _deferred.clear()
    watermark = conn.execute("SELECT watermark_ms FROM clock WHERE id = 1").fetchone()
    if watermark is not None and watermark[0] < now_ms:
        with store.transaction():
            store.touch_watermark(now)
    return runs
