"""The overview links what needs attention to its page: a failing or disabled webhook endpoint
to the endpoint's page, a failed execution to its timeline and its workflow."""

from __future__ import annotations

import httpx

from tests.conftest import data
from tests.jobs.conftest import settings as settings  # the embedded worker
from tests.workflows.conftest import create_workflow, finished

FAILING = [
    {
        "name": "call",
        "type": "http_request",
        "config": {"url": "http://127.0.0.1:1/refused"},
        "retry": {"max_attempts": 1},
    },
]


async def test_the_overview_links_endpoints_and_executions(
    client: httpx.AsyncClient, signed_in: httpx.AsyncClient
) -> None:
    hook = data(
        await client.post(
            "/api/v1/webhooks",
            json={"name": "Ops hook", "url": "http://127.0.0.1:9/hook", "events": ["*"]},
        )
    )
    disabled = await client.put(f"/api/v1/webhooks/{hook['id']}", json={"enabled": False})
    assert disabled.status_code == 200, disabled.text
    workflow = await create_workflow(client, FAILING)
    started = await client.post(f"/api/v1/workflows/{workflow['id']}/execute", json={"input": {}})
    execution_id = data(started)["execution_id"]
    assert (await finished(client, execution_id))["status"] == "failed"
    page = (await signed_in.get("/console/")).text
    assert f'<a href="/console/webhooks/{hook["id"]}">Ops hook</a>' in page
    assert f'<a href="/console/executions/{execution_id}">{execution_id}</a>' in page
    assert f'<a href="/console/workflows/{workflow["id"]}">' in page
