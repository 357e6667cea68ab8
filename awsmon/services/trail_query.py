"""``awsmon trail query SQL``: Athena's CloudTrail table over the local history, a downloaded bucket folder, Athena
itself or CloudTrail Lake.

Local queries are written in Athena's dialect (Trino), translated to DuckDB's by sqlglot plus the fix-ups in
``awsmon/engines/athena_cloudtrail.py``, and run by DuckDB over the history's Parquet files (or, with ``--path``, the
gzipped JSON files in place). DuckDB and sqlglot are imported here only, never at start-up.
"""

from __future__ import annotations

from typing import Any


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


def _sql_list(paths: list[Any]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


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

    if not Path(folder).is_dir():
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


def local_query(ctx: Any, sql: str, *, path: str | None = None) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run Athena SQL over the local history (or a downloaded bucket folder) with DuckDB."""
    import duckdb

    from awsmon.duck import duck
    from awsmon.engines.athena_cloudtrail import TABLE, QueryError, read_json_columns, select_list, translate
    from awsmon.errors import UsageError

    try:
        duck_sql = translate(sql)
    except QueryError as exc:
        raise UsageError(f"invalid query: {exc}") from None
    con = duck()
    cleanup: list[Any] = []
    try:
        if path is not None:
            files = _path_files(path)
            rel = (f"SELECT {select_list('r.')} FROM (SELECT unnest(Records) AS r FROM read_json({_sql_list(files)}, "
                   f"columns={{'Records': '{_record_type()}[]'}}, format='unstructured', "
                   "maximum_object_size=1073741824, ignore_errors=true))")  # fmt: skip
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
                rels.append(f"SELECT * FROM read_parquet({_sql_list(parts)})")
            local = _local_rows(store, folder)
            if local is not None:
                cleanup.append(local)
                rels.append(f"SELECT {select_list()} FROM read_json('{local}', format='newline_delimited', "
                            f"columns={read_json_columns()}, ignore_errors=true)")  # fmt: skip
            rel = " UNION ALL ".join(rels) if rels else _empty_relation()
        con.execute(f"CREATE VIEW {TABLE} AS {rel}")
        try:
            cur = con.execute(duck_sql)
            names = [d[0] for d in cur.description or []]
            rows = cur.fetchall()
        except duckdb.Error as exc:
            raise UsageError(f"query failed: {_one_line(exc)}") from None
    finally:
        con.close()
        for p in cleanup:
            p.unlink(missing_ok=True)
    return _athena_names(sql, names), rows


def _one_line(exc: BaseException) -> str:
    from awsmon.engines.athena_cloudtrail import _first_line

    return _first_line(str(exc))


def _athena_names(sql: str, names: list[str]) -> list[str]:
    """Athena names an unaliased expression ``_colN`` (N its position); DuckDB names it after its text."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(sql, read="trino")
    except sqlglot.errors.SqlglotError:
        return names
    select = tree if isinstance(tree, exp.Select) else tree.find(exp.Select)
    if select is None or any(isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star))
                             for e in select.expressions):  # fmt: skip
        return names
    if len(select.expressions) != len(names):
        return names
    out = []
    for i, (e, name) in enumerate(zip(select.expressions, names, strict=True)):
        if isinstance(e, exp.Alias | exp.Column | exp.Dot):
            out.append(e.alias_or_name if isinstance(e, exp.Alias) else name)
        else:
            out.append(f"_col{i}")
    return out


