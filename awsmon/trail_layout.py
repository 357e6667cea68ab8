"""The S3 key layouts CloudTrail writes, and where a local folder sits in them (pure, no AWS, reusable).

Keys (``shared/specs/digest-validation.md`` §3, ``cloudtrail.md`` §3.3)::

    [<prefix>/]AWSLogs/[<o-id>/]<account>/<kind>/<region>/YYYY/MM/DD/<file>

``kind`` is ``CloudTrail`` (log files), ``CloudTrail-Digest`` (digests) or ``CloudTrail-Insight`` (Insights logs);
``<o-id>`` appears for organization trails. A prefix may hold several ``/``-separated parts.

:func:`parse_key` reads a key; :func:`locate` turns any folder of a downloaded bucket (the bucket root, a prefix
folder, ``AWSLogs``, or an organization / account / kind / region / date folder below it) into the folders that
hold ``AWSLogs`` plus the filters the folder implies.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

AWSLOGS = "AWSLogs"
LOG_KIND = "CloudTrail"
DIGEST_KIND = "CloudTrail-Digest"
INSIGHT_KIND = "CloudTrail-Insight"
KINDS = (LOG_KIND, DIGEST_KIND, INSIGHT_KIND)
_SKIP_DIRS = (".awsmon-meta",)
_ORG_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


def is_account_id(text: str) -> bool:
    return len(text) == 12 and text.isascii() and text.isdigit()


def is_organization_id(text: str) -> bool:
    """``o-`` followed by 10 to 32 lowercase letters or digits (the Organizations id pattern)."""
    rest = text[2:]
    return text.startswith("o-") and 10 <= len(rest) <= 32 and all(c in _ORG_CHARS for c in rest)


def _is_date_parts(parts: list[str]) -> bool:
    return len(parts) == 3 and all(p.isascii() and p.isdigit() for p in parts) and [len(p) for p in parts] == [4, 2, 2]


@dataclass(frozen=True)
class TrailKey:
    """One CloudTrail object key, split into its layout parts."""

    prefix: str | None  # the trail's S3 key prefix (no leading/trailing slash), None when absent
    organization_id: str | None
    account_id: str
    kind: str  # one of KINDS
    region: str
    date: str  # YYYY/MM/DD
    name: str  # the file name

    @property
    def account_root(self) -> str:
        """``[prefix/]AWSLogs/[o-id/]<account>/``."""
        head = f"{self.prefix}/" if self.prefix else ""
        org = f"{self.organization_id}/" if self.organization_id else ""
        return f"{head}{AWSLOGS}/{org}{self.account_id}/"

    def digest_name_parts(self) -> tuple[str, str] | None:
        """(trail name, home region) of a digest file name, or None when the name is not a digest's."""
        head = f"{self.account_id}_{DIGEST_KIND}_{self.region}_"
        if self.kind != DIGEST_KIND or not self.name.startswith(head) or not self.name.endswith(".json.gz"):
            return None
        rest = self.name[len(head) : -len(".json.gz")].removesuffix("_backfill")
        parts = rest.rsplit("_", 2)  # trail names may hold underscores; regions and time stamps do not
        if len(parts) != 3 or not parts[0] or not parts[1]:
            return None
        return parts[0], parts[1]


def parse_key(key: str) -> TrailKey | None:
    """Split a CloudTrail key, or None when ``key`` is not in the layout (the last ``AWSLogs`` segment wins)."""
    parts = key.split("/")
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] != AWSLOGS:
            continue
        rest = parts[i + 1 :]
        org = None
        if rest and is_organization_id(rest[0]):
            org, rest = rest[0], rest[1:]
        if len(rest) != 7 or not is_account_id(rest[0]) or rest[1] not in KINDS or not rest[2] or not rest[6]:
            continue
        if not _is_date_parts(rest[3:6]):
            continue
        prefix = "/".join(parts[:i]) or None
        return TrailKey(prefix, org, rest[0], rest[1], rest[2], "/".join(rest[3:6]), rest[6])
    return None


