"""A provider's mock served on a loopback socket, and its actions run against it through the real
transport (auth headers, budgets, retries, breaker, error table) on a frozen clock: waits are
recorded on the clock, never slept. No database: the transport is built as the direct interfaces
build theirs, and what comes back is scrubbed of the credential as the service scrubs it."""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from interlink.config import TransportSettings
from interlink.core.clock import FrozenClock
from interlink.core.errors import InterlinkError
from interlink.core.secrets import MIN_SECRET_LENGTH, Scrubber
from interlink.providers.kit.action import Connector
from interlink.providers.kit.context import ActionContext
from interlink.providers.kit.fixtures import Fixture
from interlink.testing.base import MockUpstream
from interlink.testing.calls import Call
from interlink.testing.contract.exchanges import MOCK_ORIGIN
from interlink.testing.server import RunningMock, serve_mock
from interlink.transport.auth import sent_forms
from interlink.transport.breaker import MemoryBreakers
from interlink.transport.client import ProviderClient, Transport
from interlink.transport.ratelimit import MemoryBudgetStore, RateLimiter
from interlink.transport.response import ProviderResponse
from interlink.transport.settings import call_settings
from interlink.transport.ssrf import AddressPolicy
from interlink.vault.masking import secret_values

START = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)  # where every run's frozen clock starts
KEY = "contract"  # the integration's key in the transport (its budget, breaker, observations)
IDEMPOTENCY_KEY = "op_contract"  # as the service gives each operation one


class NoMock(Exception):
    """The provider has no HTTP mock upstream (`MOCK` in its `mock` module)."""


@dataclass(frozen=True)
class Result:
    """How one run of an action ended: its output as JSON (scrubbed), or the error it raised."""

    output: Any = None
    error: InterlinkError | None = None

    @property
    def code(self) -> str | None:
        return self.error.code if self.error is not None else None


@dataclass(frozen=True)
class Sent:
    """One request an action asked the transport for, and whether the transport may repeat it
    (`ProviderClient.may_repeat`: an idempotent method, an action marked idempotent, or an
    Idempotency-Key)."""

    method: str
    path: str
    repeatable: bool


@dataclass
class Stage:
    """One fresh mock (built with the fixture's options) and one fresh transport."""

    provider: type[Connector]
    fixture: Fixture
    running: RunningMock[MockUpstream]
    clock: FrozenClock
    transport: Transport
    results: list[Result] = field(default_factory=list)
    secrets: Scrubber = field(default_factory=Scrubber)  # the last run's credential values
    credentials: dict[str, Any] = field(default_factory=dict)  # the last run's
    sent: list[Sent] = field(default_factory=list)  # what the actions asked the transport for

    @property
    def mock(self) -> MockUpstream:
        return self.running.mock

    @property
    def calls(self) -> list[Call]:
        return self.mock.calls.all()

    def configuration(self) -> dict[str, Any]:
        return {
            "api_url": self.running.api_url,
            "auth_method": self.provider.spec.default_auth_method,
            **self.served(self.fixture.configuration),
        }

    def served(self, value: Mapping[str, Any]) -> dict[str, Any]:
        """A fixture's configuration or parameters with `MOCK_ORIGIN` as the served mock's
        address (a URL the user gives that is not the provider's API: a Teams webhook's)."""
        found: dict[str, Any] = json.loads(json.dumps(value).replace(MOCK_ORIGIN, self.running.url))
        return found

    def context(self, *, token: str | None = None) -> ActionContext:
        """The context the service would hand the action, with the mock's credentials (or
        `token` in place of its own)."""
        configuration = self.configuration()
        auth_method = str(configuration["auth_method"])
        credentials = self.credentials = self.mock.integration_credentials(auth_method, token)
        action = self.provider.actions[self.fixture.action]
        client = self.client(configuration, credentials, idempotent=action.idempotent)
        return ActionContext(client, configuration, idempotency_key=IDEMPOTENCY_KEY)

    def client(
        self, configuration: Mapping[str, Any], credentials: dict[str, Any], *, idempotent: bool
    ) -> ProviderClient:
        headers = self.provider.auth_headers(str(configuration["auth_method"]), credentials)
        client = self.transport.client(
            KEY,
            call_settings(configuration, TransportSettings()),
            self.provider.facts(),
            headers,
            secrets=secret_values(credentials),
            idempotent=idempotent,
        )
        self._watch(client)
        return client

    def _watch(self, client: ProviderClient) -> None:
        """Notes each request the action makes (get, post... all go through `request`; a
        streamed answer through `stream`)."""
        request, stream = client.request, client.stream

        def note(method: str, path: str, idempotency_key: str | None) -> None:
            repeatable = client.may_repeat(method.upper(), idempotency_key)
            self.sent.append(Sent(method.upper(), path, repeatable))

        async def watched(method: str, path: str, **kwargs: Any) -> ProviderResponse:
            note(method, path, kwargs.get("idempotency_key"))
            return await request(method, path, **kwargs)

        def watched_stream(method: str, path: str, **kwargs: Any) -> Any:
            note(method, path, kwargs.get("idempotency_key"))
            return stream(method, path, **kwargs)

        setattr(client, "request", watched)  # noqa: B010 - an instance's, not the class's
        setattr(client, "stream", watched_stream)  # noqa: B010

    def secret_values(self) -> list[str]:
        """The last run's credential values, and the forms its headers sent them in."""
        headers = self.provider.auth_headers(
            str(self.configuration()["auth_method"]), self.credentials
        )
        return credential_forms(self.credentials, headers)

    async def run(
        self, *, token: str | None = None, parameters: Mapping[str, Any] | None = None
    ) -> Result:
        """Runs the fixture's action (with its parameters unless others are given)."""
        action = self.provider.actions[self.fixture.action]
        params = action.parse(
            self.served(self.fixture.parameters if parameters is None else parameters)
        )
        ctx = self.context(token=token)
        self.secrets = ctx.secrets
        result = await run_scrubbed(self.provider, action.name, ctx, params)
        self.results.append(result)
        return result


