"""`interlink worker` with a metrics port: the worker that ran the work reports it."""

from __future__ import annotations

import socket
from pathlib import Path

import aiohttp

from interlink.app import create_app
from tests.conftest import ADMIN_KEY, client_for, data, make_settings
from tests.helpers.polling import eventually
from tests.jobs.workers import start_worker
from tests.metrics.conftest import Scrape


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def _scrape(url: str) -> Scrape:
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        assert answer.status == 200
        return Scrape(await answer.text())


async def test_a_worker_process_serves_what_it_ran(tmp_path: Path, database_url: str) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(exist_ok=True)
    api = create_app(make_settings(data_dir, database_url))  # no worker of its own
    port = _free_port()
    async with api.router.lifespan_context(api), client_for(api, ADMIN_KEY) as client:
        steps = [{"name": "one", "type": "set", "config": {"values": {"a": 1}}}]
        workflow = data(
            await client.post(
                "/api/v1/workflows", json={"name": "W", "definition": {"steps": steps}}
            )
        )
        queued = await client.post(f"/api/v1/workflows/{workflow['id']}/execute", json={})
        assert queued.status_code == 202, queued.text
        api_side = Scrape((await client.get("/metrics")).text)
        assert api_side.value("interlink_queue_depth", queue="interlink-workflows") == 1

        worker = start_worker(
            data_dir,
            database_url,
            "worker-metrics",
            extra_env={"INTERLINK_METRICS_PORT": str(port)},
        )
        try:
            found = await eventually(
                lambda: _scrape(f"http://127.0.0.1:{port}/metrics"),
                lambda s: s.value("interlink_workflow_executions_total", status="completed") == 1,
            )
        finally:
            assert worker.stop() == 0

    assert found.value("interlink_workflow_executions_total", status="started") == 1
    assert found.value("interlink_queue_depth", queue="interlink-workflows", state="queued") == 0
    assert found.value("interlink_http_requests_total") == 0  # a worker answers no API requests
