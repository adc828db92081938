"""A live `interlink serve` with its embedded worker on a loopback port (one per session) and
the GitHub mock its integrations call, for the resource commands; and how a test runs the CLI
as a user would, with INTERLINK_URL and INTERLINK_API_KEY set."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from interlink.cli.main import app
from interlink.testing import GitHubMock, RunningMock, serve_mock_in_thread
from tests.e2e.server import Server, start

API_KEY = "sk_test_cli_0123456789abcdefghijklmnop"
GITHUB_TOKEN = "ghp_cli_abcdefghijklmnopqrstuvwxyz"


@pytest.fixture(scope="session")
def cli_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {
        "INTERLINK_BOOTSTRAP_API_KEY": API_KEY,
        "INTERLINK_ALLOW_PRIVATE_URLS": "true",  # the mocks listen on 127.0.0.1
        "INTERLINK_API_RATE_LIMIT": "0",
        "INTERLINK_JOBS_POLLING_INTERVAL_SECONDS": "0.1",
    }
    running = start(tmp_path_factory.mktemp("cli") / "data", env)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def github() -> Iterator[RunningMock[GitHubMock]]:
    with serve_mock_in_thread(GitHubMock(token=GITHUB_TOKEN, repo="owner/repo")) as running:
        yield running


@dataclass(frozen=True)
class Cli:
    """Runs `interlink ...` in process (Typer's runner) against the live server."""

    url: str

    def run(self, *args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(app, list(args), input=input)

    def ok(self, *args: str) -> Result:
        result = self.run(*args)
        assert result.exit_code == 0, (result.stdout, result.stderr)
        return result

    def json(self, *args: str) -> Any:
        """The command's --json output, parsed (the command must succeed)."""
        return json.loads(self.ok(*args, "--json").stdout)


@pytest.fixture
def cli(cli_server: Server, monkeypatch: pytest.MonkeyPatch) -> Cli:
    for name in ("INTERLINK_URL", "INTERLINK_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INTERLINK_URL", cli_server.url)
    monkeypatch.setenv("INTERLINK_API_KEY", API_KEY)
    return Cli(cli_server.url)
