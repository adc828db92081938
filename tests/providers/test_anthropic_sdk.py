"""anthropic-python, pointed at the Anthropic mock, does what our actions do and what a user does
next: messages whole and streamed (text and tool use), token counting, the model list page by
page, and each of Anthropic's errors as the SDK's own exception."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import anthropic
import pytest
from anthropic.types import MessageParam, ToolParam

from interlink.providers.anthropic.mock import AnthropicMock
from interlink.testing import Fault, RunningMock, serve_mock, serve_mock_in_thread

WEATHER: ToolParam = {
    "name": "get_weather",
    "description": "The weather in a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
}
MODEL = "claude-sonnet-4-5"


@pytest.fixture
def served() -> Iterator[RunningMock[AnthropicMock]]:
    with serve_mock_in_thread(AnthropicMock()) as running:
        yield running


@pytest.fixture
def client(served: RunningMock[AnthropicMock]) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key=served.mock.token, base_url=served.url, max_retries=0)


def test_a_message_with_a_system_prompt(client: anthropic.Anthropic) -> None:
    message = client.messages.create(
        model=MODEL, max_tokens=64, system="Be brief.",
        messages=[{"role": "user", "content": "Hello, Claude"}],
    )  # fmt: skip

    assert message.content[0].type == "text"
    assert message.content[0].text == "You said: Hello, Claude"
    assert (message.role, message.stop_reason, message.model) == ("assistant", "end_turn", MODEL)
    assert message.usage.input_tokens > 0
    assert message.usage.output_tokens == 6


def test_a_tool_is_called_and_its_result_answered(client: anthropic.Anthropic) -> None:
    asked: MessageParam = {"role": "user", "content": "Paris"}
    called = client.messages.create(
        model=MODEL, max_tokens=64, tools=[WEATHER], tool_choice={"type": "any"}, messages=[asked]
    )
    use = called.content[0]
    assert use.type == "tool_use"
    calling: MessageParam = {
        "role": "assistant",
        "content": [{"type": "tool_use", "id": use.id, "name": use.name, "input": use.input}],
    }
    answering: MessageParam = {
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "18 degrees"}],
    }
    answered = client.messages.create(
        model=MODEL, max_tokens=64, tools=[WEATHER], messages=[asked, calling, answering]
    )

    assert (use.name, use.input) == ("get_weather", {"city": "Paris"})
    assert called.stop_reason == "tool_use"
    assert answered.content[0].type == "text"
    assert answered.content[0].text == "The tool answered: 18 degrees"


def test_a_streamed_message_gives_its_text_and_the_final_message(
    client: anthropic.Anthropic,
) -> None:
    with client.messages.stream(
        model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "stream this please"}]
    ) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()

    assert pieces == ["You ", "said: ", "stream ", "this ", "please"]
    assert final.content[0].type == "text"
    assert final.content[0].text == "You said: stream this please"
    assert (final.stop_reason, final.usage.output_tokens) == ("end_turn", 7)


def test_a_streamed_tool_call_is_assembled_by_the_sdk(client: anthropic.Anthropic) -> None:
    with client.messages.stream(
        model=MODEL, max_tokens=64, tools=[WEATHER],
        tool_choice={"type": "tool", "name": "get_weather"},
        messages=[{"role": "user", "content": "Lyon"}],
    ) as stream:  # fmt: skip
        final = stream.get_final_message()

    use = final.content[0]
    assert use.type == "tool_use"
    assert (use.name, use.input, final.stop_reason) == ("get_weather", {"city": "Lyon"}, "tool_use")


def test_tokens_are_counted_and_models_listed_page_by_page(client: anthropic.Anthropic) -> None:
    counted = client.messages.count_tokens(
        model=MODEL, messages=[{"role": "user", "content": "Hello"}]
    )
    listed = [model.id for model in client.models.list(limit=3)]
    one = client.models.retrieve("claude-opus-4-1-20250805")

    assert counted.input_tokens > 0
    assert listed[:2] == ["claude-haiku-4-5-20251001", "claude-sonnet-4-5-20250929"]
    assert len(listed) == 4  # two pages of three
    assert (one.display_name, one.max_tokens, one.max_input_tokens) == (
        "Claude Opus 4.1",
        32000,
        200000,
    )


def test_each_error_is_the_sdks_own_exception(
    client: anthropic.Anthropic, served: RunningMock[AnthropicMock]
) -> None:
    hello: list[MessageParam] = [{"role": "user", "content": "Hello"}]
    wrong = anthropic.Anthropic(api_key="sk-ant-wrong", base_url=served.url, max_retries=0)

    with pytest.raises(anthropic.AuthenticationError):
        wrong.messages.create(model=MODEL, max_tokens=5, messages=hello)
    with pytest.raises(anthropic.NotFoundError, match="model: claude-none"):
        client.messages.create(model="claude-none", max_tokens=5, messages=hello)
    with pytest.raises(anthropic.BadRequestError, match="maximum allowed number of output tokens"):
        client.messages.create(model="claude-3-5-haiku-20241022", max_tokens=10_000, messages=hello)
    served.mock.faults.add(Fault.error(529), times=1)
    with pytest.raises(anthropic.InternalServerError) as overloaded:
        client.messages.create(model=MODEL, max_tokens=5, messages=hello)
    served.mock.faults.add(Fault.rate_limited(7), times=1)
    with pytest.raises(anthropic.RateLimitError) as limited:
        client.messages.create(model=MODEL, max_tokens=5, messages=hello)

    assert overloaded.value.status_code == 529
    assert overloaded.value.body == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"},
    }
    assert limited.value.response.headers["retry-after"] == "7"


def test_the_sdk_reads_anthropics_rate_limit_headers(client: anthropic.Anthropic) -> None:
    raw = client.messages.with_raw_response.create(
        model=MODEL, max_tokens=5, messages=[{"role": "user", "content": "Hello"}]
    )

    headers = raw.headers
    assert headers["anthropic-ratelimit-requests-limit"] == "50"
    assert headers["anthropic-ratelimit-requests-remaining"] == "49"
    assert int(headers["anthropic-ratelimit-input-tokens-remaining"]) < 30_000
    assert int(headers["anthropic-ratelimit-output-tokens-remaining"]) < 8_000
    assert headers["anthropic-ratelimit-tokens-limit"] == "8000"  # the tighter window
    assert headers["request-id"].startswith("req_")


@pytest.fixture
async def served_async() -> AsyncIterator[RunningMock[AnthropicMock]]:
    async with serve_mock(AnthropicMock()) as running:
        yield running


async def test_the_async_client_streams_events_and_sees_a_stream_error(
    served_async: RunningMock[AnthropicMock],
) -> None:
    client = anthropic.AsyncAnthropic(
        api_key=served_async.mock.token, base_url=served_async.url, max_retries=0
    )
    hello: list[MessageParam] = [{"role": "user", "content": "Hello there"}]
    async with client.messages.stream(model=MODEL, max_tokens=64, messages=hello) as stream:
        kinds = [event.type async for event in stream]
    served_async.mock.fail_next_stream("overloaded")

    with pytest.raises(anthropic.APIStatusError, match="overloaded_error"):
        async with client.messages.stream(model=MODEL, max_tokens=64, messages=hello) as stream:
            await stream.get_final_message()

    assert kinds[0] == "message_start"
    assert kinds[-1] == "message_stop"
    assert {
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
    } <= set(kinds)
