"""When to try a call again and how long to wait first: exponential backoff with full jitter,
or the provider's own hint (Retry-After, a reset time), clamped to a maximum."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 3
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_hint: float = 60.0  # the longest provider hint honoured; a longer one fails the call

    def delay(self, attempt: int, hint: float | None = None) -> float:
        """Seconds to wait before retry number `attempt` (1 for the first retry)."""
        if hint is not None:
            return max(0.0, min(hint, self.max_hint))
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return random.uniform(0, ceiling)  # noqa: S311 - jitter, not a secret

    def allows(self, attempt: int, hint: float | None = None) -> bool:
        return attempt <= self.max_retries and (hint is None or hint <= self.max_hint)
