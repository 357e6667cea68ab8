"""Simulated IAM (a global service: one set per account, whatever the Region)."""

MIGRATIONS: list[str] = [
    """
    CREATE TABLE IF NOT EXISTS iam_users (
        name TEXT PRIMARY KEY COLLATE NOCASE,
        user_id TEXT NOT NULL,
        path TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        tags TEXT NOT NULL DEFAULT '[]'
    );
    CREATE TABLE IF NOT EXISTS iam_roles (
        name TEXT PRIMARY KEY COLLATE NOCASE,
        role_id TEXT NOT NULL,
        path TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        assume_policy TEXT NOT NULL,
        description TEXT,
        max_session INTEGER NOT NULL DEFAULT 3600,
        tags TEXT NOT NULL DEFAULT '[]'
    );
    CREATE TABLE IF NOT EXISTS iam_policies (
        arn TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        policy_id TEXT NOT NULL,
        path TEXT NOT NULL,
        document TEXT NOT NULL,
        description TEXT,
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS iam_attachments (
        principal_kind TEXT NOT NULL,    -- user | role
        principal TEXT NOT NULL COLLATE NOCASE,
        policy_arn TEXT NOT NULL,
        PRIMARY KEY (principal_kind, principal, policy_arn)
    );
    CREATE TABLE IF NOT EXISTS iam_access_keys (
        key_id TEXT PRIMARY KEY,
        user_name TEXT NOT NULL COLLATE NOCASE,  -- '' for the root user's keys
        status TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        last_used_ms INTEGER
    );
    CREATE INDEX IF NOT EXISTS iam_access_keys_user ON iam_access_keys (user_name);
    CREATE TABLE IF NOT EXISTS iam_mfa_devices (
        serial TEXT PRIMARY KEY,
        user_name TEXT COLLATE NOCASE,   -- NULL while a virtual device is not enabled for a user
        virtual INTEGER NOT NULL,
        created_ms INTEGER NOT NULL,
        enabled_ms INTEGER
    );
    """,
]
