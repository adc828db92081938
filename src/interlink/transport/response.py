"""A provider's answer, read whole, and the message it gives when it fails."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from interlink.core.errors import ExternalServiceError

_MESSAGE_LIMIT = 500


@dataclass(frozen=True)
class ProviderResponse:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes
    url: str

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise ExternalServiceError(
                "The external system answered with something that is not JSON",
                details=[{"provider_status": self.status, "body_start": self.text[:100]}],
            ) from None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def provider_message(self) -> str | None:
        """The provider's own words about an error, from the usual places in its body."""
        try:
            document = json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            return self.text[:_MESSAGE_LIMIT] or None
        return _message_in(document)

    def provider_errors(self) -> list[dict[str, Any]]:
        """The error objects of a body that is an array of them (Salesforce's
        `[{"message", "errorCode", "fields"}]`), else none."""
        try:
            document = json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            return []
        if not isinstance(document, list):
            return []
        return [dict(item) for item in document if isinstance(item, dict)]


def _message_in(document: Any) -> str | None:
    if isinstance(document, list):  # an array of errors
        found = [message for message in map(_message_in, document) if message]
        return "; ".join(found)[:_MESSAGE_LIMIT] or None
    if isinstance(document, dict):
        error = document.get("error")
        if isinstance(error, dict):
            return _message_in(error)
        for name in ("message", "error_description", "error", "detail", "description"):
            if isinstance(document.get(name), str):
                return str(document[name])[:_MESSAGE_LIMIT]
        messages = document.get("errorMessages")
        if isinstance(messages, list) and messages:
            return "; ".join(map(str, messages))[:_MESSAGE_LIMIT]
    return None
