"""The mock toolkit: what every mock upstream does alike, so a mock states only its provider's
own names, shapes and answers.

- `TokenGate`: where the credential is read (`authorization("Bearer", "token")`, `basic()`,
  `path_part("token")`), the tokens let in, and the provider's answer to a missing ("") or
  wrong credential, as a callable the mock supplies.
- `RateBudget`: `limit` requests per window for each key (a token, a route bucket) on the
  mock's injected clock, the provider's answer once spent, and its headers as data
  (`RateHeaders`: the names, and each reset in a `ResetFormat`: epoch seconds, with
  milliseconds, seconds after, ISO 8601, HTTP date).
- Pages of seeded lists: `numbered_page` (page numbers and a `Link` header back to the mock),
  `cursor_page` (an opaque body cursor), `id_page` (`starting_after`/`ending_before`),
  `token_page` (an opaque page token); `Marker` makes the opaque ones, `PageError` says a
  parameter names no page.

Fault injection (`Fault`, `FaultPlan`) and request recording (`CallLog`) come with
`MockUpstream` itself; a mock says what its faults look like through `rate_limited_response`,
`server_error_response`, `forbidden_response` and `missing_response`.

    class ExampleMock(MockUpstream):
        name = "example"

        def reset_state(self) -> None:
            self.items = [{"id": f"it_{n}"} for n in range(1, 251)]
            self.budget = RateBudget(
                5000, 3600, clock=self.clock, align_to=1,
                exhausted=self.rate_limited_response,
                headers=RateHeaders(used="X-RateLimit-Used"),
            )

        def add_routes(self, router: web.UrlDispatcher) -> None:
            router.add_get("/items", self.list_items)

        async def gate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
            tokens = TokenGate({self.token}, refuse=lambda request, token: json_response(
                {"message": "Bad credentials" if token else "Requires authentication"}, status=401
            ))
            refusal = tokens.refusal(request)
            if refusal is not None:
                return refusal
            return await self.budget.meter(self.token, partial(handler, request))

        async def list_items(self, request: web.Request) -> web.StreamResponse:
            page = int(request.query.get("page", "1"))
            items, headers = numbered_page(self.items, page=page, size=30, url=request.url)
            return json_response(items, headers=headers)
"""

from __future__ import annotations

from interlink.testing.toolkit.budget import RateBudget, RateHeaders, ResetFormat, Window
from interlink.testing.toolkit.gate import (
    Credential,
    TokenGate,
    authorization,
    basic,
    path_part,
)
from interlink.testing.toolkit.pages import (
    Marker,
    Page,
    PageError,
    cursor_page,
    cursor_start,
    id_page,
    numbered_page,
    token_page,
    token_start,
)

__all__ = [
    "Credential",
    "Marker",
    "Page",
    "PageError",
    "RateBudget",
    "RateHeaders",
    "ResetFormat",
    "TokenGate",
    "Window",
    "authorization",
    "basic",
    "cursor_page",
    "cursor_start",
    "id_page",
    "numbered_page",
    "path_part",
    "token_page",
    "token_start",
]
