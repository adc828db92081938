"""Settings from INTERLINK_* variables, with the command line's options laid over them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from pydantic_settings import SettingsError

from interlink.cli.output import fail
from interlink.config import DatabaseSettings, RedisSettings, ServerSettings, Settings
from interlink.core.errors import validation_details

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Data directory (env INTERLINK_DATA_DIR)")
]
DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", help="SQLAlchemy URL (env INTERLINK_DATABASE_URL)"),
]


def load(
    *,
    data_dir: Path | None = None,
    database_url: str | None = None,
    redis_url: str | None = None,
    host: str | None = None,
    port: int | None = None,
) -> Settings:
    """Settings from the environment, with the options given on the command line laid over them."""
    server = {k: v for k, v in {"data_dir": data_dir, "host": host, "port": port}.items() if v}
    try:
        settings = Settings()  # reads INTERLINK_* variables
        if server:
            settings.server = ServerSettings(**(settings.server.model_dump() | server))
        if database_url:
            settings.db = DatabaseSettings(**(settings.db.model_dump() | {"url": database_url}))
        if redis_url:
            settings.redis = RedisSettings(url=redis_url)
    except ValidationError as exc:
        details = validation_details(exc.errors())
        problems = "; ".join(f"{d['field']}: {d['message']}" for d in details)
        fail(f"invalid settings: {problems}", "INVALID_SETTINGS")
    except (SettingsError, ValueError) as exc:
        fail(f"invalid settings: {exc}", "INVALID_SETTINGS")
    return settings
