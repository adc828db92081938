"""What must hold across OS processes (replicas of `interlink serve`), with real processes.

Two spawned interpreters share one Redis rate budget, and one OAuth refresh through the lease on
a PostgreSQL credential row. The children's code is in cross_process_children.py; the upstreams
run in this process on 127.0.0.1 and count what reached them.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.context
import multiprocessing.queues
import os
import queue
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
import redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from interlink.auth.scopes import Principal
from interlink.core.clock import SystemClock, rfc3339
from interlink.core.db import Database, async_url
from interlink.events.service import EventService
from interlink.startup import prepare
from interlink.testing import HttpMock, serve_mock_in_thread
from interlink.vault.keyring import read_key_file
from interlink.vault.schemas import CredentialCreate
from interlink.vault.service import CredentialService
from tests.conftest import PG_URL, make_settings, reset_postgres
from tests.e2e.cross_process_children import TokenMock, refresh_token, spend_budget

FROZEN = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)  # the instant both children stand at
CHILD_TIMEOUT = 90.0  # start (imports), barrier and work of one child, at most
SPAWN = multiprocessing.get_context("spawn")  # fresh interpreters, as separate replicas are


@pytest.fixture
def pg_url() -> str:
    if not PG_URL:
        pytest.skip("INTERLINK_TEST_DATABASE_URL is not set: the PostgreSQL run is skipped")
    return PG_URL


@contextmanager
def children(
    target: Callable[..., None], names: list[str], *args: Any
) -> Iterator[tuple[list[multiprocessing.context.SpawnProcess], multiprocessing.queues.Queue[Any]]]:
    """Start one spawned process per name running `target(name, *args, barrier, reports)`;
    yield them and their report queue; stop any still running at the end."""
    barrier, reports = SPAWN.Barrier(len(names)), SPAWN.Queue()
    processes = [
        SPAWN.Process(target=target, args=(name, *args, barrier, reports), name=name)
        for name in names
    ]
    for process in processes:
        process.start()
    try:
        yield processes, reports
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join(CHILD_TIMEOUT)
        reports.close()


def collect(
    processes: list[multiprocessing.context.SpawnProcess],
    reports: multiprocessing.queues.Queue[Any],
) -> list[Any]:
    """One report per child (in the order they finished), each child exited cleanly."""
    found = []
    for _ in processes:
        try:
            found.append(reports.get(timeout=CHILD_TIMEOUT))
        except queue.Empty:
            states = {p.name: p.exitcode for p in processes}
            raise AssertionError(f"a child sent no report; exit codes: {states}") from None
    for process in processes:
        process.join(CHILD_TIMEOUT)
        assert process.exitcode == 0, f"{process.name} exited {process.exitcode}"
    errors = [f"{r['name']}:\n{r['error']}" for r in found if "error" in r]
    assert not errors, "\n".join(errors)
    return found


# -- 1. one rate budget for every process, in Redis -----------------------------------------------

BUDGET = 20  # calls per hour; both children stand at one frozen instant, so none comes back
CALLS_EACH = 40


@pytest.mark.redis
def test_two_processes_share_one_redis_rate_budget(tmp_path: Path, redis_url: str) -> None:
    integration_id = f"int_xproc_{uuid4().hex[:16]}"
    keys = redis.Redis.from_url(redis_url)
    try:
        with (
            serve_mock_in_thread(HttpMock()) as upstream,
            children(
                spend_budget, ["p1", "p2"], redis_url, str(tmp_path), integration_id,
                upstream.url, BUDGET, CALLS_EACH, FROZEN,
            ) as (processes, reports),
        ):  # fmt: skip
            found = collect(processes, reports)
            reached = {name: len(upstream.mock.calls.filter(path_prefix=f"/anything/{name}/"))
                       for name in ("p1", "p2")}  # fmt: skip
            total_reached = len(upstream.mock.calls)
    finally:
        stale = list(keys.scan_iter(f"interlink:budget:{integration_id}:*", count=100))
        if stale:
            keys.delete(*stale)
        keys.close()

    outcomes = [o for report in found for o in report["outcomes"]]
    passed = {r["name"]: sum(o["code"] == "OK" for o in r["outcomes"]) for r in found}
    refused = [o for o in outcomes if o["code"] != "OK"]
    # The provider saw the budget once, for both processes together (not once per process).
    assert total_reached == BUDGET, (total_reached, passed)
    assert sum(passed.values()) == BUDGET
    assert all(o["status"] == 200 for o in outcomes if o["code"] == "OK")
    assert reached == passed  # a process's refused calls never left it
    # Every other call failed at once with RATE_LIMIT_EXCEEDED and when it may go again:
    # 20 per hour is one call every 180 s.
    assert len(refused) == 2 * CALLS_EACH - BUDGET
    assert {o["code"] for o in refused} == {"RATE_LIMIT_EXCEEDED"}
    assert {o["retry_after"] for o in refused} == {"180"}
    assert all(o["details"] == [{"retry_after_seconds": 180.0}] for o in refused)


# -- 2. one OAuth refresh for every process, by the lease on the credential row ------------------

# Who holds the credential's refresh lease, and whether its end is still ahead (both UTC).
LEASE_STATE = text(
    "SELECT refreshing_by, refreshing_until > (now() AT TIME ZONE 'UTC') AS live "
    "FROM credentials WHERE id = :id"
)
MIN_POLLS = 3  # reads of the waiting process (0.2 s apart) seen while the lease is held
WATCH_ROUNDS = 320  # at 25 ms each...
WATCH_SECONDS = 8.0  # ...and at most this long: well before the held grant lets go by itself


async def seed_credential(database_url: str, data_dir: Path, token_url: str) -> tuple[str, str]:
    """A fresh database with a workspace and an OAuth credential whose token expired an hour ago:
    a process waiting on another's refresh has no still-valid token to fall back on."""
    await reset_postgres(database_url)
    settings = make_settings(data_dir, database_url)
    clock = SystemClock()  # the children's clock
    prepared = await prepare(settings, clock)
    assert prepared.workspace_id is not None
    credentials = CredentialService(clock, prepared.keyring, EventService())
    body = CredentialCreate(
        name="Example OAuth",
        type="oauth",
        provider="example",
        data={
            "access_token": "a1",
            "token_type": "bearer",
            "refresh_token": "r1",
            "expires_at": rfc3339(clock.now() - timedelta(hours=1)),
            "token_url": token_url,
            "client_id": "client",
            "client_secret": "secret",
        },
    )
    db = Database(settings.database_url, pool_size=1)
    try:
        async with db.transaction() as session:
            principal = Principal(prepared.workspace_id, "cross-process-test", frozenset())
            row = await credentials.create(session, principal, body)
    finally:
        await db.dispose()
    return prepared.workspace_id, row.id


