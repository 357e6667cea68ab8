"""awsmon logs push: ship local files into CloudWatch Logs as the CloudWatch Logs agent does, on either backend.

* Lines become events; a line that does not start a new event (no timestamp at its start when a datetime format is
  given, else a line starting with white space) continues the one before (multi-line events).
* Timestamps are parsed with the datetime format (awslogs' strftime style); lines without one take the time they
  are read (the simulated clock on the local backend).
* Batches respect PutLogEvents' limits: 10,000 events, 1,048,576 bytes counting 26 bytes per event, a 24-hour span,
  chronological order inside a batch; events over 256 KB are truncated as the agent does.
* The group and stream are created when missing (after PutLogEvents answers ResourceNotFoundException).
* The position in each file is remembered in a state file after every accepted batch, so a restart resumes where
  the last run stopped; a file that shrank or was replaced (another inode) is read again from its start.
* An agent configuration (awslogs.conf ``[/var/log/messages]`` sections, or the unified CloudWatch agent's JSON
  ``logs.logs_collected.files.collect_list``) gives the files and their settings.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from awsmon.context import AppContext
from awsmon.errors import ServiceError, UsageError
from awsmon.inputs import expand_path

MAX_BATCH_EVENTS = 10_000
MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD = 26
MAX_EVENT_BYTES = 262_144 - EVENT_OVERHEAD
MAX_SPAN_MS = 24 * 3600 * 1000


@dataclass
class FileSpec:
    """One file to ship and where, as an agent configuration section describes it."""

    path: Path
    group: str
    stream: str
    datetime_format: str | None = None
    initial_position: str = "start_of_file"  # or end_of_file (only when no state is remembered)
    multi_line_start_pattern: str | None = None  # a regex, or "{datetime_format}"
    time_zone: str = "UTC"


@dataclass
class FileResult:
    spec: FileSpec
    events: int = 0
    batches: int = 0
    bytes: int = 0
    rejected: int = 0
    offset: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"File": str(self.spec.path), "LogGroupName": self.spec.group, "LogStreamName": self.spec.stream,
                "Events": self.events, "Batches": self.batches, "Bytes": self.bytes, "Rejected": self.rejected,
                "Offset": self.offset}  # fmt: skip


# -- agent configuration ------------------------------------------------------------------------------------------
def _substitute(text: str, variables: dict[str, str | None], where: str) -> str:
    def repl(m: re.Match[str]) -> str:
        key = m.group(1)
        if key not in variables:
            return m.group(0)
        value = variables[key]
        if not value:
            raise UsageError(f"{where} uses {{{key}}}: give --instance-id (there is no instance metadata here)")
        return value

    return re.sub(r"\{(\w+)\}", repl, text)


def _variables(instance_id: str | None) -> dict[str, str | None]:
    host = socket.gethostname()
    return {"instance_id": instance_id, "hostname": host, "local_hostname": host, "ip_address": "127.0.0.1"}


def read_agent_config(path: Path, instance_id: str | None) -> tuple[list[FileSpec], Path | None]:
    """File specs (and the awslogs ``state_file``, if any) from an awslogs.conf or a unified agent JSON file."""
    from awsmon.inputs import read_file_text

    text = read_file_text(path, "--agent-config")
    variables = _variables(instance_id)
    if text.lstrip().startswith("{"):
        return _unified_config(text, path, variables), None
    parser = configparser.RawConfigParser(interpolation=None)
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as exc:
        raise UsageError(f"--agent-config {path}: {str(exc).splitlines()[0]}") from None
    specs: list[FileSpec] = []
    for section in parser.sections():
        if section == "general":
            continue
        s = parser[section]
        missing = [k for k in ("file", "log_group_name") if not s.get(k)]
        if missing:
            raise UsageError(f"--agent-config {path}: section [{section}] lacks {', '.join(missing)}")
        where = f"--agent-config section [{section}]"
        stream = s.get("log_stream_name") or "{instance_id}"
        specs.append(FileSpec(
            path=expand_path(s["file"], "file"),
            group=_substitute(s["log_group_name"], variables, where),
            stream=_substitute(stream, variables, where),
            datetime_format=s.get("datetime_format") or None,
            initial_position=(s.get("initial_position") or "start_of_file").strip(),
            multi_line_start_pattern=s.get("multi_line_start_pattern") or None,
            time_zone=(s.get("time_zone") or "LOCAL").strip().upper(),
        ))  # fmt: skip
    state = parser.get("general", "state_file", fallback=None) if parser.has_section("general") else None
    if not specs:
        raise UsageError(f"--agent-config {path}: no file sections (such as [/var/log/messages])")
    return specs, expand_path(state, "state_file") if state else None


def _unified_config(text: str, path: Path, variables: dict[str, str | None]) -> list[FileSpec]:
    from awsmon.inputs import loads_json

    doc = loads_json(text, f"--agent-config {path}")
    collect = (((doc.get("logs") or {}).get("logs_collected") or {}).get("files") or {}).get("collect_list")
    if not isinstance(collect, list) or not collect:
        raise UsageError(f"--agent-config {path}: no logs.logs_collected.files.collect_list entries")
    specs = []
    for i, entry in enumerate(collect):
        if not isinstance(entry, dict) or not entry.get("file_path"):
            raise UsageError(f"--agent-config {path}: collect_list[{i}] lacks file_path")
        where = f"--agent-config collect_list[{i}]"
        file_path = expand_path(entry["file_path"], "file_path")
        group = entry.get("log_group_name") or file_path.name  # the agent's default is the file name
        specs.append(FileSpec(
            path=file_path,
            group=_substitute(group, variables, where),
            stream=_substitute(entry.get("log_stream_name") or "{instance_id}", variables, where),
            datetime_format=entry.get("timestamp_format") or None,
            multi_line_start_pattern=entry.get("multi_line_start_pattern") or None,
            time_zone=str(entry.get("timezone") or "LOCAL").upper(),
        ))  # fmt: skip
    return specs


# -- state ----------------------------------------------------------------------------------------------------------
class State:
    """``{abs path: {"offset", "inode", "group", "stream"}}`` in a JSON file written atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.data: dict[str, dict[str, Any]] = json.loads(path.read_text())
        except FileNotFoundError:
            self.data = {}
        except (OSError, ValueError) as exc:
            raise UsageError(f"--state-file {path}: unreadable ({exc}); move it away to start from scratch") from None

    @staticmethod
    def key(spec: FileSpec) -> str:
        return f"{spec.path.resolve()}|{spec.group}|{spec.stream}"

    def get(self, spec: FileSpec) -> dict[str, Any] | None:
        return self.data.get(self.key(spec))

    def put(self, spec: FileSpec, offset: int, inode: int) -> None:
        from awsmon.backends.local.store import atomic_write

        self.data[self.key(spec)] = {"offset": offset, "inode": inode}
        atomic_write(self.path, json.dumps(self.data, indent=1, sort_keys=True).encode() + b"\n", mode=0o600)


