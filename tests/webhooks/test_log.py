"""The delivery log, one delivery, retry, recover since a time, and the test event."""

from __future__ import annotations

import json

import httpx
from fastapi import FastAPI

from interlink.core.clock import FrozenClock, rfc3339
from tests.conftest import data, error
from tests.integrations.seed import CREATE
from tests.webhooks.conftest import Receiver, create_webhook, deliveries, services


async def test_the_test_event_goes_to_that_endpoint_only(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    one = await create_webhook(client, receiver.url("one"))
    await create_webhook(client, receiver.url("two"))
    response = await client.post(f"/api/v1/webhooks/{one['id']}/test")
    assert response.status_code == 202
    assert data(response)["event"] == "webhook.test"
    await services(app).dispatcher.deliver_due()
    [got] = receiver.at("one")
    assert json.loads(got.body)["data"]["webhook_id"] == one["id"]
    assert receiver.at("two") == []


async def test_log_filters_one_delivery_and_retry(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.status["log"] = 500
    hook = await create_webhook(client, receiver.url("log"), retry_policy={"max_attempts": 1})
    await client.post("/api/v1/integrations", json=CREATE)
    await client.post(f"/api/v1/webhooks/{hook['id']}/test")
    dispatcher = services(app).dispatcher
    await dispatcher.deliver_due()

    failed = await deliveries(client, hook["id"], "status=failed")
    assert len(failed) == 2
    only = await deliveries(client, hook["id"], "event=webhook.test")
    assert [d["event"] for d in only] == ["webhook.test"]
    one = data(await client.get(f"/api/v1/webhooks/{hook['id']}/deliveries/{only[0]['id']}"))
    assert one["attempts"][0]["status_code"] == 500
    assert one["attempts"][0]["duration_ms"] >= 0
    missing = await client.get(f"/api/v1/webhooks/{hook['id']}/deliveries/dlv_nope")
    assert error(missing)["code"] == "DELIVERY_NOT_FOUND"

    receiver.status["log"] = 200
    retried = await client.post(f"/api/v1/webhooks/{hook['id']}/deliveries/{one['id']}/retry")
    assert data(retried)["status"] == "pending"
    await dispatcher.deliver_due()
    again = data(await client.get(f"/api/v1/webhooks/{hook['id']}/deliveries/{one['id']}"))
    assert again["status"] == "succeeded"
    assert len(again["attempts"]) == 2
    ids = {r.headers["webhook-id"] for r in receiver.at("log") if b"webhook.test" in r.body}
    assert len(ids) == 1


async def test_recover_resends_failed_deliveries_since_a_time(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver, clock: FrozenClock
) -> None:
    receiver.status["rec"] = 500
    hook = await create_webhook(client, receiver.url("rec"), retry_policy={"max_attempts": 1})
    await client.post(f"/api/v1/webhooks/{hook['id']}/test")
    clock.advance(3600)
    since = clock.now()
    for _ in range(3):
        await client.post(f"/api/v1/webhooks/{hook['id']}/test")
    dispatcher = services(app).dispatcher
    await dispatcher.deliver_due()
    assert len(await deliveries(client, hook["id"], "status=failed")) == 4

    receiver.status["rec"] = 200
    response = await client.post(
        f"/api/v1/webhooks/{hook['id']}/recover", json={"since": rfc3339(since)}
    )
    assert response.status_code == 202
    assert data(response)["requeued"] == 3
    await dispatcher.deliver_due()
    assert len(await deliveries(client, hook["id"], "status=succeeded")) == 3
    assert len(await deliveries(client, hook["id"], "status=failed")) == 1

    bad = await client.post(f"/api/v1/webhooks/{hook['id']}/recover", json={"since": "yesterday"})
    assert bad.status_code == 400
