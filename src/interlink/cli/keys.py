"""`interlink keys`: the workspace's API keys (an admin key is needed)."""

from __future__ import annotations

from itertools import islice
from typing import Annotated

import typer

from interlink.cli.output import Json, Limit, console, emit_json, fields, table
from interlink.cli.remote import connect

app = typer.Typer(help="API keys: create (shown once), list, revoke.", no_args_is_help=True)

SCOPES = (
    "admin, integrations:read, integrations:write, credentials:read, credentials:write, "
    "credentials:use, webhooks:read, webhooks:write, workflows:read, workflows:write"
)


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A name to tell the key apart")],
    scope: Annotated[
        list[str], typer.Option("--scope", "-s", help=f"A scope (repeat it): {SCOPES}")
    ],
    expires_at: Annotated[
        str | None, typer.Option(help="RFC 3339 time the key stops working")
    ] = None,
    rate_limit: Annotated[
        str | None, typer.Option(help="This key's request limit, e.g. 100/minute")
    ] = None,
    as_json: Json = False,
) -> None:
    """Create an API key and print it (shown this once: store it now)."""
    with connect(ctx) as client:
        made = client.api_keys.create_api_key(
            name, scope, expires_at=expires_at, rate_limit=rate_limit
        )
    if as_json:
        emit_json(made)
        return
    console.print(
        f"API key [bold]{made.id}[/] ({made.name}) created, scopes {', '.join(made.scopes)}"
    )
    console.print(f"key (shown once, store it now): [bold]{made.key}[/]", highlight=False)


@app.command("list")
def list_keys(ctx: typer.Context, limit: Limit = 50, as_json: Json = False) -> None:
    """List the API keys (never the keys, only their first characters)."""
    with connect(ctx) as client:
        keys = list(islice(client.api_keys.list_api_keys(page_size=min(limit, 100)), limit))
    if as_json:
        emit_json(keys)
        return
    columns = ("id", "name", "prefix", "scopes", "rate limit", "last used", "expires")
    rows = [
        (k.id, k.name, k.prefix, k.scopes, k.rate_limit, k.last_used_at, k.expires_at) for k in keys
    ]
    table(columns, rows, title=f"{len(keys)} API keys")


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    key_id: Annotated[str, typer.Argument(help="The key's id (key_...)")],
    as_json: Json = False,
) -> None:
    """Revoke an API key: requests with it fail from the next one on."""
    with connect(ctx) as client:
        revoked = client.api_keys.revoke_api_key(key_id)
    if as_json:
        emit_json(revoked)
        return
    fields({"id": revoked.id, "revoked at": revoked.revoked_at}, title="API key revoked")
