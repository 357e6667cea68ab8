"""Shared helpers for the benchmark scripts: timing commands and finding (or installing) peer tools."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

PEERS = Path(os.environ.get("AWSMON_BENCH_PEERS", Path.home() / ".cache" / "awsmon-bench"))


def median_wall(cmd: list[str], runs: int = 15, env: dict[str, str] | None = None, warmup: int = 2) -> float:
    """Median wall time in seconds of running ``cmd`` (stdout discarded)."""
    times = []
    for i in range(warmup + runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def median_wall_cpu(cmd: list[str], runs: int = 15, env: dict[str, str] | None = None,
                    warmup: int = 2) -> tuple[float, float, str]:  # fmt: skip
    """Median wall and median CPU seconds (user + system of the command and its children) of running ``cmd``, and
    the stdout of the last run. On a shared machine the CPU time is the figure the load moves least."""
    import resource

    walls, cpus, out = [], [], ""
    for i in range(warmup + runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        res = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if i >= warmup:
            walls.append(wall)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
            out = res.stdout
    return statistics.median(walls), statistics.median(cpus), out


def aws_cli() -> str | None:
    """The aws-cli executable: on PATH, or installed from PyPI into a side virtualenv (never into awsmon's)."""
    found = shutil.which("aws")
    if found:
        return found
    venv = PEERS / "awscli-venv"
    exe = venv / "bin" / "aws"
    if not exe.exists():
        print("installing aws-cli from PyPI into", venv, file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        res = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "awscli"], check=False)
        if res.returncode != 0:
            return None
    return str(exe) if exe.exists() else None


def awsmon() -> str:
    exe = shutil.which("awsmon")
    if exe:
        return exe
    return str(Path(sys.executable).parent / "awsmon")