async def stored_credential(
    database_url: str, data_dir: Path, workspace_id: str, credential_id: str
) -> tuple[dict[str, Any], str | None, datetime | None]:
    """The stored credential's data, and its lease (`refreshing_by`, `refreshing_until`)."""
    settings = make_settings(data_dir, database_url)
    clock = SystemClock()
    credentials = CredentialService(clock, read_key_file(settings.vault_key_file), EventService())
    db = Database(settings.database_url, pool_size=1)
    try:
        async with db.read() as session:
            row = await credentials.get(session, workspace_id, credential_id)
            return credentials.reveal(row), row.refreshing_by, row.refreshing_until
    finally:
        await db.dispose()


def drain(progress: multiprocessing.queues.Queue[Any]) -> list[Any]:
    """What the children have put on `progress` so far (at most 1000 messages)."""
    messages = []
    for _ in range(1000):
        try:
            messages.append(progress.get_nowait())
        except queue.Empty:
            break
    return messages


async def watch_overlap(
    database_url: str,
    credential_id: str,
    progress: multiprocessing.queues.Queue[Any],
    token: TokenMock,
) -> dict[str, Any]:
    """While the token endpoint holds the first grant: read the credential's lease and the
    children's progress until the lease is seen taken and, since then, one child has polled
    MIN_POLLS times with neither child done. Stops early when a second grant arrives or a child
    is done, and after WATCH_ROUNDS rounds or WATCH_SECONDS; answers what it saw."""
    polls: Counter[str] = Counter()
    since: Counter[str] | None = None  # the polls counted when the lease was first seen taken
    passed: set[str] = set()
    done: set[str] = set()
    leases: list[tuple[str | None, bool | None]] = []  # each read from the first taken one on
    waiting: set[str] = set()
    engine = create_async_engine(async_url(database_url), isolation_level="AUTOCOMMIT")
    deadline = time.monotonic() + WATCH_SECONDS
    try:
        async with engine.connect() as connection:
            for _ in range(WATCH_ROUNDS):
                for kind, name, *_ in drain(progress):
                    if kind == "poll":
                        polls[name] += 1
                    elif kind == "barrier":
                        passed.add(name)
                    elif kind == "done":
                        done.add(name)
                owner, live = (await connection.execute(LEASE_STATE, {"id": credential_id})).one()
                if since is None and owner is not None and live:
                    since = polls.copy()
                if since is not None:
                    leases.append((owner, live))
                    waiting = {n for n in polls if polls[n] - since[n] >= MIN_POLLS}
                if token.calls.count("/oauth/token") > 1 or done or waiting:
                    break
                if time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.025)  # polling for a state, not timing anything
    finally:
        await engine.dispose()
    return {
        "grants": token.calls.count("/oauth/token"),
        "still_held": not token.answered.is_set(),
        "leases": leases,
        "waiting": waiting,
        "polls_since_lease": {n: polls[n] - since[n] for n in polls} if since is not None else {},
        "passed_barrier": passed,
        "done": done,
    }


