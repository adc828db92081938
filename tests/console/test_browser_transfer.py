"""Export from one server and import into another, in a real browser (Chromium driven by
Playwright, test_browser.py's fixtures): an integration created from the console's catalog on a
first `interlink serve` is downloaded with the console's Export button (its secret sealed under a
passphrase), uploaded to a second `interlink serve` with a fresh data directory, its dry run read
and applied; the integration is then on the second server and calls its upstream with the secret
that came across. The first server runs on SQLite; the second on SQLite, and on PostgreSQL when
INTERLINK_TEST_DATABASE_URL is set (a round trip from SQLite to PostgreSQL)."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import PG_URL
from tests.console.test_browser import ADMIN, CHROMIUM, Served, sign_in
from tests.console.test_browser import browser_context as browser_context  # the fixture
from tests.e2e.server import start
from tests.helpers.databases import reset_postgres

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium (apt-get install chromium)"
)
SECRET = "sk_transfer_journey_secret_6a0f2e"
PASSPHRASE = "a long passphrase for the journey"
ENV = {"INTERLINK_BOOTSTRAP_API_KEY": ADMIN, "INTERLINK_ALLOW_PRIVATE_URLS": "true",
       "INTERLINK_JOBS_EMBEDDED_WORKER": "false", "INTERLINK_API_RATE_LIMIT": "0",
       "INTERLINK_LOG_LEVEL": "warning"}  # fmt: skip


class Upstream(ThreadingHTTPServer):
    """An API on 127.0.0.1 that keeps each call's Authorization header."""

    seen: list[str]


class _Answer(BaseHTTPRequestHandler):
    server: Upstream

    def do_GET(self) -> None:
        self.server.seen.append(self.headers.get("Authorization", ""))
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@dataclass
class Pair:
    source: Served
    target: Served
    upstream: Upstream


@pytest.fixture(scope="module")
def upstream() -> Iterator[Upstream]:
    found = Upstream(("127.0.0.1", 0), _Answer)
    found.seen = []
    thread = threading.Thread(target=found.serve_forever, daemon=True)
    thread.start()
    yield found
    found.shutdown()
    found.server_close()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, upstream: Upstream
) -> Iterator[Pair]:
    target_env = dict(ENV)
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip("INTERLINK_TEST_DATABASE_URL is not set: the PostgreSQL run is skipped")
        with ThreadPoolExecutor(1) as apart:  # Playwright's loop runs in this thread
            apart.submit(asyncio.run, reset_postgres(PG_URL)).result()
        target_env["INTERLINK_DATABASE_URL"] = PG_URL
    first = start(tmp_path_factory.mktemp("source"), ENV)
    second = start(tmp_path_factory.mktemp("target"), target_env)
    headers = {"Authorization": f"Bearer {ADMIN}"}
    try:
        with (
            httpx.Client(base_url=first.url + "/api/v1", headers=headers) as a,
            httpx.Client(base_url=second.url + "/api/v1", headers=headers) as b,
        ):
            yield Pair(
                Served(first, "sqlite", a, github=""),
                Served(second, request.param, b, github=""),
                upstream,
            )
    finally:
        first.stop()
        second.stop()


@pytest.fixture
def page(browser_context: Any) -> Iterator[Any]:
    browser_context.clear_cookies()
    opened = browser_context.new_page()
    yield opened
    opened.close()


def _create_from_the_catalog(page: Any, source: Served, upstream: Upstream) -> None:
    page.get_by_role("link", name="Integrations").first.click()
    page.get_by_role("link", name="Create an integration").click()
    source.shot(page, "catalog")
    page.locator('a[href$="/console/catalog/http"]').click()
    page.get_by_label("Name (required)").fill("Orders API")
    page.get_by_label(re.compile("^Base URL")).fill(f"http://127.0.0.1:{upstream.server_port}")
    page.locator('input[name="credential.api_key.api_key"]').fill(SECRET)
    source.shot(page, "create-integration")
    page.get_by_role("button", name="Create the integration").click()
    page.get_by_text("The integration is created.").wait_for()
    page.get_by_role("button", name="Activate").click()
    page.get_by_text("The integration is active.").wait_for()


def _export(page: Any, source: Served, folder: Path) -> Path:
    page.get_by_role("link", name="Export / import").click()
    page.get_by_label(re.compile("^Passphrase to include the secrets")).fill(PASSPHRASE)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the bundle").click()
    saved = folder / download.value.suggested_filename
    download.value.save_as(saved)
    return saved


def _import(page: Any, target: Served, bundle: Path) -> None:
    page.get_by_role("link", name="Export / import").click()
    page.get_by_label("Bundle (JSON)").set_input_files(str(bundle))
    page.get_by_label(re.compile(r"^Passphrase \(for a bundle")).fill(PASSPHRASE)
    page.get_by_role("button", name="Show what would change").click()
    page.get_by_role("heading", name="What the import would change").wait_for()
    row = page.locator("tr", has_text="Orders API").filter(has=page.locator(".action-create"))
    assert row.count() == 1
    assert target.api.get("/integrations").json()["data"]["items"] == []  # a dry run
    target.shot(page, "import-plan")
    page.get_by_label("Passphrase (again)").fill(PASSPHRASE)
    page.get_by_role("button", name="Apply the import").click()
    page.get_by_text("The bundle is imported.").wait_for()


def test_export_and_import_into_a_second_server(
    page: Any, pair: Pair, tmp_path: Path, browser_context: Any
) -> None:
    sign_in(page, pair.source)
    _create_from_the_catalog(page, pair.source, pair.upstream)
    bundle = _export(page, pair.source, tmp_path)
    assert SECRET not in bundle.read_text()
    assert '"format_version": 1' in bundle.read_text()

    browser_context.clear_cookies()
    sign_in(page, pair.target)
    _import(page, pair.target, bundle)
    page.get_by_role("link", name="See the integrations").click()
    page.get_by_role("link", name="Orders API").click()
    assert page.get_by_role("heading", name=re.compile("^Orders API")).is_visible()
    assert SECRET not in page.content()
    [made] = pair.target.api.get("/integrations").json()["data"]["items"]
    ran = pair.target.api.post(
        f"/integrations/{made['id']}/operations/request",
        json={"parameters": {"method": "GET", "path": "/orders"}},
    )
    assert ran.status_code == 200, ran.text
    assert SECRET in pair.upstream.seen[-1]  # the sealed secret came across
