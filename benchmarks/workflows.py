"""Workflow executions: a 3-step workflow (http_request to a local mock, transform, action) on
SQLite and (when INTERLINK_BENCH_DATABASE_URL is set) PostgreSQL, beside the same three calls
made directly in the same run.

    python -m benchmarks.workflows [--executions 300] [--sequential 30] [--workers 1]

The mock is a separate process on 127.0.0.1 (benchmarks/webhook_receiver.py). Interlink runs in
this process with its embedded worker, as `interlink serve` does (on uvloop, as uvicorn runs
it). On PostgreSQL the run is made twice: in this process alone, then with `--workers` more
`interlink worker` processes on the same database, as a deployment scales out (one Python
process uses one core; this machine has two). Measured:
- throughput: `--executions` started at once (in transactions of 20), executions/s from the first
  commit to the last completion; the direct baseline makes the same calls with 50 at a time;
- per-step overhead: `--sequential` executions one after another; for each, the time from its
  first step's start to its last step's end, minus the p50 of the same three calls made
  directly, divided by three (p50), and the time from the execute call to the completion seen;
- DBOS's floor: `--executions` bare DBOS workflows with no step (an execution's share of DBOS:
  its workflow, queued, run and finished; its steps are checkpointed in Interlink's own rows) on
  the same queue, in the same process: what durable work costs before Interlink does anything.
Bounded in count and time; loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import jmespath
import uvloop
from sqlalchemy import func, select, text
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
from interlink.core.db import async_url, is_sqlite
from interlink.integrations.schemas import IntegrationCreate
from interlink.jobs import workflow
from interlink.workflows.engine import QUEUE
from interlink.workflows.models import Execution, ExecutionStep
from interlink.workflows.schemas import WorkflowCreate

ROOT = Path(__file__).resolve().parent.parent
TIME_LIMIT = 300.0  # seconds per measured part, at most
START_LIMIT = 60.0  # for a worker process to start
POLLING = 0.05  # seconds between a worker's looks at the queue
TRANSFORM = "{first: steps.call.output.status, second: steps.act.output.status}"


@workflow("benchmarks.floor")
async def floor_workflow(n: int) -> int:
    return n


def settings_for(data_dir: Path, url: str | None) -> Settings:
    return Settings(
        server=ServerSettings(data_dir=data_dir, allow_private_urls=True),
        db=DatabaseSettings(url=url, pool_size=10),
        api=ApiSettings(rate_limit="0"),
        vault=VaultSettings(key_file=data_dir / "vault.key"),
        bootstrap=BootstrapSettings(api_key="sk_bench_admin_0123456789abcdefghijkl"),
        log=LogSettings(format="json", level="warning"),
        webhooks=WebhookSettings(dispatcher_enabled=False),
        jobs=JobsSettings(embedded_worker=True, polling_interval_seconds=POLLING, pool_size=20),
    )


@contextlib.contextmanager
def workers(data_dir: Path, url: str, count: int) -> Iterator[None]:
    """`count` `interlink worker` processes on `url`, with this run's data dir (its vault key),
    started and ready; stopped at the end."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("INTERLINK_")},
        "INTERLINK_DATA_DIR": str(data_dir),
        "INTERLINK_DATABASE_URL": url,
        "INTERLINK_VAULT_KEY_FILE": str(data_dir / "vault.key"),
        "INTERLINK_ALLOW_PRIVATE_URLS": "true",
        "INTERLINK_LOG_FORMAT": "json",
        "INTERLINK_LOG_LEVEL": "warning",
        "INTERLINK_JOBS_POLLING_INTERVAL_SECONDS": str(POLLING),
        "INTERLINK_JOBS_POOL_SIZE": "20",
    }
    started: list[tuple[subprocess.Popen[bytes], Path]] = []
    try:
        for n in range(count):
            output = data_dir / f"worker-{n}.log"
            with output.open("wb") as sink:
                command = [sys.executable, "-m", "interlink", "worker"]
                started.append(
                    (
                        subprocess.Popen(  # noqa: S603 - our own program
                            command,
                            env={**env, "INTERLINK_JOBS_EXECUTOR_ID": f"bench-worker-{n}"},
                            stdout=sink,
                            stderr=sink,
                        ),
                        output,
                    )
                )
        deadline = time.monotonic() + START_LIMIT
        for worker, output in started:
            while "worker is running" not in output.read_text(errors="replace"):
                if worker.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"a worker did not start: {output.read_text()[-2000:]}")
                time.sleep(0.1)  # waiting for start-up, not timing anything
        yield
    finally:
        for worker, _ in started:
            worker.terminate()
        for worker, _ in started:
            try:
                worker.wait(timeout=START_LIMIT)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


