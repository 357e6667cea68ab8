"""CloudTrail digest files: building, signing, verifying and the ``validate-logs`` chain walk.

Pure engine: no files, no network, no printing. Objects come from an abstract :class:`DigestSource`; log hashing reads
the streams that source opens, in chunks, on a bounded thread pool. Behaviour follows
``shared/specs/digest-validation.md`` (aws-cli ``awscli/customizations/cloudtrail/validation.py``, cited as VAL).

Design choices (also listed in docs/digest-validation.md):

* [design choice] Times given as naive datetimes are UTC; aware ones are converted to UTC (aws-cli replaces the tzinfo
  without converting, which only differs for non-UTC offsets).
* [design choice] Public keys are loaded with ``cryptography``'s ``load_der_public_key``, which accepts PKCS#1 and SPKI;
  aws-cli v1/v2 reject SPKI. "Unable to load PKCS #1 key" is reported only when neither form loads.
* [design choice] A digest whose JSON is not an object, or whose ``logFiles`` is missing or not a list, is "invalid
  format" (aws-cli would crash or print a Python exception text).
* [design choice] Digest keys whose time stamp does not parse are skipped while listing (aws-cli aborts).
* [design choice] A source may report a digest's S3 metadata as unknown (``metadata=None``: a downloaded trail without
  a manifest). Such a digest is never valid: it is reported as "signature metadata missing", yet its structure is
  checked, its logs are hashed and the chain is followed. A digest reached through a newer digest's
  ``previousDigestSignature`` is verified with that signature, as the AWS custom-validation guide allows.
* Strict mode adds the checks aws-cli lacks (spec §0.5, §4.6); see :func:`validate_logs`.
"""

from __future__ import annotations

import binascii
import hashlib
import json
import threading
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, Protocol

if TYPE_CHECKING:  # cryptography and the thread pool are imported where used (start-up time)
    from concurrent.futures import Future, ThreadPoolExecutor

    from cryptography.hazmat.primitives.asymmetric import rsa

DATE_FORMAT = "%Y%m%dT%H%M%SZ"  # digest key time stamp
DISPLAY_DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # digest JSON times and CLI output
LOG_KEY_DATE_FORMAT = "%Y%m%dT%H%MZ"
SIGNATURE_ALGORITHM = "SHA256withRSA"
HASH_ALGORITHM = "SHA-256"
BACKFILL_SUFFIX = "_backfill.json.gz"
REQUIRED_DIGEST_KEYS = (
    "digestPublicKeyFingerprint",
    "digestS3Bucket",
    "digestS3Object",
    "previousDigestSignature",
    "digestEndTime",
    "digestStartTime",
)
DEFAULT_CHUNK_SIZE = 1 << 20
_MAX_INFLATE_STEP = 4 << 20  # bound the output of one decompress call (gzip bombs)


# --------------------------------------------------------------------------------------------------------------
# Times and key layouts


def to_utc(value: datetime) -> datetime:
    """Naive datetimes are UTC; aware ones are converted."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def format_display_date(value: datetime) -> str:
    return to_utc(value).strftime(DISPLAY_DATE_FORMAT)


def format_key_date(value: datetime) -> str:
    return to_utc(value).strftime(DATE_FORMAT)


def parse_digest_time(value: object) -> datetime:
    """Parse a digest JSON time (``YYYY-MM-DDTHH:MM:SSZ``; other ISO 8601 forms are accepted like dateutil does)."""
    if isinstance(value, str):
        try:
            if (len(value) == 20 and value.isascii() and value[4] + value[7] + value[10] + value[13] + value[16] + value[19]
                    == "--T::Z" and (value[:4] + value[5:7] + value[8:10] + value[11:13] + value[14:16] + value[17:19]).isdigit()):  # fmt: skip
                return datetime.fromisoformat(value[:19]).replace(tzinfo=UTC)  # the usual form, fast
            return datetime.strptime(value, DISPLAY_DATE_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            from dateutil import parser as date_parser  # pure; only needed for unusual forms

            try:
                return to_utc(date_parser.isoparse(value))
            except (ValueError, OverflowError):
                pass
    raise ValueError(f"Unable to parse date value: {value}")


def _account_root(account_id: str, prefix: str | None, organization_id: str | None) -> str:
    root = "AWSLogs/" + (f"{organization_id}/" if organization_id else "") + f"{account_id}/"
    return f"{prefix}/{root}" if prefix else root


def digest_key(
    account_id: str,
    source_region: str,
    trail_name: str,
    home_region: str,
    end_time: datetime,
    *,
    prefix: str | None = None,
    organization_id: str | None = None,
    backfill: bool = False,
) -> str:
    """``[prefix/]AWSLogs/[o-id/]<acct>/CloudTrail-Digest/<src>/YYYY/MM/DD/<acct>_CloudTrail-Digest_<src>_<trail>_<home>_<YYYYMMDDTHHmmssZ>.json.gz``."""
    end = to_utc(end_time)
    name = f"{account_id}_CloudTrail-Digest_{source_region}_{trail_name}_{home_region}_{end.strftime(DATE_FORMAT)}"
    name += BACKFILL_SUFFIX if backfill else ".json.gz"
    return (
        _account_root(account_id, prefix, organization_id)
        + f"CloudTrail-Digest/{source_region}/{end.strftime('%Y/%m/%d')}/{name}"
    )


def digest_listing_prefix(
    account_id: str, source_region: str, *, prefix: str | None = None, organization_id: str | None = None
) -> str:
    """The ListObjects prefix aws-cli uses (no trailing slash, VAL ``_create_digest_prefix``)."""
    return _account_root(account_id, prefix, organization_id) + f"CloudTrail-Digest/{source_region}"


def log_file_key(
    account_id: str,
    region: str,
    delivery_time: datetime,
    unique: str,
    *,
    prefix: str | None = None,
    organization_id: str | None = None,
) -> str:
    """``[prefix/]AWSLogs/[o-id/]<acct>/CloudTrail/<region>/YYYY/MM/DD/<acct>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz``."""
    if len(unique) != 16 or not unique.isalnum() or not unique.isascii():
        raise ValueError(f"log file unique string must be 16 ASCII letters or digits, got {unique!r}")
    t = to_utc(delivery_time)
    return (
        _account_root(account_id, prefix, organization_id)
        + f"CloudTrail/{region}/{t.strftime('%Y/%m/%d')}/"
        + f"{account_id}_CloudTrail_{region}_{t.strftime(LOG_KEY_DATE_FORMAT)}_{unique}.json.gz"
    )


def log_key_time(key: str) -> datetime | None:
    """Delivery time encoded in a log file key, or None when the name is not a CloudTrail log name."""
    name = key.rsplit("/", 1)[-1]
    parts = name.split("_")
    if len(parts) != 5 or parts[1] != "CloudTrail" or not parts[4].endswith(".json.gz"):
        return None
    try:
        return datetime.strptime(parts[3], LOG_KEY_DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def is_backfill_digest_key(key: str) -> bool:
    return key.endswith(BACKFILL_SUFFIX)


def extract_digest_key_date(key: str) -> str:
    """The ``YYYYMMDDTHHmmssZ`` part, read at fixed offsets from the end like aws-cli."""
    return key[-33:-17] if is_backfill_digest_key(key) else key[-24:-8]


def _is_digits(text: str) -> bool:
    return bool(text) and text.isdecimal()  # re's \d matches Unicode decimal digits too


def matches_digest_key(
    key: str,
    *,
    account_id: str,
    source_region: str,
    trail_name: str,
    home_region: str,
    prefix: str | None = None,
    organization_id: str | None = None,
) -> bool:
    """Linear-time equivalent of aws-cli's digest key regex (``\\d+/\\d+/\\d+/<acct>_..._<home>_.+\\.json\\.gz``)."""
    head = (
        digest_listing_prefix(account_id, source_region, prefix=prefix, organization_id=organization_id) + "/"
    )
    if not key.startswith(head):
        return False
    parts = key[len(head) :].split("/", 3)
    if len(parts) != 4 or not all(_is_digits(p) for p in parts[:3]):
        return False
    name = parts[3]
    start = f"{account_id}_CloudTrail-Digest_{source_region}_{trail_name}_{home_region}_"
    if not name.startswith(start) or not name.endswith(".json.gz"):
        return False
    middle = name[len(start) : len(name) - len(".json.gz")]
    return len(name) >= len(start) + len(".json.gz") + 1 and "\n" not in middle


