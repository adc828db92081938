"""What a provider's answer means for the call: done, retry, rate limited, refresh the token and
retry, or fail with one of our error codes. Each connector overrides only its own entries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from interlink.core.errors import (
    AuthenticationFailed,
    ExternalResourceNotFound,
    ExternalServiceError,
    InterlinkError,
    InvalidOperation,
    PermissionDenied,
)


class Outcome(StrEnum):
    OK = "ok"
    RETRY = "retry"
    RATE_LIMITED = "rate_limited"
    REFRESH_THEN_RETRY = "refresh_then_retry"
    FAIL = "fail"


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    error: type[InterlinkError] | None = None
    retry_after: float | None = None  # the provider's hint, in seconds


DEFAULT_STATUS_TABLE: Mapping[int, Verdict] = {
    400: Verdict(Outcome.FAIL, InvalidOperation),
    401: Verdict(Outcome.REFRESH_THEN_RETRY, AuthenticationFailed),
    403: Verdict(Outcome.FAIL, PermissionDenied),
    404: Verdict(Outcome.FAIL, ExternalResourceNotFound),
    409: Verdict(Outcome.FAIL, InvalidOperation),
    422: Verdict(Outcome.FAIL, InvalidOperation),
    429: Verdict(Outcome.RATE_LIMITED),
    500: Verdict(Outcome.RETRY, ExternalServiceError),
    502: Verdict(Outcome.RETRY, ExternalServiceError),
    503: Verdict(Outcome.RETRY, ExternalServiceError),
    504: Verdict(Outcome.RETRY, ExternalServiceError),
}


@dataclass(frozen=True)
class ErrorTable:
    """Status code to verdict; `overrides` replaces single entries of the default table."""

    overrides: Mapping[int, Verdict] = field(default_factory=dict)

    def verdict(self, status: int) -> Verdict:
        if 200 <= status < 300:
            return Verdict(Outcome.OK)
        found = self.overrides.get(status) or DEFAULT_STATUS_TABLE.get(status)
        if found is not None:
            return found
        if status >= 500:
            return Verdict(Outcome.RETRY, ExternalServiceError)
        if 300 <= status < 400:
            return Verdict(Outcome.FAIL, ExternalServiceError)
        return Verdict(Outcome.FAIL, InvalidOperation)

    def covers(self, status: int) -> bool:
        return status in self.overrides or status in DEFAULT_STATUS_TABLE
