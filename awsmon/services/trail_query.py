"""``awsmon trail query SQL``: Athena's CloudTrail table over the local history, a downloaded bucket folder, Athena
itself or CloudTrail Lake.

Local queries are written in Athena's dialect (Trino), translated to DuckDB's by sqlglot plus the fix-ups in
``awsmon/engines/athena_cloudtrail.py``, and run by DuckDB over the history's Parquet files (or, with ``--path``, the
gzipped JSON files in place). DuckDB and sqlglot are imported here only, never at start-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from awsmon.services.athena_query import (  # noqa: F401 (rows_as_objects, athena_query: the module's API)
    _wait,
    athena_query,
    read_sql,
    rows_as_objects,
    run_local,
    run_query,
    sql_list,
)


def _local_rows(store: Any, folder: Any) -> Any:
    """Records recorded by the simulated account itself (and imports made before the history store), as a JSON
    lines file DuckDB reads beside the Parquet parts; None when there are none."""
    rows = store.conn.execute("SELECT record FROM events")
    path = folder / ".tmp-query-events.jsonl"
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        for (record,) in rows:
            fh.write(record)
            fh.write("\n")
            n += 1
    if not n:
        path.unlink()
        return None
    return path


def _empty_relation() -> str:
    from awsmon.engines.athena_cloudtrail import select_list

    return f"SELECT {select_list('r.')} FROM (SELECT NULL::{_record_type()} AS r) WHERE false"


def _record_type() -> str:
    from awsmon.engines.athena_cloudtrail import record_struct_type

    return record_struct_type()


def _path_files(folder: str) -> list[str]:
    from pathlib import Path

    from awsmon.errors import UsageError
    from awsmon.services.trail_import import _SKIP_DIRS, _is_digest_name, _walk

    if not folder or not Path(folder).is_dir():  # "" would be the current folder
        raise UsageError(f"--path {folder}: no such folder")
    out = []
    for path in _walk([folder]):
        if any(part in _SKIP_DIRS for part in path.parts) or _is_digest_name(path):
            continue
        if path.name.endswith((".json", ".json.gz")):
            out.append(str(Path(path)))
    if not out:
        raise UsageError(f"{folder}: no CloudTrail log files (*.json.gz, *.json) in it")
    return out


_PATH_CHUNK = 200_000  # records per temporary Parquet file of a --path query


def _path_relation(files: list[str], scratch: Path) -> str:
    """The relation of a ``--path`` query: the folder's files, read as ``trail import`` reads them (two threads
    gunzip them with ISA-L, msgspec splits each ``{"Records": [...]}`` file or bare array into its records' JSON
    texts) and transformed by one ``json_transform`` per record into Athena's columns, written to temporary
    Parquet files in ``scratch`` (memory stays bounded whatever the folder's size); before, DuckDB's ``read_json``
    read the files whole, ~250 CPU us a record on 2.4 MB ``{"Records": [...]}`` objects. A file msgspec cannot
    split (NaN, which DuckDB's JSON reader accepts; invalid JSON; JSON lines) is split by DuckDB when it can parse
    it and skipped otherwise (read_json used to fail the whole query on a truncated file)."""
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    from awsmon.duck import duck
    from awsmon.engines.athena_cloudtrail import json_structure, select_list

    chunks: list[str] = []
    texts: list[str] = []
    con = duck()

    def write() -> None:
        out = scratch / f"p{len(chunks)}.parquet"
        con.register("path_raw", {"raw": np.array(texts, dtype=object)})
        con.execute(f"COPY (SELECT {select_list('r.')} FROM (SELECT json_transform(raw, '{json_structure()}') AS r "
                    f"FROM path_raw)) TO '{out}' (FORMAT parquet, COMPRESSION snappy)")  # fmt: skip
        con.unregister("path_raw")
        chunks.append(str(out))
        texts.clear()

    try:
        with ThreadPoolExecutor(2) as pool:
            window: list[tuple[str, Any]] = []  # a few files ahead, never the whole folder in memory

            def take() -> None:
                f, fut = window.pop(0)
                records = fut.result()
                texts.extend(records if records is not None else _duck_split(con, f))
                if len(texts) >= _PATH_CHUNK:
                    write()

            for f in files:
                window.append((f, pool.submit(_split_document, f)))
                if len(window) >= 4:
                    take()
            while window:
                take()
        if texts:
            write()
    finally:
        con.close()
    return f"SELECT * FROM read_parquet({sql_list(chunks)})" if chunks else _empty_relation()


def _split_document(path: str) -> list[str] | None:
    """The records of a ``{"Records": [...]}`` file or bare JSON array (gzip or not) as JSON texts (objects only),
    split as ``trail import`` splits them; None when it is not one (or cannot be read). Run in threads (the gunzip
    releases the GIL)."""
    import msgspec

    from awsmon.backends.local.history_import import record_splitters
    from awsmon.services.trail_import import BadFile, _plain

    try:
        data = _plain(Path(path).read_bytes())
    except (OSError, BadFile, EOFError, ValueError):
        return None
    doc, array = record_splitters()
    head = data[:4096].lstrip(b" \t\r\n")
    try:
        raws = doc.decode(data).Records if head[:1] == b"{" else array.decode(data)
    except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
        return None
    if raws is None:
        return None
    texts = [bytes(r).decode("utf-8", "replace") for r in raws]
    return [t for t in texts if t[:1] == "{"]


def _duck_split(con: Any, path: str) -> list[str]:
    """The object records of a ``{"Records": [...]}`` file msgspec refused, as DuckDB's JSON parser reads them
    (it accepts NaN); none when DuckDB cannot parse it either or it is not such a file."""
    from awsmon.services.trail_import import BadFile, _plain

    try:
        text = _plain(Path(path).read_bytes()).decode("utf-8", "replace")
    except (OSError, BadFile, EOFError, ValueError):
        return []
    rows = con.execute("SELECT unnest(json_transform($t, '{\"Records\": [\"JSON\"]}').Records)::VARCHAR AS r "
                       "WHERE json_valid($t)", {"t": text}).fetchall()  # fmt: skip
    return [r for (r,) in rows if r is not None and r[:1] == "{"]


def local_query(ctx: Any, sql: str, *, path: str | None = None) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run Athena SQL over the local history (or a downloaded bucket folder) with DuckDB."""
    from awsmon.engines.athena_cloudtrail import TABLE, read_json_columns, select_list
    from awsmon.errors import UsageError

    cleanup: list[Any] = []
    if path is not None:
        import tempfile

        scratch = tempfile.TemporaryDirectory(prefix="awsmon-query-")
        cleanup.append(scratch)
        rel = _path_relation(_path_files(path), Path(scratch.name))
    else:
        if not ctx.is_local:
            raise UsageError("trail query runs locally on the local backend; on aws use --engine athena or "
                             "--engine lake, or --path DIR for a downloaded bucket folder")  # fmt: skip
        from awsmon.backends.local import history

        store = ctx.store()
        history.recover(store)
        folder = history.history_dir(store)
        folder.mkdir(parents=True, exist_ok=True)
        parts = history.parts(store)
        rels = []
        if parts:
            rels.append(f"SELECT * FROM read_parquet({sql_list(parts)})")
        local = _local_rows(store, folder)
        if local is not None:
            cleanup.append(local)
            rels.append(f"SELECT {select_list()} FROM read_json('{local}', format='newline_delimited', "
                        f"columns={read_json_columns()}, ignore_errors=true)")  # fmt: skip
        rel = " UNION ALL ".join(rels) if rels else _empty_relation()
    try:
        return run_local(sql, {TABLE: rel})
    finally:
        for p in cleanup:
            if isinstance(p, Path):
                p.unlink(missing_ok=True)
            else:
                p.cleanup()


# -- Athena and CloudTrail Lake -----------------------------------------------------------------------------------

def lake_query(ctx: Any, sql: str, *, event_data_store: str, max_wait: float | None = None,
               max_results: int | None = None, progress: Any = None) -> tuple[list[str], list[tuple[Any, ...]], dict[str, Any]]:  # fmt: skip
    """CloudTrail Lake SQL: StartQuery, DescribeQuery until done, GetQueryResults pages. ``cloudtrail_logs`` in
    the text stands for the event data store, so one query file serves every engine."""
    import re

    from awsmon.errors import AwsmonError, UsageError

    client: Any = ctx.client("cloudtrail")
    eds_id = event_data_store.rsplit("/", 1)[-1]
    statement = re.sub(r"\bcloudtrail_logs\b", eds_id, sql)
    qid = client.start_query(QueryStatement=statement)["QueryId"]

    def poll() -> dict[str, Any]:
        return dict(client.describe_query(EventDataStore=event_data_store, QueryId=qid))

    desc = _wait(poll, lambda d: d.get("QueryStatus") in ("FINISHED", "FAILED", "CANCELLED", "TIMED_OUT"),
                 max_wait=max_wait, progress=None if progress is None else lambda d, s: progress(
                     f"{d.get('QueryStatus', '?')} {s:.0f}s, "
                     f"{(d.get('QueryStatistics') or {}).get('EventsScanned', 0)} events scanned"),
                 what=f"CloudTrail Lake query {qid}",
                 cancel=lambda: client.cancel_query(EventDataStore=event_data_store, QueryId=qid))  # fmt: skip
    if desc.get("QueryStatus") != "FINISHED":
        reason = " ".join(str(desc.get("ErrorMessage") or desc.get("QueryStatus")).split())
        err = UsageError if desc.get("QueryStatus") == "FAILED" else AwsmonError
        raise err(f"CloudTrail Lake query {qid} {str(desc.get('QueryStatus')).lower()}: {reason}")
    names: list[str] = []
    rows: list[tuple[Any, ...]] = []
    token: str | None = None
    while True:
        kw: dict[str, Any] = {"EventDataStore": event_data_store, "QueryId": qid}
        if token:
            kw["NextToken"] = token
        page = client.get_query_results(**kw)
        for row in page.get("QueryResultRows") or []:
            cells = [(k, v) for cell in row for k, v in cell.items()]
            if not names:
                names = [k for k, _ in cells]
            rows.append(tuple(v for _, v in cells))
        token = page.get("NextToken")
        if not token or (max_results is not None and len(rows) >= max_results):
            break
    return names, rows[:max_results] if max_results is not None else rows, {"QueryId": qid, **(desc.get("QueryStatistics") or {})}


def query(ctx: Any, sql: str, *, engine: str = "local", path: str | None = None, database: str | None = None,
          workgroup: str | None = None, output_location: str | None = None, catalog: str | None = None,
          event_data_store: str | None = None, max_wait: float | None = None, max_results: int | None = None,
          progress: Any = None) -> dict[str, Any]:  # fmt: skip
    """``trail query``: {"Columns": [...], "Rows": [{column: value}, ...], "Statistics": {...}}."""
    from awsmon.errors import UsageError

    def lake(_engine: str, text: str) -> tuple[list[str], list[tuple[Any, ...]], dict[str, Any]]:
        if not event_data_store:
            raise UsageError("--engine lake needs --event-data-store ID (or ARN)")
        return lake_query(ctx, text, event_data_store=event_data_store, max_wait=max_wait, max_results=max_results,
                          progress=progress)  # fmt: skip

    return run_query(ctx, sql, local=lambda text: local_query(ctx, text, path=path), engine=engine, path=path,
                     database=database, workgroup=workgroup, output_location=output_location, catalog=catalog,
                     max_wait=max_wait, max_results=max_results, progress=progress, other=lake)  # fmt: skip


def athena_ddl(*, bucket: str, prefix: str | None, account_id: str, table_name: str, projection_start: str,
               org_id: str | None = None, regions: list[str] | None = None) -> str:
    import re

    from awsmon.engines.athena_cloudtrail import athena_ddl as ddl
    from awsmon.errors import UsageError

    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket):
        raise UsageError(f"invalid --s3-bucket {bucket!r}: an S3 bucket name is 3-63 lower-case letters, digits, . and -")
    if not re.fullmatch(r"\d{12}", account_id):
        raise UsageError(f"invalid --account-id {account_id!r}: an AWS account id is 12 digits")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,254}", table_name):
        raise UsageError(f"invalid --table-name {table_name!r}: letters, digits and _ only")
    if not re.fullmatch(r"\d{4}/\d{2}/\d{2}", projection_start):
        raise UsageError(f"invalid --projection-start {projection_start!r}: use yyyy/MM/dd, e.g. 2024/01/01")
    if org_id is not None and not re.fullmatch(r"o-[a-z0-9]{10,32}", org_id):
        raise UsageError(f"invalid --org-id {org_id!r}: an organization id is o- and 10-32 letters or digits")
    if prefix and (prefix.startswith("/") or ".." in prefix.split("/") or len(prefix) > 200):
        raise UsageError(f"invalid --s3-prefix {prefix!r}")
    return ddl(table=table_name, bucket=bucket, prefix=prefix or "", account_id=account_id, org_id=org_id,
               projection_start=projection_start, regions=regions)
