"""EventBridge tables: rules, targets, the CloudTrail dispatch cursor, the delivery outbox; buses (policies), archives,
replays and pending retries."""

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
    # v2: custom buses with resource policies, archives and replays, target retries, delivery attempts and DLQ.
    """
    CREATE TABLE IF NOT EXISTS events_buses (
        region TEXT NOT NULL,
        name TEXT NOT NULL,              -- "default" gets a row when it is given a policy
        arn TEXT NOT NULL,
        description TEXT,
        policy TEXT,                     -- the resource policy JSON, or NULL
        tags TEXT NOT NULL DEFAULT '[]',
        created_ms INTEGER NOT NULL,
        modified_ms INTEGER NOT NULL,
        PRIMARY KEY (region, name)
    );
    CREATE TABLE IF NOT EXISTS events_archives (
        name TEXT PRIMARY KEY,           -- unique per account and Region (names are per account on AWS)
        region TEXT NOT NULL,
        arn TEXT NOT NULL,
        bus TEXT NOT NULL,
        bus_arn TEXT NOT NULL,
        event_pattern TEXT,
        retention_days INTEGER NOT NULL DEFAULT 0,
        description TEXT,
        state TEXT NOT NULL,
        created_ms INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS events_archived (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        archive TEXT NOT NULL,
        ts_ms INTEGER NOT NULL,          -- the event's time
        archived_ms INTEGER NOT NULL,
        size INTEGER NOT NULL,
        event TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS events_archived_time ON events_archived (archive, ts_ms, id);
    CREATE TABLE IF NOT EXISTS events_replays (
        name TEXT PRIMARY KEY,
        region TEXT NOT NULL,
        arn TEXT NOT NULL,
        archive TEXT NOT NULL,
        archive_arn TEXT NOT NULL,
        description TEXT,
        start_ms INTEGER NOT NULL,       -- EventStartTime
        end_ms INTEGER NOT NULL,         -- EventEndTime
        destination TEXT NOT NULL,       -- JSON Destination {Arn, FilterArns}
        state TEXT NOT NULL,
        reason TEXT,
        replay_start_ms INTEGER NOT NULL,
        replay_end_ms INTEGER,
        cursor_ms INTEGER NOT NULL,      -- event time replayed up to (exclusive)
        last_replayed_ms INTEGER
    );
    CREATE TABLE IF NOT EXISTS events_retries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        region TEXT NOT NULL,
        bus TEXT NOT NULL,
        rule TEXT NOT NULL,
        rule_arn TEXT NOT NULL,
        target TEXT NOT NULL,            -- the Target structure (JSON)
        event_id TEXT NOT NULL,
        source TEXT,
        detail_type TEXT,
        payload TEXT NOT NULL,
        first_ms INTEGER NOT NULL,       -- first attempt
        attempts INTEGER NOT NULL,       -- attempts made so far
        due_ms INTEGER NOT NULL,
        error_code TEXT,
        error_message TEXT
    );
    CREATE INDEX IF NOT EXISTS events_retries_due ON events_retries (region, due_ms, id);
    ALTER TABLE events_deliveries ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE events_deliveries ADD COLUMN dlq TEXT;
    """,
]
