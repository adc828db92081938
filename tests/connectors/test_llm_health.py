"""A language model's health shows its provider's windows: requests and tokens left (and, for
Anthropic, its output tokens left)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from interlink.providers.anthropic.mock import AnthropicMock
from interlink.providers.openai.mock import OpenAIMock
from interlink.testing.server import RunningMock, serve_mock
from tests.conftest import data
from tests.helpers.integrations import create_active


@pytest.fixture
async def openai() -> AsyncIterator[RunningMock[OpenAIMock]]:
    async with serve_mock(OpenAIMock(requests_per_minute=100, tokens_per_minute=50_000)) as running:
        yield running


async def test_the_rate_limit_check_says_the_requests_and_tokens_left(
    client: httpx.AsyncClient, openai: RunningMock[OpenAIMock]
) -> None:
    body = {
        "name": "Models", "type": "openai",
        "configuration": {"api_url": openai.api_url, "auth_method": "api_key"},
        "credentials": openai.mock.integration_credentials("api_key"),
    }  # fmt: skip
    iid = await create_active(client, body)
    chat = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello there"}]}
    ran = await client.post(
        f"/api/v1/integrations/{iid}/operations/chat", json={"parameters": chat}
    )
    assert ran.status_code == 200, ran.text

    checked = await client.post(f"/api/v1/integrations/{iid}/health/check")

    checks = {c["name"]: c for c in data(checked)["health_check"]["checks"]}
    message = checks["rate_limit"]["message"]
    assert re.fullmatch(r"Rate limit: \d+/100 remaining; Tokens: \d+/50000 remaining", message), (
        message
    )
    assert checks["rate_limit"]["status"] == "passed"


async def test_anthropics_rate_limit_check_also_says_its_output_tokens_left(
    client: httpx.AsyncClient,
) -> None:
    async with serve_mock(AnthropicMock()) as claude:
        body = {
            "name": "Claude", "type": "anthropic",
            "configuration": {"api_url": claude.api_url, "auth_method": "api_key"},
            "credentials": claude.mock.integration_credentials("api_key"),
        }  # fmt: skip
        iid = await create_active(client, body)
        chat = {"model": "claude-haiku-4-5", "max_tokens": 20}
        chat["messages"] = [{"role": "user", "content": "hello there"}]
        ran = await client.post(
            f"/api/v1/integrations/{iid}/operations/chat", json={"parameters": chat}
        )
        assert ran.status_code == 200, ran.text

        checked = await client.post(f"/api/v1/integrations/{iid}/health/check")

    checks = {c["name"]: c for c in data(checked)["health_check"]["checks"]}
    message = checks["rate_limit"]["message"]
    assert re.fullmatch(
        r"Rate limit: \d+/50 remaining; Tokens: \d+/30000 remaining; "
        r"Output tokens: \d+/8000 remaining",
        message,
    ), message
