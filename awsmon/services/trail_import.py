"""``awsmon trail import PATH...``: real CloudTrail data into the local event history.

Reads ``{"Records": [...]}`` files, bare JSON arrays and JSON lines, gzip-compressed or not, and whole downloaded
bucket trees (digest files and awsmon's ``.awsmon-meta`` sidecars are recognised and skipped). Each file is read
and inserted in its own transaction, so a corrupt file stores nothing and never loses what is already there.
Records are kept verbatim (unknown fields included); idempotent by eventID (records without one get a stable id
derived from their content). JSON lines are streamed; a ``Records`` file or an array is at most one delivered
object (AWS caps log files at 50 MB compressed), parsed whole.

[design choice] ``--region`` sets the region the events are filed under for lookups; the records' own
``awsRegion`` is left as it was. Records lacking ``eventTime`` use a Logstash ``@timestamp`` when present.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from awsmon.context import AppContext
from awsmon.errors import UsageError

_SKIP_DIRS = {".awsmon-meta", ".git"}
_EXTS = (".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".gz", ".log", ".log.gz")


class BadFile(Exception):
    """A file that cannot be read as CloudTrail data (the message is the one-line reason)."""


class SkipFile(Exception):
    """A file recognised as something other than CloudTrail records (digest, ...)."""


@dataclass
class ImportReport:
    files: int = 0
    records: int = 0
    imported: int = 0
    duplicates: int = 0
    older_than_90_days: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    regions: dict[str, int] = field(default_factory=dict)
    first: str | None = None
    last: str | None = None

    def as_dict(self, dry_run: bool) -> dict[str, Any]:
        return {
            "DryRun": dry_run,
            "Files": self.files,
            "Records": self.records,
            "Imported": self.imported,
            "Duplicates": self.duplicates,
            "OlderThan90Days": self.older_than_90_days,
            "FirstEventTime": self.first,
            "LastEventTime": self.last,
            "Regions": dict(sorted(self.regions.items())),
            # Region names that --region cannot select (anonymised data): lookups reach them after a re-import
            # with --region R, which files the already-imported events under R.
            "UnselectableRegions": sorted(r for r in self.regions if not _selectable(r)),
            "SkippedFiles": self.skipped,
            "FailedFiles": self.failed,
        }


def _selectable(region: str) -> bool:
    from awsmon.backends.local.store import REGION_RE

    return bool(REGION_RE.match(region))


def _walk(paths: list[str]) -> Iterator[Path]:
    # Every path is checked before anything is read, so a typo in the last one does not leave a partial import.
    for p in paths:
        if not Path(p).exists():
            raise UsageError(f"{p}: no such file or folder (nothing was imported)")
    for p in paths:
        path = Path(p)
        if path.is_dir():
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
                for name in sorted(filenames):
                    yield Path(dirpath) / name
        elif path.exists():
            yield path
        else:
            raise UsageError(f"{p}: no such file or folder")


def _is_digest_name(path: Path | PurePosixPath) -> bool:
    return "_CloudTrail-Digest_" in path.name or "CloudTrail-Digest" in path.parts


def _text(binary: Any) -> Any:
    """A text stream over a binary one, gunzipped when it starts with the gzip magic (sniffed, not by name)."""
    import io

    buffered = binary if hasattr(binary, "peek") else io.BufferedReader(binary)
    if buffered.peek(2)[:2] == b"\x1f\x8b":
        buffered = gzip.GzipFile(fileobj=buffered)
    return io.TextIOWrapper(buffered, encoding="utf-8-sig")  # a UTF-8 BOM (Windows tools) is not part of the JSON


def _open_text(path: Path) -> Any:
    return _text(open(path, "rb"))


@dataclass
class _Unit:
    """One thing to import: a file, or a member of a .zip archive (shown as ``archive.zip!member``)."""

    name: str
    check: PurePosixPath | Path  # the path whose name and folders decide skipping
    open: Any  # () -> text stream


def _units(paths: Iterator[Path], skipped: list[dict[str, str]]) -> Iterator[_Unit]:
    import zipfile

    for path in paths:
        if path.suffix.lower() != ".zip":
            yield _Unit(str(path), path, lambda p=path: _open_text(p))  # type: ignore[misc]
            continue
        try:
            archive = zipfile.ZipFile(path)
            members = [m for m in archive.infolist() if not m.is_dir() and not m.filename.startswith("__MACOSX/")]
        except (OSError, zipfile.BadZipFile) as exc:
            skipped.append({"Path": str(path), "Reason": f"unreadable zip archive ({exc})"})
            continue
        with archive:
            for m in members:
                yield _Unit(f"{path}!{m.filename}", PurePosixPath(m.filename),
                            lambda a=archive, m=m: _text(a.open(m)))  # type: ignore[misc]


def _records(unit: _Unit) -> Iterator[dict[str, Any]]:
    """The CloudTrail records of one file, by sniffing its shape; raises BadFile / SkipFile."""
    try:
        with unit.open() as fh:
            head = ""
            while True:
                ch = fh.read(1)
                if not ch:
                    break
                if not ch.isspace():
                    head = ch
                    break
            if head == "":
                raise SkipFile("empty file")
            if head not in "[{":
                raise SkipFile("not JSON (does not start with { or [)")
            rest = head + fh.read(1 << 16)
            # JSON lines: the first line is a complete object and another line follows.
            first_line, nl, _ = rest.partition("\n")
            if head == "{" and nl and _complete_object(first_line) and rest[len(first_line) + 1 :].strip():
                yield from _json_lines(rest, fh)
                return
            text = rest + fh.read()
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise BadFile(f"corrupt gzip data ({exc})") from None
    except (NotImplementedError, RuntimeError) as exc:  # zip members: unsupported compression, encrypted
        raise BadFile(f"unreadable zip member ({exc})") from None
    except UnicodeDecodeError:
        raise BadFile("not UTF-8 text") from None
    try:
        doc = json.loads(text, parse_constant=_no_constants)
    except ValueError as exc:
        raise BadFile(f"truncated or invalid JSON ({exc})") from None
    if isinstance(doc, dict):
        if "Records" in doc:
            recs = doc["Records"]
            if not isinstance(recs, list):
                raise BadFile('"Records" is not a list')
            yield from (r for r in recs if isinstance(r, dict))
            return
        if "digestS3Object" in doc and "logFiles" in doc:
            raise SkipFile("CloudTrail digest file")
        if "eventName" in doc or "eventID" in doc:
            yield doc
            return
        raise SkipFile("JSON object without CloudTrail records")
    if isinstance(doc, list):
        yield from (r for r in doc if isinstance(r, dict))
        return
    raise SkipFile("JSON value is not an object or an array")


def _no_constants(name: str) -> Any:
    """CloudTrail never writes NaN/Infinity; Python's json would accept them and store invalid JSON."""
    raise ValueError(f"invalid JSON constant {name}")


