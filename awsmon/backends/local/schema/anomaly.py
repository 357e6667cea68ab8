"""Tables of CloudWatch anomaly detectors (per Region; one row per detector identity).

``key`` is the canonical JSON of (namespace, metric name, sorted dimensions, stat); ``body`` the stored
AnomalyDetector shape. Append-only: never edit an entry that may have been applied to an account.
"""

MIGRATIONS: list[str] = [
    """
    CREATE TABLE IF NOT EXISTS anomaly_detectors (
        region TEXT NOT NULL,
        key TEXT NOT NULL,
        body TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        PRIMARY KEY (region, key)
    );
    """,
]
