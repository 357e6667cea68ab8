"""Pure engines: no I/O, deterministic functions used by the services and backends."""
