"""A real `interlink worker` killed with SIGKILL while an `llm` step asks the model again after
a tool call: after a restart the step completes, the finished tool call was not run again, and
only the chat that was cut is asked again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from aiohttp import web

from interlink.config import JobsSettings, Settings
from interlink.providers.openai.mock import OpenAIMock
from interlink.testing.faults import Fault
from interlink.testing.server import RunningMock, serve_mock
from tests.conftest import data, make_settings
from tests.helpers.integrations import create_active, http_integration
from tests.helpers.polling import eventually
from tests.jobs.workers import start_worker
from tests.transport.conftest import Upstream
from tests.workflows.conftest import create_workflow, execution, finished, step_of

CHAT = "/v1/chat/completions"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    (tmp_path / "data").mkdir(exist_ok=True)
    return make_settings(tmp_path / "data", database_url, jobs=JobsSettings(embedded_worker=False))


@pytest.fixture
async def openai() -> AsyncIterator[RunningMock[OpenAIMock]]:
    async with serve_mock(OpenAIMock()) as running:
        yield running


def _chats(openai: RunningMock[OpenAIMock]) -> int:
    return sum(1 for call in openai.mock.calls.all() if call.path == CHAT)


async def test_a_run_killed_after_a_tool_call_does_not_run_the_tool_again(
    client: httpx.AsyncClient,
    settings: Settings,
    database_url: str,
    openai: RunningMock[OpenAIMock],
    upstream: Upstream,
) -> None:
    def hold_the_next_chat(_: web.Request) -> web.Response:
        openai.mock.faults.add(Fault.latency(60), times=1, path_prefix=CHAT)
        return web.json_response({"noted": True})

    upstream.script(hold_the_next_chat)
    models = await create_active(client, {
        "name": "Models", "type": "openai",
        "configuration": {"api_url": openai.api_url, "auth_method": "api_key"},
        "credentials": {"api_key": OpenAIMock.default_token},
    })  # fmt: skip
    notes = await http_integration(client, upstream.url)
    tool = {"name": "notify", "integration": notes, "action": "request",
            "parameters": {"method": "POST", "path": "/notes", "url": None}}  # fmt: skip
    config = {"integration": models, "model": "gpt-4o-mini", "prompt": "please notify the team",
              "tools": [tool]}  # fmt: skip
    workflow = await create_workflow(client, [{"name": "ask", "type": "llm", "config": config}])

    worker = start_worker(settings.server.data_dir, database_url, "llm-worker")
    try:
        response = await client.post(f"/api/v1/workflows/{workflow['id']}/execute", json={})
        execution_id = str(data(response)["execution_id"])
        await eventually(lambda: asyncio.sleep(0, _chats(openai)), lambda n: n == 2)
        worker.kill()
    finally:
        worker.stop()
    halfway = await execution(client, execution_id)
    restarted = start_worker(settings.server.data_dir, database_url, "llm-worker")
    try:
        ended = await finished(client, execution_id)
    finally:
        assert restarted.stop() == 0

    assert step_of(halfway, "ask")["status"] == "running"
    assert ended["status"] == "completed", ended
    assert [(s["method"], s["path"]) for s in upstream.seen] == [("POST", "/notes")]
    assert _chats(openai) == 3  # the first answer once; the cut one, then asked again
    output = step_of(ended, "ask")["output"]
    assert [call["result"]["body"] for call in output["tool_calls"]] == [{"noted": True}]
    assert output["text"].startswith('The tool answered: {"status": 200')
    assert step_of(ended, "ask")["attempts"] == 1
