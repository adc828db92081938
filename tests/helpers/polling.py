"""Polling for a state with a bounded deadline: the one way a test waits for something that
happens elsewhere (a worker, a dispatcher, another process)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
DEADLINE = 30.0
INTERVAL = 0.05


async def eventually(
    probe: Callable[[], Awaitable[T]], done: Callable[[T], bool], deadline: float = DEADLINE
) -> T:
    """Call `probe` until `done` holds of its result, or fail after `deadline` seconds."""
    end = time.monotonic() + deadline
    while True:
        value = await probe()
        if done(value):
            return value
        if time.monotonic() > end:
            raise AssertionError(f"not reached within {deadline} s; last seen: {value!r}")
        await asyncio.sleep(INTERVAL)  # polling for a state, not timing anything
