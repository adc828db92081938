"""The OpenID Connect provider named by `settings.sso.oidc.issuer`: its discovery document, its
signing keys (PyJWT's JWKS client, as for the API's own JWKS) and the two calls made to it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import jwt

from interlink.auth.sso.errors import SsoUnavailable
from interlink.config import OidcSettings
from interlink.core.clock import Clock

_KEEP_METADATA = timedelta(hours=1)


@dataclass(frozen=True)
class Metadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None


class OidcProvider:
    def __init__(
        self,
        settings: OidcSettings,
        clock: Clock,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        assert settings.issuer is not None
        self.issuer = settings.issuer
        self.timeout = settings.timeout_seconds
        self.clock = clock
        self._transport = transport
        self._metadata: tuple[Metadata, datetime] | None = None
        self._jwks: jwt.PyJWKClient | None = None
        self._lock = asyncio.Lock()

    async def metadata(self) -> Metadata:
        """The discovery document, read again once an hour."""
        async with self._lock:
            if self._metadata is None or self.clock.now() - self._metadata[1] > _KEEP_METADATA:
                url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
                self._metadata = (
                    _parse_metadata(await self.get_json(url), self.issuer),
                    self.clock.now(),
                )
            return self._metadata[0]

    async def signing_key(self, token: str) -> Any:
        """The key of the provider's JWKS that the token's `kid` names."""
        metadata = await self.metadata()
        if self._jwks is None or self._jwks.uri != metadata.jwks_uri:
            self._jwks = jwt.PyJWKClient(
                metadata.jwks_uri, cache_keys=True, timeout=int(self.timeout)
            )
        try:
            found = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
        except jwt.PyJWKClientConnectionError:
            raise SsoUnavailable("the identity provider's signing keys could not be read") from None
        return found.key

    async def get_json(self, url: str, bearer: str | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        return await self._call("GET", url, headers=headers)

    async def post_form(
        self, url: str, form: dict[str, str], auth: tuple[str, str] | None
    ) -> dict[str, Any]:
        return await self._call("POST", url, data=form, auth=auth)

    async def _call(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=self.timeout, transport=self._transport) as http:
                response = await http.request(
                    method,
                    url,
                    headers={"Accept": "application/json", **kwargs.pop("headers", {})},
                    **kwargs,
                )
        except httpx.HTTPError as exc:
            raise SsoUnavailable(
                f"the identity provider could not be reached ({type(exc).__name__})"
            ) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise SsoUnavailable(
                f"the identity provider answered {response.status_code} without JSON"
            )
        if response.is_error:
            return {"error": str(body.get("error") or response.status_code)}
        return body


def _parse_metadata(document: dict[str, Any], issuer: str) -> Metadata:
    if "error" in document:
        raise SsoUnavailable("the identity provider's discovery document could not be read")
    if document.get("issuer") != issuer:
        raise SsoUnavailable("the discovery document names another issuer than the one configured")
    try:
        return Metadata(
            issuer=issuer,
            authorization_endpoint=str(document["authorization_endpoint"]),
            token_endpoint=str(document["token_endpoint"]),
            jwks_uri=str(document["jwks_uri"]),
            userinfo_endpoint=document.get("userinfo_endpoint"),
        )
    except KeyError as missing:
        raise SsoUnavailable(f"the discovery document lacks {missing.args[0]}") from None
