"""EventBridge Schema Registry tables: discoverers and the versions of discovered schemas."""

MIGRATIONS: list[str] = [
    """
    CREATE TABLE IF NOT EXISTS schemas_discoverers (
        region TEXT NOT NULL,
        id TEXT NOT NULL,
        source_arn TEXT NOT NULL,        -- the event bus ARN
        description TEXT,
        state TEXT NOT NULL,             -- STARTED | STOPPED
        cross_account INTEGER NOT NULL DEFAULT 1,
        tags TEXT NOT NULL DEFAULT '{}',
        created_ms INTEGER NOT NULL,
        PRIMARY KEY (region, id)
    );
    CREATE INDEX IF NOT EXISTS schemas_discoverers_source ON schemas_discoverers (region, source_arn, state);
    CREATE TABLE IF NOT EXISTS schemas_versions (
        region TEXT NOT NULL,
        registry TEXT NOT NULL,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        content TEXT NOT NULL,           -- the OpenAPI 3 document
        created_ms INTEGER NOT NULL,
        PRIMARY KEY (region, registry, name, version)
    );
    """,
]
