"""`smtp`: email through an SMTP server (aiosmtplib), with STARTTLS or implicit TLS.

SMTP is not HTTP, so this connector reads its credentials itself; it still takes the
integration's rate budget and respects its breaker as an HTTP call does (`SmtpCall`), and the
server's address passes the SSRF guard: the host is resolved once, every address checked, and the
connection goes to a checked address (a connected socket handed to aiosmtplib, so DNS cannot
answer otherwise in between) while TLS still verifies the certificate against the host's name.
The Message-ID comes from the operation's idempotency key, so a
re-run of the same operation sends a message receivers can recognise as the same one.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, ClassVar, Literal

import aiosmtplib
from pydantic import BaseModel, Field, field_validator

from interlink.core.errors import (
    AuthenticationFailed,
    ExternalServiceError,
    ExternalServiceTimeout,
    InterlinkError,
    InvalidOperation,
    UrlNotAllowed,
)
from interlink.providers.kit.action import CheckResult, Connector, action
from interlink.providers.kit.context import ActionContext
from interlink.providers.kit.types import IntegrationType
from interlink.providers.smtp.call import SmtpCall
from interlink.transport.ssrf import GuardedResolver, ResolvedAddress, UrlRefused

Security = Literal["none", "starttls", "ssl"]


def _address(value: str) -> str:
    if "@" not in value or any(ch in value for ch in "\r\n<>,;"):
        raise ValueError("must be one email address")
    return value


class SendEmailInput(BaseModel):
    to: list[str] = Field(min_length=1, max_length=100, description="Recipients")
    cc: list[str] = Field(default_factory=list, max_length=100)
    bcc: list[str] = Field(default_factory=list, max_length=100)
    subject: str = Field(max_length=998)
    text: str | None = Field(None, description="The plain text body")
    html: str | None = Field(None, description="The HTML body")
    from_email: str | None = Field(None, description="Defaults to the configuration's from_email")
    reply_to: str | None = None

    _check_one = field_validator("from_email", "reply_to")(lambda v: v and _address(v))
    _check_many = field_validator("to", "cc", "bcc")(lambda v: [_address(a) for a in v])


class SendEmailOutput(BaseModel):
    message_id: str
    accepted: list[str]
    refused: dict[str, str]


class SmtpConnector(Connector):
    direct_name = "Smtp"
    spec: ClassVar[IntegrationType] = IntegrationType(
        "smtp",
        "SMTP",
        "Email through an SMTP server",
        None,
        "basic",
        ("basic",),
        {"basic": (("host",), ("port",), ("user", "username"), ("password",))},
    )
    category = "email"
    rate_headers = None

    @action()  # one attempt: a message the server may have taken is not sent again
    async def send_email(self, ctx: ActionContext, params: SendEmailInput) -> SendEmailOutput:
        """Sends an email through the SMTP server."""
        sender = params.from_email or ctx.configuration.get("from_email") or _user(ctx.credentials)
        message = _message(params, str(sender), ctx.idempotency_key)
        recipients = [*params.to, *params.cc, *params.bcc]
        async with _session(ctx) as smtp:
            refused, _ = await smtp.send_message(message, sender=str(sender), recipients=recipients)
        return SendEmailOutput(
            message_id=str(message["Message-ID"]),
            accepted=[r for r in recipients if r not in refused],
            refused={r: str(reply) for r, reply in refused.items()},
        )

    async def check(self, ctx: ActionContext) -> CheckResult:
        async with _session(ctx):
            pass
        who = _user(ctx.credentials)
        host, port = ctx.credentials.get("host"), ctx.credentials.get("port")
        return CheckResult(message=f"Connected to {host}:{port}" + (f" as {who}" if who else ""))


def _user(credentials: Any) -> str | None:
    found = credentials.get("user") or credentials.get("username")
    return str(found) if found else None


def _message(params: SendEmailInput, sender: str, key: str | None) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = params.subject
    message["From"] = sender
    message["To"] = ", ".join(params.to)
    if params.cc:
        message["Cc"] = ", ".join(params.cc)
    if params.reply_to:
        message["Reply-To"] = params.reply_to
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = f"<{key or 'interlink'}@interlink>"
    message.set_content(params.text or "")
    if params.html:
        message.add_alternative(params.html, subtype="html")
    return message


class _session:
    """A connected, authenticated SMTP session; aiosmtplib's failures leave as our errors."""

    def __init__(self, ctx: ActionContext) -> None:
        self.ctx = ctx
        self.call = SmtpCall(ctx.http)
        self.smtp: aiosmtplib.SMTP | None = None

    async def __aenter__(self) -> aiosmtplib.SMTP:
        ctx, credentials = self.ctx, self.ctx.credentials
        host, port = str(credentials.get("host", "")), int(credentials.get("port", 587))
        addresses = await _checked_addresses(ctx, host, port)
        await self.call.begin()
        security: Security = ctx.configuration.get("security") or (
            "ssl" if port == 465 else "starttls"
        )
        timeout = float(ctx.configuration.get("request_timeout") or 30)
        self.smtp = aiosmtplib.SMTP(
            hostname=host,  # the name TLS verifies the certificate against
            use_tls=security == "ssl",
            start_tls=security == "starttls",
            tls_context=_tls_context(ctx.configuration),
            timeout=timeout,
        )
        try:
            await _open(self.smtp, addresses, timeout)
            user, password = _user(credentials), credentials.get("password")
            if user and password:
                await self.smtp.login(user, str(password))
        except BaseException as exc:
            await self._abort()
            raise await _translate(exc, self.call) from None
        return self.smtp

    async def __aexit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        if exc is None:
            await self._quit()
            await self.call.end(failed=False)
            return
        await self._abort()
        raise await _translate(exc, self.call) from None

    async def _quit(self) -> None:
        if self.smtp is not None and self.smtp.is_connected:
            try:
                await self.smtp.quit()
            except aiosmtplib.SMTPException:
                self.smtp.close()

    async def _abort(self) -> None:
        if self.smtp is not None and self.smtp.is_connected:
            self.smtp.close()


