"""All SQL of usage and budgets: usage rows, budget rows, and each budget period's spend, whose
reservations are conditional updates (atomic on SQLite and PostgreSQL alike)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, Select, bindparam, case, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.ai.usage.models import LlmBudget, LlmBudgetHold, LlmBudgetSpend, LlmUsage
from interlink.core.db import Base
from interlink.core.driver import Query, Statement, Write
from interlink.core.pagination import PageParams, fetch_page

_USAGE = Base.metadata.tables[LlmUsage.__tablename__]
_SPEND = Base.metadata.tables[LlmBudgetSpend.__tablename__]
_HOLDS = Base.metadata.tables[LlmBudgetHold.__tablename__]
_USAGE_COLUMNS = tuple(column.name for column in _USAGE.c if column.name != "id")


def _open_period(dialect_name: str) -> Insert:
    dialect = sqlite if dialect_name == "sqlite" else postgresql
    insert = dialect.insert(_SPEND).values(
        budget_id=bindparam("budget_id", type_=_SPEND.c.budget_id.type),
        period_start=bindparam("period_start", type_=_SPEND.c.period_start.type),
        used=0, reserved=0, threshold_sent=False, exhausted_sent=False,
    )  # fmt: skip
    opened: Insert = insert.on_conflict_do_nothing(index_elements=["budget_id", "period_start"])
    return opened


_OPEN_PERIOD = Statement(_open_period)
_THIS_PERIOD = (_SPEND.c.budget_id == bindparam("budget_id")) & (
    _SPEND.c.period_start == bindparam("period_start", type_=_SPEND.c.period_start.type)
)
# Holds `amount` only while what is used and held stays within `limit`: concurrent reservations
# of one period are serialized by the row's lock (PostgreSQL re-checks the condition on the
# updated row) or by SQLite's single writer, so none passes the limit.
_RESERVE = Statement.of(
    update(_SPEND)
    .where(
        _THIS_PERIOD, _SPEND.c.used + _SPEND.c.reserved + bindparam("amount") <= bindparam("limit")
    )
    .values(reserved=_SPEND.c.reserved + bindparam("amount"))
)
_SETTLE = Statement.of(
    update(_SPEND)
    .where(_THIS_PERIOD)
    .values(
        reserved=_SPEND.c.reserved - bindparam("amount"),
        used=_SPEND.c.used + bindparam("spent"),
    )
)
_INSERT_USAGE = Statement.insert(_USAGE, _USAGE_COLUMNS)
_MARK = {
    flag: Statement.of(
        update(_SPEND).where(_THIS_PERIOD, _SPEND.c[flag].is_(False)).values({flag: True})
    )
    for flag in ("threshold_sent", "exhausted_sent")
}
_INSERT_HOLD = Statement.insert(_HOLDS, tuple(column.name for column in _HOLDS.c))
_DROP_HOLD = Statement.of(
    delete(_HOLDS).where(
        _HOLDS.c.id == bindparam("hold_id"), _HOLDS.c.budget_id == bindparam("budget_id")
    )
)
_GENERATING = (LlmUsage.error_code.is_(None)) & (
    LlmUsage.duration_ms > func.coalesce(LlmUsage.first_token_ms, 0)
)
# What monitoring per model reads: failures, durations, times to the first token, and the
# completion tokens of successful calls over the time spent generating them.
_TIMING = (
    func.count(LlmUsage.error_code).label("errors"),
    func.count(LlmUsage.duration_ms).label("timed"),
    func.coalesce(func.sum(LlmUsage.duration_ms), 0).label("duration_ms"),
    func.count(LlmUsage.first_token_ms).label("first_tokens"),
    func.coalesce(func.sum(LlmUsage.first_token_ms), 0).label("first_token_ms"),
    func.coalesce(func.sum(case((_GENERATING, LlmUsage.completion_tokens), else_=0)), 0).label(
        "generated_tokens"
    ),
    func.coalesce(
        func.sum(
            case(
                (_GENERATING, LlmUsage.duration_ms - func.coalesce(LlmUsage.first_token_ms, 0)),
                else_=0,
            )
        ),
        0,
    ).label("generating_ms"),
)
SPEND_OF = Query(select(_SPEND.c.used, _SPEND.c.reserved).where(_THIS_PERIOD))


def reserve(
    hold_id: str,
    budget_id: str,
    period_start: datetime,
    amount: int,
    limit: int,
    expires_at: datetime,
) -> list[Write]:
    """Hold `amount` of a budget's period (noted as the hold `hold_id`), or abandon the whole
    transaction."""
    period = {"budget_id": budget_id, "period_start": period_start}
    hold = {**period, "id": hold_id, "amount": amount, "expires_at": expires_at}
    return [
        Write(_OPEN_PERIOD, period),
        Write(_RESERVE, {**period, "amount": amount, "limit": limit}, required=True),
        Write(_INSERT_HOLD, hold),
    ]  # fmt: skip


def settle(
    hold_id: str,
    budget_id: str,
    period_start: datetime,
    held: int,
    spent: int,
    *,
    required: bool = False,
) -> list[Write]:
    """Let go of the hold and count what was spent; `required`: only if the hold is still
    there (or abandon the transaction)."""
    values = {"budget_id": budget_id, "period_start": period_start, "amount": held, "spent": spent}
    return [
        Write(_DROP_HOLD, {"hold_id": hold_id, "budget_id": budget_id}, required=required),
        Write(_SETTLE, values),
    ]  # fmt: skip


EXPIRED = select(_HOLDS).where(_HOLDS.c.expires_at < bindparam("now")).limit(500)


def mark(flag: str, budget_id: str, period_start: datetime) -> Write:
    """Set `flag` once: the write changes no row (and abandons its transaction) if it is set."""
    return Write(_MARK[flag], {"budget_id": budget_id, "period_start": period_start}, required=True)


def insert_usage(row: dict[str, Any]) -> Write:
    return Write(_INSERT_USAGE, row)


class UsageRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, budget: LlmBudget) -> None:
        self.session.add(budget)

    async def delete(self, budget: LlmBudget) -> None:
        await self.session.delete(budget)

    async def budget(self, workspace_id: str, budget_id: str) -> LlmBudget | None:
        query = select(LlmBudget).where(
            LlmBudget.workspace_id == workspace_id, LlmBudget.id == budget_id
        )
        return (await self.session.scalars(query)).first()

    async def budgets(self, workspace_id: str) -> Sequence[LlmBudget]:
        query = select(LlmBudget).where(LlmBudget.workspace_id == workspace_id)
        return (await self.session.scalars(query.order_by(LlmBudget.created_at))).all()

    async def page(self, workspace_id: str, params: PageParams) -> tuple[Sequence[LlmBudget], int]:
        query = select(LlmBudget).where(LlmBudget.workspace_id == workspace_id)
        return await fetch_page(self.session, query, params, (LlmBudget.created_at,), LlmBudget.id)

    async def expired(self, now: datetime) -> list[dict[str, Any]]:
        """Holds whose call is taken for dead (at most 500)."""
        return [dict(r._mapping) for r in await self.session.execute(EXPIRED, {"now": now})]

    async def spend(self, budget_id: str, period_start: datetime) -> tuple[int, int]:
        """(used, reserved) of a budget's period."""
        query = select(LlmBudgetSpend.used, LlmBudgetSpend.reserved).where(
            LlmBudgetSpend.budget_id == budget_id, LlmBudgetSpend.period_start == period_start
        )
        found = (await self.session.execute(query)).first()
        return (int(found[0]), int(found[1])) if found else (0, 0)

    async def totals(
        self,
        workspace_id: str,
        since: datetime,
        until: datetime,
        by: Sequence[str],
        integration_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """Calls, tokens and cost (nanos) in [since, until), grouped by the columns `by`."""
        keys = [_USAGE.c[name] for name in by]
        query: Select[Any] = select(
            *keys,
            func.count().label("calls"),
            func.coalesce(func.sum(LlmUsage.prompt_tokens), 0).label("prompt_tokens"),
            func.coalesce(func.sum(LlmUsage.completion_tokens), 0).label("completion_tokens"),
            func.coalesce(func.sum(LlmUsage.cost_nanos), 0).label("cost_nanos"),
            *_TIMING,
        ).where(
            LlmUsage.workspace_id == workspace_id,
            LlmUsage.created_at >= since,
            LlmUsage.created_at < until,
        )
        if integration_id is not None:
            query = query.where(LlmUsage.integration_id == integration_id)
        if keys:
            query = query.group_by(*keys).order_by(*keys)
        return [dict(row._mapping) for row in await self.session.execute(query)]
