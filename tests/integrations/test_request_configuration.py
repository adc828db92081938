"""Seed 000's "Request Configuration" and "Authentication Methods" through the API: what an
integration's configuration and credentials change in the requests its upstream receives, and
the errors a user sees when a setting is hit (timeouts, the redirect limit, certificates)."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from fastapi import FastAPI
from sqlalchemy import update

from interlink.integrations.models import Integration
from interlink.providers.smtp.mock import _write_certificates
from tests.conftest import data, error
from tests.helpers.integrations import http_integration
from tests.helpers.servers import serve_app
from tests.transport.conftest import Upstream, redirect


async def _get(client: httpx.AsyncClient, iid: str, path: str = "/things") -> httpx.Response:
    return await client.post(
        f"/api/v1/integrations/{iid}/operations/request", json={"parameters": {"path": path}}
    )


# -- headers ---------------------------------------------------------------------------------------


async def test_user_agent_and_default_headers_reach_the_upstream(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    plain = await http_integration(client, upstream.url)
    configured = await http_integration(
        client,
        upstream.url,
        request={
            "user_agent": "AcmeSync/2.0",
            "default_headers": {"X-Tenant": "t-42", "Authorization": "Bearer not-the-key"},
        },
    )

    data(await _get(client, plain))
    data(await _get(client, configured))

    first, second = (seen["headers"] for seen in upstream.seen)
    assert first["User-Agent"].startswith("Interlink/")
    assert "X-Tenant" not in first
    assert second["User-Agent"] == "AcmeSync/2.0"
    assert second["X-Tenant"] == "t-42"
    assert second["Authorization"] == "Bearer k-123"  # a default header cannot replace the auth


BAD_HEADERS = {
    "a user agent with CR LF": {"user_agent": "Acme/1.0\r\nX-Injected: 1"},
    "a default header value with LF": {"default_headers": {"X-Tenant": "t-42\nX-Injected: 1"}},
    "a default header value with BEL": {"default_headers": {"X-Tenant": "t\u0007"}},
    "a default header name with a space": {"default_headers": {"X Tenant": "t-42"}},
    "a default Content-Length": {"default_headers": {"Content-Length": "5"}},
    "a default Transfer-Encoding": {"default_headers": {"Transfer-Encoding": "chunked"}},
}


@pytest.mark.parametrize("request_config", BAD_HEADERS.values(), ids=BAD_HEADERS.keys())
async def test_headers_that_cannot_be_sent_are_refused_when_written(
    client: httpx.AsyncClient, upstream: Upstream, request_config: dict[str, Any]
) -> None:
    iid = await http_integration(client, upstream.url)
    body = {"name": "Bad", "type": "http", "credentials": {"api_key": "k"},
            "configuration": {"api_url": upstream.url, "request": request_config}}  # fmt: skip
    field = f"configuration.request.{next(iter(request_config))}"

    answers = [
        await client.post("/api/v1/integrations", json=body),
        await client.patch(
            f"/api/v1/integrations/{iid}", json={"configuration": body["configuration"]}
        ),
        await client.put(
            f"/api/v1/integrations/{iid}", json={"configuration": body["configuration"]}
        ),
    ]

    for response in answers:
        assert response.status_code == 400, response.text
        refused = error(response)
        assert refused["code"] == "INVALID_INTEGRATION_CONFIG"
        assert any(d["field"].startswith(field) for d in refused["details"]), refused
    assert "request" not in data(await client.get(f"/api/v1/integrations/{iid}"))["configuration"]
    assert data(await _get(client, iid))["status"] == "completed"


@pytest.mark.parametrize("request_config", BAD_HEADERS.values(), ids=BAD_HEADERS.keys())
async def test_a_stored_header_that_cannot_be_sent_fails_calls_with_a_4xx_not_a_500(
    app: FastAPI, client: httpx.AsyncClient, upstream: Upstream, request_config: dict[str, Any]
) -> None:
    """Stored before it was checked on write: each call and the test say what to fix."""
    iid = await http_integration(client, upstream.url)
    services = app.state.services
    stored = {"api_url": upstream.url, "auth_method": "api_key", "request": request_config}
    async with services.db.transaction() as session:
        await session.execute(
            update(Integration).where(Integration.id == iid).values(configuration=stored)
        )

    operation = await _get(client, iid)
    tested = await client.post(f"/api/v1/integrations/{iid}/test")

    for response in (operation, tested):
        assert response.status_code == 400, response.text
        assert error(response)["code"] == "INVALID_INTEGRATION_CONFIG"
        assert "configuration.request" in error(response)["message"]
    assert upstream.seen == []


async def test_an_operations_headers_that_cannot_be_sent_are_refused_by_name(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    iid = await http_integration(client, upstream.url)

    response = await client.post(
        f"/api/v1/integrations/{iid}/operations/request",
        json={"parameters": {"path": "/x", "headers": {"X-Trace": "a\r\nX-Injected: 1"}}},
    )

    assert response.status_code == 422, response.text
    assert error(response)["code"] == "PARAMETER_VALIDATION_ERROR"
    assert error(response)["details"][0]["field"] == "headers"
    assert upstream.seen == []


# -- authentication methods ------------------------------------------------------------------------


async def test_an_api_key_goes_in_the_header_the_credentials_name(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    iid = await http_integration(
        client, upstream.url, credentials={"api_key": "k-777", "header_name": "X-API-Key"}
    )

    data(await _get(client, iid))

    headers = upstream.seen[0]["headers"]
    assert headers["X-API-Key"] == "k-777"  # the bare key: no "Bearer" outside Authorization
    assert "Authorization" not in headers


async def test_the_jwt_method_sends_the_token_as_a_bearer(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhY21lIn0.c2lnbmF0dXJl"
    iid = await http_integration(
        client, upstream.url, credentials={"jwt_token": token}, auth_method="jwt"
    )

    data(await _get(client, iid))

    assert upstream.seen[0]["headers"]["Authorization"] == f"Bearer {token}"


async def test_the_jwt_method_needs_its_token(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    body = {
        "name": "Upstream",
        "type": "http",
        "configuration": {"api_url": upstream.url, "auth_method": "jwt"},
        "credentials": {"api_key": "k-123"},
    }

    response = await client.post("/api/v1/integrations", json=body)

    assert response.status_code == 400
    assert "jwt_token" in response.text


# -- timeouts --------------------------------------------------------------------------------------


async def test_the_read_timeout_answers_504(client: httpx.AsyncClient, upstream: Upstream) -> None:
    released = asyncio.Event()

    async def silent(_: web.Request) -> web.Response:
        # Answers only when the test is over (or after 5 s): a read timeout must come first.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(released.wait(), timeout=5)
        return web.json_response({"late": True})

    upstream.script(silent)
    iid = await http_integration(
        client,
        upstream.url,
        request={"read_timeout_seconds": 0.2},
        rate_limiting={"max_retries": 0},
    )

    response = await _get(client, iid, "/slow")
    released.set()

    assert response.status_code == 504
    assert error(response)["code"] == "EXTERNAL_SERVICE_TIMEOUT"


@pytest.fixture
async def silent_tls_port() -> AsyncIterator[int]:
    """A TCP port that accepts connections and never answers a TLS handshake; it drops each
    connection after 5 s, so a client without a connect timeout sees a reset, not a timeout."""
    released = asyncio.Event()

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(released.wait(), timeout=5)
        writer.close()

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    released.set()
    server.close()
    await server.wait_closed()


async def test_the_connect_timeout_answers_504(
    client: httpx.AsyncClient, silent_tls_port: int
) -> None:
    iid = await http_integration(
        client,
        f"https://127.0.0.1:{silent_tls_port}",
        request={"connect_timeout_seconds": 0.2, "timeout_seconds": 30},
        rate_limiting={"max_retries": 0},
    )

    response = await _get(client, iid)

    assert response.status_code == 504
    assert error(response)["code"] == "EXTERNAL_SERVICE_TIMEOUT"


# -- redirects -------------------------------------------------------------------------------------


async def test_redirects_are_followed_up_to_max_redirects(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    iid = await http_integration(client, upstream.url, request={"max_redirects": 2})

    upstream.script(redirect("/b"), redirect("/c"))
    within = await _get(client, iid, "/a")
    upstream.script(redirect("/y"), redirect("/z"), redirect("/beyond"))
    beyond = await _get(client, iid, "/x")

    assert data(within)["result"]["body"] == {"ok": True}
    assert beyond.status_code == 502
    assert error(beyond)["code"] == "EXTERNAL_SERVICE_ERROR"
    assert {"provider_status": 302} in error(beyond)["details"]
    # Two redirects followed each time: the third is not (and nothing is retried).
    assert [seen["path"] for seen in upstream.seen] == ["/a", "/b", "/c", "/x", "/y", "/z"]


# -- certificates ----------------------------------------------------------------------------------


@pytest.fixture
async def self_signed_upstream(tmp_path: Path) -> AsyncIterator[tuple[str, list[str]]]:
    """An https upstream on loopback whose certificate no default trust store knows; yields its
    URL and the paths it answered."""
    _write_certificates(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "server.pem", tmp_path / "server.key")
    answered: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        answered.append(request.path)
        return web.json_response({"secure": True})

    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    async with serve_app(app, ssl_context=context) as url:
        yield url, answered


async def test_a_certificate_that_is_not_trusted_is_refused_unless_verify_ssl_is_off(
    client: httpx.AsyncClient, self_signed_upstream: tuple[str, list[str]]
) -> None:
    url, answered = self_signed_upstream
    verifying = await http_integration(client, url, rate_limiting={"max_retries": 0})
    trusting = await http_integration(client, url, request={"verify_ssl": False})

    refused = await _get(client, verifying, "/refused")
    accepted = await _get(client, trusting, "/accepted")

    assert refused.status_code == 502
    assert error(refused)["code"] == "EXTERNAL_SERVICE_ERROR"
    assert data(accepted)["result"]["body"] == {"secure": True}
    assert answered == ["/accepted"]
