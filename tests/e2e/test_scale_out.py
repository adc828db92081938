"""Scale-out, with real processes: two `interlink serve --no-worker` and two `interlink worker` on
one PostgreSQL and one Redis, one Stripe mock on loopback.

200 async operations, 50 workflow executions and 20 synchronous operations spread over both API
processes all complete; one worker is killed with SIGKILL in the middle and the other finishes
its work once its reaper has recovered the dead executor's; every side effect reaches the
provider under one idempotency key and is made once; and one integration's rate budget, kept in
Redis, holds for all four processes together, read from the times the mock saw the calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from interlink.core.clock import SystemClock
from interlink.core.db import async_url
from interlink.startup import prepare
from interlink.testing import Call, CallLog, Fault, StripeMock, serve_mock_in_thread
from tests.conftest import ADMIN_KEY, PG_URL, data, make_settings, reset_postgres
from tests.e2e.server import free_port
from tests.helpers.polling import eventually
from tests.helpers.processes import dies_with_parent
from tests.jobs.workers import WorkerProcess, start_worker

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

# Requests per integration: `limited` has a budget of RATE calls per second, shared through Redis
# by every process; `bulk` has none. Both are the same Stripe mock, told apart by the emails.
PLAN = {"limited": {"async": 40, "wf": 10, "sync": 20}, "bulk": {"async": 160, "wf": 40}}
RATE = 8
ALL_CALLS = sum(n for kinds in PLAN.values() for n in kinds.values())  # one effect each
EXECUTIONS = sum(kinds["wf"] for kinds in PLAN.values())
KILL_AFTER = 60  # provider calls seen before worker A is killed
HELD = 6  # calls held upstream when the kill comes, so some are cut in the middle
HOLD_SECONDS = 1.5
IN_FLIGHT = 16  # requests the test has open at once (the sync ones wait for budget apart)
START_TIMEOUT = 90.0  # four interpreters importing at once on 2 busy cores took over 30 s
DEAD_AFTER = 3  # seconds of silence before a worker's reaper takes a dead one's work; under
# load on 2 cores a live worker's heartbeat lagged by more than 1 s
DEADLINE = 60.0  # for any one state the test waits for


@pytest.fixture
async def pg_url() -> str:
    if not PG_URL:
        pytest.skip("INTERLINK_TEST_DATABASE_URL is not set: the scale-out run is skipped")
    await reset_postgres(PG_URL)
    return PG_URL


class TimedCallLog(CallLog):
    """A call log that also keeps when each call arrived (before any fault held it)."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: list[tuple[float, Call]] = []

    def append(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)
            self.arrivals.append((time.monotonic(), call))


@dataclass
class ApiProcess:
    process: subprocess.Popen[bytes]
    output: Path
    url: str

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited: {self.output.read_text(errors='replace')}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)  # polling for start-up, not timing anything
        raise TimeoutError(f"serve did not start: {self.output.read_text(errors='replace')}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
        try:
            return self.process.wait(timeout=START_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=START_TIMEOUT)
            raise AssertionError(f"serve did not stop within {START_TIMEOUT} s") from None


def common_env(data_dir: Path, database_url: str, redis_url: str) -> dict[str, str]:
    return {
        "INTERLINK_DATA_DIR": str(data_dir),
        "INTERLINK_DATABASE_URL": database_url,
        "INTERLINK_REDIS_URL": redis_url,
        "INTERLINK_VAULT_KEY_FILE": str(data_dir / "vault.key"),
        "INTERLINK_BOOTSTRAP_API_KEY": ADMIN_KEY,
        "INTERLINK_ALLOW_PRIVATE_URLS": "true",
        "INTERLINK_API_RATE_LIMIT": "0",
        "INTERLINK_LOG_FORMAT": "json",
        # Four processes and the other users of this server fit in its 100 connections.
        "INTERLINK_DATABASE_POOL_SIZE": "4",
        "INTERLINK_JOBS_POOL_SIZE": "3",
        # A call waits for budget rather than failing with RATE_LIMIT_EXCEEDED.
        "INTERLINK_TRANSPORT_MAX_WAIT_SECONDS": "30",
        # The queues' polling interval is stored with the queue by whichever process registers
        # it (API processes too): the same on every process.
        "INTERLINK_JOBS_POLLING_INTERVAL_SECONDS": "0.05",
    }


def start_api(data_dir: Path, env: dict[str, str], name: str) -> ApiProcess:
    port = free_port()
    full = {
        **{k: v for k, v in os.environ.items() if not k.startswith("INTERLINK_")},
        **env,
        "INTERLINK_PORT": str(port),
    }
    output = data_dir / f"{name}.log"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "interlink", "serve", "--no-worker"],
            env=full,
            stdout=sink,
            stderr=sink,
            preexec_fn=dies_with_parent(),
        )
    api = ApiProcess(process, output, f"http://127.0.0.1:{port}")
    try:
        api.wait_ready()
    except BaseException:
        process.kill()  # never left running for the next tests
        process.wait(timeout=START_TIMEOUT)
        raise
    return api


