"""The digest engine's fast paths: local-file hashing in worker processes, and date parsing without strptime."""

from __future__ import annotations

import gzip
import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from awsmon.engines.digest import FileHasher, hash_files, parse_digest_time, parse_key_date


def test_hash_files_outcomes(tmp_path: Path) -> None:
    raw = b'{"Records":[]}' * 100
    good = tmp_path / "good.json.gz"
    good.write_bytes(gzip.compress(raw))
    trailing = tmp_path / "trailing.json.gz"
    trailing.write_bytes(gzip.compress(raw) + gzip.compress(b"x"))
    plain = tmp_path / "plain.json"
    plain.write_bytes(raw)
    link = tmp_path / "link.json.gz"
    os.symlink(good, link)
    folder = tmp_path / "dir.json.gz"
    folder.mkdir()
    out = hash_files([str(p) for p in (good, trailing, plain, link, folder, tmp_path / "missing.gz")], 7)
    sha = hashlib.sha256(raw).hexdigest()
    assert out == [("ok", sha, False), ("ok", sha, True), ("invalid_format", None, False), ("not_found", None, False),
                   ("not_found", None, False), ("not_found", None, False)]  # fmt: skip


def test_file_hasher_runs_batches_in_worker_processes(tmp_path: Path) -> None:
    files = []
    for n in range(5):
        f = tmp_path / f"{n}.gz"
        f.write_bytes(gzip.compress(str(n).encode()))
        files.append(str(f))
    with FileHasher(workers=2) as hasher:
        got = hasher.submit(files, 1 << 20).result()
    assert [sha for _, sha, _ in got] == [hashlib.sha256(str(n).encode()).hexdigest() for n in range(5)]


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(9999, 12, 31)))
def test_key_and_digest_dates_match_strptime(when: datetime) -> None:
    when = when.replace(microsecond=0)
    key = when.strftime("%Y%m%dT%H%M%SZ")
    assert parse_key_date(key) == datetime.strptime(key, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    shown = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert parse_digest_time(shown) == when.replace(tzinfo=UTC)


@given(st.text(max_size=20))
def test_key_date_never_accepts_what_strptime_refuses(text: str) -> None:
    try:
        expected = datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        expected = None
    got = parse_key_date(text)
    assert got is None or got == expected
