"""The kit's paging styles against a lister on a loopback socket that pages 25 items each way a
provider does: each follows pages up to the limit and stops there, at the last page, or at the
page bound, and says where to read on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from interlink.core.errors import ExternalServiceError, IntegrationError
from interlink.providers.kit.context import ActionContext
from interlink.providers.kit.pagination import (
    BodyCursor,
    GraphQLCursor,
    LinkHeader,
    Offset,
    PageToken,
    Pagination,
)
from interlink.transport.client import Transport
from tests.helpers.servers import serve_app
from tests.transport.conftest import client_of, clock, transport

__all__ = ["clock", "transport"]  # the fixtures, used by name

ITEMS = [{"id": f"it_{n:02d}", "n": n} for n in range(25)]


@dataclass
class Lister:
    """Pages ITEMS as GitHub, Slack, Stripe, Google, Jira's search and Jira's lists do."""

    url: str = ""
    asked: list[dict[str, Any]] = field(default_factory=list)  # query, or JSON body
    short_pages: bool = False  # answer one item fewer than asked (Jira may)

    async def record(self, request: web.Request) -> dict[str, Any]:
        asked = dict(await request.json()) if request.can_read_body else dict(request.query)
        self.asked.append(asked)
        return asked

    def window(self, start: int, size: int) -> list[dict[str, Any]]:
        return ITEMS[start : start + max(size - (1 if self.short_pages else 0), 1)]

    async def link(self, request: web.Request) -> web.Response:
        asked = await self.record(request)
        start, size = int(asked.get("page", 0)), int(asked.get("per_page", 10))
        headers = {}
        if start + size < len(ITEMS):
            headers["Link"] = f'<{self.url}/link?page={start + size}&per_page={size}>; rel="next"'
        return web.json_response(ITEMS[start : start + size], headers=headers)

    async def slack(self, request: web.Request) -> web.Response:
        asked = await self.record(request)
        start, size = int(asked.get("cursor", "0")), int(asked["limit"])
        more = start + size < len(ITEMS)
        return web.json_response(
            {"ok": True, "channels": ITEMS[start : start + size],
             "response_metadata": {"next_cursor": str(start + size) if more else ""}}
        )  # fmt: skip

    async def stripe(self, request: web.Request) -> web.Response:
        asked = await self.record(request)
        after = asked.get("starting_after")
        start = next(i + 1 for i, it in enumerate(ITEMS) if it["id"] == after) if after else 0
        page = ITEMS[start : start + int(asked["limit"])]
        more = start + len(page) < len(ITEMS)
        return web.json_response({"object": "list", "data": page, "has_more": more})

    async def google(self, request: web.Request) -> web.Response:
        asked = await self.record(request)
        start, size = int(asked.get("pageToken", "0")), int(asked["pageSize"])
        token = {"nextPageToken": f"{start + size}"} if start + size < len(ITEMS) else {}
        return web.json_response({"files": ITEMS[start : start + size], **token})

    async def search(self, request: web.Request) -> web.Response:
        asked = await self.record(request)
        start, size = int(asked.get("nextPageToken", "0")), int(asked["maxResults"])
        last = start + size >= len(ITEMS)
        body = {"issues": ITEMS[start : start + size], "isLast": last}
        return web.json_response(body if last else {**body, "nextPageToken": str(start + size)})

    async def offset(self, request: web.Request) -> web.Response:
        asked = await self.record(request)
        start, size = int(asked["startAt"]), int(asked["maxResults"])
        page = self.window(start, size)
        return web.json_response(
            {"startAt": start, "maxResults": size, "total": len(ITEMS), "values": page}
        )

    async def graphql(self, request: web.Request) -> web.Response:
        variables = (await request.json())["variables"]
        self.asked.append(variables)
        start, size = int(variables.get("after") or 0), int(variables["first"])
        more = start + size < len(ITEMS)
        connection = {
            "edges": [{"node": item} for item in ITEMS[start : start + size]],
            "pageInfo": {"hasNextPage": more, "endCursor": str(start + size)},
        }
        return web.json_response({"data": {"repository": {"issues": connection}}})

    async def graph(self, request: web.Request) -> web.Response:
        asked = await self.record(request)
        start, size = int(asked.get("$skiptoken", 0)), int(asked["$top"])
        body: dict[str, Any] = {"value": ITEMS[start : start + size]}
        if start + size < len(ITEMS):
            body["@odata.nextLink"] = f"{self.url}/graph?$top={size}&$skiptoken={start + size}"
        return web.json_response(body)

    async def garbage(self, request: web.Request) -> web.Response:
        await self.record(request)
        return web.json_response({"ok": True, "channels": "none"})


@pytest.fixture
async def lister() -> AsyncIterator[Lister]:
    found = Lister()
    app = web.Application()
    app.router.add_get("/link", found.link)
    app.router.add_get("/slack", found.slack)
    app.router.add_get("/stripe", found.stripe)
    app.router.add_get("/google", found.google)
    app.router.add_post("/search", found.search)
    app.router.add_get("/offset", found.offset)
    app.router.add_post("/graphql", found.graphql)
    app.router.add_get("/graph", found.graph)
    app.router.add_get("/garbage", found.garbage)
    async with serve_app(app) as url:
        found.url = url
        yield found


def _ctx(transport: Transport, lister: Lister, style: Pagination) -> ActionContext:
    return ActionContext(client_of(transport, lister.url), pagination=style)


def _ids(items: list[Any]) -> list[int]:
    return [item["n"] for item in items]


async def test_link_headers_are_followed_up_to_the_limit_of_kept_items(
    transport: Transport, lister: Lister
) -> None:
    ctx = _ctx(transport, lister, LinkHeader())

    paged = await ctx.paginate(
        "/link", params={"per_page": 5}, limit=8, keep=lambda item: item["n"] % 2 == 0
    )

    assert _ids(paged.items) == [0, 2, 4, 6, 8, 10, 12, 14]
    assert paged.pages == len(lister.asked) == 3  # 15 items read, 8 of them kept
    assert lister.asked[1] == {"page": "5", "per_page": "5"}  # the next link, as it is
    assert paged.cursor == f"{lister.url}/link?page=15&per_page=5"


async def test_link_headers_stop_at_the_last_page(transport: Transport, lister: Lister) -> None:
    paged = await _ctx(transport, lister, LinkHeader()).paginate(
        "/link", params={"per_page": 10}, limit=1000
    )

    assert _ids(paged.items) == list(range(25))
    assert (paged.pages, paged.cursor) == (3, None)


SLACK = BodyCursor(cursor="response_metadata.next_cursor", param="cursor", size="limit")


async def test_a_body_cursor_asks_only_for_what_is_missing_then_says_where_to_read_on(
    transport: Transport, lister: Lister
) -> None:
    ctx = _ctx(transport, lister, SLACK)

    first = await ctx.paginate("/slack", items="channels", limit=12, page_size=10)
    rest = await ctx.paginate(
        "/slack", items="channels", limit=100, page_size=10, cursor=first.cursor
    )

    assert _ids(first.items) == list(range(12))
    assert first.cursor == "12"
    assert [a.get("limit") for a in lister.asked] == ["10", "2", "10", "10"]
    assert [a.get("cursor") for a in lister.asked] == [None, "10", "12", "22"]
    assert _ids(rest.items) == list(range(12, 25))
    assert rest.cursor is None


async def test_a_cursor_taken_from_the_last_item_stops_when_there_is_no_more(
    transport: Transport, lister: Lister
) -> None:
    stripe = BodyCursor(
        items="data", has_more="has_more", item_cursor="id", param="starting_after", size="limit"
    )

    paged = await _ctx(transport, lister, stripe).paginate("/stripe", limit=100, page_size=10)

    assert _ids(paged.items) == list(range(25))
    assert [a.get("starting_after") for a in lister.asked] == [None, "it_09", "it_19"]
    assert paged.cursor is None


async def test_a_page_token_in_the_query(transport: Transport, lister: Lister) -> None:
    paged = await _ctx(transport, lister, PageToken(items="files")).paginate(
        "/google", limit=15, page_size=10
    )

    assert _ids(paged.items) == list(range(15))
    assert lister.asked == [{"pageSize": "10"}, {"pageSize": "5", "pageToken": "10"}]
    assert paged.cursor == "15"


async def test_a_page_token_in_a_json_search_body_until_the_last_page(
    transport: Transport, lister: Lister
) -> None:
    jira = PageToken(items="issues", param="nextPageToken", size="maxResults", is_last="isLast")

    paged = await _ctx(transport, lister, jira).paginate(
        "/search", json={"jql": "project = PROJ"}, limit=100, page_size=10
    )

    assert _ids(paged.items) == list(range(25))
    assert lister.asked == [
        {"jql": "project = PROJ", "maxResults": 10},
        {"jql": "project = PROJ", "maxResults": 10, "nextPageToken": "10"},
        {"jql": "project = PROJ", "maxResults": 10, "nextPageToken": "20"},
    ]
    assert paged.cursor is None


async def test_a_graphql_connection_asks_the_next_page_by_its_variables(
    transport: Transport, lister: Lister
) -> None:
    style = GraphQLCursor(connection="data.repository.issues")
    query = {"query": "query($first: Int, $after: String) { ... }", "variables": {"owner": "o"}}

    paged = await _ctx(transport, lister, style).paginate(
        "/graphql", json=query, limit=12, page_size=10
    )

    assert _ids(paged.items) == list(range(12))
    assert lister.asked == [{"owner": "o", "first": 10}, {"owner": "o", "first": 2, "after": "10"}]
    assert paged.cursor == "12"


async def test_offsets_advance_by_what_came_back_and_stop_at_the_total(
    transport: Transport, lister: Lister
) -> None:
    lister.short_pages = True  # 9 of the 10 asked each time

    paged = await _ctx(transport, lister, Offset()).paginate("/offset", limit=100, page_size=10)

    assert _ids(paged.items) == list(range(25))
    assert [a["startAt"] for a in lister.asked] == ["0", "9", "18"]
    assert paged.cursor is None


async def test_the_page_bound_stops_a_provider_that_keeps_saying_more(
    transport: Transport, lister: Lister
) -> None:
    paged = await _ctx(transport, lister, SLACK).paginate(
        "/slack", items="channels", limit=100, page_size=2, max_pages=3
    )

    assert _ids(paged.items) == list(range(6))
    assert paged.pages == len(lister.asked) == 3
    assert paged.cursor == "6"  # where to read on


async def test_a_page_without_its_list_is_an_external_service_error(
    transport: Transport, lister: Lister
) -> None:
    with pytest.raises(ExternalServiceError, match="without a list at 'channels'"):
        await _ctx(transport, lister, SLACK).paginate("/garbage", items="channels", limit=10)


async def test_a_context_without_a_style_says_so(transport: Transport, lister: Lister) -> None:
    ctx = ActionContext(client_of(transport, lister.url))

    with pytest.raises(IntegrationError, match="states no pagination style"):
        await ctx.paginate("/slack", limit=10)
    assert lister.asked == []


async def test_a_next_link_in_the_body_is_followed_as_it_is(
    transport: Transport, lister: Lister
) -> None:
    style = LinkHeader(items="value", size="$top", in_body="@odata.nextLink")

    paged = await _ctx(transport, lister, style).paginate("/graph", limit=12, page_size=5)

    assert _ids(paged.items) == list(range(12))
    assert lister.asked == [{"$top": "5"}, {"$top": "5", "$skiptoken": "5"},
                            {"$top": "5", "$skiptoken": "10"}]  # fmt: skip
    assert paged.cursor == f"{lister.url}/graph?$top=5&$skiptoken=15"
