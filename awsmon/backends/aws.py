"""The aws backend: boto3, imported lazily (never on the local path), with errors mapped to awsmon's."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from awsmon import __version__
from awsmon.errors import AwsmonError, ConfigError, ExitCode, ServiceError


def map_boto_error(exc: Exception) -> AwsmonError:
    """Translate botocore exceptions into awsmon errors with the documented exit codes: one line naming AWS's error
    code and message, whatever the body was (JSON, XML, an S3 error document, an HTML page from a proxy)."""
    from botocore import exceptions as bexc

    if isinstance(exc, bexc.ClientError):
        err = exc.response.get("Error") or {}
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 400)
        code, message = _code_and_message(str(err.get("Code") or ""), str(err.get("Message") or ""), status)
        if code.isdigit():
            message = f"{exc.operation_name} failed: {message}"
        out = ServiceError(code, message, status=status)
        if code.isdigit() and status in (401, 403):
            out.exit_code = ExitCode.CONFIG  # a bare 403 (S3 HEAD, a proxy): credentials or permissions
        return out
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
    if isinstance(exc, bexc.InvalidRegionError):
        return ConfigError(_one_line(str(exc)), hint="a region looks like us-east-1")
    if isinstance(exc, bexc.EndpointConnectionError | bexc.ConnectTimeoutError | bexc.ReadTimeoutError):
        return AwsmonError(f"cannot reach AWS: {_one_line(str(exc))}", hint="check the network or --endpoint-url")
    if isinstance(exc, bexc.ParamValidationError):
        return ServiceError("ValidationError", _one_line(str(exc)))
    if isinstance(exc, bexc.BotoCoreError):
        return AwsmonError(_one_line(str(exc)))
    raise exc


def _code_and_message(code: str, message: str, status: int) -> tuple[str, str]:
    """AWS's error code and a one-line message, also when botocore could not parse the body.

    botocore leaves the raw body in Message when it does not match the protocol: an XML ``<Error>`` document from a
    JSON-protocol endpoint (moto's signature check, proxies), or an HTML page. S3 answers HEAD requests and some
    errors without a body: botocore then gives the status as the code and an empty or generic message."""
    import html
    import re
    from http import HTTPStatus

    body = message.strip()
    if body.startswith("<"):
        found_code = re.search(r"<Code>\s*([^<]+?)\s*</Code>", body)
        found_msg = re.search(r"<Message>\s*([^<]*?)\s*</Message>", body, re.S)
        if found_code:
            text = html.unescape(found_msg.group(1) if found_msg else "")
            return found_code.group(1), _one_line(text) if "\n" in text or "\r" in text else text
        title = re.search(r"<title>(.*?)</title>", body, re.S | re.I)
        text = title.group(1) if title else re.sub(r"<(script|style)\b.*?</\1>|<[^>]*>", " ", body, flags=re.S | re.I)
        message = f"the endpoint answered HTTP {status} with an error page: {_one_line(html.unescape(text), 160)}"
        if status == 404 or status >= 500:
            message += " (an emulator may not implement this operation)"
    if not code or code == "Unknown":
        code = str(status)
    if code.isdigit() and not message.strip():
        try:
            message = f"HTTP {status} {HTTPStatus(status).phrase} with no error details"
        except ValueError:
            message = f"HTTP {status} with no error details"
    if "\n" in message or "\r" in message:
        message = _one_line(message)  # otherwise AWS's text exactly as sent (double spaces included)
    return code, message


def _one_line(text: str, limit: int = 400) -> str:
    """Line breaks and tabs (with the blanks around them) become one space; runs of plain spaces stay as AWS wrote
    them (its texts have double spaces); long texts cut with an ellipsis."""
    flat = re.sub(r"[ ]*[\r\n\t\f\v]+[ \r\n\t\f\v]*", " ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


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
                result = method(**params)
            except Exception as exc:
                raise map_boto_error(exc) from exc
            if isinstance(result, dict):  # an event stream (StartLiveTail) fails while it is read: map those too
                for key, value in result.items():
                    if type(value).__name__ == "EventStream":
                        result[key] = MappedEventStream(value)
            return result

        return call


class MappedEventStream:
    """boto3's EventStream whose error events (SessionTimeoutException, ...) raise awsmon errors."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def __iter__(self) -> Any:
        try:
            yield from self._stream
        except Exception as exc:
            raise map_boto_error(exc) from exc

    def close(self) -> None:
        self._stream.close()


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

            if self.endpoint_url is None:
                self._check_region(region)

            config = Config(
                user_agent_extra=f"awsmon/{__version__}",
                # throttling: back off and retry; 5 attempts keep a failing endpoint from hanging a command
                retries={"mode": "adaptive", "max_attempts": 5},
                # operations with a host prefix (StartLiveTail: streaming-logs...) cannot reach an emulator's URL
                inject_host_prefix=self.endpoint_url is None,
            )
            try:
                raw = self.session.client(service, region_name=region, endpoint_url=self.endpoint_url, config=config)
            except Exception as exc:
                raise map_boto_error(exc) from exc
            self._clients[key] = AwsService(raw)
        return self._clients[key]

    def _check_region(self, region: str) -> None:
        """Refuse a region no AWS partition can have (``xx-fake-9``) before botocore retries a host that does not
        resolve; a region that only this botocore does not list yet but that fits a partition's pattern passes."""
        import re

        try:
            partitions = self.session._session.get_data("endpoints")["partitions"]
        except Exception:  # botocore's data layout changed: let the call itself fail
            return
        for p in partitions:
            if region in p.get("regions", {}) or re.match(p.get("regionRegex") or "(?!)", region):
                return
        raise ConfigError(
            f"unknown AWS region {region!r}: it is in no AWS partition",
            hint="pass a region such as us-east-1 (aws ec2 describe-regions lists yours), or --endpoint-url",
        )

    def close(self) -> None:
        self._clients.clear()
