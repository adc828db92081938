"""The contract's SMTP variant: a provider whose mock is an `SmtpMock` (an aiosmtpd server, not an
HTTP `MockUpstream`) is staged on its own server, over STARTTLS trusting the server's throwaway
CA and with auth required, and its actions run through the transport the direct interfaces
build (the action reads its credentials from `ctx.credentials`, as the service hands them to
SMTP alone), on a frozen clock and without a database.

Its fixtures have no `exchanges` (those are HTTP): a recording keeps the action's `output` (or
error code) only. Nothing in it is random: the Message-ID is made from the operation's
idempotency key (`IDEMPOTENCY_KEY`), so nothing is normalised. What the server received is
checked against the fixture's parameters on replay instead of exchanges.

`mock` options of an SMTP fixture go to `SmtpMock`'s constructor (its `tls` says the security
the integration is configured with), but for `reject_recipients`: addresses the server refuses
at RCPT (550 5.1.1 User unknown).
"""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from interlink.config import TransportSettings
from interlink.core.clock import FrozenClock
from interlink.core.errors import (
    AuthenticationFailed,
    ExternalServiceError,
    InvalidOperation,
)
from interlink.core.secrets import Scrubber
from interlink.providers.kit.action import Connector
from interlink.providers.kit.context import ActionContext
from interlink.providers.kit.fixtures import Fixture
from interlink.providers.smtp.mock import SmtpMock
from interlink.testing.contract.cases import Case, fail, skip
from interlink.testing.contract.choose import RECORD_HINT
from interlink.testing.contract.harness import (
    IDEMPOTENCY_KEY,
    KEY,
    START,
    Result,
    credential_forms,
    run_scrubbed,
)
from interlink.testing.contract.replay import refuse_leaks
from interlink.transport.auth import auth_headers
from interlink.transport.breaker import MemoryBreakers
from interlink.transport.client import Transport
from interlink.transport.ratelimit import MemoryBudgetStore, RateLimiter
from interlink.transport.settings import call_settings
from interlink.transport.ssrf import AddressPolicy
from interlink.vault.masking import secret_values

USERNAME = "mailer"
PASSWORD = "contract-smtp-password"  # noqa: S105 - the mock's own
WRONG_PASSWORD = "contract-wrong-password"  # noqa: S105 - refused on purpose
FROM_EMAIL = "robot@example.com"  # the configuration's sender, unless a fixture says otherwise
SECURITY = {"none": "none", "starttls": "starttls", "implicit": "ssl"}  # the mock's tls: ours


def speaks_smtp(provider: type[Connector]) -> bool:
    """Its mock is an SMTP server (`SmtpMock`), not an HTTP upstream."""
    mock = provider.mock()
    return isinstance(mock, type) and issubclass(mock, SmtpMock)


def not_for_smtp(provider: type[Connector], reason: str) -> None:
    """Skips the case, saying why, when the provider speaks SMTP."""
    if speaks_smtp(provider):
        raise skip(f"{provider.spec.type} speaks SMTP: {reason}")


@dataclass
class SmtpStage:
    """One fresh SMTP server (built with the fixture's options) and one fresh transport."""

    provider: type[Connector]
    fixture: Fixture
    mock: SmtpMock
    transport: Transport
    results: list[Result] = field(default_factory=list)
    secrets: Scrubber = field(default_factory=Scrubber)  # the last run's credential values
    credentials: dict[str, Any] = field(default_factory=dict)  # the last run's

    def configuration(self) -> dict[str, Any]:
        return {
            "auth_method": self.provider.spec.default_auth_method,
            "security": SECURITY[self.mock.tls],
            "ca_file": str(self.mock.ca_path),
            "from_email": FROM_EMAIL,
            **self.fixture.configuration,
        }

    def context(self, *, password: str | None = None) -> ActionContext:
        """The context the service would hand the action: the server's credentials (or
        `password` in place of its own) in `credentials`, and a transport client."""
        configuration = self.configuration()
        credentials = self.credentials = {
            "host": self.mock.host,
            "port": self.mock.port,
            "user": self.mock.username,
            "password": self.mock.password if password is None else password,
        }
        action = self.provider.actions[self.fixture.action]
        client = self.transport.client(
            KEY,
            call_settings(configuration, TransportSettings()),
            self.provider.facts(),
            auth_headers(str(configuration["auth_method"]), credentials),
            secrets=secret_values(credentials),
            idempotent=action.idempotent,
        )
        return ActionContext(client, configuration, credentials, idempotency_key=IDEMPOTENCY_KEY)

    def secret_values(self) -> list[str]:
        """The last run's credential values, and the forms its (unsent) headers hold them in."""
        headers = auth_headers(str(self.configuration()["auth_method"]), self.credentials)
        return credential_forms(self.credentials, headers)

    async def run(self, *, password: str | None = None) -> Result:
        """Runs the fixture's action with its parameters."""
        action = self.provider.actions[self.fixture.action]
        params = action.parse(self.fixture.parameters)
        ctx = self.context(password=password)
        self.secrets = ctx.secrets
        result = await run_scrubbed(self.provider, action.name, ctx, params)
        self.results.append(result)
        return result


@asynccontextmanager
async def smtp_stage(provider: type[Connector], fixture: Fixture) -> AsyncIterator[SmtpStage]:
    """A fresh `SmtpMock` for `fixture` (STARTTLS, auth required) on 127.0.0.1, and a transport
    on a frozen clock."""
    options = dict(fixture.mock)
    refused = list(options.pop("reject_recipients", []))
    options = {
        "tls": "starttls",
        "require_auth": True,
        "username": USERNAME,
        "password": PASSWORD,
        **options,
    }
    clock = FrozenClock(START)
    async with SmtpMock(**options) as mock:
        for address in refused:
            mock.reject_recipient(address)
        transport = Transport(
            clock,
            RateLimiter(MemoryBudgetStore(), clock),
            MemoryBreakers(clock),
            AddressPolicy(allow_private=True),  # the server listens on loopback
        )
        try:
            yield SmtpStage(provider, fixture, mock, transport)
        finally:
            await transport.close()


