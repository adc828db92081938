from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from interlink.core.db import Base


class VaultKeyCheck(Base):
    """A known value sealed under each key: tells a wrong key from a right one at start."""

    __tablename__ = "vault_key_checks"

    key_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sealed_check: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class Credential(Base):
    __tablename__ = "credentials"
    __table_args__ = (Index("ix_credentials_workspace_created", "workspace_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(40))
    provider: Mapped[str | None] = mapped_column(String(100))
    key_id: Mapped[str] = mapped_column(String(40), index=True)
    sealed_data: Mapped[str] = mapped_column(Text)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata")
    # Set when the credential was given inline to one integration and lives and dies with it.
    owner_integration_id: Mapped[str | None] = mapped_column(String(40))
    # The hosts it may be sent to (names, `*.domain`); None: its provider's API host.
    allowed_hosts: Mapped[list[str] | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    # The OAuth refresh lease (vault/oauth.py): who is refreshing the token and until when it may
    # (both None when nobody is). Claimed and cleared in short transactions of their own.
    refreshing_by: Mapped[str | None] = mapped_column(String(40))
    refreshing_until: Mapped[datetime | None]
