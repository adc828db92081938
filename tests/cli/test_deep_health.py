"""A deep health check from the CLI (`interlink integrations health ID --deep`) and the SDK
(`check_health(id, deep=True)`, sync and async), against a live server (SQLite, and PostgreSQL
when set) whose openai integration calls OpenAI's mock: each makes one tiny completion."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from interlink import AsyncInterlink, Interlink
from interlink.providers.openai.mock import OpenAIMock
from interlink.testing import RunningMock
from tests.cli.conftest import Cli
from tests.e2e.server import Server
from tests.helpers.ai_server import DATABASES, ai_server, openai_integration, openai_mock

API_KEY = "sk_test_cli_deep_health_0123456789abcdef"


@pytest.fixture(scope="module", params=DATABASES)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp(f"deep-health-{request.param}") / "data"
    with ai_server(request.param, data_dir, API_KEY) as running:
        yield running


@pytest.fixture(scope="module")
def mock() -> Iterator[RunningMock[OpenAIMock]]:
    with openai_mock() as running:
        yield running


@pytest.fixture
def cli(server: Server, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("INTERLINK_URL", server.url)
    monkeypatch.setenv("INTERLINK_API_KEY", API_KEY)
    return Cli(server.url)


def _completions(mock: RunningMock[OpenAIMock]) -> int:
    return sum(call.path.endswith("/chat/completions") for call in mock.mock.calls.all())


def test_the_cli_runs_a_deep_check_and_shows_the_completion(
    cli: Cli, server: Server, mock: RunningMock[OpenAIMock]
) -> None:
    iid, _ = openai_integration(server.url, API_KEY, mock)
    before = _completions(mock)

    checked = cli.json("integrations", "health", iid, "--deep")
    plain = cli.json("integrations", "health", iid, "--check")
    shown = cli.ok("integrations", "health", iid, "--deep").stdout

    completion = next(c for c in checked["checks"] if c["name"] == "completion")
    assert completion["status"] == "passed"
    assert completion["time_to_first_token_ms"] is not None
    assert "completion" not in {c["name"] for c in plain["checks"]}
    assert "gpt-4.1-nano answered in" in " ".join(shown.split())
    assert _completions(mock) == before + 2  # the two deep checks, not the plain one


async def test_the_sdk_asks_for_a_deep_check_sync_and_async(
    server: Server, mock: RunningMock[OpenAIMock]
) -> None:
    iid, _ = openai_integration(server.url, API_KEY, mock)

    with Interlink(API_KEY, base_url=server.url) as client:
        deep = client.health.check_health(iid, deep=True)
        plain = client.health.check_health(iid)
    async with AsyncInterlink(API_KEY, base_url=server.url) as client:
        deep_async = await client.health.check_health(iid, deep=True)

    for run in (deep, deep_async):
        [completion] = [c for c in run.checks if c.name == "completion"]
        assert completion.status == "passed"
        assert completion.latency_ms is not None
        assert completion.time_to_first_token_ms is not None
    assert "completion" not in {c.name for c in plain.checks}
