"""When the SDK retries a request, and how long it waits first.

Retried: a 429 (the API key's request budget; the server's `Retry-After` is honoured) and a
connection error (the request may not have arrived; POSTs carry an Idempotency-Key, so a
repeat is one effect). Nothing else is retried: RATE_LIMIT_EXCEEDED (409) is the external
system's budget, which the server already waits for.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import httpx

from interlink.core.backoff import backoff


@dataclass(frozen=True)
class RetryPolicy:
    """`max_attempts` tries in all; backoff up to `backoff_seconds * 2**n`, at most
    `max_backoff`, with full jitter (a random part of it, so that many clients cut off at once
    do not all come back at once; `jitter=False` waits the whole of it); a server's Retry-After
    is waited for, as it is, when it is at most `max_retry_after` seconds."""

    max_attempts: int = 4
    backoff_seconds: float = 0.5
    max_backoff_seconds: float = 8.0
    max_retry_after_seconds: float = 120.0
    jitter: bool = True
    random: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def backoff(self, attempt: int) -> float:
        """The wait before try `attempt + 1` (attempt counts from 1)."""
        jitter = self.random if self.jitter else None
        return backoff(
            attempt, base=self.backoff_seconds, cap=self.max_backoff_seconds, jitter=jitter
        )

    def delay_after_response(self, response: httpx.Response, attempt: int) -> float | None:
        """How long to wait before trying again, or None when this response is final."""
        if response.status_code != 429 or attempt >= self.max_attempts:
            return None
        hinted = retry_after(response)
        if hinted is None:
            return self.backoff(attempt)
        return hinted if hinted <= self.max_retry_after_seconds else None

    def delay_after_error(self, attempt: int) -> float | None:
        """The wait after a connection error, or None when the tries are used up."""
        return self.backoff(attempt) if attempt < self.max_attempts else None


NO_RETRIES = RetryPolicy(max_attempts=1)


def retry_after(response: httpx.Response) -> float | None:
    """The `Retry-After` header in seconds (delta-seconds or an HTTP date), if usable."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    date = response.headers.get("date")
    try:
        when = parsedate_to_datetime(value)
        now = parsedate_to_datetime(date) if date else None
    except (TypeError, ValueError, IndexError):
        return None
    if now is None or when.tzinfo is None or now.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())
