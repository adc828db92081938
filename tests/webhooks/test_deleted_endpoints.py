"""Outcomes of deliveries deleted while they were being sent (their endpoint was deleted): the
outcomes of the other deliveries in the same group are saved, the deleted ones' dropped, and
nothing is sent twice when the leases end."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from interlink.core.clock import FrozenClock
from interlink.webhooks.models import WebhookAttempt, WebhookDelivery
from interlink.webhooks.repository import AttemptResult, DeliveryLeases
from tests.webhooks.conftest import Receiver, create_webhook, deliveries, services


def _result(delivery: WebhookDelivery, clock: FrozenClock) -> AttemptResult:
    assert delivery.lease is not None
    return AttemptResult(
        delivery_id=delivery.id, endpoint_id=delivery.endpoint_id, lease=delivery.lease,
        at=clock.now(), status_code=200, duration_ms=1, response_body="ok", error=None,
        status="succeeded", next_attempt_at=None,
    )  # fmt: skip


async def test_a_group_of_outcomes_survives_a_deleted_delivery(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver, clock: FrozenClock
) -> None:
    found = services(app)
    receiver.hold["kept"] = receiver.hold["gone"] = asyncio.Event()
    kept = await create_webhook(client, receiver.url("kept"))
    gone = await create_webhook(client, receiver.url("gone"))
    for hook in (kept, gone):
        await client.post(f"/api/v1/webhooks/{hook['id']}/test")
    dispatcher = found.dispatcher
    assert await dispatcher.run_once() == 2
    await receiver.wait_for("kept")
    await receiver.wait_for("gone")
    await dispatcher.abandon()  # the sends happened; their outcomes are written below

    async with found.db.read() as session:
        claimed = list(await session.scalars(select(WebhookDelivery)))
    assert len(claimed) == 2
    assert (await client.delete(f"/api/v1/webhooks/{gone['id']}")).status_code == 200

    before = clock.now() - timedelta(days=1)
    batch = [_result(d, clock) for d in claimed]
    await DeliveryLeases(found.db).save(batch, before)

    [log] = await deliveries(client, kept["id"])
    assert log["status"] == "succeeded"
    assert log["attempt_count"] == 1
    async with found.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(WebhookAttempt)) == 1


async def test_deleting_an_endpoint_mid_send_loses_and_repeats_nothing(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver, clock: FrozenClock
) -> None:
    found = services(app)
    gate = receiver.hold["kept"] = receiver.hold["gone"] = asyncio.Event()
    kept = await create_webhook(client, receiver.url("kept"))
    gone = await create_webhook(client, receiver.url("gone"))
    for hook in (kept, gone):
        await client.post(f"/api/v1/webhooks/{hook['id']}/test")
    dispatcher = found.dispatcher
    assert await dispatcher.run_once() == 2
    await receiver.wait_for("kept")
    await receiver.wait_for("gone")
    assert (await client.delete(f"/api/v1/webhooks/{gone['id']}")).status_code == 200
    gate.set()
    await dispatcher.idle()

    [log] = await deliveries(client, kept["id"])
    assert log["status"] == "succeeded"
    clock.advance(found.settings.webhooks.lease_seconds * 3)
    assert await dispatcher.deliver_due() == 0  # nothing comes back when the leases end
    assert len(receiver.at("kept")) == 1
    assert len(receiver.at("gone")) == 1
