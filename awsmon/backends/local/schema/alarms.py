"""Tables of the alarms component: metric and composite alarms, their history and actions, and local SNS.

Append-only: never edit an entry that may have been applied to an account.
"""

MIGRATIONS: list[str] = [
    """
    CREATE TABLE IF NOT EXISTS alarms (
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        arn TEXT NOT NULL,
        alarm_type TEXT NOT NULL,              -- MetricAlarm | CompositeAlarm
        config TEXT NOT NULL,                  -- JSON: the configuration fields of the DescribeAlarms entry
        namespace TEXT,
        metric_name TEXT,
        dims_key TEXT,                         -- canonical JSON of the sorted dimensions (DescribeAlarmsForMetric)
        actions_enabled INTEGER NOT NULL DEFAULT 1,
        state_value TEXT NOT NULL,
        state_reason TEXT NOT NULL,
        state_reason_data TEXT,
        state_updated_ms INTEGER NOT NULL,
        state_transitioned_ms INTEGER NOT NULL,
        config_updated_ms INTEGER NOT NULL,
        next_eval_ms INTEGER,                  -- metric alarms: next evaluation instant; NULL while asleep
        sleep_from_ms INTEGER,                 -- asleep: data at or after this time wakes the alarm
        last_eval_ms INTEGER,
        last_explain TEXT,                     -- JSON: what the last evaluation saw (awsmon alarms explain)
        suppressed_by TEXT,                    -- composite ActionsSuppressedBy
        suppressed_reason TEXT,
        wait_end_ms INTEGER,
        ext_end_ms INTEGER,
        pending_actions INTEGER NOT NULL DEFAULT 0,
        suppressor TEXT,                       -- composite ActionsSuppressor (alarm name)
        tags TEXT,
        PRIMARY KEY (region, name)
    );
    CREATE INDEX IF NOT EXISTS alarms_suppressor ON alarms (region, suppressor);
    CREATE INDEX IF NOT EXISTS alarms_metric ON alarms (region, namespace, metric_name);
    CREATE INDEX IF NOT EXISTS alarms_next ON alarms (region, next_eval_ms);
    CREATE TABLE IF NOT EXISTS alarm_children (
        region TEXT NOT NULL,
        parent TEXT NOT NULL,
        child TEXT NOT NULL,
        PRIMARY KEY (region, parent, child)
    );
    CREATE INDEX IF NOT EXISTS alarm_children_child ON alarm_children (region, child);
    CREATE TABLE IF NOT EXISTS alarm_history (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        region TEXT NOT NULL,
        alarm_name TEXT NOT NULL,
        alarm_type TEXT NOT NULL,
        ts_ms INTEGER NOT NULL,
        item_type TEXT NOT NULL,
        summary TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS alarm_history_name ON alarm_history (region, alarm_name, ts_ms);
    CREATE INDEX IF NOT EXISTS alarm_history_time ON alarm_history (region, ts_ms);
    CREATE TABLE IF NOT EXISTS alarm_actions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        region TEXT NOT NULL,
        alarm_name TEXT NOT NULL,
        ts_ms INTEGER NOT NULL,
        action_arn TEXT NOT NULL,
        kind TEXT NOT NULL,                    -- sns | ec2 | autoscaling | lambda | ssm | other
        new_state TEXT NOT NULL,
        status TEXT NOT NULL,                  -- Succeeded | Failed | Recorded
        detail TEXT NOT NULL                   -- JSON: the payload that was (or would be) sent
    );
    CREATE INDEX IF NOT EXISTS alarm_actions_name ON alarm_actions (region, alarm_name, ts_ms);
    CREATE TABLE IF NOT EXISTS sns_topics (
        arn TEXT PRIMARY KEY,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        attributes TEXT NOT NULL,
        tags TEXT,
        created_ms INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS sns_topics_region ON sns_topics (region, name);
    CREATE TABLE IF NOT EXISTS sns_subscriptions (
        arn TEXT PRIMARY KEY,
        topic_arn TEXT NOT NULL,
        region TEXT NOT NULL,
        protocol TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        attributes TEXT NOT NULL,
        created_ms INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS sns_subscriptions_topic ON sns_subscriptions (topic_arn, arn);
    CREATE TABLE IF NOT EXISTS sns_outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        region TEXT NOT NULL,
        topic_arn TEXT NOT NULL,
        subscription_arn TEXT,
        protocol TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        message_id TEXT NOT NULL,
        subject TEXT,
        message TEXT NOT NULL,
        body TEXT NOT NULL,                    -- what the endpoint receives (SNS envelope JSON for sqs/file)
        ts_ms INTEGER NOT NULL,
        status TEXT NOT NULL,                  -- Delivered | Failed
        detail TEXT
    );
    CREATE INDEX IF NOT EXISTS sns_outbox_topic ON sns_outbox (topic_arn, seq);
    CREATE INDEX IF NOT EXISTS sns_outbox_time ON sns_outbox (region, ts_ms);
    """,
    """
    -- Auto Scaling actions repeat every minute while the alarm stays in the state (spec §3.9): next repeat instant.
    ALTER TABLE alarms ADD COLUMN asg_next_ms INTEGER;
    CREATE INDEX IF NOT EXISTS alarms_asg_next ON alarms (region, asg_next_ms);
    """,
    """
    -- ActionsSuppressor timers are looked up at every evaluation instant: index them.
    CREATE INDEX IF NOT EXISTS alarms_wait_end ON alarms (region, wait_end_ms);
    CREATE INDEX IF NOT EXISTS alarms_ext_end ON alarms (region, ext_end_ms);
    """,
    """
    -- SNS: subscriptions awaiting confirmation (email/http: token sent in the outbox) and FIFO deduplication.
    ALTER TABLE sns_subscriptions ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sns_subscriptions ADD COLUMN token TEXT;
    CREATE TABLE IF NOT EXISTS sns_dedup (
        topic_arn TEXT NOT NULL,
        dedup_id TEXT NOT NULL,
        message_id TEXT NOT NULL,
        sequence_number TEXT NOT NULL,
        expires_ms INTEGER NOT NULL,
        PRIMARY KEY (topic_arn, dedup_id)
    );
    """,
    """
    -- SNS http/https deliveries waiting for their next retry on the clock (the delivery policy's remaining delays).
    CREATE TABLE IF NOT EXISTS sns_http_retries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        region TEXT NOT NULL,
        outbox_seq INTEGER,
        subscription_arn TEXT NOT NULL,
        url TEXT NOT NULL,
        body TEXT NOT NULL,
        headers TEXT NOT NULL,
        content_type TEXT NOT NULL,
        delays TEXT NOT NULL,                  -- JSON: seconds before each retry still to make
        times TEXT NOT NULL,                   -- JSON: the attempts made so far (epoch ms)
        due_ms INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS sns_http_retries_due ON sns_http_retries (region, due_ms);
    """,
]
