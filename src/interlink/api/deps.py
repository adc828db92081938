"""FastAPI dependencies: the request's unit of work, the caller, and the scope a route needs.

The services one process shares are built by the composition root (`api/services.py`) and kept on
`app.state.services`. This module never imports it: it reads them as `Shared`, what the HTTP
plumbing needs; each domain's `deps.py` declares, as a protocol of its own, what its routes read
(its `Deps`), and `_read_by_routes` in `api/services.py` makes mypy check `Services` has it all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Protocol

from fastapi import Depends, Query, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.auth.ratelimit import RequestRateLimiter, identity_of
from interlink.auth.scopes import Principal, Scope
from interlink.auth.service import AuthService
from interlink.core.clock import Clock
from interlink.core.db import Database
from interlink.core.errors import Forbidden, TooManyRequests, Unauthenticated
from interlink.idempotency.service import IdempotencyStore


class Shared(Protocol):
    """What the HTTP plumbing reads of the services one process shares."""

    clock: Clock
    db: Database
    auth: AuthService
    rate_limiter: RequestRateLimiter
    idempotency: IdempotencyStore


def services_of(request: Request) -> Shared:
    found: Shared = request.app.state.services
    return found


async def services(request: Request) -> Shared:
    """The dependency behind every domain's `Deps` (async: FastAPI runs a plain function in a
    thread, which costs more)."""
    return services_of(request)


KNOWN_PRINCIPAL = "interlink.known_principal"  # request state: the caller, found by the gate


def bearer_value(header: str) -> str | None:
    """The credential of an `Authorization: Bearer <credential>` header's value, if it is one."""
    scheme, _, credential = header.partition(" ")
    credential = credential.strip()
    return credential if scheme.lower() == "bearer" and credential else None


def _bearer(request: Request) -> str:
    credential = bearer_value(request.headers.get("authorization", ""))
    if credential is None:
        raise Unauthenticated("Send `Authorization: Bearer <API key or token>`")
    return credential


async def resolve_principal(request: Request) -> Principal:
    """Authenticate once per request and count it against the caller's rate limit."""
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    found = services_of(request)
    known: Principal | None = getattr(request.state, KNOWN_PRINCIPAL, None)
    principal = known or await found.auth.authenticate(found.db, _bearer(request))
    if found.auth.touch_due(principal):
        async with found.db.transaction() as session:
            await found.auth.touch(session, principal)
    state = await found.rate_limiter.hit(identity_of(principal), principal.rate_limit)
    if state is not None:
        request.state.rate_limit_headers = state.headers()
        if not state.allowed:
            raise TooManyRequests(headers=state.headers())
    request.state.principal = principal
    return principal


async def get_session(
    request: Request, _: Annotated[Principal, Depends(resolve_principal)]
) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the response is sent. GET and HEAD read
    only. The caller is authenticated first, so that no write of the authentication waits on
    this request's own write transaction."""
    db = services_of(request).db
    reading = request.method in {"GET", "HEAD"}
    async with db.read() if reading else db.transaction() as session:
        yield session


_bearer_scheme = HTTPBearer(
    auto_error=False, description="An API key (`sk_...`) or a JWT from POST /api/v1/auth/token"
)


async def current_principal(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer_scheme)],
) -> Principal:
    return await resolve_principal(request)


def require(scope: Scope) -> Callable[..., Awaitable[Principal]]:
    # One dependency, not one on `current_principal`: each level of dependencies costs FastAPI
    # time on every request. The principal is still resolved once (`resolve_principal`).
    async def check(
        request: Request,
        _credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer_scheme)],
    ) -> Principal:
        return await authorize(request, scope)

    return check


def still_authorized(request: Request, scope: Scope, every: float) -> Callable[[], Awaitable[bool]]:
    """For a long answer (a stream): whether its caller still authenticates and holds `scope`,
    asked again at most once every `every` seconds (a key revoked or expired since, a token
    past its expiry, ends it)."""
    found = services_of(request)
    credential = _bearer(request)
    checked = found.clock.now()

    async def check() -> bool:
        nonlocal checked
        now = found.clock.now()
        if (now - checked).total_seconds() < every:
            return True
        checked = now
        try:
            principal = await found.auth.authenticate(found.db, credential)
        except Unauthenticated:
            return False
        return principal.allows(scope)

    return check


async def authorize(request: Request, scope: Scope) -> Principal:
    """The caller, if it holds `scope` (what `require(scope)` gives a route)."""
    principal = await resolve_principal(request)
    if not principal.allows(scope):
        raise Forbidden(f"This route needs the `{scope}` scope")
    return principal


Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
Caller = Annotated[Principal, Depends(current_principal)]
IntegrationsRead = Annotated[Principal, Depends(require(Scope.INTEGRATIONS_READ))]
IntegrationsWrite = Annotated[Principal, Depends(require(Scope.INTEGRATIONS_WRITE))]
CredentialsRead = Annotated[Principal, Depends(require(Scope.CREDENTIALS_READ))]
CredentialsWrite = Annotated[Principal, Depends(require(Scope.CREDENTIALS_WRITE))]
WebhooksRead = Annotated[Principal, Depends(require(Scope.WEBHOOKS_READ))]
WebhooksWrite = Annotated[Principal, Depends(require(Scope.WEBHOOKS_WRITE))]
Admin = Annotated[Principal, Depends(require(Scope.ADMIN))]

# A versioned resource's version asked for (its current one without it); bounded, so that no
# number the database cannot hold reaches a query.
OlderVersion = Annotated[int | None, Query(ge=1, le=1_000_000, description="An older version")]