def credential_forms(credentials: Mapping[str, Any], headers: Mapping[str, str]) -> list[str]:
    """A run's credential values, and the forms `headers` send them in: what must not come
    back."""
    found = {*secret_values(dict(credentials)), *sent_forms(headers)}
    return sorted(value for value in found if len(value) >= MIN_SECRET_LENGTH)


async def run_scrubbed(
    provider: type[Connector], action: str, ctx: ActionContext, params: BaseModel
) -> Result:
    """Runs `action`: its output, or the error it ended with, without the credential's values
    (as the service shows them)."""
    try:
        output = await provider().run(action, ctx, params)
    except InterlinkError as failure:
        return Result(error=ctx.secrets.error(failure))
    return Result(output=ctx.secrets.data(output.model_dump(mode="json")))


def mock_of(provider: type[Connector]) -> type[MockUpstream]:
    found = provider.mock()
    if not (isinstance(found, type) and issubclass(found, MockUpstream)):
        raise NoMock(f"{provider.spec.type} has no HTTP mock upstream (MOCK in its mock module)")
    return found


def build_mock(
    provider: type[Connector], options: Mapping[str, Any], clock: FrozenClock
) -> MockUpstream:
    """The provider's mock with the fixture's options, on `clock` when it takes one."""
    mock_class = mock_of(provider)
    accepts = inspect.signature(mock_class).parameters
    extra: dict[str, Any] = {"clock": clock} if "clock" in accepts else {}
    mock = mock_class(**{**extra, **options})
    mock.reset()
    return mock


@asynccontextmanager
async def stage(provider: type[Connector], fixture: Fixture) -> AsyncIterator[Stage]:
    """A fresh mock for `fixture` served on 127.0.0.1, and a transport on a frozen clock."""
    clock = FrozenClock(START)
    mock = build_mock(provider, fixture.mock, clock)
    async with serve_mock(mock) as running:
        transport = Transport(
            clock,
            RateLimiter(MemoryBudgetStore(), clock),
            MemoryBreakers(clock),
            AddressPolicy(allow_private=True),  # the mock listens on loopback
        )
        try:
            yield Stage(provider, fixture, running, clock, transport)
        finally:
            await transport.close()
