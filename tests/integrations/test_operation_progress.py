"""An operation's progress as `operation.progress` events: an Ollama pull through the API, run
now or queued for the worker, reports its steps and bytes on the live stream (a real socket), a
create its steps, each its last report before `operation.completed`; an action that reports
nothing writes none; and the reports are thinned to one a second by the injected clock, the
last one kept."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from interlink.app import create_app
from interlink.config import Settings
from interlink.core.clock import FrozenClock
from interlink.core.ids import new_id
from interlink.core.secrets import Scrubber
from interlink.integrations.operation_record import OperationRecord
from interlink.testing import OllamaMock, RunningMock, serve_mock
from tests.conftest import ADMIN_KEY, data, make_settings
from tests.e2e.server import free_port
from tests.events.test_stream import Listener
from tests.helpers.integrations import http_integration
from tests.helpers.polling import eventually
from tests.jobs.conftest import worker_jobs

AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}
LIMIT = 30.0  # seconds any one wait may take, at most
PACE = 0.1  # seconds between two lines of the mock's pull: 26 lines, 2.5 s a pull
WEIGHTS, TEMPLATE = 397_821_319, 1_024  # the bytes of qwen2.5:0.5b's two layers in the mock
SECRET = "s3cret-token-value"
WANTED = "?type=operation.progress&type=operation.completed&type=operation.failed"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    (tmp_path / "data").mkdir(exist_ok=True)
    return make_settings(tmp_path / "data", database_url, jobs=worker_jobs())


@pytest.fixture
async def ollama() -> AsyncIterator[RunningMock[OllamaMock]]:
    async with serve_mock(OllamaMock(pace=PACE)) as running:
        yield running


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[str]:
    """The app on a loopback port (the stream needs a real socket), with its worker."""
    port = free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    await eventually(partial(_started, server), bool, LIMIT)
    try:
        yield f"http://127.0.0.1:{port}/api/v1"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, LIMIT)


async def _started(server: uvicorn.Server) -> bool:
    return server.started


@asynccontextmanager
async def stream_of(api: str) -> AsyncIterator[Listener]:
    async with (
        aiohttp.ClientSession(headers=AUTH) as http,
        http.get(f"{api}/events/stream{WANTED}") as response,
    ):
        assert response.status == 200
        yield Listener(response)


async def call(api: str, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession(headers=AUTH) as http,
        http.request(method, f"{api}{path}", **kwargs) as response,
    ):
        return response.status, await response.json()


async def ollama_integration(api: str, ollama: RunningMock[OllamaMock]) -> str:
    body = {"name": "Ollama", "type": "ollama", "configuration": {"api_url": ollama.api_url}}
    status, created = await call(api, "POST", "/integrations", json=body)
    assert status == 201, created
    integration_id = str(created["data"]["id"])
    status, _ = await call(api, "POST", f"/integrations/{integration_id}/activate")
    assert status == 200
    return integration_id


async def until_finished(stream: Listener) -> list[dict[str, Any]]:
    """The stream's messages up to the operation's end (bounded: each read waits LIMIT)."""
    seen: list[dict[str, Any]] = []
    for _ in range(100):
        seen.append(await stream.next())
        if seen[-1]["event"] != "operation.progress":
            return seen
    raise AssertionError(f"no end among {len(seen)} messages")


async def test_a_pull_run_now_reports_its_progress_on_the_stream_then_ends(
    settings: Settings, ollama: RunningMock[OllamaMock]
) -> None:
    async with serving(settings) as api:
        integration_id = await ollama_integration(api, ollama)
        async with stream_of(api) as stream:
            status, answer = await call(
                api, "POST", f"/integrations/{integration_id}/operations/pull_model",
                json={"parameters": {"model": "qwen2.5:0.5b"}},
                headers={"X-Request-ID": "req-pull-1"},
            )  # fmt: skip
            messages = await until_finished(stream)
            custom = {"model": "terse", "from_model": "qwen2.5:0.5b", "system": "Be terse."}
            await call(
                api, "POST", f"/integrations/{integration_id}/operations/create_model",
                json={"parameters": custom},
            )  # fmt: skip
            created = await until_finished(stream)

    assert status == 200, answer
    operation_id = answer["data"]["operation_id"]
    progress = [m["data"]["data"] for m in messages[:-1]]
    assert [m["event"] for m in messages] == ["operation.progress"] * len(progress) + [
        "operation.completed"
    ]
    assert len(progress) >= 3  # the first report, one a second after, and the last
    whose = {(p["operation_id"], p["integration_id"], p["operation"]) for p in progress}
    assert whose == {(operation_id, integration_id, "pull_model")}
    assert {p["request_id"] for p in progress} == {"req-pull-1"}
    assert progress[0] == progress[0] | {"status": "pulling manifest", "completed": None,
                                         "total": None}  # fmt: skip
    done = [p["completed"] for p in progress if p["completed"] is not None]
    assert done == sorted(done)
    assert len(done) >= 2
    assert (progress[-1]["status"], progress[-1]["completed"], progress[-1]["total"]) == (
        "success",
        WEIGHTS + TEMPLATE,
        WEIGHTS + TEMPLATE,
    )
    assert messages[-1]["data"]["data"]["operation_id"] == operation_id
    steps = [m["data"]["data"]["status"] for m in created[:-1]]  # 4 lines in 0.3 s: 2 reports
    assert steps[0].startswith("using existing layer sha256:")
    assert steps[-1] == "success"
    assert created[-1]["event"] == "operation.completed"


async def test_a_queued_pull_reports_from_the_worker_and_a_silent_action_reports_nothing(
    settings: Settings, ollama: RunningMock[OllamaMock]
) -> None:
    async with serving(settings) as api:
        integration_id = await ollama_integration(api, ollama)
        async with stream_of(api) as stream:
            status, queued = await call(
                api, "POST", f"/integrations/{integration_id}/operations/pull_model",
                json={"async": True, "parameters": {"model": "gemma3:1b"}},
            )  # fmt: skip
            messages = await until_finished(stream)
            _, shown = await call(
                api, "POST", f"/integrations/{integration_id}/operations/show_model",
                json={"parameters": {"model": "gemma3:1b"}},
            )  # fmt: skip
            after_show = await stream.next()
        _, listed = await call(api, "GET", "/events?type=operation.progress&page_size=100")

    assert status == 202, queued
    operation_id = queued["data"]["operation_id"]
    progress = [m["data"]["data"] for m in messages[:-1]]
    assert len(progress) >= 3
    assert {(p["operation_id"], p["request_id"]) for p in progress} == {(operation_id, None)}
    assert progress[-1]["status"] == "success"
    assert messages[-1]["event"] == "operation.completed"
    assert (after_show["event"], after_show["data"]["data"]["operation"]) == (
        "operation.completed",
        "show_model",
    )
    assert shown["data"]["status"] == "completed"
    assert {e["data"]["operation_id"] for e in listed["data"]["items"]} == {operation_id}


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 12, 7, 12, 0, 0, tzinfo=UTC))


async def test_reports_are_thinned_to_one_a_second_and_the_last_is_kept(
    app: FastAPI, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    integration_id = await http_integration(client, "https://example.com")
    workspace_id = data(await client.get("/api/v1/workspaces"))["items"][0]["id"]
    operation = OperationRecord(
        id=new_id("op"), workspace_id=workspace_id, integration_id=integration_id,
        operation="request", status="running", parameters={}, started_at=clock.now(),
        created_by="test",
    )  # fmt: skip
    report = app.state.services.operations.progress.reporter(operation, Scrubber([SECRET]))

    await report("starting", None, None)  # sent: the first
    for seconds, done in ((0.5, 10), (0.4, 50), (0.1, 60), (0.3, 90)):
        clock.advance(seconds)
        await report("moving", done, 100)  # sent only at 1.0 s, a second after the first
    clock.advance(0.1)
    await report(f"done with {SECRET}", 100, 100)  # held back, sent by flush
    await report.flush()
    await report.flush()  # nothing more to send

    events = data(await client.get("/api/v1/events?type=operation.progress"))["items"]
    said = [(e["data"]["status"], e["data"]["completed"]) for e in reversed(events)]
    assert said == [("starting", None), ("moving", 60), ("done with ••••", 100)]
    assert {e["data"]["operation_id"] for e in events} == {operation.id}
    assert {e["timestamp"] for e in events} == {"2026-12-07T12:00:00Z", "2026-12-07T12:00:01Z"}
