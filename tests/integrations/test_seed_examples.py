"""Seed 000's examples, sent as written, answer the seed's shapes (with our ids and times)."""

from __future__ import annotations

import re

import httpx

from tests.conftest import data
from tests.integrations.seed import CREATE, JIRA, MASK, NEW_CREDENTIALS, UPDATE

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
FULL_FIELDS = {
    "id", "name", "description", "type", "configuration", "credentials", "credential_id",
    "metadata", "status", "stats", "health", "created_at", "updated_at", "activated_at",
    "deactivated_at", "created_by",
}  # fmt: skip


async def test_create_answers_the_seed_shape(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/integrations", json=CREATE)

    assert response.status_code == 201
    body = data(response)
    assert set(body) == FULL_FIELDS
    assert body["id"].startswith("int_")
    assert body["name"] == CREATE["name"]
    assert body["description"] == CREATE["description"]
    assert body["type"] == "github"
    assert body["configuration"] == CREATE["configuration"]
    assert body["credentials"] == {"access_token": MASK, "token_type": "bearer"}
    assert body["metadata"] == CREATE["metadata"]
    assert body["status"] == "configured"
    assert TIME.match(body["created_at"])
    assert TIME.match(body["updated_at"])
    assert body["created_by"].startswith("key_")
    assert body["health"]["status"] == "unknown"
    assert body["stats"] == {
        "last_used": None, "total_calls": 0, "success_rate": None, "average_response_time_ms": None,
        "llm": None,  # ours, beside the seed's: a language model's spend
    }  # fmt: skip


async def test_get_returns_what_was_created(client: httpx.AsyncClient) -> None:
    created = data(await client.post("/api/v1/integrations", json=CREATE))

    fetched = data(await client.get(f"/api/v1/integrations/{created['id']}"))

    assert fetched == created


async def test_list_filters_pages_and_sorts_like_the_seed(client: httpx.AsyncClient) -> None:
    github = data(await client.post("/api/v1/integrations", json=CREATE))
    jira = data(await client.post("/api/v1/integrations", json=JIRA))
    slack = {**CREATE, "name": "Slack", "type": "slack", "metadata": {"department": "sales"}}
    slack["credentials"] = {"bot_token": "xoxb-123"}
    slack["configuration"] = {"auth_method": "oauth"}
    data(await client.post("/api/v1/integrations", json=slack))
    for integration in (github, jira):
        await client.post(f"/api/v1/integrations/{integration['id']}/activate")

    query = (
        "page=1&page_size=10&sort_by=created_at&sort_order=desc&status=active"
        "&department=engineering"
    )
    listing = data(await client.get(f"/api/v1/integrations?{query}"))

    assert [item["id"] for item in listing["items"]] == [jira["id"], github["id"]]
    assert listing["pagination"] == {"page": 1, "page_size": 10, "total_items": 2, "total_pages": 1}
    assert set(listing["items"][0]) == {
        "id", "name", "description", "type", "status", "metadata", "health", "created_at",
        "updated_at",
    }  # fmt: skip
    assert set(listing["items"][0]["health"]) == {"status", "last_check"}
    only_github = data(await client.get("/api/v1/integrations?type=github&status=active"))
    assert [i["id"] for i in only_github["items"]] == [github["id"]]
    by_any_key = data(await client.get("/api/v1/integrations?metadata.version=1.1"))
    assert [i["id"] for i in by_any_key["items"]] == [jira["id"]]
    by_name = data(await client.get("/api/v1/integrations?sort_by=name&sort_order=asc&page_size=2"))
    assert [i["name"] for i in by_name["items"]] == ["GitHub Integration", "JIRA Integration"]
    assert by_name["pagination"] == {"page": 1, "page_size": 2, "total_items": 3, "total_pages": 2}


async def test_update_answers_the_seed_shape(client: httpx.AsyncClient) -> None:
    created = data(await client.post("/api/v1/integrations", json=CREATE))

    updated = data(await client.put(f"/api/v1/integrations/{created['id']}", json=UPDATE))

    assert updated["name"] == UPDATE["name"]
    assert updated["description"] == UPDATE["description"]
    assert updated["configuration"] == UPDATE["configuration"]
    assert updated["metadata"] == UPDATE["metadata"]
    assert updated["credentials"] == {"access_token": MASK, "token_type": "bearer"}
    assert updated["type"] == "github"
    assert updated["created_at"] == created["created_at"]


async def test_update_credentials_answers_the_seed_shape(client: httpx.AsyncClient) -> None:
    created = data(await client.post("/api/v1/integrations", json=CREATE))

    response = await client.put(
        f"/api/v1/integrations/{created['id']}/credentials", json=NEW_CREDENTIALS
    )

    body = data(response)
    assert set(body) == {"id", "credentials", "updated_at"}
    assert body["id"] == created["id"]
    assert body["credentials"] == {"access_token": MASK, "token_type": "bearer"}
    assert TIME.match(body["updated_at"])


async def test_activate_and_deactivate_answer_the_seed_shapes(client: httpx.AsyncClient) -> None:
    created = data(await client.post("/api/v1/integrations", json=CREATE))

    activated = data(await client.post(f"/api/v1/integrations/{created['id']}/activate"))
    deactivated = data(await client.post(f"/api/v1/integrations/{created['id']}/deactivate"))

    assert set(activated) == {"id", "status", "activated_at", "updated_at"}
    assert activated["status"] == "active"
    assert TIME.match(activated["activated_at"])
    assert set(deactivated) == {"id", "status", "deactivated_at", "updated_at"}
    assert deactivated["status"] == "inactive"
    assert TIME.match(deactivated["deactivated_at"])
    fetched = data(await client.get(f"/api/v1/integrations/{created['id']}"))
    assert fetched["activated_at"] == activated["activated_at"]
    assert fetched["deactivated_at"] == deactivated["deactivated_at"]


async def test_delete_answers_the_seed_shape_and_the_integration_is_gone(
    client: httpx.AsyncClient,
) -> None:
    created = data(await client.post("/api/v1/integrations", json=CREATE))

    deleted = data(await client.delete(f"/api/v1/integrations/{created['id']}"))

    assert deleted == {"id": created["id"], "deleted": True}
    for method, path in [
        ("GET", ""), ("PUT", ""), ("PATCH", ""), ("POST", "/activate"), ("DELETE", ""),
    ]:  # fmt: skip
        body = {"name": "x"} if method in {"PUT", "PATCH"} else None
        again = await client.request(
            method, f"/api/v1/integrations/{created['id']}{path}", json=body
        )
        assert again.status_code == 404
        assert again.json()["error"]["code"] == "INTEGRATION_NOT_FOUND"
    credential = await client.get(f"/api/v1/credentials/{created['credential_id']}")
    assert credential.status_code == 404
