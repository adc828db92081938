"""The token gate: where a request's credential is read, which ones are let in, and the
provider's answer to a missing or wrong one."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Literal

from aiohttp import web

# Reads the credential a request presents one way ("" when that way is used but empty), or None
# when it does not present one that way.
Credential = Callable[[web.Request], str | None]
# The provider's answer to a request let in by none of the tokens, given the credential it
# presented ("" for none).
Refusal = Callable[[web.Request, str], web.StreamResponse]


def authorization(*schemes: str, case_sensitive: bool = False) -> Credential:
    """`Authorization: <scheme> <token>` for any of `schemes` (`"Bearer"`, `"token"`, `"Bot"`),
    compared without case as RFC 9110 has it unless `case_sensitive`."""
    wanted = set(schemes) if case_sensitive else {scheme.lower() for scheme in schemes}

    def read(request: web.Request) -> str | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        return token if (scheme if case_sensitive else scheme.lower()) in wanted else None

    return read


def basic(part: Literal["user", "password", "both"] = "both") -> Credential:
    """Basic auth: the user name, the password, or both as `user:password` ("" when the header
    is not base64 of UTF-8)."""

    def read(request: web.Request) -> str | None:
        encoded = authorization("Basic")(request)
        if encoded is None:
            return None
        try:
            pair = base64.b64decode(encoded, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return ""
        user, _, password = pair.partition(":")
        return {"user": user, "password": password, "both": pair}[part]

    return read


def path_part(name: str) -> Credential:
    """A token in the URL path, as the route's `{name}` (Telegram's `/bot<token>/...`)."""

    def read(request: web.Request) -> str | None:
        return request.match_info.get(name, "")

    return read


@dataclass(frozen=True)
class TokenGate:
    """Lets in a request whose credential (read by the first of `credentials` it presents) is
    one of `tokens`; any other gets `refuse(request, presented)`, the provider's answer."""

    tokens: Collection[str]
    refuse: Refusal
    credentials: tuple[Credential, ...] = (authorization("Bearer"),)

    def presented(self, request: web.Request) -> str | None:
        """The credential the request presents, None when it presents none."""
        for read in self.credentials:
            found = read(request)
            if found is not None:
                return found
        return None

    def admits(self, token: str | None) -> bool:
        return token is not None and token in self.tokens

    def refusal(self, request: web.Request) -> web.StreamResponse | None:
        """None when the request is let in, else the provider's answer to it."""
        token = self.presented(request)
        return None if self.admits(token) else self.refuse(request, token or "")
