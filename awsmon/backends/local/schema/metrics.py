"""Tables of the metrics component (appended to by the metrics implementation; never edit an applied entry).

``metrics``: one row per metric identity (region, namespace, name, canonical dimension JSON); ``last_ts_ms`` is the
newest datum timestamp (ListMetrics hides metrics without data for 14 days), ``last_put_ms`` the simulated time of
the newest PutMetricData (``RecentlyActive=PT3H``).
``metric_dimensions``: the same dimensions, one row each, for ListMetrics dimension filters in SQL.
``metric_data``: one row per stored datum (or per roll-up slot after compaction): slot start ``ts`` (epoch seconds),
slot width ``res`` (1, 60, 300 or 3600), aggregates ``n``/``total``/``vmin``/``vmax`` for SQL GROUP BY, and the
raw values (packed float64 ``vals``, optional packed float64 ``cnts``) kept for percentile-type statistics only;
``pct_ok`` is 0 when the row holds a statistic set that cannot be expanded into values.
"""

MIGRATIONS: list[str] = [
    """
CREATE TABLE metrics (
    id INTEGER PRIMARY KEY,
    region TEXT NOT NULL,
    namespace TEXT NOT NULL,
    metric_name TEXT NOT NULL,
    dims TEXT NOT NULL,
    last_ts_ms INTEGER NOT NULL,
    last_put_ms INTEGER NOT NULL,
    UNIQUE (region, namespace, metric_name, dims)
);
CREATE INDEX metrics_by_name ON metrics (region, metric_name);
CREATE TABLE metric_dimensions (
    metric_id INTEGER NOT NULL REFERENCES metrics (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (metric_id, name)
) WITHOUT ROWID;
CREATE INDEX metric_dimensions_by_name ON metric_dimensions (name, value);
CREATE TABLE metric_data (
    metric_id INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    res INTEGER NOT NULL,
    unit TEXT NOT NULL,
    n REAL NOT NULL,
    total REAL NOT NULL,
    vmin REAL NOT NULL,
    vmax REAL NOT NULL,
    pct_ok INTEGER NOT NULL,
    vals BLOB,
    cnts BLOB
);
CREATE INDEX metric_data_by_time ON metric_data (metric_id, ts);
CREATE INDEX metric_data_by_res ON metric_data (res, ts);
""",
]