@contextmanager
def cluster(
    data_dir: Path, database_url: str, redis_url: str
) -> Iterator[tuple[list[ApiProcess], list[WorkerProcess]]]:
    """Two API processes and two workers, started side by side on a database already migrated
    and bootstrapped; every one is stopped at the end, whatever happened."""
    env = common_env(data_dir, database_url, redis_url)
    with ExitStack() as stack:
        with ThreadPoolExecutor(4) as pool:
            apis = [pool.submit(start_api, data_dir, env, name) for name in ("api-1", "api-2")]
            workers = [
                pool.submit(
                    start_worker,
                    data_dir,
                    database_url,
                    name,
                    extra_env=env,
                    heartbeat_seconds="0.5",
                    executor_dead_after_seconds=str(DEAD_AFTER),
                )
                for name in ("worker-a", "worker-b")
            ]
        started: list[Future[ApiProcess] | Future[WorkerProcess]] = [*apis, *workers]
        for one in started:
            if one.exception() is None:
                stack.callback(one.result().stop)
        yield [one.result() for one in apis], [one.result() for one in workers]


async def setup(client: httpx.AsyncClient, api_url: str, name: str) -> tuple[str, str]:
    """A Stripe integration (rate-limited when `name` is "limited") and a one-step workflow
    that calls it."""
    limits = {"rate_limiting": {"requests_per_second": RATE}} if name == "limited" else {}
    body = {
        "name": f"Stripe {name}",
        "type": "stripe",
        "configuration": {"api_url": api_url, "auth_method": "api_key", **limits},
        "credentials": {"secret_key": "sk_test_mock_key"},
    }
    iid = str(data(await client.post("/api/v1/integrations", json=body))["id"])
    assert (await client.post(f"/api/v1/integrations/{iid}/activate")).status_code == 200
    step = {
        "name": "charge",
        "type": "action",
        "config": {
            "integration_id": iid,
            "operation": "create_customer",
            "parameters": {"email": "{{ input.email }}"},
        },
    }
    workflow = {"name": f"Scale-out {name}", "definition": {"steps": [step]}}
    response = await client.post("/api/v1/workflows", json=workflow)
    assert response.status_code == 201, response.text
    return iid, str(data(response)["id"])


async def submit_all(
    clients: list[httpx.AsyncClient], targets: dict[str, tuple[str, str]]
) -> dict[str, list[str]]:
    """Every request of PLAN, round robin over the API processes; the provider's idempotency
    key each one's effect must carry, by email."""
    gate = asyncio.Semaphore(IN_FLIGHT)
    keys: dict[str, list[str]] = {}

    async def post(n: int, name: str, kind: str) -> None:
        iid, wid = targets[name]
        email = f"{name}-{kind}-{n}@example.com"
        path = f"/api/v1/integrations/{iid}/operations/create_customer"
        body: dict[str, Any] = {"async": kind == "async", "parameters": {"email": email}}
        status = 200 if kind == "sync" else 202
        if kind == "wf":
            path = f"/api/v1/workflows/{wid}/execute"
            body = {"input": {"email": email}}
        async with gate if kind != "sync" else contextlib.nullcontext():
            response = await clients[n % len(clients)].post(path, json=body)
        assert response.status_code == status, response.text
        found = data(response)
        if kind == "wf":
            keys[email] = [f"{found['execution_id']}:charge:create_customer"]
        else:
            keys[email] = [f"{found['operation_id']}:create_customer"]

    await asyncio.gather(
        *(
            post(n, name, kind)
            for name, kinds in PLAN.items()
            for kind, count in kinds.items()
            for n in range(count)
        )
    )
    return keys


