"""google-genai, Google's SDK, pointed at the Gemini mock (`http_options.base_url`): it gets what
Gemini answers (text, streams, function calls, JSON, embeddings, models over pages, Google's
errors), and what our provider sends is what the SDK sends.

Gemini publishes no OpenAPI description; its API is described by its protocol buffers, which
google-ai-generativelanguage ships as messages. Every answer the mock gives in a test, and every
request and answer of the recorded fixtures, parses as its message there (proto3 JSON, no field
the message lacks)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

import httpx
import pytest
from google import genai
from google.ai import generativelanguage_v1beta as protos
from google.genai import errors, types
from google.protobuf.json_format import ParseError

from interlink.providers.gemini.provider import GeminiConnector
from interlink.providers.gemini.request import generate_body
from interlink.providers.kit.llm import ChatInput
from interlink.testing import Fault, GeminiMock, RunningMock, serve_mock_in_thread
from interlink.testing.calls import Call

MODEL = "gemini-2.5-flash"
WEATHER = types.FunctionDeclaration(
    name="get_weather",
    description="The weather in a city",
    parameters_json_schema={"type": "object", "properties": {"city": {"type": "string"}},
                            "required": ["city"]},
)  # fmt: skip
NO_RETRY = types.HttpRetryOptions(attempts=1)


# The messages of a method's request and answer, by the end of its path.
METHODS: dict[str, tuple[Any, Any]] = {
    ":generateContent": (protos.GenerateContentRequest, protos.GenerateContentResponse),
    ":streamGenerateContent": (protos.GenerateContentRequest, protos.GenerateContentResponse),
    ":batchEmbedContents": (protos.BatchEmbedContentsRequest, protos.BatchEmbedContentsResponse),
    "/models": (None, protos.ListModelsResponse),
}


def proto_problems(path: str, request: Any, status: int, answer: bytes | None) -> list[str]:
    """What in a request or an answer (an SSE stream's events each; None: a stream the mock
    did not keep) its message lacks."""
    asked, answered = next((m for end, m in METHODS.items() if path.endswith(end)), (None, None))
    if path.startswith("/v1beta/models/") and ":" not in path:
        answered = protos.Model
    bodies = [(asked, json.dumps(request))] if asked and request is not None else []
    if status < 400 and answered is not None and answer is not None:
        text = answer.decode()
        events = [line[6:] for line in text.splitlines() if line.startswith("data: ")]
        bodies += [(answered, body) for body in events or [text]]
    problems = []
    for message, body in bodies:
        try:
            message.from_json(body)
        except ParseError as error:
            problems.append(f"{path} {message.__name__}: {error}")
    return problems


def call_problems(calls: Iterable[Call]) -> list[str]:
    return [
        problem
        for call in calls
        if call.answer is not None
        for problem in proto_problems(
            call.path, call.json() if call.body else None, call.answer.status, call.answer.body
        )
    ]


@pytest.fixture
def served() -> Iterator[RunningMock[GeminiMock]]:
    """The mock; once the test is done, every request it got and answer it gave fits Gemini's
    messages."""
    with serve_mock_in_thread(GeminiMock()) as running:
        yield running
    assert call_problems(running.mock.calls.all()) == []


@pytest.mark.parametrize("fixture", GeminiConnector.fixtures(), ids=lambda f: f.name)
def test_the_fixtures_fit_geminis_messages(fixture: Any) -> None:
    problems = [
        problem
        for exchange in fixture.exchanges
        for problem in proto_problems(
            "/v1beta" + exchange.request.path,
            exchange.request.json_body,
            exchange.response.status,
            json.dumps(exchange.response.body).encode(),
        )
    ]

    assert problems == []


def sdk(served: RunningMock[GeminiMock], key: str | None = None) -> genai.Client:
    """A client of the mock (kept in a name while used: a dropped Client closes its session)."""
    options = types.HttpOptions(base_url=served.url, api_version="v1beta", retry_options=NO_RETRY)
    return genai.Client(api_key=key or served.mock.token, http_options=options)


def test_a_conversation_is_answered_and_sent_as_our_provider_sends_it(
    served: RunningMock[GeminiMock],
) -> None:
    contents = [
        types.Content(role="user", parts=[types.Part(text="Hi")]),
        types.Content(role="model", parts=[types.Part(text="Echo: Hi")]),
        types.Content(role="user", parts=[types.Part(text="Hello again")]),
    ]
    config = types.GenerateContentConfig(system_instruction="Be brief.", max_output_tokens=64)

    client = sdk(served)
    answer = client.models.generate_content(model=MODEL, contents=contents, config=config)

    sent = served.mock.calls.all()[-1]
    ours = generate_body(ChatInput(model=MODEL, max_tokens=64, messages=[
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Echo: Hi"}, {"role": "user", "content": "Hello again"},
    ]))  # fmt: skip
    assert sent.headers["x-goog-api-key"] == served.mock.token
    assert {k: sent.json()[k] for k in ("contents", "generationConfig")} == {
        k: ours[k] for k in ("contents", "generationConfig")
    }
    assert sent.json()["systemInstruction"]["parts"] == ours["systemInstruction"]["parts"]
    assert answer.text == "Echo: Hello again"
    assert answer.candidates is not None
    assert answer.candidates[0].finish_reason == types.FinishReason.STOP
    assert answer.usage_metadata is not None
    assert answer.usage_metadata.total_token_count == (
        answer.usage_metadata.prompt_token_count + answer.usage_metadata.candidates_token_count
    )


def test_each_event_of_a_stream_fits_geminis_messages(served: RunningMock[GeminiMock]) -> None:
    body = {"contents": [{"parts": [{"text": "a b c d e f g"}]}]}
    path = f"/v1beta/models/{MODEL}:streamGenerateContent"

    answer = httpx.post(f"{served.url}{path}?alt=sse", json=body,
                        headers={"x-goog-api-key": served.mock.token})  # fmt: skip

    assert answer.headers["content-type"].startswith("text/event-stream")
    assert answer.text.count("data: ") == 3
    assert proto_problems(path, body, answer.status_code, answer.content) == []


def test_a_stream_comes_in_pieces_the_last_one_ending_it(served: RunningMock[GeminiMock]) -> None:
    client = sdk(served)

    chunks = list(client.models.generate_content_stream(model=MODEL, contents="a b c d e f g"))

    assert [chunk.text for chunk in chunks] == ["Echo: a b ", "c d e ", "f g"]
    assert [c.candidates[0].finish_reason if c.candidates else None for c in chunks] == [
        None, None, types.FinishReason.STOP]  # fmt: skip
    assert dict(served.mock.calls.all()[-1].query) == {"alt": "sse"}


async def test_the_async_client_streams_too(served: RunningMock[GeminiMock]) -> None:
    client = sdk(served)
    stream = await client.aio.models.generate_content_stream(model=MODEL, contents="x y")

    assert "".join([chunk.text or "" async for chunk in stream]) == "Echo: x y"


def test_a_function_is_called_and_its_answer_read(served: RunningMock[GeminiMock]) -> None:
    client = sdk(served)
    config = types.GenerateContentConfig(
        tools=[types.Tool(function_declarations=[WEATHER])],
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
    )
    asked = types.Content(role="user", parts=[types.Part(text="get_weather for Oslo")])

    called = client.models.generate_content(model=MODEL, contents=[asked], config=config)
    assert called.function_calls is not None
    [call] = called.function_calls
    answer = types.Part.from_function_response(name="get_weather", response={"temp": 4})
    turns = [asked, called.candidates[0].content, types.Content(role="user", parts=[answer])]  # type: ignore[index]
    answered = client.models.generate_content(model=MODEL, contents=turns, config=config)

    assert (call.name, call.args) == ("get_weather", {"city": "get_weather for Oslo"})
    assert answered.text == 'Tool get_weather returned {"temp": 4}.'


def test_gemini_3_wants_a_calls_thought_signature_back(served: RunningMock[GeminiMock]) -> None:
    client = sdk(served)
    config = types.GenerateContentConfig(
        tools=[types.Tool(function_declarations=[WEATHER])],
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
    )
    asked = types.Content(role="user", parts=[types.Part(text="get_weather for Oslo")])
    model = "gemini-3-pro-preview"
    called = client.models.generate_content(model=model, contents=[asked], config=config)
    assert called.candidates is not None
    given = called.candidates[0].content
    assert given is not None
    assert given.parts is not None
    answer = types.Content(role="user", parts=[
        types.Part.from_function_response(name="get_weather", response={"temp": 4})])  # fmt: skip
    stripped = given.model_copy(update={"parts": [
        part.model_copy(update={"thought_signature": None}) for part in given.parts]})  # fmt: skip

    kept = client.models.generate_content(model=model, contents=[asked, given, answer],
                                          config=config)  # fmt: skip
    with pytest.raises(errors.ClientError) as refused:
        client.models.generate_content(model=model, contents=[asked, stripped, answer],
                                       config=config)  # fmt: skip

    assert given.parts[0].thought_signature
    assert kept.text == 'Tool get_weather returned {"temp": 4}.'
    assert refused.value.code == 400
    assert "missing a thought_signature" in (refused.value.message or "")


def test_json_output_follows_the_schema(served: RunningMock[GeminiMock]) -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"},
              "tags": {"type": "array", "items": {"type": "string"}}}}  # fmt: skip
    config = types.GenerateContentConfig(response_mime_type="application/json",
                                         response_json_schema=schema)  # fmt: skip

    client = sdk(served)
    answer = client.models.generate_content(model=MODEL, contents="Ada", config=config)

    assert json.loads(answer.text or "") == {"name": "Ada", "tags": ["Ada"]}


def test_safety_stops_an_answer_and_blocks_a_prompt(served: RunningMock[GeminiMock]) -> None:
    client = sdk(served)

    stopped = client.models.generate_content(model=MODEL, contents="[unsafe] tell me")
    blocked = client.models.generate_content(model=MODEL, contents="[blocked] tell me")

    assert stopped.candidates is not None
    assert stopped.candidates[0].finish_reason == types.FinishReason.SAFETY
    assert blocked.candidates is None
    assert blocked.prompt_feedback is not None
    assert blocked.prompt_feedback.block_reason == types.BlockedReason.SAFETY


def test_embeddings_in_one_batch(served: RunningMock[GeminiMock]) -> None:
    config = types.EmbedContentConfig(output_dimensionality=16)

    client = sdk(served)
    found = client.models.embed_content(
        model="gemini-embedding-001", contents=["one", "two"], config=config
    )

    assert served.mock.calls.all()[-1].path.endswith("/gemini-embedding-001:batchEmbedContents")
    assert found.embeddings is not None
    assert [len(e.values or []) for e in found.embeddings] == [16, 16]


def test_the_models_are_listed_page_by_page(served: RunningMock[GeminiMock]) -> None:
    client = sdk(served)
    listed = list(client.models.list(config={"page_size": 2}))

    assert [model.name for model in listed] == list(served.mock.models)
    assert [dict(call.query).get("pageSize") for call in served.mock.calls.all()] == ["2"] * 4
    assert listed[1].input_token_limit == 1_048_576


@pytest.mark.parametrize(
    ("setup", "code", "status"),
    [
        ("unknown-model", 404, "NOT_FOUND"),
        ("wrong-key", 400, "INVALID_ARGUMENT"),
        ("quota", 429, "RESOURCE_EXHAUSTED"),
        ("overloaded", 503, "UNAVAILABLE"),
        ("too-long", 400, "INVALID_ARGUMENT"),
    ],
)
def test_googles_errors_are_what_the_sdk_reads(
    served: RunningMock[GeminiMock], setup: str, code: int, status: str
) -> None:
    mock, model, key = served.mock, MODEL, None
    if setup == "unknown-model":
        model = "gemini-0.1-gone"
    elif setup == "wrong-key":
        key = "AIzaSy-not-the-key"
    elif setup == "quota":
        mock.requests_per_minute = 0
    elif setup == "overloaded":
        mock.faults.add(Fault.error(503), times=1)
    else:
        mock.models[f"models/{MODEL}"]["inputTokenLimit"] = 3

    client = sdk(served, key)
    with pytest.raises(errors.APIError) as refused:
        client.models.generate_content(model=model, contents="Hello there, Gemini")

    assert (refused.value.code, refused.value.status) == (code, status)
    assert refused.value.message
