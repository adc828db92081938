"""How a provider pages its lists, as data, and one loop that follows the pages.

A provider states its style once, with the field names as data, in `Connector.pagination`:

- `LinkHeader()` (GitHub): the next page is the URL of `Link: <...>; rel="next"`, as it is;
  `LinkHeader(in_body="@odata.nextLink")`: a URL in a top-level field of the body (Graph).
- `BodyCursor(...)`: a cursor in the answer's body, sent back as a parameter. Slack's
  `response_metadata.next_cursor` as `cursor`; Stripe's `has_more` and the last item's `id`, as
  `starting_after`.
- `PageToken(...)`: Google's `nextPageToken`, sent back as `pageToken`; Jira's `/search/jql`
  (`nextPageToken` both ways, until `isLast`).
- `Offset(...)`: by position, Jira's other lists (`startAt`, `maxResults`, until `total` or
  `isLast`); or page numbers.
- `GraphQLCursor(...)`: a GraphQL cursor connection (`pageInfo { hasNextPage endCursor }`) at a
  path the call gives, the next page asked by a variable (`after`).

An action calls `ctx.paginate(path, ...)` (`ActionContext`), which runs `follow`: it asks page
after page until `limit` items are kept, the provider says there is no more, a page comes back
empty, or `max_pages` pages were read, whichever is first; and it says where to read on
(`Paged.cursor`, None after the last page). With `page_size` each page asks for that many, or
only what is still missing to reach `limit`. The page's fields go in the JSON body when the call
has one (a search sent as POST), else in the query. A page sent as a POST is retried after a 5xx
only when its action is marked idempotent (`@action(idempotent=True)`), as any POST.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from interlink.core.errors import ExternalServiceError
from interlink.providers.kit.graphql import raise_graphql_errors
from interlink.transport.client import ProviderClient
from interlink.transport.response import ProviderResponse

MAX_PAGES = 100  # a bound for one call, whatever the provider keeps saying


@dataclass(frozen=True)
class PageRequest:
    """One page's request: `target` is a path under the api_url, or an absolute URL."""

    method: str
    target: str
    params: Mapping[str, Any] = field(default_factory=dict)
    json: Mapping[str, Any] | None = None

    def with_fields(self, fields: Mapping[str, Any]) -> PageRequest:
        """`fields` in the JSON body when there is one, else in the query."""
        if not fields:
            return self
        if self.json is not None:
            return replace(self, json={**self.json, **fields})
        return replace(self, params={**self.params, **fields})

    def field(self, name: str) -> Any:
        return (self.json if self.json is not None else self.params).get(name)


@dataclass(frozen=True)
class Page:
    items: list[Any]
    cursor: str | None  # where the next page starts; None: this one was the last


@dataclass(frozen=True)
class Paged:
    """What `follow` kept, and where to read on (None: the provider has no more)."""

    items: list[Any]
    cursor: str | None
    pages: int


def dig(document: Any, path: str) -> Any:
    """The value at a dotted path of JSON objects (`response_metadata.next_cursor`), or None."""
    for name in path.split("."):
        if not isinstance(document, dict):
            return None
        document = document.get(name)
    return document


class Pagination(ABC):
    """A paging style. `items`: the dotted path of a page's items in the body (None: the body is
    the list); `size`: the parameter asking for a page size (None: the call sets its own)."""

    items: str | None
    size: str | None

    def request(self, first: PageRequest, cursor: str | None, size: int | None) -> PageRequest:
        """The request of the page at `cursor` (None: the first page)."""
        fields: dict[str, Any] = {self.size: size} if self.size and size is not None else {}
        if cursor is not None:
            fields.update(self.cursor_fields(cursor))
        return first.with_fields(fields)

    def reading(self, items: str) -> Pagination:
        """The same style, for an endpoint whose items are at `items` (Slack's `channels`)."""
        found: Pagination = replace(self, items=items)  # type: ignore[type-var]
        return found

    @abstractmethod
    def cursor_fields(self, cursor: str) -> Mapping[str, Any]:
        """What asks for the page at `cursor`."""

    @abstractmethod
    def read(self, sent: PageRequest, response: ProviderResponse) -> Page:
        """The page's items and the next page's cursor."""

    def page_items(self, response: ProviderResponse) -> tuple[Any, list[Any]]:
        body = response.json()
        found = body if self.items is None else dig(body, self.items)
        if not isinstance(found, list):
            where = f"at {self.items!r}" if self.items else "as its body"
            raise ExternalServiceError(
                f"The external system answered a page without a list {where}",
                details=[{"provider_status": response.status}],
            )
        return body, found


