"""validate-digest through the CLI on a local-account trail: every tamper category of digest-validation.md §4.5."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli
from tests.test_trail_layouts import multi_region_trail

ACCOUNT = "123456789012"
BUCKET = "vbucket"
ARN = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/vtrail"


@pytest.fixture
def trail(pinned: Cli, home: Path) -> tuple[Cli, Path]:
    """A trail with validation, 4 hours of activity: 4 hourly digests, each listing at least one log file."""
    pinned.ok("trail", "create", "--name", "vtrail", "--s3-new-bucket", BUCKET, "--enable-log-file-validation")
    pinned.ok("trail", "start-logging", "--name", "vtrail")
    for _ in range(4):
        pinned.ok("trail", "describe")
        pinned.ok("account", "clock", "advance", "1h")
    return pinned, home / "accounts" / ACCOUNT / "s3" / BUCKET


def _digests(bucket: Path) -> list[Path]:
    return sorted((bucket / "AWSLogs").rglob("*_CloudTrail-Digest_*.json.gz"))


def _logs(bucket: Path) -> list[Path]:
    return sorted((bucket / "AWSLogs" / ACCOUNT / "CloudTrail").rglob("*.json.gz"))


def _meta(bucket: Path, f: Path) -> Path:
    return bucket / ".awsmon-meta" / (str(f.relative_to(bucket)) + ".json")


def _validate(cli: Cli, *extra: str) -> Any:
    return cli("trail", "validate-digest", "--trail", "vtrail", "--start", "2026-11-20T11:00:00Z", "-o", "table", *extra)


def test_clean_trail_is_valid_with_aws_cli_summary(trail: tuple[Cli, Path]) -> None:
    cli, bucket = trail
    assert len(_digests(bucket)) == 4
    res = _validate(cli, "--verbose")
    assert res.exit_code == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == (f"Validating log files for trail {ARN} between 2026-11-20T11:00:00Z and 2026-11-20T16:00:00Z")
    assert "Results found for 2026-11-20T12:00:00Z to 2026-11-20T16:00:00Z:" in lines
    assert "4/4 digest files valid" in lines
    n_logs = len(_logs(bucket))
    assert f"{n_logs}/{n_logs} log files valid" in lines
    assert sum(1 for line in lines if line.startswith("Digest file\ts3://vbucket/") and line.endswith("\tvalid")) == 4
    data = cli.json("trail", "validate-digest", "--trail", "vtrail")
    assert data["Valid"] is True and data["Summary"]["DigestFiles"] == {"Valid": 4, "Invalid": 0}
    assert {f["Verdict"] for f in data["Files"]} == {"valid"}


def test_log_modified_deleted_trailing_not_gzip_and_regzipped(trail: tuple[Cli, Path]) -> None:
    cli, bucket = trail
    logs = _logs(bucket)
    assert len(logs) >= 4
    body = gzip.decompress(logs[0].read_bytes())
    logs[0].write_bytes(gzip.compress(body.replace(b"DescribeTrails", b"DeleteTrails!!", 1)))
    logs[1].unlink()
    logs[2].write_bytes(logs[2].read_bytes() + gzip.compress(b"extra"))
    logs[3].write_bytes(gzip.decompress(logs[3].read_bytes()))
    res = _validate(cli)
    assert res.exit_code == 3
    err = res.stderr
    key = lambda p: f"s3://{BUCKET}/{p.relative_to(bucket)}"  # noqa: E731
    assert f"Log file\t{key(logs[0])}\tINVALID: hash value doesn't match" in err
    assert f"Log file\t{key(logs[1])}\tINVALID: not found" in err
    assert f"Log file\t{key(logs[2])}\tINVALID: unexpected data after end of compressed stream" in err
    assert f"Log file\t{key(logs[3])}\tINVALID: invalid format" in err
    assert ", 4/" in res.stdout and "log files INVALID" in res.stdout


def test_log_regzipped_with_same_content_stays_valid(trail: tuple[Cli, Path]) -> None:
    cli, bucket = trail
    log = _logs(bucket)[0]
    log.write_bytes(gzip.compress(gzip.decompress(log.read_bytes()), compresslevel=1, mtime=12345))
    assert _validate(cli).exit_code == 0


def test_middle_digest_deleted_and_two_consecutive(trail: tuple[Cli, Path]) -> None:
    cli, bucket = trail
    d = _digests(bucket)
    d[1].unlink()
    res = _validate(cli)
    assert res.exit_code == 3
    assert f"Digest file\ts3://{BUCKET}/{d[1].relative_to(bucket)}\tINVALID: not found" in res.stderr
    assert "3/4 digest files valid, 1/4 digest files INVALID" in res.stdout
    d[2].unlink()
    res = _validate(cli)
    assert res.stderr.count("INVALID: not found") == 1  # aws-cli reports only the first (aws/aws-cli#7054)
    strict = _validate(cli, "--strict")
    assert strict.exit_code == 3 and strict.stderr.count("INVALID: not found") == 2


def test_newest_digest_deleted_only_strict_notices(trail: tuple[Cli, Path]) -> None:
    cli, bucket = trail
    _digests(bucket)[-1].unlink()
    res = _validate(cli)
    assert res.exit_code == 0
    assert "Results found for 2026-11-20T12:00:00Z to 2026-11-20T15:00:00Z:" in res.stdout
    strict = _validate(cli, "--strict")
    assert strict.exit_code == 3 and "newest digest missing" in strict.stderr


@pytest.mark.parametrize("tamper", ["json", "whitespace", "signature", "no-metadata", "not-gzip", "no-fingerprint"])
def test_digest_tampering(trail: tuple[Cli, Path], tamper: str) -> None:
    cli, bucket = trail
    d = _digests(bucket)[2]
    raw = gzip.decompress(d.read_bytes())
    meta = _meta(bucket, d)
    expected = "INVALID: signature verification failed"
    if tamper == "json":
        doc = json.loads(raw)
        doc["logFiles"][0]["hashValue"] = "0" * 64
        d.write_bytes(gzip.compress(json.dumps(doc, separators=(",", ":")).encode()))
    elif tamper == "whitespace":
        d.write_bytes(gzip.compress(json.dumps(json.loads(raw), indent=1).encode()))
    elif tamper == "signature":
        m = json.loads(meta.read_text())
        sig = m["Metadata"]["signature"]
        m["Metadata"]["signature"] = ("0" if sig[0] != "0" else "1") + sig[1:]
        meta.write_text(json.dumps(m))
    elif tamper == "no-metadata":
        meta.unlink()  # in the account's own bucket: no S3 metadata at all, as aws-cli reports it
    elif tamper == "not-gzip":
        d.write_bytes(raw)
        expected = "INVALID: invalid format"
    else:
        doc = json.loads(raw)
        del doc["digestPublicKeyFingerprint"]
        d.write_bytes(gzip.compress(json.dumps(doc).encode()))
        expected = "INVALID: invalid format"
    res = _validate(cli)
    assert res.exit_code == 3
    assert f"Digest file\ts3://{BUCKET}/{d.relative_to(bucket)}\t{expected}" in res.stderr


def test_digest_moved_and_overwritten_by_previous(trail: tuple[Cli, Path]) -> None:
    cli, bucket = trail
    d = _digests(bucket)
    shutil.copy(d[1], d[2])
    shutil.copy(_meta(bucket, d[1]), _meta(bucket, d[2]))
    res = _validate(cli)
    assert res.exit_code == 3
    assert f"{d[2].relative_to(bucket)}\tINVALID: has been moved from its original location" in res.stderr


def test_gap_after_stop_and_restart_is_a_notice(trail: tuple[Cli, Path]) -> None:
    cli, bucket = trail
    cli.ok("trail", "stop-logging", "--name", "vtrail")
    cli.ok("account", "clock", "advance", "3h")
    cli.ok("trail", "start-logging", "--name", "vtrail")
    cli.ok("account", "clock", "advance", "2h")
    res = _validate(cli)
    assert res.exit_code == 0, res.stderr
    assert "No log files were delivered by CloudTrail between 2026-11-20T16:00:01Z and 2026-11-20T19:00:00Z" in res.stderr
    assert _validate(cli, "--strict").exit_code == 0


def test_wrong_public_key_and_bad_inputs(trail: tuple[Cli, Path], tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    cli, _ = trail
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    pem = tmp_path / "other.pem"
    pem.write_bytes(other.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    res = _validate(cli, "--public-key", str(pem))
    assert res.exit_code == 3 and "INVALID: public key not found in region us-east-1 for fingerprint" in res.stderr
    bad = tmp_path / "bad.key"
    bad.write_bytes(b"not a key at all")
    res = _validate(cli, "--public-key", str(bad))
    assert res.exit_code == 2 and res.stderr.count("\n") == 1 and "not an RSA public key" in res.stderr
    res = cli("trail", "validate-digest", "--trail", "vtrail", "--start", "2026-11-21", "--end", "2026-11-20")
    assert res.exit_code == 2 and "start-time must occur before end-time" in res.stderr
    res = cli("trail", "validate-digest", "--trail", "nope")
    assert res.exit_code == 1 and "TrailNotFoundException" in res.stderr


def test_path_source_with_saved_keys(trail: tuple[Cli, Path], tmp_path: Path) -> None:
    """A downloaded copy of the bucket folder validates offline with list-public-keys JSON, DER or PEM keys."""
    import base64

    cli, bucket = trail
    copy = tmp_path / "download"
    shutil.copytree(bucket, copy)
    keys = tmp_path / "keys.json"
    keys.write_text(cli.ok("trail", "list-public-keys", "-o", "json").stdout)
    der = tmp_path / "key.der"
    der.write_bytes(base64.b64decode(json.loads(keys.read_text())["PublicKeyList"][0]["Value"]))
    from cryptography.hazmat.primitives import serialization

    pub = serialization.load_der_public_key(der.read_bytes())
    spki = tmp_path / "key.spki.der"
    spki.write_bytes(pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))
    pem = tmp_path / "key.pem"
    pem.write_bytes(pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1))
    for key_file in (keys, der, spki, pem):
        res = cli("--backend", "aws", "trail", "validate-digest", "--path", str(copy), "--public-key", str(key_file),
                  "--start", "2026-11-20T11:00:00Z", "--end", "2026-11-20T16:00:00Z", "-o", "table")  # fmt: skip
        assert res.exit_code == 0, res.stderr
        assert f"trail {ARN} between" in res.stdout and "4/4 digest files valid" in res.stdout
    # Without --public-key the aws backend asks ListPublicKeys (here: no region configured, exit 4).
    res = cli("--backend", "aws", "trail", "validate-digest", "--path", str(copy), "--start", "2026-11-20T11:00:00Z")
    assert res.exit_code == 4 and "region" in res.stderr
    # aws s3 sync drops metadata: digests are "signature metadata missing", never valid.
    shutil.rmtree(copy / ".awsmon-meta")
    res = cli("--backend", "aws", "trail", "validate-digest", "--path", str(copy), "--public-key", str(der),
              "--start", "2026-11-20T11:00:00Z", "--end", "2026-11-20T16:00:00Z", "-o", "table")  # fmt: skip
    assert res.exit_code == 3 and "INVALID: signature metadata missing" in res.stderr


def test_aws_backend_over_moto_s3_with_saved_keys(trail: tuple[Cli, Path], tmp_path: Path, moto_env: dict[str, str]) -> None:
    """Real-AWS path (boto3 S3 + keys): the local bucket uploaded with its metadata to a moto server."""
    import boto3

    from awsmon.s3folder import S3Folder

    cli, bucket = trail
    keys = tmp_path / "keys.json"
    keys.write_text(cli.ok("--backend", "local", "trail", "list-public-keys", "-o", "json").stdout)
    s3 = boto3.client("s3", endpoint_url=moto_env["AWSMON_ENDPOINT_URL"], region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    folder = S3Folder(bucket)
    for key in folder.list_objects():
        s3.put_object(Bucket=BUCKET, Key=key, Body=folder.get_object(key), Metadata=folder.head_object(key)["Metadata"])
    aws = Cli({**cli.env, **moto_env})
    args = ("trail", "validate-digest", "--trail", ARN, "--s3-bucket", BUCKET, "--public-key", str(keys),
            "--start", "2026-11-20T11:00:00Z", "--end", "2026-11-20T16:00:00Z", "-o", "table")  # fmt: skip
    res = aws(*args)
    assert res.exit_code == 0, res.stderr
    assert "4/4 digest files valid" in res.stdout
    victim = next(k for k in folder.list_objects() if "/CloudTrail/" in k)
    s3.delete_object(Bucket=BUCKET, Key=victim)
    res = aws(*args)
    assert res.exit_code == 3 and f"Log file\ts3://{BUCKET}/{victim}\tINVALID: not found" in res.stderr
    res = aws("trail", "validate-digest", "--trail", ARN, "--s3-bucket", BUCKET, "--public-key", str(keys))
    assert res.exit_code == 2 and "--start-time is required" in res.stderr


def test_piped_default_output_is_aws_cli_text(trail: tuple[Cli, Path]) -> None:
    cli, _ = trail
    res = cli("trail", "validate-digest", "--trail", "vtrail", "--start", "2026-11-20T11:00:00Z")
    assert res.exit_code == 0 and res.stdout.startswith("Validating log files for trail ")
    assert json.loads(cli("trail", "validate-digest", "--trail", "vtrail", "-o", "json").stdout)["Valid"] is True


def test_selected_region_is_the_source_region_like_aws_cli(pinned: Cli, home: Path) -> None:
    """A multi-region trail: --region picks whose digests are validated (aws-cli's source region), not the home's."""
    multi_region_trail(pinned, "mr-trail", "mr-vbucket")
    bucket = home / "accounts" / ACCOUNT / "s3" / "mr-vbucket"
    west_log = next((bucket / "AWSLogs" / ACCOUNT / "CloudTrail" / "eu-west-1").rglob("*.json.gz"))
    west_log.write_bytes(gzip.compress(b'{"Records":[]}'))
    home_res = pinned("trail", "validate-digest", "--trail", "mr-trail", "-o", "table", "--verbose")
    assert home_res.exit_code == 0 and "/CloudTrail-Digest/eu-west-1/" not in home_res.stdout
    west = pinned("--region", "eu-west-1", "trail", "validate-digest", "--trail", "mr-trail", "-o", "table")
    assert west.exit_code == 3, west.stdout
    assert f"s3://mr-vbucket/{west_log.relative_to(bucket)}\tINVALID: hash value doesn't match" in west.stderr
    assert "2/2 digest files valid" in west.stdout
    # --strict checks every source region found in the bucket, after the selected one.
    strict = pinned("trail", "validate-digest", "--trail", "mr-trail", "-o", "table", "--strict")
    assert strict.exit_code == 3
    assert "\nAccount 123456789012, region eu-west-1, trail mr-trail (s3://mr-vbucket/AWSLogs/123456789012/):\n" in strict.stdout
    assert f"s3://mr-vbucket/{west_log.relative_to(bucket)}\tINVALID: hash value doesn't match" in strict.stderr
    report = json.loads(pinned("trail", "validate-digest", "--trail", "mr-trail", "--strict", "-o", "json").stdout)
    # Digests are written for every region the trail covers (the 17 default-enabled ones), events or not.
    assert report["SourceRegions"][0] == "us-east-1" and "eu-west-1" in report["SourceRegions"]
    assert len(report["SourceRegions"]) == 17 and report["Valid"] is False
    # --path (a downloaded bucket): every region found, reported per region; --region narrows it to one.
    offline = pinned("trail", "validate-digest", "--path", str(bucket), "-o", "table", "--verbose")
    assert offline.exit_code == 3 and "/CloudTrail-Digest/us-east-1/" in offline.stdout
    assert "Account 123456789012, region eu-west-1, trail mr-trail" in offline.stdout
    offline = pinned("--region", "us-east-1", "trail", "validate-digest", "--path", str(bucket), "-o", "table", "--verbose")
    assert offline.exit_code == 0 and "/CloudTrail-Digest/eu-west-1/" not in offline.stdout
    offline = pinned("--region", "eu-west-1", "trail", "validate-digest", "--path", str(bucket), "-o", "table")
    assert offline.exit_code == 3 and "INVALID: hash value doesn't match" in offline.stderr


def test_fatal_source_errors_are_one_line_with_the_right_exit_code() -> None:
    from awsmon.services.trail_validate import fatal_error

    html = "An error occurred (500) when calling the ListPublicKeys operation: <!doctype html>\n<html>\n<h1>Oops</h1>\n"
    err = fatal_error(html, "access_denied")
    assert err.exit_code == 1 and "\n" not in err.message and err.message.endswith("<!doctype html>")
    denied = fatal_error("An error occurred (AccessDenied) when calling the GetObject operation: Access Denied", "access_denied")
    assert denied.exit_code == 4
    assert fatal_error("Invalid time range specified", "bad_time_range").exit_code == 2


def test_path_bad_inputs_are_one_line_usage_errors(pinned: Cli, tmp_path: Path) -> None:
    res = pinned("trail", "validate-digest", "--path", str(tmp_path / "missing"))
    assert res.exit_code == 2 and res.stderr.count("\n") == 1 and res.stderr.startswith("awsmon: error: "), res.stderr
    # A folder without any CloudTrail layout below it: nothing validated (exit 3), saying where it looked.
    (tmp_path / "empty").mkdir()
    res = pinned("trail", "validate-digest", "--path", str(tmp_path / "empty"))
    assert res.exit_code == 3 and res.stdout == ""
    assert res.stderr.startswith(f"awsmon: error: nothing validated: no digest file was verified in {tmp_path / 'empty'}")
    assert "no AWSLogs folder found below it" in res.stderr and "--allow-empty" in res.stderr
    assert pinned("trail", "validate-digest", "--path", str(tmp_path / "empty"), "--allow-empty").exit_code == 0


def test_s3_source_lists_region_folders(moto_env: dict[str, str]) -> None:
    import boto3

    from awsmon.services.digest_sources import S3DigestSource

    s3 = boto3.client("s3", endpoint_url=moto_env["AWSMON_ENDPOINT_URL"], region_name="us-east-1")
    s3.create_bucket(Bucket="folders-bucket")
    root = f"p/AWSLogs/{ACCOUNT}/CloudTrail-Digest"
    for key in (f"{root}/us-east-1/2026/x.json.gz", f"{root}/eu-west-1/2026/y.json.gz", f"{root}/eu-west-1/z", "p/other"):
        s3.put_object(Bucket="folders-bucket", Key=key, Body=b"x")
    source = S3DigestSource(lambda: s3, None)
    assert source.list_folders("folders-bucket", root) == ["eu-west-1", "us-east-1"]
    assert source.list_folders("folders-bucket", "nothing/here") == []
