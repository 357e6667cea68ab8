"""Simulated DynamoDB tables and items."""

MIGRATIONS: list[str] = [
    """
    CREATE TABLE IF NOT EXISTS ddb_tables (
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        table_id TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        key_schema TEXT NOT NULL,        -- JSON KeySchema
        attributes TEXT NOT NULL,        -- JSON AttributeDefinitions
        billing_mode TEXT NOT NULL,      -- PROVISIONED | PAY_PER_REQUEST
        throughput TEXT,                 -- JSON ProvisionedThroughput
        pitr INTEGER NOT NULL DEFAULT 0, -- point-in-time recovery enabled
        pitr_changed_ms INTEGER,
        deletion_protection INTEGER NOT NULL DEFAULT 0,
        tags TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (region, name)
    );
    CREATE TABLE IF NOT EXISTS ddb_items (
        region TEXT NOT NULL,
        table_name TEXT NOT NULL,
        item_key TEXT NOT NULL,          -- canonical JSON of the key attributes
        item TEXT NOT NULL,              -- JSON of the whole item (AttributeValue form)
        size INTEGER NOT NULL,
        PRIMARY KEY (region, table_name, item_key)
    );
    """,
]
