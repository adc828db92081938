"""SMTP calls (not HTTP) are counted through the same meter: acquire, then settle's outcome."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from interlink.providers.smtp.mock import SmtpMock
from tests.helpers.integrations import create_active
from tests.metrics.conftest import scrape

SMTP = {"connector_type": "smtp", "operation": "send_email"}


@pytest.fixture
async def smtp() -> AsyncIterator[SmtpMock]:
    async with SmtpMock(tls="starttls", require_auth=True, username="m", password="pw") as server:
        yield server


async def _integration(client: httpx.AsyncClient, smtp: SmtpMock, password: str) -> str:
    body = {
        "name": "Mail",
        "type": "smtp",
        "configuration": {
            "security": "starttls", "ca_file": str(smtp.ca_path), "from_email": "r@example.com",
        },
        "credentials": {"host": "127.0.0.1", "port": smtp.port, "user": "m", "password": password},
    }  # fmt: skip
    return await create_active(client, body)


async def _send(client: httpx.AsyncClient, iid: str) -> int:
    parameters = {"to": ["ada@example.com"], "subject": "Hi", "text": "Hello"}
    response = await client.post(
        f"/api/v1/integrations/{iid}/operations/send_email", json={"parameters": parameters}
    )
    return response.status_code


async def test_smtp_sends_by_outcome(client: httpx.AsyncClient, smtp: SmtpMock) -> None:
    good = await _integration(client, smtp, "pw")
    bad = await _integration(client, smtp, "wrong")

    assert await _send(client, good) == 200
    smtp.reject_next(code=451, text="4.3.0 Try again later")
    assert await _send(client, good) == 502
    smtp.reject_next(code=550, text="5.1.1 No such user")
    assert await _send(client, good) == 400
    assert await _send(client, bad) == 401

    found = await scrape(client)
    assert found.value("interlink_provider_calls_total", **SMTP, outcome="success") == 1
    assert found.value("interlink_provider_calls_total", **SMTP, outcome="server_error") == 1
    assert found.value("interlink_provider_calls_total", **SMTP, outcome="client_error") == 1
    assert found.value("interlink_provider_calls_total", **SMTP, outcome="unauthorized") == 1
    assert found.value("interlink_provider_call_duration_seconds_count", **SMTP) == 4
