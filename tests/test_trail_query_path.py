"""trail query --path: a downloaded folder is read in place (msgspec split + one json_transform into temporary
Parquet), with the answers the imported history gives for the same files; files msgspec cannot split are split by
DuckDB or skipped, nothing is stored, and the scratch files are removed."""

from __future__ import annotations

import gzip
import json
import tempfile
from pathlib import Path
from typing import Any

from tests.conftest import Cli
from tests.test_trail_query import _rec, _rows

QUERIES = [
    "SELECT count(*) AS n, count(DISTINCT eventid) AS d, min(eventtime) AS lo, max(eventtime) AS hi FROM cloudtrail_logs",
    "SELECT eventname, eventcategory, count(*) AS n FROM cloudtrail_logs GROUP BY 1, 2 ORDER BY 1, 2",
    "SELECT useridentity.sessioncontext.sessionissuer.username AS u, useridentity.accesskeyid AS k, count(*) AS n "
    "FROM cloudtrail_logs GROUP BY 1, 2 ORDER BY 1, 2",
    "SELECT json_extract_scalar(requestparameters, '$.bucketName') AS b, count(*) AS n, sum(cardinality(resources)) AS r, "
    "count(errorcode) AS e, count(tlsdetails.tlsversion) AS t FROM cloudtrail_logs GROUP BY 1 ORDER BY 1",
    "SELECT eventid, readonly, awsregion, resources[1].arn AS arn FROM cloudtrail_logs ORDER BY eventid LIMIT 7",
]  # fmt: skip


def _recs(lo: int, hi: int) -> list[dict[str, Any]]:
    return [_rec(i, eventCategory="Management" if i % 3 else "Data", errorCode="AccessDenied" if i % 7 == 0 else None)
            for i in range(lo, hi)]  # fmt: skip


def test_path_answers_equal_the_imported_history(pinned: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "bucket" / "AWSLogs" / "111122223333" / "CloudTrail" / "eu-west-1" / "2026" / "11" / "20"
    folder.mkdir(parents=True)
    (folder / "a.json.gz").write_bytes(gzip.compress(json.dumps({"Records": _recs(0, 40)}).encode()))
    (folder / "pretty.json").write_text(json.dumps({"Records": _recs(40, 60)}, indent=2))
    (folder / "array.json.gz").write_bytes(gzip.compress(json.dumps(_recs(60, 75)).encode()))
    (folder / "bom.json").write_bytes(b"\xef\xbb\xbf" + json.dumps({"Records": _recs(75, 80)}).encode())
    pinned.ok("account", "clock", "set", "2026-11-20T12:00:00Z")
    path_rows = [_rows(pinned, q, "--path", str(tmp_path / "bucket")) for q in QUERIES]
    assert path_rows[0][0]["n"] == 80
    assert _rows(pinned, "SELECT count(*) AS n FROM cloudtrail_logs") == [{"n": 0}]  # --path stores nothing
    pinned.ok("trail", "import", str(tmp_path / "bucket"))
    assert [_rows(pinned, q) for q in QUERIES] == path_rows
    assert not list(Path(tempfile.gettempdir()).glob("awsmon-query-*"))  # the scratch Parquet is removed


def test_path_reads_what_it_cannot_split_as_before(pinned: Cli, tmp_path: Path) -> None:
    """A record that is not an object is left out; a file msgspec refuses is split by DuckDB's JSON parser when it
    can (NaN, as read_json read it before) and skipped when not (truncated JSON, corrupt gzip)."""
    (tmp_path / "good.json").write_text(json.dumps({"Records": [_rec(1), 7, None, _rec(2)]}))
    (tmp_path / "nan.json").write_text(json.dumps({"Records": [_rec(3, apiVersion=float("nan"))]}))
    (tmp_path / "cut.json").write_text(json.dumps({"Records": [_rec(4)]})[:-30])
    (tmp_path / "bad.json.gz").write_bytes(b"\x1f\x8b" + b"not gzip at all")
    rows = _rows(pinned, "SELECT eventid FROM cloudtrail_logs ORDER BY 1", "--path", str(tmp_path))
    assert [r["eventid"] for r in rows] == [_rec(i)["eventID"] for i in (1, 2, 3)]  # read_json failed the query