def _complete_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line, parse_constant=_no_constants), dict)
    except ValueError:
        return False


def _json_lines(buffered: str, fh: Any) -> Iterator[dict[str, Any]]:
    lineno = 0

    def lines() -> Iterator[str]:
        pending = buffered
        while True:
            *complete, pending = pending.split("\n")
            yield from complete
            more = fh.read(1 << 16)
            if not more:
                if pending:
                    yield pending
                return
            pending += more

    try:
        for line in lines():
            lineno += 1
            if not line.strip():
                continue
            try:
                obj = json.loads(line, parse_constant=_no_constants)
            except ValueError as exc:
                raise BadFile(f"line {lineno}: truncated or invalid JSON ({exc})") from None
            if isinstance(obj, dict):
                yield obj.get("detail") if isinstance(obj.get("detail"), dict) and "eventName" in obj["detail"] else obj
    except (OSError, EOFError, zlib.error) as exc:
        raise BadFile(f"corrupt gzip data ({exc})") from None


def _normalise(rec: dict[str, Any], region: str | None) -> tuple[dict[str, Any], datetime]:
    if not rec.get("eventTime") and rec.get("@timestamp"):
        rec = dict(rec, eventTime=str(rec["@timestamp"]))
    text = rec.get("eventTime")
    if not text:
        raise ValueError("record without eventTime")
    # Known fields of the wrong JSON type are not CloudTrail (unknown fields are kept as they are).
    for name in ("eventTime", "eventID", "eventName", "eventSource", "awsRegion", "eventCategory"):
        if rec.get(name) is not None and not isinstance(rec[name], str):
            raise ValueError(f"{name} is not a string ({json.dumps(rec[name])[:60]})")
    identity = rec.get("userIdentity")
    if identity is not None and not isinstance(identity, dict):
        raise ValueError("userIdentity is not an object")
    for name in ("type", "arn", "userName", "accessKeyId"):
        if identity and identity.get(name) is not None and not isinstance(identity[name], str):
            raise ValueError(f"userIdentity.{name} is not a string")
    if not isinstance(rec.get("readOnly"), bool | str | None):
        raise ValueError("readOnly is not a boolean")
    try:
        when = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"invalid eventTime {str(text)[:60]!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if not rec.get("eventID"):
        digest = hashlib.sha256(json.dumps(rec, sort_keys=True).encode()).digest()
        rec = dict(rec, eventID=str(uuid.UUID(bytes=digest[:16], version=4)))
    if region:
        rec = dict(rec, awsRegion=rec.get("awsRegion") or region)
    return rec, when


