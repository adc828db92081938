from __future__ import annotations

from typing import Any

from pydantic import Field

from interlink.core.schemas import ApiOutput, UtcTime
from interlink.events.models import Event
from interlink.events.types import EventRecord


class EventOut(ApiOutput):
    id: str
    event: str = Field(description="The event type, e.g. integration.created")
    timestamp: UtcTime
    integration_id: str | None
    data: dict[str, Any]

    @classmethod
    def of(cls, row: Event | EventRecord) -> EventOut:
        return cls(
            id=row.id,
            event=row.type,
            timestamp=row.created_at,
            integration_id=row.integration_id,
            data=row.payload,
        )
