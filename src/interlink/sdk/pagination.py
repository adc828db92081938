"""Lists that page on iteration.

A `list_*` method fetches one page and returns a pager: `.items` and `.pagination` are that
page's; iterating it (`for` / `async for`) yields every item from that page to the last one,
fetching the next page when the current one is used up. Pages are read by number, newest first
by default, so items created while iterating may shift an item onto the next page twice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from interlink.sdk.client import AsyncHTTP, Call, SyncHTTP
from interlink.sdk.models import PageData, Pagination

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class PageCall(Generic[M]):
    """A list request: its path, its filters, and the model of its items."""

    path: str
    item: type[M]
    params: Mapping[str, Any]

    def at(self, page: int) -> Call[PageData[M]]:
        return Call("GET", self.path, self._parse, params={**self.params, "page": page})

    def _parse(self, data: Any) -> PageData[M]:
        return PageData[M](
            items=[self.item.model_validate(item) for item in data["items"]],
            pagination=Pagination.model_validate(data["pagination"]),
        )


class _Pager(Generic[M]):
    def __init__(self, call: PageCall[M], first: PageData[M]) -> None:
        self._call = call
        self._page = first

    @property
    def items(self) -> list[M]:
        """The items of this page only."""
        return self._page.items

    @property
    def pagination(self) -> Pagination:
        return self._page.pagination

    @property
    def has_next(self) -> bool:
        return self.pagination.page < self.pagination.total_pages and bool(self.items)

    def __repr__(self) -> str:
        p = self.pagination
        return f"{type(self).__name__}(page={p.page}/{p.total_pages}, total_items={p.total_items})"


class SyncPager(_Pager[M]):
    """One page of a list; iterate it for every item from here on."""

    def __init__(self, http: SyncHTTP, call: PageCall[M], first: PageData[M]) -> None:
        super().__init__(call, first)
        self._http = http

    @classmethod
    def fetch(cls, http: SyncHTTP, call: PageCall[M], page: int) -> SyncPager[M]:
        return cls(http, call, http.run(call.at(page)))

    def next_page(self) -> SyncPager[M] | None:
        """The following page, or None after the last one."""
        if not self.has_next:
            return None
        return SyncPager.fetch(self._http, self._call, self.pagination.page + 1)

    def __iter__(self) -> Iterator[M]:
        pager: SyncPager[M] | None = self
        while pager is not None:
            yield from pager.items
            pager = pager.next_page()


class AsyncPager(_Pager[M]):
    """The asynchronous twin of SyncPager: `async for item in pager`."""

    def __init__(self, http: AsyncHTTP, call: PageCall[M], first: PageData[M]) -> None:
        super().__init__(call, first)
        self._http = http

    @classmethod
    async def fetch(cls, http: AsyncHTTP, call: PageCall[M], page: int) -> AsyncPager[M]:
        return cls(http, call, await http.run(call.at(page)))

    async def next_page(self) -> AsyncPager[M] | None:
        """The following page, or None after the last one."""
        if not self.has_next:
            return None
        return await AsyncPager.fetch(self._http, self._call, self.pagination.page + 1)

    async def __aiter__(self) -> AsyncIterator[M]:
        pager: AsyncPager[M] | None = self
        while pager is not None:
            for item in pager.items:
                yield item
            pager = await pager.next_page()
