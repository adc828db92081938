"""Journeys through the console's webhook, workflow and event pages in a real browser (Chromium
driven by Playwright, test_browser.py's fixtures) against a real `interlink serve` with its
worker and delivery dispatcher, on SQLite and (with INTERLINK_TEST_DATABASE_URL) PostgreSQL:
find a failed delivery and replay it to a real loopback receiver, run a workflow with an input
and cancel it while it waits, and watch events arrive on the live tail."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.conftest import PG_URL
from tests.console.test_browser import ADMIN, CHROMIUM, Served, sign_in
from tests.console.test_browser import browser_context as browser_context  # the fixtures
from tests.console.test_browser import page as page
from tests.e2e.server import start
from tests.helpers.databases import reset_postgres

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium (apt-get install chromium)"
)
DEADLINE = 20.0  # seconds any one wait may take, at most


class Receiver(ThreadingHTTPServer):
    """A webhook receiver on 127.0.0.1 answering `status`; it keeps each request's webhook-id."""

    status = 500
    seen: list[str]


class _Answer(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.server.seen.append(self.headers.get("webhook-id", ""))
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver(("127.0.0.1", 0), _Answer)
    found.seen = []
    thread = threading.Thread(target=found.serve_forever, daemon=True)
    thread.start()
    yield found
    found.shutdown()
    found.server_close()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """`interlink serve` with its worker (workflows run) and dispatcher (deliveries go)."""
    env = {"INTERLINK_BOOTSTRAP_API_KEY": ADMIN, "INTERLINK_ALLOW_PRIVATE_URLS": "true",
           "INTERLINK_API_RATE_LIMIT": "0", "INTERLINK_LOG_LEVEL": "warning",
           "INTERLINK_JOBS_POLLING_INTERVAL_SECONDS": "0.1",
           "INTERLINK_WEBHOOKS_POLL_INTERVAL_SECONDS": "0.1"}  # fmt: skip
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip("INTERLINK_TEST_DATABASE_URL is not set: the PostgreSQL run is skipped")
        with ThreadPoolExecutor(1) as apart:  # Playwright's loop runs in this thread
            apart.submit(asyncio.run, reset_postgres(PG_URL)).result()
        env["INTERLINK_DATABASE_URL"] = PG_URL
    server = start(tmp_path_factory.mktemp("data"), env)
    headers = {"Authorization": f"Bearer {ADMIN}"}
    try:
        with httpx.Client(base_url=server.url + "/api/v1", headers=headers) as api:
            yield Served(server, request.param, api, github="")
    finally:
        server.stop()


def until(found: Callable[[], bool], refresh: Callable[[], Any] | None = None) -> None:
    """Poll (at most DEADLINE seconds) until `found` holds, calling `refresh` between looks."""
    end = time.monotonic() + DEADLINE
    while not found():
        assert time.monotonic() < end, "not reached in time"
        time.sleep(0.1)  # polling for a state another process reaches, not timing anything
        if refresh is not None:
            refresh()


def test_find_a_failed_delivery_and_replay_it(
    page: Any, served: Served, receiver: Receiver
) -> None:
    url = f"http://127.0.0.1:{receiver.server_address[1]}/orders"
    body = {"url": url, "name": "Orders", "events": ["webhook.test"],
            "retry_policy": {"max_attempts": 1}}  # fmt: skip
    hook = served.api.post("/webhooks", json=body).json()["data"]
    served.api.post(f"/webhooks/{hook['id']}/test")
    sign_in(page, served)
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_role("link", name="Orders").click()
    failed = page.locator("tbody.delivery").filter(
        has=page.locator(".state-bad", has_text="failed")
    )
    until(lambda: failed.count() == 1, page.reload)
    assert "HTTP 500" in failed.inner_text()
    served.shot(page, "webhook-failed-delivery")

    receiver.status = 200
    failed.get_by_role("button", name="Replay").click()
    page.get_by_text("The delivery is queued to be sent again now.").wait_for()
    done = page.locator("tbody.delivery").filter(
        has=page.locator(".state-ok", has_text="succeeded")
    )
    until(lambda: done.count() == 1, page.reload)
    assert "2 attempts" in done.inner_text()
    served.shot(page, "webhook-replayed")
    assert len(receiver.seen) == 2
    assert receiver.seen[0] == receiver.seen[1]  # the same webhook-id: a receiver can dedupe


def test_run_a_workflow_and_cancel_it_while_it_waits(page: Any, served: Served) -> None:
    steps = [
        {"name": "prepare", "type": "set", "config": {"values": {"greeting": "hello"}}},
        {"name": "nap", "type": "delay", "config": {"seconds": 3600}},
        {"name": "after", "type": "set", "config": {"values": {"late": True}}},
    ]
    body = {"name": "Nightly sync", "definition": {"steps": steps}}
    workflow = served.api.post("/workflows", json=body).json()["data"]
    sign_in(page, served)
    page.get_by_role("link", name="Workflows").click()
    page.get_by_role("link", name="Nightly sync").click()
    page.get_by_label("Input (a JSON object)").fill('{"who": ')
    page.get_by_role("button", name="Run").click()
    page.get_by_text("The input is not JSON").wait_for()
    page.get_by_label("Input (a JSON object)").fill('{"who": "ops"}')
    page.get_by_role("button", name="Run").click()
    page.get_by_text("The execution has started.").wait_for()
    page.locator("h1 .state", has_text="waiting").wait_for()  # the page follows the run
    bars = page.locator(".timeline-bar.placed")
    assert bars.count() == 2
    assert all(bars.nth(i).bounding_box()["width"] > 0 for i in range(2))  # type: ignore[index]
    served.shot(page, "execution-waiting")

    page.get_by_role("button", name="Cancel").click()
    page.get_by_text("The execution is cancelled.").wait_for()
    assert page.locator("h1 .state").inner_text() == "cancelled"
    served.shot(page, "execution-cancelled")
    [execution] = served.api.get(f"/workflows/{workflow['id']}/executions").json()["data"]["items"]
    assert execution["status"] == "cancelled"
    assert execution["input"] == {"who": "ops"}
    shown = served.api.get(f"/executions/{execution['id']}").json()["data"]
    assert "after" not in [s["name"] for s in shown["steps"] if s["status"] == "completed"]


def test_events_arrive_on_the_live_tail(page: Any, served: Served) -> None:
    sign_in(page, served)
    page.get_by_role("link", name="Events").click()
    page.locator("[data-tail-state] .state-ok", has_text="live").wait_for()
    body = {"name": "Tail me", "type": "http", "configuration": {"api_url": "https://example.com"}}
    made = served.api.post("/integrations", json=body).json()["data"]
    fresh = page.locator("tr.event.fresh")
    fresh.first.wait_for()
    assert "integration.created" in fresh.first.inner_text()
    assert made["id"] in fresh.first.inner_text()
    served.shot(page, "events-live")
