from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from interlink.core.db import Base


class LlmUsage(Base):
    """One language-model call's tokens and cost (in whole nano-dollars)."""

    __tablename__ = "llm_usage"
    __table_args__ = (
        Index("ix_llm_usage_workspace_at", "workspace_id", "created_at"),
        Index("ix_llm_usage_integration_at", "integration_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(String(40))
    integration_id: Mapped[str] = mapped_column(String(40))
    provider: Mapped[str] = mapped_column(String(40))
    model: Mapped[str] = mapped_column(String(200))
    operation: Mapped[str] = mapped_column(String(100))
    prompt_tokens: Mapped[int] = mapped_column(BigInteger)
    completion_tokens: Mapped[int] = mapped_column(BigInteger)
    cost_nanos: Mapped[int] = mapped_column(BigInteger)
    counted: Mapped[bool]  # the tokens were counted here: the provider did not say
    created_at: Mapped[datetime]
    error_code: Mapped[str | None] = mapped_column(String(60))  # a failed call's (no tokens)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    first_token_ms: Mapped[int | None] = mapped_column(Integer)  # a streamed call's


class LlmBudget(Base):
    """A limit on tokens or dollars per day or month, of one integration or (without one) of
    the whole workspace."""

    __tablename__ = "llm_budgets"
    __table_args__ = (Index("ix_llm_budgets_workspace", "workspace_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    integration_id: Mapped[str | None] = mapped_column(String(40))
    unit: Mapped[str] = mapped_column(String(10))  # tokens | usd (then `amount` is in nanos)
    period: Mapped[str] = mapped_column(String(10))  # day | month
    amount: Mapped[int] = mapped_column(BigInteger)
    threshold_percent: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))


class LlmBudgetHold(Base):
    """What one call under way holds of a budget's period, until it is settled; past
    `expires_at` its call is taken for dead and the hold let go."""

    __tablename__ = "llm_budget_holds"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # the call's
    budget_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    period_start: Mapped[datetime]
    amount: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class LlmBudgetSpend(Base):
    """A budget's period: what calls used, and what calls under way hold (their estimates)."""

    __tablename__ = "llm_budget_spend"

    budget_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    period_start: Mapped[datetime] = mapped_column(primary_key=True)
    used: Mapped[int] = mapped_column(BigInteger)
    reserved: Mapped[int] = mapped_column(BigInteger)
    threshold_sent: Mapped[bool]
    exhausted_sent: Mapped[bool]
