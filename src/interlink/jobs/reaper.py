"""Heartbeats and the reaper: the work of an executor that stopped beating goes to a live one.

Each worker process upserts its row in `job_executors` every `heartbeat_seconds`, then looks for
rows older than `executor_dead_after_seconds`: for each, it asks DBOS to put that executor's
pending workflows back on their queues (idempotent, so two reapers racing do no harm) and deletes
the row. An executor that comes back later with the same id writes its row again. A live process
that stalls longer than the dead-after time loses its work to another: the work then runs twice,
which every side effect's idempotency key makes safe.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import structlog
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.config import JobsSettings
from interlink.core.clock import Clock
from interlink.core.db import Database
from interlink.core.waiting import wait_set
from interlink.jobs.models import JobExecutor
from interlink.jobs.runtime import Jobs

log = structlog.get_logger(__name__)


class ExecutorRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def beat(self, executor_id: str, role: str, at: datetime) -> None:
        dialect = sqlite if self.session.get_bind().dialect.name == "sqlite" else postgresql
        insert = dialect.insert(JobExecutor).values(
            executor_id=executor_id, role=role, started_at=at, heartbeat_at=at
        )
        await self.session.execute(
            insert.on_conflict_do_update(
                index_elements=[JobExecutor.executor_id], set_={"heartbeat_at": at}
            )
        )

    async def silent_since(self, cutoff: datetime, but: str) -> list[str]:
        query = select(JobExecutor.executor_id).where(
            JobExecutor.heartbeat_at < cutoff, JobExecutor.executor_id != but
        )
        return list((await self.session.scalars(query)).all())

    async def forget(self, executor_id: str, cutoff: datetime) -> None:
        await self.session.execute(
            delete(JobExecutor).where(
                JobExecutor.executor_id == executor_id, JobExecutor.heartbeat_at < cutoff
            )
        )


class Reaper:
    def __init__(
        self, jobs: Jobs, db: Database, clock: Clock, settings: JobsSettings, role: str
    ) -> None:
        self.jobs = jobs
        self.db = db
        self.clock = clock
        self.settings = settings
        self.role = role
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def executor_id(self) -> str:
        found = self.jobs.executor_id
        assert found is not None, "the reaper runs only in a worker process"
        return found

    async def beat(self) -> None:
        async with self.db.transaction() as session:
            await ExecutorRepository(session).beat(self.executor_id, self.role, self.clock.now())

    async def reap(self) -> list[str]:
        """Recover the work of every executor silent for too long; returns their ids."""
        cutoff = self.clock.now() - timedelta(seconds=self.settings.executor_dead_after_seconds)
        async with self.db.read() as session:
            dead = await ExecutorRepository(session).silent_since(cutoff, self.executor_id)
        for executor_id in dead:
            recovered = await self.jobs.recover([executor_id])
            async with self.db.transaction() as session:
                await ExecutorRepository(session).forget(executor_id, cutoff)
            log.warning("executor_reaped", executor_id=executor_id, workflows=recovered)
        return dead

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="jobs-reaper")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.beat()
                await self.reap()
            except Exception:
                log.exception("reaper_pass_failed")
            await wait_set(self._stop, self.settings.heartbeat_seconds)
