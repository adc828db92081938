"""A mock of the Gemini API (`gemini`, v1beta): `models/{model}:generateContent`, its stream
`:streamGenerateContent` (`alt=sse`: Server-Sent Events; without it one JSON array),
`:batchEmbedContents`, and `GET /models` (paged by `pageToken`) and `/models/{model}`.

As Gemini does: the key is read from `x-goog-api-key` (or `?key=`); none is 403
`PERMISSION_DENIED`, a wrong one 400 `INVALID_ARGUMENT` with the `ErrorInfo` reason
`API_KEY_INVALID`. Errors are `{"error": {"code", "message", "status", "details"}}`; a spent
per-minute quota (requests; input tokens per model when `input_tokens_per_minute` is set) is 429
`RESOURCE_EXHAUSTED` with `QuotaFailure` and `RetryInfo` (and no header); a prompt over the
model's input limit is 400 `INVALID_ARGUMENT`; an unknown model 404 `NOT_FOUND`; an overloaded
model 503 `UNAVAILABLE`. No answer carries rate-limit headers. A thinking model signs its first
function call (`thoughtSignature`); `gemini-3-pro-preview`, as Gemini 3 does, refuses a call of
the current turn sent back without one (400). What the models write is in `mock_generate`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from functools import partial
from typing import Any, ClassVar

from aiohttp import web
from aiohttp.typedefs import Handler

from interlink.providers.gemini import mock_generate as generate
from interlink.providers.gemini.mock_models import DIMENSIONS, SIGNATURES_CHECKED, seeded
from interlink.providers.google_workspace.mock_errors import STATUSES
from interlink.testing.base import MockUpstream, json_response, read_json
from interlink.testing.toolkit import (
    Marker,
    PageError,
    RateBudget,
    TokenGate,
    token_page,
    token_start,
)

Obj = dict[str, Any]
ROOT = "/v1beta"
PAGES = Marker("models", urlsafe=True)
SERVICE = "generativelanguage.googleapis.com"
BATCH = "BatchEmbedContentsRequest"
REQUEST_FIELDS = frozenset({"contents", "systemInstruction", "tools", "toolConfig",
                            "generationConfig", "safetySettings", "cachedContent"})  # fmt: skip
CONFIG_FIELDS = frozenset({
    "stopSequences", "responseMimeType", "responseSchema", "responseJsonSchema", "candidateCount",
    "maxOutputTokens", "temperature", "topP", "topK", "seed", "presencePenalty",
    "frequencyPenalty", "responseLogprobs", "logprobs", "thinkingConfig", "responseModalities",
})  # fmt: skip


class GeminiError(Exception):
    """One of Google's errors, answered by the mock's gate."""

    def __init__(self, code: int, message: str, *details: Obj) -> None:
        super().__init__(message)
        self.code, self.message, self.details = code, message, list(details)

    def response(self) -> web.Response:
        error: Obj = {"code": self.code, "message": self.message,
                      "status": STATUSES.get(self.code, "UNKNOWN")}  # fmt: skip
        if self.details:
            error["details"] = self.details
        return json_response({"error": error}, status=self.code)


def _key_header(request: web.Request) -> str | None:
    return request.headers.get("x-goog-api-key")


def _key_query(request: web.Request) -> str | None:
    return request.query.get("key")


class GeminiMock(MockUpstream):
    """The Gemini API with four chat models and two embedding models (`mock_models`)."""

    name: ClassVar[str] = "gemini"
    api_root: ClassVar[str] = ROOT
    default_token: ClassVar[str] = "AIzaSyMock-GeminiKey0000000000000000000"  # noqa: S105

    def reset_state(self) -> None:
        self.models: dict[str, Obj] = {model["name"]: model for model in seeded()}
        self.requests_per_minute: int | None = 1000
        self.input_tokens_per_minute: int | None = None  # per model; None: no such quota
        self.answered = 0
        self.budget = self._per_minute(lambda: self.requests_per_minute)
        self.token_budget = self._per_minute(lambda: self.input_tokens_per_minute)

    def _per_minute(self, limit: Callable[[], int | None]) -> RateBudget:
        return RateBudget(limit, 60, clock=self.clock, exhausted=self.rate_limited_response)

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get(f"{ROOT}/models", self.list_models)
        router.add_get(f"{ROOT}/models/{{name}}", self.get_model)
        router.add_post(f"{ROOT}/models/{{name}}", self.call)

    @property
    def tokens(self) -> TokenGate:
        return TokenGate({self.token}, _refuse, (_key_header, _key_query))

    async def gate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        refusal = self.tokens.refusal(request)
        if refusal is not None:
            return refusal
        try:
            return await self.budget.meter(self.token, partial(handler, request))
        except GeminiError as error:
            return error.response()

    async def list_models(self, request: web.Request) -> web.StreamResponse:
        size = _page_size(request.query.get("pageSize"))
        try:
            start = token_start(request.query.get("pageToken"), PAGES)
        except PageError:
            raise GeminiError(400, "Invalid page token.") from None
        page = token_page(list(self.models.values()), start=start, limit=size, marker=PAGES)
        token = {"nextPageToken": page.next} if page.next else {}
        return json_response({"models": page.items} | token)

    async def get_model(self, request: web.Request) -> web.StreamResponse:
        return json_response(self._model(f"models/{request.match_info['name']}", None))

    async def call(self, request: web.Request) -> web.StreamResponse:
        name, _, method = request.match_info["name"].rpartition(":")
        model = f"models/{name}"
        body = await _body(request)
        if method == "generateContent":
            return json_response(self._answer(self._generate(model, body), streamed=False)[0])
        if method == "streamGenerateContent":
            chunks = self._answer(self._generate(model, body), streamed=True)
            return await self._stream(request, chunks)
        if method == "batchEmbedContents":
            return json_response(self._embed(model, body))
        raise GeminiError(404, f"Method not found: {method!r}.")

    def _generate(self, model: str, body: Obj) -> tuple[Obj, Obj]:
        found = self._model(model, "generateContent")
        _check_fields(body, REQUEST_FIELDS, "")
        config = generate.pick(body, "generationConfig") or {}
        _check_fields(config, CONFIG_FIELDS, "generation_config")
        contents = body.get("contents")
        if not isinstance(contents, list) or not contents:
            raise GeminiError(400, "* GenerateContentRequest.contents: contents is not specified\n")
        for content in contents:
            if not isinstance(content, dict) or content.get("role", "user") not in {
                "user",
                "model",
            }:
                raise GeminiError(400, "Please use a valid role: user, model.")
        counted, most = generate.prompt_tokens(body), int(found["inputTokenLimit"])
        if counted > most:
            raise GeminiError(400, f"The input token count ({counted}) exceeds the maximum "
                                   f"number of tokens allowed ({most}).")  # fmt: skip
        position = generate.unsigned_call(contents) if model in SIGNATURES_CHECKED else None
        if position is not None:
            raise GeminiError(400, "Function call is missing a thought_signature in functionCall "
                                   "parts. This is required for tools to work correctly, and "
                                   "missing thought_signature may lead to degraded model "
                                   f"performance. Additional data, position {position}. Please "
                                   "refer to https://ai.google.dev/gemini-api/docs/thought-"
                                   "signatures for more details.")  # fmt: skip
        self._spend_tokens(model, counted)
        return found, body

    def _spend_tokens(self, model: str, counted: int) -> None:
        """The model's input tokens per minute, when the mock keeps that quota."""
        limit = self.input_tokens_per_minute
        if limit is None:
            return
        window = self.token_budget.window(model)
        if window.used + counted > limit:
            wait = self.token_budget.retry_after(window)
            raise _quota(wait, "GenerateContentInputTokensPerModelPerMinute-FreeTier",
                         "generate_content_free_tier_input_token_count", limit)  # fmt: skip
        window.used += counted

    def _answer(self, chosen: tuple[Obj, Obj], *, streamed: bool) -> list[Obj]:
        """The answer as GenerateContentResponses: one, or a stream's chunks (each with the
        usage so far, as Gemini sends them)."""
        model, body = chosen
        self.answered += 1
        reply, prompt = generate.reply(body), generate.prompt_tokens(body)
        if model.get("thinking"):
            generate.sign(reply)
        chunks, written = [], 0
        for piece in generate.pieces(reply) if streamed else [reply]:
            written += generate.tokens(piece.text) + generate.tokens(json.dumps(piece.calls))
            chunks.append(self._chunk(model, piece, prompt, written))
        return chunks

    def _chunk(self, model: Obj, reply: generate.Reply, prompt: int, written: int) -> Obj:
        usage = {"promptTokenCount": prompt, "candidatesTokenCount": written,
                 "totalTokenCount": prompt + written}  # fmt: skip
        answer: Obj = {"usageMetadata": usage, "modelVersion": model["name"].split("/", 1)[1],
                       "responseId": f"mock-response-{self.answered:06d}"}  # fmt: skip
        if reply.blocked:
            return {"promptFeedback": {"blockReason": reply.blocked}} | answer
        candidate: Obj = {"index": 0}
        if reply.parts:
            candidate["content"] = {"parts": reply.parts, "role": "model"}
        if reply.finish:
            candidate["finishReason"] = reply.finish
        return {"candidates": [candidate]} | answer

    async def _stream(self, request: web.Request, chunks: list[Obj]) -> web.StreamResponse:
        if request.query.get("alt") != "sse":
            return json_response(chunks)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for chunk in chunks:
            await response.write(f"data: {json.dumps(chunk)}\r\n\r\n".encode())
        await response.write_eof()
        return response

    def _embed(self, model: str, body: Obj) -> Obj:
        self._model(model, "embedContent")
        _check_fields(body, frozenset({"requests"}), "")
        requests = body.get("requests")
        if not isinstance(requests, list) or not requests:
            raise GeminiError(
                400, "* BatchEmbedContentsRequest.requests: requests is not specified\n"
            )
        vectors = []
        for n, asked in enumerate(requests):
            if not isinstance(asked, dict) or asked.get("model") != model:
                raise GeminiError(400, f"* {BATCH}.requests[{n}].model: Model names must "
                                       f"match the model of the batch: {model}\n")  # fmt: skip
            parts = (asked.get("content") or {}).get("parts") or []
            text = "".join(str(part.get("text", "")) for part in parts if isinstance(part, dict))
            size = generate.pick(asked, "outputDimensionality") or DIMENSIONS[model]
            vectors.append({"values": generate.vector(text, int(size))})
        return {"embeddings": vectors}

    def _model(self, name: str, method: str | None) -> Obj:
        found = self.models.get(name)
        if found is None or (method and method not in found["supportedGenerationMethods"]):
            raise _model_not_found(name, method or "get")
        return found

    # Google's answers to injected faults.

    def rate_limited_response(self, retry_after: float) -> web.StreamResponse:
        return _quota(retry_after, "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                      "generate_content_free_tier_requests",
                      self.requests_per_minute or 0).response()  # fmt: skip

    def server_error_response(self, status: int) -> web.StreamResponse:
        if status == 503:
            return GeminiError(503, "The model is overloaded. Please try again later.").response()
        return GeminiError(status, "An internal error has occurred.").response()

    def forbidden_response(self, request: web.Request) -> web.StreamResponse:
        return GeminiError(403, "The caller does not have permission").response()

    def missing_response(self, request: web.Request) -> web.StreamResponse:
        return _model_not_found("models/unknown-model", "generateContent").response()

    def not_found_response(self, request: web.Request) -> web.StreamResponse:
        return GeminiError(404, "Method not found.").response()


