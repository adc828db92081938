"""A bundle from a server on SQLite imported into a server on PostgreSQL loses nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from interlink.app import create_app
from tests.conftest import ADMIN_KEY, PG_URL, client_for, data, make_settings
from tests.helpers.databases import fresh_sqlite, reset_postgres
from tests.transfer.conftest import PASSPHRASE, seed, snapshot

pytestmark = pytest.mark.postgres


@asynccontextmanager
async def server(data_dir: Path, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(make_settings(_made(data_dir), database_url))
    async with app.router.lifespan_context(app), client_for(app, ADMIN_KEY) as client:
        yield client


async def test_sqlite_to_postgresql_loses_nothing(tmp_path: Path) -> None:
    if not PG_URL:
        pytest.skip("INTERLINK_TEST_DATABASE_URL is not set: the PostgreSQL run is skipped")
    await reset_postgres(PG_URL)
    sqlite_url = fresh_sqlite(tmp_path / "source")
    async with server(tmp_path / "source", sqlite_url) as source:
        await seed(source)
        headers = {"X-Bundle-Passphrase": PASSPHRASE}
        bundle = data(await source.get("/api/v1/export", headers=headers))
        seen = await snapshot(source)
    async with server(tmp_path / "target", PG_URL) as target:
        result = await target.post("/api/v1/import", json=bundle, headers=headers)
        assert data(result)["counts"]["create"] == 7
        assert await snapshot(target) == seen
        again = data(await target.get("/api/v1/export", headers=headers))
    for kind in ("credentials", "integrations", "workflows", "webhook_endpoints"):
        assert [_without_id(i) for i in again[kind]] == [_without_id(i) for i in bundle[kind]]
    assert again["custom_providers"] == bundle["custom_providers"]
    assert again["ai_routes"] == bundle["ai_routes"]


def _made(path: Path) -> Path:
    path.mkdir(exist_ok=True)
    return path


def _without_id(item: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in item.items() if k not in ("id", "credential_id", "versions")}
