"""The local simulated account: its folder, its SQLite database, its clock and its principal.

Layout (``local-account.md``)::

    $AWSMON_HOME/config.json                       which account is the default
    $AWSMON_HOME/accounts/<account-id>/account.db  SQLite, WAL mode
    $AWSMON_HOME/accounts/<account-id>/keys/       RSA-2048 signing key (0600) and its public half
    $AWSMON_HOME/accounts/<account-id>/s3/<bucket>/ simulated S3 buckets, the folder tree is the key tree

Writes are short ``BEGIN IMMEDIATE`` transactions with a long busy timeout, so several processes can share one
account without losing writes or failing with "database is locked".
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from awsmon.errors import AwsmonError, ConfigError, ExitCode, UsageError

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
ACCOUNT_ID_RE = re.compile(r"^\d{12}$")
REGION_RE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$")
BUSY_TIMEOUT_S = 60.0
# The simulated clock's range in epoch milliseconds: awsmon.timeparse.TIME_MIN / TIME_MAX (not imported here to
# keep the store's import light; a test checks they agree).
_MIN_MS = 0
_MAX_MS = 221845392000000  # 9000-01-01T00:00:00Z
MMAP_BYTES = 1 << 31  # SQLite's own cap on Linux (SQLITE_MAX_MMAP_SIZE)


@contextlib.contextmanager
def memory_mapped(conn: sqlite3.Connection) -> Iterator[None]:
    """Reads of ``conn`` go through a memory map of the database file while the block runs: SQLite then walks the
    pages in place instead of copying each one out of the OS cache with a read call. For large scans only (logs
    chunks, metric value blobs: 0.28 -> 0.16 s for 80 MB of blobs); the connection's setting is restored after."""
    old = conn.execute("PRAGMA mmap_size").fetchone()[0]
    conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA mmap_size = {int(old)}")


def default_home() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "awsmon"


def validate_account_id(account_id: str) -> str:
    if not ACCOUNT_ID_RE.match(account_id or ""):
        raise UsageError(f"invalid account id {account_id!r}: an AWS account id is 12 digits")
    return account_id


def validate_region(region: str) -> str:
    if not REGION_RE.match(region or ""):
        raise UsageError(f"invalid region {region!r}", hint="use a region name such as us-east-1 or eu-west-2")
    return region


def make_private_dir(path: Path) -> None:
    """Create ``path`` and its missing parents as 0700 whatever the umask (the account holds keys and audit data);
    folders that already exist are left as their owner set them."""
    missing: list[Path] = []
    p = path
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        try:
            d.mkdir(mode=0o700)
        except FileExistsError:
            continue
        os.chmod(d, 0o700)  # mkdir's mode is filtered by the umask


