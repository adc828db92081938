"""Processes that start together on one new PostgreSQL database (replicas of a deployment) all
migrate it: one creates the schema while the others wait for it, instead of racing to create the
same tables (which failed two of three with a unique violation in pg_type)."""

from __future__ import annotations

import multiprocessing
import multiprocessing.queues
import multiprocessing.synchronize
import queue
import traceback

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from interlink.core.db import async_url
from interlink.migrations.runner import upgrade_sync
from tests.conftest import PG_URL
from tests.helpers.databases import head_revision

pytestmark = pytest.mark.postgres

SPAWN = multiprocessing.get_context("spawn")
PROCESSES = 3
CHILD_TIMEOUT = 90.0  # start (imports), barrier and migrations of one child, at most


def migrate(
    url: str,
    barrier: multiprocessing.synchronize.Barrier,
    reports: multiprocessing.queues.Queue[str],
) -> None:
    """A child: wait for the others, then migrate; report "ok" or the traceback."""
    try:
        barrier.wait(CHILD_TIMEOUT)
        upgrade_sync(url)
        reports.put("ok")
    except Exception:
        reports.put(traceback.format_exc())


async def empty_database(url: str) -> None:
    engine = create_async_engine(async_url(url))
    async with engine.begin() as connection:
        await connection.execute(text("SET LOCAL lock_timeout = '20s'"))
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("DROP SCHEMA IF EXISTS dbos CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


async def versions(url: str) -> list[str]:
    engine = create_async_engine(async_url(url))
    async with engine.connect() as connection:
        found = (await connection.execute(text("SELECT version_num FROM alembic_version"))).all()
    await engine.dispose()
    return [v for (v,) in found]


async def test_processes_starting_together_on_a_new_database_all_migrate_it() -> None:
    if not PG_URL:
        pytest.skip("INTERLINK_TEST_DATABASE_URL is not set: the PostgreSQL run is skipped")
    await empty_database(PG_URL)
    barrier, reports = SPAWN.Barrier(PROCESSES), SPAWN.Queue()
    children = [SPAWN.Process(target=migrate, args=(PG_URL, barrier, reports))
                for _ in range(PROCESSES)]  # fmt: skip
    for child in children:
        child.start()
    try:
        found = [reports.get(timeout=CHILD_TIMEOUT) for _ in children]
    except queue.Empty:
        found = ["a child sent no report"]
    finally:
        for child in children:
            child.join(CHILD_TIMEOUT)
            if child.is_alive():
                child.kill()
        reports.close()

    assert found == ["ok"] * PROCESSES, "\n".join(found)
    assert await versions(PG_URL) == [head_revision()]
