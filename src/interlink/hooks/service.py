"""Receiving a provider's webhook: find the integration, verify the signature with its
connector's verifier, store the raw hook once per delivery id and once per body (a signed body
sent again is a replay, whatever its unsigned headers say) and publish its event.

The router runs the steps in two transactions: `load` in a read transaction (a request with a
bad signature never takes the write lock), `verify` with none open, `store` in the write
transaction that commits before the answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.core.clock import Clock
from interlink.core.errors import Conflict, IntegrationNotFound, Unauthenticated
from interlink.core.ids import new_id
from interlink.events.service import EventService
from interlink.events.types import ProviderEvent, new_event, provider_event_type
from interlink.hooks.repository import HookRepository
from interlink.integrations.service import IntegrationService
from interlink.providers.kit.verifiers import (
    IncomingRequest,
    SignatureRejected,
    VerifiedHook,
    WebhookVerifier,
)
from interlink.providers.registry import Registry

log = structlog.get_logger("interlink.hooks")
_ALWAYS_KEPT = frozenset({"content-type", "user-agent"})


class SignatureInvalid(Unauthenticated):
    """The webhook signature is missing or does not verify."""


@dataclass(frozen=True)
class HookTarget:
    """What verifying a hook needs of its integration (read before any write)."""

    integration_id: str
    workspace_id: str
    type: str
    status: str
    configuration: Mapping[str, Any]
    credentials: Mapping[str, Any]
    verifier: WebhookVerifier


@dataclass(frozen=True)
class Received:
    hook_id: str | None  # None for a handshake, which stores nothing
    event_type: str
    duplicate: bool
    verified: VerifiedHook


class HookService:
    def __init__(
        self, clock: Clock, integrations: IntegrationService, events: EventService
    ) -> None:
        self.clock = clock
        self.integrations = integrations
        self.events = events

    @property
    def registry(self) -> Registry:
        return self.integrations.registry

    async def load(self, session: AsyncSession, integration_id: str) -> HookTarget:
        """404 for an unknown id and for a type that receives no webhooks, alike."""
        row = await self.integrations.find_for_hook(session, integration_id)
        connector = self.registry.connector(row.type)
        verifier = connector.webhook_verifier if connector is not None else None
        if verifier is None:
            raise IntegrationNotFound()
        return HookTarget(
            integration_id=row.id,
            workspace_id=row.workspace_id,
            type=row.type,
            status=row.status,
            configuration=row.configuration,
            credentials=await self.integrations.revealed_credentials(session, row),
            verifier=verifier,
        )

    def verify(
        self,
        target: HookTarget,
        headers: Mapping[str, str],
        body: bytes,
        query: Mapping[str, str] | None = None,
    ) -> VerifiedHook:
        """401 for any signature failure (the reason goes to the log, never to the caller);
        409 for a deactivated integration, once the caller is known to be the provider."""
        request = IncomingRequest(
            body, headers, target.configuration, target.credentials, self.clock.now(),
            dict(query or {}),
        )  # fmt: skip
        try:
            verified = target.verifier.verify(request)
        except SignatureRejected as exc:
            log.info("hook_rejected", integration_id=target.integration_id, reason=str(exc))
            raise SignatureInvalid() from None
        if target.status == "inactive":
            raise Conflict("The integration is inactive: activate it to receive its webhooks")
        return verified

    async def store(
        self,
        session: AsyncSession,
        target: HookTarget,
        headers: Mapping[str, str],
        body: bytes,
        verified: VerifiedHook,
    ) -> Received:
        """Store the hook and publish its event in the caller's transaction; a delivery id or a
        body seen before stores and publishes nothing."""
        event_type = provider_event_type(target.type, verified.event)
        if verified.handshake:
            return Received(None, event_type, duplicate=False, verified=verified)
        now, hook_id = self.clock.now(), new_id("hook")
        kept = _ALWAYS_KEPT | target.verifier.kept_headers(target.configuration)
        stored = await HookRepository(session).insert_once(
            {
                "id": hook_id,
                "workspace_id": target.workspace_id,
                "integration_id": target.integration_id,
                "delivery_id": verified.delivery_id,
                "event": event_type,
                "headers": {name: value for name, value in headers.items() if name in kept},
                "body": body,
                "body_digest": hashlib.sha256(body).hexdigest(),
                "received_at": now,
            }
        )
        if not stored:
            return Received(None, event_type, duplicate=True, verified=verified)
        payload = ProviderEvent(
            hook_id=hook_id,
            integration_id=target.integration_id,
            provider=target.type,
            event=verified.event,
            delivery_id=verified.delivery_id,
            received_at=now,
            body=verified.payload,
        )
        event = new_event(
            target.workspace_id, provider_event_type(payload.provider, payload.event), payload,
            at=now, integration_id=target.integration_id,
        )  # fmt: skip
        await self.events.publish(session, event)
        return Received(hook_id, event_type, duplicate=False, verified=verified)
