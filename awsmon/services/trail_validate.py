"""``awsmon trail validate-digest``: aws-cli ``validate-logs`` over a local trail, a downloaded bucket, or real AWS.

The chain walk, verdicts, messages and strict checks are the digest engine's (awsmon/engines/digest.py); this module
finds the digest chains to validate (one per account, source region and trail), their bucket, prefix, time range
and public keys, runs the engine on each, and decides the outcome.

Where awsmon is stricter than aws-cli (docs/digest-validation.md "Stricter than aws-cli"):
* nothing validated (no digest verified in the range) is exit 3 with what was searched, unless ``--allow-empty``
  (aws-cli exits 0 with "No digests found");
* a digest without signature metadata (a copy made by ``aws s3 sync``) is never valid; ``--allow-unsigned-newest``
  accepts it with a warning line;
* ``--path`` validates every account, organization, region and trail found below the folder.

[design choice] ``--start`` defaults to the time of the oldest digest found (local account and ``--path``; on real
AWS listing a whole bucket is slow and billed, so ``--start`` is required).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from awsmon.context import AppContext
from awsmon.errors import AwsmonError, CheckFailed, ConfigError, ExitCode, UsageError


@dataclass
class Chain:
    """One digest chain to validate: an (account, source region, trail) of a bucket."""

    trail_arn: str
    bucket: str
    prefix: str | None
    account_id: str
    region: str
    organization_id: str | None
    source: Any
    oldest: datetime | None = None  # the oldest digest's start, for the default --start

    @property
    def label(self) -> str:
        org = f"{self.organization_id}/" if self.organization_id else ""
        where = f"s3://{self.bucket}/{self.prefix + '/' if self.prefix else ''}AWSLogs/{org}{self.account_id}/"
        return f"Account {self.account_id}, region {self.region}, trail {self.trail_arn.rsplit('/', 1)[-1]} ({where})"


@dataclass
class ValidateResult:
    report: Any  # awsmon.engines.digest.ValidationReport: every chain's output, merged
    source: str  # "local" | "path" | "aws"
    chains: list[tuple[Chain, Any]] = field(default_factory=list)  # (chain, its report)
    searched: str = ""
    failure: AwsmonError | None = None  # the exit-3 outcome (None: passed)
    quiet_failure: bool = False  # the failure only sums up aws-cli's lines: not repeated on stderr in pipes

    @property
    def regions(self) -> list[str]:
        return list(dict.fromkeys(c.region for c, _ in self.chains))

    def machine(self) -> dict[str, Any]:
        r = self.report

        def summary(rep: Any) -> dict[str, Any]:
            return {
                "DigestFiles": {"Valid": rep.valid_digests, "Invalid": rep.invalid_digests},
                "BackfillDigestFiles": {"Valid": rep.valid_backfill_digests, "Invalid": rep.invalid_backfill_digests},
                "LogFiles": {"Valid": rep.valid_logs, "Invalid": rep.invalid_logs},
            }

        def found(rep: Any) -> dict[str, Any] | None:
            return None if rep.found_start is None else {"StartTime": rep.found_start, "EndTime": rep.found_end}

        files = []
        for chain, rep in self.chains:
            files += [
                {"Kind": f.kind, "Bucket": f.bucket, "Key": f.key, "AccountId": chain.account_id,
                 "Region": chain.region, "Verdict": f.verdict, "Category": f.category, "Message": f.message,
                 "Backfill": f.backfill, "StrictOnly": f.strict,
                 "OtherFindings": [{"Category": c, "Message": m} for c, m in f.extra]}
                for f in rep.files
            ]  # fmt: skip
        return {
            "TrailARN": r.trail_arn,
            "Source": self.source,
            "StartTime": r.start,
            "EndTime": r.end,
            "Strict": r.strict,
            "SourceRegions": self.regions,
            "Searched": self.searched,
            "ResultsFound": found(r),
            "Summary": summary(r),
            "Valid": self.failure is None,
            "NothingValidated": r.verified_digests == 0,
            "Results": [
                {"AccountId": c.account_id, "OrganizationId": c.organization_id, "Region": c.region,
                 "TrailARN": c.trail_arn, "Bucket": c.bucket, "Prefix": c.prefix, "ResultsFound": found(rep),
                 "Summary": summary(rep), "Valid": rep.ok and rep.verified_digests > 0}
                for c, rep in self.chains
            ],  # fmt: skip
            "Files": files,
            "Notices": [{"Category": n.category, "Message": n.message, "Backfill": n.backfill} for n in r.notices],
        }


# --------------------------------------------------------------------------------------------------------------
# Sources


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

    def local_file(self, bucket: str, key: str) -> str | None:
        src = self._sources.get(bucket)  # once per log file: no imports or checks once the bucket is known
        if src is None:
            from awsmon.engines.digest import ObjectNotFound

            try:
                src = self._src(bucket)
            except ObjectNotFound:
                return None
        path: str | None = src.local_file(bucket, key)
        return path

    def list_public_keys(self, start: datetime, end: datetime) -> list[Any]:
        return [k for k in self.keys if k.overlaps(start, end)]


def _load_keys(paths: list[str]) -> list[Any]:
    from awsmon.services.digest_sources import PublicKeyFormatError, load_public_keys

    try:
        return load_public_keys(paths)
    except PublicKeyFormatError as exc:
        raise UsageError(str(exc)) from None


def _cloudtrail(ctx: AppContext) -> Any:
    from awsmon.services.trail import cloudtrail

    return cloudtrail(ctx)


def _local_keys(ctx: AppContext) -> list[Any]:
    """The local account's key, usable only for digests of that account (and of its organization's members when
    it is the organization's management account: organization trails are signed with the trail owner's key)."""
    from dataclasses import replace

    from awsmon.backends.local.cloudtrail import local_organization
    from awsmon.services.digest_sources import public_keys_from_list_response

    response = _cloudtrail(ctx).list_public_keys()
    keys = public_keys_from_list_response({"PublicKeyList": response.get("PublicKeyList", [])})
    store = ctx.store()
    org = local_organization(store.home)
    accounts = {store.account_id}
    if org is not None and org.management_account == store.account_id:
        accounts |= set(org.accounts)
    return [replace(k, accounts=frozenset(accounts)) for k in keys]


def _aws_keys(ctx: AppContext) -> list[Any]:
    """ListPublicKeys over all time (the engine picks the keys of each range); the call is mapped by ctx.client."""
    from awsmon.services.digest_sources import public_keys_from_list_response

    client = ctx.client("cloudtrail")
    keys: list[Any] = []
    kwargs: dict[str, Any] = {"StartTime": datetime(2013, 11, 1, tzinfo=UTC), "EndTime": datetime.now(UTC)}
    while True:  # NextToken is "reserved for future use", honoured anyway
        response = client.list_public_keys(**kwargs)
        keys += public_keys_from_list_response({"PublicKeyList": response.get("PublicKeyList", [])})
        if not response.get("NextToken"):
            return keys
        kwargs["NextToken"] = response["NextToken"]


class _CtxKeys:
    """Public keys fetched from ListPublicKeys on first use (through ctx.client, so errors are mapped)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def list_public_keys(self, start: datetime, end: datetime) -> list[Any]:
        from awsmon.services.digest_sources import public_keys_from_list_response

        response = self.ctx.client("cloudtrail").list_public_keys(StartTime=start, EndTime=end)
        return public_keys_from_list_response({"PublicKeyList": response.get("PublicKeyList", [])})