@pytest.mark.postgres
def test_two_processes_refresh_one_oauth_credential_once(tmp_path: Path, pg_url: str) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    progress: multiprocessing.queues.Queue[Any] = SPAWN.Queue()
    overlap: dict[str, Any] = {}
    with serve_mock_in_thread(TokenMock()) as endpoint:
        token = endpoint.mock
        try:
            workspace_id, credential_id = asyncio.run(
                seed_credential(pg_url, data_dir, f"{endpoint.url}/oauth/token")
            )
            with children(
                refresh_token, ["p1", "p2"], pg_url, str(data_dir), workspace_id, credential_id,
                progress,
            ) as (processes, reports):  # fmt: skip
                # One process is inside its refresh, its grant held by the token endpoint...
                entered = token.held.wait(CHILD_TIMEOUT)
                # ...while the row shows its lease and the other process polls, not done.
                if entered:
                    overlap = asyncio.run(watch_overlap(pg_url, credential_id, progress, token))
                released_at = datetime.now(UTC)
                token.release.set()
                found = collect(processes, reports)
                finished_at = datetime.now(UTC)
        finally:
            token.release.set()
            progress.close()
        grants = [call.form() for call in token.calls.filter("POST", "/oauth/token")]

    stored, refreshing_by, refreshing_until = asyncio.run(
        stored_credential(pg_url, data_dir, workspace_id, credential_id)
    )
    assert entered, "no process called the token endpoint"
    # (1) The two processes overlapped: while the first grant was held, the row showed one live
    # lease throughout and the other process, past the barrier, kept polling without an answer.
    assert overlap["grants"] == 1, f"the second process did not wait: {overlap}"
    assert overlap["still_held"], overlap
    assert overlap["leases"], f"the lease was never seen taken: {overlap}"
    owners = {owner for owner, _ in overlap["leases"]}
    assert len(owners) == 1, overlap
    assert None not in owners, overlap
    assert all(live for _, live in overlap["leases"]), overlap
    assert overlap["passed_barrier"] == {"p1", "p2"}, overlap
    assert overlap["done"] == set(), overlap
    assert len(overlap["waiting"]) == 1, f"no process waited on the lease: {overlap}"
    (waiter,) = overlap["waiting"]
    polls = {r["name"]: r["polls"] for r in found}
    assert polls[waiter] >= MIN_POLLS, polls
    assert [n for n, count in polls.items() if count == 0] == [{"p1": "p2", "p2": "p1"}[waiter]]
    # (2) One token call, with the refresh token first stored.
    assert len(grants) == 1, grants
    assert grants[0]["refresh_token"] == "r1"
    # (3) Both processes end with the new access token (and both started from the old one).
    assert [r["seen_access_token"] for r in found] == ["a1", "a1"]
    assert [(r["access_token"], r["refresh_token"]) for r in found] == [("a2", "r2")] * 2
    # (4) The new access token and the rotated refresh token are stored, the lease freed.
    assert stored["access_token"] == "a2"
    assert stored["refresh_token"] == "r2"
    expiry = datetime.fromisoformat(stored["expires_at"].replace("Z", "+00:00"))
    lifetime = timedelta(seconds=3600)
    assert released_at - timedelta(seconds=1) <= expiry - lifetime <= finished_at, expiry
    assert (refreshing_by, refreshing_until) == (None, None)
    pids = {r["pid"] for r in found}
    assert len(pids) == 2, pids  # the work ran in two other processes
    assert os.getpid() not in pids
