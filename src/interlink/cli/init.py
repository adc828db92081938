"""`interlink init`: make a data dir ready to serve, and a file of the settings that point the
CLI at it.

On an embedded (SQLite) setup it creates the data dir (mode 0700), the schema, the vault key
file (mode 0600) and, on a database's first start, the default workspace and its admin API key,
then writes `<data dir>/interlink.env` (mode 0600): INTERLINK_DATA_DIR, INTERLINK_URL and
INTERLINK_API_KEY, to load with `set -a; . .interlink/interlink.env; set +a`. Run again on a
database already set up, it changes nothing: the keys stay, and so does the env file.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Annotated

import typer

from interlink.cli import settings as cli_settings
from interlink.cli.output import Json, console, emit_json, fail
from interlink.config import Settings
from interlink.core.clock import SystemClock
from interlink.startup import Startup, StartupError, prepare

ENV_FILE = "interlink.env"


def _env_text(settings: Settings, url: str, admin_key: str) -> str:
    lines = [
        "# Written by `interlink init`. Load it with: set -a; . ./interlink.env; set +a",
        "# It holds an admin API key: keep it private (mode 0600).",
        f"INTERLINK_DATA_DIR={settings.server.data_dir.resolve()}",
        f"INTERLINK_URL={url}",
        f"INTERLINK_API_KEY={admin_key}",
    ]
    if not settings.uses_embedded_database:
        lines.insert(3, f"INTERLINK_DATABASE_URL={settings.database_url}")
    return "\n".join(lines) + "\n"


def _write_private(path: Path, text: str) -> None:
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


def _report(
    settings: Settings, prepared: Startup, url: str, env_file: Path | None
) -> dict[str, str | None]:
    return {
        "data_dir": str(settings.server.data_dir.resolve()),
        "database_url": settings.database_url,
        "vault_key_file": str(prepared.created_key_file.resolve())
        if prepared.created_key_file
        else None,
        "workspace_id": prepared.workspace_id,
        "admin_key": prepared.admin_key,
        "url": url,
        "env_file": str(env_file) if env_file else None,
    }


def init(
    data_dir: cli_settings.DataDir = None,
    database_url: cli_settings.DatabaseUrl = None,
    port: Annotated[
        int | None, typer.Option(help="The port `interlink serve` will use (env INTERLINK_PORT)")
    ] = None,
    as_json: Json = False,
) -> None:
    """Prepare a data dir (schema, vault key, first admin API key) and write interlink.env,
    the settings that point the CLI at it."""
    settings = cli_settings.load(data_dir=data_dir, database_url=database_url, port=port)
    try:
        prepared = asyncio.run(prepare(settings, SystemClock()))
    except StartupError as exc:
        fail(str(exc), "STARTUP_FAILED")
    url = f"http://{settings.server.host}:{settings.server.port}"
    path = settings.server.data_dir / ENV_FILE
    if prepared.admin_key:  # a new database: an older env file's key would not work on it
        _write_private(path, _env_text(settings, url, prepared.admin_key))
    env_file = path if path.exists() else None
    if as_json:
        emit_json(_report(settings, prepared, url, env_file))
        return
    _explain(settings, prepared, url, env_file)


def _explain(settings: Settings, prepared: Startup, url: str, env_file: Path | None) -> None:
    console.print(
        f"[green]data dir ready[/]: {settings.server.data_dir.resolve()}", highlight=False
    )
    if prepared.created_key_file:
        console.print(
            f"  vault key: {prepared.created_key_file.resolve()} (made now, mode 0600: back it "
            "up; without it the credentials cannot be read)", highlight=False,
        )  # fmt: skip
    if prepared.admin_key:
        console.print(f"  admin API key (shown once, store it now): [bold]{prepared.admin_key}[/]")
    else:
        console.print("  this database was already set up: its admin API keys stay as they are")
    if env_file:
        console.print(f"  settings for the CLI: {env_file} (mode 0600)", highlight=False)
        console.print(f"next: set -a; . {env_file}; set +a; interlink serve", highlight=False)
        console.print("then, in another shell with the same settings: interlink integrations list")
    else:
        console.print(f"next: interlink serve, then set INTERLINK_URL={url} and INTERLINK_API_KEY")