class _S3Source:
    """S3 objects through ctx.client("s3") (errors become awsmon errors, then the engine's source errors)."""

    def __init__(self, ctx: AppContext, keys: list[Any] | None) -> None:
        from awsmon.services.digest_sources import S3DigestSource

        self.ctx = ctx
        self.s3 = S3DigestSource(lambda: ctx.client("s3"), public_keys=keys)
        self.keys = _CtxKeys(ctx) if keys is None else None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.s3, name)

    def list_public_keys(self, start: datetime, end: datetime) -> list[Any]:
        from awsmon.engines.digest import SourceAccessError

        if self.keys is None:
            return list(self.s3.list_public_keys(start, end))
        try:
            return self.keys.list_public_keys(start, end)
        except AwsmonError as exc:
            raise SourceAccessError(exc.message) from None


# --------------------------------------------------------------------------------------------------------------
# Finding the chains


def _key_time(name: str) -> datetime | None:
    from awsmon.engines.digest import extract_digest_key_date, parse_key_date

    return parse_key_date(extract_digest_key_date(name))


def _digest_meta(path: Path) -> tuple[str, str] | None:
    """(digestS3Bucket, digestS3Object) of a digest file, or None when unreadable."""
    import gzip
    import json

    try:
        d = json.loads(gzip.decompress(path.read_bytes()))
        bucket, key = d.get("digestS3Bucket"), d.get("digestS3Object")
    except (OSError, ValueError, EOFError, AttributeError):
        return None
    return (bucket, key) if isinstance(bucket, str) and isinstance(key, str) else None


