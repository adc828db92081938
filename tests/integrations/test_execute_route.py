"""The execute route is answered by its own handler (api/direct_route.py), not by FastAPI's
dependency solving: each request here gets the answer FastAPI's handler gives for the same
documented endpoint, mounted beside it under /fastapi."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from interlink.api.idempotency import IdempotentRoute
from interlink.integrations.operations_router import execute_operation
from tests.helpers.integrations import http_integration
from tests.transport.conftest import Upstream

PATH = "/api/v1/integrations/{integration_id}/operations/{operation}"
LONG = "respond-async" + "," * 1000


@pytest.fixture
def fastapi_served(app: FastAPI) -> None:
    route = IdempotentRoute("/fastapi" + PATH, execute_operation, methods=["POST"])
    app.router.routes.insert(0, route)


def _answer(response: httpx.Response) -> tuple[int, Any]:
    body = response.json()
    if body["status"] == "success":
        return response.status_code, sorted(body["data"])
    return response.status_code, body["error"]


def _async_headers(response: httpx.Response) -> dict[str, str]:
    """What a queued run answers beside its body: where to read it (ids differ by run)."""
    found = {k: v for k, v in response.headers.items() if k in {"location", "preference-applied"}}
    if "location" in found:
        found["location"] = found["location"].rsplit("/", 1)[0]
    return found


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        (b"", {}),
        (b"[]", {}),
        (b'"parameters"', {}),
        (b'{"parameters": "GET /"}', {}),
        (b'{"parameters": {"path": "/"}, "colour": "red"}', {}),
        (b'{"parameters": {"path": "/"}, "async": "perhaps"}', {}),
        (b'{"parameters": {"method": "TELEPORT"}}', {}),
        (b'{"parameters": {"path": "/"}}', {"Prefer": LONG}),
        (b'{"parameters": {"path": "/"}}', {"Authorization": "Bearer sk_not_a_key_at_all_0123"}),
        (b'{"parameters": {"path": "/"}}', {"Authorization": "Basic Zm9vOmJhcg=="}),
        (b'{"parameters": {"path": "/"}}', {}),
        (b'{"parameters": {"path": "/"}, "runAsync": true}', {}),
    ],
)
@pytest.mark.usefixtures("fastapi_served")
async def test_the_execute_route_answers_as_fastapi_would(
    client: httpx.AsyncClient, upstream: Upstream, content: bytes, headers: dict[str, str]
) -> None:
    iid = await http_integration(client, upstream.url)
    path = PATH.format(integration_id=iid, operation="request")
    sent = {"Content-Type": "application/json", **headers}

    ours = await client.post(path, content=content, headers=sent)
    theirs = await client.post("/fastapi" + path, content=content, headers=sent)

    assert _answer(ours) == _answer(theirs)
    assert _async_headers(ours) == _async_headers(theirs)


@pytest.mark.usefixtures("fastapi_served")
async def test_an_unknown_integration_or_operation_is_answered_alike(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    iid = await http_integration(client, upstream.url)
    for integration_id, operation in ((iid, "fly"), ("int_missing", "request")):
        path = PATH.format(integration_id=integration_id, operation=operation)

        ours = await client.post(path, json={"parameters": {}})
        theirs = await client.post("/fastapi" + path, json={"parameters": {}})

        assert _answer(ours) == _answer(theirs)
        assert ours.status_code == 404
