from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn

from interlink.cli import settings as cli_settings
from interlink.cli.output import console, emit_json, fail
from interlink.core.clock import SystemClock
from interlink.idempotency.service import IdempotencyStore
from interlink.vault.keyring import VaultError
from interlink.vault.lifecycle import VaultKeys
from interlink.vault.rotation import rotate
from interlink.webhooks.service import reseal_webhook_secrets

app = typer.Typer(help="The vault's encryption keys.", no_args_is_help=True)


@app.command("rotate-key")
def rotate_key(
    data_dir: cli_settings.DataDir = None,
    database_url: cli_settings.DatabaseUrl = None,
    grace_seconds: Annotated[
        float, typer.Option(help="Wait before the last sweep, for writes in flight")
    ] = 2.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Add a new vault key, re-encrypt every secret under it and retire the old keys.

    With a key file (the embedded default) the new key is made here, and running services
    pick it up by themselves. With INTERLINK_VAULT_KEYS: first add the new key there (keeping
    the old one), name it in INTERLINK_VAULT_ACTIVE_KEY and restart every process; then run
    this; then remove the old key and restart again. See docs/security.md.
    """
    settings = cli_settings.load(data_dir=data_dir, database_url=database_url)
    # With --json, stdout carries the report alone: no spinner line before it.
    columns = (SpinnerColumn(), TextColumn("{task.description}"))
    with Progress(*columns, console=console, disable=as_json) as bar:
        task = bar.add_task("re-encrypting secrets", total=None)

        def advance(count: int) -> None:
            bar.update(task, advance=count)

        try:
            report = asyncio.run(
                rotate(
                    settings,
                    SystemClock(),
                    [VaultKeys.reseal_credentials, IdempotencyStore.reseal, reseal_webhook_secrets],
                    grace_seconds=grace_seconds,
                    on_progress=advance,
                )
            )
        except VaultError as exc:
            fail(str(exc), "VAULT_ERROR")
    if as_json:
        emit_json(report.__dict__)
        return
    console.print(
        f"[green]active key is now {report.new_key_id}[/]; re-encrypted {report.resealed}"
    )
    if report.retired_key_ids and not report.key_file_updated:
        console.print(
            f"no data uses {', '.join(report.retired_key_ids)} any more: remove it from "
            "INTERLINK_VAULT_KEYS and restart every process (each must already run with "
            f"INTERLINK_VAULT_ACTIVE_KEY={report.new_key_id})"
        )
    elif report.retired_key_ids:
        console.print(f"retired: {', '.join(report.retired_key_ids)}")
