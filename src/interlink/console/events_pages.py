"""Events: the latest ones with filters, and a live tail of the API's own event stream.

The browser's `EventSource` cannot send an API key, so the tail is served here, under the
console's session, by the same `EventStream` and with the same scope as
`GET /api/v1/events/stream`."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Header, Query, Request, Response
from sse_starlette import EventSourceResponse, ServerSentEvent

from interlink.api.deps import IntegrationsRead, Session
from interlink.console.deps import Deps as ConsoleDeps
from interlink.console.pages import pages_router
from interlink.console.templates import link, render
from interlink.core.errors import InvalidRequest
from interlink.core.pagination import PageParams
from interlink.events.deps import Deps as StreamDeps
from interlink.events.schemas import EventOut
from interlink.events.stream import type_filter
from interlink.events.types import EventType

router = pages_router()
PING_SECONDS = 15
REAUTHORIZE = timedelta(minutes=5)  # a stream ends then; the browser reconnects through sign-in
_EVENT_ID = re.compile(r"^evt_[0-9a-hjkmnp-tv-z]{26}$")
_TYPE = re.compile(r"^[a-z0-9_.*]{0,100}$")
_SHOWN = PageParams(page=1, page_size=50)
_INTEGRATIONS = PageParams(page=1, page_size=100)


@router.get("/events", name="console:events")
async def events(
    request: Request,
    principal: IntegrationsRead,
    session: Session,
    deps: ConsoleDeps,
    type: Annotated[str, Query(max_length=100, pattern=_TYPE.pattern)] = "",
    integration_id: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    ws = principal.workspace_id
    exact = type if type and not type.endswith("*") else None
    rows, _ = await deps.events.page(
        session, ws, _SHOWN, type_=exact,
        integration_id=integration_id or None,
    )  # fmt: skip
    wanted = type_filter([type] if type else [])
    shown = [EventOut.of(r) for r in rows if wanted(r.type)]
    filters = {"type": type, "integration_id": integration_id}
    query = urlencode({k: v for k, v in filters.items() if v})
    integrations, _ = await deps.integrations.page(session, ws, _INTEGRATIONS, sort_by="name")
    return render(
        request, "events.html", section="events", rows=shown, filters=filters,
        stream_url=link(request, "console:events_stream") + (f"?{query}" if query else ""),
        types=sorted(t.value for t in EventType), integrations=integrations,
    )  # fmt: skip


@router.get("/events/stream", name="console:events_stream")
async def stream(
    request: Request,
    principal: IntegrationsRead,
    deps: StreamDeps,
    type: Annotated[str, Query(max_length=100, pattern=_TYPE.pattern)] = "",
    integration_id: Annotated[str, Query(max_length=40)] = "",
    last_event_id: Annotated[str | None, Header(max_length=40)] = None,
) -> EventSourceResponse:
    """The workspace's events from now on (or after `Last-Event-ID`, which a browser resends
    when it reconnects), as `GET /api/v1/events/stream` sends them, each as an unnamed message
    (so that the page's `onmessage` gets them all; the type is in its data). It ends after
    REAUTHORIZE: the browser's reconnection (with `Last-Event-ID`) passes the session's checks
    again, so a session that ended meanwhile gets no more events."""
    if last_event_id is not None and not _EVENT_ID.match(last_event_id):
        raise InvalidRequest("`Last-Event-ID` must be an event id such as evt_01j...")
    wanted = type_filter([type] if type else [])
    clock = deps.event_stream.clock
    until = clock.now() + REAUTHORIZE

    async def done() -> bool:
        return clock.now() >= until or await request.is_disconnected()

    cursor = await deps.event_stream.start(principal.workspace_id, last_event_id)
    follow = deps.event_stream.follow(principal.workspace_id, wanted, cursor, done)

    async def messages() -> AsyncIterator[ServerSentEvent]:
        async for row in follow:
            if integration_id and row.integration_id != integration_id:
                continue
            yield ServerSentEvent(data=EventOut.of(row).model_dump_json(), id=row.id)

    return EventSourceResponse(messages(), ping=PING_SECONDS)
