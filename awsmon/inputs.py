"""Arguments that may name a file: the one place that reads ``file://``, ``fileb://``, ``@path`` and ``-`` (stdin),
decodes the bytes and reports bad input.

Everything a user hands awsmon through a file or an inline JSON argument goes through here, so every failure is
the same kind of one-line usage error (exit 2): a file that cannot be read, bytes that are not UTF-8, text that is
not JSON, or JSON nested deeper than anything AWS accepts (which would otherwise exhaust Python's recursion limit
in the decoder or in any later walk of the value).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from awsmon.errors import UsageError

# Deeper than any AWS document awsmon reads (event patterns, metric data, CloudTrail records, Config items) and far
# below the depth at which json or a recursive walk of the value would hit Python's recursion limit.
MAX_JSON_DEPTH = 100
FILE_PREFIXES = ("file://", "fileb://")


def decode_utf8(data: bytes, what: str) -> str:
    """UTF-8 text (a leading byte-order mark is dropped), or a usage error naming the first bad byte."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"cannot read {what}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None
    return text.removeprefix("\ufeff")


def check_text(text: str, what: str) -> str:
    """Text that came through argv: Python turns undecodable bytes into lone surrogates; refuse those here."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise UsageError(f"invalid {what}: not UTF-8 text (at character {exc.start})") from None
    return text


def expand_path(path: str, what: str) -> Path:
    """``~`` and ``~user`` expanded; an unknown user is a usage error (pathlib raises RuntimeError)."""
    try:
        return Path(path).expanduser()
    except RuntimeError:
        raise UsageError(f"cannot use {what} {path}: no such user for '~'") from None


def read_file_bytes(path: str | Path, what: str) -> bytes:
    p = expand_path(path, what) if isinstance(path, str) else path
    try:
        return p.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {what} file {path}: {exc.strerror or exc}") from None
    except ValueError as exc:  # an embedded NUL in the path
        raise UsageError(f"cannot read {what} file {path!r}: {exc}") from None


def read_file_text(path: str | Path, what: str) -> str:
    return decode_utf8(read_file_bytes(path, what), f"{what} file {path}")


def read_arg_bytes(value: str, what: str) -> bytes | None:
    """The raw bytes of a ``fileb://`` / ``file://`` argument (blobs such as a Lambda zip), or None when ``value``
    names no file."""
    path = file_path_of(value)
    return None if path is None else read_file_bytes(path, what)


def read_stdin_text(what: str) -> str:
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # a text stream without bytes (some test runners)
        return check_text(sys.stdin.read(), f"{what} on stdin")
    return decode_utf8(buffer.read(), "stdin")


def file_path_of(value: str, *, at_path: bool = False) -> str | None:
    """The path an argument names with ``file://`` / ``fileb://`` (and ``@path`` when allowed), else None."""
    for prefix in FILE_PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix) :]
    if at_path and value.startswith("@"):
        return value[1:]
    return None


def read_arg(
    value: str,
    what: str,
    *,
    at_path: bool = False,
    stdin: bool = False,
    bare_path: Callable[[str], bool] | None = None,
) -> str:
    """The text of an argument given inline or as a file (aws-cli's ``file://``/``fileb://``).

    ``at_path`` also accepts ``@path``; ``stdin`` reads ``-`` from stdin; ``bare_path(value)`` says whether a
    plain value is to be read as a file path (for options that historically took a path).
    """
    if stdin and value == "-":
        return read_stdin_text(what)
    path = file_path_of(value, at_path=at_path)
    if path is None and bare_path is not None and _is_file(value) and bare_path(value):
        path = value
    if path is not None:
        return read_file_text(path, what)
    return check_text(value, what)


def _is_file(value: str) -> bool:
    try:
        return len(value) < 4096 and Path(value).expanduser().is_file()
    except (OSError, ValueError, RuntimeError):  # RuntimeError: '~user' for an unknown user
        return False


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid JSON constant {name}")


def loads_json(text: str | bytes, what: str, *, allow_constants: bool = True) -> Any:
    """``json.loads`` with every failure a usage error; nesting deeper than MAX_JSON_DEPTH is refused."""
    if isinstance(text, bytes):
        text = decode_utf8(text, what)
    try:
        value = json.loads(text) if allow_constants else json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise UsageError(f"invalid JSON in {what}: nested more than {MAX_JSON_DEPTH} levels deep") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"invalid JSON in {what}: {exc.msg} (line {exc.lineno} column {exc.colno})") from None
    except ValueError as exc:
        raise UsageError(f"invalid JSON in {what}: {exc}") from None
    check_depth(value, what)
    return value


def json_depth(value: Any) -> int:
    """The nesting depth of a decoded JSON value (a scalar is 0), computed without recursion."""
    depth = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            node = node.values()
        elif not isinstance(node, list):
            continue
        level += 1
        if level > depth:
            depth = level
            if depth > MAX_JSON_DEPTH:
                return depth
        stack.extend((child, level) for child in node if isinstance(child, dict | list))
    return depth


def check_depth(value: Any, what: str) -> None:
    if isinstance(value, dict | list) and json_depth(value) > MAX_JSON_DEPTH:
        raise UsageError(f"invalid JSON in {what}: nested more than {MAX_JSON_DEPTH} levels deep")


def read_json_arg(value: str, what: str, **kw: Any) -> Any:
    """An inline JSON argument or a file holding one (see :func:`read_arg` for the accepted forms)."""
    return loads_json(read_arg(value, what, **kw), what)
