"""The smtp connector through the API, against a real SMTP server (aiosmtpd) on loopback. The
contract suite runs its fixtures, a wrong password and a 4xx/5xx at DATA (its SMTP variant,
`interlink.testing.contract.smtp`); what is here is what the contract does not: the API, implicit
TLS, the connection test, a message too large, and the SSRF guard."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from interlink.app import create_app
from interlink.config import Settings
from interlink.providers.smtp.mock import SmtpMock
from tests.conftest import ADMIN_KEY, client_for, data, error
from tests.transport.conftest import ScriptedDns

MOCK: dict[str, Any] = {"require_auth": True, "username": "mailer", "password": "pw"}


@pytest.fixture(params=["starttls", "ssl"])
async def smtp(request: pytest.FixtureRequest) -> AsyncIterator[SmtpMock]:
    async with SmtpMock(tls="implicit" if request.param == "ssl" else "starttls", **MOCK) as server:
        yield server


async def _integration(client: httpx.AsyncClient, smtp: SmtpMock, host: str = "127.0.0.1") -> str:
    security = {"none": "none", "starttls": "starttls", "implicit": "ssl"}[smtp.tls]
    configuration = {
        "security": security,
        "ca_file": str(smtp.ca_path),
        "from_email": "robot@example.com",
    }
    credentials = {"host": host, "port": smtp.port, "user": "mailer", "password": "pw"}
    body = {
        "name": "Mail",
        "type": "smtp",
        "configuration": configuration,
        "credentials": credentials,
    }
    created = data(await client.post("/api/v1/integrations", json=body))
    await client.post(f"/api/v1/integrations/{created['id']}/activate")
    return str(created["id"])


async def _send(client: httpx.AsyncClient, iid: str, **overrides: Any) -> httpx.Response:
    parameters = {"to": ["ada@example.com"], "cc": ["bob@example.com"], "subject": "Receipt",
                  "text": "Thanks", "html": "<p>Thanks</p>", **overrides}  # fmt: skip
    url = f"/api/v1/integrations/{iid}/operations/send_email"
    return await client.post(url, json={"parameters": parameters})


async def test_an_email_is_sent_over_tls_with_auth(
    client: httpx.AsyncClient, smtp: SmtpMock
) -> None:
    iid = await _integration(client, smtp)

    run = data(await _send(client, iid))
    tested = data(await client.post(f"/api/v1/integrations/{iid}/test"))["connection_test"]

    assert run["result"]["accepted"] == ["ada@example.com", "bob@example.com"]
    assert run["result"]["message_id"] == f"<{run['operation_id']}@interlink>"
    [received] = smtp.messages
    assert (received.subject, received.from_) == ("Receipt", "robot@example.com")
    assert (received.to, received.cc) == (("ada@example.com",), ("bob@example.com",))
    assert (received.text or "").strip() == "Thanks"
    assert "<p>Thanks</p>" in (received.html or "")
    assert (received.tls, received.username) == (True, "mailer")
    assert tested["success"] is True
    assert tested["message"].endswith("as mailer")


# A wrong password, and a 4xx or 5xx at DATA: the contract's SMTP variant runs those.
@pytest.mark.parametrize(
    ("refuse", "overrides", "status", "code"),
    [
        (lambda s: None, {"text": "x" * 5000}, 400, "INVALID_OPERATION"),  # 552 at MAIL (SIZE)
        (lambda s: [s.reject_recipient(a) for a in ("ada@example.com", "bob@example.com")], {},
         400, "INVALID_OPERATION"),
        (lambda s: None, {"to": ["not-an-address"]}, 422, "PARAMETER_VALIDATION_ERROR"),
    ],
    ids=["too-large", "no-recipient", "bad-address"],
)  # fmt: skip
async def test_the_servers_refusals_are_our_errors(
    client: httpx.AsyncClient, refuse: Callable[[SmtpMock], object], overrides: dict[str, Any],
    status: int, code: str,
) -> None:  # fmt: skip
    async with SmtpMock(tls="starttls", max_size=4096, **MOCK) as smtp:
        iid = await _integration(client, smtp)
        refuse(smtp)

        response = await _send(client, iid, **overrides)

    assert (response.status_code, error(response)["code"]) == (status, code)
    assert smtp.messages == []


async def test_a_refused_recipient_is_reported_and_the_others_get_the_mail(
    client: httpx.AsyncClient, smtp: SmtpMock
) -> None:
    iid = await _integration(client, smtp)
    smtp.reject_recipient("bob@example.com", code=550, text="5.1.1 User unknown")

    result = data(await _send(client, iid))["result"]

    assert (result["accepted"], result["refused"]) == (
        ["ada@example.com"], {"bob@example.com": "550 5.1.1 User unknown"})  # fmt: skip
    assert [m.envelope_to for m in smtp.messages] == [("ada@example.com",)]


async def test_a_server_that_keeps_failing_opens_the_integrations_circuit(
    client: httpx.AsyncClient,
) -> None:
    async with SmtpMock(tls="starttls", **MOCK) as smtp:
        iid = await _integration(client, smtp)
        smtp.reject_next(6)  # 451 at DATA: a failure of the server, five in a row open it

        failed = [error(await _send(client, iid))["code"] for _ in range(5)]
        refused = await _send(client, iid)

    assert failed == ["EXTERNAL_SERVICE_ERROR"] * 5
    assert (refused.status_code, error(refused)["code"]) == (503, "CIRCUIT_OPEN")
    assert smtp.messages == []


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
        SmtpMock(tls="none", **MOCK) as smtp,
        _api_with_dns(settings, dns, allow_private=True) as client,
    ):
        run = data(await _send(client, await _integration(client, smtp, host="mail.example")))

    assert run["status"] == "completed"
    assert [m.subject for m in smtp.messages] == ["Receipt"]
    assert dns.asked == {"mail.example": 1}


async def test_tls_verifies_the_certificate_against_the_host_name_not_the_address(
    settings: Settings, smtp: SmtpMock
) -> None:
    # Both names lead to 127.0.0.1, which the certificate names too; only `localhost` is in it.
    dns = ScriptedDns({"localhost": [["127.0.0.1"]], "mail.example": [["127.0.0.1"]]})
    async with _api_with_dns(settings, dns, allow_private=True) as client:
        sent = await _send(client, await _integration(client, smtp, host="localhost"))
        refused = await _send(client, await _integration(client, smtp, host="mail.example"))

    assert data(sent)["status"] == "completed"
    assert (refused.status_code, error(refused)["code"]) == (502, "EXTERNAL_SERVICE_ERROR")
    assert len(smtp.messages) == 1


@pytest.mark.parametrize(
    "answers", [["127.0.0.1"], ["10.0.0.5"], ["100.64.0.1"], ["93.184.216.34", "::ffff:10.0.0.5"]]
)
async def test_a_private_smtp_host_is_refused_unless_allowed(
    settings: Settings, answers: list[str]
) -> None:
    dns = ScriptedDns({"mail.example": [answers]})
    async with (
        SmtpMock(tls="none", **MOCK) as smtp,
        _api_with_dns(settings, dns, allow_private=False) as client,
    ):
        response = await _send(client, await _integration(client, smtp, host="mail.example"))

    assert (response.status_code, error(response)["code"]) == (400, "URL_NOT_ALLOWED")
    assert "INTERLINK_ALLOW_PRIVATE_URLS" in error(response)["message"]
    assert smtp.messages == []
