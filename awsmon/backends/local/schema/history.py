"""Tables of the imported CloudTrail history (``awsmon/backends/local/history.py``; never edit an applied entry).

* ``ct_hist_ids``: every imported event, by a 63-bit hash of its eventID (idempotent re-import); ``blk`` is the
  lookup block holding it, NULL for events LookupEvents never returns (data, network activity).
* ``ct_hist_blocks``: management and Insights records, zstd-compressed in blocks of up to 256 of one (region,
  category), newest first; ``max_t`` ordered per (region, category) for lookups by time alone, and ``min_t`` beside
  it in ``ct_hist_blocks_span`` (a covering index: a time range skips newer blocks without reading their rows).
* ``ct_hist_terms``: which blocks (and which slots in them) hold a lookup attribute value; ``term`` is a 63-bit hash
  of region, category, attribute and value (a collision only costs a re-check of the record).
* ``ct_hist_files``: files already imported (by content hash), so a re-run skips them without reading them.
* ``ct_hist_parts``: the Parquet files of the query table; a file listed here but still under its temporary name
  (killed between commit and rename) is renamed by the next import or query.
* ``ct_hist_meta``: the store's format; ``terms = md5`` when ``ct_hist_terms.term`` is the md5-based hash DuckDB
  computes in bulk (stores written before it used blake2b and are re-indexed once by the next import).
"""

MIGRATIONS: list[str] = [
    """
    CREATE TABLE IF NOT EXISTS ct_hist_ids (h INTEGER PRIMARY KEY, blk INTEGER);
    CREATE TABLE IF NOT EXISTS ct_hist_blocks (
        id INTEGER PRIMARY KEY,
        region TEXT NOT NULL,
        cat TEXT NOT NULL,
        min_t INTEGER NOT NULL,
        max_t INTEGER NOT NULL,
        n INTEGER NOT NULL,
        data BLOB NOT NULL
    );
    CREATE INDEX IF NOT EXISTS ct_hist_blocks_time ON ct_hist_blocks (region, cat, max_t);
    CREATE TABLE IF NOT EXISTS ct_hist_terms (
        term INTEGER NOT NULL,
        max_t INTEGER NOT NULL,
        blk INTEGER NOT NULL,
        slots BLOB NOT NULL,
        PRIMARY KEY (term, max_t, blk)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS ct_hist_files (
        key TEXT PRIMARY KEY,            -- sha256 of the file's bytes, then the --region it was filed under
        records INTEGER NOT NULL,
        first_time TEXT,
        last_time TEXT,
        regions TEXT NOT NULL            -- JSON {region: count}
    );
    CREATE TABLE IF NOT EXISTS ct_hist_parts (name TEXT PRIMARY KEY, rows INTEGER NOT NULL);
    """,
    """
    CREATE TABLE IF NOT EXISTS ct_hist_meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
    """,
    """
    CREATE INDEX IF NOT EXISTS ct_hist_blocks_span ON ct_hist_blocks (region, cat, max_t, min_t);
    """,
]
