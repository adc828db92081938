"""Apps with an embedded worker (workflows run in the test's process), and helpers."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import data
from tests.helpers.polling import eventually
from tests.jobs.conftest import settings
from tests.transport.conftest import upstream

FINISHED = {"completed", "failed", "cancelled"}


async def create_workflow(
    client: httpx.AsyncClient, steps: list[dict[str, Any]], **fields: Any
) -> dict[str, Any]:
    body = {"name": "Test workflow", "definition": {"steps": steps}, **fields}
    response = await client.post("/api/v1/workflows", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = data(response)
    return created


async def execution(client: httpx.AsyncClient, execution_id: str) -> dict[str, Any]:
    found: dict[str, Any] = data(await client.get(f"/api/v1/executions/{execution_id}"))
    return found


async def executions_of(client: httpx.AsyncClient, workflow_id: str) -> list[dict[str, Any]]:
    """The first page of a workflow's executions, newest first."""
    found: list[dict[str, Any]] = data(
        await client.get(f"/api/v1/workflows/{workflow_id}/executions")
    )["items"]
    return found


async def run_to_end(
    client: httpx.AsyncClient, workflow_id: str, input_: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/workflows/{workflow_id}/execute", json={"input": input_ or {}}
    )
    assert response.status_code == 202, response.text
    return await finished(client, data(response)["execution_id"])


async def finished(client: httpx.AsyncClient, execution_id: str) -> dict[str, Any]:
    return await eventually(
        lambda: execution(client, execution_id), lambda e: e["status"] in FINISHED
    )


def step_of(found: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in found["steps"] if s["name"] == name)


__all__ = ["settings", "upstream"]
