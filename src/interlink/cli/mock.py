"""`interlink mock TYPE`: serve a provider's mock upstream on 127.0.0.1 until Ctrl-C or SIGTERM
(either one stops it cleanly: the SMTP mock's certificate folder is removed)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from types import FrameType
from typing import Annotated

import typer

from interlink.cli.output import console, emit_json, fail
from interlink.providers.smtp.mock import SmtpMock
from interlink.testing import MOCKS, MockUpstream, RunningMock, serve_mock

_TYPES = sorted([*MOCKS, "smtp"])


def mock(
    type: Annotated[str, typer.Argument(help=f"The connector type: {', '.join(_TYPES)}")],
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 picks a free one)")] = 0,
    token: Annotated[
        str | None, typer.Option(help="The token (or API key) the mock accepts")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the address as JSON")] = False,
) -> None:
    """Serve a mock upstream API on 127.0.0.1, with fault injection, until Ctrl-C."""
    if type not in _TYPES:
        fail(f"unknown mock type {type!r}; choose one of {', '.join(_TYPES)}", "INVALID_REQUEST")
    if not 0 <= port <= 65535:
        fail("the port must be between 0 and 65535", "INVALID_REQUEST")
    signal.signal(signal.SIGTERM, _interrupt)
    if type == "smtp":
        _serve_smtp(port, as_json)
        return
    upstream = MOCKS[type](token=token)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(upstream, port, as_json))


def _serve_smtp(port: int, as_json: bool) -> None:
    try:
        # The interrupt may come at any point once the handler is set: suppressed around the
        # whole block, so the mock's own exit always runs and the exit code is 0.
        with contextlib.suppress(KeyboardInterrupt), SmtpMock(tls="starttls", port=port) as server:
            info = {
                "type": "smtp", "host": server.host, "port": server.port,
                "credentials": {"user": server.username, "password": server.password},
                "ca_file": str(server.ca_path), "security": "starttls",
            }  # fmt: skip
            if as_json:
                emit_json(info)
            else:
                console.print(f"[bold green]smtp mock[/] listening at {server.host}:{server.port}")
                console.print(f"  STARTTLS; trust {server.ca_path}")
                console.print(f"  user: {server.username}", highlight=False)
                console.print(f"  password: {server.password}", highlight=False)
                console.print("  press Ctrl-C to stop")
            threading.Event().wait()
    except OSError as exc:
        fail(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}", "PORT_UNAVAILABLE")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM ends the mock as Ctrl-C does, through the context managers that clean up."""
    raise KeyboardInterrupt


async def _serve(upstream: MockUpstream, port: int, as_json: bool) -> None:
    try:
        async with serve_mock(upstream, port=port) as running:
            _announce(running, as_json)
            await asyncio.Event().wait()
    except OSError as exc:
        fail(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}", "PORT_UNAVAILABLE")


def _announce(running: RunningMock[MockUpstream], as_json: bool) -> None:
    info = {
        "type": running.mock.name,
        "url": running.url,
        "api_url": running.api_url,
        "credentials": running.mock.credentials,
    }
    if as_json:
        emit_json(info)
        return
    console.print(f"[bold green]{running.mock.name} mock[/] listening at {running.url}")
    console.print(f"  base URL:  {running.api_url}")
    for name, value in running.mock.credentials.items():
        console.print(f"  {name}: {value}", highlight=False)
    console.print("  press Ctrl-C to stop")
