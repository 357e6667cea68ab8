"""The local account, its clock, CloudTrail recording of calls, scheduled catch-up and concurrency."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from awsmon.backends.local import scheduler
from awsmon.backends.local.base import LocalService, api
from awsmon.backends.local.store import AccountStore, Home
from awsmon.errors import ServiceError
from tests.conftest import PINNED_NOW, Cli


def test_first_command_creates_default_account(cli: Cli, home: Path) -> None:
    info = cli.json("account", "info")
    assert info["AccountId"] == "123456789012"
    assert info["Region"] == "us-east-1"
    assert info["Principal"] == "arn:aws:iam::123456789012:user/awsmon"
    key = home / "accounts" / "123456789012" / "keys" / "signing-key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in key.read_bytes()
    conn = __import__("sqlite3").connect(home / "accounts" / "123456789012" / "account.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_init_list_info_reset(cli: Cli, home: Path) -> None:
    created = cli.json("account", "init", "--account-id", "111122223333", "--region", "eu-west-1")
    assert created["Created"] is True and created["DefaultRegion"] == "eu-west-1"
    again = cli.json("account", "init", "--account-id", "111122223333", "--region", "eu-west-1")
    assert again["Created"] is False  # idempotent
    cli.ok("account", "init", "--account-id", "444455556666", "--default")
    listed = cli.json("account", "list")["Accounts"]
    assert [a["AccountId"] for a in listed] == ["111122223333", "444455556666"]
    assert [a["Default"] for a in listed] == [False, True]
    info = cli.json("--account", "111122223333", "account", "info")
    assert info["AccountId"] == "111122223333" and info["Region"] == "eu-west-1"
    sources = {s["Setting"]: s["Source"] for s in info["Settings"]}
    assert sources["Account"] == "--account"
    assert sources["Region"] == "the local account's default region"
    info = cli.json("--account", "111122223333", "--region", "ap-south-1", "account", "info")
    assert info["Region"] == "ap-south-1"
    assert cli("account", "reset").exit_code == 2  # needs --yes
    cli.ok("--account", "111122223333", "account", "reset", "--yes")
    assert cli.json("--account", "111122223333", "account", "info")["Region"] == "eu-west-1"


def test_init_rejects_bad_ids(cli: Cli) -> None:
    res = cli("account", "init", "--account-id", "../../etc")
    assert res.exit_code == 2 and "12 digits" in res.stderr
    assert cli("account", "init", "--account-id", "111122223333", "--region", "mars-1").exit_code == 2
    assert cli("--account", "999999999999", "account", "info").exit_code in (0, 4)


def test_unknown_account_when_others_exist(cli: Cli) -> None:
    cli.ok("account", "info")
    res = cli("--account", "999999999999", "account", "info")
    assert res.exit_code == 4 and "does not exist" in res.stderr


def test_clock(cli: Cli) -> None:
    data = cli.json("account", "clock", "set", PINNED_NOW)
    assert data["Now"] == PINNED_NOW and data["Mode"] == "pinned"
    data = cli.json("account", "clock", "advance", "90m")
    assert data["Now"] == "2026-11-20T13:30:00Z"
    assert cli.json("account", "clock", "show")["Now"] == "2026-11-20T13:30:00Z"
    pinned = cli.json("account", "clock", "show", env={"AWSMON_NOW": "2026-11-21T00:00:00Z"})
    assert pinned["Now"] == "2026-11-21T00:00:00Z" and pinned["Mode"] == "pinned by AWSMON_NOW"
    assert cli.json("account", "clock", "show")["Now"] == "2026-11-20T13:30:00Z"  # only for that command
    real = cli.json("account", "clock", "real")
    assert real["Mode"].startswith("real time")
    assert datetime.fromisoformat(real["Now"].replace("Z", "+00:00")) >= datetime(2026, 11, 20, 13, 30, tzinfo=UTC)


def test_clock_never_moves_back_once_used(cli: Cli, home: Path) -> None:
    cli.ok("account", "clock", "set", PINNED_NOW)
    cli.ok("account", "clock", "set", "2026-01-01T00:00:00Z")  # still fresh: allowed
    _record_something(home)
    res = cli("account", "clock", "set", "2025-01-01T00:00:00Z")
    assert res.exit_code == 2 and "only moves forward" in res.stderr
    assert cli("account", "clock", "advance", "-5m").exit_code == 2
    res = cli("account", "clock", "show", env={"AWSMON_NOW": "2025-06-01T00:00:00Z"})
    assert res.exit_code == 2 and "only moves forward" in res.stderr
    assert cli("account", "clock", "set", "not-a-time").exit_code == 2
    assert cli("account", "clock", "advance", "soon").exit_code == 2


class LocalEcho(LocalService):
    """A tiny service used to exercise recording."""

    service_name = "echo"
    event_source = "echo.amazonaws.com"

    @api("CreateThing")
    def create_thing(self, *, Name: str, Tags: list[dict[str, str]] | None = None) -> dict[str, Any]:
        if not Name.isalnum():
            raise ServiceError("InvalidParameterValueException", f"Invalid name: {Name}")
        self.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (f"thing:{Name}", "1"))
        if Name == "boom":
            raise ServiceError("LimitExceededException", "too many things")
        return {"ThingArn": f"arn:aws:echo:{self.region}:{self.account_id}:thing/{Name}"}

    @api("DescribeThings")
    def describe_things(self) -> dict[str, Any]:
        rows = self.conn.execute("SELECT key FROM meta WHERE key LIKE 'thing:%'").fetchall()
        return {"Things": [r[0][6:] for r in rows]}

    def _resources(self, op: str, params: dict[str, Any], result: Any) -> list[dict[str, str]]:
        if "Name" in params:
            return [{"type": "AWS::Echo::Thing", "ARN": f"arn:aws:echo:::thing/{params['Name']}", "name": params["Name"]}]
        return []


def _open(home: Path) -> AccountStore:
    h = Home(home)
    return AccountStore.open(h, "123456789012", create=not h.exists("123456789012"))


def _record_something(home: Path) -> None:
    with _open(home) as store:
        LocalEcho(store, "us-east-1").create_thing(Name="x1")


def _events(store: AccountStore) -> list[dict[str, Any]]:
    return [json.loads(r[0]) for r in store.conn.execute("SELECT record FROM events ORDER BY seq")]


def test_every_call_is_recorded(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWSMON_NOW", PINNED_NOW)
    with _open(home) as store:
        store.pin_for_command(datetime(2026, 11, 20, 12, tzinfo=UTC))
        svc = LocalEcho(store, "eu-west-1")
        assert svc.create_thing(Name="alpha", Tags=[{"Key": "k", "Value": "v"}])["ThingArn"].endswith("alpha")
        with pytest.raises(ServiceError):
            svc.create_thing(Name="bad name")
        with pytest.raises(ServiceError):
            svc.create_thing(Name="boom")  # fails after writing: the write must be rolled back
        assert svc.describe_things() == {"Things": ["alpha"]}
        events = _events(store)
    assert [e["eventName"] for e in events] == ["CreateThing", "CreateThing", "CreateThing", "DescribeThings"]
    ok, bad, boom, read = events
    for e in events:
        assert e["eventVersion"] == "1.11"
        assert e["eventSource"] == "echo.amazonaws.com"
        assert e["awsRegion"] == "eu-west-1"
        assert e["eventTime"] == "2026-11-20T12:00:00Z"
        assert e["eventType"] == "AwsApiCall"
        assert e["managementEvent"] is True and e["eventCategory"] == "Management"
        assert e["recipientAccountId"] == "123456789012"
        assert e["userAgent"].startswith("awsmon/")
        assert e["sourceIPAddress"] == "127.0.0.1"
        assert e["userIdentity"]["type"] == "IAMUser" and e["userIdentity"]["userName"] == "awsmon"
        assert e["userIdentity"]["accessKeyId"].startswith("AKIA")
        assert len(e["eventID"]) == 36 and len(e["requestID"]) == 36
    assert ok["readOnly"] is False and read["readOnly"] is True
    assert ok["requestParameters"] == {"name": "alpha", "tags": [{"key": "k", "value": "v"}]}
    assert ok["responseElements"] == {"thingArn": "arn:aws:echo:eu-west-1:123456789012:thing/alpha"}
    assert ok["resources"][0]["type"] == "AWS::Echo::Thing"
    assert read["responseElements"] is None
    assert bad["errorCode"] == "InvalidParameterValueException" and bad["errorMessage"] == "Invalid name: bad name"
    assert boom["errorCode"] == "LimitExceededException" and "responseElements" in boom and boom["responseElements"] is None


def test_indexed_lookup_columns(home: Path) -> None:
    with _open(home) as store:
        LocalEcho(store, "us-east-1").create_thing(Name="beta")
        row = store.conn.execute(
            "SELECT event_name, event_source, read_only, username, access_key_id, region FROM events"
        ).fetchone()
        assert tuple(row)[:4] == ("CreateThing", "echo.amazonaws.com", "false", "awsmon")
        names = {r[0] for r in store.conn.execute("SELECT resource_name FROM event_resources")}
        assert names == {"beta", "arn:aws:echo:::thing/beta"}


def test_assumed_role_principal(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWSMON_PRINCIPAL", "arn:aws:iam::123456789012:role/Admin")
    with _open(home) as store:
        LocalEcho(store, "us-east-1").create_thing(Name="gamma")
        ident = _events(store)[-1]["userIdentity"]
        user = store.conn.execute("SELECT username FROM events").fetchone()[0]
    assert ident["type"] == "AssumedRole"
    assert ident["arn"] == "arn:aws:sts::123456789012:assumed-role/Admin/awsmon"
    assert ident["sessionContext"]["sessionIssuer"]["arn"] == "arn:aws:iam::123456789012:role/Admin"
    assert ident["accessKeyId"].startswith("ASIA")
    assert user == "awsmon"


# -- scheduled catch-up -----------------------------------------------------------------------------------------
RUNS: list[tuple[str, str]] = []


def _tick(store: AccountStore, key: str, due: datetime, now: datetime) -> datetime | None:
    RUNS.append((key, due.isoformat()))
    store.set_meta(f"tick:{key}:{due.isoformat()}", "1")
    step = timedelta(minutes=int(key.split("-")[1]))
    return due + step


def _sparse(store: AccountStore, key: str, due: datetime, now: datetime) -> datetime | None:
    """Work that is due daily: a jump of 30 days costs 30 runs, not 43,200 minute steps."""
    RUNS.append((key, due.isoformat()))
    return due + timedelta(days=1)


def _stamped(store: AccountStore, key: str, due: datetime, now: datetime) -> datetime | None:
    """A run that writes through the clock: an API call (its CloudTrail eventTime) and after-commit work."""
    RUNS.append((key, store.now().isoformat()))
    LocalEcho(store, "us-east-1").create_thing(Name=f"t{due:%H%M}")
    scheduler.after_commit(lambda: RUNS.append(("after", store.now().isoformat())))
    return due + timedelta(minutes=10)


scheduler.register("test.tick", f"{__name__}:_tick")
scheduler.register("test.sparse", f"{__name__}:_sparse")
scheduler.register("test.stamped", f"{__name__}:_stamped")


def test_catch_up_runs_in_time_order(home: Path) -> None:
    RUNS.clear()
    start = datetime(2026, 11, 20, 12, tzinfo=UTC)
    with _open(home) as store:
        with store.transaction():
            scheduler.schedule(store, "test.tick", "every-5", start + timedelta(minutes=5))
            scheduler.schedule(store, "test.tick", "every-7", start + timedelta(minutes=7))
        runs = scheduler.catch_up(store, start + timedelta(minutes=20))
    assert runs >= 6  # other components may have housekeeping items of their own
    assert [k for k, _ in RUNS] == ["every-5", "every-7", "every-5", "every-7", "every-5", "every-5"]
    assert [t[11:16] for _, t in RUNS] == ["12:05", "12:07", "12:10", "12:14", "12:15", "12:20"]


def test_each_late_run_happens_at_its_due_time(home: Path) -> None:
    """A clock advanced by an hour over a 10-minute job: each of the 6 runs sees its own due time as now (what it
    records, its after-commit work), not the end of the advance; the clock itself ends at the advance."""
    RUNS.clear()
    start = datetime(2026, 11, 20, 12, tzinfo=UTC)
    with _open(home) as store:
        with store.transaction():
            scheduler.schedule(store, "test.stamped", "ten", start + timedelta(minutes=10))
        scheduler.catch_up(store, start + timedelta(hours=1))
        times = [(start + timedelta(minutes=10 * i)).isoformat() for i in range(1, 7)]
        assert [t for k, t in RUNS if k == "ten"] == times
        assert [t for k, t in RUNS if k == "after"] == times
        recorded = store.conn.execute("SELECT event_time FROM events WHERE event_name = 'CreateThing' ORDER BY seq")
        assert [datetime.fromtimestamp(r[0] / 1000, UTC).isoformat() for r in recorded] == times


def test_catch_up_cost_is_proportional_to_work(home: Path) -> None:
    import time

    RUNS.clear()
    start = datetime(2026, 11, 20, 12, tzinfo=UTC)
    with _open(home) as store:
        with store.transaction():
            scheduler.schedule(store, "test.sparse", "daily", start + timedelta(days=1))
        t0 = time.perf_counter()
        runs = scheduler.catch_up(store, start + timedelta(days=30))
        elapsed = time.perf_counter() - t0
    assert len(RUNS) == 30 and runs < 200  # daily work: 30 runs, not one per elapsed minute
    assert elapsed < 2.0


def _worker(home: str, n: int, name: str) -> None:
    os.environ["AWSMON_HOME"] = home
    h = Home(Path(home))
    with AccountStore.open(h, "123456789012") as store:
        svc = LocalEcho(store, "us-east-1")
        for i in range(n):
            svc.create_thing(Name=f"{name}{i}")


def _catcher(home: str, until: str) -> int:
    h = Home(Path(home))
    with AccountStore.open(h, "123456789012") as store:
        return scheduler.catch_up(store, datetime.fromisoformat(until))


def test_parallel_processes_lose_no_writes(home: Path) -> None:
    _open(home).close()
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_worker, args=(str(home), 60, f"p{i}x")) for i in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    with _open(home) as store:
        assert store.conn.execute("SELECT count(*) FROM meta WHERE key LIKE 'thing:%'").fetchone()[0] == 240
        assert store.conn.execute("SELECT count(*) FROM events").fetchone()[0] == 240


def test_parallel_catch_up_runs_each_item_once(home: Path) -> None:
    start = datetime(2026, 11, 20, 12, tzinfo=UTC)
    with _open(home) as store, store.transaction():
        scheduler.schedule(store, "test.tick", "every-1", start + timedelta(minutes=1))
    until = (start + timedelta(minutes=200)).isoformat()
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(4) as pool:
        counts = pool.starmap(_catcher, [(str(home), until)] * 4)
    assert sum(counts) >= 200
    with _open(home) as store:
        ticks = store.conn.execute("SELECT count(*) FROM meta WHERE key LIKE 'tick:every-1:%'").fetchone()[0]
    assert ticks == 200
