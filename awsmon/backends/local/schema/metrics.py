"""Tables of the metrics component (appended to by the metrics implementation; never edit an applied entry)."""

MIGRATIONS: list[str] = []
