"""Event triggers and `wait_for_event`: the event log read in id order, in worker processes.

Each new event starts the workflows whose event trigger it matches (trigger key `event:<id>`,
so it starts once however many workers read it) and is sent to the open waits it matches (with
the idempotency key `<wait>:<event>`, so each is sent once). The position read up to is kept in
`workflow_event_cursor`; a restarted worker goes on from there. Each look reads the events past
the position. Ids sort by creation, not commit, so once per poll the ids of the last `LOOKBACK_MS`
are read too, for events that committed after a newer one (those this process handled are
passed over).
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
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.core.clock import Clock, rfc3339
from interlink.core.db import Database
from interlink.core.ids import lowest_id, made_at_ms
from interlink.core.waiting import wait_set
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
GATHER_SECONDS = 0.05  # after a wake-up, before the look


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
        batch: int = BATCH,
    ) -> None:
        self.db = db
        self.clock = clock
        self.jobs = jobs
        self.launcher = launcher
        self.bell = bell
        self.poll_seconds = poll_seconds
        self.batch = batch
        self.position: str | None = None
        self.handled: set[str] = set()
        self.known_waits: set[str] = set()
        self._save_due = 0.0
        self._rescan_due = 0.0
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
                    full = await self.look() >= self.batch
                except Exception:
                    log.exception("workflow_event_follower_failed")
                    full = False
                if not full:
                    await wait_set(wake, self.poll_seconds)
                    # Commits close together are read in one look, not one look each.
                    await asyncio.sleep(GATHER_SECONDS)
        finally:
            self.bell.forget(wake)

    async def look(self) -> int:
        """Handle the events committed since the last look; returns how many new ones were read
        (`batch` of them means there may be more)."""
        if self.position is None:
            self.position = await self._load_position()
        async with self.db.read() as session:
            new = list(
                (
                    await session.scalars(
                        select(Event)
                        .where(Event.id > self.position)
                        .order_by(Event.id)
                        .limit(self.batch)
                    )
                ).all()
            )
            late = await self._late_commits(session)
            waits = (
                await session.scalars(select(ExecutionWait).where(ExecutionWait.status == "open"))
            ).all()
            first_seen = {
                w.id: await self._since(session, w) for w in waits if w.id not in self.known_waits
            }
        fresh = [e for e in late + new if e.id not in self.handled]
        await self._handle(waits, first_seen, fresh)
        self.known_waits = {w.id for w in waits}
        self.handled.update(e.id for e in fresh)
        if new and new[-1].id > self.position:
            self.position = new[-1].id
            if self._loop_time() >= self._save_due:
                # At most once a second: a restart re-reads a little more, deduped.
                self._save_due = self._loop_time() + SAVE_EVERY
                await self._save_position(self.position)
        cutoff = lowest_id("evt", max(0, made_at_ms(self.position) - LOOKBACK_MS))
        self.handled = {i for i in self.handled if i >= cutoff}
        return len(new)

    async def _late_commits(self, session: AsyncSession) -> list[Event]:
        """Events behind the position not handled yet: ids sort by creation, so one committed
        after a newer one is found here. Looked for at most once per poll, by id only."""
        assert self.position is not None
        if self._loop_time() < self._rescan_due:
            return []
        self._rescan_due = self._loop_time() + self.poll_seconds
        floor = lowest_id("evt", max(0, made_at_ms(self.position) - LOOKBACK_MS))
        ids = (
            await session.scalars(
                select(Event.id).where(Event.id > floor, Event.id <= self.position)
            )
        ).all()
        missing = [i for i in ids if i not in self.handled]
        if not missing:
            return []
        found = await session.scalars(
            select(Event).where(Event.id.in_(missing[: self.batch])).order_by(Event.id)
        )
        return list(found.all())

    async def _since(self, session: AsyncSession, wait: ExecutionWait) -> list[Event]:
        """The events of a wait's workspace since it opened: it may have committed after the
        event it waits for."""
        assert self.position is not None
        floor = lowest_id("evt", max(0, made_at_ms(self.position) - LOOKBACK_MS))
        found = await session.scalars(
            select(Event)
            .where(
                Event.id > floor,
                Event.workspace_id == wait.workspace_id,
                Event.created_at >= wait.created_at,
            )
            .order_by(Event.id)
            .limit(self.batch)
        )
        return list(found.all())

    async def _handle(
        self,
        waits: Sequence[ExecutionWait],
        first_seen: dict[str, list[Event]],
        fresh: Sequence[Event],
    ) -> None:
        """Waits get the fresh events, and a wait seen for the first time also the events since
        it opened; then the fresh events start the workflows whose event trigger they match."""
        for wait in waits:
            for event in first_seen.get(wait.id, fresh):
                if self._fits(wait, event):
                    await self._wake(wait, event)
                    break
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
