"""trail import with worker processes: batches of two writers committed to one store (an eventID in both is stored
once, whoever commits first; a ``--region`` refile is not done twice), the same history as one process, and a
kill -9 of the import takes its workers with it and loses or doubles nothing."""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.conftest import Cli
from tests.test_trail_query import _rec, kill_import_midway


def _bulk(home: Path, **kw: Any) -> Any:
    from awsmon.backends.local import history, history_import
    from awsmon.backends.local.store import AccountStore, Home

    acct = next(home.glob("accounts/*")).name
    store = AccountStore.open(Home(home), acct)
    history.upgrade_terms(store)  # as ``trail import`` does first: records the posting format
    kw = {"region": None, "default_region": "us-east-1", "cutoff_ms": 0, "dry_run": False, **kw}
    return history_import.Bulk(store, concurrent=True, **kw)


def _doc(ids: range, **kw: Any) -> str:
    return json.dumps({"Records": [_rec(i, eventCategory="Management" if i % 2 else "Data", **kw) for i in ids]})


def _counts(home: Path) -> tuple[int, int, dict[str, int]]:
    db = next(home.glob("accounts/*/account.db"))
    with sqlite3.connect(db) as c:
        ids = c.execute("SELECT count(*) FROM ct_hist_ids").fetchone()[0]
        dangling = c.execute("SELECT count(*) FROM ct_hist_ids i LEFT JOIN ct_hist_blocks b ON b.id = i.blk "
                             "WHERE i.blk IS NOT NULL AND b.id IS NULL").fetchone()[0]  # fmt: skip
        per_region = dict(c.execute("SELECT region, sum(n) FROM ct_hist_blocks GROUP BY region").fetchall())
    return ids, dangling, per_region


def test_two_writers_racing_store_a_shared_event_id_once(pinned: Cli, home: Path) -> None:
    """Both batches are deduplicated against the same store before either commits (as two workers' batches are):
    the second commit finds the first's eventIDs under the write lock and rebuilds its batch without them."""
    pinned.ok("account", "clock", "set", "2026-11-20T12:00:00Z")
    a, b = _bulk(home), _bulk(home)
    assert a.add_document("ka", "a.json", _doc(range(0, 300)), "$.Records[*]")
    assert b.add_document("kb", "b.json", _doc(range(200, 500)), "$.Records[*]")
    a.prepare()
    b.prepare()
    first, second = a.commit(), b.commit()
    a.close(), b.close()
    assert (first.imported, first.duplicates) == (300, 0)
    assert (second.imported, second.duplicates) == (200, 100)  # the 100 shared ones: dropped exactly once
    ids, dangling, per_region = _counts(home)
    assert (ids, dangling, per_region) == (500, 0, {"eu-west-1": 250})  # the management half, each in one block
    q = pinned.json("trail", "query", "SELECT count(*) AS n, count(DISTINCT eventid) AS d FROM cloudtrail_logs")
    rows = q.get("Rows", q) if isinstance(q, dict) else q
    assert rows == [{"n": 500, "d": 500}]
    page = pinned.json("--region", "eu-west-1", "trail", "lookup", "--max-results", "50", "--event-name", "GetObject")
    got = [e["EventId"] for e in page["Events"]]
    assert len(got) == len(set(got)) == 50


def test_two_writers_racing_refile_an_event_once(pinned: Cli, home: Path, tmp_path: Path) -> None:
    """``--region`` files already-imported events again; two writers that both planned to refile the same events
    must not both do it (the record would be in two blocks)."""
    pinned.ok("account", "clock", "set", "2026-11-20T12:00:00Z")
    (tmp_path / "old.json.gz").write_bytes(gzip.compress(_doc(range(100), awsRegion="apiso-x").encode()))
    assert pinned.json("trail", "import", str(tmp_path / "old.json.gz"))["Imported"] == 100
    a, b = _bulk(home, region="eu-central-1"), _bulk(home, region="eu-central-1")
    assert a.add_document("ka", "a.json", _doc(range(100), awsRegion="apiso-x"), "$.Records[*]")
    assert b.add_document("kb", "b.json", _doc(range(50, 100), awsRegion="apiso-x"), "$.Records[*]")
    a.prepare()
    b.prepare()
    a.commit(), b.commit()
    a.close(), b.close()
    ids, dangling, per_region = _counts(home)
    assert (ids, dangling) == (100, 0)
    assert per_region["eu-central-1"] == 50  # each management event refiled once
    page = pinned.json("--region", "eu-central-1", "trail", "lookup", "--max-results", "50")
    got = [e["EventId"] for e in page["Events"]]
    assert len(got) == len(set(got)) == 50


