"""Google's OAuth 2.0 server, as the mock serves it: the token endpoint (`POST /token`: a
refresh token, or a service account's JWT assertion, RFC 7523) and tokeninfo
(`/oauth2/v2/tokeninfo`), with Google's token answers and errors."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from interlink.core.clock import Clock
from interlink.testing.base import json_response

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"  # noqa: S105 - an address
LIFETIME = 3599  # seconds, as Google's tokens last
MAX_ASSERTION = 3600  # an assertion's exp - iat
SKEW = 300.0


@cache
def service_account_key() -> rsa.RSAPrivateKey:
    """The mock service account's key pair (one per process: RSA keys are slow to make)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_key_pem() -> str:
    return (
        service_account_key()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


@dataclass(frozen=True)
class Grant:
    """What an access token stands for: whose mailbox and files, with which scopes."""

    user: str
    scopes: frozenset[str]
    client: str
    expires: float | None = None  # epoch seconds; None: never (the mock's own token)


class TokenRefused(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


@dataclass
class TokenServer:
    """Issues access tokens for the mock's OAuth client (its refresh token) and its service
    account (a JWT signed with `service_account_key`, `sub` one of `users` for domain-wide
    delegation), and says what a token stands for."""

    clock: Clock
    user: str
    users: frozenset[str]
    client_id: str = "mock-client.apps.googleusercontent.com"
    client_secret: str = "mock-client-secret"  # noqa: S105
    refresh_token: str = "mock-refresh-token"  # noqa: S105
    client_email: str = "interlink-mock@mock-project.iam.gserviceaccount.com"
    refresh_scopes: frozenset[str] = frozenset()
    issued: dict[str, Grant] = field(default_factory=dict)

    def live(self) -> frozenset[str]:
        """The tokens it stands behind now."""
        return frozenset(token for token in self.issued if self.grant(token) is not None)

    def grant(self, token: str) -> Grant | None:
        found = self.issued.get(token)
        if found is None or (found.expires is not None and found.expires <= self._now()):
            return None
        return found

    async def token(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        try:
            grant = self._grant(request, {k: str(v) for k, v in form.items()})
        except TokenRefused as refused:
            body = {"error": refused.error, "error_description": refused.description}
            return json_response(body, status=refused.status)
        token = "ya29.mock-" + secrets.token_urlsafe(24)
        self.issued[token] = grant
        answer = {
            "access_token": token,
            "expires_in": LIFETIME,
            "scope": " ".join(sorted(grant.scopes)),
            "token_type": "Bearer",
        }
        return json_response(answer)

    async def tokeninfo(self, request: web.Request) -> web.StreamResponse:
        form = await request.post() if request.method == "POST" else {}
        token = str(form.get("access_token") or request.query.get("access_token") or "")
        grant = self.grant(token)
        if grant is None:
            return json_response(
                {"error": "invalid_token", "error_description": "Invalid Value"}, status=400
            )
        left = int(grant.expires - self._now()) if grant.expires is not None else LIFETIME
        return json_response(
            {
                "issued_to": grant.client,
                "audience": grant.client,
                "user_id": str(int(hashlib.sha256(grant.user.encode()).hexdigest()[:15], 16)),
                "scope": " ".join(sorted(grant.scopes)),
                "expires_in": left,
                "email": grant.user,
                "verified_email": True,
            }
        )

    def _grant(self, request: web.Request, form: dict[str, str]) -> Grant:
        kind = form.get("grant_type")
        if kind == "refresh_token":
            return self._refreshed(form)
        if kind == JWT_BEARER:
            return self._asserted(request, form.get("assertion", ""))
        raise TokenRefused(400, "unsupported_grant_type", f"Invalid grant_type: {kind or ''}")

    def _refreshed(self, form: dict[str, str]) -> Grant:
        if (form.get("client_id"), form.get("client_secret")) != (
            self.client_id,
            self.client_secret,
        ):
            raise TokenRefused(401, "invalid_client", "The OAuth client was not found.")
        if form.get("refresh_token") != self.refresh_token:
            raise TokenRefused(400, "invalid_grant", "Token has been expired or revoked.")
        return Grant(self.user, self.refresh_scopes, self.client_id, self._now() + LIFETIME)

    def _asserted(self, request: web.Request, assertion: str) -> Grant:
        claims = self._claims(request, assertion)
        if claims.get("iss") != self.client_email:
            raise TokenRefused(400, "invalid_grant", "Invalid grant: account not found")
        now, issued, expires = self._now(), float(claims["iat"]), float(claims["exp"])
        if expires - issued > MAX_ASSERTION or not issued - SKEW <= now <= expires + SKEW:
            raise TokenRefused(
                400,
                "invalid_grant",
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
                "timeframe. Check your iat and exp values in the JWT claim.",
            )
        scopes = frozenset(str(claims.get("scope") or "").split())
        if not scopes:
            raise TokenRefused(400, "invalid_scope", "Invalid OAuth scope or ID token audience "
                               "provided.")  # fmt: skip
        subject = claims.get("sub")
        if subject is not None and subject not in self.users:
            raise TokenRefused(
                401,
                "unauthorized_client",
                "Client is unauthorized to retrieve access tokens using this method, or client "
                "not authorized for any of the scopes requested.",
            )
        user = str(subject) if subject else self.client_email
        return Grant(user, scopes, self.client_email, now + LIFETIME)

    def _claims(self, request: web.Request, assertion: str) -> dict[str, Any]:
        audiences = [GOOGLE_TOKEN_URL, str(request.url.with_query(None))]
        try:
            found: dict[str, Any] = jwt.decode(
                assertion,
                service_account_key().public_key(),
                algorithms=["RS256"],
                audience=audiences,
                options={"require": ["iss", "aud", "iat", "exp"], "verify_exp": False,
                         "verify_iat": False},
            )  # fmt: skip
        except jwt.InvalidSignatureError:
            raise TokenRefused(400, "invalid_grant", "Invalid JWT Signature.") from None
        except jwt.InvalidTokenError as bad:
            raise TokenRefused(400, "invalid_grant", f"Invalid JWT: {bad}") from None
        return found

    def _now(self) -> float:
        return self.clock.now().timestamp()
