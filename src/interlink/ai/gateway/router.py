"""`/api/v1/ai/openai/v1` and `/api/v1/ai/anthropic/v1`: the gateway in OpenAI's and Anthropic's
own API, so their official SDKs work by changing `base_url` (and `api_key` to an Interlink key).
Errors leave in each API's error shape, with our code inside; every answer names the integration
and model that served it and its cost (`x-interlink-*` headers and an `interlink` field)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import aclosing
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field, ValidationError

from interlink.ai.gateway import anthropic_wire, openai_wire
from interlink.ai.gateway.deps import Caller, Deps
from interlink.ai.gateway.service import Streamed
from interlink.ai.routes.policy import Hints
from interlink.api.errors import translate_validation
from interlink.core.errors import InterlinkError, InvalidRequest
from interlink.providers.kit.llm import estimated_tokens

Translate = Callable[[InterlinkError], tuple[int, dict[str, Any]]]
_STATUSES = (400, 401, 402, 403, 404, 409, 422, 429, 500, 502, 503, 504)


class OpenAIErrorObject(BaseModel):
    message: str
    type: str = "api_error"
    param: str | None = None
    code: str = Field(description="Interlink's error code")
    details: list[Any] = Field(default_factory=list)


class OpenAIError(BaseModel):
    error: OpenAIErrorObject


class AnthropicErrorObject(BaseModel):
    type: str = "api_error"
    message: str
    code: str = Field(description="Interlink's error code")
    details: list[Any] = Field(default_factory=list)


class AnthropicError(BaseModel):
    type: Literal["error"] = "error"
    error: AnthropicErrorObject


def _errors(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    """A body refused before the gateway reads it (not JSON, too deep) is in our envelope,
    whose `error` has the code and message too."""
    described = {"model": model, "description": "The API's own error object, our code inside"}
    return {status: described for status in _STATUSES}


def _answer(description: str, *, stream: bool = False) -> dict[int | str, dict[str, Any]]:
    content: dict[str, Any] = {"application/json": {"schema": {"type": "object"}}}
    if stream:
        content["text/event-stream"] = {"schema": {"type": "string"}}
    return {200: {"description": description, "content": content}}


def speaking(translate: Translate) -> type[APIRoute]:
    """A route class whose errors leave in `translate`'s shape instead of our envelope."""

    class Route(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handle = super().get_route_handler()

            async def handler(request: Request) -> Response:
                try:
                    return await handle(request)
                except InterlinkError as failure:
                    return _refused(translate, failure)
                except RequestValidationError as invalid:
                    return _refused(translate, translate_validation(invalid.errors()))

            return handler

    return Route


def _refused(translate: Translate, failure: InterlinkError) -> JSONResponse:
    status, body = translate(failure)
    return JSONResponse(body, status_code=status, headers=failure.headers or None)


def _input(build: Callable[[], Any]) -> Any:
    """What `build` makes of the request, its validation error a 400 like a body's."""
    try:
        return build()
    except ValidationError as exc:
        located = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise translate_validation(located) from None


def _hints(given: str | None, request: Request) -> Hints:
    quality = given or request.headers.get("x-interlink-quality")
    if quality not in (None, "economy", "standard", "high"):
        raise InvalidRequest("x-interlink-quality: give economy, standard or high")
    return Hints.model_validate({"quality": quality})


def _answer_id(prefix: str) -> str:
    return prefix + secrets.token_hex(12)


def _streaming(events: AsyncIterator[bytes], headers: dict[str, str]) -> StreamingResponse:
    headers = {**headers, "cache-control": "no-cache"}
    return StreamingResponse(events, media_type="text/event-stream", headers=headers)


_COMPLETION = (
    "OpenAI's chat.completion object, or with `stream: true` its chat.completion.chunk events "
    "ending with `data: [DONE]`; the x-interlink-* headers and the `interlink` field say which "
    "integration and model served it and its cost"
)
_MESSAGE = (
    "Anthropic's message object, or with `stream: true` its events (message_start ... "
    "message_stop); the x-interlink-* headers and the `interlink` field say which integration "
    "and model served it and its cost"
)


# -- OpenAI ----------------------------------------------------------------------------------------
openai = APIRouter(
    prefix="/ai/openai/v1", tags=["ai gateway"], route_class=speaking(openai_wire.error)
)


@openai.post(
    "/chat/completions",
    summary="Chat completions, OpenAI's way: `model` is a route or <integration>/<model>",
    response_class=JSONResponse,
    responses={**_errors(OpenAIError), **_answer(_COMPLETION, stream=True)},
)
async def openai_chat_completions(
    body: openai_wire.ChatRequest, principal: Caller, deps: Deps, request: Request
) -> Response:
    params = _input(body.chat_input)
    hints = _hints(body.quality, request)
    created = int(deps.clock.now().timestamp())
    if not body.stream:
        output, served = await deps.ai_gateway.chat(principal, body.model, params, hints)
        answer = openai_wire.completion(output, served, created)
        return JSONResponse(answer, headers=openai_wire.headers(served))
    streamed = await deps.ai_gateway.stream(principal, body.model, params, hints)
    usage = body.stream_options is not None and body.stream_options.include_usage
    writer = openai_wire.ChunkWriter(_answer_id("chatcmpl-"), streamed.served.model, created)
    events = _openai_events(streamed, writer, usage)
    return _streaming(events, openai_wire.headers(streamed.served, cost=False))


async def _openai_events(
    streamed: Streamed, writer: openai_wire.ChunkWriter, include_usage: bool
) -> AsyncIterator[bytes]:
    try:
        async with aclosing(streamed.chunks) as chunks:  # a caller gone: charged at once
            async for chunk in chunks:
                yield writer.chunk(chunk)
    except InterlinkError as failure:  # cut mid-way: OpenAI says so in a last data event
        yield openai_wire.sse(openai_wire.error(failure)[1])
        return
    if include_usage:
        yield writer.usage(streamed.usage, streamed.served)
    yield openai_wire.DONE


@openai.post(
    "/embeddings",
    summary="Embeddings, OpenAI's way: `model` is a route or <integration>/<model>",
    response_class=JSONResponse,
    responses={**_errors(OpenAIError), **_answer("OpenAI's list of embeddings")},
)
async def openai_embeddings(
    body: openai_wire.EmbeddingsRequest, principal: Caller, deps: Deps
) -> Response:
    params = _input(body.embeddings_input)
    output, served = await deps.ai_gateway.embeddings(principal, body.model, params)
    answer = openai_wire.embeddings(output, served, body.encoding_format)
    return JSONResponse(answer, headers=openai_wire.headers(served))


@openai.get(
    "/models",
    summary="The models to give as `model`: the workspace's routes, then <integration>/<model>",
    response_class=JSONResponse,
    responses={**_errors(OpenAIError), **_answer("OpenAI's list of models")},
)
async def openai_models(principal: Caller, deps: Deps) -> Response:
    found = await deps.ai_gateway.models(principal)
    return JSONResponse(openai_wire.models(found, int(deps.clock.now().timestamp())))


# -- Anthropic -------------------------------------------------------------------------------------
anthropic = APIRouter(
    prefix="/ai/anthropic/v1", tags=["ai gateway"], route_class=speaking(anthropic_wire.error)
)


@anthropic.post(
    "/messages",
    summary="Messages, Anthropic's way: `model` is a route or <integration>/<model>",
    response_class=JSONResponse,
    responses={**_errors(AnthropicError), **_answer(_MESSAGE, stream=True)},
)
async def anthropic_messages(
    body: anthropic_wire.MessagesRequest, principal: Caller, deps: Deps, request: Request
) -> Response:
    params = _input(body.chat_input)
    hints = _hints(body.quality, request)
    if not body.stream:
        output, served = await deps.ai_gateway.chat(principal, body.model, params, hints)
        answer = anthropic_wire.message(output, served)
        return JSONResponse(answer, headers=openai_wire.headers(served))
    streamed = await deps.ai_gateway.stream(principal, body.model, params, hints)
    writer = anthropic_wire.EventWriter(
        _answer_id("msg_"), streamed.served.model, estimated_tokens(params)
    )
    events = _anthropic_events(streamed, writer)
    return _streaming(events, openai_wire.headers(streamed.served, cost=False))


@anthropic.get(
    "/models",
    summary="The models to give as `model`, Anthropic's way: routes, then <integration>/<model>",
    response_class=JSONResponse,
    responses={**_errors(AnthropicError), **_answer("Anthropic's page of models (one page)")},
)
async def anthropic_models(principal: Caller, deps: Deps) -> Response:
    return JSONResponse(anthropic_wire.models(await deps.ai_gateway.models(principal)))


async def _anthropic_events(
    streamed: Streamed, writer: anthropic_wire.EventWriter
) -> AsyncIterator[bytes]:
    yield writer.start()
    try:
        async with aclosing(streamed.chunks) as chunks:
            async for chunk in chunks:
                yield writer.chunk(chunk)
    except InterlinkError as failure:  # cut mid-way: Anthropic sends an error event
        yield anthropic_wire.event("error", {"error": anthropic_wire.error(failure)[1]["error"]})
        return
    yield writer.end(streamed.usage, streamed.served)
