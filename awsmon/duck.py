"""DuckDB set up like Athena, shared by `trail query` and the history store (imported lazily: DuckDB is heavy)."""

from __future__ import annotations

import os
from typing import Any


def duck() -> Any:
    """A DuckDB connection set up like Athena: UTC session time zone, Trino helper macros, both cores."""
    import duckdb

    from awsmon.engines.athena_sql import MACROS

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"SET threads = {max(1, os.cpu_count() or 1)}")
    for m in MACROS:
        con.execute(m)
    return con
