"""The console in a real browser: Debian's Chromium driven by Playwright against a real
`interlink serve` on loopback, on SQLite and (with INTERLINK_TEST_DATABASE_URL) PostgreSQL.

Screenshots of each page visited go to `.artifacts/screenshots/<database>/` (not committed); with
INTERLINK_DOCS_SCREENSHOTS=<dir>, the SQLite run also writes the pages docs/console.md shows
(`DOCS`: the viewport only, 1280x800) to that directory. An
idle or absolute expiry is tested in process with an injected clock (test_sessions.py); here a
session the server ended (its key revoked) sends the browser back to the sign-in page."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from interlink.testing import create_mock, serve_mock_in_thread
from tests.conftest import PG_URL
from tests.e2e.server import Server, start
from tests.helpers.databases import reset_postgres

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
ADMIN = "sk_console_browser_admin_0123456789abcdef"
TOKEN = "ghp_console_browser_secret_7f3e9d2c1b"  # the GitHub mock's token: never on a page
SHOTS = Path(__file__).resolve().parents[2] / ".artifacts" / "screenshots"
MOST_PAGES = 40
VIEWPORT = {"width": 1280, "height": 800}
DOCS = {  # a screenshot's name -> the docs' picture of it (docs/images/console/<name>.png)
    "sign-in": "sign-in", "overview-with-calls": "overview",
    "page-console-integrations": "integrations", "integration": "integration",
    "catalog": "catalog", "create-integration": "create-integration",
    "webhook-replayed": "webhook", "execution-waiting": "execution", "events-live": "events",
    "page-console-api-keys": "api-keys", "page-console-ai-spend": "ai-spend",
    "import-plan": "import-plan",
}  # fmt: skip

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium (apt-get install chromium)"
)


@dataclass
class Served:
    server: Server
    database: str
    api: httpx.Client
    github: str  # the mock's API root
    integration: str = ""

    @property
    def url(self) -> str:
        return self.server.url

    def shot(self, page: Any, name: str) -> None:
        folder = SHOTS / self.database
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
        docs = os.environ.get("INTERLINK_DOCS_SCREENSHOTS")
        if docs and name in DOCS and self.database == "sqlite":
            Path(docs).mkdir(parents=True, exist_ok=True)
            page.evaluate("window.scrollTo(0, 0)")  # the page's top, as a reader opens it
            page.screenshot(path=str(Path(docs) / f"{DOCS[name]}.png"), animations="disabled")


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One Chromium for the module, with a fresh profile."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM), headless=True, args=ARGS, viewport=VIEWPORT,
        )  # fmt: skip
        context.set_default_timeout(15_000)
        yield context
        context.close()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    env = {"INTERLINK_BOOTSTRAP_API_KEY": ADMIN, "INTERLINK_ALLOW_PRIVATE_URLS": "true",
           "INTERLINK_JOBS_EMBEDDED_WORKER": "false", "INTERLINK_API_RATE_LIMIT": "0"}  # fmt: skip
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip("INTERLINK_TEST_DATABASE_URL is not set: the PostgreSQL run is skipped")
        with ThreadPoolExecutor(1) as apart:  # Playwright's loop runs in this thread
            apart.submit(asyncio.run, reset_postgres(PG_URL)).result()
        env["INTERLINK_DATABASE_URL"] = PG_URL
    with serve_mock_in_thread(create_mock("github", token=TOKEN)) as github:
        server = start(tmp_path_factory.mktemp("data"), env)
        headers = {"Authorization": f"Bearer {ADMIN}"}
        try:
            with httpx.Client(base_url=server.url + "/api/v1", headers=headers) as api:
                yield Served(server, request.param, api, github.api_url)
        finally:
            server.stop()


@pytest.fixture
def page(browser_context: Any, served: Served) -> Iterator[Any]:
    browser_context.clear_cookies()
    opened = browser_context.new_page()
    yield opened
    opened.close()


def sign_in(page: Any, served: Served, key: str = ADMIN) -> None:
    page.goto(served.url + "/console/")
    assert "/console/sign-in" in page.url
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/console/$"))


def github_integration(served: Served) -> str:
    if not served.integration:
        body = {
            "name": "GitHub (mock)",
            "type": "github",
            "configuration": {"api_url": served.github},
            "credentials": {"access_token": TOKEN},
        }
        made = served.api.post("/integrations", json=body)
        assert made.status_code == 201, made.text
        served.integration = made.json()["data"]["id"]
    return served.integration


def test_sign_in_run_an_operation_and_see_it_in_the_history(page: Any, served: Served) -> None:
    page.goto(served.url + "/console/sign-in")
    served.shot(page, "sign-in")
    sign_in(page, served)
    assert page.get_by_role("heading", name="Overview").is_visible()
    served.shot(page, "overview")
    integration = github_integration(served)
    page.get_by_role("link", name="Integrations").first.click()
    page.get_by_role("link", name="GitHub (mock)").click()
    page.get_by_role("button", name="Activate").click()
    assert page.get_by_text("The integration is active.").is_visible()
    page.get_by_text("get_repository").first.click()  # opens the operation's form
    page.locator("#get_repository-owner").fill("octo-org")
    page.locator("#get_repository-repo").fill("hello-world")
    page.get_by_role("button", name="Run get_repository").click()
    result = page.locator("#result-get_repository")
    result.get_by_text("get_repository completed").wait_for()
    assert "hello-world" in result.inner_text()
    history = page.locator("#history")
    history.get_by_text("get_repository").first.wait_for()  # reloaded after the run
    assert "completed" in history.inner_text()
    served.shot(page, "integration")
    page.get_by_role("link", name="Overview").click()
    page.locator("figure.chart.drawn").first.wait_for()  # uPlot drew under the CSP
    served.shot(page, "overview-with-calls")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/console/sign-in"))
    page.goto(served.url + f"/console/integrations/{integration}")
    assert "/console/sign-in" in page.url


def test_no_secret_in_any_page(page: Any, served: Served) -> None:
    github_integration(served)
    sign_in(page, served)
    seen: set[str] = set()
    queue = ["/console/"]
    while queue and len(seen) < MOST_PAGES:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = page.goto(served.url + path)
        assert response is not None, path
        assert response.status == 200, path
        html = page.content()
        for secret in (ADMIN, TOKEN):
            assert secret not in html, f"{path} shows a secret"
        served.shot(page, "page" + re.sub(r"[^A-Za-z0-9]+", "-", path).rstrip("-"))
        for href in page.eval_on_selector_all(
            "a[href]", "els => els.map(e => e.getAttribute('href'))"
        ):
            target = href.split("#")[0]
            if target.startswith("/console/export/"):  # a download (CSV), not a page
                continue
            if target.startswith("/console/") and "/static/" not in target and target not in seen:
                queue.append(target)
    assert len(seen) >= 3


def test_a_form_without_its_csrf_token_is_refused(page: Any, served: Served) -> None:
    integration = github_integration(served)
    sign_in(page, served)
    url = served.url + f"/console/integrations/{integration}/delete"
    assert page.request.post(url, form={}).status == 403
    assert page.request.post(url, form={"csrf_token": "forged"}).status == 403
    assert served.api.get(f"/integrations/{integration}").status_code == 200


def test_a_read_only_key_sees_no_write_control_and_is_refused(page: Any, served: Served) -> None:
    integration = github_integration(served)
    made = served.api.post("/api-keys", json={"name": "viewer", "scopes": ["integrations:read"]})
    sign_in(page, served, made.json()["data"]["key"])
    page.goto(served.url + f"/console/integrations/{integration}")
    served.shot(page, "integration-read-only")
    for name in ("Activate", "Deactivate", "Delete it", "Test the connection"):
        assert page.get_by_role("button", name=name).count() == 0
    assert page.get_by_role("button", name=re.compile("^Run ")).count() == 0
    token = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    refused = page.request.post(
        served.url + f"/console/integrations/{integration}/deactivate", form={"csrf_token": token}
    )
    assert refused.status == 403
    assert "integrations:write" in refused.text()


def test_a_session_the_server_ended_signs_the_browser_out(page: Any, served: Served) -> None:
    made = served.api.post("/api-keys", json={"name": "short", "scopes": ["admin"]}).json()
    sign_in(page, served, made["data"]["key"])
    assert served.api.delete(f"/api-keys/{made['data']['id']}").status_code in (200, 204)
    page.reload()
    assert "/console/sign-in" in page.url
