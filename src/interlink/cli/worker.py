"""`interlink worker`: background work only (async operations, schedules, recovery, webhook
deliveries), no HTTP."""

from __future__ import annotations

import asyncio
import faulthandler
import os
import signal
import threading
from collections.abc import Coroutine
from typing import Annotated, Any

import structlog
import typer

from interlink import background, logs
from interlink.api.services import Services
from interlink.cli import settings as cli_settings
from interlink.cli.output import console, fail
from interlink.config import Settings
from interlink.core import collector
from interlink.core.clock import SystemClock
from interlink.core.db import Database
from interlink.jobs import JobsError
from interlink.startup import StartupError, prepare

log = structlog.get_logger(__name__)


async def _run(settings: Settings) -> None:
    clock = SystemClock()
    prepared = await prepare(settings, clock)
    if prepared.admin_key:
        console.print(f"  admin API key (shown once, store it now): [bold]{prepared.admin_key}[/]")
    db = Database(settings.database_url, pool_size=settings.db.pool_size)
    services = Services.build(settings, clock, db, prepared.keyring)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    running = await background.start(services, worker=True, role="worker")
    collector.settle_after_startup()
    console.print(f"Interlink worker is running, executor id [bold]{running.executor_id}[/]")
    try:
        await stop.wait()
    finally:
        exit_by(settings.jobs.shutdown_seconds)
        await running.stop()
        await services.close()


def _event_loop_run(main: Coroutine[Any, Any, None]) -> None:
    """Run `main` on uvloop where it is installed, as `interlink serve` runs (uvicorn picks it):
    a busy worker spends a good part of its time in the event loop's own I/O."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
    else:
        uvloop.run(main)


def exit_by(seconds: float) -> None:
    """Make sure the process ends `seconds` from now: a shutdown held up (a thread that does not
    return, a connection that does not close) ends with the stacks of every thread on stderr
    and exit code 1. Nothing is lost: unfinished work is resumed by a restart or the reaper."""

    def force() -> None:
        log.warning("worker_shutdown_forced", after_seconds=seconds)
        faulthandler.dump_traceback(all_threads=True)
        os._exit(1)

    timer = threading.Timer(seconds, force)
    timer.daemon = True
    timer.start()


def worker(
    data_dir: cli_settings.DataDir = None,
    database_url: cli_settings.DatabaseUrl = None,
    redis_url: Annotated[
        str | None, typer.Option("--redis-url", help="Redis URL (env INTERLINK_REDIS_URL)")
    ] = None,
    executor_id: Annotated[
        str | None,
        typer.Option(
            "--executor-id", help="This process's executor id (env INTERLINK_JOBS_EXECUTOR_ID)"
        ),
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            "--metrics-port",
            help="Serve Prometheus /metrics on this port (env INTERLINK_METRICS_PORT; host "
            "INTERLINK_METRICS_HOST, default 127.0.0.1)",
            min=1,
            max=65535,
        ),
    ] = None,
) -> None:
    """Run background work only: async operations, scheduled health checks, recovery, cleanup,
    webhook deliveries."""
    settings = cli_settings.load(data_dir=data_dir, database_url=database_url, redis_url=redis_url)
    if executor_id:
        settings.jobs = settings.jobs.model_copy(update={"executor_id": executor_id})
    if metrics_port:
        settings.metrics = settings.metrics.model_copy(update={"port": metrics_port})
    logs.configure(settings.log)
    try:
        _event_loop_run(_run(settings))
    except (StartupError, JobsError) as exc:
        fail(str(exc), "STARTUP_FAILED")
