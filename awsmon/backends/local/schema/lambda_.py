"""Lambda tables: functions (their code is kept in the database, so a failed call stores nothing)."""

MIGRATIONS: list[str] = [
    """
    CREATE TABLE IF NOT EXISTS lambda_functions (
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        arn TEXT NOT NULL,
        config TEXT NOT NULL,            -- FunctionConfiguration as JSON (without the code)
        code BLOB NOT NULL,              -- the deployment package (zip)
        policy TEXT,                     -- resource-based policy document (JSON) or NULL
        tags TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (region, name)
    );
    """,
]
