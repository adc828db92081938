"""Metering language-model calls: before a call, its estimate is held in every budget that
covers it (or the call is refused); after, the hold is settled to the real usage, the usage row
written and counted, and `budget.*` events sent once per period. Each call's row also keeps
its duration, its time to the first token (streamed) and, for a failed call, its error code
(no tokens, no cost): what monitoring per model reads.

A hold is one conditional UPDATE per budget in one transaction (`repository.reserve`): calls
racing for the last of a budget are serialized by the database, so together they never hold
more than the budget. A call then spends at most its own estimate's error beyond it. A refused
or failed call is released, not charged; a cut stream is charged what it used (`settle`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from pydantic import BaseModel

from interlink.ai.usage import repository
from interlink.ai.usage.budgets import Limit, period_start
from interlink.ai.usage.models import LlmBudget
from interlink.ai.usage.prices import Price, nanos, price_of
from interlink.core.clock import Clock
from interlink.core.db import Database
from interlink.core.driver import Write
from interlink.core.errors import BudgetExceeded
from interlink.core.metrics import LlmCall, Metrics
from interlink.core.snapshots import SnapshotCache
from interlink.events.service import EventService
from interlink.events.types import BudgetState, EventRecord, EventType, new_event
from interlink.providers.kit.llm import (
    CHARS_PER_TOKEN,
    ChatInput,
    ChatOutput,
    EmbeddingsInput,
    EmbeddingsOutput,
    Usage,
    estimated_tokens,
)

log = structlog.get_logger(__name__)

UNSAID_MAX_TOKENS = 1024  # a chat without `max_tokens` is held as if it asked for this many
HOLD_SECONDS = 3600  # a call not settled within this is taken for dead: its hold is let go


@dataclass(frozen=True)
class Hold:
    limit: Limit
    period_start: datetime
    amount: int


@dataclass(frozen=True)
class Metered:
    """A call under way: who makes it, its price, its estimate and what it holds."""

    id: str
    workspace_id: str
    integration_id: str
    provider: str
    model: str
    price: Price
    estimate: Usage
    holds: tuple[Hold, ...]
    started_at: datetime


def estimate(params: ChatInput | EmbeddingsInput) -> Usage:
    """A call's usage at most, before it is made: the prompt's estimate and `max_tokens`."""
    if isinstance(params, EmbeddingsInput):
        return Usage(prompt_tokens=max(1, sum(len(t) for t in params.input) // CHARS_PER_TOKEN))
    completion = params.max_tokens or UNSAID_MAX_TOKENS
    return Usage(prompt_tokens=estimated_tokens(params), completion_tokens=completion)


def counted(params: ChatInput, text: str) -> Usage:
    """A streamed answer's usage when the provider did not say it: counted from the texts."""
    return Usage(
        prompt_tokens=estimated_tokens(params),
        completion_tokens=len(text) // CHARS_PER_TOKEN if text else 0,
    )