# --------------------------------------------------------------------------------------------------------------
# Trail ARN


@dataclass(frozen=True)
class TrailArn:
    arn: str
    home_region: str
    account_id: str
    name: str


def parse_trail_arn(arn: str) -> TrailArn:
    """Check ``arn:.+:cloudtrail:.+:\\d{12}:trail/.+`` (prefix match, as aws-cli) without a backtracking regex."""
    i = arn.find(":cloudtrail:", 5)
    ok = arn.startswith("arn:") and i >= 5
    if ok:
        ok = False
        j = arn.find(":", i + len(":cloudtrail:") + 1)
        while j != -1:
            digits = arn[j + 1 : j + 13]
            if (
                len(digits) == 12
                and digits.isdecimal()
                and arn[j + 13 : j + 20] == ":trail/"
                and len(arn) > j + 20
            ):
                ok = True
                break
            j = arn.find(":", j + 1)
    if not ok:
        raise ValueError(f"Invalid trail ARN provided: {arn}")
    fields = arn.split(":")
    return TrailArn(arn=arn, home_region=fields[3], account_id=fields[4], name=arn.split("/")[-1])


# --------------------------------------------------------------------------------------------------------------
# Building, signing and verifying digests


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def log_file_entry(
    bucket: str, key: str, uncompressed: bytes, newest_event_time: str, oldest_event_time: str
) -> dict[str, Any]:
    """One ``logFiles[]`` item; the hash covers the *uncompressed* log bytes."""
    return {
        "s3Bucket": bucket,
        "s3Object": key,
        "hashValue": sha256_hex(uncompressed),
        "hashAlgorithm": HASH_ALGORITHM,
        "newestEventTime": newest_event_time,
        "oldestEventTime": oldest_event_time,
    }


@dataclass(frozen=True)
class PreviousDigest:
    """What a digest records about its predecessor."""

    bucket: str
    key: str
    inflated: bytes  # exact uncompressed bytes of the previous digest
    signature: str  # hex signature of the previous digest


def build_digest(
    *,
    account_id: str,
    bucket: str,
    key: str,
    start_time: datetime,
    end_time: datetime,
    fingerprint: str,
    log_files: Sequence[Mapping[str, Any]],
    previous: PreviousDigest | None,
) -> dict[str, Any]:
    """A digest dict in the documented field order; ``previous=None`` makes a starting digest."""
    newest = [str(lf["newestEventTime"]) for lf in log_files]
    oldest = [str(lf["oldestEventTime"]) for lf in log_files]
    return {
        "awsAccountId": account_id,
        "digestStartTime": format_display_date(start_time),
        "digestEndTime": format_display_date(end_time),
        "digestS3Bucket": bucket,
        "digestS3Object": key,
        "digestPublicKeyFingerprint": fingerprint,
        "digestSignatureAlgorithm": SIGNATURE_ALGORITHM,
        # Same-format UTC strings sort chronologically.
        "newestEventTime": max(newest) if newest else None,
        "oldestEventTime": min(oldest) if oldest else None,
        "previousDigestS3Bucket": previous.bucket if previous else None,
        "previousDigestS3Object": previous.key if previous else None,
        "previousDigestHashValue": sha256_hex(previous.inflated) if previous else None,
        "previousDigestHashAlgorithm": HASH_ALGORITHM if previous else None,
        "previousDigestSignature": previous.signature if previous else None,
        "logFiles": [dict(lf) for lf in log_files],
    }


def serialize_digest(digest: Mapping[str, Any]) -> bytes:
    """Compact JSON; the signature covers these exact bytes, so never re-serialise a signed digest."""
    return json.dumps(digest, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def string_to_sign(digest: Mapping[str, Any], inflated: bytes) -> bytes:
    """``end\\nbucket/key\\nsha256(inflated)\\nprevSig|null`` as UTF-8, no trailing newline (VAL ``_create_string_to_sign``)."""
    prev = digest["previousDigestSignature"]
    prev_text = "null" if prev is None else prev
    return (
        f"{digest['digestEndTime']}\n{digest['digestS3Bucket']}/{digest['digestS3Object']}\n"
        f"{sha256_hex(inflated)}\n{prev_text}"
    ).encode()


def sign_digest(private_key: rsa.RSAPrivateKey, digest: Mapping[str, Any], inflated: bytes) -> str:
    """Lowercase hex RSASSA-PKCS1-v1_5/SHA-256 signature, as stored in ``x-amz-meta-signature``."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    return private_key.sign(string_to_sign(digest, inflated), padding.PKCS1v15(), hashes.SHA256()).hex()


def public_key_der(public_key: rsa.RSAPublicKey) -> bytes:
    """DER PKCS#1 RSAPublicKey: the form ListPublicKeys returns."""
    from cryptography.hazmat.primitives import serialization

    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)


def public_key_fingerprint(der: bytes) -> str:
    """Lowercase hex MD5 of the DER bytes exactly as published."""
    return hashlib.md5(der, usedforsecurity=False).hexdigest()


class PublicKeyLoadError(ValueError):
    """DER bytes that are neither PKCS#1 nor SPKI RSA."""


def _der_length(data: bytes, i: int) -> tuple[int, int] | None:
    """(length, offset of the content) of the DER length at ``data[i]``, minimal encodings only."""
    if i >= len(data):
        return None
    first = data[i]
    if first < 0x80:
        return first, i + 1
    n = first & 0x7F
    if not 1 <= n <= 4 or i + 1 + n > len(data) or data[i + 1] == 0:
        return None
    length = int.from_bytes(data[i + 1 : i + 1 + n], "big")
    return (length, i + 1 + n) if length >= 0x80 else None


def _der_positive_int(data: bytes, i: int) -> tuple[int, int] | None:
    """(value, next offset) of a minimal, positive DER INTEGER at ``data[i]``."""
    if i >= len(data) or data[i] != 0x02:
        return None
    got = _der_length(data, i + 1)
    if got is None or got[0] == 0 or got[1] + got[0] > len(data):
        return None
    length, start = got
    body = data[start : start + length]
    if body[0] & 0x80 or (length > 1 and body[0] == 0 and not body[1] & 0x80):
        return None  # negative, or not minimal
    return int.from_bytes(body, "big"), start + length