def _bucket_root(digest: Path, base: Path, full_key: str) -> tuple[Path, str]:
    """The folder standing for the bucket root and the key prefix the copy dropped (``aws s3 sync s3://b/p DIR``).

    The highest ancestor whose relative path to ``digest`` is the tail of ``full_key``: the whole bucket when it was
    copied whole, else the folder the copy started at.
    """
    from awsmon.trail_layout import key_prefix_of

    best: tuple[Path, str] | None = None
    for folder in [digest.parent, *digest.parent.parents]:
        rel = digest.relative_to(folder).as_posix()
        dropped = key_prefix_of(rel, full_key)
        if dropped is None:
            break
        best = (folder, dropped)
        if not dropped:
            break
    if best is None or not (base == best[0] or best[0] in base.parents or base in best[0].parents):
        return base, ""
    return best


def _folder_period(path: str, scopes: list[Any]) -> tuple[datetime, datetime] | None:
    """The day, month or year a ``--path`` date folder (``.../<region>/YYYY[/MM[/DD]]``) holds; None for other folders."""
    from awsmon.trail_layout import date_period

    date = scopes[0].date if len(scopes) == 1 else None
    if not date:
        return None
    period = date_period(date)
    if period is None:
        raise UsageError(f"--path {path}: below a region folder only YYYY, YYYY/MM and YYYY/MM/DD date folders exist")
    return period


