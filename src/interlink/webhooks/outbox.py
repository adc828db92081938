"""The outbox: an event's deliveries, one per subscribed endpoint, are written in the unit of
work that writes the event (`EventService.publish` stages them here), so an event is delivered
if and only if it is committed.

The subscriptions of a workspace (its enabled endpoints and their event types) are kept in a
snapshot, emptied when this process commits a change to `webhook_endpoints`, so a workspace
without endpoints costs no statement at all on the hot path. A transaction that has changed
endpoints itself reads them in the transaction instead (the snapshot learns of the change only
at its commit).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from interlink.core.clock import Clock
from interlink.core.db import Database, UnitOfWork, tables_written
from interlink.core.ids import new_id
from interlink.core.snapshots import SnapshotCache
from interlink.events.types import EventRecord, envelope
from interlink.webhooks.models import WebhookDelivery, WebhookEndpoint
from interlink.webhooks.repository import Subscription, WebhookRepository, add_deliveries

_ENDPOINTS = WebhookEndpoint.__tablename__


def body_of(event_id: str, event_type: str, created_at: datetime, data: Any) -> str:
    """The delivery body: `{"id", "event", "timestamp", "data"}`, fixed for every attempt."""
    document = envelope(event_id, event_type, created_at, data)
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def delivery_values(
    event: EventRecord, endpoint_id: str, now: datetime, *, body: str | None = None
) -> dict[str, Any]:
    """A new delivery row of `event` for one endpoint (`body`: the event's, if made already)."""
    return {
        "id": new_id("dlv"),
        "workspace_id": event.workspace_id,
        "endpoint_id": endpoint_id,
        "event_id": event.id,
        "event_type": event.type,
        "payload": body or body_of(event.id, event.type, event.created_at, event.payload),
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "lease": None,
        "last_status_code": None,
        "last_error": None,
        "created_at": now,
        "updated_at": now,
    }


class Outbox:
    def __init__(self, db: Database, clock: Clock, ttl_seconds: float) -> None:
        self.db = db
        self.clock = clock
        self.subscriptions: SnapshotCache[str, tuple[Subscription, ...]] = SnapshotCache(
            clock, ttl_seconds
        )
        self._listeners: list[Callable[[], None]] = []
        db.on_commit({_ENDPOINTS}, self.subscriptions.clear)
        db.on_commit({WebhookDelivery.__tablename__}, self.written)

    def on_written(self, listener: Callable[[], None]) -> None:
        """Call `listener` after this process commits new deliveries (wakes the dispatcher)."""
        self._listeners.append(listener)

    def written(self) -> None:
        for listener in self._listeners:
            listener()

    async def stage(self, unit: UnitOfWork, events: Sequence[EventRecord]) -> None:
        """Write the deliveries of `events` in `unit`, the unit of work that writes them."""
        known: dict[str, tuple[Subscription, ...]] = {}
        missing = set()
        for workspace_id in {event.workspace_id for event in events}:
            found = self.subscriptions.get(workspace_id)
            if found is None:
                missing.add(workspace_id)
            else:
                known[workspace_id] = found
        if isinstance(unit, list):
            if missing:
                async with self.db.read() as session:
                    known |= await self._read(WebhookRepository(session), missing, keep=True)
        elif _ENDPOINTS in await tables_written(unit):
            known = await self._read(WebhookRepository(unit), known.keys() | missing, keep=False)
        elif missing:
            known |= await self._read(WebhookRepository(unit), missing, keep=True)
        rows = self._rows(events, known.__getitem__)
        if rows:
            await add_deliveries(unit, rows)

    async def _read(
        self, repository: WebhookRepository, workspace_ids: Iterable[str], *, keep: bool
    ) -> dict[str, tuple[Subscription, ...]]:
        """The subscriptions of `workspace_ids` as the database has them; `keep`: into the
        snapshot too (not when the transaction reading them changed them)."""
        found = {}
        for workspace_id in workspace_ids:
            generation = self.subscriptions.generation
            found[workspace_id] = await repository.subscriptions(workspace_id)
            if keep:
                self.subscriptions.put(workspace_id, found[workspace_id], generation)
        return found

    def _rows(
        self,
        events: Iterable[EventRecord],
        subscribers_of: Callable[[str], tuple[Subscription, ...]],
    ) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        now = self.clock.now()
        for event in events:
            body = None
            for subscription in subscribers_of(event.workspace_id):
                if subscription.wants(event.type):
                    row = delivery_values(event, subscription.endpoint_id, now, body=body)
                    body = row["payload"]
                    rows.append(row)
        return rows
