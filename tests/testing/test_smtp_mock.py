"""SmtpMock: a real loopback SMTP server, driven with aiosmtplib as the smtp connector drives it."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Any

import aiosmtplib
import pytest

from interlink.providers.smtp.mock import SmtpMock, TlsMode

TIMEOUT = 5.0


def make_message(subject: str = "Build finished") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Interlink <noreply@example.com>"
    message["To"] = "Ada <ada@example.com>, bob@example.com"
    message["Cc"] = "carol@example.com"
    message["Subject"] = subject
    message.set_content("The build passed.\n")
    message.add_alternative("<p>The build <b>passed</b>.</p>\n", subtype="html")
    return message


async def send(server: SmtpMock, message: EmailMessage | None = None, **options: Any) -> None:
    await aiosmtplib.send(
        message or make_message(),
        hostname=server.host,
        port=server.port,
        timeout=TIMEOUT,
        **options,
    )


def tls_options(server: SmtpMock, tls: TlsMode) -> dict[str, Any]:
    if tls == "none":
        return {"start_tls": False}
    if tls == "starttls":
        return {"start_tls": True, "tls_context": server.client_ssl_context()}
    return {"use_tls": True, "tls_context": server.client_ssl_context()}


def credentials(server: SmtpMock) -> dict[str, str]:
    return {"username": server.username, "password": server.password}


async def test_plaintext_message_is_recorded_with_envelope_headers_and_parts() -> None:
    async with SmtpMock() as server:
        await send(server, recipients=["ada@example.com", "hidden@example.com"])

        [received] = server.messages

    assert received.envelope_from == "noreply@example.com"
    assert received.envelope_to == ("ada@example.com", "hidden@example.com")
    assert received.subject == "Build finished"
    assert received.from_ == "noreply@example.com"
    assert received.to == ("ada@example.com", "bob@example.com")
    assert received.cc == ("carol@example.com",)
    assert received.text == "The build passed.\n"
    assert received.html == "<p>The build <b>passed</b>.</p>\n"
    assert received.tls is False
    assert received.username is None
    assert received.message["To"].addresses[0].display_name == "Ada"


async def test_a_text_only_message_has_no_html_part() -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.com", "b@example.com", "Hi"
    message.set_content("Only text.\n")

    async with SmtpMock() as server:
        await send(server, message)

    [received] = server.messages
    assert (received.text, received.html, received.cc) == ("Only text.\n", None, ())


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
async def test_plaintext_auth_with_each_mechanism(mechanism: str) -> None:
    async with SmtpMock(require_auth=True, username="mailer", password="s3cret") as server:
        client = aiosmtplib.SMTP(hostname=server.host, port=server.port, timeout=TIMEOUT)
        async with client:
            login = client.auth_plain if mechanism == "PLAIN" else client.auth_login
            response = await login("mailer", "s3cret")
            await client.send_message(make_message())

        assert response.code == 235
        assert [m.username for m in server.messages] == ["mailer"]


async def test_auth_is_required_when_asked() -> None:
    async with SmtpMock(require_auth=True) as server:
        with pytest.raises(aiosmtplib.SMTPSenderRefused) as refused:
            await send(server)

        assert refused.value.code == 530
        assert server.messages == []


async def test_a_wrong_password_is_an_authentication_error() -> None:
    async with SmtpMock(require_auth=True) as server:
        with pytest.raises(aiosmtplib.SMTPAuthenticationError) as failed:
            await send(server, username=server.username, password="wrong")

        assert failed.value.code == 535
        assert server.messages == []


@pytest.mark.parametrize("tls", ["starttls", "implicit"])
async def test_tls_session_with_auth_is_recorded_as_tls(tls: TlsMode) -> None:
    async with SmtpMock(tls=tls, require_auth=True) as server:
        await send(server, **tls_options(server, tls), **credentials(server))

        [received] = server.messages

    assert received.tls is True
    assert received.username == "user"
    assert received.subject == "Build finished"


async def test_starttls_server_refuses_mail_and_auth_before_starttls() -> None:
    async with SmtpMock(tls="starttls") as server:
        with pytest.raises(aiosmtplib.SMTPSenderRefused) as refused:
            await send(server, start_tls=False)
        with pytest.raises(aiosmtplib.SMTPException, match="AUTH extension is not supported"):
            await send(server, start_tls=False, **credentials(server))

        assert refused.value.code == 530
        assert server.messages == []


@pytest.mark.parametrize(
    "trust",
    [
        pytest.param(lambda s: {"cert_bundle": str(s.ca_path)}, id="ca-bundle"),
        pytest.param(lambda s: {"validate_certs": False}, id="no-verification"),
    ],
)
async def test_clients_trust_the_ca_file_or_skip_verification(trust: Any) -> None:
    async with SmtpMock(tls="implicit") as server:
        await send(server, use_tls=True, **trust(server))

        assert [m.tls for m in server.messages] == [True]


async def test_the_certificate_is_not_trusted_by_default() -> None:
    async with SmtpMock(tls="implicit") as server:
        with pytest.raises(aiosmtplib.SMTPConnectError):
            await send(server, use_tls=True, tls_context=ssl.create_default_context())
        assert server.messages == []


@pytest.mark.parametrize(("code", "text"), [(451, "4.3.0 Try later"), (550, "5.7.1 Refused")])
@pytest.mark.parametrize("tls", ["none", "implicit"])
async def test_rejected_messages_surface_as_response_errors(
    code: int, text: str, tls: TlsMode
) -> None:
    async with SmtpMock(tls=tls) as server:
        server.reject_next(2, code=code, text=text)

        for _ in range(2):
            with pytest.raises(aiosmtplib.SMTPResponseException) as rejected:
                await send(server, **tls_options(server, tls))
            assert (rejected.value.code, rejected.value.message) == (code, text)
        await send(server, **tls_options(server, tls))

        assert len(server.messages) == 1


@pytest.mark.parametrize("tls", ["none", "starttls", "implicit"])
async def test_a_dropped_connection_at_data_is_a_disconnect(tls: TlsMode) -> None:
    async with SmtpMock(tls=tls) as server:
        server.drop_next()

        with pytest.raises(aiosmtplib.SMTPServerDisconnected):
            await send(server, **tls_options(server, tls))
        assert server.messages == []
        await send(server, **tls_options(server, tls))

        assert len(server.messages) == 1


async def test_an_auth_rejection_holds_for_the_whole_next_session() -> None:
    async with SmtpMock(require_auth=True) as server:
        server.reject_next_auth()

        # aiosmtplib tries PLAIN, then LOGIN: both are refused in that session.
        with pytest.raises(aiosmtplib.SMTPAuthenticationError) as failed:
            await send(server, **credentials(server))
        await send(server, **credentials(server))

        assert failed.value.code == 535
        assert len(server.messages) == 1


async def test_faults_are_met_in_the_order_they_were_queued() -> None:
    async with SmtpMock() as server:
        server.drop_next()
        server.reject_next(code=550, text="5.1.1 No such user")

        with pytest.raises(aiosmtplib.SMTPServerDisconnected):
            await send(server)
        with pytest.raises(aiosmtplib.SMTPResponseException) as rejected:
            await send(server)

        assert rejected.value.code == 550


async def test_reset_forgets_messages_and_pending_faults() -> None:
    async with SmtpMock(require_auth=True) as server:
        await send(server, **credentials(server))
        server.reject_next(code=451)
        server.drop_next()
        server.reject_next_auth()

        server.reset()
        await send(server, **credentials(server))

        assert len(server.messages) == 1


async def test_stopping_closes_a_client_connection_still_open() -> None:
    server = SmtpMock()
    async with server:
        client = aiosmtplib.SMTP(hostname=server.host, port=server.port, timeout=TIMEOUT)
        await client.connect()

    with pytest.raises(aiosmtplib.SMTPServerDisconnected):
        await client.noop()
    client.close()


def test_sync_context_manager_serves_and_cleans_up() -> None:
    with SmtpMock(tls="starttls") as server:
        assert server.host == "127.0.0.1"
        assert server.port > 0
        ca_path = server.ca_path
        # A sync client: asyncio.run() may close its loop before an SSL transport has shut down.
        with smtplib.SMTP(server.host, server.port, timeout=TIMEOUT) as client:
            client.starttls(context=server.client_ssl_context())
            client.login(server.username, server.password)
            client.send_message(make_message())

        assert [(m.tls, m.username) for m in server.messages] == [(True, "user")]

    assert not ca_path.exists()
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.port


async def test_a_port_in_use_fails_at_start_and_leaves_nothing_behind() -> None:
    async with SmtpMock() as first:
        second = SmtpMock(port=first.port)

        with pytest.raises(OSError, match="in use"):
            async with second:
                pass

    with pytest.raises(RuntimeError, match="not running"):
        _ = second.ca_path
