"""Pure digest engine: string-to-sign, signatures, fingerprints, key layouts, ARN parsing, streamed log hashing."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from awsmon.engines.digest import (
    PreviousDigest,
    PublicKeyLoadError,
    build_digest,
    digest_key,
    digest_listing_prefix,
    extract_digest_key_date,
    hash_gzip_stream,
    inflate_digest,
    is_backfill_digest_key,
    load_rsa_public_key,
    log_file_entry,
    log_file_key,
    log_key_time,
    matches_digest_key,
    parse_digest_time,
    parse_trail_arn,
    public_key_der,
    public_key_fingerprint,
    serialize_digest,
    sign_digest,
    string_to_sign,
    verify_signature,
)

# aws-cli tests/unit/customizations/cloudtrail/test_validation.py VALID_TEST_KEY = the AWS docs' key 8eba5db5...
AWS_DOCS_KEY = (
    "MIIBCgKCAQEAn11L2YZ9h7onug2ILi1MWyHiMRsTQjfWE+pHVRLk1QjfWhirG+lpOa8NrwQ/r7Ah5bNL6HepznOU9XTDSfmmnP97mqyc7z/"
    "upfZdS/AHhYcGaz7n6Wc/RRBU6VmiPCrAUojuSk6/GjvA8iOPFsYDuBtviXarvuLPlrT9kAd4Lb+rFfR5peEgBEkhlzc5HuWO7S0y+Kunq"
    "xX6jQBnXGMtxmPBPP0FylgWGNdFtks/4YSKcgqwH0YDcawP9GGGDAeCIqPWIXDLG1jOjRRzWfCmD0iJUkz8vTsn4hq/5ZxRFE7UBAUiVcGb"
    "dnDdvVfhF9C3dQiDq3k7adQIziLT0cShgQIDAQAB"
)

PRIVATE_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PUBLIC_DER = public_key_der(PRIVATE_KEY.public_key())
END = datetime(2024, 1, 1, 5, 5, 27, tzinfo=UTC)

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
no_newline = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n"), max_size=40
)


def test_string_to_sign_aws_cli_vector() -> None:
    digest = {
        "digestEndTime": "a",
        "digestS3Bucket": "b",
        "digestS3Object": "c",
        "previousDigestSignature": None,
    }
    assert string_to_sign(digest, b"abc") == (
        b"a\nb/c\nba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\nnull"
    )


@given(
    end=no_newline,
    bucket=no_newline,
    key=no_newline,
    prev=st.none() | no_newline,
    body=st.binary(max_size=200),
)
def test_string_to_sign_structure(end: str, bucket: str, key: str, prev: str | None, body: bytes) -> None:
    digest = {
        "digestEndTime": end,
        "digestS3Bucket": bucket,
        "digestS3Object": key,
        "previousDigestSignature": prev,
    }
    parts = string_to_sign(digest, body).decode("utf-8").split("\n")
    assert parts == [
        end,
        f"{bucket}/{key}",
        hashlib.sha256(body).hexdigest(),
        "null" if prev is None else prev,
    ]


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    logs=st.lists(st.tuples(text, st.binary(max_size=64)), max_size=3),
    prev_sig=st.none() | st.text(alphabet="0123456789abcdef", min_size=2, max_size=20),
    flip=st.integers(min_value=0),
)
def test_sign_verify_round_trip_and_tamper(
    logs: list[tuple[str, bytes]], prev_sig: str | None, flip: int
) -> None:
    entries = [
        log_file_entry("b", f"k/{name}", body, "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z")
        for name, body in logs
    ]
    previous = PreviousDigest("b", "prev", b"{}", prev_sig) if prev_sig is not None else None
    digest = build_digest(
        account_id="111122223333",
        bucket="b",
        key="k",
        start_time=END - timedelta(hours=1),
        end_time=END,
        fingerprint=public_key_fingerprint(PUBLIC_DER),
        log_files=entries,
        previous=previous,
    )
    inflated = serialize_digest(digest)
    assert json.loads(inflated) == digest
    signature = sign_digest(PRIVATE_KEY, digest, inflated)
    assert len(signature) == 512 and signature == signature.lower()
    assert verify_signature(PUBLIC_DER, digest, inflated, signature)
    assert verify_signature(PUBLIC_DER, digest, inflated, signature.upper())  # unhexlify ignores case
    tampered = bytearray(inflated)
    tampered[flip % len(tampered)] ^= 0x01
    assert not verify_signature(PUBLIC_DER, digest, bytes(tampered), signature)
    assert not verify_signature(
        PUBLIC_DER, {**digest, "digestEndTime": "2024-01-01T05:05:28Z"}, inflated, signature
    )


def test_verify_rejects_non_hex_signature() -> None:
    digest = {
        "digestEndTime": "a",
        "digestS3Bucket": "b",
        "digestS3Object": "c",
        "previousDigestSignature": None,
    }
    with pytest.raises(ValueError, match="Non-hexadecimal"):
        verify_signature(PUBLIC_DER, digest, b"", "zz")


def _hour_digest(log_files: list[dict[str, Any]], previous: PreviousDigest | None) -> dict[str, Any]:
    """A digest of account 1 for the hour before END (key "k" in bucket "b")."""
    return build_digest(account_id="1", bucket="b", key="k", start_time=END - timedelta(hours=1), end_time=END,
                        fingerprint="f", log_files=log_files, previous=previous)  # fmt: skip


def test_build_digest_field_order_and_starting_digest() -> None:
    digest = _hour_digest([], None)
    assert list(digest) == [
        "awsAccountId",
        "digestStartTime",
        "digestEndTime",
        "digestS3Bucket",
        "digestS3Object",
        "digestPublicKeyFingerprint",
        "digestSignatureAlgorithm",
        "newestEventTime",
        "oldestEventTime",
        "previousDigestS3Bucket",
        "previousDigestS3Object",
        "previousDigestHashValue",
        "previousDigestHashAlgorithm",
        "previousDigestSignature",
        "logFiles",
    ]
    assert (
        digest["digestStartTime"] == "2024-01-01T04:05:27Z"
        and digest["digestEndTime"] == "2024-01-01T05:05:27Z"
    )
    assert digest["digestSignatureAlgorithm"] == "SHA256withRSA"
    assert all(digest[k] is None for k in digest if k.startswith("previous") or k.endswith("EventTime"))
    assert serialize_digest(digest).startswith(b'{"awsAccountId":"1","digestStartTime":')


def test_build_digest_chained() -> None:
    logs = [
        log_file_entry("b", "l1", b"x", "2024-01-01T04:30:00Z", "2024-01-01T04:10:00Z"),
        log_file_entry("b", "l2", b"y", "2024-01-01T04:50:00Z", "2024-01-01T04:40:00Z"),
    ]
    digest = _hour_digest(logs, PreviousDigest("b0", "p", b"prev", "ab"))
    assert (digest["newestEventTime"], digest["oldestEventTime"]) == (
        "2024-01-01T04:50:00Z",
        "2024-01-01T04:10:00Z",
    )
    assert digest["previousDigestHashValue"] == hashlib.sha256(b"prev").hexdigest()
    assert (digest["previousDigestS3Bucket"], digest["previousDigestS3Object"]) == ("b0", "p")
    assert (digest["previousDigestHashAlgorithm"], digest["previousDigestSignature"]) == ("SHA-256", "ab")
    assert logs[0]["hashValue"] == hashlib.sha256(b"x").hexdigest() and logs[0]["hashAlgorithm"] == "SHA-256"


def test_fingerprint_of_published_aws_key() -> None:
    der = base64.b64decode(AWS_DOCS_KEY)
    assert len(der) == 270
    assert public_key_fingerprint(der) == "8eba5db5bea9b640d1c96a77256fe7f2"
    key = load_rsa_public_key(der)
    assert public_key_der(key) == der


def test_load_rsa_public_key_accepts_spki_rejects_garbage() -> None:
    spki = PRIVATE_KEY.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert public_key_der(load_rsa_public_key(spki)) == PUBLIC_DER
    with pytest.raises(PublicKeyLoadError):
        load_rsa_public_key(b"\x00\x01")


def test_digest_key_layouts() -> None:
    assert digest_key(
        "111122223333",
        "us-east-2",
        "your-trail-name",
        "us-east-2",
        datetime(2015, 8, 17, 15, 1, 31, tzinfo=UTC),
    ) == (
        "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/"
        "111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T150131Z.json.gz"
    )
    org = digest_key(
        "111122223333",
        "eu-west-1",
        "t",
        "us-east-1",
        END,
        prefix="p/q",
        organization_id="o-abc",
        backfill=True,
    )
    assert org == (
        "p/q/AWSLogs/o-abc/111122223333/CloudTrail-Digest/eu-west-1/2024/01/01/"
        "111122223333_CloudTrail-Digest_eu-west-1_t_us-east-1_20240101T050527Z_backfill.json.gz"
    )
    assert is_backfill_digest_key(org) and extract_digest_key_date(org) == "20240101T050527Z"
    assert digest_listing_prefix("1", "r", prefix="p") == "p/AWSLogs/1/CloudTrail-Digest/r"


def test_log_file_key_layout() -> None:
    key = log_file_key(
        "111122223333", "us-east-2", datetime(2015, 8, 1, 2, 10, tzinfo=UTC), "Mu0KsOhtH1ar15ZZ"
    )
    assert key == (
        "AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/01/"
        "111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz"
    )
    assert log_key_time(key) == datetime(2015, 8, 1, 2, 10, tzinfo=UTC)
    assert log_key_time("AWSLogs/1/CloudTrail-Digest/x.json.gz") is None
    with pytest.raises(ValueError):
        log_file_key("1", "r", END, "short")


def _aws_cli_regex(account: str, src: str, name: str, home: str, prefix: str | None) -> re.Pattern[str]:
    # aws-cli's own pattern, used here only as a test oracle on short generated strings.
    body = (
        f"AWSLogs/{re.escape(account)}/CloudTrail\\-Digest/{re.escape(src)}/\\d+/\\d+/\\d+/{re.escape(account)}"
        f"_CloudTrail\\-Digest_{re.escape(src)}_{re.escape(name)}_{re.escape(home)}_.+(?:_backfill)?\\.json\\.gz"
    )
    return re.compile("^" + (re.escape(prefix) + "/" if prefix else "") + body + "$")


@given(
    suffix=st.text(alphabet="0123456789/_.jsongzTZab\n", max_size=30),
    dates=st.sampled_from(["2024/01/01/", "1/2/3/", "2024/1/", "x/1/2/", "2024/01/01/extra/"]),
    prefix=st.none() | st.just("pfx"),
)
def test_matches_digest_key_equals_aws_cli_regex(suffix: str, dates: str, prefix: str | None) -> None:
    head = (f"{prefix}/" if prefix else "") + "AWSLogs/1/CloudTrail-Digest/r/"
    key = head + dates + "1_CloudTrail-Digest_r_t_h_" + suffix
    expected = _aws_cli_regex("1", "r", "t", "h", prefix).match(key) is not None and not key.endswith("\n")
    got = matches_digest_key(
        key, account_id="1", source_region="r", trail_name="t", home_region="h", prefix=prefix
    )
    assert got == expected


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1)), st.booleans())
def test_generated_digest_keys_match_and_round_trip(when: datetime, backfill: bool) -> None:
    key = digest_key("123456789012", "us-west-2", "my.trail", "us-east-1", when, backfill=backfill)
    assert matches_digest_key(
        key,
        account_id="123456789012",
        source_region="us-west-2",
        trail_name="my.trail",
        home_region="us-east-1",
    )
    assert not matches_digest_key(
        key, account_id="123456789012", source_region="us-west-2", trail_name="other", home_region="us-east-1"
    )
    assert extract_digest_key_date(key) == when.strftime("%Y%m%dT%H%M%SZ")


@given(st.text(alphabet="arn:awsclodti/0123456789x-", max_size=60))
def test_parse_trail_arn_equals_aws_cli_regex(arn: str) -> None:
    oracle = re.compile(r"arn:.+:cloudtrail:.+:\d{12}:trail/.+").match(arn) is not None
    try:
        parse_trail_arn(arn)
        got = True
    except ValueError:
        got = False
    assert got == oracle


def test_parse_trail_arn_fields_and_message() -> None:
    arn = parse_trail_arn("arn:aws:cloudtrail:us-east-1:111122223333:trail/demo")
    assert (arn.home_region, arn.account_id, arn.name) == ("us-east-1", "111122223333", "demo")
    with pytest.raises(ValueError, match="^Invalid trail ARN provided: nope$"):
        parse_trail_arn("nope")


def test_parse_trail_arn_is_linear_on_hostile_input() -> None:
    hostile = "arn:" + ":cloudtrail:" * 20000 + "1" * 11
    with pytest.raises(ValueError):
        parse_trail_arn(hostile)


@given(body=st.binary(max_size=5000), chunk=st.integers(min_value=1, max_value=700))
def test_hash_gzip_stream_any_chunk_size(body: bytes, chunk: int) -> None:
    compressed = gzip.compress(body, mtime=0)
    seen: list[int] = []
    result = hash_gzip_stream(io.BytesIO(compressed), chunk, seen.append)
    assert result.sha256 == hashlib.sha256(body).hexdigest() and not result.trailing_data
    assert sum(seen) == len(compressed) and max(seen, default=0) <= chunk
    assert hash_gzip_stream(io.BytesIO(compressed + b"\x00"), chunk).trailing_data
    assert hash_gzip_stream(io.BytesIO(compressed + gzip.compress(b"x")), chunk).trailing_data


def test_hash_gzip_stream_bad_input() -> None:
    assert hash_gzip_stream(io.BytesIO(b"plain text, not gzip")).sha256 is None
    body = bytes(range(256)) * 40
    # Like aws-cli's decompressobj loop: a cut-off stream hashes what it inflated (a mismatch, not an error) ...
    cut = gzip.compress(body, mtime=0)[:200]
    assert hash_gzip_stream(io.BytesIO(cut)).sha256 not in (None, hashlib.sha256(body).hexdigest())
    # ... and a missing CRC trailer alone goes unnoticed because the content hash still matches.
    assert hash_gzip_stream(io.BytesIO(gzip.compress(body)[:-8])).sha256 == hashlib.sha256(body).hexdigest()


def test_hash_gzip_stream_bounded_inflate_of_highly_compressible_data() -> None:
    body = b"\x00" * (20 << 20)  # 20 MiB of zeros compress to ~20 KiB: inflated in bounded steps
    result = hash_gzip_stream(io.BytesIO(gzip.compress(body, mtime=0)), 1 << 20)
    assert result.sha256 == hashlib.sha256(body).hexdigest()


def test_inflate_digest_reports_trailing_member() -> None:
    data, trailing = inflate_digest(gzip.compress(b"{}") + gzip.compress(b"[]"))
    assert (data, trailing) == (b"{}", True)
    assert inflate_digest(gzip.compress(b"{}")) == (b"{}", False)


def test_parse_digest_time() -> None:
    assert parse_digest_time("2015-08-17T14:01:31Z") == datetime(2015, 8, 17, 14, 1, 31, tzinfo=UTC)
    assert parse_digest_time("2015-08-17T16:01:31+02:00") == datetime(2015, 8, 17, 14, 1, 31, tzinfo=UTC)
    with pytest.raises(ValueError, match="^Unable to parse date value: soon$"):
        parse_digest_time("soon")
    with pytest.raises(ValueError):
        parse_digest_time(None)
