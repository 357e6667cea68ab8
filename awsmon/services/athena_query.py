"""Athena's SQL text run anywhere: locally by DuckDB over tables awsmon builds (``trail query`` over CloudTrail
logs, ``config query`` over Config snapshots), or on Athena itself through StartQueryExecution. The table-specific
parts (columns, where the files are) stay with each table; this module knows none of them. DuckDB and sqlglot are
imported here only when a query runs, never at start-up.
"""

from __future__ import annotations

from typing import Any


def sql_list(paths: list[Any]) -> str:
    """A DuckDB list literal of file names."""
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def run_local(sql: str, views: dict[str, str]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Athena (Trino) ``sql`` run by DuckDB after each ``views`` name is made a view of its relation (DuckDB SQL).
    Column names are Athena's (``_colN`` for unnamed expressions)."""
    import duckdb

    from awsmon.duck import duck
    from awsmon.engines.athena_sql import QueryError, translate
    from awsmon.errors import UsageError

    try:
        duck_sql = translate(sql, tuple(views))
    except QueryError as exc:
        raise UsageError(f"invalid query: {exc}") from None
    con = duck()
    try:
        for name, rel in views.items():
            con.execute(f"CREATE VIEW {name} AS {rel}")
        # Trino's arithmetic: an integer divided by an integer is an integer (7 / 2 = 3, truncated toward zero) and
        # a division by zero is an error ("Division by zero"), where DuckDB gives 3.5 and Infinity. One difference
        # is left: a DOUBLE divided by zero is Infinity in Trino and an error here.
        con.execute("SET integer_division = true")
        try:
            cur = con.execute(duck_sql)
            names = [d[0] for d in cur.description or []]
            rows = cur.fetchall()
        except duckdb.Error as exc:
            raise UsageError(f"query failed: {_one_line(exc)}") from None
    finally:
        con.close()
    return _athena_names(sql, names), rows


def _one_line(exc: BaseException) -> str:
    """DuckDB's error in one line, in Athena's words where DuckDB's would name its own internals (its rewritten
    expression, its TRY() hint, its catalog's suggestions)."""
    import re

    from awsmon.engines.athena_sql import _first_line

    text = _first_line(str(exc))
    if "Division by zero" in text:
        return "Division by zero"
    missing = re.match(r"Catalog Error: Table with name (\S+) does not exist!", text)
    if missing:
        return f"TABLE_NOT_FOUND: Table '{missing.group(1)}' does not exist"
    column = re.match(r'Binder Error: Referenced column "([^"]+)" not found', text)
    if column:  # DuckDB goes on with its candidates and a caret line under the statement
        return f"COLUMN_NOT_FOUND: Column '{column.group(1)}' cannot be resolved"
    return text


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



# -- Athena -----------------------------------------------------------------------------------------------------

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
    from awsmon.services import given

    params = {"QueryString": sql, **given(WorkGroup=workgroup, QueryExecutionContext=given(Database=database, Catalog=catalog),
                                          ResultConfiguration=given(OutputLocation=output_location))}  # fmt: skip
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


def read_sql(sql: str) -> str:
    """The query inline, from ``file://`` / ``fileb://`` or from stdin (``-``), read by awsmon.inputs."""
    from awsmon.inputs import read_arg

    return read_arg(sql, "query", stdin=True)



def run_query(ctx: Any, sql: str, *, local: Any, engine: str = "local", path: str | None = None,
              database: str | None = None, workgroup: str | None = None, output_location: str | None = None,
              catalog: str | None = None, max_wait: float | None = None, max_results: int | None = None,
              progress: Any = None, other: Any = None) -> dict[str, Any]:  # fmt: skip
    """One query command: ``local(sql)`` for ``--engine local`` (``(names, rows)``), Athena for ``--engine athena``,
    ``other(engine, sql)`` for any further engine it knows (None: only local and athena).
    Returns {"Columns": [...], "Rows": [{column: value}, ...], "Statistics": {...}}."""
    from awsmon.errors import UsageError

    sql = read_sql(sql)
    if max_wait is not None and not 0 < max_wait < float("inf"):  # NaN too: it compares false with everything
        raise UsageError("--max-wait must be a positive number of seconds")
    stats: dict[str, Any] = {}
    if engine == "local":
        names, rows = local(sql)
        if max_results is not None:
            rows = rows[:max_results]
        return {"Columns": names, "Rows": rows_as_objects(names, rows), "Statistics": stats}
    if engine != "athena" and (other is None or engine != "lake"):
        raise UsageError(f"invalid --engine {engine!r}: use {'local, athena or lake' if other else 'local or athena'}")
    if ctx.is_local:
        raise UsageError(f"--engine {engine} runs on AWS: use --backend aws (the local backend runs --engine local)")
    if path is not None:
        raise UsageError("--path reads local files: use it with --engine local")
    if engine == "athena":
        names, rows, stats = athena_query(ctx, sql, database=database, workgroup=workgroup,
                                          output_location=output_location, catalog=catalog, max_wait=max_wait,
                                          max_results=max_results, progress=progress)  # fmt: skip
    else:
        names, rows, stats = other(engine, sql)
    return {"Columns": names, "Rows": rows_as_objects(names, rows), "Statistics": stats}
