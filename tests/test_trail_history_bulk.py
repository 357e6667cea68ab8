"""The history store's bulk writer (history_import.py): its DuckDB hashes equal the Python ones the lookup uses,
lookup terms equal ``history.lookup_terms``, large JSON-lines files are streamed, stores of the older term hash are
re-indexed, small Parquet parts are compacted (crash-safe)."""

from __future__ import annotations

import gzip
import json
import random
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli


def _rec(i: int, **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "eventVersion": "1.10", "eventTime": f"2026-11-20T10:{i % 60:02d}:{i % 7:02d}Z", "eventSource": "iam.amazonaws.com",
        "eventName": "GetUser", "awsRegion": "eu-west-1", "eventID": str(uuid.UUID(int=i + 1, version=4)),
        "readOnly": True, "eventCategory": "Management",
        "userIdentity": {"type": "IAMUser", "userName": f"u{i % 5}", "accessKeyId": f"AKIA{i % 3}"},
        "resources": [{"type": "AWS::IAM::User", "ARN": f"arn:aws:iam::1:user/u{i % 5}"}],
    }  # fmt: skip
    base.update(kw)
    return base


def test_duckdb_hashes_equal_pythons() -> None:
    from awsmon.backends.local import history
    from awsmon.backends.local.history_import import _H
    from awsmon.duck import duck

    rng = random.Random(7)
    ids = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(300)] + ["FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF",
                                                                             "00000000-0000-0000-0000-000000000000"]
    terms = [("us-east-1", "Management", "Username", "alice"), ("eu-west-1", "Insight", "EventName", "Décrypt ✓")]
    con = duck()
    try:
        got = con.execute(f"SELECT eid, {_H} FROM (SELECT unnest($e::VARCHAR[]) AS eid)", {"e": ids}).fetchall()
        th = [con.execute("SELECT (md5_number($s) >> 97)::BIGINT", {"s": "\x1f".join(t)}).fetchone()[0] for t in terms]
        odd = con.execute(f"SELECT {_H} FROM (SELECT 'not-a-uuid' AS eid)").fetchone()[0]
    finally:
        con.close()
    assert all(h == history.hash63(e) for e, h in got)
    assert th == [history.term_hash(*t) for t in terms]
    assert odd is None  # hashed by Python (blake2b), as hash63 does


def test_bulk_terms_equal_python_lookup_terms(pinned: Cli, tmp_path: Path) -> None:
    """Every lookup attribute of awkward records (Insights naming the API in insightDetails, root, roles without a
    session in the ARN, resources with lower-case arn, readOnly as a string) is found through the bulk postings."""
    from awsmon.backends.local.history import lookup_terms

    recs = [
        _rec(1, userIdentity={"type": "Root", "arn": "arn:aws:iam::1:root", "accessKeyId": "AKIAROOT"}),
        _rec(2, readOnly="TRUE", userIdentity={"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/app/sess-1"}),
        _rec(3, userIdentity={"type": "AssumedRole", "arn": "",
                              "sessionContext": {"sessionIssuer": {"userName": "issuer-role"}}}),
        _rec(4, resources=[{"type": "AWS::S3::Bucket", "arn": "arn:aws:s3:::lower"}, {"type": "AWS::S3::Bucket",
                                                                                   "ARN": "arn:aws:s3:::lower"}]),
        {"eventVersion": "1.08", "eventTime": "2026-11-20T10:30:00Z", "awsRegion": "eu-west-1", "eventID": "ins-1",
         "eventType": "AwsCloudTrailInsight", "eventCategory": "Insight",
         "insightDetails": {"eventName": "RunInstances", "eventSource": "ec2.amazonaws.com", "state": "Start"}},
    ]  # fmt: skip
    (tmp_path / "t.json.gz").write_bytes(gzip.compress(json.dumps({"Records": recs}).encode()))
    assert pinned.json("trail", "import", str(tmp_path))["Imported"] == 5
    flags = {"EventName": "--event-name", "EventSource": "--event-source", "ReadOnly": "--read-only",
             "Username": "--username", "AccessKeyId": "--access-key-id", "ResourceType": "--resource-type",
             "ResourceName": "--resource-name"}  # fmt: skip
    checked = 0
    for rec in recs:
        extra = ["--event-category", "insight"] if rec.get("eventCategory") == "Insight" else []
        for key, value in lookup_terms(rec):
            found = pinned.json("--region", "eu-west-1", "trail", "lookup", flags[key], value, *extra)["Events"]
            assert rec["eventID"] in {e["EventId"] for e in found}, (key, value)
            checked += 1
    assert checked >= 20