def _pkcs1_numbers(der: bytes) -> tuple[int, int] | None:
    """(n, e) of a strict DER PKCS#1 ``RSAPublicKey`` (SEQUENCE of two positive INTEGERs, nothing after), else
    None. The form CloudTrail publishes, read without ``cryptography``'s serialization module (~15 ms to import)."""
    if not der or der[0] != 0x30:
        return None
    got = _der_length(der, 1)
    if got is None or got[1] + got[0] != len(der):
        return None
    n = _der_positive_int(der, got[1])
    e = _der_positive_int(der, n[1]) if n is not None else None
    if n is None or e is None or e[1] != len(der):
        return None
    return n[0], e[0]


def load_rsa_public_key(der: bytes) -> rsa.RSAPublicKey:
    from cryptography.hazmat.primitives.asymmetric import rsa

    numbers = _pkcs1_numbers(der)
    if numbers is not None:
        try:
            return rsa.RSAPublicNumbers(numbers[1], numbers[0]).public_key()
        except ValueError:
            pass  # numbers the key type refuses: the full loader decides
    from cryptography.hazmat.primitives import serialization

    try:
        key = serialization.load_der_public_key(der)
    except (ValueError, TypeError) as exc:
        raise PublicKeyLoadError("not a DER RSA public key (PKCS#1 or SPKI)") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise PublicKeyLoadError("not an RSA public key")
    return key


