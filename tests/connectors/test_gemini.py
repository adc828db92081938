"""What is Gemini's own in the gemini provider (the contract suite and the recorded fixtures cover
the rest): the conversation as Gemini turns, the key in `x-goog-api-key` only, the safety and
length endings, Google's error bodies in our codes, streamed answers, the models over pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from interlink.core.errors import (
    ExternalResourceNotFound,
    ExternalServiceError,
    ParameterValidationError,
)
from interlink.providers.gemini.mock import GeminiMock
from interlink.providers.gemini.provider import GeminiConnector
from interlink.providers.gemini.request import UNSIGNED, generate_body, signed
from interlink.providers.kit.llm import ChatChunk, ChatInput, ChatOutput
from interlink.testing import Fault, serve_mock
from interlink.testing.contract.harness import Stage, stage
from tests.conftest import ADMIN_KEY, data
from tests.helpers.integrations import create_active

GATEWAY = "http://testserver/api/v1/ai"
HELLO = {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "Hello there"}]}
WEATHER = {
    "name": "get_weather",
    "description": "The weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}
CALLED = [
    {"role": "user", "content": "Weather in Paris and Lyon?"},
    {"role": "assistant", "content": "Let me look.", "tool_calls": [
        {"id": "call_0", "name": "get_weather", "arguments": '{"city": "Paris"}'},
        {"id": "call_1", "name": "get_weather", "arguments": '{"city": "Lyon"}'},
    ]},
    {"role": "tool", "tool_call_id": "call_0", "content": '{"temp": 18}'},
    {"role": "tool", "tool_call_id": "call_1", "content": "rain"},
]  # fmt: skip


def chat(**fields: Any) -> ChatInput:
    return ChatInput.model_validate(HELLO | fields)


@asynccontextmanager
async def gemini(fixture_name: str = "chat") -> AsyncIterator[Stage]:
    """A fresh mock and transport on a frozen clock, set up for one of the fixtures' actions."""
    fixture = next(f for f in GeminiConnector.fixtures() if f.name == fixture_name)
    async with stage(GeminiConnector, fixture) as staged:
        yield staged


async def run(staged: Stage, **fields: Any) -> ChatOutput:
    result = await staged.run(parameters=HELLO | fields)
    if result.error is not None:
        raise result.error
    return ChatOutput.model_validate(result.output)


async def streamed(staged: Stage, params: ChatInput) -> list[ChatChunk]:
    return [chunk async for chunk in GeminiConnector().stream_chat(staged.context(), params)]


def mock(staged: Stage) -> GeminiMock:
    assert isinstance(staged.mock, GeminiMock)
    return staged.mock


# the request


def test_the_conversation_as_gemini_turns() -> None:
    params = chat(
        messages=[{"role": "system", "content": "Be brief."}, *CALLED],
        tools=[WEATHER],
        tool_choice="get_weather",
        max_tokens=100,
        stop=["END"],
    )

    body = generate_body(params)

    assert body == {
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
        "contents": [
            {"role": "user", "parts": [{"text": "Weather in Paris and Lyon?"}]},
            {"role": "model", "parts": [
                {"text": "Let me look."},
                {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}},
                 "thoughtSignature": UNSIGNED},
                {"functionCall": {"name": "get_weather", "args": {"city": "Lyon"}},
                 "thoughtSignature": UNSIGNED},
            ]},
            {"role": "user", "parts": [
                {"functionResponse": {"name": "get_weather", "response": {"temp": 18}}},
                {"functionResponse": {"name": "get_weather", "response": {"result": "rain"}}},
            ]},
        ],
        "tools": [{"functionDeclarations": [{
            "name": "get_weather", "description": "The weather in a city",
            "parametersJsonSchema": WEATHER["parameters"],
        }]}],
        "toolConfig": {"functionCallingConfig": {
            "mode": "ANY", "allowedFunctionNames": ["get_weather"],
        }},
        "generationConfig": {"maxOutputTokens": 100, "stopSequences": ["END"]},
    }  # fmt: skip


def test_json_output_takes_the_schema_as_json_schema() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"],
              "additionalProperties": False}  # fmt: skip

    body = generate_body(chat(response_format="json", json_schema=schema, temperature=0))

    assert body["generationConfig"] == {
        "temperature": 0, "responseMimeType": "application/json", "responseJsonSchema": schema,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"messages": [{"role": "system", "content": "Only this"}]}, "messages"),
        ({"messages": [{"role": "tool", "tool_call_id": "nowhere", "content": "1"}]}, "messages"),
        ({"tools": [WEATHER], "tool_choice": "get_time"}, "tool_choice"),
        ({"messages": [{"role": "assistant", "tool_calls": [
            {"id": "c", "name": "get_weather", "arguments": "[1, 2]"}]}]}, "messages"),
    ],
    ids=["only-system", "tool-answer-of-no-call", "tool-choice-of-no-tool", "arguments-not-object"],
)  # fmt: skip
def test_what_gemini_cannot_take_is_refused_before_sending(fields: Any, field: str) -> None:
    with pytest.raises(ParameterValidationError) as refused:
        generate_body(chat(**fields))

    assert refused.value.details[0]["field"] == field


