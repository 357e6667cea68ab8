"""Client-side request pacing for the aws backend: a token bucket shared by threads, and backoff on throttling.

AWS publishes per-account rates for some operations (LookupEvents 2/s, FilterLogEvents 5/s...); pacing below them
avoids most throttling, and the backoff absorbs the rest. botocore's own retries come on top of this.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from awsmon.errors import ServiceError

THROTTLING_CODES = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded"})


class TokenBucket:
    """``rate`` requests per second with bursts of ``burst``, shared by every thread that calls :meth:`take`."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = rate
        self.capacity = burst or rate
        self.tokens = self.capacity
        self.stamp = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> None:
        while True:
            with self.lock:
                now = time.monotonic()
                self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
                self.stamp = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                wait = (1 - self.tokens) / self.rate
            time.sleep(wait)


def call_with_backoff(
    call: Callable[..., Any],
    bucket: TokenBucket | None,
    *,
    attempts: int = 8,
    first_delay: float = 0.5,
    max_delay: float = 10.0,
    **params: Any,
) -> Any:
    """Call ``call(**params)`` within the bucket's budget, backing off exponentially while AWS throttles."""
    delay = first_delay
    for attempt in range(attempts):
        if bucket is not None:
            bucket.take()
        try:
            return call(**params)
        except ServiceError as exc:
            if exc.code not in THROTTLING_CODES or attempt == attempts - 1:
                raise
            time.sleep(delay)
            delay = min(delay * 2, max_delay)
    raise AssertionError("unreachable")
