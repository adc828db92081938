"""Faults a mock upstream injects on demand: latency, 5xx, 429, dropped connections, garbage.

A mock owns a `FaultPlan`; tests queue faults on it and each request takes the first queued
fault that matches its method and path (FIFO), so `add(Fault.status(503), times=2)` answers the
next two matching requests with 503 and the third normally. The middleware built by
`fault_middleware` records every request in the mock's `CallLog` (with the fault it got),
applies the fault and records the answer; it is shared by all mocks, each of which says how
its own 429, 5xx, 403 and 404 look through `FaultResponder`.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Protocol

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from multidict import CIMultiDict, CIMultiDictProxy

from interlink.testing.calls import Answer, CallLog, make_call

GARBAGE_BODY = b"<html><body>502 Bad Gateway \xff\xfe\x00 not json</body></html>"


class FaultKind(StrEnum):
    LATENCY = "latency"
    STATUS = "status"
    RATE_LIMITED = "rate_limited"
    DROP = "drop"
    GARBAGE = "garbage"
    TRUNCATED = "truncated"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class Fault:
    """One injected misbehaviour. Build it with the class methods (`Fault.status(503)`...).

    `seconds` is the delay of a latency fault and the Retry-After of a rate_limited one;
    `body` overrides the body of a status, garbage or truncated fault; `reset` makes a drop
    send a TCP reset instead of a clean close.
    """

    kind: FaultKind
    seconds: float = 0.0
    status: int = 500
    body: bytes | None = None
    content_type: str = "application/json"
    reset: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", FaultKind(self.kind))  # also take "latency" etc.
        if self.seconds < 0:
            raise ValueError("seconds must not be negative")
        if not 100 <= self.status <= 599:
            raise ValueError("status must be an HTTP status code")

    @classmethod
    def latency(cls, seconds: float) -> Fault:
        """Wait `seconds` before answering normally."""
        return cls(FaultKind.LATENCY, seconds=seconds)

    @classmethod
    def error(cls, status: int = 500, body: bytes | None = None) -> Fault:
        """Answer `status` (5xx by default) with the provider's error body, or `body`."""
        return cls(FaultKind.STATUS, status=status, body=body)

    @classmethod
    def rate_limited(cls, retry_after: float = 1.0) -> Fault:
        """Answer 429 with Retry-After and the provider's own rate-limit body and headers."""
        return cls(FaultKind.RATE_LIMITED, seconds=retry_after, status=429)

    @classmethod
    def forbidden(cls) -> Fault:
        """Answer as the provider refuses a call the credentials may not make (403, or Slack's
        200 with `ok: false`)."""
        return cls(FaultKind.FORBIDDEN, status=403)

    @classmethod
    def not_found(cls) -> Fault:
        """Answer as the provider does when the resource asked for does not exist."""
        return cls(FaultKind.NOT_FOUND, status=404)

    @classmethod
    def drop(cls, *, reset: bool = False) -> Fault:
        """Close the connection without answering (a TCP reset when `reset`)."""
        return cls(FaultKind.DROP, reset=reset)

    @classmethod
    def garbage(cls, body: bytes = GARBAGE_BODY) -> Fault:
        """Answer 200 with a body that is not JSON, labelled application/json."""
        return cls(FaultKind.GARBAGE, status=200, body=body)

    @classmethod
    def truncated(cls, body: bytes = b'{"truncated": "this body is cut sho') -> Fault:
        """Answer 200 with a Content-Length larger than the body sent, then close."""
        return cls(FaultKind.TRUNCATED, status=200, body=body)


@dataclass
class _Entry:
    fault: Fault
    remaining: int | None
    path_prefix: str | None
    method: str | None

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path_prefix is None or path.startswith(self.path_prefix)
        )


