"""``awsmon trail validate-digest``: aws-cli ``validate-logs`` over a local trail, a downloaded bucket, or real AWS.

The chain walk, verdicts, messages and strict checks are the digest engine's (awsmon/engines/digest.py); this module
picks the source, the trail ARN, bucket, prefix, time range and public keys, and maps fatal errors to exit codes.

[design choice] ``--start`` defaults to the time of the oldest digest of the trail found in the bucket (local
account and ``--path`` only; on real AWS listing a whole bucket is slow and billed, so ``--start`` is required).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from awsmon.context import AppContext
from awsmon.errors import AwsmonError, ConfigError, ExitCode, UsageError


@dataclass
class ValidateResult:
    report: Any  # awsmon.engines.digest.ValidationReport
    source: str  # "local" | "path" | "aws"
    regions: list[str] = field(default_factory=list)  # source regions validated (--strict: every one found)

    def machine(self) -> dict[str, Any]:
        r = self.report
        files = [
            {"Kind": f.kind, "Bucket": f.bucket, "Key": f.key, "Verdict": f.verdict, "Category": f.category,
             "Message": f.message, "Backfill": f.backfill, "StrictOnly": f.strict,
             "OtherFindings": [{"Category": c, "Message": m} for c, m in f.extra]}
            for f in r.files
        ]  # fmt: skip
        return {
            "TrailARN": r.trail_arn,
            "Source": self.source,
            "StartTime": r.start,
            "EndTime": r.end,
            "Strict": r.strict,
            "SourceRegions": self.regions,
            "ResultsFound": None if r.found_start is None else {"StartTime": r.found_start, "EndTime": r.found_end},
            "Summary": {
                "DigestFiles": {"Valid": r.valid_digests, "Invalid": r.invalid_digests},
                "BackfillDigestFiles": {"Valid": r.valid_backfill_digests, "Invalid": r.invalid_backfill_digests},
                "LogFiles": {"Valid": r.valid_logs, "Invalid": r.invalid_logs},
            },
            "Valid": r.ok,
            "Files": files,
            "Notices": [{"Category": n.category, "Message": n.message, "Backfill": n.backfill} for n in r.notices],
        }


class _LocalBuckets:
    """The local account's simulated buckets as one digest source (a trail may change bucket mid-chain)."""

    def __init__(self, s3_dir: Path, keys: list[Any]) -> None:
        from awsmon.services.digest_sources import FolderDigestSource

        self._make = lambda b: FolderDigestSource(s3_dir / b, keys, bucket=b)
        self._sources: dict[str, Any] = {}
        self.keys = keys

    def _src(self, bucket: str) -> Any:
        from awsmon.backends.local.cloudtrail import validate_bucket_name
        from awsmon.engines.digest import ObjectNotFound
        from awsmon.errors import ServiceError

        if bucket not in self._sources:
            try:
                validate_bucket_name(bucket)  # never a path outside the account folder
            except ServiceError:
                raise ObjectNotFound(f"s3://{bucket}") from None
            self._sources[bucket] = self._make(bucket)
        return self._sources[bucket]

    def list_keys(self, bucket: str, prefix: str, start_after: str | None) -> Iterator[str]:
        from awsmon.engines.digest import ObjectNotFound

        try:
            src = self._src(bucket)
        except ObjectNotFound:
            return iter(())
        return iter(src.list_keys(bucket, prefix, start_after))

    def list_folders(self, bucket: str, prefix: str) -> list[str]:
        from awsmon.engines.digest import ObjectNotFound

        try:
            return list(self._src(bucket).list_folders(bucket, prefix))
        except ObjectNotFound:
            return []

    def get_object(self, bucket: str, key: str) -> Any:
        from awsmon.engines.digest import SourceObject

        obj = self._src(bucket).get_object(bucket, key)
        # The account's folder is the bucket itself: no sidecar means the object has no metadata (as S3 would
        # answer), not "unknown" as for a downloaded copy.
        return obj if obj.metadata is not None else SourceObject(obj.body, {})

    def open_object(self, bucket: str, key: str) -> BinaryIO:
        stream: BinaryIO = self._src(bucket).open_object(bucket, key)
        return stream

    def list_public_keys(self, start: datetime, end: datetime) -> list[Any]:
        return [k for k in self.keys if k.overlaps(start, end)]


def _load_keys(paths: list[str]) -> list[Any]:
    from awsmon.services.digest_sources import PublicKeyFormatError, load_public_keys

    try:
        return load_public_keys(paths)
    except PublicKeyFormatError as exc:
        raise UsageError(str(exc)) from None


