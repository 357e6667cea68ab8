"""What each command means, independent of the backend: functions taking an AppContext and plain arguments,
returning API-shaped data for the renderer. No printing here."""
