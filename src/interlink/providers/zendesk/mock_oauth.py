"""Zendesk's OAuth token endpoint (`POST /oauth/tokens`) as the mock serves it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from interlink.testing.base import json_response

_INVALID_CLIENT = (
    "Client authentication failed due to unknown client, no client authentication included, or "
    "unsupported authentication method."
)
_INVALID_GRANT = (
    "The provided authorization grant is invalid, expired, revoked, does not match the "
    "redirection URI used in the authorization request, or was issued to another client."
)


@dataclass
class OAuthClient:
    """One OAuth client of the account: its credentials, the refresh tokens still good, and the
    access tokens granted so far with their scopes."""

    client_id: str = "mock-oauth-client"
    client_secret: str = "mock-oauth-secret"  # noqa: S105
    refresh_tokens: set[str] = field(default_factory=lambda: {"mock-refresh-token"})
    granted: dict[str, list[str]] = field(default_factory=dict)
    asked: list[dict[str, Any]] = field(default_factory=list)

    async def grant(self, request: web.Request) -> web.StreamResponse:
        body = await _fields(request)
        self.asked.append(body)
        if (body.get("client_id"), body.get("client_secret")) != (
            self.client_id,
            self.client_secret,
        ):
            return _refusal(401, "invalid_client", _INVALID_CLIENT)
        grant = body.get("grant_type")
        if grant not in ("client_credentials", "refresh_token"):
            return _refusal(400, "unsupported_grant_type", "The grant type is not supported.")
        answer: dict[str, Any] = {"token_type": "bearer", "scope": body.get("scope") or "read"}
        if grant == "refresh_token":
            if body.get("refresh_token") not in self.refresh_tokens:
                return _refusal(400, "invalid_grant", _INVALID_GRANT)
            self.refresh_tokens.discard(str(body["refresh_token"]))
            fresh = f"mock-refresh-token-{len(self.granted) + 1}"
            self.refresh_tokens.add(fresh)
            answer |= {"refresh_token": fresh, "refresh_token_expires_in": 2592000}
        token = f"mock-oauth-token-{len(self.granted) + 1}"
        self.granted[token] = str(answer["scope"]).split()
        return json_response({"access_token": token, "expires_in": 172800} | answer)


async def _fields(request: web.Request) -> dict[str, Any]:
    """The request's fields: JSON, as Zendesk documents them, or a form."""
    raw = await request.read()
    try:
        found = json.loads(raw) if raw else {}
    except ValueError:
        form = await request.post()
        return {name: str(value) for name, value in form.items()}
    return found if isinstance(found, dict) else {}


def _refusal(status: int, error: str, description: str) -> web.StreamResponse:
    return json_response({"error": error, "error_description": description}, status=status)
