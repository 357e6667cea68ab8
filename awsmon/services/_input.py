"""Reading aws-cli style inputs shared by the resource services: JSON given inline or as ``file://``, and the
shorthand forms (``Key=a,Value=b``, ``Name=x,Values=a,b``, ``Enabled=true``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from awsmon.errors import UsageError


def read_text(value: str, what: str) -> str:
    """Inline text, ``file://path`` or ``fileb://path`` (aws-cli), or ``-`` for stdin (read by awsmon.inputs)."""
    from awsmon.inputs import read_arg

    return read_arg(value, what, stdin=True)


def read_blob_arg(value: str, what: str) -> bytes:
    """A blob parameter as aws-cli v2 takes it: base64 text, or ``fileb://path`` for the file's bytes (``file://``
    holds the base64 text)."""
    import base64
    import binascii

    from awsmon.inputs import read_arg_bytes

    if value.startswith("fileb://"):
        return read_arg_bytes(value, what) or b""
    text = read_text(value, what).strip() if value.startswith("file://") else value
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise UsageError(f"invalid {what} {value[:40]!r}: expected base64 (aws-cli v2's blob format) or "
                         "fileb://path") from None


def read_json(value: str, what: str) -> Any:
    from awsmon.inputs import loads_json

    return loads_json(read_text(value, what), what)


def _scalar(text: str) -> Any:
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    try:
        return int(text)
    except ValueError:
        return text


