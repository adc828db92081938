"""Webhook deliveries: one event to 100 endpoints, and many events to 10 endpoints, on SQLite and
(when INTERLINK_BENCH_DATABASE_URL is set) PostgreSQL, beside a baseline measured in the same run.

    python -m benchmarks.webhooks [--events 10000] [--fanout-rounds 10] [--backend all]

INTERLINK_BENCH_DATABASE_URL's database is emptied (its `public` schema dropped): give it a
database of its own, not one that tests or other processes use at the same time.

The receiver is a separate process on 127.0.0.1 (benchmarks/webhook_receiver.py). Interlink runs
in this process: the app's services with the dispatcher running as in `interlink serve`; events
are published through `EventService.publish` in transactions of 100 (the outbox writes their
deliveries in the same transaction). Measured: deliveries/s from the first commit to the last
arrival, and the time from an event's commit to its first delivery's arrival (p50, p99). The two
bulk scenarios publish everything at once, so their latencies are mostly time in the queue; the
steady scenario publishes one event per transaction at a rate the dispatcher keeps up with, which
is the latency a subscriber sees in normal use. The baseline sends the same number of signed POSTs
to the same receiver from a bare aiohttp loop with the dispatcher's concurrency. Each scenario
deletes its endpoints when it ends. Bounded in count and time (a scenario that does not finish
in time prints what arrived, marked incomplete); loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks.operations import free_port, process
from interlink.api.services import Services
from interlink.app import create_app
from interlink.auth.scopes import ALL_SCOPES, Principal
from interlink.config import (
    ApiSettings,
    BootstrapSettings,
    DatabaseSettings,
    JobsSettings,
    LogSettings,
    ServerSettings,
    Settings,
    VaultSettings,
    WebhookSettings,
)
from interlink.core.db import async_url
from interlink.events.types import EventType, IntegrationState, new_event
from interlink.webhooks.outbox import body_of
from interlink.webhooks.schemas import WebhookCreate
from interlink.webhooks.signing import new_secret, signature_headers

ROOT = Path(__file__).resolve().parent.parent
TIME_LIMIT = 240.0  # seconds per scenario, at most
BATCH = 100
STEADY_EVENTS, STEADY_RATE = 300, 50  # events, events per second


def settings_for(data_dir: Path, url: str | None) -> Settings:
    return Settings(
        server=ServerSettings(data_dir=data_dir, allow_private_urls=True),
        db=DatabaseSettings(url=url, pool_size=10),
        api=ApiSettings(rate_limit="0"),
        vault=VaultSettings(key_file=data_dir / "vault.key"),
        bootstrap=BootstrapSettings(api_key="sk_bench_admin_0123456789abcdefghijkl"),
        log=LogSettings(format="json", level="warning"),
        webhooks=WebhookSettings(dispatcher_enabled=True, poll_interval_seconds=0.2),
        jobs=JobsSettings(embedded_worker=False),  # deliveries need no DBOS worker
    )


async def reset_postgres(url: str) -> None:
    engine = create_async_engine(async_url(url))
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


async def stats(http: aiohttp.ClientSession, base: str) -> dict[str, Any]:
    async with http.get(f"{base}/stats") as response:
        found: dict[str, Any] = await response.json()
        return found


async def wait_count(http: aiohttp.ClientSession, base: str, expected: int) -> dict[str, Any]:
    """Wait for `expected` arrivals, at most TIME_LIMIT or the time of 200 deliveries/s (a
    scenario of 100,000 gets 500 s): what arrived by then is measured, marked incomplete."""
    deadline = time.monotonic() + max(TIME_LIMIT, expected / 200)
    found = await stats(http, base)
    while time.monotonic() < deadline:
        found = await stats(http, base)
        if found["count"] >= expected:
            return found
        await asyncio.sleep(0.05)
    print(f"incomplete: only {found['count']} of {expected} deliveries arrived in time")
    return found


async def endpoints(services: Services, workspace_id: str, base: str, count: int) -> list[str]:
    principal = Principal(workspace_id=workspace_id, subject="bench", scopes=frozenset(ALL_SCOPES))
    made = []
    async with services.db.transaction() as session:
        for n in range(count):
            body = WebhookCreate(url=f"{base}/hook/{n}", events=["*"])
            row, _secret = await services.webhooks.create(session, principal, body)
            made.append(row.id)
    return made


async def remove(services: Services, workspace_id: str, endpoint_ids: list[str]) -> None:
    async with services.db.transaction() as session:
        for endpoint_id in endpoint_ids:
            await services.webhooks.delete(session, workspace_id, endpoint_id)


async def publish(
    services: Services, workspace_id: str, count: int, *, batch: int = BATCH, every: float = 0.0
) -> dict[str, float]:
    """Publish `count` events in transactions of `batch`, a transaction every `every` seconds
    at most; returns each event's commit time."""
    committed: dict[str, float] = {}
    payload = IntegrationState(integration_id="int_bench", name="b", type="http", status="active")
    for start in range(0, count, batch):
        began = time.perf_counter()
        async with services.db.transaction() as session:
            made = [
                new_event(
                    workspace_id, EventType.INTEGRATION_ACTIVATED, payload, at=services.clock.now()
                )
                for _ in range(min(batch, count - start))
            ]
            await services.events.publish(session, *made)
        ids = [event.id for event in made]
        now = time.time()
        committed.update(dict.fromkeys(ids, now))
        if every:
            await asyncio.sleep(max(0.0, every - (time.perf_counter() - began)))  # the pace
    return committed


