"""What a provider's answer means for the call (its `Disposition`): done, retry, rate limited,
refresh the token and retry, or fail with one of our error codes. Each connector overrides only
its own entries."""

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


class Disposition(StrEnum):
    """What the client does with an answer: return it (OK); retry it when the request may be
    repeated, a failure of the provider for the breaker (RETRY); wait out the provider's pause
    and retry (RATE_LIMITED); refresh the OAuth token once and retry (REFRESH_THEN_RETRY); or
    raise the verdict's error (FAIL)."""

    OK = "ok"
    RETRY = "retry"
    RATE_LIMITED = "rate_limited"
    REFRESH_THEN_RETRY = "refresh_then_retry"
    FAIL = "fail"


@dataclass(frozen=True)
class Verdict:
    disposition: Disposition
    error: type[InterlinkError] | None = None
    retry_after: float | None = None  # the provider's hint, in seconds


DEFAULT_STATUS_TABLE: Mapping[int, Verdict] = {
    400: Verdict(Disposition.FAIL, InvalidOperation),
    401: Verdict(Disposition.REFRESH_THEN_RETRY, AuthenticationFailed),
    403: Verdict(Disposition.FAIL, PermissionDenied),
    404: Verdict(Disposition.FAIL, ExternalResourceNotFound),
    409: Verdict(Disposition.FAIL, InvalidOperation),
    422: Verdict(Disposition.FAIL, InvalidOperation),
    429: Verdict(Disposition.RATE_LIMITED),
    500: Verdict(Disposition.RETRY, ExternalServiceError),
    502: Verdict(Disposition.RETRY, ExternalServiceError),
    503: Verdict(Disposition.RETRY, ExternalServiceError),
    504: Verdict(Disposition.RETRY, ExternalServiceError),
}


@dataclass(frozen=True)
class ErrorTable:
    """Status code to verdict; `overrides` replaces single entries of the default table."""

    overrides: Mapping[int, Verdict] = field(default_factory=dict)

    def verdict(self, status: int) -> Verdict:
        if 200 <= status < 300:
            return Verdict(Disposition.OK)
        found = self.overrides.get(status) or DEFAULT_STATUS_TABLE.get(status)
        if found is not None:
            return found
        if status >= 500:
            return Verdict(Disposition.RETRY, ExternalServiceError)
        if 300 <= status < 400:
            return Verdict(Disposition.FAIL, ExternalServiceError)
        return Verdict(Disposition.FAIL, InvalidOperation)

    def covers(self, status: int) -> bool:
        return status in self.overrides or status in DEFAULT_STATUS_TABLE
