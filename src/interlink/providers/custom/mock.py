"""The upstream of the sample declaration (`sample.SAMPLE`): a small items API under `/v1`,
its API key in `X-API-Key`, a rate budget with `X-RateLimit-*` headers, body-cursor pages
(`data`, `next_cursor`; `limit`, default 2) and `{"error": {"code", "message"}}` errors."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any, ClassVar

from aiohttp import web
from aiohttp.typedefs import Handler

from interlink.testing.base import MockUpstream, json_response
from interlink.testing.faults import retry_after_header
from interlink.testing.toolkit import RateBudget, RateHeaders, TokenGate
from interlink.testing.toolkit.pages import Marker, PageError, cursor_page, cursor_start

_CURSOR = Marker("item")


class AcmeMock(MockUpstream):
    name: ClassVar[str] = "custom"
    api_root: ClassVar[str] = "/v1"
    default_token: ClassVar[str] = "acme-key-0123456789"  # noqa: S105
    rate_limit: ClassVar[int] = 1000

    def reset_state(self) -> None:
        self.budget = RateBudget(
            lambda: self.rate_limit, 3600, clock=self.clock, align_to=3600,
            exhausted=self.rate_limited_response, headers=RateHeaders(),
        )  # fmt: skip
        names = ["anvil", "rocket", "magnet", "spring", "tunnel"]
        self.items: dict[str, dict[str, Any]] = {
            f"it_{n}": {"id": f"it_{n}", "name": name, "labels": {"color": "red"}}
            for n, name in enumerate(names, start=1)
        }

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get(f"{self.api_root}/me", self.me)
        router.add_get(f"{self.api_root}/items", self.list_items)
        router.add_post(f"{self.api_root}/items", self.create_item)
        router.add_get(f"{self.api_root}/items/{{item_id}}", self.get_item)

    async def gate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        gate = TokenGate({self.token}, _unauthorized, (lambda r: r.headers.get("X-API-Key"),))
        refusal = gate.refusal(request)
        if refusal is not None:
            return refusal
        return await self.budget.meter("", partial(handler, request))

    async def me(self, request: web.Request) -> web.StreamResponse:
        return json_response({"id": "acct_1", "name": "Acme Mock"})

    async def get_item(self, request: web.Request) -> web.StreamResponse:
        item = self.items.get(request.match_info["item_id"])
        return json_response(item) if item is not None else self.missing_response(request)

    async def list_items(self, request: web.Request) -> web.StreamResponse:
        found = [i for i in self.items.values() if request.query.get("q", "") in i["name"]]
        ids = [str(item["id"]) for item in found]
        try:
            start = cursor_start(request.query.get("cursor"), ids, _CURSOR)
        except PageError:
            return _error(400, "invalid_cursor", "The cursor names no page")
        page = cursor_page(found, ids, start=start, limit=int(request.query.get("limit", 2)),
                           marker=_CURSOR)  # fmt: skip
        return json_response({"data": page.items, "next_cursor": page.next})

    async def create_item(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        if not isinstance(body, dict) or not body.get("name"):
            return _error(422, "invalid", "`name` is required")
        item = {"id": f"it_{len(self.items) + 1}", "name": body["name"],
                "labels": body.get("labels", {})}  # fmt: skip
        self.items[item["id"]] = item
        return json_response(item, status=201)

    def rate_limited_response(self, retry_after: float) -> web.StreamResponse:
        headers = {"Retry-After": retry_after_header(retry_after)}
        return _error(429, "rate_limited", "Too many requests", headers)

    def server_error_response(self, status: int) -> web.StreamResponse:
        return _error(status, "server_error", "Something went wrong")

    def forbidden_response(self, request: web.Request) -> web.StreamResponse:
        return _error(403, "forbidden", "The key may not do this")

    def missing_response(self, request: web.Request) -> web.StreamResponse:
        return _error(404, "not_found", "No such item")

    def not_found_response(self, request: web.Request) -> web.StreamResponse:
        return _error(404, "not_found", "No such path")


def _unauthorized(request: web.Request, credential: str) -> web.StreamResponse:
    return _error(401, "unauthorized", "The API key is missing or wrong")


def _error(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> web.Response:
    return json_response({"error": {"code": code, "message": message}}, status=status,
                         headers=headers)  # fmt: skip


MOCK = AcmeMock
