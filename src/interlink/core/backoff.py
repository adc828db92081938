"""The one backoff formula: exponential growth from a base, capped, optionally with full jitter.

Every retry in Interlink waits by it: the transport before retrying a call, the operation
recorder between writes, webhook deliveries with a retry policy, workflow step retries and the
SDK. Full jitter (a uniform part of the wait) keeps many callers cut off at once from coming
back at once; a schedule that must be predictable (a delivery's next attempt, shown to users)
takes the whole wait.
"""

from __future__ import annotations

import random
from collections.abc import Callable


def backoff(
    attempt: int,
    *,
    base: float,
    cap: float = float("inf"),
    jitter: Callable[[], float] | None = None,
) -> float:
    """Seconds to wait after failed attempt number `attempt` (1 for the first): `base * 2 **
    (attempt - 1)`, at most `cap`; with `jitter` (a source of numbers in [0, 1), such as
    `random.random`), that times a draw from it."""
    ceiling = min(cap, base * 2.0 ** (max(attempt, 1) - 1))
    return float(ceiling * jitter()) if jitter is not None else float(ceiling)


FULL_JITTER: Callable[[], float] = random.random
