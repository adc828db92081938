"""Seed 001's workflow examples, sent as written."""

from __future__ import annotations

import httpx

from tests.conftest import data
from tests.transport.conftest import Upstream
from tests.workflows.conftest import finished, step_of

SEED_CREATE = {
    "name": "New Workflow",
    "description": "Optional description",
    "definition": {
        "steps": [
            {
                "name": "step1",
                "type": "http_request",
                "config": {"method": "GET", "url": "https://api.example.com/data"},
            }
        ]
    },
    "isPublic": False,
}


async def test_the_seed_create_and_execute_examples_are_accepted_as_written(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post("/api/v1/workflows", json=SEED_CREATE)

    assert created.status_code == 201, created.text
    workflow = data(created)
    assert workflow["name"] == "New Workflow"
    assert workflow["is_public"] is False
    assert workflow["version"] == 1
    listed = data(await client.get("/api/v1/workflows"))["items"]
    assert [w["id"] for w in listed] == [workflow["id"]]

    response = await client.post(
        f"/api/v1/workflows/{workflow['id']}/execute", json={"input": {"key": "value"}}
    )

    assert response.status_code == 202, response.text
    accepted = data(response)
    assert accepted["status"] == "pending"
    assert accepted["execution_id"].startswith("exec_")
    assert accepted["started_at"].endswith("Z")
    # No internet here: the step fails to connect, and says so; the execution is failed, not lost.
    ended = await finished(client, accepted["execution_id"])
    assert ended["status"] == "failed"
    assert ended["input"] == {"key": "value"}
    assert step_of(ended, "step1")["status"] == "failed"
    assert ended["error"]["step"] == "step1"


async def test_the_seed_example_against_a_reachable_url_completes_with_the_response(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    body = {**SEED_CREATE}
    body["definition"] = {
        "steps": [
            {
                "name": "step1",
                "type": "http_request",
                "config": {"method": "GET", "url": f"{upstream.url}/data"},
            }
        ]
    }
    workflow = data(await client.post("/api/v1/workflows", json=body))

    response = await client.post(
        f"/api/v1/workflows/{workflow['id']}/execute", json={"input": {"name": "John"}}
    )
    ended = await finished(client, data(response)["execution_id"])

    assert ended["status"] == "completed", ended
    step = step_of(ended, "step1")
    assert step["status"] == "completed"
    assert step["attempts"] == 1
    assert step["output"]["status"] == 200
    assert step["output"]["body"] == {"ok": True}
    assert ended["output"] == step["output"]
    assert [s["path"] for s in upstream.seen] == ["/data"]
