"""``awsmon trail import PATH...``: real CloudTrail data into the local event history.

Reads ``{"Records": [...]}`` files, bare JSON arrays and JSON lines, gzip-compressed or not, and whole downloaded
bucket trees in any layout (key prefixes, ``AWSLogs/<o-id>/<account>/...`` of organization trails; digest files and
awsmon's ``.awsmon-meta`` sidecars are recognised and skipped). Two threads read, hash and gunzip the files; their
texts go to the history store's bulk writer (``awsmon/backends/local/history_import.py``), where msgspec splits them
into records and DuckDB validates and stores them in bulk; JSON-lines files larger than 64 MB are read 32 MB at a time.
An import of 64 MB or more is shared by one worker process per core (``_parallel``), each with its own bulk writer,
committing to the same store (an eventID in both workers' files is stored once; a kill -9 takes the workers along). A file DuckDB cannot
take as it is (a record without eventID, a field of the wrong type, NaN, invalid JSON, zip members of other shapes)
is read by the per-record path below (orjson), which gives the one-line reason or the normalised records. One
transaction per batch, so a kill -9 loses at most the batch in flight, which the next run imports again. A corrupt file stores
nothing, is listed under FailedFiles and never stops the others. Records are kept verbatim (unknown fields
included); idempotent by eventID (records without one get a stable id derived from their content), and files
already imported are recognised by the hash of their bytes and not read again.

[design choice] ``--region`` sets the region the events are filed under for lookups; the records' own
``awsRegion`` is left as it was. Records lacking ``eventTime`` use a Logstash ``@timestamp`` when present.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import re
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

import orjson

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

    def add_file(self, n: int, first: str | None, last: str | None, regions: dict[str, int], old: int) -> None:
        self.files += 1
        self.records += n
        self.older_than_90_days += old
        for k, v in regions.items():
            self.regions[k] = self.regions.get(k, 0) + v
        if first:
            self.first = first if self.first is None else min(self.first, first)
        if last:
            self.last = last if self.last is None else max(self.last, last)

    def merge(self, other: ImportReport) -> None:
        """Add a worker process's report."""
        self.files += other.files
        self.records += other.records
        self.imported += other.imported
        self.duplicates += other.duplicates
        self.older_than_90_days += other.older_than_90_days
        self.skipped += other.skipped
        self.failed += other.failed
        for k, v in other.regions.items():
            self.regions[k] = self.regions.get(k, 0) + v
        for t in (other.first, other.last):
            if t:
                self.first = t if self.first is None else min(self.first, t)
                self.last = t if self.last is None else max(self.last, t)

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


@dataclass
class _Unit:
    """One thing to import: a file, or a member of a .zip archive (shown as ``archive.zip!member``)."""

    name: str
    check: PurePosixPath | Path  # the path whose name and folders decide skipping
    read: Any  # () -> bytes
    path: str | None = None  # a plain file (parsed by a worker process)


def _units(paths: Iterator[Path], skipped: list[dict[str, str]]) -> Iterator[_Unit]:
    import zipfile

    for path in paths:
        if path.suffix.lower() != ".zip":
            yield _Unit(str(path), path, path.read_bytes, str(path))
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
                            lambda a=archive, m=m: a.read(m))  # type: ignore[misc]


def _decode_error(exc: Exception) -> str:
    msg = str(exc)
    if "UTF-8" in msg or "utf-8" in msg:
        return "not UTF-8 text"
    if "recursion" in msg.lower() or "depth limit" in msg.lower():
        return "JSON nested too deeply (more than 1024 levels)"
    return f"truncated or invalid JSON ({msg})"


def _loads(data: bytes | str) -> Any:
    """orjson, which (unlike Python's json) refuses NaN/Infinity (never written by CloudTrail, invalid JSON),
    lone surrogates and nesting beyond 1024 levels instead of crashing with RecursionError."""
    return orjson.loads(data)


