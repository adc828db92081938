"""The tables of workflows: definitions and their versions, executions, their steps and waits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from interlink.core.db import Base


class Workflow(Base):
    __tablename__ = "workflows"
    __table_args__ = (Index("ix_workflows_workspace_created", "workspace_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer)  # the latest saved version
    definition: Mapped[dict[str, Any]]  # of the latest version
    triggers: Mapped[list[Any]] = mapped_column(JSON)
    # sha256 of the webhook trigger's token (the token itself is shown once, at creation)
    trigger_token_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))


class WorkflowVersion(Base):
    """Every saved definition: an execution runs the version it started with."""

    __tablename__ = "workflow_versions"

    workflow_id: Mapped[str] = mapped_column(
        ForeignKey("workflows.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class Execution(Base):
    __tablename__ = "workflow_executions"
    __table_args__ = (
        Index("ix_workflow_executions_workspace_created", "workspace_id", "created_at"),
        Index("ix_workflow_executions_workflow_created", "workflow_id", "created_at"),
        # An event, a schedule tick or an Idempotency-Key starts one execution only.
        UniqueConstraint("workflow_id", "trigger_key"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    workflow_id: Mapped[str] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    workflow_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    trigger: Mapped[str] = mapped_column(String(20))  # manual | schedule | event | webhook
    trigger_key: Mapped[str | None] = mapped_column(String(300))
    run: Mapped[int] = mapped_column(Integer, default=1)  # 1, then 2, 3... for each retry
    input: Mapped[dict[str, Any]]
    output: Mapped[Any | None] = mapped_column(JSON)
    error: Mapped[dict[str, Any] | None]
    started_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))


class ExecutionStep(Base):
    __tablename__ = "workflow_execution_steps"

    execution_id: Mapped[str] = mapped_column(
        ForeignKey("workflow_executions.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(40))
    # running | waiting | completed | failed | skipped | cancelled
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    output: Mapped[Any | None] = mapped_column(JSON)
    error: Mapped[dict[str, Any] | None]
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]


class ExecutionWait(Base):
    """A `wait_for_event` step waiting: the event follower sends it the first matching event."""

    __tablename__ = "workflow_waits"
    __table_args__ = (Index("ix_workflow_waits_status", "status", "workspace_id"),)

    id: Mapped[str] = mapped_column(String(100), primary_key=True)  # execution id:step:run
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    execution_id: Mapped[str] = mapped_column(
        ForeignKey("workflow_executions.id", ondelete="CASCADE")
    )
    destination: Mapped[str] = mapped_column(String(100))  # the DBOS workflow to wake
    event: Mapped[str] = mapped_column(String(100))  # a type, or `prefix.*`
    filter: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(20))  # open | matched | closed
    event_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]


class EventCursor(Base):
    """How far the event follower has read the event log."""

    __tablename__ = "workflow_event_cursor"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime]


class ExecutionCheckpoint(Base):
    """What a run's step (or its start) gave, written in the transaction that ends it: a run
    resumed after its process died replays these instead of acting again."""

    __tablename__ = "workflow_checkpoints"

    execution_id: Mapped[str] = mapped_column(
        ForeignKey("workflow_executions.id", ondelete="CASCADE"), primary_key=True
    )
    run: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0 is the run's plan
    result: Mapped[Any | None] = mapped_column(JSON)
