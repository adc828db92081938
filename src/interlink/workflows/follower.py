"""Event triggers and `wait_for_event`: the event log read in id order, in worker processes.

Each new event starts the workflows whose event trigger it matches (trigger key `event:<id>`,
so it starts once however many workers read it) and is sent to the open waits it matches (with
the idempotency key `<wait>:<event>`, so each is sent once). The position read up to is kept in
`workflow_event_cursor`; a restarted worker goes on from there. Ids sort by creation, not commit,
so each look reaches back `LOOKBACK_MS` and passes over the events this process already handled.
A workflow is never triggered by its own `workflow.*` events.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from interlink.core.clock import Clock, rfc3339
from interlink.core.db import Database
from interlink.core.ids import lowest_id, made_at_ms
from interlink.events.models import Event
from interlink.events.stream import EventBell
from interlink.jobs import Jobs
from interlink.workflows.engine import SIGNAL
from interlink.workflows.launcher import Launcher
from interlink.workflows.models import EventCursor, ExecutionWait, Workflow
from interlink.workflows.steps.wait_for_event import matches

log = structlog.get_logger(__name__)

CURSOR = "workflows"
LOOKBACK_MS = 10_000
BATCH = 500
SAVE_EVERY = 1.0  # seconds between saves of the position


def envelope(event: Event) -> dict[str, Any]:
    """An event as deliveries and the live stream show it."""
    return {
        "id": event.id,
        "event": event.type,
        "timestamp": rfc3339(event.created_at),
        "data": event.payload,
    }


class EventFollower:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        jobs: Jobs,
        launcher: Launcher,
        bell: EventBell,
        poll_seconds: float = 1.0,
    ) -> None:
        self.db = db
        self.clock = clock
        self.jobs = jobs
        self.launcher = launcher
        self.bell = bell
        self.poll_seconds = poll_seconds
        self.position: str | None = None
        self.handled: set[str] = set()
        self.known_waits: set[str] = set()
        self._save_due = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._follow())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
            if self.position is not None:
                await self._save_position(self.position)

    async def _follow(self) -> None:
        wake = self.bell.listen()
        try:
            while True:
                wake.clear()
                try:
                    full = await self.look() >= BATCH
                except Exception:
                    log.exception("workflow_event_follower_failed")
                    full = False
                if not full:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(wake.wait(), self.poll_seconds)
        finally:
            self.bell.forget(wake)

    async def look(self) -> int:
        """Handle the events committed since the last look; returns how many were read."""
        if self.position is None:
            self.position = await self._load_position()
        floor = lowest_id("evt", max(0, made_at_ms(self.position) - LOOKBACK_MS))
        async with self.db.read() as session:
            rows = (
                await session.scalars(
                    select(Event).where(Event.id > floor).order_by(Event.id).limit(BATCH)
                )
            ).all()
        fresh = [e for e in rows if e.id not in self.handled]
        await self._handle(rows, fresh)
        if fresh:
            self.handled.update(e.id for e in fresh)
            newest = max(e.id for e in fresh)
            if newest > self.position:
                self.position = newest
                if self._loop_time() >= self._save_due:
                    # At most once a second: a restart re-reads a little more, deduped.
                    self._save_due = self._loop_time() + SAVE_EVERY
                    await self._save_position(newest)
        cutoff = lowest_id("evt", max(0, made_at_ms(self.position) - LOOKBACK_MS))
        self.handled = {i for i in self.handled if i >= cutoff}
        return len(rows)

    async def _handle(self, recent: Sequence[Event], fresh: Sequence[Event]) -> None:
        """Triggers for the fresh events; waits for the fresh ones too, and a wait seen for the
        first time also for the recent ones (it may have committed after a matching event)."""
        async with self.db.read() as session:
            waits = (
                await session.scalars(select(ExecutionWait).where(ExecutionWait.status == "open"))
            ).all()
        for wait in waits:
            candidates = fresh if wait.id in self.known_waits else recent
            for event in candidates:
                if self._fits(wait, event):
                    await self._wake(wait, event)
                    break
        self.known_waits = {w.id for w in waits}
        if not fresh:
            return
        workspaces = {e.workspace_id for e in fresh}
        async with self.db.read() as session:
            workflows = (
                await session.scalars(
                    select(Workflow).where(
                        Workflow.workspace_id.in_(workspaces), Workflow.enabled.is_(True)
                    )
                )
            ).all()
        listening = [w for w in workflows if any(t.get("type") == "event" for t in w.triggers)]
        for event in fresh:
            for workflow in listening:
                if workflow.workspace_id == event.workspace_id:
                    await self._trigger(workflow, event)

    @staticmethod
    def _fits(wait: ExecutionWait, event: Event) -> bool:
        return (
            wait.workspace_id == event.workspace_id
            and wait.created_at <= event.created_at
            and matches(wait.event, wait.filter, event.type, event.payload)
        )

    async def _trigger(self, workflow: Workflow, event: Event) -> None:
        if event.type.startswith("workflow.") and event.payload.get("workflow_id") == workflow.id:
            return
        for trigger in workflow.triggers:
            if trigger.get("type") != "event":
                continue
            if not matches(
                trigger["event"], trigger.get("filter") or {}, event.type, event.payload
            ):
                continue
            async with self.db.transaction() as session:
                await self.launcher.start(
                    session, workflow, {"event": envelope(event)}, trigger="event",
                    created_by="event-trigger", trigger_key=f"event:{event.id}",
                )  # fmt: skip
            return

    async def _wake(self, wait: ExecutionWait, event: Event) -> None:
        message = {"kind": "event", "wait_id": wait.id, "event": envelope(event)}
        await self.jobs.send(
            wait.destination, message, topic=SIGNAL, idempotency_key=f"{wait.id}:{event.id}"
        )
        async with self.db.transaction() as session:
            row = await session.get(ExecutionWait, wait.id)
            if row is not None and row.status == "open":
                row.status, row.event_id = "matched", event.id
        wait.status = "matched"

    @staticmethod
    def _loop_time() -> float:
        return asyncio.get_running_loop().time()

    async def _load_position(self) -> str:
        async with self.db.read() as session:
            saved = await session.get(EventCursor, CURSOR)
            if saved is not None:
                return saved.position
            newest = await session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1))
        return newest or lowest_id("evt", 0)

    async def _save_position(self, position: str) -> None:
        """One upsert that only moves forward: workers that start together each save the first
        position, and a read-then-insert made one of them fail on the primary key."""
        async with self.db.transaction() as session:
            dialect = sqlite if session.get_bind().dialect.name == "sqlite" else postgresql
            now = self.clock.now()
            insert = dialect.insert(EventCursor).values(
                name=CURSOR, position=position, updated_at=now
            )
            await session.execute(
                insert.on_conflict_do_update(
                    index_elements=[EventCursor.name],
                    set_={"position": position, "updated_at": now},
                    where=EventCursor.position < position,
                )
            )