def verify_signature(
    public_key: bytes | rsa.RSAPublicKey, digest: Mapping[str, Any], inflated: bytes, signature_hex: str
) -> bool:
    """True when ``signature_hex`` signs the digest's string-to-sign. Raises ValueError on non-hex signatures."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    key = load_rsa_public_key(public_key) if isinstance(public_key, bytes) else public_key
    signature = binascii.unhexlify(signature_hex)
    try:
        key.verify(signature, string_to_sign(digest, inflated), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def inflate_digest(body: bytes) -> tuple[bytes, bool]:
    """Gunzip the first gzip member like ``zlib.decompress(body, MAX_WBITS | 16)``; also say if data follows it."""
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    data = inflater.decompress(body) + inflater.flush()
    if not inflater.eof:
        raise zlib.error("incomplete or truncated stream")
    return data, bool(inflater.unused_data)


@dataclass(frozen=True)
class PublicKeyInfo:
    """A CloudTrail public key: DER bytes exactly as published, and the published fingerprint."""

    fingerprint: str
    der: bytes
    validity_start: datetime | None = None
    validity_end: datetime | None = None
    # The accounts whose digests this key may verify (a local account's own key); None = any account (AWS keys
    # are per Region, not per account).
    accounts: frozenset[str] | None = None

    def overlaps(self, start: datetime, end: datetime) -> bool:
        if self.validity_start is not None and to_utc(self.validity_start) > to_utc(end):
            return False
        return not (self.validity_end is not None and to_utc(self.validity_end) < to_utc(start))


# --------------------------------------------------------------------------------------------------------------
# Log hashing


@dataclass(frozen=True)
class LogHash:
    sha256: str | None  # None when the stream is not gzip
    trailing_data: bool


def hash_gzip_stream(
    stream: BinaryIO, chunk_size: int = DEFAULT_CHUNK_SIZE, on_bytes: Callable[[int], None] | None = None
) -> LogHash:
    """Streamed gunzip + SHA-256 of the uncompressed bytes; bytes after the first gzip member are flagged.

    [design choice] zlib only, as aws-cli: its verdicts are aws-cli's by construction. ISA-L (python-isal, ~3x
    faster) was used here with zlib as the fallback, but on damaged streams it inflates some that zlib refuses (a
    dynamic block whose distance code set is incomplete: zlib's "invalid distances set"), and its output then
    matches the digest's hash: a pass where aws-cli reports the file invalid. The hashing runs in worker processes
    (awsmon.filehash), which is what keeps validate-digest within its time budget.
    """
    result = _inflate_and_hash(stream.read(chunk_size), stream, chunk_size, on_bytes)
    return LogHash(None, False) if result is None else LogHash(result[0], result[1])


def _inflate_and_hash(
    chunk: bytes,
    stream: BinaryIO,
    chunk_size: int,
    on_bytes: Callable[[int], None] | None,
) -> tuple[str, bool, bool] | None:
    """(sha256 hex, trailing data, member complete) of the first gzip member, or None on an inflate error."""
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    digest = hashlib.sha256()
    trailing = False
    try:
        while chunk:
            if on_bytes is not None:
                on_bytes(len(chunk))
            if inflater.eof:
                trailing = True  # keep reading only for the progress count
            else:
                digest.update(inflater.decompress(chunk, _MAX_INFLATE_STEP))
                while inflater.unconsumed_tail and not inflater.eof:
                    digest.update(inflater.decompress(inflater.unconsumed_tail, _MAX_INFLATE_STEP))
            chunk = stream.read(chunk_size)
        digest.update(inflater.flush())
    except zlib.error:
        return None
    return digest.hexdigest(), trailing or bool(inflater.unused_data), bool(inflater.eof)


# Outcome of hashing one local file: (status, sha256 hex, trailing data); status is "ok", "not_found",
# "invalid_format" or "access_denied: <text>".
FileOutcome = tuple[str, str | None, bool]


class HashBatch(Protocol):
    def result(self) -> list[FileOutcome]: ...


class LocalFileHasher(Protocol):
    """Hashes local files elsewhere (``awsmon.filehash.FileHasher``: worker processes), driven by the caller's
    thread: ``on_done`` runs inside ``submit``, ``pump`` or ``result`` when a batch comes back."""

    def submit(self, paths: list[str], chunk_size: int, on_done: Callable[[], None] | None = None) -> HashBatch: ...

    def pump(self, block: bool) -> None: ...


# --------------------------------------------------------------------------------------------------------------
# Sources


class ObjectNotFound(Exception):
    """The object does not exist (S3 NoSuchKey)."""


class SourceAccessError(Exception):
    """Any other source error (AccessDenied, KMS, ...): aborts the run like a botocore ClientError in aws-cli."""


@dataclass(frozen=True)
class SourceObject:
    body: bytes
    # S3 user metadata (``signature``, ``signature-algorithm``, ...); None when the source cannot know it.
    metadata: Mapping[str, str] | None


class DigestSource(Protocol):
    def list_keys(self, bucket: str, prefix: str, start_after: str | None) -> Iterable[str]:
        """Keys of ``bucket`` starting with ``prefix`` and sorting after ``start_after``, in S3 (byte) order."""
        ...

    def get_object(self, bucket: str, key: str) -> SourceObject:
        """Whole object plus its user metadata; raises ObjectNotFound / SourceAccessError."""
        ...

    def open_object(self, bucket: str, key: str) -> BinaryIO:
        """A readable stream over the object (``read(n)``); raises ObjectNotFound / SourceAccessError."""
        ...

    def list_public_keys(self, start: datetime, end: datetime) -> list[PublicKeyInfo]:
        """CloudTrail public keys valid in [start, end]."""
        ...


# --------------------------------------------------------------------------------------------------------------
# Report

# "accepted": a digest without its signature metadata, accepted by the caller (--allow-unsigned-newest); it counts
# as valid and is reported with a warning line.
Verdict = Literal["valid", "accepted", "invalid", "not-found", "missing", "signature-missing"]
PASSING = ("valid", "accepted")


@dataclass
class FileResult:
    kind: Literal["digest", "log"]
    bucket: str
    key: str
    verdict: Verdict
    category: str | None  # None when valid
    message: str  # the aws-cli style line
    backfill: bool = False
    strict: bool = False  # found only by a strict-mode check
    extra: list[tuple[str, str]] = field(default_factory=list)  # further (category, message) findings


@dataclass
class Notice:
    category: str  # "gap"
    message: str
    backfill: bool = False


class _Count:
    """A report's count of files of one kind (digest or log; backfill or not, None = both) that passed or not."""

    def __init__(self, kind: str, backfill: bool | None, passing: bool) -> None:
        self.kind, self.backfill, self.passing = kind, backfill, passing

    def __get__(self, report: ValidationReport, owner: type | None = None) -> int:
        return sum(1 for f in report.files if f.kind == self.kind and self.backfill in (None, f.backfill)
                   and (f.verdict in PASSING) == self.passing)  # fmt: skip


@dataclass
class ValidationReport:
    trail_arn: str
    start: datetime
    end: datetime
    strict: bool
    verbose: bool
    files: list[FileResult] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    chunks: list[tuple[Literal["stdout", "stderr"], str]] = field(
        default_factory=list
    )  # exact output, in order
    found_start: datetime | None = None
    found_end: datetime | None = None
    header_emitted: bool = False  # the first chunk (the header) was already given to ``on_header``

    valid_digests = _Count("digest", False, True)
    invalid_digests = _Count("digest", False, False)
    valid_backfill_digests = _Count("digest", True, True)
    invalid_backfill_digests = _Count("digest", True, False)
    valid_logs = _Count("log", None, True)
    invalid_logs = _Count("log", None, False)

    @property
    def ok(self) -> bool:
        return all(f.verdict in PASSING for f in self.files)

    @property
    def verified_digests(self) -> int:
        """Digests whose signature was verified (what makes a run more than "nothing validated")."""
        return sum(1 for f in self.files if f.kind == "digest" and f.verdict == "valid")

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def text(self, stream: Literal["stdout", "stderr"]) -> str:
        return "".join(text for where, text in self.chunks if where == stream)

    @property
    def stdout_text(self) -> str:
        return self.text("stdout")

    @property
    def stderr_text(self) -> str:
        return self.text("stderr")

    @property
    def stdout_lines(self) -> list[str]:
        return self.stdout_text.splitlines()

    @property
    def stderr_lines(self) -> list[str]:
        return [line for line in self.stderr_text.splitlines() if line]


class DigestValidationFatal(Exception):
    """Aborts the run (aws-cli v1 exit code 255)."""

    exit_code = 255

    def __init__(self, message: str, category: str) -> None:
        super().__init__(message)
        self.category = category
        # What aws-cli had printed before aborting (the start line and the statuses so far); None before the walk.
        self.partial: ValidationReport | None = None

    @property
    def stdout_text(self) -> str:
        return self.partial.stdout_text if self.partial is not None else ""

    @property
    def stderr_text(self) -> str:
        """Partial statuses, then the message as aws-cli's driver prints it (``\n<message>\n``)."""
        before = self.partial.stderr_text if self.partial is not None else ""
        return f"{before}\n{self}\n"


# --------------------------------------------------------------------------------------------------------------
# The chain walk


class _DigestError(Exception):
    """An INVALID digest; ``str()`` is the full aws-cli line."""

    def __init__(self, message: str, category: str, verdict: Verdict = "invalid") -> None:
        super().__init__(message)
        self.category = category
        self.verdict = verdict


def _line(kind: str, bucket: str, key: str, status: str) -> str:
    return f"{kind} file\ts3://{bucket}/{key}\t{status}"


@dataclass
class _Event:
    """One status in output order; log results are resolved from their future at render time."""

    result: FileResult | None = None
    future: Future[FileResult] | None = None  # a log hashed on a thread (a remote source)
    batch: tuple[HashBatch, int, Mapping[str, Any]] | None = None  # a local log: (its batch, index, the entry)
    notice: Notice | None = None

    def resolve(self) -> FileResult | None:
        if self.future is not None:
            return self.future.result()
        if self.batch is not None:
            batch, n, log = self.batch
            outcome = batch.result()[n]
            if outcome[0].startswith("access_denied: "):
                raise SourceAccessError(outcome[0][len("access_denied: ") :])
            return _log_result(log, *outcome)
        return self.result


@dataclass
class _Loaded:
    digest: dict[str, Any]
    inflated: bytes
    end: datetime
    signature: str | None
    signature_missing: bool
    trailing: bool = False
    key_info: PublicKeyInfo | None = None
    metadata: Mapping[str, str] | None = None


class _Walker:
    def __init__(
        self,
        source: DigestSource,
        trail: TrailArn,
        *,
        bucket: str,
        prefix: str | None,
        start: datetime,
        end: datetime,
        account_id: str,
        source_region: str,
        organization_id: str | None,
        strict: bool,
        latest_digest_delivery_time: datetime | None,
        max_workers: int,
        chunk_size: int,
        on_progress: Callable[[int, int | None], None] | None,
        hasher: LocalFileHasher | None = None,
        allow_unsigned: bool = False,
        context_from: datetime | None = None,
    ) -> None:
        self.source = source
        self.trail = trail
        self.bucket = bucket
        self.prefix = prefix
        self.start = start
        self.end = end
        self.account_id = account_id
        self.source_region = source_region
        self.organization_id = organization_id
        self.strict = strict
        self.latest_delivery = latest_digest_delivery_time
        self.max_workers = max_workers
        self.executor: ThreadPoolExecutor | None = None  # made on the first log a hasher cannot take
        self.chunk_size = chunk_size
        self.on_progress = on_progress
        self.events: list[_Event] = []
        self.listing_cache: dict[tuple[str, str | None, datetime, datetime], tuple[list[str], list[str]]] = {}
        self.found_start: datetime | None = None
        self.found_end: datetime | None = None
        self.referenced_logs: set[tuple[str, str]] = set()
        self.verified_windows: list[tuple[datetime, datetime]] = []
        self._progress_lock = threading.Lock()
        self._done = 0  # files checked (digests and logs)
        self._total = 0  # files known so far (listed digests, queued logs)
        self.hasher = hasher
        self.allow_unsigned = allow_unsigned
        # Digests keyed at or after this time lie outside the requested folder: chain context only (see traverse).
        self.context_from = context_from
        self._batch: list[tuple[Mapping[str, Any], str, _Event]] = []
        self._keys: dict[bytes, rsa.RSAPublicKey] = {}  # loaded once per key, not per digest

    # -- listing -------------------------------------------------------------------------------------------------
    def _digest_key_for(self, when: datetime, backfill: bool = False) -> str:
        return digest_key(
            self.account_id,
            self.source_region,
            self.trail.name,
            self.trail.home_region,
            when,
            prefix=self.prefix,
            organization_id=self.organization_id,
            backfill=backfill,
        )

    def list_digests(self, bucket: str, end: datetime, backfill: bool) -> list[str]:
        cache_key = (bucket, self.prefix, self.start, end)
        if cache_key not in self.listing_cache:
            standard: list[str] = []
            backfills: list[str] = []
            marker = self._digest_key_for(self.start - timedelta(minutes=1))
            list_prefix = digest_listing_prefix(
                self.account_id, self.source_region, prefix=self.prefix, organization_id=self.organization_id
            )
            target_start = format_key_date(self.start)
            target_end = format_key_date(end + timedelta(hours=1))  # logs that spilled into the next hour
            try:
                for key in self.source.list_keys(bucket, list_prefix, marker):
                    if not matches_digest_key(
                        key,
                        account_id=self.account_id,
                        source_region=self.source_region,
                        trail_name=self.trail.name,
                        home_region=self.trail.home_region,
                        prefix=self.prefix,
                        organization_id=self.organization_id,
                    ):
                        continue
                    extracted = extract_digest_key_date(key)
                    if extracted > target_end:  # lexicographic, as aws-cli
                        break
                    if extracted < target_start or _key_date(key) is None:
                        continue
                    (backfills if is_backfill_digest_key(key) else standard).append(key)
            except SourceAccessError as exc:
                raise DigestValidationFatal(str(exc), "access_denied") from exc
            self.listing_cache[cache_key] = (standard, backfills)
        standard, backfills = self.listing_cache[cache_key]
        return backfills if backfill else standard

    # -- public keys ---------------------------------------------------------------------------------------------
    def load_public_keys(self, start: datetime, end: datetime) -> dict[str, PublicKeyInfo]:
        try:
            keys = self.source.list_public_keys(start, end)
        except SourceAccessError as exc:
            raise DigestValidationFatal(str(exc), "access_denied") from exc
        if not keys:
            raise _NoPublicKeys(
                f"No public keys found between {format_display_date(start)} and {format_display_date(end)}"
            )
        return {k.fingerprint: k for k in keys}

    # -- one digest ----------------------------------------------------------------------------------------------
    def load_and_validate(
        self,
        public_keys: dict[str, PublicKeyInfo],
        bucket: str,
        key: str,
        backfill: bool,
        chained_signature: str | None,
    ) -> _Loaded:
        try:
            obj = self.source.get_object(bucket, key)
        except SourceAccessError as exc:
            raise DigestValidationFatal(str(exc), "access_denied") from exc
        fmt = _DigestError(_line("Digest", bucket, key, "INVALID: invalid format"), "invalid_format")
        try:
            inflated, trailing = inflate_digest(obj.body)
            digest = json.loads(inflated.decode())
        except (ValueError, zlib.error):
            raise fmt from None
        if not isinstance(digest, dict):
            raise fmt
        metadata = obj.metadata
        signature: str | None = None
        signature_missing = False
        if metadata is None:
            signature = chained_signature
            signature_missing = signature is None
        elif "signature" not in metadata or "signature-algorithm" not in metadata:
            raise _DigestError(
                _line("Digest", bucket, key, "INVALID: signature verification failed"), "signature_failed"
            )
        else:
            signature = metadata["signature"]
        if backfill and metadata is not None and "backfill-generation-timestamp" not in metadata:
            raise fmt
        for required in REQUIRED_DIGEST_KEYS:
            if required not in digest:
                raise fmt
        if digest["digestS3Bucket"] != bucket or digest["digestS3Object"] != key:
            raise _DigestError(
                _line("Digest", bucket, key, "INVALID: has been moved from its original location"), "moved"
            )
        if not isinstance(digest.get("logFiles"), list):
            raise fmt
        # The chain pointers become S3 keys: anything but a string or null cannot be followed.
        if any(not isinstance(digest.get(k), str | None) for k in ("previousDigestS3Bucket", "previousDigestS3Object")):
            raise fmt
        fingerprint = digest["digestPublicKeyFingerprint"]
        if signature_missing:
            # Nothing to verify against: structure checked, the chain can still be followed.
            return _Loaded(digest, inflated, parse_digest_time(digest["digestEndTime"]), None, True, trailing)
        if fingerprint not in public_keys and backfill and metadata is not None:
            generated = parse_digest_time(metadata["backfill-generation-timestamp"])
            public_keys.update(
                self.load_public_keys(generated - timedelta(hours=1), generated + timedelta(hours=1))
            )
        if not isinstance(fingerprint, str) or fingerprint not in public_keys:
            raise _DigestError(
                _line(
                    "Digest",
                    bucket,
                    key,
                    f"INVALID: public key not found in region {self.trail.home_region} for fingerprint {fingerprint}",
                ),
                "public_key_not_found",
            )
        key_info = public_keys[fingerprint]
        if key_info.accounts is not None and digest.get("awsAccountId") not in key_info.accounts:
            # A local account's own key verifies only that account's digests (a foreign trail is never "valid"
            # because it happens to be signed with a key awsmon holds).
            raise _DigestError(
                _line(
                    "Digest",
                    bucket,
                    key,
                    f"INVALID: public key not found in region {self.trail.home_region} for fingerprint {fingerprint}",
                ),
                "public_key_not_found",
            )
        try:
            rsa_key = self._keys.get(key_info.der) or load_rsa_public_key(key_info.der)
            self._keys[key_info.der] = rsa_key
        except PublicKeyLoadError:
            raise _DigestError(
                _line(
                    "Digest",
                    bucket,
                    key,
                    f"INVALID: Unable to load PKCS #1 key with fingerprint {fingerprint}",
                ),
                "public_key_unloadable",
            ) from None
        assert signature is not None
        if not verify_signature(rsa_key, digest, inflated, signature):
            raise _DigestError(
                _line("Digest", bucket, key, "INVALID: signature verification failed"), "signature_failed"
            )
        return _Loaded(
            digest,
            inflated,
            parse_digest_time(digest["digestEndTime"]),
            signature,
            False,
            trailing,
            key_info,
            metadata,
        )

    # -- strict checks on a verified digest ----------------------------------------------------------------------
    def strict_findings(self, bucket: str, key: str, loaded: _Loaded) -> list[tuple[str, str]]:
        d = loaded.digest
        found: list[tuple[str, str]] = []

        def add(category: str, status: str) -> None:
            found.append((category, _line("Digest", bucket, key, f"INVALID: {status}")))

        if loaded.trailing:
            add("digest_trailing_data", "unexpected data after end of compressed stream")
        key_info = loaded.key_info
        if key_info is not None and public_key_fingerprint(key_info.der) != key_info.fingerprint:
            add(
                "fingerprint_md5_mismatch",
                f"public key fingerprint {key_info.fingerprint} is not the MD5 of its DER bytes "
                f"({public_key_fingerprint(key_info.der)})",
            )
        metadata = loaded.metadata
        algorithms = [("digestSignatureAlgorithm", d.get("digestSignatureAlgorithm"), SIGNATURE_ALGORITHM)]
        if metadata is not None:
            algorithms.append(
                ("signature-algorithm", metadata.get("signature-algorithm"), SIGNATURE_ALGORITHM)
            )
        algorithms += [
            ("logFiles[].hashAlgorithm", lf.get("hashAlgorithm"), HASH_ALGORITHM)
            for lf in d["logFiles"]
            if isinstance(lf, dict)
        ]
        for name, value, expected in algorithms:
            if value != expected:
                add("algorithm_unexpected", f"unexpected {name} {value!r} (expected {expected})")
                break
        if d.get("awsAccountId") != self.account_id:
            add(
                "account_or_region_mismatch",
                f"awsAccountId {d.get('awsAccountId')} is not account {self.account_id}",
            )
        return found

    # -- logs ----------------------------------------------------------------------------------------------------
    def _progress(self, done: int = 0, total: int = 0) -> None:
        """Count checked files (``done``) and newly known ones (``total``); report (done, total) serialised."""
        with self._progress_lock:  # callers get serialised, monotonic calls
            self._done += done
            self._total += total
            if self.on_progress is not None:
                self.on_progress(self._done, self._total)

    def _check_log(self, log: Mapping[str, Any]) -> FileResult:
        bucket = str(log.get("s3Bucket", ""))
        key = str(log.get("s3Object", ""))

        def result(verdict: Verdict, category: str | None, status: str) -> FileResult:
            return FileResult("log", bucket, key, verdict, category, _line("Log", bucket, key, status))

        try:
            stream = self.source.open_object(log["s3Bucket"], log["s3Object"])
            try:
                outcome = hash_gzip_stream(stream, self.chunk_size)
            finally:
                close = getattr(stream, "close", None)
                if close is not None:
                    close()
        except ObjectNotFound:
            return result("not-found", "not_found", "INVALID: not found")
        except SourceAccessError:
            raise
        except Exception:  # aws-cli: any other failure is "invalid format"
            return result("invalid", "invalid_format", "INVALID: invalid format")
        if outcome.sha256 is None:
            return result("invalid", "invalid_format", "INVALID: invalid format")
        return _log_result(log, "ok", outcome.sha256, outcome.trailing_data)

    def _checked_log(self, log: Mapping[str, Any]) -> FileResult:
        result = self._check_log(log)
        self._progress(done=1)
        return result

    def queue_logs(self, digest: Mapping[str, Any]) -> None:
        local_file = getattr(self.source, "local_file", None) if self.hasher is not None else None
        logs = digest["logFiles"]
        self._progress(total=len(logs))
        for log in logs:
            if not isinstance(log, dict):
                log = {}
            bucket, key = log.get("s3Bucket"), log.get("s3Object")
            self.referenced_logs.add((str(log.get("s3Bucket", "")), str(log.get("s3Object", ""))))
            path = local_file(bucket, key) if local_file is not None and type(bucket) is str and type(key) is str else None
            if path is None:
                self.events.append(_Event(future=self._thread_pool().submit(self._checked_log, log)))
                continue
            event = _Event()
            self._batch.append((log, path, event))
            self.events.append(event)
            if len(self._batch) >= _BATCH:
                self.flush_batch()
        if self.hasher is not None:
            self.hasher.pump(block=False)  # collect what came back (progress), keep every worker fed

    def _thread_pool(self) -> ThreadPoolExecutor:
        if self.executor is None:
            from concurrent.futures import ThreadPoolExecutor

            self.executor = ThreadPoolExecutor(max_workers=max(1, self.max_workers), thread_name_prefix="digest-log")
        return self.executor

    def flush_batch(self) -> None:
        """Hand the collected local files to the hasher; each log's event resolves from the batch's outcomes."""
        batch, self._batch = self._batch, []
        if not batch or self.hasher is None:
            return
        size = len(batch)
        handle = self.hasher.submit([path for _, path, _ in batch], self.chunk_size,
                                    lambda: self._progress(done=size))  # fmt: skip
        for n, (log, _path, event) in enumerate(batch):
            event.batch = (handle, n, log)

    # -- found-times (VAL ``_track_found_times``) ----------------------------------------------------------------
    def track_found_times(self, digest: Mapping[str, Any]) -> None:
        start = max(parse_digest_time(digest["digestStartTime"]), self.start)
        if self.found_start is None or start < self.found_start:
            self.found_start = start
        end = min(parse_digest_time(digest["digestEndTime"]), self.end)
        if self.found_end is None or end > self.found_end:
            self.found_end = end

    # -- the traversal (VAL ``_traverse_digest_chain``) ----------------------------------------------------------
    def traverse(self, backfill: bool) -> None:
        bucket = self.bucket
        digests = list(self.list_digests(bucket, self.end, backfill))
        tag = "(backfill) " if backfill else ""
        if backfill:
            public_keys: dict[str, PublicKeyInfo] = {}
        else:
            try:
                # The 2-hour margin covers key rotation near the end of the range (aws-cli PR #10072).
                public_keys = self.load_public_keys(self.start, self.end + timedelta(hours=2))
            except _NoPublicKeys as exc:
                raise DigestValidationFatal(str(exc), "no_public_keys") from exc
        key, key_date = _pop_last(digests)
        if self.strict and not backfill:
            self.check_newest(bucket, key_date)
        last_start = key_date
        chained_signature: str | None = None
        newer: tuple[str, _Loaded] | None = None  # the digest whose previous pointer led to ``key``
        while key is not None and last_start is not None and self.start <= last_start:
            current = _key_date(key)
            context = self.context_from is not None and current is not None and current >= self.context_from
            outside_errors: tuple[type[Exception], ...] = (Exception,) if context else ()
            try:
                loaded = self.load_and_validate(public_keys, bucket, key, backfill, chained_signature)
                digest = loaded.digest
                last_start = parse_digest_time(digest["digestStartTime"])
                previous_bucket = digest.get("previousDigestS3Bucket")
                previous_key = digest.get("previousDigestS3Object")
                if context:
                    self.record_context(loaded)
                else:
                    self.record_digest(bucket, key, loaded, newer, backfill, tag)
                if previous_bucket is None or previous_key is None:
                    key, next_date = _find_next(digests, key)
                    if key is not None and next_date is not None:
                        notice = Notice(
                            "gap",
                            f"{tag}No log files were delivered by CloudTrail between "
                            f"{format_display_date(next_date)} and {format_display_date(last_start)}",
                            backfill,
                        )
                        self.events.append(_Event(notice=notice))
                    chained_signature, newer = None, None
                else:
                    chained_signature = digest.get("previousDigestSignature")
                    newer = (key, loaded)
                    key = previous_key
                    if previous_bucket != bucket:
                        bucket = previous_bucket
                        digests = list(self.list_digests(bucket, loaded.end, backfill))
            except DigestValidationFatal:
                raise
            except outside_errors:  # a digest outside the folder: nothing reported
                key, _ = _find_next(digests, key)  # the walk goes on with the next-older listed key
                chained_signature, newer = None, None
            except ObjectNotFound:
                self.add_digest(
                    FileResult(
                        "digest",
                        bucket,
                        key,
                        "not-found",
                        "not_found",
                        tag + _line("Digest", bucket, key, "INVALID: not found"),
                        backfill,
                    )
                )
                key = self.skip_to_next(digests, bucket, key, backfill, tag)
                chained_signature, newer = None, None
            except _DigestError as exc:
                self.add_digest(
                    FileResult("digest", bucket, key, exc.verdict, exc.category, tag + str(exc), backfill)
                )
                key = self.skip_to_next(digests, bucket, key, backfill, tag)
                chained_signature, newer = None, None
            except Exception as exc:  # aws-cli prints any other exception text (e.g. a bad hex signature)
                status = f"INVALID: {exc}"
                self.add_digest(
                    FileResult(
                        "digest",
                        bucket,
                        key,
                        "invalid",
                        "other_error",
                        tag + _line("Digest", bucket, key, status),
                        backfill,
                    )
                )
                key = self.skip_to_next(digests, bucket, key, backfill, tag)
                chained_signature, newer = None, None

    def skip_to_next(
        self, digests: list[str], bucket: str, failed_key: str, backfill: bool, tag: str
    ) -> str | None:
        """Continue with the next-older listed key; strict mode reports the hourly digests skipped over.

        [design choice] Digests are hourly with a constant seconds offset, so every whole hour between the failed
        key and the next listed one is a digest aws-cli silently skipped (aws/aws-cli#7054).
        """
        next_key, next_date = _find_next(digests, failed_key)
        failed_date = _key_date(failed_key)
        if self.strict and next_date is not None and failed_date is not None:
            when = failed_date - timedelta(hours=1)
            while when - next_date > timedelta(minutes=30) and when >= self.start:
                missing = self._digest_key_for(when, backfill)
                self.add_digest(
                    FileResult(
                        "digest",
                        bucket,
                        missing,
                        "missing",
                        "consecutive_digests_missing",
                        tag
                        + _line("Digest", bucket, missing, "INVALID: not found (consecutive digest missing)"),
                        backfill,
                        strict=True,
                    )
                )
                when -= timedelta(hours=1)
        return next_key

    def check_newest(self, bucket: str, newest_date: datetime | None) -> None:
        """Strict: digests expected after the newest listed one (hourly cadence) but absent."""
        if newest_date is None:
            return
        until = to_utc(self.latest_delivery) if self.latest_delivery is not None else self.end
        when = newest_date + timedelta(hours=1)
        while when <= until:
            missing = self._digest_key_for(when)
            self.add_digest(
                FileResult(
                    "digest",
                    bucket,
                    missing,
                    "missing",
                    "newest_digest_missing",
                    _line("Digest", bucket, missing, "INVALID: not found (newest digest missing)"),
                    strict=True,
                )
            )
            when += timedelta(hours=1)

    def record_context(self, loaded: _Loaded) -> None:
        """A digest outside the requested folder (``context_from``): never reported or counted; it vouches for the
        next-older digest's signature, and its verified logs delivered inside the folder's period are checked."""
        if loaded.signature_missing or self.context_from is None:
            return
        inside = [lf for lf in loaded.digest["logFiles"] if isinstance(lf, dict)
                  and (when := log_key_time(str(lf.get("s3Object", "")))) is not None and when < self.context_from]  # fmt: skip
        if inside:
            self.queue_logs({"logFiles": inside})

    def add_digest(self, result: FileResult) -> None:
        self._progress(done=1, total=1)
        self.events.append(_Event(result=result))

    def record_digest(
        self,
        bucket: str,
        key: str,
        loaded: _Loaded,
        newer: tuple[str, _Loaded] | None,
        backfill: bool,
        tag: str,
    ) -> None:
        digest = loaded.digest
        if loaded.signature_missing and self.allow_unsigned:
            result = FileResult(
                "digest",
                bucket,
                key,
                "accepted",
                "signature_metadata_missing",
                tag + _line("Digest", bucket, key, "WARNING: signature metadata missing, accepted "
                            "(--allow-unsigned-newest): its signature was not verified"),
                backfill,
            )
        elif loaded.signature_missing:
            result = FileResult(
                "digest",
                bucket,
                key,
                "signature-missing",
                "signature_metadata_missing",
                tag + _line("Digest", bucket, key, "INVALID: signature metadata missing"),
                backfill,
            )
        else:
            result = FileResult(
                "digest", bucket, key, "valid", None, tag + _line("Digest", bucket, key, "valid"), backfill
            )
        findings: list[tuple[str, str]] = []
        if self.strict:
            if not loaded.signature_missing:
                findings += self.strict_findings(bucket, key, loaded)
            if newer is not None:
                findings += self.link_findings(bucket, key, loaded, newer)
        if findings:
            if result.verdict == "valid":
                result.verdict = "invalid"
                result.category, result.message = findings[0][0], tag + findings[0][1]
                findings = findings[1:]
            result.strict = True
            result.extra = [(c, tag + m) for c, m in findings]
        if result.verdict in PASSING:
            self.track_found_times(digest)
        if not loaded.signature_missing:
            # Signature-verified windows (even with strict link findings) bound the orphan-log search.
            self.verified_windows.append(
                (parse_digest_time(digest["digestStartTime"]), parse_digest_time(digest["digestEndTime"]))
            )
        self.add_digest(result)
        self.queue_logs(digest)

    def link_findings(
        self, bucket: str, key: str, loaded: _Loaded, newer: tuple[str, _Loaded]
    ) -> list[tuple[str, str]]:
        """Strict: the newer digest's record of this one (hash, signature, times) must match it."""
        newer_key, newer_loaded = newer
        n = newer_loaded.digest
        where = f"s3://{n.get('digestS3Bucket')}/{newer_key}"
        found: list[tuple[str, str]] = []
        if n.get("previousDigestHashValue") != sha256_hex(loaded.inflated):
            found.append(
                (
                    "previous_hash_mismatch",
                    _line(
                        "Digest",
                        bucket,
                        key,
                        f"INVALID: hash value doesn't match previousDigestHashValue of {where}",
                    ),
                )
            )
        own = loaded.metadata.get("signature") if loaded.metadata is not None else None
        prev_sig = n.get("previousDigestSignature")
        if own is not None and (not isinstance(prev_sig, str) or prev_sig.lower() != own.lower()):
            found.append(
                (
                    "previous_signature_mismatch",
                    _line(
                        "Digest",
                        bucket,
                        key,
                        f"INVALID: signature doesn't match previousDigestSignature of {where}",
                    ),
                )
            )
        if loaded.digest.get("digestEndTime") != n.get("digestStartTime"):
            found.append(
                (
                    "chain_discontinuity",
                    _line(
                        "Digest",
                        bucket,
                        key,
                        f"INVALID: digestEndTime {loaded.digest.get('digestEndTime')} doesn't match digestStartTime "
                        f"{n.get('digestStartTime')} of {where}",
                    ),
                )
            )
        return found

    def orphan_logs(self) -> None:
        """Strict: log objects delivered inside a verified digest window that no digest lists."""
        if not self.verified_windows:
            return
        log_prefix = (
            _account_root(self.account_id, self.prefix, self.organization_id)
            + f"CloudTrail/{self.source_region}/"
        )
        lo = min(s for s, _ in self.verified_windows)
        start_after = log_prefix + (lo - timedelta(days=1)).strftime("%Y/%m/%d/")
        hi = max(e for _, e in self.verified_windows)
        try:
            keys = list(self.source.list_keys(self.bucket, log_prefix, start_after))
        except SourceAccessError as exc:
            raise DigestValidationFatal(str(exc), "access_denied") from exc
        for key in keys:
            when = log_key_time(key)
            if when is None or when > hi or (self.bucket, key) in self.referenced_logs:
                continue
            # Key times are to the minute: skip the minute holding a window boundary (it may belong to either).
            inside = any(
                s + timedelta(minutes=1) <= when and when + timedelta(minutes=1) <= e
                for s, e in self.verified_windows
            )
            if inside:
                self.events.append(
                    _Event(
                        result=FileResult(
                            "log",
                            self.bucket,
                            key,
                            "invalid",
                            "log_not_in_any_digest",
                            _line("Log", self.bucket, key, "INVALID: not referenced by any digest"),
                            strict=True,
                        )
                    )
                )


_BATCH = 48  # log files per worker task: large enough to amortise the hand-off, small enough to balance


def _log_result(log: Mapping[str, Any], status: str, sha: str | None, trailing: bool) -> FileResult:
    """A log's verdict from its hashing outcome (VAL ``_download_log``: the checks in aws-cli's order)."""
    bucket = str(log.get("s3Bucket", ""))
    key = str(log.get("s3Object", ""))

    def result(verdict: Verdict, category: str | None, text: str) -> FileResult:
        return FileResult("log", bucket, key, verdict, category, _line("Log", bucket, key, text))

    if status == "not_found":
        return result("not-found", "not_found", "INVALID: not found")
    if status != "ok" or sha is None:
        return result("invalid", "invalid_format", "INVALID: invalid format")
    if trailing:
        return result("invalid", "trailing_data", "INVALID: unexpected data after end of compressed stream")
    if sha != log.get("hashValue"):
        return result("invalid", "hash_mismatch", "INVALID: hash value doesn't match")
    return result("valid", None, "valid")


class _NoPublicKeys(Exception):
    pass


def _key_date(key: str | None) -> datetime | None:
    if key is None:
        return None
    return parse_key_date(extract_digest_key_date(key))


def parse_key_date(text: str) -> datetime | None:
    """``YYYYMMDDTHHMMSSZ`` as a UTC datetime, or None; sliced by hand (strptime costs ~20x more per key)."""
    if len(text) != 16 or text[8] != "T" or text[15] != "Z" or not (text[:8] + text[9:15]).isdigit():
        return None
    if not text.isascii():
        return None
    try:
        return datetime(int(text[0:4]), int(text[4:6]), int(text[6:8]), int(text[9:11]), int(text[11:13]),
                        int(text[13:15]), tzinfo=UTC)  # fmt: skip
    except ValueError:
        return None


def _pop_last(digests: list[str]) -> tuple[str | None, datetime | None]:
    if not digests:
        return None, None
    key = digests.pop()
    return key, _key_date(key)


def _find_next(digests: list[str], before_key: str) -> tuple[str | None, datetime | None]:
    """Pop listed keys until one is strictly older than ``before_key`` (VAL ``_get_last_digest``)."""
    before = _key_date(before_key)
    while digests:
        key = digests.pop()
        date = _key_date(key)
        if date is not None and (before is None or date < before):
            return key, date
    return None, None


# --------------------------------------------------------------------------------------------------------------
# Entry point


def validate_logs(
    source: DigestSource,
    *,
    trail_arn: str,
    bucket: str,
    start: datetime,
    end: datetime,
    prefix: str | None = None,
    source_region: str | None = None,
    account_id: str | None = None,
    organization_id: str | None = None,
    verbose: bool = False,
    strict: bool = False,
    latest_digest_delivery_time: datetime | None = None,
    max_workers: int = 16,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    on_progress: Callable[[int, int | None], None] | None = None,
    on_header: Callable[[str], None] | None = None,
    hasher: LocalFileHasher | None = None,
    allow_unsigned: bool = False,
    context_from: datetime | None = None,
) -> ValidationReport:
    """Reproduce ``aws cloudtrail validate-logs`` over ``source``; ``strict`` adds the checks aws-cli lacks.

    Raises :class:`DigestValidationFatal` where aws-cli exits 255 (bad ARN, bad time range, no public keys, any
    source error other than a missing object). Strict additions: newest digests missing (hourly cadence up to
    ``latest_digest_delivery_time`` — GetTrailStatus.LatestDigestDeliveryTime — or up to ``end``), every digest of a
    run of consecutive missing ones, ``previousDigestHashValue`` / ``previousDigestSignature`` / time links,
    digest trailing data, MD5 fingerprint, algorithm fields, account id, and orphan log files.
    ``on_progress(done_files, known_files)`` is called (serialised, possibly from worker threads) as digests and
    logs are checked. ``on_header(text)`` receives the first output line before the walk starts (a caller can print
    it before a progress bar); the report then has ``header_emitted``. ``hasher`` hashes the logs a source can
    give as local files (``source.local_file(bucket, key)``) in worker processes; other logs use threads.
    ``allow_unsigned`` accepts digests whose signature metadata is missing, with a warning line.
    ``context_from``: digests keyed at or after it are chain context (a ``--path`` date folder ends there): verified
    silently, never reported or counted, their failures and absence unreported; a verified one still vouches for
    the next-older digest's signature and has its logs delivered before ``context_from`` checked.
    """
    try:
        trail = parse_trail_arn(trail_arn)
    except ValueError as exc:
        raise DigestValidationFatal(str(exc), "bad_arn") from exc
    start_utc, end_utc = to_utc(start), to_utc(end)
    if start_utc > end_utc:
        raise DigestValidationFatal(
            "Invalid time range specified: start-time must occur before end-time", "bad_time_range"
        )
    report = ValidationReport(trail_arn, start_utc, end_utc, strict, verbose)
    if on_header is not None:
        on_header(_header(report))
        report.header_emitted = True
    walker = _Walker(
        source,
        trail,
        bucket=bucket,
        prefix=prefix or None,
        start=start_utc,
        end=end_utc,
        account_id=account_id or trail.account_id,
        source_region=source_region or trail.home_region,
        organization_id=organization_id,
        strict=strict,
        latest_digest_delivery_time=latest_digest_delivery_time,
        max_workers=max_workers,
        chunk_size=chunk_size,
        on_progress=on_progress,
        hasher=hasher,
        allow_unsigned=allow_unsigned,
        context_from=to_utc(context_from) if context_from is not None else None,
    )
    fatal: DigestValidationFatal | None = None
    results: list[tuple[_Event, FileResult | None]] = []
    try:
        try:
            walker.traverse(backfill=False)
            walker.traverse(backfill=True)
            if strict:
                walker.orphan_logs()
        except DigestValidationFatal as exc:
            fatal = exc
        walker.flush_batch()
        # Resolve in output order; the first failing log aborts there, as aws-cli's sequential loop would.
        for ev in walker.events:
            try:
                results.append((ev, ev.resolve()))
            except SourceAccessError as error:
                fatal = DigestValidationFatal(str(error), "access_denied")
                break
    finally:
        if walker.executor is not None:
            walker.executor.shutdown(wait=True, cancel_futures=True)
    report.found_start, report.found_end = walker.found_start, walker.found_end
    _render(report, results, summary=fatal is None)
    if fatal is not None:
        fatal.partial = report
        raise fatal
    return report


def _header(report: ValidationReport) -> str:
    return (
        f"Validating log files for trail {report.trail_arn} between "
        f"{format_display_date(report.start)} and {format_display_date(report.end)}\n\n"
    )


def _render(
    report: ValidationReport, results: list[tuple[_Event, FileResult | None]], summary: bool = True
) -> None:
    """Write the aws-cli byte layout (VAL ``_write_status`` / ``_write_summary_text``)."""
    out = report.chunks
    out.append(("stdout", _header(report)))
    double_spaced = True

    def error(message: str) -> None:
        nonlocal double_spaced
        out.append(("stderr", (f"{message}\n\n" if double_spaced else f"\n{message}\n\n")))
        double_spaced = True

    for ev, result in results:
        if ev.notice is not None:
            report.notices.append(ev.notice)
            error(ev.notice.message)
            continue
        assert result is not None
        report.files.append(result)
        if result.verdict == "valid":
            if report.verbose:
                double_spaced = False
                out.append(("stdout", result.message + "\n"))
        else:
            error(result.message)
        for _, message in result.extra:
            error(message)
    if not summary:
        return
    if not double_spaced:
        out.append(("stdout", "\n"))
    text = f"Results requested for {format_display_date(report.start)} to {format_display_date(report.end)}\n"
    digests = [f for f in report.files if f.kind == "digest"]
    if not digests:
        out.append(("stdout", text + "No digests found\n"))
        return
    if report.found_start is None or report.found_end is None:
        text += "No valid digests found in range\n"
    else:
        text += (
            f"Results found for {format_display_date(report.found_start)} to "
            f"{format_display_date(report.found_end)}:\n"
        )
    for valid, invalid, name in (
        (report.valid_digests, report.invalid_digests, "digest"),
        (report.valid_backfill_digests, report.invalid_backfill_digests, "backfill digest"),
        (report.valid_logs, report.invalid_logs, "log"),
    ):
        total = valid + invalid
        if total > 0:
            text += f"\n{valid}/{total} {name} files valid"
            if invalid > 0:
                text += f", {invalid}/{total} {name} files INVALID"
    out.append(("stdout", text + "\n"))
