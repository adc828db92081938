"""What is OpenAI's own in the openai provider (the contract suite and the recorded fixtures
cover the rest): the conversation as Chat Completions messages, OpenAI's error bodies in our
codes, both of its rate windows in the budget (a call its token window cannot hold waits or is
refused before OpenAI says 429), streamed answers, and an OpenAI-compatible server configured
as Azure OpenAI."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from interlink.core.errors import InterlinkError
from interlink.providers.kit.context import ActionContext
from interlink.providers.kit.llm import ChatChunk, ChatInput
from interlink.providers.openai.mock import OpenAIMock
from interlink.providers.openai.provider import OpenAIConnector
from interlink.providers.openai.requests import OpenAISettings, chat_body
from interlink.testing import Fault, RunningMock, serve_mock
from interlink.testing.contract.harness import KEY, Stage, stage
from tests.conftest import data
from tests.connectors.conftest import create_active
from tests.connectors.conftest import run_operation as _run

HELLO = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello"}]}
WEATHER = {
    "name": "get_weather",
    "description": "The weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}
DEFAULTS = OpenAISettings()


def chat(**fields: Any) -> ChatInput:
    return ChatInput.model_validate(HELLO | fields)


@asynccontextmanager
async def openai(fixture_name: str = "chat", **mock: Any) -> AsyncIterator[Stage]:
    """A fresh mock (with `mock`'s options) and transport, on a frozen clock, for the action of
    the fixture named."""
    fixture = next(f for f in OpenAIConnector.fixtures() if f.name == fixture_name)
    async with stage(OpenAIConnector, fixture.model_copy(update={"mock": mock})) as staged:
        yield staged


async def run(staged: Stage, **fields: Any) -> Any:
    result = await staged.run(parameters=HELLO | fields)
    if result.error is not None:
        raise result.error
    return result.output


async def refused(staged: Stage, **fields: Any) -> InterlinkError:
    with pytest.raises(InterlinkError) as raised:
        await run(staged, **fields)
    return raised.value


async def streamed(
    ctx: ActionContext, params: ChatInput, into: list[ChatChunk] | None = None
) -> list[ChatChunk]:
    """The chunks of a streamed chat, each also put in `into` as it comes."""
    got = into if into is not None else []
    async for chunk in OpenAIConnector().stream_chat(ctx, params):
        got.append(chunk)
    return got


def sent(staged: Stage) -> dict[str, Any]:
    body: dict[str, Any] = staged.calls[-1].json()
    return body


# the request


def test_the_conversation_goes_as_chat_completions_messages_with_function_tools() -> None:
    params = chat(
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Weather in Paris?", "name": "ada"},
            {"role": "assistant", "tool_calls": [
                {"id": "call_1", "name": "get_weather", "arguments": '{"city": "Paris"}'},
            ]},
            {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
        ],
        tools=[WEATHER], tool_choice="get_weather", max_tokens=50, temperature=0, stop=["\n"],
    )  # fmt: skip

    body = chat_body(params, DEFAULTS)

    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris?", "name": "ada"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function",
             "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}},
        ]},
        {"role": "tool", "content": "18C", "tool_call_id": "call_1"},
    ]  # fmt: skip
    assert body["tools"] == [{"type": "function", "function": WEATHER}]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert (body["max_completion_tokens"], body["temperature"], body["stop"]) == (50, 0, ["\n"])


@pytest.mark.parametrize(
    ("fields", "sent_as"),
    [
        ({"response_format": "json"}, {"type": "json_object"}),
        ({"response_format": "json", "json_schema": {"type": "object"}},
         {"type": "json_schema", "json_schema": {"name": "answer", "schema": {"type": "object"}}}),
    ],
)  # fmt: skip
def test_json_output_and_structured_output(fields: dict[str, Any], sent_as: Any) -> None:
    assert chat_body(chat(**fields), DEFAULTS)["response_format"] == sent_as


def test_an_older_server_gets_max_tokens_when_configured() -> None:
    settings = OpenAISettings.of({"max_tokens_parameter": "max_tokens"})

    body = chat_body(chat(max_tokens=20), settings)

    assert body["max_tokens"] == 20
    assert "max_completion_tokens" not in body


# the answers and errors


async def test_an_answer_ends_at_a_stop_sequence_or_at_max_tokens() -> None:
    async with openai() as staged:
        stopped = await run(staged, stop=["there"], messages=[
            {"role": "user", "content": "hello there friend"}
        ])  # fmt: skip
        cut = await run(staged, max_tokens=2, messages=[{"role": "user", "content": "hello"}])

        assert staged.calls[-1].headers["Authorization"] == f"Bearer {OpenAIMock.default_token}"
    assert (stopped["message"]["content"], stopped["finish_reason"]) == ("You said: hello ", "stop")
    assert (cut["message"]["content"], cut["finish_reason"]) == ("You said", "length")


async def test_a_prompt_over_the_context_is_refused_with_openais_words() -> None:
    async with openai(context_window=20) as staged:
        error = await refused(staged, messages=[{"role": "user", "content": "a long story " * 9}])

    assert error.code == "INVALID_OPERATION"
    assert error.details[0]["provider_status"] == 400
    assert error.details[0]["provider_message"] == (
        "This model's maximum context length is 20 tokens. However, your messages resulted in "
        "36 tokens. Please reduce the length of the messages."
    )


async def test_a_spent_quota_is_refused_at_once_and_not_waited_out() -> None:
    async with openai(quota_exceeded=True) as staged:
        error = await refused(staged)

        assert len(staged.calls) == 1
        assert staged.clock.sleeps == []
    assert error.code == "RATE_LIMIT_EXCEEDED"
    assert "exceeded your current quota" in error.details[0]["provider_message"]


async def test_a_spent_rate_is_waited_out_for_openais_hint_and_retried() -> None:
    async with openai() as staged:
        staged.mock.faults.add(Fault.rate_limited(7), times=1)
        output = await run(staged)

        assert len(staged.calls) == 2
        assert staged.clock.sleeps == [7.0]
    assert output["message"]["content"] == "You said: Hello"


async def test_an_overloaded_engine_is_not_retried_for_a_chat_but_is_for_embeddings() -> None:
    async with openai() as staged:
        staged.mock.faults.add(Fault.error(503), times=1)
        error = await refused(staged)
        assert len(staged.calls) == 1  # a second answer would be paid twice
    async with openai("embeddings") as staged:
        staged.mock.faults.add(Fault.error(503), times=1)
        result = await staged.run()
        assert len(staged.calls) == 2
    assert error.code == "EXTERNAL_SERVICE_ERROR"
    assert "overloaded" in error.details[0]["provider_message"]
    assert result.output is not None
    assert len(result.output["vectors"]) == 2


# the token window


async def test_a_chat_the_learned_token_window_cannot_hold_is_refused_before_sending() -> None:
    async with openai(tokens_per_minute=400) as staged:
        await run(staged)  # learns both windows
        assert staged.transport.observed_tokens[KEY].remaining == 388
        long = [{"role": "user", "content": "x" * 1200}]

        error = await refused(staged, messages=long, max_tokens=100)

        assert len(staged.calls) == 1  # OpenAI never saw it
    assert error.code == "RATE_LIMIT_EXCEEDED"
    assert error.message == (
        "This call needs about 400 tokens and the provider's token budget has 388 left; it "
        "resets in 60.0 s (waited up to 10 s)"
    )


async def test_a_chat_waits_for_the_token_windows_reset_when_it_is_near() -> None:
    async with openai(tokens_per_minute=400) as staged:
        await run(staged)
        staged.clock.advance(55)

        long = [{"role": "user", "content": "x" * 1400}]  # about 350 tokens, and 40 to answer

        output = await run(staged, messages=long, max_tokens=40)

        assert staged.clock.sleeps == [5.0]
    assert output["usage"] == {"prompt_tokens": 356, "completion_tokens": 40}


# streamed answers


async def test_a_streamed_answer_gives_the_text_then_why_it_ended_and_the_tokens() -> None:
    params = chat(messages=[
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello there, GPT"}
    ])  # fmt: skip
    async with openai() as staged:
        chunks = await streamed(staged.context(), params)
        whole = await run(staged, **params.model_dump(exclude_defaults=True))

        body = staged.calls[0].json()
    assert "".join(chunk.content for chunk in chunks) == whole["message"]["content"]
    assert len([chunk for chunk in chunks if chunk.content]) == 5  # word by word
    assert chunks[-1].finish_reason == "stop"
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.model_dump() == whole["usage"]
    assert (body["stream"], body["stream_options"]) == (True, {"include_usage": True})


async def test_a_streamed_tool_call_comes_in_pieces_that_join_to_its_arguments() -> None:
    params = chat(tools=[WEATHER], tool_choice="required", messages=[
        {"role": "user", "content": "Paris"}
    ])  # fmt: skip
    async with openai() as staged:
        chunks = await streamed(staged.context(), params)

    pieces = [call for chunk in chunks for call in chunk.tool_calls]
    assert {p.index for p in pieces} == {0}
    assert (pieces[0].id, pieces[0].name) == ("call_mock0000000000000001", "get_weather")
    assert json.loads("".join(p.arguments for p in pieces)) == {"city": "Paris"}
    assert chunks[-1].finish_reason == "tool_calls"


async def test_a_stream_cut_midway_ends_with_our_error_after_what_came() -> None:
    async with openai() as staged:
        staged.mock.cut_stream_after = 3  # type: ignore[attr-defined]
        got: list[ChatChunk] = []
        with pytest.raises(InterlinkError) as raised:
            await streamed(staged.context(), chat(), got)

    assert raised.value.code == "EXTERNAL_SERVICE_ERROR"
    assert [chunk.content for chunk in got] == ["You ", "said: "]


async def test_a_refused_stream_raises_before_any_chunk() -> None:
    async with openai() as staged:
        got: list[ChatChunk] = []
        with pytest.raises(InterlinkError) as raised:
            await streamed(staged.context(), chat(model="gpt-0"), got)

    assert got == []
    assert raised.value.code == "EXTERNAL_RESOURCE_NOT_FOUND"
    assert raised.value.details[0]["provider_message"] == (
        "The model `gpt-0` does not exist or you do not have access to it."
    )


async def test_a_stream_is_held_by_the_token_window_as_a_chat_is() -> None:
    async with openai(tokens_per_minute=400) as staged:
        await run(staged)
        with pytest.raises(InterlinkError) as raised:
            await streamed(
                staged.context(), chat(messages=[{"role": "user", "content": "x" * 1600}])
            )

        assert len(staged.calls) == 1
    assert raised.value.code == "RATE_LIMIT_EXCEEDED"


# an OpenAI-compatible server: Azure OpenAI


async def test_azure_openai_takes_its_key_header_api_version_and_deployment_paths() -> None:
    async with openai() as staged:
        configuration = {"api_url": staged.running.url + "/openai", "auth_method": "api_key",
                         "api_version": "2024-10-21", "azure_deployments": True}  # fmt: skip
        credentials = {"api_key": staged.mock.token, "header_name": "api-key"}
        client = staged.client(configuration, credentials, idempotent=False)
        ctx = ActionContext(client, configuration)

        answer = await OpenAIConnector().chat(ctx, chat(model="gpt-4o"))
        chunks = await streamed(ctx, chat(model="gpt-4o"))

        calls = staged.calls
    assert answer.message.content == "You said: Hello"
    assert "".join(chunk.content for chunk in chunks) == "You said: Hello"
    assert [call.path for call in calls] == ["/openai/deployments/gpt-4o/chat/completions"] * 2
    assert calls[0].query == {"api-version": "2024-10-21"}
    assert calls[0].headers["api-key"] == staged.mock.token
    assert "Authorization" not in calls[0].headers


# through the API


@pytest.fixture
async def served() -> AsyncIterator[RunningMock[OpenAIMock]]:
    async with serve_mock(OpenAIMock()) as running:
        yield running


async def test_an_integration_chats_through_the_api(
    client: httpx.AsyncClient, served: RunningMock[OpenAIMock]
) -> None:
    configuration = {"api_url": served.api_url, "auth_method": "api_key"}
    body = {"name": "GPT", "type": "openai", "configuration": configuration}
    iid = await create_active(client, body | {"credentials": {"api_key": served.mock.token}})

    response = await _run(client, iid, "chat", **HELLO, max_tokens=30)

    result = data(response)["result"]
    assert result["message"]["content"] == "You said: Hello"
    assert served.mock.calls.all()[-1].json()["max_completion_tokens"] == 30
    assert served.mock.token not in response.text


# answers that are not OpenAI's


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"<html>Bad gateway</html>", "is not JSON"),
        (b'{"id": "x", "model": "gpt-4o", "choices": []}', "is not OpenAICompletion"),
    ],
)
async def test_an_answer_that_is_not_a_completion_is_the_providers_fault(
    body: bytes, problem: str
) -> None:
    async with openai() as staged:
        staged.mock.faults.add(Fault.garbage(body), times=1)
        error = await refused(staged)

    assert error.code == "EXTERNAL_SERVICE_ERROR"
    assert problem in error.message


async def test_an_error_inside_a_stream_ends_it_with_our_error() -> None:
    async with openai() as staged:
        staged.mock.faults.add(Fault.garbage(
            b'data: {"choices": [{"delta": {"content": "Hi"}}]}\n\n'
            b'data: {"error": {"message": "The server had an error", "type": "server_error"}}\n\n'
        ), times=1)  # fmt: skip
        got: list[ChatChunk] = []
        with pytest.raises(InterlinkError) as raised:
            await streamed(staged.context(), chat(), got)

    assert [chunk.content for chunk in got] == ["Hi"]
    assert raised.value.code == "EXTERNAL_SERVICE_ERROR"
    assert raised.value.details == [
        {"provider_code": "server_error", "provider_message": "The server had an error"}
    ]


def test_a_configuration_field_that_is_not_valid_is_the_integrations_mistake() -> None:
    with pytest.raises(InterlinkError) as raised:
        OpenAISettings.of({"max_tokens_parameter": "tokens"})

    assert raised.value.code == "INVALID_INTEGRATION_CONFIG"
    assert "max_tokens_parameter" in raised.value.message


async def test_a_spent_requests_window_pauses_the_integration_until_its_reset() -> None:
    async with openai(requests_per_minute=1) as staged:
        await run(staged)  # the last request of the minute: remaining 0, reset in 1m0s

        error = await refused(staged)

        assert len(staged.calls) == 1
    assert error.code == "RATE_LIMIT_EXCEEDED"
    assert error.details == [{"retry_after_seconds": 60.0}]


async def test_a_tool_schema_openai_refuses_is_an_invalid_operation_in_its_words() -> None:
    tool = {"name": "lookup", "parameters": {"type": "array", "items": {"type": "string"}}}
    async with openai() as staged:
        error = await refused(staged, tools=[tool])

    assert error.code == "INVALID_OPERATION"
    assert error.details[0]["provider_message"] == (
        "Invalid schema for function 'lookup': schema must be a JSON Schema of "
        "'type: \"object\"', got 'type: \"array\"'."
    )