def _index_insight(store: Any, rec: dict[str, Any]) -> None:
    """Insights records name the API in ``insightDetails`` (no top-level eventName/eventSource): index those, so
    ``trail lookup --event-category insight --event-name X`` finds them as LookupEvents does."""
    details = rec.get("insightDetails")
    if not isinstance(details, dict) or rec.get("eventName") or rec.get("eventSource"):
        return
    name, source = details.get("eventName"), details.get("eventSource")
    store.conn.execute("UPDATE events SET event_name = ?, event_source = ? WHERE event_id = ?",
                       (name if isinstance(name, str) else None, source if isinstance(source, str) else None,
                        str(rec["eventID"])))  # fmt: skip


def import_paths(ctx: AppContext, paths: list[str], *, region: str | None = None, dry_run: bool = False) -> dict[str, Any]:
    from awsmon.backends.local.base import insert_record
    from awsmon.backends.local.store import validate_region

    if not ctx.is_local:
        raise UsageError("trail import loads files into the local account: use --backend local")
    if not paths:
        raise UsageError("give at least one file or folder to import")
    if region:
        validate_region(region)
    store = ctx.store()
    cutoff = store.now() - timedelta(days=90)
    rep = ImportReport()
    seen_in_run: set[str] = set()
    for unit in _units(_walk(paths), rep.skipped):
        path = unit.check
        if any(part in _SKIP_DIRS for part in path.parts):
            continue
        if _is_digest_name(path):
            rep.skipped.append({"Path": unit.name, "Reason": "CloudTrail digest file"})
            continue
        if not path.name.endswith(_EXTS) and path.suffix not in ("", ".txt"):
            rep.skipped.append({"Path": unit.name, "Reason": f"not a JSON or gzip file ({path.suffix})"})
            continue
        counts = {"records": 0, "imported": 0, "dups": 0, "old": 0}
        regions: dict[str, int] = {}
        times: list[str] = []
        try:
            with store.transaction():
                for raw in _records(unit):
                    try:
                        rec, when = _normalise(raw, region)
                    except ValueError as exc:
                        raise BadFile(f"record {counts['records'] + 1}: {exc}") from None
                    counts["records"] += 1
                    if when < cutoff:
                        counts["old"] += 1
                    iso = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                    times.append(iso)
                    r = region or str(rec.get("awsRegion") or store.default_region)
                    regions[r] = regions.get(r, 0) + 1
                    if dry_run:
                        eid = str(rec["eventID"])
                        exists = eid in seen_in_run or store.conn.execute(
                            "SELECT 1 FROM events WHERE event_id = ?", (eid,)).fetchone() is not None  # fmt: skip
                        seen_in_run.add(eid)
                        counts["dups" if exists else "imported"] += 1
                        continue
                    if region:
                        rec_for_db = dict(rec, awsRegion=region)
                        ok = insert_record(store, rec_for_db, origin="import")
                        if ok:  # keep the record verbatim: only the indexed region is overridden
                            store.conn.execute("UPDATE events SET record = ? WHERE event_id = ?",
                                               (json.dumps(rec, separators=(",", ":")), rec["eventID"]))  # fmt: skip
                        else:  # already imported: --region files it again (e.g. an anonymised region name)
                            store.conn.execute("UPDATE events SET region = ? WHERE event_id = ? AND origin = 'import'",
                                               (region, str(rec["eventID"])))  # fmt: skip
                    else:
                        ok = insert_record(store, rec, origin="import")
                    if ok:
                        _index_insight(store, rec)
                    counts["imported" if ok else "dups"] += 1
        except SkipFile as exc:
            rep.skipped.append({"Path": unit.name, "Reason": str(exc)})
            continue
        except BadFile as exc:
            rep.failed.append({"Path": unit.name, "Reason": str(exc)})
            continue
        rep.files += 1
        rep.records += counts["records"]
        rep.imported += counts["imported"]
        rep.duplicates += counts["dups"]
        rep.older_than_90_days += counts["old"]
        for k, v in regions.items():
            rep.regions[k] = rep.regions.get(k, 0) + v
        if times:
            lo, hi = min(times), max(times)
            rep.first = lo if rep.first is None else min(rep.first, lo)
            rep.last = hi if rep.last is None else max(rep.last, hi)
    return rep.as_dict(dry_run)
