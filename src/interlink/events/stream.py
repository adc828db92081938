"""The live event stream: events read from the log as they are committed, for Server-Sent Events.

The events table is the source of truth, so a stream misses nothing that was committed and can
resume after any id. A bell says when to look: this process rings it after each commit that
wrote events (`Database.on_commit`); with Redis configured the ring is published on a channel, so
the streams of every process look at once. Without a ring a stream still looks every
`poll_seconds`.

Ids sort by the time they were made, not by commit: an event made a little before another may be
committed after it. Each look therefore reaches back `LOOKBACK_MS` before the newest id sent and
skips the ids it has already sent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import select

from interlink.core.db import Database
from interlink.core.ids import lowest_id, made_at_ms
from interlink.core.waiting import wait_set
from interlink.events.models import Event

log = structlog.get_logger(__name__)

CHANNEL = "interlink:events:committed"
LOOKBACK_MS = 10_000
BATCH = 500


class EventBell:
    """Wakes the streams of this process, and of the others through Redis when configured."""

    def __init__(self, redis_url: str | None) -> None:
        self._listeners: set[asyncio.Event] = set()
        self._redis = Redis.from_url(redis_url) if redis_url else None
        self._subscriber: asyncio.Task[None] | None = None
        self._publishes: set[asyncio.Task[None]] = set()
        self.subscribed = asyncio.Event()  # set once rings of other processes arrive

    def ring(self) -> None:
        """After a commit that wrote events (called by the database's commit listener)."""
        self._wake_local()
        if self._redis is not None:
            task = asyncio.get_running_loop().create_task(self._publish())
            self._publishes.add(task)
            task.add_done_callback(self._publishes.discard)

    def listen(self) -> asyncio.Event:
        wake = asyncio.Event()
        self._listeners.add(wake)
        if self._redis is not None and self._subscriber is None:
            self._subscriber = asyncio.get_running_loop().create_task(self._subscribe())
        return wake

    def forget(self, wake: asyncio.Event) -> None:
        self._listeners.discard(wake)

    async def close(self) -> None:
        if self._subscriber is not None:
            self._subscriber.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._subscriber
        if self._publishes:
            await asyncio.gather(*self._publishes, return_exceptions=True)
        if self._redis is not None:
            await self._redis.aclose()

    def _wake_local(self) -> None:
        for wake in self._listeners:
            wake.set()

    async def _publish(self) -> None:
        assert self._redis is not None
        try:
            await self._redis.publish(CHANNEL, b"1")
        except (RedisError, OSError) as exc:
            log.warning("event_bell_publish_failed", error=type(exc).__name__)

    async def _subscribe(self) -> None:
        assert self._redis is not None
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    self.subscribed.set()
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._wake_local()
            except (RedisError, OSError) as exc:
                self.subscribed.clear()
                log.warning("event_bell_subscribe_failed", error=type(exc).__name__)
                await asyncio.sleep(1)  # Redis is down: streams still poll meanwhile


def type_filter(patterns: Sequence[str]) -> Callable[[str], bool]:
    """Exact event types, or `prefix.*` for a family (`operation.*`); none means all."""
    exact = {p for p in patterns if not p.endswith("*")}
    prefixes = tuple(p[:-1] for p in patterns if p.endswith("*"))
    if not patterns or "*" in patterns:
        return lambda _type: True
    return lambda event_type: event_type in exact or event_type.startswith(prefixes)


@dataclass
class Cursor:
    newest: str  # the newest event id already seen
    seen: set[str]  # ids within the look-back before it, seen too


class EventStream:
    def __init__(self, db: Database, bell: EventBell, *, poll_seconds: float = 1.0) -> None:
        self.db = db
        self.bell = bell
        self.poll_seconds = poll_seconds

    async def start(self, workspace_id: str, after: str | None) -> Cursor:
        """Where a stream begins: after `after` (an event id), or after what exists now. Taken
        before the response starts, so that no event committed after it can be missed."""
        newest = after or await self._newest_id(workspace_id) or lowest_id("evt", 0)
        return Cursor(newest, set(await self._window(workspace_id, newest)))

    async def follow(
        self,
        workspace_id: str,
        wanted: Callable[[str], bool],
        cursor: Cursor,
        disconnected: Callable[[], Awaitable[bool]],
    ) -> AsyncIterator[Event]:
        """Events of the workspace committed after `cursor`, oldest first, until the client
        goes away."""
        wake = self.bell.listen()
        try:
            newest, sent = cursor.newest, cursor.seen
            loop = asyncio.get_running_loop()
            late_check_at = loop.time() + self.poll_seconds
            while not await disconnected():
                wake.clear()
                rows = list(await self._after(workspace_id, newest))
                if loop.time() >= late_check_at:
                    rows = list(await self._late(workspace_id, newest, sent)) + rows
                    late_check_at = loop.time() + self.poll_seconds
                for row in rows:
                    sent.add(row.id)
                    newest = max(newest, row.id)
                    if wanted(row.type):
                        yield row
                floor = lowest_id("evt", made_at_ms(newest) - LOOKBACK_MS)
                sent = {i for i in sent if i >= floor}
                if len(rows) < BATCH:
                    await wait_set(wake, self.poll_seconds)
        finally:
            self.bell.forget(wake)

    async def _newest_id(self, workspace_id: str) -> str | None:
        query = (
            select(Event.id)
            .where(Event.workspace_id == workspace_id)
            .order_by(Event.id.desc())
            .limit(1)
        )
        async with self.db.read() as session:
            found: str | None = await session.scalar(query)
        return found

    async def _after(self, workspace_id: str, newest: str) -> Sequence[Event]:
        query = (
            select(Event)
            .where(Event.workspace_id == workspace_id, Event.id > newest)
            .order_by(Event.id)
            .limit(BATCH)
        )
        async with self.db.read() as session:
            return (await session.scalars(query)).all()

    async def _window(self, workspace_id: str, newest: str) -> Sequence[str]:
        floor = lowest_id("evt", made_at_ms(newest) - LOOKBACK_MS)
        query = select(Event.id).where(
            Event.workspace_id == workspace_id, Event.id >= floor, Event.id < newest
        )
        async with self.db.read() as session:
            return (await session.scalars(query)).all()

    async def _late(self, workspace_id: str, newest: str, sent: set[str]) -> Sequence[Event]:
        """Events committed after newer ones were sent: ids within the look-back, not sent."""
        missing = [i for i in await self._window(workspace_id, newest) if i not in sent]
        if not missing:
            return []
        query = select(Event).where(Event.id.in_(missing[:BATCH])).order_by(Event.id)
        async with self.db.read() as session:
            return (await session.scalars(query)).all()
