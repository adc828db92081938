"""The console's workflow pages: definitions with versions and steps, running with an input
(validated, errors in the form), executions with filters, an execution's step timeline, cancel
and retry, and a read-only key's view. Workflows run on the embedded worker."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from interlink.console.timeline import timeline
from interlink.workflows.schemas import ExecutionOut, StepOut
from tests.conftest import data
from tests.console.readers import assert_clean, browser_with, post_form
from tests.jobs.conftest import settings as settings  # the embedded worker
from tests.workflows.conftest import create_workflow, eventually, execution, finished

WAITING = [
    {"name": "prepare", "type": "set", "config": {"values": {"greeting": "hello"}}},
    {"name": "nap", "type": "delay", "config": {"seconds": 3600}},
    {"name": "after", "type": "transform", "config": {"jmespath": "steps.prepare.output"}},
]
FAILING = [
    {"name": "prepare", "type": "set", "config": {"values": {"n": 1}}},
    {
        "name": "call",
        "type": "http_request",
        "config": {"url": "http://127.0.0.1:1/refused"},
        "retry": {"max_attempts": 1},
    },
]


async def _start(client: httpx.AsyncClient, workflow_id: str, input_: Any = None) -> str:
    response = await client.post(
        f"/api/v1/workflows/{workflow_id}/execute", json={"input": input_ or {}}
    )
    assert response.status_code == 202, response.text
    return str(data(response)["execution_id"])


async def _waiting(client: httpx.AsyncClient) -> tuple[dict[str, Any], str]:
    workflow = await create_workflow(client, WAITING, name="Nightly sync")
    execution_id = await _start(client, workflow["id"], {"who": "ops"})
    await eventually(lambda: execution(client, execution_id), lambda e: e["status"] == "waiting")
    return workflow, execution_id


async def test_definitions_with_their_versions_and_steps(
    client: httpx.AsyncClient, signed_in: httpx.AsyncClient
) -> None:
    workflow = await create_workflow(client, WAITING[:1], name="Nightly sync")
    changed = await client.patch(
        f"/api/v1/workflows/{workflow['id']}", json={"definition": {"steps": WAITING}}
    )
    assert data(changed)["version"] == 2
    listing = await signed_in.get("/console/workflows")
    assert listing.status_code == 200
    assert "Nightly sync" in listing.text
    page = await signed_in.get(f"/console/workflows/{workflow['id']}")
    assert page.status_code == 200
    assert "version 2 (current): 3 steps" in page.text
    assert "version 1: 1 step<" in page.text
    for name in ("prepare", "nap", "after"):
        assert f"<code>{name}</code>" in page.text
    assert "Run with an input" in page.text
    assert_clean(page.text)


async def test_run_validates_the_input_in_the_form(
    client: httpx.AsyncClient, signed_in: httpx.AsyncClient
) -> None:
    workflow = await create_workflow(client, WAITING[:1])
    page = f"/console/workflows/{workflow['id']}"
    for text, said in (
        ('{"a": ', "The input is not JSON: Expecting value (line 1, column 7)."),
        ("[1, 2]", "The input must be a JSON object"),
    ):
        refused = await post_form(signed_in, page, f"{page}/run", {"input": text})
        assert refused.status_code == 400
        assert said in refused.text
        assert 'aria-invalid="true"' in refused.text
    listed = await client.get(f"/api/v1/workflows/{workflow['id']}/executions")
    assert data(listed)["items"] == []

    started = await post_form(signed_in, page, f"{page}/run", {"input": '{"who": "ops"}'})
    assert started.status_code == 303
    found = re.match(
        r"^/console/executions/(exec_\w+)\?notice=started$", started.headers["location"]
    )
    assert found, started.headers["location"]
    ended = await finished(client, found.group(1))
    assert ended["status"] == "completed"
    assert ended["input"] == {"who": "ops"}
    shown = await signed_in.get(started.headers["location"])
    assert "The execution has started." in shown.text
    assert '"who": "ops"' in shown.text


async def test_an_executions_steps_as_a_timeline_and_cancel(
    client: httpx.AsyncClient, signed_in: httpx.AsyncClient
) -> None:
    _, execution_id = await _waiting(client)
    page = f"/console/executions/{execution_id}"
    shown = await signed_in.get(page)
    assert shown.status_code == 200
    assert 'class="state state-idle">waiting<' in shown.text
    bars = re.findall(
        r'class="timeline-bar bar-(\w+)" data-offset="([\d.]+)" data-width="([\d.]+)"', shown.text
    )
    assert [b[0] for b in bars] == ["completed", "waiting"]
    assert all(0 <= float(o) <= 100 and 0 < float(w) <= 100 for _, o, w in bars)
    assert 'class="state state-ok">completed<' in shown.text
    assert "Cancel" in shown.text
    assert 'hx-trigger="every 2s"' in shown.text  # a live execution's page follows it
    assert_clean(shown.text)

    cancelled = await post_form(signed_in, page, f"{page}/cancel")
    assert cancelled.status_code == 303
    after = await signed_in.get(cancelled.headers["location"])
    assert "The execution is cancelled." in after.text
    assert 'class="state state-off">cancelled<' in after.text
    assert ">Cancel<" not in after.text
    assert "hx-trigger" not in after.text
    assert (await execution(client, execution_id))["status"] == "cancelled"
    again = await post_form(signed_in, page, f"{page}/cancel")
    assert again.status_code == 409
    assert "only a live execution can be cancelled" in again.text


async def test_retry_a_failed_execution(
    client: httpx.AsyncClient, signed_in: httpx.AsyncClient
) -> None:
    workflow = await create_workflow(client, FAILING)
    execution_id = await _start(client, workflow["id"])
    failed = await finished(client, execution_id)
    assert failed["status"] == "failed"
    page = f"/console/executions/{execution_id}"
    shown = await signed_in.get(page)
    assert 'class="timeline-bar bar-failed"' in shown.text
    assert 'class="state state-bad">failed<' in shown.text
    retried = await post_form(signed_in, page, f"{page}/retry")
    assert retried.status_code == 303
    assert (
        "runs again from its failed step" in (await signed_in.get(retried.headers["location"])).text
    )
    again = await eventually(
        lambda: execution(client, execution_id),
        lambda e: e["run"] == 2 and e["status"] == "failed",
    )
    assert [s["attempts"] for s in again["steps"] if s["name"] == "prepare"] == [1]


async def test_executions_list_with_filters(
    client: httpx.AsyncClient, signed_in: httpx.AsyncClient
) -> None:
    failing = await create_workflow(client, FAILING, name="Breaks")
    broken = await _start(client, failing["id"])
    await finished(client, broken)
    _, waiting = await _waiting(client)
    every = await signed_in.get("/console/executions")
    assert broken in every.text
    assert waiting in every.text
    only_failed = await signed_in.get("/console/executions?status=failed")
    assert broken in only_failed.text
    assert waiting not in only_failed.text
    of_one = await signed_in.get(f"/console/executions?workflow_id={failing['id']}")
    assert waiting not in of_one.text
    wrong = await signed_in.get("/console/executions?since=soon")
    assert wrong.status_code == 200
    assert "Give the time as YYYY-MM-DDTHH:MM (UTC)." in wrong.text


async def test_a_read_only_key_sees_no_write_controls_and_is_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    workflow, execution_id = await _waiting(client)
    async with browser_with(app, client, "workflows:read") as (reader, key):
        definition = await reader.get(f"/console/workflows/{workflow['id']}")
        assert definition.status_code == 200
        assert "Run with an input" not in definition.text
        shown = await reader.get(f"/console/executions/{execution_id}")
        assert shown.status_code == 200
        assert ">Cancel<" not in shown.text
        assert_clean(shown.text, key)
        page = f"/console/executions/{execution_id}"
        refused = await post_form(reader, page, f"{page}/cancel")
        assert refused.status_code == 403
        assert "workflows:write" in refused.text
        run = await post_form(
            reader, page, f"/console/workflows/{workflow['id']}/run", {"input": "{}"}
        )
        assert run.status_code == 403
    assert (await execution(client, execution_id))["status"] == "waiting"
    await client.post(f"/api/v1/executions/{execution_id}", json={"action": "cancel"})


def test_the_timeline_places_each_step_within_the_executions_span() -> None:
    start = datetime(2026, 12, 7, 12, tzinfo=UTC)

    def step(name: str, status: str, begin: float | None, end: float | None) -> StepOut:
        return StepOut(
            name=name, type="set", status=status, attempts=1, output=None, error=None,
            started_at=start + timedelta(seconds=begin) if begin is not None else None,
            completed_at=start + timedelta(seconds=end) if end is not None else None,
        )  # fmt: skip

    execution = ExecutionOut(
        id="exec_1", workflow_id="wf_1", workflow_version=1, status="running", trigger="manual",
        run=1, input={}, output=None, error=None, started_at=start, completed_at=None,
        steps=[
            step("first", "completed", 0, 2), step("instant", "completed", 2, 2),
            step("now", "running", 5, None), step("later", "pending", None, None),
        ],
    )  # fmt: skip
    bars = timeline(execution, start + timedelta(seconds=10))
    shown = [(b.offset, b.width, b.duration_ms) for b in bars]
    assert shown == [(0.0, 20.0, 2000.0), (20.0, 0.5, 0.0), (50.0, 50.0, 5000.0), (0.0, 0.0, None)]
