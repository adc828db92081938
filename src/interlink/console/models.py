from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from interlink.core.db import Base


class ConsoleSession(Base):
    """A signed-in browser. Only the SHA-256 of its cookie's token is kept, never the token or the
    API key it was opened with."""

    __tablename__ = "console_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(40), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    key_id: Mapped[str | None] = mapped_column(String(40), index=True)  # signed in with this key
    scopes: Mapped[list[str]]  # of a session without a key (single sign-on)
    method: Mapped[str] = mapped_column(String(20))  # api_key, oidc, ldap
    name: Mapped[str] = mapped_column(String(200))  # who signed in, as shown
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None] = mapped_column(index=True)
