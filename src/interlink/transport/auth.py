"""The headers that authenticate a call, by auth method (seed 000 "Authentication Methods")."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any


def auth_headers(
    auth_method: str, credentials: Mapping[str, Any], *, bearer_scheme: str = "Bearer"
) -> dict[str, str]:
    """`bearer_scheme` is the word before a token in Authorization (Discord says "Bot")."""
    if auth_method == "api_key":
        key = str(_first(credentials, "api_key", "secret_key", "bot_token", "token"))
        header = str(credentials.get("header_name") or "Authorization")
        return {header: f"{bearer_scheme} {key}" if header.lower() == "authorization" else key}
    if auth_method == "oauth":
        token = _first(credentials, "access_token", "bot_token")
        return {"Authorization": f"{bearer_scheme} {token}"}
    if auth_method == "basic":
        user = _first(credentials, "username", "user", "email")
        pair = f"{user}:{credentials.get('password', '')}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
    if auth_method == "jwt":
        return {"Authorization": f"Bearer {credentials['jwt_token']}"}
    return {}


def _first(credentials: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if credentials.get(name) not in (None, ""):
            return credentials[name]
    return ""
