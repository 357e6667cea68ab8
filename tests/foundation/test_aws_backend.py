"""The aws backend: boto3 against a real moto server, errors mapped like the local backend's."""

from __future__ import annotations

from pathlib import Path

import pytest

from awsmon.backends import paginate
from awsmon.context import AppContext
from awsmon.errors import ConfigError, ExitCode, ServiceError
from tests.conftest import Cli


def test_client_errors_map_to_service_errors(moto_env: dict[str, str]) -> None:
    ctx = AppContext.create()
    assert ctx.backend().name == "aws"
    logs = ctx.client("logs")
    logs.create_log_group(logGroupName="/awsmon/contract")
    with pytest.raises(ServiceError) as err:
        logs.create_log_group(logGroupName="/awsmon/contract")
    assert err.value.code == "ResourceAlreadyExistsException"
    assert err.value.exit_code == ExitCode.USAGE
    with pytest.raises(ServiceError) as err:
        ctx.client("cloudtrail").get_trail_status(Name="no-such-trail")
    assert err.value.code == "TrailNotFoundException"
    assert err.value.exit_code == ExitCode.ERROR
    with pytest.raises(ServiceError) as err:
        logs.create_log_group()  # missing parameter: botocore's validation, same family as AWS's
    assert err.value.exit_code == ExitCode.USAGE


def test_paginate_walks_every_page(moto_env: dict[str, str]) -> None:
    ctx = AppContext.create()
    logs = ctx.client("logs")
    for i in range(7):
        logs.create_log_group(logGroupName=f"/awsmon/page/{i}")
    names = [g["logGroupName"] for g in paginate(logs.describe_log_groups, "logGroups", token_in="nextToken", limit=2)]
    assert names == [f"/awsmon/page/{i}" for i in range(7)]


def test_missing_credentials_is_exit_4(moto_server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    ctx = AppContext.create(backend="aws", region="us-east-1", endpoint_url=moto_server)
    with pytest.raises(ConfigError) as err:
        ctx.client("logs").describe_log_groups()
    assert err.value.exit_code == ExitCode.CONFIG


def test_unknown_profile_is_exit_4(moto_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    ctx = AppContext.create(profile="nope")
    with pytest.raises(ConfigError) as err:
        ctx.client("logs")
    assert err.value.exit_code == ExitCode.CONFIG


def test_no_region_is_exit_4(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    ctx = AppContext.create(backend="aws")
    with pytest.raises(ConfigError):
        ctx.client("logs")


def test_account_info_on_aws_backend(cli: Cli, moto_env: dict[str, str], tmp_path: Path) -> None:
    profile_config = tmp_path / "aws-config"
    profile_config.write_text("[profile work]\nregion = eu-central-1\n")
    info = cli.json("account", "info", env={"AWS_CONFIG_FILE": str(profile_config), "AWS_PROFILE": "work", "AWS_REGION": ""})
    assert info["Backend"] == "aws"
    sources = {s["Setting"]: (s["Value"], s["Source"]) for s in info["Settings"]}
    assert sources["Region"] == ("eu-central-1", "profile work")
    assert sources["Profile"] == ("work", "AWS_PROFILE")
    assert sources["EndpointUrl"][1] == "AWSMON_ENDPOINT_URL"


def test_html_error_pages_become_one_line_errors() -> None:
    """An endpoint answering with an HTML page (an emulator lacking the operation) gives one line naming it."""
    from botocore.exceptions import ClientError

    from awsmon.backends.aws import map_boto_error

    page = "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>"
    err = map_boto_error(
        ClientError({"Error": {"Code": "500", "Message": page}, "ResponseMetadata": {"HTTPStatusCode": 500}}, "TestMetricFilter")
    )
    assert isinstance(err, ServiceError)
    assert err.message == (
        "TestMetricFilter failed: the endpoint answered HTTP 500 with an error page: 500 Internal Server Error "
        "(an emulator may not implement this operation)"
    )
    plain = map_boto_error(
        ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "The specified log group does not exist."}},
                    "DescribeLogGroups")  # fmt: skip
    )
    assert plain.message == "The specified log group does not exist."  # ordinary errors pass through untouched


def _client_error(code: str, message: str, status: int, op: str = "GetCallerIdentity") -> Exception:
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, op)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("InvalidClientTokenId", "The security token included in the request is invalid."),
        ("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."),
        ("ExpiredToken", "The security token included in the request is expired"),
        ("AccessDenied", "User: arn:aws:iam::1:user/x is not authorized to perform: sts:GetCallerIdentity"),
        ("UnrecognizedClientException", "The security token included in the request is invalid."),
        ("AccessDeniedException", "User is not authorized to perform: logs:DescribeLogGroups"),
    ],
)
def test_credential_errors_name_aws_code_and_exit_4(code: str, message: str) -> None:
    from awsmon.backends.aws import map_boto_error

    err = map_boto_error(_client_error(code, message, 403))
    assert isinstance(err, ServiceError)
    assert (err.code, err.message, err.exit_code) == (code, message, ExitCode.CONFIG)
    # The same error as an XML document inside a JSON-protocol response (moto's signature check does this):
    xml = (f"<?xml version='1.0' encoding='UTF-8'?>\n<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
           f"<Message>{message}</Message></Error><RequestId>r</RequestId></ErrorResponse>")  # fmt: skip
    err = map_boto_error(_client_error("403", xml, 403, "DescribeLogGroups"))
    assert (err.code, err.message, err.exit_code) == (code, message, ExitCode.CONFIG)


def test_s3_errors_without_a_body_are_one_line() -> None:
    from awsmon.backends.aws import map_boto_error

    err = map_boto_error(_client_error("403", "Forbidden", 403, "HeadObject"))
    assert (str(err), err.exit_code) == ("403: HeadObject failed: Forbidden", ExitCode.CONFIG)
    err = map_boto_error(_client_error("", "", 404, "GetObject"))
    assert str(err) == "404: GetObject failed: HTTP 404 Not Found with no error details"
    page = "<html><body>\n<h1>Bad\nGateway</h1>\n<p>upstream</p></body></html>"
    err = map_boto_error(_client_error("502", page, 502, "GetObject"))
    assert "\n" not in err.message and "<" not in err.message
    assert err.message.startswith("GetObject failed: the endpoint answered HTTP 502 with an error page: Bad Gateway upstream")


@pytest.mark.parametrize("region", ["xx-fake-9", "bad region!"])
def test_invalid_regions_are_exit_4(cli: Cli, region: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    res = cli("logs", "describe-groups", "--backend", "aws", "--region", region)
    assert res.exit_code == ExitCode.CONFIG, res.stderr
    assert region in res.stderr and len(res.stderr.strip().splitlines()) == 1  # the error, its hint on the same line


def test_bad_credentials_on_a_moto_server_name_the_code(
    cli: Cli, moto_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto checks access keys once its auth is on (the in-process server reads this setting per request): an
    unknown key gives AWS's code and message, exit 4, not an "error page"."""
    from moto import settings

    monkeypatch.setattr(settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
    for args in (("logs", "describe-groups"), ("trail", "describe")):
        res = cli(*args, env={"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "wrong"})
        assert res.exit_code == ExitCode.CONFIG, res.stderr
        assert "InvalidClientTokenId" in res.stderr or "UnrecognizedClientException" in res.stderr, res.stderr
        assert "error page" not in res.stderr and len(res.stderr.strip().splitlines()) <= 2