# -- reading --------------------------------------------------------------------------------------------------------
@dataclass
class _Reader:
    spec: FileSpec
    offset: int = 0
    inode: int = 0
    pending: bytes = b""  # bytes of an unfinished event kept for the next poll (follow mode)
    events: list[tuple[int, str, int]] = field(default_factory=list)  # (timestamp ms, message, end offset)


def _start_pattern(spec: FileSpec, tf: Any) -> Any:
    from awsmon.engines.logtime import compile_format

    p = spec.multi_line_start_pattern
    if p == "{datetime_format}" or (p is None and tf is not None):
        return tf
    if p:
        if "{datetime_format}" in p and spec.datetime_format:
            return compile_format(spec.datetime_format)
        try:
            return re.compile(p)
        except re.error as exc:
            raise UsageError(f"multi_line_start_pattern {p!r}: {exc}") from None
    return None


def _poll(reader: _Reader, ctx: AppContext, *, final: bool, tz: Any, start: Any, tf: Any) -> None:
    """Read what the file gained since the last poll; complete events go to ``reader.events``."""
    from awsmon.engines.logtime import group_lines

    spec = reader.spec
    try:
        st = os.stat(spec.path)
    except FileNotFoundError:
        return
    if st.st_ino != reader.inode or st.st_size < reader.offset + len(reader.pending):
        reader.inode, reader.offset, reader.pending = st.st_ino, 0, b""  # rotated or truncated: from the start
    read_from = reader.offset + len(reader.pending)
    with open(spec.path, "rb") as fh:
        fh.seek(read_from)
        fresh = fh.read()
    data = reader.pending + fresh
    base = reader.offset
    if not final:
        cut = data.rfind(b"\n") + 1  # only complete lines while following
        tail = data[cut:]
        data = data[:cut]
    else:
        tail = b""
    lines: list[str] = []
    ends: list[int] = []
    pos = 0
    for raw in data.splitlines(keepends=True):
        pos += len(raw)
        lines.append(raw.decode("utf-8", "replace").rstrip("\r\n"))
        ends.append(base + pos)
    groups = group_lines(lines, start)
    # While following, the last event may still gain continuation lines: keep it back until a poll finds the
    # file idle (or the run ends).
    if not final and fresh and groups:
        last = groups.pop()
        keep_from = (ends[last[0] - 1] if last[0] else base) - base
        reader.pending = data[keep_from:] + tail
    else:
        reader.pending = tail
    now_ms = int(ctx.now().timestamp() * 1000)
    for g in groups:
        message = "\n".join(lines[i] for i in g)
        if not message.strip():
            continue
        encoded = message.encode("utf-8")
        if len(encoded) > MAX_EVENT_BYTES:  # the agent truncates oversized events
            message = encoded[:MAX_EVENT_BYTES].decode("utf-8", "ignore")
        ts = None
        if tf is not None:
            parsed = tf.parse(lines[g[0]], ctx.now(), tz)
            ts = None if parsed is None else int(parsed.timestamp() * 1000)
        reader.events.append((now_ms if ts is None else ts, message, ends[g[-1]]))
    if groups:
        reader.offset = ends[groups[-1][-1]]


