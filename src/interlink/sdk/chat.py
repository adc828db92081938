"""Chat through the gateway's OpenAI-compatible surface (docs/ai.md, "The gateway"):
ChatClient and its async twin, on the SDK's own HTTP client and API key.

`model` is a route's name or `<integration>/<model>`. `chat` returns the whole answer with the
integration and model that served it and its cost; `stream_chat` returns once the server has
answered (a refused call raises there) and yields ChatChunk objects as they come, the last one
with the usage and who served it; `stream.answer()` gathers what came. A chat may be billed as
soon as it arrives, so a connection that breaks after it was sent is not sent again.

    with client.ai.stream_chat("smart", "Say hello") as stream:
        for chunk in stream:
            print(chunk.content or "", end="")
    print(stream.answer().served.cost)
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from typing import Any, Self

from pydantic import Field

from interlink.sdk.base import AsyncResource, SyncResource
from interlink.sdk.client import Call
from interlink.sdk.errors import HttpError, api_error
from interlink.sdk.models import Model
from interlink.sdk.sse import SseMessages

PATH = "/ai/openai/v1"
DONE = "[DONE]"
Messages = str | Sequence[dict[str, Any]]


class ChatUsage(Model):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class ServedBy(Model):
    """Which integration and model answered, through which route, and the cost in dollars."""

    integration_id: str
    integration: str | None = None
    model: str
    route: str | None = None
    route_version: int | None = None
    fallbacks: int = 0
    cost: str = "0"


class ChatToolCall(Model):
    id: str
    name: str
    arguments: str = "{}"


class ChatAnswer(Model):
    id: str
    model: str
    content: str | None = None
    tool_calls: list[ChatToolCall] = Field(default_factory=list)
    finish_reason: str | None = None
    usage: ChatUsage = Field(default_factory=ChatUsage)
    served: ServedBy | None = None

    @classmethod
    def of(cls, body: Any) -> ChatAnswer:
        """From OpenAI's chat.completion object (with Interlink's `interlink` field)."""
        choice = body["choices"][0]
        message = choice.get("message") or {}
        calls = [{"id": c["id"], **c.get("function", {})} for c in message.get("tool_calls") or []]
        return cls.model_validate({
            "id": body["id"], "model": body["model"], "content": message.get("content"),
            "tool_calls": calls, "finish_reason": choice.get("finish_reason"),
            "usage": body.get("usage") or {}, "served": body.get("interlink"),
        })  # fmt: skip


class ChatChunk(Model):
    """A piece of a streamed answer: text, parts of tool calls (OpenAI's deltas), the finish
    reason; the last chunk has no text but the usage and who served it."""

    id: str = ""
    model: str
    content: str | None = None
    tool_calls: list[dict[str, Any]] = Field(default_factory=list)
    finish_reason: str | None = None
    usage: ChatUsage | None = None
    served: ServedBy | None = None

    @classmethod
    def of(cls, body: dict[str, Any]) -> ChatChunk:
        choice = (body.get("choices") or [{}])[0]
        delta = choice.get("delta") or {}
        return cls.model_validate({
            "id": body.get("id", ""), "model": body.get("model", ""),
            "content": delta.get("content"),
            "tool_calls": delta.get("tool_calls") or [],
            "finish_reason": choice.get("finish_reason"), "usage": body.get("usage"),
            "served": body.get("interlink"),
        })  # fmt: skip


def _request(model: str, prompt: Messages, system: str | None, options: dict[str, Any]) -> Any:
    messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else list(prompt)
    if system is not None:
        messages = [{"role": "system", "content": system}, *messages]
    given = {k: v for k, v in options.items() if v is not None}
    return {"model": model, "messages": messages, **given}


class calls:
    @staticmethod
    def chat(body: dict[str, Any]) -> Call[ChatAnswer]:
        path = f"{PATH}/chat/completions"
        return Call("POST", path, ChatAnswer.of, json=body, resend=False)

    @staticmethod
    def stream(body: dict[str, Any]) -> Call[None]:
        body = {**body, "stream": True, "stream_options": {"include_usage": True}}
        headers = {"Accept": "text/event-stream"}
        return Call("POST", f"{PATH}/chat/completions", _nothing, json=body, headers=headers)

    @staticmethod
    def models() -> Call[list[str]]:
        return Call("GET", f"{PATH}/models", lambda body: [m["id"] for m in body["data"]])


def _nothing(_: Any) -> None:
    return None


class _Chunks:
    """Reads the stream's `data:` lines into chunks; an error event raises its exception."""

    def __init__(self) -> None:
        self.seen: list[ChatChunk] = []
        self.done = False
        self._messages = SseMessages()

    def feed(self, line: str) -> ChatChunk | None:
        text = self._messages.feed(line)
        if text is None or self.done:
            return None
        if text.strip() == DONE:
            self.done = True
            return None
        try:
            body = json.loads(text)
        except ValueError:
            raise HttpError(f"The chat stream sent a line that is not JSON: {text[:200]}") from None
        if "error" in body:
            error = body["error"]
            details = error.get("details") or []
            raise api_error(str(error.get("code")), str(error.get("message")), details=details)
        chunk = ChatChunk.of(body)
        self.seen.append(chunk)
        return chunk

    def answer(self) -> ChatAnswer:
        content = "".join(chunk.content or "" for chunk in self.seen)
        last = next((c for c in reversed(self.seen) if c.served is not None), None)
        finish = next((c.finish_reason for c in reversed(self.seen) if c.finish_reason), None)
        first = self.seen[0] if self.seen else ChatChunk(model="")
        return ChatAnswer(
            id=first.id, model=first.model, content=content or None,
            tool_calls=_tool_calls(self.seen), finish_reason=finish,
            usage=(last.usage if last and last.usage else ChatUsage()),
            served=last.served if last else None,
        )  # fmt: skip


def _tool_calls(chunks: list[ChatChunk]) -> list[ChatToolCall]:
    """The tool calls of a stream, put together from their deltas by index."""
    parts: dict[int, dict[str, str]] = {}
    for delta in (d for chunk in chunks for d in chunk.tool_calls):
        call = parts.setdefault(int(delta.get("index", 0)), {"id": "", "name": "", "arguments": ""})
        function = delta.get("function") or {}
        call["id"] = delta.get("id") or call["id"]
        call["name"] = function.get("name") or call["name"]
        call["arguments"] += function.get("arguments") or ""
    return [ChatToolCall.model_validate(parts[index]) for index in sorted(parts)]


class ChatStream:
    """A streamed answer: iterate it for ChatChunk objects; `answer()` is what came so far;
    `close()` (or `with`) hangs up."""

    def __init__(self, lines: Iterator[str], close: Callable[[], None]) -> None:
        self._lines = lines
        self._close = close
        self._chunks = _Chunks()

    def __iter__(self) -> Iterator[ChatChunk]:
        for line in self._lines:
            chunk = self._chunks.feed(line)
            if chunk is not None:
                yield chunk

    def answer(self) -> ChatAnswer:
        return self._chunks.answer()

    def close(self) -> None:
        self._close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


class AsyncChatStream:
    """The asynchronous twin of ChatStream: `async for`, `await close()`, `async with`."""

    def __init__(self, lines: AsyncIterator[str], close: Callable[[], Awaitable[None]]) -> None:
        self._lines = lines
        self._close = close
        self._chunks = _Chunks()

    async def __aiter__(self) -> AsyncIterator[ChatChunk]:
        async for line in self._lines:
            chunk = self._chunks.feed(line)
            if chunk is not None:
                yield chunk

    def answer(self) -> ChatAnswer:
        return self._chunks.answer()

    async def close(self) -> None:
        await self._close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()


class ChatClient(SyncResource):
    """Chat with a route or an integration's model. `prompt` is a text (the user's message) or
    OpenAI's list of messages; `options` are OpenAI's (max_tokens, temperature, tools,
    response_format...) and Interlink's `quality` hint (economy, standard, high)."""

    def chat(
        self, model: str, prompt: Messages, *, system: str | None = None, **options: Any
    ) -> ChatAnswer:
        return self._http.run(calls.chat(_request(model, prompt, system, options)))

    def stream_chat(
        self, model: str, prompt: Messages, *, system: str | None = None, **options: Any
    ) -> ChatStream:
        stack = contextlib.ExitStack()
        call = calls.stream(_request(model, prompt, system, options))
        lines = stack.enter_context(self._http.stream(call))
        return ChatStream(lines, stack.close)

    def list_models(self) -> list[str]:
        """What `model` may be: the workspace's routes, then `<integration>/<model>`."""
        return self._http.run(calls.models())


class AsyncChatClient(AsyncResource):
    """The asynchronous twin of ChatClient."""

    async def chat(
        self, model: str, prompt: Messages, *, system: str | None = None, **options: Any
    ) -> ChatAnswer:
        return await self._http.run(calls.chat(_request(model, prompt, system, options)))

    async def stream_chat(
        self, model: str, prompt: Messages, *, system: str | None = None, **options: Any
    ) -> AsyncChatStream:
        stack = contextlib.AsyncExitStack()
        call = calls.stream(_request(model, prompt, system, options))
        lines = await stack.enter_async_context(self._http.stream(call))
        return AsyncChatStream(lines, stack.aclose)

    async def list_models(self) -> list[str]:
        """What `model` may be: the workspace's routes, then `<integration>/<model>`."""
        return await self._http.run(calls.models())
