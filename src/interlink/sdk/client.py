"""The HTTP seam of the SDK: one sync and one async client over httpx, with the same behaviour.

A resource describes each request as a `Call` (method, path, body, how to read the data);
`SyncHTTP.run` and `AsyncHTTP.run` send it: base URL and API key, an Idempotency-Key on every
POST (the same key on each retry), retries (see `retry.py`) with an injectable `sleep`, the
envelope unwrapped, an error envelope raised as its exception class. httpx's exceptions never
leave this module: a connection that fails on every try raises InterlinkConnectionError.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Generic, TypeVar

import httpx

from interlink.sdk.errors import HttpError, InterlinkAPIError, InterlinkConnectionError, api_error
from interlink.sdk.retry import RetryPolicy, retry_after

T = TypeVar("T")

DEFAULT_URL = "http://127.0.0.1:8080"
API_PREFIX = "/api/v1"
DEFAULT_TIMEOUT = 30.0
# A stream sends a comment line every 15 s: a read that waits longer means the link is gone.
STREAM_TIMEOUT = httpx.Timeout(DEFAULT_TIMEOUT, read=60.0)
USER_AGENT = "interlink-python-sdk"

SyncSleep = Callable[[float], None]
AsyncSleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


@dataclass(frozen=True)
class Call(Generic[T]):
    """One API request and how to turn its `data` into the caller's type."""

    method: str
    path: str
    parse: Callable[[Any], T]
    json: Any = None
    params: Mapping[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    # False for a call the server may have acted on (and billed) when the link broke: sent again
    # only when the connection was never made.
    resend: bool = True


def resolve_base_url(base_url: str | None) -> str:
    return (base_url or os.environ.get("INTERLINK_URL") or DEFAULT_URL).rstrip("/")


def resolve_api_key(api_key: str | None, access_token: str | None) -> str | None:
    return api_key or access_token or os.environ.get("INTERLINK_API_KEY") or None


def _default_headers(api_key: str | None) -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    return headers


def _request_headers(call: Call[Any]) -> dict[str, str]:
    headers = dict(call.headers)
    if call.method.upper() == "POST" and not any(k.lower() == "idempotency-key" for k in headers):
        headers["Idempotency-Key"] = uuid.uuid4().hex
    return headers


def _params(call: Call[Any]) -> dict[str, Any] | None:
    if not call.params:
        return None
    return {k: v for k, v in call.params.items() if v is not None}


def error_from_response(response: httpx.Response) -> InterlinkAPIError:
    """The exception of an error response: its code's class, or HttpError for a non-envelope."""
    request_id = response.headers.get("x-request-id")
    hint = retry_after(response)
    try:
        error = response.json()["error"]
        code, message = str(error["code"]), str(error["message"])
        details = error.get("details") or []
    except (ValueError, KeyError, TypeError):
        text = response.text[:200]
        return HttpError(
            f"HTTP {response.status_code}: {text}",
            request_id=request_id,
            status_code=response.status_code,
            retry_after=hint,
        )
    return api_error(
        code,
        message,
        details=details,
        request_id=request_id,
        status_code=response.status_code,
        retry_after=hint,
    )


def read_data(response: httpx.Response) -> Any:
    """The `data` of a success envelope (None for an empty body), or the error raised."""
    if response.is_error:
        raise error_from_response(response)
    if response.status_code == 204 or not response.content:
        return None
    try:
        body = response.json()
    except ValueError:
        raise HttpError(
            "The server answered with a body that is not JSON",
            request_id=response.headers.get("x-request-id"),
            status_code=response.status_code,
        ) from None
    if isinstance(body, dict) and body.get("status") == "success" and "data" in body:
        return body["data"]
    return body


def _may_resend(call: Call[Any], exc: httpx.TransportError) -> bool:
    return call.resend or isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)


def _connection_error(exc: httpx.TransportError, url: str) -> InterlinkConnectionError:
    return InterlinkConnectionError(f"Cannot reach Interlink at {url}: {exc}")


def _broken_stream(exc: httpx.TransportError, url: str) -> InterlinkConnectionError:
    return InterlinkConnectionError(f"The stream from Interlink at {url} broke: {exc}")


def _sync_lines(response: httpx.Response, url: str) -> Iterator[str]:
    try:
        yield from response.iter_lines()
    except httpx.TransportError as exc:
        raise _broken_stream(exc, url) from exc


