"""Pure ASGI middleware: request ids, access logs and HTTP metrics; the body guard (size, JSON
sanity)."""

from __future__ import annotations

import itertools
import json
import logging
import math
import os
import re
import time
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from interlink.core.errors import (
    InterlinkError,
    InvalidRequest,
    PayloadTooLarge,
    UnsupportedMediaType,
    error_body,
)
from interlink.core.metrics import UNMATCHED, Metrics
from interlink.core.secrets import is_secret_name
from interlink.logs import MASK

log = structlog.get_logger("interlink.http")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
LOGGED_APART = "interlink_logged_apart"  # in a request's state: its own line is not written
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_FORBIDDEN_TEXT = re.compile("[\x00\ud800-\udfff]")
PARSED_JSON = "interlink.parsed_json"  # request state: the body guard's document, for handlers
_NOT_PARSED = object()
# A request id: 32 hex digits, this process's random half and a counter (no system call per
# request, where uuid4 reads the OS's random source each time).
_ID_PREFIX = os.urandom(8).hex()
_ID_COUNTER = itertools.count(int.from_bytes(os.urandom(4), "big"))


def new_request_id() -> str:
    return f"{_ID_PREFIX}{next(_ID_COUNTER) & 0xFFFFFFFFFFFFFFFF:016x}"


def scope_header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def route_template(scope: Scope) -> str:
    """The matched route's path template, as `/api/v1/integrations/{integration_id}`; UNMATCHED
    when no route matched. A route included from a router holds its path without the prefixes
    of the routers above it: those are the leading segments of the request's path (no route
    here takes a `{name:path}` parameter, so each parameter is one segment)."""
    template = getattr(scope.get("route"), "path", None)
    if not isinstance(template, str) or not template:
        return UNMATCHED
    path: str = scope["path"]
    return path.rsplit("/", template.count("/"))[0] + template


def loggable_path(scope: Scope) -> str:
    """The request's path for a log line: the value of a path parameter named like a secret (the
    workflow trigger's `{token}`) masked, whatever its shape. Secrets in other places, shaped like
    ours, are masked by the log's last step (`logs.scrub_text`)."""
    path: str = scope["path"]
    params = scope.get("path_params") or {}
    secret = {v for k, v in params.items() if is_secret_name(k) and isinstance(v, str) and v}
    if not secret:
        return path
    return "/".join(MASK if segment in secret else segment for segment in path.split("/"))


async def send_error(send: Send, error: InterlinkError, extra: list[tuple[bytes, bytes]]) -> None:
    body = json.dumps(error_body(error.code, error.message, error.details)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in error.headers.items()]
    await send(
        {"type": "http.response.start", "status": error.status_code, "headers": headers + extra}
    )
    await send({"type": "http.response.body", "body": body})


