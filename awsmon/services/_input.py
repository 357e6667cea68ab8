"""Reading aws-cli style inputs shared by the resource services: JSON given inline or as ``file://``, and the
shorthand forms (``Key=a,Value=b``, ``Name=x,Values=a,b``, ``Enabled=true``)."""

from __future__ import annotations

from typing import Any

from awsmon.errors import UsageError


def read_text(value: str, what: str) -> str:
    """Inline text, ``file://path`` or ``fileb://path`` (aws-cli), or ``-`` for stdin (read by awsmon.inputs)."""
    from awsmon.inputs import read_arg

    return read_arg(value, what, stdin=True)


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


def shorthand(text: str, what: str, *, lists: tuple[str, ...] = ()) -> dict[str, Any]:
    """aws-cli shorthand ``A=1,B=x`` (keys named in ``lists`` take the comma-separated values that follow them)."""
    out: dict[str, Any] = {}
    current: str | None = None
    for part in text.split(","):
        if "=" in part and (current is None or part.split("=", 1)[0].strip().isidentifier()):
            key, _, value = part.partition("=")
            current = key.strip()
            out[current] = [value.strip()] if current in lists else _scalar(value.strip())
        elif current is not None and current in lists:
            out[current].append(part.strip())
        else:
            raise UsageError(f"invalid {what} value {text!r}: expected Key=Value pairs separated by commas")
    return out


def json_or_shorthand(text: str, what: str, *, lists: tuple[str, ...] = ()) -> Any:
    stripped = read_text(text, what).strip()
    if stripped.startswith(("{", "[")):
        return read_json(stripped, what)
    return shorthand(stripped, what, lists=lists)


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
