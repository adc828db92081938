"""Usage and budgets of the openai provider's calls, against its mock on a real socket: the
usage OpenAI's answer gives, priced from the repository's price list."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest

from interlink.ai.usage.prices import price_lists
from interlink.providers.openai.mock import OpenAIMock
from interlink.testing import RunningMock, serve_mock
from tests.conftest import data, error
from tests.connectors.conftest import create_active
from tests.connectors.conftest import run_operation as run

HELLO = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello"}]}


@pytest.fixture
async def served() -> AsyncIterator[RunningMock[OpenAIMock]]:
    async with serve_mock(OpenAIMock()) as running:
        yield running


async def _openai(client: httpx.AsyncClient, served: RunningMock[OpenAIMock]) -> str:
    configuration = {"api_url": served.api_url, "auth_method": "api_key"}
    body = {"name": "GPT", "type": "openai", "configuration": configuration}
    return await create_active(client, body | {"credentials": {"api_key": served.mock.token}})


async def test_a_chat_is_charged_the_usage_openai_said_at_its_listed_price(
    client: httpx.AsyncClient, served: RunningMock[OpenAIMock]
) -> None:
    iid = await _openai(client, served)

    said = data(await run(client, iid, "chat", **HELLO, max_tokens=30))["result"]["usage"]

    price = price_lists()["openai"].of("gpt-4o-mini")
    assert price is not None
    expected = (said["prompt_tokens"] * price.input + said["completion_tokens"] * price.output) / (
        10**6
    )
    report = data(await client.get(f"/api/v1/ai/usage?integration_id={iid}"))
    [model] = report["by_model"]
    assert (model["provider"], model["model"]) == ("openai", "gpt-4o-mini")
    assert (model["prompt_tokens"], model["completion_tokens"]) == (
        said["prompt_tokens"], said["completion_tokens"],
    )  # fmt: skip
    assert Decimal(model["cost_usd"]) == expected.quantize(Decimal("1E-9"))


async def test_a_chat_over_a_budget_never_reaches_openai(
    client: httpx.AsyncClient, served: RunningMock[OpenAIMock]
) -> None:
    iid = await _openai(client, served)
    budget = {"integration_id": iid, "period": "day", "limit_tokens": 50}
    assert (await client.post("/api/v1/ai/budgets", json=budget)).status_code == 201
    calls = len(served.mock.calls.all())

    refused = await run(client, iid, "chat", **HELLO, max_tokens=100)

    assert error(refused)["code"] == "BUDGET_EXCEEDED"
    assert len(served.mock.calls.all()) == calls
