"""awsmon demo: idempotent, quick, and every "try next" line it prints works."""

from __future__ import annotations

import shlex
import time

from tests.conftest import Cli


def test_demo_is_idempotent_and_its_suggestions_work(cli: Cli) -> None:
    started = time.perf_counter()
    first = cli.json("demo")
    assert time.perf_counter() - started < 30
    assert {"trail", "logs", "metrics", "alarms"} <= set(first["Steps"])
    second = cli.json("demo")
    assert second["Steps"] == first["Steps"]
    assert second["TryNext"] == first["TryNext"]
    # the trail was back-dated on the fresh account: a signed digest exists and validates
    assert cli("trail", "validate-digest", "--trail", "awsmon-demo").exit_code == 0
    for line in first["TryNext"]:
        command = line.split("  #", 1)[0].strip()
        for part in command.split("&&"):
            argv = shlex.split(part)
            assert argv[0] == "awsmon", line
            if "--follow" in argv:
                continue
            assert not any("../shared" in a for a in argv), f"the demo points a user at ../shared: {line}"
            samples = cli.ok("demo", "--samples-path").stdout.strip()
            argv = [samples if a == "$(awsmon demo --samples-path)" else a for a in argv]
            res = cli(*argv[1:])
            # checks exit 3 by design when the demo's alarm fires or a Config rule is non-compliant
            assert res.exit_code in (0, 3), f"{part}: {res.exit_code}\n{res.stderr}"
            assert "Traceback" not in res.stderr


def test_demo_imports_the_sample_logs_shipped_in_the_package(cli: Cli) -> None:
    from pathlib import Path

    import awsmon

    path = Path(cli.ok("demo", "--samples-path").stdout.strip())
    package = Path(awsmon.__file__).resolve().parent
    assert path.is_dir() and path.is_relative_to(package)  # package data, installed with awsmon
    files = sorted(path.iterdir())
    assert len(files) == 44 and all(f.name.endswith(".json.gz") for f in files)
    assert sum(f.stat().st_size for f in files) < 200_000  # small enough to ship
    licence = (package / "samples" / "LICENSE-cloudtrail").read_text()
    assert "MIT License" in licence and "Invictus Incident Response" in licence
    assert cli.json("demo", "--samples-path", "-o", "json") == {"CloudTrail": str(path)}
    cli.ok("demo")
    events = cli.json("trail", "lookup", "--start", "2023-07-10", "--end", "2023-07-11", "--max-results", "2000")["Events"]
    assert len(events) == 956  # every sample record, once (the import is idempotent by eventID)
    cli.ok("demo")
    again = cli.json("trail", "lookup", "--start", "2023-07-10", "--end", "2023-07-11", "--max-results", "2000")["Events"]
    assert len(again) == 956
    logins = cli.json("trail", "lookup", "--event-name", "ConsoleLogin", "--start", "2023-07-10", "--end", "2023-07-11")
    assert len(logins["Events"]) == 2


def test_demo_rules_deliver_to_a_queue_that_exists(pinned: Cli) -> None:
    # the demo's rules targeted the SQS queue awsmon-demo-events without creating it: every delivery Failed
    pinned.ok("demo")
    pinned.ok("logs", "create-group", "--name", "/demo/new")
    pinned.ok("account", "clock", "advance", "10m")
    deliveries = pinned.json("rules", "deliveries")["Deliveries"]
    assert deliveries and {d["Status"] for d in deliveries} == {"Delivered"}, deliveries
    messages = pinned.json("sqs", "receive-message", "--queue-url", "awsmon-demo-events",
                           "--max-number-of-messages", "10")["Messages"]  # fmt: skip
    assert any("/demo/new" in m["Body"] for m in messages)
    table = pinned.ok("rules", "deliveries", "-o", "table").stdout
    assert table.splitlines()[0].split()[-1] == "Detail"  # why a delivery failed is shown


def test_try_next_fits_80_columns_and_pastes_as_the_same_commands(pinned: Cli) -> None:
    data = pinned.json("demo")
    text = pinned.ok("demo", "-o", "table", "--color", "always", env={"COLUMNS": "80"}).stdout
    lines = text.splitlines()[1:]  # after "Try next:"
    commands, current = [], ""
    for line in lines:
        if line.startswith("  # "):
            continue  # a comment that did not fit beside its command
        current += line.strip().removesuffix("\\").rstrip() + " " if line.endswith(" \\") else line.strip()
        if not line.endswith(" \\"):
            commands.append(current.split("  #")[0].strip())
            current = ""
        # a line is longer than 80 only when one option alone is (the JSON of test-event-pattern)
        assert len(line) <= 80 or line.count(" --") <= 1, line
    assert commands == [t.split("  #")[0].strip() for t in data["TryNext"]]
    assert "# every call above was recorded as a CloudTrail event" in text
    piped = pinned.ok("demo", "-o", "table", env={"COLUMNS": "80"}).stdout  # piped text is never fitted
    assert piped.splitlines()[1:] == [f"  {t.split('  #')[0].strip():<39} # {t.split('  #')[1].strip()}"
                                      if "  #" in t else f"  {t}" for t in data["TryNext"]]  # fmt: skip
