"""A call's hold outlives it only until the sweep: a process that died mid-call does not keep
its estimate held for the rest of the period."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from interlink.ai.usage.meter import HOLD_SECONDS
from interlink.core.clock import Clock, FrozenClock
from interlink.providers.kit.llm import ChatInput, ChatMessage, Usage
from tests.conftest import data
from tests.helpers.integrations import API_KEY, create_active

PARAMS = ChatInput(
    model="echo-1", messages=[ChatMessage(role="user", content="x" * 40)], max_tokens=100
)


@pytest.fixture
def clock() -> Clock:
    return FrozenClock(datetime(2026, 12, 7, 12, tzinfo=UTC))


async def _held(client: httpx.AsyncClient, budget_id: str) -> tuple[str, str]:
    shown = data(await client.get(f"/api/v1/ai/budgets/{budget_id}"))
    return shown["used"], shown["held"]


async def test_the_sweep_lets_go_of_a_dead_calls_hold_and_a_late_answer_is_still_counted(
    app: FastAPI, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    body = {"name": "Echo", "type": "echollm", "credentials": {"api_key": API_KEY}}
    iid = await create_active(client, body)
    created = await client.post("/api/v1/ai/budgets", json={"period": "day", "limit_tokens": 500})
    budget_id = data(created)["id"]
    services = app.state.services
    workspace_id = data(await client.get("/api/v1/workspaces"))["items"][0]["id"]
    dead = await services.meter.reserve(workspace_id, iid, "echollm", {}, PARAMS)
    late = await services.meter.reserve(workspace_id, iid, "echollm", {}, PARAMS)
    assert await _held(client, budget_id) == ("0", "220")

    clock.advance(HOLD_SECONDS - 1)
    assert await services.operations.interrupt_overdue() == 0
    assert await _held(client, budget_id) == ("0", "220")
    clock.advance(2)
    await services.operations.interrupt_overdue()

    assert await _held(client, budget_id) == ("0", "0")
    await services.meter.settle(late, Usage(prompt_tokens=10, completion_tokens=20), "chat")
    await services.meter.release(dead)
    assert await _held(client, budget_id) == ("30", "0")  # not let go of twice
