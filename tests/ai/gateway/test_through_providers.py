"""The gateway in front of real providers' mocks on sockets (openai, anthropic), the official
SDKs as Interlink's clients: either API reaches either provider, streams come through as they
stream, a route falls back from a provider that fails, and the calls are charged."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import anthropic
import httpx
import openai
import pytest

from interlink.providers.anthropic.mock import AnthropicMock
from interlink.providers.openai.mock import OpenAIMock
from interlink.testing import Fault, RunningMock, serve_mock
from tests.conftest import data
from tests.helpers.integrations import create_active

HELLO: Any = [{"role": "user", "content": "Hello"}]
CLAUDE = "claude-haiku-4-5-20251001"


@pytest.fixture
async def gpt(client: httpx.AsyncClient) -> AsyncIterator[RunningMock[OpenAIMock]]:
    async with serve_mock(OpenAIMock()) as running:
        await _integration(client, "GPT", "openai", running)
        yield running


@pytest.fixture
async def claude(client: httpx.AsyncClient) -> AsyncIterator[RunningMock[AnthropicMock]]:
    async with serve_mock(AnthropicMock()) as running:
        await _integration(client, "Claude", "anthropic", running)
        yield running


async def _integration(client: httpx.AsyncClient, name: str, kind: str, running: Any) -> str:
    configuration = {"api_url": running.api_url, "auth_method": "api_key"}
    body = {"name": name, "type": kind, "configuration": configuration}
    return await create_active(client, body | {"credentials": {"api_key": running.mock.token}})


async def test_openais_client_reaches_the_openai_provider_whole_and_streamed(
    gpt: RunningMock[OpenAIMock], openai_client: openai.AsyncOpenAI, client: httpx.AsyncClient
) -> None:
    raw = await openai_client.chat.completions.with_raw_response.create(
        model="GPT/gpt-4o-mini", messages=HELLO, max_tokens=30
    )
    stream = await openai_client.chat.completions.create(
        model="GPT/gpt-4o-mini", messages=HELLO, stream=True,
        stream_options={"include_usage": True},
    )  # fmt: skip
    chunks = [chunk async for chunk in stream]

    completion = raw.parse()
    assert completion.choices[0].message.content == "You said: Hello"
    assert float(raw.headers["x-interlink-cost"]) > 0
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == (
        "You said: Hello"
    )
    assert chunks[-1].usage is not None
    assert gpt.mock.calls.all()[-1].json()["stream"] is True
    usage = data(await client.get("/api/v1/ai/usage"))
    assert usage["total"]["calls"] == 2


async def test_either_client_reaches_either_provider(
    gpt: RunningMock[OpenAIMock],
    claude: RunningMock[AnthropicMock],
    openai_client: openai.AsyncOpenAI,
    anthropic_client: anthropic.AsyncAnthropic,
) -> None:
    from_openai = await openai_client.chat.completions.create(
        model=f"Claude/{CLAUDE}", messages=HELLO, max_tokens=50
    )
    from_anthropic = await anthropic_client.messages.create(
        model="GPT/gpt-4o-mini", max_tokens=50, messages=HELLO
    )
    async with anthropic_client.messages.stream(
        model=f"Claude/{CLAUDE}", max_tokens=50, messages=HELLO
    ) as stream:
        streamed = "".join([piece async for piece in stream.text_stream])

    assert from_openai.choices[0].message.content == "You said: Hello"
    assert from_anthropic.content[0].text == "You said: Hello"  # type: ignore[union-attr]
    assert streamed == "You said: Hello"


async def test_a_route_falls_back_from_an_overloaded_provider_to_the_next(
    gpt: RunningMock[OpenAIMock],
    claude: RunningMock[AnthropicMock],
    openai_client: openai.AsyncOpenAI,
    client: httpx.AsyncClient,
) -> None:
    targets = [
        {"integration": "Claude", "model": CLAUDE},
        {"integration": "GPT", "model": "gpt-4o-mini"},
    ]
    await client.post("/api/v1/ai/routes", json={"name": "smart", "targets": targets})
    claude.mock.faults.add(Fault.error(529), times=10)

    raw = await openai_client.chat.completions.with_raw_response.create(
        model="smart", messages=HELLO, max_tokens=30
    )

    assert raw.parse().choices[0].message.content == "You said: Hello"
    assert raw.headers["x-interlink-model"] == "gpt-4o-mini"
    events = data(await client.get("/api/v1/events?page_size=100"))["items"]
    fallbacks = [e["data"] for e in events if e["event"] == "ai.fallback"]
    assert [(f["integration"], f["model"], f["error_code"]) for f in fallbacks] == [
        ("Claude", CLAUDE, "EXTERNAL_SERVICE_ERROR")
    ]


async def test_bad_input_and_a_provider_answering_garbage_get_clear_errors_and_no_charge(
    client: httpx.AsyncClient, openai_client: openai.AsyncOpenAI
) -> None:
    async with serve_mock(OpenAIMock(context_window=20)) as small:
        await _integration(client, "Small", "openai", small)
        long: Any = [{"role": "user", "content": "word " * 200}]
        with pytest.raises(openai.BadRequestError) as too_long:
            await openai_client.chat.completions.create(model="Small/gpt-4o-mini", messages=long)
        small.mock.faults.add(Fault.garbage(), times=1)
        with pytest.raises(openai.InternalServerError) as garbage:
            await openai_client.chat.completions.create(model="Small/gpt-4o-mini", messages=HELLO)
        bad_tool: Any = [{"type": "function", "function": {"name": "no spaces allowed"}}]
        with pytest.raises(openai.BadRequestError) as malformed:
            await openai_client.chat.completions.create(
                model="Small/gpt-4o-mini", messages=HELLO, tools=bad_tool
            )

    assert too_long.value.code == "INVALID_OPERATION"
    assert "context" in str(too_long.value.body).lower()
    assert garbage.value.code == "EXTERNAL_SERVICE_ERROR"
    assert malformed.value.code == "INVALID_REQUEST"
    assert "tools" in str(malformed.value.body)
    total = data(await client.get("/api/v1/ai/usage"))["total"]
    assert (total["total_tokens"], Decimal(total["cost_usd"])) == (0, 0)
    assert total["errors"] == total["calls"]