def _quota(retry_after: float, quota_id: str, metric: str, value: int) -> GeminiError:
    """429 `RESOURCE_EXHAUSTED`: which quota (`QuotaFailure`) and when to retry (`RetryInfo`)."""
    seconds = max(1, math.ceil(retry_after))
    violation = {"quotaMetric": f"{SERVICE}/{metric}", "quotaId": quota_id,
                 "quotaValue": str(value)}  # fmt: skip
    quota = {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [violation]}
    retry = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{seconds}s"}
    message = ("You exceeded your current quota, please check your plan and billing details. "
               f"Please retry in {seconds}s.")  # fmt: skip
    return GeminiError(429, message, quota, retry)


def _refuse(request: web.Request, key: str) -> web.StreamResponse:
    if not key:
        message = ("Method doesn't allow unregistered callers (callers without established "
                   "identity). Please use API Key or other form of API consumer identity to "
                   "call this API.")  # fmt: skip
        return GeminiError(403, message).response()
    info = {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
            "domain": "googleapis.com", "metadata": {"service": SERVICE}}  # fmt: skip
    return GeminiError(400, "API key not valid. Please pass a valid API key.", info).response()


def _model_not_found(name: str, method: str) -> GeminiError:
    return GeminiError(404, f"{name} is not found for API version v1beta, or is not supported "
                            f"for {method}. Call ListModels to see the list of available models "
                            "and their supported methods.")  # fmt: skip


def _page_size(raw: str | None) -> int:
    """Gemini's page size: 50 by default, at most 1000."""
    try:
        size = int(raw) if raw else 50
    except ValueError:
        raise GeminiError(400, f"Invalid value at 'page_size' (TYPE_INT32), \"{raw}\"") from None
    return min(max(size, 1), 1000)


async def _body(request: web.Request) -> Obj:
    try:
        body = await read_json(request)
    except ValueError:
        raise GeminiError(400, "Invalid JSON payload received.") from None
    if not isinstance(body, dict):
        raise GeminiError(400, "Invalid JSON payload received. Expected an object.")
    return body


def _check_fields(given: Any, known: frozenset[str], where: str) -> None:
    for name in given if isinstance(given, dict) else {}:
        if name not in known and name not in {generate.snake(field) for field in known}:
            raise GeminiError(400, f'Invalid JSON payload received. Unknown name "{name}" at '
                                   f"'{where or 'request'}': Cannot find field.")  # fmt: skip


MOCK = GeminiMock
