"""The gate that refuses a caller over its request limit before anything else is done for it.

A flood over the limit used to cost nearly as much as real work: each 429 read and parsed its
body, went through FastAPI's dependency solving and the limiter's store, and was answered through
the exception handlers. While a refusal stands (`RequestRateLimiter.refusal`), a request with an
API key this process holds in memory is answered here: a hash, two lookups and one pattern match,
no body read, no database and no store. Anything else goes on to the usual path, which
authenticates, counts and refuses as before.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from starlette.types import ASGIApp, Receive, Scope, Send

from interlink.api.deps import KNOWN_PRINCIPAL, Shared, bearer_value
from interlink.api.middleware import LOGGED_APART, scope_header, send_error
from interlink.auth.ratelimit import RateLimitState, identity_of
from interlink.core.errors import TooManyRequests

log = structlog.get_logger("interlink.http")
_PARAMETER = re.compile(r"\\\{[^}]+\\\}")  # an escaped `{name}`: one path segment


@dataclass(frozen=True)
class Operation:
    """One operation of the API: its path template (`path`, read for the request's log line and
    metrics as a matched route's) and whether it asks for the caller."""

    path: str
    authenticated: bool


class Operations:
    """The API's operations, from its OpenAPI document, matched by method and path in one
    pattern each. An operation that declares a security requirement asks for the caller; the
    public ones (health, providers' webhooks, the workflow trigger) declare none."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        listed: dict[str, list[Operation]] = {}
        for template, methods in document.get("paths", {}).items():
            for method, spec in methods.items():
                found = Operation(template, bool(spec.get("security")))
                listed.setdefault(method.upper(), []).append(found)
        self._listed = listed
        self._patterns = {method: self._pattern(ops) for method, ops in listed.items()}

    @staticmethod
    def _pattern(operations: list[Operation]) -> re.Pattern[str]:
        choices = (_PARAMETER.sub("[^/]+", re.escape(o.path)) for o in operations)
        return re.compile("^(?:" + "|".join(f"({c})" for c in choices) + ")$")

    def match(self, method: str, path: str) -> Operation | None:
        pattern = self._patterns.get(method)
        found = pattern.match(path) if pattern else None
        if found is None or found.lastindex is None:
            return None
        return self._listed[method][found.lastindex - 1]


class RefusalLog:
    """One log line per caller and second while its requests are refused, saying how many were,
    instead of a request line each: a flood of 429s must not become a flood of log lines (a
    line costs about as much as the refusal itself). The metrics still count every 429."""

    def __init__(self) -> None:
        self._since: dict[str, tuple[datetime, int]] = {}  # identity -> (last line, refused since)

    def refused(self, identity: str, at: datetime) -> None:
        logged, count = self._since.get(identity, (None, 0))
        if logged is None or (at - logged).total_seconds() >= 1.0:
            log.info("requests_refused", caller=identity, refused=count + 1, status=429)
            self._since[identity] = (at, 0)
        else:
            self._since[identity] = (logged, count + 1)


class OverLimitGate:
    def __init__(self, app: ASGIApp, prefix: str = "/api/") -> None:
        self.app = app
        self.prefix = prefix
        self._operations: Operations | None = None  # made at the first refusal
        self._log = RefusalLog()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefix):
            refused = self._refusal(scope)
            if refused is not None:
                services: Shared = scope["app"].state.services
                principal = scope["state"][KNOWN_PRINCIPAL]
                self._log.refused(identity_of(principal), services.clock.now())
                scope["state"][LOGGED_APART] = True
                await send_error(send, TooManyRequests(headers=refused.headers()), [])
                return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope) -> RateLimitState | None:
        """The 429 to answer now, if the caller is known and over its limit and the route asks
        for a caller (an unknown path is refused too: the limit comes first)."""
        services: Shared | None = getattr(scope["app"].state, "services", None)
        credential = bearer_value(scope_header(scope, b"authorization") or "")
        if services is None or credential is None:
            return None
        principal = services.auth.known_principal(credential)
        if principal is None:
            return None
        scope.setdefault("state", {})[KNOWN_PRINCIPAL] = principal  # not looked up twice
        refused = services.rate_limiter.refusal(identity_of(principal))
        if refused is None:
            return None
        if self._operations is None:
            self._operations = Operations(scope["app"].openapi())
        operation = self._operations.match(scope["method"], scope["path"])
        if operation is not None and not operation.authenticated:
            return None
        if operation is not None:
            scope["route"] = operation
        return refused
