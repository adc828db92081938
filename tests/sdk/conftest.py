"""A live `interlink serve` on a loopback port (one per session) and the GitHub mock it calls,
plus helpers for SDK tests that fake the API with httpx's MockTransport."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from interlink.testing import GitHubMock, RunningMock, serve_mock_in_thread
from tests.e2e.server import Server, start

API_KEY = "sk_test_sdk_0123456789abcdefghijklmnop"
# The tokens of the seed's examples: the mock accepts both (each has its own rate budget).
SEED_TOKEN = "ghp_abcdefghijklmnopqrstuvwxyz"
SEED_NEW_TOKEN = "ghp_newabcdefghijklmnopqrstuvwxyz"


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir: Path = tmp_path_factory.mktemp("sdk") / "data"
    env = {
        "INTERLINK_BOOTSTRAP_API_KEY": API_KEY,
        "INTERLINK_ALLOW_PRIVATE_URLS": "true",  # the mocks listen on 127.0.0.1
        "INTERLINK_API_RATE_LIMIT": "0",
        "INTERLINK_JOBS_EMBEDDED_WORKER": "false",
    }
    running = start(data_dir, env)
    try:
        yield running
    finally:
        running.stop()


LIMITED_KEY = "sk_test_sdk_limited_0123456789abcdefgh"


@pytest.fixture(scope="session")
def limited_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second live server whose keys may make 2 requests a minute; returns its URL."""
    env = {
        "INTERLINK_BOOTSTRAP_API_KEY": LIMITED_KEY,
        "INTERLINK_API_RATE_LIMIT": "2/minute",
        "INTERLINK_JOBS_EMBEDDED_WORKER": "false",
    }
    running = start(tmp_path_factory.mktemp("sdk-limited") / "data", env)
    try:
        yield running.url
    finally:
        running.stop()


WORKER_KEY = "sk_test_sdk_worker_0123456789abcdefgh"


@pytest.fixture(scope="session")
def worker_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live server with its embedded worker (workflow executions run); returns its URL."""
    env = {
        "INTERLINK_BOOTSTRAP_API_KEY": WORKER_KEY,
        "INTERLINK_API_RATE_LIMIT": "0",
        "INTERLINK_JOBS_POLLING_INTERVAL_SECONDS": "0.1",
    }
    running = start(tmp_path_factory.mktemp("sdk-worker") / "data", env)
    try:
        yield running.url
    finally:
        running.stop()


@pytest.fixture(scope="session")
def github() -> Iterator[RunningMock[GitHubMock]]:
    mock = GitHubMock(token=SEED_TOKEN, extra_tokens=(SEED_NEW_TOKEN,), repo="owner/repo")
    with serve_mock_in_thread(mock) as running:
        yield running


@pytest.fixture
def live(server: Server, monkeypatch: pytest.MonkeyPatch) -> str:
    """The server's URL, also in INTERLINK_URL (as a user would set it); returns the key."""
    monkeypatch.setenv("INTERLINK_URL", server.url)
    monkeypatch.delenv("INTERLINK_API_KEY", raising=False)
    return API_KEY


Handler = Callable[[httpx.Request], httpx.Response]


def envelope(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json={"status": "success", "data": data}, headers=headers)


def error_envelope(
    code: str, status: int, message: str = "nope", headers: dict[str, str] | None = None
) -> httpx.Response:
    body = {"status": "error", "error": {"code": code, "message": message, "details": []}}
    return httpx.Response(status, json=body, headers=headers)


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content) if request.content else None


class Recorder:
    """A MockTransport handler that answers from a script and keeps every request."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


class Sleeps:
    """An injected sleep: records the waits, never waits."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class AsyncSleeps(Sleeps):
    async def __call__(self, seconds: float) -> None:  # type: ignore[override]
        self.waits.append(seconds)
