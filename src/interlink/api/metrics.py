"""`GET /metrics`: the Prometheus text format, on the API's port, and on a port of its own in a
worker process (`interlink worker --metrics-port`), which has no HTTP server otherwise.

Each process serves its own registry (no multiprocess mode: `interlink serve` is one process);
Prometheus scrapes every process. With `INTERLINK_METRICS_TOKEN` set, a scrape must send
`Authorization: Bearer <token>`."""

from __future__ import annotations

import hmac
import json

import structlog
from aiohttp import web
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from interlink.config import MetricsSettings
from interlink.core.errors import Unauthenticated, error_body
from interlink.core.metrics import CONTENT_TYPE, Metrics

log = structlog.get_logger(__name__)
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def _allowed(settings: MetricsSettings, authorization: str | None) -> bool:
    if settings.token is None:
        return True
    expected = f"Bearer {settings.token.get_secret_value()}".encode()
    return hmac.compare_digest((authorization or "").encode(), expected)


def _refusal() -> bytes:
    error = Unauthenticated("Metrics need `Authorization: Bearer <INTERLINK_METRICS_TOKEN>`")
    return json.dumps(error_body(error.code, error.message)).encode()


def route(metrics: Metrics, settings: MetricsSettings) -> Route:
    """The API's `/metrics` route (not in the OpenAPI document)."""

    async def endpoint(request: Request) -> Response:
        if not _allowed(settings, request.headers.get("authorization")):
            return Response(_refusal(), 401, _CHALLENGE, media_type="application/json")
        return Response(await metrics.exposition(), media_type=CONTENT_TYPE)

    return Route("/metrics", endpoint, methods=["GET"], include_in_schema=False)


async def serve(metrics: Metrics, settings: MetricsSettings, port: int) -> web.AppRunner:
    """A worker's `/metrics` on `settings.host:port`, on the running loop (its readers query the
    database with the loop's engine). `await runner.cleanup()` stops it."""

    async def endpoint(request: web.Request) -> web.Response:
        if not _allowed(settings, request.headers.get("Authorization")):
            body = _refusal()
            return web.Response(
                body=body, status=401, headers=_CHALLENGE, content_type="application/json"
            )
        return web.Response(body=await metrics.exposition(), headers={"Content-Type": CONTENT_TYPE})

    app = web.Application()
    app.router.add_get("/metrics", endpoint)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.host, port).start()
    log.info("metrics_serving", host=settings.host, port=port)
    return runner
