"""SAML 2.0 sign-in against a real identity provider (SimpleSAMLphp on loopback): an AuthnRequest
over HTTP-Redirect, the IdP's own login form, a signed assertion posted back and checked."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from interlink.auth.sso.errors import SsoRefused
from interlink.auth.sso.service import SsoService
from tests.auth.sso.conftest import SAML_USERS, SsoApp, saml_settings, sso_of
from tests.peers import simplesamlphp
from tests.peers.simplesamlphp import SamlIdp, SamlLoginRefused


@pytest.fixture
async def app(sso_app: SsoApp, saml_idp: SamlIdp) -> FastAPI:
    return await sso_app(saml=saml_settings(saml_idp))


@pytest.fixture
def sso(app: FastAPI) -> SsoService:
    return sso_of(app)


async def at_the_idp(url: str, login: str, password: str | None = None) -> str:
    async with httpx.AsyncClient() as browser:
        password = password or SAML_USERS[login].password
        return (await simplesamlphp.sign_in(browser, url, login, password))["SAMLResponse"]


async def test_a_member_of_a_mapped_group_signs_in_with_its_scopes(
    app: FastAPI, sso: SsoService, workspace_id: str
) -> None:
    url, pending = await sso.start_saml()

    signed_in = await sso.finish_saml(
        app.state.services.db, pending, await at_the_idp(url, "alice")
    )

    assert signed_in.principal.workspace_id == workspace_id
    assert signed_in.principal.scopes == {"admin"}
    assert signed_in.identity.name == "alice@example.test"
    assert signed_in.identity.claims["groups"] == ["ops", "eng"]


async def test_a_wrong_password_gets_no_response(sso: SsoService) -> None:
    url, _ = await sso.start_saml()

    with pytest.raises(SamlLoginRefused):
        await at_the_idp(url, "alice", "not-alices")


async def test_a_user_in_no_mapped_group_is_refused(app: FastAPI, sso: SsoService) -> None:
    url, pending = await sso.start_saml()
    response = await at_the_idp(url, "bob")

    with pytest.raises(SsoRefused, match="no single sign-on rule gives them access here"):
        await sso.finish_saml(app.state.services.db, pending, response)


async def test_a_response_to_another_request_is_refused(app: FastAPI, sso: SsoService) -> None:
    url, _ = await sso.start_saml()
    response = await at_the_idp(url, "alice")
    _, other = await sso.start_saml()

    with pytest.raises(SsoRefused, match="the SAML response was refused"):
        await sso.finish_saml(app.state.services.db, other, response)


async def test_an_altered_assertion_is_refused(app: FastAPI, sso: SsoService) -> None:
    url, pending = await sso.start_saml()
    xml = base64.b64decode(await at_the_idp(url, "carol")).decode()
    assert ">support<" in xml
    altered = base64.b64encode(xml.replace(">support<", ">ops<").encode()).decode()

    with pytest.raises(SsoRefused, match="the SAML response was refused"):
        await sso.finish_saml(app.state.services.db, pending, altered)


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        yield http


async def test_the_console_signs_in_through_the_idp(browser: httpx.AsyncClient) -> None:
    page = await browser.get("/console/sign-in")
    assert "Sign in with SAML single sign-on" in page.text
    started = await browser.get("/console/sso/saml/start", params={"next": "/integrations"})
    assert started.status_code == 303, started.text

    response = await at_the_idp(started.headers["location"], "carol")
    came_back = await browser.post("/console/sso/saml/acs", data={"SAMLResponse": response})

    assert came_back.status_code == 303, came_back.text
    assert came_back.headers["location"] == "/console/integrations"
    assert "carol@example.test" in (await browser.get("/console/integrations")).text


async def test_the_console_refuses_a_response_it_did_not_ask_for(
    browser: httpx.AsyncClient, sso: SsoService
) -> None:
    url, _ = await sso.start_saml()
    response = await at_the_idp(url, "alice")

    came_back = await browser.post("/console/sso/saml/acs", data={"SAMLResponse": response})

    assert came_back.status_code == 401
    assert "this sign-in was not started in this browser" in came_back.text
