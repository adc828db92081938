"""Custom providers through the API: declared, used like a built-in against the sample's mock
on a loopback socket, changed (integrations keep the version they pin), and deleted."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from interlink.providers.custom.mock import AcmeMock
from interlink.testing import RunningMock
from tests.conftest import data, error
from tests.connectors.conftest import run_operation
from tests.custom_providers.conftest import (
    TOKEN,
    custom_integration,
    declaration,
    declare,
)


async def test_a_declared_provider_runs_like_a_builtin(
    client: httpx.AsyncClient, acme: RunningMock[AcmeMock]
) -> None:
    declared = await declare(client, declaration(acme.api_url))
    iid = await custom_integration(client, "acme")

    integration = data(await client.get(f"/api/v1/integrations/{iid}"))
    operations = data(await client.get(f"/api/v1/integrations/{iid}/operations"))["operations"]
    got = data(await run_operation(client, iid, "get_item", item_id="it_1"))
    made = data(await run_operation(client, iid, "create_item", name="widget", color="blue"))
    listed = data(await run_operation(client, iid, "list_items", limit=3))
    tested = await client.post(f"/api/v1/integrations/{iid}/test")

    assert declared["version"] == 1
    assert declared["actions"] == ["create_item", "get_item", "list_items"]
    assert integration["configuration"] == {
        "provider": "acme", "provider_version": 1, "api_url": acme.api_url, "auth_method": "api_key"
    }  # fmt: skip
    assert {o["id"] for o in operations} == {"create_item", "get_item", "list_items"}
    assert got["result"] == {"id": "it_1", "name": "anvil", "color": "red"}
    assert made["result"] == {"value": "it_6"}
    assert acme.mock.items["it_6"] == {"id": "it_6", "name": "widget", "labels": {"color": "blue"}}
    assert listed["result"]["names"] == ["anvil", "rocket", "magnet"]
    assert tested.status_code == 200, tested.text
    assert {call.headers.get("X-API-Key") for call in acme.mock.calls} == {TOKEN}


async def test_the_catalog_lists_the_workspaces_declared_providers(
    client: httpx.AsyncClient, other_workspace: httpx.AsyncClient, acme: RunningMock[AcmeMock]
) -> None:
    await declare(client, declaration(acme.api_url))

    mine = data(await client.get("/api/v1/connectors", params={"available": "true"}))["items"]
    theirs = data(await other_workspace.get("/api/v1/connectors", params={"available": "true"}))

    acme_entry = next(t for t in mine if t["provider"] == "acme")
    assert acme_entry["type"] == "custom"
    assert acme_entry["default_api_url"] == acme.api_url
    create = next(a for a in acme_entry["actions"] if a["name"] == "create_item")
    assert create["inputSchema"]["required"] == ["name"]
    assert not [t for t in theirs["items"] if t["provider"] == "acme"]


async def test_parameters_are_checked_against_the_declared_schema_before_any_call(
    client: httpx.AsyncClient, acme: RunningMock[AcmeMock]
) -> None:
    await declare(client, declaration(acme.api_url))
    iid = await custom_integration(client, "acme")

    response = await run_operation(client, iid, "create_item", color="pink", size=3)

    assert response.status_code == 422
    assert error(response)["code"] == "PARAMETER_VALIDATION_ERROR"
    fields = {d["field"] for d in error(response)["details"]}
    assert fields == {"parameters", "parameters.name", "parameters.color"}
    assert acme.mock.calls.count("/v1/items") == 0


async def test_a_declaration_with_problems_is_refused_with_every_one_listed(
    client: httpx.AsyncClient,
) -> None:
    bad = {
        "key": "Bad Key",
        "name": "Bad",
        "base_url": "ftp://files.example",
        "auth": {"mode": "oauth"},
        "actions": {
            "fetch": {
                "method": "FETCH",
                "path": "/items/{item_id}",
                "input_schema": {"type": "object", "properties": {"q": {"type": "strnig"}}},
                "result": "items[",
            },
            "find": {
                "path": "/things/{thing}",
                "map": {"query": {"q": "query"}},
                "input_schema": {"type": "array"},
                "result": "items[",
            },
            "odd": {
                "path": "/x/{a.b}/{",
                "input_schema": {"type": "object", "properties": {"a": {"$ref": "http://x/s"}}},
            },
        },
    }

    response = await client.post("/api/v1/custom-providers", json=bad)

    assert response.status_code == 422
    assert error(response)["code"] == "INVALID_DECLARATION"
    fields = {d["field"] for d in error(response)["details"]}
    assert {
        "key", "base_url", "auth.token_url", "actions.fetch.method",
        "actions.find.input_schema.type", "actions.find.result", "actions.find.path",
        "actions.find.map.query.q", "actions.odd.path", "actions.odd.input_schema",
    } <= fields  # fmt: skip


async def test_a_change_is_a_new_version_that_integrations_move_to_when_told(
    client: httpx.AsyncClient, acme: RunningMock[AcmeMock]
) -> None:
    first = declaration(acme.api_url)
    await declare(client, first)
    old = await custom_integration(client, "acme")
    first["actions"]["get_item"]["result"] = "{title: name}"

    changed = await client.put("/api/v1/custom-providers/acme", json=first)
    new = await custom_integration(client, "acme")
    kept = data(await run_operation(client, old, "get_item", item_id="it_2"))
    latest = data(await run_operation(client, new, "get_item", item_id="it_2"))
    await client.patch(
        f"/api/v1/integrations/{old}", json={"configuration": {"provider_version": 2}}
    )
    moved = data(await run_operation(client, old, "get_item", item_id="it_2"))
    earlier = data(await client.get("/api/v1/custom-providers/acme", params={"version": 1}))

    assert (changed.status_code, data(changed)["version"]) == (200, 2)
    assert kept["result"] == {"id": "it_2", "name": "rocket", "color": "red"}
    assert latest["result"] == moved["result"] == {"title": "rocket"}
    assert earlier["declaration"]["actions"]["get_item"]["result"] != "{title: name}"


async def test_a_provider_in_use_is_not_deleted(
    client: httpx.AsyncClient, acme: RunningMock[AcmeMock]
) -> None:
    await declare(client, declaration(acme.api_url))
    iid = await custom_integration(client, "acme")

    refused = await client.delete("/api/v1/custom-providers/acme")
    await client.delete(f"/api/v1/integrations/{iid}")
    deleted = await client.delete("/api/v1/custom-providers/acme")
    gone = await client.get("/api/v1/custom-providers/acme")

    assert refused.status_code == 409
    assert {"integration_id": iid} in error(refused)["details"]
    assert deleted.status_code == 200
    assert gone.status_code == 404
    assert data(await client.get("/api/v1/custom-providers"))["items"] == []


async def test_declaring_needs_the_write_scope_and_stays_in_its_workspace(
    client: httpx.AsyncClient,
    other_workspace: httpx.AsyncClient,
    key_client: Callable[..., Awaitable[httpx.AsyncClient]],
    acme: RunningMock[AcmeMock],
) -> None:
    reader = await key_client("integrations:read")
    async with reader:
        refused = await reader.post("/api/v1/custom-providers", json=declaration(acme.api_url))
        await declare(client, declaration(acme.api_url))
        read = await reader.get("/api/v1/custom-providers/acme")
    body = {"name": "Theirs", "type": "custom", "configuration": {"provider": "acme"},
            "credentials": {"api_key": TOKEN}}  # fmt: skip
    theirs = await other_workspace.post("/api/v1/integrations", json=body)

    assert error(refused)["code"] == "FORBIDDEN"
    assert data(read)["key"] == "acme"
    assert theirs.status_code == 400
    assert error(theirs)["code"] == "INVALID_INTEGRATION_CONFIG"
    assert error(theirs)["details"] == [
        {"field": "configuration.provider", "message": "not declared"}
    ]


async def test_a_base_url_the_ssrf_guard_refuses_is_a_listed_problem(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/api/v1/custom-providers", json=declaration("http://169.254.169.254/latest")
    )

    assert error(response)["code"] == "INVALID_DECLARATION"
    assert [d["field"] for d in error(response)["details"]] == ["base_url"]
