"""CSV of the lists: every row the list endpoint's filters select, streamed a page at a time
(each page in its own short read transaction), with a header row."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from interlink.core.clock import rfc3339
from interlink.core.db import Database
from interlink.core.pagination import PageParams
from interlink.transfer.domains import PAGE_SIZE

# One page of rows, read in the session given.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
PageReader = Callable[[AsyncSession, PageParams], Awaitable[tuple[Sequence[Any], int]]]


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    cells: Callable[[Any], Iterable[Any]]


INTEGRATIONS = Table(
    ("id", "name", "type", "status", "health", "description", "metadata", "created_at",
     "updated_at", "activated_at"),
    lambda r: (r.id, r.name, r.type, r.status, r.health_status, r.description, r.metadata_,
               r.created_at, r.updated_at, r.activated_at),
)  # fmt: skip
OPERATIONS = Table(
    ("id", "integration_id", "operation", "status", "started_at", "completed_at", "duration_ms",
     "error_code", "error_message", "created_by"),
    lambda r: (r.id, r.integration_id, r.operation, r.status, r.started_at, r.completed_at,
               r.duration_ms, (r.error or {}).get("code"), (r.error or {}).get("message"),
               r.created_by),
)  # fmt: skip
DELIVERIES = Table(
    ("id", "webhook_id", "event_id", "event", "status", "attempt_count", "last_status_code",
     "last_error", "next_attempt_at", "created_at", "updated_at"),
    lambda d: (d.id, d.webhook_id, d.event_id, d.event, d.status, d.attempt_count,
               d.last_status_code, d.last_error, d.next_attempt_at, d.created_at, d.updated_at),
)  # fmt: skip
EXECUTIONS = Table(
    ("id", "workflow_id", "workflow_version", "status", "trigger", "run", "started_at",
     "completed_at", "error_code", "error_message"),
    lambda e: (e.id, e.workflow_id, e.workflow_version, e.status, e.trigger, e.run,
               e.started_at, e.completed_at, (e.error or {}).get("code"),
               (e.error or {}).get("message")),
)  # fmt: skip
EVENTS = Table(
    ("id", "type", "timestamp", "integration_id", "data"),
    lambda e: (e.id, e.type, e.created_at, e.integration_id, e.payload),
)


async def stream(db: Database, table: Table, read: PageReader, limit: int) -> AsyncIterator[str]:
    """The header, then each row, at most `limit` rows."""
    yield _line(table.columns)
    params, sent = PageParams(page=1, page_size=PAGE_SIZE, sort_order="desc"), 0
    while sent < limit:
        async with db.read() as session:
            rows, total = await read(session, params)
        for row in rows[: limit - sent]:
            yield _line(_cell(value) for value in table.cells(row))
        sent += len(rows)
        if not rows or params.page * params.page_size >= total:
            return
        params = params.model_copy(update={"page": params.page + 1})


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value  # a spreadsheet would run it as a formula
    return str(value)


def _line(cells: Iterable[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue()
