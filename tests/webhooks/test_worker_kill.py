"""A real `interlink worker` killed with SIGKILL while a webhook delivery is in flight: the
receiver holds the request, the worker dies, the lease runs out on the real clock, and a new
worker (the same executor id restarted, or another one) sends the delivery again. The receiver
accepts the event once, and both attempts carry the same `webhook-id` and verify."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from standardwebhooks.webhooks import Webhook

from interlink.config import Settings, WebhookSettings
from interlink.core.clock import Clock, SystemClock
from tests.conftest import data, make_settings
from tests.helpers.polling import eventually
from tests.helpers.servers import serve_app
from tests.integrations.seed import CREATE
from tests.jobs.workers import start_worker
from tests.webhooks.conftest import create_webhook, deliveries

HOLD_LIMIT = 60.0  # the longest the receiver holds the first request
TIMEOUT_SECONDS = 3.0  # a worker's attempt timeout: longer than it takes us to kill it
LEASE_SECONDS = 2 * TIMEOUT_SECONDS  # the dispatcher's lease is at least twice the timeout
WEBHOOKS_ENV = {
    "INTERLINK_WEBHOOKS_TIMEOUT_SECONDS": str(TIMEOUT_SECONDS),
    "INTERLINK_WEBHOOKS_LEASE_SECONDS": "1",
    "INTERLINK_WEBHOOKS_POLL_INTERVAL_SECONDS": "0.1",
}


@dataclass(frozen=True)
class Seen:
    headers: dict[str, str]  # lower-cased names
    body: bytes
    at: float  # wall clock (time.time()), to compare with the delivery's lease


@dataclass
class StallingReceiver:
    """Holds the first request until `release` is set (at most HOLD_LIMIT s), then answers it
    200 only if its connection is still open; answers every later request 200 at once.
    `accepted` lists the requests whose 2xx answer had a sender to read it."""

    base: str = ""
    seen: list[Seen] = field(default_factory=list)
    accepted: list[Seen] = field(default_factory=list)
    in_hand: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    held: web.Request | None = None

    async def handle(self, request: web.Request) -> web.Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        got = Seen(headers, await request.read(), time.time())
        self.seen.append(got)
        if len(self.seen) == 1:
            self.held = request
            self.in_hand.set()
            await asyncio.wait_for(self.release.wait(), HOLD_LIMIT)
            if self.held_cut():
                return web.Response(status=200, text="to nobody")
        self.accepted.append(got)
        return web.Response(status=200, text="accepted")

    def held_cut(self) -> bool:
        """The held request's connection is gone (its sender died)."""
        transport = self.held.transport if self.held is not None else None
        return transport is None or transport.is_closing()


@pytest.fixture
async def receiver() -> AsyncIterator[StallingReceiver]:
    found = StallingReceiver()
    application = web.Application()
    application.router.add_post("/hook", found.handle)
    async with serve_app(application) as url:
        found.base = url
        yield found
        found.release.set()


@pytest.fixture
def clock() -> Clock:
    return SystemClock()  # the workers run on the real clock: so does the API here


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    (tmp_path / "data").mkdir(exist_ok=True)
    # API only: no embedded worker, no embedded dispatcher; the subprocesses deliver.
    hooks = WebhookSettings(dispatcher_enabled=False)
    return make_settings(tmp_path / "data", database_url, webhooks=hooks)


async def _wait(event: asyncio.Event, what: str, seconds: float = 30.0) -> None:
    try:
        await asyncio.wait_for(event.wait(), seconds)
    except TimeoutError:
        raise AssertionError(f"{what}: not within {seconds} s") from None


@pytest.mark.parametrize("recovery", ["restart", "another"])
async def test_a_delivery_cut_by_sigkill_is_sent_again_with_its_webhook_id(
    client: httpx.AsyncClient,
    settings: Settings,
    database_url: str,
    receiver: StallingReceiver,
    recovery: str,
) -> None:
    data_dir = settings.server.data_dir
    hook = await create_webhook(client, f"{receiver.base}/hook", events=["integration.created"])
    first = start_worker(data_dir, database_url, "worker-a", extra_env=WEBHOOKS_ENV)
    try:
        created = data(await client.post("/api/v1/integrations", json=CREATE))
        await _wait(receiver.in_hand, "the worker's request")  # held upstream: kill now
        first.kill()
    finally:
        first.stop()

    async def dropped() -> bool:
        return receiver.held_cut()

    await eventually(dropped, bool)  # the receiver sees the held request's connection drop
    receiver.release.set()  # the held request is answered into a closed connection

    [leased] = await deliveries(client, hook["id"])
    assert leased["status"] == "pending", leased
    assert (leased["attempt_count"], leased["attempts"]) == (0, []), leased  # nothing written
    leased_until = datetime.fromisoformat(leased["next_attempt_at"]).timestamp()

    executor = "worker-a" if recovery == "restart" else "worker-b"
    second = start_worker(data_dir, database_url, executor, extra_env=WEBHOOKS_ENV)
    try:
        [done] = await eventually(
            lambda: deliveries(client, hook["id"]),
            lambda found: bool(found) and found[0]["status"] != "pending",
            deadline=30.0 + LEASE_SECONDS,
        )
    finally:
        assert second.stop() == 0
    # The worker is stopped: nothing more can arrive.

    assert done["status"] == "succeeded", done
    assert done["attempt_count"] == 1
    assert [a["status_code"] for a in done["attempts"]] == [200]
    assert len(receiver.seen) == 2, receiver.seen
    killed, again = receiver.seen
    assert again.at >= leased_until  # sent again only when the dead worker's lease ran out
    assert receiver.accepted == [again]  # accepted exactly once: the killed attempt does not count
    event_id = again.headers["webhook-id"]
    assert event_id.startswith("evt_")
    assert killed.headers["webhook-id"] == event_id
    assert killed.headers["x-webhook-delivery"] == again.headers["x-webhook-delivery"]
    assert killed.headers["x-webhook-delivery"] == done["id"]
    assert done["event_id"] == event_id
    assert killed.body == again.body
    for attempt in (killed, again):
        payload = Webhook(hook["secret"]).verify(attempt.body, attempt.headers)
        assert payload["id"] == event_id
        assert payload["event"] == "integration.created"
        assert payload["data"]["integration_id"] == created["id"]
