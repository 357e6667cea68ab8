"""Tables of the logs component (appended to by the logs implementation; never edit an applied entry).

Events live in one WITHOUT ROWID table clustered on (group, timestamp, seq): a filter over a group is one sequential
scan in output order, a time window is a range of the primary key, and a page resumes with a key seek. ``seq`` is a
global, monotonically increasing ingestion counter (the order of PutLogEvents requests), which makes the sort key
(timestamp, ingestion, request) total and gives follow mode an exact "ingested after" cursor.
"""

MIGRATIONS: list[str] = [
    """
    CREATE TABLE IF NOT EXISTS log_groups (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        creation_ms INTEGER NOT NULL,
        retention_days INTEGER,
        stored_bytes INTEGER NOT NULL DEFAULT 0,
        UNIQUE (region, name)
    );
    CREATE TABLE IF NOT EXISTS log_streams (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        group_id INTEGER NOT NULL REFERENCES log_groups (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        creation_ms INTEGER NOT NULL,
        first_event_ms INTEGER,
        last_event_ms INTEGER,
        last_ingestion_ms INTEGER,
        stored_bytes INTEGER NOT NULL DEFAULT 0,
        UNIQUE (group_id, name)
    );
    CREATE INDEX IF NOT EXISTS log_streams_last ON log_streams (group_id, last_event_ms);
    CREATE TABLE IF NOT EXISTS log_events (
        group_id INTEGER NOT NULL,
        ts INTEGER NOT NULL,             -- event timestamp, epoch ms
        seq INTEGER NOT NULL,            -- global ingestion order
        stream_id INTEGER NOT NULL,
        ingest INTEGER NOT NULL,         -- ingestion time, epoch ms (simulated clock)
        esc INTEGER NOT NULL,            -- 1 if the message holds a backslash (JSON escapes defeat literal pre-filters)
        message TEXT NOT NULL,
        PRIMARY KEY (group_id, ts, seq)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS log_events_stream ON log_events (stream_id, ts, seq);
    CREATE INDEX IF NOT EXISTS log_events_ingested ON log_events (group_id, seq);
    CREATE TABLE IF NOT EXISTS log_seq (id INTEGER PRIMARY KEY CHECK (id = 1), next_seq INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS log_metric_filters (
        group_id INTEGER NOT NULL REFERENCES log_groups (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        pattern TEXT NOT NULL,
        transformations TEXT NOT NULL,   -- JSON list of MetricTransformation
        creation_ms INTEGER NOT NULL,
        PRIMARY KEY (group_id, name)
    );
    """,
    # esc becomes a bit set: 2 = the message holds a NUL (GLOB stops at a NUL, so SQL literal tests skip such rows).
    """
    UPDATE log_events SET esc = esc | 2 WHERE instr(message, char(0)) > 0;
    """,
    # Offline imports (`awsmon logs import`): how far each file got, so a re-run resumes and adds nothing twice.
    """
    CREATE TABLE IF NOT EXISTS log_imports (
        key TEXT PRIMARY KEY,            -- sha256 of the file's bytes, group and stream
        position INTEGER NOT NULL,       -- lines of the file already stored
        done INTEGER NOT NULL DEFAULT 0
    );
    """,
    # Subscription filters (at most 2 per group); deliveries go to the destination ARN through facts.deliver.
    """
    CREATE TABLE IF NOT EXISTS log_subscription_filters (
        group_id INTEGER NOT NULL REFERENCES log_groups (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        pattern TEXT NOT NULL,
        destination TEXT NOT NULL,
        role_arn TEXT,
        distribution TEXT NOT NULL DEFAULT 'ByLogStream',
        creation_ms INTEGER NOT NULL,
        PRIMARY KEY (group_id, name)
    );
    """,
    # Export tasks to S3: PENDING -> RUNNING -> COMPLETED on the clock (scheduler kind logs.export).
    """
    CREATE TABLE IF NOT EXISTS log_export_tasks (
        task_id TEXT PRIMARY KEY,
        region TEXT NOT NULL,
        name TEXT,
        group_name TEXT NOT NULL,
        stream_prefix TEXT,
        from_ms INTEGER NOT NULL,
        to_ms INTEGER NOT NULL,
        bucket TEXT NOT NULL,
        prefix TEXT NOT NULL,
        status TEXT NOT NULL,
        message TEXT,
        created_ms INTEGER NOT NULL,
        completed_ms INTEGER
    );
    """,
    # Log group settings (class, KMS key, tags, data protection policy) and the masked form of protected events.
    """
    ALTER TABLE log_groups ADD COLUMN log_class TEXT NOT NULL DEFAULT 'STANDARD';
    ALTER TABLE log_groups ADD COLUMN kms_key TEXT;
    ALTER TABLE log_groups ADD COLUMN tags TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE log_groups ADD COLUMN data_protection TEXT;
    ALTER TABLE log_events ADD COLUMN masked TEXT;
    """,
    # Account policies (PutAccountPolicy): subscription filter and data protection policies, one of each per Region.
    """
    CREATE TABLE IF NOT EXISTS log_account_policies (
        region TEXT NOT NULL,
        policy_type TEXT NOT NULL,
        name TEXT NOT NULL,
        document TEXT NOT NULL,
        scope TEXT NOT NULL DEFAULT 'ALL',
        selection TEXT,
        updated_ms INTEGER NOT NULL,
        PRIMARY KEY (region, policy_type, name)
    );
    """,
]
