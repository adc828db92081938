"""API keys and workspaces as a caller sees them: a key is shown once, works at once, stops at once
when revoked or expired, and is kept only as a SHA-256 hash; a workspace sees itself and those it
created."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import inspect, text

from interlink.config import JwtSettings
from interlink.core.clock import FrozenClock, rfc3339
from tests.auth.conftest import MakeApp, create_key, own_workspace_id
from tests.conftest import ADMIN_KEY, JWT_SECRET, client_for, data, error

START = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
LISTED_FIELDS = {
    "id", "name", "prefix", "scopes", "rate_limit", "expires_at", "last_used_at", "created_at",
    "created_by",
}  # fmt: skip


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def listed(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    items = data(await client.get("/api/v1/api-keys?page_size=100"))["items"]
    return {item["id"]: item for item in items}


async def database_dump(app: FastAPI) -> str:
    """Every row of every table, as text (bytes columns as their repr)."""
    db = app.state.services.db
    async with db.engine.connect() as connection:
        tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        rows = []
        for table in tables:
            result = await connection.execute(text(f'SELECT * FROM "{table}"'))  # noqa: S608
            rows += [repr(tuple(row)) for row in result]
    assert any("api_keys" in t for t in tables)
    return "\n".join(rows)


# -- API keys ----------------------------------------------------------------------------------


async def test_a_created_key_is_shown_once_and_listed_without_it(
    client: httpx.AsyncClient,
) -> None:
    admin_key_id = next(iter(await listed(client)))

    response = await client.post(
        "/api/v1/api-keys", json={"name": "ci", "scopes": ["integrations:read"]}
    )

    assert response.status_code == 201
    created = data(response)
    assert set(created) == LISTED_FIELDS | {"key"}
    key = created["key"]
    assert key.startswith("sk_")
    assert len(key) >= 40
    assert created["id"].startswith("key_")
    assert created["prefix"] == key[:11]
    assert created["scopes"] == ["integrations:read"]
    assert created["last_used_at"] is None
    assert created["expires_at"] is None
    assert created["created_at"] == rfc3339(START)
    assert created["created_by"] == admin_key_id
    listing = await client.get("/api/v1/api-keys")
    item = (await listed(client))[created["id"]]
    assert set(item) == LISTED_FIELDS
    assert {k: v for k, v in created.items() if k != "key"} == item
    assert key not in listing.text
    assert hashlib.sha256(key.encode()).hexdigest() not in listing.text


async def test_a_new_key_works_and_its_use_is_recorded(
    app: FastAPI, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    created = await create_key(client, "integrations:read")
    clock.advance(30)

    async with client_for(app, created["key"]) as new:
        response = await new.get("/api/v1/integrations")

    assert response.status_code == 200
    assert data(response)["items"] == []
    assert (await listed(client))[created["id"]]["last_used_at"] == rfc3339(
        START + timedelta(seconds=30)
    )


async def test_a_revoked_key_is_refused_on_the_very_next_request(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    created = await create_key(client, "integrations:read")
    async with client_for(app, created["key"]) as doomed:
        assert (await doomed.get("/api/v1/integrations")).status_code == 200

        revoked = await client.delete(f"/api/v1/api-keys/{created['id']}")
        after = await doomed.get("/api/v1/integrations")

    assert revoked.status_code == 200
    assert data(revoked) == {"id": created["id"], "revoked": True, "revoked_at": rfc3339(START)}
    assert after.status_code == 401
    assert error(after)["code"] == "UNAUTHENTICATED"
    assert created["id"] not in await listed(client)


async def test_revoking_twice_or_an_unknown_or_foreign_key_is_404(
    client: httpx.AsyncClient, other_workspace: httpx.AsyncClient
) -> None:
    created = await create_key(client, "integrations:read")
    assert (await client.delete(f"/api/v1/api-keys/{created['id']}")).status_code == 200
    admin_key_id = next(iter(await listed(client)))

    again = await client.delete(f"/api/v1/api-keys/{created['id']}")
    unknown = await client.delete("/api/v1/api-keys/key_doesnotexist")
    foreign = await other_workspace.delete(f"/api/v1/api-keys/{admin_key_id}")

    for response in (again, unknown, foreign):
        assert response.status_code == 404
        assert error(response)["code"] == "API_KEY_NOT_FOUND"
    assert (await client.get("/api/v1/api-keys")).status_code == 200


async def test_an_expired_key_is_refused(
    app: FastAPI, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    expires_at = START + timedelta(seconds=60)
    created = await create_key(client, "integrations:read", expires_at=rfc3339(expires_at))
    assert created["expires_at"] == rfc3339(expires_at)

    async with client_for(app, created["key"]) as expiring:
        clock.advance(59)
        before = await expiring.get("/api/v1/integrations")
        clock.advance(2)
        after = await expiring.get("/api/v1/integrations")

    assert before.status_code == 200
    assert after.status_code == 401
    assert error(after)["code"] == "UNAUTHENTICATED"
    assert (await client.get("/api/v1/integrations")).status_code == 200


@pytest.mark.parametrize(
    "expires_at",
    [rfc3339(START - timedelta(seconds=1)), rfc3339(START), "2030-01-02T04:00:00"],
    ids=["past", "now", "no-timezone"],
)
async def test_an_expiry_that_is_not_a_future_instant_is_400(
    client: httpx.AsyncClient, expires_at: str
) -> None:
    response = await client.post(
        "/api/v1/api-keys",
        json={"name": "late", "scopes": ["integrations:read"], "expires_at": expires_at},
    )

    assert response.status_code == 400
    failure = error(response)
    assert failure["code"] == "INVALID_REQUEST"
    assert [d["field"] for d in failure["details"]] == ["expires_at"]
    assert len(await listed(client)) == 1


@pytest.mark.parametrize("scopes", [["integrations:read", "everything"], ["ADMIN"], []])
async def test_an_unknown_scope_or_none_is_400(
    client: httpx.AsyncClient, scopes: list[str]
) -> None:
    response = await client.post("/api/v1/api-keys", json={"name": "odd", "scopes": scopes})

    assert response.status_code == 400
    failure = error(response)
    assert failure["code"] == "INVALID_REQUEST"
    assert failure["details"]
    assert all(d["field"].startswith("scopes") for d in failure["details"])
    assert len(await listed(client)) == 1


async def test_a_key_without_admin_cannot_manage_keys(
    client: httpx.AsyncClient, key_client: Callable[..., Any]
) -> None:
    admin_key_id = next(iter(await listed(client)))
    scopes = ["integrations:read", "integrations:write", "credentials:read", "credentials:write"]
    async with await key_client(*scopes) as limited:
        attempts = [
            await limited.post("/api/v1/api-keys", json={"name": "x", "scopes": ["admin"]}),
            await limited.get("/api/v1/api-keys"),
            await limited.delete(f"/api/v1/api-keys/{admin_key_id}"),
            await limited.post("/api/v1/workspaces", json={"name": "mine"}),
            await limited.get("/api/v1/workspaces"),
        ]

    for response in attempts:
        assert response.status_code == 403
        assert error(response)["code"] == "FORBIDDEN"
    keys = await listed(client)
    assert admin_key_id in keys
    assert len(keys) == 2
    assert len(data(await client.get("/api/v1/workspaces"))["items"]) == 1


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Basic x",
        f"Basic {ADMIN_KEY}",
        "Bearer",
        "Bearer ",
        "Bearer sk_short",
        "Bearer sk_" + secrets.token_urlsafe(30),
        f"Bearer {ADMIN_KEY[:-1]}",
        f"Bearer {ADMIN_KEY}x",
        "Bearer not.a.jwt",
    ],
    ids=[
        "missing", "basic", "basic-with-key", "bearer-alone", "bearer-blank", "short-key",
        "unknown-key", "truncated-key", "extended-key", "garbage-token",
    ],
)  # fmt: skip
@pytest.mark.parametrize("path", ["/api/v1/api-keys", "/api/v1/integrations"])
async def test_a_missing_or_bad_authorization_is_401(
    anonymous: httpx.AsyncClient, authorization: str | None, path: str
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}

    response = await anonymous.get(path, headers=headers)

    assert response.status_code == 401
    failure = error(response)
    assert failure["code"] == "UNAUTHENTICATED"
    assert ADMIN_KEY[4:] not in response.text


@pytest.mark.parametrize("tokens_enabled", [True, False], ids=["tokens-on", "tokens-off"])
@pytest.mark.parametrize(
    "value",
    ["abc", "sk_wrong", "sk_" + "x" * 40, "not-a-key-at-all"],
    ids=["abc", "sk_wrong", "unknown", "words"],
)
async def test_a_malformed_or_unknown_key_is_told_the_key_is_invalid(
    make_app: MakeApp, value: str, tokens_enabled: bool
) -> None:
    app = await make_app(jwt=JwtSettings(secret=JWT_SECRET if tokens_enabled else None))

    async with client_for(app, value) as caller:
        response = await caller.get("/api/v1/integrations")

    assert response.status_code == 401
    assert error(response) == {
        "code": "UNAUTHENTICATED", "message": "the API key is not valid", "details": []
    }  # fmt: skip


async def test_only_a_value_shaped_like_a_jwt_is_told_about_tokens(make_app: MakeApp) -> None:
    app = await make_app(jwt=JwtSettings(secret=None))

    async with client_for(app, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl") as caller:
        response = await caller.get("/api/v1/integrations")

    assert response.status_code == 401
    assert error(response)["message"] == "bearer tokens are not enabled on this server"


async def test_the_scheme_is_case_insensitive(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get(
        "/api/v1/api-keys", headers={"Authorization": f"bearer {ADMIN_KEY}"}
    )

    assert response.status_code == 200


async def test_keys_are_stored_as_sha256_hashes_and_never_in_plaintext(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    plain = await create_key(client, "integrations:read")
    replayable = await client.post(
        "/api/v1/api-keys",
        json={"name": "idempotent", "scopes": ["admin"]},
        headers={"Idempotency-Key": "create-key-1"},
    )
    assert replayable.status_code == 201, replayable.text
    workspace = data(await client.post("/api/v1/workspaces", json={"name": "stored"}))
    created = {
        plain["id"]: plain["key"],
        data(replayable)["id"]: data(replayable)["key"],
        workspace["admin_key"]["id"]: workspace["admin_key"]["key"],
    }

    async with app.state.services.db.engine.connect() as connection:
        rows = (await connection.execute(text("SELECT id, prefix, key_hash FROM api_keys"))).all()
    dump = await database_dump(app)

    stored = {row.id: row for row in rows}
    for key_id, key in created.items():
        assert stored[key_id].key_hash == hashlib.sha256(key.encode()).hexdigest()
        assert stored[key_id].prefix == key[:11]
        assert key not in dump
        assert key[11:] not in dump
    assert ADMIN_KEY not in dump
    assert hashlib.sha256(ADMIN_KEY.encode()).hexdigest() in dump


# -- workspaces --------------------------------------------------------------------------------


async def test_a_new_workspace_comes_with_its_admin_key_shown_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    response = await client.post("/api/v1/workspaces", json={"name": "acme"})

    assert response.status_code == 201
    created = data(response)
    assert set(created) == {"id", "name", "created_at", "admin_key"}
    assert created["id"].startswith("ws_")
    assert created["name"] == "acme"
    assert created["created_at"] == rfc3339(START)
    admin_key = created["admin_key"]
    assert admin_key["key"].startswith("sk_")
    assert admin_key["scopes"] == ["admin"]
    fetched = await client.get(f"/api/v1/workspaces/{created['id']}")
    assert data(fetched) == {"id": created["id"], "name": "acme", "created_at": rfc3339(START)}
    async with client_for(app, admin_key["key"]) as acme:
        own_keys = await acme.get("/api/v1/api-keys")
        assert await own_workspace_id(acme) == created["id"]
    assert [item["id"] for item in data(own_keys)["items"]] == [admin_key["id"]]
    assert admin_key["key"] not in own_keys.text + fetched.text
    assert admin_key["id"] not in await listed(client)


async def test_the_workspace_list_shows_itself_and_those_it_created_only(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    root = await own_workspace_id(client)
    first = data(await client.post("/api/v1/workspaces", json={"name": "first"}))
    second = data(await client.post("/api/v1/workspaces", json={"name": "second"}))
    async with client_for(app, first["admin_key"]["key"]) as first_admin:
        grandchild = data(await first_admin.post("/api/v1/workspaces", json={"name": "third"}))
        seen_by_first = data(await first_admin.get("/api/v1/workspaces"))
    async with client_for(app, second["admin_key"]["key"]) as second_admin:
        seen_by_second = data(await second_admin.get("/api/v1/workspaces"))

    seen_by_root = data(await client.get("/api/v1/workspaces?sort_order=asc"))

    assert [w["id"] for w in seen_by_root["items"]] == [root, first["id"], second["id"]]
    assert seen_by_root["pagination"]["total_items"] == 3
    assert {w["id"] for w in seen_by_first["items"]} == {first["id"], grandchild["id"]}
    assert seen_by_first["pagination"]["total_items"] == 2
    assert [w["id"] for w in seen_by_second["items"]] == [second["id"]]
    assert all(set(w) == {"id", "name", "created_at"} for w in seen_by_root["items"])


async def test_an_unrelated_workspace_is_404(app: FastAPI, client: httpx.AsyncClient) -> None:
    root = await own_workspace_id(client)
    first = data(await client.post("/api/v1/workspaces", json={"name": "first"}))
    second = data(await client.post("/api/v1/workspaces", json={"name": "second"}))
    async with client_for(app, first["admin_key"]["key"]) as first_admin:
        grandchild = data(await first_admin.post("/api/v1/workspaces", json={"name": "third"}))
        attempts = [
            await first_admin.get(f"/api/v1/workspaces/{second['id']}"),
            await first_admin.get(f"/api/v1/workspaces/{root}"),
            await first_admin.get("/api/v1/workspaces/ws_doesnotexist"),
        ]
        own = await first_admin.get(f"/api/v1/workspaces/{grandchild['id']}")
    attempts.append(await client.get(f"/api/v1/workspaces/{grandchild['id']}"))

    for response in attempts:
        assert response.status_code == 404
        assert error(response)["code"] == "WORKSPACE_NOT_FOUND"
    assert data(own)["name"] == "third"


@pytest.mark.parametrize("limit", ["0/minute", "00/hour", "-1/minute", "5/fortnight", "5"])
async def test_a_keys_own_rate_limit_must_allow_something(
    client: httpx.AsyncClient, limit: str
) -> None:
    response = await client.post(
        "/api/v1/api-keys", json={"name": "k", "scopes": ["admin"], "rate_limit": limit}
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_REQUEST"
