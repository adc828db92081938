"""A real `interlink worker` killed with SIGKILL in the middle of a step: after a restart the
execution completes, the steps completed before ran once, and the killed step's side effect is
seen once by the mock, which dedupes by the step's idempotency key."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from interlink.config import JobsSettings, Settings
from interlink.core.clock import Clock, SystemClock
from tests.conftest import data, make_settings
from tests.helpers.servers import serve_app
from tests.jobs.workers import start_worker
from tests.workflows.conftest import create_workflow, execution, finished, step_of

HOLD_LIMIT = 60.0


@dataclass
class DedupingMock:
    """Records every request; a side effect happens once per Idempotency-Key. Holds the first
    request to /two until `release` (at most HOLD_LIMIT s); refuses the first request to each
    path of `refuse_once` with a 400."""

    base: str = ""
    seen: list[tuple[str, str]] = field(default_factory=list)  # (path, idempotency key)
    effects: dict[str, str] = field(default_factory=dict)  # key -> path
    in_hand: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    refuse_once: set[str] = field(default_factory=set)

    async def handle(self, request: web.Request) -> web.Response:
        key = request.headers.get("Idempotency-Key", "")
        self.seen.append((request.path, key))
        if request.path in self.refuse_once:
            self.refuse_once.discard(request.path)
            return web.json_response({"message": "not yet"}, status=400)
        if request.path == "/two" and not self.in_hand.is_set():
            self.in_hand.set()
            await asyncio.wait_for(self.release.wait(), HOLD_LIMIT)
        self.effects.setdefault(key, request.path)
        return web.json_response({"path": request.path})


@pytest.fixture
async def mock() -> AsyncIterator[DedupingMock]:
    found = DedupingMock()
    application = web.Application()
    application.router.add_post("/{tail:.*}", found.handle)
    async with serve_app(application) as url:
        found.base = url
        yield found
        found.release.set()


@pytest.fixture
def clock() -> Clock:
    return SystemClock()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    (tmp_path / "data").mkdir(exist_ok=True)
    return make_settings(tmp_path / "data", database_url, jobs=JobsSettings(embedded_worker=False))


async def _execute_and_kill_in_two(
    client: httpx.AsyncClient,
    workflow_id: str,
    settings: Settings,
    database_url: str,
    mock: DedupingMock,
) -> str:
    """Execute the workflow on a real worker and SIGKILL it while the mock holds /two."""
    worker = start_worker(settings.server.data_dir, database_url, "wf-worker")
    try:
        response = await client.post(f"/api/v1/workflows/{workflow_id}/execute", json={"input": {}})
        execution_id = str(data(response)["execution_id"])
        await asyncio.wait_for(mock.in_hand.wait(), 30)
        worker.kill()
    finally:
        worker.stop()
    mock.release.set()
    return execution_id


async def _restart_until_finished(
    client: httpx.AsyncClient, execution_id: str, settings: Settings, database_url: str
) -> dict[str, Any]:
    restarted = start_worker(settings.server.data_dir, database_url, "wf-worker")
    try:
        return await finished(client, execution_id)
    finally:
        assert restarted.stop() == 0


async def test_a_step_cut_by_sigkill_resumes_after_restart_and_acts_once(
    client: httpx.AsyncClient, settings: Settings, database_url: str, mock: DedupingMock
) -> None:
    workflow = await create_workflow(
        client,
        [
            {
                "name": name,
                "type": "http_request",
                "config": {"method": "POST", "url": f"{mock.base}/{name}"},
            }
            for name in ("one", "two", "three")
        ],
    )
    execution_id = await _execute_and_kill_in_two(
        client, workflow["id"], settings, database_url, mock
    )
    halfway = await execution(client, execution_id)
    assert halfway["status"] == "running"
    assert step_of(halfway, "one")["status"] == "completed"
    assert step_of(halfway, "two")["status"] == "running"

    ended = await _restart_until_finished(client, execution_id, settings, database_url)

    assert ended["status"] == "completed", ended
    paths = [path for path, _ in mock.seen]
    assert paths.count("/one") == 1
    assert paths.count("/two") == 2
    assert paths.count("/three") == 1
    two_keys = {key for path, key in mock.seen if path == "/two"}
    assert two_keys == {f"{execution_id}:two"}
    assert sorted(mock.effects.values()) == ["/one", "/three", "/two"]
    assert [s["attempts"] for s in ended["steps"]] == [1, 1, 1]


async def test_a_run_killed_after_a_retry_and_a_wait_replays_them_and_acts_once(
    client: httpx.AsyncClient, settings: Settings, database_url: str, mock: DedupingMock
) -> None:
    """Before the killed step, a step failed once, waited (a durable receive) and passed on its
    second attempt: the resumed run replays that history from its checkpoints and DBOS's, in
    the same order, instead of calling again."""
    mock.refuse_once = {"/one"}
    workflow = await create_workflow(
        client,
        [
            {
                "name": "one",
                "type": "http_request",
                "config": {"method": "POST", "url": f"{mock.base}/one"},
                "retry": {"max_attempts": 2, "backoff_seconds": 0.2},
            },
            {"name": "pause", "type": "delay", "config": {"seconds": 0.2}},
            {
                "name": "two",
                "type": "http_request",
                "config": {"method": "POST", "url": f"{mock.base}/two"},
            },
        ],
    )
    execution_id = await _execute_and_kill_in_two(
        client, workflow["id"], settings, database_url, mock
    )

    ended = await _restart_until_finished(client, execution_id, settings, database_url)

    assert ended["status"] == "completed", ended
    paths = [path for path, _ in mock.seen]
    assert paths.count("/one") == 2  # the refused attempt and the one that passed, not again
    assert paths.count("/two") == 2  # cut by the kill, then run again with the same key
    assert {key for path, key in mock.seen if path == "/two"} == {f"{execution_id}:two"}
    assert [(s["name"], s["status"], s["attempts"]) for s in ended["steps"]] == [
        ("one", "completed", 2),
        ("pause", "completed", 1),
        ("two", "completed", 1),
    ]