async def reset_postgres(url: str) -> None:
    engine = create_async_engine(async_url(url))
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("DROP SCHEMA IF EXISTS dbos CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


def steps(base: str, integration_id: str) -> list[dict[str, Any]]:
    return [
        {"name": "call", "type": "http_request",
         "config": {"method": "POST", "url": f"{base}/hook/1", "body": {"n": "{{ input.n }}"}}},
        {"name": "act", "type": "action",
         "config": {"integration_id": integration_id, "operation": "request",
                    "parameters": {"method": "POST", "path": "/hook/2", "body": {"a": 1}}}},
        {"name": "shape", "type": "transform", "config": {"jmespath": TRANSFORM}},
    ]  # fmt: skip


async def setup(services: Services, workspace_id: str, base: str) -> tuple[Principal, str, str]:
    principal = Principal(workspace_id=workspace_id, subject="bench", scopes=frozenset(ALL_SCOPES))
    body = IntegrationCreate.model_validate(
        {"name": "mock", "type": "http",
         "configuration": {"api_url": base, "auth_method": "api_key"},
         "credentials": {"api_key": "k-bench"}}
    )  # fmt: skip
    async with services.db.transaction() as session:
        row = await services.integrations.create(session, principal, body)
    async with services.db.transaction() as session:
        await services.integrations.activate(session, workspace_id, row.id)
    definition = {"steps": steps(base, row.id)}
    async with services.db.transaction() as session:
        workflow, _ = await services.workflows.create(
            session,
            principal,
            WorkflowCreate.model_validate({"name": "b", "definition": definition}),
        )
    return principal, row.id, workflow.id


async def completed(services: Services, ids: list[str]) -> int:
    async with services.db.read() as session:
        found = await session.scalar(
            select(func.count())
            .select_from(Execution)
            .where(Execution.id.in_(ids), Execution.status.in_(["completed", "failed"]))
        )
    return int(found or 0)


async def start(services: Services, principal: Principal, workflow_id: str, n: int) -> str:
    async with services.db.transaction() as session:
        row = await services.workflows.execute(session, principal, workflow_id, {"n": n})
    return row.id


async def throughput(
    services: Services, principal: Principal, workflow_id: str, count: int
) -> float:
    began = time.perf_counter()
    ids: list[str] = []
    for first in range(0, count, 20):
        async with services.db.transaction() as session:
            for n in range(first, min(count, first + 20)):
                ids.append(
                    (await services.workflows.execute(session, principal, workflow_id, {"n": n})).id
                )
    deadline = time.monotonic() + TIME_LIMIT
    while await completed(services, ids) < count:
        if time.monotonic() > deadline:
            print(f"incomplete: {await completed(services, ids)} of {count} in time")
            break
        await asyncio.sleep(0.05)
    return count / (time.perf_counter() - began)


async def in_run_ms(services: Services, execution_id: str) -> float:
    async with services.db.read() as session:
        first, last = (
            await session.execute(
                select(
                    func.min(ExecutionStep.started_at), func.max(ExecutionStep.completed_at)
                ).where(ExecutionStep.execution_id == execution_id)
            )
        ).one()
    return float((last - first).total_seconds() * 1000)


async def sequential(
    services: Services, principal: Principal, workflow_id: str, count: int
) -> tuple[list[float], list[float]]:
    end_to_end, in_run = [], []
    for n in range(count):
        began = time.perf_counter()
        execution_id = await start(services, principal, workflow_id, n)
        deadline = time.monotonic() + 30
        while await completed(services, [execution_id]) < 1 and time.monotonic() < deadline:  # noqa: ASYNC110 - polling rows another task writes
            await asyncio.sleep(0.01)
        end_to_end.append((time.perf_counter() - began) * 1000)
        in_run.append(await in_run_ms(services, execution_id))
    return end_to_end, in_run


async def direct_once(
    services: Services,
    principal: Principal,
    http: aiohttp.ClientSession,
    base: str,
    iid: str,
    n: int,
) -> float:
    began = time.perf_counter()
    async with http.post(f"{base}/hook/1", json={"n": n}) as response:
        await response.read()
        first = response.status
    operation = await services.operations.execute(
        principal, iid, "request", {"method": "POST", "path": "/hook/2", "body": {"a": 1}}
    )
    jmespath.search(TRANSFORM, {"steps": {"call": {"output": {"status": first}},
                                          "act": {"output": operation.result}}})  # fmt: skip
    return (time.perf_counter() - began) * 1000


async def direct(
    services: Services, principal: Principal, base: str, iid: str, count: int, sequential_n: int
) -> tuple[float, list[float]]:
    async with aiohttp.ClientSession() as http:
        times = [
            await direct_once(services, principal, http, base, iid, n) for n in range(sequential_n)
        ]
        gate = asyncio.Semaphore(50)

        async def one(n: int) -> None:
            async with gate:
                await direct_once(services, principal, http, base, iid, n)

        began = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(one(n) for n in range(count))), TIME_LIMIT)
        rate = count / (time.perf_counter() - began)
    return rate, times


