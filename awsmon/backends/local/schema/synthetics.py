"""CloudWatch Synthetics tables: canaries (their API shape and what runs locally) and their runs."""

MIGRATIONS: list[str] = [
    """
    CREATE TABLE IF NOT EXISTS synthetics_canaries (
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        canary_id TEXT NOT NULL,
        config TEXT NOT NULL,            -- JSON: the Canary API shape without Status and Timeline
        plan TEXT,                       -- JSON: what a run requests ({"kind": heartbeat|api, "steps": [...]}); NULL: custom script
        create_error TEXT,               -- why creation fails (ERROR at the end of CREATING), NULL when it succeeds
        state TEXT NOT NULL,
        state_reason TEXT,
        state_reason_code TEXT,
        created_ms INTEGER NOT NULL,
        modified_ms INTEGER NOT NULL,
        started_ms INTEGER,
        stopped_ms INTEGER,
        PRIMARY KEY (region, name)
    );
    CREATE TABLE IF NOT EXISTS synthetics_runs (
        region TEXT NOT NULL,
        canary TEXT NOT NULL,
        run_id TEXT NOT NULL,
        state TEXT NOT NULL,
        state_reason TEXT,
        state_reason_code TEXT,
        test_result TEXT,
        started_ms INTEGER NOT NULL,
        completed_ms INTEGER,
        artifact TEXT NOT NULL,
        PRIMARY KEY (region, canary, run_id)
    );
    CREATE INDEX IF NOT EXISTS synthetics_runs_time ON synthetics_runs (region, canary, started_ms);
    """,
    # A run is claimed (state RUNNING) in the scheduler's transaction and completed after its probe, which runs with
    # no lock held: ``claim`` names the catch-up that probes it, until ``lease_until_ms`` (wall clock) expires.
    """
    ALTER TABLE synthetics_runs ADD COLUMN claim TEXT;
    ALTER TABLE synthetics_runs ADD COLUMN lease_until_ms INTEGER;
    """,
]
