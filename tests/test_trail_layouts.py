"""Real-world CloudTrail bucket layouts (issue 9): key prefixes, organization trails, several accounts and regions,
--path anywhere in the tree, copies made by `aws s3 sync` (no metadata), `trail download` (with signatures),
tampering in each, public-key file shapes, and "nothing validated" never passing."""

from __future__ import annotations

import base64
import gzip
import json
import shutil
from pathlib import Path

import pytest

from awsmon.trail_layout import is_organization_id, locate, parse_key
from tests.conftest import Cli

MGMT = "123456789012"
MEMBER = "111122223333"
START = "2026-11-20T11:00:00Z"


def _tree(bucket: Path) -> list[Path]:
    return sorted(p for p in bucket.rglob("*.json.gz") if ".awsmon-meta" not in p.parts)


def _digests(bucket: Path) -> list[Path]:
    return [p for p in _tree(bucket) if "CloudTrail-Digest" in p.parts]


def _logs(bucket: Path) -> list[Path]:
    return [p for p in _tree(bucket) if "CloudTrail" in p.parts]


def _activity(cli: Cli, hours: int = 3, *extra: str) -> None:
    for _ in range(hours):
        cli.ok(*extra, "trail", "describe")
        cli.ok("account", "clock", "advance", "1h")


@pytest.fixture
def prefixed(pinned: Cli, home: Path) -> tuple[Cli, Path]:
    """A trail with a two-part key prefix, 3 hours of activity."""
    pinned.ok("trail", "create", "--name", "pre-trail", "--s3-new-bucket", "pre-bucket", "--s3-key-prefix", "org/logs",
              "--enable-log-file-validation")  # fmt: skip
    pinned.ok("trail", "start-logging", "--name", "pre-trail")
    _activity(pinned)
    return pinned, home / "accounts" / MGMT / "s3" / "pre-bucket"


@pytest.fixture
def org(pinned: Cli, home: Path) -> tuple[Cli, Path, str]:
    """An organization trail: the home's default account manages it; a second local account is a member."""
    pinned.ok("account", "init", "--account-id", MEMBER)
    member = ("--account", MEMBER)
    pinned.ok(*member, "account", "clock", "set", "2026-11-20T12:00:00Z")
    created = pinned.json("trail", "create", "--name", "org-trail", "--s3-new-bucket", "org-bucket",
                          "--is-organization-trail", "--enable-log-file-validation")  # fmt: skip
    assert created["IsOrganizationTrail"] is True
    pinned.ok("trail", "start-logging", "--name", "org-trail")
    for _ in range(3):
        pinned.ok(*member, "trail", "list")  # a member account's own activity
        pinned.ok(*member, "account", "clock", "advance", "1h")
        pinned.ok("trail", "describe")
        pinned.ok("account", "clock", "advance", "1h")
    bucket = home / "accounts" / MGMT / "s3" / "org-bucket"
    org_dirs = [p.name for p in (bucket / "AWSLogs").iterdir()]
    assert len(org_dirs) == 1 and is_organization_id(org_dirs[0])
    return pinned, bucket, org_dirs[0]


def multi_region_trail(cli: Cli, name: str, bucket: str) -> None:
    """A multi-region trail with log-file validation, activity in eu-west-1 as well, then two hours delivered."""
    cli.ok("trail", "create", "--name", name, "--s3-new-bucket", bucket, "--is-multi-region-trail",
           "--enable-log-file-validation")  # fmt: skip
    cli.ok("trail", "start-logging", "--name", name)
    cli.ok("--region", "eu-west-1", "trail", "describe")
    cli.ok("account", "clock", "advance", "2h")


def _path(cli: Cli, path: Path, *extra: str) -> object:
    return cli("trail", "validate-digest", "--path", str(path), "--start-time", START, "-o", "table", *extra)


# ------------------------------------------------------------------------------------------------------------
# Layout parsing


def test_parse_key_every_layout() -> None:
    key = ("a/b/AWSLogs/o-abcdefghij/111122223333/CloudTrail-Digest/eu-west-1/2024/01/02/"
           "111122223333_CloudTrail-Digest_eu-west-1_my_trail_us-east-1_20240102T030405Z.json.gz")  # fmt: skip
    k = parse_key(key)
    assert k is not None and (k.prefix, k.organization_id, k.account_id, k.kind, k.region, k.date) == (
        "a/b", "o-abcdefghij", "111122223333", "CloudTrail-Digest", "eu-west-1", "2024/01/02")
    assert k.digest_name_parts() == ("my_trail", "us-east-1")
    assert k.account_root == "a/b/AWSLogs/o-abcdefghij/111122223333/"
    plain = parse_key("AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2024/01/02/x.json.gz")
    assert plain is not None and plain.prefix is None and plain.organization_id is None and plain.kind == "CloudTrail-Insight"
    for bad in ("AWSLogs/1111/CloudTrail/us-east-1/2024/01/02/x.json.gz", "AWSLogs/111122223333/Other/r/2024/01/02/x",
                "AWSLogs/111122223333/CloudTrail/us-east-1/24/1/2/x.json.gz", "x/y"):
        assert parse_key(bad) is None


