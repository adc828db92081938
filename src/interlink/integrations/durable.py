"""Durable work of integrations: async operations and scheduled health checks, on `jobs`.

An async operation is queued in the request: its row (status `queued`) and the enqueued workflow
commit in one transaction. A worker runs it on the integration's partition through the same
`OperationService` code as a synchronous call (connector, transport, OAuth, recorder). The
workflow id is the operation id, which is also the provider's idempotency key, so a run repeated
after a crash is one side effect at the provider.

Synchronous operations whose process died during the call: a schedule looks every minute for
rows still `running` past their deadline and records them as interrupted.

Health checks: a schedule looks every minute for active integrations whose last check is older
than their interval (`configuration.health_check_interval_seconds`, else the setting) and
enqueues one check each on the integration's partition; `HealthService.check` runs it and writes
`integration.health_changed` when the status changes.

Workflows are module functions (DBOS finds them by name after a restart); the services they use
are bound once per process by `bound.bind`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select

from interlink.auth.scopes import Principal
from interlink.config import JobsSettings
from interlink.core.clock import Clock
from interlink.core.db import Database
from interlink.core.errors import InterlinkError
from interlink.integrations.health_service import HealthService
from interlink.integrations.models import Integration, Operation
from interlink.integrations.operations_service import OperationService
from interlink.jobs import Bound, Jobs, QueueLimits, Schedule, step, workflow
from interlink.transport.settings import rates_of
from interlink.vault.keyring import Keyring

log = structlog.get_logger(__name__)

HEALTH_SWEEP = "interlink-health-sweep"
INTERRUPTED_SWEEP = "interlink-interrupted-operations-sweep"
_SYSTEM = "system:scheduler"


def queue_limits(configuration: Mapping[str, Any], settings: JobsSettings) -> QueueLimits:
    """The queue of an integration: its concurrency and strictest rate, per partition."""
    limits: Mapping[str, Any] = configuration.get("rate_limiting") or {}
    concurrency = int(limits.get("max_concurrent_requests") or settings.partition_concurrency)
    rates = rates_of(configuration)
    if not rates:
        return QueueLimits(concurrency)
    strictest = min(rates, key=lambda r: r.count / r.period_seconds)
    return QueueLimits(concurrency, max(1, math.ceil(strictest.count)), strictest.period_seconds)


def health_interval(configuration: Mapping[str, Any], settings: JobsSettings) -> float:
    given = configuration.get("health_check_interval_seconds")
    return float(given) if given else float(settings.health_check_interval_seconds)


@dataclass
class Durable:
    """What the workflows of this module use, bound once per process."""

    settings: JobsSettings
    clock: Clock
    db: Database
    jobs: Jobs
    keyring: Keyring
    operations: OperationService
    health: HealthService

    # -- async operations -------------------------------------------------------------------------
    async def submit(
        self, principal: Principal, integration_id: str, name: str, parameters: dict[str, Any]
    ) -> Operation:
        """Queue an operation: its row and its workflow commit together, or neither does."""
        row = await self.operations.integration(principal.workspace_id, integration_id)
        queue = await self.jobs.ensure_queue(queue_limits(row.configuration, self.settings))
        async with self.db.transaction() as session:
            operation = await self.operations.queue(session, principal, row, name, parameters)
            await session.flush()
            sealed = self._seal(operation, parameters)
            await self.jobs.enqueue_in(
                session, run_operation, operation.workspace_id, operation.integration_id,
                operation.id, sealed, workflow_id=operation.id, queue=queue, partition=row.id,
            )  # fmt: skip
        return operation

    def _seal(self, operation: Operation, parameters: dict[str, Any]) -> str:
        # The parameters as given (secret-shaped ones included) wait in DBOS's tables: sealed.
        return self.keyring.seal(json.dumps(parameters).encode(), _aad(operation.id))

    def open_parameters(self, operation_id: str, sealed: str) -> dict[str, Any]:
        opened: dict[str, Any] = json.loads(self.keyring.open(sealed, _aad(operation_id)))
        return opened

    # -- health checks ----------------------------------------------------------------------------
    async def due_checks(self) -> list[tuple[str, str, dict[str, Any]]]:
        """(workspace, integration, configuration) of active integrations due for a check."""
        now = self.clock.now()
        query = select(
            Integration.workspace_id, Integration.id, Integration.configuration,
            Integration.health_checked_at,
        ).where(Integration.status == "active")  # fmt: skip
        async with self.db.read() as session:
            rows = (await session.execute(query)).all()
        return [
            (workspace_id, integration_id, configuration)
            for workspace_id, integration_id, configuration, checked in rows
            if _due(checked, health_interval(configuration, self.settings), now)
        ]

    async def enqueue_due_checks(self, tick: str) -> int:
        due = await self.due_checks()
        for workspace_id, integration_id, configuration in due:
            queue = await self.jobs.ensure_queue(queue_limits(configuration, self.settings))
            await self.jobs.enqueue(
                run_health_check, workspace_id, integration_id,
                workflow_id=f"health:{integration_id}:{tick}", queue=queue,
                partition=integration_id,
            )  # fmt: skip
        return len(due)

    async def check(self, workspace_id: str, integration_id: str) -> str:
        principal = Principal(workspace_id=workspace_id, subject=_SYSTEM, scopes=frozenset())
        try:
            run = await self.health.check(principal, integration_id)
        except InterlinkError as exc:  # deleted meanwhile, or its connector is gone
            log.info("health_check_skipped", integration_id=integration_id, code=exc.code)
            return "skipped"
        return run.status


def _aad(operation_id: str) -> str:
    return f"async-operation:{operation_id}"


def _due(checked: datetime | None, interval: float, now: datetime) -> bool:
    return checked is None or checked + timedelta(seconds=interval) <= now


bound = Bound[Durable]("integrations' durable work")


# -- workflows: their names are stored with queued work, never rename them ---------------------
@workflow("interlink.operations.run")
async def run_operation(
    workspace_id: str, integration_id: str, operation_id: str, sealed: str
) -> str:
    return await _call(workspace_id, integration_id, operation_id, sealed)


@step("interlink.operations.call")
async def _call(workspace_id: str, integration_id: str, operation_id: str, sealed: str) -> str:
    durable = bound()
    parameters = durable.open_parameters(operation_id, sealed)
    return await durable.operations.run_queued(
        workspace_id, integration_id, operation_id, parameters
    )


@workflow("interlink.health.sweep")
async def health_sweep(scheduled_at: datetime, context: Any) -> None:
    await _enqueue_due(str(scheduled_at))


@step("interlink.health.enqueue_due")
async def _enqueue_due(tick: str) -> int:
    return await bound().enqueue_due_checks(tick)


@workflow("interlink.health.check")
async def run_health_check(workspace_id: str, integration_id: str) -> str:
    return await _check(workspace_id, integration_id)


@step("interlink.health.run")
async def _check(workspace_id: str, integration_id: str) -> str:
    return await bound().check(workspace_id, integration_id)


@workflow("interlink.operations.sweep_interrupted")
async def interrupted_sweep(scheduled_at: datetime, context: Any) -> None:
    await _interrupt_overdue()


@step("interlink.operations.interrupt_overdue")
async def _interrupt_overdue() -> int:
    return await bound().operations.interrupt_overdue()


def schedules(settings: JobsSettings) -> list[Schedule]:
    return [
        Schedule(HEALTH_SWEEP, health_sweep, settings.health_sweep_cron),
        Schedule(INTERRUPTED_SWEEP, interrupted_sweep, settings.health_sweep_cron),
    ]
