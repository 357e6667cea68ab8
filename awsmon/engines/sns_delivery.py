"""SNS http/https delivery policies: validation and the retry schedule they give (pure, no I/O).

A retry policy (``healthyRetryPolicy`` of a subscription's DeliveryPolicy, or ``http.defaultHealthyRetryPolicy`` of
a topic's) has four phases, in this order (AWS, "Amazon SNS message delivery retries"):

1. immediate retries, ``numNoDelayRetries``, no delay between them;
2. pre-backoff, ``numMinDelayRetries``, each ``minDelayTarget`` seconds after the one before;
3. backoff, ``numRetries`` minus the three other phases, the delays going from ``minDelayTarget`` to
   ``maxDelayTarget`` along ``backoffFunction``;
4. post-backoff, ``numMaxDelayRetries``, each ``maxDelayTarget`` seconds after the one before.

AWS's default for http/https: 3 retries, all in the backoff phase, 20 s apart (min = max = 20, linear).

[design choice] AWS shows the four backoff functions only as a graph (geometric above linear, arithmetic and then
exponential below it): with ``x`` = the retry's position in the phase from 0 (first) to 1 (last), the delay is
``min + (max - min) * f(x)`` with linear ``x``, geometric ``1 - (1 - x)^2`` (rises fast, then levels),
arithmetic ``x^2`` and exponential ``(e^(4x) - 1) / (e^4 - 1)`` (rises late); a phase of one retry waits ``min``.
AWS also jitters the delays; here they are exact, so a schedule on the simulated clock is predictable.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

BACKOFF_FUNCTIONS = ("linear", "arithmetic", "geometric", "exponential")
MAX_RETRIES = 100
MAX_DELAY_S = 3600  # the total retry time of an http/s policy is at most an hour (AWS's hard limit)
DEFAULT_HTTP_POLICY: dict[str, Any] = {"minDelayTarget": 20, "maxDelayTarget": 20, "numRetries": 3,
                                       "numMaxDelayRetries": 0, "numNoDelayRetries": 0, "numMinDelayRetries": 0,
                                       "backoffFunction": "linear"}  # fmt: skip
_COUNTS = ("numRetries", "numNoDelayRetries", "numMinDelayRetries", "numMaxDelayRetries")


class DeliveryPolicyError(ValueError):
    """A delivery policy SNS refuses (the message is the reason)."""


@dataclass(frozen=True)
class RetryPolicy:
    min_delay: int
    max_delay: int
    retries: int
    no_delay: int
    min_delay_retries: int
    max_delay_retries: int
    backoff: str

    def delays(self) -> list[float]:
        """Seconds to wait before each retry, counted from the attempt before it."""
        backoff_n = self.retries - self.no_delay - self.min_delay_retries - self.max_delay_retries
        out = [0.0] * self.no_delay + [float(self.min_delay)] * self.min_delay_retries
        f = _FUNCTIONS[self.backoff]
        for i in range(backoff_n):
            x = i / (backoff_n - 1) if backoff_n > 1 else 0.0
            out.append(round(self.min_delay + (self.max_delay - self.min_delay) * f(x), 3))
        return out + [float(self.max_delay)] * self.max_delay_retries


_FUNCTIONS = {
    "linear": lambda x: x,
    "geometric": lambda x: 1 - (1 - x) ** 2,
    "arithmetic": lambda x: x**2,
    "exponential": lambda x: (math.exp(4 * x) - 1) / (math.exp(4) - 1),
}


def retry_policy(raw: Any) -> RetryPolicy:
    """A healthyRetryPolicy object (missing fields take the http/s defaults), checked as SNS checks it."""
    if not isinstance(raw, dict):
        raise DeliveryPolicyError("healthyRetryPolicy must be a JSON object")
    p = {**DEFAULT_HTTP_POLICY, **raw}
    unknown = set(raw) - set(DEFAULT_HTTP_POLICY)
    if unknown:
        raise DeliveryPolicyError(f"healthyRetryPolicy: unknown field(s) {', '.join(sorted(unknown))}")
    for key in ("minDelayTarget", "maxDelayTarget", *_COUNTS):
        if isinstance(p[key], bool) or not isinstance(p[key], int) or p[key] < 0:
            raise DeliveryPolicyError(f"healthyRetryPolicy: {key} must be a whole number of at least 0")
    if str(p["backoffFunction"]).lower() not in BACKOFF_FUNCTIONS:
        raise DeliveryPolicyError("healthyRetryPolicy: backoffFunction must be one of linear, arithmetic, geometric, "
                                  "exponential")  # fmt: skip
    if not 1 <= p["minDelayTarget"] <= p["maxDelayTarget"]:
        raise DeliveryPolicyError("healthyRetryPolicy: minDelayTarget must be at least 1 and at most maxDelayTarget")
    if p["maxDelayTarget"] > MAX_DELAY_S:
        raise DeliveryPolicyError(f"healthyRetryPolicy: maxDelayTarget must be at most {MAX_DELAY_S}")
    if p["numRetries"] > MAX_RETRIES:
        raise DeliveryPolicyError(f"healthyRetryPolicy: numRetries must be at most {MAX_RETRIES}")
    if p["numNoDelayRetries"] + p["numMinDelayRetries"] + p["numMaxDelayRetries"] > p["numRetries"]:
        raise DeliveryPolicyError("healthyRetryPolicy: numNoDelayRetries + numMinDelayRetries + numMaxDelayRetries "
                                  "must be at most numRetries")  # fmt: skip
    policy = RetryPolicy(p["minDelayTarget"], p["maxDelayTarget"], p["numRetries"], p["numNoDelayRetries"],
                         p["numMinDelayRetries"], p["numMaxDelayRetries"], str(p["backoffFunction"]).lower())  # fmt: skip
    if sum(policy.delays()) > MAX_DELAY_S:
        raise DeliveryPolicyError(f"healthyRetryPolicy: the total retry time must be at most {MAX_DELAY_S} seconds")
    return policy


def _load(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        doc = json.loads(text)
    except ValueError:
        raise DeliveryPolicyError("DeliveryPolicy is not valid JSON") from None
    if not isinstance(doc, dict):
        raise DeliveryPolicyError("DeliveryPolicy must be a JSON object")
    return doc


def check_subscription_policy(text: str) -> None:
    """A subscription's DeliveryPolicy: ``{healthyRetryPolicy, throttlePolicy, requestPolicy}``."""
    doc = _load(text)
    unknown = set(doc) - {"healthyRetryPolicy", "sicklyRetryPolicy", "throttlePolicy", "requestPolicy"}
    if unknown:
        raise DeliveryPolicyError(f"DeliveryPolicy: unknown field(s) {', '.join(sorted(unknown))}")
    if doc.get("healthyRetryPolicy") is not None:
        retry_policy(doc["healthyRetryPolicy"])
    _check_request_policy(doc.get("requestPolicy"))


