"""The live event stream: a workspace's events as they are committed, for Server-Sent Events.

Each response follows the log with a `LogFollower` of its own (`events/follower.py`), from a
position fixed before the response starts, so that no event committed after it can be missed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import aclosing

from interlink.core.clock import Clock
from interlink.core.db import Database
from interlink.events.bell import EventBell
from interlink.events.follower import LogFollower, Position
from interlink.events.types import EventRecord


def type_filter(patterns: Sequence[str]) -> Callable[[str], bool]:
    """Exact event types, or `prefix.*` for a family (`operation.*`); none means all."""
    exact = {p for p in patterns if not p.endswith("*")}
    prefixes = tuple(p[:-1] for p in patterns if p.endswith("*"))
    if not patterns or "*" in patterns:
        return lambda _type: True
    return lambda event_type: event_type in exact or event_type.startswith(prefixes)


class EventStream:
    def __init__(
        self, db: Database, clock: Clock, bell: EventBell, *, poll_seconds: float = 1.0
    ) -> None:
        self.db = db
        self.clock = clock
        self.bell = bell
        self.poll_seconds = poll_seconds

    async def start(self, workspace_id: str, after: str | None) -> Position:
        """Where a stream begins: after `after` (an event id), or after what exists now."""
        return await self._follower(workspace_id).begin(after)

    async def follow(
        self,
        workspace_id: str,
        wanted: Callable[[str], bool],
        cursor: Position,
        disconnected: Callable[[], Awaitable[bool]],
    ) -> AsyncIterator[EventRecord]:
        """Events of the workspace committed after `cursor`, oldest first, until the client
        goes away."""
        follower = self._follower(workspace_id, cursor)
        async with aclosing(follower.batches()) as batches:
            async for events in batches:
                if await disconnected():
                    return
                for event in events:
                    if wanted(event.type):
                        yield event

    def _follower(self, workspace_id: str, position: Position | None = None) -> LogFollower:
        return LogFollower(
            self.db,
            self.clock,
            self.bell,
            workspace_id=workspace_id,
            position=position,
            poll_seconds=self.poll_seconds,
        )
