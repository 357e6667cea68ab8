"""Tables of the logs component (appended to by the logs implementation; never edit an applied entry)."""

MIGRATIONS: list[str] = []
