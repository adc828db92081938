"""Tokens signed by the identity provider: ID tokens at the end of a sign-in, and ID or access
tokens (JWTs) sent to the API as bearer tokens, mapped by the same rules as a console sign-in."""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from typing import Any

import jwt

from interlink.auth.sso.discovery import OidcProvider
from interlink.auth.sso.errors import SsoRefused
from interlink.auth.sso.rules import Identity, principal_for
from interlink.config import OidcSettings, SsoRule
from interlink.core.clock import Clock

_ASYMMETRIC = {"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512"}
_ALGORITHMS = _ASYMMETRIC | {"EdDSA"}


class IdTokenVerifier:
    """Checks a token's signature against the provider's JWKS and its claims against the
    injected clock: `iss`, `aud` (and `azp` when there are several), `exp`, `nbf`, `nonce`."""

    def __init__(self, provider: OidcProvider, settings: OidcSettings, clock: Clock) -> None:
        self.provider = provider
        self.client_id = settings.client_id
        self.algorithms = sorted(set(settings.algorithms) & _ALGORITHMS)  # never HS*, never none
        self.clock = clock

    async def verify(
        self, token: str, *, audiences: Sequence[str], nonce: str | None = None
    ) -> dict[str, Any]:
        try:
            algorithm = jwt.get_unverified_header(token).get("alg")
            if algorithm not in self.algorithms:
                raise SsoRefused("the identity provider's token uses an algorithm not allowed")
            key = await self.provider.signing_key(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=list(audiences),
                issuer=self.provider.issuer,
                options={
                    "require": ["exp", "iat", "sub", "iss", "aud"],
                    "verify_exp": False,  # checked below on the injected clock
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise SsoRefused(
                f"the identity provider's token was refused: {type(exc).__name__}"
            ) from None
        self._check_times(claims)
        self._check_party(claims)
        if nonce is not None and not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
            raise SsoRefused("the ID token's nonce is not the one this sign-in sent")
        return claims

    def _check_times(self, claims: dict[str, Any]) -> None:
        now = self.clock.now().timestamp()
        if not isinstance(claims["exp"], int | float) or claims["exp"] <= now:
            raise SsoRefused("the identity provider's token has expired")
        not_before = claims.get("nbf")
        if isinstance(not_before, int | float) and not_before > now + 60:
            raise SsoRefused("the identity provider's token is not valid yet")

    def _check_party(self, claims: dict[str, Any]) -> None:
        audience = claims["aud"]
        several = isinstance(audience, list) and len(audience) > 1
        if several and claims.get("azp", self.client_id) != self.client_id:
            raise SsoRefused("the ID token was issued to another client (azp)")


def issuer_of(token: str) -> str | None:
    """The `iss` a JWT claims, unverified: only to choose who verifies it."""
    try:
        issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
    except jwt.PyJWTError:
        return None
    return issuer if isinstance(issuer, str) else None


class IdpTokens:
    """API bearer tokens issued by the configured OpenID Connect provider."""

    def __init__(
        self, verifier: IdTokenVerifier, rules: Sequence[SsoRule], audiences: Sequence[str]
    ) -> None:
        self.verifier = verifier
        self.rules = rules
        self.audiences = list(audiences)

    def issued(self, token: str) -> bool:
        return issuer_of(token) == self.verifier.provider.issuer

    async def claims(self, token: str) -> dict[str, Any]:
        """The token as the claims of one of Interlink's own (`sub`, `workspace`, `scopes`),
        once verified and mapped by the rules; `SsoRefused` when either says no."""
        claims = await self.verifier.verify(token, audiences=self.audiences)
        identity = Identity(
            "oidc", str(claims["sub"]), str(claims.get("email") or claims["sub"]), claims
        )
        principal = principal_for(identity, self.rules)
        return {
            "sub": principal.subject,
            "workspace": principal.workspace_id,
            "scopes": sorted(principal.scopes),
        }
