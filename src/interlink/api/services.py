"""The objects one process shares between requests, built once at start."""

from __future__ import annotations

from dataclasses import dataclass

from interlink.api.idempotency_store import IdempotencyStore
from interlink.auth.ratelimit import RequestRateLimiter
from interlink.auth.service import AuthService
from interlink.auth.tokens import TokenVerifier
from interlink.config import Settings
from interlink.core.clock import Clock
from interlink.core.db import Database
from interlink.events.service import EventService
from interlink.integrations.service import IntegrationService
from interlink.vault.keyring import Keyring
from interlink.vault.service import CredentialService


@dataclass
class Services:
    settings: Settings
    clock: Clock
    db: Database
    keyring: Keyring
    auth: AuthService
    rate_limiter: RequestRateLimiter
    events: EventService
    credentials: CredentialService
    integrations: IntegrationService
    idempotency: IdempotencyStore

    @classmethod
    def build(cls, settings: Settings, clock: Clock, db: Database, keyring: Keyring) -> Services:
        events = EventService(clock)
        credentials = CredentialService(clock, keyring, events)
        return cls(
            settings=settings,
            clock=clock,
            db=db,
            keyring=keyring,
            auth=AuthService(clock, TokenVerifier(settings.jwt)),
            rate_limiter=RequestRateLimiter(settings.api.rate_limit, settings.redis.url),
            events=events,
            credentials=credentials,
            integrations=IntegrationService(clock, credentials, events),
            idempotency=IdempotencyStore(db, keyring, clock, settings.api.idempotency_ttl_hours),
        )
