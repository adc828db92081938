from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from interlink.auth.service import AuthService
from interlink.auth.tokens import TokenVerifier
from interlink.cli import settings as cli_settings
from interlink.cli.output import console, emit_json, fail
from interlink.config import Settings
from interlink.core.clock import SystemClock
from interlink.core.db import Database
from interlink.startup import StartupError, prepare

app = typer.Typer(help="Workspaces: every row belongs to one.", no_args_is_help=True)


async def _create(settings: Settings, name: str) -> dict[str, str]:
    clock = SystemClock()
    prepared = await prepare(settings, clock)
    db = Database(settings.database_url, pool_size=1)
    try:
        async with db.transaction() as session:
            new = await AuthService(clock, TokenVerifier(settings.jwt)).create_workspace(
                session, name
            )
    finally:
        await db.dispose()
    created = {"id": new.workspace.id, "name": name, "admin_key": new.admin_key.plaintext}
    if prepared.admin_key and prepared.workspace_id:  # this was the database's first start
        created["default_workspace_id"] = prepared.workspace_id
        created["default_admin_key"] = prepared.admin_key
    return created


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="The workspace's name")],
    data_dir: cli_settings.DataDir = None,
    database_url: cli_settings.DatabaseUrl = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
) -> None:
    """Create a workspace and print its first admin API key (shown once)."""
    if not 1 <= len(name) <= 200:
        fail("the name must be 1 to 200 characters", "INVALID_REQUEST")
    settings = cli_settings.load(data_dir=data_dir, database_url=database_url)
    try:
        created = asyncio.run(_create(settings, name))
    except StartupError as exc:
        fail(str(exc), "STARTUP_FAILED")
    if as_json:
        emit_json(created)
        return
    console.print(f"workspace [bold]{created['id']}[/] ({name}) created")
    console.print(f"admin API key (shown once, store it now): [bold]{created['admin_key']}[/]")
    if "default_admin_key" in created:
        console.print(
            f"first start of this database: workspace {created['default_workspace_id']} (default) "
            f"was made too; its admin API key (shown once): [bold]{created['default_admin_key']}[/]"
        )