def test_locate_reads_the_selection_from_the_folder(tmp_path: Path) -> None:
    deep = tmp_path / "p" / "AWSLogs" / "o-abcdefghij" / MEMBER / "CloudTrail-Digest" / "eu-west-1" / "2024"
    deep.mkdir(parents=True)
    (scope,) = locate(deep)
    assert (scope.base, scope.organization_id, scope.account_id, scope.kind, scope.region, scope.date) == (
        tmp_path / "p", "o-abcdefghij", MEMBER, "CloudTrail-Digest", "eu-west-1", "2024")
    (top,) = locate(tmp_path)
    assert top.base == tmp_path / "p" and top.account_id is None
    assert locate(tmp_path / "p" / "AWSLogs")[0].base == tmp_path / "p"


# ------------------------------------------------------------------------------------------------------------
# Key prefix


def test_prefix_trail_validates_from_every_folder_level(prefixed: tuple[Cli, Path]) -> None:
    cli, bucket = prefixed
    n_logs = len(_logs(bucket))
    assert cli("trail", "validate-digest", "--trail", "pre-trail", "--start-time", START, "-o", "table").exit_code == 0
    acct = bucket / "org" / "logs" / "AWSLogs" / MGMT
    for folder in (bucket, bucket / "org", bucket / "org" / "logs", acct.parent, acct, acct / "CloudTrail-Digest",
                   acct / "CloudTrail-Digest" / "us-east-1", acct / "CloudTrail" / "us-east-1",
                   next((acct / "CloudTrail-Digest" / "us-east-1").glob("*/*/*"))):  # fmt: skip
        res = _path(cli, folder)
        assert res.exit_code == 0, (folder, res.stderr)
        assert "3/3 digest files valid" in res.stdout and f"{n_logs}/{n_logs} log files valid" in res.stdout
        assert "s3://pre-bucket/org/logs/AWSLogs/" not in res.stderr


def test_prefix_sync_copy_below_the_prefix(prefixed: tuple[Cli, Path], tmp_path: Path) -> None:
    """`aws s3 sync s3://bucket/org/logs DIR`: keys lose their prefix and every object its metadata."""
    cli, bucket = prefixed
    sync = tmp_path / "sync"
    shutil.copytree(bucket / "org" / "logs", sync)
    res = _path(cli, sync)
    assert res.exit_code == 3
    newest = _digests(bucket)[-1].relative_to(bucket).as_posix()
    assert res.stderr.startswith(f"Digest file\ts3://pre-bucket/{newest}\tINVALID: signature metadata missing\n\n")
    assert "2/3 digest files valid, 1/3 digest files INVALID" in res.stdout  # older ones verified through the chain
    assert "awsmon: error: 1 digest file has no signature metadata" in res.stderr
    assert f"--signatures-only --s3-bucket pre-bucket --s3-prefix org/logs --start-time {START} --dest {sync}" in res.stderr
    accepted = _path(cli, sync, "--allow-unsigned-newest")
    assert accepted.exit_code == 0 and "3/3 digest files valid" in accepted.stdout
    assert accepted.stderr == (f"Digest file\ts3://pre-bucket/{newest}\tWARNING: signature metadata missing, accepted "
                               "(--allow-unsigned-newest): its signature was not verified\n\n")  # fmt: skip
    # The fix: fetch the signatures into the synced folder's manifest, then it validates fully.
    got = cli.json("trail", "download", "--s3-bucket", "pre-bucket", "--s3-prefix", "org/logs", "--start-time", START,
                   "--dest", str(sync), "--signatures-only")  # fmt: skip
    assert got["Signatures"] == 3 and got["Downloaded"] == 0
    assert (sync / ".awsmon-meta" / "AWSLogs").is_dir() and not (sync / "org").exists()
    assert _path(cli, sync).exit_code == 0


@pytest.mark.parametrize("tamper", ["changed", "deleted", "moved", "newest-deleted", "chain-broken"])
def test_tampering_in_a_prefixed_download(prefixed: tuple[Cli, Path], tmp_path: Path, tamper: str) -> None:
    cli, bucket = prefixed
    dest = tmp_path / "dl"
    cli.ok("trail", "download", "--trail", "pre-trail", "--start-time", START, "--dest", str(dest))
    assert _path(cli, dest).exit_code == 0
    digests, logs = _digests(dest), _logs(dest)
    if tamper == "changed":
        logs[0].write_bytes(gzip.compress(gzip.decompress(logs[0].read_bytes()) + b" "))
        expect = "INVALID: hash value doesn't match"
    elif tamper == "deleted":
        logs[0].unlink()
        expect = "INVALID: not found"
    elif tamper == "moved":
        shutil.copy(digests[0], digests[1])  # a digest stored where another one belongs
        expect = "INVALID: has been moved from its original location"
    elif tamper == "newest-deleted":
        digests[-1].unlink()
        # aws-cli misses it (rc 0); --strict compares with the hourly cadence up to --end-time.
        assert _path(cli, dest).exit_code == 0
        res = _path(cli, dest, "--strict", "--end-time", "2026-11-20T15:00:00Z")
        assert res.exit_code == 3 and "INVALID: not found (newest digest missing)" in res.stderr
        return
    else:
        digests[1].unlink()
        expect = "INVALID: not found"
    res = _path(cli, dest)
    assert res.exit_code == 3 and expect in res.stderr, res.stderr
    assert res.stderr.count("awsmon: error:") == 0  # piped: aws-cli's lines only, no extra summary line