class _Shorthand:
    """aws-cli's shorthand grammar: ``key=value`` pairs separated by commas, where a value is a scalar, a csv list
    (``Values=a,b``), an explicit list ``[a,b]`` or a structure ``{Key=a,Value=b}``, nested freely; values may be
    quoted with ' or "."""

    def __init__(self, text: str, what: str, lists: tuple[str, ...], typed: bool = True) -> None:
        self.text, self.what, self.lists, self.typed, self.i = text, what, lists, typed, 0

    def fail(self, expected: str) -> UsageError:
        return UsageError(f"invalid {self.what} value {self.text!r}: {expected} at position {self.i + 1}")

    def peek(self) -> str:
        return self.text[self.i] if self.i < len(self.text) else ""

    def skip_ws(self) -> None:
        while self.peek() in (" ", "\t", "\n"):
            self.i += 1

    def key(self) -> str:
        self.skip_ws()
        j = self.i
        while self.peek() and self.peek() not in "=,[]{}":
            self.i += 1
        name = self.text[j:self.i].strip()
        if not name or self.peek() != "=":
            raise self.fail("expected Key=Value")
        self.i += 1
        return name

    def unique_key(self, seen: dict[str, Any]) -> str:
        """A key not given before: aws-cli refuses a second ``Value=`` (the first would be silently lost), which is
        often a ``,`` typed where a space separates two values (``Key=a,Value=b,Key=c,Value=d``)."""
        at = self.i
        name = self.key()
        if name in seen:
            self.i = at
            raise self.fail(f'second instance of key "{name}" (often a "," where a space was meant)')
        return name

    def looks_like_key(self) -> bool:
        """After a comma: does a ``key=`` follow (a new pair) rather than another csv value?"""
        j = self.i
        while j < len(self.text) and self.text[j] not in "=,[]{}'\"":
            j += 1
        return j < len(self.text) and self.text[j] == "=" and bool(self.text[self.i:j].strip())

    def scalar(self, stops: str) -> Any:
        self.skip_ws()
        quote = self.peek()
        if quote in ("'", '"'):
            self.i += 1
            out: list[str] = []
            while True:
                ch = self.peek()
                if not ch:
                    raise self.fail(f"unterminated {quote}")
                self.i += 1
                if ch == "\\" and self.peek() in (quote, "\\"):
                    out.append(self.peek())
                    self.i += 1
                elif ch == quote:
                    break
                else:
                    out.append(ch)
            self.skip_ws()
            return "".join(out)
        j = self.i
        while self.peek() and self.peek() not in stops:
            self.i += 1
        raw = self.text[j:self.i].strip()
        return _scalar(raw) if self.typed else raw

    def value(self, stops: str) -> Any:
        self.skip_ws()
        if self.peek() == "[":
            return self.explicit_list()
        if self.peek() == "{":
            return self.structure()
        return self.scalar(stops)

    def bracketed(self, close: str, member: Callable[[], None]) -> None:
        """``[a, b]`` or ``{k=v, ...}``: read each member with ``member`` up to the closing bracket."""
        self.i += 1
        self.skip_ws()
        if self.peek() == close:
            self.i += 1
            return
        while True:
            member()
            self.skip_ws()
            if self.peek() == ",":
                self.i += 1
            elif self.peek() == close:
                self.i += 1
                return
            else:
                raise self.fail(f"expected , or {close}")

    def explicit_list(self) -> list[Any]:
        items: list[Any] = []
        self.bracketed("]", lambda: items.append(self.value(",]")))
        return items

    def structure(self) -> dict[str, Any]:
        out: dict[str, Any] = {}

        def member() -> None:
            name = self.unique_key(out)
            out[name] = self.value(",}")

        self.bracketed("}", member)
        return out

    def parameter(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        while True:
            name = self.unique_key(out)
            first = self.value(",")
            values = [first]
            while self.peek() == ",":
                self.i += 1
                if self.looks_like_key():
                    break
                values.append(self.value(","))
            else:
                if self.peek():
                    raise self.fail("expected ,")
                out[name] = values if (name in self.lists or len(values) > 1) else first
                return out
            out[name] = values if (name in self.lists or len(values) > 1) else first


def structure(text: str, what: str) -> dict[str, Any]:
    """One aws-cli shorthand structure ``{A=1,B={C=x},D="quoted, text"}``, its values kept as strings."""
    p = _Shorthand(text, what, (), typed=False)
    p.skip_ws()
    if p.peek() != "{":
        raise p.fail("expected {")
    out = p.structure()
    p.skip_ws()
    if p.peek():
        raise p.fail("unexpected text after }")
    return out


def shorthand(text: str, what: str, *, lists: tuple[str, ...] = ()) -> dict[str, Any]:
    """aws-cli shorthand ``A=1,B=x``, ``Tags=[{Key=a,Value=b}]``; keys named in ``lists`` are always lists."""
    return _Shorthand(text, what, lists).parameter()


def json_or_shorthand(text: str, what: str, *, lists: tuple[str, ...] = (), read: bool = True) -> Any:
    """JSON or shorthand, given inline or by file (``read=False``: ``text`` was read already, a file's text naming
    another file or ``-`` is not read again)."""
    from awsmon.inputs import loads_json

    stripped = (read_text(text, what) if read else text).strip()
    if stripped.startswith(("{", "[")):
        return loads_json(stripped, what)
    return shorthand(stripped, what, lists=lists)


def tag_specifications(values: list[str] | None) -> list[dict[str, Any]]:
    """``--tag-specifications ResourceType=instance,Tags=[{Key=k,Value=v}]`` (repeatable) or a JSON list, checked
    for EC2's shape so a malformed value is a usage error, never a crash in the backend."""
    specs: list[dict[str, Any]] = []
    for v in values or []:
        parsed = json_or_shorthand(v, "--tag-specifications")
        for spec in parsed if isinstance(parsed, list) else [parsed]:
            tags = spec.get("Tags", []) if isinstance(spec, dict) else None
            if not isinstance(spec, dict) or not isinstance(tags, list) or not all(
                    isinstance(t, dict) and "Key" in t for t in tags):
                raise UsageError(f"invalid --tag-specifications value {v!r}: expected "
                                 "ResourceType=...,Tags=[{Key=k,Value=v},...]")
            specs.append(spec)
    return specs


def filters(values: list[str] | None) -> list[dict[str, Any]]:
    """``--filters Name=instance-state-name,Values=running,stopped`` (repeatable) or a JSON list."""
    out: list[dict[str, Any]] = []
    for v in values or []:
        parsed = json_or_shorthand(v, "--filters", lists=("Values",))
        for f in parsed if isinstance(parsed, list) else [parsed]:
            if not isinstance(f, dict) or "Name" not in f:
                raise UsageError(f"invalid --filters value {v!r}: expected Name=...,Values=...")
            vals = f.get("Values", [])
            out.append({"Name": str(f["Name"]), "Values": [str(x) for x in (vals if isinstance(vals, list) else [vals])]})
    return out


def tags(values: list[str] | None) -> list[dict[str, str]]:
    """``--tags Key=a,Value=b`` (repeatable) or a JSON list of {Key, Value}."""
    out: list[dict[str, str]] = []
    for v in values or []:
        parsed = json_or_shorthand(v, "--tags")
        for t in parsed if isinstance(parsed, list) else [parsed]:
            if not isinstance(t, dict) or "Key" not in t:
                raise UsageError(f"invalid --tags value {v!r}: expected Key=...,Value=...")
            out.append({"Key": str(t["Key"]), "Value": str(t.get("Value", ""))})
    return out
