"""`interlink credentials`: the vault's credentials (data goes in, masks come out)."""

from __future__ import annotations

from itertools import islice
from pathlib import Path
from typing import Annotated, Any

import typer

from interlink.cli.output import Json, Limit, console, emit_json, fields, table
from interlink.cli.remote import bad_input, connect, pairs, read_document
from interlink.sdk import Credential

app = typer.Typer(help="Credentials, encrypted in the vault.", no_args_is_help=True)

CredentialId = Annotated[str, typer.Argument(help="The credential's id (cred_...)")]
FromFile = Annotated[
    Path | None,
    typer.Option("-f", "--file", help="A JSON (or YAML) file: name, type, data, provider..."),
]
Data = Annotated[
    list[str] | None,
    typer.Option("--data", "-d", help="A secret field as key=value (repeat it)"),
]
Hosts = Annotated[
    list[str] | None,
    typer.Option(
        "--allowed-host",
        help="A host it may be sent to, e.g. api.example.com or *.example.com (repeat it; "
        "default: the provider's API host)",
    ),
]
FIELDS = {"name", "type", "data", "description", "provider", "allowed_hosts", "metadata"}


def _show(credential: Credential, title: str) -> None:
    fields(
        {
            "id": credential.id, "name": credential.name, "type": credential.type,
            "provider": credential.provider, "description": credential.description,
            "data (masked)": credential.data, "allowed hosts": credential.allowed_hosts,
            "readable": credential.readable,
            "integration": credential.integration_id, "created": credential.created_at,
            "updated": credential.updated_at,
        },
        title=title,
    )  # fmt: skip


def _body(file: Path | None, options: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = read_document(file) if file else {}
    unknown = set(body) - FIELDS
    if unknown:
        bad_input(f"unknown fields {', '.join(sorted(unknown))}; use {', '.join(sorted(FIELDS))}")
    return body | {k: v for k, v in options.items() if v}


@app.command("list")
def list_credentials(
    ctx: typer.Context,
    type: Annotated[str | None, typer.Option("--type", help="Only this type")] = None,
    provider: Annotated[str | None, typer.Option(help="Only this provider")] = None,
    limit: Limit = 50,
    as_json: Json = False,
) -> None:
    """List credentials (their data masked)."""
    with connect(ctx) as client:
        pager = client.credentials.list_credentials(
            type=type, provider=provider, page_size=min(limit, 100)
        )
        items = list(islice(pager, limit))
    if as_json:
        emit_json(items)
        return
    rows = [(c.id, c.name, c.type, c.provider, c.integration_id, c.updated_at) for c in items]
    columns = ("id", "name", "type", "provider", "integration", "updated")
    table(columns, rows, f"{len(items)} credentials")


@app.command("get")
def get(ctx: typer.Context, credential_id: CredentialId, as_json: Json = False) -> None:
    """Show a credential (its data masked)."""
    with connect(ctx) as client:
        credential = client.credentials.get_credential(credential_id)
    if as_json:
        emit_json(credential)
        return
    _show(credential, f"credential {credential.id}")


@app.command("create")
def create(
    ctx: typer.Context,
    file: FromFile = None,
    name: Annotated[str | None, typer.Option(help="The credential's name")] = None,
    type: Annotated[
        str | None, typer.Option("--type", help="api_key, oauth, basic, ... (as the API takes)")
    ] = None,
    provider: Annotated[str | None, typer.Option(help="The provider, e.g. github")] = None,
    data: Data = None,
    allowed_host: Hosts = None,
    as_json: Json = False,
) -> None:
    """Store a credential, from a file and/or options (options win)."""
    options = {
        "name": name, "type": type, "provider": provider, "data": pairs(data, "--data"),
        "allowed_hosts": allowed_host,
    }  # fmt: skip
    body = _body(file, options)
    missing = [f for f in ("name", "type", "data") if not body.get(f)]
    if missing:
        bad_input(f"missing {', '.join(missing)}: give them in --file or as options")
    with connect(ctx) as client:
        credential = client.credentials.create_credential(
            body.pop("name"), body.pop("type"), body.pop("data"), **body
        )
    if as_json:
        emit_json(credential)
        return
    _show(credential, f"credential {credential.id} created")


@app.command("update")
def update(
    ctx: typer.Context,
    credential_id: CredentialId,
    file: FromFile = None,
    name: Annotated[str | None, typer.Option(help="A new name")] = None,
    data: Data = None,
    allowed_host: Hosts = None,
    as_json: Json = False,
) -> None:
    """Replace the fields given (name, description, provider, data, allowed_hosts, metadata);
    more hosts than before also need the credentials:use scope."""
    body = _body(file, {"name": name, "data": pairs(data, "--data"), "allowed_hosts": allowed_host})
    if not body:
        bad_input("nothing to change: give --file, --name, --data or --allowed-host")
    with connect(ctx) as client:
        credential = client.credentials.update_credential(credential_id, **body)
    if as_json:
        emit_json(credential)
        return
    _show(credential, f"credential {credential.id} updated")


@app.command("delete")
def delete(
    ctx: typer.Context,
    credential_id: CredentialId,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first")] = False,
    as_json: Json = False,
) -> None:
    """Delete a credential that no integration uses."""
    if not yes:
        typer.confirm(f"Delete credential {credential_id}?", abort=True)
    with connect(ctx) as client:
        deleted = client.credentials.delete_credential(credential_id)
    if as_json:
        emit_json(deleted)
        return
    console.print(f"credential [bold]{deleted.id}[/] deleted")
