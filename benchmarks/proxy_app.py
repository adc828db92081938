"""The bare-proxy baseline: a minimal ASGI app that forwards GET /repo to the mock with one shared
aiohttp session. No database, no auth, no limits: what an integration layer costs at the least."""

from __future__ import annotations

import os
from typing import Any

import aiohttp

UPSTREAM = os.environ["BENCH_UPSTREAM"]
TOKEN = os.environ["BENCH_TOKEN"]
_session: aiohttp.ClientSession | None = None


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    global _session
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                _session = aiohttp.ClientSession()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                assert _session is not None
                await _session.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    assert _session is not None
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with _session.get(f"{UPSTREAM}/repos/octo-org/hello-world", headers=headers) as upstream:
        body = await upstream.read()
    await send(
        {
            "type": "http.response.start",
            "status": upstream.status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})
