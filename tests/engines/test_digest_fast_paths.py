"""The digest engine's fast paths: local-file hashing in worker processes, and date parsing without strptime."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import signal
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awsmon.engines.digest import LogHash, hash_gzip_stream, parse_digest_time, parse_key_date
from awsmon.filehash import FileHasher, hash_files


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


# -- inflate: zlib's verdicts (aws-cli's) on every stream -----------------------------------------------------------


def _mutations(data: bytes, flips: list[tuple[int, int]], cut: int, extra: bytes) -> list[bytes]:
    out = [data, data[: cut % (len(data) + 1)], data + extra]
    for index, bit in flips:
        changed = bytearray(data)
        changed[index % len(data)] ^= 1 << bit
        out.append(bytes(changed))
    return out


def test_stream_isal_would_pass_is_invalid_as_for_aws_cli() -> None:
    """A bit flip in a dynamic block's header that leaves the distance code set incomplete: zlib (aws-cli) refuses
    the stream ("invalid distances set"); ISA-L inflates it to the original bytes, so hashing with ISA-L gave a pass
    where aws-cli reports the log file invalid (found by hypothesis). awsmon inflates with zlib only."""
    body = b"\x00" * 4947
    damaged = bytearray(gzip.compress(body, mtime=0))
    damaged[24] ^= 1 << 2
    with pytest.raises(zlib.error, match="invalid distances set"):
        zlib.decompress(bytes(damaged), zlib.MAX_WBITS | 16)
    for chunk in (1 << 20, 2048, 10):
        assert hash_gzip_stream(io.BytesIO(bytes(damaged)), chunk) == LogHash(None, False)
    assert hash_gzip_stream(io.BytesIO(gzip.compress(body))) == LogHash(hashlib.sha256(body).hexdigest(), False)


@settings(max_examples=150, deadline=None)
@given(body=st.binary(max_size=3000) | st.builds(lambda b, n: b * n, st.binary(min_size=1, max_size=8),
                                                 st.integers(1, 5000)),  # fmt: skip
       flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 7)), max_size=6),
       cut=st.integers(0, 10**6), extra=st.binary(min_size=1, max_size=40), chunk=st.sampled_from([1 << 20, 2048, 10]))
def test_streamed_hash_equals_zlib_whole(body: bytes, flips: list[tuple[int, int]], cut: int, extra: bytes,
                                         chunk: int) -> None:  # fmt: skip
    """Whatever the chunking, the streamed hash is zlib's verdict on the whole file: its first member's bytes, or
    invalid where zlib refuses the stream."""
    for data in _mutations(gzip.compress(body), flips, cut, extra):
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        try:
            whole = inflater.decompress(data) + inflater.flush()
        except zlib.error:
            expected = LogHash(None, False)
        else:
            expected = LogHash(hashlib.sha256(whole).hexdigest(), bool(inflater.unused_data))
        assert hash_gzip_stream(io.BytesIO(data), chunk) == expected, data[:16]


# -- the worker pool ------------------------------------------------------------------------------------------------


def test_file_hasher_many_batches_in_order_and_progress(tmp_path: Path) -> None:
    files = []
    for n in range(60):
        f = tmp_path / f"{n}.gz"
        f.write_bytes(gzip.compress(str(n).encode() * 1000))
        files.append(str(f))
    done: list[int] = []
    with FileHasher(workers=2) as hasher:
        batches = [hasher.submit(files[i : i + 3], 1 << 20, lambda i=i: done.append(i)) for i in range(0, 60, 3)]
        got = [o for b in batches for o in b.result()]
    assert [sha for _, sha, _ in got] == [hashlib.sha256(str(n).encode() * 1000).hexdigest() for n in range(60)]
    assert sorted(done) == list(range(0, 60, 3))


def test_file_hasher_large_batches_never_deadlock(tmp_path: Path) -> None:
    # Tasks and results larger than a pipe buffer (64 KiB) in flight at once: the main process collects results
    # while it writes, so neither side waits on the other.
    deep = tmp_path / ("d" * 200) / ("e" * 200) / ("f" * 200)
    deep.mkdir(parents=True)
    missing = [str(deep / f"{'x' * 200}{n}.gz") for n in range(400)]  # ~1 KiB paths, all "not found"
    with FileHasher(workers=1) as hasher:
        batches = [hasher.submit(missing, 1 << 20) for _ in range(6)]
        assert all(b.result() == [("not_found", None, False)] * 400 for b in batches)


def test_file_hasher_worker_killed_fails_the_batch_without_hanging(tmp_path: Path) -> None:
    f = tmp_path / "a.gz"
    f.write_bytes(gzip.compress(b"a"))
    with FileHasher(workers=1) as hasher:
        assert hasher.submit([str(f)], 1 << 20).result()[0][0] == "ok"
        os.kill(hasher.workers[0][0], signal.SIGKILL)
        with pytest.raises(RuntimeError, match="worker process exited"):
            hasher.submit([str(f)], 1 << 20).result()
        pids = [pid for pid, _, _ in hasher.spawned]
    for pid in pids:  # reaped by close(): no zombies left
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def test_folder_source_checks_every_last_segment_after_caching_its_folder(tmp_path: Path) -> None:
    from awsmon.services.digest_sources import FolderDigestSource

    (tmp_path / "AWSLogs" / "a").mkdir(parents=True)
    src = FolderDigestSource(tmp_path, [])
    assert src.local_file("b", "AWSLogs/a/x.json.gz") == f"{tmp_path}/AWSLogs/a/x.json.gz"
    for hostile in ("..", ".", "", ".awsmon-tmp-1", "x\\y", "x\x00y"):  # the folder is cached now: the name alone
        assert src.local_file("b", f"AWSLogs/a/{hostile}") is None, hostile
    assert src.local_file("b", "AWSLogs/../etc/passwd") is None and src.local_file("b", ".awsmon-meta/a/x") is None
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (tmp_path / "AWSLogs" / "link").symlink_to(outside, target_is_directory=True)
    assert src.local_file("b", "AWSLogs/link/x.json.gz") is None  # a folder resolving outside the bucket
    assert src.local_file("b", "AWSLogs/link/y.json.gz") is None  # ... stays refused once cached


# -- PKCS#1 public keys read without cryptography's serialization module -------------------------------------------

_KEY = None


def _pkcs1() -> bytes:
    global _KEY
    if _KEY is None:
        from cryptography.hazmat.primitives.asymmetric import rsa

        from awsmon.engines.digest import public_key_der

        _KEY = public_key_der(rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key())
    return _KEY


@settings(max_examples=300, deadline=None)
@given(edits=st.lists(st.tuples(st.integers(0, 300), st.integers(0, 255)), max_size=3),
       cut=st.integers(0, 300), extra=st.binary(max_size=3))  # fmt: skip
def test_strict_pkcs1_reader_accepts_only_what_cryptography_reads_alike(edits: list[tuple[int, int]], cut: int,
                                                                        extra: bytes) -> None:  # fmt: skip
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from awsmon.engines.digest import PublicKeyLoadError, _pkcs1_numbers, load_rsa_public_key

    der = bytearray(_pkcs1())
    for index, value in edits:
        der[index % len(der)] = value
    data = bytes(der[: len(der) - cut % 8] if cut % 3 == 0 else der) + extra
    try:
        reference = serialization.load_der_public_key(data)
        expected = reference.public_numbers() if isinstance(reference, rsa.RSAPublicKey) else None
    except (ValueError, TypeError):
        expected = None
    try:
        got = load_rsa_public_key(data).public_numbers()
    except PublicKeyLoadError:
        got = None
    assert got == expected
    if _pkcs1_numbers(data) is not None and expected is not None:  # the fast path read it: the same numbers
        assert _pkcs1_numbers(data) == (expected.n, expected.e)
    assert _pkcs1_numbers(_pkcs1()) is not None  # the form CloudTrail publishes takes the fast path
