"""Time as an injectable object, so code that waits or expires can be tested without sleeping."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that moves only when told to (tests)."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        from datetime import timedelta

        self._now += timedelta(seconds=seconds)


def rfc3339(value: datetime) -> str:
    """RFC 3339 in UTC with a `Z`, to the second (the API's time format)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
