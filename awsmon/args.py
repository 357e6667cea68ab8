"""Arguments given inline, as a file (``file://path`` as aws-cli, ``@path``, or a bare path where allowed) or on
stdin (``-``): one reader, so every option refuses unreadable and non-UTF-8 input the same way (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from awsmon.errors import UsageError


def _utf8(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"cannot read {where}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None


def read_arg(value: str, what: str, *, bare_path: bool = False) -> str:
    """The text of an argument. ``bare_path``: a value that is not inline JSON and names an existing file is read."""
    if value == "-":
        import sys

        return _utf8(sys.stdin.buffer.read(), "stdin")
    if value.startswith(("file://", "@")):
        path = Path(value[7:] if value.startswith("file://") else value[1:]).expanduser()
    elif bare_path and not value.lstrip().startswith(("[", "{")) and "\x00" not in value and Path(value).expanduser().is_file():
        path = Path(value).expanduser()
    else:
        return value
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {what} file {path}: {exc.strerror or exc}") from None
    except ValueError as exc:  # an embedded NUL in the path
        raise UsageError(f"cannot read {what} file {path}: {exc}") from None
    return _utf8(data, f"{what} file {path}")


def json_arg(value: str, what: str, *, bare_path: bool = False) -> Any:
    """An argument holding JSON (inline or read as :func:`read_arg` does)."""
    try:
        return json.loads(read_arg(value, what, bare_path=bare_path))
    except RecursionError:
        raise UsageError(f"invalid {what} JSON: nested too deeply") from None
    except ValueError as exc:
        raise UsageError(f"invalid {what} JSON: {exc}") from None
