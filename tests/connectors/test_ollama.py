"""What is Ollama's own in the ollama provider (the contract suite and the recorded fixtures
cover the rest): no credential for a local server and a bearer token for a proxied one, the model
store managed through the API (pull, create, show, delete), a failure said inside a stream, and
the translation of tools to Ollama's (no tool_choice, arguments as an object)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from interlink.core.errors import ExternalServiceError, InterlinkError, InvalidOperation
from interlink.providers.kit.llm import ChatChunk, ChatInput, ToolCallDelta, Usage
from interlink.providers.ollama import OllamaConnector
from interlink.providers.ollama.models import GenerateInput
from interlink.providers.ollama.translate import chat_body
from interlink.testing import Fault, OllamaMock, RunningMock, serve_mock
from interlink.testing.contract import stage
from tests.conftest import ADMIN_KEY, data, error
from tests.connectors.conftest import create_active, run_operation

PROXY_TOKEN = "proxy-bearer-token-0123456789"
WEATHER = {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}
GATEWAY = "http://testserver/api/v1/ai"
CLOCK = {"name": "get_time", "parameters": {"type": "object", "properties": {}}}


@pytest.fixture
async def ollama() -> AsyncIterator[RunningMock[OllamaMock]]:
    async with serve_mock(OllamaMock(token=PROXY_TOKEN)) as running:
        yield running


async def _integration(
    client: httpx.AsyncClient, ollama: RunningMock[OllamaMock], credentials: dict[str, str]
) -> str:
    configuration = {"api_url": ollama.api_url, "auth_method": "api_key"}
    body = {"name": "Ollama", "type": "ollama", "configuration": configuration}
    return await create_active(client, body | ({"credentials": credentials} if credentials else {}))


async def test_a_local_ollama_takes_no_credential_and_the_check_names_its_version(
    client: httpx.AsyncClient, ollama: RunningMock[OllamaMock]
) -> None:
    iid = await _integration(client, ollama, {})
    messages = [{"role": "user", "content": "Hello there"}]

    answer = data(await run_operation(client, iid, "chat", model="llama3.2", messages=messages))
    tested = data(await client.post(f"/api/v1/integrations/{iid}/test"))["connection_test"]

    [sent] = ollama.mock.calls.filter("POST", "/api/chat")
    assert "Authorization" not in sent.headers
    assert answer["result"]["message"]["content"] == "You said: Hello there"
    assert answer["result"]["usage"] == {"prompt_tokens": 3, "completion_tokens": 4}
    assert tested["message"].endswith("Ollama 0.12.6")


async def test_a_proxied_ollama_gets_its_bearer_token(
    client: httpx.AsyncClient, ollama: RunningMock[OllamaMock]
) -> None:
    iid = await _integration(client, ollama, {"api_key": PROXY_TOKEN})

    listed = data(await run_operation(client, iid, "list_models"))

    [sent] = ollama.mock.calls.filter("GET", "/api/tags")
    assert sent.headers["Authorization"] == f"Bearer {PROXY_TOKEN}"
    assert [m["id"] for m in listed["result"]["items"]] == [
        "llama3.2:latest",
        "nomic-embed-text:latest",
    ]


async def test_models_are_pulled_customised_shown_and_deleted(
    client: httpx.AsyncClient, ollama: RunningMock[OllamaMock]
) -> None:
    iid = await _integration(client, ollama, {})
    custom = {"model": "terse", "from_model": "qwen2.5:0.5b", "system": "Be terse.",
              "parameters": {"temperature": 0.2, "stop": ["<|im_end|>"]}}  # fmt: skip

    pulled = data(await run_operation(client, iid, "pull_model", model="qwen2.5:0.5b"))
    created = data(await run_operation(client, iid, "create_model", **custom))
    shown = data(await run_operation(client, iid, "show_model", model="terse"))
    deleted = data(await run_operation(client, iid, "delete_model", model="qwen2.5:0.5b"))
    listed = data(await run_operation(client, iid, "list_models"))
    gone = error(await run_operation(client, iid, "show_model", model="qwen2.5:0.5b"))

    assert pulled["result"] == {"model": "qwen2.5:0.5b", "status": "success",
                                "completed": 397_821_319, "total": 397_821_319}  # fmt: skip
    assert created["result"] == {"model": "terse", "status": "success"}
    result = shown["result"]
    assert (result["parent_model"], result["system"]) == ("qwen2.5:0.5b", "Be terse.")
    assert (result["family"], result["context_window"]) == ("qwen2", 32_768)
    assert result["parameters"] == 'temperature 0.2\nstop "<|im_end|>"'
    assert deleted["result"] == {"model": "qwen2.5:0.5b", "status": "success"}
    names = [m["id"] for m in listed["result"]["items"]]
    assert names == ["llama3.2:latest", "nomic-embed-text:latest", "terse:latest"]
    assert gone["code"] == "EXTERNAL_RESOURCE_NOT_FOUND"
    assert {"provider_status": 404, "provider_message": "model 'qwen2.5:0.5b' not found"} in gone[
        "details"
    ]


async def test_models_are_switched_by_loading_one_and_unloading_another(
    client: httpx.AsyncClient, ollama: RunningMock[OllamaMock]
) -> None:
    iid = await _integration(client, ollama, {})
    messages = [{"role": "user", "content": "Hi"}]

    data(await run_operation(client, iid, "pull_model", model="qwen2.5:0.5b"))
    data(await run_operation(client, iid, "chat", model="llama3.2", messages=messages))
    data(await run_operation(client, iid, "load_model", model="qwen2.5:0.5b", keep_alive=-1))
    both = data(await run_operation(client, iid, "running_models"))["result"]["items"]
    data(await run_operation(client, iid, "unload_model", model="llama3.2"))
    left = data(await run_operation(client, iid, "running_models"))["result"]["items"]
    refused = error(await run_operation(client, iid, "load_model", model="llama3.2",
                                        keep_alive="a while"))  # fmt: skip

    assert [m["model"] for m in both] == ["llama3.2:latest", "qwen2.5:0.5b"]
    assert both[1]["expires_at"].startswith("2318-")  # a negative keep_alive: until unloaded
    assert [m["model"] for m in left] == ["qwen2.5:0.5b"]
    assert refused["code"] == "INVALID_OPERATION"


async def test_a_pull_that_fails_inside_its_stream_says_ollamas_words(
    client: httpx.AsyncClient, ollama: RunningMock[OllamaMock]
) -> None:
    iid = await _integration(client, ollama, {})

    missing = error(await run_operation(client, iid, "pull_model", model="no-such-model"))
    cut_short = Fault.truncated(b'{"status": "pulling manifest"}\n{"status": "pu')
    ollama.mock.faults.add(cut_short, times=10)  # each retry of the pull is cut too
    cut = error(await run_operation(client, iid, "pull_model", model="gemma3:1b"))

    assert missing["code"] == "EXTERNAL_RESOURCE_NOT_FOUND"
    said = {"provider_status": 200, "provider_message": "pull model manifest: file does not exist"}
    assert said in missing["details"]
    assert cut["code"] == "EXTERNAL_SERVICE_ERROR"


async def _streamed(params: dict[str, Any], fault: Fault | None = None) -> list[ChatChunk]:
    """`stream_chat` against a fresh mock (answering with `fault` when given)."""
    [fixture] = [f for f in OllamaConnector.fixtures() if f.name == "chat"]
    async with stage(OllamaConnector, fixture) as staged:
        if fault is not None:
            staged.mock.faults.add(fault, times=1)
        chat = ChatInput.model_validate(params)
        return [chunk async for chunk in OllamaConnector().stream_chat(staged.context(), chat)]


async def test_a_streamed_chat_comes_a_word_a_chunk_and_ends_with_its_usage() -> None:
    asked = {"model": "llama3.2", "messages": [{"role": "user", "content": "Hello there"}]}

    chunks = await _streamed(asked)

    assert [c.content for c in chunks] == ["You ", "said: ", "Hello ", "there", ""]
    assert [c.finish_reason for c in chunks] == [None] * 4 + ["stop"]
    assert chunks[-1].usage == Usage(prompt_tokens=3, completion_tokens=4)


async def test_a_streamed_tool_call_is_one_delta_with_its_arguments() -> None:
    tool = {"name": "get_weather", "parameters": {"type": "object", "required": ["city"],
            "properties": {"city": {"type": "string"}}}}  # fmt: skip
    messages = [{"role": "user", "content": "get_weather for Paris"}]

    chunks = await _streamed({"model": "llama3.2", "messages": messages, "tools": [tool]})

    assert [d for c in chunks for d in c.tool_calls] == [
        ToolCallDelta(index=0, id="call_0", name="get_weather", arguments='{"city": "Paris"}')
    ]
    assert chunks[-1].finish_reason == "tool_calls"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"model": "llama3.2", "message": {"role": "assistant", "content": "You "}}\n',
         ExternalServiceError.code),
        (b'{"error": "llama runner process has terminated: exit status 2"}\n',
         ExternalServiceError.code),
        (b'{"error": "model \\"llama3.2\\" not found, try pulling it first"}\n',
         "EXTERNAL_RESOURCE_NOT_FOUND"),
    ],
    ids=["ends before done", "a failure said in the stream", "a model said missing"],
)  # fmt: skip
async def test_a_stream_that_fails_after_it_began_ends_with_our_error(
    body: bytes, code: str
) -> None:
    asked = {"model": "llama3.2", "messages": [{"role": "user", "content": "Hi"}]}

    with pytest.raises(InterlinkError) as failed:
        await _streamed(asked, Fault.error(200, body))

    assert failed.value.code == code


async def test_a_streamed_generate_comes_a_word_a_chunk_and_stops_at_max_tokens() -> None:
    [fixture] = [f for f in OllamaConnector.fixtures() if f.name == "generate"]
    asked = GenerateInput(model="llama3.2", prompt="Why is the sky blue?", max_tokens=4)

    async with stage(OllamaConnector, fixture) as staged:
        connector, ctx = OllamaConnector(), staged.context()
        chunks = [chunk async for chunk in connector.stream_generate(ctx, asked)]

    assert "".join(c.content for c in chunks) == "You said: Why is"
    assert (chunks[-1].finish_reason, chunks[-1].usage) == (
        "length", Usage(prompt_tokens=7, completion_tokens=4))  # fmt: skip


@pytest.mark.parametrize(
    ("fixture_name", "body"),
    [
        ("chat", b"<html>502 Bad Gateway</html>"),
        ("chat", b'{"model": "llama3.2", "message": "You said: Hi", "done": true}'),
        ("embeddings", b'{"model": "nomic-embed-text", "embeddings": [[0.1, 0.2]]}'),
        ("embeddings", b'{"model": "nomic-embed-text", "embeddings": [["a"], ["b"]]}'),
        ("list_models", b'{"models": {"llama3.2": {}}}'),
        ("pull_model", b'{"status": "pulling manifest"}\n'),
    ],
    ids=["not json", "no message", "a vector short", "not numbers", "no list", "no success"],
)
async def test_an_answer_that_is_not_ollamas_is_an_external_service_error(
    fixture_name: str, body: bytes
) -> None:
    [fixture] = [f for f in OllamaConnector.fixtures() if f.name == fixture_name]

    async with stage(OllamaConnector, fixture) as staged:
        staged.mock.faults.add(Fault.error(200, body), times=1)
        result = await staged.run()

    assert result.code == ExternalServiceError.code


def test_without_tool_choice_ollama_gets_no_tools_for_none_and_one_for_a_name() -> None:
    asked: dict[str, Any] = {"model": "llama3.2", "messages": [{"role": "user", "content": "?"}]}
    tools = [WEATHER, CLOCK]

    def sent(choice: str) -> list[str]:
        body = chat_body(ChatInput.model_validate(asked | {"tools": tools, "tool_choice": choice}),
                         stream=False)  # fmt: skip
        return [tool["function"]["name"] for tool in body.get("tools", [])]

    assert sent("auto") == sent("required") == ["get_weather", "get_time"]
    assert sent("none") == []
    assert sent("get_time") == ["get_time"]


def test_a_tool_calls_arguments_go_as_an_object_and_its_answer_names_the_tool() -> None:
    call = {"id": "call_0", "name": "get_weather", "arguments": '{"city": "Paris"}'}
    messages = [
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_0", "content": "18C"},
    ]

    body = chat_body(ChatInput(model="llama3.2", messages=messages), stream=True)
    bad = [*messages[:1], {"role": "assistant", "tool_calls": [call | {"arguments": "[1]"}]}]

    assert body["messages"][1]["tool_calls"] == [
        {"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}
    ]
    assert body["messages"][2] == {"role": "tool", "content": "18C", "tool_name": "get_weather"}
    assert body["stream"] is True
    with pytest.raises(InvalidOperation):
        chat_body(ChatInput.model_validate({"model": "llama3.2", "messages": bad}), stream=False)


async def test_an_ollama_integration_through_the_openai_and_anthropic_surfaces(
    app: FastAPI, client: httpx.AsyncClient, ollama: RunningMock[OllamaMock]
) -> None:
    import anthropic
    import httpx2
    import openai

    await _integration(client, ollama, {})
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        keys: dict[str, Any] = {"api_key": ADMIN_KEY, "http_client": http, "max_retries": 0}
        gpt = openai.AsyncOpenAI(base_url=f"{GATEWAY}/openai/v1", **keys)
        claude = anthropic.AsyncAnthropic(base_url=f"{GATEWAY}/anthropic", **keys)
        whole = await gpt.chat.completions.create(
            model="Ollama/llama3.2", messages=[{"role": "user", "content": "Hi"}]
        )
        stream = await gpt.chat.completions.create(
            model="Ollama/llama3.2", stream=True,
            messages=[{"role": "user", "content": "one two three"}],
        )  # fmt: skip
        pieces = [c.choices[0].delta.content or "" async for c in stream if c.choices]
        vectors = await gpt.embeddings.create(model="Ollama/nomic-embed-text", input=["a", "b"])
        message = await claude.messages.create(
            model="Ollama/llama3.2", max_tokens=50, messages=[{"role": "user", "content": "Hello"}]
        )

    assert whole.choices[0].message.content == "You said: Hi"
    assert "".join(pieces) == "You said: one two three"
    assert [len(item.embedding) for item in vectors.data] == [8, 8]
    assert message.content[0].text == "You said: Hello"  # type: ignore[union-attr]
    assert [c.path for c in ollama.mock.calls.all()] == [
        "/api/chat", "/api/chat", "/api/embed", "/api/chat"]  # fmt: skip
