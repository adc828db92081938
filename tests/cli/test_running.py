"""Commands that run things and follow them on a live server with its embedded worker:
`ops run` (now, and `--async --wait`), `workflows run --wait` showing each step as it
finishes, `executions`, and `events list|tail` (tail bounded by --count). Every wait polls the
server and is bounded by the command's --timeout; no test sleeps to time anything."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from interlink import Interlink
from interlink.testing import GitHubMock, RunningMock
from tests.cli.conftest import API_KEY, Cli
from tests.cli.test_resources import created_integration

REPO = ("--param", "owner=owner", "--param", "repo=repo")
FAST = ("--poll-interval", "0.05", "--timeout", "60")


def workflow_file(tmp_path: Path, name: str, steps: list[dict[str, Any]]) -> Path:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps({"name": name, "definition": {"steps": steps}}))
    return path


TWO_STEPS = [
    {"name": "first", "type": "set", "config": {"values": {"x": 1}}},
    {"name": "second", "type": "set", "config": {"values": {"y": 2}}},
]


def active_integration(cli: Cli, tmp_path: Path, github: RunningMock[GitHubMock]) -> str:
    integration_id = created_integration(cli, tmp_path, github, "ops gh")
    cli.ok("integrations", "activate", integration_id)
    return integration_id


# -- ops ------------------------------------------------------------------------------------------
def test_ops_list_and_run_now(cli: Cli, tmp_path: Path, github: RunningMock[GitHubMock]) -> None:
    integration_id = active_integration(cli, tmp_path, github)

    operations = cli.json("ops", "list", integration_id)
    ran = cli.json("ops", "run", integration_id, "get_repository", *REPO)
    shown = cli.ok("ops", "run", integration_id, "get_repository", *REPO).stdout
    history = cli.json("ops", "history", integration_id)

    assert "get_repository" in {op["id"] for op in operations}
    assert (ran["status"], ran["result"]["full_name"]) == ("completed", "owner/repo")
    assert "operation get_repository (op_" in shown
    assert "completed in" in shown
    assert '"full_name": "owner/repo"' in shown
    assert ran["operation_id"] in [r["operation_id"] for r in history]


def test_ops_run_async_and_wait_follows_it_to_the_end(
    cli: Cli, tmp_path: Path, github: RunningMock[GitHubMock]
) -> None:
    integration_id = active_integration(cli, tmp_path, github)

    done = cli.json(
        "ops", "run", integration_id, "get_repository", *REPO, "--async", "--wait", *FAST
    )
    queued = cli.json("ops", "run", integration_id, "get_repository", *REPO, "--async")
    for_people = cli.ok(
        "ops", "run", integration_id, "get_repository", *REPO, "--async", "--wait", *FAST
    ).stdout
    again = cli.json("ops", "get", integration_id, "get_repository", done["operation_id"])

    assert (done["status"], done["result"]["full_name"]) == ("completed", "owner/repo")
    assert queued["status"] == "queued"
    assert "completed" in for_people
    assert '"full_name": "owner/repo"' in for_people
    assert again["operation_id"] == done["operation_id"]
    assert again["status"] == "completed"


def test_a_failed_async_operation_exits_4_with_its_error(
    cli: Cli, tmp_path: Path, github: RunningMock[GitHubMock]
) -> None:
    integration_id = active_integration(cli, tmp_path, github)
    missing_repo = ("--param", "owner=owner", "--param", "repo=no-such-repo")

    result = cli.run(
        "ops", "run", integration_id, "get_repository", *missing_repo, "--async", "--wait", *FAST,
        "--json",
    )  # fmt: skip

    assert result.exit_code == 4, (result.stdout, result.stderr)
    assert json.loads(result.stdout)["status"] == "failed"
    assert result.stderr.startswith("EXTERNAL_RESOURCE_NOT_FOUND: ")


def test_ops_run_sync_failure_is_an_api_error(
    cli: Cli, tmp_path: Path, github: RunningMock[GitHubMock]
) -> None:
    integration_id = active_integration(cli, tmp_path, github)

    unknown = cli.run("ops", "run", integration_id, "no_such_operation")
    invalid = cli.run("ops", "run", integration_id, "get_repository", "--param", "owner=x")

    assert (unknown.exit_code, unknown.stderr.split(":")[0]) == (1, "OPERATION_NOT_FOUND")
    assert (invalid.exit_code, invalid.stderr.split(":")[0]) == (1, "PARAMETER_VALIDATION_ERROR")
    assert "repo" in invalid.stderr  # the field at fault is named


# -- workflows and executions ---------------------------------------------------------------------
def test_workflows_run_wait_shows_each_step_as_it_finishes(cli: Cli, tmp_path: Path) -> None:
    made = cli.json("workflows", "create", "-f", str(workflow_file(tmp_path, "two", TWO_STEPS)))
    listed = cli.json("workflows", "list")

    result = cli.ok("workflows", "run", made["id"], "--input", "name=Ada", "--wait", *FAST)

    assert made["id"] in [w["id"] for w in listed]
    lines = result.stdout.splitlines()
    first = next(i for i, line in enumerate(lines) if "step first (set) completed" in line)
    second = next(i for i, line in enumerate(lines) if "step second (set) completed" in line)
    assert lines[0].startswith("execution exec_")
    assert lines[0].endswith(" started")
    assert first < second
    assert "1 attempt" in lines[first]
    assert any(line.endswith(" completed") and line.startswith("execution ") for line in lines)


def test_workflows_run_wait_json_is_the_finished_execution(cli: Cli, tmp_path: Path) -> None:
    made = cli.json("workflows", "create", "-f", str(workflow_file(tmp_path, "two-j", TWO_STEPS)))

    execution = cli.json("workflows", "run", made["id"], "-i", "n=3", "--wait", *FAST)
    again = cli.json("executions", "get", execution["id"])
    listed = cli.json("executions", "list", "--workflow", made["id"])
    shown = cli.ok("executions", "get", execution["id"]).stdout

    assert execution["status"] == "completed"
    assert execution["input"] == {"n": 3}  # a JSON value stays JSON
    assert [(s["name"], s["status"]) for s in execution["steps"]] == [
        ("first", "completed"), ("second", "completed"),
    ]  # fmt: skip
    assert again["id"] == execution["id"]
    assert again["status"] == "completed"
    assert _ids(listed) == [execution["id"]]
    assert f"execution {execution['id']}" in shown
    assert "second" in shown


def test_a_wait_that_runs_out_exits_5_and_cancel_ends_the_execution(
    cli: Cli, tmp_path: Path
) -> None:
    steps = [{"name": "nap", "type": "delay", "config": {"seconds": 3600}}]
    made = cli.json("workflows", "create", "-f", str(workflow_file(tmp_path, "nap", steps)))

    waited = cli.run("workflows", "run", made["id"], "--wait", "--timeout", "0", "--json")
    started = cli.json("executions", "list", "--workflow", made["id"])[0]
    cancelled = cli.json("executions", "cancel", started["id"])
    final = cli.run("executions", "get", started["id"], "--json")

    assert waited.exit_code == 5
    assert waited.stderr.startswith(f"TIMED_OUT: execution {started['id']} is still ")
    assert cancelled["status"] == "cancelled"
    assert json.loads(final.stdout)["status"] == "cancelled"


def test_workflows_create_refuses_a_file_without_a_definition(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"name": "no steps"}))

    result = cli.run("workflows", "create", "-f", str(path))

    assert result.exit_code == 2
    assert result.stderr.startswith("INVALID_INPUT: ")
    assert "needs a name and a definition" in result.stderr


# -- events ---------------------------------------------------------------------------------------
def test_events_list_filters_by_type(
    cli: Cli, tmp_path: Path, github: RunningMock[GitHubMock]
) -> None:
    integration_id = created_integration(cli, tmp_path, github, "evented")

    events = cli.json(
        "events", "list", "--type", "integration.created", "--integration", integration_id
    )
    table = cli.ok("events", "list", "--limit", "5").stdout

    assert [e["event"] for e in events] == ["integration.created"]
    assert events[0]["integration_id"] == integration_id
    assert "integration.created" in table


def test_events_tail_after_an_event_replays_what_followed_and_stops_at_the_count(
    cli: Cli,
) -> None:
    marks = [cli.json("credentials", "create", "--name", f"mark {n}", "--type", "api_key",
                      "--data", "api_key=xxxxxxxxxxxx") for n in range(3)]  # fmt: skip
    first = cli.json("events", "list", "--type", "credential.created", "--limit", "3")[-1]

    result = cli.ok(
        "events", "tail", "--after", first["id"], "--type", "credential.*", "-n", "2", "--json"
    )

    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["event"] for e in lines] == ["credential.created", "credential.created"]
    assert [e["data"]["credential_id"] for e in lines] == [m["id"] for m in marks[1:]]


def test_events_tail_follows_the_live_stream(cli: Cli) -> None:
    """A thread makes a credential at a time until the tail has seen three; the tail sees
    only events committed after it connected, in order."""
    done = threading.Event()
    made: list[str] = []

    def produce() -> None:
        with Interlink(API_KEY, base_url=cli.url) as client:
            for n in range(200):  # bounded: at most 200 credentials
                if done.is_set():
                    return
                made.append(client.credentials.create_credential(
                    f"live {n}", "api_key", {"api_key": "y" * 12}
                ).id)  # fmt: skip
                done.wait(0.05)  # pacing the producer, not timing the test

    producer = threading.Thread(target=produce, daemon=True)
    producer.start()
    try:
        result = cli.run("events", "tail", "--type", "credential.created", "--count", "3")
    finally:
        done.set()
        producer.join(timeout=30)

    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert f"following events at {cli.url} (Ctrl-C to stop)" in result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    seen = [next(c for c in made if c in line) for line in lines]
    assert all("credential.created" in line for line in lines)
    assert seen == sorted(seen, key=made.index)


def _ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


def test_a_failed_execution_shows_the_failed_step_and_exits_4(
    cli: Cli, tmp_path: Path, github: RunningMock[GitHubMock]
) -> None:
    integration_id = active_integration(cli, tmp_path, github)
    missing = {"owner": "owner", "repo": "no-such-repo"}
    steps = [
        {"name": "ready", "type": "set", "config": {"values": {"ok": True}}},
        {
            "name": "call",
            "type": "action",
            "config": {
                "integration_id": integration_id,
                "operation": "get_repository",
                "parameters": missing,
            },
            "retry": {"max_attempts": 1},
        },
    ]
    made = cli.json("workflows", "create", "-f", str(workflow_file(tmp_path, "fails", steps)))

    result = cli.run("workflows", "run", made["id"], "--wait", *FAST)

    assert result.exit_code == 4, (result.stdout, result.stderr)
    assert "✓ step ready (set) completed" in result.stdout
    assert "✗ step call (action) failed" in result.stdout
    assert result.stderr.startswith("EXECUTION_FAILED: execution exec_")


def test_a_failed_connection_test_exits_4(
    cli: Cli, tmp_path: Path, github: RunningMock[GitHubMock]
) -> None:
    path = tmp_path / "bad-token.json"
    path.write_text(json.dumps({
        "name": "bad token", "type": "github",
        "configuration": {"api_url": github.api_url},
        "credentials": {"access_token": "ghp_wrong_abcdefghijklmnopqrstuv"},
    }))  # fmt: skip
    integration_id = cli.json("integrations", "create", "-f", str(path))["id"]

    result = cli.run("integrations", "test", integration_id)

    assert result.exit_code == 4, (result.stdout, result.stderr)
    assert "connection test failed in" in result.stdout


def test_ctrl_c_while_waiting_stops_the_wait_not_the_execution(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps = [{"name": "nap", "type": "delay", "config": {"seconds": 3600}}]
    made = cli.json("workflows", "create", "-f", str(workflow_file(tmp_path, "nap2", steps)))

    def ctrl_c(_: float) -> None:
        raise KeyboardInterrupt  # what the user's Ctrl-C raises in the waiting loop

    monkeypatch.setattr("interlink.cli.waiting.sleep", ctrl_c)
    result = cli.run("workflows", "run", made["id"], "--wait")
    started = cli.json("executions", "list", "--workflow", made["id"])[0]
    cli.json("executions", "cancel", started["id"])

    assert result.exit_code == 130
    assert result.stderr.startswith(f"INTERRUPTED: stopped waiting: execution {started['id']}")
    assert "it goes on on the server" in result.stderr
    assert started["status"] in {"pending", "running", "waiting"}
