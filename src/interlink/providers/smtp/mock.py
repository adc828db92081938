"""A real SMTP server on a loopback port, standing in for the mail server of the ``smtp`` connector.

``SmtpMock`` runs aiosmtpd on its own thread and event loop, so it serves the same way to async
tests (``async with SmtpMock() as server:``), to sync code (``with SmtpMock() as server:``) and to
a sync client called from inside an async test. It listens on ``127.0.0.1`` on a free port.

TLS modes:

- ``"none"``: plaintext; AUTH PLAIN and LOGIN are offered over plaintext.
- ``"starttls"``: plaintext until STARTTLS, which is required before MAIL and AUTH.
- ``"implicit"``: TLS from the first byte (SMTPS).

At start a throwaway CA and a server certificate for ``localhost`` and ``127.0.0.1`` are written
to a temporary directory (removed at stop). A client either trusts the CA (``ca_path``, or
``client_ssl_context()``) or disables certificate verification (aiosmtplib:
``validate_certs=False``).

Like a submission server, it advertises ``SIZE`` (``max_size`` bytes) and refuses a larger
message with 552, at MAIL when the client declares its size (smtplib and aiosmtplib do), else at
the end of DATA; ``reject_recipient`` refuses an address at RCPT (550 user unknown, or a 4xx).

Every accepted message is recorded as a ``ReceivedMessage`` in ``messages``. Faults are queued
and met in order by the next messages: ``reject_next`` answers the end of DATA with a given code
(451 temporary, 550 permanent, ...), ``drop_next`` closes the connection at the end of DATA
without answering, and ``reject_next_auth`` fails every AUTH attempt of the next sessions, even
with the right password.
"""

from __future__ import annotations

import asyncio
import datetime
import email
import email.policy
import hmac
import ipaddress
import shutil
import ssl
import tempfile
import threading
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path
from typing import Any, Literal

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["ReceivedMessage", "SmtpMock", "TlsMode"]

TlsMode = Literal["none", "starttls", "implicit"]

_THREAD_TIMEOUT = 5.0
_SERVER_NAME = "localhost"


@dataclass(frozen=True)
class ReceivedMessage:
    """One message the server accepted, with its envelope, its parsed headers and body parts,
    and how the session that sent it was secured and authenticated."""

    envelope_from: str
    envelope_to: tuple[str, ...]
    subject: str
    from_: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    text: str | None
    html: str | None
    tls: bool
    username: str | None
    message: EmailMessage


@dataclass(frozen=True)
class _Reply:
    line: str


class _Drop:
    pass


_Fault = _Reply | _Drop


