"""Serving mocks on loopback: async, on a chosen port, and from a background thread."""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.request
from typing import Any

import aiohttp
import pytest

import interlink.testing
from interlink.providers.builtin import BUILTIN_PROVIDERS
from interlink.testing import (
    MOCKS,
    Fault,
    HttpMock,
    MockUpstream,
    SlackMock,
    create_mock,
    serve_mock,
    serve_mock_in_thread,
)


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback mock
        return json.loads(response.read())


async def test_serves_on_loopback_at_a_free_port(session: aiohttp.ClientSession) -> None:
    async with serve_mock(HttpMock()) as running:
        assert running.host == "127.0.0.1"
        assert running.port > 0
        assert running.url == f"http://127.0.0.1:{running.port}"
        async with session.get(running.url + "/json-array") as response:
            assert response.status == 200


async def test_serves_on_the_port_it_is_given(session: aiohttp.ClientSession) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with serve_mock(HttpMock(), port=port) as running:
        assert running.port == port
        async with session.get(running.url + "/text") as response:
            assert response.status == 200


async def test_api_url_adds_the_providers_root() -> None:
    async with serve_mock(SlackMock()) as running:
        assert running.api_url == running.url + "/api"


async def test_stopping_cuts_short_a_pending_latency_fault(session: aiohttp.ClientSession) -> None:
    async def stopped_server() -> None:
        mock = HttpMock()
        mock.faults.add(Fault.latency(600))
        async with serve_mock(mock) as running:
            # POST: aiohttp would retry a GET once, against the stopped server
            request = asyncio.create_task(session.post(running.url + "/anything"))
            for _ in range(100_000):  # event-loop turns until the request has arrived
                if len(mock.calls):
                    break
                await asyncio.sleep(0)
            assert mock.calls.last.fault == "latency"
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await request

    await asyncio.wait_for(stopped_server(), timeout=30)


def test_thread_backed_server_for_synchronous_code() -> None:
    mock = HttpMock()
    with serve_mock_in_thread(mock) as running:
        items = _get_json(running.url + "/json-array")
        mock.faults.add(Fault.error(503))
        with pytest.raises(urllib.error.HTTPError) as raised:
            _get_json(running.url + "/json-array")
        raised.value.close()
    assert items[0]["id"] == 1
    assert raised.value.code == 503
    assert mock.calls.count("/json-array") == 2


def test_a_mock_for_every_builtin_connector() -> None:
    assert set(MOCKS) == set(BUILTIN_PROVIDERS) - {"smtp"}  # SMTP's mock is not HTTP
    for name, cls in MOCKS.items():
        mock = create_mock(name, token="t-123")
        assert isinstance(mock, cls)
        assert isinstance(mock, MockUpstream)
        assert mock.name == name
        assert "t-123" in mock.credentials.values()


def test_public_names_are_exported() -> None:
    exported = set(interlink.testing.__all__)
    for name in exported:
        assert hasattr(interlink.testing, name), name
    expected = {
        "Call",
        "CallLog",
        "Fault",
        "FaultKind",
        "FaultPlan",
        "MockUpstream",
        "RunningMock",
        "serve_mock",
        "serve_mock_in_thread",
        "create_mock",
        "MOCKS",
    }
    assert expected <= exported
    for cls in MOCKS.values():
        assert getattr(interlink.testing, cls.__name__) is cls