def _path_chains(root: Path, keys: list[Any], *, trail: str | None, account_ids: list[str],
                 regions: list[str] | None, scopes: list[Any] | None = None) -> tuple[list[Chain], str]:  # fmt: skip
    """Every digest chain below ``root``, narrowed by the folder, ``--trail``, ``--account-id`` and ``--region``."""
    from awsmon.services.digest_sources import FolderDigestSource
    from awsmon.trail_layout import DIGEST_KIND, locate, parse_key

    scopes = locate(root) if scopes is None else scopes
    wanted_name = trail.rsplit("/", 1)[-1] if trail else None
    sources: dict[tuple[Path, str], Any] = {}
    chains: list[Chain] = []
    for scope in scopes:
        for org, account, acct_dir in scope.account_dirs():
            if account_ids and account not in account_ids:
                continue
            # A CloudTrail (logs) or CloudTrail-Insight folder selects its account and region: their digests are
            # in the sibling CloudTrail-Digest folder. A date folder selects the region (the range is --start/--end).
            digest_dir = acct_dir / DIGEST_KIND
            try:
                region_dirs = sorted(p for p in digest_dir.iterdir() if p.is_dir())
            except OSError:
                continue
            for region_dir in region_dirs:
                region = region_dir.name
                if scope.region not in (None, region) or (regions and region not in regions):
                    continue
                groups: dict[tuple[str, str], list[Path]] = {}
                for f in region_dir.glob("*/*/*/*.json.gz"):
                    parsed = parse_key(f"AWSLogs/{org + '/' if org else ''}{account}/{DIGEST_KIND}/{region}/"
                                       + f.relative_to(region_dir).as_posix())  # fmt: skip
                    parts = parsed.digest_name_parts() if parsed else None
                    if parts is None or (wanted_name and parts[0] != wanted_name):
                        continue
                    groups.setdefault(parts, []).append(f)
                for (name, home), files in sorted(groups.items()):
                    files.sort(key=lambda p: p.name)
                    folder, dropped, bucket, prefix = scope.base, "", scope.base.name, None
                    for f in reversed(files):  # the newest readable digest says where the copy sits in the bucket
                        meta = _digest_meta(f)
                        if meta is None:
                            continue
                        folder, dropped = _bucket_root(f, scope.base, meta[1])
                        parsed_full = parse_key(meta[1])
                        bucket, prefix = meta[0], parsed_full.prefix if parsed_full else None
                        break
                    else:
                        rel = scope.base.relative_to(folder).as_posix() if scope.base != folder else ""
                        prefix = rel or None
                    if (folder, dropped) not in sources:
                        sources[(folder, dropped)] = FolderDigestSource(folder, keys, key_prefix=dropped)
                    times = [t for t in (_key_time(f.name) for f in files) if t is not None]
                    arn = trail if trail and trail.startswith("arn:") else f"arn:aws:cloudtrail:{home}:{account}:trail/{name}"
                    chains.append(Chain(arn, bucket, prefix, account, region, org, sources[(folder, dropped)],
                                        min(times) - timedelta(hours=1) if times else None))  # fmt: skip
    where = ", ".join(str(s.base / "AWSLogs") for s in scopes) or f"{root} (no AWSLogs folder found below it)"
    searched = f"{where}" + (f", trail {trail}" if trail else "") + (
        f", accounts {', '.join(account_ids)}" if account_ids else "") + (
        f", regions {', '.join(regions)}" if regions else "")  # fmt: skip
    return chains, searched


def _bucket_organizations(ctx: AppContext, source: Any, bucket: str, prefix: str | None, accounts: list[str], *,
                          org_trail: bool) -> dict[str, str | None]:  # fmt: skip
    """Each account's organization folder, read from the bucket listing alone (no organization id needed).

    ``[prefix/]AWSLogs/`` is listed with a delimiter: an ``o-`` folder holding the account's folder is an
    organization trail's layout. An account found both directly and in an organization folder (a bucket shared by
    an account trail and an organization trail) takes the organization folder only for an organization trail. An
    organization trail whose account folder is not listed falls back to DescribeOrganization's id.
    """
    from awsmon.engines.digest import SourceAccessError
    from awsmon.trail_layout import AWSLOGS, is_organization_id

    root = f"{prefix.strip('/')}/{AWSLOGS}" if prefix and prefix.strip("/") else AWSLOGS
    try:
        top = source.list_folders(bucket, root)
        members = {o: set(source.list_folders(bucket, f"{root}/{o}")) for o in top if is_organization_id(o)}
    except SourceAccessError as exc:
        raise fatal_error(str(exc), "access_denied") from None
    out: dict[str, str | None] = {}
    for account in accounts:
        in_orgs = [o for o, accts in members.items() if account in accts]
        if in_orgs and (org_trail or account not in top):
            out[account] = in_orgs[0]
        elif org_trail:
            out[account] = ctx.client("organizations").describe_organization()["Organization"]["Id"]
        else:
            out[account] = None
    return out


