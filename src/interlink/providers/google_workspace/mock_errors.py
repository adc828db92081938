"""Google's error answers, as its APIs send them:
`{"error": {"code", "message", "errors": [{"message", "domain", "reason"}], "status"}}`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from interlink.testing.base import json_response, read_json

STATUSES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
Obj = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Adds a route: method, path, handler, and the scopes of which a token needs one.
Route = Callable[[str, str, Handler, frozenset[str]], None]


class GoogleError(Exception):
    """One of Google's errors: raised by a handler, answered by the mock's gate."""

    def __init__(
        self,
        code: int,
        message: str,
        reason: str,
        *,
        domain: str = "global",
        detail: str | None = None,
        extra: Obj | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason
        self.domain = domain
        self.detail = detail or message  # the errors' item's message, where Google words it apart
        self.extra = extra or {}  # `location`, `locationType` of the errors' item
        self.headers = headers or {}

    def response(self) -> web.Response:
        item = {"message": self.detail, "domain": self.domain, "reason": self.reason}
        body = {
            "error": {
                "code": self.code,
                "message": self.message,
                "errors": [item | self.extra],
                "status": STATUSES.get(self.code, "UNKNOWN"),
            }
        }
        return json_response(body, status=self.code, headers=self.headers)


def invalid(message: str, reason: str = "invalid", **where: str) -> GoogleError:
    """A 400 about a parameter (`location="q", locationType="parameter"`)."""
    return GoogleError(400, message, reason, extra=where or None)


def not_found(message: str = "Not Found") -> GoogleError:
    return GoogleError(404, message, "notFound")


def unauthenticated() -> GoogleError:
    return GoogleError(
        401,
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
        "cookie or other valid authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project.",
        "authError",
        detail="Invalid Credentials",
        extra={"location": "Authorization", "locationType": "header"},
        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
    )


def insufficient_scopes() -> GoogleError:
    message = "Request had insufficient authentication scopes."
    return GoogleError(403, message, "insufficientPermissions", detail="Insufficient Permission")


def rate_limited(code: int) -> GoogleError:
    """429 `rateLimitExceeded`, or the 403 `userRateLimitExceeded` some APIs answer instead."""
    if code == 429:
        return GoogleError(429, "Rate Limit Exceeded", "rateLimitExceeded", domain="usageLimits")
    return GoogleError(
        403, "User Rate Limit Exceeded", "userRateLimitExceeded", domain="usageLimits"
    )


async def json_body(request: web.Request) -> Obj:
    try:
        data = await read_json(request)
    except ValueError:
        raise invalid("Invalid JSON payload received.", "parseError") from None
    if not isinstance(data, dict):
        raise invalid("Invalid JSON payload received. Expected an object.", "parseError")
    return data


def bounded(request: web.Request, name: str, default: int, most: int) -> int:
    """A page-size parameter: Google refuses one under 1 and reads one over `most` as `most`."""
    raw = request.query.get(name)
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        raise invalid(
            f"Invalid value '{raw}'. Values must match the following regular expression: '-?\\d+'",
            location=name,
            locationType="parameter",
        ) from None
    if value < 1:
        raise invalid("Invalid Value", location=name, locationType="parameter")
    return min(value, most)