class UsageMeter:
    def __init__(
        self,
        clock: Clock,
        db: Database,
        events: EventService,
        limits: SnapshotCache[str, tuple[Limit, ...]],
        metrics: Metrics | None = None,
    ) -> None:
        self.clock = clock
        self.db = db
        self.events = events
        self.limits = limits
        self.metrics = metrics

    # -- before the call ------------------------------------------------------------------------
    async def reserve(
        self,
        workspace_id: str,
        integration_id: str,
        provider: str,
        configuration: Mapping[str, Any],
        params: BaseModel,
    ) -> Metered | None:
        """Hold the call's estimate in each budget covering it; None when `params` are no
        language model's call. Raises `BudgetExceeded` (nothing held) if one would be passed."""
        if not isinstance(params, ChatInput | EmbeddingsInput):
            return None
        price = price_of(provider, params.model, configuration)
        most = estimate(params)
        now = self.clock.now()
        holds = tuple(
            Hold(limit, period_start(limit.period, now), limit.charge(most, price))
            for limit in await self._limits(workspace_id)
            if limit.covers(integration_id)
        )
        metered = Metered(
            uuid.uuid4().hex, workspace_id, integration_id, provider, params.model, price, most,
            holds, now,
        )  # fmt: skip
        if holds:
            expires = now + timedelta(seconds=HOLD_SECONDS)
            writes = [w for h in holds for w in repository.reserve(
                metered.id, h.limit.id, h.period_start, h.amount, h.limit.amount, expires
            )]  # fmt: skip
            if not await self.db.write(*writes):
                await self._refuse(metered)
        return metered

    async def _limits(self, workspace_id: str) -> tuple[Limit, ...]:
        async def read() -> tuple[Limit, ...]:
            async with self.db.read() as session:
                rows = await repository.UsageRepository(session).budgets(workspace_id)
            return tuple(limit_of(row) for row in rows)

        return await self.limits.load(workspace_id, read) or ()

    async def _refuse(self, metered: Metered) -> None:
        details = []
        for hold in metered.holds:
            used, reserved = await self._spend(hold)
            if used + reserved + hold.amount <= hold.limit.amount:
                continue
            details.append({
                "budget_id": hold.limit.id, "unit": hold.limit.unit, "period": hold.limit.period,
                "limit": hold.limit.shown(hold.limit.amount), "used": hold.limit.shown(used),
                "held_by_calls_under_way": hold.limit.shown(reserved),
                "this_call_at_most": hold.limit.shown(hold.amount),
            })  # fmt: skip
            await self._announce(metered, hold, "exhausted_sent", EventType.BUDGET_EXHAUSTED, used)
        first = details[0] if details else {"budget_id": "?", "period": "?"}
        raise BudgetExceeded(
            f"This call could pass budget {first['budget_id']} (per {first['period']}): it was "
            "not made. Wait for the next period, raise the budget, or ask for fewer max_tokens",
            details=details,
        )

    # -- after the call -------------------------------------------------------------------------
    async def settle(
        self,
        metered: Metered,
        usage: Usage,
        operation: str,
        *,
        was_counted: bool = False,
        first_token_at: datetime | None = None,
        error_code: str | None = None,
    ) -> None:
        """Charge the call's real `usage` (`was_counted`: counted here, the provider did not
        say): its usage row, its budgets' spend, the metrics, and the events it causes.
        `first_token_at`: when a streamed answer's first chunk came; `error_code`: the call
        failed (a stream cut midway is charged what it used)."""
        cost = metered.price.cost(usage)
        now = self.clock.now()
        took = _ms(now - metered.started_at)
        first = None if first_token_at is None else _ms(first_token_at - metered.started_at)
        row = {
            "workspace_id": metered.workspace_id, "integration_id": metered.integration_id,
            "provider": metered.provider, "model": metered.model, "operation": operation,
            "prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
            "cost_nanos": nanos(cost), "counted": was_counted, "created_at": now,
            "error_code": error_code, "duration_ms": took, "first_token_ms": first,
        }  # fmt: skip
        if not await self.db.write(repository.insert_usage(row), *self._settled(metered, usage)):
            await self.db.write(repository.insert_usage(row))  # a hold was let go by the sweep
            await self._settle_one_by_one(metered, usage)
        if self.metrics is not None:
            self.metrics.llm(
                metered.provider, metered.model, metered.integration_id,
                LlmCall(usage.prompt_tokens, usage.completion_tokens, float(cost),
                        took / 1000, _seconds(first), error_code),
            )  # fmt: skip
        await self._after(metered)

    async def settle_output(self, metered: Metered, output: BaseModel, operation: str) -> None:
        """Settle to the `usage` a chat's or embeddings' answer says."""
        if isinstance(output, ChatOutput | EmbeddingsOutput):
            await self.settle(metered, output.usage, operation)
        else:
            await self.release(metered)

    async def settle_stream(
        self,
        metered: Metered,
        params: ChatInput,
        usage: Usage | None,
        text: str,
        *,
        first_token_at: datetime | None = None,
        error_code: str | None = None,
    ) -> None:
        """Settle a streamed chat (also one cut midway): the usage the stream said, or else
        counted from its prompt and the text it gave."""
        said = usage is not None
        await self.settle(
            metered, usage if usage is not None else counted(params, text), "stream_chat",
            was_counted=not said, first_token_at=first_token_at, error_code=error_code,
        )  # fmt: skip

    async def release(
        self, metered: Metered, error_code: str | None = None, operation: str = "chat"
    ) -> None:
        """The call failed or was refused: let go of what it held, charging nothing. With the
        provider's `error_code`, the failed `operation` is written as the model's (for its
        error rate)."""
        if error_code is not None:
            await self.settle(metered, Usage(), operation, error_code=error_code)
            return
        writes = self._settled(metered, None)
        if writes and not await self.db.write(*writes):
            await self._settle_one_by_one(metered, None)

    def _settled(self, metered: Metered, usage: Usage | None) -> list[Write]:
        """Let go of each hold and count `usage` in its budget; abandoned, writing nothing, if
        a hold is gone (let go of by the sweep: the call took too long)."""
        return [w for h in metered.holds for w in repository.settle(
            metered.id, h.limit.id, h.period_start, h.amount, _spent(h, usage, metered.price),
            required=True,
        )]  # fmt: skip

    async def _settle_one_by_one(self, metered: Metered, usage: Usage | None) -> None:
        """As `_settled`, each hold alone: one the sweep let go of is not let go of twice,
        only its use is counted."""
        for hold in metered.holds:
            spent = _spent(hold, usage, metered.price)
            args = (metered.id, hold.limit.id, hold.period_start)
            if not await self.db.write(
                *repository.settle(*args, hold.amount, spent, required=True)
            ):
                await self.db.write(*repository.settle(*args, 0, spent))

    async def expire_holds(self) -> int:
        """Let go of the holds of calls taken for dead (not settled within `HOLD_SECONDS`: their
        process died); returns how many."""
        async with self.db.read() as session:
            expired = await repository.UsageRepository(session).expired(self.clock.now())
        for hold in expired:
            await self.db.write(*repository.settle(
                hold["id"], hold["budget_id"], hold["period_start"], hold["amount"], 0,
                required=True,
            ))  # fmt: skip
        if expired:
            log.warning("usage_holds_expired", holds=len(expired))
        return len(expired)

    async def _after(self, metered: Metered) -> None:
        for hold in metered.holds:
            used, _ = await self._spend(hold)
            if used >= hold.limit.amount:
                await self._announce(
                    metered, hold, "exhausted_sent", EventType.BUDGET_EXHAUSTED, used
                )
            if used >= hold.limit.threshold():
                await self._announce(
                    metered, hold, "threshold_sent", EventType.BUDGET_THRESHOLD_REACHED, used
                )

    async def _spend(self, hold: Hold) -> tuple[int, int]:
        values = {"budget_id": hold.limit.id, "period_start": hold.period_start}
        found = await self.db.read_one(repository.SPEND_OF, values)
        return (int(found["used"]), int(found["reserved"])) if found else (0, 0)

    async def _announce(
        self, metered: Metered, hold: Hold, flag: str, kind: EventType, used: int
    ) -> None:
        """Send `kind` for the budget's period, unless it was sent (`flag`)."""
        limit = hold.limit
        state = BudgetState(
            budget_id=limit.id, integration_id=limit.integration_id, unit=limit.unit,
            period=limit.period, period_start=hold.period_start,
            limit=limit.shown(limit.amount), used=limit.shown(used),
            threshold_percent=limit.threshold_percent,
        )  # fmt: skip
        event: EventRecord = new_event(
            metered.workspace_id, kind, state, at=self.clock.now(),
            integration_id=limit.integration_id,
        )  # fmt: skip
        writes = [repository.mark(flag, limit.id, hold.period_start)]
        await self.events.publish(writes, event)
        if await self.db.write(*writes):
            log.info("budget_event_sent", budget_id=limit.id, event_type=str(kind))


def _ms(elapsed: timedelta) -> int:
    return max(0, round(elapsed.total_seconds() * 1000))


def _seconds(ms: int | None) -> float | None:
    return None if ms is None else ms / 1000


def _spent(hold: Hold, usage: Usage | None, price: Price) -> int:
    return 0 if usage is None else hold.limit.charge(usage, price)


def limit_of(row: LlmBudget) -> Limit:
    return Limit(
        row.id, row.integration_id, row.unit, row.period, row.amount,  # type: ignore[arg-type]
        row.threshold_percent,
    )  # fmt: skip