class RequestContextMiddleware:
    """Gives every request an id (kept from X-Request-ID when sane), logs it, counts it under its
    route template, and turns an unexpected exception into a 500 envelope that tells nothing of
    the internals."""

    def __init__(self, app: ASGIApp, metrics: Metrics | None = None) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = scope_header(scope, b"x-request-id")
        request_id = given if given and _REQUEST_ID.match(given) else new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started, status = time.perf_counter(), 500
        id_header = [(b"x-request-id", request_id.encode())]

        async def send_with_context(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                rate_headers = scope["state"].get("rate_limit_headers", {})
                extra = [(k.lower().encode(), v.encode()) for k, v in rate_headers.items()]
                existing = {k for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in extra if k not in existing]
                message["headers"] = [*message.get("headers", []), *id_header, *extra]
            await send(message)

        try:
            await self.app(scope, receive, send_with_context)
        except InterlinkError as error:  # raised outside a route (an outage in a middleware)
            if status == 500:
                await send_error(send_with_context, error, [])
        except Exception as exc:
            log.error("unhandled_error", error_type=type(exc).__name__, exc_info=True)
            if status == 500:
                await send_error(send, InterlinkError(), id_header)
        finally:
            took = time.perf_counter() - started
            if self.metrics is not None:
                route = route_template(scope)
                method = scope["method"] if scope["method"] in _METHODS else "OTHER"
                count, duration = self.metrics.http_child(method, route, status)
                count.inc()
                duration.observe(took)
            # Without INFO structlog's processors would run for nothing.
            if log.isEnabledFor(logging.INFO) and not scope["state"].get(LOGGED_APART):
                log.info(
                    "request",
                    method=scope["method"],
                    path=loggable_path(scope),
                    status=status,
                    duration_ms=round(took * 1000, 2),
                )
            structlog.contextvars.unbind_contextvars("request_id")


class BodyGuardMiddleware:
    """Refuses, before any route runs: bodies over the limit (413, without reading them whole),
    bodies that are not JSON where JSON is expected (415), invalid JSON, NUL bytes (in the body or
    the URL), lone surrogates, non-finite numbers and nesting deeper than the limit (400).

    Under `raw_prefixes` (providers' webhooks) only the size is checked: a body is signed as
    sent, in whatever content type the provider uses (Slack's forms, for one)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        max_depth: int,
        json_prefix: str = "/api/",
        raw_prefixes: tuple[str, ...] = ("/api/v1/hooks/",),
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_depth = max_depth
        self.json_prefix = json_prefix
        self.raw_prefixes = raw_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or b"%00" in scope.get("query_string", b""):
            error = InvalidRequest("The URL must not contain NUL characters")
            await send_error(send, error, [])
            return
        if scope["method"] in {"GET", "HEAD", "OPTIONS", "DELETE"}:
            await self.app(scope, receive, send)
            return
        try:
            body = await self._read(scope, receive)
            document = self._check(scope, body)
        except InterlinkError as error:
            await send_error(send, error, [])
            return
        if document is not _NOT_PARSED:
            scope.setdefault("state", {})[PARSED_JSON] = document
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _read(self, scope: Scope, receive: Receive) -> bytes:
        declared = scope_header(scope, b"content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise self._too_large()
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise self._too_large()
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(f"The request body is larger than {self.max_bytes} bytes")

    def _check(self, scope: Scope, body: bytes) -> Any:
        """The body's JSON document, checked; `_NOT_PARSED` where no JSON is expected."""
        path = scope["path"]
        if not body or not path.startswith(self.json_prefix) or path.startswith(self.raw_prefixes):
            return _NOT_PARSED
        content_type = (scope_header(scope, b"content-type") or "").split(";")[0].strip().lower()
        if content_type != "application/json" and not content_type.endswith("+json"):
            raise UnsupportedMediaType()
        try:
            document = json.loads(body)
        except UnicodeDecodeError:
            raise InvalidRequest("The request body is not valid UTF-8") from None
        except json.JSONDecodeError as exc:
            raise InvalidRequest(
                f"The request body is not valid JSON: {exc.msg} at {exc.pos}"
            ) from None
        except RecursionError:
            raise self._too_deep() from None
        except ValueError:  # an integer of more digits than Python converts
            raise InvalidRequest("The request body holds a number that is too long") from None
        self._walk(document, 0)
        return document

    def _walk(self, value: Any, depth: int) -> None:
        if depth > self.max_depth:
            raise self._too_deep()
        if isinstance(value, str):
            if _FORBIDDEN_TEXT.search(value):
                raise InvalidRequest("Strings must not contain NUL characters or lone surrogates")
        elif isinstance(value, float):
            if not math.isfinite(value):  # NaN, Infinity, or a number beyond a double's range
                raise InvalidRequest("Numbers must be finite JSON numbers")
        elif isinstance(value, dict):
            for key, item in value.items():
                self._walk(key, depth)
                self._walk(item, depth + 1)
        elif isinstance(value, list):
            for item in value:
                self._walk(item, depth + 1)

    def _too_deep(self) -> InvalidRequest:
        return InvalidRequest(f"The request body is nested deeper than {self.max_depth} levels")
