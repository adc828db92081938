"""Single sign-on fixtures: the real peers (an OpenID Connect provider and an LDAP directory, each
started once per module on a loopback port), a clock the test can move, and apps whose
`settings.sso` maps the peers' people to the bootstrap workspace."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from interlink.auth.sso.service import SsoService
from interlink.config import LdapSettings, OidcSettings, SamlSettings, SsoRule, SsoSettings
from tests.auth.conftest import MakeApp
from tests.conftest import ADMIN_KEY, client_for, data
from tests.peers import oidc_provider, simplesamlphp, slapd
from tests.peers.oidc_provider import OidcPeer, User
from tests.peers.simplesamlphp import SamlIdp, SamlUser
from tests.peers.slapd import Directory, Person

REDIRECT_URL = "http://testserver/console/sso/oidc/callback"
OIDC_USERS = {
    "alice": User("alice-pw", {"email": "alice@example.test", "groups": ["ops", "eng"]}),
    "carol": User("carol-pw", {"email": "carol@example.test", "groups": ["support"]}),
    "bob": User("bob-pw", {"email": "bob@example.test", "groups": ["sales"]}),
}
LDAP_PEOPLE = [
    Person("alice", "alice-pw", "alice@example.test", ("ops", "eng")),
    Person("carol", "carol-pw", "carol@example.test", ("support",)),
    Person("bob", "bob-pw", "bob@example.test", ("sales",)),
]
SAML_USERS = {
    login: SamlUser(user.password, {"uid": [login], "mail": [str(user.claims["email"])],
                                    "groups": list(user.claims["groups"])})
    for login, user in OIDC_USERS.items()
}  # fmt: skip
SP_ENTITY_ID = "http://testserver/console/sso/saml/metadata"
ACS_URL = "http://testserver/console/sso/saml/acs"
ID_TOKEN_TTL = 300


class ShiftableClock:
    """The real time, plus whatever the test moved it by (the peers run on the real time)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@pytest.fixture
def clock() -> ShiftableClock:
    return ShiftableClock()


@pytest.fixture(scope="module")
def oidc_peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcPeer]:
    reason = oidc_provider.skip_reason()
    if reason:
        pytest.skip(reason)
    workdir = tmp_path_factory.mktemp("oidc")
    with oidc_provider.oidc_provider(workdir, REDIRECT_URL, OIDC_USERS, ID_TOKEN_TTL) as peer:
        yield peer


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Directory]:
    reason = slapd.skip_reason()
    if reason:
        pytest.skip(reason)
    with slapd.slapd(tmp_path_factory.mktemp("slapd"), LDAP_PEOPLE) as running:
        yield running


@pytest.fixture(scope="module")
def saml_idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SamlIdp]:
    reason = simplesamlphp.skip_reason()
    if reason:
        pytest.skip(reason)
    workdir = tmp_path_factory.mktemp("simplesamlphp")
    with simplesamlphp.simplesamlphp(workdir, SP_ENTITY_ID, ACS_URL, SAML_USERS) as idp:
        yield idp


def saml_settings(idp: SamlIdp) -> SamlSettings:
    return SamlSettings(
        idp_metadata_url=idp.metadata_url, sp_entity_id=SP_ENTITY_ID, acs_url=ACS_URL
    )


def rules(workspace_id: str) -> list[SsoRule]:
    """ops are admins, support reads integrations, anyone at partner.test reads webhooks."""
    return [
        SsoRule(claim="groups", equals="ops", workspace=workspace_id, scopes=["admin"]),
        SsoRule(
            claim="groups",
            equals="support",
            workspace=workspace_id,
            scopes=["integrations:read"],
        ),
        SsoRule(
            claim="email",
            matches="*@partner.test",
            workspace=workspace_id,
            scopes=["webhooks:read"],
        ),
    ]


def oidc_settings(peer: OidcPeer, **overrides: Any) -> OidcSettings:
    values: dict[str, Any] = {
        "issuer": peer.issuer,
        "client_id": peer.client_id,
        "client_secret": SecretStr(peer.client_secret),
        "redirect_url": peer.redirect_url,
        "scopes": ["openid", "email", "groups"],
    }
    return OidcSettings(**(values | overrides))


def ldap_settings(directory: Directory, **overrides: Any) -> LdapSettings:
    values: dict[str, Any] = {
        "url": directory.url,
        "bind_dn": directory.reader_dn,
        "bind_password": SecretStr(directory.reader_password),
        "user_base": directory.people,
    }
    return LdapSettings(**(values | overrides))


@pytest.fixture
async def workspace_id(make_app: MakeApp) -> str:
    """The bootstrap workspace, made by a first app on the test's database."""
    async with client_for(await make_app(), ADMIN_KEY) as client:
        return str(data(await client.get("/api/v1/workspaces"))["items"][0]["id"])


SsoApp = Callable[..., Awaitable[FastAPI]]


@pytest.fixture
def sso_app(make_app: MakeApp, workspace_id: str) -> SsoApp:
    """An app on the test's database with `settings.sso` as given (rules: `rules(workspace)`)."""

    async def make(**sso: Any) -> FastAPI:
        return await make_app(sso=SsoSettings(**({"rules": rules(workspace_id)} | sso)))

    return make


def sso_of(app: FastAPI) -> SsoService:
    service: SsoService = app.state.services.sso
    return service


async def raw_tokens(service: SsoService, peer: OidcPeer, login: str) -> dict[str, Any]:
    """The provider's tokens for `login`, got as any OpenID Connect client would: through the
    provider's forms, then the code exchanged at its token endpoint."""
    url, pending = await service.start_oidc()
    async with httpx.AsyncClient() as browser:
        answer = await oidc_provider.sign_in(
            browser, url, peer.redirect_url, login, OIDC_USERS[login].password
        )
        response = await browser.post(
            f"{peer.issuer}/token",
            data={
                "grant_type": "authorization_code",
                "code": answer["code"],
                "redirect_uri": peer.redirect_url,
                "code_verifier": pending.code_verifier,
            },
            auth=(peer.client_id, peer.client_secret),
        )
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens
