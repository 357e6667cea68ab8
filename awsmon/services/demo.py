"""awsmon demo: build a demo local account, idempotently, and say what to try next.

Each capability contributes a step: a module listed in ``STEP_MODULES`` that defines
``demo_step(ctx) -> list[str]`` (the "try next" lines it adds). Steps are idempotent.

[design choice] On a fresh account that follows real time, the demo starts the clock 65 minutes in the past, runs
the trail step first (the trail starts logging then), and lets the clock catch up to real time, so the trail has
delivered log files and a signed hourly digest by the time the other steps run; then the clock follows real time
again. Nothing ever moves the clock backwards.
"""

from __future__ import annotations

import importlib
import time
from typing import Any

from awsmon.context import AppContext
from awsmon.errors import UsageError

STEP_MODULES: list[str] = [
    "awsmon.services.trail",  # first: with a back-dated clock it has an hour of delivery behind it
    "awsmon.services.logs",
    "awsmon.services.metrics",
    "awsmon.services.alarms",
    "awsmon.services.rules",
    "awsmon.services.config",
]


def samples() -> dict[str, Any]:
    """Where the sample data shipped in the package is installed."""
    from awsmon.samples import cloudtrail_path

    return {"CloudTrail": str(cloudtrail_path())}


def run_demo(ctx: AppContext) -> dict[str, Any]:
    if not ctx.is_local:
        raise UsageError("awsmon demo builds a local simulated account: use --backend local")
    started = time.perf_counter()
    store = ctx.store()
    backdated = store.is_fresh() and store.clock_row()["mode"] == "real"
    if backdated:
        from datetime import timedelta

        store.set_clock(store.now() - timedelta(minutes=65))
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
        if backdated and name.endswith(".trail"):
            store.real_clock()  # catch up to real time: deliveries and the hourly digest happen now
            ctx.run_catch_up()
            backdated = False
    if backdated:
        store.real_clock()
        ctx.run_catch_up()
    return {
        "AccountId": store.account_id,
        "Region": ctx.local_region(),
        "Steps": steps,
        "Seconds": round(time.perf_counter() - started, 2),
        "TryNext": tips,
    }