def _gunzip(data: bytes) -> bytes:
    """gzip.decompress by ISA-L (python-isal, a drop-in with the same checks: CRC, size, members) when installed:
    ~2x zlib's speed, the largest per-file cost of an import after DuckDB's. ``AWSMON_INFLATE=zlib`` turns it off."""
    if os.environ.get("AWSMON_INFLATE", "").lower() != "zlib":
        try:
            from isal import igzip
        except ImportError:
            pass
        else:
            return bytes(igzip.decompress(data))
    return gzip.decompress(data)


def _plain(data: bytes) -> bytes:
    """The file's bytes, gunzipped when they start with the gzip magic (sniffed, not by name), without a BOM."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = _gunzip(data)
        except Exception:  # noqa: BLE001 - any ISA-L error (IsalError is no zlib.error): zlib gives the verdict
            try:  # the reason as zlib gives it (ISA-L words its errors differently)
                data = gzip.decompress(data)
            except (OSError, EOFError, zlib.error) as exc:
                raise BadFile(f"corrupt gzip data ({exc})") from None
    if data[:3] == b"\xef\xbb\xbf":  # a UTF-8 BOM (Windows tools) is not part of the JSON
        data = data[3:]
    return data


def _documents(data: bytes) -> list[Any]:
    """The CloudTrail records of one file's bytes, by sniffing its shape; raises BadFile / SkipFile."""
    text = _plain(data)
    stripped = text.lstrip()
    if not stripped:
        raise SkipFile("empty file")
    if stripped[:1] not in (b"[", b"{"):
        raise SkipFile("not JSON (does not start with { or [)")
    first, nl, rest = stripped.partition(b"\n")
    if stripped[:1] == b"{" and nl and rest.strip():
        try:
            head = _loads(first)
        except orjson.JSONDecodeError:
            head = None
        if isinstance(head, dict):  # JSON lines: the first line is a complete object and another line follows
            out: list[Any] = []
            for lineno, line in enumerate(stripped.split(b"\n"), start=1):
                if not line.strip():
                    continue
                try:
                    obj = _loads(line)
                except orjson.JSONDecodeError as exc:
                    raise BadFile(f"line {lineno}: {_decode_error(exc)}") from None
                if isinstance(obj, dict) and isinstance(obj.get("detail"), dict) and "eventName" in obj["detail"]:
                    obj = obj["detail"]  # an EventBridge envelope around a CloudTrail record
                out.append(obj)
            return out
    try:
        doc = _loads(stripped)
    except orjson.JSONDecodeError as exc:
        raise BadFile(_decode_error(exc)) from None
    if isinstance(doc, dict):
        if "Records" in doc:
            recs = doc["Records"]
            if not isinstance(recs, list):
                raise BadFile('"Records" is not a list')
            return recs
        if "digestS3Object" in doc and "logFiles" in doc:
            raise SkipFile("CloudTrail digest file")
        if "eventName" in doc or "eventID" in doc:
            return [doc]
        raise SkipFile("JSON object without CloudTrail records")
    if isinstance(doc, list):
        return doc
    raise SkipFile("JSON value is not an object or an array")


_TIME_CACHE: dict[str, int] = {}


def _time_ms(text: str) -> int:
    ms = _TIME_CACHE.get(text)
    if ms is None:
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"invalid eventTime {text[:60]!r}") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        try:
            ms = int(round(when.timestamp() * 1000))
        except (OverflowError, ValueError):
            raise ValueError(f"invalid eventTime {text[:60]!r}") from None
        if len(_TIME_CACHE) > 100_000:
            _TIME_CACHE.clear()
        _TIME_CACHE[text] = ms
    return ms


