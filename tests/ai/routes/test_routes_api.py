"""Routes through the API, and used as a model name: versions, fallback, balancing, events."""

from __future__ import annotations

from typing import Any

import anthropic
import httpx
import openai
import pytest

from tests.ai.gateway.conftest import llm_integration
from tests.conftest import data, error

USER: Any = [{"role": "user", "content": "hi"}]


def _route(name: str, *models: str, **more: Any) -> dict[str, Any]:
    targets = [{"integration": "Echo", "model": model} for model in models]
    return {"name": name, "targets": targets, **more}


async def _events(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    listed = data(await client.get("/api/v1/events?event_type=ai.fallback&page_size=100"))
    return [event for event in listed["items"] if event["event"] == "ai.fallback"]


async def test_a_route_is_created_changed_as_new_versions_read_and_deleted(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post("/api/v1/ai/routes", json=_route("smart", "echo-1"))
    twice = await client.post("/api/v1/ai/routes", json=_route("smart", "echo-1"))
    changed = await client.put(
        "/api/v1/ai/routes/smart",
        json={"strategy": "weighted", "targets": [{"integration": "Echo", "model": "echo-2"}]},
    )
    listed = data(await client.get("/api/v1/ai/routes"))
    first = data(await client.get("/api/v1/ai/routes/smart?version=1"))
    deleted = await client.delete("/api/v1/ai/routes/smart")
    gone = await client.get("/api/v1/ai/routes/smart")

    assert created.status_code == 201
    assert data(created)["version"] == 1
    assert twice.status_code == 409
    assert (data(changed)["version"], data(changed)["strategy"]) == (2, "weighted")
    assert [(r["name"], r["version"]) for r in listed["items"]] == [("smart", 2)]
    assert first["targets"][0]["model"] == "echo-1"
    assert data(deleted) == {"name": "smart", "deleted": True}
    assert error(gone)["code"] == "AI_ROUTE_NOT_FOUND"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "a/b", "targets": [{"integration": "Echo", "model": "m"}]}, "name"),
        ({"name": "r", "targets": []}, "targets"),
        (
            {
                "name": "r",
                "targets": [{"integration": "Echo", "model": "m"}],
                "rules": [{"when": {}, "use": ["Echo/other"]}],
            },
            "",
        ),
    ],
)
async def test_a_bad_route_is_refused_with_the_field_named(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    refused = await client.post("/api/v1/ai/routes", json=body)

    assert refused.status_code == 400
    assert field in error(refused)["details"][0]["field"]


@pytest.mark.parametrize("version", ["0", "99999999999999999999999", "x"])
async def test_a_version_out_of_range_is_refused_with_the_field_named(
    client: httpx.AsyncClient, version: str
) -> None:
    await client.post("/api/v1/ai/routes", json=_route("smart", "echo-1"))

    for path in ("/api/v1/ai/routes/smart", "/api/v1/custom-providers/acme"):
        refused = await client.get(path, params={"version": version})

        assert refused.status_code == 400
        assert error(refused)["details"][0]["field"] == "version"


async def test_a_route_falls_back_on_a_failing_target_and_says_so(
    client: httpx.AsyncClient, openai_client: openai.AsyncOpenAI
) -> None:
    iid = await llm_integration(client)
    await client.post("/api/v1/ai/routes", json=_route("smart", "down", "limited", "echo-1"))

    raw = await openai_client.chat.completions.with_raw_response.create(
        model="smart", messages=USER
    )
    completion = raw.parse()

    assert completion.choices[0].message.content == "hi"
    assert raw.headers["x-interlink-model"] == "echo-1"
    assert raw.headers["x-interlink-integration"] == iid
    assert raw.headers["x-interlink-route"] == "smart@1"
    assert (completion.model_extra or {})["interlink"]["fallbacks"] == 2
    fallbacks = [event["data"] for event in await _events(client)]
    assert sorted((f["model"], f["error_code"]) for f in fallbacks) == [
        ("down", "EXTERNAL_SERVICE_ERROR"), ("limited", "RATE_LIMIT_EXCEEDED"),
    ]  # fmt: skip
    assert {f["route"] for f in fallbacks} == {"smart"}


async def test_a_streamed_call_falls_back_before_its_first_chunk(
    client: httpx.AsyncClient, anthropic_client: anthropic.AsyncAnthropic
) -> None:
    await llm_integration(client)
    await client.post("/api/v1/ai/routes", json=_route("smart", "down", "echo-1"))

    async with anthropic_client.messages.stream(
        model="smart", max_tokens=10, messages=USER
    ) as stream:
        text = "".join([piece async for piece in stream.text_stream])

    assert text == "hi"
    assert len(await _events(client)) == 1


async def test_a_bad_request_is_not_fallen_back_from(
    client: httpx.AsyncClient, openai_client: openai.AsyncOpenAI
) -> None:
    await llm_integration(client)
    await client.post("/api/v1/ai/routes", json=_route("smart", "picky", "echo-1"))

    with pytest.raises(openai.BadRequestError) as raised:
        await openai_client.chat.completions.create(model="smart", messages=USER)

    assert raised.value.code == "INVALID_OPERATION"
    assert await _events(client) == []


async def test_when_every_target_fails_the_last_error_is_the_answer(
    client: httpx.AsyncClient, openai_client: openai.AsyncOpenAI
) -> None:
    await llm_integration(client)
    await client.post("/api/v1/ai/routes", json=_route("smart", "limited", "down"))

    with pytest.raises(openai.InternalServerError) as raised:
        await openai_client.chat.completions.create(model="smart", messages=USER)

    assert raised.value.code == "EXTERNAL_SERVICE_ERROR"
    assert len(await _events(client)) == 1


async def test_a_quality_hint_picks_the_target(
    client: httpx.AsyncClient, openai_client: openai.AsyncOpenAI
) -> None:
    await llm_integration(client)
    targets = [
        {"integration": "Echo", "model": "echo-1", "quality": "high", "price": 10},
        {"integration": "Echo", "model": "echo-2", "quality": "economy", "price": 1},
    ]
    await client.post("/api/v1/ai/routes", json={"name": "smart", "targets": targets})

    cheap = await openai_client.chat.completions.create(
        model="smart", messages=USER, extra_body={"quality": "economy"}
    )
    best = await openai_client.chat.completions.create(
        model="smart", messages=USER, extra_headers={"x-interlink-quality": "high"}
    )
    unhinted = await openai_client.chat.completions.create(model="smart", messages=USER)

    assert (cheap.model, best.model, unhinted.model) == ("echo-2", "echo-1", "echo-1")


async def test_a_call_keeps_the_version_it_started_with(
    client: httpx.AsyncClient, openai_client: openai.AsyncOpenAI, app: Any
) -> None:
    await llm_integration(client)
    await client.post("/api/v1/ai/routes", json=_route("smart", "echo-1"))
    routes = app.state.services.ai_routes
    workspace = data(await client.get("/api/v1/workspaces"))["items"][0]["id"]
    held = await routes.current(workspace, "smart")

    await client.put("/api/v1/ai/routes/smart", json={"targets": _route("", "echo-2")["targets"]})
    now = await openai_client.chat.completions.create(model="smart", messages=USER)

    assert (held.version, [t.model for t in held.targets()]) == (1, ["echo-1"])
    assert now.model == "echo-2"


async def test_a_target_that_cannot_be_called_is_passed_over(
    client: httpx.AsyncClient, openai_client: openai.AsyncOpenAI
) -> None:
    await llm_integration(client)
    inactive = {"name": "Asleep", "type": "gwllm", "configuration": {"auth_method": "api_key"}}
    created = await client.post(
        "/api/v1/integrations", json=inactive | {"credentials": {"api_key": "k"}}
    )
    assert created.status_code == 201
    targets = [
        {"integration": "Gone", "model": "echo-1"},
        {"integration": "Asleep", "model": "echo-1"},
        {"integration": "Echo", "model": "echo-1"},
    ]
    await client.post("/api/v1/ai/routes", json={"name": "smart", "targets": targets})

    completion = await openai_client.chat.completions.create(model="smart", messages=USER)

    assert (completion.model_extra or {})["interlink"]["fallbacks"] == 2
    codes = sorted(f["data"]["error_code"] for f in await _events(client))
    assert codes == ["CONFLICT", "MODEL_NOT_FOUND"]
