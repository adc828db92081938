from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from interlink.core.db import Base


class IdempotencyRecord(Base):
    """A POST made with an Idempotency-Key; its response is sealed, since some hold secrets."""

    __tablename__ = "idempotency_keys"

    workspace_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # Keys belong to one caller (an API key, or a token's subject): another caller's request with
    # the same key runs on its own, and meets its own scope checks.
    caller: Mapped[str] = mapped_column(String(200), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20))  # processing | completed
    status_code: Mapped[int | None] = mapped_column(Integer)
    key_id: Mapped[str | None] = mapped_column(String(40), index=True)
    sealed_response: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(index=True)
