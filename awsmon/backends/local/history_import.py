"""Bulk writer of the CloudTrail history store (``history.py``): DuckDB does the per-record work, vectorised.

Python only moves whole files: it decompresses them (in threads: ISA-L/zlib release the GIL), msgspec splits each
``{"Records": [...]}`` file or bare array into its records' JSON texts in one pass (DuckDB splits JSON lines,
EventBridge envelopes unwrapped). One batch (``BATCH_RECORDS``) is then, all in DuckDB: validated by one
``json_type`` over the checked paths (a file with any record Python's reader would refuse or must normalise, e.g. no eventID, goes
to the per-record path of ``trail_import.parse_file``, which gives the exact reason or the normalised records),
parsed once by ``json_transform`` into Athena's struct, which gives both the lookup attributes and the Parquet
columns, deduplicated by the 63-bit eventID hash (against ``ct_hist_ids`` through ``json_each``, and the account's
own ``events``), written as one Parquet file, and cut into the lookup blocks and postings that are bulk-inserted
into SQLite in one transaction. The Parquet file is renamed into place after that transaction commits
(``history.recover`` finishes a killed run). A large import runs one ``Bulk`` per worker process
(``trail_import._parallel``), all committing to the same store: ``concurrent=True`` makes each commit re-check its
deduplication under SQLite's write lock and rebuild the batch when another worker stored one of its eventIDs
meanwhile (``prepare`` / ``commit``). Stage costs: docs/cloudtrail.md, "History store".
"""

from __future__ import annotations

import functools
import json
import os
import re
import struct
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from awsmon.backends.local import history
from awsmon.backends.local.store import AccountStore

# 63-bit hash of a UUID eventID, as ``history.hash63`` computes it (its two 64-bit halves mixed), in DuckDB.
_UUID_RE = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_H = (f"CASE WHEN regexp_full_match(eid, '{_UUID_RE}') THEN ((xor("
      "('0x' || eid[1:8] || eid[10:13] || eid[15:18])::UBIGINT::UHUGEINT * 11400714819323198485::UHUGEINT, "
      "('0x' || eid[20:23] || eid[25:36])::UBIGINT::UHUGEINT * 14029467366897019727::UHUGEINT) "
      "& 18446744073709551615::UHUGEINT) >> 1)::BIGINT END")  # fmt: skip

# The JSON types ``trail_import._normalise`` checks, read by one ``json_type`` call (one parse of the record).
_TYPED = ["$", "$.eventTime", "$.eventID", "$.eventName", "$.eventSource", "$.awsRegion", "$.eventCategory",
          "$.userIdentity", "$.readOnly", "$.insightDetails", "$.resources", "$.userIdentity.type",
          "$.userIdentity.arn", "$.userIdentity.userName", "$.userIdentity.accessKeyId"]  # fmt: skip
_I = {p.removeprefix("$.").removeprefix("$") or "doc": i + 1 for i, p in enumerate(_TYPED)}
_STR = "('VARCHAR', 'NULL')"


def record_structure() -> str:
    """``json_transform``'s structure for one record: Athena's columns (written to Parquet as they are) plus
    ``insightDetails`` as JSON text; the lookup fields are read from the same struct (one more parse)."""
    from awsmon.engines.athena_cloudtrail import json_structure, structure

    st = structure()
    st["insightDetails"] = "JSON"
    return json_structure(st)


