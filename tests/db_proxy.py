"""A TCP proxy on loopback in front of the test PostgreSQL that a test can cut and restore: the
database going away under a running service, as when its server restarts or the network drops."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sqlalchemy.engine import make_url


class CuttableProxy:
    def __init__(self, target_url: str) -> None:
        parsed = make_url(target_url)
        self.target = (parsed.host or "127.0.0.1", parsed.port or 5432)
        self.target_url = target_url
        self.url = ""
        self.cut_off = False
        self._server: asyncio.Server | None = None
        self._streams: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = (
            make_url(self.target_url)
            .set(host="127.0.0.1", port=port)
            .render_as_string(hide_password=False)
        )

    def cut(self) -> None:
        """Drop every connection and refuse new ones until `restore`."""
        self.cut_off = True
        for writer in list(self._streams):
            writer.transport.abort()
        self._streams.clear()

    def restore(self) -> None:
        self.cut_off = False

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.cut_off:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._streams.update((writer, up_writer))
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        self._streams.difference_update((writer, up_writer))


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    writer.transport.abort()


@contextlib.asynccontextmanager
async def cuttable(target_url: str) -> AsyncIterator[CuttableProxy]:
    proxy = CuttableProxy(target_url)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()
