from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from interlink.api.deps import IntegrationsRead, Session, still_authorized
from interlink.api.errors import responses
from interlink.auth.scopes import Scope
from interlink.core.envelope import Envelope, ok
from interlink.core.errors import Forbidden, InvalidRequest, TooManyRequests, Unauthenticated
from interlink.core.pagination import Page, PageParams, page_params
from interlink.core.schemas import ApiTime
from interlink.events.deps import Deps
from interlink.events.schemas import EventOut
from interlink.events.stream import type_filter

_EVENT_ID = re.compile(r"^evt_[0-9a-hjkmnp-tv-z]{26}$")
PING_SECONDS = 15
REAUTHORIZE_SECONDS = 30  # a stream whose key was revoked since ends within this

router = APIRouter(prefix="/events", tags=["events"])


@router.get(
    "",
    summary="List events, newest first",
    responses=responses(Unauthenticated, Forbidden, TooManyRequests, InvalidRequest),
)
async def list_events(
    principal: IntegrationsRead,
    session: Session,
    deps: Deps,
    params: Annotated[PageParams, Depends(page_params)],
    type: Annotated[str | None, Query(max_length=100)] = None,
    since: Annotated[ApiTime | None, Query(description="RFC 3339 time, inclusive")] = None,
    integration_id: Annotated[str | None, Query(max_length=40)] = None,
) -> Envelope[Page[EventOut]]:
    rows, total = await deps.events.page(
        session,
        principal.workspace_id,
        params,
        type_=type,
        since=since,
        integration_id=integration_id,
    )
    return ok(Page[EventOut].build([EventOut.of(r) for r in rows], total, params))


@router.get(
    "/stream",
    summary="Follow events as they happen (Server-Sent Events)",
    description=(
        "A `text/event-stream` of the workspace's events, oldest first, from now on, or after "
        "the id in `Last-Event-ID` (browsers resend it when they reconnect). Each message has "
        "`id`, `event` (the type) and `data`: the event as JSON, the same envelope as webhook "
        "deliveries. `type` filters (repeatable; `operation.*` for a family). A comment line is "
        f"sent every {PING_SECONDS} s to keep proxies from closing the connection."
    ),
    response_class=EventSourceResponse,
    responses={
        **responses(Unauthenticated, Forbidden, TooManyRequests, InvalidRequest),
        200: {"content": {"text/event-stream": {}}, "description": "The event stream"},
    },
)
async def stream_events(
    request: Request,
    principal: IntegrationsRead,
    deps: Deps,
    type: Annotated[list[str] | None, Query(max_length=50)] = None,
    last_event_id: Annotated[str | None, Header(max_length=40)] = None,
) -> EventSourceResponse:
    if last_event_id is not None and not _EVENT_ID.match(last_event_id):
        raise InvalidRequest("`Last-Event-ID` must be an event id such as evt_01j...")
    wanted = type_filter(type or [])
    cursor = await deps.event_stream.start(principal.workspace_id, last_event_id)
    allowed = still_authorized(request, Scope.INTEGRATIONS_READ, REAUTHORIZE_SECONDS)

    async def ended() -> bool:
        return await request.is_disconnected() or not await allowed()

    events = deps.event_stream.follow(principal.workspace_id, wanted, cursor, ended)

    async def messages() -> AsyncIterator[ServerSentEvent]:
        async for row in events:
            body = EventOut.of(row).model_dump_json(exclude={"integration_id"})
            yield ServerSentEvent(data=body, event=row.type, id=row.id)

    return EventSourceResponse(messages(), ping=PING_SECONDS)