def _validated_sql() -> str:
    """One row per record: its struct ``r`` (Athena's columns), derived columns and ``bad`` (the record needs
    ``parse_file``'s per-record path). Mirrors ``trail_import._normalise`` (validation, category, filed region) and
    ``history.lookup_terms``."""

    def ty(name: str) -> str:
        return f"coalesce(ty[{_I[name]}], 'NULL')"

    ident = "r.userIdentity"
    strs = " OR ".join(f"{ty(n)} NOT IN {_STR}" for n in ("eventName", "eventSource", "awsRegion", "eventCategory",
                                                          "userIdentity.type", "userIdentity.arn",
                                                          "userIdentity.userName", "userIdentity.accessKeyId"))  # fmt: skip
    details = f"({ty('insightDetails')} = 'OBJECT' AND r.insightDetails != '{{}}')"
    no_name = f"{details} AND coalesce(r.eventName, '') = '' AND coalesce(r.eventSource, '') = ''"
    user = (f"CASE WHEN {ident}.type = 'Root' THEN 'root' "
            f"WHEN {ident}.type IN ('AssumedRole', 'FederatedUser') THEN "
            f"CASE WHEN contains(coalesce({ident}.arn, ''), '/') THEN regexp_extract({ident}.arn, '[^/]*$') "
            f"ELSE {ident}.sessionContext.sessionIssuer.userName END "
            f"ELSE {ident}.userName END")  # fmt: skip
    # resources[].ARN, or (rarely: only when an element has none) the lower-case ``arn`` Python's reader also takes.
    arns = ("CASE WHEN list_bool_or(list_transform(r.resources, lambda x: coalesce(x.ARN, '') = '')) "
            "THEN list_transform(r.resources, lambda x: x.ARN) || json_extract_string(raw, '$.resources[*].arn') "
            "ELSE list_transform(r.resources, lambda x: x.ARN) END")  # fmt: skip
    return f"""
    SELECT fi, ord, raw, r, et, t, eid, cat, filed, cat IN ('Management', 'Insight') AS vis, {_H} AS h,
           bad OR t IS NULL AS bad,
           CASE WHEN cat IN ('Management', 'Insight') THEN list_distinct(list_filter([
               'EventName' || chr(31) || nullif(CASE WHEN {no_name} THEN json_extract_string(r.insightDetails, '$.eventName')
                                                ELSE r.eventName END, ''),
               'EventSource' || chr(31) || nullif(CASE WHEN {no_name} THEN json_extract_string(r.insightDetails, '$.eventSource')
                                                  ELSE r.eventSource END, ''),
               'ReadOnly' || chr(31) || lower(r.readOnly),
               'Username' || chr(31) || nullif({user}, ''),
               'AccessKeyId' || chr(31) || nullif({ident}.accessKeyId, '')]
               || CASE WHEN {ty('resources')} = 'ARRAY' THEN
                      list_transform(r.resources, lambda x: 'ResourceType' || chr(31) || nullif(x.type, ''))
                      || list_transform({arns}, lambda v: 'ResourceName' || chr(31) || nullif(v, ''))
                  ELSE [] END,
               lambda x: x IS NOT NULL)) END AS terms
    FROM (
        SELECT *, epoch_ms(TRY_CAST(et AS TIMESTAMPTZ)) AS t,
               coalesce(nullif(r.eventCategory, ''), CASE WHEN {details} THEN 'Insight' ELSE 'Management' END) AS cat,
               coalesce(nullif($region, ''), nullif(r.awsRegion, ''), $default) AS filed
        FROM (
            SELECT fi, ord, raw, ty, r, r.eventTime AS et, r.eventID AS eid,
                   raw IS NULL OR {ty('doc')} != 'OBJECT' OR {ty('eventTime')} != 'VARCHAR' OR r.eventTime = ''
                   OR {ty('eventID')} != 'VARCHAR' OR r.eventID = '' OR {strs}
                   OR {ty('userIdentity')} NOT IN ('OBJECT', 'NULL')
                   OR {ty('readOnly')} NOT IN ('BOOLEAN', 'VARCHAR', 'NULL') AS bad
            FROM (SELECT fi, ord, raw, json_type(raw, {_TYPED!r}) AS ty, json_transform(raw, '{record_structure()}') AS r
                  FROM (SELECT * FROM raw_b UNION ALL SELECT * FROM raw_a))))
    """


