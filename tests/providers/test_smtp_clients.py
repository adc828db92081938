"""The standard library's smtplib, SMTP's reference client, against the SMTP mock: it submits mail
the way a submission server takes it (STARTTLS before AUTH, AUTH PLAIN and LOGIN, SIZE) and
gets a real server's 4xx and 5xx replies. SMTP has no published API description."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Iterator
from email.message import EmailMessage

import pytest

from interlink.providers.smtp.mock import SmtpMock

TIMEOUT = 5.0


def message(text: str = "The build passed.\n") -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Cc"] = "robot@example.com", "ada@example.com", "bob@example.com"
    mail["Subject"] = "Build finished"
    mail.set_content(text)
    mail.add_alternative("<p>The build <b>passed</b>.</p>\n", subtype="html")
    return mail


@pytest.fixture
def server() -> Iterator[SmtpMock]:
    with SmtpMock(tls="starttls", require_auth=True, username="mailer", password="pw",
                  max_size=4096) as running:  # fmt: skip
        yield running


@pytest.fixture
def session(server: SmtpMock) -> Iterator[smtplib.SMTP]:
    """A submission session: EHLO, STARTTLS against the mock's CA, EHLO again."""
    with smtplib.SMTP(server.host, server.port, timeout=TIMEOUT) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        assert not client.has_extn("auth")  # no AUTH in the clear
        client.starttls(context=server.client_ssl_context())
        client.ehlo()
        yield client


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_a_submission_over_starttls_with_each_auth_mechanism(
    server: SmtpMock, session: smtplib.SMTP, mechanism: str
) -> None:
    session.user, session.password = "mailer", "pw"
    authenticate = session.auth_plain if mechanism == "PLAIN" else session.auth_login

    code, _ = session.auth(mechanism, authenticate)
    refused = session.send_message(message(), to_addrs=["ada@example.com", "eve@example.com"])

    assert code == 235
    assert refused == {}
    [received] = server.messages
    assert received.envelope_to == ("ada@example.com", "eve@example.com")  # Bcc: envelope only
    assert (received.to, received.cc) == (("ada@example.com",), ("bob@example.com",))
    assert (received.text, received.tls, received.username) == (
        "The build passed.\n",
        True,
        "mailer",
    )


def test_implicit_tls_is_trusted_through_the_mocks_ca_only() -> None:
    with SmtpMock(tls="implicit") as server:
        with smtplib.SMTP_SSL(server.host, server.port, timeout=TIMEOUT,
                              context=server.client_ssl_context()) as client:  # fmt: skip
            client.send_message(message())
        with pytest.raises(ssl.SSLCertVerificationError):
            smtplib.SMTP_SSL(server.host, server.port, timeout=TIMEOUT,
                             context=ssl.create_default_context())  # fmt: skip

        assert [m.tls for m in server.messages] == [True]


def test_mail_before_auth_or_before_starttls_is_refused_530(server: SmtpMock) -> None:
    with smtplib.SMTP(server.host, server.port, timeout=TIMEOUT) as client:
        with pytest.raises(smtplib.SMTPSenderRefused) as clear:
            client.send_message(message())
        client.starttls(context=server.client_ssl_context())
        with pytest.raises(smtplib.SMTPSenderRefused) as anonymous:
            client.send_message(message())

    assert (clear.value.smtp_code, anonymous.value.smtp_code) == (530, 530)
    assert server.messages == []


Refusal = Callable[[SmtpMock, smtplib.SMTP], object]


def _send(client: smtplib.SMTP, text: str = "The build passed.\n") -> object:
    return client.send_message(message(text), to_addrs=["ada@example.com"])


@pytest.mark.parametrize(
    ("refuse", "error", "code"),
    [
        (lambda s, c: c.login("mailer", "wrong"), smtplib.SMTPAuthenticationError, 535),
        (lambda s, c: _send(c, "x" * 5000), smtplib.SMTPSenderRefused, 552),
        (lambda s, c: (s.reject_recipient("ada@example.com"), _send(c)),
         smtplib.SMTPRecipientsRefused, None),
        (lambda s, c: (s.reject_next(code=451), _send(c)), smtplib.SMTPDataError, 451),
        (lambda s, c: (s.reject_next(code=554, text="5.7.1 Spam"), _send(c)),
         smtplib.SMTPDataError, 554),
    ],
    ids=["wrong-password", "too-large", "every-recipient", "temporary", "permanent"],
)  # fmt: skip
def test_refusals_are_smtplib_errors_with_the_servers_code(
    server: SmtpMock, session: smtplib.SMTP, refuse: Refusal, error: type[Exception],
    code: int | None,
) -> None:  # fmt: skip
    if code != 535:
        session.login("mailer", "pw")
    assert session.esmtp_features["size"] == "4096"

    with pytest.raises(error) as raised:
        refuse(server, session)

    assert getattr(raised.value, "smtp_code", None) == code
    assert server.messages == []


def test_a_refused_recipient_leaves_the_others(server: SmtpMock, session: smtplib.SMTP) -> None:
    server.reject_recipient("eve@example.com", code=450, text="4.2.1 Mailbox busy, try later")
    session.login("mailer", "pw")

    refused = session.send_message(message(), to_addrs=["ada@example.com", "eve@example.com"])

    assert refused == {"eve@example.com": (450, b"4.2.1 Mailbox busy, try later")}
    assert [m.envelope_to for m in server.messages] == [("ada@example.com",)]
