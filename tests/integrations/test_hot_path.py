"""The operation hot path: keys, integrations and credentials kept in memory, and operations
written in groups. What a user sees must not change: every operation recorded, changes made
through the API applied at once, changes made by another process applied within the cache time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from interlink.app import create_app
from interlink.auth.models import ApiKey
from interlink.config import Settings
from interlink.core.clock import FrozenClock
from interlink.core.db import Database
from interlink.integrations.models import Integration
from tests.conftest import ADMIN_KEY, client_for, data, error
from tests.helpers.integrations import http_integration
from tests.transport.conftest import Upstream


async def _run(client: httpx.AsyncClient, iid: str) -> httpx.Response:
    return await client.post(
        f"/api/v1/integrations/{iid}/operations/request",
        json={"parameters": {"method": "GET", "path": "/things"}},
    )


async def test_operations_finishing_together_are_all_recorded_with_stats_and_events(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    iid = await http_integration(client, upstream.url)

    runs = await asyncio.gather(*[_run(client, iid) for _ in range(25)])

    ids = {data(r)["operation_id"] for r in runs}
    assert len(ids) == 25
    for operation_id in ids:  # each is readable as soon as it was answered
        found = await client.get(f"/api/v1/integrations/{iid}/operations/request/{operation_id}")
        assert data(found)["status"] == "completed"
    history = data(await client.get(f"/api/v1/integrations/{iid}/operations/history?page_size=100"))
    assert history["pagination"]["total_items"] == 25
    assert data(await client.get(f"/api/v1/integrations/{iid}"))["stats"]["total_calls"] == 25
    events = data(await client.get(f"/api/v1/events?integration_id={iid}&page_size=100"))
    kinds = [e["event"] for e in events["items"] if e["event"].startswith("operation.")]
    assert sorted(kinds) == sorted(["operation.started", "operation.completed"] * 25)


async def test_a_deactivated_integration_refuses_the_next_operation_at_once(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    iid = await http_integration(client, upstream.url)
    assert data(await _run(client, iid))["status"] == "completed"

    await client.post(f"/api/v1/integrations/{iid}/deactivate")
    refused = await _run(client, iid)

    assert refused.status_code == 409
    assert error(refused)["code"] == "CONFLICT"
    assert len(upstream.seen) == 1


async def test_new_credentials_are_used_by_the_next_operation(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    iid = await http_integration(client, upstream.url, credentials={"api_key": "old-key"})
    await _run(client, iid)

    replaced = await client.put(
        f"/api/v1/integrations/{iid}/credentials", json={"credentials": {"api_key": "new-key"}}
    )
    assert replaced.status_code == 200
    await _run(client, iid)

    assert [s["headers"]["Authorization"] for s in upstream.seen] == [
        "Bearer old-key",
        "Bearer new-key",
    ]


async def test_a_revoked_key_is_refused_at_once(app: FastAPI, client: httpx.AsyncClient) -> None:
    created = data(
        await client.post("/api/v1/api-keys", json={"name": "short", "scopes": ["admin"]})
    )
    async with client_for(app, created["key"]) as holder:
        assert (await holder.get("/api/v1/integrations")).status_code == 200

        revoked = await client.delete(f"/api/v1/api-keys/{created['id']}")
        assert revoked.status_code in {200, 204}

        refused = await holder.get("/api/v1/integrations")
        assert refused.status_code == 401
        assert "revoked" in error(refused)["message"]


class TestAChangeByAnotherProcess:
    """Another process shares the database but not this process's memory: its changes are seen
    once the snapshots expire (`INTERLINK_DATABASE_CACHE_SECONDS`)."""

    @pytest.fixture
    def clock(self) -> FrozenClock:
        return FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))

    @pytest.fixture
    async def frozen_app(
        self, settings: Settings, clock: FrozenClock
    ) -> AsyncIterator[tuple[FastAPI, Database]]:
        cached = settings.model_copy(
            update={"db": settings.db.model_copy(update={"cache_seconds": 5.0})}
        )
        application = create_app(cached, clock=clock)
        other = Database(cached.database_url, pool_size=1)
        async with application.router.lifespan_context(application):
            yield application, other
        await other.dispose()

    async def _write_elsewhere(self, other: Database, statement: Any) -> None:
        async with other.transaction() as session:
            await session.execute(statement)

    async def test_a_deactivation_applies_when_the_snapshot_expires(
        self,
        frozen_app: tuple[FastAPI, Database],
        clock: FrozenClock,
        upstream: Upstream,
    ) -> None:
        application, other = frozen_app
        async with client_for(application, ADMIN_KEY) as client:
            iid = await http_integration(client, upstream.url)
            assert (await _run(client, iid)).status_code == 200

            await self._write_elsewhere(
                other, update(Integration).where(Integration.id == iid).values(status="inactive")
            )
            assert (await _run(client, iid)).status_code == 200  # still within 5 s
            clock.advance(5)
            refused = await _run(client, iid)

        assert refused.status_code == 409
        assert len(upstream.seen) == 2

    async def test_a_key_revoked_elsewhere_is_refused_when_the_snapshot_expires(
        self, frozen_app: tuple[FastAPI, Database], clock: FrozenClock
    ) -> None:
        application, other = frozen_app
        async with client_for(application, ADMIN_KEY) as client:
            created = data(
                await client.post("/api/v1/api-keys", json={"name": "k", "scopes": ["admin"]})
            )
        async with client_for(application, created["key"]) as holder:
            assert (await holder.get("/api/v1/integrations")).status_code == 200
            await self._write_elsewhere(
                other,
                update(ApiKey).where(ApiKey.id == created["id"]).values(revoked_at=clock.now()),
            )
            clock.advance(5)
            refused = await holder.get("/api/v1/integrations")

        assert refused.status_code == 401
