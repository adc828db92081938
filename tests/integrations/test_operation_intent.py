"""No provider call without a record: an operation's row is written before its provider is
called, nothing is called when that write fails, an outcome the database refused is written
once it answers again, and a call whose process died is recorded as interrupted."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from fastapi import FastAPI

from interlink.app import create_app
from interlink.config import Settings
from interlink.core.clock import FrozenClock
from tests.conftest import (
    ADMIN_KEY,
    PG_URL,
    client_for,
    data,
    error,
    log_lines,
    make_settings,
    reset_postgres,
)
from tests.db_proxy import CuttableProxy, cuttable
from tests.helpers.integrations import http_integration
from tests.helpers.polling import eventually
from tests.transport.conftest import Upstream

_PATH = {"parameters": {"path": "/things"}}


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime.now(UTC))


async def _history(client: httpx.AsyncClient, iid: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = data(
        await client.get(f"/api/v1/integrations/{iid}/operations/history")
    )["items"]
    return items


async def _event_types(client: httpx.AsyncClient, iid: str) -> list[str]:
    items = data(await client.get(f"/api/v1/events?integration_id={iid}&sort_order=asc"))["items"]
    return [item["event"] for item in items]


async def test_the_operation_is_recorded_running_while_its_provider_is_called(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    iid = await http_integration(client, upstream.url)
    during: list[list[dict[str, Any]]] = []

    async def look_at_the_record(_: web.Request) -> web.Response:
        during.append(await _history(client, iid))
        return web.json_response({"ok": True})

    upstream.script(look_at_the_record)
    run = data(await client.post(f"/api/v1/integrations/{iid}/operations/request", json=_PATH))

    [[seen]] = during
    assert seen["operation_id"] == run["operation_id"]
    assert seen["status"] == "running"
    [after] = await _history(client, iid)
    assert after["status"] == "completed"
    assert (await _event_types(client, iid))[-2:] == ["operation.started", "operation.completed"]


@pytest.fixture
async def proxy() -> AsyncIterator[CuttableProxy]:
    if not PG_URL:
        pytest.skip("INTERLINK_TEST_DATABASE_URL is not set: the PostgreSQL outage is skipped")
    await reset_postgres(PG_URL)
    async with cuttable(PG_URL) as made:
        yield made


@pytest.fixture
async def app_behind_proxy(
    tmp_path: Path, proxy: CuttableProxy, clock: FrozenClock
) -> AsyncIterator[FastAPI]:
    (tmp_path / "data").mkdir(exist_ok=True)
    settings: Settings = make_settings(tmp_path / "data", proxy.url)
    application = create_app(settings, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.mark.postgres
async def test_with_the_database_down_nothing_is_called_and_the_answer_is_503(
    app_behind_proxy: FastAPI, proxy: CuttableProxy, upstream: Upstream, log_output: io.StringIO
) -> None:
    async with client_for(app_behind_proxy, ADMIN_KEY) as client:
        iid = await http_integration(client, upstream.url)
        data(await client.post(f"/api/v1/integrations/{iid}/operations/request", json=_PATH))
        calls_before = len(upstream.seen)

        proxy.cut()
        answers = [
            await client.post(f"/api/v1/integrations/{iid}/operations/request", json=_PATH)
            for _ in range(3)
        ]
        listed = await client.get("/api/v1/integrations")
        proxy.restore()
        again = await client.post(f"/api/v1/integrations/{iid}/operations/request", json=_PATH)

        for answer in [*answers, listed]:
            assert answer.status_code == 503, answer.text
            assert error(answer)["code"] == "SERVICE_UNAVAILABLE"
            assert int(answer.headers["Retry-After"]) > 0
        assert len(upstream.seen) == calls_before + 1  # only the call after the restore
        assert again.status_code == 200, again.text
        assert len(await _history(client, iid)) == 2
    logged = [line["event"] for line in log_lines(log_output)]
    assert logged.count("database_unavailable") == 1
    assert logged.count("database_available") == 1
    assert "unhandled_error" not in logged


@pytest.mark.postgres
async def test_an_outcome_the_database_refused_is_written_when_it_answers_again(
    app_behind_proxy: FastAPI, proxy: CuttableProxy, upstream: Upstream
) -> None:
    async with client_for(app_behind_proxy, ADMIN_KEY) as client:
        iid = await http_integration(client, upstream.url)

        async def cut_during_the_call(_: web.Request) -> web.Response:
            proxy.cut()
            return web.json_response({"answer": 42})

        upstream.script(cut_during_the_call)
        answer = await client.post(f"/api/v1/integrations/{iid}/operations/request", json=_PATH)
        assert answer.status_code == 200, answer.text  # the call happened: its outcome, not a 5xx
        assert data(answer)["result"]["body"] == {"answer": 42}
        proxy.restore()

        [recorded] = await eventually(
            lambda: _history(client, iid), lambda items: items[0]["status"] != "running"
        )
        assert recorded["status"] == "completed"
        assert recorded["operation_id"] == data(answer)["operation_id"]


async def _hanging_call(
    client: httpx.AsyncClient, upstream: Upstream, iid: str
) -> tuple[asyncio.Task[httpx.Response], asyncio.Event]:
    """An operation whose provider call is under way and does not answer until the returned
    event is set (when the test ends, so the upstream can stop)."""
    reached, released = asyncio.Event(), asyncio.Event()

    async def hang(_: web.Request) -> web.Response:
        reached.set()
        await released.wait()
        return web.json_response({"late": True})

    upstream.script(hang)
    call = asyncio.create_task(
        client.post(f"/api/v1/integrations/{iid}/operations/request", json=_PATH)
    )
    await asyncio.wait_for(reached.wait(), 10)
    return call, released


async def test_a_call_cut_off_by_its_caller_is_recorded_interrupted(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    iid = await http_integration(client, upstream.url)
    call, released = await _hanging_call(client, upstream, iid)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    released.set()

    [recorded] = await _history(client, iid)
    assert recorded["status"] == "failed"
    assert recorded["error"]["code"] == "OPERATION_INTERRUPTED"
    assert (await _event_types(client, iid))[-1] == "operation.failed"


async def test_a_call_still_running_past_its_deadline_is_swept_as_interrupted(
    app: FastAPI, client: httpx.AsyncClient, upstream: Upstream, clock: FrozenClock
) -> None:
    """The process that made the call is gone (here: the call hangs and the clock is past its
    deadline, which is what the sweep sees of a process killed during the call)."""
    iid = await http_integration(client, upstream.url)
    call, released = await _hanging_call(client, upstream, iid)
    operations = app.state.services.operations
    assert await operations.interrupt_overdue() == 0  # not yet past its deadline
    [running] = await _history(client, iid)
    assert running["status"] == "running"

    clock.advance(operations.transport_settings.interrupted_after_seconds + 1)
    # Not yet either: one call of this integration (attempts, waits) may last longer than that.
    assert await operations.interrupt_overdue() == 0
    clock.advance(3600)
    assert await operations.interrupt_overdue() == 1

    [swept] = await _history(client, iid)
    assert swept["status"] == "failed"
    assert swept["error"]["code"] == "OPERATION_INTERRUPTED"
    failed = data(await client.get(f"/api/v1/events?integration_id={iid}&type=operation.failed"))
    assert [e["data"]["error_code"] for e in failed["items"]] == ["OPERATION_INTERRUPTED"]
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    released.set()
