"""Usage, cost and budgets of language-model calls made as operations, through the API."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI

from interlink.providers.kit.llm import ChatInput, ChatMessage
from tests.conftest import data, error
from tests.helpers.integrations import API_KEY, create_active
from tests.metrics.conftest import scrape

PRICES = {"echo-1": {"input": "1000", "output": "2000"}}  # $0.019 a call of 1 + 9 tokens


async def _integration(client: httpx.AsyncClient, **configuration: Any) -> str:
    body = {
        "name": f"Echo {len(configuration)}",
        "type": "echollm",
        "configuration": {"auth_method": "api_key", **configuration},
        "credentials": {"api_key": API_KEY},
    }
    return await create_active(client, body)


async def _chat(client: httpx.AsyncClient, iid: str, text: str = "hi") -> httpx.Response:
    parameters = {
        "model": "echo-1",
        "messages": [{"role": "user", "content": text}],
        "max_tokens": 9,
    }
    return await client.post(
        f"/api/v1/integrations/{iid}/operations/chat", json={"parameters": parameters}
    )


async def _budget(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/ai/budgets", json={"period": "day", **body})
    assert response.status_code == 201, response.text
    found: dict[str, Any] = data(response)
    return found


async def _events(client: httpx.AsyncClient, kind: str) -> list[dict[str, Any]]:
    listed = data(await client.get(f"/api/v1/events?event_type={kind}&page_size=100"))["items"]
    return [e for e in listed if e["event"] == kind]


async def test_a_call_records_its_tokens_and_cost_per_integration_and_model(
    client: httpx.AsyncClient,
) -> None:
    iid = await _integration(client, prices=PRICES)

    assert data(await _chat(client, iid))["result"]["message"]["content"] == "hi"
    embedded = await client.post(
        f"/api/v1/integrations/{iid}/operations/embeddings",
        json={"parameters": {"model": "echo-1", "input": ["a", "b"]}},
    )
    assert data(embedded)["status"] == "completed"

    report = data(await client.get(f"/api/v1/ai/usage?integration_id={iid}"))
    total = report["total"]
    assert {key: total[key] for key in ("calls", "errors", "error_rate")} == {
        "calls": 2, "errors": 0, "error_rate": 0.0
    }  # fmt: skip
    tokens = (total["prompt_tokens"], total["completion_tokens"], total["total_tokens"])
    assert tokens == (7, 9, 16)
    assert total["cost_usd"] == "0.025000000"
    assert total["latency_ms"] is not None
    assert total["time_to_first_token_ms"] is None
    assert [(m["provider"], m["model"], m["calls"]) for m in report["by_model"]] == [
        ("echollm", "echo-1", 2)
    ]
    assert [i["integration_id"] for i in report["by_integration"]] == [iid]
    spent = {"calls": 2, "prompt_tokens": 7, "completion_tokens": 9, "cost_usd": "0.025000000"}
    stats = data(await client.get(f"/api/v1/integrations/{iid}"))["stats"]["llm"]
    assert {key: stats[key] for key in spent} == spent
    health = data(await client.get(f"/api/v1/integrations/{iid}/health"))
    assert health["health"]["metrics"]["llm_24h"] == stats
    metrics = await scrape(client)
    labels = {"provider": "echollm", "model": "echo-1"}
    assert metrics.value("interlink_llm_tokens_total", kind="prompt", **labels) == 7
    assert metrics.value("interlink_llm_tokens_total", kind="completion", **labels) == 9
    assert round(metrics.value("interlink_llm_cost_usd_total", **labels), 6) == 0.025


async def test_a_call_that_would_pass_a_budget_is_refused_before_it_is_made(
    client: httpx.AsyncClient,
) -> None:
    iid = await _integration(client)
    budget = await _budget(client, integration_id=iid, limit_tokens=15)
    assert data(await _chat(client, iid))["status"] == "completed"  # holds 10, uses 10

    refused = await _chat(client, iid)

    assert refused.status_code == 402
    problem = error(refused)
    assert problem["code"] == "BUDGET_EXCEEDED"
    assert budget["id"] in problem["message"]
    held = problem["details"][1]  # after the operation's id
    assert {"budget_id": budget["id"], "limit": "15", "used": "10"}.items() <= held.items()
    shown = data(await client.get(f"/api/v1/ai/budgets/{budget['id']}"))
    assert (shown["used"], shown["held"]) == ("10", "0")
    assert len(await _events(client, "budget.exhausted")) == 1
    assert await _events(client, "budget.threshold_reached") == []  # 10 of 15: under 80 %


async def test_fifty_calls_racing_for_the_last_of_a_budget_never_pass_it(
    client: httpx.AsyncClient,
) -> None:
    iid = await _integration(client)
    budget = await _budget(client, limit_tokens=105)  # the workspace's: ten calls of 10 fit

    answers = await asyncio.gather(*(_chat(client, iid) for _ in range(50)))

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] * 10 + [402] * 40
    shown = data(await client.get(f"/api/v1/ai/budgets/{budget['id']}"))
    assert (shown["used"], shown["held"]) == ("100", "0")
    report = data(await client.get("/api/v1/ai/usage"))
    assert report["total"]["total_tokens"] == 100
    assert len(await _events(client, "budget.exhausted")) == 1
    [reached] = await _events(client, "budget.threshold_reached")
    assert reached["data"]["budget_id"] == budget["id"]
    assert reached["data"]["limit"] == "105"


async def test_a_failed_call_is_not_charged(client: httpx.AsyncClient) -> None:
    iid = await _integration(client, prices=PRICES)
    budget = await _budget(client, integration_id=iid, limit_usd="1.00")

    failed = await _chat(client, iid, "fail")

    assert error(failed)["code"] == "EXTERNAL_SERVICE_ERROR"
    shown = data(await client.get(f"/api/v1/ai/budgets/{budget['id']}"))
    assert (shown["unit"], shown["limit"], shown["used"], shown["held"]) == ("usd", "1", "0", "0")
    total = data(await client.get("/api/v1/ai/usage"))["total"]
    assert (total["calls"], total["errors"], total["total_tokens"], total["cost_usd"]) == (
        1, 1, 0, "0.000000000",
    )  # fmt: skip


async def test_a_dollar_budget_is_charged_the_priced_usage(client: httpx.AsyncClient) -> None:
    iid = await _integration(client, prices=PRICES)
    budget = await _budget(client, limit_usd="0.05", threshold_percent=50)

    assert data(await _chat(client, iid))["status"] == "completed"
    assert data(await _chat(client, iid))["status"] == "completed"
    refused = await _chat(client, iid)  # 0.038 used, 0.019 more would pass 0.05

    assert error(refused)["code"] == "BUDGET_EXCEEDED"
    shown = data(await client.get(f"/api/v1/ai/budgets/{budget['id']}"))
    assert shown["used"] == "0.038"
    assert len(await _events(client, "budget.threshold_reached")) == 1


async def test_a_stream_is_charged_what_it_said_or_what_it_gave(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    iid = await _integration(client)
    budget = await _budget(client, limit_tokens=1000)
    meter = app.state.services.meter
    integration = data(await client.get(f"/api/v1/integrations/{iid}"))
    params = ChatInput(
        model="echo-1", messages=[ChatMessage(role="user", content="x" * 40)], max_tokens=100
    )
    configuration = integration["configuration"]
    workspace_id = data(await client.get("/api/v1/workspaces"))["items"][0]["id"]
    held = await meter.reserve(workspace_id, iid, "echollm", configuration, params)
    shown = data(await client.get(f"/api/v1/ai/budgets/{budget['id']}"))
    assert shown["held"] == "110"  # 40 characters: 10 tokens, and max_tokens

    await meter.settle_stream(held, params, None, "y" * 20)  # cut after 20 characters

    shown = data(await client.get(f"/api/v1/ai/budgets/{budget['id']}"))
    assert (shown["used"], shown["held"]) == ("15", "0")
    report = data(await client.get("/api/v1/ai/usage"))
    assert report["total"]["prompt_tokens"] == 10
    assert report["total"]["completion_tokens"] == 5


async def test_budgets_are_listed_and_deleted(client: httpx.AsyncClient) -> None:
    budget = await _budget(client, limit_tokens=10, period="month")

    listed = data(await client.get("/api/v1/ai/budgets"))["items"]
    assert [(b["id"], b["period"], b["period_start"][8:10]) for b in listed] == [
        (budget["id"], "month", "01")
    ]
    assert data(await client.delete(f"/api/v1/ai/budgets/{budget['id']}"))["deleted"] is True
    missing = await client.get(f"/api/v1/ai/budgets/{budget['id']}")
    assert (missing.status_code, error(missing)["code"]) == (404, "BUDGET_NOT_FOUND")
    both = await client.post(
        "/api/v1/ai/budgets", json={"period": "day", "limit_tokens": 1, "limit_usd": "1"}
    )
    assert both.status_code == 400
