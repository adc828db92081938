"""Async operations: 202 and `queued` at once, then run by the worker on the integration's
partition through the same code as a synchronous call."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import data, error
from tests.helpers.integrations import http_integration
from tests.helpers.polling import eventually
from tests.transport.conftest import Upstream


async def _operation(client: httpx.AsyncClient, iid: str, op_id: str) -> dict[str, Any]:
    found: dict[str, Any] = data(
        await client.get(f"/api/v1/integrations/{iid}/operations/request/{op_id}")
    )
    return found


async def test_an_async_operation_is_queued_then_completed_with_its_result(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    iid = await http_integration(client, upstream.url)

    response = await client.post(
        f"/api/v1/integrations/{iid}/operations/request",
        json={"async": True, "parameters": {"method": "GET", "path": "/things"}},
    )

    assert response.status_code == 202, response.text
    queued = data(response)
    assert queued["status"] == "queued"
    op_id = queued["operation_id"]
    assert response.headers["location"].endswith(f"/operations/request/{op_id}")
    done = await eventually(
        lambda: _operation(client, iid, op_id), lambda o: o["status"] == "completed"
    )
    assert done["result"]["status"] == 200
    assert done["result"]["body"] == {"ok": True}
    assert done["parameters"] == {"method": "GET", "path": "/things"}
    assert [s["path"] for s in upstream.seen] == ["/things"]
    events = data(await client.get(f"/api/v1/events?integration_id={iid}"))["items"]
    assert [e["event"] for e in events][:2] == ["operation.completed", "operation.started"]
    stats = data(await client.get(f"/api/v1/integrations/{iid}"))["stats"]
    assert stats["total_calls"] == 1


async def test_prefer_respond_async_queues_too_and_a_failure_is_recorded(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    iid = await http_integration(client, upstream.url, rate_limiting={"max_retries": 0})
    upstream.script(lambda _: httpx_free_error(404))

    response = await client.post(
        f"/api/v1/integrations/{iid}/operations/request",
        json={"parameters": {"method": "GET", "path": "/missing"}},
        headers={"Prefer": "respond-async, wait=5"},
    )

    assert response.status_code == 202, response.text
    assert response.headers["preference-applied"] == "respond-async"
    op_id = data(response)["operation_id"]
    failed = await eventually(
        lambda: _operation(client, iid, op_id), lambda o: o["status"] in {"completed", "failed"}
    )
    assert failed["status"] == "failed"
    assert failed["error"]["code"] == "EXTERNAL_RESOURCE_NOT_FOUND"


async def test_an_invalid_async_request_queues_nothing(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    iid = await http_integration(client, upstream.url)

    response = await client.post(
        f"/api/v1/integrations/{iid}/operations/request",
        json={"async": True, "parameters": {"method": 7}},
    )

    assert response.status_code == 422
    assert error(response)["code"] == "PARAMETER_VALIDATION_ERROR"
    history = data(await client.get(f"/api/v1/integrations/{iid}/operations/history"))
    assert history["items"] == []


def httpx_free_error(code: int) -> Any:
    from aiohttp import web

    return web.json_response({"error": "not found"}, status=code)
