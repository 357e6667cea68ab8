"""Run one invocation of a Python function in a child process and serve its boto3 calls (parent side).

The child (``bootstrap.py``) runs under the current interpreter with a clean environment (the variables AWS's
runtime sets, plus the function's own), its working directory the function's extracted code. Its stdout and stderr
go to a file (never a pipe that could fill up and block it); the two pipes carry only the call protocol. The
parent answers each boto3 call through the local backend, in this process, on the account store it already has
open, so the calls see the same simulated clock and the same transaction as the invocation itself.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import selectors
import signal
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BOOTSTRAP = Path(__file__).with_name("bootstrap.py")
# Variables kept from awsmon's own environment: what the interpreter needs to start and find its packages.
_KEEP_ENV = ("PATH", "PYTHONPATH", "LANG", "LC_ALL", "VIRTUAL_ENV", "SYSTEMROOT", "LD_LIBRARY_PATH")


@dataclass
class RunResult:
    """What one run produced: the response payload or an error payload, the log lines, timings and memory."""

    payload: str | None = None  # the JSON text returned by the handler
    error: dict[str, Any] | None = None  # errorMessage/errorType/requestId/stackTrace
    timed_out: bool = False
    init_ms: float | None = None
    duration_ms: float = 0.0
    max_memory_mb: int = 0
    log_lines: list[str] = field(default_factory=list)  # what the function printed and logged, one event each


def _read_exact(fd: int, n: int, deadline: float) -> bytes | None:
    buf = bytearray()
    sel = selectors.DefaultSelector()
    sel.register(fd, selectors.EVENT_READ)
    try:
        while len(buf) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not sel.select(remaining):
                raise TimeoutError
            chunk = os.read(fd, n - len(buf))
            if not chunk:
                return None  # the child exited (or crashed) without answering
            buf += chunk
    finally:
        sel.close()
    return bytes(buf)


def _write_msg(fd: int, msg: Any) -> None:
    data = pickle.dumps(msg, protocol=pickle.HIGHEST_PROTOCOL)
    data = struct.pack(">I", len(data)) + data
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def split_output(text: str) -> list[str]:
    """The child's output as log events: one per line, except an error block (between \\x1e marks) kept whole."""
    events: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "\x1e":
            end = text.find("\x1e", i + 1)
            end = len(text) if end < 0 else end
            events.append(text[i + 1 : end])
            i = end + 1
            if text[i : i + 1] == "\n":
                i += 1
            continue
        end = text.find("\n", i)
        mark = text.find("\x1e", i)
        if mark >= 0 and (end < 0 or mark < end):
            if mark > i:
                events.append(text[i:mark])
            i = mark
            continue
        end = len(text) if end < 0 else end
        events.append(text[i:end])
        i = end + 1
    return [e for e in events if e]


def run(
    *,
    code_dir: Path,
    handler: str,
    env: dict[str, str],
    event_json: str,
    request_id: str,
    function_arn: str,
    timeout_s: float,
    clock_offset_s: float = 0.0,
    serve: Callable[[str, str, dict[str, Any]], Any],
) -> RunResult:
    """Run the handler once. ``serve(service, operation, params)`` answers a boto3 call (or raises ServiceError)."""
    from awsmon.errors import ServiceError

    result = RunResult()
    parent_r, child_w = os.pipe()
    child_r, parent_w = os.pipe()
    with tempfile.TemporaryDirectory(prefix="awsmon-lambda-") as tmp:
        event_file = Path(tmp) / "event.json"
        event_file.write_text(event_json, encoding="utf-8")
        out_path = Path(tmp) / "output"
        child_env = {k: os.environ[k] for k in _KEEP_ENV if k in os.environ}
        child_env.update(env)
        child_env.update({
            "_HANDLER": handler,
            "LAMBDA_TASK_ROOT": str(code_dir),
            "PYTHONUNBUFFERED": "1",  # prints reach the log even when the function is killed at its timeout
            "PYTHONDONTWRITEBYTECODE": "1",
            "_AWSMON_LAMBDA_FDS": f"{child_r},{child_w}",
            "_AWSMON_LAMBDA_TIMEOUT": str(timeout_s),
            "_AWSMON_LAMBDA_REQUEST_ID": request_id,
            "_AWSMON_LAMBDA_EVENT_FILE": str(event_file),
            "_AWSMON_LAMBDA_ARN": function_arn,
            "_AWSMON_LAMBDA_CLOCK_OFFSET": repr(clock_offset_s),
        })  # fmt: skip
        started = time.monotonic()
        measured_mb = 0
        deadline = started + timeout_s
        with open(out_path, "wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-P", str(BOOTSTRAP)],
                cwd=code_dir, env=child_env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                pass_fds=(child_r, child_w), start_new_session=True,
            )  # fmt: skip
        os.close(child_r)
        os.close(child_w)
        try:
            while True:
                try:
                    head = _read_exact(parent_r, 4, deadline)
                    body = None if head is None else _read_exact(parent_r, struct.unpack(">I", head)[0], deadline)
                except TimeoutError:
                    result.timed_out = True
                    break
                if body is None:
                    break
                msg = pickle.loads(body)
                kind = msg[0]
                if kind == "call":
                    try:
                        reply: tuple[Any, ...] = ("ok", serve(msg[1], msg[2], msg[3]))
                    except ServiceError as exc:
                        reply = ("err", exc.code, exc.message, int(getattr(exc, "status", 400) or 400))
                    except Exception as exc:  # a bug or an unsupported call must not hang the function
                        reply = ("err", "InternalFailure", f"{type(exc).__name__}: {exc}", 500)
                    with contextlib.suppress(BrokenPipeError):
                        _write_msg(parent_w, reply)
                elif kind == "init":
                    result.init_ms = float(msg[1])
                elif kind == "memory":
                    measured_mb = int(msg[1])
                elif kind == "result":
                    result.payload = msg[1]
                elif kind == "error":
                    result.error = msg[1]
        finally:
            os.close(parent_r)
            os.close(parent_w)
            if result.timed_out:
                measured_mb = measured_mb or _peak_mb_of(proc.pid)  # read before the kill: it sent none
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
            _pid, _status, usage = os.wait4(proc.pid, 0)
            proc.returncode = _status
        result.duration_ms = (time.monotonic() - started) * 1000
        if result.timed_out:
            result.duration_ms = max(result.duration_ms, timeout_s * 1000)
        # The child's own peak; wait4's ru_maxrss (KiB) includes the parent's pages mapped before exec.
        result.max_memory_mb = max(1, measured_mb or -(-int(usage.ru_maxrss) // 1024))
        text = out_path.read_bytes().decode("utf-8", "replace")
    result.log_lines = split_output(text)
    if result.payload is None and result.error is None and not result.timed_out:
        code = os.WEXITSTATUS(_status) if os.WIFEXITED(_status) else -os.WTERMSIG(_status)
        result.error = {"errorType": "Runtime.ExitError",
                        "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: exit status {code}"}  # fmt: skip
    return result


def _peak_mb_of(pid: int) -> int:
    """A live process's own peak RSS (VmHWM) in MB, or 0 when it cannot be read."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return -(-int(line.split()[1]) // 1024)
    except (OSError, ValueError, IndexError):
        pass
    return 0
