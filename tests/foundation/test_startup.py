"""Start-up (issue 15: a local command starts in < 100 ms): what a plain local read must not load, and the shortcuts
that keep it small (the schema stamp, ids without uuid)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from awsmon.backends.local.base import random_uuid

# Never on a local read: the aws backend, the query engines, rich for piped output, the crypto and regex libraries.
HEAVY = ("boto3", "botocore", "duckdb", "pyarrow", "rich", "cryptography", "hyperscan", "sqlglot", "numpy")
# What a lookup no longer pays for: OpenSSL (hashlib), platform (uuid), dataclass code generation.
LOOKUP_LIGHT = ("_hashlib", "platform", "dataclasses", "zstandard")
# What `logs filter` no longer pays for (issue 15 item 19: it was the one local command above 100 ms).
FILTER_LIGHT = ("awsmon.engines.lregex", "gzip", "base64", "dataclasses", "heapq", "random", "_hashlib")

_RUN = """
import json, sys
from awsmon.cli import main
sys.argv = ["awsmon", *sys.argv[1:]]
try:
    main()
except SystemExit as exc:
    code = exc.code
from awsmon.cli._defer import _Deferred
loaded = sorted(m for m, v in sys.modules.items() if not isinstance(v, _Deferred))
sys.stderr.write("\\n" + json.dumps({"code": code, "modules": loaded}) + "\\n")
"""


def _modules(home: Path, *args: str) -> tuple[int, set[str]]:
    """Run one command as a user would (a new process, output piped) and return its exit code and loaded modules."""
    env = {**os.environ, "AWSMON_HOME": str(home), "AWSMON_BACKEND": "local"}
    res = subprocess.run([sys.executable, "-c", _RUN, *args], env=env, capture_output=True, text=True, check=False)
    report = json.loads(res.stderr.strip().splitlines()[-1])
    return report["code"], {m.split(".")[0] for m in report["modules"]} | set(report["modules"])


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("startup")
    env = {**os.environ, "AWSMON_HOME": str(home)}
    # a pinned clock: no scheduled job falls due during a measured command (its catch-up is not start-up)
    for args in (["account", "clock", "set", "2026-11-20T12:00:00Z"], ["logs", "create-group", "--name", "/app/web"],
                 ["logs", "put-events", "--group", "/app/web", "--stream", "s", "--create", "--message", "hi"],
                 ["metrics", "put", "--namespace", "App", "--metric-name", "Latency", "--value", "3"]):  # fmt: skip
        subprocess.run([sys.executable, "-m", "awsmon", *args], env=env, capture_output=True, check=True)
    return home


@pytest.mark.parametrize("args", [
    ["trail", "lookup", "--max-results", "5"],
    ["trail", "lookup", "--event-name", "PutMetricData", "--max-results", "5"],
    ["logs", "filter", "--log-group-name", "/app/web"],
    ["logs", "filter", "--log-group-name", "/app/web", "--filter-pattern", "hi"],
    ["logs", "filter", "--log-group-name", "/app/web", "--filter-pattern", "  "],
    ["logs", "describe-groups"],
    ["metrics", "list"],
    ["account", "info"],
    ["account", "clock", "show"],
])  # fmt: skip
def test_a_local_read_loads_no_heavy_module(home: Path, args: list[str]) -> None:
    code, loaded = _modules(home, *args)
    assert code == 0
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
    assert not {m for m in loaded if m.startswith("awsmon.cli.") and m != f"awsmon.cli.{args[0]}"} - {
        "awsmon.cli._common", "awsmon.cli._defer"}, "only the invoked group's module is imported"  # fmt: skip
    if args[0] == "trail":
        assert not loaded & set(LOOKUP_LIGHT), sorted(loaded & set(LOOKUP_LIGHT))
    if args[:2] == ["logs", "filter"]:
        # no pattern: no filter-pattern engine; a pattern without %regex%: no regex engine; never gzip or base64
        light = set(FILTER_LIGHT) | ({"awsmon.engines.filterpattern"} if "--filter-pattern" not in args else set())
        assert not loaded & light, sorted(loaded & light)


def test_an_up_to_date_database_is_not_checked_module_by_module(home: Path) -> None:
    _, loaded = _modules(home, "account", "clock", "show")
    assert "awsmon.backends.local.schema.kinesis" not in loaded  # the stamp of the last full check still holds


def test_a_stale_schema_stamp_runs_the_full_check_and_migrations(tmp_path: Path) -> None:
    from awsmon.backends.local.store import AccountStore, Home, _schema_stamp

    home = Home(tmp_path)
    with AccountStore.open(home, "123456789012", create=True) as store:
        versions = dict(store.conn.execute("SELECT component, version FROM schema_versions").fetchall())
        assert store.meta("schema_checked") == _schema_stamp(versions)
    db = sqlite3.connect(tmp_path / "accounts" / "123456789012" / "account.db")
    with db:  # as if an older awsmon had left the kinesis tables out
        db.execute("DROP TABLE kinesis_records")
        db.execute("DELETE FROM schema_versions WHERE component = 'kinesis'")
    db.close()
    with AccountStore.open(home, "123456789012") as store:  # the versions changed: the stamp no longer matches
        assert store.conn.execute("SELECT count(*) FROM kinesis_records").fetchone()[0] == 0


def test_random_uuid_is_a_version_4_uuid() -> None:
    ids = {random_uuid() for _ in range(1000)}
    assert len(ids) == 1000
    for text in list(ids)[:50]:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_the_launcher_collects_no_garbage_during_start_up_then_freezes_it(monkeypatch: pytest.MonkeyPatch,
                                                                              tmp_path: Path) -> None:  # fmt: skip
    """``awsmon.__main__.main`` (the console script): the collector is off while the command line starts, and on
    again, with the start-up objects frozen, once the command's context exists."""
    import gc

    import awsmon.cli
    from awsmon.__main__ import main
    from awsmon.context import AppContext

    seen: dict[str, bool] = {}
    hoist, create = awsmon.cli.hoist_global_options, AppContext.create.__func__

    def spy_hoist(args: list[str]) -> list[str]:
        seen["starting"] = gc.isenabled()
        return hoist(args)

    def spy_create(cls: type, **kw: object) -> AppContext:
        seen["running"] = gc.isenabled()
        return create(cls, **kw)

    monkeypatch.setattr(awsmon.cli, "hoist_global_options", spy_hoist)
    monkeypatch.setattr(AppContext, "create", classmethod(spy_create))
    monkeypatch.setattr(sys, "argv", ["awsmon", "--home", str(tmp_path), "account", "info", "-o", "json"])
    try:
        with pytest.raises(SystemExit) as exit_:
            main()
        assert exit_.value.code == 0
        assert seen == {"starting": False, "running": True}
        assert gc.isenabled() and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.enable()
