"""End-to-end digest validation over real trails written into a folder bucket (and a moto S3 server).

The scenario builder writes what CloudTrail writes: gzipped ``{"Records": [...]}`` logs and signed hourly digests in the
real key layout, then each test tampers with the files (spec ``digest-validation.md`` §4.5 matrix and §4.6).
"""

from __future__ import annotations

import gzip
import json
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from awsmon.engines.digest import (
    DigestValidationFatal,
    PreviousDigest,
    PublicKeyInfo,
    ValidationReport,
    build_digest,
    digest_key,
    log_file_entry,
    log_file_key,
    public_key_der,
    public_key_fingerprint,
    serialize_digest,
    sign_digest,
    validate_logs,
)
from awsmon.s3folder import S3Folder
from awsmon.services.digest_sources import (
    FolderDigestSource,
    PublicKeyFormatError,
    S3DigestSource,
    load_public_keys,
    parse_public_key_bytes,
    public_keys_from_list_response,
)

ACCOUNT = "111122223333"
REGION = "us-east-1"
TRAIL = "demo"
BUCKET = "trail-bucket"
ARN = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/{TRAIL}"
T0 = datetime(2024, 1, 1, 0, 5, 27, tzinfo=UTC)  # end of the first digest
START = datetime(2024, 1, 1, tzinfo=UTC)
END = datetime(2024, 1, 1, 8, tzinfo=UTC)
META = {"signature-algorithm": "SHA256withRSA"}


@pytest.fixture(scope="module")
def key_a() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def key_b() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def info(key: rsa.RSAPrivateKey, start: datetime | None = None, end: datetime | None = None) -> PublicKeyInfo:
    der = public_key_der(key.public_key())
    return PublicKeyInfo(public_key_fingerprint(der), der, start, end)


@dataclass
class DigestRec:
    key: str
    end: datetime
    inflated: bytes
    signature: str
    logs: list[str]


@dataclass
class Trail:
    folder: S3Folder
    digests: list[DigestRec] = field(default_factory=list)
    prefix: str | None = None

    def digest(self, hour: int) -> DigestRec:
        return next(d for d in self.digests if d.end == T0 + timedelta(hours=hour))


def gz(data: bytes, level: int = 9) -> bytes:
    return gzip.compress(data, compresslevel=level, mtime=0)


def log_body(hour: int, n: int) -> bytes:
    when = (T0 + timedelta(hours=hour - 1, minutes=20 * (n + 1))).strftime("%Y-%m-%dT%H:%M:%SZ")
    record = {
        "eventVersion": "1.08",
        "eventTime": when,
        "eventName": "DescribeTrails",
        "awsRegion": REGION,
        "eventSource": "cloudtrail.amazonaws.com",
        "recipientAccountId": ACCOUNT,
    }
    return json.dumps({"Records": [record]}).encode()


def signed_digest(priv: rsa.RSAPrivateKey, dkey: str, end: datetime, entries: list[dict[str, Any]],
                  prev: PreviousDigest | None) -> tuple[bytes, str]:  # fmt: skip
    """The account's digest for the hour ending at ``end`` (uncompressed JSON) and its signature by ``priv``."""
    d = build_digest(account_id=ACCOUNT, bucket=BUCKET, key=dkey, start_time=end - timedelta(hours=1), end_time=end,
                     fingerprint=info(priv).fingerprint, log_files=entries, previous=prev)  # fmt: skip
    inflated = serialize_digest(d)
    return inflated, sign_digest(priv, d, inflated)