# ------------------------------------------------------------------------------------------------------------
# Organization trails, several accounts and regions


def test_organization_trail_delivers_every_member_under_the_org_id(org: tuple[Cli, Path, str]) -> None:
    cli, bucket, org_id = org
    accounts = sorted(p.name for p in (bucket / "AWSLogs" / org_id).iterdir())
    assert accounts == [MEMBER, MGMT]
    member_logs = _logs(bucket / "AWSLogs" / org_id / MEMBER)
    assert member_logs and all(p.name.startswith(f"{MEMBER}_CloudTrail_us-east-1_") for p in member_logs)
    records = [r for p in member_logs for r in json.loads(gzip.decompress(p.read_bytes()))["Records"]]
    assert {r["eventName"] for r in records} >= {"ListTrails"} and {r["recipientAccountId"] for r in records} == {MEMBER}
    digest = json.loads(gzip.decompress(_digests(bucket / "AWSLogs" / org_id / MEMBER)[-1].read_bytes()))
    assert digest["awsAccountId"] == MEMBER and digest["digestS3Object"].startswith(f"AWSLogs/{org_id}/{MEMBER}/")
    # The organization id is deterministic: o- and 10 characters from the management account id.
    from awsmon.backends.local.cloudtrail import organization_id_for

    assert org_id == organization_id_for(MGMT) and len(org_id) == 12


def test_organization_trail_validation_per_account(org: tuple[Cli, Path, str], tmp_path: Path) -> None:
    cli, bucket, org_id = org
    res = cli("trail", "validate-digest", "--trail", "org-trail", "-o", "table")
    assert res.exit_code == 2 and "Missing required parameter for organization trail: '--account-id'" in res.stderr
    one = cli("trail", "validate-digest", "--trail", "org-trail", "--account-id", MEMBER, "-o", "table")
    assert one.exit_code == 0, one.stderr
    assert f"s3://org-bucket/AWSLogs/{org_id}/{MEMBER}/" not in one.stderr and "digest files valid" in one.stdout
    both = cli.json("trail", "validate-digest", "--trail", "org-trail", "--account-id", MEMBER, "--account-id", MGMT)
    assert both["Valid"] is True and [(r["AccountId"], r["OrganizationId"]) for r in both["Results"]] == [
        (MEMBER, org_id), (MGMT, org_id)]
    assert both["Summary"]["DigestFiles"]["Valid"] == sum(r["Summary"]["DigestFiles"]["Valid"] for r in both["Results"])
    # --path on the whole bucket: every account, reported per account, with totals.
    copy = tmp_path / "copy"
    shutil.copytree(bucket, copy)
    res = _path(cli, copy)
    assert res.exit_code == 0, res.stderr
    assert f"Account {MEMBER}, region us-east-1, trail org-trail (s3://org-bucket/AWSLogs/{org_id}/{MEMBER}/):" in res.stdout
    assert f"Account {MGMT}, region us-east-1, trail org-trail (s3://org-bucket/AWSLogs/{org_id}/{MGMT}/):" in res.stdout
    n_d, n_l = len(_digests(copy)), len(_logs(copy))
    assert res.stdout.endswith(f"Total for 2 digest chains (account, region, trail):\n{n_d}/{n_d} digest files valid\n"
                               f"{n_l}/{n_l} log files valid\n")  # fmt: skip
    # Narrowed by folder or by --account-id; tampering in one member account fails the run.
    assert _path(cli, copy / "AWSLogs" / org_id / MEMBER).stdout.startswith("Validating log files for trail ")
    assert "Account " not in _path(cli, copy, "--account-id", MEMBER).stdout
    log = _logs(copy / "AWSLogs" / org_id / MEMBER)[0]
    log.write_bytes(gzip.compress(b'{"Records":[]}'))
    res = _path(cli, copy)
    assert res.exit_code == 3 and f"{log.relative_to(copy).as_posix()}\tINVALID: hash value doesn't match" in res.stderr


def test_member_account_cannot_create_an_organization_trail(org: tuple[Cli, Path, str]) -> None:
    cli, _, _ = org
    res = cli("--account", MEMBER, "trail", "create", "--name", "m-trail", "--s3-new-bucket", "m-bucket",
              "--is-organization-trail")  # fmt: skip
    assert res.exit_code == 1 and "NotOrganizationMasterAccountException" in res.stderr


