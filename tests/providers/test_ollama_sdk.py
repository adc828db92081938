"""The official `ollama` Python SDK, pointed at the Ollama mock, does what our actions do: chat
(streamed or not, tools, JSON schema), generate, embed, and the model store (pull with its
progress, create, show, delete); errors are its `ResponseError` with Ollama's status and words.
Ollama publishes no API description to check the answers against."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ollama import AsyncClient, Client, ResponseError

from interlink.core.clock import FrozenClock
from interlink.testing import OllamaMock, RunningMock, serve_mock, serve_mock_in_thread
from tests.testing.conftest import START


def get_weather(city: str) -> str:
    """The weather in a city.

    Args:
      city: The city's name
    """
    return f"18C in {city}"


@pytest.fixture
def served() -> Iterator[RunningMock[OllamaMock]]:
    with serve_mock_in_thread(OllamaMock(clock=FrozenClock(START))) as running:
        yield running


@pytest.fixture
def ollama(served: RunningMock[OllamaMock]) -> Client:
    return Client(host=served.api_url)


def test_a_chat_streamed_or_not_says_the_same_and_counts_its_tokens(ollama: Client) -> None:
    messages = [{"role": "user", "content": "Why is the sky blue?"}]

    whole = ollama.chat(model="llama3.2", messages=messages, options={"temperature": 0})
    parts = list(ollama.chat(model="llama3.2", messages=messages, stream=True))

    assert whole.message.content == "You said: Why is the sky blue?"
    assert "".join(part.message.content or "" for part in parts) == whole.message.content
    assert [part.done for part in parts] == [False] * 7 + [True]  # a word a line, then the counts
    assert (parts[-1].prompt_eval_count, parts[-1].eval_count) == (6, 7)
    assert (whole.done_reason, whole.prompt_eval_count, whole.eval_count) == ("stop", 6, 7)


def test_a_tool_is_called_and_its_result_read_back(ollama: Client) -> None:
    messages: list[dict[str, object]] = [{"role": "user", "content": "get_weather for Paris"}]

    called = ollama.chat(model="llama3.2", messages=messages, tools=[get_weather])
    [call] = called.message.tool_calls or []
    messages += [called.message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_name": "get_weather",
                  "content": get_weather(**call.function.arguments)}]  # fmt: skip
    answered = ollama.chat(model="llama3.2", messages=messages, tools=[get_weather])

    assert (call.function.name, dict(call.function.arguments)) == ("get_weather", {"city": "Paris"})
    assert answered.message.content == "get_weather said: 18C in Paris"


def test_json_output_follows_the_schema_and_generate_streams_and_stops_at_num_predict(
    ollama: Client,
) -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"},
              "rank": {"type": "integer", "minimum": 1}}, "required": ["city", "rank"]}  # fmt: skip

    shaped = ollama.chat(model="llama3.2", messages=[{"role": "user", "content": "A city?"}],
                         format=schema)  # fmt: skip
    plain = ollama.chat(model="llama3.2", messages=[{"role": "user", "content": "Hi"}],
                        format="json")  # fmt: skip
    cut = ollama.generate(
        model="llama3.2", prompt="Tell me a long story", options={"num_predict": 2}
    )

    assert shaped.message.content == '{"city": "You said: A city?", "rank": 1}'
    assert plain.message.content == '{"answer": "You said: Hi"}'
    assert (cut.response, cut.done_reason, cut.eval_count) == ("You said:", "length", 2)
    streamed = list(ollama.generate(model="llama3.2", prompt="Hi", stream=True))
    assert [part.response for part in streamed] == ["You ", "said: ", "Hi", ""]
    assert (streamed[-1].done, streamed[-1].context) == (True, [1, 2, 3])


def test_embeddings_are_unit_vectors_one_per_text(ollama: Client) -> None:
    embedded = ollama.embed(model="nomic-embed-text", input=["a cat", "a dog", "a cat"])

    first, second, again = embedded.embeddings
    assert first == again != second
    assert round(sum(x * x for x in first), 4) == 1.0
    assert (embedded.model, embedded.prompt_eval_count) == ("nomic-embed-text", 6)


def test_the_model_store_pulls_with_progress_creates_shows_and_deletes(ollama: Client) -> None:
    progress = list(ollama.pull("qwen2.5:0.5b", stream=True))
    created = ollama.create(model="terse", from_="qwen2.5:0.5b", system="Be terse.",
                            parameters={"temperature": 0.2})  # fmt: skip
    shown = ollama.show("terse")
    deleted = ollama.delete("qwen2.5:0.5b")
    names = [model.model for model in ollama.list().models]

    assert progress[0].status == "pulling manifest"
    assert progress[-1].status == "success"
    assert max(p.completed or 0 for p in progress) == max(p.total or 0 for p in progress)
    assert created.status == "success"
    assert shown.details is not None
    assert shown.details.parent_model == "qwen2.5:0.5b"
    assert (shown.capabilities, shown.parameters) == (["completion", "tools"], "temperature 0.2")
    assert shown.modelinfo is not None
    assert shown.modelinfo["qwen2.context_length"] == 32_768
    assert deleted.status == "success"
    assert names == ["llama3.2:latest", "nomic-embed-text:latest", "terse:latest"]


def test_a_model_is_loaded_kept_and_unloaded(ollama: Client) -> None:
    loaded = ollama.generate(model="llama3.2", keep_alive="10m")
    running = ollama.ps().models
    unloaded = ollama.generate(model="llama3.2", keep_alive=0)

    assert (loaded.done_reason, unloaded.done_reason) == ("load", "unload")
    assert [(m.model, m.context_length) for m in running] == [("llama3.2:latest", 4096)]
    assert running[0].expires_at is not None
    assert running[0].expires_at.isoformat() == "2025-06-01T12:10:00+00:00"
    assert ollama.ps().models == []


def test_errors_are_ollamas_status_and_words(ollama: Client) -> None:
    with pytest.raises(ResponseError) as unknown:
        ollama.chat(model="mistral", messages=[{"role": "user", "content": "Hi"}])
    with pytest.raises(ResponseError) as cannot:
        ollama.chat(model="nomic-embed-text", messages=[{"role": "user", "content": "Hi"}])
    with pytest.raises(ResponseError) as in_stream:
        list(ollama.pull("no-such-model", stream=True))
    with pytest.raises(ResponseError) as gone:
        ollama.show("mistral")

    assert (unknown.value.status_code, unknown.value.error) == (
        404, 'model "mistral" not found, try pulling it first')  # fmt: skip
    assert (cannot.value.status_code, cannot.value.error) == (
        400, '"nomic-embed-text" does not support chat')  # fmt: skip
    assert in_stream.value.error == "pull model manifest: file does not exist"
    assert (gone.value.status_code, gone.value.error) == (404, "model 'mistral' not found")


async def test_the_async_client_streams_and_a_proxys_token_is_checked() -> None:
    async with serve_mock(OllamaMock(token="proxy-token-123")) as running:
        trusted = AsyncClient(
            host=running.api_url, headers={"Authorization": "Bearer proxy-token-123"}
        )
        stranger = AsyncClient(host=running.api_url, headers={"Authorization": "Bearer nope"})
        stream = await trusted.chat(model="llama3.2", stream=True,
                                    messages=[{"role": "user", "content": "Hi there"}])  # fmt: skip
        text = "".join([part.message.content or "" async for part in stream])
        with pytest.raises(ResponseError) as refused:
            await stranger.list()

    assert text == "You said: Hi there"
    assert (refused.value.status_code, refused.value.error) == (401, "unauthorized")