async def record(provider: type[Connector], spec: Fixture) -> Fixture:
    """`spec` run against a fresh server: its output (or error code), no exchanges."""
    async with smtp_stage(provider, spec) as staged:
        result = await staged.run()
    return spec.model_copy(update={"exchanges": [], "output": result.output, "error": result.code})


def _fixtures(provider: type[Connector]) -> list[Fixture]:
    found = [f for f in provider.fixtures() if f.error is None]
    if not found:
        hint = RECORD_HINT.format(type=provider.spec.type)
        raise skip(f"{provider.spec.type} has no fixture that succeeds to run this with; {hint}")
    return found


# -- the checks, in their SMTP form


async def has_a_fixture(case: Case) -> None:
    provider, action = case.provider, case.the_action()
    if not any(fixture.action == action for fixture in provider.fixtures()):
        hint = RECORD_HINT.format(type=provider.spec.type).replace("ACTION", action)
        raise fail(f"{provider.spec.type}.{action} has no fixture; {hint}")


async def replay(case: Case) -> None:
    """A fixture replayed against a fresh server gives its output (or error), and the server
    received the message its parameters describe (or none, for a run that fails)."""
    fixture = case.the_fixture()
    async with smtp_stage(case.provider, fixture) as staged:
        result = await staged.run()
        problems = compare(staged, result)
    if problems:
        where = f"{case.provider.spec.type} fixture {fixture.name!r}"
        raise fail(f"{where} no longer replays:\n  " + "\n  ".join(problems))


def compare(staged: SmtpStage, result: Result) -> list[str]:
    """How the run differs from its fixture (nothing when it does not)."""
    fixture, received = staged.fixture, staged.mock.messages
    if fixture.error is not None or result.error is not None:
        if result.code != fixture.error:
            said = f" ({result.error.message})" if result.error is not None else ""
            return [f"ended with {result.code or 'an output'}{said}, not {fixture.error}"]
        return [] if not received else [f"the server received {len(received)} message(s)"]
    problems = []
    if result.output != fixture.output:
        problems.append(f"output is {_short(result.output)}, recorded {_short(fixture.output)}")
    if len(received) != 1:
        return [*problems, f"the server received {len(received)} message(s), not one"]
    [message] = received
    parameters, configuration = fixture.parameters, staged.configuration()
    expected = {
        "from": parameters.get("from_email") or configuration.get("from_email"),
        "to": tuple(parameters.get("to", [])),
        "cc": tuple(parameters.get("cc", [])),
        "subject": parameters.get("subject"),
        "envelope_to": tuple((fixture.output or {}).get("accepted", [])),
    }
    got = {
        "from": message.from_,
        "to": message.to,
        "cc": message.cc,
        "subject": message.subject,
        "envelope_to": message.envelope_to,
    }
    problems += [
        f"the message's {name} is {got[name]!r}, the fixture's {value!r}"
        for name, value in expected.items()
        if got[name] != value
    ]
    if not message.tls:
        problems.append("the message was sent without TLS")
    return problems


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 120 else text[:117] + "..."


async def no_secret_in_output(case: Case) -> None:
    fixture = case.the_fixture()
    async with smtp_stage(case.provider, fixture) as staged:
        result = await staged.run()
        secrets = staged.secret_values()
    refuse_leaks(case, fixture, result, secrets)


async def wrong_token(case: Case) -> None:
    """A wrong password gives AUTHENTICATION_FAILED, and nothing is sent."""
    fixture = _fixtures(case.provider)[0]
    async with smtp_stage(case.provider, fixture) as staged:
        result = await staged.run(password=WRONG_PASSWORD)
        received = staged.mock.messages
    _expect(result, AuthenticationFailed.code, f"{fixture.name!r} with a wrong password")
    if received:
        raise fail(f"{fixture.name!r} with a wrong password sent {len(received)} message(s)")


async def server_error(case: Case) -> None:
    """The server refusing the message at DATA: a 4xx (try again later) gives
    EXTERNAL_SERVICE_ERROR, a 5xx INVALID_OPERATION; neither is retried within the call."""
    fixture = case.the_fixture()
    for code, want in ((451, ExternalServiceError.code), (550, InvalidOperation.code)):
        async with smtp_stage(case.provider, fixture) as staged:
            staged.mock.reject_next(code=code, text=f"{code // 100}.0.0 refused by the contract")
            result = await staged.run()
            received = staged.mock.messages
        _expect(result, want, f"{fixture.name!r} answered {code} at DATA")
        if received:
            raise fail(f"{fixture.name!r} answered {code}: the server kept {len(received)}")


def _expect(result: Result, code: str, what: str) -> None:
    if result.code != code:
        said = f": {result.error.message}" if result.error is not None else ""
        raise fail(f"{what} gave {result.code or 'an output'}{said}, not {code}")


Run = Callable[[Case], Awaitable[None]]


def or_smtp(http_check: Run, smtp_check: Run | str) -> Run:
    """`http_check` for a provider that speaks HTTP; for one that speaks SMTP, `smtp_check`, or
    a skip saying `smtp_check` when it is the reason the check does not apply to SMTP."""

    @functools.wraps(http_check)
    async def run(case: Case) -> None:
        if not speaks_smtp(case.provider):
            await http_check(case)
        elif isinstance(smtp_check, str):
            not_for_smtp(case.provider, smtp_check)
        else:
            await smtp_check(case)

    return run
