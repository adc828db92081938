"""The event-log follower's late-commit rule, with the clock in the test's hands: an event committed
after a newer one was given is given at the next look back (once a poll interval), once; one
whose id is older than the look-back is not; a batch that was not taken is read again."""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from interlink.auth.models import Workspace
from interlink.core.clock import FrozenClock
from interlink.core.db import Database
from interlink.core.ids import lowest_id
from interlink.events.bell import EventBell
from interlink.events.follower import LOOKBACK_MS, LogFollower
from interlink.events.models import Event

POLL = 1.0  # seconds between looks back
HANG_GUARD = 10.0  # seconds: only bounds a test that would otherwise never end


class Log:
    """Writes events with chosen ids into one workspace's log."""

    def __init__(self, db: Database, workspace_id: str) -> None:
        self.db = db
        self.workspace_id = workspace_id

    def made_at(self, *ms: int) -> list[str]:
        """Ids as if made at these milliseconds (`new_id` never goes back in time)."""
        return [lowest_id("evt", m) for m in ms]

    async def commit(self, event_id: str) -> str:
        async with self.db.transaction() as session:
            session.add(
                Event(
                    id=event_id,
                    workspace_id=self.workspace_id,
                    type="integration.activated",
                    payload={},
                    created_at=datetime.now(UTC),
                )
            )
        return event_id


@pytest.fixture
async def log(app: FastAPI) -> Log:
    db = app.state.services.db
    async with db.read() as session:
        workspace_id = (await session.scalars(select(Workspace.id))).first()
    assert workspace_id is not None
    return Log(db, workspace_id)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))


@pytest.fixture
async def follower(log: Log, clock: FrozenClock) -> LogFollower:
    following = LogFollower(
        log.db, clock, EventBell(None), workspace_id=log.workspace_id, poll_seconds=POLL
    )
    await following.begin(None)
    return following


async def given(follower: LogFollower) -> list[str]:
    batch = await follower.read()
    follower.take(batch)
    return [e.id for e in batch.events]


def now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


async def test_an_event_committed_after_a_newer_one_is_given_at_the_next_look_back_once(
    log: Log, follower: LogFollower, clock: FrozenClock
) -> None:
    start = now_ms()
    older, newer = log.made_at(start, start + 5)
    await log.commit(newer)
    assert await given(follower) == [newer]

    await log.commit(older)  # committed late: its id sorts before the one already given
    assert await given(follower) == []  # a look back is due once a poll interval
    clock.advance(POLL)
    assert await given(follower) == [older]
    clock.advance(POLL)
    assert await given(follower) == []


async def test_late_events_come_first_in_their_batch_then_the_new_ones(
    log: Log, follower: LogFollower, clock: FrozenClock
) -> None:
    start = now_ms()
    older, newer, newest = log.made_at(start, start + 5, start + 10)
    await log.commit(newer)
    await given(follower)
    await log.commit(older)
    await log.commit(newest)
    clock.advance(POLL)

    assert await given(follower) == [older, newest]


async def test_the_look_back_reaches_lookback_ms_behind_the_newest_id_given_and_no_further(
    log: Log, follower: LogFollower, clock: FrozenClock
) -> None:
    edge_ms = now_ms() - LOOKBACK_MS
    outside, inside, newest = log.made_at(edge_ms - 1, edge_ms, edge_ms + LOOKBACK_MS)
    await log.commit(newest)
    await given(follower)
    await log.commit(inside)
    await log.commit(outside)
    clock.advance(POLL)

    assert await given(follower) == [inside]


async def test_a_batch_not_taken_is_read_again(log: Log, follower: LogFollower) -> None:
    event = await log.commit(*log.made_at(now_ms()))
    first = await follower.read()  # its handling failed: not taken

    assert [e.id for e in first.events] == [event]
    assert await given(follower) == [event]
    assert await given(follower) == []


async def test_a_position_named_counts_the_look_back_before_it_as_given(
    log: Log, clock: FrozenClock
) -> None:
    start = now_ms()
    before, late, named = log.made_at(start, start + 3, start + 5)
    for event_id in (before, named):
        await log.commit(event_id)
    resumed = LogFollower(log.db, clock, EventBell(None), workspace_id=log.workspace_id)
    await resumed.begin(named)  # a client resuming after `named` has `before`
    await log.commit(late)

    assert await given(resumed) == [late]


async def test_closing_the_batches_while_the_bell_rings_ends_them(
    log: Log, clock: FrozenClock
) -> None:
    bell = EventBell(None)
    follower = LogFollower(log.db, clock, bell, workspace_id=log.workspace_id, poll_seconds=3600)
    await follower.begin(None)
    read = asyncio.Event()

    async def consume() -> None:
        async with aclosing(follower.batches()) as batches:
            async for _events in batches:
                read.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(read.wait(), HANG_GUARD)
    for _ in range(5):
        await asyncio.sleep(0)  # lets it take the batch and wait for the bell
    bell.ring()
    task.cancel()
    await asyncio.wait({task}, timeout=HANG_GUARD)

    assert task.done()
    assert not bell._listeners
