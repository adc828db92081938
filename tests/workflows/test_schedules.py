"""Schedule triggers, on a FrozenClock: each fire time starts one execution, and a schedule never
fires for times before its workflow existed, before its trigger was set, or while it was off."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from interlink.config import Settings
from interlink.core.clock import FrozenClock
from tests.conftest import data, make_settings
from tests.jobs.conftest import worker_jobs
from tests.workflows.conftest import create_workflow, executions_of

NEVER = "0 0 0 1 1 *"  # the worker's own sweep never runs during a test: the tests call it
EVERY_MINUTE = {"type": "schedule", "cron": "* * * * *"}
SET = [{"name": "tick", "type": "set", "config": {"values": {"ok": True}}}]


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 12, 3, 7, 58, 30, tzinfo=UTC))


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    (tmp_path / "data").mkdir(exist_ok=True)
    jobs = worker_jobs(workflow_schedule_cron=NEVER)
    return make_settings(tmp_path / "data", database_url, jobs=jobs)


def _at(hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 12, 3, hour, minute, second, tzinfo=UTC)


async def _fire(app: FastAPI, moment: datetime) -> int:
    started: int = await app.state.services.scheduler.fire_due(moment)
    return started


async def test_a_schedule_trigger_starts_once_per_fire_time(
    app: FastAPI, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    clock.advance(-3600)  # 06:58:30 UTC: 07:58 in Paris
    workflow = await create_workflow(
        client,
        SET,
        triggers=[
            {"type": "schedule", "cron": "0 9 * * *", "timezone": "Europe/Paris", "input": {"a": 1}}
        ],
    )

    first = await _fire(app, _at(8, 1))  # 09:01 in Paris
    again = await _fire(app, _at(8, 2))
    none = await _fire(app, _at(12, 0))

    assert (first, again, none) == (1, 0, 0)
    items = await executions_of(client, workflow["id"])
    assert [(i["trigger"], i["input"]) for i in items] == [("schedule", {"a": 1})]


async def test_a_new_schedule_does_not_fire_for_times_before_its_workflow(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    workflow = await create_workflow(client, SET, triggers=[EVERY_MINUTE])  # at 07:58:30

    started = await _fire(app, _at(7, 59))

    assert started == 1  # 07:59 only, not 07:55-07:58
    assert len(await executions_of(client, workflow["id"])) == 1
    assert workflow["triggers"] == [{**EVERY_MINUTE, "timezone": "UTC", "input": {}}]


async def test_a_re_enabled_schedule_does_not_fire_for_times_while_it_was_off(
    app: FastAPI, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    workflow = await create_workflow(client, SET, triggers=[EVERY_MINUTE])
    path = f"/api/v1/workflows/{workflow['id']}"
    assert await _fire(app, _at(7, 59)) == 1
    clock.advance(60)  # 07:59:30
    await client.patch(path, json={"enabled": False})
    clock.advance(180)  # 08:02:30
    response = await client.patch(path, json={"enabled": True})

    started = await _fire(app, _at(8, 3))

    assert started == 1  # 08:03 only, not 08:00-08:02 when it was off
    assert data(response)["triggers"] == [{**EVERY_MINUTE, "timezone": "UTC", "input": {}}]


async def test_a_changed_trigger_fires_from_its_change_and_a_rename_keeps_the_times_due(
    app: FastAPI, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    workflow = await create_workflow(client, SET, triggers=[EVERY_MINUTE])
    path = f"/api/v1/workflows/{workflow['id']}"
    clock.advance(60)  # 07:59:30: renamed after 07:59 fell due, before any worker looked
    await client.patch(path, json={"name": "Renamed"})
    assert await _fire(app, _at(8, 0)) == 2  # 07:59 and 08:00: a rename changes no trigger
    clock.advance(180)  # 08:02:30
    every_two = {"type": "schedule", "cron": "*/2 * * * *"}
    await client.patch(path, json={"triggers": [every_two]})

    started = await _fire(app, _at(8, 4))

    assert started == 1  # 08:04 only: 08:02 was before the trigger was set
