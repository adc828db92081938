"""What every resource client shares: its HTTP client (made here, or shared with others), and
closing it when the client made it."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

import httpx

from interlink.sdk.client import DEFAULT_TIMEOUT, AsyncHTTP, AsyncSleep, Clock, SyncHTTP, SyncSleep
from interlink.sdk.retry import RetryPolicy


class SyncResource:
    """Takes `api_key` (or the seed's `access_token`; else INTERLINK_API_KEY), `base_url`
    (else INTERLINK_URL, else http://127.0.0.1:8080), `timeout`, `retry`, and for tests an httpx
    `transport`, a `sleep` and a monotonic `clock`; or an existing `http` client to share."""

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
        clock: Clock | None = None,
        http: SyncHTTP | None = None,
    ) -> None:
        self._owns_http = http is None
        self._http = http or SyncHTTP(
            api_key,
            access_token=access_token,
            base_url=base_url,
            timeout=timeout,
            retry=retry,
            transport=transport,
            sleep=sleep,
            clock=clock,
        )

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


class AsyncResource:
    """The asynchronous twin of SyncResource (`async with`, `await client.close()`)."""

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
        clock: Clock | None = None,
        http: AsyncHTTP | None = None,
    ) -> None:
        self._owns_http = http is None
        self._http = http or AsyncHTTP(
            api_key,
            access_token=access_token,
            base_url=base_url,
            timeout=timeout,
            retry=retry,
            transport=transport,
            sleep=sleep,
            clock=clock,
        )

    async def close(self) -> None:
        if self._owns_http:
            await self._http.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