def _oldest_digest_time(source: Any, bucket: str, account: str, region: str, prefix: str | None,
                        org: str | None) -> datetime | None:  # fmt: skip
    from awsmon.engines.digest import digest_listing_prefix

    for key in source.list_keys(bucket, digest_listing_prefix(account, region, prefix=prefix, organization_id=org), None):
        when = _key_time(key)
        if when is not None:
            return when - timedelta(hours=1)
    return None


def _other_regions(source: Any, bucket: str, account: str, prefix: str | None, org: str | None,
                   selected: str) -> list[str]:  # fmt: skip
    """The other source regions with digests in the bucket (``CloudTrail-Digest/<region>/``)."""
    from awsmon.engines.digest import digest_listing_prefix

    lister = getattr(source, "list_folders", None)
    if lister is None:
        return []
    root = digest_listing_prefix(account, "-", prefix=prefix, organization_id=org).rsplit("/", 1)[0]
    return [r for r in lister(bucket, root) if r != selected]


def _explicit_region(ctx: AppContext) -> str | None:
    """``--region`` given on the command line narrows ``--path`` to that source region (else every region)."""
    return str(ctx.region.value) if ctx.region.value and ctx.region.source == "--region" else None


# --------------------------------------------------------------------------------------------------------------
# The command


def validate_digest(
    ctx: AppContext,
    *,
    trail: str | None,
    start: str | None,
    end: str | None,
    bucket: str | None = None,
    prefix: str | None = None,
    account_ids: list[str] | None = None,
    path: str | None = None,
    public_keys: list[str] | None = None,
    strict: bool = False,
    verbose: bool = False,
    allow_empty: bool = False,
    allow_unsigned_newest: bool = False,
    on_progress: Callable[[int, int | None], None] | None = None,
    on_header: Callable[[str], None] | None = None,
) -> ValidateResult:
    from awsmon.engines.digest import DigestValidationFatal, validate_logs

    account_ids = [a for a in (account_ids or []) if a]
    for a in account_ids:
        if not re.fullmatch(r"\d{12}", a):
            raise UsageError(f"--account-id {a}: an account id is 12 digits")
    keys = _load_keys(public_keys) if public_keys else None
    latest: datetime | None = None
    start_dt = ctx.parse_time(start)
    end_dt = ctx.parse_time(end) or ctx.now()
    if start_dt is not None and start_dt > end_dt:
        raise UsageError("Invalid time range specified: start-time must occur before end-time")
    chains: list[Chain] = []
    context_from: datetime | None = None
    if path is not None:
        from awsmon.trail_layout import locate

        root = Path(path)
        if not root.is_dir():
            raise UsageError(f"--path {path}: not a folder (give the folder of a downloaded trail bucket)")
        scopes = locate(root)
        period = _folder_period(path, scopes)
        if period is not None:  # a date folder: its day, month or year, within --start-time/--end-time
            start_dt = max(start_dt, period[0]) if start_dt is not None else period[0]
            end_dt = min(ctx.parse_time(end) or period[1], period[1])
            if start_dt > end_dt:
                raise UsageError(f"--path {path} holds {_d(period[0])} to {_d(period[1])}: --start-time/--end-time "
                                 "select nothing in it")  # fmt: skip
            context_from = period[1]
        if keys is None:
            keys = _local_keys(ctx) if ctx.is_local else _aws_keys(ctx)
        region = _explicit_region(ctx)
        chains, searched = _path_chains(root, keys, trail=trail, account_ids=account_ids,
                                        regions=[region] if region else None, scopes=scopes)  # fmt: skip
        src_name = "path"
    else:
        if not trail:
            raise UsageError("give --trail NAME or ARN (or --path DIR for a downloaded trail bucket)")
        org_id: str | None = None
        if ctx.is_local:
            from awsmon.backends.local.cloudtrail import local_organization

            client = _cloudtrail(ctx)
            desc = client.get_trail(Name=trail)["Trail"]
            trail_arn = desc["TrailARN"]
            bucket = bucket or desc["S3BucketName"]
            prefix = prefix if prefix is not None else desc.get("S3KeyPrefix")
            if desc.get("IsOrganizationTrail"):
                org = local_organization(ctx.store().home)
                org_id = org.organization_id if org else None
            latest = client.get_trail_status(Name=trail).get("LatestDigestDeliveryTime")
            source: Any = _LocalBuckets(ctx.store().s3_dir, keys if keys is not None else _local_keys(ctx))
            selected = ctx.local_region()
            src_name = "local"
        else:
            if start_dt is None:
                raise UsageError("--start-time is required on the aws backend (e.g. --start-time 24h)")
            client = _cloudtrail(ctx)
            org_trail = False
            if bucket is None or not trail.startswith("arn:"):
                # Matched here too: some endpoints (moto) ignore trailNameList and return every trail.
                found = [t for t in client.describe_trails(trailNameList=[trail]).get("trailList", [])
                         if trail in (t.get("Name"), t.get("TrailARN"))]  # fmt: skip
                if not found:
                    raise AwsmonError(f"A trail could not be found for {trail}")
                desc = found[0]
                trail_arn = desc["TrailARN"]
                bucket = bucket or desc["S3BucketName"]
                prefix = prefix if prefix is not None else desc.get("S3KeyPrefix")
                if desc.get("IsOrganizationTrail"):
                    if not account_ids:
                        raise UsageError("Missing required parameter for organization trail: '--account-id'")
                    org_trail = True
            else:
                trail_arn = trail
            if strict:
                latest = client.get_trail_status(Name=trail_arn).get("LatestDigestDeliveryTime")
            source = _S3Source(ctx, keys)
            selected = ctx.backend().region
            src_name = "aws"
        if org_id is not None and not account_ids:
            raise UsageError("Missing required parameter for organization trail: '--account-id'")
        from awsmon.engines.digest import parse_trail_arn

        try:
            parsed = parse_trail_arn(trail_arn)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        assert bucket is not None
        accounts = account_ids or [parsed.account_id]
        org_of: dict[str, str | None] = dict.fromkeys(accounts, org_id)
        if src_name == "aws":  # where each account's folder is: AWSLogs/<acct>/ or AWSLogs/<o-id>/<acct>/
            org_of = _bucket_organizations(ctx, source, bucket, prefix, accounts, org_trail=org_trail)
        for account in accounts:
            org_id = org_of[account]
            regions = [selected]
            if strict:  # --strict: every source region of the trail in the bucket, not only the selected one
                regions += _other_regions(source, bucket, account, prefix, org_id, selected)
            for region in regions:
                oldest = None
                if start_dt is None:
                    oldest = _oldest_digest_time(source, bucket, account, region, prefix, org_id)
                chains.append(Chain(trail_arn, bucket, prefix or None, account, region, org_id, source, oldest))
        orgs = sorted({o for o in org_of.values() if o})
        org_part = "".join(f"{o}/" for o in orgs) if len(orgs) <= 1 else "{" + ",".join(orgs) + "}/"
        searched = (f"s3://{bucket}/{prefix + '/' if prefix else ''}AWSLogs/{org_part}"
                    f"{'{' + ','.join(account_ids) + '}' if len(account_ids) > 1 else (account_ids or [parsed.account_id])[0]}"
                    f"/CloudTrail-Digest/{'{' + ','.join(sorted({c.region for c in chains})) + '}' if len(chains) > 1 else selected}/"
                    f" (trail {trail_arn})")  # fmt: skip
    if start_dt is None:
        oldest_all = [c.oldest for c in chains if c.oldest is not None]
        start_dt = min(oldest_all) if oldest_all else end_dt
    start_dt = min(start_dt, end_dt)
    from awsmon.engines.digest import format_display_date

    searched += f", between {format_display_date(start_dt)} and {format_display_date(end_dt)}"
    progress = _Progress(on_progress)
    hasher = None
    if src_name != "aws" and (os.cpu_count() or 1) > 1 and chains:
        from awsmon.filehash import FileHasher

        try:
            hasher = FileHasher()  # forked before any thread of the run exists
        except (OSError, ValueError, RuntimeError):
            hasher = None  # no worker processes here (a sandbox): threads hash instead
    reports: list[tuple[Chain, Any]] = []
    try:
        for n, chain in enumerate(chains):
            label = f"{chain.label}:\n" if len(chains) > 1 else ""

            def header(text: str, label: str = label) -> None:
                if on_header is not None:
                    on_header(label + text)

            report = validate_logs(chain.source, trail_arn=chain.trail_arn, bucket=chain.bucket, start=start_dt,
                                   end=end_dt, prefix=chain.prefix, source_region=chain.region,
                                   account_id=chain.account_id, organization_id=chain.organization_id,
                                   verbose=verbose, strict=strict, latest_digest_delivery_time=latest,
                                   on_progress=progress.callback(), hasher=hasher,
                                   on_header=header if n == 0 and on_header is not None else None,
                                   allow_unsigned=allow_unsigned_newest, context_from=context_from)  # fmt: skip
            reports.append((chain, report))
    except DigestValidationFatal as exc:
        raise fatal_error(str(exc), exc.category) from None
    finally:
        if hasher is not None:
            hasher.close()
    merged = _merge(reports, trail or (chains[0].trail_arn if chains else ""), start_dt, end_dt, strict, verbose)
    result = ValidateResult(merged, src_name, reports, searched)
    result.failure = _outcome(result, allow_empty=allow_empty, start=start_dt)
    result.quiet_failure = result.failure is not None and not result.failure.hint
    return result


