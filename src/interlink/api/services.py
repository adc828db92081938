"""The objects one process shares between requests, built once at start."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from interlink.ai.gateway.deps import GatewayDeps
from interlink.ai.gateway.service import Gateway
from interlink.ai.routes.deps import RouteDeps
from interlink.ai.routes.service import RouteService
from interlink.ai.usage.budgets import Limit
from interlink.ai.usage.deps import UsageDeps
from interlink.ai.usage.meter import UsageMeter
from interlink.ai.usage.service import UsageService
from interlink.api.deps import Shared
from interlink.auth.deps import AuthDeps
from interlink.auth.models import ApiKey
from interlink.auth.ratelimit import RequestRateLimiter
from interlink.auth.service import AuthService
from interlink.auth.sso.service import SsoService
from interlink.auth.tokens import TokenVerifier
from interlink.config import Settings
from interlink.console.deps import ConsoleDeps
from interlink.console.sso_routes import SsoDeps
from interlink.core.clock import Clock
from interlink.core.db import Database
from interlink.core.metrics import Metrics
from interlink.core.snapshots import SnapshotCache
from interlink.custom_providers.deps import CustomProviderDeps
from interlink.custom_providers.service import CustomProviderService, Declarations
from interlink.events.bell import EventBell
from interlink.events.deps import EventDeps
from interlink.events.service import EventService
from interlink.events.stream import EventStream
from interlink.hooks.deps import HookDeps
from interlink.hooks.service import HookService
from interlink.idempotency.service import IdempotencyStore
from interlink.integrations.deps import IntegrationDeps
from interlink.integrations.durable import Durable
from interlink.integrations.health_service import HealthService
from interlink.integrations.operations_service import Loaded, OperationService
from interlink.integrations.service import IntegrationService
from interlink.jobs import Jobs
from interlink.jobs.queue_stats import QueueStats
from interlink.providers.deps import ProviderDeps
from interlink.providers.registry import Registry, default_registry
from interlink.transport.client import Transport
from interlink.transport.factory import build_transport
from interlink.vault.deps import VaultDeps
from interlink.vault.keyring import Keyring
from interlink.vault.oauth import OAuthRefresher
from interlink.vault.service import CredentialService
from interlink.webhooks.deps import WebhookDeps
from interlink.webhooks.dispatcher import Dispatcher
from interlink.webhooks.factory import build_webhooks
from interlink.webhooks.outbox import Outbox
from interlink.webhooks.service import WebhookService
from interlink.workflows.deps import WorkflowDeps
from interlink.workflows.engine import Engine
from interlink.workflows.follower import EventFollower
from interlink.workflows.requests import StepRequests
from interlink.workflows.sandbox import Sandbox
from interlink.workflows.schedules import Scheduler
from interlink.workflows.service import WorkflowService
from interlink.workflows.steps.base import Tools
from interlink.workflows.templates import Limits

if TYPE_CHECKING:
    from aiohttp.abc import AbstractResolver


@dataclass
class Services:
    """The composition root: the one place that knows every domain. The HTTP plumbing and each
    domain's routes read it as a protocol of their own (`interlink.api.deps`), checked by
    `_read_by_routes`."""

    settings: Settings
    clock: Clock
    db: Database
    keyring: Keyring
    auth: AuthService
    sso: SsoService
    rate_limiter: RequestRateLimiter
    events: EventService
    credentials: CredentialService
    integrations: IntegrationService
    custom_providers: CustomProviderService
    operations: OperationService
    health: HealthService
    transport: Transport
    idempotency: IdempotencyStore
    event_stream: EventStream
    hooks: HookService
    jobs: Jobs
    durable: Durable
    webhooks: WebhookService
    dispatcher: Dispatcher
    workflows: WorkflowService
    engine: Engine
    scheduler: Scheduler
    follower: EventFollower
    metrics: Metrics
    usage: UsageService
    meter: UsageMeter
    ai_routes: RouteService
    ai_gateway: Gateway

    async def close(self) -> None:
        """Finish the writes under way and release connections (after background work stopped)."""
        await self.operations.recorder.close()
        await self.event_stream.bell.close()
        await self.transport.close()
        await self.workflows.sandbox.close()
        await self.db.dispose()

    @classmethod
    def build(
        cls,
        settings: Settings,
        clock: Clock,
        db: Database,
        keyring: Keyring,
        metrics: Metrics | None = None,
        resolver: AbstractResolver | None = None,
    ) -> Services:
        metrics = metrics or Metrics(per_integration=settings.metrics.per_integration)
        recording = metrics if settings.metrics.enabled else None  # switched off: nothing counted
        outbox = Outbox(db, clock, settings.db.cache_seconds)
        events = EventService(outbox)
        registry = default_registry().declaring(Declarations(db))
        credentials = CredentialService(
            clock, keyring, events, lambda provider: _api_hosts(registry, provider)
        )
        transport = build_transport(settings, clock, recording, resolver)
        usage = UsageService(clock)
        integrations = IntegrationService(
            clock, credentials, events, registry, transport.policy, usage
        )
        refresher = OAuthRefresher(clock, db, credentials, transport, events)
        sso = SsoService(settings.sso, clock)
        known_keys: SnapshotCache[str, ApiKey] = SnapshotCache(clock, settings.db.cache_seconds)
        db.on_commit({"api_keys", "workspaces"}, known_keys.clear)
        loaded: SnapshotCache[tuple[str, str], Loaded] = SnapshotCache(
            clock, settings.db.cache_seconds
        )
        db.on_commit({"integrations", "credentials", "workspaces"}, loaded.clear)
        bell = EventBell(settings.redis.url)
        db.on_commit({"events"}, bell.ring)
        meter = _meter(settings, clock, db, events, recording)
        operations = OperationService(
            clock, db, registry, transport, settings.transport, integrations, events,
            refresher, loaded, meter,
        )  # fmt: skip
        webhooks, dispatcher = build_webhooks(
            settings, clock, db, keyring, events, outbox, recording
        )
        health = HealthService(clock, db, integrations, operations, events)
        jobs = Jobs(settings.jobs, settings.database_url, settings.server.data_dir)
        durable = Durable(settings.jobs, clock, db, jobs, keyring, operations, health)
        ai_routes = RouteService(clock, db, settings.db.cache_seconds)
        db.on_commit({"ai_route_versions"}, ai_routes.cached.clear)
        ai_gateway = Gateway(
            clock, db, operations, ai_routes, meter, events, settings.db.cache_seconds
        )
        db.on_commit({"integrations", "workspaces"}, ai_gateway.listed.clear)
        sandbox = _sandbox(settings)
        workflows = WorkflowService(
            clock, jobs, events, integrations, credentials, registry, sandbox, recording,
            ai_routes,
        )  # fmt: skip
        requests = StepRequests(db, transport, settings.transport, credentials)
        tools = Tools(operations, requests, sandbox, ai_gateway)
        engine = Engine(clock, db, events, jobs, tools, recording)
        _read_at_scrape(metrics, transport, QueueStats(db, clock))
        follower = EventFollower(
            db, clock, jobs, workflows.launcher, bell, settings.jobs.workflow_event_poll_seconds
        )
        return cls(
            settings=settings,
            clock=clock,
            db=db,
            keyring=keyring,
            auth=AuthService(clock, TokenVerifier(settings.jwt, sso.api_tokens), known_keys),
            sso=sso,
            rate_limiter=RequestRateLimiter(settings.api.rate_limit, settings.redis.url),
            events=events,
            credentials=credentials,
            integrations=integrations,
            custom_providers=CustomProviderService(clock, transport.policy, integrations),
            operations=operations,
            health=health,
            transport=transport,
            idempotency=IdempotencyStore(db, keyring, clock, settings.api.idempotency_ttl_hours),
            event_stream=EventStream(db, clock, bell),
            hooks=HookService(clock, integrations, events),
            jobs=jobs,
            durable=durable,
            webhooks=webhooks,
            dispatcher=dispatcher,
            workflows=workflows,
            engine=engine,
            scheduler=Scheduler(db, workflows.launcher),
            follower=follower,
            metrics=metrics,
            usage=usage,
            meter=meter,
            ai_routes=ai_routes,
            ai_gateway=ai_gateway,
        )


def _meter(
    settings: Settings, clock: Clock, db: Database, events: EventService, metrics: Metrics | None
) -> UsageMeter:
    limits: SnapshotCache[str, tuple[Limit, ...]] = SnapshotCache(clock, settings.db.cache_seconds)
    db.on_commit({"llm_budgets"}, limits.clear)
    return UsageMeter(clock, db, events, limits, metrics)


def _sandbox(settings: Settings) -> Sandbox:
    jobs = settings.jobs
    limits = Limits(
        jobs.workflow_template_cpu_seconds,
        jobs.workflow_template_memory_mb,
        jobs.workflow_template_max_chars,
    )
    return Sandbox(limits, jobs.workflow_template_processes)


def _read_at_scrape(metrics: Metrics, transport: Transport, queues: QueueStats) -> None:
    async def circuits() -> None:
        metrics.set_breakers(await transport.circuits())

    async def queue_depths() -> None:
        stats = await queues.read()
        metrics.set_queues((s.queue, s.state, s.count, s.oldest_seconds) for s in stats)

    metrics.on_scrape("circuits", circuits)
    metrics.on_scrape("queues", queue_depths)


def _api_hosts(registry: Registry, provider: str) -> tuple[str, ...]:
    """A provider's API host: where its credentials go unless given hosts of their own."""
    spec = registry.spec(provider)
    return spec.api_hosts if spec is not None else ()


def _read_by_routes(
    services: Services,
) -> tuple[
    Shared, AuthDeps, VaultDeps, IntegrationDeps, ProviderDeps, EventDeps, WebhookDeps, HookDeps,
    WorkflowDeps, CustomProviderDeps, UsageDeps, RouteDeps, GatewayDeps, ConsoleDeps, SsoDeps,
]:  # fmt: skip
    """Never called: mypy checks here that `Services` has what each of them reads."""
    return (services,) * 15