async def test_a_model_name_that_would_change_the_path_is_refused_and_nothing_is_sent() -> None:
    async with gemini() as staged:
        result = await staged.run(parameters=HELLO | {"model": "../../v1/files"})

    assert result.code == "PARAMETER_VALIDATION_ERROR"
    assert staged.calls == []


# through the mock


async def test_the_key_goes_in_the_x_goog_api_key_header_only() -> None:
    async with gemini() as staged:
        answer = await run(staged)

    [sent] = staged.calls
    assert sent.headers["x-goog-api-key"] == staged.mock.token
    assert "Authorization" not in sent.headers
    assert "key" not in sent.query
    assert sent.path == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert (answer.message.content, answer.finish_reason) == ("Echo: Hello there", "stop")
    assert answer.model == "gemini-2.5-flash"


async def test_a_tool_call_and_its_answer_round_trip() -> None:
    async with gemini() as staged:
        called = await run(staged, messages=[{"role": "user", "content": "get_weather in Oslo"}],
                           tools=[WEATHER])  # fmt: skip
        answered = await run(staged, messages=CALLED, tools=[WEATHER])

    assert called.finish_reason == "tool_calls"
    assert [(c.name, c.arguments) for c in called.message.tool_calls] == [
        ("get_weather", '{"city": "get_weather in Oslo"}')
    ]
    assert called.message.tool_calls[0].id.startswith("call_0__ts__")
    assert answered.message.content == (
        'Tool get_weather returned {"temp": 18}. Tool get_weather returned {"result": "rain"}.'
    )
    assert answered.finish_reason == "stop"


async def test_a_calls_thought_signature_goes_back_with_it_in_its_id() -> None:
    gemini_3 = {"model": "gemini-3-pro-preview", "tools": [WEATHER]}
    asked = {"role": "user", "content": "get_weather in Oslo"}
    async with gemini() as staged:
        called = await run(staged, messages=[asked], **gemini_3)
        [call] = called.message.tool_calls
        answer = {"role": "tool", "tool_call_id": call.id, "content": "4C"}
        turns = [asked, called.message.model_dump(), answer]
        answered = await run(staged, messages=turns, **gemini_3)
        elsewhere = [asked, *CALLED[1:]]  # calls another provider made: no signature
        from_elsewhere = await run(staged, messages=elsewhere, **gemini_3)
        unsigned = staged.calls[-1].json()["contents"][1]["parts"][1]

    given = staged.calls[0].answer
    assert given is not None
    signature = given.json()["candidates"][0]["content"]["parts"][0]["thoughtSignature"]
    sent_back = staged.calls[1].json()["contents"][1]["parts"][0]
    assert sent_back == {"functionCall": {"name": "get_weather",
                                          "args": {"city": "get_weather in Oslo"}},
                         "thoughtSignature": signature}  # fmt: skip
    assert answered.message.content == 'Tool get_weather returned {"result": "4C"}.'
    assert unsigned["thoughtSignature"] == UNSIGNED
    assert from_elsewhere.finish_reason == "stop"


def test_of_parallel_calls_only_the_signed_one_carries_a_signature() -> None:
    first, second = signed("call_0", "+/8A"), "call_1"
    calls = [{"id": first, "name": "get_weather", "arguments": "{}"},
             {"id": second, "name": "get_weather", "arguments": "{}"}]  # fmt: skip
    params = chat(messages=[*CALLED[:1], {"role": "assistant", "tool_calls": calls}])

    parts = generate_body(params)["contents"][1]["parts"]

    assert first == "call_0__ts__-_8A"
    assert [part.get("thoughtSignature") for part in parts] == ["+/8A", None]


@pytest.mark.parametrize(
    ("text", "fields", "ending", "content"),
    [
        ("[unsafe] how to", {}, "content_filter", ""),
        ("[blocked] how to", {}, "content_filter", ""),
        ("[recitation] sing", {}, "content_filter", ""),
        ("a long sentence to be cut short", {"max_tokens": 2}, "length", "Echo: a "),
    ],
    ids=["safety", "prompt-blocked", "recitation", "max-tokens"],
)
async def test_why_an_answer_ended(
    text: str, fields: dict[str, Any], ending: str, content: str
) -> None:
    async with gemini() as staged:
        answer = await run(staged, messages=[{"role": "user", "content": text}], **fields)

    assert (answer.finish_reason, answer.message.content) == (ending, content)


