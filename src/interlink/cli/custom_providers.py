"""`interlink custom-providers`: providers declared as data (docs/connectors/custom.md)."""

from __future__ import annotations

from itertools import islice
from pathlib import Path
from typing import Annotated

import typer

from interlink.cli.output import Json, Limit, console, emit_json, fields, table
from interlink.cli.remote import bad_input, connect, read_document
from interlink.sdk import CustomProvider

app = typer.Typer(
    help="Custom providers: declare any REST or GraphQL API as data.", no_args_is_help=True
)

Key = Annotated[str, typer.Argument(help="The provider's key (e.g. acme)")]


def _show(provider: CustomProvider, title: str) -> None:
    declaration = provider.declaration
    fields(
        {
            "key": provider.key, "name": provider.name, "version": provider.version,
            "base url": declaration.get("base_url"), "auth": declaration["auth"].get("mode"),
            "actions": provider.actions, "saved": provider.created_at,
            "saved by": provider.created_by,
        },
        title=title,
    )  # fmt: skip


@app.command("apply")
def apply(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The declaration: a JSON or YAML file")],
    as_json: Json = False,
) -> None:
    """Declare a provider, or change it (saved as its next version; integrations keep the
    version they pin until moved to another)."""
    declaration = read_document(file)
    if not isinstance(declaration.get("key"), str) or not declaration["key"]:
        bad_input(f"{file}: a declaration names its provider in `key`")
    with connect(ctx) as client:
        provider = client.custom_providers.apply_custom_provider(declaration)
    if as_json:
        emit_json(provider)
        return
    _show(provider, f"custom provider {provider.key} saved as version {provider.version}")


@app.command("list")
def list_providers(ctx: typer.Context, limit: Limit = 50, as_json: Json = False) -> None:
    """List the workspace's custom providers, each at its current version."""
    with connect(ctx) as client:
        pager = client.custom_providers.list_custom_providers(page_size=min(limit, 100))
        found = list(islice(pager, limit))
    if as_json:
        emit_json(found)
        return
    rows = [(p.key, p.name, p.version, p.actions, p.created_at) for p in found]
    table(("key", "name", "version", "actions", "saved"), rows, f"{len(rows)} custom providers")


@app.command("show")
def show(
    ctx: typer.Context,
    key: Key,
    version: Annotated[int | None, typer.Option(min=1, help="An older version")] = None,
    as_json: Json = False,
) -> None:
    """Show a custom provider's declaration (its current version, or the one asked)."""
    with connect(ctx) as client:
        provider = client.custom_providers.get_custom_provider(key, version=version)
    if as_json:
        emit_json(provider)
        return
    _show(provider, f"custom provider {provider.key}")


@app.command("delete")
def delete(
    ctx: typer.Context,
    key: Key,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first")] = False,
    as_json: Json = False,
) -> None:
    """Delete a custom provider and all its versions (refused while integrations use it)."""
    if not yes:
        typer.confirm(f"Delete custom provider {key} and all its versions?", abort=True)
    with connect(ctx) as client:
        deleted = client.custom_providers.delete_custom_provider(key)
    if as_json:
        emit_json(deleted)
        return
    console.print(f"custom provider {deleted.key} deleted")
