"""When the next attempt of a failed delivery is due."""

from __future__ import annotations

from interlink.core.backoff import backoff

# After the first try: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (eight attempts in all).
DEFAULT_DELAYS: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000)
MAX_DELAY_SECONDS = 86_400.0


def next_delay(attempts: int, max_attempts: int | None, backoff_ms: int | None) -> float | None:
    """Seconds until the next attempt after `attempts` failed ones, or None when none is left.

    Without a retry policy the default schedule applies; with one, `max_attempts` counts every
    attempt (the first too) and the delays grow as `backoff_ms * 2 ** (attempts - 1)`.
    """
    if max_attempts is None and backoff_ms is None:
        if attempts > len(DEFAULT_DELAYS):
            return None
        return DEFAULT_DELAYS[attempts - 1]
    if attempts >= (max_attempts or len(DEFAULT_DELAYS) + 1):
        return None
    base = (backoff_ms if backoff_ms is not None else 5000) / 1000
    return backoff(attempts, base=base, cap=MAX_DELAY_SECONDS)
