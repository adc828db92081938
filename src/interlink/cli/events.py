"""`interlink events`: the event log, and `tail` to follow it live (Server-Sent Events)."""

from __future__ import annotations

import json
from itertools import islice
from typing import Annotated

import typer

from interlink.cli.output import (
    Json,
    Limit,
    cell,
    console,
    emit_json,
    emit_json_line,
    errors,
    table,
)
from interlink.cli.remote import connect
from interlink.sdk import Event

app = typer.Typer(help="The event log: list it, or follow it live.", no_args_is_help=True)


def _line(event: Event) -> str:
    data = json.dumps(event.data, default=str, separators=(",", ":"))
    return f"{cell(event.timestamp)}  [bold]{event.event}[/]  {event.id}  {data}"


@app.command("list")
def list_events(
    ctx: typer.Context,
    type: Annotated[str | None, typer.Option("--type", help="Only this type")] = None,
    since: Annotated[
        str | None, typer.Option(help="RFC 3339 time, e.g. 2026-01-01T00:00:00Z (inclusive)")
    ] = None,
    integration: Annotated[
        str | None, typer.Option(help="Only this integration's (int_...)")
    ] = None,
    limit: Limit = 50,
    as_json: Json = False,
) -> None:
    """List events, newest first."""
    with connect(ctx) as client:
        pager = client.events.list_events(
            type=type, since=since, integration_id=integration, page_size=min(limit, 100)
        )
        items = list(islice(pager, limit))
    if as_json:
        emit_json(items)
        return
    rows = [(e.timestamp, e.event, e.id, e.integration_id, e.data) for e in items]
    table(("time", "type", "id", "integration", "data"), rows, f"{len(rows)} events")


@app.command("tail")
def tail(
    ctx: typer.Context,
    type: Annotated[
        list[str] | None,
        typer.Option("--type", help="Only this type (repeat it; operation.* for a family)"),
    ] = None,
    after: Annotated[
        str | None,
        typer.Option(help="Start after this event id (evt_...) instead of from now"),
    ] = None,
    count: Annotated[
        int | None, typer.Option("--count", "-n", min=1, help="Stop after this many events")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print each event as one JSON line")
    ] = False,
) -> None:
    """Follow events as they are committed, oldest first, until Ctrl-C (or --count)."""
    with connect(ctx) as client, client.events.stream_events(type, last_event_id=after) as stream:
        if not as_json:
            errors.print(f"following events at {client.http.base_url} (Ctrl-C to stop)")
        try:
            for seen, event in enumerate(stream, start=1):
                if as_json:
                    emit_json_line(event)
                else:
                    console.print(_line(event), highlight=False)
                if count is not None and seen >= count:
                    break
        except KeyboardInterrupt:
            pass
