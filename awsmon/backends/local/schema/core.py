"""Core tables: account metadata, the clock, scheduled work, and the CloudTrail event history."""

MIGRATIONS: list[str] = [
    """
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS clock (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        mode TEXT NOT NULL,              -- 'real' (wall clock + offset) or 'pinned'
        pinned_ms INTEGER,
        offset_ms INTEGER NOT NULL DEFAULT 0,
        watermark_ms INTEGER NOT NULL DEFAULT 0  -- latest simulated time any command has used
    );
    CREATE TABLE IF NOT EXISTS jobs (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        next_due_ms INTEGER NOT NULL,
        PRIMARY KEY (kind, key)
    );
    CREATE INDEX IF NOT EXISTS jobs_due ON jobs (next_due_ms, kind, key);
    CREATE TABLE IF NOT EXISTS events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL UNIQUE,
        event_time INTEGER NOT NULL,     -- epoch milliseconds
        region TEXT NOT NULL,
        event_category TEXT NOT NULL,    -- Management | Data | Insight | NetworkActivity
        event_name TEXT,
        event_source TEXT,
        read_only TEXT,                  -- 'true' | 'false' | NULL, as LookupEvents compares it
        username TEXT,
        access_key_id TEXT,
        origin TEXT NOT NULL DEFAULT 'local',  -- 'local' (recorded here) or 'import'
        record TEXT NOT NULL             -- the full CloudTrail record as JSON
    );
    CREATE INDEX IF NOT EXISTS events_time ON events (region, event_category, event_time);
    CREATE INDEX IF NOT EXISTS events_name ON events (region, event_name, event_time);
    CREATE INDEX IF NOT EXISTS events_source ON events (region, event_source, event_time);
    CREATE INDEX IF NOT EXISTS events_user ON events (region, username, event_time);
    CREATE INDEX IF NOT EXISTS events_key ON events (region, access_key_id, event_time);
    CREATE INDEX IF NOT EXISTS events_ro ON events (region, read_only, event_time);
    CREATE TABLE IF NOT EXISTS event_resources (
        event_seq INTEGER NOT NULL REFERENCES events (seq) ON DELETE CASCADE,
        resource_type TEXT,
        resource_name TEXT
    );
    CREATE INDEX IF NOT EXISTS event_resources_name ON event_resources (resource_name, event_seq);
    CREATE INDEX IF NOT EXISTS event_resources_type ON event_resources (resource_type, event_seq);
    CREATE INDEX IF NOT EXISTS event_resources_seq ON event_resources (event_seq);
    """,
]
