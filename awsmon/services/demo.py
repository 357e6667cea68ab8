"""awsmon demo: build a demo local account, idempotently, and say what to try next.

Each capability contributes a step: a module listed in ``STEP_MODULES`` that defines
``demo_step(ctx) -> list[str]`` (the "try next" lines it adds). Steps are idempotent.
"""

from __future__ import annotations

import importlib
import time
from typing import Any

from awsmon.context import AppContext
from awsmon.errors import UsageError

STEP_MODULES: list[str] = [
    "awsmon.services.logs",
    "awsmon.services.metrics",
    "awsmon.services.alarms",
    "awsmon.services.trail",
    "awsmon.services.rules",
    "awsmon.services.config",
]


def run_demo(ctx: AppContext) -> dict[str, Any]:
    if not ctx.is_local:
        raise UsageError("awsmon demo builds a local simulated account: use --backend local")
    started = time.perf_counter()
    store = ctx.store()
    tips: list[str] = [
        "awsmon account info                      # backend, account, region, clock, and where each came from",
        "awsmon trail lookup --max-results 5      # every call above was recorded as a CloudTrail event",
    ]
    steps: list[str] = []
    for name in STEP_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # capability not built yet
            raise
        step = getattr(module, "demo_step", None)
        if step is None:
            continue
        tips.extend(step(ctx))
        steps.append(name.rsplit(".", 1)[-1])
    return {
        "AccountId": store.account_id,
        "Region": ctx.local_region(),
        "Steps": steps,
        "Seconds": round(time.perf_counter() - started, 2),
        "TryNext": tips,
    }
