"""Writing finished operations with their events and hourly stats, many in one transaction.

Each caller waits until its operation is committed, so an operation answered to a client can be
read back at once. Operations that finish while a write is under way are written together by the
next one (group commit): a busy process makes a few large transactions instead of one small one
per call, which on SQLite, with its single writer, is what bounds the operations per second.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol

import structlog
from sqlalchemy import Connection, bindparam, insert, update

from interlink.core.db import Base, Database, Prepared
from interlink.events.service import EventRow, EventService
from interlink.integrations.models import IntegrationStatsHour, Operation
from interlink.integrations.operation_record import AnyOperation, row_values
from interlink.integrations.operations_repository import CallTally, upsert_calls

log = structlog.get_logger(__name__)

MAX_BATCH = 500
_OPERATIONS = Base.metadata.tables[Operation.__tablename__]
_INSERT_OPERATION = Prepared(insert(_OPERATIONS))
# A queued (async) operation's row exists already: it is updated, keyed by `queued_id`.
_UPDATE_OPERATION = update(_OPERATIONS).where(_OPERATIONS.c.id == bindparam("queued_id"))
_WRITTEN = {Operation.__tablename__, "events", IntegrationStatsHour.__tablename__}


@cache
def _upsert_calls(dialect_name: str) -> Prepared:
    return Prepared(upsert_calls(dialect_name))


class EventFanout(Protocol):
    """Writes the webhook deliveries of events in the transaction that writes the events."""

    def write(self, connection: Connection, events: list[dict[str, Any]]) -> int: ...

    def written(self) -> None: ...


@dataclass
class _Pending:
    operation: AnyOperation
    events: list[EventRow]
    done: asyncio.Future[None] = field(repr=False)
    queued: bool = False


class OperationRecorder:
    def __init__(self, db: Database, events: EventService) -> None:
        self.db = db
        self.events = events
        self._pending: list[_Pending] = []
        self._writer: asyncio.Task[None] | None = None
        self.fanout: EventFanout | None = None  # set by whoever owns the webhooks

    async def record(
        self, operation: AnyOperation, events: list[EventRow], *, queued: bool = False
    ) -> None:
        """Write `operation` and `events` and count the call; return once they are committed.

        `queued`: the operation's row was written when it was queued; update it."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append(_Pending(operation, events, done, queued))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_pending())
        # The write goes on if the caller is cancelled: the call to the provider has happened.
        await asyncio.shield(done)

    async def close(self) -> None:
        """Wait for the writes under way (at shutdown)."""
        if self._writer is not None:
            await self._writer

    async def _write_pending(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                try:
                    await self._write(batch)
                except Exception:
                    # One bad record must not lose the others: write each on its own.
                    for one in batch:
                        await self._write_alone(one)
                else:
                    _settle(batch)
        finally:
            self._writer = None

    async def _write_alone(self, pending: _Pending) -> None:
        try:
            await self._write([pending])
        except Exception as exc:
            log.exception("operation_not_recorded", operation_id=pending.operation.id)
            if not pending.done.done():
                pending.done.set_exception(exc)
        else:
            _settle([pending])

    async def _write(self, batch: list[_Pending]) -> None:
        tallies: dict[tuple[str, object], CallTally] = {}
        for pending in batch:
            operation = pending.operation
            hour = CallTally.hour_of(operation.started_at)
            tally = tallies.get((operation.integration_id, hour))
            if tally is None:
                tally = tallies[(operation.integration_id, hour)] = CallTally(
                    operation.integration_id, hour
                )
            tally.count(
                operation.started_at, operation.duration_ms or 0, operation.status == "failed"
            )
        operations = [row_values(p.operation) for p in batch if not p.queued]
        updates = [
            {"queued_id": p.operation.id, **row_values(p.operation)} for p in batch if p.queued
        ]
        events = [event for p in batch for event in p.events]
        calls = [vars(tally).copy() for tally in tallies.values()]  # asdict deep-copies each value
        fanout = self.fanout

        def write(connection: Connection) -> int:
            _INSERT_OPERATION.run(connection, operations)
            if updates:
                connection.execute(_UPDATE_OPERATION, updates)
            self.events.insert(connection, events)
            _upsert_calls(connection.dialect.name).run(connection, calls)
            return fanout.write(connection, events) if fanout and events else 0

        if await self.db.run_write(write, tables=_WRITTEN) and fanout is not None:
            fanout.written()


def _settle(batch: list[_Pending]) -> None:
    for pending in batch:
        if not pending.done.done():
            pending.done.set_result(None)
