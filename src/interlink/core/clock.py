"""Time as an injectable object, so code that waits or expires can be tested without sleeping."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class FrozenClock:
    """A clock that moves only when told to, or when code sleeps on it (tests).

    `sleeps` records every wait asked of it, so a test can assert what was waited.
    """

    def __init__(self, start: datetime) -> None:
        self._now = start
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)
        await asyncio.sleep(0)


def rfc3339(value: datetime) -> str:
    """RFC 3339 in UTC with a `Z`, to the second (the API's time format)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
