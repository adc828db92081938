"""A deep health check's `completion`: the cheapest real answer a language model can give (a
one-word prompt, at most one token back), streamed to time its first token, and charged to the
integration's budgets like any call. Only language models have it; the check asks for it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from pydantic import ValidationError

from interlink.core.clock import Clock
from interlink.core.errors import BudgetExceeded, InterlinkError, InvalidIntegrationConfig
from interlink.integrations.health_schemas import CheckStatus, HealthCheckItem
from interlink.integrations.operations_service import LanguageModelMeter
from interlink.providers.kit.action import Connector
from interlink.providers.kit.context import ActionContext
from interlink.providers.kit.llm import (
    CHARS_PER_TOKEN,
    ChatChunk,
    ChatInput,
    ChatMessage,
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
    first_ms: int | None = None
    first_at: datetime | None = None


class CompletionCheck:
    """One tiny completion for integration `integration_id` of `workspace_id`."""

    def __init__(
        self,
        connector: type[Connector],
        ctx: ActionContext,
        meter: LanguageModelMeter | None,
        identity: tuple[str, str, str],  # workspace id, integration id, integration type
        clock: Clock,
    ) -> None:
        self.connector = connector
        self.ctx = ctx
        self.meter = meter
        self.clock = clock
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
        try:
            return ChatInput(model=model, messages=[message], max_tokens=1)
        except ValidationError:
            raise InvalidIntegrationConfig(
                "configuration.default_model is not a model name (1 to 200 characters)",
                details=[{"field": "configuration.default_model"}],
            ) from None

    async def _first_listed(self) -> str:
        listed = await self.connector().run("list_models", self.ctx, ListModelsInput())
        names = [m.id for m in cast(ModelList, listed).items if "embed" not in m.id]
        if not names:
            raise InvalidIntegrationConfig(
                "The provider lists no chat model: give configuration.default_model"
            )
        return names[0]

    async def _metered(self, params: ChatInput) -> HealthCheckItem:
        """The completion, held in the budgets before and charged after, as any call is: a
        failed one is let go of and recorded with its code (the model's error rate)."""
        meter = self.meter
        held: Any = None
        if meter is not None:
            held = await meter.reserve(
                self.workspace_id, self.integration_id, self.type, self.ctx.configuration, params
            )
        started = time.perf_counter()
        try:
            answer = await self._stream(params, started)
        except InterlinkError as failure:
            if held is not None and meter is not None:
                await asyncio.shield(meter.release(held, failure.code, OPERATION))
            raise
        except BaseException:
            if held is not None and meter is not None:
                await asyncio.shield(meter.release(held))
            raise
        took = _ms(started)
        if held is not None and meter is not None:
            await meter.settle(
                held, _used(params, answer), OPERATION, was_counted=answer.usage is None,
                first_token_at=answer.first_at,
            )  # fmt: skip
        return _passed(params, answer, took)

    async def _stream(self, params: ChatInput, started: float) -> _Answer:
        answer = _Answer()
        streaming = cast(_Streams, self.connector())
        async for chunk in streaming.stream_chat(self.ctx, params):
            if answer.first_ms is None:
                answer.first_ms, answer.first_at = _ms(started), self.clock.now()
            answer.text += chunk.content
            answer.usage = chunk.usage or answer.usage
        return answer


def _used(params: ChatInput, answer: _Answer) -> Usage:
    """The usage the stream said, else counted as the meter counts a stream's."""
    return answer.usage or Usage(
        prompt_tokens=estimated_tokens(params),
        completion_tokens=len(answer.text) // CHARS_PER_TOKEN,
    )


def _passed(params: ChatInput, answer: _Answer, took: int) -> HealthCheckItem:
    used = _used(params, answer)
    first = "no token" if answer.first_ms is None else f"first token in {answer.first_ms} ms"
    return HealthCheckItem(
        name="completion", status="passed", latency_ms=took,
        time_to_first_token_ms=answer.first_ms,
        message=(
            f"{params.model} answered in {took} ms ({first}; {used.prompt_tokens} prompt and "
            f"{used.completion_tokens} completion tokens, charged)"
        ),
    )  # fmt: skip


def _item(status: CheckStatus, message: str) -> HealthCheckItem:
    return HealthCheckItem(name="completion", status=status, message=message)


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
