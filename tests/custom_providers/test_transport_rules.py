"""A declared provider's calls go through the same transport as a built-in's: the credential is
masked in what comes back, sent only to the integration's host, and a GraphQL action reads a
connection page after page (the http mock's GraphQL endpoint, on a loopback socket)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from aiohttp import web

from interlink.testing import HttpMock, RunningMock, serve_mock
from tests.conftest import data, error
from tests.connectors.conftest import run_operation
from tests.custom_providers.conftest import custom_integration, declare
from tests.helpers.servers import serve_app

SECRET = "echo-secret-8d1f0b7e"
OPEN = {"type": "object"}


@pytest.fixture
async def echo() -> AsyncIterator[RunningMock[HttpMock]]:
    async with serve_mock(HttpMock(token=SECRET)) as running:
        yield running


def echo_provider(url: str) -> dict[str, Any]:
    elsewhere = url.replace(urlsplit(url).hostname or "", "localhost")
    trace = {"type": "object", "properties": {"trace": {"type": "string"}}}
    return {
        "key": "echo",
        "name": "Echo",
        "base_url": url,
        "auth": {"mode": "api_key", "header": "X-Secret-Key"},
        "actions": {
            "echo": {
                "path": "/anything/echo",
                "map": {"headers": {"X-Trace": "trace"}},
                "input_schema": trace,
                "result": '{key: headers."X-Secret-Key", trace: headers."X-Trace"}',
            },
            "elsewhere": {"path": f"{elsewhere}/anything", "input_schema": OPEN},
        },
    }


def graphql_provider(url: str) -> dict[str, Any]:
    query = """query($first: Int, $after: String) { repository(owner: "octo", name: "hello") {
      issues(first: $first, after: $after) { nodes { number } pageInfo { hasNextPage endCursor } }
    } }"""
    limits = {"limit": {"type": "integer"}, "first": {"type": "integer"}}
    return {
        "key": "hub",
        "name": "Hub",
        "base_url": url,
        "auth": {"mode": "bearer"},
        "pagination": {"style": "graphql", "connection": "data.repository.issues"},
        "actions": {
            "viewer": {"graphql": {"query": "{ viewer { login } }"}, "input_schema": OPEN,
                       "result": "data.viewer"},
            "issues": {"graphql": {"query": query}, "paginate": True, "idempotent": True,
                       "input_schema": {"type": "object", "properties": limits},
                       "result": "items[].number"},
        },
    }  # fmt: skip


async def test_the_credential_is_masked_in_what_comes_back(
    client: httpx.AsyncClient, echo: RunningMock[HttpMock]
) -> None:
    await declare(client, echo_provider(echo.url))
    iid = await custom_integration(client, "echo", {"api_key": SECRET})

    run = data(await run_operation(client, iid, "echo", trace="t-1"))

    assert run["result"] == {"key": "••••", "trace": "t-1"}
    assert echo.mock.calls.last.headers["X-Secret-Key"] == SECRET


async def test_the_credential_goes_only_to_the_integrations_host(
    client: httpx.AsyncClient, echo: RunningMock[HttpMock]
) -> None:
    await declare(client, echo_provider(echo.url))
    iid = await custom_integration(client, "echo", {"api_key": SECRET})

    response = await run_operation(client, iid, "elsewhere")

    assert error(response)["code"] == "CREDENTIAL_HOST_NOT_ALLOWED"
    assert echo.mock.calls.count("/anything") == 0


async def test_graphql_actions_read_and_page(
    client: httpx.AsyncClient, echo: RunningMock[HttpMock]
) -> None:
    await declare(client, graphql_provider(echo.url))
    iid = await custom_integration(client, "hub", {"access_token": SECRET})

    viewer = data(await run_operation(client, iid, "viewer"))
    issues = data(await run_operation(client, iid, "issues", limit=12, first=5))

    assert viewer["result"] == {"login": "mock"}
    assert issues["result"] == {"value": list(range(1, 13))}
    assert echo.mock.calls.count("/graphql") == 4  # 1 + 3 pages of 5


async def test_an_oauth_provider_gets_its_token_at_the_declared_token_url(
    client: httpx.AsyncClient, echo: RunningMock[HttpMock]
) -> None:
    asked: list[dict[str, str]] = []

    async def token(request: web.Request) -> web.Response:
        asked.append(dict(await request.post()))  # type: ignore[arg-type]
        return web.json_response(
            {"access_token": SECRET, "token_type": "Bearer", "expires_in": 3600}
        )

    app = web.Application()
    app.router.add_post("/oauth/token", token)
    async with serve_app(app) as url:
        declared = {
            "key": "granted", "name": "Granted", "base_url": echo.url,
            "auth": {"mode": "oauth", "token_url": f"{url}/oauth/token"},
            "actions": {"whoami": {"path": "/bearer", "input_schema": OPEN,
                                   "result": "{authenticated: authenticated}"}},
        }  # fmt: skip
        await declare(client, declared)
        grant = {"grant_type": "client_credentials", "client_id": "app-1",
                 "client_secret": "app-secret-5e1d", "scope": "items.read"}  # fmt: skip
        iid = await custom_integration(client, "granted", grant)

        run = data(await run_operation(client, iid, "whoami"))

    assert run["result"] == {"authenticated": True}
    assert [a["grant_type"] for a in asked] == ["client_credentials"]
    assert asked[0]["scope"] == "items.read"
