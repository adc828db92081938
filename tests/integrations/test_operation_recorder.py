"""The recorder writes operations that finish together in one transaction; a record that cannot
be written fails alone, and the others of its group are still written."""

from __future__ import annotations

import asyncio
import dataclasses

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from interlink.core.ids import new_id
from interlink.integrations.models import Operation
from interlink.integrations.operation_record import OperationRecord
from tests.conftest import data
from tests.helpers.integrations import http_integration
from tests.transport.conftest import Upstream

_COLUMNS = (
    "workspace_id", "integration_id", "operation", "status", "parameters", "result", "error",
    "started_at", "completed_at", "duration_ms", "created_by",
)  # fmt: skip


_PATH = {"parameters": {"path": "/things"}}


async def test_a_record_that_fails_does_not_lose_the_others_of_its_group(
    app: FastAPI, client: httpx.AsyncClient, upstream: Upstream
) -> None:
    iid = await http_integration(client, upstream.url)
    run = data(await client.post(f"/api/v1/integrations/{iid}/operations/request", json=_PATH))
    services = app.state.services
    async with services.db.read() as session:
        done = (await session.scalars(select(Operation))).one()
    template = {column: getattr(done, column) for column in _COLUMNS}
    duplicate = Operation(id=run["operation_id"], **template)  # its id is taken
    fresh = [Operation(id=new_id("op"), **template) for _ in range(3)]

    recorder = services.operations.recorder
    intents = await asyncio.gather(
        *[recorder.record(op, [], intent=True) for op in (fresh[0], duplicate, *fresh[1:])],
        return_exceptions=True,
    )
    await asyncio.gather(*[recorder.record(op, []) for op in fresh])  # their outcomes

    assert intents[0] is None
    assert intents[2:] == [None, None]
    assert isinstance(intents[1], Exception)
    async with services.db.read() as session:
        ids = set((await session.scalars(select(Operation.id))).all())
    assert ids == {run["operation_id"], *(op.id for op in fresh)}
    stats = data(await client.get(f"/api/v1/integrations/{iid}"))["stats"]
    assert stats["total_calls"] == 4  # outcomes are counted, intents are not


@pytest.mark.parametrize("count", [1, 40])
async def test_every_record_is_committed_before_record_returns(
    app: FastAPI, client: httpx.AsyncClient, upstream: Upstream, count: int
) -> None:
    iid = await http_integration(client, upstream.url)
    await client.post(f"/api/v1/integrations/{iid}/operations/request", json=_PATH)
    services = app.state.services
    async with services.db.read() as session:
        done = (await session.scalars(select(Operation))).one()
    template = {column: getattr(done, column) for column in _COLUMNS}
    batch = [Operation(id=new_id("op"), **template) for _ in range(count)]

    recorder = services.operations.recorder
    await asyncio.gather(*[recorder.record(op, [], intent=True) for op in batch])

    async with services.db.read() as session:
        stored = set((await session.scalars(select(Operation.id))).all())
    assert {op.id for op in batch} <= stored


def test_an_operation_record_holds_every_column_of_an_operation_row() -> None:
    fields = {f.name for f in dataclasses.fields(OperationRecord)}

    assert fields == set(Operation.__table__.columns.keys())