def test_member_account_sees_the_organization_trail_as_aws_shows_it(org: tuple[Cli, Path, str]) -> None:
    """A member account's DescribeTrails / ListTrails / GetTrailStatus show the organization trail with the management
    account's ARN and home region (a shadow trail: found by ARN, not by name; not changeable from the member)."""
    cli, _, _ = org
    member = ("--account", MEMBER)
    arn = f"arn:aws:cloudtrail:us-east-1:{MGMT}:trail/org-trail"
    (seen,) = cli.json(*member, "trail", "describe")["trailList"]
    assert (seen["TrailARN"], seen["Name"], seen["HomeRegion"], seen["IsOrganizationTrail"], seen["S3BucketName"]) == (
        arn, "org-trail", "us-east-1", True, "org-bucket")
    assert cli.json(*member, "trail", "describe", "--no-include-shadow-trails")["trailList"] == []
    assert cli.json(*member, "trail", "describe", "--trail-name-list", "org-trail")["trailList"] == []
    assert [t["TrailARN"] for t in cli.json(*member, "trail", "describe", "--trail-name-list", arn)["trailList"]] == [arn]
    assert cli.json(*member, "trail", "list")["Trails"] == [{"TrailARN": arn, "Name": "org-trail", "HomeRegion": "us-east-1"}]
    status = cli.json(*member, "trail", "get-status", "--name", arn)
    assert status["IsLogging"] is True and status == cli.json("trail", "get-status", "--name", "org-trail")
    by_name = cli(*member, "trail", "get-status", "--name", "org-trail")
    assert by_name.exit_code == 1 and "TrailNotFoundException" in by_name.stderr
    stop = cli(*member, "trail", "stop-logging", "--name", arn)
    assert stop.exit_code == 1 and "TrailNotFoundException" in stop.stderr
    assert cli.json("trail", "get-status", "--name", "org-trail")["IsLogging"] is True  # unchanged
    # The management account sees it as its own trail (no duplicate), and an account trail of the member stays its own.
    assert [t["TrailARN"] for t in cli.json("trail", "describe")["trailList"]] == [arn]
    cli.ok(*member, "trail", "create", "--name", "own", "--s3-new-bucket", "own-bucket")
    names = [t["Name"] for t in cli.json(*member, "trail", "describe")["trailList"]]
    assert names == ["own", "org-trail"]


def test_multi_region_digests_every_hour_for_every_region(pinned: Cli, home: Path) -> None:
    multi_region_trail(pinned, "mr-trail", "mr-bucket")
    bucket = home / "accounts" / MGMT / "s3" / "mr-bucket"
    digest_root = bucket / "AWSLogs" / MGMT / "CloudTrail-Digest"
    regions = sorted(p.name for p in digest_root.iterdir())
    assert len(regions) == 17 and "ap-south-1" in regions
    quiet = [json.loads(gzip.decompress(p.read_bytes())) for p in sorted((digest_root / "ap-south-1").rglob("*.gz"))]
    assert len(quiet) == 2 and all(d["logFiles"] == [] and d["newestEventTime"] is None for d in quiet)
    assert quiet[1]["previousDigestS3Object"] is not None  # a chain, not isolated starting digests
    res = pinned("trail", "validate-digest", "--path", str(bucket), "-o", "json")
    data = json.loads(res.stdout)
    assert res.exit_code == 0 and len(data["Results"]) == 17 and data["Summary"]["DigestFiles"]["Valid"] == 34
    assert {f["Region"] for f in data["Files"]} >= {"eu-west-1", "ap-south-1"}


def test_stop_start_and_validation_disabled_gaps_are_aws_cli_notices(pinned: Cli, home: Path) -> None:
    pinned.ok("trail", "create", "--name", "gap-trail", "--s3-new-bucket", "gap-bucket", "--enable-log-file-validation")
    pinned.ok("trail", "start-logging", "--name", "gap-trail")
    _activity(pinned, 2)
    pinned.ok("trail", "update", "--name", "gap-trail", "--no-enable-log-file-validation")
    pinned.ok("account", "clock", "advance", "2h")
    pinned.ok("trail", "update", "--name", "gap-trail", "--enable-log-file-validation")
    _activity(pinned, 2)
    pinned.ok("trail", "stop-logging", "--name", "gap-trail")
    pinned.ok("account", "clock", "advance", "2h")
    pinned.ok("trail", "start-logging", "--name", "gap-trail")
    _activity(pinned, 2)
    res = pinned("trail", "validate-digest", "--trail", "gap-trail", "--start-time", START, "-o", "table")
    assert res.exit_code == 0, res.stderr
    gaps = [line for line in res.stderr.splitlines() if line]
    assert len(gaps) == 2 and all(g.startswith("No log files were delivered by CloudTrail between ") for g in gaps)
    assert "2026-11-20T14:00:00Z and 2026-11-20T16:00:00Z" in gaps[1]  # validation off 14:00-16:00


# ------------------------------------------------------------------------------------------------------------
# Public keys


def _aws_cli_shape(keys: dict[str, object], times: str) -> dict[str, object]:
    out = []
    for k in keys["PublicKeyList"]:  # type: ignore[attr-defined]
        item = dict(k)
        if times == "epoch":
            item["ValidityStartTime"], item["ValidityEndTime"] = 946684800.0, 4102444800
        elif times == "offset":
            item["ValidityStartTime"], item["ValidityEndTime"] = "2000-01-01T00:00:00+00:00", "2100-01-01T00:00:00+00:00"
        out.append(item)
    return {"PublicKeyList": out}


@pytest.mark.parametrize("shape", ["awsmon", "epoch", "offset", "bom", "utf16"])
def test_public_key_file_shapes(prefixed: tuple[Cli, Path], tmp_path: Path, shape: str) -> None:
    cli, bucket = prefixed
    keys = cli.json("trail", "list-public-keys")
    text = json.dumps(keys if shape == "awsmon" else _aws_cli_shape(keys, "offset" if shape == "offset" else "epoch"), indent=4)
    data = {"bom": b"\xef\xbb\xbf" + text.encode(), "utf16": text.encode("utf-16")}.get(shape, text.encode())
    key_file = tmp_path / "keys.json"
    key_file.write_bytes(data)
    res = cli("--backend", "aws", "trail", "validate-digest", "--path", str(bucket), "--public-key", str(key_file),
              "--start-time", START, "--end-time", "2026-11-20T15:00:00Z", "-o", "table")  # fmt: skip
    assert res.exit_code == 0 and "3/3 digest files valid" in res.stdout, res.stderr