def _normalise(rec: Any, region: str | None, default_region: str) -> Any:
    """One record as the history stores it (see history.Rec); raises ValueError with the reason it is not one."""
    from awsmon.backends.local.history import VISIBLE, hash63, lookup_terms

    if not isinstance(rec, dict):
        raise ValueError(f"not a JSON object ({orjson.dumps(rec).decode()[:40]})")

    if not rec.get("eventTime") and rec.get("@timestamp"):
        rec["eventTime"] = str(rec["@timestamp"])
    text = rec.get("eventTime")
    if not text:
        raise ValueError("record without eventTime")
    # Known fields of the wrong JSON type are not CloudTrail (unknown fields are kept as they are).
    for name in ("eventTime", "eventID", "eventName", "eventSource", "awsRegion", "eventCategory"):
        v = rec.get(name)
        if v is not None and not isinstance(v, str):
            raise ValueError(f"{name} is not a string ({orjson.dumps(v).decode()[:60]})")
    identity = rec.get("userIdentity")
    if identity is not None:
        if not isinstance(identity, dict):
            raise ValueError("userIdentity is not an object")
        for name in ("type", "arn", "userName", "accessKeyId"):
            if identity.get(name) is not None and not isinstance(identity[name], str):
                raise ValueError(f"userIdentity.{name} is not a string")
    if not isinstance(rec.get("readOnly"), bool | str | None):
        raise ValueError("readOnly is not a boolean")
    t = _time_ms(text)
    eid = rec.get("eventID")
    if not eid:
        digest = hashlib.sha256(orjson.dumps(rec, option=orjson.OPT_SORT_KEYS)).digest()
        eid = rec["eventID"] = str(uuid.UUID(bytes=digest[:16], version=4))
    category = rec.get("eventCategory") or ("Insight" if rec.get("insightDetails") else "Management")
    filed = region or rec.get("awsRegion") or default_region
    terms = lookup_terms(rec) if category in VISIBLE else None
    return (hash63(eid), t, eid, filed, category, orjson.dumps(rec), terms)


def parse_file(data: bytes, region: str | None, default_region: str, cutoff_ms: int) -> dict[str, Any]:
    """One file's records, parsed and normalised (run in a worker process): a report dict, picklable."""
    try:
        docs = _documents(data)
        recs = []
        for i, raw in enumerate(docs, start=1):
            try:
                recs.append(_normalise(raw, region, default_region))
            except ValueError as exc:
                raise BadFile(f"record {i}: {exc}") from None
    except SkipFile as exc:
        return {"skip": str(exc)}
    except BadFile as exc:
        return {"fail": str(exc)}
    except RecursionError:
        return {"fail": "JSON nested too deeply"}
    except MemoryError:
        return {"fail": "file too large to read"}
    regions: dict[str, int] = {}
    for r in recs:
        regions[r[3]] = regions.get(r[3], 0) + 1
    times = [r[1] for r in recs]
    return {"recs": recs, "regions": regions, "old": sum(1 for t in times if t < cutoff_ms),
            "first": _iso(min(times)) if times else None, "last": _iso(max(times)) if times else None}


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


BATCH_RECORDS = int(os.environ.get("AWSMON_IMPORT_BATCH", "250000"))  # records per transaction (tests lower it)
_STREAM_BYTES = 64 << 20  # JSON-lines files larger than this are read a chunk at a time
_CHUNK = 32 << 20
_LINES_HEAD = re.compile(r"\n\s*\S")
_RECORDS_HEAD = re.compile(r'\{\s*"Records"\s*:')


def _file_key(data: bytes, region: str | None) -> str:
    return hashlib.sha256(data).hexdigest() + "|" + (region or "")


@dataclass
class _Read:
    """A file as the intake threads leave it: its ledger key and how DuckDB reads it (or why Python must)."""

    unit: _Unit
    key: str = ""
    data: bytes | None = None  # kept for the per-record path (None when the file is read again from disk)
    kind: str = "slow"  # doc | lines | slow | known | error
    text: Any = None  # doc: str; lines: iterable of str chunks
    path: str = ""  # doc: JSON path of the record list
    error: str = ""


def _classify(r: _Read, text: str) -> None:
    stripped = text.lstrip()
    if not stripped or stripped[0] not in "[{":
        return  # the per-record path says what it is (empty, not JSON)
    if "NaN" in stripped or "Infinity" in stripped:
        return  # DuckDB's JSON reader accepts these non-JSON constants; orjson refuses them (or they are in strings)
    if stripped[0] == "[":
        r.kind, r.text, r.path = "doc", stripped, "$[*]"
        return
    first, nl, _ = stripped.partition("\n")
    if nl and _LINES_HEAD.search(stripped, len(first)):
        try:
            head = orjson.loads(first)
        except orjson.JSONDecodeError:
            head = None
        if isinstance(head, dict):
            r.kind, r.text = "lines", [stripped]
            return
    if _RECORDS_HEAD.match(stripped):
        r.kind, r.text, r.path = "doc", stripped, "$.Records[*]"