def batches(events: list[tuple[int, str, int]]) -> Iterator[list[tuple[int, str, int]]]:
    """Split events into PutLogEvents batches: count, bytes (+26 each), 24 h span, chronological order."""
    batch: list[tuple[int, str, int]] = []
    size = 0
    for ev in events:
        ev_size = len(ev[1].encode("utf-8")) + EVENT_OVERHEAD
        if batch and (len(batch) >= MAX_BATCH_EVENTS or size + ev_size > MAX_BATCH_BYTES
                      or ev[0] < batch[-1][0] or ev[0] - batch[0][0] > MAX_SPAN_MS):  # fmt: skip
            yield batch
            batch, size = [], 0
        batch.append(ev)
        size += ev_size
    if batch:
        yield batch


def _put(ctx: AppContext, spec: FileSpec, batch: list[tuple[int, str, int]]) -> dict[str, Any]:
    client = ctx.client("logs")
    params = {"logGroupName": spec.group, "logStreamName": spec.stream,
              "logEvents": [{"timestamp": ts, "message": msg} for ts, msg, _ in batch]}  # fmt: skip
    try:
        return client.put_log_events(**params)
    except ServiceError as exc:
        if exc.code != "ResourceNotFoundException":
            raise
    for create in (lambda: client.create_log_group(logGroupName=spec.group),
                   lambda: client.create_log_stream(logGroupName=spec.group, logStreamName=spec.stream)):  # fmt: skip
        try:
            create()
        except ServiceError as exc:
            if exc.code != "ResourceAlreadyExistsException":
                raise
    return client.put_log_events(**params)


def _rejected(response: dict[str, Any], n: int) -> int:
    info = response.get("rejectedLogEventsInfo") or {}
    count = max(info.get("tooOldLogEventEndIndex", 0), info.get("expiredLogEventEndIndex", 0))
    if "tooNewLogEventStartIndex" in info:
        count += n - info["tooNewLogEventStartIndex"]
    return count


