"""The console's pages as a signed-in user reads and uses them, in process: the integrations list
and an integration's page, an operation run from its generated form, and what a read-only key
sees and is refused."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web

from tests.conftest import data
from tests.console.conftest import csrf_of, sign_in
from tests.helpers.integrations import http_integration
from tests.helpers.servers import serve_app

SECRET = "sk_upstream_secret_value_4f1c9a"


@pytest.fixture
async def upstream() -> AsyncIterator[str]:
    async def answer(request: web.Request) -> web.Response:
        return web.json_response({"path": request.path, "ok": True})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    async with serve_app(app) as url:
        yield url


@pytest.fixture
async def integration(client: httpx.AsyncClient, upstream: str) -> str:
    return await http_integration(client, upstream, credentials={"api_key": SECRET})


async def test_the_list_finds_by_search_and_filter(
    signed_in: httpx.AsyncClient, integration: str
) -> None:
    page = await signed_in.get("/console/integrations", params={"q": "upstr"})
    assert f"/console/integrations/{integration}" in page.text
    none = await signed_in.get("/console/integrations", params={"q": "nothing-like-it"})
    assert "No integration matches." in none.text
    inactive = await signed_in.get("/console/integrations", params={"status": "inactive"})
    assert integration not in inactive.text


async def test_an_operation_runs_from_its_form_and_shows_in_the_history(
    signed_in: httpx.AsyncClient, integration: str
) -> None:
    page = await signed_in.get(f"/console/integrations/{integration}")
    assert 'name="path"' in page.text  # the request action's form, from its input schema
    ran = await signed_in.post(
        f"/console/integrations/{integration}/operations/request",
        data={"csrf_token": csrf_of(page.text), "method": "GET", "path": "/users/octo"},
        headers={"HX-Request": "true"},
    )
    assert ran.status_code == 200
    assert "request completed" in ran.text
    assert ran.headers["hx-trigger"] == "operation-ran"
    history = await signed_in.get(f"/console/integrations/{integration}/history")
    assert "/users/octo" in history.text
    assert "completed" in history.text


async def test_a_bad_parameter_is_told_on_the_form(
    signed_in: httpx.AsyncClient, integration: str
) -> None:
    page = await signed_in.get(f"/console/integrations/{integration}")
    ran = await signed_in.post(
        f"/console/integrations/{integration}/operations/request",
        data={"csrf_token": csrf_of(page.text), "query": "{not json"},
        headers={"HX-Request": "true"},
    )
    assert ran.status_code == 200  # shown where the result would be
    assert "query is not JSON" in ran.text
    history = await signed_in.get(f"/console/integrations/{integration}/history")
    assert "No operation yet." in history.text


async def test_deactivate_then_activate(signed_in: httpx.AsyncClient, integration: str) -> None:
    page = await signed_in.get(f"/console/integrations/{integration}")
    token = csrf_of(page.text)
    done = await signed_in.post(
        f"/console/integrations/{integration}/deactivate", data={"csrf_token": token}
    )
    assert done.status_code == 303
    again = await signed_in.get(done.headers["location"])
    assert "The integration is inactive" in again.text
    assert ">Activate</button>" in again.text


async def test_no_secret_is_rendered(signed_in: httpx.AsyncClient, integration: str) -> None:
    for path in ("/console/", "/console/integrations", f"/console/integrations/{integration}"):
        page = await signed_in.get(path)
        assert page.status_code == 200
        assert SECRET not in page.text
    detail = await signed_in.get(f"/console/integrations/{integration}")
    assert "api_key <span" in detail.text  # the field is named, its value never


async def test_a_read_only_key_sees_no_write_control_and_is_refused(
    browser: httpx.AsyncClient, client: httpx.AsyncClient, integration: str
) -> None:
    made = await client.post(
        "/api/v1/api-keys", json={"name": "viewer", "scopes": ["integrations:read"]}
    )
    assert (await sign_in(browser, data(made)["key"])).status_code == 303
    page = await browser.get(f"/console/integrations/{integration}")
    assert page.status_code == 200
    assert not re.search(r"<button[^>]*>(Activate|Deactivate|Delete it|Run )", page.text)
    for action in ("deactivate", "delete", "operations/request"):
        refused = await browser.post(
            f"/console/integrations/{integration}/{action}", data={"csrf_token": csrf_of(page.text)}
        )
        assert refused.status_code == 403
        assert "integrations:write" in refused.text
    still = await client.get(f"/api/v1/integrations/{integration}")
    assert data(still)["status"] == "active"


async def test_another_workspaces_integration_is_not_found(
    signed_in: httpx.AsyncClient, other_workspace: httpx.AsyncClient, upstream: str
) -> None:
    theirs = await http_integration(other_workspace, upstream)
    page = await signed_in.get(f"/console/integrations/{theirs}")
    assert page.status_code == 404
    assert "Not found" in page.text
