"""Cancel while running and while waiting, retry from the failed step, triggers, idempotency."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiohttp import web
from fastapi import FastAPI

from interlink.core.clock import FrozenClock
from interlink.workflows.engine import bound
from tests.conftest import data, error, log_lines
from tests.helpers.integrations import http_integration
from tests.transport.conftest import Upstream, status
from tests.workflows.conftest import (
    create_workflow,
    eventually,
    execution,
    executions_of,
    finished,
    run_to_end,
    step_of,
)


async def _start(client: httpx.AsyncClient, workflow_id: str, input_: dict | None = None) -> str:
    response = await client.post(
        f"/api/v1/workflows/{workflow_id}/execute", json={"input": input_ or {}}
    )
    assert response.status_code == 202, response.text
    return str(data(response)["execution_id"])


@pytest.mark.parametrize("clock", [FrozenClock(datetime.now(UTC))])
async def test_cancel_while_waiting_ends_it_at_once_and_no_further_step_runs(
    client: httpx.AsyncClient, upstream: Upstream, clock: FrozenClock, log_output: io.StringIO
) -> None:
    workflow = await create_workflow(
        client,
        [
            {"name": "nap", "type": "delay", "config": {"seconds": 3600}},
            {"name": "after", "type": "http_request", "config": {"url": f"{upstream.url}/after"}},
        ],
    )
    execution_id = await _start(client, workflow["id"])
    await eventually(lambda: execution(client, execution_id), lambda e: e["status"] == "waiting")
    clock.advance(3600)  # the delay is over by the clock: a run that went on would not wait again

    response = await client.post(f"/api/v1/executions/{execution_id}", json={"action": "cancel"})

    assert response.status_code == 200, response.text
    assert data(response)["status"] == "cancelled"
    again = await client.post(f"/api/v1/executions/{execution_id}", json={"action": "cancel"})
    assert error(again)["code"] == "CONFLICT"
    await eventually(  # the run woke on the cancel, and stopped there
        lambda: asyncio.sleep(0, log_lines(log_output)),
        lambda lines: any(
            line["event"] == "workflow_run_stopped" and line["execution_id"] == execution_id
            for line in lines
        ),
    )
    ended = await execution(client, execution_id)
    assert ended["status"] == "cancelled"
    assert upstream.seen == []
    events = data(await client.get("/api/v1/events?type=workflow.cancelled"))["items"]
    assert [e["data"]["execution_id"] for e in events] == [execution_id]


async def test_a_cancelled_executions_step_under_way_shows_cancelled(
    client: httpx.AsyncClient,
) -> None:
    workflow = await create_workflow(
        client,
        [
            {"name": "first", "type": "set", "config": {"values": {"a": 1}}},
            {"name": "nap", "type": "delay", "config": {"seconds": 3600}},
        ],
    )
    execution_id = await _start(client, workflow["id"])
    await eventually(lambda: execution(client, execution_id), lambda e: e["status"] == "waiting")

    await client.post(f"/api/v1/executions/{execution_id}", json={"action": "cancel"})

    ended = await execution(client, execution_id)
    assert ended["status"] == "cancelled"
    assert [(s["name"], s["status"]) for s in ended["steps"]] == [
        ("first", "completed"),
        ("nap", "cancelled"),
    ]
    assert step_of(ended, "nap")["completed_at"] == ended["completed_at"]


@pytest.mark.parametrize(
    "after",
    [
        {"name": "next", "type": "http_request", "config": {"url": "{{ input.next }}"}},
        # Computed once the slow step returns; its row would come with the slow step's end,
        # held for the run's next write, which the cancel abandons.
        {"name": "next", "type": "transform", "config": {"jmespath": "steps.slow.output"}},
    ],
    ids=["http_request", "transform"],
)
async def test_cancel_while_a_step_runs_lets_it_finish_and_starts_no_other(
    client: httpx.AsyncClient, upstream: Upstream, after: dict[str, Any]
) -> None:
    release = asyncio.Event()

    async def slow(_: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({"slow": True})

    upstream.script(slow)
    workflow = await create_workflow(
        client,
        [
            {"name": "slow", "type": "http_request", "config": {"url": f"{upstream.url}/slow"}},
            after,
        ],
    )
    execution_id = await _start(client, workflow["id"], {"next": f"{upstream.url}/next"})
    await eventually(lambda: asyncio.sleep(0, len(upstream.seen)), lambda n: n == 1)

    cancelled = await client.post(f"/api/v1/executions/{execution_id}", json={"action": "cancel"})
    release.set()

    assert data(cancelled)["status"] == "cancelled"
    # The slow step's end is written by the write the cancel refused (the next step's start, or
    # the run's end): once it shows, the run has met the cancel.
    await eventually(
        lambda: execution(client, execution_id),
        lambda e: step_of(e, "slow")["status"] == "completed",
    )
    assert [s["path"] for s in upstream.seen] == ["/slow"]
    ended = await execution(client, execution_id)
    assert ended["status"] == "cancelled"
    assert "next" not in {s["name"] for s in ended["steps"] if s["status"] == "completed"}


async def test_retry_reruns_from_the_failed_step_without_repeating_completed_ones(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    upstream.script(lambda _: web.json_response({"id": "cus_1"}), status(400))
    workflow = await create_workflow(
        client,
        [
            {
                "name": "create",
                "type": "http_request",
                "config": {"method": "POST", "url": f"{upstream.url}/create"},
            },
            {
                "name": "charge",
                "type": "http_request",
                "config": {
                    "method": "POST",
                    "url": f"{upstream.url}/charge",
                    "body": {"customer": "{{ steps.create.output.body.id }}"},
                },
            },
        ],
    )
    failed = await run_to_end(client, workflow["id"])
    assert failed["status"] == "failed"
    assert failed["error"]["step"] == "charge"

    response = await client.post(f"/api/v1/executions/{failed['id']}", json={"action": "retry"})

    assert response.status_code == 200, response.text
    ended = await finished(client, failed["id"])
    assert ended["status"] == "completed", ended
    assert ended["run"] == 2
    assert [s["path"] for s in upstream.seen] == ["/create", "/charge", "/charge"]
    assert json.loads(upstream.seen[2]["body"]) == {"customer": "cus_1"}
    keys = [s["headers"]["Idempotency-Key"] for s in upstream.seen]
    assert keys == [f"{ended['id']}:create", f"{ended['id']}:charge", f"{ended['id']}:charge:2.1"]
    not_failed = await client.post(f"/api/v1/executions/{failed['id']}", json={"action": "retry"})
    assert error(not_failed)["code"] == "CONFLICT"


async def test_wait_for_event_resumes_on_a_matching_event_only(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    workflow = await create_workflow(
        client,
        [
            {
                "name": "wait",
                "type": "wait_for_event",
                "config": {"event": "integration.created", "filter": {"name": "{{ input.name }}"}},
            },
            {
                "name": "seen",
                "type": "set",
                "config": {"values": {"id": "{{ steps.wait.output.event.data.integration_id }}"}},
            },
        ],
    )
    execution_id = await _start(client, workflow["id"], {"name": "Upstream"})
    await eventually(lambda: execution(client, execution_id), lambda e: e["status"] == "waiting")

    other = {
        "name": "Other",
        "type": "http",
        "configuration": {"api_url": upstream.url},
        "credentials": {"api_key": "k-1"},
    }
    await client.post("/api/v1/integrations", json=other)
    iid = await http_integration(client, upstream.url)

    ended = await finished(client, execution_id)
    assert ended["status"] == "completed", ended
    assert ended["output"] == {"id": iid}


async def test_wait_for_event_times_out(client: httpx.AsyncClient) -> None:
    workflow = await create_workflow(
        client,
        [
            {
                "name": "wait",
                "type": "wait_for_event",
                "config": {
                    "event": "provider.github.*",
                    "timeout_seconds": 0.2,
                    "on_timeout": "continue",
                },
            }
        ],
    )

    ended = await run_to_end(client, workflow["id"])

    assert ended["status"] == "completed"
    assert ended["output"] == {"event": None, "timed_out": True}


async def test_an_event_trigger_starts_the_workflow_with_the_event_as_input(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    workflow = await create_workflow(
        client,
        [
            {
                "name": "note",
                "type": "set",
                "config": {"values": {"type": "{{ input.event.event }}"}},
            }
        ],
        triggers=[{"type": "event", "event": "integration.activated"}],
    )

    await http_integration(client, upstream.url)

    started = await eventually(
        lambda: executions_of(client, workflow["id"]),
        lambda items: len(items) == 1 and items[0]["status"] == "completed",
    )
    assert started[0]["trigger"] == "event"
    assert started[0]["output"] == {"type": "integration.activated"}


async def test_more_events_than_one_read_holds_all_reach_the_triggers(
    app: FastAPI, client: httpx.AsyncClient, upstream: Upstream
) -> None:
    app.state.services.follower.reader.batch = 2  # each look reads two events at most
    workflow = await create_workflow(
        client,
        [{"name": "note", "type": "set", "config": {"values": {"id": "{{ input.event.id }}"}}}],
        triggers=[{"type": "event", "event": "integration.activated"}],
    )
    for _ in range(4):  # eight events in a moment: created and activated, four times
        await http_integration(client, upstream.url)

    started = await eventually(
        lambda: executions_of(client, workflow["id"]),
        lambda items: len(items) == 4 and all(i["status"] == "completed" for i in items),
    )
    events = data(await client.get("/api/v1/events", params={"type": "integration.activated"}))
    assert {r["output"]["id"] for r in started} == {e["id"] for e in events["items"]}


async def test_the_webhook_trigger_takes_its_token_and_the_body_as_input(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    workflow = await create_workflow(
        client,
        [{"name": "echo", "type": "set", "config": {"values": {"got": "{{ input.order }}"}}}],
        triggers=[{"type": "webhook"}],
    )
    token = workflow["trigger_token"]
    assert token
    assert workflow["webhook_url"] == f"/api/v1/workflows/{workflow['id']}/trigger/{{token}}"
    assert data(await client.get(f"/api/v1/workflows/{workflow['id']}"))["trigger_token"] is None

    wrong = await anonymous.post(f"/api/v1/workflows/{workflow['id']}/trigger/wft_wrong", json={})
    response = await anonymous.post(
        f"/api/v1/workflows/{workflow['id']}/trigger/{token}", json={"order": 42}
    )

    assert error(wrong)["code"] == "WORKFLOW_NOT_FOUND"
    assert response.status_code == 202, response.text
    ended = await finished(client, data(response)["execution_id"])
    assert ended["trigger"] == "webhook"
    assert ended["output"] == {"got": 42}


async def test_execute_with_the_same_idempotency_key_starts_one_execution(
    client: httpx.AsyncClient,
) -> None:
    workflow = await create_workflow(
        client, [{"name": "a", "type": "set", "config": {"values": {"v": 1}}}]
    )
    url = f"/api/v1/workflows/{workflow['id']}/execute"

    first = await client.post(url, json={"input": {}}, headers={"Idempotency-Key": "run-1"})
    second = await client.post(url, json={"input": {}}, headers={"Idempotency-Key": "run-1"})

    assert data(first)["execution_id"] == data(second)["execution_id"]
    items = data(await client.get("/api/v1/executions"))["items"]
    assert len(items) == 1


async def test_a_run_begun_again_gets_its_plan_and_checkpoints_and_says_started_once(
    client: httpx.AsyncClient,
) -> None:
    """A run resumed after its process died begins again: it gets the plan it began with and
    the results its steps saved, and the execution still says `workflow.started` once."""
    workflow = await create_workflow(
        client, [{"name": "pause", "type": "delay", "config": {"seconds": 30}}]
    )
    execution_id = await _start(client, workflow["id"])
    await eventually(lambda: execution(client, execution_id), lambda e: e["status"] == "waiting")

    again = await bound().begin(execution_id, 1)

    assert again is not None
    assert again.plan.execution_id == execution_id
    assert list(again.saved) == [1]  # the delay step's result: the time it waits until
    assert again.saved[1].ok
    assert again.saved[1].deadline is not None
    found = data(await client.get("/api/v1/events", params={"type": "workflow.started"}))["items"]
    assert [e["data"]["execution_id"] for e in found] == [execution_id]
    await client.post(f"/api/v1/executions/{execution_id}", json={"action": "cancel"})
