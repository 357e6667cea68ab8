"""``awsmon trail download``: copy a trail's log files, digests and digest signatures into a folder.

The folder is a bucket tree (``<dest>/<key>``) with the digests' S3 metadata (``signature``,
``signature-algorithm``) in the portable ``.awsmon-meta`` manifest (awsmon/s3folder.py) that ``trail
validate-digest --path`` reads, so validation then works offline. ``aws s3 sync`` drops that metadata;
``--signatures-only`` fetches just the signatures into a folder such a sync made.

Sources: the bucket through ``ctx.client("s3")`` on either backend (on the local backend the account's S3 service:
its reads are S3 data events, recorded like any call, as a download from real S3 is).
Listing is per day folder (``[prefix/]AWSLogs/[o-id/]<account>/<kind>/<region>/YYYY/MM/DD/``) over the range, so
a year-old bucket is not listed whole. Copies run on a thread pool; a file already present with the same size and
hash (S3 ETag = MD5 of the body, or the ETag recorded in the manifest for multipart uploads) is skipped, and every
write is a temporary file renamed into place, so an interrupted download resumes where it stopped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from awsmon.context import AppContext
from awsmon.errors import AwsmonError, UsageError
from awsmon.trail_layout import DIGEST_KIND, KINDS, is_account_id, is_organization_id

DEFAULT_WORKERS = 16


@dataclass(frozen=True)
class RemoteObject:
    key: str
    size: int
    etag: str  # without quotes


class _S3Bucket:
    """The bucket through ctx.client("s3"): real S3 on the aws backend (errors mapped by awsmon's one error mapper),
    the local account's S3 service on the local backend, whose ListObjectsV2 / GetObject / HeadObject calls are
    recorded as S3 data events (delivered by the trails whose data-event selectors cover the bucket, as on AWS)."""

    def __init__(self, ctx: AppContext, bucket: str) -> None:
        self.client = ctx.client("s3")
        self.bucket = bucket

    def _pages(self, **kw: Any) -> Iterator[dict[str, Any]]:
        token: str | None = None
        while True:
            page = self.client.list_objects_v2(Bucket=self.bucket, **kw, **({"ContinuationToken": token} if token else {}))
            yield page
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return

    def folders(self, prefix: str) -> list[str]:
        names: list[str] = []
        for page in self._pages(Prefix=prefix, Delimiter="/"):
            names += [cp["Prefix"][len(prefix) :].rstrip("/") for cp in page.get("CommonPrefixes", [])]
        return sorted(n for n in names if n)

    def objects(self, prefix: str) -> Iterator[RemoteObject]:
        for page in self._pages(Prefix=prefix):
            for item in page.get("Contents", []):
                yield RemoteObject(item["Key"], int(item.get("Size", 0)), str(item.get("ETag", "")).strip('"'))

    def get(self, key: str) -> tuple[bytes, dict[str, Any]]:
        response = self.client.get_object(Bucket=self.bucket, Key=key)
        return response["Body"].read(), response

    def head(self, key: str) -> dict[str, Any]:
        result: dict[str, Any] = self.client.head_object(Bucket=self.bucket, Key=key)
        return result


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def _days(start: datetime, end: datetime) -> list[str]:
    out, day = [], start.date()
    while day <= end.date():
        out.append(day.strftime("%Y/%m/%d"))
        day += timedelta(days=1)
    return out


def download(
    ctx: AppContext,
    *,
    trail: str | None,
    bucket: str | None,
    prefix: str | None,
    account_ids: list[str],
    regions: list[str],
    start: str | None,
    end: str | None,
    dest: str,
    signatures_only: bool = False,
    workers: int = DEFAULT_WORKERS,
    on_progress: Callable[[int, int | None], None] | None = None,
) -> dict[str, Any]:
    for a in account_ids:
        if not is_account_id(a):
            raise UsageError(f"--account-id {a}: an account id is 12 digits")
    start_dt = ctx.parse_time(start)
    if start_dt is None:
        raise UsageError("--start-time is required (e.g. --start-time 7d)")
    end_dt = ctx.parse_time(end) or ctx.now()
    if start_dt > end_dt:
        raise UsageError("Invalid time range specified: start-time must occur before end-time")
    org_id: str | None = None
    if trail:
        from awsmon.services.trail import cloudtrail

        desc = cloudtrail(ctx).get_trail(Name=trail)["Trail"]
        bucket = bucket or desc["S3BucketName"]
        prefix = prefix if prefix is not None else desc.get("S3KeyPrefix")
        if desc.get("IsOrganizationTrail"):
            if ctx.is_local:
                from awsmon.backends.local.cloudtrail import local_organization

                org = local_organization(ctx.store().home)
                org_id = org.organization_id if org else None
            else:
                org_id = ctx.client("organizations").describe_organization()["Organization"]["Id"]
    if not bucket:
        raise UsageError("give --trail NAME or --s3-bucket BUCKET")
    source = _S3Bucket(ctx, bucket)
    prefix = (prefix or "").strip("/")
    logs_root = f"{prefix}/AWSLogs/" if prefix else "AWSLogs/"

    # Which [o-id/]account folders: the given accounts (under the trail's organization if any), else every one found.
    account_roots: list[str] = []
    if account_ids:
        account_roots = [f"{logs_root}{org_id + '/' if org_id else ''}{a}/" for a in account_ids]
        if not org_id:  # an organization's folders are found too when only --s3-bucket was given
            for name in source.folders(logs_root):
                if is_organization_id(name):
                    account_roots += [f"{logs_root}{name}/{a}/" for a in account_ids]
    else:
        for name in source.folders(logs_root):
            if is_account_id(name) and not org_id:
                account_roots.append(f"{logs_root}{name}/")
            elif is_organization_id(name) and org_id in (None, name):
                account_roots += [f"{logs_root}{name}/{a}/" for a in source.folders(f"{logs_root}{name}/") if is_account_id(a)]
    kinds = [DIGEST_KIND] if signatures_only else list(KINDS)
    # Digests of the last hour of the range are delivered up to an hour later (aws-cli lists to end + 1h).
    days = _days(start_dt, end_dt + timedelta(hours=1))
    prefixes: list[str] = []
    found_regions: set[str] = set()
    for acct_root in account_roots:
        for kind in kinds:
            for region in regions or source.folders(f"{acct_root}{kind}/"):
                found_regions.add(region)
                prefixes += [f"{acct_root}{kind}/{region}/{day}/" for day in days]
    objects = [o for p in prefixes for o in source.objects(p)]

    from awsmon.s3folder import S3Folder

    dest_root = Path(dest)
    try:
        dest_root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--dest {dest}: cannot create the folder ({exc.strerror or exc})") from None
    target = S3Folder(dest_root)
    # A folder that `aws s3 sync s3://bucket/<prefix> DIR` made holds AWSLogs/ at its top: keep its layout.
    strip = f"{prefix}/" if prefix and (dest_root / "AWSLogs").is_dir() and not (dest_root / prefix).is_dir() else ""
    counts = {"Downloaded": 0, "Skipped": 0, "Signatures": 0, "Bytes": 0}
    failed: list[dict[str, str]] = []
    done = [0]

    def local_key(key: str) -> str:
        return key[len(strip) :] if strip and key.startswith(strip) else key

    def same(obj: RemoteObject, key: str) -> bool:
        """Present with the same size and hash (MD5 = a single-part ETag, else the ETag recorded at download)."""
        try:
            path = target.object_path(key)
            if not path.is_file() or path.stat().st_size != obj.size:
                return False
            if "-" not in obj.etag:
                return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest() == obj.etag
            return bool(target.has_metadata(key) and target.head_object(key).get("ETag", "").strip('"') == obj.etag)
        except (OSError, ValueError):
            return False

    def has_signature(key: str) -> bool:
        try:
            return target.has_metadata(key) and "signature" in target.head_object(key).get("Metadata", {})
        except (OSError, ValueError):
            return False

    def copy(obj: RemoteObject) -> tuple[str, int]:
        key = local_key(obj.key)
        is_digest = f"/{DIGEST_KIND}/" in obj.key
        if signatures_only:
            if has_signature(key):
                return "Skipped", 0
            head = source.head(obj.key)
            target.put_metadata(key, {"ContentType": head.get("ContentType") or "application/json",
                                      "LastModified": _iso(_when(head.get("LastModified"))),
                                      "ETag": f'"{obj.etag}"', "Metadata": dict(head.get("Metadata") or {})})  # fmt: skip
            return "Signatures", 0
        if same(obj, key) and (not is_digest or has_signature(key)):
            return "Skipped", 0
        body, response = source.get(obj.key)
        target.put_object(key, body, metadata=dict(response.get("Metadata") or {}),
                          content_type=response.get("ContentType") or "application/octet-stream",
                          last_modified=_when(response.get("LastModified")))  # fmt: skip
        if "-" in obj.etag:  # keep the multipart ETag so a later run can skip the file
            head = target.head_object(key)
            head["ETag"] = f'"{obj.etag}"'
            target.put_metadata(key, head)
        return "Downloaded", len(body)

    if on_progress is not None:
        on_progress(0, len(objects))
    # The local account's store is one SQLite connection of this thread: its copies run here, one by one.
    with ThreadPoolExecutor(max_workers=1 if ctx.is_local else max(1, workers), thread_name_prefix="trail-download") as pool:
        futures = [(o, _now(copy, o) if ctx.is_local else pool.submit(copy, o)) for o in objects]
        for obj, fut in futures:
            try:
                status, size = fut.result()
                counts[status] += 1
                counts["Bytes"] += size
            except AwsmonError as exc:
                failed.append({"Key": obj.key, "Error": exc.message if not hasattr(exc, "code") else str(exc)})
            except (OSError, ValueError) as exc:
                failed.append({"Key": obj.key, "Error": str(exc)})
            done[0] += 1
            if on_progress is not None:
                on_progress(done[0], len(objects))
    digests = sum(1 for o in objects if f"/{DIGEST_KIND}/" in o.key)
    return {
        "Bucket": bucket,
        "Prefix": prefix or None,
        "OrganizationId": org_id,
        "Dest": str(dest_root),
        "StartTime": start_dt,
        "EndTime": end_dt,
        "Accounts": sorted({r.rstrip("/").rsplit("/", 1)[-1] for r in account_roots}),
        "Regions": sorted(found_regions),
        "Files": len(objects),
        "DigestFiles": digests,
        **counts,
        "Failed": failed,
    }


def _now(fn: Callable[[RemoteObject], tuple[str, int]], obj: RemoteObject) -> Future[tuple[str, int]]:
    """``fn(obj)`` run in this thread, as a finished future (its error kept for the caller)."""
    fut: Future[tuple[str, int]] = Future()
    try:
        fut.set_result(fn(obj))
    except Exception as exc:
        fut.set_exception(exc)
    return fut


def _iso(value: datetime | None) -> str:
    value = value or datetime.now(UTC)
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")

