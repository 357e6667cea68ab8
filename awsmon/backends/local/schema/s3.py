"""Simulated S3 bucket settings (the objects themselves are files in the bucket folders under ``store.s3_dir``)."""

MIGRATIONS: list[str] = [
    """
    CREATE TABLE IF NOT EXISTS s3_buckets (
        name TEXT PRIMARY KEY,
        region TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        acl TEXT,                        -- JSON AccessControlPolicy (NULL: private, owner FULL_CONTROL)
        public_access_block TEXT,        -- JSON PublicAccessBlockConfiguration or NULL
        versioning TEXT,                 -- NULL (never enabled) | Enabled | Suspended
        mfa_delete TEXT,                 -- NULL | Enabled | Disabled
        policy TEXT,                     -- bucket policy JSON text or NULL
        metrics TEXT NOT NULL DEFAULT '{}',  -- JSON {Id: MetricsConfiguration} (request metrics)
        tags TEXT NOT NULL DEFAULT '[]'
    );
    """,
]
