"""An operation's progress as `operation.progress` events: what its action reports through
`ActionContext.progress`, at most one event a second per operation (by the injected clock), and
the last report held back by that limit once the action returns.

Each event is written in a transaction of its own (`EventService.publish` on a list of writes,
then `Database.write`), so it reaches the live stream and webhooks while the operation runs, on
the API process (a synchronous operation) and on a worker (a queued one) alike. Progress is
best effort: a report the database refuses is logged and the operation goes on. An operation
whose action reports nothing costs one small object and no write.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog

from interlink.core.clock import Clock
from interlink.core.db import Database
from interlink.core.driver import Write
from interlink.core.secrets import Scrubber
from interlink.events.service import EventService
from interlink.events.types import EventType, OperationProgress, new_event
from interlink.integrations.operation_record import AnyOperation

log = structlog.get_logger(__name__)

INTERVAL = timedelta(seconds=1)  # between two progress events of one operation, at least
MAX_STATUS = 200  # characters of an action's status kept in an event
Report = tuple[str, int | None, int | None]  # status, completed, total


class ProgressPublisher:
    """Makes each operation's reporter; the reporters write through it."""

    def __init__(self, db: Database, events: EventService, clock: Clock) -> None:
        self.db = db
        self.events = events
        self.clock = clock

    def reporter(self, operation: AnyOperation, secrets: Scrubber) -> ProgressReporter:
        return ProgressReporter(self, operation, secrets)

    async def publish(self, operation: AnyOperation, progress: OperationProgress) -> None:
        event = new_event(
            operation.workspace_id, EventType.OPERATION_PROGRESS, progress,
            integration_id=operation.integration_id, at=self.clock.now(),
        )  # fmt: skip
        writes: list[Write] = []
        await self.events.publish(writes, event)
        await self.db.write(*writes)


class ProgressReporter:
    """One operation's `ActionContext.progress_sink`: sends a report when a second has passed
    since the last one sent, else keeps it (and nothing more) as the one `flush` sends."""

    __slots__ = ("_held", "_last_sent", "_operation", "_publisher", "_request_id", "_secrets")

    def __init__(
        self, publisher: ProgressPublisher, operation: AnyOperation, secrets: Scrubber
    ) -> None:
        self._publisher = publisher
        self._operation = operation
        self._secrets = secrets
        self._last_sent: datetime | None = None
        self._held: Report | None = None
        self._request_id: str | None = None

    async def __call__(self, status: str, completed: int | None, total: int | None) -> None:
        now = self._publisher.clock.now()
        if self._last_sent is None:  # the first report, in the task of the request if any
            self._request_id = _current_request_id()
        elif now - self._last_sent < INTERVAL:
            self._held = (status, completed, total)
            return
        self._last_sent, self._held = now, None
        await self._send((status, completed, total))

    async def flush(self) -> None:
        """Send the last report, if the limit held it back."""
        held, self._held = self._held, None
        if held is not None:
            await self._send(held)

    async def _send(self, report: Report) -> None:
        status, completed, total = report
        progress = OperationProgress(
            operation_id=self._operation.id,
            integration_id=self._operation.integration_id,
            operation=self._operation.operation,
            status=self._secrets.text(status)[:MAX_STATUS],
            completed=completed,
            total=total,
            request_id=self._request_id,
        )
        try:
            await self._publisher.publish(self._operation, progress)
        except Exception:
            log.warning(
                "operation_progress_not_published", operation_id=self._operation.id, exc_info=True
            )


def _current_request_id() -> str | None:
    """The id of the API request this runs in (bound for its logs by the request middleware),
    so that its caller can tell its own operation's progress before it knows the operation id."""
    found = structlog.contextvars.get_contextvars().get("request_id")
    return found if isinstance(found, str) else None
