"""`ops run` shows the progress an operation reports (an Ollama pull, its mock taking 2.5 s),
read from the live stream, run now or queued with --wait; --json prints the result alone, and a
key that cannot read events runs it without. Out of a terminal (the test's runner) each report
is a line of its own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from interlink.testing import OllamaMock, RunningMock, serve_mock_in_thread
from tests.cli.conftest import Cli

PACE = 0.1  # seconds between two lines of the mock's pull (26 lines)
FAST = ("--poll-interval", "0.05", "--timeout", "60")


@pytest.fixture
def ollama() -> Iterator[RunningMock[OllamaMock]]:
    with serve_mock_in_thread(OllamaMock(pace=PACE)) as running:
        yield running


def ollama_integration(cli: Cli, tmp_path: Path, ollama: RunningMock[OllamaMock]) -> str:
    path = tmp_path / "ollama.json"
    body = {"name": "cli ollama", "type": "ollama", "configuration": {"api_url": ollama.api_url}}
    path.write_text(json.dumps(body))
    integration_id: str = cli.json("integrations", "create", "-f", str(path))["id"]
    cli.ok("integrations", "activate", integration_id)
    return integration_id


def reports(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("pull_model: ")]


def test_a_pull_run_now_shows_its_progress_until_it_ends(
    cli: Cli, tmp_path: Path, ollama: RunningMock[OllamaMock]
) -> None:
    integration_id = ollama_integration(cli, tmp_path, ollama)

    shown = cli.ok("ops", "run", integration_id, "pull_model", "-p", "model=qwen2.5:0.5b").stdout
    quiet = cli.json("ops", "run", integration_id, "pull_model", "-p", "model=gemma3:1b")
    silent = cli.ok("ops", "run", integration_id, "show_model", "-p", "model=gemma3:1b").stdout

    said = reports(shown)
    assert len(said) >= 3, shown  # the first report, one a second after, and the last
    assert said[0] == "pull_model: pulling manifest"
    assert any(line.startswith("pull_model: pulling ") and line.endswith("%") for line in said)
    assert said[-1] == "pull_model: success 100%"
    assert "operation pull_model (op_" in shown
    assert "completed in" in shown
    assert quiet["result"]["status"] == "success"  # --json: the result alone, no progress
    assert reports(silent) == []
    assert "operation show_model (op_" in silent


def test_a_queued_pull_followed_with_wait_shows_the_workers_progress(
    cli: Cli, tmp_path: Path, ollama: RunningMock[OllamaMock]
) -> None:
    integration_id = ollama_integration(cli, tmp_path, ollama)
    pull = ("ops", "run", integration_id, "pull_model", "-p", "model=qwen2.5:0.5b", "--async")

    shown = cli.ok(*pull, "--wait", *FAST).stdout
    queued = cli.ok(*pull).stdout

    said = reports(shown)
    assert len(said) >= 3, shown
    assert said[-1] == "pull_model: success 100%"
    assert "completed in" in shown
    assert reports(queued) == []  # not followed: nothing to show
    assert "queued" in queued


def test_a_key_that_cannot_read_events_runs_the_operation_without_progress(
    cli: Cli, tmp_path: Path, ollama: RunningMock[OllamaMock]
) -> None:
    integration_id = ollama_integration(cli, tmp_path, ollama)
    writer = cli.json("keys", "create", "runner", "--scope", "integrations:write")["key"]

    ran = cli.run(
        "--api-key", writer, "ops", "run", integration_id, "pull_model", "-p", "model=gemma3:1b"
    )

    assert ran.exit_code == 0, ran.stderr
    assert reports(ran.stdout) == []
    assert "completed in" in ran.stdout