def _tls_context(configuration: Any) -> ssl.SSLContext:
    request = configuration.get("request") or {}
    if request.get("verify_ssl") is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=configuration.get("ca_file"))


async def _checked_addresses(ctx: ActionContext, host: str, port: int) -> list[ResolvedAddress]:
    """The host's addresses, each passed by the SSRF guard (any refused one refuses the host)."""
    if not host:
        raise InvalidOperation("The SMTP credentials need a host")
    resolver = GuardedResolver(ctx.http.transport.policy)
    try:
        return await resolver.resolve(host, port, family=socket.AF_UNSPEC)
    except UrlRefused as refused:
        raise UrlNotAllowed(str(refused)) from None
    except OSError as exc:
        raise ExternalServiceError(
            f"The SMTP host {host} does not resolve ({exc.strerror or type(exc).__name__})"
        ) from None
    finally:
        await resolver.close()


async def _open(smtp: aiosmtplib.SMTP, addresses: list[ResolvedAddress], seconds: float) -> None:
    connected = await _connect(addresses, seconds)
    try:
        await smtp.connect(sock=connected)  # aiosmtplib owns the socket from here
    except BaseException:
        connected.close()
        raise


async def _connect(addresses: list[ResolvedAddress], seconds: float) -> socket.socket:
    """A socket connected to the first checked address that answers (in the resolver's order),
    each given `seconds`."""
    loop = asyncio.get_running_loop()
    failure: OSError = ConnectionRefusedError("The SMTP host has no address")
    for answer in addresses:
        connection = socket.socket(answer["family"], socket.SOCK_STREAM)
        connection.setblocking(False)
        try:
            async with asyncio.timeout(seconds):
                await loop.sock_connect(connection, (answer["host"], answer["port"]))
        except OSError as exc:  # TimeoutError too: the next address is tried
            connection.close()
            failure = exc
            continue
        except BaseException:
            connection.close()
            raise
        return connection
    raise failure


async def _translate(exc: BaseException, call: SmtpCall) -> BaseException:
    """Our error for `exc`, and how the session ended told to `call`."""
    if isinstance(exc, InterlinkError):
        return exc
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        await call.end(failed=False, outcome="unauthorized")
        return AuthenticationFailed(
            details=[{"provider_status": exc.code, "provider_message": exc.message}]
        )
    if isinstance(exc, aiosmtplib.SMTPTimeoutError | TimeoutError):
        await call.end(failed=True, outcome="timeout")
        return ExternalServiceTimeout()
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        await call.end(failed=False, outcome="client_error")
        refused = {e.recipient: e.message for e in exc.recipients}
        return InvalidOperation(
            "The SMTP server refused every recipient", details=[{"provider_message": str(refused)}]
        )
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        permanent = exc.code >= 500
        await call.end(failed=not permanent, outcome="client_error" if permanent else None)
        error = InvalidOperation if permanent else ExternalServiceError
        return error(
            f"The SMTP server answered {exc.code}: {exc.message}",
            details=[{"provider_status": exc.code, "provider_message": exc.message}],
        )
    if isinstance(exc, aiosmtplib.SMTPException | OSError):
        await call.end(failed=True, outcome="unreachable")
        return ExternalServiceError(f"The SMTP server could not be reached ({type(exc).__name__})")
    return exc
