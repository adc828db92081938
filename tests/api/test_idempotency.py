"""Idempotency-Key on creating POSTs: same key and body replays; another body is 422; a duplicate
while the first still runs is 409; failures free the key."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from interlink.api.idempotency import fingerprint
from interlink.core.clock import FrozenClock
from interlink.idempotency.service import Claim
from tests.conftest import data, error
from tests.integrations.seed import CREATE

JSON = {"Content-Type": "application/json"}


async def _count(client: httpx.AsyncClient, path: str) -> int:
    total: int = data(await client.get(path))["pagination"]["total_items"]
    return total


async def test_same_key_and_body_replays_the_first_response(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "create-github-1"}

    first = await client.post("/api/v1/integrations", json=CREATE, headers=headers)
    second = await client.post("/api/v1/integrations", json=CREATE, headers=headers)

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert await _count(client, "/api/v1/integrations") == 1
    assert await _count(client, "/api/v1/events?type=integration.created") == 1


async def test_key_order_in_the_body_does_not_matter(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "same-body"}
    reordered = dict(reversed(list(CREATE.items())))

    first = await client.post("/api/v1/integrations", json=CREATE, headers=headers)
    second = await client.post("/api/v1/integrations", json=reordered, headers=headers)

    assert second.json() == first.json()


async def test_same_key_with_another_body_is_422(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "reused"}
    await client.post("/api/v1/integrations", json=CREATE, headers=headers)

    response = await client.post(
        "/api/v1/integrations", json={**CREATE, "name": "Other"}, headers=headers
    )

    assert response.status_code == 422
    assert error(response)["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await _count(client, "/api/v1/integrations") == 1


async def test_the_same_key_on_another_route_is_another_body(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "cross-route"}
    await client.post("/api/v1/integrations", json=CREATE, headers=headers)

    response = await client.post(
        "/api/v1/credentials",
        json={"name": "c", "type": "api_key", "data": {"api_key": "x"}},
        headers=headers,
    )

    assert response.status_code == 422


async def test_a_failed_request_frees_its_key(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "retry-after-fix"}
    bad = {**CREATE, "configuration": {"api_url": "not a url"}}

    failed = await client.post("/api/v1/integrations", json=bad, headers=headers)
    fixed = await client.post(
        "/api/v1/integrations", json=bad | {"configuration": {}}, headers=headers
    )

    assert failed.status_code == 400
    assert fixed.status_code == 201


async def test_keys_are_per_workspace(
    client: httpx.AsyncClient, other_workspace: httpx.AsyncClient
) -> None:
    headers = {"Idempotency-Key": "shared-name"}

    mine = await client.post("/api/v1/integrations", json=CREATE, headers=headers)
    theirs = await other_workspace.post("/api/v1/integrations", json=CREATE, headers=headers)

    assert theirs.status_code == 201
    assert data(theirs)["id"] != data(mine)["id"]


async def test_a_concurrent_duplicate_is_409(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "concurrent"}
    store = client._transport.app.state.services.idempotency  # type: ignore[attr-defined]
    principal_ws = data(await client.get("/api/v1/workspaces"))["items"][0]["id"]
    body = json.dumps(CREATE).encode()
    # The first request holds the key: it has claimed it and not finished.
    caller = data(await client.get("/api/v1/api-keys"))["items"][0]["id"]
    claimed = await store.claim(
        Claim(principal_ws, caller, "concurrent"),
        fingerprint("POST", "/api/v1/integrations", body),
    )
    assert claimed is None

    response = await client.post("/api/v1/integrations", content=body, headers=headers | JSON)

    assert response.status_code == 409
    assert error(response)["code"] == "CONFLICT"
    assert await _count(client, "/api/v1/integrations") == 0


async def test_racing_duplicates_create_one_row(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "race"}

    responses = await asyncio.gather(
        *[client.post("/api/v1/integrations", json=CREATE, headers=headers) for _ in range(5)]
    )

    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}
    assert 201 in statuses
    assert await _count(client, "/api/v1/integrations") == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "tab\tkey"])
async def test_a_malformed_key_is_400(client: httpx.AsyncClient, key: str) -> None:
    response = await client.post(
        "/api/v1/integrations", json=CREATE, headers={"Idempotency-Key": key}
    )

    assert response.status_code == 400
    assert error(response)["code"] == "INVALID_REQUEST"
    assert await _count(client, "/api/v1/integrations") == 0


class TestExpiry:
    @pytest.fixture
    def clock(self) -> FrozenClock:
        return FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))

    async def test_a_key_older_than_24h_runs_again(
        self, client: httpx.AsyncClient, clock: FrozenClock
    ) -> None:
        headers = {"Idempotency-Key": "day-old"}
        await client.post("/api/v1/integrations", json=CREATE, headers=headers)
        clock.advance(24 * 3600 + 1)

        again = await client.post("/api/v1/integrations", json=CREATE, headers=headers)

        assert again.status_code == 201
        assert "Idempotent-Replayed" not in again.headers
        assert await _count(client, "/api/v1/integrations") == 2


async def test_another_callers_key_never_replays_their_response(
    client: httpx.AsyncClient, key_client: Any
) -> None:
    headers = {"Idempotency-Key": "admin-made-a-key"}
    body = {"name": "ops", "scopes": ["admin"]}
    made = await client.post("/api/v1/api-keys", json=body, headers=headers)
    assert made.status_code == 201
    reader = await key_client("integrations:read")

    async with reader:
        replay = await reader.post("/api/v1/api-keys", json=body, headers=headers)
        token = await reader.post("/api/v1/auth/token", headers=headers)

    assert replay.status_code == 403
    assert made.json()["data"]["key"] not in replay.text + token.text
    assert "Idempotent-Replayed" not in replay.headers
    assert "Idempotent-Replayed" not in token.headers

    async def test_a_claim_whose_request_died_is_taken_over_after_ten_minutes(
        self, client: httpx.AsyncClient, clock: FrozenClock
    ) -> None:
        store = client._transport.app.state.services.idempotency  # type: ignore[attr-defined]
        workspace = data(await client.get("/api/v1/workspaces"))["items"][0]["id"]
        caller = data(await client.get("/api/v1/api-keys"))["items"][0]["id"]
        body = json.dumps(CREATE).encode()
        request_hash = fingerprint("POST", "/api/v1/integrations", body)
        await store.claim(Claim(workspace, caller, "orphan"), request_hash)
        headers = {"Idempotency-Key": "orphan"} | JSON

        blocked = await client.post("/api/v1/integrations", content=body, headers=headers)
        clock.advance(10 * 60 + 1)
        taken_over = await client.post("/api/v1/integrations", content=body, headers=headers)

        assert blocked.status_code == 409
        assert taken_over.status_code == 201
