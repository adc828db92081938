"""Pages of a mock's seeded lists in the styles providers serve: page numbers with a `Link`
header, an opaque body cursor, a `starting_after`/`ending_before` id, an opaque page token.

The mock parses its own page-size parameter (its default, its bounds, its error) and turns a
`PageError` into its provider's error."""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from yarl import URL

T = TypeVar("T")


class PageError(ValueError):
    """A page parameter (`param`: `cursor`, `token`, `starting_after`...) names no page."""

    def __init__(self, param: str) -> None:
        super().__init__(f"{param} names no page")
        self.param = param


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page: its items, whether more follow, and the cursor or token of the next one."""

    items: list[T]
    has_more: bool
    next: str | None = None


@dataclass(frozen=True)
class Marker:
    """An opaque cursor or page token: `kind:value` in base64 (URL-safe when `urlsafe`)."""

    kind: str
    urlsafe: bool = False

    def encode(self, value: str) -> str:
        raw = f"{self.kind}:{value}".encode()
        return (base64.urlsafe_b64encode if self.urlsafe else base64.b64encode)(raw).decode()

    def decode(self, marker: str, param: str) -> str:
        """The value `marker` holds; raises `PageError(param)` when it is not one of ours."""
        try:
            if self.urlsafe:
                raw = base64.urlsafe_b64decode(marker).decode()
            else:
                raw = base64.b64decode(marker, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise PageError(param) from None
        kind, _, value = raw.partition(":")
        if kind != self.kind:
            raise PageError(param)
        return value


def numbered_page(
    items: Sequence[T], *, page: int, size: int, url: URL, param: str = "page"
) -> tuple[list[T], dict[str, str]]:
    """Page `page` (from 1) of `size` items, and its `Link` header (`prev`, `next`, `last`,
    `first`, as GitHub sends them; none on a lone page): `url` with `param` set to each page."""
    last = max(math.ceil(len(items) / size), 1)
    links = []
    if page > 1:
        links.append(("prev", min(page - 1, last)))
    if page < last:
        links += [("next", page + 1), ("last", last)]
    if page > 1:
        links.append(("first", 1))
    headers = {}
    if links:
        headers["Link"] = ", ".join(
            f'<{url.update_query({param: str(number)})}>; rel="{rel}"' for rel, number in links
        )
    start = (page - 1) * size
    return list(items[start : start + size]), headers


def cursor_start(cursor: object, ids: Sequence[str], marker: Marker) -> int:
    """Where the page `cursor` names starts (0 for none): a body cursor holds the id of the
    page's first item. Raises `PageError("cursor")`."""
    if not cursor:
        return 0
    first = marker.decode(str(cursor), "cursor")
    if first not in ids:
        raise PageError("cursor")
    return list(ids).index(first)


def cursor_page(
    items: Sequence[T], ids: Sequence[str], *, start: int, limit: int, marker: Marker
) -> Page[T]:
    """`limit` items from `start`, with the cursor of the next page (Slack's `next_cursor`)."""
    end = start + limit
    more = end < len(items)
    return Page(list(items[start:end]), more, marker.encode(ids[end]) if more else None)


def token_start(token: object, marker: Marker) -> int:
    """The offset a page token holds (0 for none). Raises `PageError("token")`."""
    if not token:
        return 0
    try:
        offset = int(marker.decode(str(token), "token"))
    except ValueError:
        raise PageError("token") from None
    if offset < 0:
        raise PageError("token")
    return offset


def token_page(items: Sequence[T], *, start: int, limit: int, marker: Marker) -> Page[T]:
    """`limit` items from `start`, with the token of the next page (Jira's `nextPageToken`)."""
    end = start + limit
    more = end < len(items)
    return Page(list(items[start:end]), more, marker.encode(str(end)) if more else None)


def id_page(
    items: Sequence[T],
    ids: Sequence[str],
    *,
    limit: int,
    starting_after: str | None = None,
    ending_before: str | None = None,
) -> Page[T]:
    """`limit` items after the one whose id is `starting_after`, or before `ending_before`
    (Stripe's lists; `has_more` says whether more lie that way). Raises `PageError` naming the
    parameter whose id is not in `ids`."""
    for param, given in (("starting_after", starting_after), ("ending_before", ending_before)):
        if given and given not in ids:
            raise PageError(param)
    if ending_before:
        end = list(ids).index(ending_before)
        start = max(end - limit, 0)
        return Page(list(items[start:end]), start > 0)
    start = list(ids).index(starting_after) + 1 if starting_after else 0
    return Page(list(items[start : start + limit]), start + limit < len(items))
