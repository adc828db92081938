"""The signal that the event log grew: rung after each commit that wrote events.

This process rings it from `Database.on_commit`; with Redis configured each ring is also
published on `CHANNEL`, so the followers of every process look at once. A ring only says when to
look: followers read the log itself, and look every poll interval without one.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = structlog.get_logger(__name__)

CHANNEL = "interlink:events:committed"


class EventBell:
    """Wakes the followers of this process, and of the others through Redis when configured."""

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
                await asyncio.sleep(1)  # Redis is down: followers still poll meanwhile
