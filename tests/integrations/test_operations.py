"""Operations through the API: list, run against a real upstream, read back, history, stats."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from interlink.app import create_app
from interlink.config import ServerSettings, Settings
from tests.conftest import ADMIN_KEY, client_for, data, error, make_settings
from tests.helpers.integrations import http_integration
from tests.transport.conftest import ScriptedDns, Upstream, status


async def test_the_operations_of_an_integration_are_listed_with_their_schemas(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    iid = await http_integration(client, upstream.url)

    listed = data(await client.get(f"/api/v1/integrations/{iid}/operations"))["operations"]

    assert [o["id"] for o in listed] == ["graphql", "request"]
    request = listed[1]
    assert request["name"] == "Request"
    assert request["description"].startswith("Make an authenticated HTTP request")
    method = next(p for p in request["parameters"] if p["name"] == "method")
    assert method == {
        "name": "method", "type": "string", "description": "The HTTP method", "required": False,
        "default": "GET", "format": None,
    }  # fmt: skip
    assert set(request["result_schema"]["properties"]) == {"status", "headers", "body"}


async def test_running_an_operation_calls_the_upstream_and_records_everything(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    iid = await http_integration(client, upstream.url)

    response = await client.post(
        f"/api/v1/integrations/{iid}/operations/request",
        json={"parameters": {"method": "GET", "path": "/things", "query": {"q": "1"}}},
    )

    run = data(response)
    assert set(run) == {
        "operation_id", "integration_id", "operation", "status", "started_at", "completed_at",
        "duration_ms", "result",
    }  # fmt: skip
    assert run["status"] == "completed"
    assert run["result"]["status"] == 200
    assert run["result"]["body"] == {"ok": True}
    assert upstream.seen[0]["path"] == "/things"
    assert upstream.seen[0]["headers"]["Authorization"] == "Bearer k-123"
    detail = data(
        await client.get(f"/api/v1/integrations/{iid}/operations/request/{run['operation_id']}")
    )
    assert detail["parameters"] == {"method": "GET", "path": "/things", "query": {"q": "1"}}
    assert detail["result"] == run["result"]
    types = [
        e["event"] for e in data(await client.get(f"/api/v1/events?integration_id={iid}"))["items"]
    ]
    assert types[:2] == ["operation.completed", "operation.started"]
    stats = data(await client.get(f"/api/v1/integrations/{iid}"))["stats"]
    assert stats["total_calls"] == 1
    assert stats["success_rate"] == 100.0
    assert stats["last_used"] is not None


async def test_a_provider_error_fails_the_operation_with_its_code_and_keeps_the_record(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    iid = await http_integration(client, upstream.url)
    await client.post(
        f"/api/v1/integrations/{iid}/operations/request", json={"parameters": {"path": "/ok"}}
    )
    upstream.script(status(404, {"message": "No such thing"}))

    response = await client.post(
        f"/api/v1/integrations/{iid}/operations/request", json={"parameters": {"path": "/missing"}}
    )

    assert response.status_code == 404
    failure = error(response)
    assert failure["code"] == "EXTERNAL_RESOURCE_NOT_FOUND"
    operation_id = failure["details"][0]["operation_id"]
    assert failure["details"][1] == {"provider_status": 404, "provider_message": "No such thing"}
    recorded = data(
        await client.get(f"/api/v1/integrations/{iid}/operations/request/{operation_id}")
    )
    assert recorded["status"] == "failed"
    assert recorded["error"]["code"] == "EXTERNAL_RESOURCE_NOT_FOUND"
    history = data(await client.get(f"/api/v1/integrations/{iid}/operations/history?status=failed"))
    assert [o["operation_id"] for o in history["items"]] == [operation_id]
    stats = data(await client.get(f"/api/v1/integrations/{iid}"))["stats"]
    assert stats["total_calls"] == 2
    assert stats["success_rate"] == 50.0
    failed = data(await client.get("/api/v1/events?type=operation.failed"))["items"]
    assert failed[0]["data"]["error_code"] == "EXTERNAL_RESOURCE_NOT_FOUND"


async def test_parameters_are_checked_by_the_actions_model(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    iid = await http_integration(client, upstream.url)

    response = await client.post(
        f"/api/v1/integrations/{iid}/operations/request",
        json={"parameters": {"method": "TELEPORT", "path": "/x"}},
    )

    assert response.status_code == 422
    assert error(response)["code"] == "PARAMETER_VALIDATION_ERROR"
    assert error(response)["details"][0]["field"] == "method"
    assert upstream.seen == []
    history = data(await client.get(f"/api/v1/integrations/{iid}/operations/history"))
    assert history["pagination"]["total_items"] == 0


@pytest.mark.parametrize("queued", [False, True], ids=["sync", "async"])
async def test_unknown_parameters_are_refused_by_name(
    client: httpx.AsyncClient, upstream: Upstream, queued: bool
) -> None:
    iid = await http_integration(client, upstream.url)

    response = await client.post(
        f"/api/v1/integrations/{iid}/operations/request",
        json={"async": queued, "parameters": {"path": "/x", "methd": "POST", "timeout": 5}},
    )

    assert response.status_code == 422, response.text
    refused = error(response)
    assert refused["code"] == "PARAMETER_VALIDATION_ERROR"
    assert refused["details"] == [
        {"field": "methd", "message": "is not a known parameter"},
        {"field": "timeout", "message": "is not a known parameter"},
    ]
    assert "methd" in refused["message"]
    assert upstream.seen == []
    history = data(await client.get(f"/api/v1/integrations/{iid}/operations/history"))
    assert history["pagination"]["total_items"] == 0


async def test_an_unknown_operation_is_404(client: httpx.AsyncClient, upstream: Upstream) -> None:
    iid = await http_integration(client, upstream.url)

    response = await client.post(f"/api/v1/integrations/{iid}/operations/fly", json={})

    assert response.status_code == 404
    assert error(response)["code"] == "OPERATION_NOT_FOUND"
    assert "request" in error(response)["message"]


async def test_an_inactive_integration_says_how_to_activate_it(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    iid = await http_integration(client, upstream.url)
    await client.post(f"/api/v1/integrations/{iid}/deactivate")

    response = await client.post(
        f"/api/v1/integrations/{iid}/operations/request", json={"parameters": {"path": "/"}}
    )

    assert response.status_code == 409
    assert f"/api/v1/integrations/{iid}/activate" in error(response)["message"]
    assert upstream.seen == []


async def test_the_configured_budget_refuses_calls_before_the_provider_sees_them(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    iid = await http_integration(client, upstream.url, rate_limiting={"requests_per_minute": 2})
    url = f"/api/v1/integrations/{iid}/operations/request"
    for _ in range(2):
        assert (await client.post(url, json={"parameters": {"path": "/"}})).status_code == 200

    refused = await client.post(url, json={"parameters": {"path": "/"}})

    assert len(upstream.seen) == 2
    assert refused.status_code == 409  # the next slot is 30 s away, over the 10 s it may wait
    assert error(refused)["code"] == "RATE_LIMIT_EXCEEDED"
    assert refused.headers["Retry-After"] == "30"


@contextlib.asynccontextmanager
async def _strict_client(
    tmp_path: Path, database_url: str, dns: ScriptedDns | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """An app whose SSRF guard refuses private addresses (INTERLINK_ALLOW_PRIVATE_URLS off)."""
    settings: Settings = make_settings(tmp_path / "data", database_url)
    settings.server = ServerSettings(data_dir=tmp_path / "data", allow_private_urls=False)
    (tmp_path / "data").mkdir(exist_ok=True)
    app = create_app(settings, resolver=dns)
    async with app.router.lifespan_context(app), client_for(app, ADMIN_KEY) as client:
        yield client


@pytest.mark.parametrize(
    "api_url",
    ["http://127.0.0.1:8080", "http://10.0.0.7", "http://169.254.169.254/latest",
     "http://[::ffff:10.0.0.7]", "https://intranet.example.com"],
)  # fmt: skip
async def test_a_private_api_url_is_refused_when_written_unless_allowed(
    tmp_path: Path, database_url: str, api_url: str
) -> None:
    dns = ScriptedDns({"intranet.example.com": [["10.1.2.3"]], "api.example.com": [["8.8.8.8"]]})
    body = {"name": "Private", "type": "http", "credentials": {"api_key": "k"},
            "configuration": {"api_url": api_url, "auth_method": "api_key"}}  # fmt: skip
    async with _strict_client(tmp_path, database_url, dns) as client:
        created = await client.post("/api/v1/integrations", json=body)
        public = {**body, "configuration": {"api_url": "https://api.example.com"}}
        iid = data(await client.post("/api/v1/integrations", json=public))["id"]
        patched = await client.patch(
            f"/api/v1/integrations/{iid}", json={"configuration": {"api_url": api_url}}
        )
        put = await client.put(
            f"/api/v1/integrations/{iid}", json={"configuration": body["configuration"]}
        )
        stored = data(await client.get(f"/api/v1/integrations/{iid}"))["configuration"]
        listed = data(await client.get("/api/v1/integrations"))["pagination"]["total_items"]

    for response in (created, patched, put):
        assert response.status_code == 400, response.text
        refused = error(response)
        assert refused["code"] == "URL_NOT_ALLOWED"
        assert "may not be called" in refused["message"]
        assert refused["details"][0]["field"] == "configuration.api_url"
    assert stored["api_url"] == "https://api.example.com"
    assert listed == 1


async def test_a_name_that_turns_private_after_it_was_written_is_refused_when_called(
    tmp_path: Path, database_url: str
) -> None:
    """The write-time check does not replace the one at connect (a name can rebind)."""
    dns = ScriptedDns({"api.example.com": [["8.8.8.8"], ["127.0.0.1"]]})
    async with _strict_client(tmp_path, database_url, dns) as client:
        iid = await http_integration(client, "https://api.example.com")
        response = await client.post(
            f"/api/v1/integrations/{iid}/operations/request", json={"parameters": {"path": "/"}}
        )

    assert response.status_code == 400
    assert error(response)["code"] == "URL_NOT_ALLOWED"
    assert "loopback" in error(response)["message"]


@pytest.mark.parametrize("scope", ["integrations:read"])
async def test_running_needs_the_write_scope(
    key_client: Any, client: httpx.AsyncClient, upstream: Upstream, scope: str
) -> None:
    iid = await http_integration(client, upstream.url)
    reader = await key_client(scope)

    async with reader:
        listed = await reader.get(f"/api/v1/integrations/{iid}/operations")
        ran = await reader.post(f"/api/v1/integrations/{iid}/operations/request", json={})

    assert listed.status_code == 200
    assert ran.status_code == 403


async def test_secret_shaped_parameters_are_not_stored(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    iid = await http_integration(client, upstream.url)

    run = data(
        await client.post(
            f"/api/v1/integrations/{iid}/operations/request",
            json={"parameters": {"path": "/", "headers": {"X-Api-Key": "s3cr3t-value"}}},
        )
    )
    detail = data(
        await client.get(f"/api/v1/integrations/{iid}/operations/request/{run['operation_id']}")
    )

    assert upstream.seen[0]["headers"]["X-Api-Key"] == "s3cr3t-value"  # the call got it
    assert "s3cr3t-value" not in str(detail)
    assert detail["parameters"]["headers"]["X-Api-Key"] == "•" * 26


async def test_the_http_connector_retries_a_write_only_with_an_idempotency_key(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    iid = await http_integration(client, upstream.url)
    url = f"/api/v1/integrations/{iid}/operations/request"
    upstream.script(status(502))
    once = await client.post(url, json={"parameters": {"method": "POST", "path": "/orders"}})
    upstream.script(status(502))
    keyed = await client.post(
        url,
        json={"parameters": {"method": "POST", "path": "/orders", "idempotency_key": "order-7"}},
    )

    assert once.status_code == 502
    assert keyed.status_code == 200
    assert [s["headers"].get("Idempotency-Key") for s in upstream.seen] == [
        None,
        "order-7",
        "order-7",
    ]
