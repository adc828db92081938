"""Shared fixtures: an app on SQLite (always) and on PostgreSQL (when INTERLINK_TEST_DATABASE_URL is
set), called in process through httpx's ASGI transport, with a known admin key."""

from __future__ import annotations

import functools
import io
import json
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic.script import ScriptDirectory
from fastapi import FastAPI
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from interlink import logs
from interlink.app import create_app
from interlink.config import (
    ApiSettings,
    BootstrapSettings,
    DatabaseSettings,
    JobsSettings,
    JwtSettings,
    LogSettings,
    RedisSettings,
    ServerSettings,
    Settings,
    VaultSettings,
)
from interlink.core.clock import Clock, SystemClock
from interlink.core.db import async_url
from interlink.migrations.runner import alembic_config

ADMIN_KEY = "sk_test_admin_0123456789abcdefghijklmnop"
JWT_SECRET = "test-jwt-secret-that-is-long-enough-for-hs256"
# Under pytest-xdist each worker process has a database and a Redis database of its own.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
WORKER_NUMBER = int(WORKER.removeprefix("gw")) if WORKER.startswith("gw") else None


def _per_worker_database(url: str | None) -> str | None:
    if url is None or WORKER_NUMBER is None:
        return url
    parts = make_url(url)
    return parts.set(database=f"{parts.database}_{WORKER}").render_as_string(hide_password=False)


def _per_worker_redis(url: str | None) -> str | None:
    if url is None or WORKER_NUMBER is None:
        return url
    base, _, number = url.rstrip("/").rpartition("/")
    if not number.isdigit():
        base, number = url.rstrip("/"), "0"
    return f"{base}/{int(number) + 1 + WORKER_NUMBER}"


PG_URL = _per_worker_database(os.environ.get("INTERLINK_TEST_DATABASE_URL"))
REDIS_URL = _per_worker_redis(os.environ.get("INTERLINK_TEST_REDIS_URL"))


KEPT_TABLES = {"alembic_version", "dbos_migrations"}


@functools.cache
def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


async def reset_postgres(url: str) -> None:
    """Empty the database for a test. A schema already at the head revision is emptied with one
    TRUNCATE, which keeps the migrations (ours and DBOS's) done: running them again cost each
    PostgreSQL test about 1.5 s. Anything else is dropped and made again from nothing."""
    await _create_database_once(url)
    engine = create_async_engine(async_url(url))
    async with engine.begin() as connection:
        # A process left holding a lock fails the test here instead of hanging the suite.
        await connection.execute(text("SET LOCAL lock_timeout = '20s'"))
        if await _at_head(connection):
            tables = (
                await connection.execute(
                    text(
                        "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) "
                        "FROM pg_tables WHERE schemaname IN ('public', 'dbos') "
                        "AND tablename <> ALL(:kept)"
                    ),
                    {"kept": list(KEPT_TABLES)},
                )
            ).scalars()
            await connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("DROP SCHEMA IF EXISTS dbos CASCADE"))  # DBOS's tables
            await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


_created: set[str] = set()


async def _create_database_once(url: str) -> None:
    """Make a worker's own database the first time it is used (from the server's `postgres`)."""
    if WORKER_NUMBER is None or url in _created:
        return
    name = make_url(url).database
    admin = create_async_engine(
        async_url(make_url(url).set(database="postgres").render_as_string(hide_password=False)),
        isolation_level="AUTOCOMMIT",
    )
    async with admin.connect() as connection:
        exists = await connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        )
        if exists.scalar() is None:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    _created.add(url)


async def _at_head(connection: AsyncConnection) -> bool:
    found = await connection.execute(text("SELECT to_regclass('public.alembic_version')"))
    if found.scalar() is None:
        return False
    versions = (await connection.execute(text("SELECT version_num FROM alembic_version"))).all()
    return [v for (v,) in versions] == [head_revision()]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'interlink.db'}"
    if not PG_URL:
        pytest.skip("INTERLINK_TEST_DATABASE_URL is not set: the PostgreSQL run is skipped")
    await reset_postgres(PG_URL)
    return PG_URL


def make_settings(data_dir: Path, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "server": ServerSettings(data_dir=data_dir, allow_private_urls=True),
        "db": DatabaseSettings(url=database_url, pool_size=5),
        "redis": RedisSettings(url=None),
        "api": ApiSettings(rate_limit="0"),
        "vault": VaultSettings(keys=None, key_file=data_dir / "vault.key"),
        "jwt": JwtSettings(secret=JWT_SECRET),
        "bootstrap": BootstrapSettings(api_key=ADMIN_KEY),
        "log": LogSettings(format="json", level="info"),
        # No worker in API tests (tests/jobs turn it on); queued work waits in the database.
        "jobs": JobsSettings(embedded_worker=False),
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    (tmp_path / "data").mkdir(exist_ok=True)
    return make_settings(tmp_path / "data", database_url)


@pytest.fixture
def clock() -> Clock:
    return SystemClock()


@pytest.fixture
async def app(settings: Settings, clock: Clock) -> AsyncIterator[FastAPI]:
    application = create_app(settings, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


def client_for(app: FastAPI, key: str | None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=headers
    )


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app, ADMIN_KEY) as http:
        yield http


@pytest.fixture
async def anonymous(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app, None) as http:
        yield http


@pytest.fixture
async def other_workspace(
    app: FastAPI, client: httpx.AsyncClient
) -> AsyncIterator[httpx.AsyncClient]:
    """A client holding the admin key of a second workspace."""
    response = await client.post("/api/v1/workspaces", json={"name": "other"})
    assert response.status_code == 201, response.text
    async with client_for(app, response.json()["data"]["admin_key"]["key"]) as http:
        yield http


@pytest.fixture
def key_client(app: FastAPI, client: httpx.AsyncClient) -> Callable[..., Any]:
    """Make an API key with the given scopes and return a client that uses it."""

    async def make(*scopes: str, **extra: Any) -> httpx.AsyncClient:
        body = {"name": "scoped", "scopes": list(scopes), **extra}
        response = await client.post("/api/v1/api-keys", json=body)
        assert response.status_code == 201, response.text
        return client_for(app, response.json()["data"]["key"])

    return make


def data(response: httpx.Response) -> Any:
    """The `data` of a success envelope, failing with the body when it is not one."""
    body = response.json()
    assert body["status"] == "success", response.text
    return body["data"]


def error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert body["status"] == "error", response.text
    assert set(body["error"]) == {"code", "message", "details"}
    result: dict[str, Any] = body["error"]
    return result


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """What our log handler renders (after redaction), captured as text (JSON lines)."""
    logs.configure(LogSettings(format="json", level="info"))
    ours = next(h for h in logging.getLogger().handlers if h.get_name() == "interlink")
    buffer = io.StringIO()
    capture = logging.StreamHandler(buffer)
    capture.setFormatter(ours.formatter)
    logging.getLogger().addHandler(capture)
    yield buffer
    logging.getLogger().removeHandler(capture)


def log_lines(output: io.StringIO) -> list[dict[str, Any]]:
    """The captured lines, parsed."""
    return [json.loads(line) for line in output.getvalue().splitlines() if line.startswith("{")]
