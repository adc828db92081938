"""Background work in a process: enqueue only (an API process without a worker), or a worker too:
DBOS launched, schedules applied, heartbeats and the reaper running; and the webhook dispatcher
unless `INTERLINK_WEBHOOKS_DISPATCHER_ENABLED=false`."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from interlink.api import metrics
from interlink.api.services import Services
from interlink.integrations import durable
from interlink.jobs import cleanup
from interlink.jobs.reaper import Reaper
from interlink.workflows import engine, schedules


@dataclass
class Background:
    services: Services
    reaper: Reaper | None = None
    metrics_server: web.AppRunner | None = None

    @property
    def executor_id(self) -> str | None:
        return self.services.jobs.executor_id

    async def stop(self) -> None:
        if self.metrics_server is not None:
            await self.metrics_server.cleanup()
        await self.services.follower.stop()
        await self.services.dispatcher.stop()
        if self.reaper is not None:
            await self.reaper.stop()
        await self.services.jobs.stop()


async def start(services: Services, *, worker: bool, role: str) -> Background:
    settings = services.settings.jobs
    durable.bound.bind(services.durable)
    cleanup.retention.bind(cleanup.Retention(services.jobs, services.clock, settings))
    engine.bound.bind(services.engine)
    schedules.scheduler.bind(services.scheduler)
    await services.jobs.start(worker=worker, role=role)
    await services.jobs.ensure_shared_queue(engine.QUEUE, settings.workflow_concurrency)
    if services.settings.webhooks.dispatcher_enabled:
        services.dispatcher.start()
    if not worker:
        return Background(services)
    await services.jobs.apply_schedules(
        [
            *durable.schedules(settings),
            cleanup.schedule(settings),
            schedules.schedule(settings.workflow_schedule_cron),
        ]
    )
    services.follower.start()
    reaper = Reaper(services.jobs, services.db, services.clock, settings, role)
    await reaper.beat()
    reaper.start()
    served = services.settings.metrics
    server = None
    if role == "worker" and served.enabled and served.port is not None:
        server = await metrics.serve(services.metrics, served, served.port)
    return Background(services, reaper, server)
