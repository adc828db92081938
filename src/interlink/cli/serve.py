from __future__ import annotations

import asyncio
from typing import Annotated

import typer
import uvicorn

from interlink import logs
from interlink.app import create_app
from interlink.cli import settings as cli_settings
from interlink.cli.output import console, fail
from interlink.core.clock import SystemClock
from interlink.startup import Startup, StartupError, prepare


def _banner(prepared: Startup, url: str, data_dir: str | None) -> None:
    console.print(f"[bold green]Interlink is running[/] at [link={url}]{url}[/]")
    console.print(f"  API docs:  {url}/docs")
    if data_dir:
        console.print(f"  data dir:  {data_dir}")
    if prepared.created_key_file:
        console.print(
            f"  vault key: {prepared.created_key_file.resolve()} (made now, mode 0600: back it up; "
            "without it the credentials cannot be read)"
        )
    if prepared.admin_key:
        console.print(f"  admin API key (shown once, store it now): [bold]{prepared.admin_key}[/]")
        console.print(
            f'  try: curl -H "Authorization: Bearer {prepared.admin_key}" {url}/api/v1/integrations'
        )
    else:
        console.print("  admin API key: shown at first start; make more with POST /api/v1/api-keys")


def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (env INTERLINK_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (env INTERLINK_PORT)")] = None,
    data_dir: cli_settings.DataDir = None,
    database_url: cli_settings.DatabaseUrl = None,
    redis_url: Annotated[
        str | None, typer.Option("--redis-url", help="Redis URL (env INTERLINK_REDIS_URL)")
    ] = None,
    worker: Annotated[
        bool | None,
        typer.Option(
            "--worker/--no-worker",
            help="Run durable work in this process too (env INTERLINK_JOBS_EMBEDDED_WORKER)",
        ),
    ] = None,
) -> None:
    """Start the API server (on the embedded SQLite database unless told otherwise)."""
    settings = cli_settings.load(
        data_dir=data_dir, database_url=database_url, redis_url=redis_url, host=host, port=port
    )
    if worker is not None:
        settings.jobs = settings.jobs.model_copy(update={"embedded_worker": worker})
    logs.configure(settings.log)
    try:
        prepared = asyncio.run(prepare(settings, SystemClock()))
    except StartupError as exc:
        fail(str(exc), "STARTUP_FAILED")
    url = f"http://{settings.server.host}:{settings.server.port}"
    shown_dir = str(settings.server.data_dir.resolve()) if settings.uses_embedded_database else None
    _banner(prepared, url, shown_dir)
    uvicorn.run(
        create_app(settings, long_lived=True),
        host=settings.server.host,
        port=settings.server.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=settings.server.graceful_shutdown_seconds,
    )
