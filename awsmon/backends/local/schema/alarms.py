"""Tables of the alarms component (appended to by the alarms implementation; never edit an applied entry)."""

MIGRATIONS: list[str] = []