def test_aws_documented_key_list_is_read() -> None:
    """aws-cli's documented list-public-keys output (awscli/examples/cloudtrail/list-public-keys.rst)."""
    from datetime import UTC, datetime

    from awsmon.services.digest_sources import parse_public_key_bytes

    doc = {"PublicKeyList": [{"ValidityStartTime": 1453076702.0, "ValidityEndTime": 1455668702.0, "Value": (
        "MIIBCgKCAQEAlSS3cl92HDycr/MTj0moOhas8habjrraXw+KzlWF0axSI2tcF+3iJ9BKQAVSKxGwxwu3m0wG3J+kUl1xboEcEPHYoIYMbgfSw7K"
        "GnuDKwkLzsQWhUJ0cIbOHASox1vv/5fNXkrHhGbDCHeVXm804c83nvHUEFYThr1PfyP/8HwrCtR3FX5OANtQCP61C1nJtSSkC8JSQUOrIP4Cuw"
        "Jjc+4WGDk+BGH5m9iuiAKkipEHWmUl8/P7XpfpWQuk4h8g3pXZOrNXr08lbh4d39svj7UqdhvOXoBISp9t/EXYuePGEtBdrKD9Dz+VHwyUPtBQv"
        "Yr9BnkF88qBnaPNhS44rzwIDAQAB"), "Fingerprint": "7f3f401420072e50a65a141430817ab3"}]}  # fmt: skip
    (key,) = parse_public_key_bytes(json.dumps(doc).encode(), "doc")
    assert key.fingerprint == "7f3f401420072e50a65a141430817ab3" and len(key.der) == 270
    assert key.validity_start == datetime(2016, 1, 18, 0, 25, 2, tzinfo=UTC)


def test_foreign_trail_without_its_key_is_one_clear_error(prefixed: tuple[Cli, Path], tmp_path: Path) -> None:
    """--path of a trail another account delivered: the local key is never used for it; the error says how."""
    cli, bucket = prefixed
    other = Cli({**cli.env, "AWSMON_HOME": str(tmp_path / "other-home")})
    other.ok("account", "init", "--account-id", MEMBER)
    res = other("trail", "validate-digest", "--path", str(bucket), "--start-time", START, "-o", "table")
    assert res.exit_code == 3
    fp = cli.json("trail", "list-public-keys")["PublicKeyList"][0]["Fingerprint"]
    assert [line for line in res.stderr.splitlines() if line.startswith("awsmon: error:")] == [
        f"awsmon: error: public key not found for fingerprint {fp} (region us-east-1): the digests signed with it were "
        "not verified (hint: supply the key with --public-key FILE: the output of 'aws cloudtrail list-public-keys "
        "--region REGION --output json' (or 'awsmon trail list-public-keys -o json' on the account that delivered the "
        "trail), saved to a file)"
    ]  # fmt: skip
    keys = tmp_path / "keys.json"
    keys.write_text(cli.ok("trail", "list-public-keys", "-o", "json").stdout)
    assert other("trail", "validate-digest", "--path", str(bucket), "--start-time", START, "--public-key",
                 str(keys)).exit_code == 0  # fmt: skip


# ------------------------------------------------------------------------------------------------------------
# Nothing validated, output


def test_nothing_validated_is_exit_3_saying_what_was_searched(prefixed: tuple[Cli, Path]) -> None:
    cli, _ = prefixed
    args = ("trail", "validate-digest", "--trail", "pre-trail", "--start-time", "2026-01-01T00:00:00Z",
            "--end-time", "2026-01-02T00:00:00Z", "-o", "table")  # fmt: skip
    res = cli(*args)
    assert res.exit_code == 3 and res.stdout.endswith("No digests found\n")
    assert res.stderr.splitlines() == [
        "awsmon: error: nothing validated: no digest file was verified in s3://pre-bucket/org/logs/AWSLogs/"
        f"{MGMT}/CloudTrail-Digest/us-east-1/ (trail arn:aws:cloudtrail:us-east-1:{MGMT}:trail/pre-trail), between "
        "2026-01-01T00:00:00Z and 2026-01-02T00:00:00Z (hint: check --start-time/--end-time, --region, --account-id, "
        "--s3-prefix or --path; --allow-empty accepts an empty result (aws-cli exits 0 here))"]  # fmt: skip
    ok = cli(*args, "--allow-empty")
    assert ok.exit_code == 0 and ok.stderr == ""
    data = json.loads(cli(*args[:-2], "-o", "json").stdout)
    assert data["NothingValidated"] is True and data["Valid"] is False


