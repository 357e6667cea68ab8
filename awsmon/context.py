"""The per-invocation context: resolved settings (and where each came from), the backend, the consoles.

Precedence for every setting: command-line option > environment variable > profile/account file > default.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from awsmon.errors import UsageError

if TYPE_CHECKING:
    from awsmon.backends.protocols import (
        EC2API,
        IAMAPI,
        S3API,
        SNSAPI,
        SQSAPI,
        CloudTrailAPI,
        CloudWatchAPI,
        ConfigAPI,
        DynamoDBAPI,
        EventsAPI,
        FirehoseAPI,
        KinesisAPI,
        LambdaAPI,
        LogsAPI,
        SchemasAPI,
        SyntheticsAPI,
    )

BACKENDS = ("local", "aws")
OUTPUTS = ("table", "json", "jsonl", "csv", "tsv")
COLORS = ("auto", "always", "never")


class Setting:
    """A global setting's value and where it came from (an option, an environment variable, a default)."""

    __slots__ = ("value", "source")  # a plain class, like AppContext

    def __init__(self, value: Any, source: str) -> None:
        self.value, self.source = value, source

    def __repr__(self) -> str:
        return f"Setting({self.value!r}, {self.source!r})"


def _pick(cli_value: Any, cli_name: str, env_names: tuple[str, ...], default: Any, default_source: str = "default") -> Setting:
    if cli_value is not None:
        return Setting(cli_value, cli_name)
    for env in env_names:
        value = os.environ.get(env)
        if value:
            return Setting(value, env)
    return Setting(default, default_source)


def _profile_region(profile: str | None) -> str | None:
    """The region of an AWS profile from ~/.aws/config, read without importing botocore."""
    import configparser

    path = Path(os.environ.get("AWS_CONFIG_FILE") or Path.home() / ".aws" / "config")
    parser = configparser.RawConfigParser()
    try:
        parser.read(path)
    except (configparser.Error, OSError):
        return None
    name = profile or "default"
    section = "default" if name == "default" else f"profile {name}"
    if parser.has_section(section) and parser.has_option(section, "region"):
        return parser.get(section, "region")
    return None