def _merge(reports: list[tuple[Chain, Any]], trail: str, start: datetime, end: datetime, strict: bool,
           verbose: bool) -> Any:  # fmt: skip
    """One report: a single chain's output unchanged (aws-cli's bytes); several under a label each, plus totals."""
    from awsmon.engines.digest import ValidationReport

    if len(reports) == 1:
        return reports[0][1]
    merged = ValidationReport(reports[0][1].trail_arn if reports else trail, start, end, strict, verbose)
    if not reports:
        return merged  # nothing found to validate: only the error says what was searched
    for n, (chain, rep) in enumerate(reports):
        chunks = list(rep.chunks)
        label = ("" if n == 0 else "\n") + f"{chain.label}:\n"
        if n == 0 and rep.header_emitted:
            chunks[0] = ("stdout", label + chunks[0][1])
            merged.header_emitted = True
        else:
            chunks.insert(0, ("stdout", label))
        merged.chunks += chunks
        merged.files += rep.files
        merged.notices += rep.notices
        for when in (rep.found_start,):
            if when is not None and (merged.found_start is None or when < merged.found_start):
                merged.found_start = when
        if rep.found_end is not None and (merged.found_end is None or rep.found_end > merged.found_end):
            merged.found_end = rep.found_end
    text = f"\nTotal for {len(reports)} digest chains (account, region, trail):"
    for valid, invalid, name in ((merged.valid_digests, merged.invalid_digests, "digest"),
                                 (merged.valid_backfill_digests, merged.invalid_backfill_digests, "backfill digest"),
                                 (merged.valid_logs, merged.invalid_logs, "log")):  # fmt: skip
        total = valid + invalid
        if total > 0:
            text += f"\n{valid}/{total} {name} files valid" + (f", {invalid}/{total} {name} files INVALID" if invalid else "")
    merged.chunks.append(("stdout", text + "\n"))
    return merged


