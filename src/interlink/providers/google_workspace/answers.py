"""What Google's error answers mean: `{"error": {"code", "message", "status", "errors":
[{"reason", "domain", "message"}], "details": [...]}}`, and OAuth's `{"error": "invalid_token"}`."""

from __future__ import annotations

import re
from typing import Any

from interlink.core.errors import AuthenticationFailed, ExternalServiceError
from interlink.transport.classify import Disposition, ErrorTable, Verdict
from interlink.transport.client import judge_by_status
from interlink.transport.response import ProviderResponse

# Google's 403 reasons that mean "too fast", not "not allowed" (google-api-python-client retries
# these too: googleapiclient/http.py `_should_retry_response`).
RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
_DELAY = re.compile(r"^(\d+(?:\.\d+)?)s$")  # a protobuf Duration in JSON: "58s", "1.5s"


def judge(response: ProviderResponse, table: ErrorTable) -> Verdict:
    """A 429, or a 403 whose reason is a rate limit, is waited out (for the error's
    `google.rpc.RetryInfo` delay when it has one) and retried, not refused; tokeninfo's 400
    `invalid_token` is a refused credential (not refreshed: the token asked about is in the
    request's body)."""
    error = _error(response)
    limited = response.status == 429 or (response.status == 403 and _reasons(error) & RATE_REASONS)
    if limited:
        return Verdict(Disposition.RATE_LIMITED, retry_after=_retry_delay(error))
    if response.status == 400 and error == "invalid_token":
        return Verdict(Disposition.FAIL, AuthenticationFailed)
    return judge_by_status(response, table)


def _error(response: ProviderResponse) -> Any:
    try:
        body: Any = response.json()
    except ExternalServiceError:  # not JSON: nothing more than its status
        return None
    return body.get("error") if isinstance(body, dict) else None


def _reasons(error: Any) -> set[str]:
    listed = error.get("errors") if isinstance(error, dict) else None
    if not isinstance(listed, list):
        return set()
    return {str(item.get("reason")) for item in listed if isinstance(item, dict)}


def _retry_delay(error: Any) -> float | None:
    details = error.get("details") if isinstance(error, dict) else None
    for detail in details if isinstance(details, list) else []:
        if isinstance(detail, dict) and detail.get("@type") == RETRY_INFO:
            found = _DELAY.match(str(detail.get("retryDelay", "")))
            return float(found.group(1)) if found else None
    return None
