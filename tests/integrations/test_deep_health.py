"""A deep health check of a language model (`POST .../health/check?deep=true`) against each
provider's mock on a socket: a one-token completion of a one-word prompt with the integration's
model, its latency and time to first token, charged like any call; a spent budget said, not
raised; no completion without `deep`, nor for an integration that is no language model."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from interlink.providers.anthropic.mock import AnthropicMock
from interlink.providers.gemini.mock import GeminiMock
from interlink.providers.ollama.mock import OllamaMock
from interlink.providers.openai.mock import OpenAIMock
from interlink.testing import MockUpstream, RunningMock, serve_mock
from tests.conftest import data
from tests.helpers.integrations import create_active, http_integration


def _openai_limit(body: dict[str, Any]) -> Any:
    return body["max_completion_tokens"]


def _gemini_limit(body: dict[str, Any]) -> Any:
    return body["generationConfig"]["maxOutputTokens"]


def _ollama_limit(body: dict[str, Any]) -> Any:
    return body["options"]["num_predict"]


# type, mock, the model it is checked with (none given: the provider's cheapest, or Ollama's
# first listed), the chat's path, where its body says the answer's limit
PROVIDERS: dict[str, tuple[type[MockUpstream], str, str, Callable[[dict[str, Any]], Any]]] = {
    "openai": (OpenAIMock, "gpt-4.1-nano", "/chat/completions", _openai_limit),
    "anthropic": (AnthropicMock, "claude-haiku-4-5", "/v1/messages", lambda b: b["max_tokens"]),
    "gemini": (GeminiMock, "gemini-2.5-flash-lite", ":streamGenerateContent", _gemini_limit),
    "ollama": (OllamaMock, "llama3.2:latest", "/api/chat", _ollama_limit),
}


@pytest.fixture(params=sorted(PROVIDERS))
async def provider(request: pytest.FixtureRequest) -> AsyncIterator[tuple[str, RunningMock[Any]]]:
    mock_class = PROVIDERS[request.param][0]
    async with serve_mock(mock_class()) as running:
        yield request.param, running


async def _integration(
    client: httpx.AsyncClient, kind: str, running: RunningMock[Any], **configuration: Any
) -> str:
    body = {
        "name": f"{kind} model",
        "type": kind,
        "configuration": {"api_url": running.api_url, "auth_method": "api_key", **configuration},
        "credentials": running.mock.integration_credentials("api_key"),
    }
    return await create_active(client, body)


def _chats(running: RunningMock[Any], path: str) -> list[Any]:
    return [call for call in running.mock.calls.all() if call.path.endswith(path)]


async def _check(client: httpx.AsyncClient, iid: str, deep: bool) -> dict[str, Any]:
    suffix = "?deep=true" if deep else ""
    response = await client.post(f"/api/v1/integrations/{iid}/health/check{suffix}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = data(response)["health_check"]
    return found


async def test_a_deep_check_makes_one_tiny_completion_and_charges_it(
    client: httpx.AsyncClient, provider: tuple[str, RunningMock[Any]]
) -> None:
    kind, running = provider
    _, model, path, limit = PROVIDERS[kind]
    iid = await _integration(client, kind, running)

    run = await _check(client, iid, deep=True)

    checks = {c["name"]: c for c in run["checks"]}
    completion = checks["completion"]
    assert completion["status"] == "passed", completion
    assert completion["message"].startswith(f"{model} answered in ")
    assert completion["latency_ms"] is not None
    assert completion["time_to_first_token_ms"] is not None
    assert completion["time_to_first_token_ms"] <= completion["latency_ms"]
    assert run["status"] == "healthy"
    [chat] = _chats(running, path)
    assert limit(chat.json()) == 1
    usage = data(await client.get(f"/api/v1/ai/usage?integration_id={iid}"))["total"]
    assert (usage["calls"], usage["errors"]) == (1, 0)
    assert usage["total_tokens"] >= 1
    assert usage["time_to_first_token_ms"] is not None
    shown = data(await client.get(f"/api/v1/integrations/{iid}/health"))["health"]
    assert "completion" in {c["name"] for c in shown["checks"]}


async def test_without_deep_no_completion_is_made(
    client: httpx.AsyncClient, provider: tuple[str, RunningMock[Any]]
) -> None:
    kind, running = provider
    iid = await _integration(client, kind, running)

    run = await _check(client, iid, deep=False)

    assert "completion" not in {c["name"] for c in run["checks"]}
    assert _chats(running, PROVIDERS[kind][2]) == []
    usage = data(await client.get(f"/api/v1/ai/usage?integration_id={iid}"))["total"]
    assert usage["calls"] == 0


async def test_the_configured_default_model_is_the_one_asked(client: httpx.AsyncClient) -> None:
    async with serve_mock(OpenAIMock()) as running:
        iid = await _integration(client, "openai", running, default_model="gpt-4o")

        run = await _check(client, iid, deep=True)

        [completion] = [c for c in run["checks"] if c["name"] == "completion"]
        assert completion["message"].startswith("gpt-4o answered")
        [chat] = _chats(running, "/chat/completions")
        assert chat.json()["model"] == "gpt-4o"


async def test_a_spent_budget_is_reported_and_nothing_is_sent(
    client: httpx.AsyncClient, provider: tuple[str, RunningMock[Any]]
) -> None:
    kind, running = provider
    iid = await _integration(client, kind, running)
    budget = {"period": "day", "integration_id": iid, "limit_tokens": 1}
    assert (await client.post("/api/v1/ai/budgets", json=budget)).status_code == 201

    run = await _check(client, iid, deep=True)

    [completion] = [c for c in run["checks"] if c["name"] == "completion"]
    assert completion["status"] == "warning"
    assert completion["message"].startswith("Not tried, the budget is spent: ")
    assert run["status"] == "degraded"
    assert _chats(running, PROVIDERS[kind][2]) == []


async def test_a_model_the_provider_refuses_fails_the_completion_with_its_words(
    client: httpx.AsyncClient,
) -> None:
    async with serve_mock(AnthropicMock()) as running:
        iid = await _integration(client, "anthropic", running, default_model="claude-none-1")

        run = await _check(client, iid, deep=True)

    [completion] = [c for c in run["checks"] if c["name"] == "completion"]
    assert completion["status"] == "failed"
    assert completion["message"] == "EXTERNAL_RESOURCE_NOT_FOUND: model: claude-none-1"
    assert run["status"] == "unhealthy"
    usage = data(await client.get(f"/api/v1/ai/usage?integration_id={iid}"))["total"]
    assert (usage["calls"], usage["errors"]) == (1, 1)  # in the model's error rate, as any call
    assert (usage["total_tokens"], Decimal(usage["cost_usd"])) == (0, 0)  # and not charged


async def test_deep_changes_nothing_for_an_integration_that_is_no_language_model(
    client: httpx.AsyncClient,
) -> None:
    async with serve_mock(OpenAIMock()) as running:
        iid = await http_integration(client, running.api_url)

        plain = await _check(client, iid, deep=False)
        deep = await _check(client, iid, deep=True)

    names = [c["name"] for c in deep["checks"]]
    assert names == [c["name"] for c in plain["checks"]]
    assert "completion" not in names


async def test_no_completion_is_tried_when_the_credentials_are_refused(
    client: httpx.AsyncClient,
) -> None:
    async with serve_mock(AnthropicMock()) as running:
        body = {
            "name": "Claude", "type": "anthropic",
            "configuration": {"api_url": running.api_url, "auth_method": "api_key"},
            "credentials": {"api_key": "sk-ant-wrong"},
        }  # fmt: skip
        iid = await create_active(client, body)

        run = await _check(client, iid, deep=True)

        assert _chats(running, "/v1/messages") == []
    checks = {c["name"]: c for c in run["checks"]}
    assert checks["authentication"]["status"] == "failed"
    assert checks["completion"]["status"] == "skipped"
    assert checks["completion"]["message"] == "Not tried: the check failed first"


async def test_a_default_model_that_is_no_model_name_fails_the_completion_not_the_check(
    client: httpx.AsyncClient,
) -> None:
    async with serve_mock(OpenAIMock()) as running:
        iid = await _integration(client, "openai", running, default_model="m" * 300)

        run = await _check(client, iid, deep=True)

        assert _chats(running, "/chat/completions") == []
    [completion] = [c for c in run["checks"] if c["name"] == "completion"]
    assert completion["status"] == "failed"
    assert completion["message"].startswith(
        "INVALID_INTEGRATION_CONFIG: configuration.default_model is not a model name"
    )
