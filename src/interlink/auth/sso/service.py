"""Single sign-on as `settings.sso` configures it: each way of signing in ends in the `Principal`
of an existing workspace, by the one mapping of `rules.principal_for`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from interlink.auth.repository import WorkspaceRepository
from interlink.auth.scopes import Principal
from interlink.auth.sso.discovery import OidcProvider
from interlink.auth.sso.errors import SsoNotConfigured, SsoRefused
from interlink.auth.sso.idtokens import IdpTokens, IdTokenVerifier
from interlink.auth.sso.ldap import LdapDirectory
from interlink.auth.sso.oidc import OidcLogin, PendingLogin
from interlink.auth.sso.pending import PendingSaml
from interlink.auth.sso.rules import Identity, check_rules, principal_for
from interlink.config import SsoSettings
from interlink.core.clock import Clock
from interlink.core.db import Database

if TYPE_CHECKING:  # pysaml2 takes seconds to import: only where SAML is configured
    from interlink.auth.sso.saml import SamlLogin


@dataclass(frozen=True)
class SsoSignIn:
    """Someone signed in: who the IdP or directory says they are, and what they may do here."""

    identity: Identity
    principal: Principal


class SsoService:
    def __init__(
        self, settings: SsoSettings, clock: Clock, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        check_rules(settings.rules)
        self.rules = settings.rules
        oidc = settings.oidc
        self.oidc: OidcLogin | None = None
        self.api_tokens: IdpTokens | None = None
        if oidc.issuer:
            provider = OidcProvider(oidc, clock, transport)
            verifier = IdTokenVerifier(provider, oidc, clock)
            audiences = oidc.api_audiences or ([oidc.client_id] if oidc.client_id else [])
            self.api_tokens = IdpTokens(verifier, self.rules, audiences) if audiences else None
            if oidc.client_id and oidc.redirect_url:
                self.oidc = OidcLogin(oidc, provider, verifier, clock)
        self.ldap = LdapDirectory(settings.ldap) if settings.ldap.url else None
        self.saml: SamlLogin | None = None
        saml = settings.saml
        if saml.idp_metadata_url and saml.sp_entity_id and saml.acs_url:
            from interlink.auth.sso.saml import SamlLogin

            self.saml = SamlLogin(saml, clock)

    async def start_oidc(self) -> tuple[str, PendingLogin]:
        """Where to send the browser, and what to keep (sealed) until it comes back."""
        return await self._oidc().start()

    async def finish_oidc(
        self, db: Database, pending: PendingLogin, answer: dict[str, str]
    ) -> SsoSignIn:
        return await self._signed_in(db, await self._oidc().finish(pending, answer))

    async def sign_in_ldap(self, db: Database, username: str, password: str) -> SsoSignIn:
        if self.ldap is None:
            raise SsoNotConfigured("LDAP sign-in is not configured on this server")
        return await self._signed_in(db, await self.ldap.authenticate(username, password))

    async def start_saml(self) -> tuple[str, PendingSaml]:
        """Where to send the browser with an AuthnRequest, and what to keep (sealed)."""
        return await self._saml().start()

    async def finish_saml(
        self, db: Database, pending: PendingSaml, saml_response: str
    ) -> SsoSignIn:
        return await self._signed_in(db, await self._saml().finish(pending, saml_response))

    def _saml(self) -> SamlLogin:
        if self.saml is None:
            raise SsoNotConfigured("SAML sign-in is not configured on this server")
        return self.saml

    def _oidc(self) -> OidcLogin:
        if self.oidc is None:
            raise SsoNotConfigured("OpenID Connect sign-in is not configured on this server")
        return self.oidc

    async def _signed_in(self, db: Database, identity: Identity) -> SsoSignIn:
        principal = principal_for(identity, self.rules)
        async with db.read() as session:
            workspace = await WorkspaceRepository(session).get(principal.workspace_id)
        if workspace is None:
            raise SsoRefused("the workspace that single sign-on maps this identity to is gone")
        return SsoSignIn(identity, principal)
