"""Tables of Logs Insights queries (StartQuery/GetQueryResults): results are kept 7 days, as in AWS.

Append-only: never edit an entry that may have been applied to an account.
"""

MIGRATIONS: list[str] = [
    """
    CREATE TABLE IF NOT EXISTS logs_queries (
        query_id TEXT PRIMARY KEY,
        region TEXT NOT NULL,
        query_string TEXT NOT NULL,
        group_names TEXT NOT NULL,       -- JSON list
        start_s INTEGER NOT NULL,
        end_s INTEGER NOT NULL,
        status TEXT NOT NULL,            -- Complete | Failed | Cancelled (local queries finish inside StartQuery)
        create_ms INTEGER NOT NULL,
        results TEXT NOT NULL,           -- JSON: GetQueryResults' results
        statistics TEXT NOT NULL         -- JSON: GetQueryResults' statistics
    );
    CREATE INDEX IF NOT EXISTS logs_queries_created ON logs_queries (region, create_ms);
    """,
]
