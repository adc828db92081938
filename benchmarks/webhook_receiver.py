"""A webhook receiver for benchmarks/webhooks.py: answers 200 to every POST, notes when each
`webhook-id` first arrived (wall clock), and tells its counts on GET /stats."""

from __future__ import annotations

import sys
import time

from aiohttp import web

first: dict[str, float] = {}
count = 0


async def receive(request: web.Request) -> web.Response:
    global count
    await request.read()
    count += 1
    first.setdefault(request.headers.get("webhook-id", ""), time.time())
    return web.Response(text="ok")


async def stats(_request: web.Request) -> web.Response:
    return web.json_response({"count": count, "first": first})


async def reset(_request: web.Request) -> web.Response:
    global count
    count = 0
    first.clear()
    return web.Response(text="ok")


app = web.Application()
app.router.add_post("/hook/{n}", receive)
app.router.add_get("/stats", stats)
app.router.add_post("/reset", reset)

if __name__ == "__main__":
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
