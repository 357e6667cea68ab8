"""Measured and not taken (``benchmarks/trail_import_stages``, docs/cloudtrail.md "History store"): a bulk writer of
the CloudTrail history store without DuckDB's JSON functions: msgspec parses, Python derives, pyarrow writes Parquet.
It stores what ``awsmon/backends/local/history_import.py`` stores, and costs more CPU per record (building Arrow
columns from Python objects and deriving the lookup fields in Python outweigh the cheaper parse).

Each file is split into raw record slices by one msgspec decode and each slice is decoded into a typed
``msgspec.Struct`` of Athena's columns (camelCase keys; unknown keys skipped). The types are the checks
``trail_import._normalise`` makes (eventTime/eventID/eventName/eventSource/awsRegion/eventCategory strings,
userIdentity an object whose type/arn/userName/accessKeyId are strings, readOnly a boolean or string) plus, for speed,
the JSON types CloudTrail writes for the other columns: a file msgspec refuses goes to the per-record reader
(``parse_file``), which gives the one-line reason, or the normalised records, which are then fitted to the columns
as DuckDB's ``json_transform`` fits them (any value -> its JSON text for a string column, a non-object -> NULL for a
struct). Python then derives what ``_normalise`` and ``history.lookup_terms`` derive (eventID hash, time, category,
filed region, lookup attributes), and the batch is stored as the DuckDB writer stored it: one Parquet part (Athena's
columns, sorted by eventtime), zstd lookup blocks, postings and eventID hashes in one SQLite transaction.
"""

from __future__ import annotations

import hashlib
import json
import struct
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from awsmon.backends.local import history
from awsmon.backends.local.history_import import BatchResult, FileOut, _iso
from awsmon.backends.local.store import AccountStore

# Athena "string" columns CloudTrail fills with JSON objects: kept as raw JSON text (a JSON string is unquoted).
_JSON_TEXT = {"requestParameters", "responseElements", "additionalEventData", "serviceEventDetails",
              "edgeDeviceDetails"}  # fmt: skip
_VALIDATED_STR = {"eventTime", "eventID", "eventName", "eventSource", "awsRegion", "eventCategory"}


class _Types:
    """The msgspec types of one record, built once from ``athena_cloudtrail.COLUMNS``."""

    def __init__(self) -> None:
        import msgspec

        from awsmon.engines.athena_cloudtrail import COLUMNS

        self.msgspec = msgspec
        self.null = msgspec.Raw(b"null")
        n = [0]

        def typ(key: str, t: Any) -> Any:
            if t == "string":
                if key in _JSON_TEXT:
                    return msgspec.Raw
                return str | None
            if t == "map":
                return dict[str, str] | None
            if t[0] == "array":
                return list[typ(key, t[1])] | None  # type: ignore[misc]
            fields = [(k, typ(k, sub), self.null if typ(k, sub) is msgspec.Raw else None) for _, k, sub in t[1]]
            if key == "resources":  # Python's reader also takes a lower-case ``arn``
                fields.append(("arn", str | None, None))
            n[0] += 1
            return msgspec.defstruct(f"S{n[0]}_{key}", fields, gc=False) | None

        fields = []
        for _, key, t in COLUMNS:
            ty = typ(key, t)
            if key == "readOnly":
                ty = bool | str | None
            fields.append((key, ty, self.null if ty is msgspec.Raw else None))
        fields.append(("insightDetails", msgspec.Raw, self.null))
        self.Record = msgspec.defstruct("Record", fields, gc=False)
        self.record = msgspec.json.Decoder(self.Record)
        Doc = msgspec.defstruct("Doc", [("Records", list[msgspec.Raw] | None, None)], gc=False)
        self.doc = msgspec.json.Decoder(Doc)
        self.array = msgspec.json.Decoder(list[msgspec.Raw])
        Env = msgspec.defstruct("Env", [("detail", msgspec.Raw, self.null)], gc=False)
        self.env = msgspec.json.Decoder(Env)
        self.any = msgspec.json.Decoder()
        self.columns = COLUMNS


_T: _Types | None = None


def types() -> _Types:
    global _T
    if _T is None:
        _T = _Types()
    return _T


class Bad(Exception):
    """The file needs the per-record reader."""


