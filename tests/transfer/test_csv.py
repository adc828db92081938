"""CSV of every list, with the list's filters, a header row first."""

from __future__ import annotations

import csv
import io

import httpx

from tests.conftest import data, error
from tests.transfer.conftest import SECRETS, UPSTREAM, seed


def rows(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


async def test_integrations_as_csv_with_the_lists_filters(client: httpx.AsyncClient) -> None:
    await seed(client)
    every = rows(await client.get("/api/v1/export/integrations.csv"))
    assert sorted(r["name"] for r in every) == ["Inline user", "Shared user"]
    active = rows(await client.get("/api/v1/export/integrations.csv?status=active"))
    assert [(r["name"], r["status"]) for r in active] == [("Inline user", "active")]
    ops = rows(await client.get("/api/v1/export/integrations.csv?department=ops"))
    assert [r["name"] for r in ops] == ["Shared user"]
    empty = await client.get("/api/v1/export/integrations.csv?status=inactive")
    assert empty.text.splitlines()[0].startswith("id,name,type,status")
    assert len(empty.text.splitlines()) == 1


async def test_events_as_csv_by_type(client: httpx.AsyncClient) -> None:
    await seed(client)
    created = rows(await client.get("/api/v1/export/events.csv?type=integration.created"))
    assert [r["type"] for r in created] == ["integration.created"] * 2
    assert not [s for s in SECRETS if s in (await client.get("/api/v1/export/events.csv")).text]


async def test_operations_as_csv_by_status(client: httpx.AsyncClient) -> None:
    ids = await seed(client)
    body = {"parameters": {"method": "GET", "path": "/nothing-listens"}}
    await client.post(f"/api/v1/integrations/{ids['inline']}/operations/request", json=body)
    path = f"/api/v1/export/operations.csv?integration_id={ids['inline']}"
    failed = rows(await client.get(f"{path}&status=failed"))
    assert [(r["operation"], r["status"]) for r in failed] == [("request", "failed")]
    assert rows(await client.get(f"{path}&status=completed")) == []
    unknown = await client.get("/api/v1/export/operations.csv?integration_id=int_nope")
    assert error(unknown)["code"] == "INTEGRATION_NOT_FOUND"


async def test_deliveries_as_csv_by_status(client: httpx.AsyncClient) -> None:
    await seed(client)
    hook = data(await client.get("/api/v1/webhooks"))["items"][0]
    await client.post("/api/v1/integrations", json={
        "name": "Third", "type": "http",
        "configuration": {"api_url": UPSTREAM, "auth_method": "api_key"},
        "credentials": {"api_key": "k"},
    })  # fmt: skip
    path = f"/api/v1/export/deliveries.csv?webhook_id={hook['id']}"
    pending = rows(await client.get(f"{path}&status=pending"))
    assert [(r["event"], r["status"]) for r in pending] == [("integration.created", "pending")]
    assert rows(await client.get(f"{path}&status=succeeded")) == []


async def test_executions_as_csv_by_workflow_and_status(client: httpx.AsyncClient) -> None:
    ids = await seed(client)
    started = await client.post(f"/api/v1/workflows/{ids['workflow']}/execute", json={})
    assert started.status_code in (200, 201, 202), started.text
    path = f"/api/v1/export/executions.csv?workflow_id={ids['workflow']}"
    found = rows(await client.get(path))
    assert [(r["workflow_id"], r["workflow_version"]) for r in found] == [(ids["workflow"], "2")]
    assert rows(await client.get(f"{path}&status=cancelled")) == []