def _run(env: dict[str, str], *args: str) -> dict[str, Any]:
    res = subprocess.run([sys.executable, "-m", "awsmon", *args, "-o", "json"], env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_workers_store_the_same_history_as_one_process(tmp_path: Path) -> None:
    """Files overlapping by eventID (each shares 50 records with the next) are split between two workers, in many
    small batches: the same eventIDs, blocks' records, postings and query answers as one process."""
    src = tmp_path / "src"
    src.mkdir()
    for k in range(8):
        (src / f"f{k}.json.gz").write_bytes(gzip.compress(_doc(range(k * 100, k * 100 + 150)).encode()))
    stores = {}
    for workers in ("1", "2"):
        home = tmp_path / f"home{workers}"
        env = {**os.environ, "AWSMON_HOME": str(home), "AWSMON_IMPORT_BATCH": "100", "AWSMON_IMPORT_WORKERS": workers}
        subprocess.run([sys.executable, "-m", "awsmon", "account", "clock", "set", "2026-11-20T12:00:00Z"], env=env,
                       check=True, capture_output=True)  # fmt: skip
        rep = _run(env, "trail", "import", str(src))
        assert (rep["Records"], rep["Imported"], rep["Duplicates"], rep["Files"]) == (1200, 850, 350, 8)
        assert _run(env, "trail", "import", str(src))["Imported"] == 0
        q = _run(env, "trail", "query", "SELECT eventcategory AS c, count(*) AS n, count(DISTINCT eventid) AS d "
                 "FROM cloudtrail_logs GROUP BY 1 ORDER BY 1")  # fmt: skip
        db = next(home.glob("accounts/*/account.db"))
        with sqlite3.connect(db) as c:
            ids = {h for (h,) in c.execute("SELECT h FROM ct_hist_ids")}
            lines = sorted(line for (d,) in c.execute("SELECT data FROM ct_hist_blocks")
                           for line in _lines(d))  # fmt: skip
            terms = c.execute("SELECT count(DISTINCT term), count(*) FROM ct_hist_terms").fetchone()
        stores[workers] = (ids, lines, terms[0], q)
    assert stores["1"][0] == stores["2"][0] and len(stores["1"][0]) == 850
    assert stores["1"][1] == stores["2"][1] and len(stores["1"][1]) == 425
    assert stores["1"][2] == stores["2"][2]
    assert stores["1"][3] == stores["2"][3]


def _lines(data: bytes) -> list[bytes]:
    from awsmon.backends.local import history

    return history._unpack(data)[1]


def _processes_with(home: Path) -> list[int]:
    """The processes whose environment names this AWSMON_HOME (the import and its workers)."""
    mark = f"AWSMON_HOME={home}".encode()
    pids = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if mark in (p / "environ").read_bytes().split(b"\0"):
                    pids.append(int(p.name))
            except OSError:
                continue
    return pids


def test_kill_9_of_an_import_with_workers_takes_them_along_and_loses_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "AWSMON_HOME": str(home), "AWSMON_IMPORT_BATCH": "2000", "AWSMON_IMPORT_WORKERS": "2"}
    total, parts, running = kill_import_midway(tmp_path, env, probe=lambda: _processes_with(home))
    assert parts >= 2 and len(running) >= 3  # the import, its two workers (and multiprocessing's resource tracker)
    deadline = time.monotonic() + 10
    while _processes_with(home) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _processes_with(home) == []  # no worker goes on committing behind the next run's back
    out = _run(env, "trail", "import", str(tmp_path / "src"))
    assert out["Records"] == total and out["Imported"] + out["Duplicates"] == total
    assert 0 < out["Duplicates"] < total
    assert _run(env, "trail", "import", str(tmp_path / "src"))["Imported"] == 0
    q = _run(env, "trail", "query", "SELECT count(*) AS n, count(DISTINCT eventid) AS d FROM cloudtrail_logs")
    rows = q.get("Rows", q) if isinstance(q, dict) else q
    assert rows == [{"n": total, "d": total}]
    ids, dangling, per_region = _counts(home)
    assert (ids, dangling, per_region) == (total, 0, {"eu-west-1": total // 2})


def test_an_orphaned_worker_commits_nothing(pinned: Cli, home: Path) -> None:
    """Where the kernel cannot kill a worker with its parent, the worker checks before each commit and ends without
    writing: the next import (whose recovery deletes unrenamed Parquet files) does the batch."""
    pinned.ok("account", "clock", "set", "2026-11-20T12:00:00Z")
    script = (
        "import sys; from pathlib import Path; sys.path.insert(0, '.');"
        "from tests.test_trail_import_workers import _bulk, _doc;"
        f"b = _bulk(Path({str(home)!r}), orphaned=lambda: True);"
        "b.add_document('k', 'a.json', _doc(range(10)), '$.Records[*]'); b.flush(); print('committed')"
    )
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parent.parent)  # fmt: skip
    assert res.returncode == 1 and "committed" not in res.stdout, res.stderr
    assert _counts(home) == (0, 0, {})
    db = next(home.glob("accounts/*/account.db"))
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT count(*) FROM ct_hist_parts").fetchone()[0] == 0
    pinned.ok("trail", "query", "SELECT 1")  # the query's recovery removes the batch's unrenamed Parquet file
    assert not list((db.parent / "history").glob(".tmp-*"))
