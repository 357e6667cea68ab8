"""JSON reading for EventBridge patterns and events: duplicate keys kept, number texts kept verbatim.

`json.loads` with hooks gives us a tree of:

* `JObject` - a list of `(key, value)` pairs in document order (duplicate keys are *all* kept, so the compiler can
  merge object paths and let value lists last-win, the way event-ruler's streaming parser does);
* `list` - a JSON array;
* `JNumber` - the number's source text (`1.00000000000000000001` and `1e400` survive untouched);
* `str`, `True`, `False`, `None`.

A `dict` handed to the public API is serialised and read back through the same reader.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["JNumber", "JObject", "JsonSyntaxError", "comparable", "parse_json"]


class JObject:
    """A JSON object as its ordered list of `(key, value)` pairs (deliberately not a `list` subclass, so that
    `isinstance(x, list)` means "JSON array" everywhere)."""

    __slots__ = ("pairs",)

    def __init__(self, pairs: Iterable[tuple[str, Any]] = ()) -> None:
        self.pairs: list[tuple[str, Any]] = list(pairs)

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        return iter(self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> tuple[str, Any]:
        return self.pairs[index]

    def append(self, pair: tuple[str, Any]) -> None:
        self.pairs.append(pair)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JObject) and other.pairs == self.pairs

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"JObject({self.pairs!r})"


# Integers this short are always exactly representable as doubles: skip the Decimal round trip.
_SHORT_INT = re.compile(r"-?(?:0|[1-9][0-9]{0,14})")
_UNSET = object()


def comparable(text: str) -> float | None:
    """The double a number text denotes, or None when a double would change its value.

    event-ruler's `ComparableNumber`: BigDecimal -> double -> BigDecimal.valueOf(double) must compare equal. Python's
    `repr` is the shortest round-tripping text, like `Double.toString` for every value we care about. `-0.0` is
    normalised to `0.0` (BigDecimal has no negative zero).
    """
    if _SHORT_INT.fullmatch(text):
        return float(int(text))
    try:
        exact = Decimal(text)
    except InvalidOperation:
        return None
    if not exact.is_finite():
        return None
    try:
        value = float(text)
    except (ValueError, OverflowError):
        return None
    if math.isinf(value) or Decimal(repr(value)) != exact:
        return None
    return value + 0.0


class JNumber:
    """A JSON number: its source text plus the lazily computed comparable double."""

    __slots__ = ("_value", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._value: object = _UNSET

    @property
    def value(self) -> float | None:
        """The exact double, or None when the text is not representable (see `comparable`)."""
        if self._value is _UNSET:
            self._value = comparable(self.text)
        return self._value  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"JNumber({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JNumber) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


class JsonSyntaxError(ValueError):
    """Malformed JSON text; `reason` imitates Jackson's wording and location suffix."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _reject_constant(name: str) -> Any:
    # Python accepts NaN/Infinity; Jackson (and so AWS) does not.
    raise ValueError(f"Non-standard token '{name}'")


def parse_json(text: str) -> Any:
    """Parse JSON text into the tree described in the module docstring."""
    try:
        return json.loads(
            text,
            object_pairs_hook=JObject,
            parse_float=JNumber,
            parse_int=JNumber,
            parse_constant=_reject_constant,
        )
    except json.JSONDecodeError as exc:
        # [design choice] Jackson's exact wording is not reproducible; keep its shape (reason + location).
        snippet = text if len(text) <= 60 else text[:60] + "..."
        raise JsonSyntaxError(
            f"{exc.msg} at [Source: (String){json.dumps(snippet)}; line: {exc.lineno}, column: {exc.colno}]"
        ) from None
    except ValueError as exc:
        raise JsonSyntaxError(str(exc)) from None
    except RecursionError:
        raise JsonSyntaxError("Maximum nesting depth exceeded") from None