def latencies(committed: dict[str, float], first: dict[str, float]) -> tuple[float, float]:
    values = sorted((first[i] - t) * 1000 for i, t in committed.items() if i in first)
    p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
    return statistics.median(values), p99


async def scenario(
    services: Services, workspace_id: str, base: str, *, endpoints_n: int, events: int,
    rounds: int, batch: int = BATCH, every: float = 0.0,
) -> dict[str, float]:  # fmt: skip
    async with aiohttp.ClientSession() as http:
        made = await endpoints(services, workspace_id, base, endpoints_n)
        await http.post(f"{base}/reset")
        started = time.time()
        committed: dict[str, float] = {}
        for _ in range(rounds):
            committed.update(
                await publish(services, workspace_id, events, batch=batch, every=every)
            )
        found = await wait_count(http, base, endpoints_n * events * rounds)
        await remove(services, workspace_id, made)
        elapsed = max(found["first"].values()) - started
        elapsed = max(elapsed, time.time() - started - 0.05)
        p50, p99 = latencies(committed, found["first"])
        await http.post(f"{base}/reset")
    total = min(endpoints_n * events * rounds, int(found["count"]))
    return {"deliveries": total, "per_s": total / elapsed, "p50_ms": p50, "p99_ms": p99}


async def baseline(base: str, total: int, endpoints_n: int, concurrency: int) -> float:
    """The same number of signed POSTs from a bare aiohttp loop."""
    secret = new_secret()
    data = {"integration_id": "int_bench", "name": "b", "type": "http", "status": "active"}
    body = body_of("evt_bench", "integration.activated", datetime.now(UTC), data).encode()
    queue = iter(range(total))

    async def worker(http: aiohttp.ClientSession) -> None:
        for n in queue:
            headers = signature_headers([secret], f"evt_{n}", int(time.time()), body)
            headers["Content-Type"] = "application/json"
            async with http.post(
                f"{base}/hook/{n % endpoints_n}", data=body, headers=headers
            ) as response:
                await response.read()

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        await http.post(f"{base}/reset")
        started = time.perf_counter()
        await asyncio.wait_for(
            asyncio.gather(*[worker(http) for _ in range(concurrency)]), TIME_LIMIT
        )
        elapsed = time.perf_counter() - started
        await http.post(f"{base}/reset")
    return total / elapsed


async def run_backend(name: str, url: str | None, base: str, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        if url:
            await reset_postgres(url)
        settings = settings_for(Path(tmp), url)
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            services: Services = app.state.services
            workspace_id = str(app.state.prepared.workspace_id)
            fan = await scenario(services, workspace_id, base, endpoints_n=100, events=1,
                                 rounds=args.fanout_rounds)  # fmt: skip
            many = await scenario(services, workspace_id, base, endpoints_n=10,
                                  events=args.events, rounds=1)  # fmt: skip
            steady = await scenario(services, workspace_id, base, endpoints_n=10,
                                    events=STEADY_EVENTS, rounds=1, batch=1,
                                    every=1 / STEADY_RATE)  # fmt: skip
        concurrency = settings.webhooks.max_in_flight
        fan_base = await baseline(base, int(fan["deliveries"]), 100, concurrency)
        many_base = await baseline(base, int(many["deliveries"]), 10, concurrency)
        steady_base = await baseline(base, int(steady["deliveries"]), 10, concurrency)
    for label, result, base_rate in (
        (f"1 event -> 100 endpoints x{args.fanout_rounds}", fan, fan_base),
        (f"{args.events} events -> 10 endpoints", many, many_base),
        (f"steady {STEADY_RATE}/s -> 10 endpoints", steady, steady_base),
    ):
        print(
            f"{name:<10} {label:<32} {result['deliveries']:>8.0f} {result['per_s']:>10.0f} "
            f"{result['p50_ms']:>9.1f} {result['p99_ms']:>9.1f} {base_rate:>10.0f} "
            f"{result['per_s'] / base_rate:>6.2f}"
        )


async def main(args: argparse.Namespace) -> None:
    port = free_port()
    receiver = [sys.executable, str(ROOT / "benchmarks" / "webhook_receiver.py"), str(port)]
    base = f"http://127.0.0.1:{port}"
    print(
        f"{'backend':<10} {'scenario':<32} {'sent':>8} {'deliv/s':>10} {'p50 ms':>9} "
        f"{'p99 ms':>9} {'bare/s':>10} {'ratio':>6}"
    )
    with process(receiver, {}, base):
        if args.backend in ("all", "sqlite"):
            await run_backend("sqlite", None, base, args)
        pg = os.environ.get("INTERLINK_BENCH_DATABASE_URL")
        if args.backend in ("all", "postgresql"):
            if pg:
                await run_backend("postgresql", pg, base, args)
            else:
                print("postgresql skipped: set INTERLINK_BENCH_DATABASE_URL")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--fanout-rounds", type=int, default=10)
    parser.add_argument("--backend", choices=("all", "sqlite", "postgresql"), default="all")
    asyncio.run(main(parser.parse_args()))
