"""Amazon Kinesis Data Streams tables: streams, their shards and records (sequence numbers per stream)."""

MIGRATIONS: list[str] = [
    """
    CREATE TABLE IF NOT EXISTS kinesis_streams (
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        shard_count INTEGER NOT NULL,
        mode TEXT NOT NULL DEFAULT 'PROVISIONED',
        retention_hours INTEGER NOT NULL DEFAULT 24,
        created_ms INTEGER NOT NULL,
        next_seq INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (region, name)
    );
    CREATE TABLE IF NOT EXISTS kinesis_records (
        region TEXT NOT NULL,
        stream TEXT NOT NULL,
        shard INTEGER NOT NULL,
        seq INTEGER NOT NULL,            -- per stream, increasing; shown as a 56-digit sequence number
        arrival_ms INTEGER NOT NULL,
        partition_key TEXT NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (region, stream, shard, seq)
    );
    """,
]
