"""Every call through the gateway is held against its budgets and charged once it landed: a
failed call is not charged, a stream cut midway is charged what it used, and a spent budget is
refused in the API's shape, or fallen back from along a route."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import openai
import pytest

from interlink.providers.kit.llm import ChatInput, ChatMessage
from tests.ai.gateway.conftest import llm_integration
from tests.conftest import ADMIN_KEY, data

USER: Any = [{"role": "user", "content": "hello there world"}]
PRICES = {"echo-1": {"input": "1000", "output": "2000"}, "cut": {"input": "1000", "output": "0"}}


async def _usage(client: httpx.AsyncClient) -> dict[str, Any]:
    total: dict[str, Any] = data(await client.get("/api/v1/ai/usage"))["total"]
    return total


async def test_a_call_is_charged_its_priced_usage_and_says_what_it_cost(
    client: httpx.AsyncClient, openai_client: openai.AsyncOpenAI
) -> None:
    await llm_integration(client, prices=PRICES)

    raw = await openai_client.chat.completions.with_raw_response.create(
        model="Echo/echo-1", messages=USER
    )

    cost = Decimal("0.009")  # 3 prompt tokens at $1,000/M, 3 completion at $2,000/M
    assert Decimal(raw.headers["x-interlink-cost"]) == cost
    assert Decimal((raw.parse().model_extra or {})["interlink"]["cost"]) == cost
    total = await _usage(client)
    assert (total["calls"], total["prompt_tokens"], total["completion_tokens"]) == (1, 3, 3)
    assert Decimal(total["cost_usd"]) == cost


async def test_a_failed_call_is_not_charged_and_a_cut_stream_is_charged_what_it_used(
    client: httpx.AsyncClient, openai_client: openai.AsyncOpenAI
) -> None:
    await llm_integration(client, prices=PRICES)

    with pytest.raises(openai.InternalServerError):
        await openai_client.chat.completions.create(model="Echo/down", messages=USER)
    after_failure = await _usage(client)
    stream = await openai_client.chat.completions.create(
        model="Echo/cut", messages=USER, stream=True
    )
    with pytest.raises(openai.APIError):
        await _drain(stream)

    # the failure is the model's error, charged nothing
    assert (after_failure["calls"], after_failure["errors"], after_failure["total_tokens"]) == (
        1, 1, 0,
    )  # fmt: skip
    assert Decimal(after_failure["cost_usd"]) == 0
    total = await _usage(client)
    # counted: the prompt's 17 characters and the one word streamed ("hello"), 4 to a token
    assert (total["calls"], total["prompt_tokens"], total["completion_tokens"]) == (2, 4, 1)
    assert Decimal(total["cost_usd"]) == Decimal("0.004")
    assert (total["errors"], total["error_rate"]) == (2, 1.0)  # the cut stream failed too


async def test_a_spent_budget_is_refused_in_openais_shape(
    client: httpx.AsyncClient, openai_client: openai.AsyncOpenAI
) -> None:
    iid = await llm_integration(client)
    budget = {"integration_id": iid, "period": "day", "limit_tokens": 10}
    assert (await client.post("/api/v1/ai/budgets", json=budget)).status_code == 201

    with pytest.raises(openai.APIStatusError) as raised:
        await openai_client.chat.completions.create(model="Echo/echo-1", messages=USER)

    assert raised.value.status_code == 402
    assert raised.value.code == "BUDGET_EXCEEDED"
    assert (await _usage(client))["calls"] == 0


async def test_a_route_falls_back_from_an_integration_whose_budget_is_spent(
    client: httpx.AsyncClient, openai_client: openai.AsyncOpenAI
) -> None:
    spent = await llm_integration(client, "Spent")
    other = await llm_integration(client, "Other")
    budget = {"integration_id": spent, "period": "day", "limit_tokens": 10}
    await client.post("/api/v1/ai/budgets", json=budget)
    targets = [{"integration": name, "model": "echo-1"} for name in ("Spent", "Other")]
    await client.post("/api/v1/ai/routes", json={"name": "smart", "targets": targets})

    raw = await openai_client.chat.completions.with_raw_response.create(
        model="smart", messages=USER
    )

    assert raw.headers["x-interlink-integration"] == other
    events = data(await client.get("/api/v1/events?page_size=100"))["items"]
    fallbacks = [e["data"] for e in events if e["event"] == "ai.fallback"]
    assert [(f["integration"], f["error_code"]) for f in fallbacks] == [
        ("Spent", "BUDGET_EXCEEDED")
    ]


async def _drain(stream: Any) -> None:
    async for _ in stream:
        pass


async def test_a_stream_its_caller_leaves_is_charged_what_it_used_at_once(
    client: httpx.AsyncClient, app: Any
) -> None:
    await llm_integration(client, prices=PRICES)
    services = app.state.services
    principal = await services.auth.authenticate(services.db, ADMIN_KEY)
    asked = ChatInput(model="x", messages=[ChatMessage(role="user", content="hello there world")])

    streamed = await services.ai_gateway.stream(principal, "Echo/echo-1", asked)
    first = await anext(streamed.chunks)
    await streamed.chunks.aclose()  # the caller went away after one chunk

    assert first.content == "hello"
    total = await _usage(client)
    assert (total["calls"], total["prompt_tokens"], total["completion_tokens"]) == (1, 4, 1)
    assert streamed.served.cost == Decimal("0.006")  # counted: 4 x $1,000/M + 1 x $2,000/M
