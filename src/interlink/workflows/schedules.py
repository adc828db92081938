"""Schedule triggers: a DBOS schedule looks every minute for the cron times that fell due.

Each fire time starts one execution (trigger key `schedule:<n>:<time>`), however many workers
look; a time is looked for during `WINDOW` after it, so a worker down longer misses it. A trigger
fires only for times after it came into force (`SINCE`, stored with it): the workflow's creation,
the save that added or changed the trigger, or the workflow's last enablement.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from croniter import croniter

from interlink.core.db import Database
from interlink.jobs import Bound, Schedule, step, workflow
from interlink.workflows.launcher import Launcher
from interlink.workflows.repository import WorkflowRepository

log = structlog.get_logger(__name__)

NAME = "interlink-workflow-schedules"
WINDOW = timedelta(minutes=5)
SINCE = "active_since"  # kept with each schedule trigger in `workflows.triggers`, never shown


def in_force(
    triggers: list[dict[str, Any]], before: list[dict[str, Any]] | None, now: datetime
) -> list[dict[str, Any]]:
    """`triggers` with the time each schedule trigger fires from: kept from `before` for the same
    trigger at the same place (so its fire times keep their keys), `now` for any other (all of
    them when `before` is None: a new or re-enabled workflow)."""
    stamped = []
    for index, trigger in enumerate(triggers):
        if trigger.get("type") != "schedule":
            stamped.append(trigger)
            continue
        old = dict(before[index]) if before is not None and index < len(before) else {}
        since = old.pop(SINCE, None)
        kept = since if old == trigger else None
        stamped.append({**trigger, SINCE: kept or now.isoformat()})
    return stamped


def shown(triggers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The triggers as their owner wrote them (without `SINCE`)."""
    return [{k: v for k, v in t.items() if k != SINCE} for t in triggers]


def _since(trigger: dict[str, Any], created_at: datetime) -> datetime:
    """When the trigger came into force (its workflow's creation for rows saved before `SINCE`)."""
    since = trigger.get(SINCE)
    moment = datetime.fromisoformat(since) if isinstance(since, str) else created_at
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def due_times(cron: str, timezone: str, after: datetime, until: datetime) -> list[datetime]:
    """The fire times of `cron` in `timezone` in (after, until], as UTC datetimes."""
    zone = ZoneInfo(timezone)
    times: list[datetime] = []
    iterator = croniter(cron, after.astimezone(zone))
    for _ in range(1000):
        fire: datetime = iterator.get_next(datetime)
        if fire > until:
            break
        times.append(fire.astimezone(UTC))
    return times


class Scheduler:
    def __init__(self, db: Database, launcher: Launcher) -> None:
        self.db = db
        self.launcher = launcher

    async def fire_due(self, now: datetime) -> int:
        """Start the executions due at or before `now` not started yet; returns how many."""
        async with self.db.read() as session:
            rows = await WorkflowRepository(session).enabled()
        started = 0
        for row in rows:
            for index, trigger in enumerate(row.triggers):
                if trigger.get("type") != "schedule":
                    continue
                after = max(now - WINDOW, _since(trigger, row.created_at))
                for fire in due_times(trigger["cron"], trigger.get("timezone", "UTC"), after, now):
                    key = f"schedule:{index}:{fire.isoformat()}"
                    async with self.db.transaction() as session:
                        current = await WorkflowRepository(session).find(row.id)
                        if current is None or not current.enabled:
                            continue
                        execution = await self.launcher.start(
                            session, current, dict(trigger.get("input") or {}),
                            trigger="schedule", created_by="schedule", trigger_key=key,
                        )  # fmt: skip
                    started += execution is not None
        return started


scheduler = Bound[Scheduler]("the workflow scheduler")


@workflow("interlink.workflows.schedule_sweep")
async def schedule_sweep(scheduled_at: datetime, context: Any) -> None:
    await _fire_due(scheduled_at.isoformat())


@step("interlink.workflows.fire_due")
async def _fire_due(tick: str) -> int:
    moment = datetime.fromisoformat(tick)
    return await scheduler().fire_due(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def schedule(cron: str) -> Schedule:
    return Schedule(NAME, schedule_sweep, cron)
