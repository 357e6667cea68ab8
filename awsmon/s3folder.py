"""A simulated S3 bucket stored as a plain folder whose tree is exactly the S3 key tree.

Object metadata lives in a hidden sidecar tree, ``<bucket>/.awsmon-meta/<key>.json``:
``{"ContentType", "ContentEncoding"?, "LastModified", "ETag", "Metadata": {...}}``, so copying or downloading the
folder keeps digest signatures (``shared/specs/local-account.md``).

[design choice] Keys that S3 accepts but a folder cannot hold are refused with ValueError: absolute keys, empty,
``.`` or ``..`` segments, NUL, backslashes, a first segment named ``.awsmon-meta``, segments starting with
``.awsmon-tmp-`` (temporary files), and a key that is both an object and a "folder" of other keys (``a`` and ``a/b``).
Writes are atomic: a temporary file in the same folder, then ``os.replace``.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

META_DIR = ".awsmon-meta"
TMP_PREFIX = ".awsmon-tmp-"


class NoSuchKey(KeyError):
    """The key does not exist in the folder bucket."""

    def __str__(self) -> str:
        return f"NoSuchKey: {self.args[0]}"


def validate_key(key: str) -> list[str]:
    """Split a key into path segments, refusing anything that could escape or alias the folder."""
    if not isinstance(key, str) or not key:
        raise ValueError("S3 key must be a non-empty string")
    if "\x00" in key:
        raise ValueError(f"S3 key {key!r} contains a NUL character")
    if "\\" in key:
        raise ValueError(f"S3 key {key!r} contains a backslash")
    if key.startswith("/"):
        raise ValueError(f"S3 key {key!r} is an absolute path")
    segments = key.split("/")
    for seg in segments:
        if seg == "":
            raise ValueError(f"S3 key {key!r} has an empty path segment")
        if seg in (".", ".."):
            raise ValueError(f"S3 key {key!r} has a {seg!r} path segment")
        if seg.startswith(TMP_PREFIX):
            raise ValueError(f"S3 key {key!r} uses the reserved name prefix {TMP_PREFIX!r}")
    if segments[0] == META_DIR:
        raise ValueError(f"S3 key {key!r} is inside the reserved metadata folder {META_DIR!r}")
    if len(segments[0]) >= 2 and segments[0][1] == ":":
        raise ValueError(f"S3 key {key!r} looks like a drive-qualified path")
    return segments


_BUCKET_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-")
MAX_KEY_BYTES = 1024  # S3's limit on a key's UTF-8 length


def bucket_name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid S3 bucket name (S3's general-purpose naming rules), or None when it is.

    The rules also keep a simulated bucket inside its folder: no '/', no '.' or '..', no leading dot.
    """
    if not isinstance(name, str) or not name:
        return "the bucket name is empty"
    if not 3 <= len(name) <= 63:
        return "a bucket name is 3 to 63 characters long"
    if any(c not in _BUCKET_CHARS for c in name):
        return "a bucket name has only lowercase letters, digits, dots (.) and hyphens (-)"
    if not (name[0].isalnum() and name[-1].isalnum()):
        return "a bucket name begins and ends with a letter or a digit"
    if ".." in name:
        return "a bucket name has no two adjacent periods"
    if all(part.isdigit() for part in name.split(".")) and name.count(".") == 3:
        return "a bucket name is not formatted as an IP address"
    if name.startswith(("xn--", "sthree-", "amzn-s3-demo-")) or name.endswith(("-s3alias", "--ol-s3", "--x-s3")):
        return "a bucket name does not use a prefix or suffix S3 reserves (xn--, sthree-, -s3alias, --ol-s3, --x-s3)"
    return None