async def totals(client: httpx.AsyncClient, iids: list[str]) -> dict[str, int]:
    """How many operations and executions are in each state, the unfinished ones summed."""
    states = {
        "ops": {
            "completed": ("completed",),
            "failed": ("failed",),
            "queued": ("queued",),
            "running": ("running",),
        },
        "executions": {
            "completed": ("completed",),
            "failed": ("failed",),
            "open": ("pending", "running", "waiting"),
        },
    }
    counts: dict[str, int] = {}
    for kind, groups in states.items():
        paths = (
            [f"/api/v1/integrations/{iid}/operations/history" for iid in iids]
            if kind == "ops"
            else ["/api/v1/executions"]
        )
        for group, statuses in groups.items():
            counts[f"{kind}_{group}"] = 0
            for path in paths:
                for status in statuses:
                    params: dict[str, str | int] = {"status": status, "page_size": 1}
                    page = data(await client.get(path, params=params))
                    counts[f"{kind}_{group}"] += page["pagination"]["total_items"]
    return counts


def all_done(counts: dict[str, int]) -> bool:
    """No operation queued and no execution open any more, and at least every request's record
    is final (an action step cut by the kill after its operation was recorded is recorded
    again, so the count of operations alone could be reached while one is still queued).
    Operations still `running` then are the intents of calls the kill cut: they stay so until
    the interrupted sweep, past their deadline."""
    return (
        counts["ops_queued"] == 0
        and counts["executions_open"] == 0
        and counts["ops_completed"] + counts["ops_failed"] >= ALL_CALLS
        and counts["executions_completed"] + counts["executions_failed"] >= EXECUTIONS
    )


async def pending_on(database_url: str, executor_id: str) -> int:
    """DBOS workflows an executor had taken and not finished."""
    engine = create_async_engine(async_url(database_url))
    try:
        async with engine.connect() as connection:
            found = await connection.execute(
                text(
                    "SELECT count(*) FROM dbos.workflow_status "
                    "WHERE executor_id = :id AND status = 'PENDING'"
                ),
                {"id": executor_id},
            )
            return int(found.scalar_one())
    finally:
        await engine.dispose()


def reaped(worker: WorkerProcess) -> list[dict[str, Any]]:
    lines = worker.output.read_text(errors="replace").splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    return [r for r in records if r.get("event") == "executor_reaped"]


def busiest_window(times: list[float], seconds: float) -> int:
    """The most calls that arrived within any `seconds` (a sliding window)."""
    ordered, most, start = sorted(times), 0, 0
    for end, at in enumerate(ordered):
        while at - ordered[start] >= seconds:
            start += 1
        most = max(most, end - start + 1)
    return most


