"""Monitoring per model: each call's duration, time to the first token, generation speed and
failures, in the usage report, an integration's stats and `/metrics`."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from interlink.core.clock import Clock, FrozenClock
from interlink.providers.kit.llm import ChatInput, ChatMessage, Usage
from tests.conftest import data
from tests.helpers.integrations import API_KEY, create_active
from tests.metrics.conftest import scrape

PARAMS = ChatInput(model="echo-1", messages=[ChatMessage(role="user", content="hi")])


@pytest.fixture
def clock() -> Clock:
    return FrozenClock(datetime(2026, 12, 7, 12, tzinfo=UTC))


async def test_a_models_latency_first_token_speed_and_errors_are_shown(
    app: FastAPI, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    body = {"name": "Echo", "type": "echollm", "credentials": {"api_key": API_KEY}}
    iid = await create_active(client, body)
    meter = app.state.services.meter
    workspace_id = data(await client.get("/api/v1/workspaces"))["items"][0]["id"]

    streamed = await meter.reserve(workspace_id, iid, "echollm", {}, PARAMS)
    clock.advance(0.5)
    first_token_at = clock.now()
    clock.advance(2.0)  # 40 tokens in the 2 s after the first
    await meter.settle_stream(streamed, PARAMS, Usage(prompt_tokens=3, completion_tokens=40), "",
                              first_token_at=first_token_at)  # fmt: skip
    failed = await meter.reserve(workspace_id, iid, "echollm", {}, PARAMS)
    clock.advance(1.0)
    await meter.release(failed, "EXTERNAL_SERVICE_ERROR", "chat")
    clock.advance(1.0)  # the report runs until now, excluded

    [model] = data(await client.get("/api/v1/ai/usage"))["by_model"]
    assert (model["model"], model["calls"], model["errors"], model["error_rate"]) == (
        "echo-1", 2, 1, 0.5,
    )  # fmt: skip
    assert (model["latency_ms"], model["time_to_first_token_ms"]) == (1750.0, 500.0)
    assert model["tokens_per_second"] == 20.0
    assert (model["completion_tokens"], model["cost_usd"]) == (40, "0.000000000")  # not priced
    stats = data(await client.get(f"/api/v1/integrations/{iid}"))["stats"]["llm"]
    assert (stats["errors"], stats["tokens_per_second"]) == (1, 20.0)
    metrics = await scrape(client)
    labels = {"provider": "echollm", "model": "echo-1"}
    assert metrics.value("interlink_llm_call_duration_seconds_count", **labels) == 2
    assert metrics.value("interlink_llm_call_duration_seconds_sum", **labels) == 3.5
    assert metrics.value("interlink_llm_time_to_first_token_seconds_sum", **labels) == 0.5
    assert metrics.value("interlink_llm_output_tokens_per_second_count", **labels) == 1
    assert metrics.value("interlink_llm_errors_total", code="EXTERNAL_SERVICE_ERROR", **labels) == 1


async def test_a_budget_refusal_is_no_models_error(app: FastAPI, client: httpx.AsyncClient) -> None:
    body = {"name": "Echo", "type": "echollm", "credentials": {"api_key": API_KEY}}
    iid = await create_active(client, body)
    await client.post("/api/v1/ai/budgets", json={"period": "day", "limit_tokens": 1})

    refused = await client.post(
        f"/api/v1/integrations/{iid}/operations/chat",
        json={"parameters": {"model": "echo-1", "messages": [{"role": "user", "content": "hi"}]}},
    )

    assert refused.status_code == 402
    assert data(await client.get("/api/v1/ai/usage"))["total"]["calls"] == 0
