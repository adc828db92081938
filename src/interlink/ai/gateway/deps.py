"""What the gateway's endpoints read of the services one process shares (see
`interlink.api.deps`), and the caller of a request in either API's way of authenticating."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends, Request

from interlink.ai.gateway.service import Gateway
from interlink.api.deps import KNOWN_PRINCIPAL, resolve_principal, services, services_of
from interlink.auth.scopes import Principal
from interlink.core.clock import Clock


class GatewayDeps(Protocol):
    clock: Clock
    ai_gateway: Gateway


async def caller(request: Request) -> Principal:
    """The Interlink API key of `Authorization: Bearer` (OpenAI's clients), or of `x-api-key`
    (Anthropic's), counted against the caller's rate limit like any request."""
    key = request.headers.get("x-api-key")
    if key and "authorization" not in request.headers:
        found = services_of(request)
        setattr(request.state, KNOWN_PRINCIPAL, await found.auth.authenticate(found.db, key))
    return await resolve_principal(request)


Deps = Annotated[GatewayDeps, Depends(services)]
Caller = Annotated[Principal, Depends(caller)]
