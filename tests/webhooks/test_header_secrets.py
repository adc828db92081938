"""Custom headers of an endpoint carry credentials (`Authorization`, API keys): their values are
stored sealed, never shown by the API, sent as given, and rows stored in clear by earlier
versions keep working and are sealed at the next start."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web
from fastapi import FastAPI
from sqlalchemy import update

from interlink.app import create_app
from interlink.config import Settings
from interlink.core.clock import Clock
from interlink.vault.keyring import key_id_of
from interlink.vault.lifecycle import VaultKeys
from interlink.vault.masking import MASK
from interlink.webhooks.models import WebhookEndpoint
from interlink.webhooks.service import reseal_webhook_secrets
from tests.conftest import ADMIN_KEY, client_for, data, error
from tests.helpers.servers import serve_app
from tests.webhooks.conftest import Receiver, create_webhook, deliveries, services

TOKEN = "Bearer tok_live_0123456789abcdef"
HEADERS = {"Authorization": TOKEN, "X-Api-Key": "key-0123456789", "X-Team": "ops"}


async def stored_headers(app: FastAPI, endpoint_id: str) -> dict[str, object]:
    async with services(app).db.read() as session:
        row = await session.get(WebhookEndpoint, endpoint_id)
        assert row is not None
        return dict(row.headers)


async def sent_headers(app: FastAPI, receiver: Receiver, client: httpx.AsyncClient,
                       hook: dict[str, object], path: str) -> dict[str, str]:  # fmt: skip
    assert (await client.post(f"/api/v1/webhooks/{hook['id']}/test")).status_code == 202
    await services(app).dispatcher.deliver_due()
    return {k.lower(): v for k, v in receiver.at(path)[-1].headers.items()}


async def test_values_are_stored_sealed_shown_masked_and_sent_as_given(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    hook = await create_webhook(client, receiver.url("h"), headers=HEADERS)

    shown = {"Authorization": MASK, "X-Api-Key": MASK, "X-Team": "ops"}
    assert hook["headers"] == shown
    assert data(await client.get(f"/api/v1/webhooks/{hook['id']}"))["headers"] == shown
    listed = (await client.get("/api/v1/webhooks")).text
    assert TOKEN not in listed
    assert "key-0123456789" not in listed
    stored = json.dumps(await stored_headers(app, hook["id"]))
    for value in HEADERS.values():
        assert value not in stored
    sent = await sent_headers(app, receiver, client, hook, "h")
    assert sent["authorization"] == TOKEN
    assert sent["x-api-key"] == "key-0123456789"
    assert sent["x-team"] == "ops"


async def test_an_update_that_sends_back_the_mask_keeps_the_stored_value(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    hook = await create_webhook(client, receiver.url("m"), headers=HEADERS)
    read = data(await client.get(f"/api/v1/webhooks/{hook['id']}"))

    changes = {"headers": {**read["headers"], "X-Team": "platform"}}
    response = await client.put(f"/api/v1/webhooks/{hook['id']}", json=changes)

    assert response.status_code == 200, response.text
    assert data(response)["headers"]["X-Team"] == "platform"
    sent = await sent_headers(app, receiver, client, hook, "m")
    assert sent["authorization"] == TOKEN
    assert sent["x-team"] == "platform"


async def test_the_mask_for_a_header_never_stored_is_refused(client: httpx.AsyncClient) -> None:
    hook = await create_webhook(client, "https://hooks.example.com/n")
    before = data(await client.get(f"/api/v1/webhooks/{hook['id']}"))

    response = await client.put(
        f"/api/v1/webhooks/{hook['id']}", json={"headers": {"Authorization": MASK}}
    )

    assert response.status_code == 400
    assert error(response)["code"] == "INVALID_REQUEST"
    assert data(await client.get(f"/api/v1/webhooks/{hook['id']}")) == before


async def test_a_row_stored_in_clear_keeps_working_and_is_sealed_at_the_next_start(
    app: FastAPI, settings: Settings, clock: Clock, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    hook = await create_webhook(client, receiver.url("old"))
    async with services(app).db.transaction() as session:  # as an earlier version stored it
        await session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == hook["id"])
            .values(headers={"Authorization": TOKEN, "X-Team": "ops"})
        )

    assert (await sent_headers(app, receiver, client, hook, "old"))["authorization"] == TOKEN
    read = data(await client.get(f"/api/v1/webhooks/{hook['id']}"))
    assert read["headers"] == {"Authorization": MASK, "X-Team": "ops"}

    restarted = create_app(settings, clock=clock)
    async with restarted.router.lifespan_context(restarted), client_for(restarted, ADMIN_KEY):
        stored = await stored_headers(restarted, hook["id"])
    assert TOKEN not in json.dumps(stored)
    assert (await sent_headers(app, receiver, client, hook, "old"))["authorization"] == TOKEN


async def test_key_rotation_reseals_header_values(app: FastAPI, client: httpx.AsyncClient) -> None:
    hook = await create_webhook(client, "https://hooks.example.com/k", headers=HEADERS)
    found = services(app)
    old = set(found.keyring.keys)
    new_key = VaultKeys.add_active_key(found.keyring)

    async with found.db.transaction() as session:
        assert await reseal_webhook_secrets(session, found.keyring, old) == 1 + len(HEADERS)

    stored = await stored_headers(app, hook["id"])
    assert {key_id_of(v["sealed"]) for v in stored.values() if isinstance(v, dict)} == {new_key}
    async with found.db.read() as session:
        row = await session.get(WebhookEndpoint, hook["id"])
        assert row is not None
        assert found.webhooks.headers(row.workspace_id, row.id, row.headers) == HEADERS


async def _echo(request: web.Request) -> web.Response:
    return web.json_response(dict(request.headers), status=401)


@pytest.fixture
async def echo() -> AsyncIterator[str]:
    """An endpoint that answers with the headers it was sent (as a debugging receiver might)."""
    application = web.Application()
    application.router.add_post("/", _echo)
    async with serve_app(application) as url:
        yield f"{url}/"


async def test_an_endpoint_echoing_its_headers_leaves_no_credential_in_the_log(
    app: FastAPI, client: httpx.AsyncClient, echo: str
) -> None:
    hook = await create_webhook(client, echo, headers=HEADERS)
    await client.post(f"/api/v1/webhooks/{hook['id']}/test")
    await services(app).dispatcher.deliver_due()

    [delivery] = await deliveries(client, hook["id"])
    answer = delivery["attempts"][0]["response_body"]
    assert "ops" in answer  # the echo came back
    assert "tok_live_0123456789abcdef" not in answer
    assert "key-0123456789" not in answer
