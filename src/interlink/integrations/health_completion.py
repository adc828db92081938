"""A deep health check's `completion`: the cheapest real answer a language model can give (a
one-word prompt, at most one token back), streamed to time its first token, and charged to the
integration's budgets like any call. Only language models have it; the check asks for it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol, cast

from interlink.core.errors import BudgetExceeded, InterlinkError, InvalidIntegrationConfig
from interlink.integrations.health_schemas import HealthCheckItem
from interlink.integrations.operations_service import LanguageModelMeter
from interlink.providers.kit.action import Connector
from interlink.providers.kit.context import ActionContext
from interlink.providers.kit.llm import (
    CHARS_PER_TOKEN,
    ChatChunk,
    ChatInput,
    ChatMessage,
    ChatOutput,
    FinishReason,
    ListModelsInput,
    ModelList,
    Usage,
    estimated_tokens,
)

PROMPT = "Hi"
OPERATION = "health_check"  # what its usage is recorded under
# Each provider's cheapest chat model in its price list, asked when the integration names none
# in `configuration.default_model`; an Ollama server's models are its own: its first listed.
CHEAPEST_MODELS = {
    "openai": "gpt-4.1-nano",
    "anthropic": "claude-haiku-4-5",
    "gemini": "gemini-2.5-flash-lite",
}


class _Streams(Protocol):
    def stream_chat(self, ctx: ActionContext, params: ChatInput) -> AsyncIterator[ChatChunk]: ...


def speaks(connector: type[Connector]) -> bool:
    """Whether the integration is a language model (it chats, and streams its answers)."""
    return "chat" in connector.actions and callable(getattr(connector, "stream_chat", None))


@dataclass
class _Answer:
    text: str = ""
    usage: Usage | None = None
    finish: FinishReason = "length"
    first_ms: int | None = None


class CompletionCheck:
    """One tiny completion for integration `integration_id` of `workspace_id`."""

    def __init__(
        self,
        connector: type[Connector],
        ctx: ActionContext,
        meter: LanguageModelMeter | None,
        identity: tuple[str, str, str],  # workspace id, integration id, integration type
    ) -> None:
        self.connector = connector
        self.ctx = ctx
        self.meter = meter
        self.workspace_id, self.integration_id, self.type = identity

    async def run(self) -> HealthCheckItem:
        secrets = self.ctx.secrets
        with secrets.active():
            try:
                params = await self._params()
                return await self._metered(params)
            except BudgetExceeded as spent:
                return _item("warning", f"Not tried, the budget is spent: {spent.message}")
            except InterlinkError as failure:
                safe = secrets.error(failure)
                provider = next(
                    (d["provider_message"] for d in safe.details if "provider_message" in d), None
                )
                return _item("failed", f"{safe.code}: {provider or safe.message}")

    async def _params(self) -> ChatInput:
        model = self.ctx.configuration.get("default_model") or CHEAPEST_MODELS.get(self.type)
        if not isinstance(model, str) or not model:
            model = await self._first_listed()
        message = ChatMessage(role="user", content=PROMPT)
        return ChatInput(model=model, messages=[message], max_tokens=1)

    async def _first_listed(self) -> str:
        listed = await self.connector().run("list_models", self.ctx, ListModelsInput())
        names = [m.id for m in cast(ModelList, listed).items if "embed" not in m.id]
        if not names:
            raise InvalidIntegrationConfig(
                "The provider lists no chat model: give configuration.default_model"
            )
        return names[0]

    async def _metered(self, params: ChatInput) -> HealthCheckItem:
        held: Any = None
        if self.meter is not None:
            held = await self.meter.reserve(
                self.workspace_id, self.integration_id, self.type, self.ctx.configuration, params
            )
        started = time.perf_counter()
        try:
            answer = await self._stream(params, started)
        except BaseException:
            if held is not None and self.meter is not None:
                await asyncio.shield(self.meter.release(held))
            raise
        took = _ms(started)
        if held is not None and self.meter is not None:
            await self.meter.settle_output(held, _output(params, answer), OPERATION)
        return _passed(params, answer, took)

    async def _stream(self, params: ChatInput, started: float) -> _Answer:
        answer = _Answer()
        streaming = cast(_Streams, self.connector())
        async for chunk in streaming.stream_chat(self.ctx, params):
            if answer.first_ms is None:
                answer.first_ms = _ms(started)
            answer.text += chunk.content
            answer.usage = chunk.usage or answer.usage
            answer.finish = chunk.finish_reason or answer.finish
        return answer


def _output(params: ChatInput, answer: _Answer) -> ChatOutput:
    """The answer as a chat's, with the usage the provider said (else counted)."""
    usage = answer.usage or Usage(
        prompt_tokens=estimated_tokens(params),
        completion_tokens=len(answer.text) // CHARS_PER_TOKEN,
    )
    message = ChatMessage(role="assistant", content=answer.text)
    return ChatOutput(
        id=OPERATION, model=params.model, message=message, finish_reason=answer.finish, usage=usage
    )


def _passed(params: ChatInput, answer: _Answer, took: int) -> HealthCheckItem:
    used = _output(params, answer).usage
    first = "no token" if answer.first_ms is None else f"first token in {answer.first_ms} ms"
    return HealthCheckItem(
        name="completion", status="passed", latency_ms=took,
        time_to_first_token_ms=answer.first_ms,
        message=(
            f"{params.model} answered in {took} ms ({first}; {used.prompt_tokens} prompt and "
            f"{used.completion_tokens} completion tokens, charged)"
        ),
    )  # fmt: skip


def _item(status: str, message: str) -> HealthCheckItem:
    return HealthCheckItem.model_validate(
        {"name": "completion", "status": status, "message": message}
    )


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
