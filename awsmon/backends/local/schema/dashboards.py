"""Tables of CloudWatch dashboards (global to the account: no region column, as in AWS).

Append-only: never edit an entry that may have been applied to an account.
"""

MIGRATIONS: list[str] = [
    """
    CREATE TABLE IF NOT EXISTS dashboards (
        name TEXT PRIMARY KEY,
        body TEXT NOT NULL,
        modified_ms INTEGER NOT NULL
    );
    """,
]
