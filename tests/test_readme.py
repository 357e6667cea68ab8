"""The README's tour runs, top to bottom, on a fresh local account: every example is a working command."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from tests.conftest import REPO, Cli


def tour_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    tour = text[text.index("## A tour") : text.index("## The local account")]
    lines: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", tour, flags=re.S):
        joined = block.replace("\\\n", " ")
        lines.extend(line.strip() for line in joined.splitlines() if line.strip())
    return lines


def test_the_tour_runs(cli: Cli, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    samples = cli.ok("demo", "--samples-path").stdout.strip()  # the tour's "$(awsmon demo --samples-path)"
    commands = tour_commands()
    assert len(commands) > 50
    for line in commands:
        for part in line.split("&&"):
            argv = shlex.split(part, comments=True)
            env: dict[str, str] = {}
            while argv and re.match(r"^[A-Z_]+=", argv[0]):
                key, _, value = argv.pop(0).partition("=")
                env[key] = value
            redirect = None
            if ">" in argv:
                redirect = argv[argv.index(">") + 1]
                argv = argv[: argv.index(">")]
            if argv[0] in ("echo", "printf"):  # the tour writes the files it uses: a user has nothing else
                assert redirect and len(argv) == 2, line
                text = argv[1].replace("\\n", "\n") if argv[0] == "printf" else argv[1] + "\n"
                (work / redirect).write_text(text)
                continue
            assert argv[0] == "awsmon", line
            argv = [a.replace("$AWSMON_HOME", str(home)) for a in argv[1:]]
            argv = [samples if a == "$(awsmon demo --samples-path)" else a for a in argv]
            assert not any("../shared" in a for a in argv), f"README points a user at ../shared: {line}"
            if "--follow" in argv:
                continue
            res = cli(*argv, env=env)
            allowed = (0, 3) if argv[-1] == "check" or "check" in argv[:2] else (0,)
            assert res.exit_code in allowed, f"README: {line}\n-> exit {res.exit_code}\n{res.stderr}"
            assert "Traceback" not in res.stderr
            if argv[:2] == ["metrics", "get-data"]:  # "--end now" gave no datapoint: the end is exclusive, as in AWS
                assert any(r["Values"] for r in json.loads(res.stdout)["MetricDataResults"]), line
            if redirect:
                (work / redirect).write_text(res.stdout)
    # the tour's alarm fired and notified its file subscriber; the rule delivered the CreateLogGroup call
    assert (home / "outbox" / "alerts.jsonl").read_text().strip()
    assert cli.json("rules", "deliveries", "--rule", "new-groups")