def check_topic_policy(text: str) -> None:
    """A topic's DeliveryPolicy: ``{"http": {defaultHealthyRetryPolicy, disableSubscriptionOverrides, ...}}``."""
    http = _load(text).get("http")
    if http is None:
        return
    if not isinstance(http, dict):
        raise DeliveryPolicyError("DeliveryPolicy: http must be a JSON object")
    if http.get("defaultHealthyRetryPolicy") is not None:
        retry_policy(http["defaultHealthyRetryPolicy"])
    _check_request_policy(http.get("defaultRequestPolicy"))


def _check_request_policy(raw: Any) -> None:
    if raw is None:
        return
    if not isinstance(raw, dict) or not isinstance(raw.get("headerContentType", ""), str):
        raise DeliveryPolicyError("requestPolicy: headerContentType must be a string")


def effective(topic_policy: str | None, subscription_policy: str | None) -> tuple[RetryPolicy, str]:
    """The retry policy and Content-Type of one http/s subscription: the subscription's own policy, unless the
    topic's says ``disableSubscriptionOverrides``, else the topic's defaults, else AWS's http/s default."""
    http = _load(topic_policy).get("http") or {}
    sub = _load(subscription_policy)
    use_sub = not http.get("disableSubscriptionOverrides")
    retry = (sub.get("healthyRetryPolicy") if use_sub else None) or http.get("defaultHealthyRetryPolicy") or {}
    request = (sub.get("requestPolicy") if use_sub else None) or http.get("defaultRequestPolicy") or {}
    return retry_policy(retry), str(request.get("headerContentType") or "text/plain; charset=UTF-8")
