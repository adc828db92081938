"""The rules of an integration's life: status moves, partial updates, credentials kept apart."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import data, error
from tests.integrations.seed import CREATE, MASK


async def _create(client: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/integrations", json={**CREATE, **changes})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = data(response)
    return created


async def test_deactivating_a_never_activated_integration_is_a_conflict(
    client: httpx.AsyncClient,
) -> None:
    created = await _create(client)

    response = await client.post(f"/api/v1/integrations/{created['id']}/deactivate")

    assert response.status_code == 409
    assert error(response)["code"] == "CONFLICT"
    assert "activate" in error(response)["message"]
    assert data(await client.get(f"/api/v1/integrations/{created['id']}"))["status"] == "configured"


async def test_inactive_integrations_activate_again(client: httpx.AsyncClient) -> None:
    created = await _create(client)
    for action in ("activate", "deactivate", "activate"):
        await client.post(f"/api/v1/integrations/{created['id']}/{action}")

    fetched = data(await client.get(f"/api/v1/integrations/{created['id']}"))

    assert fetched["status"] == "active"


async def test_patch_merges_configuration_and_metadata(client: httpx.AsyncClient) -> None:
    created = await _create(client)

    patched = data(
        await client.patch(
            f"/api/v1/integrations/{created['id']}",
            json={
                "configuration": {"request_timeout": 45, "rate_limiting": {"max_retries": 2}},
                "metadata": {"owner": None, "team": "core"},
            },
        )
    )

    assert patched["configuration"] == {
        **CREATE["configuration"], "request_timeout": 45, "rate_limiting": {"max_retries": 2}
    }  # fmt: skip
    assert patched["metadata"] == {"department": "engineering", "version": "1.0", "team": "core"}
    assert patched["name"] == CREATE["name"]


async def test_put_replaces_configuration_and_fills_the_type_defaults(
    client: httpx.AsyncClient,
) -> None:
    created = await _create(client)

    replaced = data(
        await client.put(
            f"/api/v1/integrations/{created['id']}", json={"configuration": {"request_timeout": 5}}
        )
    )

    assert replaced["configuration"] == {
        "request_timeout": 5, "auth_method": "oauth", "api_url": "https://api.github.com"
    }  # fmt: skip


async def test_the_type_has_a_default_address(client: httpx.AsyncClient) -> None:
    created = await _create(client, configuration={})

    assert created["configuration"]["api_url"] == "https://api.github.com"
    assert created["configuration"]["auth_method"] == "oauth"


async def test_a_type_without_a_default_address_needs_one(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/integrations",
        json={"name": "Jira", "type": "jira", "credentials": {"username": "u", "password": "p"}},
    )

    assert response.status_code == 400
    assert error(response)["code"] == "INVALID_INTEGRATION_CONFIG"
    assert error(response)["details"][0]["field"] == "configuration.api_url"


async def test_changing_the_auth_method_rechecks_the_credentials(client: httpx.AsyncClient) -> None:
    created = await _create(client)

    response = await client.patch(
        f"/api/v1/integrations/{created['id']}", json={"configuration": {"auth_method": "basic"}}
    )

    assert response.status_code == 400
    assert error(response)["code"] == "INVALID_CREDENTIALS"
    fetched = data(await client.get(f"/api/v1/integrations/{created['id']}"))
    assert fetched["configuration"]["auth_method"] == "oauth"


async def test_an_integration_can_use_a_stored_credential(client: httpx.AsyncClient) -> None:
    credential = data(
        await client.post(
            "/api/v1/credentials",
            json={"name": "gh", "type": "oauth", "data": {"access_token": "ghp_shared"}},
        )
    )
    body = {k: v for k, v in CREATE.items() if k != "credentials"}

    created = data(
        await client.post("/api/v1/integrations", json={**body, "credentialId": credential["id"]})
    )

    assert created["credential_id"] == credential["id"]
    assert created["credentials"] == {"access_token": MASK}
    in_use = await client.delete(f"/api/v1/credentials/{credential['id']}")
    assert in_use.status_code == 409
    assert error(in_use)["code"] == "CONFLICT"


async def test_a_stored_credential_must_fit_the_auth_method(client: httpx.AsyncClient) -> None:
    credential = data(
        await client.post(
            "/api/v1/credentials", json={"name": "k", "type": "api_key", "data": {"api_key": "k"}}
        )
    )
    body = {k: v for k, v in CREATE.items() if k != "credentials"}

    response = await client.post(
        "/api/v1/integrations", json={**body, "credential_id": credential["id"]}
    )

    assert response.status_code == 400
    assert error(response)["code"] == "INVALID_CREDENTIALS"


async def test_new_credentials_on_a_shared_credential_leave_it_alone(
    client: httpx.AsyncClient,
) -> None:
    shared = data(
        await client.post(
            "/api/v1/credentials",
            json={"name": "gh", "type": "oauth", "data": {"access_token": "ghp_shared"}},
        )
    )
    body = {k: v for k, v in CREATE.items() if k != "credentials"}
    created = data(
        await client.post("/api/v1/integrations", json={**body, "credential_id": shared["id"]})
    )

    await client.put(
        f"/api/v1/integrations/{created['id']}/credentials",
        json={"credentials": {"access_token": "ghp_own"}},
    )

    fetched = data(await client.get(f"/api/v1/integrations/{created['id']}"))
    assert fetched["credential_id"] != shared["id"]
    assert data(await client.get(f"/api/v1/credentials/{shared['id']}")) == shared


async def test_switching_to_a_stored_credential_drops_the_inline_one(
    client: httpx.AsyncClient,
) -> None:
    created = await _create(client)
    shared = data(
        await client.post(
            "/api/v1/credentials",
            json={"name": "gh", "type": "oauth", "data": {"access_token": "ghp_shared"}},
        )
    )

    switched = data(
        await client.patch(
            f"/api/v1/integrations/{created['id']}", json={"credential_id": shared["id"]}
        )
    )

    assert switched["credential_id"] == shared["id"]
    gone = await client.get(f"/api/v1/credentials/{created['credential_id']}")
    assert gone.status_code == 404
