"""What the console's pages read of the services one process shares, and the signed-in session.

A page declares the same dependencies as the API route it mirrors (`IntegrationsRead`,
`IntegrationsWrite`, `Session` from `interlink.api.deps`): `signed_in`, a dependency of every
page's router, resolves the session cookie to the caller and hands it to `resolve_principal` as
the request's known principal, so scopes are checked, and requests counted, as for the API.
"""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends, Request

from interlink.ai.usage.service import UsageService
from interlink.api.deps import KNOWN_PRINCIPAL, services
from interlink.auth.service import AuthService
from interlink.config import Settings
from interlink.console.security import check_csrf
from interlink.console.sessions import COOKIE, ConsoleSessions, SessionEnded, SignedIn
from interlink.core.clock import Clock
from interlink.core.db import Database
from interlink.custom_providers.service import CustomProviderService
from interlink.events.service import EventService
from interlink.integrations.health_service import HealthService
from interlink.integrations.operations_service import OperationService
from interlink.integrations.service import IntegrationService
from interlink.webhooks.service import WebhookService
from interlink.workflows.service import WorkflowService


class ConsoleDeps(Protocol):
    settings: Settings
    clock: Clock
    db: Database
    auth: AuthService
    integrations: IntegrationService
    custom_providers: CustomProviderService
    operations: OperationService
    health: HealthService
    events: EventService
    webhooks: WebhookService
    workflows: WorkflowService
    usage: UsageService


def console_sessions(request: Request) -> ConsoleSessions:
    found: ConsoleDeps = request.app.state.services
    return ConsoleSessions(found.db, found.clock, found.auth, found.settings.console)


async def signed_in(request: Request) -> SignedIn:
    """The browser's session (sign-in page when there is none), its CSRF token checked on every
    unsafe request."""
    token = request.cookies.get(COOKIE)
    if not token:
        raise SessionEnded("sign in to the console")
    found = await console_sessions(request).resolve(token)
    await check_csrf(request, found.csrf_token)
    setattr(request.state, KNOWN_PRINCIPAL, found.principal)
    request.state.console = found
    return found


Deps = Annotated[ConsoleDeps, Depends(services)]
Sessions = Annotated[ConsoleSessions, Depends(console_sessions)]
Console = Annotated[SignedIn, Depends(signed_in)]
