"""Waiting for an `asyncio.Event` with a time limit, without losing a cancel.

Python 3.11's `asyncio.wait_for(event.wait(), seconds)` runs the wait as a task of its own and,
when a cancel arrives as that task finishes (the event set in the same moment), returns its result
and drops the cancel: a loop stopped by cancelling it goes on for ever. `asyncio.timeout` waits in
the caller's own task, so a cancel always reaches it.
"""

from __future__ import annotations

import asyncio


async def wait_set(event: asyncio.Event, seconds: float) -> bool:
    """Until `event` is set (True) or `seconds` have passed (False)."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True
