"""Amazon Data Firehose tables: delivery streams and the records buffered until the next S3 object."""

MIGRATIONS: list[str] = [
    """
    CREATE TABLE IF NOT EXISTS firehose_streams (
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        stream_type TEXT NOT NULL,
        destination TEXT NOT NULL,       -- JSON: the ExtendedS3DestinationConfiguration as given, with defaults
        version INTEGER NOT NULL DEFAULT 1,
        created_ms INTEGER NOT NULL,
        PRIMARY KEY (region, name)
    );
    CREATE TABLE IF NOT EXISTS firehose_buffer (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        region TEXT NOT NULL,
        stream TEXT NOT NULL,
        arrival_ms INTEGER NOT NULL,
        data BLOB NOT NULL
    );
    CREATE INDEX IF NOT EXISTS firehose_buffer_stream ON firehose_buffer (region, stream, id);
    """,
]
