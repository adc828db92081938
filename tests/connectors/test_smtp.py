"""The smtp connector through the API, against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from interlink.app import create_app
from interlink.config import Settings
from interlink.providers.smtp.mock import SmtpMock
from tests.conftest import ADMIN_KEY, client_for, data, error
from tests.transport.conftest import ScriptedDns


@pytest.fixture(params=["starttls", "ssl"])
async def smtp(request: pytest.FixtureRequest) -> AsyncIterator[SmtpMock]:
    tls = "implicit" if request.param == "ssl" else "starttls"
    async with SmtpMock(tls=tls, require_auth=True, username="mailer", password="pw") as server:
        server.security = request.param  # type: ignore[attr-defined]
        yield server


async def _integration(
    client: httpx.AsyncClient, smtp: SmtpMock, password: str = "pw", host: str = "127.0.0.1"
) -> str:
    body = {
        "name": "Mail",
        "type": "smtp",
        "configuration": {
            "security": getattr(smtp, "security", "none"),
            "ca_file": str(smtp.ca_path),
            "from_email": "robot@example.com",
        },
        "credentials": {
            "host": host,
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


# -- the SSRF guard: the connection goes to the address that was checked ---------------------------


@asynccontextmanager
async def _api_with_dns(
    settings: Settings, dns: ScriptedDns, *, allow_private: bool
) -> AsyncIterator[httpx.AsyncClient]:
    """The API of an app whose provider names resolve through `dns`."""
    server = settings.server.model_copy(update={"allow_private_urls": allow_private})
    application = create_app(settings.model_copy(update={"server": server}), resolver=dns)
    async with (
        application.router.lifespan_context(application),
        client_for(application, ADMIN_KEY) as http,
    ):
        yield http


async def test_the_connection_goes_to_the_address_that_was_checked(settings: Settings) -> None:
    # The name is checked once; a second lookup would answer the cloud metadata address, and the
    # system's DNS does not know the name at all: only the checked 127.0.0.1 reaches the server.
    dns = ScriptedDns({"mail.example": [["127.0.0.1"], ["169.254.169.254"]]})
    async with (
        SmtpMock(tls="none", require_auth=True, username="mailer", password="pw") as smtp,
        _api_with_dns(settings, dns, allow_private=True) as client,
    ):
        iid = await _integration(client, smtp, host="mail.example")

        run = data(await _send(client, iid))

    assert run["status"] == "completed"
    assert [m.subject for m in smtp.messages] == ["Receipt"]
    assert dns.asked == {"mail.example": 1}


async def test_tls_verifies_the_certificate_against_the_host_name_not_the_address(
    settings: Settings, smtp: SmtpMock
) -> None:
    # Both names lead to 127.0.0.1, which the certificate names too; only `localhost` is in it.
    dns = ScriptedDns({"localhost": [["127.0.0.1"]], "mail.example": [["127.0.0.1"]]})
    async with _api_with_dns(settings, dns, allow_private=True) as client:
        named = await _integration(client, smtp, host="localhost")
        other = await _integration(client, smtp, host="mail.example")

        sent = await _send(client, named)
        refused = await _send(client, other)

    assert data(sent)["status"] == "completed"
    assert refused.status_code == 502
    assert error(refused)["code"] == "EXTERNAL_SERVICE_ERROR"
    assert len(smtp.messages) == 1


@pytest.mark.parametrize(
    "answers", [["127.0.0.1"], ["10.0.0.5"], ["100.64.0.1"], ["93.184.216.34", "::ffff:10.0.0.5"]]
)
async def test_a_private_smtp_host_is_refused_unless_allowed(
    settings: Settings, answers: list[str]
) -> None:
    dns = ScriptedDns({"mail.example": [answers]})
    async with (
        SmtpMock(tls="none", require_auth=True, username="mailer", password="pw") as smtp,
        _api_with_dns(settings, dns, allow_private=False) as client,
    ):
        iid = await _integration(client, smtp, host="mail.example")

        response = await _send(client, iid)

    assert response.status_code == 400
    assert error(response)["code"] == "URL_NOT_ALLOWED"
    assert "INTERLINK_ALLOW_PRIVATE_URLS" in error(response)["message"]
    assert smtp.messages == []