def _discover(root: Path, prefix: str | None, trail: str | None, region: str | None = None) -> dict[str, str] | None:
    """The first digest under ``root`` (optionally of trail ``trail``): account, regions, trail name, bucket.

    Digests of ``region`` (the selected region: aws-cli validates its source region) come first when there are any.
    """
    import gzip
    import json

    base = root / prefix if prefix and (root / prefix / "AWSLogs").is_dir() else root
    logs = base / "AWSLogs"
    if not logs.is_dir():
        return None
    for digest_dir in sorted(logs.glob("*/CloudTrail-Digest")) + sorted(logs.glob("o-*/*/CloudTrail-Digest")):
        files = sorted(digest_dir.rglob("*_CloudTrail-Digest_*.json.gz"))
        files.sort(key=lambda f: f.relative_to(digest_dir).parts[0] != region)  # stable: keeps the name order
        for f in files:
            parts = f.name[: -len(".json.gz")].split("_")
            if len(parts) < 6:
                continue
            acct, src, home, name = parts[0], parts[2], parts[-2], "_".join(parts[3:-2])
            if trail and trail not in (name,) and not trail.endswith(f":trail/{name}"):
                continue
            bucket = None
            try:
                bucket = json.loads(gzip.decompress(f.read_bytes())).get("digestS3Bucket")
            except (OSError, ValueError, EOFError):
                pass
            return {"account": acct, "source_region": src, "home_region": home, "name": name, "bucket": bucket or root.name}
    return None


