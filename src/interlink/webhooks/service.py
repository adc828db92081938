"""Webhook endpoints and their delivery log: the behaviour, callable without HTTP."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.auth.scopes import Principal
from interlink.core.clock import Clock
from interlink.core.errors import Conflict, DeliveryNotFound, SecretUnreadable, WebhookNotFound
from interlink.core.ids import new_id
from interlink.core.pagination import PageParams
from interlink.events.service import EventService
from interlink.events.types import EventType, WebhookDisabled, WebhookTest, new_event
from interlink.transport.ssrf import AddressPolicy
from interlink.vault.keyring import DecryptionFailed, KeyMissing, Keyring, key_id_of
from interlink.vault.masking import MASK
from interlink.webhooks.headers import EndpointHeaders
from interlink.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from interlink.webhooks.outbox import delivery_values
from interlink.webhooks.repository import WebhookRepository
from interlink.webhooks.schemas import (
    AttemptOut,
    DeliveryOut,
    RetryPolicyOut,
    SecretRotate,
    WebhookCreate,
    WebhookOut,
    WebhookUpdate,
)
from interlink.webhooks.signing import new_secret
from interlink.webhooks.urls import check_endpoint_url

log = structlog.get_logger(__name__)


def secret_aad(workspace_id: str, endpoint_id: str) -> str:
    return f"webhook:{workspace_id}:{endpoint_id}"


class WebhookService:
    def __init__(
        self,
        clock: Clock,
        keyring: Keyring,
        events: EventService,
        policy: AddressPolicy,
        *,
        rotation_grace_hours: float,
    ) -> None:
        self.clock = clock
        self.keyring = keyring
        self.events = events
        self.policy = policy
        self.grace = timedelta(hours=rotation_grace_hours)

    # -- endpoints -----------------------------------------------------------------------------
    async def create(
        self, session: AsyncSession, principal: Principal, body: WebhookCreate
    ) -> tuple[WebhookEndpoint, str]:
        await check_endpoint_url(self.policy, body.url)
        now = self.clock.now()
        secret = body.secret or new_secret()
        policy = body.retry_policy
        row = WebhookEndpoint(
            id=new_id("whk"), workspace_id=principal.workspace_id, name=body.name,
            description=body.description, url=body.url, events=body.events,
            sealed_previous_secret=None, previous_secret_until=None,
            max_attempts=policy.max_attempts if policy else None,
            backoff_ms=policy.backoff_ms if policy else None, enabled=body.enabled,
            disabled_reason=None, failing_since=None, created_at=now, updated_at=now,
        )  # fmt: skip
        row.sealed_secret = self._seal(row, secret)
        row.headers = self._headers_of(row).seal(body.headers, {})
        WebhookRepository(session).add(row)
        return row, secret

    async def get(
        self, session: AsyncSession, workspace_id: str, endpoint_id: str
    ) -> WebhookEndpoint:
        row = await WebhookRepository(session).get(workspace_id, endpoint_id)
        if row is None:
            raise WebhookNotFound()
        return row

    async def page(
        self, session: AsyncSession, workspace_id: str, params: PageParams
    ) -> tuple[Sequence[WebhookEndpoint], int]:
        return await WebhookRepository(session).page(workspace_id, params)

    async def update(
        self, session: AsyncSession, workspace_id: str, endpoint_id: str, body: WebhookUpdate
    ) -> WebhookEndpoint:
        row = await self.get(session, workspace_id, endpoint_id)
        given = body.model_fields_set
        if body.url is not None:
            await check_endpoint_url(self.policy, body.url)
        if body.headers is not None:
            row.headers = self._headers_of(row).seal(body.headers, row.headers)
        for name in ("url", "events", "name", "description"):
            if name in given and (
                getattr(body, name) is not None or name in {"name", "description"}
            ):
                setattr(row, name, getattr(body, name))
        if "retry_policy" in given:
            policy = body.retry_policy
            row.max_attempts = policy.max_attempts if policy else None
            row.backoff_ms = policy.backoff_ms if policy else None
        if body.enabled is not None:
            if body.enabled and not row.enabled:
                row.disabled_reason, row.failing_since = None, None
            elif not body.enabled and row.enabled:
                row.disabled_reason = "disabled by a user"
            row.enabled = body.enabled
        row.updated_at = self.clock.now()
        return row

    async def delete(self, session: AsyncSession, workspace_id: str, endpoint_id: str) -> None:
        row = await self.get(session, workspace_id, endpoint_id)
        await WebhookRepository(session).delete(row)

    async def rotate_secret(
        self, session: AsyncSession, workspace_id: str, endpoint_id: str, body: SecretRotate
    ) -> tuple[WebhookEndpoint, str]:
        """A new secret; the old one keeps signing too until the grace period ends."""
        row = await self.get(session, workspace_id, endpoint_id)
        now = self.clock.now()
        secret = body.secret or new_secret()
        row.sealed_previous_secret = row.sealed_secret
        row.previous_secret_until = now + self.grace
        row.sealed_secret = self._seal(row, secret)
        row.updated_at = now
        return row, secret

    async def send_test(
        self, session: AsyncSession, workspace_id: str, endpoint_id: str
    ) -> WebhookDelivery:
        """A `webhook.test` event, delivered to this endpoint only, due now."""
        row = await self.get(session, workspace_id, endpoint_id)
        if not row.enabled:
            raise Conflict("The webhook is disabled: enable it first")
        payload = WebhookTest(webhook_id=row.id, message="A test event from Interlink")
        now = self.clock.now()
        event = new_event(workspace_id, EventType.WEBHOOK_TEST, payload, at=now)
        await self.events.publish(session, event, deliver=False)
        delivery = WebhookDelivery(**delivery_values(event, row.id, now))
        WebhookRepository(session).add(delivery)
        return delivery

    async def disable(self, session: AsyncSession, endpoint_id: str, reason: str) -> bool:
        """Disable an endpoint (the dispatcher's 410 or a run of failures): its pending
        deliveries fail, and a `webhook.disabled` event is written. False if it was not on."""
        row = await session.get(WebhookEndpoint, endpoint_id)
        if row is None or not row.enabled:
            return False
        now = self.clock.now()
        row.enabled, row.disabled_reason, row.updated_at = False, reason, now
        await WebhookRepository(session).fail_pending(row.id, f"endpoint disabled: {reason}", now)
        payload = WebhookDisabled(webhook_id=row.id, url=row.url, reason=reason)
        event = new_event(row.workspace_id, EventType.WEBHOOK_DISABLED, payload, at=now)
        await self.events.publish(session, event)  # to the endpoints as they are now
        log.warning("webhook_disabled", webhook_id=row.id, reason=reason)
        return True

    def secrets(self, workspace_id: str, endpoint_id: str, sealed: str, previous: str | None,
                previous_until: datetime | None) -> list[str]:  # fmt: skip
        """The secrets that sign now: the current one first, then one in its grace period."""
        found = [self._open(workspace_id, endpoint_id, sealed)]
        if previous and previous_until and previous_until > self.clock.now():
            found.append(self._open(workspace_id, endpoint_id, previous))
        return found

    def headers(
        self, workspace_id: str, endpoint_id: str, stored: dict[str, Any]
    ) -> dict[str, str]:
        """The custom headers to send, opened."""
        try:
            return EndpointHeaders(self.keyring, workspace_id, endpoint_id).open(stored)
        except (DecryptionFailed, KeyMissing):
            log.error("webhook_headers_unreadable", webhook_id=endpoint_id)
            raise SecretUnreadable(
                f"The headers of webhook {endpoint_id} cannot be decrypted"
            ) from None

    def to_out(self, row: WebhookEndpoint, *, secret: str | None = None) -> WebhookOut:
        policy = None
        if row.max_attempts is not None or row.backoff_ms is not None:
            policy = RetryPolicyOut(
                max_attempts=row.max_attempts or 8, backoff_ms=row.backoff_ms or 1000
            )
        grace = row.previous_secret_until
        return WebhookOut(
            id=row.id, name=row.name, description=row.description, url=row.url,
            events=row.events, headers=self._headers_of(row).shown(row.headers),
            retry_policy=policy,
            enabled=row.enabled, disabled_reason=row.disabled_reason,
            failing_since=row.failing_since, secret=secret or MASK,
            previous_secret_expires_at=grace if grace and grace > self.clock.now() else None,
            created_at=row.created_at, updated_at=row.updated_at,
        )  # fmt: skip

    # -- the delivery log ----------------------------------------------------------------------
    async def deliveries(
        self,
        session: AsyncSession,
        workspace_id: str,
        endpoint_id: str,
        params: PageParams,
        *,
        status: str | None = None,
        event_type: str | None = None,
    ) -> tuple[list[DeliveryOut], int]:
        await self.get(session, workspace_id, endpoint_id)
        repo = WebhookRepository(session)
        rows, total = await repo.deliveries(
            endpoint_id, params, status=status, event_type=event_type
        )
        attempts = await repo.attempts_of([r.id for r in rows])
        return [delivery_out(r, attempts[r.id]) for r in rows], total

    async def delivery(
        self, session: AsyncSession, workspace_id: str, endpoint_id: str, delivery_id: str
    ) -> DeliveryOut:
        row = await self._delivery(session, workspace_id, endpoint_id, delivery_id)
        attempts = await WebhookRepository(session).attempts_of([row.id])
        return delivery_out(row, attempts[row.id])

    async def retry(
        self, session: AsyncSession, workspace_id: str, endpoint_id: str, delivery_id: str
    ) -> DeliveryOut:
        """Send a delivery again now (one more attempt), whatever its state, unless a worker is
        sending it at this moment."""
        endpoint = await self.get(session, workspace_id, endpoint_id)
        if not endpoint.enabled:
            raise Conflict("The webhook is disabled: enable it first")
        row = await self._delivery(session, workspace_id, endpoint_id, delivery_id)
        now = self.clock.now()
        if row.lease is not None and row.next_attempt_at is not None and row.next_attempt_at > now:
            raise Conflict("This delivery is being sent now")
        row.status, row.next_attempt_at, row.lease, row.updated_at = "pending", now, None, now
        attempts = await WebhookRepository(session).attempts_of([row.id])
        return delivery_out(row, attempts[row.id])

    async def recover(
        self, session: AsyncSession, workspace_id: str, endpoint_id: str, since: datetime
    ) -> int:
        """Send again every failed delivery of the endpoint made since `since`."""
        endpoint = await self.get(session, workspace_id, endpoint_id)
        if not endpoint.enabled:
            raise Conflict("The webhook is disabled: enable it first")
        return await WebhookRepository(session).requeue(
            endpoint_id,
            WebhookDelivery.status == "failed",
            WebhookDelivery.created_at >= since,
            now=self.clock.now(),
        )

    async def _delivery(
        self, session: AsyncSession, workspace_id: str, endpoint_id: str, delivery_id: str
    ) -> WebhookDelivery:
        await self.get(session, workspace_id, endpoint_id)
        row = await WebhookRepository(session).delivery(endpoint_id, delivery_id)
        if row is None:
            raise DeliveryNotFound()
        return row

    # -- secrets -------------------------------------------------------------------------------
    def _headers_of(self, row: WebhookEndpoint) -> EndpointHeaders:
        return EndpointHeaders(self.keyring, row.workspace_id, row.id)

    def _seal(self, row: WebhookEndpoint, secret: str) -> str:
        return self.keyring.seal(secret.encode(), secret_aad(row.workspace_id, row.id))

    def _open(self, workspace_id: str, endpoint_id: str, sealed: str) -> str:
        try:
            return self.keyring.open(sealed, secret_aad(workspace_id, endpoint_id)).decode()
        except (DecryptionFailed, KeyMissing):
            log.error("webhook_secret_unreadable", webhook_id=endpoint_id)
            raise SecretUnreadable(
                f"The secret of webhook {endpoint_id} cannot be decrypted"
            ) from None


def delivery_out(row: WebhookDelivery, attempts: list[WebhookAttempt]) -> DeliveryOut:
    return DeliveryOut(
        id=row.id, webhook_id=row.endpoint_id, event_id=row.event_id, event=row.event_type,
        status=row.status,
        attempt_count=row.attempts, next_attempt_at=row.next_attempt_at,
        last_status_code=row.last_status_code, last_error=row.last_error,
        created_at=row.created_at, updated_at=row.updated_at,
        attempts=[AttemptOut.model_validate(a) for a in attempts],
    )  # fmt: skip


async def reseal_webhook_secrets(session: AsyncSession, keyring: Keyring, old: set[str]) -> int:
    """Re-encrypt, under the active key, the webhook secrets and header values sealed under a key
    in `old`, and seal header values stored in clear by earlier versions (a resealer of
    `interlink vault rotate-key`, and run at start with no old keys); returns how many."""
    count = 0
    for row in await WebhookRepository(session).all_endpoints():
        headers, changed = EndpointHeaders(keyring, row.workspace_id, row.id).reseal(
            row.headers, old
        )
        if changed:
            row.headers, count = headers, count + changed
        aad = secret_aad(row.workspace_id, row.id)
        if key_id_of(row.sealed_secret) in old:
            row.sealed_secret = keyring.reseal(row.sealed_secret, aad)
            count += 1
        previous = row.sealed_previous_secret
        if previous is not None and key_id_of(previous) in old:
            row.sealed_previous_secret = keyring.reseal(previous, aad)
            count += 1
    return count
