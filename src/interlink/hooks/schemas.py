"""The API's model of an accepted incoming hook."""

from __future__ import annotations

from pydantic import Field

from interlink.core.schemas import ApiOutput


class HookAccepted(ApiOutput):
    id: str | None = Field(description="The stored hook (`hook_...`); null for a duplicate")
    event: str = Field(description="The event type it became, `provider.<type>.<event>`")
    duplicate: bool = Field(
        description="This delivery id, or this very body, was received before: not processed"
    )