def test_json_gives_per_file_results(prefixed: tuple[Cli, Path]) -> None:
    cli, bucket = prefixed
    data = cli.json("trail", "validate-digest", "--trail", "pre-trail", "--start-time", START)
    kinds = [(f["Kind"], f["Verdict"], f["AccountId"], f["Region"]) for f in data["Files"]]
    assert kinds.count(("digest", "valid", MGMT, "us-east-1")) == 3
    assert kinds.count(("log", "valid", MGMT, "us-east-1")) == len(_logs(bucket))
    assert data["Summary"]["LogFiles"] == {"Valid": len(_logs(bucket)), "Invalid": 0}


# ------------------------------------------------------------------------------------------------------------
# trail download against a real moto S3 server


def test_download_contract_against_moto_s3(prefixed: tuple[Cli, Path], tmp_path: Path, moto_env: dict[str, str]) -> None:
    import boto3

    from awsmon.s3folder import S3Folder

    cli, bucket = prefixed
    keys = tmp_path / "keys.json"  # moto_env made aws the default backend: the local key is asked for explicitly
    keys.write_text(cli.ok("--backend", "local", "trail", "list-public-keys", "-o", "json").stdout)
    s3 = boto3.client("s3", endpoint_url=moto_env["AWSMON_ENDPOINT_URL"], region_name="us-east-1")
    s3.create_bucket(Bucket="pre-bucket")
    folder = S3Folder(bucket)
    for key in folder.list_objects():
        s3.put_object(Bucket="pre-bucket", Key=key, Body=folder.get_object(key),
                      Metadata=folder.head_object(key).get("Metadata", {}))  # fmt: skip
    s3.put_object(Bucket="pre-bucket", Key="org/logs/AWSLogs/unrelated.txt", Body=b"x")
    aws = Cli({**cli.env, **moto_env})
    dest = tmp_path / "dl"
    args = ("trail", "download", "--s3-bucket", "pre-bucket", "--s3-prefix", "org/logs", "--start-time", START,
            "--end-time", "2026-11-20T15:00:00Z", "--dest", str(dest))  # fmt: skip
    first = aws.json(*args)
    n = len(_tree(bucket))
    assert (first["Files"], first["Downloaded"], first["Skipped"], first["Failed"]) == (n, n, 0, [])
    assert first["Accounts"] == [MGMT] and first["Regions"] == ["us-east-1"]
    assert _tree(dest) and [p.relative_to(dest) for p in _tree(dest)] == [p.relative_to(bucket) for p in _tree(bucket)]
    res = aws("trail", "validate-digest", "--path", str(dest), "--public-key", str(keys), "--start-time", START,
              "--end-time", "2026-11-20T15:00:00Z", "-o", "table")  # fmt: skip
    assert res.exit_code == 0 and "3/3 digest files valid" in res.stdout, res.stderr
    # Resumable: present files with the same size and hash are skipped; a missing or changed one is fetched again.
    _logs(dest)[0].unlink()
    _logs(dest)[-1].write_bytes(b"changed")
    again = aws.json(*args)
    assert (again["Downloaded"], again["Skipped"]) == (2, n - 2)
    # Only some accounts/regions: nothing for a region without files.
    assert aws.json(*args, "--region", "eu-west-1")["Files"] == 0
    # A copy without metadata, then --signatures-only from S3.
    sync = tmp_path / "sync"
    shutil.copytree(bucket / "org" / "logs", sync)
    sig = aws.json("trail", "download", "--s3-bucket", "pre-bucket", "--s3-prefix", "org/logs", "--start-time", START,
                   "--dest", str(sync), "--signatures-only")  # fmt: skip
    assert sig["Signatures"] == 3 and sig["Bytes"] == 0
    meta = json.loads(next((sync / ".awsmon-meta").rglob("*.json")).read_text())
    assert len(meta["Metadata"]["signature"]) == 512
    assert aws("trail", "validate-digest", "--path", str(sync), "--public-key", str(keys), "--start-time", START,
               "--end-time", "2026-11-20T15:00:00Z").exit_code == 0  # fmt: skip
    missing = aws("trail", "download", "--s3-bucket", "no-such-bucket", "--start-time", START, "--dest", str(dest))
    assert missing.exit_code != 0 and missing.stderr.count("\n") <= 2 and "NoSuchBucket" in missing.stderr


def test_download_of_a_local_organization_bucket(org: tuple[Cli, Path, str], tmp_path: Path) -> None:
    cli, bucket, org_id = org
    dest = tmp_path / "dl"
    got = cli.json("trail", "download", "--trail", "org-trail", "--start-time", START, "--dest", str(dest),
                   "--account-id", MEMBER)  # fmt: skip
    assert got["OrganizationId"] == org_id and got["Accounts"] == [MEMBER] and got["Failed"] == []
    assert (dest / "AWSLogs" / org_id / MEMBER).is_dir() and not (dest / "AWSLogs" / org_id / MGMT).exists()
    res = _path(cli, dest)
    assert res.exit_code == 0 and "Account " not in res.stdout, res.stderr
    der = base64.b64decode(cli.json("trail", "list-public-keys")["PublicKeyList"][0]["Value"])
    assert len(der) == 270


