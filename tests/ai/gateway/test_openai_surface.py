"""The OpenAI-compatible surface, with the official `openai` SDK as the client of Interlink."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest

from tests.ai.gateway.conftest import llm_integration

USER = [{"role": "user", "content": "hello there world"}]


async def test_a_completion_names_the_integration_and_model_that_served_it(
    client: httpx.AsyncClient, openai_client: openai.AsyncOpenAI
) -> None:
    iid = await llm_integration(client)

    raw = await openai_client.chat.completions.with_raw_response.create(
        model="Echo/echo-1", messages=USER
    )
    completion = raw.parse()

    assert completion.choices[0].message.content == "hello there world"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == "echo-1"
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (3, 3)
    assert raw.headers["x-interlink-integration"] == iid
    assert raw.headers["x-interlink-model"] == "echo-1"
    assert raw.headers["x-interlink-cost"] == "0"
    extra: dict[str, Any] = completion.model_extra or {}
    assert extra["interlink"]["integration_id"] == iid
    assert extra["interlink"]["fallbacks"] == 0


async def test_an_integration_is_named_by_its_id_too(
    client: httpx.AsyncClient, openai_client: openai.AsyncOpenAI
) -> None:
    iid = await llm_integration(client)

    completion = await openai_client.chat.completions.create(model=f"{iid}/echo-2", messages=USER)

    assert completion.model == "echo-2"


async def test_a_streamed_completion_comes_as_chunks_then_the_usage(
    client: httpx.AsyncClient, openai_client: openai.AsyncOpenAI
) -> None:
    iid = await llm_integration(client)

    stream = await openai_client.chat.completions.create(
        model="Echo/echo-1", messages=USER, stream=True, stream_options={"include_usage": True}
    )
    chunks = [chunk async for chunk in stream]

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "hello there world"
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 3
    assert (chunks[-1].model_extra or {})["interlink"]["integration_id"] == iid


async def test_a_stream_without_include_usage_has_no_usage_chunk(
    client: httpx.AsyncClient, app: Any
) -> None:
    await llm_integration(client)
    body = {"model": "Echo/echo-1", "messages": USER, "stream": True}

    response = await client.post("/api/v1/ai/openai/v1/chat/completions", json=body)

    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["x-interlink-model"] == "echo-1"
    events = [line for line in response.text.split("\n\n") if line]
    assert events[-1] == "data: [DONE]"
    assert all('"usage"' not in event for event in events)


async def test_tool_calls_go_out_and_their_results_come_back(
    client: httpx.AsyncClient, openai_client: openai.AsyncOpenAI
) -> None:
    await llm_integration(client)
    tools: Any = [
        {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}
    ]

    completion = await openai_client.chat.completions.create(
        model="Echo/echo-1", messages=[{"role": "user", "content": "call:lookup"}], tools=tools
    )
    call = (completion.choices[0].message.tool_calls or [])[0]
    stream = await openai_client.chat.completions.create(
        model="Echo/echo-1", messages=[{"role": "user", "content": "call:lookup"}], tools=tools,
        stream=True,
    )  # fmt: skip
    deltas = [c.choices[0].delta.tool_calls for c in [c async for c in stream] if c.choices]
    answered = await openai_client.chat.completions.create(
        model="Echo/echo-1",
        messages=[
            {"role": "user", "content": "call:lookup"},
            {"role": "assistant", "tool_calls": [call.model_dump()]},  # type: ignore[list-item]
            {"role": "tool", "tool_call_id": call.id, "content": "found it"},
        ],
        tools=tools,
    )

    assert completion.choices[0].finish_reason == "tool_calls"
    assert (call.function.name, call.function.arguments) == ("lookup", '{"q": "x"}')  # type: ignore[union-attr]
    pieces = [part for parts in deltas if parts for part in parts]
    assert pieces[0].id == "call_1"
    assert "".join(p.function.arguments or "" for p in pieces if p.function) == '{"q": "x"}'
    assert answered.choices[0].message.content == "found it"


async def test_embeddings_come_as_floats_or_base64(
    client: httpx.AsyncClient, openai_client: openai.AsyncOpenAI
) -> None:
    await llm_integration(client)

    floats = await openai_client.embeddings.create(model="Echo/echo-1", input=["a", "b"])
    packed = await openai_client.embeddings.create(
        model="Echo/echo-1", input="a", encoding_format="base64"
    )

    assert [e.embedding for e in floats.data] == [[0.5, 0.25], [0.5, 0.25]]
    assert floats.usage.prompt_tokens == 4
    assert isinstance(packed.data[0].embedding, str)  # the SDK leaves base64 asked for as is


async def test_the_models_are_the_routes_then_each_integrations_models(
    client: httpx.AsyncClient, openai_client: openai.AsyncOpenAI
) -> None:
    await llm_integration(client)
    await client.post(
        "/api/v1/ai/routes",
        json={"name": "smart", "targets": [{"integration": "Echo", "model": "echo-1"}]},
    )

    models = [model async for model in openai_client.models.list()]

    assert [(m.id, m.owned_by) for m in models] == [
        ("smart", "interlink-route"), ("Echo/echo-1", "gwllm"), ("Echo/echo-2", "gwllm"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("model", "status", "code"),
    [
        ("nothing", 404, "MODEL_NOT_FOUND"),
        ("Nobody/echo-1", 404, "MODEL_NOT_FOUND"),
        ("Echo/down", 502, "EXTERNAL_SERVICE_ERROR"),
        ("Echo/limited", 429, "RATE_LIMIT_EXCEEDED"),
        ("Echo/picky", 400, "INVALID_OPERATION"),
    ],
)
async def test_errors_come_in_openais_shape_with_our_code(
    client: httpx.AsyncClient, openai_client: openai.AsyncOpenAI, model: str, status: int, code: str
) -> None:
    await llm_integration(client)

    with pytest.raises(openai.APIStatusError) as raised:
        await openai_client.chat.completions.create(model=model, messages=USER)

    assert raised.value.status_code == status
    assert raised.value.code == code
    body: Any = raised.value.body
    assert set(body) == {"message", "type", "param", "code", "details"}


async def test_a_bad_request_and_a_bad_key_are_refused_in_openais_shape(
    client: httpx.AsyncClient, openai_client: openai.AsyncOpenAI, anonymous: httpx.AsyncClient
) -> None:
    await llm_integration(client)

    bad = await client.post(
        "/api/v1/ai/openai/v1/chat/completions", json={"model": "Echo/echo-1", "messages": []}
    )
    unknown = await anonymous.post(
        "/api/v1/ai/openai/v1/chat/completions",
        json={"model": "Echo/echo-1", "messages": USER},
        headers={"Authorization": "Bearer sk_not_a_key"},
    )

    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "INVALID_REQUEST"
    assert bad.json()["error"]["type"] == "invalid_request_error"
    assert unknown.status_code == 401
    assert unknown.json()["error"]["type"] == "authentication_error"


async def test_a_key_that_may_only_read_lists_models_but_calls_none(
    client: httpx.AsyncClient, key_client: Any
) -> None:
    await llm_integration(client)
    reader: httpx.AsyncClient = await key_client("integrations:read")

    async with reader:
        listed = await reader.get("/api/v1/ai/openai/v1/models")
        called = await reader.post(
            "/api/v1/ai/openai/v1/chat/completions", json={"model": "Echo/echo-1", "messages": USER}
        )

    assert [m["id"] for m in listed.json()["data"]] == ["Echo/echo-1", "Echo/echo-2"]
    assert called.status_code == 403
    assert called.json()["error"]["code"] == "FORBIDDEN"


async def test_a_stream_cut_midway_ends_with_an_error_event(
    client: httpx.AsyncClient, openai_client: openai.AsyncOpenAI
) -> None:
    await llm_integration(client)

    stream = await openai_client.chat.completions.create(
        model="Echo/cut", messages=USER, stream=True
    )
    seen: list[str] = []
    with pytest.raises(openai.APIError, match="The stream was cut"):
        await _read(stream, seen)

    assert seen == ["hello"]


async def _read(stream: Any, seen: list[str]) -> None:
    async for chunk in stream:
        seen.append(chunk.choices[0].delta.content or "")
