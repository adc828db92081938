"""A hand-written stub HTTP server (an aiohttp application) on a free loopback port.

For a provider, use `interlink.testing`'s mocks; this is for receivers and upstreams whose
behaviour a test writes itself (holding a request, answering from a script)."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

LOOPBACK = "127.0.0.1"


@asynccontextmanager
async def serve_app(
    app: web.Application, *, ssl_context: ssl.SSLContext | None = None
) -> AsyncIterator[str]:
    """Serve `app` until the block ends and yield its root URL (`http://127.0.0.1:<port>`).
    Requests still open at the end are cut after a tenth of a second."""
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    try:
        site = web.TCPSite(runner, LOOPBACK, 0, ssl_context=ssl_context)
        await site.start()
        scheme = "https" if ssl_context is not None else "http"
        yield f"{scheme}://{LOOPBACK}:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()