def _iso(value: datetime) -> str:
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _atomic_write(path: Path, data: bytes, durable: bool = True) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.parent / f"{TMP_PREFIX}{secrets.token_hex(8)}-{path.name}"
    try:
        # 0600 whatever the umask: the objects are the account's audit logs
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as fh:
            os.fchmod(fh.fileno(), 0o600)
            fh.write(data)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class S3Folder:
    """One simulated bucket rooted at ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._resolved_root = self.root.resolve()

    # -- paths ---------------------------------------------------------------------------------------------------
    def _inside(self, path: Path) -> Path:
        """Refuse paths that resolve (through symlinks) outside the root."""
        resolved = path.resolve()
        if resolved != self._resolved_root and self._resolved_root not in resolved.parents:
            raise ValueError(f"S3 key resolves outside the bucket folder: {path}")
        return path

    def check_inside(self, path: Path) -> Path:
        """``path`` if it resolves (through symlinks) inside the bucket folder, else ValueError."""
        return self._inside(path)

    def object_path(self, key: str) -> Path:
        return self._inside(self.root.joinpath(*validate_key(key)))

    def meta_path(self, key: str) -> Path:
        segments = validate_key(key)
        return self._inside(self.root.joinpath(META_DIR, *segments[:-1], segments[-1] + ".json"))

    # -- API -----------------------------------------------------------------------------------------------------
    def put_object(
        self,
        key: str,
        body: bytes,
        metadata: dict[str, str] | None = None,
        content_type: str = "application/octet-stream",
        last_modified: datetime | None = None,
        content_encoding: str | None = None,
        durable: bool = True,
    ) -> dict[str, Any]:
        """Store an object and its sidecar. ``durable=False`` skips the fsync (the rename stays atomic): for
        simulated deliveries that can be written again, where a synced write per file costs ~10 ms."""
        path = self.object_path(key)
        if path.is_dir():
            raise ValueError(f"S3 key {key!r} is a folder of other keys in this bucket folder")
        for parent in path.parents:
            if parent == self.root or self._resolved_root == parent.resolve():
                break
            if parent.is_file():
                raise ValueError(
                    f"S3 key {key!r} is below an existing object {parent.relative_to(self.root)}"
                )
        head = {
            "ContentType": content_type,
            "LastModified": _iso(last_modified or datetime.now(UTC)),
            "ETag": f'"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"',
            "Metadata": dict(metadata or {}),
        }
        if content_encoding is not None:
            head["ContentEncoding"] = content_encoding
        _atomic_write(path, body, durable)
        _atomic_write(self.meta_path(key), json.dumps(head, sort_keys=True).encode(), durable)
        return head

    def put_metadata(self, key: str, head: dict[str, Any]) -> None:
        """Write only the object's sidecar (e.g. signatures fetched for a copy made without S3 metadata)."""
        _atomic_write(self.meta_path(key), json.dumps(head, sort_keys=True).encode())

    def get_object(self, key: str) -> bytes:
        try:
            return self.object_path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NoSuchKey(key) from None

    def open_object(self, key: str) -> BinaryIO:
        path = self.object_path(key)
        if not path.is_file():
            raise NoSuchKey(key)
        try:
            return open(path, "rb")
        except FileNotFoundError:
            raise NoSuchKey(key) from None

    def head_object(self, key: str) -> dict[str, Any]:
        """The sidecar metadata; an object without a sidecar gets defaults derived from the file."""
        path = self.object_path(key)
        if not path.is_file():
            raise NoSuchKey(key)
        meta = self.meta_path(key)
        if meta.is_file():
            head: dict[str, Any] = json.loads(meta.read_bytes())
            head.setdefault("Metadata", {})
            return head
        body = path.read_bytes()
        return {
            "ContentType": "application/octet-stream",
            "LastModified": _iso(datetime.fromtimestamp(path.stat().st_mtime, UTC)),
            "ETag": f'"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"',
            "Metadata": {},
        }

    def has_metadata(self, key: str) -> bool:
        """True when the object has a sidecar (its S3 metadata was recorded)."""
        return self.meta_path(key).is_file()

    def delete_object(self, key: str) -> None:
        """Like S3, deleting a missing key is not an error. Empty parent folders are removed."""
        for path in (self.object_path(key), self.meta_path(key)):
            path.unlink(missing_ok=True)
            parent = path.parent
            while parent != self.root and parent.resolve() != self._resolved_root:
                try:
                    parent.rmdir()
                except OSError:
                    break
                parent = parent.parent

    def list_objects(self, prefix: str = "", start_after: str | None = None) -> Iterator[str]:
        """Keys in S3 (code point) order, starting with ``prefix`` and greater than ``start_after``.

        Children are walked sorted by ``name`` for files and ``name + "/"`` for folders, which yields exact key
        order; whole sub-trees outside the prefix or before ``start_after`` are skipped without being read.
        """
        if not self.root.is_dir():
            return
        yield from self._walk(self.root, "", prefix, start_after)

    def _walk(self, folder: Path, base: str, prefix: str, start_after: str | None) -> Iterator[str]:
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            return
        children: list[tuple[str, os.DirEntry[str]]] = []
        for entry in entries:
            if entry.name.startswith(TMP_PREFIX) or (not base and entry.name == META_DIR):
                continue
            is_dir = entry.is_dir(follow_symlinks=False)
            children.append((base + entry.name + ("/" if is_dir else ""), entry))
        children.sort(key=lambda item: item[0])
        for sort_key, entry in children:
            if sort_key.endswith("/"):
                if not (sort_key.startswith(prefix) or prefix.startswith(sort_key)):
                    continue
                if (
                    start_after is not None
                    and sort_key < start_after
                    and not start_after.startswith(sort_key)
                ):
                    continue  # every key below sorts before start_after
                yield from self._walk(Path(entry.path), sort_key, prefix, start_after)
            elif entry.is_file(follow_symlinks=False):
                if sort_key.startswith(prefix) and (start_after is None or sort_key > start_after):
                    yield sort_key