def push(
    ctx: AppContext,
    *,
    files: list[str],
    group: str | None = None,
    stream: str | None = None,
    datetime_format: str | None = None,
    follow: bool = False,
    agent_config: str | None = None,
    state_file: str | None = None,
    instance_id: str | None = None,
    initial_position: str | None = None,
    duration: float | None = None,
    interval: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    from awsmon.engines.logtime import DatetimeFormatError, compile_format

    specs: list[FileSpec] = []
    config_state: Path | None = None
    if agent_config:
        specs, config_state = read_agent_config(expand_path(agent_config, "--agent-config"), instance_id)
    if files:
        if not group or not stream:
            raise UsageError("logs push FILE... needs --log-group-name and --log-stream-name (or --agent-config)")
        variables = _variables(instance_id)
        for f in files:
            specs.append(FileSpec(expand_path(f, "--file"), _substitute(group, variables, "--log-group-name"),
                                  _substitute(stream, variables, "--log-stream-name"), datetime_format))  # fmt: skip
    if not specs:
        raise UsageError("give FILE... with --log-group-name and --log-stream-name, or --agent-config")
    if initial_position is not None:
        if initial_position not in ("start_of_file", "end_of_file"):
            raise UsageError("--initial-position must be start_of_file or end_of_file")
        for s in specs:
            s.initial_position = initial_position
    for s in specs:
        if not follow and not s.path.is_file():
            raise UsageError(f"cannot read {s.path}: no such file")
        if s.initial_position not in ("start_of_file", "end_of_file"):
            raise UsageError(f"initial_position {s.initial_position!r}: use start_of_file or end_of_file")
    state_path = expand_path(state_file, "--state-file") if state_file else config_state or Path(ctx.home.value) / "logs-push.state"
    state = State(state_path)
    prepared: list[tuple[_Reader, Any, Any, Any]] = []
    for s in specs:
        try:
            tf = compile_format(s.datetime_format) if s.datetime_format else None
        except DatetimeFormatError as exc:
            raise UsageError(str(exc)) from None
        tz: Any = UTC
        if s.time_zone == "LOCAL":
            tz = datetime.now().astimezone().tzinfo or UTC
        reader = _Reader(s)
        remembered = state.get(s)
        try:
            st = os.stat(s.path)
        except FileNotFoundError:
            st = None
        if st is not None:
            reader.inode = st.st_ino
            if remembered and remembered.get("inode") == st.st_ino and remembered.get("offset", 0) <= st.st_size:
                reader.offset = int(remembered["offset"])
            elif not remembered and s.initial_position == "end_of_file":
                reader.offset = st.st_size
        prepared.append((reader, tz, _start_pattern(s, tf), tf))
    results = {id(r): FileResult(r.spec, offset=r.offset) for r, *_ in prepared}
    deadline = None if duration is None else time.monotonic() + duration
    while True:
        stop = not follow or (deadline is not None and time.monotonic() >= deadline)
        for reader, tz, start, tf in prepared:
            _poll(reader, ctx, final=stop, tz=tz, start=start, tf=tf)
            res = results[id(reader)]
            for batch in batches(reader.events):
                response = _put(ctx, reader.spec, batch)
                res.rejected += _rejected(response, len(batch))
                res.events += len(batch)
                res.batches += 1
                res.bytes += sum(len(m.encode("utf-8")) for _, m, _ in batch)
                state.put(reader.spec, batch[-1][2], reader.inode)
                res.offset = batch[-1][2]
            reader.events = []
            if reader.offset > res.offset and not reader.pending:  # blank lines only: still consumed
                state.put(reader.spec, reader.offset, reader.inode)
                res.offset = reader.offset
        if stop:
            break
        sleep(interval if deadline is None else max(0.0, min(interval, deadline - time.monotonic())))
    return {"Files": [results[id(r)].as_dict() for r, *_ in prepared], "StateFile": str(state_path)}
