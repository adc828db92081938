"""Event triggers and `wait_for_event`: the event log followed in worker processes.

The events come from a `LogFollower` (`events/follower.py`: id order, late commits, the bell).
Each new event starts the workflows whose event trigger it matches (trigger key `event:<id>`,
so it starts once however many workers read it) and is sent to the open waits it matches (with
the idempotency key `<wait>:<event>`, so each is sent once). A wait seen for the first time also
gets the events of its workspace since it opened, within the look-back: it may have committed
after the event it waits for. The position read up to is kept in `workflow_event_cursor`; a
restarted worker goes on from there, and reads the look-back before it again (what it handled
twice is deduped by those keys). A workflow is never triggered by its own `workflow.*` events.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from contextlib import aclosing
from datetime import datetime, timedelta

import structlog

from interlink.core.clock import Clock
from interlink.core.db import Database
from interlink.events.bell import EventBell
from interlink.events.follower import BATCH, LogFollower, Position
from interlink.events.types import EventRecord
from interlink.jobs import Jobs
from interlink.workflows.engine import SIGNAL
from interlink.workflows.launcher import Launcher
from interlink.workflows.models import ExecutionWait, Workflow
from interlink.workflows.repository.follower import FollowerRepository
from interlink.workflows.steps.wait_for_event import matches

log = structlog.get_logger(__name__)

CURSOR = "workflows"
SAVE_EVERY = timedelta(seconds=1)  # between saves of the position


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
        self.reader = LogFollower(db, clock, bell, poll_seconds=poll_seconds, batch=batch)
        self.known_waits: set[str] = set()
        self._save_due: datetime | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._follow())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
            if self.reader.position is not None:
                await self._save_position(self.reader.position.newest)

    async def _follow(self) -> None:
        """Hands each batch on; after a failure the batch is read again a poll later."""
        while True:
            try:
                await self._follow_log()
            except Exception:
                log.exception("workflow_event_follower_failed")
            await asyncio.sleep(self.reader.poll_seconds)

    async def _follow_log(self) -> None:
        if self.reader.position is None:
            saved = await self._load_position()
            self.reader.position = Position(saved) if saved else await self.reader.begin(None)
        async with aclosing(self.reader.batches()) as batches:
            async for events in batches:
                await self._deliver(events)
                await self._save_now_and_then()

    async def _deliver(self, fresh: Sequence[EventRecord]) -> None:
        """Sends the events not handled before (and those since a new wait opened) to the open
        waits, and starts the workflows whose event trigger they match."""
        async with self.db.read() as session:
            waits = await FollowerRepository(session).open_waits()
        first_seen = {
            w.id: await self.reader.made_since(w.workspace_id, w.created_at)
            for w in waits
            if w.id not in self.known_waits
        }
        await self._handle(waits, first_seen, fresh)
        self.known_waits = {w.id for w in waits}

    async def _save_now_and_then(self) -> None:
        """At most once a second: a restart re-reads a little more, deduped."""
        assert self.reader.position is not None
        if self._save_due is None or self.clock.now() >= self._save_due:
            self._save_due = self.clock.now() + SAVE_EVERY
            await self._save_position(self.reader.position.newest)

    async def _handle(
        self,
        waits: Sequence[ExecutionWait],
        first_seen: dict[str, list[EventRecord]],
        fresh: Sequence[EventRecord],
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
            workflows = await FollowerRepository(session).enabled_in(workspaces)
        listening = [w for w in workflows if any(t.get("type") == "event" for t in w.triggers)]
        for event in fresh:
            for workflow in listening:
                if workflow.workspace_id == event.workspace_id:
                    await self._trigger(workflow, event)

    @staticmethod
    def _fits(wait: ExecutionWait, event: EventRecord) -> bool:
        return (
            wait.workspace_id == event.workspace_id
            and wait.created_at <= event.created_at
            and matches(wait.event, wait.filter, event.type, event.payload)
        )

    async def _trigger(self, workflow: Workflow, event: EventRecord) -> None:
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
                    session, workflow, {"event": event.envelope()}, trigger="event",
                    created_by="event-trigger", trigger_key=f"event:{event.id}",
                )  # fmt: skip
            return

    async def _wake(self, wait: ExecutionWait, event: EventRecord) -> None:
        message = {"kind": "event", "wait_id": wait.id, "event": event.envelope()}
        await self.jobs.send(
            wait.destination, message, topic=SIGNAL, idempotency_key=f"{wait.id}:{event.id}"
        )
        async with self.db.transaction() as session:
            await FollowerRepository(session).match(wait.id, event.id)
        wait.status = "matched"

    async def _load_position(self) -> str | None:
        async with self.db.read() as session:
            return await FollowerRepository(session).position(CURSOR)

    async def _save_position(self, position: str) -> None:
        async with self.db.transaction() as session:
            await FollowerRepository(session).save_position(CURSOR, position, self.clock.now())
