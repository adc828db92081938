"""Retention: a scheduled workflow deletes finished workflow records older than the setting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog

from interlink.config import JobsSettings
from interlink.core.clock import Clock
from interlink.jobs.bound import Bound
from interlink.jobs.runtime import Jobs, Schedule, step, workflow

log = structlog.get_logger(__name__)

MAX_BATCHES = 100  # per run; what is left waits for the next run


@dataclass
class Retention:
    jobs: Jobs
    clock: Clock
    settings: JobsSettings

    async def run(self) -> int:
        """Delete finished workflows older than the retention; returns how many."""
        before = self.clock.now() - timedelta(hours=self.settings.retention_hours)
        deleted = 0
        for _ in range(MAX_BATCHES):
            count = await self.jobs.delete_finished(before)
            deleted += count
            if count == 0:
                break
        if deleted:
            log.info("workflows_deleted", count=deleted, before=before.isoformat())
        return deleted


retention = Bound[Retention]("retention")


@workflow("interlink.jobs.cleanup")
async def cleanup_workflow(scheduled_at: datetime, context: Any) -> None:
    await _delete_old()


# DBOS's own list/delete calls, made directly in a workflow, would checkpoint their results
# (WorkflowStatus objects, which the JSON serializer refuses); inside a step they are not.
@step("interlink.jobs.cleanup.delete")
async def _delete_old() -> int:
    return await retention().run()


def schedule(settings: JobsSettings) -> Schedule:
    return Schedule("interlink-cleanup", cleanup_workflow, settings.cleanup_cron)