@dataclass(frozen=True)
class FolderScope:
    """A folder holding ``AWSLogs`` and what a ``--path`` below it selects (None = everything)."""

    base: Path  # the folder that holds AWSLogs/
    organization_id: str | None = None
    account_id: str | None = None
    kind: str | None = None
    region: str | None = None
    date: str | None = None  # YYYY[/MM[/DD]]

    def account_dirs(self) -> list[tuple[str | None, str, Path]]:
        """(organization id, account, folder) of every account folder in scope."""
        logs = self.base / AWSLOGS
        out: list[tuple[str | None, str, Path]] = []
        for child in _subdirs(logs):
            if is_account_id(child.name):
                if self.organization_id is None and self.account_id in (None, child.name):
                    out.append((None, child.name, child))
            elif is_organization_id(child.name) and self.organization_id in (None, child.name):
                out += [(child.name, acct.name, acct) for acct in _subdirs(child)
                        if is_account_id(acct.name) and self.account_id in (None, acct.name)]  # fmt: skip
        return out


def _subdirs(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return []


def locate(path: Path, max_depth: int = 6) -> list[FolderScope]:
    """The ``AWSLogs`` folders ``path`` is in or holds, with the selection a deeper ``path`` implies.

    ``path`` inside an ``AWSLogs`` tree: one scope (``AWSLogs/[o-id/]acct/kind/region/YYYY/MM/DD`` read from the
    path). ``path`` above it (a bucket root or a prefix folder): every ``AWSLogs`` folder up to ``max_depth`` levels
    below, with no selection.
    """
    path = Path(os.path.abspath(path))
    parts = path.parts
    if AWSLOGS in parts:
        i = len(parts) - 1 - parts[::-1].index(AWSLOGS)
        base = Path(*parts[:i]) if i else Path(parts[0])
        below = list(parts[i + 1 :])
        org = below.pop(0) if below and is_organization_id(below[0]) else None
        account = below.pop(0) if below and is_account_id(below[0]) else None
        kind = below.pop(0) if below and account and below[0] in KINDS else None
        region = below.pop(0) if below and kind else None
        date = "/".join(below[:3]) if below and region else None
        return [FolderScope(base, org, account, kind, region, date)]
    found: list[FolderScope] = []

    def walk(folder: Path, depth: int) -> None:
        if (folder / AWSLOGS).is_dir():
            found.append(FolderScope(folder))
        if depth >= max_depth:
            return
        for child in _subdirs(folder):
            if child.name != AWSLOGS and child.name not in _SKIP_DIRS and not child.is_symlink():
                walk(child, depth + 1)

    walk(path, 0)
    return found


def date_period(date: str | None) -> tuple[datetime, datetime] | None:
    """The UTC period ``[start, end)`` a ``YYYY``, ``YYYY/MM`` or ``YYYY/MM/DD`` folder holds (key times are UTC), or
    None when ``date`` is not such a folder path."""
    parts = date.split("/") if date else []
    if not 1 <= len(parts) <= 3 or [len(p) for p in parts] != [4, 2, 2][: len(parts)]:
        return None
    if not all(p.isascii() and p.isdigit() for p in parts):
        return None
    year, month, day = (int(p) for p in (*parts, "1", "1")[:3])
    try:
        start = datetime(year, month, day, tzinfo=UTC)
        if len(parts) == 1:
            end = datetime(year + 1, 1, 1, tzinfo=UTC)
        elif len(parts) == 2:
            end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
        else:
            end = datetime.fromordinal(start.toordinal() + 1).replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return None
    return start, end


def key_prefix_of(local_key: str, full_key: str) -> str | None:
    """What a copy dropped from the front of keys: ``full_key`` minus its ``local_key`` tail (None if unrelated)."""
    if full_key == local_key:
        return ""
    if full_key.endswith("/" + local_key):
        return full_key[: len(full_key) - len(local_key)]
    return None
