"""Waiting for the server with a progress display: a spinner on stdout for people (nothing
with --json, so the JSON stays alone), polls `poll_interval` apart, bounded by `timeout`; and
an operation's own progress (`operation.progress` events, read from the live stream) as a bar,
or as a line each when stdout is not a terminal."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from functools import partial
from time import monotonic, sleep
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskProgressColumn,
    TextColumn,
)

from interlink.cli.output import EXIT_INTERRUPTED, EXIT_TIMEOUT, console, fail
from interlink.sdk import AsyncInterlink, Event, InterlinkSDKError, progress_of

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


ENDS = frozenset({"operation.completed", "operation.failed"})
SHOWN = ["operation.progress", *sorted(ENDS)]
ENDING = 5.0  # seconds an operation that has ended may take to say so on the stream, at most


class OperationProgress:
    """One operation's `operation.progress` events shown on `bar`, read from the live stream on
    a thread of its own (an event loop with its own client, so that `close` stops the read at
    once). An operation run now is known by the X-Request-ID the command sends (`request_id`),
    a queued one by its id (`follow`)."""

    def __init__(self, client: AsyncInterlink, bar: Progress) -> None:
        self.request_id = f"cli-{uuid.uuid4().hex}"
        self._client, self._bar = client, bar
        self._operation_id: str | None = None
        self._reported = False
        self._ended: set[str] = set()
        self._changed = threading.Condition()
        self._reading = threading.Event()  # the stream is open, or will never be
        self._open = False
        self._stop: Callable[[], object] = lambda: None
        self._reader = threading.Thread(target=self._run, name="operation-progress", daemon=True)

    def start(self) -> bool:
        """Open the stream; False when it cannot be read (then nothing is shown)."""
        self._reader.start()
        self._reading.wait(ENDING)
        return self._open

    def follow(self, operation_id: str) -> None:
        """Show the progress of `operation_id` (a queued operation) from now on."""
        self._operation_id = operation_id

    def describe(self, text: str) -> None:
        """Say `text` (a queued operation's status) until the operation reports progress."""
        if not self._reported:
            self._bar.update(self._bar.task_ids[0], description=text)

    def wait_for_end(self, operation_id: str) -> None:
        """Until the stream says `operation_id` ended, so its last progress has been shown (at
        most ENDING seconds; at once if the stream is gone)."""
        with self._changed:
            self._changed.wait_for(
                lambda: operation_id in self._ended or not self._reader.is_alive(), ENDING
            )

    def close(self) -> None:
        if self._reader.is_alive():
            with suppress(RuntimeError):  # its loop has just ended by itself
                self._stop()
        self._reader.join(timeout=ENDING)

    def _run(self) -> None:
        asyncio.run(self._read())
        self._reading.set()
        with self._changed:
            self._changed.notify_all()

    async def _read(self) -> None:
        loop, task = asyncio.get_running_loop(), asyncio.current_task()
        assert task is not None
        self._stop = partial(loop.call_soon_threadsafe, task.cancel)
        with suppress(InterlinkSDKError, asyncio.CancelledError):  # closed, or cannot be read
            async with self._client, await self._client.events.stream_events(SHOWN) as stream:
                self._open = True
                self._reading.set()
                async for event in stream:
                    self._take(event)

    def _take(self, event: Event) -> None:
        if event.event in ENDS:
            with self._changed:
                self._ended.add(str(event.data.get("operation_id")))
                self._changed.notify_all()
        elif progress_of(event, operation_id=self._operation_id, request_id=self.request_id):
            self._show(event.data)

    def _show(self, found: dict[str, Any]) -> None:
        self._reported = True
        total, completed = found.get("total"), found.get("completed")
        said = f"{found.get('operation')}: {found.get('status')}"
        if not console.is_terminal:  # a log or a pipe: a line a report (about one a second)
            share = f" {100 * completed // total}%" if total and completed is not None else ""
            console.out(f"{said}{share}", highlight=False)
            return
        self._bar.update(
            self._bar.task_ids[0], description=said, total=total, completed=completed or 0
        )


@contextmanager
def operation_progress(
    client: Callable[[], AsyncInterlink], quiet: bool, description: str
) -> Iterator[OperationProgress | None]:
    """A bar fed by an operation's progress events, from a stream opened (on a `client()` of
    its own) before the operation starts so that none is missed. None with `quiet` (--json) or
    when the events cannot be read (a key without the scope): the operation runs without it."""
    if quiet:
        yield None
        return
    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
               TaskProgressColumn(text_format_no_percentage="")]  # fmt: skip
    with Progress(*columns, console=console, transient=True) as bar:
        bar.add_task(description, total=None)
        follower = OperationProgress(client(), bar)
        try:
            yield follower if follower.start() else None
        finally:
            follower.close()
