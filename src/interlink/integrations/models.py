from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from interlink.core.db import Base


class Integration(Base):
    __tablename__ = "integrations"
    __table_args__ = (Index("ix_integrations_workspace_created", "workspace_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(40))
    configuration: Mapped[dict[str, Any]]
    credential_id: Mapped[str | None] = mapped_column(
        ForeignKey("credentials.id", ondelete="RESTRICT"), index=True
    )
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata")
    status: Mapped[str] = mapped_column(String(20))
    health_status: Mapped[str] = mapped_column(String(20), default="unknown")
    health_checked_at: Mapped[datetime | None]
    health_message: Mapped[str | None] = mapped_column(Text)
    health_checks: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    activated_at: Mapped[datetime | None]
    deactivated_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(200))


class Operation(Base):
    """One run of a connector action on an integration."""

    __tablename__ = "operations"
    __table_args__ = (
        Index("ix_operations_integration_started", "integration_id", "started_at"),
        # The sweep of interrupted calls reads running rows by deadline; finished rows leave it.
        Index(
            "ix_operations_running_deadline",
            "deadline_at",
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    integration_id: Mapped[str] = mapped_column(String(40))
    operation: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))  # queued | running | completed | failed
    parameters: Mapped[dict[str, Any]]
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    started_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    duration_ms: Mapped[int | None]
    created_by: Mapped[str] = mapped_column(String(200))
    # A synchronous call's: if still running then, its process died and the outcome is unknown.
    deadline_at: Mapped[datetime | None]


class IntegrationStatsHour(Base):
    """Calls of one integration in one hour: stats and health read these, never every operation."""

    __tablename__ = "integration_stats"

    integration_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    calls: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    total_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    last_call_at: Mapped[datetime]
