"""All SQL of webhooks: endpoints and the delivery log (on the request's session), the
subscriptions an event fans out to and its new deliveries (in the event's unit of work), and
the dispatcher's leases and attempts (each in a transaction of its own, `Database.run`).

A claim is a lease: on PostgreSQL claimers skip each other's rows (`FOR UPDATE SKIP LOCKED`); on
SQLite the write transaction (`BEGIN IMMEDIATE`) makes one claimer at a time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import (
    Connection,
    CursorResult,
    Integer,
    and_,
    bindparam,
    cast,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.core.db import Base, Database, UnitOfWork, write_in
from interlink.core.driver import Statement, Write, run_writes
from interlink.core.pagination import PageParams, fetch_page
from interlink.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

DELIVERIES = Base.metadata.tables[WebhookDelivery.__tablename__]
ENDPOINTS = Base.metadata.tables[WebhookEndpoint.__tablename__]
_DELIVER = Statement.insert(
    DELIVERIES,
    (
        "id", "workspace_id", "endpoint_id", "event_id", "event_type", "payload", "status",
        "attempts", "next_attempt_at", "lease", "last_status_code", "last_error", "created_at",
        "updated_at",
    ),
)  # fmt: skip
_INSERT_ATTEMPT = Statement.insert(
    Base.metadata.tables[WebhookAttempt.__tablename__],
    ("delivery_id", "at", "status_code", "duration_ms", "response_body", "error"),
)
_SAVE_RESULT = Statement.of(
    update(DELIVERIES)
    .where(and_(DELIVERIES.c.id == bindparam("b_id"), DELIVERIES.c.lease == bindparam("b_lease")))
    .values(
        status=bindparam("v_status", type_=DELIVERIES.c.status.type),
        attempts=DELIVERIES.c.attempts + 1,
        next_attempt_at=bindparam("v_next", type_=DELIVERIES.c.next_attempt_at.type),
        lease=None,
        last_status_code=bindparam("v_code", type_=DELIVERIES.c.last_status_code.type),
        last_error=bindparam("v_error", type_=DELIVERIES.c.last_error.type),
        updated_at=bindparam("v_at", type_=DELIVERIES.c.updated_at.type),
    )
)


@dataclass(frozen=True)
class Subscription:
    """An enabled endpoint of a workspace and the event types it takes (`*`: every one)."""

    endpoint_id: str
    events: frozenset[str]

    def wants(self, event_type: str) -> bool:
        return event_type in self.events or "*" in self.events


@dataclass(frozen=True)
class Claimed:
    id: str
    endpoint_id: str
    event_id: str
    event_type: str
    payload: str
    attempts: int
    lease: str


@dataclass(frozen=True)
class EndpointRow:
    id: str
    workspace_id: str
    url: str
    headers: dict[str, Any] = field(repr=False)  # values sealed (see webhooks.headers)
    sealed_secret: str
    sealed_previous_secret: str | None
    previous_secret_until: datetime | None
    max_attempts: int | None
    backoff_ms: int | None
    enabled: bool


@dataclass(frozen=True)
class AttemptResult:
    """One attempt of a delivery and what follows from it: the delivery's new state."""

    delivery_id: str
    endpoint_id: str
    lease: str
    at: datetime
    status_code: int | None
    duration_ms: int
    response_body: str | None
    error: str | None
    status: str  # pending (to retry) | succeeded | failed
    next_attempt_at: datetime | None


async def add_deliveries(unit: UnitOfWork, rows: Sequence[dict[str, Any]]) -> None:
    """Write new delivery rows (`outbox.delivery_values`) in `unit` (one executemany)."""
    await write_in(unit, Write(_DELIVER, rows))


class WebhookRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- endpoints and the delivery log --------------------------------------------------------
    def add(self, row: WebhookEndpoint | WebhookDelivery) -> None:
        self.session.add(row)

    async def delete(self, row: WebhookEndpoint) -> None:
        await self.session.delete(row)

    async def get(self, workspace_id: str, endpoint_id: str) -> WebhookEndpoint | None:
        query = select(WebhookEndpoint).where(
            WebhookEndpoint.workspace_id == workspace_id, WebhookEndpoint.id == endpoint_id
        )
        return (await self.session.scalars(query)).first()

    async def page(
        self, workspace_id: str, params: PageParams
    ) -> tuple[Sequence[WebhookEndpoint], int]:
        query = select(WebhookEndpoint).where(WebhookEndpoint.workspace_id == workspace_id)
        return await fetch_page(self.session, query, params, (), WebhookEndpoint.id)

    async def delivery(self, endpoint_id: str, delivery_id: str) -> WebhookDelivery | None:
        query = select(WebhookDelivery).where(
            WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.id == delivery_id
        )
        return (await self.session.scalars(query)).first()

    async def deliveries(
        self,
        endpoint_id: str,
        params: PageParams,
        *,
        status: str | None,
        event_type: str | None,
    ) -> tuple[Sequence[WebhookDelivery], int]:
        query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
        if status:
            query = query.where(WebhookDelivery.status == status)
        if event_type:
            query = query.where(WebhookDelivery.event_type == event_type)
        return await fetch_page(self.session, query, params, (), WebhookDelivery.id)

    async def attempts_of(self, delivery_ids: list[str]) -> dict[str, list[WebhookAttempt]]:
        found: dict[str, list[WebhookAttempt]] = {d: [] for d in delivery_ids}
        if not delivery_ids:
            return found
        query = (
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_(delivery_ids))
            .order_by(WebhookAttempt.id)
        )
        for attempt in await self.session.scalars(query):
            found[attempt.delivery_id].append(attempt)
        return found

    async def requeue(self, endpoint_id: str, *conditions: Any, now: datetime) -> int:
        """Make deliveries of `endpoint_id` matching `conditions` due now; returns how many."""
        statement = (
            update(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint_id, *conditions)
            .values(status="pending", next_attempt_at=now, lease=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        result: CursorResult[Any] = await self.session.execute(statement)  # type: ignore[assignment]
        return result.rowcount

    async def fail_pending(self, endpoint_id: str, reason: str, now: datetime) -> None:
        statement = (
            update(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == "pending")
            .values(status="failed", next_attempt_at=None, lease=None, last_error=reason,
                    updated_at=now)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
        await self.session.execute(statement)

    async def all_endpoints(self) -> Sequence[WebhookEndpoint]:
        """Every endpoint of every workspace (for key rotation)."""
        return (await self.session.scalars(select(WebhookEndpoint))).all()

    # -- fan-out -------------------------------------------------------------------------------
    async def subscriptions(self, workspace_id: str) -> tuple[Subscription, ...]:
        """The enabled endpoints of a workspace, with the event types each takes."""
        query = select(ENDPOINTS.c.id, ENDPOINTS.c.events).where(
            ENDPOINTS.c.workspace_id == workspace_id, ENDPOINTS.c.enabled.is_(True)
        )
        rows = await (await self.session.connection()).execute(query)
        return tuple(Subscription(row.id, frozenset(row.events)) for row in rows)


# -- the dispatcher's leases --------------------------------------------------------------------
class DeliveryLeases:
    """The dispatcher's claims and the outcomes of its sends. Each is a few statements that read
    what they write, run as one unit on the driver path (`Database.run`): on SQLite in one hop to
    the writer thread (through a session each statement is a hop of its own: the claim took
    30 ms where this takes 8), on PostgreSQL the claim is one statement."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim(
        self,
        *,
        now: datetime,
        lease: str,
        lease_until: datetime,
        room: dict[str, int],
        default_room: int,
        limit: int,
    ) -> tuple[list[Claimed], dict[str, EndpointRow]]:
        """Lease up to `limit` due deliveries, at most `room[endpoint]` (else `default_room`)
        per endpoint; endpoints with no room left are skipped. Returns them with their
        endpoints. No commit listener is told: no cache watches leases."""
        work = partial(
            _claim, now=now, lease=lease, lease_until=lease_until, room=room,
            default_room=default_room, limit=limit,
        )  # fmt: skip
        return await self.db.run(work)

    async def save(self, results: Sequence[AttemptResult], disable_before: datetime) -> list[str]:
        """Write attempts and their deliveries' new state (a result whose lease was lost is not
        applied), keep each endpoint's run of failures, and return the endpoints failing since
        before `disable_before`."""
        return await self.db.run(partial(_save, results=results, disable_before=disable_before))


def _claim(
    connection: Connection,
    *,
    now: datetime,
    lease: str,
    lease_until: datetime,
    room: dict[str, int],
    default_room: int,
    limit: int,
) -> tuple[list[Claimed], dict[str, EndpointRow]]:
    full = [endpoint for endpoint, free in room.items() if free <= 0]
    if connection.dialect.name == "postgresql":
        busy = {endpoint: free for endpoint, free in room.items() if free > 0}
        return _claim_postgresql(
            connection, now=now, lease=lease, lease_until=lease_until, full=full, busy=busy,
            default_room=default_room, limit=limit,
        )  # fmt: skip
    query = (
        select(DELIVERIES.c.id, DELIVERIES.c.endpoint_id, DELIVERIES.c.event_id,
               DELIVERIES.c.event_type, DELIVERIES.c.payload, DELIVERIES.c.attempts)
        .where(DELIVERIES.c.status == "pending", DELIVERIES.c.next_attempt_at <= now)
        .order_by(DELIVERIES.c.next_attempt_at)
        .limit(limit)
    )  # fmt: skip
    if full:
        query = query.where(DELIVERIES.c.endpoint_id.not_in(full))
    taken: list[Claimed] = []
    left = dict(room)
    for row in connection.execute(query):
        free = left.get(row.endpoint_id, default_room)
        if free > 0:
            left[row.endpoint_id] = free - 1
            taken.append(Claimed(**row._asdict(), lease=lease))
    if not taken:
        return [], {}
    connection.execute(
        update(DELIVERIES)
        .where(DELIVERIES.c.id.in_([c.id for c in taken]))
        .values(next_attempt_at=lease_until, lease=lease)
    )
    ids = {c.endpoint_id for c in taken}
    rows = connection.execute(select(*_ENDPOINT_COLUMNS).where(ENDPOINTS.c.id.in_(ids)))
    return taken, {row.id: EndpointRow(*row) for row in rows}


def _save(
    connection: Connection, *, results: Sequence[AttemptResult], disable_before: datetime
) -> list[str]:
    """A delivery deleted meanwhile (its endpoint was deleted) is skipped: its attempt has nothing
    to belong to, and the other results of the group must not fail with it. On PostgreSQL the
    rows kept are locked against deletion (`FOR KEY SHARE`, as the foreign key check would)
    until the transaction ends; on SQLite the write transaction already excludes deleters."""
    ids = [r.delivery_id for r in results]
    present = select(DELIVERIES.c.id).where(DELIVERIES.c.id.in_(ids))
    if connection.dialect.name == "postgresql":
        present = present.order_by(DELIVERIES.c.id).with_for_update(read=True, key_share=True)
    kept = set(connection.scalars(present))
    results = [r for r in results if r.delivery_id in kept]
    if not results:
        return []
    run_writes(
        connection,
        [
            Write(_INSERT_ATTEMPT, [_attempt(r) for r in results]),
            Write(_SAVE_RESULT, [_delivery(r) for r in results]),
        ],
    )
    ok = {r.endpoint_id for r in results if r.status == "succeeded"}
    failing = {r.endpoint_id for r in results if r.status != "succeeded"} - ok
    if ok:
        connection.execute(
            update(ENDPOINTS)
            .where(ENDPOINTS.c.id.in_(ok), ENDPOINTS.c.failing_since.is_not(None))
            .values(failing_since=None)
        )
    if not failing:
        return []
    connection.execute(
        update(ENDPOINTS)
        .where(ENDPOINTS.c.id.in_(failing), ENDPOINTS.c.failing_since.is_(None))
        .values(failing_since=max(r.at for r in results))
    )
    overdue = select(ENDPOINTS.c.id).where(
        ENDPOINTS.c.id.in_(failing),
        ENDPOINTS.c.enabled.is_(True),
        ENDPOINTS.c.failing_since <= disable_before,
    )
    return list(connection.scalars(overdue))


_ENDPOINT_COLUMNS = [ENDPOINTS.c[f] for f in EndpointRow.__dataclass_fields__]
_CLAIMED_COLUMNS = [DELIVERIES.c[f] for f in Claimed.__dataclass_fields__ if f != "lease"]


def _claim_postgresql(
    connection: Connection,
    *,
    now: datetime,
    lease: str,
    lease_until: datetime,
    full: list[str],
    busy: dict[str, int],
    default_room: int,
    limit: int,
) -> tuple[list[Claimed], dict[str, EndpointRow]]:
    """The claim in ONE statement (one round trip, where the select, the update and the
    endpoints' read were three): the due rows are locked (`SKIP LOCKED`), ranked per endpoint,
    and those within their endpoint's room are leased and returned with their endpoint."""
    due = (
        select(DELIVERIES.c.id, DELIVERIES.c.endpoint_id, DELIVERIES.c.next_attempt_at)
        .where(DELIVERIES.c.status == "pending", DELIVERIES.c.next_attempt_at <= now)
        .order_by(DELIVERIES.c.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if full:
        due = due.where(DELIVERIES.c.endpoint_id.not_in(full))
    locked = due.cte("locked")
    rank = func.row_number().over(
        partition_by=locked.c.endpoint_id, order_by=(locked.c.next_attempt_at, locked.c.id)
    )
    ranked = select(locked.c.id, locked.c.endpoint_id, rank.label("n")).cte("ranked")
    allowed = func.coalesce(
        cast(
            cast(bindparam("room", json.dumps(busy)), JSONB)[ranked.c.endpoint_id].astext,
            Integer,
        ),
        default_room,
    )
    statement = (
        update(DELIVERIES)
        .where(
            DELIVERIES.c.id == ranked.c.id,
            ranked.c.n <= allowed,
            ENDPOINTS.c.id == DELIVERIES.c.endpoint_id,
        )
        .values(next_attempt_at=lease_until, lease=lease)
        .returning(*_CLAIMED_COLUMNS, *[c.label(f"e_{c.name}") for c in _ENDPOINT_COLUMNS])
    )
    taken: list[Claimed] = []
    found: dict[str, EndpointRow] = {}
    for row in connection.execute(statement):
        values = row._mapping
        taken.append(Claimed(**{c.name: values[c.name] for c in _CLAIMED_COLUMNS}, lease=lease))
        if row.endpoint_id not in found:
            found[row.endpoint_id] = EndpointRow(
                **{c.name: values[f"e_{c.name}"] for c in _ENDPOINT_COLUMNS}
            )
    return taken, found


def _attempt(r: AttemptResult) -> dict[str, Any]:
    return {
        "delivery_id": r.delivery_id,
        "at": r.at,
        "status_code": r.status_code,
        "duration_ms": r.duration_ms,
        "response_body": r.response_body,
        "error": r.error,
    }


def _delivery(r: AttemptResult) -> dict[str, Any]:
    return {
        "b_id": r.delivery_id,
        "b_lease": r.lease,
        "v_status": r.status,
        "v_next": r.next_attempt_at,
        "v_code": r.status_code,
        "v_error": r.error,
        "v_at": r.at,
    }
