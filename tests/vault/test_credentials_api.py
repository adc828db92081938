"""The credentials resource (seed 001 "Credentials"): stored sealed, always returned sanitized."""

from __future__ import annotations

import httpx

from tests.conftest import data, error
from tests.integrations.seed import MASK

SEED_CREDENTIAL = {
    "name": "Slack Bot Token",
    "description": "Production Slack bot",
    "type": "oauth",
    "provider": "slack",
    "data": {"bot_token": "xoxb-xxxxxxxxxxxxx", "app_id": "A01234567"},
    "metadata": {"scopes": ["chat:write", "channels:read"]},
}


async def test_the_seed_example_is_stored_and_returned_sanitized(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/credentials", json=SEED_CREDENTIAL)

    assert response.status_code == 201
    created = data(response)
    assert created["id"].startswith("cred_")
    assert created["data"] == {"bot_token": MASK, "app_id": "A01234567"}
    for field in ("name", "description", "type", "provider", "metadata"):
        assert created[field] == SEED_CREDENTIAL[field]
    assert created["integration_id"] is None
    assert data(await client.get(f"/api/v1/credentials/{created['id']}")) == created


async def test_list_is_sanitized_and_filters(client: httpx.AsyncClient) -> None:
    await client.post("/api/v1/credentials", json=SEED_CREDENTIAL)
    await client.post(
        "/api/v1/credentials",
        json={
            "name": "Stripe",
            "type": "api_key",
            "provider": "stripe",
            "data": {"secret_key": "sk_live_x"},
        },
    )

    everything = data(await client.get("/api/v1/credentials"))
    stripe_only = data(await client.get("/api/v1/credentials?provider=stripe"))
    oauth_only = data(await client.get("/api/v1/credentials?type=oauth"))

    assert everything["pagination"]["total_items"] == 2
    assert "xoxb" not in str(everything)
    assert "sk_live" not in str(everything)
    assert [c["name"] for c in stripe_only["items"]] == ["Stripe"]
    assert [c["name"] for c in oauth_only["items"]] == ["Slack Bot Token"]


async def test_put_replaces_the_fields_given(client: httpx.AsyncClient) -> None:
    created = data(await client.post("/api/v1/credentials", json=SEED_CREDENTIAL))

    updated = data(
        await client.put(
            f"/api/v1/credentials/{created['id']}",
            json={"description": "rotated", "data": {"bot_token": "xoxb-new"}},
        )
    )

    assert updated["description"] == "rotated"
    assert updated["name"] == SEED_CREDENTIAL["name"]
    assert updated["data"] == {"bot_token": MASK}
    assert updated["updated_at"] >= created["updated_at"]


async def test_an_integrations_inline_credentials_show_up_as_its_own(
    client: httpx.AsyncClient,
) -> None:
    integration = data(
        await client.post(
            "/api/v1/integrations",
            json={"name": "S", "type": "slack", "credentials": {"bot_token": "xoxb-inline"}},
        )
    )

    credential = data(await client.get(f"/api/v1/credentials/{integration['credential_id']}"))

    assert credential["integration_id"] == integration["id"]
    assert credential["provider"] == "slack"
    assert credential["data"] == {"bot_token": MASK}


async def test_delete(client: httpx.AsyncClient) -> None:
    created = data(await client.post("/api/v1/credentials", json=SEED_CREDENTIAL))

    deleted = data(await client.delete(f"/api/v1/credentials/{created['id']}"))
    again = await client.delete(f"/api/v1/credentials/{created['id']}")

    assert deleted == {"id": created["id"], "deleted": True}
    assert again.status_code == 404
    assert error(again)["code"] == "CREDENTIAL_NOT_FOUND"


async def test_empty_data_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/credentials", json={**SEED_CREDENTIAL, "data": {}})

    assert response.status_code == 400
    assert data(await client.get("/api/v1/credentials"))["pagination"]["total_items"] == 0
