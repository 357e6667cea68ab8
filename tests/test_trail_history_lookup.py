"""The history store's read path (history.lookup): a first page equals a brute-force answer over every record for
each lookup attribute and for time ranges across many overlapping blocks; EventId finds its record by text."""

from __future__ import annotations

import gzip
import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _records(seed: int, n: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        user = f"user{rng.randrange(6)}"
        out.append({
            "eventVersion": "1.10", "eventID": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "eventTime": (T0 + timedelta(seconds=rng.randrange(14 * 86400))).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": rng.choice(["iam.amazonaws.com", "ec2.amazonaws.com"]), "eventName": rng.choice(
                ["GetUser", "RunInstances", "DeleteTrail"]), "awsRegion": "eu-west-1", "eventCategory": "Management",
            "readOnly": rng.random() < 0.5, "userIdentity": {"type": "IAMUser", "userName": user,
                                                              "accessKeyId": f"AKIA{rng.randrange(4)}"},
            "resources": [{"type": "AWS::IAM::User", "ARN": f"arn:aws:iam::1:user/{user}"}],
        })  # fmt: skip
    return out


@pytest.fixture
def imported(pinned: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """1,500 records in 6 files of overlapping times, imported in small batches: many blocks whose time spans
    overlap (each batch is sorted on its own), as when files arrive out of order."""
    from awsmon.services import trail_import

    monkeypatch.setattr(trail_import, "BATCH_RECORDS", 250)
    recs: list[dict[str, Any]] = []
    for i in range(6):
        part = _records(i, 250)
        recs += part
        (tmp_path / f"f{i}.json.gz").write_bytes(gzip.compress(json.dumps({"Records": part}).encode()))
    # A record that names another record's eventID in its parameters: a text search finds both.
    recs[1]["requestParameters"] = {"ref": recs[0]["eventID"]}
    (tmp_path / "f0.json.gz").write_bytes(gzip.compress(json.dumps({"Records": recs[:250]}).encode()))
    assert pinned.json("trail", "import", str(tmp_path))["Imported"] == 1500
    return recs


def _expected(recs: list[dict[str, Any]], keep: Any, k: int = 50) -> list[str]:
    chosen = sorted((r for r in recs if keep(r)), key=lambda r: (r["eventTime"], r["eventID"]), reverse=True)
    return [r["eventID"] for r in chosen[:k]]


def _page(cli: Cli, *args: str) -> list[str]:
    got = cli.json("--region", "eu-west-1", "trail", "lookup", *args, "--max-results", "50")["Events"]
    return [e["EventId"] for e in got]


def test_time_ranges_across_overlapping_blocks_equal_a_full_scan(pinned: Cli, imported: list[dict[str, Any]]) -> None:
    for start, hours in ((0, 24), (3 * 24 + 5, 7), (13 * 24, 48), (6 * 24, 1)):
        lo, hi = T0 + timedelta(hours=start), T0 + timedelta(hours=start + hours)
        lo_s, hi_s = lo.strftime("%Y-%m-%dT%H:%M:%SZ"), hi.strftime("%Y-%m-%dT%H:%M:%SZ")
        want = _expected(imported, lambda r, a=lo_s, b=hi_s: a <= r["eventTime"] <= b)
        assert _page(pinned, "--start", lo_s, "--end", hi_s) == want, (lo_s, hi_s)


def test_each_attribute_s_first_page_equals_a_full_scan(pinned: Cli, imported: list[dict[str, Any]]) -> None:
    cases = [(["--username", "user3"], lambda r: r["userIdentity"]["userName"] == "user3"),
             (["--event-name", "DeleteTrail"], lambda r: r["eventName"] == "DeleteTrail"),
             (["--read-only", "false"], lambda r: not r["readOnly"]),
             (["--access-key-id", "AKIA2"], lambda r: r["userIdentity"]["accessKeyId"] == "AKIA2"),
             (["--resource-name", "arn:aws:iam::1:user/user5"], lambda r: r["resources"][0]["ARN"].endswith("user5")),
             (["--event-source", "iam.amazonaws.com"], lambda r: r["eventSource"] == "iam.amazonaws.com"),
             (["--resource-type", "AWS::IAM::User"], lambda r: True)]  # fmt: skip
    for args, keep in cases:
        assert _page(pinned, *args) == _expected(imported, keep), args


def _all_pages(cli: Cli, *args: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = cli.json("--region", "eu-west-1", "trail", "lookup", *args, "--max-results", "50",
                        *(["--next-token", token] if token else []))  # fmt: skip
        events += page["Events"]
        token = page.get("NextToken")
        if not token:
            return events


def test_every_page_in_order_equals_a_full_scan_and_each_event_its_record(pinned: Cli,
                                                                            imported: list[dict[str, Any]]) -> None:  # fmt: skip
    """Following NextToken over many overlapping blocks: every matching record once, newest first (ties by eventID),
    each event's fields derived from its own record."""
    by_id = {r["eventID"]: r for r in imported}
    lo, hi = T0 + timedelta(days=2), T0 + timedelta(days=9)
    lo_s, hi_s = lo.strftime("%Y-%m-%dT%H:%M:%SZ"), hi.strftime("%Y-%m-%dT%H:%M:%SZ")
    for args, keep in ((["--username", "user2"], lambda r: r["userIdentity"]["userName"] == "user2"),
                       (["--start", lo_s, "--end", hi_s], lambda r: lo_s <= r["eventTime"] <= hi_s),
                       (["--read-only", "true"], lambda r: r["readOnly"])):  # fmt: skip
        events = [e for e in _all_pages(pinned, *args) if e.get("awsmonOrigin") == "import"]  # not its own calls
        assert [e["EventId"] for e in events] == _expected(imported, keep, k=len(imported)), args
        for e in events:
            rec = by_id[e["EventId"]]
            assert json.loads(e["CloudTrailEvent"]) == rec
            assert (e["EventName"], e["EventSource"], e["Username"], e["AccessKeyId"], e["ReadOnly"]) == (
                rec["eventName"], rec["eventSource"], rec["userIdentity"]["userName"],
                rec["userIdentity"]["accessKeyId"], str(rec["readOnly"]).lower())  # fmt: skip
            assert e["Resources"] == [{"ResourceType": "AWS::IAM::User", "ResourceName": rec["resources"][0]["ARN"]}]
            assert e["EventTime"] == rec["eventTime"]


def test_event_id_is_found_by_its_own_record_only(pinned: Cli, imported: list[dict[str, Any]]) -> None:
    target = imported[0]["eventID"]  # also named inside imported[1]'s requestParameters
    assert _page(pinned, "--event-id", target) == [target]
    assert _page(pinned, "--event-id", imported[777]["eventID"]) == [imported[777]["eventID"]]
    assert _page(pinned, "--event-id", str(uuid.UUID(int=5, version=4))) == []


def test_block_lines_by_slot() -> None:
    import struct

    from awsmon.backends.local.history import _Block

    lines = [b'{"eventID":"a"}', b'{"eventID":"b","x":"\\"a\\""}', b'{"eventID":"c"}']
    raw = struct.pack("<H3q", 3, 30, 20, 10) + b"\n".join(lines)  # the last line has no newline after it
    block = _Block(raw)
    assert block.times == (30, 20, 10)
    assert [block.line(s) for s in (2, 0, 1)] == [lines[2], lines[0], lines[1]]
    assert block.slots_holding("a") == [0] and block.slots_holding("c") == [2]
    assert block.slots_holding("a/b") is None and block.slots_holding("é") is None  # could be escaped: scan all


def test_the_block_decompressor_loads_zstandard_s_extension_without_platform() -> None:
    """A fresh interpreter: the decompressor comes without zstandard's package (which imports platform), and a later
    ``import zstandard`` (an import in the same process) reuses the same extension module."""
    import subprocess
    import sys

    code = ("import sys; from awsmon.backends.local.history import decompressor; d = decompressor(); "
            "light = 'platform' not in sys.modules and 'zstandard' not in sys.modules; import zstandard; "
            "data = zstandard.ZstdCompressor().compress(b'x' * 1000); "
            "print(light, type(d) is zstandard.ZstdDecompressor, d.decompress(data) == b'x' * 1000)")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "True", "True"]
