"""`interlink connectors`: the connector types this server offers, and their actions."""

from __future__ import annotations

from typing import Annotated

import typer

from interlink.cli.output import Json, console, emit_json, fields, table
from interlink.cli.remote import connect

app = typer.Typer(help="The connector catalog: types and their actions.", no_args_is_help=True)


@app.command("list")
def list_connectors(ctx: typer.Context, as_json: Json = False) -> None:
    """List the connector types of the catalog."""
    with connect(ctx) as client:
        catalog = list(client.connectors.list_connectors())
    if as_json:
        emit_json(catalog)
        return
    rows = [(c.type, c.name, c.category, c.auth_methods, len(c.actions)) for c in catalog]
    table(("type", "name", "category", "auth", "actions"), rows, f"{len(catalog)} connectors")


@app.command("show")
def show(
    ctx: typer.Context,
    connector_type: Annotated[str, typer.Argument(help="The connector type, e.g. github")],
    as_json: Json = False,
) -> None:
    """Show a connector type and each of its actions."""
    with connect(ctx) as client:
        connector = client.connectors.get_connector(connector_type)
    if as_json:
        emit_json(connector)
        return
    fields(
        {
            "type": connector.type, "name": connector.name, "category": connector.category,
            "description": connector.description, "auth methods": connector.auth_methods,
            "default API URL": connector.default_api_url,
            "custom API URL": connector.api_url_hint, "provider docs": connector.docs_url,
        },
        title=f"connector {connector.type}",
    )  # fmt: skip
    rows = [
        (a.name, ", ".join(a.input_schema.get("properties", {})), a.description)
        for a in connector.actions
    ]
    table(("action", "parameters", "description"), rows, f"{len(rows)} actions")
    console.print(f"run one: interlink ops run INTEGRATION_ID {rows[0][0] if rows else 'ACTION'}")