def test_large_json_lines_file_is_streamed(pinned: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from awsmon.services import trail_import

    monkeypatch.setattr(trail_import, "_STREAM_BYTES", 1000)
    monkeypatch.setattr(trail_import, "_CHUNK", 4096)
    chunks: list[int] = []
    real = trail_import._stream_lines

    def spy(path: str) -> Any:
        for text in real(path):
            chunks.append(len(text))
            yield text

    monkeypatch.setattr(trail_import, "_stream_lines", spy)
    lines = [json.dumps(_rec(i)) for i in range(200)]
    lines[7] = json.dumps({"detail-type": "AWS API Call via CloudTrail", "detail": _rec(7)})  # EventBridge envelope
    (tmp_path / "big.jsonl.gz").write_bytes(gzip.compress(("\n".join(lines) + "\r\n").encode()))
    data = pinned.json("trail", "import", str(tmp_path))
    assert (data["Records"], data["Imported"], data["FailedFiles"]) == (200, 200, [])
    assert len(chunks) > 10 and max(chunks) < 4096 + 2000  # read a chunk at a time, never whole
    found = pinned.json("--region", "eu-west-1", "trail", "lookup", "--event-id", _rec(7)["eventID"])["Events"]
    assert len(found) == 1


def test_store_with_the_older_term_hash_is_reindexed(pinned: Cli, tmp_path: Path, home: Path) -> None:
    import sqlite3

    from awsmon.backends.local import history

    (tmp_path / "a.json").write_text(json.dumps({"Records": [_rec(i) for i in range(10)]}))
    pinned.ok("trail", "import", str(tmp_path / "a.json"))
    db = next(home.glob("accounts/*/account.db"))
    with sqlite3.connect(db) as c:  # rewrite the postings as a store of the previous version had them
        rows = c.execute("SELECT b.id, b.region, b.cat, b.max_t, b.data FROM ct_hist_blocks b").fetchall()
        c.execute("DELETE FROM ct_hist_terms")
        c.execute("DELETE FROM ct_hist_meta")
        for blk, region, cat, max_t, data in rows:
            terms: dict[tuple[str, str], bytearray] = {}
            for slot, line in enumerate(history._unpack(data)[1]):
                for kv in history.lookup_terms(json.loads(line)):
                    terms.setdefault(kv, bytearray()).append(slot)
            c.executemany("INSERT INTO ct_hist_terms VALUES (?,?,?,?)",
                          [(history.term_hash(region, cat, k, v, fmt="hash63"), max_t, blk, bytes(s))
                           for (k, v), s in terms.items()])  # fmt: skip
    lookup = ("--region", "eu-west-1", "trail", "lookup", "--username", "u1")
    assert len(pinned.json(*lookup)["Events"]) == 2  # the old hash is still read
    (tmp_path / "b.json").write_text(json.dumps({"Records": [_rec(i) for i in range(10, 15)]}))
    pinned.ok("trail", "import", str(tmp_path / "b.json"))  # re-indexes, then adds with the new hash
    assert len(pinned.json(*lookup)["Events"]) == 3
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT v FROM ct_hist_meta WHERE k = 'terms'").fetchone() == (history.TERM_FORMAT,)


def test_small_parts_are_compacted_and_queries_agree(pinned: Cli, tmp_path: Path, home: Path) -> None:
    import sqlite3

    from awsmon.backends.local import history

    for f in range(history.COMPACT_MIN_PARTS + 1):
        (tmp_path / f"{f}.json").write_text(json.dumps({"Records": [_rec(f * 10 + i) for i in range(10)]}))
        pinned.ok("trail", "import", str(tmp_path / f"{f}.json"))
    db = next(home.glob("accounts/*/account.db"))
    with sqlite3.connect(db) as c:
        parts = [r[0] for r in c.execute("SELECT name FROM ct_hist_parts")]
        rows = c.execute("SELECT sum(rows) FROM ct_hist_parts").fetchone()[0]
    folder = db.parent / "history"
    assert len(parts) == 2 and rows == 90  # the first eight merged into one, the ninth on its own
    assert sorted(p.name for p in folder.glob("part-*.parquet")) == sorted(parts)
    got = pinned.json("trail", "query", "SELECT count(*) AS n, count(DISTINCT eventid) AS d, min(eventtime) AS lo "
                      "FROM cloudtrail_logs")  # fmt: skip
    assert got == [{"n": 90, "d": 90, "lo": "2026-11-20T10:00:00Z"}]
    # A compaction killed after its commit leaves the replaced parts behind: the next query deletes them.
    stale = folder / "part-0000stale.parquet"
    stale.write_bytes((folder / parts[0]).read_bytes())
    assert pinned.json("trail", "query", "SELECT count(*) AS n FROM cloudtrail_logs") == [{"n": 90}]
    assert not stale.exists()


def _varied(rng: random.Random, i: int) -> dict[str, Any]:
    """A record of one of the shapes CloudTrail writes (or real exports carry), chosen at random."""
    rec = _rec(i, eventName=rng.choice(["GetUser", "RunInstances", "Décrypt ✓", ""]),
               awsRegion=rng.choice(["eu-west-1", "us-east-1", "ap-south-2"]))  # fmt: skip
    shape = rng.randrange(9)
    if shape == 0:
        rec["readOnly"] = rng.choice(["TRUE", "false", None])
    elif shape == 1:
        rec["userIdentity"] = {"type": rng.choice(["AssumedRole", "FederatedUser"]),
                               "arn": rng.choice([f"arn:aws:sts::1:assumed-role/app/s-{i}", ""]),
                               "sessionContext": {"sessionIssuer": {"userName": f"issuer-{i % 3}"}}}  # fmt: skip
    elif shape == 2:
        rec["userIdentity"] = {"type": "Root", "arn": "arn:aws:iam::1:root"}
    elif shape == 3:
        rec["resources"] = [{"type": "AWS::S3::Object", "arn": f"arn:aws:s3:::b/k{i}"},
                            {"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::b"}, "not an object"]  # fmt: skip
    elif shape == 4:
        rec.update(eventCategory="Data", eventName="GetObject", eventSource="s3.amazonaws.com")
    elif shape == 5:
        rec.update(eventCategory="Insight", eventName=None, eventSource=None,
                   insightDetails={"eventName": "RunInstances", "eventSource": "ec2.amazonaws.com"})  # fmt: skip
    elif shape == 6:
        rec.update(eventCategory="NetworkActivity", requestParameters={"n": [1, 2.5, None, {"x": "y"}]})
    elif shape == 7:
        del rec["userIdentity"], rec["resources"], rec["eventCategory"]
    return rec


def test_bulk_store_equals_the_per_record_path(pinned: Cli, tmp_path: Path, home: Path) -> None:
    """What the bulk writer stores (eventID hashes, lookup blocks with their region, category, times and records,
    postings, Parquet rows) is exactly what the per-record reader ``trail_import.parse_file`` derives from the same
    files: both paths of the import store the same history."""
    import sqlite3

    import msgspec

    from awsmon.backends.local import history
    from awsmon.services import trail_import

    rng = random.Random(11)
    recs = [_varied(rng, i) for i in range(600)]
    files = [recs[i : i + 150] for i in range(0, 600, 150)]
    # The shapes the reader splits: {"Records": [...]} compact and pretty-printed, a bare array, JSON lines with an
    # EventBridge envelope.
    texts = [json.dumps({"Records": files[0]}), json.dumps({"Records": files[1]}, indent=2),
             json.dumps(files[2], ensure_ascii=False),
             "\n".join(json.dumps({"detail-type": "AWS API Call via CloudTrail", "detail": r} if i % 2 else r)
                       for i, r in enumerate(files[3]))]  # fmt: skip
    for n, text in enumerate(texts):
        (tmp_path / f"f{n}.json.gz").write_bytes(gzip.compress(text.encode()))
    data = pinned.json("trail", "import", str(tmp_path))
    assert (data["Imported"], data["FailedFiles"]) == (600, [])
    expected = [r for n in range(len(files)) for r in trail_import.parse_file(
        (tmp_path / f"f{n}.json.gz").read_bytes(), None, "us-east-1", 0)["recs"]]  # fmt: skip
    db = next(home.glob("accounts/*/account.db"))
    with sqlite3.connect(db) as c:
        ids = dict(c.execute("SELECT h, blk FROM ct_hist_ids").fetchall())
        blocks = {b: (region, cat, *history._unpack(d)) for b, region, cat, d in
                  c.execute("SELECT id, region, cat, data FROM ct_hist_blocks")}  # fmt: skip
        postings = {(t, b): s for t, b, s in c.execute("SELECT term, blk, slots FROM ct_hist_terms")}
    assert set(ids) == {r[0] for r in expected}
    visible = [r for r in expected if r[4] in history.VISIBLE]
    split = {history.hash63(r["eventID"]) for r in files[0] + files[1] + files[2]}
    assert sum(len(b[2]) for b in blocks.values()) == len(visible)
    for h, t, _eid, filed, cat, raw, terms in visible:
        region, category, times, lines = blocks[ids[h]]
        slot = next(i for i, line in enumerate(lines) if json.loads(line) == json.loads(raw))
        if h in split:  # the records of split files are kept compact (as DuckDB wrote them), whatever the spacing
            assert len(lines[slot]) == len(msgspec.json.format(lines[slot], indent=-1))
        assert (region, category, times[slot]) == (filed, cat, t)
        for key, value in terms or []:
            assert slot in postings[(history.term_hash(filed, cat, key, value), ids[h])], (key, value)
    for h, *_, cat, _raw, _terms in expected:
        assert (ids[h] is None) == (cat not in history.VISIBLE)
    rows = pinned.json("trail", "query", "SELECT eventcategory AS c, count(*) AS n FROM cloudtrail_logs GROUP BY 1")
    counts: dict[str, int] = {}
    for r in recs:
        counts[r.get("eventCategory")] = counts.get(r.get("eventCategory"), 0) + 1
    got = rows.get("Rows", rows) if isinstance(rows, dict) else rows
    assert {r["c"]: r["n"] for r in got} == counts


def test_record_lists_the_split_refuses_go_to_the_per_record_reader(pinned: Cli, tmp_path: Path) -> None:
    """Files msgspec cannot split as a record list are read by the per-record path, which gives the reason; the
    good files beside them are stored."""
    (tmp_path / "a.json").write_text(json.dumps({"Records": [_rec(1)]}))
    (tmp_path / "b.json").write_text('{"Records": "not a list"}')
    (tmp_path / "c.json").write_text('{"Records": null}')
    (tmp_path / "d.json").write_text('{"Records": [' + json.dumps(_rec(2)) + ", {")
    (tmp_path / "e.json").write_text("[" + json.dumps(_rec(3)) + "]")
    (tmp_path / "f.json").write_text('{"Records": []}')
    res = pinned("trail", "import", str(tmp_path), "-o", "json")
    data = json.loads(res.stdout)
    assert res.exit_code == 2 and "Traceback" not in res.stderr
    assert (data["Imported"], data["Files"]) == (2, 3)
    failed = {Path(f["Path"]).name: f["Reason"] for f in data["FailedFiles"]}
    assert failed.keys() == {"b.json", "c.json", "d.json"}
    assert failed["b.json"] == failed["c.json"] == '"Records" is not a list'
    assert failed["d.json"].startswith("truncated or invalid JSON")