def _stream_lines(path: str) -> Iterator[str]:
    """A large JSON-lines file (gzip or not) as chunks of whole lines, decoded, BOM dropped."""
    with open(path, "rb") as raw:
        gz = raw.read(2) == b"\x1f\x8b"
    fh: Any = gzip.open(path, "rb") if gz else open(path, "rb")  # noqa: SIM115 - closed below
    with fh:
        rest = b""
        first = True
        while True:
            chunk = fh.read(_CHUNK)
            if not chunk:
                break
            if first and chunk[:3] == b"\xef\xbb\xbf":
                chunk = chunk[3:]
            first = False
            data = rest + chunk
            cut = data.rfind(b"\n") + 1
            rest = data[cut:]
            if cut:
                yield data[:cut].decode("utf-8", "replace")
        if rest:
            yield rest.decode("utf-8", "replace")


def _intake(unit: _Unit, data: bytes | None, region: str | None, done: frozenset[str]) -> _Read:
    """Read, hash and decompress one file (in a thread: zlib and hashlib release the GIL)."""
    r = _Read(unit)
    try:
        if data is None and unit.path is not None and os.path.getsize(unit.path) > _STREAM_BYTES:
            return _intake_large(r, unit.path, region, done)
        data = unit.read() if data is None else data
    except (OSError, RuntimeError, NotImplementedError, zlib.error, EOFError) as exc:
        r.kind, r.error = "error", f"cannot read ({exc})"
        return r
    r.key = _file_key(data, region)
    if r.key in done:
        r.kind = "known"
        return r
    r.data = data if unit.path is None else None
    try:
        text = _plain(data).decode("utf-8")
    except (BadFile, UnicodeDecodeError):
        return r
    _classify(r, text)
    return r


def _intake_large(r: _Read, path: str, region: str | None, done: frozenset[str]) -> _Read:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    r.key = h.hexdigest() + "|" + (region or "")
    if r.key in done:
        r.kind = "known"
        return r
    try:
        head = next(_stream_lines(path), "")
    except (OSError, EOFError, zlib.error):
        return r
    probe = _Read(r.unit)
    _classify(probe, head)
    if probe.kind == "lines":
        r.kind, r.text = "lines", _stream_lines(path)
    return r


def import_paths(ctx: AppContext, paths: list[str], *, region: str | None = None, dry_run: bool = False) -> dict[str, Any]:
    from awsmon.backends.local import history, history_import
    from awsmon.backends.local.store import validate_region

    if not ctx.is_local:
        raise UsageError("trail import loads files into the local account: use --backend local")
    if not paths:
        raise UsageError("give at least one file or folder to import")
    if region:
        validate_region(region)
    store = ctx.store()
    history.recover(store)
    if not dry_run:
        history.upgrade_terms(store)
    store.conn.execute("PRAGMA cache_size = -262144")  # 256 MB: the eventID index is probed at random
    default_region = store.default_region
    cutoff_ms = int((store.now() - timedelta(days=90)).timestamp() * 1000)
    rep = ImportReport()
    units: list[tuple[_Unit, bytes | None]] = []
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
        data = None
        if unit.path is None:  # an archive member: read while its archive is open
            try:
                data = unit.read()
            except (OSError, RuntimeError, NotImplementedError, zlib.error, EOFError) as exc:
                rep.failed.append({"Path": unit.name, "Reason": f"cannot read ({exc})"})
                continue
        units.append((unit, data))
    done = frozenset(r[0] for r in store.conn.execute("SELECT key FROM ct_hist_files"))
    opts = _Opts(region, default_region, cutoff_ms, dry_run)
    slow: list[_Read] = []
    workers = _workers(units, dry_run)
    if workers > 1:  # plain files by worker processes (archive members, held in memory, stay in this one)
        plain = [u for u, data in units if data is None]
        units = [(u, data) for u, data in units if data is not None]
        slow += _parallel(store, plain, workers, opts, done, rep)
    bulk = history_import.Bulk(store, region=region, default_region=default_region, cutoff_ms=cutoff_ms,
                               dry_run=dry_run)  # fmt: skip
    try:
        slow += _bulk_files(store, bulk, units, opts, done, rep)
        # Files DuckDB could not take as they are: Python's per-record reader gives the reason or the records.
        by_key = {r.key: r for r in slow}
        refused: list[_Read] = []
        for r in slow:
            result = parse_file(r.data if r.data is not None else r.unit.read(), region, default_region, cutoff_ms)
            if "skip" in result:
                rep.skipped.append({"Path": r.unit.name, "Reason": result["skip"]})
            elif "fail" in result:
                rep.failed.append({"Path": r.unit.name, "Reason": result["fail"]})
            else:
                bulk.add_lines(r.key, r.unit.name, [b"\n".join(rec[5] for rec in result["recs"]).decode()])
                if bulk.rows >= BATCH_RECORDS:
                    refused += _settle(bulk.flush(), rep, by_key)
        refused += _settle(bulk.flush(), rep, by_key)
        for r in refused:  # normalised records DuckDB still refuses (an eventTime it cannot parse)
            rep.failed.append({"Path": r.unit.name, "Reason": "a record whose eventTime cannot be read"})
    finally:
        bulk.close()
    if not dry_run:
        history_import.compact(store)
    return rep.as_dict(dry_run)


