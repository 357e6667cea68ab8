"""Gunzip + SHA-256 of local log files on every core: a small pool of forked worker processes.

Used by ``trail validate-digest`` for the files a digest source can name on disk (the local account's buckets and
``--path`` folders). Not ``multiprocessing``/``ProcessPoolExecutor``: importing them costs ~30 ms of start-up, and
their feeder and manager threads fight the chain walk for the GIL (a submit waited up to a switch interval). Here
the main process talks to each worker over two pipes with ``marshal``-encoded, length-prefixed messages, single
threaded: batches wait in the main process and go to a worker when it has fewer than ``_IN_FLIGHT`` batches, so
no pipe ever fills (no deadlock) and the last batches go to whichever worker is free.
"""

from __future__ import annotations

import errno
import marshal
import os
import select
from collections import deque
from collections.abc import Callable, Sequence

from awsmon.engines.digest import DEFAULT_CHUNK_SIZE, FileOutcome, hash_gzip_stream

_IN_FLIGHT = (
    2  # batches per worker: one being hashed, one waiting, so a worker never idles on the main process
)
_HEADER = 4


def hash_files(paths: Sequence[str], chunk_size: int = DEFAULT_CHUNK_SIZE) -> list[FileOutcome]:
    """Gunzip + SHA-256 of local files. Files are opened without following a final symlink (the caller checked the
    folders above them)."""
    out: list[FileOutcome] = []
    for path in paths:
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            out.append(("not_found", None, False))
            continue
        except PermissionError as exc:
            out.append((f"access_denied: AccessDenied: {exc}", None, False))
            continue
        except OSError as exc:
            out.append(("not_found" if exc.errno == errno.ELOOP else "invalid_format", None, False))
            continue
        try:
            with os.fdopen(fd, "rb", buffering=0) as fh:
                # Reads no larger than the file (+1 to see the end): a 1 MiB buffer per small log costs more.
                size = os.fstat(fh.fileno()).st_size
                outcome = hash_gzip_stream(fh, max(1, min(chunk_size, size + 1)))
        except IsADirectoryError:
            out.append(("not_found", None, False))
            continue
        except OSError:
            out.append(("invalid_format", None, False))
            continue
        if outcome.sha256 is None:
            out.append(("invalid_format", None, False))
        else:
            out.append(("ok", outcome.sha256, outcome.trailing_data))
    return out


def _write_msg(fd: int, obj: object) -> None:
    data = marshal.dumps(obj)
    view = memoryview(len(data).to_bytes(_HEADER, "big") + data)
    while view:
        view = view[os.write(fd, view) :]


def _read_exact(fd: int, n: int) -> bytes | None:
    parts: list[bytes] = []
    while n:
        chunk = os.read(fd, n)
        if not chunk:
            return None  # the other side is gone
        parts.append(chunk)
        n -= len(chunk)
    return b"".join(parts)


def _read_msg(fd: int) -> object | None:
    head = _read_exact(fd, _HEADER)
    if head is None:
        return None
    body = _read_exact(fd, int.from_bytes(head, "big"))
    return None if body is None else marshal.loads(body)


def _worker(tasks: int, results: int) -> None:
    """A worker's whole life: (paths, chunk size) in, outcomes (or an error text) out, until the task pipe closes."""
    while True:
        msg = _read_msg(tasks)
        if msg is None:
            return
        paths, chunk_size = msg  # type: ignore[misc]
        try:
            reply: object = hash_files(paths, chunk_size)
        except Exception as exc:  # reported to the main process, which raises it where the batch is awaited
            reply = f"{type(exc).__name__}: {exc}"
        _write_msg(results, reply)


class Batch:
    """A submitted batch; ``result()`` waits for (and drives) the pool until its outcomes are back."""

    def __init__(
        self, pool: FileHasher, paths: list[str], chunk_size: int, on_done: Callable[[], None] | None
    ):
        self.pool = pool
        self.task = (paths, chunk_size)
        self.on_done = on_done
        self.outcomes: list[FileOutcome] | None = None
        self.error: str | None = None

    @property
    def done(self) -> bool:
        return self.outcomes is not None or self.error is not None

    def result(self) -> list[FileOutcome]:
        while not self.done:
            self.pool.pump(block=True)
        if self.error is not None:
            raise RuntimeError(f"log hashing worker failed: {self.error}")
        assert self.outcomes is not None
        return self.outcomes


