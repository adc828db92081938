"""The OpenID Connect authorization-code flow with PKCE: `start` gives the URL to send the
browser to and the `PendingLogin` the caller keeps (sealed, in the browser) until the provider
sends it back; `finish` checks state, exchanges the code, verifies the ID token and its nonce,
adds the userinfo endpoint's claims, and returns the `Identity`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode

from interlink.auth.sso.discovery import OidcProvider
from interlink.auth.sso.errors import SsoRefused, SsoUnavailable
from interlink.auth.sso.idtokens import IdTokenVerifier
from interlink.auth.sso.pending import PENDING_FOR_SECONDS
from interlink.auth.sso.rules import Identity
from interlink.config import OidcSettings
from interlink.core.clock import Clock


@dataclass(frozen=True)
class PendingLogin:
    """What one browser's sign-in must come back with. Secret: keep it sealed."""

    state: str
    nonce: str
    code_verifier: str
    started_at: float

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> PendingLogin:
        try:
            return cls(**json.loads(text))
        except (ValueError, TypeError):
            raise SsoRefused("this sign-in was not started here: start it again") from None


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OidcLogin:
    def __init__(
        self, settings: OidcSettings, provider: OidcProvider, tokens: IdTokenVerifier, clock: Clock
    ) -> None:
        assert settings.client_id is not None
        assert settings.redirect_url is not None
        self.settings = settings
        self.client_id = settings.client_id
        self.redirect_url = settings.redirect_url
        self.provider = provider
        self.tokens = tokens
        self.clock = clock

    async def start(self) -> tuple[str, PendingLogin]:
        pending = PendingLogin(
            state=secrets.token_urlsafe(24),
            nonce=secrets.token_urlsafe(24),
            code_verifier=secrets.token_urlsafe(48),
            started_at=self.clock.now().timestamp(),
        )
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_url,
            "scope": " ".join(self.settings.scopes),
            "state": pending.state,
            "nonce": pending.nonce,
            "code_challenge": _challenge(pending.code_verifier),
            "code_challenge_method": "S256",
        }
        endpoint = (await self.provider.metadata()).authorization_endpoint
        separator = "&" if "?" in endpoint else "?"
        return f"{endpoint}{separator}{urlencode(query)}", pending

    async def finish(self, pending: PendingLogin, answer: dict[str, str]) -> Identity:
        """`answer` is the query string the provider redirected the browser back with."""
        self._check_answer(pending, answer)
        tokens = await self._exchange(pending, answer["code"])
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise SsoUnavailable("the identity provider answered the code without an ID token")
        claims = await self.tokens.verify(id_token, audiences=[self.client_id], nonce=pending.nonce)
        claims = {**await self._userinfo(tokens, claims["sub"]), **claims}
        name = claims.get("email") or claims.get("preferred_username") or claims["sub"]
        return Identity("oidc", str(claims["sub"]), str(name), claims)

    def _check_answer(self, pending: PendingLogin, answer: dict[str, str]) -> None:
        if not hmac.compare_digest(answer.get("state", ""), pending.state):
            raise SsoRefused("the sign-in answer does not belong to this sign-in (state)")
        if self.clock.now().timestamp() - pending.started_at > PENDING_FOR_SECONDS:
            raise SsoRefused("this sign-in took too long: start it again")
        issuer = answer.get("iss")
        if issuer is not None and issuer != self.provider.issuer:
            raise SsoRefused("the sign-in answer comes from another issuer")
        if "error" in answer:
            raise SsoRefused(f"the identity provider refused the sign-in: {answer['error'][:100]}")
        if not answer.get("code"):
            raise SsoRefused("the sign-in answer has no code")

    async def _exchange(self, pending: PendingLogin, code: str) -> dict[str, Any]:
        secret = self.settings.client_secret
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_url,
            "code_verifier": pending.code_verifier,
        }
        auth = (self.client_id, secret.get_secret_value()) if secret else None
        if auth is None:  # a public client names itself; PKCE is what binds the code to it
            form["client_id"] = self.client_id
        token_endpoint = (await self.provider.metadata()).token_endpoint
        tokens = await self.provider.post_form(token_endpoint, form, auth)
        if "error" in tokens:
            raise SsoRefused(f"the identity provider refused the code: {tokens['error'][:100]}")
        return tokens

    async def _userinfo(self, tokens: dict[str, Any], subject: str) -> dict[str, Any]:
        endpoint = (await self.provider.metadata()).userinfo_endpoint
        access_token = tokens.get("access_token")
        if not endpoint or not isinstance(access_token, str):
            return {}
        info = await self.provider.get_json(endpoint, bearer=access_token)
        return info if info.get("sub") == subject else {}
