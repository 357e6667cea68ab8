"""The local account: init, list, info, reset, and the simulated clock."""

from __future__ import annotations

import os
import shutil
import time
from datetime import UTC, datetime
from typing import Any

from awsmon import __version__
from awsmon.context import AppContext, Setting
from awsmon.errors import UsageError


def init_account(ctx: AppContext, account_id: str | None, region: str | None, make_default: bool) -> dict[str, Any]:
    from awsmon.backends.local.store import (
        DEFAULT_ACCOUNT_ID,
        AccountStore,
        validate_account_id,
        validate_region,
    )

    home = ctx.home_obj()
    home.ensure_writable()
    acct = validate_account_id(account_id or (ctx.account.value or DEFAULT_ACCOUNT_ID))
    reg = validate_region(region or ctx.region.value or "us-east-1")
    existed = home.exists(acct)
    with AccountStore.open(home, acct, create=True, region=reg) as store:
        principal = store.principal()
        data = _describe(store, home.root)
    if make_default or not home.default_account():
        home.set_default_account(acct)
    data["Created"] = not existed
    data["Default"] = home.default_account() == acct
    data["Principal"] = principal.arn
    return data


def _describe(store: Any, home_root: Any) -> dict[str, Any]:
    return {
        "AccountId": store.account_id,
        "DefaultRegion": store.default_region,
        "Path": str(store.dir),
        "SigningKey": str(store.keys_dir / "signing-key.pem"),
    }


def list_accounts(ctx: AppContext) -> dict[str, Any]:
    from awsmon.backends.local.store import AccountStore

    home = ctx.home_obj()
    default = home.default_account()
    rows = []
    for acct in home.account_ids():
        if not home.exists(acct):
            continue
        with AccountStore.open(home, acct) as store:
            events = store.conn.execute("SELECT count(*) FROM events").fetchone()[0]
            rows.append(
                {
                    "AccountId": acct,
                    "Default": acct == default,
                    "DefaultRegion": store.default_region,
                    "Now": store.now(),
                    "Events": events,
                    "Path": str(store.dir),
                }
            )
    return {"Accounts": rows}


def account_info(ctx: AppContext) -> dict[str, Any]:
    settings = ctx.settings_report()
    info: dict[str, Any] = {"Version": __version__, "Backend": ctx.backend_name.value}
    if ctx.is_local:
        store = ctx.store()
        region = ctx.local_region()
        principal = store.principal()
        clock = store.clock_description()
        info.update(
            {
                "AccountId": store.account_id,
                "Region": region,
                "Home": str(ctx.home.value),
                "AccountPath": str(store.dir),
                "Principal": principal.arn,
                "AccessKeyId": principal.access_key_id,
                "Clock": clock,
            }
        )
        settings = ctx.settings_report()  # the account and region sources are known now
    else:
        info.update({"Region": ctx.region.value, "Profile": ctx.profile.value, "EndpointUrl": ctx.endpoint_url.value})
    info["Settings"] = settings
    return info


def reset_account(ctx: AppContext, yes: bool) -> dict[str, Any]:
    from awsmon.backends.local.store import AccountStore

    if not yes:
        raise UsageError("account reset deletes every resource, event and file of the account: pass --yes to confirm")
    home = ctx.home_obj()
    acct = ctx.resolve_account_id()
    if not home.exists(acct):
        raise UsageError(f"local account {acct} does not exist in {home.root}")
    with AccountStore.open(home, acct) as store:
        region = store.default_region
        user = store.meta("principal_user") or "awsmon"
    adir = home.account_dir(acct)
    trash = adir.with_name(f".trash-{acct}-{os.getpid()}-{int(time.time() * 1000)}")
    os.replace(adir, trash)  # atomic: other processes see the old account or none, never a half-deleted one
    try:
        with AccountStore.open(home, acct, create=True, region=region) as store, store.transaction():
            store.set_meta("principal_user", user)
    finally:
        shutil.rmtree(trash, ignore_errors=True)
    return {"AccountId": acct, "Reset": True}


def clock_show(ctx: AppContext) -> dict[str, Any]:
    store = ctx.store()
    data = store.clock_description()
    data["CatchUpRuns"] = ctx.catch_up_runs
    return data


def clock_set(ctx: AppContext, when_text: str) -> dict[str, Any]:
    store = ctx.store(catch_up=False)
    when = ctx.parse_time(when_text)
    assert when is not None
    store.set_clock(when)
    return _after_clock_move(ctx)


def clock_advance(ctx: AppContext, duration: str) -> dict[str, Any]:
    from awsmon.timeparse import parse_duration

    store = ctx.store(catch_up=False)
    store.advance_clock(parse_duration(duration))
    return _after_clock_move(ctx)


def clock_real(ctx: AppContext) -> dict[str, Any]:
    store = ctx.store(catch_up=False)
    store.real_clock()
    return _after_clock_move(ctx)


def _after_clock_move(ctx: AppContext) -> dict[str, Any]:
    started = time.perf_counter()
    runs = ctx.run_catch_up()
    data = ctx.store(catch_up=False).clock_description()
    data["CatchUpRuns"] = runs
    data["CatchUpSeconds"] = round(time.perf_counter() - started, 3)
    return data


def now_utc() -> datetime:
    return datetime.now(UTC)


__all__ = ["Setting"]
