"""A workflow execution that is running when its custom provider changes keeps the version its
integration pins: the step after the change runs the declaration it started with (an embedded
worker runs the execution; the provider's mock on a loopback socket)."""

from __future__ import annotations

import httpx

from interlink.providers.custom.mock import AcmeMock
from interlink.testing import RunningMock
from tests.conftest import data
from tests.custom_providers.conftest import custom_integration, declaration, declare
from tests.helpers.polling import eventually
from tests.jobs.conftest import settings
from tests.workflows.conftest import create_workflow, execution, finished, step_of

__all__ = ["settings"]  # the fixture: apps with an embedded worker


def _get(name: str, iid: str, item: str) -> dict[str, object]:
    config = {"integration_id": iid, "operation": "get_item", "parameters": {"item_id": item}}
    return {"name": name, "type": "action", "config": config}


async def test_a_running_execution_keeps_the_version_it_started_with(
    client: httpx.AsyncClient, acme: RunningMock[AcmeMock]
) -> None:
    first = declaration(acme.api_url)
    await declare(client, first)
    iid = await custom_integration(client, "acme")
    wait = {"event": "integration.created", "filter": {"name": "go"}}
    steps = [_get("before", iid, "it_1"), {"name": "wait", "type": "wait_for_event",
             "config": wait}, _get("after", iid, "it_2")]  # fmt: skip
    workflow = await create_workflow(client, steps)
    started = await client.post(f"/api/v1/workflows/{workflow['id']}/execute", json={"input": {}})
    execution_id = data(started)["execution_id"]
    await eventually(lambda: execution(client, execution_id), lambda e: e["status"] == "waiting")

    get_item = first["actions"]["get_item"]
    get_item["input_schema"]["required"] = ["item_id", "revision"]  # v1's parameters break v2
    get_item["result"] = "{title: name}"
    changed = await client.put("/api/v1/custom-providers/acme", json=first)
    go = {"name": "go", "type": "http", "configuration": {"api_url": acme.url},
          "credentials": {"api_key": "k"}}  # fmt: skip
    await client.post("/api/v1/integrations", json=go)
    ended = await finished(client, execution_id)

    assert data(changed)["version"] == 2
    assert ended["status"] == "completed", ended
    assert step_of(ended, "before")["output"] == {"id": "it_1", "name": "anvil", "color": "red"}
    assert step_of(ended, "after")["output"] == {"id": "it_2", "name": "rocket", "color": "red"}
