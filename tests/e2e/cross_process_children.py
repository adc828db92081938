"""What the child processes of test_cross_process.py run, and the OAuth token endpoint they use.

Each child is a fresh interpreter (multiprocessing's spawn) that builds its own transport or
OAuth refresher from the settings, as an `interlink serve` replica would, waits on a barrier
shared with its sibling, then does its work and puts one JSON-able report on a queue. A child
never raises: a failure is reported with its traceback, so the test shows it.
"""

from __future__ import annotations

import asyncio
import os
import threading
import traceback
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Protocol

from aiohttp import web

from interlink.testing import MockUpstream
from interlink.testing.base import json_response

BARRIER_TIMEOUT = 60.0  # both children import the package first: a few seconds at most
# The held token grant lets go by itself after this: well inside the refresher's 30 s bound on
# the token call and its 60 s lease, so even a test that never releases it stays in bounds.
GATE_TIMEOUT = 15.0


class Barrier(Protocol):
    def wait(self, timeout: float | None = None) -> int: ...


class Reports(Protocol):
    def put(self, obj: Any) -> None: ...


class Progress(Protocol):
    def put(self, obj: Any) -> None: ...


def _run(
    name: str, reports: Reports, work: Callable[[], Coroutine[Any, Any, dict[str, Any]]]
) -> None:
    report: dict[str, Any]
    try:
        report = asyncio.run(work())
    except BaseException:  # reported to the parent, which fails the test with it
        report = {"error": traceback.format_exc()}
    reports.put({"name": name, "pid": os.getpid(), **report})


# -- 1. one rate budget in Redis ------------------------------------------------------------------
def spend_budget(
    name: str,
    redis_url: str,
    data_dir: str,
    integration_id: str,
    upstream_url: str,
    per_hour: int,
    calls: int,
    frozen_at: datetime,
    barrier: Barrier,
    reports: Reports,
) -> None:
    """Fire `calls` GETs at once through a transport built by the factory on `redis_url`, with
    a budget of `per_hour` calls and no waiting for budget; report how each one ended."""
    _run(
        name,
        reports,
        lambda: _spend(
            name, redis_url, Path(data_dir), integration_id, upstream_url, per_hour, calls,
            frozen_at, barrier,
        ),
    )  # fmt: skip


async def _spend(
    name: str,
    redis_url: str,
    data_dir: Path,
    integration_id: str,
    upstream_url: str,
    per_hour: int,
    calls: int,
    frozen_at: datetime,
    barrier: Barrier,
) -> dict[str, Any]:
    from interlink.config import RedisSettings, TransportSettings
    from interlink.core.clock import FrozenClock
    from interlink.core.errors import InterlinkError
    from interlink.transport.client import ProviderFacts
    from interlink.transport.factory import build_transport
    from interlink.transport.settings import call_settings
    from tests.conftest import make_settings

    settings = make_settings(
        data_dir,
        f"sqlite:///{data_dir / 'unused.db'}",
        redis=RedisSettings(url=redis_url),
        transport=TransportSettings(max_wait_seconds=0),  # a spent budget fails at once
    )
    clock = FrozenClock(frozen_at)  # both children stand at the same instant
    transport = build_transport(settings, clock)
    configuration = {
        "api_url": upstream_url,
        "rate_limiting": {"requests_per_hour": per_hour, "max_retries": 0},
    }
    client = transport.client(
        integration_id, call_settings(configuration, settings.transport), ProviderFacts(), {}
    )

    async def one(n: int) -> dict[str, Any]:
        try:
            response = await client.get(f"/anything/{name}/{n}")
        except InterlinkError as refused:
            return {
                "code": refused.code,
                "retry_after": refused.headers.get("Retry-After"),
                "details": refused.details,
            }
        return {"code": "OK", "status": response.status}

    try:
        await transport.limiter.store.redis.ping()  # type: ignore[attr-defined]  # connected
        await asyncio.to_thread(barrier.wait, BARRIER_TIMEOUT)
        outcomes = await asyncio.gather(*(one(n) for n in range(calls)))
    finally:
        await transport.close()
        await transport.limiter.store.redis.aclose()  # type: ignore[attr-defined]
    return {"outcomes": list(outcomes)}