def test_local_download_reads_through_the_s3_api_so_data_events_are_recorded(prefixed: tuple[Cli, Path],
                                                                              tmp_path: Path, home: Path) -> None:  # fmt: skip
    """As on AWS, downloading a trail bucket is S3 reads: a trail whose data-event selectors cover that bucket
    delivers them (a GetObject per file of pre-bucket); a trail without data selectors does not."""
    cli, bucket = prefixed
    cli.ok("trail", "create", "--name", "watch", "--s3-new-bucket", "watch-bucket")
    selectors = [{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": False,
                  "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::pre-bucket/"]}]}]  # fmt: skip
    cli.ok("trail", "put-event-selectors", "--trail-name", "watch", "--event-selectors", json.dumps(selectors))
    cli.ok("trail", "start-logging", "--name", "watch")
    got = cli.json("trail", "download", "--trail", "pre-trail", "--start-time", START, "--dest", str(tmp_path / "dl"))
    assert got["Downloaded"] == got["Files"] == len(_tree(bucket)) and got["Failed"] == []
    cli.ok("account", "clock", "advance", "10m")
    watch = home / "accounts" / MGMT / "s3" / "watch-bucket"
    records = [r for f in _logs(watch) for r in json.loads(gzip.decompress(f.read_bytes()))["Records"]]
    names = [(r["eventName"], r["requestParameters"]["bucketName"]) for r in records]
    assert names.count(("GetObject", "pre-bucket")) == got["Files"]
    assert all(r["eventCategory"] == "Data" and r["readOnly"] for r in records)
    pre_logs = [r for f in _logs(bucket) for r in json.loads(gzip.decompress(f.read_bytes()))["Records"]]
    assert not any(r["eventName"] == "GetObject" for r in pre_logs)  # pre-trail logs management events only


def test_header_comes_before_progress_and_counts_every_file(prefixed: tuple[Cli, Path], home: Path) -> None:
    """The CLI prints the header, then starts the bar: the service gives the header before any progress, and the
    progress ends at (files, files) with a total known along the way."""
    from awsmon.context import AppContext
    from awsmon.services.trail_validate import validate_digest

    _, bucket = prefixed
    seen: list[tuple[str, object]] = []
    ctx = AppContext.create(backend="local", home=str(home), output="json")
    try:
        result = validate_digest(ctx, trail="pre-trail", start=START, end=None,
                                 on_header=lambda text: seen.append(("header", text)),
                                 on_progress=lambda done, total: seen.append(("progress", (done, total))))  # fmt: skip
    finally:
        ctx.close()
    assert seen[0][0] == "header" and str(seen[0][1]).startswith("Validating log files for trail ")
    assert all(kind == "progress" for kind, _ in seen[1:]) and len(seen) > 2
    files = len(_digests(bucket)) + len(_logs(bucket))
    assert seen[-1] == ("progress", (files, files))
    assert result.report.header_emitted and result.failure is None


def test_progress_counter_is_silent_without_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    from awsmon.progress import counter

    with counter("validating") as update:
        update(1, 2)
        update(2, 2)
    assert capsys.readouterr().err == ""


