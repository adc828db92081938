"""Writing operations with their events and hourly stats, many in one transaction.

An operation is written twice: its intent (the row, status `running`, and `operation.started`)
before its provider is called, so that no call exists without a record, and its outcome (the
row updated, the final event, the call counted) after. Each caller waits until its write is
committed, so an operation answered to a client can be read back at once. Writes that come
while one is under way are made together by the next one (group commit): a busy process makes a
few large transactions instead of one small one per call, which on SQLite, with its single
writer, is what bounds the operations per second.

When the database is unavailable, an intent fails (the caller then does not call its provider)
but an outcome is kept and written again, with backoff, until the database answers: the call
has happened and its result is known. If the process dies first, the row stays `running`
until the sweep (`OperationService.interrupt_overdue`) marks it interrupted.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import structlog

from interlink.core.db import Database
from interlink.core.driver import Write
from interlink.core.outage import DatabaseUnavailable
from interlink.events.service import EventService
from interlink.events.types import EventRecord
from interlink.integrations.operation_record import AnyOperation, row_values
from interlink.integrations.operations_repository import (
    OUTCOME_COLUMNS,
    CallTally,
    count_calls,
    insert_operations,
    save_outcomes,
)
from interlink.transport.retry import RetryPolicy

log = structlog.get_logger(__name__)

MAX_BATCH = 500
_RETRY = RetryPolicy(base_delay=0.5, max_delay=10.0)  # between writes of delayed outcomes


@dataclass
class _Pending:
    operation: AnyOperation
    events: list[EventRecord]
    done: asyncio.Future[None] = field(repr=False)
    intent: bool = False


class OperationRecorder:
    def __init__(self, db: Database, events: EventService) -> None:
        self.db = db
        self.events = events
        self._pending: list[_Pending] = []
        self._writer: asyncio.Task[None] | None = None
        self._delayed: list[_Pending] = []  # outcomes the database refused, written again later
        self._rewriter: asyncio.Task[None] | None = None

    async def record(
        self, operation: AnyOperation, events: list[EventRecord], *, intent: bool = False
    ) -> None:
        """Write `operation` and `events`; return once they are committed.

        `intent`: the operation is about to call its provider: insert its row and count nothing
        yet (raises `DatabaseUnavailable` if the database does not answer). Otherwise its row
        exists (its intent, or its queueing): update it with the outcome and count the call."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append(_Pending(operation, events, done, intent))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_pending())
        # The write goes on if the caller is cancelled: the call to the provider has happened.
        await asyncio.shield(done)

    async def close(self) -> None:
        """Wait for the writes under way, and try the delayed ones once more (at shutdown)."""
        if self._writer is not None:
            await self._writer
        if self._rewriter is not None:
            self._rewriter.cancel()
            await asyncio.gather(self._rewriter, return_exceptions=True)
        if self._delayed and not await self._write_delayed():
            ids = [pending.operation.id for pending in self._delayed]
            log.error("operations_left_running", operation_ids=ids)

    async def _write_pending(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                try:
                    await self._write(batch)
                except DatabaseUnavailable as exc:  # no use trying each alone
                    for one in batch:
                        self._unavailable(one, exc)
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
        except DatabaseUnavailable as exc:
            self._unavailable(pending, exc)
        except Exception as exc:
            log.exception("operation_not_recorded", operation_id=pending.operation.id)
            if not pending.done.done():
                pending.done.set_exception(exc)
        else:
            _settle([pending])

    def _unavailable(self, pending: _Pending, exc: DatabaseUnavailable) -> None:
        """An intent fails (its provider is not called); an outcome is kept for later."""
        if pending.intent:
            pending.done.set_exception(exc)
        else:
            self._delay(pending)

    def _delay(self, pending: _Pending) -> None:
        log.warning("operation_record_delayed", operation_id=pending.operation.id)
        self._delayed.append(pending)
        _settle([pending])  # its caller answers the outcome it has: the call has happened
        if self._rewriter is None:
            self._rewriter = asyncio.create_task(self._rewrite())

    async def _rewrite(self) -> None:
        try:
            attempt = 1
            while not await self._write_delayed():
                await asyncio.sleep(_RETRY.delay(attempt))
                attempt = min(attempt + 1, 32)  # the delay is capped long before
        finally:
            self._rewriter = None

    async def _write_delayed(self) -> bool:
        batch = self._delayed[:MAX_BATCH]
        try:
            await self._write(batch)
        except DatabaseUnavailable:
            return False
        except Exception:
            log.exception("operations_not_recorded", operation_ids=[p.operation.id for p in batch])
        del self._delayed[: len(batch)]
        return not self._delayed

    async def _write(self, batch: list[_Pending]) -> None:
        tallies: dict[tuple[str, object], CallTally] = {}
        for pending in batch:
            if pending.intent:
                continue
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
        updates = [
            {
                "written_id": p.operation.id,
                **{name: getattr(p.operation, name) for name in OUTCOME_COLUMNS},
            }
            for p in batch
            if not p.intent
        ]
        writes: list[Write] = [
            insert_operations([row_values(p.operation) for p in batch if p.intent]),
            save_outcomes(updates),
            count_calls(list(tallies.values())),
        ]
        # The events with their webhook deliveries, in the same transaction.
        await self.events.publish(writes, *(event for p in batch for event in p.events))
        await self.db.write(*writes)


def _settle(batch: list[_Pending]) -> None:
    for pending in batch:
        if not pending.done.done():
            pending.done.set_result(None)