@dataclass(frozen=True)
class _Opts:
    region: str | None
    default_region: str
    cutoff_ms: int
    dry_run: bool


def _settle(res: Any, rep: ImportReport, by_key: dict[str, _Read]) -> list[_Read]:
    """Count a stored batch in the report; the files it could not take (for the per-record path)."""
    for o in res.files:
        rep.add_file(o.records, o.first, o.last, o.regions, o.old)
    rep.imported += res.imported
    rep.duplicates += res.duplicates
    return [by_key[key] for key, _ in res.slow]


def _bulk_files(store: Any, bulk: Any, units: list[tuple[_Unit, bytes | None]], opts: _Opts, done: frozenset[str],
                rep: ImportReport) -> list[_Read]:  # fmt: skip
    """Read the files in two threads and store them through ``bulk`` in batches; the files left for the per-record
    path."""
    from concurrent.futures import ThreadPoolExecutor

    slow: list[_Read] = []
    by_key: dict[str, _Read] = {}

    def stage(r: _Read) -> None:
        by_key[r.key] = r
        if r.kind == "doc" and not bulk.add_document(r.key, r.unit.name, r.text, r.path):
            slow.append(r)
        elif r.kind == "lines":
            bulk.add_lines(r.key, r.unit.name, r.text)
        # DuckDB holds the records now; the file's text must not outlive its batch (``by_key`` keeps every file's
        # entry: 2.4 MB a file, 12 GB of RSS at 10 M records before). The per-record path reads ``data`` or the file.
        r.text = None
        if bulk.rows >= BATCH_RECORDS:
            slow.extend(_settle(bulk.flush(), rep, by_key))

    with ThreadPoolExecutor(2) as pool:
        window: list[Any] = []
        for unit, data in units:
            window.append(pool.submit(_intake, unit, data, opts.region, done))
            if len(window) < 4:
                continue
            _take(window.pop(0).result(), rep, store, opts.cutoff_ms, stage, slow)
        for fut in window:
            _take(fut.result(), rep, store, opts.cutoff_ms, stage, slow)
    slow.extend(_settle(bulk.flush(), rep, by_key))
    return slow


_PARALLEL_BYTES = 64 << 20  # below this (~400,000 records gzipped) one process: spawning a second costs ~0.5 s