async def test_a_prompt_over_the_models_input_limit_is_invalid_with_googles_words() -> None:
    async with gemini() as staged:
        mock(staged).models["models/gemini-2.5-flash"]["inputTokenLimit"] = 10
        result = await staged.run(parameters=HELLO | {"messages": [
            {"role": "user", "content": "a prompt much longer than ten tokens " * 3}]})  # fmt: skip

    assert result.code == "INVALID_OPERATION"
    assert result.error is not None
    message = result.error.details[0]["provider_message"]
    assert message.startswith("The input token count (")
    assert message.endswith("allowed (10).")


async def test_a_spent_quota_is_waited_out_for_googles_retry_delay_when_short_enough() -> None:
    async with gemini() as staged:
        mock(staged).requests_per_minute = 1
        await run(staged)
        staged.clock.advance(52)
        second = await run(staged)
        staged.clock.advance(30)  # the next minute's request spent, 30 s from its reset
        too_long = await staged.run(parameters=HELLO)

    refused, retried = staged.calls[1].answer, staged.calls[2].answer
    assert refused is not None
    assert refused.status == 429
    assert refused.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert refused.json()["error"]["details"][1]["retryDelay"] == "8s"
    assert staged.clock.sleeps[0] == 8
    assert retried is not None
    assert retried.status == 200
    assert second.message.content == "Echo: Hello there"
    assert too_long.code == "RATE_LIMIT_EXCEEDED"  # past the integration's longest wait


async def test_an_answer_that_is_not_geminis_is_the_external_systems_fault() -> None:
    async with gemini() as staged:
        staged.mock.faults.add(Fault.garbage(), times=1)
        not_json = await staged.run(parameters=HELLO)
        staged.mock.faults.add(Fault.garbage(b'{"candidates": [{"content": "text"}]}'), times=1)
        misshapen = await staged.run(parameters=HELLO)

    assert (not_json.code, misshapen.code) == ("EXTERNAL_SERVICE_ERROR", "EXTERNAL_SERVICE_ERROR")
    assert misshapen.error is not None
    assert misshapen.error.details[0]["at"] == "candidates.0.content"


async def test_a_spent_input_token_quota_is_a_rate_limit_too() -> None:
    async with gemini() as staged:
        mock(staged).input_tokens_per_minute = 20  # one "Hello there" prompt (14) a minute
        await run(staged)
        staged.clock.advance(55)
        await run(staged)

    refused = staged.calls[1].answer
    assert refused is not None
    violation = refused.json()["error"]["details"][0]["violations"][0]
    assert violation["quotaId"] == "GenerateContentInputTokensPerModelPerMinute-FreeTier"
    assert staged.clock.sleeps[0] == 5
    assert [call.answer.status for call in staged.calls if call.answer] == [200, 429, 200]


# streaming


async def test_a_streamed_answer_is_the_answer_of_chat_in_pieces() -> None:
    params = chat(messages=[{"role": "user", "content": "one two three four five six"}])
    async with gemini() as staged:
        answer = await run(staged, messages=[m.model_dump() for m in params.messages])
        chunks = await streamed(staged, params)

    stream_call = staged.calls[-1]
    assert (stream_call.path, dict(stream_call.query)) == (
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent", {"alt": "sse"})  # fmt: skip
    assert len(chunks) == 3
    assert "".join(chunk.content for chunk in chunks) == answer.message.content
    assert [chunk.finish_reason for chunk in chunks] == [None, None, "stop"]
    assert [chunk.usage is None for chunk in chunks] == [True, True, False]
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.prompt_tokens == answer.usage.prompt_tokens


async def test_a_streamed_tool_call_comes_whole_on_the_last_chunk() -> None:
    params = chat(messages=[{"role": "user", "content": "get_weather please"}], tools=[WEATHER],
                  tool_choice="required")  # fmt: skip
    async with gemini() as staged:
        chunks = await streamed(staged, params)

    [call] = [delta for chunk in chunks for delta in chunk.tool_calls]
    assert (call.index, call.name) == (0, "get_weather")
    assert call.id is not None
    assert call.id.startswith("call_0__ts__")
    assert call.arguments == '{"city": "get_weather please"}'
    assert chunks[-1].finish_reason == "tool_calls"


async def test_a_stream_refused_before_its_first_byte_raises_our_error() -> None:
    async with gemini() as staged:
        with pytest.raises(ExternalResourceNotFound) as refused:
            await streamed(staged, chat(model="gemini-0.1-gone"))

    assert "models/gemini-0.1-gone is not found" in refused.value.details[0]["provider_message"]


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b'data: {"candidates": [{"content": {"parts": [{"text": "Echo"}]}}]}\r\n\r\n',
         "stream ended before the answer did"),
        (b'data: {"error": {"code": 500, "message": "Internal error", "status": "INTERNAL"}}'
         b"\r\n\r\n", "failed midway"),
        (b"data: <html>\r\n\r\n", "not JSON"),
    ],
    ids=["cut-before-its-end", "error-inside", "garbage"],
)  # fmt: skip
async def test_a_stream_that_fails_midway_is_our_error(body: bytes, said: str) -> None:
    async with gemini() as staged:
        staged.mock.faults.add(Fault.garbage(body), times=1)
        with pytest.raises(ExternalServiceError) as failed:
            await streamed(staged, chat())

    assert said in failed.value.message


