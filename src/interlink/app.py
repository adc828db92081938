"""create_app(settings) -> the FastAPI application: routers, middleware, error handlers."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI, Request
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.routing import BaseRoute

from interlink import __version__, background, logs
from interlink.ai.gateway.router import anthropic as ai_anthropic_router
from interlink.ai.gateway.router import openai as ai_openai_router
from interlink.ai.routes.router import router as ai_routes_router
from interlink.ai.usage.router import router as usage_router
from interlink.api import errors, metrics, openapi
from interlink.api.limit_gate import OverLimitGate
from interlink.api.middleware import BodyGuardMiddleware, RequestContextMiddleware
from interlink.api.services import Services
from interlink.auth.router import router as auth_router
from interlink.config import Settings
from interlink.console.router import router as console_router
from interlink.core import collector
from interlink.core.clock import Clock, SystemClock
from interlink.core.db import Database
from interlink.core.envelope import Envelope, ok
from interlink.core.errors import ServiceUnavailable
from interlink.core.metrics import Metrics
from interlink.custom_providers.router import router as custom_providers_router
from interlink.events.router import router as events_router
from interlink.hooks.router import router as hooks_router
from interlink.integrations.health_router import router as health_router
from interlink.integrations.operations_router import hot_routes
from interlink.integrations.operations_router import router as operations_router
from interlink.integrations.router import router as integrations_router
from interlink.providers.router import router as connectors_router
from interlink.startup import prepare
from interlink.transfer.router import router as transfer_router
from interlink.vault.router import router as credentials_router
from interlink.webhooks.router import router as webhooks_router
from interlink.workflows.router import router as workflows_router

if TYPE_CHECKING:
    from aiohttp.abc import AbstractResolver

DESCRIPTION = """Interlink keeps the credentials of external systems in an encrypted vault and
turns them into integrations. Authenticate with `Authorization: Bearer <API key>`.
Every response is an envelope: `{"status": "success", "data": ...}` or
`{"status": "error", "error": {"code", "message", "details"}}`."""


def _health_routes() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="The process is up")
    async def healthz() -> Envelope[dict[str, Any]]:
        return ok({"alive": True, "version": __version__})

    @router.get(
        "/readyz",
        summary="The database answers",
        responses=errors.responses(ServiceUnavailable),
    )
    async def readyz(request: Request) -> Envelope[dict[str, Any]]:
        services: Services = request.app.state.services
        try:
            async with services.db.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError):
            raise ServiceUnavailable("The database does not answer") from None
        return ok({"ready": True})

    return router


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    long_lived: bool = False,
    resolver: AbstractResolver | None = None,
) -> FastAPI:
    """`long_lived`: this process serves until it ends (`interlink serve`), so the garbage
    collector is settled once start-up is over (core/collector.py). `resolver`: how provider
    names are resolved, injected like the clock (DNS by default; tests choose the answers)."""
    settings = settings or Settings()
    clock = clock or SystemClock()
    logs.configure(settings.log)
    registry = Metrics(per_integration=settings.metrics.per_integration)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        prepared = await prepare(settings, clock)
        db = Database(settings.database_url, pool_size=settings.db.pool_size)
        app.state.services = Services.build(
            settings, clock, db, prepared.keyring, registry, resolver
        )
        app.state.prepared = prepared
        app.state.background = await background.start(
            app.state.services, worker=settings.jobs.embedded_worker, role="serve"
        )
        if long_lived:
            collector.settle_after_startup()
        try:
            yield
        finally:
            await app.state.background.stop()
            await app.state.services.close()

    app = FastAPI(
        title="Interlink",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/api/v1/openapi",
        docs_url="/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    errors.install(app)
    openapi.install(app)
    app.add_middleware(
        BodyGuardMiddleware,
        max_bytes=settings.api.max_body_bytes,
        max_depth=settings.api.max_json_depth,
    )
    app.add_middleware(OverLimitGate)  # before the body guard: a refusal reads no body
    recording = registry if settings.metrics.enabled else None  # switched off: nothing counted
    app.add_middleware(RequestContextMiddleware, metrics=recording)
    app.router.routes.extend(_routes())
    if settings.metrics.enabled:
        app.router.routes.append(metrics.route(registry, settings.metrics))
    app.state.metrics = registry
    return app


@functools.cache
def _routes() -> tuple[BaseRoute, ...]:
    """Every route, built once per process: building them analyses each endpoint's signature
    and models (about 0.2 s), and they hold nothing of one app (services are on `app.state`)."""
    api = APIRouter(prefix="/api/v1")
    routers = (  # matched in this order, one route after another: the hot path first
        operations_router,
        ai_openai_router,  # the model gateway: hot as operations are
        ai_anthropic_router,
        integrations_router,
        health_router,
        connectors_router,
        custom_providers_router,
        credentials_router,
        auth_router,
        events_router,
        webhooks_router,
        hooks_router,
        workflows_router,
        usage_router,
        ai_routes_router,
        transfer_router,
    )
    for router in routers:
        api.include_router(router)
    every = APIRouter()
    every.include_router(api)
    every.include_router(_health_routes())
    every.include_router(console_router)  # the web console, /console (left out of OpenAPI)
    return (*hot_routes(api.prefix), *every.routes)