def rows_as_objects(names: list[str], rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """One object per row keyed by column name (a repeated name gets a ``_2`` suffix, as no key may repeat)."""
    keys: list[str] = []
    for n in names:
        k, i = n, 2
        while k in keys:
            k, i = f"{n}_{i}", i + 1
        keys.append(k)
    return [dict(zip(keys, _plain(r), strict=True)) for r in rows]


def _plain(row: tuple[Any, ...]) -> list[Any]:
    import datetime as dt
    import decimal
    import uuid

    out = []
    for v in row:
        if isinstance(v, decimal.Decimal):
            v = int(v) if v == v.to_integral_value() else float(v)
        elif isinstance(v, uuid.UUID):
            v = str(v)
        elif isinstance(v, dt.datetime) and v.tzinfo is None:
            v = v.replace(tzinfo=dt.UTC)
        out.append(v)
    return out


# -- Athena and CloudTrail Lake -----------------------------------------------------------------------------------

_ATHENA_DONE = ("SUCCEEDED", "FAILED", "CANCELLED")


def _wait(poll: Any, done: Any, *, max_wait: float | None, progress: Any, what: str, cancel: Any) -> Any:
    import time

    from awsmon.errors import AwsmonError

    start = time.monotonic()
    delay = 0.25
    while True:
        state = poll()
        if done(state):
            return state
        elapsed = time.monotonic() - start
        if progress is not None:
            progress(state, elapsed)
        if max_wait is not None and elapsed >= max_wait:
            cancel()
            raise AwsmonError(f"{what} still running after --max-wait {max_wait:g}s: cancelled")
        time.sleep(min(delay, max(0.0, (max_wait or 1e9) - elapsed)))
        delay = min(delay * 1.5, 2.0)


def athena_query(ctx: Any, sql: str, *, database: str | None, workgroup: str | None, output_location: str | None,
                 catalog: str | None = None, max_wait: float | None = None, max_results: int | None = None,
                 progress: Any = None) -> tuple[list[str], list[tuple[Any, ...]], dict[str, Any]]:  # fmt: skip
    """The same text through Athena: StartQueryExecution, polling GetQueryExecution, GetQueryResults pages."""
    from awsmon.errors import AwsmonError, UsageError

    client: Any = ctx.client("athena")
    params: dict[str, Any] = {"QueryString": sql}
    if workgroup:
        params["WorkGroup"] = workgroup
    context = {k: v for k, v in (("Database", database), ("Catalog", catalog)) if v}
    if context:
        params["QueryExecutionContext"] = context
    if output_location:
        params["ResultConfiguration"] = {"OutputLocation": output_location}
    qid = client.start_query_execution(**params)["QueryExecutionId"]

    def poll() -> dict[str, Any]:
        return dict(client.get_query_execution(QueryExecutionId=qid)["QueryExecution"])

    execution = _wait(poll, lambda e: (e.get("Status") or {}).get("State") in _ATHENA_DONE, max_wait=max_wait,
                      progress=None if progress is None else lambda e, s: progress(
                          f"{(e.get('Status') or {}).get('State', '?')} {s:.0f}s, "
                          f"{(e.get('Statistics') or {}).get('DataScannedInBytes', 0)} bytes scanned"),
                      what=f"Athena query {qid}", cancel=lambda: client.stop_query_execution(QueryExecutionId=qid))  # fmt: skip
    status = execution.get("Status") or {}
    if status.get("State") != "SUCCEEDED":
        reason = " ".join(str(status.get("StateChangeReason") or status.get("State")).split())
        category = (status.get("AthenaError") or {}).get("ErrorCategory")
        err = UsageError if category == 2 or "SYNTAX_ERROR" in reason or "cannot be resolved" in reason else AwsmonError
        raise err(f"Athena query {qid} {str(status.get('State')).lower()}: {reason}")
    names: list[str] = []
    rows: list[tuple[Any, ...]] = []
    token: str | None = None
    first = True
    while True:
        kw: dict[str, Any] = {"QueryExecutionId": qid, "MaxResults": 1000}
        if token:
            kw["NextToken"] = token
        page = client.get_query_results(**kw)
        rs = page.get("ResultSet") or {}
        if not names:
            names = [c.get("Label") or c.get("Name") for c in (rs.get("ResultSetMetadata") or {}).get("ColumnInfo") or []]
        for i, row in enumerate(rs.get("Rows") or []):
            values = tuple(d.get("VarCharValue") for d in row.get("Data") or [])
            if first and i == 0 and list(values) == names:
                continue  # a SELECT's first row repeats the column names
            rows.append(values)
        first = False
        token = page.get("NextToken")
        if not token or (max_results is not None and len(rows) >= max_results):
            break
    stats = execution.get("Statistics") or {}
    return names, rows[:max_results] if max_results is not None else rows, {"QueryExecutionId": qid, **stats}


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

    sql = _read_sql(sql)
    if max_wait is not None and max_wait <= 0:
        raise UsageError("--max-wait must be a positive number of seconds")
    stats: dict[str, Any] = {}
    if engine == "local":
        names, rows = local_query(ctx, sql, path=path)
        if max_results is not None:
            rows = rows[:max_results]
    elif engine in ("athena", "lake"):
        if ctx.is_local:
            raise UsageError(f"--engine {engine} runs on AWS: use --backend aws (the local backend runs --engine local)")
        if path is not None:
            raise UsageError("--path reads local files: use it with --engine local")
        if engine == "athena":
            names, rows, stats = athena_query(ctx, sql, database=database, workgroup=workgroup,
                                              output_location=output_location, catalog=catalog, max_wait=max_wait,
                                              max_results=max_results, progress=progress)  # fmt: skip
        else:
            if not event_data_store:
                raise UsageError("--engine lake needs --event-data-store ID (or ARN)")
            names, rows, stats = lake_query(ctx, sql, event_data_store=event_data_store, max_wait=max_wait,
                                            max_results=max_results, progress=progress)  # fmt: skip
    else:
        raise UsageError(f"invalid --engine {engine!r}: use local, athena or lake")
    return {"Columns": names, "Rows": rows_as_objects(names, rows), "Statistics": stats}


def _read_sql(sql: str) -> str:
    from pathlib import Path

    from awsmon.errors import UsageError

    if sql.startswith("file://"):
        try:
            return Path(sql[7:]).expanduser().read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read {sql[7:]}: {getattr(exc, 'strerror', None) or exc}") from None
    if sql == "-":
        import sys

        return sys.stdin.read()
    return sql


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
