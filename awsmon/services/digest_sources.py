"""Concrete :class:`awsmon.engines.digest.DigestSource` implementations and public-key loading.

* :class:`FolderDigestSource`: a downloaded trail bucket (``--path DIR``), signatures read from the ``.awsmon-meta``
  manifest written by :class:`awsmon.s3folder.S3Folder`; digests without one are "signature metadata missing".
* :class:`S3DigestSource`: boto3 (imported lazily), ListObjectsV2 + StartAfter, GetObject, CloudTrail ListPublicKeys;
  works against an ``endpoint_url`` such as a moto server.
* :func:`load_public_keys`: DER PKCS#1, DER SPKI, PEM (either) and saved ``aws cloudtrail list-public-keys`` JSON.

[design choice] A key file without a published fingerprint (DER or PEM) is registered under the MD5 of its PKCS#1 DER
(what AWS publishes) and, when the file holds SPKI bytes, also under the MD5 of those bytes (as in the AWS docs'
SPKI sample key).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from awsmon.engines.digest import (
    ObjectNotFound,
    PublicKeyInfo,
    PublicKeyLoadError,
    SourceAccessError,
    SourceObject,
    load_rsa_public_key,
    public_key_der,
    public_key_fingerprint,
    to_utc,
)
from awsmon.s3folder import META_DIR, TMP_PREFIX, S3Folder, validate_key

if TYPE_CHECKING:  # cryptography is imported where a key is read (start-up time)
    from cryptography.hazmat.primitives.asymmetric import rsa

# --------------------------------------------------------------------------------------------------------------
# Public keys


class PublicKeyFormatError(ValueError):
    """A public key file in a format awsmon cannot use."""


_FORMATS = "expected DER PKCS#1, DER SPKI, PEM, or saved `aws cloudtrail list-public-keys` JSON"


def _rsa_from_der(der: bytes, where: str) -> rsa.RSAPublicKey:
    try:
        return load_rsa_public_key(der)
    except (PublicKeyLoadError, TypeError):
        raise PublicKeyFormatError(f"{where}: not an RSA public key ({_FORMATS})") from None


def _infos_for_der(der: bytes, where: str) -> list[PublicKeyInfo]:
    pkcs1 = public_key_der(_rsa_from_der(der, where))
    infos = [PublicKeyInfo(public_key_fingerprint(pkcs1), pkcs1)]
    if der != pkcs1:
        infos.append(PublicKeyInfo(public_key_fingerprint(der), der))
    return infos


def _parse_time(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):  # boto3 parses timestamps
        return to_utc(value)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        try:
            return to_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            try:
                return datetime.fromtimestamp(float(value), UTC)
            except ValueError:
                pass
    raise PublicKeyFormatError(f"{where}: unreadable validity time {value!r}")


def public_keys_from_list_response(response: Any, where: str = "ListPublicKeys") -> list[PublicKeyInfo]:
    """``{"PublicKeyList": [...]}`` with ``Value`` as bytes (boto3 decodes blobs) or base64 text (CLI JSON)."""
    if not isinstance(response, dict) or not isinstance(response.get("PublicKeyList"), list):
        raise PublicKeyFormatError(f"{where}: no PublicKeyList array ({_FORMATS})")
    infos: list[PublicKeyInfo] = []
    for n, item in enumerate(response["PublicKeyList"]):
        here = f"{where}: PublicKeyList[{n}]"
        if not isinstance(item, dict) or "Value" not in item:
            raise PublicKeyFormatError(f"{here}: missing Value")
        value = item["Value"]
        if isinstance(value, bytes | bytearray):
            der = bytes(value)  # boto3 already decoded the blob: do not base64-decode again
        elif isinstance(value, str):
            try:
                der = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise PublicKeyFormatError(f"{here}: Value is not base64") from None
        else:
            raise PublicKeyFormatError(f"{here}: Value is not base64 text")
        _rsa_from_der(der, here)
        fingerprint = item.get("Fingerprint") or public_key_fingerprint(der)
        infos.append(
            PublicKeyInfo(
                str(fingerprint),
                der,
                _parse_time(item.get("ValidityStartTime"), here),
                _parse_time(item.get("ValidityEndTime"), here),
            )
        )
    return infos


def parse_public_key_bytes(data: bytes, where: str = "public key") -> list[PublicKeyInfo]:
    # A saved JSON file may carry a byte-order mark (UTF-8, or UTF-16 from a Windows shell redirect).
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            try:
                data = data[len(bom) :].decode(codec).encode("utf-8")
            except UnicodeDecodeError:
                raise PublicKeyFormatError(f"{where}: not valid {codec} text ({_FORMATS})") from None
            break
    stripped = data.lstrip()
    if stripped.startswith(b"{"):
        try:
            doc = json.loads(stripped.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise PublicKeyFormatError(f"{where}: invalid JSON ({_FORMATS})") from None
        return public_keys_from_list_response(doc, where)
    if stripped.startswith(b"-----BEGIN"):
        if b"PRIVATE KEY" in stripped.split(b"\n", 1)[0]:
            raise PublicKeyFormatError(f"{where}: is a private key, not a public key")
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        try:
            key = serialization.load_pem_public_key(stripped)
        except (ValueError, TypeError):
            raise PublicKeyFormatError(f"{where}: unreadable PEM public key ({_FORMATS})") from None
        if not isinstance(key, rsa.RSAPublicKey):
            raise PublicKeyFormatError(f"{where}: not an RSA public key ({_FORMATS})")
        pkcs1 = public_key_der(key)
        return [PublicKeyInfo(public_key_fingerprint(pkcs1), pkcs1)]
    return _infos_for_der(data, where)


def load_public_keys(paths: Iterable[Path | str]) -> list[PublicKeyInfo]:
    keys: list[PublicKeyInfo] = []
    for path in paths:
        p = Path(path)
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise PublicKeyFormatError(f"{p}: cannot read public key file ({exc.strerror})") from None
        keys.extend(parse_public_key_bytes(data, str(p)))
    return keys


def _keys_in_range(keys: Sequence[PublicKeyInfo], start: datetime, end: datetime) -> list[PublicKeyInfo]:
    return [k for k in keys if k.overlaps(start, end)]


# --------------------------------------------------------------------------------------------------------------
# Folder source


@dataclass(frozen=True)
class DiscoveredTrail:
    """A digest chain found in a downloaded bucket folder: what ``validate_logs`` needs besides the times."""

    bucket: str | None  # from the newest digest's digestS3Bucket; None if it could not be read
    prefix: str | None
    organization_id: str | None
    account_id: str
    source_region: str
    trail_name: str
    home_region: str

    @property
    def trail_arn(self) -> str:
        return f"arn:aws:cloudtrail:{self.home_region}:{self.account_id}:trail/{self.trail_name}"


def _segment_ok(name: str) -> bool:
    """``validate_key``'s rules for a key's last segment (its folders were validated with an earlier key)."""
    return (name not in ("", ".", "..") and "\x00" not in name and "\\" not in name
            and not name.startswith(TMP_PREFIX))  # fmt: skip


def _parse_digest_name(name: str, account_id: str, source_region: str) -> tuple[str, str] | None:
    """(trail name, home Region) from ``<acct>_CloudTrail-Digest_<src>_<name>_<home>_<ts>[_backfill].json.gz``."""
    head = f"{account_id}_CloudTrail-Digest_{source_region}_"
    if not name.startswith(head) or not name.endswith(".json.gz"):
        return None
    rest = name[len(head) : -len(".json.gz")].removesuffix("_backfill")
    parts = rest.rsplit("_", 2)  # trail names may hold underscores; Regions and time stamps do not
    if len(parts) != 3 or not parts[0]:
        return None
    return parts[0], parts[1]


class FolderDigestSource:
    """A downloaded trail bucket tree.

    ``root`` is the bucket root (holds ``AWSLogs/`` or ``<prefix>/AWSLogs/``), or the folder that ``aws s3 sync
    s3://bucket/<prefix> DIR`` produced (holds ``AWSLogs/`` while keys start with ``<prefix>/``): pass ``prefix`` and
    keys are mapped either way. ``bucket`` restricts the bucket name served; None serves any name (one bucket).
    """

    def __init__(
        self,
        root: Path,
        public_keys: list[PublicKeyInfo],
        *,
        prefix: str | None = None,
        bucket: str | None = None,
        key_prefix: str | None = None,
    ) -> None:
        self.folder = S3Folder(Path(root))
        self.public_keys = list(public_keys)
        self.bucket = bucket
        self._dirs_ok: dict[str, bool] = {}
        self._parents: dict[str, str] = {}  # validated key folder -> its checked path ("" = refused)
        self._root_str = str(self.folder.root)
        if key_prefix is not None:
            # What the copy dropped from the front of every key (e.g. "<prefix>/" of ``aws s3 sync s3://b/<prefix>``).
            self._strip = key_prefix
            return
        prefix = (prefix or "").strip("/")
        # Strip the prefix from keys only when the folder was synced below it.
        self._strip = (
            prefix + "/"
            if prefix and not (self.folder.root / prefix).is_dir() and (self.folder.root / "AWSLogs").is_dir()
            else ""
        )

    def local_file(self, bucket: str, key: str) -> str | None:
        """The file holding ``key`` for a worker process to open (without following a final symlink), or None.

        Each folder is checked once to resolve inside the bucket folder (a full ``resolve()`` per file would cost
        more than hashing it).
        """
        if self.bucket is not None and bucket != self.bucket:
            return None
        if self._strip:
            if not key.startswith(self._strip):
                return None
            key = key[len(self._strip) :]
        return self._checked_path(key)

    def _checked_path(self, local_key: str, meta: bool = False) -> str | None:
        """The object's (or its sidecar's) path when its folder resolves inside the bucket folder, else None.

        Plain strings, not pathlib, and each key folder validated and resolved once: this runs once per log file,
        where parsing and checking the whole key again would cost more than the check of its last segment.
        """
        head, _, name = local_key.rpartition("/")
        if not meta and head:
            parent = self._parents.get(head)
            if parent is not None:
                return f"{parent}/{name}" if parent and _segment_ok(name) else None
        try:
            segments = validate_key(local_key)
        except ValueError:
            return None
        if meta:
            segments = [META_DIR, *segments[:-1], segments[-1] + ".json"]
        parent = "/".join((self._root_str, *segments[:-1]))
        ok = self._dirs_ok.get(parent)
        if ok is None:
            try:
                self.folder.check_inside(Path(parent))
                ok = True
            except (ValueError, OSError):
                ok = False
            self._dirs_ok[parent] = ok
        if not meta and head:
            self._parents[head] = parent if ok else ""
        return f"{parent}/{segments[-1]}" if ok else None

    def _read(self, path: str | None) -> bytes | None:
        """A file's bytes, not following a final symlink; None when absent."""
        if path is None:
            return None
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        except PermissionError:
            raise
        except OSError:
            return None  # a symlink as the last segment: as if absent
        try:
            with os.fdopen(fd, "rb") as fh:
                return fh.read()
        except IsADirectoryError:
            return None

    def discover_trails(self) -> list[DiscoveredTrail]:
        """Every (account, source Region, trail) digest chain under the folder, sorted."""
        found: dict[tuple[str | None, str | None, str, str, str, str], str] = {}
        root = self.folder.root
        for region_dir in sorted(root.glob("**/CloudTrail-Digest/*")):
            rel = region_dir.relative_to(root).parts
            if META_DIR in rel or not region_dir.is_dir() or "AWSLogs" not in rel:
                continue
            i = rel.index("AWSLogs")
            middle = rel[i + 1 : -2]  # [o-id,] account
            if len(middle) not in (1, 2) or rel[-2] != "CloudTrail-Digest":
                continue
            org = middle[0] if len(middle) == 2 else None
            account, source_region = middle[-1], rel[-1]
            prefix = self._strip.rstrip("/") or ("/".join(rel[:i]) or None)
            for path in region_dir.glob("*/*/*/*.json.gz"):
                parsed = _parse_digest_name(path.name, account, source_region)
                if parsed is not None:
                    ident = (prefix, org, account, source_region, *parsed)
                    newest = found.get(ident)
                    rel_key = path.relative_to(root).as_posix()
                    if newest is None or rel_key > newest:
                        found[ident] = rel_key
        trails = []
        for (prefix, org, account, source_region, name, home), newest_key in sorted(
            found.items(), key=lambda item: tuple(str(x) for x in item[0])
        ):
            trails.append(
                DiscoveredTrail(self._bucket_of(newest_key), prefix, org, account, source_region, name, home)
            )
        return trails

    def _bucket_of(self, local_key: str) -> str | None:
        try:
            data = zlib.decompress(self.folder.get_object(local_key), zlib.MAX_WBITS | 16)
            bucket = json.loads(data.decode()).get("digestS3Bucket")
        except (KeyError, ValueError, zlib.error, AttributeError, OSError):
            return None
        return bucket if isinstance(bucket, str) else None

    def _local(self, bucket: str, key: str) -> str:
        if self.bucket is not None and bucket != self.bucket:
            raise ObjectNotFound(f"s3://{bucket}/{key}")
        if self._strip:
            if not key.startswith(self._strip):
                raise ObjectNotFound(f"s3://{bucket}/{key}")
            key = key[len(self._strip) :]
        if self._checked_path(key) is None:
            raise ObjectNotFound(f"s3://{bucket}/{key}")  # a hostile name can never exist here
        return key

    def list_keys(self, bucket: str, prefix: str, start_after: str | None) -> Iterator[str]:
        if self.bucket is not None and bucket != self.bucket:
            return
        strip = self._strip
        if strip:
            if not (prefix.startswith(strip) or strip.startswith(prefix)):
                return
            local_prefix = prefix[len(strip) :] if prefix.startswith(strip) else ""
            local_after = None
            if start_after is not None:
                local_after = start_after[len(strip) :] if start_after.startswith(strip) else None
                if local_after is None and start_after > strip:
                    return
        else:
            local_prefix, local_after = prefix, start_after
        for key in self.folder.list_objects(local_prefix, local_after):
            yield strip + key

    def list_folders(self, bucket: str, prefix: str) -> list[str]:
        """The immediate sub-folder names under ``prefix`` (e.g. the source Regions of ``.../CloudTrail-Digest``)."""
        if self.bucket is not None and bucket != self.bucket:
            return []
        strip = self._strip
        if strip and not prefix.startswith(strip):
            return []
        local = prefix[len(strip) :].strip("/")
        try:
            base = self.folder.root.joinpath(*local.split("/")) if local else self.folder.root
            names = [p.name for p in base.iterdir() if p.is_dir() and not p.is_symlink()]
        except OSError:
            return []
        return sorted(n for n in names if n != META_DIR and not n.startswith("."))

    def get_object(self, bucket: str, key: str) -> SourceObject:
        local = self._local(bucket, key)
        try:
            body = self._read(self._checked_path(local))
            if body is None:
                raise ObjectNotFound(f"s3://{bucket}/{key}")
            sidecar = self._read(self._checked_path(local, meta=True))
        except PermissionError as exc:
            raise SourceAccessError(f"AccessDenied: {exc}") from None
        head: Any = None
        if sidecar is not None:
            try:
                head = json.loads(sidecar)
            except ValueError:
                head = None  # an unreadable manifest entry: as if there were none
        metadata = head.get("Metadata") if isinstance(head, dict) else None
        # Without the signature the manifest cannot stand in for S3 metadata: say "unknown", not "absent".
        if not isinstance(metadata, dict) or "signature" not in metadata:
            return SourceObject(body, None)
        return SourceObject(body, {str(k): str(v) for k, v in metadata.items()})

    def open_object(self, bucket: str, key: str) -> BinaryIO:
        local = self._local(bucket, key)
        try:
            return self.folder.open_object(local)
        except KeyError:
            raise ObjectNotFound(f"s3://{bucket}/{key}") from None
        except PermissionError as exc:
            raise SourceAccessError(f"AccessDenied: {exc}") from None

    def list_public_keys(self, start: datetime, end: datetime) -> list[PublicKeyInfo]:
        return _keys_in_range(self.public_keys, start, end)


