"""The Anthropic-compatible surface, with the official `anthropic` SDK as Interlink's client."""

from __future__ import annotations

from typing import Any

import anthropic
import httpx
import pytest
from fastapi import FastAPI

from tests.ai.gateway.conftest import asgi, llm_integration
from tests.conftest import ADMIN_KEY

USER: Any = [{"role": "user", "content": "hello there world"}]
TOOLS: Any = [{"name": "lookup", "description": "Look up", "input_schema": {"type": "object"}}]


async def test_a_message_names_the_integration_and_model_that_served_it(
    client: httpx.AsyncClient, anthropic_client: anthropic.AsyncAnthropic
) -> None:
    iid = await llm_integration(client)

    raw = await anthropic_client.messages.with_raw_response.create(
        model="Echo/echo-1", max_tokens=100, system="Be brief", messages=USER
    )
    message = await raw.parse()

    assert [block.type for block in message.content] == ["text"]
    assert message.content[0].text == "hello there world"  # type: ignore[union-attr]
    assert message.stop_reason == "end_turn"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (3, 3)
    assert raw.headers["x-interlink-integration"] == iid
    assert raw.headers["x-interlink-model"] == "echo-1"


async def test_the_key_may_come_as_x_api_key(app: FastAPI, client: httpx.AsyncClient) -> None:
    await llm_integration(client)
    async with asgi(app) as http:
        sdk = anthropic.AsyncAnthropic(
            base_url="http://testserver/api/v1/ai/anthropic", api_key=ADMIN_KEY, http_client=http
        )
        message = await sdk.messages.create(model="Echo/echo-1", max_tokens=10, messages=USER)
        refused = anthropic.AsyncAnthropic(
            base_url="http://testserver/api/v1/ai/anthropic", api_key="sk_wrong", http_client=http,
            max_retries=0,
        )  # fmt: skip
        with pytest.raises(anthropic.AuthenticationError) as raised:
            await refused.messages.create(model="Echo/echo-1", max_tokens=10, messages=USER)

    assert message.content[0].text == "hello there world"  # type: ignore[union-attr]
    body: Any = raised.value.body
    assert body["type"] == "error"
    assert body["error"]["type"] == "authentication_error"


async def test_a_streamed_message_comes_as_anthropics_events(
    client: httpx.AsyncClient, anthropic_client: anthropic.AsyncAnthropic
) -> None:
    await llm_integration(client)

    async with anthropic_client.messages.stream(
        model="Echo/echo-1", max_tokens=100, messages=USER
    ) as stream:
        text = "".join([piece async for piece in stream.text_stream])
        final = await stream.get_final_message()

    assert text == "hello there world"
    assert final.content[0].text == "hello there world"  # type: ignore[union-attr]
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == 3


async def test_tool_use_goes_out_and_tool_results_come_back(
    client: httpx.AsyncClient, anthropic_client: anthropic.AsyncAnthropic
) -> None:
    await llm_integration(client)
    asked: Any = [{"role": "user", "content": "call:lookup"}]

    message = await anthropic_client.messages.create(
        model="Echo/echo-1", max_tokens=100, messages=asked, tools=TOOLS
    )
    async with anthropic_client.messages.stream(
        model="Echo/echo-1", max_tokens=100, messages=asked, tools=TOOLS
    ) as stream:
        streamed = await stream.get_final_message()
    use = message.content[0]
    answered = await anthropic_client.messages.create(
        model="Echo/echo-1",
        max_tokens=100,
        tools=TOOLS,
        messages=[
            *asked,
            {"role": "assistant", "content": [use.model_dump()]},
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "call_1", "content": "found it"},
                ],
            },
        ],
    )

    assert message.stop_reason == "tool_use"
    assert (use.type, use.name, use.input) == ("tool_use", "lookup", {"q": "x"})  # type: ignore[union-attr]
    assert streamed.stop_reason == "tool_use"
    assert streamed.content[0].input == {"q": "x"}  # type: ignore[union-attr]
    assert answered.content[0].text == "found it"  # type: ignore[union-attr]


async def test_errors_come_in_anthropics_shape_with_our_code(
    client: httpx.AsyncClient, anthropic_client: anthropic.AsyncAnthropic
) -> None:
    await llm_integration(client)

    with pytest.raises(anthropic.NotFoundError) as missing:
        await anthropic_client.messages.create(model="nothing", max_tokens=10, messages=USER)
    with pytest.raises(anthropic.BadRequestError) as bad:
        await anthropic_client.messages.create(model="Echo/echo-1", max_tokens=10, messages=[])

    body: Any = missing.value.body
    assert body["error"]["code"] == "MODEL_NOT_FOUND"
    assert body["error"]["type"] == "not_found_error"
    assert (bad.value.body or {})["error"]["code"] == "INVALID_REQUEST"  # type: ignore[index]


async def test_a_stream_cut_midway_ends_with_an_error_event(
    client: httpx.AsyncClient, anthropic_client: anthropic.AsyncAnthropic
) -> None:
    await llm_integration(client)

    with pytest.raises(anthropic.APIStatusError, match="The stream was cut"):
        await _read(anthropic_client, "Echo/cut")


async def _read(sdk: anthropic.AsyncAnthropic, model: str) -> str:
    async with sdk.messages.stream(model=model, max_tokens=100, messages=USER) as stream:
        return "".join([piece async for piece in stream.text_stream])


async def test_the_models_are_listed_anthropics_way(
    client: httpx.AsyncClient, anthropic_client: anthropic.AsyncAnthropic
) -> None:
    await llm_integration(client)

    models = [model async for model in anthropic_client.models.list()]

    assert [(m.id, m.type) for m in models] == [("Echo/echo-1", "model"), ("Echo/echo-2", "model")]
