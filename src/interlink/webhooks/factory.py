"""Building the webhooks' objects of one process from the settings."""

from __future__ import annotations

from interlink.config import Settings
from interlink.core.clock import Clock
from interlink.core.db import Database
from interlink.core.metrics import Metrics
from interlink.events.service import EventService
from interlink.transport.ssrf import AddressPolicy
from interlink.vault.keyring import Keyring
from interlink.webhooks.dispatcher import Dispatcher
from interlink.webhooks.outbox import Outbox
from interlink.webhooks.sender import Sender
from interlink.webhooks.service import WebhookService


def build_webhooks(
    settings: Settings,
    clock: Clock,
    db: Database,
    keyring: Keyring,
    events: EventService,
    outbox: Outbox,
    metrics: Metrics | None = None,
) -> tuple[WebhookService, Dispatcher]:
    """The service and this process's dispatcher, woken when this process commits deliveries."""
    config = settings.webhooks
    policy = AddressPolicy(allow_private=settings.server.allow_private_urls)
    service = WebhookService(
        clock, keyring, events, policy, rotation_grace_hours=config.rotation_grace_hours
    )
    sender = Sender(
        policy,
        timeout_seconds=config.timeout_seconds,
        body_bytes=config.response_body_bytes,
        connections=config.max_in_flight,
    )
    dispatcher = Dispatcher(db, clock, service, config, sender, metrics)
    outbox.on_written(dispatcher.wake)
    return service, dispatcher