# --------------------------------------------------------------------------------------------------------------
# S3 source


def _client_error_code(exc: Exception) -> str | None:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code"))
    code = getattr(exc, "code", None)  # an awsmon ServiceError (a client made by ctx.client)
    return str(code) if code is not None else None


def _source_error(exc: Exception) -> Exception:
    """A client error as the engine's source error: a botocore error goes through awsmon's one error mapper."""
    from awsmon.errors import AwsmonError

    if not isinstance(exc, AwsmonError):
        from awsmon.backends.aws import map_boto_error

        try:
            exc = map_boto_error(exc)
        except Exception:  # not a botocore error: keep its text
            return SourceAccessError(str(exc))
    if _client_error_code(exc) in ("NoSuchKey", "404", "NotFound"):
        return ObjectNotFound(str(exc))
    return SourceAccessError(str(exc))


def _is_client_error(exc: Exception) -> bool:
    from botocore.exceptions import BotoCoreError, ClientError

    from awsmon.errors import AwsmonError

    return isinstance(exc, ClientError | BotoCoreError | AwsmonError)


class S3DigestSource:
    """S3 (and CloudTrail ListPublicKeys) through boto3 clients made by the given factories.

    ``public_keys``, when given, replaces ListPublicKeys (offline keys, or emulators without that API).
    """

    def __init__(
        self,
        s3_client_factory: Callable[[], Any],
        cloudtrail_client_factory: Callable[[], Any] | None = None,
        *,
        public_keys: list[PublicKeyInfo] | None = None,
    ) -> None:
        self._s3_factory = s3_client_factory
        self._ct_factory = cloudtrail_client_factory
        self._s3: Any = None
        self.public_keys = public_keys

    @classmethod
    def from_session(
        cls,
        session: Any = None,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        s3_endpoint_url: str | None = None,
        public_keys: list[PublicKeyInfo] | None = None,
    ) -> S3DigestSource:
        """``endpoint_url`` applies to CloudTrail; ``s3_endpoint_url`` (default: the same) to S3."""

        def session_() -> Any:
            if session is not None:
                return session
            import boto3  # lazy: keeps the engine importable without AWS libraries loaded

            return boto3.session.Session()

        def s3() -> Any:
            from botocore.config import Config

            return session_().client(
                "s3",
                region_name=region,
                endpoint_url=s3_endpoint_url or endpoint_url,
                config=Config(s3={"addressing_style": "path"}) if (s3_endpoint_url or endpoint_url) else None,
            )

        def cloudtrail() -> Any:
            return session_().client("cloudtrail", region_name=region, endpoint_url=endpoint_url)

        return cls(s3, cloudtrail, public_keys=public_keys)

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            self._s3 = self._s3_factory()  # botocore clients are thread-safe; one is shared by the workers
        return self._s3

    def _call(self, bucket: str, key: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except Exception as exc:
            if not _is_client_error(exc):
                raise
            err = _source_error(exc)
            if isinstance(err, ObjectNotFound):
                raise ObjectNotFound(f"s3://{bucket}/{key}") from None
            raise err from None

    def list_keys(self, bucket: str, prefix: str, start_after: str | None) -> Iterator[str]:
        kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
        if start_after:
            kwargs["StartAfter"] = start_after
        try:
            for page in getattr(self.s3, "raw", self.s3).get_paginator("list_objects_v2").paginate(**kwargs):
                for item in page.get("Contents", []):
                    yield item["Key"]
        except Exception as exc:
            if not _is_client_error(exc):
                raise
            raise SourceAccessError(str(_source_error(exc))) from None

    def list_folders(self, bucket: str, prefix: str) -> list[str]:
        """The immediate sub-folder names under ``prefix`` (ListObjectsV2 with a ``/`` delimiter)."""
        base = prefix.rstrip("/") + "/"
        names: list[str] = []
        try:
            for page in getattr(self.s3, "raw", self.s3).get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=base, Delimiter="/"):
                names += [cp["Prefix"][len(base) :].rstrip("/") for cp in page.get("CommonPrefixes", [])]
        except Exception as exc:
            if not _is_client_error(exc):
                raise
            raise SourceAccessError(str(_source_error(exc))) from None
        return sorted(n for n in names if n)

    def get_object(self, bucket: str, key: str) -> SourceObject:
        def fetch() -> SourceObject:
            response = self.s3.get_object(Bucket=bucket, Key=key)
            return SourceObject(response["Body"].read(), dict(response.get("Metadata", {})))

        result: SourceObject = self._call(bucket, key, fetch)
        return result

    def open_object(self, bucket: str, key: str) -> BinaryIO:
        body: BinaryIO = self._call(bucket, key, lambda: self.s3.get_object(Bucket=bucket, Key=key)["Body"])
        return body

    def list_public_keys(self, start: datetime, end: datetime) -> list[PublicKeyInfo]:
        if self.public_keys is not None:
            return _keys_in_range(self.public_keys, start, end)
        if self._ct_factory is None:
            raise SourceAccessError("no CloudTrail client configured for ListPublicKeys")
        from botocore.exceptions import BotoCoreError, ClientError

        client = self._ct_factory()
        keys: list[PublicKeyInfo] = []
        kwargs: dict[str, Any] = {"StartTime": start, "EndTime": end}
        try:
            while True:  # NextToken is "reserved for future use", honoured anyway
                response = client.list_public_keys(**kwargs)
                keys += public_keys_from_list_response({"PublicKeyList": response.get("PublicKeyList", [])})
                token = response.get("NextToken")
                if not token:
                    return keys
                kwargs["NextToken"] = token
        except (ClientError, BotoCoreError) as exc:
            raise SourceAccessError(str(exc)) from None
