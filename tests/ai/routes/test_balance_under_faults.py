"""A weighted route over two real providers' mocks balances calls by weight, and under injected
faults falls back from the failing one: first on its errors, then, once its breaker opens,
without calling it at all. Every fallback is an `ai.fallback` event."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from typing import Any

import httpx
import openai
import pytest
from fastapi import FastAPI

from interlink.providers.openai.mock import OpenAIMock
from interlink.testing import Fault, RunningMock, serve_mock
from tests.conftest import data
from tests.helpers.integrations import create_active

HELLO: Any = [{"role": "user", "content": "Hello"}]
# Weights 3 and 1: a draw below 0.75 puts the first target first, from 0.75 the second.
DRAWS = (0.0, 0.25, 0.5, 0.8)


@pytest.fixture
async def mocks(app: FastAPI, client: httpx.AsyncClient) -> AsyncIterator[dict[str, Any]]:
    app.state.services.ai_routes.draw = itertools.cycle(DRAWS).__next__
    async with serve_mock(OpenAIMock()) as first, serve_mock(OpenAIMock()) as second:
        ids = {name: await _integration(client, name, running)
               for name, running in (("First", first), ("Second", second))}  # fmt: skip
        targets = [
            {"integration": "First", "model": "gpt-4o-mini", "weight": 3},
            {"integration": "Second", "model": "gpt-4o-mini", "weight": 1},
        ]
        route = {"name": "balanced", "strategy": "weighted", "targets": targets}
        assert (await client.post("/api/v1/ai/routes", json=route)).status_code == 201
        yield {"ids": ids, "First": first, "Second": second}


async def _integration(client: httpx.AsyncClient, name: str, running: Any) -> str:
    configuration = {"api_url": running.api_url, "auth_method": "api_key"}
    body = {"name": name, "type": "openai", "configuration": configuration}
    return await create_active(client, body | {"credentials": {"api_key": running.mock.token}})


async def _served(openai_client: openai.AsyncOpenAI, calls: int) -> list[str]:
    served = []
    for _ in range(calls):
        raw = await openai_client.chat.completions.with_raw_response.create(
            model="balanced", messages=HELLO, max_tokens=20
        )
        served.append(raw.headers["x-interlink-integration"])
    return served


async def test_calls_are_balanced_by_weight_and_fall_back_from_a_failing_target(
    mocks: dict[str, Any], openai_client: openai.AsyncOpenAI, client: httpx.AsyncClient
) -> None:
    first: RunningMock[OpenAIMock] = mocks["First"]
    second: RunningMock[OpenAIMock] = mocks["Second"]
    ids = mocks["ids"]

    balanced = await _served(openai_client, 8)
    first.mock.faults.add(Fault.error(503), times=10)
    under_fault = await _served(openai_client, 8)

    assert (balanced.count(ids["First"]), balanced.count(ids["Second"])) == (6, 2)
    assert under_fault == [ids["Second"]] * 8  # every call answered
    events = data(await client.get("/api/v1/events?type=ai.fallback&page_size=100"))
    fallbacks = [e["data"] for e in reversed(events["items"]) if e["event"] == "ai.fallback"]
    codes = [f["error_code"] for f in fallbacks]
    # the six calls drawn to the first target: five failures open its breaker, then it is passed
    assert codes == ["EXTERNAL_SERVICE_ERROR"] * 5 + ["CIRCUIT_OPEN"]
    assert len(first.mock.calls.all()) == 6 + 5  # nothing sent once its breaker was open
    assert len(second.mock.calls.all()) == 2 + 8
