"""The aws backend: boto3, imported lazily (never on the local path), with errors mapped to awsmon's."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from awsmon import __version__
from awsmon.errors import AwsmonError, ConfigError, ServiceError


def map_boto_error(exc: Exception) -> AwsmonError:
    """Translate botocore exceptions into awsmon errors with the documented exit codes."""
    from botocore import exceptions as bexc

    if isinstance(exc, bexc.ClientError):
        err = exc.response.get("Error", {})
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 400)
        code = str(err.get("Code") or "ClientError")
        message = str(err.get("Message") or exc)
        if message.lstrip().startswith("<"):
            # An endpoint that answers with an HTML error page (an emulator lacking the operation): one line, not the page.
            message = (
                f"{exc.operation_name} failed: the endpoint answered HTTP {status} with an error page "
                "(an emulator may not implement this operation)"
            )
        return ServiceError(code, message, status=status)
    if isinstance(exc, bexc.NoCredentialsError | bexc.PartialCredentialsError):
        return ConfigError(
            f"AWS credentials not found: {exc}",
            hint="configure credentials (aws configure, AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), "
            "or use the local account with --backend local",
        )
    if isinstance(exc, bexc.ProfileNotFound):
        return ConfigError(str(exc), hint="list profiles with: aws configure list-profiles")
    if isinstance(exc, bexc.NoRegionError):
        return ConfigError("no AWS region configured", hint="pass --region or set AWS_REGION")
    if isinstance(exc, bexc.EndpointConnectionError | bexc.ConnectTimeoutError | bexc.ReadTimeoutError):
        return AwsmonError(f"cannot reach AWS: {exc}", hint="check the network or --endpoint-url")
    if isinstance(exc, bexc.ParamValidationError):
        return ServiceError("ValidationError", str(exc).replace("\n", " "))
    if isinstance(exc, bexc.BotoCoreError):
        return AwsmonError(str(exc))
    raise exc


class AwsService:
    """A boto3 client whose operations raise awsmon errors instead of botocore's."""

    def __init__(self, client: Any) -> None:
        self._client = client

    @property
    def raw(self) -> Any:
        return self._client

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._client, name)
        if not callable(method):
            return method

        @functools.wraps(method)
        def call(**params: Any) -> Any:
            try:
                return method(**params)
            except Exception as exc:
                raise map_boto_error(exc) from exc

        return call


class AwsBackend:
    name = "aws"

    def __init__(self, *, profile: str | None, region: str | None, endpoint_url: str | None) -> None:
        self.profile = profile
        self._region = region
        self.endpoint_url = endpoint_url
        self._session: Any = None
        self._clients: dict[tuple[str, str], AwsService] = {}
        self._account_id: str | None = None

    @property
    def session(self) -> Any:
        if self._session is None:
            import boto3

            try:
                self._session = boto3.Session(profile_name=self.profile, region_name=self._region)
            except Exception as exc:
                raise map_boto_error(exc) from exc
        return self._session

    @property
    def region(self) -> str:
        region = self._region or self.session.region_name
        if not region:
            raise ConfigError("no AWS region configured", hint="pass --region or set AWS_REGION / AWS_DEFAULT_REGION")
        return str(region)

    @property
    def account_id(self) -> str | None:
        if self._account_id is None:
            ident = self.client("sts").get_caller_identity()
            self._account_id = str(ident["Account"])
        return self._account_id

    def client(self, service: str, region: str | None = None) -> AwsService:
        region = region or self.region
        key = (service, region)
        if key not in self._clients:
            from botocore.config import Config

            config = Config(
                user_agent_extra=f"awsmon/{__version__}",
                # throttling: back off and retry; 5 attempts keep a failing endpoint from hanging a command
                retries={"mode": "adaptive", "max_attempts": 5},
            )
            try:
                raw = self.session.client(service, region_name=region, endpoint_url=self.endpoint_url, config=config)
            except Exception as exc:
                raise map_boto_error(exc) from exc
            self._clients[key] = AwsService(raw)
        return self._clients[key]

    def close(self) -> None:
        self._clients.clear()
