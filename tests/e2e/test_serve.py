"""`interlink serve` as a user runs it: a real process, a real socket."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import PG_URL, reset_postgres
from tests.e2e.server import Server, start

KEY = re.compile(r"sk_[A-Za-z0-9_\-]{20,}")
# uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status tells why it ended.
GRACEFUL = {0, -signal.SIGTERM}


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


def _first_key(server: Server) -> str:
    found = KEY.search("\n".join(server.banner))
    assert found, server.banner
    return found.group(0)


def test_first_start_prints_the_url_and_a_working_admin_key(
    tmp_path: Path, servers: list[Server]
) -> None:
    server = start(tmp_path / "data")
    servers.append(server)
    banner = "\n".join(server.banner)
    key = _first_key(server)

    listing = httpx.get(
        f"{server.url}/api/v1/integrations", headers={"Authorization": f"Bearer {key}"}
    )

    assert server.url in banner
    assert f"{server.url}/docs" in banner
    assert listing.status_code == 200
    assert listing.json()["data"]["items"] == []
    assert httpx.get(f"{server.url}/readyz").json()["data"] == {"ready": True}
    assert httpx.get(f"{server.url}/docs").status_code == 200
    assert httpx.get(f"{server.url}/api/v1/openapi").json()["info"]["title"] == "Interlink"
    key_file = tmp_path / "data" / "vault.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert (tmp_path / "data" / "interlink.db").exists()


def test_a_restart_keeps_the_data_and_prints_no_new_key(
    tmp_path: Path, servers: list[Server]
) -> None:
    first = start(tmp_path / "data")
    key = _first_key(first)
    auth = {"Authorization": f"Bearer {key}"}
    body = {"name": "H", "type": "http", "credentials": {"api_key": "k"}}
    created = httpx.post(f"{first.url}/api/v1/integrations", json=body, headers=auth).json()
    assert first.stop() in GRACEFUL

    second = start(tmp_path / "data")
    servers.append(second)
    fetched = httpx.get(f"{second.url}/api/v1/integrations/{created['data']['id']}", headers=auth)

    assert KEY.search("\n".join(second.banner)) is None
    assert fetched.status_code == 200
    assert fetched.json()["data"]["credentials"] == {"api_key": "•" * 26}


def test_the_bootstrap_key_from_the_environment_becomes_the_admin_key(
    tmp_path: Path, servers: list[Server]
) -> None:
    chosen = "sk_deploy_0123456789abcdefghijkl"
    server = start(tmp_path / "data", {"INTERLINK_BOOTSTRAP_API_KEY": chosen})
    servers.append(server)

    response = httpx.get(
        f"{server.url}/api/v1/api-keys", headers={"Authorization": f"Bearer {chosen}"}
    )

    assert _first_key(server) == chosen
    assert response.status_code == 200


@pytest.mark.postgres
def test_serve_on_postgresql(tmp_path: Path, servers: list[Server]) -> None:
    if not PG_URL:
        pytest.skip("INTERLINK_TEST_DATABASE_URL is not set: the PostgreSQL run is skipped")
    asyncio.run(reset_postgres(PG_URL))
    server = start(tmp_path / "data", {"INTERLINK_DATABASE_URL": PG_URL})
    servers.append(server)
    key = _first_key(server)

    response = httpx.get(
        f"{server.url}/api/v1/integrations", headers={"Authorization": f"Bearer {key}"}
    )

    assert response.status_code == 200
    assert not (tmp_path / "data" / "interlink.db").exists()


def test_sigterm_lets_the_request_in_flight_finish(tmp_path: Path) -> None:
    server = start(tmp_path / "data")
    key = _first_key(server)
    body = json.dumps({"name": "drained", "type": "http"}).encode()
    head = (
        f"POST /api/v1/integrations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\nExpect: 100-continue\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        connection.sendall(head + body[:5])
        # The server says 100 Continue once the app reads the body: the request is in flight.
        # A request still unread in the socket when the signal comes is not (it is refused).
        continued = b""
        while b"\r\n\r\n" not in continued:
            continued += connection.recv(1)
        assert continued.startswith(b"HTTP/1.1 100"), continued
        server.process.send_signal(signal.SIGTERM)
        server.wait_for_output("Shutting down")
        connection.sendall(body[5:])
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk

    assert answer.startswith(b"HTTP/1.1 201"), answer[:200]
    assert b'"name":"drained"' in answer
    assert server.process.wait(timeout=30) in GRACEFUL
