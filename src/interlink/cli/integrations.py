"""`interlink integrations`: create, read, change, test and delete integrations."""

from __future__ import annotations

from itertools import islice
from pathlib import Path
from typing import Annotated, Any

import typer

from interlink.cli.output import (
    EXIT_UNSUCCESSFUL,
    Json,
    Limit,
    console,
    emit_json,
    fields,
    table,
)
from interlink.cli.remote import File, bad_input, connect, read_document
from interlink.sdk import HealthCheckResult, HealthStatus, Integration, IntegrationConfig

app = typer.Typer(
    help="Integrations: configured connections to external systems.", no_args_is_help=True
)

IntegrationId = Annotated[str, typer.Argument(help="The integration's id (int_...)")]
UPDATABLE = {"name", "description", "configuration", "metadata"}


def _show(integration: Integration, title: str) -> None:
    fields(
        {
            "id": integration.id, "name": integration.name, "type": integration.type,
            "status": integration.status, "description": integration.description,
            "configuration": integration.configuration, "credentials": integration.credentials,
            "credential id": integration.credential_id, "metadata": integration.metadata,
            "health": integration.health.status, "total calls": integration.stats.total_calls,
            "created": integration.created_at, "updated": integration.updated_at,
        },
        title=title,
    )  # fmt: skip


def _config(path: Path) -> IntegrationConfig:
    document = read_document(path)
    unknown = set(document) - set(IntegrationConfig.model_fields)
    if unknown:
        bad_input(f"{path}: unknown fields {', '.join(sorted(unknown))}")
    try:
        return IntegrationConfig.model_validate(document)
    except ValueError as exc:
        bad_input(f"{path}: {exc}")


@app.command("list")
def list_integrations(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="Only this status, e.g. active")] = None,
    type: Annotated[str | None, typer.Option("--type", help="Only this connector type")] = None,
    limit: Limit = 50,
    as_json: Json = False,
) -> None:
    """List integrations, newest first."""
    with connect(ctx) as client:
        pager = client.integrations.list_integrations(
            status=status, type=type, page_size=min(limit, 100)
        )
        items = list(islice(pager, limit))
    if as_json:
        emit_json(items)
        return
    rows = [(i.id, i.name, i.type, i.status, i.health.status, i.updated_at) for i in items]
    table(("id", "name", "type", "status", "health", "updated"), rows, f"{len(items)} integrations")


@app.command("get")
def get(ctx: typer.Context, integration_id: IntegrationId, as_json: Json = False) -> None:
    """Show an integration (credentials masked)."""
    with connect(ctx) as client:
        integration = client.integrations.get_integration(integration_id)
    if as_json:
        emit_json(integration)
        return
    _show(integration, f"integration {integration.id}")


@app.command("create")
def create(ctx: typer.Context, file: File, as_json: Json = False) -> None:
    """Create an integration from a file: name, type, and optionally description,
    configuration, credentials (or credential_id), metadata."""
    config = _config(file)
    with connect(ctx) as client:
        integration = client.integrations.create_integration(config)
    if as_json:
        emit_json(integration)
        return
    _show(integration, f"integration {integration.id} created")


@app.command("update")
def update(
    ctx: typer.Context,
    integration_id: IntegrationId,
    file: Annotated[
        Path | None,
        typer.Option("-f", "--file", help="A JSON (or YAML) file of the fields to change"),
    ] = None,
    name: Annotated[str | None, typer.Option(help="A new name")] = None,
    description: Annotated[str | None, typer.Option(help="A new description")] = None,
    as_json: Json = False,
) -> None:
    """Change an integration: name, description, and (from a file) configuration and metadata,
    merged into the stored ones. Credentials change with the API's PUT .../credentials."""
    changes: dict[str, Any] = read_document(file) if file else {}
    unknown = set(changes) - UPDATABLE
    if unknown:
        bad_input(f"cannot change {', '.join(sorted(unknown))}; change {', '.join(UPDATABLE)}")
    changes |= {k: v for k, v in {"name": name, "description": description}.items() if v}
    if not changes:
        bad_input("nothing to change: give --file, --name or --description")
    with connect(ctx) as client:
        integration = client.integrations.patch_integration(integration_id, **changes)
    if as_json:
        emit_json(integration)
        return
    _show(integration, f"integration {integration.id} updated")


def _status_change(ctx: typer.Context, integration_id: str, action: str, as_json: bool) -> None:
    with connect(ctx) as client:
        manager = client.integrations
        change = (
            manager.activate_integration(integration_id)
            if action == "activate"
            else manager.deactivate_integration(integration_id)
        )
    if as_json:
        emit_json(change)
        return
    console.print(f"integration [bold]{change.id}[/] is now [bold]{change.status}[/]")


@app.command("activate")
def activate(ctx: typer.Context, integration_id: IntegrationId, as_json: Json = False) -> None:
    """Activate an integration (its operations can run)."""
    _status_change(ctx, integration_id, "activate", as_json)


@app.command("deactivate")
def deactivate(ctx: typer.Context, integration_id: IntegrationId, as_json: Json = False) -> None:
    """Deactivate an active integration."""
    _status_change(ctx, integration_id, "deactivate", as_json)


@app.command("test")
def check_connection(
    ctx: typer.Context, integration_id: IntegrationId, as_json: Json = False
) -> None:
    """Test the connection now; exits 4 when the external system refuses or fails."""
    with connect(ctx) as client:
        result = client.integrations.test_integration(integration_id)
    if as_json:
        emit_json(result)
    else:
        mark = "[green]succeeded[/]" if result.success else "[red]failed[/]"
        console.print(f"connection test {mark} in {result.latency_ms} ms: {result.message}")
    if not result.success:
        raise typer.Exit(EXIT_UNSUCCESSFUL)


def _show_health(health: HealthStatus | HealthCheckResult) -> None:
    console.print(f"health of [bold]{health.integration_id}[/]: [bold]{health.status}[/]")
    if health.message:
        console.print(f"  {health.message}", highlight=False)
    rows = [(c.name, c.status, c.latency_ms, c.message) for c in health.checks]
    if rows:
        table(("check", "status", "latency ms", "message"), rows)
    if isinstance(health, HealthStatus):
        m = health.metrics
        console.print(
            f"  last 24 h: {m.total_calls_24h} calls, success rate {m.success_rate_24h}, "
            f"average latency {m.average_latency_ms} ms"
        )


@app.command("health")
def health(
    ctx: typer.Context,
    integration_id: IntegrationId,
    check: Annotated[bool, typer.Option("--check", help="Run a health check now")] = False,
    deep: Annotated[
        bool,
        typer.Option(
            "--deep",
            help="Run a check now, with a tiny real completion (language models; it is charged)",
        ),
    ] = False,
    as_json: Json = False,
) -> None:
    """Show the last health check and the last 24 hours' metrics (or run a check now)."""
    with connect(ctx) as client:
        monitor = client.health
        status: HealthStatus | HealthCheckResult = (
            monitor.check_health(integration_id, deep=deep)
            if check or deep
            else monitor.get_health_status(integration_id)
        )
    if as_json:
        emit_json(status)
        return
    _show_health(status)


@app.command("delete")
def delete(
    ctx: typer.Context,
    integration_id: IntegrationId,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first")] = False,
    as_json: Json = False,
) -> None:
    """Delete an integration and its own credentials."""
    if not yes:
        typer.confirm(f"Delete integration {integration_id}?", abort=True)
    with connect(ctx) as client:
        deleted = client.integrations.delete_integration(integration_id)
    if as_json:
        emit_json(deleted)
        return
    console.print(f"integration [bold]{deleted.id}[/] deleted")