# models and embeddings


async def test_the_models_are_listed_over_every_page() -> None:
    async with gemini("list_models") as staged:
        models = mock(staged).models
        for n in range(1500):
            models[f"models/tuned-{n:04d}"] = {"name": f"models/tuned-{n:04d}",
                                                "inputTokenLimit": 8192}  # fmt: skip
        result = await staged.run()

    assert result.output is not None
    listed = result.output["items"]
    assert len(listed) == 1507
    assert {"id": "gemini-2.5-flash", "owned_by": "google", "context_window": 1_048_576} in listed
    assert [dict(call.query).get("pageSize") for call in staged.calls] == ["1000", "1000"]
    assert "pageToken" in staged.calls[1].query


async def test_embeddings_are_one_vector_per_text_of_the_models_size() -> None:
    async with gemini("embeddings") as staged:
        result = await staged.run(parameters={"model": "text-embedding-004",
                                              "input": ["a", "b", "c"]})  # fmt: skip
        refused = await staged.run(parameters={"model": "gemini-2.5-flash", "input": ["a"]})

    assert result.output is not None
    vectors = result.output["vectors"]
    assert [len(vector) for vector in vectors] == [768, 768, 768]
    assert vectors[0] != vectors[1]
    assert refused.code == "EXTERNAL_RESOURCE_NOT_FOUND"


# through the API and the gateway


async def test_a_gemini_integration_through_the_api_and_the_openai_and_anthropic_surfaces(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    import anthropic
    import httpx2
    import openai

    async with serve_mock(GeminiMock()) as running:
        configuration = {"api_url": running.api_url, "auth_method": "api_key"}
        credentials = {"api_key": running.mock.token}
        body = {"name": "Gemini", "type": "gemini", "configuration": configuration}
        iid = await create_active(client, body | {"credentials": credentials})
        tested = data(await client.post(f"/api/v1/integrations/{iid}/test"))["connection_test"]
        async with httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=app), base_url="http://testserver"
        ) as http:
            sdk: Any = {"api_key": ADMIN_KEY, "http_client": http, "max_retries": 0}
            gpt = openai.AsyncOpenAI(base_url=f"{GATEWAY}/openai/v1", **sdk)
            claude = anthropic.AsyncAnthropic(base_url=f"{GATEWAY}/anthropic", **sdk)
            whole = await gpt.chat.completions.create(
                model="Gemini/gemini-2.5-flash", messages=[{"role": "user", "content": "Hi"}]
            )
            stream = await gpt.chat.completions.create(
                model="Gemini/gemini-2.5-flash", stream=True,
                messages=[{"role": "user", "content": "one two three four"}],
            )  # fmt: skip
            pieces = [c.choices[0].delta.content or "" async for c in stream if c.choices]
            message = await claude.messages.create(
                model="Gemini/gemini-2.5-flash", max_tokens=50,
                messages=[{"role": "user", "content": "Hello"}],
            )  # fmt: skip
            streamed_at = len(running.mock.calls.all()) - 2
            asked: Any = [{"role": "user", "content": "get_weather in Oslo"}]
            tools: Any = [{"type": "function", "function": WEATHER}]
            called = await gpt.chat.completions.create(
                model="Gemini/gemini-3-pro-preview", messages=asked, tools=tools
            )
            call = called.choices[0].message.tool_calls[0]  # type: ignore[index]
            answer = {"role": "tool", "tool_call_id": call.id, "content": "4C"}
            turns = [*asked, called.choices[0].message.model_dump(exclude_none=True), answer]
            answered = await gpt.chat.completions.create(
                model="Gemini/gemini-3-pro-preview", messages=turns, tools=tools
            )
        paths = [call.path for call in running.mock.calls.all()]

    assert tested["message"].endswith("Connected to the Gemini API")
    assert whole.choices[0].message.content == "Echo: Hi"
    assert "".join(pieces) == "Echo: one two three four"
    assert message.content[0].text == "Echo: Hello"  # type: ignore[union-attr]
    assert paths[streamed_at].endswith(":streamGenerateContent")
    assert "__ts__" in call.id  # the thought signature, back to Gemini 3 through OpenAI's SDK
    assert answered.choices[0].message.content == 'Tool get_weather returned {"result": "4C"}.'
