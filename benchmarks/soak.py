"""Soak: mixed traffic for a set time, with faults injected into the mock upstream, on SQLite (one
`interlink serve` with its embedded worker) and on PostgreSQL (`interlink serve --no-worker` and
two `interlink worker`), beside a baseline measured in the same run.

    python -m benchmarks.soak [--seconds 60] [--clients 16] [--backend all]

INTERLINK_BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/soak_bench) names the
PostgreSQL database; it is created when missing and EMPTIED (schemas `public` and `dbos`
dropped) before the run: give it a database of its own. A database named `test` is refused.

Every Interlink process is a real process on 127.0.0.1, its output in a file of a temporary
directory. The upstream is the HTTP mock (`interlink.testing.HttpMock`, in this process) with
random faults on a share of its requests: 300 ms of latency, 503, a TCP reset. The webhook
receiver is benchmarks/webhook_receiver.py (a process), subscribed to every event. `--clients`
loops send, until `--seconds` have passed, a weighted mix of: integration CRUD (create, get,
patch, delete: one request each), sync operations, async operations and workflow executions (an
`http_request` step and an `action` step, both writes carrying idempotency keys); every event
these make is delivered to the receiver. Then the run drains (bounded) and prints, per backend:
requests/s and p50/p99 per kind; errors by code; each process's RSS at the start of the traffic
and at the end, and the growth; and what was lost: accepted async operations and executions not
in a final state, events without a delivery, deliveries not final, and deliveries marked
succeeded that never reached the receiver (failed ones are in the delivery log, so not lost).
The baseline is the same clients sending POSTs straight to the faulty mock.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from benchmarks.operations import free_port
from interlink.core.db import async_url
from interlink.testing import Fault, FaultPlan, HttpMock, serve_mock_in_thread

ROOT = Path(__file__).resolve().parent.parent
ADMIN_KEY = "sk_bench_admin_0123456789abcdefghijkl"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/soak_bench"
START_LIMIT = 90.0  # seconds for a process to answer, at most
MIX = {"crud": 15, "sync": 35, "async": 30, "workflow": 20}  # weights of the kinds of traffic
FAULTS = ((0.04, Fault.latency(0.3)), (0.04, Fault.error(503)), (0.02, Fault.drop(reset=True)))
FINAL = {"completed", "failed", "cancelled"}


class RandomFaults(FaultPlan):
    """A fault for a random share of requests (FAULTS), from a seeded generator."""

    def __init__(self, seed: int = 7) -> None:
        super().__init__()
        self.random = random.Random(seed)  # noqa: S311 - not for secrets

    def take(self, method: str, path: str) -> Fault | None:
        draw = self.random.random()
        for share, fault in FAULTS:
            if draw < share:
                return fault
            draw -= share
        return None


# -- processes --------------------------------------------------------------------------------
@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    output: Path

    def rss_mb(self) -> float:
        try:
            status = Path(f"/proc/{self.popen.pid}/status").read_text()
        except OSError:
            return float("nan")
        line = next((r for r in status.splitlines() if r.startswith("VmRSS:")), "VmRSS: 0 kB")
        return int(line.split()[1]) / 1024

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
        try:
            self.popen.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=10)


def spawn(name: str, args: list[str], env: dict[str, str], logs: Path) -> Proc:
    output = logs / f"{name}.log"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("INTERLINK_")}
    with output.open("wb") as sink:
        popen = subprocess.Popen(args, env={**clean, **env}, stdout=sink, stderr=sink)  # noqa: S603
    return Proc(name, popen, output)


def wait_for(proc: Proc, ready: str | None = None, marker: str | None = None) -> None:
    """Until `ready` answers 200 or `marker` is in the output; at most START_LIMIT."""
    deadline = time.monotonic() + START_LIMIT
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.name} exited: {proc.output.read_text(errors='replace')}")
        if marker is not None and marker in proc.output.read_text(errors="replace"):
            return
        if ready is not None and _answers(ready):
            return
        time.sleep(0.1)  # waiting for start-up, not timing anything
    raise TimeoutError(f"{proc.name} did not start: {proc.output.read_text(errors='replace')}")


def _answers(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=1) as answer:  # noqa: S310 - loopback
            return int(answer.status) == 200
    except OSError:
        return False


def base_env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {
        "INTERLINK_DATA_DIR": str(data_dir),
        "INTERLINK_VAULT_KEY_FILE": str(data_dir / "vault.key"),
        "INTERLINK_BOOTSTRAP_API_KEY": ADMIN_KEY,
        "INTERLINK_ALLOW_PRIVATE_URLS": "true",
        "INTERLINK_API_RATE_LIMIT": "0",
        "INTERLINK_LOG_FORMAT": "json",
        "INTERLINK_LOG_LEVEL": "warning",
        "INTERLINK_JOBS_POLLING_INTERVAL_SECONDS": "0.05",
        "INTERLINK_WEBHOOKS_POLL_INTERVAL_SECONDS": "0.2",
    }
    if database_url:
        env |= {"INTERLINK_DATABASE_URL": database_url, "INTERLINK_DATABASE_POOL_SIZE": "6"}
    return env


@contextmanager
def interlink(data_dir: Path, database_url: str | None) -> Iterator[tuple[str, list[Proc]]]:
    """SQLite: one `serve` with its worker. PostgreSQL: `serve --no-worker` and two workers."""
    env, port = base_env(data_dir, database_url), free_port()
    serve = [sys.executable, "-m", "interlink", "serve"]
    with ExitStack() as stack:
        api = spawn("serve", [*serve, "--no-worker"] if database_url else serve,
                    env | {"INTERLINK_PORT": str(port)}, data_dir)  # fmt: skip
        stack.callback(api.stop)
        url = f"http://127.0.0.1:{port}"
        wait_for(api, ready=f"{url}/healthz")
        procs = [api]
        if database_url:
            for n in (1, 2):
                worker_env = env | {"INTERLINK_JOBS_EXECUTOR_ID": f"soak-worker-{n}"}
                worker = [sys.executable, "-m", "interlink", "worker"]
                procs.append(spawn(f"worker-{n}", worker, worker_env, data_dir))
                stack.callback(procs[-1].stop)
            for proc in procs[1:]:
                wait_for(proc, marker="worker is running")
        yield url, procs


# -- PostgreSQL database of its own --------------------------------------------------------------
async def prepare_postgres(url: str) -> None:
    """Create the database when missing, then empty it."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or name == "test":
        raise SystemExit(f"refusing to empty database {name!r}: give the soak one of its own")
    server = create_async_engine(
        async_url(urlunsplit(parts._replace(path="/postgres"))), isolation_level="AUTOCOMMIT"
    )
    try:
        async with server.connect() as connection:
            found = await connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            )
            if found.scalar() is None:
                await connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await server.dispose()
    engine = create_async_engine(async_url(url))
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("DROP SCHEMA IF EXISTS dbos CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


# -- traffic -----------------------------------------------------------------------------------
@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    async_ops: list[str] = field(default_factory=list)
    executions: list[str] = field(default_factory=list)

    def record(self, kind: str, began: float, status: int, body: Any) -> Any:
        self.latencies[kind].append(time.perf_counter() - began)
        if status < 400:
            return body.get("data") if isinstance(body, dict) else None
        code = body.get("error", {}).get("code") if isinstance(body, dict) else None
        self.errors[f"{kind}:{code or f'HTTP_{status}'}"] += 1
        return None


@dataclass
class Target:
    api: str
    mock: str
    integration_id: str
    workflow_id: str


async def call(
    http: aiohttp.ClientSession, tally: Tally, kind: str, method: str, url: str,
    body: dict[str, Any] | None = None,
) -> Any:  # fmt: skip
    began = time.perf_counter()
    try:
        async with http.request(method, url, json=body) as answer:
            found = await answer.json(content_type=None)
            return tally.record(kind, began, answer.status, found)
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        tally.latencies[kind].append(time.perf_counter() - began)
        tally.errors[f"{kind}:{type(exc).__name__}"] += 1
        return None


def integration_body(mock: str, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "type": "http",
        "configuration": {"api_url": mock, "auth_method": "api_key"},
        "credentials": {"api_key": "k-soak"},
    }


async def crud(http: aiohttp.ClientSession, tally: Tally, target: Target, n: int) -> None:
    base = f"{target.api}/api/v1/integrations"
    made = await call(http, tally, "crud", "POST", base, integration_body(target.mock, f"c{n}"))
    if not made:
        return
    one = f"{base}/{made['id']}"
    await call(http, tally, "crud", "GET", one)
    await call(http, tally, "crud", "PATCH", one, {"description": f"soak {n}"})
    await call(http, tally, "crud", "DELETE", one)


async def operation(
    http: aiohttp.ClientSession, tally: Tally, target: Target, n: int, *, queued: bool
) -> None:
    url = f"{target.api}/api/v1/integrations/{target.integration_id}/operations/request"
    kind = "async" if queued else "sync"
    params = {"method": "POST", "path": f"/anything/{kind}/{n}", "idempotency_key": f"{kind}-{n}"}
    found = await call(http, tally, kind, "POST", url, {"async": queued, "parameters": params})
    if queued and found:
        tally.async_ops.append(found["operation_id"])


async def execute(http: aiohttp.ClientSession, tally: Tally, target: Target, n: int) -> None:
    url = f"{target.api}/api/v1/workflows/{target.workflow_id}/execute"
    found = await call(http, tally, "workflow", "POST", url, {"input": {"n": n}})
    if found:
        tally.executions.append(found["execution_id"])


async def client_loop(
    http: aiohttp.ClientSession, tally: Tally, target: Target, seed: int, until: float
) -> None:
    rng = random.Random(seed)  # noqa: S311 - not for secrets
    kinds, weights = list(MIX), list(MIX.values())
    n = 0
    while time.monotonic() < until:
        n += 1
        kind = rng.choices(kinds, weights)[0]
        ident = seed * 1_000_000 + n
        if kind == "crud":
            await crud(http, tally, target, ident)
        elif kind == "workflow":
            await execute(http, tally, target, ident)
        else:
            await operation(http, tally, target, ident, queued=kind == "async")


async def setup(http: aiohttp.ClientSession, api: str, mock: str, receiver: str) -> Target:
    tally = Tally()
    made = await call(http, tally, "setup", "POST", f"{api}/api/v1/integrations",
                      integration_body(mock, "upstream"))  # fmt: skip
    if not made:
        raise RuntimeError(f"setup failed: {dict(tally.errors)}")
    iid = made["id"]
    await call(http, tally, "setup", "POST", f"{api}/api/v1/integrations/{iid}/activate")
    hook = {"url": f"{receiver}/hook/0", "events": ["*"]}
    await call(http, tally, "setup", "POST", f"{api}/api/v1/webhooks", hook)
    call_step = {"method": "POST", "url": f"{mock}/anything/wf", "body": {"n": "{{ input.n }}"}}
    act = {"method": "POST", "path": "/anything/wf-act", "idempotency_key": "{{ execution.id }}:a"}
    steps = [
        {"name": "call", "type": "http_request", "config": call_step},
        {"name": "act", "type": "action",
         "config": {"integration_id": iid, "operation": "request", "parameters": act}},
    ]  # fmt: skip
    workflow = {"name": "Soak", "definition": {"steps": steps}}
    created = await call(http, tally, "setup", "POST", f"{api}/api/v1/workflows", workflow)
    if tally.errors or not created:
        raise RuntimeError(f"setup failed: {dict(tally.errors)}")
    return Target(api, mock, iid, created["id"])


# -- accounting ----------------------------------------------------------------------------------
@dataclass
class Accounts:
    ops_open: int
    executions_open: int
    events_without_delivery: int
    deliveries_open: int
    deliveries_failed: int
    deliveries_succeeded: int
    succeeded_not_received: int

    @property
    def lost(self) -> int:
        return (
            self.ops_open
            + self.executions_open
            + self.events_without_delivery
            + self.deliveries_open
            + self.succeeded_not_received
        )


async def statuses(connection: AsyncConnection, table: str) -> dict[str, str]:
    found = await connection.execute(text(f"SELECT id, status FROM {table}"))  # noqa: S608
    return {str(ident): str(status) for ident, status in found.all()}


async def open_work(engine: AsyncEngine, tally: Tally) -> tuple[int, int, int]:
    """Accepted async operations and executions not final, and deliveries still pending."""
    async with engine.connect() as connection:
        ops = await statuses(connection, "operations")
        runs = await statuses(connection, "workflow_executions")
        pending = await connection.scalar(
            text("SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'")
        )
    ops_open = sum(ops.get(i) not in FINAL for i in tally.async_ops)
    runs_open = sum(runs.get(i) not in FINAL for i in tally.executions)
    return ops_open, runs_open, int(pending or 0)


async def drain(engine: AsyncEngine, tally: Tally, limit: float) -> float:
    """Wait (at most `limit` s) for the accepted work and the deliveries to end; the time."""
    began = time.monotonic()
    for _ in range(int(limit / 0.25) + 1):
        if not any(await open_work(engine, tally)) or time.monotonic() - began > limit:
            break
        await asyncio.sleep(0.25)  # polling for a state, not timing anything
    return time.monotonic() - began


async def account(engine: AsyncEngine, tally: Tally, received: set[str]) -> Accounts:
    ops_open, runs_open, pending = await open_work(engine, tally)
    async with engine.connect() as connection:
        orphans = await connection.scalar(
            text(
                "SELECT count(*) FROM events e WHERE e.created_at >= "
                "(SELECT min(created_at) FROM webhook_endpoints) AND NOT EXISTS "
                "(SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)"
            )
        )
        rows = (await connection.execute(text(
            "SELECT event_id, status FROM webhook_deliveries"
        ))).all()  # fmt: skip
    succeeded = [event for event, status in rows if status == "succeeded"]
    return Accounts(
        ops_open=ops_open,
        executions_open=runs_open,
        events_without_delivery=int(orphans or 0),
        deliveries_open=pending,
        deliveries_failed=sum(status == "failed" for _, status in rows),
        deliveries_succeeded=len(succeeded),
        succeeded_not_received=sum(event not in received for event in succeeded),
    )


# -- one backend -----------------------------------------------------------------------------------
def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


async def baseline(mock: str, clients: int, seconds: float) -> tuple[float, list[float]]:
    """POSTs straight to the faulty mock from the same number of clients: requests/s."""
    latencies: list[float] = []
    until = time.monotonic() + seconds

    async def one(http: aiohttp.ClientSession, n: int) -> None:
        while time.monotonic() < until:
            began = time.perf_counter()
            try:
                async with http.post(f"{mock}/anything/bare/{n}", json={"n": n}) as answer:
                    await answer.read()
            except aiohttp.ClientError:
                pass
            latencies.append(time.perf_counter() - began)

    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        began = time.monotonic()
        await asyncio.gather(*(one(http, n) for n in range(clients)))
        return len(latencies) / (time.monotonic() - began), latencies


async def receiver_ids(http: aiohttp.ClientSession, receiver: str) -> set[str]:
    async with http.get(f"{receiver}/stats") as answer:
        found = await answer.json()
    return set(found["first"])


async def run_backend(name: str, database_url: str | None, receiver: str, args: Any) -> None:
    mock_app = HttpMock()
    mock_app.faults = RandomFaults()
    with (
        tempfile.TemporaryDirectory(prefix=f"soak-{name}-") as tmp,
        serve_mock_in_thread(mock_app) as mock,
        interlink(Path(tmp), database_url) as (api, procs),
    ):
        db_url = database_url or f"sqlite:///{Path(tmp) / 'interlink.db'}"
        engine = create_async_engine(async_url(db_url))
        headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
        timeout = aiohttp.ClientTimeout(total=60)
        connector = aiohttp.TCPConnector(limit=args.clients + 4)
        try:
            async with aiohttp.ClientSession(
                headers=headers, timeout=timeout, connector=connector
            ) as http:
                await http.post(f"{receiver}/reset")
                target = await setup(http, api, mock.url, receiver)
                tally, rss_start = Tally(), {p.name: p.rss_mb() for p in procs}
                began = time.monotonic()
                until = began + args.seconds
                await asyncio.gather(
                    *(client_loop(http, tally, target, s + 1, until) for s in range(args.clients))
                )
                traffic = time.monotonic() - began
                drained = await drain(engine, tally, max(30.0, args.seconds))
                rss_end = {p.name: p.rss_mb() for p in procs}
                accounts = await account(engine, tally, await receiver_ids(http, receiver))
        finally:
            await engine.dispose()
        calls = Counter(c.fault or "none" for c in mock_app.calls)
        bare_rate, bare = await baseline(mock.url, args.clients, min(5.0, args.seconds / 4))
    report(name, tally, traffic, drained, rss_start, rss_end, accounts, calls, bare_rate, bare)


def report(
    name: str, tally: Tally, traffic: float, drained: float, rss_start: dict[str, float],
    rss_end: dict[str, float], accounts: Accounts, calls: Counter[str], bare_rate: float,
    bare: list[float],
) -> None:  # fmt: skip
    total = sum(len(v) for v in tally.latencies.values())
    print(f"\n== {name}: {traffic:.0f} s of traffic, drained in {drained:.1f} s")
    print(f"{'kind':<10}{'requests':>10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for kind, values in sorted(tally.latencies.items()):
        rate = len(values) / traffic
        print(f"{kind:<10}{len(values):>10}{rate:>10.1f}{pct(values, 0.5):>10.1f}"
              f"{pct(values, 0.99):>10.1f}")  # fmt: skip
    print(f"{'all':<10}{total:>10}{total / traffic:>10.1f}")
    print(
        f"{'bare mock':<10}{len(bare):>10}{bare_rate:>10.1f}{pct(bare, 0.5):>10.1f}"
        f"{pct(bare, 0.99):>10.1f}   ratio all/bare {total / traffic / bare_rate:.3f}"
    )
    faults = ", ".join(f"{k} {v}" for k, v in sorted(calls.items()))
    print(f"upstream calls (with retries): {sum(calls.values())}, by fault: {faults}")
    errors = ", ".join(f"{k} {v}" for k, v in sorted(tally.errors.items())) or "none"
    print(f"errors by code: {errors}")
    for proc, start in rss_start.items():
        end = rss_end[proc]
        print(f"rss {proc:<9} {start:7.1f} MB -> {end:7.1f} MB  ({end - start:+.1f} MB)")
    print(
        f"accepted: {len(tally.async_ops)} async ops, {len(tally.executions)} executions; "
        f"deliveries: {accounts.deliveries_succeeded} succeeded, {accounts.deliveries_failed} "
        f"failed (in the log), {accounts.deliveries_open} pending"
    )
    print(
        f"lost: {accounts.lost} (async ops not final {accounts.ops_open}, executions not final "
        f"{accounts.executions_open}, events without a delivery "
        f"{accounts.events_without_delivery}, succeeded but not received "
        f"{accounts.succeeded_not_received})"
    )


async def main(args: argparse.Namespace) -> None:
    port = free_port()
    receiver = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="soak-receiver-") as tmp:
        hook = [sys.executable, str(ROOT / "benchmarks" / "webhook_receiver.py"), str(port)]
        proc = spawn("receiver", hook, {}, Path(tmp))
        try:
            wait_for(proc, ready=f"{receiver}/stats")
            if args.backend in ("all", "sqlite"):
                await run_backend("sqlite", None, receiver, args)
            if args.backend in ("all", "postgresql"):
                url = os.environ.get("INTERLINK_BENCH_DATABASE_URL", DEFAULT_PG)
                await prepare_postgres(url)
                await run_backend("postgresql (2 workers)", url, receiver, args)
        finally:
            proc.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--backend", choices=("all", "sqlite", "postgresql"), default="all")
    asyncio.run(main(parser.parse_args()))
