"""The delivery dispatcher: claims due deliveries in batches, sends them, writes the outcomes.

A claim is a lease (`DeliveryLeases.claim`): the rows' due time moves to the lease's expiry,
so the rows of a worker that died come back and are sent again, with the same `webhook-id`.
Sends run as tasks, at most `max_in_flight` at once and `per_endpoint_concurrency` per endpoint,
so a slow or dead endpoint holds only its own slots. Outcomes are written in groups (one
transaction for all the attempts that finished meanwhile). Time comes from the injected clock:
tests call `run_once()` and `idle()` (or `deliver_due()`) instead of sleeping.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from datetime import timedelta

import structlog

from interlink.config import WebhookSettings
from interlink.core.clock import Clock
from interlink.core.db import Database
from interlink.core.errors import SecretUnreadable
from interlink.core.metrics import Metrics
from interlink.core.waiting import wait_set
from interlink.webhooks.repository import AttemptResult, Claimed, DeliveryLeases, EndpointRow
from interlink.webhooks.schedule import next_delay
from interlink.webhooks.sender import Message, Sender, Sent
from interlink.webhooks.service import WebhookService

log = structlog.get_logger(__name__)


class Dispatcher:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        webhooks: WebhookService,
        settings: WebhookSettings,
        sender: Sender,
        metrics: Metrics | None = None,
    ) -> None:
        self.db = db
        self.leases = DeliveryLeases(db)
        self.metrics = metrics
        self.clock = clock
        self.webhooks = webhooks
        self.settings = settings
        self.sender = sender
        self._in_flight: Counter[str] = Counter()
        self._tasks: set[asyncio.Task[None]] = set()
        self._outcomes: list[AttemptResult] = []
        self._writer: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._stopping = False

    # -- running in a process ------------------------------------------------------------------
    def wake(self) -> None:
        """New deliveries were committed: claim now rather than at the next poll."""
        self._wake.set()

    def start(self) -> None:
        self._stopping = False
        self._loop_task = asyncio.create_task(self._run(), name="webhook-dispatcher")

    async def stop(self) -> None:
        """Stop claiming, let the sends under way finish (each bounded by the timeout)."""
        self._stopping = True
        self._wake.set()
        if self._loop_task is not None:
            await self._loop_task
            self._loop_task = None
        await self.idle()
        await self.sender.close()

    async def _run(self) -> None:
        while not self._stopping:
            try:
                claimed = await self.run_once()
            except Exception:
                log.exception("webhook_claim_failed")
                claimed = 0
            if claimed and self._has_room():
                continue
            self._wake.clear()
            await wait_set(self._wake, self.settings.poll_interval_seconds)

    # -- one step, for the loop and for tests --------------------------------------------------
    async def run_once(self) -> int:
        """Claim what is due and has room, start sending it; returns how many were claimed."""
        limit = min(self.settings.batch_size, self.settings.max_in_flight - len(self._tasks))
        if limit <= 0:
            return 0
        now = self.clock.now()
        lease = secrets.token_hex(8)
        until = now + timedelta(
            seconds=max(self.settings.lease_seconds, 2 * self.settings.timeout_seconds)
        )
        cap = self.settings.per_endpoint_concurrency
        room = {endpoint: cap - busy for endpoint, busy in self._in_flight.items()}

        claimed, endpoints = await self.leases.claim(
            now=now, lease=lease, lease_until=until, room=room, default_room=cap, limit=limit
        )
        for delivery in claimed:
            self._in_flight[delivery.endpoint_id] += 1
            task = asyncio.create_task(self._deliver(delivery, endpoints.get(delivery.endpoint_id)))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(claimed)

    async def idle(self) -> None:
        """Wait until every send started is done and its outcome written (bounded)."""
        for _ in range(10_000):
            if self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)
            elif self._writer is not None:
                await asyncio.shield(self._writer)
            else:
                return

    async def deliver_due(self, *, rounds: int = 100) -> int:
        """Claim and send everything due now, and wait for it (tests, benchmarks)."""
        total = 0
        for _ in range(rounds):
            await self.idle()  # sends under way free their endpoints' slots first
            claimed = await self.run_once()
            total += claimed
            if not claimed:
                break
        await self.idle()
        return total

    async def abandon(self) -> None:
        """Drop every send under way without writing an outcome, as a killed worker would."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        self._in_flight.clear()

    # -- one delivery --------------------------------------------------------------------------
    async def _deliver(self, delivery: Claimed, endpoint: EndpointRow | None) -> None:
        try:
            sent = await self._attempt(delivery, endpoint)
            outcome = self._judge(delivery, endpoint, sent)
            self._outcomes.append(outcome)
            if self.metrics is not None:
                self.metrics.delivery(outcome.status, sent.duration_ms / 1000)
            if self._writer is None:
                self._writer = asyncio.create_task(self._write_outcomes())
        finally:
            left = self._in_flight[delivery.endpoint_id] = self._in_flight[delivery.endpoint_id] - 1
            if left <= 0:
                del self._in_flight[delivery.endpoint_id]
            # Claim again once there is room worth a claim (a claim is a database round trip
            # or more: claiming for each finished send, one row at a time, was the bottleneck
            # on PostgreSQL), not at every send that ends.
            if (
                left <= self.settings.per_endpoint_concurrency // 2
                or len(self._tasks) <= self.settings.max_in_flight // 2
            ):
                self._wake.set()

    async def _attempt(self, delivery: Claimed, endpoint: EndpointRow | None) -> Sent:
        if endpoint is None or not endpoint.enabled:
            return Sent(None, 0, None, "the endpoint is disabled")
        try:
            signing = self.webhooks.secrets(
                endpoint.workspace_id, endpoint.id, endpoint.sealed_secret,
                endpoint.sealed_previous_secret, endpoint.previous_secret_until,
            )  # fmt: skip
            custom = self.webhooks.headers(endpoint.workspace_id, endpoint.id, endpoint.headers)
        except SecretUnreadable:
            return Sent(None, 0, None, "the endpoint's secret or headers cannot be decrypted")
        message = Message(
            delivery_id=delivery.id, event_id=delivery.event_id, event_type=delivery.event_type,
            body=delivery.payload.encode(), url=endpoint.url, custom_headers=custom,
            secrets=signing, timestamp=int(self.clock.now().timestamp()),
        )  # fmt: skip
        return await self.sender.send(message)

    def _judge(self, delivery: Claimed, endpoint: EndpointRow | None, sent: Sent) -> AttemptResult:
        now = self.clock.now()
        attempts = delivery.attempts + 1
        status, due = "succeeded", None
        if not sent.ok:
            delay = None
            if endpoint is not None and endpoint.enabled and sent.status_code != 410:
                delay = next_delay(attempts, endpoint.max_attempts, endpoint.backoff_ms)
            status = "failed" if delay is None else "pending"
            due = None if delay is None else now + timedelta(seconds=delay)
        error = sent.error
        if error is None and not sent.ok:
            error = f"the endpoint answered {sent.status_code}"
        return AttemptResult(
            delivery_id=delivery.id, endpoint_id=delivery.endpoint_id, lease=delivery.lease,
            at=now, status_code=sent.status_code, duration_ms=sent.duration_ms,
            response_body=sent.response_body, error=error, status=status, next_attempt_at=due,
        )  # fmt: skip

    # -- outcomes ------------------------------------------------------------------------------
    async def _write_outcomes(self) -> None:
        try:
            while self._outcomes:
                batch, self._outcomes = self._outcomes, []
                gone = {o.endpoint_id for o in batch if o.status_code == 410}
                try:
                    overdue = await self._save(batch)
                except Exception:
                    # The leases run out and the rows are sent again: nothing is lost.
                    log.exception("webhook_outcomes_not_written", count=len(batch))
                    continue
                for endpoint_id in sorted(gone):
                    await self._disable(endpoint_id, "the endpoint answered 410 Gone")
                for endpoint_id in sorted(set(overdue) - gone):
                    hours = self.settings.disable_after_hours
                    await self._disable(endpoint_id, f"failing continuously for {hours:g} h")
        finally:
            self._writer = None

    async def _save(self, batch: list[AttemptResult]) -> list[str]:
        before = self.clock.now() - timedelta(hours=self.settings.disable_after_hours)
        return await self.leases.save(batch, before)

    async def _disable(self, endpoint_id: str, reason: str) -> None:
        try:
            async with self.db.transaction() as session:
                await self.webhooks.disable(session, endpoint_id, reason)
        except Exception:
            log.exception("webhook_not_disabled", webhook_id=endpoint_id)

    def _has_room(self) -> bool:
        return len(self._tasks) < self.settings.max_in_flight