def test_progress_counter_on_a_terminal_shows_count_and_total(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    from awsmon.progress import counter

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    err = Tty()
    monkeypatch.setattr(sys, "stderr", err)
    with counter("validating") as update:
        update(3, 7)
        update(7, 7)
    text = err.getvalue()
    assert "validating" in text and "7/7" in text


# ------------------------------------------------------------------------------------------------------------
# A date folder as --path: its day / month / year is the range; the next folder's digests are chain context


@pytest.fixture
def two_days(pinned: Cli, home: Path) -> tuple[Cli, Path]:
    """Activity from 2026-11-20 20:00 to 2026-11-21 03:00 (UTC): digests and logs in two day folders."""
    pinned.ok("account", "clock", "set", "2026-11-20T20:00:00Z")
    pinned.ok("trail", "create", "--name", "days", "--s3-new-bucket", "days-bucket", "--enable-log-file-validation")
    pinned.ok("trail", "start-logging", "--name", "days")
    _activity(pinned, 7)
    return pinned, home / "accounts" / MGMT / "s3" / "days-bucket"


def _day(bucket: Path, kind: str, date: str) -> Path:
    return bucket / "AWSLogs" / MGMT / kind / "us-east-1" / date


def _files(folder: Path) -> int:
    return len(list(folder.glob("*.json.gz")))


def test_date_folder_narrows_the_range_to_its_day(two_days: tuple[Cli, Path], tmp_path: Path) -> None:
    cli, bucket = two_days
    d20, d21 = (_day(bucket, "CloudTrail-Digest", f"2026/11/{d}") for d in ("20", "21"))
    assert _files(d20) >= 3 and _files(d21) >= 3
    for kind in ("CloudTrail", "CloudTrail-Digest"):
        res = cli("trail", "validate-digest", "--path", str(_day(bucket, kind, "2026/11/20")), "-o", "table")
        assert res.exit_code == 0, res.stderr
        assert res.stdout.startswith("Validating log files for trail arn:aws:cloudtrail:us-east-1:123456789012:"
                                     "trail/days between 2026-11-20T00:00:00Z and 2026-11-21T00:00:00Z\n")  # fmt: skip
        n = _files(d20)
        # Every digest of the day folder; every log of the day's log folder, also those only the next day's first
        # digest lists (it is verified as chain context, not reported).
        logs = _files(_day(bucket, "CloudTrail", "2026/11/20"))
        assert f"\n{n}/{n} digest files valid\n{logs}/{logs} log files valid\n" in res.stdout, res.stdout
    # The month folder holds both days; --start-time narrows further within it.
    month = cli("trail", "validate-digest", "--path", str(_day(bucket, "CloudTrail-Digest", "2026/11")), "-o", "table")
    total = _files(d20) + _files(d21)
    assert month.exit_code == 0 and f"\n{total}/{total} digest files valid\n" in month.stdout
    assert "between 2026-11-01T00:00:00Z and 2026-12-01T00:00:00Z" in month.stdout
    later = cli("trail", "validate-digest", "--path", str(d20), "--start-time", "2026-11-20T22:00:00Z", "-o", "table")
    assert later.exit_code == 0 and "between 2026-11-20T22:00:00Z and 2026-11-21T00:00:00Z" in later.stdout
    outside = cli("trail", "validate-digest", "--path", str(d20), "--start-time", "2026-11-21T01:00:00Z")
    assert outside.exit_code == 2 and "select nothing in it" in outside.stderr
    (d20.parent / "notes").mkdir()
    assert cli("trail", "validate-digest", "--path", str(d20.parent / "notes")).exit_code == 2


def test_date_folder_of_a_synced_copy_uses_the_next_day_as_context(two_days: tuple[Cli, Path], tmp_path: Path) -> None:
    """`aws s3 sync` drops the signatures: the day's newest digest is vouched for by the next day's first digest,
    which lies outside the folder (its own missing signature is not reported); without it, the day's newest digest
    is reported, not the next day's absence."""
    cli, bucket = two_days
    sync = tmp_path / "sync"
    shutil.copytree(bucket, sync, ignore=shutil.ignore_patterns(".awsmon-meta"))
    d20 = _day(sync, "CloudTrail-Digest", "2026/11/20")
    n = _files(d20)
    res = cli("trail", "validate-digest", "--path", str(d20), "-o", "table")
    assert res.exit_code == 0 and res.stderr == "" and f"{n}/{n} digest files valid" in res.stdout, res.stderr
    whole = cli("trail", "validate-digest", "--path", str(sync), "-o", "table")  # the trail's newest digest: unsigned
    assert whole.exit_code == 3 and "signature metadata missing" in whole.stderr
    for f in _day(sync, "CloudTrail-Digest", "2026/11/21").glob("*.json.gz"):
        f.unlink()
    res = cli("trail", "validate-digest", "--path", str(d20), "-o", "table")
    newest = sorted(d20.glob("*.json.gz"))[-1].relative_to(sync).as_posix()
    assert res.exit_code == 3 and res.stderr.startswith(
        f"Digest file\ts3://days-bucket/{newest}\tINVALID: signature metadata missing\n\n")
    assert "not found" not in res.stderr and f"{n - 1}/{n} digest files valid, 1/{n} digest files INVALID" in res.stdout


def _upload(folder_bucket: Path, name: str, endpoint: str) -> None:
    import boto3

    from awsmon.s3folder import S3Folder

    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket=name)
    folder = S3Folder(folder_bucket)
    for key in folder.list_objects():
        s3.put_object(Bucket=name, Key=key, Body=folder.get_object(key),
                      Metadata=folder.head_object(key).get("Metadata", {}))  # fmt: skip


def test_aws_backend_finds_the_organization_folder_from_the_bucket_listing(
    org: tuple[Cli, Path, str], tmp_path: Path, moto_env: dict[str, str]
) -> None:
    """Contract (moto S3): `--s3-bucket B` with a trail ARN and no organization id: the `o-` folder holding the
    account is found by listing `AWSLogs/` with a delimiter (moto has no CloudTrail digests of its own, so the
    local organization bucket is uploaded with its signature metadata)."""
    cli, bucket, org_id = org
    keys = tmp_path / "keys.json"
    keys.write_text(cli.ok("--backend", "local", "trail", "list-public-keys", "-o", "json").stdout)
    _upload(bucket, "org-bucket", moto_env["AWSMON_ENDPOINT_URL"])
    aws = Cli({**cli.env, **moto_env})
    arn = f"arn:aws:cloudtrail:us-east-1:{MGMT}:trail/org-trail"
    base = ("trail", "validate-digest", "--trail", arn, "--s3-bucket", "org-bucket", "--public-key", str(keys),
            "--start-time", START, "--end-time", "2026-11-20T18:00:00Z", "-o", "table")  # fmt: skip
    for account in (MEMBER, MGMT):
        res = aws(*base, "--account-id", account)
        assert res.exit_code == 0, res.stderr
        assert "3/3 digest files valid" in res.stdout and "log files valid" in res.stdout
    # Without --account-id the ARN's account (the management account) is validated in the organization folder.
    assert aws(*base).exit_code == 0
    listed = aws.json(*base[:-2], "--account-id", MEMBER, "-o", "json")
    assert {r["OrganizationId"] for r in listed["Results"]} == {org_id}
    assert all(f"AWSLogs/{org_id}/{MEMBER}/" in f["Key"] for f in listed["Files"])
    # An account the bucket does not hold: nothing validated, and the message names what was searched.
    absent = aws(*base, "--account-id", "444455556666")
    assert absent.exit_code == 3 and "s3://org-bucket/AWSLogs/444455556666/CloudTrail-Digest/us-east-1/" in absent.stderr
