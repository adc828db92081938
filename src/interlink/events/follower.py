"""Following the event log: the events committed after a position, in id order, each given once.

Both readers of the log as it grows use `LogFollower`: the live stream (one per SSE response,
`events/stream.py`) and the workflow follower of each worker process (event triggers and
`wait_for_event`, `workflows/follower.py`). The log is the source of truth, so a follower misses
nothing committed and can begin after any id.

When to look: after `EventBell` rings (a commit that wrote events, in any process when Redis is
configured), `GATHER_SECONDS` later so that commits close together are read in one look; without a
ring, every `poll_seconds`; at once while looks come back full.

Late commits. An event's id (a ULID: the time it was made, then randomness) is made before its
transaction commits, and on PostgreSQL transactions commit in any order: an event may become
visible after one with a newer id was read, when reading only past the position would skip it.
So a follower remembers the ids it gave within `LOOKBACK_MS` (of id time) before its newest, and
at most once per `poll_seconds` (by the injected clock) a look also lists the ids of that window
and reads those it has not given; they come first in that look's batch. An event committed more
than `LOOKBACK_MS` after a newer one was read is missed: an event is written by one short
transaction, far shorter than that.

A batch counts as given once its consumer asks for the next: one whose handling raised is read
again by the next `batches()`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from interlink.core.clock import Clock
from interlink.core.db import Database
from interlink.core.ids import lowest_id, made_at_ms
from interlink.core.waiting import wait_set
from interlink.events.bell import EventBell
from interlink.events.models import Event
from interlink.events.repository import EventRepository
from interlink.events.types import EventRecord

LOOKBACK_MS = 10_000
BATCH = 500  # new events read by one look, at most (and late ones, apart)
GATHER_SECONDS = 0.05


@dataclass
class Position:
    """How far a follower has given the log: the newest id given, and the ids within the
    look-back before it given too."""

    newest: str
    given: set[str] = field(default_factory=set)

    @property
    def floor(self) -> str:
        """The lowest id of the look-back."""
        return lowest_id("evt", made_at_ms(self.newest) - LOOKBACK_MS)

    def gave(self, events: Sequence[EventRecord]) -> None:
        for event in events:
            self.given.add(event.id)
            self.newest = max(self.newest, event.id)
        floor = self.floor
        self.given = {i for i in self.given if i >= floor}


@dataclass
class Batch:
    events: list[EventRecord]  # the late ones, then the new ones, each in id order
    full: bool  # as many new ones as a look reads: more may be waiting
    rechecked: bool  # the look-back was read too


class LogFollower:
    """The log of one workspace, or of all (`workspace_id` None), after `position`."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        bell: EventBell,
        *,
        workspace_id: str | None = None,
        position: Position | None = None,
        poll_seconds: float = 1.0,
        batch: int = BATCH,
    ) -> None:
        self.db = db
        self.clock = clock
        self.bell = bell
        self.workspace_id = workspace_id
        self.position = position
        self.poll_seconds = poll_seconds
        self.batch = batch
        self._recheck_due: datetime | None = None  # None: at the next look

    async def begin(self, after: str | None) -> Position:
        """Follow from after `after` (an event id), or after the newest event now; the events
        within the look-back before it count as given (whoever names a position has those)."""
        async with self.db.read() as session:
            events = EventRepository(session)
            newest = after or await events.newest_id(self.workspace_id) or lowest_id("evt", 0)
            given = await events.ids_between(Position(newest).floor, newest, self.workspace_id)
        self.position = Position(newest, set(given))
        return self.position

    async def batches(self) -> AsyncGenerator[list[EventRecord], None]:
        """A batch per look, for ever (empty when nothing came); each is given once the consumer
        asks for the next. Close it (`contextlib.aclosing`) so that the bell forgets it."""
        wake = self.bell.listen()
        try:
            while True:
                wake.clear()
                batch = await self.read()
                yield batch.events
                self.take(batch)
                if not batch.full and await wait_set(wake, self.poll_seconds):
                    await asyncio.sleep(GATHER_SECONDS)
        finally:
            self.bell.forget(wake)

    async def read(self) -> Batch:
        """The events not given yet, without giving them."""
        position = self._position()
        recheck = self._recheck_due is None or self.clock.now() >= self._recheck_due
        async with self.db.read() as session:
            events = EventRepository(session)
            new = list(await events.after(position.newest, self.batch, self.workspace_id))
            late = list(await self._late(events, position)) if recheck else []
        return Batch(records(late + new), len(new) >= self.batch, recheck)

    async def made_since(self, workspace_id: str, created_at: datetime) -> list[EventRecord]:
        """A workspace's events created at or after `created_at`, within the look-back (at most
        a batch): for a reader that begins to wait after the event it waits for was given."""
        floor = self._position().floor
        async with self.db.read() as session:
            events = EventRepository(session)
            return records(await events.made_since(workspace_id, floor, created_at, self.batch))

    def take(self, batch: Batch) -> None:
        """The batch was handed on: its events count as given."""
        self._position().gave(batch.events)
        if batch.rechecked:
            self._recheck_due = self.clock.now() + timedelta(seconds=self.poll_seconds)

    async def _late(self, events: EventRepository, position: Position) -> Sequence[Event]:
        """Events within the look-back not given: committed after newer ones were read."""
        ids = await events.ids_between(position.floor, position.newest, self.workspace_id)
        missing = [i for i in ids if i not in position.given]
        return await events.with_ids(missing[: self.batch]) if missing else []

    def _position(self) -> Position:
        if self.position is None:
            raise RuntimeError("the follower has no position: `begin` it or give it one")
        return self.position


def records(rows: Sequence[Event]) -> list[EventRecord]:
    """The log's rows as values its consumers keep (no session behind them)."""
    return [
        EventRecord(row.id, row.workspace_id, row.type, row.integration_id, row.payload,
                    row.created_at)
        for row in rows
    ]  # fmt: skip
