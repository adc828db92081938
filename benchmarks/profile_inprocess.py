"""CPU per operation inside the app: drives the ASGI app in this process (no HTTP server, no
client library) against the GitHub mock in a child process, under cProfile or not.

    python benchmarks/profile_inprocess.py [--requests 2000] [--concurrency 50] [--profile]

Prints operations per second, CPU microseconds per operation (this process only: the app, its
database writer thread and aiohttp's client; not the mock) and, with --profile, the functions
with the most own time.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from operations import TOKEN, free_port, mock_program, process

KEY = "sk_bench_0123456789abcdefghijklmn"


async def call(app: Any, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 1),
        "headers": [
            (b"host", b"127.0.0.1"), (b"authorization", f"Bearer {KEY}".encode()),
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        ],
    }  # fmt: skip
    sent = False
    status, chunks = 0, []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def run(requests: int, concurrency: int, profile: bool) -> None:
    from interlink.app import create_app
    from interlink.config import Settings

    settings = Settings()
    app = create_app(settings, long_lived=True)
    async with app.router.lifespan_context(app):
        mock_url = os.environ["BENCH_MOCK"]
        body = {
            "name": "bench", "type": "github",
            "configuration": {"api_url": mock_url, "auth_method": "oauth"},
            "credentials": {"access_token": TOKEN},
        }  # fmt: skip
        _, made = await call(app, "POST", "/api/v1/integrations", json.dumps(body).encode())
        iid = json.loads(made)["data"]["id"]
        await call(app, "POST", f"/api/v1/integrations/{iid}/activate")
        path = f"/api/v1/integrations/{iid}/operations/get_repository"
        op = b'{"parameters": {"owner": "octo-org", "repo": "hello-world"}}'
        remaining, errors = 0, 0

        async def worker() -> None:
            nonlocal remaining, errors
            while remaining > 0:
                remaining -= 1
                code, _ = await call(app, "POST", path, op)
                errors += code >= 400

        remaining = 200
        await asyncio.gather(*[worker() for _ in range(concurrency)])
        remaining = requests
        profiler = cProfile.Profile() if profile else None
        cpu, began = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        await asyncio.gather(*[worker() for _ in range(concurrency)])
        if profiler:
            profiler.disable()
        cpu, elapsed = time.process_time() - cpu, time.perf_counter() - began
        print(
            f"{requests / elapsed:.0f} ops/s, {cpu / requests * 1e6:.0f} us CPU per operation, "
            f"{errors} errors"
        )
        if profiler:
            stats = pstats.Stats(profiler)
            if dump := os.environ.get("BENCH_PROFILE_DUMP"):
                stats.dump_stats(dump)
            stats.sort_stats("tottime").print_stats(45)
            stats.sort_stats("cumtime").print_stats(70)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    mock_port = free_port()
    mock_url = f"http://127.0.0.1:{mock_port}"
    os.environ.update(
        {
            "INTERLINK_DATA_DIR": tempfile.mkdtemp(prefix="interlink-prof-"),
            "INTERLINK_ALLOW_PRIVATE_URLS": "true",
            "INTERLINK_API_RATE_LIMIT": "0",
            "INTERLINK_BOOTSTRAP_API_KEY": KEY,
            "INTERLINK_LOG_LEVEL": "warning",
            "INTERLINK_JOBS_EMBEDDED_WORKER": "false",
            "INTERLINK_WEBHOOKS_DISPATCHER_ENABLED": "false",
            "BENCH_MOCK": mock_url,
        }
    )
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    with process([sys.executable, "-c", mock_program(mock_port)], {}, mock_url):
        import uvloop

        uvloop.run(run(args.requests, args.concurrency, args.profile))


if __name__ == "__main__":
    main()
