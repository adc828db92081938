"""SAML 2.0 Web Browser SSO as a service provider, with pysaml2 (signatures checked by xmlsec1):
`start` gives the URL of an AuthnRequest (HTTP-Redirect binding) and the `PendingSaml` the caller
keeps (sealed) until the IdP posts the response back; `finish` checks the response (signed
assertion, audience, InResponseTo, validity window, destination) and returns the `Identity`."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import httpx
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig

from interlink.auth.sso.errors import SsoRefused, SsoUnavailable
from interlink.auth.sso.pending import PENDING_FOR_SECONDS, PendingSaml
from interlink.auth.sso.rules import Identity
from interlink.config import SamlSettings
from interlink.core.clock import Clock

_KEEP_METADATA = timedelta(hours=1)


class SamlLogin:
    def __init__(self, settings: SamlSettings, clock: Clock) -> None:
        assert settings.idp_metadata_url is not None
        self.settings = settings
        self.clock = clock
        self._client: tuple[Saml2Client, datetime] | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> tuple[str, PendingSaml]:
        client = await self._saml_client()
        request_id, info = await asyncio.to_thread(
            client.prepare_for_authenticate, binding=BINDING_HTTP_REDIRECT
        )
        location = dict(info["headers"])["Location"]
        return location, PendingSaml(str(request_id), self.clock.now().timestamp())

    async def finish(self, pending: PendingSaml, saml_response: str) -> Identity:
        if self.clock.now().timestamp() - pending.started_at > PENDING_FOR_SECONDS:
            raise SsoRefused("this sign-in took too long: start it again")
        client = await self._saml_client()
        outstanding = {pending.request_id: self.settings.acs_url}
        try:
            answer = await asyncio.to_thread(
                client.parse_authn_request_response, saml_response, BINDING_HTTP_POST, outstanding
            )
        except Exception as exc:  # pysaml2 raises dozens of kinds on a bad response
            raise SsoRefused(f"the SAML response was refused: {type(exc).__name__}") from None
        if answer is None or answer.name_id is None:
            raise SsoRefused("the SAML response was refused: it names nobody")
        return _identity(str(answer.name_id.text), answer.ava)

    async def _saml_client(self) -> Saml2Client:
        async with self._lock:
            if self._client is None or self.clock.now() - self._client[1] > _KEEP_METADATA:
                self._client = (await self._build(), self.clock.now())
            return self._client[0]

    async def _build(self) -> Saml2Client:
        metadata = await self._metadata()
        try:
            config = SPConfig()
            config.load(self._config(metadata))
            return Saml2Client(config=config)
        except Exception as exc:  # pysaml2's many kinds: unreadable metadata, no xmlsec1...
            raise SsoUnavailable(f"SAML could not be set up ({type(exc).__name__})") from None

    async def _metadata(self) -> str:
        url = self.settings.idp_metadata_url
        assert url is not None
        try:
            async with httpx.AsyncClient(timeout=self.settings.timeout_seconds) as http:
                response = await http.get(url)
        except httpx.HTTPError as exc:
            raise SsoUnavailable(
                f"the SAML IdP's metadata could not be read ({type(exc).__name__})"
            ) from None
        if response.status_code != 200:
            raise SsoUnavailable(f"the SAML IdP's metadata answered {response.status_code}")
        return response.text

    def _config(self, metadata: str) -> dict[str, Any]:
        sp = {
            "endpoints": {
                "assertion_consumer_service": [(self.settings.acs_url, BINDING_HTTP_POST)]
            },
            "want_assertions_signed": True,
            "want_response_signed": False,
            "allow_unsolicited": False,
            "authn_requests_signed": False,
        }
        return {
            "entityid": self.settings.sp_entity_id,
            "service": {"sp": sp},
            "metadata": {"inline": [metadata]},
            "xmlsec_binary": str(self.settings.xmlsec_binary),
            "allow_unknown_attributes": True,
        }


def _identity(subject: str, attributes: dict[str, Any]) -> Identity:
    claims: dict[str, Any] = {"sub": subject, **attributes}
    email = _first(attributes.get("mail") or attributes.get("email"))
    claims["email"] = email
    return Identity("saml", subject, email or subject, claims)


def _first(value: Any) -> str | None:
    if isinstance(value, list):
        return str(value[0]) if value else None
    return str(value) if value else None
