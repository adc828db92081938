"""WorkflowClient and its twin against a fake of the workflow API (httpx MockTransport): the
routes, bodies and answers of the contract, `wait_for_execution` on an injected clock and sleep;
and, when the live server has the workflow routes, seed 001's execute_workflow flow on it."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from interlink import (
    AsyncWorkflowClient,
    ExecutionTimeout,
    WorkflowClient,
    WorkflowNotFound,
)
from tests.e2e.server import Server
from tests.sdk.conftest import WORKER_KEY, AsyncSleeps, Sleeps, envelope, error_envelope

STAMP = "2026-01-01T00:00:00Z"
DEFINITION_SET = {"steps": [{"name": "greet", "type": "set", "config": {"values": {"x": 1}}}]}
DEFINITION = {"steps": [{"name": "greet", "type": "set_values", "config": {"values": {"x": 1}}}]}


class FakeWorkflowAPI:
    """The workflow routes in memory. An execution moves one status on at each read
    (pending, running, completed), as a worker would; `stuck` ones never move."""

    def __init__(self, stuck: bool = False) -> None:
        self.workflows: dict[str, dict[str, Any]] = {}
        self.executions: dict[str, dict[str, Any]] = {}
        self.requests: list[httpx.Request] = []
        self.stuck = stuck

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        parts = request.url.path.removeprefix("/api/v1/").split("/")
        body = json.loads(request.content) if request.content else None
        route = getattr(self, f"{parts[0]}_{request.method.lower()}_{len(parts)}", None)
        return route(parts, body) if route else error_envelope("NOT_FOUND", 404)

    def _workflow(self, workflow_id: str) -> dict[str, Any] | None:
        return self.workflows.get(workflow_id)

    def workflows_post_1(self, _: list[str], body: Any) -> httpx.Response:
        wf_id = f"wf_{len(self.workflows) + 1}"
        self.workflows[wf_id] = {
            "id": wf_id,
            "version": 1,
            "created_at": STAMP,
            "updated_at": STAMP,
            "triggers": [],
            **body,
        }
        return envelope(self.workflows[wf_id], 201)

    def workflows_get_1(self, _: list[str], __: Any) -> httpx.Response:
        items = list(self.workflows.values())
        pages = {"page": 1, "page_size": 10, "total_items": len(items), "total_pages": 1}
        return envelope({"items": items, "pagination": pages})

    def workflows_get_2(self, parts: list[str], _: Any) -> httpx.Response:
        found = self._workflow(parts[1])
        return envelope(found) if found else error_envelope("WORKFLOW_NOT_FOUND", 404)

    def workflows_patch_2(self, parts: list[str], body: Any) -> httpx.Response:
        self.workflows[parts[1]].update(body, version=self.workflows[parts[1]]["version"] + 1)
        return envelope(self.workflows[parts[1]])

    def workflows_delete_2(self, parts: list[str], _: Any) -> httpx.Response:
        del self.workflows[parts[1]]
        return envelope({"id": parts[1], "deleted": True})

    def workflows_post_3(self, parts: list[str], body: Any) -> httpx.Response:
        if parts[1] not in self.workflows:
            return error_envelope("WORKFLOW_NOT_FOUND", 404)
        ex_id = f"ex_{len(self.executions) + 1}"
        self.executions[ex_id] = {
            "id": ex_id,
            "workflow_id": parts[1],
            "workflow_version": 1,
            "status": "pending",
            "input": body["input"],
            "steps": [],
            "started_at": STAMP,
        }
        started = {"execution_id": ex_id, "workflow_id": parts[1], "status": "pending"}
        return envelope({**started, "started_at": STAMP}, 202)

    def workflows_get_3(self, parts: list[str], _: Any) -> httpx.Response:
        items = [e for e in self.executions.values() if e["workflow_id"] == parts[1]]
        pages = {"page": 1, "page_size": 10, "total_items": len(items), "total_pages": 1}
        return envelope({"items": items, "pagination": pages})

    def executions_get_1(self, parts: list[str], body: Any) -> httpx.Response:
        items = list(self.executions.values())
        pages = {"page": 1, "page_size": 10, "total_items": len(items), "total_pages": 1}
        return envelope({"items": items, "pagination": pages})

    def executions_get_2(self, parts: list[str], _: Any) -> httpx.Response:
        execution = self.executions[parts[1]]
        following = {"pending": "running", "running": "completed"}
        if not self.stuck and execution["status"] in following:
            execution["status"] = following[execution["status"]]
        if execution["status"] == "completed":
            execution["output"] = {"x": 1}
            execution["steps"] = [
                {
                    "name": "greet",
                    "type": "set_values",
                    "status": "completed",
                    "attempts": 1,
                    "output": {"x": 1},
                }
            ]
        return envelope(execution)

    def executions_post_2(self, parts: list[str], body: Any) -> httpx.Response:
        execution = self.executions[parts[1]]
        execution["status"] = {"cancel": "cancelled", "retry": "pending"}[body["action"]]
        return envelope(execution)


class FakeClock:
    """A monotonic clock that moves only when the injected sleep is called."""

    def __init__(self, sleeps: Sleeps) -> None:
        self.sleeps = sleeps

    def __call__(self) -> float:
        return sum(self.sleeps.waits)


def client_for(api: FakeWorkflowAPI, sleeps: Sleeps) -> WorkflowClient:
    transport = httpx.MockTransport(api)
    return WorkflowClient(
        "sk_x",
        base_url="http://sdk.test",
        transport=transport,
        sleep=sleeps,
        clock=FakeClock(sleeps),
    )


def test_workflow_crud_follows_the_routes() -> None:
    api = FakeWorkflowAPI()
    client = client_for(api, Sleeps())

    made = client.create_workflow("greeter", DEFINITION, description="says hi")
    got = client.get_workflow(made.id)
    listed = [w.id for w in client.list_workflows()]
    changed = client.update_workflow(made.id, enabled=False)
    client.delete_workflow(made.id)
    with pytest.raises(WorkflowNotFound):
        client.get_workflow(made.id)

    assert (got.name, got.definition.steps[0].type) == ("greeter", "set_values")
    assert listed == [made.id]
    assert (changed.enabled, changed.version) == (False, 2)
    sent = [(r.method, r.url.path) for r in api.requests]
    assert sent[:5] == [
        ("POST", "/api/v1/workflows"),
        ("GET", f"/api/v1/workflows/{made.id}"),
        ("GET", "/api/v1/workflows"),
        ("PATCH", f"/api/v1/workflows/{made.id}"),
        ("DELETE", f"/api/v1/workflows/{made.id}"),
    ]
    assert json.loads(api.requests[0].content)["definition"] == DEFINITION


def test_execute_workflow_and_wait_polls_on_the_injected_sleep() -> None:
    api, sleeps = FakeWorkflowAPI(), Sleeps()
    client = client_for(api, sleeps)
    workflow = client.create_workflow("greeter", DEFINITION)

    started = client.execute(workflow.id, {"name": "John"})
    done = client.wait_for_execution(started.execution_id, timeout=30, poll_interval=0.5)

    assert started.status == "pending"
    assert (done.status, done.finished, done.output) == ("completed", True, {"x": 1})
    assert [s.name for s in done.steps] == ["greet"]
    assert sleeps.waits == [0.5]  # pending, running (wait), completed
    execute = api.requests[1]
    assert execute.url.path == f"/api/v1/workflows/{workflow.id}/execute"
    assert json.loads(execute.content) == {"input": {"name": "John"}}
    assert execute.headers["Idempotency-Key"]


def test_execute_workflow_with_wait_returns_the_finished_execution() -> None:
    api = FakeWorkflowAPI()
    client = client_for(api, Sleeps())
    workflow = client.create_workflow("greeter", DEFINITION)

    execution = client.execute_workflow(workflow.id, {"name": "John"}, wait=True)

    assert execution.status == "completed"
    assert execution.input == {"name": "John"}


def test_waiting_gives_up_after_the_timeout() -> None:
    api, sleeps = FakeWorkflowAPI(stuck=True), Sleeps()
    client = client_for(api, sleeps)
    workflow = client.create_workflow("greeter", DEFINITION)
    started = client.execute(workflow.id)

    with pytest.raises(ExecutionTimeout, match="still pending after 5 seconds"):
        client.wait_for_execution(started.execution_id, timeout=5, poll_interval=1)

    assert sleeps.waits == [1.0] * 5


def test_executions_are_listed_cancelled_and_retried() -> None:
    api = FakeWorkflowAPI()
    client = client_for(api, Sleeps())
    workflow = client.create_workflow("greeter", DEFINITION)
    started = client.execute(workflow.id)

    of_workflow = [e.id for e in client.list_executions(workflow.id)]
    everything = [e.id for e in client.list_executions()]
    cancelled = client.cancel_execution(started.execution_id)
    retried = client.retry_execution(started.execution_id)

    assert of_workflow == everything == [started.execution_id]
    assert (cancelled.status, retried.status) == ("cancelled", "pending")
    actions = [
        json.loads(r.content)
        for r in api.requests
        if r.url.path.startswith("/api/v1/ex") and r.method == "POST"
    ]
    assert actions == [{"action": "cancel"}, {"action": "retry"}]
    paths = {r.url.path for r in api.requests if r.method == "GET"}
    assert {f"/api/v1/workflows/{workflow.id}/executions", "/api/v1/executions"} <= paths


async def test_the_async_twin_executes_and_waits() -> None:
    api, sleeps = FakeWorkflowAPI(), AsyncSleeps()
    client = AsyncWorkflowClient(
        "sk_x",
        base_url="http://sdk.test",
        transport=httpx.MockTransport(api),
        sleep=sleeps,
        clock=FakeClock(sleeps),
    )
    async with client:
        workflow = await client.create_workflow("greeter", DEFINITION)
        execution = await client.execute_workflow(workflow.id, {"name": "John"}, wait=True)
        listed = [e.id async for e in await client.list_executions(workflow.id)]

    assert execution.status == "completed"
    assert listed == [execution.id]
    assert sleeps.waits == [1.0]


# -- live, when the server has the workflow routes ------------------------------------------------
def skip_without_workflow_routes(server: Server) -> None:
    paths = httpx.get(f"{server.url}/api/v1/openapi").json()["paths"]
    if "/api/v1/workflows/{workflow_id}/execute" not in paths:
        pytest.skip("the server has no workflow routes yet")


def test_live_execute_workflow(live: str, server: Server) -> None:
    skip_without_workflow_routes(server)
    with WorkflowClient(access_token=live) as client:
        workflow = client.create_workflow(
            "sdk greeter",
            DEFINITION_SET,
        )
        started = client.execute(workflow.id, {"name": "John"})
        execution = client.get_execution(started.execution_id)
        listed = [e.id for e in client.list_executions(workflow.id)]
        cancelled = client.cancel_execution(started.execution_id)  # no worker runs it here
        finished = client.wait_for_execution(started.execution_id, timeout=0)
        client.delete_workflow(workflow.id)

    assert started.status == "pending"
    assert cancelled.status == finished.status == "cancelled"
    assert execution.workflow_id == workflow.id
    assert execution.input == {"name": "John"}
    assert started.execution_id in listed


def test_live_execute_workflow_and_wait_on_a_server_with_a_worker(
    server: Server, request: pytest.FixtureRequest
) -> None:
    """Seed 001's flow: execute the workflow, then follow the execution until it is done. The
    waits poll a real worker process (0.1 s apart), they time nothing."""
    skip_without_workflow_routes(server)
    url: str = request.getfixturevalue("worker_server")
    with WorkflowClient(WORKER_KEY, base_url=url) as client:
        workflow = client.create_workflow("sdk greeter", DEFINITION_SET)
        execution = client.execute_workflow(
            workflow.id, {"name": "John"}, wait=True, timeout=60, poll_interval=0.1
        )

    assert execution.status == "completed"
    assert execution.input == {"name": "John"}
    assert [(s.name, s.status, s.attempts) for s in execution.steps] == [("greet", "completed", 1)]
    assert execution.steps[0].output == {"x": 1}


async def test_live_async_execute_workflow_and_wait(
    server: Server, request: pytest.FixtureRequest
) -> None:
    skip_without_workflow_routes(server)
    url: str = request.getfixturevalue("worker_server")
    async with AsyncWorkflowClient(WORKER_KEY, base_url=url) as client:
        workflow = await client.create_workflow("sdk greeter async", DEFINITION_SET)
        started = await client.execute(workflow.id, {"name": "Jane"})
        execution = await client.wait_for_execution(
            started.execution_id, timeout=60, poll_interval=0.1
        )
        listed = [e.id async for e in await client.list_executions(workflow.id)]

    assert execution.status == "completed"
    assert listed == [started.execution_id]
