"""Durable work on DBOS Transact: the one module (with its package) that imports `dbos`.

`Jobs` is one process's handle. Every process can enqueue (through a `DBOSClient` that writes on
the caller's own transaction: the outbox); a process started with `worker=True` also launches
DBOS, which runs the queued workflows, resumes its own pending ones, fires schedules, and lets
the reaper recover the work of dead executors. DBOS tables live in our database: the same SQLite
file (no schema) or schema `dbos` on PostgreSQL.

DBOS is a singleton per process, so at most one `Jobs` per process may run a worker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import structlog
from dbos import (
    DBOS,
    DBOSClient,
    DBOSConfig,
    DBOSPortableJSONSerializer,
    EnqueueOptions,
    ScheduleInput,
    WorkflowHandle,
    WorkflowHandleAsync,
)
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.config import JobsSettings
from interlink.jobs.executor_ids import ExecutorSlot, claim

log = structlog.get_logger(__name__)

P = ParamSpec("P")
R = TypeVar("R")
APP_NAME = "interlink"
FINISHED = ["SUCCESS", "ERROR", "CANCELLED", "MAX_RECOVERY_ATTEMPTS_EXCEEDED"]
_CLIENT_POOL = 2  # enqueue writes go through the caller's session; this pool is for the rest
_SERIALIZER = DBOSPortableJSONSerializer()


class JobsError(Exception):
    """Durable work could not be set up or reached; the message says what to fix."""


Async = Callable[P, Coroutine[Any, Any, R]]


def workflow(name: str) -> Callable[[Async[P, R]], Async[P, R]]:
    """Declare a durable workflow (at import time, before any worker launches)."""
    return DBOS.workflow(name=name)


def step(name: str) -> Callable[[Async[P, R]], Async[P, R]]:
    """Declare a step: its result is checkpointed; it runs again if its process died in it."""
    return DBOS.step(name=name)


async def sleep(seconds: float) -> None:
    """Durable sleep inside a workflow: a resumed workflow does not sleep the time again."""
    await DBOS.sleep_async(seconds)


async def receive(topic: str, timeout_seconds: float) -> Any:
    """Inside a workflow: the next message sent to it on `topic`, or None after the timeout
    (durable: a resumed workflow does not wait the elapsed time again)."""
    return await DBOS.recv_async(topic, timeout_seconds)


def current_workflow_id() -> str | None:
    return DBOS.workflow_id


def step_key() -> str:
    """An idempotency key for a side effect of the current step, stable when the step re-runs."""
    return f"{DBOS.workflow_id}:{DBOS.step_id}"


@dataclass(frozen=True)
class QueueLimits:
    """A queue partitioned per integration, each partition limited alike.

    DBOS limits partitions per queue, so integrations whose `rate_limiting` is the same share a
    queue (named after the limits) and each gets its own partition of it.
    """

    concurrency: int
    limit: int | None = None  # workflow starts per `period` seconds, per partition
    period: float | None = None

    @property
    def name(self) -> str:
        rate = f"-r{self.limit}per{self.period:g}s" if self.limit and self.period else ""
        return f"interlink-ops-c{self.concurrency}{rate}"


@dataclass(frozen=True)
class Schedule:
    name: str
    workflow: Callable[[datetime, Any], Coroutine[Any, Any, None]]
    cron: str  # six fields, seconds first


def dbos_url(database_url: str) -> str:
    """Our database URL as DBOS wants it: a plain `sqlite:` or `postgresql:` URL."""
    url = make_url(database_url)
    plain = "sqlite" if url.get_backend_name() == "sqlite" else "postgresql"
    return url.set(drivername=plain).render_as_string(hide_password=False)


class Jobs:
    def __init__(self, settings: JobsSettings, database_url: str, data_dir: Path) -> None:
        self.settings = settings
        self.url = dbos_url(database_url)
        self.data_dir = data_dir
        self.slot: ExecutorSlot | None = None
        self._client: DBOSClient | None = None
        self._queues: set[str] = set()
        self._launched = False

    @property
    def executor_id(self) -> str | None:
        return self.slot.executor_id if self.slot else None

    @property
    def is_worker(self) -> bool:
        return self._launched

    # -- lifecycle --------------------------------------------------------------------------------
    async def start(self, *, worker: bool, role: str = "serve") -> None:
        """Create DBOS's tables if needed; with `worker`, launch DBOS on the running event loop."""
        try:
            await asyncio.to_thread(DBOS.migrate, self.url)
            self._client = DBOSClient(
                system_database_url=self.url,
                serializer=_SERIALIZER,
                system_database_pool_size=_CLIENT_POOL,
                application_name=APP_NAME,
                lazy=True,
            )
        except Exception as exc:  # DBOS raises many kinds; translated here
            raise JobsError(f"cannot prepare durable work in the database: {exc}") from None
        if worker:
            self.slot = claim(self.data_dir, role, self.settings.executor_id)
            self._launch()

    def _launch(self) -> None:
        assert self.slot is not None
        config: DBOSConfig = {
            "name": APP_NAME,
            "system_database_url": self.url,
            "application_version": self.settings.application_version,
            "executor_id": self.slot.executor_id,
            "serializer": _SERIALIZER,
            "sys_db_pool_size": self.settings.pool_size,
            # No ping before each checkout (a round trip per statement, a tenth of a busy
            # worker's CPU): DBOS retries an operation whose connection turned out dead.
            "db_engine_kwargs": {"pool_pre_ping": False},
            "notification_listener_polling_interval_sec": self.settings.polling_interval_seconds,
            "scheduler_polling_interval_sec": max(self.settings.polling_interval_seconds, 1.0),
            "log_level": "WARNING",
        }
        DBOS(config=config)
        # Launched from the event loop's thread, so DBOS runs async workflows on this loop,
        # where our database engine and HTTP clients live.
        DBOS.launch()
        self._launched = True
        log.info("jobs_worker_started", executor_id=self.slot.executor_id)

    async def stop(self) -> None:
        if self._client is not None:
            await asyncio.to_thread(self._client.destroy)
            self._client = None
        if self._launched:
            await asyncio.to_thread(DBOS.destroy)
            self._launched = False
            # DBOS's async calls make its executor this loop's default one, and destroy shuts
            # that executor down: give the loop a working one back for what runs after.
            asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor())
        if self.slot is not None:
            self.slot.release()

    @property
    def client(self) -> DBOSClient:
        if self._client is None:
            raise JobsError("durable work is not started in this process")
        return self._client

    # -- enqueueing -------------------------------------------------------------------------------
    async def ensure_queue(self, limits: QueueLimits) -> str:
        """Register the queue of `limits` once per process (outside any open transaction)."""
        if limits.name not in self._queues:
            limiter = (
                {"limit": limits.limit, "period": limits.period}
                if limits.limit and limits.period
                else None
            )
            await asyncio.to_thread(
                self.client.register_queue,
                limits.name,
                partition_concurrency=limits.concurrency,
                partition_limiter=limiter,  # type: ignore[arg-type]
                polling_interval_sec=self.settings.polling_interval_seconds,
                application_name=APP_NAME,
            )
            self._queues.add(limits.name)
        return limits.name

    async def ensure_shared_queue(self, name: str, concurrency: int) -> str:
        """Register an unpartitioned queue once per process: at most `concurrency` of its
        workflows run at once in each worker process."""
        if name not in self._queues:
            await asyncio.to_thread(
                self.client.register_queue,
                name,
                worker_concurrency=concurrency,
                polling_interval_sec=self.settings.polling_interval_seconds,
                application_name=APP_NAME,
            )
            self._queues.add(name)
        return name

    async def send(
        self, workflow_id: str, message: Any, *, topic: str, idempotency_key: str | None = None
    ) -> None:
        """Send `message` to a workflow (its `receive` on `topic`); the same key sends once."""
        await self.client.send_async(workflow_id, message, topic, idempotency_key)

    async def cancel(self, workflow_id: str) -> None:
        """Cancel a workflow: it starts no further step (a running step finishes)."""
        await self.client.cancel_workflow_async(workflow_id)

    async def enqueue_in(
        self,
        session: AsyncSession,
        fn: Callable[..., Awaitable[Any]],
        *args: Any,
        workflow_id: str,
        queue: str,
        partition: str | None = None,
    ) -> None:
        """Enqueue `fn(*args)` as part of `session`'s transaction: it runs only if that commits."""
        options = self._options(fn, workflow_id, queue, partition)
        client = self.client
        await session.run_sync(lambda sync: client.enqueue_in_transaction(sync, options, *args))

    async def enqueue(
        self,
        fn: Callable[..., Awaitable[Any]],
        *args: Any,
        workflow_id: str,
        queue: str,
        partition: str | None = None,
    ) -> None:
        """Enqueue `fn(*args)` now, on its own. The same `workflow_id` again is a no-op."""
        options = self._options(fn, workflow_id, queue, partition)
        await self.client.enqueue_async(options, *args)

    def _options(
        self, fn: Callable[..., Awaitable[Any]], workflow_id: str, queue: str, partition: str | None
    ) -> EnqueueOptions:
        options: EnqueueOptions = {
            "workflow_name": _name_of(fn),
            "queue_name": queue,
            "workflow_id": workflow_id,
            "app_version": self.settings.application_version,
            "application_name": APP_NAME,
        }
        if partition is not None:
            options["queue_partition_key"] = partition
        return options

    # -- schedules, recovery, retention (worker processes) ----------------------------------------
    async def apply_schedules(self, schedules: Sequence[Schedule]) -> None:
        entries: list[ScheduleInput] = [
            {"schedule_name": s.name, "workflow_fn": s.workflow, "schedule": s.cron}
            for s in schedules
        ]
        await DBOS.apply_schedules_async(entries)

    async def trigger(self, schedule_name: str) -> str:
        """Run a schedule's workflow now; returns its workflow id."""
        handle: WorkflowHandle[None] = await asyncio.to_thread(DBOS.trigger_schedule, schedule_name)
        return handle.get_workflow_id()

    async def wait(self, workflow_id: str) -> Any:
        handle: WorkflowHandleAsync[Any] = await DBOS.retrieve_workflow_async(workflow_id)
        return await handle.get_result()

    async def recover(self, executor_ids: list[str]) -> int:
        """Put the pending work of (dead) executors back on its queues, for live ones to run.

        DBOS does this only for a process's own id at its start; for another id it has only this
        internal function. It is idempotent: work already taken by a live executor is left alone.
        """
        handles = await asyncio.to_thread(DBOS._recover_pending_workflows, executor_ids)
        return len(handles)

    async def status(self, workflow_id: str) -> str | None:
        found = await asyncio.to_thread(self.client.list_workflows, workflow_ids=[workflow_id])
        return found[0].status if found else None

    async def delete_finished(self, before: datetime, batch: int = 500) -> int:
        """Delete workflows that finished before `before` (one batch; returns how many)."""
        found = await DBOS.list_workflows_async(
            status=FINISHED,
            completed_before=before.isoformat(),
            limit=batch,
            load_input=False,
            load_output=False,
        )
        ids = [w.workflow_id for w in found]
        if ids:
            await DBOS.delete_workflows_async(ids)
        return len(ids)


def _name_of(fn: Callable[..., Any]) -> str:
    name = getattr(fn, "dbos_function_name", None)
    if not isinstance(name, str):
        raise JobsError(f"{fn!r} is not a declared workflow")
    return name