class SmtpMock:
    """A loopback SMTP server recording what it receives, with fault injection.

    ``host`` and ``port`` are known once started (by either context manager or ``start()``).
    With ``require_auth`` the server answers MAIL with 530 until the session has authenticated
    as ``username``/``password``; without it AUTH is still offered and checked.
    """

    def __init__(
        self,
        *,
        tls: TlsMode = "none",
        require_auth: bool = False,
        username: str = "user",
        password: str = "secret",  # noqa: S107 - a test credential
        host: str = "127.0.0.1",
        port: int = 0,
        max_size: int = 33_554_432,
    ) -> None:
        self.tls: TlsMode = tls
        self.max_size = max_size
        self.require_auth = require_auth
        self.username = username
        self.password = password
        self.host = host
        self._requested_port = port
        self._lock = threading.Lock()
        self._messages: list[ReceivedMessage] = []
        self._faults: deque[_Fault] = deque()
        self._auth_rejections: deque[str] = deque()
        self._refused_recipients: dict[str, str] = {}
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._port: int | None = None
        self._directory: Path | None = None
        self._server_context: ssl.SSLContext | None = None

    # -- lifecycle

    def start(self) -> None:
        """Write the certificates, bind the port and serve on a background thread."""
        if self._thread is not None:
            raise RuntimeError("SmtpMock is already running")
        self._directory = Path(tempfile.mkdtemp(prefix="interlink-smtp-"))
        _write_certificates(self._directory)
        self._server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._server_context.load_cert_chain(self.cert_path, self.key_path)
        ready: Future[int] = Future()
        self._thread = threading.Thread(
            target=self._serve, args=(ready,), name="interlink-smtp-mock", daemon=True
        )
        self._thread.start()
        try:
            self._port = ready.result(timeout=_THREAD_TIMEOUT)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Close every connection, stop the thread and remove the certificates."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(_THREAD_TIMEOUT)
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)
        self._thread = self._loop = self._port = self._directory = self._server_context = None

    def __enter__(self) -> SmtpMock:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    async def __aenter__(self) -> SmtpMock:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(self, *_: object) -> None:
        await asyncio.to_thread(self.stop)

    # -- what tests read

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("SmtpMock is not running")
        return self._port

    @property
    def ca_path(self) -> Path:
        """The CA certificate (PEM) that signed the server certificate: what a client trusts."""
        return self._certificate_directory / "ca.pem"

    @property
    def cert_path(self) -> Path:
        """The server certificate (PEM) for ``localhost`` and ``127.0.0.1``."""
        return self._certificate_directory / "server.pem"

    @property
    def key_path(self) -> Path:
        return self._certificate_directory / "server.key"

    def client_ssl_context(self) -> ssl.SSLContext:
        """A client context that verifies the server against ``ca_path`` (hostname included)."""
        return ssl.create_default_context(cafile=str(self.ca_path))

    @property
    def messages(self) -> list[ReceivedMessage]:
        """The accepted messages, oldest first (a copy)."""
        with self._lock:
            return list(self._messages)

    # -- fault injection

    def reject_next(
        self, count: int = 1, *, code: int = 451, text: str = "4.3.0 Try again later"
    ) -> None:
        """Answer the end of DATA of the next ``count`` messages with ``code text``."""
        self._queue_faults([_Reply(f"{code} {text}")] * count)

    def drop_next(self, count: int = 1) -> None:
        """Close the connection at the end of DATA of the next ``count`` messages, unanswered."""
        self._queue_faults([_Drop()] * count)

    def reject_next_auth(
        self, count: int = 1, *, code: int = 535, text: str = "5.7.8 Authentication failed"
    ) -> None:
        """Fail every AUTH attempt of the next ``count`` sessions that authenticate with
        ``code text``, even with the right password."""
        with self._lock:
            self._auth_rejections.extend([f"{code} {text}"] * count)

    def reject_recipient(
        self, address: str, *, code: int = 550, text: str = "5.1.1 User unknown"
    ) -> None:
        """Refuse ``address`` at RCPT with ``code text`` until ``reset()``."""
        with self._lock:
            self._refused_recipients[address.lower()] = f"{code} {text}"

    def reset(self) -> None:
        """Forget the recorded messages, every pending fault and refused recipient."""
        with self._lock:
            self._messages.clear()
            self._faults.clear()
            self._auth_rejections.clear()
            self._refused_recipients.clear()

    def _queue_faults(self, faults: list[_Fault]) -> None:
        with self._lock:
            self._faults.extend(faults)

    # -- the server thread

    @property
    def _certificate_directory(self) -> Path:
        if self._directory is None:
            raise RuntimeError("SmtpMock is not running: its certificates exist only while it runs")
        return self._directory

    def _serve(self, ready: Future[int]) -> None:
        loop = asyncio.new_event_loop()
        connections: set[_Connection] = set()

        def new_connection() -> _Connection:
            return _Connection(self, loop, connections)

        implicit = self._server_context if self.tls == "implicit" else None
        try:
            server = loop.run_until_complete(
                loop.create_server(new_connection, self.host, self._requested_port, ssl=implicit)
            )
        except BaseException as error:
            loop.close()
            ready.set_exception(error)
            return
        self._loop = loop
        ready.set_result(server.sockets[0].getsockname()[1])
        loop.run_forever()
        loop.run_until_complete(_shut_down(server, connections))
        loop.close()

    def _recipient_refusal(self, address: str) -> str | None:
        with self._lock:
            return self._refused_recipients.get(address.lower())

    def _take_auth_rejection(self) -> str | None:
        with self._lock:
            return self._auth_rejections.popleft() if self._auth_rejections else None

    def _check_login(self, login: LoginPassword) -> AuthResult:
        valid = hmac.compare_digest(login.login, self.username.encode()) & hmac.compare_digest(
            login.password, self.password.encode()
        )
        return AuthResult(success=valid, handled=False, auth_data=self.username if valid else None)

    async def _receive(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self._lock:
            fault = self._faults.popleft() if self._faults else None
        if isinstance(fault, _Reply):
            return fault.line
        if isinstance(fault, _Drop):
            assert isinstance(server, _Connection)
            server.abort()
            await asyncio.get_running_loop().create_future()  # cancelled when the connection closes
        received = _parse(server, session, envelope)
        with self._lock:
            self._messages.append(received)
        return "250 2.0.0 OK: queued"


class _Handler:
    """aiosmtpd's handler: only ``handle_*`` hooks, all forwarded to the mock."""

    def __init__(self, mock: SmtpMock) -> None:
        self._mock = mock

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        refusal = self._mock._recipient_refusal(address)
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return await self._mock._receive(server, session, envelope)


class _QuietSession(Session):
    # aiosmtpd sets this deprecated alias on every successful AUTH and logs a warning each time.
    login_data: Any = None


class _Connection(SMTP):
    """One SMTP session of the mock.

    AUTH is required here rather than through aiosmtpd's ``auth_required``, which warns on every
    connection when AUTH is allowed without STARTTLS. A queued AUTH rejection holds for the whole
    session, because clients such as aiosmtplib try each advertised mechanism in turn.
    """

    def __init__(
        self, mock: SmtpMock, loop: asyncio.AbstractEventLoop, live: set[_Connection]
    ) -> None:
        starttls = mock.tls == "starttls"
        super().__init__(
            _Handler(mock),
            loop=loop,
            hostname=_SERVER_NAME,
            ident="Interlink SmtpMock",
            data_size_limit=mock.max_size,
            enable_SMTPUTF8=True,
            tls_context=mock._server_context if starttls else None,
            require_starttls=starttls,
            # aiosmtpd only counts STARTTLS as TLS: implicit TLS must allow AUTH "without" it.
            auth_require_tls=starttls,
            authenticator=self._check_credentials,
        )
        self._mock = mock
        self._live = live
        self._socket_transport: asyncio.BaseTransport | None = None
        self.lost = asyncio.Event()
        self._auth_rejection: str | None = None
        self._auth_attempted = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Called again with the TLS transport after STARTTLS: keep the first, the socket's.
        if self._socket_transport is None:
            self._socket_transport = transport
            self._live.add(self)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        self._live.discard(self)
        self.lost.set()
        super().connection_lost(error)

    def abort(self) -> None:
        """Drop the connection at once, without a reply or a TLS close.

        The socket's transport, not ``self.transport``: once aiosmtpd has closed a TLS transport
        twice (QUIT does), asyncio's ``abort()`` on it no longer reaches the socket.
        """
        transport = self._socket_transport
        if isinstance(transport, asyncio.WriteTransport):
            transport.abort()

    def _create_session(self) -> Session:
        return _QuietSession(self.loop)

    async def check_auth_needed(self, caller_method: str) -> bool:
        if self._mock.require_auth and not (self.session and self.session.authenticated):
            await self.push("530 5.7.0 Authentication required")
            return True
        return False

    def _check_credentials(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not self._auth_attempted:
            self._auth_attempted = True
            self._auth_rejection = self._mock._take_auth_rejection()
        if self._auth_rejection is not None:
            return AuthResult(success=False, handled=False, message=self._auth_rejection)
        assert isinstance(auth_data, LoginPassword)
        return self._mock._check_login(auth_data)


async def _shut_down(server: asyncio.Server, live: set[_Connection]) -> None:
    server.close()
    connections = list(live)
    for connection in connections:
        connection.abort()
    if connections:  # an implicit TLS session closing after QUIT is out of abort's reach
        waits = [asyncio.create_task(c.lost.wait()) for c in connections]
        await asyncio.wait(waits, timeout=2.0)
    await server.wait_closed()
    tasks = asyncio.all_tasks() - {asyncio.current_task()}
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _parse(server: SMTP, session: Session, envelope: Envelope) -> ReceivedMessage:
    content = (envelope.original_content or b"").replace(b"\r\n", b"\n")
    message = email.message_from_bytes(content, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    transport = server.transport
    return ReceivedMessage(
        envelope_from=envelope.mail_from or "",
        envelope_to=tuple(envelope.rcpt_tos),
        subject=str(message.get("Subject", "")),
        from_=next(iter(_addresses(message, "From")), ""),
        to=_addresses(message, "To"),
        cc=_addresses(message, "Cc"),
        text=_body(message, "plain"),
        html=_body(message, "html"),
        tls=transport is not None and transport.get_extra_info("ssl_object") is not None,
        username=session.auth_data if session.authenticated else None,
        message=message,
    )


def _addresses(message: EmailMessage, header: str) -> tuple[str, ...]:
    values = [str(value) for value in message.get_all(header, [])]
    return tuple(address for _, address in getaddresses(values) if address)


def _body(message: EmailMessage, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    if not isinstance(part, EmailMessage) or part.get_content_subtype() != subtype:
        return None
    content = part.get_content()
    return content if isinstance(content, str) else None


# -- certificates


def _write_certificates(directory: Path) -> None:
    """A throwaway CA (``ca.pem``) and a server certificate it signed for ``localhost`` and
    ``127.0.0.1`` (``server.pem``, ``server.key``)."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Interlink SmtpMock CA")])
    ca = (
        _certificate_builder(ca_name, ca_name, ca_key.public_key(), ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, _SERVER_NAME)])
    alt_names: list[x509.GeneralName] = [
        x509.DNSName(_SERVER_NAME),
        x509.IPAddress(ipaddress.IPv4Address("127.0.0.1")),
    ]
    certificate = (
        _certificate_builder(name, ca_name, key.public_key(), ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (directory / "ca.pem").write_bytes(ca.public_bytes(pem))
    (directory / "server.pem").write_bytes(certificate.public_bytes(pem))
    (directory / "server.key").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


def _certificate_builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    issuer_key: ec.EllipticCurvePublicKey,
) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key), critical=False
        )
    )


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


MOCK = SmtpMock