def _workers(units: list[tuple[_Unit, bytes | None]], dry_run: bool) -> int:
    """How many worker processes import the plain files: one per core once there is enough to share. A dry run
    counts new eventIDs across batches in one process's memory, so it stays in one."""
    if dry_run:
        return 1
    forced = int(os.environ.get("AWSMON_IMPORT_WORKERS", "0"))  # tests and benchmarks (0: decide by size)
    if forced:
        return forced
    size = 0
    for u, data in units:
        if data is None and u.path is not None:
            with contextlib.suppress(OSError):
                size += os.path.getsize(u.path)
    return min(os.cpu_count() or 1, 4) if size >= _PARALLEL_BYTES else 1


def _parallel(store: Any, plain: list[_Unit], workers: int, opts: _Opts, done: frozenset[str],
              rep: ImportReport) -> list[_Read]:  # fmt: skip
    """Import the plain files by ``workers`` processes over disjoint shares (balanced by size), each with its own
    DuckDB and SQLite connection; they commit their batches to the same store, serialised by SQLite's write lock,
    each re-checking its batch's eventIDs under the lock (``history_import.Bulk(concurrent=True)``), so an eventID
    in files of two workers is stored once. The files they leave for the per-record path are returned."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    shares: list[list[int]] = [[] for _ in range(workers)]
    loads = [0] * workers
    sizes = []
    for u in plain:
        try:
            sizes.append(os.path.getsize(u.path or ""))
        except OSError:
            sizes.append(0)
    for i in sorted(range(len(plain)), key=lambda i: -sizes[i]):
        w = loads.index(min(loads))
        shares[w].append(i)
        loads[w] += sizes[i]
    args = (os.getpid(), str(store.home.root), store.account_id, opts, done)
    slow: list[_Read] = []
    # spawn, not fork: the parent may hold threads and an open database; a worker dies with its parent (kill -9).
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futs = [pool.submit(_worker, [str(plain[i].path) for i in sorted(share)], *args) for share in shares if share]
        by_path = {u.path: u for u in plain}
        for fut in futs:
            part, left = fut.result()
            rep.merge(part)
            slow += [_Read(by_path[path], key=key) for key, path in left]
    return slow


def _worker(paths: list[str], parent: int, root: str, account_id: str, opts: _Opts,
            done: frozenset[str]) -> tuple[ImportReport, list[tuple[str, str]]]:  # fmt: skip
    """One worker process: its share of the files, through its own bulk writer, committing to the shared store."""
    from awsmon.backends.local import history_import
    from awsmon.backends.local.store import AccountStore, Home

    _die_with_parent(parent)
    rep = ImportReport()
    with AccountStore.open(Home(Path(root)), account_id) as store:
        store.conn.execute("PRAGMA cache_size = -262144")
        bulk = history_import.Bulk(store, region=opts.region, default_region=opts.default_region,
                                   cutoff_ms=opts.cutoff_ms, dry_run=False, concurrent=True,
                                   orphaned=lambda: os.getppid() != parent)  # fmt: skip
        try:
            units = [(_Unit(p, Path(p), Path(p).read_bytes, p), None) for p in paths]
            slow = _bulk_files(store, bulk, units, opts, done, rep)
        finally:
            bulk.close()
    return rep, [(r.key, r.unit.path or "") for r in slow]


def _die_with_parent(parent: int) -> None:
    """Ask Linux to SIGKILL this worker when its parent dies: a kill -9 of the import must not leave a worker
    committing batches behind the next run's back (whose recovery deletes Parquet files not yet renamed). Where
    there is no prctl, the worker's bulk writer checks its parent before each commit (``orphaned``)."""
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _take(r: _Read, rep: ImportReport, store: Any, cutoff_ms: int, stage: Any, slow: list[_Read]) -> None:
    from awsmon.backends.local import history

    if r.kind == "error":
        rep.failed.append({"Path": r.unit.name, "Reason": r.error})
    elif r.kind == "known":  # the same bytes were imported before: counted, not read
        done = history.known_files(store, [r.key])[r.key]
        n = int(done["records"])
        old = n if done["last_time"] and _time_ms(done["last_time"]) < cutoff_ms else 0
        rep.add_file(n, done["first_time"], done["last_time"], json.loads(done["regions"]), old)
        rep.duplicates += n
    elif r.kind == "slow":
        slow.append(r)
    else:
        stage(r)
