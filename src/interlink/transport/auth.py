"""The headers that authenticate a call, by auth method (api_key, oauth, basic, jwt), and the
hosts a credential may be sent to."""

from __future__ import annotations

import base64
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")
# What a credential may hold to go in a URL path as it is: nothing a path, a query or a
# percent-decoding would read differently (no `/`, `.`, `%`, `?`, `#`).
_PATH_SAFE = re.compile(r"[A-Za-z0-9_~:-]+")


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
    if auth_method == "jwt":  # a signed token given, or one got by a JWT bearer grant
        return {"Authorization": f"Bearer {_first(credentials, 'jwt_token', 'access_token')}"}
    return {}


def _first(credentials: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if credentials.get(name) not in (None, ""):
            return credentials[name]
    return ""


@dataclass(frozen=True)
class CredentialInPath:
    """A provider that takes its credential in the URL path instead of a header: Telegram's
    `https://api.telegram.org/bot<token>/sendMessage` is `CredentialInPath("/bot{token}")`.

    The transport puts the segment between the base URL and the call's path, on the first hop
    only, and sends no header for the credential. The token is what `auth_headers` would have
    sent (the token of `<scheme> <token>`), so it is masked like any header's credential.
    """

    template: str  # holds `{token}` once

    def segment(self, token: str) -> str:
        """The path segment; ValueError for a token that would not stay one segment as is."""
        if not _PATH_SAFE.fullmatch(token):
            raise ValueError(
                "The credential cannot go in the URL path: it may hold only letters, digits, "
                "`-`, `_`, `~` and `:`"
            )
        return self.template.replace("{token}", token)


def sent_forms(headers: Mapping[str, str]) -> list[str]:
    """The secret values as these headers carry them: the token of `<scheme> <token>` (the
    `Basic` base64 included; an echo then reads `Bearer ••••`), else the whole value."""
    forms = []
    for value in headers.values():
        scheme, _, token = value.partition(" ")
        forms.append(token if token and scheme.isalpha() else value)
    return forms


def normalize_host(entry: str) -> str:
    """A host name (lower case, no trailing dot), an IP address, or `*.` and a domain (its
    subdomains); ValueError for anything else (a URL, a port, a path, a bare `*`)."""
    host = entry.strip().lower().removesuffix(".")
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        pass
    name = host.removeprefix("*.")
    labels = name.split(".")
    if not name or len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise ValueError("must be a host name such as api.example.com or *.example.com")
    if name != host and len(labels) < 2:
        raise ValueError("a `*.` pattern needs a domain of two labels or more (*.example.com)")
    return host


@dataclass(frozen=True)
class AllowedHosts:
    """Where a credential may be sent: exact host names (any port) and `*.domain` patterns."""

    names: frozenset[str] = frozenset()

    @classmethod
    def of(cls, entries: Iterable[str]) -> AllowedHosts:
        return cls(frozenset(normalize_host(entry) for entry in entries))

    def allows(self, host: str | None) -> bool:
        if not host:
            return False
        host = host.lower().removesuffix(".")
        if ":" in host:  # an IPv6 literal, written as the entries are
            try:
                host = str(ipaddress.ip_address(host))
            except ValueError:
                return False
        if host in self.names:
            return True
        parts = host.split(".")
        return any("*." + ".".join(parts[i:]) in self.names for i in range(1, len(parts)))
