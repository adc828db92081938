"""Another workspace's rows do not exist for a caller: every route that takes an id answers 404,
lists leave them out, and nothing of them changes. Keys act only within their scopes, and a
request without a key is refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from interlink.config import Settings
from tests.conftest import client_for, data, error

Ids = dict[str, str]
ROUTES_WITH_AN_ID = [
    ("GET", "/api/v1/integrations/{integration}", None, "INTEGRATION_NOT_FOUND"),
    ("PUT", "/api/v1/integrations/{integration}", {"name": "Taken"}, "INTEGRATION_NOT_FOUND"),
    ("PATCH", "/api/v1/integrations/{integration}", {"metadata": {"owner": "them"}},
     "INTEGRATION_NOT_FOUND"),
    ("DELETE", "/api/v1/integrations/{integration}", None, "INTEGRATION_NOT_FOUND"),
    ("PUT", "/api/v1/integrations/{integration}/credentials",
     {"credentials": {"access_token": "ghp_stolen"}}, "INTEGRATION_NOT_FOUND"),
    ("POST", "/api/v1/integrations/{integration}/activate", None, "INTEGRATION_NOT_FOUND"),
    ("POST", "/api/v1/integrations/{integration}/deactivate", None, "INTEGRATION_NOT_FOUND"),
    ("GET", "/api/v1/credentials/{credential}", None, "CREDENTIAL_NOT_FOUND"),
    ("PUT", "/api/v1/credentials/{credential}", {"name": "Taken", "data": {"api_key": "x"}},
     "CREDENTIAL_NOT_FOUND"),
    ("DELETE", "/api/v1/credentials/{credential}", None, "CREDENTIAL_NOT_FOUND"),
    ("GET", "/api/v1/credentials/{own_credential}", None, "CREDENTIAL_NOT_FOUND"),
    ("PUT", "/api/v1/credentials/{own_credential}", {"data": {"access_token": "ghp_stolen"}},
     "CREDENTIAL_NOT_FOUND"),
    ("DELETE", "/api/v1/credentials/{own_credential}", None, "CREDENTIAL_NOT_FOUND"),
    ("DELETE", "/api/v1/api-keys/{key}", None, "API_KEY_NOT_FOUND"),
    ("GET", "/api/v1/workspaces/{workspace}", None, "WORKSPACE_NOT_FOUND"),
]  # fmt: skip


def request_ids(routes: list[tuple[Any, ...]]) -> list[str]:
    return [f"{route[0]} {route[1]}" for route in routes]


@pytest.fixture
async def main_rows(client: httpx.AsyncClient, settings: Settings) -> Ids:
    """In the main workspace: an active integration with its own credential, a shared credential,
    and an API key."""
    integration = data(
        await client.post(
            "/api/v1/integrations",
            json={
                "name": "Main GitHub",
                "type": "github",
                "credentials": {"access_token": "ghp_main"},
                "metadata": {"department": "engineering", "owner": "main"},
            },
        )
    )
    data(await client.post(f"/api/v1/integrations/{integration['id']}/activate"))
    credential = data(
        await client.post(
            "/api/v1/credentials",
            json={"name": "Main key", "type": "api_key", "data": {"api_key": "k_main"}},
        )
    )
    key = data(await client.post("/api/v1/api-keys", json={"name": "main", "scopes": ["admin"]}))
    workspaces = data(await client.get("/api/v1/workspaces"))["items"]
    main = [w for w in workspaces if w["name"] == settings.bootstrap.workspace_name]
    assert len(main) == 1, workspaces
    return {
        "integration": integration["id"],
        "own_credential": integration["credential_id"],
        "credential": credential["id"],
        "key": key["id"],
        "key_plaintext": key["key"],
        "workspace": main[0]["id"],
    }


async def main_state(client: httpx.AsyncClient, ids: Ids) -> dict[str, Any]:
    """What the main workspace reads back of its own rows."""
    keys = data(await client.get("/api/v1/api-keys", params={"page_size": 100}))
    return {
        "integration": data(await client.get(f"/api/v1/integrations/{ids['integration']}")),
        "credential": data(await client.get(f"/api/v1/credentials/{ids['credential']}")),
        "own_credential": data(await client.get(f"/api/v1/credentials/{ids['own_credential']}")),
        "workspace": data(await client.get(f"/api/v1/workspaces/{ids['workspace']}")),
        "keys": sorted((k["id"], k["name"], tuple(k["scopes"])) for k in keys["items"]),
        "integrations": data(await client.get("/api/v1/integrations"))["items"],
        "credentials": data(await client.get("/api/v1/credentials"))["items"],
        "events": data(await client.get("/api/v1/events", params={"page_size": 100})),
    }


@pytest.mark.parametrize(
    ("method", "path", "body", "code"), ROUTES_WITH_AN_ID, ids=request_ids(ROUTES_WITH_AN_ID)
)
async def test_another_workspace_gets_404_on_every_route_with_an_id_and_changes_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    other_workspace: httpx.AsyncClient,
    main_rows: Ids,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    code: str,
) -> None:
    before = await main_state(client, main_rows)

    response = await other_workspace.request(method, path.format(**main_rows), json=body)

    assert response.status_code == 404, response.text
    assert error(response)["code"] == code
    assert await main_state(client, main_rows) == before
    async with client_for(app, main_rows["key_plaintext"]) as main_key:
        assert (await main_key.get("/api/v1/integrations")).status_code == 200


async def test_the_main_workspace_itself_reaches_the_same_ids(
    client: httpx.AsyncClient, main_rows: Ids
) -> None:
    """So the 404s above come from the workspace boundary, not from the ids or the requests."""
    for method, path, _, _ in ROUTES_WITH_AN_ID:
        if method == "GET":
            response = await client.get(path.format(**main_rows))
            assert response.status_code == 200, response.text


async def test_lists_of_another_workspace_do_not_show_the_main_rows(
    client: httpx.AsyncClient, other_workspace: httpx.AsyncClient, main_rows: Ids
) -> None:
    main_ids = {value for name, value in main_rows.items() if name != "key_plaintext"}

    for path in (
        "/api/v1/integrations",
        "/api/v1/integrations?department=engineering",
        "/api/v1/integrations?metadata.owner=main",
        "/api/v1/integrations?type=github&status=active",
        "/api/v1/credentials",
        "/api/v1/credentials?type=api_key",
        "/api/v1/events",
        f"/api/v1/events?integration_id={main_rows['integration']}",
    ):
        listing = data(await other_workspace.get(path))
        assert listing["items"] == [], path
        assert listing["pagination"]["total_items"] == 0, path
    keys = data(await other_workspace.get("/api/v1/api-keys"))["items"]
    assert [k["name"] for k in keys] == ["admin"]
    assert not {k["id"] for k in keys} & main_ids
    workspaces = data(await other_workspace.get("/api/v1/workspaces"))["items"]
    assert [w["name"] for w in workspaces] == ["other"]
    assert main_rows["workspace"] not in {w["id"] for w in workspaces}
    own = data(await client.get("/api/v1/integrations?department=engineering"))
    assert [i["id"] for i in own["items"]] == [main_rows["integration"]]


async def test_an_integration_cannot_use_another_workspace_credential(
    client: httpx.AsyncClient, other_workspace: httpx.AsyncClient, main_rows: Ids
) -> None:
    before = await main_state(client, main_rows)
    borrowing = {"name": "Borrowed", "type": "stripe", "credential_id": main_rows["credential"]}

    created = await other_workspace.post("/api/v1/integrations", json=borrowing)

    assert created.status_code == 404, created.text
    assert error(created)["code"] == "CREDENTIAL_NOT_FOUND"
    theirs = data(
        await other_workspace.post(
            "/api/v1/integrations",
            json={"name": "Theirs", "type": "stripe", "credentials": {"secret_key": "sk_theirs"}},
        )
    )
    switched = await other_workspace.patch(
        f"/api/v1/integrations/{theirs['id']}", json={"credential_id": main_rows["credential"]}
    )
    assert switched.status_code == 404, switched.text
    assert error(switched)["code"] == "CREDENTIAL_NOT_FOUND"
    assert data(await other_workspace.get(f"/api/v1/integrations/{theirs['id']}")) == theirs
    listing = data(await other_workspace.get("/api/v1/integrations"))
    assert [i["id"] for i in listing["items"]] == [theirs["id"]]
    assert await main_state(client, main_rows) == before


READ_ONLY_KEY_REFUSED = [
    ("POST", "/api/v1/integrations", {"name": "New", "type": "stripe"}),
    ("PUT", "/api/v1/integrations/{integration}", {"name": "Renamed"}),
    ("PATCH", "/api/v1/integrations/{integration}", {"name": "Renamed"}),
    ("DELETE", "/api/v1/integrations/{integration}", None),
    ("PUT", "/api/v1/integrations/{integration}/credentials",
     {"credentials": {"access_token": "ghp_new"}}),
    ("POST", "/api/v1/integrations/{integration}/activate", None),
    ("POST", "/api/v1/integrations/{integration}/deactivate", None),
    ("GET", "/api/v1/credentials", None),
    ("GET", "/api/v1/credentials/{credential}", None),
    ("POST", "/api/v1/credentials", {"name": "c", "type": "api_key", "data": {"api_key": "k"}}),
    ("PUT", "/api/v1/credentials/{credential}", {"name": "Renamed"}),
    ("DELETE", "/api/v1/credentials/{credential}", None),
    ("GET", "/api/v1/api-keys", None),
    ("POST", "/api/v1/api-keys", {"name": "k", "scopes": ["integrations:read"]}),
    ("DELETE", "/api/v1/api-keys/{key}", None),
    ("GET", "/api/v1/workspaces", None),
    ("POST", "/api/v1/workspaces", {"name": "mine"}),
    ("GET", "/api/v1/workspaces/{workspace}", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "body"), READ_ONLY_KEY_REFUSED, ids=request_ids(READ_ONLY_KEY_REFUSED)
)
async def test_a_key_with_only_integrations_read_gets_403_and_changes_nothing(
    client: httpx.AsyncClient,
    key_client: Callable[..., Any],
    main_rows: Ids,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    before = await main_state(client, main_rows)
    async with await key_client("integrations:read") as reader:
        allowed = await reader.get(f"/api/v1/integrations/{main_rows['integration']}")

        response = await reader.request(method, path.format(**main_rows), json=body)

    assert allowed.status_code == 200, allowed.text
    assert response.status_code == 403, response.text
    assert error(response)["code"] == "FORBIDDEN"
    after = await main_state(client, main_rows)
    reader_key = [k for k in after["keys"] if k[1] == "scoped"]
    after["keys"] = [k for k in after["keys"] if k not in reader_key]
    assert after == before


EVERY_ROUTE = [
    *[(method, path, body) for method, path, body, _ in ROUTES_WITH_AN_ID],
    ("GET", "/api/v1/integrations", None),
    ("POST", "/api/v1/integrations", {"name": "New", "type": "stripe"}),
    ("GET", "/api/v1/credentials", None),
    ("POST", "/api/v1/credentials", {"name": "c", "type": "api_key", "data": {"api_key": "k"}}),
    ("GET", "/api/v1/api-keys", None),
    ("POST", "/api/v1/api-keys", {"name": "k", "scopes": ["admin"]}),
    ("GET", "/api/v1/workspaces", None),
    ("POST", "/api/v1/workspaces", {"name": "mine"}),
    ("GET", "/api/v1/events", None),
    ("POST", "/api/v1/auth/token", None),
]


@pytest.mark.parametrize(("method", "path", "body"), EVERY_ROUTE, ids=request_ids(EVERY_ROUTE))
async def test_without_a_valid_key_every_route_answers_401(
    client: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    main_rows: Ids,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    before = await main_state(client, main_rows)

    for authorization in (
        None,
        "Bearer sk_test_not_a_key_0123456789abcdefghij",
        "Bearer not-a-jwt",
        "Basic YWRtaW46YWRtaW4=",
    ):
        headers = {"Authorization": authorization} if authorization else {}
        response = await anonymous.request(
            method, path.format(**main_rows), json=body, headers=headers
        )
        assert response.status_code == 401, (authorization, response.text)
        assert error(response)["code"] == "UNAUTHENTICATED"

    assert await main_state(client, main_rows) == before
