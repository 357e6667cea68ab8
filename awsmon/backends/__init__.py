"""Backends: ``local`` (the simulated account) and ``aws`` (boto3). Chosen once, in :mod:`awsmon.context`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol


class ServiceClient(Protocol):
    """Either backend's client for one service: boto3-named operations returning boto3-shaped dicts."""

    def __getattr__(self, name: str) -> Callable[..., Any]: ...


class Backend(Protocol):
    name: str  # "local" or "aws"
    region: str
    account_id: str | None

    def client(self, service: str) -> Any: ...


def paginate(
    call: Callable[..., dict[str, Any]],
    result_key: str,
    *,
    token_in: str = "NextToken",
    token_out: str | None = None,
    max_items: int | None = None,
    **params: Any,
) -> Iterator[Any]:
    """Iterate the items of every page of a paginated operation (either backend)."""
    token_out = token_out or token_in
    seen = 0
    while True:
        page = call(**params)
        for item in page.get(result_key) or []:
            yield item
            seen += 1
            if max_items is not None and seen >= max_items:
                return
        token = page.get(token_out)
        if not token or token == params.get(token_in):
            return
        params[token_in] = token