class AppContext:
    """The global settings of one command line and what they open (store, backend, consoles), once each.

    A plain class, not a dataclass: making a dataclass compiles its generated methods, ~1 ms of every start-up."""

    def __init__(self, backend_name: Setting, home: Setting, account: Setting, profile: Setting, region: Setting,
                 endpoint_url: Setting, output: Setting, query: str | None, color: Setting, debug: bool,
                 tz_name: Setting) -> None:  # fmt: skip
        self.backend_name, self.home, self.account, self.profile, self.region = backend_name, home, account, profile, region
        self.endpoint_url, self.output, self.query, self.color, self.debug = endpoint_url, output, query, color, debug
        self.tz_name = tz_name
        self._backend: Any = None
        self._store: Any = None
        self._out: Any = None
        self._err: Any = None
        self.catch_up_runs = 0
        self.wide = False  # --wide: terminal tables show every column instead of fitting the width

    @classmethod
    def create(
        cls,
        *,
        backend: str | None = None,
        home: str | None = None,
        account: str | None = None,
        profile: str | None = None,
        region: str | None = None,
        endpoint_url: str | None = None,
        output: str | None = None,
        query: str | None = None,
        color: str | None = None,
        debug: bool = False,
        tz: str | None = None,
        wide: bool = False,
    ) -> AppContext:
        from awsmon.backends.local.store import default_home

        b = _pick(backend, "--backend", ("AWSMON_BACKEND",), "local")
        b.value = str(b.value).lower()
        if b.value not in BACKENDS:
            raise UsageError(f"invalid backend {b.value!r} (from {b.source}): choose local or aws")
        h = _pick(home, "--home", ("AWSMON_HOME",), str(default_home()))
        try:
            h.value = Path(str(h.value)).expanduser()
        except RuntimeError:  # '~user' for an unknown user
            raise UsageError(f"invalid home folder {h.value!r} (from {h.source}): no such user for '~'") from None
        acct = _pick(account, "--account", ("AWSMON_ACCOUNT",), None)
        prof = _pick(profile, "--profile", ("AWS_PROFILE",), None)
        reg = _pick(region, "--region", ("AWS_REGION", "AWS_DEFAULT_REGION"), None)
        if reg.value is None and b.value == "aws":
            pr = _profile_region(prof.value)
            if pr:
                reg = Setting(pr, f"profile {prof.value or 'default'}")
        ep = _pick(endpoint_url, "--endpoint-url", ("AWSMON_ENDPOINT_URL", "AWS_ENDPOINT_URL"), None)
        default_output = "table" if sys.stdout.isatty() else "json"
        out = _pick(output, "--output", ("AWSMON_OUTPUT",), default_output,
                    "default (table on a terminal, json when piped)")  # fmt: skip
        out.value = str(out.value).lower()
        if out.value not in OUTPUTS:
            hint = {"text": "aws-cli's text is tab-separated: use -o tsv (with a header line)",
                    "yaml": "use -o json", "yaml-stream": "use -o jsonl"}.get(out.value)  # fmt: skip
            raise UsageError(f"invalid output format {out.value!r} (from {out.source}): choose one of {', '.join(OUTPUTS)}",
                             hint=hint)  # fmt: skip
        col = _pick(color, "--color", ("AWSMON_COLOR",), "auto")
        col.value = str(col.value).lower()
        if col.value not in COLORS:
            raise UsageError(f"invalid --color value {col.value!r}: choose auto, always or never")
        tzs = _pick(tz, "--tz", ("AWSMON_TZ",), "UTC")
        if query is not None:
            from awsmon.query import compile_query

            compile_query(query)  # fail early, before any call is made
        obj = cls(b, h, acct, prof, reg, ep, out, query, col, debug, tzs)
        obj.wide = wide or os.environ.get("AWSMON_WIDE") == "1"
        return obj

    # -- time ------------------------------------------------------------------------------------------------
    @property
    def tz(self) -> tzinfo:
        from awsmon.timeparse import get_tz

        return get_tz(self.tz_name.value)

    def now(self) -> datetime:
        """The time relative inputs are anchored to: the simulated clock on the local backend."""
        if self.backend_name.value == "local":
            return self.store().now()
        env_now = os.environ.get("AWSMON_NOW")
        if env_now:
            from awsmon.timeparse import parse_time

            return parse_time(env_now, datetime.now(UTC))
        return datetime.now(UTC)

    def parse_time(self, text: str | None) -> datetime | None:
        if text is None:
            return None
        from awsmon.timeparse import parse_time

        return parse_time(text, self.now(), tz=self.tz)

    # -- local account ---------------------------------------------------------------------------------------
    @property
    def is_local(self) -> bool:
        return self.backend_name.value == "local"

    def home_obj(self) -> Any:
        from awsmon.backends.local.store import Home

        return Home(self.home.value)

    def resolve_account_id(self) -> str:
        from awsmon.backends.local.store import DEFAULT_ACCOUNT_ID, validate_account_id

        if self.account.value:
            return validate_account_id(str(self.account.value))
        home = self.home_obj()
        default = home.default_account()
        if default:
            self.account = Setting(default, f"{home.root / 'config.json'}")
            return default
        ids = home.account_ids()
        if ids:
            self.account = Setting(ids[0], "the only account in the home folder")
            return ids[0]
        self.account = Setting(DEFAULT_ACCOUNT_ID, "default (created automatically)")
        return DEFAULT_ACCOUNT_ID

    def store(self, *, catch_up: bool = True) -> Any:
        """The local account store, opened (and created on an empty home) once per invocation."""
        if self._store is None:
            from awsmon.backends.local.store import DEFAULT_REGION, AccountStore

            home = self.home_obj()
            account_id = self.resolve_account_id()
            create = not home.exists(account_id)
            if create and self.account.source in ("--account", "AWSMON_ACCOUNT") and home.account_ids():
                from awsmon.errors import ConfigError

                raise ConfigError(
                    f"local account {account_id} does not exist in {home.root}",
                    hint=f"create it with: awsmon account init --account-id {account_id}",
                )
            region = self.region.value if self.region.value else DEFAULT_REGION
            store = AccountStore.open(home, account_id, create=create, region=region)
            if create and not home.default_account():
                home.set_default_account(account_id)
            env_now = os.environ.get("AWSMON_NOW")
            if env_now:
                from awsmon.timeparse import parse_time

                store.pin_for_command(parse_time(env_now, store.now()))
            self._store = store
            if catch_up:
                self.run_catch_up()
        return self._store

    def run_catch_up(self) -> int:
        from awsmon.backends.local.scheduler import catch_up

        store = self.store(catch_up=False)
        runs = catch_up(store, store.now())
        self.catch_up_runs += runs
        return runs

    def local_region(self) -> str:
        from awsmon.backends.local.store import validate_region

        if self.region.value:
            return validate_region(str(self.region.value))
        region = self.store().default_region
        self.region = Setting(region, "the local account's default region")
        return region

    # -- backend ---------------------------------------------------------------------------------------------
    def backend(self) -> Any:
        if self._backend is None:
            if self.is_local:
                from awsmon.backends.local import LocalBackend

                store = self.store()
                self._backend = LocalBackend(store, self.local_region())
            else:
                from awsmon.backends.aws import AwsBackend

                self._backend = AwsBackend(
                    profile=self.profile.value, region=self.region.value, endpoint_url=self.endpoint_url.value
                )
        return self._backend

    @overload
    def client(self, service: Literal["cloudtrail"], region: str | None = None) -> CloudTrailAPI: ...
    @overload
    def client(self, service: Literal["logs"], region: str | None = None) -> LogsAPI: ...
    @overload
    def client(self, service: Literal["cloudwatch"], region: str | None = None) -> CloudWatchAPI: ...
    @overload
    def client(self, service: Literal["sns"], region: str | None = None) -> SNSAPI: ...
    @overload
    def client(self, service: Literal["events"], region: str | None = None) -> EventsAPI: ...
    @overload
    def client(self, service: Literal["config"], region: str | None = None) -> ConfigAPI: ...
    @overload
    def client(self, service: Literal["lambda"], region: str | None = None) -> LambdaAPI: ...
    @overload
    def client(self, service: Literal["ec2"], region: str | None = None) -> EC2API: ...
    @overload
    def client(self, service: Literal["s3"], region: str | None = None) -> S3API: ...
    @overload
    def client(self, service: Literal["iam"], region: str | None = None) -> IAMAPI: ...
    @overload
    def client(self, service: Literal["dynamodb"], region: str | None = None) -> DynamoDBAPI: ...
    @overload
    def client(self, service: Literal["sqs"], region: str | None = None) -> SQSAPI: ...
    @overload
    def client(self, service: Literal["schemas"], region: str | None = None) -> SchemasAPI: ...
    @overload
    def client(self, service: Literal["kinesis"], region: str | None = None) -> KinesisAPI: ...
    @overload
    def client(self, service: Literal["firehose"], region: str | None = None) -> FirehoseAPI: ...
    @overload
    def client(self, service: Literal["synthetics"], region: str | None = None) -> SyntheticsAPI: ...
    @overload
    def client(self, service: str, region: str | None = None) -> Any: ...

    def client(self, service: str, region: str | None = None) -> Any:
        """The service's client on the chosen backend; its methods follow the protocol of that service."""
        return self.backend().client(service, region)

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
        elif self._store is not None:
            self._store.close()
        self._backend = None
        self._store = None

    # -- consoles --------------------------------------------------------------------------------------------
    def _console(self, stream: Any) -> Any:
        from rich.console import Console

        force = True if self.color.value == "always" else None
        no_color = self.color.value == "never" or bool(os.environ.get("NO_COLOR"))
        if no_color:  # no escape sequences at all, not even bold (NO_COLOR, --color never)
            return Console(file=stream, force_terminal=force, color_system=None, highlight=False, soft_wrap=False)
        return Console(file=stream, force_terminal=force, highlight=False, soft_wrap=False)

    @property
    def out(self) -> Any:
        if self._out is None or self._out.file is not sys.stdout:
            self._out = self._console(sys.stdout)
        return self._out

    @property
    def err(self) -> Any:
        if self._err is None or self._err.file is not sys.stderr:
            self._err = self._console(sys.stderr)
        return self._err

    def settings_report(self) -> list[dict[str, Any]]:
        rows = [
            ("Backend", self.backend_name),
            ("Home", self.home),
            ("Account", self.account),
            ("Region", self.region),
            ("Profile", self.profile),
            ("EndpointUrl", self.endpoint_url),
            ("Output", self.output),
            ("Color", self.color),
            ("TimeZone", self.tz_name),
        ]
        return [{"Setting": k, "Value": None if s.value is None else str(s.value), "Source": s.source} for k, s in rows]