@dataclass(frozen=True)
class LinkHeader(Pagination):
    """RFC 8288 `Link: <url>; rel="next"` (GitHub): the next page is that URL, as it is. With
    `in_body`, the URL is in that top-level field of the body instead (Microsoft Graph's
    `@odata.nextLink`; a field name, not a dotted path)."""

    items: str | None = None
    size: str | None = None
    in_body: str | None = None

    def request(self, first: PageRequest, cursor: str | None, size: int | None) -> PageRequest:
        if cursor is None:
            return super().request(first, None, size)
        return PageRequest(first.method, cursor, {}, first.json)  # the URL says everything

    def cursor_fields(self, cursor: str) -> Mapping[str, Any]:
        return {}

    def read(self, sent: PageRequest, response: ProviderResponse) -> Page:
        body, items = self.page_items(response)
        if self.in_body is None:
            return Page(items, next_link(response.headers.get("link", "")))
        found = body.get(self.in_body) if isinstance(body, dict) else None
        return Page(items, found if isinstance(found, str) and found else None)


@dataclass(frozen=True)
class BodyCursor(Pagination):
    """A cursor in the answer's body, sent back as `param`: at `cursor` (Slack's
    `response_metadata.next_cursor`), or the `item_cursor` field of the page's last item
    (Stripe's `id`, sent as `starting_after`). `has_more` names a flag that must be true for
    another page (Stripe); `is_last` one that is true on the last page (Jira)."""

    items: str | None = None
    cursor: str = "next_cursor"
    param: str = "cursor"
    size: str | None = "limit"
    has_more: str | None = None
    is_last: str | None = None
    item_cursor: str | None = None

    def cursor_fields(self, cursor: str) -> Mapping[str, Any]:
        return {self.param: cursor}

    def read(self, sent: PageRequest, response: ProviderResponse) -> Page:
        body, items = self.page_items(response)
        if self.has_more and dig(body, self.has_more) is not True:
            return Page(items, None)
        if self.is_last and dig(body, self.is_last) is True:
            return Page(items, None)
        if self.item_cursor is not None:
            last = dig(items[-1], self.item_cursor) if items else None
            return Page(items, str(last) if last not in (None, "") else None)
        found = dig(body, self.cursor)
        return Page(items, str(found) if found not in (None, "") else None)


@dataclass(frozen=True)
class PageToken(BodyCursor):
    """A page token (Google's `nextPageToken`, sent back as `pageToken`); Jira's `/search/jql`
    is one too, with `nextPageToken` both ways and `isLast`."""

    cursor: str = "nextPageToken"
    param: str = "pageToken"
    size: str | None = "pageSize"
    # Google leaves an empty list out of its answer (proto3 JSON): no list is then no items.
    omits_empty: bool = False

    def page_items(self, response: ProviderResponse) -> tuple[Any, list[Any]]:
        body = response.json()
        if self.omits_empty and isinstance(body, dict) and dig(body, self.items or "") is None:
            return body, []
        return super().page_items(response)


