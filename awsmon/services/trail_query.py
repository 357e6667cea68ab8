"""``awsmon trail query SQL``: Athena's CloudTrail table over the local history, a downloaded bucket folder, Athena
itself or CloudTrail Lake.

Local queries are written in Athena's dialect (Trino), translated to DuckDB's by sqlglot plus the fix-ups in
``awsmon/engines/athena_cloudtrail.py``, and run by DuckDB over the history's Parquet files (or, with ``--path``, the
gzipped JSON files in place). DuckDB and sqlglot are imported here only, never at start-up.
"""

from __future__ import annotations

from typing import Any


def duck() -> Any:
    """A DuckDB connection set up like Athena: UTC session time zone, Trino helper macros, both cores."""
    import duckdb

    from awsmon.engines.athena_cloudtrail import MACROS

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"SET threads = {max(1, __import__('os').cpu_count() or 1)}")
    for m in MACROS:
        con.execute(m)
    return con
