"""Serve a mock upstream on 127.0.0.1: an async context manager and a thread-backed twin."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aiohttp import web

from interlink.testing.base import MockUpstream

M = TypeVar("M", bound=MockUpstream)
T = TypeVar("T")

LOOPBACK = "127.0.0.1"
_THREAD_TIMEOUT = 30.0


@dataclass(frozen=True)
class RunningMock(Generic[M]):
    """A mock being served: where it listens, and the mock itself (its calls, faults, state)."""

    mock: M
    port: int
    host: str = LOOPBACK

    @property
    def url(self) -> str:
        """The server's root, e.g. `http://127.0.0.1:54321`."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """The provider's base URL on this server (root plus `mock.api_root`, e.g. `/api/v10`)."""
        return self.url + self.mock.api_root


@asynccontextmanager
async def serve_mock(
    mock: M, *, port: int = 0, shutdown_timeout: float = 5.0
) -> AsyncIterator[RunningMock[M]]:
    """Serve `mock` on 127.0.0.1 (a free port unless `port` is given) until the block ends.

    In-flight latency faults are cut short (their connections dropped) when the block ends;
    other in-flight requests get up to `shutdown_timeout` seconds to finish.
    """
    runner = web.AppRunner(
        mock.app(), access_log=None, handle_signals=False, shutdown_timeout=shutdown_timeout
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, LOOPBACK, port, reuse_address=True)
        await site.start()
        bound_port = int(runner.addresses[0][1])
        yield RunningMock(mock=mock, port=bound_port)
    finally:
        await runner.cleanup()


@contextmanager
def serve_mock_in_thread(mock: M, *, port: int = 0) -> Iterator[RunningMock[M]]:
    """`serve_mock` on an event loop in a background thread, for synchronous code and tests."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name=f"mock-{mock.name}", daemon=True)
    thread.start()
    try:
        served = serve_mock(mock, port=port)
        running = _run(loop, served.__aenter__())
        try:
            yield running
        finally:
            _run(loop, served.__aexit__(None, None, None))
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(_THREAD_TIMEOUT)
        loop.close()


def _run(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run_coroutine_threadsafe(coro, loop).result(_THREAD_TIMEOUT)
