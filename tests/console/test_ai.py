"""The console's AI pages: routes with their versions and targets, and spend (the usage report
by model and by integration, with its monitoring fields) with the budgets and their use."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from interlink.core.clock import FrozenClock
from tests.ai.usage.conftest import echollm as echollm  # an echoing language model
from tests.conftest import data
from tests.console.readers import assert_clean, browser_with
from tests.helpers.integrations import API_KEY, create_active

ROUTE = {
    "name": "smart",
    "description": "cheap first",
    "targets": [
        {"integration": "Echo", "model": "echo-1", "price": 0.5},
        {"integration": "Echo", "model": "echo-2", "quality": "high"},
    ],
    "rules": [{"when": {"quality": "high"}, "use": ["Echo/echo-2"]}],
}


async def _chat(client: httpx.AsyncClient, iid: str, text: str) -> None:
    message = {"role": "user", "content": text}
    body = {"parameters": {"model": "echo-1", "messages": [message], "max_tokens": 9}}
    await client.post(f"/api/v1/integrations/{iid}/operations/chat", json=body)


async def test_routes_with_their_versions_and_targets(
    client: httpx.AsyncClient, signed_in: httpx.AsyncClient
) -> None:
    assert (await client.post("/api/v1/ai/routes", json=ROUTE)).status_code == 201
    changed = {"strategy": "cheapest", "targets": [{"integration": "Echo", "model": "echo-3"}]}
    assert data(await client.put("/api/v1/ai/routes/smart", json=changed))["version"] == 2
    listing = await signed_in.get("/console/ai/routes")
    assert listing.status_code == 200
    assert '<a href="/console/ai/routes/smart"><code>smart</code></a>' in listing.text
    assert "<code>Echo/echo-3</code>" in listing.text
    current = await signed_in.get("/console/ai/routes/smart")
    assert "version 2" in current.text
    assert "Targets (cheapest)" in current.text
    assert current.text.count('<tr class="target">') == 1
    assert 'href="/console/ai/routes/smart?version=1">1</a>' in current.text
    first = await signed_in.get("/console/ai/routes/smart?version=1")
    assert "version 1 (current: 2)" in first.text
    assert first.text.count('<tr class="target">') == 2
    assert "<code>quality = high</code>: use <code>Echo/echo-2</code>" in first.text
    missing = await signed_in.get("/console/ai/routes/nope")
    assert missing.status_code == 404
    assert_clean(current.text)


async def test_spend_by_model_and_integration_as_the_usage_report_says(
    client: httpx.AsyncClient, signed_in: httpx.AsyncClient, clock: FrozenClock
) -> None:
    body = {"name": "Echo", "type": "echollm", "credentials": {"api_key": API_KEY}}
    iid = await create_active(client, body)
    for text in ("hi", "there", "fail"):
        await _chat(client, iid, text)
    clock.advance(1)  # the report runs until now, excluded
    report = data(await client.get("/api/v1/ai/usage"))
    [model] = report["by_model"]
    assert (model["calls"], model["errors"]) == (3, 1)
    page = await signed_in.get("/console/ai/spend")
    assert page.status_code == 200
    row = page.text[page.text.index('<tr class="model">') :]
    row = row[: row.index("</tr>")]
    assert "<code>echollm/echo-1</code>" in row
    assert f"<td>{model['calls']}</td>" in row
    assert f'<td>{model["errors"]} <span class="muted">(33.3%)</span></td>' in row
    assert f"{model['latency_ms']} ms" in row
    assert f"<td>{model['prompt_tokens']} / {model['completion_tokens']}</td>" in row
    assert f"<td>${model['cost_usd']}</td>" in row
    assert f'<a href="/console/integrations/{iid}">Echo</a>' in page.text
    assert API_KEY not in page.text
    assert_clean(page.text)


async def test_budgets_with_their_use(
    client: httpx.AsyncClient, signed_in: httpx.AsyncClient, clock: FrozenClock
) -> None:
    body = {"name": "Echo", "type": "echollm", "credentials": {"api_key": API_KEY}}
    iid = await create_active(client, body)
    budget = data(
        await client.post(
            "/api/v1/ai/budgets",
            json={
                "period": "day",
                "limit_tokens": 40,
                "threshold_percent": 50,
                "integration_id": iid,
            },
        )
    )
    await _chat(client, iid, "hi")
    await _chat(client, iid, "again")
    clock.advance(1)
    described = data(await client.get(f"/api/v1/ai/budgets/{budget['id']}"))
    page = await signed_in.get("/console/ai/spend?days=1")
    assert page.status_code == 200
    row = page.text[page.text.index('<tr class="budget">') :]
    row = row[: row.index("</tr>")]
    assert f"<code>{budget['id']}</code>" in row
    assert "tokens per day, alert at 50%" in row
    assert "<td>Echo</td>" in row
    assert f"{described['used']} (50.0%, past its alert)" in row
    assert 'value="50.0">50.0%</meter>' in row
    assert '<option value="1" selected>24 hours</option>' in page.text


async def test_without_integrations_read_the_ai_pages_are_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    async with browser_with(app, client, "workflows:read") as (reader, _):
        for page in ("/console/ai/routes", "/console/ai/spend"):
            refused = await reader.get(page)
            assert refused.status_code == 403, page
            assert "integrations:read" in refused.text
