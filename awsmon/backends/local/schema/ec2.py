"""Simulated EC2 tables: instances (with their state machine and metric cursor) and security groups."""

MIGRATIONS: list[str] = [
    """
    CREATE TABLE IF NOT EXISTS ec2_instances (
        region TEXT NOT NULL,
        instance_id TEXT NOT NULL,
        reservation_id TEXT NOT NULL,
        launch_index INTEGER NOT NULL,
        image_id TEXT NOT NULL,
        instance_type TEXT NOT NULL,
        state TEXT NOT NULL,               -- pending | running | stopping | stopped | shutting-down | terminated
        state_ms INTEGER NOT NULL,         -- when the current state began
        launch_ms INTEGER NOT NULL,        -- LaunchTime: the last start from stopped (or the launch)
        running_since_ms INTEGER,          -- metrics are produced from here while running
        metrics_ms INTEGER,                -- metrics produced up to here (exclusive end of the last period)
        monitoring TEXT NOT NULL,          -- disabled | enabled
        public_ip TEXT,
        private_ip TEXT NOT NULL,
        associate_public INTEGER NOT NULL, -- 1: a public IP is assigned on every start
        subnet_id TEXT NOT NULL,
        vpc_id TEXT NOT NULL,
        group_ids TEXT NOT NULL,           -- JSON list of security group ids
        key_name TEXT,
        tags TEXT NOT NULL DEFAULT '[]',
        transition_reason TEXT NOT NULL DEFAULT '',
        state_reason TEXT,                 -- JSON {Code, Message} or NULL
        health_system INTEGER NOT NULL DEFAULT 0,   -- 1: the system status check fails
        health_instance INTEGER NOT NULL DEFAULT 0, -- 1: the instance status check fails
        PRIMARY KEY (region, instance_id)
    );
    CREATE INDEX IF NOT EXISTS ec2_instances_state ON ec2_instances (region, state);
    CREATE TABLE IF NOT EXISTS ec2_security_groups (
        region TEXT NOT NULL,
        group_id TEXT NOT NULL,
        group_name TEXT NOT NULL,
        description TEXT NOT NULL,
        vpc_id TEXT NOT NULL,
        ingress TEXT NOT NULL DEFAULT '[]',  -- JSON IpPermissions
        egress TEXT NOT NULL DEFAULT '[]',
        tags TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (region, group_id)
    );
    CREATE UNIQUE INDEX IF NOT EXISTS ec2_security_groups_name ON ec2_security_groups (region, vpc_id, group_name);
    """,
]
