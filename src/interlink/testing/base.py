"""The base of every mock upstream: an aiohttp app with the call recorder and fault plan."""

from __future__ import annotations

import asyncio
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import datetime
from http import HTTPStatus
from typing import Any, ClassVar
from wsgiref.handlers import format_date_time

from aiohttp import web
from aiohttp.typedefs import Handler

from interlink.core.clock import Clock, SystemClock
from interlink.testing.calls import CallLog
from interlink.testing.faults import FaultPlan, fault_middleware, retry_after_header

STOPPING = web.AppKey("stopping", asyncio.Event)


class MockUpstream(ABC):
    """A small stateful stand-in for a provider's API, served on a loopback socket.

    Subclasses set `name` (the connector type they stand in for), `api_root` (the path prefix of
    the provider's base URL, e.g. `/api/v10` for Discord) and `default_token`, add their routes,
    seed their state in `reset_state`, and say how their errors look. Tests read `calls`, queue
    faults on `faults`, and call `reset()` between cases. `clock` is injected so rate-limit
    windows and timestamps can be driven by a `FrozenClock`.
    """

    name: ClassVar[str]
    api_root: ClassVar[str] = ""
    default_token: ClassVar[str] = "test-token"  # noqa: S105
    # Where the provider's published API description is wrong about it, each with the reason: a
    # regular expression that matches an exchange's `METHOD /path` skips checking that
    # operation (`^POST /rest/api/3/search/jql\b`), else it excuses the problems it matches.
    description_gaps: ClassVar[Mapping[str, str]] = {}
    # Whether its rate-limited answer (`rate_limited_response`) says how long to wait; False for
    # a provider whose refusal names no wait (Salesforce's REQUEST_LIMIT_EXCEEDED).
    rate_limit_hint: ClassVar[bool] = True

    def __init__(self, *, token: str | None = None, clock: Clock | None = None) -> None:
        self.token = token or self.default_token
        self.clock: Clock = clock or SystemClock()
        self.faults = FaultPlan()
        self.calls = CallLog()
        self.reset_state()

    @property
    def credentials(self) -> dict[str, str]:
        """What a client must present to be let in (printed by `interlink mock`)."""
        return {"token": self.token}

    def app(self) -> web.Application:
        """A fresh aiohttp application over this mock's state (one per server)."""
        stopping = asyncio.Event()

        @web.middleware
        async def gate(request: web.Request, handler: Handler) -> web.StreamResponse:
            return await self.gate(request, handler)

        app = web.Application(
            middlewares=[fault_middleware(self.faults, self.calls, self, stopping), gate],
            client_max_size=16 * 1024 * 1024,
        )
        app[STOPPING] = stopping
        app.on_shutdown.append(_set_stopping)
        app.on_response_prepare.append(self._stamp)
        self.add_routes(app.router)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        return app

    def reset(self) -> None:
        """Forget calls and queued faults and go back to the seeded state."""
        self.calls.clear()
        self.faults.clear()
        self.reset_state()

    @abstractmethod
    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Register the provider's paths."""

    @abstractmethod
    def reset_state(self) -> None:
        """(Re)build the seeded state: called by the constructor and by `reset()`."""

    async def gate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Runs around every handler after faults: authentication, rate-limit budgets, headers."""
        return await handler(request)

    def rate_limited_response(self, retry_after: float) -> web.StreamResponse:
        """The provider's 429, used by `Fault.rate_limited`."""
        return json_response(
            {"message": "Too Many Requests"},
            status=429,
            headers={"Retry-After": retry_after_header(retry_after)},
        )

    def server_error_response(self, status: int) -> web.StreamResponse:
        """The provider's 5xx (or other error status), used by `Fault.error`."""
        return json_response({"message": _reason(status)}, status=status)

    def not_found_response(self, request: web.Request) -> web.StreamResponse:
        """What the provider answers on a path it does not have."""
        return json_response({"message": "Not Found"}, status=404)

    def missing_response(self, request: web.Request) -> web.StreamResponse:
        """What the provider answers when the resource `request` names does not exist (an
        unknown repository, channel or customer), used by `Fault.not_found`. By default its
        answer to an unknown path; override where the two differ (Slack: 200, `ok: false`)."""
        return self.not_found_response(request)

    def forbidden_response(self, request: web.Request) -> web.StreamResponse:
        """What the provider answers when the credentials may not do what `request` asks, used
        by `Fault.forbidden`."""
        return json_response({"message": "Forbidden"}, status=403)

    def integration_credentials(self, auth_method: str, token: str | None = None) -> dict[str, str]:
        """The credentials an integration using `auth_method` holds to call this mock, with
        `token` in place of the mock's own (a wrong one, to be refused). The contract suite
        calls the mock with them; override where the provider's fields differ."""
        secret = token if token is not None else self.token
        by_method = {
            "api_key": {"api_key": secret},
            "oauth": {"access_token": secret},
            "basic": {"username": "mock", "password": secret},
            "jwt": {"jwt_token": secret},
        }
        return by_method.get(auth_method, {"api_key": secret})

    def now(self) -> datetime:
        return self.clock.now()

    async def _stamp(self, request: web.Request, response: web.StreamResponse) -> None:
        """`Date` from the mock's clock and a `Server` of its own, so answers are the same on
        every run with a frozen clock (and recorded fixtures do not churn)."""
        response.headers["Date"] = format_date_time(self.now().timestamp())
        response.headers["Server"] = "interlink-mock"

    async def _not_found(self, request: web.Request) -> web.StreamResponse:
        return self.not_found_response(request)


async def _set_stopping(app: web.Application) -> None:
    app[STOPPING].set()


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def json_response(
    data: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """JSON with `application/json; charset=utf-8`, as the providers send it."""
    return web.Response(
        status=status,
        body=json.dumps(data).encode(),
        content_type="application/json",
        charset="utf-8",
        headers=dict(headers or {}),
    )


async def read_json(request: web.Request) -> Any:
    """The request body as JSON; raises `ValueError` when it is not (or is empty)."""
    raw = await request.read()
    return json.loads(raw) if raw else None
