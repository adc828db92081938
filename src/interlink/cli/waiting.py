"""Waiting for the server with a progress display: a spinner on stdout for people (nothing
with --json, so the JSON stays alone), polls `poll_interval` apart, bounded by `timeout`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from time import monotonic, sleep
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

from interlink.cli.output import EXIT_INTERRUPTED, EXIT_TIMEOUT, console, fail

Timeout = Annotated[float, typer.Option(min=0, help="Seconds to wait at most")]
PollInterval = Annotated[float, typer.Option(min=0.01, help="Seconds between two looks")]


@contextmanager
def progress(quiet: bool, description: str, total: int | None = None) -> Iterator[Progress]:
    """A spinner (and a bar when `total` is known) that leaves no line behind."""
    columns = [SpinnerColumn(), TextColumn("{task.description}")]
    if total:
        columns += [BarColumn(), MofNCompleteColumn()]
    with Progress(*columns, console=console, disable=quiet, transient=True) as bar:
        bar.add_task(description, total=total)
        yield bar


def wait_until(
    look: Callable[[], bool], still: Callable[[], str], timeout: float, poll_interval: float
) -> None:
    """Call `look` until it says done; TIMED_OUT (exit 5) once `timeout` seconds have gone,
    with `still()` saying what was left (e.g. "operation op_1 is still queued"). Ctrl-C stops
    the wait, not the work: INTERRUPTED, exit 130."""
    ends = monotonic() + timeout
    try:
        while not look():
            if monotonic() >= ends:
                fail(f"{still()} after {timeout:g} seconds", "TIMED_OUT", EXIT_TIMEOUT)
            sleep(poll_interval)
    except KeyboardInterrupt:
        fail(
            f"stopped waiting: {still()}; it goes on on the server", "INTERRUPTED", EXIT_INTERRUPTED
        )
