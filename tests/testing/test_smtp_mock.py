"""SmtpMock's own features, driven with aiosmtplib as the smtp connector drives it: what it
records, its faults, its certificates and its lifecycle. How it answers as a submission server
is tests/providers/test_smtp_clients.py (smtplib)."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import aiosmtplib
import pytest

from interlink.providers.smtp.mock import SmtpMock, TlsMode

TIMEOUT = 5.0
TLS: dict[TlsMode, dict[str, Any]] = {
    "none": {"start_tls": False},
    "starttls": {"start_tls": True, "validate_certs": False},
    "implicit": {"use_tls": True, "validate_certs": False},
}


def make_message(html: bool = True) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Interlink <noreply@example.com>"
    message["To"] = "Ada <ada@example.com>, bob@example.com"
    message["Cc"] = "carol@example.com"
    message["Subject"] = "Build finished"
    message.set_content("The build passed.\n")
    if html:
        message.add_alternative("<p>The build <b>passed</b>.</p>\n", subtype="html")
    return message


async def send(server: SmtpMock, message: EmailMessage | None = None, **options: Any) -> None:
    await aiosmtplib.send(message or make_message(), hostname=server.host, port=server.port,
                          timeout=TIMEOUT, **options)  # fmt: skip


@pytest.mark.parametrize("html", [True, False])
async def test_a_message_is_recorded_with_its_envelope_headers_and_parts(html: bool) -> None:
    async with SmtpMock() as server:
        await send(server, make_message(html), recipients=["ada@example.com", "bcc@example.com"])

        [received] = server.messages

    assert (received.envelope_from, received.envelope_to) == (
        "noreply@example.com", ("ada@example.com", "bcc@example.com"))  # fmt: skip
    assert (received.subject, received.from_) == ("Build finished", "noreply@example.com")
    assert (received.to, received.cc) == (
        ("ada@example.com", "bob@example.com"),
        ("carol@example.com",),
    )
    assert received.text == "The build passed.\n"
    assert received.html == ("<p>The build <b>passed</b>.</p>\n" if html else None)
    assert (received.tls, received.username) == (False, None)
    assert received.message["To"].addresses[0].display_name == "Ada"


@pytest.mark.parametrize("tls", ["none", "starttls", "implicit"])
async def test_a_dropped_connection_at_data_is_a_disconnect(tls: TlsMode) -> None:
    async with SmtpMock(tls=tls) as server:
        server.drop_next()

        with pytest.raises(aiosmtplib.SMTPServerDisconnected):
            await send(server, **TLS[tls])
        await send(server, **TLS[tls], cert_bundle=str(server.ca_path))

        assert [m.tls for m in server.messages] == [tls != "none"]


async def test_faults_are_met_in_order_an_auth_rejection_holds_a_session_and_reset_ends_them() -> (
    None
):
    async with SmtpMock(require_auth=True) as server:
        login: dict[str, Any] = {"username": server.username, "password": server.password}
        server.reject_next_auth()  # aiosmtplib tries PLAIN, then LOGIN: both refused
        server.drop_next()
        server.reject_next(code=550, text="5.1.1 No such user")

        with pytest.raises(aiosmtplib.SMTPAuthenticationError):
            await send(server, **login)
        with pytest.raises(aiosmtplib.SMTPServerDisconnected):
            await send(server, **login)
        with pytest.raises(aiosmtplib.SMTPResponseException, match="No such user"):
            await send(server, **login)
        server.reject_next(code=451)
        server.reject_recipient("ada@example.com")
        server.reset()
        await send(server, **login)

        assert [m.username for m in server.messages] == ["user"]


async def test_stopping_closes_a_client_connection_still_open() -> None:
    server = SmtpMock()
    async with server:
        client = aiosmtplib.SMTP(hostname=server.host, port=server.port, timeout=TIMEOUT)
        await client.connect()

    with pytest.raises(aiosmtplib.SMTPServerDisconnected):
        await client.noop()
    client.close()


def test_the_certificates_exist_while_it_runs_and_a_port_in_use_fails_at_start() -> None:
    with SmtpMock() as first:
        ca_path = first.ca_path
        assert ca_path.exists()
        second = SmtpMock(port=first.port)
        with pytest.raises(OSError, match="in use"), second:
            pass

    assert not ca_path.exists()
    for stopped in (first, second):
        with pytest.raises(RuntimeError, match="not running"):
            _ = stopped.port