def restrict_file(path: Path, mode: int = 0o600) -> None:
    """Make an existing file (or folder, mode 0700) private if others may read it (made by an older awsmon)."""
    try:
        if path.stat().st_mode & 0o077:
            os.chmod(path, mode)
    except FileNotFoundError:
        pass
    except PermissionError:  # not ours: leave it, the owner decides
        pass


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write a file so readers see the old or the new content, never a torn one."""
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


class Home:
    """The folder holding every local account."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def accounts_dir(self) -> Path:
        return self.root / "accounts"

    def ensure_writable(self) -> None:
        import tempfile

        try:
            make_private_dir(self.accounts_dir)
            probe = tempfile.NamedTemporaryFile(dir=self.root, prefix=".probe-", delete=True)
            probe.close()
        except OSError as exc:
            raise ConfigError(
                f"home folder {self.root} is not writable: {exc.strerror or exc}",
                hint="choose another folder with --home or AWSMON_HOME",
            ) from exc

    def config(self) -> dict[str, Any]:
        path = self.root / "config.json"
        try:
            return dict(json.loads(path.read_text()))
        except FileNotFoundError:
            return {}
        except (ValueError, OSError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from exc

    def set_default_account(self, account_id: str) -> None:
        cfg = self.config()
        cfg["default_account"] = account_id
        atomic_write(self.root / "config.json", json.dumps(cfg, indent=2).encode() + b"\n")

    def default_account(self) -> str | None:
        value = self.config().get("default_account")
        return str(value) if value else None

    def account_ids(self) -> list[str]:
        if not self.accounts_dir.is_dir():
            return []
        return sorted(p.name for p in self.accounts_dir.iterdir() if ACCOUNT_ID_RE.match(p.name) and p.is_dir())

    def account_dir(self, account_id: str) -> Path:
        return self.accounts_dir / validate_account_id(account_id)

    def exists(self, account_id: str) -> bool:
        return (self.account_dir(account_id) / "account.db").is_file()


def _random_key_id(prefix: str) -> str:
    import secrets
    import string

    alphabet = string.ascii_uppercase + "234567"
    return prefix + "".join(secrets.choice(alphabet) for _ in range(16))


class Principal(NamedTuple):  # not a dataclass: creating one costs ~1 ms of start-up
    """Who the local backend's calls are made as (``local-account.md``, "The principal")."""

    account_id: str
    kind: str  # IAMUser | AssumedRole | Root
    name: str  # user name, or role-session name
    arn: str
    principal_id: str
    access_key_id: str
    role_arn: str | None = None
    role_name: str | None = None

    def user_identity(self) -> dict[str, Any]:
        if self.kind == "AssumedRole":
            return {
                "type": "AssumedRole",
                "principalId": self.principal_id,
                "arn": self.arn,
                "accountId": self.account_id,
                "accessKeyId": self.access_key_id,
                "sessionContext": {
                    "sessionIssuer": {
                        "type": "Role",
                        "principalId": self.principal_id.split(":")[0],
                        "arn": self.role_arn,
                        "accountId": self.account_id,
                        "userName": self.role_name,
                    },
                    "attributes": {"creationDate": None, "mfaAuthenticated": "false"},
                },
            }
        if self.kind == "Root":
            return {
                "type": "Root",
                "principalId": self.account_id,
                "arn": f"arn:aws:iam::{self.account_id}:root",
                "accountId": self.account_id,
                "accessKeyId": self.access_key_id,
            }
        return {
            "type": "IAMUser",
            "principalId": self.principal_id,
            "arn": self.arn,
            "accountId": self.account_id,
            "accessKeyId": self.access_key_id,
            "userName": self.name,
        }

    @property
    def username(self) -> str:
        """The LookupEvents ``Username``: the user name, ``root``, or the role-session name."""
        return "root" if self.kind == "Root" else self.name


_USER_NAME_RE = re.compile(r"^[\w+=,.@-]{1,64}$")
_ROLE_ARN_RE = re.compile(r"^arn:aws:iam::(\d{12}):role/(?:[\w+=,.@-]+/)*([\w+=,.@-]{1,64})$")


class AccountStore:
    """One local account: open it with :meth:`open`; use as a context manager to close it."""

    def __init__(self, home: Home, account_id: str, conn: sqlite3.Connection) -> None:
        self.home = home
        self.account_id = account_id
        self.dir = home.account_dir(account_id)
        self.conn = conn
        self._tx_depth = 0
        self._pinned_now: datetime | None = None
        self.fresh_command_clock: datetime | None = None

    # -- opening -----------------------------------------------------------------------------------------------
    @classmethod
    def open(cls, home: Home, account_id: str, *, create: bool = False, region: str = DEFAULT_REGION) -> AccountStore:
        validate_account_id(account_id)
        if not home.exists(account_id) and not create:
            raise ConfigError(
                f"local account {account_id} does not exist in {home.root}",
                hint=f"create it with: awsmon account init --account-id {account_id}",
            )
        if create:
            home.ensure_writable()
        adir = home.account_dir(account_id)
        db_path = adir / "account.db"
        try:
            make_private_dir(adir)
            if create and not db_path.exists():
                # created 0600 before SQLite opens it; SQLite gives the -wal and -shm files the database's mode
                os.close(os.open(db_path, os.O_CREAT | os.O_WRONLY, 0o600))
                os.chmod(db_path, 0o600)
        except OSError as exc:
            raise ConfigError(f"cannot create {adir}: {exc.strerror or exc}", hint="check --home / AWSMON_HOME") from exc
        try:
            conn = sqlite3.connect(db_path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise ConfigError(f"cannot open local account database {db_path}: {exc}") from exc
        store = cls(home, account_id, conn)
        try:
            store._configure()
            restrict_file(adir, 0o700)
            for suffix in ("", "-wal", "-shm"):
                restrict_file(adir / f"account.db{suffix}")
            store._migrate()
            if create:
                store._initialise(region)
        except sqlite3.DatabaseError as exc:
            conn.close()
            if isinstance(exc, sqlite3.OperationalError) and "readonly" in str(exc):
                raise ConfigError(f"local account database {db_path} is read-only: {exc}") from exc
            raise AwsmonError(
                f"local account database {db_path} is unreadable or corrupt: {exc}",
                hint="restore it from a backup, or move it away and run 'awsmon account init'",
                exit_code=ExitCode.ERROR,
            ) from exc
        except BaseException:
            conn.close()
            raise
        return store

    def _configure(self) -> None:
        c = self.conn
        c.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        mode = c.execute("PRAGMA journal_mode = WAL").fetchone()
        if mode and str(mode[0]).lower() != "wal":
            raise sqlite3.DatabaseError(f"cannot switch to WAL journal mode (got {mode[0]})")
        c.execute("PRAGMA synchronous = NORMAL")
        c.execute("PRAGMA foreign_keys = ON")
        c.row_factory = sqlite3.Row

    def _migrate(self) -> None:
        c = self.conn
        c.execute("CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)")
        current = {r[0]: r[1] for r in c.execute("SELECT component, version FROM schema_versions")}
        stamp = _schema_stamp(current)
        if stamp is not None and stamp == self._checked_stamp():
            return
        self._check_and_migrate(current)
        stamp = _schema_stamp({r[0]: r[1] for r in c.execute("SELECT component, version FROM schema_versions")})
        if stamp is not None:
            with contextlib.suppress(sqlite3.OperationalError), self.transaction():  # a read-only file: check again
                self.set_meta("schema_checked", stamp)

    def _checked_stamp(self) -> str | None:
        try:
            return self.meta("schema_checked")
        except sqlite3.OperationalError:  # no meta table yet: a new database
            return None

    def _check_and_migrate(self, current: dict[str, int]) -> None:
        from awsmon.backends.local import schema

        c = self.conn
        known = {name: schema.migrations(name) for name in schema.COMPONENTS}
        for name, version in current.items():
            if name not in known or version > len(known[name]):
                raise ConfigError(
                    f"the local account database {self.dir / 'account.db'} has schema {name} v{version}, "
                    f"newer than this awsmon supports (v{len(known.get(name, []))})",
                    hint="upgrade awsmon (pip install -U awsmon-cli); the database was left untouched",
                )
        if all(current.get(n, 0) == len(m) for n, m in known.items()):
            return
        with self.transaction():
            current = {r[0]: r[1] for r in c.execute("SELECT component, version FROM schema_versions")}
            for name, scripts in known.items():
                have = current.get(name, 0)
                for script in scripts[have:]:
                    for statement in _split_sql(script):
                        c.execute(statement)
                if len(scripts) != have:
                    c.execute(
                        "INSERT INTO schema_versions (component, version) VALUES (?, ?) "
                        "ON CONFLICT (component) DO UPDATE SET version = excluded.version",
                        (name, len(scripts)),
                    )
        c.execute("PRAGMA user_version = 1")

    def _initialise(self, region: str) -> None:
        with self.transaction():
            if self.meta("account_id") is not None:
                return
            self.set_meta("account_id", self.account_id)
            self.set_meta("default_region", validate_region(region))
            self.set_meta("created", datetime.now(UTC).isoformat())
            self.set_meta("principal_user", "awsmon")
            self.set_meta("access_key_id", _random_key_id("AKIA"))
            self.set_meta("principal_id", _random_key_id("AIDA"))
            self.set_meta("fresh", "1")
            self.conn.execute(
                "INSERT OR IGNORE INTO clock (id, mode, pinned_ms, offset_ms, watermark_ms) VALUES (1, 'real', NULL, 0, 0)"
            )
        self.ensure_signing_key()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> AccountStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions ------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``); nested calls become savepoints."""
        c = self.conn
        if self._tx_depth:
            name = f"sp{self._tx_depth}"
            c.execute(f"SAVEPOINT {name}")
            self._tx_depth += 1
            try:
                yield c
            except BaseException:
                c.execute(f"ROLLBACK TO {name}")
                c.execute(f"RELEASE {name}")
                raise
            else:
                c.execute(f"RELEASE {name}")
            finally:
                self._tx_depth -= 1
            return
        self._begin_immediate()
        self._tx_depth = 1
        try:
            yield c
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                c.execute("ROLLBACK")
            raise
        else:
            c.execute("COMMIT")
        finally:
            self._tx_depth = 0

    def _begin_immediate(self) -> None:
        # busy_timeout covers most waits; the loop covers SQLITE_BUSY returned early (e.g. WAL recovery).
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        delay = 0.005
        while True:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.25)

    # -- metadata ----------------------------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    @property
    def default_region(self) -> str:
        return self.meta("default_region") or DEFAULT_REGION

    # -- principal ---------------------------------------------------------------------------------------------
    def principal(self) -> Principal:
        """The local principal; ``AWSMON_PRINCIPAL`` (a user name, ``root``, or a role ARN) overrides it."""
        override = os.environ.get("AWSMON_PRINCIPAL", "").strip()
        access_key = self.meta("access_key_id") or "AKIAAWSMONLOCAL00000"
        principal_id = self.meta("principal_id") or "AIDAAWSMONLOCAL00000"
        user = override or self.meta("principal_user") or "awsmon"
        if user.lower() == "root":
            return Principal(self.account_id, "Root", "root", f"arn:aws:iam::{self.account_id}:root",
                             self.account_id, access_key)  # fmt: skip
        m = _ROLE_ARN_RE.match(user)
        if m:
            role = m.group(2)
            session = os.environ.get("AWSMON_ROLE_SESSION_NAME", "awsmon")
            role_id = "AROA" + principal_id[4:]
            return Principal(
                self.account_id, "AssumedRole", session,
                f"arn:aws:sts::{self.account_id}:assumed-role/{role}/{session}",
                f"{role_id}:{session}", "ASIA" + access_key[4:], role_arn=user, role_name=role,
            )  # fmt: skip
        if user.startswith("arn:"):
            raise ConfigError(f"AWSMON_PRINCIPAL {user!r} is not an IAM role ARN, a user name or 'root'")
        if not _USER_NAME_RE.match(user):
            raise ConfigError(f"AWSMON_PRINCIPAL {user!r} is not a valid IAM user name")
        return Principal(self.account_id, "IAMUser", user, f"arn:aws:iam::{self.account_id}:user/{user}",
                         principal_id, access_key)  # fmt: skip

    # -- signing key -------------------------------------------------------------------------------------------
    @property
    def keys_dir(self) -> Path:
        return self.dir / "keys"

    def ensure_signing_key(self) -> Path:
        """The account's RSA-2048 key used to sign CloudTrail digests; private part written 0600."""
        path = self.keys_dir / "signing-key.pem"
        if path.exists():
            return path
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        import tempfile

        self.keys_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.keys_dir, 0o700)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.keys_dir)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
            try:
                os.link(tmp, path)  # fails if another process won the race: keep its key
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
        return path

    def signing_key_created(self) -> datetime:
        path = self.ensure_signing_key()
        created = self.meta("signing_key_created")
        if created:
            return datetime.fromisoformat(created)
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)

    def load_signing_key(self) -> Any:
        from cryptography.hazmat.primitives import serialization

        return serialization.load_pem_private_key(self.ensure_signing_key().read_bytes(), password=None)

    # -- simulated S3 ------------------------------------------------------------------------------------------
    @property
    def s3_dir(self) -> Path:
        return self.dir / "s3"

    # -- clock -------------------------------------------------------------------------------------------------
    def clock_row(self) -> sqlite3.Row:
        row = self.conn.execute("SELECT mode, pinned_ms, offset_ms, watermark_ms FROM clock WHERE id = 1").fetchone()
        if row is None:
            with self.transaction():
                self.conn.execute(
                    "INSERT OR IGNORE INTO clock (id, mode, pinned_ms, offset_ms, watermark_ms) VALUES (1,'real',NULL,0,0)"
                )
            row = self.conn.execute("SELECT mode, pinned_ms, offset_ms, watermark_ms FROM clock WHERE id = 1").fetchone()
        return row

    def is_fresh(self) -> bool:
        return self.meta("fresh") == "1"

    def now(self) -> datetime:
        """The simulated time: ``AWSMON_NOW`` if set, else the pinned time, else the wall clock plus the offset."""
        if self._pinned_now is not None:
            return self._pinned_now
        row = self.clock_row()
        if row["mode"] == "pinned" and row["pinned_ms"] is not None:
            ms = row["pinned_ms"]
        else:
            ms = _ms(datetime.now(UTC)) + (row["offset_ms"] or 0)
        if not _MIN_MS <= ms < _MAX_MS:
            return self._repair_clock(ms)
        return datetime.fromtimestamp(ms / 1000, UTC)

    def _repair_clock(self, ms: int) -> datetime:
        """A stored clock outside the representable range (written by an older awsmon, or by hand) is clamped to
        the range's edge and saved, with a notice, so the account keeps working instead of failing every command."""
        from awsmon.timeparse import TIME_MAX, TIME_MIN

        edge = TIME_MIN if ms < _MIN_MS else TIME_MAX - timedelta(seconds=1)
        sys.stderr.write(
            f"awsmon: notice: the simulated clock of account {self.account_id} was out of range; "
            f"it is now pinned at {edge.isoformat().replace('+00:00', 'Z')}\n"
        )
        with self.transaction():
            self.conn.execute(
                "UPDATE clock SET mode = 'pinned', pinned_ms = ?, offset_ms = 0, "
                "watermark_ms = min(max(watermark_ms, ?), ?) WHERE id = 1",
                (_ms(edge), _MIN_MS, _ms(edge)),
            )
        return edge

    def pin_for_command(self, when: datetime) -> None:
        """``AWSMON_NOW``: this process sees ``when`` as now; it may not move the clock backwards."""
        watermark = self._watermark_ms()
        if not self.is_fresh() and _ms(when) < watermark:
            raise UsageError(
                f"AWSMON_NOW {when.isoformat()} is earlier than the account's simulated time "
                f"{datetime.fromtimestamp(watermark / 1000, UTC).isoformat()}: the clock only moves forward"
            )
        self._pinned_now = when

    @contextlib.contextmanager
    def as_of(self, when: datetime) -> Iterator[None]:
        """Calls made inside see ``when`` as now: scheduled work done late (a canary run recorded after its probe)
        stamps what it writes (S3 LastModified, CloudTrail eventTime) with the time it stands for."""
        saved, self._pinned_now = self._pinned_now, when
        try:
            yield
        finally:
            self._pinned_now = saved

    def _watermark_ms(self) -> int:
        """The latest simulated time ever seen, read through :meth:`now` so an out-of-range value is repaired."""
        watermark = self.clock_row()["watermark_ms"] or 0
        if not _MIN_MS <= watermark < _MAX_MS:
            saved, self._pinned_now = self._pinned_now, None
            try:
                self._repair_clock(watermark)
            finally:
                self._pinned_now = saved
            watermark = self.clock_row()["watermark_ms"]
        return int(watermark)

    def touch_watermark(self, now: datetime) -> None:
        self.conn.execute("UPDATE clock SET watermark_ms = max(watermark_ms, ?) WHERE id = 1", (_ms(now),))

    def mark_used(self) -> None:
        if self.meta("fresh") == "1":
            self.set_meta("fresh", "0")

    def set_clock(self, when: datetime) -> None:
        _check_clock_time(when)
        with self.transaction():
            current = self.now()
            if not self.is_fresh() and when < current:
                raise UsageError(
                    f"cannot set the clock to {when.isoformat()}: it is earlier than the simulated time "
                    f"{current.isoformat()} and the clock only moves forward",
                    hint="use 'awsmon account reset --yes' to start the account again",
                )
            self.conn.execute(
                "UPDATE clock SET mode = 'pinned', pinned_ms = ?, offset_ms = 0, watermark_ms = "
                "CASE WHEN ? THEN ? ELSE watermark_ms END WHERE id = 1",
                (_ms(when), self.is_fresh(), _ms(when)),
            )
            self._pinned_now = None

    def advance_clock(self, delta: timedelta) -> datetime:
        if delta.total_seconds() < 0:
            raise UsageError("the clock only moves forward: give a positive duration")
        with self.transaction():
            row = self.clock_row()
            current = self.now()
            from awsmon.timeparse import TIME_MAX

            if delta >= TIME_MAX - current:
                raise UsageError(
                    f"cannot advance the clock by {delta}: it would pass {_iso(TIME_MAX)}, the latest time awsmon "
                    f"can represent (the simulated time is {_iso(current)})"
                )
            target = current + delta
            if row["mode"] == "pinned":
                self.conn.execute("UPDATE clock SET pinned_ms = ? WHERE id = 1", (_ms(target),))
            else:
                self.conn.execute("UPDATE clock SET offset_ms = offset_ms + ? WHERE id = 1", (_ms_delta(delta),))
                target = self.now()
            self._pinned_now = None
            return target

    def real_clock(self) -> datetime:
        """Follow real time again from the current simulated time (an offset keeps it from going back)."""
        with self.transaction():
            current = self.now()
            wall = datetime.now(UTC)
            offset = max(0, _ms(current) - _ms(wall))
            self.conn.execute("UPDATE clock SET mode = 'real', pinned_ms = NULL, offset_ms = ? WHERE id = 1", (offset,))
            self._pinned_now = None
        return self.now()

    def clock_description(self) -> dict[str, Any]:
        row = self.clock_row()
        now = self.now()
        if self._pinned_now is not None:
            mode = "pinned by AWSMON_NOW"
        elif row["mode"] == "pinned":
            mode = "pinned"
        elif row["offset_ms"]:
            mode = "real time + offset"
        else:
            mode = "real time"
        return {
            "Now": now,
            "Mode": mode,
            "OffsetSeconds": row["offset_ms"] / 1000 if row["mode"] == "real" else None,
            "PendingJobs": self.conn.execute("SELECT count(*) FROM jobs").fetchone()[0],
            "NextDue": _opt_time(self.conn.execute("SELECT min(next_due_ms) FROM jobs").fetchone()[0]),
        }


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _check_clock_time(when: datetime) -> None:
    from awsmon.timeparse import TIME_MAX, TIME_MIN, TIME_RANGE_TEXT

    if not TIME_MIN <= when < TIME_MAX:
        raise UsageError(f"cannot set the clock to {_iso(when)}: awsmon represents times from {TIME_RANGE_TEXT}")


