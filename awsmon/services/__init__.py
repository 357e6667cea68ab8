"""What each command means, independent of the backend: functions taking an AppContext and plain arguments,
returning API-shaped data for the renderer. No printing here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from awsmon.context import AppContext
    from awsmon.errors import ServiceError


def compact(**params: Any) -> dict[str, Any]:
    """boto3 keyword arguments without the options that were not given (``None``): one call instead of a block of
    ``if value: params["X"] = value``. Pass ``value or None`` where an empty value also means "not given"."""
    return {k: v for k, v in params.items() if v is not None}


def given(**params: Any) -> dict[str, Any]:
    """Like compact, but an empty value (``""``, ``[]``, ``{}``) also counts as not given: the options aws-cli
    leaves out when they are empty."""
    return {k: v for k, v in params.items() if v is not None and v != "" and v != [] and v != {}}


def response(resp: Any) -> dict[str, Any]:
    """A boto3 answer as the command prints it: without botocore's ResponseMetadata."""
    return {k: v for k, v in dict(resp or {}).items() if k != "ResponseMetadata"}


def lacks_operation(ctx: AppContext, exc: ServiceError) -> bool:
    """Is this an emulator's answer to an operation it does not implement? (moto: HTTP 500 with an HTML page for
    TestMetricFilter.) Only with an ``--endpoint-url``: real AWS implements every operation awsmon calls."""
    return bool(ctx.endpoint_url.value) and not ctx.is_local and (
        (exc.code.isdigit() and (exc.status == 404 or exc.status >= 500))
        or exc.code in ("NotImplemented", "InvalidAction", "UnknownOperationException")
    )
