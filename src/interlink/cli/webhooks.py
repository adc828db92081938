"""`interlink webhooks`: outgoing webhook endpoints and their delivery log."""

from __future__ import annotations

from itertools import islice
from typing import Annotated

import typer

from interlink.cli.output import Json, Limit, console, emit_json, fields, table
from interlink.cli.remote import connect
from interlink.sdk import Delivery, Webhook

app = typer.Typer(help="Outgoing webhooks: endpoints, deliveries, replay.", no_args_is_help=True)

WebhookId = Annotated[str, typer.Argument(help="The endpoint's id (whk_...)")]


def _show(hook: Webhook, title: str) -> None:
    fields(
        {
            "id": hook.id, "name": hook.name, "url": hook.url, "events": hook.events,
            "enabled": hook.enabled, "disabled because": hook.disabled_reason,
            "failing since": hook.failing_since, "created": hook.created_at,
        },
        title=title,
    )  # fmt: skip


def _show_delivery(delivery: Delivery, title: str) -> None:
    fields(
        {
            "id": delivery.id, "event": delivery.event, "event id": delivery.event_id,
            "status": delivery.status, "attempts": delivery.attempt_count,
            "last status code": delivery.last_status_code, "last error": delivery.last_error,
            "next attempt": delivery.next_attempt_at,
        },
        title=title,
    )  # fmt: skip


@app.command("list")
def list_webhooks(ctx: typer.Context, limit: Limit = 50, as_json: Json = False) -> None:
    """List webhook endpoints."""
    with connect(ctx) as client:
        hooks = list(islice(client.webhooks.list_webhooks(page_size=min(limit, 100)), limit))
    if as_json:
        emit_json(hooks)
        return
    rows = [(h.id, h.name, h.url, h.events, h.enabled) for h in hooks]
    table(("id", "name", "url", "events", "enabled"), rows, f"{len(rows)} webhook endpoints")


@app.command("create")
def create(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="Where deliveries are POSTed (https://...)")],
    event: Annotated[
        list[str] | None,
        typer.Option("--event", "-e", help="An event type to send (repeat it; * for all)"),
    ] = None,
    name: Annotated[str | None, typer.Option(help="A name for the endpoint")] = None,
    secret: Annotated[
        str | None,
        typer.Option(
            help="The signing secret (whsec_ + base64, or 16-256 printable ASCII characters); "
            "made for you if not given"
        ),
    ] = None,
    as_json: Json = False,
) -> None:
    """Register an endpoint; its signing secret is printed this once."""
    with connect(ctx) as client:
        hook = client.webhooks.create_webhook(url, event or ["*"], name=name, secret=secret)
    if as_json:
        emit_json(hook)
        return
    _show(hook, f"webhook endpoint {hook.id} created")
    console.print(f"signing secret (shown once, store it now): [bold]{hook.secret}[/]")


@app.command("deliveries")
def deliveries(
    ctx: typer.Context,
    webhook_id: WebhookId,
    status: Annotated[str | None, typer.Option(help="Only this status, e.g. failed")] = None,
    event: Annotated[str | None, typer.Option(help="Only this event type")] = None,
    limit: Limit = 50,
    as_json: Json = False,
) -> None:
    """The delivery log of an endpoint, newest first."""
    with connect(ctx) as client:
        pager = client.webhooks.list_deliveries(
            webhook_id, status=status, event=event, page_size=min(limit, 100)
        )
        items = list(islice(pager, limit))
    if as_json:
        emit_json(items)
        return
    rows = [
        (d.id, d.event, d.status, d.attempt_count, d.last_status_code, d.updated_at) for d in items
    ]
    columns = ("id", "event", "status", "attempts", "last code", "updated")
    table(columns, rows, f"{len(rows)} deliveries")


@app.command("retry")
def retry(
    ctx: typer.Context,
    webhook_id: WebhookId,
    delivery_id: Annotated[str, typer.Argument(help="The delivery's id (dlv_...)")],
    as_json: Json = False,
) -> None:
    """Send a delivery again now."""
    with connect(ctx) as client:
        delivery = client.webhooks.retry_delivery(webhook_id, delivery_id)
    if as_json:
        emit_json(delivery)
        return
    _show_delivery(delivery, f"delivery {delivery.id} sent again")


@app.command("recover")
def recover(
    ctx: typer.Context,
    webhook_id: WebhookId,
    since: Annotated[
        str, typer.Option(help="RFC 3339 time, e.g. 2026-01-01T00:00:00Z", show_default=False)
    ],
    as_json: Json = False,
) -> None:
    """Send again every failed delivery made since a time."""
    with connect(ctx) as client:
        recovered = client.webhooks.recover_deliveries(webhook_id, since)
    if as_json:
        emit_json(recovered)
        return
    console.print(f"{recovered.requeued} deliveries of {recovered.webhook_id} queued again")


@app.command("delete")
def delete(
    ctx: typer.Context,
    webhook_id: WebhookId,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first")] = False,
    as_json: Json = False,
) -> None:
    """Delete an endpoint and its delivery log."""
    if not yes:
        typer.confirm(f"Delete webhook endpoint {webhook_id}?", abort=True)
    with connect(ctx) as client:
        deleted = client.webhooks.delete_webhook(webhook_id)
    if as_json:
        emit_json(deleted)
        return
    console.print(f"webhook endpoint [bold]{deleted.id}[/] deleted")
