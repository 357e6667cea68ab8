"""Tables of the cloudtrail component (appended to by the cloudtrail implementation; never edit an applied entry)."""

MIGRATIONS: list[str] = []
