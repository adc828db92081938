"""`interlink ai` against a live server (SQLite, and PostgreSQL when set) whose openai
integration calls OpenAI's mock: routes from flags and from a YAML file, budgets, usage, chat
streamed and as JSON, and bad input (an unknown route, an invalid budget, a spent budget)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from interlink.providers.openai.mock import OpenAIMock
from interlink.testing import RunningMock
from tests.cli.conftest import Cli
from tests.e2e.server import Server
from tests.helpers.ai_server import DATABASES, ai_server, openai_integration, openai_mock

API_KEY = "sk_test_cli_ai_0123456789abcdefghijklmn"


@pytest.fixture(scope="module", params=DATABASES)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp(f"cli-ai-{request.param}") / "data"
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


@pytest.fixture
def gpt(server: Server, mock: RunningMock[OpenAIMock]) -> tuple[str, str]:
    return openai_integration(server.url, API_KEY, mock)


def test_routes_from_flags_and_a_yaml_file_as_versions(
    cli: Cli, gpt: tuple[str, str], tmp_path: Path
) -> None:
    yaml = pytest.importorskip("yaml")
    _, name = gpt
    route = f"smart-{name}"
    path = tmp_path / "route.yaml"
    policy = {
        "strategy": "cheapest",
        "description": "the cheaper one first",
        "targets": [
            {"integration": name, "model": "gpt-4o", "price": 6.25},
            {"integration": name, "model": "gpt-4o-mini", "price": 0.6},
        ],
    }
    path.write_text(yaml.safe_dump(policy))

    first = cli.json("ai", "routes", "create", route, "--target", f"{name}/gpt-4o")
    second = cli.json("ai", "routes", "update", route, "-f", str(path))
    third = cli.json("ai", "routes", "update", route, "--description", "renamed")
    listed = cli.json("ai", "routes", "list")
    versions = cli.json("ai", "routes", "versions", route)
    older = cli.json("ai", "routes", "show", route, "--version", "1")
    shown = cli.ok("ai", "routes", "show", route).stdout
    models = cli.json("ai", "models")
    deleted = cli.json("ai", "routes", "delete", route, "--yes")
    gone = cli.run("ai", "routes", "show", route)

    assert [r["version"] for r in (first, second, third)] == [1, 2, 3]
    assert (third["strategy"], third["description"]) == ("cheapest", "renamed")
    assert [t["model"] for t in third["targets"]] == ["gpt-4o", "gpt-4o-mini"]
    assert route in [r["name"] for r in listed]
    assert [v["version"] for v in versions] == [3, 2, 1]
    assert [t["model"] for t in older["targets"]] == ["gpt-4o"]
    assert f"{name}/gpt-4o-mini" in shown
    assert route in models
    assert deleted == {"name": route, "deleted": True}
    assert gone.exit_code == 1
    assert "AI_ROUTE_NOT_FOUND" in gone.stderr


def test_bad_routes_are_refused_with_a_clear_error(
    cli: Cli, gpt: tuple[str, str], tmp_path: Path
) -> None:
    _, name = gpt
    bad_rule = tmp_path / "bad.json"
    rule = {"when": {"tools": True}, "use": ["elsewhere/model"]}
    bad_rule.write_text(
        json.dumps({"targets": [{"integration": name, "model": "gpt-4o"}], "rules": [rule]})
    )

    refused = cli.run("ai", "routes", "create", f"bad-{name}", "-f", str(bad_rule))
    no_slash = cli.run("ai", "routes", "create", f"bad-{name}", "--target", "gpt-4o")
    no_targets = cli.run("ai", "routes", "create", f"bad-{name}")
    unknown = cli.run("ai", "routes", "update", "no-such-route", "--target", f"{name}/gpt-4o")

    assert refused.exit_code == 1
    assert "INVALID_REQUEST" in refused.stderr
    assert "elsewhere/model" in refused.stderr
    assert (no_slash.exit_code, no_targets.exit_code) == (2, 2)
    assert "<integration>/<model>" in no_slash.stderr
    assert unknown.exit_code == 1
    assert "AI_ROUTE_NOT_FOUND" in unknown.stderr


def test_chat_streams_the_answer_and_says_who_served_it_and_the_cost(
    cli: Cli, gpt: tuple[str, str]
) -> None:
    iid, name = gpt
    route = f"chat-{name}"
    cli.ok("ai", "routes", "create", route, "-t", "missing/gpt-4o", "-t", f"{name}/gpt-4o-mini")

    streamed = cli.ok("ai", "chat", route, "Hello there")
    answer = cli.json("ai", "chat", f"{name}/gpt-4o", "Hello", "--max-tokens", "40")
    from_stdin = cli.run("ai", "chat", f"{name}/gpt-4o", "-", input="Piped in")

    assert streamed.stdout == "You said: Hello there\n"
    assert f"{name} / gpt-4o-mini via route {route}@1 after 1 fallback:" in streamed.stderr
    assert "tokens, $0.0" in streamed.stderr
    assert answer["content"] == "You said: Hello"
    assert (answer["served"]["integration_id"], answer["served"]["model"]) == (iid, "gpt-4o")
    assert answer["usage"]["total_tokens"] > 0
    assert Decimal(answer["served"]["cost"]) > 0
    assert from_stdin.stdout == "You said: Piped in\n"


def test_an_unknown_model_is_refused(cli: Cli) -> None:
    result = cli.run("ai", "chat", "no-such-route", "Hello")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert "MODEL_NOT_FOUND" in result.stderr
    assert "no-such-route" in result.stderr


def test_budgets_usage_and_a_spent_budget_refused_clearly(
    cli: Cli, gpt: tuple[str, str], tmp_path: Path
) -> None:
    iid, name = gpt
    path = tmp_path / "budget.json"
    path.write_text(json.dumps({"integration_id": iid, "period": "day", "limit_tokens": 60}))

    budget = cli.json("ai", "budgets", "create", "-f", str(path))
    cli.ok("ai", "chat", f"{name}/gpt-4o-mini", "Hello", "--max-tokens", "20")
    spent = cli.run("ai", "chat", f"{name}/gpt-4o-mini", "Hello", "--max-tokens", "200")
    changed = cli.json("ai", "budgets", "update", budget["id"], "--limit-tokens", "10000")
    cli.ok("ai", "chat", f"{name}/gpt-4o-mini", "Hello", "--max-tokens", "200")
    shown = cli.json("ai", "budgets", "show", budget["id"])
    listed = cli.json("ai", "budgets", "list")
    report = cli.json("ai", "usage", "--integration", iid)
    table = cli.ok("ai", "usage", "--integration", iid).stdout
    deleted = cli.json("ai", "budgets", "delete", budget["id"], "--yes")

    assert spent.exit_code == 1
    assert spent.stdout == ""
    assert "BUDGET_EXCEEDED" in spent.stderr
    assert f"budget {budget['id']} per day: limit 60 tokens, used " in spent.stderr
    assert "this call up to" in spent.stderr
    assert changed["limit"] == "10000"
    assert int(changed["used"]) > 0  # the first call's, kept
    assert int(shown["used"]) == report["total"]["total_tokens"] > 0
    assert budget["id"] in [b["id"] for b in listed]
    assert report["total"]["calls"] == 2
    assert [m["model"] for m in report["by_model"]] == ["gpt-4o-mini"]
    assert "openai/gpt-4o-mini" in table
    assert "first token ms" in table
    assert deleted == {"id": budget["id"], "deleted": True}


def test_invalid_budgets_are_refused(cli: Cli, gpt: tuple[str, str]) -> None:
    iid, _ = gpt

    both = cli.run("ai", "budgets", "create", "--period", "day", "--limit-tokens", "5",
                   "--limit-usd", "1")  # fmt: skip
    neither = cli.run("ai", "budgets", "create", "--period", "week", "--limit-tokens", "5")
    no_period = cli.run("ai", "budgets", "create", "--limit-tokens", "5")
    budget = cli.json("ai", "budgets", "create", "--period", "day", "--limit-usd", "2.50",
                      "--integration", iid)  # fmt: skip
    other_unit = cli.run("ai", "budgets", "update", budget["id"], "--limit-tokens", "5")
    nothing = cli.run("ai", "budgets", "update", budget["id"])
    missing = cli.run("ai", "budgets", "show", "bud_missing")

    assert (both.exit_code, neither.exit_code) == (1, 1)
    assert "limit_tokens and limit_usd" in both.stderr
    assert "period" in neither.stderr
    assert (no_period.exit_code, nothing.exit_code) == (2, 2)
    assert other_unit.exit_code == 1
    assert "limit_usd" in other_unit.stderr
    assert "BUDGET_NOT_FOUND" in missing.stderr
    assert cli.json("ai", "budgets", "show", budget["id"])["limit"] == "2.5"
    cli.ok("ai", "budgets", "delete", budget["id"], "--yes")


def test_a_stream_cut_midway_keeps_the_text_and_ends_with_the_error(
    cli: Cli, gpt: tuple[str, str], mock: RunningMock[OpenAIMock]
) -> None:
    _, name = gpt
    mock.mock.cut_stream_after = 2
    try:
        result = cli.run("ai", "chat", f"{name}/gpt-4o-mini", "Hello there, how are you")
    finally:
        mock.mock.cut_stream_after = None

    assert result.exit_code == 1
    assert result.stdout.startswith("You")
    assert result.stdout.endswith("\n")
    assert "EXTERNAL_SERVICE_ERROR" in result.stderr
