"""A time-limited wait for an event never swallows a cancel, even one that arrives as the event
is set (what `asyncio.wait_for` does in Python 3.11)."""

from __future__ import annotations

import asyncio

from interlink.core.waiting import wait_set


async def test_a_cancel_that_meets_the_event_still_cancels_the_wait() -> None:
    event = asyncio.Event()
    waiting = asyncio.ensure_future(wait_set(event, 3600))
    await asyncio.sleep(0)  # it is waiting

    event.set()
    waiting.cancel()
    finished = await asyncio.gather(waiting, return_exceptions=True)

    assert isinstance(finished[0], asyncio.CancelledError)


async def test_the_wait_says_whether_the_event_came() -> None:
    event = asyncio.Event()
    event.set()

    assert await wait_set(event, 3600) is True
    assert await wait_set(asyncio.Event(), 0) is False
