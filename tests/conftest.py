"""Shared fixtures: an isolated home, an in-process CLI runner, a pinned clock, a moto server, shared/ paths."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from typer.testing import CliRunner

# The machines that run the suite are shared (2 cores, other jobs): wall time per example is not what the property
# tests check, so no test fails on hypothesis' 200 ms deadline or its too-slow health check; each test's own
# @settings still sets how many examples it draws.
settings.register_profile("shared-machine", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("shared-machine")

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared").resolve()
PINNED_NOW = "2026-11-20T12:00:00Z"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test with a clear message when that folder is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not found: the shared/ folder (conformance vectors, datasets) must sit beside the repo")
    return path


def conformance_rows(name: str) -> list[dict[str, Any]]:
    """The JSON rows of ../shared/conformance/<name>, read at collection time ([] when absent: see need_rows)."""
    path = shared_file("conformance", name)
    if path is None:
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def need_rows(rows: list[Any], name: str) -> None:
    """Skip (with where to put them) when the conformance rows of ``name`` could not be read."""
    if not rows:
        pytest.skip(f"shared/conformance not found: {SHARED / 'conformance' / name} (run from a checkout with "
                    "shared/ beside it)")  # fmt: skip


def shared_file(*parts: str) -> Path | None:
    """Like shared_path, for collection time: None (no skip raised) when ../shared is absent."""
    path = SHARED.joinpath(*parts)
    return path if path.exists() else None


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def trail_bucket(cli: Cli, name: str, prefix: str | None = None, account: str = "123456789012") -> None:
    """A bucket CloudTrail may write to, made as a user would: ``s3 mb`` then ``s3 put-bucket-policy`` with the
    documented CloudTrail policy (CreateTrail refuses a missing bucket or one whose policy keeps CloudTrail out).
    The local account and moto's are both 123456789012."""
    from awsmon.services.trail import cloudtrail_bucket_policy

    cli.ok("s3", "mb", f"s3://{name}")
    cli.ok("s3", "put-bucket-policy", "--bucket", name, "--policy", cloudtrail_bucket_policy(name, account, prefix))


class Cli:
    """Run awsmon in-process, as the installed command would, with stdout and stderr kept apart."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        from awsmon.cli import app

        merged = {**self.env, **(env or {})}
        res = self.runner.invoke(app, list(args), input=input, env=merged, catch_exceptions=False)
        return Result(res.exit_code, res.stdout, res.stderr)

    def ok(self, *args: str, **kw: Any) -> Result:
        res = self(*args, **kw)
        assert res.exit_code == 0, f"awsmon {' '.join(args)} -> {res.exit_code}\nstdout: {res.stdout}\nstderr: {res.stderr}"
        return res

    def json(self, *args: str, **kw: Any) -> Any:
        return self.ok(*args, "-o", "json", **kw).json()


_CLEAR = ("AWSMON_BACKEND", "AWSMON_ACCOUNT", "AWSMON_OUTPUT", "AWSMON_NOW", "AWSMON_PRINCIPAL", "AWS_PROFILE",
          "AWSMON_ENDPOINT_URL", "AWS_ENDPOINT_URL", "AWSMON_COLOR", "AWSMON_TZ", "NO_COLOR", "AWS_REGION",
          "AWS_DEFAULT_REGION", "AWSMON_WIDE")  # fmt: skip


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty, isolated AWSMON_HOME; no ambient awsmon/AWS settings leak in."""
    for name in _CLEAR:
        monkeypatch.delenv(name, raising=False)
    h = tmp_path / "home"
    monkeypatch.setenv("AWSMON_HOME", str(h))
    # The user's real AWS config must not leak into tests.
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    return h


@pytest.fixture
def cli(home: Path) -> Cli:
    return Cli({"AWSMON_HOME": str(home), "TERMINAL_WIDTH": "200", "_TYPER_FORCE_DISABLE_TERMINAL": "1"})


@pytest.fixture
def pinned(cli: Cli) -> Cli:
    """A CLI whose fresh local account has its clock pinned at PINNED_NOW (deterministic time)."""
    cli.ok("account", "clock", "set", PINNED_NOW)
    return cli


@pytest.fixture
def ctx(home: Path) -> Iterator[Any]:
    """An AppContext on the local backend (for service-level tests)."""
    from awsmon.context import AppContext

    c = AppContext.create(backend="local", home=str(home), output="json")
    yield c
    c.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """A real moto server on 127.0.0.1 and a random port; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def moto_env(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment for running awsmon against the moto server with the aws backend (state reset per test)."""
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")).read()
    env = {
        "AWSMON_BACKEND": "aws",
        "AWSMON_ENDPOINT_URL": moto_server,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


@pytest.fixture(params=["local", "moto"])
def backend_cli(request: pytest.FixtureRequest, cli: Cli) -> Cli:
    """Contract-test fixture: the same CLI test against the local backend and a real moto server."""
    if request.param == "moto":
        env = request.getfixturevalue("moto_env")
        return Cli({**cli.env, **env})
    cli.ok("account", "clock", "set", PINNED_NOW)
    return cli
