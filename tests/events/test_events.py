"""Every change writes its event in the same transaction; GET /events lists and filters them."""

from __future__ import annotations

import httpx

from tests.conftest import data, error
from tests.integrations.seed import CREATE, NEW_CREDENTIALS, UPDATE


async def _events(client: httpx.AsyncClient, query: str = "") -> list[dict[str, object]]:
    items: list[dict[str, object]] = data(
        await client.get(f"/api/v1/events?page_size=100&{query}")
    )["items"]
    return items


async def test_an_integrations_life_is_in_the_event_log(client: httpx.AsyncClient) -> None:
    created = data(await client.post("/api/v1/integrations", json=CREATE))
    iid = created["id"]
    await client.put(f"/api/v1/integrations/{iid}", json=UPDATE)
    await client.put(f"/api/v1/integrations/{iid}/credentials", json=NEW_CREDENTIALS)
    await client.post(f"/api/v1/integrations/{iid}/activate")
    await client.post(f"/api/v1/integrations/{iid}/deactivate")
    await client.delete(f"/api/v1/integrations/{iid}")

    events = await _events(client, f"integration_id={iid}&sort_order=asc")

    assert [e["event"] for e in events] == [
        "integration.created",
        "integration.updated",
        "integration.credentials_updated",
        "integration.activated",
        "integration.deactivated",
        "integration.deleted",
    ]
    assert all(e["integration_id"] == iid and str(e["id"]).startswith("evt_") for e in events)
    assert events[0]["data"] == {
        "integration_id": iid,
        "name": "GitHub Integration",
        "type": "github",
        "status": "configured",
    }
    assert events[1]["data"]["changed_fields"] == [
        "name",
        "description",
        "configuration",
        "metadata",
    ]  # type: ignore[index]
    assert events[2]["data"]["credential_fields"] == ["access_token", "token_type"]  # type: ignore[index]
    assert events[-1]["data"]["status"] == "deleted"  # type: ignore[index]


async def test_a_change_that_changes_nothing_writes_no_event(client: httpx.AsyncClient) -> None:
    created = data(await client.post("/api/v1/integrations", json=CREATE))
    await client.post(f"/api/v1/integrations/{created['id']}/activate")

    await client.patch(f"/api/v1/integrations/{created['id']}", json={"name": CREATE["name"]})
    await client.post(f"/api/v1/integrations/{created['id']}/activate")

    types = [e["event"] for e in await _events(client)]
    assert types.count("integration.updated") == 0
    assert types.count("integration.activated") == 1


async def test_credential_events(client: httpx.AsyncClient) -> None:
    body = {
        "name": "Slack Bot Token",
        "type": "oauth",
        "provider": "slack",
        "data": {"bot_token": "x"},
    }
    cred = data(await client.post("/api/v1/credentials", json=body))
    await client.put(f"/api/v1/credentials/{cred['id']}", json={"name": "renamed"})
    await client.delete(f"/api/v1/credentials/{cred['id']}")

    events = await _events(client, "sort_order=asc")

    assert [e["event"] for e in events] == [
        "credential.created", "credential.updated", "credential.deleted"
    ]  # fmt: skip
    assert events[1]["data"] == {
        "credential_id": cred["id"], "name": "renamed", "type": "oauth", "provider": "slack"
    }  # fmt: skip


async def test_filters_by_type_and_since(client: httpx.AsyncClient) -> None:
    first = data(await client.post("/api/v1/integrations", json=CREATE))
    await client.post(f"/api/v1/integrations/{first['id']}/activate")
    since = data(await client.get("/api/v1/events?type=integration.activated"))["items"][0][
        "timestamp"
    ]

    activated = await _events(client, "type=integration.activated")
    later = await _events(client, f"since={since}")
    none_yet = await _events(client, "since=2999-01-01T00:00:00Z")

    assert [e["event"] for e in activated] == ["integration.activated"]
    assert "integration.activated" in [e["event"] for e in later]
    assert none_yet == []


async def test_events_page(client: httpx.AsyncClient) -> None:
    for number in range(3):
        await client.post("/api/v1/integrations", json={**CREATE, "name": f"n{number}"})

    page = data(await client.get("/api/v1/events?page=2&page_size=2"))

    assert page["pagination"] == {"page": 2, "page_size": 2, "total_items": 3, "total_pages": 2}
    assert len(page["items"]) == 1


async def test_since_without_a_time_zone_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/events?since=2026-01-01T00:00:00")

    assert response.status_code == 400
    assert error(response)["code"] == "INVALID_REQUEST"


async def test_events_are_per_workspace(
    client: httpx.AsyncClient, other_workspace: httpx.AsyncClient
) -> None:
    await client.post("/api/v1/integrations", json=CREATE)

    assert await _events(other_workspace) == []