def write_trail(
    folder: S3Folder,
    signer: dict[int, rsa.RSAPrivateKey] | rsa.RSAPrivateKey,
    hours: list[int] | None = None,
    *,
    empty: frozenset[int] = frozenset({3}),
    restart: frozenset[int] = frozenset(),
    logs_per_digest: int = 2,
    prefix: str | None = None,
) -> Trail:
    """Hourly digests ending at T0 + h hours (h in ``hours``); ``restart`` hours begin a new chain."""
    trail = Trail(folder, prefix=prefix)
    previous: DigestRec | None = None
    for h in hours if hours is not None else list(range(6)):
        end = T0 + timedelta(hours=h)
        priv = signer[h] if isinstance(signer, dict) else signer
        entries = []
        for n in range(0 if h in empty else logs_per_digest):
            body = log_body(h, n)
            delivered = end - timedelta(hours=1) + timedelta(minutes=20 * (n + 1))
            lkey = log_file_key(ACCOUNT, REGION, delivered, f"Ab{h:07d}x{n:06d}", prefix=prefix)
            folder.put_object(lkey, gz(body), None, "application/json", delivered, "gzip")
            when = (delivered - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
            entries.append(log_file_entry(BUCKET, lkey, body, when, when))
        dkey = digest_key(ACCOUNT, REGION, TRAIL, REGION, end, prefix=prefix)
        prev = None
        if previous is not None and h not in restart:
            prev = PreviousDigest(BUCKET, previous.key, previous.inflated, previous.signature)
        inflated, sig = signed_digest(priv, dkey, end, entries, prev)
        folder.put_object(dkey, gz(inflated), {"signature": sig, **META}, "application/json", end, "gzip")
        previous = DigestRec(dkey, end, inflated, sig, [e["s3Object"] for e in entries])
        trail.digests.append(previous)
    return trail


def resign(trail: Trail, hour: int, priv: rsa.RSAPrivateKey, **changes: object) -> None:
    """Rewrite a digest's JSON and sign it again with ``priv`` (an attacker holding a valid key)."""
    rec = trail.digest(hour)
    d = json.loads(rec.inflated)
    d.update(changes)
    inflated = serialize_digest(d)
    sig = sign_digest(priv, d, inflated)
    trail.folder.put_object(rec.key, gz(inflated), {"signature": sig, **META}, "application/json", rec.end)
    rec.inflated, rec.signature = inflated, sig


def run(
    trail: Trail,
    keys: list[PublicKeyInfo],
    *,
    start: datetime = START,
    end: datetime = END,
    strict: bool = False,
    verbose: bool = False,
    **kw: object,
) -> ValidationReport:
    source = FolderDigestSource(trail.folder.root, keys, prefix=trail.prefix)
    return validate_logs(
        source,
        trail_arn=ARN,
        bucket=BUCKET,
        prefix=trail.prefix,
        start=start,
        end=end,
        strict=strict,
        verbose=verbose,
        max_workers=4,
        **kw,
    )  # type: ignore[arg-type]


def errors(report: ValidationReport) -> list[str]:
    return report.stderr_lines


def url(key: str) -> str:
    return f"s3://{BUCKET}/{key}"


@pytest.fixture
def trail(tmp_path: Path, key_a: rsa.RSAPrivateKey) -> Trail:
    return write_trail(S3Folder(tmp_path / BUCKET), key_a)


# ------------------------------------------------------------------------------------------------------------
# Clean runs and the exact aws-cli byte layout


def test_clean_quiet_exact_stdout(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    report = run(trail, [info(key_a)])
    assert report.stdout_text == (
        f"Validating log files for trail {ARN} between 2024-01-01T00:00:00Z and 2024-01-01T08:00:00Z\n\n"
        "Results requested for 2024-01-01T00:00:00Z to 2024-01-01T08:00:00Z\n"
        "Results found for 2024-01-01T00:00:00Z to 2024-01-01T05:05:27Z:\n\n"
        "6/6 digest files valid\n10/10 log files valid\n"
    )
    assert report.stderr_text == ""
    assert report.ok and report.exit_code == 0
    assert (report.valid_digests, report.valid_logs) == (6, 10)


def test_clean_verbose_lists_every_file_newest_first(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    report = run(trail, [info(key_a)], verbose=True)
    lines = report.stdout_lines
    first = trail.digests[-1]
    assert lines[2] == f"Digest file\t{url(first.key)}\tvalid"
    assert lines[3] == f"Log file\t{url(first.logs[0])}\tvalid"
    assert lines[4] == f"Log file\t{url(first.logs[1])}\tvalid"
    assert len([ln for ln in lines if ln.endswith("\tvalid")]) == 16
    # A blank line separates the single-spaced verbose lines from the summary.
    assert report.stdout_text.split("\n\nResults requested")[0].endswith("valid")


def test_empty_digest_is_valid_and_has_no_logs(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    empty = json.loads(trail.digest(3).inflated)
    assert empty["logFiles"] == [] and empty["newestEventTime"] is None and empty["oldestEventTime"] is None
    report = run(trail, [info(key_a)])
    assert [f.verdict for f in report.files if f.key == trail.digest(3).key] == ["valid"]


def test_start_mid_chain_clamps_found_range(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    report = run(
        trail,
        [info(key_a)],
        start=datetime(2024, 1, 1, 2, 30, tzinfo=UTC),
        end=datetime(2024, 1, 1, 4, tzinfo=UTC),
    )
    assert "Results found for 2024-01-01T02:30:00Z to 2024-01-01T04:00:00Z:" in report.stdout_text
    assert "\n2/2 digest files valid" in report.stdout_text


def test_range_without_digests(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    report = run(
        trail, [info(key_a)], start=datetime(2024, 2, 1, tzinfo=UTC), end=datetime(2024, 2, 2, tzinfo=UTC)
    )
    assert report.stdout_text.endswith(
        "Results requested for 2024-02-01T00:00:00Z to 2024-02-02T00:00:00Z\nNo digests found\n"
    )
    assert report.exit_code == 0


def test_trail_with_prefix(tmp_path: Path, key_a: rsa.RSAPrivateKey) -> None:
    trail = write_trail(S3Folder(tmp_path / BUCKET), key_a, prefix="org/logs")
    report = run(trail, [info(key_a)])
    assert report.ok and report.valid_digests == 6


def test_folder_synced_below_prefix(tmp_path: Path, key_a: rsa.RSAPrivateKey) -> None:
    """``aws s3 sync s3://bucket/pfx DIR`` leaves keys without their prefix: the source maps them back."""
    trail = write_trail(S3Folder(tmp_path / BUCKET), key_a, prefix="pfx")
    synced = tmp_path / "synced"
    (tmp_path / BUCKET / "pfx").rename(synced)
    meta = tmp_path / BUCKET / ".awsmon-meta" / "pfx"
    meta.rename(synced / ".awsmon-meta")
    trail.folder = S3Folder(synced)
    report = run(trail, [info(key_a)])
    assert report.ok and (report.valid_digests, report.valid_logs) == (6, 10)


# ------------------------------------------------------------------------------------------------------------
# Log tampering


def test_log_modified(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    lkey = trail.digest(2).logs[0]
    trail.folder.put_object(lkey, gz(b'{"Records":[]}'), None, "application/json", T0)
    report = run(trail, [info(key_a)])
    assert errors(report) == [f"Log file\t{url(lkey)}\tINVALID: hash value doesn't match"]
    assert report.stderr_text == f"Log file\t{url(lkey)}\tINVALID: hash value doesn't match\n\n"
    assert "\n9/10 log files valid, 1/10 log files INVALID\n" in report.stdout_text
    assert report.exit_code == 1
    assert [f.category for f in report.files if f.key == lkey] == ["hash_mismatch"]


def test_log_deleted(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    lkey = trail.digest(1).logs[1]
    trail.folder.delete_object(lkey)
    report = run(trail, [info(key_a)])
    assert errors(report) == [f"Log file\t{url(lkey)}\tINVALID: not found"]
    assert [(f.verdict, f.category) for f in report.files if f.key == lkey] == [("not-found", "not_found")]


@pytest.mark.parametrize("extra", [b"garbage", gz(b"second member")], ids=["garbage", "second-member"])
def test_log_with_appended_data(trail: Trail, key_a: rsa.RSAPrivateKey, extra: bytes) -> None:
    lkey = trail.digest(4).logs[0]
    trail.folder.put_object(lkey, trail.folder.get_object(lkey) + extra, None, "application/json", T0)
    report = run(trail, [info(key_a)])
    assert errors(report) == [
        f"Log file\t{url(lkey)}\tINVALID: unexpected data after end of compressed stream"
    ]


def test_log_not_gzip(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    lkey = trail.digest(4).logs[1]
    trail.folder.put_object(lkey, log_body(4, 1), None, "application/json", T0)
    report = run(trail, [info(key_a)])
    assert errors(report) == [f"Log file\t{url(lkey)}\tINVALID: invalid format"]


@pytest.mark.parametrize("strict", [False, True])
def test_log_recompressed_same_content_stays_valid(
    trail: Trail, key_a: rsa.RSAPrivateKey, strict: bool
) -> None:
    lkey = trail.digest(5).logs[0]
    raw = gzip.decompress(trail.folder.get_object(lkey))
    recompressed = gzip.compress(raw, compresslevel=1, mtime=123456)
    assert recompressed != trail.folder.get_object(lkey)
    trail.folder.put_object(lkey, recompressed, None, "application/json", T0)
    report = run(trail, [info(key_a)], strict=strict, end=datetime(2024, 1, 1, 6, tzinfo=UTC))
    assert report.ok, report.stderr_text


def test_progress_callback_counts_every_digest_and_log(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    seen: list[tuple[int, int | None]] = []
    run(trail, [info(key_a)], on_progress=lambda done, total: seen.append((done, total)))
    files = len(trail.digests) + sum(len(d.logs) for d in trail.digests)
    assert seen[-1] == (files, files)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert all(t is not None and d <= t for d, t in seen)


# ------------------------------------------------------------------------------------------------------------
# Digest tampering


def test_middle_digest_deleted_skips_its_logs(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    rec = trail.digest(2)
    trail.folder.delete_object(rec.key)
    report = run(trail, [info(key_a)])
    assert errors(report) == [f"Digest file\t{url(rec.key)}\tINVALID: not found"]
    assert "\n5/6 digest files valid, 1/6 digest files INVALID\n8/8 log files valid\n" in report.stdout_text
    assert report.exit_code == 1


def test_two_consecutive_digests_deleted(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    first, second = trail.digest(3), trail.digest(2)
    trail.folder.delete_object(first.key)
    trail.folder.delete_object(second.key)
    report = run(trail, [info(key_a)])
    # aws-cli reports only the first one (aws/aws-cli#7054) ...
    assert errors(report) == [f"Digest file\t{url(first.key)}\tINVALID: not found"]
    assert "\n4/5 digest files valid, 1/5 digest files INVALID" in report.stdout_text
    # ... strict mode reports each.
    strict = run(trail, [info(key_a)], strict=True, end=datetime(2024, 1, 1, 6, tzinfo=UTC))
    assert errors(strict) == [
        f"Digest file\t{url(first.key)}\tINVALID: not found",
        f"Digest file\t{url(second.key)}\tINVALID: not found (consecutive digest missing)",
    ]
    assert [f.category for f in strict.files if f.verdict != "valid"] == [
        "not_found",
        "consecutive_digests_missing",
    ]
    assert "\n4/6 digest files valid, 2/6 digest files INVALID" in strict.stdout_text


def test_newest_digest_deleted(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    newest = trail.digest(5)
    trail.folder.delete_object(newest.key)
    report = run(trail, [info(key_a)])
    assert report.exit_code == 0 and report.stderr_text == ""
    assert "Results found for 2024-01-01T00:00:00Z to 2024-01-01T04:05:27Z:" in report.stdout_text
    strict = run(trail, [info(key_a)], strict=True, end=datetime(2024, 1, 1, 6, tzinfo=UTC))
    assert errors(strict) == [f"Digest file\t{url(newest.key)}\tINVALID: not found (newest digest missing)"]
    assert strict.files[0].category == "newest_digest_missing" and strict.exit_code == 1
    # With GetTrailStatus.LatestDigestDeliveryTime the expectation does not depend on --end-time.
    latest = run(
        trail, [info(key_a)], strict=True, latest_digest_delivery_time=newest.end + timedelta(seconds=20)
    )
    assert [f.category for f in latest.files if f.verdict != "valid"] == ["newest_digest_missing"]


def test_clean_strict_run_is_valid(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    report = run(trail, [info(key_a)], strict=True, end=datetime(2024, 1, 1, 6, tzinfo=UTC))
    assert report.ok, report.stderr_text
    assert report.valid_digests == 6 and report.valid_logs == 10


def test_digest_json_altered(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    rec = trail.digest(4)
    d = json.loads(rec.inflated)
    d["logFiles"][0]["hashValue"] = "0" * 64
    trail.folder.put_object(
        rec.key, gz(serialize_digest(d)), {"signature": rec.signature, **META}, "x", rec.end
    )
    report = run(trail, [info(key_a)])
    assert errors(report) == [f"Digest file\t{url(rec.key)}\tINVALID: signature verification failed"]
    assert "\n5/6 digest files valid, 1/6 digest files INVALID\n8/8 log files valid" in report.stdout_text


def test_digest_reserialised_whitespace_only(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    rec = trail.digest(1)
    pretty = json.dumps(json.loads(rec.inflated), indent=2).encode()
    trail.folder.put_object(rec.key, gz(pretty), {"signature": rec.signature, **META}, "x", rec.end)
    report = run(trail, [info(key_a)])
    assert errors(report) == [f"Digest file\t{url(rec.key)}\tINVALID: signature verification failed"]


def test_signature_metadata_altered(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    rec = trail.digest(1)
    bad = ("0" if rec.signature[0] != "0" else "1") + rec.signature[1:]
    trail.folder.put_object(rec.key, gz(rec.inflated), {"signature": bad, **META}, "x", rec.end)
    report = run(trail, [info(key_a)])
    assert errors(report) == [f"Digest file\t{url(rec.key)}\tINVALID: signature verification failed"]


def test_signature_not_hex_prints_exception_text(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    rec = trail.digest(1)
    trail.folder.put_object(rec.key, gz(rec.inflated), {"signature": "zz", **META}, "x", rec.end)
    report = run(trail, [info(key_a)])
    assert errors(report) == [f"Digest file\t{url(rec.key)}\tINVALID: Non-hexadecimal digit found"]
    assert [f.category for f in report.files if f.verdict != "valid"] == ["other_error"]


def test_digest_not_gzip(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    rec = trail.digest(2)
    trail.folder.put_object(rec.key, rec.inflated, {"signature": rec.signature, **META}, "x", rec.end)
    report = run(trail, [info(key_a)])
    assert errors(report) == [f"Digest file\t{url(rec.key)}\tINVALID: invalid format"]


def test_digest_missing_required_field(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    rec = trail.digest(2)
    d = json.loads(rec.inflated)
    del d["digestPublicKeyFingerprint"]
    trail.folder.put_object(
        rec.key, gz(serialize_digest(d)), {"signature": rec.signature, **META}, "x", rec.end
    )
    report = run(trail, [info(key_a)])
    assert errors(report) == [f"Digest file\t{url(rec.key)}\tINVALID: invalid format"]


def test_digest_moved_to_another_key(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    rec = trail.digest(2)
    moved = rec.key.replace("_demo_", "_demo_copy_")
    trail.folder.put_object(
        moved, trail.folder.get_object(rec.key), {"signature": rec.signature, **META}, "x", T0
    )
    trail.folder.delete_object(rec.key)
    report = run(trail, [info(key_a)])
    assert errors(report) == [f"Digest file\t{url(rec.key)}\tINVALID: not found"]


def test_digest_overwritten_with_previous_one(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    rec, older = trail.digest(3), trail.digest(2)
    trail.folder.put_object(rec.key, gz(older.inflated), {"signature": older.signature, **META}, "x", rec.end)
    report = run(trail, [info(key_a)])
    assert errors(report) == [
        f"Digest file\t{url(rec.key)}\tINVALID: has been moved from its original location"
    ]
    assert [f.category for f in report.files if f.verdict != "valid"] == ["moved"]


def test_digest_appended_gzip_member_only_strict(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    rec = trail.digest(2)
    body = trail.folder.get_object(rec.key) + gz(b"{}")
    trail.folder.put_object(rec.key, body, {"signature": rec.signature, **META}, "x", rec.end)
    assert run(trail, [info(key_a)]).ok
    strict = run(trail, [info(key_a)], strict=True, end=datetime(2024, 1, 1, 6, tzinfo=UTC))
    assert errors(strict) == [
        f"Digest file\t{url(rec.key)}\tINVALID: unexpected data after end of compressed stream"
    ]
    assert [f.category for f in strict.files if f.verdict != "valid"] == ["digest_trailing_data"]


def test_resigned_digest_caught_only_by_strict_links(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    rec, newer = trail.digest(2), trail.digest(3)
    d = json.loads(rec.inflated)
    d["logFiles"] = d["logFiles"][:1]  # hide a log file, re-sign with a key that verifies
    resign(trail, 2, key_a, logFiles=d["logFiles"])
    assert run(trail, [info(key_a)]).ok  # aws-cli: everything valid
    strict = run(trail, [info(key_a)], strict=True, end=datetime(2024, 1, 1, 6, tzinfo=UTC))
    bad = [f for f in strict.files if f.verdict != "valid" and f.kind == "digest"]
    assert [(f.key, f.category) for f in bad] == [(rec.key, "previous_hash_mismatch")]
    assert [c for c, _ in bad[0].extra] == ["previous_signature_mismatch"]
    assert errors(strict)[0] == (
        f"Digest file\t{url(rec.key)}\tINVALID: hash value doesn't match previousDigestHashValue of {url(newer.key)}"
    )
    # The hidden log is now an orphan in a verified window.
    orphans = [f for f in strict.files if f.category == "log_not_in_any_digest"]
    assert [f.key for f in orphans] == [trail.digest(2).logs[1]]


def test_signed_digest_with_non_string_previous_pointer_is_invalid_format(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    rec = trail.digest(3)
    resign(trail, 3, key_a, previousDigestS3Object=12)  # used to crash the chain walk (int.endswith)
    report = run(trail, [info(key_a)])
    bad = [(f.key, f.category) for f in report.files if f.verdict != "valid"]
    assert bad == [(rec.key, "invalid_format")]
    assert errors(report) == [f"Digest file\t{url(rec.key)}\tINVALID: invalid format"]


def test_previous_hash_link_break_strict(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    resign(trail, 5, key_a, previousDigestHashValue="f" * 64)
    assert run(trail, [info(key_a)]).ok
    strict = run(trail, [info(key_a)], strict=True, end=datetime(2024, 1, 1, 6, tzinfo=UTC))
    assert [(f.key, f.category, f.extra) for f in strict.files if f.verdict != "valid"] == [
        (trail.digest(4).key, "previous_hash_mismatch", [])
    ]


def test_previous_signature_link_break_strict(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    resign(trail, 5, key_a, previousDigestSignature="ab" * 256)
    assert run(trail, [info(key_a)]).ok
    strict = run(trail, [info(key_a)], strict=True, end=datetime(2024, 1, 1, 6, tzinfo=UTC))
    assert [(f.key, f.category) for f in strict.files if f.verdict != "valid"] == [
        (trail.digest(4).key, "previous_signature_mismatch")
    ]


def test_chain_time_discontinuity_strict(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    resign(trail, 5, key_a, digestStartTime="2024-01-01T04:00:00Z")
    strict = run(trail, [info(key_a)], strict=True, end=datetime(2024, 1, 1, 6, tzinfo=UTC))
    assert [(f.key, f.category) for f in strict.files if f.verdict != "valid"] == [
        (trail.digest(4).key, "chain_discontinuity")
    ]


def test_strict_algorithm_and_account_checks(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    resign(trail, 5, key_a, digestSignatureAlgorithm="SHA1withRSA")
    resign(trail, 0, key_a, awsAccountId="999999999999")
    strict = run(trail, [info(key_a)], strict=True, end=datetime(2024, 1, 1, 6, tzinfo=UTC))
    cats = {f.key: f.category for f in strict.files if f.verdict != "valid"}
    assert cats[trail.digest(5).key] == "algorithm_unexpected"
    assert cats[trail.digest(0).key] == "account_or_region_mismatch"


def test_orphan_log_strict(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    delivered = T0 + timedelta(hours=1, minutes=-30)
    orphan = log_file_key(ACCOUNT, REGION, delivered, "ZZZZZZZZZZZZZZZZ")
    trail.folder.put_object(orphan, gz(b'{"Records":[]}'), None, "application/json", delivered)
    assert run(trail, [info(key_a)]).ok
    strict = run(trail, [info(key_a)], strict=True, end=datetime(2024, 1, 1, 6, tzinfo=UTC))
    assert errors(strict) == [f"Log file\t{url(orphan)}\tINVALID: not referenced by any digest"]


# ------------------------------------------------------------------------------------------------------------
# Keys


def test_signed_with_other_key_but_fingerprint_of_listed_key(
    tmp_path: Path, key_a: rsa.RSAPrivateKey, key_b: rsa.RSAPrivateKey
) -> None:
    trail = write_trail(S3Folder(tmp_path / BUCKET), key_a)
    resign(trail, 2, key_b)  # fingerprint field still names key A
    report = run(trail, [info(key_a)])
    assert errors(report) == [
        f"Digest file\t{url(trail.digest(2).key)}\tINVALID: signature verification failed"
    ]


def test_wrong_key_listed(tmp_path: Path, key_a: rsa.RSAPrivateKey, key_b: rsa.RSAPrivateKey) -> None:
    trail = write_trail(S3Folder(tmp_path / BUCKET), key_a, [0, 1])
    fp = info(key_a).fingerprint
    report = run(trail, [info(key_b)])
    assert errors(report) == [
        f"Digest file\t{url(trail.digest(1).key)}\tINVALID: public key not found in region {REGION} for fingerprint {fp}",
        f"Digest file\t{url(trail.digest(0).key)}\tINVALID: public key not found in region {REGION} for fingerprint {fp}",
    ]
    assert (
        "No valid digests found in range\n\n0/2 digest files valid, 2/2 digest files INVALID\n"
        in report.stdout_text
    )


def test_key_rotation(tmp_path: Path, key_a: rsa.RSAPrivateKey, key_b: rsa.RSAPrivateKey) -> None:
    signers = {h: key_a if h < 3 else key_b for h in range(6)}
    trail = write_trail(S3Folder(tmp_path / BUCKET), signers)
    rotation = T0 + timedelta(hours=2, minutes=30)
    keys = [info(key_a, datetime(2023, 1, 1, tzinfo=UTC), rotation), info(key_b, rotation, None)]
    assert run(trail, keys).ok
    # The old key missing from ListPublicKeys: its three digests fail.
    report = run(trail, keys[1:])
    assert [f.category for f in report.files if f.verdict != "valid"] == ["public_key_not_found"] * 3
    # A key whose validity ends before the range is not offered.
    expired = [info(key_a, datetime(2022, 1, 1, tzinfo=UTC), datetime(2022, 6, 1, tzinfo=UTC)), keys[1]]
    assert run(trail, expired).invalid_digests == 3


def test_spki_key_is_accepted(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    spki = key_a.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    report = run(trail, [PublicKeyInfo(info(key_a).fingerprint, spki)])
    assert report.ok
    # Strict notices that the published fingerprint is not the MD5 of these bytes.
    strict = run(
        trail,
        [PublicKeyInfo(info(key_a).fingerprint, spki)],
        strict=True,
        end=datetime(2024, 1, 1, 6, tzinfo=UTC),
    )
    assert {f.category for f in strict.files if f.verdict != "valid"} == {"fingerprint_md5_mismatch"}


def test_unloadable_key(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    report = run(trail, [PublicKeyInfo(info(key_a).fingerprint, b"\x30\x03\x02\x01\x01")])
    fp = info(key_a).fingerprint
    assert errors(report)[0] == (
        f"Digest file\t{url(trail.digest(5).key)}\tINVALID: Unable to load PKCS #1 key with fingerprint {fp}"
    )
    assert report.invalid_digests == 6


def test_no_public_keys_is_fatal(trail: Trail) -> None:
    with pytest.raises(DigestValidationFatal) as exc:
        run(trail, [])
    assert str(exc.value) == "No public keys found between 2024-01-01T00:00:00Z and 2024-01-01T10:00:00Z"
    assert exc.value.exit_code == 255 and exc.value.category == "no_public_keys"


def test_bad_time_range_and_arn_are_fatal(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    with pytest.raises(DigestValidationFatal, match="start-time must occur before end-time"):
        run(trail, [info(key_a)], start=END, end=START)
    with pytest.raises(DigestValidationFatal, match="Invalid trail ARN provided: arn:aws:s3:::x"):
        validate_logs(
            FolderDigestSource(trail.folder.root, []),
            trail_arn="arn:aws:s3:::x",
            bucket=BUCKET,
            start=START,
            end=END,
        )


# ------------------------------------------------------------------------------------------------------------
# Gaps and signature metadata


def test_chain_gap_notice(tmp_path: Path, key_a: rsa.RSAPrivateKey) -> None:
    trail = write_trail(S3Folder(tmp_path / BUCKET), key_a, [0, 1, 2, 5], restart=frozenset({5}))
    report = run(trail, [info(key_a)])
    assert report.exit_code == 0
    assert report.stderr_text == (
        "No log files were delivered by CloudTrail between 2024-01-01T02:05:27Z and 2024-01-01T04:05:27Z\n\n"
    )
    assert [n.category for n in report.notices] == ["gap"]
    # A legitimate restart is not a missing digest in strict mode either.
    assert run(trail, [info(key_a)], strict=True, end=datetime(2024, 1, 1, 6, tzinfo=UTC)).ok


def test_verbose_then_error_spacing(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    lkey = trail.digest(5).logs[1]
    trail.folder.delete_object(lkey)
    report = run(trail, [info(key_a)], verbose=True)
    # An error after a single-spaced verbose line starts with an extra newline.
    assert report.stderr_text == f"\nLog file\t{url(lkey)}\tINVALID: not found\n\n"


def test_signature_metadata_missing_in_s3_is_signature_failure(
    trail: Trail, key_a: rsa.RSAPrivateKey
) -> None:
    rec = trail.digest(2)
    trail.folder.put_object(
        rec.key, gz(rec.inflated), {"signature-algorithm": "SHA256withRSA", "x": "1"}, "x", T0
    )
    source = FolderDigestSource(trail.folder.root, [info(key_a)])
    # S3 semantics (metadata known, no signature) -> aws-cli's D3 ...
    obj = source.get_object(BUCKET, rec.key)
    assert obj.metadata is None  # ... but a folder manifest without a signature means "unknown"
    report = run(trail, [info(key_a)])
    assert [f.verdict for f in report.files if f.key == rec.key] == [
        "valid"
    ]  # verified via digest 3's pointer


def test_offline_without_manifest(tmp_path: Path, key_a: rsa.RSAPrivateKey) -> None:
    """``aws s3 sync`` drops metadata: only the newest digest lacks a usable signature; never valid."""
    trail = write_trail(S3Folder(tmp_path / BUCKET), key_a)
    import shutil

    shutil.rmtree(tmp_path / BUCKET / ".awsmon-meta")
    report = run(trail, [info(key_a)])
    newest = trail.digest(5)
    assert errors(report) == [f"Digest file\t{url(newest.key)}\tINVALID: signature metadata missing"]
    assert [f.verdict for f in report.files if f.kind == "digest"] == ["signature-missing"] + ["valid"] * 5
    assert report.valid_logs == 10 and report.exit_code == 1
    # Log tampering is still found below an unsigned digest.
    trail.folder.delete_object(newest.logs[0])
    assert f"Log file\t{url(newest.logs[0])}\tINVALID: not found" in errors(run(trail, [info(key_a)]))
    # And a modified older digest still fails against the signature recorded in its successor.
    older = trail.digest(3)
    d = json.loads(older.inflated)
    d["awsAccountId"] = "000000000000"
    trail.folder.put_object(older.key, gz(serialize_digest(d)), None, "x", T0)
    shutil.rmtree(tmp_path / BUCKET / ".awsmon-meta")
    assert f"Digest file\t{url(older.key)}\tINVALID: signature verification failed" in errors(
        run(trail, [info(key_a)])
    )


# ------------------------------------------------------------------------------------------------------------
# Public key files


def test_load_public_keys_all_formats(tmp_path: Path, key_a: rsa.RSAPrivateKey) -> None:
    pub = key_a.public_key()
    expected = info(key_a).fingerprint
    files = {
        "pkcs1.der": public_key_der(pub),
        "spki.der": pub.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        "pkcs1.pem": pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1),
        "spki.pem": pub.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
    }
    import base64

    files["keys.json"] = json.dumps(
        {
            "PublicKeyList": [
                {
                    "Value": base64.b64encode(public_key_der(pub)).decode(),
                    "ValidityStartTime": "2024-01-01T00:00:00+00:00",
                    "ValidityEndTime": 1735689600,
                    "Fingerprint": expected,
                }
            ]
        }
    ).encode()
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        keys = load_public_keys([tmp_path / name])
        assert expected in {k.fingerprint for k in keys}, name
        assert all(k.der for k in keys)
    saved = load_public_keys([tmp_path / "keys.json"])[0]
    assert saved.validity_start == datetime(2024, 1, 1, tzinfo=UTC)
    assert saved.validity_end == datetime(2025, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "data",
    [
        b"not a key",
        b"-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----\n",
        b'{"Keys": []}',
        b'{"PublicKeyList": [{"Value": "!!!"}]}',
        b"{broken",
    ],
)
def test_load_public_keys_rejects_wrong_formats(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "key.bin"
    path.write_bytes(data)
    with pytest.raises(PublicKeyFormatError) as exc:
        load_public_keys([path])
    assert isinstance(exc.value, ValueError)
    assert str(exc.value).startswith(str(path)) and "\n" not in str(exc.value)


def test_boto3_blob_value_is_not_decoded_twice(key_a: rsa.RSAPrivateKey) -> None:
    der = public_key_der(key_a.public_key())
    keys = public_keys_from_list_response({"PublicKeyList": [{"Value": der, "Fingerprint": "f" * 32}]})
    assert keys[0].der == der and keys[0].fingerprint == "f" * 32
    assert parse_public_key_bytes(der)[0].fingerprint == public_key_fingerprint(der)


def test_s3_source_list_public_keys_uses_cloudtrail_client(key_a: rsa.RSAPrivateKey) -> None:
    der = public_key_der(key_a.public_key())
    calls: list[dict[str, object]] = []

    class FakeCloudTrail:
        def list_public_keys(self, **kwargs: object) -> dict[str, object]:
            calls.append(kwargs)
            return {
                "PublicKeyList": [
                    {
                        "Value": der,
                        "Fingerprint": "ab" * 16,
                        "ValidityStartTime": START,
                        "ValidityEndTime": END,
                    }
                ]
            }

    source = S3DigestSource(lambda: None, FakeCloudTrail)
    keys = source.list_public_keys(START, END)
    assert [k.fingerprint for k in keys] == ["ab" * 16] and calls == [{"StartTime": START, "EndTime": END}]


# ------------------------------------------------------------------------------------------------------------
# moto server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server_mod = pytest.importorskip("moto.server")
    saved = {
        k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")
    }
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION)
    port = _free_port()
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.mark.moto
def test_s3_source_against_moto(tmp_path: Path, key_a: rsa.RSAPrivateKey, moto_endpoint: str) -> None:
    import boto3

    trail = write_trail(S3Folder(tmp_path / BUCKET), key_a)
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    s3 = session.client("s3", endpoint_url=moto_endpoint)
    s3.create_bucket(Bucket=BUCKET)
    # A digest of another Region and an unrelated object must be ignored by the listing.
    s3.put_object(Bucket=BUCKET, Key=f"AWSLogs/{ACCOUNT}/CloudTrail-Digest/us-west-2/x.json.gz", Body=b"x")
    for key in trail.folder.list_objects():
        head = trail.folder.head_object(key)
        s3.put_object(
            Bucket=BUCKET,
            Key=key,
            Body=trail.folder.get_object(key),
            Metadata=head["Metadata"],
            ContentType=head["ContentType"],
        )
    source = S3DigestSource.from_session(
        session, region=REGION, endpoint_url=moto_endpoint, public_keys=[info(key_a)]
    )
    report = validate_logs(source, trail_arn=ARN, bucket=BUCKET, start=START, end=END, verbose=True)
    assert report.ok and (report.valid_digests, report.valid_logs) == (6, 10)
    folder_report = run(trail, [info(key_a)], verbose=True)
    assert report.stdout_text == folder_report.stdout_text

    # NoSuchKey maps to "not found" for logs and digests.
    s3.delete_object(Bucket=BUCKET, Key=trail.digest(2).key)
    s3.delete_object(Bucket=BUCKET, Key=trail.digest(4).logs[0])
    report = validate_logs(source, trail_arn=ARN, bucket=BUCKET, start=START, end=END)
    assert errors(report) == [
        f"Log file\t{url(trail.digest(4).logs[0])}\tINVALID: not found",
        f"Digest file\t{url(trail.digest(2).key)}\tINVALID: not found",
    ]
    # Signature metadata stripped on S3: aws-cli's "signature verification failed".
    rec = trail.digest(1)
    s3.put_object(
        Bucket=BUCKET, Key=rec.key, Body=gz(rec.inflated), Metadata={"signature-algorithm": "SHA256withRSA"}
    )
    report = validate_logs(source, trail_arn=ARN, bucket=BUCKET, start=START, end=END)
    assert f"Digest file\t{url(rec.key)}\tINVALID: signature verification failed" in errors(report)
    # Other S3 errors abort, like a botocore ClientError in aws-cli.
    with pytest.raises(DigestValidationFatal) as exc:
        validate_logs(source, trail_arn=ARN, bucket="no-such-bucket", start=START, end=END)
    assert exc.value.category == "access_denied"


# ------------------------------------------------------------------------------------------------------------
# Backfill digests


def _write_backfill(trail: Trail, priv: rsa.RSAPrivateKey, hour: int, generated: str | None) -> str:
    end = T0 + timedelta(hours=hour)
    dkey = digest_key(ACCOUNT, REGION, TRAIL, REGION, end, backfill=True)
    inflated, sig = signed_digest(priv, dkey, end, [], None)
    meta = {"signature": sig, **META}
    if generated is not None:
        meta["backfill-generation-timestamp"] = generated
    trail.folder.put_object(dkey, gz(inflated), meta, "application/json", end)
    return dkey


def test_backfill_digest_validated_with_lazily_loaded_key(
    trail: Trail, key_a: rsa.RSAPrivateKey, key_b: rsa.RSAPrivateKey
) -> None:
    _write_backfill(trail, key_b, 2, "2025-06-01T12:00:00Z")
    generated = datetime(2025, 6, 1, 12, tzinfo=UTC)
    keys = [info(key_a), info(key_b, generated - timedelta(minutes=30), generated + timedelta(minutes=30))]
    report = run(trail, keys, verbose=True)
    assert report.ok
    assert (
        "\n6/6 digest files valid\n1/1 backfill digest files valid\n10/10 log files valid\n"
        in report.stdout_text
    )
    assert any(
        line.startswith("(backfill) Digest file\t") and line.endswith("\tvalid")
        for line in report.stdout_lines
    )


def test_backfill_digest_without_generation_timestamp(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    dkey = _write_backfill(trail, key_a, 2, None)
    report = run(trail, [info(key_a)])
    assert errors(report) == [f"(backfill) Digest file\t{url(dkey)}\tINVALID: invalid format"]
    assert "\n0/1 backfill digest files valid, 1/1 backfill digest files INVALID" in report.stdout_text
    assert report.exit_code == 1


# ------------------------------------------------------------------------------------------------------------
# S3Folder


@pytest.mark.parametrize(
    "key",
    [
        "",
        "/etc/passwd",
        "a/../../x",
        "..",
        "a/./b",
        "a//b",
        "a/",
        "a\\b",
        "a\x00b",
        ".awsmon-meta/x.json",
        "x/.awsmon-tmp-1-y",
        "C:/x",
    ],
)
def test_s3folder_rejects_unsafe_keys(tmp_path: Path, key: str) -> None:
    folder = S3Folder(tmp_path / "b")
    for call in (
        lambda: folder.put_object(key, b"x"),
        lambda: folder.get_object(key),
        lambda: folder.head_object(key),
    ):
        with pytest.raises(ValueError):
            call()
    assert not any(p for p in tmp_path.rglob("*") if p.is_file())


def test_s3folder_refuses_symlink_escape(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "link").symlink_to(outside)
    with pytest.raises(ValueError, match="outside the bucket folder"):
        S3Folder(tmp_path / "b").put_object("link/x", b"x")
    assert not (outside / "x").exists()


def test_s3folder_round_trip_and_sidecar(tmp_path: Path) -> None:
    folder = S3Folder(tmp_path / "b")
    when = datetime(2024, 1, 1, 1, 2, 3, tzinfo=UTC)
    folder.put_object("a/b.json.gz", b"data", {"signature": "ab"}, "application/json", when, "gzip")
    assert folder.get_object("a/b.json.gz") == b"data"
    with folder.open_object("a/b.json.gz") as fh:
        assert fh.read(2) == b"da"
    head = json.loads((tmp_path / "b" / ".awsmon-meta" / "a" / "b.json.gz.json").read_text())
    assert (
        head
        == folder.head_object("a/b.json.gz")
        == {
            "ContentType": "application/json",
            "ContentEncoding": "gzip",
            "LastModified": "2024-01-01T01:02:03Z",
            "ETag": '"8d777f385d3dfec8815d20f7496026dc"',
            "Metadata": {"signature": "ab"},
        }
    )
    assert not list((tmp_path / "b").rglob("*awsmon-tmp*"))
    with pytest.raises(ValueError):
        folder.put_object("a/b.json.gz/c", b"x")  # below an object
    with pytest.raises(ValueError):
        folder.put_object("a", b"x")  # a folder of keys
    folder.delete_object("a/b.json.gz")
    folder.delete_object("a/b.json.gz")  # deleting twice is fine, as on S3
    with pytest.raises(KeyError):
        folder.get_object("a/b.json.gz")
    assert list(folder.list_objects()) == [] and not (tmp_path / "b" / "a").exists()


segment = st.text(alphabet="ab-./_0~", min_size=1, max_size=4).filter(lambda s: s not in (".", ".."))


@settings(max_examples=40, deadline=None)
@given(
    keys=st.sets(st.lists(segment, min_size=1, max_size=3).map("/".join), max_size=12),
    prefix=st.text(alphabet="ab-./_0", max_size=3),
    after=st.none() | st.text(alphabet="ab-./_0~", max_size=5),
)
def test_s3folder_listing_matches_s3_order(
    tmp_path_factory: pytest.TempPathFactory, keys: set[str], prefix: str, after: str | None
) -> None:
    folder = S3Folder(tmp_path_factory.mktemp("b"))
    stored: set[str] = set()
    for key in sorted(keys):
        try:
            folder.put_object(key, key.encode())
            stored.add(key)
        except ValueError:
            pass  # object/folder clashes cannot be represented in a folder
    expected = sorted(k for k in stored if k.startswith(prefix) and (after is None or k > after))
    assert list(folder.list_objects(prefix, after)) == expected


def test_discover_trails_in_downloaded_folder(tmp_path: Path, key_a: rsa.RSAPrivateKey) -> None:
    write_trail(S3Folder(tmp_path / BUCKET), key_a, [0, 1], prefix="pfx")
    other = digest_key(ACCOUNT, "eu-west-1", "my_trail", REGION, T0, prefix="pfx", backfill=True)
    S3Folder(tmp_path / BUCKET).put_object(other, b"not gzip")
    found = FolderDigestSource(tmp_path / BUCKET, []).discover_trails()
    assert [
        (t.prefix, t.account_id, t.source_region, t.trail_name, t.home_region, t.bucket) for t in found
    ] == [
        ("pfx", ACCOUNT, "eu-west-1", "my_trail", REGION, None),
        ("pfx", ACCOUNT, REGION, TRAIL, REGION, BUCKET),
    ]
    assert found[1].trail_arn == ARN


def test_access_denied_aborts_with_partial_output(trail: Trail, key_a: rsa.RSAPrivateKey) -> None:
    """A non-NoSuchKey error aborts where aws-cli's sequential loop would, keeping what it had printed."""
    from awsmon.engines.digest import SourceAccessError

    denied = trail.digest(4).logs[0]

    class Denying(FolderDigestSource):
        def open_object(self, bucket: str, key: str):  # type: ignore[no-untyped-def]
            if key == denied:
                raise SourceAccessError(
                    "An error occurred (AccessDenied) when calling the GetObject operation"
                )
            return super().open_object(bucket, key)

    source = Denying(trail.folder.root, [info(key_a)])
    with pytest.raises(DigestValidationFatal) as exc:
        validate_logs(source, trail_arn=ARN, bucket=BUCKET, start=START, end=END, verbose=True, max_workers=4)
    assert exc.value.category == "access_denied"
    newest = trail.digest(5)
    assert exc.value.stdout_text.splitlines()[2:] == [
        f"Digest file\t{url(newest.key)}\tvalid",
        f"Log file\t{url(newest.logs[0])}\tvalid",
        f"Log file\t{url(newest.logs[1])}\tvalid",
        f"Digest file\t{url(trail.digest(4).key)}\tvalid",
    ]
    assert (
        exc.value.stderr_text == "\nAn error occurred (AccessDenied) when calling the GetObject operation\n"
    )
