"""Where CloudWatch's AWS/Usage publication has got to (cloudwatch_usage.py).

Append-only: never edit an entry that may have been applied to an account.
"""

MIGRATIONS: list[str] = [
    """
    CREATE TABLE IF NOT EXISTS cw_usage_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        watermark_ms INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS cw_usage_regions (
        region TEXT PRIMARY KEY,
        trail_count INTEGER
    );
    """,
]