@dataclass(frozen=True)
class Offset(Pagination):
    """Pages by position (Jira's `startAt`/`maxResults`/`total`): the next page starts after the
    items read so far; with `counts="pages"` the position is a page number (`first`: 1). It
    stops when `total` is reached, `is_last` is true, or a page is empty."""

    items: str | None = "values"
    start: str = "startAt"
    size: str | None = "maxResults"
    total: str | None = "total"
    is_last: str | None = "isLast"
    first: int = 0
    counts: Literal["items", "pages"] = "items"

    def request(self, first: PageRequest, cursor: str | None, size: int | None) -> PageRequest:
        return super().request(first, cursor or str(self.first), size)

    def cursor_fields(self, cursor: str) -> Mapping[str, Any]:
        return {self.start: int(cursor)}

    def read(self, sent: PageRequest, response: ProviderResponse) -> Page:
        body, items = self.page_items(response)
        position = int(sent.field(self.start) or self.first)
        after = position + (1 if self.counts == "pages" else len(items))
        total = dig(body, self.total) if self.total else None
        if self.is_last and dig(body, self.is_last) is True:
            return Page(items, None)
        if isinstance(total, int) and self.counts == "items" and after >= total:
            return Page(items, None)
        return Page(items, str(after))


@dataclass(frozen=True)
class GraphQLCursor(Pagination):
    """A GraphQL cursor connection (GitHub's, Shopify's...) at the dotted path `connection`
    (`data.repository.issues`; a call's `items=` names it): its items are the `nodes` (or the
    `edges`' `node`), there is more while `pageInfo.hasNextPage`, and the next page is asked
    with the variable `param` (`after`) set to `pageInfo.endCursor`, its size with the variable
    `size` (`first`). A page whose answer carries `errors` is INVALID_OPERATION."""

    connection: str = "data"
    param: str = "after"
    size: str | None = "first"
    items: str | None = None  # the connection's nodes: see `connection`

    def request(self, first: PageRequest, cursor: str | None, size: int | None) -> PageRequest:
        fields: dict[str, Any] = {self.size: size} if self.size and size is not None else {}
        if cursor is not None:
            fields.update(self.cursor_fields(cursor))
        body = dict(first.json or {})
        body["variables"] = {**(body.get("variables") or {}), **fields}
        return replace(first, json=body)

    def reading(self, items: str) -> Pagination:
        return replace(self, connection=items)

    def cursor_fields(self, cursor: str) -> Mapping[str, Any]:
        return {self.param: cursor}

    def read(self, sent: PageRequest, response: ProviderResponse) -> Page:
        body = response.json()
        raise_graphql_errors(body)
        found = dig(body, self.connection)
        found = found if isinstance(found, dict) else {}
        nodes = found.get("nodes")
        if nodes is None and isinstance(found.get("edges"), list):
            nodes = [
                edge.get("node") if isinstance(edge, dict) else None for edge in found["edges"]
            ]
        if not isinstance(nodes, list):
            raise ExternalServiceError(
                f"The external system answered no connection at {self.connection!r}",
                details=[{"provider_status": response.status}],
            )
        info = found.get("pageInfo")
        info = info if isinstance(info, dict) else {}
        end = info.get("endCursor") if info.get("hasNextPage") is True else None
        return Page(nodes, str(end) if end not in (None, "") else None)


def next_link(header: str) -> str | None:
    """The `rel="next"` URL of a `Link` header, or None."""
    for part in header.split(","):
        section = part.split(";")
        if len(section) > 1 and any(s.strip() == 'rel="next"' for s in section[1:]):
            return section[0].strip().strip("<>")
    return None


async def follow(
    http: ProviderClient,
    style: Pagination,
    first: PageRequest,
    *,
    limit: int,
    page_size: int | None = None,
    cursor: str | None = None,
    keep: Callable[[Any], bool] | None = None,
    max_pages: int = MAX_PAGES,
) -> Paged:
    """Pages from `cursor` (None: the first page) until `limit` kept items, the last page, an
    empty page or `max_pages` pages; `keep` filters items before they count."""
    kept: list[Any] = []
    pages = 0
    while pages < max_pages:
        size = min(page_size, limit - len(kept)) if page_size else None
        sent = style.request(first, cursor, size)
        response = await http.request(
            sent.method, sent.target, params=sent.params or None, json=sent.json
        )
        page = style.read(sent, response)
        pages += 1
        kept.extend(item for item in page.items if keep is None or keep(item))
        cursor = page.cursor
        if cursor is None or not page.items or len(kept) >= limit:
            break
    return Paged(kept[:limit], cursor, pages)
