"""What Gemini's error answers mean. They are Google's `{"error": {"code", "message", "status",
"details"}}`, read as `google_workspace.answers` reads them (a 429 `RESOURCE_EXHAUSTED` waited out
for its `google.rpc.RetryInfo` delay), with one answer of Gemini's own: a key that is not one is
400 `INVALID_ARGUMENT` whose `google.rpc.ErrorInfo` reason is `API_KEY_INVALID`, a refused
credential. The rest go by status: a prompt over the model's context (400), `PERMISSION_DENIED`
(403), an unknown model (404), an overloaded model (503, retried)."""

from __future__ import annotations

from typing import Any

from interlink.core.errors import AuthenticationFailed, ExternalServiceError
from interlink.providers.google_workspace import answers
from interlink.transport.classify import Disposition, ErrorTable, Verdict
from interlink.transport.response import ProviderResponse

ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
KEY_INVALID = "API_KEY_INVALID"


def judge(response: ProviderResponse, table: ErrorTable) -> Verdict:
    if response.status == 400 and KEY_INVALID in _reasons(response):
        return Verdict(Disposition.FAIL, AuthenticationFailed)
    return answers.judge(response, table)


def _reasons(response: ProviderResponse) -> set[str]:
    """The `ErrorInfo` reasons of the error's details."""
    try:
        body: Any = response.json()
    except ExternalServiceError:
        return set()
    error = body.get("error") if isinstance(body, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    return {
        str(detail.get("reason"))
        for detail in (details if isinstance(details, list) else [])
        if isinstance(detail, dict) and detail.get("@type") == ERROR_INFO
    }
