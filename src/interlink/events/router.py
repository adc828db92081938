from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from interlink.api.deps import Deps, IntegrationsRead, Session
from interlink.api.errors import responses
from interlink.core.envelope import Envelope, ok
from interlink.core.errors import Forbidden, InvalidRequest, TooManyRequests, Unauthenticated
from interlink.core.pagination import Page, PageParams, page_params
from interlink.events.schemas import EventOut

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
    since: Annotated[datetime | None, Query(description="RFC 3339 time, inclusive")] = None,
    integration_id: Annotated[str | None, Query(max_length=40)] = None,
) -> Envelope[Page[EventOut]]:
    if since is not None and since.tzinfo is None:
        raise InvalidRequest("`since` needs a time zone, e.g. 2026-01-01T00:00:00Z")
    try:
        since = since.astimezone(UTC) if since is not None else None
    except OverflowError:
        raise InvalidRequest("`since` is out of range once converted to UTC") from None
    rows, total = await deps.events.page(
        session,
        principal.workspace_id,
        params,
        type_=type,
        since=since,
        integration_id=integration_id,
    )
    return ok(Page[EventOut].build([EventOut.of(r) for r in rows], total, params))
