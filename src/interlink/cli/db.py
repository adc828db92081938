from __future__ import annotations

import typer

from interlink.cli import settings as cli_settings
from interlink.cli.output import console
from interlink.migrations.runner import upgrade_sync

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(
    data_dir: cli_settings.DataDir = None, database_url: cli_settings.DatabaseUrl = None
) -> None:
    """Apply every pending migration (the server also does this when it starts)."""
    settings = cli_settings.load(data_dir=data_dir, database_url=database_url)
    if settings.uses_embedded_database:
        settings.server.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    upgrade_sync(settings.database_url)
    console.print("[green]database is up to date[/]")
