"""The console's API keys and workspaces: the list (never a key), creating a key (shown once)
with its scopes, form errors, revoking, a new workspace and its admin key, and who may."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI

from tests.conftest import ADMIN_KEY, client_for, data
from tests.console.readers import assert_clean, browser_with, post_form

PAGE = "/console/api-keys"
_SHOWN = re.compile(r'class="once" type="text" readonly value="(sk_[^"]+)"')


async def test_the_keys_are_listed_never_shown(
    client: httpx.AsyncClient, signed_in: httpx.AsyncClient
) -> None:
    made = data(
        await client.post(
            "/api/v1/api-keys", json={"name": "dashboards", "scopes": ["integrations:read"]}
        )
    )
    page = await signed_in.get(PAGE)
    assert page.status_code == 200
    row = page.text[page.text.index(f'id="{made["id"]}"') :]
    assert "dashboards" in row
    assert f"<code>{made['prefix']}…</code>" in row
    assert "<code>integrations:read</code>" in row
    assert "(this session's)" in page.text
    assert "(this one)" in page.text
    assert_clean(page.text, made["key"])


async def test_create_a_key_shows_it_once_and_it_works(
    app: FastAPI, client: httpx.AsyncClient, signed_in: httpx.AsyncClient
) -> None:
    created = await post_form(
        signed_in, PAGE, PAGE,
        {"name": "ci", "scopes": ["workflows:read", "workflows:write"], "rate_limit": "600/minute"},
    )  # fmt: skip
    assert created.status_code == 201
    assert created.headers["cache-control"] == "no-store"
    found = _SHOWN.search(created.text)
    assert found, created.text
    key = found.group(1)
    async with client_for(app, key) as ci:
        assert (await ci.get("/api/v1/workflows")).status_code == 200
        assert (await ci.get("/api/v1/integrations")).status_code == 403
    again = await signed_in.get(PAGE)
    assert key not in again.text
    assert "<code>workflows:write</code>" in again.text
    listed = data(await client.get("/api/v1/api-keys"))["items"]
    assert {k["name"]: k["rate_limit"] for k in listed}["ci"] == "600/minute"


async def test_a_wrong_form_is_told_and_creates_nothing(
    client: httpx.AsyncClient, signed_in: httpx.AsyncClient
) -> None:
    before = data(await client.get("/api/v1/api-keys"))["pagination"]["total_items"]
    for fields, said in (
        ({"name": "x"}, "scopes: List should have at least 1 item"),
        ({"name": "x", "scopes": ["root"]}, "scopes.0: Input should be"),
        ({"name": "x", "scopes": ["admin"], "rate_limit": "lots"}, "use a count per period"),
        ({"name": "x", "scopes": ["admin"], "expires_at": "2001-01-01T00:00"}, "in the future"),
        ({"name": "x", "scopes": ["admin"], "expires_at": "someday"}, "Give the time"),
    ):
        refused = await post_form(signed_in, PAGE, PAGE, fields)
        assert refused.status_code == 400, fields
        assert said in refused.text, fields
        assert not _SHOWN.search(refused.text)
    after = data(await client.get("/api/v1/api-keys"))["pagination"]["total_items"]
    assert after == before


async def test_revoke_a_key(
    app: FastAPI, client: httpx.AsyncClient, signed_in: httpx.AsyncClient
) -> None:
    made = data(await client.post("/api/v1/api-keys", json={"name": "old", "scopes": ["admin"]}))
    revoked = await post_form(signed_in, PAGE, f"{PAGE}/{made['id']}/revoke")
    assert revoked.status_code == 303
    page = await signed_in.get(revoked.headers["location"])
    assert "The API key is revoked" in page.text
    assert made["id"] not in page.text
    async with client_for(app, made["key"]) as old:
        assert (await old.get("/api/v1/api-keys")).status_code == 401
    twice = await post_form(signed_in, PAGE, f"{PAGE}/{made['id']}/revoke")
    assert twice.status_code == 404


async def test_a_new_workspace_and_its_admin_key(
    app: FastAPI, signed_in: httpx.AsyncClient
) -> None:
    created = await post_form(signed_in, PAGE, "/console/workspaces", {"name": "Support"})
    assert created.status_code == 201
    assert "Workspace Support and its admin key" in created.text
    key = _SHOWN.search(created.text)
    assert key
    async with client_for(app, key.group(1)) as support:
        assert (await support.get("/api/v1/api-keys")).status_code == 200
    page = await signed_in.get(PAGE)
    assert "<strong>Support</strong>" in page.text
    assert key.group(1) not in page.text
    empty = await post_form(signed_in, PAGE, "/console/workspaces", {"name": ""})
    assert empty.status_code == 400
    assert "Give the workspace a name." in empty.text


async def test_only_an_admin_key_may(app: FastAPI, client: httpx.AsyncClient) -> None:
    async with browser_with(app, client, "integrations:read", "webhooks:write") as (reader, key):
        page = await reader.get(PAGE)
        assert page.status_code == 403
        assert "admin" in page.text
        overview = await reader.get("/console/")
        assert 'href="/console/api-keys"' not in overview.text
        assert_clean(overview.text, key)
        refused = await post_form(
            reader, "/console/", PAGE, {"name": "sneaky", "scopes": ["admin"]}
        )
        assert refused.status_code == 403
    names = [k["name"] for k in data(await client.get("/api/v1/api-keys"))["items"]]
    assert "sneaky" not in names


async def test_the_admin_key_never_shows(signed_in: httpx.AsyncClient) -> None:
    page = await signed_in.get(PAGE)
    assert ADMIN_KEY not in page.text


async def test_revoking_the_sessions_own_key_signs_it_out(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    async with browser_with(app, client, "admin") as (own, key):
        page = await own.get(PAGE)
        assert "this session ends with it" in page.text
        key_id = next(k["id"] for k in data(await client.get("/api/v1/api-keys"))["items"]
                      if key.startswith(k["prefix"]) and k["name"] == "reader")  # fmt: skip
        revoked = await post_form(own, PAGE, f"{PAGE}/{key_id}/revoke")
        assert revoked.status_code == 303
        after = await own.get(revoked.headers["location"])
        assert after.status_code == 303
        assert after.headers["location"].startswith("/console/sign-in")
