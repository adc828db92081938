"""Single sign-on in the console, as a browser goes through it: the sign-in page offers it, the
OpenID Connect provider's own forms sign the person in, the callback opens a console session; the
LDAP form does the same against the directory. Refusals come back as the sign-in page."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from tests.auth.sso.conftest import OIDC_USERS, SsoApp, ldap_settings, oidc_settings
from tests.console.conftest import csrf_of
from tests.peers import oidc_provider
from tests.peers.oidc_provider import OidcPeer
from tests.peers.slapd import Directory


@pytest.fixture
async def app(sso_app: SsoApp, oidc_peer: OidcPeer, directory: Directory) -> FastAPI:
    return await sso_app(oidc=oidc_settings(oidc_peer), ldap=ldap_settings(directory))


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        yield http


async def through_the_provider(
    browser: httpx.AsyncClient, peer: OidcPeer, login: str, password: str | None = None
) -> httpx.Response:
    """Start at the console, sign in at the provider, come back to the console's callback."""
    started = await browser.get("/console/sso/oidc/start", params={"next": "/integrations"})
    assert started.status_code == 303, started.text
    async with httpx.AsyncClient() as at_the_provider:
        answer = await oidc_provider.sign_in(
            at_the_provider, started.headers["location"], peer.redirect_url, login,
            password or OIDC_USERS[login].password,
        )  # fmt: skip
    return await browser.get("/console/sso/oidc/callback", params=answer)


async def test_the_sign_in_page_offers_both_ways(browser: httpx.AsyncClient) -> None:
    page = await browser.get("/console/sign-in")

    assert page.status_code == 200
    assert "Sign in with single sign-on" in page.text
    assert 'action="/console/sign-in/ldap"' in page.text
    for secret in ("oidc-client-secret-for-tests", "reader-secret"):
        assert secret not in page.text


async def test_openid_connect_opens_a_session_with_the_rules_scopes(
    browser: httpx.AsyncClient, oidc_peer: OidcPeer
) -> None:
    came_back = await through_the_provider(browser, oidc_peer, "carol")

    assert came_back.status_code == 303, came_back.text
    assert came_back.headers["location"] == "/console/integrations"
    page = await browser.get("/console/integrations")
    assert page.status_code == 200
    assert "carol@example.test" in page.text
    assert "API keys" not in page.text  # integrations:read only: no admin pages


async def test_someone_no_rule_maps_sees_why_on_the_sign_in_page(
    browser: httpx.AsyncClient, oidc_peer: OidcPeer
) -> None:
    came_back = await through_the_provider(browser, oidc_peer, "bob")

    assert came_back.status_code == 401
    assert "no single sign-on rule gives them access here" in came_back.text
    assert (await browser.get("/console/")).status_code == 303


async def test_a_callback_this_browser_did_not_start_is_refused(
    app: FastAPI, browser: httpx.AsyncClient, oidc_peer: OidcPeer
) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as elsewhere:
        started = await elsewhere.get("/console/sso/oidc/start")
    async with httpx.AsyncClient() as at_the_provider:
        answer = await oidc_provider.sign_in(
            at_the_provider, started.headers["location"], oidc_peer.redirect_url, "alice",
            "alice-pw",
        )  # fmt: skip

    came_back = await browser.get("/console/sso/oidc/callback", params=answer)

    assert came_back.status_code == 401
    assert "this sign-in was not started in this browser" in came_back.text


async def test_the_directory_form_opens_a_session(browser: httpx.AsyncClient) -> None:
    form = await browser.get("/console/sign-in")
    fields = {"username": "alice", "password": "alice-pw", "csrf_token": csrf_of(form.text)}

    signed_in = await browser.post("/console/sign-in/ldap", data=fields)

    assert signed_in.status_code == 303, signed_in.text
    page = await browser.get("/console/")
    assert page.status_code == 200
    assert "alice@example.test" in page.text


async def test_a_wrong_directory_password_shows_the_form_again(
    browser: httpx.AsyncClient,
) -> None:
    form = await browser.get("/console/sign-in")
    fields = {"username": "alice", "password": "wrong-pw", "csrf_token": csrf_of(form.text)}

    refused = await browser.post("/console/sign-in/ldap", data=fields)

    assert refused.status_code == 401
    assert "wrong username or password" in refused.text
    assert "wrong-pw" not in refused.text


async def test_the_directory_form_needs_its_csrf_token(browser: httpx.AsyncClient) -> None:
    await browser.get("/console/sign-in")

    refused = await browser.post(
        "/console/sign-in/ldap", data={"username": "alice", "password": "alice-pw"}
    )

    assert refused.status_code == 403
