"""awsmon demo: idempotent, quick, and every "try next" line it prints works."""

from __future__ import annotations

import shlex
import time

from tests.conftest import Cli, shared_path


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
            if any("../shared" in a for a in argv):
                argv = [str(shared_path("datasets", "cloudtrail", "invictus")) if "../shared" in a else a for a in argv]
            res = cli(*argv[1:])
            # checks exit 3 by design when the demo's alarm fires or a Config rule is non-compliant
            assert res.exit_code in (0, 3), f"{part}: {res.exit_code}\n{res.stderr}"
            assert "Traceback" not in res.stderr
