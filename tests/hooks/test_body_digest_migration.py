"""Migration 0011: hooks stored before it get the digest of their body, and where one
integration received the same body more than once (a replay), only the first keeps it."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json

import sqlalchemy as sa
from alembic import command

from interlink.app import create_app
from interlink.config import Settings
from interlink.core.clock import Clock
from interlink.core.db import create_engine
from interlink.migrations.runner import alembic_config
from tests.conftest import ADMIN_KEY, client_for
from tests.hooks.conftest import SECRET, create_integration

BODIES = [json.dumps({"action": "opened", "issue": {"number": n}}).encode() for n in (1, 2)]


def _signed(body: bytes, delivery: str) -> dict[str, str]:
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "X-GitHub-Event": "issues",
            "X-GitHub-Delivery": delivery}  # fmt: skip


async def _receive_two_hooks(settings: Settings, clock: Clock) -> None:
    application = create_app(settings, clock=clock)
    async with (
        application.router.lifespan_context(application),
        client_for(application, ADMIN_KEY) as client,
        client_for(application, None) as anonymous,
    ):
        github = await create_integration(
            client, "github", {"access_token": "ghp_abc", "webhook_secret": SECRET}
        )
        for number, body in enumerate(BODIES, 1):
            response = await anonymous.post(
                f"/api/v1/hooks/{github}", content=body, headers=_signed(body, f"d-{number}")
            )
            assert response.status_code == 200


def _store_a_replay_as_before(connection: sa.Connection) -> None:
    """What an earlier version stored for a replay of the first body with a new delivery id."""
    hooks = sa.Table("incoming_hooks", sa.MetaData(), autoload_with=connection)
    first = connection.execute(sa.select(hooks).where(hooks.c.delivery_id == "d-1")).one()
    replay = {**first._asdict(), "id": "hook_zzzzzzzzzzzzzzzzzzzzzzzzzz", "delivery_id": "d-3"}
    connection.execute(sa.insert(hooks).values(replay))


def _digests(connection: sa.Connection) -> dict[str, str | None]:
    rows = connection.execute(sa.text("SELECT delivery_id, body_digest FROM incoming_hooks"))
    return {delivery: digest for delivery, digest in rows}


async def test_stored_hooks_get_their_digest_and_a_replayed_body_keeps_none(
    settings: Settings, clock: Clock, database_url: str
) -> None:
    await _receive_two_hooks(settings, clock)
    config = alembic_config(database_url)
    await asyncio.to_thread(command.downgrade, config, "0010")
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_store_a_replay_as_before)
        await asyncio.to_thread(command.upgrade, config, "head")
        async with engine.connect() as connection:
            found = await connection.run_sync(_digests)
    finally:
        await engine.dispose()

    assert found == {
        "d-1": hashlib.sha256(BODIES[0]).hexdigest(),
        "d-2": hashlib.sha256(BODIES[1]).hexdigest(),
        "d-3": None,
    }
