"""The smtp connector through the API, against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from interlink.testing.smtp import SmtpMock
from tests.conftest import data, error


@pytest.fixture(params=["starttls", "ssl"])
async def smtp(request: pytest.FixtureRequest) -> AsyncIterator[SmtpMock]:
    tls = "implicit" if request.param == "ssl" else "starttls"
    async with SmtpMock(tls=tls, require_auth=True, username="mailer", password="pw") as server:
        server.security = request.param  # type: ignore[attr-defined]
        yield server


async def _integration(client: httpx.AsyncClient, smtp: SmtpMock, password: str = "pw") -> str:
    body = {
        "name": "Mail",
        "type": "smtp",
        "configuration": {
            "security": smtp.security,  # type: ignore[attr-defined]
            "ca_file": str(smtp.ca_path),
            "from_email": "robot@example.com",
        },
        "credentials": {
            "host": "127.0.0.1",
            "port": smtp.port,
            "user": "mailer",
            "password": password,
        },
    }
    created = data(await client.post("/api/v1/integrations", json=body))
    await client.post(f"/api/v1/integrations/{created['id']}/activate")
    return str(created["id"])


async def _send(client: httpx.AsyncClient, iid: str, **overrides: Any) -> httpx.Response:
    parameters = {
        "to": ["ada@example.com"], "cc": ["bob@example.com"], "subject": "Receipt",
        "text": "Thanks", "html": "<p>Thanks</p>", **overrides,
    }  # fmt: skip
    return await client.post(
        f"/api/v1/integrations/{iid}/operations/send_email", json={"parameters": parameters}
    )


async def test_an_email_is_sent_over_tls_with_auth(
    client: httpx.AsyncClient, smtp: SmtpMock
) -> None:
    iid = await _integration(client, smtp)

    run = data(await _send(client, iid))

    assert run["status"] == "completed"
    result = run["result"]
    assert result["accepted"] == ["ada@example.com", "bob@example.com"]
    assert result["message_id"] == f"<{run['operation_id']}@interlink>"
    [received] = smtp.messages
    assert received.subject == "Receipt"
    assert received.from_ == "robot@example.com"
    assert received.to == ("ada@example.com",)
    assert received.cc == ("bob@example.com",)
    assert received.text is not None
    assert received.text.strip() == "Thanks"
    assert received.html is not None
    assert "<p>Thanks</p>" in received.html
    assert received.tls is True
    assert received.username == "mailer"


async def test_a_wrong_password_is_authentication_failed(
    client: httpx.AsyncClient, smtp: SmtpMock
) -> None:
    iid = await _integration(client, smtp, password="nope")

    response = await _send(client, iid)

    assert response.status_code == 401
    assert error(response)["code"] == "AUTHENTICATION_FAILED"
    assert smtp.messages == []


async def test_a_temporary_refusal_is_an_external_error_and_a_permanent_one_invalid(
    client: httpx.AsyncClient, smtp: SmtpMock
) -> None:
    iid = await _integration(client, smtp)
    smtp.reject_next(code=451, text="4.3.0 Try again later")
    temporary = await _send(client, iid)
    smtp.reject_next(code=550, text="5.1.1 No such user")
    permanent = await _send(client, iid)

    assert temporary.status_code == 502
    assert error(temporary)["code"] == "EXTERNAL_SERVICE_ERROR"
    assert permanent.status_code == 400
    assert error(permanent)["code"] == "INVALID_OPERATION"
    assert "No such user" in error(permanent)["message"]


async def test_bad_addresses_are_parameter_errors(
    client: httpx.AsyncClient, smtp: SmtpMock
) -> None:
    iid = await _integration(client, smtp)

    response = await _send(client, iid, to=["not-an-address"])

    assert response.status_code == 422
    assert error(response)["code"] == "PARAMETER_VALIDATION_ERROR"


async def test_the_connection_test_logs_in(client: httpx.AsyncClient, smtp: SmtpMock) -> None:
    iid = await _integration(client, smtp)

    tested = data(await client.post(f"/api/v1/integrations/{iid}/test"))

    assert tested["connection_test"]["success"] is True
    assert "as mailer" in tested["connection_test"]["message"]
