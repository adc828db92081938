"""The event follower's saved position: workers that start together save it at the same moment
without one failing on the primary key (as a read-then-insert did on PostgreSQL), and it never
moves back."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from interlink.core.clock import SystemClock
from interlink.core.db import Database, async_url
from interlink.core.ids import lowest_id
from interlink.events.bell import EventBell
from interlink.startup import prepare
from interlink.workflows.follower import CURSOR, EventFollower
from interlink.workflows.models import EventCursor
from tests.conftest import make_settings
from tests.workflows.conftest import eventually


def follower(db: Database) -> EventFollower:
    # Saving the position uses only the database and the clock.
    unused = cast(Any, None)
    return EventFollower(db, SystemClock(), unused, unused, EventBell(None))


async def saved(db: Database) -> str | None:
    async with db.read() as session:
        found: str | None = await session.scalar(
            select(EventCursor.position).where(EventCursor.name == CURSOR)
        )
        return found


async def test_two_followers_save_the_first_position_together_and_it_only_moves_forward(
    tmp_path: Path, database_url: str
) -> None:
    (tmp_path / "data").mkdir(exist_ok=True)
    await prepare(make_settings(tmp_path / "data", database_url), SystemClock())
    db = Database(database_url, pool_size=4)
    early, middle, late = (lowest_id("evt", ms) for ms in (1_000, 2_000, 3_000))
    try:
        first, second = follower(db), follower(db)
        await asyncio.gather(first._save_position(middle), second._save_position(early))
        assert await saved(db) == middle

        await second._save_position(early)  # a worker behind the other does not pull it back
        assert await saved(db) == middle
        await second._save_position(late)
        assert await saved(db) == late
    finally:
        await db.dispose()


async def sessions_waiting_on_a_lock(engine: Any) -> int:
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    async with engine.connect() as connection:
        return int(await connection.scalar(query) or 0)


@pytest.mark.postgres
async def test_a_save_racing_another_workers_first_save_waits_for_it_and_succeeds(
    tmp_path: Path, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the race needs two PostgreSQL sessions")
    (tmp_path / "data").mkdir(exist_ok=True)
    await prepare(make_settings(tmp_path / "data", database_url), SystemClock())
    db = Database(database_url, pool_size=2)
    engine = create_async_engine(async_url(database_url))
    early, late = lowest_id("evt", 1_000), lowest_id("evt", 2_000)
    try:
        async with engine.connect() as other:  # another worker's first save, not yet committed
            await other.execute(
                text(
                    "INSERT INTO workflow_event_cursor (name, position, updated_at) "
                    "VALUES (:name, :position, now())"
                ),
                {"name": CURSOR, "position": early},
            )
            saving = asyncio.create_task(follower(db)._save_position(late))
            await eventually(lambda: sessions_waiting_on_a_lock(engine), lambda n: n > 0)
            await other.commit()
        await asyncio.wait_for(saving, 10)
        assert await saved(db) == late
    finally:
        await engine.dispose()
        await db.dispose()
