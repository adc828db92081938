"""When to try a call again and how long to wait first: exponential backoff with full jitter,
or the provider's own hint (Retry-After, a reset time), clamped to a maximum."""

from __future__ import annotations

from dataclasses import dataclass

from interlink.core.backoff import FULL_JITTER, backoff


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
        return backoff(attempt, base=self.base_delay, cap=self.max_delay, jitter=FULL_JITTER)

    def allows(self, attempt: int, hint: float | None = None) -> bool:
        return attempt <= self.max_retries and (hint is None or hint <= self.max_hint)
