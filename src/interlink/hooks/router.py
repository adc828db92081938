"""`POST /api/v1/hooks/{integration_id}`: a provider's webhook. No API key: the provider's
signature is the credential."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from interlink.api.errors import responses
from interlink.core.envelope import Envelope, ok
from interlink.core.errors import Conflict, IntegrationNotFound, PayloadTooLarge
from interlink.hooks.deps import Deps
from interlink.hooks.schemas import HookAccepted
from interlink.hooks.service import SignatureInvalid
from interlink.providers.kit.verifiers import HookReply

router = APIRouter(prefix="/hooks", tags=["incoming webhooks"])


def _headers(request: Request) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in request.headers.items():  # lower-case names; the first value wins
        found.setdefault(name, value)
    return found


def _reply(reply: HookReply) -> Response:
    if reply.text is not None:
        return PlainTextResponse(reply.text, status_code=reply.status_code)
    if reply.content is None:
        return Response(status_code=reply.status_code, media_type="application/json")
    return JSONResponse(reply.content, status_code=reply.status_code)


@router.post(
    "/{integration_id}",
    summary="Receive a provider's webhook",
    description=(
        "Point the provider (GitHub, Stripe, Slack, Discord, or any sender of HMAC-signed "
        "webhooks for an `http` integration) at this URL. The signature is checked with the "
        "integration's webhook secret; the hook is stored and becomes a "
        "`provider.<type>.<event>` event before the answer. A delivery id or a body seen "
        "before (a provider's retry, or a replay whatever its unsigned headers say) is answered "
        "200 with `duplicate: true` and not processed again. Slack's `url_verification` and "
        "Discord's PING "
        "get the answers those providers expect."
    ),
    response_model=Envelope[HookAccepted],
    responses=responses(SignatureInvalid, IntegrationNotFound, Conflict, PayloadTooLarge),
)
async def receive_hook(
    request: Request,
    deps: Deps,
    integration_id: Annotated[str, Path(max_length=40)],
) -> Envelope[HookAccepted] | Response:
    headers, body = _headers(request), await request.body()
    async with deps.db.read() as session:
        target = await deps.hooks.load(session, integration_id)
    verified = deps.hooks.verify(target, headers, body, dict(request.query_params))
    async with deps.db.transaction() as session:
        received = await deps.hooks.store(session, target, headers, body, verified)
    if verified.reply is not None:
        return _reply(verified.reply)
    return ok(
        HookAccepted(id=received.hook_id, event=received.event_type, duplicate=received.duplicate)
    )
