"""Deliveries: the body and signatures (checked with `standardwebhooks` and seed 001's recipe),
the outbox in the event's transaction, the retry schedule, 410, 3xx, timeouts, auto-disable,
leases, and a slow endpoint that does not delay another. The clock is a FrozenClock."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from functools import partial

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from interlink.core.clock import FrozenClock
from interlink.events.models import Event
from interlink.events.types import EventType, IntegrationState, new_event
from interlink.webhooks import verify
from interlink.webhooks.dispatcher import Dispatcher
from interlink.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.conftest import data
from tests.helpers.integrations import http_integration
from tests.helpers.polling import eventually
from tests.integrations.seed import CREATE
from tests.webhooks.conftest import (
    Receiver,
    create_webhook,
    deliveries,
    services,
)


def verifies(secret: str | bytes, body: bytes, headers: dict[str, str]) -> bool:
    """The `standardwebhooks` package's verdict (its ValueError on a bad header is a no); a
    `whsec_` secret is given as it is, a secret used as it is as its bytes."""
    try:
        Webhook(secret).verify(body, headers)
    except (WebhookVerificationError, ValueError):
        return False
    return True


def seed_001_verifies(secret: str, body: bytes, signature: str) -> bool:
    """Seed 001's JavaScript recipe in Python: hex HMAC-SHA256 of the raw body, keyed with the
    secret string, compared in constant time."""
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(signature.encode(), expected.encode())


async def test_an_event_is_delivered_signed(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    hook = await create_webhook(
        client, receiver.url("a"), events=["integration.created"], headers={"X-Team": "ops"}
    )
    created = data(await client.post("/api/v1/integrations", json=CREATE))

    assert await services(app).dispatcher.deliver_due() == 1

    [got] = receiver.at("a")
    body = json.loads(got.body)
    assert body["event"] == "integration.created"
    assert body["id"].startswith("evt_")
    assert body["data"]["integration_id"] == created["id"]
    assert body["timestamp"].endswith("Z")
    headers = {k.lower(): v for k, v in got.headers.items()}
    assert headers["webhook-id"] == body["id"]
    assert headers["x-webhook-event"] == "integration.created"
    assert headers["x-webhook-delivery"].startswith("dlv_")
    assert headers["x-team"] == "ops"
    assert verifies(hook["secret"], got.body, headers)
    assert seed_001_verifies(hook["secret"], got.body, headers["x-webhook-signature"])
    tampered = got.body.replace(b"integration.created", b"integration.deleted")
    assert not verifies(hook["secret"], tampered, headers)
    assert not seed_001_verifies(hook["secret"], tampered, headers["x-webhook-signature"])
    broken = {**headers, "webhook-signature": "v1,a,b"}
    assert not verifies(hook["secret"], got.body, broken)

    [log] = await deliveries(client, hook["id"])
    assert log["status"] == "succeeded"
    assert log["attempt_count"] == 1
    assert log["attempts"][0]["status_code"] == 200
    assert log["attempts"][0]["response_body"] == "answer of a"


async def test_a_secret_that_is_not_whsec_base64_signs_with_its_own_bytes(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver, clock: FrozenClock
) -> None:
    secret = "whsec_abcdefghijklmnopqrstuvwxyz"  # seed 000's example
    hook = await create_webhook(client, receiver.url("raw"), secret=secret)
    await client.post(f"/api/v1/webhooks/{hook['id']}/test")
    await services(app).dispatcher.deliver_due()

    [got] = receiver.at("raw")
    headers = {k.lower(): v for k, v in got.headers.items()}
    assert verifies(secret.encode(), got.body, headers)
    assert seed_001_verifies(secret, got.body, headers["x-webhook-signature"])
    now = clock.now().timestamp()
    assert verify(got.body, headers, secret, now=now)["event"] == "webhook.test"
    assert not verifies(secret.encode(), got.body + b" ", headers)


async def test_both_secrets_verify_during_a_rotation(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver, clock: FrozenClock
) -> None:
    hook = await create_webhook(client, receiver.url("r"))
    rotated = data(await client.post(f"/api/v1/webhooks/{hook['id']}/rotate-secret"))
    await client.post(f"/api/v1/webhooks/{hook['id']}/test")
    await services(app).dispatcher.deliver_due()

    [got] = receiver.at("r")
    headers = {k.lower(): v for k, v in got.headers.items()}
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert verifies(hook["secret"], got.body, headers)
    assert verifies(rotated["secret"], got.body, headers)
    assert seed_001_verifies(rotated["secret"], got.body, headers["x-webhook-signature"])

    clock.advance(25 * 3600)  # past the 24 h grace period
    await client.post(f"/api/v1/webhooks/{hook['id']}/test")
    await services(app).dispatcher.deliver_due()
    later = {k.lower(): v for k, v in receiver.at("r")[1].headers.items()}
    assert len(later["webhook-signature"].split(" ")) == 1


async def test_subscriptions_and_disabled_endpoints(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    await create_webhook(client, receiver.url("all"))
    await create_webhook(client, receiver.url("ops"), events=["operation.completed"])
    await create_webhook(client, receiver.url("off"), enabled=False)
    await client.post("/api/v1/integrations", json=CREATE)
    await services(app).dispatcher.deliver_due()
    assert len(receiver.at("all")) == 1
    assert receiver.at("ops") == []
    assert receiver.at("off") == []


async def test_operation_events_fan_out_from_the_recorder(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    hook = await create_webhook(
        client, receiver.url("ops"), events=["operation.started", "operation.completed"]
    )
    iid = await http_integration(client, receiver.base)
    response = await client.post(
        f"/api/v1/integrations/{iid}/operations/request",
        json={"parameters": {"path": "/upstream"}},
    )
    assert response.status_code == 200, response.text
    await services(app).dispatcher.deliver_due()
    assert sorted(json.loads(r.body)["event"] for r in receiver.at("ops")) == [
        "operation.completed",
        "operation.started",
    ]
    assert {d["status"] for d in await deliveries(client, hook["id"])} == {"succeeded"}


async def test_a_rolled_back_transaction_leaves_no_event_and_no_delivery(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    await create_webhook(client, receiver.url("x"))
    found = services(app)
    async with found.db.read() as session:
        workspace_id = (await session.scalars(select(WebhookEndpoint.workspace_id))).one()
    payload = IntegrationState(integration_id="int_x", name="x", type="http", status="active")

    async def publish_then_fail() -> None:
        async with found.db.transaction() as session:
            event = new_event(
                workspace_id, EventType.INTEGRATION_CREATED, payload, at=found.clock.now()
            )
            await found.events.publish(session, event)
            written = await session.scalar(select(func.count()).select_from(WebhookDelivery))
            assert written == 1  # the delivery was in the transaction...
            raise RuntimeError("a failure after the writes")

    with pytest.raises(RuntimeError, match="after the writes"):
        await publish_then_fail()

    async with found.db.read() as session:  # ...and went with it
        assert await session.scalar(select(func.count()).select_from(Event)) == 0
        assert await session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0


async def _fail_once(app: FastAPI, clock: FrozenClock, seconds: float) -> None:
    clock.advance(seconds)
    await services(app).dispatcher.deliver_due()


async def test_the_default_retry_schedule(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver, clock: FrozenClock
) -> None:
    receiver.status["down"] = 500
    hook = await create_webhook(client, receiver.url("down"))
    await client.post(f"/api/v1/webhooks/{hook['id']}/test")
    dispatcher = services(app).dispatcher
    await dispatcher.deliver_due()
    delays = [5, 300, 1800, 7200, 18000, 36000, 36000]
    for attempt, delay in enumerate(delays, start=1):
        [log] = await deliveries(client, hook["id"])
        assert log["status"] == "pending"
        assert log["attempt_count"] == attempt
        clock.advance(delay - 1)
        assert await dispatcher.deliver_due() == 0  # not due yet
        clock.advance(1)
        assert await dispatcher.deliver_due() == 1
    [log] = await deliveries(client, hook["id"])
    assert log["status"] == "failed"
    assert log["attempt_count"] == 8
    assert log["next_attempt_at"] is None
    assert {a["status_code"] for a in log["attempts"]} == {500}
    ids = {r.headers["webhook-id"] for r in receiver.at("down")}
    assert len(ids) == 1
    assert len(receiver.at("down")) == 8


async def test_a_retry_policy_backs_off_exponentially(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver, clock: FrozenClock
) -> None:
    receiver.status["p"] = 503
    hook = await create_webhook(
        client, receiver.url("p"), retry_policy={"max_attempts": 3, "backoff_ms": 2000}
    )
    await client.post(f"/api/v1/webhooks/{hook['id']}/test")
    dispatcher = services(app).dispatcher
    await dispatcher.deliver_due()
    clock.advance(1.9)
    assert await dispatcher.deliver_due() == 0
    clock.advance(0.1)
    assert await dispatcher.deliver_due() == 1
    clock.advance(4)
    assert await dispatcher.deliver_due() == 1
    [log] = await deliveries(client, hook["id"])
    assert log["status"] == "failed"
    assert log["attempt_count"] == 3


async def test_a_redirect_is_a_failure_and_is_not_followed(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.status["moved"] = 302
    hook = await create_webhook(client, receiver.url("moved"))
    await client.post(f"/api/v1/webhooks/{hook['id']}/test")
    await services(app).dispatcher.deliver_due()
    [log] = await deliveries(client, hook["id"])
    assert log["status"] == "pending"
    assert log["last_status_code"] == 302
    assert len(receiver.received) == 1


async def test_410_disables_the_endpoint(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.status["gone"] = 410
    hook = await create_webhook(client, receiver.url("gone"))
    watcher = await create_webhook(client, receiver.url("watch"), events=["webhook.disabled"])
    await client.post(f"/api/v1/webhooks/{hook['id']}/test")
    await services(app).dispatcher.deliver_due()

    read = data(await client.get(f"/api/v1/webhooks/{hook['id']}"))
    assert read["enabled"] is False
    assert "410" in read["disabled_reason"]
    [log] = await deliveries(client, hook["id"])
    assert log["status"] == "failed"
    events = data(await client.get("/api/v1/events?type=webhook.disabled"))["items"]
    assert events[0]["data"]["webhook_id"] == hook["id"]
    [told] = receiver.at("watch")
    assert json.loads(told.body)["data"]["webhook_id"] == hook["id"]
    assert watcher["enabled"] is True

    response = await client.put(f"/api/v1/webhooks/{hook['id']}", json={"enabled": True})
    assert data(response)["enabled"] is True
    assert data(response)["disabled_reason"] is None


async def test_a_timeout_is_a_failure(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.hold["slow"] = asyncio.Event()  # never answers within the 2 s timeout
    hook = await create_webhook(client, receiver.url("slow"))
    await client.post(f"/api/v1/webhooks/{hook['id']}/test")
    await services(app).dispatcher.deliver_due()
    [log] = await deliveries(client, hook["id"])
    assert log["status"] == "pending"
    assert "timed out" in log["attempts"][0]["error"]
    assert log["attempts"][0]["status_code"] is None


async def test_an_endpoint_failing_for_days_is_disabled(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver, clock: FrozenClock
) -> None:
    receiver.status["dead"] = 500
    hook = await create_webhook(client, receiver.url("dead"))
    dispatcher = services(app).dispatcher
    for _ in range(6):  # a new event each day, each failing
        await client.post(f"/api/v1/webhooks/{hook['id']}/test")
        await dispatcher.deliver_due()
        if not data(await client.get(f"/api/v1/webhooks/{hook['id']}"))["enabled"]:
            break
        clock.advance(24 * 3600)
    read = data(await client.get(f"/api/v1/webhooks/{hook['id']}"))
    assert read["enabled"] is False
    assert "failing continuously" in read["disabled_reason"]
    assert {d["status"] for d in await deliveries(client, hook["id"])} == {"failed"}


async def test_a_success_ends_the_run_of_failures(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver, clock: FrozenClock
) -> None:
    receiver.status["flaky"] = 500
    hook = await create_webhook(client, receiver.url("flaky"))
    await client.post(f"/api/v1/webhooks/{hook['id']}/test")
    await services(app).dispatcher.deliver_due()
    assert data(await client.get(f"/api/v1/webhooks/{hook['id']}"))["failing_since"]
    receiver.status["flaky"] = 200
    clock.advance(5)
    await services(app).dispatcher.deliver_due()
    assert data(await client.get(f"/api/v1/webhooks/{hook['id']}"))["failing_since"] is None


async def test_an_expired_lease_is_sent_again_with_the_same_webhook_id(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver, clock: FrozenClock
) -> None:
    found = services(app)
    receiver.hold["h"] = asyncio.Event()
    hook = await create_webhook(client, receiver.url("h"))
    await client.post(f"/api/v1/webhooks/{hook['id']}/test")
    first = found.dispatcher
    assert await first.run_once() == 1
    await receiver.wait_for("h")
    await first.abandon()  # the worker dies mid-delivery: no outcome is written

    second = Dispatcher(found.db, clock, found.webhooks, found.settings.webhooks, first.sender)
    assert await second.deliver_due() == 0  # the lease still holds
    clock.advance(found.settings.webhooks.lease_seconds + 1)
    receiver.hold.pop("h").set()
    assert await second.deliver_due() == 1

    first_try, second_try = receiver.at("h")
    assert first_try.headers["webhook-id"] == second_try.headers["webhook-id"]
    assert first_try.body == second_try.body
    [log] = await deliveries(client, hook["id"])
    assert log["status"] == "succeeded"
    assert log["attempt_count"] == 1


async def test_a_slow_endpoint_does_not_delay_another(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.hold["slow"] = asyncio.Event()
    slow = await create_webhook(client, receiver.url("slow"))
    fast = await create_webhook(client, receiver.url("fast"))
    for _ in range(15):  # more than the slow endpoint's concurrency
        await client.post(f"/api/v1/webhooks/{slow['id']}/test")
    await client.post(f"/api/v1/webhooks/{fast['id']}/test")
    dispatcher = services(app).dispatcher

    for _ in range(3):
        await dispatcher.run_once()
    await receiver.wait_for("fast")
    await eventually(
        partial(deliveries, client, fast["id"]),
        lambda items: bool(items) and items[0]["status"] == "succeeded",
    )
    assert len(receiver.at("slow")) == services(app).settings.webhooks.per_endpoint_concurrency

    receiver.hold["slow"].set()
    await dispatcher.deliver_due()
    assert len(receiver.at("slow")) == 15