def fit(value: Any, t: Any, key: str = "") -> Any:
    """A decoded JSON value fitted to an Athena column type as DuckDB's ``json_transform`` fits it."""
    if t == "string":
        if value is None or isinstance(value, str):
            return value
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False) if not isinstance(value, bool) else \
            ("true" if value else "false")
    if t == "map":
        return {k: fit(v, "string") for k, v in value.items()} if isinstance(value, dict) else None
    if t[0] == "array":
        return [fit(v, t[1], key) for v in value] if isinstance(value, list) else None
    if not isinstance(value, dict):
        return None
    out = {k: fit(value.get(k), sub, k) for _, k, sub in t[1]}
    if key == "resources":
        out["arn"] = value.get("arn") if isinstance(value.get("arn"), str) else None
    return out


class Fast:
    """Batches of files -> the history store. ``add_*`` stage a file's records, ``flush`` stores the batch."""

    def __init__(self, store: AccountStore, *, region: str | None, default_region: str, cutoff_ms: int,
                 dry_run: bool, timer: Callable[[str], Any] | None = None) -> None:  # fmt: skip
        self.store, self.region, self.default_region = store, region, default_region
        self.cutoff_ms, self.dry_run = cutoff_ms, dry_run
        self.T = types()
        self.seen: set[int] = set()
        self.own = {r[0] for r in store.conn.execute("SELECT event_id FROM events")}
        self.files: list[tuple[str, str]] = []
        self.recs: list[Any] = []  # decoded records
        self.raws: list[Any] = []  # their raw JSON slices
        self.fis: list[int] = []  # their file's index
        self.rows = 0
        self.timer = timer or (lambda name: _Null())

    def close(self) -> None:
        pass

    # -- staging ---------------------------------------------------------------------------------------------------

    def _add(self, key: str, name: str, raws: list[Any]) -> bool:
        dec = self.T.record.decode
        try:
            recs = [dec(r) for r in raws]
        except (self.T.msgspec.ValidationError, self.T.msgspec.DecodeError):
            return False
        fi = len(self.files)
        self.files.append((key, name))
        self.recs += recs
        self.raws += raws
        self.fis += [fi] * len(recs)
        self.rows += len(recs)
        return True

    def add_document(self, key: str, name: str, text: str | bytes, path: str) -> bool:
        """A ``{"Records": [...]}`` file or a bare array; False when the per-record reader must read it."""
        m = self.T.msgspec
        try:
            raws = self.T.doc.decode(text).Records if path == "$.Records[*]" else self.T.array.decode(text)
        except (m.ValidationError, m.DecodeError):
            return False
        if raws is None:
            return False
        return self._add(key, name, raws)

    def add_lines(self, key: str, name: str, chunks: Iterable[str | bytes]) -> bool:
        """A JSON-lines file as texts that end at line ends; EventBridge envelopes are unwrapped."""
        m, env = self.T.msgspec, self.T.env.decode
        raws: list[Any] = []
        for text in chunks:
            data = text.encode() if isinstance(text, str) else text
            for line in data.split(b"\n"):
                line = line.strip(b" \t\r")
                if not line:
                    continue
                raw = m.Raw(line)
                if b'"detail"' in line:
                    try:
                        d = env(line).detail
                    except (m.ValidationError, m.DecodeError):
                        return False
                    if bytes(d)[:1] == b"{" and isinstance(got := self.T.any.decode(d), dict) and "eventName" in got:
                        raw = d
                raws.append(raw)
        return self._add(key, name, raws)

    def add_records(self, key: str, name: str, raws: list[bytes]) -> None:
        """Records the per-record reader normalised (orjson texts): fitted to the columns as DuckDB fits them."""
        m, dec = self.T.msgspec, self.T.record.decode
        recs = []
        for raw in raws:
            try:
                recs.append(dec(raw))
            except m.ValidationError:
                value = self.T.any.decode(raw)
                fitted = {k: fit(value.get(k), t, k) for _, k, t in self.T.columns}
                fitted["readOnly"] = value.get("readOnly")
                if "insightDetails" in value:
                    fitted["insightDetails"] = m.Raw(m.json.encode(value["insightDetails"]))
                for k in _JSON_TEXT:  # Raw columns take the JSON text
                    if k in value:
                        fitted[k] = m.Raw(m.json.encode(value[k]))
                    else:
                        fitted.pop(k, None)
                recs.append(m.convert(fitted, self.T.Record))
        fi = len(self.files)
        self.files.append((key, name))
        self.recs += recs
        self.raws += [m.Raw(r) for r in raws]
        self.fis += [fi] * len(recs)
        self.rows += len(recs)

    # -- deriving --------------------------------------------------------------------------------------------------

    def _derive(self, fis: list[int], recs: list[Any]) -> tuple[list[Any], set[int]]:
        """Per record: (h, t, eid, filed, cat, terms); and the files with a record the per-record reader must read."""
        from awsmon.backends.local.history import VISIBLE, hash63
        from awsmon.services.trail_import import _time_ms

        region, default = self.region, self.default_region
        any_dec = self.T.any.decode
        null = self.T.null
        out: list[Any] = []
        bad: set[int] = set()
        for fi, r in zip(fis, recs, strict=True):
            et, eid = r.eventTime, r.eventID
            if not et or not eid:
                bad.add(fi)
                out.append(None)
                continue
            try:
                t = _time_ms(et)
            except ValueError:
                bad.add(fi)
                out.append(None)
                continue
            details = None
            cat = r.eventCategory
            if not cat:
                if r.insightDetails != null:
                    details = any_dec(r.insightDetails)
                cat = "Insight" if details else "Management"
            filed = region or r.awsRegion or default
            terms = None
            if cat in VISIBLE:
                terms = []
                name, source = r.eventName, r.eventSource
                if not name and not source and r.insightDetails != null:
                    if details is None:
                        details = any_dec(r.insightDetails)
                    if isinstance(details, dict):
                        name, source = details.get("eventName"), details.get("eventSource")
                if isinstance(name, str) and name:
                    terms.append("EventName\x1f" + name)
                if isinstance(source, str) and source:
                    terms.append("EventSource\x1f" + source)
                ro = r.readOnly
                if ro is not None:
                    terms.append("ReadOnly\x1f" + ("true" if ro is True else "false" if ro is False else ro.lower()))
                u = r.userIdentity
                if u is not None:
                    kind = u.type
                    if kind == "Root":
                        user = "root"
                    elif kind == "AssumedRole" or kind == "FederatedUser":
                        arn = u.arn or ""
                        if "/" in arn:
                            user = arn.rsplit("/", 1)[-1]
                        else:
                            sc = u.sessionContext
                            user = sc.sessionIssuer.userName if sc is not None and sc.sessionIssuer is not None else None
                    else:
                        user = u.userName
                    if user:
                        terms.append("Username\x1f" + user)
                    if u.accessKeyId:
                        terms.append("AccessKeyId\x1f" + u.accessKeyId)
                for res in r.resources or ():
                    if res is None:
                        continue
                    if res.type:
                        terms.append("ResourceType\x1f" + res.type)
                    arn = res.ARN or res.arn
                    if arn:
                        terms.append("ResourceName\x1f" + arn)
            out.append((hash63(eid), t, eid, filed, cat, terms))
        return out, bad

    # -- storing ---------------------------------------------------------------------------------------------------

    def flush(self) -> BatchResult:
        files, recs, raws, fis = self.files, self.recs, self.raws, self.fis
        self.files, self.recs, self.raws, self.fis, self.rows = [], [], [], [], 0
        if not files:
            return BatchResult([], 0, 0, [])
        with self.timer("derive"):
            der, bad = self._derive(fis, recs)
        slow = [files[i] for i in sorted(bad)]
        idx = [i for i in range(len(recs)) if fis[i] not in bad] if bad else range(len(recs))
        out = {i: FileOut(key, name) for i, (key, name) in enumerate(files) if i not in bad}
        with self.timer("figures"):
            self._figures(out, der, fis, idx)
        with self.timer("dedup"):
            hashes = sorted({der[i][0] for i in idx})
            existing = history._existing(self.store, "[" + ",".join(map(str, hashes)) + "]") if hashes else set()
            first: dict[int, int] = {}
            fresh: list[int] = []
            own, seen = self.own, self.seen
            for i in idx:
                h = der[i][0]
                if h in first:
                    continue
                first[h] = i
                if h in existing or h in seen or (own and der[i][2] in own):
                    continue
                fresh.append(i)
        total = sum(o.records for o in out.values())
        if self.dry_run:
            seen.update(der[i][0] for i in fresh)
        elif fresh or existing:
            self._store(list(out.values()), recs, raws, der, fresh, existing, first)
        else:
            self._ledger(list(out.values()))
        return BatchResult(list(out.values()), len(fresh), total - len(fresh), slow)

    def _figures(self, out: dict[int, FileOut], der: list[Any], fis: list[int], idx: Iterable[int]) -> None:
        cutoff = self.cutoff_ms
        for i in idx:
            h, t, _eid, filed, _cat, _terms = der[i]
            o = out[fis[i]]
            o.records += 1
            if o.first is None or t < o.first:  # type: ignore[operator]
                o.first = t  # type: ignore[assignment]
            if o.last is None or t > o.last:  # type: ignore[operator]
                o.last = t  # type: ignore[assignment]
            if t < cutoff:
                o.old += 1
            o.regions[filed] = o.regions.get(filed, 0) + 1
        for o in out.values():
            o.first, o.last = _iso(o.first), _iso(o.last)  # type: ignore[arg-type]
            o.regions = dict(sorted(o.regions.items()))

    def _ledger(self, out: list[FileOut]) -> None:
        with self.store.transaction():
            self.store.conn.executemany("INSERT OR REPLACE INTO ct_hist_files (key, records, first_time, last_time, "
                                        "regions) VALUES (?,?,?,?,?)",
                                        [(o.key, o.records, o.first, o.last, json.dumps(o.regions)) for o in out])  # fmt: skip

    def _store(self, out: list[FileOut], recs: list[Any], raws: list[Any], der: list[Any], fresh: list[int],
               existing: set[int], first: dict[int, int]) -> None:  # fmt: skip
        store = self.store
        from awsmon.backends.local.history import BLOCK_SIZE, VISIBLE

        with self.timer("blocks"):
            refile: list[int] = []
            if self.region and existing:
                again = sorted({h for h, i in first.items() if h in existing and der[i][4] in VISIBLE})
                refile = history.refile_hashes(store, again, self.region)
            place = [i for i in fresh if der[i][4] in VISIBLE] + [first[h] for h in refile]
            place.sort(key=lambda i: der[i][2], reverse=True)  # ties by eventID, descending
            place.sort(key=lambda i: (der[i][3], der[i][4], -der[i][1]))
            base = int(store.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM ct_hist_blocks").fetchone()[0])
            blocks: list[tuple[Any, ...]] = []
            payloads: list[bytes] = []
            blk_of: dict[int, int] = {}
            terms: dict[tuple[int, int], bytearray] = {}
            term_keys: dict[str, int] = {}
            j = 0
            while j < len(place):
                filed, cat = der[place[j]][3], der[place[j]][4]
                k = j
                while k < len(place) and k - j < BLOCK_SIZE and der[place[k]][3] == filed and der[place[k]][4] == cat:
                    k += 1
                members = place[j:k]
                blk = base + len(blocks)
                ts = [der[i][1] for i in members]
                mx = (ts[0] + 999) // 1000
                payloads.append(struct.pack(f"<H{len(ts)}q", len(ts), *ts) + b"\n".join(bytes(raws[i]) for i in members))
                blocks.append((blk, filed, cat, min(ts), max(ts), len(ts)))
                prefix = f"{filed}\x1f{cat}\x1f"
                for slot, i in enumerate(members):
                    blk_of[der[i][0]] = blk
                    for term in der[i][5]:
                        text = prefix + term
                        th = term_keys.get(text)
                        if th is None:
                            digest = hashlib.md5(text.encode("utf-8", "surrogatepass")).digest()
                            th = term_keys[text] = int.from_bytes(digest[8:], "little") >> 33
                        got = terms.get((th, blk))
                        if got is None:
                            terms[(th, blk)] = bytearray((slot,))
                        elif got[-1] != slot:
                            got.append(slot)
                j = k
                del mx
            max_s = {b[0]: (b[4] + 999) // 1000 for b in blocks}
            term_rows = sorted((th, max_s[blk], blk, bytes(s)) for (th, blk), s in terms.items())
            ids = sorted([(der[i][0], blk_of.get(der[i][0])) for i in fresh] + [(h, blk_of[h]) for h in refile])
        part = f"part-{uuid.uuid4().hex}.parquet" if fresh else None
        with ThreadPoolExecutor(1) as pool:
            packing = pool.submit(_compress, payloads)
            tmp = None
            if part:
                with self.timer("arrow"):
                    table = self._table(recs, sorted(fresh, key=lambda i: recs[i].eventTime))
                with self.timer("parquet"):
                    tmp = self._write_parquet(table, part)
            with self.timer("zstd-wait"):
                packed = packing.result()
        with self.timer("sqlite"), store.transaction():
            c = store.conn
            c.executemany("INSERT INTO ct_hist_blocks (id, region, cat, min_t, max_t, n, data) VALUES (?,?,?,?,?,?,?)",
                          [(*b, packed[n]) for n, b in enumerate(blocks)])
            c.execute("INSERT OR REPLACE INTO ct_hist_ids (h, blk) SELECT json_extract(value, '$[0]'), "
                      "json_extract(value, '$[1]') FROM json_each(?)", (json.dumps(ids),))  # fmt: skip
            c.executemany("INSERT OR IGNORE INTO ct_hist_terms (term, max_t, blk, slots) VALUES (?,?,?,?)", term_rows)
            c.executemany("INSERT OR REPLACE INTO ct_hist_files (key, records, first_time, last_time, regions) "
                          "VALUES (?,?,?,?,?)",
                          [(o.key, o.records, o.first, o.last, json.dumps(o.regions)) for o in out])  # fmt: skip
            if part:
                c.execute("INSERT INTO ct_hist_parts (name, rows) VALUES (?, ?)", (part, len(fresh)))
        if tmp is not None and part:
            history.publish(store, tmp, part)

    # -- Parquet ---------------------------------------------------------------------------------------------------

    def _table(self, recs: list[Any], order: list[int]) -> Any:
        import pyarrow as pa

        rows = [recs[i] for i in order]
        arrays, names = [], []
        for name, key, t in self.T.columns:
            arrays.append(_column([getattr(r, key) for r in rows], t, key, pa, self.T))
            names.append(name)
        return pa.Table.from_arrays(arrays, names=names)

    def _write_parquet(self, table: Any, part: str) -> Path:
        import pyarrow.parquet as pq

        folder = history.history_dir(self.store)
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".tmp-{part}"
        pq.write_table(table, tmp, compression="zstd", compression_level=PARQUET_ZSTD, row_group_size=122_880)
        return tmp


PARQUET_ZSTD = 6


def arrow_type(t: Any, pa: Any) -> Any:
    if t == "string":
        return pa.string()
    if t == "map":
        return pa.map_(pa.string(), pa.string())
    if t[0] == "array":
        return pa.list_(arrow_type(t[1], pa))
    return pa.struct([(name, arrow_type(sub, pa)) for name, _, sub in t[1]])


def _column(vals: list[Any], t: Any, key: str, pa: Any, T: _Types) -> Any:
    if t == "string":
        if key in _JSON_TEXT:
            return pa.array([_raw_text(v, T) for v in vals], pa.string())
        if key == "readOnly":
            vals = [("true" if v else "false") if v is True or v is False else v for v in vals]
        return pa.array(vals, pa.string())
    if t == "map":
        return pa.array([None if v is None else list(v.items()) for v in vals], arrow_type(t, pa))
    if t[0] == "array":
        offsets = [0]
        flat: list[Any] = []
        mask = []
        for v in vals:
            if v is None:
                mask.append(True)
            else:
                mask.append(False)
                flat += v
            offsets.append(len(flat))
        child = _column(flat, t[1], key, pa, T)
        return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), child, mask=pa.array(mask, pa.bool_()))
    mask = [v is None for v in vals]
    children = []
    for _, k, sub in t[1]:
        children.append(_column([None if v is None else getattr(v, k) for v in vals], sub, k, pa, T))
    return pa.StructArray.from_arrays(children, fields=list(arrow_type(t, pa)), mask=pa.array(mask, pa.bool_()))


def _raw_text(v: Any, T: _Types) -> str | None:
    if v is None or v == T.null:
        return None
    b = bytes(v)
    if b[:1] == b'"':
        return T.any.decode(b)  # type: ignore[no-any-return]
    return b.decode()


def _compress(payloads: list[bytes]) -> list[bytes]:
    cctx = history.block_compressor()
    return [cctx.compress(p) for p in payloads]


class _Null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *a: Any) -> None:
        return None
