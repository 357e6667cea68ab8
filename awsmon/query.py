"""``--query``: JMESPath expressions, compiled once (jmespath imported only when a query is given)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from awsmon.errors import UsageError


@lru_cache(maxsize=32)
def compile_query(expression: str) -> Any:
    import jmespath
    from jmespath.exceptions import JMESPathError

    try:
        return jmespath.compile(expression)
    except JMESPathError as exc:
        raise UsageError(f"invalid --query expression: {str(exc).splitlines()[0]}") from exc
