"""Amazon SQS tables: queues and their messages (visibility on the simulated clock)."""

MIGRATIONS: list[str] = [
    """
    CREATE TABLE IF NOT EXISTS sqs_queues (
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        arn TEXT NOT NULL,
        attributes TEXT NOT NULL,        -- JSON: the settable attributes (VisibilityTimeout, ...), as strings
        tags TEXT NOT NULL DEFAULT '{}',
        created_ms INTEGER NOT NULL,
        modified_ms INTEGER NOT NULL,
        next_seq INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (region, name)
    );
    CREATE TABLE IF NOT EXISTS sqs_messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        region TEXT NOT NULL,
        queue TEXT NOT NULL,
        message_id TEXT NOT NULL,
        body TEXT NOT NULL,
        attributes TEXT,                 -- JSON MessageAttributes (API shape)
        md5_body TEXT NOT NULL,
        md5_attributes TEXT,
        sent_ms INTEGER NOT NULL,
        visible_ms INTEGER NOT NULL,     -- hidden (delay or in flight) until this time
        receive_count INTEGER NOT NULL DEFAULT 0,
        first_receive_ms INTEGER,
        receipt TEXT,                    -- the receipt handle of the latest receive
        sender TEXT,
        group_id TEXT,
        dedup_id TEXT,
        seq TEXT
    );
    CREATE INDEX IF NOT EXISTS sqs_messages_queue ON sqs_messages (region, queue, visible_ms, id);
    CREATE INDEX IF NOT EXISTS sqs_messages_receipt ON sqs_messages (receipt);
    """,
]