def _d(when: datetime) -> str:
    from awsmon.engines.digest import format_display_date

    return format_display_date(when)


_FINGERPRINT = re.compile(r"public key not found in region (\S+) for fingerprint (\S+)$")


def _signatures_command(result: ValidateResult, start: datetime) -> str:
    """The ``trail download --signatures-only`` command that completes this folder's manifest."""
    chain = next((c for c, rep in result.chains if any(f.verdict == "signature-missing" for f in rep.files)), None)
    if chain is None:
        return "awsmon trail download --signatures-only --s3-bucket BUCKET [--s3-prefix PREFIX] --start-time T --dest DIR"
    root = getattr(getattr(chain.source, "folder", None), "root", "DIR")
    prefix = f" --s3-prefix {chain.prefix}" if chain.prefix else ""
    return (f"awsmon --backend aws trail download --signatures-only --s3-bucket {chain.bucket}{prefix} "
            f"--start-time {_d(start)} --dest {root}")  # fmt: skip


def _outcome(result: ValidateResult, *, allow_empty: bool, start: datetime) -> AwsmonError | None:
    """Exit 3 unless every file passed and at least one digest was verified (or ``--allow-empty``)."""
    r = result.report
    unsigned = [f for f in r.files if f.verdict == "signature-missing"]
    missing_keys: dict[str, str] = {}
    for f in r.files:
        m = _FINGERPRINT.search(f.message) if f.category == "public_key_not_found" else None
        if m:
            missing_keys.setdefault(m.group(2), m.group(1))
    if r.ok and r.verified_digests == 0:
        if allow_empty:
            return None
        return CheckFailed(f"nothing validated: no digest file was verified in {result.searched}",
                           hint="check --start-time/--end-time, --region, --account-id, --s3-prefix or --path; "
                           "--allow-empty accepts an empty result (aws-cli exits 0 here)")  # fmt: skip
    if r.ok:
        return None
    if missing_keys:
        fps = ", ".join(f"{fp} (region {region})" for fp, region in missing_keys.items())
        return CheckFailed(f"public key not found for fingerprint {fps}: the digests signed with it were not verified",
                           hint="supply the key with --public-key FILE: the output of 'aws cloudtrail list-public-keys "
                           "--region REGION --output json' (or 'awsmon trail list-public-keys -o json' on the account "
                           "that delivered the trail), saved to a file")  # fmt: skip
    if unsigned:
        return CheckFailed(f"{len(unsigned)} digest file{'s have' if len(unsigned) > 1 else ' has'} no signature "
                           "metadata (a copy made with 'aws s3 sync' drops S3 object metadata): "
                           f"{unsigned[0].key}", hint=f"fetch the signatures with '{_signatures_command(result, start)}'"
                           ", or accept the newest digest unsigned with --allow-unsigned-newest")  # fmt: skip
    bad_d = r.invalid_digests + r.invalid_backfill_digests
    all_d = bad_d + r.valid_digests + r.valid_backfill_digests
    # Shown only on a terminal: in pipes aws-cli's lines are the whole output.
    return CheckFailed(f"{bad_d} of {all_d} digest files and {r.invalid_logs} of {r.valid_logs + r.invalid_logs} "
                       "log files are INVALID", exit_code=ExitCode.CHECK_FAILED)  # fmt: skip


class _Progress:
    """One running (done, total) over several validation runs (each run counts its own files from zero)."""

    def __init__(self, sink: Callable[[int, int | None], None] | None) -> None:
        self.sink = sink
        self.base = [0, 0]
        self.last = [0, 0]

    def callback(self) -> Callable[[int, int | None], None] | None:
        if self.sink is None:
            return None
        self.base = [self.base[0] + self.last[0], self.base[1] + self.last[1]]
        self.last = [0, 0]

        def report(done: int, total: int | None) -> None:
            self.last = [done, total or 0]
            assert self.sink is not None
            self.sink(self.base[0] + done, self.base[1] + (total or 0))

        return report


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
