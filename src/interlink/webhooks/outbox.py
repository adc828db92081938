"""The outbox: an event's delivery rows are written in the event's own transaction.

Two writers of events use it. `EventService.publish` stages the event on the caller's session
and, when the session flushes, a `before_flush` listener adds one delivery per subscribed
endpoint to the same flush. The operation recorder writes events with Core INSERTs inside
`Database.run_write` and calls `write` there, on the same connection.

The subscriptions of a workspace (its enabled endpoints and their event types) are kept in a
snapshot, emptied when this process commits a change to `webhook_endpoints`, so a workspace
without endpoints costs no statement at all on the hot path.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import chain
from typing import Any, Protocol

from sqlalchemy import Connection, event, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, UOWTransaction

from interlink.core.clock import Clock, rfc3339
from interlink.core.db import Base, Database
from interlink.core.driver import Statement, Write
from interlink.core.ids import new_id
from interlink.core.snapshots import SnapshotCache
from interlink.webhooks.models import WebhookDelivery, WebhookEndpoint

_STAGED = "interlink_webhook_outbox"
_FRESH = "interlink_webhook_endpoints_changed"  # this transaction changed endpoints
_WROTE = "interlink_webhook_outboxes_written"  # outboxes to tell after the commit
_ENDPOINTS = Base.metadata.tables[WebhookEndpoint.__tablename__]
_DELIVERIES = Base.metadata.tables[WebhookDelivery.__tablename__]
_INSERT_DELIVERY = insert(_DELIVERIES)
_DELIVER = Statement.insert(
    _DELIVERIES,
    (
        "id", "workspace_id", "endpoint_id", "event_id", "event_type", "payload", "status",
        "attempts", "next_attempt_at", "lease", "last_status_code", "last_error", "created_at",
        "updated_at",
    ),
)  # fmt: skip


class EventRow(Protocol):
    """An event as the event log stores it (its ORM row)."""

    id: str
    workspace_id: str
    type: str
    payload: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class Subscription:
    endpoint_id: str
    events: frozenset[str]

    def wants(self, event_type: str) -> bool:
        return event_type in self.events or "*" in self.events


def body_of(event_id: str, event_type: str, created_at: datetime, data: Any) -> str:
    """The delivery body: `{"id", "event", "timestamp", "data"}`, fixed for every attempt."""
    document = {
        "id": event_id,
        "event": event_type,
        "timestamp": rfc3339(created_at),
        "data": data,
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def delivery_values(
    event: dict[str, Any], endpoint_id: str, now: datetime, *, body: str | None = None
) -> dict[str, Any]:
    """A new delivery row of `event` (an event row's column values) for one endpoint."""
    return {
        "id": new_id("dlv"),
        "workspace_id": event["workspace_id"],
        "endpoint_id": endpoint_id,
        "event_id": event["id"],
        "event_type": event["type"],
        "payload": body
        or body_of(event["id"], event["type"], event["created_at"], event["payload"]),
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
        db.on_commit({_ENDPOINTS.name}, self.subscriptions.clear)
        db.on_commit({WebhookDelivery.__tablename__}, self.written)

    def on_written(self, listener: Callable[[], None]) -> None:
        """Call `listener` after this process commits new deliveries (wakes the dispatcher)."""
        self._listeners.append(listener)

    def written(self) -> None:
        for listener in self._listeners:
            listener()

    def stage(self, session: AsyncSession, event_row: EventRow) -> None:
        """Deliver `event_row` to its subscribers when the session flushes it."""
        session.info.setdefault(_STAGED, []).append((self, event_row))

    def write(
        self, connection: Connection, events: list[dict[str, Any]], *, fresh: bool = False
    ) -> int:
        """Insert the deliveries of `events` (event rows' column values) on `connection`, in
        the transaction that writes them; returns how many."""
        rows = self.rows_for(connection, events, fresh=fresh)
        if rows:
            connection.execute(_INSERT_DELIVERY, rows)
        return len(rows)

    def rows_for(
        self, connection: Connection, events: Iterable[dict[str, Any]], *, fresh: bool = False
    ) -> list[dict[str, Any]]:
        """Delivery rows of `events`; `fresh`: read the subscriptions, not the snapshot (the
        transaction changed endpoints, which the snapshot learns only at its commit)."""
        return self._rows(
            events, lambda workspace_id: self._subscribers(connection, workspace_id, fresh)
        )

    async def delivery_writes(self, events: list[dict[str, Any]]) -> list[Write]:
        """The delivery rows of `events` as writes for `Database.write` (in the events' own
        transaction); the subscriptions not in the snapshot are read first."""
        known: dict[str, tuple[Subscription, ...]] = {}
        for workspace_id in {event_values["workspace_id"] for event_values in events}:
            found = self.subscriptions.get(workspace_id)
            if found is None:
                async with self.db.read() as session:
                    connection = await session.connection()
                    found = await connection.run_sync(self._subscribers, workspace_id, False)
            known[workspace_id] = found
        return [Write(_DELIVER, row) for row in self._rows(events, known.__getitem__)]

    def _rows(
        self,
        events: Iterable[dict[str, Any]],
        subscribers_of: Callable[[str], tuple[Subscription, ...]],
    ) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        now = self.clock.now()
        for event_values in events:
            body = None
            for subscription in subscribers_of(event_values["workspace_id"]):
                if subscription.wants(event_values["type"]):
                    row = delivery_values(event_values, subscription.endpoint_id, now, body=body)
                    body = row["payload"]
                    rows.append(row)
        return rows

    def _subscribers(
        self, connection: Connection, workspace_id: str, fresh: bool
    ) -> tuple[Subscription, ...]:
        found = None if fresh else self.subscriptions.get(workspace_id)
        if found is not None:
            return found
        generation = self.subscriptions.generation
        query = select(_ENDPOINTS.c.id, _ENDPOINTS.c.events).where(
            _ENDPOINTS.c.workspace_id == workspace_id, _ENDPOINTS.c.enabled.is_(True)
        )
        found = tuple(
            Subscription(row.id, frozenset(row.events)) for row in connection.execute(query)
        )
        if not fresh:
            self.subscriptions.put(workspace_id, found, generation)
        return found


def _event_values(row: EventRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "workspace_id": row.workspace_id,
        "type": row.type,
        "payload": row.payload,
        "created_at": row.created_at,
    }


@event.listens_for(Session, "before_flush")
def _fan_out_staged(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    changed = chain(session.new, session.dirty, session.deleted)
    if not session.info.get(_FRESH) and any(isinstance(o, WebhookEndpoint) for o in changed):
        session.info[_FRESH] = True
    staged: list[tuple[Outbox, EventRow]] | None = session.info.pop(_STAGED, None)
    if not staged:
        return
    connection = session.connection()
    fresh = bool(session.info.get(_FRESH))
    by_outbox: dict[Outbox, list[dict[str, Any]]] = {}
    for outbox, event_row in staged:
        by_outbox.setdefault(outbox, []).append(_event_values(event_row))
    for outbox, events in by_outbox.items():
        # Core INSERTs on the session's connection: the same transaction, without the cost of
        # one ORM object per delivery.
        if outbox.write(connection, events, fresh=fresh):
            session.info.setdefault(_WROTE, set()).add(outbox)


@event.listens_for(Session, "after_commit")
def _tell_written(session: Session) -> None:
    for outbox in session.info.pop(_WROTE, ()):
        outbox.written()


@event.listens_for(Session, "after_rollback")
def _forget_written(session: Session) -> None:
    session.info.pop(_WROTE, None)
    session.info.pop(_STAGED, None)
