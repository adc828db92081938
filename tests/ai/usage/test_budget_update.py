"""`PATCH /api/v1/ai/budgets/{id}`: a budget's limit or threshold changed, its period's use
kept, and the next call held against the new limit; bad changes refused and changing nothing."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import data, error
from tests.helpers.integrations import API_KEY, create_active


async def _echo(client: httpx.AsyncClient) -> str:
    body = {
        "name": "Echo",
        "type": "echollm",
        "configuration": {"auth_method": "api_key"},
        "credentials": {"api_key": API_KEY},
    }
    return await create_active(client, body)


async def _chat(client: httpx.AsyncClient, iid: str) -> httpx.Response:
    parameters = {"model": "echo-1", "messages": [{"role": "user", "content": "hi"}]}
    parameters["max_tokens"] = 9  # holds 10 tokens, uses 10
    return await client.post(
        f"/api/v1/integrations/{iid}/operations/chat", json={"parameters": parameters}
    )


async def _budget(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/ai/budgets", json={"period": "day", **body})
    assert response.status_code == 201, response.text
    found: dict[str, Any] = data(response)
    return found


async def test_a_raised_limit_lets_the_next_call_through_and_keeps_the_use(
    client: httpx.AsyncClient,
) -> None:
    iid = await _echo(client)
    budget = await _budget(client, integration_id=iid, limit_tokens=15)
    assert data(await _chat(client, iid))["status"] == "completed"
    assert (await _chat(client, iid)).status_code == 402

    changed = await client.patch(
        f"/api/v1/ai/budgets/{budget['id']}", json={"limitTokens": 25, "threshold_percent": 50}
    )

    assert changed.status_code == 200, changed.text
    shown = data(changed)
    assert (shown["limit"], shown["used"], shown["threshold_percent"]) == ("25", "10", 50)
    assert data(await _chat(client, iid))["status"] == "completed"
    again = data(await client.get(f"/api/v1/ai/budgets/{budget['id']}"))
    assert (again["limit"], again["used"]) == ("25", "20")


async def test_a_dollar_budget_takes_a_new_dollar_limit(client: httpx.AsyncClient) -> None:
    budget = await _budget(client, limit_usd="5.00")

    changed = data(
        await client.patch(f"/api/v1/ai/budgets/{budget['id']}", json={"limit_usd": "7.5"})
    )

    assert (changed["unit"], changed["limit"], changed["threshold_percent"]) == ("usd", "7.5", 80)


async def test_bad_changes_are_refused_and_change_nothing(client: httpx.AsyncClient) -> None:
    budget = await _budget(client, limit_tokens=100)
    path = f"/api/v1/ai/budgets/{budget['id']}"

    other_unit = await client.patch(path, json={"limit_usd": "1"})
    both = await client.patch(path, json={"limit_tokens": 5, "limit_usd": "1"})
    zero = await client.patch(path, json={"limit_tokens": 0})
    unknown_field = await client.patch(path, json={"period": "month"})
    missing = await client.patch("/api/v1/ai/budgets/bud_missing", json={"limit_tokens": 5})

    assert other_unit.status_code == 400
    assert "limit_tokens" in error(other_unit)["message"]
    assert [r.status_code for r in (both, zero, unknown_field)] == [400, 400, 400]
    assert (missing.status_code, error(missing)["code"]) == (404, "BUDGET_NOT_FOUND")
    shown = data(await client.get(path))
    assert (shown["unit"], shown["limit"], shown["period"]) == ("tokens", "100", "day")