def _oldest_digest_time(source: Any, bucket: str, account: str, region: str, prefix: str | None) -> datetime | None:
    from awsmon.engines.digest import DATE_FORMAT, digest_listing_prefix, extract_digest_key_date

    for key in source.list_keys(bucket, digest_listing_prefix(account, region, prefix=prefix), None):
        try:
            end = datetime.strptime(extract_digest_key_date(key), DATE_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            continue
        return end - timedelta(hours=1)
    return None


def validate_digest(
    ctx: AppContext,
    *,
    trail: str | None,
    start: str | None,
    end: str | None,
    bucket: str | None = None,
    prefix: str | None = None,
    account_id: str | None = None,
    path: str | None = None,
    public_keys: list[str] | None = None,
    strict: bool = False,
    verbose: bool = False,
    on_progress: Callable[[int, int | None], None] | None = None,
) -> ValidateResult:
    from awsmon.engines.digest import DigestValidationFatal, validate_logs

    keys = _load_keys(public_keys) if public_keys else None
    latest: datetime | None = None
    start_dt = ctx.parse_time(start)
    end_dt = ctx.parse_time(end) or ctx.now()
    source_region: str | None = None
    org_trail = False
    if path is not None:
        root = Path(path)
        if not root.is_dir():
            raise UsageError(f"--path {path}: not a folder (give the folder of a downloaded trail bucket)")
        if keys is None:
            if not ctx.is_local:
                raise UsageError("--path needs public keys: give --public-key FILE (DER, PEM or saved list-public-keys JSON)")
            keys = _account_keys(ctx)
        found = _discover(root, prefix, trail, ctx.local_region() if ctx.is_local else ctx.region.value)
        if trail and trail.startswith("arn:"):
            trail_arn = trail
        else:
            if found is None:
                raise UsageError(f"no CloudTrail digest files{f' of trail {trail}' if trail else ''} under {root} "
                                 "(point --path at the bucket folder that holds AWSLogs/)")  # fmt: skip
            acct = account_id or found["account"]
            trail_arn = f"arn:aws:cloudtrail:{found['home_region']}:{acct}:trail/{found['name']}"
            source_region = found["source_region"]
        from awsmon.services.digest_sources import FolderDigestSource

        source: Any = FolderDigestSource(root, keys, prefix=prefix)
        bucket = bucket or (found or {}).get("bucket") or root.name
        src_name = "path"
    elif ctx.is_local:
        if not trail:
            raise UsageError("give --trail NAME (or --path DIR for a downloaded trail bucket)")
        client = _cloudtrail(ctx)
        desc = client.get_trail(Name=trail)["Trail"]
        trail_arn = desc["TrailARN"]
        bucket = bucket or desc["S3BucketName"]
        prefix = prefix if prefix is not None else desc.get("S3KeyPrefix")
        latest = client.get_trail_status(Name=trail).get("LatestDigestDeliveryTime")
        source = _LocalBuckets(ctx.store().s3_dir, keys if keys is not None else _account_keys(ctx))
        source_region = ctx.local_region()  # like aws-cli: the digests of the selected region (the source region)
        src_name = "local"
    else:
        if not trail:
            raise UsageError("give --trail NAME or ARN")
        if start_dt is None:
            raise UsageError("--start is required on the aws backend (e.g. --start 24h)")
        client = _cloudtrail(ctx)
        if bucket is None or not trail.startswith("arn:"):
            # Matched here too: some endpoints (moto) ignore trailNameList and return every trail.
            found_trails = [t for t in client.describe_trails(trailNameList=[trail]).get("trailList", [])
                            if trail in (t.get("Name"), t.get("TrailARN"))]  # fmt: skip
            if not found_trails:
                raise AwsmonError(f"A trail could not be found for {trail}")
            desc = found_trails[0]
            trail_arn = desc["TrailARN"]
            bucket = bucket or desc["S3BucketName"]
            prefix = prefix if prefix is not None else desc.get("S3KeyPrefix")
            org_trail = bool(desc.get("IsOrganizationTrail"))
            if org_trail and not account_id:
                raise UsageError("Missing required parameter for organization trail: '--account-id'")
        else:
            trail_arn = trail
        if strict:
            latest = client.get_trail_status(Name=trail_arn).get("LatestDigestDeliveryTime")
        from awsmon.services.digest_sources import S3DigestSource

        backend = ctx.backend()
        source_region = backend.region  # like aws-cli: the digests of the selected region (the source region)
        source = S3DigestSource.from_session(backend.session, region=backend.region,
                                             endpoint_url=ctx.endpoint_url.value, public_keys=keys)  # fmt: skip
        src_name = "aws"
    if start_dt is None:
        from awsmon.engines.digest import parse_trail_arn

        try:
            parsed = parse_trail_arn(trail_arn)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        oldest = _oldest_digest_time(source, bucket, account_id or parsed.account_id,
                                     source_region or parsed.home_region, prefix)  # fmt: skip
        start_dt = oldest or end_dt
    progress = _Progress(on_progress)
    try:
        report = validate_logs(source, trail_arn=trail_arn, bucket=bucket, start=start_dt, end=end_dt, prefix=prefix,
                               source_region=source_region, account_id=account_id, verbose=verbose, strict=strict,
                               latest_digest_delivery_time=latest, on_progress=progress.callback())  # fmt: skip
        regions = [report_region := source_region or _home_region(trail_arn)]
        if strict and not org_trail:
            # --strict: every source region of the trail in the bucket, not only the selected one (aws-cli checks
            # one region per run, so tampering elsewhere in a multi-region trail goes unnoticed).
            for other in _other_regions(source, bucket, trail_arn, account_id, prefix, report_region):
                more = validate_logs(source, trail_arn=trail_arn, bucket=bucket, start=start_dt, end=end_dt,
                                     prefix=prefix, source_region=other, account_id=account_id, verbose=verbose,
                                     strict=True, latest_digest_delivery_time=latest,
                                     on_progress=progress.callback())  # fmt: skip
                report.chunks.append(("stdout", f"\nSource region {other} (--strict checks every region):\n"))
                report.chunks += more.chunks
                report.files += more.files
                report.notices += more.notices
                regions.append(other)
    except DigestValidationFatal as exc:
        raise fatal_error(str(exc), exc.category) from None
    return ValidateResult(report, src_name, regions)


class _Progress:
    """One running total over several validation runs (each run counts its own bytes from zero)."""

    def __init__(self, sink: Callable[[int, int | None], None] | None) -> None:
        self.sink, self.base, self.last = sink, 0, 0

    def callback(self) -> Callable[[int, int | None], None] | None:
        if self.sink is None:
            return None
        self.base += self.last
        self.last = 0

        def report(done: int, total: int | None) -> None:
            self.last = done
            assert self.sink is not None
            self.sink(self.base + done, None)

        return report


def _home_region(trail_arn: str) -> str:
    parts = trail_arn.split(":")
    return parts[3] if len(parts) > 3 else ""


def _other_regions(source: Any, bucket: str, trail_arn: str, account_id: str | None, prefix: str | None,
                   selected: str) -> list[str]:  # fmt: skip
    """The other source regions with digests of this trail in the bucket (``CloudTrail-Digest/<region>/``)."""
    from awsmon.engines.digest import digest_listing_prefix

    lister = getattr(source, "list_folders", None)
    parts = trail_arn.split(":")
    account = account_id or (parts[4] if len(parts) > 4 else "")
    if lister is None or not account:
        return []
    root = digest_listing_prefix(account, "-", prefix=prefix).rsplit("/", 1)[0]
    return [r for r in lister(bucket, root) if r != selected]


# Source errors that are about permissions or credentials (exit 4); anything else (a 5xx, throttling) is exit 1.
_DENIED = re.compile(r"AccessDenied|Forbidden|\(403\)|InvalidAccessKeyId|SignatureDoesNotMatch|ExpiredToken|"
                     r"UnrecognizedClient|credentials|KMS\.|not authorized", re.IGNORECASE)  # fmt: skip


def fatal_error(message: str, category: str) -> AwsmonError:
    """A run-aborting error as one line with its exit code: 2 bad input, 4 permission/credentials, else 1."""
    if category in ("bad_arn", "bad_time_range", "missing_account_id"):
        return UsageError(message)
    # An emulator's 500 can carry a whole HTML page: keep the first line.
    first = next((line.strip() for line in message.splitlines() if line.strip()), message.strip())[:500]
    if category == "access_denied" and _DENIED.search(first):
        return ConfigError(first)
    return AwsmonError(first, exit_code=ExitCode.ERROR)


def _cloudtrail(ctx: AppContext) -> Any:
    from awsmon.services.trail import cloudtrail

    return cloudtrail(ctx)


def _account_keys(ctx: AppContext) -> list[Any]:
    from awsmon.services.digest_sources import public_keys_from_list_response

    response = _cloudtrail(ctx).list_public_keys()
    return public_keys_from_list_response({"PublicKeyList": response.get("PublicKeyList", [])})
