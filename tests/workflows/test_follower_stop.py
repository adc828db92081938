"""Stopping the event follower ends it even when a commit rings its bell at the same moment: in
Python 3.11 `asyncio.wait_for` returns the finished wait and drops a cancel that arrives with it,
so a follower stopped by cancel alone could loop on and hold up the app's shutdown for ever."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI

from interlink.events.bell import EventBell
from interlink.workflows.follower import EventFollower

HANG_GUARD = 10.0  # seconds: only bounds a test that would otherwise never end


class Observed(EventFollower):
    """Tells when it has saved its position, the last thing a look does before it waits."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.saved = asyncio.Event()

    async def _save_position(self, position: str) -> None:
        await super()._save_position(position)
        self.saved.set()


async def test_a_stop_that_meets_a_ring_still_stops_the_follower(app: FastAPI) -> None:
    services = app.state.services
    bell = EventBell(None)
    following = Observed(
        services.db, services.clock, services.jobs, services.workflows.launcher, bell, 3600
    )
    following.start()
    await asyncio.wait_for(following.saved.wait(), HANG_GUARD)  # its first look is over
    for _ in range(5):
        await asyncio.sleep(0)  # lets it reach its wait for the bell
    task = following._task
    assert task is not None

    bell.ring()
    stopping = asyncio.ensure_future(following.stop())
    await asyncio.wait({stopping}, timeout=HANG_GUARD)  # does not cancel what is still running
    stopped = stopping.done()
    task.cancel()  # once more, so that a failed test leaves nothing running
    await asyncio.gather(stopping, return_exceptions=True)

    assert stopped