class FaultPlan:
    """The queue of faults a mock will inject. Safe to fill from another thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[_Entry] = []

    def add(
        self,
        fault: Fault,
        times: int | None = 1,
        path_prefix: str | None = None,
        *,
        method: str | None = None,
    ) -> None:
        """Inject `fault` into the next `times` matching requests (every one when None)."""
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for every request)")
        entry = _Entry(fault, times, path_prefix, method.upper() if method else None)
        with self._lock:
            self._entries.append(entry)

    def take(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if one is queued; uses up one of its times."""
        with self._lock:
            for entry in self._entries:
                if not entry.matches(method, path):
                    continue
                if entry.remaining is not None:
                    entry.remaining -= 1
                    if entry.remaining == 0:
                        self._entries.remove(entry)
                return entry.fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        """How many entries are still queued."""
        with self._lock:
            return len(self._entries)


class FaultResponder(Protocol):
    """What a mock says when a fault asks for its 429, its 5xx, its 403 or its 404."""

    def rate_limited_response(self, retry_after: float) -> web.StreamResponse: ...

    def server_error_response(self, status: int) -> web.StreamResponse: ...

    def forbidden_response(self, request: web.Request) -> web.StreamResponse: ...

    def missing_response(self, request: web.Request) -> web.StreamResponse: ...


def retry_after_header(seconds: float) -> str:
    """Retry-After is whole seconds (RFC 9110): round up so a client never retries early."""
    return str(math.ceil(seconds))


def fault_middleware(
    plan: FaultPlan, calls: CallLog, responder: FaultResponder, stopping: asyncio.Event
) -> Middleware:
    """Record each request, then apply the fault queued for it (if any) before the handler."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        body = await request.read()
        fault = plan.take(request.method, request.path)
        call = make_call(request.method, request.path, request.query, request.headers, body)
        call = call if fault is None else replace(call, fault=fault.kind.value)
        calls.append(call)
        if fault is None:
            response = await handler(request)
        else:
            response = await _apply(fault, request, handler, responder, stopping)
        if fault is None or fault.kind is not FaultKind.DROP:
            calls.answered(call, answer_of(response))
        return response

    return middleware


def answer_of(response: web.StreamResponse) -> Answer:
    """What the mock answered, as the call log keeps it."""
    body = response.body if isinstance(response, web.Response) else None
    return Answer(
        status=response.status,
        headers=CIMultiDictProxy(CIMultiDict(response.headers)),
        body=bytes(body) if isinstance(body, bytes | bytearray) else None,
    )


async def _apply(
    fault: Fault,
    request: web.Request,
    handler: Handler,
    responder: FaultResponder,
    stopping: asyncio.Event,
) -> web.StreamResponse:
    match fault.kind:
        case FaultKind.LATENCY:
            if await _stopped_within(stopping, fault.seconds):
                return _drop(request, reset=False)
            return await handler(request)
        case FaultKind.STATUS:
            if fault.body is None:
                return responder.server_error_response(fault.status)
            return web.Response(
                status=fault.status, body=fault.body, content_type=fault.content_type
            )
        case FaultKind.RATE_LIMITED:
            return responder.rate_limited_response(fault.seconds)
        case FaultKind.FORBIDDEN:
            return responder.forbidden_response(request)
        case FaultKind.NOT_FOUND:
            return responder.missing_response(request)
        case FaultKind.DROP:
            return _drop(request, reset=fault.reset)
        case FaultKind.GARBAGE:
            return web.Response(status=200, body=fault.body, content_type=fault.content_type)
        case FaultKind.TRUNCATED:
            return await _truncated(request, fault.body or b"")


async def _stopped_within(stopping: asyncio.Event, seconds: float) -> bool:
    """Sleep `seconds`, or less when the mock is shutting down; True in the second case."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), timeout=seconds)
    return stopping.is_set()


def _drop(request: web.Request, *, reset: bool) -> web.StreamResponse:
    """Close the socket; aiohttp then fails to write the returned response and lets it go."""
    _close(request, reset=reset)
    return web.Response(status=200)


def _close(request: web.Request, *, reset: bool) -> None:
    transport = request.transport
    if transport is not None:
        if reset:
            transport.abort()
        else:
            transport.close()


async def _truncated(request: web.Request, body: bytes) -> web.StreamResponse:
    response = web.StreamResponse(status=200)
    response.content_type = "application/json"
    response.content_length = len(body) + 64
    await response.prepare(request)
    await response.write(body)
    _close(request, reset=False)
    return response