async def _async_lines(response: httpx.Response, url: str) -> AsyncIterator[str]:
    try:
        async for line in response.aiter_lines():
            yield line
    except httpx.TransportError as exc:
        raise _broken_stream(exc, url) from exc


class SyncHTTP:
    """The synchronous client: `run(call)` sends a Call with retries and returns its value."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        access_token: str | None = None,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: SyncSleep | None = None,
        headers: Mapping[str, str] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.base_url = resolve_base_url(base_url)
        self.retry = retry or RetryPolicy()
        self.sleep: SyncSleep = sleep or time.sleep
        self.clock: Clock = clock or time.monotonic
        key = resolve_api_key(api_key, access_token)
        self._client = httpx.Client(
            base_url=self.base_url + API_PREFIX,
            headers={**_default_headers(key), **(headers or {})},
            timeout=timeout,
            transport=transport,
        )

    def run(self, call: Call[T]) -> T:
        return call.parse(read_data(self.send(call)))

    def send(self, call: Call[Any]) -> httpx.Response:
        headers, params = _request_headers(call), _params(call)
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._client.request(
                    call.method, call.path, json=call.json, params=params, headers=headers
                )
            except httpx.TransportError as exc:
                delay = self.retry.delay_after_error(attempt) if _may_resend(call, exc) else None
                if delay is None:
                    raise _connection_error(exc, self.base_url) from exc
            else:
                delay = self.retry.delay_after_response(response, attempt)
                if delay is None:
                    return response
                response.close()
            self.sleep(delay)

    @contextlib.contextmanager
    def stream(self, call: Call[Any]) -> Iterator[Iterator[str]]:
        """The lines of a streamed answer (Server-Sent Events), read as they come; an error
        answer is raised as its exception before any line. Not retried."""
        request = self._client.build_request(
            call.method, call.path, json=call.json, params=_params(call),
            headers=dict(call.headers), timeout=STREAM_TIMEOUT,
        )  # fmt: skip
        try:
            response = self._client.send(request, stream=True)
        except httpx.TransportError as exc:
            raise _connection_error(exc, self.base_url) from exc
        try:
            if response.is_error:
                response.read()
                raise error_from_response(response)
            yield _sync_lines(response, self.base_url)
        finally:
            response.close()

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> SyncHTTP:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncHTTP:
    """The asynchronous twin of SyncHTTP."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        access_token: str | None = None,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: AsyncSleep | None = None,
        headers: Mapping[str, str] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.base_url = resolve_base_url(base_url)
        self.retry = retry or RetryPolicy()
        self.sleep: AsyncSleep = sleep or asyncio.sleep
        self.clock: Clock = clock or time.monotonic
        key = resolve_api_key(api_key, access_token)
        self._client = httpx.AsyncClient(
            base_url=self.base_url + API_PREFIX,
            headers={**_default_headers(key), **(headers or {})},
            timeout=timeout,
            transport=transport,
        )

    async def run(self, call: Call[T]) -> T:
        return call.parse(read_data(await self.send(call)))

    async def send(self, call: Call[Any]) -> httpx.Response:
        headers, params = _request_headers(call), _params(call)
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self._client.request(
                    call.method, call.path, json=call.json, params=params, headers=headers
                )
            except httpx.TransportError as exc:
                delay = self.retry.delay_after_error(attempt) if _may_resend(call, exc) else None
                if delay is None:
                    raise _connection_error(exc, self.base_url) from exc
            else:
                delay = self.retry.delay_after_response(response, attempt)
                if delay is None:
                    return response
                await response.aclose()
            await self.sleep(delay)

    @contextlib.asynccontextmanager
    async def stream(self, call: Call[Any]) -> AsyncIterator[AsyncIterator[str]]:
        """The asynchronous twin of SyncHTTP.stream."""
        request = self._client.build_request(
            call.method, call.path, json=call.json, params=_params(call),
            headers=dict(call.headers), timeout=STREAM_TIMEOUT,
        )  # fmt: skip
        try:
            response = await self._client.send(request, stream=True)
        except httpx.TransportError as exc:
            raise _connection_error(exc, self.base_url) from exc
        try:
            if response.is_error:
                await response.aread()
                raise error_from_response(response)
            yield _async_lines(response, self.base_url)
        finally:
            await response.aclose()

    async def close(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> AsyncHTTP:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
