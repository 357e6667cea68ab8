"""The imported CloudTrail history, made for tens of millions of records (``docs/cloudtrail.md``, "History store").

Two structures beside the account's SQLite state, written in one transaction per batch of files:

* **Lookup blocks (SQLite)**: the management and Insights records (the only ones LookupEvents returns), verbatim
  JSON, zstd-compressed in blocks of up to 256 records of one (region, category) sorted newest first, plus a
  posting table from each lookup attribute value to the blocks and slots holding it. A lookup reads the postings of
  its most selective attribute newest block first and stops as soon as no older block can beat the page: the first
  page costs a few block reads whatever the history size, and needs only the standard library + zstandard
  (start-up stays small: no DuckDB, no Arrow).
* **The query table (Parquet)**: every imported record (management, data, Insights, network activity) in Athena's
  CloudTrail columns, zstd-compressed, one file per import batch sorted by eventtime (row-group statistics prune time
  ranges), read by DuckDB for ``trail query``.

Both are written in bulk by ``history_import.py`` (DuckDB); this module holds what lookups need (standard library
only). Idempotence: every eventID is kept as a 63-bit hash (``ct_hist_ids``); files already imported are known by the
hash of their bytes. Crash safety: a batch commits its SQLite rows and the name of its Parquet file together; the
Parquet file is renamed into place after the commit, and a file left under its temporary name by a kill between
the two is renamed by the next import or query (one whose batch never committed is deleted).
"""

from __future__ import annotations

import contextlib
import json
import os
import struct
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from awsmon.backends.local.store import AccountStore

BLOCK_SIZE = 256
ZSTD_LEVEL = 3
# Parquet parts: zstd with dictionary pages (DuckDB's default for repetitive strings); row groups of 122,880 rows
# (DuckDB's own unit of parallel scan) so a time range skips whole row groups by their eventtime statistics.
PARQUET_OPTIONS = "COMPRESSION zstd, COMPRESSION_LEVEL 6, ROW_GROUP_SIZE 122880"
COMPACT_ROWS = 100_000  # parts smaller than this are merged ...
COMPACT_MIN_PARTS = 8  # ... once this many have accumulated
VISIBLE = ("Management", "Insight")  # the categories LookupEvents can return
TERM_KEYS = ("EventName", "EventSource", "ReadOnly", "Username", "AccessKeyId", "ResourceType", "ResourceName")


_HEX = frozenset("0123456789abcdefABCDEF-")


def hash63(text: str) -> int:
    """A stable 63-bit hash. CloudTrail eventIDs are UUIDs: their two 64-bit halves, mixed, are a good hash and
    cheaper than blake2b, which every other text gets."""
    if len(text) == 36 and text[8] == text[13] == text[18] == text[23] == "-" and _HEX.issuperset(text):
        a, b = int(text[:8] + text[9:13] + text[14:18], 16), int(text[19:23] + text[24:], 16)
        # Odd multipliers move any difference of structured (non-random) ids into the bits that are kept.
        return (((a * 0x9E3779B97F4A7C15) ^ (b * 0xC2B2AE3D27D4EB4F)) & 0xFFFFFFFFFFFFFFFF) >> 1
    import hashlib

    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big") >> 1


def _md5(data: bytes) -> bytes:
    """md5 without importing hashlib, whose OpenSSL start costs ~3 ms of each lookup's start-up: CPython's own
    ``_md5`` (the same digest), hashlib where it is missing."""
    try:
        from _md5 import md5
    except ImportError:  # not CPython, or built without it
        from hashlib import md5
    return md5(data).digest()


# Postings written by the bulk writer: a 31-bit md5 term hash (DuckDB: ``md5_number(text) >> 97``) and the block's
# newest time in seconds, rounded up: 4 + 4 bytes a row instead of 8 + 6. A collision only costs a re-check.
TERM_FORMAT = "md5-31s"


def term_hash(region: str, category: str, key: str, value: str, *, fmt: str = TERM_FORMAT) -> int:
    """The posting key of a lookup attribute value (region, category, attribute, value) in a store of format ``fmt``:
    ``TERM_FORMAT``; ``md5`` (63 bits, max_t in ms) and ``hash63`` (blake2b) are those of earlier stores."""
    text = f"{region}\x1f{category}\x1f{key}\x1f{value}"
    if fmt == "hash63":
        return hash63(text)
    top = int.from_bytes(_md5(text.encode("utf-8", "surrogatepass"))[8:], "little")
    return top >> 33 if fmt == TERM_FORMAT else top >> 1


def term_format(store: AccountStore) -> str:
    row = store.conn.execute("SELECT v FROM ct_hist_meta WHERE k = 'terms'").fetchone()
    if row is not None:
        return str(row[0])
    return TERM_FORMAT if store.conn.execute("SELECT 1 FROM ct_hist_terms LIMIT 1").fetchone() is None else "hash63"