async def test_two_apis_and_two_workers_share_work_recovery_and_one_budget(
    tmp_path: Path, pg_url: str, redis_url: str
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    # The schema, the vault key file and the workspace with ADMIN_KEY, made here once: the
    # processes then start together (two API processes would each bootstrap a workspace).
    await prepare(make_settings(data_dir, pg_url), SystemClock())
    stripe_mock = StripeMock()
    log = stripe_mock.calls = TimedCallLog()
    began = time.monotonic()
    with (
        serve_mock_in_thread(stripe_mock) as stripe,
        cluster(data_dir, pg_url, redis_url) as (apis, workers),
    ):
        worker_a, worker_b = workers
        headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
        clients = [httpx.AsyncClient(base_url=a.url, headers=headers, timeout=60) for a in apis]
        targets: dict[str, tuple[str, str]] = {}
        try:
            for name in PLAN:
                targets[name] = await setup(clients[0], stripe.api_url, name)
            iids = [iid for iid, _ in targets.values()]
            ready = time.monotonic()
            submitting = asyncio.create_task(submit_all(clients, targets))

            async def seen() -> int:
                return len(log.filter("POST", "/v1/customers"))

            async def unheld() -> int:
                return len(stripe.mock.faults)

            await eventually(seen, lambda n: n >= KILL_AFTER, DEADLINE)
            stripe.mock.faults.add(Fault.latency(HOLD_SECONDS), HELD, "/v1/customers")
            await eventually(unheld, lambda n: n == 0, DEADLINE)  # all HELD calls are upstream now
            worker_a.kill()
            killed_at = datetime.now(UTC)
            left_on_a = await pending_on(pg_url, "worker-a")

            expected = await asyncio.wait_for(submitting, DEADLINE)
            final = await eventually(lambda: totals(clients[1], iids), all_done, DEADLINE)
            finished = time.monotonic()
            recovered = reaped(worker_b)
            still_on_a = await pending_on(pg_url, "worker-a")
        finally:
            for client in clients:
                await client.aclose()
            _forget_budget(redis_url, targets.get("limited", ("-", ""))[0])
        assert worker_b.stop() == 0
    calls = [(at, c) for at, c in log.arrivals if c.path == "/v1/customers"]
    limited = [at for at, c in calls if c.form()["email"].startswith("limited-")]
    print(  # the figures of a run, shown with -s
        f"\nscale-out: {finished - ready:.1f} s from first request to all done "
        f"({time.monotonic() - began:.1f} s with start-up); {left_on_a} workflows left on "
        f"worker-a; {len(calls)} calls for {len(stripe_mock.customers)} customers; limited: "
        f"{len(limited)} calls over {max(limited) - min(limited):.1f} s, busiest 1 s window "
        f"{busiest_window(limited, 1.0)}"
    )

    # All the work completed, none failed. The histories also hold the sync operations and those
    # of the workflows' action steps; an action step cut by the kill after its operation was
    # recorded but before its checkpoint runs again (at least once) and is recorded again.
    keys = Counter(c.headers.get("Idempotency-Key") for _, c in calls)
    repeated = sum(keys.values()) - len(keys)  # calls made again after the kill
    assert ALL_CALLS <= final["ops_completed"] <= ALL_CALLS + repeated, (final, repeated)
    assert final["ops_failed"] == 0
    assert final["ops_running"] <= left_on_a  # calls cut by the kill, their intents recorded
    assert final["executions_completed"] == EXECUTIONS
    assert final["executions_failed"] == 0

    # Worker A died holding work; worker B's reaper recovered it (only after the kill), and
    # nothing is left on A.
    assert left_on_a > 0
    assert {r["executor_id"] for r in recovered} == {"worker-a"}
    assert all(datetime.fromisoformat(r["timestamp"]) > killed_at for r in recovered)
    assert sum(r["workflows"] for r in recovered) >= left_on_a
    assert still_on_a == 0

    # Every side effect under its own key, made once at the provider; the same email always
    # came with the same key.
    assert set(keys) == {key for found in expected.values() for key in found}
    by_email = {c.form()["email"]: c.headers["Idempotency-Key"] for _, c in calls}
    assert by_email == {email: found[0] for email, found in expected.items()}
    assert len(stripe_mock.customers) == ALL_CALLS
    # Only work taken from worker A made a call again, each piece at most once.
    assert repeated <= sum(r["workflows"] for r in recovered), keys.most_common(5)

    # One budget for all four processes: in any window, at most the rate plus one burst (GCRA
    # lets a full second's calls through at once), with room for 0.5 s of arrival jitter.
    # Budgets per process would have let the workflows and sync calls of each one through.
    for seconds in (1.0, 2.0, 4.0):
        allowed = RATE * seconds + RATE + RATE // 2
        assert busiest_window(limited, seconds) <= allowed, (seconds, sorted(limited))
    # The budget was the bottleneck: the calls took about as long as the rate says.
    assert max(limited) - min(limited) >= (len(limited) - RATE) / RATE * 0.8


def _forget_budget(redis_url: str, iid: str) -> None:
    """Drop the integration's budget keys from the test's Redis database."""
    keys = redis.Redis.from_url(redis_url)
    try:
        stale = list(keys.scan_iter(f"interlink:*{iid}*", count=100))
        if stale:
            keys.delete(*stale)
    finally:
        keys.close()
