"""What is Anthropic's own in the anthropic provider (the contract suite and the recorded fixtures
cover the rest): the conversation as Messages API turns, `max_tokens` defaulted, its error
bodies in our codes, its token window taken before the call, and streamed answers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from interlink.core.errors import InterlinkError
from interlink.providers.anthropic.mock import AnthropicMock
from interlink.providers.anthropic.mock_replies import MODELS, MockModel
from interlink.providers.anthropic.provider import AnthropicConnector
from interlink.providers.anthropic.requests import JSON_INSTRUCTION, message_body
from interlink.providers.kit.llm import ChatChunk, ChatInput
from interlink.testing import Fault, RunningMock, serve_mock
from interlink.testing.contract.harness import Stage, stage
from tests.conftest import data
from tests.connectors.conftest import create_active
from tests.connectors.conftest import run_operation as _run

HELLO = {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "Hello"}]}
WEATHER = {
    "name": "get_weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}


PARIS, LYON = {"city": "Paris"}, {"city": "Lyon"}


def chat(**fields: Any) -> ChatInput:
    return ChatInput.model_validate(HELLO | fields)


@asynccontextmanager
async def anthropic(fixture_name: str = "chat", **mock: Any) -> AsyncIterator[Stage]:
    """A fresh mock (with `mock`'s options) and transport, on a frozen clock, for the action of
    the fixture named."""
    fixture = next(f for f in AnthropicConnector.fixtures() if f.name == fixture_name)
    async with stage(AnthropicConnector, fixture.model_copy(update={"mock": mock})) as staged:
        yield staged


async def run(staged: Stage, **fields: Any) -> Any:
    result = await staged.run(parameters=HELLO | fields)
    if result.error is not None:
        raise result.error
    return result.output


async def streamed(
    staged: Stage, params: ChatInput, into: list[ChatChunk] | None = None
) -> list[ChatChunk]:
    """The chunks of a streamed chat, each also put in `into` as it comes."""
    got = into if into is not None else []
    async for chunk in AnthropicConnector().stream_chat(staged.context(), params):
        got.append(chunk)
    return got


def sent(staged: Stage) -> dict[str, Any]:
    body: dict[str, Any] = staged.calls[-1].json()
    return body


# the request


def test_system_messages_are_the_system_prompt_and_tool_results_a_user_turn() -> None:
    params = chat(
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "system", "content": "Speak French."},
            {"role": "user", "content": "Weather in Paris and Lyon?"},
            {"role": "assistant", "content": "Let me look.", "tool_calls": [
                {"id": "toolu_1", "name": "get_weather", "arguments": '{"city": "Paris"}'},
                {"id": "toolu_2", "name": "get_weather", "arguments": '{"city": "Lyon"}'},
            ]},
            {"role": "tool", "tool_call_id": "toolu_1", "content": "18C"},
            {"role": "tool", "tool_call_id": "toolu_2", "content": "21C"},
        ],
        tools=[WEATHER],
        tool_choice="get_weather",
    )  # fmt: skip

    body = message_body(params, {})

    assert body["system"] == "Be brief.\n\nSpeak French."
    assert body["messages"] == [
        {"role": "user", "content": "Weather in Paris and Lyon?"},
        {"role": "assistant", "content": [
            {"type": "text", "text": "Let me look."},
            {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": PARIS},
            {"type": "tool_use", "id": "toolu_2", "name": "get_weather", "input": LYON},
        ]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": "18C"},
            {"type": "tool_result", "tool_use_id": "toolu_2", "content": "21C"},
        ]},
    ]  # fmt: skip
    assert body["tools"] == [{"name": "get_weather", "input_schema": WEATHER["parameters"]}]
    assert body["tool_choice"] == {"type": "tool", "name": "get_weather"}


@pytest.mark.parametrize(
    ("choice", "sent_as"),
    [("auto", {"type": "auto"}), ("none", {"type": "none"}), ("required", {"type": "any"})],
)
def test_tool_choice_in_anthropics_words(choice: str, sent_as: dict[str, str]) -> None:
    assert message_body(chat(tools=[WEATHER], tool_choice=choice), {})["tool_choice"] == sent_as


@pytest.mark.parametrize(
    ("fields", "configuration", "expected"),
    [
        ({"max_tokens": 100}, {"default_max_tokens": 2000}, 100),
        ({}, {"default_max_tokens": 2000}, 2000),
        ({"model": "claude-opus-4-1-20250805"}, {}, 32_000),
        ({"model": "claude-3-5-haiku-latest"}, {}, 8_192),
        ({"model": "claude-something-new"}, {}, 4_096),
    ],
)
def test_max_tokens_comes_from_the_request_the_integration_or_the_model(
    fields: dict[str, Any], configuration: dict[str, Any], expected: int
) -> None:
    assert message_body(chat(**fields), configuration)["max_tokens"] == expected


def test_json_without_a_schema_is_asked_for_in_the_system_prompt() -> None:
    body = message_body(chat(response_format="json"), {})

    assert body["system"] == JSON_INSTRUCTION
    assert "output_config" not in body


def test_a_past_tool_call_whose_arguments_are_not_an_object_is_refused_before_sending() -> None:
    calls = [{"id": "toolu_1", "name": "get_weather", "arguments": "[1, 2"}]
    params = chat(messages=[*HELLO["messages"], {"role": "assistant", "tool_calls": calls}])

    with pytest.raises(InterlinkError) as raised:
        message_body(params, {})

    assert raised.value.code == "INVALID_OPERATION"
    assert "get_weather" in raised.value.message


# the answers and errors


async def test_the_key_goes_in_x_api_key_with_the_api_version() -> None:
    async with anthropic() as staged:
        await run(staged, max_tokens=10)

        headers = staged.calls[-1].headers
        assert headers["x-api-key"] == AnthropicMock.default_token
        assert headers["anthropic-version"] == "2023-06-01"
        assert "Authorization" not in headers


async def test_overloaded_is_not_retried_for_a_chat() -> None:
    async with anthropic() as staged:
        staged.mock.faults.add(Fault.error(529), times=1)
        with pytest.raises(InterlinkError) as raised:
            await run(staged, max_tokens=10)

        assert len(staged.calls) == 1  # a second answer would be paid twice
    assert raised.value.code == "EXTERNAL_SERVICE_ERROR"
    assert raised.value.details[0] == {"provider_status": 529, "provider_message": "Overloaded"}


async def test_overloaded_is_retried_for_the_model_list() -> None:
    async with anthropic("list_models") as staged:
        staged.mock.faults.add(Fault.error(529), times=1)
        result = await staged.run()

        assert len(staged.calls) == 2
    assert result.output["items"][0]["id"] == "claude-haiku-4-5-20251001"


async def test_a_prompt_over_the_context_window_is_refused_with_anthropics_words() -> None:
    small = MockModel("claude-tiny-20250101", "Claude Tiny", "2025-01-01T00:00:00Z", 20, 100)
    async with anthropic(models=[small, *MODELS]) as staged:
        with pytest.raises(InterlinkError) as raised:
            await run(staged, model="claude-tiny-20250101", max_tokens=10, messages=[
                {"role": "user", "content": "a long story " * 20}
            ])  # fmt: skip

    assert raised.value.code == "INVALID_OPERATION"
    message = raised.value.details[0]["provider_message"]
    assert message.startswith("prompt is too long: ")
    assert message.endswith(" tokens > 20 maximum")


async def test_an_empty_credit_balance_is_refused_with_anthropics_words() -> None:
    async with anthropic() as staged:
        staged.mock.credit_exhausted = True  # type: ignore[attr-defined]
        with pytest.raises(InterlinkError) as raised:
            await run(staged, max_tokens=10)

    assert raised.value.code == "INVALID_OPERATION"
    assert "credit balance is too low" in raised.value.details[0]["provider_message"]


async def test_a_stop_sequence_and_max_tokens_end_the_answer() -> None:
    async with anthropic() as staged:
        stopped = await run(staged, max_tokens=100, stop=["there"], messages=[
            {"role": "user", "content": "hello there friend"}
        ])  # fmt: skip
        cut = await run(staged, max_tokens=2, messages=[{"role": "user", "content": "hello"}])

    assert (stopped["message"]["content"], stopped["finish_reason"]) == ("You said: hello ", "stop")
    assert (cut["message"]["content"], cut["finish_reason"]) == ("You said", "length")


async def test_a_prompt_the_learned_token_window_cannot_hold_is_refused_before_sending() -> None:
    async with anthropic(input_tokens_per_minute=200) as staged:
        await run(staged, max_tokens=10)  # learns the window: a little under 200 left
        sent_before = len(staged.calls)
        with pytest.raises(InterlinkError) as raised:
            await run(staged, max_tokens=10, messages=[{"role": "user", "content": "x" * 2000}])

        assert raised.value.code == "RATE_LIMIT_EXCEEDED"
        assert len(staged.calls) == sent_before  # Anthropic never saw it


async def test_max_tokens_the_learned_output_window_cannot_hold_are_refused_unsent() -> None:
    async with anthropic(output_tokens_per_minute=1000) as staged:
        await run(staged, max_tokens=600)  # its 600 held, then set right to the few written
        sent_before = len(staged.calls)
        with pytest.raises(InterlinkError) as raised:
            await run(staged, max_tokens=2000)  # more than the whole window

        assert raised.value.code == "RATE_LIMIT_EXCEEDED"
        assert raised.value.details[0]["output_token_limit"] == 1000
        assert len(staged.calls) == sent_before  # Anthropic never saw it


async def test_an_unsaid_max_tokens_is_at_most_what_the_output_window_holds() -> None:
    async with anthropic(output_tokens_per_minute=8000) as staged:
        await run(staged, max_tokens=10)  # learns the window: 8,000 less the few written
        answer = await run(staged, model="claude-sonnet-4-5-20250929")  # its own: 64,000
        learned = staged.calls[0].answer
        assert learned is not None
        left = int(learned.headers["anthropic-ratelimit-output-tokens-remaining"])

        assert answer["message"]["content"] == "You said: Hello"
        assert staged.calls[-1].json()["max_tokens"] == left


async def test_the_mock_counts_max_tokens_against_the_output_window_as_anthropic_does() -> None:
    mock = AnthropicMock(output_tokens_per_minute=1000)
    async with serve_mock(mock) as served, httpx.AsyncClient(base_url=served.url) as http:
        headers = {"x-api-key": mock.token, "anthropic-version": "2023-06-01"}
        ok = await http.post("/v1/messages", headers=headers, json=HELLO | {"max_tokens": 900})
        refused = await http.post("/v1/messages", headers=headers, json=HELLO | {"max_tokens": 999})

    written = ok.json()["usage"]["output_tokens"]
    assert ok.headers["anthropic-ratelimit-output-tokens-limit"] == "1000"
    assert ok.headers["anthropic-ratelimit-output-tokens-remaining"] == str(1000 - written)
    assert refused.status_code == 429
    assert refused.json()["error"]["type"] == "rate_limit_error"
    assert "of 1,000 output tokens per minute" in refused.json()["error"]["message"]
    assert int(refused.headers["retry-after"]) > 0


# streamed answers


async def test_a_streamed_answer_gives_the_text_then_why_it_stopped_and_the_tokens() -> None:
    async with anthropic() as staged:
        chunks = await streamed(staged, chat(max_tokens=50, messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hello there, Claude"},
        ]))  # fmt: skip
        whole = await run(staged, max_tokens=50, messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hello there, Claude"},
        ])  # fmt: skip

    assert "".join(chunk.content for chunk in chunks) == whole["message"]["content"]
    assert len([chunk for chunk in chunks if chunk.content]) == 5  # word by word
    last = chunks[-1]
    assert last.finish_reason == "stop"
    assert last.usage is not None
    assert last.usage.model_dump() == whole["usage"]
    assert sent(staged)["system"] == "Be brief."


async def test_a_streamed_tool_call_comes_in_pieces_that_join_to_its_arguments() -> None:
    async with anthropic() as staged:
        chunks = await streamed(staged, chat(
            max_tokens=50, tools=[WEATHER], tool_choice="required",
            messages=[{"role": "user", "content": "Paris"}],
        ))  # fmt: skip

    pieces = [call for chunk in chunks for call in chunk.tool_calls]
    assert {p.index for p in pieces} == {0}
    assert (pieces[0].id, pieces[0].name) == ("toolu_mock00000000000001", "get_weather")
    assert json.loads("".join(p.arguments for p in pieces)) == {"city": "Paris"}
    assert chunks[-1].finish_reason == "tool_calls"


@pytest.mark.parametrize("fault", ["overloaded", "cut"])
async def test_a_stream_that_fails_midway_ends_with_our_error(fault: str) -> None:
    async with anthropic() as staged:
        staged.mock.fail_next_stream(fault)  # type: ignore[attr-defined]
        got: list[ChatChunk] = []
        with pytest.raises(InterlinkError) as raised:
            await streamed(staged, chat(max_tokens=50), got)

    assert raised.value.code == "EXTERNAL_SERVICE_ERROR"
    assert [chunk.content for chunk in got] == ["You "]  # what came before the failure
    if fault == "overloaded":
        assert raised.value.details == [
            {"provider_code": "overloaded_error", "provider_message": "Overloaded"}
        ]


async def test_a_refused_stream_raises_before_any_chunk() -> None:
    async with anthropic() as staged:
        with pytest.raises(InterlinkError) as raised:
            await streamed(staged, chat(model="claude-nonexistent-1", max_tokens=5))

    assert raised.value.code == "EXTERNAL_RESOURCE_NOT_FOUND"
    assert raised.value.details[0]["provider_message"] == "model: claude-nonexistent-1"


# through the API


@pytest.fixture
async def served() -> AsyncIterator[RunningMock[AnthropicMock]]:
    async with serve_mock(AnthropicMock()) as running:
        yield running


async def test_an_integration_chats_with_its_default_max_tokens(
    client: httpx.AsyncClient, served: RunningMock[AnthropicMock]
) -> None:
    configuration = {"api_url": served.api_url, "auth_method": "api_key", "default_max_tokens": 300}
    body = {"name": "Claude", "type": "anthropic", "configuration": configuration}
    iid = await create_active(client, body | {"credentials": {"api_key": served.mock.token}})

    response = await _run(client, iid, "chat", **HELLO)

    result = data(response)["result"]
    assert result["message"]["content"] == "You said: Hello"
    assert served.mock.calls.all()[-1].json()["max_tokens"] == 300
    assert served.mock.token not in response.text