@dataclass
class FileOut:
    """One file's figures for the report and the ledger (``ct_hist_files``)."""

    key: str
    name: str
    records: int = 0
    first: str | None = None
    last: str | None = None
    regions: dict[str, int] = field(default_factory=dict)
    old: int = 0


@dataclass
class BatchResult:
    files: list[FileOut]
    imported: int
    duplicates: int
    slow: list[tuple[str, str]]  # (key, name) of files the per-record path must read


def _iso(ms: int | None) -> str | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Bulk:
    """Batches of files' texts -> the history store. ``add_*`` stage a file, ``flush`` stores the batch."""

    def __init__(self, store: AccountStore, *, region: str | None, default_region: str, cutoff_ms: int,
                 dry_run: bool, concurrent: bool = False, orphaned: Callable[[], bool] | None = None) -> None:  # fmt: skip
        """``concurrent``: other writers (the import's worker processes) commit batches to the same store at the same
        time, so each commit re-checks, under the write lock, the eventIDs its batch was deduplicated against.
        ``orphaned``: true once the worker's parent is gone; the worker then ends before committing anything."""
        from awsmon.duck import duck

        self.store, self.region, self.default_region = store, region, default_region
        self.cutoff_ms, self.dry_run, self.concurrent, self.orphaned = cutoff_ms, dry_run, concurrent, orphaned
        self.con = duck()
        self.con.execute("SET preserve_insertion_order = false")
        self.con.execute("CREATE TEMP TABLE raw_b (fi INTEGER, ord INTEGER, raw VARCHAR)")
        self.con.execute("CREATE TEMP TABLE seen (h BIGINT)")  # eventIDs counted by a dry run's earlier batches
        # Events the simulated account recorded itself (its own trail's bucket holds them): never imported.
        own = [r[0] for r in store.conn.execute("SELECT event_id FROM events")]
        self.con.execute("CREATE TEMP TABLE own AS SELECT unnest($ids::VARCHAR[]) AS eid", {"ids": own})
        self.files: list[tuple[str, str]] = []
        self.rows = 0
        # Records split by msgspec (add_document): their JSON texts, file index and ordinal.
        self.texts: list[str] = []
        self.fis: list[int] = []
        self.ords: list[int] = []

    def close(self) -> None:
        self.con.close()

    # -- staging ---------------------------------------------------------------------------------------------------

    def _stage(self, key: str, name: str) -> int:
        self.files.append((key, name))
        return len(self.files) - 1

    def add_document(self, key: str, name: str, text: str, path: str) -> bool:
        """A ``{"Records": [...]}`` file (``path`` '$.Records[*]') or a bare array ('$[*]'); False if it cannot be
        read as one (the caller then uses the per-record path, which says why).

        msgspec splits the file into its records' JSON texts (one pass, ~2 us a record; DuckDB's
        ``json_transform`` to a list of JSON cost 8.6-17): they reach DuckDB as a numpy column at ``flush``."""
        import msgspec

        doc, array = record_splitters()
        try:
            if _SPACED.search(text, 0, 4096):  # pretty-printed: the records are kept compact, as DuckDB wrote them
                text = msgspec.json.format(text, indent=-1)
            raws = doc.decode(text).Records if path == "$.Records[*]" else array.decode(text)
        except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):  # invalid JSON, too deep, not a list
            return False
        if raws is None:  # no "Records" key
            return False
        fi = self._stage(key, name)
        self.texts += [bytes(r).decode() for r in raws]
        self.fis += [fi] * len(raws)
        self.ords.extend(range(len(raws)))
        self.rows += len(raws)
        return True

    def add_lines(self, key: str, name: str, chunks: Any) -> None:
        """A JSON-lines file, given as an iterable of texts that end at line ends (read a chunk at a time, so the
        file is never whole in memory); EventBridge envelopes are unwrapped."""
        fi = self._stage(key, name)
        base = 0
        for text in chunks:
            n = self.con.execute(
                "INSERT INTO raw_b SELECT $fi, $base + ord, CASE WHEN NOT json_valid(l) THEN NULL "
                "WHEN json_type(l, '$.detail') = 'OBJECT' AND json_exists(l, '$.detail.eventName') "
                "THEN json_extract(l, '$.detail') ELSE l END "
                "FROM (SELECT unnest(range(len(ls))) AS ord, trim(unnest(ls), chr(32) || chr(9) || chr(13)) AS l "
                "FROM (SELECT string_split($t, chr(10)) AS ls)) WHERE l != ''",
                {"fi": fi, "base": base, "t": text}).fetchone()  # fmt: skip
            base += text.count("\n") + 1
            self.rows += int(n[0]) if n else 0

    # -- storing ---------------------------------------------------------------------------------------------------

    def flush(self) -> BatchResult:
        """Validate, deduplicate and store the staged files (one SQLite transaction, one Parquet file)."""
        self.prepare()
        return self.commit()

    def prepare(self) -> None:
        """Validate the staged files and deduplicate them against the store as it is now (DuckDB; nothing is
        written): ``commit`` stores them."""
        con, store = self.con, self.store
        files, self.files, self.rows = self.files, [], 0
        self._pending: tuple[list[FileOut], list[tuple[str, str]], str] | None = None
        if not files:
            return
        con.register("raw_a", self._split_records())
        con.execute(f"CREATE OR REPLACE TEMP TABLE v AS {_validated_sql()}",
                    {"region": self.region or "", "default": self.default_region})  # fmt: skip
        con.unregister("raw_a")
        # Dropped, not emptied: DuckDB keeps a table's deleted rows' memory (RSS grew by ~350 MB a batch).
        con.execute("DROP TABLE raw_b; CREATE TEMP TABLE raw_b (fi INTEGER, ord INTEGER, raw VARCHAR)")
        bad = {r[0] for r in con.execute("SELECT DISTINCT fi FROM v WHERE bad").fetchall()}
        if bad:
            con.execute("DELETE FROM v WHERE list_contains($bad, fi)", {"bad": sorted(bad)})
        slow = [files[i] for i in sorted(bad)]
        # eventIDs that are not UUIDs are hashed by Python (blake2b), as history.hash63 does.
        odd = con.execute("SELECT DISTINCT eid FROM v WHERE h IS NULL").fetchall()
        if odd:
            con.execute("UPDATE v SET h = m.h FROM (SELECT unnest($e::VARCHAR[]) AS eid, unnest($h::BIGINT[]) AS h) m "
                        "WHERE v.h IS NULL AND v.eid = m.eid",
                        {"e": [r[0] for r in odd], "h": [history.hash63(r[0]) for r in odd]})  # fmt: skip
        out = self._file_figures(files, bad)
        ids_json = con.execute("SELECT '[' || coalesce(string_agg(h::VARCHAR, ',' ORDER BY h), '') || ']' "
                               "FROM (SELECT DISTINCT h FROM v)").fetchone()[0]  # fmt: skip
        self._pending = (out, slow, ids_json)
        self._dedup(history._existing(store, ids_json))

    def _dedup(self, existing: set[int]) -> None:
        """The batch's records to store (temp table or view ``f``): the first of each eventID not in ``existing``
        (already stored), nor counted by a dry run's earlier batch, nor recorded by the account itself."""
        con = self.con
        con.execute("CREATE OR REPLACE TEMP TABLE ex AS SELECT unnest($h::BIGINT[]) AS h", {"h": sorted(existing)})
        clash = con.execute("SELECT count(*) > count(DISTINCT h) OR EXISTS (SELECT 1 FROM v WHERE h IN (SELECT h FROM "
                            "seen) OR eid IN (SELECT eid FROM own)) FROM v").fetchone()[0]  # fmt: skip
        self._f_kind = "TABLE" if existing or clash else "VIEW"
        if self._f_kind == "TABLE":  # keep the first of each eventID, by narrow keys (the rows themselves are wide)
            con.execute("CREATE OR REPLACE TEMP TABLE keep AS SELECT fi, ord FROM v WHERE h NOT IN (SELECT h FROM ex) "
                        "AND h NOT IN (SELECT h FROM seen) AND eid NOT IN (SELECT eid FROM own) "
                        "QUALIFY row_number() OVER (PARTITION BY h ORDER BY fi, ord) = 1")  # fmt: skip
            con.execute("CREATE OR REPLACE TEMP TABLE f AS SELECT v.* FROM v SEMI JOIN keep USING (fi, ord)")
            con.execute("DROP TABLE keep")
        else:  # the usual batch: nothing seen before, no eventID twice
            con.execute("CREATE OR REPLACE TEMP VIEW f AS SELECT * FROM v")
        self._existing = existing
        self._fresh = int(con.execute("SELECT count(*) FROM f").fetchone()[0])

    def commit(self) -> BatchResult:
        """Store what ``prepare`` staged. With concurrent writers, a batch that another writer's commit made stale
        (it stored one of this batch's eventIDs, or refiled one under ``--region``) is deduplicated again and its
        blocks and Parquet part rebuilt, so each eventID is stored exactly once whoever commits first."""
        con, store, pending = self.con, self.store, self._pending
        if pending is None:
            return BatchResult([], 0, 0, [])
        out, slow, ids_json = pending
        if self.dry_run:
            con.execute("INSERT INTO seen SELECT h FROM f")
        else:
            while not self._store(out, self._fresh, self._existing, ids_json):
                con.execute(f"DROP {self._f_kind} f")
                self._dedup(history._existing(store, ids_json))
        con.execute(f"DROP {self._f_kind} f; DROP TABLE v")
        self._pending = None
        total = sum(o.records for o in out)
        return BatchResult(out, self._fresh, total - self._fresh, slow)

    def _split_records(self) -> dict[str, Any]:
        """The records ``add_document`` split, as numpy columns (fi, ord, raw) DuckDB scans in place."""
        import numpy as np

        cols = {"fi": np.array(self.fis, np.int32), "ord": np.array(self.ords, np.int32),
                "raw": np.array(self.texts, dtype=object)}  # fmt: skip
        self.texts, self.fis, self.ords = [], [], []
        return cols

    def _file_figures(self, files: list[tuple[str, str]], bad: set[int]) -> list[FileOut]:
        out = {i: FileOut(key, name) for i, (key, name) in enumerate(files) if i not in bad}
        for fi, n, lo, hi, old in self.con.execute(
                "SELECT fi, count(*), min(t), max(t), count(*) FILTER (WHERE t < $c) FROM v GROUP BY fi",
                {"c": self.cutoff_ms}).fetchall():  # fmt: skip
            o = out[fi]
            o.records, o.first, o.last, o.old = n, _iso(lo), _iso(hi), old
        for fi, region, n in self.con.execute("SELECT fi, filed, count(*) FROM v GROUP BY ALL ORDER BY ALL").fetchall():
            out[fi].regions[region] = n
        return list(out.values())

    def _store(self, out: list[FileOut], fresh: int, existing: set[int], ids_json: str) -> bool:
        """Write the batch; False (nothing written) when a concurrent writer made its deduplication stale."""
        con, store = self.con, self.store
        refile: list[int] = []
        again: list[int] = []
        if self.region and existing:
            again = [r[0] for r in con.execute("SELECT DISTINCT h FROM v WHERE vis AND h IN (SELECT h FROM ex)").fetchall()]
            refile = history.refile_hashes(store, again, self.region)
        # Block numbers are relative to the batch (0, 1, ...): the first free id is read under the write lock.
        # Each visible record's block and slot, computed on narrow columns (the windows sort these, not the JSON);
        # the records' text and terms are joined back by (fi, ord) only to aggregate the blocks and postings.
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE bl AS
            SELECT fi, ord, h, t, filed, cat, slot, dense_rank() OVER (ORDER BY filed, cat, bno) - 1 AS blk FROM (
                SELECT fi, ord, h, t, filed, cat, (rn - 1) // {history.BLOCK_SIZE} AS bno,
                       (rn - 1) % {history.BLOCK_SIZE} AS slot
                FROM (SELECT *, row_number() OVER (PARTITION BY filed, cat ORDER BY t DESC, eid DESC) AS rn
                      FROM (SELECT fi, ord, h, t, eid, filed, cat FROM f WHERE vis
                            UNION ALL
                            SELECT fi, ord, h, t, eid, filed, cat FROM v WHERE list_contains($refile, h)
                            QUALIFY row_number() OVER (PARTITION BY h ORDER BY fi, ord) = 1)))
            """, {"refile": refile})  # fmt: skip
        blocks = con.execute("SELECT bl.blk, bl.filed, bl.cat, min(bl.t), max(bl.t), count(*), list(bl.t ORDER BY bl.slot), "
                             "encode(string_agg(v.raw, chr(10) ORDER BY bl.slot)) FROM bl JOIN v USING (fi, ord) "
                             "GROUP BY ALL ORDER BY bl.blk").fetchall()  # fmt: skip
        terms = con.execute(
            "SELECT th, any_value(mx), blk, "  # the slots sorted per list, not by an ordered aggregate (-22 %)
            "       from_hex(array_to_string(list_transform(list_sort(list_distinct(list(slot))), "
            "                                               lambda x: printf('%02x', x)), '')) "
            "FROM (SELECT (md5_number(filed || chr(31) || cat || chr(31) || term) >> 97)::BIGINT AS th, blk, slot "
            "      FROM (SELECT bl.blk, bl.slot, bl.filed, bl.cat, unnest(v.terms) AS term FROM bl JOIN v USING (fi, ord))) "
            "JOIN (SELECT blk, (max(t) + 999) // 1000 AS mx FROM bl GROUP BY blk) USING (blk) "
            "GROUP BY th, blk ORDER BY th").fetchall()  # fmt: skip
        ids = con.execute("SELECT '[' || coalesce(string_agg('[' || h || ',' || coalesce(blk::VARCHAR, 'null') || ']', ',' "
                          "ORDER BY h), '') || ']' FROM (SELECT f.h, bl.blk FROM f LEFT JOIN bl USING (h) UNION ALL "
                          "SELECT h, blk FROM bl WHERE list_contains($refile, h))", {"refile": refile}).fetchone()[0]  # fmt: skip
        payloads = [struct.pack(f"<H{len(ts)}q", len(ts), *ts) + data for *_, ts, data in blocks]
        part = f"part-{uuid.uuid4().hex}.parquet" if fresh else None
        # The blocks are compressed (zstd releases the GIL) while DuckDB writes the Parquet file: both cores busy.
        with ThreadPoolExecutor(1) as pool:
            packing = pool.submit(_compress, payloads)
            tmp = self._write_parquet(part) if part else None
            packed = packing.result()
        with store.transaction():
            c = store.conn
            if self.orphaned is not None and self.orphaned():
                os._exit(1)  # the import was killed: its next run (whose recovery may delete ``tmp``) does this batch
            stale = self.concurrent and (history._existing(store, ids_json) != existing
                                         or bool(again) and history.refile_hashes(store, again, self.region or "") != refile)  # fmt: skip
            if not stale:
                base = int(c.execute("SELECT coalesce(max(id), 0) + 1 FROM ct_hist_blocks").fetchone()[0])
                c.executemany("INSERT INTO ct_hist_blocks (id, region, cat, min_t, max_t, n, data) VALUES (?,?,?,?,?,?,?)",
                              [(b[0] + base, *b[1:6], packed[i]) for i, b in enumerate(blocks)])  # fmt: skip
                c.execute("INSERT OR REPLACE INTO ct_hist_ids (h, blk) SELECT json_extract(value, '$[0]'), "
                          "json_extract(value, '$[1]') + ? FROM json_each(?)", (base, ids))  # fmt: skip
                c.executemany("INSERT OR IGNORE INTO ct_hist_terms (term, max_t, blk, slots) VALUES (?,?,?,?)",
                              [(th, mx, blk + base, sl) for th, mx, blk, sl in terms])  # fmt: skip
                c.executemany("INSERT OR REPLACE INTO ct_hist_files (key, records, first_time, last_time, regions) "
                              "VALUES (?,?,?,?,?)",
                              [(o.key, o.records, o.first, o.last, json.dumps(o.regions)) for o in out])  # fmt: skip
                if part:
                    c.execute("INSERT INTO ct_hist_parts (name, rows) VALUES (?, ?)", (part, fresh))
        con.execute("DROP TABLE bl")
        if stale:
            if tmp is not None:
                tmp.unlink(missing_ok=True)
            return False
        if tmp is not None and part:
            history.publish(store, tmp, part)
        return True

    def _write_parquet(self, part: str) -> Path:
        from awsmon.engines.athena_cloudtrail import select_list

        folder = history.history_dir(self.store)
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".tmp-{part}"
        self.con.execute(
            f"COPY (SELECT {select_list('r.')} FROM f ORDER BY eventtime) TO '{tmp}' "
            f"(FORMAT parquet, {history.PARQUET_OPTIONS})")  # fmt: skip
        return tmp


def _compress(payloads: list[bytes]) -> list[bytes]:
    cctx = history.block_compressor()
    return [cctx.compress(p) for p in payloads]


# Whitespace between JSON tokens near the start of a file: it was pretty-printed (CloudTrail writes compact JSON).
_SPACED = re.compile(r'[{\[,:]\s*\n|": |", "')


@functools.cache
def record_splitters() -> tuple[Any, Any]:
    """msgspec decoders of a file into its records' raw JSON texts: ``{"Records": [...]}`` and a bare array."""
    import msgspec

    doc = msgspec.defstruct("Doc", [("Records", list[msgspec.Raw] | None, None)], gc=False)
    return msgspec.json.Decoder(doc), msgspec.json.Decoder(list[msgspec.Raw])


