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
        "TestMetricFilter failed: the endpoint answered HTTP 500 with an error page "
        "(an emulator may not implement this operation)"
    )
    plain = map_boto_error(
        ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "The specified log group does not exist."}},
                    "DescribeLogGroups")  # fmt: skip
    )
    assert plain.message == "The specified log group does not exist."  # ordinary errors pass through untouched