def upgrade_terms(store: AccountStore) -> None:
    """Re-index, once, the postings of a store written in an older posting format (the blocks hold every record)."""
    c = store.conn
    if term_format(store) == TERM_FORMAT and c.execute("SELECT 1 FROM ct_hist_meta").fetchone():
        return
    with store.transaction():
        if c.execute("SELECT 1 FROM ct_hist_terms LIMIT 1").fetchone() is not None:
            rows = []
            for blk, region, cat, max_t, data in c.execute("SELECT id, region, cat, max_t, data FROM ct_hist_blocks"):
                slots: dict[int, bytearray] = {}
                for slot, line in enumerate(_unpack(data)[1]):
                    for k, v in lookup_terms(json.loads(line)):
                        got = slots.setdefault(term_hash(region, cat, k, v), bytearray())
                        if not got or got[-1] != slot:
                            got.append(slot)
                rows += [(h, (max_t + 999) // 1000, blk, bytes(s)) for h, s in slots.items()]
            c.execute("DELETE FROM ct_hist_terms")
            c.executemany("INSERT INTO ct_hist_terms (term, max_t, blk, slots) VALUES (?,?,?,?)", rows)
        c.execute("INSERT OR REPLACE INTO ct_hist_meta (k, v) VALUES ('terms', ?)", (TERM_FORMAT,))


def block_compressor() -> Any:
    """zstd for the lookup blocks: level 3 with the lazy2 match finder (search log 4), measured on CloudTrail blocks
    at 7.6 % smaller than plain level 3 for 3x its (small) compression CPU; level 7 saves less for more. Decompression
    speed does not depend on it."""
    import zstandard

    params = zstandard.ZstdCompressionParameters.from_level(ZSTD_LEVEL, strategy=zstandard.STRATEGY_LAZY2, search_log=4)
    return zstandard.ZstdCompressor(compression_params=params)


def decompressor() -> Any:
    """A zstd decompressor for the lookup blocks, from zstandard's C extension loaded on its own: the package's
    ``__init__`` imports ``platform`` only to choose that extension (~8 M instructions, ~2.5 ms of a lookup). The
    extension is registered under its own name, so a later ``import zstandard`` (an import) reuses it; anything
    unexpected falls back to the package."""
    import sys

    backend = sys.modules.get("zstandard.backend_c")
    if backend is None and "zstandard" not in sys.modules:
        try:
            from importlib.machinery import EXTENSION_SUFFIXES, ExtensionFileLoader
            from importlib.util import find_spec, module_from_spec, spec_from_file_location

            spec = find_spec("zstandard")
            folder = Path(spec.origin).parent if spec is not None and spec.origin else None
            path = next((p for s in EXTENSION_SUFFIXES if folder and (p := folder / f"backend_c{s}").is_file()), None)
            if path is not None:
                loader = ExtensionFileLoader("zstandard.backend_c", str(path))
                mod_spec = spec_from_file_location("zstandard.backend_c", path, loader=loader)
                if mod_spec is not None:
                    backend = module_from_spec(mod_spec)
                    loader.exec_module(backend)
                    sys.modules["zstandard.backend_c"] = backend
        except (ImportError, OSError):
            backend = None
    if backend is None:
        import zstandard as backend
    return backend.ZstdDecompressor()


def history_dir(store: AccountStore) -> Path:
    return store.dir / "history"


def lookup_terms(rec: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The (attribute, value) pairs a record is found by in LookupEvents (spec §1.4), EventId aside."""
    from awsmon.backends.local.base import username_of

    out: list[tuple[str, str]] = []
    name, source = rec.get("eventName"), rec.get("eventSource")
    details = rec.get("insightDetails")
    if isinstance(details, Mapping) and not name and not source:  # Insights name the API in insightDetails
        name, source = details.get("eventName"), details.get("eventSource")
    if isinstance(name, str) and name:
        out.append(("EventName", name))
    if isinstance(source, str) and source:
        out.append(("EventSource", source))
    ro = rec.get("readOnly")
    if ro is not None:
        out.append(("ReadOnly", str(ro).lower()))
    identity = rec.get("userIdentity")
    if isinstance(identity, Mapping):
        user = username_of(identity)
        if user:
            out.append(("Username", user))
        key = identity.get("accessKeyId")
        if isinstance(key, str) and key:
            out.append(("AccessKeyId", key))
    for r in rec.get("resources") or ():
        if not isinstance(r, Mapping):
            continue
        rtype, arn = r.get("type"), r.get("ARN") or r.get("arn")
        if isinstance(rtype, str) and rtype:
            out.append(("ResourceType", rtype))
        if isinstance(arn, str) and arn:
            out.append(("ResourceName", arn))
    return out


# -- writing --------------------------------------------------------------------------------------------------------

# One parsed record: (id hash, time ms, eventID, filed region, category, raw JSON bytes, lookup terms or None).
Rec = tuple[int, int, str, str, str, bytes, list[tuple[str, str]] | None]


def recover(store: AccountStore) -> None:
    """Finish what a killed import left: rename committed parts, delete uncommitted ones."""
    folder = history_dir(store)
    if not folder.is_dir():
        return
    committed = {r[0] for r in store.conn.execute("SELECT name FROM ct_hist_parts")}
    for tmp in folder.glob(".tmp-*"):
        final = tmp.name[len(".tmp-"):]
        if final in committed and tmp.suffix == ".parquet":
            os.replace(tmp, folder / final)
        else:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
    for old in folder.glob("part-*.parquet"):  # parts a compaction replaced (committed) but had not deleted yet
        if old.name not in committed:
            with contextlib.suppress(FileNotFoundError):
                old.unlink()


def known_files(store: AccountStore, keys: list[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        marks = ",".join("?" * len(chunk))
        for r in store.conn.execute(f"SELECT * FROM ct_hist_files WHERE key IN ({marks})", chunk):
            out[r["key"]] = dict(r)
    return out


def _existing(store: AccountStore, ids_json: str) -> set[int]:
    """Of these eventID hashes (a JSON array, sorted so the index is walked in order), those already imported.
    ``json_each`` instead of a temporary table: one statement, no per-hash row written (13 us a hash -> 0.4)."""
    return {r[0] for r in store.conn.execute("SELECT i.h FROM json_each(?) j JOIN ct_hist_ids i ON i.h = j.value",
                                             (ids_json,))}  # fmt: skip


def refile_hashes(store: AccountStore, hashes: list[int], region: str) -> list[int]:
    """Of these already-imported eventID hashes, those filed (in lookup blocks) under a region other than ``region``."""
    return [r[0] for r in store.conn.execute(
        "SELECT i.h FROM json_each(?) j JOIN ct_hist_ids i ON i.h = j.value JOIN ct_hist_blocks k ON k.id = i.blk "
        "WHERE k.region != ?", (json.dumps(sorted(hashes)), region))]  # fmt: skip


def _unpack(data: bytes) -> tuple[list[int], list[bytes]]:
    raw = decompressor().decompress(data)
    (n,) = struct.unpack_from("<H", raw)
    times = list(struct.unpack_from(f"<{n}q", raw, 2))
    return times, raw[2 + 8 * n :].split(b"\n")


class _Block:
    """One lookup block, read for a lookup: a record is found by its slot without splitting the whole block (a
    sparse attribute needs one or two of its 256 records; splitting cost twice the decompression)."""

    __slots__ = ("times", "raw", "_starts")

    def __init__(self, raw: bytes) -> None:
        (n,) = struct.unpack_from("<H", raw)
        self.times = struct.unpack_from(f"<{n}q", raw, 2)
        self.raw = raw
        self._starts = [2 + 8 * n]  # where each record's line starts, found as far as needed

    def line(self, slot: int) -> bytes:
        raw, starts = self.raw, self._starts
        while len(starts) <= slot + 1:
            end = raw.find(b"\n", starts[-1])
            starts.append((len(raw) if end < 0 else end) + 1)
        return raw[starts[slot] : starts[slot + 1] - 1]

    def slots_holding(self, text: str) -> list[int] | None:
        """The slots whose line holds ``text`` as a JSON string (an eventID); None when it could be escaped."""
        if not (text.isascii() and text.isprintable()) or '"' in text or "\\" in text or "/" in text:
            return None
        needle, raw, first = f'"{text}"'.encode(), self.raw, self._starts[0]
        out: list[int] = []
        pos = raw.find(needle, first)
        while pos >= 0:
            out.append(raw.count(b"\n", first, pos))
            pos = raw.find(needle, pos + 1)
        return out


def publish(store: AccountStore, tmp: Path, part_name: str) -> None:
    os.replace(tmp, history_dir(store) / part_name)


def parts(store: AccountStore) -> list[Path]:
    folder = history_dir(store)
    return sorted(folder / r[0] for r in store.conn.execute("SELECT name FROM ct_hist_parts") if (folder / r[0]).exists())


# -- lookup -------------------------------------------------------------------------------------------------------


def _matches(rec: Mapping[str, Any], pairs: Iterable[tuple[str, str]]) -> bool:
    terms = set(lookup_terms(rec))
    for key, value in pairs:
        if key == "EventId":
            if rec.get("eventID") != value:
                return False
        elif (key, value) not in terms:
            return False
    return True


def lookup(store: AccountStore, region: str, category: str, pairs: list[tuple[str, str]], start_ms: int | None,
           end_ms: int | None, after: tuple[int, str] | None, k: int) -> list[tuple[int, str, str, dict[str, Any]]]:  # fmt: skip
    """The newest ``k`` matching records as (time ms, eventID, record JSON, the record parsed), newest first, ties by
    eventID desc."""
    c = store.conn
    lo = start_ms if start_ms is not None else -(1 << 62)
    hi = end_ms if end_ms is not None else 1 << 62
    if after is not None:
        hi = min(hi, after[0])
    event_id = next((v for key, v in pairs if key == "EventId"), None)
    if event_id is not None:
        row = c.execute("SELECT b.id, b.min_t, b.max_t, NULL FROM ct_hist_ids i JOIN ct_hist_blocks b ON b.id = i.blk "
                        "WHERE i.h = ? AND b.region = ? AND b.cat = ?", (hash63(event_id), region, category)).fetchone()  # fmt: skip
        candidates: Iterable[Any] = [row] if row else []
    else:
        order = {key: i for i, key in enumerate(("ResourceName", "AccessKeyId", "Username", "EventName", "ResourceType",
                                                 "EventSource", "ReadOnly"))}  # fmt: skip
        driver = min((p for p in pairs), key=lambda p: order.get(p[0], 99), default=None)
        if driver is not None:
            fmt = term_format(store)
            scale = 1000 if fmt == TERM_FORMAT else 1  # max_t of the postings: seconds (rounded up) or ms
            candidates = c.execute(
                "SELECT t.blk, b.min_t, t.max_t * ? + ? - 1, t.slots FROM ct_hist_terms t JOIN ct_hist_blocks b "
                "ON b.id = t.blk WHERE t.term = ? AND t.max_t >= ? ORDER BY t.max_t DESC, t.blk DESC",
                (scale, scale, term_hash(region, category, *driver, fmt=fmt), lo // scale))  # fmt: skip
        else:
            candidates = _blocks_in_range(store, region, category, lo, hi)
    from bisect import insort

    unzip: Any = None  # made once a block is read: most accounts have no history
    # The best k so far, kept sorted oldest first (found[0] is the one to beat) by one insertion each: sorting the
    # whole page again after every record cost ~3 M instructions on a time range that reads several blocks.
    found: list[tuple[int, str, str, dict[str, Any]]] = []
    for blk, min_t, max_t, slots in candidates:
        if len(found) >= k and max_t < found[0][0]:
            break
        if min_t > hi:
            continue
        if unzip is None:
            unzip = decompressor()
        block = _Block(unzip.decompress(c.execute("SELECT data FROM ct_hist_blocks WHERE id = ?", (blk,)).fetchone()[0]))
        times = block.times
        if event_id is not None:
            slots = block.slots_holding(event_id)
        for slot in (slots if slots is not None else range(len(times))):
            t = times[slot]
            if len(found) >= k and t < found[0][0]:
                break  # slots run newest first: nothing later in this block can make the page
            if t > hi or t < lo:
                continue
            text = block.line(slot).decode()
            rec = json.loads(text)
            eid = str(rec.get("eventID"))
            if after is not None and t == after[0] and eid >= after[1]:
                continue
            if pairs and not _matches(rec, pairs):
                continue
            insort(found, (t, eid, text, rec), key=_page_order)
            if len(found) > k:
                del found[0]
    return found[::-1]


def _page_order(row: tuple[int, str, str, dict[str, Any]]) -> tuple[int, str]:
    return row[0], row[1]


def _blocks_in_range(store: AccountStore, region: str, category: str, lo: int, hi: int) -> Iterable[Any]:
    """The blocks of (region, category) that overlap [lo, hi], newest first: from the covering index on (region,
    cat, max_t, min_t), so the blocks newer than ``hi`` are skipped inside SQLite without reading their rows (a day
    of January in 10 M events otherwise reads 11,000 rows of the big block table to skip them)."""
    return store.conn.execute(
        "SELECT id, min_t, max_t, NULL FROM ct_hist_blocks INDEXED BY ct_hist_blocks_span WHERE region = ? AND cat = ? "
        "AND max_t >= ? AND min_t <= ? ORDER BY max_t DESC, id DESC", (region, category, lo, hi))  # fmt: skip


def counts(store: AccountStore) -> dict[str, int]:
    c = store.conn
    return {"Events": c.execute("SELECT count(*) FROM ct_hist_ids").fetchone()[0],
            "LookupEvents": c.execute("SELECT coalesce(sum(n), 0) FROM ct_hist_blocks").fetchone()[0]}  # fmt: skip
