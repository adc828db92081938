"""JWT bearer tokens: issued for an API key, verified against a secret or a JWKS URL."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from typing import Any

import jwt

from interlink.auth.sso.errors import SsoRefused
from interlink.auth.sso.idtokens import IdpTokens
from interlink.config import JwtSettings

_ASYMMETRIC = {
    "RS256",
    "RS384",
    "RS512",
    "ES256",
    "ES384",
    "ES512",
    "PS256",
    "PS384",
    "PS512",
    "EdDSA",
}
_SYMMETRIC = {"HS256", "HS384", "HS512"}
# The JWS compact form: header, payload and signature (empty when unsigned), base64url each.
_COMPACT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


def looks_like_token(value: str) -> bool:
    """Whether `value` has the shape of a JWT (and so is told about as a token, not a key)."""
    return len(value) <= 16_384 and _COMPACT.match(value) is not None


class TokenInvalid(Exception):
    """The bearer token is not valid."""


class TokenIssuingDisabled(Exception):
    """No signing secret (INTERLINK_JWT_SECRET) or no HS* algorithm is configured."""


class TokenVerifier:
    def __init__(self, settings: JwtSettings, idp: IdpTokens | None = None) -> None:
        self.settings = settings
        self.idp = idp  # tokens of the single sign-on provider, mapped by settings.sso.rules
        allowed = set(settings.algorithms) & (_ASYMMETRIC | _SYMMETRIC)  # never "none"
        self.algorithms = sorted(allowed)
        self._jwks = (
            jwt.PyJWKClient(settings.jwks_url, cache_keys=True) if settings.jwks_url else None
        )

    @property
    def enabled(self) -> bool:
        return bool(self.settings.secret or self._jwks) and bool(self.algorithms)

    def issue(self, claims: dict[str, Any], now: datetime) -> tuple[str, datetime]:
        # Sign only with an algorithm that verify() accepts: no HS* allowed, no tokens issued.
        algorithm = next((a for a in self.algorithms if a in _SYMMETRIC), None)
        if not self.settings.secret or algorithm is None:
            raise TokenIssuingDisabled()
        expires = now + timedelta(seconds=self.settings.token_ttl_seconds)
        body = {
            **claims,
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
            "aud": self.settings.audience,
            "iss": self.settings.issuer,
        }
        secret = self.settings.secret.get_secret_value()
        return jwt.encode(body, secret, algorithm=algorithm), expires

    async def verify(self, token: str) -> dict[str, Any]:
        if self.idp is not None and self.idp.issued(token):
            try:
                return await self.idp.claims(token)
            except SsoRefused as exc:
                raise TokenInvalid(exc.message) from None
        if not self.enabled:
            raise TokenInvalid("bearer tokens are not enabled on this server")
        try:
            header = jwt.get_unverified_header(token)
            algorithm = header.get("alg")
            if algorithm not in self.algorithms:
                raise TokenInvalid("token algorithm is not allowed")
            key = await self._key_for(token, algorithm)
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.settings.audience,
                issuer=self.settings.issuer,
                options={"require": ["exp", "sub", "aud", "iss"]},
            )
        except jwt.PyJWTError as exc:
            raise TokenInvalid(f"bearer token rejected: {type(exc).__name__}") from None
        return claims

    async def _key_for(self, token: str, algorithm: str) -> Any:
        if algorithm in _SYMMETRIC:
            if not self.settings.secret:
                raise TokenInvalid("symmetric tokens need INTERLINK_JWT_SECRET")
            return self.settings.secret.get_secret_value()
        if self._jwks is None:
            raise TokenInvalid("asymmetric tokens need INTERLINK_JWT_JWKS_URL")
        signing_key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
        return signing_key.key
