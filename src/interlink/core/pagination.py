"""Page parameters and the `items` + `pagination` list shape."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

T = TypeVar("T")
Row = TypeVar("Row")
SortColumn = ColumnElement[Any] | QueryableAttribute[Any]

MAX_PAGE_SIZE = 100


class PageParams(BaseModel):
    page: int = 1
    page_size: int = 10
    sort_order: Literal["asc", "desc"] = "desc"

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


async def page_params(
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 10,
    sort_order: Annotated[Literal["asc", "desc"], Query()] = "desc",
) -> PageParams:
    return PageParams(page=page, page_size=page_size, sort_order=sort_order)


class Pagination(BaseModel):
    page: int
    page_size: int
    total_items: int
    total_pages: int


class Page(BaseModel, Generic[T]):
    items: list[T]
    pagination: Pagination

    @classmethod
    def build(cls, items: list[T], total: int, params: PageParams) -> Page[T]:
        pages = math.ceil(total / params.page_size) if total else 0
        return cls(
            items=items,
            pagination=Pagination(
                page=params.page, page_size=params.page_size, total_items=total, total_pages=pages
            ),
        )


async def fetch_page(
    session: AsyncSession,
    query: Select[tuple[Row]],
    params: PageParams,
    order_by: Sequence[SortColumn],
    tie_breaker: SortColumn,
) -> tuple[Sequence[Row], int]:
    """One page of `query` in the requested order (with a stable tie-breaker), and the total."""
    total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    columns = (*order_by, tie_breaker)
    ordering = [c.asc() if params.sort_order == "asc" else c.desc() for c in columns]
    rows = await session.scalars(
        query.order_by(*ordering).offset(params.offset).limit(params.page_size)
    )
    return rows.all(), total or 0
