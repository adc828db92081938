"""A mock of OpenAI's API (`openai`): chat completions (whole, or streamed as Server-Sent
Events), embeddings and models, with OpenAI's rate-limit headers and error answers.

As OpenAI does: the key as `Authorization: Bearer` (or Azure's `api-key` header); errors as
`{"error": {"message", "type", "param", "code"}}`; every authenticated answer says both windows,
requests and tokens, per minute (`x-ratelimit-remaining-tokens`, resets as `6m0s`); a call
whose prompt and answer would pass the tokens left is refused 429 `rate_limit_exceeded`, a spent
quota 429 `insufficient_quota`, a prompt over the model's context 400
`context_length_exceeded`, a flagged word 400 `content_filter` (Azure's). Azure's deployment
paths (`/openai/deployments/<name>/...?api-version=`) answer as the `/v1` ones.

Replies are deterministic (`mock_replies`): tests can assert them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from aiohttp import web
from aiohttp.typedefs import Handler

from interlink.core.clock import Clock
from interlink.providers.openai.mock_replies import (
    Obj,
    OpenAIError,
    Reply,
    check_tools,
    encoded,
    reply,
    vector,
)
from interlink.testing.base import MockUpstream, json_response, read_json
from interlink.testing.toolkit import RateBudget, RateHeaders, ResetFormat, TokenGate
from interlink.testing.toolkit.gate import authorization

CREATED = 1_715_367_049
# Chat models and their context windows; embedding models and their dimensions.
CHAT_MODELS = {"gpt-4o": 128_000, "gpt-4o-mini": 128_000, "gpt-4.1-nano": 1_047_576}
EMBEDDING_MODELS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072}
HEADERS = web.RequestKey("openai_rate_headers", dict[str, str])


def _rate_headers(window: str) -> RateHeaders:
    return RateHeaders(
        limit=f"x-ratelimit-limit-{window}", remaining=f"x-ratelimit-remaining-{window}",
        resets={f"x-ratelimit-reset-{window}": ResetFormat.DURATION},
    )  # fmt: skip


def error_response(error: OpenAIError, headers: dict[str, str] | None = None) -> web.Response:
    return json_response(error.body, status=error.status, headers=headers)


class OpenAIMock(MockUpstream):
    """OpenAI with `gpt-4o`, `gpt-4o-mini`, `gpt-4.1-nano` (chat) and `text-embedding-3-small`,
    `-large` (embeddings). `context_window` (tokens) replaces every chat model's; texts holding
    one of `flagged_words` are refused by the content filter; `quota_exceeded` refuses every
    call; `cut_stream_after` drops a stream's connection after that many chunks."""

    name: ClassVar[str] = "openai"
    api_root: ClassVar[str] = "/v1"
    default_token: ClassVar[str] = "sk-proj-mock-0123456789abcdef"  # noqa: S105
    # The published description (APIs.guru's openai.com 1.2.0) is of 2023's API.
    description_gaps: ClassVar[Mapping[str, str]] = {
        r"body field '(tools|tool_choice|response_format|max_completion_tokens|stream_options)\b":
            "tools, JSON and structured output, max_completion_tokens and stream_options came "
            "after the description",
        r"body field 'messages\.\[\]\.tool_ca": "tool calls and tool messages came after it",
        r"→ 200: at choices/\d+/message/content: None": "an answer that calls tools has no "
            "content (null) since tools came",
        r"→ [45]\d\d: status not declared": "it declares only the 200 of each operation; errors "
            "are OpenAI's error object",
        r"POST /embeddings: body field '(dimensions|encoding_format)'": "dimensions came after "
            "it; encoding_format is not in it, yet the SDK sends it (base64)",
        r"at data/\d+/embedding: '[A-Za-z0-9+/=]*' is not of type 'array'": "an embedding asked "
            "as base64 (what the SDK asks) is a string, which the description predates",
        r"^(GET|POST) /openai/": "Azure OpenAI's deployment paths are not OpenAI's",
    }  # fmt: skip

    def __init__(
        self,
        *,
        token: str | None = None,
        clock: Clock | None = None,
        requests_per_minute: int = 500,
        tokens_per_minute: int = 200_000,
        context_window: int | None = None,
        flagged_words: Sequence[str] = (),
        quota_exceeded: bool = False,
    ) -> None:
        self.requests_per_minute = requests_per_minute
        self.tokens_per_minute = tokens_per_minute
        self.context_window = context_window
        self.flagged_words = list(flagged_words)
        self.quota_exceeded = quota_exceeded
        super().__init__(token=token, clock=clock)

    def reset_state(self) -> None:
        self.cut_stream_after: int | None = None
        self.completions = 0
        self.requests = self._budget(lambda: self.requests_per_minute, "requests")
        self.tokens_used = self._budget(lambda: self.tokens_per_minute, "tokens")

    def _budget(self, limit: Any, window: str) -> RateBudget:
        return RateBudget(
            limit, 60, clock=self.clock, exhausted=self.rate_limited_response,
            headers=_rate_headers(window),
        )  # fmt: skip

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/v1/chat/completions", self.chat)
        router.add_post("/v1/embeddings", self.embeddings)
        router.add_get("/v1/models", self.list_models)
        router.add_get("/v1/models/{model}", self.get_model)
        router.add_post("/openai/deployments/{model}/chat/completions", self.chat)
        router.add_post("/openai/deployments/{model}/embeddings", self.embeddings)
        router.add_get("/openai/models", self.list_models)

    # authentication and budgets

    @property
    def gatekeeper(self) -> TokenGate:
        def refuse(request: web.Request, token: str) -> web.StreamResponse:
            if not token:
                message = (
                    "You didn't provide an API key. You need to provide your API key in an "
                    "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)"
                )
                return error_response(OpenAIError(401, message))
            message = f"Incorrect API key provided: {token[:3]}*****{token[-4:]}."
            return error_response(OpenAIError(401, message, code="invalid_api_key"))

        return TokenGate({self.token}, refuse, (authorization("Bearer"), _api_key_header))

    async def gate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        refusal = self.gatekeeper.refusal(request)
        if refusal is not None:
            return refusal
        if request.path.startswith("/openai/") and "api-version" not in request.query:
            message = "Missing API version. Provide it as the api-version query parameter."
            return error_response(OpenAIError(404, message, code="404"))
        if self.quota_exceeded:
            return error_response(_quota_error())
        window = self.requests.window(self.token)
        if window.remaining == 0:
            spent = self.rate_limited_response(self.requests.retry_after(window))
            spent.headers.update(self.requests.headers(window) | self._token_headers())
            return spent
        window.used += 1
        request[HEADERS] = self.requests.headers(window) | self._token_headers()
        try:
            response = await handler(request)
        except OpenAIError as error:
            response = error_response(error)
        if not response.prepared:
            response.headers.update(request[HEADERS])
        return response

    def _token_headers(self) -> dict[str, str]:
        return self.tokens_used.headers(self.tokens_used.window(self.token))

    def _charge(self, request: web.Request, tokens: int) -> None:
        """Takes the call's tokens from the window, or refuses it as OpenAI does."""
        window = self.tokens_used.window(self.token)
        if tokens > window.remaining:
            wait = self.tokens_used.retry_after(window)
            message = (
                f"Rate limit reached for requests in organization org-mock on tokens per min "
                f"(TPM): Limit {window.limit}, Used {window.used}, Requested {tokens}. Please "
                f"try again in {wait:.3g}s."
            )
            request[HEADERS]["retry-after"] = str(max(1, math.ceil(wait)))
            raise OpenAIError(429, message, "tokens", "rate_limit_exceeded")
        window.used += tokens
        request[HEADERS] |= self._token_headers()

    # chat completions

    async def chat(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        model = request.match_info.get("model") or _required_str(body, "model")
        if model not in CHAT_MODELS:
            raise _unknown_model(model)
        self._check_chat(body, model)
        self.completions += 1
        answer = reply(body, self.completions)
        self._charge(request, answer.prompt_tokens + answer.completion_tokens)
        envelope: Obj = {"id": f"chatcmpl-mock{self.completions:016d}",
                         "created": int(self.now().timestamp()), "model": model,
                         "service_tier": "default", "system_fingerprint": "fp_mock"}  # fmt: skip
        if body.get("stream"):
            return await self._stream(request, envelope, answer, body)
        return json_response(envelope | {
            "object": "chat.completion",
            "choices": [{"index": 0, "message": answer.message(), "logprobs": None,
                         "finish_reason": answer.finish_reason}],
            "usage": answer.usage(),
        })  # fmt: skip

    def _check_chat(self, body: Obj, model: str) -> None:
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise OpenAIError(
                400, "Invalid 'messages': empty array. Expected an array with minimum length 1, "
                "but got an empty array instead.", code="empty_array", param="messages",
            )  # fmt: skip
        check_tools(body.get("tools"))
        texts = json.dumps(messages).lower()
        if any(word.lower() in texts for word in self.flagged_words):
            raise OpenAIError(
                400, "The response was filtered due to the prompt triggering Azure OpenAI's "
                "content management policy. Please modify your prompt and retry.",
                None, "content_filter", "prompt",
            )  # fmt: skip
        self._check_context(body, model)

    def _check_context(self, body: Obj, model: str) -> None:
        window = self.context_window or CHAT_MODELS[model]
        prompt = reply(body, 0).prompt_tokens
        wanted = body.get("max_completion_tokens") or body.get("max_tokens") or 0
        if prompt + wanted <= window:
            return
        asked = (
            f"you requested {prompt + wanted} tokens ({prompt} in the messages, {wanted} in "
            "the completion). Please reduce the length of the messages or completion."
            if wanted
            else f"your messages resulted in {prompt} tokens. Please reduce the length of the "
            "messages."
        )
        message = f"This model's maximum context length is {window} tokens. However, {asked}"
        raise OpenAIError(400, message, code="context_length_exceeded", param="messages")

    async def _stream(
        self, request: web.Request, envelope: Obj, answer: Reply, body: Obj
    ) -> web.StreamResponse:
        headers = {"Content-Type": "text/event-stream; charset=utf-8"} | request[HEADERS]
        response = web.StreamResponse(headers=headers)
        await response.prepare(request)
        chunk = envelope | {"object": "chat.completion.chunk"}
        with_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        pieces = [
            chunk | {"choices": [{"index": 0, "logprobs": None, "finish_reason": None} | part]}
            | ({"usage": None} if with_usage else {})
            for part in answer.chunks()
        ]  # fmt: skip
        if with_usage:
            pieces.append(chunk | {"choices": [], "usage": answer.usage()})
        for sent, piece in enumerate(pieces):
            if self.cut_stream_after is not None and sent >= self.cut_stream_after:
                _drop(request)
                return response
            await response.write(f"data: {json.dumps(piece)}\n\n".encode())
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    # embeddings and models

    async def embeddings(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        model = request.match_info.get("model") or _required_str(body, "model")
        if model not in EMBEDDING_MODELS:
            raise _unknown_model(model)
        texts = body.get("input")
        texts = [texts] if isinstance(texts, str) else texts
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
            raise OpenAIError(400, "'input' : input must be a string or an array of strings",
                              param="input")  # fmt: skip
        size = body.get("dimensions") or EMBEDDING_MODELS[model]
        tokens = sum(max(1, math.ceil(len(text) / 4)) for text in texts)
        self._charge(request, tokens)
        as_base64 = body.get("encoding_format") == "base64"
        data = [
            {"object": "embedding", "index": index,
             "embedding": encoded(vector(text, size)) if as_base64 else vector(text, size)}
            for index, text in enumerate(texts)
        ]  # fmt: skip
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        return json_response({"object": "list", "data": data, "model": model, "usage": usage})

    async def list_models(self, request: web.Request) -> web.StreamResponse:
        return json_response({"object": "list", "data": [_model(m) for m in _all_models()]})

    async def get_model(self, request: web.Request) -> web.StreamResponse:
        model = request.match_info["model"]
        if model not in _all_models():
            raise _unknown_model(model)
        return json_response(_model(model))

    # OpenAI's answers to injected faults

    def rate_limited_response(self, retry_after: float) -> web.StreamResponse:
        error = OpenAIError(
            429, "Rate limit reached for requests in organization org-mock on requests per min "
            "(RPM). Please try again later.", "requests", "rate_limit_exceeded",
        )  # fmt: skip
        return error_response(error, {"retry-after": str(max(1, math.ceil(retry_after)))})

    def server_error_response(self, status: int) -> web.StreamResponse:
        if status == 503:
            message = "The engine is currently overloaded, please try again later."
            return error_response(OpenAIError(503, message, "server_error"))
        message = "The server had an error while processing your request. Sorry about that!"
        return error_response(OpenAIError(status, message, "server_error"))

    def forbidden_response(self, request: web.Request) -> web.StreamResponse:
        message = "You are not allowed to sample from this model"
        return error_response(OpenAIError(403, message, code="model_not_allowed"))

    def not_found_response(self, request: web.Request) -> web.StreamResponse:
        message = f"Invalid URL ({request.method} {request.path})"
        return error_response(OpenAIError(404, message))

    def missing_response(self, request: web.Request) -> web.StreamResponse:
        return error_response(_unknown_model("gpt-0"))


def _api_key_header(request: web.Request) -> str | None:
    """Azure OpenAI's `api-key` header."""
    return request.headers.get("api-key")


def _drop(request: web.Request) -> None:
    """Closes the connection mid-answer, as a provider's cut stream does."""
    if request.transport is not None:
        request.transport.close()


async def _body(request: web.Request) -> Obj:
    try:
        body = await read_json(request)
    except ValueError:
        raise OpenAIError(
            400, "We could not parse the JSON body of your request. (HINT: This likely means "
            "you aren't using your HTTP library correctly.)",
        ) from None  # fmt: skip
    if not isinstance(body, dict):
        raise OpenAIError(400, "The request body must be a JSON object")
    return body


def _required_str(body: Obj, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        message = f"Missing required parameter: '{name}'."
        raise OpenAIError(400, message, code="missing_required_parameter", param=name)
    return value


def _unknown_model(model: str) -> OpenAIError:
    message = f"The model `{model}` does not exist or you do not have access to it."
    return OpenAIError(404, message, code="model_not_found")


def _quota_error() -> OpenAIError:
    message = (
        "You exceeded your current quota, please check your plan and billing details. For more "
        "information on this error, read the docs: "
        "https://platform.openai.com/docs/guides/error-codes/api-errors."
    )
    return OpenAIError(429, message, "insufficient_quota", "insufficient_quota")


def _all_models() -> list[str]:
    return [*CHAT_MODELS, *EMBEDDING_MODELS]


def _model(model: str) -> Obj:
    owner = "system" if model in EMBEDDING_MODELS else "openai"
    return {"id": model, "object": "model", "created": CREATED, "owned_by": owner}


MOCK = OpenAIMock
