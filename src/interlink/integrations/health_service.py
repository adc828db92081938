"""Test and health: the connector's credential check, run through the transport like any call,
read as connection, authentication, rate limit, circuit breaker and permission checks; a deep
check of a language model adds a tiny real completion (`health_completion`)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from interlink.auth.scopes import Principal
from interlink.core.clock import Clock
from interlink.core.db import Database
from interlink.core.errors import (
    AuthenticationFailed,
    InterlinkError,
    InvalidOperation,
    PermissionDenied,
)
from interlink.events.service import EventService
from interlink.events.types import EventType, IntegrationHealthChanged, new_event
from interlink.integrations.health_completion import CompletionCheck, speaks
from interlink.integrations.health_schemas import (
    ConnectionTest,
    HealthCheckItem,
    HealthCheckRun,
    HealthMetrics,
    HealthStatus,
)
from interlink.integrations.models import Integration
from interlink.integrations.operations_repository import StatsRepository
from interlink.integrations.operations_service import OperationService, provider_token_url
from interlink.integrations.service import IntegrationService
from interlink.providers.kit.action import CheckResult, Connector
from interlink.transport.breaker import BreakerState
from interlink.vault.oauth import expiry_notice
from interlink.vault.service import OpenCredential

_LOW_BUDGET = 0.1  # warn below a tenth of the provider's budget


@dataclass(frozen=True)
class HourStats:
    """Calls in one hour: how many, how many failed, their total duration."""

    hour: datetime
    calls: int
    failures: int
    total_ms: int


@dataclass(frozen=True)
class Probe:
    result: CheckResult | None
    error: InterlinkError | None
    latency_ms: int
    tried: bool = True  # False: refused before the provider was called (an expired token)
    notice: str | None = None  # about the credentials, when they will stop working soon


class HealthService:
    def __init__(
        self,
        clock: Clock,
        db: Database,
        integrations: IntegrationService,
        operations: OperationService,
        events: EventService,
    ) -> None:
        self.clock = clock
        self.db = db
        self.integrations = integrations
        self.operations = operations
        self.events = events

    async def test(self, principal: Principal, integration_id: str) -> ConnectionTest:
        row, connector, credentials = await self._load(principal.workspace_id, integration_id)
        if connector is None:
            raise _no_connector(row)
        probe = await self._probe(row, connector, credentials)
        if probe.error is None and probe.result is not None:
            message = f"Successfully connected to {connector.spec.name}: {probe.result.message}"
        else:
            message = self._failure(probe.error)
        return ConnectionTest(
            success=probe.error is None,
            latency_ms=probe.latency_ms,
            message=message,
            timestamp=self.clock.now(),
        )

    async def check(
        self, principal: Principal, integration_id: str, *, deep: bool = False
    ) -> HealthCheckRun:
        """`deep`: a language model also answers a one-token completion, charged as any call
        (other integrations are checked as without it)."""
        row, connector, credentials = await self._load(principal.workspace_id, integration_id)
        probe = await self._probe(row, connector, credentials)
        deeper = deep and connector is not None and speaks(connector)
        completion = await self._completion(row, connector, credentials, probe) if deeper else None
        checks = [
            self._connection(connector, probe),
            self._authentication(probe),
            self._rate_limit(row),
            await self._breaker(row),
            self._permissions(connector, probe),
            *([completion] if completion is not None else []),
        ]
        status = _overall(checks)
        message = (
            "All systems operational"
            if status == "healthy"
            else "; ".join(
                f"{c.name}: {c.message}" for c in checks if c.status in {"failed", "warning"}
            )
        )
        run = HealthCheckRun(
            status=status, timestamp=self.clock.now(), message=message, checks=checks
        )
        await self._store(row.workspace_id, row.id, run)
        return run

    async def metrics(self, session: AsyncSession, row: Integration) -> HealthMetrics:
        since = self.clock.now() - timedelta(hours=24)
        calls, failures, total_ms, _ = await StatsRepository(session).totals(row.id, since=since)
        llm = await self.integrations.llm_spend(session, row, since)
        if calls == 0:
            return HealthMetrics(
                success_rate_24h=None, average_latency_ms=None, error_rate=None, total_calls_24h=0,
                llm_24h=llm,
            )  # fmt: skip
        return HealthMetrics(
            success_rate_24h=round(100 * (calls - failures) / calls, 2),
            average_latency_ms=round(total_ms / calls, 1),
            error_rate=round(100 * failures / calls, 2),
            total_calls_24h=calls,
            llm_24h=llm,
        )

    async def hourly(
        self, session: AsyncSession, workspace_id: str, integration_id: str | None = None
    ) -> list[HourStats]:
        """The last 24 hours' calls, hour by hour, of a workspace's integrations (or one): the
        same counts as `metrics`, for charts."""
        since = self.clock.now() - timedelta(hours=24)
        rows = await StatsRepository(session).hourly(workspace_id, since, integration_id)
        return [HourStats(hour, calls, failures, ms) for hour, calls, failures, ms in rows]

    # -- steps ------------------------------------------------------------------------------------
    async def _load(
        self, workspace_id: str, integration_id: str
    ) -> tuple[Integration, type[Connector] | None, OpenCredential]:
        async with self.db.read() as session:
            row = await self.integrations.get(session, workspace_id, integration_id)
            credential = await self.integrations.credential_for_use(session, row)
            connector = await self.operations.registry.connector_of(
                row.type, row.workspace_id, row.configuration, session
            )
        return row, connector, credential

    async def _probe(
        self, row: Integration, connector: type[Connector] | None, credential: OpenCredential
    ) -> Probe:
        started = time.perf_counter()
        if connector is None:
            return Probe(None, _no_connector(row), 0)
        try:
            ctx = await self.operations.context(row, connector, credential)
        except AuthenticationFailed as refused:  # an expired OAuth token, not refreshed
            return Probe(None, refused, 0, tried=False)
        result: CheckResult | None = None
        error: InterlinkError | None = None
        secrets = ctx.secrets  # its messages are stored, published and shown
        with secrets.active():
            try:
                result = await connector().check(ctx)
                result.message = secrets.text(result.message)
            except InterlinkError as failure:
                error = secrets.error(failure)
        notice = self._expiry_notice(row, connector, credential)
        return Probe(result, error, int((time.perf_counter() - started) * 1000), notice=notice)

    async def _completion(
        self,
        row: Integration,
        connector: type[Connector] | None,
        credential: OpenCredential,
        probe: Probe,
    ) -> HealthCheckItem:
        if connector is None or probe.error is not None:
            return HealthCheckItem(
                name="completion", status="skipped", message="Not tried: the check failed first"
            )
        ctx = await self.operations.context(row, connector, credential, operation="stream_chat")
        identity = (row.workspace_id, row.id, row.type)
        meter = self.operations.meter
        return await CompletionCheck(connector, ctx, meter, identity, self.clock).run()

    def _expiry_notice(
        self, row: Integration, connector: type[Connector], credential: OpenCredential
    ) -> str | None:
        if row.configuration.get("auth_method") != "oauth":
            return None
        provider_url = provider_token_url(row, connector)
        return expiry_notice(credential.data, provider_url, self.clock.now())

    async def _store(self, workspace_id: str, integration_id: str, run: HealthCheckRun) -> None:
        async with self.db.transaction() as session:
            row = await self.integrations.get(session, workspace_id, integration_id)
            previous = row.health_status
            row.health_status, row.health_checked_at = run.status, run.timestamp
            row.health_message = run.message
            row.health_checks = [c.model_dump(mode="json") for c in run.checks]
            if previous != run.status:
                changed = IntegrationHealthChanged(
                    integration_id=row.id, previous_status=previous, status=run.status,
                    message=run.message,
                )  # fmt: skip
                event = new_event(
                    workspace_id, EventType.INTEGRATION_HEALTH_CHANGED, changed,
                    at=self.clock.now(), integration_id=row.id,
                )  # fmt: skip
                await self.events.publish(session, event)

    # -- the checks -------------------------------------------------------------------------------
    @staticmethod
    def _failure(error: InterlinkError | None) -> str:
        if error is None:
            return "No answer"
        provider = next(
            (d.get("provider_message") for d in error.details if "provider_message" in d), None
        )
        return f"{error.code}: {provider or error.message}"

    def _connection(self, connector: type[Connector] | None, probe: Probe) -> HealthCheckItem:
        if not probe.tried:
            return HealthCheckItem(
                name="connection",
                status="skipped",
                message="Not tried: " + self._failure(probe.error),
            )
        reached = probe.error is None or isinstance(
            probe.error, AuthenticationFailed | PermissionDenied
        )
        name = connector.spec.name if connector else "the provider"
        return HealthCheckItem(
            name="connection",
            status="passed" if reached else "failed",
            latency_ms=probe.latency_ms,
            message=f"Successfully connected to {name}" if reached else self._failure(probe.error),
        )

    def _authentication(self, probe: Probe) -> HealthCheckItem:
        if probe.error is None and probe.notice is not None:
            return HealthCheckItem(name="authentication", status="warning", message=probe.notice)
        if probe.error is None:
            return HealthCheckItem(
                name="authentication", status="passed", message="Successfully authenticated"
            )
        if isinstance(probe.error, AuthenticationFailed | PermissionDenied):
            return HealthCheckItem(
                name="authentication", status="failed", message=self._failure(probe.error)
            )
        return HealthCheckItem(name="authentication", status="skipped", message="Not reached")

    def _rate_limit(self, row: Integration) -> HealthCheckItem:
        """The requests left, and a language model's tokens left (and its output tokens, where
        the provider counts them apart), as the provider last said."""
        transport = self.operations.transport
        windows = [
            (label, seen)
            for label, seen in (
                ("Rate limit", transport.observed.get(row.id)),
                ("Tokens", transport.observed_tokens.get(row.id)),
                ("Output tokens", transport.observed_output_tokens.get(row.id)),
            )
            if seen is not None and seen.remaining is not None
        ]
        if not windows:
            return HealthCheckItem(
                name="rate_limit", status="passed", message="No rate-limit headers seen"
            )
        low = any(
            seen.limit is not None and (seen.remaining or 0) < seen.limit * _LOW_BUDGET
            for _, seen in windows
        )
        return HealthCheckItem(
            name="rate_limit", status="warning" if low else "passed",
            message="; ".join(f"{label}: {seen.describe()}" for label, seen in windows),
        )  # fmt: skip

    async def _breaker(self, row: Integration) -> HealthCheckItem:
        state = await self.operations.transport.breakers.state(row.id)
        return HealthCheckItem(
            name="circuit_breaker",
            status="failed" if state is BreakerState.OPEN else "passed",
            message=f"Circuit {state.value.replace('_', ' ')}",
        )

    def _permissions(self, connector: type[Connector] | None, probe: Probe) -> HealthCheckItem:
        if probe.result is None or probe.result.scopes is None or connector is None:
            return HealthCheckItem(
                name="permissions", status="passed", message="The provider reports no scopes"
            )
        held = set(probe.result.scopes)
        missing = sorted(
            action for action, needs in connector.required_scopes.items() if not held & needs
        )
        if missing:
            return HealthCheckItem(
                name="permissions", status="warning",
                message=f"The credentials lack the scopes of: {', '.join(missing)}",
            )  # fmt: skip
        return HealthCheckItem(
            name="permissions", status="passed", message="All required permissions granted"
        )


def _no_connector(row: Integration) -> InvalidOperation:
    return InvalidOperation(
        f"{row.type} integrations have no connector installed: there is nothing to test or run "
        "until one is"
    )


def _overall(checks: list[HealthCheckItem]) -> HealthStatus:
    if any(c.status == "failed" for c in checks):
        return "unhealthy"
    if any(c.status == "warning" for c in checks):
        return "degraded"
    return "healthy"
