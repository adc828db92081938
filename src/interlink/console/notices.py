"""What a page says after one of its forms did something: the form's handler redirects back to
the page (POST, redirect, GET) with a notice's code, and the page shows the notice's text."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse

from interlink.console.templates import link

NOTICES = {
    "replayed": "The delivery is queued to be sent again now.",
    "recovered": "Failed deliveries since that time queued to be sent again: {count}.",
    "enabled": "The endpoint is enabled.",
    "disabled": "The endpoint is disabled: nothing is sent to it until it is enabled.",
    "tested": "A webhook.test event is queued for this endpoint.",
    "cancelled": "The execution is cancelled.",
    "retried": "The execution runs again from its failed step.",
    "started": "The execution has started.",
    "revoked": "The API key is revoked: it no longer works.",
    "activated": "The integration is active.",
    "deactivated": "The integration is inactive: its operations are refused until it is activated.",
    "connection_passed": "The connection test passed.",
    "connection_failed": "The connection test failed: its health below says why.",
    "ran": "The operation ran: it is in the history below.",
    "created": "The integration is created. Activate it to run its operations.",
    "rotated": "The credentials are replaced: the integration uses the new ones from now on.",
    "not_rotated": "The credentials are unchanged: give every field the auth method needs.",
}


def notice_of(code: str, count: int = 0) -> str | None:
    text = NOTICES.get(code)
    return text.format(count=count) if text else None


def back(
    request: Request, name: str, notice: str, /, count: int | None = None, **params: Any
) -> RedirectResponse:
    """303 to the console's page `name`, telling it to show `notice` (a key of NOTICES)."""
    query: dict[str, Any] = {"notice": notice}
    if count is not None:
        query["count"] = count
    return RedirectResponse(f"{link(request, name, **params)}?{urlencode(query)}", 303)