class FileHasher:
    """Worker processes hashing local log files (made by the caller, shared over validation runs).

    Workers are forked when the pool is made, before any thread of the run exists, so a fork never copies a lock
    held by another thread. Everything runs in the calling thread: ``submit``, ``pump`` and ``Batch.result``.
    Raises OSError where ``os.fork`` does not exist (the caller hashes on threads then).
    """

    def __init__(self, workers: int | None = None) -> None:
        if not hasattr(os, "fork"):
            raise OSError(errno.ENOSYS, "no os.fork on this platform")
        self.workers: list[tuple[int, int, int]] = []  # live workers: (pid, task write fd, result read fd)
        self.spawned: list[tuple[int, int, int]] = []
        self.in_flight: dict[int, deque[Batch]] = {}  # result fd -> batches sent, oldest first
        self.pending: deque[Batch] = deque()
        for _ in range(workers or os.cpu_count() or 1):
            self._spawn()

    def _spawn(self) -> None:
        task_r, task_w = os.pipe()
        result_r, result_w = os.pipe()
        pid = os.fork()
        if (
            pid == 0
        ):  # the worker: drop every fd of the main process's side, hash, never return into the caller
            code = 0
            try:
                import signal

                signal.signal(
                    signal.SIGINT, signal.SIG_DFL
                )  # Ctrl-C: the main process reports it, workers just go
                for _, w, r in self.workers:
                    os.close(w)
                    os.close(r)
                os.close(task_w)
                os.close(result_r)
                _worker(task_r, result_w)
            except BaseException:
                code = 1
            finally:
                os._exit(code)  # no atexit handlers, no flush of the parent's buffered output
        os.close(task_r)
        os.close(result_w)
        os.set_blocking(task_w, False)  # a large batch never blocks the main process: see _send
        self.workers.append((pid, task_w, result_r))
        self.spawned.append((pid, task_w, result_r))
        self.in_flight[result_r] = deque()

    def submit(self, paths: list[str], chunk_size: int, on_done: Callable[[], None] | None = None) -> Batch:
        batch = Batch(self, paths, chunk_size, on_done)
        self.pending.append(batch)
        self.pump(block=False)
        return batch

    def pump(self, block: bool) -> None:
        """Collect finished batches (waiting for one when ``block``), then hand pending batches to free workers."""
        busy = [fd for fd, q in self.in_flight.items() if q]
        if busy:
            ready, _, _ = select.select(busy, [], [], None if block and not self._free_worker() else 0)
            for fd in ready:
                self._collect(fd)
        while self.pending:
            free = self._free_worker()
            if free is None:
                break
            batch = self.pending.popleft()
            self.in_flight[free[2]].append(batch)
            self._send(free, batch)

    def _send(self, worker: tuple[int, int, int], batch: Batch) -> None:
        """Write a task, collecting the worker's results meanwhile if its pipe is full (it may be blocked writing
        them: neither side ever waits on the other)."""
        _, task_w, result_r = worker
        data = marshal.dumps(batch.task)
        view = memoryview(len(data).to_bytes(_HEADER, "big") + data)
        while view and not batch.done:
            try:
                view = view[os.write(task_w, view) :]
            except BlockingIOError:
                readable, _, _ = select.select([result_r], [task_w], [])
                if readable:
                    self._collect(result_r)
            except BrokenPipeError:
                self._collect(result_r)  # the worker is gone: its batches (this one too) fail

    def _free_worker(self) -> tuple[int, int, int] | None:
        best = min(self.workers, key=lambda w: len(self.in_flight[w[2]]), default=None)
        return (
            best if best is not None and len(self.in_flight[best[2]]) < _IN_FLIGHT and self.pending else None
        )

    def _collect(self, fd: int) -> None:
        batch = self.in_flight[fd].popleft()
        reply = _read_msg(fd)
        if isinstance(reply, list):
            batch.outcomes = [(str(s), h, bool(t)) for s, h, t in reply]
        elif reply is not None:
            batch.error = str(reply)  # an exception in the worker: it goes on with its next batch
        else:  # the worker exited (killed): its batches fail, the others carry on
            batch.error = "the worker process exited"
            failed = [*self.in_flight[fd]]
            self.in_flight[fd].clear()
            self.workers = [w for w in self.workers if w[2] != fd]
            if not self.workers:
                failed += self.pending
                self.pending.clear()
            for other in failed:
                other.error = batch.error
                if other.on_done is not None:
                    other.on_done()
        if batch.on_done is not None:
            batch.on_done()

    def close(self) -> None:
        """Close the task pipes (each worker exits after its batch) and reap the workers."""
        for _, task_w, result_r in self.spawned:
            for fd in (task_w, result_r):
                try:
                    os.close(fd)
                except OSError:
                    pass
        for pid, _, _ in self.spawned:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        self.workers, self.spawned = [], []
        self.pending.clear()

    def __enter__(self) -> FileHasher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
