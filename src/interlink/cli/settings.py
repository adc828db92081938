"""Settings from INTERLINK_* variables, with the command line's options laid over them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from interlink.cli.output import fail
from interlink.config import Settings

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Data directory [env: INTERLINK_DATA_DIR]")
]
DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", help="SQLAlchemy URL [env: INTERLINK_DATABASE_URL]"),
]


def load(
    *,
    data_dir: Path | None = None,
    database_url: str | None = None,
    redis_url: str | None = None,
    host: str | None = None,
    port: int | None = None,
) -> Settings:
    try:
        settings = Settings()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        fail(f"invalid settings: {problems}", "INVALID_SETTINGS")
    server = {k: v for k, v in {"data_dir": data_dir, "host": host, "port": port}.items() if v}
    if server:
        settings.server = settings.server.model_copy(update=server)
    if database_url:
        settings.db = settings.db.model_copy(update={"url": database_url})
    if redis_url:
        settings.redis = settings.redis.model_copy(update={"url": redis_url})
    return settings