async def dbos_floor(services: Services, url: str | None, count: int) -> float:
    """Bare DBOS workflows per second, counted in DBOS's own table."""
    table = "workflow_status" if url is None or is_sqlite(url) else "dbos.workflow_status"
    done = text(f"SELECT count(*) FROM {table} WHERE name = :name AND status = 'SUCCESS'")  # noqa: S608 - our own constant
    began = time.perf_counter()
    for n in range(count):
        await services.jobs.enqueue(
            floor_workflow, n, workflow_id=f"floor-{began}-{n}", queue=QUEUE
        )
    deadline = time.monotonic() + TIME_LIMIT
    while time.monotonic() < deadline:
        async with services.db.read() as session:
            if (await session.scalar(done, {"name": "benchmarks.floor"}) or 0) >= count:
                break
        await asyncio.sleep(0.05)
    return count / (time.perf_counter() - began)


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run_backend(
    name: str, url: str | None, base: str, args: argparse.Namespace, extra_workers: int = 0
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        if url:
            await reset_postgres(url)
        app = create_app(settings_for(Path(tmp), url), long_lived=True)
        async with app.router.lifespan_context(app), contextlib.AsyncExitStack() as stack:
            if extra_workers:
                assert url is not None
                stack.enter_context(workers(Path(tmp), url, extra_workers))
            services: Services = app.state.services
            workspace_id = str(app.state.prepared.workspace_id)
            principal, iid, workflow_id = await setup(services, workspace_id, base)
            await sequential(services, principal, workflow_id, 3)  # warm up
            end_to_end, in_run = await sequential(services, principal, workflow_id, args.sequential)
            rate = await throughput(services, principal, workflow_id, args.executions)
            direct_rate, direct_times = await direct(
                services, principal, base, iid, args.executions, args.sequential
            )
            # The floor's workflow is this process's own: a worker process could not run it.
            floor_rate = 0.0 if extra_workers else await dbos_floor(services, url, args.executions)
    direct_p50 = statistics.median(direct_times)
    overhead = [(t - direct_p50) / 3 for t in in_run]
    print(
        f"{name:<10} {rate:>9.1f} {direct_rate:>10.1f} {rate / direct_rate:>6.2f} "
        f"{direct_p50:>10.2f} {statistics.median(in_run):>10.2f} "
        f"{statistics.median(overhead):>12.2f} {p(overhead, 0.99):>12.2f} "
        f"{statistics.median(end_to_end):>10.1f} "
        + (f"{floor_rate:>9.1f} {rate / floor_rate:>6.2f}" if floor_rate else f"{'-':>9} {'-':>6}")
    )


async def main(args: argparse.Namespace) -> None:
    port = free_port()
    receiver = [sys.executable, str(ROOT / "benchmarks" / "webhook_receiver.py"), str(port)]
    base = f"http://127.0.0.1:{port}"
    print(
        f"{'backend':<10} {'exec/s':>9} {'direct/s':>10} {'ratio':>6} {'direct ms':>10} "
        f"{'in-run ms':>10} {'step+ p50 ms':>12} {'step+ p99 ms':>12} {'e2e ms':>10} "
        f"{'dbos/s':>9} {'ratio':>6}"
    )
    with process(receiver, {}, base):
        if args.backend in ("all", "sqlite"):
            await run_backend("sqlite", None, base, args)
        pg = os.environ.get("INTERLINK_BENCH_DATABASE_URL")
        if args.backend in ("all", "postgresql"):
            if pg:
                await run_backend("postgresql", pg, base, args)
                if args.workers:
                    await run_backend(f"pg +{args.workers}w", pg, base, args, args.workers)
            else:
                print("postgresql skipped: set INTERLINK_BENCH_DATABASE_URL")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--executions", type=int, default=300)
    parser.add_argument("--sequential", type=int, default=30)
    parser.add_argument("--backend", choices=("all", "sqlite", "postgresql"), default="all")
    parser.add_argument(
        "--workers", type=int, default=1, help="more worker processes (PostgreSQL), 0: none"
    )
    uvloop.run(main(parser.parse_args()))
