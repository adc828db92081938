"""`/metrics` after a scripted run: each family is there, with the values of what happened."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from interlink.testing import HttpMock, RunningMock
from tests.conftest import data
from tests.helpers.polling import eventually
from tests.metrics.conftest import OPERATION_ROUTE, SECRET, integration, run, scrape

HTTP = {"connector_type": "http", "operation": "request"}


async def test_an_operation_is_counted_as_a_request_and_a_provider_call(
    client: httpx.AsyncClient, mock: RunningMock[HttpMock]
) -> None:
    iid = await integration(client, mock.url)

    for _ in range(3):
        assert (await run(client, iid)).status_code == 200

    found = await scrape(client)
    requests = {"method": "POST", "route": OPERATION_ROUTE, "status": "200"}
    assert found.value("interlink_http_requests_total", **requests) == 3
    duration = {"method": "POST", "route": OPERATION_ROUTE}
    assert found.value("interlink_http_request_duration_seconds_count", **duration) == 3
    assert found.value("interlink_provider_calls_total", **HTTP, outcome="success") == 3
    assert found.value("interlink_provider_call_duration_seconds_count", **HTTP) == 3
    assert found.value("interlink_provider_call_duration_seconds_sum", **HTTP) > 0
    closed = found.value("interlink_circuit_breakers", connector_type="http", state="closed")
    assert closed == 1
    assert iid not in found.text  # no ids by default
    assert SECRET not in found.text


async def test_routes_are_templates_and_unknown_paths_one_label(
    client: httpx.AsyncClient,
) -> None:
    for suffix in ("int_a", "int_b", "int_c"):
        await client.get(f"/api/v1/integrations/{suffix}")
    await client.get("/no/such/path/1")
    await client.get("/no/such/path/2")

    found = await scrape(client)
    one = {"method": "GET", "route": "/api/v1/integrations/{integration_id}", "status": "404"}
    assert found.value("interlink_http_requests_total", **one) == 3
    unmatched = {"route": "unmatched", "status": "404"}
    assert found.value("interlink_http_requests_total", **unmatched) == 2
    routes = {labels["route"] for labels in found.labels("interlink_http_requests_total")}
    assert not any("int_" in route or "/no/such" in route for route in routes)


async def test_waits_and_refusals_of_the_rate_budget(
    client: httpx.AsyncClient, mock: RunningMock[HttpMock]
) -> None:
    waits = await integration(client, mock.url, rate_limiting={"requests_per_second": 2})
    refuses = await integration(client, mock.url, rate_limiting={"requests_per_hour": 1})

    for _ in range(3):  # two in the burst, the third waits about half a second
        assert (await run(client, waits)).status_code == 200
    assert (await run(client, refuses)).status_code == 200
    refused = await run(client, refuses)

    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    found = await scrape(client)
    assert found.value("interlink_rate_limit_waits_total", **HTTP) == 1
    assert 0.2 < found.value("interlink_rate_limit_wait_seconds_total", **HTTP) <= 1.0
    assert found.value("interlink_rate_limit_refusals_total", **HTTP) == 1
    assert found.value("interlink_provider_calls_total", **HTTP, outcome="success") == 4
    assert len(mock.mock.calls) == 4  # the refused call never left


async def test_a_breaker_opens_and_its_refusals_are_counted(
    client: httpx.AsyncClient, mock: RunningMock[HttpMock]
) -> None:
    healthy = await integration(client, mock.url)
    failing = await integration(client, mock.url, rate_limiting={"max_retries": 0})
    assert (await run(client, healthy)).status_code == 200

    codes = [(await run(client, failing, "/status/500")).status_code for _ in range(3)]

    assert codes == [502, 502, 503]
    found = await scrape(client)
    assert found.value("interlink_provider_calls_total", **HTTP, outcome="server_error") == 2
    assert found.value("interlink_circuit_open_refusals_total", **HTTP) == 1
    assert found.value("interlink_circuit_breakers", connector_type="http", state="open") == 1
    assert found.value("interlink_circuit_breakers", connector_type="http", state="closed") == 1
    assert all(
        "integration_id" not in labels for labels in found.labels("interlink_circuit_breakers")
    )
    failed = {"route": OPERATION_ROUTE, "status": "502"}
    assert found.value("interlink_http_requests_total", **failed) == 2


async def test_webhook_deliveries_by_outcome(
    client: httpx.AsyncClient, mock: RunningMock[HttpMock]
) -> None:
    iid = await integration(client, mock.url)
    completed = ["operation.completed"]
    endpoints = [  # url, events, attempts
        ("/anything/ok", completed, 3),
        ("/status/500", ["operation.started", "operation.completed"], 2),
        ("/status/503", completed, 1),
    ]
    for path, events, attempts in endpoints:
        retry = {"max_attempts": attempts, "backoff_ms": 86_400_000}
        body = {"url": mock.url + path, "events": events, "retry_policy": retry}
        response = await client.post("/api/v1/webhooks", json=body)
        assert response.status_code == 201, response.text

    assert (await run(client, iid)).status_code == 200

    found = await eventually(
        lambda: scrape(client),
        lambda s: s.value("interlink_webhook_deliveries_total") >= 4,
    )
    assert found.value("interlink_webhook_deliveries_total", outcome="succeeded") == 1
    assert found.value("interlink_webhook_deliveries_total", outcome="retrying") == 2
    assert found.value("interlink_webhook_deliveries_total", outcome="failed") == 1
    assert found.value("interlink_webhook_delivery_duration_seconds_count") == 4


async def test_workflow_executions_by_status_and_the_queue_drained(
    client: httpx.AsyncClient,
) -> None:
    steps = [{"name": "values", "type": "set", "config": {"values": {"n": "{{ input.n }}"}}}]
    body = {"name": "Metrics", "definition": {"steps": steps}}
    workflow = data(await client.post("/api/v1/workflows", json=body))
    for n in range(2):
        response = await client.post(
            f"/api/v1/workflows/{workflow['id']}/execute", json={"input": {"n": n}}
        )
        assert response.status_code == 202, response.text

    found = await eventually(
        lambda: scrape(client),
        lambda s: s.value("interlink_workflow_executions_total", status="completed") >= 2,
    )
    assert found.value("interlink_workflow_executions_total", status="started") == 2
    assert found.value("interlink_workflow_executions_total", status="completed") == 2
    assert found.value("interlink_workflow_executions_total", status="failed") == 0
    drained = await eventually(
        lambda: scrape(client),
        lambda s: s.value("interlink_queue_depth", queue="interlink-workflows") == 0,
    )
    assert drained.value("interlink_metrics_scrape_errors_total") == 0


async def test_metrics_are_per_app(app: FastAPI, client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    assert app.state.metrics is app.state.services.metrics
    found = await scrape(client)
    healthz = {"route": "/healthz", "status": "200"}
    assert found.value("interlink_http_requests_total", **healthz) == 1
