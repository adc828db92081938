"""Helpers of the vault tests: an app started and stopped inside a test, the key file as an
operator sees it, and raw reads and writes of the rows that hold sealed data."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import text

from interlink.app import create_app
from interlink.config import Settings, VaultSettings
from interlink.core.clock import SystemClock
from interlink.core.db import Database
from interlink.vault.keyring import encode_key
from tests.conftest import ADMIN_KEY, client_for, data

SECRET = "sk_live_vault_test_secret_0123456789"
CREDENTIAL: dict[str, Any] = {
    "name": "Stripe",
    "type": "api_key",
    "provider": "stripe",
    "data": {"username": "ops-bot", "api_key": SECRET},
}


@asynccontextmanager
async def started(settings: Settings) -> AsyncIterator[FastAPI]:
    """An app through its whole start (migrations, keyring, bootstrap) and stop."""
    application = create_app(settings, clock=SystemClock())
    async with application.router.lifespan_context(application):
        yield application


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A started app and an admin client for it."""
    async with started(settings) as application, client_for(application, ADMIN_KEY) as http:
        yield http


def key_file(settings: Settings) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(settings.vault_key_file.read_text())
    return document


def env_vault(settings: Settings, keys: dict[str, bytes], active: str | None = None) -> Settings:
    """The same settings with keys given as INTERLINK_VAULT_KEYS (and ..._ACTIVE_KEY) would."""
    joined = ",".join(f"{kid}:{encode_key(key)}" for kid, key in keys.items())
    vault = VaultSettings(
        keys=SecretStr(joined), active_key=active, key_file=settings.vault.key_file
    )
    return settings.model_copy(update={"vault": vault})


async def create_credential(http: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    response = await http.post("/api/v1/credentials", json={**CREDENTIAL, **changes})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = data(response)
    return created


async def rows(settings: Settings, query: str, **params: Any) -> list[tuple[Any, ...]]:
    db = Database(settings.database_url, pool_size=1)
    try:
        async with db.transaction() as session:
            return [tuple(row) for row in (await session.execute(text(query), params)).all()]
    finally:
        await db.dispose()


async def execute(settings: Settings, statement: str, **params: Any) -> None:
    db = Database(settings.database_url, pool_size=1)
    try:
        async with db.transaction() as session:
            await session.execute(text(statement), params)
    finally:
        await db.dispose()
