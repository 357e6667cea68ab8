"""Progress bars on stderr, shown only when stderr is a terminal (never in pipes, CI logs or tests)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def progress(description: str, total: float | None) -> Iterator[Callable[[float], None]]:
    """Yield ``advance(amount)``; a no-op unless stderr is a TTY."""
    if not sys.stderr.isatty():
        yield lambda _amount: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(file=sys.stderr),
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda amount: bar.advance(task, amount)


@contextlib.contextmanager
def counter(description: str) -> Iterator[Callable[[int, int | None], None]]:
    """Yield ``update(done, total)`` for a count whose total grows as work is found; a no-op unless stderr is a TTY.

    The bar (count, total and time remaining) starts at the first update, so anything printed before it (a
    header) stays above it; it is removed when done.
    """
    if not sys.stderr.isatty():
        yield lambda _done, _total: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    state: dict[str, object] = {}

    def update(done: int, total: int | None) -> None:
        if "bar" not in state:
            bar = Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                           TimeRemainingColumn(), console=Console(file=sys.stderr), transient=True)  # fmt: skip
            bar.start()
            state["bar"], state["task"] = bar, bar.add_task(description, total=total)
        bar = state["bar"]
        assert isinstance(bar, Progress)
        bar.update(state["task"], completed=done, total=total)  # type: ignore[arg-type]

    try:
        yield update
    finally:
        bar = state.get("bar")
        if isinstance(bar, Progress):
            bar.stop()
