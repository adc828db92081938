"""The endpoints resource: fields of both seeds, secrets shown once, scopes, isolation, and the
SSRF guard on registration."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from interlink.app import create_app
from interlink.config import ServerSettings, WebhookSettings
from interlink.vault.keyring import key_id_of
from interlink.vault.lifecycle import VaultKeys
from interlink.vault.masking import MASK
from interlink.webhooks.models import WebhookEndpoint
from interlink.webhooks.service import reseal_webhook_secrets
from interlink.webhooks.signing import secret_key
from tests.conftest import ADMIN_KEY, client_for, data, error, make_settings
from tests.webhooks.conftest import create_webhook, services


async def test_create_read_update_delete(client: httpx.AsyncClient) -> None:
    created = await create_webhook(
        client,
        "https://hooks.example.com/in",
        events=["integration.created", "operation.completed"],
        name="Ops",
        description="Production hook",
        headers={"X-Custom-Header": "value"},
        retryPolicy={"maxAttempts": 3, "backoffMs": 1000},
    )
    assert created["id"].startswith("whk_")
    assert created["secret"].startswith("whsec_")
    assert len(secret_key(created["secret"])) >= 24
    assert created["retry_policy"] == {"max_attempts": 3, "backoff_ms": 1000}
    assert created["headers"] == {"X-Custom-Header": "value"}
    assert created["enabled"] is True

    read = data(await client.get(f"/api/v1/webhooks/{created['id']}"))
    assert read["secret"] == MASK
    listed = data(await client.get("/api/v1/webhooks"))
    assert [w["id"] for w in listed["items"]] == [created["id"]]

    response = await client.put(
        f"/api/v1/webhooks/{created['id']}", json={"events": ["*"], "enabled": False}
    )
    updated = data(response)
    assert updated["events"] == ["*"]
    assert updated["enabled"] is False
    assert updated["name"] == "Ops"

    assert data(await client.delete(f"/api/v1/webhooks/{created['id']}"))["deleted"] is True
    response = await client.get(f"/api/v1/webhooks/{created['id']}")
    assert response.status_code == 404
    assert error(response)["code"] == "WEBHOOK_NOT_FOUND"


@pytest.mark.parametrize(
    "secret",
    [
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",  # whsec_ and base64
        "whsec_abcdefghijklmnopqrstuvwxyz",  # seed 000's example: not base64, used as it is
        "a passphrase of reasonable length",
        "x" * 256,
    ],
)
async def test_a_given_secret_is_kept(client: httpx.AsyncClient, secret: str) -> None:
    created = await create_webhook(client, "https://hooks.example.com/a", secret=secret)
    assert created["secret"] == secret
    rotated = await client.post(
        f"/api/v1/webhooks/{created['id']}/rotate-secret", json={"secret": secret[::-1]}
    )
    assert rotated.status_code == 200, rotated.text


@pytest.mark.parametrize(
    "bad",
    [
        "plain",  # too short
        "whsec_c2hvcnQ=",  # whsec_ and the base64 of 5 bytes
        "whsec_" + base64.b64encode(b"k" * 65).decode(),  # more than 64 bytes
        "x" * 257,
        "pässwörd-with-non-ascii",
        "line\nbreak-in-the-secret",
    ],
)
async def test_a_bad_secret_is_refused_without_echoing_it(
    client: httpx.AsyncClient, bad: str
) -> None:
    response = await client.post(
        "/api/v1/webhooks", json={"url": "https://hooks.example.com", "events": ["*"],
                                  "secret": bad}
    )  # fmt: skip
    assert response.status_code == 400, bad
    assert error(response)["code"] == "INVALID_REQUEST"
    assert bad not in response.text


@pytest.mark.parametrize(
    "body",
    [
        {"events": ["no.such_event"]},
        {"events": []},
        {"headers": {"webhook-signature": "forged"}},
        {"headers": {"X-Webhook-Event": "forged"}},
        {"headers": {"Content-Type": "text/plain"}},
        {"headers": {"Bad Name": "x"}},
        {"retryPolicy": {"maxAttempts": 0}},
        {"url": "ftp://hooks.example.com"},
        {"url": "https://user:pass@hooks.example.com/"},
    ],
)
async def test_invalid_endpoints_are_refused(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    response = await client.post(
        "/api/v1/webhooks", json={"url": "https://hooks.example.com", "events": ["*"], **body}
    )
    assert response.status_code == 400, response.text
    assert error(response)["code"] in {"INVALID_REQUEST", "URL_NOT_ALLOWED"}


async def test_scopes_and_workspaces(
    client: httpx.AsyncClient,
    key_client: Callable[..., Any],
    other_workspace: httpx.AsyncClient,
) -> None:
    created = await create_webhook(client, "https://hooks.example.com/s")
    async with await key_client("webhooks:read") as reader:
        assert (await reader.get(f"/api/v1/webhooks/{created['id']}")).status_code == 200
        response = await reader.post(
            "/api/v1/webhooks", json={"url": "https://hooks.example.com", "events": ["*"]}
        )
        assert response.status_code == 403
    async with await key_client("integrations:read") as stranger:
        assert (await stranger.get("/api/v1/webhooks")).status_code == 403
    response = await other_workspace.get(f"/api/v1/webhooks/{created['id']}")
    assert response.status_code == 404
    response = await other_workspace.post(f"/api/v1/webhooks/{created['id']}/test")
    assert response.status_code == 404


async def test_rotation_shows_the_new_secret_once(client: httpx.AsyncClient) -> None:
    created = await create_webhook(client, "https://hooks.example.com/r")
    rotated = data(await client.post(f"/api/v1/webhooks/{created['id']}/rotate-secret"))
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != created["secret"]
    assert rotated["previous_secret_expires_at"] is not None
    again = data(await client.get(f"/api/v1/webhooks/{created['id']}"))
    assert again["secret"] == MASK
    assert again["previous_secret_expires_at"] is not None


_REFUSED = [
    "http://10.0.0.5/hook",
    "http://127.0.0.1:8080/hook",
    "http://localhost/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[64:ff9b::7f00:1]/hook",
    "http://100.64.0.1/hook",
]


@pytest.mark.parametrize("url", _REFUSED)
async def test_private_and_metadata_urls_are_refused(
    tmp_path: Path, database_url: str, url: str
) -> None:
    (tmp_path / "data").mkdir(exist_ok=True)
    settings = make_settings(
        tmp_path / "data",
        database_url,
        server=ServerSettings(data_dir=tmp_path / "data", allow_private_urls=False),
        webhooks=WebhookSettings(dispatcher_enabled=False),
    )
    application = create_app(settings)
    async with (
        application.router.lifespan_context(application),
        client_for(application, ADMIN_KEY) as http,
    ):
        response = await http.post("/api/v1/webhooks", json={"url": url, "events": ["*"]})
        assert response.status_code == 400, response.text
        assert error(response)["code"] == "URL_NOT_ALLOWED"
        public = await http.post(
            "/api/v1/webhooks", json={"url": "https://8.8.8.8/hook", "events": ["*"]}
        )
        assert public.status_code == 201


async def test_metadata_is_refused_even_when_private_urls_are_allowed(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/api/v1/webhooks", json={"url": "http://169.254.169.254/x", "events": ["*"]}
    )
    assert error(response)["code"] == "URL_NOT_ALLOWED"
    assert (await create_webhook(client, "http://127.0.0.1:9/x"))["enabled"] is True


async def test_key_rotation_reseals_webhook_secrets(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    created = await create_webhook(client, "https://hooks.example.com/k")
    found = services(app)
    old = set(found.keyring.keys)
    new_key = VaultKeys.add_active_key(found.keyring)
    async with found.db.transaction() as session:
        assert await reseal_webhook_secrets(session, found.keyring, old) == 1
    async with found.db.read() as session:
        row = await session.get(WebhookEndpoint, created["id"])
        assert row is not None
        assert key_id_of(row.sealed_secret) == new_key
        opened = found.webhooks.secrets(row.workspace_id, row.id, row.sealed_secret, None, None)
    assert opened == [created["secret"]]
