"""A mock of Anthropic's API: messages (whole and streamed), token counting and models."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

from aiohttp import web
from aiohttp.typedefs import Handler

from interlink.core.clock import Clock
from interlink.providers.anthropic import mock_stream
from interlink.providers.anthropic.mock_replies import (
    MODELS,
    MockModel,
    ReplyError,
    Request,
    check,
    invalid,
    reply,
)
from interlink.testing.base import MockUpstream, json_response, read_json
from interlink.testing.faults import retry_after_header
from interlink.testing.toolkit import (
    PageError,
    RateBudget,
    RateHeaders,
    ResetFormat,
    TokenGate,
    Window,
    authorization,
    id_page,
)

StreamFault = Literal["overloaded", "cut"]
ORGANIZATION = "8c4a7b2e-1f3d-4e5a-9b6c-0d1e2f3a4b5c"
CREDIT_MESSAGE = (
    "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing "
    "to upgrade or purchase credits."
)


def _headers(window: str) -> RateHeaders:
    prefix = f"anthropic-ratelimit-{window}"
    reset = {f"{prefix}-reset": ResetFormat.ISO_SECONDS}
    return RateHeaders(f"{prefix}-limit", f"{prefix}-remaining", reset)


def _api_key_header(request: web.Request) -> str | None:
    return request.headers.get("x-api-key")


def error_body(kind: str, message: str, request_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "error", "error": {"type": kind, "message": message}}
    return body | ({"request_id": request_id} if request_id else {})


def error_response(
    status: int, kind: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    return json_response(error_body(kind, message), status=status, headers=headers)


class AnthropicMock(MockUpstream):
    """Anthropic's API as `api.anthropic.com` answers it, checked against the official SDK.

    Requests need the key in `x-api-key`, as Anthropic's API reference has it, or as a Bearer
    token, as the Python SDK 2.x sends it (else 401 `authentication_error`), and
    `anthropic-version` (else 400). `POST /v1/messages` checks its body as the API does and
    answers deterministically (`mock_replies`), whole or as Server-Sent Events (`stream: true`,
    `mock_stream`);
    `POST /v1/messages/count_tokens` counts a prompt; `GET /v1/models` lists `models` newest
    first (paged by `limit`, `after_id`, `before_id`) and `GET /v1/models/{id}` reads one;
    `models` may be given as `MockModel`s or their fields (a fixture's JSON options).

    Budgets per minute on the mock's clock, each with Anthropic's headers (resets in RFC 3339):
    `requests_per_minute`, `input_tokens_per_minute` (a prompt larger than what is left is a
    429 `rate_limit_error` with `retry-after`) and `output_tokens_per_minute`, which, as
    Anthropic's rate-limits page says, counts a request's `max_tokens` when it begins (more than
    what is left is a 429) and is set right to the tokens written when it ends (a stream's, when
    its last event is sent); `anthropic-ratelimit-tokens-*` says the tighter of the two.
    `credit_exhausted` refuses messages as an empty balance does;
    `fail_next_stream("overloaded" | "cut")` makes the next stream send an `overloaded_error`
    event, or drop the connection, after its first delta.
    """

    name: ClassVar[str] = "anthropic"
    default_token: ClassVar[str] = "sk-ant-api03-mock-key"  # noqa: S105

    def __init__(
        self,
        *,
        token: str | None = None,
        clock: Clock | None = None,
        models: Sequence[MockModel | Mapping[str, Any]] = MODELS,
        requests_per_minute: int = 50,
        input_tokens_per_minute: int = 30_000,
        output_tokens_per_minute: int = 8_000,
        credit_exhausted: bool = False,
    ) -> None:
        self.models = [m if isinstance(m, MockModel) else MockModel(**m) for m in models]
        self.starts_without_credit = credit_exhausted
        self.requests_per_minute = requests_per_minute
        self.input_tokens_per_minute = input_tokens_per_minute
        self.output_tokens_per_minute = output_tokens_per_minute
        super().__init__(token=token, clock=clock)

    def reset_state(self) -> None:
        self.credit_exhausted = self.starts_without_credit
        self.stream_faults: list[StreamFault] = []
        self._counters = {"msg": 0, "toolu": 0, "req": 0}
        self.requests = self._budget(lambda: self.requests_per_minute, "requests")
        self.input_tokens = self._budget(lambda: self.input_tokens_per_minute, "input-tokens")
        self.output_tokens = self._budget(lambda: self.output_tokens_per_minute, "output-tokens")

    def _budget(self, limit: Any, window: str) -> RateBudget:
        exhausted = self.rate_limited_response
        return RateBudget(
            limit, 60, clock=self.clock, exhausted=exhausted, headers=_headers(window)
        )

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/v1/messages", self.create_message)
        router.add_post("/v1/messages/count_tokens", self.count_tokens)
        router.add_get("/v1/models", self.list_models)
        router.add_get("/v1/models/{model_id}", self.get_model)

    def fail_next_stream(self, fault: StreamFault) -> None:
        self.stream_faults.append(fault)

    def _next(self, kind: str, width: int) -> str:
        self._counters[kind] += 1
        return f"{kind}_mock{self._counters[kind]:0{width}d}"

    # authentication, versions and budgets

    @property
    def tokens(self) -> TokenGate:
        def refuse(request: web.Request, token: str) -> web.StreamResponse:
            message = "invalid x-api-key" if token else "x-api-key header is required"
            return error_response(401, "authentication_error", message)

        readers = (_api_key_header, authorization("Bearer"))  # the SDK sends the key as a Bearer
        return TokenGate({self.token}, refuse, readers)

    async def gate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        request_id = self._next("req", 20)
        refusal = self.tokens.refusal(request)
        if refusal is None and "anthropic-version" not in request.headers:
            refusal = error_response(
                400, "invalid_request_error", "anthropic-version: header is required"
            )
        if refusal is not None:
            refusal.headers["request-id"] = request_id
            return refusal
        window = self.requests.window(self.token)
        if window.remaining == 0:
            response = self.rate_limited_response(self.requests.retry_after(window))
        else:
            window.used += 1
            response = await handler(request)
        if not response.prepared:  # a stream's were sent before its first event
            response.headers.update(self.limit_headers())
            response.headers["request-id"] = request_id
        return response

    def limit_headers(self) -> dict[str, str]:
        """Every window's headers as they stand; `tokens` is the tighter of input and output."""
        windows = {
            budget: budget.window(self.token)
            for budget in (self.requests, self.input_tokens, self.output_tokens)
        }
        headers: dict[str, str] = {"anthropic-organization-id": ORGANIZATION}
        for budget, window in windows.items():
            headers |= budget.headers(window)
        tightest = min(
            (self.input_tokens, self.output_tokens),
            key=lambda b: windows[b].remaining / max(windows[b].limit, 1),
        )
        tokens = Window(
            windows[tightest].limit, windows[tightest].reset, used=windows[tightest].used
        )
        return headers | _headers("tokens").render(tokens, tightest.now())

    # errors, as Anthropic words them

    def rate_limited_response(self, retry_after: float) -> web.StreamResponse:
        message = (
            f"This request would exceed the rate limit for your organization ({ORGANIZATION}) of "
            f"{self.requests_per_minute} requests per minute. For details, refer to: "
            "https://docs.claude.com/en/api/rate-limits."
        )
        headers = {"retry-after": retry_after_header(retry_after), "x-should-retry": "true"}
        return error_response(429, "rate_limit_error", message, headers)

    def server_error_response(self, status: int) -> web.StreamResponse:
        if status == 529:
            return error_response(529, "overloaded_error", "Overloaded", {"x-should-retry": "true"})
        return error_response(status, "api_error", "Internal server error")

    def forbidden_response(self, request: web.Request) -> web.StreamResponse:
        message = "Your API key does not have permission to use the specified resource."
        return error_response(403, "permission_error", message)

    def not_found_response(self, request: web.Request) -> web.StreamResponse:
        return error_response(404, "not_found_error", "Not found")

    # messages

    async def _request(self, request: web.Request) -> Request:
        try:
            body = await read_json(request)
        except ValueError:
            raise invalid(
                "There was an issue with your request body: it is not valid JSON"
            ) from None
        return check(body, self.models)

    async def create_message(self, request: web.Request) -> web.StreamResponse:
        try:
            asked = await self._request(request)
            if self.credit_exhausted:
                raise invalid(CREDIT_MESSAGE)
            refusal = self._spend_input(asked.prompt_tokens())
            if refusal is None:
                refusal = self._hold_output(int(asked.body["max_tokens"]))
            if refusal is not None:
                return refusal
        except ReplyError as error:
            return error_response(error.status, error.kind, error.message)
        message_id = self._next("msg", 16)
        message = reply(asked, message_id, lambda: self._next("toolu", 14))
        held, most = self.output_tokens.window(self.token), int(asked.body["max_tokens"])
        try:
            if asked.body.get("stream") is True:
                return await self._stream(request, message)
            return json_response(message)
        finally:  # the estimate set right to what was written
            held.used += message["usage"]["output_tokens"] - most

    def _spend_input(self, count: int) -> web.StreamResponse | None:
        window = self.input_tokens.window(self.token)
        if count > window.remaining:
            message = (
                f"This request would exceed the rate limit for your organization ({ORGANIZATION}) "
                f"of {window.limit} input tokens per minute. For details, refer to: "
                "https://docs.claude.com/en/api/rate-limits."
            )
            wait = retry_after_header(self.input_tokens.retry_after(window))
            return error_response(429, "rate_limit_error", message, {"retry-after": wait})
        window.used += count
        return None

    def _hold_output(self, max_tokens: int) -> web.StreamResponse | None:
        """Counts `max_tokens` against the output window (refused when more than is left)."""
        window = self.output_tokens.window(self.token)
        if max_tokens > window.remaining:
            message = (
                f"This request would exceed the rate limit for your organization ({ORGANIZATION}) "
                f"of {window.limit:,} output tokens per minute. For details, refer to: "
                "https://docs.claude.com/en/api/rate-limits. You can see the response headers for "
                "current usage. Please reduce the prompt length or the maximum tokens requested, "
                "or try again later."
            )
            wait = retry_after_header(self.output_tokens.retry_after(window))
            return error_response(429, "rate_limit_error", message, {"retry-after": wait})
        window.used += max_tokens
        return None

    async def _stream(self, request: web.Request, message: dict[str, Any]) -> web.StreamResponse:
        response = web.StreamResponse(headers=self.limit_headers())
        response.content_type = "text/event-stream"
        response.headers["Cache-Control"] = "no-cache"
        fault = self.stream_faults.pop(0) if self.stream_faults else None
        await response.prepare(request)
        for name, data in mock_stream.events(message):
            await response.write(mock_stream.encoded(name, data))
            if fault is not None and name == "content_block_delta":
                return await self._break(request, response, fault)
        await response.write_eof()
        return response

    async def _break(
        self, request: web.Request, response: web.StreamResponse, fault: StreamFault
    ) -> web.StreamResponse:
        if fault == "overloaded":
            await response.write(
                mock_stream.encoded("error", error_body("overloaded_error", "Overloaded"))
            )
            await response.write_eof()
        elif request.transport is not None:
            request.transport.close()
        return response

    async def count_tokens(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await read_json(request)
            if isinstance(body, dict):
                body = body | {"max_tokens": 1}
            asked = check(body, self.models)
        except ValueError:
            return error_response(
                400, "invalid_request_error", "The request body is not valid JSON"
            )
        except ReplyError as error:
            return error_response(error.status, error.kind, error.message)
        return json_response({"input_tokens": asked.prompt_tokens()})

    # models

    async def list_models(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        limit = query.get("limit", "20")
        if not limit.isdigit() or not 1 <= int(limit) <= 1000:
            return error_response(
                400, "invalid_request_error", "limit: Input should be between 1 and 1000"
            )
        ids = [model.id for model in self.models]
        try:
            page = id_page(
                self.models, ids, limit=int(limit),
                starting_after=query.get("after_id"), ending_before=query.get("before_id"),
            )  # fmt: skip
        except PageError as error:
            param = {"starting_after": "after_id", "ending_before": "before_id"}[error.param]
            return error_response(400, "invalid_request_error", f"{param}: no such model")
        items = [model.info() for model in page.items]
        first, last = (items[0]["id"], items[-1]["id"]) if items else (None, None)
        return json_response(
            {"data": items, "has_more": page.has_more, "first_id": first, "last_id": last}
        )

    async def get_model(self, request: web.Request) -> web.StreamResponse:
        wanted = request.match_info["model_id"]
        found = next((m for m in self.models if wanted in (m.id, m.alias)), None)
        if found is None:
            return error_response(404, "not_found_error", f"model: {wanted}")
        return json_response(found.info())


MOCK = AnthropicMock
