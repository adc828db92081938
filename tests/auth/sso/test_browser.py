"""Single sign-on in a real browser: Debian's Chromium (Playwright) against a real `interlink serve`
configured with the OpenID Connect provider and the LDAP directory on loopback. The browser goes
through the provider's own login and consent pages and comes back signed in. Screenshots go to
`.artifacts/screenshots/sso/` (not committed)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.auth.sso.conftest import OIDC_USERS
from tests.e2e.server import Server, free_port, start
from tests.peers import oidc_provider
from tests.peers.oidc_provider import OidcPeer
from tests.peers.slapd import Directory

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
ADMIN = "sk_sso_browser_admin_0123456789abcdefgh"
SHOTS = Path(__file__).resolve().parents[3] / ".artifacts" / "screenshots" / "sso"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium (apt-get install chromium)"
)


@pytest.fixture(scope="module")
def port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def browser_peer(tmp_path_factory: pytest.TempPathFactory, port: int) -> Iterator[OidcPeer]:
    reason = oidc_provider.skip_reason()
    if reason:
        pytest.skip(reason)
    redirect = f"http://127.0.0.1:{port}/console/sso/oidc/callback"
    with oidc_provider.oidc_provider(
        tmp_path_factory.mktemp("oidc-browser"), redirect, OIDC_USERS
    ) as peer:
        yield peer


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, port: int, browser_peer: OidcPeer,
    directory: Directory,
) -> Iterator[Server]:  # fmt: skip
    """The server started once to make its workspace, then again with single sign-on mapping
    the peers' people to it."""
    data_dir = tmp_path_factory.mktemp("data")
    env = {"INTERLINK_BOOTSTRAP_API_KEY": ADMIN, "INTERLINK_JOBS_EMBEDDED_WORKER": "false",
           "INTERLINK_API_RATE_LIMIT": "0"}  # fmt: skip
    first = start(data_dir, env, port)
    try:
        headers = {"Authorization": f"Bearer {ADMIN}"}
        listed = httpx.get(f"{first.url}/api/v1/workspaces", headers=headers).json()
        workspace = listed["data"]["items"][0]["id"]
    finally:
        first.stop()
    server = start(data_dir, env | _sso_env(browser_peer, directory, workspace), port)
    try:
        yield server
    finally:
        server.stop()


def _sso_env(peer: OidcPeer, directory: Directory, workspace: str) -> dict[str, str]:
    rules = [
        {"claim": "groups", "equals": "ops", "workspace": workspace, "scopes": ["admin"]},
        {"claim": "groups", "equals": "support", "workspace": workspace,
         "scopes": ["integrations:read"]},
    ]  # fmt: skip
    return {
        "INTERLINK_SSO_RULES": json.dumps(rules),
        "INTERLINK_SSO_OIDC_ISSUER": peer.issuer,
        "INTERLINK_SSO_OIDC_CLIENT_ID": peer.client_id,
        "INTERLINK_SSO_OIDC_CLIENT_SECRET": peer.client_secret,
        "INTERLINK_SSO_OIDC_REDIRECT_URL": peer.redirect_url,
        "INTERLINK_SSO_OIDC_SCOPES": '["openid", "email", "groups"]',
        "INTERLINK_SSO_OIDC_DISPLAY_NAME": "Example ID",
        "INTERLINK_SSO_LDAP_URL": directory.url,
        "INTERLINK_SSO_LDAP_BIND_DN": directory.reader_dn,
        "INTERLINK_SSO_LDAP_BIND_PASSWORD": directory.reader_password,
        "INTERLINK_SSO_LDAP_USER_BASE": directory.people,
    }


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM), headless=True, args=ARGS,
        )  # fmt: skip
        context.set_default_timeout(15_000)
        yield context
        context.close()


@pytest.fixture
def page(browser_context: Any, served: Server) -> Iterator[Any]:
    browser_context.clear_cookies()
    opened = browser_context.new_page()
    yield opened
    opened.close()


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_signing_in_through_the_identity_provider(page: Any, served: Server) -> None:
    page.goto(served.url + "/console/integrations")
    shot(page, "sign-in")
    page.get_by_role("link", name="Sign in with Example ID").click()

    page.locator("input[name=login]").fill("carol")
    page.locator("input[name=password]").fill(OIDC_USERS["carol"].password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Allow").click()

    page.wait_for_url(re.compile(r"/console/integrations$"))
    shot(page, "signed-in-oidc")
    assert "carol@example.test" in page.content()
    assert page.get_by_role("link", name="API keys").count() == 0  # integrations:read only


def test_someone_no_rule_maps_is_told_why(page: Any, served: Server) -> None:
    page.goto(served.url + "/console/sign-in")
    page.get_by_role("link", name="Sign in with Example ID").click()
    page.locator("input[name=login]").fill("bob")
    page.locator("input[name=password]").fill(OIDC_USERS["bob"].password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Allow").click()

    page.wait_for_url(re.compile(r"/console/sso/oidc/callback"))
    assert "no single sign-on rule gives them access here" in page.content()


def test_signing_in_with_a_directory_account(page: Any, served: Server) -> None:
    page.goto(served.url + "/console/sign-in")
    page.get_by_label("Directory username").fill("alice")
    page.get_by_label("Password", exact=True).fill("alice-pw")
    page.get_by_role("button", name="Sign in with your directory account").click()

    page.wait_for_url(re.compile(r"/console/$"))
    shot(page, "signed-in-ldap")
    assert "alice@example.test" in page.content()
    assert page.get_by_role("link", name="API keys").count() == 1  # ops: admin