# -- 2. one OAuth refresh on PostgreSQL -----------------------------------------------------------
def refresh_token(
    name: str,
    database_url: str,
    data_dir: str,
    workspace_id: str,
    credential_id: str,
    progress: Progress,
    barrier: Barrier,
    reports: Reports,
) -> None:
    """Load the credential, wait for the sibling, then ask the OAuthRefresher for a usable token
    on the real clock; report the tokens it answered with. On `progress` the child puts
    `("barrier", name)` once past the barrier, `("poll", name, seconds)` each time the refresher
    sleeps on its clock (waiting on another process's lease) and `("done", name)` when it has its
    token."""
    _run(
        name,
        reports,
        lambda: _refresh(name, database_url, Path(data_dir), workspace_id, credential_id,
                         progress, barrier),
    )  # fmt: skip


async def _refresh(
    name: str,
    database_url: str,
    data_dir: Path,
    workspace_id: str,
    credential_id: str,
    progress: Progress,
    barrier: Barrier,
) -> dict[str, Any]:
    from interlink.core.clock import SystemClock
    from interlink.core.db import Database
    from interlink.events.service import EventService
    from interlink.transport.factory import build_transport
    from interlink.vault.keyring import read_key_file
    from interlink.vault.oauth import OAuthRefresher
    from interlink.vault.service import CredentialService
    from tests.conftest import make_settings

    class ReportingClock(SystemClock):
        """The real clock (a frozen one would run the lease and the patience out at once), telling
        the parent of every wait asked of it."""

        polls = 0

        async def sleep(self, seconds: float) -> None:
            self.polls += 1
            progress.put(("poll", name, seconds))
            await super().sleep(seconds)

    settings = make_settings(data_dir, database_url)
    clock = ReportingClock()
    db = Database(settings.database_url, pool_size=2)
    events = EventService()
    credentials = CredentialService(clock, read_key_file(settings.vault_key_file), events)
    transport = build_transport(settings, clock)
    refresher = OAuthRefresher(clock, db, credentials, transport, events)
    try:
        # What an operation does first: read the credential (this also opens a pooled
        # connection, so both children start the race on an equal footing).
        async with db.read() as session:
            row = await credentials.get(session, workspace_id, credential_id)
            seen = credentials.reveal(row)
        await asyncio.to_thread(barrier.wait, BARRIER_TIMEOUT)
        progress.put(("barrier", name))
        fresh = await refresher.fresh(workspace_id, credential_id, seen)
        progress.put(("done", name))
    finally:
        await transport.close()
        await db.dispose()
    return {
        "seen_access_token": seen["access_token"],
        "access_token": fresh["access_token"],
        "refresh_token": fresh["refresh_token"],
        "polls": clock.polls,
    }


class TokenMock(MockUpstream):
    """An OAuth2 token endpoint (`POST /oauth/token`, grant_type=refresh_token) that rotates the
    refresh token on every grant and refuses a spent one with `invalid_grant`.

    The first grant is held until `release` is set (or GATE_TIMEOUT passes), and `held` is set
    while it waits: the caller is then inside its refresh, holding the credential's lease.
    """

    name: ClassVar[str] = "oauth"

    def reset_state(self) -> None:
        self.generation = 1
        self.refresh_token = "r1"
        self.held = threading.Event()
        self.release = threading.Event()
        self.answered = threading.Event()  # the held grant has let go (and is being answered)

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/oauth/token", self.grant)

    async def grant(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        if not self.held.is_set():
            self.held.set()
            await asyncio.to_thread(self.release.wait, GATE_TIMEOUT)
            self.answered.set()
        if (
            form.get("grant_type") != "refresh_token"
            or form.get("refresh_token") != self.refresh_token
        ):
            return json_response(
                {"error": "invalid_grant", "error_description": "refresh token spent"},
                status=400,
            )
        self.generation += 1
        self.refresh_token = f"r{self.generation}"
        return json_response(
            {
                "access_token": f"a{self.generation}",
                "token_type": "bearer",
                "expires_in": 3600,
                "refresh_token": self.refresh_token,
            }
        )
