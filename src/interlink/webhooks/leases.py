"""The dispatcher's SQL: claim due deliveries as leases, write attempts and their outcomes.

Each function runs inside `Database.run_write` on a sync Connection (one transaction): on
PostgreSQL claimers skip each other's rows (`FOR UPDATE SKIP LOCKED`); on SQLite the write
transaction (`BEGIN IMMEDIATE`) makes one claimer at a time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Integer, and_, bindparam, cast, func, insert, select, update
from sqlalchemy.dialects.postgresql import JSONB

from interlink.core.db import Base
from interlink.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

DELIVERIES = Base.metadata.tables[WebhookDelivery.__tablename__]
ENDPOINTS = Base.metadata.tables[WebhookEndpoint.__tablename__]
# No cache watches what the dispatcher writes (leases, attempts, `failing_since`): tell nobody.
TABLES: frozenset[str] = frozenset()
_INSERT_ATTEMPT = insert(Base.metadata.tables[WebhookAttempt.__tablename__])
_SAVE_OUTCOME = (
    update(DELIVERIES)
    .where(and_(DELIVERIES.c.id == bindparam("b_id"), DELIVERIES.c.lease == bindparam("b_lease")))
    .values(
        status=bindparam("v_status"),
        attempts=DELIVERIES.c.attempts + 1,
        next_attempt_at=bindparam("v_next", type_=DELIVERIES.c.next_attempt_at.type),
        lease=None,
        last_status_code=bindparam("v_code"),
        last_error=bindparam("v_error"),
        updated_at=bindparam("v_at", type_=DELIVERIES.c.updated_at.type),
    )
)


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
class Outcome:
    """One attempt's result and what follows: the delivery's new state."""

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


def claim(
    connection: Connection,
    *,
    now: datetime,
    lease: str,
    lease_until: datetime,
    room: dict[str, int],
    default_room: int,
    limit: int,
) -> tuple[list[Claimed], dict[str, EndpointRow]]:
    """Lease up to `limit` due deliveries, at most `room[endpoint]` (else `default_room`) per
    endpoint; endpoints with no room left are skipped. Returns them with their endpoints."""
    if connection.dialect.name == "postgresql":
        return _claim_postgresql(
            connection, now=now, lease=lease, lease_until=lease_until, room=room,
            default_room=default_room, limit=limit,
        )  # fmt: skip
    query = (
        select(DELIVERIES.c.id, DELIVERIES.c.endpoint_id, DELIVERIES.c.event_id,
               DELIVERIES.c.event_type, DELIVERIES.c.payload, DELIVERIES.c.attempts)
        .where(DELIVERIES.c.status == "pending", DELIVERIES.c.next_attempt_at <= now)
        .order_by(DELIVERIES.c.next_attempt_at)
        .limit(limit)
    )  # fmt: skip
    full = [endpoint for endpoint, free in room.items() if free <= 0]
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
    return taken, endpoints(connection, {c.endpoint_id for c in taken})


_ENDPOINT_COLUMNS = [ENDPOINTS.c[f] for f in EndpointRow.__dataclass_fields__]
_CLAIMED_COLUMNS = [DELIVERIES.c[f] for f in Claimed.__dataclass_fields__ if f != "lease"]


def _claim_postgresql(
    connection: Connection,
    *,
    now: datetime,
    lease: str,
    lease_until: datetime,
    room: dict[str, int],
    default_room: int,
    limit: int,
) -> tuple[list[Claimed], dict[str, EndpointRow]]:
    """The same claim in ONE statement (one round trip, where the select, the update and the
    endpoints' read were three): the due rows are locked (`SKIP LOCKED`), ranked per endpoint,
    and those within their endpoint's room are leased and returned with their endpoint."""
    due = (
        select(DELIVERIES.c.id, DELIVERIES.c.endpoint_id, DELIVERIES.c.next_attempt_at)
        .where(DELIVERIES.c.status == "pending", DELIVERIES.c.next_attempt_at <= now)
        .order_by(DELIVERIES.c.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    full = [endpoint for endpoint, free in room.items() if free <= 0]
    if full:
        due = due.where(DELIVERIES.c.endpoint_id.not_in(full))
    locked = due.cte("locked")
    rank = func.row_number().over(
        partition_by=locked.c.endpoint_id, order_by=(locked.c.next_attempt_at, locked.c.id)
    )
    ranked = select(locked.c.id, locked.c.endpoint_id, rank.label("n")).cte("ranked")
    busy = {endpoint: free for endpoint, free in room.items() if free > 0}
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


def endpoints(connection: Connection, ids: set[str]) -> dict[str, EndpointRow]:
    columns = [ENDPOINTS.c[f] for f in EndpointRow.__dataclass_fields__]
    rows = connection.execute(select(*columns).where(ENDPOINTS.c.id.in_(ids)))
    return {row.id: EndpointRow(*row) for row in rows}


def save(connection: Connection, outcomes: list[Outcome], disable_before: datetime) -> list[str]:
    """Write attempts and outcomes (an outcome whose lease was lost is not applied), keep each
    endpoint's run of failures, and return the endpoints failing since before `disable_before`.

    A delivery deleted meanwhile (its endpoint was deleted) is skipped: its attempt has nothing
    to belong to, and the other outcomes of the group must not fail with it. On PostgreSQL the
    rows kept are locked against deletion (`FOR KEY SHARE`, as the foreign key check would)
    until the transaction ends; on SQLite the write transaction already excludes deleters."""
    present = select(DELIVERIES.c.id).where(DELIVERIES.c.id.in_([o.delivery_id for o in outcomes]))
    if connection.dialect.name == "postgresql":
        present = present.order_by(DELIVERIES.c.id).with_for_update(read=True, key_share=True)
    kept = set(connection.scalars(present))
    outcomes = [o for o in outcomes if o.delivery_id in kept]
    if not outcomes:
        return []
    connection.execute(_INSERT_ATTEMPT, [_attempt(o) for o in outcomes])
    connection.execute(_SAVE_OUTCOME, [_delivery(o) for o in outcomes])
    ok = {o.endpoint_id for o in outcomes if o.status == "succeeded"}
    failing = {o.endpoint_id for o in outcomes if o.status != "succeeded"} - ok
    at = max(o.at for o in outcomes)
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
        .values(failing_since=at)
    )
    overdue = select(ENDPOINTS.c.id).where(
        ENDPOINTS.c.id.in_(failing),
        ENDPOINTS.c.enabled.is_(True),
        ENDPOINTS.c.failing_since <= disable_before,
    )
    return list(connection.scalars(overdue))


def _attempt(o: Outcome) -> dict[str, Any]:
    return {
        "delivery_id": o.delivery_id,
        "at": o.at,
        "status_code": o.status_code,
        "duration_ms": o.duration_ms,
        "response_body": o.response_body,
        "error": o.error,
    }


def _delivery(o: Outcome) -> dict[str, Any]:
    return {
        "b_id": o.delivery_id,
        "b_lease": o.lease,
        "v_status": o.status,
        "v_next": o.next_attempt_at,
        "v_code": o.status_code,
        "v_error": o.error,
        "v_at": o.at,
    }


def lease_expiry(now: datetime, seconds: float) -> datetime:
    return now + timedelta(seconds=seconds)