def compact(store: AccountStore) -> int:
    """Merge the small Parquet parts many small imports leave into one (sorted by eventtime); the number merged.
    Crash-safe like a batch: the merged file is committed in place of the small ones, then renamed; a kill leaves
    either the old parts or the new one, never both (``history.recover`` deletes what is not committed)."""
    from awsmon.duck import duck

    small = [(n, r) for n, r in store.conn.execute(
        "SELECT name, rows FROM ct_hist_parts WHERE rows < ? ORDER BY name", (history.COMPACT_ROWS,))]  # fmt: skip
    folder = history.history_dir(store)
    small = [(n, r) for n, r in small if (folder / n).exists()]
    if len(small) < history.COMPACT_MIN_PARTS:
        return 0
    part = f"part-{uuid.uuid4().hex}.parquet"
    tmp = folder / f".tmp-{part}"
    files = [str(folder / n) for n, _ in small]
    con = duck()
    try:
        con.execute(f"COPY (SELECT * FROM read_parquet($f, union_by_name = true) ORDER BY eventtime) TO '{tmp}' "
                    f"(FORMAT parquet, {history.PARQUET_OPTIONS})", {"f": files})  # fmt: skip
    finally:
        con.close()
    with store.transaction():
        store.conn.executemany("DELETE FROM ct_hist_parts WHERE name = ?", [(n,) for n, _ in small])
        store.conn.execute("INSERT INTO ct_hist_parts (name, rows) VALUES (?, ?)", (part, sum(r for _, r in small)))
    history.publish(store, tmp, part)
    for f in files:
        Path(f).unlink(missing_ok=True)
    return len(small)
