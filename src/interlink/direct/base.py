"""The machinery of direct integrations: a connector, a transport of its own, and for the sync
class an event loop on a thread of its own, so the pooled session lives on one loop."""

from __future__ import annotations

import asyncio
import threading
import uuid
import weakref
from collections.abc import Coroutine
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from interlink.config import TransportSettings
from interlink.core.clock import SystemClock
from interlink.providers.kit.action import Action, Connector
from interlink.providers.kit.context import ActionContext
from interlink.transport.breaker import MemoryBreakers
from interlink.transport.client import Transport
from interlink.transport.ratelimit import MemoryBudgetStore, RateLimiter
from interlink.transport.settings import call_settings
from interlink.transport.ssrf import AddressPolicy

T = TypeVar("T")
_CONFIGURATION_FIELDS = ("api_url", "auth_method", "request_timeout", "rate_limit_per_hour",
                         "rate_limiting", "request")  # fmt: skip


class DirectConfiguration(BaseModel):
    """The integration's configuration and its credentials in one object: configuration fields
    by name, every other field a credential."""

    model_config = ConfigDict(extra="allow")

    api_url: str | None = None
    auth_method: str | None = None
    request_timeout: float | None = Field(None, gt=0, le=300)
    rate_limit_per_hour: int | None = Field(None, ge=1)
    rate_limiting: dict[str, Any] | None = None
    request: dict[str, Any] | None = None

    def split(self, connector: type[Connector]) -> tuple[dict[str, Any], dict[str, Any]]:
        everything = self.model_dump(exclude_none=True)
        fields = {*_CONFIGURATION_FIELDS, *connector.configuration_fields}
        configuration = {k: v for k, v in everything.items() if k in fields}
        credentials = {k: v for k, v in everything.items() if k not in fields}
        configuration.setdefault("auth_method", connector.spec.default_auth_method)
        derived = connector.spec.api_url_from(configuration)
        if derived is not None:
            configuration["api_url"] = derived
        if connector.spec.default_api_url:
            configuration.setdefault("api_url", connector.spec.default_api_url)
        return configuration, credentials


class AsyncDirectIntegration:
    connector: ClassVar[type[Connector]]

    def __init__(self, configuration: DirectConfiguration) -> None:
        clock = SystemClock()
        self._configuration, self._credentials = configuration.split(self.connector)
        self._transport = Transport(
            clock,
            RateLimiter(MemoryBudgetStore(), clock),
            MemoryBreakers(clock),
            AddressPolicy(allow_private=True),  # a script may call what its own machine can reach
        )

    def _context(self, chosen: Action) -> ActionContext:
        """Each run has an idempotency key of its own, as an operation does: a provider that
        dedupes by it sees a retried write once, so an action marked idempotent may be
        retried here as in the service."""
        connector = self.connector
        auth_method = str(self._configuration["auth_method"])
        headers = connector.auth_headers(auth_method, self._credentials)
        settings = call_settings(self._configuration, TransportSettings())
        client = self._transport.client(
            "direct", settings, connector.facts(), headers, idempotent=chosen.idempotent
        )
        credentials = self._credentials if connector.spec.type == "smtp" else {}
        key = f"direct-{uuid.uuid4().hex}"
        return ActionContext(client, self._configuration, credentials, idempotency_key=key)

    async def run(self, action: str, **parameters: Any) -> Any:
        """Runs an action by name; the result as plain JSON data (dicts and lists)."""
        chosen = self.connector.actions[action]
        params = chosen.parse(parameters)
        output = await self.connector().run(action, self._context(chosen), params)
        return output.model_dump(mode="json")

    async def aclose(self) -> None:
        await self._transport.close()

    async def __aenter__(self: T) -> T:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()


def _shut_down(loop: _LoopThread, integration: AsyncDirectIntegration) -> None:
    """The sessions are closed on the loop they live on, then the loop stops."""
    try:
        loop.run(integration.aclose())
    finally:
        loop.stop()


class _LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="interlink-direct", daemon=True
        )
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


class DirectIntegration:
    """The sync twin: the same calls, run on a private event loop. A script that never calls
    `close()` is closed when the object is collected or the
    interpreter exits, so its pooled sessions are not left unclosed."""

    async_class: ClassVar[type[AsyncDirectIntegration]]

    def __init__(self, configuration: DirectConfiguration) -> None:
        self._loop = _LoopThread()
        self._async = self.async_class(configuration)
        self._closer = weakref.finalize(self, _shut_down, self._loop, self._async)

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self._loop.run(coroutine)

    def run(self, action: str, **parameters: Any) -> Any:
        return self._call(self._async.run(action, **parameters))

    def close(self) -> None:
        self._closer()  # once: later calls, collection and exit do nothing

    def __enter__(self: T) -> T:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
