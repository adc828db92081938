"""A canary secret sent through creates, updates, failures and validation errors appears in no
response, no log line, no event, and nowhere in plaintext in the database."""

from __future__ import annotations

import io
import secrets
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from interlink.config import Settings
from tests.conftest import client_for
from tests.integrations.seed import CREATE


async def _exercise(client: httpx.AsyncClient, app: FastAPI, canary: str) -> list[httpx.Response]:
    seen: list[httpx.Response] = []

    async def send(method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = await client.request(method, f"/api/v1{path}", **kwargs)
        seen.append(response)
        return response

    created = await send(
        "POST", "/integrations", json={**CREATE, "credentials": {"access_token": canary}}
    )
    iid = created.json()["data"]["id"]
    await send(
        "PUT",
        f"/integrations/{iid}/credentials",
        json={"credentials": {"access_token": canary + "2"}},
    )
    await send("GET", f"/integrations/{iid}")
    await send("GET", "/integrations")
    cred = await send(
        "POST",
        "/credentials",
        json={"name": "db", "type": "basic", "data": {"username": "u", "password": canary}},
    )
    await send(
        "PUT",
        f"/credentials/{cred.json()['data']['id']}",
        json={"data": {"password": canary + "3"}},
    )
    await send("GET", "/credentials")
    # Failures and validation errors that carry the canary.
    await send(
        "POST",
        "/integrations",
        json={
            **CREATE,
            "configuration": {"api_url": "nope"},
            "credentials": {"access_token": canary},
        },
    )
    await send("POST", "/integrations", json={**CREATE, "credentials": {"wrong_field": canary}})
    await send("POST", "/integrations", json={**CREATE, "name": canary * 20})
    await send("POST", "/integrations", json={**CREATE, "unknown": canary})
    await send(
        "POST",
        "/integrations",
        json={**CREATE, "configuration": {"api_url": f"https://u:{canary}@example.com"}},
    )
    await send("POST", "/integrations", json={**CREATE, "type": canary})
    await send(
        "PUT", f"/integrations/{iid}/credentials", json={"credentials": {"password": canary}}
    )
    await send(
        "POST",
        "/integrations",
        content=f'{{"name": "{canary}", broken'.encode(),
        headers={"Content-Type": "application/json"},
    )
    await send("POST", "/credentials", json={"name": "x", "type": "nope", "data": {"k": canary}})
    async with client_for(app, f"sk_{canary}") as stranger:
        seen.append(await stranger.get("/api/v1/integrations"))
    async with client_for(app, canary) as stranger:
        seen.append(await stranger.get("/api/v1/integrations"))
    seen.append(await client.get("/api/v1/events?page_size=100"))
    return seen  # fmt: skip


async def _all_rows_as_text(app: FastAPI) -> str:
    services = app.state.services
    dumped: list[str] = []
    async with services.db.engine.connect() as connection:
        tables = await connection.run_sync(
            lambda sync: sync.dialect.get_table_names(sync)  # type: ignore[no-any-return]
        )
        for table in tables:
            rows = await connection.execute(text(f'SELECT * FROM "{table}"'))  # noqa: S608
            dumped.extend(repr(tuple(row)) for row in rows)
    return "\n".join(dumped)


async def test_a_canary_secret_leaks_nowhere(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, log_output: io.StringIO
) -> None:
    canary = "CANARY" + secrets.token_hex(8)

    responses = await _exercise(client, app, canary)

    assert len(responses) == 19
    assert {r.status_code for r in responses[:7]} <= {200, 201}
    assert all(400 <= r.status_code < 500 for r in responses[7:18])
    for response in responses:
        assert canary not in response.text, (response.request.url, response.text)
        assert canary not in str(response.headers)
    logged = log_output.getvalue()
    assert "request" in logged  # the capture saw our log lines
    assert canary not in logged
    assert canary not in await _all_rows_as_text(app)
    if settings.uses_embedded_database or settings.database_url.startswith("sqlite"):
        data_dir = Path(settings.database_url.removeprefix("sqlite:///")).parent
        for stored in data_dir.glob("interlink.db*"):
            assert canary.encode() not in stored.read_bytes(), stored
