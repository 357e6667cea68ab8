"""Tables of the cloudtrail component (appended to by the cloudtrail implementation; never edit an applied entry).

* ``ct_trails``: one row per trail (keyed by ARN, so the home region is part of the key); settings as JSON.
* ``ct_logs``: log files delivered and not yet covered by a digest (per trail and source region).
* ``ct_chains``: the digest chain of each (trail, source region): where the next digest starts, the previous one.
* Lookup indexes on ``events`` end in ``event_id`` so "time desc, eventID desc" pages are read straight from the
  index with LIMIT (no sort of the whole match set), one per LookupEvents attribute.
"""

MIGRATIONS: list[str] = [
    """
    CREATE TABLE IF NOT EXISTS ct_trails (
        arn TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        home_region TEXT NOT NULL,
        config TEXT NOT NULL,            -- JSON: the DescribeTrails fields we keep
        event_selectors TEXT,            -- JSON list, NULL = the default selector
        advanced_selectors TEXT,         -- JSON list or NULL
        insight_selectors TEXT,
        is_logging INTEGER NOT NULL DEFAULT 0,
        start_logging_ms INTEGER,
        stop_logging_ms INTEGER,
        stop_seq INTEGER,                -- last events.seq a stopped trail still delivers
        last_seq INTEGER NOT NULL DEFAULT 0,
        latest_delivery_ms INTEGER,
        latest_digest_ms INTEGER,
        latest_cwl_ms INTEGER,
        latest_cwl_error TEXT,
        created_ms INTEGER NOT NULL
    );
    CREATE UNIQUE INDEX IF NOT EXISTS ct_trails_name ON ct_trails (home_region, name);
    CREATE TABLE IF NOT EXISTS ct_logs (
        trail_arn TEXT NOT NULL,
        region TEXT NOT NULL,
        bucket TEXT NOT NULL,
        key TEXT NOT NULL,
        hash TEXT NOT NULL,
        newest TEXT NOT NULL,
        oldest TEXT NOT NULL,
        delivered_ms INTEGER NOT NULL,
        PRIMARY KEY (trail_arn, region, delivered_ms, key)
    );
    CREATE TABLE IF NOT EXISTS ct_chains (
        trail_arn TEXT NOT NULL,
        region TEXT NOT NULL,
        last_end_ms INTEGER NOT NULL,    -- start of the next digest window
        prev_bucket TEXT,
        prev_key TEXT,
        prev_hash TEXT,
        prev_signature TEXT,
        PRIMARY KEY (trail_arn, region)
    );
    CREATE INDEX IF NOT EXISTS ct_ev_time ON events (region, event_category, event_time, event_id);
    CREATE INDEX IF NOT EXISTS ct_ev_name ON events (region, event_category, event_name, event_time, event_id);
    CREATE INDEX IF NOT EXISTS ct_ev_source ON events (region, event_category, event_source, event_time, event_id);
    CREATE INDEX IF NOT EXISTS ct_ev_user ON events (region, event_category, username, event_time, event_id);
    CREATE INDEX IF NOT EXISTS ct_ev_key ON events (region, event_category, access_key_id, event_time, event_id);
    CREATE INDEX IF NOT EXISTS ct_ev_ro ON events (region, event_category, read_only, event_time, event_id);
    CREATE INDEX IF NOT EXISTS ct_ev_origin ON events (origin, seq);
    """,
    # Retention of locally recorded events (90 days of simulated time): the first local event arms one job for the
    # account, due when that event leaves the window (INSERT OR IGNORE: a cheap no-op while the job exists); the job
    # then reschedules itself for the oldest remaining local event, or drops out when there is none.
    """
    CREATE INDEX IF NOT EXISTS ct_ev_origin_time ON events (origin, event_time);
    CREATE TRIGGER IF NOT EXISTS ct_retention_arm AFTER INSERT ON events WHEN NEW.origin = 'local'
    BEGIN INSERT OR IGNORE INTO jobs (kind, key, next_due_ms)
          VALUES ('cloudtrail.retention', 'events', NEW.event_time + 7776000001); END;
    """,
    # S3 delivery errors (GetTrailStatus LatestDeliveryError / LatestDigestDeliveryError).
    """
    ALTER TABLE ct_trails ADD COLUMN latest_delivery_error TEXT;
    ALTER TABLE ct_trails ADD COLUMN latest_digest_error TEXT;
    """,
    # CloudTrail Insights (cloudtrail_insights.py): per (trail, region) the minute the next analysis starts from
    # (the start of an insight still open, or where the last one stopped) and the Start records already delivered.
    """
    CREATE TABLE IF NOT EXISTS ct_insights (
        trail_arn TEXT NOT NULL,
        region TEXT NOT NULL,
        resume_min INTEGER NOT NULL,
        delivered TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (trail_arn, region)
    );
    """,
    # CloudTrail Insights reads per-minute counts of management calls: one covering index over the columns it reads,
    # the error code included (kept in its own column, filled by a trigger only for the records that name one), lets
    # that read skip the table's rows and their JSON.
    """
    ALTER TABLE events ADD COLUMN error_code TEXT;
    UPDATE events SET error_code = json_extract(record, '$.errorCode') WHERE instr(record, '"errorCode"');
    CREATE TRIGGER IF NOT EXISTS ct_error_code AFTER INSERT ON events WHEN instr(NEW.record, '"errorCode"')
    BEGIN UPDATE events SET error_code = json_extract(NEW.record, '$.errorCode') WHERE seq = NEW.seq; END;
    CREATE INDEX IF NOT EXISTS ct_ev_minute ON events (region, event_category, event_time, event_source, event_name, read_only, error_code, origin);
    """,
]
