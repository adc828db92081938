"""Schedules on the embedded worker: health checks of active integrations when due, and the
cleanup of finished workflow records past retention. Time is a FrozenClock; the schedules are
triggered by hand (their cron is set to never fire during a test)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from interlink.config import Settings
from interlink.core.clock import FrozenClock
from interlink.core.ids import new_id
from interlink.integrations.durable import HEALTH_SWEEP, INTERRUPTED_SWEEP
from interlink.integrations.models import Integration
from interlink.integrations.operation_record import OperationRecord
from interlink.jobs import Jobs
from interlink.jobs.cleanup import Retention
from tests.conftest import data, make_settings
from tests.helpers.integrations import http_integration
from tests.helpers.polling import eventually
from tests.jobs.conftest import worker_jobs
from tests.transport.conftest import Upstream, status

NEVER = "0 0 0 1 1 *"  # once a year: the tests trigger schedules themselves


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime.now(UTC))


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    (tmp_path / "data").mkdir(exist_ok=True)
    jobs = worker_jobs(health_sweep_cron=NEVER, cleanup_cron=NEVER, retention_hours=24)
    return make_settings(tmp_path / "data", database_url, jobs=jobs)


def _jobs(app: FastAPI) -> Jobs:
    jobs: Jobs = app.state.services.jobs
    return jobs


async def _sweep(app: FastAPI) -> None:
    jobs = _jobs(app)
    await jobs.wait(await jobs.trigger(HEALTH_SWEEP))


async def _health(client: httpx.AsyncClient, iid: str) -> dict[str, Any]:
    found: dict[str, Any] = data(await client.get(f"/api/v1/integrations/{iid}"))["health"]
    return found


async def _health_events(client: httpx.AsyncClient, iid: str) -> list[dict[str, Any]]:
    query = f"/api/v1/events?integration_id={iid}&type=integration.health_changed"
    items: list[dict[str, Any]] = data(await client.get(query))["items"]
    return items


async def test_due_integrations_are_checked_and_a_change_writes_an_event(
    app: FastAPI, client: httpx.AsyncClient, upstream: Upstream, clock: FrozenClock
) -> None:
    iid = await http_integration(client, upstream.url, health_check_interval_seconds=60)

    await _sweep(app)  # never checked: due
    healthy = await eventually(lambda: _health(client, iid), lambda h: h["status"] != "unknown")
    assert healthy["status"] == "healthy"
    [changed] = await _health_events(client, iid)
    assert changed["data"]["previous_status"] == "unknown"
    assert changed["data"]["status"] == "healthy"

    upstream.script(*[status(503)] * 10)
    clock.advance(30)
    await _sweep(app)  # checked 30 s ago, every 60 s: not due
    assert len(upstream.seen) == 1
    clock.advance(31)
    await _sweep(app)
    unhealthy = await eventually(lambda: _health(client, iid), lambda h: h["status"] != "healthy")
    assert unhealthy["status"] == "unhealthy"
    events = await _health_events(client, iid)
    assert [e["data"]["status"] for e in events] == ["unhealthy", "healthy"]


async def test_inactive_integrations_are_not_checked(
    app: FastAPI, client: httpx.AsyncClient, upstream: Upstream
) -> None:
    iid = await http_integration(client, upstream.url)
    await client.post(f"/api/v1/integrations/{iid}/deactivate")

    await _sweep(app)

    assert upstream.seen == []
    assert (await _health(client, iid))["status"] == "unknown"


async def test_cleanup_deletes_finished_workflows_past_retention_only(
    app: FastAPI, client: httpx.AsyncClient, upstream: Upstream, clock: FrozenClock
) -> None:
    iid = await http_integration(client, upstream.url)
    response = await client.post(
        f"/api/v1/integrations/{iid}/operations/request",
        json={"async": True, "parameters": {"path": "/x"}},
    )
    op_id = data(response)["operation_id"]
    jobs = _jobs(app)
    assert await eventually(lambda: jobs.status(op_id), lambda s: s == "SUCCESS")

    assert await Retention(jobs, clock, jobs.settings).run() == 0  # finished just now: kept
    clock.advance(25 * 3600)
    await jobs.wait(await jobs.trigger("interlink-cleanup"))

    assert await jobs.status(op_id) is None
    operation = data(await client.get(f"/api/v1/integrations/{iid}/operations/request/{op_id}"))
    assert operation["status"] == "completed"  # our record of the operation stays


async def test_the_interrupted_sweep_records_calls_left_running_past_their_deadline(
    app: FastAPI, client: httpx.AsyncClient, upstream: Upstream, clock: FrozenClock
) -> None:
    """What a killed process leaves: an intent written, no outcome (its call never returns)."""
    iid = await http_integration(client, upstream.url)
    async with app.state.services.db.read() as session:
        query = select(Integration.workspace_id).where(Integration.id == iid)
        workspace_id = (await session.scalars(query)).one()
    operation = OperationRecord(
        id=new_id("op"), workspace_id=workspace_id, integration_id=iid, operation="request",
        status="running", parameters={}, started_at=clock.now(), created_by="test",
        deadline_at=clock.now() + timedelta(seconds=900),
    )  # fmt: skip
    await app.state.services.operations.recorder.record(operation, [], intent=True)

    await _jobs(app).wait(await _jobs(app).trigger(INTERRUPTED_SWEEP))
    path = f"/api/v1/integrations/{iid}/operations/request/{operation.id}"
    assert data(await client.get(path))["status"] == "running"  # its deadline is not past
    clock.advance(901)
    await _jobs(app).wait(await _jobs(app).trigger(INTERRUPTED_SWEEP))

    swept = data(await client.get(path))
    assert swept["status"] == "failed"
    assert swept["error"]["code"] == "OPERATION_INTERRUPTED"
