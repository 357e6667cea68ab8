"""Issue 15 hardening: the clock's range, stored state that cannot brick an account, bad files and deep JSON,
control characters in error lines, private files under any umask, delivery-channel names."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from awsmon.backends.local import store as store_mod
from awsmon.timeparse import TIME_MAX, TIME_MIN
from tests.conftest import Cli


def _db(home: Path) -> Path:
    return home / "accounts" / "123456789012" / "account.db"


def test_store_clock_bounds_match_timeparse() -> None:
    assert store_mod._MIN_MS == int(TIME_MIN.timestamp() * 1000)
    assert store_mod._MAX_MS == int(TIME_MAX.timestamp() * 1000)


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["set", "9999-12-31T23:00:00Z"], "out of range"),
        (["set", "1969-12-31T23:59:59Z"], "out of range"),
        (["advance", "91700000000000"], "invalid duration"),
        (["advance", "PT99999999999999999999M"], "invalid duration"),
        (["advance", "400000d"], "longer than"),
    ],
)
def test_clock_refuses_times_it_cannot_represent(pinned: Cli, args: list[str], text: str) -> None:
    before = pinned.json("account", "clock", "show")["Now"]
    res = pinned("account", "clock", *args)
    assert res.exit_code == 2 and text in res.stderr and "unexpected" not in res.stderr
    assert pinned.json("account", "clock", "show")["Now"] == before  # nothing stored


def test_advancing_past_the_last_representable_time_is_refused(pinned: Cli) -> None:
    pinned.ok("account", "clock", "set", "8999-12-01T00:00:00Z")
    res = pinned("account", "clock", "advance", "31d")
    assert res.exit_code == 2 and "the latest time awsmon can represent" in res.stderr
    pinned.ok("account", "clock", "advance", "30d")
    assert pinned.json("account", "clock", "show")["Now"] == "8999-12-31T00:00:00Z"
    pinned.ok("metrics", "put", "--namespace", "App", "--metric-name", "m", "--value", "1")


def test_an_out_of_range_stored_clock_is_repaired_not_fatal(pinned: Cli, home: Path) -> None:
    pinned.ok("metrics", "put", "--namespace", "App", "--metric-name", "m", "--value", "1")
    with sqlite3.connect(_db(home)) as conn:  # what an older awsmon let `clock set 9999-12-31T23:00:00Z` store
        conn.execute("UPDATE clock SET pinned_ms = 253402297200000, watermark_ms = 253402297200000")
    res = pinned("metrics", "put", "--namespace", "App", "--metric-name", "m", "--value", "2")
    assert res.exit_code == 0, res.stderr
    assert "simulated clock of account 123456789012 was out of range" in res.stderr and "unexpected" not in res.stderr
    assert pinned.json("account", "clock", "show")["Now"] == "8999-12-31T23:59:59Z"
    for command in (["account", "clock", "real"], ["trail", "lookup", "--max-results", "1"],
                    ["alarms", "describe"], ["logs", "describe-groups"]):  # fmt: skip
        again = pinned(*command, "-o", "json")
        assert again.exit_code == 0 and not again.stderr, (command, again.stderr)
    late = pinned("account", "clock", "advance", "1m")  # the clock is at the end of the range: a clear refusal
    assert late.exit_code == 2 and "the latest time awsmon can represent" in late.stderr


def test_an_out_of_range_watermark_is_repaired_when_read(pinned: Cli, home: Path) -> None:
    pinned.ok("account", "info")
    with sqlite3.connect(_db(home)) as conn:
        conn.execute("UPDATE clock SET watermark_ms = 253402297200000")
    res = pinned("account", "clock", "show", "-o", "json", env={"AWSMON_NOW": "2026-11-20T13:00:00Z"})
    assert res.exit_code == 0 and "unexpected" not in res.stderr  # a fresh account may still be pinned anywhere
    assert "was out of range" in res.stderr and json.loads(res.stdout)["Now"] == "2026-11-20T13:00:00Z"
    assert pinned("account", "clock", "show").exit_code == 0


def test_a_negative_metric_timestamp_is_a_usage_error(pinned: Cli, tmp_path: Path) -> None:
    f = tmp_path / "data.json"
    f.write_text(json.dumps([{"MetricName": "m", "Value": 1, "Timestamp": -99999999999}]))
    res = pinned("metrics", "put", "--namespace", "App", "--metric-data", f"file://{f}")
    assert res.exit_code == 2 and "invalid Timestamp -99999999999 in the metric data: out of range" in res.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["metrics", "put", "--namespace", "App", "--metric-data"],
        ["rules", "put", "--name", "r", "--event-pattern"],
        ["config", "put-delivery-channel", "--delivery-channel"],
        ["alarms", "put", "--alarm-name", "a", "--threshold", "1", "--evaluation-periods", "1",
         "--comparison-operator", "GreaterThanThreshold", "--metrics"],
        ["trail", "put-event-selectors", "--trail-name", "t", "--event-selectors"],
    ],
)
@pytest.mark.parametrize("prefix", ["file://", "fileb://"])
def test_non_utf8_files_are_usage_errors(pinned: Cli, tmp_path: Path, command: list[str], prefix: str) -> None:
    f = tmp_path / "bad.json"
    f.write_bytes(b'{"a": "\xff\xfe"}')
    res = pinned(*command, f"{prefix}{f}")
    assert res.exit_code == 2, res.stderr
    assert "not UTF-8 text (byte 0xff at offset 7)" in res.stderr and len(res.stderr.splitlines()) == 1


@pytest.mark.parametrize("depth", [150, 100_000])
def test_deeply_nested_metric_data_is_a_usage_error(pinned: Cli, tmp_path: Path, depth: int) -> None:
    f = tmp_path / "deep.json"
    f.write_text("[" * depth + "]" * depth)
    res = pinned("metrics", "put", "--namespace", "App", "--metric-data", f"file://{f}")
    assert res.exit_code == 2 and "nested more than 100 levels deep" in res.stderr, res.stderr


def test_recursion_error_is_a_usage_error_as_a_last_resort(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from awsmon.services import account

    def boom(*a: object, **k: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(account, "clock_show", boom)
    res = cli("account", "clock", "show")
    assert res.exit_code == 2 and res.stderr == "awsmon: error: the input is nested too deeply to process\n"


def test_control_characters_are_escaped_in_error_lines(pinned: Cli, tmp_path: Path) -> None:
    f = tmp_path / "p.json"
    f.write_text('{"source": ["a\\u0000b\\u001b[31mred"], "x": 1}')  # a NUL and an ESC coming from JSON
    res = pinned("rules", "put", "--name", "r", "--event-pattern", f"file://{f}")
    assert res.exit_code == 2
    assert "\x00" not in res.stderr and "\x1b" not in res.stderr and len(res.stderr.splitlines()) == 1
    from awsmon.errors import one_line

    assert one_line("a\x00b\nc\x1b\x7f\u2028\udcff é") == "a\\x00b\\nc\\x1b\\x7f\\u2028\\udcff é"


@pytest.fixture
def umask_000() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def test_account_files_are_private_under_umask_000(cli: Cli, home: Path, umask_000: None) -> None:
    cli.ok("metrics", "put", "--namespace", "App", "--metric-name", "m", "--value", "1")
    cli.ok("trail", "create", "--name", "audit", "--s3-new-bucket", "audit-logs")
    cli.ok("trail", "start-logging", "--name", "audit")
    cli.ok("account", "clock", "advance", "2h")
    acct = home / "accounts" / "123456789012"
    for folder in (home, home / "accounts", acct):
        assert folder.stat().st_mode & 0o777 == 0o700, folder
    for name in ("account.db", "account.db-wal", "account.db-shm"):
        if (acct / name).exists():
            assert (acct / name).stat().st_mode & 0o777 == 0o600, name
    assert (home / "config.json").stat().st_mode & 0o777 == 0o600
    delivered = list((acct / "s3" / "audit-logs").rglob("*.json.gz"))
    assert delivered and all(p.stat().st_mode & 0o777 == 0o600 for p in delivered)


def test_an_existing_loose_account_is_tightened_on_open(cli: Cli, home: Path) -> None:
    cli.ok("account", "info")
    acct = home / "accounts" / "123456789012"
    os.chmod(acct, 0o755)
    os.chmod(acct / "account.db", 0o644)
    cli.ok("account", "info")
    assert acct.stat().st_mode & 0o777 == 0o700 and (acct / "account.db").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("bucket", "problem"),
    [
        ("../..", "only lowercase letters"),
        ("/etc", "only lowercase letters"),
        (".", "3 to 63 characters"),
        ("..", "3 to 63 characters"),
        ("a" * 10_000, "3 to 63 characters"),
        ("my..bucket", "no two adjacent periods"),
        ("192.168.1.1", "IP address"),
        ("-bucket", "begins and ends"),
        ("xn--bucket", "reserves"),
    ],
)
def test_delivery_channel_bucket_names(pinned: Cli, bucket: str, problem: str) -> None:
    pinned.ok("config", "put-configuration-recorder")
    res = pinned("config", "put-delivery-channel", "--s3-bucket-name", bucket)
    assert res.exit_code == 2 and "NoSuchBucketException: Cannot find a S3 bucket with name" in res.stderr
    assert problem in res.stderr and len(res.stderr) < 400
    assert pinned.json("config", "describe-delivery-channels")["DeliveryChannels"] == []


@pytest.mark.parametrize(
    ("prefix", "problem"),
    [
        ("../..", "'..' path segment"),
        ("/abs/path", "an absolute path"),
        (".", "'.' path segment"),
        ("..", "'..' path segment"),
        ("a//b", "an empty path segment"),
        ("a\\b", "a backslash"),
        ("p" * 10_000, "longer than 924 bytes"),
    ],
)
def test_delivery_channel_key_prefixes(pinned: Cli, prefix: str, problem: str) -> None:
    pinned.ok("config", "put-configuration-recorder")
    res = pinned("config", "put-delivery-channel", "--s3-bucket-name", "config-bucket", "--s3-key-prefix", prefix)
    assert res.exit_code == 2 and "InvalidS3KeyPrefixException: The s3 key prefix" in res.stderr, res.stderr
    assert problem in res.stderr and len(res.stderr) < 400


def test_valid_delivery_channel_is_kept(pinned: Cli) -> None:
    pinned.ok("config", "put-configuration-recorder")
    pinned.ok("config", "put-delivery-channel", "--s3-bucket-name", "config.bucket-1", "--s3-key-prefix", "team/config")
    (channel,) = pinned.json("config", "describe-delivery-channels")["DeliveryChannels"]
    assert channel["s3BucketName"] == "config.bucket-1" and channel["s3KeyPrefix"] == "team/config"
    res = pinned("config", "put-delivery-channel", "--name", "x" * 257, "--s3-bucket-name", "config-bucket")
    assert res.exit_code == 2 and "Member must have length less than or equal to 256" in res.stderr


def test_undecodable_argv_bytes_are_one_usage_error(pinned: Cli) -> None:
    # Python turns argv bytes that are not UTF-8 into lone surrogates; no command may store or print them raw
    for args in (["logs", "create-group", "--name", "/a\udcff"], ["config", "delete-rule", "--config-rule-name", "\udcff"],
                 ["rules", "deliveries", "--rule", "r\udcfe"]):  # fmt: skip
        res = pinned(*args)
        assert res.exit_code == 2 and "is not UTF-8 text" in res.stderr and "\\udc" in res.stderr, res.stderr
        assert len(res.stderr.splitlines()) == 1


def test_integers_beyond_64_bits_are_usage_errors(pinned: Cli) -> None:
    res = pinned("rules", "deliveries", "--max-items", "9" * 30)
    assert res.exit_code == 2 and "is out of range (a 64-bit integer)" in res.stderr and "unexpected" not in res.stderr


def test_paths_the_os_refuses_are_one_line(pinned: Cli) -> None:
    res = pinned("trail", "validate-digest", "--path", "x" * 5000)
    assert res.exit_code == 2 and "File name too long" in res.stderr and "unexpected" not in res.stderr
    res = pinned("metrics", "put", "--namespace", "App", "--metric-data", "~nosuchuser9/data.json")
    assert res.exit_code == 2 and "no such user" in res.stderr
    res = pinned("--home", "~nosuchuser9/home", "account", "info")
    assert res.exit_code == 2 and "no such user" in res.stderr
