"""EventBridge tables: rules, targets, the CloudTrail dispatch cursor and the delivery outbox."""

MIGRATIONS: list[str] = [
    """
    CREATE TABLE IF NOT EXISTS events_rules (
        region TEXT NOT NULL,
        bus TEXT NOT NULL,
        name TEXT NOT NULL,
        arn TEXT NOT NULL,
        event_pattern TEXT,
        schedule TEXT,
        state TEXT NOT NULL,             -- ENABLED | DISABLED | ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS
        description TEXT,
        role_arn TEXT,
        created_ms INTEGER NOT NULL,
        anchor_ms INTEGER,               -- rate schedules fire at anchor + k * period
        since_seq INTEGER NOT NULL DEFAULT 0,  -- CloudTrail history before this seq is never dispatched to the rule
        tags TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (region, bus, name)
    );
    CREATE TABLE IF NOT EXISTS events_targets (
        region TEXT NOT NULL,
        bus TEXT NOT NULL,
        rule TEXT NOT NULL,
        target_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        arn TEXT NOT NULL,
        target TEXT NOT NULL,            -- the whole Target structure as JSON
        PRIMARY KEY (region, bus, rule, target_id)
    );
    CREATE TABLE IF NOT EXISTS events_dispatch (
        region TEXT PRIMARY KEY,
        last_seq INTEGER NOT NULL        -- CloudTrail history (events.seq) dispatched up to here
    );
    CREATE TABLE IF NOT EXISTS events_deliveries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        region TEXT NOT NULL,
        bus TEXT NOT NULL,
        rule TEXT NOT NULL,
        rule_arn TEXT NOT NULL,
        target_id TEXT NOT NULL,
        target_arn TEXT NOT NULL,
        event_id TEXT NOT NULL,
        source TEXT,
        detail_type TEXT,
        input TEXT,                      -- the payload after Input / InputPath / InputTransformer (NULL if dropped)
        ts_ms INTEGER NOT NULL,
        status TEXT NOT NULL,            -- Delivered | Recorded | Failed | Dropped
        detail TEXT
    );
    CREATE INDEX IF NOT EXISTS events_deliveries_rule ON events_deliveries (region, rule, seq);
    """,
]
