"""Secrets are written, never read back: every credential field is masked unless it is known to be
harmless (a token type, a user name, a host)."""

from __future__ import annotations

from typing import Any

MASK = "•" * 26

VISIBLE_FIELDS = frozenset(
    {
        "token_type", "header_name", "expires_at", "username", "user", "email", "host", "port",
        "scope", "scopes", "app_id", "client_id", "token_url", "region", "account_id",
        "use_tls", "start_tls", "from_email", "grant_type", "issuer", "subject", "audience",
        "client_email", "token_uri", "instance_url",
    }
)  # fmt: skip


def mask(data: dict[str, Any]) -> dict[str, Any]:
    return {name: value if name in VISIBLE_FIELDS else MASK for name, value in data.items()}


def secret_values(data: dict[str, Any]) -> list[str]:
    """The values `mask` hides, as text (nested ones too): what must never come back."""
    found: list[str] = []
    for name, value in data.items():
        if name not in VISIBLE_FIELDS:
            _collect(value, found)
    return found


def _collect(value: Any, found: list[str]) -> None:
    if isinstance(value, dict):
        for item in value.values():
            _collect(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect(item, found)
    elif isinstance(value, str | int) and not isinstance(value, bool):
        found.append(str(value))
