"""openai-python, pointed at the OpenAI mock, does what our actions do and what a user does next:
chat with tools, JSON and structured output, streaming with the usage, embeddings (in the SDK's
base64 form), models, OpenAI's errors as the SDK's exceptions, and the Azure OpenAI client; every
whole answer it gets in a test fits OpenAI's published description (when it is cached)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import openai
import pytest
from pydantic import BaseModel

from interlink.core.clock import FrozenClock
from interlink.providers.openai.mock import OpenAIMock
from interlink.testing import RunningMock, serve_mock_in_thread
from interlink.testing.calls import Call
from interlink.testing.descriptions import DescriptionMissing, load_description
from tests.providers.conftest import answer_problems

HELLO = [{"role": "user", "content": "Hello there"}]
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


@pytest.fixture
def served() -> Iterator[RunningMock[OpenAIMock]]:
    clock = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))  # the resets' durations exact
    with serve_mock_in_thread(OpenAIMock(clock=clock)) as running:
        yield running
    description = load_description("openai")
    if not isinstance(description, DescriptionMissing):
        whole = [call for call in running.mock.calls if not _streamed(call)]
        assert answer_problems(description, running.mock.description_gaps, whole) == []


def _streamed(call: Call) -> bool:
    """An answer sent as Server-Sent Events: not one JSON document to check."""
    answer = call.answer
    return answer is not None and "text/event-stream" in answer.headers.get("Content-Type", "")


@pytest.fixture
def client(served: RunningMock[OpenAIMock]) -> openai.OpenAI:
    return openai.OpenAI(api_key=served.mock.token, base_url=served.api_url, max_retries=0)


def test_a_chat_is_answered_with_its_usage_and_both_rate_windows(client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini",
        messages=HELLO,
        max_completion_tokens=50,  # type: ignore[arg-type]
    )
    answer = raw.parse()

    assert answer.choices[0].message.content == "You said: Hello there"
    assert answer.choices[0].finish_reason == "stop"
    assert answer.usage is not None
    assert (answer.usage.prompt_tokens, answer.usage.completion_tokens) == (9, 6)
    assert raw.headers["x-ratelimit-remaining-requests"] == "499"
    assert raw.headers["x-ratelimit-remaining-tokens"] == str(200_000 - 15)
    assert raw.headers["x-ratelimit-reset-tokens"] == "1m0s"


def test_a_tool_is_called_and_its_result_answered(client: openai.OpenAI) -> None:
    asked = [{"role": "user", "content": "Paris: ask get_weather"}]
    first = client.chat.completions.create(model="gpt-4o", messages=asked, tools=[WEATHER])  # type: ignore[arg-type,list-item]
    call = (first.choices[0].message.tool_calls or [])[0]
    assert call.type == "function"
    assert json.loads(call.function.arguments) == {"city": "Paris: ask get_weather"}

    answered = [*asked, first.choices[0].message.model_dump(exclude_none=True),
                {"role": "tool", "tool_call_id": call.id, "content": "18 C"}]  # fmt: skip
    second = client.chat.completions.create(model="gpt-4o", messages=answered, tools=[WEATHER])  # type: ignore[arg-type,list-item]

    assert first.choices[0].finish_reason == "tool_calls"
    assert second.choices[0].message.content == "The tool answered: 18 C"


class Person(BaseModel):
    name: str
    born: int


def test_structured_output_parses_into_the_users_model(client: openai.OpenAI) -> None:
    parsed = client.chat.completions.parse(
        model="gpt-4o", messages=[{"role": "user", "content": "Ada"}], response_format=Person
    )
    as_json = client.chat.completions.create(
        model="gpt-4o",
        messages=HELLO,
        response_format={"type": "json_object"},  # type: ignore[arg-type]
    )

    assert parsed.choices[0].message.parsed == Person(name="Ada", born=1)
    assert json.loads(as_json.choices[0].message.content or "") == {"echo": "Hello there"}


def test_a_stream_gives_the_text_piece_by_piece_then_the_usage(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=HELLO, stream=True,  # type: ignore[arg-type]
        stream_options={"include_usage": True},
    )  # fmt: skip
    chunks = list(stream)

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "You said: Hello there"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens == 15


def test_the_streaming_helper_accumulates_a_tool_call(client: openai.OpenAI) -> None:
    with client.chat.completions.stream(
        model="gpt-4o",
        messages=HELLO,
        tools=[WEATHER],
        tool_choice="required",  # type: ignore[arg-type,list-item]
    ) as stream:
        final = stream.get_final_completion()

    call = (final.choices[0].message.tool_calls or [])[0]
    assert (call.function.name, json.loads(call.function.arguments)) == (
        "get_weather", {"city": "Hello there"},
    )  # fmt: skip


def test_embeddings_come_in_the_sdks_base64_form_and_as_floats(client: openai.OpenAI) -> None:
    packed = client.embeddings.create(
        model="text-embedding-3-small", input=["a", "b"], dimensions=8
    )
    floats = client.embeddings.create(
        model="text-embedding-3-small", input="a", dimensions=8, encoding_format="float"
    )

    assert [len(item.embedding) for item in packed.data] == [8, 8]
    assert packed.data[0].embedding == pytest.approx(floats.data[0].embedding, abs=1e-6)
    assert packed.usage.prompt_tokens == 2


def test_models_are_listed_and_read(client: openai.OpenAI) -> None:
    listed = [model.id for model in client.models.list()]

    assert "gpt-4o-mini" in listed
    assert "text-embedding-3-small" in listed
    assert client.models.retrieve("gpt-4o").owned_by == "openai"


def test_openais_errors_are_the_sdks_exceptions(served: RunningMock[OpenAIMock]) -> None:
    mock, url = served.mock, served.api_url
    client = openai.OpenAI(api_key=mock.token, base_url=url, max_retries=0)
    mock.context_window = 10
    with pytest.raises(openai.BadRequestError) as too_long:
        client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "a" * 99}]
        )
    mock.context_window, mock.quota_exceeded = None, True
    with pytest.raises(openai.RateLimitError) as quota:
        client.chat.completions.create(model="gpt-4o", messages=HELLO)  # type: ignore[arg-type]
    mock.quota_exceeded = False
    with pytest.raises(openai.NotFoundError) as unknown:
        client.chat.completions.create(model="gpt-0", messages=HELLO)  # type: ignore[arg-type]
    with pytest.raises(openai.AuthenticationError) as wrong_key:
        openai.OpenAI(api_key="sk-wrong-key", base_url=url, max_retries=0).models.list()

    assert too_long.value.code == "context_length_exceeded"
    assert quota.value.code == "insufficient_quota"
    assert unknown.value.code == "model_not_found"
    assert wrong_key.value.code == "invalid_api_key"


def test_the_token_window_refuses_a_call_with_openais_429(served: RunningMock[OpenAIMock]) -> None:
    served.mock.tokens_per_minute = 30
    client = openai.OpenAI(api_key=served.mock.token, base_url=served.api_url, max_retries=0)

    with pytest.raises(openai.RateLimitError) as raised:
        client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "a" * 200}]
        )

    assert raised.value.code == "rate_limit_exceeded"
    assert "tokens per min (TPM): Limit 30" in raised.value.message
    assert raised.value.response.headers["retry-after"] == "60"


def test_the_azure_client_reaches_deployments_with_its_key_header_and_api_version(
    served: RunningMock[OpenAIMock],
) -> None:
    azure = openai.AzureOpenAI(
        api_key=served.mock.token, azure_endpoint=served.url, api_version="2024-10-21",
        max_retries=0,
    )  # fmt: skip

    answer = azure.chat.completions.create(model="gpt-4o", messages=HELLO)  # type: ignore[arg-type]
    vectors = azure.embeddings.create(model="text-embedding-3-large", input="a", dimensions=4)

    call = served.mock.calls.all()[0]
    assert answer.choices[0].message.content == "You said: Hello there"
    assert len(vectors.data[0].embedding) == 4
    assert call.path == "/openai/deployments/gpt-4o/chat/completions"
    assert (call.query["api-version"], call.headers["api-key"]) == ("2024-10-21", served.mock.token)
