"""What each command means, independent of the backend: functions taking an AppContext and plain arguments,
returning API-shaped data for the renderer. No printing here."""

from __future__ import annotations

from typing import Any


def compact(**params: Any) -> dict[str, Any]:
    """boto3 keyword arguments without the options that were not given (``None``): one call instead of a block of
    ``if value: params["X"] = value``. Pass ``value or None`` where an empty value also means "not given"."""
    return {k: v for k, v in params.items() if v is not None}