def _ms(dt: datetime) -> int:
    return int(round(dt.timestamp() * 1000))


def _ms_delta(td: timedelta) -> int:
    return int(round(td.total_seconds() * 1000))


def _opt_time(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)


def _schema_stamp(versions: dict[str, int]) -> str | None:
    """The database's schema versions and the size and time of each migrations module. Equal to the stamp left by the
    last full check, the database is known to be up to date without importing the 22 modules (~2 ms of every
    start-up); a change to any module, or to the versions (another awsmon migrated it), makes it differ. None when
    the modules are not plain files."""
    from awsmon.backends.local import schema

    folder = os.path.dirname(schema.__file__)
    parts = [",".join(f"{k}={v}" for k, v in sorted(versions.items()))]
    try:
        for module in schema.COMPONENTS.values():
            st = os.stat(os.path.join(folder, module.rpartition(".")[2] + ".py"))
            parts.append(f"{st.st_size}:{st.st_mtime_ns}")
    except OSError:
        return None
    return " ".join(parts)


def _split_sql(script: str) -> list[str]:
    """Split a migration script on ';' at line ends (no procedural SQL is used in migrations)."""
    parts = []
    buf: list[str] = []
    for line in script.splitlines():
        stripped = line.split("--", 1)[0].rstrip()
        buf.append(line)
        if stripped.endswith(";"):
            parts.append("\n".join(buf).strip())
            buf = []
    tail = "\n".join(buf).strip()
    if tail and not all(not ln.split("--", 1)[0].strip() for ln in buf):
        parts.append(tail)
    return [p for p in parts if p.strip().rstrip(";").strip()]
