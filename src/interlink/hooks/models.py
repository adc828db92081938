"""The `incoming_hooks` table: every verified provider webhook, its raw body kept as received."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from interlink.core.db import Base


class IncomingHook(Base):
    __tablename__ = "incoming_hooks"
    __table_args__ = (
        # A provider's retry of one delivery is stored once, and so is a signed body sent again
        # (a replay, whatever its unsigned headers say). NULLs are never duplicates.
        UniqueConstraint("integration_id", "delivery_id"),
        UniqueConstraint("integration_id", "body_digest", name="uq_incoming_hooks_body_digest"),
        Index("ix_incoming_hooks_workspace_received", "workspace_id", "received_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    integration_id: Mapped[str] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    delivery_id: Mapped[str | None] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(String(100))  # the published type, provider.<type>.<event>
    headers: Mapped[dict[str, Any]]
    body: Mapped[bytes] = mapped_column(LargeBinary)
    # Hex SHA-256 of `body`; NULL for a hook received before 0011 whose body came twice.
    body_digest: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime]
