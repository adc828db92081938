"""Signing in with OpenID Connect against a real provider (oidc-provider on loopback): the
authorization-code flow with PKCE through the provider's own login and consent forms."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from interlink.auth.sso.errors import SsoRefused
from interlink.auth.sso.oidc import PendingLogin
from interlink.auth.sso.service import SsoService, SsoSignIn
from interlink.core.db import Database
from tests.auth.sso.conftest import (
    ID_TOKEN_TTL,
    OIDC_USERS,
    ShiftableClock,
    SsoApp,
    oidc_settings,
    raw_tokens,
    sso_of,
)
from tests.peers.oidc_provider import LoginRefused, OidcPeer, sign_in


async def through_the_provider(
    service: Sso, peer: OidcPeer, login: str, password: str | None = None
) -> tuple[PendingLogin, dict[str, str]]:
    url, pending = await service.start_oidc()
    async with httpx.AsyncClient() as browser:
        password = password or OIDC_USERS[login].password
        answer = await sign_in(browser, url, peer.redirect_url, login, password)
    return pending, answer


@dataclass(frozen=True)
class Sso:
    service: SsoService
    db: Database

    async def start_oidc(self) -> tuple[str, PendingLogin]:
        return await self.service.start_oidc()

    async def finish(self, pending: PendingLogin, answer: dict[str, str]) -> SsoSignIn:
        return await self.service.finish_oidc(self.db, pending, answer)


@pytest.fixture
async def sso(sso_app: SsoApp, oidc_peer: OidcPeer) -> Sso:
    app = await sso_app(oidc=oidc_settings(oidc_peer))
    return Sso(sso_of(app), app.state.services.db)


async def test_a_member_of_a_mapped_group_signs_in_with_its_scopes(
    sso: Sso, oidc_peer: OidcPeer, workspace_id: str
) -> None:
    pending, answer = await through_the_provider(sso, oidc_peer, "alice")

    signed_in = await sso.finish(pending, answer)

    assert signed_in.principal.workspace_id == workspace_id
    assert signed_in.principal.scopes == {"admin"}
    assert signed_in.principal.subject == "oidc:alice"
    assert signed_in.identity.name == "alice@example.test"
    assert signed_in.identity.claims["groups"] == ["ops", "eng"]


async def test_the_first_matching_rule_gives_the_scopes(sso: Sso, oidc_peer: OidcPeer) -> None:
    pending, answer = await through_the_provider(sso, oidc_peer, "carol")

    signed_in = await sso.finish(pending, answer)

    assert signed_in.principal.scopes == {"integrations:read"}


async def test_the_authorization_request_carries_pkce_state_and_nonce(sso: Sso) -> None:
    url, pending = await sso.start_oidc()

    query = httpx.URL(url).params
    assert query["code_challenge_method"] == "S256"
    assert query["state"] == pending.state
    assert query["nonce"] == pending.nonce
    assert pending.code_verifier not in url


async def test_a_wrong_password_gets_no_code(sso: Sso, oidc_peer: OidcPeer) -> None:
    with pytest.raises(LoginRefused):
        await through_the_provider(sso, oidc_peer, "alice", password="not-alices")


async def test_a_user_in_no_mapped_group_is_refused(sso: Sso, oidc_peer: OidcPeer) -> None:
    pending, answer = await through_the_provider(sso, oidc_peer, "bob")

    with pytest.raises(SsoRefused) as refused:
        await sso.finish(pending, answer)

    assert refused.value.message == (
        "bob@example.test signed in, but no single sign-on rule gives them access here"
    )


async def test_an_answer_to_another_sign_in_is_refused(sso: Sso, oidc_peer: OidcPeer) -> None:
    _, answer = await through_the_provider(sso, oidc_peer, "alice")
    _, other = await sso.start_oidc()

    with pytest.raises(SsoRefused, match=r"\(state\)"):
        await sso.finish(other, answer)


async def test_an_id_token_with_another_nonce_is_refused(sso: Sso, oidc_peer: OidcPeer) -> None:
    pending, answer = await through_the_provider(sso, oidc_peer, "alice")
    tampered = dataclasses.replace(pending, nonce="a-nonce-this-sign-in-never-sent")

    with pytest.raises(SsoRefused, match="nonce"):
        await sso.finish(tampered, answer)


async def test_a_code_without_its_pkce_verifier_is_refused(sso: Sso, oidc_peer: OidcPeer) -> None:
    pending, answer = await through_the_provider(sso, oidc_peer, "alice")
    tampered = dataclasses.replace(pending, code_verifier="x" * 64)

    with pytest.raises(SsoRefused, match="refused the code: invalid_grant"):
        await sso.finish(tampered, answer)


async def test_a_code_is_used_once(sso: Sso, oidc_peer: OidcPeer) -> None:
    pending, answer = await through_the_provider(sso, oidc_peer, "alice")
    await sso.finish(pending, answer)

    with pytest.raises(SsoRefused, match="invalid_grant"):
        await sso.finish(pending, answer)


async def test_an_expired_id_token_is_refused(
    sso: Sso, oidc_peer: OidcPeer, clock: ShiftableClock
) -> None:
    pending, answer = await through_the_provider(sso, oidc_peer, "alice")
    clock.advance(ID_TOKEN_TTL + 1)  # the sign-in itself may last ten minutes

    with pytest.raises(SsoRefused, match="has expired"):
        await sso.finish(pending, answer)


async def test_a_sign_in_that_took_too_long_is_refused(
    sso: Sso, oidc_peer: OidcPeer, clock: ShiftableClock
) -> None:
    pending, answer = await through_the_provider(sso, oidc_peer, "alice")
    clock.advance(601)

    with pytest.raises(SsoRefused, match="took too long"):
        await sso.finish(pending, answer)


async def test_an_error_answer_is_refused_with_its_code(sso: Sso) -> None:
    _, pending = await sso.start_oidc()

    with pytest.raises(SsoRefused, match="refused the sign-in: access_denied"):
        await sso.finish(pending, {"state": pending.state, "error": "access_denied"})


async def test_id_tokens_not_signed_by_the_provider_are_refused(
    sso: Sso, oidc_peer: OidcPeer
) -> None:
    real = (await raw_tokens(sso.service, oidc_peer, "carol"))["id_token"]
    claims = jwt.decode(real, options={"verify_signature": False}) | {"groups": ["ops"]}
    ours = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, ours, algorithm="RS256", headers={"kid": "test-key-1"})
    header, _, signature = real.split(".")
    spliced = ".".join([header, jwt.encode(claims, "k" * 32).split(".")[1], signature])
    unsigned = jwt.encode(claims, None, algorithm="none")
    login = sso.service.oidc
    assert login is not None

    for token in (forged, spliced, unsigned):
        with pytest.raises(SsoRefused):
            await login.tokens.verify(token, audiences=[oidc_peer.client_id])
